//! The coordinator's clock: every [`TICK_INTERVAL_MS`] it loads the `__consumer_offsets` partitions this
//! broker has come to lead, unloads those it no longer leads (or leads in a new epoch: the log may have
//! changed under it), and lets every group expire members and end rebalances.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use flotilla_group::classic_group::{Effects, TICK_INTERVAL_MS};
use flotilla_group::shard::CoordinatorShard;
use flotilla_group::GroupError;
use flotilla_model::topic_name::CONSUMER_OFFSETS_TOPIC;
use flotilla_model::{LeaderEpoch, TopicName, TopicPartition};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{info, warn};

use super::loader::load_shard;
use super::writer::{run_writer, WriteItem};
use super::{lock, ActiveShard, GroupCoordinator, Slot, WRITE_QUEUE_DEPTH};
use crate::partition::{wall_clock_ms, Partition, Role};

/// Runs the coordinator until `stop` turns true, then unloads every shard.
pub async fn run_coordinator(coordinator: Arc<GroupCoordinator>, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(Duration::from_millis(TICK_INTERVAL_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_expiry = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        follow_leadership(&coordinator);
        tick_groups(&coordinator);
        if last_expiry.elapsed() >= coordinator.offsets_retention_check {
            last_expiry = tokio::time::Instant::now();
            expire_offsets(&coordinator);
        }
    }
    let mut state = lock(&coordinator.state);
    let shards: Vec<i32> = state.shards.keys().copied().collect();
    for shard in shards {
        if let Some(slot) = state.shards.remove(&shard) {
            unload(shard, slot);
        }
    }
}

/// The `__consumer_offsets` partitions this broker leads, with their leader epochs.
fn led_partitions(coordinator: &GroupCoordinator) -> BTreeMap<i32, (LeaderEpoch, Arc<Partition>)> {
    let mut led = BTreeMap::new();
    let image = coordinator.partitions.image();
    let (Some(topic), Ok(name)) =
        (image.topics().by_name(CONSUMER_OFFSETS_TOPIC), TopicName::new(CONSUMER_OFFSETS_TOPIC))
    else {
        return led;
    };
    for (index, _) in topic.partitions() {
        let Some(partition) = coordinator.partitions.get(&TopicPartition::new(name.clone(), index)) else { continue };
        let hosted = partition.hosted_replica();
        if hosted.role == Role::Leader {
            led.insert(index.get(), (hosted.leader_epoch, partition));
        }
    }
    led
}

fn follow_leadership(coordinator: &Arc<GroupCoordinator>) {
    let led = led_partitions(coordinator);
    let mut state = lock(&coordinator.state);
    let stale: Vec<i32> = state
        .shards
        .iter()
        .filter(|(shard, slot)| {
            let epoch = match slot {
                Slot::Loading { leader_epoch } => *leader_epoch,
                Slot::Active(active) => active.leader_epoch,
            };
            led.get(shard).map(|(e, _)| *e) != Some(epoch)
        })
        .map(|(shard, _)| *shard)
        .collect();
    for shard in stale {
        if let Some(slot) = state.shards.remove(&shard) {
            unload(shard, slot);
        }
    }
    for (shard, (leader_epoch, partition)) in led {
        if state.shards.contains_key(&shard) {
            continue;
        }
        state.shards.insert(shard, Slot::Loading { leader_epoch });
        info!(partition = %partition.topic_partition(), %leader_epoch, "loading the groups of a coordinator partition");
        let coordinator = Arc::clone(coordinator);
        tokio::spawn(async move {
            let source = Arc::clone(&partition);
            let loaded = tokio::task::spawn_blocking(move || load_shard(&source)).await;
            let loaded = loaded.map_err(|e| e.to_string()).and_then(|r| r);
            finish_load(&coordinator, shard, leader_epoch, partition, loaded);
        });
    }
}

fn finish_load(
    coordinator: &Arc<GroupCoordinator>,
    shard: i32,
    leader_epoch: LeaderEpoch,
    partition: Arc<Partition>,
    loaded: Result<CoordinatorShard, String>,
) {
    let mut state = lock(&coordinator.state);
    let still_loading =
        matches!(state.shards.get(&shard), Some(Slot::Loading { leader_epoch: e }) if *e == leader_epoch);
    if !still_loading {
        return;
    }
    match loaded {
        Ok(groups) => {
            info!(partition = %partition.topic_partition(), %leader_epoch, groups = groups.len(), "coordinator partition loaded");
            let (writes, queue) = mpsc::channel(WRITE_QUEUE_DEPTH);
            let (alive, alive_rx) = watch::channel(());
            tokio::spawn(run_writer(Arc::downgrade(coordinator), shard, partition, queue, alive_rx));
            let active = ActiveShard {
                leader_epoch,
                shard: groups,
                joins: Default::default(),
                syncs: Default::default(),
                writes,
                config: coordinator.config,
                _alive: alive,
            };
            state.shards.insert(shard, Slot::Active(Box::new(active)));
        }
        Err(e) => {
            // Tried again at the next tick.
            warn!(partition = %partition.topic_partition(), error = %e, "could not load a coordinator partition");
            state.shards.remove(&shard);
        }
    }
}

/// Drops a shard: every parked caller is told this broker is not the coordinator any more.
fn unload(shard: i32, slot: Slot) {
    let Slot::Active(mut active) = slot else { return };
    let now_ms = wall_clock_ms();
    let ids: Vec<String> = active.shard.groups().map(|e| e.group.group_id().to_owned()).collect();
    for group_id in &ids {
        if let Some(entry) = active.shard.get_mut(group_id) {
            let Effects { joins, syncs, .. } = entry.group.mark_dead(GroupError::NotCoordinator, now_ms);
            active.dispatch(group_id, Effects { joins, syncs, writes: Vec::new() });
        }
    }
    info!(shard, groups = ids.len(), "unloaded a coordinator partition");
}

/// `offsets.retention.minutes`: expired offsets leave the shards and their tombstones are queued.
fn expire_offsets(coordinator: &GroupCoordinator) {
    let now_ms = wall_clock_ms();
    let mut state = lock(&coordinator.state);
    for (shard, slot) in &mut state.shards {
        let Slot::Active(active) = slot else { continue };
        for (group_id, keys) in active.shard.expire_offsets(now_ms, coordinator.offsets_retention_ms) {
            info!(shard, group = %group_id, records = keys.len(), "expired committed offsets (offsets.retention.minutes)");
            // Nobody waits for these; a failed write leaves them to the next leader's next check.
            let (done, _) = oneshot::channel();
            if active.writes.try_send(WriteItem::Tombstones { group_id, keys, done }).is_err() {
                warn!(shard, "the coordinator's write queue is full; expired offsets are written at the next check");
            }
        }
    }
}

fn tick_groups(coordinator: &GroupCoordinator) {
    let now_ms = wall_clock_ms();
    let mut state = lock(&coordinator.state);
    for slot in state.shards.values_mut() {
        let Slot::Active(active) = slot else { continue };
        // Only groups with something due: most (Empty ones holding offsets) have no deadline at all.
        let mut decided = Vec::new();
        for entry in active.shard.groups_mut() {
            if entry.group.next_deadline_ms(&coordinator.config).is_some_and(|due| due <= now_ms) {
                let fx = entry.group.tick(&coordinator.config, now_ms);
                decided.push((entry.group.group_id().to_owned(), fx));
            }
        }
        for (group_id, fx) in decided {
            active.dispatch(&group_id, fx);
            // A member id handed out and never used lapses here, leaving nothing of its group.
            active.shard.remove_if_unused(&group_id);
        }
        // Consumer-protocol groups: members whose session or revocation time ran out are fenced.
        let due: Vec<String> = active
            .shard
            .consumer_groups()
            .filter(|g| g.next_deadline_ms().is_some_and(|due| due <= now_ms))
            .map(|g| g.group_id().to_owned())
            .collect();
        for group_id in due {
            if let Some(group) = active.shard.consumer_group_mut(&group_id) {
                for member_id in group.expire(now_ms) {
                    info!(group = %group_id, member = %member_id, group_epoch = group.group_epoch(),
                        "fenced a consumer group member: its session or revocation timed out");
                }
            }
            active.shard.remove_consumer_group_if_unused(&group_id);
        }
    }
}
