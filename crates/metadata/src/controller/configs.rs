//! IncrementalAlterConfigs: set, delete, append to and subtract from list-valued keys, per resource. What is a
//! valid value is the config crate's knowledge, reached through [`ConfigPolicy`]; this manager only turns the
//! operations into the resulting overrides and the records that get there.

use std::collections::BTreeMap;

use flotilla_model::ErrorCode;
use thiserror::Error;

use super::{ControllerResult, Staging};
use crate::delta::ApplyError;
use crate::image::MetadataImage;
use crate::records::{ConfigRecord, ConfigResource, ConfigResourceType, MetadataRecord};

/// What the caller knows about config keys (implemented over the config crate).
pub trait ConfigPolicy {
    /// Whether `key` is a list (comma separated), so APPEND and SUBTRACT apply to it.
    fn is_list(&self, _resource_type: ConfigResourceType, _key: &str) -> bool {
        false
    }

    /// The default a list starts from when APPEND or SUBTRACT finds no override.
    fn default_value(&self, _resource_type: ConfigResourceType, _key: &str) -> Option<String> {
        None
    }

    /// Checks a resource's overrides as they would be after the change: unknown keys, bad values,
    /// read-only keys. The message becomes the INVALID_CONFIG error message.
    fn validate(&self, _resource: &ConfigResource, _overrides: &BTreeMap<String, String>) -> Result<(), String> {
        Ok(())
    }
}

/// Accepts every key and value and knows no list keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAllConfigs;

impl ConfigPolicy for AcceptAllConfigs {}

/// Why a resource's changes were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("Topic {0} does not exist")]
    UnknownTopic(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidConfig(String),
    #[error("internal error: {0}")]
    Internal(ApplyError),
}

impl ConfigError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            ConfigError::UnknownTopic(_) => ErrorCode::UnknownTopicOrPartition,
            ConfigError::InvalidRequest(_) => ErrorCode::InvalidRequest,
            ConfigError::InvalidConfig(_) => ErrorCode::InvalidConfig,
            ConfigError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }
}

