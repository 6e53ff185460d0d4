#![allow(clippy::unwrap_used)]

use std::os::unix::fs::FileExt;
use std::sync::atomic::AtomicBool;

use flotilla_model::ErrorCode;
use flotilla_protocol::records::{Compression, RecordBatchBuilder, RecordsError, RECORD_BATCH_OVERHEAD};

use super::*;
use crate::segment::{segment_file_name, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX};
use crate::test_util::{batch, batch_with, small_config, tp};

const E1: LeaderEpoch = LeaderEpoch::new(1);

fn open(dir: &Path, config: LogConfig) -> Log {
    Log::open(dir, tp("orders", 0), config, LogOpenParams::default(), 0).unwrap()
}

fn reopen(dir: &Path, config: LogConfig, params: LogOpenParams) -> Log {
    Log::open(dir, tp("orders", 0), config, params, 0).unwrap()
}

/// Appends `count` single-record batches with ~`value_bytes` values; timestamps 1000 + offset.
fn append_n(log: &Log, count: usize, value_bytes: usize) {
    append_n_in(log, count, value_bytes, E1);
}

fn append_n_in(log: &Log, count: usize, value_bytes: usize, epoch: LeaderEpoch) {
    for _ in 0..count {
        let next = log.log_end_offset().get();
        log.append_as_leader(batch(0, 1, 1_000 + next, value_bytes), epoch, 0).unwrap();
    }
}

/// Every batch in `bytes`, checked.
fn batches(bytes: &Bytes) -> Vec<RecordBatch> {
    Batches::new(bytes.clone()).map(|b| b.unwrap()).collect()
}

fn read_all(log: &Log) -> Vec<RecordBatch> {
    let info = log.read(log.log_start_offset(), usize::MAX >> 1, log.log_end_offset(), true).unwrap();
    batches(&info.records)
}

fn o(offset: i64) -> Offset {
    Offset::new(offset)
}

#[test]
fn leader_append_assigns_offsets_and_stamps_without_changing_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    let produced = batch(0, 3, 1_000, 20);
    let info = log.append_as_leader(produced.clone(), LeaderEpoch::new(4), 50).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (o(0), o(2)));
    assert_eq!(info.log_append_time_ms, -1);
    assert_eq!((info.max_timestamp_ms, info.offset_of_max_timestamp), (1_002, o(2)));
    assert_eq!((info.record_count, info.batch_count), (3, 1));
    let info = log.append_as_leader(batch(0, 2, 2_000, 20), LeaderEpoch::new(4), 60).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (o(3), o(4)));
    assert_eq!(log.log_end_offset(), o(5));

    let stored = read_all(&log);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].header().base_offset(), 0);
    assert_eq!(stored[1].header().base_offset(), 3);
    assert!(stored.iter().all(|b| b.header().partition_leader_epoch() == 4));
    assert_eq!(&stored[0].as_bytes()[RECORD_BATCH_OVERHEAD..], &produced[RECORD_BATCH_OVERHEAD..]);
    assert_eq!(log.epoch_entries(), vec![EpochEntry { epoch: LeaderEpoch::new(4), start_offset: o(0) }]);
    // The files are where Kafka puts them.
    let partition_dir = dir.path().join("orders-0");
    for suffix in [".log", ".index", ".timeindex"] {
        assert!(partition_dir.join(format!("00000000000000000000{suffix}")).exists(), "{suffix}");
    }
    assert!(partition_dir.join("leader-epoch-checkpoint").exists());
}

#[test]
fn log_append_time_is_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig { message_timestamp_type: TimestampType::LogAppendTime, ..LogConfig::default() };
    let log = open(dir.path(), config);
    let info = log.append_as_leader(batch_with(Compression::Lz4, 0, 4, 1_000, 30), E1, 777_000).unwrap();
    assert_eq!((info.log_append_time_ms, info.max_timestamp_ms), (777_000, 777_000));
    let stored = read_all(&log);
    assert_eq!(stored[0].header().timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(stored[0].header().max_timestamp(), 777_000);
    assert!(stored[0].records(1 << 20).all(|r| r.unwrap().timestamp == 777_000));
}

