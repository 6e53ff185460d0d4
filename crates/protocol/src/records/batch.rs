//! A validated batch: its bytes (a zero-copy slice of whatever buffer it came from) and its
//! decoded header.

use bytes::Bytes;

use super::error::RecordsError;
use super::header::{RecordBatchHeader, RECORD_BATCH_OVERHEAD};
use super::iter::RecordIter;
use super::stamped::StampedBatch;

/// One complete v2 record batch.
///
/// Invariant: `bytes` holds exactly the batch (`header.total_size()` bytes, at least 61) and the
/// header was checked by [`RecordBatchHeader::peek`] or [`RecordBatchHeader::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    bytes: Bytes,
    header: RecordBatchHeader,
}

impl RecordBatch {
    /// Validates `bytes` as exactly one batch, CRC included. Use [`super::Batches`] for a buffer
    /// holding several.
    pub fn parse(bytes: Bytes) -> Result<Self, RecordsError> {
        let header = RecordBatchHeader::parse(&bytes)?;
        if bytes.len() > header.total_size() {
            return Err(RecordsError::TrailingBytes { extra: bytes.len() - header.total_size() });
        }
        Ok(Self { bytes, header })
    }

    /// Wraps bytes the caller has already sized and checked; see the type's invariant.
    pub(crate) fn from_parts(bytes: Bytes, header: RecordBatchHeader) -> Self {
        Self { bytes, header }
    }

    /// The decoded header.
    pub fn header(&self) -> &RecordBatchHeader {
        &self.header
    }

    /// The whole batch, as received.
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The whole batch, as received.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Total size in bytes (log overhead included).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a batch has at least its 61-byte header. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The records' bytes after the 61-byte header, still compressed if the batch is.
    pub fn payload(&self) -> Bytes {
        self.bytes.slice(RECORD_BATCH_OVERHEAD.min(self.bytes.len())..)
    }

    /// Iterates the records, decompressing lazily with at most `max_decompressed` bytes of
    /// decoded output (ignored for uncompressed batches, whose bytes are already in memory).
    pub fn records(&self, max_decompressed: usize) -> RecordIter {
        RecordIter::new(&self.header, self.payload(), max_decompressed)
    }

    /// A copy-free handle for rewriting this batch's header; see [`StampedBatch`].
    pub fn stamp(self) -> StampedBatch {
        StampedBatch::new(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, is_within, sample_inputs};
    use crate::records::Compression;

    #[test]
    fn parse_requires_exactly_one_batch() {
        let bytes = build(Compression::Lz4, &sample_inputs(3));
        let batch = RecordBatch::parse(bytes.clone()).unwrap();
        assert_eq!(batch.len(), bytes.len());
        assert!(!batch.is_empty());
        assert_eq!(batch.header().record_count(), 3);
        assert_eq!(batch.payload(), bytes.slice(RECORD_BATCH_OVERHEAD..));
        assert!(is_within(&bytes, &batch.payload()));
        assert_eq!(batch.clone().into_bytes(), bytes);

        let longer = Bytes::from([&bytes[..], &[0u8; 5]].concat());
        assert!(matches!(RecordBatch::parse(longer), Err(RecordsError::TrailingBytes { extra: 5 })));
        let shorter = bytes.slice(..bytes.len() - 1);
        assert!(matches!(RecordBatch::parse(shorter), Err(RecordsError::BatchLengthExceedsAvailable { .. })));
    }
}
