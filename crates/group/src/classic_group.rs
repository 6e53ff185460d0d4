//! A group on the classic rebalance protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), as Kafka's
//! `GroupCoordinator` runs it, without I/O: every operation takes the time and returns what to answer and
//! what to write.
//!
//! - An operation answers its caller at once ([`Reply::Now`]) or parks it ([`Reply::Parked`]) until a
//!   later event answers it through [`Effects`]: a JoinGroup waits for the rebalance to complete, a
//!   follower's SyncGroup for the leader's assignment to be stored.
//! - [`Effects::writes`] are group records the runtime must append to `__consumer_offsets` before what
//!   follows them holds; it reports the outcome through [`ClassicGroup::after_write`]. The leader's
//!   assignment becomes the group's only once written (Kafka's `storeGroup` callback).
//! - [`ClassicGroup::tick`] expires members and ends rebalances whose time is up; the runtime calls it
//!   at least every [`TICK_INTERVAL_MS`].

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use crate::config::GroupConfig;
use crate::error::GroupError;
use crate::member::ClassicMember;
use crate::records::{GroupValue, MemberValue};
use crate::state::GroupState;
use flotilla_protocol::consumer_protocol::decode_subscription;

/// How often the runtime should call [`ClassicGroup::tick`]: the resolution of session timeouts and
/// rebalance deadlines.
pub const TICK_INTERVAL_MS: u64 = 100;

/// A JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Empty for a member joining for the first time.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    /// v4+: a new dynamic member is first given its id with MEMBER_ID_REQUIRED (KIP-394).
    pub require_known_member_id: bool,
    /// v9+: a static leader that rejoins a stable group is told to skip the assignment (KIP-814).
    pub supports_skip_assignment: bool,
}

/// One member in the leader's JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// A JoinGroup answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResponse {
    pub error: Option<GroupError>,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader_id: String,
    pub member_id: String,
    /// Every member with its metadata, for the leader only.
    pub members: Vec<JoinedMember>,
    pub skip_assignment: bool,
}

impl JoinResponse {
    pub fn failed(member_id: &str, error: GroupError) -> JoinResponse {
        JoinResponse {
            error: Some(error),
            generation_id: -1,
            protocol_type: None,
            protocol_name: None,
            leader_id: String::new(),
            member_id: member_id.to_owned(),
            members: Vec::new(),
            skip_assignment: false,
        }
    }
}

/// A SyncGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub generation_id: i32,
    /// v5+; `None` when the client did not send it.
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment per member; empty from followers.
    pub assignments: Vec<(String, Bytes)>,
}

/// A SyncGroup answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncResponse {
    pub error: Option<GroupError>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncResponse {
    pub fn failed(error: GroupError) -> SyncResponse {
        SyncResponse { error: Some(error), protocol_type: None, protocol_name: None, assignment: Bytes::new() }
    }
}

/// An answer now, or later through [`Effects`] under `member_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    Now(T),
    Parked { member_id: String },
}

/// A group record to append, and what its outcome decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupWrite {
    pub value: GroupValue,
    pub then: AfterWrite,
}

/// What depends on a [`GroupWrite`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterWrite {
    /// Nothing waits for it (the group became empty).
    Nothing,
    /// The leader's assignment of `generation_id`: stored, it makes the group Stable.
    CompleteSync { generation_id: i32, assignments: BTreeMap<String, Bytes> },
    /// A static member replaced its old id in a stable group: it is answered once that is stored.
    ReplyStaticJoin { member_id: String, response: JoinResponse },
}

/// What an operation decided beyond its own reply: parked callers to answer and records to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub joins: Vec<(String, JoinResponse)>,
    pub syncs: Vec<(String, SyncResponse)>,
    pub writes: Vec<GroupWrite>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.joins.is_empty() && self.syncs.is_empty() && self.writes.is_empty()
    }

    pub fn extend(&mut self, other: Effects) {
        self.joins.extend(other.joins);
        self.syncs.extend(other.syncs);
        self.writes.extend(other.writes);
    }
}

/// A member as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// The chosen protocol's metadata; empty unless the group is Stable, as Kafka shows it.
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// The rebalance in progress: when it ends, and the initial delay of an empty group's first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rebalance {
    deadline_ms: i64,
    /// `Some(remaining)` while an empty group's first rebalance waits `group.initial.rebalance.delay.ms`
    /// for more members; each new member extends it by that delay, for `remaining` ms in all.
    initial_delay_remaining_ms: Option<i64>,
    new_member_added: bool,
}

