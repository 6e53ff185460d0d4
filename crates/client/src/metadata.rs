//! The cluster as a Metadata response describes it: brokers, the controller, the cluster id, and topics
//! with their ids, partitions, leaders, leader epochs, replicas and ISR.
//!
//! A [`ClusterMetadata`] is an immutable snapshot; a refresh builds a new one by merging a response into the
//! previous snapshot (topics asked about are replaced, the others kept), so readers never lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use flotilla_model::{ErrorCode, NodeId, TopicId};
use flotilla_protocol::messages::metadata_response::{MetadataResponsePartition, MetadataResponseTopic};
use flotilla_protocol::messages::MetadataResponse;

/// A broker as listed in metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub node_id: NodeId,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, bracketing IPv6 literals.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    pub partition: i32,
    /// Usually NONE; LEADER_NOT_AVAILABLE while no replica leads.
    pub error: ErrorCode,
    /// [`NodeId::NONE`] when there is no leader.
    pub leader: NodeId,
    /// -1 when the broker does not report it (Metadata before v7).
    pub leader_epoch: i32,
    pub replicas: Vec<NodeId>,
    pub isr: Vec<NodeId>,
    pub offline_replicas: Vec<NodeId>,
}

impl PartitionMetadata {
    /// The leader, if there is one.
    pub fn leader(&self) -> Option<NodeId> {
        (self.leader.get() >= 0).then_some(self.leader)
    }
}

/// One topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    pub name: String,
    /// [`TopicId::ZERO`] when the broker does not report ids (Metadata before v10).
    pub topic_id: TopicId,
    /// NONE, or why the topic could not be described (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE...).
    pub error: ErrorCode,
    pub is_internal: bool,
    /// Sorted by partition index.
    pub partitions: Vec<PartitionMetadata>,
}

impl TopicMetadata {
    /// A partition by index.
    pub fn partition(&self, partition: i32) -> Option<&PartitionMetadata> {
        // Partitions are sorted and, in a healthy cluster, dense: try the direct index first.
        match usize::try_from(partition).ok().and_then(|i| self.partitions.get(i)) {
            Some(p) if p.partition == partition => Some(p),
            _ => self.partitions.iter().find(|p| p.partition == partition),
        }
    }

    /// The number of partitions.
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// The replication factor (the first partition's replica count).
    pub fn replication_factor(&self) -> usize {
        self.partitions.first().map_or(0, |p| p.replicas.len())
    }

    /// Whether every partition has a leader.
    pub fn all_leaders_known(&self) -> bool {
        !self.partitions.is_empty() && self.partitions.iter().all(|p| p.leader().is_some())
    }

    fn from_response(topic: &MetadataResponseTopic) -> Option<Self> {
        let name = topic.name.as_ref()?.to_string();
        let mut partitions: Vec<PartitionMetadata> = topic.partitions.iter().map(partition_from_response).collect();
        partitions.sort_by_key(|p| p.partition);
        Some(Self {
            name,
            topic_id: TopicId::new(topic.topic_id),
            error: ErrorCode::from_code(topic.error_code),
            is_internal: topic.is_internal,
            partitions,
        })
    }
}

fn nodes(ids: &[i32]) -> Vec<NodeId> {
    ids.iter().copied().map(NodeId::new).collect()
}

fn partition_from_response(p: &MetadataResponsePartition) -> PartitionMetadata {
    PartitionMetadata {
        partition: p.partition_index,
        error: ErrorCode::from_code(p.error_code),
        leader: NodeId::new(p.leader_id),
        leader_epoch: p.leader_epoch,
        replicas: nodes(&p.replica_nodes),
        isr: nodes(&p.isr_nodes),
        offline_replicas: nodes(&p.offline_replicas),
    }
}

/// A snapshot of the cluster.
#[derive(Debug, Clone)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    /// [`NodeId::NONE`] when unknown.
    pub controller_id: NodeId,
    pub brokers: BTreeMap<NodeId, BrokerInfo>,
    pub topics: HashMap<String, Arc<TopicMetadata>>,
    /// When each topic was last described, for `metadata.max.age.ms`.
    fetched_at: HashMap<String, Instant>,
    /// Counts refreshes, so a caller can tell whether the snapshot changed since it looked.
    pub generation: u64,
}

impl Default for ClusterMetadata {
    fn default() -> Self {
        Self {
            cluster_id: None,
            controller_id: NodeId::NONE,
            brokers: BTreeMap::new(),
            topics: HashMap::new(),
            fetched_at: HashMap::new(),
            generation: 0,
        }
    }
}

