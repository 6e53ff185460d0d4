//! The leader epoch cache of a partition (Kafka's `LeaderEpochFileCache`, KIP-101/KIP-279): for each
//! leader epoch, the first offset written in it. A follower asks the leader for the end offset of its
//! latest epoch (OffsetForLeaderEpoch) and truncates to it, so replicas never diverge.
//!
//! Persisted as `leader-epoch-checkpoint` in the partition directory, in Kafka's checkpoint layout:
//!
//! ```text
//! 0              version
//! 2              number of entries
//! 0 0            epoch startOffset
//! 3 1520
//! ```
//!
//! Epochs and start offsets strictly increase. Every change is written atomically (temp file, fsync,
//! rename); changes are rare (once per leader change, truncation or log start move). A missing or
//! unreadable file is rebuilt from the batches' leader epochs when the log is loaded.

use std::path::{Path, PathBuf};

use flotilla_model::{LeaderEpoch, Offset};

use crate::checkpoint::{parse_checkpoint, read_small_file, write_file_atomically};
use crate::error::StorageError;

/// The file's name in the partition directory.
pub const LEADER_EPOCH_CHECKPOINT_FILE: &str = "leader-epoch-checkpoint";

/// Largest epoch checkpoint read.
const MAX_EPOCH_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// An epoch and the first offset its leader wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: LeaderEpoch,
    pub start_offset: Offset,
}

/// How the checkpoint file was found when loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EpochFileStatus {
    Loaded,
    Missing,
    Corrupt(String),
}

