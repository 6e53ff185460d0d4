//! One record inside a v2 batch, and its encoding.
//!
//! ```text
//! length          varint   bytes after this field
//! attributes      i8       unused by Kafka, kept as read
//! timestampDelta  varlong  against the batch's baseTimestamp
//! offsetDelta     varint   against the batch's baseOffset
//! keyLength       varint   -1 for a null key
//! key             bytes
//! valueLength     varint   -1 for a null value
//! value           bytes
//! headerCount     varint
//! headers         headerCount x (keyLength varint, key UTF-8, valueLength varint (-1 null), value)
//! ```
//!
//! Decoded keys, values and header fields are `Bytes` slices of the batch (or of its
//! decompressed payload): no per-record copies.

use std::str::Utf8Error;

use bytes::{BufMut, Bytes};

use super::cursor::Cursor;
use super::error::RecordsError;
use super::varint::{decode_varint, put_varint, put_varlong, varint_len, varlong_len, VarintError};

/// A record header: a non-null key (UTF-8 by convention) and a nullable value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// Header key bytes. Kafka specifies UTF-8 but does not enforce it, so neither do we; see
    /// [`RecordHeader::key_str`].
    pub key: Bytes,
    /// Header value, `None` for null.
    pub value: Option<Bytes>,
}

impl RecordHeader {
    /// A header from anything convertible to `Bytes` (`&'static str`, `String`, `Vec<u8>`, ...).
    pub fn new(key: impl Into<Bytes>, value: Option<impl Into<Bytes>>) -> Self {
        Self { key: key.into(), value: value.map(Into::into) }
    }

    /// The key as a string, if it is valid UTF-8.
    pub fn key_str(&self) -> Result<&str, Utf8Error> {
        std::str::from_utf8(&self.key)
    }
}

/// A decoded record with its absolute offset and timestamp resolved against the batch header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// baseOffset + offsetDelta.
    pub offset: i64,
    /// baseTimestamp + timestampDelta for CreateTime batches; the batch's maxTimestamp for
    /// LogAppendTime batches (as Kafka reports it).
    pub timestamp: i64,
    /// The offset delta as stored.
    pub offset_delta: i32,
    /// The timestamp delta as stored.
    pub timestamp_delta: i64,
    /// The record attributes byte (unused by Kafka today).
    pub attributes: i8,
    /// Key, `None` for null.
    pub key: Option<Bytes>,
    /// Value, `None` for null (a tombstone in compacted topics).
    pub value: Option<Bytes>,
    /// Headers in wire order; duplicate keys are allowed, as in Kafka.
    pub headers: Vec<RecordHeader>,
}

/// What a record needs from its batch header to resolve absolute values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordContext {
    pub(crate) base_offset: i64,
    pub(crate) base_timestamp: i64,
    /// Set for LogAppendTime batches: every record's timestamp is the batch's maxTimestamp.
    pub(crate) log_append_time: Option<i64>,
}

/// Reads a record's length prefix. `Ok(None)` means the prefix itself is incomplete, which a
/// streaming reader answers by reading more. Returns (prefix bytes, record bytes after it).
pub(crate) fn frame_len(buf: &[u8]) -> Result<Option<(usize, usize)>, RecordsError> {
    match decode_varint(buf) {
        Ok((len, used)) => match usize::try_from(len) {
            Ok(len) => Ok(Some((used, len))),
            Err(_) => Err(RecordsError::InvalidLength { field: "record", length: i64::from(len) }),
        },
        Err(VarintError::Incomplete) => Ok(None),
        Err(VarintError::Overlong) => Err(RecordsError::MalformedVarint { field: "record length" }),
    }
}

