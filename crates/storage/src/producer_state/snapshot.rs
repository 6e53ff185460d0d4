//! The producer snapshot format, byte for byte Kafka's (`ProducerSnapshot.json`, version 1, as
//! written by `ProducerStateManager.writeSnapshot`), so snapshots move between Flotilla and
//! Kafka log directories:
//!
//! ```text
//! offset size field
//!      0    2 version               i16  always 1
//!      2    4 crc                   u32  CRC-32C of every byte from offset 6 to the end
//!      6    4 entry count           i32  (a non-nullable, non-flexible array)
//!     10   46 entries, each:
//!              producerId           i64
//!              epoch                i16
//!              lastSequence         i32  -1 when no batch is retained
//!              lastOffset           i64  -1 when no batch is retained
//!              offsetDelta          i32  lastOffset - firstOffset of the last batch
//!              timestamp            i64  the entry's last timestamp
//!              coordinatorEpoch     i32
//!              currentTxnFirstOffset i64 -1 when no transaction is open
//! ```
//!
//! All integers are big-endian. Only each producer's last batch is kept, as in Kafka: after a
//! reload a retry of one of the four batches before it is answered OUT_OF_ORDER_SEQUENCE_NUMBER
//! rather than as a duplicate, exactly as a restarted Kafka broker would.
//!
//! Decoding trusts nothing: the CRC is checked before any field is used, the entry count is
//! checked against the bytes present before anything is allocated, and each entry's fields
//! must be consistent.

use std::collections::HashSet;

use flotilla_model::{Offset, ProducerEpoch, ProducerId, Sequence};

use super::entry::{BatchMetadata, ProducerStateEntry};

/// The only snapshot version Kafka defines.
pub const SNAPSHOT_VERSION: i16 = 1;

const CRC_AT: usize = 2;
/// First byte covered by the CRC: the entry count.
const CRC_START: usize = 6;
const ENTRIES_AT: usize = 10;
/// Encoded size of one entry.
pub const SNAPSHOT_ENTRY_BYTES: usize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

/// Why snapshot bytes were refused. The caller deletes the file and falls back to an older
/// snapshot or to replaying the log, as Kafka does with a `CorruptSnapshotException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptSnapshot {
    #[error("{len} bytes is shorter than the {needed}-byte header")]
    TooShort { len: usize, needed: usize },
    #[error("unknown snapshot version {0}")]
    UnsupportedVersion(i16),
    #[error("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("negative entry count {0}")]
    NegativeEntryCount(i32),
    #[error("{count} entries declared but only {available} bytes of entries present")]
    EntryCountExceedsData { count: i32, available: usize },
    #[error("{extra} bytes after the last entry")]
    TrailingBytes { extra: usize },
    #[error("entry {index}: {reason}")]
    InvalidEntry { index: usize, reason: &'static str },
    #[error("producer {0} appears twice")]
    DuplicateProducer(ProducerId),
    #[error("{size} bytes is over the {max}-byte snapshot limit")]
    TooLarge { size: u64, max: u64 },
}

/// More producers than the format's i32 entry count can hold (about 99 GB of snapshot).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} producers do not fit a snapshot's i32 entry count")]
pub struct TooManyProducers(pub usize);

/// Encodes `entries` (written in the order given) as a version-1 snapshot.
pub fn encode_snapshot<'a>(
    entries: impl ExactSizeIterator<Item = (ProducerId, &'a ProducerStateEntry)>,
) -> Result<Vec<u8>, TooManyProducers> {
    let count = entries.len();
    let count_field = i32::try_from(count).map_err(|_| TooManyProducers(count))?;
    let mut out = Vec::with_capacity(ENTRIES_AT + count.saturating_mul(SNAPSHOT_ENTRY_BYTES));
    out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count_field.to_be_bytes());
    for (producer_id, entry) in entries {
        out.extend_from_slice(&producer_id.get().to_be_bytes());
        out.extend_from_slice(&entry.producer_epoch().get().to_be_bytes());
        out.extend_from_slice(&entry.last_sequence().get().to_be_bytes());
        out.extend_from_slice(&entry.last_data_offset().get().to_be_bytes());
        out.extend_from_slice(&entry.last_offset_delta().to_be_bytes());
        out.extend_from_slice(&entry.last_timestamp_ms().to_be_bytes());
        out.extend_from_slice(&entry.coordinator_epoch().to_be_bytes());
        out.extend_from_slice(&entry.current_txn_first_offset().unwrap_or(Offset::UNKNOWN).get().to_be_bytes());
    }
    let crc = crc32c::crc32c(out.get(CRC_START..).unwrap_or_default());
    if let Some(field) = out.get_mut(CRC_AT..CRC_START) {
        field.copy_from_slice(&crc.to_be_bytes());
    }
    Ok(out)
}

