//! The consumer group protocol (KIP-848) on this coordinator: ConsumerGroupHeartbeat and
//! ConsumerGroupDescribe against [`flotilla_group::consumer_group`], with the cluster's topics from the
//! metadata image as the assignors' input.
//!
//! Membership lives in memory only (see [`flotilla_group::shard::CoordinatorShard`]): after a coordinator
//! move the members hear UNKNOWN_MEMBER_ID and rejoin with their member ids, which librdkafka does at once;
//! their committed offsets are in `__consumer_offsets` as for every group.

use std::collections::BTreeMap;

use flotilla_group::consumer_group::{ConsumerGroupState, ConsumerMember, HeartbeatRequest, HeartbeatResponse};
use flotilla_group::GroupError;
use flotilla_metadata::TopicImage;
use flotilla_model::topic_name::{CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC};

use super::GroupCoordinator;
use crate::partition::wall_clock_ms;

/// Topics no subscription pattern matches.
const INTERNAL_TOPICS: [&str; 2] = [CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC];

/// A consumer-protocol group as ConsumerGroupDescribe shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupDescription {
    pub group_id: String,
    pub state: ConsumerGroupState,
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    pub assignor_name: &'static str,
    /// Each member with its target assignment.
    pub members: Vec<(ConsumerMember, flotilla_group::assignor::Assignment)>,
}

impl GroupCoordinator {
    /// ConsumerGroupHeartbeat. `request.subscribed_topic_names` and `owned` are by topic name; the handler
    /// resolved the ids.
    pub fn consumer_heartbeat(
        &self,
        group_id: &str,
        request: HeartbeatRequest,
    ) -> Result<HeartbeatResponse, GroupError> {
        let image = self.partitions.image();
        let new_member_id = uuid::Uuid::new_v4().to_string();
        self.with_shard(group_id, |active| {
            let now_ms = wall_clock_ms();
            // A classic group with members keeps its protocol (Kafka with migration disabled).
            if active.shard.get(group_id).is_some_and(|e| e.group.member_count() > 0) {
                return Err(GroupError::GroupIdNotFound);
            }
            let group = active.shard.consumer_group_entry(group_id);
            let count = |topic: &TopicImage| i32::try_from(topic.partition_count()).unwrap_or(i32::MAX);
            let by_pattern =
                group.has_patterns() || request.subscribed_topic_regex.as_deref().is_some_and(|r| !r.is_empty());
            let partition_counts: BTreeMap<String, i32> = if by_pattern {
                // Patterns match any topic but the internal ones, as Kafka resolves them.
                image
                    .topics()
                    .iter()
                    .filter(|t| !INTERNAL_TOPICS.contains(&t.name().as_str()))
                    .map(|t| (t.name().to_string(), count(t)))
                    .collect()
            } else {
                let mut wanted = group.subscribed_topics();
                wanted.extend(request.subscribed_topic_names.iter().flatten().cloned());
                wanted
                    .into_iter()
                    .filter_map(|name| Some((name.clone(), count(image.topics().by_name(&name)?))))
                    .collect()
            };
            let response = group.heartbeat(request, new_member_id, &partition_counts, &self.consumer_config, now_ms);
            active.shard.remove_consumer_group_if_unused(group_id);
            response
        })?
    }

    /// ConsumerGroupDescribe of one group: GROUP_ID_NOT_FOUND unless it is a consumer-protocol group here.
    pub fn consumer_describe(&self, group_id: &str) -> Result<ConsumerGroupDescription, GroupError> {
        self.with_shard(group_id, |active| {
            let group = active.shard.consumer_group(group_id).ok_or(GroupError::GroupIdNotFound)?;
            Ok(ConsumerGroupDescription {
                group_id: group_id.to_owned(),
                state: group.state(),
                group_epoch: group.group_epoch(),
                assignment_epoch: group.assignment_epoch(),
                assignor_name: group.assignor().name(),
                members: group.members().map(|m| (m.clone(), group.target_of(&m.member_id))).collect(),
            })
        })?
    }

    /// The consumer-protocol groups this broker coordinates, with their states.
    pub fn list_consumer_groups(&self) -> Vec<(String, ConsumerGroupState)> {
        let state = super::lock(&self.state);
        let mut out = Vec::new();
        for slot in state.shards.values() {
            if let super::Slot::Active(active) = slot {
                out.extend(active.shard.consumer_groups().map(|g| (g.group_id().to_owned(), g.state())));
            }
        }
        out
    }
}
