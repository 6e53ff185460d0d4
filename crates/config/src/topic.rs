//! Topic-level configs (Kafka's `LogConfig`): the keys, their server defaults, and a topic's effective
//! config once its overrides are applied.
//!
//! Every topic key takes its default from a broker key (its "server synonym": `retention.ms` ←
//! `log.retention.ms`/`.minutes`/`.hours`, `segment.bytes` ← `log.segment.bytes`, `max.message.bytes` ←
//! `message.max.bytes`, ...), so a broker's `log.*` settings apply to every topic that does not override
//! them. A few keys have no server synonym and default to Kafka's constant.
//!
//! Overrides are validated as Kafka validates them: an unknown name is `Unknown topic config name: X`,
//! a bad value is `Invalid value X for configuration Y: reason`. Tiered storage cannot be enabled.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::ConfigError;
use crate::key::{Check, ConfigType as T, KeyDef, Value, ValueMap};
use crate::ServerConfig;

/// A topic key and the broker key its default comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicKey {
    pub def: KeyDef,
    /// The broker key with the highest priority among its synonyms (Kafka's `TOPIC_CONFIG_SYNONYMS`).
    pub server_synonym: Option<&'static str>,
}

const fn key(
    name: &'static str,
    config_type: T,
    default: &'static str,
    check: Check,
    server_synonym: Option<&'static str>,
) -> TopicKey {
    TopicKey { def: KeyDef::new(name, config_type, Some(default), check), server_synonym }
}

const COMPRESSION_TYPES: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

/// Kafka 4.x's topic configs, sorted by name.
pub const TOPIC_KEYS: &[TopicKey] = &[
    key("cleanup.policy", T::List, "delete", Check::ListOf(&["compact", "delete"]), Some("log.cleanup.policy")),
    key("compression.gzip.level", T::Int, "-1", Check::GzipLevel, Some("compression.gzip.level")),
    key("compression.lz4.level", T::Int, "9", Check::Between(1, 17), Some("compression.lz4.level")),
    key("compression.type", T::String, "producer", Check::OneOf(COMPRESSION_TYPES), Some("compression.type")),
    key("compression.zstd.level", T::Int, "3", Check::Between(-131072, 22), Some("compression.zstd.level")),
    key("delete.retention.ms", T::Long, "86400000", Check::AtLeast(0), Some("log.cleaner.delete.retention.ms")),
    key("file.delete.delay.ms", T::Long, "60000", Check::AtLeast(0), Some("log.segment.delete.delay.ms")),
    key("flush.messages", T::Long, "9223372036854775807", Check::AtLeast(1), Some("log.flush.interval.messages")),
    key("flush.ms", T::Long, "9223372036854775807", Check::AtLeast(0), Some("log.flush.interval.ms")),
    key("follower.replication.throttled.replicas", T::List, "", Check::ThrottledReplicas, None),
    key("index.interval.bytes", T::Int, "4096", Check::AtLeast(0), Some("log.index.interval.bytes")),
    key("leader.replication.throttled.replicas", T::List, "", Check::ThrottledReplicas, None),
    key("local.retention.bytes", T::Long, "-2", Check::AtLeast(-2), Some("log.local.retention.bytes")),
    key("local.retention.ms", T::Long, "-2", Check::AtLeast(-2), Some("log.local.retention.ms")),
    key(
        "max.compaction.lag.ms",
        T::Long,
        "9223372036854775807",
        Check::AtLeast(1),
        Some("log.cleaner.max.compaction.lag.ms"),
    ),
    key("max.message.bytes", T::Int, "1048588", Check::AtLeast(0), Some("message.max.bytes")),
    key("message.downconversion.enable", T::Boolean, "true", Check::Any, Some("log.message.downconversion.enable")),
    key(
        "message.timestamp.after.max.ms",
        T::Long,
        "3600000",
        Check::AtLeast(0),
        Some("log.message.timestamp.after.max.ms"),
    ),
    key(
        "message.timestamp.before.max.ms",
        T::Long,
        "9223372036854775807",
        Check::AtLeast(0),
        Some("log.message.timestamp.before.max.ms"),
    ),
    key(
        "message.timestamp.type",
        T::String,
        "CreateTime",
        Check::OneOf(&["CreateTime", "LogAppendTime"]),
        Some("log.message.timestamp.type"),
    ),
    key("min.cleanable.dirty.ratio", T::Double, "0.5", Check::Between(0, 1), Some("log.cleaner.min.cleanable.ratio")),
    key("min.compaction.lag.ms", T::Long, "0", Check::AtLeast(0), Some("log.cleaner.min.compaction.lag.ms")),
    key("min.insync.replicas", T::Int, "1", Check::AtLeast(1), Some("min.insync.replicas")),
    key("preallocate", T::Boolean, "false", Check::Any, Some("log.preallocate")),
    key("remote.log.copy.disable", T::Boolean, "false", Check::Any, None),
    key("remote.log.delete.on.disable", T::Boolean, "false", Check::Any, None),
    key("remote.storage.enable", T::Boolean, "false", Check::Any, None),
    key("retention.bytes", T::Long, "-1", Check::Any, Some("log.retention.bytes")),
    key("retention.ms", T::Long, "604800000", Check::AtLeast(-1), Some("log.retention.ms")),
    key("segment.bytes", T::Int, "1073741824", Check::AtLeast(1048576), Some("log.segment.bytes")),
    key("segment.index.bytes", T::Int, "10485760", Check::AtLeast(4), Some("log.index.size.max.bytes")),
    key("segment.jitter.ms", T::Long, "0", Check::AtLeast(0), Some("log.roll.jitter.ms")),
    key("segment.ms", T::Long, "604800000", Check::AtLeast(1), Some("log.roll.ms")),
    key("unclean.leader.election.enable", T::Boolean, "false", Check::Any, Some("unclean.leader.election.enable")),
];

