//! The log manager (Kafka's `LogManager`): one per broker, over all its log dirs. It loads every
//! partition log at start, creates and deletes logs, writes the log dirs' checkpoint files and the
//! clean shutdown marker, runs the periodic flush and retention passes the broker schedules, and
//! reports log dirs that went offline.
//!
//! # Start
//!
//! Each log dir is loaded on its own thread. In a dir: the clean shutdown marker and the three
//! checkpoint files are read (a malformed checkpoint is warned about and ignored, as Kafka does); each
//! subdirectory named `<topic>-<partition>` is opened as a log (recovered unless the marker was there);
//! directories left by an interrupted delete (`…-delete`) are removed; anything else is skipped with a
//! warning and listed in the [`LogManagerReport`]. Once the dir's logs are loaded, the marker is deleted,
//! so a crash from then on means recovery at the next start. An I/O error takes that dir offline and
//! the others carry on; if no dir is left, opening fails.
//!
//! # Shutdown
//!
//! [`LogManager::shutdown`] closes every log (flush, seal the active segment), writes the recovery
//! points, log start offsets and high watermarks, then the clean shutdown marker, per dir.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use flotilla_model::{Offset, TopicPartition};
use tracing::{info, warn};

use crate::checkpoint::{
    sync_dir, OffsetCheckpointFile, LOG_START_OFFSET_CHECKPOINT_FILE, RECOVERY_POINT_CHECKPOINT_FILE,
    REPLICATION_OFFSET_CHECKPOINT_FILE,
};
use crate::clean_shutdown::CleanShutdownFile;
use crate::config::LogConfig;
use crate::error::{IoContext, StorageError};
use crate::log::{DeletedSegment, Log, LogOpenParams};
use crate::log_dir::{
    parse_partition_dir_name, LogDirFailure, LogDirState, DELETE_DIR_SUFFIX, FUTURE_DIR_SUFFIX, STRAY_DIR_SUFFIX,
};

/// The metadata log directory (`__cluster_metadata-0`), kept by the controller quorum in a log dir.
pub const METADATA_LOG_DIR_PREFIX: &str = "__cluster_metadata-";

/// What opening the log dirs found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogManagerReport {
    /// Log dirs that had the clean shutdown marker.
    pub clean_shutdown_dirs: Vec<PathBuf>,
    /// Logs loaded.
    pub logs_loaded: usize,
    /// Logs whose load cut bytes or dropped segments.
    pub logs_truncated: Vec<TopicPartition>,
    /// Directories in a log dir that are not partition directories (skipped).
    pub skipped_dirs: Vec<PathBuf>,
    /// Checkpoint files that could not be parsed and were ignored.
    pub corrupt_checkpoints: Vec<String>,
    /// Log dirs that failed to load.
    pub offline_dirs: Vec<LogDirFailure>,
}

/// All partition logs of a broker.
#[derive(Debug)]
pub struct LogManager {
    dirs: Vec<Arc<LogDirState>>,
    logs: RwLock<BTreeMap<TopicPartition, Arc<Log>>>,
    /// Serialises creation and deletion of logs.
    lifecycle: Mutex<()>,
    report: LogManagerReport,
}

struct LoadedDir {
    logs: Vec<Arc<Log>>,
    clean_shutdown: bool,
    skipped: Vec<PathBuf>,
    corrupt_checkpoints: Vec<String>,
}

