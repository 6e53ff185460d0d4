//! The sparse offset index of a segment (`<base offset>.index`), Kafka's `OffsetIndex`.
//!
//! Each 8-byte entry maps an offset to the byte position in the `.log` file of the batch holding it:
//!
//! ```text
//! relativeOffset i32 (offset - segment base offset) | position i32     big-endian
//! ```
//!
//! An entry is added for a batch when more than `index.interval.bytes` of log were written since the
//! previous entry; it records the batch's last offset and the batch's start position. Offsets and
//! positions strictly increase, and no entry has position 0 (the first batch never gets one), which is
//! what tells entries from the zero padding of a preallocated file. A lookup returns the entry with the
//! largest offset not above the target, from where a scan of batch headers finds the batch.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::StorageError;
use crate::index_file::{be_i32, IndexFile, MAX_ENTRY_BYTES};

pub(crate) const OFFSET_INDEX_ENTRY_BYTES: usize = 8;

/// An offset and the position of the batch holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetPosition {
    pub(crate) offset: i64,
    pub(crate) position: u64,
}

#[derive(Debug)]
pub(crate) struct OffsetIndex {
    base_offset: i64,
    file: IndexFile,
    /// Offset of the last entry, `i64::MIN` when empty (writer-maintained).
    last_offset: AtomicI64,
}

impl OffsetIndex {
    pub(crate) fn create(path: PathBuf, base_offset: i64, max_index_bytes: u32) -> Result<Self, StorageError> {
        let file = IndexFile::create(path, OFFSET_INDEX_ENTRY_BYTES, max_index_bytes)?;
        Ok(Self { base_offset, file, last_offset: AtomicI64::new(i64::MIN) })
    }

    /// Opens an existing index; `None` if the file does not exist.
    pub(crate) fn open(path: PathBuf, base_offset: i64, max_index_bytes: u32) -> Result<Option<Self>, StorageError> {
        let Some(file) = IndexFile::open(path, OFFSET_INDEX_ENTRY_BYTES, max_index_bytes)? else {
            return Ok(None);
        };
        let index = Self { base_offset, file, last_offset: AtomicI64::new(i64::MIN) };
        index.reload_last()?;
        Ok(Some(index))
    }

