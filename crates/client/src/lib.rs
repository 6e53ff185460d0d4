//! A small async Kafka client for Flotilla's tools and tests; it speaks the protocol as Kafka 3.x/4.x
//! brokers expect, so it works against Apache Kafka too.
//!
//! Layout, bottom up:
//! - [`connection`]: one TCP connection per broker; ApiVersions handshake; requests pipelined through a
//!   writer and a reader task and matched to responses by correlation id; a bound on requests in flight
//!   and on response size; a deadline per request.
//! - [`negotiation`]: which version of each API to use with a broker (the highest both support).
//! - [`metadata`]: an immutable snapshot of the cluster (brokers, controller, topics, partitions, leaders).
//! - [`cluster`]: [`Client`], the entry point: bootstrap, the metadata cache and its refresh, one reused
//!   connection per broker, leader lookup.
//! - [`admin`]: topic, partition, config, cluster and offset administration with typed results.
//! - [`group_member`]: a classic-protocol group member (join, range assignment, heartbeat, commit, leave).
//! - [`groups`]: consumer group administration (coordinator lookup, list, describe, offsets, delete).
//! - [`producer`]: partitioning, per-partition batching, compression, acks, retries, idempotence.
//! - [`consumer`]: assigned partitions (no groups), a fetch loop and lazily decoded records.
//! - [`config`] and [`error`]: settings with Kafka's defaults, and the one error type.
//!
//! Nothing taken from the network is unwrapped: malformed or unexpected responses become [`ClientError`]s.

pub mod admin;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod consumer;
pub mod error;
pub mod group_member;
pub mod groups;
pub mod metadata;
pub mod negotiation;
pub mod producer;

pub use admin::{
    Admin, AlterConfigOp, AlterConfigOpType, ConfigResource, ConfigResourceType, ConfigSource, CreateTopicsOptions,
    DescribeConfigsOptions, ListedOffset, NewPartitions, NewTopic, OffsetSpec, OngoingReassignment,
};
pub use cluster::Client;
pub use config::{Acks, AutoOffsetReset, ClientConfig, ConsumerConfig, IsolationLevel, ProducerConfig};
pub use connection::{BrokerConnection, ConnectionConfig};
pub use consumer::{Consumer, ConsumerRecord, Fetched, PartitionRecords, StartOffset};
pub use error::ClientError;
pub use group_member::{GroupMember, MemberConfig};
pub use groups::{DescribedGroup, DescribedMember, ListedGroup};
pub use metadata::{BrokerInfo, ClusterMetadata, MetadataTopics, PartitionMetadata, TopicMetadata};
pub use negotiation::{ApiVersions, BrokerApiVersion};
pub use producer::{DeliveryFuture, Producer, ProducerRecord, RecordMetadata};
