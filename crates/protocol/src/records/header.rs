//! The fixed 61-byte batch header, read and validated without touching the payload.
//!
//! ```text
//! offset size field
//!      0    8 baseOffset             i64
//!      8    4 batchLength            i32  bytes after this field (so total = 12 + batchLength)
//!     12    4 partitionLeaderEpoch   i32
//!     16    1 magic                  i8   always 2 here
//!     17    4 crc                    u32  CRC-32C of bytes 21..end
//!     21    2 attributes             i16
//!     23    4 lastOffsetDelta        i32
//!     27    8 baseTimestamp          i64
//!     35    8 maxTimestamp           i64
//!     43    8 producerId             i64
//!     51    2 producerEpoch          i16
//!     53    4 baseSequence           i32
//!     57    4 recordCount            i32
//!     61      records (compressed as one unit when a codec is set)
//! ```
//!
//! All integers are big-endian.

use super::attributes::{BatchAttributes, TimestampType};
use super::compression::Compression;
use super::crc::batch_crc;
use super::error::RecordsError;

/// Bytes before batchLength's count starts: baseOffset and batchLength themselves.
pub const LOG_OVERHEAD: usize = 12;
/// Size of the fixed header, i.e. of a batch with no records.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// The only batch format this module reads and writes.
pub const MAGIC_V2: i8 = 2;
/// Smallest batchLength a v2 batch can have.
pub const MIN_BATCH_LENGTH: i32 = (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32;
/// Largest total batch size (log overhead included) the format can express.
pub const MAX_BATCH_SIZE: usize = LOG_OVERHEAD + i32::MAX as usize;

/// producerId of a batch from a non-idempotent producer.
pub const NO_PRODUCER_ID: i64 = -1;
/// producerEpoch of a batch from a non-idempotent producer.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// baseSequence of a batch from a non-idempotent producer.
pub const NO_SEQUENCE: i32 = -1;
/// partitionLeaderEpoch of a batch that has not been appended by a leader yet.
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;
/// A missing timestamp.
pub const NO_TIMESTAMP: i64 = -1;

pub(crate) const BASE_OFFSET_AT: usize = 0;
pub(crate) const BATCH_LENGTH_AT: usize = 8;
pub(crate) const LEADER_EPOCH_AT: usize = 12;
pub(crate) const MAGIC_AT: usize = 16;
pub(crate) const CRC_AT: usize = 17;
/// First byte covered by the CRC (the attributes field).
pub(crate) const CRC_START: usize = 21;
pub(crate) const ATTRIBUTES_AT: usize = 21;
pub(crate) const LAST_OFFSET_DELTA_AT: usize = 23;
pub(crate) const BASE_TIMESTAMP_AT: usize = 27;
pub(crate) const MAX_TIMESTAMP_AT: usize = 35;
pub(crate) const PRODUCER_ID_AT: usize = 43;
pub(crate) const PRODUCER_EPOCH_AT: usize = 51;
pub(crate) const BASE_SEQUENCE_AT: usize = 53;
pub(crate) const RECORD_COUNT_AT: usize = 57;

/// The raw header bytes.
pub type HeaderBytes = [u8; RECORD_BATCH_OVERHEAD];

fn field<const N: usize>(h: &HeaderBytes, at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&h[at..at + N]);
    out
}

pub(crate) fn put(h: &mut HeaderBytes, at: usize, bytes: &[u8]) {
    h[at..at + bytes.len()].copy_from_slice(bytes);
}

/// A decoded batch header. Obtained from [`RecordBatchHeader::parse`] (full validation,
/// CRC included) or [`RecordBatchHeader::peek`] (header fields only), so the values it holds
/// have passed the structural checks; the payload has not been decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordBatchHeader {
    base_offset: i64,
    batch_length: i32,
    partition_leader_epoch: i32,
    magic: i8,
    crc: u32,
    attributes: BatchAttributes,
    compression: Compression,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    record_count: i32,
}

