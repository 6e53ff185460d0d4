//! The facade the embedding crate uses: start a node, write commands, read its status, stop it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use openraft::error::InitializeError;
use openraft::error::RaftError;
use openraft::ServerState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::config::RaftConfig;
use crate::contacts::PeerContacts;
use crate::db::RaftDb;
use crate::error::Error;
use crate::log_store::LogStore;
use crate::network::NetworkFactory;
use crate::proto::raft_service_server::RaftServiceServer;
use crate::service::RaftGrpcService;
use crate::state_machine::StateMachine;
use crate::state_machine_store::StateMachineStore;
use crate::status::QuorumStatus;
use crate::status::VoterStatus;
use crate::type_config::Command;
use crate::type_config::Node;
use crate::type_config::NodeId;
use crate::type_config::Raft;

/// How long `shutdown` waits for each part of the node to stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);
/// How long a stopping leader waits for its live followers to answer one last heartbeat.
const COMMIT_FLUSH_WAIT: Duration = Duration::from_secs(1);
/// A follower that answered within this long before shutdown counts as live for that wait.
const LIVE_FOLLOWER_MS: i64 = 2_000;

/// What a node needs to start.
#[derive(Debug, Clone)]
pub struct RaftNodeOptions {
    /// This node's id; it must be one of `voters`.
    pub node_id: NodeId,
    /// The static voter set, as KRaft's `controller.quorum.voters`: node id → `host:port` of its
    /// controller listener. Used to initialize a fresh cluster; a node that already has a log keeps
    /// the membership in it.
    pub voters: BTreeMap<NodeId, String>,
    /// The directory of this node's RocksDB database, such as
    /// `<metadata.log.dir>/__cluster_metadata-0/raft`. Created if missing.
    pub dir: PathBuf,
    /// Timing and size settings.
    pub config: RaftConfig,
    /// More gRPC services to serve on the same listener (the controller's own service), so a
    /// controller needs one port, as Kafka's controller listener.
    pub extra_services: Option<tonic::service::Routes>,
}

/// A committed command and the state machine's answer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    /// The log index the command was committed at.
    pub log_index: u64,
    /// What [`StateMachine::apply`] returned for it.
    pub response: Vec<u8>,
}

/// A running Raft node: its Raft instance and the gRPC server its peers talk to.
///
/// Stop it with [`RaftNode::shutdown`]. Dropping it stops the gRPC server but leaves Raft's tasks
/// running, with the database open, until the runtime ends.
pub struct RaftNode {
    node_id: NodeId,
    raft: Raft,
    local_addr: SocketAddr,
    server: Mutex<Option<RunningServer>>,
    db_closed: Arc<std::sync::atomic::AtomicBool>,
    /// When each peer last answered this node's replication requests.
    contacts: Arc<PeerContacts>,
}

