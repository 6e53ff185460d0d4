//! [`ServerConfig`]: a node's typed, validated config, built from server.properties text and `KAFKA_*`
//! environment overrides (or, with no file, from [`DEFAULT_SERVER_PROPERTIES`]).
//!
//! Precedence and derived values follow Kafka:
//! - environment overrides win over the file; within the file the last occurrence of a key wins;
//! - `node.id` and `broker.id` are one setting (if both are given they must agree);
//! - `log.dirs` wins over `log.dir` (default `/tmp/kafka-logs`); `metadata.log.dir` defaults to the
//!   first log dir;
//! - retention: `log.retention.ms` > `log.retention.minutes` > `log.retention.hours` (default 168); any
//!   negative value means unlimited (-1);
//! - roll: `log.roll.ms` > `log.roll.hours`; jitter: `log.roll.jitter.ms` > `log.roll.jitter.hours`;
//!   flush: `log.flush.interval.ms` > `log.flush.scheduler.interval.ms`;
//! - `advertised.listeners` defaults to `listeners`; the broker's advertised listeners never include
//!   controller listeners;
//! - without an explicit `listener.security.protocol.map`, controller listener names map to PLAINTEXT
//!   (unless SSL or SASL is in use), as Kafka does in KRaft mode.
//!
//! Validation is Kafka's KRaft validation (`KafkaConfig.validateValues`), plus: listeners must be
//! PLAINTEXT (Flotilla has no TLS or SASL) and `default.replication.factor` must be 1-32767.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use flotilla_model::NodeId;

use crate::address::{is_non_routable, is_valid_host, parse_port, split_host_port, HostPort};
use crate::env;
use crate::error::ConfigError;
use crate::key::{KeyDef, Value, ValueMap};
use crate::listeners::{csv, parse_endpoints, Endpoint, ListenerName, SecurityProtocol, SecurityProtocolMap};
use crate::origin::{Origin, RawValue};
use crate::properties;
use crate::quorum::{parse_bootstrap_servers, parse_voters, Voter};
use crate::server_keys::{self as k, treatment, Treatment};
use crate::topic::{CleanupPolicy, TopicConfig, TOPIC_KEYS};
use crate::warning::{ConfigWarning, WarningKind};

/// The config `flotilla server` uses when given no config file: one node that is both broker and
/// controller, on localhost, storing data in `./data`. The internal topics get one replica, as in
/// Kafka's shipped `config/server.properties`, so the node can serve consumer groups on its own.
pub const DEFAULT_SERVER_PROPERTIES: &str = "\
# Flotilla's built-in config: a single node that is both broker and controller.
node.id=1
process.roles=broker,controller
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
controller.listener.names=CONTROLLER
controller.quorum.voters=1@127.0.0.1:9093
log.dirs=./data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
";

/// Flotilla's extension key: the cluster id (Kafka keeps it only in `meta.properties`).
pub const CLUSTER_ID: &str = "cluster.id";
const CLUSTER_ID_MAX_LEN: usize = 255;

/// `process.roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcessRoles {
    pub broker: bool,
    pub controller: bool,
}

impl ProcessRoles {
    pub const COMBINED: ProcessRoles = ProcessRoles { broker: true, controller: true };
    pub const BROKER: ProcessRoles = ProcessRoles { broker: true, controller: false };
    pub const CONTROLLER: ProcessRoles = ProcessRoles { broker: false, controller: true };
}

impl fmt::Display for ProcessRoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.broker, self.controller) {
            (true, true) => f.write_str("broker,controller"),
            (true, false) => f.write_str("broker"),
            (false, true) => f.write_str("controller"),
            (false, false) => Ok(()),
        }
    }
}

/// A loaded config and what the operator should be told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: ServerConfig,
    pub warnings: Vec<ConfigWarning>,
}

