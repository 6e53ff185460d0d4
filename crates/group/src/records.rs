//! The records of `__consumer_offsets`, in Kafka's own format so `kafka-dump-log --offsets-decoder` and
//! Flotilla read each other's logs: every record key starts with an `int16` version that says what it is.
//!
//! | key version | key                                   | value                                    |
//! |-------------|---------------------------------------|------------------------------------------|
//! | 0, 1        | `OffsetCommitKey` (group, topic, partition) | `OffsetCommitValue` v0-v3, null = deleted |
//! | 2           | `GroupMetadataKey` (group)            | `GroupMetadataValue` v0-v3, null = deleted |
//!
//! Values are written at the newest non-flexible version (offset v3, group v3). Decoding never trusts a
//! length from the bytes beyond the bytes present: a record that does not parse is an error, not a panic
//! or an allocation.

use bytes::{BufMut, Bytes, BytesMut};
use thiserror::Error;

/// A record that does not parse as Kafka's `__consumer_offsets` format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed __consumer_offsets record: {0}")]
pub struct RecordFormatError(String);

/// What a record's key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    /// A committed offset of one partition for one group.
    Offset { group_id: String, topic: String, partition: i32 },
    /// A group's membership and generation.
    Group { group_id: String },
}

impl RecordKey {
    pub fn group_id(&self) -> &str {
        match self {
            RecordKey::Offset { group_id, .. } | RecordKey::Group { group_id } => group_id,
        }
    }
}

/// A committed offset (`OffsetCommitValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetValue {
    pub offset: i64,
    /// -1 when the client did not say.
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp_ms: i64,
    /// Only v1 carried an explicit expiry; -1 otherwise.
    pub expire_timestamp_ms: i64,
}

/// One member as the group record stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberValue {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    /// The metadata of the protocol the group chose.
    pub subscription: Bytes,
    pub assignment: Bytes,
}

/// A group's state as persisted (`GroupMetadataValue`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupValue {
    pub protocol_type: String,
    pub generation_id: i32,
    pub protocol_name: Option<String>,
    pub leader_id: Option<String>,
    /// When the group entered its current state; -1 if unknown (v0, v1).
    pub current_state_timestamp_ms: i64,
    pub members: Vec<MemberValue>,
}

const OFFSET_KEY_VERSION: i16 = 1;
const GROUP_KEY_VERSION: i16 = 2;
const OFFSET_VALUE_VERSION: i16 = 3;
const GROUP_VALUE_VERSION: i16 = 3;

/// Encodes a key.
pub fn encode_key(key: &RecordKey) -> Bytes {
    let mut out = BytesMut::new();
    match key {
        RecordKey::Offset { group_id, topic, partition } => {
            out.put_i16(OFFSET_KEY_VERSION);
            put_string(&mut out, group_id);
            put_string(&mut out, topic);
            out.put_i32(*partition);
        }
        RecordKey::Group { group_id } => {
            out.put_i16(GROUP_KEY_VERSION);
            put_string(&mut out, group_id);
        }
    }
    out.freeze()
}

/// Encodes a committed offset (v3).
pub fn encode_offset_value(value: &OffsetValue) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(OFFSET_VALUE_VERSION);
    out.put_i64(value.offset);
    out.put_i32(value.leader_epoch);
    put_string(&mut out, &value.metadata);
    out.put_i64(value.commit_timestamp_ms);
    out.freeze()
}

/// Encodes a group (v3).
pub fn encode_group_value(value: &GroupValue) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(GROUP_VALUE_VERSION);
    put_string(&mut out, &value.protocol_type);
    out.put_i32(value.generation_id);
    put_nullable_string(&mut out, value.protocol_name.as_deref());
    put_nullable_string(&mut out, value.leader_id.as_deref());
    out.put_i64(value.current_state_timestamp_ms);
    out.put_i32(i32::try_from(value.members.len()).unwrap_or(i32::MAX));
    for m in &value.members {
        put_string(&mut out, &m.member_id);
        put_nullable_string(&mut out, m.group_instance_id.as_deref());
        put_string(&mut out, &m.client_id);
        put_string(&mut out, &m.client_host);
        out.put_i32(m.rebalance_timeout_ms);
        out.put_i32(m.session_timeout_ms);
        put_bytes(&mut out, &m.subscription);
        put_bytes(&mut out, &m.assignment);
    }
    out.freeze()
}

