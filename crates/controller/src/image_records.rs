//! The records that rebuild an image: what a snapshot stores. The metadata image is not a serde
//! type, so a snapshot is the image written back as batches which, replayed from the empty image,
//! give an equal image (the same position, broker epochs, partition epochs, configs and producer
//! id counter).
//!
//! Two facts of the image live only in when a record was applied, so the batches reproduce the
//! timing too:
//! - a broker's epoch is the offset of the batch that registered it, so each broker is registered in
//!   a batch at its epoch's offset;
//! - the producer id counter only moves by blocks handed to a registered broker, so a stand-in broker
//!   registers at offset 0, takes one block as large as everything handed out so far, and
//!   unregisters in the same batch.
//!
//! Everything else (cluster id, features, topics with their partitions, config overrides) is one
//! batch at the image's own position.

use std::collections::BTreeMap;

use flotilla_metadata::{
    BrokerControlledShutdownRecord, BrokerEpoch, ClusterIdRecord, ConfigRecord, FeatureLevelRecord, LogPosition,
    MetadataBatch, MetadataImage, MetadataRecord, PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord,
    TopicRecord, UnregisterBrokerRecord,
};
use flotilla_model::NodeId;

/// The broker id the producer id counter is restored through; it never stays registered.
const PRODUCER_IDS_STAND_IN: NodeId = NodeId::new(i32::MAX);