/// The topic key named `name`, if there is one.
pub fn topic_key(name: &str) -> Option<&'static TopicKey> {
    TOPIC_KEYS.iter().find(|k| k.def.name == name)
}

/// `cleanup.policy`: delete old segments, compact by key, both, or (an empty list) neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

impl CleanupPolicy {
    pub const DELETE: CleanupPolicy = CleanupPolicy { delete: true, compact: false };
    pub const COMPACT: CleanupPolicy = CleanupPolicy { delete: false, compact: true };

    pub(crate) fn from_list(items: &[String]) -> Self {
        Self { delete: items.iter().any(|i| i == "delete"), compact: items.iter().any(|i| i == "compact") }
    }
}

impl fmt::Display for CleanupPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.compact, self.delete) {
            (true, true) => f.write_str("compact,delete"),
            (true, false) => f.write_str("compact"),
            (false, true) => f.write_str("delete"),
            (false, false) => Ok(()),
        }
    }
}

/// `compression.type` on a topic or broker: a codec to recompress with, or keep the producer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicCompression {
    Producer,
    Uncompressed,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl TopicCompression {
    pub fn name(self) -> &'static str {
        match self {
            TopicCompression::Producer => "producer",
            TopicCompression::Uncompressed => "uncompressed",
            TopicCompression::Gzip => "gzip",
            TopicCompression::Snappy => "snappy",
            TopicCompression::Lz4 => "lz4",
            TopicCompression::Zstd => "zstd",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Producer, Self::Uncompressed, Self::Gzip, Self::Snappy, Self::Lz4, Self::Zstd]
            .into_iter()
            .find(|c| c.name() == name)
    }
}

/// `message.timestamp.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// A topic's effective config: server defaults with its overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    pub cleanup_policy: CleanupPolicy,
    pub compression_type: TopicCompression,
    pub compression_gzip_level: i32,
    pub compression_lz4_level: i32,
    pub compression_zstd_level: i32,
    pub delete_retention_ms: i64,
    pub file_delete_delay_ms: i64,
    pub flush_messages: i64,
    pub flush_ms: i64,
    pub index_interval_bytes: i32,
    pub max_compaction_lag_ms: i64,
    pub max_message_bytes: i32,
    pub message_timestamp_after_max_ms: i64,
    pub message_timestamp_before_max_ms: i64,
    pub message_timestamp_type: TimestampType,
    pub min_cleanable_dirty_ratio: f64,
    pub min_compaction_lag_ms: i64,
    pub min_insync_replicas: i32,
    pub preallocate: bool,
    /// -1: no size limit.
    pub retention_bytes: i64,
    /// -1: no time limit.
    pub retention_ms: i64,
    pub segment_bytes: i32,
    pub segment_index_bytes: i32,
    pub segment_jitter_ms: i64,
    pub segment_ms: i64,
    pub unclean_leader_election_enable: bool,
}

