//! The metadata log's vocabulary: every change to cluster metadata is one of these records. A batch of
//! records is committed atomically at one [`LogPosition`]; [`crate::MetadataDelta`] applies them.

mod broker;
mod cluster;
mod config;
mod partition;
mod producer_ids;
mod topic;
pub(crate) mod wire;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use broker::{
    BrokerControlledShutdownRecord, BrokerEpoch, Endpoint, FenceBrokerRecord, RegisterBrokerRecord, SecurityProtocol,
    UnfenceBrokerRecord, UnregisterBrokerRecord,
};
pub use cluster::{ClusterIdRecord, FeatureLevelRecord};
pub use config::{ConfigRecord, ConfigResource, ConfigResourceType};
pub use partition::{PartitionChangeRecord, PartitionRecord};
pub use producer_ids::ProducerIdsRecord;
pub use topic::{RemoveTopicRecord, TopicRecord};

/// One change to cluster metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataRecord {
    ClusterId(ClusterIdRecord),
    FeatureLevel(FeatureLevelRecord),
    RegisterBroker(RegisterBrokerRecord),
    UnregisterBroker(UnregisterBrokerRecord),
    FenceBroker(FenceBrokerRecord),
    UnfenceBroker(UnfenceBrokerRecord),
    BrokerControlledShutdown(BrokerControlledShutdownRecord),
    Topic(TopicRecord),
    RemoveTopic(RemoveTopicRecord),
    Partition(PartitionRecord),
    PartitionChange(PartitionChangeRecord),
    Config(ConfigRecord),
    ProducerIds(ProducerIdsRecord),
}

impl MetadataRecord {
    /// The record type's name, for logs and errors.
    pub const fn kind(&self) -> &'static str {
        match self {
            MetadataRecord::ClusterId(_) => "ClusterId",
            MetadataRecord::FeatureLevel(_) => "FeatureLevel",
            MetadataRecord::RegisterBroker(_) => "RegisterBroker",
            MetadataRecord::UnregisterBroker(_) => "UnregisterBroker",
            MetadataRecord::FenceBroker(_) => "FenceBroker",
            MetadataRecord::UnfenceBroker(_) => "UnfenceBroker",
            MetadataRecord::BrokerControlledShutdown(_) => "BrokerControlledShutdown",
            MetadataRecord::Topic(_) => "Topic",
            MetadataRecord::RemoveTopic(_) => "RemoveTopic",
            MetadataRecord::Partition(_) => "Partition",
            MetadataRecord::PartitionChange(_) => "PartitionChange",
            MetadataRecord::Config(_) => "Config",
            MetadataRecord::ProducerIds(_) => "ProducerIds",
        }
    }
}

/// Where a batch sits in the metadata log: its offset (the raft log index) and the epoch (raft term) of the
/// leader that wrote it. Ordered by offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct LogPosition {
    pub offset: u64,
    pub epoch: u64,
}

impl LogPosition {
    pub const fn new(offset: u64, epoch: u64) -> Self {
        Self { offset, epoch }
    }
}

impl fmt::Display for LogPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.offset, self.epoch)
    }
}

/// Records committed together at one position: a controller decision's whole output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataBatch {
    pub position: LogPosition,
    pub records: Vec<MetadataRecord>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, ProducerId, TopicId, TopicName};

    use super::*;

    fn sample_records() -> Vec<MetadataRecord> {
        let topic_id = TopicId::new(uuid::Uuid::from_u128(7));
        vec![
            MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: "MkU3OEVBNTcwNTJENDM2Qk".into() }),
            MetadataRecord::FeatureLevel(FeatureLevelRecord { name: "metadata.version".into(), level: 27 }),
            MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                broker_id: NodeId::new(1),
                incarnation_id: uuid::Uuid::from_u128(9),
                endpoints: vec![Endpoint {
                    listener: "PLAINTEXT".into(),
                    host: "broker-1".into(),
                    port: 9092,
                    security_protocol: SecurityProtocol::Plaintext,
                }],
                rack: Some("r1".into()),
                fenced: true,
            }),
            MetadataRecord::UnfenceBroker(UnfenceBrokerRecord {
                broker_id: NodeId::new(1),
                broker_epoch: BrokerEpoch::new(4),
            }),
            MetadataRecord::Topic(TopicRecord { name: TopicName::new("orders").unwrap(), topic_id }),
            MetadataRecord::Partition(PartitionRecord {
                topic_id,
                partition: PartitionIndex::new(0),
                replicas: vec![NodeId::new(1)],
                isr: vec![NodeId::new(1)],
                adding_replicas: vec![],
                removing_replicas: vec![],
                leader: NodeId::new(1),
                leader_epoch: LeaderEpoch::new(0),
                partition_epoch: PartitionEpoch::new(0),
                eligible_leader_replicas: None,
                last_known_elr: Some(vec![]),
            }),
            MetadataRecord::PartitionChange(PartitionChangeRecord {
                leader: Some(NodeId::NONE),
                ..PartitionChangeRecord::new(topic_id, PartitionIndex::new(0), PartitionEpoch::new(0))
            }),
            MetadataRecord::Config(ConfigRecord {
                resource: ConfigResource::topic("orders"),
                key: "retention.ms".into(),
                value: None,
            }),
            MetadataRecord::ProducerIds(ProducerIdsRecord {
                broker_id: NodeId::new(1),
                broker_epoch: BrokerEpoch::new(4),
                first_producer_id: ProducerId::new(0),
                size: 1000,
            }),
            MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id }),
        ]
    }

    #[test]
    fn records_round_trip_through_serde() {
        let batch = MetadataBatch { position: LogPosition::new(12, 3), records: sample_records() };
        let json = serde_json::to_string(&batch).unwrap();
        let back: MetadataBatch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, batch);
    }

    #[test]
    fn illegal_topic_name_is_rejected_on_deserialize() {
        let json = r#"{"Topic":{"name":"bad name","topic_id":"00000000-0000-0000-0000-000000000007"}}"#;
        let err = serde_json::from_str::<MetadataRecord>(json).unwrap_err();
        assert!(err.to_string().contains("illegal"), "{err}");
    }

    #[test]
    fn wire_ids_are_stable() {
        for p in [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ] {
            assert_eq!(SecurityProtocol::from_id(p.id()), Some(p));
        }
        assert_eq!(ConfigResourceType::from_id(2), Some(ConfigResourceType::Topic));
        assert_eq!(ConfigResourceType::from_id(4), Some(ConfigResourceType::Broker));
        assert_eq!(ConfigResourceType::from_id(1), None);
    }
}
