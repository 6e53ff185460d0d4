//! The controller task: one task carries out every controller operation, one at a time, in the
//! order they arrive, so each decision is taken against the newest image — the one with every
//! earlier decision applied — and committed before the next is taken, as the metadata crate's
//! decisions require.
//!
//! For each operation, on the raft leader:
//! 1. make sure this node is the *active* controller for the current term: on the first operation
//!    (or tick) of a term, wait until everything committed by earlier leaders is applied
//!    (`ensure_linearizable`), seed every registered broker's session with "now", and write the
//!    bootstrap records the image lacks (cluster id, `metadata.version`);
//! 2. run the metadata decision against the published image;
//! 3. `client_write` its records as one command and wait until they are applied here;
//! 4. answer.
//!
//! Elsewhere the answer is [`ControllerError::NotController`] with the leader this node knows.
//! A failed or timed-out write ends the active term, so the next operation re-checks leadership
//! and catches up first. A periodic tick notices leadership and fences brokers whose sessions
//! expired (`broker.session.timeout.ms`); with `auto.leader.rebalance.enable`, every
//! `leader.imbalance.check.interval.seconds` it also moves leadership back to each partition's
//! preferred replica where that replica is an active ISR member (as KRaft's controller does, without
//! `leader.imbalance.per.broker.percentage`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use flotilla_metadata::controller::brokers::{self, RegistrationOutcome};
use flotilla_metadata::controller::partitions::{self, ElectionPolicy};
use flotilla_metadata::controller::random::SeededRandom;
use flotilla_metadata::controller::topics::{self, TopicDefaults};
use flotilla_metadata::controller::{configs, producer_ids, reassignment};
use flotilla_metadata::{MetadataImage, MetadataRecord};
use flotilla_model::NodeId;
use flotilla_raft::{kafka_node_id, node_id_from_kafka, RaftNode, Role};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{timeout, MissedTickBehavior};

use crate::bootstrap::bootstrap_records;
use crate::error::{ApiError, ControllerError};
use crate::operations::{
    BrokerHeartbeatReply, BrokerRegistrationReply, DescribeQuorumRequest, Operation, OperationReply, ProducerIdBlock,
};
use crate::options::{ControllerOptions, SharedConfigPolicy};
use crate::quorum::ObserverProgress;
use crate::session::SessionTracker;
use crate::state_machine::{ApplyOutcome, MetadataCommand};

/// One queued operation and where its answer goes.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) operation: Operation,
    pub(crate) reply: oneshot::Sender<Result<OperationReply, ControllerError>>,
}

/// The state of the task that serializes controller operations.
pub(crate) struct ControllerTask {
    raft: Arc<RaftNode>,
    images: watch::Receiver<MetadataImage>,
    cluster_id: Option<String>,
    write_timeout: Duration,
    session_check_interval: Duration,
    topic_defaults: TopicDefaults,
    delete_topic_enable: bool,
    election_policy: ElectionPolicy,
    config_policy: SharedConfigPolicy,
    random: SeededRandom,
    sessions: SessionTracker,
    /// Each broker's last heartbeat: the metadata offset it reported and when (wall-clock ms), for the
    /// observers DescribeQuorum lists. Kept while this node is the active controller.
    metadata_progress: BTreeMap<NodeId, (i64, i64)>,
    /// `leader.imbalance.check.interval.seconds` when `auto.leader.rebalance.enable` is on.
    leader_rebalance_interval: Option<Duration>,
    /// When this active controller last balanced leaders (or took over).
    last_rebalance: tokio::time::Instant,
    /// The raft term this node is the active controller for, once it has taken over in it.
    active_term: Option<u64>,
}

impl ControllerTask {
    pub(crate) fn new(
        raft: Arc<RaftNode>,
        images: watch::Receiver<MetadataImage>,
        options: &ControllerOptions,
    ) -> Self {
        // Topic ids must differ across controllers and restarts: a seed from the OS unless a test
        // fixes one.
        let seed = options.random_seed.unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
        Self {
            raft,
            images,
            cluster_id: options.cluster_id.clone(),
            write_timeout: Duration::from_millis(options.write_timeout_ms),
            session_check_interval: Duration::from_millis(options.session_check_interval_ms),
            topic_defaults: options.topic_defaults,
            delete_topic_enable: options.delete_topic_enable,
            election_policy: options.election_policy,
            config_policy: Arc::clone(&options.config_policy),
            random: SeededRandom::new(seed),
            sessions: SessionTracker::new(options.broker_session_timeout_ms),
            metadata_progress: BTreeMap::new(),
            leader_rebalance_interval: options.leader_rebalance_interval_ms.map(Duration::from_millis),
            last_rebalance: tokio::time::Instant::now(),
            active_term: None,
        }
    }

