//! Random values for property and differential tests (feature `test-util`). A small seeded generator keeps
//! failures reproducible from the seed alone.

use bytes::Bytes;
use bytestring::ByteString;
use uuid::Uuid;

/// SplitMix64: tiny, seedable, good enough to spread values over every field.
#[derive(Debug, Clone)]
pub struct Gen {
    state: u64,
    unknown_tags: bool,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Self { state: seed, unknown_tags: false }
    }

    /// Also fills structs with unknown tagged fields (for our own round trips; the differential oracle
    /// orders unknown tags differently, so it runs without them).
    pub fn with_unknown_tags(mut self) -> Self {
        self.unknown_tags = true;
        self
    }

    /// Whether to add unknown tagged fields to the struct being generated.
    pub fn unknown_tags(&mut self) -> bool {
        self.unknown_tags && self.one_in(2)
    }

    /// Up to three unknown tagged fields in ascending tag order, none of them a tag in `known`. Tags are
    /// small (so they interleave with known ones) or huge (up to `u32::MAX`).
    pub fn raw_tags(&mut self, known: &[u32]) -> Vec<crate::RawTaggedField> {
        let mut tags: Vec<u32> = (0..self.u64() % 4)
            .map(|_| if self.one_in(4) { u32::MAX - (self.u64() % 3) as u32 } else { (self.u64() % 6) as u32 })
            .filter(|t| !known.contains(t))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags.into_iter().map(|tag| crate::RawTaggedField { tag, data: self.bytes() }).collect()
    }

    pub fn u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True once in `n` draws on average.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.u64().is_multiple_of(n)
    }

    /// Integers favour edge values, where encodings tend to break.
    fn edgy(&mut self) -> u64 {
        match self.u64() % 8 {
            0 => 0,
            1 => u64::MAX,
            2 => self.u64() % 256,
            _ => self.u64(),
        }
    }

    pub fn i8(&mut self) -> i8 {
        self.edgy() as i8
    }
    pub fn i16(&mut self) -> i16 {
        self.edgy() as i16
    }
    pub fn i32(&mut self) -> i32 {
        self.edgy() as i32
    }
    pub fn i64(&mut self) -> i64 {
        self.edgy() as i64
    }
    pub fn u16(&mut self) -> u16 {
        self.edgy() as u16
    }
    pub fn u32(&mut self) -> u32 {
        self.edgy() as u32
    }
    pub fn f64(&mut self) -> f64 {
        // Finite values only: NaN never equals itself, which would make round-trip comparisons meaningless.
        (self.u64() % 1_000_000) as f64 / 7.0
    }
    pub fn bool(&mut self) -> bool {
        self.u64().is_multiple_of(2)
    }
    pub fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.u64(), self.u64())
    }

    /// A collection length: mostly small, sometimes empty.
    pub fn count(&mut self) -> usize {
        (self.u64() % 4) as usize
    }

    pub fn string(&mut self) -> ByteString {
        const ALPHABET: &[&str] = &["a", "b", "z", "0", "-", "_", ".", "é", "ø", "流", " "];
        let n = self.u64() % 12;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(ALPHABET[(self.u64() % ALPHABET.len() as u64) as usize]);
        }
        ByteString::from(s)
    }

    pub fn bytes(&mut self) -> Bytes {
        let n = match self.u64() % 10 {
            0 => 600, // past the writer's zero-copy threshold
            k => k * 3,
        };
        (0..n).map(|_| self.u64() as u8).collect::<Vec<u8>>().into()
    }
}
