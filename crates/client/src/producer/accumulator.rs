//! The record accumulator: per-partition queues of batches, built record by record, and the choice of
//! which batches are sent next.
//!
//! Records are appended straight into the open batch of their partition with [`RecordBatchBuilder`], so a
//! record costs no allocation of its own. A batch closes when it reaches `batch.size`; it is *ready* when it
//! is closed, has waited `linger.ms`, or a flush is under way. [`Accumulator::drain`] takes ready batches,
//! at most one per partition per request and up to `max.request.size` per request, for leaders that have
//! fewer than `max.in.flight.requests.per.connection` requests outstanding.
//!
//! Ordering: a batch that failed with a retriable error goes back to its partition's retry queue, sorted by
//! the order batches were first drained. While a partition has batches waiting for a retry, nothing newer is
//! sent for it, and the retries go only once the partition has nothing in flight, so batches reach the log
//! in the order they were produced (with idempotence, the broker's sequence checks make this exact).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use flotilla_model::NodeId;
use flotilla_protocol::records::{Compression, RecordBatchBuilder, RecordHeader, NO_SEQUENCE, RECORD_BATCH_OVERHEAD};

use super::delivery::{BatchAck, BatchDelivery, DeliveryFuture};
use super::idempotence::{next_sequence, ProducerIdentity};
use super::partitioner::{partition_for_key, Rng, StickyPartition};
use crate::config::ProducerConfig;
use crate::error::ClientError;
use crate::metadata::TopicMetadata;

/// Per-record bytes beyond key, value and headers: length, attributes, deltas and length prefixes.
const RECORD_OVERHEAD_BYTES: usize = 21;

/// A batch still taking records.
#[derive(Debug)]
pub(crate) struct OpenBatch {
    builder: RecordBatchBuilder,
    created: Instant,
    full: bool,
    delivery: Arc<BatchDelivery>,
    /// Bytes counted against `buffer.memory`.
    buffered: usize,
}

/// What stays with a batch from the moment it is drained until it completes.
#[derive(Debug)]
pub(crate) struct BatchMeta {
    /// Drain order within the producer; retries are sorted by it.
    pub(crate) id: u64,
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    pub(crate) record_count: i32,
    /// [`NO_SEQUENCE`] unless idempotent.
    pub(crate) base_sequence: i32,
    pub(crate) created: Instant,
    pub(crate) attempts: u32,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) delivery: Arc<BatchDelivery>,
    pub(crate) buffered: usize,
}

/// A built batch, ready to be sent (again).
#[derive(Debug)]
pub(crate) struct SealedBatch {
    pub(crate) meta: BatchMeta,
    pub(crate) bytes: Bytes,
}

/// A drained batch: built in the request task (so compression runs outside the lock), or already built.
#[derive(Debug)]
pub(crate) enum Drained {
    Build { meta: BatchMeta, builder: RecordBatchBuilder, identity: Option<ProducerIdentity> },
    Sealed(SealedBatch),
}

impl Drained {
    /// Builds the batch if needed.
    pub(crate) fn seal(self) -> Result<SealedBatch, Box<(BatchMeta, ClientError)>> {
        match self {
            Drained::Sealed(batch) => Ok(batch),
            Drained::Build { meta, builder, identity } => {
                let builder = match identity {
                    Some(id) => builder.producer(id.producer_id, id.epoch, meta.base_sequence),
                    None => builder,
                };
                match builder.build() {
                    Ok(bytes) => Ok(SealedBatch { meta, bytes }),
                    Err(e) => Err(Box::new((meta, e.into()))),
                }
            }
        }
    }
}

/// One partition's queues.
#[derive(Debug, Default)]
pub(crate) struct PartitionQueue {
    open: VecDeque<OpenBatch>,
    retries: VecDeque<SealedBatch>,
    in_flight: usize,
    next_sequence: i32,
    /// Ids of drained batches not yet completed, in drain order.
    unacked: VecDeque<u64>,
}

/// One topic's partitions and keyless-record stickiness.
#[derive(Debug)]
pub(crate) struct TopicQueues {
    name: Arc<str>,
    metadata: Arc<TopicMetadata>,
    partitions: Vec<PartitionQueue>,
    sticky: StickyPartition,
}

impl TopicQueues {
    fn new(name: Arc<str>, metadata: Arc<TopicMetadata>) -> Self {
        let partitions = (0..metadata.partition_count()).map(|_| PartitionQueue::default()).collect();
        Self { name, metadata, partitions, sticky: StickyPartition::default() }
    }

