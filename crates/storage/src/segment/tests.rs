#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_util::{small_config, stored};

fn new_segment(dir: &tempfile::TempDir, base: i64) -> Segment {
    Segment::create(dir.path(), base, &small_config(), 0).unwrap()
}

/// Appends `count` one-record batches of ~200 bytes from `first`, one per call.
fn fill(segment: &Segment, first: i64, count: i64) {
    for i in 0..count {
        segment.append(&[stored(first + i, 1, 1_000 + first + i, 150)], 256).unwrap();
    }
}

#[test]
fn file_names_are_twenty_digits() {
    assert_eq!(segment_file_name(42, LOG_FILE_SUFFIX), "00000000000000000042.log");
    assert_eq!(parse_segment_file_name("00000000000000000042.log", LOG_FILE_SUFFIX), Some(42));
    assert_eq!(parse_segment_file_name("0042.log", LOG_FILE_SUFFIX), None);
    assert_eq!(parse_segment_file_name("0000000000000000004x.log", LOG_FILE_SUFFIX), None);
    assert_eq!(parse_segment_file_name("00000000000000000042.index", LOG_FILE_SUFFIX), None);
}

#[test]
fn append_then_read_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    let a = stored(0, 3, 1_000, 10);
    let b = stored(3, 2, 2_000, 10);
    let expected: Vec<u8> = match (&a.body, &b.body) {
        (PreparedBody::Stored(a), PreparedBody::Stored(b)) => [&a[..], &b[..]].concat(),
        _ => unreachable!(),
    };
    seg.append(&[a, b], 4096).unwrap();
    assert_eq!(seg.size(), expected.len() as u64);
    let mut out = Vec::new();
    seg.read_into(0, expected.len(), &mut out).unwrap();
    assert_eq!(out, expected);
    assert_eq!(seg.read_next_offset().unwrap(), 5);
    assert_eq!(seg.max_timestamp(), TimestampOffset { timestamp: 2_001, offset: 4 });

    let found = seg.translate_offset(4).unwrap().unwrap();
    assert_eq!(found.header.base_offset(), 3);
    assert!(seg.translate_offset(5).unwrap().is_none());
}

#[test]
fn sparse_index_entries_every_interval() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 100);
    fill(&seg, 100, 20);
    // Each batch is ~230 bytes; with a 256-byte interval an entry lands every other batch.
    let entries = seg.offset_index_entries();
    assert!((8..=10).contains(&entries), "{entries} entries");
    assert_eq!(seg.time_index_entries(), entries);
    for target in 100..120 {
        let batch = seg.translate_offset(target).unwrap().unwrap();
        assert_eq!(batch.header.base_offset(), target);
        let entry = seg.offset_index.lookup(target).unwrap();
        assert!(entry.offset <= target && entry.position <= batch.position);
    }
}

#[test]
fn recover_rebuilds_identical_indexes_and_cuts_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    fill(&seg, 0, 12);
    seg.seal().unwrap();
    let entries: Vec<_> = (0..seg.offset_index_entries()).map(|i| seg.offset_index.entry(i).unwrap()).collect();
    let time_entries: Vec<_> = (0..seg.time_index_entries()).map(|i| seg.time_index.entry(i).unwrap()).collect();
    let size = seg.size();

    // Tear the last batch in half.
    seg.log.set_len(size - 50).unwrap();
    let mut seen = Vec::new();
    let outcome = seg.recover(256, 0, &mut |h| seen.push(h.base_offset())).unwrap();
    assert_eq!(seen, (0..11).collect::<Vec<_>>());
    assert_eq!(outcome.next_offset, Some(11));
    assert!(outcome.stop.unwrap().contains("torn"));
    assert_eq!(outcome.truncated_bytes + outcome.valid_bytes, size - 50);
    assert_eq!(seg.size(), outcome.valid_bytes);
    assert_eq!(std::fs::metadata(seg.log_path()).unwrap().len(), outcome.valid_bytes);

    let rebuilt: Vec<_> = (0..seg.offset_index_entries()).map(|i| seg.offset_index.entry(i).unwrap()).collect();
    assert!(entries.starts_with(&rebuilt) && rebuilt.len() + 1 >= entries.len());
    let rebuilt_time: Vec<_> = (0..seg.time_index_entries()).map(|i| seg.time_index.entry(i).unwrap()).collect();
    assert_eq!(rebuilt_time.last().unwrap(), &TimestampOffset { timestamp: 1_010, offset: 10 });
    assert!(time_entries.len() >= rebuilt_time.len());
}

#[test]
fn recover_stops_at_a_bad_crc_and_at_offsets_going_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    fill(&seg, 0, 3);
    let third = seg.translate_offset(2).unwrap().unwrap();
    // Flip a byte in the third batch's records.
    let mut byte = [0u8; 1];
    let at = third.position + third.size() - 3;
    std::os::unix::fs::FileExt::read_exact_at(&seg.log, &mut byte, at).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&seg.log, &[byte[0] ^ 0xff], at).unwrap();
    let outcome = seg.recover(256, 0, &mut |_| {}).unwrap();
    assert_eq!(outcome.valid_bytes, third.position);
    assert!(outcome.stop.unwrap().contains("CRC"));

    let seg2 = new_segment(&dir, 10);
    seg2.append(&[stored(10, 2, 0, 5), stored(11, 1, 0, 5)], 256).unwrap();
    let outcome = seg2.recover(256, 0, &mut |_| {}).unwrap();
    assert_eq!(outcome.next_offset, Some(12));
    assert!(outcome.stop.unwrap().contains("expected offsets from 12"));
}

