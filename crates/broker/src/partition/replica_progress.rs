//! What a leader knows of each follower, learnt from its fetches, and the ISR rules built on it
//! (Kafka's `Replica.updateFetchState`, `Partition.getOutOfSyncReplicas`, `isFollowerInSync`). Pure:
//! the caller passes the clock and the leader's offsets, so the rules are tested with plain values.
//!
//! - A follower is *caught up* at time T if, at T, it had fetched up to the leader's log end offset (or
//!   up to the log end offset the leader had at its previous fetch: it was caught up then). The leader
//!   proposes to drop a follower from the ISR once it has not been caught up for
//!   `replica.lag.time.max.ms` (KIP-16's time-based lag, not a message count).
//! - A follower outside the ISR may join once its log end offset reaches the high watermark and the
//!   start of the leader's current epoch (so a joining replica holds every record the leader may have
//!   acknowledged in this epoch).

use std::collections::BTreeMap;

use flotilla_model::{NodeId, Offset};

/// The leader's view of one follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaProgress {
    /// The follower's log end offset: the fetch offset of its latest fetch (`Offset::UNKNOWN` before
    /// its first fetch in this leader epoch).
    pub log_end_offset: Offset,
    /// The last time it was known to be caught up with the leader (`i64::MIN` if never).
    pub last_caught_up_time_ms: i64,
    /// The leader's log end offset when the follower last fetched, and when that was.
    pub last_fetch_leader_log_end_offset: Offset,
    pub last_fetch_time_ms: i64,
}

impl ReplicaProgress {
    /// A follower not heard from yet in this leader epoch. `now_ms` as its caught-up time gives a new
    /// leader's ISR members a full `replica.lag.time.max.ms` to start fetching (Kafka resets the
    /// follower states of ISR members this way on becoming leader).
    pub fn new(last_caught_up_time_ms: i64) -> Self {
        Self {
            log_end_offset: Offset::UNKNOWN,
            last_caught_up_time_ms,
            last_fetch_leader_log_end_offset: Offset::UNKNOWN,
            last_fetch_time_ms: i64::MIN,
        }
    }

    /// Records a fetch at `fetch_offset` (the follower's log end offset) served when the leader's log
    /// end offset was `leader_log_end_offset`.
    pub fn on_fetch(&mut self, fetch_offset: Offset, leader_log_end_offset: Offset, fetch_time_ms: i64) {
        if fetch_offset >= leader_log_end_offset {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(fetch_time_ms);
        } else if self.last_fetch_leader_log_end_offset != Offset::UNKNOWN
            && fetch_offset >= self.last_fetch_leader_log_end_offset
        {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(self.last_fetch_time_ms);
        }
        self.log_end_offset = fetch_offset;
        self.last_fetch_leader_log_end_offset = leader_log_end_offset;
        self.last_fetch_time_ms = fetch_time_ms;
    }

    /// Whether the follower counts as in sync at `now_ms`: it is at the leader's log end offset, or was
    /// caught up within `lag_max_ms`.
    pub fn is_caught_up(&self, leader_log_end_offset: Offset, now_ms: i64, lag_max_ms: i64) -> bool {
        self.log_end_offset >= leader_log_end_offset || now_ms.saturating_sub(self.last_caught_up_time_ms) <= lag_max_ms
    }

    /// Whether a follower outside the ISR may join it.
    pub fn can_join_isr(&self, high_watermark: Offset, leader_epoch_start_offset: Offset) -> bool {
        self.log_end_offset != Offset::UNKNOWN
            && self.log_end_offset >= high_watermark
            && self.log_end_offset >= leader_epoch_start_offset
    }
}

/// What the leader knows when it reviews its ISR.
#[derive(Debug, Clone, Copy)]
pub struct IsrReview<'a> {
    pub leader: NodeId,
    pub replicas: &'a [NodeId],
    /// The committed ISR.
    pub isr: &'a [NodeId],
    pub followers: &'a BTreeMap<NodeId, ReplicaProgress>,
    pub leader_log_end_offset: Offset,
    pub high_watermark: Offset,
    pub leader_epoch_start_offset: Offset,
    pub now_ms: i64,
    /// `replica.lag.time.max.ms`.
    pub lag_max_ms: i64,
}

