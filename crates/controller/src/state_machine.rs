//! [`MetadataStateMachine`]: the raft state machine of the metadata log. Each committed command is
//! one batch of metadata records; applying it makes the next [`MetadataImage`], which is published
//! on a `tokio::sync::watch` channel that the broker, the controller task and tests subscribe to.
//!
//! Applying is deterministic, as raft requires: every node applies the same commands in the same
//! order and makes the same choices. A batch that does not decode, or whose records the image
//! rejects ([`flotilla_metadata::ApplyError`]: a decision taken against a stale image, say), is
//! skipped whole — a decision's records stand or fall together — and the image only moves to the
//! batch's position, so the applied offset still advances. The writer learns which from the
//! command's response ([`ApplyOutcome`]).
//!
//! A snapshot is the image written back as the records that rebuild it
//! ([`crate::image_records::image_to_batches`]), postcard encoded with a format version.

use flotilla_metadata::{LogPosition, MetadataBatch, MetadataDelta, MetadataImage, MetadataRecord};
use flotilla_raft::{SnapshotRestoreError, StateMachine};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::codec::{decode, encode};
use crate::image_records::image_to_batches;

/// One raft command: a controller decision's records, committed together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataCommand {
    /// The raft term of the leader that proposed the batch, recorded as the batch's epoch (the
    /// state machine is not told the entry's term; it is this one unless the leader lost and won
    /// leadership again between reading its term and proposing).
    pub leader_epoch: u64,
    pub records: Vec<MetadataRecord>,
}

impl MetadataCommand {
    /// The command's bytes, as raft replicates them.
    pub fn encode(&self) -> Result<Vec<u8>, crate::codec::CodecError> {
        encode(self, "metadata command")
    }
}

/// What applying a command did, returned to the writer as the command's response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplyOutcome {
    /// Every record was applied.
    Applied,
    /// The batch was skipped (on every node alike); the reason is for the writer's error.
    Rejected { reason: String },
}

impl ApplyOutcome {
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, crate::codec::CodecError> {
        decode(bytes, "apply outcome")
    }
}

/// The first byte of every snapshot: bumped when the snapshot's layout changes.
const SNAPSHOT_FORMAT_VERSION: u8 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    format_version: u8,
    batches: Vec<MetadataBatch>,
}

/// The metadata image as a raft state machine, publishing each new image.
#[derive(Debug)]
pub struct MetadataStateMachine {
    image: MetadataImage,
    publisher: watch::Sender<MetadataImage>,
}

impl MetadataStateMachine {
    /// An empty state machine, and a receiver of the images it will publish (the empty image
    /// first). More receivers come from [`watch::Receiver::clone`].
    pub fn new() -> (Self, watch::Receiver<MetadataImage>) {
        let (publisher, receiver) = watch::channel(MetadataImage::empty());
        (Self { image: MetadataImage::empty(), publisher }, receiver)
    }

    /// The current image.
    pub fn image(&self) -> &MetadataImage {
        &self.image
    }

    fn publish(&mut self, image: MetadataImage) {
        self.image = image;
        // Nobody listening is fine: the image is kept here for the next subscriber.
        self.publisher.send_replace(self.image.clone());
    }

    /// The image at `position` with `records` applied, or why the batch must be skipped.
    fn next_image(&self, position: LogPosition, records: &[MetadataRecord]) -> Result<MetadataImage, String> {
        let mut delta = MetadataDelta::new(&self.image);
        delta.set_position(position).map_err(|e| e.to_string())?;
        for record in records {
            delta.apply(record).map_err(|e| format!("{} record rejected: {e}", record.kind()))?;
        }
        Ok(delta.finish())
    }

    /// The image moved to `position` and otherwise unchanged (for a skipped batch).
    fn advanced_to(&self, position: LogPosition) -> MetadataImage {
        let mut delta = MetadataDelta::new(&self.image);
        match delta.set_position(position) {
            Ok(()) => delta.finish(),
            // Raft indexes only grow, so this cannot happen; keep the image as it is.
            Err(_) => self.image.clone(),
        }
    }
}

