//! Seeded randomized simulation of the controller: random registrations, heartbeats, session expiries,
//! controlled shutdowns, topic and partition changes and ISR changes, each decided against the current
//! image and committed as one batch, with the metadata invariants checked after every step:
//!
//! - leader ∈ ISR ⊆ replicas, or leader = -1; the ISR is never empty (no ELR);
//! - a leader is always an active broker (registered, unfenced, not shutting down);
//! - no partition stays offline while an active broker is in its ISR;
//! - leader and partition epochs never decrease, and a leader change always bumps the leader epoch;
//! - replaying every batch from the empty image gives the same image;
//! - a new topic's replicas span as many racks as they can.
//!
//! A failure prints the seed and step; rerun one seed with `SIMULATION_SEED=<seed>`.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use flotilla_metadata::controller::brokers::{
    broker_heartbeat, fence_expired, register_broker, unregister_broker, BrokerHeartbeat, BrokerRegistrationRequest,
    BrokerSessions,
};
use flotilla_metadata::controller::configs::AcceptAllConfigs;
use flotilla_metadata::controller::partitions::{
    alter_partition, elect_leaders, AlterPartitionItem, AlterPartitionRequest, ElectionPolicy, ElectionType, IsrMember,
};
use flotilla_metadata::controller::producer_ids::allocate_producer_ids;
use flotilla_metadata::controller::random::{Randomness, SeededRandom};
use flotilla_metadata::controller::topics::{
    create_partitions, create_topics, delete_topics, CreatableTopic, CreatePartitionsTopic, CreateTopicsRequest,
    TopicDefaults, TopicRef,
};
use flotilla_metadata::{replay, LogPosition, MetadataBatch, MetadataDelta, MetadataImage, MetadataRecord};
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId};

const BROKER_IDS: [i32; 6] = [1, 2, 3, 4, 5, 6];
const RACKS: [&str; 3] = ["a", "b", "c"];
const SESSION_TIMEOUT_MS: u64 = 9_000;

struct Sim {
    seed: u64,
    step: usize,
    random: SeededRandom,
    image: MetadataImage,
    batches: Vec<MetadataBatch>,
    now_ms: u64,
    last_heartbeat_ms: BTreeMap<NodeId, u64>,
    epochs: BTreeMap<(TopicId, PartitionIndex), (NodeId, LeaderEpoch, PartitionEpoch)>,
    policy: ElectionPolicy,
    incarnations: u128,
}