/// Batches that rebuild `image` from the empty image, in log order. Empty for the empty image.
pub fn image_to_batches(image: &MetadataImage) -> Vec<MetadataBatch> {
    let position = image.position();
    let mut by_offset: BTreeMap<u64, Vec<MetadataRecord>> = BTreeMap::new();

    let next_producer_id = image.producer_ids().next_producer_id().get();
    if next_producer_id > 0 {
        let epoch = BrokerEpoch::new(0);
        by_offset.entry(0).or_default().extend([
            MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                broker_id: PRODUCER_IDS_STAND_IN,
                incarnation_id: uuid::Uuid::nil(),
                endpoints: Vec::new(),
                rack: None,
                fenced: true,
            }),
            MetadataRecord::ProducerIds(ProducerIdsRecord {
                broker_id: PRODUCER_IDS_STAND_IN,
                broker_epoch: epoch,
                first_producer_id: flotilla_model::ProducerId::new(0),
                size: next_producer_id,
            }),
            MetadataRecord::UnregisterBroker(UnregisterBrokerRecord {
                broker_id: PRODUCER_IDS_STAND_IN,
                broker_epoch: epoch,
            }),
        ]);
    }

    for broker in image.brokers().iter() {
        // Epochs are offsets of earlier batches, so never negative nor past the image.
        let offset = u64::try_from(broker.epoch.get()).unwrap_or(0).min(position.offset);
        let records = by_offset.entry(offset).or_default();
        records.push(MetadataRecord::RegisterBroker(RegisterBrokerRecord {
            broker_id: broker.id,
            incarnation_id: broker.incarnation_id,
            endpoints: broker.endpoints.clone(),
            rack: broker.rack.clone(),
            fenced: broker.fenced,
        }));
        if broker.in_controlled_shutdown {
            records.push(MetadataRecord::BrokerControlledShutdown(BrokerControlledShutdownRecord {
                broker_id: broker.id,
                broker_epoch: broker.epoch,
            }));
        }
    }

    let last = by_offset.entry(position.offset).or_default();
    if let Some(cluster_id) = image.cluster().cluster_id() {
        last.push(MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: cluster_id.to_string() }));
    }
    for (name, level) in image.cluster().features() {
        last.push(MetadataRecord::FeatureLevel(FeatureLevelRecord { name: name.clone(), level: *level }));
    }
    for topic in image.topics().iter() {
        last.push(MetadataRecord::Topic(TopicRecord { name: topic.name().clone(), topic_id: topic.id() }));
        for (index, p) in topic.partitions() {
            last.push(MetadataRecord::Partition(PartitionRecord {
                topic_id: topic.id(),
                partition: index,
                replicas: p.replicas.clone(),
                isr: p.isr.clone(),
                adding_replicas: p.adding_replicas.clone(),
                removing_replicas: p.removing_replicas.clone(),
                leader: p.leader,
                leader_epoch: p.leader_epoch,
                partition_epoch: p.partition_epoch,
                eligible_leader_replicas: p.eligible_leader_replicas.clone(),
                last_known_elr: p.last_known_elr.clone(),
            }));
        }
    }
    for (resource, overrides) in image.configs().iter() {
        for (key, value) in overrides {
            last.push(MetadataRecord::Config(ConfigRecord {
                resource: resource.clone(),
                key: key.clone(),
                value: Some(value.clone()),
            }));
        }
    }

    if position == LogPosition::default() && by_offset.values().all(Vec::is_empty) {
        return Vec::new();
    }
    by_offset
        .into_iter()
        .map(|(offset, records)| {
            // Only the order of offsets matters before the last batch; their epochs are not kept.
            let position = if offset == position.offset { position } else { LogPosition::new(offset, 0) };
            MetadataBatch { position, records }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;

    use flotilla_metadata::controller::brokers::{
        broker_heartbeat, fence_expired, register_broker, BrokerHeartbeat, BrokerRegistrationRequest, BrokerSessions,
    };
    use flotilla_metadata::controller::configs::{
        incremental_alter_configs, AcceptAllConfigs, AlterConfigEntry, AlterConfigOp, AlterConfigsResource,
    };
    use flotilla_metadata::controller::partitions::ElectionPolicy;
    use flotilla_metadata::controller::producer_ids::allocate_producer_ids;
    use flotilla_metadata::controller::random::SeededRandom;
    use flotilla_metadata::controller::topics::{
        create_topics, delete_topics, CreatableTopic, CreateTopicsRequest, TopicDefaults, TopicRef,
    };
    use flotilla_metadata::{replay, ConfigResource, MetadataDelta};

    use super::*;

    /// A metadata log in memory, each commit one batch at the next offset.
    struct Log {
        image: MetadataImage,
        offset: u64,
    }

    impl Log {
        fn commit(&mut self, records: Vec<MetadataRecord>) {
            self.offset += 3; // gaps, as raft's blank and membership entries leave
            let mut delta = MetadataDelta::new(&self.image);
            delta.apply_batch(&MetadataBatch { position: LogPosition::new(self.offset, 2), records }).unwrap();
            self.image = delta.finish();
        }
    }

    fn rebuilt(image: &MetadataImage) -> MetadataImage {
        replay(&MetadataImage::empty(), &image_to_batches(image)).unwrap()
    }

    #[test]
    fn the_empty_image_needs_no_batches() {
        assert!(image_to_batches(&MetadataImage::empty()).is_empty());
        assert_eq!(rebuilt(&MetadataImage::empty()), MetadataImage::empty());
    }

    #[test]
    fn a_busy_image_is_rebuilt_equal() {
        let policy = ElectionPolicy::default();
        let mut log = Log { image: MetadataImage::empty(), offset: 0 };
        log.commit(vec![MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: "c".into() })]);
        log.commit(vec![MetadataRecord::FeatureLevel(FeatureLevelRecord {
            name: "metadata.version".into(),
            level: 27,
        })]);
        let mut heartbeats = BTreeMap::new();
        for id in 1..=4 {
            let sessions = BrokerSessions { now_ms: 0, last_heartbeat_ms: &heartbeats, session_timeout_ms: 100 };
            let request = BrokerRegistrationRequest {
                broker_id: NodeId::new(id),
                cluster_id: "c".into(),
                incarnation_id: uuid::Uuid::from_u128(id as u128),
                endpoints: vec![],
                rack: Some(format!("r{}", id % 2)),
            };
            let decision = register_broker(&log.image, &request, &sessions, &policy);
            log.commit(decision.records);
            heartbeats.insert(NodeId::new(id), 0);
            let epoch = log.image.brokers().get(NodeId::new(id)).unwrap().epoch;
            let heartbeat = BrokerHeartbeat {
                broker_id: NodeId::new(id),
                broker_epoch: epoch,
                current_metadata_offset: log.offset as i64,
                want_fence: false,
                want_shutdown: false,
            };
            log.commit(broker_heartbeat(&log.image, &heartbeat, &policy).records);
            if id == 4 {
                let shutdown = BrokerHeartbeat { want_shutdown: true, ..heartbeat };
                log.commit(broker_heartbeat(&log.image, &shutdown, &policy).records);
            }
        }
        let mut random = SeededRandom::new(7);
        let request = CreateTopicsRequest {
            topics: ["a", "b", "c"]
                .iter()
                .map(|name| CreatableTopic {
                    name: (*name).into(),
                    num_partitions: 3,
                    replication_factor: 2,
                    assignments: vec![],
                    configs: vec![("retention.ms".into(), Some("1000".into()))],
                })
                .collect(),
            validate_only: false,
        };
        let decision = create_topics(&log.image, &request, &TopicDefaults::default(), &AcceptAllConfigs, &mut random);
        log.commit(decision.records);
        log.commit(delete_topics(&log.image, &[TopicRef::Name("b".into())], true).records);
        let alter = AlterConfigsResource {
            resource: ConfigResource::broker_default(),
            entries: vec![AlterConfigEntry {
                key: "unclean.leader.election.enable".into(),
                op: AlterConfigOp::Set("true".into()),
            }],
        };
        log.commit(incremental_alter_configs(&log.image, &[alter], false, &AcceptAllConfigs).records);
        for _ in 0..2 {
            let epoch = log.image.brokers().get(NodeId::new(1)).unwrap().epoch;
            log.commit(allocate_producer_ids(&log.image, NodeId::new(1), epoch).records);
        }
        // Broker 2's session expires: fenced, leaderships and ISR places move (partition epochs > 0).
        heartbeats.insert(NodeId::new(2), 0);
        for id in [1, 3, 4] {
            heartbeats.insert(NodeId::new(id), 1_000);
        }
        let sessions = BrokerSessions { now_ms: 1_050, last_heartbeat_ms: &heartbeats, session_timeout_ms: 100 };
        let fenced = fence_expired(&log.image, &sessions, &policy);
        assert_eq!(fenced.response, vec![NodeId::new(2)]);
        log.commit(fenced.records);

        let image = &log.image;
        assert!(image.brokers().get(NodeId::new(2)).unwrap().fenced);
        assert!(image.brokers().get(NodeId::new(4)).unwrap().in_controlled_shutdown);
        assert_eq!(image.producer_ids().next_producer_id().get(), 2000);
        assert!(image.topics().all_partitions().any(|(_, _, p)| p.partition_epoch.get() > 0));
        assert_eq!(&rebuilt(image), image);
    }
}
