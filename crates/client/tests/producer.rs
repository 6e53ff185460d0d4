//! The producer against the in-test broker: partitioning, batching and linger, compression, acks,
//! idempotent sequences, retries, leader changes and ordering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use flotilla_client::producer::partition_for_key;
use flotilla_client::{Acks, Client, ClientConfig, ClientError, Producer, ProducerConfig, ProducerRecord};
use flotilla_model::ErrorCode;
use flotilla_protocol::records::{Compression, RecordHeader};
use flotilla_protocol::ApiKey;
use support::{Fault, FaultAction, TestCluster};

async fn client(cluster: &TestCluster) -> Client {
    let config = ClientConfig { retry_backoff: Duration::from_millis(5), ..ClientConfig::new([cluster.bootstrap()]) };
    Client::connect(config).await.unwrap()
}

fn values(cluster: &TestCluster, topic: &str, partition: i32) -> Vec<Bytes> {
    cluster.records(topic, partition).into_iter().map(|r| r.value.unwrap()).collect()
}

/// A config that only sends on flush (or when a batch fills).
fn lingering() -> ProducerConfig {
    ProducerConfig { linger: Duration::from_secs(3600), ..ProducerConfig::default() }
}

#[tokio::test]
async fn keyed_records_follow_murmur2_and_arrive_batched() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("orders", 4, &[]);
    let producer = Producer::new(client(&cluster).await, lingering()).await.unwrap();
    let mut reports = Vec::new();
    for i in 0..200 {
        let key = format!("key-{}", i % 20);
        let value = format!("value-{i}");
        let record = ProducerRecord::new("orders", value.as_bytes()).key(key.as_bytes());
        let report = producer.send(record).await.unwrap();
        reports.push((key, report));
    }
    producer.flush().await;
    for (key, report) in reports {
        let meta = report.await.unwrap();
        assert_eq!(meta.partition, partition_for_key(key.as_bytes(), 4), "{key}");
        assert!(meta.offset >= 0);
    }
    let mut total = 0;
    for p in 0..4 {
        let records = cluster.records("orders", p);
        for r in &records {
            assert_eq!(partition_for_key(r.key.as_deref().unwrap(), 4), p);
        }
        total += records.len();
        // One flush, one batch per partition.
        assert!(cluster.batch_headers("orders", p).len() <= 1);
    }
    assert_eq!(total, 200);
}

#[tokio::test]
async fn batches_close_at_batch_size() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    let config = ProducerConfig { batch_size: 1024, ..lingering() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let value = [7u8; 100];
    let mut last = None;
    for _ in 0..50 {
        last = Some(producer.send(ProducerRecord::new("t", &value)).await.unwrap());
    }
    // Full batches go without waiting for linger; only the last, partial one needs the flush.
    cluster.wait_until(|s| s.topics["t"].partitions[0].next_offset >= 40).await;
    producer.flush().await;
    assert_eq!(last.unwrap().await.unwrap().offset, 49);
    let headers = cluster.batch_headers("t", 0);
    assert!(headers.len() >= 5, "{} batches", headers.len());
    for h in &headers {
        assert!(h.total_size() <= 1024 + 200, "batch of {} bytes", h.total_size());
    }
    assert_eq!(headers.iter().map(|h| h.record_count()).sum::<i32>(), 50);
}

#[tokio::test]
async fn linger_sends_without_flush() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    let config = ProducerConfig { linger: Duration::from_millis(20), ..ProducerConfig::default() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let report = producer.send(ProducerRecord::new("t", b"hello")).await.unwrap();
    let meta = report.await.unwrap();
    assert_eq!((meta.partition, meta.offset), (0, 0));
}

#[tokio::test]
async fn every_codec_round_trips() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("z", 1, &[]);
    let client = client(&cluster).await;
    let headers = [RecordHeader::new("h", Some("v")), RecordHeader::new("n", None::<&str>)];
    for codec in Compression::ALL {
        let producer =
            Producer::new(client.clone(), ProducerConfig { compression: codec, ..lingering() }).await.unwrap();
        for i in 0..30 {
            let value = format!("{codec}-{i}-{}", "x".repeat(i * 10));
            let record =
                ProducerRecord::new("z", value.as_bytes()).key(b"k").headers(&headers).timestamp(1_000 + i as i64);
            producer.send(record).await.unwrap();
        }
        producer.close().await;
        let last = cluster.batch_headers("z", 0).pop().unwrap();
        assert_eq!(last.compression(), codec);
    }
    let records = cluster.records("z", 0);
    assert_eq!(records.len(), 30 * Compression::ALL.len());
    for (n, r) in records.iter().enumerate() {
        let i = n % 30;
        let codec = Compression::ALL[n / 30];
        assert_eq!(r.offset, n as i64);
        assert_eq!(r.value.as_deref().unwrap(), format!("{codec}-{i}-{}", "x".repeat(i * 10)).as_bytes());
        assert_eq!(r.key.as_deref(), Some(&b"k"[..]));
        assert_eq!(r.timestamp, 1_000 + i as i64);
        assert_eq!(r.headers, headers);
    }
}

