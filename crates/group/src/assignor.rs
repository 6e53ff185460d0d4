//! The server-side assignors of the consumer group protocol (KIP-848): the coordinator, not a member,
//! decides which partitions each member should own. `group.consumer.assignors` names them; `uniform`
//! is Kafka's default and `range` the alternative. Both see every member's subscription and what it owns
//! now, and return each member's target assignment.

use std::collections::{BTreeMap, BTreeSet};

/// Partitions per topic name: what a member owns or should own.
pub type Assignment = BTreeMap<String, BTreeSet<i32>>;

/// One member as an assignor sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignorMember {
    pub subscribed_topics: BTreeSet<String>,
    /// The member's current target, which the uniform assignor keeps where it stays balanced.
    pub current: Assignment,
}

/// A server-side assignor, by its Kafka name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAssignor {
    /// Balanced and sticky: every member ends with the same number of partitions, give or take one, and
    /// keeps what it had where that allows.
    Uniform,
    /// Per topic, contiguous ranges of partitions to the topic's subscribers in member id order, so
    /// members of topics with equal partition counts get the same partition numbers (co-partitioning).
    Range,
}

impl ServerAssignor {
    /// The assignors this coordinator offers, the first being the default (Kafka's
    /// `group.consumer.assignors` default order).
    pub const ALL: [ServerAssignor; 2] = [ServerAssignor::Uniform, ServerAssignor::Range];

    pub fn name(self) -> &'static str {
        match self {
            ServerAssignor::Uniform => "uniform",
            ServerAssignor::Range => "range",
        }
    }

    pub fn from_name(name: &str) -> Option<ServerAssignor> {
        ServerAssignor::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Each member's target assignment. `partition_counts` holds the topics that exist; a subscription to
    /// any other topic assigns nothing for it. Every member appears in the result, possibly empty.
    pub fn assign(
        self,
        members: &BTreeMap<String, AssignorMember>,
        partition_counts: &BTreeMap<String, i32>,
    ) -> BTreeMap<String, Assignment> {
        match self {
            ServerAssignor::Uniform => uniform(members, partition_counts),
            ServerAssignor::Range => range(members, partition_counts),
        }
    }
}

/// The subscribers of each existing subscribed topic, in member id order.
fn subscribers<'a>(
    members: &'a BTreeMap<String, AssignorMember>,
    partition_counts: &BTreeMap<String, i32>,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut by_topic: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (member_id, member) in members {
        for topic in &member.subscribed_topics {
            if partition_counts.contains_key(topic) {
                by_topic.entry(topic.as_str()).or_default().push(member_id.as_str());
            }
        }
    }
    by_topic
}

fn empty_targets(members: &BTreeMap<String, AssignorMember>) -> BTreeMap<String, Assignment> {
    members.keys().map(|m| (m.clone(), Assignment::new())).collect()
}

fn range(
    members: &BTreeMap<String, AssignorMember>,
    partition_counts: &BTreeMap<String, i32>,
) -> BTreeMap<String, Assignment> {
    let mut targets = empty_targets(members);
    for (topic, subscribed) in subscribers(members, partition_counts) {
        let partitions = partition_counts.get(topic).copied().unwrap_or(0).max(0);
        let count = i32::try_from(subscribed.len()).unwrap_or(i32::MAX);
        let (base, extra) = (partitions / count, partitions % count);
        let mut next = 0;
        for (i, member_id) in (0..).zip(subscribed) {
            let take = base + i32::from(i < extra);
            if take > 0 {
                if let Some(target) = targets.get_mut(member_id) {
                    target.entry(topic.to_owned()).or_default().extend(next..next + take);
                }
            }
            next += take;
        }
    }
    targets
}