/// A node's config. Field names are Kafka's keys with units last; Kafka's types are kept (a value of
/// -1 keeps Kafka's meaning, e.g. "unlimited").
///
/// Built only by [`ServerConfig::load`]. The fields are public for reading (and for tests to adjust);
/// [`ServerConfig::describe_broker`] and [`crate::TopicConfig::resolve`] report what was loaded, not
/// later edits.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// `node.id` (or its alias `broker.id`).
    pub node_id: NodeId,
    pub process_roles: ProcessRoles,
    /// `cluster.id` / `CLUSTER_ID`: optional; `meta.properties` may supply it instead.
    pub cluster_id: Option<String>,

    /// `controller.quorum.voters`: the static voter set (may be empty when bootstrap servers are given).
    pub controller_quorum_voters: Vec<Voter>,
    pub controller_quorum_bootstrap_servers: Vec<HostPort>,
    pub controller_quorum_election_timeout_ms: i32,
    pub controller_quorum_fetch_timeout_ms: i32,
    pub controller_quorum_election_backoff_max_ms: i32,
    pub controller_quorum_append_linger_ms: i32,
    pub controller_quorum_request_timeout_ms: i32,
    pub controller_quorum_retry_backoff_ms: i32,
    pub controller_listener_names: Vec<ListenerName>,
    pub broker_heartbeat_interval_ms: i32,
    pub broker_session_timeout_ms: i32,

    /// `listeners`: what to bind. An endpoint without a host binds every interface.
    pub listeners: Vec<Endpoint>,
    /// What clients are told: `advertised.listeners` (default `listeners`) without controller listeners.
    /// An endpoint without a host stands for this machine's host name.
    pub advertised_listeners: Vec<Endpoint>,
    /// How other controllers and brokers reach this node's controller listeners (Kafka's effective
    /// advertised controller listeners), in `controller.listener.names` order.
    pub advertised_controller_listeners: Vec<Endpoint>,
    pub listener_security_protocol_map: SecurityProtocolMap,
    /// `inter.broker.listener.name` (default: named after `security.inter.broker.protocol`, PLAINTEXT).
    pub inter_broker_listener_name: ListenerName,
    pub socket_request_max_bytes: i32,
    pub max_connections: i32,
    pub max_connections_per_ip: i32,
    pub connections_max_idle_ms: i64,
    pub queued_max_requests: i32,
    /// Recorded; Flotilla sizes its own runtime.
    pub num_network_threads: i32,
    /// Recorded; Flotilla sizes its own runtime.
    pub num_io_threads: i32,
    pub fetch_max_bytes: i32,

    pub num_partitions: i32,
    pub default_replication_factor: i16,
    pub min_insync_replicas: i32,
    pub auto_create_topics_enable: bool,
    pub delete_topic_enable: bool,
    pub message_max_bytes: i32,
    pub replica_lag_time_max_ms: i64,
    pub replica_fetch_max_bytes: i32,
    pub replica_fetch_wait_max_ms: i32,
    pub replica_fetch_response_max_bytes: i32,
    pub unclean_leader_election_enable: bool,
    pub auto_leader_rebalance_enable: bool,
    pub leader_imbalance_check_interval_seconds: i64,
    pub leader_imbalance_per_broker_percentage: i32,
    pub broker_rack: Option<String>,
    /// `prometheus.listener`: where `/metrics` is served over HTTP (an empty host binds every
    /// interface; port 0 lets the kernel choose); `None`: no metrics listener.
    pub prometheus_listener: Option<HostPort>,

    /// `log.dirs`, or `log.dir` when `log.dirs` is not set.
    pub log_dirs: Vec<PathBuf>,
    /// `metadata.log.dir`, or the first log dir.
    pub metadata_log_dir: PathBuf,
    pub log_segment_bytes: i32,
    /// `log.roll.ms`, or `log.roll.hours` in ms.
    pub log_roll_ms: i64,
    /// `log.roll.jitter.ms`, or `log.roll.jitter.hours` in ms.
    pub log_roll_jitter_ms: i64,
    /// `log.retention.ms`, `.minutes` or `.hours` in ms; -1 is unlimited.
    pub log_retention_ms: i64,
    /// -1 is unlimited.
    pub log_retention_bytes: i64,
    pub log_retention_check_interval_ms: i64,
    pub log_flush_interval_messages: i64,
    /// `log.flush.interval.ms`, or `log.flush.scheduler.interval.ms`.
    pub log_flush_interval_ms: i64,
    pub log_index_interval_bytes: i32,
    pub log_index_size_max_bytes: i32,
    pub log_cleanup_policy: CleanupPolicy,
    pub log_cleaner_enable: bool,
    pub log_cleaner_backoff_ms: i64,

    pub group_initial_rebalance_delay_ms: i32,
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
    pub group_max_size: i32,
    pub offsets_topic_replication_factor: i16,
    pub offsets_topic_num_partitions: i32,
    pub offsets_topic_segment_bytes: i32,
    pub offsets_retention_minutes: i32,
    pub offsets_retention_check_interval_ms: i64,
    pub offset_metadata_max_bytes: i32,
    pub offsets_commit_timeout_ms: i32,
    pub group_consumer_session_timeout_ms: i32,
    pub group_consumer_heartbeat_interval_ms: i32,
    pub group_consumer_max_size: i32,
    /// `group.consumer.assignors` as given (short names or Kafka's class names).
    pub group_consumer_assignors: Vec<String>,
    pub transaction_state_log_replication_factor: i16,
    pub transaction_state_log_min_isr: i32,
    pub transaction_state_log_num_partitions: i32,
    pub transaction_state_log_segment_bytes: i32,
    pub transaction_max_timeout_ms: i32,
    pub transactional_id_expiration_ms: i32,
    pub producer_id_expiration_ms: i32,

    /// The config of a topic with no overrides (Kafka's `extractLogConfigMap`).
    pub topic_defaults: TopicConfig,

    originals: BTreeMap<String, RawValue>,
    values: ValueMap,
    topic_default_values: ValueMap,
}

impl ServerConfig {
    /// Loads a node's config from the text of its server.properties and the process environment (only
    /// `KAFKA_*` and `CLUSTER_ID` are read; see [`crate::env`]), which overrides the file.
    ///
    /// With no file, the base is the built-in single node ([`DEFAULT_SERVER_PROPERTIES`]) that the
    /// environment may adjust — unless the environment describes the node itself (`KAFKA_PROCESS_ROLES`,
    /// or a ZooKeeper-era `KAFKA_ZOOKEEPER_CONNECT`), as a `cp-kafka` compose file does; then it starts
    /// from Kafka's defaults, as that image does.
    pub fn load<I, K, V>(server_properties: Option<&str>, env_vars: I) -> Result<Loaded, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let overrides = env::overrides(env_vars)?;
        let env_describes_node =
            overrides.iter().any(|o| o.key == k::PROCESS_ROLES.name || o.key == "zookeeper.connect");
        let (text, built_in) = match server_properties {
            Some(text) => (text, false),
            None if env_describes_node => ("", false),
            None => (DEFAULT_SERVER_PROPERTIES, true),
        };
        let props = properties::parse(text)?;
        let mut warnings = Vec::new();
        let mut originals: BTreeMap<String, RawValue> = BTreeMap::new();
        for p in props.entries() {
            let origin = if built_in { Origin::BuiltIn { line: p.line } } else { Origin::File { line: p.line } };
            if let Some(RawValue { origin: Origin::File { line: earlier_line }, .. }) = originals.get(&p.key) {
                warnings.push(ConfigWarning {
                    key: p.key.clone(),
                    origin: Some(origin.clone()),
                    kind: WarningKind::Duplicate { earlier_line: *earlier_line },
                });
            }
            originals.insert(p.key.clone(), RawValue { value: p.value.clone(), origin });
        }
        for o in overrides {
            originals.insert(o.key, RawValue { value: o.value, origin: Origin::Env { variable: o.variable } });
        }
        build(originals, warnings)
    }

    /// The built-in single-node config, with no environment overrides.
    pub fn single_node_default() -> Result<ServerConfig, ConfigError> {
        Self::load(None, std::iter::empty::<(&str, &str)>()).map(|loaded| loaded.config)
    }

    pub fn is_broker(&self) -> bool {
        self.process_roles.broker
    }

    pub fn is_controller(&self) -> bool {
        self.process_roles.controller
    }

    /// Every key as given (file, built-in config, environment), with where each came from. `node.id`
    /// and `broker.id` both appear when either is given, as Kafka records them.
    pub fn originals(&self) -> &BTreeMap<String, RawValue> {
        &self.originals
    }

    /// The parsed value of every key DescribeConfigs reports (as given, or Kafka's default).
    pub(crate) fn values(&self) -> &ValueMap {
        &self.values
    }

    /// One value per topic key: the defaults a topic without overrides gets.
    pub(crate) fn topic_default_values(&self) -> &ValueMap {
        &self.topic_default_values
    }
}

