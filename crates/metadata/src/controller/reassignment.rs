//! Partition reassignment (AlterPartitionReassignments, KIP-455, as the KRaft controller does it): moving a
//! partition's replicas to a new set of brokers without a moment where fewer replicas hold the data.
//!
//! Starting a reassignment to target replicas `T` from replicas `R` writes `replicas = T ++ (R - T)`,
//! `adding = T - R` and `removing = R - T`. The new brokers create the partition as followers, fetch from
//! the leader, and join the ISR through the usual AlterPartition path. Every ISR change (and every
//! broker fenced or shut down) checks whether the reassignment can complete: once every replica of `T`
//! is in the ISR, the removing replicas leave `replicas` and the ISR and the adding/removing sets are
//! cleared; if the leader was one of the removed replicas, leadership goes to the first target replica
//! in the ISR that is active. Until then the removing replicas keep their data and their ISR places, so
//! the partition is never less replicated than before.
//!
//! A new target while a reassignment is in progress starts from the original replicas (the current ones
//! without the adding ones, in the current order), as does a cancellation (a `None` target), which simply
//! goes back to them. The original order is not recorded, so after a cancellation the first replica (the
//! preferred leader) may differ from before, as in Kafka.

use flotilla_model::{ErrorCode, NodeId, PartitionIndex, TopicId};
use thiserror::Error;

use super::partitions::choose_leader;
use super::{ControllerResult, Staging};
use crate::delta::ApplyError;
use crate::image::{MetadataImage, PartitionRegistration};
use crate::records::{MetadataRecord, PartitionChangeRecord};

/// Why a partition's reassignment was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReassignmentError {
    #[error("The partition {0} does not exist.")]
    UnknownTopicOrPartition(String),
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    #[error(
        "The replication factor is changed from {current} to {target}, but allow_replication_factor_change is false."
    )]
    ReplicationFactorChange { current: usize, target: usize },
    #[error("Unable to cancel the reassignment of {0}: no reassignment is in progress.")]
    NoReassignmentInProgress(String),
    #[error("internal error: {0}")]
    Internal(ApplyError),
}

impl ReassignmentError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            ReassignmentError::UnknownTopicOrPartition(_) => ErrorCode::UnknownTopicOrPartition,
            ReassignmentError::InvalidReplicaAssignment(_) => ErrorCode::InvalidReplicaAssignment,
            ReassignmentError::ReplicationFactorChange { .. } => ErrorCode::InvalidReplicationFactor,
            ReassignmentError::NoReassignmentInProgress(_) => ErrorCode::NoReassignmentInProgress,
            ReassignmentError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }
}

/// One partition of an AlterPartitionReassignments request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReassignment {
    pub topic: String,
    pub partition: PartitionIndex,
    /// The replicas to move to, the preferred leader first; `None` cancels the reassignment in progress.
    pub target: Option<Vec<NodeId>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassignmentResult {
    pub topic: String,
    pub partition: PartitionIndex,
    pub result: Result<(), ReassignmentError>,
}

/// A reassignment in progress, as ListPartitionReassignments shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OngoingReassignment {
    pub topic: String,
    pub partition: PartitionIndex,
    pub replicas: Vec<NodeId>,
    pub adding: Vec<NodeId>,
    pub removing: Vec<NodeId>,
}

/// AlterPartitionReassignments: starts, replaces or cancels the reassignment of each partition, in order.
/// With `allow_replication_factor_change` false (v1 of the request, KIP-860), a target of another size than
/// the original replicas is refused.
pub fn alter_partition_reassignments(
    image: &MetadataImage,
    requests: &[PartitionReassignment],
    allow_replication_factor_change: bool,
) -> ControllerResult<Vec<ReassignmentResult>> {
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        let result = reassign_one(&mut staging, request, allow_replication_factor_change);
        if let Err(ReassignmentError::Internal(e)) = &result {
            let failed = requests.iter().map(|r| ReassignmentResult {
                topic: r.topic.clone(),
                partition: r.partition,
                result: Err(ReassignmentError::Internal(e.clone())),
            });
            return ControllerResult::response_only(failed.collect());
        }
        results.push(ReassignmentResult { topic: request.topic.clone(), partition: request.partition, result });
    }
    ControllerResult::new(staging.records(), results)
}

