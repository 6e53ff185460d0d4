//! The read side of a hosted partition: consumer fetches (Kafka's `Partition.fetchRecords` for a
//! consumer) and offset lookups (`Partition.fetchOffsetForTimestamp`).
//!
//! Consumers read from the leader only, up to the high watermark (read_uncommitted) or the last
//! stable offset (read_committed; equal to the high watermark until transactions have an index).
//! Batches are returned exactly as stored: the `Bytes` the log read, never re-encoded.

use bytes::Bytes;
use flotilla_model::{LeaderEpoch, NodeId, Offset};
use flotilla_protocol::records::NO_TIMESTAMP;
use flotilla_storage::{Log, OffsetSpec, TimestampAndOffset};

use super::assignment::Role;
use super::epoch_check::check_current_leader_epoch;
use super::error::PartitionError;
use super::hosted::Partition;

/// A consumer's isolation level (Fetch and ListOffsets `isolation_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// 0: up to the high watermark.
    ReadUncommitted,
    /// 1: up to the last stable offset.
    ReadCommitted,
}

impl Isolation {
    pub fn from_wire(level: i8) -> Isolation {
        if level == 1 {
            Isolation::ReadCommitted
        } else {
            Isolation::ReadUncommitted
        }
    }
}

/// One partition of a consumer's fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerRead {
    pub fetch_offset: Offset,
    /// The bytes this partition may return (the partition limit, capped by what is left of the
    /// response limit).
    pub max_bytes: usize,
    /// Return the first batch even if it is larger than `max_bytes` (Kafka's min-one-message, for the
    /// first partition of a response that returns data).
    pub min_one_message: bool,
    pub isolation: Isolation,
    /// The client's `current_leader_epoch` (-1: unchecked).
    pub current_leader_epoch: LeaderEpoch,
    /// The epoch of the last batch the client fetched (-1: unknown), for divergence detection.
    pub last_fetched_epoch: LeaderEpoch,
}

/// One partition of a follower's fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerRead {
    /// The follower's log end offset: where it wants to read from.
    pub fetch_offset: Offset,
    pub max_bytes: usize,
    /// The leader epoch the follower knows (-1: unchecked).
    pub current_leader_epoch: LeaderEpoch,
    /// The epoch of the follower's last batch (-1: unknown), for divergence detection.
    pub last_fetched_epoch: LeaderEpoch,
}

/// Whether a reader whose last batch has `last_fetched_epoch` and who reads from `fetch_offset` has
/// a log that diverged from `log` (KIP-320): then the largest epoch here at most its epoch, and where
/// that epoch ends here, so it can truncate to there.
fn diverging_epoch(log: &Log, last_fetched_epoch: LeaderEpoch, fetch_offset: Offset) -> Option<(LeaderEpoch, Offset)> {
    if last_fetched_epoch.get() < 0 {
        return None;
    }
    let (epoch, end_offset) = log.end_offset_for_epoch(last_fetched_epoch);
    (epoch < last_fetched_epoch || end_offset < fetch_offset).then_some((epoch, end_offset))
}

/// What a consumer read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// Whole stored batches (empty when nothing is readable).
    pub records: Bytes,
    pub high_watermark: Offset,
    pub last_stable_offset: Offset,
    pub log_start_offset: Offset,
    /// The client's log diverged from ours: the largest epoch at most its last fetched epoch and
    /// where that epoch ends here. No records are returned then.
    pub diverging_epoch: Option<(LeaderEpoch, Offset)>,
}

/// Who looks an offset up (ListOffsets' `replica_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReader {
    /// A client (-1): from the leader, bounded by the high watermark or last stable offset.
    Consumer(Isolation),
    /// A follower (its id): from the leader, unbounded.
    Follower,
    /// `kafka-get-offsets --debug` style (-2): from any replica, unbounded.
    Debug,
}

impl Partition {
    /// Reads for a consumer (see the module docs). Blocking.
    pub fn read_for_consumer(&self, read: ConsumerRead) -> Result<ReadResult, PartitionError> {
        let state = self.read_replica();
        state.require_leader()?;
        check_current_leader_epoch(read.current_leader_epoch, state.leader_epoch)?;
        let log = self.log();
        let high_watermark = log.high_watermark();
        // No transaction index yet: nothing is pending, the last stable offset is the high watermark.
        let last_stable_offset = high_watermark;
        let max_offset = match read.isolation {
            Isolation::ReadUncommitted => high_watermark,
            Isolation::ReadCommitted => last_stable_offset,
        };
        if let Some(diverging) = diverging_epoch(log, read.last_fetched_epoch, read.fetch_offset) {
            return Ok(ReadResult {
                records: Bytes::new(),
                high_watermark,
                last_stable_offset,
                log_start_offset: log.log_start_offset(),
                diverging_epoch: Some(diverging),
            });
        }
        let info = log.read(read.fetch_offset, read.max_bytes, max_offset, read.min_one_message)?;
        Ok(ReadResult {
            records: info.records,
            high_watermark: info.high_watermark,
            last_stable_offset: info.high_watermark,
            log_start_offset: info.log_start_offset,
            diverging_epoch: None,
        })
    }

