//! Rewriting a batch header in place, the way a leader stamps a produced batch before appending.
//!
//! baseOffset and partitionLeaderEpoch precede the CRC and are not covered by it, so changing
//! them is a plain write. A LogAppendTime stamp changes the attributes and maxTimestamp, which
//! are covered; the CRC is then updated from its old value (see `crc.rs`) so the payload is never
//! re-read and a batch that arrived corrupt stays detectably corrupt.
//!
//! The header-level functions here work on the 61 header bytes plus the payload length, so the
//! in-place [`RecordBatchMut`] and the copy-free [`super::StampedBatch`] share one
//! implementation and cannot drift apart.

use super::attributes::TimestampType;
use super::crc::{stored_crc, updated_crc};
use super::error::RecordsError;
use super::header::{
    put, HeaderBytes, RecordBatchHeader, ATTRIBUTES_AT, BASE_OFFSET_AT, CRC_AT, CRC_START, LEADER_EPOCH_AT,
    MAX_TIMESTAMP_AT, RECORD_BATCH_OVERHEAD,
};

pub(crate) fn write_base_offset(h: &mut HeaderBytes, offset: i64) {
    put(h, BASE_OFFSET_AT, &offset.to_be_bytes());
}

pub(crate) fn write_partition_leader_epoch(h: &mut HeaderBytes, epoch: i32) {
    put(h, LEADER_EPOCH_AT, &epoch.to_be_bytes());
}

/// Sets the timestamp type bit and maxTimestamp, then updates the CRC. `payload_len` is the
/// number of covered bytes after the header.
pub(crate) fn write_max_timestamp(h: &mut HeaderBytes, payload_len: usize, kind: TimestampType, max_timestamp: i64) {
    let before = RecordBatchHeader::decode(h);
    if before.timestamp_type() == kind && before.max_timestamp() == max_timestamp {
        return;
    }
    let mut old_region = [0u8; RECORD_BATCH_OVERHEAD - CRC_START];
    old_region.copy_from_slice(&h[CRC_START..]);

    let attributes = before.attributes().with_timestamp_type(kind);
    put(h, ATTRIBUTES_AT, &attributes.bits().to_be_bytes());
    put(h, MAX_TIMESTAMP_AT, &max_timestamp.to_be_bytes());

    let crc = updated_crc(stored_crc(h), &old_region, &h[CRC_START..], payload_len);
    put(h, CRC_AT, &crc.to_be_bytes());
}

/// A mutable view of the batch at the start of a buffer, for rewriting its header in place.
#[derive(Debug)]
pub struct RecordBatchMut<'a> {
    header: &'a mut HeaderBytes,
    payload_len: usize,
}

impl<'a> RecordBatchMut<'a> {
    /// Checks the header of the batch at the start of `buf` (as [`RecordBatchHeader::peek`])
    /// and that the whole batch is present. Bytes after it are left alone.
    ///
    /// The CRC is not verified here: the rewrite keeps it exactly as valid as it was, so verify
    /// first (e.g. with [`RecordBatchHeader::parse`]) when the input is untrusted.
    pub fn new(buf: &'a mut [u8]) -> Result<Self, RecordsError> {
        let available = buf.len();
        let total = RecordBatchHeader::peek(buf)?.total_size();
        let batch =
            buf.get_mut(..total).ok_or(RecordsError::BatchLengthExceedsAvailable { declared: total, available })?;
        let (header, payload) = batch
            .split_first_chunk_mut::<RECORD_BATCH_OVERHEAD>()
            .ok_or(RecordsError::TooShort { needed: RECORD_BATCH_OVERHEAD, available })?;
        Ok(Self { header, payload_len: payload.len() })
    }

    /// The header as it now reads.
    pub fn header(&self) -> RecordBatchHeader {
        RecordBatchHeader::decode(self.header)
    }

    /// Sets baseOffset (not covered by the CRC).
    pub fn set_base_offset(&mut self, offset: i64) {
        write_base_offset(self.header, offset);
    }

