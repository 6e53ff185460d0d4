//! The group coordinator's I/O: [`flotilla_group`] decides, this module stores and answers.
//!
//! A group lives on the leader of its `__consumer_offsets` partition
//! ([`flotilla_group::coordinator_partition`]). For each partition this broker leads there is a
//! [`Shard`](flotilla_group::shard::CoordinatorShard):
//!
//! - [`leadership`]: every [`TICK_INTERVAL_MS`] the coordinator compares the partitions it leads with its
//!   shards. A newly led partition is loaded ([`loader`]: its records replayed in order) before it serves;
//!   meanwhile its groups answer COORDINATOR_LOAD_IN_PROGRESS. A partition led no longer (or led in a new
//!   epoch) is unloaded: its parked callers get NOT_COORDINATOR and clients look the coordinator up again.
//!   The same tick expires members and ends rebalances.
//! - [`writer`]: one task per shard appends the records the groups ask for, in the order they were asked
//!   for, with acks=all semantics through normal replication (`offsets.commit.timeout.ms` to reach the high
//!   watermark). Committed offsets become visible to OffsetFetch only once written.
//! - Parked JoinGroup and SyncGroup callers wait on a oneshot channel keyed by group and member id; the
//!   state machine's [`Effects`] say which to answer.
//!
//! All state sits behind one mutex that is never held across an await.

mod consumer;
mod leadership;
mod loader;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use flotilla_config::ServerConfig;
use flotilla_group::assignor::ServerAssignor;
use flotilla_group::classic_group::{
    Effects, JoinRequest, JoinResponse, MemberDescription, Reply, SyncRequest, SyncResponse,
};
use flotilla_group::consumer_group::ConsumerGroupConfig;
use flotilla_group::coordinator_partition::offsets_partition_for;
use flotilla_group::offsets::CommittedOffset;
use flotilla_group::records::RecordKey;
use flotilla_group::shard::CoordinatorShard;
use flotilla_group::{GroupConfig, GroupError, GroupState};
use flotilla_model::topic_name::CONSUMER_OFFSETS_TOPIC;
use flotilla_model::{LeaderEpoch, NodeId, PartitionIndex};
use tokio::sync::{mpsc, oneshot, watch};

use crate::partition::{wall_clock_ms, Partitions};
pub use consumer::ConsumerGroupDescription;
pub use leadership::run_coordinator;
use writer::WriteItem;

/// Pending appends per shard; past this a request is refused with COORDINATOR_NOT_AVAILABLE rather
/// than queueing without bound.
const WRITE_QUEUE_DEPTH: usize = 4096;

/// Where a group's coordinator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinatorLocation {
    /// `__consumer_offsets` does not exist yet.
    NoTopic,
    /// The partition has no leader now.
    NoLeader,
    Leader(NodeId),
}

/// One offset to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetToCommit {
    pub topic: String,
    pub partition: i32,
    pub offset: CommittedOffset,
}

/// A group as DescribeGroups and ListGroups show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: GroupState,
    pub protocol_type: String,
    /// Empty unless the group is Stable, as Kafka shows it.
    pub protocol_name: String,
    pub members: Vec<MemberDescription>,
}

/// The group coordinator of this broker. See the module docs.
#[derive(Debug)]
pub struct GroupCoordinator {
    config: GroupConfig,
    /// The consumer group protocol's settings (`group.consumer.*`).
    consumer_config: ConsumerGroupConfig,
    commit_timeout: Duration,
    /// `offsets.retention.minutes`, in ms.
    offsets_retention_ms: i64,
    /// `offsets.retention.check.interval.ms`.
    offsets_retention_check: Duration,
    partitions: Arc<Partitions>,
    state: Mutex<CoordinatorState>,
    /// A CreateTopics for `__consumer_offsets` is in flight: lookups meanwhile do not send another.
    creating_offsets_topic: AtomicBool,
}

/// Held while this broker asks for `__consumer_offsets`; dropping it lets the next lookup ask again.
#[derive(Debug)]
pub struct OffsetsTopicCreation<'a>(&'a AtomicBool);

