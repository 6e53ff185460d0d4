//! The sparse time index of a segment (`<base offset>.timeindex`), Kafka's `TimeIndex`.
//!
//! Each 12-byte entry says "up to this offset, the largest timestamp seen is this":
//!
//! ```text
//! timestamp i64 | relativeOffset i32 (offset - segment base offset)     big-endian
//! ```
//!
//! Entries are added alongside offset index entries, and only when the timestamp is larger than the
//! last entry's, so both columns strictly increase. When a segment rolls or closes, a final entry with
//! the segment's largest timestamp is added (one slot is always kept free for it: the index counts as
//! full one entry early), so the last entry of an inactive segment is its maximum timestamp.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use flotilla_protocol::records::NO_TIMESTAMP;

use crate::error::StorageError;
use crate::index_file::{be_i32, be_i64, IndexFile, MAX_ENTRY_BYTES};

pub(crate) const TIME_INDEX_ENTRY_BYTES: usize = 12;

/// A timestamp and an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimestampOffset {
    pub(crate) timestamp: i64,
    pub(crate) offset: i64,
}

#[derive(Debug)]
pub(crate) struct TimeIndex {
    base_offset: i64,
    file: IndexFile,
    /// The last entry (writer-maintained); `NO_TIMESTAMP` and the base offset when empty.
    last_timestamp: AtomicI64,
    last_offset: AtomicI64,
}

impl TimeIndex {
    pub(crate) fn create(path: PathBuf, base_offset: i64, max_index_bytes: u32) -> Result<Self, StorageError> {
        let file = IndexFile::create(path, TIME_INDEX_ENTRY_BYTES, max_index_bytes)?;
        Ok(Self::wrap(base_offset, file))
    }

    /// Opens an existing index; `None` if the file does not exist.
    pub(crate) fn open(path: PathBuf, base_offset: i64, max_index_bytes: u32) -> Result<Option<Self>, StorageError> {
        let Some(file) = IndexFile::open(path, TIME_INDEX_ENTRY_BYTES, max_index_bytes)? else {
            return Ok(None);
        };
        let index = Self::wrap(base_offset, file);
        index.reload_last()?;
        Ok(Some(index))
    }

    fn wrap(base_offset: i64, file: IndexFile) -> Self {
        Self {
            base_offset,
            file,
            last_timestamp: AtomicI64::new(NO_TIMESTAMP),
            last_offset: AtomicI64::new(base_offset),
        }
    }