    /// Sets partitionLeaderEpoch (not covered by the CRC).
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        write_partition_leader_epoch(self.header, epoch);
    }

    /// Sets the timestamp type and maxTimestamp and updates the CRC, as Kafka's
    /// `setMaxTimestamp` does. A no-op if both already have these values.
    pub fn set_max_timestamp(&mut self, kind: TimestampType, max_timestamp: i64) {
        write_max_timestamp(self.header, self.payload_len, kind, max_timestamp);
    }

    /// Stamps the batch with the broker's append time (LogAppendTime topics).
    pub fn set_log_append_time(&mut self, append_time: i64) {
        self.set_max_timestamp(TimestampType::LogAppendTime, append_time);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, sample_inputs};
    use crate::records::{batch_crc, Compression, RecordBatch};

    #[test]
    fn offset_and_epoch_leave_the_crc_alone() {
        let original = build(Compression::Gzip, &sample_inputs(5));
        let mut bytes = original.to_vec();
        let mut m = RecordBatchMut::new(&mut bytes).unwrap();
        m.set_base_offset(1_000_000);
        m.set_partition_leader_epoch(12);
        let h = m.header();
        assert_eq!((h.base_offset(), h.partition_leader_epoch()), (1_000_000, 12));
        assert_eq!(&bytes[17..], &original[17..], "covered bytes and CRC unchanged");
        let batch = RecordBatch::parse(bytes.into()).unwrap();
        let offsets: Vec<_> = batch.records(1 << 20).map(|r| r.unwrap().offset).collect();
        assert_eq!(offsets, (1_000_000..1_000_005).collect::<Vec<_>>());
    }

    #[test]
    fn log_append_time_keeps_the_crc_valid() {
        for codec in Compression::ALL {
            let mut bytes = build(codec, &sample_inputs(6)).to_vec();
            let mut m = RecordBatchMut::new(&mut bytes).unwrap();
            m.set_log_append_time(1_800_000_000_000);
            let h = m.header();
            assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
            assert_eq!(h.max_timestamp(), 1_800_000_000_000);
            assert_eq!(h.crc(), batch_crc(&bytes), "{codec}: updated CRC equals recomputation");
            assert!(crate::records::RecordBatchHeader::parse(&bytes).is_ok());

            // And back to CreateTime.
            let mut m = RecordBatchMut::new(&mut bytes).unwrap();
            m.set_max_timestamp(TimestampType::CreateTime, 5);
            assert_eq!(m.header().timestamp_type(), TimestampType::CreateTime);
            assert!(crate::records::RecordBatchHeader::parse(&bytes).is_ok());
        }
    }

    #[test]
    fn a_corrupt_batch_stays_corrupt() {
        let mut bytes = build(Compression::None, &sample_inputs(3)).to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        RecordBatchMut::new(&mut bytes).unwrap().set_log_append_time(7);
        assert!(matches!(crate::records::RecordBatchHeader::parse(&bytes), Err(RecordsError::CrcMismatch { .. })));
    }

    #[test]
    fn unchanged_stamp_is_a_no_op() {
        let original = build(Compression::None, &sample_inputs(3));
        let max = crate::records::RecordBatchHeader::parse(&original).unwrap().max_timestamp();
        let mut bytes = original.to_vec();
        RecordBatchMut::new(&mut bytes).unwrap().set_max_timestamp(TimestampType::CreateTime, max);
        assert_eq!(bytes, original);
    }

    #[test]
    fn only_the_first_batch_is_touched_and_short_buffers_fail() {
        let one = build(Compression::None, &sample_inputs(2));
        let mut two = [&one[..], &one[..]].concat();
        RecordBatchMut::new(&mut two).unwrap().set_log_append_time(1);
        assert_eq!(&two[one.len()..], &one[..]);

        let mut short = one[..one.len() - 1].to_vec();
        assert!(matches!(RecordBatchMut::new(&mut short), Err(RecordsError::BatchLengthExceedsAvailable { .. })));
        let mut tiny = one[..40].to_vec();
        assert!(matches!(RecordBatchMut::new(&mut tiny), Err(RecordsError::TooShort { .. })));
    }
}