/// The cache; the owning log serialises access.
#[derive(Debug)]
pub struct LeaderEpochCache {
    path: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    /// Loads `leader-epoch-checkpoint` from `partition_dir`. An unreadable file yields an empty cache
    /// and says why; I/O errors other than "not found" are errors.
    pub(crate) fn load(partition_dir: &Path) -> Result<(Self, EpochFileStatus), StorageError> {
        let path = partition_dir.join(LEADER_EPOCH_CHECKPOINT_FILE);
        let text = match read_small_file(&path, MAX_EPOCH_FILE_BYTES) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok((Self { path, entries: Vec::new() }, EpochFileStatus::Missing)),
            Err(StorageError::CorruptCheckpoint { reason, .. }) => {
                return Ok((Self { path, entries: Vec::new() }, EpochFileStatus::Corrupt(reason)))
            }
            Err(e) => return Err(e),
        };
        match parse_checkpoint(&path, &text, parse_epoch_entry) {
            Ok(entries) if is_monotonic(&entries) => Ok((Self { path, entries }, EpochFileStatus::Loaded)),
            Ok(_) => Ok((
                Self { path, entries: Vec::new() },
                EpochFileStatus::Corrupt("epochs or start offsets do not increase".to_owned()),
            )),
            Err(e) => Ok((Self { path, entries: Vec::new() }, EpochFileStatus::Corrupt(e.to_string()))),
        }
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    pub fn earliest_entry(&self) -> Option<EpochEntry> {
        self.entries.first().copied()
    }

    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.latest_entry().map(|e| e.epoch)
    }

    /// The epoch the record at `offset` was written in (Kafka's `epochForOffset`).
    pub fn epoch_for_offset(&self, offset: Offset) -> Option<LeaderEpoch> {
        let mut previous = None;
        for entry in &self.entries {
            if entry.start_offset == offset {
                return Some(entry.epoch);
            }
            if entry.start_offset > offset {
                return previous;
            }
            previous = Some(entry.epoch);
        }
        previous
    }

    /// OffsetForLeaderEpoch (Kafka's `endOffsetFor`): the largest epoch at most `requested` and the
    /// offset where the next epoch starts (the log end offset for the latest epoch); (-1, -1) when
    /// `requested` is undefined or above every known epoch.
    pub fn end_offset_for(&self, requested: LeaderEpoch, log_end_offset: Offset) -> (LeaderEpoch, Offset) {
        let undefined = (LeaderEpoch::UNKNOWN, Offset::UNKNOWN);
        if requested == LeaderEpoch::UNKNOWN {
            return undefined;
        }
        if self.latest_epoch() == Some(requested) {
            return (requested, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested) else {
            return undefined;
        };
        match self.entries.iter().rev().find(|e| e.epoch <= requested) {
            // Requested is older than anything known: answer with the first known start offset.
            None => (requested, higher.start_offset),
            Some(floor) => (floor.epoch, higher.start_offset),
        }
    }

    /// Records that `epoch` starts at `start_offset` and persists the change; returns whether anything
    /// changed. Entries that would break monotonicity (same or later epoch, same or later start) are
    /// dropped first, as Kafka does.
    pub(crate) fn assign(&mut self, epoch: LeaderEpoch, start_offset: Offset) -> Result<bool, StorageError> {
        let changed = self.assign_in_memory(epoch, start_offset);
        if changed {
            self.persist()?;
        }
        Ok(changed)
    }

    /// [`LeaderEpochCache::assign`] without writing the file (for rebuilding; call `persist` after).
    pub(crate) fn assign_in_memory(&mut self, epoch: LeaderEpoch, start_offset: Offset) -> bool {
        if epoch.get() < 0 || start_offset.get() < 0 {
            return false;
        }
        let needed = self.latest_entry().is_none_or(|last| last.epoch != epoch || start_offset < last.start_offset);
        if !needed {
            return false;
        }
        let before = self.entries.len();
        self.entries.retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        let removed = before - self.entries.len();
        if removed > 0 {
            tracing::warn!(
                path = %self.path.display(),
                "epoch {epoch} starting at {start_offset} replaces {removed} later cached epoch entries"
            );
        }
        self.entries.push(EpochEntry { epoch, start_offset });
        true
    }

    /// Removes the entries starting at or after `end_offset` (after the log was truncated to it).
    pub(crate) fn truncate_from_end(&mut self, end_offset: Offset) -> Result<(), StorageError> {
        if self.latest_entry().is_some_and(|last| last.start_offset >= end_offset) {
            self.entries.retain(|e| e.start_offset < end_offset);
            self.persist()?;
        }
        Ok(())
    }

    /// Drops the entries wholly before `start_offset` (the new log start); the entry covering it now
    /// starts there.
    pub(crate) fn truncate_from_start(&mut self, start_offset: Offset) -> Result<(), StorageError> {
        let covered = self.entries.iter().take_while(|e| e.start_offset <= start_offset).count();
        if covered == 0 {
            return Ok(());
        }
        let keep_epoch = self.entries[covered - 1].epoch;
        if covered == 1 && self.entries[0].start_offset == start_offset {
            return Ok(());
        }
        self.entries.drain(..covered);
        self.entries.insert(0, EpochEntry { epoch: keep_epoch, start_offset });
        self.persist()
    }

    /// Forgets every entry (the log was emptied and restarted).
    pub(crate) fn clear(&mut self) -> Result<(), StorageError> {
        self.entries.clear();
        self.persist()
    }

    /// Writes the file.
    pub(crate) fn persist(&self) -> Result<(), StorageError> {
        let mut text = format!("0\n{}\n", self.entries.len());
        for e in &self.entries {
            text.push_str(&format!("{} {}\n", e.epoch, e.start_offset));
        }
        write_file_atomically(&self.path, text.as_bytes())
    }
}

fn parse_epoch_entry(line: &str) -> Option<EpochEntry> {
    let mut fields = line.split_whitespace();
    let epoch: i32 = fields.next()?.parse().ok()?;
    let start: i64 = fields.next()?.parse().ok()?;
    if fields.next().is_some() || epoch < 0 || start < 0 {
        return None;
    }
    Some(EpochEntry { epoch: LeaderEpoch::new(epoch), start_offset: Offset::new(start) })
}

