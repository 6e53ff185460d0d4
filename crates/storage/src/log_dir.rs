//! A log dir (one entry of `log.dirs`): the partition directory names in it and its health.
//!
//! Partition directories are named `<topic>-<partition>`. A deleted partition's directory is first
//! renamed to `<topic>-<partition>.<unique id>-delete` and then removed, so a crash in between leaves a
//! name the next start recognises and finishes deleting (Kafka's convention). `-future` (a replica being
//! moved between log dirs) and `-stray` directories are Kafka features Flotilla does not have; they are
//! left alone with a warning.
//!
//! Health follows Kafka's `LogDirFailureChannel`: the first I/O error in a log dir takes the whole dir
//! offline, every log in it refuses further work with [`StorageError::LogDirOffline`], and the log
//! manager reports the dir so the broker can tell the controller.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use flotilla_model::{PartitionIndex, TopicName, TopicPartition};

use crate::error::StorageError;

/// Suffix of a partition directory being deleted.
pub(crate) const DELETE_DIR_SUFFIX: &str = "-delete";
/// Suffix Kafka gives a replica being moved to another log dir.
pub(crate) const FUTURE_DIR_SUFFIX: &str = "-future";
/// Suffix Kafka gives a replica no longer assigned to the broker.
pub(crate) const STRAY_DIR_SUFFIX: &str = "-stray";

/// `<topic>-<partition>`.
pub fn partition_dir_name(tp: &TopicPartition) -> String {
    format!("{}-{}", tp.topic, tp.partition)
}

/// The partition a directory name stands for, if it is `<topic>-<partition>` with a legal topic name
/// and a non-negative partition number.
pub fn parse_partition_dir_name(name: &str) -> Option<TopicPartition> {
    let (topic, partition) = name.rsplit_once('-')?;
    if partition.is_empty() || !partition.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let partition: i32 = partition.parse().ok()?;
    let topic = TopicName::new(topic).ok()?;
    Some(TopicPartition::new(topic, PartitionIndex::new(partition)))
}

/// The name a partition directory is renamed to before it is removed.
pub(crate) fn delete_dir_name(tp: &TopicPartition) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let unique = (u128::from(nanos) << 64) | u128::from(count ^ u64::from(std::process::id()).rotate_left(32));
    format!("{}.{unique:032x}{DELETE_DIR_SUFFIX}", partition_dir_name(tp))
}

/// A log dir that went offline and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDirFailure {
    pub dir: PathBuf,
    pub error: String,
}

/// The shared health of one log dir.
#[derive(Debug)]
pub(crate) struct LogDirState {
    path: PathBuf,
    offline: AtomicBool,
    reported: AtomicBool,
    failure: Mutex<Option<String>>,
    /// Held while a checkpoint file of this dir is computed and written: every writer goes through
    /// the same `<name>.tmp`, so two at once would rename each other's file away (and take the dir
    /// offline on the loser's missing file), or put an older view over a newer one.
    checkpoint_write: Mutex<()>,
}

impl LogDirState {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            offline: AtomicBool::new(false),
            reported: AtomicBool::new(false),
            failure: Mutex::new(None),
            checkpoint_write: Mutex::new(()),
        }
    }

    /// Serializes checkpoint writes in this dir (see the field).
    pub(crate) fn lock_checkpoints(&self) -> MutexGuard<'_, ()> {
        self.checkpoint_write.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_offline(&self) -> bool {
        self.offline.load(Ordering::Acquire)
    }

    /// Fails with [`StorageError::LogDirOffline`] if the dir is offline.
    pub(crate) fn check_online(&self) -> Result<(), StorageError> {
        if self.is_offline() {
            return Err(StorageError::LogDirOffline { dir: self.path.clone() });
        }
        Ok(())
    }

    /// Takes the dir offline because of `error` (only I/O errors do; others are ignored).
    pub(crate) fn fail_on(&self, error: &StorageError) {
        if error.is_io() {
            self.take_offline(error);
        }
    }

    /// Takes the dir offline whatever the error (a dir that could not be loaded must not be used).
    pub(crate) fn take_offline(&self, error: &StorageError) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if failure.is_none() {
            tracing::error!(dir = %self.path.display(), %error, "log dir goes offline after an I/O error");
            *failure = Some(error.to_string());
        }
        self.offline.store(true, Ordering::Release);
    }

    /// The failure, once, for the first caller after the dir went offline.
    pub(crate) fn take_unreported_failure(&self) -> Option<LogDirFailure> {
        if !self.is_offline() || self.reported.swap(true, Ordering::AcqRel) {
            return None;
        }
        let error = self.failure.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default();
        Some(LogDirFailure { dir: self.path.clone(), error })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_util::tp;

    #[test]
    fn partition_dir_names() {
        assert_eq!(partition_dir_name(&tp("orders", 3)), "orders-3");
        assert_eq!(parse_partition_dir_name("orders-3"), Some(tp("orders", 3)));
        assert_eq!(parse_partition_dir_name("my-topic-12"), Some(tp("my-topic", 12)));
        assert_eq!(parse_partition_dir_name("__consumer_offsets-49"), Some(tp("__consumer_offsets", 49)));
        assert_eq!(parse_partition_dir_name("orders--1"), Some(tp("orders-", 1)), "a topic may end in a dash");
        for bad in ["orders", "orders-", "-3", "orders-x", "bad topic-1", "lost+found", "t-99999999999"] {
            assert_eq!(parse_partition_dir_name(bad), None, "{bad}");
        }
        let deleting = delete_dir_name(&tp("orders", 3));
        assert!(deleting.starts_with("orders-3.") && deleting.ends_with("-delete"), "{deleting}");
        assert_ne!(deleting, delete_dir_name(&tp("orders", 3)));
        assert_eq!(parse_partition_dir_name(&deleting), None);
    }

    #[test]
    fn a_failure_is_reported_once() {
        let state = LogDirState::new(PathBuf::from("/data"));
        assert!(state.check_online().is_ok());
        state.fail_on(&StorageError::NoOnlineLogDir);
        assert!(!state.is_offline(), "only I/O errors take a dir offline");
        state.fail_on(&StorageError::io("fsync", Path::new("/data/x"), std::io::ErrorKind::StorageFull.into()));
        assert!(matches!(state.check_online(), Err(StorageError::LogDirOffline { .. })));
        let failure = state.take_unreported_failure().unwrap();
        assert!(failure.error.contains("fsync /data/x"), "{}", failure.error);
        assert!(state.take_unreported_failure().is_none());
    }
}