impl RecordBatchHeader {
    /// Reads and checks the fixed header at the start of `buf`: magic, batch length range,
    /// codec, record count and last offset delta. It neither needs the payload to be present
    /// nor checks the CRC, which suits scanning a log by headers alone; use
    /// [`RecordBatchHeader::parse`] for untrusted input.
    pub fn peek(buf: &[u8]) -> Result<Self, RecordsError> {
        // Magic first: a v0/v1 message set has a different layout, so any other complaint about
        // it would be misleading.
        if let Some(&magic) = buf.get(MAGIC_AT) {
            if magic as i8 != MAGIC_V2 {
                return Err(RecordsError::UnsupportedMagic(magic as i8));
            }
        }
        let header: &HeaderBytes =
            buf.first_chunk().ok_or(RecordsError::TooShort { needed: RECORD_BATCH_OVERHEAD, available: buf.len() })?;
        let header = Self::decode(header);
        header.validate()?;
        Ok(header)
    }

    /// Reads and fully validates the batch at the start of `buf`: everything
    /// [`RecordBatchHeader::peek`] checks, plus that the whole batch is present and its CRC-32C
    /// matches. Bytes after the batch are ignored.
    pub fn parse(buf: &[u8]) -> Result<Self, RecordsError> {
        let header = Self::peek(buf)?;
        let batch = buf
            .get(..header.total_size())
            .ok_or(RecordsError::BatchLengthExceedsAvailable { declared: header.total_size(), available: buf.len() })?;
        let computed = batch_crc(batch);
        if computed != header.crc {
            return Err(RecordsError::CrcMismatch { expected: header.crc, computed });
        }
        Ok(header)
    }

    /// Decodes the fields without any check. Codec ids 5-7 decode as `None` here; `validate`
    /// rejects them, so no checked header ever carries one.
    pub(crate) fn decode(h: &HeaderBytes) -> Self {
        let attributes = BatchAttributes::from_bits(i16::from_be_bytes(field(h, ATTRIBUTES_AT)));
        Self {
            base_offset: i64::from_be_bytes(field(h, BASE_OFFSET_AT)),
            batch_length: i32::from_be_bytes(field(h, BATCH_LENGTH_AT)),
            partition_leader_epoch: i32::from_be_bytes(field(h, LEADER_EPOCH_AT)),
            magic: h[MAGIC_AT] as i8,
            crc: u32::from_be_bytes(field(h, CRC_AT)),
            attributes,
            compression: attributes.compression().unwrap_or_default(),
            last_offset_delta: i32::from_be_bytes(field(h, LAST_OFFSET_DELTA_AT)),
            base_timestamp: i64::from_be_bytes(field(h, BASE_TIMESTAMP_AT)),
            max_timestamp: i64::from_be_bytes(field(h, MAX_TIMESTAMP_AT)),
            producer_id: i64::from_be_bytes(field(h, PRODUCER_ID_AT)),
            producer_epoch: i16::from_be_bytes(field(h, PRODUCER_EPOCH_AT)),
            base_sequence: i32::from_be_bytes(field(h, BASE_SEQUENCE_AT)),
            record_count: i32::from_be_bytes(field(h, RECORD_COUNT_AT)),
        }
    }

    fn validate(&self) -> Result<(), RecordsError> {
        if self.magic != MAGIC_V2 {
            return Err(RecordsError::UnsupportedMagic(self.magic));
        }
        if self.batch_length < MIN_BATCH_LENGTH {
            return Err(RecordsError::BatchLengthOutOfRange { length: self.batch_length, min: MIN_BATCH_LENGTH });
        }
        self.attributes.compression()?;
        if self.record_count < 0 {
            return Err(RecordsError::NegativeRecordCount(self.record_count));
        }
        if self.last_offset_delta < 0 {
            return Err(RecordsError::NegativeLastOffsetDelta(self.last_offset_delta));
        }
        Ok(())
    }

