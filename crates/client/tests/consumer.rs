//! The consumer against the in-test broker: reading across batches, start offsets, OFFSET_OUT_OF_RANGE,
//! leader changes, compressed batches and transactions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use flotilla_client::{
    AutoOffsetReset, Client, ClientConfig, ClientError, Consumer, ConsumerConfig, ConsumerRecord, IsolationLevel,
    StartOffset,
};
use flotilla_model::ErrorCode;
use flotilla_protocol::records::{end_transaction_batch, Compression, RecordBatchBuilder};
use flotilla_protocol::ApiKey;
use support::{Fault, FaultAction, TestCluster};

async fn client(cluster: &TestCluster) -> Client {
    let config = ClientConfig { retry_backoff: Duration::from_millis(5), ..ClientConfig::new([cluster.bootstrap()]) };
    Client::connect(config).await.unwrap()
}

fn config() -> ConsumerConfig {
    ConsumerConfig { max_wait: Duration::from_millis(10), ..ConsumerConfig::default() }
}

/// Appends `count` records (values "v{n}", timestamps 1000 + n) as batches of `per_batch`.
fn fill(
    cluster: &TestCluster,
    topic: &str,
    partition: i32,
    start: usize,
    count: usize,
    per_batch: usize,
    codec: Compression,
) {
    let mut n = start;
    while n < start + count {
        let mut b = RecordBatchBuilder::new(codec);
        for _ in 0..per_batch.min(start + count - n) {
            b.append(1000 + n as i64, Some(format!("k{n}").as_bytes()), Some(format!("v{n}").as_bytes()), &[]).unwrap();
            n += 1;
        }
        cluster.append(topic, partition, b.build().unwrap());
    }
}

/// Polls until `count` records arrived (or fails after 200 polls).
async fn consume(consumer: &mut Consumer, count: usize) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    for _ in 0..200 {
        let fetched = consumer.poll().await.unwrap();
        for r in fetched.records() {
            out.push(r.unwrap());
        }
        if out.len() >= count {
            return out;
        }
    }
    panic!("only {} of {count} records arrived", out.len());
}

fn values(records: &[ConsumerRecord]) -> Vec<String> {
    records.iter().map(|r| String::from_utf8(r.value.as_ref().unwrap().to_vec()).unwrap()).collect()
}

fn expected(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("v{n}")).collect()
}

#[tokio::test]
async fn reads_across_batches_from_the_beginning() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    fill(&cluster, "t", 0, 0, 100, 7, Compression::None);
    let mut consumer = Consumer::new(client(&cluster).await, config());
    consumer.assign(&[("t".into(), 0, StartOffset::Earliest)]).await.unwrap();
    let records = consume(&mut consumer, 100).await;
    assert_eq!(values(&records), expected(0..100));
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset, i as i64);
        assert_eq!(r.timestamp, 1000 + i as i64);
        assert_eq!(r.key.as_deref(), Some(format!("k{i}").as_bytes()));
        assert_eq!((&*r.topic, r.partition), ("t", 0));
    }
    assert_eq!(consumer.position("t", 0), Some(100));
    assert_eq!(consumer.high_watermark("t", 0), Some(100));
    // Caught up: the next poll is empty.
    assert!(consumer.poll().await.unwrap().is_empty());
}

#[tokio::test]
async fn small_partition_fetches_take_several_rounds() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    fill(&cluster, "t", 0, 0, 60, 10, Compression::None);
    let config = ConsumerConfig { partition_max_bytes: 1, ..config() };
    let mut consumer = Consumer::new(client(&cluster).await, config);
    consumer.assign(&[("t".into(), 0, StartOffset::Earliest)]).await.unwrap();
    let first = consumer.poll().await.unwrap();
    // At least one batch always comes back.
    assert_eq!(first.records().count(), 10);
    let rest = consume(&mut consumer, 50).await;
    assert_eq!(values(&rest), expected(10..60));
    assert!(cluster.count(ApiKey::Fetch) >= 6);
}

#[tokio::test]
async fn start_offsets_inside_compressed_batches_and_by_timestamp() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    fill(&cluster, "t", 0, 0, 40, 10, Compression::Zstd);
    let client = client(&cluster).await;

    let mut consumer = Consumer::new(client.clone(), config());
    consumer.assign(&[("t".into(), 0, StartOffset::Offset(15))]).await.unwrap();
    assert_eq!(values(&consume(&mut consumer, 25).await), expected(15..40));

    let mut consumer = Consumer::new(client.clone(), config());
    consumer.assign(&[("t".into(), 0, StartOffset::Timestamp(1033))]).await.unwrap();
    assert_eq!(consumer.position("t", 0), Some(33));
    assert_eq!(values(&consume(&mut consumer, 7).await), expected(33..40));

    // A timestamp after every record: the log end.
    let mut consumer = Consumer::new(client.clone(), config());
    consumer.assign(&[("t".into(), 0, StartOffset::Timestamp(99_999))]).await.unwrap();
    assert_eq!(consumer.position("t", 0), Some(40));

    // Latest: only what comes after.
    let mut consumer = Consumer::new(client, config());
    consumer.assign(&[("t".into(), 0, StartOffset::Latest)]).await.unwrap();
    assert!(consumer.poll().await.unwrap().is_empty());
    fill(&cluster, "t", 0, 40, 5, 5, Compression::Lz4);
    assert_eq!(values(&consume(&mut consumer, 5).await), expected(40..45));
}