fn is_monotonic(entries: &[EpochEntry]) -> bool {
    entries.windows(2).all(|w| w[0].epoch < w[1].epoch && w[0].start_offset < w[1].start_offset)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn e(epoch: i32) -> LeaderEpoch {
        LeaderEpoch::new(epoch)
    }
    fn o(offset: i64) -> Offset {
        Offset::new(offset)
    }
    fn pairs(cache: &LeaderEpochCache) -> Vec<(i32, i64)> {
        cache.entries().iter().map(|x| (x.epoch.get(), x.start_offset.get())).collect()
    }

    #[test]
    fn assign_persist_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, status) = LeaderEpochCache::load(dir.path()).unwrap();
        assert_eq!(status, EpochFileStatus::Missing);
        assert!(cache.assign(e(0), o(0)).unwrap());
        assert!(!cache.assign(e(0), o(5)).unwrap(), "same epoch, later offset: no change");
        assert!(cache.assign(e(2), o(10)).unwrap());
        assert!(cache.assign(e(5), o(30)).unwrap());
        let text = std::fs::read_to_string(dir.path().join(LEADER_EPOCH_CHECKPOINT_FILE)).unwrap();
        assert_eq!(text, "0\n3\n0 0\n2 10\n5 30\n");
        let (reloaded, status) = LeaderEpochCache::load(dir.path()).unwrap();
        assert_eq!(status, EpochFileStatus::Loaded);
        assert_eq!(pairs(&reloaded), vec![(0, 0), (2, 10), (5, 30)]);

        // A new epoch starting below cached ones replaces them.
        assert!(cache.assign(e(6), o(20)).unwrap());
        assert_eq!(pairs(&cache), vec![(0, 0), (2, 10), (6, 20)]);
    }

    #[test]
    fn end_offset_for_epoch_follows_kafka() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = LeaderEpochCache::load(dir.path()).unwrap();
        assert_eq!(cache.end_offset_for(e(0), o(0)), (e(-1), o(-1)), "empty cache");
        for (epoch, start) in [(1, 0), (3, 100), (4, 250)] {
            cache.assign(e(epoch), o(start)).unwrap();
        }
        assert_eq!(cache.end_offset_for(e(-1), o(400)), (e(-1), o(-1)));
        assert_eq!(cache.end_offset_for(e(0), o(400)), (e(0), o(0)), "older than any known epoch");
        assert_eq!(cache.end_offset_for(e(1), o(400)), (e(1), o(100)));
        assert_eq!(cache.end_offset_for(e(2), o(400)), (e(1), o(100)), "unknown epoch between two");
        assert_eq!(cache.end_offset_for(e(3), o(400)), (e(3), o(250)));
        assert_eq!(cache.end_offset_for(e(4), o(400)), (e(4), o(400)), "latest epoch: log end offset");
        assert_eq!(cache.end_offset_for(e(9), o(400)), (e(-1), o(-1)));

        assert_eq!(cache.epoch_for_offset(o(0)), Some(e(1)));
        assert_eq!(cache.epoch_for_offset(o(99)), Some(e(1)));
        assert_eq!(cache.epoch_for_offset(o(100)), Some(e(3)));
        assert_eq!(cache.epoch_for_offset(o(1000)), Some(e(4)));
    }

    #[test]
    fn truncation_from_both_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = LeaderEpochCache::load(dir.path()).unwrap();
        for (epoch, start) in [(1, 0), (3, 100), (4, 250), (7, 300)] {
            cache.assign(e(epoch), o(start)).unwrap();
        }
        cache.truncate_from_end(o(250)).unwrap();
        assert_eq!(pairs(&cache), vec![(1, 0), (3, 100)]);
        cache.truncate_from_start(o(150)).unwrap();
        assert_eq!(pairs(&cache), vec![(3, 150)]);
        cache.truncate_from_start(o(10)).unwrap();
        assert_eq!(pairs(&cache), vec![(3, 150)]);
        let (reloaded, _) = LeaderEpochCache::load(dir.path()).unwrap();
        assert_eq!(pairs(&reloaded), vec![(3, 150)]);
        cache.clear().unwrap();
        assert!(LeaderEpochCache::load(dir.path()).unwrap().0.entries().is_empty());
    }

    #[test]
    fn corrupt_file_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEADER_EPOCH_CHECKPOINT_FILE);
        for text in ["0\n2\n1 0\n", "0\n2\n3 10\n1 20\n", "garbage"] {
            std::fs::write(&path, text).unwrap();
            let (cache, status) = LeaderEpochCache::load(dir.path()).unwrap();
            assert!(matches!(status, EpochFileStatus::Corrupt(_)), "{text:?}");
            assert!(cache.entries().is_empty());
        }
    }
}
