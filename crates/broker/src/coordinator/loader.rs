//! Loading a coordinator partition (Kafka's `GroupMetadataManager.loadGroupsAndOffsets`): every record
//! from the log start to the log end offset is replayed in order into a fresh shard. The new leader's log
//! is the partition's truth, so records past the high watermark count too: they will be committed by the
//! followers or truncated by a later leader, which then loads again.

use std::sync::Arc;

use flotilla_group::shard::CoordinatorShard;
use flotilla_model::Offset;
use flotilla_protocol::records::Batches;
use tracing::warn;

use crate::partition::{wall_clock_ms, Partition};

/// Bytes read from the log at a time while loading (Kafka's `offsets.load.buffer.size`).
const LOAD_CHUNK_BYTES: usize = 5 * 1024 * 1024;
/// Decompressed bytes one batch may expand to while loading.
const MAX_DECOMPRESSED_BYTES: usize = 64 * 1024 * 1024;

/// Replays `partition`'s log into a shard. Blocking. Records that do not parse are skipped with a
/// warning (a foreign or corrupt record must not keep the groups of the whole partition offline).
pub(super) fn load_shard(partition: &Arc<Partition>) -> Result<CoordinatorShard, String> {
    let log = partition.log();
    let mut shard = CoordinatorShard::default();
    let mut next = log.log_start_offset();
    let now_ms = wall_clock_ms();
    let mut skipped = 0u64;
    loop {
        let end = log.log_end_offset();
        if next >= end {
            break;
        }
        let read = log.read(next, LOAD_CHUNK_BYTES, end, true).map_err(|e| e.to_string())?;
        if read.records.is_empty() {
            break;
        }
        let mut advanced = false;
        for batch in Batches::new(read.records) {
            let batch = batch.map_err(|e| e.to_string())?;
            let header = *batch.header();
            next = Offset::new(header.next_offset());
            advanced = true;
            if header.attributes().is_control() {
                continue;
            }
            for record in batch.records(MAX_DECOMPRESSED_BYTES) {
                let record = record.map_err(|e| e.to_string())?;
                let Some(key) = record.key else {
                    skipped += 1;
                    continue;
                };
                if shard.replay(&key, record.value.as_deref(), now_ms).is_err() {
                    skipped += 1;
                }
            }
        }
        if !advanced {
            break;
        }
    }
    if skipped > 0 {
        warn!(partition = %partition.topic_partition(), skipped, "skipped records that are not group or offset records");
    }
    Ok(shard)
}