#[test]
fn truncate_to_cuts_whole_batches_and_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    fill(&seg, 0, 10);
    let cut_at = seg.translate_offset(6).unwrap().unwrap().position;
    assert_eq!(seg.truncate_to(6, 5).unwrap(), Some(6));
    assert_eq!(seg.size(), cut_at);
    assert_eq!(seg.read_next_offset().unwrap(), 6);
    assert!(seg.offset_index.last_entry().unwrap().is_none_or(|e| e.offset < 6));
    assert!(seg.max_timestamp().offset < 6);
    // Appends continue after the cut.
    fill(&seg, 6, 2);
    assert_eq!(seg.read_next_offset().unwrap(), 8);
    // Truncating past the end changes nothing.
    assert_eq!(seg.truncate_to(100, 5).unwrap(), None);
    assert_eq!(seg.read_next_offset().unwrap(), 8);
}

#[test]
fn roll_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig { segment_ms: 1_000, ..small_config() };
    let seg = Segment::create(dir.path(), 0, &config, 0).unwrap();
    let params = |bytes, ts, offset| RollParams {
        max_timestamp_in_messages: ts,
        max_offset_in_messages: offset,
        messages_bytes: bytes,
        now_ms: 0,
    };
    // Empty: never by size or time.
    assert_eq!(seg.should_roll(&params(10_000, 99_999, 0), &config).unwrap(), None);
    seg.append(&[stored(0, 1, 5_000, 100)], 256).unwrap();
    assert_eq!(seg.should_roll(&params(100, 5_500, 1), &config).unwrap(), None);
    assert_eq!(seg.should_roll(&params(4_000, 5_500, 1), &config).unwrap(), Some(RollReason::Size));
    assert_eq!(seg.should_roll(&params(100, 6_001, 1), &config).unwrap(), Some(RollReason::Time));
    assert_eq!(seg.should_roll(&params(100, 5_500, 1 << 40), &config).unwrap(), Some(RollReason::OffsetOverflow));
}

#[test]
fn timestamp_search_decodes_only_candidate_batches() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    // Offsets 0..30, timestamps 1000 + offset * 10, three records per batch.
    for b in 0..10 {
        let base = b * 3;
        let bytes = crate::test_util::batch(base, 3, 0, 60);
        // Rebuild with spaced timestamps.
        let mut builder = flotilla_protocol::records::RecordBatchBuilder::default().base_offset(base);
        for i in 0..3 {
            builder.append(1_000 + (base + i) * 10, None, Some(&bytes[..20]), &[]).unwrap();
        }
        let batch = RecordBatch::parse(builder.build().unwrap()).unwrap();
        seg.append(&[PreparedBatch::stored(batch)], 256).unwrap();
    }
    let found = |target| seg.find_offset_by_timestamp(target, 0).unwrap().map(|f| (f.timestamp, f.offset));
    assert_eq!(found(0), Some((1_000, 0)));
    assert_eq!(found(1_000), Some((1_000, 0)));
    assert_eq!(found(1_001), Some((1_010, 1)));
    assert_eq!(found(1_155), Some((1_160, 16)));
    assert_eq!(found(1_290), Some((1_290, 29)));
    assert_eq!(found(1_291), None);
    assert_eq!(seg.find_offset_by_timestamp(1_000, 7).unwrap().map(|f| f.offset), Some(7));
    assert_eq!(seg.find_max_timestamp_record().unwrap().map(|f| (f.timestamp, f.offset)), Some((1_290, 29)));
}

#[test]
fn failed_write_leaves_the_segment_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let seg = new_segment(&dir, 0);
    fill(&seg, 0, 2);
    let size = seg.size();
    // A read-only handle makes every write fail, as a full disk would.
    let log = OpenOptions::new().read(true).open(seg.log_path()).unwrap();
    let broken = Segment {
        base_offset: 0,
        log_path: seg.log_path.clone(),
        log,
        size: AtomicU64::new(size),
        offset_index: OffsetIndex::open(seg.offset_index.file().path().to_path_buf(), 0, 1024).unwrap().unwrap(),
        time_index: TimeIndex::open(seg.time_index.file().path().to_path_buf(), 0, 1024).unwrap().unwrap(),
        state: Mutex::new(*seg.lock_state()),
    };
    let err = broken.append(&[stored(2, 1, 0, 10)], 256).unwrap_err();
    assert!(err.is_io(), "{err}");
    assert_eq!(broken.size(), size);
    assert_eq!(std::fs::metadata(seg.log_path()).unwrap().len(), size);
    assert_eq!(seg.read_next_offset().unwrap(), 2);
}
