//! Admin calls against the in-test broker: topics, partitions, configs, the cluster, offsets and API
//! versions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use flotilla_client::admin::{ClusterDescription, TopicOutcome};
use flotilla_client::{
    Admin, AlterConfigOp, ClientConfig, ConfigResource, ConfigSource, CreateTopicsOptions, DescribeConfigsOptions,
    IsolationLevel, NewPartitions, NewTopic, OffsetSpec,
};
use flotilla_model::ErrorCode;
use flotilla_protocol::records::RecordBatchBuilder;
use flotilla_protocol::ApiKey;
use support::{Fault, FaultAction, TestCluster};

async fn admin(cluster: &TestCluster) -> Admin {
    let config = ClientConfig { retry_backoff: Duration::from_millis(5), ..ClientConfig::new([cluster.bootstrap()]) };
    Admin::connect(config).await.unwrap()
}

#[tokio::test]
async fn creates_topics_with_partitions_configs_and_assignments() {
    let cluster = TestCluster::start(3).await;
    let admin = admin(&cluster).await;
    let topics = [
        NewTopic::new("plain", 3, 2).config("retention.ms", "1000"),
        NewTopic {
            name: "placed".into(),
            assignments: BTreeMap::from([(0, vec![3, 1]), (1, vec![2, 3])]),
            ..NewTopic::default()
        },
        NewTopic::new("too-many-replicas", 1, 5),
    ];
    let results = admin.create_topics(&topics, CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!((results[0].error, results[0].num_partitions, results[0].replication_factor), (ErrorCode::None, 3, 2));
    assert_ne!(results[0].topic_id, flotilla_model::TopicId::ZERO);
    assert_eq!(results[1].error, ErrorCode::None);
    assert_eq!(results[2].error, ErrorCode::InvalidReplicationFactor);
    let error = results[2].clone().into_result().unwrap_err();
    assert_eq!(
        error.to_string(),
        "topic too-many-replicas: INVALID_REPLICATION_FACTOR: Replication factor: 5 larger than available brokers: 3."
    );
    assert_eq!(cluster.lock().topics["plain"].configs["retention.ms"], "1000");
    let placed = admin.describe_topics(&["placed".into()]).await.unwrap();
    let leaders: Vec<i32> = placed[0].partitions.iter().map(|p| p.leader.get()).collect();
    assert_eq!(leaders, [3, 2]);
    assert_eq!(placed[0].partitions[0].replicas.iter().map(|n| n.get()).collect::<Vec<_>>(), [3, 1]);

    let again = admin.create_topics(&[NewTopic::new("plain", 1, 1)], CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(again[0].error, ErrorCode::TopicAlreadyExists);
    assert_eq!(again[0].message.as_deref(), Some("Topic 'plain' already exists."));

    let options = CreateTopicsOptions { validate_only: true, ..Default::default() };
    let checked = admin.create_topics(&[NewTopic::new("dry", 4, 1)], options).await.unwrap();
    assert_eq!((checked[0].error, checked[0].num_partitions), (ErrorCode::None, 4));
    assert!(!cluster.lock().topics.contains_key("dry"));
    assert_eq!(admin.list_topics(false).await.unwrap(), ["placed", "plain"]);
}

#[tokio::test]
async fn not_controller_is_retried() {
    let cluster = TestCluster::start(2).await;
    cluster.fault(Fault {
        api: ApiKey::CreateTopics,
        node: None,
        topic: Some("t".into()),
        partition: None,
        action: FaultAction::Error(ErrorCode::NotController.code()),
    });
    let admin = admin(&cluster).await;
    let results = admin.create_topics(&[NewTopic::new("t", 1, 1)], CreateTopicsOptions::default()).await.unwrap();
    assert_eq!(results[0].error, ErrorCode::None);
    assert_eq!(cluster.count(ApiKey::CreateTopics), 2);
    // Sent to the controller metadata names.
    assert!(cluster.lock().requests.iter().filter(|r| r.api == ApiKey::CreateTopics).all(|r| r.node == 1));
}

#[tokio::test]
async fn deletes_topics_and_adds_partitions() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("a", 1, &[]);
    cluster.add_topic("b", 2, &[]);
    let admin = admin(&cluster).await;
    let deleted = admin.delete_topics(&["a".into(), "zzz".into()], Duration::from_secs(5)).await.unwrap();
    assert_eq!(deleted[0], TopicOutcome { name: "a".into(), error: ErrorCode::None, message: None });
    assert_eq!(deleted[1].error, ErrorCode::UnknownTopicOrPartition);
    assert!(!cluster.lock().topics.contains_key("a"));

    let grown = admin
        .create_partitions(
            &[NewPartitions { topic: "b".into(), total_count: 5, assignments: None }],
            false,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(grown[0].error, ErrorCode::None);
    assert_eq!(admin.client().topic("b").await.unwrap().partition_count(), 5);
    let shrunk = admin
        .create_partitions(
            &[NewPartitions { topic: "b".into(), total_count: 2, assignments: None }],
            false,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let error = shrunk[0].clone().into_result().unwrap_err();
    assert_eq!(
        error.to_string(),
        "b: INVALID_PARTITIONS: Topic currently has 5 partitions, which is higher than the requested 2."
    );
}

#[tokio::test]
async fn describes_and_alters_configs() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("t", 1, &[]);
    let admin = admin(&cluster).await;
    let changes = [(
        ConfigResource::topic("t"),
        vec![AlterConfigOp::set("cleanup.policy", "compact"), AlterConfigOp::set("x", "1")],
    )];
    let altered = admin.incremental_alter_configs(&changes, false).await.unwrap();
    assert_eq!(altered[0].error, ErrorCode::None);
    let changes = [(ConfigResource::topic("t"), vec![AlterConfigOp::delete("x")])];
    admin.incremental_alter_configs(&changes, false).await.unwrap();

    let options = DescribeConfigsOptions { include_synonyms: true, ..Default::default() };
    let described = admin
        .describe_configs(
            &[ConfigResource::topic("t"), ConfigResource::broker(2), ConfigResource::topic("missing")],
            options,
        )
        .await
        .unwrap();
    assert_eq!(described.len(), 3);
    let topic = described.iter().find(|r| r.resource == ConfigResource::topic("t")).unwrap();
    let policy = topic.entries.iter().find(|e| e.name == "cleanup.policy").unwrap();
    assert_eq!((policy.value.as_deref(), policy.source), (Some("compact"), ConfigSource::DynamicTopicConfig));
    assert_eq!(policy.source.name(), "DYNAMIC_TOPIC_CONFIG");
    assert_eq!(policy.synonyms.len(), 1);
    assert!(topic.entries.iter().all(|e| e.name != "x"));
    let retention = topic.entries.iter().find(|e| e.name == "retention.ms").unwrap();
    assert_eq!(retention.source, ConfigSource::DefaultConfig);
    let broker = described.iter().find(|r| r.resource == ConfigResource::broker(2)).unwrap();
    assert_eq!(broker.entries[0].source, ConfigSource::StaticBrokerConfig);
    let missing = described.iter().find(|r| r.resource == ConfigResource::topic("missing")).unwrap();
    assert_eq!(missing.error, ErrorCode::UnknownTopicOrPartition);
    // Broker configs are read from the broker itself.
    let log = cluster.lock().requests.clone();
    let describe_nodes: Vec<i32> = log.iter().filter(|r| r.api == ApiKey::DescribeConfigs).map(|r| r.node).collect();
    assert!(describe_nodes.contains(&2), "{describe_nodes:?}");
}

#[tokio::test]
async fn describes_the_cluster_and_api_versions() {
    let cluster = TestCluster::start(3).await;
    cluster.lock().max_versions.insert(ApiKey::Produce, 9);
    let admin = admin(&cluster).await;
    let ClusterDescription { cluster_id, controller_id, brokers } = admin.describe_cluster().await.unwrap();
    assert_eq!(cluster_id.as_deref(), Some("test-cluster"));
    assert_eq!(controller_id.get(), 1);
    assert_eq!(brokers.iter().map(|b| b.node_id.get()).collect::<Vec<_>>(), [1, 2, 3]);

    let versions = admin.broker_api_versions().await.unwrap();
    assert_eq!(versions.len(), 3);
    for b in versions {
        let v = b.versions.unwrap();
        let produce = v.broker_apis().iter().find(|a| a.api_key == 0).unwrap();
        assert_eq!((produce.max_version, produce.usable_version()), (9, Some(9)));
        assert_eq!(v.version_for(ApiKey::Fetch), Some(ApiKey::Fetch.versions().max));
    }
}

#[tokio::test]
async fn lists_offsets_per_leader() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("t", 3, &[1, 2, 1]);
    for p in 0..3 {
        for batch in 0..2 {
            let mut b = RecordBatchBuilder::default();
            for i in 0..5 {
                let ts = 10_000 + i64::from(p) * 1000 + batch * 100 + i;
                b.append(ts, None, Some(b"v"), &[]).unwrap();
            }
            cluster.append("t", p, b.build().unwrap());
        }
    }
    cluster.truncate_before("t", 2, 5);
    let admin = admin(&cluster).await;
    let requests: Vec<(String, i32, OffsetSpec)> = vec![
        ("t".into(), 0, OffsetSpec::Earliest),
        ("t".into(), 1, OffsetSpec::Latest),
        ("t".into(), 2, OffsetSpec::Earliest),
        ("t".into(), 1, OffsetSpec::Timestamp(11_102)),
        ("t".into(), 0, OffsetSpec::MaxTimestamp),
    ];
    let before = cluster.count(ApiKey::ListOffsets);
    // Partitions 0 and 2 share leader 1: one request for them, one for partition 1 on leader 2.
    let listed = admin.list_offsets(&requests[..3], IsolationLevel::ReadUncommitted).await.unwrap();
    assert_eq!(listed.iter().map(|l| l.offset).collect::<Vec<_>>(), [0, 10, 5]);
    assert_eq!(cluster.count(ApiKey::ListOffsets) - before, 2, "one request per leader");
    let listed = admin.list_offsets(&requests[3..], IsolationLevel::ReadUncommitted).await.unwrap();
    assert_eq!((listed[0].offset, listed[0].timestamp), (7, 11_102));
    assert_eq!((listed[1].offset, listed[1].timestamp), (9, 10_104));

    // After a leader change the partition is asked again of its new leader.
    cluster.lock().partition("t", 1).leader = 1;
    let listed = admin.list_offsets(&requests[1..2], IsolationLevel::ReadUncommitted).await.unwrap();
    assert_eq!((listed[0].error, listed[0].offset), (ErrorCode::None, 10));
}