    fn reload_last(&self) -> Result<(), StorageError> {
        let last = self.last_entry()?;
        self.last_timestamp.store(last.timestamp, Ordering::Relaxed);
        self.last_offset.store(last.offset, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn file(&self) -> &IndexFile {
        &self.file
    }

    pub(crate) fn entries(&self) -> usize {
        self.file.entries()
    }

    /// Full one entry early: the last slot is kept for the entry added when the segment rolls.
    pub(crate) fn is_full(&self) -> bool {
        self.file.entries() + 1 >= self.file.max_entries()
    }

    pub(crate) fn entry(&self, slot: usize) -> Result<TimestampOffset, StorageError> {
        let mut buf = [0u8; MAX_ENTRY_BYTES];
        self.file.read_slot(slot, &mut buf)?;
        Ok(TimestampOffset {
            timestamp: be_i64(&buf, 0),
            offset: self.base_offset.saturating_add(i64::from(be_i32(&buf, 8))),
        })
    }

    /// The last entry, or (`NO_TIMESTAMP`, base offset) when empty.
    pub(crate) fn last_entry(&self) -> Result<TimestampOffset, StorageError> {
        match self.file.entries() {
            0 => Ok(TimestampOffset { timestamp: NO_TIMESTAMP, offset: self.base_offset }),
            n => self.entry(n - 1),
        }
    }

    /// Adds an entry if `timestamp` is larger than the last one's and there is room (the reserved last
    /// slot only with `skip_full_check`); returns whether it did.
    pub(crate) fn maybe_append(
        &self,
        timestamp: i64,
        offset: i64,
        skip_full_check: bool,
    ) -> Result<bool, StorageError> {
        if (!skip_full_check && self.is_full()) || self.file.entries() >= self.file.max_entries() {
            return Ok(false);
        }
        let Ok(relative) = i32::try_from(offset - self.base_offset) else {
            return Ok(false);
        };
        if relative < 0
            || timestamp <= self.last_timestamp.load(Ordering::Relaxed)
            || (self.file.entries() > 0 && offset < self.last_offset.load(Ordering::Relaxed))
        {
            return Ok(false);
        }
        let mut entry = [0u8; TIME_INDEX_ENTRY_BYTES];
        entry[..8].copy_from_slice(&timestamp.to_be_bytes());
        entry[8..].copy_from_slice(&relative.to_be_bytes());
        self.file.append(&entry)?;
        self.last_timestamp.store(timestamp, Ordering::Relaxed);
        self.last_offset.store(offset, Ordering::Relaxed);
        Ok(true)
    }

    /// The entry with the largest timestamp at most `target`, or (`NO_TIMESTAMP`, base offset).
    pub(crate) fn lookup(&self, target: i64) -> Result<TimestampOffset, StorageError> {
        let n = self.file.entries();
        match self.file.largest_lower_bound(n, target, |e| be_i64(e, 0))? {
            Some(slot) => self.entry(slot),
            None => Ok(TimestampOffset { timestamp: NO_TIMESTAMP, offset: self.base_offset }),
        }
    }

    /// Removes the entries for offsets at or above `offset`.
    pub(crate) fn truncate_to(&self, offset: i64) -> Result<(), StorageError> {
        let n = self.file.entries();
        let keep = match self.file.largest_lower_bound(n, offset - self.base_offset, |e| i64::from(be_i32(e, 8)))? {
            None => 0,
            Some(slot) if self.entry(slot)?.offset == offset => slot,
            Some(slot) => slot + 1,
        };
        self.file.truncate_entries(keep);
        self.reload_last()
    }

    pub(crate) fn reset(&self) -> Result<(), StorageError> {
        self.file.reset()?;
        self.reload_last()
    }

    /// Kafka's sanity check: a whole number of entries; the last entry's offset at or after the base
    /// offset and its timestamp not below the first entry's.
    pub(crate) fn sanity_check(&self) -> Result<(), String> {
        if self.file.is_misaligned() {
            return Err(format!("time index file {} is not a whole number of entries", self.file.path().display()));
        }
        let n = self.file.entries();
        if n > 0 {
            let first = self.entry(0).map_err(|e| e.to_string())?;
            let last = self.entry(n - 1).map_err(|e| e.to_string())?;
            if last.offset < self.base_offset || last.timestamp < first.timestamp {
                return Err(format!(
                    "corrupt time index {}: last entry (timestamp {}, offset {}) is before the first (timestamp {}) or the base offset {}",
                    self.file.path().display(),
                    last.timestamp,
                    last.offset,
                    first.timestamp,
                    self.base_offset
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn monotonic_entries_and_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let idx = TimeIndex::create(dir.path().join("0.timeindex"), 0, 1200).unwrap();
        assert_eq!(idx.lookup(5).unwrap(), TimestampOffset { timestamp: NO_TIMESTAMP, offset: 0 });
        assert!(!idx.maybe_append(-1, 3, false).unwrap(), "no timestamp is never indexed");
        assert!(idx.maybe_append(1000, 5, false).unwrap());
        assert!(!idx.maybe_append(1000, 9, false).unwrap(), "equal timestamp skipped");
        assert!(!idx.maybe_append(900, 9, false).unwrap(), "smaller timestamp skipped");
        assert!(idx.maybe_append(2000, 9, false).unwrap());
        assert!(idx.maybe_append(3000, 20, false).unwrap());

        assert_eq!(idx.lookup(999).unwrap().offset, 0);
        assert_eq!(idx.lookup(1000).unwrap(), TimestampOffset { timestamp: 1000, offset: 5 });
        assert_eq!(idx.lookup(2500).unwrap(), TimestampOffset { timestamp: 2000, offset: 9 });
        assert_eq!(idx.lookup(i64::MAX).unwrap(), TimestampOffset { timestamp: 3000, offset: 20 });
        assert_eq!(idx.last_entry().unwrap(), TimestampOffset { timestamp: 3000, offset: 20 });

        idx.truncate_to(9).unwrap();
        assert_eq!(idx.last_entry().unwrap(), TimestampOffset { timestamp: 1000, offset: 5 });
        assert!(idx.sanity_check().is_ok());
    }

    #[test]
    fn last_slot_is_reserved_for_the_roll_entry() {
        let dir = tempfile::tempdir().unwrap();
        let idx = TimeIndex::create(dir.path().join("0.timeindex"), 0, 36).unwrap();
        assert!(idx.maybe_append(1, 1, false).unwrap());
        assert!(idx.maybe_append(2, 2, false).unwrap());
        assert!(idx.is_full());
        assert!(!idx.maybe_append(3, 3, false).unwrap());
        assert!(idx.maybe_append(3, 3, true).unwrap());
        assert!(!idx.maybe_append(4, 4, true).unwrap(), "the file itself is full");
    }
}
