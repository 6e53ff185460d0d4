//! The broker keys Flotilla knows, with Kafka 4.x's names, types, defaults and valid values, and how it
//! treats the Kafka keys it does not act on.
//!
//! - [`TYPED`]: read into [`crate::ServerConfig`].
//! - [`ACCEPTED`]: Kafka tuning keys Flotilla validates and reports in DescribeConfigs but does not act
//!   on, because ignoring them changes no outcome (buffer sizes, thread counts, purgatory intervals).
//! - [`IGNORED_KEYS`] / [`IGNORED_PREFIXES`]: accepted silently without validation (metrics reporters,
//!   quota windows, KIP-848/share-group tuning, metadata-log tuning, ZooKeeper-era leftovers).
//! - [`UNSUPPORTED`]: Kafka features Flotilla does not have (TLS, SASL, ACLs, ZooKeeper, tiered storage,
//!   policies, throttles); setting one to anything but its harmless value produces a warning.
//! - anything else is unknown and produces a warning naming it, as Kafka logs one.

use crate::key::{Check, ConfigType as T, KeyDef};

const COMPRESSION_TYPES: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];
const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
const PROTOCOLS: &[&str] = &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

macro_rules! keys {
    ($($(#[$doc:meta])* $id:ident = $name:literal, $ty:ident, $default:expr, $check:expr;)*) => {
        $(
            $(#[$doc])*
            pub const $id: KeyDef = KeyDef::new($name, T::$ty, $default, $check);
        )*
    };
}

// KRaft and the quorum.
keys! {
    NODE_ID = "node.id", Int, Some("-1"), Check::Any;
    BROKER_ID = "broker.id", Int, Some("-1"), Check::Any;
    PROCESS_ROLES = "process.roles", List, Some(""), Check::ListOf(&["broker", "controller"]);
    CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters", List, Some(""), Check::Any;
    CONTROLLER_QUORUM_BOOTSTRAP_SERVERS = "controller.quorum.bootstrap.servers", List, Some(""), Check::Any;
    CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS = "controller.quorum.election.timeout.ms", Int, Some("1000"), Check::AtLeast(1);
    CONTROLLER_QUORUM_FETCH_TIMEOUT_MS = "controller.quorum.fetch.timeout.ms", Int, Some("2000"), Check::AtLeast(1);
    CONTROLLER_QUORUM_ELECTION_BACKOFF_MAX_MS = "controller.quorum.election.backoff.max.ms", Int, Some("1000"), Check::AtLeast(0);
    CONTROLLER_QUORUM_APPEND_LINGER_MS = "controller.quorum.append.linger.ms", Int, Some("25"), Check::AtLeast(0);
    CONTROLLER_QUORUM_REQUEST_TIMEOUT_MS = "controller.quorum.request.timeout.ms", Int, Some("2000"), Check::AtLeast(1);
    CONTROLLER_QUORUM_RETRY_BACKOFF_MS = "controller.quorum.retry.backoff.ms", Int, Some("20"), Check::AtLeast(0);
    CONTROLLER_LISTENER_NAMES = "controller.listener.names", String, None, Check::Any;
    METADATA_LOG_DIR = "metadata.log.dir", String, None, Check::Any;
    BROKER_HEARTBEAT_INTERVAL_MS = "broker.heartbeat.interval.ms", Int, Some("2000"), Check::AtLeast(1);
    BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms", Int, Some("9000"), Check::AtLeast(1);
}

// Listeners and sockets.
keys! {
    LISTENERS = "listeners", String, Some("PLAINTEXT://:9092"), Check::Any;
    ADVERTISED_LISTENERS = "advertised.listeners", String, None, Check::Any;
    LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map", String,
        Some("SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"), Check::Any;
    INTER_BROKER_LISTENER_NAME = "inter.broker.listener.name", String, None, Check::Any;
    SECURITY_INTER_BROKER_PROTOCOL = "security.inter.broker.protocol", String, Some("PLAINTEXT"), Check::OneOf(PROTOCOLS);
    SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes", Int, Some("104857600"), Check::AtLeast(1);
    MAX_CONNECTIONS = "max.connections", Int, Some("2147483647"), Check::AtLeast(0);
    MAX_CONNECTIONS_PER_IP = "max.connections.per.ip", Int, Some("2147483647"), Check::AtLeast(0);
    CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms", Long, Some("600000"), Check::Any;
    QUEUED_MAX_REQUESTS = "queued.max.requests", Int, Some("500"), Check::AtLeast(1);
    NUM_NETWORK_THREADS = "num.network.threads", Int, Some("3"), Check::AtLeast(1);
    NUM_IO_THREADS = "num.io.threads", Int, Some("8"), Check::AtLeast(1);
    FETCH_MAX_BYTES = "fetch.max.bytes", Int, Some("57671680"), Check::AtLeast(1024);
}

// Topics, partitions and replication.
keys! {
    NUM_PARTITIONS = "num.partitions", Int, Some("1"), Check::AtLeast(1);
    /// Kafka does not range-check this key at startup (topic creation fails later); Flotilla does.
    DEFAULT_REPLICATION_FACTOR = "default.replication.factor", Int, Some("1"), Check::Between(1, 32767);
    MIN_INSYNC_REPLICAS = "min.insync.replicas", Int, Some("1"), Check::AtLeast(1);
    AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable", Boolean, Some("true"), Check::Any;
    DELETE_TOPIC_ENABLE = "delete.topic.enable", Boolean, Some("true"), Check::Any;
    MESSAGE_MAX_BYTES = "message.max.bytes", Int, Some("1048588"), Check::AtLeast(0);
    REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms", Long, Some("30000"), Check::AtLeast(1);
    REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes", Int, Some("1048576"), Check::AtLeast(0);
    REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms", Int, Some("500"), Check::AtLeast(0);
    REPLICA_FETCH_RESPONSE_MAX_BYTES = "replica.fetch.response.max.bytes", Int, Some("10485760"), Check::AtLeast(0);
    UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable", Boolean, Some("false"), Check::Any;
    AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable", Boolean, Some("true"), Check::Any;
    LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS = "leader.imbalance.check.interval.seconds", Long, Some("300"), Check::AtLeast(1);
    LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = "leader.imbalance.per.broker.percentage", Int, Some("10"), Check::Any;
    BROKER_RACK = "broker.rack", String, None, Check::Any;
}

// Flotilla's own keys (no Kafka equivalent: Kafka exposes JMX and leaves HTTP to an exporter).
keys! {
    /// `host:port` of the HTTP listener serving Prometheus text at `/metrics`; empty: none.
    PROMETHEUS_LISTENER = "prometheus.listener", String, Some(""), Check::Any;
}

// The log.
keys! {
    LOG_DIRS = "log.dirs", String, None, Check::Any;
    LOG_DIR = "log.dir", String, Some("/tmp/kafka-logs"), Check::Any;
    /// Kafka 4.0 raised the minimum to 1 MiB (KIP-1030).
    LOG_SEGMENT_BYTES = "log.segment.bytes", Int, Some("1073741824"), Check::AtLeast(1048576);
    LOG_ROLL_MS = "log.roll.ms", Long, None, Check::Any;
    LOG_ROLL_HOURS = "log.roll.hours", Int, Some("168"), Check::AtLeast(1);
    LOG_ROLL_JITTER_MS = "log.roll.jitter.ms", Long, None, Check::Any;
    LOG_ROLL_JITTER_HOURS = "log.roll.jitter.hours", Int, Some("0"), Check::AtLeast(0);
    LOG_RETENTION_MS = "log.retention.ms", Long, None, Check::Any;
    LOG_RETENTION_MINUTES = "log.retention.minutes", Int, None, Check::Any;
    LOG_RETENTION_HOURS = "log.retention.hours", Int, Some("168"), Check::Any;
    LOG_RETENTION_BYTES = "log.retention.bytes", Long, Some("-1"), Check::Any;
    LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms", Long, Some("300000"), Check::AtLeast(1);
    LOG_CLEANUP_POLICY = "log.cleanup.policy", List, Some("delete"), Check::ListOf(CLEANUP_POLICIES);
    LOG_INDEX_SIZE_MAX_BYTES = "log.index.size.max.bytes", Int, Some("10485760"), Check::AtLeast(4);
    LOG_INDEX_INTERVAL_BYTES = "log.index.interval.bytes", Int, Some("4096"), Check::AtLeast(0);
    LOG_FLUSH_INTERVAL_MESSAGES = "log.flush.interval.messages", Long, Some("9223372036854775807"), Check::AtLeast(1);
    LOG_FLUSH_INTERVAL_MS = "log.flush.interval.ms", Long, None, Check::Any;
    LOG_FLUSH_SCHEDULER_INTERVAL_MS = "log.flush.scheduler.interval.ms", Long, Some("9223372036854775807"), Check::Any;
    LOG_SEGMENT_DELETE_DELAY_MS = "log.segment.delete.delay.ms", Long, Some("60000"), Check::AtLeast(0);
    LOG_PREALLOCATE = "log.preallocate", Boolean, Some("false"), Check::Any;
    LOG_MESSAGE_TIMESTAMP_TYPE = "log.message.timestamp.type", String, Some("CreateTime"), Check::OneOf(TIMESTAMP_TYPES);
    LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS = "log.message.timestamp.before.max.ms", Long, Some("9223372036854775807"), Check::AtLeast(0);
    /// Kafka 4.0 lowered the default to one hour (KIP-1030).
    LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS = "log.message.timestamp.after.max.ms", Long, Some("3600000"), Check::AtLeast(0);
    LOG_CLEANER_ENABLE = "log.cleaner.enable", Boolean, Some("true"), Check::Any;
    LOG_CLEANER_DELETE_RETENTION_MS = "log.cleaner.delete.retention.ms", Long, Some("86400000"), Check::AtLeast(0);
    LOG_CLEANER_MIN_COMPACTION_LAG_MS = "log.cleaner.min.compaction.lag.ms", Long, Some("0"), Check::AtLeast(0);
    LOG_CLEANER_MAX_COMPACTION_LAG_MS = "log.cleaner.max.compaction.lag.ms", Long, Some("9223372036854775807"), Check::AtLeast(1);
    LOG_CLEANER_MIN_CLEANABLE_RATIO = "log.cleaner.min.cleanable.ratio", Double, Some("0.5"), Check::Between(0, 1);
    LOG_CLEANER_BACKOFF_MS = "log.cleaner.backoff.ms", Long, Some("15000"), Check::AtLeast(0);
    COMPRESSION_TYPE = "compression.type", String, Some("producer"), Check::OneOf(COMPRESSION_TYPES);
    COMPRESSION_GZIP_LEVEL = "compression.gzip.level", Int, Some("-1"), Check::GzipLevel;
    COMPRESSION_LZ4_LEVEL = "compression.lz4.level", Int, Some("9"), Check::Between(1, 17);
    COMPRESSION_ZSTD_LEVEL = "compression.zstd.level", Int, Some("3"), Check::Between(-131072, 22);
    /// Deprecated no-op since Kafka 4.0 (down-conversion is gone); the topic key's server default.
    LOG_MESSAGE_DOWNCONVERSION_ENABLE = "log.message.downconversion.enable", Boolean, Some("true"), Check::Any;
    /// Tiered storage only; the server default of `local.retention.ms` (-2: same as retention.ms).
    LOG_LOCAL_RETENTION_MS = "log.local.retention.ms", Long, Some("-2"), Check::AtLeast(-2);
    /// Tiered storage only; the server default of `local.retention.bytes` (-2: same as retention.bytes).
    LOG_LOCAL_RETENTION_BYTES = "log.local.retention.bytes", Long, Some("-2"), Check::AtLeast(-2);
}

// Group and transaction coordinators.
keys! {
    GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms", Int, Some("3000"), Check::AtLeast(0);
    GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms", Int, Some("6000"), Check::Any;
    GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms", Int, Some("1800000"), Check::Any;
    GROUP_MAX_SIZE = "group.max.size", Int, Some("2147483647"), Check::AtLeast(1);
    OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor", Short, Some("3"), Check::AtLeast(1);
    OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions", Int, Some("50"), Check::AtLeast(1);
    OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes", Int, Some("104857600"), Check::AtLeast(1);
    OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes", Int, Some("10080"), Check::AtLeast(1);
    OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms", Long, Some("600000"), Check::AtLeast(1);
    OFFSET_METADATA_MAX_BYTES = "offset.metadata.max.bytes", Int, Some("4096"), Check::Any;
    OFFSETS_COMMIT_TIMEOUT_MS = "offsets.commit.timeout.ms", Int, Some("5000"), Check::AtLeast(1);
    GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms", Int, Some("45000"), Check::AtLeast(1);
    GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms", Int, Some("5000"), Check::AtLeast(1);
    GROUP_CONSUMER_MAX_SIZE = "group.consumer.max.size", Int, Some("2147483647"), Check::AtLeast(1);
    /// The server-side assignors of the consumer group protocol, the first the default; Kafka's class
    /// names are accepted for the same two.
    GROUP_CONSUMER_ASSIGNORS = "group.consumer.assignors", List, Some("uniform,range"), Check::ListOf(CONSUMER_ASSIGNORS);
    TRANSACTION_STATE_LOG_REPLICATION_FACTOR = "transaction.state.log.replication.factor", Short, Some("3"), Check::AtLeast(1);
    TRANSACTION_STATE_LOG_MIN_ISR = "transaction.state.log.min.isr", Int, Some("2"), Check::AtLeast(1);
    TRANSACTION_STATE_LOG_NUM_PARTITIONS = "transaction.state.log.num.partitions", Int, Some("50"), Check::AtLeast(1);
    TRANSACTION_STATE_LOG_SEGMENT_BYTES = "transaction.state.log.segment.bytes", Int, Some("104857600"), Check::AtLeast(1);
    TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms", Int, Some("900000"), Check::AtLeast(1);
    TRANSACTIONAL_ID_EXPIRATION_MS = "transactional.id.expiration.ms", Int, Some("604800000"), Check::AtLeast(1);
    PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms", Int, Some("86400000"), Check::AtLeast(1);
}

/// Names `group.consumer.assignors` accepts: Flotilla's and Kafka's class names of the same assignors.
pub const CONSUMER_ASSIGNORS: &[&str] = &[
    "uniform",
    "range",
    "org.apache.kafka.coordinator.group.assignor.UniformAssignor",
    "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
];

/// Keys [`crate::ServerConfig`] reads.
pub const TYPED: &[KeyDef] = &[
    NODE_ID,
    BROKER_ID,
    PROCESS_ROLES,
    CONTROLLER_QUORUM_VOTERS,
    CONTROLLER_QUORUM_BOOTSTRAP_SERVERS,
    CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS,
    CONTROLLER_QUORUM_FETCH_TIMEOUT_MS,
    CONTROLLER_QUORUM_ELECTION_BACKOFF_MAX_MS,
    CONTROLLER_QUORUM_APPEND_LINGER_MS,
    CONTROLLER_QUORUM_REQUEST_TIMEOUT_MS,
    CONTROLLER_QUORUM_RETRY_BACKOFF_MS,
    CONTROLLER_LISTENER_NAMES,
    METADATA_LOG_DIR,
    BROKER_HEARTBEAT_INTERVAL_MS,
    BROKER_SESSION_TIMEOUT_MS,
    LISTENERS,
    ADVERTISED_LISTENERS,
    LISTENER_SECURITY_PROTOCOL_MAP,
    INTER_BROKER_LISTENER_NAME,
    SECURITY_INTER_BROKER_PROTOCOL,
    SOCKET_REQUEST_MAX_BYTES,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_IP,
    CONNECTIONS_MAX_IDLE_MS,
    QUEUED_MAX_REQUESTS,
    NUM_NETWORK_THREADS,
    NUM_IO_THREADS,
    FETCH_MAX_BYTES,
    NUM_PARTITIONS,
    DEFAULT_REPLICATION_FACTOR,
    MIN_INSYNC_REPLICAS,
    AUTO_CREATE_TOPICS_ENABLE,
    DELETE_TOPIC_ENABLE,
    MESSAGE_MAX_BYTES,
    REPLICA_LAG_TIME_MAX_MS,
    REPLICA_FETCH_MAX_BYTES,
    REPLICA_FETCH_WAIT_MAX_MS,
    REPLICA_FETCH_RESPONSE_MAX_BYTES,
    UNCLEAN_LEADER_ELECTION_ENABLE,
    AUTO_LEADER_REBALANCE_ENABLE,
    LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS,
    LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
    BROKER_RACK,
    PROMETHEUS_LISTENER,
    LOG_DIRS,
    LOG_DIR,
    LOG_SEGMENT_BYTES,
    LOG_ROLL_MS,
    LOG_ROLL_HOURS,
    LOG_ROLL_JITTER_MS,
    LOG_ROLL_JITTER_HOURS,
    LOG_RETENTION_MS,
    LOG_RETENTION_MINUTES,
    LOG_RETENTION_HOURS,
    LOG_RETENTION_BYTES,
    LOG_RETENTION_CHECK_INTERVAL_MS,
    LOG_CLEANUP_POLICY,
    LOG_INDEX_SIZE_MAX_BYTES,
    LOG_INDEX_INTERVAL_BYTES,
    LOG_FLUSH_INTERVAL_MESSAGES,
    LOG_FLUSH_INTERVAL_MS,
    LOG_FLUSH_SCHEDULER_INTERVAL_MS,
    LOG_SEGMENT_DELETE_DELAY_MS,
    LOG_PREALLOCATE,
    LOG_MESSAGE_TIMESTAMP_TYPE,
    LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS,
    LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS,
    LOG_CLEANER_ENABLE,
    LOG_CLEANER_DELETE_RETENTION_MS,
    LOG_CLEANER_MIN_COMPACTION_LAG_MS,
    LOG_CLEANER_MAX_COMPACTION_LAG_MS,
    LOG_CLEANER_MIN_CLEANABLE_RATIO,
    LOG_CLEANER_BACKOFF_MS,
    COMPRESSION_TYPE,
    COMPRESSION_GZIP_LEVEL,
    COMPRESSION_LZ4_LEVEL,
    COMPRESSION_ZSTD_LEVEL,
    LOG_MESSAGE_DOWNCONVERSION_ENABLE,
    LOG_LOCAL_RETENTION_MS,
    LOG_LOCAL_RETENTION_BYTES,
    GROUP_INITIAL_REBALANCE_DELAY_MS,
    GROUP_MIN_SESSION_TIMEOUT_MS,
    GROUP_MAX_SESSION_TIMEOUT_MS,
    GROUP_MAX_SIZE,
    OFFSETS_TOPIC_REPLICATION_FACTOR,
    OFFSETS_TOPIC_NUM_PARTITIONS,
    OFFSETS_TOPIC_SEGMENT_BYTES,
    OFFSETS_RETENTION_MINUTES,
    OFFSETS_RETENTION_CHECK_INTERVAL_MS,
    OFFSET_METADATA_MAX_BYTES,
    OFFSETS_COMMIT_TIMEOUT_MS,
    GROUP_CONSUMER_SESSION_TIMEOUT_MS,
    GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS,
    GROUP_CONSUMER_MAX_SIZE,
    GROUP_CONSUMER_ASSIGNORS,
    TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
    TRANSACTION_STATE_LOG_MIN_ISR,
    TRANSACTION_STATE_LOG_NUM_PARTITIONS,
    TRANSACTION_STATE_LOG_SEGMENT_BYTES,
    TRANSACTION_MAX_TIMEOUT_MS,
    TRANSACTIONAL_ID_EXPIRATION_MS,
    PRODUCER_ID_EXPIRATION_MS,
];

/// Kafka keys that are validated and reported but not acted on: tuning whose absence changes no outcome.
pub const ACCEPTED: &[KeyDef] = &[
    KeyDef::new("initial.broker.registration.timeout.ms", T::Int, Some("60000"), Check::Any),
    KeyDef::new("socket.send.buffer.bytes", T::Int, Some("102400"), Check::Any),
    KeyDef::new("socket.receive.buffer.bytes", T::Int, Some("102400"), Check::Any),
    KeyDef::new("socket.listen.backlog.size", T::Int, Some("50"), Check::AtLeast(1)),
    KeyDef::new("queued.max.request.bytes", T::Long, Some("-1"), Check::Any),
    KeyDef::new("background.threads", T::Int, Some("10"), Check::AtLeast(1)),
    KeyDef::new("request.timeout.ms", T::Int, Some("30000"), Check::Any),
    KeyDef::new("num.recovery.threads.per.data.dir", T::Int, Some("2"), Check::AtLeast(1)),
    KeyDef::new("num.replica.fetchers", T::Int, Some("1"), Check::Any),
    KeyDef::new("replica.fetch.min.bytes", T::Int, Some("1"), Check::Any),
    KeyDef::new("replica.fetch.backoff.ms", T::Int, Some("1000"), Check::AtLeast(0)),
    KeyDef::new("replica.socket.timeout.ms", T::Int, Some("30000"), Check::Any),
    KeyDef::new("replica.socket.receive.buffer.bytes", T::Int, Some("65536"), Check::Any),
    KeyDef::new("replica.high.watermark.checkpoint.interval.ms", T::Long, Some("5000"), Check::Any),
    KeyDef::new("fetch.purgatory.purge.interval.requests", T::Int, Some("1000"), Check::Any),
    KeyDef::new("producer.purgatory.purge.interval.requests", T::Int, Some("1000"), Check::Any),
    KeyDef::new("delete.records.purgatory.purge.interval.requests", T::Int, Some("1"), Check::Any),
    KeyDef::new("unclean.leader.election.interval.ms", T::Long, Some("300000"), Check::Any),
    KeyDef::new("controlled.shutdown.enable", T::Boolean, Some("true"), Check::Any),
    KeyDef::new("max.incremental.fetch.session.cache.slots", T::Int, Some("1000"), Check::AtLeast(0)),
    KeyDef::new("log.flush.offset.checkpoint.interval.ms", T::Int, Some("60000"), Check::AtLeast(0)),
    KeyDef::new("log.flush.start.offset.checkpoint.interval.ms", T::Int, Some("60000"), Check::AtLeast(0)),
    KeyDef::new("log.dir.failure.timeout.ms", T::Long, Some("30000"), Check::AtLeast(1)),
    KeyDef::new("log.cleaner.threads", T::Int, Some("1"), Check::AtLeast(0)),
    KeyDef::new("log.cleaner.dedupe.buffer.size", T::Long, Some("134217728"), Check::Any),
    KeyDef::new("log.cleaner.io.buffer.size", T::Int, Some("524288"), Check::AtLeast(0)),
    KeyDef::new("offsets.load.buffer.size", T::Int, Some("5242880"), Check::AtLeast(1)),
    KeyDef::new("offsets.topic.compression.codec", T::Int, Some("0"), Check::Any),
    KeyDef::new("group.coordinator.threads", T::Int, Some("1"), Check::AtLeast(1)),
    KeyDef::new("transaction.state.log.load.buffer.size", T::Int, Some("5242880"), Check::AtLeast(1)),
    KeyDef::new(
        "transaction.abort.timed.out.transaction.cleanup.interval.ms",
        T::Int,
        Some("10000"),
        Check::AtLeast(1),
    ),
    KeyDef::new(
        "transaction.remove.expired.transaction.cleanup.interval.ms",
        T::Int,
        Some("3600000"),
        Check::AtLeast(1),
    ),
    KeyDef::new("producer.id.expiration.check.interval.ms", T::Int, Some("600000"), Check::AtLeast(1)),
    KeyDef::new("transaction.partition.verification.enable", T::Boolean, Some("true"), Check::Any),
];

/// Kafka keys accepted silently and not validated.
pub const IGNORED_KEYS: &[&str] = &[
    "inter.broker.protocol.version",
    "log.message.format.version",
    "log.message.timestamp.difference.max.ms",
    "broker.id.generation.enable",
    "reserved.broker.max.id",
    "log.cleaner.io.max.bytes.per.second",
    "log.cleaner.io.buffer.load.factor",
    "log.initial.task.delay.ms",
    "controlled.shutdown.max.retries",
    "controlled.shutdown.retry.backoff.ms",
    "early.start.listeners",
    "unstable.api.versions.enable",
    "unstable.feature.versions.enable",
    "replica.selector.class",
    "connection.failed.authentication.delay.ms",
    "connections.max.reauth.ms",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "num.replica.alter.log.dirs.threads",
    "group.coordinator.append.linger.ms",
    "group.coordinator.rebalance.protocols",
    "group.coordinator.new.enable",
    "group.consumer.min.session.timeout.ms",
    "group.consumer.max.session.timeout.ms",
    "group.consumer.min.heartbeat.interval.ms",
    "group.consumer.max.heartbeat.interval.ms",
    "group.consumer.migration.policy",
    "group.consumer.regex.refresh.interval.ms",
    "offsets.commit.required.acks",
    "sasl.mechanism.controller.protocol",
    "sasl.mechanism.inter.broker.protocol",
    "server.max.startup.time.ms",
    "auto.include.jmx.reporter",
    "metric.reporters",
    "telemetry.max.bytes",
];

/// Prefixes of Kafka keys accepted silently and not validated.
pub const IGNORED_PREFIXES: &[&str] = &[
    "metadata.log.segment.",
    "metadata.log.max.",
    "metadata.max.",
    "metrics.",
    "kafka.metrics.",
    "quota.window.",
    "replication.quota.window.",
    "alter.log.dirs.replication.quota.window.",
    "controller.quota.window.",
    "group.share.",
    "group.streams.",
    "share.coordinator.",
];

/// A Kafka feature Flotilla lacks: a key, or a prefix ending in '.', that warns when set, unless set to
/// its harmless value.
#[derive(Debug, Clone, Copy)]
pub struct Unsupported {
    pub key_or_prefix: &'static str,
    pub harmless_value: Option<&'static str>,
    pub reason: &'static str,
}

const fn unsupported(
    key_or_prefix: &'static str,
    harmless_value: Option<&'static str>,
    reason: &'static str,
) -> Unsupported {
    Unsupported { key_or_prefix, harmless_value, reason }
}

const NO_TLS: &str = "Flotilla serves PLAINTEXT listeners only (no TLS)";
const NO_SASL: &str = "Flotilla serves PLAINTEXT listeners only (no SASL authentication)";
const NO_ACLS: &str = "Flotilla does not enforce ACLs";
const NO_TIERED: &str = "Flotilla has no tiered storage";
const NO_QUOTAS: &str = "Flotilla does not enforce quotas or throttles";

/// Exact keys are matched before prefixes.
pub const UNSUPPORTED: &[Unsupported] = &[
    unsupported("zookeeper.", None, "ZooKeeper mode is not supported; Flotilla runs in KRaft mode only"),
    unsupported(
        "control.plane.listener.name",
        None,
        "a separate control-plane listener is not supported in KRaft mode",
    ),
    unsupported("ssl.", None, NO_TLS),
    unsupported("sasl.", None, NO_SASL),
    unsupported("listener.name.", None, "per-listener overrides are not supported"),
    unsupported("authorizer.class.name", Some(""), NO_ACLS),
    unsupported("super.users", None, NO_ACLS),
    unsupported("allow.everyone.if.no.acl.found", None, NO_ACLS),
    unsupported("principal.builder.class", None, NO_ACLS),
    unsupported("security.providers", None, NO_TLS),
    unsupported("delegation.token.", None, "delegation tokens are not supported"),
    unsupported("remote.log.storage.system.enable", Some("false"), NO_TIERED),
    unsupported("remote.log.", None, NO_TIERED),
    unsupported("max.connections.per.ip.overrides", Some(""), "per-address connection limits are not enforced"),
    unsupported("max.connection.creation.rate", Some("2147483647"), "connection-rate limits are not enforced"),
    unsupported("client.quota.callback.class", None, NO_QUOTAS),
    unsupported("leader.replication.throttled.rate", None, NO_QUOTAS),
    unsupported("follower.replication.throttled.rate", None, NO_QUOTAS),
    unsupported("replica.alter.log.dirs.io.max.bytes.per.second", None, NO_QUOTAS),
    unsupported("create.topic.policy.class.name", None, "topic policies are not supported"),
    unsupported("alter.config.policy.class.name", None, "config policies are not supported"),
    unsupported(
        "eligible.leader.replicas.enable",
        Some("false"),
        "eligible leader replicas (KIP-966) are not supported",
    ),
];

/// How Flotilla treats a broker key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Treatment {
    Known,
    Ignored,
    Unsupported(&'static Unsupported),
    Unknown,
}

/// The definition of a broker key Flotilla knows (typed or accepted).
pub fn key_def(name: &str) -> Option<&'static KeyDef> {
    TYPED.iter().chain(ACCEPTED).find(|d| d.name == name)
}

pub(crate) fn treatment(key: &str) -> Treatment {
    if key_def(key).is_some() {
        return Treatment::Known;
    }
    if IGNORED_KEYS.contains(&key) || IGNORED_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return Treatment::Ignored;
    }
    let exact = UNSUPPORTED.iter().find(|u| u.key_or_prefix == key);
    let prefix = || UNSUPPORTED.iter().find(|u| u.key_or_prefix.ends_with('.') && key.starts_with(u.key_or_prefix));
    match exact.or_else(prefix) {
        Some(u) => Treatment::Unsupported(u),
        None => Treatment::Unknown,
    }
}

/// Every key reported by DescribeConfigs on a broker, sorted by name.
pub(crate) fn described() -> Vec<&'static KeyDef> {
    let mut all: Vec<&'static KeyDef> = TYPED.iter().chain(ACCEPTED).collect();
    all.sort_by_key(|d| d.name);
    all
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_default_is_valid_for_its_key() {
        for def in TYPED.iter().chain(ACCEPTED) {
            if let Some(default) = def.default {
                assert!(def.parse(default).is_ok(), "default {default:?} of {} does not validate", def.name);
            }
        }
    }

    #[test]
    fn names_are_unique_and_not_also_ignored_or_unsupported() {
        let mut seen = BTreeSet::new();
        for def in TYPED.iter().chain(ACCEPTED) {
            assert!(seen.insert(def.name), "{} defined twice", def.name);
            assert!(!IGNORED_KEYS.contains(&def.name), "{}", def.name);
            assert!(!IGNORED_PREFIXES.iter().any(|p| def.name.starts_with(p)), "{}", def.name);
            assert!(!UNSUPPORTED.iter().any(|u| u.key_or_prefix == def.name), "{}", def.name);
        }
    }

    #[test]
    fn treatment_of_keys() {
        assert!(matches!(treatment("num.partitions"), Treatment::Known));
        assert!(matches!(treatment("num.replica.fetchers"), Treatment::Known));
        assert!(matches!(treatment("metrics.num.samples"), Treatment::Ignored));
        assert!(matches!(treatment("share.coordinator.state.topic.replication.factor"), Treatment::Ignored));
        assert!(matches!(treatment("zookeeper.connect"), Treatment::Unsupported(_)));
        assert!(matches!(treatment("ssl.keystore.location"), Treatment::Unsupported(_)));
        assert!(matches!(
            treatment("remote.log.storage.system.enable"),
            Treatment::Unsupported(Unsupported { harmless_value: Some("false"), .. })
        ));
        assert!(matches!(treatment("no.such.key"), Treatment::Unknown));
    }
}
