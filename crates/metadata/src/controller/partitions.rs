//! Leadership and ISR: who may lead (an active broker in the ISR, preferring replica order), the AlterPartition
//! rules for ISR changes from leaders, ElectLeaders (preferred and unclean), and moving a broker's leaderships
//! and ISR places away when it is fenced, shuts down or is replaced.
//!
//! No unclean election unless allowed: `unclean.leader.election.enable` set on the topic, else on the
//! cluster-wide broker default resource, else [`ElectionPolicy`]. When the last ISR member becomes unavailable
//! it stays in the ISR and the partition goes offline (leader -1) until it returns, as in Kafka.

use flotilla_model::{ErrorCode, LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId, TopicName};
use thiserror::Error;

use super::{reassignment, ControllerResult, Staging};
use crate::delta::ApplyError;
use crate::image::{MetadataImage, PartitionRegistration};
use crate::records::{BrokerEpoch, ConfigResource, MetadataRecord, PartitionChangeRecord};

/// The topic config that allows electing a leader from outside the ISR.
pub const UNCLEAN_LEADER_ELECTION_ENABLE: &str = "unclean.leader.election.enable";

/// The cluster's static default for unclean leader election (`unclean.leader.election.enable` in
/// server.properties); dynamic overrides in the image take precedence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ElectionPolicy {
    pub unclean_leader_election_enable: bool,
}

impl ElectionPolicy {
    /// Whether `topic` may elect a leader outside its ISR.
    pub fn allows_unclean(&self, image: &MetadataImage, topic: &TopicName) -> bool {
        let configs = image.configs();
        let value = configs
            .get(&ConfigResource::topic(topic.as_str()), UNCLEAN_LEADER_ELECTION_ENABLE)
            .or_else(|| configs.get(&ConfigResource::broker_default(), UNCLEAN_LEADER_ELECTION_ENABLE));
        match value {
            Some(v) => v.trim().eq_ignore_ascii_case("true"),
            None => self.unclean_leader_election_enable,
        }
    }
}

/// Why a partition request failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PartitionError {
    #[error("broker {0} is not registered")]
    BrokerIdNotRegistered(NodeId),
    #[error("broker {broker} sent epoch {request}, but its registration has epoch {current}")]
    StaleBrokerEpoch { broker: NodeId, current: BrokerEpoch, request: BrokerEpoch },
    #[error("no topic with id {0}")]
    UnknownTopicId(TopicId),
    #[error("This server does not host this topic-partition: {0}")]
    UnknownTopicOrPartition(String),
    #[error("leader epoch {request} is not the current leader epoch {current}")]
    FencedLeaderEpoch { current: LeaderEpoch, request: LeaderEpoch },
    #[error("broker {broker} is not the leader of this partition (the leader is {leader})")]
    NotLeader { broker: NodeId, leader: NodeId },
    #[error("partition epoch {request} is not the current partition epoch {current}")]
    InvalidUpdateVersion { current: PartitionEpoch, request: PartitionEpoch },
    #[error("invalid ISR: {0}")]
    InvalidIsr(String),
    #[error("replica {0} is not eligible for the ISR: {1}")]
    IneligibleReplica(NodeId, &'static str),
    #[error("Leader election not needed for topic partition")]
    ElectionNotNeeded,
    #[error("Failed to elect leader for partition: the preferred replica is not an active ISR member")]
    PreferredLeaderNotAvailable,
    #[error("Failed to elect leader for partition: no live replica is eligible")]
    EligibleLeadersNotAvailable,
    #[error("internal error: {0}")]
    Internal(ApplyError),
}

impl PartitionError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            PartitionError::BrokerIdNotRegistered(_) => ErrorCode::BrokerIdNotRegistered,
            PartitionError::StaleBrokerEpoch { .. } => ErrorCode::StaleBrokerEpoch,
            PartitionError::UnknownTopicId(_) => ErrorCode::UnknownTopicId,
            PartitionError::UnknownTopicOrPartition(_) => ErrorCode::UnknownTopicOrPartition,
            PartitionError::FencedLeaderEpoch { .. } => ErrorCode::FencedLeaderEpoch,
            PartitionError::NotLeader { .. } | PartitionError::InvalidIsr(_) => ErrorCode::InvalidRequest,
            PartitionError::InvalidUpdateVersion { .. } => ErrorCode::InvalidUpdateVersion,
            PartitionError::IneligibleReplica(..) => ErrorCode::IneligibleReplica,
            PartitionError::ElectionNotNeeded => ErrorCode::ElectionNotNeeded,
            PartitionError::PreferredLeaderNotAvailable => ErrorCode::PreferredLeaderNotAvailable,
            PartitionError::EligibleLeadersNotAvailable => ErrorCode::EligibleLeadersNotAvailable,
            PartitionError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }
}

