//! Snapshot files in the partition directory, named as Kafka names them
//! (`<offset, 20 digits>.snapshot`, the offset being the map end offset the snapshot covers up
//! to, exclusive), and the manager operations that combine them with the in-memory state:
//! taking a snapshot, reloading after a truncation or at startup, following the log start.
//!
//! Writes are atomic (temporary file, fsync, rename, fsync of the directory), unlike Kafka's,
//! which writes in place and relies on the CRC to catch a torn file. Reads are bounded by
//! [`MAX_SNAPSHOT_FILE_BYTES`] and fully validated; a corrupt snapshot found while reloading is
//! deleted and the next older one tried, then the log replayed, as Kafka does.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flotilla_model::{Offset, ProducerId};
use tracing::{info, warn};

use super::entry::ProducerStateEntry;
use super::snapshot::{decode_snapshot, CorruptSnapshot, TooManyProducers};
use super::ProducerStateManager;

/// Suffix of producer snapshot files (Kafka's `LogFileUtils.PRODUCER_SNAPSHOT_FILE_SUFFIX`).
pub const SNAPSHOT_FILE_SUFFIX: &str = ".snapshot";

/// Suffix of a snapshot being written; never read, replaced by the next write of that offset.
const TEMP_SUFFIX: &str = ".tmp";

/// Largest snapshot file read: about 23 million producers. A larger file is treated as corrupt
/// (the caller replays the log instead) rather than read into memory.
pub const MAX_SNAPSHOT_FILE_BYTES: u64 = 1 << 30;

/// A snapshot operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("producer snapshot I/O on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("corrupt producer snapshot {}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        reason: CorruptSnapshot,
    },
    #[error(transparent)]
    TooManyProducers(#[from] TooManyProducers),
}

impl SnapshotError {
    fn io(path: &Path, source: io::Error) -> Self {
        SnapshotError::Io { path: path.to_path_buf(), source }
    }
}

/// A snapshot file found in a partition directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// The map end offset the snapshot was taken at (exclusive).
    pub offset: Offset,
    pub path: PathBuf,
}

/// `00000000000000001234.snapshot` for offset 1234.
pub fn snapshot_file_name(offset: Offset) -> String {
    format!("{:020}{SNAPSHOT_FILE_SUFFIX}", offset.get())
}

/// The offset in a snapshot file name, or `None` if `name` is not one.
pub fn snapshot_offset_from_file_name(name: &str) -> Option<Offset> {
    let digits = name.strip_suffix(SNAPSHOT_FILE_SUFFIX)?;
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().map(Offset::new)
}

/// The snapshot files in `dir`, oldest first; none if `dir` does not exist.
pub fn list_snapshot_files(dir: &Path) -> Result<Vec<SnapshotFile>, SnapshotError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SnapshotError::io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| SnapshotError::io(dir, e))?;
        let Some(offset) = entry.file_name().to_str().and_then(snapshot_offset_from_file_name) else { continue };
        let is_file = entry.file_type().map_err(|e| SnapshotError::io(&entry.path(), e))?.is_file();
        if is_file {
            files.push(SnapshotFile { offset, path: entry.path() });
        }
    }
    files.sort_by_key(|f| f.offset);
    Ok(files)
}

/// Writes `bytes` as the snapshot for `offset` in `dir`, atomically and durably.
pub fn write_snapshot_file(dir: &Path, offset: Offset, bytes: &[u8]) -> Result<PathBuf, SnapshotError> {
    let name = snapshot_file_name(offset);
    let path = dir.join(&name);
    let temp = dir.join(format!("{name}{TEMP_SUFFIX}"));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &path)
    })();
    if let Err(e) = written {
        // Best effort: a leftover temporary file is harmless (never read, overwritten next time).
        let _ = fs::remove_file(&temp);
        return Err(SnapshotError::io(&path, e));
    }
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| SnapshotError::io(dir, e))?;
    Ok(path)
}

/// Reads and validates a snapshot file.
pub fn read_snapshot_file(path: &Path) -> Result<Vec<(ProducerId, ProducerStateEntry)>, SnapshotError> {
    let corrupt = |reason| SnapshotError::Corrupt { path: path.to_path_buf(), reason };
    let file = File::open(path).map_err(|e| SnapshotError::io(path, e))?;
    let size = file.metadata().map_err(|e| SnapshotError::io(path, e))?.len();
    if size > MAX_SNAPSHOT_FILE_BYTES {
        return Err(corrupt(CorruptSnapshot::TooLarge { size, max: MAX_SNAPSHOT_FILE_BYTES }));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow after the size check; never read past the limit.
    file.take(MAX_SNAPSHOT_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| SnapshotError::io(path, e))?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > MAX_SNAPSHOT_FILE_BYTES {
        return Err(corrupt(CorruptSnapshot::TooLarge { size: read, max: MAX_SNAPSHOT_FILE_BYTES }));
    }
    decode_snapshot(&bytes).map_err(corrupt)
}

/// Deletes the snapshot files `pred` selects; returns the offsets deleted.
fn delete_snapshot_files_where(dir: &Path, pred: impl Fn(Offset) -> bool) -> Result<Vec<Offset>, SnapshotError> {
    let mut deleted = Vec::new();
    for file in list_snapshot_files(dir)? {
        if pred(file.offset) {
            delete_file(&file.path)?;
            deleted.push(file.offset);
        }
    }
    Ok(deleted)
}

fn delete_file(path: &Path) -> Result<(), SnapshotError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SnapshotError::io(path, e)),
    }
}

