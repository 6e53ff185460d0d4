//! CreateTopics, DeleteTopics and CreatePartitions.
//!
//! A new partition's ISR is its replicas (the active ones, for a manual assignment), its leader the first
//! of them, its epochs 0. Each request creates at most [`PARTITIONS_PER_REQUEST_MAX`] partitions, Kafka's
//! cap on the records one user operation may produce.

use std::collections::{BTreeMap, BTreeSet};

use flotilla_model::{ErrorCode, LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId, TopicName};
use thiserror::Error;

use super::configs::ConfigPolicy;
use super::placement::{place_replicas, PlacementBroker, PlacementError};
use super::random::{new_topic_id, Randomness};
use super::{ControllerResult, Staging};
use crate::delta::ApplyError;
use crate::image::MetadataImage;
use crate::records::{ConfigRecord, ConfigResource, MetadataRecord, PartitionRecord, RemoveTopicRecord, TopicRecord};

/// The most partitions one CreateTopics or CreatePartitions request may create.
pub const PARTITIONS_PER_REQUEST_MAX: usize = 10_000;

/// Why a topic request failed, for one topic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidTopic(String),
    #[error("Topic '{0}' already exists.")]
    TopicAlreadyExists(String),
    #[error("{0}")]
    InvalidPartitions(String),
    #[error("{0}")]
    InvalidReplicationFactor(String),
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    #[error("{0}")]
    InvalidConfig(String),
    #[error("{0}")]
    PolicyViolation(String),
    #[error("This server does not host this topic-partition: {0}")]
    UnknownTopicOrPartition(String),
    #[error("Topic id {0} does not exist.")]
    UnknownTopicId(TopicId),
    #[error("Topic deletion is disabled.")]
    TopicDeletionDisabled,
    #[error("internal error: {0}")]
    Internal(ApplyError),
}

impl TopicError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            TopicError::InvalidRequest(_) => ErrorCode::InvalidRequest,
            TopicError::InvalidTopic(_) => ErrorCode::InvalidTopicException,
            TopicError::TopicAlreadyExists(_) => ErrorCode::TopicAlreadyExists,
            TopicError::InvalidPartitions(_) => ErrorCode::InvalidPartitions,
            TopicError::InvalidReplicationFactor(_) => ErrorCode::InvalidReplicationFactor,
            TopicError::InvalidReplicaAssignment(_) => ErrorCode::InvalidReplicaAssignment,
            TopicError::InvalidConfig(_) => ErrorCode::InvalidConfig,
            TopicError::PolicyViolation(_) => ErrorCode::PolicyViolation,
            TopicError::UnknownTopicOrPartition(_) => ErrorCode::UnknownTopicOrPartition,
            TopicError::UnknownTopicId(_) => ErrorCode::UnknownTopicId,
            TopicError::TopicDeletionDisabled => ErrorCode::TopicDeletionDisabled,
            TopicError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }
}

impl From<PlacementError> for TopicError {
    fn from(e: PlacementError) -> Self {
        TopicError::InvalidReplicationFactor(e.to_string())
    }
}

/// The broker defaults a CreateTopics request falls back to with -1 (`num.partitions`,
/// `default.replication.factor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicDefaults {
    pub num_partitions: i32,
    pub replication_factor: i16,
}

impl Default for TopicDefaults {
    fn default() -> Self {
        Self { num_partitions: 1, replication_factor: 1 }
    }
}

/// A manual assignment of one partition's replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaAssignment {
    pub partition: PartitionIndex,
    pub broker_ids: Vec<NodeId>,
}

/// One topic of a CreateTopics request. -1 partitions or replication factor means the broker default; with
/// `assignments`, both must be -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatableTopic {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub assignments: Vec<ReplicaAssignment>,
    pub configs: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicsRequest {
    pub topics: Vec<CreatableTopic>,
    pub validate_only: bool,
}

/// What was (or, validating only, would be) created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    pub topic_id: TopicId,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub configs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicResult {
    pub name: String,
    pub result: Result<CreatedTopic, TopicError>,
}

