//! Choosing a partition, as Kafka's default partitioner does.
//!
//! - A record with a key goes to `toPositive(murmur2(key)) % partitions`, with murmur2 exactly as Kafka's
//!   `Utils.murmur2` (seed `0x9747b28c`, little-endian words, Java's wrapping `int` arithmetic), so a key
//!   lands on the same partition whichever client produced it.
//! - A record without a key sticks to one partition until about `batch.size` bytes went there, then moves
//!   to another partition chosen at random among those with a leader (KIP-480/KIP-794), so keyless records
//!   fill whole batches instead of one record per partition per batch.

/// Kafka's `Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let length = data.len();
    // Java takes the length as an int; keys are far smaller than 2 GiB.
    let mut h: u32 = SEED ^ (length as u32);
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = words.remainder();
    if tail.len() == 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(&first) = tail.first() {
        h ^= u32::from(first);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a keyed record among `partitions` (which must be positive).
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    to_positive(murmur2(key)) % partitions.max(1)
}

/// The sticky choice for keyless records of one topic.
#[derive(Debug, Clone, Default)]
pub(crate) struct StickyPartition {
    current: Option<i32>,
    bytes: usize,
}

impl StickyPartition {
    /// The partition for a keyless record of `size` bytes. `available` lists partitions with a leader
    /// (all partitions are used when none has one); `random` is a fresh random number.
    pub(crate) fn next(
        &mut self,
        size: usize,
        batch_size: usize,
        partitions: i32,
        available: impl Fn() -> Vec<i32>,
        random: u64,
    ) -> i32 {
        let switch = match self.current {
            None => true,
            Some(p) => self.bytes >= batch_size || p >= partitions,
        };
        if switch {
            let candidates = available();
            let previous = self.current;
            let pick = |n: usize| (random % n.max(1) as u64) as usize;
            let chosen = if candidates.is_empty() {
                pick(partitions.max(1) as usize) as i32
            } else if candidates.len() == 1 {
                candidates[0]
            } else {
                // Move to a different partition than the one just filled.
                let others: Vec<i32> = candidates.iter().copied().filter(|&p| Some(p) != previous).collect();
                others.get(pick(others.len())).copied().unwrap_or(candidates[0])
            };
            self.current = Some(chosen);
            self.bytes = 0;
        }
        self.bytes += size;
        self.current.unwrap_or(0)
    }
}

/// A small xorshift generator: keyless partition choice needs spread, not cryptographic quality, and no
/// dependency.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x2545_f491_4f6c_dd1d, |d| d.as_nanos() as u64);
        Rng(nanos | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases of Kafka's `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (data, expected) in cases {
            assert_eq!(murmur2(data), expected, "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn keyed_partitions_are_positive_and_stable() {
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        // "21" hashes to -973932308; toPositive gives 1173551340, and 1173551340 % 3 == 0.
        assert_eq!(partition_for_key(b"21", 3), 0);
        assert_eq!(partition_for_key(b"foobar", 7), to_positive(-790332482) % 7);
        for p in 1..20 {
            let part = partition_for_key(b"key", p);
            assert!((0..p).contains(&part));
            assert_eq!(part, partition_for_key(b"key", p));
        }
    }

    #[test]
    fn sticky_partition_moves_after_a_batch() {
        let mut sticky = StickyPartition::default();
        let mut rng = Rng::seeded();
        let available = || vec![0, 1, 2];
        let first = sticky.next(100, 1000, 3, available, rng.next_u64());
        for _ in 0..9 {
            assert_eq!(sticky.next(100, 1000, 3, available, rng.next_u64()), first);
        }
        let second = sticky.next(100, 1000, 3, available, rng.next_u64());
        assert_ne!(second, first);
        // Partitions without a leader are avoided.
        let mut sticky = StickyPartition::default();
        for _ in 0..50 {
            assert_eq!(sticky.next(2000, 1000, 3, || vec![2], rng.next_u64()), 2);
        }
    }
}