impl Drop for OffsetsTopicCreation<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[derive(Debug, Default)]
struct CoordinatorState {
    shards: BTreeMap<i32, Slot>,
}

#[derive(Debug)]
enum Slot {
    Loading { leader_epoch: LeaderEpoch },
    Active(Box<ActiveShard>),
}

#[derive(Debug)]
struct ActiveShard {
    leader_epoch: LeaderEpoch,
    shard: CoordinatorShard,
    joins: HashMap<(String, String), oneshot::Sender<JoinResponse>>,
    syncs: HashMap<(String, String), oneshot::Sender<SyncResponse>>,
    writes: mpsc::Sender<WriteItem>,
    /// The coordinator's settings, for decisions taken while answering (a failed write).
    config: GroupConfig,
    /// Dropped on unload, which stops the shard's writer once its queue is drained.
    _alive: watch::Sender<()>,
}

impl ActiveShard {
    /// Answers the parked callers `fx` names and queues its writes for `group_id`.
    fn dispatch(&mut self, group_id: &str, fx: Effects) {
        for (member_id, response) in fx.joins {
            if let Some(tx) = self.joins.remove(&(group_id.to_owned(), member_id)) {
                let _ = tx.send(response);
            }
        }
        for (member_id, response) in fx.syncs {
            if let Some(tx) = self.syncs.remove(&(group_id.to_owned(), member_id)) {
                let _ = tx.send(response);
            }
        }
        for write in fx.writes {
            let item = WriteItem::Group { group_id: group_id.to_owned(), write: Box::new(write) };
            if let Err(refused) = self.writes.try_send(item) {
                // The queue is full or the writer is gone: the write fails as an unavailable coordinator.
                if let WriteItem::Group { write, .. } = refused.into_inner() {
                    if let Some(entry) = self.shard.get_mut(group_id) {
                        let more = entry.group.after_write(
                            write.then,
                            Err(GroupError::CoordinatorNotAvailable),
                            &self.config,
                            wall_clock_ms(),
                        );
                        // No further writes can be queued either; answer what the failure decided.
                        let Effects { joins, syncs, .. } = more;
                        self.dispatch(group_id, Effects { joins, syncs, writes: Vec::new() });
                    }
                }
            }
        }
    }
}

/// An answer now, or a parked caller's member id and the channel its answer arrives on.
enum Waiting<T> {
    Now(T),
    Parked(String, oneshot::Receiver<T>),
}