#[test]
fn leader_append_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        LogConfig { max_message_bytes: 300, message_timestamp_after_max_ms: Some(1_000), ..LogConfig::default() };
    let log = open(dir.path(), config);

    let mut corrupt = batch(0, 2, 1_000, 10).to_vec();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    let err = log.append_as_leader(corrupt.into(), E1, 0).unwrap_err();
    assert!(matches!(err, StorageError::CorruptRecord { source: RecordsError::CrcMismatch { .. }, .. }), "{err}");
    assert_eq!(err.error_code(), ErrorCode::CorruptMessage);

    let err = log.append_as_leader(batch(0, 1, 1_000, 400), E1, 0).unwrap_err();
    assert!(matches!(err, StorageError::RecordTooLarge { max: 300, .. }), "{err}");
    assert_eq!(err.error_code(), ErrorCode::MessageTooLarge);

    let torn = batch(0, 2, 1_000, 10);
    let err = log.append_as_leader(torn.slice(..torn.len() - 4), E1, 0).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::CorruptMessage, "{err}");

    let mut magic1 = batch(0, 1, 1_000, 10).to_vec();
    magic1[16] = 1;
    let err = log.append_as_leader(magic1.into(), E1, 0).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidRecord, "{err}");

    let err = log.append_as_leader(Bytes::new(), E1, 0).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidRecord, "{err}");

    let err = log.append_as_leader(batch(0, 1, 10_000, 10), E1, 5_000).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidTimestamp, "{err}");

    let mut builder = RecordBatchBuilder::default().producer(7, 0, -1);
    builder.append(1_000, None, Some(b"v"), &[]).unwrap();
    let err = log.append_as_leader(builder.build().unwrap(), E1, 0).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidRecord, "{err}");

    // Nothing was written by any of them.
    assert_eq!(log.log_end_offset(), o(0));
    assert_eq!(log.size_bytes(), 0);
}

#[test]
fn rolls_by_size_and_reads_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 60, 150);
    let segments = log.segments();
    assert!(segments.len() >= 3, "{} segments", segments.len());
    for pair in segments.windows(2) {
        assert!(pair[0].size_bytes <= 4096);
        assert!(pair[0].base_offset < pair[1].base_offset);
        // Sealed segments have trimmed indexes.
        let index = pair[0].path.with_extension("index");
        assert_eq!(std::fs::metadata(&index).unwrap().len() % 8, 0);
        assert!(std::fs::metadata(&index).unwrap().len() < 1024);
    }
    // The sealed segments were fsynced on roll: the recovery point reached the active segment.
    assert_eq!(log.recovery_point(), segments.last().unwrap().base_offset);

    // Every offset is readable, whole batches only, across segment boundaries.
    let all = read_all(&log);
    assert_eq!(all.len(), 60);
    for (i, b) in all.iter().enumerate() {
        assert_eq!(b.header().base_offset(), i as i64);
    }
    for fetch in [0, 13, 14, 15, 29, 59] {
        let info = log.read(o(fetch), 1_000, log.log_end_offset(), false).unwrap();
        let got = batches(&info.records);
        assert_eq!(got[0].header().base_offset(), fetch);
        assert!(info.records.len() <= 1_000);
    }
}

#[test]
fn rolls_by_time_from_the_first_batch_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig { segment_ms: 10_000, ..LogConfig::default() };
    let log = open(dir.path(), config);
    log.append_as_leader(batch(0, 1, 100_000, 10), E1, 0).unwrap();
    log.append_as_leader(batch(0, 1, 105_000, 10), E1, 0).unwrap();
    assert_eq!(log.segments().len(), 1);
    log.append_as_leader(batch(0, 1, 110_001, 10), E1, 0).unwrap();
    let segments = log.segments();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[1].base_offset, o(2));
}