    fn update(&mut self, metadata: Arc<TopicMetadata>) {
        while self.partitions.len() < metadata.partition_count() {
            self.partitions.push(PartitionQueue::default());
        }
        self.metadata = metadata;
    }
}

/// The settings the accumulator works with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) batch_size: usize,
    pub(crate) linger: Duration,
    pub(crate) max_request_size: usize,
    pub(crate) buffer_memory: usize,
    pub(crate) delivery_timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) retry_backoff: Duration,
    pub(crate) idempotent: bool,
    pub(crate) max_in_flight: usize,
    pub(crate) compression: Compression,
}

impl Settings {
    pub(crate) fn new(config: &ProducerConfig, retry_backoff: Duration) -> Self {
        Self {
            batch_size: config.batch_size,
            linger: config.linger,
            max_request_size: config.max_request_size,
            buffer_memory: config.buffer_memory,
            delivery_timeout: config.delivery_timeout,
            retries: config.retries,
            retry_backoff,
            idempotent: config.enable_idempotence,
            max_in_flight: config.max_in_flight_requests_per_connection.max(1),
            compression: config.compression,
        }
    }
}

/// The outcome of [`Accumulator::append`].
#[derive(Debug)]
pub(crate) enum Append {
    /// Appended; `wake` when the sender should look again (a new or a full batch).
    Done { future: DeliveryFuture, wake: bool },
    /// The topic's metadata is not loaded yet.
    UnknownTopic,
    /// `buffer.memory` is used up.
    BufferFull,
}

/// A record to append, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRef<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: Option<i32>,
    pub(crate) timestamp: i64,
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: Option<&'a [u8]>,
    pub(crate) headers: &'a [RecordHeader],
}

impl RecordRef<'_> {
    fn estimated_size(&self) -> usize {
        let headers: usize =
            self.headers.iter().map(|h| h.key.len() + h.value.as_ref().map_or(0, Bytes::len) + 4).sum();
        self.key.map_or(0, <[u8]>::len) + self.value.map_or(0, <[u8]>::len) + headers + RECORD_OVERHEAD_BYTES
    }
}

/// What one drain decided.
#[derive(Debug, Default)]
pub(crate) struct DrainOutcome {
    /// Requests to send, by leader.
    pub(crate) requests: Vec<(NodeId, Vec<Drained>)>,
    /// When the next batch becomes ready by lingering or backing off.
    pub(crate) next_wakeup: Option<Instant>,
}

/// Everything the producer keeps between `send` and the broker's acknowledgement.
#[derive(Debug)]
pub(crate) struct Accumulator {
    pub(crate) settings: Settings,
    topics: HashMap<Arc<str>, TopicQueues>,
    /// Bytes of records not yet completed.
    buffered_bytes: usize,
    /// Batches created and not yet completed.
    pub(crate) pending_batches: usize,
    node_in_flight: HashMap<NodeId, usize>,
    /// The producer id in use (idempotent producers).
    pub(crate) identity: Option<ProducerIdentity>,
    /// A sequence broke; take a new producer id once nothing is in flight.
    pub(crate) reset_identity: bool,
    /// Flushes under way, plus `send`s waiting for buffer space (Kafka's "exhausted" accumulator): while
    /// positive, every batch is ready.
    pub(crate) flushing: usize,
    pub(crate) closing: bool,
    pub(crate) closed: bool,
    /// The metadata generation the topics' metadata was taken from.
    pub(crate) metadata_generation: u64,
    /// A partition without a leader or a stale-metadata error was seen.
    pub(crate) needs_metadata: bool,
    next_batch_id: u64,
    drain_rotation: usize,
    rng: Rng,
}

