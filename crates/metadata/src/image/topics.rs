//! Topics by name and id, and their partitions.

use std::collections::BTreeMap;
use std::sync::Arc;

use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId, TopicName};

/// A partition's registration: who holds it, who leads it, and the epochs that order its changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRegistration {
    /// All replicas, the preferred leader first.
    pub replicas: Vec<NodeId>,
    pub isr: Vec<NodeId>,
    pub adding_replicas: Vec<NodeId>,
    pub removing_replicas: Vec<NodeId>,
    /// [`NodeId::NONE`] when offline.
    pub leader: NodeId,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub eligible_leader_replicas: Option<Vec<NodeId>>,
    pub last_known_elr: Option<Vec<NodeId>>,
}

impl PartitionRegistration {
    /// The first replica: where leadership goes back to on a preferred election.
    pub fn preferred_replica(&self) -> Option<NodeId> {
        self.replicas.first().copied()
    }

    pub fn has_leader(&self) -> bool {
        self.leader != NodeId::NONE
    }

    pub fn is_replica(&self, broker: NodeId) -> bool {
        self.replicas.contains(&broker)
    }

    pub fn in_isr(&self, broker: NodeId) -> bool {
        self.isr.contains(&broker)
    }

    /// Why this registration is malformed, if it is: replicas empty or repeated, ISR or reassignment sets
    /// outside the replicas, a leader outside the ISR, negative epochs.
    pub(crate) fn shape_error(&self) -> Option<String> {
        fn has_duplicates(ids: &[NodeId]) -> bool {
            ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id))
        }
        if self.replicas.is_empty() {
            return Some("no replicas".into());
        }
        if self.replicas.iter().any(|r| r.get() < 0) || has_duplicates(&self.replicas) {
            return Some(format!("replicas {:?} are not distinct broker ids", self.replicas));
        }
        for (name, set) in
            [("isr", &self.isr), ("adding", &self.adding_replicas), ("removing", &self.removing_replicas)]
        {
            if has_duplicates(set) || !set.iter().all(|b| self.replicas.contains(b)) {
                return Some(format!("{name} {set:?} is not a set of replicas {:?}", self.replicas));
            }
        }
        if self.leader != NodeId::NONE && !self.isr.contains(&self.leader) {
            return Some(format!("leader {} is not in isr {:?}", self.leader, self.isr));
        }
        if self.leader_epoch.get() < 0 || self.partition_epoch.get() < 0 {
            return Some("negative epoch".into());
        }
        None
    }
}

/// One topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicImage {
    pub(crate) name: TopicName,
    pub(crate) id: TopicId,
    pub(crate) partitions: BTreeMap<PartitionIndex, PartitionRegistration>,
}

impl TopicImage {
    pub fn name(&self) -> &TopicName {
        &self.name
    }

    pub fn id(&self) -> TopicId {
        self.id
    }

    pub fn partition(&self, partition: PartitionIndex) -> Option<&PartitionRegistration> {
        self.partitions.get(&partition)
    }

    /// Partitions in index order.
    pub fn partitions(&self) -> impl Iterator<Item = (PartitionIndex, &PartitionRegistration)> {
        self.partitions.iter().map(|(index, p)| (*index, p))
    }

    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }
}

/// All topics. Each topic is shared between images until a record changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicsImage {
    pub(crate) by_id: BTreeMap<TopicId, Arc<TopicImage>>,
    pub(crate) by_name: BTreeMap<TopicName, TopicId>,
}

impl TopicsImage {
    pub fn by_id(&self, id: TopicId) -> Option<&TopicImage> {
        self.by_id.get(&id).map(Arc::as_ref)
    }

    pub fn by_name(&self, name: &str) -> Option<&TopicImage> {
        // TopicName orders as its string, so a borrowed lookup would do; names from outside are checked first.
        let name = TopicName::new(name).ok()?;
        self.by_name.get(&name).and_then(|id| self.by_id(*id))
    }

    pub fn id_of(&self, name: &TopicName) -> Option<TopicId> {
        self.by_name.get(name).copied()
    }

    /// Topics in id order.
    pub fn iter(&self) -> impl Iterator<Item = &TopicImage> {
        self.by_id.values().map(Arc::as_ref)
    }

    /// Topics in name order.
    pub fn iter_by_name(&self) -> impl Iterator<Item = &TopicImage> {
        self.by_name.values().filter_map(|id| self.by_id(*id))
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn partition(&self, topic: TopicId, partition: PartitionIndex) -> Option<&PartitionRegistration> {
        self.by_id(topic)?.partition(partition)
    }

    /// Every partition of every topic.
    pub fn all_partitions(&self) -> impl Iterator<Item = (&TopicImage, PartitionIndex, &PartitionRegistration)> {
        self.iter().flat_map(|t| t.partitions().map(move |(index, p)| (t, index, p)))
    }

    /// The partitions `broker` leads.
    pub fn led_by(
        &self,
        broker: NodeId,
    ) -> impl Iterator<Item = (&TopicImage, PartitionIndex, &PartitionRegistration)> {
        self.all_partitions().filter(move |(_, _, p)| p.leader == broker)
    }

    /// The partitions whose ISR holds `broker`.
    pub fn with_isr_member(
        &self,
        broker: NodeId,
    ) -> impl Iterator<Item = (&TopicImage, PartitionIndex, &PartitionRegistration)> {
        self.all_partitions().filter(move |(_, _, p)| p.in_isr(broker))
    }

    /// Partitions without a leader.
    pub fn offline(&self) -> impl Iterator<Item = (&TopicImage, PartitionIndex, &PartitionRegistration)> {
        self.all_partitions().filter(|(_, _, p)| !p.has_leader())
    }
}
