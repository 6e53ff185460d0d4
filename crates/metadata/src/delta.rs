//! [`MetadataDelta`]: records applied on top of a [`MetadataImage`], producing the next image.
//!
//! Each record is checked against the state it applies to and either applied whole or rejected with an
//! [`ApplyError`], leaving the delta as it was. Records come from the controller's decisions, which only
//! produce consistent ones, so a rejection means a bug or a corrupt log: the caller should discard the
//! delta (the base image is untouched) and stop applying.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use flotilla_model::{ErrorCode, NodeId, PartitionEpoch, PartitionIndex, ProducerId, TopicId, TopicName};
use thiserror::Error;

use crate::image::{BrokerRegistration, MetadataImage, PartitionRegistration, TopicImage};
use crate::records::{
    BrokerEpoch, ClusterIdRecord, ConfigRecord, ConfigResourceType, FeatureLevelRecord, LogPosition, MetadataBatch,
    MetadataRecord, PartitionChangeRecord, PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord, RemoveTopicRecord,
    TopicRecord,
};

/// Why a record could not be applied to the image.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplyError {
    #[error("batch position {proposed} is before the current position {current}")]
    PositionWentBack { current: LogPosition, proposed: LogPosition },
    #[error("cluster id {proposed} differs from the cluster's id {current}")]
    ClusterIdMismatch { current: String, proposed: String },
    #[error("broker {0} is not registered")]
    UnknownBroker(NodeId),
    #[error("record for broker {broker} carries epoch {record}, but the registration has epoch {current}")]
    StaleBrokerEpoch { broker: NodeId, current: BrokerEpoch, record: BrokerEpoch },
    #[error("broker {broker} registered at epoch {current} cannot re-register at epoch {proposed}")]
    RegistrationNotNewer { broker: NodeId, current: BrokerEpoch, proposed: BrokerEpoch },
    #[error("topic {0} already exists")]
    DuplicateTopicName(TopicName),
    #[error("topic id {0} is already in use or reserved")]
    InvalidTopicId(TopicId),
    #[error("no topic with id {0}")]
    UnknownTopicId(TopicId),
    #[error("no topic named {0}")]
    UnknownTopicName(String),
    #[error("partition {topic}:{partition} already exists")]
    DuplicatePartition { topic: TopicId, partition: PartitionIndex },
    #[error("no partition {topic}:{partition}")]
    UnknownPartition { topic: TopicId, partition: PartitionIndex },
    #[error("change to {topic}:{partition} was decided at partition epoch {record}, but it is at {current}")]
    StalePartitionEpoch { topic: TopicId, partition: PartitionIndex, current: PartitionEpoch, record: PartitionEpoch },
    #[error("partition {topic}:{partition} would be malformed: {reason}")]
    MalformedPartition { topic: TopicId, partition: PartitionIndex, reason: String },
    #[error("broker config resource {0:?} is neither a broker id nor empty")]
    InvalidBrokerResource(String),
    #[error("producer id block starts at {record}, but the next free id is {next}")]
    ProducerIdsOutOfOrder { next: ProducerId, record: ProducerId },
    #[error("producer id block of size {0} is empty or overflows")]
    InvalidProducerIdBlock(i64),
}

impl ApplyError {
    /// An inconsistent record is the controller's bug, never the client's: UNKNOWN_SERVER_ERROR.
    pub const fn code(&self) -> ErrorCode {
        ErrorCode::UnknownServerError
    }
}

/// Records applied on top of a base image.
#[derive(Debug, Clone)]
pub struct MetadataDelta {
    next: MetadataImage,
    changed_brokers: BTreeSet<NodeId>,
    changed_partitions: BTreeSet<(TopicId, PartitionIndex)>,
    removed_topics: BTreeMap<TopicId, TopicName>,
}

