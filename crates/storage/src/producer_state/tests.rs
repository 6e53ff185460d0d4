#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use bytes::Bytes;
use flotilla_model::{ErrorCode, Offset, ProducerEpoch, ProducerId, Sequence};
use flotilla_protocol::records::{end_transaction_batch, RecordBatch, RecordBatchBuilder, RecordBatchHeader};

use super::snapshot::{decode_snapshot, encode_snapshot, SNAPSHOT_ENTRY_BYTES};
use super::*;

const T0: i64 = 1_700_000_000_000;

fn pid(id: i64) -> ProducerId {
    ProducerId::new(id)
}

fn seq(n: i32) -> Sequence {
    Sequence::new(n)
}

fn off(n: i64) -> Offset {
    Offset::new(n)
}

/// What a batch looks like to producer state.
#[derive(Debug, Clone, Copy)]
struct Spec {
    producer_id: i64,
    epoch: i16,
    base_sequence: i32,
    records: i32,
    transactional: bool,
    timestamp: i64,
}

fn spec(producer_id: i64, epoch: i16, base_sequence: i32, records: i32) -> Spec {
    Spec { producer_id, epoch, base_sequence, records, transactional: false, timestamp: T0 }
}

/// The batch's header with `base_offset` (0 is what a client sends).
fn header(s: Spec, base_offset: i64) -> RecordBatchHeader {
    let mut b = RecordBatchBuilder::default()
        .base_offset(base_offset)
        .producer(s.producer_id, s.epoch, s.base_sequence)
        .transactional(s.transactional);
    for i in 0..s.records {
        b.append(s.timestamp + i64::from(i), None, Some(b"v"), &[]).unwrap();
    }
    RecordBatchHeader::parse(&b.build().unwrap()).unwrap()
}

