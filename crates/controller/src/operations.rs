//! The controller's operations: a request and a reply type for each, as plain data with serde, so
//! the same types serve the in-process path ([`crate::ControllerHandle`]) and the gRPC payloads
//! ([`crate::RemoteController`]). The metadata crate's decisions take their own request types; the
//! conversions to and from them are here, next to the types.
//!
//! A refusal of a whole request is a [`ControllerError`](crate::ControllerError); the refusal of
//! one item (a topic, a partition, a config resource) is an [`ApiError`] in that item's result,
//! as Kafka answers per item.

use std::collections::BTreeMap;

use flotilla_metadata::controller::{brokers, configs, partitions, producer_ids, reassignment, topics};
use flotilla_metadata::{BrokerEpoch, ConfigResource, Endpoint};
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, ProducerId, TopicId};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::wire;

// ----- Brokers -----

/// BrokerRegistration: a broker incarnation joins the cluster, fenced until it catches up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRegistrationRequest {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    /// Must match the cluster's id (INCONSISTENT_CLUSTER_ID otherwise).
    pub cluster_id: String,
    /// Random per process start.
    pub incarnation_id: uuid::Uuid,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRegistrationReply {
    /// The offset of the batch that registered this incarnation; later requests carry it.
    pub broker_epoch: BrokerEpoch,
}

/// BrokerHeartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerHeartbeatRequest {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
    /// The offset of the last metadata batch the broker has applied (its image's position).
    pub current_metadata_offset: i64,
    pub want_fence: bool,
    pub want_shutdown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerHeartbeatReply {
    /// The broker has applied the metadata log up to its own registration (Kafka's rule for
    /// unfencing).
    pub is_caught_up: bool,
    pub is_fenced: bool,
    pub should_shut_down: bool,
    /// The offset of the last batch the controller has applied, for the broker to see how far
    /// behind it is.
    pub controller_metadata_offset: u64,
}

/// UnregisterBroker: the broker leaves for good; its leaderships and ISR places move away first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnregisterBrokerRequest {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
}

// ----- Partitions -----

/// AlterPartition: a leader proposes ISR changes at the epochs it knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterPartitionRequest {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
    pub partitions: Vec<AlterPartitionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterPartitionItem {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    #[serde(with = "wire")]
    pub leader_epoch: LeaderEpoch,
    #[serde(with = "wire")]
    pub partition_epoch: PartitionEpoch,
    pub new_isr: Vec<IsrMember>,
}

/// A member of a proposed ISR, with its broker epoch when the request carries it (v3+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsrMember {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: Option<BrokerEpoch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterPartitionResult {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    /// The partition's state once the change is committed.
    pub result: Result<PartitionState, ApiError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionState {
    #[serde(with = "wire")]
    pub leader: NodeId,
    #[serde(with = "wire")]
    pub leader_epoch: LeaderEpoch,
    #[serde(with = "wire::vec")]
    pub isr: Vec<NodeId>,
    #[serde(with = "wire")]
    pub partition_epoch: PartitionEpoch,
}

/// Kafka's election types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElectionType {
    /// Move leadership back to the first replica.
    Preferred,
    /// Give an offline partition a leader, from outside the ISR if need be.
    Unclean,
}

/// ElectLeaders; `partitions: None` means every partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectLeadersRequest {
    pub election_type: ElectionType,
    pub partitions: Option<Vec<PartitionRef>>,
}

/// A partition by topic name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRef {
    pub topic: String,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionResult {
    pub topic: String,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    pub result: Result<(), ApiError>,
}

/// AlterPartitionReassignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterPartitionReassignmentsRequest {
    pub partitions: Vec<PartitionReassignment>,
    /// False (v1 of the request, KIP-860) refuses targets of another size than the current replicas.
    pub allow_replication_factor_change: bool,
}

/// One partition's target replicas; `None` cancels its reassignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReassignment {
    pub topic: String,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    #[serde(with = "wire::option_vec")]
    pub replicas: Option<Vec<NodeId>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignmentResult {
    pub topic: String,
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    pub result: Result<(), ApiError>,
}

