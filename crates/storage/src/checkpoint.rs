//! Kafka's offset checkpoint files in a log dir, and the atomic write every small metadata file here
//! goes through.
//!
//! `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and `replication-offset-checkpoint`
//! (high watermarks) share one text format:
//!
//! ```text
//! 0                      version
//! 2                      number of entries
//! orders 0 1520          topic partition offset, separated by single spaces
//! orders 1 977
//! ```
//!
//! A write goes to `<name>.tmp`, is fsynced, renamed over the file, and the directory is fsynced, so a
//! crash leaves either the old or the new file. A file that does not parse is reported as
//! [`StorageError::CorruptCheckpoint`]; the log manager then warns and carries on without it (recovery
//! from offset 0, log start from the first segment, high watermark from the log start), as Kafka does.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flotilla_model::{Offset, PartitionIndex, TopicName, TopicPartition};

use crate::error::{IoContext, StorageError};

/// Where each partition's log is known to be flushed up to.
pub const RECOVERY_POINT_CHECKPOINT_FILE: &str = "recovery-point-offset-checkpoint";
/// Log start offsets moved past the first segment's base offset (DeleteRecords, retention).
pub const LOG_START_OFFSET_CHECKPOINT_FILE: &str = "log-start-offset-checkpoint";
/// High watermarks.
pub const REPLICATION_OFFSET_CHECKPOINT_FILE: &str = "replication-offset-checkpoint";

const CHECKPOINT_VERSION: &str = "0";
/// Largest checkpoint file read (a million partitions fit several times over).
pub(crate) const MAX_CHECKPOINT_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One offset checkpoint file.
#[derive(Debug, Clone)]
pub struct OffsetCheckpointFile {
    path: PathBuf,
}

impl OffsetCheckpointFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The checkpoint named `name` in `log_dir`.
    pub fn in_dir(log_dir: &Path, name: &str) -> Self {
        Self::new(log_dir.join(name))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file with `offsets`, atomically and durably.
    pub fn write(&self, offsets: &BTreeMap<TopicPartition, Offset>) -> Result<(), StorageError> {
        let mut text = format!("{CHECKPOINT_VERSION}\n{}\n", offsets.len());
        for (tp, offset) in offsets {
            text.push_str(&format!("{} {} {}\n", tp.topic, tp.partition, offset));
        }
        write_file_atomically(&self.path, text.as_bytes())
    }

    /// The offsets in the file; empty if it does not exist.
    pub fn read(&self) -> Result<BTreeMap<TopicPartition, Offset>, StorageError> {
        let Some(text) = read_small_file(&self.path, MAX_CHECKPOINT_FILE_BYTES)? else {
            return Ok(BTreeMap::new());
        };
        let entries = parse_checkpoint(&self.path, &text, parse_offset_entry)?;
        Ok(entries.into_iter().collect())
    }
}

fn parse_offset_entry(line: &str) -> Option<(TopicPartition, Offset)> {
    let mut fields = line.split_whitespace();
    let (topic, partition, offset) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    let topic = TopicName::new(topic).ok()?;
    let partition: i32 = partition.parse().ok().filter(|p| *p >= 0)?;
    let offset: i64 = offset.parse().ok()?;
    Some((TopicPartition::new(topic, PartitionIndex::new(partition)), Offset::new(offset)))
}