/// A COMMIT/ABORT marker batch at `base_offset`, parsed as a whole batch.
fn marker(producer_id: i64, epoch: i16, commit: bool, coordinator_epoch: i32, base_offset: i64) -> ProducerBatch {
    let bytes = end_transaction_batch(producer_id, epoch, commit, coordinator_epoch, T0 + 500).unwrap();
    let mut raw = bytes.to_vec();
    // The base offset is outside the CRC, so a leader can stamp it.
    raw[0..8].copy_from_slice(&base_offset.to_be_bytes());
    ProducerBatch::from_record_batch(&RecordBatch::parse(Bytes::from(raw)).unwrap()).unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Produced {
    Appended(Offset, Offset),
    Duplicate(Offset, Offset),
}

/// A leader: producer state plus an in-memory log of stamped batches.
struct Leader {
    state: ProducerStateManager,
    log: Vec<ProducerBatch>,
    next_offset: i64,
}

impl Leader {
    fn new() -> Self {
        Self { state: ProducerStateManager::default(), log: Vec::new(), next_offset: 0 }
    }

    fn produce(&mut self, s: Spec) -> Result<Produced, ProducerStateError> {
        match self.state.validate_batch(AppendOrigin::Client, header(s, 0))? {
            AppendCheck::Duplicate(original) => {
                Ok(Produced::Duplicate(original.first_offset(), original.last_offset()))
            }
            AppendCheck::Append => {
                let stamped = header(s, self.next_offset);
                self.append_stamped(stamped.into());
                Ok(Produced::Appended(off(stamped.base_offset()), off(stamped.last_offset())))
            }
        }
    }

    fn write_marker(
        &mut self,
        producer_id: i64,
        epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
    ) -> Result<(), ProducerStateError> {
        let batch = marker(producer_id, epoch, commit, coordinator_epoch, self.next_offset);
        assert_eq!(self.state.validate_batch(AppendOrigin::Coordinator, batch)?, AppendCheck::Append);
        self.append_stamped(batch);
        Ok(())
    }

    fn append_stamped(&mut self, batch: ProducerBatch) {
        self.next_offset = batch.header().next_offset();
        self.log.push(batch);
        self.state.apply_batch(batch);
    }
}

/// The whole state, ordered, for comparisons.
fn state_of(m: &ProducerStateManager) -> BTreeMap<ProducerId, ProducerStateEntry> {
    m.producers().map(|(id, e)| (id, e.clone())).collect()
}

#[test]
fn non_idempotent_batches_bypass_everything() {
    let mut l = Leader::new();
    for _ in 0..3 {
        assert!(matches!(l.produce(spec(-1, -1, -1, 2)), Ok(Produced::Appended(..))));
    }
    assert!(l.state.is_empty());
    assert_eq!(l.state.map_end_offset(), off(6));
    // Any negative producer id counts as "no producer id", as Kafka's hasProducerId.
    assert_eq!(l.state.validate_batch(AppendOrigin::Client, header(spec(-7, 0, 5, 1), 0)), Ok(AppendCheck::Append));
}

#[test]
fn in_sequence_batches_append_and_are_tracked() {
    let mut l = Leader::new();
    assert_eq!(l.produce(spec(1, 0, 0, 3)), Ok(Produced::Appended(off(0), off(2))));
    assert_eq!(l.produce(spec(1, 0, 3, 2)), Ok(Produced::Appended(off(3), off(4))));
    let e = l.state.entry(pid(1)).unwrap();
    assert_eq!(e.producer_epoch(), ProducerEpoch::new(0));
    assert_eq!((e.first_sequence(), e.last_sequence()), (seq(0), seq(4)));
    assert_eq!(e.last_data_offset(), off(4));
    assert_eq!(e.last_timestamp_ms(), T0 + 1);
    assert_eq!(l.state.map_end_offset(), off(5));
}

#[test]
fn a_gap_is_out_of_order_and_changes_nothing() {
    let mut l = Leader::new();
    l.produce(spec(1, 0, 0, 3)).unwrap();
    let before = state_of(&l.state);
    let err = l.produce(spec(1, 0, 4, 1)).unwrap_err();
    assert_eq!(
        err,
        ProducerStateError::OutOfOrderSequence {
            producer_id: pid(1),
            epoch: ProducerEpoch::new(0),
            sequence: seq(4),
            last_sequence: seq(2)
        }
    );
    assert_eq!(err.error_code(), ErrorCode::OutOfOrderSequenceNumber);
    // A sequence that went backwards without matching a retained batch is refused too.
    assert_eq!(l.produce(spec(1, 0, 1, 1)).unwrap_err().error_code(), ErrorCode::OutOfOrderSequenceNumber);
    assert_eq!(state_of(&l.state), before);
    assert_eq!(l.log.len(), 1);
}

#[test]
fn each_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets() {
    let mut l = Leader::new();
    let mut originals = Vec::new();
    for i in 0..5 {
        // Another producer's batch in between, so offsets and sequences differ.
        l.produce(spec(9, 0, i, 1)).unwrap();
        let s = Spec { timestamp: T0 + i64::from(i) * 100, ..spec(1, 0, i * 3, 3) };
        originals.push((s, l.produce(s).unwrap()));
    }
    let log_len = l.log.len();
    for (s, original) in &originals {
        let Produced::Appended(first, last) = *original else { panic!("first send appends") };
        assert_eq!(l.produce(*s), Ok(Produced::Duplicate(first, last)));
        let AppendCheck::Duplicate(meta) = l.state.validate_batch(AppendOrigin::Client, header(*s, 0)).unwrap() else {
            panic!("duplicate expected")
        };
        assert_eq!(meta.timestamp_ms(), s.timestamp + 2, "the original batch's max timestamp");
        assert_eq!((meta.first_sequence(), meta.last_sequence()), (seq(s.base_sequence), seq(s.base_sequence + 2)));
    }
    assert_eq!(l.log.len(), log_len, "duplicates write nothing");
}

#[test]
fn the_sixth_oldest_batch_is_out_of_order_not_a_duplicate() {
    let mut l = Leader::new();
    for i in 0..6 {
        l.produce(spec(1, 0, i * 2, 2)).unwrap();
    }
    let err = l.produce(spec(1, 0, 0, 2)).unwrap_err();
    assert!(matches!(err, ProducerStateError::OutOfOrderSequence { sequence, last_sequence, .. }
        if sequence == seq(0) && last_sequence == seq(11)));
    assert_eq!(l.produce(spec(1, 0, 2, 2)), Ok(Produced::Duplicate(off(2), off(3))));
    // Same first sequence but a different range is not a duplicate either.
    assert_eq!(l.produce(spec(1, 0, 2, 3)).unwrap_err().error_code(), ErrorCode::OutOfOrderSequenceNumber);
}

#[test]
fn a_stale_epoch_is_invalid_producer_epoch_even_for_a_retry() {
    let mut l = Leader::new();
    l.produce(spec(1, 2, 0, 1)).unwrap();
    l.produce(spec(1, 3, 0, 1)).unwrap();
    let err = l.produce(spec(1, 2, 1, 1)).unwrap_err();
    assert_eq!(
        err,
        ProducerStateError::InvalidProducerEpoch {
            producer_id: pid(1),
            epoch: ProducerEpoch::new(2),
            current_epoch: ProducerEpoch::new(3)
        }
    );
    assert_eq!(err.error_code(), ErrorCode::InvalidProducerEpoch);
    // The zombie's retry of its own earlier batch is fenced too, not answered as a duplicate.
    assert_eq!(l.produce(spec(1, 2, 0, 1)).unwrap_err().error_code(), ErrorCode::InvalidProducerEpoch);
}

#[test]
fn an_epoch_bump_restarts_sequences_at_zero() {
    let mut l = Leader::new();
    for i in 0..3 {
        l.produce(spec(1, 0, i * 5, 5)).unwrap();
    }
    let err = l.produce(spec(1, 1, 15, 1)).unwrap_err();
    assert!(matches!(err, ProducerStateError::NewEpochSequenceNotZero { .. }));
    assert_eq!(err.error_code(), ErrorCode::OutOfOrderSequenceNumber);
    assert!(matches!(l.produce(spec(1, 1, 0, 2)), Ok(Produced::Appended(..))));
    let e = l.state.entry(pid(1)).unwrap();
    assert_eq!(e.producer_epoch(), ProducerEpoch::new(1));
    assert_eq!(e.batches().len(), 1, "the bump forgot the old epoch's batches");
    assert_eq!(l.produce(spec(1, 1, 2, 1)), Ok(Produced::Appended(off(17), off(17))));
    assert_eq!(l.produce(spec(1, 0, 10, 5)).unwrap_err().error_code(), ErrorCode::InvalidProducerEpoch);
}

#[test]
fn an_unknown_producer_is_accepted_at_any_sequence() {
    // Kafka 4 (since KIP-360) accepts it instead of answering UNKNOWN_PRODUCER_ID: the producer's
    // records may have been removed by retention, or its state expired.
    let mut l = Leader::new();
    assert!(matches!(l.produce(spec(1, 7, 42, 1)), Ok(Produced::Appended(..))));
    assert_eq!(l.state.entry(pid(1)).unwrap().last_sequence(), seq(42));
    // From then on it is tracked like any other.
    assert_eq!(l.produce(spec(1, 7, 44, 1)).unwrap_err().error_code(), ErrorCode::OutOfOrderSequenceNumber);
    assert!(matches!(l.produce(spec(1, 7, 43, 1)), Ok(Produced::Appended(..))));

    // Same after expiry.
    l.state.remove_expired_producers(T0 + DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    assert!(l.state.entry(pid(1)).is_none());
    assert!(matches!(l.produce(spec(1, 7, 1000, 1)), Ok(Produced::Appended(..))));
}

#[test]
fn sequences_wrap_after_i32_max() {
    let mut l = Leader::new();
    l.produce(spec(1, 0, i32::MAX - 2, 3)).unwrap();
    assert_eq!(l.state.entry(pid(1)).unwrap().last_sequence(), seq(i32::MAX));
    assert!(matches!(l.produce(spec(1, 0, 0, 2)), Ok(Produced::Appended(..))));

    // A batch whose own sequences wrap: MAX-1, MAX, 0.
    let mut l = Leader::new();
    l.produce(spec(2, 0, i32::MAX - 4, 3)).unwrap();
    let spanning = spec(2, 0, i32::MAX - 1, 3);
    assert_eq!(l.produce(spanning), Ok(Produced::Appended(off(3), off(5))));
    let last = *l.state.entry(pid(2)).unwrap().batches().last().unwrap();
    assert_eq!((last.first_sequence(), last.last_sequence()), (seq(i32::MAX - 1), seq(0)));
    assert_eq!(l.produce(spanning), Ok(Produced::Duplicate(off(3), off(5))));
    assert!(matches!(l.produce(spec(2, 0, 1, 1)), Ok(Produced::Appended(..))));
    assert_eq!(l.produce(spec(2, 0, 3, 1)).unwrap_err().error_code(), ErrorCode::OutOfOrderSequenceNumber);
}

#[test]
fn batches_of_one_append_are_checked_against_each_other() {
    let mut l = Leader::new();
    l.produce(spec(1, 0, 0, 2)).unwrap();
    let ok = [header(spec(1, 0, 2, 2), 0), header(spec(3, 0, 0, 1), 0), header(spec(1, 0, 4, 1), 0)];
    assert_eq!(l.state.validate_append(AppendOrigin::Client, ok), Ok(AppendCheck::Append));
    let gap = [header(spec(1, 0, 2, 2), 0), header(spec(1, 0, 5, 1), 0)];
    assert!(matches!(
        l.state.validate_append(AppendOrigin::Client, gap),
        Err(ProducerStateError::OutOfOrderSequence { sequence, last_sequence, .. })
            if sequence == seq(5) && last_sequence == seq(3)
    ));
    // Validation changed nothing.
    assert_eq!(l.state.entry(pid(1)).unwrap().last_sequence(), seq(1));
}

#[test]
fn clients_may_not_write_control_batches_or_negative_sequences() {
    let state = ProducerStateManager::default();
    let err = state.validate_batch(AppendOrigin::Client, marker(1, 0, true, 0, 0)).unwrap_err();
    assert_eq!(err, ProducerStateError::ControlBatchFromClient { producer_id: pid(1) });
    assert_eq!(err.error_code(), ErrorCode::InvalidRecord);
    let err = state.validate_batch(AppendOrigin::Client, header(spec(1, 0, -1, 1), 0)).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidRecord);
    assert_eq!(err.producer_id(), pid(1));
}

#[test]
fn transactions_open_with_data_and_close_with_a_marker() {
    let mut l = Leader::new();
    let txn = Spec { transactional: true, ..spec(1, 0, 0, 2) };
    l.produce(spec(5, 0, 0, 1)).unwrap();
    l.produce(txn).unwrap();
    l.produce(Spec { base_sequence: 2, ..txn }).unwrap();
    assert_eq!(l.state.entry(pid(1)).unwrap().current_txn_first_offset(), Some(off(1)));
    // A non-transactional write while the transaction is open.
    let err = l.produce(spec(1, 0, 4, 1)).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::InvalidTxnState);

    l.write_marker(1, 0, true, 4).unwrap();
    let e = l.state.entry(pid(1)).unwrap();
    assert_eq!(e.current_txn_first_offset(), None);
    assert_eq!(e.coordinator_epoch(), 4);
    assert_eq!(e.last_timestamp_ms(), T0 + 500);
    assert_eq!(e.batches().len(), 2, "a marker with the same epoch keeps the batches");

    // A marker from an older coordinator is fenced.
    let err = l.write_marker(1, 0, false, 3).unwrap_err();
    assert_eq!(err.error_code(), ErrorCode::TransactionCoordinatorFenced);
    // So is one with an older producer epoch.
    l.produce(spec(1, 2, 0, 1)).unwrap();
    assert_eq!(l.write_marker(1, 1, false, 4).unwrap_err().error_code(), ErrorCode::InvalidProducerEpoch);
    // Transactions do not expire.
    l.produce(Spec { transactional: true, ..spec(1, 2, 1, 1) }).unwrap();
    assert_eq!(l.state.remove_expired_producers(i64::MAX), 1);
    assert!(l.state.entry(pid(1)).is_some() && l.state.entry(pid(5)).is_none());
}

