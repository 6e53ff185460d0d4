//! Zigzag varints, the variable-length integers used inside v2 records.
//!
//! Kafka borrowed the Protocol Buffers encoding: the signed value is zigzag-mapped so small
//! negative numbers stay short (`0, -1, 1, -2, ...` become `0, 1, 2, 3, ...`), then written seven
//! bits at a time, least significant group first, with the high bit of each byte saying "more
//! follows". A varint (i32) takes at most 5 bytes and a varlong (i64) at most 10; like Kafka's
//! Java reader, a longer encoding is malformed and bits beyond the type's width in the last byte
//! are dropped.

use bytes::BufMut;

/// Most bytes a zigzag-encoded i32 may take.
pub const MAX_VARINT_LEN: usize = 5;
/// Most bytes a zigzag-encoded i64 may take.
pub const MAX_VARLONG_LEN: usize = 10;

/// Why a varint could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended before the last byte (one without the continuation bit). A streaming
    /// reader may retry once more input has arrived.
    Incomplete,
    /// The continuation bit was still set after the maximum encoded length.
    Overlong,
}

/// Decodes a zigzag varint from the start of `buf`, returning the value and the bytes it used.
pub fn decode_varint(buf: &[u8]) -> Result<(i32, usize), VarintError> {
    let (raw, used) = decode_raw(buf, MAX_VARINT_LEN)?;
    // Truncation to 32 bits is deliberate: bits past the 32nd in a fifth byte are ignored, as
    // Kafka's ByteUtils.readVarint ignores them.
    let raw = raw as u32;
    Ok((((raw >> 1) as i32) ^ -((raw & 1) as i32), used))
}

/// Decodes a zigzag varlong from the start of `buf`, returning the value and the bytes it used.
pub fn decode_varlong(buf: &[u8]) -> Result<(i64, usize), VarintError> {
    let (raw, used) = decode_raw(buf, MAX_VARLONG_LEN)?;
    Ok((((raw >> 1) as i64) ^ -((raw & 1) as i64), used))
}

fn decode_raw(buf: &[u8], max_len: usize) -> Result<(u64, usize), VarintError> {
    let mut raw: u64 = 0;
    for (i, &byte) in buf.iter().take(max_len).enumerate() {
        // i < 10, so the shift is at most 63 and never overflows the shift amount.
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((raw, i + 1));
        }
    }
    if buf.len() >= max_len {
        Err(VarintError::Overlong)
    } else {
        Err(VarintError::Incomplete)
    }
}

/// Appends `value` as a zigzag varint.
pub fn put_varint(out: &mut impl BufMut, value: i32) {
    put_raw(out, ((value << 1) ^ (value >> 31)) as u32 as u64);
}

/// Appends `value` as a zigzag varlong.
pub fn put_varlong(out: &mut impl BufMut, value: i64) {
    put_raw(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn put_raw(out: &mut impl BufMut, mut raw: u64) {
    while raw >= 0x80 {
        out.put_u8((raw as u8 & 0x7f) | 0x80);
        raw >>= 7;
    }
    out.put_u8(raw as u8);
}

/// Encoded size of `value` as a zigzag varint.
pub const fn varint_len(value: i32) -> usize {
    raw_len(((value << 1) ^ (value >> 31)) as u32 as u64)
}

/// Encoded size of `value` as a zigzag varlong.
pub const fn varlong_len(value: i64) -> usize {
    raw_len(((value << 1) ^ (value >> 63)) as u64)
}

const fn raw_len(raw: u64) -> usize {
    // Each byte carries 7 bits; zero still takes one byte.
    let bits = 64 - (raw | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_i32(v: i32) {
        let mut out = Vec::new();
        put_varint(&mut out, v);
        assert_eq!(out.len(), varint_len(v), "length of {v}");
        assert_eq!(decode_varint(&out), Ok((v, out.len())), "value {v}");
    }

    fn round_trip_i64(v: i64) {
        let mut out = Vec::new();
        put_varlong(&mut out, v);
        assert_eq!(out.len(), varlong_len(v), "length of {v}");
        assert_eq!(decode_varlong(&out), Ok((v, out.len())), "value {v}");
    }

    #[test]
    fn zigzag_known_encodings() {
        // Values from the Protocol Buffers documentation of zigzag encoding.
        let cases: [(i32, &[u8]); 6] =
            [(0, &[0x00]), (-1, &[0x01]), (1, &[0x02]), (-2, &[0x03]), (63, &[0x7e]), (-65, &[0x81, 0x01])];
        for (v, bytes) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, bytes, "encoding of {v}");
        }
        let mut out = Vec::new();
        put_varint(&mut out, i32::MIN);
        assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn round_trips_at_boundaries() {
        for v in [0, 1, -1, 63, 64, -64, -65, 8191, 8192, i32::MAX, i32::MIN] {
            round_trip_i32(v);
        }
        for v in [0, 1, -1, i64::from(i32::MAX) + 1, i64::MAX, i64::MIN] {
            round_trip_i64(v);
        }
        assert_eq!(varlong_len(i64::MIN), MAX_VARLONG_LEN);
        assert_eq!(varint_len(i32::MIN), MAX_VARINT_LEN);
    }

    #[test]
    fn incomplete_and_overlong() {
        assert_eq!(decode_varint(&[]), Err(VarintError::Incomplete));
        assert_eq!(decode_varint(&[0x80, 0x80]), Err(VarintError::Incomplete));
        assert_eq!(decode_varint(&[0x80; 5]), Err(VarintError::Overlong));
        assert_eq!(decode_varlong(&[0xff; 9]), Err(VarintError::Incomplete));
        assert_eq!(decode_varlong(&[0xff; 11]), Err(VarintError::Overlong));
        // Trailing bytes after a complete varint are left alone.
        assert_eq!(decode_varint(&[0x02, 0xff]), Ok((1, 1)));
    }
}
