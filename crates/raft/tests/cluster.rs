//! Cluster tests: real RocksDB directories in temporary directories, real gRPC on 127.0.0.1 with
//! ports chosen by the OS, no mocks. Every wait polls a condition with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use flotilla_raft::Error;
use flotilla_raft::NodeId;
use flotilla_raft::QuorumStatus;
use flotilla_raft::RaftConfig;
use flotilla_raft::RaftNode;
use flotilla_raft::RaftNodeOptions;
use flotilla_raft::Role;
use flotilla_raft::SnapshotRestoreError;
use flotilla_raft::StateMachine;
use tempfile::TempDir;
use tokio::net::TcpListener;

/// Upper bound of every wait in these tests.
const DEADLINE: Duration = Duration::from_secs(30);

/// A state machine that keeps every command it applied, in order. Its response to a command is the
/// list's new length, big-endian.
#[derive(Debug, Default)]
struct ListMachine {
    applied: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl StateMachine for ListMachine {
    fn apply(&mut self, _index: u64, command: &[u8]) -> Vec<u8> {
        let mut applied = self.applied.lock().unwrap();
        applied.push(command.to_vec());
        (applied.len() as u64).to_be_bytes().to_vec()
    }

    fn snapshot(&self) -> Vec<u8> {
        // Each command as a 4-byte big-endian length and its bytes.
        let applied = self.applied.lock().unwrap();
        let mut out = Vec::new();
        for command in applied.iter() {
            out.extend_from_slice(&(command.len() as u32).to_be_bytes());
            out.extend_from_slice(command);
        }
        out
    }

    fn restore(&mut self, mut snapshot: &[u8]) -> Result<(), SnapshotRestoreError> {
        let mut restored = Vec::new();
        while !snapshot.is_empty() {
            let (len, rest) =
                snapshot.split_first_chunk::<4>().ok_or_else(|| SnapshotRestoreError::new("truncated length"))?;
            let len = u32::from_be_bytes(*len) as usize;
            if rest.len() < len {
                return Err(SnapshotRestoreError::new("truncated command"));
            }
            restored.push(rest[..len].to_vec());
            snapshot = &rest[len..];
        }
        *self.applied.lock().unwrap() = restored;
        Ok(())
    }
}

/// Timings short enough for quick tests, long enough for a loaded two-core machine.
fn test_config() -> RaftConfig {
    RaftConfig {
        heartbeat_interval_ms: 100,
        election_timeout_min_ms: 500,
        election_timeout_max_ms: 1000,
        unreachable_backoff_ms: 200,
        ..RaftConfig::default()
    }
}

struct TestNode {
    node: RaftNode,
    applied: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl TestNode {
    fn applied(&self) -> Vec<Vec<u8>> {
        self.applied.lock().unwrap().clone()
    }
}

/// A set of voters on 127.0.0.1, each with its own directory.
struct Cluster {
    _root: TempDir,
    dirs: BTreeMap<NodeId, PathBuf>,
    voters: BTreeMap<NodeId, String>,
    nodes: BTreeMap<NodeId, Option<TestNode>>,
    config: RaftConfig,
}

impl Cluster {
    /// Starts `size` voters, ids 1..=size.
    async fn start(size: u64, config: RaftConfig) -> Cluster {
        let root = tempfile::tempdir().unwrap();
        let mut listeners = BTreeMap::new();
        let mut voters = BTreeMap::new();
        let mut dirs = BTreeMap::new();
        for id in 1..=size {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            voters.insert(id, listener.local_addr().unwrap().to_string());
            dirs.insert(id, root.path().join(format!("node-{id}/__cluster_metadata-0/raft")));
            listeners.insert(id, listener);
        }
        let mut cluster = Cluster { _root: root, dirs, voters, nodes: BTreeMap::new(), config };
        for (id, listener) in listeners {
            let node = cluster.start_node(id, listener).await;
            cluster.nodes.insert(id, Some(node));
        }
        cluster
    }

    async fn start_node(&self, id: NodeId, listener: TcpListener) -> TestNode {
        let machine = ListMachine::default();
        let applied = Arc::clone(&machine.applied);
        let options = RaftNodeOptions {
            node_id: id,
            voters: self.voters.clone(),
            dir: self.dirs[&id].clone(),
            config: self.config.clone(),
            extra_services: None,
        };
        let node = RaftNode::start(options, listener, machine).await.unwrap();
        TestNode { node, applied }
    }

    fn node(&self, id: NodeId) -> &TestNode {
        self.nodes[&id].as_ref().expect("node is running")
    }

    fn running(&self) -> impl Iterator<Item = &TestNode> {
        self.nodes.values().flatten()
    }

    async fn stop(&mut self, id: NodeId) {
        let node = self.nodes.get_mut(&id).unwrap().take().expect("node is running");
        node.node.shutdown().await.unwrap();
    }