/// Decodes and validates a snapshot.
pub fn decode_snapshot(bytes: &[u8]) -> Result<Vec<(ProducerId, ProducerStateEntry)>, CorruptSnapshot> {
    let mut header = Reader::new(bytes);
    let (Some(version), Some(stored_crc), Some(count)) = (header.i16(), header.u32(), header.i32()) else {
        return Err(CorruptSnapshot::TooShort { len: bytes.len(), needed: ENTRIES_AT });
    };
    if version != SNAPSHOT_VERSION {
        return Err(CorruptSnapshot::UnsupportedVersion(version));
    }
    let computed = crc32c::crc32c(bytes.get(CRC_START..).unwrap_or_default());
    if computed != stored_crc {
        return Err(CorruptSnapshot::CrcMismatch { stored: stored_crc, computed });
    }
    let count_usize = usize::try_from(count).map_err(|_| CorruptSnapshot::NegativeEntryCount(count))?;
    let available = bytes.len().saturating_sub(ENTRIES_AT);
    // Bound the allocation by the bytes present, never by the declared count.
    if count_usize > available / SNAPSHOT_ENTRY_BYTES {
        return Err(CorruptSnapshot::EntryCountExceedsData { count, available });
    }
    let extra = available - count_usize * SNAPSHOT_ENTRY_BYTES;
    if extra != 0 {
        return Err(CorruptSnapshot::TrailingBytes { extra });
    }

    let mut entries = Vec::with_capacity(count_usize);
    let mut seen = HashSet::with_capacity(count_usize);
    let mut reader = Reader::new(bytes.get(ENTRIES_AT..).unwrap_or_default());
    for index in 0..count_usize {
        let entry = read_entry(&mut reader).ok_or(CorruptSnapshot::InvalidEntry { index, reason: "truncated" })?;
        let (producer_id, entry) =
            validate_entry(entry).map_err(|reason| CorruptSnapshot::InvalidEntry { index, reason })?;
        if !seen.insert(producer_id) {
            return Err(CorruptSnapshot::DuplicateProducer(producer_id));
        }
        entries.push((producer_id, entry));
    }
    Ok(entries)
}

/// One entry's raw fields.
struct RawEntry {
    producer_id: i64,
    epoch: i16,
    last_sequence: i32,
    last_offset: i64,
    offset_delta: i32,
    timestamp: i64,
    coordinator_epoch: i32,
    current_txn_first_offset: i64,
}

fn read_entry(r: &mut Reader<'_>) -> Option<RawEntry> {
    Some(RawEntry {
        producer_id: r.i64()?,
        epoch: r.i16()?,
        last_sequence: r.i32()?,
        last_offset: r.i64()?,
        offset_delta: r.i32()?,
        timestamp: r.i64()?,
        coordinator_epoch: r.i32()?,
        current_txn_first_offset: r.i64()?,
    })
}

/// Turns raw fields into an entry the way Kafka's `readSnapshot` does, refusing values Kafka
/// never writes.
fn validate_entry(raw: RawEntry) -> Result<(ProducerId, ProducerStateEntry), &'static str> {
    if raw.producer_id < 0 {
        return Err("negative producer id");
    }
    if raw.epoch < ProducerEpoch::NONE.get() {
        return Err("producer epoch below -1");
    }
    if raw.current_txn_first_offset < -1 {
        return Err("transaction first offset below -1");
    }
    if raw.last_offset < -1 {
        return Err("last offset below -1");
    }
    let last_batch = if raw.last_offset >= 0 {
        if raw.last_sequence < 0 {
            return Err("negative last sequence for a retained batch");
        }
        if raw.offset_delta < 0 || i64::from(raw.offset_delta) > raw.last_offset {
            return Err("offset delta outside 0..=last offset");
        }
        Some(BatchMetadata::new(
            Sequence::new(raw.last_sequence),
            Offset::new(raw.last_offset),
            raw.offset_delta,
            raw.timestamp,
        ))
    } else {
        None
    };
    let txn = (raw.current_txn_first_offset >= 0).then(|| Offset::new(raw.current_txn_first_offset));
    let entry = ProducerStateEntry::restored(
        ProducerEpoch::new(raw.epoch),
        raw.coordinator_epoch,
        raw.timestamp,
        txn,
        last_batch,
    );
    Ok((ProducerId::new(raw.producer_id), entry))
}

/// Big-endian reads that return `None` past the end instead of panicking.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_be_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }
}
