//! Per-partition idempotent producer state: for each producer id, its epoch and its last five
//! batches, so a leader can drop client retries and refuse gaps and zombies. This is Kafka's
//! `ProducerStateManager`, `ProducerAppendInfo`, `ProducerStateEntry` and `BatchMetadata`
//! (`storage/src/main/java/org/apache/kafka/storage/internals/log/`), whose behaviour is the
//! specification here; the transaction parts are carried (open transaction's first offset,
//! coordinator epoch) but the transaction index and last stable offset are not built yet.
//!
//! # Rules, on the leader ([`ProducerStateManager::validate_append`], origin CLIENT)
//!
//! Checked before offsets are assigned, in this order; a batch whose producer id is negative
//! (-1: not idempotent) bypasses all of them.
//!
//! 1. A control batch, or a negative base sequence, is INVALID_RECORD (Kafka's `LogValidator`).
//! 2. Duplicate: if the batch has the producer's current epoch and exactly the first and last
//!    sequence of one of its last five batches, nothing is written and the original batch's
//!    offsets are answered ([`AppendCheck::Duplicate`]; `UnifiedLog.analyzeAndValidateProducerState`).
//!    A retry older than those five is not recognised and falls to rule 5.
//! 3. Epoch older than the producer's: INVALID_PRODUCER_EPOCH. Kafka answers this rather than
//!    PRODUCER_FENCED on produce since 2.7, so the client can abort and retry; PRODUCER_FENCED
//!    comes from the transaction coordinator.
//! 4. Epoch newer than the producer's: the sequence must be 0, else OUT_OF_ORDER_SEQUENCE_NUMBER.
//! 5. Same epoch: the first sequence must follow the last appended one (`last + 1`, and 0 after
//!    `i32::MAX`), else OUT_OF_ORDER_SEQUENCE_NUMBER.
//! 6. Unknown producer (never seen, expired, or its records removed by retention or
//!    DeleteRecords): any sequence is accepted and tracking starts from it. Kafka 4 never answers
//!    UNKNOWN_PRODUCER_ID on produce (that error was retired by KIP-360).
//! 7. A non-transactional batch while the producer's transaction is open: INVALID_TXN_STATE.
//!
//! Origin COORDINATOR (the broker's own coordinators) checks epochs, transaction state and, for
//! COMMIT/ABORT markers, that the coordinator epoch is not older than the last one seen
//! (TRANSACTION_COORDINATOR_FENCED); it checks no sequences. [`ProducerStateError::error_code`]
//! gives the Kafka error code of each rejection.
//!
//! # Updating, on every replica ([`ProducerStateManager::apply_append`])
//!
//! After the leader writes, and when a follower appends what it fetched, the stamped batches
//! are applied without checks (Kafka's REPLICATION origin): a new epoch clears the remembered
//! batches, each data batch is remembered (the oldest of five forgotten), a transactional batch
//! opens a transaction, a marker closes it. Followers thus hold the state a new leader needs.
//! Recovery applies the same way ([`ProducerStateManager::load_from_batches`]).
//!
//! # Snapshots and truncation
//!
//! A snapshot (Kafka's file format, see [`snapshot`]) records each producer's fields and last
//! batch as of a map end offset; [`ProducerStateManager::take_snapshot`] writes one atomically as
//! `<offset, 20 digits>.snapshot` in the partition directory. Truncation, and startup, go through
//! [`ProducerStateManager::truncate_and_reload`]: snapshots past the new end are deleted, the
//! newest remaining readable one is loaded (corrupt ones are deleted, as Kafka does), and the
//! caller replays the log from the offset it returns:
//!
//! ```text
//! let replay_from = state.truncate_and_reload(dir, log_start, log_end, now_ms)?;
//! state.load_from_batches(log.batch_headers(replay_from..log_end));
//! state.set_map_end_offset(log_end);
//! ```
//!
//! # Expiry and memory
//!
//! [`ProducerStateManager::remove_expired_producers`] drops producers with no open transaction
//! whose last batch timestamp is `producer.id.expiration.ms` (default one day) or more before
//! now; Kafka runs it every `producer.id.expiration.check.interval.ms` (10 minutes). Kafka puts
//! no cap on producers per partition and neither does this (a cap would refuse well-behaved
//! clients); each tracked producer costs about [`APPROX_BYTES_PER_PRODUCER`] bytes of memory and
//! 46 bytes of snapshot.
//!
//! # Not here yet
//!
//! Transaction verification (KIP-890: AddPartitionsToTxn verification guards, transaction
//! version 2 marker epochs), the ongoing/unreplicated transaction lists, the last stable offset
//! and the transaction index.
//!
//! # Files
//!
//! `entry.rs` one producer's state; `batch.rs` what is read from a batch; `append.rs` leader
//! checks and replica updates; `error.rs` rejections and their error codes; `snapshot.rs` the
//! snapshot format; `snapshot_file.rs` snapshot files and the operations that use them.

mod append;
mod batch;
mod entry;
mod error;
pub mod snapshot;
mod snapshot_file;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use flotilla_model::{Offset, ProducerId};

pub use append::{AppendCheck, AppendOrigin};
pub use batch::{EndTxnMarker, ProducerBatch};
pub use entry::{BatchMetadata, ProducerStateEntry, BATCHES_RETAINED, NO_COORDINATOR_EPOCH};
pub use error::ProducerStateError;
pub use snapshot::{CorruptSnapshot, TooManyProducers};
pub use snapshot_file::{
    delete_snapshot_files_after, delete_snapshot_files_before, list_snapshot_files, read_snapshot_file,
    retain_latest_snapshot_files, snapshot_file_name, snapshot_offset_from_file_name, write_snapshot_file,
    SnapshotError, SnapshotFile, MAX_SNAPSHOT_FILE_BYTES, SNAPSHOT_FILE_SUFFIX,
};

