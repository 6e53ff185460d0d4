//! [`Partitions`]: the partitions this broker hosts (Kafka's `ReplicaManager` partition map), kept in
//! line with the metadata image by [`Partitions::apply_image`], and the lookups the handlers use.
//!
//! `apply_image` computes a [`Plan`](super::reconcile::Plan) from plain values and carries it out:
//! deletions first (the partition is taken out of the map and refuses everything, then its log and
//! directory are deleted), then creations (the log is created or adopted through the
//! [`LogManager`] with the topic's resolved config, `partition.metadata` records the topic id,
//! producer state is rebuilt, the partition takes its role), then role and epoch changes, then
//! config changes. A partition whose log cannot be opened is *offline* (KAFKA_STORAGE_ERROR to
//! clients) until a later image retries it.
//!
//! Call `apply_image` with images in metadata log order, from a blocking thread, and only once the
//! broker has caught up with the metadata log: an older image would make hosted partitions look
//! deleted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use flotilla_config::{ServerConfig, TopicConfig};
use flotilla_metadata::MetadataImage;
use flotilla_model::{LeaderEpoch, NodeId, PartitionIndex, TopicId, TopicName, TopicPartition};
use flotilla_storage::producer_state::ProducerStateConfig;
use flotilla_storage::{LogManager, StorageError};
use tracing::{info, warn};

use super::assignment::Assignment;
use super::error::PartitionError;
use super::hosted::Partition;
use super::log_config::log_config;
use super::producer_recovery::load_producer_state;
use super::reconcile::{plan, DeleteReason, LogOnDisk};
use super::topic_id_file::{read_topic_id, write_topic_id};
use super::wall_clock_ms;
use crate::metrics::{gauges, Gauges, NodeMetrics};

/// What a handler finds when it looks a partition up.
#[derive(Debug, Clone)]
pub enum PartitionLookup {
    /// Hosted here (as leader or follower).
    Hosted(Arc<Partition>),
    /// The partition exists but this broker holds no replica of it.
    NotHosted { leader: NodeId, leader_epoch: LeaderEpoch },
    /// A replica is assigned here but its log could not be opened (log dir offline).
    Offline,
    /// No topic of that name (or id).
    UnknownTopic,
    /// The topic exists but has no such partition.
    UnknownPartition,
}

/// What an `apply_image` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub created: Vec<TopicPartition>,
    pub updated: Vec<TopicPartition>,
    pub deleted: Vec<(TopicPartition, DeleteReason)>,
    /// Logs on disk the image does not explain: kept, not served.
    pub stray: Vec<TopicPartition>,
    /// Partitions that could not be created or deleted, with why.
    pub failed: Vec<(TopicPartition, String)>,
}

#[derive(Debug, Default)]
struct Registry {
    image: Arc<MetadataImage>,
    by_id: HashMap<(TopicId, PartitionIndex), Arc<Partition>>,
    offline: HashSet<(TopicId, PartitionIndex)>,
}

/// Every partition this broker hosts.
#[derive(Debug)]
pub struct Partitions {
    local_node: NodeId,
    server_config: Arc<ServerConfig>,
    log_manager: Arc<LogManager>,
    producer_state_config: ProducerStateConfig,
    registry: RwLock<Registry>,
    /// Serialises `apply_image` and `shutdown`.
    lifecycle: Mutex<()>,
    /// The node's counters, updated by the handlers and the replication that use these partitions.
    metrics: Arc<NodeMetrics>,
}

impl Partitions {
    /// An empty registry over `log_manager`'s logs; nothing is served until an image is applied.
    pub fn new(local_node: NodeId, server_config: Arc<ServerConfig>, log_manager: Arc<LogManager>) -> Partitions {
        let producer_state_config = ProducerStateConfig {
            producer_id_expiration_ms: i64::from(server_config.producer_id_expiration_ms),
            ..ProducerStateConfig::default()
        };
        Partitions {
            local_node,
            server_config,
            log_manager,
            producer_state_config,
            registry: RwLock::new(Registry::default()),
            lifecycle: Mutex::new(()),
            metrics: Arc::new(NodeMetrics::new()),
        }
    }

    /// The node's metrics.
    pub fn metrics(&self) -> &Arc<NodeMetrics> {
        &self.metrics
    }

    /// The partition and controller gauges from the applied image, with each topic's effective
    /// `min.insync.replicas`.
    pub fn gauges(&self, is_active_controller: bool) -> Gauges {
        let image = self.image();
        let configs = std::cell::RefCell::new(TopicConfigs::new(&self.server_config, &image));
        let min_insync_replicas = |topic: &str| match TopicName::new(topic) {
            Ok(name) => configs.borrow_mut().get(&name).1,
            Err(_) => 1,
        };
        gauges(&image, self.local_node, is_active_controller, min_insync_replicas)
    }

    pub fn local_node(&self) -> NodeId {
        self.local_node
    }

