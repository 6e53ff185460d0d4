//! [`MetadataImage`]: everything the metadata log says at one position, immutable and cheap to clone
//! (each part is behind an `Arc` and is copied only when a [`crate::MetadataDelta`] changes it).

mod brokers;
mod cluster;
mod configs;
mod producer_ids;
mod topics;

use std::collections::BTreeMap;
use std::sync::Arc;

use flotilla_model::{NodeId, PartitionIndex, TopicId};

pub use brokers::{BrokerRegistration, BrokersImage};
pub use cluster::ClusterImage;
pub use configs::ConfigsImage;
pub use producer_ids::ProducerIdsImage;
pub use topics::{PartitionRegistration, TopicImage, TopicsImage};

use crate::records::LogPosition;

/// Cluster metadata as of one position in the metadata log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataImage {
    pub(crate) position: LogPosition,
    pub(crate) cluster: Arc<ClusterImage>,
    pub(crate) brokers: Arc<BrokersImage>,
    pub(crate) topics: Arc<TopicsImage>,
    pub(crate) configs: Arc<ConfigsImage>,
    pub(crate) producer_ids: ProducerIdsImage,
}

impl MetadataImage {
    /// The image of an empty log.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The last batch applied (offset 0, epoch 0 for the empty image).
    pub fn position(&self) -> LogPosition {
        self.position
    }

    pub fn cluster(&self) -> &ClusterImage {
        &self.cluster
    }

    pub fn brokers(&self) -> &BrokersImage {
        &self.brokers
    }

    pub fn topics(&self) -> &TopicsImage {
        &self.topics
    }

    pub fn configs(&self) -> &ConfigsImage {
        &self.configs
    }

    pub fn producer_ids(&self) -> &ProducerIdsImage {
        &self.producer_ids
    }

    /// A partition's leader and ISR, or `None` if the topic or partition does not exist.
    pub fn leader_and_isr(&self, topic: TopicId, partition: PartitionIndex) -> Option<(NodeId, &[NodeId])> {
        self.topics.partition(topic, partition).map(|p| (p.leader, p.isr.as_slice()))
    }

    /// The partitions `broker` leads, in topic id then partition order.
    pub fn partitions_led_by(&self, broker: NodeId) -> Vec<(TopicId, PartitionIndex)> {
        self.topics.led_by(broker).map(|(t, index, _)| (t.id(), index)).collect()
    }

    /// Brokers that are registered and unfenced.
    pub fn live_brokers(&self) -> Vec<&BrokerRegistration> {
        self.brokers.unfenced().collect()
    }

    /// A topic's config overrides (empty when it has none). Defaults are the config crate's business.
    pub fn topic_config_overrides(&self, topic: &str) -> BTreeMap<String, String> {
        self.configs.topic_overrides(topic).cloned().unwrap_or_default()
    }
}
