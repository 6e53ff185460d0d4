//! A partition's log (Kafka's `UnifiedLog` and `LocalLog`, without tiered storage): an ordered set of
//! segments, the offsets that bound it, its leader epoch cache, and the operations of the write,
//! read, truncation and retention paths.
//!
//! # Concurrency
//!
//! A `Log` is shared as `Arc<Log>` by blocking threads. Writers (appends, truncation, rolling,
//! retention, close) serialise on one mutex. Readers take no lock for I/O: they load the published
//! offsets (atomics), clone the `Arc`s of the segments they need from a briefly read-locked map, and
//! read with positioned reads. A batch becomes visible only when it is fully written: the segment size
//! is published after the write, the log end offset after the segment size, and a reader never reads
//! past the log end offset it loaded. Segments removed by retention or truncation stay readable by a
//! reader that already holds them.
//!
//! Lock order: `writer` → `segments` (write) → `epoch_cache`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use bytes::Bytes;
use flotilla_model::{LeaderEpoch, Offset, TopicPartition};
use flotilla_protocol::records::{Batches, RecordBatch, RecordBatchHeader, TimestampType, NO_TIMESTAMP};
use tracing::info;

use crate::checkpoint::sync_dir;
use crate::config::LogConfig;
use crate::error::{IoContext, StorageError};
use crate::leader_epoch_cache::{EpochEntry, LeaderEpochCache};
use crate::log_dir::{delete_dir_name, partition_dir_name, LogDirState};
use crate::log_validator::{split_error, validate_leader_batches};
use crate::recovery::{load, LoadReport};
use crate::segment::{PreparedBatch, RollParams, RollReason, Segment};

/// What the log dir's checkpoint files and marker say about a log being opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOpenParams {
    /// From `recovery-point-offset-checkpoint`; `None` scans the whole log after an unclean shutdown.
    pub recovery_point: Option<Offset>,
    /// From `log-start-offset-checkpoint`; `None` starts at the first segment.
    pub log_start_offset: Option<Offset>,
    /// From `replication-offset-checkpoint`; `None` starts at the log start offset.
    pub high_watermark: Option<Offset>,
    /// The log dir had the clean shutdown marker: skip recovery.
    pub had_clean_shutdown: bool,
}

/// The result of an append (Kafka's `LogAppendInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogAppendInfo {
    /// Offset of the first record appended.
    pub first_offset: Offset,
    /// Offset of the last record appended.
    pub last_offset: Offset,
    /// The broker's append time for LogAppendTime topics, else -1.
    pub log_append_time_ms: i64,
    /// The largest timestamp in the append (the append time for LogAppendTime).
    pub max_timestamp_ms: i64,
    /// Last offset of the batch holding `max_timestamp_ms`.
    pub offset_of_max_timestamp: Offset,
    /// The log start offset after the append.
    pub log_start_offset: Offset,
    /// Records appended, by the batch headers' counts.
    pub record_count: u64,
    /// Batches appended.
    pub batch_count: usize,
    /// Bytes appended.
    pub size_bytes: u64,
}

/// The result of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReadInfo {
    /// Whole batches exactly as stored, starting with the batch that holds the fetch offset.
    pub records: Bytes,
    /// Nothing was returned because the first batch is larger than `max_bytes` and `min_one_message`
    /// was false.
    pub first_entry_incomplete: bool,
    pub log_start_offset: Offset,
    pub log_end_offset: Offset,
    pub high_watermark: Offset,
}

/// What ListOffsets asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// -2: the log start offset.
    Earliest,
    /// -4: the start of the local log (the same here: there is no tiered storage).
    EarliestLocal,
    /// -1: the log end offset (the caller caps it at the high watermark for consumers, as Kafka's
    /// `Partition` does).
    Latest,
    /// -5: the highest offset in tiered storage; always -1 here.
    LatestTiered,
    /// -3: the record with the largest timestamp.
    MaxTimestamp,
    /// The first record whose timestamp is at least this.
    Timestamp(i64),
}

impl OffsetSpec {
    /// From ListOffsets' `timestamp` field.
    pub fn from_timestamp(timestamp: i64) -> Self {
        match timestamp {
            -1 => OffsetSpec::Latest,
            -2 => OffsetSpec::Earliest,
            -3 => OffsetSpec::MaxTimestamp,
            -4 => OffsetSpec::EarliestLocal,
            -5 => OffsetSpec::LatestTiered,
            t => OffsetSpec::Timestamp(t),
        }
    }
}

/// A ListOffsets answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampAndOffset {
    /// The record's timestamp, or -1 for Earliest/Latest.
    pub timestamp_ms: i64,
    pub offset: Offset,
    pub leader_epoch: Option<LeaderEpoch>,
}

/// One segment, as tools see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    pub base_offset: Offset,
    pub size_bytes: u64,
    pub path: PathBuf,
    /// Largest timestamp in the segment, -1 if none.
    pub max_timestamp_ms: i64,
}

/// Why a segment was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionReason {
    /// All its records are below the log start offset.
    LogStartOffset,
    /// `retention.bytes`.
    RetentionSize,
    /// `retention.ms`.
    RetentionTime,
}

/// A segment removed by retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedSegment {
    pub base_offset: Offset,
    /// The base offset of the segment after it (where its records end).
    pub end_offset: Offset,
    pub size_bytes: u64,
    pub largest_timestamp_ms: i64,
    pub reason: DeletionReason,
}