/// Deletes snapshots taken after `offset` (they describe records being truncated away).
pub fn delete_snapshot_files_after(dir: &Path, offset: Offset) -> Result<Vec<Offset>, SnapshotError> {
    delete_snapshot_files_where(dir, |o| o > offset)
}

/// Deletes snapshots taken before `offset` (e.g. the new log start offset).
pub fn delete_snapshot_files_before(dir: &Path, offset: Offset) -> Result<Vec<Offset>, SnapshotError> {
    delete_snapshot_files_where(dir, |o| o < offset)
}

/// Deletes all but the `keep` newest snapshots.
pub fn retain_latest_snapshot_files(dir: &Path, keep: usize) -> Result<Vec<Offset>, SnapshotError> {
    let files = list_snapshot_files(dir)?;
    let excess = files.len().saturating_sub(keep);
    let mut deleted = Vec::with_capacity(excess);
    for file in files.iter().take(excess) {
        delete_file(&file.path)?;
        deleted.push(file.offset);
    }
    Ok(deleted)
}

impl ProducerStateManager {
    /// Writes a snapshot at the map end offset unless one at or beyond it exists already
    /// (Kafka's `takeSnapshot`), then keeps only the newest
    /// [`super::ProducerStateConfig::snapshots_retained`]. Kafka takes one when a segment rolls and on
    /// clean shutdown.
    pub fn take_snapshot(&mut self, dir: &Path) -> Result<Option<PathBuf>, SnapshotError> {
        if self.map_end_offset <= self.last_snapshot_offset {
            return Ok(None);
        }
        let bytes = self.snapshot_bytes()?;
        let path = write_snapshot_file(dir, self.map_end_offset, &bytes)?;
        info!(offset = %self.map_end_offset, producers = self.producers.len(), "wrote producer snapshot");
        self.last_snapshot_offset = self.map_end_offset;
        retain_latest_snapshot_files(dir, self.config.snapshots_retained.max(1))?;
        Ok(Some(path))
    }

    /// Replaces the state with the newest readable snapshot in `dir`, dropping producers already
    /// expired at `now_ms`; corrupt snapshots are deleted on the way (Kafka's
    /// `loadFromSnapshot`). With none, the state starts empty at `log_start_offset`. Returns the
    /// offset from which the log must be replayed with
    /// [`ProducerStateManager::load_from_batches`].
    pub fn reload_latest_snapshot(
        &mut self,
        dir: &Path,
        log_start_offset: Offset,
        now_ms: i64,
    ) -> Result<Offset, SnapshotError> {
        let mut files = list_snapshot_files(dir)?;
        while let Some(file) = files.pop() {
            match read_snapshot_file(&file.path) {
                Ok(entries) => {
                    info!(path = %file.path.display(), "loading producer state from snapshot");
                    self.restore_snapshot(file.offset, entries, now_ms);
                    return Ok(file.offset);
                }
                Err(SnapshotError::Corrupt { path, reason }) => {
                    warn!(path = %path.display(), %reason, "deleting corrupt producer snapshot");
                    delete_file(&path)?;
                }
                Err(e) => return Err(e),
            }
        }
        self.clear_and_start_at(log_start_offset);
        self.last_snapshot_offset = log_start_offset;
        Ok(log_start_offset)
    }

    /// Brings the state to a log that now spans `[log_start_offset, log_end_offset)`, after a
    /// truncation or at startup (Kafka's `truncateAndReload`). Snapshots past the log end, and
    /// those at or before the log start, are deleted. If the state does not already end at
    /// `log_end_offset` it is reloaded from the newest remaining snapshot. Returns the offset to
    /// replay from: pass the log's batches in `[returned, log_end_offset)` to
    /// [`ProducerStateManager::load_from_batches`], then call
    /// [`ProducerStateManager::set_map_end_offset`] with `log_end_offset` (and
    /// [`ProducerStateManager::take_snapshot`] if the replay was long).
    pub fn truncate_and_reload(
        &mut self,
        dir: &Path,
        log_start_offset: Offset,
        log_end_offset: Offset,
        now_ms: i64,
    ) -> Result<Offset, SnapshotError> {
        delete_snapshot_files_where(dir, |o| o > log_end_offset || o <= log_start_offset)?;
        if log_end_offset != self.map_end_offset {
            self.reload_latest_snapshot(dir, log_start_offset, now_ms)
        } else {
            self.follow_log_start(dir, log_start_offset)?;
            Ok(log_end_offset)
        }
    }

    /// Empties the state and deletes every snapshot, for a log truncated fully to `offset`
    /// (Kafka's `truncateFullyAndStartAt`).
    pub fn truncate_fully(&mut self, dir: &Path, offset: Offset) -> Result<(), SnapshotError> {
        delete_snapshot_files_where(dir, |_| true)?;
        self.clear_and_start_at(offset);
        Ok(())
    }

    /// The log start moved forward (retention, DeleteRecords): snapshots before it are deleted
    /// and the map end offset moves up to it if behind. In-memory state is kept, as in Kafka.
    pub fn on_log_start_offset_incremented(
        &mut self,
        dir: &Path,
        log_start_offset: Offset,
    ) -> Result<(), SnapshotError> {
        delete_snapshot_files_before(dir, log_start_offset)?;
        self.follow_log_start(dir, log_start_offset)
    }

    fn follow_log_start(&mut self, dir: &Path, log_start_offset: Offset) -> Result<(), SnapshotError> {
        self.map_end_offset = self.map_end_offset.max(log_start_offset);
        self.last_snapshot_offset = list_snapshot_files(dir)?.last().map_or(log_start_offset, |f| f.offset);
        Ok(())
    }
}