impl Accumulator {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            settings,
            topics: HashMap::new(),
            buffered_bytes: 0,
            pending_batches: 0,
            node_in_flight: HashMap::new(),
            identity: None,
            reset_identity: false,
            flushing: 0,
            closing: false,
            closed: false,
            metadata_generation: 0,
            needs_metadata: false,
            next_batch_id: 0,
            drain_rotation: 0,
            rng: Rng::seeded(),
        }
    }

    /// Registers (or refreshes) a topic's metadata.
    pub(crate) fn set_topic(&mut self, metadata: Arc<TopicMetadata>) {
        match self.topics.get_mut(metadata.name.as_str()) {
            Some(t) => t.update(metadata),
            None => {
                let name: Arc<str> = Arc::from(metadata.name.as_str());
                self.topics.insert(Arc::clone(&name), TopicQueues::new(name, metadata));
            }
        }
    }

    /// The topics with queues, for metadata refreshes.
    pub(crate) fn topic_names(&self) -> Vec<String> {
        self.topics.keys().map(|k| k.to_string()).collect()
    }

    /// Whether any record is waiting or in flight.
    pub(crate) fn is_idle(&self) -> bool {
        self.pending_batches == 0
    }

    pub(crate) fn total_in_flight(&self) -> usize {
        self.node_in_flight.values().sum()
    }

    /// Appends a record to its partition's open batch.
    pub(crate) fn append(&mut self, record: RecordRef<'_>, now: Instant) -> Result<Append, ClientError> {
        let size = record.estimated_size();
        if size + RECORD_BATCH_OVERHEAD > self.settings.max_request_size {
            return Err(ClientError::Config(format!(
                "The message is {} bytes when serialized which is larger than {}, which is the value of the \
                 max.request.size configuration.",
                size + RECORD_BATCH_OVERHEAD,
                self.settings.max_request_size
            )));
        }
        if self.buffered_bytes > 0 && self.buffered_bytes + size > self.settings.buffer_memory {
            return Ok(Append::BufferFull);
        }
        let Some(topic) = self.topics.get_mut(record.topic) else {
            return Ok(Append::UnknownTopic);
        };
        let count = topic.partitions.len() as i32;
        let partition = match (record.partition, record.key) {
            (Some(p), _) if p < 0 || p >= count => {
                return Err(ClientError::UnknownPartition {
                    topic: record.topic.to_owned(),
                    partition: p,
                    count: count as usize,
                })
            }
            (Some(p), _) => p,
            (None, Some(key)) => partition_for_key(key, count),
            (None, None) => {
                let metadata = &topic.metadata;
                let random = self.rng.next_u64();
                topic.sticky.next(
                    size,
                    self.settings.batch_size,
                    count,
                    || metadata.partitions.iter().filter(|p| p.leader().is_some()).map(|p| p.partition).collect(),
                    random,
                )
            }
        };
        let Some(queue) = topic.partitions.get_mut(partition as usize) else {
            return Err(ClientError::UnknownPartition {
                topic: record.topic.to_owned(),
                partition,
                count: count as usize,
            });
        };
        let batch_size = self.settings.batch_size;
        let mut wake = false;
        let needs_new = match queue.open.back_mut() {
            Some(open) if !open.full => {
                if !open.builder.is_empty() && open.builder.uncompressed_size() + size > batch_size {
                    open.full = true;
                    true
                } else {
                    false
                }
            }
            _ => true,
        };
        if needs_new {
            queue.open.push_back(OpenBatch {
                builder: RecordBatchBuilder::new(self.settings.compression),
                created: now,
                full: false,
                delivery: BatchDelivery::new(Arc::clone(&topic.name), partition),
                buffered: 0,
            });
            self.pending_batches += 1;
            wake = true;
        }
        let Some(open) = queue.open.back_mut() else {
            return Err(ClientError::Closed("producer batch queue"));
        };
        let offset_delta = open.builder.append(record.timestamp, record.key, record.value, record.headers)?;
        open.buffered += size;
        self.buffered_bytes += size;
        if open.builder.uncompressed_size() >= batch_size {
            open.full = true;
            wake = true;
        }
        let future = DeliveryFuture::new(Arc::clone(&open.delivery), offset_delta, record.timestamp);
        Ok(Append::Done { future, wake })
    }

    /// Takes the batches to send now.
    pub(crate) fn drain(&mut self, now: Instant) -> DrainOutcome {
        let mut outcome = DrainOutcome::default();
        let mut expired: Vec<(Arc<BatchDelivery>, usize, ClientError)> = Vec::new();
        let mut requests: Vec<(NodeId, Vec<Drained>, usize)> = Vec::new();
        let settings = self.settings.clone();
        let flushing = self.flushing > 0 || self.closing;
        let can_send = !self.reset_identity && (!settings.idempotent || self.identity.is_some());
        self.drain_rotation = self.drain_rotation.wrapping_add(1);
        let rotation = self.drain_rotation;

        for topic in self.topics.values_mut() {
            let n = topic.partitions.len();
            for k in 0..n {
                let index = (rotation + k) % n.max(1);
                let Some(queue) = topic.partitions.get_mut(index) else { continue };
                expire(queue, &topic.name, index, now, &settings, &mut expired, &mut self.reset_identity);
                if !can_send || (queue.open.is_empty() && queue.retries.is_empty()) {
                    continue;
                }
                let Some(leader) = topic.metadata.partition(index as i32).and_then(|p| p.leader()) else {
                    self.needs_metadata = true;
                    continue;
                };
                // What would go next for this partition, and its size.
                let size = if let Some(retry) = queue.retries.front() {
                    if queue.in_flight > 0 {
                        continue;
                    }
                    if let Some(at) = retry.meta.retry_at.filter(|at| *at > now) {
                        outcome.next_wakeup = earliest(outcome.next_wakeup, at);
                        continue;
                    }
                    retry.bytes.len()
                } else if let Some(open) = queue.open.front() {
                    let ready = open.full || queue.open.len() > 1 || flushing || now >= open.created + settings.linger;
                    if !ready {
                        outcome.next_wakeup = earliest(outcome.next_wakeup, open.created + settings.linger);
                        continue;
                    }
                    open.builder.uncompressed_size()
                } else {
                    continue;
                };
                // Find or open the request to this leader.
                let slot = match requests.iter().position(|(node, _, _)| *node == leader) {
                    Some(i) => i,
                    None => {
                        let in_flight = self.node_in_flight.entry(leader).or_insert(0);
                        if *in_flight >= settings.max_in_flight {
                            continue;
                        }
                        *in_flight += 1;
                        requests.push((leader, Vec::new(), 0));
                        requests.len() - 1
                    }
                };
                let Some((_, batches, bytes)) = requests.get_mut(slot) else { continue };
                if !batches.is_empty() && *bytes + size > settings.max_request_size {
                    continue;
                }
                let drained = if let Some(retry) = queue.retries.pop_front() {
                    Drained::Sealed(retry)
                } else if let Some(open) = queue.open.pop_front() {
                    let id = self.next_batch_id;
                    self.next_batch_id += 1;
                    let record_count = open.builder.record_count();
                    let base_sequence = if settings.idempotent { queue.next_sequence } else { NO_SEQUENCE };
                    if settings.idempotent {
                        queue.next_sequence = next_sequence(queue.next_sequence, record_count);
                    }
                    queue.unacked.push_back(id);
                    Drained::Build {
                        meta: BatchMeta {
                            id,
                            topic: Arc::clone(&topic.name),
                            partition: index as i32,
                            record_count,
                            base_sequence,
                            created: open.created,
                            attempts: 0,
                            retry_at: None,
                            delivery: open.delivery,
                            buffered: open.buffered,
                        },
                        builder: open.builder,
                        identity: self.identity.filter(|_| settings.idempotent),
                    }
                } else {
                    continue;
                };
                queue.in_flight += 1;
                *bytes += size;
                batches.push(drained);
            }
        }
        for (delivery, buffered, error) in expired {
            self.finish(&delivery, buffered, Err(error));
        }
        outcome.requests = requests
            .into_iter()
            .filter_map(|(node, batches, _)| {
                if batches.is_empty() {
                    // Opened for a partition that then did not fit; give the slot back.
                    if let Some(n) = self.node_in_flight.get_mut(&node) {
                        *n = n.saturating_sub(1);
                    }
                    None
                } else {
                    Some((node, batches))
                }
            })
            .collect();
        outcome
    }

    /// A request to `node` finished (whatever its outcome).
    pub(crate) fn request_done(&mut self, node: NodeId) {
        if let Some(n) = self.node_in_flight.get_mut(&node) {
            *n = n.saturating_sub(1);
        }
    }

    fn queue(&mut self, topic: &str, partition: i32) -> Option<&mut PartitionQueue> {
        self.topics.get_mut(topic)?.partitions.get_mut(usize::try_from(partition).ok()?)
    }

    /// Whether no batch drained before `meta` is still outstanding for its partition.
    pub(crate) fn is_earliest_unacked(&mut self, meta: &BatchMeta) -> bool {
        self.queue(&meta.topic, meta.partition).is_none_or(|q| q.unacked.front().is_none_or(|&id| id == meta.id))
    }

    /// A sent batch completed for good.
    pub(crate) fn complete(&mut self, meta: BatchMeta, result: Result<BatchAck, ClientError>) {
        if let Some(queue) = self.queue(&meta.topic, meta.partition) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
            queue.unacked.retain(|&id| id != meta.id);
        }
        self.finish(&meta.delivery, meta.buffered, result);
    }

    /// A sent batch goes back to its partition to be retried after `backoff`.
    pub(crate) fn requeue(&mut self, mut batch: SealedBatch, now: Instant) {
        batch.meta.retry_at = Some(now + self.settings.retry_backoff);
        let Some(queue) = self.queue(&batch.meta.topic, batch.meta.partition) else {
            let meta = batch.meta;
            let error = ClientError::UnknownTopic { topic: meta.topic.to_string() };
            self.finish(&meta.delivery, meta.buffered, Err(error));
            return;
        };
        queue.in_flight = queue.in_flight.saturating_sub(1);
        let at = queue.retries.iter().position(|b| b.meta.id > batch.meta.id).unwrap_or(queue.retries.len());
        queue.retries.insert(at, batch);
    }

    fn finish(&mut self, delivery: &BatchDelivery, buffered: usize, result: Result<BatchAck, ClientError>) {
        self.buffered_bytes = self.buffered_bytes.saturating_sub(buffered);
        self.pending_batches = self.pending_batches.saturating_sub(1);
        delivery.complete(result);
    }

    /// After a new producer id: number every partition's waiting retries again from 0, restamping them.
    pub(crate) fn apply_identity(
        &mut self,
        identity: ProducerIdentity,
        restamp: impl Fn(&Bytes, ProducerIdentity, i32) -> Result<Bytes, ClientError>,
    ) {
        self.identity = Some(identity);
        self.reset_identity = false;
        let mut failed = Vec::new();
        for topic in self.topics.values_mut() {
            for queue in &mut topic.partitions {
                let mut sequence = 0;
                let mut kept = VecDeque::with_capacity(queue.retries.len());
                for mut batch in queue.retries.drain(..) {
                    match restamp(&batch.bytes, identity, sequence) {
                        Ok(bytes) => {
                            batch.bytes = bytes;
                            batch.meta.base_sequence = sequence;
                            sequence = next_sequence(sequence, batch.meta.record_count);
                            kept.push_back(batch);
                        }
                        Err(e) => {
                            queue.unacked.retain(|&id| id != batch.meta.id);
                            failed.push((batch.meta, e));
                        }
                    }
                }
                queue.retries = kept;
                queue.next_sequence = sequence;
            }
        }
        for (meta, error) in failed {
            self.finish(&meta.delivery, meta.buffered, Err(error));
        }
    }

    /// Fails every batch not yet sent (on shutdown).
    pub(crate) fn abort_all(&mut self, error: &ClientError) {
        let mut dropped = Vec::new();
        for topic in self.topics.values_mut() {
            for queue in &mut topic.partitions {
                for open in queue.open.drain(..) {
                    dropped.push((open.delivery, open.buffered));
                }
                for batch in queue.retries.drain(..) {
                    dropped.push((batch.meta.delivery, batch.meta.buffered));
                }
                queue.unacked.clear();
            }
        }
        for (delivery, buffered) in dropped {
            self.finish(&delivery, buffered, Err(error.clone()));
        }
    }
}