/// The ISR the leader should propose to the controller, or `None` if it should stay as it is: ISR
/// members that are not caught up leave (never the leader itself), replicas outside it that may join
/// come in. Kept in replica order, as Kafka lists it.
pub fn proposed_isr(review: &IsrReview<'_>) -> Option<Vec<NodeId>> {
    let in_sync = |replica: NodeId| -> bool {
        if replica == review.leader {
            return true;
        }
        let Some(progress) = review.followers.get(&replica) else { return false };
        if review.isr.contains(&replica) {
            progress.is_caught_up(review.leader_log_end_offset, review.now_ms, review.lag_max_ms)
        } else {
            progress.can_join_isr(review.high_watermark, review.leader_epoch_start_offset)
        }
    };
    let mut proposed: Vec<NodeId> = review.replicas.iter().copied().filter(|r| in_sync(*r)).collect();
    // An ISR member that is no longer a replica (a reassignment in flight) is kept until the
    // controller removes it.
    proposed.extend(review.isr.iter().copied().filter(|m| !review.replicas.contains(m) && in_sync(*m)));
    let unchanged = proposed.len() == review.isr.len() && proposed.iter().all(|r| review.isr.contains(r));
    (!unchanged).then_some(proposed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG_MAX_MS: i64 = 30_000;

    fn o(n: i64) -> Offset {
        Offset::new(n)
    }

    #[test]
    fn a_follower_at_the_log_end_is_caught_up_now() {
        let mut p = ReplicaProgress::new(0);
        p.on_fetch(o(100), o(100), 50_000);
        assert_eq!(p.last_caught_up_time_ms, 50_000);
        assert!(p.is_caught_up(o(100), 200_000, LAG_MAX_MS), "at the log end it is in sync whatever the time");
    }

    #[test]
    fn reaching_the_previous_fetch_log_end_counts_from_that_fetch() {
        let mut p = ReplicaProgress::new(0);
        // First fetch: behind (the leader is at 100).
        p.on_fetch(o(40), o(100), 10_000);
        assert_eq!(p.last_caught_up_time_ms, 0);
        // Next fetch reaches 100, while the leader has moved on to 150: caught up as of the first fetch.
        p.on_fetch(o(100), o(150), 12_000);
        assert_eq!(p.last_caught_up_time_ms, 10_000);
        // It never goes back.
        p.on_fetch(o(110), o(400), 13_000);
        assert_eq!(p.last_caught_up_time_ms, 10_000);
    }

    #[test]
    fn a_follower_that_keeps_falling_behind_leaves_after_the_lag_time() {
        let mut p = ReplicaProgress::new(0);
        let mut leader_end = 100;
        let mut follower_end = 0;
        for second in 1..=40 {
            // Each fetch gets half of what is missing, while the leader grows faster.
            follower_end += (leader_end - follower_end) / 2;
            leader_end += 100;
            p.on_fetch(o(follower_end), o(leader_end), second * 1_000);
        }
        assert!(!p.is_caught_up(o(leader_end), 40_000, LAG_MAX_MS));
        assert!(p.is_caught_up(o(leader_end), 29_000, LAG_MAX_MS), "still within the lag time then");
    }

    #[test]
    fn a_silent_follower_leaves_after_the_lag_time_from_leadership() {
        let p = ReplicaProgress::new(1_000);
        assert!(p.is_caught_up(o(10), 31_000, LAG_MAX_MS));
        assert!(!p.is_caught_up(o(10), 31_001, LAG_MAX_MS));
    }

    fn n(id: i32) -> NodeId {
        NodeId::new(id)
    }

    fn review<'a>(
        isr: &'a [NodeId],
        followers: &'a BTreeMap<NodeId, ReplicaProgress>,
        high_watermark: i64,
        now_ms: i64,
    ) -> IsrReview<'a> {
        const REPLICAS: &[NodeId] = &[NodeId::new(1), NodeId::new(2), NodeId::new(3)];
        IsrReview {
            leader: n(1),
            replicas: REPLICAS,
            isr,
            followers,
            leader_log_end_offset: o(100),
            high_watermark: o(high_watermark),
            leader_epoch_start_offset: o(10),
            now_ms,
            lag_max_ms: LAG_MAX_MS,
        }
    }

    #[test]
    fn the_isr_shrinks_by_lagging_members_and_grows_by_caught_up_replicas() {
        let isr = [n(1), n(2), n(3)];
        let mut followers = BTreeMap::from([(n(2), ReplicaProgress::new(0)), (n(3), ReplicaProgress::new(0))]);
        if let Some(p) = followers.get_mut(&n(2)) {
            p.on_fetch(o(100), o(100), 40_000);
        }
        // 3 never fetched since the leader took over at 0: out after the lag time.
        assert_eq!(proposed_isr(&review(&isr, &followers, 100, 20_000)), None);
        assert_eq!(proposed_isr(&review(&isr, &followers, 100, 40_000)), Some(vec![n(1), n(2)]));

        // 3 catches up to the high watermark: it comes back.
        let isr = [n(1), n(2)];
        if let Some(p) = followers.get_mut(&n(3)) {
            p.on_fetch(o(90), o(100), 41_000);
        }
        assert_eq!(proposed_isr(&review(&isr, &followers, 95, 41_000)), None, "below the high watermark");
        assert_eq!(proposed_isr(&review(&isr, &followers, 90, 41_000)), Some(vec![n(1), n(2), n(3)]));
    }

    #[test]
    fn the_leader_never_leaves_and_an_unknown_follower_never_joins() {
        let isr = [n(1)];
        let followers = BTreeMap::new();
        assert_eq!(proposed_isr(&review(&isr, &followers, 0, 1_000_000)), None);
    }

    #[test]
    fn joining_needs_the_high_watermark_and_the_epoch_start() {
        let mut p = ReplicaProgress::new(0);
        assert!(!p.can_join_isr(o(0), o(0)), "never fetched");
        p.on_fetch(o(50), o(80), 1);
        assert!(p.can_join_isr(o(50), o(20)));
        assert!(!p.can_join_isr(o(51), o(20)), "below the high watermark");
        assert!(!p.can_join_isr(o(40), o(60)), "below the start of the leader's epoch");
    }
}
