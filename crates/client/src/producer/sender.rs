//! The sender: one background task per producer drains ready batches into produce requests; one *lane*
//! task per broker builds (compresses) each request's batches and queues the request on the broker's
//! connection, in drain order; a task per request waits for the answer and settles each batch:
//! acknowledged, retried after a retriable error, or failed.
//!
//! The loop wakes when a batch is created or fills, when a request completes, on flush and close, and
//! when the earliest lingering batch or retry backoff is due. Requests to one broker are pipelined on its
//! connection, up to `max.in.flight.requests.per.connection`; queuing them from one lane keeps a
//! partition's batches in sequence order on the wire. Before draining, the loop brings topic metadata up
//! to date (after a leader change or a partition without a leader) and, for an idempotent producer whose
//! sequence broke, takes a new producer id once nothing is in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use flotilla_protocol::messages::{ProduceRequest, ProduceResponse};
use flotilla_protocol::{ApiKey, Uuid};
use tokio::sync::{mpsc, Notify};

use super::accumulator::{Accumulator, BatchMeta, Drained, SealedBatch};
use super::delivery::BatchAck;
use super::idempotence::{self, verdict, SequenceVerdict};
use crate::cluster::Client;
use crate::config::Acks;
use crate::connection::ResponseFuture;
use crate::error::ClientError;

/// What the producer handle and its tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: Client,
    pub(crate) state: Mutex<Accumulator>,
    /// Wakes the sender loop.
    pub(crate) wake: Notify,
    /// Signalled whenever batches complete (for flush and for `send` waiting on buffer space).
    pub(crate) progress: Notify,
    pub(crate) acks: Acks,
    pub(crate) request_timeout: Duration,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Accumulator> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The sender loop; returns when the producer is closed and nothing is left, or is closed hard.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut last_refresh: Option<Instant> = None;
    let mut last_metadata = Instant::now();
    let mut lanes: HashMap<NodeId, mpsc::UnboundedSender<Vec<Drained>>> = HashMap::new();
    loop {
        let notified = shared.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();

        let backoff = shared.client.config().retry_backoff;
        // Metadata: take any newer snapshot; refresh when asked to (at most once per backoff) and when
        // older than `metadata.max.age.ms`, which is how added partitions are noticed.
        let aged = last_metadata.elapsed() >= shared.client.config().metadata_max_age;
        let (needs_metadata, needs_identity, topics, generation) = {
            let state = shared.lock();
            if state.closed || (state.closing && state.is_idle()) {
                break;
            }
            let needs_identity = state.settings.idempotent
                && (state.identity.is_none() || state.reset_identity)
                && state.total_in_flight() == 0;
            let needs_metadata = state.needs_metadata || aged;
            let topics = if needs_metadata { state.topic_names() } else { Vec::new() };
            (needs_metadata, needs_identity, topics, state.metadata_generation)
        };

        let mut wakeup_for_refresh = None;
        if needs_metadata && !topics.is_empty() {
            let due = last_refresh.map_or(Instant::now(), |at| at + backoff);
            if Instant::now() >= due {
                last_refresh = Some(Instant::now());
                last_metadata = Instant::now();
                if let Err(e) = shared.client.refresh_after(shared.client.metadata().generation, topics).await {
                    tracing::debug!(error = %e, "producer metadata refresh failed");
                }
                shared.lock().needs_metadata = false;
            } else {
                wakeup_for_refresh = Some(due);
            }
        }
        let snapshot = shared.client.metadata();
        if snapshot.generation != generation {
            let mut state = shared.lock();
            for name in state.topic_names() {
                if let Some(topic) = snapshot.topic(&name).filter(|t| t.error == ErrorCode::None) {
                    state.set_topic(Arc::clone(topic));
                }
            }
            state.metadata_generation = snapshot.generation;
        }

        if needs_identity {
            match idempotence::init_producer_id(&shared.client).await {
                Ok(identity) => {
                    tracing::debug!(producer_id = identity.producer_id, epoch = identity.epoch, "producer id");
                    shared.lock().apply_identity(identity, idempotence::restamp);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "InitProducerId failed");
                    wakeup_for_refresh = Some(Instant::now() + backoff);
                }
            }
        }

        let outcome = shared.lock().drain(Instant::now());
        shared.progress.notify_waiters();
        let sent_any = !outcome.requests.is_empty();
        for (node, batches) in outcome.requests {
            let lane = lanes.entry(node).or_insert_with(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(lane(Arc::clone(&shared), node, rx));
                tx
            });
            if let Err(mpsc::error::SendError(batches)) = lane.send(batches) {
                // The lane ended (it never does while the loop runs); fail rather than lose the batches.
                finish(&shared, node, batches_of(batches), Err(ClientError::Closed("producer lane")));
            }
        }
        if sent_any {
            // More may be ready (several full batches of one partition, other leaders).
            continue;
        }
        let next = match (outcome.next_wakeup, wakeup_for_refresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
            Some(at) => {
                tokio::select! {
                    () = &mut notified => {}
                    () = tokio::time::sleep_until(at.into()) => {}
                }
            }
            None => notified.await,
        }
    }
    let error = ClientError::Closed("producer");
    shared.lock().abort_all(&error);
    shared.progress.notify_waiters();
}

