//! The checks a leader makes on a produced record set before assigning offsets (Kafka's
//! `UnifiedLog.analyzeAndValidateRecords` and the parts of `LogValidator` that need no decompression):
//! magic 2 only (INVALID_RECORD otherwise), a well-formed batch (CORRUPT_MESSAGE), at most
//! `max.message.bytes` (MESSAGE_TOO_LARGE), a matching CRC-32C (CORRUPT_MESSAGE), a record count that
//! matches the offset range, a sequence number when there is a producer id, and for CreateTime topics a
//! max timestamp at most `message.timestamp.after.max.ms` ahead (INVALID_TIMESTAMP). Per-record checks
//! that need decompression (record-level timestamps, `message.timestamp.before.max.ms`, compression
//! type conversion) are not done here.

use bytes::Bytes;
use flotilla_protocol::records::{batch_crc, Batches, RecordBatch, RecordsError, SplitError, TimestampType};

use crate::config::LogConfig;
use crate::error::StorageError;

/// The leader's checks of a produced record set (Kafka's `analyzeAndValidateRecords` and the parts of
/// `LogValidator` that need no decompression).
pub(crate) fn validate_leader_batches(
    records: Bytes,
    config: &LogConfig,
    now_ms: i64,
) -> Result<Vec<RecordBatch>, StorageError> {
    let max = config.max_message_bytes as usize;
    let mut batches = Vec::new();
    let mut position = 0;
    for item in Batches::new(records).verify_crc(false) {
        let batch = item.map_err(split_error)?;
        let header = *batch.header();
        if batch.len() > max {
            return Err(StorageError::RecordTooLarge { size: batch.len(), max });
        }
        let computed = batch_crc(batch.as_bytes());
        if computed != header.crc() {
            return Err(StorageError::CorruptRecord {
                position,
                source: RecordsError::CrcMismatch { expected: header.crc(), computed },
            });
        }
        if i64::from(header.record_count()) != i64::from(header.last_offset_delta()) + 1 {
            return Err(StorageError::InvalidRecord {
                reason: format!(
                    "inconsistent batch offset range: last offset delta {} but {} records",
                    header.last_offset_delta(),
                    header.record_count()
                ),
            });
        }
        if header.producer_id() >= 0 && header.base_sequence() < 0 {
            return Err(StorageError::InvalidRecord {
                reason: format!(
                    "invalid sequence number {} in a batch from producer id {}",
                    header.base_sequence(),
                    header.producer_id()
                ),
            });
        }
        if config.message_timestamp_type == TimestampType::CreateTime {
            if let Some(max_ahead_ms) = config.message_timestamp_after_max_ms {
                let ahead = header.max_timestamp().saturating_sub(now_ms);
                if ahead > 0 && ahead.unsigned_abs() > max_ahead_ms {
                    return Err(StorageError::InvalidTimestamp {
                        timestamp_ms: header.max_timestamp(),
                        now_ms,
                        max_ahead_ms,
                    });
                }
            }
        }
        position += batch.len();
        batches.push(batch);
    }
    if batches.is_empty() {
        return Err(StorageError::InvalidRecord { reason: "the append holds no record batches".to_owned() });
    }
    Ok(batches)
}

pub(crate) fn split_error(error: SplitError) -> StorageError {
    match error {
        SplitError::Corrupt { source: RecordsError::UnsupportedMagic(magic), .. } => StorageError::InvalidRecord {
            reason: format!("record batch magic {magic} is not supported (only magic 2)"),
        },
        SplitError::Corrupt { position, source } => StorageError::CorruptRecord { position, source },
        SplitError::Torn(torn) => StorageError::CorruptRecord {
            position: torn.position,
            source: match torn.needed {
                Some(declared) => RecordsError::BatchLengthExceedsAvailable { declared, available: torn.available },
                None => RecordsError::TooShort { needed: 12, available: torn.available },
            },
        },
    }
}
