//! The leader's check of an append (Kafka's `ProducerAppendInfo` with origin CLIENT or
//! COORDINATOR, plus the duplicate lookup in `UnifiedLog.analyzeAndValidateProducerState`) and
//! the unchecked application every replica performs after an append, during recovery and when
//! rebuilding from the log (origin REPLICATION).

use flotilla_model::{ProducerEpoch, ProducerId, Sequence};
use tracing::{debug, warn};

use super::batch::{EndTxnMarker, ProducerBatch};
use super::entry::{in_sequence, BatchMetadata, ProducerStateEntry};
use super::error::ProducerStateError;
use super::ProducerStateManager;

/// Who is appending, which decides what is checked (Kafka's `AppendOrigin`). Replication has no
/// variant: followers do not validate, they [`ProducerStateManager::apply_append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOrigin {
    /// A produce request: epochs, sequences, duplicates and transaction state are checked.
    Client,
    /// The broker's own coordinators (transactional offset commits, WriteTxnMarkers): epochs,
    /// coordinator epochs and transaction state are checked, sequences are not.
    Coordinator,
}

/// The leader's verdict on an append that producer state does not reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendCheck {
    /// Assign offsets, write, then [`ProducerStateManager::apply_append`] the stamped batches.
    Append,
    /// A client retry of a batch already in the log: write nothing and answer success with the
    /// original batch's offsets (and its timestamp as the log append time, as Kafka does).
    Duplicate(BatchMetadata),
}

/// A producer's state while an append is checked: the committed entry, and the entry as the
/// append's earlier batches have changed it (Kafka's `currentEntry` and `updatedEntry`).
struct Pending {
    producer_id: ProducerId,
    current: ProducerStateEntry,
    updated: ProducerStateEntry,
}

impl ProducerStateManager {
    /// Checks one append (all batches of one partition in one request, in order) before offsets
    /// are assigned; nothing changes. Batches without a producer id pass. The first duplicate
    /// found makes the whole append a duplicate, as in Kafka (produce v3+ carries one batch per
    /// partition). The caller must hold the partition's append lock from this check until
    /// [`ProducerStateManager::apply_append`].
    pub fn validate_append<B: Into<ProducerBatch>>(
        &self,
        origin: AppendOrigin,
        batches: impl IntoIterator<Item = B>,
    ) -> Result<AppendCheck, ProducerStateError> {
        let batches: Vec<ProducerBatch> = batches.into_iter().map(Into::into).collect();
        if origin == AppendOrigin::Client {
            // Kafka's LogValidator runs over the whole request before producer state is consulted.
            for batch in &batches {
                let Some(producer_id) = batch.producer_id() else { continue };
                if batch.is_control() {
                    return Err(ProducerStateError::ControlBatchFromClient { producer_id });
                }
                if batch.base_sequence().get() < 0 {
                    return Err(ProducerStateError::InvalidSequence { producer_id, sequence: batch.base_sequence() });
                }
            }
        }

        let mut pending: Vec<Pending> = Vec::new();
        for batch in &batches {
            let Some(producer_id) = batch.producer_id() else { continue };
            if origin == AppendOrigin::Client {
                let duplicate = self.producers.get(&producer_id).and_then(|entry| {
                    entry.find_duplicate(batch.producer_epoch(), batch.base_sequence(), batch.last_sequence())
                });
                if let Some(duplicate) = duplicate {
                    debug!(%producer_id, first_offset = %duplicate.first_offset(), "duplicate batch");
                    return Ok(AppendCheck::Duplicate(*duplicate));
                }
            }
            let index = match pending.iter().position(|p| p.producer_id == producer_id) {
                Some(index) => index,
                None => {
                    let current = self.producers.get(&producer_id).cloned().unwrap_or_default();
                    let updated = current.without_batches();
                    pending.push(Pending { producer_id, current, updated });
                    pending.len() - 1
                }
            };
            if let Some(p) = pending.get_mut(index) {
                match batch.marker() {
                    Some(marker) => check_marker(producer_id, &mut p.updated, batch, marker)?,
                    None if batch.is_control() => {}
                    None => check_data(origin, producer_id, &p.current, &mut p.updated, batch)?,
                }
            }
        }
        Ok(AppendCheck::Append)
    }

    /// [`ProducerStateManager::validate_append`] for a single batch.
    pub fn validate_batch(
        &self,
        origin: AppendOrigin,
        batch: impl Into<ProducerBatch>,
    ) -> Result<AppendCheck, ProducerStateError> {
        self.validate_append(origin, [batch.into()])
    }

    /// Records batches that are now in the log, in log order, with their assigned offsets:
    /// after a leader's append, on a follower, and when rebuilding from the log. Nothing is
    /// checked (Kafka's REPLICATION origin): the log is the truth, anomalies are logged. Every
    /// batch, idempotent or not, moves the map end offset past it.
    pub fn apply_append<B: Into<ProducerBatch>>(&mut self, batches: impl IntoIterator<Item = B>) {
        for batch in batches {
            self.apply_batch(batch);
        }
    }

