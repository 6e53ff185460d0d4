//! The quorum as DescribeQuorum reports it, from the raft node's status on the active controller.
//!
//! KRaft's vocabulary maps onto raft's: the leader epoch is the term, an offset is a log index plus
//! one (the high watermark is the offset after the last committed entry, a voter's log end offset the
//! offset after the last entry the leader knows it has). openraft tracks when a quorum last
//! acknowledged the leader, not when each voter last fetched, so per-voter times are reported only for
//! the leader itself (-1, "unknown", for the others).

use flotilla_raft::QuorumStatus;

use crate::operations::{QuorumDescription, VoterProgress};

/// The description of the quorum from `status` (taken on the leader) at wall-clock `now_ms`.
pub fn describe(status: &QuorumStatus, now_ms: i64) -> QuorumDescription {
    let offset_after =
        |index: Option<u64>| index.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1));
    let leader_id = status.leader_id.map_or(-1, kafka_id);
    QuorumDescription {
        leader_id,
        leader_epoch: i32::try_from(status.term).unwrap_or(i32::MAX),
        high_watermark: offset_after(status.commit_index).max(0),
        voters: status
            .voters
            .iter()
            .map(|voter| {
                let is_leader = Some(voter.node_id) == status.leader_id;
                let index = if is_leader { status.last_log_index } else { voter.matched_index };
                VoterProgress {
                    node_id: kafka_id(voter.node_id),
                    log_end_offset: offset_after(index).max(if index.is_some() { 0 } else { -1 }),
                    last_fetch_timestamp_ms: if is_leader { now_ms } else { -1 },
                    last_caught_up_timestamp_ms: if is_leader { now_ms } else { -1 },
                }
            })
            .collect(),
    }
}

fn kafka_id(raft_id: u64) -> i32 {
    i32::try_from(raft_id).unwrap_or(-1)
}

/// Milliseconds since the Unix epoch.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
