//! Adapts the embedding crate's [`StateMachine`] to openraft's [`RaftStateMachine`], and keeps its
//! snapshots in RocksDB.
//!
//! The state machine lives in memory. What makes it durable is the log plus the last snapshot:
//! on start the snapshot (if any) is restored, and openraft re-applies the committed entries after
//! it. A snapshot is the state machine's bytes plus openraft's metadata (last applied log id, last
//! membership), written fsynced in one RocksDB value, so it is durable before openraft purges the
//! entries it covers.

use std::io::Cursor;
use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::storage::Snapshot;
use openraft::EntryPayload;
use openraft::OptionalSend;
use openraft::RaftSnapshotBuilder;
use openraft::SnapshotMeta;
use openraft::StorageError;
use openraft::StorageIOError;
use openraft::StoredMembership;
use rocksdb::WriteBatch;
use serde::Deserialize;
use serde::Serialize;

use crate::codec::decode;
use crate::codec::encode;
use crate::db::blocking;
use crate::db::Durability;
use crate::db::RaftDb;
use crate::db::CF_SNAPSHOT;
use crate::db::KEY_SNAPSHOT;
use crate::error::StoreError;
use crate::state_machine::StateMachine;
use crate::type_config::CommandResponse;
use crate::type_config::Entry;
use crate::type_config::LogId;
use crate::type_config::Node;
use crate::type_config::NodeId;
use crate::type_config::TypeConfig;

type StorageResult<T> = Result<T, StorageError<NodeId>>;
type Meta = SnapshotMeta<NodeId, Node>;

/// A snapshot as stored: openraft's metadata and the state machine's bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    meta: Meta,
    data: Vec<u8>,
}

/// The state machine side of one node's storage.
pub(crate) struct StateMachineStore<S> {
    db: Arc<RaftDb>,
    state_machine: S,
    last_applied: Option<LogId>,
    last_membership: StoredMembership<NodeId, Node>,
    /// Makes snapshot ids unique among the snapshots this process builds at the same log id.
    snapshot_seq: u64,
}

impl<S: StateMachine> StateMachineStore<S> {
    /// Wraps `state_machine` (which must be empty) and restores it from the stored snapshot, if
    /// there is one.
    pub(crate) fn open(db: Arc<RaftDb>, mut state_machine: S) -> Result<Self, StoreError> {
        let mut last_applied = None;
        let mut last_membership = StoredMembership::default();
        if let Some(stored) = read_snapshot(&db)? {
            state_machine.restore(&stored.data)?;
            last_applied = stored.meta.last_log_id;
            last_membership = stored.meta.last_membership;
            tracing::info!(
                last_applied = ?last_applied,
                "restored the state machine from the stored snapshot"
            );
        }
        Ok(Self { db, state_machine, last_applied, last_membership, snapshot_seq: 0 })
    }
}

fn read_snapshot(db: &RaftDb) -> Result<Option<StoredSnapshot>, StoreError> {
    match db.get(CF_SNAPSHOT, KEY_SNAPSHOT)? {
        Some(bytes) => Ok(Some(decode(&bytes, "snapshot")?)),
        None => Ok(None),
    }
}

/// Stores `snapshot` unless the stored one is newer, fsynced. Returns whether it was stored.
fn store_snapshot(db: &RaftDb, snapshot: &StoredSnapshot) -> Result<bool, StoreError> {
    // A poisoned lock only means another writer panicked; the database itself is consistent.
    let _guard = db.snapshot_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(current) = read_snapshot(db)? {
        if current.meta.last_log_id > snapshot.meta.last_log_id {
            return Ok(false);
        }
    }
    let mut batch = WriteBatch::default();
    batch.put_cf(db.cf(CF_SNAPSHOT)?, KEY_SNAPSHOT, encode(snapshot, "snapshot")?);
    db.write(batch, Durability::Sync)?;
    Ok(true)
}

/// Builds one snapshot from state captured on the state machine task.
pub(crate) struct SnapshotBuilder {
    db: Arc<RaftDb>,
    snapshot: StoredSnapshot,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> StorageResult<Snapshot<TypeConfig>> {
        let snapshot = self.snapshot.clone();
        let signature = snapshot.meta.signature();
        let stored = blocking(&self.db, move |db| store_snapshot(db, &snapshot).map(|stored| (stored, snapshot)))
            .await
            .map_err(|e| StorageIOError::write_snapshot(Some(signature), &e))?;
        let (written, snapshot) = stored;
        tracing::info!(
            last_log_id = ?snapshot.meta.last_log_id,
            bytes = snapshot.data.len(),
            written,
            "built a snapshot"
        );
        Ok(Snapshot { meta: snapshot.meta, snapshot: Box::new(Cursor::new(snapshot.data)) })
    }
}

impl<S: StateMachine> RaftStateMachine<TypeConfig> for StateMachineStore<S> {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> StorageResult<(Option<LogId>, StoredMembership<NodeId, Node>)> {
        Ok((self.last_applied, self.last_membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> StorageResult<Vec<CommandResponse>>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries = entries.into_iter();
        let mut responses = Vec::with_capacity(entries.size_hint().0);
        for entry in entries {
            let response = match entry.payload {
                EntryPayload::Blank => CommandResponse::default(),
                EntryPayload::Normal(command) => {
                    CommandResponse(self.state_machine.apply(entry.log_id.index, &command.0))
                }
                EntryPayload::Membership(membership) => {
                    self.last_membership = StoredMembership::new(Some(entry.log_id), membership);
                    CommandResponse::default()
                }
            };
            self.last_applied = Some(entry.log_id);
            responses.push(response);
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        // Encode now, on the state machine task, so the snapshot is exactly the state at
        // `last_applied`; storing it happens in the builder, off this task.
        self.snapshot_seq += 1;
        let snapshot_id = match self.last_applied {
            Some(log_id) => format!("{}-{}-{}", log_id.leader_id.term, log_id.index, self.snapshot_seq),
            None => format!("none-{}", self.snapshot_seq),
        };
        SnapshotBuilder {
            db: Arc::clone(&self.db),
            snapshot: StoredSnapshot {
                meta: SnapshotMeta {
                    last_log_id: self.last_applied,
                    last_membership: self.last_membership.clone(),
                    snapshot_id,
                },
                data: self.state_machine.snapshot(),
            },
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> StorageResult<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(&mut self, meta: &Meta, snapshot: Box<Cursor<Vec<u8>>>) -> StorageResult<()> {
        let stored = StoredSnapshot { meta: meta.clone(), data: snapshot.into_inner() };
        let signature = meta.signature();
        self.state_machine
            .restore(&stored.data)
            .map_err(|e| StorageIOError::read_snapshot(Some(signature.clone()), &e))?;
        self.last_applied = meta.last_log_id;
        self.last_membership = meta.last_membership.clone();
        tracing::info!(last_log_id = ?meta.last_log_id, "installed a snapshot from the leader");
        blocking(&self.db, move |db| store_snapshot(db, &stored))
            .await
            .map_err(|e| StorageIOError::write_snapshot(Some(signature), &e))?;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> StorageResult<Option<Snapshot<TypeConfig>>> {
        let stored = blocking(&self.db, read_snapshot).await.map_err(|e| StorageIOError::read_snapshot(None, &e))?;
        Ok(stored.map(|s| Snapshot { meta: s.meta, snapshot: Box::new(Cursor::new(s.data)) }))
    }
}