/// Which topics a metadata request asked about, which decides what a response replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataTopics {
    /// Brokers and controller only.
    None,
    /// Every topic: the response replaces the whole topic map.
    All,
    /// These topics: they are replaced, others kept.
    Some(Vec<String>),
}

impl ClusterMetadata {
    /// A broker by id.
    pub fn broker(&self, node: NodeId) -> Option<&BrokerInfo> {
        self.brokers.get(&node)
    }

    /// A topic, if described (with whatever error it was described with).
    pub fn topic(&self, name: &str) -> Option<&Arc<TopicMetadata>> {
        self.topics.get(name)
    }

    /// A topic by id.
    pub fn topic_by_id(&self, id: TopicId) -> Option<&Arc<TopicMetadata>> {
        if id == TopicId::ZERO {
            return None;
        }
        self.topics.values().find(|t| t.topic_id == id)
    }

    /// The leader of a partition, if known.
    pub fn leader_for(&self, topic: &str, partition: i32) -> Option<NodeId> {
        self.topic(topic)?.partition(partition)?.leader()
    }

    /// When `topic` was last described.
    pub fn fetched_at(&self, topic: &str) -> Option<Instant> {
        self.fetched_at.get(topic).copied()
    }

    /// The snapshot after `response`, which answered a request for `asked`.
    pub fn merge(&self, response: &MetadataResponse, asked: &MetadataTopics, now: Instant) -> ClusterMetadata {
        let brokers = response
            .brokers
            .iter()
            .map(|b| {
                let node_id = NodeId::new(b.node_id);
                let info = BrokerInfo {
                    node_id,
                    host: b.host.to_string(),
                    port: b.port,
                    rack: b.rack.as_ref().map(ToString::to_string),
                };
                (node_id, info)
            })
            .collect();
        let (mut topics, mut fetched_at) = match asked {
            MetadataTopics::All => (HashMap::new(), HashMap::new()),
            MetadataTopics::None | MetadataTopics::Some(_) => (self.topics.clone(), self.fetched_at.clone()),
        };
        for topic in &response.topics {
            // A topic answered by id only (name null) cannot be keyed; such requests are not made here.
            if let Some(t) = TopicMetadata::from_response(topic) {
                fetched_at.insert(t.name.clone(), now);
                topics.insert(t.name.clone(), Arc::new(t));
            }
        }
        ClusterMetadata {
            cluster_id: response.cluster_id.as_ref().map(ToString::to_string),
            controller_id: NodeId::new(response.controller_id),
            brokers,
            topics,
            fetched_at,
            generation: self.generation + 1,
        }
    }

    /// Forgets a topic, so its next use describes it again.
    pub fn without_topic(&self, topic: &str) -> ClusterMetadata {
        let mut next = self.clone();
        next.topics.remove(topic);
        next.fetched_at.remove(topic);
        next.generation += 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use flotilla_protocol::messages::metadata_response::MetadataResponseBroker;

    use super::*;

    fn response(topics: &[(&str, i32)]) -> MetadataResponse {
        MetadataResponse {
            brokers: vec![MetadataResponseBroker { node_id: 1, host: "h".into(), port: 9092, ..Default::default() }],
            controller_id: 1,
            cluster_id: Some("c".into()),
            topics: topics
                .iter()
                .map(|(name, leader)| MetadataResponseTopic {
                    name: Some((*name).into()),
                    partitions: vec![MetadataResponsePartition {
                        partition_index: 0,
                        leader_id: *leader,
                        replica_nodes: vec![1],
                        isr_nodes: vec![1],
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn merge_replaces_asked_topics_and_keeps_others() {
        let now = Instant::now();
        let m = ClusterMetadata::default().merge(&response(&[("a", 1), ("b", 1)]), &MetadataTopics::All, now);
        assert_eq!(m.leader_for("a", 0), Some(NodeId::new(1)));
        let m = m.merge(&response(&[("a", -1)]), &MetadataTopics::Some(vec!["a".into()]), now);
        assert_eq!(m.leader_for("a", 0), None);
        assert_eq!(m.leader_for("b", 0), Some(NodeId::new(1)));
        assert_eq!(m.generation, 2);
        let m = m.merge(&response(&[("c", 1)]), &MetadataTopics::All, now);
        assert!(m.topic("b").is_none());
        assert_eq!(m.broker(NodeId::new(1)).map(BrokerInfo::address).as_deref(), Some("h:9092"));
    }
}
