//! Value types shared by all messages.

use bytes::Bytes;

use crate::error::WireError;
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
/// in ascending tag order as Kafka requires. `to` is a u64 so the range can include tag `u32::MAX`.
pub(crate) fn write_unknown_tags(w: &mut Writer, unknown: &[RawTaggedField], from: u64, to: u64) {
    for field in unknown.iter().filter(|f| u64::from(f.tag) >= from && u64::from(f.tag) < to) {
        w.uvarint(field.tag);
        w.uvarint(field.data.len() as u32);
        w.shared(&field.data);
    }
}

/// Reads one tagged field's header: its tag and the slice holding its value. `previous` is the tag read
/// before it in the same section; tags must be strictly ascending.
pub(crate) fn read_tagged_field(r: &mut Reader, previous: Option<u32>) -> Result<(u32, Bytes), WireError> {
    let tag = r.uvarint()?;
    if let Some(previous) = previous.filter(|&p| tag <= p) {
        return Err(WireError::TaggedFieldOrder { tag, previous });
    }
    let len = r.uvarint()? as usize;
    Ok((tag, r.take(len)?))
}
