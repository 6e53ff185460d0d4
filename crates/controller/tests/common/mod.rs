//! Shared by the cluster tests: controller nodes on 127.0.0.1 with ports chosen by the OS, each with
//! its raft directory in a temporary directory and its `ControllerService` on a listener of its own.
//! Every wait polls a condition with a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use flotilla_controller::operations::{BrokerHeartbeatRequest, BrokerRegistrationRequest};
use flotilla_controller::{
    ControllerClient, ControllerClientExt, ControllerOptions, ControllerServer, QuorumController, RemoteController,
    RemoteControllerOptions,
};
use flotilla_metadata::{BrokerEpoch, Endpoint, MetadataImage, SecurityProtocol};
use flotilla_model::NodeId;
use flotilla_raft::RaftConfig;
use tempfile::TempDir;
use tokio::net::TcpListener;

/// Upper bound of every wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `condition` until it returns `Some`, failing the test after [`DEADLINE`].
pub async fn wait_for<T>(what: &str, mut condition: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {DEADLINE:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Raft timings short enough for quick tests, long enough for a loaded two-core machine.
pub fn raft_config() -> RaftConfig {
    RaftConfig {
        heartbeat_interval_ms: 100,
        election_timeout_min_ms: 500,
        election_timeout_max_ms: 1000,
        unreachable_backoff_ms: 200,
        ..RaftConfig::default()
    }
}

pub struct Node {
    pub controller: QuorumController,
    pub server: ControllerServer,
}

/// Controller nodes 1..=size.
pub struct Cluster {
    _root: TempDir,
    dirs: BTreeMap<NodeId, PathBuf>,
    pub voters: BTreeMap<NodeId, String>,
    pub services: BTreeMap<NodeId, String>,
    pub nodes: BTreeMap<NodeId, Option<Node>>,
    options: Box<dyn Fn(ControllerOptions) -> ControllerOptions + Send + Sync>,
}

impl Cluster {
    /// Starts `size` nodes; `adjust` changes each node's options.
    pub async fn start(
        size: i32,
        adjust: impl Fn(ControllerOptions) -> ControllerOptions + Send + Sync + 'static,
    ) -> Cluster {
        let root = tempfile::tempdir().unwrap();
        let mut listeners = BTreeMap::new();
        let mut voters = BTreeMap::new();
        let mut services = BTreeMap::new();
        let mut dirs = BTreeMap::new();
        for id in (1..=size).map(NodeId::new) {
            let raft = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
            voters.insert(id, raft.local_addr().unwrap().to_string());
            services.insert(id, service.local_addr().unwrap().to_string());
            dirs.insert(id, root.path().join(format!("node-{id}/__cluster_metadata-0/raft")));
            listeners.insert(id, (raft, service));
        }
        let mut cluster =
            Cluster { _root: root, dirs, voters, services, nodes: BTreeMap::new(), options: Box::new(adjust) };
        for (id, (raft, service)) in listeners {
            let node = cluster.start_node(id, raft, service).await;
            cluster.nodes.insert(id, Some(node));
        }
        cluster
    }

    async fn start_node(&self, id: NodeId, raft: TcpListener, service: TcpListener) -> Node {
        let mut options = ControllerOptions::new(id, self.voters.clone(), self.dirs[&id].clone());
        options.raft_config = raft_config();
        options.session_check_interval_ms = 100;
        options.write_timeout_ms = 10_000;
        let options = (self.options)(options);
        let controller = QuorumController::start(options, raft).await.unwrap();
        let server = ControllerServer::start(service, controller.handle()).unwrap();
        Node { controller, server }
    }

    pub fn node(&self, id: NodeId) -> &QuorumController {
        &self.nodes[&id].as_ref().expect("node is running").controller
    }

    pub fn running(&self) -> impl Iterator<Item = &QuorumController> {
        self.nodes.values().flatten().map(|n| &n.controller)
    }

    pub async fn stop(&mut self, id: NodeId) {
        let node = self.nodes.get_mut(&id).unwrap().take().expect("node is running");
        node.server.shutdown().await;
        node.controller.shutdown().await.unwrap();
    }

    /// Restarts a stopped node from its directory, on its old addresses.
    pub async fn restart(&mut self, id: NodeId) {
        assert!(self.nodes[&id].is_none(), "node {id} is running");
        let raft = TcpListener::bind(&self.voters[&id]).await.unwrap();
        let service = TcpListener::bind(&self.services[&id]).await.unwrap();
        let node = self.start_node(id, raft, service).await;
        self.nodes.insert(id, Some(node));
    }

    pub async fn shutdown(mut self) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        for id in ids {
            if self.nodes[&id].is_some() {
                self.stop(id).await;
            }
        }
    }

    /// Waits until every running node agrees on one leader, running among them, that has taken
    /// over as the active controller (its image has a cluster id), and returns it.
    pub async fn wait_for_active(&self) -> NodeId {
        wait_for("an active controller all running nodes agree on", async || {
            let leader = self.running().next()?.leader()?;
            let agreed = self.running().all(|n| n.leader() == Some(leader));
            let node = self.nodes.get(&leader)?.as_ref()?;
            let active = node.controller.is_leader() && node.controller.image().cluster().cluster_id().is_some();
            (agreed && active).then_some(leader)
        })
        .await
    }

    /// Waits until every running node has applied the same image as `leader`, and returns it.
    pub async fn wait_for_same_image(&self, leader: NodeId) -> MetadataImage {
        wait_for("every running node to apply the leader's image", async || {
            let image = self.node(leader).image();
            self.running().all(|n| n.image() == image).then_some(image)
        })
        .await
    }

    pub fn remote(&self) -> RemoteController {
        let mut options = RemoteControllerOptions::new(self.services.clone());
        options.retry_backoff_ms = 50;
        RemoteController::new(options).unwrap()
    }
}

pub fn registration(id: i32, cluster_id: &str, incarnation: u128) -> BrokerRegistrationRequest {
    BrokerRegistrationRequest {
        broker_id: NodeId::new(id),
        cluster_id: cluster_id.to_string(),
        incarnation_id: uuid::Uuid::from_u128(incarnation),
        endpoints: vec![Endpoint {
            listener: "PLAINTEXT".into(),
            host: "localhost".into(),
            port: 9092 + id as u16,
            security_protocol: SecurityProtocol::Plaintext,
        }],
        rack: None,
    }
}

pub fn heartbeat(id: i32, epoch: BrokerEpoch, offset: u64) -> BrokerHeartbeatRequest {
    BrokerHeartbeatRequest {
        broker_id: NodeId::new(id),
        broker_epoch: epoch,
        current_metadata_offset: offset as i64,
        want_fence: false,
        want_shutdown: false,
    }
}

/// Registers broker `id` and heartbeats it, reporting the offset `image_of` gives, until it is
/// unfenced. Returns its broker epoch.
pub async fn register_and_unfence(
    client: &(impl ControllerClient + ?Sized),
    image_of: impl Fn() -> MetadataImage,
    id: i32,
) -> BrokerEpoch {
    // A follower applies the bootstrap records shortly after the leader commits them.
    let cluster_id =
        wait_for("the bootstrap records in the image", async || image_of().cluster().cluster_id().map(str::to_string))
            .await;
    let epoch = client.register_broker(registration(id, &cluster_id, id as u128)).await.unwrap().broker_epoch;
    wait_for("the broker to be unfenced", async || {
        let offset = image_of().position().offset;
        let reply = client.broker_heartbeat(heartbeat(id, epoch, offset)).await.unwrap();
        (!reply.is_fenced).then_some(())
    })
    .await;
    epoch
}