    fn reload_last(&self) -> Result<(), StorageError> {
        let last = match self.file.entries() {
            0 => i64::MIN,
            n => self.entry(n - 1)?.offset,
        };
        self.last_offset.store(last, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn file(&self) -> &IndexFile {
        &self.file
    }

    pub(crate) fn entries(&self) -> usize {
        self.file.entries()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.file.entries() >= self.file.max_entries()
    }

    /// Entry `slot`, with its offset made absolute.
    pub(crate) fn entry(&self, slot: usize) -> Result<OffsetPosition, StorageError> {
        let mut buf = [0u8; MAX_ENTRY_BYTES];
        self.file.read_slot(slot, &mut buf)?;
        Ok(self.decode(&buf))
    }

    fn decode(&self, buf: &[u8]) -> OffsetPosition {
        OffsetPosition {
            offset: self.base_offset.saturating_add(i64::from(be_i32(buf, 0))),
            // A negative position only comes from a corrupt file; sanity_check rejects it.
            position: u64::try_from(be_i32(buf, 4)).unwrap_or(0),
        }
    }

    /// The last entry, if any.
    pub(crate) fn last_entry(&self) -> Result<Option<OffsetPosition>, StorageError> {
        match self.file.entries() {
            0 => Ok(None),
            n => self.entry(n - 1).map(Some),
        }
    }

    /// The entry with the largest offset at most `target`, or (base offset, 0).
    pub(crate) fn lookup(&self, target: i64) -> Result<OffsetPosition, StorageError> {
        let n = self.file.entries();
        let relative = target.saturating_sub(self.base_offset);
        match self.file.largest_lower_bound(n, relative, |e| i64::from(be_i32(e, 0)))? {
            Some(slot) => self.entry(slot),
            None => Ok(OffsetPosition { offset: self.base_offset, position: 0 }),
        }
    }

    /// The position of the first entry whose offset is at least `offset`, if any. The batch there
    /// reaches `offset`, so every batch wholly below `offset` lies before it.
    pub(crate) fn first_position_at_or_after(&self, offset: i64) -> Result<Option<u64>, StorageError> {
        let n = self.file.entries();
        let relative = offset.saturating_sub(self.base_offset).saturating_sub(1);
        let candidate = match self.file.largest_lower_bound(n, relative, |e| i64::from(be_i32(e, 0)))? {
            Some(slot) => slot + 1,
            None => 0,
        };
        if candidate >= n {
            return Ok(None);
        }
        Ok(Some(self.entry(candidate)?.position))
    }

    /// Adds an entry if there is room and `offset` is past the last one; returns whether it did.
    /// (The index is sparse: a skipped entry costs a longer scan, never a wrong answer.)
    pub(crate) fn maybe_append(&self, offset: i64, position: u64) -> Result<bool, StorageError> {
        let (Ok(relative), Ok(position)) = (i32::try_from(offset - self.base_offset), i32::try_from(position)) else {
            return Ok(false);
        };
        if self.is_full() || offset <= self.last_offset.load(Ordering::Relaxed) || relative < 0 || position <= 0 {
            return Ok(false);
        }
        let mut entry = [0u8; OFFSET_INDEX_ENTRY_BYTES];
        entry[..4].copy_from_slice(&relative.to_be_bytes());
        entry[4..].copy_from_slice(&position.to_be_bytes());
        self.file.append(&entry)?;
        self.last_offset.store(offset, Ordering::Relaxed);
        Ok(true)
    }

    /// Removes the entries for offsets at or above `offset`.
    pub(crate) fn truncate_to(&self, offset: i64) -> Result<(), StorageError> {
        let n = self.file.entries();
        let keep = match self.file.largest_lower_bound(n, offset - self.base_offset, |e| i64::from(be_i32(e, 0)))? {
            None => 0,
            Some(slot) if self.entry(slot)?.offset == offset => slot,
            Some(slot) => slot + 1,
        };
        self.truncate_entries(keep)
    }

    /// Keeps the first `n` entries.
    pub(crate) fn truncate_entries(&self, n: usize) -> Result<(), StorageError> {
        self.file.truncate_entries(n);
        self.reload_last()
    }

    pub(crate) fn reset(&self) -> Result<(), StorageError> {
        self.file.reset()?;
        self.last_offset.store(i64::MIN, Ordering::Relaxed);
        Ok(())
    }

    /// Kafka's sanity check, plus bounds against the log: a whole number of entries, the last entry at
    /// or after the base offset and inside the log file.
    pub(crate) fn sanity_check(&self, log_size: u64) -> Result<(), String> {
        if self.file.is_misaligned() {
            return Err(format!("index file {} is not a whole number of entries", self.file.path().display()));
        }
        let last = self.last_entry().map_err(|e| e.to_string())?;
        if let Some(last) = last {
            if last.offset < self.base_offset || last.position >= log_size.max(1) {
                return Err(format!(
                    "corrupt index {}: last entry (offset {}, position {}) is outside the segment (base offset {}, {} bytes)",
                    self.file.path().display(),
                    last.offset,
                    last.position,
                    self.base_offset,
                    log_size
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

    fn index(dir: &tempfile::TempDir, max_bytes: u32) -> OffsetIndex {
        OffsetIndex::create(dir.path().join("00000000000000000100.index"), 100, max_bytes).unwrap()
    }

    #[test]
    fn lookup_finds_largest_entry_not_above_target() {
        let dir = tempfile::tempdir().unwrap();
        let idx = index(&dir, 1024);
        assert_eq!(idx.lookup(150).unwrap(), OffsetPosition { offset: 100, position: 0 });
        for (i, off) in [110i64, 120, 130].iter().enumerate() {
            assert!(idx.maybe_append(*off, (i as u64 + 1) * 1000).unwrap());
        }
        assert_eq!(idx.lookup(100).unwrap(), OffsetPosition { offset: 100, position: 0 });
        assert_eq!(idx.lookup(109).unwrap(), OffsetPosition { offset: 100, position: 0 });
        assert_eq!(idx.lookup(110).unwrap(), OffsetPosition { offset: 110, position: 1000 });
        assert_eq!(idx.lookup(125).unwrap(), OffsetPosition { offset: 120, position: 2000 });
        assert_eq!(idx.lookup(10_000).unwrap(), OffsetPosition { offset: 130, position: 3000 });
        assert_eq!(idx.first_position_at_or_after(100).unwrap(), Some(1000));
        assert_eq!(idx.first_position_at_or_after(111).unwrap(), Some(2000));
        assert_eq!(idx.first_position_at_or_after(120).unwrap(), Some(2000));
        assert_eq!(idx.first_position_at_or_after(131).unwrap(), None);
        // Not increasing: skipped.
        assert!(!idx.maybe_append(130, 4000).unwrap());
        assert_eq!(idx.entries(), 3);
    }

    #[test]
    fn preallocated_then_trimmed_and_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let idx = index(&dir, 80);
        let path = idx.file().path().to_path_buf();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 80);
        for i in 1..=10 {
            assert!(idx.maybe_append(100 + i, i as u64 * 10).unwrap());
        }
        assert!(idx.is_full());
        assert!(!idx.maybe_append(200, 5000).unwrap());

        // Reopen untrimmed with padding: entries are recovered from the non-zero prefix.
        idx.truncate_entries(4).unwrap();
        drop(idx);
        let idx = OffsetIndex::open(path.clone(), 100, 80).unwrap().unwrap();
        assert_eq!(idx.entries(), 10, "stale entries past a logical truncation are still on disk");
        idx.truncate_entries(4).unwrap();
        idx.file().trim().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 32);
        drop(idx);
        let idx = OffsetIndex::open(path.clone(), 100, 80).unwrap().unwrap();
        assert_eq!(idx.entries(), 4);
        assert_eq!(idx.last_entry().unwrap(), Some(OffsetPosition { offset: 104, position: 40 }));
        idx.file().preallocate().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 80);
        drop(idx);
        let idx = OffsetIndex::open(path, 100, 80).unwrap().unwrap();
        assert_eq!(idx.entries(), 4, "zero padding is not counted");
        assert!(idx.sanity_check(1000).is_ok());
        assert!(idx.sanity_check(40).is_err(), "last position beyond the log");
    }

    #[test]
    fn truncate_to_removes_entries_at_and_above() {
        let dir = tempfile::tempdir().unwrap();
        let idx = index(&dir, 1024);
        for i in 1..=5 {
            idx.maybe_append(100 + i * 10, i as u64 * 100).unwrap();
        }
        idx.truncate_to(130).unwrap();
        assert_eq!(idx.entries(), 2);
        idx.truncate_to(125).unwrap();
        assert_eq!(idx.entries(), 2);
        idx.truncate_to(50).unwrap();
        assert_eq!(idx.entries(), 0);
        assert!(idx.maybe_append(105, 10).unwrap());
    }

    #[test]
    fn missing_and_misaligned_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(OffsetIndex::open(dir.path().join("nope.index"), 0, 80).unwrap().is_none());
        let path = dir.path().join("bad.index");
        std::fs::write(&path, [0u8, 0, 0, 1, 0, 0, 0, 9, 7]).unwrap();
        let idx = OffsetIndex::open(path, 0, 80).unwrap().unwrap();
        assert!(idx.sanity_check(100).is_err());
    }
}
