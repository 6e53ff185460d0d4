//! DescribeConfigs entries for a broker and for a topic: every config with its value, its source and its
//! synonyms, computed the way Kafka's `ConfigHelper` does.
//!
//! A broker key's synonyms are the keys that can set it, highest priority first (`log.retention.ms`,
//! `.minutes`, `.hours`); each that is set in the file or environment contributes a
//! `STATIC_BROKER_CONFIG` synonym with the value as written, and each with a Kafka default a
//! `DEFAULT_CONFIG` one. Synonyms before the described key's own name are dropped, as Kafka drops them.
//! A topic key's synonyms are its `DYNAMIC_TOPIC_CONFIG` override, if any, then those of its server
//! synonym. The entry's source is its first synonym's, or `DEFAULT_CONFIG` when there is none.

use crate::error::ConfigError;
use crate::key::{ConfigType, KeyDef, Value};
use crate::server::ServerConfig;
use crate::server_keys;
use crate::topic::{resolve_values, TOPIC_KEYS};

pub use flotilla_model::ConfigSource;

/// One way a config gets its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// One config of a DescribeConfigs result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// `None` where Kafka reports null: no value and no default, or a sensitive value.
    pub value: Option<String>,
    pub source: ConfigSource,
    /// Broker configs cannot be changed at runtime in Flotilla; topic configs can.
    pub read_only: bool,
    pub is_sensitive: bool,
    pub config_type: ConfigType,
    /// Always computed; a handler drops them when the request does not include synonyms.
    pub synonyms: Vec<ConfigSynonym>,
}

impl ServerConfig {
    /// DescribeConfigs for this broker (resource name = its node id), sorted by name.
    pub fn describe_broker(&self) -> Vec<ConfigEntry> {
        server_keys::described()
            .into_iter()
            .map(|def| {
                let is_sensitive = def.config_type == ConfigType::Password;
                let value = if is_sensitive { None } else { self.values().get(def.name).map(Value::to_string) };
                let synonyms = self.broker_synonyms(def.name, is_sensitive);
                ConfigEntry {
                    name: def.name.to_string(),
                    value,
                    source: synonyms.first().map_or(ConfigSource::DefaultConfig, |s| s.source),
                    read_only: true,
                    is_sensitive,
                    config_type: def.config_type,
                    synonyms,
                }
            })
            .collect()
    }

    /// DescribeConfigs for a topic with `overrides` (topic key → value as stored), sorted by name.
    pub fn describe_topic<I, K, V>(&self, overrides: I) -> Result<Vec<ConfigEntry>, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let resolved = resolve_values(self.topic_default_values(), overrides)?;
        Ok(TOPIC_KEYS
            .iter()
            .map(|key| {
                let name = key.def.name;
                let value = resolved.values.get(name).map(Value::to_string);
                let mut synonyms = match key.server_synonym {
                    Some(server_key) => self.broker_synonyms(server_key, false),
                    None => Vec::new(),
                };
                if resolved.overridden.contains(name) {
                    let own = ConfigSynonym {
                        name: name.to_string(),
                        value: value.clone(),
                        source: ConfigSource::DynamicTopicConfig,
                    };
                    synonyms.insert(0, own);
                }
                ConfigEntry {
                    name: name.to_string(),
                    value,
                    source: synonyms.first().map_or(ConfigSource::DefaultConfig, |s| s.source),
                    read_only: false,
                    is_sensitive: false,
                    config_type: key.def.config_type,
                    synonyms,
                }
            })
            .collect())
    }

    /// Kafka's `configSynonyms(name, brokerConfigSynonyms(name))` for static configs.
    fn broker_synonyms(&self, name: &str, is_sensitive: bool) -> Vec<ConfigSynonym> {
        let names = synonym_names(name);
        let mut synonyms = Vec::new();
        for synonym in names {
            if let Some(raw) = self.originals().get(*synonym) {
                let value = (!is_sensitive).then(|| raw.value.clone());
                synonyms.push(ConfigSynonym {
                    name: synonym.to_string(),
                    value,
                    source: ConfigSource::StaticBrokerConfig,
                });
            }
        }
        for synonym in names {
            let default = server_keys::key_def(synonym).and_then(KeyDef::default_value);
            if let Some(default) = default {
                let value = (!is_sensitive).then(|| default.to_string());
                synonyms.push(ConfigSynonym { name: synonym.to_string(), value, source: ConfigSource::DefaultConfig });
            }
        }
        let own = synonyms.iter().position(|s| s.name == name).unwrap_or(synonyms.len());
        synonyms.split_off(own)
    }
}

