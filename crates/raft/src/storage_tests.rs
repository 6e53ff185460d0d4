//! openraft's storage conformance suite, run against the RocksDB log store and state machine store.

#![allow(clippy::unwrap_used)]

use openraft::testing::StoreBuilder;
use openraft::testing::Suite;
use openraft::StorageError;
use openraft::StorageIOError;
use tempfile::TempDir;

use crate::db::RaftDb;
use crate::log_store::LogStore;
use crate::state_machine::SnapshotRestoreError;
use crate::state_machine::StateMachine;
use crate::state_machine_store::StateMachineStore;
use crate::type_config::NodeId;
use crate::type_config::TypeConfig;

/// Counts the commands it applied; its snapshot is the count.
#[derive(Debug, Default)]
struct Counter(u64);

impl StateMachine for Counter {
    fn apply(&mut self, _index: u64, _command: &[u8]) -> Vec<u8> {
        self.0 += 1;
        self.0.to_be_bytes().to_vec()
    }

    fn snapshot(&self) -> Vec<u8> {
        self.0.to_be_bytes().to_vec()
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), SnapshotRestoreError> {
        let bytes: [u8; 8] = snapshot.try_into().map_err(|_| SnapshotRestoreError::new("not 8 bytes"))?;
        self.0 = u64::from_be_bytes(bytes);
        Ok(())
    }
}

struct RocksBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore<Counter>, TempDir> for RocksBuilder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachineStore<Counter>), StorageError<NodeId>> {
        let dir = tempfile::tempdir().map_err(|e| StorageIOError::write(&e))?;
        let db = RaftDb::open(dir.path()).map_err(|e| StorageIOError::write(&e))?;
        let state_machine = StateMachineStore::open(std::sync::Arc::clone(&db), Counter::default())
            .map_err(|e| StorageIOError::write(&e))?;
        Ok((dir, LogStore::new(db), state_machine))
    }
}

#[test]
fn rocksdb_storage_passes_the_openraft_suite() {
    Suite::test_all(RocksBuilder).unwrap();
}
