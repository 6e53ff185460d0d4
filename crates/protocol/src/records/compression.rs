//! Compression codecs: the attribute bits, compressing a built batch's records, and bounded
//! decompression.
//!
//! Kafka compresses the concatenated records of a batch as one unit; the 61-byte header stays
//! uncompressed so brokers can route, stamp and index batches without touching the payload.
//!
//! Decompression is where a malicious producer can hurt a broker or a client (a few KiB of zstd
//! can claim gigabytes), so every decoder here is bounded by a caller-given output limit:
//! gzip, lz4 and zstd are read as streams in fixed-size chunks and stop as soon as the limit is
//! passed; snappy blocks state their size and are checked before allocation.

use std::fmt;
use std::io::{Read, Write};

use bytes::{Buf, Bytes};

use super::error::RecordsError;
use super::snappy;

/// The codec of a batch's records: bits 0-2 of the batch attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Records are stored as is.
    #[default]
    None,
    /// gzip (deflate with gzip framing).
    Gzip,
    /// Snappy in xerial framing.
    Snappy,
    /// LZ4 frame format.
    Lz4,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// All codecs, in id order.
    pub const ALL: [Compression; 5] =
        [Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];

    /// The codec's id in the attribute bits.
    pub const fn id(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec with attribute id `id`; ids 5-7 are unassigned.
    pub const fn from_id(id: u8) -> Result<Self, RecordsError> {
        match id {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(RecordsError::UnknownCompression(other)),
        }
    }

    /// The codec's name as Kafka's `compression.type` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Kafka's default zstd level (`compression.zstd.level`).
const ZSTD_LEVEL: i32 = 3;
/// Largest zstd window accepted when decoding, as a power of two. 2^27 (128 MiB) is zstd's own
/// default cap and what Kafka's Java client accepts; the window is zstd's working memory, so this
/// bounds one decoder's memory independently of the output limit.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Compresses `input` with `codec`, appending the result to `out`.
pub(crate) fn compress_into(codec: Compression, input: &[u8], out: &mut Vec<u8>) -> Result<(), RecordsError> {
    let io = |source| RecordsError::Compression { codec, source };
    match codec {
        Compression::None => out.extend_from_slice(input),
        Compression::Gzip => {
            // Kafka's producer uses java.util.zip's default level, 6, which is flate2's default.
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            encoder.write_all(input).map_err(io)?;
            encoder.finish().map_err(io)?;
        }
        Compression::Snappy => snappy::compress_into(input, out)?,
        Compression::Lz4 => {
            // Kafka's LZ4 reader decodes each block on its own, so blocks must be independent;
            // 64 KiB blocks without checksums is what Kafka's own writer produces.
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
            encoder.write_all(input).map_err(io)?;
            encoder.finish().map_err(|e| io(std::io::Error::other(e)))?;
        }
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(out, ZSTD_LEVEL).map_err(io)?;
            encoder.write_all(input).map_err(io)?;
            encoder.finish().map_err(io)?;
        }
    }
    Ok(())
}

/// Decompresses a whole payload into one buffer of at most `limit` bytes.
///
/// `Compression::None` returns the input itself (no copy, no limit: the bytes are already in
/// memory). The record iterator ([`super::RecordIter`]) decodes incrementally instead; this is
/// for callers that want the whole payload, such as a broker recompressing a batch.
pub fn decompress(codec: Compression, payload: &Bytes, limit: usize) -> Result<Bytes, RecordsError> {
    match Decompressor::new(codec, payload.clone(), limit)? {
        Decompressor::Whole(bytes) => Ok(bytes),
        Decompressor::Stream(mut stream) => {
            let mut out = bytes::BytesMut::new();
            while stream.fill(&mut out)? {}
            Ok(out.freeze())
        }
    }
}

/// How a batch's payload is turned back into record bytes.
pub(crate) enum Decompressor {
    /// The payload is (or has already been decoded into) the plain records.
    Whole(Bytes),
    /// A streaming decoder that is pulled a chunk at a time.
    Stream(Stream),
}

impl Decompressor {
    pub(crate) fn new(codec: Compression, payload: Bytes, limit: usize) -> Result<Self, RecordsError> {
        let io = |source| RecordsError::Decompression { codec, source };
        let reader: Box<dyn Read + Send> = match codec {
            Compression::None => return Ok(Decompressor::Whole(payload)),
            // Snappy blocks announce their size, so whole-payload decoding can check the limit
            // before allocating and needs no streaming.
            Compression::Snappy => return snappy::decompress(&payload, limit).map(Decompressor::Whole),
            // Java's GZIPInputStream reads concatenated gzip members, so do the same.
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(payload.reader())),
            Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(payload.reader())),
            Compression::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::with_buffer(payload.reader()).map_err(io)?;
                decoder.window_log_max(ZSTD_WINDOW_LOG_MAX).map_err(io)?;
                Box::new(decoder)
            }
        };
        Ok(Decompressor::Stream(Stream { reader, codec, produced: 0, limit, finished: false }))
    }
}

