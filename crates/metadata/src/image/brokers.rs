//! Registered brokers: the current incarnation of each id, its endpoints, rack and fencing state.

use std::collections::BTreeMap;

use flotilla_model::NodeId;

use crate::records::{BrokerEpoch, Endpoint};

/// A broker's current registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistration {
    pub id: NodeId,
    /// The offset of the batch that registered this incarnation.
    pub epoch: BrokerEpoch,
    pub incarnation_id: uuid::Uuid,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
    /// A fenced broker may not lead or be in an ISR.
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

impl BrokerRegistration {
    /// May lead, join ISRs and receive new replicas: unfenced and not shutting down.
    pub fn is_active(&self) -> bool {
        !self.fenced && !self.in_controlled_shutdown
    }

    /// The endpoint of a listener, by name.
    pub fn endpoint(&self, listener: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.listener == listener)
    }
}

/// All registered brokers, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokersImage {
    pub(crate) brokers: BTreeMap<NodeId, BrokerRegistration>,
}

impl BrokersImage {
    pub fn get(&self, id: NodeId) -> Option<&BrokerRegistration> {
        self.brokers.get(&id)
    }

    /// Every registration, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &BrokerRegistration> {
        self.brokers.values()
    }

    pub fn len(&self) -> usize {
        self.brokers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.brokers.is_empty()
    }

    /// Registered and unfenced (possibly in controlled shutdown), in id order.
    pub fn unfenced(&self) -> impl Iterator<Item = &BrokerRegistration> {
        self.brokers.values().filter(|b| !b.fenced)
    }

    /// Registered, unfenced and not shutting down, in id order: the brokers that may take new work.
    pub fn active(&self) -> impl Iterator<Item = &BrokerRegistration> {
        self.brokers.values().filter(|b| b.is_active())
    }

    /// True when `id` is registered, unfenced and not shutting down.
    pub fn is_active(&self, id: NodeId) -> bool {
        self.brokers.get(&id).is_some_and(BrokerRegistration::is_active)
    }
}
