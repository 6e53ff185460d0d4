//! A log segment: `<base offset, 20 digits>.log` holding record batches back to back exactly as they
//! travel on the wire, with its sparse offset index (`.index`) and time index (`.timeindex`). Kafka's
//! `LogSegment`.
//!
//! Only the active (last) segment of a log is appended to, by one writer at a time (the log's append
//! lock). Readers share the segment through an `Arc` and use positioned reads: they see the bytes up
//! to the published size, which the writer advances only after the batches and their index entries
//! are written. A deleted segment's file stays readable by readers that still hold it (Unix unlink
//! semantics), so reads need no lock against retention or truncation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use flotilla_protocol::records::{RecordBatch, RecordBatchHeader, StampedBatch, NO_TIMESTAMP};

use crate::batch_scanner::{read_at_most, BatchScanner, ScanStep, ScannedBatch};
use crate::config::LogConfig;
use crate::error::{IoContext, StorageError};
use crate::offset_index::OffsetIndex;
use crate::time_index::{TimeIndex, TimestampOffset};

pub(crate) const LOG_FILE_SUFFIX: &str = ".log";
pub(crate) const INDEX_FILE_SUFFIX: &str = ".index";
pub(crate) const TIME_INDEX_FILE_SUFFIX: &str = ".timeindex";
/// Suffix Kafka gives files awaiting asynchronous deletion; leftovers are removed on load.
pub(crate) const DELETED_FILE_SUFFIX: &str = ".deleted";
/// Suffix of a compaction's output before it is swapped in; leftovers are removed on load.
pub(crate) const CLEANED_FILE_SUFFIX: &str = ".cleaned";

/// Decompressed bytes a timestamp search may decode from one batch.
const MAX_DECOMPRESSED_BATCH_BYTES: usize = 256 * 1024 * 1024;
/// Batches written per vectored write (two slices each, under Linux's IOV_MAX of 1024).
const BATCHES_PER_WRITE: usize = 512;

/// `<base offset, 20 digits><suffix>`, as Kafka names segment files.
pub(crate) fn segment_file_name(base_offset: i64, suffix: &str) -> String {
    format!("{base_offset:020}{suffix}")
}

/// The base offset in a segment file name with `suffix`, if the name is one.
pub(crate) fn parse_segment_file_name(name: &str, suffix: &str) -> Option<i64> {
    let stem = name.strip_suffix(suffix)?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// A batch ready to be written: its final header and its bytes.
#[derive(Debug)]
pub(crate) struct PreparedBatch {
    header: RecordBatchHeader,
    body: PreparedBody,
}

#[derive(Debug)]
enum PreparedBody {
    /// Restamped header plus the untouched payload (leader appends).
    Stamped(StampedBatch),
    /// The batch as received (follower appends).
    Stored(Bytes),
}

impl PreparedBatch {
    pub(crate) fn stamped(batch: StampedBatch) -> Self {
        Self { header: batch.header(), body: PreparedBody::Stamped(batch) }
    }

    pub(crate) fn stored(batch: RecordBatch) -> Self {
        let header = *batch.header();
        Self { header, body: PreparedBody::Stored(batch.into_bytes()) }
    }

    pub(crate) fn header(&self) -> &RecordBatchHeader {
        &self.header
    }

    pub(crate) fn len(&self) -> u64 {
        match &self.body {
            PreparedBody::Stamped(b) => b.len() as u64,
            PreparedBody::Stored(b) => b.len() as u64,
        }
    }

    fn push_slices<'a>(&'a self, out: &mut Vec<IoSlice<'a>>) {
        match &self.body {
            PreparedBody::Stamped(b) => out.extend(b.io_slices()),
            PreparedBody::Stored(b) => out.push(IoSlice::new(b)),
        }
    }
}

/// What an append needs to know to decide whether to roll first (Kafka's `RollParams`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RollParams {
    pub(crate) max_timestamp_in_messages: i64,
    pub(crate) max_offset_in_messages: i64,
    pub(crate) messages_bytes: u64,
    pub(crate) now_ms: i64,
}