fn reassign_one(
    staging: &mut Staging,
    request: &PartitionReassignment,
    allow_replication_factor_change: bool,
) -> Result<(), ReassignmentError> {
    let image = staging.image();
    let name = format!("{}-{}", request.topic, request.partition);
    let topic = image
        .topics()
        .by_name(&request.topic)
        .ok_or_else(|| ReassignmentError::UnknownTopicOrPartition(name.clone()))?;
    let topic_id = topic.id();
    let current = topic.partition(request.partition).ok_or(ReassignmentError::UnknownTopicOrPartition(name.clone()))?;
    let original = Original::of(current);
    let (replicas, adding, removing) = match &request.target {
        None => {
            if !is_reassigning(current) {
                return Err(ReassignmentError::NoReassignmentInProgress(name));
            }
            (original.replicas.clone(), Vec::new(), Vec::new())
        }
        Some(target) => {
            validate_target(image, target)?;
            if !allow_replication_factor_change && target.len() != original.replicas.len() {
                return Err(ReassignmentError::ReplicationFactorChange {
                    current: original.replicas.len(),
                    target: target.len(),
                });
            }
            split(&original.replicas, target)
        }
    };
    let active = |b: NodeId| image.brokers().is_active(b);
    let leader = if original.isr.contains(&current.leader) {
        current.leader
    } else {
        replicas.iter().copied().find(|r| original.isr.contains(r) && active(*r)).unwrap_or(NodeId::NONE)
    };
    let mut record = PartitionChangeRecord::new(topic_id, request.partition, current.partition_epoch);
    if replicas != current.replicas {
        record.replicas = Some(replicas);
    }
    if original.isr != current.isr {
        record.isr = Some(original.isr);
    }
    if adding != current.adding_replicas {
        record.adding_replicas = Some(adding);
    }
    if removing != current.removing_replicas {
        record.removing_replicas = Some(removing);
    }
    if leader != current.leader {
        record.leader = Some(leader);
    }
    if !record.is_empty() {
        staging.push(MetadataRecord::PartitionChange(record)).map_err(ReassignmentError::Internal)?;
    }
    // A target that adds nothing (a shrink, or a new order) may be complete at once.
    complete_if_ready(staging, topic_id, request.partition).map_err(ReassignmentError::Internal)
}

/// A target must be a non-empty list of distinct registered brokers (fenced ones are allowed: they catch
/// up once they return, as Kafka allows).
fn validate_target(image: &MetadataImage, target: &[NodeId]) -> Result<(), ReassignmentError> {
    let invalid = |m: String| Err(ReassignmentError::InvalidReplicaAssignment(m));
    if target.is_empty() {
        return invalid("The manual partition assignment includes an empty replica list.".into());
    }
    for (i, broker) in target.iter().enumerate() {
        if target[..i].contains(broker) {
            return invalid(format!("The manual partition assignment includes the broker {broker} more than once."));
        }
        if image.brokers().get(*broker).is_none() {
            return invalid(format!(
                "The manual partition assignment includes broker {broker}, but no such broker is registered."
            ));
        }
    }
    Ok(())
}

/// The replicas and ISR a partition had before its reassignment (without the replicas being added). If
/// only adding replicas are in the ISR, the original replicas stand in for it, as Kafka's revert does.
struct Original {
    replicas: Vec<NodeId>,
    isr: Vec<NodeId>,
}

