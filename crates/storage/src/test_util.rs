//! Helpers shared by this crate's unit tests: batches built with the protocol crate's builder, small
//! configs that make rolling and indexing happen with a few kilobytes.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use flotilla_model::{PartitionIndex, TopicName, TopicPartition};
use flotilla_protocol::records::{Compression, RecordBatch, RecordBatchBuilder};

use crate::config::LogConfig;
use crate::segment::PreparedBatch;

/// A batch of `records` records at `base_offset`, timestamps `timestamp`, `timestamp + 1`, ...,
/// each value `value_bytes` long.
pub(crate) fn batch(base_offset: i64, records: usize, timestamp: i64, value_bytes: usize) -> Bytes {
    batch_with(Compression::None, base_offset, records, timestamp, value_bytes)
}

pub(crate) fn batch_with(
    compression: Compression,
    base_offset: i64,
    records: usize,
    timestamp: i64,
    value_bytes: usize,
) -> Bytes {
    let mut builder = RecordBatchBuilder::new(compression).base_offset(base_offset);
    for i in 0..records {
        let key = format!("key-{}", base_offset + i as i64);
        let value: Vec<u8> = (0..value_bytes).map(|j| (j as u8).wrapping_mul(31).wrapping_add(i as u8)).collect();
        builder.append(timestamp + i as i64, Some(key.as_bytes()), Some(&value), &[]).unwrap();
    }
    builder.build().unwrap()
}

/// A batch that already carries its offsets and leader epoch, as a follower receives it.
pub(crate) fn stored(base_offset: i64, records: usize, timestamp: i64, value_bytes: usize) -> PreparedBatch {
    PreparedBatch::stored(RecordBatch::parse(batch(base_offset, records, timestamp, value_bytes)).unwrap())
}

/// Small segments and dense indexes.
pub(crate) fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        index_interval_bytes: 256,
        segment_index_bytes: 1024,
        retention_ms: None,
        ..LogConfig::default()
    }
}

pub(crate) fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(TopicName::new(topic).unwrap(), PartitionIndex::new(partition))
}