/// Why a segment rolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RollReason {
    Size,
    Time,
    OffsetIndexFull,
    TimeIndexFull,
    OffsetOverflow,
}

/// The outcome of scanning a segment during recovery.
#[derive(Debug)]
pub(crate) struct SegmentRecovery {
    /// Bytes kept.
    pub(crate) valid_bytes: u64,
    /// Bytes cut from the end.
    pub(crate) truncated_bytes: u64,
    /// The offset after the last valid batch, `None` if none is valid.
    pub(crate) next_offset: Option<i64>,
    /// Why the scan stopped early, if it did.
    pub(crate) stop: Option<String>,
}

/// A record found by a timestamp search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FoundRecord {
    pub(crate) timestamp: i64,
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
}

#[derive(Debug, Clone, Copy)]
struct SegmentState {
    /// Largest timestamp seen and the last offset of the batch carrying it.
    max_timestamp: TimestampOffset,
    /// Max timestamp of the first append, the reference point of time-based rolling (loaded lazily).
    rolling_based_timestamp: Option<i64>,
    created_ms: i64,
    bytes_since_last_index_entry: u64,
}

#[derive(Debug)]
pub(crate) struct Segment {
    base_offset: i64,
    log_path: PathBuf,
    log: File,
    /// Bytes visible to readers.
    size: AtomicU64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    state: Mutex<SegmentState>,
}

/// How an existing segment's indexes looked when it was opened.
#[derive(Debug)]
pub(crate) enum IndexHealth {
    Healthy,
    /// Missing or failed its sanity check: rebuild before use.
    NeedsRebuild(String),
}

