//! [`RemoteController`]: the client side of `ControllerService`, for a broker whose node is not
//! the active controller. It keeps one lazily connected channel per controller node and a hint of
//! which node is the active controller:
//!
//! - a call goes to the hinted node, or (with no hint) to the nodes in turn;
//! - NotController naming another node moves the hint there and retries at once;
//! - NotController without a leader, an unreachable node or one shutting down clears the hint,
//!   moves to the next node and retries after a short pause;
//! - a timeout is returned (the request may still be carried out) and the next call starts with
//!   another node;
//! - any other answer (success, a refusal, an internal error) is returned.
//!
//! All attempts of one call share one deadline (`request_timeout_ms`). Only requests that were not
//! carried out are retried: NotController is answered before any decision, and an unreachable node
//! never saw the request (a broken connection mid-call is the exception, as with Kafka's clients).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use flotilla_model::NodeId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::client::ControllerClient;
use crate::codec::{decode, encode};
use crate::error::{ControllerError, StartError};
use crate::operations::{Operation, OperationReply};
use crate::proto::controller_reply;
use crate::proto::controller_service_client::ControllerServiceClient;
use crate::proto::{ControllerReply, ControllerRequest};
use crate::service::MAX_MESSAGE_BYTES;

pub(crate) type Client = ControllerServiceClient<Channel>;

/// Where the controllers are and how long to try them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteControllerOptions {
    /// Each controller node's `ControllerService` address, `host:port`.
    pub controllers: BTreeMap<NodeId, String>,
    /// Limit on one call, all retries included.
    pub request_timeout_ms: u64,
    /// Limit on establishing a connection to one controller.
    pub connect_timeout_ms: u64,
    /// Pause before trying another controller after one could not serve.
    pub retry_backoff_ms: u64,
}

impl RemoteControllerOptions {
    /// Kafka-like defaults (30 s per call, 100 ms backoff) for `controllers`.
    pub fn new(controllers: BTreeMap<NodeId, String>) -> Self {
        Self { controllers, request_timeout_ms: 30_000, connect_timeout_ms: 1_000, retry_backoff_ms: 100 }
    }
}

/// A client of the controller quorum over gRPC. Cheap to clone; clones share channels and the hint.
#[derive(Debug, Clone)]
pub struct RemoteController {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Node ids in order, for trying them in turn.
    nodes: Vec<NodeId>,
    clients: BTreeMap<NodeId, Client>,
    leader_hint: Mutex<Option<NodeId>>,
    next: AtomicUsize,
    request_timeout: Duration,
    retry_backoff: Duration,
}