#[test]
fn empty_control_batches_and_header_only_markers() {
    let mut state = ProducerStateManager::default();
    state.apply_batch(header(Spec { transactional: true, ..spec(1, 0, 0, 1) }, 0));
    // Read from its header alone, a marker keeps the coordinator epoch but closes the
    // transaction and moves the epoch.
    let marker_header = *marker(1, 1, false, 9, 1).header();
    state.apply_batch(marker_header);
    let e = state.entry(pid(1)).unwrap();
    assert_eq!((e.current_txn_first_offset(), e.coordinator_epoch()), (None, NO_COORDINATOR_EPOCH));
    assert_eq!(e.producer_epoch(), ProducerEpoch::new(1));
    assert!(e.is_empty());
    // An empty control batch (its marker cleaned away) changes nothing but the map end offset.
    let mut b = RecordBatchBuilder::default().base_offset(2).producer(7, 0, -1).control(true).transactional(true);
    b.append(T0, Some(&[0, 0, 0, 1]), Some(&[0, 0, 0, 0, 0, 1]), &[]).unwrap();
    let mut raw = b.build().unwrap().to_vec();
    raw[57..61].copy_from_slice(&0i32.to_be_bytes()); // recordCount 0, as after cleaning
    let empty = RecordBatchHeader::peek(&raw).unwrap();
    state.apply_batch(empty);
    assert!(state.entry(pid(7)).is_none());
    assert_eq!(state.map_end_offset(), off(3));
}