impl Segment {
    /// Creates an empty segment (its files are created or emptied).
    pub(crate) fn create(dir: &Path, base_offset: i64, config: &LogConfig, now_ms: i64) -> Result<Self, StorageError> {
        let log_path = dir.join(segment_file_name(base_offset, LOG_FILE_SUFFIX));
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)
            .ctx("create segment", &log_path)?;
        let offset_index = OffsetIndex::create(
            dir.join(segment_file_name(base_offset, INDEX_FILE_SUFFIX)),
            base_offset,
            config.segment_index_bytes,
        )?;
        let time_index = TimeIndex::create(
            dir.join(segment_file_name(base_offset, TIME_INDEX_FILE_SUFFIX)),
            base_offset,
            config.segment_index_bytes,
        )?;
        Ok(Self::assemble(base_offset, log_path, log, 0, offset_index, time_index, now_ms))
    }

    /// Opens an existing segment; its indexes are checked (Kafka's sanity check), or created empty if
    /// missing, and the result says whether they must be rebuilt.
    pub(crate) fn open(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<(Self, IndexHealth), StorageError> {
        let log_path = dir.join(segment_file_name(base_offset, LOG_FILE_SUFFIX));
        let log = OpenOptions::new().read(true).write(true).open(&log_path).ctx("open segment", &log_path)?;
        let size = log.metadata().ctx("stat segment", &log_path)?.len();
        let index_path = dir.join(segment_file_name(base_offset, INDEX_FILE_SUFFIX));
        let time_index_path = dir.join(segment_file_name(base_offset, TIME_INDEX_FILE_SUFFIX));
        let mut problems = Vec::new();
        let offset_index = match OffsetIndex::open(index_path.clone(), base_offset, config.segment_index_bytes)? {
            Some(index) => index,
            None => {
                problems.push(format!("offset index {} is missing", index_path.display()));
                OffsetIndex::create(index_path, base_offset, config.segment_index_bytes)?
            }
        };
        let time_index = match TimeIndex::open(time_index_path.clone(), base_offset, config.segment_index_bytes)? {
            Some(index) => index,
            None => {
                problems.push(format!("time index {} is missing", time_index_path.display()));
                TimeIndex::create(time_index_path, base_offset, config.segment_index_bytes)?
            }
        };
        if problems.is_empty() {
            if let Err(problem) = offset_index.sanity_check(size) {
                problems.push(problem);
            }
            if let Err(problem) = time_index.sanity_check() {
                problems.push(problem);
            }
        }
        let segment = Self::assemble(base_offset, log_path, log, size, offset_index, time_index, now_ms);
        let health = if problems.is_empty() {
            let mut state = segment.lock_state();
            state.max_timestamp = segment.time_index.last_entry()?;
            drop(state);
            IndexHealth::Healthy
        } else {
            IndexHealth::NeedsRebuild(problems.join("; "))
        };
        Ok((segment, health))
    }

    fn assemble(
        base_offset: i64,
        log_path: PathBuf,
        log: File,
        size: u64,
        offset_index: OffsetIndex,
        time_index: TimeIndex,
        now_ms: i64,
    ) -> Self {
        Self {
            base_offset,
            log_path,
            log,
            size: AtomicU64::new(size),
            offset_index,
            time_index,
            state: Mutex::new(SegmentState {
                max_timestamp: TimestampOffset { timestamp: NO_TIMESTAMP, offset: base_offset },
                rolling_based_timestamp: None,
                created_ms: now_ms,
                bytes_since_last_index_entry: 0,
            }),
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, SegmentState> {
        // The state is plain numbers updated in one step; a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Bytes readable (published).
    pub(crate) fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    #[cfg(test)]
    pub(crate) fn offset_index_entries(&self) -> usize {
        self.offset_index.entries()
    }

    #[cfg(test)]
    pub(crate) fn time_index_entries(&self) -> usize {
        self.time_index.entries()
    }

    /// The largest timestamp in the segment and the last offset of the batch holding it.
    pub(crate) fn max_timestamp(&self) -> TimestampOffset {
        self.lock_state().max_timestamp
    }

    /// Kafka's `largestTimestamp`: the max timestamp, or the file's modification time if the segment
    /// has no timestamps (retention by time then counts from the last write).
    pub(crate) fn largest_timestamp(&self) -> i64 {
        let max = self.max_timestamp().timestamp;
        if max >= 0 {
            return max;
        }
        fs::metadata(&self.log_path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(NO_TIMESTAMP)
    }

    /// Whether `offset` can be stored relative to the base offset (in an i32).
    pub(crate) fn can_hold_offset(&self, offset: i64) -> bool {
        offset >= self.base_offset && offset - self.base_offset <= i64::from(i32::MAX)
    }

    /// Kafka's `shouldRoll`, checked before an append.
    pub(crate) fn should_roll(
        &self,
        params: &RollParams,
        config: &LogConfig,
    ) -> Result<Option<RollReason>, StorageError> {
        let size = self.size();
        if size > 0 && size + params.messages_bytes > config.effective_segment_bytes() {
            return Ok(Some(RollReason::Size));
        }
        if size > 0 {
            let waited_ms = self.time_waited_for_roll_ms(params.now_ms, params.max_timestamp_in_messages)?;
            let roll_ms = config.segment_ms.saturating_sub(config.roll_jitter_ms(self.base_offset));
            if waited_ms > 0 && waited_ms.unsigned_abs() > roll_ms {
                return Ok(Some(RollReason::Time));
            }
        }
        if self.offset_index.is_full() {
            return Ok(Some(RollReason::OffsetIndexFull));
        }
        if self.time_index.is_full() {
            return Ok(Some(RollReason::TimeIndexFull));
        }
        if !self.can_hold_offset(params.max_offset_in_messages) {
            return Ok(Some(RollReason::OffsetOverflow));
        }
        Ok(None)
    }

    /// Time since the segment's first batch, by the timestamps of the messages when they have them,
    /// else by the clock since the segment was created.
    fn time_waited_for_roll_ms(&self, now_ms: i64, message_timestamp: i64) -> Result<i64, StorageError> {
        let known = self.lock_state().rolling_based_timestamp;
        let first = match known {
            Some(ts) => ts,
            None => {
                let ts = self.first_batch_max_timestamp()?.unwrap_or(NO_TIMESTAMP);
                self.lock_state().rolling_based_timestamp = Some(ts);
                ts
            }
        };
        if first >= 0 {
            Ok(message_timestamp.saturating_sub(first))
        } else {
            Ok(now_ms.saturating_sub(self.lock_state().created_ms))
        }
    }

    fn first_batch_max_timestamp(&self) -> Result<Option<i64>, StorageError> {
        let mut scanner = BatchScanner::new(&self.log, &self.log_path, 0, self.size(), false);
        match scanner.next_step()? {
            ScanStep::Batch(batch) => Ok(Some(batch.header.max_timestamp())),
            ScanStep::End | ScanStep::Stop(_) => Ok(None),
        }
    }

    /// Writes `batches` at the end (one vectored write per 512 batches), adds index entries, then
    /// publishes the new size. On failure the file is cut back to where it was, so the segment holds
    /// exactly what it held before.
    pub(crate) fn append(&self, batches: &[PreparedBatch], index_interval_bytes: u32) -> Result<(), StorageError> {
        let start = self.size();
        let total: u64 = batches.iter().map(PreparedBatch::len).sum();
        if total == 0 {
            return Ok(());
        }
        if let Err(e) = self.write_batches(start, batches) {
            self.rollback_log(start);
            return Err(e);
        }
        let offset_entries = self.offset_index.entries();
        let time_entries = self.time_index.entries();
        let mut state = self.lock_state();
        let saved = *state;
        if let Err(e) = self.index_batches(&mut state, start, batches, index_interval_bytes) {
            *state = saved;
            drop(state);
            // Best effort: the log dir goes offline after an I/O error anyway.
            let _ = self.offset_index.truncate_entries(offset_entries);
            self.time_index.file().truncate_entries(time_entries);
            self.rollback_log(start);
            return Err(e);
        }
        if start == 0 {
            let first_max = batches.iter().map(|b| b.header().max_timestamp()).max().unwrap_or(NO_TIMESTAMP);
            state.rolling_based_timestamp = Some(first_max);
        }
        drop(state);
        self.size.store(start + total, Ordering::Release);
        Ok(())
    }

    fn write_batches(&self, start: u64, batches: &[PreparedBatch]) -> Result<(), StorageError> {
        let mut file = &self.log;
        file.seek(SeekFrom::Start(start)).ctx("seek segment", &self.log_path)?;
        let mut slices = Vec::with_capacity(batches.len().min(BATCHES_PER_WRITE) * 2);
        for chunk in batches.chunks(BATCHES_PER_WRITE) {
            slices.clear();
            for batch in chunk {
                batch.push_slices(&mut slices);
            }
            write_all_vectored(&mut file, &mut slices).ctx("append to segment", &self.log_path)?;
        }
        Ok(())
    }

    fn rollback_log(&self, size: u64) {
        if let Err(e) = self.log.set_len(size) {
            tracing::error!(
                path = %self.log_path.display(),
                size,
                error = %e,
                "could not cut a failed append back; the segment must be recovered"
            );
        }
    }

    fn index_batches(
        &self,
        state: &mut SegmentState,
        start: u64,
        batches: &[PreparedBatch],
        index_interval_bytes: u32,
    ) -> Result<(), StorageError> {
        let mut position = start;
        for batch in batches {
            let header = batch.header();
            self.index_batch(state, position, header, index_interval_bytes)?;
            position += batch.len();
        }
        Ok(())
    }

    /// The one indexing rule, shared by appends and recovery: a batch gets an index entry (its last
    /// offset, its start position) when more than `index.interval.bytes` were written since the last.
    fn index_batch(
        &self,
        state: &mut SegmentState,
        position: u64,
        header: &RecordBatchHeader,
        index_interval_bytes: u32,
    ) -> Result<(), StorageError> {
        if header.max_timestamp() > state.max_timestamp.timestamp {
            state.max_timestamp = TimestampOffset { timestamp: header.max_timestamp(), offset: header.last_offset() };
        }
        if state.bytes_since_last_index_entry > u64::from(index_interval_bytes) {
            self.offset_index.maybe_append(header.last_offset(), position)?;
            self.time_index.maybe_append(state.max_timestamp.timestamp, state.max_timestamp.offset, false)?;
            state.bytes_since_last_index_entry = 0;
        }
        state.bytes_since_last_index_entry += header.total_size() as u64;
        Ok(())
    }

    /// The first batch whose last offset is at least `offset` (Kafka's `translateOffset`), found from
    /// the offset index entry below it by scanning headers.
    pub(crate) fn translate_offset(&self, offset: i64) -> Result<Option<ScannedBatch>, StorageError> {
        let size = self.size();
        let start = self.offset_index.lookup(offset)?.position.min(size);
        let mut scanner = BatchScanner::new(&self.log, &self.log_path, start, size, false);
        loop {
            match scanner.next_step()? {
                ScanStep::Batch(batch) if batch.header.last_offset() >= offset => return Ok(Some(batch)),
                ScanStep::Batch(_) => {}
                ScanStep::End => return Ok(None),
                ScanStep::Stop(stop) => {
                    tracing::warn!(path = %self.log_path.display(), %stop, "unreadable batch while looking up offset {offset}");
                    return Ok(None);
                }
            }
        }
    }

    /// Scans headers from `position` while `keep` accepts them; returns the accepted batches' end
    /// position. Used to find where a read stops.
    pub(crate) fn scan_from(
        &self,
        position: u64,
        mut keep: impl FnMut(&ScannedBatch) -> bool,
    ) -> Result<u64, StorageError> {
        let mut scanner = BatchScanner::new(&self.log, &self.log_path, position, self.size(), false);
        let mut end = position;
        while let ScanStep::Batch(batch) = scanner.next_step()? {
            if !keep(&batch) {
                break;
            }
            end = batch.position + batch.size();
        }
        Ok(end)
    }

    /// A position no batch reaching `limit` starts before: every batch whose offsets are all below
    /// `limit` ends at or before it (the offset index entry at or after `limit`, else the size).
    pub(crate) fn read_bound(&self, limit: i64) -> Result<u64, StorageError> {
        Ok(self.offset_index.first_position_at_or_after(limit)?.unwrap_or(u64::MAX).min(self.size()))
    }

    /// The offset after the segment's last batch (the base offset if it is empty), by scanning from
    /// the last offset index entry.
    pub(crate) fn read_next_offset(&self) -> Result<i64, StorageError> {
        let start = self.offset_index.last_entry()?.map_or(0, |e| e.position);
        let mut next = self.base_offset;
        self.scan_from(start.min(self.size()), |batch| {
            next = batch.header.next_offset();
            true
        })?;
        Ok(next)
    }

    /// Reads `len` bytes at `position` and appends them to `out`; returns the bytes read (fewer if the
    /// file is shorter, e.g. after a concurrent truncation).
    pub(crate) fn read_into(&self, position: u64, len: usize, out: &mut Vec<u8>) -> Result<usize, StorageError> {
        let from = out.len();
        out.resize(from + len, 0);
        let got = read_at_most(&self.log, &mut out[from..], position).ctx("read segment", &self.log_path)?;
        out.truncate(from + got);
        Ok(got)
    }

    /// One whole batch at `position`.
    pub(crate) fn read_batch(&self, batch: &ScannedBatch) -> Result<Option<RecordBatch>, StorageError> {
        let mut buf = Vec::new();
        let size = usize::try_from(batch.size()).unwrap_or(usize::MAX);
        if self.read_into(batch.position, size, &mut buf)? < size {
            return Ok(None);
        }
        Ok(RecordBatch::parse(Bytes::from(buf)).ok())
    }

    /// Rebuilds the indexes and the timestamp bookkeeping from the log, checking every batch's CRC and
    /// that offsets increase from `min_offset` and fit the segment; cuts the file at the first batch
    /// that fails (Kafka's `LogSegment.recover`). `on_batch` sees each valid batch header in order.
    pub(crate) fn recover(
        &self,
        index_interval_bytes: u32,
        min_offset: i64,
        on_batch: &mut dyn FnMut(&RecordBatchHeader),
    ) -> Result<SegmentRecovery, StorageError> {
        self.offset_index.reset()?;
        self.time_index.reset()?;
        let file_len = self.log.metadata().ctx("stat segment", &self.log_path)?.len();
        let mut state = self.lock_state();
        state.max_timestamp = TimestampOffset { timestamp: NO_TIMESTAMP, offset: self.base_offset };
        state.bytes_since_last_index_entry = 0;
        state.rolling_based_timestamp = None;

        let mut scanner = BatchScanner::new(&self.log, &self.log_path, 0, file_len, true);
        let mut valid_bytes = 0;
        let mut expected = min_offset.max(self.base_offset);
        let mut next_offset = None;
        let mut stop = None;
        loop {
            match scanner.next_step()? {
                ScanStep::End => break,
                ScanStep::Stop(s) => {
                    stop = Some(s.to_string());
                    break;
                }
                ScanStep::Batch(batch) => {
                    let header = &batch.header;
                    if header.base_offset() < expected || !self.can_hold_offset(header.last_offset()) {
                        stop = Some(format!(
                            "batch at byte {} holds offsets {}..={}, expected offsets from {} that fit a segment based at {}",
                            batch.position,
                            header.base_offset(),
                            header.last_offset(),
                            expected,
                            self.base_offset
                        ));
                        break;
                    }
                    self.index_batch(&mut state, batch.position, header, index_interval_bytes)?;
                    on_batch(header);
                    valid_bytes = batch.position + batch.size();
                    expected = header.next_offset();
                    next_offset = Some(expected);
                }
            }
        }
        let max = state.max_timestamp;
        state.bytes_since_last_index_entry = 0;
        drop(state);

        let truncated_bytes = file_len - valid_bytes;
        if truncated_bytes > 0 {
            self.log.set_len(valid_bytes).ctx("truncate segment", &self.log_path)?;
        }
        self.size.store(valid_bytes, Ordering::Release);
        self.offset_index.file().trim()?;
        // A segment closed normally ends its time index with its largest timestamp; so does this.
        self.time_index.maybe_append(max.timestamp, max.offset, true)?;
        self.time_index.file().trim()?;
        Ok(SegmentRecovery { valid_bytes, truncated_bytes, next_offset, stop })
    }

    /// Removes every batch whose last offset is at least `offset` (the batch holding `offset` goes
    /// whole) and their index entries; returns the base offset of the first removed batch, if any.
    pub(crate) fn truncate_to(&self, offset: i64, now_ms: i64) -> Result<Option<i64>, StorageError> {
        let cut = self.translate_offset(offset)?;
        self.offset_index.truncate_to(offset)?;
        self.time_index.truncate_to(offset)?;
        // The truncated segment is (or becomes) the active one: room for new entries.
        self.offset_index.file().preallocate()?;
        self.time_index.file().preallocate()?;
        let mut state = self.lock_state();
        state.bytes_since_last_index_entry = 0;
        if let Some(batch) = &cut {
            self.log.set_len(batch.position).ctx("truncate segment", &self.log_path)?;
            self.size.store(batch.position, Ordering::Release);
            if batch.position == 0 {
                state.created_ms = now_ms;
                state.rolling_based_timestamp = None;
            }
            // As Kafka: the time index's last entry stands for the remaining maximum.
            state.max_timestamp = self.time_index.last_entry()?;
        }
        Ok(cut.map(|b| b.header.base_offset()))
    }

    /// Room for appends: preallocates both indexes (the active segment after a load or a roll).
    pub(crate) fn prepare_for_appends(&self) -> Result<(), StorageError> {
        self.offset_index.file().preallocate()?;
        self.time_index.file().preallocate()
    }

    /// The segment stops being the active one (roll) or the log closes: the time index gets its final
    /// entry (the largest timestamp) and both indexes are trimmed to their entries.
    pub(crate) fn seal(&self) -> Result<(), StorageError> {
        let max = self.max_timestamp();
        self.time_index.maybe_append(max.timestamp, max.offset, true)?;
        self.offset_index.file().trim()?;
        self.time_index.file().trim()
    }

    /// fsyncs the log and both indexes.
    pub(crate) fn flush(&self) -> Result<(), StorageError> {
        self.log.sync_data().ctx("fsync segment", &self.log_path)?;
        self.offset_index.file().flush()?;
        self.time_index.file().flush()
    }

    /// Removes the segment's files: the log first, so a crash in between leaves only index files
    /// without a log, which the next load deletes.
    pub(crate) fn delete_files(&self) -> Result<(), StorageError> {
        for path in [self.log_path.as_path(), self.offset_index.file().path(), self.time_index.file().path()] {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("delete segment file", path, e)),
            }
        }
        Ok(())
    }

    /// The first record at or after `starting_offset` whose timestamp is at least `target` (Kafka's
    /// `findOffsetByTimestamp`): the time index narrows the start, batch max timestamps skip whole
    /// batches, and only a candidate batch's records are decoded.
    pub(crate) fn find_offset_by_timestamp(
        &self,
        target: i64,
        starting_offset: i64,
    ) -> Result<Option<FoundRecord>, StorageError> {
        let from = self.time_index.lookup(target)?.offset.max(starting_offset);
        let position = self.offset_index.lookup(from)?.position;
        self.find_record(
            position,
            |header| header.max_timestamp() >= target,
            |ts, offset| ts >= target && offset >= starting_offset,
        )
    }

    /// The first record carrying the segment's largest timestamp (for ListOffsets MAX_TIMESTAMP).
    pub(crate) fn find_max_timestamp_record(&self) -> Result<Option<FoundRecord>, StorageError> {
        let max = self.max_timestamp();
        if max.timestamp < 0 {
            return Ok(None);
        }
        let position = self.offset_index.lookup(max.offset)?.position;
        self.find_record(position, |header| header.max_timestamp() == max.timestamp, |ts, _| ts == max.timestamp)
    }

    fn find_record(
        &self,
        position: u64,
        batch_may_hold: impl Fn(&RecordBatchHeader) -> bool,
        is_match: impl Fn(i64, i64) -> bool,
    ) -> Result<Option<FoundRecord>, StorageError> {
        let mut scanner = BatchScanner::new(&self.log, &self.log_path, position.min(self.size()), self.size(), false);
        while let ScanStep::Batch(scanned) = scanner.next_step()? {
            if !batch_may_hold(&scanned.header) {
                continue;
            }
            let Some(batch) = self.read_batch(&scanned)? else {
                return Ok(None);
            };
            for record in batch.records(MAX_DECOMPRESSED_BATCH_BYTES) {
                let record = record.map_err(|e| StorageError::InvalidRecord {
                    reason: format!(
                        "batch at offset {} of {}: {e}",
                        scanned.header.base_offset(),
                        self.log_path.display()
                    ),
                })?;
                if is_match(record.timestamp, record.offset) {
                    return Ok(Some(FoundRecord {
                        timestamp: record.timestamp,
                        offset: record.offset,
                        leader_epoch: scanned.header.partition_leader_epoch(),
                    }));
                }
            }
        }
        Ok(None)
    }
}

/// Writes every slice, looping over partial vectored writes.
fn write_all_vectored(out: &mut impl Write, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match out.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
