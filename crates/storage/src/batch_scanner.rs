//! Walking the record batches of a segment file from a byte position, through one bounded read
//! buffer: headers only (to translate an offset into a position, or to find where a read ends), or
//! with every batch's CRC-32C checked (recovery). The CRC is computed incrementally over the buffer as
//! it is refilled, so a batch of any size is verified without holding it in memory.
//!
//! A scan stops at the end of the file, at a torn batch (the file ends inside it: a crash during a
//! write), or at a corrupt one (bad magic, impossible length, CRC mismatch), reporting where the valid
//! prefix ends, as `Batches` does for in-memory blobs.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use flotilla_protocol::records::{RecordBatchHeader, RecordsError, LOG_OVERHEAD, MAGIC_V2, MIN_BATCH_LENGTH};

use crate::error::{IoContext, StorageError};

/// Read buffer for header-only scans.
pub(crate) const HEADER_SCAN_CHUNK_BYTES: usize = 16 * 1024;
/// Read buffer for CRC-checking scans (recovery).
pub(crate) const VERIFY_SCAN_CHUNK_BYTES: usize = 1024 * 1024;

const MAGIC_AT: usize = 16;
const BATCH_LENGTH_AT: usize = 8;
const CRC_START: u64 = 21;
const HEADER_BYTES: usize = 61;

/// A batch found by a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScannedBatch {
    /// Byte position of the batch in the file.
    pub(crate) position: u64,
    pub(crate) header: RecordBatchHeader,
}

impl ScannedBatch {
    pub(crate) fn size(&self) -> u64 {
        self.header.total_size() as u64
    }
}

/// Why a scan stopped before the end.
#[derive(Debug)]
pub(crate) enum ScanStop {
    /// The file ends inside the batch at `position`.
    Torn { position: u64, available: u64, needed: Option<u64> },
    /// The batch at `position` is invalid.
    Corrupt { position: u64, source: RecordsError },
}

impl std::fmt::Display for ScanStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanStop::Torn { position, available, needed: Some(needed) } => {
                write!(f, "torn batch at byte {position}: {available} of {needed} bytes present")
            }
            ScanStop::Torn { position, available, needed: None } => {
                write!(f, "torn batch at byte {position}: only {available} bytes present")
            }
            ScanStop::Corrupt { position, source } => write!(f, "corrupt batch at byte {position}: {source}"),
        }
    }
}

/// One step of a scan.
#[derive(Debug)]
pub(crate) enum ScanStep {
    Batch(ScannedBatch),
    End,
    Stop(ScanStop),
}

#[derive(Debug)]
pub(crate) struct BatchScanner<'a> {
    file: &'a File,
    path: &'a Path,
    pos: u64,
    end: u64,
    verify_crc: bool,
    chunk_bytes: usize,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a> BatchScanner<'a> {
    /// Scans `file` from byte `from` up to byte `end` (exclusive).
    pub(crate) fn new(file: &'a File, path: &'a Path, from: u64, end: u64, verify_crc: bool) -> Self {
        let chunk_bytes = if verify_crc { VERIFY_SCAN_CHUNK_BYTES } else { HEADER_SCAN_CHUNK_BYTES };
        Self { file, path, pos: from, end, verify_crc, chunk_bytes, buf: Vec::new(), buf_start: from }
    }

    pub(crate) fn next_step(&mut self) -> Result<ScanStep, StorageError> {
        if self.pos >= self.end {
            return Ok(ScanStep::End);
        }
        let position = self.pos;
        let remaining = self.end - position;
        let want = (HEADER_BYTES as u64).min(remaining) as usize;
        let available = self.ensure(position, want)?;
        let head = self.window(position, available);
        let torn = |needed| Ok(ScanStep::Stop(ScanStop::Torn { position, available: remaining, needed }));
        let corrupt = |source| Ok(ScanStep::Stop(ScanStop::Corrupt { position, source }));

        let Some(length) = head.get(BATCH_LENGTH_AT..LOG_OVERHEAD).map(|b| {
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            i32::from_be_bytes(a)
        }) else {
            return torn(None);
        };
        if let Some(&magic) = head.get(MAGIC_AT) {
            if magic as i8 != MAGIC_V2 {
                return corrupt(RecordsError::UnsupportedMagic(magic as i8));
            }
        }
        if length < MIN_BATCH_LENGTH {
            return corrupt(RecordsError::BatchLengthOutOfRange { length, min: MIN_BATCH_LENGTH });
        }
        let total = LOG_OVERHEAD as u64 + u64::from(length.unsigned_abs());
        if total > remaining {
            return torn(Some(total));
        }
        if head.len() < HEADER_BYTES {
            // The file shrank under a concurrent truncation.
            return torn(Some(total));
        }
        let header = match RecordBatchHeader::peek(head) {
            Ok(header) => header,
            Err(source) => return corrupt(source),
        };
        if self.verify_crc {
            let computed = self.crc_of(position + CRC_START, position + total)?;
            match computed {
                Some(computed) if computed == header.crc() => {}
                Some(computed) => return corrupt(RecordsError::CrcMismatch { expected: header.crc(), computed }),
                None => return torn(Some(total)),
            }
        }
        self.pos = position + total;
        Ok(ScanStep::Batch(ScannedBatch { position, header }))
    }

    /// Makes the buffer hold bytes from `at` on (at least `len` unless the file ends); returns how
    /// many bytes from `at` it holds.
    fn ensure(&mut self, at: u64, len: usize) -> Result<usize, StorageError> {
        let buf_end = self.buf_start + self.buf.len() as u64;
        if at >= self.buf_start && at + len as u64 <= buf_end {
            return Ok((buf_end - at) as usize);
        }
        let n = (self.chunk_bytes.max(len) as u64).min(self.end.saturating_sub(at)) as usize;
        self.buf.resize(n, 0);
        let got = read_at_most(self.file, &mut self.buf, at).ctx("read segment", self.path)?;
        self.buf.truncate(got);
        self.buf_start = at;
        Ok(got)
    }

    fn window(&self, at: u64, len: usize) -> &[u8] {
        let from = (at - self.buf_start) as usize;
        self.buf.get(from..from + len).unwrap_or_default()
    }

    /// CRC-32C of bytes `from..to`, or `None` if the file ends first.
    fn crc_of(&mut self, from: u64, to: u64) -> Result<Option<u32>, StorageError> {
        let mut crc = 0u32;
        let mut at = from;
        while at < to {
            let want = (to - at).min(self.chunk_bytes as u64) as usize;
            let available = self.ensure(at, want)?;
            if available == 0 {
                return Ok(None);
            }
            let take = available.min((to - at) as usize);
            crc = crc32c::crc32c_append(crc, self.window(at, take));
            at += take as u64;
        }
        Ok(Some(crc))
    }
}

/// Reads into `buf` from `at` until it is full or the file ends; returns the bytes read.
pub(crate) fn read_at_most(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