#[test]
fn followers_apply_without_checks_and_can_then_lead() {
    let mut follower = ProducerStateManager::default();
    // What a leader wrote: a gap and an epoch going backwards are the log's truth here.
    follower.apply_append([header(spec(1, 0, 0, 2), 0), header(spec(1, 0, 10, 2), 2), header(spec(1, 1, 0, 1), 4)]);
    follower.apply_batch(header(spec(1, 1, 1, 2), 5));
    let e = follower.entry(pid(1)).unwrap();
    assert_eq!((e.producer_epoch(), e.last_sequence(), e.last_data_offset()), (ProducerEpoch::new(1), seq(2), off(6)));
    assert_eq!(follower.map_end_offset(), off(7));

    // Promoted, it answers the client's retry of the last batch as a duplicate.
    let retry = follower.validate_batch(AppendOrigin::Client, header(spec(1, 1, 1, 2), 0)).unwrap();
    assert!(matches!(retry, AppendCheck::Duplicate(m) if m.first_offset() == off(5) && m.last_offset() == off(6)));
    assert_eq!(follower.validate_batch(AppendOrigin::Client, header(spec(1, 1, 3, 1), 0)), Ok(AppendCheck::Append));
    assert!(follower.validate_batch(AppendOrigin::Client, header(spec(1, 0, 12, 1), 0)).is_err());
}

