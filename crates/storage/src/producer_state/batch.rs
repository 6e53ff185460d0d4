//! What producer state reads from a record batch: the header, and for a transaction marker the
//! marker's coordinator epoch (which only the control record's value carries).

use flotilla_model::{Offset, ProducerEpoch, ProducerId, Sequence};
use flotilla_protocol::records::{
    ControlRecordKey, ControlRecordType, EndTransactionMarker, RecordBatch, RecordBatchHeader, RecordsError,
};

use super::entry::BatchMetadata;

/// Decompressed bytes allowed when reading a control record (a marker is about 20 bytes).
const MAX_CONTROL_RECORD_BYTES: usize = 64 * 1024;

/// A COMMIT or ABORT marker's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTxnMarker {
    /// COMMIT (true) or ABORT (false).
    pub commit: bool,
    /// Epoch of the transaction coordinator that wrote it.
    pub coordinator_epoch: i32,
}

/// What is known about a control batch's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// Not a control batch.
    None,
    /// A control batch read from its header alone: a marker whose coordinator epoch is unknown.
    HeaderOnly,
    /// A COMMIT or ABORT marker.
    EndTxn(EndTxnMarker),
    /// A control record that is not a transaction marker; producer state ignores it.
    Other,
}

/// One batch as producer state sees it. Build it from a header (`From`), from a whole batch
/// ([`ProducerBatch::from_record_batch`], which also reads a marker's coordinator epoch), or
/// from a header plus a marker ([`ProducerBatch::with_end_txn_marker`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    header: RecordBatchHeader,
    control: Control,
}

impl ProducerBatch {
    /// The batch described by `header`. A control batch read this way is taken as a transaction
    /// marker whose coordinator epoch is unknown (the producer's current one is kept).
    pub fn new(header: RecordBatchHeader) -> Self {
        let control = if header.is_control() { Control::HeaderOnly } else { Control::None };
        Self { header, control }
    }

    /// A control batch's header with its COMMIT/ABORT marker.
    pub fn with_end_txn_marker(header: RecordBatchHeader, marker: EndTxnMarker) -> Self {
        Self { header, control: Control::EndTxn(marker) }
    }

    /// Reads everything producer state needs from a whole batch, including the marker of a
    /// control batch. Fails only if a control batch's record cannot be decoded.
    pub fn from_record_batch(batch: &RecordBatch) -> Result<Self, RecordsError> {
        let header = *batch.header();
        if !header.is_control() {
            return Ok(Self::new(header));
        }
        let Some(record) = batch.records(MAX_CONTROL_RECORD_BYTES).next().transpose()? else {
            // An empty control batch: the cleaner removed the marker; nothing to apply.
            return Ok(Self { header, control: Control::Other });
        };
        let key = ControlRecordKey::parse(record.key.as_deref().unwrap_or_default())?;
        let commit = match key.kind {
            ControlRecordType::Commit => true,
            ControlRecordType::Abort => false,
            _ => return Ok(Self { header, control: Control::Other }),
        };
        let value = EndTransactionMarker::parse(record.value.as_deref().unwrap_or_default())?;
        Ok(Self::with_end_txn_marker(header, EndTxnMarker { commit, coordinator_epoch: value.coordinator_epoch }))
    }

    /// The batch header.
    pub fn header(&self) -> &RecordBatchHeader {
        &self.header
    }

    /// The producer id, or `None` for a batch from a non-idempotent producer (any negative id,
    /// as Kafka's `hasProducerId`).
    pub fn producer_id(&self) -> Option<ProducerId> {
        (self.header.producer_id() >= 0).then(|| ProducerId::new(self.header.producer_id()))
    }

    pub fn producer_epoch(&self) -> ProducerEpoch {
        ProducerEpoch::new(self.header.producer_epoch())
    }

    pub fn base_sequence(&self) -> Sequence {
        Sequence::new(self.header.base_sequence())
    }

    pub fn last_sequence(&self) -> Sequence {
        Sequence::new(self.header.last_sequence())
    }

    pub fn base_offset(&self) -> Offset {
        Offset::new(self.header.base_offset())
    }

    pub fn last_offset(&self) -> Offset {
        Offset::new(self.header.last_offset())
    }

    /// The offset after the batch.
    pub fn next_offset(&self) -> Offset {
        Offset::new(self.header.next_offset())
    }

    pub fn is_control(&self) -> bool {
        self.header.is_control()
    }

    pub fn is_transactional(&self) -> bool {
        self.header.is_transactional()
    }

    /// For a control batch that holds a transaction marker: `Some(marker)` when the marker was
    /// read, `Some(None)` when only the header is known. `None` otherwise (a data batch, an
    /// empty control batch, or another control record type).
    pub(crate) fn marker(&self) -> Option<Option<EndTxnMarker>> {
        match self.control {
            Control::EndTxn(marker) if self.header.record_count() > 0 => Some(Some(marker)),
            Control::HeaderOnly if self.header.record_count() > 0 => Some(None),
            _ => None,
        }
    }

    /// The metadata retained for this batch once appended.
    pub(crate) fn metadata(&self) -> BatchMetadata {
        BatchMetadata::new(
            self.last_sequence(),
            self.last_offset(),
            self.header.last_offset_delta(),
            self.header.max_timestamp(),
        )
    }
}

impl From<RecordBatchHeader> for ProducerBatch {
    fn from(header: RecordBatchHeader) -> Self {
        Self::new(header)
    }
}

impl From<&RecordBatchHeader> for ProducerBatch {
    fn from(header: &RecordBatchHeader) -> Self {
        Self::new(*header)
    }
}

impl From<&ProducerBatch> for ProducerBatch {
    fn from(batch: &ProducerBatch) -> Self {
        *batch
    }
}
