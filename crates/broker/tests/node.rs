//! A whole node through `run_node_with`: one combined broker+controller on 127.0.0.1 with listeners
//! bound on port 0, logs in a temporary directory, driven by the flotilla client over real sockets.
//! Every wait polls a condition with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flotilla_broker::node::{MetaProperties, MetaPropertiesError};
use flotilla_broker::{run_node_with, NodeError, NodeOptions};
use flotilla_client::{
    Admin, BrokerConnection, Client, ClientConfig, ConnectionConfig, Consumer, ConsumerConfig, CreateTopicsOptions,
    MetadataTopics, NewTopic, Producer, ProducerConfig, ProducerRecord, StartOffset,
};
use flotilla_config::ServerConfig;
use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::MetadataRequest;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(30);

struct TestNode {
    kafka: SocketAddr,
    controller: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), NodeError>>,
}

fn config(dir: &Path, kafka: SocketAddr, controller: SocketAddr) -> Arc<ServerConfig> {
    let text = format!(
        "node.id=1\nprocess.roles=broker,controller\n\
         listeners=PLAINTEXT://{kafka},CONTROLLER://{controller}\n\
         controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@{controller}\n\
         log.dirs={}\ncluster.id=cluster-one\nbroker.heartbeat.interval.ms=100\n\
         offsets.topic.replication.factor=1\n",
        dir.display()
    );
    Arc::new(ServerConfig::load(Some(&text), std::iter::empty::<(&str, &str)>()).unwrap().config)
}

async fn bind(addr: &str) -> TcpListener {
    TcpListener::bind(addr).await.unwrap()
}

/// Starts a node on `kafka`/`controller` (port 0 for fresh ports) and returns once it is running.
async fn start_on(dir: &Path, kafka: &str, controller: &str) -> TestNode {
    let kafka_listener = bind(kafka).await;
    let controller_listener = bind(controller).await;
    let kafka = kafka_listener.local_addr().unwrap();
    let controller = controller_listener.local_addr().unwrap();
    let options = NodeOptions {
        bound_listeners: BTreeMap::from([
            ("PLAINTEXT".to_string(), kafka_listener),
            ("CONTROLLER".to_string(), controller_listener),
        ]),
        ..NodeOptions::new(config(dir, kafka, controller))
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_node_with(options, async {
        let _ = stopped.await;
    }));
    let node = TestNode { kafka, controller, stop: Some(stop), task };
    node.wait_until_serving().await;
    node
}

impl TestNode {
    fn client_config(&self) -> ClientConfig {
        ClientConfig { bootstrap_servers: vec![self.kafka.to_string()], ..ClientConfig::default() }
    }

