//! The idempotent producer's identity and sequence numbers.
//!
//! InitProducerId hands out a producer id and epoch. Each batch to a partition carries the sequence number
//! of its first record; the next batch starts where the last one ended (wrapping to 0 after `i32::MAX`, as
//! Kafka does). The broker keeps the last sequence per producer and partition: a batch that repeats one of
//! the last five is acknowledged again without being written twice, and a batch that skips ahead is refused
//! with OUT_OF_ORDER_SEQUENCE_NUMBER. So a producer may retry freely and keep up to five requests in flight
//! per partition without reordering, provided it resends failed batches in sequence order before newer ones.
//!
//! When a sequence can no longer be continued (a batch failed for good or expired after its sequence was
//! used), the producer takes a new producer id, numbers its unacknowledged batches again from 0, and
//! [`restamp`]s them: the producer fields sit inside the CRC, so the CRC is recomputed.

use bytes::{Bytes, BytesMut};
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::InitProducerIdRequest;
use flotilla_protocol::records::{batch_crc, RecordBatchHeader, RECORD_BATCH_OVERHEAD};

use crate::cluster::Client;
use crate::error::{is_retriable, ClientError};

const CRC_AT: usize = 17;
const PRODUCER_ID_AT: usize = 43;
const PRODUCER_EPOCH_AT: usize = 51;
const BASE_SEQUENCE_AT: usize = 53;

/// A producer id and epoch from InitProducerId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdentity {
    pub producer_id: i64,
    pub epoch: i16,
}

/// The sequence after `count` records starting at `sequence`, wrapping at `i32::MAX` as Kafka does.
pub fn next_sequence(sequence: i32, count: i32) -> i32 {
    let next = i64::from(sequence) + i64::from(count);
    if next > i64::from(i32::MAX) {
        (next - i64::from(i32::MAX) - 1) as i32
    } else {
        next as i32
    }
}

/// Asks any broker for a producer id (non-transactional), retrying retriable errors a few times.
pub(crate) async fn init_producer_id(client: &Client) -> Result<ProducerIdentity, ClientError> {
    let request = InitProducerIdRequest {
        transactional_id: None,
        transaction_timeout_ms: i32::MAX,
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client.send_any(&request).await.and_then(|r| {
            if r.error_code == 0 {
                Ok(ProducerIdentity { producer_id: r.producer_id, epoch: r.producer_epoch })
            } else {
                Err(ClientError::kafka(r.error_code, None, "InitProducerId"))
            }
        });
        match result {
            Err(e) if e.is_retriable() && attempt < 10 => {
                tracing::debug!(error = %e, "InitProducerId failed; retrying");
                tokio::time::sleep(client.config().retry_backoff).await;
            }
            other => return other,
        }
    }
}

/// Rewrites a built batch's producer id, epoch and base sequence, and its CRC.
pub fn restamp(batch: &Bytes, identity: ProducerIdentity, base_sequence: i32) -> Result<Bytes, ClientError> {
    RecordBatchHeader::parse(batch)?;
    let mut out = BytesMut::from(&batch[..]);
    if out.len() < RECORD_BATCH_OVERHEAD {
        return Err(ClientError::Protocol { node: -1, reason: "batch shorter than its header".into() });
    }
    out[PRODUCER_ID_AT..PRODUCER_ID_AT + 8].copy_from_slice(&identity.producer_id.to_be_bytes());
    out[PRODUCER_EPOCH_AT..PRODUCER_EPOCH_AT + 2].copy_from_slice(&identity.epoch.to_be_bytes());
    out[BASE_SEQUENCE_AT..BASE_SEQUENCE_AT + 4].copy_from_slice(&base_sequence.to_be_bytes());
    let crc = batch_crc(&out);
    out[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
    Ok(out.freeze())
}

/// How a produce error is handled by an idempotent producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceVerdict {
    /// Acknowledged: DUPLICATE_SEQUENCE_NUMBER means the broker already has the batch.
    Duplicate,
    /// Send again (after the earlier batches of the partition).
    Retry,
    /// Fail the batch and continue with a new producer id.
    FailAndReset,
    /// Fail the batch.
    Fail,
}

/// Judges a partition's error for a batch; `earliest_unacked` tells whether no earlier batch of the
/// partition is still outstanding (then an out-of-order answer is about this batch itself).
pub(crate) fn verdict(code: ErrorCode, idempotent: bool, earliest_unacked: bool) -> SequenceVerdict {
    match code {
        ErrorCode::DuplicateSequenceNumber if idempotent => SequenceVerdict::Duplicate,
        ErrorCode::OutOfOrderSequenceNumber if idempotent && !earliest_unacked => SequenceVerdict::Retry,
        ErrorCode::OutOfOrderSequenceNumber
        | ErrorCode::UnknownProducerId
        | ErrorCode::InvalidProducerEpoch
        | ErrorCode::InvalidProducerIdMapping
            if idempotent =>
        {
            SequenceVerdict::FailAndReset
        }
        code if is_retriable(code) => SequenceVerdict::Retry,
        _ => SequenceVerdict::Fail,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use flotilla_protocol::records::{Compression, RecordBatch, RecordBatchBuilder};

    use super::*;

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(next_sequence(0, 5), 5);
        assert_eq!(next_sequence(i32::MAX - 1, 1), i32::MAX);
        assert_eq!(next_sequence(i32::MAX, 1), 0);
        assert_eq!(next_sequence(i32::MAX - 2, 5), 2);
    }

    #[test]
    fn restamped_batches_stay_valid() {
        let mut b = RecordBatchBuilder::new(Compression::Lz4).producer(7, 0, 10);
        b.append(1, Some(b"k"), Some(b"v"), &[]).unwrap();
        b.append(2, None, Some(b"w"), &[]).unwrap();
        let bytes = b.build().unwrap();
        let identity = ProducerIdentity { producer_id: 99, epoch: 3 };
        let again = restamp(&bytes, identity, 0).unwrap();
        let batch = RecordBatch::parse(again).unwrap();
        let h = batch.header();
        assert_eq!((h.producer_id(), h.producer_epoch(), h.base_sequence(), h.last_sequence()), (99, 3, 0, 1));
        assert_eq!(batch.records(1 << 20).count(), 2);
    }

    #[test]
    fn verdicts() {
        use SequenceVerdict::*;
        assert_eq!(verdict(ErrorCode::DuplicateSequenceNumber, true, true), Duplicate);
        assert_eq!(verdict(ErrorCode::OutOfOrderSequenceNumber, true, false), Retry);
        assert_eq!(verdict(ErrorCode::OutOfOrderSequenceNumber, true, true), FailAndReset);
        assert_eq!(verdict(ErrorCode::NotLeaderOrFollower, true, true), Retry);
        assert_eq!(verdict(ErrorCode::MessageTooLarge, true, true), Fail);
        assert_eq!(verdict(ErrorCode::NotLeaderOrFollower, false, true), Retry);
    }
}
