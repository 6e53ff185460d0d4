//! Loading a partition log from its directory at start (Kafka's `LogLoader`).
//!
//! 1. Leftovers go: `*.deleted` and `*.cleaned` files, and index files whose `.log` is gone.
//! 2. Every `.log` file opens as a segment; its indexes get Kafka's sanity check (a whole number of
//!    entries, the last entry inside the segment) and are created if missing.
//! 3. After a clean shutdown (the log dir's `.kafka_cleanshutdown` marker) nothing else is scanned,
//!    except segments whose indexes must be rebuilt.
//! 4. Otherwise every segment from the one holding the recovery point onward is scanned: each batch's
//!    CRC, that offsets increase and fit the segment. The indexes are rebuilt on the way. At the first
//!    batch that fails, the segment is cut there (a warning says what was cut and why) and every later
//!    segment is deleted: everything before the failure is kept, nothing after it is trusted.
//!    Segments below the recovery point were flushed and are trusted (a missing or corrupt index among
//!    them is rebuilt, cutting only that segment if its log turns out damaged, as Kafka does).
//! 5. The log end offset is read from the last segment; the log start offset is the checkpointed one or
//!    the first segment's base, whichever is larger; the leader epoch cache drops entries outside
//!    [log start, log end) and is rebuilt from the batches if its file was missing or unreadable.
//! 6. What recovery validated is fsynced, so the recovery point becomes the log end offset.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;

use flotilla_model::{LeaderEpoch, Offset, TopicPartition};
use flotilla_protocol::records::RecordBatchHeader;
use tracing::{info, warn};

use crate::config::LogConfig;
use crate::error::{IoContext, StorageError};
use crate::leader_epoch_cache::{EpochFileStatus, LeaderEpochCache};
use crate::log::LogOpenParams;
use crate::segment::{
    parse_segment_file_name, IndexHealth, Segment, CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, INDEX_FILE_SUFFIX,
    LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX,
};

/// What loading a log found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// The log dir had the clean shutdown marker.
    pub clean_shutdown: bool,
    /// Segments after loading.
    pub segments: usize,
    /// Segments scanned batch by batch (base offsets).
    pub recovered_segments: Vec<Offset>,
    /// Segments whose indexes were missing or corrupt and were rebuilt (base offsets).
    pub rebuilt_indexes: Vec<Offset>,
    /// Bytes cut from segments.
    pub truncated_bytes: u64,
    /// Segments deleted because they followed a corruption (base offsets).
    pub dropped_segments: Vec<Offset>,
    /// The first problem found, if any.
    pub corruption: Option<String>,
    /// The leader epoch cache was rebuilt from the batches.
    pub leader_epochs_rebuilt: bool,
}

/// A loaded log, ready to be wrapped in a `Log`.
#[derive(Debug)]
pub(crate) struct LoadedLog {
    pub(crate) segments: BTreeMap<i64, Arc<Segment>>,
    pub(crate) log_end_offset: i64,
    pub(crate) log_start_offset: i64,
    pub(crate) recovery_point: i64,
    pub(crate) epoch_cache: LeaderEpochCache,
    pub(crate) report: LoadReport,
}