#[test]
fn read_respects_max_bytes_min_one_message_and_max_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    for _ in 0..5 {
        log.append_as_leader(batch(0, 2, 1_000, 100), E1, 0).unwrap(); // ~2 records per batch
    }
    let batch_size = read_all(&log)[0].len();
    let leo = log.log_end_offset();
    assert_eq!(leo, o(10));

    // A fetch offset inside a batch returns the whole batch.
    let info = log.read(o(3), batch_size * 2, leo, false).unwrap();
    let got = batches(&info.records);
    assert_eq!(got.iter().map(|b| b.header().base_offset()).collect::<Vec<_>>(), vec![2, 4]);

    // max_bytes cuts at a batch boundary.
    let info = log.read(o(0), batch_size * 2 + 10, leo, false).unwrap();
    assert_eq!(info.records.len(), batch_size * 2);

    // A first batch larger than max_bytes: empty without min_one_message, whole with it.
    let info = log.read(o(0), 10, leo, false).unwrap();
    assert!(info.records.is_empty() && info.first_entry_incomplete);
    let info = log.read(o(0), 0, leo, false).unwrap();
    assert!(info.records.is_empty() && !info.first_entry_incomplete);
    let info = log.read(o(0), 10, leo, true).unwrap();
    assert_eq!(batches(&info.records).len(), 1);
    assert!(!info.first_entry_incomplete);

    // The high watermark bounds what is visible.
    let info = log.read(o(0), 1 << 20, o(4), true).unwrap();
    assert_eq!(batches(&info.records).len(), 2);
    let info = log.read(o(4), 1 << 20, o(4), true).unwrap();
    assert!(info.records.is_empty());
    let info = log.read(o(6), 1 << 20, o(4), true).unwrap();
    assert!(info.records.is_empty(), "past the high watermark but within the log: empty, not an error");
    let info = log.read(leo, 1 << 20, leo, true).unwrap();
    assert!(info.records.is_empty());

    // Out of range, with the bounds in the error.
    let err = log.read(o(11), 100, leo, true).unwrap_err();
    assert!(
        matches!(err, StorageError::OffsetOutOfRange { log_start_offset, log_end_offset, .. }
            if log_start_offset == o(0) && log_end_offset == o(10)),
        "{err}"
    );
    assert_eq!(err.error_code(), ErrorCode::OffsetOutOfRange);
}

#[test]
fn follower_appends_keep_offsets_and_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    let replicated = |base, epoch| {
        let mut b = batch(base, 2, 1_000 + base, 50).to_vec();
        b[12..16].copy_from_slice(&i32::to_be_bytes(epoch));
        Bytes::from(b)
    };
    let info =
        log.append_as_follower([replicated(0, 1), replicated(2, 1), replicated(4, 3)].concat().into(), 0).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (o(0), o(5)));
    assert_eq!(log.log_end_offset(), o(6));
    assert_eq!(
        log.epoch_entries(),
        vec![
            EpochEntry { epoch: LeaderEpoch::new(1), start_offset: o(0) },
            EpochEntry { epoch: LeaderEpoch::new(3), start_offset: o(4) }
        ]
    );
    assert_eq!(log.end_offset_for_epoch(LeaderEpoch::new(1)), (LeaderEpoch::new(1), o(4)));
    assert_eq!(log.end_offset_for_epoch(LeaderEpoch::new(2)), (LeaderEpoch::new(1), o(4)));
    assert_eq!(log.end_offset_for_epoch(LeaderEpoch::new(3)), (LeaderEpoch::new(3), o(6)));

    let err = log.append_as_follower(replicated(5, 3), 0).unwrap_err();
    assert!(matches!(err, StorageError::UnexpectedAppendOffset { .. }), "{err}");
    let err = log.append_as_follower([replicated(8, 3), replicated(6, 3)].concat().into(), 0).unwrap_err();
    assert!(matches!(err, StorageError::InvalidRecord { .. }), "{err}");
    // A gap (compacted source) is accepted.
    log.append_as_follower(replicated(10, 3), 0).unwrap();
    assert_eq!(log.log_end_offset(), o(12));
    let stored = read_all(&log);
    assert_eq!(stored.last().unwrap().header().base_offset(), 10);
}

/// Drops the log without closing it: what a crash leaves (no trimmed indexes, no marker).
fn crash(log: Log) -> LogOpenParams {
    LogOpenParams {
        recovery_point: Some(log.recovery_point()),
        log_start_offset: Some(log.log_start_offset()),
        high_watermark: Some(log.high_watermark()),
        had_clean_shutdown: false,
    }
}

#[test]
fn recovery_after_a_torn_write_keeps_the_valid_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    append_n(&log, 10, 100);
    let log_path = log.segments()[0].path.clone();
    let size = log.size_bytes();
    let params = crash(log);
    // The last batch is half written.
    let file = std::fs::OpenOptions::new().write(true).open(&log_path).unwrap();
    file.set_len(size - 40).unwrap();

    let log = reopen(dir.path(), LogConfig::default(), params);
    let report = log.load_report();
    assert_eq!(report.recovered_segments, vec![o(0)]);
    assert!(report.truncated_bytes > 0);
    assert!(report.corruption.as_ref().unwrap().contains("torn"), "{report:?}");
    assert_eq!(log.log_end_offset(), o(9));
    assert_eq!(read_all(&log).len(), 9);
    assert_eq!(log.recovery_point(), o(9));
    let info = log.append_as_leader(batch(0, 1, 5_000, 10), E1, 0).unwrap();
    assert_eq!(info.first_offset, o(9));
    assert_eq!(read_all(&log).len(), 10);
}

