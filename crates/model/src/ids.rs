//! Identities. Each is a transparent newtype over the wire representation; `.get()` returns it.

use std::fmt;

use crate::newtype::int_newtype;
use crate::topic_name::TopicName;

int_newtype!(
    /// A node: a broker, a controller, or both (Kafka's `node.id`, also the broker id).
    NodeId(i32)
);
int_newtype!(
    /// A partition's index within its topic.
    PartitionIndex(i32)
);
int_newtype!(
    /// A producer id handed out by InitProducerId; -1 means "not idempotent".
    ProducerId(i64)
);

impl NodeId {
    /// Kafka's "no node", e.g. the leader of an offline partition.
    pub const NONE: NodeId = NodeId(-1);
}

impl ProducerId {
    pub const NONE: ProducerId = ProducerId(-1);
}

/// A topic's id (Kafka's topic UUID, stable across renames and distinct across delete and re-create).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(uuid::Uuid);

impl TopicId {
    /// The all-zero id, which Kafka uses for "no topic id".
    pub const ZERO: TopicId = TopicId(uuid::Uuid::nil());

    pub const fn new(id: uuid::Uuid) -> Self {
        Self(id)
    }

    pub const fn get(self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for TopicId {
    /// Kafka prints topic ids in URL-safe base64 without padding (e.g. `kafka-topics --describe`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = self.0.as_bytes();
        let mut out = String::with_capacity(22);
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
            }
        }
        f.write_str(&out)
    }
}

/// A topic and a partition of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: TopicName,
    pub partition: PartitionIndex,
}

impl TopicPartition {
    pub fn new(topic: TopicName, partition: PartitionIndex) -> Self {
        Self { topic, partition }
    }
}

impl fmt::Display for TopicPartition {
    /// `orders-0`, as Kafka names partition directories and logs partitions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_id_prints_as_kafka_does() {
        // Kafka's Uuid.toString is URL-safe base64 of the 16 bytes without padding: 22 characters.
        let id = TopicId::new(uuid::Uuid::from_u128(0x0001_0203_0405_0607_0809_0a0b_0c0d_0e0f));
        assert_eq!(id.to_string(), "AAECAwQFBgcICQoLDA0ODw");
        assert_eq!(TopicId::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
    }

    #[test]
    fn topic_partition_displays_as_directory_name() {
        let tp = TopicPartition::new(TopicName::new("orders").expect("legal"), PartitionIndex::new(3));
        assert_eq!(tp.to_string(), "orders-3");
    }
}