fn uniform(
    members: &BTreeMap<String, AssignorMember>,
    partition_counts: &BTreeMap<String, i32>,
) -> BTreeMap<String, Assignment> {
    let by_topic = subscribers(members, partition_counts);
    let mut targets = empty_targets(members);
    let mut load: BTreeMap<&str, usize> = members.keys().map(|m| (m.as_str(), 0)).collect();

    // Every partition to assign, with how many members could take it.
    let mut unassigned: Vec<(&str, i32)> = Vec::new();
    for topic in by_topic.keys() {
        let partitions = partition_counts.get(*topic).copied().unwrap_or(0).max(0);
        unassigned.extend((0..partitions).map(|p| (*topic, p)));
    }
    let total = unassigned.len();
    let active = members.values().filter(|m| m.subscribed_topics.iter().any(|t| by_topic.contains_key(t.as_str())));
    let active_count = active.count().max(1);
    // The most any member keeps from before: the balanced share, rounded up.
    let quota = total.div_ceil(active_count);

    // Sticky pass: members keep what they own, within their subscription and the quota.
    let mut taken: BTreeSet<(&str, i32)> = BTreeSet::new();
    for (member_id, member) in members {
        for (topic, partitions) in &member.current {
            if !member.subscribed_topics.contains(topic) {
                continue;
            }
            let Some((topic, _)) = partition_counts.get_key_value(topic) else { continue };
            let count = partition_counts.get(topic).copied().unwrap_or(0);
            for &p in partitions {
                let key = (topic.as_str(), p);
                let kept = load.get(member_id.as_str()).copied().unwrap_or(0);
                if p < count && kept < quota && !taken.contains(&key) {
                    taken.insert(key);
                    targets.entry(member_id.clone()).or_default().entry(topic.clone()).or_default().insert(p);
                    *load.entry(member_id.as_str()).or_default() += 1;
                }
            }
        }
    }
    // Topics with fewer possible owners first, so a member subscribed to more is left the rest.
    unassigned.retain(|key| !taken.contains(key));
    unassigned.sort_by_key(|(topic, p)| (by_topic.get(topic).map_or(0, Vec::len), *topic, *p));
    for (topic, p) in unassigned {
        let Some(candidates) = by_topic.get(topic) else { continue };
        let Some(owner) = candidates.iter().min_by_key(|m| (load.get(**m).copied().unwrap_or(0), **m)) else {
            continue;
        };
        *load.entry(owner).or_default() += 1;
        targets.entry((*owner).to_owned()).or_default().entry(topic.to_owned()).or_default().insert(p);
    }
    rebalance_excess(&mut targets, &by_topic, members);
    targets
}

