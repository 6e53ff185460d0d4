//! [`ReplicaFetchLeader`]: the leader's side of replication, the `ReplicaFetchService` of
//! `proto/replication.proto` (Kafka's handling of a Fetch with a replica id).
//!
//! Each stream is one follower's fetch session with this broker; its requests are answered in order.
//! A request is answered as soon as it has `min_bytes` of records, an error or a diverged partition
//! to report, or after `max_wait_ms`; until then it is parked on the partitions' append signals
//! (subscribed before the first read, so no append is missed). Every read goes through
//! [`Partition::read_for_follower`], which records the follower's fetch offset as its log end offset
//! and advances the high watermark: that is how acks=all produce requests complete.
//!
//! Limits: at most [`MAX_FETCH_SESSIONS`] streams at once, the wait is capped at [`MAX_WAIT_MS_CAP`],
//! the bytes of one answer at [`MAX_RESPONSE_BYTES_CAP`], and a request may name at most
//! [`MAX_PARTITIONS_PER_REQUEST`] partitions; gRPC caps the message sizes.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use flotilla_model::ErrorCode;
use flotilla_model::{LeaderEpoch, NodeId, Offset, PartitionIndex, TopicId};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::debug;

use super::proto::replica_fetch_service_server::{ReplicaFetchService, ReplicaFetchServiceServer};
use super::proto::{FollowerFetchRequest, FollowerFetchResponse, PartitionData, PartitionFetch};
use super::wire::{partition_data, topic_id_from_wire, topic_id_to_wire};
use crate::handlers::fetch::any_changed;
use crate::handlers::partition_error_code;
use crate::partition::{FollowerRead, Partition, PartitionLookup, Partitions};

/// Longest a follower's request may be parked.
pub const MAX_WAIT_MS_CAP: u32 = 30_000;
/// Most record bytes in one answer, whatever the follower asks.
pub const MAX_RESPONSE_BYTES_CAP: u32 = 64 << 20;
/// Most partitions one request may name.
pub const MAX_PARTITIONS_PER_REQUEST: usize = 100_000;
/// Most fetch streams served at once (a follower opens one per leader; more means a misbehaving peer).
pub const MAX_FETCH_SESSIONS: usize = 1_024;
/// Largest gRPC message either way: a full answer plus its framing.
pub const MAX_MESSAGE_BYTES: usize = (MAX_RESPONSE_BYTES_CAP as usize) + (8 << 20);

/// The replication service. It answers `UNAVAILABLE` until the node's partitions are open
/// ([`ReplicaFetchLeader::serve`]): the service is registered with the controller listener's gRPC
/// server, which starts before the logs are recovered.
#[derive(Debug, Clone)]
pub struct ReplicaFetchLeader {
    partitions: Arc<OnceLock<Arc<Partitions>>>,
    sessions: Arc<Semaphore>,
}

impl Default for ReplicaFetchLeader {
    fn default() -> Self {
        Self { partitions: Arc::default(), sessions: Arc::new(Semaphore::new(MAX_FETCH_SESSIONS)) }
    }
}

impl ReplicaFetchLeader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts answering follower fetches from `partitions`.
    pub fn serve(&self, partitions: Arc<Partitions>) {
        let _ = self.partitions.set(partitions);
    }

    /// The tonic service to add to a gRPC server.
    pub fn into_service(self) -> ReplicaFetchServiceServer<Self> {
        ReplicaFetchServiceServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }
}

#[tonic::async_trait]
impl ReplicaFetchService for ReplicaFetchLeader {
    type FetchStream = ReceiverStream<Result<FollowerFetchResponse, Status>>;

    async fn fetch(
        &self,
        request: Request<Streaming<FollowerFetchRequest>>,
    ) -> Result<Response<Self::FetchStream>, Status> {
        let partitions =
            self.partitions.get().cloned().ok_or_else(|| Status::unavailable("the broker's logs are not open yet"))?;
        let session = Arc::clone(&self.sessions).try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!("this broker serves at most {MAX_FETCH_SESSIONS} fetch streams"))
        })?;
        let mut inbound = request.into_inner();
        // One answer in flight: the follower sends its next request only after reading this one.
        let (answers, outbound) = mpsc::channel(1);
        tokio::spawn(async move {
            let _session = session;
            loop {
                let request = match inbound.message().await {
                    Ok(Some(request)) => request,
                    Ok(None) => break,
                    Err(status) => {
                        debug!(error = %status, "a follower's fetch stream ended");
                        break;
                    }
                };
                let answer = answer_fetch(&partitions, request).await;
                if let Ok(answer) = &answer {
                    let bytes: usize = answer.partitions.iter().map(|p| p.records.len()).sum();
                    partitions.metrics().replication_bytes_out.inc_by(u64::try_from(bytes).unwrap_or(u64::MAX));
                }
                let failed = answer.is_err();
                if answers.send(answer).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(outbound)))
    }
}

/// One partition of a request, resolved.
struct Target {
    topic_id: TopicId,
    partition: PartitionIndex,
    read: FollowerRead,
    /// The hosted partition, or the error code for one this broker cannot serve.
    hosted: Result<Arc<Partition>, ErrorCode>,
}

