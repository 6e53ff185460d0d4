//! OffsetFetch (key 9), versions 1-9: a group's committed offsets (v2+: all of them with null topics;
//! v8+: several groups). A partition with no commit is answered with offset -1, as Kafka does. There are
//! no pending transactional offsets yet, so `require_stable` never waits. v9 names the asking member of a
//! consumer-protocol group, whose id and epoch are checked (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH).

use flotilla_group::offsets::CommittedOffset;
use flotilla_group::GroupError;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic,
    OffsetFetchResponseTopics,
};
use flotilla_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};
use flotilla_protocol::{ApiKey, ByteString, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::OffsetFetch, versions: VersionRange { min: 1, max: 9 }, advertised_min: 1 };

/// A partition and its committed offset, if any.
type PartitionOffset = (i32, Option<CommittedOffset>);

type Fetched = Result<Vec<(String, i32, Option<CommittedOffset>)>, GroupError>;

pub fn handle(broker: &Broker, ctx: &RequestContext, request: &OffsetFetchRequest) -> OffsetFetchResponse {
    let fetch = |group_id: &str, wanted: Option<Vec<(String, Vec<i32>)>>, member: Option<(&str, i32)>| -> Fetched {
        match broker.coordinator() {
            None => Err(GroupError::CoordinatorNotAvailable),
            Some(c) => c.fetch_offsets(group_id, wanted.as_deref(), member),
        }
    };
    if ctx.api_version() >= 8 {
        let groups = request
            .groups
            .iter()
            .map(|g| {
                let wanted = g
                    .topics
                    .as_ref()
                    .map(|ts| ts.iter().map(|t| (t.name.to_string(), t.partition_indexes.clone())).collect::<Vec<_>>());
                let member = g.member_id.as_deref().map(|id| (id, g.member_epoch));
                let (topics, error) = match fetch(&g.group_id, wanted, member) {
                    Ok(found) => (group_by_topic(found), ErrorCode::None),
                    Err(e) => (Vec::new(), group_error_code(e)),
                };
                OffsetFetchResponseGroup {
                    group_id: g.group_id.clone(),
                    topics: topics
                        .into_iter()
                        .map(|(name, partitions)| OffsetFetchResponseTopics {
                            name: name.into(),
                            partitions: partitions
                                .into_iter()
                                .map(|(partition_index, o)| {
                                    let (committed_offset, committed_leader_epoch, metadata) = answer(o);
                                    OffsetFetchResponsePartitions {
                                        partition_index,
                                        committed_offset,
                                        committed_leader_epoch,
                                        metadata,
                                        ..Default::default()
                                    }
                                })
                                .collect(),
                            ..Default::default()
                        })
                        .collect(),
                    error_code: error.code(),
                    ..Default::default()
                }
            })
            .collect();
        return OffsetFetchResponse { groups, ..Default::default() };
    }

    let wanted = request
        .topics
        .as_ref()
        .map(|ts| ts.iter().map(|t| (t.name.to_string(), t.partition_indexes.clone())).collect::<Vec<_>>());
    match fetch(&request.group_id, wanted.clone(), None) {
        Ok(found) => OffsetFetchResponse {
            topics: group_by_topic(found)
                .into_iter()
                .map(|(name, partitions)| OffsetFetchResponseTopic {
                    name: name.into(),
                    partitions: partitions
                        .into_iter()
                        .map(|(partition_index, o)| {
                            let (committed_offset, committed_leader_epoch, metadata) = answer(o);
                            OffsetFetchResponsePartition {
                                partition_index,
                                committed_offset,
                                committed_leader_epoch,
                                metadata,
                                ..Default::default()
                            }
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            error_code: ErrorCode::None.code(),
            ..Default::default()
        },
        Err(e) => {
            let code = group_error_code(e);
            // Before v2 there is no top-level error: every requested partition carries it.
            let topics = wanted
                .unwrap_or_default()
                .into_iter()
                .map(|(name, partitions)| OffsetFetchResponseTopic {
                    name: name.into(),
                    partitions: partitions
                        .into_iter()
                        .map(|partition_index| OffsetFetchResponsePartition {
                            partition_index,
                            committed_offset: -1,
                            committed_leader_epoch: -1,
                            metadata: Some("".into()),
                            error_code: code.code(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect();
            OffsetFetchResponse { topics, error_code: code.code(), ..Default::default() }
        }
    }
}

/// A partition's offset, leader epoch and metadata as answered: -1, -1 and "" when nothing was committed.
fn answer(offset: Option<CommittedOffset>) -> (i64, i32, Option<ByteString>) {
    match offset {
        Some(o) => (o.offset, o.leader_epoch, Some(o.metadata.into())),
        None => (-1, -1, Some("".into())),
    }
}

/// Offsets grouped by topic, in the order the topics first appear.
fn group_by_topic(found: Vec<(String, i32, Option<CommittedOffset>)>) -> Vec<(String, Vec<PartitionOffset>)> {
    let mut out: Vec<(String, Vec<PartitionOffset>)> = Vec::new();
    for (topic, partition, offset) in found {
        match out.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, partitions)) => partitions.push((partition, offset)),
            None => out.push((topic, vec![(partition, offset)])),
        }
    }
    out
}