/// Reads the parsed values, naming the origin of a key in errors about it.
struct Ctx<'a> {
    originals: &'a BTreeMap<String, RawValue>,
    values: &'a ValueMap,
}

impl Ctx<'_> {
    fn is_set(&self, def: &KeyDef) -> bool {
        self.originals.contains_key(def.name)
    }

    fn invalid(&self, key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::invalid(key, value, reason).with_origin(self.originals.get(key).map(|raw| &raw.origin))
    }

    /// The value as written, or Kafka's default, for messages.
    fn shown(&self, def: &KeyDef) -> String {
        match self.originals.get(def.name) {
            Some(raw) => raw.value.trim().to_string(),
            None => self.values.get(def.name).map(Value::to_string).unwrap_or_default(),
        }
    }

    fn explicit_int(&self, def: &KeyDef) -> Result<Option<i32>, ConfigError> {
        if self.is_set(def) {
            self.values.opt_int(def)
        } else {
            Ok(None)
        }
    }
}

fn build(mut originals: BTreeMap<String, RawValue>, mut warnings: Vec<ConfigWarning>) -> Result<Loaded, ConfigError> {
    for (key, raw) in &originals {
        if key == CLUSTER_ID {
            continue;
        }
        let kind = match treatment(key) {
            Treatment::Known | Treatment::Ignored => continue,
            Treatment::Unsupported(u) => {
                let harmless = u.harmless_value.is_some_and(|h| raw.value.trim().eq_ignore_ascii_case(h));
                if harmless {
                    continue;
                }
                WarningKind::Unsupported { reason: u.reason }
            }
            Treatment::Unknown => WarningKind::Unknown,
        };
        warnings.push(ConfigWarning { key: key.clone(), origin: Some(raw.origin.clone()), kind });
    }

    let mut values = ValueMap::default();
    for def in k::TYPED.iter().chain(k::ACCEPTED) {
        let value = match originals.get(def.name) {
            Some(raw) => Some(def.parse(&raw.value).map_err(|e| e.with_origin(Some(&raw.origin)))?),
            None => def.default_value(),
        };
        values.0.insert(def.name, value);
    }

    let ctx = Ctx { originals: &originals, values: &values };
    let v = &values;
    let process_roles = process_roles(&ctx)?;
    let node_id = node_id(&ctx)?;
    let cluster_id = cluster_id(&ctx)?;
    let listening = listeners(&ctx)?;
    let quorum = quorum(&ctx)?;
    validate_roles(&ctx, process_roles, node_id, &listening, &quorum, &mut warnings)?;
    let (log_dirs, metadata_log_dir) = log_dirs(&ctx)?;
    let times = log_times(&ctx)?;
    let topic_default_values = topic_default_values(&ctx, &times)?;
    let topic_defaults = TopicConfig::from_values(&topic_default_values)?;

    let config = ServerConfig {
        node_id,
        process_roles,
        cluster_id,
        controller_quorum_voters: quorum.voters,
        controller_quorum_bootstrap_servers: quorum.bootstrap_servers,
        controller_quorum_election_timeout_ms: v.int(&k::CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS)?,
        controller_quorum_fetch_timeout_ms: v.int(&k::CONTROLLER_QUORUM_FETCH_TIMEOUT_MS)?,
        controller_quorum_election_backoff_max_ms: v.int(&k::CONTROLLER_QUORUM_ELECTION_BACKOFF_MAX_MS)?,
        controller_quorum_append_linger_ms: v.int(&k::CONTROLLER_QUORUM_APPEND_LINGER_MS)?,
        controller_quorum_request_timeout_ms: v.int(&k::CONTROLLER_QUORUM_REQUEST_TIMEOUT_MS)?,
        controller_quorum_retry_backoff_ms: v.int(&k::CONTROLLER_QUORUM_RETRY_BACKOFF_MS)?,
        controller_listener_names: listening.controller_names,
        broker_heartbeat_interval_ms: v.int(&k::BROKER_HEARTBEAT_INTERVAL_MS)?,
        broker_session_timeout_ms: v.int(&k::BROKER_SESSION_TIMEOUT_MS)?,
        listeners: listening.listeners,
        advertised_listeners: listening.advertised_broker,
        advertised_controller_listeners: listening.advertised_controller,
        listener_security_protocol_map: listening.protocol_map,
        inter_broker_listener_name: listening.inter_broker_name,
        socket_request_max_bytes: v.int(&k::SOCKET_REQUEST_MAX_BYTES)?,
        max_connections: v.int(&k::MAX_CONNECTIONS)?,
        max_connections_per_ip: v.int(&k::MAX_CONNECTIONS_PER_IP)?,
        connections_max_idle_ms: v.long(&k::CONNECTIONS_MAX_IDLE_MS)?,
        queued_max_requests: v.int(&k::QUEUED_MAX_REQUESTS)?,
        num_network_threads: v.int(&k::NUM_NETWORK_THREADS)?,
        num_io_threads: v.int(&k::NUM_IO_THREADS)?,
        fetch_max_bytes: v.int(&k::FETCH_MAX_BYTES)?,
        num_partitions: v.int(&k::NUM_PARTITIONS)?,
        // Range-checked to 1-32767 by its key definition.
        default_replication_factor: i16::try_from(v.int(&k::DEFAULT_REPLICATION_FACTOR)?).map_err(|_| {
            ctx.invalid(
                k::DEFAULT_REPLICATION_FACTOR.name,
                &ctx.shown(&k::DEFAULT_REPLICATION_FACTOR),
                "Value must be no more than 32767",
            )
        })?,
        min_insync_replicas: v.int(&k::MIN_INSYNC_REPLICAS)?,
        auto_create_topics_enable: v.boolean(&k::AUTO_CREATE_TOPICS_ENABLE)?,
        delete_topic_enable: v.boolean(&k::DELETE_TOPIC_ENABLE)?,
        message_max_bytes: v.int(&k::MESSAGE_MAX_BYTES)?,
        replica_lag_time_max_ms: v.long(&k::REPLICA_LAG_TIME_MAX_MS)?,
        replica_fetch_max_bytes: v.int(&k::REPLICA_FETCH_MAX_BYTES)?,
        replica_fetch_wait_max_ms: v.int(&k::REPLICA_FETCH_WAIT_MAX_MS)?,
        replica_fetch_response_max_bytes: v.int(&k::REPLICA_FETCH_RESPONSE_MAX_BYTES)?,
        unclean_leader_election_enable: v.boolean(&k::UNCLEAN_LEADER_ELECTION_ENABLE)?,
        auto_leader_rebalance_enable: v.boolean(&k::AUTO_LEADER_REBALANCE_ENABLE)?,
        leader_imbalance_check_interval_seconds: v.long(&k::LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS)?,
        leader_imbalance_per_broker_percentage: v.int(&k::LEADER_IMBALANCE_PER_BROKER_PERCENTAGE)?,
        broker_rack: v.opt_string(&k::BROKER_RACK)?.filter(|rack| !rack.is_empty()),
        prometheus_listener: prometheus_listener(&ctx, v.opt_string(&k::PROMETHEUS_LISTENER)?)?,
        log_dirs,
        metadata_log_dir,
        log_segment_bytes: v.int(&k::LOG_SEGMENT_BYTES)?,
        log_roll_ms: times.roll_ms,
        log_roll_jitter_ms: times.roll_jitter_ms,
        log_retention_ms: times.retention_ms,
        log_retention_bytes: v.long(&k::LOG_RETENTION_BYTES)?,
        log_retention_check_interval_ms: v.long(&k::LOG_RETENTION_CHECK_INTERVAL_MS)?,
        log_flush_interval_messages: v.long(&k::LOG_FLUSH_INTERVAL_MESSAGES)?,
        log_flush_interval_ms: times.flush_interval_ms,
        log_index_interval_bytes: v.int(&k::LOG_INDEX_INTERVAL_BYTES)?,
        log_index_size_max_bytes: v.int(&k::LOG_INDEX_SIZE_MAX_BYTES)?,
        log_cleanup_policy: CleanupPolicy::from_list(&v.list(&k::LOG_CLEANUP_POLICY)?),
        log_cleaner_enable: v.boolean(&k::LOG_CLEANER_ENABLE)?,
        log_cleaner_backoff_ms: v.long(&k::LOG_CLEANER_BACKOFF_MS)?,
        group_initial_rebalance_delay_ms: v.int(&k::GROUP_INITIAL_REBALANCE_DELAY_MS)?,
        group_min_session_timeout_ms: v.int(&k::GROUP_MIN_SESSION_TIMEOUT_MS)?,
        group_max_session_timeout_ms: v.int(&k::GROUP_MAX_SESSION_TIMEOUT_MS)?,
        group_max_size: v.int(&k::GROUP_MAX_SIZE)?,
        offsets_topic_replication_factor: v.short(&k::OFFSETS_TOPIC_REPLICATION_FACTOR)?,
        offsets_topic_num_partitions: v.int(&k::OFFSETS_TOPIC_NUM_PARTITIONS)?,
        offsets_topic_segment_bytes: v.int(&k::OFFSETS_TOPIC_SEGMENT_BYTES)?,
        offsets_retention_minutes: v.int(&k::OFFSETS_RETENTION_MINUTES)?,
        offsets_retention_check_interval_ms: v.long(&k::OFFSETS_RETENTION_CHECK_INTERVAL_MS)?,
        offset_metadata_max_bytes: v.int(&k::OFFSET_METADATA_MAX_BYTES)?,
        offsets_commit_timeout_ms: v.int(&k::OFFSETS_COMMIT_TIMEOUT_MS)?,
        group_consumer_session_timeout_ms: v.int(&k::GROUP_CONSUMER_SESSION_TIMEOUT_MS)?,
        group_consumer_heartbeat_interval_ms: v.int(&k::GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS)?,
        group_consumer_max_size: v.int(&k::GROUP_CONSUMER_MAX_SIZE)?,
        group_consumer_assignors: v.list(&k::GROUP_CONSUMER_ASSIGNORS)?,
        transaction_state_log_replication_factor: v.short(&k::TRANSACTION_STATE_LOG_REPLICATION_FACTOR)?,
        transaction_state_log_min_isr: v.int(&k::TRANSACTION_STATE_LOG_MIN_ISR)?,
        transaction_state_log_num_partitions: v.int(&k::TRANSACTION_STATE_LOG_NUM_PARTITIONS)?,
        transaction_state_log_segment_bytes: v.int(&k::TRANSACTION_STATE_LOG_SEGMENT_BYTES)?,
        transaction_max_timeout_ms: v.int(&k::TRANSACTION_MAX_TIMEOUT_MS)?,
        transactional_id_expiration_ms: v.int(&k::TRANSACTIONAL_ID_EXPIRATION_MS)?,
        producer_id_expiration_ms: v.int(&k::PRODUCER_ID_EXPIRATION_MS)?,
        topic_defaults,
        originals: BTreeMap::new(),
        values: ValueMap::default(),
        topic_default_values,
    };

    // Kafka records node.id and broker.id as synonyms: either one given sets both.
    for (from, to) in [(k::NODE_ID.name, k::BROKER_ID.name), (k::BROKER_ID.name, k::NODE_ID.name)] {
        if let (Some(raw), false) = (originals.get(from).cloned(), originals.contains_key(to)) {
            originals.insert(to.to_string(), raw);
        }
    }
    values.0.insert(k::BROKER_ID.name, Some(Value::Int(node_id.get())));
    values.0.insert(k::NODE_ID.name, Some(Value::Int(node_id.get())));
    Ok(Loaded { config: ServerConfig { originals, values, ..config }, warnings })
}

