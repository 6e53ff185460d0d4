//! The Raft log, vote and commit point in RocksDB: openraft's [`RaftLogStorage`].
//!
//! Durability: an append and a vote are fsynced before openraft is told they are done, because
//! Raft's safety rests on a node never forgetting an entry it acknowledged or a vote it cast.
//! A truncation is fsynced too (it is rare, and a resurrected conflicting entry must not outlive
//! the entries that replaced it). The commit point and purges are buffered writes: losing the
//! commit point only delays re-applying entries until the leader says again how far it is, and a
//! lost purge (one atomic batch with its `last_purged` marker) leaves entries that are already in
//! a durable snapshot and are purged again.

use std::fmt::Debug;
use std::ops::Bound;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::LogFlushed;
use openraft::storage::LogState;
use openraft::storage::RaftLogStorage;
use openraft::OptionalSend;
use openraft::RaftLogReader;
use openraft::StorageError;
use openraft::StorageIOError;
use openraft::Vote;
use rocksdb::Direction;
use rocksdb::IteratorMode;
use rocksdb::WriteBatch;
use serde::de::DeserializeOwned;

use crate::codec::decode;
use crate::codec::encode;
use crate::db::blocking;
use crate::db::log_index;
use crate::db::log_key;
use crate::db::Durability;
use crate::db::RaftDb;
use crate::db::CF_LOGS;
use crate::db::CF_META;
use crate::db::KEY_COMMITTED;
use crate::db::KEY_LAST_PURGED;
use crate::db::KEY_VOTE;
use crate::error::StoreError;
use crate::type_config::Entry;
use crate::type_config::LogId;
use crate::type_config::NodeId;
use crate::type_config::TypeConfig;

type StorageResult<T> = Result<T, StorageError<NodeId>>;

/// The log store of one node. Cheap to clone: clones share the database.
#[derive(Debug, Clone)]
pub(crate) struct LogStore {
    db: Arc<RaftDb>,
}

impl LogStore {
    pub(crate) fn new(db: Arc<RaftDb>) -> Self {
        Self { db }
    }

    fn read_meta<T: DeserializeOwned>(&self, key: &[u8], what: &'static str) -> Result<Option<T>, StoreError> {
        match self.db.get(CF_META, key)? {
            Some(bytes) => Ok(Some(decode(&bytes, what)?)),
            None => Ok(None),
        }
    }

    /// The entries whose index is in `range`, in order.
    fn entries<RB: RangeBounds<u64>>(&self, range: &RB) -> Result<Vec<Entry>, StoreError> {
        let start = match range.start_bound() {
            Bound::Included(i) => *i,
            Bound::Excluded(i) => match i.checked_add(1) {
                Some(next) => next,
                None => return Ok(Vec::new()),
            },
            Bound::Unbounded => 0,
        };
        let start_key = log_key(start);
        let iter =
            self.db.inner().iterator_cf(self.db.cf(CF_LOGS)?, IteratorMode::From(&start_key, Direction::Forward));
        let mut entries = Vec::new();
        for item in iter {
            let (key, value) = item?;
            let index =
                log_index(&key).ok_or_else(|| StoreError::CorruptLog(format!("log key of {} bytes", key.len())))?;
            if !range.contains(&index) {
                break;
            }
            let entry: Entry = decode(&value, "log entry")?;
            if entry.log_id.index != index {
                return Err(StoreError::CorruptLog(format!("key {index} holds the entry {}", entry.log_id)));
            }
            entries.push(entry);
        }
        Ok(entries)
    }

    fn last_log_id(&self) -> Result<Option<LogId>, StoreError> {
        let mut iter = self.db.inner().iterator_cf(self.db.cf(CF_LOGS)?, IteratorMode::End);
        match iter.next() {
            Some(item) => {
                let (_, value) = item?;
                let entry: Entry = decode(&value, "log entry")?;
                Ok(Some(entry.log_id))
            }
            None => Ok(None),
        }
    }
}