/// A leader that has seen a bit of everything: several producers, retries, an epoch bump,
/// non-idempotent batches, transactions and their markers.
fn workload() -> Leader {
    let mut l = Leader::new();
    for round in 0..8i32 {
        l.produce(spec(1, 0, round * 2, 2)).unwrap();
        // Producer 2 is re-initialised half way through.
        let (epoch, sequence) = if round < 4 { (3, round) } else { (4, round - 4) };
        l.produce(spec(2, epoch, sequence, 1)).unwrap();
        l.produce(spec(-1, -1, -1, 3)).unwrap();
        assert!(matches!(l.produce(spec(2, epoch, sequence, 1)), Ok(Produced::Duplicate(..))));
        if round % 3 == 0 {
            let txn = 10 + i64::from(round);
            l.produce(Spec { transactional: true, ..spec(txn, 0, 0, 2) }).unwrap();
            l.write_marker(txn, 0, round % 2 == 0, round).unwrap();
        }
    }
    l
}

#[test]
fn rebuilding_from_the_log_equals_the_incremental_state() {
    let l = workload();
    let mut rebuilt = ProducerStateManager::default();
    rebuilt.load_from_batches(&l.log);
    assert_eq!(state_of(&rebuilt), state_of(&l.state));
    assert_eq!(rebuilt.map_end_offset(), l.state.map_end_offset());
    assert!(l.state.producer_count() >= 5);
}

#[test]
fn snapshot_bytes_round_trip_keeping_each_producers_last_batch() {
    let l = workload();
    let bytes = l.state.snapshot_bytes().unwrap();
    assert_eq!(bytes.len(), 10 + SNAPSHOT_ENTRY_BYTES * l.state.producer_count());
    let decoded: BTreeMap<ProducerId, ProducerStateEntry> = decode_snapshot(&bytes).unwrap().into_iter().collect();
    assert_eq!(decoded.len(), l.state.producer_count());
    for (id, original) in state_of(&l.state) {
        let restored = &decoded[&id];
        assert_eq!(restored.producer_epoch(), original.producer_epoch());
        assert_eq!(restored.coordinator_epoch(), original.coordinator_epoch());
        assert_eq!(restored.last_timestamp_ms(), original.last_timestamp_ms());
        assert_eq!(restored.current_txn_first_offset(), original.current_txn_first_offset());
        assert_eq!(restored.batches().len(), usize::from(!original.is_empty()));
        if let (Some(r), Some(o)) = (restored.batches().last(), original.batches().last()) {
            assert_eq!((r.first_sequence(), r.last_sequence()), (o.first_sequence(), o.last_sequence()));
            assert_eq!((r.first_offset(), r.last_offset()), (o.first_offset(), o.last_offset()));
        }
    }
    // Encoding what was decoded gives the same bytes.
    let again = encode_snapshot(decoded.iter().map(|(id, e)| (*id, e))).unwrap();
    assert_eq!(again, bytes);
}

/// Kafka's layout, assembled by hand from ProducerSnapshot.json.
fn kafka_snapshot_bytes(entries: &[[i64; 8]]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(entries.len() as i32).to_be_bytes());
    for [producer_id, epoch, last_seq, last_offset, delta, ts, coord, txn] in entries {
        body.extend_from_slice(&producer_id.to_be_bytes());
        body.extend_from_slice(&(*epoch as i16).to_be_bytes());
        body.extend_from_slice(&(*last_seq as i32).to_be_bytes());
        body.extend_from_slice(&last_offset.to_be_bytes());
        body.extend_from_slice(&(*delta as i32).to_be_bytes());
        body.extend_from_slice(&ts.to_be_bytes());
        body.extend_from_slice(&(*coord as i32).to_be_bytes());
        body.extend_from_slice(&txn.to_be_bytes());
    }
    let mut out = 1i16.to_be_bytes().to_vec();
    out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