pub(crate) fn load(
    dir: &Path,
    tp: &TopicPartition,
    config: &LogConfig,
    params: &LogOpenParams,
    now_ms: i64,
) -> Result<LoadedLog, StorageError> {
    fs::create_dir_all(dir).ctx("create partition directory", dir)?;
    let mut report = LoadReport { clean_shutdown: params.had_clean_shutdown, ..LoadReport::default() };

    let mut segments = Vec::new();
    let mut health = Vec::new();
    for base in list_segments(dir)? {
        let (segment, index_health) = Segment::open(dir, base, config, now_ms)?;
        segments.push(Arc::new(segment));
        health.push(index_health);
    }

    let recovery_point = params.recovery_point.map_or(0, Offset::get);
    let first_unflushed = if params.had_clean_shutdown {
        segments.len()
    } else {
        segments.iter().rposition(|s| s.base_offset() <= recovery_point).unwrap_or(0)
    };

    let (mut epochs, epoch_status) = LeaderEpochCache::load(dir)?;
    let rebuild_epochs = epoch_status != EpochFileStatus::Loaded && segments.iter().any(|s| s.size() > 0);
    if rebuild_epochs {
        let why = match &epoch_status {
            EpochFileStatus::Corrupt(reason) => reason.as_str(),
            _ => "the file is missing",
        };
        warn!(partition = %tp, "rebuilding the leader epoch cache from the log: {why}");
        report.leader_epochs_rebuilt = true;
    }

    // Flushed segments: trusted, unless their indexes need rebuilding.
    for (segment, index_health) in segments.iter().zip(&health).take(first_unflushed) {
        match index_health {
            IndexHealth::NeedsRebuild(why) => {
                warn!(partition = %tp, segment = segment.base_offset(), "rebuilding indexes: {why}");
                let outcome = segment.recover(config.index_interval_bytes, segment.base_offset(), &mut |h| {
                    if rebuild_epochs {
                        assign(&mut epochs, h);
                    }
                })?;
                report.rebuilt_indexes.push(Offset::new(segment.base_offset()));
                if outcome.truncated_bytes > 0 {
                    let what = format!(
                        "segment {} cut at byte {} ({} bytes removed): {}",
                        segment.log_path().display(),
                        outcome.valid_bytes,
                        outcome.truncated_bytes,
                        outcome.stop.as_deref().unwrap_or("invalid bytes")
                    );
                    warn!(partition = %tp, "{what}");
                    report.truncated_bytes += outcome.truncated_bytes;
                    report.corruption.get_or_insert(what);
                }
            }
            IndexHealth::Healthy if rebuild_epochs => {
                segment.scan_from(0, |batch| {
                    assign(&mut epochs, &batch.header);
                    true
                })?;
            }
            IndexHealth::Healthy => {}
        }
    }

    // Unflushed segments: every batch checked; the first failure ends the log.
    let mut cut_after = None;
    if first_unflushed < segments.len() {
        let mut min_offset = match first_unflushed.checked_sub(1).and_then(|i| segments.get(i)) {
            Some(previous) => previous.read_next_offset()?,
            None => i64::MIN,
        };
        for (i, segment) in segments.iter().enumerate().skip(first_unflushed) {
            if let Some(IndexHealth::NeedsRebuild(_)) = health.get(i) {
                report.rebuilt_indexes.push(Offset::new(segment.base_offset()));
            }
            let outcome = segment.recover(config.index_interval_bytes, min_offset, &mut |h| assign(&mut epochs, h))?;
            report.recovered_segments.push(Offset::new(segment.base_offset()));
            if let Some(next) = outcome.next_offset {
                min_offset = next;
            }
            if outcome.truncated_bytes > 0 {
                let what = format!(
                    "segment {} cut at byte {} ({} bytes removed, the log now ends at offset {}): {}",
                    segment.log_path().display(),
                    outcome.valid_bytes,
                    outcome.truncated_bytes,
                    outcome.next_offset.unwrap_or(segment.base_offset()),
                    outcome.stop.as_deref().unwrap_or("invalid bytes")
                );
                warn!(partition = %tp, "{what}");
                report.truncated_bytes += outcome.truncated_bytes;
                report.corruption.get_or_insert(what);
                cut_after = Some(i);
                break;
            }
        }
    }
    if let Some(i) = cut_after {
        for segment in segments.drain(i + 1..) {
            warn!(
                partition = %tp,
                "deleting segment {} ({} bytes) that follows the corruption",
                segment.log_path().display(),
                segment.size()
            );
            segment.delete_files()?;
            report.dropped_segments.push(Offset::new(segment.base_offset()));
        }
    }

    let checkpointed_start = params.log_start_offset.map(Offset::get);
    if segments.is_empty() {
        let base = checkpointed_start.unwrap_or(0).max(0);
        segments.push(Arc::new(Segment::create(dir, base, config, now_ms)?));
    }
    let first_base = segments.first().map_or(0, |s| s.base_offset());
    let log_start_offset = checkpointed_start.unwrap_or(first_base).max(first_base);
    let mut log_end_offset = match segments.last() {
        Some(active) => active.read_next_offset()?,
        None => first_base,
    };

    if log_start_offset > log_end_offset {
        warn!(
            partition = %tp,
            "the log start offset {log_start_offset} is past the log end offset {log_end_offset}: starting the log over at {log_start_offset}"
        );
        for segment in segments.drain(..) {
            segment.delete_files()?;
            report.dropped_segments.push(Offset::new(segment.base_offset()));
        }
        segments.push(Arc::new(Segment::create(dir, log_start_offset, config, now_ms)?));
        log_end_offset = log_start_offset;
        epochs.clear()?;
    }

    // Make what recovery validated and rebuilt durable: from here on the whole log counts as flushed.
    let ran_recovery = !report.recovered_segments.is_empty() || !report.rebuilt_indexes.is_empty();
    if ran_recovery {
        for segment in &segments {
            segment.flush()?;
        }
    }
    if rebuild_epochs || ran_recovery {
        epochs.persist()?;
    }
    epochs.truncate_from_end(Offset::new(log_end_offset))?;
    epochs.truncate_from_start(Offset::new(log_start_offset))?;

    if let Some(active) = segments.last() {
        active.prepare_for_appends()?;
    }
    report.segments = segments.len();
    if ran_recovery {
        info!(
            partition = %tp,
            recovered = report.recovered_segments.len(),
            truncated_bytes = report.truncated_bytes,
            "recovered log, end offset {log_end_offset}"
        );
    }
    Ok(LoadedLog {
        segments: segments.into_iter().map(|s| (s.base_offset(), s)).collect(),
        log_end_offset,
        log_start_offset,
        recovery_point: log_end_offset,
        epoch_cache: epochs,
        report,
    })
}

