//! Splitting a blob of concatenated batches (a produce request's `records`, a fetch response's
//! `records`, or a chunk of a log segment) into batches, without copying.
//!
//! A blob may end with a partial batch. In a fetch response that is normal (the broker cuts at
//! the byte limit); at the end of a log segment it is a torn write from a crash that recovery
//! truncates; in a produce request it is a malformed request. The splitter therefore reports a
//! torn tail as its own error kind, with the position where the valid prefix ends, and leaves the
//! policy to the caller.

use std::iter::FusedIterator;

use bytes::Bytes;

use super::batch::RecordBatch;
use super::error::RecordsError;
use super::header::{
    RecordBatchHeader, BATCH_LENGTH_AT, LOG_OVERHEAD, MAGIC_AT, MAGIC_V2, MAX_BATCH_SIZE, MIN_BATCH_LENGTH,
};

/// The blob ends inside a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornBatch {
    /// Where the partial batch starts, i.e. the length of the valid prefix.
    pub position: usize,
    /// Bytes of the partial batch that are present.
    pub available: usize,
    /// The batch's total size, when enough of the header was present to read batchLength.
    pub needed: Option<usize>,
}

/// Why splitting stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// The blob ends with a partial batch whose visible header fields look valid.
    #[error(
        "torn record batch at byte {}: {} bytes present of {}",
        .0.position,
        .0.available,
        .0.needed.map_or_else(|| "an unknown size".to_owned(), |n| n.to_string())
    )]
    Torn(TornBatch),
    /// The batch at `position` is invalid.
    #[error("invalid record batch at byte {position}: {source}")]
    Corrupt {
        /// Where the invalid batch starts.
        position: usize,
        /// What is wrong with it.
        #[source]
        source: RecordsError,
    },
}

impl SplitError {
    /// Where the offending batch starts: everything before it was valid.
    pub fn position(&self) -> usize {
        match self {
            SplitError::Torn(t) => t.position,
            SplitError::Corrupt { position, .. } => *position,
        }
    }

    /// Whether this is a torn tail rather than corruption.
    pub fn is_torn(&self) -> bool {
        matches!(self, SplitError::Torn(_))
    }
}

/// Iterator over the batches in a blob, yielding zero-copy slices of it.
///
/// Yields `Err` at most once (a torn tail or an invalid batch), then ends;
/// [`Batches::position`] then tells where the valid prefix ends.
#[derive(Debug, Clone)]
pub struct Batches {
    data: Bytes,
    pos: usize,
    verify_crc: bool,
    max_batch_size: usize,
    done: bool,
}

impl Batches {
    /// Splits `data`, verifying each batch's CRC.
    pub fn new(data: Bytes) -> Self {
        Self { data, pos: 0, verify_crc: true, max_batch_size: MAX_BATCH_SIZE, done: false }
    }

    /// Whether to verify CRCs (default true). A broker serving fetches from its own log may
    /// skip it; anything that accepts bytes from the network or recovers a log should not.
    #[must_use]
    pub fn verify_crc(mut self, verify: bool) -> Self {
        self.verify_crc = verify;
        self
    }

    /// Rejects batches larger than `max` bytes in total (e.g. `message.max.bytes`), before
    /// waiting for their bytes. Default: the largest size the format can express.
    #[must_use]
    pub fn max_batch_size(mut self, max: usize) -> Self {
        self.max_batch_size = max;
        self
    }

    /// Bytes consumed by the complete batches yielded so far; after an error, the length of the
    /// valid prefix.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet consumed (after a torn tail: the partial batch).
    pub fn remaining(&self) -> Bytes {
        self.data.slice(self.pos.min(self.data.len())..)
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>, SplitError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(None);
        }
        let corrupt = |source| SplitError::Corrupt { position: self.pos, source };
        let torn = |needed| SplitError::Torn(TornBatch { position: self.pos, available: rest.len(), needed });

        let Some(length) =
            rest.get(BATCH_LENGTH_AT..LOG_OVERHEAD).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(i32::from_be_bytes)
        else {
            return Err(torn(None));
        };
        if let Some(&magic) = rest.get(MAGIC_AT) {
            if magic as i8 != MAGIC_V2 {
                return Err(corrupt(RecordsError::UnsupportedMagic(magic as i8)));
            }
        }
        if length < MIN_BATCH_LENGTH {
            return Err(corrupt(RecordsError::BatchLengthOutOfRange { length, min: MIN_BATCH_LENGTH }));
        }
        // length >= 49 here, so the conversion succeeds.
        let total = LOG_OVERHEAD + usize::try_from(length).unwrap_or(0);
        if total > self.max_batch_size {
            return Err(corrupt(RecordsError::BatchTooLarge { size: total, max: self.max_batch_size }));
        }
        if total > rest.len() {
            return Err(torn(Some(total)));
        }
        let batch = &rest[..total];
        let header = if self.verify_crc { RecordBatchHeader::parse(batch) } else { RecordBatchHeader::peek(batch) }
            .map_err(corrupt)?;
        let bytes = self.data.slice(self.pos..self.pos + total);
        self.pos += total;
        Ok(Some(RecordBatch::from_parts(bytes, header)))
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl FusedIterator for Batches {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, is_within, sample_inputs};
    use crate::records::Compression;

