//! [`QuorumController`]: one node of the controller quorum. It owns the raft node (whose state
//! machine is the metadata image) and the task that serializes controller operations, and hands
//! out [`ControllerHandle`]s and image subscriptions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flotilla_metadata::MetadataImage;
use flotilla_model::NodeId;
use flotilla_raft::{kafka_node_id, node_id_from_kafka, RaftNode, RaftNodeOptions};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::controller::ControllerTask;
use crate::error::StartError;
use crate::handle::ControllerHandle;
use crate::options::ControllerOptions;
use crate::state_machine::MetadataStateMachine;

/// How long `shutdown` waits for the controller task.
const TASK_STOP_WAIT: Duration = Duration::from_secs(10);

/// A running controller quorum member.
#[derive(Debug)]
pub struct QuorumController {
    node_id: NodeId,
    raft: Arc<RaftNode>,
    handle: ControllerHandle,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl QuorumController {
    /// Starts the raft node on `raft_listener` (the controller listener its peers reach, as named
    /// in `options.voters`) with an empty metadata state machine (restored from the node's snapshot
    /// and log), and the controller task.
    ///
    /// # Errors
    /// Unusable options, or a raft node that does not start.
    pub async fn start(options: ControllerOptions, raft_listener: TcpListener) -> Result<Self, StartError> {
        let raft_id = |id: NodeId| {
            node_id_from_kafka(id.get()).ok_or_else(|| StartError::InvalidConfig(format!("node id {id} is negative")))
        };
        let node_id = raft_id(options.node_id)?;
        let voters = options
            .voters
            .iter()
            .map(|(id, address)| Ok((raft_id(*id)?, address.clone())))
            .collect::<Result<BTreeMap<_, _>, StartError>>()?;
        for (name, value) in [
            ("session_check_interval_ms", options.session_check_interval_ms),
            ("write_timeout_ms", options.write_timeout_ms),
            ("broker_session_timeout_ms", options.broker_session_timeout_ms),
        ] {
            if value == 0 {
                return Err(StartError::InvalidConfig(format!("{name} must be positive")));
            }
        }
        if options.request_queue_max == 0 {
            return Err(StartError::InvalidConfig("request_queue_max must be positive".to_owned()));
        }

        // The handle needs no raft node, so the controller's gRPC service can be built before the
        // raft server starts (to share its listener once the raft crate accepts more services).
        let (state_machine, images) = MetadataStateMachine::new();
        let (requests, queue) = mpsc::channel(options.request_queue_max);
        let handle = ControllerHandle::new(requests, images.clone());
        let raft_options = RaftNodeOptions {
            node_id,
            voters,
            dir: options.raft_dir.clone(),
            config: options.raft_config.clone(),
            // Brokers reach the controller on the same listener as the raft traffic.
            extra_services: Some(
                options.extra_services.clone().add_service(crate::service::controller_grpc_service(handle.clone())),
            ),
        };
        let raft = Arc::new(RaftNode::start(raft_options, raft_listener, state_machine).await?);
        let (stop, stopped) = oneshot::channel();
        let task = ControllerTask::new(Arc::clone(&raft), images.clone(), &options);
        let task = tokio::spawn(task.run(queue, stopped));
        tracing::info!(node_id = %options.node_id, "quorum controller started");
        Ok(Self { node_id: options.node_id, raft, handle, stop: Mutex::new(Some(stop)), task: Mutex::new(Some(task)) })
    }

    /// This controller's `node.id`.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// A handle that queues operations for this node's controller task.
    pub fn handle(&self) -> ControllerHandle {
        self.handle.clone()
    }

    /// The image this node has applied most recently; its position's offset is the metadata offset
    /// this node has applied.
    pub fn image(&self) -> MetadataImage {
        self.handle.image()
    }

    /// A receiver of every image this node applies.
    pub fn subscribe(&self) -> watch::Receiver<MetadataImage> {
        self.handle.subscribe()
    }

    /// Whether this node's raft believes it leads the quorum (possibly stale).
    pub fn is_leader(&self) -> bool {
        self.raft.is_leader()
    }

    /// The leader this node knows of.
    pub fn leader(&self) -> Option<NodeId> {
        self.raft.current_leader().and_then(kafka_node_id).map(NodeId::new)
    }

    /// The raft node, for its status and snapshots.
    pub fn raft(&self) -> &RaftNode {
        &self.raft
    }

    /// The offset (raft log index) of the last metadata record this node knows is committed; `None`
    /// before it knows of any, or once stopped.
    pub async fn committed_offset(&self) -> Option<u64> {
        self.raft.metrics().await.ok().and_then(|status| status.commit_index)
    }

    /// Stops the controller task and the raft node, so the directory can be opened again. Queued
    /// operations are answered with `ShuttingDown`. Calling it again is harmless.
    ///
    /// # Errors
    /// The raft node did not stop in time.
    pub async fn shutdown(&self) -> Result<(), flotilla_raft::Error> {
        let stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        // Stopping raft first ends a write the task may be waiting on.
        let stopped = self.raft.shutdown().await;
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut task) = task {
            if tokio::time::timeout(TASK_STOP_WAIT, &mut task).await.is_err() {
                tracing::warn!(node_id = %self.node_id, "the controller task did not stop in time; aborting it");
                task.abort();
            }
        }
        stopped
    }
}