#[derive(Debug)]
struct WriterState {
    closed: bool,
    /// Bumped by every truncation, so a flush that raced one does not advance the recovery point.
    truncations: u64,
    /// A segment file was created or removed since the directory was last fsynced.
    dir_dirty: bool,
}

/// A partition's log on disk. See the module docs for its concurrency.
#[derive(Debug)]
pub struct Log {
    topic_partition: TopicPartition,
    dir: PathBuf,
    dir_state: Arc<LogDirState>,
    config: RwLock<Arc<LogConfig>>,
    segments: RwLock<BTreeMap<i64, Arc<Segment>>>,
    log_end_offset: AtomicI64,
    log_start_offset: AtomicI64,
    high_watermark: AtomicI64,
    recovery_point: AtomicI64,
    last_flush_ms: AtomicI64,
    writer: Mutex<WriterState>,
    epoch_cache: Mutex<LeaderEpochCache>,
    load_report: LoadReport,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Writers keep their state consistent at every step that can fail; a panic (a bug) elsewhere does
    // not make it unusable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    /// Opens (or creates) the log of `topic_partition` in `log_dir`, recovering it as `params` say.
    pub fn open(
        log_dir: &Path,
        topic_partition: TopicPartition,
        config: LogConfig,
        params: LogOpenParams,
        now_ms: i64,
    ) -> Result<Log, StorageError> {
        Self::open_in(Arc::new(LogDirState::new(log_dir.to_path_buf())), topic_partition, config, params, now_ms)
    }

    pub(crate) fn open_in(
        dir_state: Arc<LogDirState>,
        topic_partition: TopicPartition,
        config: LogConfig,
        params: LogOpenParams,
        now_ms: i64,
    ) -> Result<Log, StorageError> {
        dir_state.check_online()?;
        let dir = dir_state.path().join(partition_dir_name(&topic_partition));
        let loaded = load(&dir, &topic_partition, &config, &params, now_ms).inspect_err(|e| dir_state.fail_on(e))?;
        let high_watermark = params
            .high_watermark
            .map_or(loaded.log_start_offset, Offset::get)
            .max(loaded.log_start_offset)
            .min(loaded.log_end_offset);
        Ok(Log {
            topic_partition,
            dir,
            dir_state,
            config: RwLock::new(Arc::new(config)),
            segments: RwLock::new(loaded.segments),
            log_end_offset: AtomicI64::new(loaded.log_end_offset),
            log_start_offset: AtomicI64::new(loaded.log_start_offset),
            high_watermark: AtomicI64::new(high_watermark),
            recovery_point: AtomicI64::new(loaded.recovery_point),
            last_flush_ms: AtomicI64::new(now_ms),
            // The first flush also makes the segment files created by loading durable in the directory.
            writer: Mutex::new(WriterState { closed: false, truncations: 0, dir_dirty: true }),
            epoch_cache: Mutex::new(loaded.epoch_cache),
            load_report: loaded.report,
        })
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.topic_partition
    }

    /// The partition directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log dir holding the partition directory.
    pub fn log_dir(&self) -> &Path {
        self.dir_state.path()
    }

    pub(crate) fn dir_state(&self) -> &Arc<LogDirState> {
        &self.dir_state
    }

    /// What loading found (recovery, truncation, rebuilt indexes).
    pub fn load_report(&self) -> &LoadReport {
        &self.load_report
    }