    /// Restarts a stopped node from its directory, on its old address, with an empty state machine.
    async fn restart(&mut self, id: NodeId) {
        assert!(self.nodes[&id].is_none(), "node {id} is running");
        let listener = TcpListener::bind(&self.voters[&id]).await.unwrap();
        let node = self.start_node(id, listener).await;
        self.nodes.insert(id, Some(node));
    }

    async fn shutdown(mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            if self.nodes[&id].is_some() {
                self.stop(id).await;
            }
        }
    }

    /// Waits until every running node agrees on one leader, which is among them, and returns it.
    async fn wait_for_leader(&self) -> NodeId {
        wait_for("a leader all running nodes agree on", async || {
            let leader = self.running().next()?.node.current_leader()?;
            let agreed = self.running().all(|n| n.node.current_leader() == Some(leader));
            let running = self.nodes.get(&leader)?.as_ref()?;
            (agreed && running.node.is_leader()).then_some(leader)
        })
        .await
    }

    /// Waits until every running node has applied exactly `expected`.
    async fn wait_for_applied(&self, expected: &[Vec<u8>]) {
        wait_for("every running node to apply the expected commands", async || {
            self.running().all(|n| n.applied() == expected).then_some(())
        })
        .await
    }

    async fn write_all(&self, leader: NodeId, commands: &[Vec<u8>]) {
        for command in commands {
            self.node(leader).node.client_write(command.clone()).await.unwrap();
        }
    }
}

/// Polls `condition` until it returns `Some`, failing the test after [`DEADLINE`].
async fn wait_for<T>(what: &str, mut condition: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {DEADLINE:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(node: &TestNode) -> QuorumStatus {
    node.node.metrics().await.unwrap()
}

fn commands(range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
    range.map(|i| format!("command-{i}").into_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_elect_a_leader_and_apply_the_same_writes() {
    let cluster = Cluster::start(3, test_config()).await;
    let leader = cluster.wait_for_leader().await;

    let expected = commands(0..20);
    let mut last_index = 0;
    for (i, command) in expected.iter().enumerate() {
        let written = cluster.node(leader).node.client_write(command.clone()).await.unwrap();
        assert_eq!(written.response, (i as u64 + 1).to_be_bytes().to_vec());
        assert!(written.log_index > last_index, "indexes grow");
        last_index = written.log_index;
    }
    cluster.wait_for_applied(&expected).await;

    // The leader sees every voter caught up to the last write, and all agree on the term.
    let leader_status = wait_for("the leader to see all voters match", async || {
        let s = status(cluster.node(leader)).await;
        let caught_up = s.voters.iter().all(|v| v.matched_index >= Some(last_index));
        (caught_up && s.last_applied_index == Some(last_index)).then_some(s)
    })
    .await;
    assert_eq!(leader_status.role, Role::Leader);
    assert_eq!(leader_status.leader_id, Some(leader));
    assert!(leader_status.commit_index >= Some(last_index));
    assert_eq!(leader_status.last_applied_index, Some(last_index));
    assert_eq!(
        leader_status.voters.iter().map(|v| (v.node_id, v.address.clone())).collect::<BTreeMap<_, _>>(),
        cluster.voters
    );
    // Every node reports the same leader and has applied up to the last write.
    wait_for("every node to report the leader and the last write applied", async || {
        for node in cluster.running() {
            let s = status(node).await;
            if s.leader_id != Some(leader) || s.last_applied_index != Some(last_index) {
                return None;
            }
        }
        Some(())
    })
    .await;
    assert!(cluster.node(leader).node.ensure_linearizable().await.unwrap() >= Some(last_index));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_refuses_writes_and_names_the_leader() {
    let cluster = Cluster::start(3, test_config()).await;
    let leader = cluster.wait_for_leader().await;
    let follower = cluster.running().find(|n| !n.node.is_leader()).unwrap();

    match follower.node.client_write(b"x".to_vec()).await {
        Err(Error::ForwardToLeader { leader_id, leader_addr }) => {
            assert_eq!(leader_id, Some(leader));
            assert_eq!(leader_addr.as_ref(), Some(&cluster.voters[&leader]));
        }
        other => panic!("expected ForwardToLeader, got {other:?}"),
    }
    match follower.node.ensure_linearizable().await {
        Err(Error::ForwardToLeader { leader_id, .. }) => assert_eq!(leader_id, Some(leader)),
        other => panic!("expected ForwardToLeader, got {other:?}"),
    }
    // Nothing was applied by the refused write.
    cluster.write_all(leader, &commands(0..1)).await;
    cluster.wait_for_applied(&commands(0..1)).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_takes_over_when_the_leader_stops() {
    let mut cluster = Cluster::start(3, test_config()).await;
    let old_leader = cluster.wait_for_leader().await;
    let old_term = status(cluster.node(old_leader)).await.term;
    let mut expected = commands(0..5);
    cluster.write_all(old_leader, &expected).await;

    cluster.stop(old_leader).await;
    let new_leader = cluster.wait_for_leader().await;
    assert_ne!(new_leader, old_leader);
    assert!(status(cluster.node(new_leader)).await.term > old_term);

    let more = commands(5..10);
    cluster.write_all(new_leader, &more).await;
    expected.extend(more);
    cluster.wait_for_applied(&expected).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_catches_up_by_log() {
    let mut cluster = Cluster::start(3, test_config()).await;
    let leader = cluster.wait_for_leader().await;
    let mut expected = commands(0..5);
    cluster.write_all(leader, &expected).await;
    cluster.wait_for_applied(&expected).await;

    let follower = cluster.running().find(|n| !n.node.is_leader()).unwrap().node.node_id();
    cluster.stop(follower).await;
    let more = commands(5..15);
    cluster.write_all(leader, &more).await;
    expected.extend(more);

    cluster.restart(follower).await;
    cluster.wait_for_applied(&expected).await;
    let s = status(cluster.node(follower)).await;
    assert_eq!(s.snapshot_index, None, "caught up from the log alone");
    assert_eq!(s.leader_id, Some(leader));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_behind_the_purged_log_catches_up_by_snapshot() {
    let config = RaftConfig {
        snapshot_after_entries: 10,
        entries_kept_after_snapshot: 0,
        snapshot_chunk_bytes: 64,
        ..test_config()
    };
    let mut cluster = Cluster::start(3, config).await;
    let leader = cluster.wait_for_leader().await;
    let mut expected = commands(0..3);
    cluster.write_all(leader, &expected).await;
    cluster.wait_for_applied(&expected).await;

    let follower = cluster.running().find(|n| !n.node.is_leader()).unwrap().node.node_id();
    let follower_last = status(cluster.node(follower)).await.last_log_index.unwrap();
    cluster.stop(follower).await;

    let more = commands(3..40);
    cluster.write_all(leader, &more).await;
    expected.extend(more);
    wait_for("the leader to purge past the stopped follower", async || {
        let s = status(cluster.node(leader)).await;
        (s.purged_index > Some(follower_last)).then_some(())
    })
    .await;

    cluster.restart(follower).await;
    cluster.wait_for_applied(&expected).await;
    let s = status(cluster.node(follower)).await;
    assert!(s.snapshot_index > Some(follower_last), "the follower installed a snapshot: {s:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cluster_restarts_from_its_directories() {
    let mut cluster = Cluster::start(3, test_config()).await;
    let leader = cluster.wait_for_leader().await;
    let mut expected = commands(0..5);
    cluster.write_all(leader, &expected).await;
    cluster.wait_for_applied(&expected).await;

    for id in 1..=3 {
        cluster.stop(id).await;
    }
    for id in 1..=3 {
        cluster.restart(id).await;
    }
    let leader = cluster.wait_for_leader().await;
    cluster.wait_for_applied(&expected).await;
    let more = commands(5..8);
    cluster.write_all(leader, &more).await;
    expected.extend(more);
    cluster.wait_for_applied(&expected).await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_voter_cluster_works_and_recovers_from_snapshot_and_log() {
    // Dev mode: one voter, default timings.
    let mut cluster = Cluster::start(1, RaftConfig::default()).await;
    let leader = cluster.wait_for_leader().await;
    assert_eq!(leader, 1);

    let mut expected = commands(0..5);
    cluster.write_all(leader, &expected).await;
    cluster.node(1).node.trigger_snapshot().await.unwrap();
    wait_for("the snapshot", async || status(cluster.node(1)).await.snapshot_index.map(|_| ())).await;
    let after_snapshot = commands(5..8);
    cluster.write_all(leader, &after_snapshot).await;
    expected.extend(after_snapshot);
    cluster.wait_for_applied(&expected).await;

    // Restart: the state comes back from the snapshot plus the committed log after it.
    cluster.stop(1).await;
    cluster.restart(1).await;
    cluster.wait_for_leader().await;
    cluster.wait_for_applied(&expected).await;
    let written = cluster.node(1).node.client_write(b"after".to_vec()).await.unwrap();
    assert_eq!(written.response, 9u64.to_be_bytes().to_vec());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_rejects_a_node_outside_the_voters() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = RaftNodeOptions {
        node_id: 7,
        voters: BTreeMap::from([(1, "127.0.0.1:1".to_owned())]),
        dir: dir.path().join("raft"),
        config: test_config(),
        extra_services: None,
    };
    let result = RaftNode::start(options, listener, ListMachine::default()).await;
    assert!(matches!(result, Err(Error::InvalidConfig(_))), "{result:?}");
}
