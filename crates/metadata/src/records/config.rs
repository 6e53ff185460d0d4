//! Dynamic config overrides, one key per record.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a config override applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConfigResourceType {
    Topic,
    Broker,
}

impl ConfigResourceType {
    /// Kafka's wire value (`ConfigResource.Type`): TOPIC = 2, BROKER = 4.
    pub const fn id(self) -> i8 {
        match self {
            ConfigResourceType::Topic => 2,
            ConfigResourceType::Broker => 4,
        }
    }

    pub const fn from_id(id: i8) -> Option<Self> {
        match id {
            2 => Some(ConfigResourceType::Topic),
            4 => Some(ConfigResourceType::Broker),
            _ => None,
        }
    }
}

/// A config resource: a topic by name, a broker by id, or (`Broker` with an empty name) the cluster-wide
/// broker default.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConfigResource {
    pub resource_type: ConfigResourceType,
    pub name: String,
}

impl ConfigResource {
    pub fn topic(name: &str) -> Self {
        Self { resource_type: ConfigResourceType::Topic, name: name.to_string() }
    }

    pub fn broker(id: flotilla_model::NodeId) -> Self {
        Self { resource_type: ConfigResourceType::Broker, name: id.to_string() }
    }

    /// The cluster-wide default for every broker.
    pub fn broker_default() -> Self {
        Self { resource_type: ConfigResourceType::Broker, name: String::new() }
    }
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.resource_type, self.name.is_empty()) {
            (ConfigResourceType::Topic, _) => write!(f, "topic {}", self.name),
            (ConfigResourceType::Broker, true) => f.write_str("broker default"),
            (ConfigResourceType::Broker, false) => write!(f, "broker {}", self.name),
        }
    }
}

/// Sets (`Some`) or deletes (`None`) one override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    pub resource: ConfigResource,
    pub key: String,
    pub value: Option<String>,
}
