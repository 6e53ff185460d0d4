//! Rebuilding a partition's idempotent producer state when its log is opened (Kafka's
//! `UnifiedLog.rebuildProducerState`): the newest readable snapshot in the partition directory, then
//! every batch after it replayed from the log. Without a snapshot (a crash, or a log written before
//! snapshots) the whole log is replayed; the state is then exactly what the leader had, except that
//! only the last batch of each producer survives a snapshot (as in Kafka).

use flotilla_model::Offset;
use flotilla_protocol::records::RecordBatchHeader;
use flotilla_storage::producer_state::{ProducerBatch, ProducerStateConfig, ProducerStateManager};
use flotilla_storage::{Log, StorageError};
use tracing::{info, warn};

/// Producer state for `log` as of its log end offset.
pub fn load_producer_state(
    log: &Log,
    config: ProducerStateConfig,
    now_ms: i64,
) -> Result<ProducerStateManager, StorageError> {
    let mut state = ProducerStateManager::new(config);
    let log_start = log.log_start_offset();
    let log_end = log.log_end_offset();
    let replay_from = match state.truncate_and_reload(log.dir(), log_start, log_end, now_ms) {
        Ok(offset) => offset,
        Err(e) => {
            warn!(partition = %log.topic_partition(), error = %e, "producer snapshots unusable; replaying the whole log");
            state.clear_and_start_at(log_start);
            log_start
        }
    };
    let replay_from = replay_from.max(log_start);
    if replay_from < log_end {
        let mut batches = 0usize;
        log.visit_batches(replay_from, log_end, RecordBatchHeader::is_control, |header, body| {
            let batch = body
                .and_then(|b| ProducerBatch::from_record_batch(&b).ok())
                .unwrap_or_else(|| ProducerBatch::new(*header));
            state.apply_batch(batch);
            batches += 1;
        })?;
        info!(
            partition = %log.topic_partition(), from = %replay_from, to = %log_end, batches,
            producers = state.producer_count(), "rebuilt producer state from the log"
        );
    }
    state.set_map_end_offset(log_end.max(Offset::new(0)));
    Ok(state)
}