/// Decodes a key.
pub fn decode_key(bytes: &[u8]) -> Result<RecordKey, RecordFormatError> {
    let mut r = Reader { buf: bytes, what: "key" };
    let version = r.i16()?;
    let key = match version {
        0 | 1 => RecordKey::Offset { group_id: r.string()?, topic: r.string()?, partition: r.i32()? },
        2 => RecordKey::Group { group_id: r.string()? },
        v => return Err(RecordFormatError(format!("unknown key version {v}"))),
    };
    Ok(key)
}

/// Decodes a committed offset of any version Kafka wrote (0-3; 4 is 3 with tagged fields, which are
/// skipped by ignoring trailing bytes).
pub fn decode_offset_value(bytes: &[u8]) -> Result<OffsetValue, RecordFormatError> {
    let mut r = Reader { buf: bytes, what: "offset value" };
    let version = r.i16()?;
    let value = match version {
        0 => OffsetValue {
            offset: r.i64()?,
            leader_epoch: -1,
            metadata: r.string()?,
            commit_timestamp_ms: r.i64()?,
            expire_timestamp_ms: -1,
        },
        1 => OffsetValue {
            offset: r.i64()?,
            leader_epoch: -1,
            metadata: r.string()?,
            commit_timestamp_ms: r.i64()?,
            expire_timestamp_ms: r.i64()?,
        },
        2 => OffsetValue {
            offset: r.i64()?,
            leader_epoch: -1,
            metadata: r.string()?,
            commit_timestamp_ms: r.i64()?,
            expire_timestamp_ms: -1,
        },
        3 => OffsetValue {
            offset: r.i64()?,
            leader_epoch: r.i32()?,
            metadata: r.string()?,
            commit_timestamp_ms: r.i64()?,
            expire_timestamp_ms: -1,
        },
        v => return Err(RecordFormatError(format!("unsupported offset value version {v}"))),
    };
    Ok(value)
}

/// Decodes a group of versions 0-3.
pub fn decode_group_value(bytes: &[u8]) -> Result<GroupValue, RecordFormatError> {
    let mut r = Reader { buf: bytes, what: "group value" };
    let version = r.i16()?;
    if !(0..=3).contains(&version) {
        return Err(RecordFormatError(format!("unsupported group value version {version}")));
    }
    let protocol_type = r.string()?;
    let generation_id = r.i32()?;
    let protocol_name = r.nullable_string()?;
    let leader_id = r.nullable_string()?;
    let current_state_timestamp_ms = if version >= 2 { r.i64()? } else { -1 };
    let count = r.i32()?;
    // Each member takes at least 24 bytes, so the count cannot claim more members than bytes allow.
    let count = usize::try_from(count).map_err(|_| RecordFormatError(format!("negative member count {count}")))?;
    if count > r.buf.len() / 24 {
        return Err(RecordFormatError(format!("{count} members do not fit in {} bytes", r.buf.len())));
    }
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        let member_id = r.string()?;
        let group_instance_id = if version >= 3 { r.nullable_string()? } else { None };
        let client_id = r.string()?;
        let client_host = r.string()?;
        let rebalance_timeout_ms = if version >= 1 { r.i32()? } else { -1 };
        let session_timeout_ms = r.i32()?;
        let rebalance_timeout_ms = if version >= 1 { rebalance_timeout_ms } else { session_timeout_ms };
        let subscription = r.bytes()?;
        let assignment = r.bytes()?;
        members.push(MemberValue {
            member_id,
            group_instance_id,
            client_id,
            client_host,
            rebalance_timeout_ms,
            session_timeout_ms,
            subscription,
            assignment,
        });
    }
    Ok(GroupValue { protocol_type, generation_id, protocol_name, leader_id, current_state_timestamp_ms, members })
}

fn put_string(out: &mut BytesMut, s: &str) {
    // Kafka strings are at most i16::MAX bytes; longer ones are refused before they get here.
    let len = i16::try_from(s.len()).unwrap_or(i16::MAX);
    out.put_i16(len);
    out.put_slice(&s.as_bytes()[..len.unsigned_abs() as usize]);
}

fn put_nullable_string(out: &mut BytesMut, s: Option<&str>) {
    match s {
        Some(s) => put_string(out, s),
        None => out.put_i16(-1),
    }
}

fn put_bytes(out: &mut BytesMut, b: &[u8]) {
    out.put_i32(i32::try_from(b.len()).unwrap_or(i32::MAX));
    out.put_slice(b);
}

struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordFormatError> {
        if self.buf.len() < n {
            return Err(RecordFormatError(format!(
                "the {} ends early: {n} bytes wanted, {} left",
                self.what,
                self.buf.len()
            )));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordFormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn i16(&mut self) -> Result<i16, RecordFormatError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, RecordFormatError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, RecordFormatError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn nullable_string(&mut self) -> Result<Option<String>, RecordFormatError> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(None);
        }
        let what = self.what;
        let raw = self.take(len.unsigned_abs() as usize)?;
        let s = std::str::from_utf8(raw).map_err(|_| RecordFormatError(format!("the {what} holds invalid UTF-8")))?;
        Ok(Some(s.to_owned()))
    }

    fn string(&mut self) -> Result<String, RecordFormatError> {
        self.nullable_string()?.ok_or_else(|| RecordFormatError(format!("the {} holds a null string", self.what)))
    }

    fn bytes(&mut self) -> Result<Bytes, RecordFormatError> {
        let len = self.i32()?;
        let len = usize::try_from(len).map_err(|_| RecordFormatError(format!("negative byte length {len}")))?;
        Ok(Bytes::copy_from_slice(self.take(len)?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn group() -> GroupValue {
        GroupValue {
            protocol_type: "consumer".into(),
            generation_id: 7,
            protocol_name: Some("range".into()),
            leader_id: Some("c-1".into()),
            current_state_timestamp_ms: 1_700_000_000_000,
            members: vec![MemberValue {
                member_id: "c-1".into(),
                group_instance_id: Some("instance-a".into()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                rebalance_timeout_ms: 300_000,
                session_timeout_ms: 45_000,
                subscription: Bytes::from_static(b"sub"),
                assignment: Bytes::from_static(b"assign"),
            }],
        }
    }

    #[test]
    fn keys_round_trip_with_kafkas_bytes() {
        let key = RecordKey::Offset { group_id: "g".into(), topic: "t".into(), partition: 3 };
        let bytes = encode_key(&key);
        assert_eq!(&bytes[..], &[0, 1, 0, 1, b'g', 0, 1, b't', 0, 0, 0, 3]);
        assert_eq!(decode_key(&bytes).unwrap(), key);
        let key = RecordKey::Group { group_id: "g".into() };
        assert_eq!(&encode_key(&key)[..], &[0, 2, 0, 1, b'g']);
        assert_eq!(decode_key(&encode_key(&key)).unwrap(), key);
    }

    #[test]
    fn values_round_trip() {
        let offset = OffsetValue {
            offset: 42,
            leader_epoch: 3,
            metadata: "m".into(),
            commit_timestamp_ms: 5,
            expire_timestamp_ms: -1,
        };
        assert_eq!(decode_offset_value(&encode_offset_value(&offset)).unwrap(), offset);
        assert_eq!(decode_group_value(&encode_group_value(&group())).unwrap(), group());
    }

    #[test]
    fn older_offset_versions_decode() {
        // v1: offset, metadata, commit timestamp, expire timestamp.
        let mut v1 = BytesMut::new();
        v1.put_i16(1);
        v1.put_i64(9);
        put_string(&mut v1, "");
        v1.put_i64(100);
        v1.put_i64(200);
        let decoded = decode_offset_value(&v1).unwrap();
        assert_eq!((decoded.offset, decoded.leader_epoch, decoded.expire_timestamp_ms), (9, -1, 200));
    }

    #[test]
    fn malformed_records_are_errors() {
        assert!(decode_key(&[]).is_err());
        assert!(decode_key(&[0, 9, 0, 0]).is_err(), "unknown version");
        assert!(decode_key(&[0, 2, 0, 5, b'a']).is_err(), "string longer than the bytes");
        assert!(decode_offset_value(&[0, 3, 0]).is_err());
        let mut huge = BytesMut::new();
        huge.put_i16(3);
        put_string(&mut huge, "consumer");
        huge.put_i32(1);
        huge.put_i16(-1);
        huge.put_i16(-1);
        huge.put_i64(0);
        huge.put_i32(i32::MAX);
        assert!(decode_group_value(&huge).is_err(), "a member count the bytes cannot hold");
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_key(&bytes);
            let _ = decode_offset_value(&bytes);
            let _ = decode_group_value(&bytes);
        }
    }
}