    /// The header as its 61 wire bytes (the stored CRC included, as is).
    pub fn to_bytes(&self) -> HeaderBytes {
        let mut h = [0u8; RECORD_BATCH_OVERHEAD];
        put(&mut h, BASE_OFFSET_AT, &self.base_offset.to_be_bytes());
        put(&mut h, BATCH_LENGTH_AT, &self.batch_length.to_be_bytes());
        put(&mut h, LEADER_EPOCH_AT, &self.partition_leader_epoch.to_be_bytes());
        h[MAGIC_AT] = self.magic as u8;
        put(&mut h, CRC_AT, &self.crc.to_be_bytes());
        put(&mut h, ATTRIBUTES_AT, &self.attributes.bits().to_be_bytes());
        put(&mut h, LAST_OFFSET_DELTA_AT, &self.last_offset_delta.to_be_bytes());
        put(&mut h, BASE_TIMESTAMP_AT, &self.base_timestamp.to_be_bytes());
        put(&mut h, MAX_TIMESTAMP_AT, &self.max_timestamp.to_be_bytes());
        put(&mut h, PRODUCER_ID_AT, &self.producer_id.to_be_bytes());
        put(&mut h, PRODUCER_EPOCH_AT, &self.producer_epoch.to_be_bytes());
        put(&mut h, BASE_SEQUENCE_AT, &self.base_sequence.to_be_bytes());
        put(&mut h, RECORD_COUNT_AT, &self.record_count.to_be_bytes());
        h
    }

