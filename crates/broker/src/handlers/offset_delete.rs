//! OffsetDelete (key 47), version 0: removes a group's committed offsets for some partitions. Offsets of
//! topics a live consumer group is subscribed to stay (GROUP_SUBSCRIBED_TO_TOPIC for those partitions).

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::offset_delete_response::{OffsetDeleteResponsePartition, OffsetDeleteResponseTopic};
use flotilla_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::OffsetDelete, versions: VersionRange { min: 0, max: 0 }, advertised_min: 0 };

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let Some(coordinator) = broker.coordinator() else {
        return OffsetDeleteResponse { error_code: ErrorCode::CoordinatorNotAvailable.code(), ..Default::default() };
    };
    let wanted: Vec<(String, Vec<i32>)> = request
        .topics
        .iter()
        .map(|t| (t.name.to_string(), t.partitions.iter().map(|p| p.partition_index).collect()))
        .collect();
    let results = match coordinator.delete_offsets(&request.group_id, &wanted).await {
        Ok(results) => results,
        Err(e) => return OffsetDeleteResponse { error_code: group_error_code(e).code(), ..Default::default() },
    };
    let mut topics: Vec<OffsetDeleteResponseTopic> = Vec::new();
    for (topic, partition, result) in results {
        let entry = OffsetDeleteResponsePartition {
            partition_index: partition,
            error_code: result.map_or_else(|e| group_error_code(e).code(), |()| ErrorCode::None.code()),
            ..Default::default()
        };
        match topics.iter_mut().find(|t| *t.name == *topic) {
            Some(t) => t.partitions.push(entry),
            None => topics.push(OffsetDeleteResponseTopic {
                name: topic.into(),
                partitions: vec![entry],
                ..Default::default()
            }),
        }
    }
    OffsetDeleteResponse { error_code: ErrorCode::None.code(), topics, ..Default::default() }
}