/// Kafka's `AlterConfigOp.OpType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterConfigOp {
    Set(String),
    Delete,
    /// Adds the value's comma-separated items a list does not hold yet.
    Append(String),
    /// Removes the value's comma-separated items from a list.
    Subtract(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigEntry {
    pub key: String,
    pub op: AlterConfigOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResource {
    pub resource: ConfigResource,
    pub entries: Vec<AlterConfigEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResult {
    pub resource: ConfigResource,
    pub result: Result<(), ConfigError>,
}

/// IncrementalAlterConfigs: each resource's changes succeed or fail together. Only keys whose value changes
/// produce records; `validate_only` checks everything and produces none.
pub fn incremental_alter_configs(
    image: &MetadataImage,
    resources: &[AlterConfigsResource],
    validate_only: bool,
    policy: &dyn ConfigPolicy,
) -> ControllerResult<Vec<AlterConfigsResult>> {
    let mut staging = Staging::new(image);
    let mut results = Vec::with_capacity(resources.len());
    for resource in resources {
        let result = plan(staging.image(), resource, policy).and_then(|records| {
            records.into_iter().try_for_each(|r| staging.push(MetadataRecord::Config(r))).map_err(ConfigError::Internal)
        });
        if let Err(ConfigError::Internal(e)) = &result {
            let failed = resources.iter().map(|r| AlterConfigsResult {
                resource: r.resource.clone(),
                result: Err(ConfigError::Internal(e.clone())),
            });
            return ControllerResult::response_only(failed.collect());
        }
        results.push(AlterConfigsResult { resource: resource.resource.clone(), result });
    }
    let records = if validate_only { Vec::new() } else { staging.records() };
    ControllerResult::new(records, results)
}

/// The records for one resource's changes, after checking them.
fn plan(
    image: &MetadataImage,
    request: &AlterConfigsResource,
    policy: &dyn ConfigPolicy,
) -> Result<Vec<ConfigRecord>, ConfigError> {
    let resource = &request.resource;
    match resource.resource_type {
        ConfigResourceType::Topic => {
            if image.topics().by_name(&resource.name).is_none() {
                return Err(ConfigError::UnknownTopic(resource.name.clone()));
            }
        }
        ConfigResourceType::Broker => {
            if !resource.name.is_empty() && resource.name.parse::<i32>().map_or(true, |id| id < 0) {
                return Err(ConfigError::InvalidRequest(format!(
                    "Invalid broker name {:?}: a broker id or empty for the cluster default",
                    resource.name
                )));
            }
        }
    }
    let keys: Vec<&str> = request.entries.iter().map(|e| e.key.as_str()).collect();
    if let Some(dup) = keys.iter().enumerate().find(|(i, k)| keys[..*i].contains(k)).map(|(_, k)| *k) {
        return Err(ConfigError::InvalidRequest(format!("Error due to duplicate config keys: {dup}")));
    }
    let current = image.configs().overrides(resource).cloned().unwrap_or_default();
    let mut next = current.clone();
    for entry in &request.entries {
        let list_base = || -> Result<Vec<String>, ConfigError> {
            if !policy.is_list(resource.resource_type, &entry.key) {
                return Err(ConfigError::InvalidConfig(format!(
                    "Config value append/subtract is not allowed for config key {} because it is not a list",
                    entry.key
                )));
            }
            let base =
                next.get(&entry.key).cloned().or_else(|| policy.default_value(resource.resource_type, &entry.key));
            Ok(split_list(base.as_deref().unwrap_or("")))
        };
        match &entry.op {
            AlterConfigOp::Set(value) => {
                next.insert(entry.key.clone(), value.clone());
            }
            AlterConfigOp::Delete => {
                next.remove(&entry.key);
            }
            AlterConfigOp::Append(value) => {
                let mut items = list_base()?;
                for item in split_list(value) {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
                next.insert(entry.key.clone(), items.join(","));
            }
            AlterConfigOp::Subtract(value) => {
                let remove = split_list(value);
                let items: Vec<String> = list_base()?.into_iter().filter(|i| !remove.contains(i)).collect();
                next.insert(entry.key.clone(), items.join(","));
            }
        }
    }
    policy.validate(resource, &next).map_err(ConfigError::InvalidConfig)?;
    let mut records = Vec::new();
    for entry in &request.entries {
        let before = current.get(&entry.key);
        let after = next.get(&entry.key);
        if before != after {
            records.push(ConfigRecord { resource: resource.clone(), key: entry.key.clone(), value: after.cloned() });
        }
    }
    Ok(records)
}

fn split_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_model::TopicName;

    use super::*;
    use crate::records::TopicRecord;
    use crate::test_fixtures::*;

    struct Lists;
    impl ConfigPolicy for Lists {
        fn is_list(&self, _: ConfigResourceType, key: &str) -> bool {
            key == "cleanup.policy"
        }
        fn default_value(&self, _: ConfigResourceType, key: &str) -> Option<String> {
            (key == "cleanup.policy").then(|| "delete".to_string())
        }
        fn validate(&self, _: &ConfigResource, overrides: &BTreeMap<String, String>) -> Result<(), String> {
            match overrides.get("retention.ms") {
                Some(v) if v.parse::<i64>().is_err() => Err(format!("Invalid value {v} for retention.ms")),
                _ => Ok(()),
            }
        }
    }

    fn log_with_topic() -> Log {
        let mut log = Log::with_brokers(&[1]);
        log.commit(vec![MetadataRecord::Topic(TopicRecord {
            name: TopicName::new("t").unwrap(),
            topic_id: topic_id(1),
        })])
        .unwrap();
        log
    }

    fn alter(resource: ConfigResource, entries: Vec<(&str, AlterConfigOp)>) -> AlterConfigsResource {
        AlterConfigsResource {
            resource,
            entries: entries.into_iter().map(|(k, op)| AlterConfigEntry { key: k.into(), op }).collect(),
        }
    }

    fn apply(log: &mut Log, request: AlterConfigsResource) -> Result<(), ConfigError> {
        let r = incremental_alter_configs(&log.image, &[request], false, &Lists);
        let result = r.response[0].result.clone();
        log.commit(r.records).unwrap();
        result
    }

    #[test]
    fn set_delete_append_subtract() {
        let mut log = log_with_topic();
        let t = ConfigResource::topic("t");
        apply(&mut log, alter(t.clone(), vec![("retention.ms", AlterConfigOp::Set("100".into()))])).unwrap();
        assert_eq!(log.image.configs().get(&t, "retention.ms"), Some("100"));
        apply(&mut log, alter(t.clone(), vec![("cleanup.policy", AlterConfigOp::Append("compact".into()))])).unwrap();
        assert_eq!(log.image.configs().get(&t, "cleanup.policy"), Some("delete,compact"));
        apply(&mut log, alter(t.clone(), vec![("cleanup.policy", AlterConfigOp::Append("compact".into()))])).unwrap();
        assert_eq!(log.image.configs().get(&t, "cleanup.policy"), Some("delete,compact"));
        apply(&mut log, alter(t.clone(), vec![("cleanup.policy", AlterConfigOp::Subtract("delete".into()))])).unwrap();
        assert_eq!(log.image.configs().get(&t, "cleanup.policy"), Some("compact"));
        apply(&mut log, alter(t.clone(), vec![("retention.ms", AlterConfigOp::Delete)])).unwrap();
        assert_eq!(log.image.configs().get(&t, "retention.ms"), None);
    }

    #[test]
    fn unchanged_values_produce_no_records_and_validate_only_none() {
        let mut log = log_with_topic();
        let t = ConfigResource::topic("t");
        apply(&mut log, alter(t.clone(), vec![("retention.ms", AlterConfigOp::Set("100".into()))])).unwrap();
        let same = alter(t.clone(), vec![("retention.ms", AlterConfigOp::Set("100".into()))]);
        assert!(incremental_alter_configs(&log.image, &[same], false, &Lists).records.is_empty());
        let other = alter(t, vec![("retention.ms", AlterConfigOp::Set("5".into()))]);
        let r = incremental_alter_configs(&log.image, &[other], true, &Lists);
        assert!(r.records.is_empty() && r.response[0].result.is_ok());
    }

    #[test]
    fn errors_carry_kafka_codes_and_fail_the_whole_resource() {
        let log = log_with_topic();
        let t = ConfigResource::topic("t");
        let cases = vec![
            (
                alter(ConfigResource::topic("nope"), vec![("a", AlterConfigOp::Delete)]),
                ErrorCode::UnknownTopicOrPartition,
            ),
            (
                alter(ConfigResource { resource_type: ConfigResourceType::Broker, name: "x".into() }, vec![]),
                ErrorCode::InvalidRequest,
            ),
            (
                alter(t.clone(), vec![("a", AlterConfigOp::Delete), ("a", AlterConfigOp::Delete)]),
                ErrorCode::InvalidRequest,
            ),
            (alter(t.clone(), vec![("retention.ms", AlterConfigOp::Append("1".into()))]), ErrorCode::InvalidConfig),
            (
                alter(
                    t,
                    vec![
                        ("segment.ms", AlterConfigOp::Set("1".into())),
                        ("retention.ms", AlterConfigOp::Set("x".into())),
                    ],
                ),
                ErrorCode::InvalidConfig,
            ),
        ];
        for (request, expected) in cases {
            let r = incremental_alter_configs(&log.image, std::slice::from_ref(&request), false, &Lists);
            assert_eq!(r.response[0].result.as_ref().unwrap_err().code(), expected, "{request:?}");
            assert!(r.records.is_empty());
        }
    }

    #[test]
    fn broker_and_cluster_default_resources() {
        let mut log = Log::new();
        apply(
            &mut log,
            alter(ConfigResource::broker(node(3)), vec![("log.retention.ms", AlterConfigOp::Set("1".into()))]),
        )
        .unwrap();
        apply(
            &mut log,
            alter(ConfigResource::broker_default(), vec![("log.retention.ms", AlterConfigOp::Set("2".into()))]),
        )
        .unwrap();
        assert_eq!(log.image.configs().get(&ConfigResource::broker(node(3)), "log.retention.ms"), Some("1"));
        assert_eq!(log.image.configs().get(&ConfigResource::broker_default(), "log.retention.ms"), Some("2"));
    }
}