#[test]
fn snapshots_use_kafkas_layout() {
    let bytes = kafka_snapshot_bytes(&[[77, 3, 14, 120, 4, T0, 2, 118], [78, 0, -1, -1, 0, T0 - 5, -1, -1]]);
    let entries = decode_snapshot(&bytes).unwrap();
    let (id, e) = &entries[0];
    assert_eq!(*id, pid(77));
    assert_eq!(e.producer_epoch(), ProducerEpoch::new(3));
    let b = e.batches()[0];
    assert_eq!(
        (b.first_sequence(), b.last_sequence(), b.first_offset(), b.last_offset()),
        (seq(10), seq(14), off(116), off(120))
    );
    assert_eq!((e.last_timestamp_ms(), e.coordinator_epoch(), e.current_txn_first_offset()), (T0, 2, Some(off(118))));
    let (id, e) = &entries[1];
    assert_eq!((*id, e.is_empty(), e.current_txn_first_offset()), (pid(78), true, None));
    let encoded = encode_snapshot(entries.iter().map(|(id, e)| (*id, e))).unwrap();
    assert_eq!(encoded, bytes);
}

#[test]
fn corrupt_snapshots_are_refused_with_a_reason() {
    let good = kafka_snapshot_bytes(&[[77, 3, 14, 120, 4, T0, 2, -1], [78, 1, 0, 5, 0, T0, -1, -1]]);
    let reseal = |mut b: Vec<u8>| {
        let crc = crc32c::crc32c(&b[6..]);
        b[2..6].copy_from_slice(&crc.to_be_bytes());
        b
    };

    let mut flipped = good.clone();
    flipped[30] ^= 0x40;
    assert!(matches!(decode_snapshot(&flipped), Err(CorruptSnapshot::CrcMismatch { .. })));
    assert!(matches!(decode_snapshot(&good[..good.len() - 5]), Err(CorruptSnapshot::CrcMismatch { .. })));
    assert!(matches!(decode_snapshot(&good[..7]), Err(CorruptSnapshot::TooShort { .. })));
    assert!(matches!(decode_snapshot(&[]), Err(CorruptSnapshot::TooShort { .. })));

    let mut version = good.clone();
    version[1] = 2;
    assert_eq!(decode_snapshot(&version).unwrap_err(), CorruptSnapshot::UnsupportedVersion(2));

    // A torn tail with a CRC that happens to match: the count no longer fits the bytes.
    let torn = reseal(good[..good.len() - 5].to_vec());
    assert!(matches!(decode_snapshot(&torn), Err(CorruptSnapshot::EntryCountExceedsData { count: 2, .. })));
    // An absurd count is refused before anything is allocated for it.
    let mut absurd = good.clone();
    absurd[6..10].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(decode_snapshot(&reseal(absurd)), Err(CorruptSnapshot::EntryCountExceedsData { .. })));
    let mut negative = good.clone();
    negative[6..10].copy_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(decode_snapshot(&reseal(negative)).unwrap_err(), CorruptSnapshot::NegativeEntryCount(-1));
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0; 3]);
    assert_eq!(decode_snapshot(&reseal(trailing)).unwrap_err(), CorruptSnapshot::TrailingBytes { extra: 3 });

    let bad_entry = kafka_snapshot_bytes(&[[-5, 0, 0, 0, 0, T0, -1, -1]]);
    assert!(matches!(decode_snapshot(&bad_entry), Err(CorruptSnapshot::InvalidEntry { index: 0, .. })));
    let bad_delta = kafka_snapshot_bytes(&[[5, 0, 3, 2, 3, T0, -1, -1]]);
    assert!(matches!(decode_snapshot(&bad_delta), Err(CorruptSnapshot::InvalidEntry { .. })));
    let twice = kafka_snapshot_bytes(&[[5, 0, 0, 0, 0, T0, -1, -1], [5, 0, 1, 1, 0, T0, -1, -1]]);
    assert_eq!(decode_snapshot(&twice).unwrap_err(), CorruptSnapshot::DuplicateProducer(pid(5)));
}

#[test]
fn snapshot_files_are_named_by_offset_written_atomically_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = workload();
    assert_eq!(snapshot_file_name(off(1234)), "00000000000000001234.snapshot");
    assert_eq!(snapshot_offset_from_file_name("00000000000000001234.snapshot"), Some(off(1234)));
    assert_eq!(snapshot_offset_from_file_name("00000000000000001234.snapshot.tmp"), None);
    assert_eq!(snapshot_offset_from_file_name("00000000000000001234.log"), None);
    assert_eq!(snapshot_offset_from_file_name("-1.snapshot"), None);

    let path = l.state.take_snapshot(dir.path()).unwrap().unwrap();
    assert_eq!(path.file_name().unwrap().to_str().unwrap(), snapshot_file_name(l.state.map_end_offset()));
    assert_eq!(std::fs::read(&path).unwrap(), l.state.snapshot_bytes().unwrap());
    assert_eq!(l.state.take_snapshot(dir.path()).unwrap(), None, "nothing new since the last one");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");

    let mut loaded = ProducerStateManager::default();
    let replay_from = loaded.reload_latest_snapshot(dir.path(), off(0), T0).unwrap();
    assert_eq!(replay_from, l.state.map_end_offset());
    assert_eq!(loaded.map_end_offset(), l.state.map_end_offset());
    assert_eq!(loaded.snapshot_bytes().unwrap(), l.state.snapshot_bytes().unwrap());
}

