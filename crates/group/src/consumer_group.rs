//! A group of the consumer group protocol (KIP-848, Kafka 4's default): members heartbeat with
//! ConsumerGroupHeartbeat, the coordinator computes every member's target assignment with a server-side
//! [`ServerAssignor`], and each member moves towards its target in steps that never let two members own a
//! partition at once: it first gives up (revokes) what it must lose, and is given a partition only once
//! its previous owner has released it.
//!
//! Epochs: the group epoch counts changes of membership or subscriptions; the assignment epoch is the
//! group epoch the target was computed at; a member's epoch is the assignment epoch it has caught up with.
//! A request from an older member epoch than the coordinator knows is fenced (FENCED_MEMBER_EPOCH) unless
//! it is the epoch just before and the member owns nothing it should not (a lost response).

use std::collections::{BTreeMap, BTreeSet};

use crate::assignor::{Assignment, AssignorMember, ServerAssignor};
use crate::error::GroupError;

/// `member_epoch` of a ConsumerGroupHeartbeat: join (or rejoin with nothing owned).
pub const JOIN_EPOCH: i32 = 0;
/// `member_epoch` of a ConsumerGroupHeartbeat: leave the group.
pub const LEAVE_EPOCH: i32 = -1;
/// `member_epoch` of a ConsumerGroupHeartbeat: a static member leaves for a while, keeping its
/// assignment for a return within the session timeout.
pub const STATIC_LEAVE_EPOCH: i32 = -2;

/// The `group.consumer.*` broker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupConfig {
    /// `group.consumer.session.timeout.ms`: a member that does not heartbeat for this long is removed.
    pub session_timeout_ms: i32,
    /// `group.consumer.heartbeat.interval.ms`: told to members in every response.
    pub heartbeat_interval_ms: i32,
    /// `group.consumer.max.size`.
    pub max_size: usize,
    /// `group.consumer.assignors`: the offered assignors, the first the default.
    pub assignors: Vec<ServerAssignor>,
}

impl Default for ConsumerGroupConfig {
    fn default() -> Self {
        ConsumerGroupConfig {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 5_000,
            max_size: i32::MAX as usize,
            assignors: ServerAssignor::ALL.to_vec(),
        }
    }
}

/// A ConsumerGroupHeartbeat, with topic ids already turned into names. `None` fields are "unchanged
/// since the last heartbeat", as the protocol sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeartbeatRequest {
    pub member_id: String,
    pub member_epoch: i32,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    /// -1 when unchanged.
    pub rebalance_timeout_ms: i32,
    pub subscribed_topic_names: Option<Vec<String>>,
    /// A pattern topics must match in full to be subscribed; `Some("")` is "no pattern", as librdkafka
    /// sends it.
    pub subscribed_topic_regex: Option<String>,
    pub server_assignor: Option<String>,
    /// The partitions the member owns now, when it says.
    pub owned: Option<Assignment>,
    pub client_id: String,
    pub client_host: String,
}

/// What a heartbeat is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatResponse {
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: i32,
    /// The member's whole assignment, when it must hear it (it changed, or the member asked in full).
    pub assignment: Option<Assignment>,
}

/// Where a member is on its way to its target assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// It owns its target at the current assignment epoch.
    Stable,
    /// It must revoke partitions before it can move to the new epoch.
    UnrevokedPartitions,
    /// It is at the new epoch but waits for partitions other members still own.
    UnreleasedPartitions,
}

impl MemberState {
    /// The name Kafka's tools show.
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Stable => "STABLE",
            MemberState::UnrevokedPartitions => "UNREVOKED_PARTITIONS",
            MemberState::UnreleasedPartitions => "UNRELEASED_PARTITIONS",
        }
    }
}

