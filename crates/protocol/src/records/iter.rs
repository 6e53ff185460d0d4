//! Iterating the records of one batch, decompressing on demand.
//!
//! Nothing is decoded when the iterator is created. The first `next()` sets up the codec; after
//! that gzip, lz4 and zstd payloads are pulled through the decoder a chunk at a time, and each
//! complete record is split off the decoded buffer as a `Bytes` (so its key, value and headers
//! are slices of it, not copies). A consumer that stops early never decodes the rest. Snappy is
//! decoded whole, because its blocks state their size up front and are limit-checked before any
//! allocation. Uncompressed records are slices of the batch itself.
//!
//! The decoded size is capped by the caller's limit, and the header's record count must match
//! the records found: after the last declared record any further data is still parsed (to report
//! how many records there really were) and then reported as a count mismatch.

use std::iter::FusedIterator;

use bytes::{Bytes, BytesMut};

use super::attributes::TimestampType;
use super::compression::{Compression, Decompressor, Stream};
use super::error::RecordsError;
use super::header::RecordBatchHeader;
use super::record::{decode_record, frame_len, Record, RecordContext};

/// Iterator over a batch's records; see [`super::RecordBatch::records`].
///
/// Yields `Err` at most once, then ends.
#[derive(Debug)]
pub struct RecordIter {
    ctx: RecordContext,
    declared: i32,
    found: u64,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Not started: the payload is still as stored.
    Pending {
        codec: Compression,
        payload: Bytes,
        limit: usize,
    },
    /// Plain record bytes not yet consumed.
    Whole(Bytes),
    /// Decoded-but-unconsumed bytes, refilled from the stream.
    Stream { stream: Stream, buf: BytesMut },
    /// Finished, successfully or not.
    Done,
}

impl RecordIter {
    /// `payload` is the batch's bytes after the 61-byte header.
    pub(crate) fn new(header: &RecordBatchHeader, payload: Bytes, limit: usize) -> Self {
        let log_append_time = match header.timestamp_type() {
            TimestampType::LogAppendTime => Some(header.max_timestamp()),
            TimestampType::CreateTime => None,
        };
        Self {
            ctx: RecordContext {
                base_offset: header.base_offset(),
                base_timestamp: header.base_timestamp(),
                log_append_time,
            },
            declared: header.record_count(),
            found: 0,
            state: State::Pending {
                codec: header.compression(),
                payload,
                limit,
            },
        }
    }

    fn start(&mut self) -> Result<(), RecordsError> {
        if let State::Pending {
            codec,
            payload,
            limit,
        } = std::mem::replace(&mut self.state, State::Done)
        {
            self.state = match Decompressor::new(codec, payload, limit)? {
                Decompressor::Whole(bytes) => State::Whole(bytes),
                Decompressor::Stream(stream) => State::Stream {
                    stream,
                    buf: BytesMut::new(),
                },
            };
        }
        Ok(())
    }

    /// The next record's bytes after its length prefix, or `None` at the end of the data.
    fn next_frame(&mut self) -> Result<Option<Bytes>, RecordsError> {
        match &mut self.state {
            State::Whole(rest) => {
                if rest.is_empty() {
                    return Ok(None);
                }
                let (prefix, len) = frame_len(rest)?.ok_or(RecordsError::RecordTruncated {
                    field: "record length",
                })?;
                if len > rest.len() - prefix {
                    return Err(RecordsError::RecordTruncated { field: "record" });
                }
                let frame = rest.split_to(prefix + len);
                Ok(Some(frame.slice(prefix..)))
            }
            State::Stream { stream, buf } => loop {
                if let Some((prefix, len)) = frame_len(buf)? {
                    // The record length comes from the input, so it is never used to reserve
                    // memory: the buffer only grows by what the decoder actually produces.
                    if len <= buf.len() - prefix {
                        let frame = buf.split_to(prefix + len).freeze();
                        return Ok(Some(frame.slice(prefix..)));
                    }
                }
                if !stream.fill(buf)? {
                    return if buf.is_empty() {
                        Ok(None)
                    } else {
                        Err(RecordsError::RecordTruncated { field: "record" })
                    };
                }
            },
            State::Pending { .. } | State::Done => Ok(None),
        }
    }

    fn step(&mut self) -> Result<Option<Record>, RecordsError> {
        if matches!(self.state, State::Done) {
            return Ok(None);
        }
        self.start()?;
        loop {
            let Some(frame) = self.next_frame()? else {
                return if self.found == u64::try_from(self.declared).unwrap_or(0) {
                    Ok(None)
                } else {
                    Err(RecordsError::RecordCountMismatch {
                        declared: self.declared,
                        found: self.found,
                    })
                };
            };
            let record = decode_record(&frame, &self.ctx)?;
            self.found += 1;
            // Surplus records are parsed only to be counted for the error at the end.
            if self.found <= u64::try_from(self.declared).unwrap_or(0) {
                return Ok(Some(record));
            }
        }
    }
}

impl Iterator for RecordIter {
    type Item = Result<Record, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }
}

impl FusedIterator for RecordIter {}
