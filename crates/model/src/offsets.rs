//! Positions and generations: log offsets, leader and partition epochs, producer epochs and sequences.

use crate::newtype::int_newtype;

int_newtype!(
    /// An offset in a partition's log: the position of a record, a log end offset, a high watermark.
    Offset(i64),
    derive(Default)
);
int_newtype!(
    /// The leader epoch of a partition: bumped on every leader change, stamped into each batch.
    LeaderEpoch(i32),
    derive(Default)
);
int_newtype!(
    /// The partition epoch: bumped on every change of a partition's replicas, ISR or leader (KIP-841).
    PartitionEpoch(i32),
    derive(Default)
);
int_newtype!(
    /// A producer's epoch: bumped when a producer id is re-initialised, fencing older instances.
    ProducerEpoch(i16),
    derive(Default)
);
int_newtype!(
    /// A record's sequence number within a producer's stream to one partition.
    Sequence(i32),
    derive(Default)
);

impl Offset {
    /// Kafka's "unknown offset".
    pub const UNKNOWN: Offset = Offset(-1);

    /// The offset `n` records later.
    pub const fn plus(self, n: i64) -> Offset {
        Offset(self.0 + n)
    }
}

impl LeaderEpoch {
    /// Kafka's "no epoch" (also what an old client sends when it does not track epochs).
    pub const UNKNOWN: LeaderEpoch = LeaderEpoch(-1);

    pub const fn next(self) -> LeaderEpoch {
        LeaderEpoch(self.0 + 1)
    }
}

impl PartitionEpoch {
    pub const fn next(self) -> PartitionEpoch {
        PartitionEpoch(self.0 + 1)
    }
}

impl ProducerEpoch {
    pub const NONE: ProducerEpoch = ProducerEpoch(-1);
}

impl Sequence {
    pub const NONE: Sequence = Sequence(-1);

    /// The sequence `n` records later; sequences wrap at i32::MAX to 0 as in Kafka.
    pub const fn plus(self, n: i32) -> Sequence {
        let next = self.0 as i64 + n as i64;
        if next > i32::MAX as i64 {
            Sequence((next - i32::MAX as i64 - 1) as i32)
        } else {
            Sequence(next as i32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_wrap_like_kafka() {
        assert_eq!(Sequence::new(5).plus(3), Sequence::new(8));
        assert_eq!(Sequence::new(i32::MAX).plus(1), Sequence::new(0));
        assert_eq!(Sequence::new(i32::MAX - 1).plus(4), Sequence::new(2));
    }

    #[test]
    fn epochs_order_and_advance() {
        assert!(LeaderEpoch::new(3) < LeaderEpoch::new(3).next());
        assert_eq!(PartitionEpoch::default().next(), PartitionEpoch::new(1));
    }
}