/// One member of a consumer-protocol group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub rack_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub member_epoch: i32,
    pub previous_member_epoch: i32,
    pub state: MemberState,
    pub rebalance_timeout_ms: i32,
    pub server_assignor: Option<String>,
    pub subscribed_topic_names: BTreeSet<String>,
    pub subscribed_topic_regex: Option<String>,
    /// The existing topics the regex matched when last resolved.
    pub regex_matches: BTreeSet<String>,
    /// What the member owns (or has been told it may own).
    pub assigned: Assignment,
    /// What it has been told to give up and has not confirmed yet.
    pub pending_revocation: Assignment,
    /// The session ends when no heartbeat comes by then.
    pub session_deadline_ms: i64,
    /// A revocation not confirmed by then fences the member.
    pub revocation_deadline_ms: Option<i64>,
    /// A static member that left with [`STATIC_LEAVE_EPOCH`]: its place is kept for its instance id.
    pub left_temporarily: bool,
}

/// The group's state as ConsumerGroupDescribe and ListGroups show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerGroupState {
    Empty,
    /// The group epoch moved; the target assignment is not computed yet.
    Assigning,
    /// Some member has not reached its target.
    Reconciling,
    Stable,
}

impl ConsumerGroupState {
    pub fn name(self) -> &'static str {
        match self {
            ConsumerGroupState::Empty => "Empty",
            ConsumerGroupState::Assigning => "Assigning",
            ConsumerGroupState::Reconciling => "Reconciling",
            ConsumerGroupState::Stable => "Stable",
        }
    }
}

/// A consumer-protocol group. See the module docs.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    group_id: String,
    group_epoch: i32,
    assignment_epoch: i32,
    members: BTreeMap<String, ConsumerMember>,
    /// Each member's target at `assignment_epoch`.
    target: BTreeMap<String, Assignment>,
    /// The assignor of the last target computation.
    assignor: ServerAssignor,
    /// The partition counts of the subscribed topics the group epoch last saw: a topic created, deleted
    /// or grown under a subscription moves the group epoch, as a membership change does.
    subscribed_partition_counts: BTreeMap<String, i32>,
    /// Compiled subscription patterns, by source.
    patterns: BTreeMap<String, regex::Regex>,
}

/// The most compiled program a subscription pattern may take (the regex crate's own bound on memory).
const PATTERN_SIZE_LIMIT_BYTES: usize = 1 << 20;
/// The most distinct patterns a group keeps compiled.
const MAX_PATTERNS: usize = 1024;

fn count(a: &Assignment) -> usize {
    a.values().map(BTreeSet::len).sum()
}

fn minus(a: &Assignment, b: &Assignment) -> Assignment {
    let mut out = Assignment::new();
    for (topic, partitions) in a {
        let rest: BTreeSet<i32> = match b.get(topic) {
            Some(other) => partitions.difference(other).copied().collect(),
            None => partitions.clone(),
        };
        if !rest.is_empty() {
            out.insert(topic.clone(), rest);
        }
    }
    out
}

fn intersect(a: &Assignment, b: &Assignment) -> Assignment {
    let mut out = Assignment::new();
    for (topic, partitions) in a {
        if let Some(other) = b.get(topic) {
            let both: BTreeSet<i32> = partitions.intersection(other).copied().collect();
            if !both.is_empty() {
                out.insert(topic.clone(), both);
            }
        }
    }
    out
}

fn union_into(into: &mut Assignment, more: &Assignment) {
    for (topic, partitions) in more {
        into.entry(topic.clone()).or_default().extend(partitions);
    }
}

fn is_subset(a: &Assignment, b: &Assignment) -> bool {
    count(&minus(a, b)) == 0
}

impl ConsumerGroup {
    pub fn new(group_id: &str) -> ConsumerGroup {
        ConsumerGroup {
            group_id: group_id.to_owned(),
            group_epoch: 0,
            assignment_epoch: 0,
            members: BTreeMap::new(),
            target: BTreeMap::new(),
            assignor: ServerAssignor::Uniform,
            subscribed_partition_counts: BTreeMap::new(),
            patterns: BTreeMap::new(),
        }
    }

    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    pub fn group_epoch(&self) -> i32 {
        self.group_epoch
    }

    pub fn assignment_epoch(&self) -> i32 {
        self.assignment_epoch
    }

    pub fn assignor(&self) -> ServerAssignor {
        self.assignor
    }