fn process_roles(ctx: &Ctx<'_>) -> Result<ProcessRoles, ConfigError> {
    let roles = ctx.values.list(&k::PROCESS_ROLES)?;
    if roles.is_empty() {
        let mut reason =
            "Flotilla runs in KRaft mode only: set process.roles to broker, controller, or broker,controller"
                .to_string();
        if ctx.originals.contains_key("zookeeper.connect") {
            reason.push_str(" (ZooKeeper mode, zookeeper.connect, is not supported)");
        }
        return Err(ConfigError::missing(k::PROCESS_ROLES.name, reason));
    }
    let distinct: BTreeSet<&String> = roles.iter().collect();
    if distinct.len() != roles.len() {
        return Err(ctx.invalid(
            k::PROCESS_ROLES.name,
            &roles.join(","),
            format!("Duplicate role names found in `process.roles`: [{}]", roles.join(", ")),
        ));
    }
    Ok(ProcessRoles {
        broker: roles.iter().any(|r| r == "broker"),
        controller: roles.iter().any(|r| r == "controller"),
    })
}

fn node_id(ctx: &Ctx<'_>) -> Result<NodeId, ConfigError> {
    let node = ctx.explicit_int(&k::NODE_ID)?;
    let broker = ctx.explicit_int(&k::BROKER_ID)?;
    let (id, key) = match (node, broker) {
        (Some(n), Some(b)) if n != b => {
            return Err(ctx.invalid(
                k::NODE_ID.name,
                &n.to_string(),
                format!("You must set `node.id` to the same value as `broker.id` ({b})"),
            ));
        }
        (Some(n), _) => (n, k::NODE_ID.name),
        (None, Some(b)) => (b, k::BROKER_ID.name),
        (None, None) => {
            return Err(ConfigError::missing(
                k::NODE_ID.name,
                "`node.id` is required when `process.roles` is defined (i.e. when running in KRaft mode)",
            ));
        }
    };
    if id < 0 {
        return Err(ctx.invalid(key, &id.to_string(), "Value must be at least 0"));
    }
    Ok(NodeId::new(id))
}