/// A partition's leadership state, as AlterPartition answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub leader: NodeId,
    pub leader_epoch: LeaderEpoch,
    pub isr: Vec<NodeId>,
    pub partition_epoch: PartitionEpoch,
}

impl From<&PartitionRegistration> for PartitionState {
    fn from(p: &PartitionRegistration) -> Self {
        Self { leader: p.leader, leader_epoch: p.leader_epoch, isr: p.isr.clone(), partition_epoch: p.partition_epoch }
    }
}

/// A member of a proposed ISR; `broker_epoch` (AlterPartition v3+) must match the member's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsrMember {
    pub broker_id: NodeId,
    pub broker_epoch: Option<BrokerEpoch>,
}

/// One partition of an AlterPartition request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterPartitionItem {
    pub topic_id: TopicId,
    pub partition: PartitionIndex,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub new_isr: Vec<IsrMember>,
}

/// A leader's request to change ISRs (AlterPartition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterPartitionRequest {
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
    pub partitions: Vec<AlterPartitionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterPartitionResult {
    pub topic_id: TopicId,
    pub partition: PartitionIndex,
    /// The partition's state once the records are committed.
    pub result: Result<PartitionState, PartitionError>,
}

/// AlterPartition: the leader proposes a new ISR at the leader and partition epochs it knows. A stale leader
/// epoch is FENCED_LEADER_EPOCH, a stale partition epoch INVALID_UPDATE_VERSION, a member that is fenced,
/// shutting down, unregistered or of another incarnation INELIGIBLE_REPLICA. An ISR change bumps the partition
/// epoch only. A broker-level failure (unknown broker, stale broker epoch) fails the whole request.
pub fn alter_partition(
    image: &MetadataImage,
    request: &AlterPartitionRequest,
) -> ControllerResult<Result<Vec<AlterPartitionResult>, PartitionError>> {
    if let Err(e) = check_broker_epoch(image, request.broker_id, request.broker_epoch) {
        return ControllerResult::response_only(Err(e));
    }
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(request.partitions.len());
    for item in &request.partitions {
        let result = alter_one(&mut staging, request.broker_id, item);
        if let Err(PartitionError::Internal(e)) = result {
            return ControllerResult::response_only(Err(PartitionError::Internal(e)));
        }
        results.push(AlterPartitionResult { topic_id: item.topic_id, partition: item.partition, result });
    }
    ControllerResult::new(staging.records(), Ok(results))
}

fn alter_one(
    staging: &mut Staging,
    broker: NodeId,
    item: &AlterPartitionItem,
) -> Result<PartitionState, PartitionError> {
    let image = staging.image();
    let topic = image.topics().by_id(item.topic_id).ok_or(PartitionError::UnknownTopicId(item.topic_id))?;
    let current = topic
        .partition(item.partition)
        .ok_or_else(|| PartitionError::UnknownTopicOrPartition(format!("{}-{}", topic.name(), item.partition)))?;
    if item.leader_epoch != current.leader_epoch {
        return Err(PartitionError::FencedLeaderEpoch { current: current.leader_epoch, request: item.leader_epoch });
    }
    if broker != current.leader {
        return Err(PartitionError::NotLeader { broker, leader: current.leader });
    }
    if item.partition_epoch != current.partition_epoch {
        return Err(PartitionError::InvalidUpdateVersion {
            current: current.partition_epoch,
            request: item.partition_epoch,
        });
    }
    let new_isr: Vec<NodeId> = item.new_isr.iter().map(|m| m.broker_id).collect();
    if new_isr.iter().enumerate().any(|(i, b)| new_isr[..i].contains(b)) {
        return Err(PartitionError::InvalidIsr(format!("{new_isr:?} has duplicates")));
    }
    if let Some(outsider) = new_isr.iter().find(|b| !current.is_replica(**b)) {
        return Err(PartitionError::InvalidIsr(format!("{outsider} is not a replica of {:?}", current.replicas)));
    }
    if !new_isr.contains(&current.leader) {
        return Err(PartitionError::InvalidIsr(format!("the leader {} must stay in the ISR", current.leader)));
    }
    for member in &item.new_isr {
        let reason = match image.brokers().get(member.broker_id) {
            None => Some("not registered"),
            Some(b) if b.fenced => Some("fenced"),
            Some(b) if b.in_controlled_shutdown => Some("in controlled shutdown"),
            Some(b) if member.broker_epoch.is_some_and(|e| e != b.epoch) => Some("stale broker epoch"),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            return Err(PartitionError::IneligibleReplica(member.broker_id, reason));
        }
    }
    if new_isr != current.isr {
        let record = PartitionChangeRecord {
            isr: Some(new_isr),
            ..PartitionChangeRecord::new(item.topic_id, item.partition, current.partition_epoch)
        };
        staging.push(MetadataRecord::PartitionChange(record)).map_err(PartitionError::Internal)?;
        // A replica being added has caught up: that may complete a reassignment.
        reassignment::complete_if_ready(staging, item.topic_id, item.partition).map_err(PartitionError::Internal)?;
    }
    staging
        .image()
        .topics()
        .partition(item.topic_id, item.partition)
        .map(PartitionState::from)
        .ok_or_else(|| PartitionError::UnknownTopicOrPartition(item.partition.to_string()))
}