impl RemoteController {
    /// Makes a lazily connected channel to every controller; nothing connects until a call.
    ///
    /// # Errors
    /// No controllers, or an address that is not a valid `host:port`.
    pub fn new(options: RemoteControllerOptions) -> Result<Self, StartError> {
        if options.controllers.is_empty() {
            return Err(StartError::InvalidConfig("no controller addresses".to_owned()));
        }
        let mut clients = BTreeMap::new();
        for (id, address) in &options.controllers {
            let endpoint = Endpoint::from_shared(format!("http://{address}"))
                .map_err(|e| StartError::InvalidConfig(format!("controller {id} address {address:?}: {e}")))?
                .connect_timeout(Duration::from_millis(options.connect_timeout_ms))
                .tcp_nodelay(true)
                // A controller that vanished without closing the connection (paused, cut off) must
                // not hold a long-lived call, such as the metadata stream, for ever.
                .http2_keep_alive_interval(Duration::from_secs(1))
                .keep_alive_timeout(Duration::from_secs(3))
                .keep_alive_while_idle(true);
            let client = ControllerServiceClient::new(endpoint.connect_lazy())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES);
            clients.insert(*id, client);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                nodes: options.controllers.keys().copied().collect(),
                clients,
                leader_hint: Mutex::new(None),
                next: AtomicUsize::new(0),
                request_timeout: Duration::from_millis(options.request_timeout_ms),
                retry_backoff: Duration::from_millis(options.retry_backoff_ms),
            }),
        })
    }

    /// The node the next call goes to first, if one is known to be the active controller.
    pub fn leader_hint(&self) -> Option<NodeId> {
        *self.inner.leader_hint.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records where the active controller is (from a NotController answered elsewhere).
    pub(crate) fn note_leader(&self, leader: Option<NodeId>) {
        let known = leader.filter(|id| self.inner.clients.contains_key(id));
        *self.inner.leader_hint.lock().unwrap_or_else(PoisonError::into_inner) = known;
    }

    fn target(&self) -> NodeId {
        self.leader_hint().unwrap_or_else(|| {
            let nodes = &self.inner.nodes;
            // `new` refuses an empty list, so the index is in range.
            nodes[self.inner.next.load(Ordering::Relaxed) % nodes.len()]
        })
    }

    /// After `failed` could not serve: the next call goes to the voter after it. Many calls share this
    /// client (heartbeats, ISR changes, admin requests), so only the first to report a node moves past
    /// it; the others find the move made and neither undo a newer leader hint nor step on round the
    /// ring (back to the node that failed).
    fn move_on(&self, failed: NodeId) {
        {
            let mut hint = self.inner.leader_hint.lock().unwrap_or_else(PoisonError::into_inner);
            if *hint == Some(failed) {
                *hint = None;
            }
        }
        let nodes = &self.inner.nodes;
        let current = self.inner.next.load(Ordering::Relaxed);
        if nodes[current % nodes.len()] == failed {
            let _ = self.inner.next.compare_exchange(
                current,
                current.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// The controller to ask next and a client for it (any voter will do: the leader hint first).
    pub(crate) fn next_client(&self) -> (NodeId, Result<Client, ControllerError>) {
        let target = self.target();
        let client = self
            .inner
            .clients
            .get(&target)
            .cloned()
            .ok_or_else(|| ControllerError::Unreachable(format!("controller {target} is not configured")));
        (target, client)
    }

    /// After a failed exchange with the controller [`RemoteController::next_client`] gave: the next
    /// one, after the retry backoff.
    pub(crate) async fn move_on_after_failure(&self, failed: NodeId) {
        self.move_on(failed);
        tokio::time::sleep(self.inner.retry_backoff).await;
    }

    async fn send(
        &self,
        target: NodeId,
        operation: &Operation,
        deadline: Duration,
    ) -> Result<OperationReply, ControllerError> {
        let Some(client) = self.inner.clients.get(&target) else {
            return Err(ControllerError::Unreachable(format!("controller {target} is not configured")));
        };
        let mut client = client.clone();
        macro_rules! rpc {
            ($method:ident, $request:expr) => {{
                let request = envelope($request, deadline)?;
                reply(client.$method(request).await)?
            }};
        }
        Ok(match operation {
            Operation::RegisterBroker(r) => OperationReply::RegisterBroker(rpc!(register_broker, r)),
            Operation::BrokerHeartbeat(r) => OperationReply::BrokerHeartbeat(rpc!(broker_heartbeat, r)),
            Operation::UnregisterBroker(r) => {
                let () = rpc!(unregister_broker, r);
                OperationReply::UnregisterBroker(())
            }
            Operation::AlterPartition(r) => OperationReply::AlterPartition(rpc!(alter_partition, r)),
            Operation::ElectLeaders(r) => OperationReply::ElectLeaders(rpc!(elect_leaders, r)),
            Operation::AlterPartitionReassignments(r) => {
                OperationReply::AlterPartitionReassignments(rpc!(alter_partition_reassignments, r))
            }
            Operation::CreateTopics(r) => OperationReply::CreateTopics(rpc!(create_topics, r)),
            Operation::DeleteTopics(r) => OperationReply::DeleteTopics(rpc!(delete_topics, r)),
            Operation::CreatePartitions(r) => OperationReply::CreatePartitions(rpc!(create_partitions, r)),
            Operation::IncrementalAlterConfigs(r) => {
                OperationReply::IncrementalAlterConfigs(rpc!(incremental_alter_configs, r))
            }
            Operation::AllocateProducerIds(r) => OperationReply::AllocateProducerIds(rpc!(allocate_producer_ids, r)),
            Operation::DescribeQuorum(r) => OperationReply::DescribeQuorum(rpc!(describe_quorum, r)),
        })
    }
}

fn envelope<T: Serialize>(
    request: &T,
    deadline: Duration,
) -> Result<tonic::Request<ControllerRequest>, ControllerError> {
    let payload = encode(request, "controller request").map_err(ControllerError::internal)?;
    let mut request = tonic::Request::new(ControllerRequest { payload });
    request.set_timeout(deadline);
    Ok(request)
}

fn reply<T: DeserializeOwned>(outcome: Result<tonic::Response<ControllerReply>, Status>) -> Result<T, ControllerError> {
    let reply = outcome.map_err(status_error)?.into_inner();
    match reply.result {
        Some(controller_reply::Result::Ok(bytes)) => {
            decode(&bytes, "controller reply").map_err(ControllerError::internal)
        }
        Some(controller_reply::Result::Error(bytes)) => {
            Err(decode::<ControllerError>(&bytes, "controller error").map_err(ControllerError::internal)?)
        }
        None => Err(ControllerError::Internal("the controller's reply is empty".into())),
    }
}

/// A gRPC failure: the node could not be reached (or gave up), or it could not read the request.
fn status_error(status: Status) -> ControllerError {
    match status.code() {
        Code::Unavailable | Code::Cancelled | Code::Unknown | Code::Aborted => {
            ControllerError::Unreachable(status.message().to_string())
        }
        Code::DeadlineExceeded => ControllerError::Timeout { waited_ms: 0 },
        _ => ControllerError::Internal(format!("{:?}: {}", status.code(), status.message())),
    }
}

#[async_trait]
impl ControllerClient for RemoteController {
    async fn call(&self, operation: Operation) -> Result<OperationReply, ControllerError> {
        let started = Instant::now();
        let deadline = started + self.inner.request_timeout;
        let waited_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        loop {
            let now = Instant::now();
            let Some(remaining) = deadline.checked_duration_since(now).filter(|d| !d.is_zero()) else {
                return Err(ControllerError::Timeout { waited_ms: waited_ms() });
            };
            let target = self.target();
            let outcome = match tokio::time::timeout(remaining, self.send(target, &operation, remaining)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(ControllerError::Timeout { waited_ms: waited_ms() }),
            };
            let error = match outcome {
                Ok(reply) => {
                    self.note_leader(Some(target));
                    return Ok(reply);
                }
                Err(error) => error,
            };
            let redirected = match &error {
                ControllerError::NotController { leader_id } => {
                    leader_id.filter(|id| *id != target && self.inner.clients.contains_key(id))
                }
                ControllerError::Unreachable(_) | ControllerError::ShuttingDown => None,
                ControllerError::Timeout { .. } => {
                    // The request may still be carried out, so it is not retried; but a node that
                    // cannot finish writes (a leader cut off from its quorum) is not tried first next.
                    self.move_on(target);
                    return Err(ControllerError::Timeout { waited_ms: waited_ms() });
                }
                _ => return Err(error),
            };
            tracing::debug!(%target, error = %error, ?redirected, "controller could not serve; retrying");
            match redirected {
                Some(leader) => self.note_leader(Some(leader)),
                None => {
                    self.move_on(target);
                    let pause = self.inner.retry_backoff.min(deadline.saturating_duration_since(Instant::now()));
                    if Instant::now() + pause >= deadline {
                        return Err(error);
                    }
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn three_voters() -> RemoteController {
        let controllers = (1..=3).map(|id| (NodeId::new(id), format!("127.0.0.1:{}", 9000 + id))).collect();
        RemoteController::new(RemoteControllerOptions::new(controllers)).unwrap()
    }

    #[tokio::test]
    async fn concurrent_failures_of_one_node_move_past_it_once() {
        let remote = three_voters();
        assert_eq!(remote.target(), NodeId::new(1));
        // Three calls all found node 1 gone: the next goes to node 2, not round the ring back to 1.
        for _ in 0..3 {
            remote.move_on(NodeId::new(1));
        }
        assert_eq!(remote.target(), NodeId::new(2));
        // A hint learned meanwhile from a NotController survives a late report about another node.
        remote.note_leader(Some(NodeId::new(3)));
        remote.move_on(NodeId::new(1));
        assert_eq!(remote.target(), NodeId::new(3));
        remote.move_on(NodeId::new(3));
        assert_eq!(remote.target(), NodeId::new(2));
    }
}
