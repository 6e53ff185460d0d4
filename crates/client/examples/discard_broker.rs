//! A Kafka peer that acknowledges every produced batch and keeps nothing: the baseline the produce
//! benchmarks compare the real broker with (docs/BENCHMARKS.md). It is the client tests' in-memory peer
//! with produce discarded, so it speaks the same protocol versions as the broker.
//!
//! Usage: `cargo run --release -p flotilla-client --example discard_broker -- [TOPIC] [PARTITIONS]`
//! prints `127.0.0.1:PORT` on stdout, then serves until killed.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Write;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let topic = args.next().unwrap_or_else(|| "bench".to_string());
    let partitions = match args.next().map(|p| p.parse::<i32>()) {
        None => 6,
        Some(Ok(p)) if p > 0 => p,
        Some(_) => {
            eprintln!("PARTITIONS must be a positive number");
            std::process::exit(2);
        }
    };
    let cluster = support::TestCluster::start(1).await;
    cluster.add_topic(&topic, partitions, &vec![1; partitions as usize]);
    cluster.lock().discard_produce = true;
    println!("{}", cluster.bootstrap());
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
}
