//! Cluster metadata as KRaft keeps it: a log of records, an immutable image of what the log says, and the
//! controller's decisions that turn requests into records.
//!
//! # The record model
//!
//! Every change to cluster metadata (cluster id, broker registrations and fencing, topics, partitions,
//! config overrides, producer id blocks, feature levels) is a [`MetadataRecord`]. A decision's records are
//! committed together as one [`MetadataBatch`] at a [`LogPosition`] (the raft log index and term). Records
//! are serde types; the model's ids are written as their wire values and checked again when read back.
//!
//! Partition epochs follow KRaft: a [`PartitionChangeRecord`] that sets a leader bumps the `leader_epoch`
//! and the `partition_epoch`; any other change (ISR, replicas) bumps the `partition_epoch` only. A change
//! names the `partition_epoch` it was decided against and is rejected if that is no longer current. A
//! broker's epoch is the offset of the batch that registered its current incarnation.
//!
//! # Image and delta
//!
//! [`MetadataImage`] is the state after some position: brokers, topics by name and id with their
//! partitions, configs, the next producer id block, the cluster id. It is immutable and cheap to clone
//! (its parts are `Arc`s, shared with the previous image until a record touches them). [`MetadataDelta`]
//! applies records on top of an image, rejecting inconsistent ones with an [`ApplyError`] (unknown topic,
//! stale partition epoch, malformed ISR, stale broker epoch) without panicking, and produces the next
//! image; [`replay`] rebuilds an image from batches.
//!
//! # Who calls what
//!
//! - The raft state machine (another crate) applies each committed batch with
//!   [`MetadataDelta::apply_batch`] and publishes the resulting image; brokers and controllers follow it
//!   and report the offset they have applied.
//! - The active controller answers requests (CreateTopics, BrokerRegistration, BrokerHeartbeat,
//!   AlterPartition, ...) with the pure functions in [`controller`]: each takes the current image and the
//!   request and returns a [`controller::ControllerResult`], the records to propose plus the response. It
//!   also calls [`controller::brokers::fence_expired`] on a timer, with the heartbeat times it tracks.
//! - Broker-side code reads the image: [`MetadataImage::leader_and_isr`],
//!   [`MetadataImage::partitions_led_by`], [`MetadataImage::live_brokers`], [`TopicsImage::by_name`],
//!   [`TopicsImage::by_id`], [`MetadataImage::topic_config_overrides`].
//!
//! # Layout
//!
//! - [`records`]: one file per record family (cluster, broker, topic, partition, config, producer ids).
//! - [`image`]: the image, one file per part (cluster, brokers, topics, configs, producer ids).
//! - [`delta`]: applying records; [`replay`].
//! - [`controller`]: one manager per file (brokers, topics, partitions, configs, producer ids) plus replica
//!   placement and the caller-supplied randomness.
//!
//! # Dependency rules
//!
//! Pure: no I/O, no clock (time comes in as arguments), no async runtime, no raft, no network. Errors are
//! typed per manager and each knows the Kafka [`flotilla_model::ErrorCode`] it maps to.

pub mod controller;
pub mod delta;
pub mod image;
pub mod records;
#[cfg(test)]
mod test_fixtures;

pub use delta::{replay, ApplyError, MetadataDelta};
pub use image::{
    BrokerRegistration, BrokersImage, ClusterImage, ConfigsImage, MetadataImage, PartitionRegistration,
    ProducerIdsImage, TopicImage, TopicsImage,
};
pub use records::{
    BrokerControlledShutdownRecord, BrokerEpoch, ClusterIdRecord, ConfigRecord, ConfigResource, ConfigResourceType,
    Endpoint, FeatureLevelRecord, FenceBrokerRecord, LogPosition, MetadataBatch, MetadataRecord, PartitionChangeRecord,
    PartitionRecord, ProducerIdsRecord, RegisterBrokerRecord, RemoveTopicRecord, SecurityProtocol, TopicRecord,
    UnfenceBrokerRecord, UnregisterBrokerRecord,
};
