//! The node's RocksDB database: column families, keys, and durable writes.
//!
//! Layout (one database per node, in the directory given to `RaftNode::start`):
//!
//! | column family | key | value |
//! |---|---|---|
//! | `logs` | log index, `u64` big-endian (so keys sort by index) | `Entry` |
//! | `meta` | `vote` | `Vote` |
//! | `meta` | `committed` | `Option<LogId>` |
//! | `meta` | `last_purged` | `LogId` |
//! | `snapshot` | `current` | `StoredSnapshot`: the snapshot's metadata and state machine bytes |
//!
//! Values are postcard encoded ([`crate::codec`]). All column families share one write-ahead log,
//! so writes become durable in the order they were made: a synced write also makes every earlier
//! write durable.

use std::path::Path;
use std::sync::Arc;

use rocksdb::ColumnFamily;
use rocksdb::ColumnFamilyDescriptor;
use rocksdb::Options;
use rocksdb::WriteBatch;
use rocksdb::WriteOptions;
use rocksdb::DB;

use crate::error::StoreError;

pub(crate) const CF_LOGS: &str = "logs";
pub(crate) const CF_META: &str = "meta";
pub(crate) const CF_SNAPSHOT: &str = "snapshot";

pub(crate) const KEY_VOTE: &[u8] = b"vote";
pub(crate) const KEY_COMMITTED: &[u8] = b"committed";
pub(crate) const KEY_LAST_PURGED: &[u8] = b"last_purged";
pub(crate) const KEY_SNAPSHOT: &[u8] = b"current";

/// Whether a write must reach stable storage before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// fsync the write-ahead log before returning: for what Raft promises to remember (votes,
    /// appended entries, snapshots).
    Sync,
    /// Leave it in the write-ahead log for RocksDB to flush: for what can be lost on a crash
    /// without breaking Raft's guarantees.
    Buffered,
}

/// The opened database, shared by the log store and the state machine store.
pub(crate) struct RaftDb {
    db: DB,
    /// Serializes snapshot replacement, so a slow snapshot build cannot overwrite a newer installed
    /// snapshot.
    pub(crate) snapshot_lock: std::sync::Mutex<()>,
    /// Declared after `db`, so it is dropped (and signals) only once RocksDB has closed and released
    /// its directory lock: the last `Arc` reaching zero is not enough, its drop may still be running.
    closed: ClosedSignal,
}

/// Sets its flag when dropped.
#[derive(Debug)]
struct ClosedSignal(Arc<std::sync::atomic::AtomicBool>);

impl Drop for ClosedSignal {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

impl std::fmt::Debug for RaftDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftDb").field("path", &self.db.path()).finish()
    }
}

impl RaftDb {
    /// Opens (creating if needed) the database in `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Arc<RaftDb>, StoreError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        // The raft log is small and hot; keep RocksDB's background work to a minimum.
        options.set_max_background_jobs(2);
        let families = [CF_LOGS, CF_META, CF_SNAPSHOT]
            .into_iter()
            .map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
        let db = DB::open_cf_descriptors(&options, dir, families)?;
        let closed = ClosedSignal(Arc::new(std::sync::atomic::AtomicBool::new(false)));
        Ok(Arc::new(RaftDb { db, snapshot_lock: std::sync::Mutex::new(()), closed }))
    }

    /// A flag that turns true once this database is closed and its directory can be opened again.
    pub(crate) fn closed_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        Arc::clone(&self.closed.0)
    }

    pub(crate) fn cf(&self, name: &'static str) -> Result<&ColumnFamily, StoreError> {
        self.db.cf_handle(name).ok_or(StoreError::MissingColumnFamily(name))
    }

    pub(crate) fn get(&self, cf: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get_cf(self.cf(cf)?, key)?)
    }

    pub(crate) fn inner(&self) -> &DB {
        &self.db
    }

    /// Writes `batch` atomically, synced or not.
    pub(crate) fn write(&self, batch: WriteBatch, durability: Durability) -> Result<(), StoreError> {
        let mut options = WriteOptions::default();
        options.set_sync(durability == Durability::Sync);
        self.db.write_opt(batch, &options)?;
        Ok(())
    }
}

/// Runs blocking storage work (an fsync, a large read) off the async worker threads.
pub(crate) async fn blocking<T, F>(db: &Arc<RaftDb>, work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&RaftDb) -> Result<T, StoreError> + Send + 'static,
{
    let db = Arc::clone(db);
    tokio::task::spawn_blocking(move || work(&db)).await.map_err(|e| StoreError::Task(e.to_string()))?
}

/// The key of the log entry at `index`.
pub(crate) fn log_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

/// The index of a log key; `None` if the key is not one.
pub(crate) fn log_index(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}