/// A classic group. See the module docs.
#[derive(Debug, Clone)]
pub struct ClassicGroup {
    group_id: String,
    state: GroupState,
    state_timestamp_ms: i64,
    generation_id: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader_id: Option<String>,
    members: BTreeMap<String, ClassicMember>,
    /// `group.instance.id` → member id.
    static_members: BTreeMap<String, String>,
    /// Ids handed out with MEMBER_ID_REQUIRED, with when they lapse if the member never rejoins.
    pending_members: BTreeMap<String, i64>,
    rebalance: Option<Rebalance>,
    next_joined_seq: u64,
}

impl ClassicGroup {
    /// A new, empty group.
    pub fn new(group_id: &str, now_ms: i64) -> ClassicGroup {
        ClassicGroup {
            group_id: group_id.to_owned(),
            state: GroupState::Empty,
            state_timestamp_ms: now_ms,
            generation_id: 0,
            protocol_type: None,
            protocol_name: None,
            leader_id: None,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            rebalance: None,
            next_joined_seq: 0,
        }
    }

    /// The group as its last record stored it (loading a coordinator partition): Stable with its
    /// members, or Empty; every member has a full session from `now_ms` to be heard from.
    pub fn from_value(group_id: &str, value: GroupValue, now_ms: i64) -> ClassicGroup {
        let mut group = ClassicGroup::new(group_id, now_ms);
        group.generation_id = value.generation_id;
        group.protocol_type = (!value.protocol_type.is_empty()).then_some(value.protocol_type);
        group.protocol_name = value.protocol_name;
        group.state_timestamp_ms =
            if value.current_state_timestamp_ms >= 0 { value.current_state_timestamp_ms } else { now_ms };
        for m in value.members {
            let protocols = match &group.protocol_name {
                Some(name) => vec![(name.clone(), m.subscription)],
                None => Vec::new(),
            };
            if let Some(instance) = &m.group_instance_id {
                group.static_members.insert(instance.clone(), m.member_id.clone());
            }
            let seq = group.next_seq();
            group.members.insert(
                m.member_id.clone(),
                ClassicMember {
                    member_id: m.member_id,
                    group_instance_id: m.group_instance_id,
                    client_id: m.client_id,
                    client_host: m.client_host,
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    protocols,
                    assignment: m.assignment,
                    awaiting_join: false,
                    awaiting_sync: false,
                    is_new: false,
                    last_heard_ms: now_ms,
                    joined_seq: seq,
                },
            );
        }
        group.leader_id = value.leader_id.filter(|l| group.members.contains_key(l)).or_else(|| group.first_member());
        group.state = if group.members.is_empty() { GroupState::Empty } else { GroupState::Stable };
        group
    }

    /// The record that stores the group now.
    pub fn to_value(&self) -> GroupValue {
        self.value_with(|m| m.assignment.clone())
    }

    fn value_with(&self, assignment: impl Fn(&ClassicMember) -> Bytes) -> GroupValue {
        let protocol = self.protocol_name.as_deref().unwrap_or("");
        GroupValue {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation_id: self.generation_id,
            protocol_name: self.protocol_name.clone(),
            leader_id: self.leader_id.clone(),
            current_state_timestamp_ms: self.state_timestamp_ms,
            members: self
                .members_in_join_order()
                .map(|m| MemberValue {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    session_timeout_ms: m.session_timeout_ms,
                    subscription: m.metadata(protocol).cloned().unwrap_or_default(),
                    assignment: assignment(m),
                })
                .collect(),
        }
    }

    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    pub fn state(&self) -> GroupState {
        self.state
    }

