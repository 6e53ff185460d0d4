//! A single-voter quorum (dev mode): topics, errors, broker sessions, restart from the directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use flotilla_config::ServerConfig;
use flotilla_controller::operations::{
    AllocateProducerIdsRequest, AlterConfigEntry, AlterConfigOp, AlterConfigsResource, CreatableTopic,
    CreatePartitionsRequest, CreatePartitionsTopic, CreateTopicsRequest, DeleteTopicsRequest,
    IncrementalAlterConfigsRequest, TopicRef,
};
use flotilla_controller::{ControllerClientExt, ControllerError, ServerConfigPolicy};
use flotilla_metadata::{BrokerEpoch, ConfigResource};
use flotilla_model::{ErrorCode, NodeId};

fn create(topics: Vec<CreatableTopic>, validate_only: bool) -> CreateTopicsRequest {
    CreateTopicsRequest { topics, validate_only }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_created_grown_and_deleted() {
    let cluster = Cluster::start(1, |o| o).await;
    let leader = cluster.wait_for_active().await;
    let node = cluster.node(leader);
    let handle = node.handle();
    for id in 1..=3 {
        register_and_unfence(&handle, || node.image(), id).await;
    }

    let validated = handle.create_topics(create(vec![CreatableTopic::new("dry", 2, 3)], true)).await.unwrap();
    assert!(validated[0].result.is_ok(), "{validated:?}");
    assert!(node.image().topics().by_name("dry").is_none(), "validate-only creates nothing");

    let created = handle.create_topics(create(vec![CreatableTopic::new("orders", 3, 3)], false)).await.unwrap();
    let topic_id = created[0].result.as_ref().unwrap().topic_id;
    // The reply comes once the records are applied: the image already shows them.
    let image = node.image();
    let topic = image.topics().by_name("orders").unwrap();
    assert_eq!(topic.id(), topic_id);
    assert_eq!(topic.partition_count(), 3);
    for (_, partition) in topic.partitions() {
        assert!(partition.has_leader());
        assert!(partition.in_isr(partition.leader));
        assert_eq!(partition.replicas.len(), 3);
        assert_eq!((partition.leader_epoch.get(), partition.partition_epoch.get()), (0, 0));
    }

    let grown = handle
        .create_partitions(CreatePartitionsRequest {
            topics: vec![CreatePartitionsTopic { name: "orders".into(), count: 5, assignments: None }],
            validate_only: false,
        })
        .await
        .unwrap();
    assert!(grown[0].result.is_ok(), "{grown:?}");
    assert_eq!(node.image().topics().by_name("orders").unwrap().partition_count(), 5);

    let block = handle
        .allocate_producer_ids(AllocateProducerIdsRequest {
            broker_id: NodeId::new(1),
            broker_epoch: node.image().brokers().get(NodeId::new(1)).unwrap().epoch,
        })
        .await
        .unwrap();
    assert_eq!(block.first_producer_id.get(), 0);
    assert_eq!(node.image().producer_ids().next_producer_id().get(), block.size);

    let deleted = handle.delete_topics(DeleteTopicsRequest { topics: vec![TopicRef::Id(topic_id)] }).await.unwrap();
    assert!(deleted[0].result.is_ok(), "{deleted:?}");
    assert_eq!(deleted[0].name.as_deref(), Some("orders"));
    assert!(node.image().topics().is_empty());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_back_typed() {
    let server = Arc::new(ServerConfig::single_node_default().unwrap());
    let cluster = Cluster::start(1, move |mut o| {
        o.config_policy = Arc::new(ServerConfigPolicy::new(Arc::clone(&server)));
        o
    })
    .await;
    let leader = cluster.wait_for_active().await;
    let node = cluster.node(leader);
    let handle = node.handle();
    let epoch = register_and_unfence(&handle, || node.image(), 1).await;

    handle.create_topics(create(vec![CreatableTopic::new("t", 1, 1)], false)).await.unwrap();
    let mut bad_config = CreatableTopic::new("u", 1, 1);
    bad_config.configs = vec![("retention.ms".into(), Some("soon".into()))];
    let results = handle
        .create_topics(create(vec![CreatableTopic::new("t", 1, 1), CreatableTopic::new("v", 1, 2), bad_config], false))
        .await
        .unwrap();
    let codes: Vec<ErrorCode> = results.iter().map(|r| r.result.as_ref().unwrap_err().code()).collect();
    assert_eq!(codes, [ErrorCode::TopicAlreadyExists, ErrorCode::InvalidReplicationFactor, ErrorCode::InvalidConfig]);
    assert!(results[2].result.as_ref().unwrap_err().message().contains("retention.ms"));

    let altered = handle
        .incremental_alter_configs(IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource: ConfigResource::topic("t"),
                entries: vec![AlterConfigEntry { key: "no.such.key".into(), op: AlterConfigOp::Set("1".into()) }],
            }],
            validate_only: false,
        })
        .await
        .unwrap();
    assert_eq!(altered[0].result.as_ref().unwrap_err().code(), ErrorCode::InvalidConfig);
    let altered = handle
        .incremental_alter_configs(IncrementalAlterConfigsRequest {
            resources: vec![AlterConfigsResource {
                resource: ConfigResource::topic("t"),
                entries: vec![AlterConfigEntry { key: "retention.ms".into(), op: AlterConfigOp::Set("1000".into()) }],
            }],
            validate_only: false,
        })
        .await
        .unwrap();
    assert!(altered[0].result.is_ok());
    assert_eq!(node.image().topic_config_overrides("t").get("retention.ms").map(String::as_str), Some("1000"));

    let stale = handle.broker_heartbeat(heartbeat(1, BrokerEpoch::new(epoch.get() - 1), 0)).await.unwrap_err();
    assert!(matches!(&stale, ControllerError::Rejected(e) if e.code() == ErrorCode::StaleBrokerEpoch), "{stale}");
    let unknown = handle.broker_heartbeat(heartbeat(7, epoch, 0)).await.unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::BrokerIdNotRegistered);
    let foreign = handle.register_broker(registration(2, "another-cluster", 2)).await.unwrap_err();
    assert_eq!(foreign.code(), ErrorCode::InconsistentClusterId);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_broker_unfenced_and_silence_fences_it() {
    const SESSION_TIMEOUT_MS: u64 = 1_500;
    let cluster = Cluster::start(1, |mut o| {
        o.broker_session_timeout_ms = SESSION_TIMEOUT_MS;
        o
    })
    .await;
    let leader = cluster.wait_for_active().await;
    let node = cluster.node(leader);
    let handle = node.handle();
    let epoch = register_and_unfence(&handle, || node.image(), 1).await;
    handle.create_topics(create(vec![CreatableTopic::new("t", 1, 1)], false)).await.unwrap();

    // Heartbeats every 300 ms for twice the session timeout: never fenced.
    let until = tokio::time::Instant::now() + Duration::from_millis(2 * SESSION_TIMEOUT_MS);
    while tokio::time::Instant::now() < until {
        let offset = node.image().position().offset;
        let reply = handle.broker_heartbeat(heartbeat(1, epoch, offset)).await.unwrap();
        assert!(!reply.is_fenced && reply.is_caught_up, "{reply:?}");
        assert!(!node.image().brokers().get(NodeId::new(1)).unwrap().fenced);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Silence: fenced once the session expires, and its only partition goes offline.
    let fenced_at = tokio::time::Instant::now();
    wait_for("the silent broker to be fenced", async || {
        node.image().brokers().get(NodeId::new(1)).unwrap().fenced.then_some(())
    })
    .await;
    assert!(fenced_at.elapsed() >= Duration::from_millis(SESSION_TIMEOUT_MS - 400), "fenced before its session ended");
    let image = node.image();
    let (leader_id, _) = image.leader_and_isr(image.topics().by_name("t").unwrap().id(), 0.into()).unwrap();
    assert_eq!(leader_id, NodeId::NONE);

    // A heartbeat brings it back.
    wait_for("the broker to be unfenced again", async || {
        let offset = node.image().position().offset;
        let reply = handle.broker_heartbeat(heartbeat(1, epoch, offset)).await.unwrap();
        (!reply.is_fenced).then_some(())
    })
    .await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_from_the_same_directory_keeps_the_image() {
    let mut cluster = Cluster::start(1, |o| o).await;
    let leader = cluster.wait_for_active().await;
    let handle = cluster.node(leader).handle();
    let node_image = || cluster.node(leader).image();
    for id in 1..=2 {
        register_and_unfence(&handle, node_image, id).await;
    }
    handle.create_topics(create(vec![CreatableTopic::new("before-snapshot", 2, 2)], false)).await.unwrap();
    handle
        .allocate_producer_ids(AllocateProducerIdsRequest {
            broker_id: NodeId::new(2),
            broker_epoch: node_image().brokers().get(NodeId::new(2)).unwrap().epoch,
        })
        .await
        .unwrap();
    let raft = cluster.node(leader).raft();
    raft.trigger_snapshot().await.unwrap();
    wait_for("the snapshot", async || raft.metrics().await.unwrap().snapshot_index.map(|_| ())).await;
    handle.create_topics(create(vec![CreatableTopic::new("after-snapshot", 1, 1)], false)).await.unwrap();
    let before = node_image();

    cluster.stop(leader).await;
    cluster.restart(leader).await;
    let restarted = cluster.node(leader);
    wait_for("the restarted node to rebuild its image", async || (restarted.image() == before).then_some(())).await;
    assert!(restarted.raft().metrics().await.unwrap().snapshot_index.is_some(), "restored from the snapshot");

    // It serves again, and the brokers' registrations survived.
    let leader = cluster.wait_for_active().await;
    let handle = cluster.node(leader).handle();
    let epoch = cluster.node(leader).image().brokers().get(NodeId::new(1)).unwrap().epoch;
    let offset = cluster.node(leader).image().position().offset;
    handle.broker_heartbeat(heartbeat(1, epoch, offset)).await.unwrap();
    let created = handle.create_topics(create(vec![CreatableTopic::new("after-restart", 1, 1)], false)).await.unwrap();
    assert!(created[0].result.is_ok(), "{created:?}");
    assert_eq!(cluster.node(leader).image().topics().len(), 3);
    cluster.shutdown().await;
}
