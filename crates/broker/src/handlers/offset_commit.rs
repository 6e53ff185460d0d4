//! OffsetCommit (key 8), versions 2-9: a group's consumed positions, written to `__consumer_offsets`
//! with acks=all before they are acknowledged. A partition of a topic that does not exist is refused
//! with UNKNOWN_TOPIC_OR_PARTITION and metadata over `offset.metadata.max.bytes` with
//! OFFSET_METADATA_TOO_LARGE; the rest are committed together or fail together with the group's error.

use flotilla_group::offsets::CommittedOffset;
use flotilla_model::{ErrorCode, PartitionIndex};
use flotilla_protocol::messages::offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic};
use flotilla_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::coordinator::OffsetToCommit;
use crate::partition::wall_clock_ms;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::OffsetCommit, versions: VersionRange { min: 2, max: 9 }, advertised_min: 2 };

/// A partition and the error it was refused with before the commit, if any.
type PartitionDecision = (i32, Option<ErrorCode>);

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: OffsetCommitRequest) -> OffsetCommitResponse {
    let image = broker.image();
    let now_ms = wall_clock_ms();
    let max_metadata_bytes = broker.coordinator().map_or(0, |c| c.group_config().offset_metadata_max_bytes);
    // Per topic and partition: an error decided now, or `None` to commit.
    let mut decided: Vec<(String, Vec<PartitionDecision>)> = Vec::with_capacity(request.topics.len());
    let mut to_commit = Vec::new();
    for topic in &request.topics {
        let known = image.topics().by_name(&topic.name);
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for p in &topic.partitions {
            let exists = known.is_some_and(|t| t.partition(PartitionIndex::new(p.partition_index)).is_some());
            let metadata = p.committed_metadata.as_deref().unwrap_or("");
            let error = if !exists {
                Some(ErrorCode::UnknownTopicOrPartition)
            } else if metadata.len() > max_metadata_bytes {
                Some(ErrorCode::OffsetMetadataTooLarge)
            } else {
                to_commit.push(OffsetToCommit {
                    topic: topic.name.to_string(),
                    partition: p.partition_index,
                    offset: CommittedOffset {
                        offset: p.committed_offset,
                        leader_epoch: if ctx.api_version() >= 6 { p.committed_leader_epoch } else { -1 },
                        metadata: metadata.to_owned(),
                        commit_timestamp_ms: now_ms,
                    },
                });
                None
            };
            partitions.push((p.partition_index, error));
        }
        decided.push((topic.name.to_string(), partitions));
    }

    let group_result = match broker.coordinator() {
        None => Err(ErrorCode::CoordinatorNotAvailable),
        Some(_) if to_commit.is_empty() => Ok(()),
        Some(coordinator) => coordinator
            .commit_offsets(
                &request.group_id,
                &request.member_id,
                request.group_instance_id.as_deref(),
                request.generation_id_or_member_epoch,
                to_commit,
            )
            .await
            .map_err(group_error_code),
    };
    let commit_code = match group_result {
        Ok(()) => ErrorCode::None,
        Err(code) => code,
    };
    OffsetCommitResponse {
        topics: decided
            .into_iter()
            .map(|(name, partitions)| OffsetCommitResponseTopic {
                name: name.into(),
                partitions: partitions
                    .into_iter()
                    .map(|(partition_index, error)| OffsetCommitResponsePartition {
                        partition_index,
                        error_code: error.unwrap_or(commit_code).code(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