#[test]
fn only_the_newest_snapshots_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Leader::new();
    for i in 0..6 {
        l.produce(spec(1, 0, i, 1)).unwrap();
        l.state.take_snapshot(dir.path()).unwrap().unwrap();
    }
    let offsets: Vec<i64> = list_snapshot_files(dir.path()).unwrap().iter().map(|f| f.offset.get()).collect();
    assert_eq!(offsets, [4, 5, 6]);
}

#[test]
fn a_corrupt_snapshot_is_deleted_and_an_older_one_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Leader::new();
    l.produce(spec(1, 0, 0, 1)).unwrap();
    l.state.take_snapshot(dir.path()).unwrap();
    l.produce(spec(1, 0, 1, 1)).unwrap();
    let newest = l.state.take_snapshot(dir.path()).unwrap().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&newest, bytes).unwrap();
    assert!(matches!(
        read_snapshot_file(&newest),
        Err(SnapshotError::Corrupt { reason: CorruptSnapshot::CrcMismatch { .. }, .. })
    ));

    let mut state = ProducerStateManager::default();
    assert_eq!(state.reload_latest_snapshot(dir.path(), off(0), T0).unwrap(), off(1));
    assert!(!newest.exists());
    assert_eq!(state.entry(pid(1)).unwrap().last_sequence(), seq(0));
    // Replaying the rest of the log gives the state back.
    state.load_from_batches(&l.log[1..]);
    assert_eq!(state.snapshot_bytes().unwrap(), l.state.snapshot_bytes().unwrap());
}

#[test]
fn truncation_reloads_a_snapshot_and_replays_to_the_prefix_state() {
    let full = workload();
    let boundaries: Vec<i64> = full.log.iter().map(|b| b.header().next_offset()).collect();
    for (cut_index, &cut) in boundaries.iter().enumerate().step_by(3) {
        let dir = tempfile::tempdir().unwrap();
        // Replay the same log into a replica that snapshots every fourth batch.
        let mut replica =
            ProducerStateManager::new(ProducerStateConfig { snapshots_retained: 100, ..Default::default() });
        for (i, batch) in full.log.iter().enumerate() {
            replica.apply_batch(batch);
            if i % 4 == 3 {
                replica.take_snapshot(dir.path()).unwrap();
            }
        }
        let replay_from = replica.truncate_and_reload(dir.path(), off(0), off(cut), T0).unwrap();
        assert!(replay_from.get() <= cut);
        if cut_index >= 3 {
            assert!(replay_from.get() > 0, "a snapshot at or before {cut} was used");
        }
        assert!(list_snapshot_files(dir.path()).unwrap().iter().all(|f| f.offset.get() <= cut));
        replica.load_from_batches(
            full.log.iter().filter(|b| b.base_offset() >= replay_from && b.base_offset() < off(cut)),
        );
        replica.set_map_end_offset(off(cut));

        let mut expected = ProducerStateManager::default();
        expected.load_from_batches(&full.log[..=cut_index]);
        assert_eq!(replica.map_end_offset(), expected.map_end_offset());
        // What a snapshot keeps (every field, and the last batch) matches exactly; retained
        // batches are the newest of the prefix's, fewer if a snapshot stood in for older ones.
        // (A batch restored from a snapshot carries the entry's last timestamp, as in Kafka.)
        assert_eq!(replica.snapshot_bytes().unwrap(), expected.snapshot_bytes().unwrap(), "cut at {cut}");
        let ranges = |batches: &[BatchMetadata]| -> Vec<(Sequence, Sequence, Offset, Offset)> {
            batches.iter().map(|b| (b.first_sequence(), b.last_sequence(), b.first_offset(), b.last_offset())).collect()
        };
        for (id, entry) in replica.producers() {
            let all = ranges(expected.entry(id).unwrap().batches());
            assert!(all.ends_with(&ranges(entry.batches())), "cut at {cut}, producer {id}");
        }
    }
}