    pub fn log_manager(&self) -> &Arc<LogManager> {
        &self.log_manager
    }

    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.server_config
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The last image applied.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.read().image.clone()
    }

    /// Every hosted partition, in no particular order.
    pub fn hosted(&self) -> Vec<Arc<Partition>> {
        self.read().by_id.values().cloned().collect()
    }

    /// The hosted partition `tp`, if any.
    pub fn get(&self, tp: &TopicPartition) -> Option<Arc<Partition>> {
        let registry = self.read();
        let id = registry.image.topics().id_of(&tp.topic)?;
        registry.by_id.get(&(id, tp.partition)).cloned()
    }

    /// Looks a partition up by topic name (requests before topic ids).
    pub fn lookup(&self, topic: &str, partition: i32) -> PartitionLookup {
        let registry = self.read();
        match registry.image.topics().by_name(topic) {
            None => PartitionLookup::UnknownTopic,
            Some(t) => Self::lookup_in(&registry, t.id(), PartitionIndex::new(partition)),
        }
    }

    /// Looks a partition up by topic id (Produce v13+, Fetch v13+).
    pub fn lookup_by_id(&self, topic_id: TopicId, partition: i32) -> PartitionLookup {
        Self::lookup_in(&self.read(), topic_id, PartitionIndex::new(partition))
    }

    /// The topic name of `topic_id` in the last image.
    pub fn topic_name(&self, topic_id: TopicId) -> Option<TopicName> {
        self.read().image.topics().by_id(topic_id).map(|t| t.name().clone())
    }

    fn lookup_in(registry: &Registry, topic_id: TopicId, partition: PartitionIndex) -> PartitionLookup {
        let Some(topic) = registry.image.topics().by_id(topic_id) else {
            return PartitionLookup::UnknownTopic;
        };
        let Some(registration) = topic.partition(partition) else {
            return PartitionLookup::UnknownPartition;
        };
        if let Some(hosted) = registry.by_id.get(&(topic_id, partition)) {
            return PartitionLookup::Hosted(hosted.clone());
        }
        if registry.offline.contains(&(topic_id, partition)) {
            return PartitionLookup::Offline;
        }
        PartitionLookup::NotHosted { leader: registration.leader, leader_epoch: registration.leader_epoch }
    }

    /// Brings the hosted partitions in line with `image` (see the module docs). Blocking.
    pub fn apply_image(&self, image: &MetadataImage) -> ApplyReport {
        let _lifecycle = self.lifecycle.lock().unwrap_or_else(PoisonError::into_inner);
        let now_ms = wall_clock_ms();
        let (hosted, previous_image) = {
            let registry = self.read();
            (registry.by_id.values().map(|p| p.hosted_replica()).collect::<Vec<_>>(), registry.image.clone())
        };
        let hosted_tps: HashSet<&TopicPartition> = hosted.iter().map(|h| &h.topic_partition).collect();
        let on_disk: Vec<LogOnDisk> = self
            .log_manager
            .logs()
            .iter()
            .filter(|log| !hosted_tps.contains(log.topic_partition()))
            .map(|log| LogOnDisk { topic_partition: log.topic_partition().clone(), topic_id: read_topic_id(log.dir()) })
            .collect();
        let plan = plan(image, self.local_node, &hosted, &on_disk);
        let mut report = ApplyReport { stray: plan.stray.clone(), ..ApplyReport::default() };
        for tp in &plan.stray {
            warn!(partition = %tp, "log on disk for a partition the metadata does not assign here; not serving it");
        }

        for (tp, reason) in &plan.delete {
            self.delete(tp, *reason, &mut report);
        }

        let mut configs = TopicConfigs::new(&self.server_config, image);
        for assignment in &plan.create {
            match self.create(assignment, &mut configs, now_ms) {
                Ok(partition) => {
                    let key = (assignment.topic_id, assignment.topic_partition.partition);
                    let mut registry = self.write();
                    registry.offline.remove(&key);
                    registry.by_id.insert(key, partition);
                    report.created.push(assignment.topic_partition.clone());
                }
                Err(e) => {
                    warn!(partition = %assignment.topic_partition, error = %e, "cannot open the partition's log; it is offline");
                    self.write().offline.insert((assignment.topic_id, assignment.topic_partition.partition));
                    report.failed.push((assignment.topic_partition.clone(), e.to_string()));
                }
            }
        }

        for assignment in &plan.update {
            let key = (assignment.topic_id, assignment.topic_partition.partition);
            if let Some(partition) = self.read().by_id.get(&key).cloned() {
                partition.apply_assignment(assignment);
                report.updated.push(assignment.topic_partition.clone());
            }
        }

        if previous_image.configs() != image.configs() {
            for partition in self.hosted() {
                let (config, min_insync_replicas) = configs.get(&partition.topic_partition().topic);
                if *partition.log().config() != config {
                    info!(partition = %partition.topic_partition(), "topic config changed");
                    partition.log().update_config(config);
                }
                partition.set_min_insync_replicas(min_insync_replicas);
            }
        }

        let mut registry = self.write();
        registry.image = Arc::new(image.clone());
        // Offline markers of partitions no longer assigned here go with them.
        let assigned: HashSet<(TopicId, PartitionIndex)> = super::assignment::local_assignments(image, self.local_node)
            .into_iter()
            .map(|a| (a.topic_id, a.topic_partition.partition))
            .collect();
        registry.offline.retain(|key| assigned.contains(key));
        report
    }

    fn delete(&self, tp: &TopicPartition, reason: DeleteReason, report: &mut ApplyReport) {
        let removed = {
            let mut registry = self.write();
            let key = registry.by_id.iter().find(|(_, p)| p.topic_partition() == tp).map(|(k, _)| *k);
            key.and_then(|k| registry.by_id.remove(&k))
        };
        if let Some(partition) = &removed {
            partition.mark_removed();
        }
        match self.log_manager.delete_log(tp) {
            Ok(_) => {
                info!(partition = %tp, ?reason, "deleted partition");
                report.deleted.push((tp.clone(), reason));
            }
            Err(e) => {
                warn!(partition = %tp, ?reason, error = %e, "cannot delete the partition's log");
                report.failed.push((tp.clone(), e.to_string()));
            }
        }
    }

    fn create(
        &self,
        assignment: &Assignment,
        configs: &mut TopicConfigs<'_>,
        now_ms: i64,
    ) -> Result<Arc<Partition>, StorageError> {
        let tp = &assignment.topic_partition;
        let (config, min_insync_replicas) = configs.get(&tp.topic);
        let log = self.log_manager.get_or_create_log(tp, config.clone(), now_ms)?;
        if *log.config() != config {
            log.update_config(config);
        }
        if let Err(e) = write_topic_id(log.dir(), assignment.topic_id) {
            warn!(partition = %tp, error = %e, "cannot write partition.metadata");
        }
        let producers = load_producer_state(&log, self.producer_state_config, now_ms)?;
        Ok(Arc::new(Partition::new(self.local_node, log, producers, assignment, min_insync_replicas)))
    }

    /// Periodic producer state upkeep, for the broker to schedule: drops expired producers and
    /// writes a snapshot per partition that took appends since its last one, so a crash replays only
    /// the log written after it. Blocking.
    pub fn maintain_producer_state(&self, now_ms: i64) {
        for partition in self.hosted() {
            let expired = partition.expire_producers(now_ms);
            if expired > 0 {
                info!(partition = %partition.topic_partition(), expired, "expired idle producers");
            }
            if let Err(e) = partition.take_producer_snapshot() {
                warn!(partition = %partition.topic_partition(), error = %e, "cannot write a producer snapshot");
            }
        }
    }

    /// Clean shutdown of the data plane: a producer snapshot per partition (so the next start need
    /// not replay the log), then the log manager's shutdown (flush, checkpoints, clean marker).
    pub fn shutdown(&self, broker_epoch: i64) -> Result<(), PartitionError> {
        let _lifecycle = self.lifecycle.lock().unwrap_or_else(PoisonError::into_inner);
        for partition in self.hosted() {
            if let Err(e) = partition.take_producer_snapshot() {
                warn!(partition = %partition.topic_partition(), error = %e, "cannot write a producer snapshot");
            }
        }
        self.log_manager.shutdown(broker_epoch, wall_clock_ms())?;
        Ok(())
    }
}