#[tokio::test]
async fn offset_out_of_range_resets_as_configured() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    fill(&cluster, "t", 0, 0, 100, 10, Compression::None);
    let client = client(&cluster).await;

    // Retention removed what the consumer was about to read: earliest moves it to the new log start.
    let config_earliest = ConsumerConfig { auto_offset_reset: AutoOffsetReset::Earliest, ..config() };
    let mut consumer = Consumer::new(client.clone(), config_earliest);
    consumer.assign(&[("t".into(), 0, StartOffset::Offset(5))]).await.unwrap();
    cluster.truncate_before("t", 0, 50);
    let records = consume(&mut consumer, 50).await;
    assert_eq!(values(&records), expected(50..100));

    // Beyond the end with latest: to the log end.
    let config_latest = ConsumerConfig { auto_offset_reset: AutoOffsetReset::Latest, ..config() };
    let mut consumer = Consumer::new(client.clone(), config_latest);
    consumer.assign(&[("t".into(), 0, StartOffset::Offset(1_000))]).await.unwrap();
    assert!(consumer.poll().await.unwrap().is_empty());
    assert!(consumer.poll().await.unwrap().is_empty());
    assert_eq!(consumer.position("t", 0), Some(100));

    // none: an error naming the partition and offset.
    let config_none = ConsumerConfig { auto_offset_reset: AutoOffsetReset::None, ..config() };
    let mut consumer = Consumer::new(client, config_none);
    consumer.assign(&[("t".into(), 0, StartOffset::Offset(3))]).await.unwrap();
    let error = consumer.poll().await.unwrap_err();
    assert!(matches!(error, ClientError::OffsetOutOfRange { offset: 3, .. }));
    assert_eq!(error.to_string(), "Fetch position offset 3 is out of range for partition t-0");
}

#[tokio::test]
async fn follows_the_leader() {
    let cluster = TestCluster::start(2).await;
    cluster.add_topic("t", 2, &[1, 1]);
    fill(&cluster, "t", 0, 0, 10, 5, Compression::None);
    fill(&cluster, "t", 1, 100, 10, 5, Compression::None);
    let mut consumer = Consumer::new(client(&cluster).await, config());
    consumer.assign_topic("t", StartOffset::Earliest).await.unwrap();
    assert_eq!(consume(&mut consumer, 20).await.len(), 20);

    {
        let mut state = cluster.lock();
        let p = state.partition("t", 0);
        p.leader = 2;
        p.leader_epoch += 1;
    }
    cluster.fault(Fault::fetch("t", 1, FaultAction::Error(ErrorCode::FencedLeaderEpoch.code())));
    fill(&cluster, "t", 0, 10, 10, 5, Compression::None);
    fill(&cluster, "t", 1, 110, 10, 5, Compression::None);
    let mut records = consume(&mut consumer, 20).await;
    records.sort_by_key(|r| (r.partition, r.offset));
    let mut want = expected(10..20);
    want.extend(expected(110..120));
    assert_eq!(values(&records), want);
    let fetched_on_2 = cluster.lock().requests.iter().filter(|r| r.api == ApiKey::Fetch && r.node == 2).count();
    assert!(fetched_on_2 >= 1);
}

#[tokio::test]
async fn control_batches_and_aborted_transactions_are_skipped() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    fill(&cluster, "t", 0, 0, 3, 3, Compression::None);
    // An aborted transaction of producer 7 at offsets 3-4, its marker at 5, then a committed one of
    // producer 8 at 6, its marker at 7, then plain records.
    let txn = |producer: i64, values: &[&str]| {
        let mut b = RecordBatchBuilder::default().producer(producer, 0, 0).transactional(true);
        for v in values {
            b.append(2000, None, Some(v.as_bytes()), &[]).unwrap();
        }
        b.build().unwrap()
    };
    cluster.append("t", 0, txn(7, &["aborted-a", "aborted-b"]));
    cluster.append("t", 0, end_transaction_batch(7, 0, false, 0, 2000).unwrap());
    cluster.append("t", 0, txn(8, &["committed"]));
    cluster.append("t", 0, end_transaction_batch(8, 0, true, 0, 2000).unwrap());
    fill(&cluster, "t", 0, 3, 2, 2, Compression::None);
    cluster.lock().partition("t", 0).aborted.push((7, 3));
    let client = client(&cluster).await;

    let committed = ConsumerConfig { isolation_level: IsolationLevel::ReadCommitted, ..config() };
    let mut consumer = Consumer::new(client.clone(), committed);
    consumer.assign(&[("t".into(), 0, StartOffset::Earliest)]).await.unwrap();
    let records = consume(&mut consumer, 6).await;
    assert_eq!(values(&records), ["v0", "v1", "v2", "committed", "v3", "v4"]);
    assert_eq!(consumer.position("t", 0), Some(10));

    let mut consumer = Consumer::new(client, config());
    consumer.assign(&[("t".into(), 0, StartOffset::Earliest)]).await.unwrap();
    let records = consume(&mut consumer, 8).await;
    assert_eq!(values(&records), ["v0", "v1", "v2", "aborted-a", "aborted-b", "committed", "v3", "v4"]);
    let value: Bytes = records[3].value.clone().unwrap();
    assert_eq!(&value[..], b"aborted-a");
}

#[tokio::test]
async fn unknown_topics_and_partitions_are_refused() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("t", 1, &[]);
    let mut consumer = Consumer::new(client(&cluster).await, config());
    let error = consumer.assign(&[("nope".into(), 0, StartOffset::Earliest)]).await.unwrap_err();
    assert!(matches!(error, ClientError::UnknownTopic { .. }));
    let error = consumer.assign(&[("t".into(), 3, StartOffset::Earliest)]).await.unwrap_err();
    assert!(matches!(error, ClientError::UnknownPartition { partition: 3, count: 1, .. }));
}
