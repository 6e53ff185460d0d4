//! CreateTopics (key 19), versions 2-7: topics created through the controller.
//!
//! -1 partitions or replication factor means the broker default (`num.partitions`,
//! `default.replication.factor`); `validate_only` checks and reports without creating. Each topic gets
//! its own error code and message (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
//! INVALID_TOPIC_EXCEPTION, INVALID_CONFIG, ...); a name given twice is INVALID_REQUEST. On success
//! (v5+) the answer carries the topic id (v7+), partitions, replication factor and the resulting configs.
//! The answer waits until this broker's image shows the new topics, so a Metadata that follows sees them.

use std::collections::HashMap;

use flotilla_config::ConfigEntry;
use flotilla_controller::operations::{self, CreatableTopic, ReplicaAssignment};
use flotilla_controller::ControllerClientExt;
use flotilla_model::{ErrorCode, NodeId, PartitionIndex, TopicId};
use flotilla_protocol::messages::create_topics_response::{CreatableTopicConfigs, CreatableTopicResult};
use flotilla_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::warn;

use super::{controller_error, ApiSupport, NO_CONTROLLER};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::CreateTopics, versions: VersionRange { min: 2, max: 7 }, advertised_min: 2 };

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for topic in &request.topics {
        *counts.entry(topic.name.as_ref()).or_default() += 1;
    }
    let mut answers: Vec<CreatableTopicResult> =
        request.topics.iter().map(|t| CreatableTopicResult { name: t.name.clone(), ..Default::default() }).collect();
    let mut sent = Vec::new();
    let mut slots = Vec::new();
    for (slot, topic) in request.topics.iter().enumerate() {
        if counts.get(&*topic.name).is_some_and(|n| *n > 1) {
            fail(&mut answers[slot], ErrorCode::InvalidRequest, format!("Duplicate topic name: {}", topic.name));
            continue;
        }
        slots.push(slot);
        sent.push(CreatableTopic {
            name: topic.name.to_string(),
            num_partitions: topic.num_partitions,
            replication_factor: topic.replication_factor,
            assignments: topic
                .assignments
                .iter()
                .map(|a| ReplicaAssignment {
                    partition: PartitionIndex::new(a.partition_index),
                    broker_ids: a.broker_ids.iter().copied().map(NodeId::new).collect(),
                })
                .collect(),
            configs: topic
                .configs
                .iter()
                .map(|c| (c.name.to_string(), c.value.as_deref().map(str::to_string)))
                .collect(),
        });
    }
    if sent.is_empty() {
        return CreateTopicsResponse { topics: answers, ..Default::default() };
    }
    let Some(controller) = broker.controller() else {
        for slot in slots {
            fail(&mut answers[slot], NO_CONTROLLER, "No controller to create topics with".to_string());
        }
        return CreateTopicsResponse { topics: answers, ..Default::default() };
    };
    let validate_only = request.validate_only;
    let mut created: Vec<(String, TopicId)> = Vec::new();
    match controller.create_topics(operations::CreateTopicsRequest { topics: sent, validate_only }).await {
        Ok(results) => {
            for (slot, result) in slots.into_iter().zip(results) {
                let answer = &mut answers[slot];
                match result.result {
                    Ok(topic) => {
                        answer.topic_id = topic.topic_id.get();
                        answer.num_partitions = topic.num_partitions;
                        answer.replication_factor = topic.replication_factor;
                        answer.configs = Some(describe(broker, &topic.configs));
                        if !validate_only {
                            created.push((result.name, topic.topic_id));
                        }
                    }
                    Err(e) => fail(answer, e.code(), e.message().to_string()),
                }
            }
        }
        Err(e) => {
            let (code, message) = controller_error(&e);
            for slot in slots {
                fail(&mut answers[slot], code, message.clone());
            }
        }
    }
    if !created.is_empty() {
        let shown = broker
            .wait_for_image(|image| {
                created.iter().all(|(name, id)| image.topics().by_name(name).is_some_and(|t| t.id() == *id))
            })
            .await;
        if !shown {
            warn!(topics = ?created, "created topics not yet in this broker's image");
        }
    }
    CreateTopicsResponse { topics: answers, ..Default::default() }
}

fn fail(answer: &mut CreatableTopicResult, code: ErrorCode, message: String) {
    answer.error_code = code.code();
    answer.error_message = Some(message.into());
    answer.configs = None;
}

fn describe(broker: &Broker, overrides: &std::collections::BTreeMap<String, String>) -> Vec<CreatableTopicConfigs> {
    match broker.config().describe_topic(overrides) {
        Ok(entries) => entries.iter().map(config).collect(),
        Err(e) => {
            warn!(error = %e, "describing a created topic's configs");
            Vec::new()
        }
    }
}

fn config(entry: &ConfigEntry) -> CreatableTopicConfigs {
    CreatableTopicConfigs {
        name: entry.name.as_str().into(),
        value: entry.value.as_deref().map(Into::into),
        read_only: entry.read_only,
        config_source: entry.source.wire_id(),
        is_sensitive: entry.is_sensitive,
        ..Default::default()
    }
}
