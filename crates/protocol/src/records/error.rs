//! The one error type for everything that reads, rewrites or builds record batches.
//!
//! Every variant carries the numbers that made the input invalid, so a broker can log a useful
//! message and a test can assert on the exact failure rather than on a string.

use super::compression::Compression;

/// Why a record batch (or a record inside one) was rejected, or could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// Fewer bytes than the fixed batch header (or the field being read) needs.
    #[error("record batch too short: {needed} bytes needed, {available} available")]
    TooShort {
        /// Bytes required to go on.
        needed: usize,
        /// Bytes that were present.
        available: usize,
    },

    /// The batchLength field cannot describe a v2 batch: it is smaller than the fixed header
    /// that follows it.
    #[error("record batch length {length} is out of range (minimum {min})")]
    BatchLengthOutOfRange {
        /// The batchLength field as read.
        length: i32,
        /// The smallest valid batchLength.
        min: i32,
    },

    /// The batch says it is longer than the bytes that hold it.
    #[error("record batch declares {declared} bytes but only {available} are available")]
    BatchLengthExceedsAvailable {
        /// Total batch size from the header (log overhead included).
        declared: usize,
        /// Bytes actually present.
        available: usize,
    },

    /// A single batch was expected but more bytes follow it.
    #[error("{extra} unexpected bytes follow the record batch")]
    TrailingBytes {
        /// How many bytes follow the batch.
        extra: usize,
    },

    /// A batch larger than the configured (or encodable) maximum.
    #[error("record batch of {size} bytes exceeds the maximum of {max}")]
    BatchTooLarge {
        /// Total batch size (log overhead included).
        size: usize,
        /// The limit it broke.
        max: usize,
    },

    /// Only magic 2 (Kafka 0.11+) batches are understood.
    #[error("unsupported record batch magic {0} (only magic 2 is supported)")]
    UnsupportedMagic(i8),

    /// The stored CRC-32C does not match the bytes it covers.
    #[error("record batch CRC mismatch: header has {expected:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        /// The CRC stored in the header.
        expected: u32,
        /// The CRC computed over attributes..end.
        computed: u32,
    },

    /// The header's record count is negative.
    #[error("record batch has negative record count {0}")]
    NegativeRecordCount(i32),

    /// The header's lastOffsetDelta is negative, so the batch would end before it starts.
    #[error("record batch has negative last offset delta {0}")]
    NegativeLastOffsetDelta(i32),

    /// Compression codec bits 5, 6 and 7 are not assigned.
    #[error("unknown compression codec id {0}")]
    UnknownCompression(u8),

    /// A record (or its length prefix) ended before the named field was complete.
    #[error("record truncated while reading {field}")]
    RecordTruncated {
        /// The field being read.
        field: &'static str,
    },

    /// A varint ran past its maximum encoded length (5 bytes for varint, 10 for varlong).
    #[error("malformed varint in {field}")]
    MalformedVarint {
        /// The field being read.
        field: &'static str,
    },

    /// A length field holds a value the format does not allow (for example a null header key,
    /// or a length below -1).
    #[error("invalid {field} length {length}")]
    InvalidLength {
        /// The field whose length was read.
        field: &'static str,
        /// The length as read.
        length: i64,
    },

    /// A record's fields did not use exactly the bytes its length prefix declared.
    #[error("record declares {declared} bytes but its fields use {used}")]
    RecordSizeMismatch {
        /// Size from the record's length prefix.
        declared: usize,
        /// Bytes consumed by the record's fields.
        used: usize,
    },

    /// The header's record count disagrees with the records in the batch.
    #[error("record batch declares {declared} records but {found} were found")]
    RecordCountMismatch {
        /// The header's record count.
        declared: i32,
        /// Records actually found in the (decompressed) payload.
        found: u64,
    },

    /// Decompressed output grew past the caller's limit (a decompression bomb, or a limit set too
    /// low for the batch).
    #[error("decompressed record data exceeds the limit of {limit} bytes")]
    DecompressionLimitExceeded {
        /// The caller's limit.
        limit: usize,
    },

    /// The codec rejected the compressed payload.
    #[error("{codec} decompression failed: {source}")]
    Decompression {
        /// The batch's codec.
        codec: Compression,
        /// The codec's own error.
        #[source]
        source: std::io::Error,
    },

    /// The codec failed while compressing a batch being built.
    #[error("{codec} compression failed: {source}")]
    Compression {
        /// The requested codec.
        codec: Compression,
        /// The codec's own error.
        #[source]
        source: std::io::Error,
    },

    /// A field (key, value, header) or the record count is too large for the format's i32
    /// lengths.
    #[error("{field} is too large to encode ({size})")]
    FieldTooLarge {
        /// What overflowed.
        field: &'static str,
        /// Its size.
        size: usize,
    },

    /// A batch must hold at least one record.
    #[error("cannot build a record batch with no records")]
    EmptyBatch,

    /// A control record's key or value is not in the format Kafka defines.
    #[error("invalid control record: {reason}")]
    InvalidControlRecord {
        /// What was wrong.
        reason: &'static str,
    },
}
