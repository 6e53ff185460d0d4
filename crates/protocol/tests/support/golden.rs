//! Golden-bytes support: byte strings written by hand from the Kafka protocol guide, checked in both
//! directions against a value built by hand.

use std::fmt::Debug;

use bytes::Bytes;
use flotilla_protocol::{Message, Reader, Writer};

/// Parses hex digits, ignoring whitespace and `#` comments to the end of each line, so a golden frame can
/// be laid out one field per line with the field's name beside it.
pub fn hex(text: &str) -> Bytes {
    let digits: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
        .collect::<Vec<u8>>()
        .into()
}

/// `bytes` decodes to `expected` at `version`, and `expected` encodes to `bytes`.
pub fn check<M: Message + PartialEq + Debug>(version: i16, bytes: &str, expected: &M) {
    let bytes = hex(bytes);
    let mut r = Reader::new(bytes.clone());
    let decoded = M::decode(&mut r, version).unwrap_or_else(|e| panic!("{} v{version}: {e}", M::NAME));
    assert_eq!(r.remaining(), 0, "{} v{version}: bytes left over", M::NAME);
    assert_eq!(&decoded, expected, "{} v{version}: decoded value", M::NAME);
    let mut w = Writer::new();
    expected.encode(&mut w, version).unwrap_or_else(|e| panic!("{} v{version}: {e}", M::NAME));
    assert_eq!(w.finish().to_bytes(), bytes, "{} v{version}: encoded bytes", M::NAME);
    assert_eq!(expected.encoded_len(version), bytes.len(), "{} v{version}: encoded_len", M::NAME);
}
