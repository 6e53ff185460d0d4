//! Broker registrations and their changes: register (a new incarnation replaces the old one), fence,
//! unfence, enter controlled shutdown, unregister.

use std::fmt;

use flotilla_model::NodeId;
use serde::{Deserialize, Serialize};

use super::wire;

/// A broker's epoch: the offset of the metadata batch that registered its current incarnation. Requests
/// from the broker (heartbeats, AlterPartition, producer id blocks) carry it, so a previous incarnation's
/// late requests are recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerEpoch(i64);

impl BrokerEpoch {
    pub const fn new(epoch: i64) -> Self {
        Self(epoch)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for BrokerEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Kafka's security protocols, as named in `listener.security.protocol.map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's wire id (`SecurityProtocol.id`), used in BrokerRegistration and Metadata responses.
    pub const fn id(self) -> i16 {
        match self {
            SecurityProtocol::Plaintext => 0,
            SecurityProtocol::Ssl => 1,
            SecurityProtocol::SaslPlaintext => 2,
            SecurityProtocol::SaslSsl => 3,
        }
    }

    pub const fn from_id(id: i16) -> Option<Self> {
        match id {
            0 => Some(SecurityProtocol::Plaintext),
            1 => Some(SecurityProtocol::Ssl),
            2 => Some(SecurityProtocol::SaslPlaintext),
            3 => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }
}

/// One advertised listener of a broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// The listener name, e.g. `PLAINTEXT` or `CONTROLLER`.
    pub listener: String,
    pub host: String,
    pub port: u16,
    pub security_protocol: SecurityProtocol,
}

/// A broker incarnation registers. Replaces any previous registration of the same id; the broker epoch
/// is the offset of the batch this record is committed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterBrokerRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    /// Random per process start: tells a restarted broker from a retried registration.
    pub incarnation_id: uuid::Uuid,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
    /// True for every new registration: the broker is unfenced once it has caught up with the log.
    pub fenced: bool,
}

/// The broker leaves the cluster for good (decommissioning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnregisterBrokerRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
}

/// The broker may no longer lead or be in an ISR (session expired, or it asked to be fenced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceBrokerRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
}

/// The broker has caught up with the metadata log and may lead and join ISRs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfenceBrokerRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
}

/// The broker asked to shut down: it stays registered but takes no new leaderships or ISR places (Kafka's
/// `BrokerRegistrationChangeRecord` with `inControlledShutdown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerControlledShutdownRecord {
    #[serde(with = "wire")]
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
}
