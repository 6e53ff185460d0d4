//! What the metadata image asks of this broker: one [`Assignment`] per partition that lists it as a
//! replica, with the leader, epochs and ISR the image holds. Pure.

use flotilla_metadata::MetadataImage;
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, TopicId, TopicPartition};

/// The part this broker plays in one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    /// A replica that follows `leader` ([`NodeId::NONE`] while the partition is offline).
    Follower,
}

/// A partition this broker holds a replica of, as the image describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub topic_partition: TopicPartition,
    pub topic_id: TopicId,
    /// All replicas, the preferred leader first.
    pub replicas: Vec<NodeId>,
    pub isr: Vec<NodeId>,
    pub leader: NodeId,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
}

impl Assignment {
    /// The role `node` plays.
    pub fn role_of(&self, node: NodeId) -> Role {
        if self.leader == node {
            Role::Leader
        } else {
            Role::Follower
        }
    }
}

/// Every partition of `image` with a replica on `node`, in topic id then partition order.
pub fn local_assignments(image: &MetadataImage, node: NodeId) -> Vec<Assignment> {
    image
        .topics()
        .all_partitions()
        .filter(|(_, _, p)| p.is_replica(node))
        .map(|(topic, index, p)| Assignment {
            topic_partition: TopicPartition::new(topic.name().clone(), index),
            topic_id: topic.id(),
            replicas: p.replicas.clone(),
            isr: p.isr.clone(),
            leader: p.leader,
            leader_epoch: p.leader_epoch,
            partition_epoch: p.partition_epoch,
        })
        .collect()
}
