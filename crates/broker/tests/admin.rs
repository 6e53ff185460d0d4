//! The admin APIs of one combined node over real sockets: CreateTopics, DeleteTopics,
//! CreatePartitions, Metadata (with auto-creation), DescribeConfigs, DescribeCluster and
//! InitProducerId, each request sent as the protocol message at the version the client negotiates.
//! Every wait polls a condition with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flotilla_broker::{run_node_with, NodeError, NodeOptions};
use flotilla_client::{Client, ClientConfig, MetadataTopics};
use flotilla_config::ServerConfig;
use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use flotilla_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use flotilla_protocol::messages::create_topics_response::CreatableTopicResult;
use flotilla_protocol::messages::delete_topics_request::DeleteTopicState;
use flotilla_protocol::messages::describe_configs_request::DescribeConfigsResource;
use flotilla_protocol::messages::metadata_request::MetadataRequestTopic;
use flotilla_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    InitProducerIdRequest, MetadataRequest, MetadataResponse,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(30);
const TOPIC: i8 = 2;
const BROKER: i8 = 4;
const DYNAMIC_TOPIC_CONFIG: i8 = 1;
const DEFAULT_CONFIG: i8 = 5;

struct TestNode {
    client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), NodeError>>,
}

async fn start(dir: &Path, extra: &str) -> TestNode {
    let kafka = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let controller = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (kafka_addr, controller_addr) = (kafka.local_addr().unwrap(), controller.local_addr().unwrap());
    let text = format!(
        "node.id=1\nprocess.roles=broker,controller\n\
         listeners=PLAINTEXT://{kafka_addr},CONTROLLER://{controller_addr}\n\
         controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@{controller_addr}\n\
         log.dirs={}\nbroker.heartbeat.interval.ms=100\n{extra}",
        dir.display()
    );
    let config = Arc::new(ServerConfig::load(Some(&text), std::iter::empty::<(&str, &str)>()).unwrap().config);
    let options = NodeOptions {
        bound_listeners: BTreeMap::from([("PLAINTEXT".to_string(), kafka), ("CONTROLLER".to_string(), controller)]),
        ..NodeOptions::new(config)
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run_node_with(options, async {
        let _ = stopped.await;
    }));
    let client_config = ClientConfig { bootstrap_servers: vec![kafka_addr.to_string()], ..ClientConfig::default() };
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Ok(client) = Client::connect(client_config.clone()).await {
            if let Ok(metadata) = client.describe_metadata(MetadataTopics::None).await {
                if metadata.brokers.contains_key(&NodeId::new(1)) {
                    return TestNode { client, stop: Some(stop), task };
                }
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "the node did not start serving");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TestNode {
    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(DEADLINE, &mut self.task).await.expect("the node stops").unwrap().unwrap();
    }

    async fn create(&self, topics: Vec<CreatableTopic>, validate_only: bool) -> Vec<CreatableTopicResult> {
        let request = CreateTopicsRequest { topics, validate_only, ..Default::default() };
        self.client.send_any(&request).await.unwrap().topics
    }

    async fn metadata(&self, names: &[&str], allow_auto_topic_creation: bool) -> MetadataResponse {
        let topics = names.iter().map(|n| MetadataRequestTopic { name: Some((*n).into()), ..Default::default() });
        let request =
            MetadataRequest { topics: Some(topics.collect()), allow_auto_topic_creation, ..Default::default() };
        self.client.send_any(&request).await.unwrap()
    }
}

fn topic(name: &str, partitions: i32, replication_factor: i16) -> CreatableTopic {
    CreatableTopic { name: name.into(), num_partitions: partitions, replication_factor, ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn topics_are_created_described_grown_and_deleted_with_kafkas_errors() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "num.partitions=2\n").await;

    // Validate-only creates nothing.
    let validated = node.create(vec![topic("orders", 3, 1)], true).await;
    assert_eq!(validated[0].error_code, ErrorCode::None.code(), "{validated:?}");
    let metadata = node.metadata(&["orders"], false).await;
    assert_eq!(metadata.topics[0].error_code, ErrorCode::UnknownTopicOrPartition.code());

    // Created, and visible to the very next Metadata.
    let created = node.create(vec![topic("orders", 3, 1), topic("defaults", -1, -1)], false).await;
    assert_eq!(created[0].error_code, ErrorCode::None.code(), "{created:?}");
    assert_eq!((created[0].num_partitions, created[0].replication_factor), (3, 1));
    assert!(created[0].configs.as_ref().is_some_and(|c| c.iter().any(|c| *c.name == *"retention.ms")));
    assert_eq!(created[1].num_partitions, 2, "-1 takes num.partitions");
    let metadata = node.metadata(&["orders"], false).await;
    let orders = &metadata.topics[0];
    assert_eq!(orders.error_code, ErrorCode::None.code());
    assert_eq!(orders.topic_id, created[0].topic_id);
    assert_eq!(orders.partitions.len(), 3);
    for partition in &orders.partitions {
        assert_eq!((partition.leader_id, partition.replica_nodes.as_slice()), (1, &[1][..]));
        assert_eq!(partition.isr_nodes, vec![1]);
    }
    assert_eq!(metadata.brokers.len(), 1);
    assert!(metadata.cluster_id.is_some());

    // Kafka's errors, one per topic.
    let refused = node
        .create(vec![topic("orders", 1, 1), topic("wide", 1, 3), topic("empty", 0, 1), topic("bad name!", 1, 1)], false)
        .await;
    let codes: Vec<i16> = refused.iter().map(|r| r.error_code).collect();
    assert_eq!(
        codes,
        vec![
            ErrorCode::TopicAlreadyExists.code(),
            ErrorCode::InvalidReplicationFactor.code(),
            ErrorCode::InvalidPartitions.code(),
            ErrorCode::InvalidTopicException.code(),
        ],
        "{refused:?}"
    );
    assert!(refused.iter().all(|r| r.error_message.is_some()));

    // Grown.
    let request = CreatePartitionsRequest {
        topics: vec![CreatePartitionsTopic {
            name: "orders".into(),
            count: 5,
            assignments: None,
            ..Default::default()
        }],
        ..Default::default()
    };
    let grown = node.client.send_any(&request).await.unwrap();
    assert_eq!(grown.results[0].error_code, ErrorCode::None.code(), "{grown:?}");
    assert_eq!(node.metadata(&["orders"], false).await.topics[0].partitions.len(), 5);

    // Deleted, by name and by id.
    let request = DeleteTopicsRequest {
        topics: vec![
            DeleteTopicState { name: Some("orders".into()), ..Default::default() },
            DeleteTopicState { name: None, topic_id: created[1].topic_id, ..Default::default() },
        ],
        topic_names: vec!["orders".into()],
        ..Default::default()
    };
    let deleted = node.client.send_any(&request).await.unwrap();
    assert!(deleted.responses.iter().all(|r| r.error_code == ErrorCode::None.code()), "{deleted:?}");
    let metadata = node.metadata(&["orders", "defaults"], false).await;
    assert!(metadata.topics.iter().all(|t| t.error_code == ErrorCode::UnknownTopicOrPartition.code()));
    let again = node.client.send_any(&request).await.unwrap();
    assert_eq!(again.responses[0].error_code, ErrorCode::UnknownTopicOrPartition.code(), "{again:?}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metadata_auto_creates_unknown_topics_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "num.partitions=3\n").await;

    let refused = node.metadata(&["not-allowed"], false).await;
    assert_eq!(refused.topics[0].error_code, ErrorCode::UnknownTopicOrPartition.code());
    let invalid = node.metadata(&["bad name!"], true).await;
    assert_eq!(invalid.topics[0].error_code, ErrorCode::InvalidTopicException.code());

    let first = node.metadata(&["auto"], true).await;
    assert_eq!(first.topics[0].error_code, ErrorCode::LeaderNotAvailable.code(), "{first:?}");
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let metadata = node.metadata(&["auto"], true).await;
        if metadata.topics[0].error_code == ErrorCode::None.code() {
            assert_eq!(metadata.topics[0].partitions.len(), 3, "num.partitions");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "auto-created topic never appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "auto.create.topics.enable=false\n").await;
    let refused = node.metadata(&["auto"], true).await;
    assert_eq!(refused.topics[0].error_code, ErrorCode::UnknownTopicOrPartition.code());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn describe_configs_tells_defaults_from_overrides_and_the_cluster_is_described() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "").await;
    let mut configured = topic("configured", 1, 1);
    configured.configs =
        vec![CreatableTopicConfig { name: "retention.ms".into(), value: Some("12345".into()), ..Default::default() }];
    let created = node.create(vec![configured], false).await;
    assert_eq!(created[0].error_code, ErrorCode::None.code(), "{created:?}");

    let request = DescribeConfigsRequest {
        resources: vec![
            DescribeConfigsResource {
                resource_type: TOPIC,
                resource_name: "configured".into(),
                configuration_keys: None,
                ..Default::default()
            },
            DescribeConfigsResource {
                resource_type: TOPIC,
                resource_name: "missing".into(),
                configuration_keys: None,
                ..Default::default()
            },
            DescribeConfigsResource {
                resource_type: BROKER,
                resource_name: "1".into(),
                configuration_keys: Some(vec!["num.partitions".into()]),
                ..Default::default()
            },
        ],
        include_synonyms: true,
        ..Default::default()
    };
    let described = node.client.send_any(&request).await.unwrap();
    let topic = &described.results[0];
    assert_eq!(topic.error_code, ErrorCode::None.code());
    let retention = topic.configs.iter().find(|c| *c.name == *"retention.ms").unwrap();
    assert_eq!((retention.value.as_deref(), retention.config_source), (Some("12345"), DYNAMIC_TOPIC_CONFIG));
    let own = retention.synonyms.first().expect("include_synonyms lists the override first");
    assert_eq!((&*own.name, own.source), ("retention.ms", DYNAMIC_TOPIC_CONFIG), "{retention:?}");
    let cleanup = topic.configs.iter().find(|c| *c.name == *"cleanup.policy").unwrap();
    assert_eq!((cleanup.value.as_deref(), cleanup.config_source), (Some("delete"), DEFAULT_CONFIG));
    assert_eq!(described.results[1].error_code, ErrorCode::UnknownTopicOrPartition.code());
    let broker = &described.results[2];
    assert_eq!(broker.error_code, ErrorCode::None.code());
    assert_eq!(broker.configs.len(), 1);
    assert_eq!(broker.configs[0].value.as_deref(), Some("1"));

    let without_synonyms = DescribeConfigsRequest { include_synonyms: false, ..request };
    let described = node.client.send_any(&without_synonyms).await.unwrap();
    assert!(described.results[0].configs.iter().all(|c| c.synonyms.is_empty()));

    let cluster = node.client.send_any(&DescribeClusterRequest::default()).await.unwrap();
    assert_eq!(cluster.error_code, ErrorCode::None.code());
    assert_eq!(cluster.brokers.len(), 1);
    assert_eq!(cluster.brokers[0].broker_id, 1);
    assert!(!cluster.cluster_id.is_empty());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn init_producer_id_hands_out_distinct_ids() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), "").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let answer = node
            .client
            .send_any(&InitProducerIdRequest { transactional_id: None, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(answer.error_code, ErrorCode::None.code(), "{answer:?}");
        assert_eq!(answer.producer_epoch, 0);
        ids.push(answer.producer_id);
    }
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|id| *id >= 0));

    let transactional = InitProducerIdRequest { transactional_id: Some("tx".into()), ..Default::default() };
    let answer = node.client.send_any(&transactional).await.unwrap();
    assert_eq!(answer.error_code, ErrorCode::CoordinatorNotAvailable.code());
    node.stop().await;
}