fn cluster_id(ctx: &Ctx<'_>) -> Result<Option<String>, ConfigError> {
    let Some(raw) = ctx.originals.get(CLUSTER_ID) else { return Ok(None) };
    let id = raw.value.trim();
    let valid = !id.is_empty()
        && id.len() <= CLUSTER_ID_MAX_LEN
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ctx.invalid(
            CLUSTER_ID,
            id,
            format!("must be 1-{CLUSTER_ID_MAX_LEN} characters of [A-Za-z0-9._-]"),
        ));
    }
    Ok(Some(id.to_string()))
}

struct Listening {
    protocol_map: SecurityProtocolMap,
    controller_names: Vec<ListenerName>,
    listeners: Vec<Endpoint>,
    advertised_explicit: bool,
    advertised_broker: Vec<Endpoint>,
    advertised_controller: Vec<Endpoint>,
    inter_broker_name: ListenerName,
}

fn listeners(ctx: &Ctx<'_>) -> Result<Listening, ConfigError> {
    let v = ctx.values;
    let controller_names: Vec<ListenerName> = v
        .opt_string(&k::CONTROLLER_LISTENER_NAMES)?
        .map(|s| csv(&s).filter_map(ListenerName::new).collect())
        .unwrap_or_default();

    let map_key = k::LISTENER_SECURITY_PROTOCOL_MAP.name;
    let mut protocol_map = SecurityProtocolMap::parse(map_key, &v.string(&k::LISTENER_SECURITY_PROTOCOL_MAP)?)
        .map_err(|e| e.with_origin(ctx.originals.get(map_key).map(|raw| &raw.origin)))?;
    let listeners_raw = v.string(&k::LISTENERS)?;
    if !ctx.is_set(&k::LISTENER_SECURITY_PROTOCOL_MAP) {
        // Kafka (KRaft, default map): controller listeners speak PLAINTEXT unless SSL or SASL is in use.
        let secure = |name: &str| matches!(name, "SSL" | "SASL_SSL" | "SASL_PLAINTEXT");
        let mut listener_names =
            csv(&listeners_raw).filter_map(|e| e.split_once(':')).map(|(n, _)| n.trim().to_uppercase());
        if !controller_names.iter().any(|n| secure(n.as_str())) && !listener_names.any(|n| secure(&n)) {
            for name in controller_names.iter().filter(|n| n.as_str() != "PLAINTEXT") {
                protocol_map.insert(name.clone(), SecurityProtocol::Plaintext);
            }
        }
    }

    let listeners_key = k::LISTENERS.name;
    let listeners = parse_endpoints(listeners_key, &listeners_raw, &protocol_map, true)
        .map_err(|e| e.with_origin(ctx.originals.get(listeners_key).map(|raw| &raw.origin)))?;
    if listeners.is_empty() {
        return Err(ctx.invalid(listeners_key, &listeners_raw, "at least one listener is required"));
    }
    require_plaintext(ctx, listeners_key, &listeners_raw, &listeners)?;

    let advertised_key = k::ADVERTISED_LISTENERS.name;
    let advertised_raw = v.opt_string(&k::ADVERTISED_LISTENERS)?;
    let advertised_all = match &advertised_raw {
        Some(raw) => {
            let endpoints = parse_endpoints(advertised_key, raw, &protocol_map, false)
                .map_err(|e| e.with_origin(ctx.originals.get(advertised_key).map(|r| &r.origin)))?;
            require_plaintext(ctx, advertised_key, raw, &endpoints)?;
            endpoints
        }
        None => listeners.clone(),
    };
    let is_controller = |e: &Endpoint| controller_names.contains(&e.listener_name);
    let advertised_broker: Vec<Endpoint> = advertised_all.iter().filter(|e| !is_controller(e)).cloned().collect();
    let advertised_controller: Vec<Endpoint> = controller_names
        .iter()
        .filter_map(|name| {
            let explicit = advertised_raw.as_ref().and(advertised_all.iter().find(|e| &e.listener_name == name));
            let implicit = || {
                // KAFKA-18281: a controller listener advertised implicitly from `listeners` does not
                // advertise a wildcard bind address.
                listeners
                    .iter()
                    .find(|e| &e.listener_name == name)
                    .map(|e| Endpoint { host: e.host.clone().filter(|h| !is_non_routable(h)), ..e.clone() })
            };
            explicit.cloned().or_else(implicit)
        })
        .collect();

    let shown_advertised = || advertised_all.iter().map(Endpoint::to_string).collect::<Vec<_>>().join(",");
    let routable_check =
        advertised_broker.iter().chain(advertised_controller.iter().filter(|_| advertised_raw.is_some()));
    if routable_check.clone().any(|e| e.host.as_deref().is_some_and(is_non_routable)) {
        let mut reason =
            "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address."
                .to_string();
        if advertised_raw.is_none() {
            reason.push_str(" (advertised.listeners is not set, so it defaults to listeners)");
        }
        return Err(ctx.invalid(advertised_key, &shown_advertised(), reason));
    }

    let inter_broker_name = match v.opt_string(&k::INTER_BROKER_LISTENER_NAME)? {
        Some(name) => {
            if ctx.is_set(&k::SECURITY_INTER_BROKER_PROTOCOL) {
                return Err(ctx.invalid(
                    k::INTER_BROKER_LISTENER_NAME.name,
                    &name,
                    "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.",
                ));
            }
            let listener_name = ListenerName::new(&name)
                .ok_or_else(|| ctx.invalid(k::INTER_BROKER_LISTENER_NAME.name, &name, "must not be empty"))?;
            if !protocol_map.contains(&listener_name) {
                return Err(ctx.invalid(
                    k::INTER_BROKER_LISTENER_NAME.name,
                    &name,
                    format!(
                        "Listener with name {listener_name} defined in inter.broker.listener.name not found in \
                         listener.security.protocol.map."
                    ),
                ));
            }
            listener_name
        }
        None => {
            let protocol = v.string(&k::SECURITY_INTER_BROKER_PROTOCOL)?;
            let protocol = SecurityProtocol::from_name(&protocol).ok_or_else(|| {
                ctx.invalid(k::SECURITY_INTER_BROKER_PROTOCOL.name, &protocol, "Invalid security protocol")
            })?;
            ListenerName::for_protocol(protocol)
        }
    };

    Ok(Listening {
        protocol_map,
        controller_names,
        listeners,
        advertised_explicit: advertised_raw.is_some(),
        advertised_broker,
        advertised_controller,
        inter_broker_name,
    })
}

