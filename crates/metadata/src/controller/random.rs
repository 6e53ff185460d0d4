//! The controller's source of randomness (topic ids, placement start offsets), passed in by the caller so a
//! seed reproduces every decision.

use flotilla_model::TopicId;

/// Uniform 64-bit values. Implement it over any RNG; [`SeededRandom`] is a small deterministic one.
pub trait Randomness {
    fn next_u64(&mut self) -> u64;

    /// A value in `0..n` (0 when `n` is 0). The modulo bias is irrelevant at cluster sizes.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
}

/// SplitMix64: deterministic, seedable, statistically fine for ids and placement offsets. Not a CSPRNG.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl Randomness for SeededRandom {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How many draws a new topic id may take before the generator is judged broken.
const TOPIC_ID_ATTEMPTS_MAX: usize = 64;

/// The metadata topic's reserved id (Kafka's `Uuid.METADATA_TOPIC_ID`).
const METADATA_TOPIC_ID: uuid::Uuid = uuid::Uuid::from_u128(1);

/// A fresh version-4 topic id, as Kafka's `Uuid.randomUuid`: never zero, never the metadata topic's id, never
/// one whose printed form starts with '-' (it would read as a command-line flag), never one `taken`.
pub(crate) fn new_topic_id(random: &mut dyn Randomness, taken: impl Fn(TopicId) -> bool) -> Option<TopicId> {
    (0..TOPIC_ID_ATTEMPTS_MAX).find_map(|_| {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&random.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&random.next_u64().to_le_bytes());
        let id = TopicId::new(uuid::Builder::from_random_bytes(bytes).into_uuid());
        let usable =
            id != TopicId::ZERO && id.get() != METADATA_TOPIC_ID && !id.to_string().starts_with('-') && !taken(id);
        usable.then_some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_random_is_reproducible() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SeededRandom::new(42);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = SeededRandom::new(42);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert!(r.below(5) < 5);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn topic_ids_are_v4_and_avoid_taken_ones() {
        let mut r = SeededRandom::new(1);
        let first = new_topic_id(&mut r, |_| false);
        let mut r = SeededRandom::new(1);
        let second = new_topic_id(&mut r, |id| Some(id) == first);
        assert!(first.is_some() && second.is_some() && first != second);
        assert_eq!(first.map(|id| id.get().get_version_num()), Some(4));
    }

    #[test]
    fn broken_generator_gives_up() {
        struct Zero;
        impl Randomness for Zero {
            fn next_u64(&mut self) -> u64 {
                0
            }
        }
        let once = new_topic_id(&mut Zero, |_| false);
        assert!(once.is_some());
        assert_eq!(new_topic_id(&mut Zero, |id| Some(id) == once), None);
    }
}
