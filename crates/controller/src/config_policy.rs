//! [`ServerConfigPolicy`]: the metadata crate's [`ConfigPolicy`] hook over the config crate, so
//! CreateTopics and IncrementalAlterConfigs accept exactly the overrides the broker can use.
//!
//! - Topic overrides are checked with [`TopicConfig::validate_overrides`] against the server's
//!   defaults (unknown keys, bad values, cross-key rules), with Kafka's messages.
//! - Broker overrides (a broker id, or the cluster-wide default): Flotilla's broker configs are
//!   static (`describe_broker` reports them read-only), so only the keys the controller itself
//!   reads from the image may change at runtime: `unclean.leader.election.enable`.

use std::collections::BTreeMap;
use std::sync::Arc;

use flotilla_config::server_keys::key_def;
use flotilla_config::topic::topic_key;
use flotilla_config::{ConfigType, ServerConfig, TopicConfig};
use flotilla_metadata::controller::configs::ConfigPolicy;
use flotilla_metadata::controller::partitions::UNCLEAN_LEADER_ELECTION_ENABLE;
use flotilla_metadata::{ConfigResource, ConfigResourceType};

/// Broker keys that may be overridden at runtime.
const DYNAMIC_BROKER_KEYS: &[&str] = &[UNCLEAN_LEADER_ELECTION_ENABLE];

/// Config validation by the node's [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigPolicy {
    server: Arc<ServerConfig>,
}

impl ServerConfigPolicy {
    pub fn new(server: Arc<ServerConfig>) -> Self {
        Self { server }
    }
}

impl ConfigPolicy for ServerConfigPolicy {
    fn is_list(&self, resource_type: ConfigResourceType, key: &str) -> bool {
        let config_type = match resource_type {
            ConfigResourceType::Topic => topic_key(key).map(|k| k.def.config_type),
            ConfigResourceType::Broker => key_def(key).map(|d| d.config_type),
        };
        config_type == Some(ConfigType::List)
    }

    fn default_value(&self, resource_type: ConfigResourceType, key: &str) -> Option<String> {
        match resource_type {
            ConfigResourceType::Topic => self
                .server
                .describe_topic(std::iter::empty::<(&str, &str)>())
                .ok()?
                .into_iter()
                .find(|entry| entry.name == key)
                .and_then(|entry| entry.value),
            ConfigResourceType::Broker => {
                self.server.describe_broker().into_iter().find(|entry| entry.name == key).and_then(|entry| entry.value)
            }
        }
    }

    fn validate(&self, resource: &ConfigResource, overrides: &BTreeMap<String, String>) -> Result<(), String> {
        match resource.resource_type {
            ConfigResourceType::Topic => {
                TopicConfig::validate_overrides(&self.server, overrides).map_err(|e| e.to_string())
            }
            ConfigResourceType::Broker => {
                let fixed: Vec<&str> =
                    overrides.keys().map(String::as_str).filter(|key| !DYNAMIC_BROKER_KEYS.contains(key)).collect();
                if !fixed.is_empty() {
                    return Err(format!("Cannot update these configs dynamically: [{}]", fixed.join(", ")));
                }
                for (key, value) in overrides {
                    if let Some(def) = key_def(key) {
                        def.parse(value).map_err(|e| e.to_string())?;
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn policy() -> ServerConfigPolicy {
        ServerConfigPolicy::new(Arc::new(ServerConfig::single_node_default().unwrap()))
    }

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn topic_overrides_are_checked_by_the_config_crate() {
        let p = policy();
        let topic = ConfigResource::topic("t");
        assert!(p.validate(&topic, &map(&[("retention.ms", "1000"), ("cleanup.policy", "compact")])).is_ok());
        let unknown = p.validate(&topic, &map(&[("no.such.key", "1")])).unwrap_err();
        assert!(unknown.contains("no.such.key"), "{unknown}");
        assert!(p.validate(&topic, &map(&[("retention.ms", "soon")])).is_err());
        assert!(p.is_list(ConfigResourceType::Topic, "cleanup.policy"));
        assert!(!p.is_list(ConfigResourceType::Topic, "retention.ms"));
        assert_eq!(p.default_value(ConfigResourceType::Topic, "cleanup.policy").as_deref(), Some("delete"));
    }

    #[test]
    fn only_dynamic_broker_keys_may_change() {
        let p = policy();
        let default = ConfigResource::broker_default();
        assert!(p.validate(&default, &map(&[(UNCLEAN_LEADER_ELECTION_ENABLE, "true")])).is_ok());
        assert!(p.validate(&default, &map(&[(UNCLEAN_LEADER_ELECTION_ENABLE, "maybe")])).is_err());
        let fixed = p.validate(&default, &map(&[("num.partitions", "3")])).unwrap_err();
        assert!(fixed.contains("dynamically"), "{fixed}");
    }
}