/// Answers one follower request: reads now, parks while fewer than `min_bytes` are available.
async fn answer_fetch(
    partitions: &Arc<Partitions>,
    request: FollowerFetchRequest,
) -> Result<FollowerFetchResponse, Status> {
    if request.partitions.len() > MAX_PARTITIONS_PER_REQUEST {
        return Err(Status::invalid_argument(format!(
            "a fetch may name at most {MAX_PARTITIONS_PER_REQUEST} partitions, not {}",
            request.partitions.len()
        )));
    }
    let follower = NodeId::new(request.replica_id);
    let max_wait = Duration::from_millis(u64::from(request.max_wait_ms.min(MAX_WAIT_MS_CAP)));
    let max_bytes = request.max_bytes.min(MAX_RESPONSE_BYTES_CAP) as usize;
    let min_bytes = request.min_bytes as usize;
    let deadline = Instant::now() + max_wait;
    let targets = request
        .partitions
        .into_iter()
        .map(|fetch| resolve(partitions, fetch))
        .collect::<Result<Vec<Target>, Status>>()?;

    let mut appends: Vec<watch::Receiver<Offset>> =
        targets.iter().filter_map(|t| t.hosted.as_ref().ok()).map(|p| p.subscribe_appends()).collect();
    loop {
        for receiver in &mut appends {
            receiver.borrow_and_update();
        }
        let (answer, available, must_answer) = read_all(follower, &targets, max_bytes);
        if must_answer || available >= min_bytes || appends.is_empty() || Instant::now() >= deadline {
            return Ok(answer);
        }
        if tokio::time::timeout_at(deadline, any_changed(&mut appends)).await.is_err() {
            // Timed out: one last read, so data that arrived at the deadline is not missed.
            return Ok(read_all(follower, &targets, max_bytes).0);
        }
    }
}

fn resolve(partitions: &Partitions, fetch: PartitionFetch) -> Result<Target, Status> {
    let topic_id = topic_id_from_wire(&fetch.topic_id)
        .ok_or_else(|| Status::invalid_argument(format!("a topic id is 16 bytes, not {}", fetch.topic_id.len())))?;
    let partition = PartitionIndex::new(fetch.partition);
    let hosted = match partitions.lookup_by_id(topic_id, fetch.partition) {
        PartitionLookup::Hosted(hosted) => Ok(hosted),
        // The follower's metadata is ahead of or behind ours; it retries after its next image.
        PartitionLookup::NotHosted { .. } => Err(ErrorCode::NotLeaderOrFollower),
        PartitionLookup::Offline => Err(ErrorCode::KafkaStorageError),
        PartitionLookup::UnknownTopic | PartitionLookup::UnknownPartition => Err(ErrorCode::UnknownTopicOrPartition),
    };
    Ok(Target {
        topic_id,
        partition,
        read: FollowerRead {
            fetch_offset: Offset::new(fetch.fetch_offset),
            max_bytes: fetch.max_bytes as usize,
            current_leader_epoch: LeaderEpoch::new(fetch.current_leader_epoch),
            last_fetched_epoch: LeaderEpoch::new(fetch.last_fetched_epoch),
        },
        hosted,
    })
}

/// Reads every target (blocking I/O, in place on this worker as produce appends are). Returns the
/// answer, the record bytes in it, and whether it must go out now (an error or a divergence).
fn read_all(follower: NodeId, targets: &[Target], max_bytes: usize) -> (FollowerFetchResponse, usize, bool) {
    let read = || {
        let now_ms = crate::partition::wall_clock_ms();
        let mut answer = FollowerFetchResponse { partitions: Vec::with_capacity(targets.len()) };
        let mut available = 0usize;
        let mut must_answer = false;
        for target in targets {
            let remaining = max_bytes.saturating_sub(available);
            let data = match &target.hosted {
                Ok(partition) => {
                    // The first partition with data gets at least one batch, as Kafka's min-one-message.
                    let read = FollowerRead { max_bytes: target.read.max_bytes.min(remaining), ..target.read };
                    let outcome = if remaining == 0 && available > 0 {
                        None
                    } else {
                        Some(partition.read_for_follower(follower, read, now_ms))
                    };
                    match outcome {
                        None => skipped(target),
                        Some(Ok(result)) => {
                            must_answer |= result.diverging_epoch.is_some();
                            available += result.records.len();
                            partition_data(target.topic_id, target.partition, result, partition.log().log_end_offset())
                        }
                        Some(Err(e)) => {
                            must_answer = true;
                            failed(target, partition_error_code(&e), Some(partition))
                        }
                    }
                }
                Err(code) => {
                    must_answer = true;
                    failed(target, *code, None)
                }
            };
            answer.partitions.push(data);
        }
        (answer, available, must_answer)
    };
    crate::partition::run_in_place(read)
}

/// A partition left out of this answer because the response is full.
fn skipped(target: &Target) -> PartitionData {
    PartitionData {
        topic_id: topic_id_to_wire(target.topic_id),
        partition: target.partition.get(),
        error_code: 0,
        high_watermark: -1,
        log_start_offset: -1,
        log_end_offset: -1,
        diverging_epoch: None,
        records: bytes::Bytes::new(),
    }
}

fn failed(target: &Target, code: ErrorCode, partition: Option<&Arc<Partition>>) -> PartitionData {
    let log = partition.map(|p| p.log());
    PartitionData {
        topic_id: topic_id_to_wire(target.topic_id),
        partition: target.partition.get(),
        error_code: i32::from(code.code()),
        high_watermark: log.map_or(-1, |l| l.high_watermark().get()),
        log_start_offset: log.map_or(-1, |l| l.log_start_offset().get()),
        log_end_offset: log.map_or(-1, |l| l.log_end_offset().get()),
        diverging_epoch: None,
        records: bytes::Bytes::new(),
    }
}
