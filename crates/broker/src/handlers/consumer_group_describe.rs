//! ConsumerGroupDescribe (key 69), versions 0-1: consumer-protocol (KIP-848) groups with their epochs,
//! assignor, and each member's current and target assignment. A group that is not a consumer-protocol
//! group here is GROUP_ID_NOT_FOUND, on which clients fall back to DescribeGroups, as with Kafka.

use flotilla_group::assignor::Assignment;
use flotilla_group::GroupError;
use flotilla_metadata::MetadataImage;
use flotilla_protocol::messages::consumer_group_describe_response::{
    Assignment as WireAssignment, DescribedGroup, Member, TopicPartitions,
};
use flotilla_protocol::messages::{ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::ConsumerGroupDescribe, versions: VersionRange { min: 0, max: 1 }, advertised_min: 0 };

/// `member_type` of a member that speaks the consumer protocol (v1+).
const MEMBER_TYPE_CONSUMER: i8 = 1;

pub fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: &ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let image = broker.image();
    let groups = request
        .group_ids
        .iter()
        .map(|group_id| {
            let described = match broker.coordinator() {
                None => Err(GroupError::CoordinatorNotAvailable),
                Some(coordinator) => coordinator.consumer_describe(group_id),
            };
            match described {
                Ok(group) => DescribedGroup {
                    group_id: group_id.clone(),
                    group_state: group.state.name().into(),
                    group_epoch: group.group_epoch,
                    assignment_epoch: group.assignment_epoch,
                    assignor_name: group.assignor_name.into(),
                    members: group
                        .members
                        .iter()
                        .map(|(member, target)| Member {
                            member_id: member.member_id.clone().into(),
                            instance_id: member.instance_id.clone().map(Into::into),
                            rack_id: member.rack_id.clone().map(Into::into),
                            member_epoch: member.member_epoch,
                            client_id: member.client_id.clone().into(),
                            client_host: member.client_host.clone().into(),
                            subscribed_topic_names: member
                                .subscribed_topic_names
                                .iter()
                                .map(|t| t.clone().into())
                                .collect(),
                            subscribed_topic_regex: member.subscribed_topic_regex.clone().map(Into::into),
                            assignment: wire(&image, &member.assigned),
                            target_assignment: wire(&image, target),
                            member_type: MEMBER_TYPE_CONSUMER,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                },
                Err(e) => DescribedGroup {
                    error_code: group_error_code(e).code(),
                    error_message: Some(e.to_string().into()),
                    group_id: group_id.clone(),
                    group_state: "Dead".into(),
                    ..Default::default()
                },
            }
        })
        .collect();
    ConsumerGroupDescribeResponse { groups, ..Default::default() }
}

fn wire(image: &MetadataImage, assignment: &Assignment) -> WireAssignment {
    let topic_partitions = assignment
        .iter()
        .filter_map(|(name, partitions)| {
            let topic = image.topics().by_name(name)?;
            Some(TopicPartitions {
                topic_id: topic.id().get(),
                topic_name: name.clone().into(),
                partitions: partitions.iter().copied().collect(),
                ..Default::default()
            })
        })
        .collect();
    WireAssignment { topic_partitions, ..Default::default() }
}