    /// Offset of the first record.
    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }
    /// The batchLength field: bytes after it, i.e. total size minus 12.
    pub fn batch_length(&self) -> i32 {
        self.batch_length
    }
    /// Total size of the batch on the wire and on disk, log overhead included.
    pub fn total_size(&self) -> usize {
        // batch_length >= MIN_BATCH_LENGTH > 0 once validated; a negative one maps to 0 rather
        // than wrapping.
        LOG_OVERHEAD + usize::try_from(self.batch_length).unwrap_or(0)
    }
    /// Leader epoch of the broker that appended the batch (-1 before append).
    pub fn partition_leader_epoch(&self) -> i32 {
        self.partition_leader_epoch
    }
    /// The magic byte (always 2 for a checked header).
    pub fn magic(&self) -> i8 {
        self.magic
    }
    /// The CRC-32C stored in the header.
    pub fn crc(&self) -> u32 {
        self.crc
    }
    /// The raw attributes.
    pub fn attributes(&self) -> BatchAttributes {
        self.attributes
    }
    /// The records' codec.
    pub fn compression(&self) -> Compression {
        self.compression
    }
    /// CreateTime or LogAppendTime.
    pub fn timestamp_type(&self) -> TimestampType {
        self.attributes.timestamp_type()
    }
    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes.is_transactional()
    }
    /// Whether the batch holds control records.
    pub fn is_control(&self) -> bool {
        self.attributes.is_control()
    }
    /// Whether compaction stored a delete horizon in baseTimestamp.
    pub fn has_delete_horizon(&self) -> bool {
        self.attributes.has_delete_horizon()
    }
    /// Offset delta of the last record (kept even when compaction removed that record).
    pub fn last_offset_delta(&self) -> i32 {
        self.last_offset_delta
    }
    /// Offset of the last record the batch covers.
    pub fn last_offset(&self) -> i64 {
        self.base_offset.wrapping_add(i64::from(self.last_offset_delta))
    }
    /// The offset after this batch.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().wrapping_add(1)
    }
    /// The baseTimestamp field: the first record's timestamp, against which record timestamp
    /// deltas are taken. With the delete-horizon flag set it holds the delete horizon instead.
    pub fn base_timestamp(&self) -> i64 {
        self.base_timestamp
    }
    /// The largest record timestamp, or the append time for LogAppendTime batches.
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }
    /// Producer id (-1 if not idempotent).
    pub fn producer_id(&self) -> i64 {
        self.producer_id
    }
    /// Producer epoch (-1 if not idempotent).
    pub fn producer_epoch(&self) -> i16 {
        self.producer_epoch
    }
    /// Sequence number of the first record (-1 if not idempotent).
    pub fn base_sequence(&self) -> i32 {
        self.base_sequence
    }
    /// Sequence number of the last record, wrapping at i32::MAX as Kafka's sequences do.
    pub fn last_sequence(&self) -> i32 {
        if self.base_sequence == NO_SEQUENCE {
            return NO_SEQUENCE;
        }
        let last = i64::from(self.base_sequence) + i64::from(self.last_offset_delta);
        // Sequences wrap to 0 after i32::MAX.
        (last % (i64::from(i32::MAX) + 1)) as i32
    }
    /// Number of records the header declares.
    pub fn record_count(&self) -> i32 {
        self.record_count
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A hand-assembled batch with one uncompressed record, independent of the builder.
    pub(crate) fn sample_batch() -> Vec<u8> {
        // Record: attributes 0, timestampDelta 0, offsetDelta 0, key null, value "hi", 0 headers.
        let record_body: &[u8] = &[0x00, 0x00, 0x00, 0x01, 0x04, b'h', b'i', 0x00];
        let mut b = Vec::new();
        b.extend_from_slice(&100i64.to_be_bytes()); // baseOffset
        b.extend_from_slice(&0i32.to_be_bytes()); // batchLength, patched below
        b.extend_from_slice(&7i32.to_be_bytes()); // partitionLeaderEpoch
        b.push(2); // magic
        b.extend_from_slice(&0u32.to_be_bytes()); // crc, patched below
        b.extend_from_slice(&0x10i16.to_be_bytes()); // attributes: transactional
        b.extend_from_slice(&0i32.to_be_bytes()); // lastOffsetDelta
        b.extend_from_slice(&1_700_000_000_000i64.to_be_bytes()); // baseTimestamp
        b.extend_from_slice(&1_700_000_000_000i64.to_be_bytes()); // maxTimestamp
        b.extend_from_slice(&42i64.to_be_bytes()); // producerId
        b.extend_from_slice(&3i16.to_be_bytes()); // producerEpoch
        b.extend_from_slice(&9i32.to_be_bytes()); // baseSequence
        b.extend_from_slice(&1i32.to_be_bytes()); // recordCount
        b.push((record_body.len() as u8) << 1); // record length varint
        b.extend_from_slice(record_body);
        let len = (b.len() - LOG_OVERHEAD) as i32;
        b[8..12].copy_from_slice(&len.to_be_bytes());
        let crc = crc32c::crc32c(&b[21..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        b
    }

    fn reseal(b: &mut [u8]) {
        let crc = crc32c::crc32c(&b[21..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn parses_every_field() {
        let b = sample_batch();
        let h = RecordBatchHeader::parse(&b).unwrap();
        assert_eq!(h.base_offset(), 100);
        assert_eq!(h.batch_length() as usize, b.len() - 12);
        assert_eq!(h.total_size(), b.len());
        assert_eq!(h.partition_leader_epoch(), 7);
        assert_eq!(h.magic(), 2);
        assert_eq!(h.crc(), crc32c::crc32c(&b[21..]));
        assert_eq!(h.compression(), Compression::None);
        assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
        assert!(h.is_transactional());
        assert!(!h.is_control());
        assert!(!h.has_delete_horizon());
        assert_eq!(h.last_offset_delta(), 0);
        assert_eq!(h.last_offset(), 100);
        assert_eq!(h.next_offset(), 101);
        assert_eq!(h.base_timestamp(), 1_700_000_000_000);
        assert_eq!(h.max_timestamp(), 1_700_000_000_000);
        assert_eq!(h.producer_id(), 42);
        assert_eq!(h.producer_epoch(), 3);
        assert_eq!(h.base_sequence(), 9);
        assert_eq!(h.last_sequence(), 9);
        assert_eq!(h.record_count(), 1);
        assert_eq!(&h.to_bytes()[..], &b[..61]);
    }

    #[test]
    fn trailing_bytes_are_ignored_by_parse() {
        let mut b = sample_batch();
        b.extend_from_slice(&[1, 2, 3]);
        assert_eq!(RecordBatchHeader::parse(&b).unwrap().total_size(), b.len() - 3);
    }

    #[test]
    fn too_short() {
        let b = sample_batch();
        for len in [0, 5, 16, 17, 60] {
            assert!(
                matches!(
                    RecordBatchHeader::peek(&b[..len]),
                    Err(RecordsError::TooShort { needed: 61, available }) if available == len
                ),
                "len {len}"
            );
        }
        // The header alone is enough for peek, but not for parse.
        assert!(RecordBatchHeader::peek(&b[..61]).is_ok());
        assert!(matches!(
            RecordBatchHeader::parse(&b[..61]),
            Err(RecordsError::BatchLengthExceedsAvailable { declared, available: 61 })
                if declared == b.len()
        ));
    }

    #[test]
    fn batch_length_out_of_range() {
        for length in [-1, 0, 48, i32::MIN] {
            let mut b = sample_batch();
            b[8..12].copy_from_slice(&length.to_be_bytes());
            assert!(
                matches!(
                    RecordBatchHeader::parse(&b),
                    Err(RecordsError::BatchLengthOutOfRange { length: l, min: 49 }) if l == length
                ),
                "length {length}"
            );
        }
        let mut b = sample_batch();
        b[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(RecordBatchHeader::parse(&b), Err(RecordsError::BatchLengthExceedsAvailable { .. })));
    }

    #[test]
    fn unsupported_magic() {
        for magic in [0u8, 1, 3, 0xff] {
            let mut b = sample_batch();
            b[16] = magic;
            assert!(matches!(
                RecordBatchHeader::parse(&b),
                Err(RecordsError::UnsupportedMagic(m)) if m == magic as i8
            ));
            // Reported even when the rest of the header is missing.
            assert!(matches!(RecordBatchHeader::peek(&b[..17]), Err(RecordsError::UnsupportedMagic(_))));
        }
    }

    #[test]
    fn crc_mismatch_detected_anywhere_in_covered_region() {
        let good = sample_batch();
        let stored = u32::from_be_bytes(good[17..21].try_into().unwrap());
        for at in [21, 30, 60, 61, good.len() - 1] {
            let mut b = good.clone();
            b[at] ^= 0x01;
            match RecordBatchHeader::parse(&b) {
                Err(RecordsError::CrcMismatch { expected, computed }) => {
                    assert_eq!(expected, stored);
                    assert_eq!(computed, crc32c::crc32c(&b[21..]));
                    assert_ne!(expected, computed);
                }
                other => panic!("byte {at}: unexpected {other:?}"),
            }
        }
        // Fields before the CRC are not covered.
        let mut b = good.clone();
        b[0] ^= 0xff;
        b[12] ^= 0xff;
        assert!(RecordBatchHeader::parse(&b).is_ok());
        // A corrupted stored CRC is a mismatch too.
        let mut b = good;
        b[18] ^= 0x40;
        assert!(matches!(RecordBatchHeader::parse(&b), Err(RecordsError::CrcMismatch { .. })));
    }

    #[test]
    fn negative_record_count_and_offset_delta_and_bad_codec() {
        let mut b = sample_batch();
        b[57..61].copy_from_slice(&(-1i32).to_be_bytes());
        reseal(&mut b);
        assert!(matches!(RecordBatchHeader::parse(&b), Err(RecordsError::NegativeRecordCount(-1))));

        let mut b = sample_batch();
        b[23..27].copy_from_slice(&(-5i32).to_be_bytes());
        reseal(&mut b);
        assert!(matches!(RecordBatchHeader::parse(&b), Err(RecordsError::NegativeLastOffsetDelta(-5))));

        let mut b = sample_batch();
        b[22] = 0x06;
        reseal(&mut b);
        assert!(matches!(RecordBatchHeader::parse(&b), Err(RecordsError::UnknownCompression(6))));
    }

    #[test]
    fn last_sequence_wraps() {
        let mut b = sample_batch();
        b[53..57].copy_from_slice(&(i32::MAX - 1).to_be_bytes());
        b[23..27].copy_from_slice(&3i32.to_be_bytes());
        let h = RecordBatchHeader::peek(&b).unwrap();
        assert_eq!(h.last_sequence(), 1);
    }
}
