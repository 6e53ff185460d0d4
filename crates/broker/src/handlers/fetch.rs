//! Fetch (key 1), versions 4-18: consumers reading partitions, with long polling.
//!
//! - Partitions are resolved by name (v4-v12) or topic id (v13+; UNKNOWN_TOPIC_ID when unknown). A
//!   partition not led here is NOT_LEADER_OR_FOLLOWER with `current_leader` (v12+); a stale or future
//!   `current_leader_epoch` is FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
//! - Each partition is read from its fetch offset up to the high watermark (read_uncommitted) or last
//!   stable offset (read_committed; equal for now, so `aborted_transactions` is an empty list), within
//!   its `partition_max_bytes` and what is left of the response's `max_bytes` (capped by the broker's
//!   `fetch.max.bytes`). The first partition that returns data returns at least one whole batch even
//!   if it is larger (Kafka's min-one-message), so a consumer is never stuck behind a big batch. An
//!   offset outside the log is OFFSET_OUT_OF_RANGE, with the high watermark and log start offset.
//!   Records are the stored bytes, passed to the socket without a copy.
//! - Long poll: if fewer than `min_bytes` are available, no read failed and some partition is hosted
//!   here, the fetch waits up to `max_wait_ms` for any of its partitions' high watermarks to move,
//!   then reads again (unknown topics or partitions are answered in the response but do not end the
//!   wait, as in Kafka). At most
//!   [`crate::BrokerLimits::max_parked_fetches`] wait at once; past that a fetch answers with what it
//!   has.
//! - Fetch sessions (KIP-227) are not implemented; every fetch is sessionless. A full fetch (session
//!   epoch 0 or -1) is answered with session id 0, which both Java clients (they keep sending full
//!   fetches) and librdkafka (which does not use sessions) accept. An incremental fetch (epoch > 0)
//!   names a session this broker never created: FETCH_SESSION_ID_NOT_FOUND, and the client starts over
//!   with a full fetch.
//! - Follower fetches (replica id ≥ 0) arrive with replication (issue 4); until then they are answered
//!   NOT_LEADER_OR_FOLLOWER.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use flotilla_model::{ErrorCode, LeaderEpoch, NodeId, Offset, TopicId};
use flotilla_protocol::messages::fetch_response::{
    EpochEndOffset, FetchableTopicResponse, LeaderIdAndEpoch, PartitionData,
};
use flotilla_protocol::messages::{FetchRequest, FetchResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use flotilla_storage::StorageError;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::warn;

use super::{partition_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::partition::{ConsumerRead, Isolation, Partition, PartitionError, PartitionLookup, ReadResult};

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::Fetch, versions: VersionRange { min: 4, max: 18 }, advertised_min: 4 };

/// Fetch v13 names topics by id.
const TOPIC_IDS_FROM_VERSION: i16 = 13;
/// Fetch v15 moved the replica id into `replica_state`.
const REPLICA_STATE_FROM_VERSION: i16 = 15;
/// The session epoch of a full fetch that opens a session, and of a sessionless one.
const INITIAL_EPOCH: i32 = 0;
const FINAL_EPOCH: i32 = -1;
/// An upper bound on `max_wait_ms`, so a hostile value cannot park a request for weeks.
const MAX_WAIT_CAP: Duration = Duration::from_secs(30 * 60);

/// One partition to read, and where its answer goes.
#[derive(Clone)]
struct Target {
    topic: usize,
    partition: usize,
    source: Arc<Partition>,
    fetch_offset: Offset,
    partition_max_bytes: usize,
    current_leader_epoch: LeaderEpoch,
    last_fetched_epoch: LeaderEpoch,
}

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: FetchRequest) -> FetchResponse {
    let version = ctx.api_version();
    if request.session_epoch != INITIAL_EPOCH && request.session_epoch != FINAL_EPOCH {
        return FetchResponse { error_code: ErrorCode::FetchSessionIdNotFound.code(), ..Default::default() };
    }
    let by_id = version >= TOPIC_IDS_FROM_VERSION;
    let replica_id =
        if version >= REPLICA_STATE_FROM_VERSION { request.replica_state.replica_id } else { request.replica_id };
    let isolation = Isolation::from_wire(request.isolation_level);
    let response_max_bytes = usize::try_from(request.max_bytes.min(broker.config().fetch_max_bytes)).unwrap_or(0);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let max_wait = Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0)).min(MAX_WAIT_CAP);
    let deadline = Instant::now() + max_wait;
    let partitions = broker.partitions();

    let mut responses = Vec::with_capacity(request.topics.len());
    let mut targets = Vec::new();
    let mut failed = false;
    for (topic_slot, topic) in request.topics.into_iter().enumerate() {
        let mut answers = Vec::with_capacity(topic.partitions.len());
        for (partition_slot, wanted) in topic.partitions.into_iter().enumerate() {
            let mut answer = empty_answer(wanted.partition, isolation);
            let lookup = if replica_id >= 0 {
                // Replication (issue 4) will serve these.
                PartitionLookup::NotHosted { leader: NodeId::NONE, leader_epoch: LeaderEpoch::UNKNOWN }
            } else if by_id {
                partitions.lookup_by_id(TopicId::new(topic.topic_id), wanted.partition)
            } else {
                partitions.lookup(&topic.topic, wanted.partition)
            };
            // Kafka answers at once when reading a partition fails (not the leader, storage), but a
            // partition it does not know is only an entry in the answer: the others may still be waited on.
            let (error, answers_now) = match lookup {
                PartitionLookup::Hosted(source) => {
                    targets.push(Target {
                        topic: topic_slot,
                        partition: partition_slot,
                        source,
                        fetch_offset: Offset::new(wanted.fetch_offset),
                        partition_max_bytes: usize::try_from(wanted.partition_max_bytes).unwrap_or(0),
                        current_leader_epoch: LeaderEpoch::new(wanted.current_leader_epoch),
                        last_fetched_epoch: LeaderEpoch::new(wanted.last_fetched_epoch),
                    });
                    (None, false)
                }
                PartitionLookup::NotHosted { leader, leader_epoch } => {
                    answer.current_leader = leader_and_epoch(leader, leader_epoch);
                    (Some(ErrorCode::NotLeaderOrFollower), true)
                }
                PartitionLookup::Offline => (Some(ErrorCode::KafkaStorageError), true),
                PartitionLookup::UnknownTopic if by_id => (Some(ErrorCode::UnknownTopicId), false),
                PartitionLookup::UnknownTopic | PartitionLookup::UnknownPartition => {
                    (Some(ErrorCode::UnknownTopicOrPartition), false)
                }
            };
            if let Some(code) = error {
                answer.error_code = code.code();
                failed |= answers_now;
            }
            answers.push(answer);
        }
        responses.push(FetchableTopicResponse {
            topic: topic.topic,
            topic_id: topic.topic_id,
            partitions: answers,
            ..Default::default()
        });
    }

    // Subscribed before the first read: an append between a read and the wait still wakes us.
    let mut changes: Vec<watch::Receiver<Offset>> = targets.iter().map(|t| t.source.subscribe()).collect();
    let mut parked = None;
    loop {
        for receiver in &mut changes {
            receiver.borrow_and_update();
        }
        let reads = read_all(&targets, response_max_bytes, isolation).await;
        let available: usize = reads.iter().map(|r| r.as_ref().map_or(0, |r| r.records.len())).sum();
        // As Kafka's `fetchMessages`: answer now on a read error or a diverged client log too.
        let any_error = reads.iter().any(|r| r.as_ref().map_or(true, |r| r.diverging_epoch.is_some()));
        let done = failed || targets.is_empty() || any_error || available >= min_bytes || Instant::now() >= deadline;
        if !done {
            if parked.is_none() {
                parked = broker.park_fetch();
            }
            if parked.is_some() {
                if tokio::time::timeout_at(deadline, any_changed(&mut changes)).await.is_ok() {
                    continue;
                }
                // Timed out: one last read below, so data that arrived at the deadline is not missed.
                let reads = read_all(&targets, response_max_bytes, isolation).await;
                let bytes = fill(&mut responses, &targets, reads, version);
                broker.partitions().metrics().bytes_out.inc_by(bytes);
                return FetchResponse { responses, ..Default::default() };
            }
        }
        let bytes = fill(&mut responses, &targets, reads, version);
        broker.partitions().metrics().bytes_out.inc_by(bytes);
        return FetchResponse { responses, ..Default::default() };
    }
}

