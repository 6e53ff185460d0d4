//! A batch with a rewritten header and an untouched, shared payload.
//!
//! Produced batches arrive as `Bytes` slices of the request frame. Those are shared and
//! immutable, and copying a whole batch only to change 20 header bytes would double the
//! broker's memory traffic. A `StampedBatch` instead owns a private copy of the 61-byte header
//! and keeps the payload as the original `Bytes`. The header is rewritten with the same code as
//! the in-place [`super::RecordBatchMut`] (so the two agree byte for byte), and the result goes
//! out as two pieces: to a socket or file with a vectored write, or into a `Buf` chain.

use std::io::{IoSlice, Write};

use bytes::buf::Chain;
use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::attributes::TimestampType;
use super::batch::RecordBatch;
use super::header::{HeaderBytes, RecordBatchHeader, RECORD_BATCH_OVERHEAD};
use super::rewrite::{write_base_offset, write_max_timestamp, write_partition_leader_epoch};

/// A batch whose header can be rewritten without copying its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedBatch {
    header: HeaderBytes,
    payload: Bytes,
}

impl StampedBatch {
    /// Takes over a validated batch: copies its 61 header bytes, shares the rest.
    pub fn new(batch: RecordBatch) -> Self {
        let header = batch.header().to_bytes();
        let payload = batch.payload();
        Self { header, payload }
    }

    /// The header as it now reads.
    pub fn header(&self) -> RecordBatchHeader {
        RecordBatchHeader::decode(&self.header)
    }

    /// Sets baseOffset (not covered by the CRC).
    pub fn set_base_offset(&mut self, offset: i64) {
        write_base_offset(&mut self.header, offset);
    }

    /// Sets partitionLeaderEpoch (not covered by the CRC).
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        write_partition_leader_epoch(&mut self.header, epoch);
    }

    /// Sets the timestamp type and maxTimestamp, updating the CRC from its old value without
    /// reading the payload.
    pub fn set_max_timestamp(&mut self, kind: TimestampType, max_timestamp: i64) {
        write_max_timestamp(&mut self.header, self.payload.len(), kind, max_timestamp);
    }

    /// Stamps the batch with the broker's append time (LogAppendTime topics).
    pub fn set_log_append_time(&mut self, append_time: i64) {
        self.set_max_timestamp(TimestampType::LogAppendTime, append_time);
    }

    /// The rewritten header bytes.
    pub fn header_bytes(&self) -> &[u8; RECORD_BATCH_OVERHEAD] {
        &self.header
    }

    /// The untouched payload (the original bytes after the header).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// Total size in bytes.
    pub fn len(&self) -> usize {
        RECORD_BATCH_OVERHEAD + self.payload.len()
    }

    /// Always false: a batch has at least its header. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Both pieces, for `write_vectored`.
    pub fn io_slices(&self) -> [IoSlice<'_>; 2] {
        [IoSlice::new(&self.header), IoSlice::new(&self.payload)]
    }

    /// Writes header then payload (looping over partial vectored writes).
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut header: &[u8] = &self.header;
        let mut payload: &[u8] = &self.payload;
        while !header.is_empty() {
            let n = out.write_vectored(&[IoSlice::new(header), IoSlice::new(payload)])?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let from_header = n.min(header.len());
            header = &header[from_header..];
            payload = &payload[(n - from_header).min(payload.len())..];
        }
        out.write_all(payload)
    }

    /// Appends the batch to `out` (one copy, into the caller's buffer).
    pub fn put_into(&self, out: &mut impl BufMut) {
        out.put_slice(&self.header);
        out.put_slice(&self.payload);
    }

    /// The batch as one contiguous buffer. This copies the payload; prefer
    /// [`StampedBatch::into_buf`] or [`StampedBatch::io_slices`] on hot paths.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.len());
        self.put_into(&mut out);
        out.freeze()
    }

    /// The batch as a `Buf` of two chunks (header, then the shared payload); `chunks_vectored`
    /// exposes both for vectored I/O. Only the 61 header bytes are copied.
    pub fn into_buf(self) -> Chain<Bytes, Bytes> {
        Bytes::copy_from_slice(&self.header).chain(self.payload)
    }
}

