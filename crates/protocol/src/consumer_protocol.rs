//! The consumer protocol's embedded formats: what a member of a `consumer` group puts in its JoinGroup
//! metadata (`ConsumerProtocolSubscription`) and what the leader hands each member in SyncGroup
//! (`ConsumerProtocolAssignment`). They are opaque to the group coordinator, which reads only the
//! subscribed topics (OffsetDelete refuses topics a live group consumes); clients write and read both.
//!
//! Every version starts with the fields read here, so later fields (user data, owned partitions,
//! generation, rack) are written empty or skipped. Lengths from the bytes never size an allocation beyond
//! the bytes present.

use std::collections::{BTreeMap, BTreeSet};

use bytes::{BufMut, Bytes, BytesMut};

/// `ConsumerProtocolSubscription` v0 of `topics`, with no user data.
pub fn encode_subscription(topics: &[String]) -> Bytes {
    let mut out = BytesMut::new();
    out.put_i16(0);
    out.put_i32(i32::try_from(topics.len()).unwrap_or(0));
    for t in topics {
        put_string(&mut out, t);
    }
    out.put_i32(-1);
    out.freeze()
}

/// The topics of a `ConsumerProtocolSubscription` of any version, or `None` if it does not parse.
pub fn decode_subscription(bytes: &[u8]) -> Option<BTreeSet<String>> {
    let mut r = Cursor { bytes, at: 2 };
    let mut topics = BTreeSet::new();
    for _ in 0..r.count()? {
        topics.insert(r.string()?);
    }
    Some(topics)
}

/// `ConsumerProtocolAssignment` v0 of `partitions`, with no user data.
pub fn encode_assignment(partitions: &[(String, i32)]) -> Bytes {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in partitions {
        by_topic.entry(topic).or_default().push(*partition);
    }
    let mut out = BytesMut::new();
    out.put_i16(0);
    out.put_i32(i32::try_from(by_topic.len()).unwrap_or(0));
    for (topic, ps) in by_topic {
        put_string(&mut out, topic);
        out.put_i32(i32::try_from(ps.len()).unwrap_or(0));
        for p in ps {
            out.put_i32(p);
        }
    }
    out.put_i32(-1);
    out.freeze()
}

/// The (topic, partition) pairs of a `ConsumerProtocolAssignment` of any version, sorted; empty bytes
/// are an empty assignment; `None` if it does not parse.
pub fn decode_assignment(bytes: &[u8]) -> Option<Vec<(String, i32)>> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let mut r = Cursor { bytes, at: 2 };
    let mut out = Vec::new();
    for _ in 0..r.count()? {
        let name = r.string()?;
        for _ in 0..r.count()? {
            out.push((name.clone(), r.i32()?));
        }
    }
    out.sort();
    Some(out)
}

fn put_string(out: &mut BytesMut, s: &str) {
    // Kafka strings are at most i16::MAX bytes; topic names are far shorter.
    let len = i16::try_from(s.len()).unwrap_or(i16::MAX);
    out.put_i16(len);
    out.put_slice(&s.as_bytes()[..len.unsigned_abs() as usize]);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.i16()?).ok()?;
        Some(std::str::from_utf8(self.take(len)?).ok()?.to_owned())
    }

    /// An array length, refused when the remaining bytes cannot hold that many 2-byte elements.
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.i32()?).ok()?;
        (n <= self.bytes.len().saturating_sub(self.at) / 2).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_assignments_round_trip() {
        let topics = vec!["orders".to_owned(), "payments".to_owned()];
        assert_eq!(decode_subscription(&encode_subscription(&topics)), Some(topics.iter().cloned().collect()));
        let partitions = vec![("orders".to_owned(), 0), ("orders".to_owned(), 2), ("payments".to_owned(), 1)];
        assert_eq!(decode_assignment(&encode_assignment(&partitions)), Some(partitions));
    }

    #[test]
    fn kafkas_bytes_decode_and_garbage_does_not() {
        // Assignment v0: [("t", [1, 0])], null user data.
        let mut bytes = vec![0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];
        bytes.extend_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(decode_assignment(&bytes), Some(vec![("t".to_owned(), 0), ("t".to_owned(), 1)]));
        assert_eq!(decode_assignment(&[]), Some(Vec::new()));
        assert_eq!(decode_assignment(&[0, 0, 0x7f, 0, 0, 0]), None);
        assert_eq!(decode_assignment(&[0, 0, 0, 0, 0, 1, 0, 5, b't']), None);
        assert_eq!(decode_subscription(&[]), None);
        assert_eq!(decode_subscription(&[0, 0, 0x7f, 0xff, 0xff, 0xff]), None, "a count the bytes cannot hold");
        assert_eq!(decode_subscription(&[0, 0, 0, 0, 0, 1, 0, 9, b'a']), None, "a name past the end");
    }
}