/// CreateTopics: per topic, a [`TopicRecord`], its config overrides, and a [`PartitionRecord`] per partition.
pub fn create_topics(
    image: &MetadataImage,
    request: &CreateTopicsRequest,
    defaults: &TopicDefaults,
    config_policy: &dyn ConfigPolicy,
    random: &mut dyn Randomness,
) -> ControllerResult<Vec<CreateTopicResult>> {
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(request.topics.len());
    let mut partitions_budget = PARTITIONS_PER_REQUEST_MAX;
    for (i, topic) in request.topics.iter().enumerate() {
        let duplicated = request.topics.iter().enumerate().any(|(j, other)| j != i && other.name == topic.name);
        let result = if duplicated {
            Err(TopicError::InvalidRequest(format!("Found multiple entries for topic {}", topic.name)))
        } else {
            create_one(&mut staging, topic, defaults, config_policy, random, &mut partitions_budget)
        };
        if let Err(TopicError::Internal(e)) = &result {
            let failed = request
                .topics
                .iter()
                .map(|t| CreateTopicResult { name: t.name.clone(), result: Err(TopicError::Internal(e.clone())) });
            return ControllerResult::response_only(failed.collect());
        }
        results.push(CreateTopicResult { name: topic.name.clone(), result });
    }
    let records = if request.validate_only { Vec::new() } else { staging.records() };
    ControllerResult::new(records, results)
}

fn create_one(
    staging: &mut Staging,
    topic: &CreatableTopic,
    defaults: &TopicDefaults,
    config_policy: &dyn ConfigPolicy,
    random: &mut dyn Randomness,
    partitions_budget: &mut usize,
) -> Result<CreatedTopic, TopicError> {
    let image = staging.image();
    let name = TopicName::new(&topic.name).map_err(|e| TopicError::InvalidTopic(e.to_string()))?;
    if image.topics().id_of(&name).is_some() {
        return Err(TopicError::TopicAlreadyExists(topic.name.clone()));
    }
    if let Some(other) = image.topics().iter().find(|t| t.name().collides_with(&name)) {
        return Err(TopicError::InvalidTopic(format!("Topic '{name}' collides with existing topic: {}", other.name())));
    }
    let active = active_brokers(image);
    let replicas: Vec<Vec<NodeId>> = if topic.assignments.is_empty() {
        let partitions = match topic.num_partitions {
            -1 => defaults.num_partitions,
            n => n,
        };
        if partitions <= 0 {
            return Err(TopicError::InvalidPartitions(
                "Number of partitions was set to an invalid non-positive value.".into(),
            ));
        }
        let replication_factor = match topic.replication_factor {
            -1 => defaults.replication_factor,
            n => n,
        };
        if replication_factor <= 0 {
            return Err(TopicError::InvalidReplicationFactor(
                "Replication factor must be larger than 0, or -1 to use the default value.".into(),
            ));
        }
        take_budget(partitions_budget, partitions as usize)?;
        place_replicas(&active, 0, partitions as usize, replication_factor as usize, random)?
    } else {
        if topic.num_partitions != -1 || topic.replication_factor != -1 {
            return Err(TopicError::InvalidRequest(
                "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at \
                 the same time."
                    .into(),
            ));
        }
        let mut by_index: BTreeMap<i32, &Vec<NodeId>> = BTreeMap::new();
        for assignment in &topic.assignments {
            if by_index.insert(assignment.partition.get(), &assignment.broker_ids).is_some() {
                return Err(TopicError::InvalidReplicaAssignment(format!(
                    "Partition {} appears more than once in the assignment.",
                    assignment.partition
                )));
            }
        }
        if by_index.keys().copied().ne(0..by_index.len() as i32) {
            return Err(TopicError::InvalidReplicaAssignment(
                "Partitions should be a consecutive 0-based integer sequence.".into(),
            ));
        }
        take_budget(partitions_budget, by_index.len())?;
        by_index.into_values().cloned().collect()
    };
    let configs = topic_configs(&name, &topic.configs, config_policy)?;
    let mut partitions = Vec::with_capacity(replicas.len());
    for (index, replicas) in replicas.into_iter().enumerate() {
        partitions.push(new_partition(image, index as i32, replicas, replication_factor_of(&topic.assignments))?);
    }
    let replication_factor = partitions.first().map_or(0, |(replicas, _)| replicas.len() as i16);
    let topic_id = new_topic_id(random, |id| image.topics().by_id(id).is_some())
        .ok_or_else(|| TopicError::InvalidRequest("could not draw an unused topic id".into()))?;
    let num_partitions = partitions.len() as i32;
    let mut records = vec![MetadataRecord::Topic(TopicRecord { name: name.clone(), topic_id })];
    for (key, value) in &configs {
        records.push(MetadataRecord::Config(ConfigRecord {
            resource: ConfigResource::topic(name.as_str()),
            key: key.clone(),
            value: Some(value.clone()),
        }));
    }
    for (index, (replicas, isr)) in partitions.into_iter().enumerate() {
        records.push(MetadataRecord::Partition(partition_record(topic_id, index as i32, replicas, isr)));
    }
    for record in records {
        staging.push(record).map_err(TopicError::Internal)?;
    }
    Ok(CreatedTopic { topic_id, num_partitions, replication_factor, configs })
}