fn read_logs_error(e: StoreError) -> StorageError<NodeId> {
    StorageIOError::read_logs(&e).into()
}

fn write_logs_error(e: StoreError) -> StorageError<NodeId> {
    StorageIOError::write_logs(&e).into()
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> StorageResult<Vec<Entry>> {
        self.entries(&range).map_err(read_logs_error)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> StorageResult<LogState<TypeConfig>> {
        let last_purged_log_id: Option<LogId> =
            self.read_meta(KEY_LAST_PURGED, "last purged log id").map_err(read_logs_error)?;
        let last_log_id = self.last_log_id().map_err(read_logs_error)?;
        Ok(LogState {
            last_purged_log_id,
            // With every entry purged, the log ends where the purge did.
            last_log_id: last_log_id.or(last_purged_log_id),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> StorageResult<()> {
        let write = || -> Result<WriteBatch, StoreError> {
            let mut batch = WriteBatch::default();
            batch.put_cf(self.db.cf(CF_META)?, KEY_VOTE, encode(vote, "vote")?);
            Ok(batch)
        };
        let batch = write().map_err(|e| StorageIOError::write_vote(&e))?;
        blocking(&self.db, move |db| db.write(batch, Durability::Sync))
            .await
            .map_err(|e| StorageIOError::write_vote(&e).into())
    }

    async fn read_vote(&mut self) -> StorageResult<Option<Vote<NodeId>>> {
        self.read_meta(KEY_VOTE, "vote").map_err(|e| StorageIOError::read_vote(&e).into())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> StorageResult<()> {
        let write = || -> Result<(), StoreError> {
            let mut batch = WriteBatch::default();
            batch.put_cf(self.db.cf(CF_META)?, KEY_COMMITTED, encode(&committed, "committed log id")?);
            self.db.write(batch, Durability::Buffered)
        };
        write().map_err(|e| StorageIOError::write(&e).into())
    }

    async fn read_committed(&mut self) -> StorageResult<Option<LogId>> {
        let committed: Option<Option<LogId>> =
            self.read_meta(KEY_COMMITTED, "committed log id").map_err(|e| StorageIOError::read(&e))?;
        Ok(committed.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> StorageResult<()>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let batch = {
            let build = || -> Result<WriteBatch, StoreError> {
                let cf = self.db.cf(CF_LOGS)?;
                let mut batch = WriteBatch::default();
                for entry in entries {
                    batch.put_cf(cf, log_key(entry.log_id.index), encode(&entry, "log entry")?);
                }
                Ok(batch)
            };
            build().map_err(write_logs_error)?
        };
        let written = blocking(&self.db, move |db| db.write(batch, Durability::Sync)).await;
        match written {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(write_logs_error(e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> StorageResult<()> {
        tracing::debug!(from = %log_id, "truncating the raft log");
        let mut batch = WriteBatch::default();
        let cf = self.db.cf(CF_LOGS).map_err(write_logs_error)?;
        batch.delete_range_cf(cf, log_key(log_id.index), log_key(u64::MAX));
        blocking(&self.db, move |db| db.write(batch, Durability::Sync)).await.map_err(write_logs_error)
    }

    async fn purge(&mut self, log_id: LogId) -> StorageResult<()> {
        tracing::debug!(upto = %log_id, "purging the raft log");
        let build = || -> Result<WriteBatch, StoreError> {
            let mut batch = WriteBatch::default();
            batch.put_cf(self.db.cf(CF_META)?, KEY_LAST_PURGED, encode(&log_id, "last purged log id")?);
            let end = log_id.index.saturating_add(1);
            batch.delete_range_cf(self.db.cf(CF_LOGS)?, log_key(0), log_key(end));
            Ok(batch)
        };
        let batch = build().map_err(write_logs_error)?;
        blocking(&self.db, move |db| db.write(batch, Durability::Buffered)).await.map_err(write_logs_error)
    }
}
