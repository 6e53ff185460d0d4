//! A member of a consumer group on the classic protocol, for the tools: it joins (with the member-id round
//! trip of JoinGroup v4+), computes the range assignment when it leads, syncs, heartbeats when asked to,
//! notices when it must rejoin, fetches and commits offsets, and leaves. It does not fetch records itself:
//! the caller assigns a [`crate::Consumer`] the partitions [`GroupMember::join`] returns.
//!
//! Heartbeats are sent from the caller's loop ([`GroupMember::heartbeat_if_due`]), which polls far more
//! often than `heartbeat.interval.ms`; there is no background task.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::consumer_protocol::{
    decode_assignment, decode_subscription, encode_assignment, encode_subscription,
};
use flotilla_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use flotilla_protocol::messages::leave_group_request::MemberIdentity;
use flotilla_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use flotilla_protocol::messages::{HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest};

use crate::admin::Admin;
use crate::cluster::Client;
use crate::error::ClientError;
use crate::groups::offset_commit_request;

const PROTOCOL_TYPE: &str = "consumer";
const RANGE: &str = "range";
/// Joins retried (rebalances that end while joining, a coordinator that moved) before giving up.
const JOIN_ATTEMPTS: usize = 20;

/// Timeouts of a member (`session.timeout.ms`, `max.poll.interval.ms` as the rebalance timeout,
/// `heartbeat.interval.ms`).
#[derive(Debug, Clone)]
pub struct MemberConfig {
    pub group_id: String,
    pub group_instance_id: Option<String>,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub heartbeat_interval: Duration,
}

impl MemberConfig {
    pub fn new(group_id: impl Into<String>) -> Self {
        Self {
            group_id: group_id.into(),
            group_instance_id: None,
            session_timeout: Duration::from_millis(45_000),
            rebalance_timeout: Duration::from_millis(300_000),
            heartbeat_interval: Duration::from_millis(3_000),
        }
    }
}

/// A group member. See the module docs.
#[derive(Debug)]
pub struct GroupMember {
    client: Client,
    config: MemberConfig,
    topics: Vec<String>,
    coordinator: Option<NodeId>,
    member_id: String,
    generation_id: i32,
    rejoin_needed: bool,
    last_heartbeat: Instant,
}

impl GroupMember {
    pub fn new(client: Client, config: MemberConfig, topics: Vec<String>) -> Self {
        Self {
            client,
            config,
            topics,
            coordinator: None,
            member_id: String::new(),
            generation_id: -1,
            rejoin_needed: true,
            last_heartbeat: Instant::now(),
        }
    }

    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    /// Whether the group is rebalancing (or this member was dropped) and [`GroupMember::join`] must run.
    pub fn rejoin_needed(&self) -> bool {
        self.rejoin_needed
    }

    async fn coordinator(&mut self) -> Result<NodeId, ClientError> {
        if let Some(node) = self.coordinator {
            return Ok(node);
        }
        let node = Admin::new(self.client.clone()).find_group_coordinator(&self.config.group_id).await?;
        self.coordinator = Some(node);
        Ok(node)
    }

