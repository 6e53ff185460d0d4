//! [`Partition`]: a partition hosted on this broker (Kafka's `Partition`). It owns the log, the
//! idempotent producer state and the replica state (role, leader epoch, ISR view, follower log end
//! offsets), advances the high watermark, and wakes whoever waits on it.
//!
//! # Locks
//!
//! Lock order: `replica` → `producers` → (the log's own locks) → `high_watermark_lock`.
//!
//! - `replica` (read) is held for the whole of an append, a read or an offset lookup, and taken for
//!   writing by role changes, so no append straddles a leader change (Kafka's `leaderIsrUpdateLock`).
//! - `producers` is the append lock: held from the producer-state check, through the log append, to
//!   the producer-state update, so appends to one partition are serialised and the state always
//!   matches the log.
//! - `high_watermark_lock` makes the compute-then-store of the high watermark atomic, so two updaters
//!   never move it backwards.
//!
//! All methods except the `wait_*` ones do blocking I/O or take blocking locks: call them from a
//! blocking thread.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use flotilla_model::{LeaderEpoch, NodeId, Offset, PartitionEpoch, TopicId, TopicPartition};
use flotilla_storage::producer_state::ProducerStateManager;
use flotilla_storage::Log;
use tokio::sync::watch;
use tracing::{debug, info};

use super::assignment::{Assignment, Role};
use super::error::PartitionError;
use super::high_watermark::next_high_watermark;
use super::reconcile::HostedReplica;
use super::replica_progress::{proposed_isr, IsrReview, ReplicaProgress};

/// The replica state of a hosted partition, as of the last image applied (plus, on a leader, what
/// it learnt from its followers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaState {
    pub role: Role,
    pub leader: NodeId,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub replicas: Vec<NodeId>,
    /// The committed ISR from the image.
    pub isr: Vec<NodeId>,
    /// On a leader, an ISR it has proposed to the controller and not yet seen committed or refused
    /// (Kafka's `PendingExpandIsr` / `PendingShrinkIsr`). The high watermark waits for the union of
    /// both (Kafka's maximal ISR): the controller may commit the proposal and elect a leader from it
    /// before this leader applies the result, so a record counts as committed only once every member
    /// of either set has it.
    pub pending_isr: Option<Vec<NodeId>>,
    /// The topic's `min.insync.replicas`.
    pub min_insync_replicas: usize,
    /// This broker's log end offset when it became leader in `leader_epoch` (Kafka's
    /// `leaderEpochStartOffsetOpt`); offset lookups wait for the high watermark to pass it.
    pub leader_epoch_start_offset: Offset,
    /// On a leader, what each follower's fetches told it (log end offset, when it was last caught
    /// up). Reset on every leader change.
    pub follower_progress: BTreeMap<NodeId, ReplicaProgress>,
    /// Removed from the registry: refuses everything.
    pub removed: bool,
}

impl ReplicaState {
    /// Leadership as clients see it: `Err(NotLeader)` unless this broker leads.
    pub fn require_leader(&self) -> Result<(), PartitionError> {
        if self.role == Role::Leader && !self.removed {
            Ok(())
        } else {
            Err(self.not_leader())
        }
    }

    pub fn not_leader(&self) -> PartitionError {
        PartitionError::NotLeader { leader: self.leader, leader_epoch: self.leader_epoch }
    }
}

/// An ISR change a leader proposes, at the epochs it knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsrProposal {
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub current_isr: Vec<NodeId>,
    pub new_isr: Vec<NodeId>,
}

