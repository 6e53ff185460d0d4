//! The producer id allocator's state: where the next block starts.

use flotilla_model::ProducerId;

/// Producer ids below `next_producer_id` have been handed out in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProducerIdsImage {
    pub(crate) next_producer_id: i64,
}

impl ProducerIdsImage {
    /// Where the next block starts.
    pub fn next_producer_id(&self) -> ProducerId {
        ProducerId::new(self.next_producer_id)
    }
}