    pub fn config(&self) -> Arc<LogConfig> {
        self.config.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Applies a changed topic config; segment and index sizes apply from the next segment.
    pub fn update_config(&self, config: LogConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(config);
    }

    pub fn log_start_offset(&self) -> Offset {
        Offset::new(self.log_start_offset.load(Ordering::Acquire))
    }

    pub fn log_end_offset(&self) -> Offset {
        Offset::new(self.log_end_offset.load(Ordering::Acquire))
    }

    pub fn high_watermark(&self) -> Offset {
        Offset::new(self.high_watermark.load(Ordering::Acquire))
    }

    /// Offset up to which the log is known to be fsynced.
    pub fn recovery_point(&self) -> Offset {
        Offset::new(self.recovery_point.load(Ordering::Acquire))
    }

    /// Sets the high watermark, clamped to [log start, log end] as Kafka does; returns the value set.
    pub fn update_high_watermark(&self, high_watermark: Offset) -> Offset {
        let _writer = lock(&self.writer);
        let hw = high_watermark
            .get()
            .max(self.log_start_offset.load(Ordering::Acquire))
            .min(self.log_end_offset.load(Ordering::Acquire));
        self.high_watermark.store(hw, Ordering::Release);
        Offset::new(hw)
    }

    fn segment_list(&self) -> Vec<Arc<Segment>> {
        self.segments.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    fn active_segment(&self) -> Option<Arc<Segment>> {
        self.segments.read().unwrap_or_else(PoisonError::into_inner).values().next_back().cloned()
    }

    /// Bytes in all segments.
    pub fn size_bytes(&self) -> u64 {
        self.segment_list().iter().map(|s| s.size()).sum()
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.segment_list()
            .iter()
            .map(|s| SegmentInfo {
                base_offset: Offset::new(s.base_offset()),
                size_bytes: s.size(),
                path: s.log_path().to_path_buf(),
                max_timestamp_ms: s.max_timestamp().timestamp,
            })
            .collect()
    }

    /// Runs a write-path operation: refuses if the log is closed or its dir offline, and takes the dir
    /// offline on an I/O error.
    fn write_op<T>(&self, op: impl FnOnce(&mut WriterState) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let mut writer = lock(&self.writer);
        if writer.closed {
            return Err(StorageError::LogClosed { topic_partition: self.topic_partition.clone() });
        }
        self.dir_state.check_online()?;
        op(&mut writer).inspect_err(|e| self.dir_state.fail_on(e))
    }

    fn read_op<T>(&self, op: impl FnOnce() -> Result<T, StorageError>) -> Result<T, StorageError> {
        self.dir_state.check_online()?;
        op().inspect_err(|e| self.dir_state.fail_on(e))
    }

    // ---------------------------------------------------------------------------------------------
    // Write path

    /// Appends a produced record set as the leader: validates each batch (magic 2, structure, CRC,
    /// `max.message.bytes`, consistent offset range, producer fields, CreateTime bounds), assigns
    /// offsets from the log end offset, stamps `leader_epoch` and (for LogAppendTime topics) the
    /// append time into the headers without copying payloads, and writes them with vectored I/O.
    pub fn append_as_leader(
        &self,
        records: Bytes,
        leader_epoch: LeaderEpoch,
        now_ms: i64,
    ) -> Result<LogAppendInfo, StorageError> {
        let config = self.config();
        let batches = validate_leader_batches(records, &config, now_ms)?;
        let (info, rolled) = self.write_op(|writer| {
            let first = self.log_end_offset.load(Ordering::Acquire);
            let mut next = first;
            let mut prepared = Vec::with_capacity(batches.len());
            for batch in batches {
                let record_span = i64::from(batch.header().last_offset_delta()) + 1;
                let mut stamped = batch.stamp();
                stamped.set_base_offset(next);
                stamped.set_partition_leader_epoch(leader_epoch.get());
                match config.message_timestamp_type {
                    TimestampType::LogAppendTime => stamped.set_log_append_time(now_ms),
                    TimestampType::CreateTime => {
                        let max = stamped.header().max_timestamp();
                        stamped.set_max_timestamp(TimestampType::CreateTime, max);
                    }
                }
                next = next.saturating_add(record_span);
                prepared.push(PreparedBatch::stamped(stamped));
            }
            if leader_epoch.get() >= 0 {
                lock(&self.epoch_cache).assign(leader_epoch, Offset::new(first))?;
            }
            let rolled = self.append_locked(writer, &config, &prepared, now_ms)?;
            let mut info = self.append_info(&prepared);
            if config.message_timestamp_type == TimestampType::LogAppendTime {
                info.log_append_time_ms = now_ms;
            }
            Ok((info, rolled))
        })?;
        self.after_append(&config, rolled, now_ms)?;
        Ok(info)
    }

    /// Appends batches replicated from the leader, which already carry their offsets and leader
    /// epochs. Each batch's CRC is checked; the first offset must not be below the log end offset and
    /// offsets must increase (a gap is allowed, as compacted logs have them). `max.message.bytes` does
    /// not apply, as in Kafka.
    pub fn append_as_follower(&self, records: Bytes, now_ms: i64) -> Result<LogAppendInfo, StorageError> {
        let config = self.config();
        let mut batches = Vec::new();
        for item in Batches::new(records) {
            batches.push(item.map_err(split_error)?);
        }
        let (Some(first), Some(_)) = (batches.first(), batches.last()) else {
            return Err(StorageError::InvalidRecord { reason: "the append holds no record batches".to_owned() });
        };
        let first_offset = first.header().base_offset();
        let mut expected = first_offset;
        for batch in &batches {
            let header = batch.header();
            if header.base_offset() < expected {
                return Err(StorageError::InvalidRecord {
                    reason: format!(
                        "out of order offsets in the append: batch at offset {} follows one ending at {}",
                        header.base_offset(),
                        expected - 1
                    ),
                });
            }
            expected = header.next_offset();
        }
        let (info, rolled) = self.write_op(|writer| {
            let log_end = self.log_end_offset.load(Ordering::Acquire);
            if first_offset < log_end {
                return Err(StorageError::UnexpectedAppendOffset {
                    topic_partition: self.topic_partition.clone(),
                    first_offset: Offset::new(first_offset),
                    log_end_offset: Offset::new(log_end),
                });
            }
            let prepared: Vec<_> = batches.into_iter().map(PreparedBatch::stored).collect();
            {
                let mut epochs = lock(&self.epoch_cache);
                for batch in &prepared {
                    let epoch = batch.header().partition_leader_epoch();
                    if epoch >= 0 {
                        epochs.assign(LeaderEpoch::new(epoch), Offset::new(batch.header().base_offset()))?;
                    }
                }
            }
            let rolled = self.append_locked(writer, &config, &prepared, now_ms)?;
            Ok((self.append_info(&prepared), rolled))
        })?;
        self.after_append(&config, rolled, now_ms)?;
        Ok(info)
    }

    /// Rolls if needed, writes, publishes the new log end offset. Returns the base offset of a newly
    /// rolled segment (everything below it should now be flushed).
    fn append_locked(
        &self,
        writer: &mut WriterState,
        config: &LogConfig,
        batches: &[PreparedBatch],
        now_ms: i64,
    ) -> Result<Option<i64>, StorageError> {
        let (Some(first), Some(last)) = (batches.first(), batches.last()) else {
            return Ok(None);
        };
        let first_offset = first.header().base_offset();
        let last_offset = last.header().last_offset();
        let params = RollParams {
            max_timestamp_in_messages: batches.iter().map(|b| b.header().max_timestamp()).max().unwrap_or(NO_TIMESTAMP),
            max_offset_in_messages: last_offset,
            messages_bytes: batches.iter().map(PreparedBatch::len).sum(),
            now_ms,
        };
        let mut rolled = None;
        let mut segment = self.require_active()?;
        if let Some(reason) = segment.should_roll(&params, config)? {
            segment = self.roll_locked(writer, config, first_offset, reason, now_ms)?;
            rolled = Some(first_offset);
        }
        if !segment.can_hold_offset(last_offset) {
            return Err(StorageError::InvalidRecord {
                reason: format!(
                    "the append's offsets {first_offset}..={last_offset} do not fit one segment starting at {}",
                    segment.base_offset()
                ),
            });
        }
        segment.append(batches, config.index_interval_bytes)?;
        self.log_end_offset.store(last_offset.saturating_add(1), Ordering::Release);
        Ok(rolled)
    }

    fn require_active(&self) -> Result<Arc<Segment>, StorageError> {
        self.active_segment().ok_or_else(|| StorageError::LogClosed { topic_partition: self.topic_partition.clone() })
    }

    /// Seals the active segment and starts a new one at `base_offset`. An empty active segment is
    /// replaced instead of being left behind.
    fn roll_locked(
        &self,
        writer: &mut WriterState,
        config: &LogConfig,
        base_offset: i64,
        reason: RollReason,
        now_ms: i64,
    ) -> Result<Arc<Segment>, StorageError> {
        let active = self.require_active()?;
        if base_offset < active.base_offset() {
            return Err(StorageError::InvalidArgument {
                reason: format!(
                    "cannot roll {} to a segment at {base_offset}, below the active segment at {}",
                    self.topic_partition,
                    active.base_offset()
                ),
            });
        }
        let replace_empty = active.size() == 0;
        if !replace_empty {
            active.seal()?;
        }
        let segment = if replace_empty && active.base_offset() == base_offset {
            active.clone()
        } else {
            if replace_empty {
                active.delete_files()?;
            }
            let segment = Arc::new(Segment::create(&self.dir, base_offset, config, now_ms)?);
            let mut map = self.segments.write().unwrap_or_else(PoisonError::into_inner);
            if replace_empty {
                map.remove(&active.base_offset());
            }
            map.insert(base_offset, segment.clone());
            segment
        };
        writer.dir_dirty = true;
        info!(partition = %self.topic_partition, ?reason, "rolled a new segment at offset {base_offset}");
        Ok(segment)
    }

    /// Forces a roll (Kafka's `roll()`), e.g. for tests or before deleting the active segment.
    pub fn roll(&self, now_ms: i64) -> Result<(), StorageError> {
        let config = self.config();
        let rolled = self.write_op(|writer| {
            let log_end = self.log_end_offset.load(Ordering::Acquire);
            let active = self.require_active()?;
            if active.size() == 0 {
                return Ok(None);
            }
            self.roll_locked(writer, &config, log_end, RollReason::Size, now_ms)?;
            Ok(Some(log_end))
        })?;
        self.after_append(&config, rolled, now_ms)
    }

    fn append_info(&self, batches: &[PreparedBatch]) -> LogAppendInfo {
        let headers: Vec<&RecordBatchHeader> = batches.iter().map(PreparedBatch::header).collect();
        let first = headers.first().map_or(-1, |h| h.base_offset());
        let last = headers.last().map_or(-1, |h| h.last_offset());
        let mut max_timestamp = NO_TIMESTAMP;
        let mut offset_of_max = first;
        for h in &headers {
            if h.max_timestamp() > max_timestamp {
                max_timestamp = h.max_timestamp();
                offset_of_max = h.last_offset();
            }
        }
        LogAppendInfo {
            first_offset: Offset::new(first),
            last_offset: Offset::new(last),
            log_append_time_ms: NO_TIMESTAMP,
            max_timestamp_ms: max_timestamp,
            offset_of_max_timestamp: Offset::new(offset_of_max),
            log_start_offset: self.log_start_offset(),
            record_count: headers.iter().map(|h| u64::try_from(h.record_count()).unwrap_or(0)).sum(),
            batch_count: headers.len(),
            size_bytes: batches.iter().map(PreparedBatch::len).sum(),
        }
    }

    /// The flush policy after an append, outside the append lock: the segment a roll just sealed is
    /// fsynced, and so is everything once `flush.messages` or `flush.ms` is exceeded.
    fn after_append(&self, config: &LogConfig, rolled: Option<i64>, now_ms: i64) -> Result<(), StorageError> {
        if let Some(new_base) = rolled {
            self.flush_up_to(new_base, now_ms)?;
        }
        let unflushed = self.log_end_offset.load(Ordering::Acquire) - self.recovery_point.load(Ordering::Acquire);
        let by_messages = config.flush_messages.is_some_and(|n| unflushed > 0 && unflushed.unsigned_abs() >= n);
        if by_messages || self.flush_due(config, now_ms) {
            self.flush(now_ms)?;
        }
        Ok(())
    }

    fn flush_due(&self, config: &LogConfig, now_ms: i64) -> bool {
        let since = now_ms.saturating_sub(self.last_flush_ms.load(Ordering::Acquire));
        config.flush_ms.is_some_and(|ms| since >= 0 && since.unsigned_abs() >= ms)
            && self.log_end_offset.load(Ordering::Acquire) > self.recovery_point.load(Ordering::Acquire)
    }

    /// fsyncs everything up to the log end offset and advances the recovery point.
    pub fn flush(&self, now_ms: i64) -> Result<(), StorageError> {
        self.flush_up_to(self.log_end_offset.load(Ordering::Acquire), now_ms)
    }

    /// Flushes if `flush.ms` has passed since the last flush (the periodic check Kafka's log manager
    /// runs); returns whether it flushed.
    pub fn flush_if_due(&self, now_ms: i64) -> Result<bool, StorageError> {
        if !self.flush_due(&self.config(), now_ms) {
            return Ok(false);
        }
        self.flush(now_ms)?;
        Ok(true)
    }

    /// fsyncs the segments holding offsets in [recovery point, `offset`), without holding the append
    /// lock during the fsyncs, then advances the recovery point unless a truncation happened meanwhile.
    fn flush_up_to(&self, offset: i64, now_ms: i64) -> Result<(), StorageError> {
        self.dir_state.check_online()?;
        let from = self.recovery_point.load(Ordering::Acquire);
        if offset <= from {
            self.last_flush_ms.store(now_ms, Ordering::Release);
            return Ok(());
        }
        let (truncations, dir_dirty) = {
            let mut writer = lock(&self.writer);
            (writer.truncations, std::mem::take(&mut writer.dir_dirty))
        };
        let segments = self.segment_list();
        let result = (|| {
            for (i, segment) in segments.iter().enumerate() {
                let end = segments.get(i + 1).map_or(i64::MAX, |next| next.base_offset());
                if segment.base_offset() < offset && end > from {
                    segment.flush()?;
                }
            }
            if dir_dirty {
                sync_dir(&self.dir)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.dir_state.fail_on(&e);
            lock(&self.writer).dir_dirty |= dir_dirty;
            return Err(e);
        }
        let writer = lock(&self.writer);
        if writer.truncations == truncations {
            let flushed = offset.min(self.log_end_offset.load(Ordering::Acquire));
            self.recovery_point.fetch_max(flushed, Ordering::AcqRel);
        }
        drop(writer);
        self.last_flush_ms.store(now_ms, Ordering::Release);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------------
    // Read path

    /// Reads whole batches starting with the one holding `fetch_offset`, stopping before any batch
    /// that reaches `max_offset` (the high watermark for consumers, the log end offset for followers)
    /// and within `max_bytes`, except that with `min_one_message` the first batch is returned even if
    /// it is larger. Continues into the next segment when one ends with room left. Fails with
    /// `OffsetOutOfRange` unless log start ≤ `fetch_offset` ≤ log end.
    pub fn read(
        &self,
        fetch_offset: Offset,
        max_bytes: usize,
        max_offset: Offset,
        min_one_message: bool,
    ) -> Result<LogReadInfo, StorageError> {
        self.read_op(|| {
            let log_end = self.log_end_offset.load(Ordering::Acquire);
            let log_start = self.log_start_offset.load(Ordering::Acquire);
            let mut info = LogReadInfo {
                records: Bytes::new(),
                first_entry_incomplete: false,
                log_start_offset: Offset::new(log_start),
                log_end_offset: Offset::new(log_end),
                high_watermark: self.high_watermark(),
            };
            let fetch = fetch_offset.get();
            if fetch < log_start || fetch > log_end {
                return Err(self.out_of_range(fetch_offset, log_start, log_end));
            }
            let limit = max_offset.get().min(log_end);
            if fetch >= limit {
                return Ok(info);
            }
            let segments: Vec<Arc<Segment>> = {
                let map = self.segments.read().unwrap_or_else(PoisonError::into_inner);
                let floor = map.range(..=fetch).next_back().map_or(i64::MIN, |(base, _)| *base);
                map.range(floor..).map(|(_, s)| s.clone()).take_while(|s| s.base_offset() < limit).collect()
            };
            if segments.first().is_none_or(|s| s.base_offset() > fetch) {
                // Retention moved the log start past the fetch offset meanwhile.
                return Err(self.out_of_range(fetch_offset, self.log_start_offset.load(Ordering::Acquire), log_end));
            }

            let mut out = Vec::new();
            let mut budget = max_bytes as u64;
            let mut from = fetch;
            for segment in segments {
                let Some(start) = segment.translate_offset(from)? else {
                    continue;
                };
                if start.header.last_offset() >= limit {
                    break;
                }
                if out.is_empty() && start.size() > budget {
                    if !min_one_message {
                        // As Kafka: a zero max_bytes is simply an empty read.
                        info.first_entry_incomplete = budget > 0;
                        break;
                    }
                    budget = start.size();
                }
                let segment_size = segment.size();
                let upper = segment.read_bound(limit)?.min(segment_size);
                let len = budget.min(upper.saturating_sub(start.position));
                let out_start = out.len();
                let got = segment.read_into(start.position, usize::try_from(len).unwrap_or(usize::MAX), &mut out)?;
                let (kept, next_offset) = whole_batches_below(&out[out_start..], limit);
                out.truncate(out_start + kept);
                budget -= kept as u64;
                let reached_segment_end = start.position + kept as u64 == segment_size && kept == got;
                match next_offset {
                    Some(next) if reached_segment_end && budget > 0 && next < limit => from = next,
                    _ => break,
                }
            }
            info.records = Bytes::from(out);
            Ok(info)
        })
    }

    /// Visits, in order, the batches holding offsets in [`from`, `to`): every header, plus the whole
    /// batch when `load_body` asks for it (e.g. control batches, whose markers producer state needs).
    /// Other batches cost a header read only. For rebuilding state from the log and for tools.
    pub fn visit_batches(
        &self,
        from: Offset,
        to: Offset,
        load_body: impl Fn(&RecordBatchHeader) -> bool,
        mut visit: impl FnMut(&RecordBatchHeader, Option<RecordBatch>),
    ) -> Result<(), StorageError> {
        self.read_op(|| {
            let to = to.get().min(self.log_end_offset.load(Ordering::Acquire));
            let segments: Vec<Arc<Segment>> = {
                let map = self.segments.read().unwrap_or_else(PoisonError::into_inner);
                let floor = map.range(..=from.get()).next_back().map_or(i64::MIN, |(base, _)| *base);
                map.range(floor..).map(|(_, s)| s.clone()).take_while(|s| s.base_offset() < to).collect()
            };
            for segment in segments {
                let Some(start) = segment.translate_offset(from.get())? else { continue };
                let mut result = Ok(());
                segment.scan_from(start.position, |batch| {
                    if batch.header.base_offset() >= to {
                        return false;
                    }
                    let body = if load_body(&batch.header) {
                        match segment.read_batch(batch) {
                            Ok(body) => body,
                            Err(e) => {
                                result = Err(e);
                                return false;
                            }
                        }
                    } else {
                        None
                    };
                    visit(&batch.header, body);
                    true
                })?;
                result?;
            }
            Ok(())
        })
    }

    fn out_of_range(&self, offset: Offset, log_start: i64, log_end: i64) -> StorageError {
        StorageError::OffsetOutOfRange {
            topic_partition: self.topic_partition.clone(),
            offset,
            log_start_offset: Offset::new(log_start),
            log_end_offset: Offset::new(log_end),
        }
    }

    /// Kafka's `fetchOffsetByTimestamp`, for ListOffsets.
    pub fn fetch_offset_by_timestamp(&self, spec: OffsetSpec) -> Result<Option<TimestampAndOffset>, StorageError> {
        self.read_op(|| {
            let log_start = self.log_start_offset();
            match spec {
                OffsetSpec::Earliest => {
                    let epoch = lock(&self.epoch_cache)
                        .earliest_entry()
                        .filter(|e| e.start_offset <= log_start)
                        .map(|e| e.epoch);
                    Ok(Some(TimestampAndOffset { timestamp_ms: NO_TIMESTAMP, offset: log_start, leader_epoch: epoch }))
                }
                OffsetSpec::EarliestLocal => {
                    let epoch = lock(&self.epoch_cache).epoch_for_offset(log_start);
                    Ok(Some(TimestampAndOffset { timestamp_ms: NO_TIMESTAMP, offset: log_start, leader_epoch: epoch }))
                }
                OffsetSpec::Latest => Ok(Some(TimestampAndOffset {
                    timestamp_ms: NO_TIMESTAMP,
                    offset: self.log_end_offset(),
                    leader_epoch: self.latest_epoch(),
                })),
                OffsetSpec::LatestTiered => Ok(Some(TimestampAndOffset {
                    timestamp_ms: NO_TIMESTAMP,
                    offset: Offset::UNKNOWN,
                    leader_epoch: Some(LeaderEpoch::UNKNOWN),
                })),
                OffsetSpec::MaxTimestamp => {
                    let segments = self.segment_list();
                    let mut best: Option<&Arc<Segment>> = None;
                    for segment in &segments {
                        if best.is_none_or(|b| segment.max_timestamp().timestamp > b.max_timestamp().timestamp) {
                            best = Some(segment);
                        }
                    }
                    let Some(segment) = best else { return Ok(None) };
                    Ok(segment.find_max_timestamp_record()?.map(found))
                }
                OffsetSpec::Timestamp(target) => {
                    for segment in self.segment_list() {
                        if segment.largest_timestamp() < target {
                            continue;
                        }
                        if let Some(record) = segment.find_offset_by_timestamp(target, log_start.get())? {
                            return Ok(Some(found(record)));
                        }
                    }
                    Ok(None)
                }
            }
        })
    }

    // ---------------------------------------------------------------------------------------------
    // Leader epochs

    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        lock(&self.epoch_cache).latest_epoch()
    }

    /// OffsetForLeaderEpoch: the largest epoch at most `epoch` and its end offset; (-1, -1) if unknown.
    pub fn end_offset_for_epoch(&self, epoch: LeaderEpoch) -> (LeaderEpoch, Offset) {
        lock(&self.epoch_cache).end_offset_for(epoch, self.log_end_offset())
    }

    /// The epoch the record at `offset` was written in.
    pub fn epoch_for_offset(&self, offset: Offset) -> Option<LeaderEpoch> {
        lock(&self.epoch_cache).epoch_for_offset(offset)
    }

    pub fn epoch_entries(&self) -> Vec<EpochEntry> {
        lock(&self.epoch_cache).entries().to_vec()
    }

    // ---------------------------------------------------------------------------------------------
    // Truncation and retention

    /// Removes everything at or after `offset` (a follower truncating to the leader's epoch end
    /// offset). Truncation cuts whole batches: if `offset` falls inside a batch, that batch goes and the
    /// log end offset becomes its base offset. Returns whether anything was removed.
    /// [`crate::LogManager::truncate_to`] also rewrites the recovery point checkpoint; prefer it.
    pub fn truncate_to(&self, offset: Offset, now_ms: i64) -> Result<bool, StorageError> {
        if offset.get() < 0 {
            return Err(StorageError::InvalidArgument { reason: format!("cannot truncate to offset {offset}") });
        }
        let config = self.config();
        self.write_op(|writer| {
            let target = offset.get();
            let log_end = self.log_end_offset.load(Ordering::Acquire);
            if target >= log_end {
                return Ok(false);
            }
            let first_base = self.segment_list().first().map_or(0, |s| s.base_offset());
            if target < first_base {
                self.truncate_fully_locked(writer, &config, target, now_ms)?;
                return Ok(true);
            }
            let removed: Vec<Arc<Segment>> = {
                let mut map = self.segments.write().unwrap_or_else(PoisonError::into_inner);
                let tail = map.split_off(&(target + 1));
                tail.into_values().collect()
            };
            for segment in &removed {
                segment.delete_files()?;
            }
            if !removed.is_empty() {
                writer.dir_dirty = true;
            }
            let active = self.require_active()?;
            let cut_base = active.truncate_to(target, now_ms)?;
            active.prepare_for_appends()?;
            let new_end = cut_base.map_or(target, |base| base.min(target));
            self.after_truncation(writer, new_end)?;
            info!(partition = %self.topic_partition, "truncated to offset {new_end} (asked {target}, was {log_end})");
            Ok(true)
        })
    }

    fn after_truncation(&self, writer: &mut WriterState, new_end: i64) -> Result<(), StorageError> {
        writer.truncations += 1;
        self.log_end_offset.store(new_end, Ordering::Release);
        self.recovery_point.fetch_min(new_end, Ordering::AcqRel);
        self.high_watermark.fetch_min(new_end, Ordering::AcqRel);
        self.log_start_offset.fetch_min(new_end, Ordering::AcqRel);
        lock(&self.epoch_cache).truncate_from_end(Offset::new(new_end))
    }

    /// Deletes every segment and restarts the log empty at `offset` (a follower whose fetch offset is
    /// out of the leader's range). [`crate::LogManager::truncate_fully_and_start_at`] also rewrites the
    /// checkpoints; prefer it.
    pub fn truncate_fully_and_start_at(&self, offset: Offset, now_ms: i64) -> Result<(), StorageError> {
        if offset.get() < 0 {
            return Err(StorageError::InvalidArgument { reason: format!("cannot start the log at offset {offset}") });
        }
        let config = self.config();
        self.write_op(|writer| self.truncate_fully_locked(writer, &config, offset.get(), now_ms))
    }

    fn truncate_fully_locked(
        &self,
        writer: &mut WriterState,
        config: &LogConfig,
        offset: i64,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        // Old files go first: a crash in between then leaves no segment below the new start.
        for segment in self.segment_list() {
            segment.delete_files()?;
        }
        let segment = Arc::new(Segment::create(&self.dir, offset, config, now_ms)?);
        {
            let mut map = self.segments.write().unwrap_or_else(PoisonError::into_inner);
            map.clear();
            map.insert(offset, segment);
        }
        writer.truncations += 1;
        writer.dir_dirty = true;
        self.log_end_offset.store(offset, Ordering::Release);
        self.log_start_offset.store(offset, Ordering::Release);
        self.recovery_point.store(offset, Ordering::Release);
        self.high_watermark.store(offset, Ordering::Release);
        lock(&self.epoch_cache).clear()?;
        info!(partition = %self.topic_partition, "emptied the log, it now starts at offset {offset}");
        Ok(())
    }

    /// Moves the log start offset forward (DeleteRecords); it may not pass the high watermark. Segments
    /// wholly below it are deleted by the next retention pass. Returns whether it moved.
    pub fn advance_log_start_offset(&self, offset: Offset) -> Result<bool, StorageError> {
        self.write_op(|_| {
            let hw = self.high_watermark.load(Ordering::Acquire);
            let current = self.log_start_offset.load(Ordering::Acquire);
            if offset.get() > hw {
                return Err(self.out_of_range(offset, current, self.log_end_offset.load(Ordering::Acquire)));
            }
            if offset.get() <= current {
                return Ok(false);
            }
            self.log_start_offset.store(offset.get(), Ordering::Release);
            lock(&self.epoch_cache).truncate_from_start(offset)?;
            Ok(true)
        })
    }

    /// Deletes the segments whose records are all below the log start offset.
    pub fn delete_segments_before_log_start(&self, now_ms: i64) -> Result<Vec<DeletedSegment>, StorageError> {
        let log_start = self.log_start_offset.load(Ordering::Acquire);
        self.delete_segments_while(DeletionReason::LogStartOffset, now_ms, |_, next_base| {
            next_base.is_some_and(|next| next <= log_start)
        })
    }

    /// Kafka's retention pass (`deleteOldSegments`): segments below the log start offset, then, when
    /// `cleanup.policy` includes delete, the oldest segments while the log exceeds `retention.bytes`,
    /// then those whose largest timestamp is older than `retention.ms`. Never deletes past the high
    /// watermark; if every segment goes, a new empty one is rolled first. Returns what it deleted.
    pub fn delete_old_segments(&self, now_ms: i64) -> Result<Vec<DeletedSegment>, StorageError> {
        let config = self.config();
        let mut deleted = self.delete_segments_before_log_start(now_ms)?;
        if !config.cleanup_policy.deletes() {
            return Ok(deleted);
        }
        if let Some(retention_bytes) = config.retention_bytes {
            let size = self.size_bytes();
            if size >= retention_bytes {
                let mut excess = size - retention_bytes;
                deleted.extend(self.delete_segments_while(DeletionReason::RetentionSize, now_ms, |segment, _| {
                    if excess >= segment.size() {
                        excess -= segment.size();
                        true
                    } else {
                        false
                    }
                })?);
            }
        }
        if let Some(retention_ms) = config.retention_ms {
            deleted.extend(self.delete_segments_while(DeletionReason::RetentionTime, now_ms, |segment, _| {
                let age = now_ms.saturating_sub(segment.largest_timestamp());
                age > 0 && age.unsigned_abs() > retention_ms
            })?);
        }
        Ok(deleted)
    }

    fn delete_segments_while(
        &self,
        reason: DeletionReason,
        now_ms: i64,
        mut predicate: impl FnMut(&Segment, Option<i64>) -> bool,
    ) -> Result<Vec<DeletedSegment>, StorageError> {
        let config = self.config();
        self.write_op(|writer| {
            let hw = self.high_watermark.load(Ordering::Acquire);
            let log_end = self.log_end_offset.load(Ordering::Acquire);
            let segments = self.segment_list();
            let mut deletable = Vec::new();
            for (i, segment) in segments.iter().enumerate() {
                let next_base = segments.get(i + 1).map(|s| s.base_offset());
                let last_and_empty = next_base.is_none() && segment.size() == 0;
                let upper = next_base.unwrap_or(log_end);
                if hw < upper || last_and_empty || !predicate(segment, next_base) {
                    break;
                }
                deletable.push((segment.clone(), upper));
            }
            if deletable.is_empty() {
                return Ok(Vec::new());
            }
            if deletable.len() == segments.len() {
                // A log always has an active segment.
                self.roll_locked(writer, &config, log_end, RollReason::Size, now_ms)?;
            }
            let new_start = deletable.last().map_or(log_end, |(_, upper)| *upper);
            if new_start > self.log_start_offset.load(Ordering::Acquire) {
                self.log_start_offset.store(new_start, Ordering::Release);
                lock(&self.epoch_cache).truncate_from_start(Offset::new(new_start))?;
            }
            let mut deleted = Vec::with_capacity(deletable.len());
            {
                let mut map = self.segments.write().unwrap_or_else(PoisonError::into_inner);
                for (segment, _) in &deletable {
                    map.remove(&segment.base_offset());
                }
            }
            for (segment, upper) in deletable {
                let info = DeletedSegment {
                    base_offset: Offset::new(segment.base_offset()),
                    end_offset: Offset::new(upper),
                    size_bytes: segment.size(),
                    largest_timestamp_ms: segment.largest_timestamp(),
                    reason,
                };
                segment.delete_files()?;
                info!(partition = %self.topic_partition, ?reason, "deleted segment {}", segment.log_path().display());
                deleted.push(info);
            }
            writer.dir_dirty = true;
            Ok(deleted)
        })
    }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle

    /// Flushes everything, seals the active segment's indexes (trimmed, final time index entry) and
    /// refuses further writes. Part of a clean shutdown.
    pub fn close(&self, now_ms: i64) -> Result<(), StorageError> {
        if lock(&self.writer).closed {
            return Ok(());
        }
        self.flush(now_ms)?;
        self.write_op(|writer| {
            if let Some(active) = self.active_segment() {
                active.seal()?;
            }
            writer.closed = true;
            Ok(())
        })
    }

    /// Removes the partition directory: renamed to `<topic>-<partition>.<id>-delete` first, then
    /// deleted (a crash in between is finished at the next start). The log refuses everything after.
    pub fn delete(&self) -> Result<(), StorageError> {
        let mut writer = lock(&self.writer);
        writer.closed = true;
        let result = (|| {
            let renamed = self.dir_state.path().join(delete_dir_name(&self.topic_partition));
            fs::rename(&self.dir, &renamed).ctx("rename partition directory for deletion", &self.dir)?;
            sync_dir(self.dir_state.path())?;
            fs::remove_dir_all(&renamed).ctx("delete partition directory", &renamed)?;
            info!(partition = %self.topic_partition, "deleted the partition directory");
            Ok(())
        })();
        result.inspect_err(|e| self.dir_state.fail_on(e))
    }
}

fn found(record: crate::segment::FoundRecord) -> TimestampAndOffset {
    TimestampAndOffset {
        timestamp_ms: record.timestamp,
        offset: Offset::new(record.offset),
        leader_epoch: (record.leader_epoch >= 0).then_some(LeaderEpoch::new(record.leader_epoch)),
    }
}

/// How many leading bytes of `buf` are whole batches all of whose offsets are below `limit`, and the
/// offset after the last of them.
fn whole_batches_below(buf: &[u8], limit: i64) -> (usize, Option<i64>) {
    let mut at = 0;
    let mut next = None;
    while let Some(rest) = buf.get(at..) {
        let Ok(header) = RecordBatchHeader::peek(rest) else { break };
        if header.total_size() > rest.len() || header.last_offset() >= limit {
            break;
        }
        at += header.total_size();
        next = Some(header.next_offset());
    }
    (at, next)
}

#[cfg(test)]
mod tests;