/// Decodes one record from `body`, the bytes after its length prefix (exactly that many).
pub(crate) fn decode_record(body: &Bytes, ctx: &RecordContext) -> Result<Record, RecordsError> {
    let mut cur = Cursor::new(body);
    let attributes = cur.read_i8("record attributes")?;
    let timestamp_delta = cur.read_varlong("timestamp delta")?;
    let offset_delta = cur.read_varint("offset delta")?;
    let key = cur.read_nullable_bytes("key")?.map(|r| body.slice(r));
    let value = cur.read_nullable_bytes("value")?.map(|r| body.slice(r));

    let header_count = cur.read_varint("header count")?;
    let header_count = usize::try_from(header_count)
        .map_err(|_| RecordsError::InvalidLength { field: "header count", length: i64::from(header_count) })?;
    // The count comes from the input: reserve only what the remaining bytes could hold (each
    // header is at least two bytes: an empty key and a null value).
    let mut headers = Vec::with_capacity(header_count.min(cur.remaining() / 2));
    for _ in 0..header_count {
        let key = body.slice(cur.read_bytes("header key")?);
        let value = cur.read_nullable_bytes("header value")?.map(|r| body.slice(r));
        headers.push(RecordHeader { key, value });
    }

    if cur.remaining() != 0 {
        return Err(RecordsError::RecordSizeMismatch { declared: body.len(), used: cur.position() });
    }

    let timestamp = ctx.log_append_time.unwrap_or_else(|| ctx.base_timestamp.wrapping_add(timestamp_delta));
    Ok(Record {
        offset: ctx.base_offset.wrapping_add(i64::from(offset_delta)),
        timestamp,
        offset_delta,
        timestamp_delta,
        attributes,
        key,
        value,
        headers,
    })
}

fn wire_len(field: &'static str, len: usize) -> Result<i32, RecordsError> {
    i32::try_from(len).map_err(|_| RecordsError::FieldTooLarge { field, size: len })
}

fn nullable_len(field: &'static str, bytes: Option<&[u8]>) -> Result<usize, RecordsError> {
    Ok(match bytes {
        None => varint_len(-1),
        Some(b) => varint_len(wire_len(field, b.len())?) + b.len(),
    })
}

fn put_nullable(out: &mut impl BufMut, bytes: Option<&[u8]>) {
    match bytes {
        None => put_varint(out, -1),
        Some(b) => {
            // Lengths were checked to fit an i32 when the size was computed.
            put_varint(out, i32::try_from(b.len()).unwrap_or(i32::MAX));
            out.put_slice(b);
        }
    }
}

/// The fields of a record to encode.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordFields<'a> {
    pub(crate) offset_delta: i32,
    pub(crate) timestamp_delta: i64,
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: Option<&'a [u8]>,
    pub(crate) headers: &'a [RecordHeader],
}