// ----- Topics -----

/// CreateTopics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTopicsRequest {
    pub topics: Vec<CreatableTopic>,
    /// Check everything and report what would be created, without creating it.
    pub validate_only: bool,
}

/// One topic to create. -1 partitions or replication factor means the broker default; with
/// `assignments`, both must be -1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatableTopic {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub assignments: Vec<ReplicaAssignment>,
    /// Config overrides; a `None` value is refused, as Kafka does.
    pub configs: Vec<(String, Option<String>)>,
}

impl CreatableTopic {
    /// A topic with placed replicas and no config overrides.
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i16) -> Self {
        Self { name: name.into(), num_partitions, replication_factor, assignments: Vec::new(), configs: Vec::new() }
    }
}

/// A manual assignment of one partition's replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaAssignment {
    #[serde(with = "wire")]
    pub partition: PartitionIndex,
    #[serde(with = "wire::vec")]
    pub broker_ids: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTopicResult {
    pub name: String,
    pub result: Result<CreatedTopic, ApiError>,
}

/// What was (or, validating only, would be) created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedTopic {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
}

/// DeleteTopics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTopicsRequest {
    pub topics: Vec<TopicRef>,
}

/// A topic by name or by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TopicRef {
    Name(String),
    Id(#[serde(with = "wire")] TopicId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteTopicResult {
    pub topic: TopicRef,
    /// The topic's name and id, when it was found.
    pub name: Option<String>,
    #[serde(with = "wire::option")]
    pub topic_id: Option<TopicId>,
    pub result: Result<(), ApiError>,
}

/// CreatePartitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePartitionsRequest {
    pub topics: Vec<CreatePartitionsTopic>,
    pub validate_only: bool,
}

/// One topic to grow to `count` partitions, optionally with the replicas of each new partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePartitionsTopic {
    pub name: String,
    pub count: i32,
    #[serde(with = "wire::option_vec_vec")]
    pub assignments: Option<Vec<Vec<NodeId>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePartitionsResult {
    pub name: String,
    pub result: Result<(), ApiError>,
}

// ----- Configs -----

/// IncrementalAlterConfigs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncrementalAlterConfigsRequest {
    pub resources: Vec<AlterConfigsResource>,
    pub validate_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterConfigsResource {
    pub resource: ConfigResource,
    pub entries: Vec<AlterConfigEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterConfigEntry {
    pub key: String,
    pub op: AlterConfigOp,
}

/// Kafka's `AlterConfigOp.OpType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlterConfigOp {
    Set(String),
    Delete,
    Append(String),
    Subtract(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterConfigsResult {
    pub resource: ConfigResource,
    pub result: Result<(), ApiError>,
}

// ----- Producer ids -----

/// AllocateProducerIds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocateProducerIdsRequest {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
}

/// The producer ids `first_producer_id .. first_producer_id + size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerIdBlock {
    #[serde(with = "wire")]
    pub first_producer_id: ProducerId,
    pub size: i64,
}

// ----- The quorum -----

/// DescribeQuorum: the metadata quorum as the active controller sees it (what `kafka-metadata-quorum
/// describe` shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeQuorumRequest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumDescription {
    pub leader_id: i32,
    /// The raft term: KRaft's leader epoch.
    pub leader_epoch: i32,
    /// The offset after the last committed entry.
    pub high_watermark: i64,
    pub voters: Vec<VoterProgress>,
    /// Brokers that follow the metadata without voting (broker-only nodes).
    pub observers: Vec<VoterProgress>,
}

/// One voter's replication of the metadata log, as the leader tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterProgress {
    pub node_id: i32,
    /// The offset after the last entry the leader knows the voter has (-1: unknown).
    pub log_end_offset: i64,
    /// When the leader last heard from it, in milliseconds since the epoch (-1: unknown).
    pub last_fetch_timestamp_ms: i64,
    /// When it last had everything the leader had (-1: unknown).
    pub last_caught_up_timestamp_ms: i64,
}

// ----- Every operation -----