#[tokio::test]
async fn idempotent_sequences_continue_across_batches() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 2, &[]);
    let config = ProducerConfig { batch_size: 512, ..lingering() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let identity = producer.identity().unwrap();
    for i in 0..60 {
        let value = format!("{i:0>40}");
        producer.send(ProducerRecord::new("t", value.as_bytes()).partition(i % 2)).await.unwrap();
    }
    producer.flush().await;
    for p in 0..2 {
        let headers = cluster.batch_headers("t", p);
        assert!(headers.len() > 2);
        let mut next = 0;
        for h in headers {
            assert_eq!((h.producer_id(), h.producer_epoch()), (identity.producer_id, identity.epoch));
            assert_eq!(h.base_sequence(), next);
            next = h.last_sequence() + 1;
        }
        assert_eq!(next, 30);
    }
}

#[tokio::test]
async fn retriable_errors_are_retried() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    cluster.fault(Fault::produce("t", 0, FaultAction::Error(ErrorCode::NotEnoughReplicas.code())));
    cluster.fault(Fault::produce("t", 0, FaultAction::Disconnect));
    cluster.fault(Fault::produce("t", 0, FaultAction::Error(ErrorCode::RequestTimedOut.code())));
    let producer = Producer::new(client(&cluster).await, ProducerConfig::default()).await.unwrap();
    let meta = producer.send(ProducerRecord::new("t", b"once")).await.unwrap().await.unwrap();
    assert_eq!(meta.offset, 0);
    assert_eq!(values(&cluster, "t", 0), [Bytes::from_static(b"once")]);
    assert_eq!(cluster.count(ApiKey::Produce), 4);
}

#[tokio::test]
async fn a_lost_answer_is_deduplicated_by_sequence() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    // The broker writes the batch and drops the connection before answering: the retry must not
    // duplicate it.
    cluster.fault(Fault::produce("t", 0, FaultAction::AppendThenDisconnect));
    let producer = Producer::new(client(&cluster).await, lingering()).await.unwrap();
    let a = producer.send(ProducerRecord::new("t", b"a")).await.unwrap();
    let b = producer.send(ProducerRecord::new("t", b"b")).await.unwrap();
    producer.flush().await;
    assert_eq!(a.await.unwrap().offset, 0);
    assert_eq!(b.await.unwrap().offset, 1);
    assert_eq!(values(&cluster, "t", 0), [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
}

#[tokio::test]
async fn retries_keep_order_with_requests_in_flight() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    // Batch 3 fails once; batches 4.. are already in flight and are refused as out of order by the broker.
    let config = ProducerConfig { batch_size: 256, linger: Duration::ZERO, ..ProducerConfig::default() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let mut reports = Vec::new();
    for i in 0..200 {
        if i == 60 {
            cluster.fault(Fault::produce("t", 0, FaultAction::Error(ErrorCode::NotEnoughReplicas.code())));
        }
        let value = format!("{i:0>30}");
        reports.push(producer.send(ProducerRecord::new("t", value.as_bytes())).await.unwrap());
    }
    producer.flush().await;
    let stored = values(&cluster, "t", 0);
    let expected: Vec<Bytes> = (0..200).map(|i| Bytes::from(format!("{i:0>30}"))).collect();
    assert_eq!(stored, expected);
    for (i, r) in reports.into_iter().enumerate() {
        assert_eq!(r.await.unwrap().offset, i as i64);
    }
}

#[tokio::test]
async fn metadata_is_refreshed_after_not_leader_or_follower() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("moving", 1, &[1]);
    let producer = Producer::new(client(&cluster).await, ProducerConfig::default()).await.unwrap();
    producer.send(ProducerRecord::new("moving", b"before")).await.unwrap().await.unwrap();
    let metadata_requests = cluster.count(ApiKey::Metadata);
    {
        let mut state = cluster.lock();
        let p = state.partition("moving", 0);
        p.leader = 2;
        p.leader_epoch += 1;
    }
    let meta = producer.send(ProducerRecord::new("moving", b"after")).await.unwrap().await.unwrap();
    assert_eq!(meta.offset, 1);
    assert!(cluster.count(ApiKey::Metadata) > metadata_requests);
    let produced_on_2 = cluster.lock().requests.iter().filter(|r| r.api == ApiKey::Produce && r.node == 2).count();
    assert_eq!(produced_on_2, 1);
    assert_eq!(values(&cluster, "moving", 0), [Bytes::from_static(b"before"), Bytes::from_static(b"after")]);
}

