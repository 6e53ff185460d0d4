//! End-to-end tests of the `flotilla` binary on the paths that need no broker: an unreachable broker,
//! bad flags, refused options. Each runs the built binary as a user would and checks its exit code and
//! what it printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A port nothing listens on: connecting is refused at once.
const NO_BROKER: &str = "127.0.0.1:1";
const UNREACHABLE: &str = "could not be established. Node may not be available.";
const USAGE_HEADER: &str = "Option                                   Description";

fn flotilla(args: &[&str]) -> Output {
    flotilla_with_input(args, "")
}

fn flotilla_with_input(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn topics_without_a_broker_fails_in_kafkas_words() {
    let o = flotilla(&["topics", "--bootstrap-server", NO_BROKER, "--list"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("Error while executing topic command : Connection to node -1"), "{out}");
    assert!(out.contains(UNREACHABLE), "{out}");
    assert!(stderr(&o).contains("ERROR org.apache.kafka.common.KafkaException"), "{}", stderr(&o));
}

#[test]
fn every_tool_reports_an_unreachable_broker_and_fails() {
    let runs: [&[&str]; 6] = [
        &["console-consumer", "--bootstrap-server", NO_BROKER, "--topic", "t"],
        &["broker-api-versions", "--bootstrap-server", NO_BROKER],
        &["get-offsets", "--bootstrap-server", NO_BROKER, "--topic", "t"],
        &["consumer-perf-test", "--bootstrap-server", NO_BROKER, "--topic", "t", "--messages", "10"],
        &[
            "producer-perf-test",
            "--topic",
            "t",
            "--num-records",
            "10",
            "--record-size",
            "10",
            "--throughput",
            "-1",
            "--producer-props",
            "bootstrap.servers=127.0.0.1:1",
        ],
        &["console-producer", "--bootstrap-server", NO_BROKER, "--topic", "t"],
    ];
    for args in runs {
        let o = flotilla_with_input(args, "hello\n");
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains(UNREACHABLE), "{args:?}: {all}");
    }
}

#[test]
fn console_consumer_counts_at_exit_even_on_failure() {
    let o = flotilla(&["console-consumer", "--bootstrap-server", NO_BROKER, "--topic", "t", "--from-beginning"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).ends_with("Processed a total of 0 messages\n"), "{}", stderr(&o));
}

#[test]
fn get_offsets_errors_read_like_kafkas() {
    let o = flotilla(&["get-offsets", "--bootstrap-server", NO_BROKER, "--topic", "t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("Error occurred: Connection to node -1"), "{}", stderr(&o));
}

#[test]
fn a_bad_flag_prints_clap_message_and_kafka_usage() {
    let o = flotilla(&["topics", "--bootstrap-server", NO_BROKER, "--list", "--bogus"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    assert!(err.contains(USAGE_HEADER), "{err}");
    assert!(err.contains("--bootstrap-server <String: server to connect to>"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn a_bad_value_is_refused_before_connecting() {
    let o = flotilla(&["topics", "--bootstrap-server", NO_BROKER, "--create", "--topic", "t", "--partitions", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid value 'x' for '--partitions"), "{}", stderr(&o));
}

#[test]
fn zookeeper_is_refused_with_a_pointer_to_bootstrap_server() {
    let o = flotilla(&["topics", "--zookeeper", "127.0.0.1:2181", "--list"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("--zookeeper is not supported") && err.contains("--bootstrap-server"), "{err}");
}

#[test]
fn kafka_usage_errors() {
    let o = flotilla(&["topics", "--bootstrap-server", NO_BROKER]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("Command must include exactly one action: --list, --describe, --create, --alter or --delete\n"),
        "{err}"
    );
    assert!(err.contains(USAGE_HEADER), "{err}");

    let o = flotilla(&["console-producer", "--bootstrap-server", NO_BROKER]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("Missing required argument \"[topic]\""), "{}", stderr(&o));

    let o = flotilla(&["console-consumer", "--bootstrap-server", NO_BROKER, "--topic", "t", "--offset", "4"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("The partition is required when offset is specified."), "{}", stderr(&o));
}

#[test]
fn group_misuse_is_refused_without_connecting() {
    let o = flotilla(&[
        "console-consumer",
        "--bootstrap-server",
        NO_BROKER,
        "--topic",
        "t",
        "--group",
        "g",
        "--partition",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("drop --group"), "{err}");
    assert!(!err.contains(UNREACHABLE), "{err}");

    let o = flotilla(&["consumer-groups", "--bootstrap-server", NO_BROKER, "--list", "--describe"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("Command must include exactly one action: --list, --describe, --delete"), "{err}");
    let o = flotilla(&[
        "consumer-groups",
        "--bootstrap-server",
        NO_BROKER,
        "--reset-offsets",
        "--group",
        "g",
        "--all-topics",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("takes one of these options: [to-datetime]"), "{}", stderr(&o));
}

#[test]
fn one_dash_long_options_work_as_in_kafka() {
    // `--alter -partitions 4` from the tutorials: parsed, then refused only because no broker answers.
    let o = flotilla(&["topics", "--bootstrap-server", NO_BROKER, "--topic", "t", "--alter", "-partitions", "4"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains(UNREACHABLE), "{}", stdout(&o));
}

#[test]
fn help_and_no_arguments() {
    let o = flotilla(&["topics", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("--bootstrap-server"));
    let o = flotilla(&[]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("topics"), "{}", stderr(&o));
}