    pub fn members(&self) -> impl Iterator<Item = &ConsumerMember> {
        self.members.values()
    }

    pub fn member(&self, member_id: &str) -> Option<&ConsumerMember> {
        self.members.get(member_id)
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// A member's target assignment at the assignment epoch.
    pub fn target_of(&self, member_id: &str) -> Assignment {
        self.target.get(member_id).cloned().unwrap_or_default()
    }

    pub fn state(&self) -> ConsumerGroupState {
        if self.members.is_empty() {
            ConsumerGroupState::Empty
        } else if self.group_epoch != self.assignment_epoch {
            ConsumerGroupState::Assigning
        } else if self
            .members
            .values()
            .any(|m| m.member_epoch != self.assignment_epoch || m.state != MemberState::Stable)
        {
            ConsumerGroupState::Reconciling
        } else {
            ConsumerGroupState::Stable
        }
    }

    /// The topics any member subscribes to, by name or by pattern (the offsets of these cannot be
    /// deleted).
    pub fn subscribed_topics(&self) -> BTreeSet<String> {
        self.members.values().flat_map(|m| m.subscribed_topic_names.iter().chain(&m.regex_matches).cloned()).collect()
    }

    /// Whether any member subscribes by pattern (its coordinator must then offer every topic).
    pub fn has_patterns(&self) -> bool {
        self.members.values().any(|m| m.subscribed_topic_regex.is_some())
    }

    /// The compiled form of `source`, anchored so that a topic must match in full (as Kafka's RE2J
    /// `matches`).
    fn pattern(&mut self, source: &str) -> Result<&regex::Regex, GroupError> {
        if !self.patterns.contains_key(source) {
            if self.patterns.len() >= MAX_PATTERNS {
                self.patterns.clear();
            }
            let compiled = regex::RegexBuilder::new(&format!("^(?:{source})$"))
                .size_limit(PATTERN_SIZE_LIMIT_BYTES)
                .build()
                .map_err(|_| GroupError::InvalidRegularExpression)?;
            self.patterns.insert(source.to_owned(), compiled);
        }
        self.patterns.get(source).ok_or(GroupError::InvalidRegularExpression)
    }

    /// Re-resolves every member's pattern against the topics that exist now.
    fn resolve_patterns(&mut self, topics: &BTreeMap<String, i32>) {
        let sources: BTreeSet<String> =
            self.members.values().filter_map(|m| m.subscribed_topic_regex.clone()).collect();
        let mut matched: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for source in sources {
            let Ok(pattern) = self.pattern(&source) else { continue };
            let names = topics.keys().filter(|t| pattern.is_match(t)).cloned().collect();
            matched.insert(source, names);
        }
        for member in self.members.values_mut() {
            member.regex_matches = member
                .subscribed_topic_regex
                .as_ref()
                .and_then(|source| matched.get(source).cloned())
                .unwrap_or_default();
        }
    }

    /// Handles one heartbeat. `partition_counts` are the cluster's topics (at least those subscribed by
    /// name; every one when a member subscribes by pattern); `new_member_id` is used when a joining
    /// member brings none (version 0 of the request).
    pub fn heartbeat(
        &mut self,
        request: HeartbeatRequest,
        new_member_id: String,
        partition_counts: &BTreeMap<String, i32>,
        config: &ConsumerGroupConfig,
        now_ms: i64,
    ) -> Result<HeartbeatResponse, GroupError> {
        let epoch = request.member_epoch;
        if epoch < STATIC_LEAVE_EPOCH {
            return Err(GroupError::InvalidRequest);
        }
        if epoch != JOIN_EPOCH && request.member_id.is_empty() {
            return Err(GroupError::InvalidRequest);
        }
        if let Some(name) = &request.server_assignor {
            let offered = ServerAssignor::from_name(name).is_some_and(|a| config.assignors.contains(&a));
            if !offered {
                return Err(GroupError::UnsupportedAssignor);
            }
        }
        if epoch == LEAVE_EPOCH || epoch == STATIC_LEAVE_EPOCH {
            return self.leave(&request, config);
        }
        if let Some(source) = request.subscribed_topic_regex.as_deref().filter(|r| !r.is_empty()) {
            self.pattern(source)?;
        }

        let full_request = request.rebalance_timeout_ms != -1
            && (request.subscribed_topic_names.is_some() || request.subscribed_topic_regex.is_some())
            && request.owned.is_some();
        let mut group_changed = false;
        let member_id = if epoch == JOIN_EPOCH {
            if request.subscribed_topic_names.is_none() && request.subscribed_topic_regex.is_none() {
                return Err(GroupError::InvalidRequest);
            }
            let (member_id, new) = self.admit(&request, new_member_id, config, now_ms)?;
            group_changed = new;
            member_id
        } else {
            let member = self.members.get(&request.member_id).ok_or(GroupError::UnknownMemberId)?;
            if member.left_temporarily {
                return Err(GroupError::UnknownMemberId);
            }
            let stale_but_safe = epoch == member.previous_member_epoch
                && request.owned.as_ref().is_none_or(|owned| is_subset(owned, &member.assigned));
            if epoch != member.member_epoch && !stale_but_safe {
                return Err(GroupError::FencedMemberEpoch);
            }
            request.member_id.clone()
        };

        let Some(member) = self.members.get_mut(&member_id) else {
            return Err(GroupError::UnknownMemberId);
        };
        let assigned_before = member.assigned.clone();
        let mut subscription_changed = group_changed;
        if let Some(names) = &request.subscribed_topic_names {
            let names: BTreeSet<String> = names.iter().cloned().collect();
            if names != member.subscribed_topic_names {
                member.subscribed_topic_names = names;
                subscription_changed = true;
            }
        }
        if let Some(source) = &request.subscribed_topic_regex {
            let source = Some(source.clone()).filter(|s| !s.is_empty());
            if source != member.subscribed_topic_regex {
                member.subscribed_topic_regex = source;
                subscription_changed = true;
            }
        }
        if request.rebalance_timeout_ms != -1 {
            member.rebalance_timeout_ms = request.rebalance_timeout_ms;
        }
        if request.server_assignor.is_some() && request.server_assignor != member.server_assignor {
            member.server_assignor = request.server_assignor.clone();
            subscription_changed = true;
        }
        if request.rack_id.is_some() {
            member.rack_id = request.rack_id.clone();
        }
        member.client_id = request.client_id.clone();
        member.client_host = request.client_host.clone();
        member.session_deadline_ms = now_ms.saturating_add(i64::from(config.session_timeout_ms));
        if self.has_patterns() {
            self.resolve_patterns(partition_counts);
        }
        let counts: BTreeMap<String, i32> = self
            .subscribed_topics()
            .into_iter()
            .filter_map(|topic| partition_counts.get(&topic).map(|n| (topic, *n)))
            .collect();
        if counts != self.subscribed_partition_counts {
            self.subscribed_partition_counts = counts;
            subscription_changed = true;
        }
        if subscription_changed {
            self.bump_epoch();
        }
        if self.group_epoch != self.assignment_epoch {
            self.compute_target(partition_counts, config);
        }
        self.reconcile(&member_id, request.owned.as_ref(), now_ms);

        let Some(member) = self.members.get(&member_id) else {
            return Err(GroupError::UnknownMemberId);
        };
        let tell = epoch == JOIN_EPOCH || full_request || member.assigned != assigned_before;
        Ok(HeartbeatResponse {
            member_id,
            member_epoch: member.member_epoch,
            heartbeat_interval_ms: config.heartbeat_interval_ms,
            assignment: tell.then(|| member.assigned.clone()),
        })
    }

    /// A member joining with epoch 0: a new member, a static member returning under a new member id, or
    /// a known member that lost its assignment (it starts again from nothing it owns).
    fn admit(
        &mut self,
        request: &HeartbeatRequest,
        new_member_id: String,
        config: &ConsumerGroupConfig,
        now_ms: i64,
    ) -> Result<(String, bool), GroupError> {
        let member_id = if request.member_id.is_empty() { new_member_id } else { request.member_id.clone() };
        if let Some(instance_id) = &request.instance_id {
            let previous = self
                .members
                .values()
                .find(|m| m.instance_id.as_deref() == Some(instance_id.as_str()))
                .map(|m| (m.member_id.clone(), m.left_temporarily));
            if let Some((previous_id, left)) = previous {
                if previous_id != member_id {
                    if !left {
                        return Err(GroupError::UnreleasedInstanceId);
                    }
                    // The static member returns: it takes over its old place, epoch and assignment,
                    // with no rebalance.
                    if let Some(mut member) = self.members.remove(&previous_id) {
                        member.member_id = member_id.clone();
                        member.left_temporarily = false;
                        member.session_deadline_ms = now_ms.saturating_add(i64::from(config.session_timeout_ms));
                        if let Some(target) = self.target.remove(&previous_id) {
                            self.target.insert(member_id.clone(), target);
                        }
                        self.members.insert(member_id.clone(), member);
                    }
                    return Ok((member_id, false));
                }
            }
        }
        match self.members.get_mut(&member_id) {
            Some(member) => {
                // Rejoining with epoch 0 means it owns nothing now: what it had is free again.
                member.assigned.clear();
                member.pending_revocation.clear();
                member.previous_member_epoch = member.member_epoch;
                member.member_epoch = JOIN_EPOCH;
                member.state = MemberState::Stable;
                member.revocation_deadline_ms = None;
                member.left_temporarily = false;
                Ok((member_id, false))
            }
            None => {
                if self.members.len() >= config.max_size {
                    return Err(GroupError::GroupMaxSizeReached);
                }
                self.members.insert(
                    member_id.clone(),
                    ConsumerMember {
                        member_id: member_id.clone(),
                        instance_id: request.instance_id.clone(),
                        rack_id: request.rack_id.clone(),
                        client_id: request.client_id.clone(),
                        client_host: request.client_host.clone(),
                        member_epoch: JOIN_EPOCH,
                        previous_member_epoch: JOIN_EPOCH,
                        state: MemberState::Stable,
                        rebalance_timeout_ms: request.rebalance_timeout_ms.max(0),
                        server_assignor: None,
                        subscribed_topic_names: BTreeSet::new(),
                        subscribed_topic_regex: None,
                        regex_matches: BTreeSet::new(),
                        assigned: Assignment::new(),
                        pending_revocation: Assignment::new(),
                        session_deadline_ms: now_ms.saturating_add(i64::from(config.session_timeout_ms)),
                        revocation_deadline_ms: None,
                        left_temporarily: false,
                    },
                );
                Ok((member_id, true))
            }
        }
    }

    fn leave(
        &mut self,
        request: &HeartbeatRequest,
        config: &ConsumerGroupConfig,
    ) -> Result<HeartbeatResponse, GroupError> {
        let member = self.members.get_mut(&request.member_id).ok_or(GroupError::UnknownMemberId)?;
        if request.member_epoch == STATIC_LEAVE_EPOCH && member.instance_id.is_some() {
            // Kept, assignment and all, until its session ends or it returns.
            member.left_temporarily = true;
        } else {
            self.remove_member(&request.member_id);
        }
        Ok(HeartbeatResponse {
            member_id: request.member_id.clone(),
            member_epoch: request.member_epoch,
            heartbeat_interval_ms: config.heartbeat_interval_ms,
            assignment: None,
        })
    }

    fn remove_member(&mut self, member_id: &str) {
        if self.members.remove(member_id).is_some() {
            self.target.remove(member_id);
            self.bump_epoch();
        }
    }

    fn bump_epoch(&mut self) {
        self.group_epoch = self.group_epoch.saturating_add(1);
    }

    /// The assignor the members prefer most (ties to the offered order), else the default.
    fn choose_assignor(&self, config: &ConsumerGroupConfig) -> ServerAssignor {
        let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
        for member in self.members.values() {
            let Some(name) = &member.server_assignor else { continue };
            if let Some(i) = config.assignors.iter().position(|a| a.name() == name) {
                *votes.entry(i).or_default() += 1;
            }
        }
        let best = votes.iter().max_by_key(|(i, n)| (**n, std::cmp::Reverse(**i))).map(|(i, _)| *i);
        best.and_then(|i| config.assignors.get(i).copied())
            .or_else(|| config.assignors.first().copied())
            .unwrap_or(ServerAssignor::Uniform)
    }

    fn compute_target(&mut self, partition_counts: &BTreeMap<String, i32>, config: &ConsumerGroupConfig) {
        let assignor = self.choose_assignor(config);
        let input: BTreeMap<String, AssignorMember> = self
            .members
            .iter()
            .map(|(id, m)| {
                let member = AssignorMember {
                    subscribed_topics: m.subscribed_topic_names.union(&m.regex_matches).cloned().collect(),
                    current: self.target.get(id).cloned().unwrap_or_default(),
                };
                (id.clone(), member)
            })
            .collect();
        self.target = assignor.assign(&input, partition_counts);
        self.assignor = assignor;
        self.assignment_epoch = self.group_epoch;
    }

    /// What other members than `member_id` own or have yet to revoke.
    fn held_by_others(&self, member_id: &str) -> Assignment {
        let mut held = Assignment::new();
        for (id, m) in &self.members {
            if id != member_id {
                union_into(&mut held, &m.assigned);
                union_into(&mut held, &m.pending_revocation);
            }
        }
        held
    }

    /// Moves a member one step towards its target (Kafka's CurrentAssignmentBuilder): revoke first;
    /// once nothing is left to revoke, take the new epoch and every target partition no one else holds.
    fn reconcile(&mut self, member_id: &str, owned: Option<&Assignment>, now_ms: i64) {
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let held = self.held_by_others(member_id);
        let assignment_epoch = self.assignment_epoch;
        let Some(member) = self.members.get_mut(member_id) else { return };

        if member.state == MemberState::UnrevokedPartitions {
            let revoked = owned.is_some_and(|owned| count(&intersect(owned, &member.pending_revocation)) == 0);
            if !revoked {
                return;
            }
            member.pending_revocation.clear();
            member.revocation_deadline_ms = None;
            member.state = MemberState::Stable;
        }
        if member.member_epoch == assignment_epoch && member.state == MemberState::Stable {
            return;
        }
        let revoke = minus(&member.assigned, &target);
        if count(&revoke) > 0 {
            member.assigned = intersect(&member.assigned, &target);
            member.pending_revocation = revoke;
            member.state = MemberState::UnrevokedPartitions;
            member.revocation_deadline_ms = Some(now_ms.saturating_add(i64::from(member.rebalance_timeout_ms)));
            return;
        }
        let wanted = minus(&target, &member.assigned);
        let free = minus(&wanted, &held);
        union_into(&mut member.assigned, &free);
        if member.member_epoch != assignment_epoch {
            member.previous_member_epoch = member.member_epoch;
            member.member_epoch = assignment_epoch;
        }
        member.state =
            if count(&minus(&wanted, &free)) > 0 { MemberState::UnreleasedPartitions } else { MemberState::Stable };
    }

    /// Removes members whose session ended or whose revocation took longer than their rebalance
    /// timeout. Returns the removed member ids.
    pub fn expire(&mut self, now_ms: i64) -> Vec<String> {
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| {
                m.session_deadline_ms <= now_ms || m.revocation_deadline_ms.is_some_and(|deadline| deadline <= now_ms)
            })
            .map(|m| m.member_id.clone())
            .collect();
        for member_id in &expired {
            self.remove_member(member_id);
        }
        expired
    }

