//! Snappy as Kafka's clients write it: the xerial `SnappyOutputStream` framing.
//!
//! The Java client wraps raw snappy blocks in xerial's stream format: a 16-byte header (magic
//! `0x82 "SNAPPY" 0x00`, then big-endian i32 version and i32 minimum compatible version) followed
//! by blocks of `[i32 compressed length][raw snappy block]`. Like xerial's reader, a payload
//! without the magic is taken to be a single raw snappy block (some non-Java clients write that).
//!
//! Each raw block states its uncompressed length up front, so the output limit is checked
//! *before* anything is allocated for the block.

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::Compression;
use super::error::RecordsError;

/// The 8-byte xerial stream magic.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Magic plus version plus minimum compatible version.
const XERIAL_HEADER_LEN: usize = 16;
/// The version and compatible version xerial's writer stamps (1 and 1).
const XERIAL_VERSION: i32 = 1;
const XERIAL_COMPAT_VERSION: i32 = 1;
/// xerial's default block size; Kafka's producer keeps it.
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

fn corrupt(reason: &str) -> RecordsError {
    RecordsError::Decompression {
        codec: Compression::Snappy,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, reason.to_owned()),
    }
}

fn snap_error(e: snap::Error) -> RecordsError {
    RecordsError::Decompression {
        codec: Compression::Snappy,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    }
}

/// Decompresses a Kafka snappy payload (xerial-framed or raw), refusing to produce more than
/// `limit` bytes.
pub(crate) fn decompress(input: &[u8], limit: usize) -> Result<Bytes, RecordsError> {
    match input.split_first_chunk::<XERIAL_HEADER_LEN>() {
        Some((header, blocks)) if header.starts_with(&XERIAL_MAGIC) => decompress_xerial_blocks(blocks, limit),
        _ => {
            let mut out = BytesMut::new();
            append_raw_block(input, &mut out, limit)?;
            Ok(out.freeze())
        }
    }
}

fn decompress_xerial_blocks(mut blocks: &[u8], limit: usize) -> Result<Bytes, RecordsError> {
    let mut out = BytesMut::new();
    while !blocks.is_empty() {
        let (len, rest) = blocks.split_first_chunk::<4>().ok_or_else(|| corrupt("truncated xerial block length"))?;
        let len = usize::try_from(i32::from_be_bytes(*len)).map_err(|_| corrupt("negative xerial block length"))?;
        if len > rest.len() {
            return Err(corrupt("xerial block extends past the payload"));
        }
        let (block, rest) = rest.split_at(len);
        append_raw_block(block, &mut out, limit)?;
        blocks = rest;
    }
    Ok(out.freeze())
}

/// Decodes one raw snappy block onto the end of `out`.
fn append_raw_block(block: &[u8], out: &mut BytesMut, limit: usize) -> Result<(), RecordsError> {
    let size = snap::raw::decompress_len(block).map_err(snap_error)?;
    let start = out.len();
    if size > limit.saturating_sub(start) {
        return Err(RecordsError::DecompressionLimitExceeded { limit });
    }
    out.resize(start + size, 0);
    let written = snap::raw::Decoder::new().decompress(block, &mut out[start..]).map_err(snap_error)?;
    out.truncate(start + written);
    Ok(())
}

/// Compresses `input` in xerial framing, appending to `out`.
pub(crate) fn compress_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), RecordsError> {
    out.put_slice(&XERIAL_MAGIC);
    out.put_i32(XERIAL_VERSION);
    out.put_i32(XERIAL_COMPAT_VERSION);
    let mut encoder = snap::raw::Encoder::new();
    for chunk in input.chunks(XERIAL_BLOCK_SIZE) {
        let len_at = out.len();
        out.put_i32(0);
        let block_at = out.len();
        out.resize(block_at + snap::raw::max_compress_len(chunk.len()), 0);
        let written = encoder
            .compress(chunk, &mut out[block_at..])
            .map_err(|e| RecordsError::Compression { codec: Compression::Snappy, source: std::io::Error::other(e) })?;
        out.truncate(block_at + written);
        // A block of at most 32 KiB compresses to well under 2 GiB.
        let written =
            i32::try_from(written).map_err(|_| RecordsError::FieldTooLarge { field: "snappy block", size: written })?;
        out[len_at..block_at].copy_from_slice(&written.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn xerial_round_trip_over_several_blocks() {
        let input: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        compress_into(&input, &mut out).unwrap();
        assert_eq!(&out[..8], &XERIAL_MAGIC);
        assert_eq!(&out[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(decompress(&out, input.len()).unwrap(), input);
    }

    #[test]
    fn raw_block_without_xerial_header() {
        let input = b"hello hello hello hello raw snappy".repeat(10);
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        assert_eq!(decompress(&raw, 4096).unwrap(), input);
    }

    #[test]
    fn limit_is_checked_before_allocating() {
        let input = vec![0u8; 10_000];
        let mut out = Vec::new();
        compress_into(&input, &mut out).unwrap();
        assert!(matches!(decompress(&out, 9_999), Err(RecordsError::DecompressionLimitExceeded { limit: 9_999 })));
        // A raw block claiming a huge size fails on the limit, not on allocation: varint
        // 0xffffffff is a 4 GiB uncompressed length.
        let bomb = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert!(decompress(&bomb, 1 << 20).is_err());
    }

    #[test]
    fn corrupt_framing_is_an_error() {
        let mut out = Vec::new();
        compress_into(b"some data", &mut out).unwrap();
        // Claim a block longer than the payload.
        out[16..20].copy_from_slice(&1000i32.to_be_bytes());
        assert!(matches!(decompress(&out, 1 << 20), Err(RecordsError::Decompression { .. })));
        out[16..20].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decompress(&out, 1 << 20).is_err());
        // A truncated block length.
        assert!(decompress(&out[..18], 1 << 20).is_err());
    }
}
