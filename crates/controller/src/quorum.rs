//! The quorum as DescribeQuorum reports it, from the raft node's status on the active controller.
//!
//! KRaft's vocabulary maps onto raft's: the leader epoch is the term, an offset is a log index plus
//! one (the high watermark is the offset after the last committed entry, a voter's log end offset the
//! offset after the last entry the leader knows it has). A voter's last fetch is the last replication
//! request it answered, and it last caught up when an answer acknowledged the leader's whole log (the
//! raft client records both); -1 ("unknown") for a voter the leader has not heard from.

use flotilla_raft::QuorumStatus;

use crate::operations::{QuorumDescription, VoterProgress};

/// A broker that follows the metadata without voting, as the active controller last heard from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObserverProgress {
    pub node_id: i32,
    /// The metadata offset its last heartbeat reported (-1: none yet).
    pub metadata_offset: i64,
    /// When that heartbeat arrived (-1: none yet).
    pub last_heartbeat_ms: i64,
}

/// The description of the quorum from `status` (taken on the leader) and the `observers`, at
/// wall-clock `now_ms`.
pub fn describe(status: &QuorumStatus, observers: &[ObserverProgress], now_ms: i64) -> QuorumDescription {
    let offset_after =
        |index: Option<u64>| index.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1));
    let leader_id = status.leader_id.map_or(-1, kafka_id);
    let high_watermark = offset_after(status.commit_index).max(0);
    QuorumDescription {
        // An observer's log end offset is the offset after the metadata it has applied; it had caught
        // up when that reached the high watermark.
        observers: observers
            .iter()
            .map(|o| {
                let log_end_offset = if o.metadata_offset < 0 { -1 } else { o.metadata_offset.saturating_add(1) };
                VoterProgress {
                    node_id: o.node_id,
                    log_end_offset,
                    last_fetch_timestamp_ms: o.last_heartbeat_ms,
                    last_caught_up_timestamp_ms: if log_end_offset >= high_watermark {
                        o.last_heartbeat_ms
                    } else {
                        -1
                    },
                }
            })
            .collect(),
        leader_id,
        leader_epoch: i32::try_from(status.term).unwrap_or(i32::MAX),
        high_watermark,
        voters: status
            .voters
            .iter()
            .map(|voter| {
                let is_leader = Some(voter.node_id) == status.leader_id;
                let index = if is_leader { status.last_log_index } else { voter.matched_index };
                VoterProgress {
                    node_id: kafka_id(voter.node_id),
                    log_end_offset: offset_after(index).max(if index.is_some() { 0 } else { -1 }),
                    last_fetch_timestamp_ms: if is_leader { now_ms } else { voter.last_ack_ms.unwrap_or(-1) },
                    last_caught_up_timestamp_ms: if is_leader { now_ms } else { voter.last_caught_up_ms.unwrap_or(-1) },
                }
            })
            .collect(),
    }
}

fn kafka_id(raft_id: u64) -> i32 {
    i32::try_from(raft_id).unwrap_or(-1)
}

/// Milliseconds since the Unix epoch, on the clock the raft node's contact times are in.
pub use flotilla_raft::wall_clock_ms;

#[cfg(test)]
mod tests {
    use flotilla_raft::{Role, VoterStatus};

    use super::*;

    fn voter(node_id: u64, matched_index: Option<u64>, acked: Option<(i64, i64)>) -> VoterStatus {
        VoterStatus {
            node_id,
            address: format!("controller-{node_id}:9093"),
            matched_index,
            last_ack_ms: acked.map(|(ack, _)| ack),
            last_caught_up_ms: acked.map(|(_, caught_up)| caught_up),
        }
    }

    #[test]
    fn voters_report_the_leaders_view_of_their_fetches() {
        let status = QuorumStatus {
            node_id: 1,
            role: Role::Leader,
            term: 4,
            leader_id: Some(1),
            commit_index: Some(41),
            last_applied_index: Some(41),
            last_log_index: Some(42),
            snapshot_index: None,
            purged_index: None,
            millis_since_quorum_ack: Some(3),
            voters: vec![voter(1, Some(42), None), voter(2, Some(40), Some((9_900, 9_000))), voter(3, None, None)],
        };
        let observers = [
            ObserverProgress { node_id: 4, metadata_offset: 41, last_heartbeat_ms: 9_950 },
            ObserverProgress { node_id: 5, metadata_offset: 30, last_heartbeat_ms: 9_800 },
        ];
        let described = describe(&status, &observers, 10_000);
        assert_eq!((described.leader_id, described.leader_epoch, described.high_watermark), (1, 4, 42));
        let progress: Vec<(i32, i64, i64, i64)> = described
            .voters
            .iter()
            .map(|v| (v.node_id, v.log_end_offset, v.last_fetch_timestamp_ms, v.last_caught_up_timestamp_ms))
            .collect();
        assert_eq!(progress, vec![(1, 43, 10_000, 10_000), (2, 41, 9_900, 9_000), (3, -1, -1, -1)]);
        let observed: Vec<(i32, i64, i64, i64)> = described
            .observers
            .iter()
            .map(|v| (v.node_id, v.log_end_offset, v.last_fetch_timestamp_ms, v.last_caught_up_timestamp_ms))
            .collect();
        assert_eq!(observed, vec![(4, 42, 9_950, 9_950), (5, 31, 9_800, -1)]);
    }
}