/// A partition hosted on this broker. See the module docs for its locks.
#[derive(Debug)]
pub struct Partition {
    topic_partition: TopicPartition,
    topic_id: TopicId,
    local_node: NodeId,
    log: Arc<Log>,
    pub(super) replica: RwLock<ReplicaState>,
    pub(super) producers: Mutex<ProducerStateManager>,
    high_watermark_lock: Mutex<()>,
    /// Holds the high watermark; also bumped on role changes. Wakes acks=all waits and long polls.
    changes: watch::Sender<Offset>,
    /// Holds the log end offset after each leader append; also bumped on role changes. Wakes the
    /// followers' parked fetches, which read past the high watermark.
    appends: watch::Sender<Offset>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its state consistent at each step that can fail.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Partition {
    /// A hosted partition over `log` and its recovered producer state, in the role `assignment` gives
    /// `local_node`.
    pub fn new(
        local_node: NodeId,
        log: Arc<Log>,
        producers: ProducerStateManager,
        assignment: &Assignment,
        min_insync_replicas: usize,
    ) -> Partition {
        let (changes, _) = watch::channel(log.high_watermark());
        let (appends, _) = watch::channel(log.log_end_offset());
        let partition = Partition {
            topic_partition: assignment.topic_partition.clone(),
            topic_id: assignment.topic_id,
            local_node,
            replica: RwLock::new(ReplicaState {
                role: Role::Follower,
                leader: NodeId::NONE,
                leader_epoch: LeaderEpoch::UNKNOWN,
                partition_epoch: PartitionEpoch::new(-1),
                replicas: Vec::new(),
                isr: Vec::new(),
                pending_isr: None,
                min_insync_replicas,
                leader_epoch_start_offset: Offset::UNKNOWN,
                follower_progress: BTreeMap::new(),
                removed: false,
            }),
            log,
            producers: std::sync::Mutex::new(producers),
            high_watermark_lock: Mutex::new(()),
            changes,
            appends,
        };
        partition.apply_assignment(assignment);
        partition
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.topic_partition
    }

    pub fn topic_id(&self) -> TopicId {
        self.topic_id
    }

    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    pub fn local_node(&self) -> NodeId {
        self.local_node
    }

    pub(super) fn read_replica(&self) -> RwLockReadGuard<'_, ReplicaState> {
        self.replica.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_replica(&self) -> RwLockWriteGuard<'_, ReplicaState> {
        self.replica.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the replica state.
    pub fn replica_state(&self) -> ReplicaState {
        self.read_replica().clone()
    }

    pub fn high_watermark(&self) -> Offset {
        self.log.high_watermark()
    }

    /// What the reconciliation needs to know about this partition.
    pub fn hosted_replica(&self) -> HostedReplica {
        let state = self.read_replica();
        HostedReplica {
            topic_partition: self.topic_partition.clone(),
            topic_id: self.topic_id,
            role: state.role,
            leader_epoch: state.leader_epoch,
            partition_epoch: state.partition_epoch,
        }
    }

    /// Becomes leader or follower as `assignment` says (Kafka's `makeLeader` / `makeFollower`), or
    /// takes a newer ISR and replica set within the same leader epoch. An assignment older than
    /// what the partition has is ignored.
    pub fn apply_assignment(&self, assignment: &Assignment) {
        let mut state = self.write_replica();
        if (assignment.leader_epoch, assignment.partition_epoch) < (state.leader_epoch, state.partition_epoch) {
            debug!(partition = %self.topic_partition, "ignoring an assignment older than the partition's state");
            return;
        }
        let role = assignment.role_of(self.local_node);
        let new_term = assignment.leader_epoch != state.leader_epoch || role != state.role;
        if new_term {
            if role == Role::Leader {
                state.leader_epoch_start_offset = self.log.log_end_offset();
            } else {
                state.leader_epoch_start_offset = Offset::UNKNOWN;
            }
            state.follower_progress.clear();
            info!(
                partition = %self.topic_partition, ?role, leader = %assignment.leader,
                leader_epoch = %assignment.leader_epoch, isr = ?assignment.isr,
                log_end_offset = %self.log.log_end_offset(), high_watermark = %self.log.high_watermark(),
                "partition role"
            );
        }
        if !new_term && assignment.isr != state.isr {
            info!(
                partition = %self.topic_partition, leader = %assignment.leader, leader_epoch = %assignment.leader_epoch,
                partition_epoch = %assignment.partition_epoch, isr = ?state.isr, new_isr = ?assignment.isr,
                "ISR changed"
            );
        }
        // A new committed state (or a new term) settles whatever was proposed before it.
        if new_term || assignment.partition_epoch != state.partition_epoch {
            state.pending_isr = None;
        }
        state.role = role;
        state.leader = assignment.leader;
        state.leader_epoch = assignment.leader_epoch;
        state.partition_epoch = assignment.partition_epoch;
        state.replicas.clone_from(&assignment.replicas);
        state.isr.clone_from(&assignment.isr);
        if role == Role::Leader {
            // As Kafka's `resetReplicaState` on becoming leader: ISR members get a full
            // `replica.lag.time.max.ms` from now to fetch; replicas outside it must catch up first.
            let now_ms = super::wall_clock_ms();
            let followers: Vec<NodeId> = state.replicas.iter().copied().filter(|r| *r != self.local_node).collect();
            state.follower_progress.retain(|r, _| followers.contains(r));
            for follower in followers {
                let caught_up_ms = if state.isr.contains(&follower) { now_ms } else { i64::MIN };
                state.follower_progress.entry(follower).or_insert_with(|| ReplicaProgress::new(caught_up_ms));
            }
        }
        self.maybe_advance_high_watermark(&state);
        drop(state);
        self.notify();
    }

    /// A changed `min.insync.replicas`.
    pub fn set_min_insync_replicas(&self, min_insync_replicas: usize) {
        self.write_replica().min_insync_replicas = min_insync_replicas;
    }

    /// Taken out of the registry (topic deleted, replica moved): refuses everything from now on and
    /// wakes every waiter.
    pub fn mark_removed(&self) {
        let mut state = self.write_replica();
        state.removed = true;
        state.role = Role::Follower;
        drop(state);
        self.notify();
    }

    /// A follower's fetch at `fetch_offset` (its log end offset) at `now_ms`; may advance the high
    /// watermark. Ignored unless this broker leads and `follower` is one of its replicas.
    pub fn record_follower_fetch(&self, follower: NodeId, fetch_offset: Offset, now_ms: i64) {
        let mut state = self.write_replica();
        if state.role != Role::Leader || follower == self.local_node {
            return;
        }
        let leader_log_end_offset = self.log.log_end_offset();
        let Some(progress) = state.follower_progress.get_mut(&follower) else { return };
        progress.on_fetch(fetch_offset, leader_log_end_offset, now_ms);
        self.maybe_advance_high_watermark(&state);
    }

    /// The ISR this leader should propose to the controller now (`replica.lag.time.max.ms` =
    /// `lag_max_ms`), or `None` if it should stay, or if this broker does not lead.
    pub fn proposed_isr(&self, now_ms: i64, lag_max_ms: i64) -> Option<Vec<NodeId>> {
        self.review_isr(&self.read_replica(), now_ms, lag_max_ms)
    }

    fn review_isr(&self, state: &ReplicaState, now_ms: i64, lag_max_ms: i64) -> Option<Vec<NodeId>> {
        if state.role != Role::Leader || state.removed {
            return None;
        }
        proposed_isr(&IsrReview {
            leader: self.local_node,
            replicas: &state.replicas,
            isr: &state.isr,
            followers: &state.follower_progress,
            leader_log_end_offset: self.log.log_end_offset(),
            high_watermark: self.log.high_watermark(),
            leader_epoch_start_offset: state.leader_epoch_start_offset,
            now_ms,
            lag_max_ms,
        })
    }

    /// [`Self::proposed_isr`] with the epochs an AlterPartition must carry; `None` while an earlier
    /// proposal is pending (one at a time, as Kafka: the controller's answer to it settles the ISR
    /// the next proposal starts from).
    pub fn isr_proposal(&self, now_ms: i64, lag_max_ms: i64) -> Option<IsrProposal> {
        let state = self.read_replica();
        if state.pending_isr.is_some() {
            return None;
        }
        let new_isr = self.review_isr(&state, now_ms, lag_max_ms)?;
        Some(IsrProposal {
            leader_epoch: state.leader_epoch,
            partition_epoch: state.partition_epoch,
            current_isr: state.isr.clone(),
            new_isr,
        })
    }

    /// The proposal still waiting for the controller's answer, at the partition's current epochs (to
    /// send again when the answer was lost).
    pub fn pending_isr_proposal(&self) -> Option<IsrProposal> {
        let state = self.read_replica();
        if state.role != Role::Leader || state.removed {
            return None;
        }
        let new_isr = state.pending_isr.clone()?;
        Some(IsrProposal {
            leader_epoch: state.leader_epoch,
            partition_epoch: state.partition_epoch,
            current_isr: state.isr.clone(),
            new_isr,
        })
    }

    /// Records that `proposal` was sent to the controller: until the result arrives (a new partition
    /// epoch) or the controller refuses it ([`Self::clear_pending_isr`]), the high watermark waits for
    /// the members of both the committed and the proposed ISR. Ignored if the partition's epochs moved on.
    pub fn mark_pending_isr(&self, proposal: &IsrProposal) {
        let mut state = self.write_replica();
        if state.role == Role::Leader
            && state.leader_epoch == proposal.leader_epoch
            && state.partition_epoch == proposal.partition_epoch
        {
            state.pending_isr = Some(proposal.new_isr.clone());
        }
    }

    /// The controller refused the proposal made at `partition_epoch`: only the committed ISR counts again.
    pub fn clear_pending_isr(&self, partition_epoch: PartitionEpoch) {
        let mut state = self.write_replica();
        if state.partition_epoch == partition_epoch {
            state.pending_isr = None;
        }
    }

    /// On a leader, moves the high watermark to the smallest log end offset over the ISR if that is
    /// larger, and wakes waiters. Returns the high watermark.
    pub(super) fn maybe_advance_high_watermark(&self, state: &ReplicaState) -> Offset {
        let _guard = lock(&self.high_watermark_lock);
        let current = self.log.high_watermark();
        if state.role != Role::Leader || state.removed {
            return current;
        }
        let mut maximal_isr = state.isr.clone();
        if let Some(pending) = &state.pending_isr {
            maximal_isr.extend(pending.iter().filter(|m| !state.isr.contains(m)));
        }
        let Some(next) = next_high_watermark(
            self.local_node,
            self.log.log_end_offset(),
            &maximal_isr,
            |follower| {
                state.follower_progress.get(&follower).map(|p| p.log_end_offset).filter(|o| *o != Offset::UNKNOWN)
            },
            current,
        ) else {
            return current;
        };
        let set = self.log.update_high_watermark(next);
        self.changes.send_replace(set);
        set
    }

    /// Wakes every waiter (they re-check their condition).
    pub(super) fn notify(&self) {
        self.changes.send_modify(|hw| *hw = self.log.high_watermark());
        self.notify_appended();
    }

    /// Wakes the followers' parked fetches: the log end moved (or the role changed).
    pub(super) fn notify_appended(&self) {
        self.appends.send_modify(|end| *end = self.log.log_end_offset());
    }

    /// A receiver that sees every later leader append and role change (what a follower's parked
    /// fetch waits for); subscribe before reading, then wait on `changed()`.
    pub fn subscribe_appends(&self) -> watch::Receiver<Offset> {
        self.appends.subscribe()
    }

    /// A receiver that sees every later high watermark change and role change; subscribe before
    /// checking a condition, then wait on `changed()`, and no wake-up is lost.
    pub fn subscribe(&self) -> watch::Receiver<Offset> {
        self.changes.subscribe()
    }

    /// Waits until the high watermark reaches `required` (acks=all: the offset after the last
    /// appended record), as Kafka's `checkEnoughReplicasReachOffset`: then NONE if the ISR still
    /// satisfies `min.insync.replicas`, else NOT_ENOUGH_REPLICAS_AFTER_APPEND; NOT_LEADER_OR_FOLLOWER
    /// if leadership is lost first. The caller bounds the wait (the produce timeout).
    pub async fn wait_for_high_watermark(&self, required: Offset) -> Result<(), PartitionError> {
        loop {
            let mut changes = self.subscribe();
            {
                let state = self.read_replica();
                if self.log.high_watermark() >= required {
                    if state.isr.len() < state.min_insync_replicas {
                        return Err(PartitionError::NotEnoughReplicasAfterAppend {
                            isr: state.isr.len(),
                            min_insync_replicas: state.min_insync_replicas,
                        });
                    }
                    return Ok(());
                }
                state.require_leader()?;
            }
            if changes.changed().await.is_err() {
                return Err(self.read_replica().not_leader());
            }
        }
    }

    /// Drops producers idle for `producer.id.expiration.ms` (Kafka checks every
    /// `producer.id.expiration.check.interval.ms`, 10 minutes); returns how many.
    pub fn expire_producers(&self, now_ms: i64) -> usize {
        lock(&self.producers).remove_expired_producers(now_ms)
    }

    /// Writes a producer state snapshot at the current log end offset (on clean shutdown; Kafka
    /// also takes one at every segment roll).
    pub fn take_producer_snapshot(&self) -> Result<(), PartitionError> {
        let mut producers = lock(&self.producers);
        producers.set_map_end_offset(self.log.log_end_offset());
        producers.take_snapshot(self.log.dir()).map(drop).map_err(PartitionError::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use flotilla_model::{PartitionIndex, TopicName};
    use flotilla_protocol::records::{Compression, RecordBatchBuilder};
    use flotilla_storage::{LogConfig, LogOpenParams};

    use super::*;
    use crate::partition::RequiredAcks;

    fn n(id: i32) -> NodeId {
        NodeId::new(id)
    }

    fn assignment(leader: i32, leader_epoch: i32, isr: &[i32]) -> Assignment {
        Assignment {
            topic_partition: TopicPartition::new(TopicName::new("t").unwrap(), PartitionIndex::new(0)),
            topic_id: TopicId::new(flotilla_protocol::Uuid::from_u128(1)),
            replicas: vec![n(1), n(2)],
            isr: isr.iter().copied().map(n).collect(),
            leader: n(leader),
            leader_epoch: LeaderEpoch::new(leader_epoch),
            partition_epoch: PartitionEpoch::new(leader_epoch),
        }
    }

    fn open(dir: &std::path::Path, assignment: &Assignment) -> Arc<Partition> {
        let log = Log::open(dir, assignment.topic_partition.clone(), LogConfig::default(), LogOpenParams::default(), 0);
        Arc::new(Partition::new(n(1), Arc::new(log.unwrap()), ProducerStateManager::default(), assignment, 1))
    }

    fn records(count: usize) -> bytes::Bytes {
        let mut builder = RecordBatchBuilder::new(Compression::None);
        for i in 0..count {
            builder.append(1, None, Some(format!("v{i}").as_bytes()), &[]).unwrap();
        }
        builder.build().unwrap()
    }

    #[tokio::test]
    async fn the_high_watermark_waits_for_every_isr_member() {
        let dir = tempfile::tempdir().unwrap();
        let partition = open(dir.path(), &assignment(1, 0, &[1, 2]));
        let appended = partition.append_records_as_leader(records(3), RequiredAcks::All, 0).unwrap();
        assert_eq!((appended.first_offset, appended.last_offset), (Offset::new(0), Offset::new(2)));
        assert_eq!(partition.high_watermark(), Offset::new(0), "follower 2 has not fetched");

        let waiter = {
            let partition = partition.clone();
            tokio::spawn(async move { partition.wait_for_high_watermark(appended.required_high_watermark()).await })
        };
        partition.record_follower_fetch(n(2), Offset::new(2), 1);
        assert_eq!(partition.high_watermark(), Offset::new(2));
        partition.record_follower_fetch(n(2), Offset::new(3), 2);
        assert_eq!(partition.high_watermark(), Offset::new(3));
        tokio::time::timeout(Duration::from_secs(10), waiter).await.unwrap().unwrap().unwrap();

        // A follower's stale report never moves it back.
        partition.record_follower_fetch(n(2), Offset::new(1), 3);
        assert_eq!(partition.high_watermark(), Offset::new(3));
    }

    #[test]
    fn the_leader_proposes_lagging_followers_out_and_caught_up_ones_back_in() {
        const LAG_MAX_MS: i64 = 30_000;
        let dir = tempfile::tempdir().unwrap();
        let before = crate::partition::wall_clock_ms();
        let partition = open(dir.path(), &assignment(1, 0, &[1, 2]));
        partition.append_records_as_leader(records(3), RequiredAcks::Leader, before).unwrap();
        assert_eq!(partition.proposed_isr(before, LAG_MAX_MS), None, "2 has the lag time to start fetching");
        let later = before + 2 * LAG_MAX_MS;
        assert_eq!(partition.proposed_isr(later, LAG_MAX_MS), Some(vec![n(1)]));

        // Out of the ISR (the controller committed it), 2 fetches up to the leader's log end: back in.
        partition.apply_assignment(&Assignment { partition_epoch: PartitionEpoch::new(1), ..assignment(1, 0, &[1]) });
        assert_eq!(partition.high_watermark(), Offset::new(3), "alone in the ISR");
        partition.record_follower_fetch(n(2), Offset::new(1), later);
        assert_eq!(partition.proposed_isr(later, LAG_MAX_MS), None, "still below the high watermark");
        partition.record_follower_fetch(n(2), Offset::new(3), later + 1);
        assert_eq!(partition.proposed_isr(later + 1, LAG_MAX_MS), Some(vec![n(1), n(2)]));
    }

    #[test]
    fn a_pending_expansion_holds_the_high_watermark_for_the_new_member_too() {
        let dir = tempfile::tempdir().unwrap();
        let partition = open(dir.path(), &assignment(1, 0, &[1]));
        partition.append_records_as_leader(records(2), RequiredAcks::Leader, 0).unwrap();
        assert_eq!(partition.high_watermark(), Offset::new(2), "alone in the ISR");
        partition.record_follower_fetch(n(2), Offset::new(2), 1);
        let proposal = partition.isr_proposal(1, 30_000).expect("2 caught up: expand");
        assert_eq!(proposal.new_isr, vec![n(1), n(2)]);
        partition.mark_pending_isr(&proposal);
        assert_eq!(partition.isr_proposal(2, 30_000), None, "one proposal at a time");

        // The controller may already have committed {1, 2} and could elect 2: a record is committed only
        // once 2 has it too.
        partition.append_records_as_leader(records(1), RequiredAcks::Leader, 3).unwrap();
        assert_eq!(partition.high_watermark(), Offset::new(2));
        partition.record_follower_fetch(n(2), Offset::new(3), 4);
        assert_eq!(partition.high_watermark(), Offset::new(3));

        // Refused: only the committed ISR counts again.
        partition.clear_pending_isr(proposal.partition_epoch);
        partition.append_records_as_leader(records(1), RequiredAcks::Leader, 5).unwrap();
        assert_eq!(partition.high_watermark(), Offset::new(4));
    }

    #[test]
    fn follower_reads_go_to_the_log_end_and_move_the_high_watermark() {
        use crate::partition::FollowerRead;
        let read = |fetch_offset: i64, last_fetched_epoch: i32| FollowerRead {
            fetch_offset: Offset::new(fetch_offset),
            max_bytes: 1 << 20,
            current_leader_epoch: LeaderEpoch::new(0),
            last_fetched_epoch: LeaderEpoch::new(last_fetched_epoch),
        };
        let dir = tempfile::tempdir().unwrap();
        let partition = open(dir.path(), &assignment(1, 0, &[1, 2]));
        partition.append_records_as_leader(records(3), RequiredAcks::Leader, 0).unwrap();
        assert_eq!(partition.high_watermark(), Offset::new(0));

        // Past the high watermark, unlike a consumer; the fetch offset is what the follower has.
        let first = partition.read_for_follower(n(2), read(0, -1), 10).unwrap();
        assert!(!first.records.is_empty(), "reads up to the log end");
        assert_eq!(first.high_watermark, Offset::new(0), "the follower has nothing yet");
        let second = partition.read_for_follower(n(2), read(3, 0), 20).unwrap();
        assert!(second.records.is_empty());
        assert_eq!(second.high_watermark, Offset::new(3), "the follower has everything");

        // Only replicas may fetch, and only with the current epoch (-1 is unchecked).
        assert!(matches!(partition.read_for_follower(n(3), read(0, -1), 40), Err(PartitionError::NotReplica { .. })));
        let future = FollowerRead { current_leader_epoch: LeaderEpoch::new(7), ..read(0, -1) };
        assert!(matches!(
            partition.read_for_follower(n(2), future, 50),
            Err(PartitionError::UnknownLeaderEpoch { .. })
        ));

        // Leader again in epoch 2, two more records (offsets 3 and 4).
        partition.apply_assignment(&assignment(1, 2, &[1, 2]));
        partition.append_records_as_leader(records(2), RequiredAcks::Leader, 0).unwrap();
        assert!(matches!(
            partition.read_for_follower(n(2), read(3, 0), 60),
            Err(PartitionError::FencedLeaderEpoch { .. })
        ));
        // A follower that wrote epoch 1 up to offset 5 under another leader diverged: epoch 1 does not
        // exist here, so it is told where the largest epoch below it (0) ends, and truncates to 3.
        let unchecked = |fetch_offset, last_fetched_epoch| FollowerRead {
            current_leader_epoch: LeaderEpoch::new(-1),
            ..read(fetch_offset, last_fetched_epoch)
        };
        let diverged = partition.read_for_follower(n(2), unchecked(5, 1), 70).unwrap();
        assert_eq!(diverged.diverging_epoch, Some((LeaderEpoch::new(0), Offset::new(3))));
        assert!(diverged.records.is_empty());
        let caught_up = partition.read_for_follower(n(2), unchecked(5, 2), 80).unwrap();
        assert_eq!((caught_up.diverging_epoch, caught_up.high_watermark), (None, Offset::new(5)));
    }

    #[tokio::test]
    async fn losing_leadership_fails_appends_and_wakes_waiters() {
        let dir = tempfile::tempdir().unwrap();
        let partition = open(dir.path(), &assignment(1, 0, &[1, 2]));
        let appended = partition.append_records_as_leader(records(1), RequiredAcks::All, 0).unwrap();
        let waiter = {
            let partition = partition.clone();
            tokio::spawn(async move { partition.wait_for_high_watermark(appended.required_high_watermark()).await })
        };
        partition.apply_assignment(&assignment(2, 1, &[1, 2]));
        let woken = tokio::time::timeout(Duration::from_secs(10), waiter).await.unwrap().unwrap();
        assert!(matches!(woken, Err(PartitionError::NotLeader { leader, .. }) if leader == n(2)));
        let refused = partition.append_records_as_leader(records(1), RequiredAcks::Leader, 0);
        assert!(matches!(refused, Err(PartitionError::NotLeader { .. })));

        // An assignment older than the partition's state is ignored.
        partition.apply_assignment(&assignment(1, 0, &[1, 2]));
        assert_eq!(partition.replica_state().role, Role::Follower);
        // Leader again in a later epoch: the epoch starts at the log end.
        partition.apply_assignment(&assignment(1, 2, &[1]));
        let state = partition.replica_state();
        assert_eq!(
            (state.role, state.leader_epoch, state.leader_epoch_start_offset),
            (Role::Leader, LeaderEpoch::new(2), Offset::new(1))
        );
        assert_eq!(partition.high_watermark(), Offset::new(1), "alone in the ISR now");
    }
}
