//! The partition and cluster gauges, computed from a metadata image when scraped: what Kafka's
//! `ReplicaManager` (PartitionCount, LeaderCount, UnderReplicatedPartitions, UnderMinIsrPartitionCount)
//! and `KafkaController` (ActiveControllerCount, OfflinePartitionsCount, FencedBrokerCount,
//! ActiveBrokerCount) report. Pure: an image in, numbers out.

use flotilla_metadata::MetadataImage;
use flotilla_model::NodeId;

/// The gauges of one node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Replicas hosted here.
    pub partitions: u64,
    /// Partitions led here.
    pub leader_partitions: u64,
    /// Partitions led here whose ISR is smaller than their replica set.
    pub under_replicated_partitions: u64,
    /// Partitions led here whose ISR is smaller than their `min.insync.replicas`.
    pub under_min_isr_partitions: u64,
    /// Controller gauges: reported by the active controller only, as Kafka does, so a sum over the
    /// cluster counts each partition and broker once.
    pub active_controller: u64,
    pub offline_partitions: u64,
    pub fenced_brokers: u64,
    pub active_brokers: u64,
}

/// The gauges of `node` from `image`. `min_insync_replicas(topic)` is the topic's effective
/// `min.insync.replicas`.
pub fn gauges(
    image: &MetadataImage,
    node: NodeId,
    is_active_controller: bool,
    min_insync_replicas: impl Fn(&str) -> usize,
) -> Gauges {
    let mut gauges = Gauges::default();
    for topic in image.topics().iter() {
        let mut min_isr = None;
        for (_, partition) in topic.partitions() {
            if is_active_controller && !partition.has_leader() {
                gauges.offline_partitions += 1;
            }
            if !partition.is_replica(node) {
                continue;
            }
            gauges.partitions += 1;
            if partition.leader != node {
                continue;
            }
            gauges.leader_partitions += 1;
            if partition.isr.len() < partition.replicas.len() {
                gauges.under_replicated_partitions += 1;
            }
            let min_isr = *min_isr.get_or_insert_with(|| min_insync_replicas(topic.name().as_str()));
            if partition.isr.len() < min_isr {
                gauges.under_min_isr_partitions += 1;
            }
        }
    }
    if is_active_controller {
        gauges.active_controller = 1;
        for broker in image.brokers().iter() {
            if broker.fenced {
                gauges.fenced_brokers += 1;
            } else {
                gauges.active_brokers += 1;
            }
        }
    }
    gauges
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_metadata::{BrokerEpoch, MetadataRecord, RegisterBrokerRecord, UnfenceBrokerRecord};
    use flotilla_model::TopicId;

    use super::*;
    use crate::test_fixtures::{apply, topic_records};

    fn n(id: i32) -> NodeId {
        NodeId::new(id)
    }

    /// A topic whose partitions are (replicas, isr, leader); leader -1 is offline.
    fn topic(name: &str, id: u128, partitions: &[(&[i32], &[i32], i32)]) -> Vec<MetadataRecord> {
        topic_records(name, TopicId::new(uuid::Uuid::from_u128(id)), partitions)
    }

    fn cluster() -> MetadataImage {
        let mut image = MetadataImage::empty();
        for id in 1..=3 {
            image = apply(
                &image,
                vec![MetadataRecord::RegisterBroker(RegisterBrokerRecord {
                    broker_id: n(id),
                    incarnation_id: uuid::Uuid::from_u128(id as u128),
                    endpoints: vec![],
                    rack: None,
                    fenced: true,
                })],
            );
        }
        // Brokers 1 and 2 unfenced, 3 still fenced.
        for id in 1..=2 {
            let epoch: BrokerEpoch = image.brokers().get(n(id)).unwrap().epoch;
            image = apply(
                &image,
                vec![MetadataRecord::UnfenceBroker(UnfenceBrokerRecord { broker_id: n(id), broker_epoch: epoch })],
            );
        }
        let mut records = topic(
            "orders",
            1,
            &[
                (&[1, 2, 3], &[1, 2, 3], 1), // full ISR, led by 1
                (&[2, 1, 3], &[2, 1], 2),    // under-replicated, led by 2
                (&[1, 3, 2], &[1], 1),       // under-replicated and under min ISR, led by 1
                (&[3, 2, 1], &[3], -1),      // offline
            ],
        );
        records.extend(topic("audit", 2, &[(&[3], &[3], 3), (&[1], &[1], 1)]));
        apply(&image, records)
    }

    fn min_isr(topic: &str) -> usize {
        if topic == "orders" {
            2
        } else {
            1
        }
    }

    #[test]
    fn broker_gauges_count_what_this_node_hosts_and_leads() {
        let image = cluster();
        let one = gauges(&image, n(1), false, min_isr);
        assert_eq!(
            one,
            Gauges {
                partitions: 5,
                leader_partitions: 3,
                under_replicated_partitions: 1,
                under_min_isr_partitions: 1,
                ..Gauges::default()
            }
        );
        let two = gauges(&image, n(2), false, min_isr);
        assert_eq!((two.partitions, two.leader_partitions, two.under_replicated_partitions), (4, 1, 1));
        assert_eq!(two.under_min_isr_partitions, 0, "an ISR of 2 meets min.insync.replicas=2");
    }

    #[test]
    fn controller_gauges_come_from_the_active_controller_only() {
        let image = cluster();
        let passive = gauges(&image, n(2), false, min_isr);
        assert_eq!((passive.active_controller, passive.offline_partitions, passive.fenced_brokers), (0, 0, 0));
        let active = gauges(&image, n(2), true, min_isr);
        assert_eq!(active.active_controller, 1);
        assert_eq!(active.offline_partitions, 1);
        assert_eq!((active.active_brokers, active.fenced_brokers), (2, 1));
    }

    #[test]
    fn an_empty_image_has_nothing() {
        assert_eq!(gauges(&MetadataImage::empty(), n(1), false, min_isr), Gauges::default());
    }
}