/// Kafka's `DynamicBrokerConfig.brokerConfigSynonyms`: the keys that set `name`, highest priority first.
fn synonym_names(name: &str) -> &'static [&'static str] {
    const ROLL: &[&str] = &["log.roll.ms", "log.roll.hours"];
    const JITTER: &[&str] = &["log.roll.jitter.ms", "log.roll.jitter.hours"];
    const FLUSH: &[&str] = &["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    const RETENTION: &[&str] = &["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    match name {
        "log.roll.ms" | "log.roll.hours" => ROLL,
        "log.roll.jitter.ms" | "log.roll.jitter.hours" => JITTER,
        "log.flush.interval.ms" => FLUSH,
        "log.retention.ms" | "log.retention.minutes" | "log.retention.hours" => RETENTION,
        _ => server_keys::key_def(name).map_or(&[], |d| std::slice::from_ref(&d.name)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn config(text: &str) -> ServerConfig {
        let base = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
                    listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n";
        ServerConfig::load(Some(&format!("{base}{text}")), std::iter::empty::<(&str, &str)>()).unwrap().config
    }

    fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
        entries.iter().find(|e| e.name == name).unwrap()
    }

    fn synonyms(e: &ConfigEntry) -> Vec<(String, Option<String>, &'static str)> {
        e.synonyms.iter().map(|s| (s.name.clone(), s.value.clone(), s.source.name())).collect()
    }

    fn syn(name: &str, value: &str, source: &'static str) -> (String, Option<String>, &'static str) {
        (name.to_string(), Some(value.to_string()), source)
    }

    #[test]
    fn broker_entries_report_static_and_default_sources() {
        let c = config("num.partitions=3\nlog.retention.hours=24\n");
        let entries = c.describe_broker();
        assert!(entries.windows(2).all(|w| w[0].name < w[1].name), "sorted");

        let partitions = entry(&entries, "num.partitions");
        assert_eq!(partitions.value.as_deref(), Some("3"));
        assert_eq!(partitions.source, ConfigSource::StaticBrokerConfig);
        assert_eq!(partitions.config_type, ConfigType::Int);
        assert!(partitions.read_only);
        assert_eq!(
            synonyms(partitions),
            vec![syn("num.partitions", "3", "STATIC_BROKER_CONFIG"), syn("num.partitions", "1", "DEFAULT_CONFIG")]
        );

        let replication = entry(&entries, "default.replication.factor");
        assert_eq!(replication.value.as_deref(), Some("1"));
        assert_eq!(replication.source, ConfigSource::DefaultConfig);

        let hours = entry(&entries, "log.retention.hours");
        assert_eq!(hours.source, ConfigSource::StaticBrokerConfig);
        assert_eq!(
            synonyms(hours),
            vec![
                syn("log.retention.hours", "24", "STATIC_BROKER_CONFIG"),
                syn("log.retention.hours", "168", "DEFAULT_CONFIG")
            ]
        );
        // log.retention.ms is unset and has no default: null value, no synonyms (Kafka drops the
        // lower-priority ones), DEFAULT_CONFIG.
        let ms = entry(&entries, "log.retention.ms");
        assert_eq!(ms.value, None);
        assert!(ms.synonyms.is_empty());
        assert_eq!(ms.source, ConfigSource::DefaultConfig);

        let rack = entry(&entries, "broker.rack");
        assert_eq!(rack.value, None);
        // node.id given: broker.id reports it too.
        let broker_id = entry(&entries, "broker.id");
        assert_eq!(broker_id.value.as_deref(), Some("1"));
        assert_eq!(broker_id.source, ConfigSource::StaticBrokerConfig);
        let roles = entry(&entries, "process.roles");
        assert_eq!(roles.value.as_deref(), Some("broker,controller"));
        assert_eq!(roles.config_type, ConfigType::List);
        let ratio = entry(&entries, "log.cleaner.min.cleanable.ratio");
        assert_eq!(ratio.value.as_deref(), Some("0.5"));
    }

    #[test]
    fn topic_entries_report_overrides_then_broker_synonyms() {
        let c = config("log.segment.bytes=2097152\n");
        let entries = c.describe_topic([("cleanup.policy", "compact"), ("retention.ms", "1000")]).unwrap();
        assert_eq!(entries.len(), TOPIC_KEYS.len());

        let cleanup = entry(&entries, "cleanup.policy");
        assert_eq!(cleanup.value.as_deref(), Some("compact"));
        assert_eq!(cleanup.source, ConfigSource::DynamicTopicConfig);
        assert!(!cleanup.read_only);
        assert_eq!(
            synonyms(cleanup),
            vec![
                syn("cleanup.policy", "compact", "DYNAMIC_TOPIC_CONFIG"),
                syn("log.cleanup.policy", "delete", "DEFAULT_CONFIG")
            ]
        );

        let retention = entry(&entries, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("1000"));
        assert_eq!(synonyms(retention), vec![syn("retention.ms", "1000", "DYNAMIC_TOPIC_CONFIG")]);

        let segment = entry(&entries, "segment.bytes");
        assert_eq!(segment.value.as_deref(), Some("2097152"));
        assert_eq!(segment.source, ConfigSource::StaticBrokerConfig);
        assert_eq!(
            synonyms(segment),
            vec![
                syn("log.segment.bytes", "2097152", "STATIC_BROKER_CONFIG"),
                syn("log.segment.bytes", "1073741824", "DEFAULT_CONFIG")
            ]
        );

        let max_message = entry(&entries, "max.message.bytes");
        assert_eq!(max_message.value.as_deref(), Some("1048588"));
        assert_eq!(max_message.source, ConfigSource::DefaultConfig);
        assert_eq!(synonyms(max_message), vec![syn("message.max.bytes", "1048588", "DEFAULT_CONFIG")]);

        let ratio = entry(&entries, "min.cleanable.dirty.ratio");
        assert_eq!(ratio.value.as_deref(), Some("0.5"));
        assert_eq!(ratio.config_type, ConfigType::Double);

        let remote = entry(&entries, "remote.storage.enable");
        assert_eq!(remote.value.as_deref(), Some("false"));
        assert_eq!(remote.source, ConfigSource::DefaultConfig);
        assert!(remote.synonyms.is_empty());

        let segment_ms = entry(&entries, "segment.ms");
        assert_eq!(segment_ms.value.as_deref(), Some("604800000"));
        assert_eq!(synonyms(segment_ms), Vec::<(String, Option<String>, &str)>::new());
    }

    #[test]
    fn topic_describe_rejects_bad_overrides() {
        let c = config("");
        assert!(matches!(c.describe_topic([("nope", "1")]), Err(ConfigError::UnknownTopicConfig { .. })));
    }

    #[test]
    fn source_ids_match_kafka() {
        assert_eq!(ConfigSource::DynamicTopicConfig.wire_id(), 1);
        assert_eq!(ConfigSource::StaticBrokerConfig.wire_id(), 4);
        assert_eq!(ConfigSource::DefaultConfig.wire_id(), 5);
        assert_eq!(ConfigType::Long.wire_id(), 5);
        assert_eq!(ConfigType::List.wire_id(), 7);
    }
}