/// The answer of a partition before it is read: nothing, no error.
fn empty_answer(partition: i32, isolation: Isolation) -> PartitionData {
    PartitionData {
        partition_index: partition,
        high_watermark: -1,
        last_stable_offset: -1,
        log_start_offset: -1,
        aborted_transactions: match isolation {
            Isolation::ReadCommitted => Some(Vec::new()),
            Isolation::ReadUncommitted => None,
        },
        records: Some(Bytes::new()),
        ..Default::default()
    }
}

fn leader_and_epoch(leader: NodeId, leader_epoch: LeaderEpoch) -> LeaderIdAndEpoch {
    LeaderIdAndEpoch { leader_id: leader.get(), leader_epoch: leader_epoch.get(), ..Default::default() }
}

/// Reads every target on a blocking thread, in request order, sharing the response byte budget.
async fn read_all(
    targets: &[Target],
    response_max_bytes: usize,
    isolation: Isolation,
) -> Vec<Result<ReadResult, PartitionError>> {
    if targets.is_empty() {
        return Vec::new();
    }
    let work: Vec<Target> = targets.to_vec();
    let count = work.len();
    let task = tokio::task::spawn_blocking(move || {
        let mut budget = response_max_bytes;
        let mut min_one_message = true;
        work.iter()
            .map(|t| {
                let read = t.source.read_for_consumer(ConsumerRead {
                    fetch_offset: t.fetch_offset,
                    max_bytes: t.partition_max_bytes.min(budget),
                    min_one_message,
                    isolation,
                    current_leader_epoch: t.current_leader_epoch,
                    last_fetched_epoch: t.last_fetched_epoch,
                });
                if let Ok(result) = &read {
                    if !result.records.is_empty() {
                        budget = budget.saturating_sub(result.records.len());
                        min_one_message = false;
                    }
                }
                read
            })
            .collect()
    });
    match task.await {
        Ok(reads) => reads,
        Err(e) => {
            warn!(error = %e, "fetch read task failed");
            (0..count)
                .map(|_| {
                    Err(PartitionError::Storage(StorageError::InvalidArgument {
                        reason: format!("read task failed: {e}"),
                    }))
                })
                .collect()
        }
    }
}

