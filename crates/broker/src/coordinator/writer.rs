//! One writer per loaded coordinator partition that appends what its groups ask for, in the order they
//! asked: group records (whose outcome the group state machine hears through `after_write`), committed
//! offsets (applied to the shard once written, then the committer is answered) and tombstones.
//!
//! Two stages, so that a commit does not wait for the replication of the one before it:
//! 1. the appender takes every item queued (up to [`MAX_ITEMS_PER_BATCH`]), appends their records as one
//!    batch with acks=all semantics, and passes each item on with the high watermark it needs;
//! 2. the completer waits, in append order, for the high watermark to pass each item
//!    (`offsets.commit.timeout.ms`) and completes it. The high watermark only grows, so waiting in order
//!    costs nothing, and completions (offsets applied, groups told) happen in the order of the log.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use flotilla_group::classic_group::GroupWrite;
use flotilla_group::records::{encode_group_value, encode_key, encode_offset_value, RecordKey};
use flotilla_group::GroupError;
use flotilla_model::Offset;
use flotilla_protocol::records::RecordBatchBuilder;
use flotilla_storage::StorageError;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, warn};

use super::{lock, GroupCoordinator, OffsetToCommit, Slot};
use crate::partition::{wall_clock_ms, Partition, PartitionError, RequiredAcks};

/// Items appended as one batch at most.
const MAX_ITEMS_PER_BATCH: usize = 256;
/// Record bytes one batch gathers at most before it is appended (well under `max.message.bytes`); a
/// single larger item still goes alone.
const MAX_BATCH_BYTES: usize = 512 * 1024;
/// Appended items waiting for the high watermark at most; the appender waits beyond this.
const MAX_ITEMS_AWAITING_REPLICATION: usize = 4096;

/// An append a shard's groups asked for.
#[derive(Debug)]
pub(super) enum WriteItem {
    Group {
        group_id: String,
        write: Box<GroupWrite>,
    },
    Offsets {
        group_id: String,
        offsets: Vec<OffsetToCommit>,
        done: oneshot::Sender<Result<(), GroupError>>,
    },
    /// Deletions (DeleteGroups, OffsetDelete, expiry): offsets named here leave the shard once written.
    Tombstones {
        group_id: String,
        keys: Vec<RecordKey>,
        done: oneshot::Sender<Result<(), GroupError>>,
    },
}

/// An item with its records encoded once: what the batch is built from and what its size is counted by.
struct Encoded {
    item: WriteItem,
    records: Vec<(Bytes, Option<Bytes>)>,
    bytes: usize,
}

impl Encoded {
    fn new(item: WriteItem) -> Self {
        let records = item.records();
        let bytes = records.iter().map(|(k, v)| k.len() + v.as_ref().map_or(0, Bytes::len)).sum();
        Encoded { item, records, bytes }
    }
}

impl WriteItem {
    /// The records this item appends.
    fn records(&self) -> Vec<(Bytes, Option<Bytes>)> {
        match self {
            WriteItem::Group { group_id, write } => {
                let key = encode_key(&RecordKey::Group { group_id: group_id.clone() });
                vec![(key, Some(encode_group_value(&write.value)))]
            }
            WriteItem::Offsets { group_id, offsets, .. } => offsets
                .iter()
                .map(|o| {
                    let key = RecordKey::Offset {
                        group_id: group_id.clone(),
                        topic: o.topic.clone(),
                        partition: o.partition,
                    };
                    (encode_key(&key), Some(encode_offset_value(&o.offset.to_value())))
                })
                .collect(),
            WriteItem::Tombstones { keys, .. } => keys.iter().map(|k| (encode_key(k), None)).collect(),
        }
    }
}

/// An appended item and the high watermark it needs (or why its append failed).
type Appended = (WriteItem, Result<Offset, GroupError>);

/// Runs both stages until the shard is unloaded (`alive` closes) and the queue is drained.
pub(super) async fn run_writer(
    coordinator: Weak<GroupCoordinator>,
    shard: i32,
    partition: Arc<Partition>,
    queue: mpsc::Receiver<WriteItem>,
    alive: watch::Receiver<()>,
) {
    let (appended_tx, appended_rx) = mpsc::channel(MAX_ITEMS_AWAITING_REPLICATION);
    let completer = tokio::spawn(complete(coordinator.clone(), shard, Arc::clone(&partition), appended_rx));
    append_loop(partition, queue, alive, appended_tx).await;
    let _ = completer.await;
}

