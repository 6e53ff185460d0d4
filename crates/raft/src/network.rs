//! The client side of node-to-node Raft traffic: openraft's [`RaftNetworkFactory`] over tonic.
//!
//! One lazily connected [`Channel`] per peer is made the first time openraft asks for that peer
//! and is then shared by every RPC to it (replication, heartbeats, votes, snapshot chunks); tonic
//! reconnects it after a failure. Each RPC carries the deadline openraft gives it.
//!
//! Errors map onto openraft's: a peer that cannot be reached (connection refused or reset, no
//! route, connect timeout: gRPC `UNAVAILABLE`) is [`Unreachable`], which makes openraft back off
//! instead of retrying at once; a missed deadline is a [`Timeout`]; an error the peer's Raft
//! returned is a [`RemoteError`]; anything else is a [`NetworkError`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::InstallSnapshotError;
use openraft::error::NetworkError;
use openraft::error::RPCError;
use openraft::error::RaftError;
use openraft::error::RemoteError;
use openraft::error::Timeout;
use openraft::error::Unreachable;
use openraft::network::Backoff;
use openraft::network::RPCOption;
use openraft::network::RaftNetwork;
use openraft::network::RaftNetworkFactory;
use openraft::raft::AppendEntriesRequest;
use openraft::raft::AppendEntriesResponse;
use openraft::raft::InstallSnapshotRequest;
use openraft::raft::InstallSnapshotResponse;
use openraft::raft::VoteRequest;
use openraft::raft::VoteResponse;
use openraft::RPCTypes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::transport::Channel;
use tonic::transport::Endpoint;
use tonic::Code;

use crate::codec::decode;
use crate::codec::encode;
use crate::contacts::PeerContacts;
use crate::proto::raft_reply;
use crate::proto::raft_service_client::RaftServiceClient;
use crate::proto::RaftRequest;
use crate::type_config::Node;
use crate::type_config::NodeId;
use crate::type_config::TypeConfig;

type Client = RaftServiceClient<Channel>;

/// How the client side connects to peers.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    /// Limit on establishing a TCP connection to a peer.
    pub(crate) connect_timeout: Duration,
    /// Largest gRPC message sent or accepted, in bytes.
    pub(crate) max_message_bytes: usize,
    /// How long to wait before trying an unreachable peer again.
    pub(crate) unreachable_backoff: Duration,
}

/// Makes [`PeerClient`]s for openraft, keeping one channel per peer.
#[derive(Debug)]
pub(crate) struct NetworkFactory {
    /// This node's id, for error reports.
    node_id: NodeId,
    settings: ClientSettings,
    /// peer → (address the channel was made for, client over the channel).
    peers: HashMap<NodeId, (String, Result<Client, String>)>,
    /// When each peer last answered, for DescribeQuorum.
    contacts: Arc<PeerContacts>,
}

impl NetworkFactory {
    pub(crate) fn new(node_id: NodeId, settings: ClientSettings, contacts: Arc<PeerContacts>) -> Self {
        Self { node_id, settings, peers: HashMap::new(), contacts }
    }

    fn client_for(&mut self, target: NodeId, addr: &str) -> Result<Client, String> {
        if let Some((known_addr, client)) = self.peers.get(&target) {
            if known_addr == addr {
                return client.clone();
            }
        }
        let client = connect_lazy(addr, &self.settings);
        self.peers.insert(target, (addr.to_owned(), client.clone()));
        client
    }
}

/// A client over a channel that connects on first use.
fn connect_lazy(addr: &str, settings: &ClientSettings) -> Result<Client, String> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| format!("invalid peer address {addr:?}: {e}"))?
        .connect_timeout(settings.connect_timeout)
        .tcp_nodelay(true)
        // Detect a peer that vanished without closing the connection (cable, partition).
        .http2_keep_alive_interval(Duration::from_secs(1))
        .keep_alive_timeout(Duration::from_secs(3))
        .keep_alive_while_idle(true);
    let client = RaftServiceClient::new(endpoint.connect_lazy())
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_message_bytes);
    Ok(client)
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &Node) -> PeerClient {
        PeerClient {
            node_id: self.node_id,
            target,
            target_node: node.clone(),
            client: self.client_for(target, &node.addr),
            unreachable_backoff: self.settings.unreachable_backoff,
            contacts: Arc::clone(&self.contacts),
        }
    }
}

/// The RPCs to one peer.
#[derive(Debug)]
pub(crate) struct PeerClient {
    node_id: NodeId,
    target: NodeId,
    target_node: Node,
    client: Result<Client, String>,
    unreachable_backoff: Duration,
    contacts: Arc<PeerContacts>,
}

/// The error of an RPC whose remote side may answer with `RaftError<E>`.
type RpcError<E> = RPCError<NodeId, Node, RaftError<NodeId, E>>;