#[test]
fn corruption_in_the_middle_cuts_there_and_drops_later_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 60, 150);
    let segments = log.segments();
    assert!(segments.len() >= 4);
    let victim = &segments[1];
    let params = LogOpenParams { recovery_point: Some(o(0)), ..crash(log) };

    // Flip a byte inside the third batch of the second segment.
    let file = std::fs::OpenOptions::new().read(true).write(true).open(&victim.path).unwrap();
    let mut all = vec![0u8; victim.size_bytes as usize];
    file.read_exact_at(&mut all, 0).unwrap();
    let mut at = 0;
    for _ in 0..2 {
        at += RecordBatchHeader::peek(&all[at..]).unwrap().total_size();
    }
    let third = RecordBatchHeader::peek(&all[at..]).unwrap();
    file.write_all_at(&[all[at + 70] ^ 0x55], (at + 70) as u64).unwrap();

    let log = reopen(dir.path(), small_config(), params);
    let report = log.load_report().clone();
    assert!(report.corruption.as_ref().unwrap().contains("CRC"), "{report:?}");
    assert_eq!(report.dropped_segments, segments[2..].iter().map(|s| s.base_offset).collect::<Vec<_>>());
    assert_eq!(log.log_end_offset(), o(third.base_offset()));
    assert_eq!(log.segments().len(), 2);
    let kept = read_all(&log);
    assert_eq!(kept.len() as i64, third.base_offset());
    for later in &segments[2..] {
        assert!(!later.path.exists());
    }
    // The log continues from the cut.
    let info = log.append_as_leader(batch(0, 1, 9_000, 10), E1, 0).unwrap();
    assert_eq!(info.first_offset, o(third.base_offset()));
}

#[test]
fn missing_index_is_rebuilt_even_after_a_clean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 40, 150);
    let before = read_all(&log);
    log.close(0).unwrap();
    let first_index = dir.path().join("orders-0").join(segment_file_name(0, INDEX_FILE_SUFFIX));
    let index_len = std::fs::metadata(&first_index).unwrap().len();
    std::fs::remove_file(&first_index).unwrap();

    let params = LogOpenParams { had_clean_shutdown: true, ..LogOpenParams::default() };
    let log = reopen(dir.path(), small_config(), params);
    assert_eq!(log.load_report().rebuilt_indexes, vec![o(0)]);
    assert!(log.load_report().recovered_segments.is_empty());
    assert_eq!(std::fs::metadata(&first_index).unwrap().len(), index_len, "rebuilt to the same entries");
    assert_eq!(read_all(&log), before);
}

#[test]
fn clean_shutdown_skips_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 30, 150);
    log.close(0).unwrap();
    assert!(log.append_as_leader(batch(0, 1, 0, 1), E1, 0).is_err(), "closed");
    let active = log.segments().last().unwrap().clone();
    // Sealed on close: the active segment's indexes are trimmed.
    let index = active.path.with_extension("index");
    assert_eq!(std::fs::metadata(&index).unwrap().len() % 8, 0);
    assert!(std::fs::metadata(&index).unwrap().len() < 1024);

    let params = LogOpenParams { had_clean_shutdown: true, ..LogOpenParams::default() };
    let log = reopen(dir.path(), small_config(), params);
    assert!(log.load_report().recovered_segments.is_empty());
    assert!(log.load_report().rebuilt_indexes.is_empty());
    assert_eq!(log.log_end_offset(), o(30));
    assert_eq!(log.recovery_point(), o(30));
    assert_eq!(read_all(&log).len(), 30);
    // Without the marker the same log is scanned from the recovery point.
    let params = crash(log);
    let log = reopen(dir.path(), small_config(), params);
    assert_eq!(log.load_report().recovered_segments, vec![active.base_offset]);
}