#[tokio::test]
async fn acks_zero_gets_no_offsets() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    let config = ProducerConfig { acks: Acks::None, enable_idempotence: false, ..ProducerConfig::default() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let meta = producer.send(ProducerRecord::new("t", b"fire")).await.unwrap().await.unwrap();
    assert_eq!(meta.offset, -1);
    cluster.wait_until(|s| s.topics["t"].partitions[0].next_offset == 1).await;
    assert_eq!(cluster.batch_headers("t", 0)[0].producer_id(), -1);
}

#[tokio::test]
async fn fatal_errors_reach_the_report() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    cluster.fault(Fault::produce("t", 0, FaultAction::Error(ErrorCode::MessageTooLarge.code())));
    let producer = Producer::new(client(&cluster).await, ProducerConfig::default()).await.unwrap();
    let error = producer.send(ProducerRecord::new("t", b"big")).await.unwrap().await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::MessageTooLarge));
    assert_eq!(error.to_string(), "Produce to t-0: MESSAGE_TOO_LARGE");
    // The producer carries on (with a new producer id, as the sequence broke).
    let meta = producer.send(ProducerRecord::new("t", b"ok")).await.unwrap().await.unwrap();
    assert_eq!(meta.offset, 0);
    assert_eq!(cluster.batch_headers("t", 0)[0].base_sequence(), 0);
}

#[tokio::test]
async fn keyless_records_stick_to_a_partition_per_batch() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 8, &[]);
    let producer = Producer::new(client(&cluster).await, lingering()).await.unwrap();
    let mut partitions = Vec::new();
    for _ in 0..20 {
        let report = producer.send(ProducerRecord::new("t", b"no key")).await.unwrap();
        partitions.push(report.partition().1);
    }
    producer.flush().await;
    assert!(partitions.iter().all(|&p| p == partitions[0]), "{partitions:?}");
}

#[tokio::test]
async fn unknown_topics_and_auto_creation() {
    let cluster = TestCluster::start(1).await;
    let producer = Producer::new(client(&cluster).await, ProducerConfig::default()).await.unwrap();
    let error = producer.send(ProducerRecord::new("missing", b"x")).await.unwrap_err();
    assert!(matches!(error, ClientError::UnknownTopic { .. }), "{error}");

    cluster.lock().auto_create_partitions = Some(3);
    let meta = producer.send(ProducerRecord::new("created", b"x").key(b"k")).await.unwrap().await.unwrap();
    assert_eq!(meta.partition, partition_for_key(b"k", 3));
    let error = producer.send(ProducerRecord::new("created", b"x").partition(5)).await.unwrap_err();
    assert!(matches!(error, ClientError::UnknownPartition { partition: 5, count: 3, .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_keep_per_key_order() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("t", 4, &[1, 2, 1, 2]);
    let config = ProducerConfig { batch_size: 2048, linger: Duration::from_millis(1), ..ProducerConfig::default() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    cluster.fault(Fault::produce("t", 1, FaultAction::Error(ErrorCode::NotEnoughReplicas.code())));
    cluster.fault(Fault::produce("t", 2, FaultAction::Disconnect));
    let mut tasks = Vec::new();
    for task in 0..4 {
        let producer = producer.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("task-{task}");
            let mut last = None;
            for i in 0..2_000 {
                let value = format!("{task}:{i}");
                last =
                    Some(producer.send(ProducerRecord::new("t", value.as_bytes()).key(key.as_bytes())).await.unwrap());
            }
            last.unwrap().await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    producer.flush().await;
    let mut seen = 0;
    for p in 0..4 {
        let mut next = std::collections::HashMap::new();
        for r in cluster.records("t", p) {
            let value = String::from_utf8(r.value.unwrap().to_vec()).unwrap();
            let (task, i) = value.split_once(':').unwrap();
            let i: usize = i.parse().unwrap();
            let expected = next.entry(task.to_owned()).or_insert(0);
            assert_eq!(i, *expected, "task {task} out of order in partition {p}");
            *expected += 1;
            seen += 1;
        }
    }
    assert_eq!(seen, 8_000);
}

#[tokio::test]
async fn a_full_buffer_sends_lingering_batches_and_waits() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    let config = ProducerConfig { buffer_memory: 2_000, batch_size: 16 * 1024, ..lingering() };
    let producer = Producer::new(client(&cluster).await, config).await.unwrap();
    let value = [1u8; 100];
    let mut last = None;
    for _ in 0..100 {
        last = Some(producer.send(ProducerRecord::new("t", &value)).await.unwrap());
    }
    // Without a flush: the last records are still lingering, but everything before them was pushed out
    // by the full buffer.
    cluster.wait_until(|s| s.topics["t"].partitions[0].next_offset >= 80).await;
    producer.flush().await;
    assert_eq!(last.unwrap().await.unwrap().offset, 99);
}
