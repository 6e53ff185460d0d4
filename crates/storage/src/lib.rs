//! The partition log on disk: segments, indexes, recovery, checkpoints, and idempotent producer
//! state. Synchronous `std::fs` I/O, meant to be called from blocking threads. Kafka's on-disk formats
//! and behaviour are the specification; a Kafka tool (`kafka-dump-log`) can read what this writes.
//!
//! # Layout on disk
//!
//! ```text
//! <log dir>/                                 one per entry of log.dirs
//!   .kafka_cleanshutdown                     marker: the last shutdown was clean (clean_shutdown.rs)
//!   recovery-point-offset-checkpoint         "0\n<count>\n<topic> <partition> <offset>\n..." (checkpoint.rs)
//!   log-start-offset-checkpoint              same format
//!   replication-offset-checkpoint            same format, high watermarks
//!   <topic>-<partition>/                     one per partition (log_dir.rs)
//!     00000000000000000000.log               record batches (magic 2) back to back, as on the wire
//!     00000000000000000000.index             8-byte entries: relative offset i32, position i32
//!     00000000000000000000.timeindex         12-byte entries: timestamp i64, relative offset i32
//!     00000000000000004096.log ...           the next segment, named by its base offset
//!     leader-epoch-checkpoint                "0\n<count>\n<epoch> <start offset>\n..."
//!     <offset>.snapshot                      producer state snapshots (producer_state)
//! ```
//!
//! All integers in `.log`, `.index` and `.timeindex` are big-endian. Indexes are sparse (an entry per
//! `index.interval.bytes` of log), preallocated to `segment.index.bytes` while their segment is active
//! and trimmed when it rolls or the log closes.
//!
//! # Write path
//!
//! [`Log::append_as_leader`] splits the produced bytes into batches (zero-copy slices), checks magic,
//! structure, `max.message.bytes` and the CRC-32C, then under the log's append lock assigns offsets
//! from the log end offset and stamps the leader epoch (and LogAppendTime) into a copy of each 61-byte
//! header, leaving the payload untouched (`StampedBatch`). The active segment rolls first if the append
//! would pass `segment.bytes`, `segment.ms` has elapsed since its first batch, an index is full, or an
//! offset would not fit a relative i32. The batches go out in one vectored write; offset and time index
//! entries follow; then the segment size and the log end offset are published, in that order. A failed
//! write is cut back to the previous end, so a full disk never leaves a partial batch behind (and, as in
//! Kafka, takes the log dir offline). [`Log::append_as_follower`] writes replicated batches as they
//! are, after checking CRCs and that they continue the log. The leader epoch cache records the first
//! offset of every epoch.
//!
//! # Read path
//!
//! [`Log::read`] takes no lock for I/O: it loads the log end offset, finds the segment holding the
//! fetch offset, looks the offset up in the sparse offset index, scans batch headers from there, and
//! reads whole batches with one positioned read per segment, bounded by `max_bytes` (the first batch
//! whole when `min_one_message`), by the caller's `max_offset` (high watermark or log end), and by the
//! index entry past `max_offset`. Stored bytes are returned as they are on disk. ListOffsets goes
//! through [`Log::fetch_offset_by_timestamp`]: the time index narrows the search, batch max timestamps
//! skip batches, and only a candidate batch's records are decoded.
//!
//! # Recovery path
//!
//! At start the [`LogManager`] loads every `<topic>-<partition>` directory. With the clean shutdown
//! marker present, segments are opened and their indexes sanity-checked only. Without it, every
//! segment from the one holding the checkpointed recovery point is scanned batch by batch (CRC,
//! increasing offsets), its indexes rebuilt; the first invalid or torn batch cuts the log there, later
//! segments are deleted, and a warning says what was cut. Missing or corrupt indexes are rebuilt, a
//! missing or corrupt leader epoch checkpoint is rebuilt from the batches, and malformed checkpoint
//! files are ignored with a warning. See `recovery.rs`.
//!
//! # Flush policy
//!
//! As Kafka: durability comes from replication, so appends are **not** fsynced by default. The log is
//! fsynced (segment, both indexes, the partition directory when segments were created or removed):
//!
//! - when a segment rolls: the sealed segment, right after the append, outside the append lock;
//! - when `flush.messages` unflushed messages have accumulated (`log.flush.interval.messages`);
//! - when `flush.ms` has passed since the last flush (`log.flush.interval.ms`), checked after appends
//!   and by [`LogManager::flush_dirty_logs`], which the broker runs periodically;
//! - on [`Log::flush`], and on clean shutdown ([`LogManager::shutdown`]) before the checkpoints and
//!   the marker are written.
//!
//! The recovery point is the offset up to which the log is known to be fsynced; checkpoint files and
//! the leader epoch checkpoint are always written to a temporary file, fsynced and renamed.
//!
//! # Files
//!
//! `log_manager.rs` all logs of a broker; `log.rs` a partition log; `log_validator.rs` checks on produced batches; `recovery.rs` loading and
//! recovering a log; `segment.rs` one segment; `offset_index.rs`, `time_index.rs` the indexes over
//! `index_file.rs` (preallocated fixed-size entries); `batch_scanner.rs` walking batches in a segment
//! file; `leader_epoch_cache.rs` epoch start offsets; `checkpoint.rs` offset checkpoint files and
//! atomic writes; `clean_shutdown.rs` the marker; `log_dir.rs` directory names and log dir health;
//! `config.rs` per-log settings; `error.rs` the error type; `producer_state.rs` idempotent producers.

mod batch_scanner;
pub mod checkpoint;
pub mod clean_shutdown;
pub mod config;
pub mod error;
mod index_file;
pub mod leader_epoch_cache;
pub mod log;
pub mod log_dir;
pub mod log_manager;
mod log_validator;
mod offset_index;
pub mod producer_state;
mod recovery;
mod segment;
mod time_index;

#[cfg(test)]
mod test_util;

pub use config::{CleanupPolicy, LogConfig};
pub use error::StorageError;
pub use leader_epoch_cache::EpochEntry;
pub use log::{
    DeletedSegment, DeletionReason, Log, LogAppendInfo, LogOpenParams, LogReadInfo, OffsetSpec, SegmentInfo,
    TimestampAndOffset,
};
pub use log_dir::LogDirFailure;
pub use log_manager::{LogManager, LogManagerReport};
pub use recovery::LoadReport;