/// A wait for one partition's next change.
type ChangeWait<'a> = Pin<Box<dyn Future<Output = Result<(), watch::error::RecvError>> + Send + 'a>>;

/// Resolves when any receiver sees a change (or its partition is dropped).
pub(crate) async fn any_changed(receivers: &mut [watch::Receiver<Offset>]) {
    let mut waits: Vec<ChangeWait<'_>> =
        receivers.iter_mut().map(|r| Box::pin(r.changed()) as ChangeWait<'_>).collect();
    std::future::poll_fn(|cx| {
        if waits.iter_mut().any(|w| w.as_mut().poll(cx).is_ready()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Writes each read into its slot of the response; returns the record bytes written.
fn fill(
    responses: &mut [FetchableTopicResponse],
    targets: &[Target],
    reads: Vec<Result<ReadResult, PartitionError>>,
    version: i16,
) -> u64 {
    let mut written = 0u64;
    for (target, read) in targets.iter().zip(reads) {
        let Some(answer) = responses.get_mut(target.topic).and_then(|t| t.partitions.get_mut(target.partition)) else {
            continue;
        };
        match read {
            Ok(read) => {
                answer.high_watermark = read.high_watermark.get();
                answer.last_stable_offset = read.last_stable_offset.get();
                answer.log_start_offset = read.log_start_offset.get();
                if let Some((epoch, end_offset)) = read.diverging_epoch {
                    answer.diverging_epoch =
                        EpochEndOffset { epoch: epoch.get(), end_offset: end_offset.get(), ..Default::default() };
                }
                written += u64::try_from(read.records.len()).unwrap_or(u64::MAX);
                answer.records = Some(read.records);
            }
            Err(e) => {
                answer.error_code = partition_error_code(&e).code();
                match &e {
                    PartitionError::NotLeader { leader, leader_epoch } if version >= 12 => {
                        answer.current_leader = leader_and_epoch(*leader, *leader_epoch);
                    }
                    PartitionError::Storage(StorageError::OffsetOutOfRange { log_start_offset, .. }) => {
                        answer.high_watermark = target.source.high_watermark().get();
                        answer.log_start_offset = log_start_offset.get();
                    }
                    _ => {}
                }
            }
        }
    }
    written
}