/// Records a batch's epoch if it is newer than the latest cached one (Kafka's recovery rule).
fn assign(epochs: &mut LeaderEpochCache, header: &RecordBatchHeader) {
    let epoch = header.partition_leader_epoch();
    if epoch >= 0 && epochs.latest_epoch().is_none_or(|latest| epoch > latest.get()) {
        epochs.assign_in_memory(LeaderEpoch::new(epoch), Offset::new(header.base_offset()));
    }
}

/// Removes leftovers and lists the segments' base offsets in order.
fn list_segments(dir: &Path) -> Result<Vec<i64>, StorageError> {
    let mut logs = BTreeSet::new();
    let mut indexes = Vec::new();
    for entry in fs::read_dir(dir).ctx("list partition directory", dir)? {
        let entry = entry.ctx("list partition directory", dir)?;
        let path = entry.path();
        let Ok(name) = entry.file_name().into_string() else {
            warn!(path = %path.display(), "ignoring a file whose name is not UTF-8");
            continue;
        };
        if name.ends_with(DELETED_FILE_SUFFIX) || name.ends_with(CLEANED_FILE_SUFFIX) {
            info!(path = %path.display(), "removing a leftover file");
            fs::remove_file(&path).ctx("remove leftover file", &path)?;
        } else if let Some(base) = parse_segment_file_name(&name, LOG_FILE_SUFFIX) {
            logs.insert(base);
        } else if let Some(base) = parse_segment_file_name(&name, INDEX_FILE_SUFFIX)
            .or_else(|| parse_segment_file_name(&name, TIME_INDEX_FILE_SUFFIX))
        {
            indexes.push((base, path));
        }
    }
    for (base, path) in indexes {
        if !logs.contains(&base) {
            warn!(path = %path.display(), "removing an index whose log file is gone");
            fs::remove_file(&path).ctx("remove orphaned index", &path)?;
        }
    }
    Ok(logs.into_iter().collect())
}