/// With a manual assignment every partition must have as many replicas as the first.
fn replication_factor_of(assignments: &[ReplicaAssignment]) -> Option<usize> {
    assignments.iter().min_by_key(|a| a.partition).map(|a| a.broker_ids.len())
}

fn take_budget(budget: &mut usize, partitions: usize) -> Result<(), TopicError> {
    *budget = budget
        .checked_sub(partitions)
        .ok_or_else(|| TopicError::PolicyViolation("Excessively large number of partitions per request.".into()))?;
    Ok(())
}

fn topic_configs(
    name: &TopicName,
    configs: &[(String, Option<String>)],
    config_policy: &dyn ConfigPolicy,
) -> Result<BTreeMap<String, String>, TopicError> {
    let mut out = BTreeMap::new();
    for (key, value) in configs {
        let value = value
            .clone()
            .ok_or_else(|| TopicError::InvalidConfig(format!("Null value not supported for topic configs: {key}")))?;
        if out.insert(key.clone(), value).is_some() {
            return Err(TopicError::InvalidRequest(format!("Duplicate config key {key}")));
        }
    }
    config_policy.validate(&ConfigResource::topic(name.as_str()), &out).map_err(TopicError::InvalidConfig)?;
    Ok(out)
}

/// Checks a replica list for a new partition and derives its ISR. A placed list passes trivially; a manual
/// one must name distinct registered brokers, as many as `expected_replicas`, at least one active.
fn new_partition(
    image: &MetadataImage,
    index: i32,
    replicas: Vec<NodeId>,
    expected_replicas: Option<usize>,
) -> Result<(Vec<NodeId>, Vec<NodeId>), TopicError> {
    if replicas.is_empty() {
        return Err(TopicError::InvalidReplicaAssignment(format!(
            "The manual partition assignment includes an empty replica list for partition {index}."
        )));
    }
    if let Some(expected) = expected_replicas.filter(|e| *e != replicas.len()) {
        return Err(TopicError::InvalidReplicaAssignment(format!(
            "The manual partition assignment includes a partition with {} replica(s), but this is not consistent \
             with previous partitions, which have {expected} replica(s).",
            replicas.len()
        )));
    }
    if replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len() {
        return Err(TopicError::InvalidReplicaAssignment(format!(
            "The manual partition assignment includes the same broker twice for partition {index}."
        )));
    }
    if let Some(unknown) = replicas.iter().find(|b| image.brokers().get(**b).is_none()) {
        return Err(TopicError::InvalidReplicaAssignment(format!(
            "The manual partition assignment includes broker {unknown}, but no such broker is registered."
        )));
    }
    let isr: Vec<NodeId> = replicas.iter().copied().filter(|b| image.brokers().is_active(*b)).collect();
    if isr.is_empty() {
        return Err(TopicError::InvalidReplicaAssignment(format!(
            "All brokers specified in the manual partition assignment for partition {index} are fenced or in \
             controlled shutdown."
        )));
    }
    Ok((replicas, isr))
}

fn partition_record(topic_id: TopicId, index: i32, replicas: Vec<NodeId>, isr: Vec<NodeId>) -> PartitionRecord {
    let leader = isr.first().copied().unwrap_or(NodeId::NONE);
    PartitionRecord {
        topic_id,
        partition: PartitionIndex::new(index),
        replicas,
        isr,
        adding_replicas: Vec::new(),
        removing_replicas: Vec::new(),
        leader,
        leader_epoch: LeaderEpoch::new(0),
        partition_epoch: PartitionEpoch::new(0),
        eligible_leader_replicas: None,
        last_known_elr: None,
    }
}

fn active_brokers(image: &MetadataImage) -> Vec<PlacementBroker> {
    image.brokers().active().map(|b| PlacementBroker { id: b.id, rack: b.rack.clone() }).collect()
}

