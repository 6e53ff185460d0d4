//! The seed documents' workflows, end to end through the `flotilla` binary, against the client crate's
//! in-memory test broker (real TCP on 127.0.0.1 port 0, Kafka's protocol). They check Kafka's output
//! formats on real responses until `flotilla server` exists to run them against.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../client/tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use flotilla_protocol::ApiKey;
use support::TestCluster;

/// Runs the binary on a blocking thread, so the test broker keeps serving meanwhile.
async fn flotilla(args: Vec<String>, input: &str) -> Output {
    let input = input.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn args(line: &str, bootstrap: &str) -> Vec<String> {
    line.split_whitespace().map(|a| a.replace("BOOTSTRAP", bootstrap)).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn run_ok(line: &str, bootstrap: &str, input: &str) -> String {
    let o = flotilla(args(line, bootstrap), input).await;
    assert_eq!(o.status.code(), Some(0), "{line}\nstdout: {}\nstderr: {}", text(&o.stdout), text(&o.stderr));
    text(&o.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_lifecycle_as_the_tutorials_run_it() {
    let cluster = TestCluster::start(1).await;
    // The test broker advertises DescribeTopicPartitions but does not serve it: describe through Metadata.
    cluster.lock().max_versions.insert(ApiKey::DescribeTopicPartitions, -1);
    let b = cluster.bootstrap();

    let out = run_ok(
        "topics --create --bootstrap-server BOOTSTRAP --partitions 3 --replication-factor 1 --topic hello_kafka \
         --config retention.ms=172800000",
        &b,
        "",
    )
    .await;
    assert_eq!(
        out,
        "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. \
         To avoid issues it is best to use either, but not both.\nCreated topic hello_kafka.\n"
    );
    assert_eq!(run_ok("topics --bootstrap-server BOOTSTRAP --list", &b, "").await, "hello_kafka\n");

    let out = run_ok("topics --bootstrap-server BOOTSTRAP --topic hello_kafka --describe", &b, "").await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("Topic: hello_kafka\tTopicId: "), "{out}");
    assert!(lines[0].ends_with("\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=172800000"), "{out}");
    assert_eq!(
        lines[1],
        "\tTopic: hello_kafka\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A"
    );

    let o = flotilla(args("topics --bootstrap-server BOOTSTRAP --topic missing --describe", &b), "").await;
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "Error while executing topic command : Topic 'missing' does not exist as expected\n");

    let o = flotilla(args("topics --bootstrap-server BOOTSTRAP --create --topic hello_kafka", &b), "").await;
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("Topic 'hello_kafka' already exists."), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("org.apache.kafka.common.errors.TopicExistsException"), "{}", text(&o.stderr));
    run_ok("topics --bootstrap-server BOOTSTRAP --create --topic hello_kafka --if-not-exists", &b, "").await;

    assert_eq!(
        run_ok("topics --bootstrap-server BOOTSTRAP --topic hello_kafka --alter -partitions 4", &b, "").await,
        ""
    );
    let o =
        flotilla(args("topics --bootstrap-server BOOTSTRAP --topic hello_kafka --alter --partitions 1", &b), "").await;
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).starts_with("Error while executing topic command : "), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("InvalidPartitionsException"), "{}", text(&o.stderr));

    assert_eq!(run_ok("topics --bootstrap-server BOOTSTRAP --delete --topic hello_kafka", &b, "").await, "");
    assert_eq!(run_ok("topics --bootstrap-server BOOTSTRAP --list", &b, "").await, "\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_consume_and_offsets() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("multipart-topic", 3, &[]);
    let b = cluster.bootstrap();

    let keyed: String = (1..=20).map(|i| format!("{i}:test key message sent test00000000000000 {i}\n")).collect();
    let out = run_ok(
        "console-producer --bootstrap-server BOOTSTRAP --topic multipart-topic --property key.separator=: \
         --property parse.key=true",
        &b,
        &keyed,
    )
    .await;
    assert_eq!(out, "", "no prompt when standard input is not a terminal");

    let o = flotilla(
        args(
            "console-consumer --bootstrap-server BOOTSTRAP --topic multipart-topic --from-beginning --max-messages 20 \
             --property print.key=true --property key.separator=- --property print.partition=true",
            &b,
        ),
        "",
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let mut values: Vec<&str> = out.lines().collect();
    assert_eq!(values.len(), 20, "{out}");
    assert!(values.iter().all(|l| l.starts_with("Partition:")), "{out}");
    values.sort();
    assert!(
        out.contains("-7-test key message sent test00000000000000 7\n"),
        "key.separator goes between every column: {out}"
    );
    assert!(text(&o.stderr).ends_with("Processed a total of 20 messages\n"), "{}", text(&o.stderr));

    let out = run_ok("get-offsets --bootstrap-server BOOTSTRAP --topic multipart-topic", &b, "").await;
    let total: i64 = out.lines().map(|l| l.rsplit(':').next().unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(total, 20, "{out}");
    assert!(out.starts_with("multipart-topic:0:"), "{out}");
    let out =
        run_ok("get-offsets --bootstrap-server BOOTSTRAP --topic-partitions multipart-topic:1 --time -2", &b, "").await;
    assert_eq!(out, "multipart-topic:1:0\n");

    let o = flotilla(
        args("console-consumer --bootstrap-server BOOTSTRAP --topic multipart-topic --partition 0 --offset latest --timeout-ms 300", &b),
        "",
    )
    .await;
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "");
    let err = text(&o.stderr);
    assert!(
        err.contains("org.apache.kafka.common.errors.TimeoutException")
            && err.ends_with("Processed a total of 0 messages\n"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_versions_and_perf_tests() {
    let cluster = TestCluster::start(1).await;
    cluster.add_topic("perf", 2, &[]);
    let b = cluster.bootstrap();

    let out = run_ok("broker-api-versions --bootstrap-server BOOTSTRAP", &b, "").await;
    assert!(out.starts_with(&format!("{b} (id: 1 rack: null isFenced: false) -> (\n\tProduce(0): ")), "{out}");
    assert!(out.contains(",\n\tApiVersions(18): "), "{out}");
    assert!(out.ends_with("\n)\n"), "{out}");

    let out = run_ok(
        "producer-perf-test --num-records 200 --throughput -1 --record-size 100 --print-metric --topic perf \
         --producer-props bootstrap.servers=BOOTSTRAP acks=1",
        &b,
        "",
    )
    .await;
    let summary = out.lines().find(|l| l.starts_with("200 records sent, ")).unwrap_or_else(|| panic!("{out}"));
    let pattern = regex::Regex::new(
        r"^200 records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$",
    )
    .unwrap();
    assert!(pattern.is_match(summary), "{summary}");
    assert!(out.contains("\nMetric Name"), "{out}");

    let out =
        run_ok("consumer-perf-test --bootstrap-server BOOTSTRAP --topic perf --messages 200 --timeout 2000", &b, "")
            .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("start.time, end.time, data.consumed.in.MB"), "{out}");
    let fields: Vec<&str> = lines[1].split(", ").collect();
    assert_eq!(fields.len(), 10, "{out}");
    assert_eq!(fields[4], "200", "{out}");
    assert_eq!(fields[2], "0.0191", "200 records of 100 bytes: {out}");
}
