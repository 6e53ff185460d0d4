//! Metadata (key 3), versions 0-13: brokers, cluster id, controller and topic partitions from the
//! image this broker has applied.
//!
//! Brokers are the unfenced ones in the image, each with its advertised endpoint for the listener the
//! client connected to ([`Broker::for_listener`]; else the first advertised non-controller listener). A null topic
//! list (v1+; empty in v0) means every topic. An unknown topic is created when
//! `auto.create.topics.enable` and the request's `allow_auto_topic_creation` (v4+) allow it, with
//! `num.partitions` and `default.replication.factor`, and answered LEADER_NOT_AVAILABLE as Kafka does
//! (the client asks again); otherwise UNKNOWN_TOPIC_OR_PARTITION. An invalid name is
//! INVALID_TOPIC_EXCEPTION; an unknown topic id (v10+) UNKNOWN_TOPIC_ID.

use flotilla_controller::operations::{CreatableTopic, CreateTopicsRequest};
use flotilla_controller::ControllerClientExt;
use flotilla_metadata::{MetadataImage, TopicImage};
use flotilla_model::{ErrorCode, NodeId, TopicId, TopicName};
use flotilla_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use flotilla_protocol::messages::{MetadataRequest, MetadataResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::{info, warn};

use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::Metadata, versions: VersionRange { min: 0, max: 13 }, advertised_min: 0 };

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: MetadataRequest) -> MetadataResponse {
    let image = broker.image();
    let version = ctx.api_version();
    let mut topics = Vec::new();
    // v0 asks for every topic with an empty list; later versions with null.
    let wanted = match request.topics {
        Some(list) if !(list.is_empty() && version == 0) => Some(list),
        _ => None,
    };
    match wanted {
        None => {
            for topic in image.topics().iter_by_name() {
                topics.push(describe_topic(&image, topic));
            }
        }
        Some(list) => {
            let allow_auto_create = broker.config().auto_create_topics_enable && request.allow_auto_topic_creation;
            for wanted in list {
                let answer = match wanted.name.as_deref() {
                    Some(name) => by_name(broker, &image, name, allow_auto_create).await,
                    None => match image.topics().by_id(TopicId::new(wanted.topic_id)) {
                        Some(topic) => describe_topic(&image, topic),
                        None => MetadataResponseTopic {
                            error_code: ErrorCode::UnknownTopicId.code(),
                            topic_id: wanted.topic_id,
                            ..Default::default()
                        },
                    },
                };
                topics.push(answer);
            }
        }
    }
    MetadataResponse {
        brokers: brokers(broker, &image),
        cluster_id: image.cluster().cluster_id().map(Into::into),
        controller_id: broker.node_id().get(),
        topics,
        ..Default::default()
    }
}

/// The client listener's name: the listener this handler serves, else the first advertised listener
/// that is not a controller listener.
pub(crate) fn client_listener(broker: &Broker) -> Option<String> {
    if let Some(listener) = broker.listener() {
        return Some(listener.to_string());
    }
    let config = broker.config();
    config
        .advertised_listeners
        .iter()
        .chain(config.listeners.iter())
        .find(|e| !config.controller_listener_names.contains(&e.listener_name))
        .map(|e| e.listener_name.as_str().to_string())
}

fn brokers(broker: &Broker, image: &MetadataImage) -> Vec<MetadataResponseBroker> {
    let Some(listener) = client_listener(broker) else {
        return Vec::new();
    };
    image
        .brokers()
        .unfenced()
        .filter_map(|b| {
            b.endpoint(&listener).map(|e| MetadataResponseBroker {
                node_id: b.id.get(),
                host: e.host.as_str().into(),
                port: i32::from(e.port),
                rack: b.rack.as_deref().map(Into::into),
                ..Default::default()
            })
        })
        .collect()
}

async fn by_name(broker: &Broker, image: &MetadataImage, name: &str, allow_auto_create: bool) -> MetadataResponseTopic {
    let unanswered = |code: ErrorCode| MetadataResponseTopic {
        error_code: code.code(),
        name: Some(name.into()),
        ..Default::default()
    };
    if let Some(topic) = image.topics().by_name(name) {
        return describe_topic(image, topic);
    }
    if TopicName::new(name).is_err() {
        return unanswered(ErrorCode::InvalidTopicException);
    }
    if !allow_auto_create {
        return unanswered(ErrorCode::UnknownTopicOrPartition);
    }
    let Some(controller) = broker.controller() else {
        return unanswered(ErrorCode::UnknownTopicOrPartition);
    };
    let config = broker.config();
    let request = CreateTopicsRequest {
        topics: vec![CreatableTopic::new(name, config.num_partitions, config.default_replication_factor)],
        validate_only: false,
    };
    let code = match controller.create_topics(request).await {
        Ok(results) => match results.into_iter().next().map(|r| r.result) {
            Some(Ok(created)) => {
                info!(topic = name, topic_id = %created.topic_id, "auto-created topic");
                ErrorCode::LeaderNotAvailable
            }
            Some(Err(e)) if e.code() == ErrorCode::TopicAlreadyExists => ErrorCode::LeaderNotAvailable,
            Some(Err(e)) => e.code(),
            None => ErrorCode::UnknownServerError,
        },
        Err(e) => {
            warn!(topic = name, error = %e, "auto-creating a topic failed");
            ErrorCode::LeaderNotAvailable
        }
    };
    unanswered(code)
}

fn describe_topic(image: &MetadataImage, topic: &TopicImage) -> MetadataResponseTopic {
    let ids = |nodes: &[NodeId]| nodes.iter().map(|n| n.get()).collect::<Vec<i32>>();
    let partitions = topic
        .partitions()
        .map(|(index, p)| {
            let offline: Vec<i32> =
                p.replicas.iter().filter(|r| !image.brokers().is_active(**r)).map(|r| r.get()).collect();
            MetadataResponsePartition {
                error_code: if p.has_leader() { ErrorCode::None } else { ErrorCode::LeaderNotAvailable }.code(),
                partition_index: index.get(),
                leader_id: p.leader.get(),
                leader_epoch: p.leader_epoch.get(),
                replica_nodes: ids(&p.replicas),
                isr_nodes: ids(&p.isr),
                offline_replicas: offline,
                ..Default::default()
            }
        })
        .collect();
    MetadataResponseTopic {
        error_code: ErrorCode::None.code(),
        name: Some(topic.name().as_str().into()),
        topic_id: topic.id().get(),
        is_internal: topic.name().is_internal(),
        partitions,
        ..Default::default()
    }
}