    /// Joins (or rejoins) the group and returns this member's partitions once the group is stable.
    pub async fn join(&mut self) -> Result<Vec<(String, i32)>, ClientError> {
        let mut last = None;
        for _ in 0..JOIN_ATTEMPTS {
            match self.try_join().await {
                Ok(assignment) => {
                    self.rejoin_needed = false;
                    self.last_heartbeat = Instant::now();
                    return Ok(assignment);
                }
                Err(e) => {
                    match e.code() {
                        Some(ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration) => {
                            self.member_id.clear();
                            self.generation_id = -1;
                        }
                        Some(
                            ErrorCode::NotCoordinator
                            | ErrorCode::CoordinatorNotAvailable
                            | ErrorCode::CoordinatorLoadInProgress,
                        ) => {
                            self.coordinator = None;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Some(ErrorCode::RebalanceInProgress) => {}
                        _ if matches!(e, ClientError::ConnectionClosed { .. } | ClientError::RequestTimeout { .. }) => {
                            self.coordinator = None;
                        }
                        _ => return Err(e),
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| ClientError::kafka(ErrorCode::RebalanceInProgress.code(), None, "JoinGroup")))
    }

    async fn try_join(&mut self) -> Result<Vec<(String, i32)>, ClientError> {
        let coordinator = self.coordinator().await?;
        let subscription = encode_subscription(&self.topics);
        let join = |member_id: &str| JoinGroupRequest {
            group_id: self.config.group_id.as_str().into(),
            session_timeout_ms: millis(self.config.session_timeout),
            rebalance_timeout_ms: millis(self.config.rebalance_timeout),
            member_id: member_id.into(),
            group_instance_id: self.config.group_instance_id.as_deref().map(Into::into),
            protocol_type: PROTOCOL_TYPE.into(),
            protocols: vec![JoinGroupRequestProtocol {
                name: RANGE.into(),
                metadata: subscription.clone(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut response = self.client.send_to(coordinator, &join(&self.member_id)).await?;
        if ErrorCode::from_code(response.error_code) == ErrorCode::MemberIdRequired {
            self.member_id = response.member_id.to_string();
            response = self.client.send_to(coordinator, &join(&self.member_id)).await?;
        }
        if response.error_code != 0 {
            return Err(ClientError::kafka(response.error_code, None, "JoinGroup"));
        }
        self.member_id = response.member_id.to_string();
        self.generation_id = response.generation_id;
        let assignments = if response.leader == response.member_id {
            let members: Vec<(String, BTreeSet<String>)> = response
                .members
                .iter()
                .map(|m| (m.member_id.to_string(), decode_subscription(&m.metadata).unwrap_or_default()))
                .collect();
            let topics: BTreeSet<String> = members.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
            let mut partition_counts = BTreeMap::new();
            let admin = Admin::new(self.client.clone());
            for topic in admin.describe_topics(&topics.into_iter().collect::<Vec<_>>()).await? {
                partition_counts.insert(topic.name.clone(), topic.partitions.len());
            }
            range_assign(&members, &partition_counts)
                .into_iter()
                .map(|(member_id, partitions)| SyncGroupRequestAssignment {
                    member_id: member_id.into(),
                    assignment: encode_assignment(&partitions),
                    ..Default::default()
                })
                .collect()
        } else {
            Vec::new()
        };
        let sync = SyncGroupRequest {
            group_id: self.config.group_id.as_str().into(),
            generation_id: self.generation_id,
            member_id: self.member_id.as_str().into(),
            group_instance_id: self.config.group_instance_id.as_deref().map(Into::into),
            protocol_type: Some(PROTOCOL_TYPE.into()),
            protocol_name: response.protocol_name.clone(),
            assignments,
            ..Default::default()
        };
        let synced = self.client.send_to(coordinator, &sync).await?;
        if synced.error_code != 0 {
            return Err(ClientError::kafka(synced.error_code, None, "SyncGroup"));
        }
        decode_assignment(&synced.assignment).ok_or_else(|| {
            ClientError::kafka(
                ErrorCode::InconsistentGroupProtocol.code(),
                Some("an assignment that does not parse"),
                "SyncGroup",
            )
        })
    }

    /// Sends a heartbeat if `heartbeat.interval.ms` has passed; an answer that asks for a rebalance sets
    /// [`GroupMember::rejoin_needed`].
    pub async fn heartbeat_if_due(&mut self) -> Result<(), ClientError> {
        if self.rejoin_needed || self.last_heartbeat.elapsed() < self.config.heartbeat_interval {
            return Ok(());
        }
        self.last_heartbeat = Instant::now();
        let coordinator = self.coordinator().await?;
        let request = HeartbeatRequest {
            group_id: self.config.group_id.as_str().into(),
            generation_id: self.generation_id,
            member_id: self.member_id.as_str().into(),
            group_instance_id: self.config.group_instance_id.as_deref().map(Into::into),
            ..Default::default()
        };
        let response = match self.client.send_to(coordinator, &request).await {
            Ok(r) => r,
            Err(e @ (ClientError::ConnectionClosed { .. } | ClientError::RequestTimeout { .. })) => {
                self.coordinator = None;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        match ErrorCode::from_code(response.error_code) {
            ErrorCode::None => Ok(()),
            ErrorCode::RebalanceInProgress => {
                self.rejoin_needed = true;
                Ok(())
            }
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                self.rejoin_needed = true;
                self.member_id.clear();
                self.generation_id = -1;
                Ok(())
            }
            ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable | ErrorCode::CoordinatorLoadInProgress => {
                self.coordinator = None;
                Ok(())
            }
            _ => Err(ClientError::kafka(response.error_code, None, "Heartbeat")),
        }
    }

    /// The group's committed offsets of `partitions` (absent: none committed).
    pub async fn committed(
        &mut self,
        partitions: &[(String, i32)],
    ) -> Result<BTreeMap<(String, i32), i64>, ClientError> {
        let all = Admin::new(self.client.clone()).fetch_group_offsets(&self.config.group_id).await?;
        Ok(all.into_iter().filter(|(tp, _)| partitions.contains(tp)).collect())
    }

    /// Commits `offsets` (the next offset to read per partition) in this member's generation.
    pub async fn commit(&mut self, offsets: &BTreeMap<(String, i32), i64>) -> Result<(), ClientError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let coordinator = self.coordinator().await?;
        let request = offset_commit_request(
            &self.config.group_id,
            self.generation_id,
            &self.member_id,
            self.config.group_instance_id.as_deref(),
            offsets,
        );
        let response = self.client.send_to(coordinator, &request).await?;
        let failed = response.topics.iter().flat_map(|t| &t.partitions).find(|p| p.error_code != 0);
        match failed.map(|p| ErrorCode::from_code(p.error_code)) {
            None => Ok(()),
            Some(
                code @ (ErrorCode::RebalanceInProgress | ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration),
            ) => {
                self.rejoin_needed = true;
                Err(ClientError::kafka(code.code(), None, "OffsetCommit"))
            }
            Some(code) => {
                if matches!(code, ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable) {
                    self.coordinator = None;
                }
                Err(ClientError::kafka(code.code(), None, "OffsetCommit"))
            }
        }
    }

    /// Leaves the group (LeaveGroup), so its partitions move at once rather than after the session timeout.
    pub async fn leave(&mut self) -> Result<(), ClientError> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let coordinator = self.coordinator().await?;
        let request = LeaveGroupRequest {
            group_id: self.config.group_id.as_str().into(),
            member_id: self.member_id.as_str().into(),
            members: vec![MemberIdentity {
                member_id: self.member_id.as_str().into(),
                group_instance_id: self.config.group_instance_id.as_deref().map(Into::into),
                ..Default::default()
            }],
            ..Default::default()
        };
        self.client.send_to(coordinator, &request).await?;
        self.member_id.clear();
        self.generation_id = -1;
        Ok(())
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Kafka's `RangeAssignor`: per topic, its subscribers sorted by member id get consecutive ranges, the
/// first `partitions % members` one partition more.
pub fn range_assign(
    members: &[(String, BTreeSet<String>)],
    partition_counts: &BTreeMap<String, usize>,
) -> BTreeMap<String, Vec<(String, i32)>> {
    let mut out: BTreeMap<String, Vec<(String, i32)>> = members.iter().map(|(m, _)| (m.clone(), Vec::new())).collect();
    for (topic, count) in partition_counts {
        let mut subscribers: Vec<&String> = members.iter().filter(|(_, t)| t.contains(topic)).map(|(m, _)| m).collect();
        subscribers.sort();
        if subscribers.is_empty() {
            continue;
        }
        let per = count / subscribers.len();
        let extra = count % subscribers.len();
        let mut next = 0usize;
        for (i, member) in subscribers.iter().enumerate() {
            let n = per + usize::from(i < extra);
            if let Some(slot) = out.get_mut(*member) {
                slot.extend((next..next + n).map(|p| (topic.clone(), i32::try_from(p).unwrap_or(i32::MAX))));
            }
            next += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_gives_the_first_members_the_extra_partitions() {
        let topics = BTreeSet::from(["t".to_owned()]);
        let members =
            vec![("b".to_owned(), topics.clone()), ("a".to_owned(), topics.clone()), ("c".to_owned(), topics)];
        let assigned = range_assign(&members, &BTreeMap::from([("t".to_owned(), 7)]));
        let of = |m: &str| assigned.get(m).map(|ps| ps.iter().map(|(_, p)| *p).collect::<Vec<_>>());
        assert_eq!(of("a"), Some(vec![0, 1, 2]));
        assert_eq!(of("b"), Some(vec![3, 4]));
        assert_eq!(of("c"), Some(vec![5, 6]));
    }
}
