//! One member of a classic group: who it is, what it can run, what it was assigned, and the deadline by
//! which it must be heard from again.

use bytes::Bytes;

/// A member as JoinGroup describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicMember {
    pub member_id: String,
    /// Set for static members (`group.instance.id`).
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// The protocols it supports, most preferred first, with each one's metadata.
    pub protocols: Vec<(String, Bytes)>,
    /// What the leader assigned it in the current generation.
    pub assignment: Bytes,
    /// Has a JoinGroup parked until the rebalance completes.
    pub(crate) awaiting_join: bool,
    /// Has a SyncGroup parked until the leader's assignment is stored.
    pub(crate) awaiting_sync: bool,
    /// Joined for the first time in the current rebalance.
    pub(crate) is_new: bool,
    /// When the member was last heard from (join, sync, heartbeat, commit).
    pub(crate) last_heard_ms: i64,
    /// Order of joining: the leader is the longest-standing member.
    pub(crate) joined_seq: u64,
}

impl ClassicMember {
    /// The metadata the member sent for `protocol`.
    pub fn metadata(&self, protocol: &str) -> Option<&Bytes> {
        self.protocols.iter().find(|(name, _)| name == protocol).map(|(_, metadata)| metadata)
    }

    /// Whether the member still counts as alive at `now_ms` (Kafka's `shouldKeepAlive`): one waiting in a
    /// rebalance is kept until the rebalance ends (a new one for at most `new_member_join_timeout_ms`), one
    /// waiting for its assignment is kept, any other must have been heard from within its session timeout.
    pub fn is_alive(&self, now_ms: i64, new_member_join_timeout_ms: i64) -> bool {
        if self.awaiting_join {
            !self.is_new || self.last_heard_ms.saturating_add(new_member_join_timeout_ms) > now_ms
        } else if self.awaiting_sync {
            true
        } else {
            self.last_heard_ms.saturating_add(i64::from(self.session_timeout_ms)) > now_ms
        }
    }

    /// Whether `protocols` are the same as the member's (same names, order and metadata).
    pub fn same_protocols(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    pub fn is_awaiting_join(&self) -> bool {
        self.awaiting_join
    }

    pub fn is_awaiting_sync(&self) -> bool {
        self.awaiting_sync
    }
}