/// Kafka's default `producer.id.expiration.ms`: one day.
pub const DEFAULT_PRODUCER_ID_EXPIRATION_MS: i64 = 24 * 60 * 60 * 1000;

/// Snapshots kept per partition by default. Kafka keeps one per segment; a truncation below the
/// oldest kept snapshot replays from the log start, which is correct, only slower.
pub const DEFAULT_SNAPSHOTS_RETAINED: usize = 3;

/// Memory one tracked producer takes, hash map overhead included: a 160-byte entry (its five
/// batches inline, no allocation of its own) plus key and table slack. An estimate; just after
/// the table grows it can be up to twice this.
pub const APPROX_BYTES_PER_PRODUCER: usize = 200;

/// Producer state settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerStateConfig {
    /// `producer.id.expiration.ms`: idle time after which a producer's state is dropped.
    pub producer_id_expiration_ms: i64,
    /// Snapshot files kept in the partition directory (at least one is always kept).
    pub snapshots_retained: usize,
}

impl Default for ProducerStateConfig {
    fn default() -> Self {
        Self {
            producer_id_expiration_ms: DEFAULT_PRODUCER_ID_EXPIRATION_MS,
            snapshots_retained: DEFAULT_SNAPSHOTS_RETAINED,
        }
    }
}

/// The producer state of one partition.
///
/// `map_end_offset` is the offset up to which the log has been applied (exclusive); snapshots
/// are named by it. The caller serialises access (the partition's append lock).
#[derive(Debug, Clone)]
pub struct ProducerStateManager {
    config: ProducerStateConfig,
    producers: HashMap<ProducerId, ProducerStateEntry>,
    map_end_offset: Offset,
    last_snapshot_offset: Offset,
}

impl ProducerStateManager {
    /// Empty state at offset 0.
    pub fn new(config: ProducerStateConfig) -> Self {
        Self { config, producers: HashMap::new(), map_end_offset: Offset::new(0), last_snapshot_offset: Offset::new(0) }
    }

    pub fn config(&self) -> &ProducerStateConfig {
        &self.config
    }

    /// The state of `producer_id`, if tracked (Kafka's `lastEntry`).
    pub fn entry(&self, producer_id: ProducerId) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    /// Every tracked producer, in no particular order.
    pub fn producers(&self) -> impl Iterator<Item = (ProducerId, &ProducerStateEntry)> {
        self.producers.iter().map(|(id, entry)| (*id, entry))
    }

    pub fn producer_count(&self) -> usize {
        self.producers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// The offset up to which batches have been applied (exclusive).
    pub fn map_end_offset(&self) -> Offset {
        self.map_end_offset
    }

    /// Declares the state current up to `offset`, e.g. after a replay that ended in a gap
    /// (Kafka's `updateMapEndOffset`).
    pub fn set_map_end_offset(&mut self, offset: Offset) {
        self.map_end_offset = offset;
    }

    /// The offset of the last snapshot written or loaded (the log start if none).
    pub fn last_snapshot_offset(&self) -> Offset {
        self.last_snapshot_offset
    }

    /// Drops producers idle for `producer.id.expiration.ms` or more at `now_ms` that have no
    /// open transaction; returns how many were dropped (Kafka's `removeExpiredProducers`).
    pub fn remove_expired_producers(&mut self, now_ms: i64) -> usize {
        let before = self.producers.len();
        let expiration_ms = self.config.producer_id_expiration_ms;
        self.producers.retain(|_, entry| !is_expired(entry, now_ms, expiration_ms));
        before - self.producers.len()
    }

    /// Empties the state and restarts it at `offset` (the in-memory half of Kafka's
    /// `truncateFullyAndStartAt`; [`ProducerStateManager::truncate_fully`] also deletes snapshots).
    pub fn clear_and_start_at(&mut self, offset: Offset) {
        self.producers.clear();
        self.map_end_offset = offset;
        self.last_snapshot_offset = Offset::new(0);
    }

    /// Replaces the state with a decoded snapshot taken at `offset`, leaving out producers
    /// already expired at `now_ms` (as Kafka's `loadFromSnapshot`).
    pub fn restore_snapshot(
        &mut self,
        offset: Offset,
        entries: impl IntoIterator<Item = (ProducerId, ProducerStateEntry)>,
        now_ms: i64,
    ) {
        let expiration_ms = self.config.producer_id_expiration_ms;
        self.producers = entries.into_iter().filter(|(_, entry)| !is_expired(entry, now_ms, expiration_ms)).collect();
        self.map_end_offset = offset;
        self.last_snapshot_offset = offset;
    }

    /// The state encoded as a snapshot file's contents, producers in id order.
    pub fn snapshot_bytes(&self) -> Result<Vec<u8>, TooManyProducers> {
        let mut entries: Vec<(ProducerId, &ProducerStateEntry)> = self.producers().collect();
        entries.sort_unstable_by_key(|(id, _)| *id);
        snapshot::encode_snapshot(entries.into_iter())
    }
}

impl Default for ProducerStateManager {
    fn default() -> Self {
        Self::new(ProducerStateConfig::default())
    }
}

/// Kafka's `isProducerExpired`: no open transaction and idle for the expiration time or more.
fn is_expired(entry: &ProducerStateEntry, now_ms: i64, expiration_ms: i64) -> bool {
    entry.current_txn_first_offset().is_none() && now_ms.saturating_sub(entry.last_timestamp_ms()) >= expiration_ms
}
