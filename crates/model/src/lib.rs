//! Flotilla's vocabulary, at the bottom of the dependency graph: every other crate may use it, it uses none
//! of them.
//!
//! - [`ids`]: newtypes for node, topic, partition and producer identities, so a partition index cannot be
//!   passed where a broker id is expected.
//! - [`offsets`]: log offsets, leader and partition epochs, producer epochs and sequences.
//! - [`topic_name`]: Kafka's topic-name rules (legal characters, length, the '.'/'_' collision).
//! - [`config_source`]: Kafka's `ConfigSource` of DescribeConfigs.
//! - [`error_code`]: Kafka's error codes, the single place where failures become wire values.

pub mod config_source;
pub mod error_code;
pub mod ids;
mod newtype;
pub mod offsets;
pub mod topic_name;

pub use config_source::ConfigSource;
pub use error_code::ErrorCode;
pub use ids::{NodeId, PartitionIndex, ProducerId, TopicId, TopicPartition};
pub use offsets::{LeaderEpoch, Offset, PartitionEpoch, ProducerEpoch, Sequence};
pub use topic_name::{TopicName, TopicNameError};