impl RecordFields<'_> {
    /// Size of the record after its length prefix, checking every length fits the format.
    fn body_len(&self) -> Result<usize, RecordsError> {
        let mut len = 1 // attributes
            + varlong_len(self.timestamp_delta)
            + varint_len(self.offset_delta)
            + nullable_len("record key", self.key)?
            + nullable_len("record value", self.value)?
            + varint_len(wire_len("header count", self.headers.len())?);
        for h in self.headers {
            len = len
                .saturating_add(varint_len(wire_len("header key", h.key.len())?))
                .saturating_add(h.key.len())
                .saturating_add(nullable_len("header value", h.value.as_deref())?);
        }
        Ok(len)
    }

    /// Appends the record, length prefix included; returns the bytes written.
    pub(crate) fn encode(&self, out: &mut impl BufMut) -> Result<usize, RecordsError> {
        let body_len = self.body_len()?;
        let prefix = wire_len("record", body_len)?;
        put_varint(out, prefix);
        out.put_i8(0);
        put_varlong(out, self.timestamp_delta);
        put_varint(out, self.offset_delta);
        put_nullable(out, self.key);
        put_nullable(out, self.value);
        put_varint(out, i32::try_from(self.headers.len()).unwrap_or(i32::MAX));
        for h in self.headers {
            put_varint(out, i32::try_from(h.key.len()).unwrap_or(i32::MAX));
            out.put_slice(&h.key);
            put_nullable(out, h.value.as_deref());
        }
        Ok(varint_len(prefix) + body_len)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CTX: RecordContext = RecordContext { base_offset: 1000, base_timestamp: 5_000, log_append_time: None };

    fn encode(fields: RecordFields<'_>) -> Bytes {
        let mut out = Vec::new();
        let n = fields.encode(&mut out).unwrap();
        assert_eq!(n, out.len());
        Bytes::from(out)
    }

    fn decode(frame: &Bytes, ctx: &RecordContext) -> Result<Record, RecordsError> {
        let (prefix, len) = frame_len(frame)?.unwrap();
        assert_eq!(prefix + len, frame.len(), "length prefix covers the record");
        decode_record(&frame.slice(prefix..), ctx)
    }

    #[test]
    fn round_trip_with_nulls_and_headers() {
        let headers =
            [RecordHeader::new("a", Some("1")), RecordHeader::new("a", None::<Bytes>), RecordHeader::new("", Some(""))];
        let frame = encode(RecordFields {
            offset_delta: 3,
            timestamp_delta: -20,
            key: None,
            value: Some(b"value"),
            headers: &headers,
        });
        let r = decode(&frame, &CTX).unwrap();
        assert_eq!(r.offset, 1003);
        assert_eq!(r.timestamp, 4_980);
        assert_eq!(r.offset_delta, 3);
        assert_eq!(r.timestamp_delta, -20);
        assert_eq!(r.key, None);
        assert_eq!(r.value.as_deref(), Some(&b"value"[..]));
        assert_eq!(r.headers, headers);
        assert_eq!(r.headers[0].key_str().unwrap(), "a");

        let lat = RecordContext { log_append_time: Some(77), ..CTX };
        assert_eq!(decode(&frame, &lat).unwrap().timestamp, 77);
    }

    #[test]
    fn known_bytes() {
        // key "k", value null, no headers, deltas 0.
        let frame =
            encode(RecordFields { offset_delta: 0, timestamp_delta: 0, key: Some(b"k"), value: None, headers: &[] });
        assert_eq!(&frame[..], &[0x0e, 0x00, 0x00, 0x00, 0x02, b'k', 0x01, 0x00]);
    }

    #[test]
    fn malformed_records_are_typed_errors() {
        let frame = encode(RecordFields {
            offset_delta: 1,
            timestamp_delta: 1,
            key: Some(b"key"),
            value: Some(b"value"),
            headers: &[RecordHeader::new("h", Some("v"))],
        });
        let body = frame.slice(1..);

        // Every field is required, so every strict prefix of the body is truncated somewhere.
        for cut in 0..body.len() {
            let err = decode_record(&body.slice(..cut), &CTX).unwrap_err();
            assert!(matches!(err, RecordsError::RecordTruncated { .. }), "cut {cut}: {err:?}");
        }

        // Extra bytes after the headers.
        let mut long = body.to_vec();
        long.push(0);
        assert!(matches!(
            decode_record(&Bytes::from(long), &CTX),
            Err(RecordsError::RecordSizeMismatch { declared, used }) if declared == used + 1
        ));

        // Key length below -1.
        let bad_key = Bytes::from_static(&[0x00, 0x00, 0x00, 0x03]);
        assert!(matches!(decode_record(&bad_key, &CTX), Err(RecordsError::InvalidLength { field: "key", length: -2 })));

        // Negative header count.
        let bad_count = Bytes::from_static(&[0x00, 0x00, 0x00, 0x01, 0x01, 0x01]);
        assert!(matches!(
            decode_record(&bad_count, &CTX),
            Err(RecordsError::InvalidLength { field: "header count", length: -1 })
        ));

        // Null header key.
        let null_hkey = Bytes::from_static(&[0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01]);
        assert!(matches!(
            decode_record(&null_hkey, &CTX),
            Err(RecordsError::InvalidLength { field: "header key", length: -1 })
        ));

        // A header count far beyond the bytes present neither allocates nor panics.
        let huge = Bytes::from_static(&[0x00, 0x00, 0x00, 0x01, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x07]);
        assert!(matches!(decode_record(&huge, &CTX), Err(RecordsError::RecordTruncated { field: "header key" })));

        // Overlong varint.
        let overlong = Bytes::from_static(&[0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]);
        assert!(matches!(
            decode_record(&overlong, &CTX),
            Err(RecordsError::MalformedVarint { field: "timestamp delta" })
        ));

        // Negative record length prefix.
        assert!(matches!(frame_len(&[0x01]), Err(RecordsError::InvalidLength { field: "record", length: -1 })));
        assert!(frame_len(&[0x80]).unwrap().is_none());
    }
}