/// Resolved topic configs, computed once per topic during one `apply_image`.
struct TopicConfigs<'a> {
    server: &'a ServerConfig,
    image: &'a MetadataImage,
    cache: BTreeMap<TopicName, (flotilla_storage::LogConfig, usize)>,
}

impl<'a> TopicConfigs<'a> {
    fn new(server: &'a ServerConfig, image: &'a MetadataImage) -> Self {
        Self { server, image, cache: BTreeMap::new() }
    }

    /// The topic's log config and `min.insync.replicas`. Overrides that no longer validate (a bug
    /// elsewhere) fall back to the broker defaults with a warning rather than stopping the broker.
    fn get(&mut self, topic: &TopicName) -> (flotilla_storage::LogConfig, usize) {
        if let Some(found) = self.cache.get(topic) {
            return found.clone();
        }
        let overrides = self.image.topic_config_overrides(topic.as_str());
        let resolved = TopicConfig::resolve(self.server, &overrides).unwrap_or_else(|e| {
            warn!(%topic, error = %e, "invalid topic config overrides; using the broker defaults");
            self.server.topic_defaults.clone()
        });
        let min_insync_replicas = usize::try_from(resolved.min_insync_replicas).unwrap_or(1).max(1);
        let entry = (log_config(&resolved), min_insync_replicas);
        self.cache.insert(topic.clone(), entry.clone());
        entry
    }
}
