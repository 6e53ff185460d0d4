//! The producer: records in, delivery reports out.
//!
//! [`Producer::send`] picks the record's partition ([`partitioner`]), appends it to that partition's open
//! batch ([`accumulator`]) and returns a [`DeliveryFuture`] at once; a background task ([`sender`]) sends
//! ready batches to the partitions' leaders, pipelined, and settles each batch from the broker's answer:
//! acknowledged, retried after a retriable error (refreshing metadata when the leader moved), or failed.
//! With idempotence on (Kafka's default) the producer holds a producer id and numbers each partition's
//! batches ([`idempotence`]), so retries neither duplicate nor reorder records.
//!
//! The hot path allocates nothing per record: records are borrowed ([`ProducerRecord`]) and encoded
//! straight into the batch, and a record's report shares its batch's outcome.

pub mod accumulator;
pub mod delivery;
pub mod idempotence;
pub mod partitioner;
pub mod sender;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use flotilla_protocol::records::RecordHeader;

use self::accumulator::{Accumulator, Append, RecordRef, Settings};
pub use self::delivery::{DeliveryFuture, RecordMetadata};
pub use self::idempotence::ProducerIdentity;
pub use self::partitioner::{murmur2, partition_for_key, to_positive};
use self::sender::Shared;
use crate::cluster::Client;
use crate::config::{ClientConfig, ProducerConfig};
use crate::error::ClientError;

/// A record to send, borrowed: its bytes are copied into a batch by [`Producer::send`].
#[derive(Debug, Clone, Copy)]
pub struct ProducerRecord<'a> {
    pub topic: &'a str,
    /// `None`: chosen by the key's hash, or sticky for keyless records.
    pub partition: Option<i32>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [RecordHeader],
    /// Milliseconds since the epoch; `None`: now.
    pub timestamp: Option<i64>,
}

impl<'a> ProducerRecord<'a> {
    /// A record with a value and nothing else.
    pub fn new(topic: &'a str, value: &'a [u8]) -> Self {
        Self { topic, partition: None, key: None, value: Some(value), headers: &[], timestamp: None }
    }

    #[must_use]
    pub fn key(mut self, key: &'a [u8]) -> Self {
        self.key = Some(key);
        self
    }

    #[must_use]
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    #[must_use]
    pub fn headers(mut self, headers: &'a [RecordHeader]) -> Self {
        self.headers = headers;
        self
    }

    #[must_use]
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }
}

/// A producer. Cheap to clone; clones share batches and the sender. When the last clone is dropped the
/// sender finishes what is queued and stops; [`Producer::close`] does the same and waits.
#[derive(Debug, Clone)]
pub struct Producer {
    inner: Arc<ProducerInner>,
}

#[derive(Debug)]
struct ProducerInner {
    shared: Arc<Shared>,
}

impl Drop for ProducerInner {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
    }
}

/// Makes every batch ready while it lives (a flush, or a `send` waiting for buffer space).
struct Flushing<'a>(&'a Shared);

impl<'a> Flushing<'a> {
    fn start(shared: &'a Shared) -> Self {
        shared.lock().flushing += 1;
        Self(shared)
    }
}

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.flushing = state.flushing.saturating_sub(1);
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Producer {
    /// A producer on an existing client. With idempotence on, obtains a producer id first.
    pub async fn new(client: Client, config: ProducerConfig) -> Result<Self, ClientError> {
        config.validate()?;
        let mut accumulator = Accumulator::new(Settings::new(&config, client.config().retry_backoff));
        if config.enable_idempotence {
            accumulator.identity = Some(idempotence::init_producer_id(&client).await?);
        }
        accumulator.metadata_generation = client.metadata().generation;
        let shared = Arc::new(Shared {
            request_timeout: client.config().request_timeout,
            client,
            state: std::sync::Mutex::new(accumulator),
            wake: tokio::sync::Notify::new(),
            progress: tokio::sync::Notify::new(),
            acks: config.acks,
        });
        tokio::spawn(sender::run(Arc::clone(&shared)));
        Ok(Self { inner: Arc::new(ProducerInner { shared }) })
    }

    /// Connects a client and builds a producer on it.
    pub async fn connect(client: ClientConfig, config: ProducerConfig) -> Result<Self, ClientError> {
        Self::new(Client::connect(client).await?, config).await
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.inner.shared.client
    }

    /// The producer id and epoch in use (idempotent producers).
    pub fn identity(&self) -> Option<ProducerIdentity> {
        self.inner.shared.lock().identity
    }

    /// Queues a record and returns its delivery report. Waits only to load an unknown topic's metadata or
    /// while `buffer.memory` is used up (up to the client's `metadata_timeout`, Kafka's `max.block.ms`).
    pub async fn send(&self, record: ProducerRecord<'_>) -> Result<DeliveryFuture, ClientError> {
        let shared = &self.inner.shared;
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        let appended = RecordRef {
            topic: record.topic,
            partition: record.partition,
            timestamp,
            key: record.key,
            value: record.value,
            headers: record.headers,
        };
        let mut blocked_since: Option<Instant> = None;
        loop {
            let result = {
                let mut state = shared.lock();
                if state.closing || state.closed {
                    return Err(ClientError::Closed("producer"));
                }
                state.append(appended, Instant::now())?
            };
            match result {
                Append::Done { future, wake } => {
                    if wake {
                        shared.wake.notify_one();
                    }
                    return Ok(future);
                }
                Append::UnknownTopic => {
                    let metadata = shared.client.topic(record.topic).await?;
                    shared.lock().set_topic(metadata);
                }
                Append::BufferFull => {
                    let max_block = shared.client.config().metadata_timeout;
                    let since = *blocked_since.get_or_insert_with(Instant::now);
                    let notified = shared.progress.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    // While a sender waits for space, lingering batches go at once.
                    let _exhausted = Flushing::start(shared);
                    shared.wake.notify_one();
                    let remaining = max_block.saturating_sub(since.elapsed());
                    if remaining.is_zero() || tokio::time::timeout(remaining, notified).await.is_err() {
                        return Err(ClientError::Timeout {
                            what: format!(
                                "Failed to allocate memory within the configured max blocking time {} ms.",
                                max_block.as_millis()
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Sends everything queued at once (ignoring `linger.ms`) and waits until every queued record has
    /// completed, successfully or not; failures are in the records' reports.
    pub async fn flush(&self) {
        let shared = &self.inner.shared;
        let _flushing = Flushing::start(shared);
        loop {
            let notified = shared.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if shared.lock().is_idle() {
                return;
            }
            shared.wake.notify_one();
            notified.await;
        }
    }

    /// Refuses further records, delivers what is queued, and stops the sender.
    pub async fn close(&self) {
        self.inner.shared.lock().closing = true;
        self.flush().await;
        self.inner.shared.lock().closed = true;
        self.inner.shared.wake.notify_one();
    }
}