/// Any controller operation: what the controller task queues and the gRPC service routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    RegisterBroker(BrokerRegistrationRequest),
    BrokerHeartbeat(BrokerHeartbeatRequest),
    UnregisterBroker(UnregisterBrokerRequest),
    AlterPartition(AlterPartitionRequest),
    ElectLeaders(ElectLeadersRequest),
    AlterPartitionReassignments(AlterPartitionReassignmentsRequest),
    CreateTopics(CreateTopicsRequest),
    DeleteTopics(DeleteTopicsRequest),
    CreatePartitions(CreatePartitionsRequest),
    IncrementalAlterConfigs(IncrementalAlterConfigsRequest),
    AllocateProducerIds(AllocateProducerIdsRequest),
    DescribeQuorum(DescribeQuorumRequest),
}

impl Operation {
    /// The operation's name, for logs and errors.
    pub const fn name(&self) -> &'static str {
        match self {
            Operation::RegisterBroker(_) => "RegisterBroker",
            Operation::BrokerHeartbeat(_) => "BrokerHeartbeat",
            Operation::UnregisterBroker(_) => "UnregisterBroker",
            Operation::AlterPartition(_) => "AlterPartition",
            Operation::ElectLeaders(_) => "ElectLeaders",
            Operation::AlterPartitionReassignments(_) => "AlterPartitionReassignments",
            Operation::CreateTopics(_) => "CreateTopics",
            Operation::DeleteTopics(_) => "DeleteTopics",
            Operation::CreatePartitions(_) => "CreatePartitions",
            Operation::IncrementalAlterConfigs(_) => "IncrementalAlterConfigs",
            Operation::AllocateProducerIds(_) => "AllocateProducerIds",
            Operation::DescribeQuorum(_) => "DescribeQuorum",
        }
    }
}

/// The reply to an [`Operation`], of the matching variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationReply {
    RegisterBroker(BrokerRegistrationReply),
    BrokerHeartbeat(BrokerHeartbeatReply),
    UnregisterBroker(()),
    AlterPartition(Vec<AlterPartitionResult>),
    ElectLeaders(Vec<ElectionResult>),
    AlterPartitionReassignments(Vec<ReassignmentResult>),
    CreateTopics(Vec<CreateTopicResult>),
    DeleteTopics(Vec<DeleteTopicResult>),
    CreatePartitions(Vec<CreatePartitionsResult>),
    IncrementalAlterConfigs(Vec<AlterConfigsResult>),
    AllocateProducerIds(ProducerIdBlock),
    DescribeQuorum(QuorumDescription),
}

// ----- Conversions to and from the metadata crate's decisions -----

impl BrokerRegistrationRequest {
    pub(crate) fn to_decision(&self) -> brokers::BrokerRegistrationRequest {
        brokers::BrokerRegistrationRequest {
            broker_id: self.broker_id,
            cluster_id: self.cluster_id.clone(),
            incarnation_id: self.incarnation_id,
            endpoints: self.endpoints.clone(),
            rack: self.rack.clone(),
        }
    }
}

impl BrokerHeartbeatRequest {
    pub(crate) fn to_decision(self) -> brokers::BrokerHeartbeat {
        brokers::BrokerHeartbeat {
            broker_id: self.broker_id,
            broker_epoch: self.broker_epoch,
            current_metadata_offset: self.current_metadata_offset,
            want_fence: self.want_fence,
            want_shutdown: self.want_shutdown,
        }
    }
}

