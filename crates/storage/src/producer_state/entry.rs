//! One producer's state in one partition: its epoch, the metadata of its last five batches, and
//! its transaction fields (Kafka's `ProducerStateEntry` and `BatchMetadata`).

use flotilla_model::{Offset, ProducerEpoch, Sequence};

/// Batches remembered per producer for duplicate detection (Kafka's
/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`). It matches the idempotent producer's cap on
/// `max.in.flight.requests.per.connection`, so every batch a client may still retry is remembered.
pub const BATCHES_RETAINED: usize = 5;

/// Coordinator epoch of a producer that never had a transaction marker.
pub const NO_COORDINATOR_EPOCH: i32 = -1;

/// Timestamp of a producer that has written nothing yet (Kafka's `RecordBatch.NO_TIMESTAMP`).
pub const NO_TIMESTAMP: i64 = -1;

/// Sequence numbers live in `0..=i32::MAX` and wrap to 0 after `i32::MAX`.
const SEQUENCE_SPACE: i64 = i32::MAX as i64 + 1;

/// Whether `next` directly follows `last`, wrapping at `i32::MAX` (Kafka's `inSequence`).
pub(crate) fn in_sequence(last: Sequence, next: Sequence) -> bool {
    i64::from(next.get()) == i64::from(last.get()) + 1 || (next.get() == 0 && last.get() == i32::MAX)
}

/// `sequence - by` in the wrapping sequence space (Kafka's `DefaultRecordBatch.decrementSequence`).
pub(crate) fn decrement_sequence(sequence: Sequence, by: i32) -> Sequence {
    let value = (i64::from(sequence.get()) - i64::from(by)).rem_euclid(SEQUENCE_SPACE);
    // rem_euclid by 2^31 leaves a value in 0..=i32::MAX.
    Sequence::new(i32::try_from(value).unwrap_or(i32::MAX))
}

/// What is remembered of one appended batch. Kafka stores the last sequence, last offset and
/// offset delta and derives the first ones; so does this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    last_sequence: Sequence,
    last_offset: Offset,
    offset_delta: i32,
    timestamp_ms: i64,
}

impl BatchMetadata {
    const PLACEHOLDER: BatchMetadata =
        BatchMetadata { last_sequence: Sequence::NONE, last_offset: Offset::UNKNOWN, offset_delta: 0, timestamp_ms: 0 };

    /// `offset_delta` is `last_offset - first_offset`, i.e. the batch's lastOffsetDelta; negative
    /// values are clamped to 0 (headers and snapshots are validated before they get here).
    pub fn new(last_sequence: Sequence, last_offset: Offset, offset_delta: i32, timestamp_ms: i64) -> Self {
        Self { last_sequence, last_offset, offset_delta: offset_delta.max(0), timestamp_ms }
    }

    /// Sequence of the batch's first record.
    pub fn first_sequence(&self) -> Sequence {
        decrement_sequence(self.last_sequence, self.offset_delta)
    }

    /// Sequence of the batch's last record.
    pub fn last_sequence(&self) -> Sequence {
        self.last_sequence
    }

    /// Offset of the batch's first record, as assigned when it was appended.
    pub fn first_offset(&self) -> Offset {
        Offset::new(self.last_offset.get().saturating_sub(i64::from(self.offset_delta)))
    }

    /// Offset of the batch's last record.
    pub fn last_offset(&self) -> Offset {
        self.last_offset
    }

    /// `last_offset - first_offset`.
    pub fn offset_delta(&self) -> i32 {
        self.offset_delta
    }

    /// The batch's max timestamp (what Kafka answers as the log append time of a duplicate). A
    /// batch restored from a snapshot carries the entry's last timestamp instead, as in Kafka.
    pub fn timestamp_ms(&self) -> i64 {
        self.timestamp_ms
    }
}

/// The last [`BATCHES_RETAINED`] batches, oldest first, stored inline so an entry needs no heap
/// allocation of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecentBatches {
    slots: [BatchMetadata; BATCHES_RETAINED],
    len: usize,
}

impl RecentBatches {
    const EMPTY: RecentBatches = RecentBatches { slots: [BatchMetadata::PLACEHOLDER; BATCHES_RETAINED], len: 0 };

    fn as_slice(&self) -> &[BatchMetadata] {
        self.slots.get(..self.len).unwrap_or(&[])
    }

    fn push(&mut self, batch: BatchMetadata) {
        if self.len == BATCHES_RETAINED {
            self.slots.copy_within(1.., 0);
            self.len -= 1;
        }
        if let Some(slot) = self.slots.get_mut(self.len) {
            *slot = batch;
            self.len += 1;
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// The state of one producer id in one partition.
///
/// Invariant (as in Kafka): every retained batch was written with the current `producer_epoch`,
/// because changing the epoch clears them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStateEntry {
    producer_epoch: ProducerEpoch,
    batches: RecentBatches,
    coordinator_epoch: i32,
    last_timestamp_ms: i64,
    current_txn_first_offset: Option<Offset>,
}

impl ProducerStateEntry {
    /// A producer nothing is known about (Kafka's `ProducerStateEntry.empty`).
    pub fn empty() -> Self {
        Self {
            producer_epoch: ProducerEpoch::NONE,
            batches: RecentBatches::EMPTY,
            coordinator_epoch: NO_COORDINATOR_EPOCH,
            last_timestamp_ms: NO_TIMESTAMP,
            current_txn_first_offset: None,
        }
    }

    /// An entry as a snapshot stores it: the fields and at most the last batch.
    pub fn restored(
        producer_epoch: ProducerEpoch,
        coordinator_epoch: i32,
        last_timestamp_ms: i64,
        current_txn_first_offset: Option<Offset>,
        last_batch: Option<BatchMetadata>,
    ) -> Self {
        let mut batches = RecentBatches::EMPTY;
        if let Some(batch) = last_batch {
            batches.push(batch);
        }
        Self { producer_epoch, batches, coordinator_epoch, last_timestamp_ms, current_txn_first_offset }
    }

    /// A copy with the same fields but no batches: the starting point Kafka's `ProducerAppendInfo`
    /// validates an append against.
    pub(crate) fn without_batches(&self) -> Self {
        Self { batches: RecentBatches::EMPTY, ..self.clone() }
    }

    /// The producer's current epoch ([`ProducerEpoch::NONE`] if unknown).
    pub fn producer_epoch(&self) -> ProducerEpoch {
        self.producer_epoch
    }

    /// Epoch of the transaction coordinator that wrote this producer's last marker.
    pub fn coordinator_epoch(&self) -> i32 {
        self.coordinator_epoch
    }

    /// Max timestamp of the last batch or marker; what expiry measures idleness from.
    pub fn last_timestamp_ms(&self) -> i64 {
        self.last_timestamp_ms
    }

    /// First offset of the producer's open transaction in this partition, if one is open.
    pub fn current_txn_first_offset(&self) -> Option<Offset> {
        self.current_txn_first_offset
    }

    /// The retained batches, oldest first.
    pub fn batches(&self) -> &[BatchMetadata] {
        self.batches.as_slice()
    }

    /// Whether no batch is retained (none written in this epoch, or restored without one).
    pub fn is_empty(&self) -> bool {
        self.batches.len == 0
    }

    /// First sequence of the oldest retained batch ([`Sequence::NONE`] if none).
    pub fn first_sequence(&self) -> Sequence {
        self.batches().first().map_or(Sequence::NONE, BatchMetadata::first_sequence)
    }

    /// Last sequence of the newest retained batch ([`Sequence::NONE`] if none).
    pub fn last_sequence(&self) -> Sequence {
        self.batches().last().map_or(Sequence::NONE, BatchMetadata::last_sequence)
    }

    /// Last offset of the newest retained batch ([`Offset::UNKNOWN`] if none).
    pub fn last_data_offset(&self) -> Offset {
        self.batches().last().map_or(Offset::UNKNOWN, BatchMetadata::last_offset)
    }

    /// Offset delta of the newest retained batch (0 if none).
    pub fn last_offset_delta(&self) -> i32 {
        self.batches().last().map_or(0, BatchMetadata::offset_delta)
    }

    /// The retained batch with exactly this epoch and sequence range, if any: a client retry of
    /// a batch already in the log (Kafka's `findDuplicateBatch`).
    pub fn find_duplicate(
        &self,
        epoch: ProducerEpoch,
        first_sequence: Sequence,
        last_sequence: Sequence,
    ) -> Option<&BatchMetadata> {
        if epoch != self.producer_epoch {
            return None;
        }
        self.batches().iter().find(|b| b.first_sequence() == first_sequence && b.last_sequence() == last_sequence)
    }

    /// Records an appended data batch; a different epoch first clears the retained batches.
    pub(crate) fn add_batch(&mut self, epoch: ProducerEpoch, batch: BatchMetadata) {
        self.maybe_update_epoch(epoch);
        self.batches.push(batch);
        self.last_timestamp_ms = batch.timestamp_ms;
    }

    /// Records a transaction marker (Kafka's `update(epoch, coordinatorEpoch, timestamp)`).
    pub(crate) fn end_transaction(&mut self, epoch: ProducerEpoch, coordinator_epoch: i32, timestamp_ms: i64) {
        self.maybe_update_epoch(epoch);
        self.coordinator_epoch = coordinator_epoch;
        self.current_txn_first_offset = None;
        self.last_timestamp_ms = timestamp_ms;
    }

    pub(crate) fn set_current_txn_first_offset(&mut self, offset: Offset) {
        self.current_txn_first_offset = Some(offset);
    }

    fn maybe_update_epoch(&mut self, epoch: ProducerEpoch) {
        if self.producer_epoch != epoch {
            self.batches.clear();
            self.producer_epoch = epoch;
        }
    }
}

impl Default for ProducerStateEntry {
    fn default() -> Self {
        Self::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: i32) -> Sequence {
        Sequence::new(n)
    }

    #[test]
    fn sequence_arithmetic_wraps_at_i32_max() {
        assert!(in_sequence(seq(4), seq(5)));
        assert!(!in_sequence(seq(4), seq(6)));
        assert!(!in_sequence(seq(4), seq(4)));
        assert!(in_sequence(seq(i32::MAX), seq(0)));
        assert!(in_sequence(Sequence::NONE, seq(0)));
        assert_eq!(decrement_sequence(seq(10), 3), seq(7));
        assert_eq!(decrement_sequence(seq(0), 2), seq(i32::MAX - 1));
        assert_eq!(decrement_sequence(seq(1), 2), seq(i32::MAX));
    }

    #[test]
    fn only_the_last_five_batches_are_kept() {
        let mut entry = ProducerStateEntry::empty();
        for i in 0..7 {
            entry.add_batch(ProducerEpoch::new(0), BatchMetadata::new(seq(i), Offset::new(i64::from(i)), 0, 0));
        }
        let firsts: Vec<i32> = entry.batches().iter().map(|b| b.first_sequence().get()).collect();
        assert_eq!(firsts, [2, 3, 4, 5, 6]);
        assert_eq!((entry.first_sequence(), entry.last_sequence()), (seq(2), seq(6)));
        entry.add_batch(ProducerEpoch::new(1), BatchMetadata::new(seq(0), Offset::new(9), 0, 0));
        assert_eq!(entry.batches().len(), 1);
    }
}
