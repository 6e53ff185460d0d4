//! `flotilla server` as a user runs it: the real binary, a server.properties file, the tools against it,
//! SIGTERM, and a restart on the same data directory.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_flotilla");

/// A port that was free a moment ago (the config file needs numbers; the kernel picks them).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn write_config(dir: &Path, broker_port: u16, controller_port: u16) -> std::path::PathBuf {
    let path = dir.join("server.properties");
    let text = format!(
        "node.id=1\nprocess.roles=broker,controller\n\
         listeners=PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}\n\
         advertised.listeners=PLAINTEXT://127.0.0.1:{broker_port}\n\
         controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@127.0.0.1:{controller_port}\n\
         listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
         log.dirs={}\nnum.partitions=2\noffsets.topic.replication.factor=1\n",
        dir.join("data").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn start(config: &Path) -> Child {
    Command::new(BIN)
        .args(["server", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn tool(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Waits until the broker answers ApiVersions, or fails after a deadline.
fn wait_until_serving(bootstrap: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if tool(&["broker-api-versions", "--bootstrap-server", bootstrap], None).status.success() {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not start serving");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "SIGTERM should end the server cleanly: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "the server did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_user_creates_produces_consumes_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), free_port(), free_port());
    let text = std::fs::read_to_string(&config).unwrap();
    let bootstrap_port = text.split("PLAINTEXT://127.0.0.1:").nth(1).unwrap().split(',').next().unwrap();
    let bootstrap = format!("127.0.0.1:{bootstrap_port}");

    let server = start(&config);
    wait_until_serving(&bootstrap);
    let created =
        tool(&["topics", "--bootstrap-server", &bootstrap, "--create", "--topic", "orders", "--partitions", "3"], None);
    assert_eq!(String::from_utf8_lossy(&created.stdout).trim(), "Created topic orders.");
    let produced = tool(
        &["console-producer", "--bootstrap-server", &bootstrap, "--topic", "orders", "--property", "parse.key=true"],
        Some("alice\t1\nbob\t2\nalice\t3\n"),
    );
    assert!(produced.status.success(), "{}", String::from_utf8_lossy(&produced.stderr));
    stop(server);
    assert!(dir.path().join("data/.kafka_cleanshutdown").exists(), "clean shutdown marker");

    let server = start(&config);
    wait_until_serving(&bootstrap);
    let consumed = tool(
        &[
            "console-consumer",
            "--bootstrap-server",
            &bootstrap,
            "--topic",
            "orders",
            "--from-beginning",
            "--max-messages",
            "3",
            "--property",
            "print.key=true",
            "--property",
            "key.separator=:",
        ],
        None,
    );
    let mut lines: Vec<String> = String::from_utf8_lossy(&consumed.stdout).lines().map(str::to_owned).collect();
    // Same key, same partition, in order: alice's records keep their order.
    let alice: Vec<&String> = lines.iter().filter(|l| l.starts_with("alice")).collect();
    assert_eq!(alice, ["alice:1", "alice:3"]);
    lines.sort();
    assert_eq!(lines, ["alice:1", "alice:3", "bob:2"]);
    assert!(String::from_utf8_lossy(&consumed.stderr).contains("Processed a total of 3 messages"));
    stop(server);
}

#[test]
fn an_invalid_config_value_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.properties");
    std::fs::write(&path, "num.partitions=many\n").unwrap();
    let output = Command::new(BIN).args(["server", "--config"]).arg(&path).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("num.partitions"), "{stderr}");
}
