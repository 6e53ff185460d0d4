//! The per-log settings the storage layer acts on: plain values, defaults as Kafka's. The config crate
//! maps Kafka's keys (`segment.bytes`, `log.segment.bytes`, ...) onto this struct; a dynamic topic config
//! change reaches a live log through [`crate::Log::update_config`].

use flotilla_protocol::records::TimestampType;

/// Kafka's `segment.bytes` default: 1 GiB.
pub const DEFAULT_SEGMENT_BYTES: u32 = 1 << 30;
/// Kafka's `segment.ms` default: 7 days.
pub const DEFAULT_SEGMENT_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// Kafka's `segment.index.bytes` default: 10 MiB.
pub const DEFAULT_SEGMENT_INDEX_BYTES: u32 = 10 * 1024 * 1024;
/// Kafka's `index.interval.bytes` default.
pub const DEFAULT_INDEX_INTERVAL_BYTES: u32 = 4096;
/// Kafka's `max.message.bytes` default (1 MiB plus the record batch overhead).
pub const DEFAULT_MAX_MESSAGE_BYTES: u32 = 1_048_588;
/// Kafka's `retention.ms` default: 7 days.
pub const DEFAULT_RETENTION_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// Which cleanup a topic asks for (`cleanup.policy`). Only deletion is carried out by this crate;
/// compaction is not implemented yet, so a compacted log is simply kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CleanupPolicy {
    /// `delete`: segments past `retention.ms` / `retention.bytes` are removed.
    #[default]
    Delete,
    /// `compact`: the latest value per key is kept; time and size retention do not apply.
    Compact,
    /// `compact,delete`: both.
    CompactAndDelete,
}

impl CleanupPolicy {
    /// Whether time and size retention delete segments.
    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::CompactAndDelete)
    }
}

/// Settings of one partition log. `None` means "unlimited" where Kafka uses -1 or `Long.MAX_VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: roll when the active segment would grow past this. Capped at `i32::MAX`, the
    /// largest position an index entry can hold.
    pub segment_bytes: u32,
    /// `segment.ms`: roll when the active segment's first batch is this much older than the batch being
    /// appended (or, without timestamps, when the segment was created this long ago).
    pub segment_ms: u64,
    /// `segment.jitter.ms`: the roll time is shortened by a per-segment amount below this.
    pub segment_jitter_ms: u64,
    /// `segment.index.bytes`: size each index is preallocated to while its segment is active; a full
    /// index rolls the segment.
    pub segment_index_bytes: u32,
    /// `index.interval.bytes`: log bytes between two offset index entries.
    pub index_interval_bytes: u32,
    /// `flush.messages`: fsync once this many messages are unflushed (`None`: never for this reason).
    pub flush_messages: Option<u64>,
    /// `flush.ms`: fsync once the last flush is this old (`None`: never for this reason).
    pub flush_ms: Option<u64>,
    /// `max.message.bytes`: largest record batch a leader accepts.
    pub max_message_bytes: u32,
    /// `message.timestamp.type`: keep the producer's CreateTime or stamp LogAppendTime.
    pub message_timestamp_type: TimestampType,
    /// `message.timestamp.after.max.ms`: reject CreateTime batches whose max timestamp is further than
    /// this in the future (`None`: no limit).
    pub message_timestamp_after_max_ms: Option<u64>,
    /// `retention.ms` (`None`: keep forever).
    pub retention_ms: Option<u64>,
    /// `retention.bytes` (`None`: no size limit).
    pub retention_bytes: Option<u64>,
    /// `cleanup.policy`.
    pub cleanup_policy: CleanupPolicy,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            segment_ms: DEFAULT_SEGMENT_MS,
            segment_jitter_ms: 0,
            segment_index_bytes: DEFAULT_SEGMENT_INDEX_BYTES,
            index_interval_bytes: DEFAULT_INDEX_INTERVAL_BYTES,
            flush_messages: None,
            flush_ms: None,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            message_timestamp_type: TimestampType::CreateTime,
            message_timestamp_after_max_ms: None,
            retention_ms: Some(DEFAULT_RETENTION_MS),
            retention_bytes: None,
            cleanup_policy: CleanupPolicy::Delete,
        }
    }
}

impl LogConfig {
    /// `segment.bytes` as the storage layer applies it: at most `i32::MAX`.
    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        u64::from(self.segment_bytes.min(i32::MAX as u32))
    }

    /// The roll jitter of the segment starting at `base_offset`: a stable pseudo-random amount below
    /// `segment.jitter.ms` (Kafka draws one per segment at random).
    pub(crate) fn roll_jitter_ms(&self, base_offset: i64) -> u64 {
        if self.segment_jitter_ms == 0 {
            return 0;
        }
        // splitmix64 of the base offset: spread, deterministic, no random source needed.
        let mut x = (base_offset as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        (x % self.segment_jitter_ms).min(self.segment_ms)
    }
}