    /// [`ProducerStateManager::apply_append`] for a single batch.
    pub fn apply_batch(&mut self, batch: impl Into<ProducerBatch>) {
        let batch = batch.into();
        self.map_end_offset = self.map_end_offset.max(batch.next_offset());
        let Some(producer_id) = batch.producer_id() else { return };
        let marker = batch.marker();
        if marker.is_none() && batch.is_control() {
            // An empty control batch or a non-transaction control record changes nothing.
            return;
        }
        let entry = self.producers.entry(producer_id).or_default();
        let epoch = batch.producer_epoch();
        if epoch < entry.producer_epoch() {
            warn!(
                %producer_id, %epoch, current_epoch = %entry.producer_epoch(), offset = %batch.base_offset(),
                "batch in the log has an epoch older than the producer's"
            );
        }
        match marker {
            Some(marker) => {
                let coordinator_epoch = marker.map_or(entry.coordinator_epoch(), |m| m.coordinator_epoch);
                if coordinator_epoch < entry.coordinator_epoch() {
                    warn!(
                        %producer_id, coordinator_epoch, current = entry.coordinator_epoch(),
                        "transaction marker in the log has an older coordinator epoch"
                    );
                }
                entry.end_transaction(epoch, coordinator_epoch, batch.header().max_timestamp());
            }
            None => {
                entry.add_batch(epoch, batch.metadata());
                match (entry.current_txn_first_offset(), batch.is_transactional()) {
                    (Some(_), false) => warn!(
                        %producer_id, offset = %batch.base_offset(),
                        "non-transactional batch in the log while the producer's transaction is open"
                    ),
                    (None, true) => entry.set_current_txn_first_offset(batch.base_offset()),
                    _ => {}
                }
            }
        }
    }

    /// Rebuilds state from batches read from the log in order (recovery, or the replay after
    /// [`ProducerStateManager::truncate_and_reload`]); the same as
    /// [`ProducerStateManager::apply_append`].
    pub fn load_from_batches<B: Into<ProducerBatch>>(&mut self, batches: impl IntoIterator<Item = B>) {
        self.apply_append(batches);
    }
}

/// Kafka's `appendDataBatch` under validation: epoch, then (clients only) sequence, then the
/// transaction state.
fn check_data(
    origin: AppendOrigin,
    producer_id: ProducerId,
    current: &ProducerStateEntry,
    updated: &mut ProducerStateEntry,
    batch: &ProducerBatch,
) -> Result<(), ProducerStateError> {
    let epoch = batch.producer_epoch();
    check_epoch(producer_id, updated, epoch)?;
    if origin == AppendOrigin::Client {
        check_sequence(producer_id, current, updated, epoch, batch.base_sequence())?;
    }
    updated.add_batch(epoch, batch.metadata());
    match (updated.current_txn_first_offset(), batch.is_transactional()) {
        (Some(_), false) => return Err(ProducerStateError::InvalidTxnState { producer_id }),
        (None, true) => updated.set_current_txn_first_offset(batch.base_offset()),
        _ => {}
    }
    Ok(())
}

/// Kafka's `appendEndTxnMarker` under validation (transaction version 0/1 rules: the marker's
/// epoch may not be older than the producer's, nor its coordinator epoch older than the last).
fn check_marker(
    producer_id: ProducerId,
    updated: &mut ProducerStateEntry,
    batch: &ProducerBatch,
    marker: Option<EndTxnMarker>,
) -> Result<(), ProducerStateError> {
    let epoch = batch.producer_epoch();
    check_epoch(producer_id, updated, epoch)?;
    let coordinator_epoch = marker.map_or(updated.coordinator_epoch(), |m| m.coordinator_epoch);
    if updated.coordinator_epoch() > coordinator_epoch {
        return Err(ProducerStateError::CoordinatorFenced {
            producer_id,
            coordinator_epoch,
            current_coordinator_epoch: updated.coordinator_epoch(),
        });
    }
    updated.end_transaction(epoch, coordinator_epoch, batch.header().max_timestamp());
    Ok(())
}

fn check_epoch(
    producer_id: ProducerId,
    updated: &ProducerStateEntry,
    epoch: ProducerEpoch,
) -> Result<(), ProducerStateError> {
    if epoch < updated.producer_epoch() {
        return Err(ProducerStateError::InvalidProducerEpoch {
            producer_id,
            epoch,
            current_epoch: updated.producer_epoch(),
        });
    }
    Ok(())
}

/// Kafka's `checkSequence` (without the transaction-verification rules, which belong to the
/// transaction work).
fn check_sequence(
    producer_id: ProducerId,
    current: &ProducerStateEntry,
    updated: &ProducerStateEntry,
    epoch: ProducerEpoch,
    first_sequence: Sequence,
) -> Result<(), ProducerStateError> {
    if epoch != updated.producer_epoch() {
        // A newer epoch (older ones were refused already) must start again at 0, unless nothing
        // is known of the producer here: then any sequence is accepted.
        if first_sequence.get() != 0 && updated.producer_epoch() != ProducerEpoch::NONE {
            return Err(ProducerStateError::NewEpochSequenceNotZero {
                producer_id,
                epoch,
                current_epoch: updated.producer_epoch(),
                sequence: first_sequence,
            });
        }
        return Ok(());
    }
    let last_sequence = if !updated.is_empty() {
        updated.last_sequence()
    } else if epoch == current.producer_epoch() {
        current.last_sequence()
    } else {
        Sequence::NONE
    };
    // With no known epoch (all of the producer's records were removed by retention or
    // DeleteRecords, or it expired) any sequence is accepted: Kafka no longer answers
    // UNKNOWN_PRODUCER_ID on produce.
    if current.producer_epoch() == ProducerEpoch::NONE || in_sequence(last_sequence, first_sequence) {
        Ok(())
    } else {
        Err(ProducerStateError::OutOfOrderSequence { producer_id, epoch, sequence: first_sequence, last_sequence })
    }
}
