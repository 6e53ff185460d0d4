//! DescribeConfigs (key 32), versions 1-4: topic configs (defaults from this broker's config plus the
//! topic's overrides in the image) and broker configs (this broker's own, by its id or the empty name
//! for cluster-wide defaults). `configuration_keys` filters by name; synonyms only with
//! `include_synonyms`; documentation is not carried (null: the config crate holds no doc strings). An
//! unknown topic is UNKNOWN_TOPIC_OR_PARTITION, an invalid name INVALID_TOPIC_EXCEPTION, another
//! broker's id or an unknown resource type INVALID_REQUEST.

use flotilla_config::ConfigEntry;
use flotilla_metadata::ConfigResourceType;
use flotilla_model::{ErrorCode, TopicName};
use flotilla_protocol::messages::describe_configs_request::DescribeConfigsResource;
use flotilla_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use flotilla_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DescribeConfigs, versions: VersionRange { min: 1, max: 4 }, advertised_min: 1 };

pub fn handle(broker: &Broker, _ctx: &RequestContext, request: &DescribeConfigsRequest) -> DescribeConfigsResponse {
    let results = request.resources.iter().map(|r| describe(broker, r, request.include_synonyms)).collect();
    DescribeConfigsResponse { results, ..Default::default() }
}

fn describe(broker: &Broker, resource: &DescribeConfigsResource, include_synonyms: bool) -> DescribeConfigsResult {
    let mut result = DescribeConfigsResult {
        resource_type: resource.resource_type,
        resource_name: resource.resource_name.clone(),
        ..Default::default()
    };
    let entries = match ConfigResourceType::from_id(resource.resource_type) {
        Some(ConfigResourceType::Topic) => {
            let image = broker.image();
            if TopicName::new(&resource.resource_name).is_err() {
                return failed(result, ErrorCode::InvalidTopicException, "Invalid topic name");
            }
            if image.topics().by_name(&resource.resource_name).is_none() {
                return failed(result, ErrorCode::UnknownTopicOrPartition, "Topic does not exist");
            }
            match broker.config().describe_topic(image.topic_config_overrides(&resource.resource_name)) {
                Ok(entries) => entries,
                Err(e) => return failed(result, ErrorCode::InvalidConfig, &e.to_string()),
            }
        }
        Some(ConfigResourceType::Broker) => {
            let name: &str = &resource.resource_name;
            if !name.is_empty() && name.parse::<i32>().ok() != Some(broker.node_id().get()) {
                return failed(result, ErrorCode::InvalidRequest, "Only this broker's configs can be described here");
            }
            broker.config().describe_broker()
        }
        None => return failed(result, ErrorCode::InvalidRequest, "Unsupported resource type"),
    };
    // Null or empty: every key, as Kafka's ConfigHelper does.
    let keys = resource.configuration_keys.as_ref().filter(|keys| !keys.is_empty());
    result.configs = entries
        .iter()
        .filter(|e| keys.is_none_or(|keys| keys.iter().any(|k| **k == *e.name)))
        .map(|e| entry(e, include_synonyms))
        .collect();
    result.error_code = ErrorCode::None.code();
    result
}

fn failed(mut result: DescribeConfigsResult, code: ErrorCode, message: &str) -> DescribeConfigsResult {
    result.error_code = code.code();
    result.error_message = Some(message.into());
    result
}

fn entry(entry: &ConfigEntry, include_synonyms: bool) -> DescribeConfigsResourceResult {
    let synonyms = if include_synonyms {
        entry
            .synonyms
            .iter()
            .map(|s| DescribeConfigsSynonym {
                name: s.name.as_str().into(),
                value: s.value.as_deref().map(Into::into),
                source: s.source.wire_id(),
                ..Default::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    DescribeConfigsResourceResult {
        name: entry.name.as_str().into(),
        value: entry.value.as_deref().map(Into::into),
        read_only: entry.read_only,
        config_source: entry.source.wire_id(),
        is_sensitive: entry.is_sensitive,
        synonyms,
        config_type: entry.config_type.wire_id(),
        documentation: None,
        ..Default::default()
    }
}