    /// Reads for follower `follower` (replication): like a consumer read, but up to the log end
    /// offset, and a fetch that does not diverge reports the follower's log end offset
    /// (`fetch_offset`) at `now_ms`, which may advance the high watermark. The returned high
    /// watermark is the one after that update. Blocking.
    pub fn read_for_follower(
        &self,
        follower: NodeId,
        read: FollowerRead,
        now_ms: i64,
    ) -> Result<ReadResult, PartitionError> {
        let result = {
            let state = self.read_replica();
            state.require_leader()?;
            if !state.replicas.contains(&follower) {
                return Err(PartitionError::NotReplica { replica: follower });
            }
            check_current_leader_epoch(read.current_leader_epoch, state.leader_epoch)?;
            let log = self.log();
            if let Some(diverging) = diverging_epoch(log, read.last_fetched_epoch, read.fetch_offset) {
                let high_watermark = log.high_watermark();
                return Ok(ReadResult {
                    records: Bytes::new(),
                    high_watermark,
                    last_stable_offset: high_watermark,
                    log_start_offset: log.log_start_offset(),
                    diverging_epoch: Some(diverging),
                });
            }
            log.read(read.fetch_offset, read.max_bytes, log.log_end_offset(), true)?
        };
        self.record_follower_fetch(follower, read.fetch_offset, now_ms);
        let high_watermark = self.log().high_watermark();
        Ok(ReadResult {
            records: result.records,
            high_watermark,
            last_stable_offset: high_watermark,
            log_start_offset: result.log_start_offset,
            diverging_epoch: None,
        })
    }

    /// ListOffsets for one partition (Kafka's `fetchOffsetForTimestamp`). `Ok(None)`: no record
    /// matches (answered as offset -1). Blocking.
    pub fn list_offset(
        &self,
        spec: OffsetSpec,
        reader: OffsetReader,
        current_leader_epoch: LeaderEpoch,
    ) -> Result<Option<TimestampAndOffset>, PartitionError> {
        let state = self.read_replica();
        if reader != OffsetReader::Debug {
            state.require_leader()?;
        } else if state.removed {
            return Err(state.not_leader());
        }
        check_current_leader_epoch(current_leader_epoch, state.leader_epoch)?;
        let log = self.log();
        let high_watermark = log.high_watermark();
        let last_fetchable = match reader {
            // The last stable offset equals the high watermark until transactions have an index.
            OffsetReader::Consumer(_) => high_watermark,
            OffsetReader::Follower | OffsetReader::Debug => log.log_end_offset(),
        };
        // A new leader's high watermark may still be below the start of its epoch: what it would
        // answer could go backwards, so consumers are told to retry.
        let not_available = matches!(reader, OffsetReader::Consumer(_))
            && state.leader_epoch_start_offset.get() >= 0
            && state.leader_epoch_start_offset > high_watermark;
        match spec {
            OffsetSpec::Latest => {
                if not_available {
                    return Err(PartitionError::OffsetNotAvailable);
                }
                let epoch = if state.role == Role::Leader { Some(state.leader_epoch) } else { log.latest_epoch() };
                Ok(Some(TimestampAndOffset { timestamp_ms: NO_TIMESTAMP, offset: last_fetchable, leader_epoch: epoch }))
            }
            OffsetSpec::Earliest | OffsetSpec::EarliestLocal | OffsetSpec::LatestTiered => {
                Ok(log.fetch_offset_by_timestamp(spec)?)
            }
            OffsetSpec::MaxTimestamp | OffsetSpec::Timestamp(_) => {
                let found = log.fetch_offset_by_timestamp(spec)?;
                if not_available {
                    return Err(PartitionError::OffsetNotAvailable);
                }
                Ok(found.filter(|f| f.offset < last_fetchable))
            }
        }
    }

    /// OffsetForLeaderEpoch (Kafka's `Partition.lastOffsetForLeaderEpoch`): the largest epoch at most
    /// `leader_epoch` in this replica's log and the offset where it ends (the log end offset for the
    /// latest epoch), or (-1, -1) if the log has no such epoch. Only the leader answers, except for a
    /// debugging request (`from_leader_only` false); `current_leader_epoch` is checked as for a fetch.
    pub fn last_offset_for_leader_epoch(
        &self,
        current_leader_epoch: LeaderEpoch,
        leader_epoch: LeaderEpoch,
        from_leader_only: bool,
    ) -> Result<(LeaderEpoch, Offset), PartitionError> {
        let state = self.read_replica();
        if from_leader_only {
            state.require_leader()?;
        } else if state.removed {
            return Err(state.not_leader());
        }
        check_current_leader_epoch(current_leader_epoch, state.leader_epoch)?;
        Ok(self.log().end_offset_for_epoch(leader_epoch))
    }
}