struct RunningServer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl std::fmt::Debug for RaftNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftNode")
            .field("node_id", &self.node_id)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl RaftNode {
    /// Opens the node's storage under `options.dir`, starts Raft and serves the node-to-node gRPC
    /// service on `listener` until [`RaftNode::shutdown`]. A node with no log yet initializes the
    /// cluster with `options.voters`; every voter may do so with the same voters, and a node that
    /// is already initialized (by its own log or by a leader's) skips it.
    ///
    /// `state_machine` must be empty: it is restored from the node's last snapshot, and the
    /// committed entries after it are applied again.
    ///
    /// # Errors
    /// Invalid options, storage that cannot be opened or read, or a Raft that fails to start.
    pub async fn start<S: StateMachine>(
        options: RaftNodeOptions,
        listener: TcpListener,
        state_machine: S,
    ) -> Result<RaftNode, Error> {
        let RaftNodeOptions { node_id, voters, dir, config, extra_services } = options;
        if !voters.contains_key(&node_id) {
            return Err(Error::InvalidConfig(format!(
                "node {node_id} is not among the voters {:?}",
                voters.keys().collect::<Vec<_>>()
            )));
        }
        let raft_config = Arc::new(config.to_openraft()?);
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::InvalidConfig(format!("the listener has no local address: {e}")))?;

        let (db, state_machine_store) = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::InvalidConfig(format!("cannot create {}: {e}", dir.display())))?;
            let db = RaftDb::open(&dir)?;
            let store = StateMachineStore::open(Arc::clone(&db), state_machine)?;
            Ok::<_, Error>((db, store))
        })
        .await
        .map_err(|e| Error::Fatal(format!("opening the raft storage panicked: {e}")))??;
        let db_closed = db.closed_flag();
        let log_store = LogStore::new(db);
        let contacts = Arc::new(PeerContacts::default());
        let network = NetworkFactory::new(node_id, config.client_settings(), Arc::clone(&contacts));
        let raft = Raft::new(node_id, raft_config, network, log_store, state_machine_store).await?;
        // The network client judges "caught up" against the leader's last log index; follow it. The
        // task ends when Raft stops and drops its metrics sender.
        let mut metrics = raft.metrics();
        let followed = Arc::clone(&contacts);
        tokio::spawn(async move {
            loop {
                let last_log_index = metrics.borrow_and_update().last_log_index;
                followed.set_last_log_index(last_log_index);
                if metrics.changed().await.is_err() {
                    return;
                }
            }
        });

        let service = RaftServiceServer::new(RaftGrpcService::new(raft.clone(), Arc::clone(&contacts)))
            .max_decoding_message_size(config.max_message_bytes)
            .max_encoding_message_size(config.max_message_bytes);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder()
                .add_routes(extra_services.unwrap_or_default().add_service(service))
                .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), async {
                    // A dropped sender stops the server too.
                    let _ = stopped.await;
                }),
        );
        let node = RaftNode {
            node_id,
            raft,
            local_addr,
            server: Mutex::new(Some(RunningServer { stop, task })),
            db_closed,
            contacts,
        };
        if let Err(e) = node.initialize(&voters).await {
            // Best effort: the initialization error is the one to report.
            let _ = node.shutdown().await;
            return Err(e);
        }
        tracing::info!(node_id, %local_addr, "raft node started");
        Ok(node)
    }

    async fn initialize(&self, voters: &BTreeMap<NodeId, String>) -> Result<(), Error> {
        if self.raft.is_initialized().await? {
            // As with KRaft's static voters, the log is the truth once it exists.
            let stored: BTreeMap<NodeId, String> = {
                let metrics = self.raft.metrics();
                let metrics = metrics.borrow();
                let membership = metrics.membership_config.membership();
                membership
                    .voter_ids()
                    .map(|id| (id, membership.get_node(&id).map(|node| node.addr.clone()).unwrap_or_default()))
                    .collect()
            };
            if &stored != voters {
                tracing::warn!(
                    node_id = self.node_id,
                    configured = ?voters,
                    in_log = ?stored,
                    "the configured voters differ from the membership in the raft log; the log wins"
                );
            }
            return Ok(());
        }
        let members: BTreeMap<NodeId, Node> = voters.iter().map(|(id, addr)| (*id, Node::new(addr.clone()))).collect();
        match self.raft.initialize(members).await {
            Ok(()) => {
                tracing::info!(node_id = self.node_id, voters = ?voters, "initialized the raft cluster");
                Ok(())
            }
            // Another voter's leader reached this node first: the cluster is initialized.
            Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
            Err(RaftError::APIError(InitializeError::NotInMembers(e))) => Err(Error::InvalidConfig(e.to_string())),
            Err(RaftError::Fatal(f)) => Err(f.into()),
        }
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// The address the node-to-node gRPC server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Replicates `command` and waits until it is committed and applied on this node, the leader.
    ///
    /// # Errors
    /// [`Error::ForwardToLeader`] on a node that is not the leader (naming the leader if known);
    /// [`Error::Stopped`] or [`Error::Fatal`] if the node is not running.
    pub async fn client_write(&self, command: Vec<u8>) -> Result<WriteResult, Error> {
        let written = self.raft.client_write(Command(command)).await?;
        Ok(WriteResult { log_index: written.log_id.index, response: written.data.0 })
    }

    /// Whether this node believes it is the leader. Cheap and local, so possibly stale: use
    /// [`RaftNode::ensure_linearizable`] before a read that must not be.
    /// The leader this node last accepted an AppendEntries from, and when: read on taking over, it
    /// says how long the leader this node replaced has been silent. Reading it forgets it.
    pub fn take_last_leader_contact(&self) -> Option<(NodeId, std::time::Instant)> {
        self.contacts.take_leader_heard()
    }

    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().state == ServerState::Leader
    }

    /// The leader this node knows of.
    pub fn current_leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    /// Confirms with a quorum that this node is still the leader and waits until its state machine
    /// has applied everything committed before the call. A read of the state machine after this
    /// returns is linearizable. Returns the index the read reflects.
    ///
    /// # Errors
    /// [`Error::ForwardToLeader`] on a follower, [`Error::QuorumNotEnough`] if no quorum answered.
    pub async fn ensure_linearizable(&self) -> Result<Option<u64>, Error> {
        let read_log_id = self.raft.ensure_linearizable().await?;
        Ok(read_log_id.map(|log_id| log_id.index))
    }

    /// This node's view of the quorum now.
    ///
    /// # Errors
    /// [`Error::Stopped`] if the node is not running.
    pub async fn metrics(&self) -> Result<QuorumStatus, Error> {
        let commit_index = self.raft.with_raft_state(|state| state.committed.map(|log_id| log_id.index)).await?;
        let metrics = self.raft.metrics().borrow().clone();
        let matched = |id: &NodeId| {
            metrics
                .replication
                .as_ref()
                .and_then(|replication| replication.get(id).copied().flatten())
                .map(|log_id| log_id.index)
        };
        let membership = metrics.membership_config.membership();
        let voters = membership
            .voter_ids()
            .map(|id| VoterStatus {
                node_id: id,
                address: membership.get_node(&id).map(|node| node.addr.clone()).unwrap_or_default(),
                matched_index: matched(&id),
                last_ack_ms: self.contacts.get(id).last_ack_ms,
                last_caught_up_ms: self.contacts.get(id).last_caught_up_ms,
            })
            .collect();
        Ok(QuorumStatus {
            node_id: self.node_id,
            role: metrics.state.into(),
            term: metrics.current_term,
            leader_id: metrics.current_leader,
            commit_index,
            last_applied_index: metrics.last_applied.map(|log_id| log_id.index),
            last_log_index: metrics.last_log_index,
            snapshot_index: metrics.snapshot.map(|log_id| log_id.index),
            purged_index: metrics.purged.map(|log_id| log_id.index),
            millis_since_quorum_ack: metrics.millis_since_quorum_ack,
            voters,
        })
    }

    /// Before a leader stops: followers learn how far the log is committed only from the leader's next
    /// AppendEntries, so entries committed just before the shutdown (a controlled shutdown's last
    /// leadership moves, say) would otherwise wait for the next leader's election to be applied. Sends
    /// one more round and waits, at most [`COMMIT_FLUSH_WAIT`], until every follower that was live has
    /// answered it.
    async fn flush_commit_index(&self) {
        if !self.is_leader() {
            return;
        }
        let since_ms = crate::network::wall_clock_ms();
        let live: Vec<NodeId> = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow();
            metrics
                .membership_config
                .membership()
                .voter_ids()
                .filter(|id| *id != self.node_id)
                .filter(|id| self.contacts.get(*id).last_ack_ms.is_some_and(|t| since_ms - t <= LIVE_FOLLOWER_MS))
                .collect()
        };
        if live.is_empty() || self.raft.trigger().heartbeat().await.is_err() {
            return;
        }
        let answered = async {
            while !live.iter().all(|id| self.contacts.get(*id).last_ack_ms.is_some_and(|t| t > since_ms)) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(COMMIT_FLUSH_WAIT, answered).await.is_err() {
            tracing::debug!(node_id = self.node_id, "followers did not answer the last heartbeat before shutdown");
        }
    }

    /// Takes a snapshot now, whatever the snapshot policy says (for tools and tests).
    ///
    /// # Errors
    /// [`Error::Stopped`] if the node is not running.
    pub async fn trigger_snapshot(&self) -> Result<(), Error> {
        Ok(self.raft.trigger().snapshot().await?)
    }

    /// Stops Raft and the gRPC server, and waits until the storage is closed, so the directory can
    /// be opened again (by a restarted node in the same process, for example). Calling it again is
    /// harmless.
    ///
    /// # Errors
    /// A part of the node that did not stop within 10 s.
    pub async fn shutdown(&self) -> Result<(), Error> {
        self.flush_commit_index().await;
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!(node_id = self.node_id, error = %e, "the raft task ended abnormally");
        }
        let server = self.server.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(RunningServer { stop, mut task }) = server {
            let _ = stop.send(());
            match tokio::time::timeout(SHUTDOWN_WAIT, &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the raft gRPC server failed"),
                Ok(Err(e)) => tracing::warn!(error = %e, "the raft gRPC server task failed"),
                Err(_) => {
                    task.abort();
                    return Err(Error::ShutdownTimeout {
                        what: "the raft gRPC server",
                        seconds: SHUTDOWN_WAIT.as_secs(),
                    });
                }
            }
        }
        // Raft's tasks drop their handles on the database as they finish; RocksDB closes with the
        // last one.
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        while !self.db_closed.load(std::sync::atomic::Ordering::Acquire) {
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::ShutdownTimeout { what: "the raft storage", seconds: SHUTDOWN_WAIT.as_secs() });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tracing::info!(node_id = self.node_id, "raft node stopped");
        Ok(())
    }
}
