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
    Pending { codec: Compression, payload: Bytes, limit: usize },
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
            state: State::Pending { codec: header.compression(), payload, limit },
        }
    }

    fn start(&mut self) -> Result<(), RecordsError> {
        if !matches!(self.state, State::Pending { .. }) {
            return Ok(());
        }
        if let State::Pending { codec, payload, limit } = std::mem::replace(&mut self.state, State::Done) {
            self.state = match Decompressor::new(codec, payload, limit)? {
                Decompressor::Whole(bytes) => State::Whole(bytes),
                Decompressor::Stream(stream) => State::Stream { stream, buf: BytesMut::new() },
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
                let (prefix, len) = frame_len(rest)?.ok_or(RecordsError::RecordTruncated { field: "record length" })?;
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
                    Err(RecordsError::RecordCountMismatch { declared: self.declared, found: self.found })
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, is_within, noise, reseal, sample_inputs, Input};
    use crate::records::{RecordBatch, RecordBatchBuilder, RECORD_BATCH_OVERHEAD};

    fn batch(bytes: impl Into<Bytes>) -> RecordBatch {
        RecordBatch::parse(bytes.into()).unwrap()
    }

    fn big_inputs(n: usize, value_len: usize) -> Vec<Input> {
        (0..n).map(|i| (i as i64, None, Some(Bytes::from(noise(i as u64 + 1, value_len))), Vec::new())).collect()
    }

    #[test]
    fn uncompressed_records_are_slices_of_the_batch() {
        let b = batch(build(Compression::None, &sample_inputs(10)));
        for r in b.records(0) {
            let r = r.unwrap();
            for part in r.key.iter().chain(r.value.iter()) {
                assert!(is_within(b.as_bytes(), part));
            }
            for h in &r.headers {
                assert!(is_within(b.as_bytes(), &h.key));
            }
        }
    }

    #[test]
    fn decompression_limit_is_enforced_per_codec() {
        let inputs = big_inputs(64, 4096);
        let plain_len = build(Compression::None, &inputs).len() - RECORD_BATCH_OVERHEAD;
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            let b = batch(build(codec, &inputs));
            assert_eq!(b.records(plain_len).filter(|r| r.is_ok()).count(), 64, "{codec} at exact limit");
            let results: Vec<_> = b.records(plain_len - 1).collect();
            assert!(
                matches!(results.last(), Some(Err(RecordsError::DecompressionLimitExceeded { limit })) if *limit == plain_len - 1),
                "{codec}: {:?}",
                results.last()
            );
            assert!(results.len() <= 64, "{codec}: nothing is yielded after the error");
        }
    }

    #[test]
    fn decompression_bomb_fails_on_the_limit() {
        // 64 MiB of zeros compresses to a few KiB; with a 1 MiB limit the iterator must stop
        // without producing the rest.
        let inputs: Vec<Input> =
            (0..64).map(|i| (i, None, Some(Bytes::from(vec![0u8; 1 << 20])), Vec::new())).collect();
        for codec in [Compression::Gzip, Compression::Lz4, Compression::Zstd, Compression::Snappy] {
            let bytes = build(codec, &inputs);
            assert!(bytes.len() < 8 << 20, "{codec} bomb is small: {}", bytes.len());
            let last = batch(bytes).records(1 << 20).last().unwrap();
            assert!(matches!(last, Err(RecordsError::DecompressionLimitExceeded { .. })), "{codec}");
        }
    }

    #[test]
    fn decoding_is_lazy() {
        // Corrupt the end of a large gzip payload: the first records still decode, the error
        // only shows up when the iterator reaches the damage.
        let inputs = big_inputs(200, 2048);
        let mut bytes = build(Compression::Gzip, &inputs).to_vec();
        let len = bytes.len();
        for b in &mut bytes[len - 600..len - 8] {
            *b ^= 0x5a;
        }
        reseal(&mut bytes);
        let mut it = batch(bytes).records(1 << 24);
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.value, inputs[0].2);
        let rest: Vec<_> = it.collect();
        assert!(rest.last().unwrap().is_err());
        assert!(rest.iter().take(100).all(|r| r.is_ok()));
    }

    fn with_record_count(bytes: &Bytes, count: i32) -> RecordBatch {
        let mut b = bytes.to_vec();
        b[57..61].copy_from_slice(&count.to_be_bytes());
        reseal(&mut b);
        batch(b)
    }

    #[test]
    fn record_count_must_match() {
        for codec in Compression::ALL {
            let bytes = build(codec, &sample_inputs(5));
            // More declared than present.
            let results: Vec<_> = with_record_count(&bytes, 6).records(1 << 20).collect();
            assert_eq!(results.len(), 6);
            assert!(results[..5].iter().all(|r| r.is_ok()));
            assert!(
                matches!(results[5], Err(RecordsError::RecordCountMismatch { declared: 6, found: 5 })),
                "{codec}: {:?}",
                results[5]
            );
            // Fewer declared than present: the declared ones, then the mismatch with the true count.
            let results: Vec<_> = with_record_count(&bytes, 3).records(1 << 20).collect();
            assert_eq!(results.len(), 4);
            assert!(matches!(results[3], Err(RecordsError::RecordCountMismatch { declared: 3, found: 5 })));
            // Zero declared.
            let results: Vec<_> = with_record_count(&bytes, 0).records(1 << 20).collect();
            assert!(matches!(results[..], [Err(RecordsError::RecordCountMismatch { declared: 0, found: 5 })]));
        }
    }

    #[test]
    fn truncated_record_in_plain_batch() {
        let mut b = crate::records::header::tests::sample_batch();
        // The record's length prefix claims one byte more than is there.
        b[61] += 2;
        reseal(&mut b);
        let results: Vec<_> = batch(b).records(0).collect();
        assert!(matches!(results[..], [Err(RecordsError::RecordTruncated { field: "record" })]));
    }

    #[test]
    fn truncated_record_in_compressed_batch() {
        // Compress records whose last one is cut short, and wrap them in a valid header.
        let plain = build(Compression::None, &sample_inputs(3));
        let records = &plain[RECORD_BATCH_OVERHEAD..plain.len() - 2];
        let mut compressed = Vec::new();
        crate::records::compression::compress_into(Compression::Zstd, records, &mut compressed).unwrap();
        let mut b = plain[..RECORD_BATCH_OVERHEAD].to_vec();
        b.extend_from_slice(&compressed);
        let len = (b.len() - 12) as i32;
        b[8..12].copy_from_slice(&len.to_be_bytes());
        b[22] |= Compression::Zstd.id();
        reseal(&mut b);
        let results: Vec<_> = batch(b).records(1 << 20).collect();
        assert_eq!(results.len(), 3);
        assert!(matches!(results[2], Err(RecordsError::RecordTruncated { .. })), "{:?}", results[2]);
    }

    #[test]
    fn log_append_time_uses_max_timestamp() {
        let mut bytes = build(Compression::Lz4, &sample_inputs(4)).to_vec();
        let mut m = crate::records::RecordBatchMut::new(&mut bytes).unwrap();
        m.set_log_append_time(99);
        for r in batch(bytes).records(1 << 20) {
            assert_eq!(r.unwrap().timestamp, 99);
        }
    }

    #[test]
    fn fused_after_error() {
        let bytes = build(Compression::None, &sample_inputs(2));
        let mut it = with_record_count(&bytes, 5).records(0);
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
        assert!(it.next().is_none());
    }

    #[test]
    fn single_huge_record_grows_buffer_only_with_output() {
        let mut b = RecordBatchBuilder::new(Compression::Zstd);
        let value = noise(7, 300_000);
        b.append(0, None, Some(&value), &[]).unwrap();
        let got: Vec<_> = batch(b.build().unwrap()).records(1 << 20).collect::<Result<_, _>>().unwrap();
        assert_eq!(got[0].value.as_deref(), Some(&value[..]));
    }
}
