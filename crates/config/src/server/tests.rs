#![allow(clippy::unwrap_used)]

use super::*;

const NO_ENV: [(&str, &str); 0] = [];

/// A valid combined node; tests append keys (later keys win).
const COMBINED: &str = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
                        listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n";

fn load(text: &str) -> Loaded {
    ServerConfig::load(Some(text), NO_ENV).unwrap()
}

fn combined(extra: &str) -> ServerConfig {
    let loaded = load(&format!("{COMBINED}{extra}"));
    let unexpected: Vec<_> =
        loaded.warnings.iter().filter(|w| !matches!(w.kind, WarningKind::Duplicate { .. })).collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    loaded.config
}

fn error(text: &str) -> ConfigError {
    ServerConfig::load(Some(text), NO_ENV).unwrap_err()
}

/// Asserts the error is about `key` and its message names the key.
fn assert_names(err: &ConfigError, key: &str) {
    assert_eq!(err.key(), Some(key), "{err}");
    assert!(err.to_string().contains(key), "{err}");
}

fn endpoints(list: &[Endpoint]) -> Vec<String> {
    list.iter().map(Endpoint::to_string).collect()
}

#[test]
fn built_in_single_node_config_validates() {
    let loaded = ServerConfig::load(None, NO_ENV).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c, ServerConfig::single_node_default().unwrap());
    assert_eq!(c.node_id, NodeId::new(1));
    assert_eq!(c.process_roles, ProcessRoles::COMBINED);
    assert_eq!(endpoints(&c.listeners), ["PLAINTEXT://127.0.0.1:9092", "CONTROLLER://127.0.0.1:9093"]);
    assert_eq!(endpoints(&c.advertised_listeners), ["PLAINTEXT://127.0.0.1:9092"]);
    assert_eq!(endpoints(&c.advertised_controller_listeners), ["CONTROLLER://127.0.0.1:9093"]);
    assert_eq!(c.controller_quorum_voters.iter().map(Voter::to_string).collect::<Vec<_>>(), ["1@127.0.0.1:9093"]);
    assert_eq!(c.controller_listener_names, [ListenerName::new("CONTROLLER").unwrap()]);
    assert_eq!(c.inter_broker_listener_name.as_str(), "PLAINTEXT");
    assert_eq!(c.log_dirs, [PathBuf::from("./data")]);
    assert_eq!(c.metadata_log_dir, PathBuf::from("./data"));
    assert_eq!(c.offsets_topic_replication_factor, 1);
    assert_eq!(c.transaction_state_log_replication_factor, 1);
    assert_eq!(c.transaction_state_log_min_isr, 1);
    assert_eq!(c.cluster_id, None);
    assert!(c.is_broker() && c.is_controller());
    assert_eq!(c.originals().get("node.id").map(|r| r.origin.clone()), Some(Origin::BuiltIn { line: 2 }));
}

#[test]
fn environment_adjusts_the_built_in_node() {
    let env = [("KAFKA_LOG_DIRS", "/srv/flotilla"), ("KAFKA_NUM_PARTITIONS", "6")];
    let c = ServerConfig::load(None, env).unwrap().config;
    assert_eq!(c.log_dirs, [PathBuf::from("/srv/flotilla")]);
    assert_eq!(c.num_partitions, 6);
    assert_eq!(c.node_id, NodeId::new(1));
}

