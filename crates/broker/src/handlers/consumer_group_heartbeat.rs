//! ConsumerGroupHeartbeat (key 68), versions 0-1: a member of a consumer-protocol (KIP-848) group joins,
//! stays, changes its subscription, acknowledges its assignment or leaves, all with this one request.
//! Topics travel by id on the wire and by name in the coordinator. A subscription regex (v1) must match a
//! topic name in full; an empty one is "no regex", as librdkafka sends it.

use std::collections::{BTreeMap, BTreeSet};

use flotilla_group::assignor::Assignment;
use flotilla_group::consumer_group::HeartbeatRequest;
use flotilla_group::GroupError;
use flotilla_metadata::MetadataImage;
use flotilla_model::TopicId;
use flotilla_protocol::messages::consumer_group_heartbeat_request::TopicPartitions as OwnedPartitions;
use flotilla_protocol::messages::consumer_group_heartbeat_response::{Assignment as WireAssignment, TopicPartitions};
use flotilla_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{client_host, group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport = ApiSupport {
    api_key: ApiKey::ConsumerGroupHeartbeat,
    versions: VersionRange { min: 0, max: 1 },
    advertised_min: 0,
};

pub fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let image = broker.image();
    let outcome = match broker.coordinator() {
        None => Err(GroupError::CoordinatorNotAvailable),
        Some(coordinator) => {
            let heartbeat = HeartbeatRequest {
                member_id: request.member_id.to_string(),
                member_epoch: request.member_epoch,
                instance_id: request.instance_id.as_deref().map(str::to_owned),
                rack_id: request.rack_id.as_deref().map(str::to_owned),
                rebalance_timeout_ms: request.rebalance_timeout_ms,
                subscribed_topic_names: request
                    .subscribed_topic_names
                    .as_ref()
                    .map(|names| names.iter().map(|n| n.to_string()).collect()),
                subscribed_topic_regex: request.subscribed_topic_regex.as_deref().map(str::to_owned),
                server_assignor: request.server_assignor.as_deref().map(str::to_owned),
                owned: request.topic_partitions.as_deref().map(|owned| owned_by_name(&image, owned)),
                client_id: ctx.header.client_id.as_deref().unwrap_or("").to_owned(),
                client_host: client_host(ctx),
            };
            coordinator.consumer_heartbeat(&request.group_id, heartbeat)
        }
    };
    match outcome {
        Ok(response) => ConsumerGroupHeartbeatResponse {
            member_id: Some(response.member_id.into()),
            member_epoch: response.member_epoch,
            heartbeat_interval_ms: response.heartbeat_interval_ms,
            assignment: response
                .assignment
                .map(|a| WireAssignment { topic_partitions: by_id(&image, &a), ..Default::default() }),
            ..Default::default()
        },
        Err(e) => ConsumerGroupHeartbeatResponse {
            error_code: group_error_code(e).code(),
            error_message: Some(e.to_string().into()),
            member_epoch: -1,
            ..Default::default()
        },
    }
}

/// The partitions a member says it owns, by topic name. Topics deleted since are left out: nobody can
/// own them any more.
fn owned_by_name(image: &MetadataImage, owned: &[OwnedPartitions]) -> Assignment {
    let mut out: Assignment = BTreeMap::new();
    for topic in owned {
        if let Some(found) = image.topics().by_id(TopicId::new(topic.topic_id)) {
            out.entry(found.name().to_string()).or_default().extend(topic.partitions.iter().copied());
        }
    }
    out
}

/// An assignment as the wire carries it, by topic id.
pub(crate) fn by_id(image: &MetadataImage, assignment: &Assignment) -> Vec<TopicPartitions> {
    assignment
        .iter()
        .filter_map(|(name, partitions): (&String, &BTreeSet<i32>)| {
            let topic = image.topics().by_name(name)?;
            Some(TopicPartitions {
                topic_id: topic.id().get(),
                partitions: partitions.iter().copied().collect(),
                ..Default::default()
            })
        })
        .collect()
}
