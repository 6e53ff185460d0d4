//! Delivery reports. A record's report is a [`DeliveryFuture`]: a shared handle on its batch's outcome plus
//! the record's offset delta and timestamp, so reporting costs no allocation per record. The batch outcome
//! is set once, when the broker acknowledges the batch or it fails for good.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::Notify;

use crate::error::ClientError;

/// Where a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic: Arc<str>,
    pub partition: i32,
    /// -1 with `acks=0`, or when the broker reported a duplicate without its offset.
    pub offset: i64,
    /// The broker's append time for LogAppendTime topics, else the record's timestamp.
    pub timestamp: i64,
}

/// How the broker acknowledged a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchAck {
    pub(crate) base_offset: i64,
    pub(crate) log_append_time: i64,
}

/// The outcome of one batch, shared by the futures of its records.
#[derive(Debug)]
pub(crate) struct BatchDelivery {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    result: OnceLock<Result<BatchAck, ClientError>>,
    done: Notify,
}

impl BatchDelivery {
    pub(crate) fn new(topic: Arc<str>, partition: i32) -> Arc<Self> {
        Arc::new(Self { topic, partition, result: OnceLock::new(), done: Notify::new() })
    }

    /// Sets the outcome (the first one wins) and wakes the waiters.
    pub(crate) fn complete(&self, result: Result<BatchAck, ClientError>) {
        let _ = self.result.set(result);
        self.done.notify_waiters();
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.result.get().is_some()
    }
}

/// The delivery report of one record: await it (or call [`DeliveryFuture::wait`]) for its offset or
/// error. Dropping it does not cancel the record.
#[derive(Debug, Clone)]
pub struct DeliveryFuture {
    batch: Arc<BatchDelivery>,
    offset_delta: i32,
    timestamp: i64,
}

impl DeliveryFuture {
    pub(crate) fn new(batch: Arc<BatchDelivery>, offset_delta: i32, timestamp: i64) -> Self {
        Self { batch, offset_delta, timestamp }
    }

    /// The topic and partition the record went to.
    pub fn partition(&self) -> (&str, i32) {
        (&self.batch.topic, self.batch.partition)
    }

    /// The report if the batch has completed, without waiting.
    pub fn try_result(&self) -> Option<Result<RecordMetadata, ClientError>> {
        self.batch.result.get().map(|r| self.resolve(r))
    }

    /// Whether the batch has completed.
    pub fn is_done(&self) -> bool {
        self.batch.is_complete()
    }

    /// Waits for the report.
    pub async fn wait(self) -> Result<RecordMetadata, ClientError> {
        loop {
            let notified = self.batch.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = self.try_result() {
                return result;
            }
            notified.await;
        }
    }

    fn resolve(&self, result: &Result<BatchAck, ClientError>) -> Result<RecordMetadata, ClientError> {
        let ack = result.as_ref().map_err(Clone::clone)?;
        let offset = if ack.base_offset >= 0 { ack.base_offset + i64::from(self.offset_delta) } else { -1 };
        let timestamp = if ack.log_append_time >= 0 { ack.log_append_time } else { self.timestamp };
        Ok(RecordMetadata { topic: Arc::clone(&self.batch.topic), partition: self.batch.partition, offset, timestamp })
    }
}

impl IntoFuture for DeliveryFuture {
    type Output = Result<RecordMetadata, ClientError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
