//! Where a new partition's replicas go: Kafka's striped placement. Brokers are arranged alternating racks
//! (rack-aware as soon as any broker has a rack; a broker without one counts as its own rack ""), the first
//! replica of partition `p` is broker `(start + p) mod n` in that arrangement, so leaders go round robin,
//! and the followers are taken at a shift that grows every `n` partitions, so follower sets differ between
//! stripes. Followers skip racks already holding a replica until every rack has one.

use std::collections::{BTreeMap, BTreeSet};

use flotilla_model::NodeId;
use thiserror::Error;

use super::random::Randomness;

/// A broker that may receive replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementBroker {
    pub id: NodeId,
    pub rack: Option<String>,
}

/// Why replicas could not be placed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlacementError {
    #[error("Replication factor must be larger than 0.")]
    ReplicationFactorTooSmall,
    #[error(
        "Unable to replicate the partition {replication_factor} time(s): The target replication factor of \
         {replication_factor} cannot be reached because only {available} broker(s) are registered."
    )]
    NotEnoughBrokers { replication_factor: usize, available: usize },
}

/// Replica lists for partitions `start_partition .. start_partition + partitions`, the leader first.
/// `random` picks the starting broker and the first follower shift, as Kafka does, so topics created one
/// after another do not all start on the same broker.
pub fn place_replicas(
    brokers: &[PlacementBroker],
    start_partition: usize,
    partitions: usize,
    replication_factor: usize,
    random: &mut dyn Randomness,
) -> Result<Vec<Vec<NodeId>>, PlacementError> {
    if replication_factor == 0 {
        return Err(PlacementError::ReplicationFactorTooSmall);
    }
    if replication_factor > brokers.len() {
        return Err(PlacementError::NotEnoughBrokers { replication_factor, available: brokers.len() });
    }
    let arranged = rack_alternated(brokers);
    let n = arranged.len();
    let rack_of: BTreeMap<NodeId, &str> = arranged.iter().map(|b| (b.id, b.rack.as_deref().unwrap_or(""))).collect();
    let rack_count = rack_of.values().collect::<BTreeSet<_>>().len();
    let start_index = random.below(n);
    let mut shift = random.below(n);
    let mut out = Vec::with_capacity(partitions);
    for partition in start_partition..start_partition + partitions {
        if partition > 0 && partition % n == 0 {
            shift += 1;
        }
        let first = (partition + start_index) % n;
        let mut replicas = vec![arranged[first].id];
        let mut racks: BTreeSet<&str> = BTreeSet::from([rack_of.get(&arranged[first].id).copied().unwrap_or("")]);
        let mut k = 0;
        while replicas.len() < replication_factor {
            // Within n - 1 steps every other broker comes up once; one satisfying the rule always exists.
            let candidate = if k < n {
                let broker = arranged[follower_index(first, shift * rack_count, k, n)].id;
                let rack = rack_of.get(&broker).copied().unwrap_or("");
                let rack_ok = !racks.contains(rack) || racks.len() == rack_count;
                (rack_ok && !replicas.contains(&broker)).then_some((broker, rack))
            } else {
                arranged
                    .iter()
                    .find(|b| !replicas.contains(&b.id))
                    .map(|b| (b.id, rack_of.get(&b.id).copied().unwrap_or("")))
            };
            if let Some((broker, rack)) = candidate {
                replicas.push(broker);
                racks.insert(rack);
            }
            k += 1;
        }
        out.push(replicas);
    }
    Ok(out)
}

/// The index of the `j`-th follower candidate: never `first` itself.
fn follower_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    if n < 2 {
        return first;
    }
    (first + 1 + (shift + j) % (n - 1)) % n
}