#[test]
fn truncation_without_snapshots_replays_from_the_log_start_exactly() {
    let full = workload();
    let dir = tempfile::tempdir().unwrap();
    let mut replica = ProducerStateManager::default();
    replica.load_from_batches(&full.log);
    let cut = full.log[10].header().next_offset();
    assert_eq!(replica.truncate_and_reload(dir.path(), off(0), off(cut), T0).unwrap(), off(0));
    assert!(replica.is_empty());
    replica.load_from_batches(&full.log[..=10]);
    let mut expected = ProducerStateManager::default();
    expected.load_from_batches(&full.log[..=10]);
    assert_eq!(state_of(&replica), state_of(&expected));

    // Already at the requested end: nothing to reload or replay.
    assert_eq!(replica.truncate_and_reload(dir.path(), off(0), off(cut), T0).unwrap(), off(cut));
    assert_eq!(state_of(&replica), state_of(&expected));
}

#[test]
fn snapshots_follow_the_log_start_and_full_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Leader::new();
    for i in 0..3 {
        l.produce(spec(1, 0, i * 2, 2)).unwrap();
        l.state.take_snapshot(dir.path()).unwrap();
    }
    l.state.on_log_start_offset_incremented(dir.path(), off(4)).unwrap();
    let offsets: Vec<i64> = list_snapshot_files(dir.path()).unwrap().iter().map(|f| f.offset.get()).collect();
    assert_eq!(offsets, [4, 6]);
    assert!(l.state.entry(pid(1)).is_some(), "in-memory state survives, as in Kafka");
    // On reload, a snapshot at or before the log start no longer counts.
    let mut state = ProducerStateManager::default();
    assert_eq!(state.truncate_and_reload(dir.path(), off(6), off(6), T0).unwrap(), off(6));
    assert!(list_snapshot_files(dir.path()).unwrap().is_empty());

    l.state.take_snapshot(dir.path()).unwrap();
    l.state.truncate_fully(dir.path(), off(100)).unwrap();
    assert!(l.state.is_empty() && list_snapshot_files(dir.path()).unwrap().is_empty());
    assert_eq!(l.state.map_end_offset(), off(100));
}

#[test]
fn idle_producers_expire_and_stay_expired_on_reload() {
    let config = ProducerStateConfig { producer_id_expiration_ms: 1_000, ..Default::default() };
    let mut state = ProducerStateManager::new(config);
    state.apply_batch(header(Spec { timestamp: T0, ..spec(1, 0, 0, 1) }, 0));
    state.apply_batch(header(Spec { timestamp: T0 + 500, ..spec(2, 0, 0, 1) }, 1));
    state.apply_batch(header(Spec { timestamp: T0, transactional: true, ..spec(3, 0, 0, 1) }, 2));
    let bytes = state.snapshot_bytes().unwrap();

    assert_eq!(state.remove_expired_producers(T0 + 999), 0);
    assert_eq!(state.remove_expired_producers(T0 + 1_000), 1);
    assert!(state.entry(pid(1)).is_none() && state.entry(pid(2)).is_some() && state.entry(pid(3)).is_some());

    let mut reloaded = ProducerStateManager::new(config);
    reloaded.restore_snapshot(off(3), decode_snapshot(&bytes).unwrap(), T0 + 1_500);
    let ids: Vec<i64> = state_of(&reloaded).keys().map(|id| id.get()).collect();
    assert_eq!(ids, [3], "producer 2 expired too by then; the open transaction keeps 3");
}

#[test]
fn error_codes_follow_kafka() {
    let id = pid(1);
    let e = ProducerEpoch::new(0);
    let cases = [
        (ProducerStateError::InvalidProducerEpoch { producer_id: id, epoch: e, current_epoch: e }, 47),
        (
            ProducerStateError::OutOfOrderSequence {
                producer_id: id,
                epoch: e,
                sequence: seq(1),
                last_sequence: seq(3),
            },
            45,
        ),
        (
            ProducerStateError::NewEpochSequenceNotZero {
                producer_id: id,
                epoch: e,
                current_epoch: e,
                sequence: seq(1),
            },
            45,
        ),
        (ProducerStateError::InvalidSequence { producer_id: id, sequence: seq(-1) }, 87),
        (ProducerStateError::ControlBatchFromClient { producer_id: id }, 87),
        (ProducerStateError::InvalidTxnState { producer_id: id }, 48),
        (
            ProducerStateError::CoordinatorFenced {
                producer_id: id,
                coordinator_epoch: 1,
                current_coordinator_epoch: 2,
            },
            52,
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.error_code().code(), code, "{error}");
    }
}

#[test]
fn an_entry_is_small() {
    assert!(std::mem::size_of::<ProducerStateEntry>() + std::mem::size_of::<ProducerId>() <= APPROX_BYTES_PER_PRODUCER);
}