    fn blob(parts: &[&[u8]]) -> Bytes {
        Bytes::from(parts.concat())
    }

    fn three() -> [Bytes; 3] {
        [
            build(Compression::None, &sample_inputs(3)),
            build(Compression::Zstd, &sample_inputs(7)),
            build(Compression::Snappy, &sample_inputs(1)),
        ]
    }

    #[test]
    fn splits_into_zero_copy_slices() {
        let parts = three();
        let data = blob(&[&parts[0], &parts[1], &parts[2]]);
        let mut it = Batches::new(data.clone());
        for (i, part) in parts.iter().enumerate() {
            let batch = it.next().unwrap().unwrap();
            assert_eq!(batch.as_bytes(), part, "batch {i}");
            assert!(is_within(&data, batch.as_bytes()), "batch {i} was copied");
            assert_eq!(batch.header().total_size(), part.len());
        }
        assert!(it.next().is_none());
        assert_eq!(it.position(), data.len());
        assert!(it.remaining().is_empty());
        assert!(Batches::new(Bytes::new()).next().is_none());
    }

    #[test]
    fn torn_tail_at_every_cut() {
        let parts = three();
        let first = parts[0].len();
        for cut in 1..parts[1].len() {
            let data = blob(&[&parts[0], &parts[1][..cut]]);
            let mut it = Batches::new(data);
            assert!(it.next().unwrap().is_ok());
            let err = it.next().unwrap().unwrap_err();
            let expected_needed = (cut >= 12).then_some(parts[1].len());
            match err {
                SplitError::Torn(t) => {
                    assert_eq!(t, TornBatch { position: first, available: cut, needed: expected_needed }, "cut {cut}");
                }
                other => panic!("cut {cut}: {other}"),
            }
            assert!(it.next().is_none(), "fused");
            assert_eq!(it.position(), first);
            assert_eq!(&it.remaining()[..], &parts[1][..cut]);
        }
    }

    #[test]
    fn corruption_is_not_torn() {
        let parts = three();
        let first = parts[0].len();

        let mut second = parts[1].to_vec();
        let last = second.len() - 1;
        second[last] ^= 1;
        let data = blob(&[&parts[0], &second]);
        let err = Batches::new(data.clone()).nth(1).unwrap().unwrap_err();
        assert!(!err.is_torn());
        assert_eq!(err.position(), first);
        assert!(matches!(err, SplitError::Corrupt { source: RecordsError::CrcMismatch { .. }, .. }));
        // Without CRC verification the same bytes split fine.
        assert_eq!(Batches::new(data).verify_crc(false).filter(|b| b.is_ok()).count(), 2);

        // A partial batch with an impossible length or magic is corrupt, not torn.
        let mut bad_len = parts[1][..30].to_vec();
        bad_len[8..12].copy_from_slice(&10i32.to_be_bytes());
        let err = Batches::new(blob(&[&bad_len])).next().unwrap().unwrap_err();
        assert!(matches!(
            err,
            SplitError::Corrupt { position: 0, source: RecordsError::BatchLengthOutOfRange { length: 10, .. } }
        ));

        let mut bad_magic = parts[1][..30].to_vec();
        bad_magic[16] = 1;
        let err = Batches::new(blob(&[&bad_magic])).next().unwrap().unwrap_err();
        assert!(matches!(err, SplitError::Corrupt { source: RecordsError::UnsupportedMagic(1), .. }));
        assert!(err.to_string().contains("byte 0"));
    }

    #[test]
    fn max_batch_size_rejects_before_the_bytes_arrive() {
        let parts = three();
        let size = parts[1].len();
        let data = blob(&[&parts[1][..20]]);
        let err = Batches::new(data.clone()).max_batch_size(size - 1).next().unwrap().unwrap_err();
        assert!(matches!(err, SplitError::Corrupt { source: RecordsError::BatchTooLarge { .. }, .. }));
        let err = Batches::new(data).max_batch_size(size).next().unwrap().unwrap_err();
        assert!(err.is_torn());
        assert!(err.to_string().contains(&format!("of {size}")));
    }
}
