//! Produce (key 0), versions 3-13; advertised from version 0 as Kafka 4 does (KAFKA-18659: librdkafka
//! before 2.10 turns compression off unless the broker lists Produce v0-v2). Requests at v0-v2 are still
//! refused: the connection closes, as Kafka's socket server does.
//!
//! Per partition, in request order: the topic is resolved by name (v3-v12) or id (v13+); an unknown one
//! is UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id). Kafka creates topics from Metadata
//! requests, not from Produce, so a producer to a missing topic gets this retriable error, refreshes
//! its metadata, and auto-creation (the Metadata handler's business) happens there. A partition led
//! elsewhere is NOT_LEADER_OR_FOLLOWER with the leader in `current_leader` (v10+, KIP-951); a partition
//! whose log dir is offline is KAFKA_STORAGE_ERROR. Each partition must carry exactly one batch
//! (INVALID_RECORD otherwise, as Kafka's `validateRecords`).
//!
//! The appends of one request run on one blocking thread, in order; see
//! [`crate::partition::append`] for what each does. Then:
//! - acks=0: nothing is answered (Kafka would also close the connection after an error; the handler
//!   interface cannot, so such a client learns of errors at its next metadata refresh);
//! - acks=1: answered at once;
//! - acks=all: each appended partition waits for its high watermark to pass the batch, all within the
//!   request's `timeout_ms`; REQUEST_TIMED_OUT for those that do not make it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flotilla_model::{ErrorCode, LeaderEpoch, NodeId, TopicId};
use flotilla_protocol::messages::produce_response::{LeaderIdAndEpoch, PartitionProduceResponse, TopicProduceResponse};
use flotilla_protocol::messages::{ProduceRequest, ProduceResponse};
use flotilla_protocol::records::Batches;
use flotilla_protocol::{ApiKey, VersionRange};
use tokio::time::Instant;
use tracing::warn;

use super::{partition_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::metrics::NodeMetrics;
use crate::partition::{wall_clock_ms, AppendOutcome, Partition, PartitionError, PartitionLookup, RequiredAcks};

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::Produce, versions: VersionRange { min: 3, max: 13 }, advertised_min: 0 };

/// Produce v13 names topics by id.
const TOPIC_IDS_FROM_VERSION: i16 = 13;

/// One partition to append to, and where its answer goes.
struct Append {
    topic: usize,
    partition: usize,
    target: Arc<Partition>,
    records: Bytes,
}

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: ProduceRequest) -> Option<ProduceResponse> {
    let by_id = ctx.api_version() >= TOPIC_IDS_FROM_VERSION;
    let acks = RequiredAcks::from_wire(request.acks);
    let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
    let deadline = Instant::now() + timeout;
    let partitions = broker.partitions();

    let mut responses = Vec::with_capacity(request.topic_data.len());
    let mut appends = Vec::new();
    for (topic_slot, topic) in request.topic_data.into_iter().enumerate() {
        let mut partition_responses = Vec::with_capacity(topic.partition_data.len());
        for (partition_slot, data) in topic.partition_data.into_iter().enumerate() {
            let mut answer = PartitionProduceResponse { index: data.index, ..Default::default() };
            let records = data.records.unwrap_or_default();
            let lookup = match acks {
                None => Err(ErrorCode::InvalidRequiredAcks),
                Some(_) if by_id => Ok(partitions.lookup_by_id(TopicId::new(topic.topic_id), data.index)),
                Some(_) => Ok(partitions.lookup(&topic.name, data.index)),
            };
            let found = lookup.and_then(|lookup| match lookup {
                PartitionLookup::Hosted(target) => Ok(target),
                PartitionLookup::NotHosted { leader, leader_epoch } => {
                    answer.current_leader = current_leader(leader, leader_epoch);
                    Err(ErrorCode::NotLeaderOrFollower)
                }
                PartitionLookup::Offline => Err(ErrorCode::KafkaStorageError),
                PartitionLookup::UnknownTopic if by_id => Err(ErrorCode::UnknownTopicId),
                PartitionLookup::UnknownTopic | PartitionLookup::UnknownPartition => {
                    Err(ErrorCode::UnknownTopicOrPartition)
                }
            });
            match found.and_then(|target| one_batch(&records).map(|()| target)) {
                Ok(target) => appends.push(Append { topic: topic_slot, partition: partition_slot, target, records }),
                Err(code) => set_error(&mut answer, code, None),
            }
            partition_responses.push(answer);
        }
        responses.push(TopicProduceResponse {
            name: topic.name,
            topic_id: topic.topic_id,
            partition_responses,
            ..Default::default()
        });
    }

    let acks = acks.unwrap_or(RequiredAcks::Leader);
    let outcomes = append_all(appends, acks, Arc::clone(broker.partitions().metrics())).await;
    for (topic, partition, target, outcome) in outcomes {
        let outcome = match (outcome, acks) {
            (Ok(appended), RequiredAcks::All) => wait_for_replicas(&target, appended, deadline).await,
            (outcome, _) => outcome,
        };
        let Some(answer) = responses.get_mut(topic).and_then(|t| t.partition_responses.get_mut(partition)) else {
            continue;
        };
        match outcome {
            Ok(appended) => {
                answer.base_offset = appended.first_offset.get();
                answer.log_append_time_ms = appended.log_append_time_ms;
                answer.log_start_offset = appended.log_start_offset.get();
            }
            Err(Failure::TimedOut) => set_error(answer, ErrorCode::RequestTimedOut, None),
            Err(Failure::Internal(message)) => set_error(answer, ErrorCode::UnknownServerError, Some(message)),
            Err(Failure::Partition(e)) => {
                if let PartitionError::NotLeader { leader, leader_epoch } = &e {
                    answer.current_leader = current_leader(*leader, *leader_epoch);
                }
                set_error(answer, partition_error_code(&e), Some(e.to_string()));
            }
        }
    }
    if acks == RequiredAcks::None {
        return None;
    }
    Some(ProduceResponse { responses, ..Default::default() })
}