/// Bytes pulled from a streaming decoder per read. Small enough that a reader which stops after
/// the first records decodes little more than it uses.
const CHUNK: usize = 32 * 1024;

/// A streaming decoder with an output budget.
pub(crate) struct Stream {
    reader: Box<dyn Read + Send>,
    codec: Compression,
    produced: usize,
    limit: usize,
    finished: bool,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("codec", &self.codec)
            .field("produced", &self.produced)
            .field("limit", &self.limit)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// Appends the next chunk of output to `out`. Returns `false` once the stream is exhausted.
    pub(crate) fn fill(&mut self, out: &mut bytes::BytesMut) -> Result<bool, RecordsError> {
        if self.finished {
            return Ok(false);
        }
        // Ask for one byte more than the budget allows, so that reaching exactly the limit is
        // fine but passing it is noticed.
        let want = CHUNK.min(self.limit.saturating_sub(self.produced).saturating_add(1));
        let start = out.len();
        out.resize(start + want, 0);
        let read = loop {
            match self.reader.read(&mut out[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    out.truncate(start);
                    self.finished = true;
                    return Err(RecordsError::Decompression { codec: self.codec, source });
                }
            }
        };
        out.truncate(start + read);
        if read == 0 {
            self.finished = true;
            return Ok(false);
        }
        self.produced = self.produced.saturating_add(read);
        if self.produced > self.limit {
            self.finished = true;
            return Err(RecordsError::DecompressionLimitExceeded { limit: self.limit });
        }
        Ok(true)
    }
}

impl fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decompressor::Whole(b) => f.debug_tuple("Whole").field(&b.len()).finish(),
            Decompressor::Stream(s) => f.debug_tuple("Stream").field(s).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Vec<u8> {
        (0..200_000u32).flat_map(|i| (i % 1000).to_be_bytes()).collect()
    }

    #[test]
    fn ids_round_trip_and_unknown_ids_fail() {
        for codec in Compression::ALL {
            assert_eq!(Compression::from_id(codec.id()).unwrap(), codec);
        }
        for id in 5..=7 {
            assert!(matches!(
                Compression::from_id(id),
                Err(RecordsError::UnknownCompression(i)) if i == id
            ));
        }
        assert_eq!(Compression::Zstd.to_string(), "zstd");
    }

    #[test]
    fn every_codec_round_trips() {
        let input = sample();
        for codec in Compression::ALL {
            let mut out = Vec::new();
            compress_into(codec, &input, &mut out).unwrap();
            if codec != Compression::None {
                assert!(out.len() < input.len() / 2, "{codec} did not compress");
            }
            let back = decompress(codec, &Bytes::from(out), input.len()).unwrap();
            assert_eq!(back, input, "{codec}");
        }
    }

    #[test]
    fn limit_is_enforced_for_every_codec() {
        let input = vec![7u8; 1 << 20];
        for codec in Compression::ALL {
            if codec == Compression::None {
                continue;
            }
            let mut out = Vec::new();
            compress_into(codec, &input, &mut out).unwrap();
            let out = Bytes::from(out);
            // Exactly the size is fine; one byte less is not.
            assert_eq!(decompress(codec, &out, input.len()).unwrap().len(), input.len());
            assert!(
                matches!(
                    decompress(codec, &out, input.len() - 1),
                    Err(RecordsError::DecompressionLimitExceeded { .. })
                ),
                "{codec}"
            );
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let garbage = Bytes::from_static(b"\x1f\x8b\x08 this is not a valid stream at all");
        for codec in Compression::ALL {
            if codec == Compression::None {
                continue;
            }
            assert!(decompress(codec, &garbage, 1 << 20).is_err(), "{codec}");
        }
    }

    #[test]
    fn truncated_streams_are_errors() {
        let input = sample();
        for codec in [Compression::Gzip, Compression::Lz4, Compression::Zstd] {
            let mut out = Vec::new();
            compress_into(codec, &input, &mut out).unwrap();
            out.truncate(out.len() / 2);
            assert!(decompress(codec, &Bytes::from(out), input.len()).is_err(), "{codec}");
        }
    }
}
