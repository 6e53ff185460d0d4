//! Producer id blocks handed to brokers, so producer ids are unique across the cluster.

use flotilla_model::{NodeId, ProducerId};
use serde::{Deserialize, Serialize};

use super::{wire, BrokerEpoch};

/// The block `[first_producer_id, first_producer_id + size)` now belongs to `broker_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerIdsRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
    /// Must be the image's next producer id: blocks are handed out in order, without gaps or overlap.
    #[serde(with = "wire")]
    pub first_producer_id: ProducerId,
    pub size: i64,
}