    /// The earliest time [`expire`](Self::expire) could remove someone.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        self.members.values().flat_map(|m| std::iter::once(m.session_deadline_ms).chain(m.revocation_deadline_ms)).min()
    }

    /// OffsetCommit and OffsetFetch from a member: its epoch must be the one the coordinator knows (the
    /// previous one is accepted, as a commit may race the response that moved it on). An empty member id
    /// with a negative epoch is a commit from outside the group (admin tools), allowed only while the
    /// group has no members.
    pub fn validate_member(&self, member_id: &str, member_epoch: i32) -> Result<(), GroupError> {
        if member_id.is_empty() && member_epoch < 0 {
            return if self.members.is_empty() { Ok(()) } else { Err(GroupError::UnknownMemberId) };
        }
        let member = self.members.get(member_id).ok_or(GroupError::UnknownMemberId)?;
        if member_epoch == member.member_epoch || member_epoch == member.previous_member_epoch {
            Ok(())
        } else {
            Err(GroupError::StaleMemberEpoch)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn counts() -> BTreeMap<String, i32> {
        [("t".to_owned(), 6)].into()
    }

    fn join(member_id: &str) -> HeartbeatRequest {
        HeartbeatRequest {
            member_id: member_id.to_owned(),
            member_epoch: JOIN_EPOCH,
            rebalance_timeout_ms: 30_000,
            subscribed_topic_names: Some(vec!["t".into()]),
            owned: Some(Assignment::new()),
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            ..Default::default()
        }
    }

    fn beat(member_id: &str, epoch: i32, owned: &Assignment) -> HeartbeatRequest {
        HeartbeatRequest {
            member_id: member_id.to_owned(),
            member_epoch: epoch,
            rebalance_timeout_ms: -1,
            owned: Some(owned.clone()),
            ..Default::default()
        }
    }

    fn parts(a: &Assignment) -> BTreeSet<i32> {
        a.get("t").cloned().unwrap_or_default()
    }

    /// Drives members by heartbeats until every one is Stable, checking on the way that no partition is
    /// ever owned by two members at once.
    fn settle(
        group: &mut ConsumerGroup,
        owned: &mut BTreeMap<String, (i32, Assignment)>,
        config: &ConsumerGroupConfig,
    ) {
        for _ in 0..20 {
            let ids: Vec<String> = owned.keys().cloned().collect();
            for id in ids {
                let (epoch, have) = owned[&id].clone();
                let response = group.heartbeat(beat(&id, epoch, &have), String::new(), &counts(), config, 0).unwrap();
                let now = response.assignment.unwrap_or(have);
                owned.insert(id, (response.member_epoch, now));
                let mut seen = BTreeSet::new();
                for (_, a) in owned.values() {
                    for p in parts(a) {
                        assert!(seen.insert(p), "partition {p} owned twice: {owned:?}");
                    }
                }
            }
            if group.state() == ConsumerGroupState::Stable {
                return;
            }
        }
        panic!("did not settle: {group:?}");
    }

    #[test]
    fn members_join_split_the_partitions_and_a_leaver_hands_its_share_on() {
        let config = ConsumerGroupConfig::default();
        let mut group = ConsumerGroup::new("g");
        let mut owned = BTreeMap::new();
        for id in ["a", "b", "c"] {
            let response = group.heartbeat(join(id), String::new(), &counts(), &config, 0).unwrap();
            owned.insert(id.to_owned(), (response.member_epoch, response.assignment.unwrap()));
            settle(&mut group, &mut owned, &config);
        }
        assert_eq!(group.group_epoch(), 3);
        assert!(owned.values().all(|(epoch, a)| *epoch == 3 && parts(a).len() == 2), "{owned:?}");

        let (epoch, _) = owned.remove("b").unwrap();
        let left = group.heartbeat(beat("b", LEAVE_EPOCH, &Assignment::new()), String::new(), &counts(), &config, 0);
        assert_eq!(left.unwrap().member_epoch, LEAVE_EPOCH);
        assert!(epoch > 0);
        settle(&mut group, &mut owned, &config);
        assert!(owned.values().all(|(_, a)| parts(a).len() == 3), "{owned:?}");
    }

    #[test]
    fn a_new_member_waits_for_partitions_until_their_owner_revokes_them() {
        let config = ConsumerGroupConfig::default();
        let mut group = ConsumerGroup::new("g");
        let a = group.heartbeat(join("a"), String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(parts(a.assignment.as_ref().unwrap()).len(), 6);
        let b = group.heartbeat(join("b"), String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(b.member_epoch, 2);
        assert_eq!(parts(b.assignment.as_ref().unwrap()).len(), 0, "a still owns everything");
        assert_eq!(group.member("b").unwrap().state, MemberState::UnreleasedPartitions);

        // a hears it must give three up, and stays at its epoch until it confirms.
        let all = a.assignment.unwrap();
        let told = group.heartbeat(beat("a", 1, &all), String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(told.member_epoch, 1);
        let kept = told.assignment.unwrap();
        assert_eq!(parts(&kept).len(), 3);
        let done = group.heartbeat(beat("a", 1, &kept), String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(done.member_epoch, 2);
        let b2 = group.heartbeat(beat("b", 2, &Assignment::new()), String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(parts(&b2.assignment.unwrap()).len(), 3);
        assert_eq!(group.state(), ConsumerGroupState::Stable);
    }

    #[test]
    fn epochs_are_fenced_members_expire_and_commits_are_checked() {
        let config = ConsumerGroupConfig { session_timeout_ms: 1_000, ..Default::default() };
        let mut group = ConsumerGroup::new("g");
        group.heartbeat(join("a"), String::new(), &counts(), &config, 0).unwrap();
        let none = Assignment::new();
        assert_eq!(
            group.heartbeat(beat("a", 7, &none), String::new(), &counts(), &config, 0),
            Err(GroupError::FencedMemberEpoch)
        );
        assert_eq!(
            group.heartbeat(beat("x", 1, &none), String::new(), &counts(), &config, 0),
            Err(GroupError::UnknownMemberId)
        );
        let mut bad = join("a");
        bad.server_assignor = Some("sticky".into());
        assert_eq!(group.heartbeat(bad, String::new(), &counts(), &config, 0), Err(GroupError::UnsupportedAssignor));
        assert_eq!(group.validate_member("a", 1), Ok(()));
        assert_eq!(group.validate_member("a", 5), Err(GroupError::StaleMemberEpoch));
        assert_eq!(group.validate_member("", -1), Err(GroupError::UnknownMemberId));

        assert!(group.expire(999).is_empty());
        assert_eq!(group.expire(1_000), vec!["a".to_owned()]);
        assert_eq!(group.state(), ConsumerGroupState::Empty);
        assert_eq!(group.validate_member("", -1), Ok(()));
    }

    #[test]
    fn a_static_member_returns_under_a_new_id_without_a_rebalance() {
        let config = ConsumerGroupConfig::default();
        let mut group = ConsumerGroup::new("g");
        let mut first = join("a");
        first.instance_id = Some("i1".into());
        let a = group.heartbeat(first.clone(), String::new(), &counts(), &config, 0).unwrap();
        let mut duplicate = join("other");
        duplicate.instance_id = Some("i1".into());
        assert_eq!(
            group.heartbeat(duplicate.clone(), String::new(), &counts(), &config, 0),
            Err(GroupError::UnreleasedInstanceId)
        );
        group
            .heartbeat(beat("a", STATIC_LEAVE_EPOCH, &Assignment::new()), String::new(), &counts(), &config, 0)
            .unwrap();
        let back = group.heartbeat(duplicate, String::new(), &counts(), &config, 0).unwrap();
        assert_eq!(back.member_epoch, a.member_epoch);
        assert_eq!(back.assignment, a.assignment);
        assert_eq!(group.group_epoch(), 1, "no rebalance");
    }

    #[test]
    fn a_revocation_past_the_rebalance_timeout_fences_the_member() {
        let config = ConsumerGroupConfig::default();
        let mut group = ConsumerGroup::new("g");
        let a = group.heartbeat(join("a"), String::new(), &counts(), &config, 0).unwrap();
        group.heartbeat(join("b"), String::new(), &counts(), &config, 0).unwrap();
        group.heartbeat(beat("a", 1, &a.assignment.unwrap()), String::new(), &counts(), &config, 100).unwrap();
        assert_eq!(group.member("a").unwrap().state, MemberState::UnrevokedPartitions);
        assert!(group.expire(30_099).is_empty());
        assert_eq!(group.expire(30_100), vec!["a".to_owned()]);
    }
}
