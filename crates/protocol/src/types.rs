//! Value types shared by all messages.

use bytes::Bytes;

use crate::reader::Reader;
use crate::writer::{uvarint_len, Writer};

/// An inclusive range of versions of a message or an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    pub min: i16,
    pub max: i16,
}

impl VersionRange {
    pub const fn contains(&self, version: i16) -> bool {
        self.min <= version && version <= self.max
    }
}

/// A tagged field this crate does not know, kept as raw bytes so it survives a decode and encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTaggedField {
    pub tag: u32,
    pub data: Bytes,
}

impl RawTaggedField {
    pub(crate) fn encoded_len(&self) -> usize {
        uvarint_len(self.tag) + uvarint_len(self.data.len() as u32) + self.data.len()
    }
}

/// Writes the unknown tagged fields whose tags lie in `from..to`, so that known and unknown fields come out
/// in ascending tag order as Kafka requires.
pub(crate) fn write_unknown_tags(w: &mut Writer, unknown: &[RawTaggedField], from: u32, to: u32) {
    for field in unknown.iter().filter(|f| f.tag >= from && f.tag < to) {
        w.uvarint(field.tag);
        w.uvarint(field.data.len() as u32);
        w.shared(&field.data);
    }
}

/// Reads one tagged field's header: its tag and the slice holding its value.
pub(crate) fn read_tagged_field(r: &mut Reader) -> Result<(u32, Bytes), crate::error::WireError> {
    let tag = r.uvarint()?;
    let len = r.uvarint()? as usize;
    Ok((tag, r.take(len)?))
}