    /// Serves queued operations and ticks until `stop` fires (or its sender is dropped) or every
    /// request sender is gone.
    pub(crate) async fn run(mut self, mut requests: mpsc::Receiver<Request>, mut stop: oneshot::Receiver<()>) {
        let mut ticks = tokio::time::interval(self.session_check_interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // The tick first: it is ready once per interval, so it cannot starve requests, and
                // a stream of requests cannot postpone fencing.
                biased;
                _ = &mut stop => break,
                _ = ticks.tick() => self.tick().await,
                request = requests.recv() => {
                    let Some(Request { operation, reply }) = request else { break };
                    let name = operation.name();
                    let result = self.handle(operation).await;
                    if let Err(e) = &result {
                        tracing::debug!(operation = name, error = %e, "controller operation failed");
                    }
                    // The caller may have given up; the operation stands either way.
                    let _ = reply.send(result);
                }
            }
        }
        tracing::debug!("controller task stopped");
    }

    fn image(&self) -> MetadataImage {
        self.images.borrow().clone()
    }

    fn step_down(&mut self) {
        if let Some(term) = self.active_term.take() {
            tracing::info!(term, "no longer the active controller");
        }
    }

    fn timeout_error(&self) -> ControllerError {
        ControllerError::Timeout { waited_ms: u64::try_from(self.write_timeout.as_millis()).unwrap_or(u64::MAX) }
    }

    /// Returns the term this node is the active controller for, taking over first if need be.
    async fn ensure_active(&mut self) -> Result<u64, ControllerError> {
        if !self.raft.is_leader() {
            self.step_down();
            let leader_id = self.raft.current_leader().and_then(kafka_node_id).map(NodeId::new);
            return Err(ControllerError::NotController { leader_id });
        }
        let status = self.raft.metrics().await.map_err(ControllerError::from_raft)?;
        if status.role != Role::Leader {
            self.step_down();
            let leader_id = status.leader_id.and_then(kafka_node_id).map(NodeId::new);
            return Err(ControllerError::NotController { leader_id });
        }
        if self.active_term != Some(status.term) {
            self.activate(status.term).await?;
        }
        Ok(status.term)
    }

    /// Takes over as the active controller in `term`.
    async fn activate(&mut self, term: u64) -> Result<(), ControllerError> {
        self.active_term = None;
        // Every record committed by earlier leaders must be in the image before deciding anything.
        match timeout(self.write_timeout, self.raft.ensure_linearizable()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(ControllerError::from_raft(e)),
            Err(_) => return Err(self.timeout_error()),
        }
        let image = self.image();
        self.sessions.seed(&image);
        // The leader this node followed before the election is most likely gone: date its broker's
        // session from the last time it was heard, so its partitions move a session after it went
        // silent. A live one heartbeats this controller within an interval and keeps its session.
        if let Some((replaced, heard_at)) = self.raft.take_last_leader_contact() {
            if replaced != self.raft.node_id() {
                if let Some(replaced) = kafka_node_id(replaced).map(NodeId::new) {
                    self.sessions.silent_since(replaced, tokio::time::Instant::from_std(heard_at));
                }
            }
        }
        self.commit(term, bootstrap_records(&image, self.cluster_id.as_deref())).await?;
        self.active_term = Some(term);
        // Brokers are only now being heard from: give them an interval before judging leadership.
        self.last_rebalance = tokio::time::Instant::now();
        let image = self.image();
        tracing::info!(
            term,
            position = %image.position(),
            cluster_id = image.cluster().cluster_id().unwrap_or("none"),
            brokers = image.brokers().len(),
            "became the active controller"
        );
        Ok(())
    }

    /// Commits `records` as one batch and waits until this node has applied it.
    async fn commit(&mut self, term: u64, records: Vec<MetadataRecord>) -> Result<(), ControllerError> {
        if records.is_empty() {
            return Ok(());
        }
        let command = MetadataCommand { leader_epoch: term, records }.encode().map_err(ControllerError::internal)?;
        let written = match timeout(self.write_timeout, self.raft.client_write(command)).await {
            Ok(Ok(written)) => written,
            Ok(Err(e)) => {
                self.step_down();
                return Err(ControllerError::from_raft(e));
            }
            Err(_) => {
                // The batch may still commit; the next decision must wait for whatever happens.
                self.step_down();
                return Err(self.timeout_error());
            }
        };
        // Raft answers after the state machine applied the entry and published its image; this wait
        // only guards that order.
        let mut images = self.images.clone();
        let applied =
            timeout(self.write_timeout, images.wait_for(|image| image.position().offset >= written.log_index))
                .await
                .map(|seen| seen.map(drop));
        match applied {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(ControllerError::ShuttingDown),
            Err(_) => return Err(self.timeout_error()),
        }
        match ApplyOutcome::decode(&written.response).map_err(ControllerError::internal)? {
            ApplyOutcome::Applied => Ok(()),
            ApplyOutcome::Rejected { reason } => Err(ControllerError::Internal(format!(
                "the batch committed at offset {} was rejected by the image: {reason}",
                written.log_index
            ))),
        }
    }

    /// Notices leadership; as the active controller, fences brokers whose sessions expired.
    async fn tick(&mut self) {
        if !self.raft.is_leader() {
            self.step_down();
            return;
        }
        let term = match self.ensure_active().await {
            Ok(term) => term,
            Err(e) => {
                tracing::debug!(error = %e, "could not take over as the active controller yet");
                return;
            }
        };
        let image = self.image();
        self.sessions.retain_registered(&image);
        let now_ms = self.sessions.now_ms();
        let decision = brokers::fence_expired(&image, &self.sessions.view(now_ms), &self.election_policy);
        if !decision.records.is_empty() {
            let fenced = decision.response;
            match self.commit(term, decision.records).await {
                Ok(()) => tracing::info!(brokers = ?fenced, "fenced brokers whose sessions expired"),
                Err(e) => {
                    tracing::warn!(brokers = ?fenced, error = %e, "could not fence brokers whose sessions expired");
                    return;
                }
            }
        }
        self.maybe_rebalance_leaders(term).await;
    }

    /// `auto.leader.rebalance.enable`: once per interval, a preferred election for every partition
    /// whose preferred replica is an active ISR member but not the leader.
    async fn maybe_rebalance_leaders(&mut self, term: u64) {
        let Some(interval) = self.leader_rebalance_interval else { return };
        if self.last_rebalance.elapsed() < interval {
            return;
        }
        self.last_rebalance = tokio::time::Instant::now();
        let decision = partitions::elect_leaders(&self.image(), partitions::ElectionType::Preferred, None);
        if decision.records.is_empty() {
            return;
        }
        let moved: Vec<String> = decision
            .response
            .iter()
            .filter(|r| r.result.is_ok())
            .map(|r| format!("{}-{}", r.topic, r.partition))
            .collect();
        match self.commit(term, decision.records).await {
            Ok(()) => tracing::info!(
                partitions = ?moved,
                reason = "auto.leader.rebalance.enable: the preferred replica is back in the ISR",
                "moved leadership to preferred replicas"
            ),
            Err(e) => {
                tracing::warn!(partitions = ?moved, error = %e, "could not move leadership to preferred replicas")
            }
        }
    }

    /// Carries out one operation.
    async fn handle(&mut self, operation: Operation) -> Result<OperationReply, ControllerError> {
        let term = self.ensure_active().await?;
        let image = self.image();
        match operation {
            Operation::RegisterBroker(request) => {
                let now_ms = self.sessions.now_ms();
                let decision = brokers::register_broker(
                    &image,
                    &request.to_decision(),
                    &self.sessions.view(now_ms),
                    &self.election_policy,
                );
                let outcome = decision.response.map_err(|e| ControllerError::Rejected(e.into()))?;
                self.commit(term, decision.records).await?;
                self.sessions.touch(request.broker_id);
                let broker_epoch = match outcome {
                    RegistrationOutcome::AlreadyRegistered { broker_epoch } => broker_epoch,
                    RegistrationOutcome::Registered => {
                        self.image().brokers().get(request.broker_id).map(|b| b.epoch).ok_or_else(|| {
                            ControllerError::Internal(format!(
                                "broker {} is not registered after its registration",
                                request.broker_id
                            ))
                        })?
                    }
                };
                Ok(OperationReply::RegisterBroker(BrokerRegistrationReply { broker_epoch }))
            }
            Operation::BrokerHeartbeat(request) => {
                let decision = brokers::broker_heartbeat(&image, &request.to_decision(), &self.election_policy);
                let reply = decision.response.map_err(|e| ControllerError::Rejected(e.into()))?;
                // The heartbeat came from the registered incarnation: its session goes on.
                self.sessions.touch(request.broker_id);
                self.metadata_progress
                    .insert(request.broker_id, (request.current_metadata_offset, crate::quorum::wall_clock_ms()));
                self.commit(term, decision.records).await?;
                Ok(OperationReply::BrokerHeartbeat(BrokerHeartbeatReply {
                    is_caught_up: reply.is_caught_up,
                    is_fenced: reply.is_fenced,
                    should_shut_down: reply.should_shut_down,
                    controller_metadata_offset: self.image().position().offset,
                }))
            }
            Operation::UnregisterBroker(request) => {
                let decision = brokers::unregister_broker(&image, request.broker_id, &self.election_policy);
                decision.response.map_err(|e| ControllerError::Rejected(e.into()))?;
                self.commit(term, decision.records).await?;
                Ok(OperationReply::UnregisterBroker(()))
            }
            Operation::AlterPartition(request) => {
                let decision = partitions::alter_partition(&image, &request.to_decision());
                let results = decision.response.map_err(|e| ControllerError::Rejected(e.into()))?;
                self.commit(term, decision.records).await?;
                Ok(OperationReply::AlterPartition(results.into_iter().map(Into::into).collect()))
            }
            Operation::ElectLeaders(request) => {
                let targets = request.decision_partitions();
                let decision =
                    partitions::elect_leaders(&image, request.election_type.to_decision(), targets.as_deref());
                self.commit(term, decision.records).await?;
                Ok(OperationReply::ElectLeaders(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::AlterPartitionReassignments(request) => {
                let decision = reassignment::alter_partition_reassignments(
                    &image,
                    &request.to_decision(),
                    request.allow_replication_factor_change,
                );
                self.commit(term, decision.records).await?;
                for result in decision.response.iter().filter(|r| r.result.is_ok()) {
                    let target = request
                        .partitions
                        .iter()
                        .find(|p| p.topic == result.topic && p.partition == result.partition)
                        .and_then(|p| p.replicas.clone());
                    match target {
                        Some(replicas) => {
                            tracing::info!(topic = %result.topic, partition = %result.partition, ?replicas, "reassignment started")
                        }
                        None => {
                            tracing::info!(topic = %result.topic, partition = %result.partition, "reassignment cancelled")
                        }
                    }
                }
                Ok(OperationReply::AlterPartitionReassignments(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::CreateTopics(request) => {
                let decision = topics::create_topics(
                    &image,
                    &request.to_decision(),
                    &self.topic_defaults,
                    self.config_policy.as_ref(),
                    &mut self.random,
                );
                self.commit(term, decision.records).await?;
                Ok(OperationReply::CreateTopics(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::DeleteTopics(request) => {
                let decision = topics::delete_topics(&image, &request.to_decision(), self.delete_topic_enable);
                self.commit(term, decision.records).await?;
                Ok(OperationReply::DeleteTopics(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::CreatePartitions(request) => {
                let decision =
                    topics::create_partitions(&image, &request.to_decision(), request.validate_only, &mut self.random);
                self.commit(term, decision.records).await?;
                Ok(OperationReply::CreatePartitions(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::IncrementalAlterConfigs(request) => {
                let decision = configs::incremental_alter_configs(
                    &image,
                    &request.to_decision(),
                    request.validate_only,
                    self.config_policy.as_ref(),
                );
                self.commit(term, decision.records).await?;
                Ok(OperationReply::IncrementalAlterConfigs(decision.response.into_iter().map(Into::into).collect()))
            }
            Operation::AllocateProducerIds(request) => {
                let decision = producer_ids::allocate_producer_ids(&image, request.broker_id, request.broker_epoch);
                let block = decision.response.map_err(|e| ControllerError::Rejected(ApiError::from(e)))?;
                self.commit(term, decision.records).await?;
                Ok(OperationReply::AllocateProducerIds(ProducerIdBlock::from(block)))
            }
            Operation::DescribeQuorum(DescribeQuorumRequest) => {
                let status = self.raft.metrics().await.map_err(ControllerError::internal)?;
                // Observers: the registered brokers that are not voters (broker-only nodes).
                self.metadata_progress.retain(|id, _| image.brokers().get(*id).is_some());
                let observers: Vec<ObserverProgress> = image
                    .brokers()
                    .iter()
                    .filter(|b| !status.voters.iter().any(|v| Some(v.node_id) == node_id_from_kafka(b.id.get())))
                    .map(|b| {
                        let (offset, at_ms) = self.metadata_progress.get(&b.id).copied().unwrap_or((-1, -1));
                        ObserverProgress { node_id: b.id.get(), metadata_offset: offset, last_heartbeat_ms: at_ms }
                    })
                    .collect();
                let now_ms = crate::quorum::wall_clock_ms();
                Ok(OperationReply::DescribeQuorum(crate::quorum::describe(&status, &observers, now_ms)))
            }
        }
    }
}