fn require_plaintext(ctx: &Ctx<'_>, key: &str, raw: &str, endpoints: &[Endpoint]) -> Result<(), ConfigError> {
    match endpoints.iter().find(|e| e.security_protocol != SecurityProtocol::Plaintext) {
        Some(e) => Err(ctx.invalid(
            key,
            raw,
            format!(
                "listener {} uses {}, but Flotilla serves only PLAINTEXT listeners (no TLS or SASL)",
                e.listener_name, e.security_protocol
            ),
        )),
        None => Ok(()),
    }
}

struct Quorum {
    voters: Vec<Voter>,
    bootstrap_servers: Vec<HostPort>,
    voters_shown: String,
}

fn quorum(ctx: &Ctx<'_>) -> Result<Quorum, ConfigError> {
    let voters_shown = ctx.values.list(&k::CONTROLLER_QUORUM_VOTERS)?.join(",");
    let voters = parse_voters(&voters_shown)
        .map_err(|e| e.with_origin(ctx.originals.get(k::CONTROLLER_QUORUM_VOTERS.name).map(|r| &r.origin)))?;
    let bootstrap_shown = ctx.values.list(&k::CONTROLLER_QUORUM_BOOTSTRAP_SERVERS)?.join(",");
    let bootstrap_servers = parse_bootstrap_servers(&bootstrap_shown).map_err(|e| {
        e.with_origin(ctx.originals.get(k::CONTROLLER_QUORUM_BOOTSTRAP_SERVERS.name).map(|r| &r.origin))
    })?;
    if voters.is_empty() && bootstrap_servers.is_empty() {
        return Err(ConfigError::missing(
            k::CONTROLLER_QUORUM_VOTERS.name,
            "either controller.quorum.bootstrap.servers must contain the set of bootstrap controllers or \
             controller.quorum.voters must contain a parseable set of controllers",
        ));
    }
    Ok(Quorum { voters, bootstrap_servers, voters_shown })
}