pub(crate) fn check_broker_epoch(
    image: &MetadataImage,
    broker: NodeId,
    epoch: BrokerEpoch,
) -> Result<(), PartitionError> {
    let registration = image.brokers().get(broker).ok_or(PartitionError::BrokerIdNotRegistered(broker))?;
    if registration.epoch != epoch {
        return Err(PartitionError::StaleBrokerEpoch { broker, current: registration.epoch, request: epoch });
    }
    Ok(())
}

/// Kafka's election types (ElectLeaders `election_type`: 0 preferred, 1 unclean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    /// Move leadership back to the first replica, if it is an active ISR member.
    Preferred,
    /// Elect a leader for an offline partition, from the ISR if possible, else from any active replica.
    Unclean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionResult {
    pub topic: String,
    pub partition: PartitionIndex,
    pub result: Result<(), PartitionError>,
}

/// ElectLeaders. `partitions: None` means every partition; then partitions that need no election are left
/// out of the response, as Kafka does.
pub fn elect_leaders(
    image: &MetadataImage,
    election_type: ElectionType,
    partitions: Option<&[(String, PartitionIndex)]>,
) -> ControllerResult<Vec<ElectionResult>> {
    let targets: Vec<(String, PartitionIndex)> = match partitions {
        Some(list) => list.to_vec(),
        None => image.topics().all_partitions().map(|(t, index, _)| (t.name().to_string(), index)).collect(),
    };
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(targets.len());
    for (topic, partition) in &targets {
        let result = elect_one(&mut staging, election_type, topic, *partition);
        if let Err(PartitionError::Internal(e)) = &result {
            let failed = targets.iter().map(|(topic, partition)| ElectionResult {
                topic: topic.clone(),
                partition: *partition,
                result: Err(PartitionError::Internal(e.clone())),
            });
            return ControllerResult::response_only(failed.collect());
        }
        if partitions.is_none() && result == Err(PartitionError::ElectionNotNeeded) {
            continue;
        }
        results.push(ElectionResult { topic: topic.clone(), partition: *partition, result });
    }
    ControllerResult::new(staging.records(), results)
}

fn elect_one(
    staging: &mut Staging,
    election_type: ElectionType,
    topic: &str,
    partition: PartitionIndex,
) -> Result<(), PartitionError> {
    let image = staging.image();
    let unknown = || PartitionError::UnknownTopicOrPartition(format!("{topic}-{partition}"));
    let topic_image = image.topics().by_name(topic).ok_or_else(unknown)?;
    let current = topic_image.partition(partition).ok_or_else(unknown)?;
    let brokers = image.brokers();
    let record = match election_type {
        ElectionType::Preferred => {
            let preferred = current.preferred_replica().ok_or(PartitionError::PreferredLeaderNotAvailable)?;
            if current.leader == preferred {
                return Err(PartitionError::ElectionNotNeeded);
            }
            if !current.in_isr(preferred) || !brokers.is_active(preferred) {
                return Err(PartitionError::PreferredLeaderNotAvailable);
            }
            change_to(topic_image.id(), partition, current, current.isr.clone(), preferred)
        }
        ElectionType::Unclean => {
            if current.has_leader() {
                return Err(PartitionError::ElectionNotNeeded);
            }
            let clean = choose_leader(current, &current.isr, |b| brokers.is_active(b));
            let (isr, leader) = match clean {
                Some(leader) => (current.isr.clone(), leader),
                None => {
                    let leader = current
                        .replicas
                        .iter()
                        .copied()
                        .find(|b| brokers.is_active(*b))
                        .ok_or(PartitionError::EligibleLeadersNotAvailable)?;
                    (vec![leader], leader)
                }
            };
            change_to(topic_image.id(), partition, current, isr, leader)
        }
    };
    if let Some(record) = record {
        staging.push(MetadataRecord::PartitionChange(record)).map_err(PartitionError::Internal)?;
    }
    Ok(())
}

