//! Building a batch for a client to produce (or for the broker to write control markers).
//!
//! Records are encoded as they are appended, into a buffer that already reserves the 61 header
//! bytes. An uncompressed batch is then finished in place; a compressed one is compressed into a
//! second buffer that also starts with the header space. Either way the CRC is computed once,
//! over the final bytes.

use bytes::{BufMut, Bytes, BytesMut};

use super::attributes::{BatchAttributes, TimestampType};
use super::compression::{compress_into, Compression};
use super::crc::batch_crc;
use super::error::RecordsError;
use super::header::{
    put, ATTRIBUTES_AT, BASE_OFFSET_AT, BASE_SEQUENCE_AT, BASE_TIMESTAMP_AT, BATCH_LENGTH_AT, CRC_AT,
    LAST_OFFSET_DELTA_AT, LEADER_EPOCH_AT, LOG_OVERHEAD, MAGIC_AT, MAGIC_V2, MAX_BATCH_SIZE, MAX_TIMESTAMP_AT,
    NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, NO_TIMESTAMP, PRODUCER_EPOCH_AT,
    PRODUCER_ID_AT, RECORD_BATCH_OVERHEAD, RECORD_COUNT_AT,
};
use super::record::{RecordFields, RecordHeader};

/// Assembles one v2 batch.
///
/// Records get consecutive offset deltas from 0. The first record's timestamp becomes
/// baseTimestamp (later ones may be earlier: deltas are signed), and maxTimestamp is the largest
/// record timestamp. Defaults: no compression, base offset 0, no producer id/epoch/sequence,
/// leader epoch -1, CreateTime, neither transactional nor control.
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    compression: Compression,
    base_offset: i64,
    partition_leader_epoch: i32,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    attributes: BatchAttributes,
    /// Header space followed by the encoded, uncompressed records.
    buf: BytesMut,
    count: i32,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
}

impl Default for RecordBatchBuilder {
    fn default() -> Self {
        Self::new(Compression::None)
    }
}

impl RecordBatchBuilder {
    /// An empty builder using `compression`.
    pub fn new(compression: Compression) -> Self {
        let mut buf = BytesMut::with_capacity(256);
        buf.put_bytes(0, RECORD_BATCH_OVERHEAD);
        Self {
            compression,
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            attributes: BatchAttributes::default(),
            buf,
            count: 0,
            base_timestamp: None,
            max_timestamp: NO_TIMESTAMP,
        }
    }

    /// Sets the codec.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets baseOffset (clients send 0; the leader assigns the real one).
    #[must_use]
    pub fn base_offset(mut self, base_offset: i64) -> Self {
        self.base_offset = base_offset;
        self
    }

    /// Sets partitionLeaderEpoch.
    #[must_use]
    pub fn partition_leader_epoch(mut self, epoch: i32) -> Self {
        self.partition_leader_epoch = epoch;
        self
    }

    /// Sets the idempotent-producer fields.
    #[must_use]
    pub fn producer(mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Marks the batch as part of a transaction.
    #[must_use]
    pub fn transactional(mut self, on: bool) -> Self {
        self.attributes = self.attributes.with_transactional(on);
        self
    }

    /// Marks the batch as holding control records.
    #[must_use]
    pub fn control(mut self, on: bool) -> Self {
        self.attributes = self.attributes.with_control(on);
        self
    }

    /// Sets the timestamp type. For LogAppendTime, append records with the append time so that
    /// maxTimestamp carries it.
    #[must_use]
    pub fn timestamp_type(mut self, kind: TimestampType) -> Self {
        self.attributes = self.attributes.with_timestamp_type(kind);
        self
    }

    /// Appends a record and returns its offset delta.
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
    ) -> Result<i32, RecordsError> {
        let offset_delta = self.count;
        let next_count = offset_delta.checked_add(1).ok_or(RecordsError::FieldTooLarge {
            field: "record count",
            size: usize::try_from(offset_delta).unwrap_or(usize::MAX),
        })?;
        let base_timestamp = *self.base_timestamp.get_or_insert(timestamp);
        let fields =
            RecordFields { offset_delta, timestamp_delta: timestamp.wrapping_sub(base_timestamp), key, value, headers };
        let before = self.buf.len();
        if let Err(e) = fields.encode(&mut self.buf) {
            // Nothing was written (sizes are checked before writing), but stay safe.
            self.buf.truncate(before);
            if self.count == 0 {
                self.base_timestamp = None;
            }
            return Err(e);
        }
        if self.buf.len() > MAX_BATCH_SIZE {
            let size = self.buf.len();
            self.buf.truncate(before);
            if self.count == 0 {
                self.base_timestamp = None;
            }
            return Err(RecordsError::BatchTooLarge { size, max: MAX_BATCH_SIZE });
        }
        self.count = next_count;
        self.max_timestamp = if offset_delta == 0 { timestamp } else { self.max_timestamp.max(timestamp) };
        Ok(offset_delta)
    }