#[test]
fn truncate_to_across_segments_and_below_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 20, 150);
    append_n_in(&log, 21, 150, LeaderEpoch::new(2));
    log.update_high_watermark(o(35));
    let segments_before = log.segments().len();
    assert!(segments_before >= 3);

    assert!(log.truncate_to(o(25), 0).unwrap());
    assert_eq!(log.log_end_offset(), o(25));
    assert_eq!(log.high_watermark(), o(25));
    assert!(log.segments().len() < segments_before);
    assert_eq!(read_all(&log).len(), 25);
    assert!(!log.truncate_to(o(30), 0).unwrap(), "beyond the end: nothing to do");
    assert_eq!(log.epoch_entries().len(), 2, "epoch 2 started at 20, below the new end");
    assert!(log.truncate_to(o(20), 0).unwrap());
    assert_eq!(log.epoch_entries(), vec![EpochEntry { epoch: E1, start_offset: o(0) }]);
    let info = log.append_as_leader(batch(0, 1, 1_000, 10), LeaderEpoch::new(3), 0).unwrap();
    assert_eq!(info.first_offset, o(20));

    // Below the first segment: the log restarts empty.
    log.truncate_fully_and_start_at(o(100), 0).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (o(100), o(100)));
    assert_eq!(log.segments().len(), 1);
    assert!(log.epoch_entries().is_empty());
    let info = log.append_as_leader(batch(0, 1, 1_000, 10), LeaderEpoch::new(3), 0).unwrap();
    assert_eq!(info.first_offset, o(100));
    let files: Vec<_> = std::fs::read_dir(log.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(files.iter().any(|f| f.to_str() == Some(&segment_file_name(100, LOG_FILE_SUFFIX))));
    assert!(!files.iter().any(|f| f.to_str() == Some(&segment_file_name(0, LOG_FILE_SUFFIX))));
}

#[test]
fn truncation_inside_a_batch_removes_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    log.append_as_leader(batch(0, 5, 1_000, 10), E1, 0).unwrap();
    log.append_as_leader(batch(0, 5, 1_000, 10), E1, 0).unwrap();
    assert!(log.truncate_to(o(7), 0).unwrap());
    assert_eq!(log.log_end_offset(), o(5));
    assert_eq!(read_all(&log).len(), 1);
}

#[test]
fn offsets_by_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(log.fetch_offset_by_timestamp(OffsetSpec::MaxTimestamp).unwrap(), None);
    // 40 batches of 2 records; timestamps 10_000 + 10 * offset, except a peak at offset 21.
    for b in 0..40i64 {
        let mut builder = RecordBatchBuilder::default();
        for i in 0..2 {
            let offset = b * 2 + i;
            let ts = if offset == 21 { 99_999 } else { 10_000 + offset * 10 };
            builder.append(ts, None, Some(&[7u8; 100]), &[]).unwrap();
        }
        log.append_as_leader(builder.build().unwrap(), LeaderEpoch::new(2 + (b / 20) as i32), 0).unwrap();
    }
    assert!(log.segments().len() > 2);
    let ts = |spec| log.fetch_offset_by_timestamp(spec).unwrap().map(|t| (t.timestamp_ms, t.offset.get()));
    assert_eq!(ts(OffsetSpec::from_timestamp(-2)), Some((-1, 0)));
    assert_eq!(ts(OffsetSpec::from_timestamp(-1)), Some((-1, 80)));
    assert_eq!(ts(OffsetSpec::from_timestamp(-3)), Some((99_999, 21)));
    assert_eq!(ts(OffsetSpec::from_timestamp(-5)), Some((-1, -1)));
    assert_eq!(ts(OffsetSpec::Timestamp(0)), Some((10_000, 0)));
    assert_eq!(ts(OffsetSpec::Timestamp(10_000)), Some((10_000, 0)));
    assert_eq!(ts(OffsetSpec::Timestamp(10_001)), Some((10_010, 1)));
    assert_eq!(ts(OffsetSpec::Timestamp(10_205)), Some((99_999, 21)), "first record with a timestamp >= target");
    assert_eq!(ts(OffsetSpec::Timestamp(10_215)), Some((99_999, 21)));
    assert_eq!(ts(OffsetSpec::Timestamp(10_500)), Some((99_999, 21)));
    assert_eq!(ts(OffsetSpec::Timestamp(10_790)), Some((99_999, 21)));
    assert_eq!(ts(OffsetSpec::Timestamp(100_000)), None);
    let latest = log.fetch_offset_by_timestamp(OffsetSpec::Latest).unwrap().unwrap();
    assert_eq!(latest.leader_epoch, Some(LeaderEpoch::new(3)));
    let earliest = log.fetch_offset_by_timestamp(OffsetSpec::Earliest).unwrap().unwrap();
    assert_eq!(earliest.leader_epoch, Some(LeaderEpoch::new(2)));
    let found = log.fetch_offset_by_timestamp(OffsetSpec::Timestamp(10_600)).unwrap().unwrap();
    assert_eq!(found.leader_epoch, Some(LeaderEpoch::new(2)));

    // After the log start moves, searches start there.
    log.update_high_watermark(o(80));
    log.advance_log_start_offset(o(30)).unwrap();
    assert_eq!(ts(OffsetSpec::Timestamp(0)), Some((10_300, 30)));
    assert_eq!(ts(OffsetSpec::Earliest), Some((-1, 30)));
}

