//! Consumer group administration, as Kafka's `Admin` offers it: find a group's coordinator, list and describe
//! groups, fetch, commit (outside group management), and delete offsets, delete groups. Members' assignments
//! are decoded from the consumer protocol (`ConsumerProtocolAssignment`); groups of the consumer group
//! protocol (KIP-848) are described with ConsumerGroupDescribe, as Kafka's admin client does.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
use flotilla_protocol::messages::offset_delete_request::{OffsetDeleteRequestPartition, OffsetDeleteRequestTopic};
use flotilla_protocol::messages::{
    ConsumerGroupDescribeRequest, DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest,
    ListGroupsRequest, OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest,
};
use flotilla_protocol::ApiKey;

use flotilla_protocol::consumer_protocol::decode_assignment;

use crate::admin::Admin;
use crate::error::ClientError;

/// How long a coordinator lookup keeps retrying while the coordinator is not available or loading.
const COORDINATOR_WAIT: Duration = Duration::from_secs(30);
const COORDINATOR_RETRY: Duration = Duration::from_millis(100);

/// A group as ListGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    pub group_id: String,
    pub protocol_type: String,
    /// Empty when the broker does not report states (ListGroups before v4).
    pub state: String,
}

/// A member as DescribeGroups shows it, with its assignment decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// (topic, partition), sorted; empty unless the group is Stable on the consumer protocol.
    pub assignment: Vec<(String, i32)>,
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedGroup {
    pub group_id: String,
    pub coordinator: NodeId,
    pub state: String,
    pub protocol_type: String,
    /// The assignor (for the consumer protocol), empty unless Stable.
    pub protocol: String,
    pub members: Vec<DescribedMember>,
}

impl Admin {
    /// The broker coordinating `group_id`, waiting out COORDINATOR_NOT_AVAILABLE and
    /// COORDINATOR_LOAD_IN_PROGRESS for a while.
    pub async fn find_group_coordinator(&self, group_id: &str) -> Result<NodeId, ClientError> {
        let deadline = Instant::now() + COORDINATOR_WAIT;
        loop {
            let request = FindCoordinatorRequest {
                key: group_id.into(),
                key_type: 0,
                coordinator_keys: vec![group_id.into()],
                ..Default::default()
            };
            let response = self.client().send_any(&request).await?;
            let (code, message, node) = match response.coordinators.first() {
                Some(c) => (c.error_code, c.error_message.as_deref().map(str::to_owned), c.node_id),
                None => (response.error_code, response.error_message.as_deref().map(str::to_owned), response.node_id),
            };
            match ErrorCode::from_code(code) {
                ErrorCode::None => {
                    // The coordinator may be a broker this client has not seen yet.
                    if self.client().metadata().broker(NodeId::new(node)).is_none() {
                        self.client().refresh_metadata(crate::metadata::MetadataTopics::None).await?;
                    }
                    return Ok(NodeId::new(node));
                }
                ErrorCode::CoordinatorNotAvailable
                | ErrorCode::CoordinatorLoadInProgress
                | ErrorCode::NotCoordinator
                    if Instant::now() < deadline =>
                {
                    tokio::time::sleep(COORDINATOR_RETRY).await;
                }
                _ => return Err(ClientError::kafka(code, message.as_deref(), "FindCoordinator")),
            }
        }
    }

    /// Every group of every broker (ListGroups to each), sorted by id.
    pub async fn list_groups(&self) -> Result<Vec<ListedGroup>, ClientError> {
        let metadata = self.client().refresh_metadata(crate::metadata::MetadataTopics::None).await?;
        let mut groups = BTreeMap::new();
        for node in metadata.brokers.keys() {
            let response = self.client().send_to(*node, &ListGroupsRequest::default()).await?;
            if response.error_code != 0
                && ErrorCode::from_code(response.error_code) != ErrorCode::CoordinatorLoadInProgress
            {
                return Err(ClientError::kafka(response.error_code, None, "ListGroups"));
            }
            for g in response.groups {
                let listed = ListedGroup {
                    group_id: g.group_id.to_string(),
                    protocol_type: g.protocol_type.to_string(),
                    state: g.group_state.to_string(),
                };
                groups.insert(listed.group_id.clone(), listed);
            }
        }
        Ok(groups.into_values().collect())
    }

