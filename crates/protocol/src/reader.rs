//! Bounds-checked reads from a frame held in [`Bytes`]. Byte strings and record sets come out as slices of
//! the frame (a reference count, never a copy), and every length read off the wire is checked against the
//! bytes that are actually left before anything is allocated.

use bytes::{Buf, Bytes};
use bytestring::ByteString;
use uuid::Uuid;

use crate::error::WireError;

/// A cursor over one frame.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    pub fn new(buf: Bytes) -> Self {
        Self { buf }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unconsumed rest of the frame.
    pub fn into_rest(self) -> Bytes {
        self.buf
    }

    /// The unconsumed bytes without consuming them.
    pub fn peek(&self) -> &[u8] {
        &self.buf
    }

    fn need(&self, needed: usize) -> Result<(), WireError> {
        if self.buf.len() < needed {
            Err(WireError::UnexpectedEof { needed, remaining: self.buf.len() })
        } else {
            Ok(())
        }
    }

    pub fn i8(&mut self) -> Result<i8, WireError> {
        self.need(1)?;
        Ok(self.buf.get_i8())
    }

    pub fn bool(&mut self) -> Result<bool, WireError> {
        // Kafka reads any non-zero byte as true.
        Ok(self.i8()? != 0)
    }

    pub fn i16(&mut self) -> Result<i16, WireError> {
        self.need(2)?;
        Ok(self.buf.get_i16())
    }

    pub fn u16(&mut self) -> Result<u16, WireError> {
        self.need(2)?;
        Ok(self.buf.get_u16())
    }

    pub fn i32(&mut self) -> Result<i32, WireError> {
        self.need(4)?;
        Ok(self.buf.get_i32())
    }

    pub fn u32(&mut self) -> Result<u32, WireError> {
        self.need(4)?;
        Ok(self.buf.get_u32())
    }

    pub fn i64(&mut self) -> Result<i64, WireError> {
        self.need(8)?;
        Ok(self.buf.get_i64())
    }

    pub fn f64(&mut self) -> Result<f64, WireError> {
        self.need(8)?;
        Ok(self.buf.get_f64())
    }

    pub fn uuid(&mut self) -> Result<Uuid, WireError> {
        self.need(16)?;
        Ok(Uuid::from_u128(self.buf.get_u128()))
    }

    /// Kafka's unsigned varint, at most 5 bytes for 32 bits.
    pub fn uvarint(&mut self) -> Result<u32, WireError> {
        let mut value: u32 = 0;
        for i in 0..5 {
            let byte = self.i8()? as u8;
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::VarintTooLong)
    }

    /// Takes `len` bytes as a slice of the frame.
    pub fn take(&mut self, len: usize) -> Result<Bytes, WireError> {
        if len > self.buf.len() {
            return Err(WireError::LengthExceedsFrame { length: len as u64, remaining: self.buf.len() });
        }
        Ok(self.buf.split_to(len))
    }

    /// A length prefix: `None` for null (-1), otherwise a length no larger than what remains.
    fn checked_len(&self, raw: i64) -> Result<Option<usize>, WireError> {
        match raw {
            -1 => Ok(None),
            n if n < 0 => Err(WireError::InvalidLength(n)),
            n if n as u64 > self.buf.len() as u64 => {
                Err(WireError::LengthExceedsFrame { length: n as u64, remaining: self.buf.len() })
            }
            n => Ok(Some(n as usize)),
        }
    }

    fn str_from(bytes: Bytes) -> Result<ByteString, WireError> {
        ByteString::try_from(bytes).map_err(|_| WireError::InvalidUtf8)
    }

    /// A nullable string: i16 length (compact: unsigned varint length + 1).
    pub fn nullable_string(&mut self, compact: bool) -> Result<Option<ByteString>, WireError> {
        let raw = if compact { i64::from(self.uvarint()?) - 1 } else { i64::from(self.i16()?) };
        match self.checked_len(raw)? {
            None => Ok(None),
            Some(len) => Ok(Some(Self::str_from(self.take(len)?)?)),
        }
    }

    pub fn string(&mut self, compact: bool) -> Result<ByteString, WireError> {
        self.nullable_string(compact)?.ok_or(WireError::UnexpectedNull)
    }

    /// Nullable bytes: i32 length (compact: unsigned varint length + 1).
    pub fn nullable_bytes(&mut self, compact: bool) -> Result<Option<Bytes>, WireError> {
        let raw = if compact { i64::from(self.uvarint()?) - 1 } else { i64::from(self.i32()?) };
        match self.checked_len(raw)? {
            None => Ok(None),
            Some(len) => Ok(Some(self.take(len)?)),
        }
    }

    pub fn bytes(&mut self, compact: bool) -> Result<Bytes, WireError> {
        self.nullable_bytes(compact)?.ok_or(WireError::UnexpectedNull)
    }

    /// An array's element count, `None` for null. `min_element_len` is the fewest bytes one element can
    /// occupy in this version; a count that could not fit in the remaining bytes is rejected here, so the
    /// caller may reserve `count` elements safely.
    pub fn array_len(&mut self, compact: bool, min_element_len: usize) -> Result<Option<usize>, WireError> {
        let raw = if compact { i64::from(self.uvarint()?) - 1 } else { i64::from(self.i32()?) };
        match raw {
            -1 => Ok(None),
            n if n < 0 => Err(WireError::InvalidLength(n)),
            n => {
                let needed = (n as u64).saturating_mul(min_element_len.max(1) as u64);
                if needed > self.buf.len() as u64 {
                    Err(WireError::LengthExceedsFrame { length: n as u64, remaining: self.buf.len() })
                } else {
                    Ok(Some(n as usize))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_array_length_is_rejected_before_allocating() {
        let mut r = Reader::new(Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff]));
        assert_eq!(r.array_len(false, 4), Err(WireError::LengthExceedsFrame { length: i32::MAX as u64, remaining: 0 }));
    }

    #[test]
    fn compact_lengths_are_offset_by_one() {
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x03, b'h', b'i', 0x01]));
        assert_eq!(r.nullable_string(true), Ok(None));
        assert_eq!(r.string(true).map(|s| s.to_string()), Ok("hi".to_string()));
        assert_eq!(r.string(true).map(|s| s.to_string()), Ok(String::new()));
    }

    #[test]
    fn varint_of_six_bytes_is_rejected() {
        let mut r = Reader::new(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
        assert_eq!(r.uvarint(), Err(WireError::VarintTooLong));
    }

    #[test]
    fn short_input_reports_what_was_missing() {
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x01]));
        assert_eq!(r.i32(), Err(WireError::UnexpectedEof { needed: 4, remaining: 2 }));
    }

    #[test]
    fn invalid_utf8_is_a_typed_error() {
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x01, 0xff]));
        assert_eq!(r.string(false), Err(WireError::InvalidUtf8));
    }

    #[test]
    fn byte_fields_are_slices_of_the_frame() {
        let frame = Bytes::from(vec![0, 0, 0, 3, 1, 2, 3]);
        let start = frame.as_ptr() as usize;
        let mut r = Reader::new(frame);
        let b = r.bytes(false).expect("bytes");
        assert_eq!(b.as_ptr() as usize, start + 4);
    }
}
