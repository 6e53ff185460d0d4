//! A bounds-checked read position over one record's bytes.
//!
//! Record fields are read from a slice, but keys, values and header fields are handed out as
//! `Bytes` slices of the shared buffer. The cursor therefore returns positions (ranges), and the
//! caller turns them into zero-copy `Bytes::slice`s. Every read checks the remaining length
//! first, so no length taken from the input can index past the end or size an allocation.

use std::ops::Range;

use super::error::RecordsError;
use super::varint::{decode_varint, decode_varlong, VarintError};

#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn read_i8(&mut self, field: &'static str) -> Result<i8, RecordsError> {
        let byte = *self.rest().first().ok_or(RecordsError::RecordTruncated { field })?;
        self.pos += 1;
        Ok(byte as i8)
    }

    pub(crate) fn read_varint(&mut self, field: &'static str) -> Result<i32, RecordsError> {
        let (value, used) = decode_varint(self.rest()).map_err(|e| varint_error(e, field))?;
        self.pos += used;
        Ok(value)
    }

    pub(crate) fn read_varlong(&mut self, field: &'static str) -> Result<i64, RecordsError> {
        let (value, used) = decode_varlong(self.rest()).map_err(|e| varint_error(e, field))?;
        self.pos += used;
        Ok(value)
    }

    /// Claims the next `len` bytes and returns where they are.
    pub(crate) fn take(&mut self, len: usize, field: &'static str) -> Result<Range<usize>, RecordsError> {
        if len > self.remaining() {
            return Err(RecordsError::RecordTruncated { field });
        }
        let start = self.pos;
        self.pos += len;
        Ok(start..self.pos)
    }

    /// Reads a varint length followed by that many bytes; -1 means null. Anything below -1 is
    /// rejected: Kafka's writers only ever produce -1 for null.
    pub(crate) fn read_nullable_bytes(&mut self, field: &'static str) -> Result<Option<Range<usize>>, RecordsError> {
        let len = self.read_varint(field)?;
        match len {
            -1 => Ok(None),
            _ if len < -1 => Err(RecordsError::InvalidLength { field, length: i64::from(len) }),
            // len >= 0 here, so the conversion cannot fail; `take` bounds it by what is present.
            _ => self.take(usize::try_from(len).unwrap_or(usize::MAX), field).map(Some),
        }
    }

    /// Reads a varint length followed by that many bytes, where null is not allowed.
    pub(crate) fn read_bytes(&mut self, field: &'static str) -> Result<Range<usize>, RecordsError> {
        let len = self.read_varint(field)?;
        let len = usize::try_from(len).map_err(|_| RecordsError::InvalidLength { field, length: i64::from(len) })?;
        self.take(len, field)
    }
}

pub(crate) fn varint_error(e: VarintError, field: &'static str) -> RecordsError {
    match e {
        VarintError::Incomplete => RecordsError::RecordTruncated { field },
        VarintError::Overlong => RecordsError::MalformedVarint { field },
    }
}