impl Original {
    fn of(p: &PartitionRegistration) -> Self {
        let replicas: Vec<NodeId> = p.replicas.iter().copied().filter(|r| !p.adding_replicas.contains(r)).collect();
        let mut isr: Vec<NodeId> = p.isr.iter().copied().filter(|r| !p.adding_replicas.contains(r)).collect();
        if isr.is_empty() {
            isr.clone_from(&replicas);
        }
        Self { replicas, isr }
    }
}

/// (replicas, adding, removing) for moving from `original` to `target`: the target first, then the
/// replicas being removed, in their original order.
fn split(original: &[NodeId], target: &[NodeId]) -> (Vec<NodeId>, Vec<NodeId>, Vec<NodeId>) {
    let removing: Vec<NodeId> = original.iter().copied().filter(|r| !target.contains(r)).collect();
    let adding: Vec<NodeId> = target.iter().copied().filter(|r| !original.contains(r)).collect();
    let mut replicas = target.to_vec();
    replicas.extend_from_slice(&removing);
    (replicas, adding, removing)
}

fn is_reassigning(p: &PartitionRegistration) -> bool {
    !p.adding_replicas.is_empty() || !p.removing_replicas.is_empty()
}

/// Completes the reassignment of a partition if every target replica is in the ISR: the removing replicas
/// leave, and leadership moves to the first active target replica in the ISR if the leader was removed.
/// Does nothing for a partition that is not being reassigned or not ready.
pub(crate) fn complete_if_ready(
    staging: &mut Staging,
    topic_id: TopicId,
    partition: PartitionIndex,
) -> Result<(), ApplyError> {
    let image = staging.image();
    let Some(current) = image.topics().partition(topic_id, partition) else { return Ok(()) };
    let Some((replicas, isr)) = completed(current) else { return Ok(()) };
    let active = |b: NodeId| image.brokers().is_active(b);
    let leader = if isr.contains(&current.leader) {
        current.leader
    } else {
        choose_leader(current, &isr, |b| replicas.contains(&b) && active(b)).unwrap_or(NodeId::NONE)
    };
    let mut record = PartitionChangeRecord::new(topic_id, partition, current.partition_epoch);
    record.replicas = Some(replicas);
    record.isr = (isr != current.isr).then_some(isr);
    record.adding_replicas = Some(Vec::new());
    record.removing_replicas = Some(Vec::new());
    record.leader = (leader != current.leader).then_some(leader);
    staging.push(MetadataRecord::PartitionChange(record))
}

/// The (replicas, ISR) a reassignment completes to, if it can complete now.
fn completed(p: &PartitionRegistration) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
    if !is_reassigning(p) {
        return None;
    }
    let replicas: Vec<NodeId> = p.replicas.iter().copied().filter(|r| !p.removing_replicas.contains(r)).collect();
    let isr: Vec<NodeId> = p.isr.iter().copied().filter(|r| !p.removing_replicas.contains(r)).collect();
    (!isr.is_empty() && replicas.iter().all(|r| isr.contains(r))).then_some((replicas, isr))
}