async fn append_loop(
    partition: Arc<Partition>,
    mut queue: mpsc::Receiver<WriteItem>,
    mut alive: watch::Receiver<()>,
    appended: mpsc::Sender<Appended>,
) {
    loop {
        let first = tokio::select! {
            item = queue.recv() => item,
            _ = alive.changed() => {
                // Unloaded: what is still queued is appended and fails (this broker no longer leads).
                queue.close();
                queue.recv().await
            }
        };
        let Some(first) = first else { return };
        let first = Encoded::new(first);
        let mut bytes = first.bytes;
        let mut items = vec![first];
        // Whatever else is queued joins the batch, within bounds; an item that would overflow it opens
        // the next one.
        let mut held = None;
        while items.len() < MAX_ITEMS_PER_BATCH && bytes < MAX_BATCH_BYTES {
            match queue.try_recv() {
                Ok(item) => {
                    let item = Encoded::new(item);
                    if bytes + item.bytes > MAX_BATCH_BYTES {
                        held = Some(item);
                        break;
                    }
                    bytes += item.bytes;
                    items.push(item);
                }
                Err(_) => break,
            }
        }
        for batch in [Some(items), held.map(|item| vec![item])].into_iter().flatten() {
            let result = append(&partition, &batch).await;
            for encoded in batch {
                if appended.send((encoded.item, result)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Appends the records of `items` as one batch (acks=all: refused below `min.insync.replicas`); the
/// high watermark that covers them.
async fn append(partition: &Arc<Partition>, items: &[Encoded]) -> Result<Offset, GroupError> {
    let now_ms = wall_clock_ms();
    let mut builder = RecordBatchBuilder::default();
    for item in items {
        for (key, value) in &item.records {
            builder
                .append(now_ms, Some(key), value.as_deref(), &[])
                .map_err(|_| GroupError::InvalidCommitOffsetSize)?;
        }
    }
    let batch = builder.build().map_err(|_| GroupError::InvalidCommitOffsetSize)?;
    let target = Arc::clone(partition);
    let appended =
        tokio::task::spawn_blocking(move || target.append_records_as_leader(batch, RequiredAcks::All, now_ms))
            .await
            .map_err(|_| GroupError::UnknownServerError)?
            .map_err(|e| write_error(&e))?;
    Ok(appended.required_high_watermark())
}

/// Completes appended items in order, each once the high watermark passes it.
async fn complete(
    coordinator: Weak<GroupCoordinator>,
    shard: i32,
    partition: Arc<Partition>,
    mut appended: mpsc::Receiver<Appended>,
) {
    while let Some((item, append_result)) = appended.recv().await {
        let Some(coordinator) = coordinator.upgrade() else { return };
        let result = match append_result {
            Ok(required) => replicated(&partition, required, coordinator.commit_timeout).await,
            Err(e) => Err(e),
        };
        apply(&coordinator, shard, item, result);
    }
}

async fn replicated(partition: &Partition, required: Offset, timeout: Duration) -> Result<(), GroupError> {
    match tokio::time::timeout(timeout, partition.wait_for_high_watermark(required)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(write_error(&e)),
        // Kafka answers a write that timed out waiting for replication with COORDINATOR_NOT_AVAILABLE.
        Err(_) => Err(GroupError::CoordinatorNotAvailable),
    }
}

/// What a written (or failed) item means for the shard and its waiters.
fn apply(coordinator: &GroupCoordinator, shard: i32, item: WriteItem, result: Result<(), GroupError>) {
    let mut state = lock(&coordinator.state);
    let active = match state.shards.get_mut(&shard) {
        Some(Slot::Active(active)) => Some(active),
        _ => None,
    };
    match item {
        WriteItem::Group { group_id, write } => {
            if let Err(e) = &result {
                warn!(group = %group_id, error = %e, "could not store the group");
            }
            if let Some(active) = active {
                if let Some(entry) = active.shard.get_mut(&group_id) {
                    let fx = entry.group.after_write(write.then, result, &coordinator.config, wall_clock_ms());
                    active.dispatch(&group_id, fx);
                }
            }
        }
        WriteItem::Offsets { group_id, offsets, done } => {
            match (&result, active) {
                (Ok(()), Some(active)) => {
                    let entry = active.shard.entry(&group_id, wall_clock_ms());
                    for o in offsets {
                        entry.offsets.commit(&o.topic, o.partition, o.offset);
                    }
                }
                (Ok(()), None) => {}
                (Err(e), _) => debug!(group = %group_id, error = %e, "offset commit not stored"),
            }
            let _ = done.send(result);
        }
        WriteItem::Tombstones { group_id, keys, done } => {
            if let (Ok(()), Some(active)) = (&result, active) {
                if let Some(entry) = active.shard.get_mut(&group_id) {
                    for key in &keys {
                        if let RecordKey::Offset { topic, partition, .. } = key {
                            entry.offsets.remove(topic, *partition);
                        }
                    }
                }
                active.shard.remove_if_unused(&group_id);
            }
            let _ = done.send(result);
        }
    }
}

/// What a failed append of the coordinator means to its callers (Kafka's `GroupMetadataManager`
/// mapping): replication trouble is a coordinator that is not available, a lost leadership or a
/// storage failure is not the coordinator any more, a record too large is an invalid commit size.
fn write_error(error: &PartitionError) -> GroupError {
    match error {
        PartitionError::NotEnoughReplicas { .. } | PartitionError::NotEnoughReplicasAfterAppend { .. } => {
            GroupError::CoordinatorNotAvailable
        }
        PartitionError::NotLeader { .. }
        | PartitionError::NotReplica { .. }
        | PartitionError::FencedLeaderEpoch { .. }
        | PartitionError::UnknownLeaderEpoch { .. } => GroupError::NotCoordinator,
        PartitionError::Storage(StorageError::RecordTooLarge { .. }) => GroupError::InvalidCommitOffsetSize,
        PartitionError::Storage(_) | PartitionError::ProducerSnapshot(_) => GroupError::NotCoordinator,
        PartitionError::OffsetNotAvailable | PartitionError::ProducerState(_) => GroupError::UnknownServerError,
    }
}
