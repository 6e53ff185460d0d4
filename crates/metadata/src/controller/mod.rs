//! The controller's decisions: pure functions from the current [`MetadataImage`] and a request to the
//! records that carry out the request plus the response to send, as Kafka's controller managers return a
//! `ControllerResult`. Nothing here writes anything: the caller proposes the records to the metadata log and
//! answers the request once they are committed (or at once, when there are none).
//!
//! Every decision applies its own records to a scratch [`MetadataDelta`] as it builds them, so a decision
//! that touches many partitions sees its earlier changes, and a decision can only return records that apply
//! cleanly to the image it was given. Decisions taken against the same image must therefore be committed
//! in the order they were taken, each on top of the last (decide against the newest image, including
//! records proposed but not yet committed, or decide inside the state machine at apply time).
//!
//! - [`brokers`] – registration, heartbeats (fence, unfence, controlled shutdown), session expiry, unregister.
//! - [`topics`] – CreateTopics, DeleteTopics, CreatePartitions.
//! - [`partitions`] – leader election and ISR rules: AlterPartition, ElectLeaders, moving leadership away.
//! - [`reassignment`] – AlterPartitionReassignments: move replicas, complete once the new ones are in sync.
//! - [`configs`] – IncrementalAlterConfigs, with a [`configs::ConfigPolicy`] hook for validation.
//! - [`producer_ids`] – AllocateProducerIds.
//! - [`placement`] – where new replicas go.
//! - [`random`] – the randomness the caller supplies (topic ids, placement offsets).

pub mod brokers;
pub mod configs;
pub mod partitions;
pub mod placement;
pub mod producer_ids;
pub mod random;
pub mod reassignment;
pub mod topics;

use crate::delta::{ApplyError, MetadataDelta};
use crate::image::MetadataImage;
use crate::records::{LogPosition, MetadataRecord};

/// A decision: the records to commit, and the response once they are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerResult<T> {
    pub records: Vec<MetadataRecord>,
    pub response: T,
}

impl<T> ControllerResult<T> {
    pub fn new(records: Vec<MetadataRecord>, response: T) -> Self {
        Self { records, response }
    }

    /// A response that needs no records.
    pub fn response_only(response: T) -> Self {
        Self { records: Vec::new(), response }
    }
}

/// Records being built by a decision, applied as they are added.
#[derive(Debug)]
pub(crate) struct Staging {
    delta: MetadataDelta,
    records: Vec<MetadataRecord>,
}

impl Staging {
    pub(crate) fn new(image: &MetadataImage) -> Self {
        let mut delta = MetadataDelta::new(image);
        // The earliest the records can land; a registration's broker epoch must come after the image.
        let position = image.position();
        let next = LogPosition::new(position.offset.saturating_add(1), position.epoch);
        // Moving forward from the image's own position cannot fail.
        let _ = delta.set_position(next);
        Self { delta, records: Vec::new() }
    }

    /// The image with the records so far applied.
    pub(crate) fn image(&self) -> &MetadataImage {
        self.delta.image()
    }

    pub(crate) fn push(&mut self, record: MetadataRecord) -> Result<(), ApplyError> {
        self.delta.apply(&record)?;
        self.records.push(record);
        Ok(())
    }

    pub(crate) fn records(self) -> Vec<MetadataRecord> {
        self.records
    }
}