fn validate_roles(
    ctx: &Ctx<'_>,
    roles: ProcessRoles,
    node_id: NodeId,
    l: &Listening,
    q: &Quorum,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<(), ConfigError> {
    let names_key = k::CONTROLLER_LISTENER_NAMES.name;
    let names_shown = ctx.shown(&k::CONTROLLER_LISTENER_NAMES);
    let voters_key = k::CONTROLLER_QUORUM_VOTERS.name;
    let voter_ids = || q.voters.iter().map(|v| v.node_id.to_string()).collect::<Vec<_>>().join(", ");
    let in_voters = q.voters.iter().any(|v| v.node_id == node_id);
    let listener_names: BTreeSet<&ListenerName> = l.listeners.iter().map(|e| &e.listener_name).collect();

    if roles == ProcessRoles::BROKER {
        if in_voters {
            return Err(ctx.invalid(
                voters_key,
                &q.voters_shown,
                format!(
                    "If process.roles contains just the 'broker' role, the node id {node_id} must not be included in \
                     the set of voters controller.quorum.voters={{{}}}",
                    voter_ids()
                ),
            ));
        }
        if l.controller_names.is_empty() {
            return Err(ConfigError::missing(
                names_key,
                "controller.listener.names must contain at least one value when running KRaft with just the broker role",
            ));
        }
        if l.controller_names.iter().any(|n| listener_names.contains(n)) {
            return Err(ctx.invalid(
                names_key,
                &names_shown,
                "controller.listener.names must not contain a value appearing in the 'listeners' configuration when \
                 running KRaft with just the broker role",
            ));
        }
        if let Some(name) = l.controller_names.iter().find(|n| !l.protocol_map.contains(n)) {
            return Err(ctx.invalid(
                names_key,
                &names_shown,
                format!(
                    "Controller listener with name {name} defined in controller.listener.names not found in \
                     listener.security.protocol.map (an explicit security mapping for each controller listener is \
                     required if listener.security.protocol.map is non-empty, or if there are security protocols \
                     other than PLAINTEXT in use)"
                ),
            ));
        }
        if l.controller_names.len() > 1 {
            warnings.push(ConfigWarning {
                key: names_key.to_string(),
                origin: ctx.originals.get(names_key).map(|r| r.origin.clone()),
                kind: WarningKind::OnlyFirstControllerListenerUsed,
            });
        }
    }

    if roles.controller {
        if !roles.broker && l.listeners.iter().any(|e| !l.controller_names.contains(&e.listener_name)) {
            return Err(ctx.invalid(
                k::LISTENERS.name,
                &ctx.shown(&k::LISTENERS),
                "The listeners config must only contain KRaft controller listeners from controller.listener.names \
                 when process.roles=controller",
            ));
        }
        if !q.voters.is_empty() && !in_voters {
            return Err(ctx.invalid(
                voters_key,
                &q.voters_shown,
                format!(
                    "If process.roles contains the 'controller' role, the node id {node_id} must be included in the \
                     set of voters controller.quorum.voters={{{}}}",
                    voter_ids()
                ),
            ));
        }
        if l.controller_names.is_empty() {
            return Err(ConfigError::missing(
                names_key,
                "controller.listener.names must contain at least one value appearing in the 'listeners' \
                 configuration when running the KRaft controller role",
            ));
        }
        if l.controller_names.iter().any(|n| !listener_names.contains(n)) {
            return Err(ctx.invalid(
                names_key,
                &names_shown,
                "controller.listener.names must only contain values appearing in the 'listeners' configuration when \
                 running the KRaft controller role",
            ));
        }
    }

    if roles.broker {
        let advertised_key = k::ADVERTISED_LISTENERS.name;
        let advertised_names: BTreeSet<&ListenerName> = l.advertised_broker.iter().map(|e| &e.listener_name).collect();
        let join = |names: &BTreeSet<&ListenerName>| names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(",");
        let advertised_shown =
            if l.advertised_explicit { ctx.shown(&k::ADVERTISED_LISTENERS) } else { ctx.shown(&k::LISTENERS) };
        if advertised_names.is_empty() {
            return Err(ctx.invalid(
                advertised_key,
                &advertised_shown,
                "There must be at least one broker advertised listener. Perhaps all listeners appear in \
                 controller.listener.names?",
            ));
        }
        if !advertised_names.contains(&l.inter_broker_name) {
            let key = k::INTER_BROKER_LISTENER_NAME.name;
            return Err(ctx.invalid(
                key,
                l.inter_broker_name.as_str(),
                format!(
                    "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid \
                     options based on currently configured listeners are {}",
                    join(&advertised_names)
                ),
            ));
        }
        if !advertised_names.is_subset(&listener_names) {
            return Err(ctx.invalid(
                advertised_key,
                &advertised_shown,
                format!(
                    "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. \
                     Found {}. The valid options based on the current configuration are {}",
                    join(&advertised_names),
                    join(&listener_names)
                ),
            ));
        }
    }
    Ok(())
}

/// `prometheus.listener`: empty for none, else `host:port` (an empty host binds every interface).
fn prometheus_listener(ctx: &Ctx<'_>, raw: Option<String>) -> Result<Option<HostPort>, ConfigError> {
    let Some(raw) = raw.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()) else { return Ok(None) };
    let invalid = |reason: &str| ctx.invalid(k::PROMETHEUS_LISTENER.name, &raw, reason);
    let (host, port) = split_host_port(&raw).ok_or_else(|| invalid("Expected host:port, for example 0.0.0.0:9404"))?;
    if !is_valid_host(host) {
        return Err(invalid(&format!("Invalid host '{host}'")));
    }
    let port = parse_port(port).ok_or_else(|| invalid(&format!("Invalid port '{port}': expected 0-65535")))?;
    let host = if host.is_empty() { "0.0.0.0".to_string() } else { host.to_string() };
    Ok(Some(HostPort { host, port }))
}