impl LogManager {
    /// Opens every log in `log_dirs` (created if missing); `config_for` gives each partition's config.
    pub fn open<F>(log_dirs: &[PathBuf], config_for: F, now_ms: i64) -> Result<LogManager, StorageError>
    where
        F: Fn(&TopicPartition) -> LogConfig + Sync,
    {
        let dirs: Vec<Arc<LogDirState>> = log_dirs.iter().map(|d| Arc::new(LogDirState::new(d.clone()))).collect();
        let loads: Vec<Result<LoadedDir, StorageError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = dirs.iter().map(|dir| scope.spawn(|| load_dir(dir, &config_for, now_ms))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StorageError::InvalidArgument { reason: "a log dir loading thread panicked".to_owned() })
                    })
                })
                .collect()
        });

        let mut report = LogManagerReport::default();
        let mut logs: BTreeMap<TopicPartition, Arc<Log>> = BTreeMap::new();
        for (dir, load) in dirs.iter().zip(loads) {
            match load {
                Ok(loaded) => {
                    if loaded.clean_shutdown {
                        report.clean_shutdown_dirs.push(dir.path().to_path_buf());
                    }
                    report.skipped_dirs.extend(loaded.skipped);
                    report.corrupt_checkpoints.extend(loaded.corrupt_checkpoints);
                    for log in loaded.logs {
                        let load_report = log.load_report();
                        if load_report.truncated_bytes > 0 || !load_report.dropped_segments.is_empty() {
                            report.logs_truncated.push(log.topic_partition().clone());
                        }
                        if let Some(existing) = logs.get(log.topic_partition()) {
                            return Err(StorageError::DuplicateLog {
                                topic_partition: log.topic_partition().clone(),
                                first: existing.dir().to_path_buf(),
                                second: log.dir().to_path_buf(),
                            });
                        }
                        logs.insert(log.topic_partition().clone(), log);
                    }
                }
                Err(e) => {
                    dir.take_offline(&e);
                    warn!(dir = %dir.path().display(), error = %e, "log dir could not be loaded");
                    report.offline_dirs.push(LogDirFailure { dir: dir.path().to_path_buf(), error: e.to_string() });
                }
            }
        }
        if dirs.iter().all(|d| d.is_offline()) {
            return Err(StorageError::NoOnlineLogDir);
        }
        report.logs_loaded = logs.len();
        info!(logs = logs.len(), dirs = dirs.len(), "loaded logs");
        Ok(LogManager { dirs, logs: RwLock::new(logs), lifecycle: Mutex::new(()), report })
    }

    /// What opening found.
    pub fn report(&self) -> &LogManagerReport {
        &self.report
    }

    /// The log dirs, in the order given.
    pub fn log_dirs(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.path().to_path_buf()).collect()
    }

    /// Log dirs that are offline.
    pub fn offline_dirs(&self) -> Vec<PathBuf> {
        self.dirs.iter().filter(|d| d.is_offline()).map(|d| d.path().to_path_buf()).collect()
    }

    /// Log dirs that went offline since the last call, with the error that took each down (for the
    /// broker to report to the controller).
    pub fn take_new_failures(&self) -> Vec<LogDirFailure> {
        self.dirs.iter().filter_map(|d| d.take_unreported_failure()).collect()
    }

    pub fn log(&self, tp: &TopicPartition) -> Option<Arc<Log>> {
        self.logs.read().unwrap_or_else(PoisonError::into_inner).get(tp).cloned()
    }

    /// Every log, ordered by partition.
    pub fn logs(&self) -> Vec<Arc<Log>> {
        self.logs.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// The log of `tp`, created empty in the online log dir holding the fewest logs if it does not
    /// exist yet.
    pub fn get_or_create_log(
        &self,
        tp: &TopicPartition,
        config: LogConfig,
        now_ms: i64,
    ) -> Result<Arc<Log>, StorageError> {
        if let Some(log) = self.log(tp) {
            return Ok(log);
        }
        let _lifecycle = self.lifecycle.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(log) = self.log(tp) {
            return Ok(log);
        }
        let dir = {
            let logs = self.logs.read().unwrap_or_else(PoisonError::into_inner);
            self.dirs
                .iter()
                .filter(|d| !d.is_offline())
                .min_by_key(|d| logs.values().filter(|l| Arc::ptr_eq(l.dir_state(), d)).count())
                .cloned()
                .ok_or(StorageError::NoOnlineLogDir)?
        };
        // An I/O error creating the partition's directory is the dir's failure, as in Kafka's
        // `getOrCreateLog`: the next log goes to another dir, or the broker has none left.
        let log = Arc::new(
            Log::open_in(dir.clone(), tp.clone(), config, LogOpenParams::default(), now_ms)
                .inspect_err(|e| dir.fail_on(e))?,
        );
        sync_dir(dir.path()).inspect_err(|e| dir.fail_on(e))?;
        info!(partition = %tp, dir = %dir.path().display(), "created log");
        self.logs.write().unwrap_or_else(PoisonError::into_inner).insert(tp.clone(), log.clone());
        Ok(log)
    }

    /// Deletes the log of `tp` and its directory; returns whether there was one.
    pub fn delete_log(&self, tp: &TopicPartition) -> Result<bool, StorageError> {
        let _lifecycle = self.lifecycle.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(log) = self.logs.write().unwrap_or_else(PoisonError::into_inner).remove(tp) else {
            return Ok(false);
        };
        log.delete()?;
        Ok(true)
    }

    /// Truncates the log of `tp` to `offset` (a follower after OffsetForLeaderEpoch), then rewrites
    /// its dir's recovery point checkpoint so a crash cannot recover from a stale position (as Kafka's
    /// `LogManager.truncateTo` does). Returns whether anything was removed.
    pub fn truncate_to(&self, tp: &TopicPartition, offset: Offset, now_ms: i64) -> Result<bool, StorageError> {
        let log = self.require(tp)?;
        let truncated = log.truncate_to(offset, now_ms)?;
        if truncated {
            self.checkpoint_dir_of(&log, &CHECKPOINTS[..1])?;
        }
        Ok(truncated)
    }

    /// Empties the log of `tp` and restarts it at `offset`, then rewrites its dir's recovery point and
    /// log start offset checkpoints (Kafka's `LogManager.truncateFullyAndStartAt`).
    pub fn truncate_fully_and_start_at(
        &self,
        tp: &TopicPartition,
        offset: Offset,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let log = self.require(tp)?;
        log.truncate_fully_and_start_at(offset, now_ms)?;
        self.checkpoint_dir_of(&log, &CHECKPOINTS[..2])
    }

    fn require(&self, tp: &TopicPartition) -> Result<Arc<Log>, StorageError> {
        self.log(tp).ok_or_else(|| StorageError::LogClosed { topic_partition: tp.clone() })
    }

    fn checkpoint_dir_of(&self, log: &Log, which: &[(&str, CheckpointedOffset)]) -> Result<(), StorageError> {
        let logs = self.logs();
        let dir = log.dir_state();
        for (name, offset) in which {
            write_dir_checkpoint(dir, &logs, name, *offset).inspect_err(|e| dir.fail_on(e))?;
        }
        Ok(())
    }

    /// Writes `recovery-point-offset-checkpoint` in every online log dir.
    pub fn checkpoint_recovery_points(&self) -> Result<(), StorageError> {
        self.write_checkpoint(RECOVERY_POINT_CHECKPOINT_FILE, Log::recovery_point)
    }

    /// Writes `log-start-offset-checkpoint` in every online log dir.
    pub fn checkpoint_log_start_offsets(&self) -> Result<(), StorageError> {
        self.write_checkpoint(LOG_START_OFFSET_CHECKPOINT_FILE, Log::log_start_offset)
    }

    /// Writes `replication-offset-checkpoint` (high watermarks) in every online log dir.
    pub fn checkpoint_high_watermarks(&self) -> Result<(), StorageError> {
        self.write_checkpoint(REPLICATION_OFFSET_CHECKPOINT_FILE, Log::high_watermark)
    }

    /// All three checkpoints.
    pub fn checkpoint_all(&self) -> Result<(), StorageError> {
        let results: Vec<_> = CHECKPOINTS.iter().map(|(name, offset)| self.write_checkpoint(name, *offset)).collect();
        results.into_iter().collect()
    }

    fn write_checkpoint(&self, name: &str, offset: CheckpointedOffset) -> Result<(), StorageError> {
        let logs = self.logs();
        let mut first_error = None;
        for dir in self.dirs.iter().filter(|d| !d.is_offline()) {
            if let Err(e) = write_dir_checkpoint(dir, &logs, name, offset) {
                dir.fail_on(&e);
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Flushes the logs whose `flush.ms` has passed (Kafka's periodic flusher). Failures take their
    /// dir offline and are reported through [`LogManager::take_new_failures`].
    pub fn flush_dirty_logs(&self, now_ms: i64) {
        for log in self.logs() {
            if let Err(e) = log.flush_if_due(now_ms) {
                warn!(partition = %log.topic_partition(), error = %e, "periodic flush failed");
            }
        }
    }

    /// Runs the retention pass over every log; returns what each deleted.
    pub fn delete_old_segments(&self, now_ms: i64) -> Vec<(TopicPartition, Vec<DeletedSegment>)> {
        let mut deleted = Vec::new();
        for log in self.logs() {
            match log.delete_old_segments(now_ms) {
                Ok(segments) if segments.is_empty() => {}
                Ok(segments) => deleted.push((log.topic_partition().clone(), segments)),
                Err(StorageError::LogClosed { .. } | StorageError::LogDirOffline { .. }) => {}
                Err(e) => warn!(partition = %log.topic_partition(), error = %e, "retention failed"),
            }
        }
        deleted
    }

    /// Clean shutdown: per online dir, closes its logs (flush, seal), writes the three checkpoints and
    /// then the clean shutdown marker with `broker_epoch` (-1 if unknown). A dir where any step fails
    /// gets no marker, so it is recovered at the next start.
    pub fn shutdown(&self, broker_epoch: i64, now_ms: i64) -> Result<(), StorageError> {
        let logs = self.logs();
        let mut first_error = None;
        for dir in self.dirs.iter().filter(|d| !d.is_offline()) {
            let result = (|| {
                for log in logs.iter().filter(|l| Arc::ptr_eq(l.dir_state(), dir)) {
                    log.close(now_ms)?;
                }
                for (name, offset) in CHECKPOINTS {
                    write_dir_checkpoint(dir, &logs, name, offset)?;
                }
                CleanShutdownFile::in_dir(dir.path()).write(broker_epoch)
            })();
            if let Err(e) = result {
                dir.fail_on(&e);
                warn!(dir = %dir.path().display(), error = %e, "log dir did not shut down cleanly");
                first_error.get_or_insert(e);
            }
        }
        info!("log manager shut down");
        first_error.map_or(Ok(()), Err)
    }
}

/// Reads the offset a checkpoint file records from a log.
type CheckpointedOffset = fn(&Log) -> Offset;

/// The checkpoint files of a log dir and what each records.
const CHECKPOINTS: [(&str, CheckpointedOffset); 3] = [
    (RECOVERY_POINT_CHECKPOINT_FILE, Log::recovery_point),
    (LOG_START_OFFSET_CHECKPOINT_FILE, Log::log_start_offset),
    (REPLICATION_OFFSET_CHECKPOINT_FILE, Log::high_watermark),
];

fn write_dir_checkpoint(
    dir: &Arc<LogDirState>,
    logs: &[Arc<Log>],
    name: &str,
    offset: CheckpointedOffset,
) -> Result<(), StorageError> {
    // The offsets are read under the lock too, so a later writer never puts an older view in place.
    let _writing = dir.lock_checkpoints();
    let offsets: BTreeMap<TopicPartition, Offset> = logs
        .iter()
        .filter(|log| Arc::ptr_eq(log.dir_state(), dir))
        .map(|log| (log.topic_partition().clone(), offset(log)))
        .collect();
    OffsetCheckpointFile::in_dir(dir.path(), name).write(&offsets)
}

/// Reads a checkpoint, treating a malformed one as absent (with a warning), as Kafka does.
fn read_checkpoint(
    dir: &Path,
    name: &str,
    corrupt: &mut Vec<String>,
) -> Result<BTreeMap<TopicPartition, Offset>, StorageError> {
    match OffsetCheckpointFile::in_dir(dir, name).read() {
        Ok(offsets) => Ok(offsets),
        Err(e @ StorageError::CorruptCheckpoint { .. }) => {
            warn!(error = %e, "ignoring the checkpoint file");
            corrupt.push(e.to_string());
            Ok(BTreeMap::new())
        }
        Err(e) => Err(e),
    }
}

fn load_dir<F>(dir: &Arc<LogDirState>, config_for: &F, now_ms: i64) -> Result<LoadedDir, StorageError>
where
    F: Fn(&TopicPartition) -> LogConfig + Sync,
{
    let path = dir.path();
    fs::create_dir_all(path).ctx("create log dir", path)?;
    let marker = CleanShutdownFile::in_dir(path);
    let clean_shutdown = marker.exists();
    let mut corrupt_checkpoints = Vec::new();
    let recovery_points = read_checkpoint(path, RECOVERY_POINT_CHECKPOINT_FILE, &mut corrupt_checkpoints)?;
    let log_starts = read_checkpoint(path, LOG_START_OFFSET_CHECKPOINT_FILE, &mut corrupt_checkpoints)?;
    let high_watermarks = read_checkpoint(path, REPLICATION_OFFSET_CHECKPOINT_FILE, &mut corrupt_checkpoints)?;

    let mut logs = Vec::new();
    let mut skipped = Vec::new();
    let mut entries: Vec<_> =
        fs::read_dir(path).ctx("list log dir", path)?.collect::<Result<Vec<_>, _>>().ctx("list log dir", path)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let entry_path = entry.path();
        if !entry.file_type().ctx("stat", &entry_path)?.is_dir() {
            continue;
        }
        let Ok(name) = entry.file_name().into_string() else {
            warn!(path = %entry_path.display(), "skipping a directory whose name is not UTF-8");
            skipped.push(entry_path);
            continue;
        };
        if name.ends_with(DELETE_DIR_SUFFIX) {
            info!(path = %entry_path.display(), "finishing the deletion of a partition directory");
            fs::remove_dir_all(&entry_path).ctx("delete partition directory", &entry_path)?;
            continue;
        }
        if name.starts_with(METADATA_LOG_DIR_PREFIX) {
            // The controller quorum's own log lives beside the partitions, as in KRaft; it is not ours.
            continue;
        }
        if name.ends_with(FUTURE_DIR_SUFFIX) || name.ends_with(STRAY_DIR_SUFFIX) {
            warn!(path = %entry_path.display(), "skipping a future/stray replica directory (not supported)");
            skipped.push(entry_path);
            continue;
        }
        let Some(tp) = parse_partition_dir_name(&name) else {
            warn!(path = %entry_path.display(), "skipping a directory that is not <topic>-<partition>");
            skipped.push(entry_path);
            continue;
        };
        let params = LogOpenParams {
            recovery_point: recovery_points.get(&tp).copied(),
            log_start_offset: log_starts.get(&tp).copied(),
            high_watermark: high_watermarks.get(&tp).copied(),
            had_clean_shutdown: clean_shutdown,
        };
        let config = config_for(&tp);
        logs.push(Arc::new(Log::open_in(dir.clone(), tp, config, params, now_ms)?));
    }
    marker.delete()?;
    Ok(LoadedDir { logs, clean_shutdown, skipped, corrupt_checkpoints })
}

#[cfg(test)]
mod tests;