/// The first replica (in replica order) that is in `isr` and acceptable.
pub(crate) fn choose_leader(
    partition: &PartitionRegistration,
    isr: &[NodeId],
    acceptable: impl Fn(NodeId) -> bool,
) -> Option<NodeId> {
    partition.replicas.iter().copied().find(|r| isr.contains(r) && acceptable(*r))
}

/// The record that takes `current` to (`isr`, `leader`), or `None` when that is where it is.
pub(crate) fn change_to(
    topic: TopicId,
    partition: PartitionIndex,
    current: &PartitionRegistration,
    isr: Vec<NodeId>,
    leader: NodeId,
) -> Option<PartitionChangeRecord> {
    let mut record = PartitionChangeRecord::new(topic, partition, current.partition_epoch);
    if isr != current.isr {
        record.isr = Some(isr);
    }
    if leader != current.leader {
        record.leader = Some(leader);
    }
    (!record.is_empty()).then_some(record)
}

/// Takes `broker` out of every ISR and leadership, as when it is fenced, shuts down or is replaced: it
/// leaves each ISR unless it is the last member (then it stays and the partition goes offline), and each
/// partition it led gets the first active ISR member as leader, or an unclean leader where allowed, or none.
pub(crate) fn move_away(staging: &mut Staging, broker: NodeId, policy: &ElectionPolicy) -> Result<(), ApplyError> {
    let affected: Vec<(TopicId, PartitionIndex)> = staging
        .image()
        .topics()
        .all_partitions()
        .filter(|(_, _, p)| p.leader == broker || p.in_isr(broker))
        .map(|(t, index, _)| (t.id(), index))
        .collect();
    for (topic_id, index) in affected {
        let image = staging.image();
        let (Some(topic), Some(current)) = (image.topics().by_id(topic_id), image.topics().partition(topic_id, index))
        else {
            continue;
        };
        let acceptable = |b: NodeId| b != broker && image.brokers().is_active(b);
        let mut isr: Vec<NodeId> = current.isr.iter().copied().filter(|b| *b != broker).collect();
        if isr.is_empty() {
            isr.clone_from(&current.isr);
        }
        let mut leader = current.leader;
        if leader == broker {
            leader = match choose_leader(current, &isr, acceptable) {
                Some(l) => l,
                None if policy.allows_unclean(image, topic.name()) => {
                    match current.replicas.iter().copied().find(|b| acceptable(*b)) {
                        Some(l) => {
                            isr = vec![l];
                            l
                        }
                        None => NodeId::NONE,
                    }
                }
                None => NodeId::NONE,
            };
        }
        if let Some(record) = change_to(topic_id, index, current, isr, leader) {
            staging.push(MetadataRecord::PartitionChange(record))?;
        }
    }
    Ok(())
}