/// The sticky pass can leave one member above another by more than one partition (the quota rounds up
/// for everyone); move partitions from the most to the least loaded member that may own them until
/// no such move narrows the gap.
fn rebalance_excess(
    targets: &mut BTreeMap<String, Assignment>,
    by_topic: &BTreeMap<&str, Vec<&str>>,
    members: &BTreeMap<String, AssignorMember>,
) {
    let size = |a: &Assignment| a.values().map(BTreeSet::len).sum::<usize>();
    // Bounded: each move lowers the sum of squared loads, so at most (partitions²) moves; cap it anyway.
    let limit = targets.values().map(size).sum::<usize>().saturating_mul(4).max(16);
    for _ in 0..limit {
        let mut moved = false;
        let loads: Vec<(String, usize)> = targets.iter().map(|(m, a)| (m.clone(), size(a))).collect();
        'search: for (from, from_load) in loads.iter().rev().filter(|(_, l)| *l > 0) {
            let Some(owned) = targets.get(from) else { continue };
            for (topic, partitions) in owned.clone() {
                let Some(candidates) = by_topic.get(topic.as_str()) else { continue };
                let to = candidates
                    .iter()
                    .filter(|m| members.get(**m).is_some_and(|mm| mm.subscribed_topics.contains(&topic)))
                    .map(|m| (loads.iter().find(|(x, _)| x == m).map_or(0, |(_, l)| *l), *m))
                    .min();
                if let (Some((to_load, to)), Some(&p)) = (to, partitions.iter().next_back()) {
                    if to_load + 1 < *from_load {
                        if let Some(from_topics) = targets.get_mut(from) {
                            if let Some(set) = from_topics.get_mut(&topic) {
                                set.remove(&p);
                                if set.is_empty() {
                                    from_topics.remove(&topic);
                                }
                            }
                        }
                        targets.entry(to.to_owned()).or_default().entry(topic.clone()).or_default().insert(p);
                        moved = true;
                        break 'search;
                    }
                }
            }
        }
        if !moved {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn member(topics: &[&str], current: &[(&str, &[i32])]) -> AssignorMember {
        AssignorMember {
            subscribed_topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            current: current.iter().map(|(t, ps)| ((*t).to_owned(), ps.iter().copied().collect())).collect(),
        }
    }

    fn counts(topics: &[(&str, i32)]) -> BTreeMap<String, i32> {
        topics.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    fn sizes(targets: &BTreeMap<String, Assignment>) -> Vec<usize> {
        targets.values().map(|a| a.values().map(BTreeSet::len).sum()).collect()
    }

    #[test]
    fn range_gives_contiguous_ranges_in_member_order_and_the_first_members_the_extra() {
        let members: BTreeMap<_, _> =
            [("a", member(&["t", "u"], &[])), ("b", member(&["t", "u"], &[])), ("c", member(&["t"], &[]))]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
        let targets = ServerAssignor::Range.assign(&members, &counts(&[("t", 7), ("u", 4)]));
        assert_eq!(targets["a"]["t"], [0, 1, 2].into());
        assert_eq!(targets["b"]["t"], [3, 4].into());
        assert_eq!(targets["c"]["t"], [5, 6].into());
        assert_eq!(targets["a"]["u"], [0, 1].into());
        assert_eq!(targets["b"]["u"], [2, 3].into());
        assert!(!targets["c"].contains_key("u"));
    }

    #[test]
    fn uniform_balances_and_keeps_what_members_own() {
        let members: BTreeMap<_, _> = [
            ("a", member(&["t"], &[("t", &[0, 1, 2])])),
            ("b", member(&["t"], &[("t", &[3, 4, 5])])),
            ("c", member(&["t"], &[])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let targets = ServerAssignor::Uniform.assign(&members, &counts(&[("t", 6)]));
        assert_eq!(sizes(&targets), vec![2, 2, 2]);
        assert!(targets["a"]["t"].is_subset(&[0, 1, 2].into()), "a keeps two of its own");
        assert!(targets["b"]["t"].is_subset(&[3, 4, 5].into()), "b keeps two of its own");
    }

    #[test]
    fn a_topic_that_does_not_exist_assigns_nothing_and_unknown_names_are_refused() {
        let members: BTreeMap<_, _> = [("a".to_owned(), member(&["missing"], &[]))].into();
        for assignor in ServerAssignor::ALL {
            let targets = assignor.assign(&members, &counts(&[("t", 3)]));
            assert_eq!(targets["a"], Assignment::new());
        }
        assert_eq!(ServerAssignor::from_name("uniform"), Some(ServerAssignor::Uniform));
        assert_eq!(ServerAssignor::from_name("sticky"), None);
    }

    proptest! {
        /// Every existing subscribed partition goes to exactly one subscriber, and with one shared
        /// subscription loads differ by at most one.
        #[test]
        fn every_partition_has_exactly_one_subscribed_owner(
            member_count in 1usize..8,
            partitions in proptest::collection::vec(0i32..12, 1..4),
            owned_seed in proptest::collection::vec(0i32..12, 0..20),
            shared in any::<bool>(),
            range_assignor in any::<bool>(),
        ) {
            let topics: Vec<String> = (0..partitions.len()).map(|i| format!("t{i}")).collect();
            let partition_counts: BTreeMap<String, i32> =
                topics.iter().cloned().zip(partitions.iter().copied()).collect();
            let mut members = BTreeMap::new();
            for m in 0..member_count {
                let subscribed: BTreeSet<String> = if shared {
                    topics.iter().cloned().collect()
                } else {
                    topics.iter().enumerate().filter(|(i, _)| (i + m) % 2 == 0).map(|(_, t)| t.clone()).collect()
                };
                let mut current = Assignment::new();
                for (i, p) in owned_seed.iter().enumerate().filter(|(i, _)| i % member_count == m) {
                    current.entry(topics[i % topics.len()].clone()).or_default().insert(*p);
                }
                members.insert(format!("m{m}"), AssignorMember { subscribed_topics: subscribed, current });
            }
            let assignor = if range_assignor { ServerAssignor::Range } else { ServerAssignor::Uniform };
            let targets = assignor.assign(&members, &partition_counts);
            prop_assert_eq!(targets.len(), member_count);
            for (topic, count) in &partition_counts {
                let subscribed = members.values().any(|m| m.subscribed_topics.contains(topic));
                for p in 0..*count {
                    let owners: Vec<&String> = targets
                        .iter()
                        .filter(|(_, a)| a.get(topic).is_some_and(|s| s.contains(&p)))
                        .map(|(m, _)| m)
                        .collect();
                    prop_assert_eq!(owners.len(), usize::from(subscribed), "{} {} {:?}", topic, p, owners);
                    for owner in owners {
                        prop_assert!(members[owner].subscribed_topics.contains(topic));
                    }
                }
            }
            if shared && !range_assignor {
                let loads = sizes(&targets);
                let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
                prop_assert!(max - min <= 1, "{:?}", loads);
            }
        }
    }
}
