//! Conversions between `proto/replication.proto`'s messages and the partition layer's types. Every
//! value from the wire is checked here: a topic id that is not 16 bytes is a malformed request.

use flotilla_model::{LeaderEpoch, Offset, PartitionIndex, TopicId};

use super::proto::{EpochEndOffset, PartitionData};
use crate::partition::ReadResult;

/// A topic id from its 16 wire bytes, `None` if it is not 16 bytes long.
pub fn topic_id_from_wire(bytes: &[u8]) -> Option<TopicId> {
    let array: [u8; 16] = bytes.try_into().ok()?;
    Some(TopicId::new(uuid::Uuid::from_bytes(array)))
}

/// A topic id as its 16 wire bytes.
pub fn topic_id_to_wire(topic_id: TopicId) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(topic_id.get().as_bytes())
}

/// The answer for one partition read.
pub fn partition_data(
    topic_id: TopicId,
    partition: PartitionIndex,
    read: ReadResult,
    log_end_offset: Offset,
) -> PartitionData {
    PartitionData {
        topic_id: topic_id_to_wire(topic_id),
        partition: partition.get(),
        error_code: 0,
        high_watermark: read.high_watermark.get(),
        log_start_offset: read.log_start_offset.get(),
        log_end_offset: log_end_offset.get(),
        diverging_epoch: read
            .diverging_epoch
            .map(|(epoch, end_offset)| EpochEndOffset { epoch: epoch.get(), end_offset: end_offset.get() }),
        records: read.records,
    }
}

/// The diverging epoch of an answer, as partition-layer values.
pub fn diverging_epoch(data: &PartitionData) -> Option<(LeaderEpoch, Offset)> {
    data.diverging_epoch.as_ref().map(|d| (LeaderEpoch::new(d.epoch), Offset::new(d.end_offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_ids_round_trip_and_bad_lengths_are_refused() {
        let id = TopicId::new(uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0011_2233_4455_6677));
        assert_eq!(topic_id_from_wire(&topic_id_to_wire(id)), Some(id));
        assert_eq!(topic_id_from_wire(&[1, 2, 3]), None);
        assert_eq!(topic_id_from_wire(&[0; 17]), None);
    }
}
