//! The openraft type configuration: what a node id, a node and a log entry are.
//!
//! Node ids are `u64` inside Raft and Kafka's `node.id` (`i32`, never negative) outside;
//! [`node_id_from_kafka`] and [`kafka_node_id`] are the only places the two meet.

use std::fmt;
use std::io::Cursor;

use serde::Deserialize;
use serde::Serialize;

/// A Raft node id. Equal in value to the Kafka `node.id` of the controller.
pub type NodeId = u64;

/// What Raft knows about a voter: the `host:port` of its controller listener, where its gRPC
/// [`RaftService`](crate::proto::raft_service_server::RaftService) answers.
pub type Node = openraft::BasicNode;

openraft::declare_raft_types!(
    /// Flotilla's openraft type configuration: log entries carry opaque [`Command`] bytes and the
    /// state machine answers each with opaque [`CommandResponse`] bytes.
    pub TypeConfig:
        D = Command,
        R = CommandResponse,
        NodeId = NodeId,
        Node = Node,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The openraft handle of this type configuration.
pub type Raft = openraft::Raft<TypeConfig>;
/// A log id: the term (and leader) that wrote an entry, and its index.
pub type LogId = openraft::LogId<NodeId>;
/// A log entry of this type configuration.
pub type Entry = openraft::Entry<TypeConfig>;

/// A command replicated through the log, opaque to this crate: the embedding state machine
/// decodes it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command(pub Vec<u8>);

/// What the state machine answered to a command, opaque to this crate. It travels only from the
/// state machine to the caller of `client_write` on the same node, never over the network.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandResponse(pub Vec<u8>);

// The bytes are the embedding crate's business and may be large: log their size only.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({} bytes)", self.0.len())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl fmt::Debug for CommandResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandResponse({} bytes)", self.0.len())
    }
}

/// The Raft node id of a Kafka `node.id`; `None` for a negative id, which Kafka never assigns to a
/// controller.
pub fn node_id_from_kafka(kafka_node_id: i32) -> Option<NodeId> {
    u64::try_from(kafka_node_id).ok()
}

/// The Kafka `node.id` of a Raft node id; `None` if it does not fit (no node started through
/// [`node_id_from_kafka`] has such an id).
pub fn kafka_node_id(node_id: NodeId) -> Option<i32> {
    i32::try_from(node_id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_node_ids_round_trip_and_reject_negatives() {
        for id in [0, 1, 3000, i32::MAX] {
            assert_eq!(node_id_from_kafka(id).and_then(kafka_node_id), Some(id));
        }
        assert_eq!(node_id_from_kafka(-1), None);
        assert_eq!(kafka_node_id(u64::from(u32::MAX)), None);
    }

    #[test]
    fn debug_shows_sizes_not_bytes() {
        assert_eq!(format!("{:?}", Command(vec![1, 2, 3])), "Command(3 bytes)");
        assert_eq!(format!("{:?}", CommandResponse(vec![])), "CommandResponse(0 bytes)");
    }
}
