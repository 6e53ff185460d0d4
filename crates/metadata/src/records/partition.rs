//! A partition's registration (replicas, ISR, leader, epochs) and the changes to it.
//!
//! Epochs follow KRaft: a [`PartitionChangeRecord`] that sets a leader bumps the leader epoch and the
//! partition epoch; any other change (ISR, replicas, ELR) bumps the partition epoch only. A change names
//! the partition epoch it was computed against, so a change decided on a stale view is rejected on apply.

use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId};
use serde::{Deserialize, Serialize};

use super::wire;

/// A new partition, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRecord {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    /// All replicas, the preferred leader first.
    #[serde(with = "wire::vec")]
    pub replicas: Vec<NodeId>,
    #[serde(with = "wire::vec")]
    pub isr: Vec<NodeId>,
    /// Replicas being added by a reassignment (a subset of `replicas`).
    #[serde(with = "wire::vec")]
    pub adding_replicas: Vec<NodeId>,
    /// Replicas being removed by a reassignment (a subset of `replicas`).
    #[serde(with = "wire::vec")]
    pub removing_replicas: Vec<NodeId>,
    /// [`NodeId::NONE`] when the partition is offline.
    #[serde(with = "wire")]
    pub leader: NodeId,
    #[serde(with = "wire")]
    pub leader_epoch: LeaderEpoch,
    #[serde(with = "wire")]
    pub partition_epoch: PartitionEpoch,
    /// KIP-966 eligible leader replicas; `None` while ELR is not enabled.
    #[serde(with = "wire::option_vec")]
    pub eligible_leader_replicas: Option<Vec<NodeId>>,
    /// KIP-966 last known ELR; `None` while ELR is not enabled.
    #[serde(with = "wire::option_vec")]
    pub last_known_elr: Option<Vec<NodeId>>,
}

/// A change to an existing partition. `None` fields are unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionChangeRecord {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    /// The partition epoch this change was decided against; the change is rejected unless it is current.
    #[serde(with = "wire")]
    pub partition_epoch: PartitionEpoch,
    #[serde(with = "wire::option_vec")]
    pub isr: Option<Vec<NodeId>>,
    /// A new leader ([`NodeId::NONE`] takes the partition offline). Bumps the leader epoch.
    #[serde(with = "wire::option")]
    pub leader: Option<NodeId>,
    #[serde(with = "wire::option_vec")]
    pub replicas: Option<Vec<NodeId>>,
    #[serde(with = "wire::option_vec")]
    pub adding_replicas: Option<Vec<NodeId>>,
    #[serde(with = "wire::option_vec")]
    pub removing_replicas: Option<Vec<NodeId>>,
    #[serde(with = "wire::option_vec")]
    pub eligible_leader_replicas: Option<Vec<NodeId>>,
    #[serde(with = "wire::option_vec")]
    pub last_known_elr: Option<Vec<NodeId>>,
}

impl PartitionChangeRecord {
    /// A change of nothing yet, against `partition_epoch`.
    pub fn new(topic_id: TopicId, partition: PartitionIndex, partition_epoch: PartitionEpoch) -> Self {
        Self {
            topic_id,
            partition,
            partition_epoch,
            isr: None,
            leader: None,
            replicas: None,
            adding_replicas: None,
            removing_replicas: None,
            eligible_leader_replicas: None,
            last_known_elr: None,
        }
    }

    /// True when the record would change nothing but the partition epoch.
    pub fn is_empty(&self) -> bool {
        self.isr.is_none()
            && self.leader.is_none()
            && self.replicas.is_none()
            && self.adding_replicas.is_none()
            && self.removing_replicas.is_none()
            && self.eligible_leader_replicas.is_none()
            && self.last_known_elr.is_none()
    }
}