    /// One group, at its coordinator: ConsumerGroupDescribe for a consumer-protocol group, else (the
    /// group is classic, or the broker predates KIP-848) DescribeGroups.
    pub async fn describe_group(&self, group_id: &str) -> Result<DescribedGroup, ClientError> {
        let coordinator = self.find_group_coordinator(group_id).await?;
        if let Some(described) = self.describe_consumer_protocol_group(coordinator, group_id).await {
            return Ok(described);
        }
        let request = DescribeGroupsRequest { groups: vec![group_id.into()], ..Default::default() };
        let response = self.client().send_to(coordinator, &request).await?;
        let Some(g) = response.groups.into_iter().next() else {
            return Err(ClientError::kafka(
                ErrorCode::UnknownServerError.code(),
                Some("no group in the answer"),
                "DescribeGroups",
            ));
        };
        if g.error_code != 0 {
            return Err(ClientError::kafka(g.error_code, g.error_message.as_deref(), "DescribeGroups"));
        }
        let consumer = g.protocol_type == "consumer";
        Ok(DescribedGroup {
            group_id: g.group_id.to_string(),
            coordinator,
            state: g.group_state.to_string(),
            protocol_type: g.protocol_type.to_string(),
            protocol: g.protocol_data.to_string(),
            members: g
                .members
                .into_iter()
                .map(|m| DescribedMember {
                    member_id: m.member_id.to_string(),
                    group_instance_id: m.group_instance_id.map(|i| i.to_string()),
                    client_id: m.client_id.to_string(),
                    client_host: m.client_host.to_string(),
                    assignment: if consumer {
                        decode_assignment(&m.member_assignment).unwrap_or_default()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
        })
    }

    /// ConsumerGroupDescribe of `group_id`; `None` when it is not a consumer-protocol group there or the
    /// broker cannot say.
    async fn describe_consumer_protocol_group(&self, coordinator: NodeId, group_id: &str) -> Option<DescribedGroup> {
        let request = ConsumerGroupDescribeRequest { group_ids: vec![group_id.into()], ..Default::default() };
        let response = self.client().send_to(coordinator, &request).await.ok()?;
        let g = response.groups.into_iter().next().filter(|g| g.error_code == 0)?;
        Some(DescribedGroup {
            group_id: g.group_id.to_string(),
            coordinator,
            state: g.group_state.to_string(),
            protocol_type: "consumer".to_owned(),
            protocol: g.assignor_name.to_string(),
            members: g
                .members
                .into_iter()
                .map(|m| {
                    let mut assignment: Vec<(String, i32)> = m
                        .assignment
                        .topic_partitions
                        .iter()
                        .flat_map(|t| t.partitions.iter().map(|p| (t.topic_name.to_string(), *p)))
                        .collect();
                    assignment.sort();
                    DescribedMember {
                        member_id: m.member_id.to_string(),
                        group_instance_id: m.instance_id.map(|i| i.to_string()),
                        client_id: m.client_id.to_string(),
                        client_host: m.client_host.to_string(),
                        assignment,
                    }
                })
                .collect(),
        })
    }

    /// The group's committed offsets, by (topic, partition).
    pub async fn fetch_group_offsets(&self, group_id: &str) -> Result<BTreeMap<(String, i32), i64>, ClientError> {
        let coordinator = self.find_group_coordinator(group_id).await?;
        let conn = self.client().connection(coordinator).await?;
        let version = conn.version_for(ApiKey::OffsetFetch)?;
        let request = if version >= 8 {
            OffsetFetchRequest {
                groups: vec![flotilla_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup {
                    group_id: group_id.into(),
                    topics: None,
                    ..Default::default()
                }],
                ..Default::default()
            }
        } else {
            OffsetFetchRequest { group_id: group_id.into(), topics: None, ..Default::default() }
        };
        let response = conn.send(&request).await?;
        let mut out = BTreeMap::new();
        if version >= 8 {
            for g in response.groups {
                if g.error_code != 0 {
                    return Err(ClientError::kafka(g.error_code, None, "OffsetFetch"));
                }
                for t in g.topics {
                    for p in t.partitions.into_iter().filter(|p| p.committed_offset >= 0) {
                        out.insert((t.name.to_string(), p.partition_index), p.committed_offset);
                    }
                }
            }
        } else {
            if response.error_code != 0 {
                return Err(ClientError::kafka(response.error_code, None, "OffsetFetch"));
            }
            for t in response.topics {
                for p in t.partitions.into_iter().filter(|p| p.committed_offset >= 0) {
                    out.insert((t.name.to_string(), p.partition_index), p.committed_offset);
                }
            }
        }
        Ok(out)
    }

    /// Commits offsets for a group that has no active members (generation -1, as Kafka's
    /// `alterConsumerGroupOffsets`); the coordinator refuses it for an active group.
    pub async fn commit_group_offsets(
        &self,
        group_id: &str,
        offsets: &BTreeMap<(String, i32), i64>,
    ) -> Result<Vec<((String, i32), ErrorCode)>, ClientError> {
        let coordinator = self.find_group_coordinator(group_id).await?;
        let request = offset_commit_request(group_id, -1, "", None, offsets);
        let response = self.client().send_to(coordinator, &request).await?;
        Ok(partition_errors(response.topics.into_iter().map(|t| {
            let partitions = t.partitions.into_iter().map(|p| (p.partition_index, p.error_code)).collect();
            (t.name.to_string(), partitions)
        })))
    }

    /// Deletes groups; one error code per group (NONE when deleted).
    pub async fn delete_groups(&self, group_ids: &[String]) -> Result<Vec<(String, ErrorCode)>, ClientError> {
        let mut out = Vec::with_capacity(group_ids.len());
        for group_id in group_ids {
            let coordinator = match self.find_group_coordinator(group_id).await {
                Ok(c) => c,
                Err(e) => {
                    out.push((group_id.clone(), e.code().unwrap_or(ErrorCode::UnknownServerError)));
                    continue;
                }
            };
            let request = DeleteGroupsRequest { groups_names: vec![group_id.as_str().into()], ..Default::default() };
            let response = self.client().send_to(coordinator, &request).await?;
            let code =
                response.results.first().map_or(ErrorCode::UnknownServerError, |r| ErrorCode::from_code(r.error_code));
            out.push((group_id.clone(), code));
        }
        Ok(out)
    }

    /// Deletes a group's offsets of some partitions; the group-level error, then one per partition.
    pub async fn delete_group_offsets(
        &self,
        group_id: &str,
        partitions: &BTreeSet<(String, i32)>,
    ) -> Result<(ErrorCode, Vec<((String, i32), ErrorCode)>), ClientError> {
        let coordinator = self.find_group_coordinator(group_id).await?;
        let mut by_topic: BTreeMap<&str, Vec<OffsetDeleteRequestPartition>> = BTreeMap::new();
        for (topic, partition) in partitions {
            by_topic
                .entry(topic)
                .or_default()
                .push(OffsetDeleteRequestPartition { partition_index: *partition, ..Default::default() });
        }
        let request = OffsetDeleteRequest {
            group_id: group_id.into(),
            topics: by_topic
                .into_iter()
                .map(|(name, partitions)| OffsetDeleteRequestTopic {
                    name: name.into(),
                    partitions,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let response = self.client().send_to(coordinator, &request).await?;
        let results = partition_errors(response.topics.into_iter().map(|t| {
            let partitions = t.partitions.into_iter().map(|p| (p.partition_index, p.error_code)).collect();
            (t.name.to_string(), partitions)
        }));
        Ok((ErrorCode::from_code(response.error_code), results))
    }
}

/// An OffsetCommit of `offsets` (the next offset to read per partition) by a member in a generation, or
/// by nobody (`-1`, `""`) for a group without active members.
pub(crate) fn offset_commit_request(
    group_id: &str,
    generation_id: i32,
    member_id: &str,
    group_instance_id: Option<&str>,
    offsets: &BTreeMap<(String, i32), i64>,
) -> OffsetCommitRequest {
    let mut by_topic: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
    for ((topic, partition), offset) in offsets {
        by_topic.entry(topic).or_default().push(OffsetCommitRequestPartition {
            partition_index: *partition,
            committed_offset: *offset,
            committed_leader_epoch: -1,
            committed_metadata: Some("".into()),
            ..Default::default()
        });
    }
    OffsetCommitRequest {
        group_id: group_id.into(),
        generation_id_or_member_epoch: generation_id,
        member_id: member_id.into(),
        group_instance_id: group_instance_id.map(Into::into),
        topics: by_topic
            .into_iter()
            .map(|(name, partitions)| OffsetCommitRequestTopic { name: name.into(), partitions, ..Default::default() })
            .collect(),
        ..Default::default()
    }
}

/// Per-partition error codes of a response, flattened: (topic, [(partition, code)]) → ((topic, partition), code).
pub(crate) fn partition_errors(
    topics: impl Iterator<Item = (String, Vec<(i32, i16)>)>,
) -> Vec<((String, i32), ErrorCode)> {
    topics
        .flat_map(|(name, partitions)| {
            partitions.into_iter().map(move |(p, code)| ((name.clone(), p), ErrorCode::from_code(code)))
        })
        .collect()
}