impl PeerClient {
    async fn call<Req, Resp, E>(&mut self, action: RPCTypes, request: &Req, ttl: Duration) -> Result<Resp, RpcError<E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let mut client = match &self.client {
            Ok(client) => client.clone(),
            Err(reason) => return Err(RPCError::Unreachable(Unreachable::new(&Message(reason.clone())))),
        };
        let payload = encode(request, "raft request").map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let mut grpc_request = tonic::Request::new(RaftRequest { payload });
        grpc_request.set_timeout(ttl);
        let reply = match action {
            RPCTypes::AppendEntries => client.append_entries(grpc_request).await,
            RPCTypes::Vote => client.vote(grpc_request).await,
            RPCTypes::InstallSnapshot => client.install_snapshot(grpc_request).await,
        };
        let reply = reply.map_err(|status| self.status_error(action, ttl, status))?;
        match reply.into_inner().result {
            Some(raft_reply::Result::Ok(bytes)) => {
                decode(&bytes, "raft response").map_err(|e| RPCError::Network(NetworkError::new(&e)))
            }
            Some(raft_reply::Result::Error(bytes)) => {
                let error: RaftError<NodeId, E> =
                    decode(&bytes, "raft error").map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
                Err(RPCError::RemoteError(RemoteError::new_with_node(self.target, self.target_node.clone(), error)))
            }
            None => Err(RPCError::Network(NetworkError::new(&Message(
                "the peer's reply holds neither a response nor an error".to_owned(),
            )))),
        }
    }

    fn status_error<E: std::error::Error>(
        &self,
        action: RPCTypes,
        ttl: Duration,
        status: tonic::Status,
    ) -> RpcError<E> {
        match status.code() {
            Code::Unavailable => RPCError::Unreachable(Unreachable::new(&status)),
            Code::DeadlineExceeded | Code::Cancelled => {
                RPCError::Timeout(Timeout { action, id: self.node_id, target: self.target, timeout: ttl })
            }
            _ => RPCError::Network(NetworkError::new(&status)),
        }
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError<openraft::error::Infallible>> {
        let sent_up_to = rpc.entries.last().map(|entry| entry.log_id.index).or(rpc.prev_log_id.map(|id| id.index));
        let answer = self.call(RPCTypes::AppendEntries, &rpc, option.hard_ttl()).await;
        if let Ok(response) = &answer {
            let (acked, matched) = match response {
                AppendEntriesResponse::Success => (sent_up_to, true),
                AppendEntriesResponse::PartialSuccess(matching) => (matching.map(|id| id.index), true),
                AppendEntriesResponse::Conflict | AppendEntriesResponse::HigherVote(_) => (None, false),
            };
            self.contacts.record_ack(self.target, acked, matched, wall_clock_ms());
        }
        answer
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcError<InstallSnapshotError>> {
        self.call(RPCTypes::InstallSnapshot, &rpc, option.hard_ttl()).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcError<openraft::error::Infallible>> {
        self.call(RPCTypes::Vote, &rpc, option.hard_ttl()).await
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(std::iter::repeat(self.unreachable_backoff))
    }
}

/// Milliseconds since the Unix epoch: the clock of [`crate::VoterStatus`]'s contact times.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A plain message as an error, for openraft's error constructors.
#[derive(Debug)]
struct Message(String);

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use openraft::Vote;

    use super::*;

    fn settings() -> ClientSettings {
        ClientSettings {
            connect_timeout: Duration::from_secs(1),
            max_message_bytes: 1024 * 1024,
            unreachable_backoff: Duration::from_millis(100),
        }
    }

    fn vote_request() -> VoteRequest<NodeId> {
        VoteRequest::new(Vote::new(1, 1), None)
    }

    #[tokio::test]
    async fn a_peer_with_nothing_listening_is_unreachable() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut factory = NetworkFactory::new(1, settings(), Arc::default());
        let mut client = factory.new_client(2, &Node::new(format!("127.0.0.1:{port}"))).await;
        let error = client.vote(vote_request(), RPCOption::new(Duration::from_secs(5))).await.unwrap_err();
        assert!(matches!(error, RPCError::Unreachable(_)), "{error:?}");
    }

    #[tokio::test]
    async fn an_invalid_address_is_unreachable() {
        let mut factory = NetworkFactory::new(1, settings(), Arc::default());
        let mut client = factory.new_client(2, &Node::new("not an address\n")).await;
        let error = client.vote(vote_request(), RPCOption::new(Duration::from_secs(1))).await.unwrap_err();
        assert!(matches!(error, RPCError::Unreachable(_)), "{error:?}");
    }

    #[tokio::test]
    async fn one_channel_per_peer_is_kept_until_its_address_changes() {
        let mut factory = NetworkFactory::new(1, settings(), Arc::default());
        factory.new_client(2, &Node::new("127.0.0.1:1")).await;
        factory.new_client(2, &Node::new("127.0.0.1:1")).await;
        factory.new_client(3, &Node::new("127.0.0.1:2")).await;
        assert_eq!(factory.peers.len(), 2);
        factory.new_client(2, &Node::new("127.0.0.1:3")).await;
        assert_eq!(factory.peers.len(), 2);
        assert_eq!(factory.peers[&2].0, "127.0.0.1:3");
    }

    #[test]
    fn grpc_statuses_map_to_openraft_network_errors() {
        let client = PeerClient {
            node_id: 1,
            target: 2,
            target_node: Node::new("127.0.0.1:1"),
            client: Err("unused".to_owned()),
            unreachable_backoff: Duration::from_millis(100),
            contacts: Arc::default(),
        };
        let map = |status| {
            client.status_error::<openraft::error::Infallible>(RPCTypes::Vote, Duration::from_millis(50), status)
        };
        assert!(matches!(map(tonic::Status::unavailable("refused")), RPCError::Unreachable(_)));
        assert!(matches!(map(tonic::Status::deadline_exceeded("late")), RPCError::Timeout(_)));
        assert!(matches!(map(tonic::Status::internal("bug")), RPCError::Network(_)));
        assert!(matches!(map(tonic::Status::invalid_argument("bad")), RPCError::Network(_)));
    }
}
