//! The clean shutdown marker, `.kafka_cleanshutdown` in each log dir (Kafka's
//! `CleanShutdownFileHandler`). Written last on a clean shutdown, after every log was flushed and the
//! checkpoints were written; deleted once the logs are loaded at the next start. If it is present at
//! start, every log is known to be flushed and recovery is skipped.
//!
//! Content, as Kafka 3.7+ writes it (KIP-966 records the broker epoch):
//! `{"version":"0","broker_epoch":"<epoch>"}`. Only the file's existence decides recovery; the epoch is
//! read leniently.

use std::io;
use std::path::{Path, PathBuf};

use crate::checkpoint::{read_small_file, write_file_atomically};
use crate::error::{IoContext, StorageError};

/// The marker's file name.
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";

#[derive(Debug, Clone)]
pub struct CleanShutdownFile {
    path: PathBuf,
}

impl CleanShutdownFile {
    pub fn in_dir(log_dir: &Path) -> Self {
        Self { path: log_dir.join(CLEAN_SHUTDOWN_FILE) }
    }

    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Writes the marker (durably) with the broker epoch (-1 if unknown).
    pub fn write(&self, broker_epoch: i64) -> Result<(), StorageError> {
        let text = format!("{{\"version\":\"0\",\"broker_epoch\":\"{broker_epoch}\"}}");
        write_file_atomically(&self.path, text.as_bytes())
    }

    /// The broker epoch in the marker, if it exists and names one.
    pub fn read_broker_epoch(&self) -> Option<i64> {
        let text = read_small_file(&self.path, 4096).ok()??;
        let after = text.split("\"broker_epoch\"").nth(1)?;
        let digits: String = after
            .chars()
            .skip_while(|c| !(c.is_ascii_digit() || *c == '-'))
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    }

    pub fn delete(&self) -> Result<(), StorageError> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other.ctx("delete clean shutdown marker", &self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn write_read_delete() {
        let dir = tempfile::tempdir().unwrap();
        let marker = CleanShutdownFile::in_dir(dir.path());
        assert!(!marker.exists());
        assert_eq!(marker.read_broker_epoch(), None);
        marker.write(17).unwrap();
        assert!(marker.exists());
        assert_eq!(marker.read_broker_epoch(), Some(17));
        // Kafka's own output (a Java HashMap, key order unspecified).
        std::fs::write(dir.path().join(CLEAN_SHUTDOWN_FILE), r#"{"broker_epoch":"-1","version":"0"}"#).unwrap();
        assert_eq!(marker.read_broker_epoch(), Some(-1));
        marker.delete().unwrap();
        marker.delete().unwrap();
        assert!(!marker.exists());
    }
}