#[test]
fn defaults_equal_kafkas() {
    let c = combined("");
    assert_eq!(c.num_partitions, 1);
    assert_eq!(c.default_replication_factor, 1);
    assert_eq!(c.min_insync_replicas, 1);
    assert!(c.auto_create_topics_enable);
    assert!(c.delete_topic_enable);
    assert_eq!(c.message_max_bytes, 1_048_588);
    assert_eq!(c.socket_request_max_bytes, 104_857_600);
    assert_eq!(c.max_connections, i32::MAX);
    assert_eq!(c.max_connections_per_ip, i32::MAX);
    assert_eq!(c.connections_max_idle_ms, 600_000);
    assert_eq!(c.queued_max_requests, 500);
    assert_eq!(c.num_network_threads, 3);
    assert_eq!(c.num_io_threads, 8);
    assert_eq!(c.fetch_max_bytes, 57_671_680);
    assert_eq!(c.log_segment_bytes, 1_073_741_824);
    assert_eq!(c.log_roll_ms, 168 * 3_600_000);
    assert_eq!(c.log_roll_jitter_ms, 0);
    assert_eq!(c.log_retention_ms, 168 * 3_600_000);
    assert_eq!(c.log_retention_bytes, -1);
    assert_eq!(c.log_retention_check_interval_ms, 300_000);
    assert_eq!(c.log_flush_interval_messages, i64::MAX);
    assert_eq!(c.log_flush_interval_ms, i64::MAX);
    assert_eq!(c.log_index_interval_bytes, 4096);
    assert_eq!(c.log_index_size_max_bytes, 10_485_760);
    assert_eq!(c.log_cleanup_policy, CleanupPolicy::DELETE);
    assert!(c.log_cleaner_enable);
    assert_eq!(c.log_cleaner_backoff_ms, 15_000);
    assert_eq!(c.log_dirs, [PathBuf::from("/tmp/kafka-logs")]);
    assert_eq!(c.offsets_topic_replication_factor, 3);
    assert_eq!(c.offsets_topic_num_partitions, 50);
    assert_eq!(c.offsets_topic_segment_bytes, 104_857_600);
    assert_eq!(c.offsets_retention_minutes, 10_080);
    assert_eq!(c.offsets_retention_check_interval_ms, 600_000);
    assert_eq!(c.offset_metadata_max_bytes, 4096);
    assert_eq!(c.transaction_state_log_replication_factor, 3);
    assert_eq!(c.transaction_state_log_min_isr, 2);
    assert_eq!(c.transaction_state_log_num_partitions, 50);
    assert_eq!(c.transaction_state_log_segment_bytes, 104_857_600);
    assert_eq!(c.transaction_max_timeout_ms, 900_000);
    assert_eq!(c.transactional_id_expiration_ms, 604_800_000);
    assert_eq!(c.producer_id_expiration_ms, 86_400_000);
    assert_eq!(c.group_initial_rebalance_delay_ms, 3000);
    assert_eq!(c.group_min_session_timeout_ms, 6000);
    assert_eq!(c.group_max_session_timeout_ms, 1_800_000);
    assert_eq!(c.group_max_size, i32::MAX);
    assert_eq!(c.replica_lag_time_max_ms, 30_000);
    assert_eq!(c.replica_fetch_max_bytes, 1_048_576);
    assert_eq!(c.replica_fetch_wait_max_ms, 500);
    assert_eq!(c.replica_fetch_response_max_bytes, 10_485_760);
    assert_eq!(c.broker_heartbeat_interval_ms, 2000);
    assert_eq!(c.broker_session_timeout_ms, 9000);
    assert_eq!(c.controller_quorum_election_timeout_ms, 1000);
    assert_eq!(c.controller_quorum_fetch_timeout_ms, 2000);
    assert_eq!(c.controller_quorum_election_backoff_max_ms, 1000);
    assert_eq!(c.controller_quorum_append_linger_ms, 25);
    assert_eq!(c.controller_quorum_request_timeout_ms, 2000);
    assert_eq!(c.controller_quorum_retry_backoff_ms, 20);
    assert!(!c.unclean_leader_election_enable);
    assert!(c.auto_leader_rebalance_enable);
    assert_eq!(c.leader_imbalance_check_interval_seconds, 300);
    assert_eq!(c.leader_imbalance_per_broker_percentage, 10);
    assert_eq!(c.broker_rack, None);
    assert_eq!(c.prometheus_listener, None);
    assert_eq!(c.inter_broker_listener_name.as_str(), "PLAINTEXT");
    assert_eq!(c.listener_security_protocol_map.get(&ListenerName::new("SSL").unwrap()), Some(SecurityProtocol::Ssl));
    // Implicit in KRaft: the controller listener speaks PLAINTEXT.
    assert_eq!(
        c.listener_security_protocol_map.get(&ListenerName::new("CONTROLLER").unwrap()),
        Some(SecurityProtocol::Plaintext)
    );
    assert_eq!(endpoints(&c.advertised_listeners), ["PLAINTEXT://:9092"]);
}

