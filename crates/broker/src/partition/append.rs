//! The leader's write path of a partition (Kafka's `Partition.appendRecordsToLeader` and the
//! producer-state half of `UnifiedLog.append`).
//!
//! Under the replica read lock (no leader change mid-append) and the producer-state lock (one append
//! at a time per partition):
//!
//! 1. this broker must lead; acks=all needs an ISR of at least `min.insync.replicas`
//!    (NOT_ENOUGH_REPLICAS, before anything is written);
//! 2. the batch headers are read (no copy) and checked against idempotent producer state: a retry of
//!    one of the producer's last five batches is answered with the original offsets and not
//!    written; a sequence gap or a fenced epoch is refused;
//! 3. the log validates (magic, CRC-32C, `max.message.bytes`, ...), assigns offsets, stamps the
//!    leader epoch and writes;
//! 4. producer state records the stamped batches, and the high watermark advances if the ISR allows
//!    (alone in the ISR: to the new log end offset).
//!
//! A batch that producer state would refuse or drop is first checked for corruption and size, so a
//! corrupt retry is CORRUPT_MESSAGE, not a duplicate, as Kafka validates records before producer
//! state.

use bytes::Bytes;
use flotilla_model::Offset;
use flotilla_protocol::records::{batch_crc, Batches, RecordBatch, RecordsError};
use flotilla_storage::producer_state::{AppendCheck, AppendOrigin, ProducerBatch};
use flotilla_storage::StorageError;

use super::error::PartitionError;
use super::hosted::{lock, Partition};

/// Produce's `acks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredAcks {
    /// 0: no response at all.
    None,
    /// 1: answered after the leader's append.
    Leader,
    /// -1 (all): answered when the high watermark passes the records.
    All,
}

impl RequiredAcks {
    /// From the request field; `None` for a value Kafka refuses with INVALID_REQUIRED_ACKS.
    pub fn from_wire(acks: i16) -> Option<RequiredAcks> {
        match acks {
            0 => Some(RequiredAcks::None),
            1 => Some(RequiredAcks::Leader),
            -1 => Some(RequiredAcks::All),
            _ => None,
        }
    }
}

/// A successful append, or a duplicate answered as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    pub first_offset: Offset,
    pub last_offset: Offset,
    /// The append time for LogAppendTime topics, -1 for CreateTime (for a duplicate: the original
    /// batch's timestamp, as Kafka answers).
    pub log_append_time_ms: i64,
    pub log_start_offset: Offset,
    /// A retry of a batch already in the log: nothing was written.
    pub duplicate: bool,
}

impl AppendOutcome {
    /// The high watermark acks=all waits for.
    pub fn required_high_watermark(&self) -> Offset {
        self.last_offset.plus(1)
    }
}

impl Partition {
    /// Appends a produced record set as the leader (see the module docs). Blocking.
    pub fn append_records_as_leader(
        &self,
        records: Bytes,
        acks: RequiredAcks,
        now_ms: i64,
    ) -> Result<AppendOutcome, PartitionError> {
        let state = self.read_replica();
        state.require_leader()?;
        if acks == RequiredAcks::All && state.isr.len() < state.min_insync_replicas {
            return Err(PartitionError::NotEnoughReplicas {
                isr: state.isr.len(),
                min_insync_replicas: state.min_insync_replicas,
            });
        }
        let log = self.log();
        let mut producers = lock(&self.producers);

        // Headers only; a split failure is left to the log's validation, which reports it.
        let batches: Option<Vec<RecordBatch>> =
            Batches::new(records.clone()).verify_crc(false).collect::<Result<_, _>>().ok();
        if let Some(batches) = &batches {
            let check = producers.validate_append(AppendOrigin::Client, batches.iter().map(|b| *b.header()));
            match check {
                Ok(AppendCheck::Append) => {}
                Ok(AppendCheck::Duplicate(original)) => {
                    check_records(batches, log.config().max_message_bytes)?;
                    return Ok(AppendOutcome {
                        first_offset: original.first_offset(),
                        last_offset: original.last_offset(),
                        log_append_time_ms: original.timestamp_ms(),
                        log_start_offset: log.log_start_offset(),
                        duplicate: true,
                    });
                }
                Err(refused) => {
                    check_records(batches, log.config().max_message_bytes)?;
                    return Err(refused.into());
                }
            }
        }

        let info = log.append_as_leader(records, state.leader_epoch, now_ms)?;
        if let Some(batches) = batches {
            let mut next = info.first_offset.get();
            producers.apply_append(batches.into_iter().map(|batch| {
                let span = i64::from(batch.header().last_offset_delta()) + 1;
                let mut stamped = batch.stamp();
                stamped.set_base_offset(next);
                if info.log_append_time_ms >= 0 {
                    stamped.set_log_append_time(info.log_append_time_ms);
                }
                next = next.saturating_add(span);
                ProducerBatch::new(stamped.header())
            }));
        }
        producers.set_map_end_offset(log.log_end_offset());
        drop(producers);
        self.maybe_advance_high_watermark(&state);
        self.notify_appended();
        Ok(AppendOutcome {
            first_offset: info.first_offset,
            last_offset: info.last_offset,
            log_append_time_ms: info.log_append_time_ms,
            log_start_offset: info.log_start_offset,
            duplicate: false,
        })
    }
}

/// The log's size and CRC checks, for batches that producer state answers without the log seeing
/// them.
fn check_records(batches: &[RecordBatch], max_message_bytes: u32) -> Result<(), StorageError> {
    let max = max_message_bytes as usize;
    let mut position = 0;
    for batch in batches {
        if batch.len() > max {
            return Err(StorageError::RecordTooLarge { size: batch.len(), max });
        }
        let computed = batch_crc(batch.as_bytes());
        if computed != batch.header().crc() {
            return Err(StorageError::CorruptRecord {
                position,
                source: RecordsError::CrcMismatch { expected: batch.header().crc(), computed },
            });
        }
        position += batch.len();
    }
    Ok(())
}