impl AlterPartitionRequest {
    pub(crate) fn to_decision(&self) -> partitions::AlterPartitionRequest {
        partitions::AlterPartitionRequest {
            broker_id: self.broker_id,
            broker_epoch: self.broker_epoch,
            partitions: self
                .partitions
                .iter()
                .map(|item| partitions::AlterPartitionItem {
                    topic_id: item.topic_id,
                    partition: item.partition,
                    leader_epoch: item.leader_epoch,
                    partition_epoch: item.partition_epoch,
                    new_isr: item
                        .new_isr
                        .iter()
                        .map(|m| partitions::IsrMember { broker_id: m.broker_id, broker_epoch: m.broker_epoch })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<partitions::AlterPartitionResult> for AlterPartitionResult {
    fn from(r: partitions::AlterPartitionResult) -> Self {
        Self {
            topic_id: r.topic_id,
            partition: r.partition,
            result: r
                .result
                .map(|s| PartitionState {
                    leader: s.leader,
                    leader_epoch: s.leader_epoch,
                    isr: s.isr,
                    partition_epoch: s.partition_epoch,
                })
                .map_err(ApiError::from),
        }
    }
}

impl ElectionType {
    pub(crate) fn to_decision(self) -> partitions::ElectionType {
        match self {
            ElectionType::Preferred => partitions::ElectionType::Preferred,
            ElectionType::Unclean => partitions::ElectionType::Unclean,
        }
    }
}

impl ElectLeadersRequest {
    pub(crate) fn decision_partitions(&self) -> Option<Vec<(String, PartitionIndex)>> {
        self.partitions.as_ref().map(|list| list.iter().map(|p| (p.topic.clone(), p.partition)).collect())
    }
}

impl From<partitions::ElectionResult> for ElectionResult {
    fn from(r: partitions::ElectionResult) -> Self {
        Self { topic: r.topic, partition: r.partition, result: r.result.map_err(ApiError::from) }
    }
}

impl AlterPartitionReassignmentsRequest {
    pub(crate) fn to_decision(&self) -> Vec<reassignment::PartitionReassignment> {
        self.partitions
            .iter()
            .map(|p| reassignment::PartitionReassignment {
                topic: p.topic.clone(),
                partition: p.partition,
                target: p.replicas.clone(),
            })
            .collect()
    }
}

impl From<reassignment::ReassignmentResult> for ReassignmentResult {
    fn from(r: reassignment::ReassignmentResult) -> Self {
        Self { topic: r.topic, partition: r.partition, result: r.result.map_err(ApiError::from) }
    }
}

impl CreateTopicsRequest {
    pub(crate) fn to_decision(&self) -> topics::CreateTopicsRequest {
        topics::CreateTopicsRequest {
            topics: self
                .topics
                .iter()
                .map(|t| topics::CreatableTopic {
                    name: t.name.clone(),
                    num_partitions: t.num_partitions,
                    replication_factor: t.replication_factor,
                    assignments: t
                        .assignments
                        .iter()
                        .map(|a| topics::ReplicaAssignment { partition: a.partition, broker_ids: a.broker_ids.clone() })
                        .collect(),
                    configs: t.configs.clone(),
                })
                .collect(),
            validate_only: self.validate_only,
        }
    }
}

impl From<topics::CreateTopicResult> for CreateTopicResult {
    fn from(r: topics::CreateTopicResult) -> Self {
        Self {
            name: r.name,
            result: r
                .result
                .map(|c| CreatedTopic {
                    topic_id: c.topic_id,
                    num_partitions: c.num_partitions,
                    replication_factor: c.replication_factor,
                    configs: c.configs,
                })
                .map_err(ApiError::from),
        }
    }
}

impl DeleteTopicsRequest {
    pub(crate) fn to_decision(&self) -> Vec<topics::TopicRef> {
        self.topics
            .iter()
            .map(|t| match t {
                TopicRef::Name(name) => topics::TopicRef::Name(name.clone()),
                TopicRef::Id(id) => topics::TopicRef::Id(*id),
            })
            .collect()
    }
}

impl From<topics::DeleteTopicResult> for DeleteTopicResult {
    fn from(r: topics::DeleteTopicResult) -> Self {
        let topic = match r.topic {
            topics::TopicRef::Name(name) => TopicRef::Name(name),
            topics::TopicRef::Id(id) => TopicRef::Id(id),
        };
        let (name, topic_id) = match r.resolved {
            Some((name, id)) => (Some(name.as_str().to_string()), Some(id)),
            None => (None, None),
        };
        Self { topic, name, topic_id, result: r.result.map_err(ApiError::from) }
    }
}

impl CreatePartitionsRequest {
    pub(crate) fn to_decision(&self) -> Vec<topics::CreatePartitionsTopic> {
        self.topics
            .iter()
            .map(|t| topics::CreatePartitionsTopic {
                name: t.name.clone(),
                count: t.count,
                assignments: t.assignments.clone(),
            })
            .collect()
    }
}

impl From<topics::CreatePartitionsResult> for CreatePartitionsResult {
    fn from(r: topics::CreatePartitionsResult) -> Self {
        Self { name: r.name, result: r.result.map_err(ApiError::from) }
    }
}

impl IncrementalAlterConfigsRequest {
    pub(crate) fn to_decision(&self) -> Vec<configs::AlterConfigsResource> {
        self.resources
            .iter()
            .map(|r| configs::AlterConfigsResource {
                resource: r.resource.clone(),
                entries: r
                    .entries
                    .iter()
                    .map(|e| configs::AlterConfigEntry {
                        key: e.key.clone(),
                        op: match &e.op {
                            AlterConfigOp::Set(v) => configs::AlterConfigOp::Set(v.clone()),
                            AlterConfigOp::Delete => configs::AlterConfigOp::Delete,
                            AlterConfigOp::Append(v) => configs::AlterConfigOp::Append(v.clone()),
                            AlterConfigOp::Subtract(v) => configs::AlterConfigOp::Subtract(v.clone()),
                        },
                    })
                    .collect(),
            })
            .collect()
    }
}

impl From<configs::AlterConfigsResult> for AlterConfigsResult {
    fn from(r: configs::AlterConfigsResult) -> Self {
        Self { resource: r.resource, result: r.result.map_err(ApiError::from) }
    }
}

impl From<producer_ids::ProducerIdBlock> for ProducerIdBlock {
    fn from(b: producer_ids::ProducerIdBlock) -> Self {
        Self { first_producer_id: b.first_producer_id, size: b.size }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_metadata::SecurityProtocol;

    use super::*;
    use crate::codec::{decode, encode};

    fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: T) {
        let bytes = encode(&value, "value").unwrap();
        assert_eq!(decode::<T>(&bytes, "value").unwrap(), value);
    }

    #[test]
    fn requests_and_replies_round_trip_through_postcard() {
        round_trip(BrokerRegistrationRequest {
            broker_id: NodeId::new(3),
            cluster_id: "c".into(),
            incarnation_id: uuid::Uuid::from_u128(5),
            endpoints: vec![Endpoint {
                listener: "PLAINTEXT".into(),
                host: "h".into(),
                port: 9092,
                security_protocol: SecurityProtocol::Plaintext,
            }],
            rack: Some("r".into()),
        });
        round_trip(CreateTopicsRequest {
            topics: vec![CreatableTopic {
                assignments: vec![ReplicaAssignment {
                    partition: PartitionIndex::new(0),
                    broker_ids: vec![NodeId::new(1)],
                }],
                configs: vec![("retention.ms".into(), Some("1".into())), ("x".into(), None)],
                ..CreatableTopic::new("t", -1, -1)
            }],
            validate_only: true,
        });
        round_trip(CreatePartitionsRequest {
            topics: vec![CreatePartitionsTopic {
                name: "t".into(),
                count: 3,
                assignments: Some(vec![vec![NodeId::new(1), NodeId::new(2)], vec![]]),
            }],
            validate_only: false,
        });
        round_trip(vec![DeleteTopicResult {
            topic: TopicRef::Id(TopicId::new(uuid::Uuid::from_u128(9))),
            name: Some("t".into()),
            topic_id: Some(TopicId::new(uuid::Uuid::from_u128(9))),
            result: Err(ApiError::new(flotilla_model::ErrorCode::TopicDeletionDisabled, "no")),
        }]);
        round_trip(vec![AlterPartitionResult {
            topic_id: TopicId::new(uuid::Uuid::from_u128(9)),
            partition: PartitionIndex::new(2),
            result: Ok(PartitionState {
                leader: NodeId::new(1),
                leader_epoch: LeaderEpoch::new(4),
                isr: vec![NodeId::new(1), NodeId::new(2)],
                partition_epoch: PartitionEpoch::new(7),
            }),
        }]);
    }
}