fn earliest(current: Option<Instant>, candidate: Instant) -> Option<Instant> {
    Some(current.map_or(candidate, |c| c.min(candidate)))
}

/// Fails batches of `queue` older than `delivery.timeout.ms` that are not in flight.
fn expire(
    queue: &mut PartitionQueue,
    topic: &str,
    partition: usize,
    now: Instant,
    settings: &Settings,
    expired: &mut Vec<(Arc<BatchDelivery>, usize, ClientError)>,
    reset_identity: &mut bool,
) {
    let timeout = settings.delivery_timeout;
    let too_old = |created: Instant| now.saturating_duration_since(created) >= timeout;
    let message = |records: i32, created: Instant| ClientError::Timeout {
        what: format!(
            "Expiring {records} record(s) for {topic}-{partition}:{} ms has passed since batch creation",
            now.saturating_duration_since(created).as_millis()
        ),
    };
    while queue.open.front().is_some_and(|b| too_old(b.created)) {
        if let Some(b) = queue.open.pop_front() {
            let error = message(b.builder.record_count(), b.created);
            expired.push((b.delivery, b.buffered, error));
        }
    }
    while queue.retries.front().is_some_and(|b| too_old(b.meta.created)) {
        if let Some(b) = queue.retries.pop_front() {
            let error = message(b.meta.record_count, b.meta.created);
            queue.unacked.retain(|&id| id != b.meta.id);
            if settings.idempotent {
                // Its sequence was used: the ones after it can no longer be accepted.
                *reset_identity = true;
            }
            expired.push((b.meta.delivery, b.meta.buffered, error));
        }
    }
}