/// Seals drained batches; those that fail to build are settled as failed right away by [`finish`].
type Sealed = (Vec<SealedBatch>, Vec<Box<(BatchMeta, ClientError)>>);

fn batches_of(drained: Vec<Drained>) -> Sealed {
    let mut batches = Vec::with_capacity(drained.len());
    let mut unbuilt = Vec::new();
    for d in drained {
        match d.seal() {
            Ok(batch) => batches.push(batch),
            Err(failed) => unbuilt.push(failed),
        }
    }
    (batches, unbuilt)
}

/// Sends the requests for one broker in the order they were drained: a partition's batches must reach
/// the broker in sequence order, so requests to one broker are queued on its connection one after the
/// other, here, and only the waiting for answers runs concurrently. Batches are built (compressed) here
/// too, in parallel with other brokers' lanes.
async fn lane(shared: Arc<Shared>, node: NodeId, mut requests: mpsc::UnboundedReceiver<Vec<Drained>>) {
    while let Some(drained) = requests.recv().await {
        let sealed = batches_of(drained);
        match dispatch(&shared, node, &sealed.0).await {
            Ok(Dispatched::Answered(answers)) => finish(&shared, node, sealed, Ok(answers)),
            Ok(Dispatched::Waiting { response, version, topic_ids }) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let answers =
                        response.wait().await.map(|r| match_answers(&r, node, version, &topic_ids, &sealed.0));
                    finish(&shared, node, sealed, answers);
                });
            }
            Err(error) => finish(&shared, node, sealed, Err(error)),
        }
    }
}

/// Settles every batch of one request and frees its in-flight slot.
fn finish(
    shared: &Shared,
    node: NodeId,
    sealed: Sealed,
    answers: Result<Vec<Result<BatchAck, ClientError>>, ClientError>,
) {
    let (batches, unbuilt) = sealed;
    let now = Instant::now();
    {
        let mut state = shared.lock();
        for failed in unbuilt {
            let (meta, error) = *failed;
            state.complete(meta, Err(error));
        }
        match answers {
            Ok(answers) => {
                for (batch, answer) in batches.into_iter().zip(answers) {
                    settle(&mut state, batch, answer, now);
                }
            }
            Err(error) => {
                tracing::debug!(node = node.get(), %error, "produce request failed");
                for batch in batches {
                    settle(&mut state, batch, Err(error.clone()), now);
                }
            }
        }
        state.request_done(node);
    }
    shared.progress.notify_waiters();
    shared.wake.notify_one();
}

/// Completes, retries or fails one batch from its partition's answer.
fn settle(state: &mut Accumulator, mut batch: SealedBatch, answer: Result<BatchAck, ClientError>, now: Instant) {
    let error = match answer {
        Ok(ack) => return state.complete(batch.meta, Ok(ack)),
        Err(error) => error,
    };
    let idempotent = state.settings.idempotent;
    if error.needs_metadata_refresh() {
        state.needs_metadata = true;
    }
    let earliest = state.is_earliest_unacked(&batch.meta) && !state.reset_identity;
    let judged = match &error {
        ClientError::Kafka { code, .. } => verdict(*code, idempotent, earliest),
        e if e.is_retriable() => SequenceVerdict::Retry,
        _ => SequenceVerdict::Fail,
    };
    batch.meta.attempts += 1;
    let expired = now.saturating_duration_since(batch.meta.created) >= state.settings.delivery_timeout;
    match judged {
        SequenceVerdict::Duplicate => {
            state.complete(batch.meta, Ok(BatchAck { base_offset: -1, log_append_time: -1 }));
        }
        SequenceVerdict::Retry if batch.meta.attempts <= state.settings.retries && !expired => {
            tracing::debug!(topic = %batch.meta.topic, partition = batch.meta.partition, %error, "retrying batch");
            state.requeue(batch, now);
        }
        SequenceVerdict::Retry | SequenceVerdict::FailAndReset | SequenceVerdict::Fail => {
            // An idempotent batch that fails for good leaves a gap in its partition's sequence.
            if idempotent {
                state.reset_identity = true;
            }
            state.complete(batch.meta, Err(error));
        }
    }
}

