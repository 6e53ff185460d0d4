//! The storage crate's error type. I/O failures carry the operation and the path; everything else
//! carries the numbers that explain it. [`StorageError::error_code`] gives the Kafka error code the
//! broker answers with.

use std::io;
use std::path::{Path, PathBuf};

use flotilla_model::{ErrorCode, Offset, TopicPartition};
use flotilla_protocol::records::RecordsError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A file system operation failed. The log dir it happened in is marked offline (as Kafka does),
    /// after any partial write was cut back so that what was written before stays intact.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("append to", "fsync", "open", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// The log dir holding the partition went offline after an earlier I/O failure.
    #[error("log dir {} is offline", dir.display())]
    LogDirOffline {
        /// The log dir.
        dir: PathBuf,
    },

    /// The partition log was closed or deleted.
    #[error("the log of {topic_partition} is closed")]
    LogClosed {
        /// The partition.
        topic_partition: TopicPartition,
    },

    /// A record batch in an append is malformed or fails its CRC.
    #[error("corrupt record batch at byte {position} of the append: {source}")]
    CorruptRecord {
        /// Where the batch starts in the appended bytes.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: RecordsError,
    },

    /// A record batch is larger than `max.message.bytes`.
    #[error("the record batch size in the append is {size} bytes which exceeds the maximum configured value of {max}")]
    RecordTooLarge {
        /// The batch's size, log overhead included.
        size: usize,
        /// `max.message.bytes`.
        max: usize,
    },

    /// A well-formed batch that the log cannot take (wrong magic, inconsistent offsets, no batches).
    #[error("invalid record batch: {reason}")]
    InvalidRecord {
        /// Why.
        reason: String,
    },

    /// A CreateTime batch's timestamp is out of the range `message.timestamp.*.max.ms` allows.
    #[error(
        "timestamp {timestamp_ms} of the record batch is out of range (now {now_ms}, at most {max_ahead_ms} ms ahead)"
    )]
    InvalidTimestamp {
        /// The batch's max timestamp.
        timestamp_ms: i64,
        /// The broker's clock.
        now_ms: i64,
        /// `message.timestamp.after.max.ms`.
        max_ahead_ms: u64,
    },

    /// A read or offset operation asked for an offset outside the log.
    #[error(
        "offset {offset} is out of range for {topic_partition}: log start offset {log_start_offset}, log end offset {log_end_offset}"
    )]
    OffsetOutOfRange {
        /// The partition.
        topic_partition: TopicPartition,
        /// The offset asked for.
        offset: Offset,
        /// The log start offset at the time.
        log_start_offset: Offset,
        /// The log end offset at the time.
        log_end_offset: Offset,
    },

    /// A follower append whose first offset is below the log end offset.
    #[error("follower append for {topic_partition} starts at offset {first_offset}, below the log end offset {log_end_offset}")]
    UnexpectedAppendOffset {
        /// The partition.
        topic_partition: TopicPartition,
        /// The first offset of the append.
        first_offset: Offset,
        /// The log end offset.
        log_end_offset: Offset,
    },

    /// An argument the caller should not have passed (a negative truncation offset, ...).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// Why.
        reason: String,
    },

    /// A checkpoint file exists but cannot be parsed.
    #[error("malformed checkpoint file {}: {reason}", path.display())]
    CorruptCheckpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line number.
        reason: String,
    },

    /// The same partition has a directory in two log dirs.
    #[error("duplicate log directories for {topic_partition}: {} and {}", first.display(), second.display())]
    DuplicateLog {
        /// The partition.
        topic_partition: TopicPartition,
        /// The directory found first.
        first: PathBuf,
        /// The other one.
        second: PathBuf,
    },

    /// No log dir is online to create a partition in.
    #[error("no online log dir is left")]
    NoOnlineLogDir,
}

impl StorageError {
    /// The Kafka error code for this failure.
    ///
    /// | variant | code |
    /// |---|---|
    /// | `Io`, `LogDirOffline`, `CorruptCheckpoint`, `DuplicateLog`, `NoOnlineLogDir` | KAFKA_STORAGE_ERROR |
    /// | `LogClosed` | NOT_LEADER_OR_FOLLOWER |
    /// | `CorruptRecord` | CORRUPT_MESSAGE |
    /// | `RecordTooLarge` | MESSAGE_TOO_LARGE |
    /// | `InvalidRecord` | INVALID_RECORD |
    /// | `InvalidTimestamp` | INVALID_TIMESTAMP |
    /// | `OffsetOutOfRange` | OFFSET_OUT_OF_RANGE |
    /// | `UnexpectedAppendOffset`, `InvalidArgument` | UNKNOWN_SERVER_ERROR |
    pub fn error_code(&self) -> ErrorCode {
        match self {
            StorageError::Io { .. }
            | StorageError::LogDirOffline { .. }
            | StorageError::CorruptCheckpoint { .. }
            | StorageError::DuplicateLog { .. }
            | StorageError::NoOnlineLogDir => ErrorCode::KafkaStorageError,
            StorageError::LogClosed { .. } => ErrorCode::NotLeaderOrFollower,
            StorageError::CorruptRecord { .. } => ErrorCode::CorruptMessage,
            StorageError::RecordTooLarge { .. } => ErrorCode::MessageTooLarge,
            StorageError::InvalidRecord { .. } => ErrorCode::InvalidRecord,
            StorageError::InvalidTimestamp { .. } => ErrorCode::InvalidTimestamp,
            StorageError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
            StorageError::UnexpectedAppendOffset { .. } | StorageError::InvalidArgument { .. } => {
                ErrorCode::UnknownServerError
            }
        }
    }

    /// Whether this is an I/O failure (the kind that takes a log dir offline).
    pub fn is_io(&self) -> bool {
        matches!(self, StorageError::Io { .. })
    }

    /// Whether the disk is full (ENOSPC).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StorageError::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull)
    }

    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        StorageError::Io { op, path: path.to_path_buf(), source }
    }
}

/// Attaches the operation and path to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn ctx(self, op: &'static str, path: &Path) -> Result<T, StorageError>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: &Path) -> Result<T, StorageError> {
        self.map_err(|source| StorageError::io(op, path, source))
    }
}