/// The reassignments in progress, in topic name and partition order; `filter` limits them to the named
/// partitions (unknown ones are left out, as Kafka does).
pub fn ongoing_reassignments(
    image: &MetadataImage,
    filter: Option<&[(String, PartitionIndex)]>,
) -> Vec<OngoingReassignment> {
    let wanted = |topic: &str, partition: PartitionIndex| {
        filter.is_none_or(|list| list.iter().any(|(t, p)| t == topic && *p == partition))
    };
    image
        .topics()
        .iter_by_name()
        .flat_map(|topic| {
            topic.partitions().filter(|(_, p)| is_reassigning(p)).map(move |(index, p)| (topic, index, p))
        })
        .filter(|(topic, index, _)| wanted(topic.name().as_str(), *index))
        .map(|(topic, partition, p)| OngoingReassignment {
            topic: topic.name().to_string(),
            partition,
            replicas: p.replicas.clone(),
            adding: p.adding_replicas.clone(),
            removing: p.removing_replicas.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_model::{LeaderEpoch, PartitionEpoch, TopicName};

    use super::*;
    use crate::controller::partitions::{alter_partition, AlterPartitionItem, AlterPartitionRequest, IsrMember};
    use crate::records::{PartitionRecord, TopicRecord};
    use crate::test_fixtures::*;

    /// Brokers 1..=4, topic "t" (id 1), partition 0 with replicas [1, 2, 3], leader 1.
    fn log_with_partition() -> Log {
        let mut log = Log::with_brokers(&[1, 2, 3, 4]);
        log.commit(vec![
            MetadataRecord::Topic(TopicRecord { name: TopicName::new("t").unwrap(), topic_id: topic_id(1) }),
            MetadataRecord::Partition(PartitionRecord {
                topic_id: topic_id(1),
                partition: PartitionIndex::new(0),
                replicas: nodes(&[1, 2, 3]),
                isr: nodes(&[1, 2, 3]),
                adding_replicas: vec![],
                removing_replicas: vec![],
                leader: node(1),
                leader_epoch: LeaderEpoch::new(0),
                partition_epoch: PartitionEpoch::new(0),
                eligible_leader_replicas: None,
                last_known_elr: None,
            }),
        ])
        .unwrap();
        log
    }

    fn p0(log: &Log) -> PartitionRegistration {
        log.image.topics().partition(topic_id(1), PartitionIndex::new(0)).unwrap().clone()
    }

    fn reassign(log: &mut Log, target: Option<&[i32]>) -> ErrorCode {
        let request =
            PartitionReassignment { topic: "t".into(), partition: PartitionIndex::new(0), target: target.map(nodes) };
        let r = alter_partition_reassignments(&log.image, &[request], true);
        let code = r.response[0].result.as_ref().err().map_or(ErrorCode::None, ReassignmentError::code);
        log.commit(r.records).unwrap();
        code
    }

    /// The leader proposes `isr`, as it does when a follower catches up.
    fn alter_isr(log: &mut Log, isr: &[i32]) {
        let current = p0(log);
        let request = AlterPartitionRequest {
            broker_id: current.leader,
            broker_epoch: log.epoch(current.leader.get()),
            partitions: vec![AlterPartitionItem {
                topic_id: topic_id(1),
                partition: PartitionIndex::new(0),
                leader_epoch: current.leader_epoch,
                partition_epoch: current.partition_epoch,
                new_isr: isr.iter().map(|b| IsrMember { broker_id: node(*b), broker_epoch: None }).collect(),
            }],
        };
        let r = alter_partition(&log.image, &request);
        assert!(r.response.as_ref().unwrap()[0].result.is_ok(), "{:?}", r.response);
        log.commit(r.records).unwrap();
    }

    fn shape(log: &Log) -> (Vec<NodeId>, Vec<NodeId>, Vec<NodeId>, Vec<NodeId>, NodeId) {
        let p = p0(log);
        (p.replicas, p.isr, p.adding_replicas, p.removing_replicas, p.leader)
    }

    #[test]
    fn a_move_keeps_the_old_replicas_until_the_new_one_is_in_sync() {
        let mut log = log_with_partition();
        assert_eq!(reassign(&mut log, Some(&[4, 2, 3])), ErrorCode::None);
        assert_eq!(shape(&log), (nodes(&[4, 2, 3, 1]), nodes(&[1, 2, 3]), nodes(&[4]), nodes(&[1]), node(1)));
        let listed = ongoing_reassignments(&log.image, None);
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].adding.clone(), listed[0].removing.clone()), (nodes(&[4]), nodes(&[1])));
        // The new replica catches up: the leader adds it to the ISR, which completes the move, and the
        // removed leader hands leadership to the first target replica in the ISR.
        let epoch_before = p0(&log).leader_epoch;
        alter_isr(&mut log, &[1, 2, 3, 4]);
        assert_eq!(shape(&log), (nodes(&[4, 2, 3]), nodes(&[2, 3, 4]), vec![], vec![], node(4)));
        assert!(p0(&log).leader_epoch > epoch_before);
        assert!(ongoing_reassignments(&log.image, None).is_empty());
    }

    #[test]
    fn a_shrink_completes_at_once_and_keeps_a_surviving_leader() {
        let mut log = log_with_partition();
        assert_eq!(reassign(&mut log, Some(&[2, 1])), ErrorCode::None);
        assert_eq!(shape(&log), (nodes(&[2, 1]), nodes(&[1, 2]), vec![], vec![], node(1)));
        // The same replicas again change nothing.
        let epoch = p0(&log).partition_epoch;
        assert_eq!(reassign(&mut log, Some(&[2, 1])), ErrorCode::None);
        assert_eq!(p0(&log).partition_epoch, epoch);
    }

    #[test]
    fn cancel_goes_back_to_the_original_replicas() {
        let mut log = log_with_partition();
        assert_eq!(reassign(&mut log, None), ErrorCode::NoReassignmentInProgress);
        assert_eq!(reassign(&mut log, Some(&[4, 2, 3])), ErrorCode::None);
        assert_eq!(reassign(&mut log, None), ErrorCode::None);
        // The original set, in the order of the reassigning list (as Kafka's revert keeps it): the
        // leader stays, and a preferred election would move it to 2.
        assert_eq!(shape(&log), (nodes(&[2, 3, 1]), nodes(&[1, 2, 3]), vec![], vec![], node(1)));
    }

    #[test]
    fn a_new_target_replaces_the_one_in_progress() {
        let mut log = log_with_partition();
        assert_eq!(reassign(&mut log, Some(&[4, 2, 3])), ErrorCode::None);
        assert_eq!(reassign(&mut log, Some(&[1, 2, 4])), ErrorCode::None);
        assert_eq!(shape(&log), (nodes(&[1, 2, 4, 3]), nodes(&[1, 2, 3]), nodes(&[4]), nodes(&[3]), node(1)));
    }

    #[test]
    fn bad_targets_are_refused() {
        let mut log = log_with_partition();
        for target in [&[][..], &[1, 1][..], &[1, 9][..]] {
            assert_eq!(reassign(&mut log, Some(target)), ErrorCode::InvalidReplicaAssignment, "{target:?}");
        }
        let unknown = PartitionReassignment { topic: "t".into(), partition: PartitionIndex::new(7), target: None };
        let r = alter_partition_reassignments(&log.image, &[unknown], true);
        assert_eq!(r.response[0].result.as_ref().unwrap_err().code(), ErrorCode::UnknownTopicOrPartition);
        let grow = PartitionReassignment {
            topic: "t".into(),
            partition: PartitionIndex::new(0),
            target: Some(nodes(&[1, 2, 3, 4])),
        };
        let r = alter_partition_reassignments(&log.image, &[grow], false);
        assert_eq!(r.response[0].result.as_ref().unwrap_err().code(), ErrorCode::InvalidReplicationFactor);
        assert!(r.records.is_empty());
    }

    #[test]
    fn completion_waits_for_every_target_replica() {
        let mut log = log_with_partition();
        alter_isr(&mut log, &[1, 2]);
        assert_eq!(reassign(&mut log, Some(&[2, 3, 4])), ErrorCode::None);
        alter_isr(&mut log, &[1, 2, 4]);
        assert_eq!(p0(&log).adding_replicas, nodes(&[4]), "3 is a target replica outside the ISR");
        alter_isr(&mut log, &[1, 2, 3, 4]);
        // 1 led and was removed, so 2 (the first target replica in the ISR) leads.
        assert_eq!(shape(&log), (nodes(&[2, 3, 4]), nodes(&[2, 3, 4]), vec![], vec![], node(2)));
    }
}
