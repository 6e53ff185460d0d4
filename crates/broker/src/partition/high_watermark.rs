//! The high watermark rule (KIP-101, Kafka's `maybeIncrementLeaderHW`): the smallest log end offset
//! over the ISR, and it never moves back. Pure, so replication (issue 4) only has to feed it the
//! followers' log end offsets learnt from their fetches.

use flotilla_model::{NodeId, Offset};

/// The high watermark the leader may move to, or `None` when it cannot advance: an ISR member
/// whose log end offset is unknown holds it back (a leader never counts a replica it has not
/// heard from). `current` is the high watermark now; the result is never below it.
pub fn next_high_watermark(
    leader: NodeId,
    leader_log_end_offset: Offset,
    isr: &[NodeId],
    follower_log_end_offset: impl Fn(NodeId) -> Option<Offset>,
    current: Offset,
) -> Option<Offset> {
    let mut min = leader_log_end_offset;
    for member in isr.iter().filter(|m| **m != leader) {
        min = min.min(follower_log_end_offset(*member)?);
    }
    (min > current).then_some(min)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn from(map: &BTreeMap<NodeId, Offset>) -> impl Fn(NodeId) -> Option<Offset> + '_ {
        |n| map.get(&n).copied()
    }

    fn o(n: i64) -> Offset {
        Offset::new(n)
    }

    fn n(id: i32) -> NodeId {
        NodeId::new(id)
    }

    #[test]
    fn alone_in_the_isr_the_leader_sets_it_to_its_log_end() {
        assert_eq!(next_high_watermark(n(1), o(10), &[n(1)], from(&BTreeMap::new()), o(4)), Some(o(10)));
        // Also with an empty ISR view (a leader always counts itself).
        assert_eq!(next_high_watermark(n(1), o(10), &[], from(&BTreeMap::new()), o(4)), Some(o(10)));
    }

    #[test]
    fn the_slowest_isr_member_bounds_it() {
        let followers = BTreeMap::from([(n(2), o(7)), (n(3), o(12))]);
        assert_eq!(next_high_watermark(n(1), o(10), &[n(1), n(2), n(3)], from(&followers), o(4)), Some(o(7)));
        // A replica outside the ISR does not count.
        assert_eq!(next_high_watermark(n(1), o(10), &[n(1), n(3)], from(&followers), o(4)), Some(o(10)));
    }

    #[test]
    fn unknown_followers_hold_it_and_it_never_goes_back() {
        assert_eq!(next_high_watermark(n(1), o(10), &[n(1), n(2)], from(&BTreeMap::new()), o(4)), None);
        let followers = BTreeMap::from([(n(2), o(3))]);
        assert_eq!(next_high_watermark(n(1), o(10), &[n(1), n(2)], from(&followers), o(4)), None);
        assert_eq!(next_high_watermark(n(1), o(4), &[n(1)], from(&followers), o(4)), None);
    }
}