impl Sim {
    fn new(seed: u64) -> Self {
        Self {
            seed,
            step: 0,
            random: SeededRandom::new(seed),
            image: MetadataImage::empty(),
            batches: Vec::new(),
            now_ms: 0,
            last_heartbeat_ms: BTreeMap::new(),
            epochs: BTreeMap::new(),
            policy: ElectionPolicy { unclean_leader_election_enable: seed.is_multiple_of(4) },
            incarnations: 0,
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.random.below(100) < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.random.below(items.len())].clone())
    }

    fn commit(&mut self, records: Vec<MetadataRecord>) {
        if records.is_empty() {
            return;
        }
        let batch = MetadataBatch { position: LogPosition::new(self.image.position().offset + 1, 1), records };
        let mut delta = MetadataDelta::new(&self.image);
        if let Err(e) = delta.apply_batch(&batch) {
            panic!(
                "seed {} step {}: decision produced records that do not apply: {e}\n{batch:?}",
                self.seed, self.step
            );
        }
        self.image = delta.finish();
        self.batches.push(batch);
    }

    fn sessions(&self) -> BrokerSessions<'_> {
        BrokerSessions {
            now_ms: self.now_ms,
            last_heartbeat_ms: &self.last_heartbeat_ms,
            session_timeout_ms: SESSION_TIMEOUT_MS,
        }
    }

    fn registered(&self) -> Vec<NodeId> {
        self.image.brokers().iter().map(|b| b.id).collect()
    }

    fn topics(&self) -> Vec<String> {
        self.image.topics().iter().map(|t| t.name().to_string()).collect()
    }

    fn step_once(&mut self) {
        self.now_ms += 1_000;
        match self.random.below(100) {
            0..=11 => self.register(),
            12..=35 => self.heartbeat(),
            36..=40 => self.expire(),
            41..=43 => self.shutdown(),
            44..=55 => self.create_topic(),
            56..=59 => self.delete_topic(),
            60..=64 => self.grow_topic(),
            65..=86 => self.alter_isr(),
            87..=92 => self.elect(),
            93..=94 => self.unregister(),
            _ => self.allocate_producer_ids(),
        }
    }

    fn register(&mut self) {
        let id = NodeId::new(BROKER_IDS[self.random.below(BROKER_IDS.len())]);
        let existing = self.image.brokers().get(id).map(|b| b.incarnation_id);
        let incarnation = match existing {
            Some(current) if self.chance(30) => current,
            _ => {
                self.incarnations += 1;
                uuid::Uuid::from_u128(self.incarnations)
            }
        };
        let rack = self.chance(80).then(|| RACKS[id.get() as usize % RACKS.len()].to_string());
        let request = BrokerRegistrationRequest {
            broker_id: id,
            cluster_id: "sim".into(),
            incarnation_id: incarnation,
            endpoints: vec![],
            rack,
        };
        let result = register_broker(&self.image, &request, &self.sessions(), &self.policy);
        if result.response.is_ok() && !result.records.is_empty() {
            self.last_heartbeat_ms.insert(id, self.now_ms);
        }
        self.commit(result.records);
    }

    fn heartbeat(&mut self) {
        let Some(id) = self.pick(&self.registered()) else { return };
        let Some((epoch, in_controlled_shutdown)) =
            self.image.brokers().get(id).map(|b| (b.epoch, b.in_controlled_shutdown))
        else {
            return;
        };
        let caught_up = self.chance(80);
        let offset =
            self.image.position().offset as i64 - if caught_up { 0 } else { self.image.position().offset as i64 };
        let heartbeat = BrokerHeartbeat {
            broker_id: id,
            broker_epoch: epoch,
            current_metadata_offset: offset,
            want_fence: self.chance(5),
            want_shutdown: in_controlled_shutdown,
        };
        let result = broker_heartbeat(&self.image, &heartbeat, &self.policy);
        assert!(result.response.is_ok(), "seed {} step {}: {:?}", self.seed, self.step, result.response);
        self.last_heartbeat_ms.insert(id, self.now_ms);
        self.commit(result.records);
    }

    fn expire(&mut self) {
        // Some brokers went silent long ago.
        for id in self.registered() {
            if self.chance(30) {
                self.last_heartbeat_ms.insert(id, self.now_ms.saturating_sub(SESSION_TIMEOUT_MS + 1));
            }
        }
        let result = fence_expired(&self.image, &self.sessions(), &self.policy);
        for id in &result.response {
            assert!(self.image.brokers().get(*id).is_some_and(|b| !b.fenced));
        }
        self.commit(result.records);
    }

    fn shutdown(&mut self) {
        let Some(id) = self.pick(&self.registered()) else { return };
        let Some(broker) = self.image.brokers().get(id) else { return };
        let heartbeat = BrokerHeartbeat {
            broker_id: id,
            broker_epoch: broker.epoch,
            current_metadata_offset: self.image.position().offset as i64,
            want_fence: false,
            want_shutdown: true,
        };
        let result = broker_heartbeat(&self.image, &heartbeat, &self.policy);
        self.last_heartbeat_ms.insert(id, self.now_ms);
        self.commit(result.records);
    }

    fn create_topic(&mut self) {
        let name = format!("topic-{}", self.random.below(12));
        let partitions = 1 + self.random.below(6) as i32;
        let replication_factor = 1 + self.random.below(4) as i16;
        let request = CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: name.clone(),
                num_partitions: partitions,
                replication_factor,
                assignments: vec![],
                configs: vec![],
            }],
            validate_only: self.chance(5),
        };
        let result =
            create_topics(&self.image, &request, &TopicDefaults::default(), &AcceptAllConfigs, &mut self.random);
        let created = result.response[0].result.is_ok() && !request.validate_only;
        self.commit(result.records);
        if created {
            self.check_rack_spread(&name);
        }
    }

    fn check_rack_spread(&self, name: &str) {
        let active: Vec<_> = self.image.brokers().active().collect();
        let racks: BTreeSet<Option<&str>> = active.iter().map(|b| b.rack.as_deref()).collect();
        let rack_of: BTreeMap<NodeId, Option<&str>> = active.iter().map(|b| (b.id, b.rack.as_deref())).collect();
        let Some(topic) = self.image.topics().by_name(name) else { return };
        for (_, p) in topic.partitions() {
            let used: BTreeSet<Option<&str>> = p.replicas.iter().map(|r| rack_of.get(r).copied().flatten()).collect();
            assert_eq!(
                used.len(),
                p.replicas.len().min(racks.len()),
                "seed {} step {}: replicas {:?} do not spread over racks {racks:?}",
                self.seed,
                self.step,
                p.replicas
            );
        }
    }

    fn delete_topic(&mut self) {
        let Some(name) = self.pick(&self.topics()) else { return };
        let reference = if self.chance(50) {
            TopicRef::Name(name)
        } else {
            match self.image.topics().by_name(&name) {
                Some(t) => TopicRef::Id(t.id()),
                None => return,
            }
        };
        let result = delete_topics(&self.image, &[reference], true);
        assert!(result.response[0].result.is_ok());
        self.commit(result.records);
    }

    fn grow_topic(&mut self) {
        let Some(name) = self.pick(&self.topics()) else { return };
        let current = self.image.topics().by_name(&name).map_or(0, |t| t.partition_count()) as i32;
        let count = current + self.random.below(4) as i32 - 1;
        let request = [CreatePartitionsTopic { name, count, assignments: None }];
        let result = create_partitions(&self.image, &request, false, &mut self.random);
        self.commit(result.records);
    }

    fn alter_isr(&mut self) {
        let partitions: Vec<(TopicId, PartitionIndex)> = self
            .image
            .topics()
            .all_partitions()
            .filter(|(_, _, p)| p.has_leader())
            .map(|(t, index, _)| (t.id(), index))
            .collect();
        let Some((topic_id, index)) = self.pick(&partitions) else { return };
        let Some(p) = self.image.topics().partition(topic_id, index).cloned() else { return };
        let Some(leader_epoch) = self.image.brokers().get(p.leader).map(|b| b.epoch) else { return };
        let mut isr = p.isr.clone();
        if self.chance(50) {
            let followers: Vec<NodeId> = isr.iter().copied().filter(|b| *b != p.leader).collect();
            if let Some(out) = self.pick(&followers) {
                isr.retain(|b| *b != out);
            }
        } else {
            // Mostly eligible replicas, sometimes a fenced one (which must be refused).
            let outside: Vec<NodeId> = p.replicas.iter().copied().filter(|b| !isr.contains(b)).collect();
            if let Some(back) = self.pick(&outside) {
                isr.push(back);
            }
        }
        // Sometimes the leader works from a stale view.
        let stale = self.chance(10);
        let request = AlterPartitionRequest {
            broker_id: p.leader,
            broker_epoch: leader_epoch,
            partitions: vec![AlterPartitionItem {
                topic_id,
                partition: index,
                leader_epoch: p.leader_epoch,
                partition_epoch: if stale {
                    PartitionEpoch::new(p.partition_epoch.get() - 1)
                } else {
                    p.partition_epoch
                },
                new_isr: isr.iter().map(|b| IsrMember { broker_id: *b, broker_epoch: None }).collect(),
            }],
        };
        let result = alter_partition(&self.image, &request);
        if stale {
            assert!(result.records.is_empty(), "seed {} step {}: stale epoch accepted", self.seed, self.step);
        }
        self.commit(result.records);
    }

    fn elect(&mut self) {
        let kind = if self.chance(70) { ElectionType::Preferred } else { ElectionType::Unclean };
        let result = elect_leaders(&self.image, kind, None);
        self.commit(result.records);
    }

    fn unregister(&mut self) {
        let Some(id) = self.pick(&self.registered()) else { return };
        let result = unregister_broker(&self.image, id, &self.policy);
        self.last_heartbeat_ms.remove(&id);
        self.commit(result.records);
    }

    fn allocate_producer_ids(&mut self) {
        let Some(id) = self.pick(&self.registered()) else { return };
        let Some(epoch) = self.image.brokers().get(id).map(|b| b.epoch) else { return };
        let before = self.image.producer_ids().next_producer_id();
        let result = allocate_producer_ids(&self.image, id, epoch);
        assert_eq!(result.response.map(|b| b.first_producer_id), Ok(before));
        self.commit(result.records);
    }

    fn check_invariants(&mut self) {
        let context = format!("seed {} step {}", self.seed, self.step);
        let brokers = self.image.brokers();
        let mut seen = BTreeMap::new();
        for (topic, index, p) in self.image.topics().all_partitions() {
            let key = (topic.id(), index);
            assert!(
                p.isr.iter().all(|b| p.replicas.contains(b)),
                "{context}: isr {:?} ⊄ replicas {:?}",
                p.isr,
                p.replicas
            );
            // Without ELR the last ISR member stays in the ISR, so the partition can come back clean.
            assert!(!p.isr.is_empty(), "{context}: {key:?} has an empty ISR");
            if p.has_leader() {
                assert!(p.isr.contains(&p.leader), "{context}: leader {} ∉ isr {:?}", p.leader, p.isr);
                assert!(brokers.is_active(p.leader), "{context}: leader {} is not active", p.leader);
            } else {
                assert!(
                    !p.isr.iter().any(|b| brokers.is_active(*b)),
                    "{context}: {key:?} offline with active ISR member in {:?}",
                    p.isr
                );
            }
            if let Some((leader, leader_epoch, partition_epoch)) = self.epochs.get(&key) {
                assert!(p.leader_epoch >= *leader_epoch, "{context}: leader epoch went back");
                assert!(p.partition_epoch >= *partition_epoch, "{context}: partition epoch went back");
                if p.leader != *leader {
                    assert!(p.leader_epoch > *leader_epoch, "{context}: leader changed without an epoch bump");
                    assert!(p.partition_epoch > *partition_epoch);
                }
            }
            seen.insert(key, (p.leader, p.leader_epoch, p.partition_epoch));
        }
        self.epochs = seen;
        let rebuilt = replay(&MetadataImage::empty(), &self.batches).unwrap();
        assert_eq!(rebuilt, self.image, "{context}: replay from scratch differs");
    }
}