/// A produce request once queued.
enum Dispatched {
    /// `acks=0`: nothing will come back.
    Answered(Vec<Result<BatchAck, ClientError>>),
    Waiting {
        response: ResponseFuture<ProduceRequest>,
        version: i16,
        topic_ids: Vec<(Arc<str>, Uuid)>,
    },
}

/// Queues the produce request for `batches` (one per partition) on `node`'s connection.
async fn dispatch(shared: &Shared, node: NodeId, batches: &[SealedBatch]) -> Result<Dispatched, ClientError> {
    if batches.is_empty() {
        return Ok(Dispatched::Answered(Vec::new()));
    }
    let conn = shared.client.connection(node).await?;
    let mut version = conn.version_for(ApiKey::Produce)?;
    let metadata = shared.client.metadata();
    let mut topic_data: Vec<TopicProduceData> = Vec::new();
    let mut topic_ids: Vec<(Arc<str>, Uuid)> = Vec::new();
    for batch in batches {
        let topic = &*batch.meta.topic;
        let position = topic_data.iter().position(|t| &*t.name == topic);
        let entry = match position {
            Some(i) => &mut topic_data[i],
            None => {
                let topic_id = metadata.topic(topic).map_or(Uuid::nil(), |t| t.topic_id.get());
                topic_ids.push((Arc::clone(&batch.meta.topic), topic_id));
                topic_data.push(TopicProduceData { name: topic.into(), topic_id, ..Default::default() });
                let last = topic_data.len() - 1;
                &mut topic_data[last]
            }
        };
        entry.partition_data.push(PartitionProduceData {
            index: batch.meta.partition,
            records: Some(batch.bytes.clone()),
            ..Default::default()
        });
    }
    // Version 13 names topics by id only; without ids (older metadata) stay at 12.
    if version >= 13 && topic_data.iter().any(|t| t.topic_id.is_nil()) {
        version = 12;
    }
    let request = ProduceRequest {
        transactional_id: None,
        acks: shared.acks.as_i16(),
        timeout_ms: i32::try_from(shared.request_timeout.as_millis()).unwrap_or(i32::MAX),
        topic_data,
        ..Default::default()
    };
    if shared.acks == Acks::None {
        conn.send_no_response_at(&request, version).await?;
        let acks = batches.iter().map(|_| Ok(BatchAck { base_offset: -1, log_append_time: -1 })).collect();
        return Ok(Dispatched::Answered(acks));
    }
    let response = conn.send_pipelined(&request, version).await?;
    Ok(Dispatched::Waiting { response, version, topic_ids })
}

/// Each batch's answer in a produce response, in the order of `batches`.
fn match_answers(
    response: &ProduceResponse,
    node: NodeId,
    version: i16,
    topic_ids: &[(Arc<str>, Uuid)],
    batches: &[SealedBatch],
) -> Vec<Result<BatchAck, ClientError>> {
    batches
        .iter()
        .map(|batch| {
            let topic = &*batch.meta.topic;
            let topic_id = topic_ids.iter().find(|(t, _)| &**t == topic).map_or(Uuid::nil(), |(_, id)| *id);
            let answer = response
                .responses
                .iter()
                .filter(|t| if version >= 13 { t.topic_id == topic_id } else { &*t.name == topic })
                .flat_map(|t| t.partition_responses.iter())
                .find(|p| p.index == batch.meta.partition);
            match answer {
                None => Err(ClientError::Protocol {
                    node: node.get(),
                    reason: format!("produce response has no answer for {topic}-{}", batch.meta.partition),
                }),
                Some(p) if p.error_code == 0 => {
                    Ok(BatchAck { base_offset: p.base_offset, log_append_time: p.log_append_time_ms })
                }
                Some(p) => Err(ClientError::kafka(
                    p.error_code,
                    p.error_message.as_deref(),
                    format!("Produce to {topic}-{}", batch.meta.partition),
                )),
            }
        })
        .collect()
}
