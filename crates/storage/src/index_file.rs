//! A file of fixed-size entries: the storage under both segment indexes (Kafka's `AbstractIndex`).
//!
//! While its segment is active the file is preallocated to `segment.index.bytes` (rounded down to a
//! whole number of entries) and entries are written in place; when the segment rolls or the log
//! closes, the file is trimmed to the entries it holds. A file that was not trimmed (the broker
//! crashed) ends in zero padding, which [`IndexFile::open`] strips: a real entry is never all zeros
//! (an offset index entry always has a non-zero position, see `offset_index.rs`).
//!
//! Concurrency: one writer (the log's append lock) and any number of readers. Readers use positioned
//! reads and see only the published entry count: the writer writes an entry, then publishes the new
//! count with release ordering.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::{IoContext, StorageError};

/// The largest entry either index uses (time index: 12 bytes).
pub(crate) const MAX_ENTRY_BYTES: usize = 12;

#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    file: File,
    entry_bytes: usize,
    max_entries: usize,
    entries: AtomicUsize,
    /// Current file length in bytes (writer-maintained).
    allocated_bytes: AtomicU64,
    /// The file's length was not a whole number of entries when opened.
    misaligned: bool,
}

impl IndexFile {
    /// Creates (or empties) the file and preallocates it.
    pub(crate) fn create(path: PathBuf, entry_bytes: usize, max_index_bytes: u32) -> Result<Self, StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .ctx("create index", &path)?;
        let index = Self {
            max_entries: max_entries(entry_bytes, max_index_bytes),
            path,
            file,
            entry_bytes,
            entries: AtomicUsize::new(0),
            allocated_bytes: AtomicU64::new(0),
            misaligned: false,
        };
        index.preallocate()?;
        Ok(index)
    }

    /// Opens an existing file, counting its entries; `None` if it does not exist.
    pub(crate) fn open(path: PathBuf, entry_bytes: usize, max_index_bytes: u32) -> Result<Option<Self>, StorageError> {
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StorageError::io("open index", &path, e)),
        };
        let len = file.metadata().ctx("stat index", &path)?.len();
        let slots = usize::try_from(len / entry_bytes as u64).unwrap_or(usize::MAX);
        let mut index = Self {
            max_entries: max_entries(entry_bytes, max_index_bytes),
            path,
            file,
            entry_bytes,
            entries: AtomicUsize::new(0),
            allocated_bytes: AtomicU64::new(len),
            misaligned: len % entry_bytes as u64 != 0,
        };
        let entries = index.first_padding_slot(slots)?;
        index.entries = AtomicUsize::new(entries);
        Ok(Some(index))
    }

    /// The first slot of the zero padding at the end (or `slots` if there is none).
    fn first_padding_slot(&self, slots: usize) -> Result<usize, StorageError> {
        let mut buf = [0u8; MAX_ENTRY_BYTES];
        let (mut lo, mut hi) = (0usize, slots);
        // Padding is a suffix: find the first all-zero slot by bisection.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            self.read_slot(mid, &mut buf)?;
            if buf[..self.entry_bytes].iter().all(|&b| b == 0) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Published entries.
    pub(crate) fn entries(&self) -> usize {
        self.entries.load(Ordering::Acquire)
    }

    pub(crate) fn max_entries(&self) -> usize {
        self.max_entries
    }

    pub(crate) fn is_misaligned(&self) -> bool {
        self.misaligned
    }

    /// Reads slot `slot` into `out[..entry_bytes]`.
    pub(crate) fn read_slot(&self, slot: usize, out: &mut [u8; MAX_ENTRY_BYTES]) -> Result<(), StorageError> {
        let at = (slot as u64) * self.entry_bytes as u64;
        self.file.read_exact_at(&mut out[..self.entry_bytes], at).ctx("read index", &self.path)
    }

    /// Writes `entry` after the published entries and publishes it. The caller checks capacity.
    pub(crate) fn append(&self, entry: &[u8]) -> Result<(), StorageError> {
        debug_assert_eq!(entry.len(), self.entry_bytes);
        let n = self.entries();
        let at = (n as u64) * self.entry_bytes as u64;
        let needed = at + self.entry_bytes as u64;
        if self.allocated_bytes.load(Ordering::Relaxed) < needed {
            let len = needed.max((self.max_entries as u64) * self.entry_bytes as u64);
            self.file.set_len(len).ctx("extend index", &self.path)?;
            self.allocated_bytes.store(len, Ordering::Relaxed);
        }
        self.file.write_all_at(entry, at).ctx("write index", &self.path)?;
        self.entries.store(n + 1, Ordering::Release);
        Ok(())
    }

    /// Forgets entries from `n` on (the bytes stay until the next trim or overwrite).
    pub(crate) fn truncate_entries(&self, n: usize) {
        if n < self.entries() {
            self.entries.store(n, Ordering::Release);
        }
    }

    /// Grows the file to its full preallocated size (for an active segment).
    pub(crate) fn preallocate(&self) -> Result<(), StorageError> {
        let len = (self.max_entries.max(self.entries()) as u64) * self.entry_bytes as u64;
        if self.allocated_bytes.load(Ordering::Relaxed) != len {
            self.file.set_len(len).ctx("preallocate index", &self.path)?;
            self.allocated_bytes.store(len, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Shrinks the file to exactly its entries (on roll and close).
    pub(crate) fn trim(&self) -> Result<(), StorageError> {
        let len = (self.entries() as u64) * self.entry_bytes as u64;
        if self.allocated_bytes.load(Ordering::Relaxed) != len {
            self.file.set_len(len).ctx("trim index", &self.path)?;
            self.allocated_bytes.store(len, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Drops every entry and empties the file (before a rebuild).
    pub(crate) fn reset(&self) -> Result<(), StorageError> {
        self.entries.store(0, Ordering::Release);
        self.file.set_len(0).ctx("reset index", &self.path)?;
        self.allocated_bytes.store(0, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn flush(&self) -> Result<(), StorageError> {
        self.file.sync_data().ctx("fsync index", &self.path)
    }

    /// The largest slot among the first `n` whose key is at most `target`, or `None` if even the
    /// first is larger. Keys must be non-decreasing.
    pub(crate) fn largest_lower_bound(
        &self,
        n: usize,
        target: i64,
        key: impl Fn(&[u8]) -> i64,
    ) -> Result<Option<usize>, StorageError> {
        if n == 0 {
            return Ok(None);
        }
        let mut buf = [0u8; MAX_ENTRY_BYTES];
        self.read_slot(0, &mut buf)?;
        if key(&buf[..self.entry_bytes]) > target {
            return Ok(None);
        }
        // Invariant: key(lo) <= target; the answer is in lo..hi.
        let (mut lo, mut hi) = (0usize, n);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            self.read_slot(mid, &mut buf)?;
            if key(&buf[..self.entry_bytes]) <= target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
    }
}

fn max_entries(entry_bytes: usize, max_index_bytes: u32) -> usize {
    // At least two entries, so a tiny setting cannot make every index permanently full.
    (max_index_bytes as usize / entry_bytes).max(2)
}

/// Reads a big-endian i32 at `at`.
pub(crate) fn be_i32(buf: &[u8], at: usize) -> i32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    i32::from_be_bytes(b)
}

/// Reads a big-endian i64 at `at`.
pub(crate) fn be_i64(buf: &[u8], at: usize) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    i64::from_be_bytes(b)
}
