//! OffsetForLeaderEpoch (key 23), versions 2-4 (Kafka 4's range): for each partition, the largest leader
//! epoch at most the one asked about and the offset where it ends in the leader's log, or (-1, -1) if
//! the log has none. Consumers use it after a leader change to find out whether the log they were
//! reading was truncated below their position (KIP-320).
//!
//! `replica_id` -2 (debugging, the default before v3) may ask any replica; anyone else (consumers: -1)
//! must ask the leader (NOT_LEADER_OR_FOLLOWER otherwise). `current_leader_epoch` is checked as for a
//! fetch: older → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH, -1 skips the check.

use flotilla_model::{ErrorCode, LeaderEpoch};
use flotilla_protocol::messages::offset_for_leader_epoch_response::{EpochEndOffset, OffsetForLeaderTopicResult};
use flotilla_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{partition_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::partition::PartitionLookup;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::OffsetForLeaderEpoch, versions: VersionRange { min: 2, max: 4 }, advertised_min: 2 };

/// `replica_id` of a request that may be answered by any replica.
const DEBUGGING_REPLICA_ID: i32 = -2;

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let from_leader_only = request.replica_id != DEBUGGING_REPLICA_ID;
    let partitions = broker.partitions();
    let topics = request
        .topics
        .iter()
        .map(|topic| OffsetForLeaderTopicResult {
            topic: topic.topic.clone(),
            partitions: topic
                .partitions
                .iter()
                .map(|asked| {
                    let mut answer = EpochEndOffset {
                        partition: asked.partition,
                        leader_epoch: -1,
                        end_offset: -1,
                        ..Default::default()
                    };
                    let found = match partitions.lookup(&topic.topic, asked.partition) {
                        PartitionLookup::Hosted(partition) => partition
                            .last_offset_for_leader_epoch(
                                LeaderEpoch::new(asked.current_leader_epoch),
                                LeaderEpoch::new(asked.leader_epoch),
                                from_leader_only,
                            )
                            .map_err(|e| partition_error_code(&e)),
                        PartitionLookup::NotHosted { .. } => Err(ErrorCode::NotLeaderOrFollower),
                        PartitionLookup::Offline => Err(ErrorCode::KafkaStorageError),
                        PartitionLookup::UnknownTopic | PartitionLookup::UnknownPartition => {
                            Err(ErrorCode::UnknownTopicOrPartition)
                        }
                    };
                    match found {
                        Ok((epoch, end_offset)) => {
                            answer.leader_epoch = epoch.get();
                            answer.end_offset = end_offset.get();
                        }
                        Err(code) => answer.error_code = code.code(),
                    }
                    answer
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    OffsetForLeaderEpochResponse { topics, ..Default::default() }
}
