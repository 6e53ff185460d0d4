//! Kafka record batches, magic v2: the unit in which records travel in produce requests and
//! fetch responses and sit on disk in log segments.
//!
//! # Layout
//!
//! A blob of records is a concatenation of batches. Each batch is a fixed 61-byte header
//! (big-endian integers) followed by its records, compressed as one unit when a codec is set:
//!
//! ```text
//!  0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 (= 2)
//! 17 crc u32 | 21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64
//! 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32
//! 57 recordCount i32 | 61 records...
//! ```
//!
//! batchLength counts the bytes after itself, so a batch is `12 + batchLength` bytes. The
//! CRC-32C covers attributes through the end; baseOffset and partitionLeaderEpoch are outside
//! it, so a leader can assign them without touching the CRC. [`BatchAttributes`] documents the
//! attribute bits (codec, timestamp type, transactional, control, delete horizon).
//!
//! Each record is framed with zigzag varints ([`varint`]) and stores deltas against the header:
//!
//! ```text
//! length varint | attributes i8 | timestampDelta varlong | offsetDelta varint
//! | keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value
//! | headerCount varint | headers: (keyLength varint, key, valueLength varint (-1 = null), value)*
//! ```
//!
//! # Zero-copy design
//!
//! Batch bytes are not copied on the broker's paths:
//!
//! * [`Batches`] splits a `Bytes` blob into [`RecordBatch`]es that are `Bytes::slice`s of it,
//!   each with a [`RecordBatchHeader`] validated (CRC included) without decompressing. A torn
//!   trailing batch is reported as [`SplitError::Torn`], distinct from corruption, with the
//!   length of the valid prefix.
//! * A leader stamps offsets, its epoch and LogAppendTime either in place on a mutable buffer
//!   ([`RecordBatchMut`]) or, for the shared and immutable bytes of a request frame, with a
//!   [`StampedBatch`]: an owned copy of the 61 header bytes plus the untouched payload `Bytes`,
//!   written out with vectored I/O. The CRC is updated from its previous value using CRC
//!   linearity (`crc32c_combine`), so the payload is not even re-read, a batch that arrived
//!   corrupt stays detectably corrupt, and both paths produce identical bytes.
//! * [`RecordIter`] decodes records lazily: keys, values and headers are `Bytes` slices of the
//!   batch, or of the decompressed buffer, which grows only as the decoder produces output and
//!   never beyond the caller's limit (decompression bombs end in
//!   [`RecordsError::DecompressionLimitExceeded`]).
//!
//! [`RecordBatchBuilder`] builds batches for clients, and [`end_transaction_batch`] with
//! [`ControlRecordKey`] and [`EndTransactionMarker`] write and read transaction markers.
//!
//! Nothing here panics on malformed input, and no length read from the input sizes an
//! allocation: allocations follow the bytes actually present or produced.
//!
//! # Files
//!
//! `header.rs` header view and field offsets; `attributes.rs` attribute bits; `crc.rs` checksum
//! and its incremental update; `split.rs` blob splitting and torn tails; `batch.rs` a validated
//! batch; `rewrite.rs` in-place stamping; `stamped.rs` copy-free stamping; `record.rs` record
//! encoding; `cursor.rs` bounds-checked reads; `iter.rs` the lazy record iterator;
//! `compression.rs` and `snappy.rs` codecs; `builder.rs` the batch builder; `control.rs` control
//! records; `varint.rs` zigzag varints; `error.rs` the error type.

mod attributes;
mod batch;
mod builder;
mod compression;
mod control;
mod crc;
mod cursor;
mod error;
mod header;
mod iter;
mod record;
mod rewrite;
mod snappy;
mod split;
mod stamped;
pub mod varint;

pub use attributes::{BatchAttributes, TimestampType};
pub use batch::RecordBatch;
pub use builder::RecordBatchBuilder;
pub use compression::{decompress, Compression};
pub use control::{end_transaction_batch, ControlRecordKey, ControlRecordType, EndTransactionMarker};
pub use crc::batch_crc;
pub use error::RecordsError;
pub use header::{
    HeaderBytes, RecordBatchHeader, LOG_OVERHEAD, MAGIC_V2, MAX_BATCH_SIZE, MIN_BATCH_LENGTH,
    NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, NO_TIMESTAMP, RECORD_BATCH_OVERHEAD,
};
pub use iter::RecordIter;
pub use record::{Record, RecordHeader};
pub use rewrite::RecordBatchMut;
pub use split::{Batches, SplitError, TornBatch};
pub use stamped::StampedBatch;

#[cfg(test)]
mod test_util;