    /// When the group entered its current state.
    pub fn state_timestamp_ms(&self) -> i64 {
        self.state_timestamp_ms
    }

    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }

    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }

    pub fn protocol_name(&self) -> Option<&str> {
        self.protocol_name.as_deref()
    }

    pub fn leader_id(&self) -> Option<&str> {
        self.leader_id.as_deref()
    }

    pub fn member(&self, member_id: &str) -> Option<&ClassicMember> {
        self.members.get(member_id)
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Members, longest-standing first.
    pub fn members_in_join_order(&self) -> impl Iterator<Item = &ClassicMember> {
        let mut members: Vec<&ClassicMember> = self.members.values().collect();
        members.sort_by_key(|m| m.joined_seq);
        members.into_iter()
    }

    /// The members as DescribeGroups shows them.
    pub fn describe_members(&self) -> Vec<MemberDescription> {
        let stable = self.state == GroupState::Stable;
        let protocol = self.protocol_name.as_deref().unwrap_or("");
        self.members_in_join_order()
            .map(|m| MemberDescription {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                metadata: if stable { m.metadata(protocol).cloned().unwrap_or_default() } else { Bytes::new() },
                assignment: if stable { m.assignment.clone() } else { Bytes::new() },
            })
            .collect()
    }

    // JoinGroup

    /// A JoinGroup. `new_member_id` is the id a new member gets (the runtime makes it, as Kafka does,
    /// from the client id or instance id and a UUID); it is used only if the member is new.
    pub fn join(
        &mut self,
        request: JoinRequest,
        new_member_id: String,
        config: &GroupConfig,
        now_ms: i64,
    ) -> (Reply<JoinResponse>, Effects) {
        let mut fx = Effects::default();
        let refuse = |error| (Reply::Now(JoinResponse::failed(&request.member_id, error)), Effects::default());
        if request.session_timeout_ms < config.min_session_timeout_ms
            || request.session_timeout_ms > config.max_session_timeout_ms
        {
            return refuse(GroupError::InvalidSessionTimeout);
        }
        if self.state == GroupState::Dead {
            return refuse(GroupError::CoordinatorNotAvailable);
        }
        if !self.supports_protocols(&request.protocol_type, &request.protocols) {
            return refuse(GroupError::InconsistentGroupProtocol);
        }

        if request.member_id.is_empty() {
            let known_static = request.group_instance_id.as_ref().and_then(|i| self.static_members.get(i)).cloned();
            if let Some(old_member_id) = known_static {
                let reply = self.replace_static_member(&old_member_id, new_member_id, request, config, now_ms, &mut fx);
                return (reply, fx);
            }
            if self.members.len() + self.pending_members.len() >= config.max_size {
                return refuse(GroupError::GroupMaxSizeReached);
            }
            if request.group_instance_id.is_none() && request.require_known_member_id {
                // KIP-394: the member rejoins with this id, so a retried first join cannot leave a ghost.
                let lapse_ms = now_ms.saturating_add(i64::from(request.session_timeout_ms));
                self.pending_members.insert(new_member_id.clone(), lapse_ms);
                let mut response = JoinResponse::failed(&new_member_id, GroupError::MemberIdRequired);
                response.member_id = new_member_id;
                return (Reply::Now(response), fx);
            }
            self.add_member_and_rebalance(new_member_id.clone(), request, config, now_ms, &mut fx);
            return (Reply::Parked { member_id: new_member_id }, fx);
        }

        let member_id = request.member_id.clone();
        if self.pending_members.remove(&member_id).is_some() {
            self.add_member_and_rebalance(member_id.clone(), request, config, now_ms, &mut fx);
            return (Reply::Parked { member_id }, fx);
        }
        if self.is_static_member_fenced(request.group_instance_id.as_deref(), &member_id) {
            return refuse(GroupError::FencedInstanceId);
        }
        let Some(member) = self.members.get(&member_id) else {
            return refuse(GroupError::UnknownMemberId);
        };
        let same_protocols = member.same_protocols(&request.protocols);
        let is_leader = self.leader_id.as_deref() == Some(member_id.as_str());
        match self.state {
            GroupState::CompletingRebalance if same_protocols => {
                // It missed the JoinGroup answer of this generation: send it again.
                (Reply::Now(self.current_generation_response(&member_id, is_leader)), fx)
            }
            GroupState::Empty | GroupState::Stable if same_protocols && !is_leader => {
                (Reply::Now(self.current_generation_response(&member_id, false)), fx)
            }
            _ => {
                self.update_member_and_rebalance(&member_id, request, config, now_ms, &mut fx);
                (Reply::Parked { member_id }, fx)
            }
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        member_id: String,
        request: JoinRequest,
        config: &GroupConfig,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        if self.members.is_empty() {
            self.protocol_type = Some(request.protocol_type.clone());
        }
        if let Some(instance) = &request.group_instance_id {
            self.static_members.insert(instance.clone(), member_id.clone());
        }
        let seq = self.next_seq();
        self.members.insert(
            member_id.clone(),
            ClassicMember {
                member_id: member_id.clone(),
                group_instance_id: request.group_instance_id,
                client_id: request.client_id,
                client_host: request.client_host,
                session_timeout_ms: request.session_timeout_ms,
                rebalance_timeout_ms: request.rebalance_timeout_ms,
                protocols: request.protocols,
                assignment: Bytes::new(),
                awaiting_join: true,
                awaiting_sync: false,
                is_new: true,
                last_heard_ms: now_ms,
                joined_seq: seq,
            },
        );
        if self.leader_id.is_none() {
            self.leader_id = Some(member_id);
        }
        if self.state == GroupState::PreparingRebalance && self.generation_id == 0 {
            if let Some(rebalance) = &mut self.rebalance {
                rebalance.new_member_added = true;
            }
        }
        self.maybe_prepare_rebalance(config, now_ms, fx);
        self.try_complete_join(now_ms, fx);
    }

    fn update_member_and_rebalance(
        &mut self,
        member_id: &str,
        request: JoinRequest,
        config: &GroupConfig,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        if let Some(member) = self.members.get_mut(member_id) {
            member.protocols = request.protocols;
            member.session_timeout_ms = request.session_timeout_ms;
            member.rebalance_timeout_ms = request.rebalance_timeout_ms;
            member.awaiting_join = true;
            member.last_heard_ms = now_ms;
        }
        self.maybe_prepare_rebalance(config, now_ms, fx);
        self.try_complete_join(now_ms, fx);
    }

    /// A static member rejoining with no member id takes over its old id's place and assignment
    /// (KIP-345). In a stable group whose protocol would not change this needs no rebalance.
    fn replace_static_member(
        &mut self,
        old_member_id: &str,
        new_member_id: String,
        request: JoinRequest,
        config: &GroupConfig,
        now_ms: i64,
        fx: &mut Effects,
    ) -> Reply<JoinResponse> {
        let Some(mut member) = self.members.remove(old_member_id) else {
            return Reply::Now(JoinResponse::failed("", GroupError::UnknownMemberId));
        };
        if member.awaiting_join {
            fx.joins
                .push((old_member_id.to_owned(), JoinResponse::failed(old_member_id, GroupError::FencedInstanceId)));
        }
        if member.awaiting_sync {
            fx.syncs.push((old_member_id.to_owned(), SyncResponse::failed(GroupError::FencedInstanceId)));
        }
        member.member_id = new_member_id.clone();
        member.client_id = request.client_id;
        member.client_host = request.client_host;
        member.session_timeout_ms = request.session_timeout_ms;
        member.rebalance_timeout_ms = request.rebalance_timeout_ms;
        member.protocols = request.protocols;
        member.awaiting_join = false;
        member.awaiting_sync = false;
        member.last_heard_ms = now_ms;
        self.members.insert(new_member_id.clone(), member);
        if let Some(instance) = &request.group_instance_id {
            self.static_members.insert(instance.clone(), new_member_id.clone());
        }
        let was_leader = self.leader_id.as_deref() == Some(old_member_id);
        if was_leader {
            self.leader_id = Some(new_member_id.clone());
        }

        if self.state == GroupState::Stable && self.select_protocol() == self.protocol_name {
            let skip_assignment = was_leader && request.supports_skip_assignment;
            let mut response = self.current_generation_response(&new_member_id, skip_assignment);
            response.skip_assignment = skip_assignment;
            fx.writes.push(GroupWrite {
                value: self.to_value(),
                then: AfterWrite::ReplyStaticJoin { member_id: new_member_id.clone(), response },
            });
            return Reply::Parked { member_id: new_member_id };
        }
        if let Some(member) = self.members.get_mut(&new_member_id) {
            member.awaiting_join = true;
        }
        self.maybe_prepare_rebalance(config, now_ms, fx);
        self.try_complete_join(now_ms, fx);
        Reply::Parked { member_id: new_member_id }
    }

    fn current_generation_response(&self, member_id: &str, with_members: bool) -> JoinResponse {
        JoinResponse {
            error: None,
            generation_id: self.generation_id,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader_id: self.leader_id.clone().unwrap_or_default(),
            member_id: member_id.to_owned(),
            members: if with_members { self.joined_members() } else { Vec::new() },
            skip_assignment: false,
        }
    }

    fn joined_members(&self) -> Vec<JoinedMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or("");
        self.members_in_join_order()
            .map(|m| JoinedMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                metadata: m.metadata(protocol).cloned().unwrap_or_default(),
            })
            .collect()
    }

    // Rebalance

    fn maybe_prepare_rebalance(&mut self, config: &GroupConfig, now_ms: i64, fx: &mut Effects) {
        if matches!(self.state, GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty) {
            self.prepare_rebalance(config, now_ms, fx);
        }
    }

    fn prepare_rebalance(&mut self, config: &GroupConfig, now_ms: i64, fx: &mut Effects) {
        if self.state == GroupState::CompletingRebalance {
            self.reset_and_propagate_assignment_error(GroupError::RebalanceInProgress, fx);
        }
        let rebalance_timeout_ms = self.max_rebalance_timeout_ms();
        self.rebalance = Some(if self.state == GroupState::Empty {
            let delay_ms = i64::from(config.initial_rebalance_delay_ms);
            Rebalance {
                deadline_ms: now_ms.saturating_add(delay_ms),
                initial_delay_remaining_ms: Some(rebalance_timeout_ms.saturating_sub(delay_ms).max(0)),
                new_member_added: false,
            }
        } else {
            Rebalance {
                deadline_ms: now_ms.saturating_add(rebalance_timeout_ms),
                initial_delay_remaining_ms: None,
                new_member_added: false,
            }
        });
        self.transition(GroupState::PreparingRebalance, now_ms);
    }

    fn max_rebalance_timeout_ms(&self) -> i64 {
        self.members.values().map(|m| i64::from(m.rebalance_timeout_ms.max(0))).max().unwrap_or(0)
    }

    /// Ends the rebalance if every member has rejoined (not during an initial delay, which always runs
    /// its course so more members can arrive).
    fn try_complete_join(&mut self, now_ms: i64, fx: &mut Effects) {
        let Some(rebalance) = self.rebalance else { return };
        if self.state != GroupState::PreparingRebalance || rebalance.initial_delay_remaining_ms.is_some() {
            return;
        }
        if self.pending_members.is_empty() && self.members.values().all(|m| m.awaiting_join) {
            self.complete_join(now_ms, fx);
        }
    }

    /// Kafka's `onCompleteJoin`: members that did not rejoin are removed, the generation moves on and every
    /// waiting member gets its JoinGroup answer (the leader with everyone's metadata).
    fn complete_join(&mut self, now_ms: i64, fx: &mut Effects) {
        self.rebalance = None;
        self.pending_members.clear();
        let absent: Vec<String> =
            self.members.values().filter(|m| !m.awaiting_join).map(|m| m.member_id.clone()).collect();
        for member_id in absent {
            self.remove_member_only(&member_id, GroupError::UnknownMemberId, fx);
        }
        self.generation_id = self.generation_id.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.transition(GroupState::Empty, now_ms);
            fx.writes.push(GroupWrite { value: self.to_value(), then: AfterWrite::Nothing });
            return;
        }
        self.protocol_name = self.select_protocol();
        self.transition(GroupState::CompletingRebalance, now_ms);
        let leader = self.leader_id.clone().unwrap_or_default();
        let everyone = self.joined_members();
        for member in self.members.values_mut() {
            member.awaiting_join = false;
            member.is_new = false;
            member.last_heard_ms = now_ms;
        }
        for member in self.members_in_join_order() {
            let is_leader = member.member_id == leader;
            fx.joins.push((
                member.member_id.clone(),
                JoinResponse {
                    error: None,
                    generation_id: self.generation_id,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    leader_id: leader.clone(),
                    member_id: member.member_id.clone(),
                    members: if is_leader { everyone.clone() } else { Vec::new() },
                    skip_assignment: false,
                },
            ));
        }
    }

    fn reset_and_propagate_assignment_error(&mut self, error: GroupError, fx: &mut Effects) {
        for member in self.members.values_mut() {
            member.assignment = Bytes::new();
            if member.awaiting_sync {
                member.awaiting_sync = false;
                fx.syncs.push((member.member_id.clone(), SyncResponse::failed(error)));
            }
        }
    }

    /// The protocol every member supports that most members prefer (ties: the earliest in the
    /// longest-standing member's list), or `None` with no members.
    fn select_protocol(&self) -> Option<String> {
        let first = self.members_in_join_order().next()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| self.members.values().all(|m| m.metadata(name).is_some()))
            .collect();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            if let Some((name, _)) = member.protocols.iter().find(|(name, _)| candidates.contains(&name.as_str())) {
                *votes.entry(name.as_str()).or_default() += 1;
            }
        }
        let most = votes.values().copied().max()?;
        candidates.into_iter().find(|c| votes.get(c) == Some(&most)).map(str::to_owned)
    }

    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| self.members.values().all(|m| m.metadata(name).is_some()))
    }

    fn is_static_member_fenced(&self, group_instance_id: Option<&str>, member_id: &str) -> bool {
        group_instance_id.and_then(|instance| self.static_members.get(instance)).is_some_and(|known| known != member_id)
    }

    // SyncGroup

    /// A SyncGroup.
    pub fn sync(&mut self, request: SyncRequest, now_ms: i64) -> (Reply<SyncResponse>, Effects) {
        let mut fx = Effects::default();
        let refuse = |error| (Reply::Now(SyncResponse::failed(error)), Effects::default());
        if self.state == GroupState::Dead {
            return refuse(GroupError::CoordinatorNotAvailable);
        }
        if self.is_static_member_fenced(request.group_instance_id.as_deref(), &request.member_id) {
            return refuse(GroupError::FencedInstanceId);
        }
        if !self.members.contains_key(&request.member_id) {
            return refuse(GroupError::UnknownMemberId);
        }
        if request.generation_id != self.generation_id {
            return refuse(GroupError::IllegalGeneration);
        }
        let type_differs = request.protocol_type.as_ref().is_some_and(|t| Some(t) != self.protocol_type.as_ref());
        let name_differs = request.protocol_name.as_ref().is_some_and(|n| Some(n) != self.protocol_name.as_ref());
        if type_differs || name_differs {
            return refuse(GroupError::InconsistentGroupProtocol);
        }
        match self.state {
            GroupState::Empty | GroupState::Dead => refuse(GroupError::UnknownMemberId),
            GroupState::PreparingRebalance => refuse(GroupError::RebalanceInProgress),
            GroupState::CompletingRebalance => {
                let is_leader = self.leader_id.as_deref() == Some(request.member_id.as_str());
                if let Some(member) = self.members.get_mut(&request.member_id) {
                    member.awaiting_sync = true;
                    member.last_heard_ms = now_ms;
                }
                if is_leader {
                    let mut assignments: BTreeMap<String, Bytes> =
                        self.members.keys().map(|id| (id.clone(), Bytes::new())).collect();
                    for (member_id, assignment) in request.assignments {
                        if let Some(slot) = assignments.get_mut(&member_id) {
                            *slot = assignment;
                        }
                    }
                    let value = self.value_with(|m| assignments.get(&m.member_id).cloned().unwrap_or_default());
                    fx.writes.push(GroupWrite {
                        value,
                        then: AfterWrite::CompleteSync { generation_id: self.generation_id, assignments },
                    });
                }
                (Reply::Parked { member_id: request.member_id }, fx)
            }
            GroupState::Stable => {
                let Some(member) = self.members.get_mut(&request.member_id) else {
                    return refuse(GroupError::UnknownMemberId);
                };
                member.last_heard_ms = now_ms;
                let response = SyncResponse {
                    error: None,
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    assignment: member.assignment.clone(),
                };
                (Reply::Now(response), fx)
            }
        }
    }

    /// The outcome of a [`GroupWrite`] this group asked for.
    pub fn after_write(
        &mut self,
        then: AfterWrite,
        result: Result<(), GroupError>,
        config: &GroupConfig,
        now_ms: i64,
    ) -> Effects {
        let mut fx = Effects::default();
        match then {
            AfterWrite::Nothing => {}
            AfterWrite::CompleteSync { generation_id, assignments } => {
                // A rebalance that began meanwhile has already answered the waiting members.
                if self.state != GroupState::CompletingRebalance || self.generation_id != generation_id {
                    return fx;
                }
                match result {
                    Ok(()) => {
                        for (member_id, assignment) in assignments {
                            if let Some(member) = self.members.get_mut(&member_id) {
                                member.assignment = assignment;
                            }
                        }
                        self.transition(GroupState::Stable, now_ms);
                        for member in self.members.values_mut() {
                            if member.awaiting_sync {
                                member.awaiting_sync = false;
                                fx.syncs.push((
                                    member.member_id.clone(),
                                    SyncResponse {
                                        error: None,
                                        protocol_type: self.protocol_type.clone(),
                                        protocol_name: self.protocol_name.clone(),
                                        assignment: member.assignment.clone(),
                                    },
                                ));
                            }
                        }
                    }
                    Err(error) => {
                        self.reset_and_propagate_assignment_error(error, &mut fx);
                        self.maybe_prepare_rebalance(config, now_ms, &mut fx);
                    }
                }
            }
            AfterWrite::ReplyStaticJoin { member_id, response } => {
                let response = match result {
                    Ok(()) => response,
                    Err(error) => JoinResponse::failed(&member_id, error),
                };
                fx.joins.push((member_id, response));
            }
        }
        fx
    }

    // Heartbeat, LeaveGroup, OffsetCommit

    /// A Heartbeat: the member's session restarts; the error tells it to rejoin when it must.
    pub fn heartbeat(
        &mut self,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
        now_ms: i64,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        if self.is_static_member_fenced(group_instance_id, member_id) {
            return Err(GroupError::FencedInstanceId);
        }
        let state = self.state;
        let current_generation = self.generation_id;
        let Some(member) = self.members.get_mut(member_id) else {
            return Err(GroupError::UnknownMemberId);
        };
        if generation_id != current_generation {
            return Err(GroupError::IllegalGeneration);
        }
        match state {
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
            GroupState::CompletingRebalance | GroupState::Stable => {
                member.last_heard_ms = now_ms;
                Ok(())
            }
            GroupState::PreparingRebalance => {
                member.last_heard_ms = now_ms;
                Err(GroupError::RebalanceInProgress)
            }
        }
    }

    /// A LeaveGroup of `members` (member id, instance id; the member id may be empty for a static member,
    /// v3+). One result per member, in order.
    pub fn leave(
        &mut self,
        members: &[(String, Option<String>)],
        config: &GroupConfig,
        now_ms: i64,
    ) -> (Vec<Result<String, GroupError>>, Effects) {
        let mut fx = Effects::default();
        let mut results = Vec::with_capacity(members.len());
        for (member_id, instance) in members {
            if self.state == GroupState::Dead {
                results.push(Err(GroupError::CoordinatorNotAvailable));
                continue;
            }
            let resolved = match (member_id.is_empty(), instance) {
                (true, Some(instance)) => match self.static_members.get(instance) {
                    Some(id) => id.clone(),
                    None => {
                        results.push(Err(GroupError::UnknownMemberId));
                        continue;
                    }
                },
                _ => member_id.clone(),
            };
            if self.is_static_member_fenced(instance.as_deref(), &resolved) {
                results.push(Err(GroupError::FencedInstanceId));
                continue;
            }
            if self.pending_members.remove(&resolved).is_some() {
                self.try_complete_join(now_ms, &mut fx);
                results.push(Ok(resolved));
                continue;
            }
            if !self.members.contains_key(&resolved) {
                results.push(Err(GroupError::UnknownMemberId));
                continue;
            }
            self.remove_member_and_update(&resolved, config, now_ms, &mut fx);
            results.push(Ok(resolved));
        }
        (results, fx)
    }

    /// Whether an OffsetCommit (or TxnOffsetCommit) from this member and generation may commit. A
    /// generation below 0 from no member is a commit of a consumer that does not use the group's
    /// management (`assign()`), allowed only while the group is Empty.
    pub fn validate_offset_commit(
        &mut self,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
        now_ms: i64,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        if generation_id < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if self.is_static_member_fenced(group_instance_id, member_id) {
            return Err(GroupError::FencedInstanceId);
        }
        if !member_id.is_empty() && !self.members.contains_key(member_id) {
            return Err(GroupError::UnknownMemberId);
        }
        if generation_id != self.generation_id {
            return Err(GroupError::IllegalGeneration);
        }
        match self.state {
            GroupState::CompletingRebalance => Err(GroupError::RebalanceInProgress),
            GroupState::Stable | GroupState::PreparingRebalance => {
                if let Some(member) = self.members.get_mut(member_id) {
                    member.last_heard_ms = now_ms;
                }
                Ok(())
            }
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
        }
    }

    /// Whether OffsetFetch may answer (v8+ with a member id and epoch is the consumer protocol's; the
    /// classic group only refuses when it is gone).
    pub fn is_dead(&self) -> bool {
        self.state == GroupState::Dead
    }

    // Time

    /// Expires members and pending ids whose time is up and ends rebalances whose deadline passed.
    pub fn tick(&mut self, config: &GroupConfig, now_ms: i64) -> Effects {
        let mut fx = Effects::default();
        if self.state == GroupState::Dead {
            return fx;
        }
        let lapsed: Vec<String> =
            self.pending_members.iter().filter(|(_, lapse)| **lapse <= now_ms).map(|(id, _)| id.clone()).collect();
        for member_id in lapsed {
            self.pending_members.remove(&member_id);
        }
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.is_alive(now_ms, config.new_member_join_timeout_ms))
            .map(|m| m.member_id.clone())
            .collect();
        for member_id in expired {
            self.remove_member_and_update(&member_id, config, now_ms, &mut fx);
        }
        if let Some(rebalance) = &mut self.rebalance {
            if self.state == GroupState::PreparingRebalance && now_ms >= rebalance.deadline_ms {
                match rebalance.initial_delay_remaining_ms {
                    Some(remaining) if rebalance.new_member_added && remaining > 0 => {
                        let delay_ms = i64::from(config.initial_rebalance_delay_ms).min(remaining);
                        rebalance.initial_delay_remaining_ms = Some(remaining - delay_ms);
                        rebalance.deadline_ms = now_ms.saturating_add(delay_ms);
                        rebalance.new_member_added = false;
                    }
                    _ => self.complete_join(now_ms, &mut fx),
                }
            }
        }
        self.try_complete_join(now_ms, &mut fx);
        fx
    }

    /// The earliest time [`ClassicGroup::tick`] has something to do, if any.
    pub fn next_deadline_ms(&self, config: &GroupConfig) -> Option<i64> {
        let rebalance = self.rebalance.map(|r| r.deadline_ms);
        let pending = self.pending_members.values().copied().min();
        let members = self
            .members
            .values()
            .filter(|m| !m.awaiting_sync)
            .map(|m| {
                if m.awaiting_join {
                    if m.is_new {
                        m.last_heard_ms.saturating_add(config.new_member_join_timeout_ms)
                    } else {
                        i64::MAX
                    }
                } else {
                    m.last_heard_ms.saturating_add(i64::from(m.session_timeout_ms))
                }
            })
            .min();
        [rebalance, pending, members].into_iter().flatten().min()
    }

    /// The group is gone from this coordinator (deleted, or its partition moved): every parked caller is
    /// answered with `error` and nothing is accepted any more.
    pub fn mark_dead(&mut self, error: GroupError, now_ms: i64) -> Effects {
        let mut fx = Effects::default();
        for member in self.members.values_mut() {
            if member.awaiting_join {
                member.awaiting_join = false;
                fx.joins.push((member.member_id.clone(), JoinResponse::failed(&member.member_id, error)));
            }
            if member.awaiting_sync {
                member.awaiting_sync = false;
                fx.syncs.push((member.member_id.clone(), SyncResponse::failed(error)));
            }
        }
        self.rebalance = None;
        self.transition(GroupState::Dead, now_ms);
        fx
    }

    fn remove_member_and_update(&mut self, member_id: &str, config: &GroupConfig, now_ms: i64, fx: &mut Effects) {
        self.remove_member_only(member_id, GroupError::UnknownMemberId, fx);
        match self.state {
            GroupState::Dead | GroupState::Empty => {}
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.maybe_prepare_rebalance(config, now_ms, fx);
                // With no member left the rebalance completes at once, emptying the group.
                self.try_complete_join(now_ms, fx);
            }
            GroupState::PreparingRebalance => self.try_complete_join(now_ms, fx),
        }
    }

    fn remove_member_only(&mut self, member_id: &str, error: GroupError, fx: &mut Effects) {
        let Some(member) = self.members.remove(member_id) else { return };
        if member.awaiting_join {
            fx.joins.push((member_id.to_owned(), JoinResponse::failed(member_id, error)));
        }
        if member.awaiting_sync {
            fx.syncs.push((member_id.to_owned(), SyncResponse::failed(error)));
        }
        if let Some(instance) = &member.group_instance_id {
            if self.static_members.get(instance).is_some_and(|id| id == member_id) {
                self.static_members.remove(instance);
            }
        }
        if self.leader_id.as_deref() == Some(member_id) {
            self.leader_id = self.first_member();
        }
    }

    fn first_member(&self) -> Option<String> {
        self.members.values().min_by_key(|m| m.joined_seq).map(|m| m.member_id.clone())
    }

    fn next_seq(&mut self) -> u64 {
        self.next_joined_seq += 1;
        self.next_joined_seq
    }

    fn transition(&mut self, state: GroupState, now_ms: i64) {
        self.state = state;
        self.state_timestamp_ms = now_ms;
    }

    /// The topics a live consumer-protocol group consumes (the union of its members' subscriptions), or
    /// `None` for an Empty group or another protocol type, whose offsets are all free to delete.
    pub fn subscribed_topics(&self) -> Option<BTreeSet<String>> {
        if self.state == GroupState::Empty || self.protocol_type.as_deref() != Some("consumer") {
            return None;
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = BTreeSet::new();
        for member in self.members.values() {
            if let Some(subscribed) = member.metadata(protocol).and_then(|m| decode_subscription(m)) {
                topics.extend(subscribed);
            }
        }
        Some(topics)
    }

    /// Whether the group holds nothing worth keeping: Empty, never rebalanced, no member on the way.
    pub fn is_unused(&self) -> bool {
        self.state == GroupState::Empty
            && self.members.is_empty()
            && self.pending_members.is_empty()
            && self.generation_id == 0
    }

    /// Member ids in the group, for tests and descriptions.
    pub fn member_ids(&self) -> BTreeSet<String> {
        self.members.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests;