    /// Records appended so far.
    pub fn record_count(&self) -> i32 {
        self.count
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The batch size if built uncompressed; an upper bound for size-based batching in a
    /// client, since compression only shrinks it in practice.
    pub fn uncompressed_size(&self) -> usize {
        self.buf.len()
    }

    /// Finishes the batch: lengths, header fields and CRC.
    pub fn build(mut self) -> Result<Bytes, RecordsError> {
        if self.count == 0 {
            return Err(RecordsError::EmptyBatch);
        }
        let mut records = std::mem::take(&mut self.buf);
        match self.compression {
            Compression::None => {
                self.seal(&mut records)?;
                Ok(records.freeze())
            }
            codec => {
                let plain = records.get(RECORD_BATCH_OVERHEAD..).unwrap_or_default();
                let mut out = Vec::with_capacity(RECORD_BATCH_OVERHEAD + plain.len() / 2);
                out.put_bytes(0, RECORD_BATCH_OVERHEAD);
                compress_into(codec, plain, &mut out)?;
                self.seal(&mut out)?;
                Ok(Bytes::from(out))
            }
        }
    }

    /// Fills in the header at the start of `batch` (the whole batch) and then its CRC.
    fn seal(&self, batch: &mut [u8]) -> Result<(), RecordsError> {
        let size = batch.len();
        let batch_length = size
            .checked_sub(LOG_OVERHEAD)
            .and_then(|len| i32::try_from(len).ok())
            .ok_or(RecordsError::BatchTooLarge { size, max: MAX_BATCH_SIZE })?;

        let Some((h, _)) = batch.split_first_chunk_mut::<RECORD_BATCH_OVERHEAD>() else {
            return Err(RecordsError::TooShort { needed: RECORD_BATCH_OVERHEAD, available: size });
        };
        put(h, BASE_OFFSET_AT, &self.base_offset.to_be_bytes());
        put(h, BATCH_LENGTH_AT, &batch_length.to_be_bytes());
        put(h, LEADER_EPOCH_AT, &self.partition_leader_epoch.to_be_bytes());
        h[MAGIC_AT] = MAGIC_V2 as u8;
        let attributes = self.attributes.with_compression(self.compression);
        put(h, ATTRIBUTES_AT, &attributes.bits().to_be_bytes());
        put(h, LAST_OFFSET_DELTA_AT, &(self.count - 1).to_be_bytes());
        let base_timestamp = self.base_timestamp.unwrap_or(NO_TIMESTAMP);
        put(h, BASE_TIMESTAMP_AT, &base_timestamp.to_be_bytes());
        put(h, MAX_TIMESTAMP_AT, &self.max_timestamp.to_be_bytes());
        put(h, PRODUCER_ID_AT, &self.producer_id.to_be_bytes());
        put(h, PRODUCER_EPOCH_AT, &self.producer_epoch.to_be_bytes());
        put(h, BASE_SEQUENCE_AT, &self.base_sequence.to_be_bytes());
        put(h, RECORD_COUNT_AT, &self.count.to_be_bytes());

        let crc = batch_crc(batch);
        if let Some((h, _)) = batch.split_first_chunk_mut::<RECORD_BATCH_OVERHEAD>() {
            put(h, CRC_AT, &crc.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, builder_with, sample_inputs};
    use crate::records::{RecordBatch, RecordBatchHeader};

    #[test]
    fn header_fields_for_every_codec() {
        let inputs = sample_inputs(20);
        for codec in Compression::ALL {
            let bytes = builder_with(codec, &inputs)
                .base_offset(500)
                .partition_leader_epoch(4)
                .producer(9, 2, 100)
                .transactional(true)
                .build()
                .unwrap();
            let h = RecordBatchHeader::parse(&bytes).unwrap();
            assert_eq!(h.total_size(), bytes.len(), "{codec}");
            assert_eq!(h.batch_length() as usize, bytes.len() - 12);
            assert_eq!(h.compression(), codec);
            assert_eq!(h.base_offset(), 500);
            assert_eq!(h.partition_leader_epoch(), 4);
            assert_eq!((h.producer_id(), h.producer_epoch(), h.base_sequence()), (9, 2, 100));
            assert_eq!(h.last_sequence(), 119);
            assert!(h.is_transactional() && !h.is_control());
            assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
            assert_eq!(h.record_count(), 20);
            assert_eq!(h.last_offset_delta(), 19);
            assert_eq!(h.last_offset(), 519);
            // baseTimestamp is the first record's, even though record 2 is earlier.
            assert_eq!(h.base_timestamp(), inputs[0].0);
            assert_eq!(h.max_timestamp(), inputs.iter().map(|i| i.0).max().unwrap());
        }
    }

    #[test]
    fn defaults_are_a_plain_non_idempotent_batch() {
        let bytes = build(Compression::None, &sample_inputs(1));
        let h = RecordBatchHeader::parse(&bytes).unwrap();
        assert_eq!(h.base_offset(), 0);
        assert_eq!(h.partition_leader_epoch(), NO_PARTITION_LEADER_EPOCH);
        assert_eq!(h.producer_id(), NO_PRODUCER_ID);
        assert_eq!(h.producer_epoch(), NO_PRODUCER_EPOCH);
        assert_eq!(h.base_sequence(), NO_SEQUENCE);
        assert_eq!(h.last_sequence(), NO_SEQUENCE);
        assert_eq!(h.attributes().bits(), 0);
    }

    #[test]
    fn every_codec_round_trips_records() {
        let inputs = sample_inputs(50);
        for codec in Compression::ALL {
            let batch = RecordBatch::parse(build(codec, &inputs)).unwrap();
            let records: Vec<_> = batch.records(1 << 20).collect::<Result<_, _>>().unwrap();
            assert_eq!(records.len(), inputs.len(), "{codec}");
            for (i, (r, (ts, key, value, headers))) in records.iter().zip(&inputs).enumerate() {
                assert_eq!(r.offset, i as i64, "{codec}");
                assert_eq!(r.offset_delta, i as i32);
                assert_eq!(r.timestamp, *ts, "{codec} record {i}");
                assert_eq!(&r.key, key);
                assert_eq!(&r.value, value);
                assert_eq!(&r.headers, headers);
                assert_eq!(r.attributes, 0);
            }
        }
    }

    #[test]
    fn compression_shrinks_repetitive_records() {
        let inputs: Vec<_> = (0..200).map(|i| (i, None, Some(Bytes::from(vec![b'x'; 1000])), Vec::new())).collect();
        let plain = build(Compression::None, &inputs).len();
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            let size = build(codec, &inputs).len();
            assert!(size * 10 < plain, "{codec}: {size} vs {plain}");
        }
    }

    #[test]
    fn empty_batch_is_refused() {
        assert!(matches!(RecordBatchBuilder::new(Compression::Gzip).build(), Err(RecordsError::EmptyBatch)));
    }

    #[test]
    fn control_and_log_append_time_flags() {
        let mut b = RecordBatchBuilder::default().control(true).timestamp_type(TimestampType::LogAppendTime);
        b.append(42, Some(b"k"), None, &[]).unwrap();
        assert_eq!(b.record_count(), 1);
        assert!(!b.is_empty());
        let h = RecordBatchHeader::parse(&b.build().unwrap()).unwrap();
        assert!(h.is_control());
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!((h.base_timestamp(), h.max_timestamp()), (42, 42));
    }

    #[test]
    fn uncompressed_size_tracks_the_plain_batch() {
        let inputs = sample_inputs(10);
        let b = builder_with(Compression::None, &inputs);
        let predicted = b.uncompressed_size();
        assert_eq!(b.build().unwrap().len(), predicted);
        assert_eq!(RecordBatchBuilder::default().uncompressed_size(), RECORD_BATCH_OVERHEAD);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let mut b = RecordBatchBuilder::default();
        b.append(i64::MAX, None, None, &[]).unwrap();
        b.append(i64::MIN, None, None, &[]).unwrap();
        let batch = RecordBatch::parse(b.build().unwrap()).unwrap();
        let ts: Vec<_> = batch.records(0).map(|r| r.unwrap().timestamp).collect();
        assert_eq!(ts, [i64::MAX, i64::MIN]);
        assert_eq!(batch.header().max_timestamp(), i64::MAX);
    }
}