impl From<RecordBatch> for StampedBatch {
    fn from(batch: RecordBatch) -> Self {
        Self::new(batch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::test_util::{build, sample_inputs};
    use crate::records::{Compression, RecordBatchMut, RecordsError};

    fn stamp_both(bytes: &Bytes, f: impl Fn(&mut dyn FnMut(Op))) -> (Vec<u8>, StampedBatch) {
        let mut in_place = bytes.to_vec();
        let mut m = RecordBatchMut::new(&mut in_place).unwrap();
        f(&mut |op| op.apply_mut(&mut m));
        let mut stamped = RecordBatch::parse(bytes.clone()).unwrap().stamp();
        f(&mut |op| op.apply_stamped(&mut stamped));
        (in_place, stamped)
    }

    #[derive(Clone, Copy)]
    enum Op {
        Offset(i64),
        Epoch(i32),
        AppendTime(i64),
        Max(TimestampType, i64),
    }

    impl Op {
        fn apply_mut(self, m: &mut RecordBatchMut<'_>) {
            match self {
                Op::Offset(o) => m.set_base_offset(o),
                Op::Epoch(e) => m.set_partition_leader_epoch(e),
                Op::AppendTime(t) => m.set_log_append_time(t),
                Op::Max(k, t) => m.set_max_timestamp(k, t),
            }
        }
        fn apply_stamped(self, s: &mut StampedBatch) {
            match self {
                Op::Offset(o) => s.set_base_offset(o),
                Op::Epoch(e) => s.set_partition_leader_epoch(e),
                Op::AppendTime(t) => s.set_log_append_time(t),
                Op::Max(k, t) => s.set_max_timestamp(k, t),
            }
        }
    }

    #[test]
    fn stamped_equals_in_place_byte_for_byte() {
        let scripts: [&[Op]; 4] = [
            &[Op::Offset(77)],
            &[Op::Offset(1 << 40), Op::Epoch(3), Op::AppendTime(1_750_000_000_000)],
            &[Op::AppendTime(1), Op::AppendTime(2), Op::Max(TimestampType::CreateTime, -1)],
            &[Op::Epoch(-1), Op::Max(TimestampType::LogAppendTime, i64::MIN)],
        ];
        for codec in Compression::ALL {
            let bytes = build(codec, &sample_inputs(9));
            for script in scripts {
                let (in_place, stamped) = stamp_both(&bytes, |apply| script.iter().for_each(|op| apply(*op)));
                assert_eq!(stamped.to_bytes(), in_place, "{codec}");
                assert!(RecordBatch::parse(stamped.to_bytes()).is_ok(), "{codec}: CRC valid");
                assert_eq!(stamped.header(), crate::records::RecordBatchHeader::parse(&in_place).unwrap());
            }
        }
    }

    #[test]
    fn payload_is_shared_not_copied() {
        let bytes = build(Compression::Zstd, &sample_inputs(4));
        let mut stamped = RecordBatch::parse(bytes.clone()).unwrap().stamp();
        stamped.set_log_append_time(10);
        assert_eq!(stamped.payload().as_ptr(), bytes[RECORD_BATCH_OVERHEAD..].as_ptr());
        assert_eq!(stamped.len(), bytes.len());
        assert!(!stamped.is_empty());

        let io = stamped.io_slices();
        assert_eq!((io[0].len(), io[1].len()), (RECORD_BATCH_OVERHEAD, bytes.len() - RECORD_BATCH_OVERHEAD));

        let expected = stamped.to_bytes();
        let mut buf = stamped.clone().into_buf();
        let mut slices = [IoSlice::new(&[]); 4];
        assert_eq!(buf.chunks_vectored(&mut slices), 2);
        assert_eq!(buf.copy_to_bytes(expected.len()), expected);
    }

    /// A writer that accepts at most 7 bytes per call, to exercise partial vectored writes.
    struct Trickle(Vec<u8>);

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_to_handles_partial_writes() {
        let bytes = build(Compression::None, &sample_inputs(3));
        let mut stamped = RecordBatch::parse(bytes).unwrap().stamp();
        stamped.set_base_offset(5);
        let mut out = Trickle(Vec::new());
        stamped.write_to(&mut out).unwrap();
        assert_eq!(out.0, stamped.to_bytes());

        let mut whole = Vec::new();
        stamped.write_to(&mut whole).unwrap();
        assert_eq!(whole, stamped.to_bytes());
        let mut put = BytesMut::new();
        stamped.put_into(&mut put);
        assert_eq!(put, stamped.to_bytes());
    }

    #[test]
    fn corrupt_batches_cannot_be_stamped_into_validity() {
        let mut b = build(Compression::None, &sample_inputs(2)).to_vec();
        let last = b.len() - 1;
        b[last] ^= 1;
        // RecordBatch::parse refuses it outright, so a stamped batch always starts valid.
        assert!(matches!(RecordBatch::parse(b.into()), Err(RecordsError::CrcMismatch { .. })));
    }
}