/// Why a partition's produce failed.
enum Failure {
    Partition(PartitionError),
    TimedOut,
    Internal(String),
}

/// Produce v3+ carries exactly one batch per partition. Only the batch framing is walked here; what is
/// inside is the log's to validate (so a corrupt batch is reported as such, not as a count problem).
fn one_batch(records: &Bytes) -> Result<(), ErrorCode> {
    match Batches::new(records.clone()).verify_crc(false).take(2).count() {
        1 => Ok(()),
        _ => Err(ErrorCode::InvalidRecord),
    }
}

/// KIP-951: who leads instead, so the client can retry without a metadata round trip (v10+).
fn current_leader(leader: NodeId, leader_epoch: LeaderEpoch) -> LeaderIdAndEpoch {
    LeaderIdAndEpoch { leader_id: leader.get(), leader_epoch: leader_epoch.get(), ..Default::default() }
}

fn set_error(answer: &mut PartitionProduceResponse, code: ErrorCode, message: Option<String>) {
    answer.error_code = code.code();
    answer.base_offset = -1;
    answer.log_append_time_ms = -1;
    answer.log_start_offset = -1;
    answer.error_message = message.map(Into::into);
}

type Outcome = (usize, usize, Arc<Partition>, Result<AppendOutcome, PartitionError>);

/// Runs the appends of one request on a blocking thread, in request order.
async fn append_all(
    appends: Vec<Append>,
    acks: RequiredAcks,
    metrics: Arc<NodeMetrics>,
) -> Vec<(usize, usize, Arc<Partition>, Result<AppendOutcome, Failure>)> {
    if appends.is_empty() {
        return Vec::new();
    }
    let slots: Vec<(usize, usize, Arc<Partition>)> =
        appends.iter().map(|a| (a.topic, a.partition, a.target.clone())).collect();
    let now_ms = wall_clock_ms();
    let run = move || -> Vec<Outcome> {
        appends
            .into_iter()
            .map(|a| {
                let bytes = u64::try_from(a.records.len()).unwrap_or(u64::MAX);
                let outcome = a.target.append_records_as_leader(a.records, acks, now_ms);
                if let Ok(appended) = &outcome {
                    if !appended.duplicate {
                        metrics.bytes_in.inc_by(bytes);
                        let records = appended.last_offset.get() - appended.first_offset.get() + 1;
                        metrics.messages_in.inc_by(u64::try_from(records).unwrap_or(0));
                    }
                }
                (a.topic, a.partition, a.target, outcome)
            })
            .collect()
    };
    // An append is a write into the page cache, usually microseconds: handing it to the blocking pool
    // and back costs two thread wake-ups, which on a busy connection of small requests is most of the
    // request. `block_in_place` runs it here and lets the runtime move this worker's other tasks away
    // in case the disk does block. (A current-thread runtime, as in some tests, cannot do that.)
    let work = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(run)),
        _ => tokio::task::spawn_blocking(run).await,
    };
    match work {
        Ok(outcomes) => {
            outcomes.into_iter().map(|(t, p, target, r)| (t, p, target, r.map_err(Failure::Partition))).collect()
        }
        Err(e) => {
            warn!(error = %e, "produce append task failed");
            slots.into_iter().map(|(t, p, target)| (t, p, target, Err(Failure::Internal(e.to_string())))).collect()
        }
    }
}

/// acks=all: the high watermark must pass the batch before `deadline`.
async fn wait_for_replicas(
    target: &Partition,
    appended: AppendOutcome,
    deadline: Instant,
) -> Result<AppendOutcome, Failure> {
    match tokio::time::timeout_at(deadline, target.wait_for_high_watermark(appended.required_high_watermark())).await {
        Ok(Ok(())) => Ok(appended),
        Ok(Err(e)) => Err(Failure::Partition(e)),
        Err(_) => Err(Failure::TimedOut),
    }
}