/// A topic named in a DeleteTopics request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicRef {
    Name(String),
    Id(TopicId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTopicResult {
    pub topic: TopicRef,
    /// The topic's name and id, when it was found.
    pub resolved: Option<(TopicName, TopicId)>,
    pub result: Result<(), TopicError>,
}

/// DeleteTopics, by name or id. A topic named twice (also once by name and once by id) is INVALID_REQUEST
/// for every mention. `deletion_enabled` is `delete.topic.enable`.
pub fn delete_topics(
    image: &MetadataImage,
    topics: &[TopicRef],
    deletion_enabled: bool,
) -> ControllerResult<Vec<DeleteTopicResult>> {
    let resolve = |topic: &TopicRef| -> Result<(TopicName, TopicId), TopicError> {
        match topic {
            TopicRef::Name(name) => image
                .topics()
                .by_name(name)
                .map(|t| (t.name().clone(), t.id()))
                .ok_or_else(|| TopicError::UnknownTopicOrPartition(name.clone())),
            TopicRef::Id(id) => {
                image.topics().by_id(*id).map(|t| (t.name().clone(), t.id())).ok_or(TopicError::UnknownTopicId(*id))
            }
        }
    };
    let resolved: Vec<Result<(TopicName, TopicId), TopicError>> = topics.iter().map(resolve).collect();
    let mut mentions: BTreeMap<TopicId, usize> = BTreeMap::new();
    for (_, id) in resolved.iter().flatten() {
        *mentions.entry(*id).or_insert(0) += 1;
    }
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(topics.len());
    for (topic, found) in topics.iter().zip(resolved) {
        let (found, result) = match found {
            Err(e) => (None, Err(e)),
            Ok((name, id)) => {
                let result = if !deletion_enabled {
                    Err(TopicError::TopicDeletionDisabled)
                } else if mentions.get(&id).copied().unwrap_or(0) > 1 {
                    Err(TopicError::InvalidRequest(format!("Duplicate topic in request: {name}")))
                } else {
                    staging
                        .push(MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: id }))
                        .map_err(TopicError::Internal)
                };
                (Some((name, id)), result)
            }
        };
        results.push(DeleteTopicResult { topic: topic.clone(), resolved: found, result });
    }
    ControllerResult::new(staging.records(), results)
}

/// One topic of a CreatePartitions request: the new total `count`, and optionally the replicas of each new
/// partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsTopic {
    pub name: String,
    pub count: i32,
    pub assignments: Option<Vec<Vec<NodeId>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsResult {
    pub name: String,
    pub result: Result<(), TopicError>,
}

/// CreatePartitions: partitions only grow. New partitions take the replication factor of partition 0 and
/// continue the striped placement from the current count.
pub fn create_partitions(
    image: &MetadataImage,
    topics: &[CreatePartitionsTopic],
    validate_only: bool,
    random: &mut dyn Randomness,
) -> ControllerResult<Vec<CreatePartitionsResult>> {
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(topics.len());
    let mut budget = PARTITIONS_PER_REQUEST_MAX;
    for (i, topic) in topics.iter().enumerate() {
        let duplicated = topics.iter().enumerate().any(|(j, other)| j != i && other.name == topic.name);
        let result = if duplicated {
            Err(TopicError::InvalidRequest(format!("Duplicate topic name {}", topic.name)))
        } else {
            grow_one(&mut staging, topic, random, &mut budget)
        };
        if let Err(TopicError::Internal(e)) = &result {
            let failed = topics
                .iter()
                .map(|t| CreatePartitionsResult { name: t.name.clone(), result: Err(TopicError::Internal(e.clone())) });
            return ControllerResult::response_only(failed.collect());
        }
        results.push(CreatePartitionsResult { name: topic.name.clone(), result });
    }
    let records = if validate_only { Vec::new() } else { staging.records() };
    ControllerResult::new(records, results)
}