impl TopicConfig {
    /// The time limit on retention, `None` when unlimited (a negative `retention.ms`).
    pub fn retention_limit_ms(&self) -> Option<i64> {
        (self.retention_ms >= 0).then_some(self.retention_ms)
    }

    /// The size limit on retention, `None` when unlimited (a negative `retention.bytes`).
    pub fn retention_limit_bytes(&self) -> Option<i64> {
        (self.retention_bytes >= 0).then_some(self.retention_bytes)
    }

    /// A topic's config: `server`'s defaults with `overrides` (topic key → value as stored) applied.
    pub fn resolve<I, K, V>(server: &ServerConfig, overrides: I) -> Result<TopicConfig, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let resolved = resolve_values(server.topic_default_values(), overrides)?;
        TopicConfig::from_values(&resolved.values)
    }

    /// Checks a topic's overrides (for CreateTopics, AlterConfigs, IncrementalAlterConfigs).
    pub fn validate_overrides<I, K, V>(server: &ServerConfig, overrides: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::resolve(server, overrides).map(drop)
    }

    pub(crate) fn from_values(values: &ValueMap) -> Result<TopicConfig, ConfigError> {
        let k =
            |name: &str| topic_key(name).map(|k| k.def).ok_or_else(|| ConfigError::missing(name, "not a topic key"));
        let compression = values.string(&k("compression.type")?)?;
        let timestamp_type = values.string(&k("message.timestamp.type")?)?;
        Ok(TopicConfig {
            cleanup_policy: CleanupPolicy::from_list(&values.list(&k("cleanup.policy")?)?),
            compression_type: TopicCompression::from_name(&compression)
                .ok_or_else(|| ConfigError::invalid("compression.type", &compression, "unknown compression type"))?,
            compression_gzip_level: values.int(&k("compression.gzip.level")?)?,
            compression_lz4_level: values.int(&k("compression.lz4.level")?)?,
            compression_zstd_level: values.int(&k("compression.zstd.level")?)?,
            delete_retention_ms: values.long(&k("delete.retention.ms")?)?,
            file_delete_delay_ms: values.long(&k("file.delete.delay.ms")?)?,
            flush_messages: values.long(&k("flush.messages")?)?,
            flush_ms: values.long(&k("flush.ms")?)?,
            index_interval_bytes: values.int(&k("index.interval.bytes")?)?,
            max_compaction_lag_ms: values.long(&k("max.compaction.lag.ms")?)?,
            max_message_bytes: values.int(&k("max.message.bytes")?)?,
            message_timestamp_after_max_ms: values.long(&k("message.timestamp.after.max.ms")?)?,
            message_timestamp_before_max_ms: values.long(&k("message.timestamp.before.max.ms")?)?,
            message_timestamp_type: if timestamp_type == "LogAppendTime" {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            min_cleanable_dirty_ratio: values.double(&k("min.cleanable.dirty.ratio")?)?,
            min_compaction_lag_ms: values.long(&k("min.compaction.lag.ms")?)?,
            min_insync_replicas: values.int(&k("min.insync.replicas")?)?,
            preallocate: values.boolean(&k("preallocate")?)?,
            retention_bytes: values.long(&k("retention.bytes")?)?,
            retention_ms: values.long(&k("retention.ms")?)?,
            segment_bytes: values.int(&k("segment.bytes")?)?,
            segment_index_bytes: values.int(&k("segment.index.bytes")?)?,
            segment_jitter_ms: values.long(&k("segment.jitter.ms")?)?,
            segment_ms: values.long(&k("segment.ms")?)?,
            unclean_leader_election_enable: values.boolean(&k("unclean.leader.election.enable")?)?,
        })
    }
}

/// Every topic key's value for one topic, and which of them the topic overrides.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedTopic {
    pub(crate) values: ValueMap,
    pub(crate) overridden: BTreeSet<&'static str>,
}