/// The `kafka_kraft_1..3` services of the compose file in seed 002 (cp-kafka, three combined nodes).
fn compose_node(id: u8) -> Vec<(String, String)> {
    let (host_port, controller_port) = match id {
        1 => (9092, 9093),
        2 => (9094, 9095),
        _ => (9096, 9097),
    };
    [
        ("KAFKA_PROCESS_ROLES", "broker,controller".to_string()),
        ("KAFKA_CLUSTER_ID", "kraft-cluster-12345".to_string()),
        ("KAFKA_BROKER_ID", id.to_string()),
        (
            "KAFKA_CONTROLLER_QUORUM_VOTERS",
            "1@kafka_kraft_1:9093,2@kafka_kraft_2:9095,3@kafka_kraft_3:9097".to_string(),
        ),
        ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".to_string()),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER".to_string()),
        ("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT".to_string()),
        ("KAFKA_ADVERTISED_LISTENERS", format!("PLAINTEXT://localhost:{host_port}")),
        ("KAFKA_LISTENERS", format!("PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:{controller_port}")),
        ("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true".to_string()),
        ("KAFKA_LOG_DIRS", "/var/lib/kafka/data".to_string()),
        ("KAFKA_NODE_ID", id.to_string()),
        // Set by the image and the shell, not by the compose file; never configs.
        ("KAFKA_HEAP_OPTS", "-Xmx1G -Xms1G".to_string()),
        ("PATH", "/usr/bin".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[test]
fn seed_kraft_three_node_compose_environment() {
    for id in 1..=3u8 {
        let loaded = ServerConfig::load(None, compose_node(id)).unwrap();
        assert!(loaded.warnings.is_empty(), "node {id}: {:?}", loaded.warnings);
        let c = loaded.config;
        let (host_port, controller_port) = [(9092, 9093), (9094, 9095), (9096, 9097)][usize::from(id - 1)];
        assert_eq!(c.node_id, NodeId::new(i32::from(id)));
        assert_eq!(c.process_roles, ProcessRoles::COMBINED);
        assert_eq!(c.cluster_id.as_deref(), Some("kraft-cluster-12345"));
        let voters: Vec<(i32, String, u16)> = c
            .controller_quorum_voters
            .iter()
            .map(|v| (v.node_id.get(), v.address.host.clone(), v.address.port))
            .collect();
        assert_eq!(
            voters,
            [(1, "kafka_kraft_1".into(), 9093), (2, "kafka_kraft_2".into(), 9095), (3, "kafka_kraft_3".into(), 9097)]
        );
        assert_eq!(
            endpoints(&c.listeners),
            ["PLAINTEXT://0.0.0.0:9092".to_string(), format!("CONTROLLER://0.0.0.0:{controller_port}")]
        );
        assert_eq!(endpoints(&c.advertised_listeners), [format!("PLAINTEXT://localhost:{host_port}")]);
        // Advertised implicitly from a wildcard bind: no host (KAFKA-18281).
        assert_eq!(endpoints(&c.advertised_controller_listeners), [format!("CONTROLLER://:{controller_port}")]);
        assert_eq!(c.controller_listener_names, [ListenerName::new("CONTROLLER").unwrap()]);
        assert_eq!(c.inter_broker_listener_name.as_str(), "PLAINTEXT");
        assert_eq!(c.log_dirs, [PathBuf::from("/var/lib/kafka/data")]);
        assert!(c.auto_create_topics_enable);
        // The environment describes the node, so Kafka's defaults apply, not the built-in single node's.
        assert_eq!(c.offsets_topic_replication_factor, 3);
        assert_eq!(
            c.originals().get("node.id").map(|r| r.origin.clone()),
            Some(Origin::Env { variable: "KAFKA_NODE_ID".into() })
        );
    }
}

#[test]
fn seed_compose_files_that_kafka_also_rejects_fail_clearly() {
    // `kafka_kraft_single`: the controller listener is missing from KAFKA_LISTENERS.
    let single = [
        ("KAFKA_PROCESS_ROLES", "broker,controller"),
        ("KAFKA_CLUSTER_ID", "kraft-cluster-single-12345"),
        ("KAFKA_BROKER_ID", "1"),
        ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:9092"),
        ("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092"),
        ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka_kraft_single:9093"),
        ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
        ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        ("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT"),
        ("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true"),
        ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
        ("KAFKA_NODE_ID", "1"),
    ];
    let err = ServerConfig::load(None, single).unwrap_err();
    assert_names(&err, "controller.listener.names");
    assert!(err.to_string().contains("environment variable KAFKA_CONTROLLER_LISTENER_NAMES"), "{err}");

    // The ZooKeeper single broker.
    let zookeeper = [
        ("KAFKA_BROKER_ID", "1"),
        ("KAFKA_ZOOKEEPER_CONNECT", "zookeeper:2181"),
        ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:9092"),
        ("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092"),
        ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
    ];
    let err = ServerConfig::load(None, zookeeper).unwrap_err();
    assert_names(&err, "process.roles");
    assert!(err.to_string().contains("ZooKeeper"), "{err}");
}

#[test]
fn kafkas_shipped_kraft_server_properties_load_without_warnings() {
    let text = "\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
";
    let loaded = load(text);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(endpoints(&c.advertised_listeners), ["PLAINTEXT://localhost:9092"]);
    assert_eq!(endpoints(&c.advertised_controller_listeners), ["CONTROLLER://localhost:9093"]);
    // Kafka 4.0's file uses a dynamic quorum: bootstrap servers instead of voters.
    let dynamic =
        text.replace("controller.quorum.voters=1@localhost:9093", "controller.quorum.bootstrap.servers=localhost:9093");
    let c = load(&dynamic).config;
    assert!(c.controller_quorum_voters.is_empty());
    assert_eq!(c.controller_quorum_bootstrap_servers, [HostPort { host: "localhost".into(), port: 9093 }]);
}

#[test]
fn broker_only_and_controller_only_nodes() {
    let broker = load(
        "process.roles=broker\nnode.id=4\ncontroller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093\n\
         controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092\n",
    )
    .config;
    assert_eq!(broker.process_roles, ProcessRoles::BROKER);
    assert!(broker.advertised_controller_listeners.is_empty());
    assert_eq!(
        broker.listener_security_protocol_map.get(&ListenerName::new("CONTROLLER").unwrap()),
        Some(SecurityProtocol::Plaintext)
    );
    let controller = load(
        "process.roles=controller\nnode.id=1\ncontroller.quorum.voters=1@c1:9093\n\
         controller.listener.names=CONTROLLER\nlisteners=CONTROLLER://:9093\n",
    )
    .config;
    assert_eq!(controller.process_roles, ProcessRoles::CONTROLLER);
    assert!(controller.advertised_listeners.is_empty());
    assert_eq!(endpoints(&controller.advertised_controller_listeners), ["CONTROLLER://:9093"]);
}

#[test]
fn env_overrides_win_over_the_file() {
    let env = [("KAFKA_NUM_PARTITIONS", "12"), ("KAFKA_LOG_RETENTION_HOURS", "1")];
    let c =
        ServerConfig::load(Some(&format!("{COMBINED}num.partitions=3\nlog.retention.hours=48\n")), env).unwrap().config;
    assert_eq!(c.num_partitions, 12);
    assert_eq!(c.log_retention_ms, 3_600_000);
}

#[test]
fn later_file_keys_win_with_a_warning() {
    let loaded = load(&format!("{COMBINED}num.partitions=3\nnum.partitions=5\n"));
    assert_eq!(loaded.config.num_partitions, 5);
    assert_eq!(
        loaded.warnings,
        [ConfigWarning {
            key: "num.partitions".into(),
            origin: Some(Origin::File { line: 7 }),
            kind: WarningKind::Duplicate { earlier_line: 6 },
        }]
    );
}

#[test]
fn log_dirs_wins_over_log_dir() {
    let c = combined("log.dir=/a\nlog.dirs=/b, /c\n");
    assert_eq!(c.log_dirs, [PathBuf::from("/b"), PathBuf::from("/c")]);
    assert_eq!(c.metadata_log_dir, PathBuf::from("/b"));
    let c = combined("log.dir=/a\n");
    assert_eq!(c.log_dirs, [PathBuf::from("/a")]);
    let c = combined("log.dirs=/b\nmetadata.log.dir=/meta\n");
    assert_eq!(c.metadata_log_dir, PathBuf::from("/meta"));
}

#[test]
fn retention_precedence_ms_minutes_hours() {
    assert_eq!(combined("log.retention.hours=2\n").log_retention_ms, 7_200_000);
    assert_eq!(combined("log.retention.hours=2\nlog.retention.minutes=3\n").log_retention_ms, 180_000);
    assert_eq!(combined("log.retention.hours=2\nlog.retention.minutes=3\nlog.retention.ms=4\n").log_retention_ms, 4);
    assert_eq!(combined("log.retention.ms=-1\n").log_retention_ms, -1);
    assert_eq!(combined("log.retention.hours=-5\n").log_retention_ms, -1, "any negative is unlimited");
    let err = error(&format!("{COMBINED}log.retention.ms=0\n"));
    assert_names(&err, "log.retention.ms");
    let err = error(&format!("{COMBINED}log.retention.minutes=0\n"));
    assert_names(&err, "log.retention.minutes");
}

#[test]
fn roll_and_flush_precedence() {
    assert_eq!(combined("log.roll.hours=2\n").log_roll_ms, 7_200_000);
    assert_eq!(combined("log.roll.hours=2\nlog.roll.ms=500\n").log_roll_ms, 500);
    assert_eq!(combined("log.roll.jitter.hours=1\n").log_roll_jitter_ms, 3_600_000);
    assert_eq!(combined("log.roll.jitter.hours=1\nlog.roll.jitter.ms=7\n").log_roll_jitter_ms, 7);
    assert_eq!(combined("log.flush.scheduler.interval.ms=900\n").log_flush_interval_ms, 900);
    assert_eq!(combined("log.flush.scheduler.interval.ms=900\nlog.flush.interval.ms=100\n").log_flush_interval_ms, 100);
    assert_names(&error(&format!("{COMBINED}log.roll.ms=0\n")), "log.roll.ms");
    assert_names(&error(&format!("{COMBINED}log.roll.hours=0\n")), "log.roll.hours");
    assert_names(&error(&format!("{COMBINED}log.flush.interval.ms=-3\n")), "log.flush.interval.ms");
}

#[test]
fn node_id_and_broker_id_are_one_setting() {
    let text = COMBINED.replace("node.id=1", "broker.id=1");
    let c = load(&text).config;
    assert_eq!(c.node_id, NodeId::new(1));
    assert_eq!(c.originals().get("node.id").map(|r| r.value.as_str()), Some("1"));
    assert_eq!(combined("broker.id=1\n").node_id, NodeId::new(1));
    let err = error(&format!("{COMBINED}broker.id=2\n"));
    assert_names(&err, "node.id");
    assert!(err.to_string().contains("broker.id"), "{err}");
    let err = error(&COMBINED.replace("node.id=1\n", ""));
    assert!(matches!(err, ConfigError::Missing { ref key, .. } if key == "node.id"), "{err}");
    assert_names(&error(&COMBINED.replace("node.id=1", "node.id=-3")), "node.id");
}

#[test]
fn invalid_values_name_key_value_and_line() {
    let err = error(&format!("{COMBINED}num.partitions=abc\n"));
    assert_eq!(
        err.to_string(),
        "Invalid value abc for configuration num.partitions: Not a number of type INT (set by line 6 of the config file)"
    );
    let err = error(&format!("{COMBINED}num.partitions=0\n"));
    assert_eq!(
        err.to_string(),
        "Invalid value 0 for configuration num.partitions: Value must be at least 1 (set by line 6 of the config file)"
    );
    let err = ServerConfig::load(Some(COMBINED), [("KAFKA_MESSAGE_MAX_BYTES", "-1")]).unwrap_err();
    assert_names(&err, "message.max.bytes");
    assert!(err.to_string().ends_with("(set by environment variable KAFKA_MESSAGE_MAX_BYTES)"), "{err}");
}

#[test]
fn each_validation_error_names_its_key() {
    let cases: &[(&str, &str)] = &[
        ("num.partitions=x\n", "num.partitions"),
        ("default.replication.factor=0\n", "default.replication.factor"),
        ("min.insync.replicas=0\n", "min.insync.replicas"),
        ("auto.create.topics.enable=yes\n", "auto.create.topics.enable"),
        ("message.max.bytes=-1\n", "message.max.bytes"),
        ("socket.request.max.bytes=0\n", "socket.request.max.bytes"),
        ("max.connections=-1\n", "max.connections"),
        ("log.segment.bytes=1000\n", "log.segment.bytes"),
        ("log.retention.bytes=lots\n", "log.retention.bytes"),
        ("log.retention.check.interval.ms=0\n", "log.retention.check.interval.ms"),
        ("log.flush.interval.messages=0\n", "log.flush.interval.messages"),
        ("log.index.interval.bytes=-1\n", "log.index.interval.bytes"),
        ("log.index.size.max.bytes=3\n", "log.index.size.max.bytes"),
        ("log.cleanup.policy=compact,archive\n", "log.cleanup.policy"),
        ("offsets.topic.replication.factor=0\n", "offsets.topic.replication.factor"),
        ("offsets.topic.replication.factor=40000\n", "offsets.topic.replication.factor"),
        ("offsets.topic.num.partitions=0\n", "offsets.topic.num.partitions"),
        ("transaction.state.log.replication.factor=0\n", "transaction.state.log.replication.factor"),
        ("transaction.state.log.min.isr=0\n", "transaction.state.log.min.isr"),
        ("group.initial.rebalance.delay.ms=-1\n", "group.initial.rebalance.delay.ms"),
        ("replica.lag.time.max.ms=soon\n", "replica.lag.time.max.ms"),
        ("broker.heartbeat.interval.ms=0\n", "broker.heartbeat.interval.ms"),
        ("broker.session.timeout.ms=x\n", "broker.session.timeout.ms"),
        ("unclean.leader.election.enable=1\n", "unclean.leader.election.enable"),
        ("auto.leader.rebalance.enable=on\n", "auto.leader.rebalance.enable"),
        ("num.network.threads=0\n", "num.network.threads"),
        ("num.io.threads=0\n", "num.io.threads"),
        ("delete.topic.enable=nope\n", "delete.topic.enable"),
        ("compression.type=brotli\n", "compression.type"),
        ("log.cleaner.min.cleanable.ratio=2\n", "log.cleaner.min.cleanable.ratio"),
        ("num.recovery.threads.per.data.dir=0\n", "num.recovery.threads.per.data.dir"),
        ("process.roles=broker,broker\n", "process.roles"),
        ("process.roles=worker\n", "process.roles"),
        ("listeners=PLAINTEXT://:9092,CONTROLLER://:9093,BOGUS://:9094\n", "listeners"),
        ("listeners=PLAINTEXT:9092\n", "listeners"),
        ("listeners=PLAINTEXT://:9092,CONTROLLER://:9092\n", "listeners"),
        ("advertised.listeners=PLAINTEXT://0.0.0.0:9092\n", "advertised.listeners"),
        (
            "advertised.listeners=OTHER://h:9092\ninter.broker.listener.name=OTHER\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT\n",
            "advertised.listeners",
        ),
        ("listener.security.protocol.map=PLAINTEXT:PLAINTEXT\n", "listeners"),
        ("listener.security.protocol.map=PLAINTEXT:TLS\n", "listener.security.protocol.map"),
        ("controller.listener.names=OTHER\n", "listeners"),
        (
            "controller.listener.names=OTHER\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT\n",
            "controller.listener.names",
        ),
        ("controller.quorum.voters=2@localhost:9093\n", "controller.quorum.voters"),
        ("controller.quorum.voters=1@localhost\n", "controller.quorum.voters"),
        ("controller.quorum.bootstrap.servers=nohost\n", "controller.quorum.bootstrap.servers"),
        ("inter.broker.listener.name=CONTROLLER\n", "inter.broker.listener.name"),
        ("inter.broker.listener.name=MISSING\n", "inter.broker.listener.name"),
        ("inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT\n", "inter.broker.listener.name"),
        ("security.inter.broker.protocol=TLS\n", "security.inter.broker.protocol"),
        ("log.dirs=/a,/a\n", "log.dirs"),
        ("log.dirs= \n", "log.dirs"),
        ("log.dirs=/a,,/b\n", "log.dirs"),
        ("cluster.id=has space\n", "cluster.id"),
        ("cluster.id=\n", "cluster.id"),
        ("node.id=x\n", "node.id"),
    ];
    for (extra, key) in cases {
        let err = error(&format!("{COMBINED}{extra}"));
        assert_names(&err, key);
    }
}

#[test]
fn tls_and_sasl_listeners_are_refused() {
    let err = error(&format!("{COMBINED}listeners=PLAINTEXT://:9092,CONTROLLER://:9093,SSL://:9094\n"));
    assert_names(&err, "listeners");
    assert!(err.to_string().contains("SSL"), "{err}");
}

#[test]
fn role_rules_follow_kafka() {
    // Broker-only: must not be a voter, needs controller.listener.names, must not listen on it.
    let broker =
        "process.roles=broker\nnode.id=4\ncontroller.quorum.voters=1@c1:9093\ncontroller.listener.names=CONTROLLER\n\
                  listeners=PLAINTEXT://:9092\n";
    assert!(ServerConfig::load(Some(broker), NO_ENV).is_ok());
    assert_names(&error(&broker.replace("node.id=4", "node.id=1")), "controller.quorum.voters");
    let err = error(&broker.replace("controller.listener.names=CONTROLLER\n", ""));
    assert!(matches!(err, ConfigError::Missing { ref key, .. } if key == "controller.listener.names"), "{err}");
    assert_names(
        &error(&broker.replace("listeners=PLAINTEXT://:9092", "listeners=PLAINTEXT://:9092,CONTROLLER://:9093")),
        "controller.listener.names",
    );
    assert_names(
        &error(&format!("{broker}listener.security.protocol.map=PLAINTEXT:PLAINTEXT\n")),
        "controller.listener.names",
    );
    let loaded = load(&format!("{broker}controller.listener.names=CONTROLLER,OTHER\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,OTHER:PLAINTEXT\n"));
    let kinds: Vec<&WarningKind> = loaded.warnings.iter().map(|w| &w.kind).collect();
    assert!(kinds.contains(&&WarningKind::OnlyFirstControllerListenerUsed), "{kinds:?}");

    // Controller-only: listeners only controller listeners, and it must be a voter.
    let controller = "process.roles=controller\nnode.id=1\ncontroller.quorum.voters=1@c1:9093\n\
                      controller.listener.names=CONTROLLER\nlisteners=CONTROLLER://:9093\n";
    assert!(ServerConfig::load(Some(controller), NO_ENV).is_ok());
    assert_names(
        &error(&controller.replace("listeners=CONTROLLER://:9093", "listeners=CONTROLLER://:9093,PLAINTEXT://:9092")),
        "listeners",
    );
    assert_names(&error(&controller.replace("node.id=1", "node.id=2")), "controller.quorum.voters");

    // Neither voters nor bootstrap servers.
    let err = error(&COMBINED.replace("controller.quorum.voters=1@localhost:9093\n", ""));
    assert!(matches!(err, ConfigError::Missing { ref key, .. } if key == "controller.quorum.voters"), "{err}");

    // No process.roles at all.
    let err = error("node.id=1\n");
    assert!(matches!(err, ConfigError::Missing { ref key, .. } if key == "process.roles"), "{err}");
}

#[test]
fn advertised_listeners_default_to_listeners_without_controllers() {
    let c = combined("listeners=PLAINTEXT://broker1:9092,CONTROLLER://broker1:9093\n");
    assert_eq!(endpoints(&c.advertised_listeners), ["PLAINTEXT://broker1:9092"]);
    assert_eq!(endpoints(&c.advertised_controller_listeners), ["CONTROLLER://broker1:9093"]);
    // Binding 0.0.0.0 with nothing advertised cannot be advertised.
    let err = error(&format!("{COMBINED}listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093\n"));
    assert_names(&err, "advertised.listeners");
}

#[test]
fn unknown_and_unsupported_keys_warn_ignored_ones_do_not() {
    let loaded = load(&format!(
        "{COMBINED}no.such.key=1\nssl.keystore.location=/k\nzookeeper.connect=zk:2181\nauthorizer.class.name=\n\
         remote.log.storage.system.enable=false\nmetrics.num.samples=2\ninter.broker.protocol.version=3.8\n\
         num.replica.fetchers=4\n"
    ));
    let got: Vec<(&str, &WarningKind)> = loaded.warnings.iter().map(|w| (w.key.as_str(), &w.kind)).collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(matches!(got[0], ("no.such.key", WarningKind::Unknown)));
    assert!(matches!(got[1], ("ssl.keystore.location", WarningKind::Unsupported { .. })));
    assert!(matches!(got[2], ("zookeeper.connect", WarningKind::Unsupported { .. })));
    let message = loaded.warnings[0].to_string();
    assert_eq!(
        message,
        "The configuration 'no.such.key' was supplied but isn't a known config (line 6 of the config file)."
    );
    // Accepted keys are still validated.
    assert_names(&error(&format!("{COMBINED}num.replica.fetchers=many\n")), "num.replica.fetchers");
}

#[test]
fn cluster_id_from_file_or_environment() {
    assert_eq!(combined("cluster.id=MkU3OEVBNTcwNTJENDM2Qk\n").cluster_id.as_deref(), Some("MkU3OEVBNTcwNTJENDM2Qk"));
    let c = ServerConfig::load(Some(COMBINED), [("CLUSTER_ID", "abc")]).unwrap().config;
    assert_eq!(c.cluster_id.as_deref(), Some("abc"));
    let err = ServerConfig::load(Some(COMBINED), [("CLUSTER_ID", "abc"), ("KAFKA_CLUSTER_ID", "xyz")]).unwrap_err();
    assert_names(&err, "cluster.id");
}

#[test]
fn oversized_file_is_rejected() {
    let text = "#".repeat(crate::properties::MAX_INPUT_BYTES + 1);
    assert!(matches!(error(&text), ConfigError::Properties(PropertiesError::TooLarge { .. })));
}

use crate::error::PropertiesError;

#[test]
fn prometheus_listener_is_host_port_or_nothing() {
    assert_eq!(combined("prometheus.listener=\n").prometheus_listener, None);
    let c = combined("prometheus.listener=:9404\n");
    assert_eq!(c.prometheus_listener, Some(HostPort { host: "0.0.0.0".into(), port: 9404 }));
    let c = combined("prometheus.listener=127.0.0.1:0\n");
    assert_eq!(c.prometheus_listener, Some(HostPort { host: "127.0.0.1".into(), port: 0 }));
    for bad in ["9404", "localhost:http", "localhost:70000", "bad/host:9404"] {
        let err = error(&format!("{COMBINED}prometheus.listener={bad}\n"));
        assert_names(&err, "prometheus.listener");
    }
    let env = [("KAFKA_PROMETHEUS_LISTENER", "0.0.0.0:9404")];
    let loaded = ServerConfig::load(Some(COMBINED), env).unwrap();
    assert_eq!(loaded.config.prometheus_listener.map(|l| l.port), Some(9404));
}