fn lock(state: &Mutex<CoordinatorState>) -> MutexGuard<'_, CoordinatorState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCoordinator {
    pub fn new(partitions: Arc<Partitions>, config: &ServerConfig) -> Arc<GroupCoordinator> {
        let group_config = GroupConfig {
            min_session_timeout_ms: config.group_min_session_timeout_ms,
            max_session_timeout_ms: config.group_max_session_timeout_ms,
            initial_rebalance_delay_ms: config.group_initial_rebalance_delay_ms,
            max_size: usize::try_from(config.group_max_size).unwrap_or(usize::MAX),
            new_member_join_timeout_ms: 300_000,
            offset_metadata_max_bytes: usize::try_from(config.offset_metadata_max_bytes).unwrap_or(0),
        };
        let assignors = config
            .group_consumer_assignors
            .iter()
            .filter_map(|name| {
                // Kafka's class names of the same two assignors.
                let short = match name.as_str() {
                    "org.apache.kafka.coordinator.group.assignor.UniformAssignor" => "uniform",
                    "org.apache.kafka.coordinator.group.assignor.RangeAssignor" => "range",
                    other => other,
                };
                ServerAssignor::from_name(short)
            })
            .collect();
        let consumer_config = ConsumerGroupConfig {
            session_timeout_ms: config.group_consumer_session_timeout_ms,
            heartbeat_interval_ms: config.group_consumer_heartbeat_interval_ms,
            max_size: usize::try_from(config.group_consumer_max_size).unwrap_or(usize::MAX),
            assignors,
        };
        Arc::new(GroupCoordinator {
            config: group_config,
            consumer_config,
            commit_timeout: Duration::from_millis(u64::try_from(config.offsets_commit_timeout_ms).unwrap_or(5_000)),
            offsets_retention_ms: i64::from(config.offsets_retention_minutes).saturating_mul(60_000),
            offsets_retention_check: Duration::from_millis(
                u64::try_from(config.offsets_retention_check_interval_ms).unwrap_or(600_000),
            ),
            partitions,
            state: Mutex::new(CoordinatorState::default()),
            creating_offsets_topic: AtomicBool::new(false),
        })
    }

    pub fn group_config(&self) -> &GroupConfig {
        &self.config
    }

    /// Leave to ask the controller for `__consumer_offsets`, unless a request is already in flight (many
    /// clients look their coordinators up at once; one CreateTopics is enough).
    pub fn begin_offsets_topic_creation(&self) -> Option<OffsetsTopicCreation<'_>> {
        self.creating_offsets_topic
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| OffsetsTopicCreation(&self.creating_offsets_topic))
    }

    /// The `__consumer_offsets` partition of `group_id` and where its leader is.
    pub fn locate(&self, group_id: &str) -> (i32, CoordinatorLocation) {
        let image = self.partitions.image();
        let Some(topic) = image.topics().by_name(CONSUMER_OFFSETS_TOPIC) else {
            return (-1, CoordinatorLocation::NoTopic);
        };
        let count = i32::try_from(topic.partition_count()).unwrap_or(i32::MAX);
        let partition = offsets_partition_for(group_id, count);
        let leader = topic.partition(PartitionIndex::new(partition)).map(|p| p.leader).unwrap_or(NodeId::NONE);
        if leader == NodeId::NONE {
            (partition, CoordinatorLocation::NoLeader)
        } else {
            (partition, CoordinatorLocation::Leader(leader))
        }
    }

    /// Runs `f` on the shard that coordinates `group_id` here, or says why there is none.
    fn with_shard<R>(&self, group_id: &str, f: impl FnOnce(&mut ActiveShard) -> R) -> Result<R, GroupError> {
        if group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        let (partition, location) = self.locate(group_id);
        if location != CoordinatorLocation::Leader(self.partitions.local_node()) {
            return Err(GroupError::NotCoordinator);
        }
        let mut state = lock(&self.state);
        match state.shards.get_mut(&partition) {
            Some(Slot::Active(active)) => Ok(f(active)),
            // Led here by the image, but not loaded yet (the next tick loads it).
            Some(Slot::Loading { .. }) | None => Err(GroupError::CoordinatorLoadInProgress),
        }
    }

    /// JoinGroup: answered when the rebalance completes (or at once when it need not wait).
    pub async fn join(&self, group_id: &str, request: JoinRequest) -> JoinResponse {
        let member_id = request.member_id.clone();
        let prefix = request.group_instance_id.clone().unwrap_or_else(|| request.client_id.clone());
        let new_member_id = format!("{prefix}-{}", uuid::Uuid::new_v4());
        let wait = request.rebalance_timeout_ms.max(request.session_timeout_ms);
        let outcome = self.with_shard(group_id, |active| {
            let now_ms = wall_clock_ms();
            if active.shard.consumer_group(group_id).is_some_and(|g| g.member_count() > 0) {
                // A live consumer-protocol group takes no classic members (Kafka with migration disabled).
                return Waiting::Now(JoinResponse::failed(&member_id, GroupError::InconsistentGroupProtocol));
            }
            if !member_id.is_empty() && active.shard.get(group_id).is_none() {
                return Waiting::Now(JoinResponse::failed(&member_id, GroupError::UnknownMemberId));
            }
            let entry = active.shard.entry(group_id, now_ms);
            let (reply, fx) = entry.group.join(request, new_member_id, &self.config, now_ms);
            let reply = match reply {
                Reply::Parked { member_id } => {
                    let (tx, rx) = oneshot::channel();
                    active.joins.insert((group_id.to_owned(), member_id.clone()), tx);
                    Waiting::Parked(member_id, rx)
                }
                Reply::Now(response) => Waiting::Now(response),
            };
            active.dispatch(group_id, fx);
            active.shard.remove_if_unused(group_id);
            reply
        });
        match outcome {
            Err(e) => JoinResponse::failed(&member_id, e),
            Ok(Waiting::Now(response)) => response,
            Ok(Waiting::Parked(member_id, rx)) => {
                // Bounded: a rebalance ends within its timeout; the margin covers the tick and the write.
                let limit = Duration::from_millis(u64::try_from(wait).unwrap_or(0)) + Duration::from_secs(10);
                match tokio::time::timeout(limit, rx).await {
                    Ok(Ok(response)) => response,
                    // Replaced by a newer JoinGroup of the same member, or the shard was unloaded.
                    Ok(Err(_)) => JoinResponse::failed(&member_id, GroupError::RebalanceInProgress),
                    Err(_) => JoinResponse::failed(&member_id, GroupError::RebalanceInProgress),
                }
            }
        }
    }

    /// SyncGroup: a follower waits for the leader's assignment to be stored.
    pub async fn sync(&self, group_id: &str, request: SyncRequest) -> SyncResponse {
        let outcome = self.with_shard(group_id, |active| {
            let now_ms = wall_clock_ms();
            let Some(entry) = active.shard.get_mut(group_id) else {
                return Waiting::Now(SyncResponse::failed(GroupError::UnknownMemberId));
            };
            let (reply, fx) = entry.group.sync(request, now_ms);
            let reply = match reply {
                Reply::Parked { member_id } => {
                    let (tx, rx) = oneshot::channel();
                    active.syncs.insert((group_id.to_owned(), member_id.clone()), tx);
                    Waiting::Parked(member_id, rx)
                }
                Reply::Now(response) => Waiting::Now(response),
            };
            active.dispatch(group_id, fx);
            reply
        });
        match outcome {
            Err(e) => SyncResponse::failed(e),
            Ok(Waiting::Now(response)) => response,
            Ok(Waiting::Parked(_, rx)) => {
                // The leader's sync follows its JoinGroup answer at once; a session timeout bounds it.
                let limit = Duration::from_millis(u64::try_from(self.config.max_session_timeout_ms).unwrap_or(0));
                match tokio::time::timeout(limit, rx).await {
                    Ok(Ok(response)) => response,
                    Ok(Err(_)) | Err(_) => SyncResponse::failed(GroupError::RebalanceInProgress),
                }
            }
        }
    }

    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> Result<(), GroupError> {
        self.with_shard(group_id, |active| match active.shard.get_mut(group_id) {
            Some(entry) => entry.group.heartbeat(member_id, group_instance_id, generation_id, wall_clock_ms()),
            None => Err(GroupError::UnknownMemberId),
        })?
    }

    /// LeaveGroup: one result per member (its resolved member id, or why not).
    pub fn leave(
        &self,
        group_id: &str,
        members: &[(String, Option<String>)],
    ) -> Result<Vec<Result<String, GroupError>>, GroupError> {
        self.with_shard(group_id, |active| {
            let Some(entry) = active.shard.get_mut(group_id) else {
                return members.iter().map(|_| Err(GroupError::UnknownMemberId)).collect();
            };
            let (results, fx) = entry.group.leave(members, &self.config, wall_clock_ms());
            active.dispatch(group_id, fx);
            results
        })
    }

    /// OffsetCommit: checks the member and generation, writes the offsets, and makes them visible once
    /// written. `Err` is the error of every partition.
    pub async fn commit_offsets(
        &self,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
        offsets: Vec<OffsetToCommit>,
    ) -> Result<(), GroupError> {
        let (tx, rx) = oneshot::channel();
        self.with_shard(group_id, |active| {
            let now_ms = wall_clock_ms();
            let exists = active.shard.get(group_id).is_some();
            let consumer_group = active.shard.consumer_group(group_id);
            if let Some(group) = consumer_group.filter(|g| g.member_count() > 0 || !member_id.is_empty()) {
                // A consumer-protocol group: the generation is the member's epoch.
                group.validate_member(member_id, generation_id)?;
            } else {
                if !exists && generation_id >= 0 {
                    // A commit of a generation for a group this coordinator does not know.
                    return Err(GroupError::IllegalGeneration);
                }
                let entry = active.shard.entry(group_id, now_ms);
                if let Err(e) = entry.group.validate_offset_commit(member_id, group_instance_id, generation_id, now_ms)
                {
                    active.shard.remove_if_unused(group_id);
                    return Err(e);
                }
            }
            let item = WriteItem::Offsets { group_id: group_id.to_owned(), offsets, done: tx };
            active.writes.try_send(item).map_err(|_| GroupError::CoordinatorNotAvailable)
        })??;
        rx.await.unwrap_or(Err(GroupError::NotCoordinator))
    }

    /// OffsetFetch: the committed offsets of `group_id` for `partitions` (`None`: every partition with a
    /// commit). A partition with none is answered with offset -1. `member` (id, epoch) is the asking member
    /// of a consumer-protocol group (OffsetFetch v9), checked as OffsetCommit checks it.
    pub fn fetch_offsets(
        &self,
        group_id: &str,
        partitions: Option<&[(String, Vec<i32>)]>,
        member: Option<(&str, i32)>,
    ) -> Result<Vec<(String, i32, Option<CommittedOffset>)>, GroupError> {
        self.with_shard(group_id, |active| {
            if let (Some((member_id, epoch)), Some(group)) = (member, active.shard.consumer_group(group_id)) {
                group.validate_member(member_id, epoch)?;
            }
            let entry = active.shard.get(group_id);
            Ok(match partitions {
                Some(wanted) => wanted
                    .iter()
                    .flat_map(|(topic, ps)| {
                        ps.iter()
                            .map(move |p| (topic.clone(), *p, entry.and_then(|e| e.offsets.get(topic, *p)).cloned()))
                    })
                    .collect(),
                None => entry
                    .map(|e| e.offsets.iter().map(|(t, p, o)| (t.to_owned(), p, Some(o.clone()))).collect())
                    .unwrap_or_default(),
            })
        })?
    }

    /// DeleteGroups of one group: only an Empty group may go; its record and every offset get tombstones.
    pub async fn delete_group(&self, group_id: &str) -> Result<(), GroupError> {
        let (tx, rx) = oneshot::channel();
        self.with_shard(group_id, |active| {
            if active.shard.consumer_group(group_id).is_some_and(|g| g.member_count() > 0) {
                return Err(GroupError::NonEmptyGroup);
            }
            // An empty consumer-protocol group goes with its offsets; it has no record of its own.
            let had_consumer_group = active.shard.remove_consumer_group(group_id).is_some();
            let Some(entry) = active.shard.get(group_id) else {
                if !had_consumer_group {
                    return Err(GroupError::GroupIdNotFound);
                }
                let _ = tx.send(Ok(()));
                return Ok(());
            };
            match entry.group.state() {
                GroupState::Empty => {}
                GroupState::Dead => return Err(GroupError::GroupIdNotFound),
                _ => return Err(GroupError::NonEmptyGroup),
            }
            let mut keys = vec![RecordKey::Group { group_id: group_id.to_owned() }];
            keys.extend(entry.offsets.iter().map(|(topic, partition, _)| RecordKey::Offset {
                group_id: group_id.to_owned(),
                topic: topic.to_owned(),
                partition,
            }));
            active.shard.remove(group_id);
            let item = WriteItem::Tombstones { group_id: group_id.to_owned(), keys, done: tx };
            active.writes.try_send(item).map_err(|_| GroupError::CoordinatorNotAvailable)
        })??;
        rx.await.unwrap_or(Err(GroupError::NotCoordinator))
    }

    /// OffsetDelete: removes the offsets of `partitions` except those of topics a live group still
    /// consumes (GROUP_SUBSCRIBED_TO_TOPIC). One result per partition.
    pub async fn delete_offsets(
        &self,
        group_id: &str,
        partitions: &[(String, Vec<i32>)],
    ) -> Result<Vec<(String, i32, Result<(), GroupError>)>, GroupError> {
        let (tx, rx) = oneshot::channel();
        let decided = self.with_shard(group_id, |active| {
            let Some(entry) = active.shard.get(group_id) else {
                return Err(GroupError::GroupIdNotFound);
            };
            if entry.group.is_dead() {
                return Err(GroupError::GroupIdNotFound);
            }
            let mut subscribed = entry.group.subscribed_topics().unwrap_or_default();
            if let Some(group) = active.shard.consumer_group(group_id) {
                subscribed.extend(group.subscribed_topics());
            }
            let mut results = Vec::new();
            let mut keys = Vec::new();
            for (topic, ps) in partitions {
                for p in ps {
                    if subscribed.contains(topic) {
                        results.push((topic.clone(), *p, Err(GroupError::GroupSubscribedToTopic)));
                        continue;
                    }
                    if entry.offsets.get(topic, *p).is_some() {
                        keys.push(RecordKey::Offset {
                            group_id: group_id.to_owned(),
                            topic: topic.clone(),
                            partition: *p,
                        });
                    }
                    results.push((topic.clone(), *p, Ok(())));
                }
            }
            if !keys.is_empty() {
                let item = WriteItem::Tombstones { group_id: group_id.to_owned(), keys, done: tx };
                active.writes.try_send(item).map_err(|_| GroupError::CoordinatorNotAvailable)?;
                return Ok((results, true));
            }
            Ok((results, false))
        })??;
        let (mut results, wrote) = decided;
        if wrote {
            if let Err(e) = rx.await.unwrap_or(Err(GroupError::NotCoordinator)) {
                for (_, _, result) in &mut results {
                    if result.is_ok() {
                        *result = Err(e);
                    }
                }
            }
        }
        Ok(results)
    }

    /// DescribeGroups of one group; a group this coordinator does not have is shown as Dead, as Kafka does.
    /// A consumer-protocol group is not a classic group: Dead here too, as Kafka answers (clients describe
    /// it with ConsumerGroupDescribe).
    pub fn describe(&self, group_id: &str) -> Result<GroupDescription, GroupError> {
        self.with_shard(group_id, |active| match active.shard.get(group_id) {
            Some(entry) if entry.group.protocol_type().is_some() || active.shard.consumer_group(group_id).is_none() => {
                describe(&entry.group)
            }
            _ => GroupDescription {
                group_id: group_id.to_owned(),
                state: GroupState::Dead,
                protocol_type: String::new(),
                protocol_name: String::new(),
                members: Vec::new(),
            },
        })
    }

    /// Every group this broker coordinates, and whether any of its partitions is still loading.
    pub fn list(&self) -> (Vec<GroupDescription>, bool) {
        let state = lock(&self.state);
        let mut loading = false;
        let mut groups = Vec::new();
        for slot in state.shards.values() {
            match slot {
                Slot::Loading { .. } => loading = true,
                Slot::Active(active) => groups.extend(
                    active
                        .shard
                        .groups()
                        .filter(|e| {
                            // Listed as the consumer-protocol group it is (`list_consumer_groups`).
                            let id = e.group.group_id();
                            e.group.protocol_type().is_some() || active.shard.consumer_group(id).is_none()
                        })
                        .map(|e| describe(&e.group)),
                ),
            }
        }
        (groups, loading)
    }
}

fn describe(group: &flotilla_group::ClassicGroup) -> GroupDescription {
    let stable = group.state() == GroupState::Stable;
    GroupDescription {
        group_id: group.group_id().to_owned(),
        state: group.state(),
        protocol_type: group.protocol_type().unwrap_or("").to_owned(),
        protocol_name: if stable { group.protocol_name().unwrap_or("").to_owned() } else { String::new() },
        members: group.describe_members(),
    }
}