#[test]
fn reads_run_concurrently_with_appends() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(open(dir.path(), small_config()));
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let log = log.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut reads = 0;
                while !done.load(Ordering::Acquire) || reads < 10 {
                    let leo = log.log_end_offset();
                    let info = log.read(o(0), 1 << 20, leo, true).unwrap();
                    let mut expected = 0;
                    for batch in Batches::new(info.records) {
                        let batch = batch.unwrap();
                        assert_eq!(batch.header().base_offset(), expected);
                        expected = batch.header().next_offset();
                    }
                    assert_eq!(expected, leo.get(), "everything below the end offset read is visible");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for _ in 0..300 {
        let next = log.log_end_offset().get();
        log.append_as_leader(batch(0, 2, 1_000 + next, 120), E1, 0).unwrap();
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        assert!(reader.join().unwrap() >= 10);
    }
    assert_eq!(read_all(&log).len(), 300);
    assert!(log.segments().len() > 10);
}

#[test]
fn retention_by_size_time_and_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig { retention_bytes: Some(9_000), retention_ms: None, ..small_config() };
    let log = open(dir.path(), config.clone());
    append_n(&log, 80, 150);
    let total = log.size_bytes();
    assert!(total > 12_000);
    // Nothing is deleted past the high watermark.
    assert!(log.delete_old_segments(0).unwrap().is_empty());
    log.update_high_watermark(log.log_end_offset());
    let deleted = log.delete_old_segments(0).unwrap();
    assert!(!deleted.is_empty());
    assert!(deleted.iter().all(|d| d.reason == DeletionReason::RetentionSize));
    assert!(log.size_bytes() >= 9_000 - 4096 && log.size_bytes() <= 9_000 + 4096);
    assert_eq!(log.log_start_offset(), deleted.last().unwrap().end_offset);
    for d in &deleted {
        assert!(!log.dir().join(segment_file_name(d.base_offset.get(), LOG_FILE_SUFFIX)).exists());
    }
    assert!(matches!(log.read(o(0), 100, log.log_end_offset(), true), Err(StorageError::OffsetOutOfRange { .. })));

    // DeleteRecords: the start moves, whole segments below it go on the next pass.
    let start = log.log_start_offset().get();
    let err = log.advance_log_start_offset(o(1_000)).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::OffsetOutOfRange);
    assert!(log.advance_log_start_offset(o(start + 20)).unwrap());
    let info = log.read(o(start + 20), 100, log.log_end_offset(), true).unwrap();
    assert_eq!(batches(&info.records)[0].header().base_offset(), start + 20);
    let deleted = log.delete_segments_before_log_start(0).unwrap();
    assert!(deleted.iter().all(|d| d.end_offset.get() <= start + 20 && d.reason == DeletionReason::LogStartOffset));
    assert_eq!(log.log_start_offset(), o(start + 20));

    // Time: every batch is older than retention.ms; all segments go and a fresh one is rolled.
    log.update_config(LogConfig { retention_ms: Some(1_000), retention_bytes: None, ..config });
    let deleted = log.delete_old_segments(1_000_000).unwrap();
    assert!(deleted.iter().all(|d| d.reason == DeletionReason::RetentionTime));
    assert_eq!(log.segments().len(), 1);
    assert_eq!(log.log_start_offset(), o(80));
    assert_eq!(log.log_end_offset(), o(80));
    let info = log.append_as_leader(batch(0, 1, 2_000_000, 10), E1, 0).unwrap();
    assert_eq!(info.first_offset, o(80));
}

