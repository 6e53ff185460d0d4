//! Control records: the single record of a control batch, which marks a transaction's end
//! (and, in KRaft logs, leader changes and snapshot boundaries) instead of carrying user data.
//!
//! The key is `version i16, type i16`; an end-transaction marker's value is
//! `version i16, coordinatorEpoch i32`. Both are big-endian; readers ignore trailing bytes so
//! newer versions stay readable.

use bytes::Bytes;

use super::builder::RecordBatchBuilder;
use super::error::RecordsError;

/// The kind of a control record, from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// Transaction aborted.
    Abort,
    /// Transaction committed.
    Commit,
    /// KRaft leader change.
    LeaderChange,
    /// KRaft snapshot header.
    SnapshotHeader,
    /// KRaft snapshot footer.
    SnapshotFooter,
    /// A type this code does not know; Kafka's consumers skip these.
    Unknown(i16),
}

impl ControlRecordType {
    /// The type's id in the key.
    pub fn id(self) -> i16 {
        match self {
            ControlRecordType::Abort => 0,
            ControlRecordType::Commit => 1,
            ControlRecordType::LeaderChange => 2,
            ControlRecordType::SnapshotHeader => 3,
            ControlRecordType::SnapshotFooter => 4,
            ControlRecordType::Unknown(id) => id,
        }
    }

    /// The type with id `id`.
    pub fn from_id(id: i16) -> Self {
        match id {
            0 => ControlRecordType::Abort,
            1 => ControlRecordType::Commit,
            2 => ControlRecordType::LeaderChange,
            3 => ControlRecordType::SnapshotHeader,
            4 => ControlRecordType::SnapshotFooter,
            other => ControlRecordType::Unknown(other),
        }
    }
}

/// A control record's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRecordKey {
    /// Key schema version (0 today).
    pub version: i16,
    /// What the record marks.
    pub kind: ControlRecordType,
}

impl ControlRecordKey {
    /// Parses a control record key.
    pub fn parse(key: &[u8]) -> Result<Self, RecordsError> {
        let (fields, _) = key
            .split_first_chunk::<4>()
            .ok_or(RecordsError::InvalidControlRecord { reason: "key shorter than 4 bytes" })?;
        let version = i16::from_be_bytes([fields[0], fields[1]]);
        if version < 0 {
            return Err(RecordsError::InvalidControlRecord { reason: "negative key version" });
        }
        Ok(Self { version, kind: ControlRecordType::from_id(i16::from_be_bytes([fields[2], fields[3]])) })
    }

    /// The key's wire bytes.
    pub fn to_bytes(&self) -> [u8; 4] {
        let [a, b] = self.version.to_be_bytes();
        let [c, d] = self.kind.id().to_be_bytes();
        [a, b, c, d]
    }
}

/// The value of a Commit or Abort control record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTransactionMarker {
    /// Value schema version (0).
    pub version: i16,
    /// Epoch of the transaction coordinator that wrote the marker.
    pub coordinator_epoch: i32,
}

impl EndTransactionMarker {
    /// Parses an end-transaction marker value.
    pub fn parse(value: &[u8]) -> Result<Self, RecordsError> {
        let (fields, _) = value
            .split_first_chunk::<6>()
            .ok_or(RecordsError::InvalidControlRecord { reason: "end transaction marker shorter than 6 bytes" })?;
        let version = i16::from_be_bytes([fields[0], fields[1]]);
        if version < 0 {
            return Err(RecordsError::InvalidControlRecord { reason: "negative marker version" });
        }
        Ok(Self { version, coordinator_epoch: i32::from_be_bytes([fields[2], fields[3], fields[4], fields[5]]) })
    }

    /// The value's wire bytes.
    pub fn to_bytes(&self) -> [u8; 6] {
        let [a, b] = self.version.to_be_bytes();
        let [c, d, e, f] = self.coordinator_epoch.to_be_bytes();
        [a, b, c, d, e, f]
    }
}

/// Builds the transactional control batch that commits or aborts a producer's transaction.
pub fn end_transaction_batch(
    producer_id: i64,
    producer_epoch: i16,
    commit: bool,
    coordinator_epoch: i32,
    timestamp: i64,
) -> Result<Bytes, RecordsError> {
    let key = ControlRecordKey {
        version: 0,
        kind: if commit { ControlRecordType::Commit } else { ControlRecordType::Abort },
    };
    let value = EndTransactionMarker { version: 0, coordinator_epoch };
    // Markers carry no sequence: they are not subject to producer deduplication.
    let mut builder = RecordBatchBuilder::default()
        .producer(producer_id, producer_epoch, super::header::NO_SEQUENCE)
        .transactional(true)
        .control(true);
    builder.append(timestamp, Some(&key.to_bytes()), Some(&value.to_bytes()), &[])?;
    builder.build()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::RecordBatch;

    #[test]
    fn marker_batch_round_trips() {
        let bytes = end_transaction_batch(77, 2, true, 5, 1_000).unwrap();
        let batch = RecordBatch::parse(bytes).unwrap();
        let h = batch.header();
        assert!(h.is_control() && h.is_transactional());
        assert_eq!((h.producer_id(), h.producer_epoch()), (77, 2));
        let records: Vec<_> = batch.records(1024).collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 1);
        let key = ControlRecordKey::parse(records[0].key.as_deref().unwrap()).unwrap();
        assert_eq!(key.kind, ControlRecordType::Commit);
        let value = EndTransactionMarker::parse(records[0].value.as_deref().unwrap()).unwrap();
        assert_eq!(value.coordinator_epoch, 5);
    }

    #[test]
    fn short_or_negative_fields_are_rejected() {
        assert!(ControlRecordKey::parse(&[0, 0, 0]).is_err());
        assert!(ControlRecordKey::parse(&[0xff, 0xff, 0, 1]).is_err());
        assert!(EndTransactionMarker::parse(&[0, 0, 0, 0, 0]).is_err());
        // Trailing bytes (a newer version's fields) are ignored.
        let v = EndTransactionMarker::parse(&[0, 1, 0, 0, 0, 9, 0xaa]).unwrap();
        assert_eq!((v.version, v.coordinator_epoch), (1, 9));
        assert_eq!(ControlRecordKey::parse(&[0, 0, 0, 9]).unwrap().kind, ControlRecordType::Unknown(9));
    }
}
