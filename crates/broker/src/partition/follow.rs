//! The follower's side of a partition (Kafka's `Partition.appendRecordsToFollowerOrFutureReplica`
//! and the truncation of `AbstractFetcherThread`): where to fetch from next, appending what the
//! leader sent, taking the leader's high watermark, and truncating a diverged log.
//!
//! Every operation is tied to the leader epoch the fetch was made in: if the partition's role or
//! epoch changed while the fetch was in flight, the result is dropped instead of applied, so a
//! response from a deposed leader can never write into a log that now follows another one.
//!
//! All of these do blocking I/O: call them from a blocking thread.

use bytes::Bytes;
use flotilla_model::{LeaderEpoch, NodeId, Offset};
use flotilla_protocol::records::Batches;
use flotilla_storage::producer_state::ProducerBatch;
use flotilla_storage::LogManager;
use tracing::{info, warn};

use super::assignment::Role;
use super::error::PartitionError;
use super::hosted::{lock, Partition, ReplicaState};
use super::producer_recovery::load_producer_state;

/// Where a follower fetches next (the fields of one partition of a follower's fetch request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerPosition {
    pub leader: NodeId,
    /// The leader epoch this broker knows; the fetch is made in it.
    pub leader_epoch: LeaderEpoch,
    /// The local log end offset.
    pub fetch_offset: Offset,
    /// The epoch of the last local batch, -1 for an empty log.
    pub last_fetched_epoch: LeaderEpoch,
}

/// What applying a fetched partition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerApply {
    /// Records appended (possibly none); the new log end offset.
    Appended { log_end_offset: Offset },
    /// The log was cut back to this offset.
    Truncated { log_end_offset: Offset },
    /// The partition's role or leader epoch changed since the fetch: nothing applied.
    Stale,
}

impl Partition {
    /// The next fetch for this partition, or `None` unless this broker follows a known leader.
    pub fn follower_position(&self) -> Option<FollowerPosition> {
        let state = self.read_replica();
        if state.role != Role::Follower || state.removed || state.leader == NodeId::NONE {
            return None;
        }
        let log = self.log();
        Some(FollowerPosition {
            leader: state.leader,
            leader_epoch: state.leader_epoch,
            fetch_offset: log.log_end_offset(),
            last_fetched_epoch: log.latest_epoch().unwrap_or(LeaderEpoch::UNKNOWN),
        })
    }

    /// Appends batches the leader sent for a fetch made in `fetched_in` (already stamped with
    /// offsets and epochs), records them in producer state so this replica can enforce idempotence
    /// if it becomes leader, and takes the leader's high watermark (never past the local log end).
    pub fn append_as_follower(
        &self,
        fetched_in: LeaderEpoch,
        records: Bytes,
        leader_high_watermark: Offset,
        now_ms: i64,
    ) -> Result<FollowerApply, PartitionError> {
        let state = self.read_replica();
        if !following_in(&state, fetched_in) {
            return Ok(FollowerApply::Stale);
        }
        let log = self.log();
        if !records.is_empty() {
            let mut producers = lock(&self.producers);
            log.append_as_follower(records.clone(), now_ms)?;
            // The log validated every batch; their headers feed producer state (control batches too,
            // as they end transactions once those exist).
            producers.apply_append(
                Batches::new(records).verify_crc(false).filter_map(Result::ok).map(|b| ProducerBatch::new(*b.header())),
            );
            producers.set_map_end_offset(log.log_end_offset());
        }
        self.take_leader_high_watermark(leader_high_watermark);
        Ok(FollowerApply::Appended { log_end_offset: log.log_end_offset() })
    }

    /// The follower's high watermark: the leader's, bounded by what this replica has.
    fn take_leader_high_watermark(&self, leader_high_watermark: Offset) {
        let log = self.log();
        let next = leader_high_watermark.min(log.log_end_offset());
        if next > log.high_watermark() {
            log.update_high_watermark(next);
            self.notify();
        }
    }

    /// Cuts the log back to `offset` (the end of the last epoch both logs share, KIP-320) and rebuilds
    /// producer state from what remains, for a fetch made in `fetched_in`.
    pub fn truncate_as_follower(
        &self,
        fetched_in: LeaderEpoch,
        offset: Offset,
        log_manager: &LogManager,
        now_ms: i64,
    ) -> Result<FollowerApply, PartitionError> {
        self.cut_as_follower(fetched_in, Cut::TruncateTo(offset), log_manager, now_ms)
    }

    /// Empties the log and restarts it at `offset`: the leader no longer has what this replica
    /// would fetch next (its log start moved past our log end).
    pub fn reset_as_follower(
        &self,
        fetched_in: LeaderEpoch,
        offset: Offset,
        log_manager: &LogManager,
        now_ms: i64,
    ) -> Result<FollowerApply, PartitionError> {
        self.cut_as_follower(fetched_in, Cut::RestartAt(offset), log_manager, now_ms)
    }

    /// Under the replica lock (no role change meanwhile) and the append lock (producer state stays in
    /// line with the log).
    fn cut_as_follower(
        &self,
        fetched_in: LeaderEpoch,
        cut: Cut,
        log_manager: &LogManager,
        now_ms: i64,
    ) -> Result<FollowerApply, PartitionError> {
        let state = self.read_replica();
        if !following_in(&state, fetched_in) {
            return Ok(FollowerApply::Stale);
        }
        let (log, tp) = (self.log(), self.topic_partition());
        let mut producers = lock(&self.producers);
        let before = log.log_end_offset();
        match cut {
            Cut::TruncateTo(offset) => {
                if log_manager.truncate_to(tp, offset, now_ms)? {
                    *producers = load_producer_state(log, *producers.config(), now_ms)?;
                    info!(
                        partition = %tp, leader = %state.leader, leader_epoch = %state.leader_epoch, from = %before,
                        to = %log.log_end_offset(), "truncated the follower's log to where it diverged from the leader"
                    );
                }
            }
            Cut::RestartAt(offset) => {
                warn!(
                    partition = %tp, log_end_offset = %before, leader_log_start_offset = %offset,
                    "the leader no longer has this replica's next offset; restarting the log at the leader's log start"
                );
                log_manager.truncate_fully_and_start_at(tp, offset, now_ms)?;
                producers.clear_and_start_at(offset);
            }
        }
        Ok(FollowerApply::Truncated { log_end_offset: log.log_end_offset() })
    }
}

/// How a follower cuts its log back.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// Remove everything from this offset on.
    TruncateTo(Offset),
    /// Remove everything and start the log empty at this offset.
    RestartAt(Offset),
}

/// Whether a fetch made in `fetched_in` may still be applied: the partition follows, in that epoch.
fn following_in(state: &ReplicaState, fetched_in: LeaderEpoch) -> bool {
    state.role == Role::Follower && !state.removed && state.leader_epoch == fetched_in
}
