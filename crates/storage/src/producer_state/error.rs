//! Why a leader refuses an append on producer-state grounds, and the Kafka error code for each.

use flotilla_model::{ErrorCode, ProducerEpoch, ProducerId, Sequence};

/// A rejected append. Nothing of the request may be written; the handler answers with
/// [`ProducerStateError::error_code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProducerStateError {
    /// The batch's epoch is older than the producer's: a zombie instance. Kafka answers
    /// INVALID_PRODUCER_EPOCH on produce since 2.7 (PRODUCER_FENCED is the transaction
    /// coordinator's answer, not the partition leader's).
    #[error("producer {producer_id}: epoch {epoch} is older than the current epoch {current_epoch}")]
    InvalidProducerEpoch { producer_id: ProducerId, epoch: ProducerEpoch, current_epoch: ProducerEpoch },

    /// Same epoch, but the batch does not continue the last appended sequence (a gap, or a retry
    /// older than the last five batches).
    #[error(
        "producer {producer_id} epoch {epoch}: out of order sequence {sequence} (last appended sequence \
         {last_sequence})"
    )]
    OutOfOrderSequence { producer_id: ProducerId, epoch: ProducerEpoch, sequence: Sequence, last_sequence: Sequence },

    /// The first batch of a newer epoch must start at sequence 0.
    #[error(
        "producer {producer_id}: sequence {sequence} for new epoch {epoch} must be 0 (current epoch \
         {current_epoch})"
    )]
    NewEpochSequenceNotZero {
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        current_epoch: ProducerEpoch,
        sequence: Sequence,
    },

    /// An idempotent batch with a negative base sequence (Kafka's LogValidator).
    #[error("producer {producer_id}: invalid sequence number {sequence}")]
    InvalidSequence { producer_id: ProducerId, sequence: Sequence },

    /// Clients may not write control batches (Kafka's LogValidator).
    #[error("producer {producer_id}: clients are not allowed to write control records")]
    ControlBatchFromClient { producer_id: ProducerId },

    /// A non-transactional batch while the producer has a transaction open in the partition.
    #[error("producer {producer_id}: expected a transactional write while its transaction is open")]
    InvalidTxnState { producer_id: ProducerId },

    /// A transaction marker from a coordinator older than the last one seen.
    #[error(
        "producer {producer_id}: marker from coordinator epoch {coordinator_epoch} is older than the current \
         {current_coordinator_epoch}"
    )]
    CoordinatorFenced { producer_id: ProducerId, coordinator_epoch: i32, current_coordinator_epoch: i32 },
}

impl ProducerStateError {
    /// The Kafka error code a produce (or WriteTxnMarkers) response carries for this.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ProducerStateError::InvalidProducerEpoch { .. } => ErrorCode::InvalidProducerEpoch,
            ProducerStateError::OutOfOrderSequence { .. } | ProducerStateError::NewEpochSequenceNotZero { .. } => {
                ErrorCode::OutOfOrderSequenceNumber
            }
            ProducerStateError::InvalidSequence { .. } | ProducerStateError::ControlBatchFromClient { .. } => {
                ErrorCode::InvalidRecord
            }
            ProducerStateError::InvalidTxnState { .. } => ErrorCode::InvalidTxnState,
            ProducerStateError::CoordinatorFenced { .. } => ErrorCode::TransactionCoordinatorFenced,
        }
    }

    /// The producer the rejection is about.
    pub fn producer_id(&self) -> ProducerId {
        match self {
            ProducerStateError::InvalidProducerEpoch { producer_id, .. }
            | ProducerStateError::OutOfOrderSequence { producer_id, .. }
            | ProducerStateError::NewEpochSequenceNotZero { producer_id, .. }
            | ProducerStateError::InvalidSequence { producer_id, .. }
            | ProducerStateError::ControlBatchFromClient { producer_id }
            | ProducerStateError::InvalidTxnState { producer_id }
            | ProducerStateError::CoordinatorFenced { producer_id, .. } => *producer_id,
        }
    }
}