#[test]
fn flush_policy() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    append_n(&log, 5, 10);
    assert_eq!(log.recovery_point(), o(0), "no fsync per append by default");
    log.flush(0).unwrap();
    assert_eq!(log.recovery_point(), o(5));

    log.update_config(LogConfig { flush_messages: Some(3), ..LogConfig::default() });
    append_n(&log, 2, 10);
    assert_eq!(log.recovery_point(), o(5));
    append_n(&log, 1, 10);
    assert_eq!(log.recovery_point(), o(8));

    log.update_config(LogConfig { flush_ms: Some(1_000), ..LogConfig::default() });
    log.append_as_leader(batch(0, 1, 0, 10), E1, 500).unwrap();
    assert_eq!(log.recovery_point(), o(8));
    assert!(!log.flush_if_due(600).unwrap());
    assert!(log.flush_if_due(1_100).unwrap());
    assert_eq!(log.recovery_point(), o(9));
}

#[test]
fn recovery_point_and_checkpointed_offsets_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 30, 150);
    log.update_high_watermark(o(25));
    log.advance_log_start_offset(o(12)).unwrap();
    let params = crash(log);
    let log = reopen(dir.path(), small_config(), params);
    assert_eq!(log.log_start_offset(), o(12));
    assert_eq!(log.high_watermark(), o(25));
    assert_eq!(log.log_end_offset(), o(30));
    // Only the segments from the recovery point on were scanned.
    let last_base = log.segments().last().unwrap().base_offset;
    assert!(log.load_report().recovered_segments.iter().all(|b| *b >= o(0)));
    assert!(log.load_report().recovered_segments.contains(&last_base));
}

#[test]
fn delete_removes_the_partition_directory() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), LogConfig::default());
    append_n(&log, 3, 10);
    let partition_dir = log.dir().to_path_buf();
    assert!(partition_dir.exists());
    log.delete().unwrap();
    assert!(!partition_dir.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no -delete leftover");
    let err = log.append_as_leader(batch(0, 1, 0, 1), E1, 0).unwrap_err();
    assert!(matches!(err, StorageError::LogClosed { .. }), "{err}");
}

#[test]
fn visit_batches_reads_headers_and_bodies_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 30, 150);
    let mut seen = Vec::new();
    log.visit_batches(
        o(7),
        o(21),
        |h| h.base_offset() % 5 == 0,
        |h, body| {
            assert_eq!(body.is_some(), h.base_offset() % 5 == 0);
            if let Some(body) = body {
                assert_eq!(body.header(), h);
            }
            seen.push(h.base_offset());
        },
    )
    .unwrap();
    assert_eq!(seen, (7..21).collect::<Vec<_>>());
}

/// A real ENOSPC: the active segment's file is `/dev/full`.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_append_takes_the_dir_offline_and_keeps_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    append_n(&log, 5, 100);
    let before = read_all(&log);
    log.roll(0).unwrap();
    log.close(0).unwrap();
    let active = log.dir().join(segment_file_name(5, LOG_FILE_SUFFIX));
    std::fs::remove_file(&active).unwrap();
    std::os::unix::fs::symlink("/dev/full", &active).unwrap();

    let clean = LogOpenParams { had_clean_shutdown: true, ..LogOpenParams::default() };
    let log = reopen(dir.path(), small_config(), clean);
    assert_eq!(log.log_end_offset(), o(5));
    let err = log.append_as_leader(batch(0, 1, 0, 10), E1, 0).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(err.error_code(), ErrorCode::KafkaStorageError);
    assert!(err.to_string().contains("00000000000000000005.log"), "{err}");
    assert_eq!(log.log_end_offset(), o(5), "nothing was published");
    let err = log.append_as_leader(batch(0, 1, 0, 10), E1, 0).unwrap_err();
    assert!(matches!(err, StorageError::LogDirOffline { .. }), "{err}");
    assert!(matches!(log.read(o(0), 100, o(5), true), Err(StorageError::LogDirOffline { .. })));
    drop(log);

    // Space comes back: the log is intact.
    std::fs::remove_file(&active).unwrap();
    std::fs::write(&active, b"").unwrap();
    let log = reopen(dir.path(), small_config(), LogOpenParams::default());
    assert_eq!(read_all(&log), before);
    assert_eq!(log.append_as_leader(batch(0, 1, 0, 10), E1, 0).unwrap().first_offset, o(5));
}
