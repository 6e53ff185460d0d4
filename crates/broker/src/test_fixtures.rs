//! Metadata images for unit tests: records applied as the next batch, and topics written as their
//! records.

#![allow(clippy::unwrap_used)]

use flotilla_metadata::{
    LogPosition, MetadataBatch, MetadataDelta, MetadataImage, MetadataRecord, PartitionRecord, TopicRecord,
};
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId, TopicName};

/// Applies `records` to `image` as the next batch.
pub(crate) fn apply(image: &MetadataImage, records: Vec<MetadataRecord>) -> MetadataImage {
    let mut delta = MetadataDelta::new(image);
    let position = LogPosition::new(image.position().offset + 1, 1);
    delta.apply_batch(&MetadataBatch { position, records }).unwrap();
    delta.finish()
}

/// The records of a topic whose partitions are (replicas, isr, leader), at epoch 0; leader -1 is offline.
pub(crate) fn topic_records(
    name: &str,
    topic_id: TopicId,
    partitions: &[(&[i32], &[i32], i32)],
) -> Vec<MetadataRecord> {
    let ids = |list: &[i32]| list.iter().copied().map(NodeId::new).collect::<Vec<_>>();
    let mut records = vec![MetadataRecord::Topic(TopicRecord { name: TopicName::new(name).unwrap(), topic_id })];
    for (index, (replicas, isr, leader)) in partitions.iter().enumerate() {
        records.push(MetadataRecord::Partition(PartitionRecord {
            topic_id,
            partition: PartitionIndex::new(i32::try_from(index).unwrap()),
            replicas: ids(replicas),
            isr: ids(isr),
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader: NodeId::new(*leader),
            leader_epoch: LeaderEpoch::new(0),
            partition_epoch: PartitionEpoch::new(0),
            eligible_leader_replicas: None,
            last_known_elr: None,
        }));
    }
    records
}
