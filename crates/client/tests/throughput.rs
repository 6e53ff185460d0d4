//! Producer throughput against the in-test broker in discard mode (it counts records and answers at
//! once), as `producer-perf-test` drives it: one task sending keyless 100-byte records as fast as it can.
//! Ignored by default; run it in release:
//!
//! `cargo test --release -p flotilla-client --test throughput -- --ignored --nocapture`
//! (`PERF_RECORDS=n`, `PERF_COMPRESSION=gzip|snappy|lz4|zstd`)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Instant;

use flotilla_client::{Client, ClientConfig, Producer, ProducerConfig, ProducerRecord};
use flotilla_protocol::records::Compression;
use support::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement; run in release"]
async fn producer_perf() {
    let records: u64 = std::env::var("PERF_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000_000);
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("perf", 6, &[]);
    cluster.lock().discard_produce = true;
    let client = Client::connect(ClientConfig::new([cluster.bootstrap()])).await.unwrap();
    let compression = match std::env::var("PERF_COMPRESSION").as_deref() {
        Ok("gzip") => Compression::Gzip,
        Ok("snappy") => Compression::Snappy,
        Ok("lz4") => Compression::Lz4,
        Ok("zstd") => Compression::Zstd,
        _ => Compression::None,
    };
    let config = ProducerConfig { compression, ..ProducerConfig::default() };
    let producer = Producer::new(client, config).await.unwrap();
    let value = [b'x'; 100];
    let started = Instant::now();
    let mut last = None;
    for _ in 0..records {
        last = Some(producer.send(ProducerRecord::new("perf", &value)).await.unwrap());
    }
    producer.flush().await;
    let elapsed = started.elapsed();
    last.unwrap().await.unwrap();
    assert_eq!(cluster.lock().discarded_records, records);
    let rate = records as f64 / elapsed.as_secs_f64();
    println!(
        "{records} records sent, {rate:.0} records/sec ({:.2} MB/sec), {} produce requests",
        rate * 100.0 / (1024.0 * 1024.0),
        cluster.count(flotilla_protocol::ApiKey::Produce)
    );
}