/// Applies `overrides` to `defaults` (one value per topic key), validating names, values and the
/// cross-key rules Kafka checks.
pub(crate) fn resolve_values<I, K, V>(defaults: &ValueMap, overrides: I) -> Result<ResolvedTopic, ConfigError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut values = defaults.clone();
    let mut overridden = BTreeSet::new();
    let mut raw: BTreeMap<&'static str, String> = BTreeMap::new();
    for (name, value) in overrides {
        let name = name.as_ref();
        let key = topic_key(name).ok_or_else(|| ConfigError::UnknownTopicConfig { name: name.to_string() })?;
        let parsed = key.def.parse(value.as_ref())?;
        values.0.insert(key.def.name, Some(parsed));
        overridden.insert(key.def.name);
        raw.insert(key.def.name, value.as_ref().trim().to_string());
    }
    let long = |name: &str| match values.get(name) {
        Some(Value::Long(n)) => *n,
        _ => 0,
    };
    let (min_lag, max_lag) = (long("min.compaction.lag.ms"), long("max.compaction.lag.ms"));
    if min_lag > max_lag {
        return Err(ConfigError::invalid(
            "min.compaction.lag.ms",
            &min_lag.to_string(),
            format!(
                "conflict topic config setting min.compaction.lag.ms ({min_lag}) > max.compaction.lag.ms ({max_lag})"
            ),
        ));
    }
    if values.get("remote.storage.enable") == Some(&Value::Boolean(true)) {
        let shown = raw.get("remote.storage.enable").map_or("true", String::as_str);
        return Err(ConfigError::invalid(
            "remote.storage.enable",
            shown,
            "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.",
        ));
    }
    Ok(ResolvedTopic { values, overridden })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ServerConfig;

    fn server(text: &str) -> ServerConfig {
        let base = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
                    listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n";
        ServerConfig::load(Some(&format!("{base}{text}")), std::iter::empty::<(&str, &str)>()).unwrap().config
    }

    #[test]
    fn keys_are_sorted_unique_and_defaults_valid() {
        for pair in TOPIC_KEYS.windows(2) {
            assert!(pair[0].def.name < pair[1].def.name, "{} before {}", pair[0].def.name, pair[1].def.name);
        }
        for key in TOPIC_KEYS {
            assert!(key.def.default_value().is_some(), "{}", key.def.name);
        }
    }

    #[test]
    fn defaults_equal_kafkas() {
        let topic = server("").topic_defaults.clone();
        assert_eq!(topic.cleanup_policy, CleanupPolicy::DELETE);
        assert_eq!(topic.compression_type, TopicCompression::Producer);
        assert_eq!(topic.compression_gzip_level, -1);
        assert_eq!(topic.compression_lz4_level, 9);
        assert_eq!(topic.compression_zstd_level, 3);
        assert_eq!(topic.delete_retention_ms, 86_400_000);
        assert_eq!(topic.file_delete_delay_ms, 60_000);
        assert_eq!(topic.flush_messages, i64::MAX);
        assert_eq!(topic.flush_ms, i64::MAX);
        assert_eq!(topic.index_interval_bytes, 4096);
        assert_eq!(topic.max_compaction_lag_ms, i64::MAX);
        assert_eq!(topic.max_message_bytes, 1_048_588);
        assert_eq!(topic.message_timestamp_after_max_ms, 3_600_000);
        assert_eq!(topic.message_timestamp_before_max_ms, i64::MAX);
        assert_eq!(topic.message_timestamp_type, TimestampType::CreateTime);
        assert_eq!(topic.min_cleanable_dirty_ratio, 0.5);
        assert_eq!(topic.min_compaction_lag_ms, 0);
        assert_eq!(topic.min_insync_replicas, 1);
        assert!(!topic.preallocate);
        assert_eq!(topic.retention_bytes, -1);
        assert_eq!(topic.retention_ms, 604_800_000);
        assert_eq!(topic.segment_bytes, 1_073_741_824);
        assert_eq!(topic.segment_index_bytes, 10_485_760);
        assert_eq!(topic.segment_jitter_ms, 0);
        assert_eq!(topic.segment_ms, 604_800_000);
        assert!(!topic.unclean_leader_election_enable);
        assert_eq!(topic.retention_limit_ms(), Some(604_800_000));
        assert_eq!(topic.retention_limit_bytes(), None);
    }

    #[test]
    fn broker_log_keys_become_topic_defaults() {
        let s = server(
            "log.retention.hours=24\nlog.segment.bytes=2097152\nlog.cleanup.policy=compact\nmessage.max.bytes=2000000\n\
             min.insync.replicas=2\nlog.roll.hours=1\nlog.cleaner.min.cleanable.ratio=0.25\ncompression.type=zstd\n\
             log.flush.interval.ms=1000\nlog.message.timestamp.type=LogAppendTime\n",
        );
        let t = &s.topic_defaults;
        assert_eq!(t.retention_ms, 86_400_000);
        assert_eq!(t.segment_bytes, 2_097_152);
        assert_eq!(t.cleanup_policy, CleanupPolicy::COMPACT);
        assert_eq!(t.max_message_bytes, 2_000_000);
        assert_eq!(t.min_insync_replicas, 2);
        assert_eq!(t.segment_ms, 3_600_000);
        assert_eq!(t.min_cleanable_dirty_ratio, 0.25);
        assert_eq!(t.compression_type, TopicCompression::Zstd);
        assert_eq!(t.flush_ms, 1000);
        assert_eq!(t.message_timestamp_type, TimestampType::LogAppendTime);
        let unlimited = server("log.retention.ms=-1\n");
        assert_eq!(unlimited.topic_defaults.retention_limit_ms(), None);
    }

    #[test]
    fn overrides_apply_over_server_defaults() {
        let s = server("log.retention.hours=24\n");
        let t = TopicConfig::resolve(
            &s,
            [
                ("cleanup.policy", "compact"),
                ("min.cleanable.dirty.ratio", "0.01"),
                ("segment.ms", "100"),
                ("delete.retention.ms", "100"),
                ("max.message.bytes", "64000"),
                ("min.insync.replicas", "2"),
            ],
        )
        .unwrap();
        assert_eq!(t.cleanup_policy, CleanupPolicy::COMPACT);
        assert_eq!(t.min_cleanable_dirty_ratio, 0.01);
        assert_eq!(t.segment_ms, 100);
        assert_eq!(t.delete_retention_ms, 100);
        assert_eq!(t.max_message_bytes, 64000);
        assert_eq!(t.min_insync_replicas, 2);
        assert_eq!(t.retention_ms, 86_400_000, "not overridden: the server default");
        let both = TopicConfig::resolve(&s, [("cleanup.policy", "compact,delete")]).unwrap();
        assert_eq!(both.cleanup_policy, CleanupPolicy { delete: true, compact: true });
        assert_eq!(both.cleanup_policy.to_string(), "compact,delete");
    }

    #[test]
    fn bad_overrides_name_the_key_and_value() {
        let s = server("");
        let err = TopicConfig::validate_overrides(&s, [("retention.mss", "1")]).unwrap_err();
        assert_eq!(err.to_string(), "Unknown topic config name: retention.mss");
        for (name, value) in [
            ("retention.ms", "abc"),
            ("retention.ms", "-2"),
            ("segment.bytes", "1000"),
            ("segment.ms", "0"),
            ("cleanup.policy", "compact,remove"),
            ("min.cleanable.dirty.ratio", "1.5"),
            ("min.insync.replicas", "0"),
            ("max.message.bytes", "-1"),
            ("message.timestamp.type", "Now"),
            ("compression.type", "brotli"),
            ("compression.gzip.level", "10"),
            ("unclean.leader.election.enable", "maybe"),
            ("leader.replication.throttled.replicas", "x"),
            ("remote.storage.enable", "true"),
        ] {
            let err = TopicConfig::validate_overrides(&s, [(name, value)]).unwrap_err();
            assert_eq!(err.key(), Some(name), "{name}={value}: {err}");
            assert!(err.to_string().starts_with("Invalid value "), "{err}");
            assert!(err.to_string().contains(&format!("for configuration {name}")), "{err}");
        }
        let err =
            TopicConfig::validate_overrides(&s, [("min.compaction.lag.ms", "10"), ("max.compaction.lag.ms", "5")])
                .unwrap_err();
        assert!(err.to_string().contains("min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"), "{err}");
        assert!(TopicConfig::validate_overrides(&s, [("remote.storage.enable", "false")]).is_ok());
    }
}