/// Gives every offline partition a leader if one is now possible: the first active ISR member, or where
/// unclean election is allowed, the first active replica (which becomes the whole ISR).
pub(crate) fn elect_offline(staging: &mut Staging, policy: &ElectionPolicy) -> Result<(), ApplyError> {
    let offline: Vec<(TopicId, PartitionIndex)> =
        staging.image().topics().offline().map(|(t, index, _)| (t.id(), index)).collect();
    for (topic_id, index) in offline {
        let image = staging.image();
        let (Some(topic), Some(current)) = (image.topics().by_id(topic_id), image.topics().partition(topic_id, index))
        else {
            continue;
        };
        let active = |b: NodeId| image.brokers().is_active(b);
        let choice = match choose_leader(current, &current.isr, active) {
            Some(leader) => Some((current.isr.clone(), leader)),
            None if policy.allows_unclean(image, topic.name()) => {
                current.replicas.iter().copied().find(|b| active(*b)).map(|leader| (vec![leader], leader))
            }
            None => None,
        };
        if let Some(record) = choice.and_then(|(isr, leader)| change_to(topic_id, index, current, isr, leader)) {
            staging.push(MetadataRecord::PartitionChange(record))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{ConfigRecord, FenceBrokerRecord, PartitionRecord, TopicRecord};
    use crate::test_fixtures::*;

    /// Brokers 1..=3, topic "t" (id 1), partition 0 with replicas [1, 2, 3], leader 1.
    fn log_with_partition() -> Log {
        let mut log = Log::with_brokers(&[1, 2, 3]);
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

    fn change(log: &mut Log, isr: &[i32], leader: Option<i32>) {
        let current = p0(log);
        log.commit(vec![MetadataRecord::PartitionChange(PartitionChangeRecord {
            isr: Some(nodes(isr)),
            leader: leader.map(node),
            ..PartitionChangeRecord::new(topic_id(1), PartitionIndex::new(0), current.partition_epoch)
        })])
        .unwrap();
    }

    fn request(log: &Log, broker: i32, isr: &[i32]) -> AlterPartitionRequest {
        let current = p0(log);
        AlterPartitionRequest {
            broker_id: node(broker),
            broker_epoch: log.epoch(broker),
            partitions: vec![AlterPartitionItem {
                topic_id: topic_id(1),
                partition: PartitionIndex::new(0),
                leader_epoch: current.leader_epoch,
                partition_epoch: current.partition_epoch,
                new_isr: isr.iter().map(|b| IsrMember { broker_id: node(*b), broker_epoch: None }).collect(),
            }],
        }
    }

    fn item_code(r: &ControllerResult<Result<Vec<AlterPartitionResult>, PartitionError>>) -> ErrorCode {
        match &r.response {
            Ok(items) => items[0].result.as_ref().err().map_or(ErrorCode::None, PartitionError::code),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn shrink_and_expand_isr_bump_partition_epoch_only() {
        let mut log = log_with_partition();
        let r = alter_partition(&log.image, &request(&log, 1, &[1, 2]));
        let state = r.response.as_ref().unwrap()[0].result.clone().unwrap();
        assert_eq!(
            state,
            PartitionState {
                leader: node(1),
                leader_epoch: LeaderEpoch::new(0),
                isr: nodes(&[1, 2]),
                partition_epoch: PartitionEpoch::new(1),
            }
        );
        log.commit(r.records).unwrap();
        assert_eq!(p0(&log).isr, nodes(&[1, 2]));
        let r = alter_partition(&log.image, &request(&log, 1, &[1, 2, 3]));
        log.commit(r.records).unwrap();
        assert_eq!((p0(&log).isr, p0(&log).partition_epoch.get()), (nodes(&[1, 2, 3]), 2));
        // Proposing the current ISR changes nothing and answers the current state.
        let r = alter_partition(&log.image, &request(&log, 1, &[1, 2, 3]));
        assert!(r.records.is_empty() && item_code(&r) == ErrorCode::None);
    }

    #[test]
    fn stale_epochs_and_wrong_leader_are_rejected() {
        let mut log = log_with_partition();
        let stale = request(&log, 1, &[1, 2]);
        change(&mut log, &[1, 2, 3], None); // partition epoch moves on
        assert_eq!(item_code(&alter_partition(&log.image, &stale)), ErrorCode::InvalidUpdateVersion);
        let old_leader = request(&log, 1, &[1, 2]);
        change(&mut log, &[1, 2, 3], Some(2)); // leader epoch moves on
        assert_eq!(item_code(&alter_partition(&log.image, &old_leader)), ErrorCode::FencedLeaderEpoch);
        let mut not_leader = request(&log, 1, &[1, 2]);
        not_leader.partitions[0].leader_epoch = p0(&log).leader_epoch;
        assert_eq!(item_code(&alter_partition(&log.image, &not_leader)), ErrorCode::InvalidRequest);
        let mut bad_broker_epoch = request(&log, 2, &[2, 3]);
        bad_broker_epoch.broker_epoch = BrokerEpoch::new(0);
        let r = alter_partition(&log.image, &bad_broker_epoch);
        assert_eq!(item_code(&r), ErrorCode::StaleBrokerEpoch);
        assert!(r.response.is_err(), "a stale broker epoch fails the whole request");
    }

    #[test]
    fn isr_must_be_replicas_with_the_leader_and_eligible() {
        let mut log = log_with_partition();
        for isr in [&[2, 3][..], &[1, 4][..], &[1, 1][..]] {
            assert_eq!(item_code(&alter_partition(&log.image, &request(&log, 1, isr))), ErrorCode::InvalidRequest);
        }
        change(&mut log, &[1, 2], None);
        let epoch3 = log.epoch(3);
        log.commit(vec![MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id: node(3), broker_epoch: epoch3 })])
            .unwrap();
        let r = alter_partition(&log.image, &request(&log, 1, &[1, 2, 3]));
        assert_eq!(item_code(&r), ErrorCode::IneligibleReplica);
        assert!(r.records.is_empty());
        let mut wrong_incarnation = request(&log, 1, &[1, 2]);
        wrong_incarnation.partitions[0].new_isr[1].broker_epoch = Some(BrokerEpoch::new(0));
        assert_eq!(item_code(&alter_partition(&log.image, &wrong_incarnation)), ErrorCode::IneligibleReplica);
        let mut unknown = request(&log, 1, &[1]);
        unknown.partitions[0].topic_id = topic_id(9);
        assert_eq!(item_code(&alter_partition(&log.image, &unknown)), ErrorCode::UnknownTopicId);
        let mut missing = request(&log, 1, &[1]);
        missing.partitions[0].partition = PartitionIndex::new(4);
        assert_eq!(item_code(&alter_partition(&log.image, &missing)), ErrorCode::UnknownTopicOrPartition);
    }

    fn elect(log: &Log, kind: ElectionType) -> ControllerResult<Vec<ElectionResult>> {
        elect_leaders(&log.image, kind, Some(&[("t".to_string(), PartitionIndex::new(0))]))
    }

    fn code(r: &ControllerResult<Vec<ElectionResult>>) -> ErrorCode {
        r.response[0].result.as_ref().err().map_or(ErrorCode::None, PartitionError::code)
    }

    #[test]
    fn preferred_election_moves_leadership_back() {
        let mut log = log_with_partition();
        assert_eq!(code(&elect(&log, ElectionType::Preferred)), ErrorCode::ElectionNotNeeded);
        change(&mut log, &[2, 3], Some(2));
        assert_eq!(code(&elect(&log, ElectionType::Preferred)), ErrorCode::PreferredLeaderNotAvailable);
        change(&mut log, &[1, 2, 3], None);
        let r = elect(&log, ElectionType::Preferred);
        assert_eq!(code(&r), ErrorCode::None);
        log.commit(r.records).unwrap();
        assert_eq!((p0(&log).leader, p0(&log).leader_epoch.get()), (node(1), 2));
        // All partitions: ones that need nothing are left out.
        assert!(elect_leaders(&log.image, ElectionType::Preferred, None).response.is_empty());
        let r = elect_leaders(&log.image, ElectionType::Preferred, Some(&[("nope".into(), PartitionIndex::new(0))]));
        assert_eq!(code(&r), ErrorCode::UnknownTopicOrPartition);
    }

    #[test]
    fn unclean_election_takes_a_live_replica_outside_the_isr() {
        let mut log = log_with_partition();
        assert_eq!(code(&elect(&log, ElectionType::Unclean)), ErrorCode::ElectionNotNeeded);
        change(&mut log, &[1], None);
        let epoch1 = log.epoch(1);
        log.commit(vec![MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id: node(1), broker_epoch: epoch1 })])
            .unwrap();
        change(&mut log, &[1], Some(-1));
        let r = elect(&log, ElectionType::Unclean);
        assert_eq!(code(&r), ErrorCode::None);
        log.commit(r.records).unwrap();
        assert_eq!((p0(&log).leader, p0(&log).isr), (node(2), nodes(&[2])));
    }

    #[test]
    fn unclean_policy_follows_topic_then_cluster_override_then_default() {
        let mut log = log_with_partition();
        let t = TopicName::new("t").unwrap();
        let off = ElectionPolicy { unclean_leader_election_enable: false };
        let on = ElectionPolicy { unclean_leader_election_enable: true };
        assert!(!off.allows_unclean(&log.image, &t) && on.allows_unclean(&log.image, &t));
        let set = |resource: ConfigResource, value: &str| {
            MetadataRecord::Config(ConfigRecord {
                resource,
                key: UNCLEAN_LEADER_ELECTION_ENABLE.into(),
                value: Some(value.into()),
            })
        };
        log.commit(vec![set(ConfigResource::broker_default(), "true")]).unwrap();
        assert!(off.allows_unclean(&log.image, &t));
        log.commit(vec![set(ConfigResource::topic("t"), "false")]).unwrap();
        assert!(!on.allows_unclean(&log.image, &t));
    }
}
