//! A topic's effective config (`flotilla_config::TopicConfig`, Kafka's keys resolved over the broker
//! defaults) mapped onto the settings the storage layer acts on. The two crates do not know each
//! other; this is where they meet.

use flotilla_config::{TimestampType as ConfigTimestampType, TopicConfig};
use flotilla_protocol::records::TimestampType;
use flotilla_storage::{CleanupPolicy, LogConfig};

/// Kafka spells "never" as `Long.MAX_VALUE` for the flush settings and the timestamp bounds.
fn limit(value: i64) -> Option<u64> {
    (value != i64::MAX).then(|| u64::try_from(value).unwrap_or(0))
}

fn non_negative_u32(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn non_negative_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The storage settings of a topic. An empty `cleanup.policy` (neither delete nor compact) keeps
/// everything, which is what the storage layer does for `compact` until compaction exists.
pub fn log_config(topic: &TopicConfig) -> LogConfig {
    LogConfig {
        segment_bytes: non_negative_u32(topic.segment_bytes),
        segment_ms: non_negative_u64(topic.segment_ms),
        segment_jitter_ms: non_negative_u64(topic.segment_jitter_ms),
        segment_index_bytes: non_negative_u32(topic.segment_index_bytes),
        index_interval_bytes: non_negative_u32(topic.index_interval_bytes),
        flush_messages: limit(topic.flush_messages),
        flush_ms: limit(topic.flush_ms),
        max_message_bytes: non_negative_u32(topic.max_message_bytes),
        message_timestamp_type: match topic.message_timestamp_type {
            ConfigTimestampType::CreateTime => TimestampType::CreateTime,
            ConfigTimestampType::LogAppendTime => TimestampType::LogAppendTime,
        },
        message_timestamp_after_max_ms: limit(topic.message_timestamp_after_max_ms),
        retention_ms: topic.retention_limit_ms().map(non_negative_u64),
        retention_bytes: topic.retention_limit_bytes().map(non_negative_u64),
        cleanup_policy: match (topic.cleanup_policy.delete, topic.cleanup_policy.compact) {
            (true, true) => CleanupPolicy::CompactAndDelete,
            (true, false) => CleanupPolicy::Delete,
            (false, _) => CleanupPolicy::Compact,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_config::ServerConfig;

    use super::*;

    #[test]
    fn kafka_defaults_map_to_storage_defaults() {
        let server = ServerConfig::single_node_default().unwrap();
        let topic = TopicConfig::resolve(&server, std::iter::empty::<(&str, &str)>()).unwrap();
        let config = log_config(&topic);
        let storage = LogConfig::default();
        assert_eq!(config.max_message_bytes, storage.max_message_bytes);
        assert_eq!(config.segment_ms, storage.segment_ms);
        assert_eq!(config.flush_messages, None);
        assert_eq!(config.flush_ms, None);
        assert_eq!(config.message_timestamp_after_max_ms, Some(3_600_000));
        assert_eq!(config.cleanup_policy, CleanupPolicy::Delete);
    }

    #[test]
    fn overrides_reach_the_log() {
        let server = ServerConfig::single_node_default().unwrap();
        let topic = TopicConfig::resolve(
            &server,
            [
                ("max.message.bytes", "2048"),
                ("message.timestamp.type", "LogAppendTime"),
                ("retention.ms", "-1"),
                ("retention.bytes", "1000000"),
                ("cleanup.policy", "compact,delete"),
                ("segment.bytes", "1048576"),
                ("flush.messages", "1"),
            ],
        )
        .unwrap();
        let config = log_config(&topic);
        assert_eq!(config.max_message_bytes, 2048);
        assert_eq!(config.message_timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(config.retention_ms, None);
        assert_eq!(config.retention_bytes, Some(1_000_000));
        assert_eq!(config.cleanup_policy, CleanupPolicy::CompactAndDelete);
        assert_eq!(config.segment_bytes, 1_048_576);
        assert_eq!(config.flush_messages, Some(1));
    }
}
