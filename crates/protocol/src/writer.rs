//! Encoding into a frame made of chunks. Small fields are copied into a growing buffer; byte strings and
//! record sets of [`ZERO_COPY_MIN_BYTES`] or more are appended as their own `Bytes` chunk, so a Fetch
//! response carrying a megabyte of stored batches is encoded without copying them (the connection writes
//! the chunks with a vectored write).

use bytes::{BufMut, Bytes, BytesMut};
use uuid::Uuid;

use crate::error::EncodeErrorKind;

/// Byte fields at least this long are referenced, not copied.
pub const ZERO_COPY_MIN_BYTES: usize = 512;

/// An encoded frame: the concatenation of its chunks.
#[derive(Debug, Clone, Default)]
pub struct EncodedFrame {
    chunks: Vec<Bytes>,
    len_bytes: usize,
}

impl EncodedFrame {
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    pub fn into_chunks(self) -> Vec<Bytes> {
        self.chunks
    }

    pub fn len(&self) -> usize {
        self.len_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.len_bytes == 0
    }

    /// One contiguous copy, for tests and small messages.
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => {
                let mut out = BytesMut::with_capacity(self.len_bytes);
                for chunk in many {
                    out.extend_from_slice(chunk);
                }
                out.freeze()
            }
        }
    }
}

/// Accumulates an encoding.
#[derive(Debug, Default)]
pub struct Writer {
    buf: BytesMut,
    chunks: Vec<Bytes>,
    flushed_bytes: usize,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer whose first buffer can hold `capacity` bytes without growing.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { buf: BytesMut::with_capacity(capacity), chunks: Vec::new(), flushed_bytes: 0 }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.flushed_bytes + self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn finish(mut self) -> EncodedFrame {
        self.flush();
        EncodedFrame { chunks: self.chunks, len_bytes: self.flushed_bytes }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let chunk = self.buf.split().freeze();
            self.flushed_bytes += chunk.len();
            self.chunks.push(chunk);
        }
    }

    pub fn i8(&mut self, v: i8) {
        self.buf.put_i8(v);
    }

    pub fn bool(&mut self, v: bool) {
        self.buf.put_i8(i8::from(v));
    }

    pub fn i16(&mut self, v: i16) {
        self.buf.put_i16(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.buf.put_u16(v);
    }

    pub fn i32(&mut self, v: i32) {
        self.buf.put_i32(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.put_u32(v);
    }

    pub fn i64(&mut self, v: i64) {
        self.buf.put_i64(v);
    }

    pub fn f64(&mut self, v: f64) {
        self.buf.put_f64(v);
    }

    pub fn uuid(&mut self, v: &Uuid) {
        self.buf.put_u128(v.as_u128());
    }

    pub fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.buf.put_u8((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.put_u8(v as u8);
    }

    pub fn slice(&mut self, v: &[u8]) {
        self.buf.put_slice(v);
    }

    /// Appends shared bytes, by reference when they are large.
    pub fn shared(&mut self, v: &Bytes) {
        if v.len() >= ZERO_COPY_MIN_BYTES {
            self.flush();
            self.flushed_bytes += v.len();
            self.chunks.push(v.clone());
        } else {
            self.buf.put_slice(v);
        }
    }

    /// The length prefix of a string, bytes or array: i16/i32 or, when compact, unsigned varint of len + 1;
    /// `None` writes null.
    pub fn len_prefix(&mut self, len: Option<usize>, compact: bool, wide: bool) {
        match (len, compact) {
            (None, true) => self.uvarint(0),
            (Some(n), true) => self.uvarint((n as u32).saturating_add(1)),
            (None, false) if wide => self.i32(-1),
            (None, false) => self.i16(-1),
            (Some(n), false) if wide => self.i32(n as i32),
            (Some(n), false) => self.i16(n as i16),
        }
    }
}

impl Writer {
    /// A string or null, checking that its length fits the prefix (i16, or a 32-bit varint when compact).
    pub fn string(&mut self, v: Option<&str>, compact: bool) -> Result<(), EncodeErrorKind> {
        let len = v.map(str::len);
        check_len(len, compact, i16::MAX as usize)?;
        self.len_prefix(len, compact, false);
        if let Some(s) = v {
            self.slice(s.as_bytes());
        }
        Ok(())
    }

    /// Bytes or null, by reference when large.
    pub fn bytes(&mut self, v: Option<&Bytes>, compact: bool) -> Result<(), EncodeErrorKind> {
        let len = v.map(Bytes::len);
        check_len(len, compact, i32::MAX as usize)?;
        self.len_prefix(len, compact, true);
        if let Some(b) = v {
            self.shared(b);
        }
        Ok(())
    }

    /// An array's element count or null.
    pub fn array_len(&mut self, len: Option<usize>, compact: bool) -> Result<(), EncodeErrorKind> {
        check_len(len, compact, i32::MAX as usize)?;
        self.len_prefix(len, compact, true);
        Ok(())
    }
}

fn check_len(len: Option<usize>, compact: bool, max_plain: usize) -> Result<(), EncodeErrorKind> {
    match len {
        Some(n) if compact && n >= u32::MAX as usize => Err(EncodeErrorKind::TooLong(n)),
        Some(n) if !compact && n > max_plain => Err(EncodeErrorKind::TooLong(n)),
        _ => Ok(()),
    }
}

/// Encoded bytes of a string or null.
pub fn string_len(v: Option<&str>, compact: bool) -> usize {
    let len = v.map(str::len);
    len_prefix_len(len, compact, false) + len.unwrap_or(0)
}

/// Encoded bytes of a byte string or null.
pub fn bytes_len(v: Option<&Bytes>, compact: bool) -> usize {
    let len = v.map(Bytes::len);
    len_prefix_len(len, compact, true) + len.unwrap_or(0)
}

/// Encoded bytes of an array's length prefix.
pub fn array_len_len(len: Option<usize>, compact: bool) -> usize {
    len_prefix_len(len, compact, true)
}

/// Bytes of an unsigned varint.
pub fn uvarint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// Bytes of a length prefix (see [`Writer::len_prefix`]).
pub fn len_prefix_len(len: Option<usize>, compact: bool, wide: bool) -> usize {
    match (len, compact) {
        (None, true) => 1,
        (Some(n), true) => uvarint_len((n as u32).saturating_add(1)),
        (_, false) if wide => 4,
        (_, false) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_byte_fields_become_their_own_chunk() {
        let payload = Bytes::from(vec![7u8; ZERO_COPY_MIN_BYTES]);
        let mut w = Writer::new();
        w.i32(payload.len() as i32);
        w.shared(&payload);
        w.i16(1);
        let frame = w.finish();
        assert_eq!(frame.chunks().len(), 3);
        assert_eq!(frame.chunks()[1].as_ptr(), payload.as_ptr());
        assert_eq!(frame.len(), 4 + ZERO_COPY_MIN_BYTES + 2);
        assert_eq!(frame.to_bytes().len(), frame.len());
    }

    #[test]
    fn uvarint_lengths_match_encoding() {
        for v in [0u32, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, u32::MAX] {
            let mut w = Writer::new();
            w.uvarint(v);
            assert_eq!(w.len(), uvarint_len(v), "{v}");
        }
    }
}
