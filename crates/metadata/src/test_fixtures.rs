//! Builders shared by the unit tests: a log that commits batches at increasing offsets, and clusters of
//! registered, unfenced brokers.

#![allow(clippy::unwrap_used)]

use flotilla_model::{NodeId, TopicId};

use crate::delta::{ApplyError, MetadataDelta};
use crate::image::MetadataImage;
use crate::records::{
    BrokerEpoch, Endpoint, LogPosition, MetadataBatch, MetadataRecord, RegisterBrokerRecord, SecurityProtocol,
    UnfenceBrokerRecord,
};

pub(crate) fn node(id: i32) -> NodeId {
    NodeId::new(id)
}

pub(crate) fn nodes(ids: &[i32]) -> Vec<NodeId> {
    ids.iter().copied().map(NodeId::new).collect()
}

pub(crate) fn topic_id(n: u128) -> TopicId {
    TopicId::new(uuid::Uuid::from_u128(n))
}

pub(crate) fn register_record(id: i32, incarnation: u128, rack: Option<&str>) -> MetadataRecord {
    MetadataRecord::RegisterBroker(RegisterBrokerRecord {
        broker_id: node(id),
        incarnation_id: uuid::Uuid::from_u128(incarnation),
        endpoints: vec![Endpoint {
            listener: "PLAINTEXT".into(),
            host: format!("broker-{id}"),
            port: 9092,
            security_protocol: SecurityProtocol::Plaintext,
        }],
        rack: rack.map(str::to_string),
        fenced: true,
    })
}

/// A metadata log in memory: every commit is one batch at the next offset.
#[derive(Debug, Clone)]
pub(crate) struct Log {
    pub image: MetadataImage,
    pub batches: Vec<MetadataBatch>,
}

impl Log {
    pub fn new() -> Self {
        Self { image: MetadataImage::empty(), batches: Vec::new() }
    }

    pub fn commit(&mut self, records: Vec<MetadataRecord>) -> Result<(), ApplyError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = MetadataBatch { position: LogPosition::new(self.image.position().offset + 1, 1), records };
        let mut delta = MetadataDelta::new(&self.image);
        delta.apply_batch(&batch)?;
        self.image = delta.finish();
        self.batches.push(batch);
        Ok(())
    }

    /// Registers `id` and unfences it.
    pub fn add_broker(&mut self, id: i32, rack: Option<&str>) {
        self.commit(vec![register_record(id, id as u128, rack)]).unwrap();
        let epoch = self.epoch(id);
        self.commit(vec![MetadataRecord::UnfenceBroker(UnfenceBrokerRecord {
            broker_id: node(id),
            broker_epoch: epoch,
        })])
        .unwrap();
    }

    pub fn epoch(&self, id: i32) -> BrokerEpoch {
        self.image.brokers().get(node(id)).unwrap().epoch
    }

    /// A log with brokers `ids`, all unfenced, no racks.
    pub fn with_brokers(ids: &[i32]) -> Self {
        let mut log = Self::new();
        for id in ids {
            log.add_broker(*id, None);
        }
        log
    }
}