    /// Until Metadata lists this broker (registered and unfenced).
    async fn wait_until_serving(&self) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Ok(client) = Client::connect(self.client_config()).await {
                if let Ok(metadata) = client.describe_metadata(MetadataTopics::None).await {
                    if metadata.brokers.contains_key(&NodeId::new(1)) {
                        return;
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "the node did not start serving");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(DEADLINE, &mut self.task).await.expect("the node stops").unwrap().unwrap();
    }
}

async fn consume(node: &TestNode, topic: &str, count: usize) -> Vec<(i64, String)> {
    let mut consumer = Consumer::connect(node.client_config(), ConsumerConfig::default()).await.unwrap();
    consumer.assign(&[(topic.to_string(), 0, StartOffset::Earliest)]).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while seen.len() < count {
        assert!(tokio::time::Instant::now() < deadline, "only {seen:?} arrived");
        let fetched = consumer.poll().await.unwrap();
        for record in fetched.records() {
            let record = record.unwrap();
            seen.push((record.offset, String::from_utf8_lossy(&record.value.unwrap()).into_owned()));
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_serves_restarts_with_its_data_and_refuses_another_clusters_directory() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_on(dir.path(), "127.0.0.1:0", "127.0.0.1:0").await;

    let meta = MetaProperties::read(dir.path()).unwrap().unwrap();
    assert_eq!((meta.node_id, meta.cluster_id.as_str()), (NodeId::new(1), "cluster-one"));

    let admin = Admin::connect(node.client_config()).await.unwrap();
    let created = admin.create_topics(&[NewTopic::new("events", 1, 1)], CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(created[0].error, ErrorCode::None, "{created:?}");

    let producer = Producer::connect(node.client_config(), ProducerConfig::default()).await.unwrap();
    for value in ["one", "two", "three"] {
        let delivery = producer.send(ProducerRecord::new("events", value.as_bytes()).partition(0)).await.unwrap();
        delivery.wait().await.unwrap();
    }
    let expected: Vec<(i64, String)> = vec![(0, "one".into()), (1, "two".into()), (2, "three".into())];
    assert_eq!(consume(&node, "events", 3).await, expected);
    drop(producer);
    drop(admin);

    // A clean shutdown, then a restart on the same ports and directory keeps the topic and its data.
    let (kafka, controller) = (node.kafka, node.controller);
    node.stop().await;
    assert!(dir.path().join(".kafka_cleanshutdown").exists(), "a clean shutdown leaves its marker");
    let node = start_on(dir.path(), &kafka.to_string(), &controller.to_string()).await;
    assert_eq!(consume(&node, "events", 3).await, expected);
    node.stop().await;

    // A directory of another cluster is refused, naming its file.
    MetaProperties { cluster_id: "cluster-two".into(), ..meta }.write(dir.path()).unwrap();
    let kafka_listener = bind("127.0.0.1:0").await;
    let controller_listener = bind("127.0.0.1:0").await;
    let options = NodeOptions {
        bound_listeners: BTreeMap::from([
            ("PLAINTEXT".to_string(), kafka_listener),
            ("CONTROLLER".to_string(), controller_listener),
        ]),
        ..NodeOptions::new(config(dir.path(), kafka, controller))
    };
    let refused = tokio::time::timeout(DEADLINE, run_node_with(options, std::future::pending())).await.unwrap();
    match refused {
        Err(NodeError::MetaProperties(e @ MetaPropertiesError::ClusterIdMismatch { .. })) => {
            assert!(e.to_string().contains("meta.properties"), "{e}");
        }
        other => panic!("expected a cluster id mismatch, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_listener_answers_metadata_with_its_own_advertised_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let internal = bind("127.0.0.1:0").await;
    let external = bind("127.0.0.1:0").await;
    let controller = bind("127.0.0.1:0").await;
    let (internal_addr, external_addr, controller_addr) =
        (internal.local_addr().unwrap(), external.local_addr().unwrap(), controller.local_addr().unwrap());
    let text = format!(
        "node.id=1\nprocess.roles=broker,controller\n\
         listeners=PLAINTEXT://{internal_addr},EXTERNAL://{external_addr},CONTROLLER://{controller_addr}\n\
         advertised.listeners=PLAINTEXT://{internal_addr},EXTERNAL://external.example:{}\n\
         listener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
         controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@{controller_addr}\n\
         log.dirs={}\nbroker.heartbeat.interval.ms=100\n",
        external_addr.port(),
        dir.path().display()
    );
    let config = Arc::new(ServerConfig::load(Some(&text), std::iter::empty::<(&str, &str)>()).unwrap().config);
    let options = NodeOptions {
        bound_listeners: BTreeMap::from([
            ("PLAINTEXT".to_string(), internal),
            ("EXTERNAL".to_string(), external),
            ("CONTROLLER".to_string(), controller),
        ]),
        ..NodeOptions::new(config)
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_node_with(options, async {
        let _ = stopped.await;
    }));
    let node = TestNode { kafka: internal_addr, controller: controller_addr, stop: Some(stop), task };
    node.wait_until_serving().await;

    let ask = |addr: SocketAddr| async move {
        let config = ClientConfig { bootstrap_servers: vec![addr.to_string()], ..ClientConfig::default() };
        let connection =
            BrokerConnection::connect(-1, &addr.to_string(), &ConnectionConfig::from(&config)).await.unwrap();
        connection.send(&MetadataRequest { topics: None, ..Default::default() }).await.unwrap()
    };
    let inside = ask(internal_addr).await;
    assert_eq!((&*inside.brokers[0].host, inside.brokers[0].port), ("127.0.0.1", i32::from(internal_addr.port())));
    let outside = ask(external_addr).await;
    assert_eq!(
        (&*outside.brokers[0].host, outside.brokers[0].port),
        ("external.example", i32::from(external_addr.port()))
    );
    node.stop().await;
}
