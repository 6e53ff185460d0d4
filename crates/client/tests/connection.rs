//! Connections against the in-test broker: version negotiation, the ApiVersions fallback, pipelining, the
//! in-flight bound, and errors when nothing listens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use flotilla_client::{BrokerConnection, Client, ClientConfig, ClientError, ConnectionConfig, MetadataTopics};
use flotilla_protocol::messages::metadata_request::MetadataRequestTopic;
use flotilla_protocol::messages::MetadataRequest;
use flotilla_protocol::ApiKey;
use support::TestCluster;

fn metadata_for(topic: &str) -> MetadataRequest {
    MetadataRequest {
        topics: Some(vec![MetadataRequestTopic { name: Some(topic.into()), ..Default::default() }]),
        allow_auto_topic_creation: false,
        ..Default::default()
    }
}

#[tokio::test]
async fn negotiates_the_highest_common_version() {
    let cluster = TestCluster::start(1).await;
    cluster.lock().max_versions.insert(ApiKey::Metadata, 9);
    cluster.lock().max_versions.insert(ApiKey::Produce, 8);
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &ConnectionConfig::default()).await.unwrap();
    assert_eq!(conn.api_versions().handshake_version(), 4);
    assert_eq!(conn.version_for(ApiKey::Metadata).unwrap(), 9);
    assert_eq!(conn.version_for(ApiKey::Produce).unwrap(), 8);
    assert_eq!(conn.version_for(ApiKey::Fetch).unwrap(), ApiKey::Fetch.versions().max);
    conn.send(&metadata_for("t")).await.unwrap();
    assert_eq!(cluster.versions_used(ApiKey::ApiVersions), [4]);
    assert_eq!(cluster.versions_used(ApiKey::Metadata), [9]);
}

#[tokio::test]
async fn api_versions_falls_back_to_v0_for_an_old_broker() {
    let cluster = TestCluster::start(1).await;
    cluster.lock().api_versions_max = 0;
    cluster.lock().api_versions_advertise_on_error = false;
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &ConnectionConfig::default()).await.unwrap();
    assert_eq!(cluster.versions_used(ApiKey::ApiVersions), [4, 0]);
    assert_eq!(conn.api_versions().handshake_version(), 0);
    let response = conn.send(&metadata_for("t")).await.unwrap();
    assert_eq!(response.topics.len(), 1);
}

#[tokio::test]
async fn api_versions_retries_with_the_advertised_version() {
    let cluster = TestCluster::start(1).await;
    cluster.lock().api_versions_max = 2;
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &ConnectionConfig::default()).await.unwrap();
    assert_eq!(cluster.versions_used(ApiKey::ApiVersions), [4, 2]);
    assert_eq!(conn.version_for(ApiKey::ApiVersions).unwrap(), 2);
}

#[tokio::test]
async fn requests_are_pipelined_and_matched_by_correlation_id() {
    let cluster = TestCluster::start(1).await;
    for i in 0..8 {
        cluster.add_topic(&format!("topic-{i}"), i + 1, &[]);
    }
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &ConnectionConfig::default()).await.unwrap();
    // The broker answers nothing until it holds 8 requests: they can only complete if all 8 were in flight
    // on the one connection at once.
    cluster.lock().hold_requests = 8;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move { (i, conn.send(&metadata_for(&format!("topic-{i}"))).await) }));
    }
    for task in tasks {
        let (i, response) = task.await.unwrap();
        let response = response.unwrap();
        let topic = &response.topics[0];
        assert_eq!(topic.name.as_deref(), Some(format!("topic-{i}").as_str()));
        assert_eq!(topic.partitions.len(), i + 1);
    }
    assert!(cluster.lock().max_unanswered >= 8);
    let ids: Vec<i32> = cluster.lock().requests.iter().map(|r| r.correlation_id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "correlation ids are unique");
}

#[tokio::test]
async fn in_flight_requests_are_bounded() {
    let cluster = TestCluster::start(1).await;
    let config =
        ConnectionConfig { max_in_flight: 2, request_timeout: Duration::from_millis(300), ..Default::default() };
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &config).await.unwrap();
    cluster.lock().hold_requests = 3;
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let conn = conn.clone();
        tasks.push(tokio::spawn(async move { conn.send(&metadata_for("t")).await }));
    }
    for task in tasks {
        assert!(matches!(
            task.await.unwrap(),
            Err(ClientError::RequestTimeout { .. } | ClientError::ConnectionClosed { .. })
        ));
    }
    // Only two requests ever reached the broker; the third waited for a permit.
    assert_eq!(cluster.count(ApiKey::Metadata), 2);
    assert!(conn.is_closed(), "a timed-out request closes its connection");
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("big", 200, &[]);
    let config = ConnectionConfig { max_response_bytes: 1024, ..Default::default() };
    let conn = BrokerConnection::connect(1, &cluster.bootstrap(), &config).await.unwrap();
    let error = conn.send(&metadata_for("big")).await.unwrap_err();
    assert!(error.to_string().contains("exceeds the limit of 1024 bytes"), "{error}");
}

#[tokio::test]
async fn nothing_listening_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config =
        ClientConfig { connect_timeout: Duration::from_secs(2), ..ClientConfig::new([format!("127.0.0.1:{port}")]) };
    let error = Client::connect(config).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Connection to node -1 (127.0.0.1/127.0.0.1:{port}) could not be established. Node may not be available."
        )
    );

    let config = ClientConfig::new([format!("127.0.0.1:{port}"), format!("localhost:{port}")]);
    let error = Client::connect(config).await.unwrap_err();
    assert!(matches!(&error, ClientError::NoBrokerReachable { attempts } if attempts.len() == 2), "{error}");
}

#[tokio::test]
async fn bootstrap_tries_each_server() {
    let cluster = TestCluster::start(2).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = listener.local_addr().unwrap().to_string();
    drop(listener);
    let client = Client::connect(ClientConfig::new([dead, cluster.address(2)])).await.unwrap();
    let metadata = client.metadata();
    assert_eq!(metadata.brokers.len(), 2);
    assert_eq!(metadata.cluster_id.as_deref(), Some("test-cluster"));
    assert_eq!(metadata.controller_id.get(), 1);
}

#[tokio::test]
async fn topic_metadata_and_leaders() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("orders", 3, &[1, 2, 1]);
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    let topic = client.topic("orders").await.unwrap();
    assert_eq!(topic.partition_count(), 3);
    assert_ne!(topic.topic_id, flotilla_model::TopicId::ZERO);
    assert_eq!(client.leader_for("orders", 1).await.unwrap().get(), 2);
    let missing = client.topic("nope").await.unwrap_err();
    assert_eq!(missing.to_string(), "Topic nope not present in metadata");
    let bad_partition = client.leader_for("orders", 7).await.unwrap_err();
    assert!(matches!(bad_partition, ClientError::UnknownPartition { count: 3, .. }));
    let all = client.refresh_metadata(MetadataTopics::All).await.unwrap();
    assert!(all.topic("orders").is_some());
    // Connections are reused per broker.
    let a = client.connection(flotilla_model::NodeId::new(2)).await.unwrap();
    let b = client.connection(flotilla_model::NodeId::new(2)).await.unwrap();
    assert_eq!(a.addr(), b.addr());
    assert!(cluster.lock().connections <= 3, "bootstrap, one broker for metadata, node 2");
}
