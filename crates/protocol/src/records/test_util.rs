//! Helpers shared by this module's unit tests.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;

use super::{Compression, RecordBatchBuilder, RecordHeader};

/// Deterministic pseudo-random bytes (xorshift), for payloads that do not compress.
pub(crate) fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// One input record: timestamp, key, value, headers.
pub(crate) type Input = (i64, Option<Bytes>, Option<Bytes>, Vec<RecordHeader>);

/// A varied set of records: null and empty keys and values, duplicate header keys, out-of-order
/// timestamps.
pub(crate) fn sample_inputs(n: usize) -> Vec<Input> {
    (0..n)
        .map(|i| {
            let key = match i % 4 {
                0 => None,
                1 => Some(Bytes::new()),
                _ => Some(Bytes::from(format!("key-{i}"))),
            };
            let value = if i % 5 == 3 { None } else { Some(Bytes::from(format!("value {i} ").repeat(i % 7 + 1))) };
            let headers = (0..i % 3)
                .map(|h| RecordHeader::new(format!("h{}", h % 2), (h != 1).then(|| format!("v{i}.{h}"))))
                .collect();
            // Mostly increasing, with one record earlier than the first.
            let timestamp = 1_700_000_000_000 + (i as i64) * 10 - if i == 2 { 1_000 } else { 0 };
            (timestamp, key, value, headers)
        })
        .collect()
}

/// A builder with `inputs` appended.
pub(crate) fn builder_with(codec: Compression, inputs: &[Input]) -> RecordBatchBuilder {
    let mut b = RecordBatchBuilder::new(codec);
    for (ts, k, v, h) in inputs {
        b.append(*ts, k.as_deref(), v.as_deref(), h).unwrap();
    }
    b
}

/// A built batch of `inputs`.
pub(crate) fn build(codec: Compression, inputs: &[Input]) -> Bytes {
    builder_with(codec, inputs).build().unwrap()
}

/// Recomputes the CRC after a test edits covered bytes on purpose.
pub(crate) fn reseal(batch: &mut [u8]) {
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// Whether `inner` points into `outer`'s memory (i.e. was sliced, not copied).
pub(crate) fn is_within(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    i >= o && i + inner.len() <= o + outer.len()
}