/// Brokers sorted by id within each rack, racks sorted by name, then taken one rack at a time:
/// `[r1b1, r2b1, r3b1, r1b2, ...]`.
fn rack_alternated(brokers: &[PlacementBroker]) -> Vec<PlacementBroker> {
    let mut by_rack: BTreeMap<&str, Vec<&PlacementBroker>> = BTreeMap::new();
    for broker in brokers {
        by_rack.entry(broker.rack.as_deref().unwrap_or("")).or_default().push(broker);
    }
    for members in by_rack.values_mut() {
        members.sort_by_key(|b| b.id);
    }
    let mut out = Vec::with_capacity(brokers.len());
    let mut round = 0;
    while out.len() < brokers.len() {
        for members in by_rack.values() {
            if let Some(broker) = members.get(round) {
                out.push((*broker).clone());
            }
        }
        round += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::random::SeededRandom;

    fn brokers(specs: &[(i32, Option<&str>)]) -> Vec<PlacementBroker> {
        specs
            .iter()
            .map(|(id, rack)| PlacementBroker { id: NodeId::new(*id), rack: rack.map(str::to_string) })
            .collect()
    }

    fn leader_counts(placement: &[Vec<NodeId>]) -> BTreeMap<NodeId, usize> {
        let mut counts = BTreeMap::new();
        for replicas in placement {
            *counts.entry(replicas[0]).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn leaders_spread_evenly_and_replicas_are_distinct() {
        let b = brokers(&[(1, None), (2, None), (3, None), (4, None), (5, None)]);
        for seed in 0..20 {
            let placement = place_replicas(&b, 0, 50, 3, &mut SeededRandom::new(seed)).unwrap_or_default();
            assert_eq!(placement.len(), 50);
            assert!(leader_counts(&placement).values().all(|c| *c == 10), "seed {seed}");
            for replicas in &placement {
                let distinct: BTreeSet<_> = replicas.iter().collect();
                assert_eq!(distinct.len(), 3);
            }
            // Every broker also carries an even share of replicas.
            let mut per_broker = BTreeMap::new();
            for r in placement.iter().flatten() {
                *per_broker.entry(*r).or_insert(0) += 1;
            }
            assert!(per_broker.values().all(|c| *c == 30), "seed {seed}: {per_broker:?}");
        }
    }

    #[test]
    fn rack_aware_placement_uses_every_rack_before_repeating() {
        let b =
            brokers(&[(1, Some("a")), (2, Some("a")), (3, Some("b")), (4, Some("b")), (5, Some("c")), (6, Some("c"))]);
        let rack = |id: NodeId| b.iter().find(|x| x.id == id).and_then(|x| x.rack.clone()).unwrap_or_default();
        for seed in 0..20 {
            let placement = place_replicas(&b, 0, 60, 3, &mut SeededRandom::new(seed)).unwrap_or_default();
            for replicas in &placement {
                let racks: BTreeSet<_> = replicas.iter().map(|r| rack(*r)).collect();
                assert_eq!(racks.len(), 3, "seed {seed}: {replicas:?}");
            }
            assert!(leader_counts(&placement).values().all(|c| *c == 10));
            // Replication factor 4 over 3 racks: every rack first, then a second replica in one rack.
            for replicas in place_replicas(&b, 0, 12, 4, &mut SeededRandom::new(seed)).unwrap_or_default() {
                let racks: BTreeSet<_> = replicas.iter().map(|r| rack(*r)).collect();
                assert_eq!((racks.len(), replicas.iter().collect::<BTreeSet<_>>().len()), (3, 4));
            }
        }
    }

    #[test]
    fn uneven_racks_and_missing_racks_still_place() {
        let b = brokers(&[(1, Some("a")), (2, Some("a")), (3, Some("a")), (4, Some("b")), (5, None)]);
        let placement = place_replicas(&b, 0, 10, 5, &mut SeededRandom::new(3)).unwrap_or_default();
        assert_eq!(placement.len(), 10);
        for replicas in placement {
            assert_eq!(replicas.iter().collect::<BTreeSet<_>>().len(), 5);
        }
    }

    #[test]
    fn placement_continues_from_start_partition() {
        let b = brokers(&[(1, None), (2, None), (3, None)]);
        let all = place_replicas(&b, 0, 6, 2, &mut SeededRandom::new(9)).unwrap_or_default();
        let tail = place_replicas(&b, 3, 3, 2, &mut SeededRandom::new(9)).unwrap_or_default();
        assert_eq!(&all[3..], &tail[..]);
    }

    #[test]
    fn too_few_brokers_is_an_error() {
        let b = brokers(&[(1, None), (2, None)]);
        assert_eq!(
            place_replicas(&b, 0, 1, 3, &mut SeededRandom::new(0)),
            Err(PlacementError::NotEnoughBrokers { replication_factor: 3, available: 2 })
        );
        assert_eq!(
            place_replicas(&b, 0, 1, 0, &mut SeededRandom::new(0)),
            Err(PlacementError::ReplicationFactorTooSmall)
        );
        assert_eq!(place_replicas(&[], 0, 1, 1, &mut SeededRandom::new(0)).map(|p| p.len()).ok(), None);
    }
}
