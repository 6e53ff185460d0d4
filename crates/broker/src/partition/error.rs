//! Why a partition refused an operation. Kafka error codes are attached at the handler edge
//! (`handlers::partition_error_code`), not here.

use flotilla_model::{LeaderEpoch, NodeId};
use flotilla_storage::producer_state::{ProducerStateError, SnapshotError};
use flotilla_storage::StorageError;
use thiserror::Error;

/// A partition-level failure of an append, a read or an offset lookup.
#[derive(Debug, Error)]
pub enum PartitionError {
    /// This broker does not lead the partition (or no longer does). Carries who does, as far as
    /// the last applied metadata says, for the `current_leader` fields of KIP-951.
    #[error("this broker is not the leader (leader {leader}, epoch {leader_epoch})")]
    NotLeader { leader: NodeId, leader_epoch: LeaderEpoch },

    /// A follower fetch from a broker that is not a replica of the partition (its metadata is stale or
    /// the replica was reassigned away); it refreshes its metadata as after NOT_LEADER_OR_FOLLOWER.
    #[error("broker {replica} is not a replica of this partition")]
    NotReplica { replica: NodeId },

    /// acks=all while the ISR is smaller than `min.insync.replicas`: refused before appending.
    #[error("the ISR has {isr} replicas, fewer than min.insync.replicas={min_insync_replicas}")]
    NotEnoughReplicas { isr: usize, min_insync_replicas: usize },

    /// The records were written and reached the high watermark, but the ISR shrank below
    /// `min.insync.replicas` meanwhile.
    #[error("written, but the ISR shrank to {isr} replicas, fewer than min.insync.replicas={min_insync_replicas}")]
    NotEnoughReplicasAfterAppend { isr: usize, min_insync_replicas: usize },

    /// The client's `current_leader_epoch` is older than ours.
    #[error("leader epoch {requested} is older than the current epoch {current}")]
    FencedLeaderEpoch { requested: LeaderEpoch, current: LeaderEpoch },

    /// The client's `current_leader_epoch` is newer than ours: our metadata is behind.
    #[error("leader epoch {requested} is newer than the current epoch {current}")]
    UnknownLeaderEpoch { requested: LeaderEpoch, current: LeaderEpoch },

    /// A new leader whose high watermark has not yet reached the start of its epoch cannot answer
    /// offset lookups for consumers (Kafka's OFFSET_NOT_AVAILABLE).
    #[error("the high watermark has not reached the start of the current leader epoch")]
    OffsetNotAvailable,

    /// The log refused or failed (bad batch, offset out of range, I/O error, log dir offline, ...).
    #[error(transparent)]
    Storage(#[from] StorageError),

    /// Idempotent producer state refused the batch (sequence gap, fenced epoch, ...).
    #[error(transparent)]
    ProducerState(#[from] ProducerStateError),

    /// A producer state snapshot could not be written.
    #[error("producer snapshot: {0}")]
    ProducerSnapshot(#[from] SnapshotError),
}