impl StateMachine for MetadataStateMachine {
    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8> {
        let outcome = match decode::<MetadataCommand>(command, "metadata command") {
            Err(e) => {
                tracing::error!(index, error = %e, "skipping an undecodable metadata command");
                let next = self.advanced_to(LogPosition::new(index, self.image.position().epoch));
                self.publish(next);
                ApplyOutcome::Rejected { reason: e.to_string() }
            }
            Ok(command) => {
                let position = LogPosition::new(index, command.leader_epoch);
                match self.next_image(position, &command.records) {
                    Ok(next) => {
                        self.publish(next);
                        ApplyOutcome::Applied
                    }
                    Err(reason) => {
                        tracing::error!(
                            %position,
                            records = command.records.len(),
                            %reason,
                            "skipping a metadata batch the image rejects"
                        );
                        let next = self.advanced_to(position);
                        self.publish(next);
                        ApplyOutcome::Rejected { reason }
                    }
                }
            }
        };
        // Encoding a unit variant or a string cannot fail; an empty response reads as undecodable.
        encode(&outcome, "apply outcome").unwrap_or_default()
    }

    fn snapshot(&self) -> Vec<u8> {
        let snapshot = Snapshot { format_version: SNAPSHOT_FORMAT_VERSION, batches: image_to_batches(&self.image) };
        match encode(&snapshot, "metadata snapshot") {
            Ok(bytes) => bytes,
            Err(e) => {
                // Not reachable with these types. Empty bytes make a snapshot that restore refuses,
                // which is loud, rather than one that silently holds less.
                tracing::error!(error = %e, "cannot encode the metadata snapshot");
                Vec::new()
            }
        }
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), SnapshotRestoreError> {
        let snapshot: Snapshot =
            decode(snapshot, "metadata snapshot").map_err(|e| SnapshotRestoreError::new(e.to_string()))?;
        if snapshot.format_version != SNAPSHOT_FORMAT_VERSION {
            return Err(SnapshotRestoreError::new(format!(
                "metadata snapshot format {} is not the supported format {SNAPSHOT_FORMAT_VERSION}",
                snapshot.format_version
            )));
        }
        let image = flotilla_metadata::replay(&MetadataImage::empty(), &snapshot.batches)
            .map_err(|e| SnapshotRestoreError::new(format!("the snapshot's records do not apply: {e}")))?;
        tracing::info!(position = %image.position(), "restored the metadata image from a snapshot");
        self.publish(image);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_metadata::{ClusterIdRecord, FeatureLevelRecord};

    use super::*;

    fn command(epoch: u64, records: Vec<MetadataRecord>) -> Vec<u8> {
        MetadataCommand { leader_epoch: epoch, records }.encode().unwrap()
    }

    fn cluster_id(id: &str) -> MetadataRecord {
        MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: id.into() })
    }

    #[test]
    fn applies_publishes_and_skips_rejected_batches_whole() {
        let (mut machine, images) = MetadataStateMachine::new();
        let out = machine.apply(3, &command(1, vec![cluster_id("a")]));
        assert_eq!(ApplyOutcome::decode(&out).unwrap(), ApplyOutcome::Applied);
        assert_eq!(images.borrow().position(), LogPosition::new(3, 1));
        assert_eq!(images.borrow().cluster().cluster_id(), Some("a"));

        // The feature level is valid, the cluster id is not: neither is applied.
        let feature = MetadataRecord::FeatureLevel(FeatureLevelRecord { name: "metadata.version".into(), level: 1 });
        let out = machine.apply(5, &command(2, vec![feature, cluster_id("b")]));
        assert!(matches!(ApplyOutcome::decode(&out).unwrap(), ApplyOutcome::Rejected { .. }));
        let image = images.borrow().clone();
        assert_eq!(image.position(), LogPosition::new(5, 2), "the offset still advances");
        assert_eq!(image.cluster().feature_level("metadata.version"), None);
        assert_eq!(image.cluster().cluster_id(), Some("a"));

        let out = machine.apply(6, &[0xff, 0xff]);
        assert!(matches!(ApplyOutcome::decode(&out).unwrap(), ApplyOutcome::Rejected { .. }));
        assert_eq!(images.borrow().position().offset, 6);
    }

    #[test]
    fn snapshot_restores_an_equal_image_and_garbage_is_refused() {
        let (mut machine, _) = MetadataStateMachine::new();
        machine.apply(2, &command(1, vec![cluster_id("a")]));
        let bytes = machine.snapshot();
        let (mut restored, images) = MetadataStateMachine::new();
        restored.restore(&bytes).unwrap();
        assert_eq!(restored.image(), machine.image());
        assert_eq!(&*images.borrow(), machine.image());
        assert!(restored.restore(&[9, 9, 9]).is_err());
        assert!(restored.restore(&[]).is_err());
        assert_eq!(restored.image(), machine.image(), "a refused snapshot changes nothing");
    }
}