fn log_dirs(ctx: &Ctx<'_>) -> Result<(Vec<PathBuf>, PathBuf), ConfigError> {
    let v = ctx.values;
    let (key, raw) = match v.opt_string(&k::LOG_DIRS)? {
        Some(dirs) => (k::LOG_DIRS.name, dirs),
        None => (k::LOG_DIR.name, v.string(&k::LOG_DIR)?),
    };
    let dirs: Vec<&str> = csv(&raw).collect();
    if dirs.is_empty() || dirs.iter().any(|d| d.is_empty()) {
        return Err(ctx.invalid(
            key,
            &raw,
            "At least one log directory must be defined via log.dirs or log.dir, and none may be empty.",
        ));
    }
    let mut seen = BTreeSet::new();
    if let Some(dup) = dirs.iter().find(|d| !seen.insert(**d)) {
        return Err(ctx.invalid(key, &raw, format!("Duplicate log directory found: {dup}")));
    }
    let log_dirs: Vec<PathBuf> = dirs.iter().map(PathBuf::from).collect();
    let metadata_log_dir = match v.opt_string(&k::METADATA_LOG_DIR)?.filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => log_dirs.first().cloned().unwrap_or_default(),
    };
    Ok((log_dirs, metadata_log_dir))
}

struct LogTimes {
    retention_ms: i64,
    roll_ms: i64,
    roll_jitter_ms: i64,
    flush_interval_ms: i64,
}

const MS_PER_MINUTE: i64 = 60 * 1000;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;

fn log_times(ctx: &Ctx<'_>) -> Result<LogTimes, ConfigError> {
    let v = ctx.values;
    let (retention_ms, retention_key) = if let Some(ms) = v.opt_long(&k::LOG_RETENTION_MS)? {
        (ms, &k::LOG_RETENTION_MS)
    } else if let Some(minutes) = v.opt_int(&k::LOG_RETENTION_MINUTES)? {
        (i64::from(minutes) * MS_PER_MINUTE, &k::LOG_RETENTION_MINUTES)
    } else {
        (i64::from(v.int(&k::LOG_RETENTION_HOURS)?) * MS_PER_HOUR, &k::LOG_RETENTION_HOURS)
    };
    let retention_ms = if retention_ms < 0 { -1 } else { retention_ms };
    if retention_ms == 0 {
        return Err(ctx.invalid(
            retention_key.name,
            &ctx.shown(retention_key),
            "log.retention.ms must be unlimited (-1) or, greater than or equal to 1",
        ));
    }

    let roll_ms = match v.opt_long(&k::LOG_ROLL_MS)? {
        Some(ms) => ms,
        None => i64::from(v.int(&k::LOG_ROLL_HOURS)?) * MS_PER_HOUR,
    };
    if roll_ms < 1 {
        return Err(ctx.invalid(
            k::LOG_ROLL_MS.name,
            &roll_ms.to_string(),
            "log.roll.ms must be greater than or equal to 1",
        ));
    }
    let roll_jitter_ms = match v.opt_long(&k::LOG_ROLL_JITTER_MS)? {
        Some(ms) => ms,
        None => i64::from(v.int(&k::LOG_ROLL_JITTER_HOURS)?) * MS_PER_HOUR,
    };
    if roll_jitter_ms < 0 {
        return Err(ctx.invalid(
            k::LOG_ROLL_JITTER_MS.name,
            &roll_jitter_ms.to_string(),
            "log.roll.jitter.ms must be greater than or equal to 0",
        ));
    }
    let flush_interval_ms = match v.opt_long(&k::LOG_FLUSH_INTERVAL_MS)? {
        Some(ms) => ms,
        None => v.long(&k::LOG_FLUSH_SCHEDULER_INTERVAL_MS)?,
    };
    Ok(LogTimes { retention_ms, roll_ms, roll_jitter_ms, flush_interval_ms })
}

/// One value per topic key, from the broker's keys (Kafka's `extractLogConfigMap`), checked against the
/// topic key's own rules since every topic's config starts from them.
fn topic_default_values(ctx: &Ctx<'_>, times: &LogTimes) -> Result<ValueMap, ConfigError> {
    let mut out = ValueMap::default();
    for key in TOPIC_KEYS {
        let name = key.def.name;
        let value = match name {
            "retention.ms" => Some(Value::Long(times.retention_ms)),
            "segment.ms" => Some(Value::Long(times.roll_ms)),
            "segment.jitter.ms" => Some(Value::Long(times.roll_jitter_ms)),
            "flush.ms" => Some(Value::Long(times.flush_interval_ms)),
            _ => match key.server_synonym {
                Some(server_key) => ctx.values.get(server_key).cloned(),
                None => key.def.default_value(),
            },
        };
        let Some(value) = value else {
            return Err(ConfigError::missing(name, "internal error: no server default"));
        };
        let shown = value.to_string();
        if let Err(ConfigError::InvalidValue { reason, .. }) = key.def.parse(&shown) {
            return Err(ctx.invalid(key.server_synonym.unwrap_or(name), &shown, reason));
        }
        out.0.insert(name, Some(value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