impl MetadataDelta {
    pub fn new(base: &MetadataImage) -> Self {
        Self {
            next: base.clone(),
            changed_brokers: BTreeSet::new(),
            changed_partitions: BTreeSet::new(),
            removed_topics: BTreeMap::new(),
        }
    }

    /// The image as it stands with the records applied so far.
    pub fn image(&self) -> &MetadataImage {
        &self.next
    }

    /// Ends the delta: the next image.
    pub fn finish(self) -> MetadataImage {
        self.next
    }

    /// Brokers whose registration changed (registered, fenced, unfenced, shutting down, unregistered).
    pub fn changed_brokers(&self) -> &BTreeSet<NodeId> {
        &self.changed_brokers
    }

    /// Partitions created or changed (of topics that still exist).
    pub fn changed_partitions(&self) -> impl Iterator<Item = (TopicId, PartitionIndex)> + '_ {
        self.changed_partitions.iter().copied().filter(|(t, _)| !self.removed_topics.contains_key(t))
    }

    /// Topics deleted, with the names they had.
    pub fn removed_topics(&self) -> &BTreeMap<TopicId, TopicName> {
        &self.removed_topics
    }

    /// Records applied from now on belong to the batch at `position`. Positions never go back.
    pub fn set_position(&mut self, position: LogPosition) -> Result<(), ApplyError> {
        if position < self.next.position {
            return Err(ApplyError::PositionWentBack { current: self.next.position, proposed: position });
        }
        self.next.position = position;
        Ok(())
    }

    /// Applies a committed batch: its position, then each record in order. On error the records before the
    /// failing one stay applied; discard the delta.
    pub fn apply_batch(&mut self, batch: &MetadataBatch) -> Result<(), ApplyError> {
        self.set_position(batch.position)?;
        batch.records.iter().try_for_each(|record| self.apply(record))
    }

    /// Applies one record at the current position, or rejects it and changes nothing.
    pub fn apply(&mut self, record: &MetadataRecord) -> Result<(), ApplyError> {
        match record {
            MetadataRecord::ClusterId(r) => self.apply_cluster_id(r),
            MetadataRecord::FeatureLevel(r) => {
                self.apply_feature_level(r);
                Ok(())
            }
            MetadataRecord::RegisterBroker(r) => self.apply_register_broker(r),
            MetadataRecord::UnregisterBroker(r) => {
                self.registered(r.broker_id, r.broker_epoch)?;
                Arc::make_mut(&mut self.next.brokers).brokers.remove(&r.broker_id);
                self.changed_brokers.insert(r.broker_id);
                Ok(())
            }
            MetadataRecord::FenceBroker(r) => self.change_broker(r.broker_id, r.broker_epoch, |b| b.fenced = true),
            MetadataRecord::UnfenceBroker(r) => self.change_broker(r.broker_id, r.broker_epoch, |b| b.fenced = false),
            MetadataRecord::BrokerControlledShutdown(r) => {
                self.change_broker(r.broker_id, r.broker_epoch, |b| b.in_controlled_shutdown = true)
            }
            MetadataRecord::Topic(r) => self.apply_topic(r),
            MetadataRecord::RemoveTopic(r) => self.apply_remove_topic(r),
            MetadataRecord::Partition(r) => self.apply_partition(r),
            MetadataRecord::PartitionChange(r) => self.apply_partition_change(r),
            MetadataRecord::Config(r) => self.apply_config(r),
            MetadataRecord::ProducerIds(r) => self.apply_producer_ids(r),
        }
    }

    fn apply_cluster_id(&mut self, r: &ClusterIdRecord) -> Result<(), ApplyError> {
        match self.next.cluster.cluster_id() {
            Some(current) if current != r.cluster_id => {
                Err(ApplyError::ClusterIdMismatch { current: current.to_string(), proposed: r.cluster_id.clone() })
            }
            Some(_) => Ok(()),
            None => {
                Arc::make_mut(&mut self.next.cluster).cluster_id = Some(r.cluster_id.clone());
                Ok(())
            }
        }
    }

    fn apply_feature_level(&mut self, r: &FeatureLevelRecord) {
        let features = &mut Arc::make_mut(&mut self.next.cluster).features;
        if r.level == 0 {
            features.remove(&r.name);
        } else {
            features.insert(r.name.clone(), r.level);
        }
    }

    fn apply_register_broker(&mut self, r: &RegisterBrokerRecord) -> Result<(), ApplyError> {
        let epoch = BrokerEpoch::new(i64::try_from(self.next.position.offset).unwrap_or(i64::MAX));
        if let Some(existing) = self.next.brokers.get(r.broker_id) {
            if existing.epoch >= epoch {
                return Err(ApplyError::RegistrationNotNewer {
                    broker: r.broker_id,
                    current: existing.epoch,
                    proposed: epoch,
                });
            }
        }
        let registration = BrokerRegistration {
            id: r.broker_id,
            epoch,
            incarnation_id: r.incarnation_id,
            endpoints: r.endpoints.clone(),
            rack: r.rack.clone(),
            fenced: r.fenced,
            in_controlled_shutdown: false,
        };
        Arc::make_mut(&mut self.next.brokers).brokers.insert(r.broker_id, registration);
        self.changed_brokers.insert(r.broker_id);
        Ok(())
    }

    fn registered(&self, broker: NodeId, epoch: BrokerEpoch) -> Result<&BrokerRegistration, ApplyError> {
        let registration = self.next.brokers.get(broker).ok_or(ApplyError::UnknownBroker(broker))?;
        if registration.epoch != epoch {
            return Err(ApplyError::StaleBrokerEpoch { broker, current: registration.epoch, record: epoch });
        }
        Ok(registration)
    }

    fn change_broker(
        &mut self,
        broker: NodeId,
        epoch: BrokerEpoch,
        change: impl FnOnce(&mut BrokerRegistration),
    ) -> Result<(), ApplyError> {
        self.registered(broker, epoch)?;
        if let Some(registration) = Arc::make_mut(&mut self.next.brokers).brokers.get_mut(&broker) {
            change(registration);
        }
        self.changed_brokers.insert(broker);
        Ok(())
    }

    fn apply_topic(&mut self, r: &TopicRecord) -> Result<(), ApplyError> {
        let topics = &self.next.topics;
        if topics.by_name.contains_key(&r.name) {
            return Err(ApplyError::DuplicateTopicName(r.name.clone()));
        }
        if r.topic_id == TopicId::ZERO || topics.by_id.contains_key(&r.topic_id) {
            return Err(ApplyError::InvalidTopicId(r.topic_id));
        }
        let topics = Arc::make_mut(&mut self.next.topics);
        topics.by_name.insert(r.name.clone(), r.topic_id);
        topics.by_id.insert(
            r.topic_id,
            Arc::new(TopicImage { name: r.name.clone(), id: r.topic_id, partitions: BTreeMap::new() }),
        );
        Ok(())
    }

    fn apply_remove_topic(&mut self, r: &RemoveTopicRecord) -> Result<(), ApplyError> {
        let name = match self.next.topics.by_id(r.topic_id) {
            Some(topic) => topic.name.clone(),
            None => return Err(ApplyError::UnknownTopicId(r.topic_id)),
        };
        let topics = Arc::make_mut(&mut self.next.topics);
        topics.by_id.remove(&r.topic_id);
        topics.by_name.remove(&name);
        let resource = crate::records::ConfigResource::topic(name.as_str());
        if self.next.configs.overrides(&resource).is_some() {
            Arc::make_mut(&mut self.next.configs).resources.remove(&resource);
        }
        self.removed_topics.insert(r.topic_id, name);
        Ok(())
    }

    fn apply_partition(&mut self, r: &PartitionRecord) -> Result<(), ApplyError> {
        let topic = self.next.topics.by_id(r.topic_id).ok_or(ApplyError::UnknownTopicId(r.topic_id))?;
        if topic.partitions.contains_key(&r.partition) {
            return Err(ApplyError::DuplicatePartition { topic: r.topic_id, partition: r.partition });
        }
        let registration = PartitionRegistration {
            replicas: r.replicas.clone(),
            isr: r.isr.clone(),
            adding_replicas: r.adding_replicas.clone(),
            removing_replicas: r.removing_replicas.clone(),
            leader: r.leader,
            leader_epoch: r.leader_epoch,
            partition_epoch: r.partition_epoch,
            eligible_leader_replicas: r.eligible_leader_replicas.clone(),
            last_known_elr: r.last_known_elr.clone(),
        };
        let reason = if r.partition.get() < 0 { Some("negative index".into()) } else { registration.shape_error() };
        if let Some(reason) = reason {
            return Err(ApplyError::MalformedPartition { topic: r.topic_id, partition: r.partition, reason });
        }
        self.put_partition(r.topic_id, r.partition, registration);
        Ok(())
    }

    fn apply_partition_change(&mut self, r: &PartitionChangeRecord) -> Result<(), ApplyError> {
        let current = self
            .next
            .topics
            .by_id(r.topic_id)
            .ok_or(ApplyError::UnknownTopicId(r.topic_id))?
            .partition(r.partition)
            .ok_or(ApplyError::UnknownPartition { topic: r.topic_id, partition: r.partition })?;
        if current.partition_epoch != r.partition_epoch {
            return Err(ApplyError::StalePartitionEpoch {
                topic: r.topic_id,
                partition: r.partition,
                current: current.partition_epoch,
                record: r.partition_epoch,
            });
        }
        let mut next = current.clone();
        let overwrite = |field: &mut Vec<NodeId>, value: &Option<Vec<NodeId>>| {
            if let Some(value) = value {
                field.clone_from(value);
            }
        };
        overwrite(&mut next.replicas, &r.replicas);
        overwrite(&mut next.isr, &r.isr);
        overwrite(&mut next.adding_replicas, &r.adding_replicas);
        overwrite(&mut next.removing_replicas, &r.removing_replicas);
        if r.eligible_leader_replicas.is_some() {
            next.eligible_leader_replicas.clone_from(&r.eligible_leader_replicas);
        }
        if r.last_known_elr.is_some() {
            next.last_known_elr.clone_from(&r.last_known_elr);
        }
        if let Some(leader) = r.leader {
            next.leader = leader;
            next.leader_epoch = next.leader_epoch.next();
        }
        next.partition_epoch = next.partition_epoch.next();
        if let Some(reason) = next.shape_error() {
            return Err(ApplyError::MalformedPartition { topic: r.topic_id, partition: r.partition, reason });
        }
        self.put_partition(r.topic_id, r.partition, next);
        Ok(())
    }

    fn put_partition(&mut self, topic: TopicId, partition: PartitionIndex, registration: PartitionRegistration) {
        let topics = Arc::make_mut(&mut self.next.topics);
        if let Some(topic) = topics.by_id.get_mut(&topic) {
            Arc::make_mut(topic).partitions.insert(partition, registration);
        }
        self.changed_partitions.insert((topic, partition));
    }

    fn apply_config(&mut self, r: &ConfigRecord) -> Result<(), ApplyError> {
        match r.resource.resource_type {
            ConfigResourceType::Topic => {
                if self.next.topics.by_name(&r.resource.name).is_none() {
                    return Err(ApplyError::UnknownTopicName(r.resource.name.clone()));
                }
            }
            ConfigResourceType::Broker => {
                if !r.resource.name.is_empty() && r.resource.name.parse::<i32>().is_err() {
                    return Err(ApplyError::InvalidBrokerResource(r.resource.name.clone()));
                }
            }
        }
        let resources = &mut Arc::make_mut(&mut self.next.configs).resources;
        match &r.value {
            Some(value) => {
                resources.entry(r.resource.clone()).or_default().insert(r.key.clone(), value.clone());
            }
            None => {
                if let Some(overrides) = resources.get_mut(&r.resource) {
                    overrides.remove(&r.key);
                    if overrides.is_empty() {
                        resources.remove(&r.resource);
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_producer_ids(&mut self, r: &ProducerIdsRecord) -> Result<(), ApplyError> {
        let next = self.next.producer_ids.next_producer_id();
        if r.first_producer_id != next {
            return Err(ApplyError::ProducerIdsOutOfOrder { next, record: r.first_producer_id });
        }
        self.registered(r.broker_id, r.broker_epoch)?;
        let end = match r.first_producer_id.get().checked_add(r.size) {
            Some(end) if r.size > 0 => end,
            _ => return Err(ApplyError::InvalidProducerIdBlock(r.size)),
        };
        self.next.producer_ids.next_producer_id = end;
        Ok(())
    }
}

/// Applies `batches` in order on top of `image`: how a broker or a restarted controller catches up.
pub fn replay(image: &MetadataImage, batches: &[MetadataBatch]) -> Result<MetadataImage, ApplyError> {
    let mut delta = MetadataDelta::new(image);
    for batch in batches {
        delta.apply_batch(batch)?;
    }
    Ok(delta.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_model::{LeaderEpoch, TopicName};

    use super::*;
    use crate::records::{
        ConfigResource, FenceBrokerRecord, PartitionChangeRecord, UnfenceBrokerRecord, UnregisterBrokerRecord,
    };
    use crate::test_fixtures::*;

    fn topic(name: &str, id: u128) -> MetadataRecord {
        MetadataRecord::Topic(TopicRecord { name: TopicName::new(name).unwrap(), topic_id: topic_id(id) })
    }

    fn partition(id: u128, index: i32, replicas: &[i32], leader: i32) -> MetadataRecord {
        MetadataRecord::Partition(PartitionRecord {
            topic_id: topic_id(id),
            partition: PartitionIndex::new(index),
            replicas: nodes(replicas),
            isr: nodes(replicas),
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader: node(leader),
            leader_epoch: LeaderEpoch::new(0),
            partition_epoch: PartitionEpoch::new(0),
            eligible_leader_replicas: None,
            last_known_elr: None,
        })
    }

    fn change(id: u128, index: i32, epoch: i32) -> PartitionChangeRecord {
        PartitionChangeRecord::new(topic_id(id), PartitionIndex::new(index), PartitionEpoch::new(epoch))
    }

    fn log_with_topic() -> Log {
        let mut log = Log::with_brokers(&[1, 2, 3]);
        log.commit(vec![topic("orders", 1), partition(1, 0, &[1, 2, 3], 1)]).unwrap();
        log
    }

    #[test]
    fn cluster_id_is_set_once() {
        let mut log = Log::new();
        let id = |s: &str| MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: s.into() });
        log.commit(vec![id("abc")]).unwrap();
        log.commit(vec![id("abc")]).unwrap();
        assert_eq!(log.image.cluster().cluster_id(), Some("abc"));
        assert!(matches!(log.commit(vec![id("xyz")]), Err(ApplyError::ClusterIdMismatch { .. })));
    }

    #[test]
    fn feature_level_zero_removes() {
        let mut log = Log::new();
        let level = |l| MetadataRecord::FeatureLevel(FeatureLevelRecord { name: "metadata.version".into(), level: l });
        log.commit(vec![level(7)]).unwrap();
        assert_eq!(log.image.cluster().feature_level("metadata.version"), Some(7));
        log.commit(vec![level(0)]).unwrap();
        assert_eq!(log.image.cluster().feature_level("metadata.version"), None);
    }

    #[test]
    fn registration_sets_epoch_to_batch_offset_and_starts_fenced() {
        let mut log = Log::new();
        log.commit(vec![register_record(1, 10, Some("r1"))]).unwrap();
        let b = log.image.brokers().get(node(1)).unwrap();
        assert_eq!(b.epoch, BrokerEpoch::new(1));
        assert!(b.fenced);
        assert_eq!(b.rack.as_deref(), Some("r1"));
        assert!(log.image.live_brokers().is_empty());
        // A new incarnation replaces the old one with a newer epoch.
        log.commit(vec![register_record(1, 11, None)]).unwrap();
        let b = log.image.brokers().get(node(1)).unwrap();
        assert_eq!((b.epoch, b.incarnation_id), (BrokerEpoch::new(2), uuid::Uuid::from_u128(11)));
    }

    #[test]
    fn two_registrations_of_one_broker_in_a_batch_are_rejected() {
        let mut log = Log::new();
        let err = log.commit(vec![register_record(1, 10, None), register_record(1, 11, None)]).unwrap_err();
        assert!(matches!(err, ApplyError::RegistrationNotNewer { .. }));
    }

    #[test]
    fn fence_unfence_shutdown_unregister_check_the_epoch() {
        let mut log = Log::with_brokers(&[1]);
        let epoch = log.epoch(1);
        let stale = BrokerEpoch::new(epoch.get() - 1);
        let fence = |e| MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id: node(1), broker_epoch: e });
        assert!(matches!(log.commit(vec![fence(stale)]), Err(ApplyError::StaleBrokerEpoch { .. })));
        log.commit(vec![fence(epoch)]).unwrap();
        assert!(log.image.brokers().get(node(1)).unwrap().fenced);
        log.commit(vec![MetadataRecord::UnfenceBroker(UnfenceBrokerRecord {
            broker_id: node(1),
            broker_epoch: epoch,
        })])
        .unwrap();
        assert!(log.image.brokers().is_active(node(1)));
        log.commit(vec![MetadataRecord::BrokerControlledShutdown(crate::records::BrokerControlledShutdownRecord {
            broker_id: node(1),
            broker_epoch: epoch,
        })])
        .unwrap();
        assert!(!log.image.brokers().is_active(node(1)));
        assert_eq!(log.image.live_brokers().len(), 1, "shutting down is still unfenced");
        log.commit(vec![MetadataRecord::UnregisterBroker(UnregisterBrokerRecord {
            broker_id: node(1),
            broker_epoch: epoch,
        })])
        .unwrap();
        assert!(log.image.brokers().is_empty());
        assert!(matches!(log.commit(vec![fence(epoch)]), Err(ApplyError::UnknownBroker(_))));
    }

    #[test]
    fn topics_are_found_by_name_and_id() {
        let log = log_with_topic();
        let t = log.image.topics().by_name("orders").unwrap();
        assert_eq!(t.id(), topic_id(1));
        assert_eq!(log.image.topics().by_id(topic_id(1)).unwrap().name().as_str(), "orders");
        assert_eq!(
            log.image.leader_and_isr(topic_id(1), PartitionIndex::new(0)),
            Some((node(1), &nodes(&[1, 2, 3])[..]))
        );
        assert_eq!(log.image.partitions_led_by(node(1)), vec![(topic_id(1), PartitionIndex::new(0))]);
        assert!(log.image.partitions_led_by(node(2)).is_empty());
    }

    #[test]
    fn duplicate_topics_and_partitions_are_rejected() {
        let mut log = log_with_topic();
        assert!(matches!(log.commit(vec![topic("orders", 2)]), Err(ApplyError::DuplicateTopicName(_))));
        assert!(matches!(log.commit(vec![topic("other", 1)]), Err(ApplyError::InvalidTopicId(_))));
        assert!(matches!(log.commit(vec![topic("other", 0)]), Err(ApplyError::InvalidTopicId(_))));
        assert!(matches!(log.commit(vec![partition(1, 0, &[1], 1)]), Err(ApplyError::DuplicatePartition { .. })));
        assert!(matches!(log.commit(vec![partition(9, 0, &[1], 1)]), Err(ApplyError::UnknownTopicId(_))));
    }

    #[test]
    fn malformed_partitions_are_rejected() {
        let mut log = log_with_topic();
        for (replicas, leader) in [(&[][..], -1), (&[1, 1][..], 1), (&[1, 2][..], 3)] {
            let err = log.commit(vec![partition(1, 1, replicas, leader)]).unwrap_err();
            assert!(matches!(err, ApplyError::MalformedPartition { .. }), "{replicas:?} {leader}: {err}");
        }
        assert!(matches!(log.commit(vec![partition(1, -1, &[1], 1)]), Err(ApplyError::MalformedPartition { .. })));
    }

    #[test]
    fn leader_change_bumps_both_epochs_isr_change_only_partition_epoch() {
        let mut log = log_with_topic();
        let p = PartitionIndex::new(0);
        log.commit(vec![MetadataRecord::PartitionChange(PartitionChangeRecord {
            isr: Some(nodes(&[1, 2])),
            ..change(1, 0, 0)
        })])
        .unwrap();
        let reg = log.image.topics().partition(topic_id(1), p).unwrap();
        assert_eq!((reg.leader_epoch.get(), reg.partition_epoch.get()), (0, 1));
        log.commit(vec![MetadataRecord::PartitionChange(PartitionChangeRecord {
            leader: Some(node(2)),
            ..change(1, 0, 1)
        })])
        .unwrap();
        let reg = log.image.topics().partition(topic_id(1), p).unwrap();
        assert_eq!((reg.leader, reg.leader_epoch.get(), reg.partition_epoch.get()), (node(2), 1, 2));
    }

    #[test]
    fn partition_change_rejects_stale_epoch_unknown_topic_and_bad_shape() {
        let mut log = log_with_topic();
        let before = log.image.clone();
        let stale =
            MetadataRecord::PartitionChange(PartitionChangeRecord { isr: Some(nodes(&[1])), ..change(1, 0, 5) });
        assert!(matches!(log.commit(vec![stale]), Err(ApplyError::StalePartitionEpoch { .. })));
        let unknown = MetadataRecord::PartitionChange(change(9, 0, 0));
        assert!(matches!(log.commit(vec![unknown]), Err(ApplyError::UnknownTopicId(_))));
        let missing = MetadataRecord::PartitionChange(change(1, 7, 0));
        assert!(matches!(log.commit(vec![missing]), Err(ApplyError::UnknownPartition { .. })));
        let leader_out_of_isr =
            MetadataRecord::PartitionChange(PartitionChangeRecord { isr: Some(nodes(&[2, 3])), ..change(1, 0, 0) });
        assert!(matches!(log.commit(vec![leader_out_of_isr]), Err(ApplyError::MalformedPartition { .. })));
        assert_eq!(log.image, before, "rejected records change nothing");
    }

    #[test]
    fn rejected_record_leaves_delta_unchanged() {
        let log = log_with_topic();
        let mut delta = MetadataDelta::new(&log.image);
        let bad = MetadataRecord::PartitionChange(PartitionChangeRecord { isr: Some(nodes(&[9])), ..change(1, 0, 0) });
        assert!(delta.apply(&bad).is_err());
        assert_eq!(delta.image(), &log.image);
        assert_eq!(delta.changed_partitions().count(), 0);
    }

    #[test]
    fn remove_topic_drops_partitions_and_configs() {
        let mut log = log_with_topic();
        let config = |v: Option<&str>| {
            MetadataRecord::Config(ConfigRecord {
                resource: ConfigResource::topic("orders"),
                key: "retention.ms".into(),
                value: v.map(str::to_string),
            })
        };
        log.commit(vec![config(Some("1000"))]).unwrap();
        assert_eq!(log.image.topic_config_overrides("orders").get("retention.ms").map(String::as_str), Some("1000"));
        let mut delta = MetadataDelta::new(&log.image);
        delta.apply(&MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: topic_id(1) })).unwrap();
        assert_eq!(delta.removed_topics().get(&topic_id(1)).map(TopicName::as_str), Some("orders"));
        let image = delta.finish();
        assert!(image.topics().is_empty());
        assert!(image.topic_config_overrides("orders").is_empty());
        // A config for a topic that does not exist is inconsistent.
        let mut log = Log { image, batches: vec![] };
        assert!(matches!(log.commit(vec![config(Some("1"))]), Err(ApplyError::UnknownTopicName(_))));
        assert!(matches!(
            log.commit(vec![MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: topic_id(1) })]),
            Err(ApplyError::UnknownTopicId(_))
        ));
    }

    #[test]
    fn config_delete_removes_key_and_empty_resource() {
        let mut log = Log::new();
        let set = |key: &str, value: Option<&str>| {
            MetadataRecord::Config(ConfigRecord {
                resource: ConfigResource::broker_default(),
                key: key.into(),
                value: value.map(str::to_string),
            })
        };
        log.commit(vec![set("a", Some("1")), set("b", Some("2")), set("a", None)]).unwrap();
        assert_eq!(log.image.configs().get(&ConfigResource::broker_default(), "b"), Some("2"));
        assert_eq!(log.image.configs().get(&ConfigResource::broker_default(), "a"), None);
        log.commit(vec![set("b", None)]).unwrap();
        assert!(log.image.configs().overrides(&ConfigResource::broker_default()).is_none());
        let bad = MetadataRecord::Config(ConfigRecord {
            resource: ConfigResource { resource_type: ConfigResourceType::Broker, name: "x".into() },
            key: "a".into(),
            value: Some("1".into()),
        });
        assert!(matches!(log.commit(vec![bad]), Err(ApplyError::InvalidBrokerResource(_))));
    }

    #[test]
    fn producer_id_blocks_are_contiguous() {
        let mut log = Log::with_brokers(&[1]);
        let epoch = log.epoch(1);
        let block = |first: i64, size: i64| {
            MetadataRecord::ProducerIds(ProducerIdsRecord {
                broker_id: node(1),
                broker_epoch: epoch,
                first_producer_id: ProducerId::new(first),
                size,
            })
        };
        log.commit(vec![block(0, 1000)]).unwrap();
        assert_eq!(log.image.producer_ids().next_producer_id(), ProducerId::new(1000));
        assert!(matches!(log.commit(vec![block(0, 1000)]), Err(ApplyError::ProducerIdsOutOfOrder { .. })));
        assert!(matches!(log.commit(vec![block(1000, 0)]), Err(ApplyError::InvalidProducerIdBlock(0))));
        assert!(matches!(log.commit(vec![block(1000, i64::MAX)]), Err(ApplyError::InvalidProducerIdBlock(_))));
    }

    #[test]
    fn positions_never_go_back_and_replay_rebuilds_the_image() {
        let log = log_with_topic();
        let mut delta = MetadataDelta::new(&log.image);
        assert!(delta.set_position(LogPosition::new(1, 1)).is_err());
        let rebuilt = replay(&MetadataImage::empty(), &log.batches).unwrap();
        assert_eq!(rebuilt, log.image);
        assert_eq!(rebuilt.position(), log.batches.last().unwrap().position);
    }

    #[test]
    fn unchanged_parts_are_shared_between_images() {
        let log = log_with_topic();
        let mut delta = MetadataDelta::new(&log.image);
        delta
            .apply(&MetadataRecord::FeatureLevel(FeatureLevelRecord { name: "metadata.version".into(), level: 1 }))
            .unwrap();
        let next = delta.finish();
        assert!(Arc::ptr_eq(&next.topics, &log.image.topics));
        assert!(Arc::ptr_eq(&next.brokers, &log.image.brokers));
        assert!(!Arc::ptr_eq(&next.cluster, &log.image.cluster));
    }
}