fn grow_one(
    staging: &mut Staging,
    request: &CreatePartitionsTopic,
    random: &mut dyn Randomness,
    budget: &mut usize,
) -> Result<(), TopicError> {
    let image = staging.image();
    let topic = image
        .topics()
        .by_name(&request.name)
        .ok_or_else(|| TopicError::UnknownTopicOrPartition(request.name.clone()))?;
    let current = topic.partition_count();
    let count = usize::try_from(request.count).unwrap_or(0);
    if count < current {
        return Err(TopicError::InvalidPartitions(format!(
            "Topic currently has {current} partitions, which is higher than the requested {}.",
            request.count
        )));
    }
    if count == current {
        return Err(TopicError::InvalidPartitions(format!("Topic already has {current} partitions.")));
    }
    let adding = count - current;
    take_budget(budget, adding)?;
    let replication_factor = topic.partition(PartitionIndex::new(0)).map_or(1, |p| p.replicas.len()).max(1);
    let placed = match &request.assignments {
        Some(assignments) => {
            if assignments.len() != adding {
                return Err(TopicError::InvalidReplicaAssignment(format!(
                    "Attempted to add {adding} additional partition(s), but only {} assignment(s) were specified.",
                    assignments.len()
                )));
            }
            assignments.clone()
        }
        None => {
            let active = active_brokers(image);
            place_replicas(&active, current, adding, replication_factor, random)?
        }
    };
    let topic_id = topic.id();
    let mut records = Vec::with_capacity(adding);
    for (offset, replicas) in placed.into_iter().enumerate() {
        let index = (current + offset) as i32;
        let (replicas, isr) = new_partition(image, index, replicas, Some(replication_factor))?;
        records.push(MetadataRecord::Partition(partition_record(topic_id, index, replicas, isr)));
    }
    for record in records {
        staging.push(record).map_err(TopicError::Internal)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::controller::configs::AcceptAllConfigs;
    use crate::controller::random::SeededRandom;
    use crate::test_fixtures::*;

    fn topic(name: &str, partitions: i32, rf: i16) -> CreatableTopic {
        CreatableTopic {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: rf,
            assignments: vec![],
            configs: vec![],
        }
    }

    fn create(log: &Log, topics: Vec<CreatableTopic>, validate_only: bool) -> ControllerResult<Vec<CreateTopicResult>> {
        let request = CreateTopicsRequest { topics, validate_only };
        create_topics(&log.image, &request, &TopicDefaults::default(), &AcceptAllConfigs, &mut SeededRandom::new(5))
    }

    fn code(result: &Result<impl Sized, TopicError>) -> ErrorCode {
        result.as_ref().err().map_or(ErrorCode::None, TopicError::code)
    }

    #[test]
    fn create_topic_places_partitions_with_isr_equal_replicas() {
        let mut log = Log::with_brokers(&[1, 2, 3]);
        let r = create(&log, vec![topic("orders", 6, 3)], false);
        let created = r.response[0].result.clone().unwrap();
        assert_eq!((created.num_partitions, created.replication_factor), (6, 3));
        log.commit(r.records).unwrap();
        let t = log.image.topics().by_name("orders").unwrap();
        assert_eq!(t.id(), created.topic_id);
        assert_eq!(t.partition_count(), 6);
        for (_, p) in t.partitions() {
            assert_eq!(p.isr, p.replicas);
            assert_eq!(p.leader, p.replicas[0]);
            assert_eq!((p.leader_epoch.get(), p.partition_epoch.get()), (0, 0));
        }
        let mut leaders: Vec<NodeId> = t.partitions().map(|(_, p)| p.leader).collect();
        leaders.sort();
        assert_eq!(leaders, nodes(&[1, 1, 2, 2, 3, 3]));
    }

    #[test]
    fn create_topic_errors_carry_kafka_codes() {
        let mut log = Log::with_brokers(&[1, 2]);
        log.commit(create(&log, vec![topic("orders", 1, 1)], false).records).unwrap();
        let r = create(
            &log,
            vec![
                topic("orders", 1, 1),
                topic("bad name", 1, 1),
                topic("x", 0, 1),
                topic("y", 1, 3),
                topic("z", 1, 0),
                topic("dup", 1, 1),
                topic("dup", 1, 1),
                topic("a.b", 1, 1),
            ],
            false,
        );
        let codes: Vec<ErrorCode> = r.response.iter().map(|t| code(&t.result)).collect();
        assert_eq!(
            codes,
            vec![
                ErrorCode::TopicAlreadyExists,
                ErrorCode::InvalidTopicException,
                ErrorCode::InvalidPartitions,
                ErrorCode::InvalidReplicationFactor,
                ErrorCode::InvalidReplicationFactor,
                ErrorCode::InvalidRequest,
                ErrorCode::InvalidRequest,
                ErrorCode::None,
            ]
        );
        log.commit(r.records).unwrap();
        // "a_b" collides with "a.b".
        let r = create(&log, vec![topic("a_b", 1, 1)], false);
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidTopicException);
    }

    #[test]
    fn fenced_brokers_do_not_count_for_replication_factor() {
        let mut log = Log::with_brokers(&[1, 2]);
        log.commit(vec![register_record(3, 3, None)]).unwrap();
        let r = create(&log, vec![topic("t", 1, 3)], false);
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidReplicationFactor);
        assert!(r.records.is_empty());
    }

    #[test]
    fn defaults_apply_to_minus_one() {
        let log = Log::with_brokers(&[1, 2]);
        let request = CreateTopicsRequest { topics: vec![topic("t", -1, -1)], validate_only: false };
        let defaults = TopicDefaults { num_partitions: 4, replication_factor: 2 };
        let r = create_topics(&log.image, &request, &defaults, &AcceptAllConfigs, &mut SeededRandom::new(1));
        let created = r.response[0].result.clone().unwrap();
        assert_eq!((created.num_partitions, created.replication_factor), (4, 2));
    }

    #[test]
    fn validate_only_produces_no_records() {
        let log = Log::with_brokers(&[1]);
        let r = create(&log, vec![topic("t", 3, 1)], true);
        assert!(r.response[0].result.is_ok());
        assert!(r.records.is_empty());
    }

    #[test]
    fn manual_assignment_is_validated() {
        let mut log = Log::with_brokers(&[1, 2, 3]);
        log.commit(vec![register_record(4, 4, None)]).unwrap(); // registered but fenced
        let manual = |assignments: Vec<(i32, &[i32])>| CreatableTopic {
            assignments: assignments
                .into_iter()
                .map(|(p, b)| ReplicaAssignment { partition: PartitionIndex::new(p), broker_ids: nodes(b) })
                .collect(),
            ..topic("m", -1, -1)
        };
        let cases: Vec<(CreatableTopic, ErrorCode)> = vec![
            (CreatableTopic { num_partitions: 2, ..manual(vec![(0, &[1])]) }, ErrorCode::InvalidRequest),
            (manual(vec![(0, &[1]), (2, &[2])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[1]), (0, &[2])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[1, 1])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[9])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[4])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[1, 2]), (1, &[3])]), ErrorCode::InvalidReplicaAssignment),
            (manual(vec![(0, &[])]), ErrorCode::InvalidReplicaAssignment),
        ];
        for (case, expected) in cases {
            let r = create(&log, vec![case.clone()], false);
            assert_eq!(code(&r.response[0].result), expected, "{case:?}");
            assert!(r.records.is_empty());
        }
        // A fenced broker in the assignment stays a replica but is left out of the ISR.
        let r = create(&log, vec![manual(vec![(1, &[4, 2]), (0, &[1, 3])])], false);
        assert!(r.response[0].result.is_ok());
        log.commit(r.records).unwrap();
        let t = log.image.topics().by_name("m").unwrap();
        let p1 = t.partition(PartitionIndex::new(1)).unwrap();
        assert_eq!((p1.replicas.clone(), p1.isr.clone(), p1.leader), (nodes(&[4, 2]), nodes(&[2]), node(2)));
    }

    #[test]
    fn topic_configs_are_records_and_validated() {
        struct NoRetention;
        impl ConfigPolicy for NoRetention {
            fn validate(&self, _: &ConfigResource, overrides: &BTreeMap<String, String>) -> Result<(), String> {
                if overrides.contains_key("retention.ms") {
                    return Err("retention.ms is not allowed".into());
                }
                Ok(())
            }
        }
        let mut log = Log::with_brokers(&[1]);
        let with = |key: &str, value: Option<&str>| CreatableTopic {
            configs: vec![(key.into(), value.map(str::to_string))],
            ..topic("c", 1, 1)
        };
        let request = |t| CreateTopicsRequest { topics: vec![t], validate_only: false };
        let r = create_topics(
            &log.image,
            &request(with("retention.ms", Some("1"))),
            &Default::default(),
            &NoRetention,
            &mut SeededRandom::new(1),
        );
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidConfig);
        let r = create_topics(
            &log.image,
            &request(with("cleanup.policy", None)),
            &Default::default(),
            &NoRetention,
            &mut SeededRandom::new(1),
        );
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidConfig);
        let r = create_topics(
            &log.image,
            &request(with("cleanup.policy", Some("compact"))),
            &Default::default(),
            &NoRetention,
            &mut SeededRandom::new(1),
        );
        log.commit(r.records).unwrap();
        assert_eq!(log.image.topic_config_overrides("c").get("cleanup.policy").map(String::as_str), Some("compact"));
    }

    #[test]
    fn too_many_partitions_in_one_request_is_a_policy_violation() {
        let log = Log::with_brokers(&[1]);
        let r = create(&log, vec![topic("a", 6_000, 1), topic("b", 6_000, 1)], false);
        assert!(r.response[0].result.is_ok());
        assert_eq!(code(&r.response[1].result), ErrorCode::PolicyViolation);
    }

    #[test]
    fn delete_by_name_and_id() {
        let mut log = Log::with_brokers(&[1]);
        log.commit(create(&log, vec![topic("a", 1, 1), topic("b", 1, 1), topic("c", 1, 1)], false).records).unwrap();
        let id_b = log.image.topics().by_name("b").unwrap().id();
        let id_c = log.image.topics().by_name("c").unwrap().id();
        let refs = vec![
            TopicRef::Name("a".into()),
            TopicRef::Id(id_b),
            TopicRef::Name("nope".into()),
            TopicRef::Id(topic_id(77)),
            TopicRef::Name("c".into()),
            TopicRef::Id(id_c),
        ];
        let r = delete_topics(&log.image, &refs, true);
        let codes: Vec<ErrorCode> = r.response.iter().map(|t| code(&t.result)).collect();
        assert_eq!(
            codes,
            vec![
                ErrorCode::None,
                ErrorCode::None,
                ErrorCode::UnknownTopicOrPartition,
                ErrorCode::UnknownTopicId,
                ErrorCode::InvalidRequest,
                ErrorCode::InvalidRequest,
            ]
        );
        log.commit(r.records).unwrap();
        assert_eq!(log.image.topics().iter().map(|t| t.name().to_string()).collect::<Vec<_>>(), vec!["c".to_string()]);
        let r = delete_topics(&log.image, &[TopicRef::Name("c".into())], false);
        assert_eq!(code(&r.response[0].result), ErrorCode::TopicDeletionDisabled);
        assert!(r.records.is_empty());
    }

    #[test]
    fn partitions_only_grow_and_placement_continues() {
        let mut log = Log::with_brokers(&[1, 2, 3]);
        log.commit(create(&log, vec![topic("t", 3, 2)], false).records).unwrap();
        let grow = |count, assignments| CreatePartitionsTopic { name: "t".into(), count, assignments };
        let r = create_partitions(&log.image, &[grow(3, None)], false, &mut SeededRandom::new(2));
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidPartitions);
        let r = create_partitions(&log.image, &[grow(2, None)], false, &mut SeededRandom::new(2));
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidPartitions);
        let r = create_partitions(
            &log.image,
            &[CreatePartitionsTopic { name: "nope".into(), count: 5, assignments: None }],
            false,
            &mut SeededRandom::new(2),
        );
        assert_eq!(code(&r.response[0].result), ErrorCode::UnknownTopicOrPartition);
        let r = create_partitions(&log.image, &[grow(5, Some(vec![nodes(&[1, 2])]))], false, &mut SeededRandom::new(2));
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidReplicaAssignment);
        let r = create_partitions(&log.image, &[grow(4, Some(vec![nodes(&[1])]))], false, &mut SeededRandom::new(2));
        assert_eq!(code(&r.response[0].result), ErrorCode::InvalidReplicaAssignment, "replication factor must match");
        let r = create_partitions(&log.image, &[grow(9, None)], true, &mut SeededRandom::new(2));
        assert!(r.response[0].result.is_ok() && r.records.is_empty());
        let r = create_partitions(&log.image, &[grow(9, None)], false, &mut SeededRandom::new(2));
        assert!(r.response[0].result.is_ok());
        log.commit(r.records).unwrap();
        let t = log.image.topics().by_name("t").unwrap();
        assert_eq!(t.partition_count(), 9);
        let mut leaders: BTreeMap<NodeId, usize> = BTreeMap::new();
        for (_, p) in t.partitions() {
            assert_eq!(p.replicas.len(), 2);
            *leaders.entry(p.leader).or_insert(0) += 1;
        }
        assert!(leaders.values().all(|c| *c == 3), "{leaders:?}");
    }
}
