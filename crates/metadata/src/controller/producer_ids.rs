//! AllocateProducerIds: brokers take producer ids in blocks from one cluster-wide counter, so ids are unique
//! without the brokers talking to each other.

use flotilla_model::{ErrorCode, NodeId, ProducerId};
use thiserror::Error;

use super::ControllerResult;
use crate::image::MetadataImage;
use crate::records::{BrokerEpoch, MetadataRecord, ProducerIdsRecord};

/// Kafka's block size (`ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`).
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

/// Why a block could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProducerIdsError {
    #[error("broker {0} is not registered")]
    NotRegistered(NodeId),
    #[error("broker {broker} sent epoch {request}, but its registration has epoch {current}")]
    StaleBrokerEpoch { broker: NodeId, current: BrokerEpoch, request: BrokerEpoch },
    #[error("Exhausted all producerIds as the next block's end producerId has exceeded the int64 type limit")]
    Exhausted,
}

impl ProducerIdsError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            ProducerIdsError::NotRegistered(_) => ErrorCode::BrokerIdNotRegistered,
            ProducerIdsError::StaleBrokerEpoch { .. } => ErrorCode::StaleBrokerEpoch,
            ProducerIdsError::Exhausted => ErrorCode::UnknownServerError,
        }
    }
}

/// The ids `first_producer_id .. first_producer_id + size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdBlock {
    pub first_producer_id: ProducerId,
    pub size: i64,
}

impl ProducerIdBlock {
    pub fn last_producer_id(&self) -> ProducerId {
        ProducerId::new(self.first_producer_id.get() + self.size - 1)
    }
}

/// Hands the next block to `broker_id`, which must be registered at `broker_epoch`.
pub fn allocate_producer_ids(
    image: &MetadataImage,
    broker_id: NodeId,
    broker_epoch: BrokerEpoch,
) -> ControllerResult<Result<ProducerIdBlock, ProducerIdsError>> {
    let Some(broker) = image.brokers().get(broker_id) else {
        return ControllerResult::response_only(Err(ProducerIdsError::NotRegistered(broker_id)));
    };
    if broker.epoch != broker_epoch {
        return ControllerResult::response_only(Err(ProducerIdsError::StaleBrokerEpoch {
            broker: broker_id,
            current: broker.epoch,
            request: broker_epoch,
        }));
    }
    let first = image.producer_ids().next_producer_id();
    if first.get().checked_add(PRODUCER_ID_BLOCK_SIZE).is_none() {
        return ControllerResult::response_only(Err(ProducerIdsError::Exhausted));
    }
    let record = ProducerIdsRecord { broker_id, broker_epoch, first_producer_id: first, size: PRODUCER_ID_BLOCK_SIZE };
    ControllerResult::new(
        vec![MetadataRecord::ProducerIds(record)],
        Ok(ProducerIdBlock { first_producer_id: first, size: PRODUCER_ID_BLOCK_SIZE }),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_fixtures::*;

    #[test]
    fn blocks_are_handed_out_in_order() {
        let mut log = Log::with_brokers(&[1, 2]);
        let r = allocate_producer_ids(&log.image, node(1), log.epoch(1));
        assert_eq!(r.response, Ok(ProducerIdBlock { first_producer_id: ProducerId::new(0), size: 1000 }));
        log.commit(r.records).unwrap();
        let r = allocate_producer_ids(&log.image, node(2), log.epoch(2));
        let block = r.response.unwrap();
        assert_eq!((block.first_producer_id.get(), block.last_producer_id().get()), (1000, 1999));
        log.commit(r.records).unwrap();
        assert_eq!(log.image.producer_ids().next_producer_id(), ProducerId::new(2000));
    }

    #[test]
    fn stale_or_unknown_broker_is_refused() {
        let log = Log::with_brokers(&[1]);
        let r = allocate_producer_ids(&log.image, node(1), BrokerEpoch::new(0));
        assert_eq!(r.response.unwrap_err().code(), ErrorCode::StaleBrokerEpoch);
        let r = allocate_producer_ids(&log.image, node(5), BrokerEpoch::new(0));
        assert_eq!(r.response.unwrap_err().code(), ErrorCode::BrokerIdNotRegistered);
        assert!(r.records.is_empty());
    }

    #[test]
    fn exhaustion_is_an_error_not_an_overflow() {
        let mut log = Log::with_brokers(&[1]);
        log.image.producer_ids.next_producer_id = i64::MAX - 10;
        let r = allocate_producer_ids(&log.image, node(1), log.epoch(1));
        assert_eq!(r.response, Err(ProducerIdsError::Exhausted));
    }
}