fn run(seed: u64, steps: usize) -> Sim {
    let mut sim = Sim::new(seed);
    sim.commit(vec![MetadataRecord::ClusterId(flotilla_metadata::ClusterIdRecord { cluster_id: "sim".into() })]);
    for step in 0..steps {
        sim.step = step;
        sim.step_once();
        sim.check_invariants();
    }
    sim
}

#[test]
fn random_operations_keep_metadata_invariants() {
    let seeds: Vec<u64> = match std::env::var("SIMULATION_SEED") {
        Ok(seed) => vec![seed.parse().unwrap()],
        Err(_) => (0..24).collect(),
    };
    let mut partitions_seen = 0;
    let mut leader_changes = 0;
    for seed in seeds {
        let sim = run(seed, 400);
        partitions_seen += sim.epochs.len();
        leader_changes += sim.epochs.values().map(|(_, e, _)| e.get() as usize).sum::<usize>();
    }
    // The simulation must actually exercise something.
    assert!(partitions_seen > 50, "only {partitions_seen} partitions");
    assert!(leader_changes > 50, "only {leader_changes} leader changes");
}

#[test]
fn same_seed_same_log() {
    let a = run(7, 150);
    let b = run(7, 150);
    assert_eq!(a.batches, b.batches);
    assert_eq!(a.image, b.image);
}
