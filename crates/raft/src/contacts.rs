//! When the leader last heard from each peer it replicates to, for DescribeQuorum's
//! `LastFetchTimestamp` and `LastCaughtUpTimestamp` (openraft's metrics carry only match indexes).
//!
//! The network client records every answered AppendEntries: the time, and whether the index the peer
//! acknowledged reached the leader's last log index at that moment (KRaft's notion of a voter that has
//! caught up: its fetch reached the leader's log end offset). The leader's last log index is fed from
//! openraft's metrics by the node.
//!
//! On the follower side it keeps the last time this node heard from a leader (an AppendEntries the
//! service accepted). A node that takes over as leader uses it to judge the leader it replaced: that
//! leader has been silent since then, and the election already took some of its broker session.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::type_config::NodeId;

/// `leader_last_log_index` when the log is empty.
const NO_INDEX: u64 = u64::MAX;

/// One peer's last contacts, in wall-clock milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerContact {
    /// The last AppendEntries (entries or heartbeat) the peer answered.
    pub last_ack_ms: Option<i64>,
    /// The last answer that acknowledged everything in the leader's log.
    pub last_caught_up_ms: Option<i64>,
}

/// Every peer's [`PeerContact`], shared by the network clients and the status reader.
#[derive(Debug)]
pub(crate) struct PeerContacts {
    peers: Mutex<HashMap<NodeId, PeerContact>>,
    leader_last_log_index: AtomicU64,
    /// The leader this node last accepted an AppendEntries from, and when (monotonic clock).
    leader_heard: Mutex<Option<(NodeId, Instant)>>,
}

impl Default for PeerContacts {
    fn default() -> Self {
        Self {
            peers: Mutex::new(HashMap::new()),
            leader_last_log_index: AtomicU64::new(NO_INDEX),
            leader_heard: Mutex::new(None),
        }
    }
}

impl PeerContacts {
    /// The last index of this node's log, as openraft reports it.
    pub(crate) fn set_last_log_index(&self, index: Option<u64>) {
        self.leader_last_log_index.store(index.unwrap_or(NO_INDEX), Ordering::Relaxed);
    }

    /// `peer` answered an AppendEntries at `now_ms`, acknowledging its log up to `acked_index` (`None`:
    /// it answered but matched nothing, as after a conflict).
    pub(crate) fn record_ack(&self, peer: NodeId, acked_index: Option<u64>, matched: bool, now_ms: i64) {
        let last = self.leader_last_log_index.load(Ordering::Relaxed);
        let caught_up = matched && is_caught_up(acked_index, (last != NO_INDEX).then_some(last));
        let mut peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        let contact = peers.entry(peer).or_default();
        contact.last_ack_ms = Some(now_ms);
        if caught_up {
            contact.last_caught_up_ms = Some(now_ms);
        }
    }

    /// This node accepted an AppendEntries from `leader` at `at`.
    pub(crate) fn record_leader_heard(&self, leader: NodeId, at: Instant) {
        *self.leader_heard.lock().unwrap_or_else(PoisonError::into_inner) = Some((leader, at));
    }

    /// The leader this node last heard from, and when; forgotten once read, so a node that leads twice
    /// with no other leader between does not judge a leader from before its first term.
    pub(crate) fn take_leader_heard(&self) -> Option<(NodeId, Instant)> {
        self.leader_heard.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    pub(crate) fn get(&self, peer: NodeId) -> PeerContact {
        self.peers.lock().unwrap_or_else(PoisonError::into_inner).get(&peer).copied().unwrap_or_default()
    }
}

/// Whether an acknowledgement up to `acked_index` covers a log whose last index is `last_log_index`.
fn is_caught_up(acked_index: Option<u64>, last_log_index: Option<u64>) -> bool {
    match (acked_index, last_log_index) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(acked), Some(last)) => acked >= last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_leader_heard_is_read_once() {
        let contacts = PeerContacts::default();
        assert_eq!(contacts.take_leader_heard(), None);
        let first = Instant::now();
        contacts.record_leader_heard(1, first);
        let later = first + std::time::Duration::from_millis(200);
        contacts.record_leader_heard(3, later);
        assert_eq!(contacts.take_leader_heard(), Some((3, later)), "the newest contact wins");
        assert_eq!(contacts.take_leader_heard(), None, "a second takeover finds nothing stale");
    }

    #[test]
    fn caught_up_only_when_the_ack_reaches_the_log_end() {
        let contacts = PeerContacts::default();
        contacts.set_last_log_index(Some(10));
        contacts.record_ack(2, Some(7), true, 1_000);
        assert_eq!(contacts.get(2), PeerContact { last_ack_ms: Some(1_000), last_caught_up_ms: None });
        contacts.record_ack(2, Some(10), true, 2_000);
        assert_eq!(contacts.get(2), PeerContact { last_ack_ms: Some(2_000), last_caught_up_ms: Some(2_000) });
        // Falling behind again keeps the last caught-up time.
        contacts.set_last_log_index(Some(15));
        contacts.record_ack(2, Some(12), true, 3_000);
        assert_eq!(contacts.get(2), PeerContact { last_ack_ms: Some(3_000), last_caught_up_ms: Some(2_000) });
        // A conflict is an answer, never a catch-up.
        contacts.record_ack(2, Some(15), false, 4_000);
        assert_eq!(contacts.get(2), PeerContact { last_ack_ms: Some(4_000), last_caught_up_ms: Some(2_000) });
        assert_eq!(contacts.get(3), PeerContact::default(), "never heard from");
    }

    #[test]
    fn an_empty_log_is_always_caught_up() {
        assert!(is_caught_up(None, None));
        assert!(is_caught_up(Some(0), None));
        assert!(!is_caught_up(None, Some(0)));
    }
}