/// Parses Kafka's checkpoint layout (version 0, a count, that many entry lines).
pub(crate) fn parse_checkpoint<T>(
    path: &Path,
    text: &str,
    parse_entry: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, StorageError> {
    let corrupt = |reason: String| StorageError::CorruptCheckpoint { path: path.to_path_buf(), reason };
    let mut lines = text.lines();
    match lines.next().map(str::trim) {
        Some(CHECKPOINT_VERSION) => {}
        Some(other) => return Err(corrupt(format!("line 1: unrecognised version {other:?}"))),
        None => return Err(corrupt("the file is empty".to_owned())),
    }
    let count_line = lines.next().ok_or_else(|| corrupt("line 2: missing entry count".to_owned()))?;
    let count: usize =
        count_line.trim().parse().map_err(|_| corrupt(format!("line 2: malformed entry count {count_line:?}")))?;
    // The count comes from the file: never size an allocation by it beyond the lines present.
    let mut entries = Vec::with_capacity(count.min(text.len() / 4 + 1));
    for (i, line) in lines.by_ref().take(count).enumerate() {
        let entry = parse_entry(line).ok_or_else(|| corrupt(format!("line {}: malformed entry {line:?}", i + 3)))?;
        entries.push(entry);
    }
    if entries.len() != count {
        return Err(corrupt(format!("expected {count} entries but found only {}", entries.len())));
    }
    if let Some((i, line)) = lines.enumerate().find(|(_, l)| !l.trim().is_empty()) {
        return Err(corrupt(format!("line {}: unexpected line after {count} entries: {line:?}", i + count + 3)));
    }
    Ok(entries)
}

/// Reads a small text file; `None` if it does not exist. Refuses files over `max_bytes`.
pub(crate) fn read_small_file(path: &Path, max_bytes: u64) -> Result<Option<String>, StorageError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io("open", path, e)),
    };
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes).ctx("read", path)?;
    if bytes.len() as u64 > max_bytes {
        return Err(StorageError::CorruptCheckpoint {
            path: path.to_path_buf(),
            reason: format!("larger than {max_bytes} bytes"),
        });
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| StorageError::CorruptCheckpoint { path: path.to_path_buf(), reason: "not UTF-8".to_owned() })
}

/// Writes `contents` to `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs the directory.
pub(crate) fn write_file_atomically(path: &Path, contents: &[u8]) -> Result<(), StorageError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut file =
        OpenOptions::new().write(true).create(true).truncate(true).open(&tmp).ctx("create temporary file", &tmp)?;
    file.write_all(contents).ctx("write", &tmp)?;
    file.sync_all().ctx("fsync", &tmp)?;
    drop(file);
    fs::rename(&tmp, path).ctx("rename into place", path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// fsyncs a directory, making renames, creations and deletions in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).ctx("fsync directory", dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_util::tp;

    #[test]
    fn round_trip_in_kafkas_format() {
        let dir = tempfile::tempdir().unwrap();
        let file = OffsetCheckpointFile::in_dir(dir.path(), RECOVERY_POINT_CHECKPOINT_FILE);
        assert!(file.read().unwrap().is_empty(), "a missing file reads as empty");
        let offsets: BTreeMap<_, _> = [
            (tp("orders", 0), Offset::new(1520)),
            (tp("orders", 1), Offset::new(977)),
            (tp("a.b_c", 12), Offset::new(0)),
        ]
        .into_iter()
        .collect();
        file.write(&offsets).unwrap();
        assert_eq!(fs::read_to_string(file.path()).unwrap(), "0\n3\na.b_c 12 0\norders 0 1520\norders 1 977\n");
        assert_eq!(file.read().unwrap(), offsets);
        assert!(!dir.path().join("recovery-point-offset-checkpoint.tmp").exists());
        file.write(&BTreeMap::new()).unwrap();
        assert!(file.read().unwrap().is_empty());
    }

    #[test]
    fn reads_files_kafka_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(REPLICATION_OFFSET_CHECKPOINT_FILE);
        fs::write(&path, "0\n2\n__consumer_offsets 7 42\nlogs-x 3 9\n").unwrap();
        let read = OffsetCheckpointFile::new(path).read().unwrap();
        assert_eq!(read.get(&tp("__consumer_offsets", 7)), Some(&Offset::new(42)));
        assert_eq!(read.get(&tp("logs-x", 3)), Some(&Offset::new(9)));
    }

    #[test]
    fn corrupt_files_are_reported_with_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp");
        let cases = [
            ("", "empty"),
            ("1\n0\n", "version"),
            ("0\nx\n", "entry count"),
            ("0\n2\norders 0 5\n", "expected 2 entries but found only 1"),
            ("0\n1\norders zero 5\n", "line 3"),
            ("0\n1\nbad topic! 0 5\n", "line 3"),
            ("0\n1\norders 0 5 6\n", "line 3"),
            ("0\n1\norders 0 5\norders 1 6\n", "line 4"),
            ("0\n18446744073709551615\norders 0 5\n", "expected"),
        ];
        for (text, needle) in cases {
            fs::write(&path, text).unwrap();
            let err = OffsetCheckpointFile::new(path.clone()).read().unwrap_err();
            assert!(matches!(err, StorageError::CorruptCheckpoint { .. }), "{text:?}: {err}");
            assert!(err.to_string().contains(needle), "{text:?}: {err}");
        }
        fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(OffsetCheckpointFile::new(path).read().is_err());
    }
}
