//! The leader's ISR upkeep (Kafka's `Partition.maybeShrinkIsr` / `maybeExpandIsr` and the
//! `AlterPartitionManager`): every [`ISR_CHECK_INTERVAL`] each partition this broker leads is asked
//! for an [`IsrProposal`](crate::partition::IsrProposal) (followers not caught up for
//! `replica.lag.time.max.ms` out, replicas at the high watermark back in), and the proposals go to
//! the controller in one AlterPartition with the leader and partition epochs. The controller commits
//! the change or refuses a stale one; either way the partition only changes when the committed image
//! arrives, so the ISR that counts for the high watermark is always the committed one.
//!
//! One proposal per partition at a time: once sent it is *pending*, and the leader's high watermark
//! waits for the members of both the committed and the proposed ISR (Kafka's maximal ISR, KIP-497),
//! because the controller may commit it and elect a leader from it before this leader hears back. The
//! next image (a new partition epoch) or a definite refusal ends it; a lost answer is followed by the
//! same proposal again after [`PROPOSAL_RETRY`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flotilla_controller::operations::{AlterPartitionItem, AlterPartitionRequest, IsrMember};
use flotilla_controller::{ControllerClient, ControllerClientExt, ControllerError};
use flotilla_metadata::BrokerEpoch;
use flotilla_model::{ErrorCode, NodeId, PartitionEpoch, TopicPartition};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::partition::{wall_clock_ms, IsrProposal, Partition, Partitions};

/// How often the leader reviews its ISRs. Kafka checks shrinks every `replica.lag.time.max.ms / 2`
/// and expands on each fetch; a short fixed period does both promptly and costs one lock per
/// partition.
pub const ISR_CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// How long the same proposal at the same partition epoch is not repeated: the time for its
/// committed result to reach this broker, or for a refusal's cause (a fenced follower) to pass.
pub const PROPOSAL_RETRY: Duration = Duration::from_secs(5);

/// Runs the ISR upkeep until `stop` is set. `broker_epoch` is this broker's registration epoch
/// (-1 until it registers: no proposals before).
pub async fn run_isr_upkeep(
    partitions: Arc<Partitions>,
    controller: Arc<dyn ControllerClient>,
    broker_epoch: Arc<AtomicI64>,
    lag_max_ms: i64,
    mut stop: watch::Receiver<bool>,
) {
    let local_node = partitions.local_node();
    let mut ticks = tokio::time::interval(ISR_CHECK_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last proposal made per partition: the partition epoch it was made in, the ISR, when.
    let mut proposed: HashMap<TopicPartition, (PartitionEpoch, Vec<NodeId>, Instant)> = HashMap::new();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let epoch = broker_epoch.load(Ordering::SeqCst);
        if epoch < 0 {
            continue;
        }
        let now_ms = wall_clock_ms();
        let proposals: Vec<(Arc<Partition>, IsrProposal)> = partitions
            .hosted()
            .into_iter()
            .filter_map(|p| {
                // A pending proposal whose answer was lost is sent again; otherwise a new one, if any.
                let proposal = p.pending_isr_proposal().or_else(|| p.isr_proposal(now_ms, lag_max_ms))?;
                Some((p, proposal))
            })
            .filter(|(p, proposal)| match proposed.get(p.topic_partition()) {
                Some((partition_epoch, isr, at)) => {
                    *partition_epoch != proposal.partition_epoch
                        || *isr != proposal.new_isr
                        || at.elapsed() >= PROPOSAL_RETRY
                }
                None => true,
            })
            .collect();
        proposed.retain(|_, (_, _, at)| at.elapsed() < PROPOSAL_RETRY);
        if proposals.is_empty() {
            continue;
        }
        for (partition, proposal) in &proposals {
            let change = if proposal.new_isr.len() < proposal.current_isr.len() { "shrink" } else { "expand" };
            info!(
                partition = %partition.topic_partition(), isr = ?proposal.current_isr, new_isr = ?proposal.new_isr,
                leader_epoch = %proposal.leader_epoch, partition_epoch = %proposal.partition_epoch,
                reason = if change == "shrink" {
                    "a follower has not caught up within replica.lag.time.max.ms"
                } else {
                    "a follower caught up with the high watermark"
                },
                "proposing an ISR {change}"
            );
            proposed.insert(
                partition.topic_partition().clone(),
                (proposal.partition_epoch, proposal.new_isr.clone(), Instant::now()),
            );
            partition.mark_pending_isr(proposal);
        }
        let request = AlterPartitionRequest {
            broker_id: local_node,
            broker_epoch: BrokerEpoch::new(epoch),
            partitions: proposals
                .iter()
                .map(|(partition, proposal)| AlterPartitionItem {
                    topic_id: partition.topic_id(),
                    partition: partition.topic_partition().partition,
                    leader_epoch: proposal.leader_epoch,
                    partition_epoch: proposal.partition_epoch,
                    new_isr: proposal
                        .new_isr
                        .iter()
                        .map(|&broker_id| IsrMember { broker_id, broker_epoch: None })
                        .collect(),
                })
                .collect(),
        };
        // Bounded, so a controller that stopped answering holds the proposals back only until the retry.
        let answered = tokio::select! {
            answered = tokio::time::timeout(PROPOSAL_RETRY, controller.alter_partition(request)) => {
                answered.unwrap_or_else(|_| Err(ControllerError::Unreachable("no answer in time".to_owned())))
            }
            _ = stop.wait_for(|s| *s) => return,
        };
        match answered {
            Ok(results) => {
                for result in results {
                    let this = |(p, _): &&(Arc<Partition>, IsrProposal)| {
                        p.topic_id() == result.topic_id && p.topic_partition().partition == result.partition
                    };
                    match result.result {
                        Ok(state) => {
                            debug!(topic_id = %result.topic_id, partition = %result.partition, isr = ?state.isr, "ISR change committed");
                            if let Some((_, proposal)) = proposals.iter().find(this) {
                                let metrics = partitions.metrics();
                                match state.isr.len().cmp(&proposal.current_isr.len()) {
                                    std::cmp::Ordering::Less => metrics.isr_shrinks.inc(),
                                    std::cmp::Ordering::Greater => metrics.isr_expands.inc(),
                                    std::cmp::Ordering::Equal => {}
                                }
                            }
                        }
                        Err(e) => {
                            info!(topic_id = %result.topic_id, partition = %result.partition, error = %e, "the controller refused an ISR change");
                            // A stale epoch means the partition changed (perhaps by this very proposal,
                            // committed before a lost answer): the next image settles it. Any other
                            // refusal is definite: only the committed ISR counts again.
                            let stale = matches!(
                                e.code(),
                                ErrorCode::InvalidUpdateVersion
                                    | ErrorCode::FencedLeaderEpoch
                                    | ErrorCode::NotLeaderOrFollower
                            );
                            if let (false, Some((partition, proposal))) = (stale, proposals.iter().find(this)) {
                                partition.clear_pending_isr(proposal.partition_epoch);
                            }
                        }
                    }
                }
            }
            Err(e) => {
                // The outcome is unknown: the proposals stay pending (the high watermark keeps waiting
                // for their members too) and are sent again after PROPOSAL_RETRY.
                warn!(error = %e, "AlterPartition failed; sending the proposals again after the retry interval");
            }
        }
    }
}
