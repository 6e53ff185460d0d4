//! Errors of this crate: [`Error`] for callers of the node facade, [`StoreError`] for the RocksDB
//! storage. openraft's own error types are mapped into these at the facade and storage edges.

use openraft::error::CheckIsLeaderError;
use openraft::error::ClientWriteError;
use openraft::error::Fatal;
use openraft::error::ForwardToLeader;
use openraft::error::RaftError;

use crate::type_config::Node;
use crate::type_config::NodeId;

/// An error from a [`RaftNode`](crate::RaftNode) operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This node is not the leader. Retry on the named leader, if one is known.
    #[error("not the controller quorum leader; the leader is {}", display_leader(*.leader_id, .leader_addr.as_deref()))]
    ForwardToLeader {
        /// The leader this node knows of.
        leader_id: Option<NodeId>,
        /// The controller listener address of that leader.
        leader_addr: Option<String>,
    },
    /// The leader could not confirm its leadership with a quorum of voters.
    #[error("no quorum confirmed the leadership: {0}")]
    QuorumNotEnough(String),
    /// A membership change is in progress or was refused.
    #[error("membership change refused: {0}")]
    ChangeMembership(String),
    /// The Raft node has stopped (after `shutdown` or a fatal error).
    #[error("the raft node is stopped")]
    Stopped,
    /// The Raft node stopped on an unrecoverable error, such as a storage failure.
    #[error("the raft node failed: {0}")]
    Fatal(String),
    /// Opening or reading the node's storage failed.
    #[error("raft storage: {0}")]
    Storage(#[from] StoreError),
    /// The options given to `RaftNode::start` are unusable.
    #[error("invalid raft configuration: {0}")]
    InvalidConfig(String),
    /// The node did not finish stopping in time.
    #[error("the raft node did not stop within {seconds} s: {what}")]
    ShutdownTimeout {
        /// What was still running.
        what: &'static str,
        /// How long we waited.
        seconds: u64,
    },
}

fn display_leader(leader_id: Option<NodeId>, leader_addr: Option<&str>) -> String {
    match (leader_id, leader_addr) {
        (Some(id), Some(addr)) => format!("node {id} at {addr}"),
        (Some(id), None) => format!("node {id}"),
        (None, _) => "unknown".to_owned(),
    }
}

impl From<ForwardToLeader<NodeId, Node>> for Error {
    fn from(e: ForwardToLeader<NodeId, Node>) -> Self {
        Error::ForwardToLeader { leader_id: e.leader_id, leader_addr: e.leader_node.map(|node| node.addr) }
    }
}

impl From<Fatal<NodeId>> for Error {
    fn from(e: Fatal<NodeId>) -> Self {
        match e {
            Fatal::Stopped => Error::Stopped,
            other => Error::Fatal(other.to_string()),
        }
    }
}

impl From<RaftError<NodeId, ClientWriteError<NodeId, Node>>> for Error {
    fn from(e: RaftError<NodeId, ClientWriteError<NodeId, Node>>) -> Self {
        match e {
            RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => f.into(),
            RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => Error::ChangeMembership(c.to_string()),
            RaftError::Fatal(f) => f.into(),
        }
    }
}

impl From<RaftError<NodeId, CheckIsLeaderError<NodeId, Node>>> for Error {
    fn from(e: RaftError<NodeId, CheckIsLeaderError<NodeId, Node>>) -> Self {
        match e {
            RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)) => f.into(),
            RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(q)) => Error::QuorumNotEnough(q.to_string()),
            RaftError::Fatal(f) => f.into(),
        }
    }
}

/// An error of the RocksDB-backed Raft storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("rocksdb: {0}")]
    RocksDb(#[from] rocksdb::Error),
    /// A value could not be encoded or decoded.
    #[error(transparent)]
    Codec(#[from] crate::codec::CodecError),
    /// The database lacks a column family it was opened with.
    #[error("column family {0} is missing")]
    MissingColumnFamily(&'static str),
    /// The log is inconsistent with itself.
    #[error("corrupt raft log: {0}")]
    CorruptLog(String),
    /// The state machine rejected the stored snapshot.
    #[error(transparent)]
    Snapshot(#[from] crate::state_machine::SnapshotRestoreError),
    /// A blocking storage task could not complete.
    #[error("storage task failed: {0}")]
    Task(String),
}
