//! FindCoordinator (key 10), versions 0-6: which broker coordinates a group (v4+: several keys at once).
//!
//! A group's coordinator is the leader of its `__consumer_offsets` partition. The first lookup creates
//! the topic through the controller (`offsets.topic.num.partitions`, `offsets.topic.replication.factor`,
//! compacted, `offsets.topic.segment.bytes`) and is answered COORDINATOR_NOT_AVAILABLE until it has a
//! leader, as Kafka does. Transaction coordinators (key type 1) are not served yet: COORDINATOR_NOT_AVAILABLE.
//! The endpoint is the coordinator's on the listener the request arrived on.

use flotilla_controller::operations::{CreatableTopic, CreateTopicsRequest};
use flotilla_controller::ControllerClientExt;
use flotilla_model::topic_name::CONSUMER_OFFSETS_TOPIC;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::find_coordinator_response::Coordinator;
use flotilla_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::{info, warn};

use super::metadata::client_listener;
use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::coordinator::CoordinatorLocation;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::FindCoordinator, versions: VersionRange { min: 0, max: 6 }, advertised_min: 0 };

const GROUP_KEY_TYPE: i8 = 0;
const TRANSACTION_KEY_TYPE: i8 = 1;

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: FindCoordinatorRequest) -> FindCoordinatorResponse {
    let keys: Vec<String> = if ctx.api_version() >= 4 {
        request.coordinator_keys.iter().map(|k| k.to_string()).collect()
    } else {
        vec![request.key.to_string()]
    };
    let mut coordinators = Vec::with_capacity(keys.len());
    for key in keys {
        coordinators.push(find(broker, request.key_type, &key).await);
    }
    if ctx.api_version() >= 4 {
        return FindCoordinatorResponse { coordinators, ..Default::default() };
    }
    let found = coordinators.pop().unwrap_or_default();
    FindCoordinatorResponse {
        error_code: found.error_code,
        error_message: found.error_message,
        node_id: found.node_id,
        host: found.host,
        port: found.port,
        ..Default::default()
    }
}

async fn find(broker: &Broker, key_type: i8, key: &str) -> Coordinator {
    let failed = |code: ErrorCode, message: &str| Coordinator {
        key: key.into(),
        node_id: -1,
        host: "".into(),
        port: -1,
        error_code: code.code(),
        error_message: Some(message.into()),
        ..Default::default()
    };
    match key_type {
        GROUP_KEY_TYPE => {}
        TRANSACTION_KEY_TYPE => {
            return failed(ErrorCode::CoordinatorNotAvailable, "transaction coordinators are not served yet")
        }
        _ => return failed(ErrorCode::InvalidRequest, "unknown coordinator key type"),
    }
    if key.is_empty() {
        return failed(ErrorCode::InvalidGroupId, "the group id is empty");
    }
    let Some(coordinator) = broker.coordinator() else {
        return failed(ErrorCode::CoordinatorNotAvailable, "this node runs no group coordinator");
    };
    match coordinator.locate(key).1 {
        CoordinatorLocation::NoTopic => {
            if let Some(_creating) = coordinator.begin_offsets_topic_creation() {
                create_offsets_topic(broker).await;
            }
            failed(ErrorCode::CoordinatorNotAvailable, "the offsets topic is being created")
        }
        CoordinatorLocation::NoLeader => {
            failed(ErrorCode::CoordinatorNotAvailable, "the group's partition has no leader")
        }
        CoordinatorLocation::Leader(node) => {
            let image = broker.image();
            let endpoint = client_listener(broker)
                .and_then(|listener| image.brokers().get(node).and_then(|b| b.endpoint(&listener).cloned()));
            match endpoint {
                Some(e) => Coordinator {
                    key: key.into(),
                    node_id: node.get(),
                    host: e.host.as_str().into(),
                    port: i32::from(e.port),
                    error_code: ErrorCode::None.code(),
                    error_message: None,
                    ..Default::default()
                },
                None => failed(ErrorCode::CoordinatorNotAvailable, "the coordinator has no endpoint on this listener"),
            }
        }
    }
}

/// Asks the controller to create `__consumer_offsets` as Kafka's broker does on the first lookup.
async fn create_offsets_topic(broker: &Broker) {
    let Some(controller) = broker.controller() else { return };
    let config = broker.config();
    let mut topic = CreatableTopic::new(
        CONSUMER_OFFSETS_TOPIC,
        config.offsets_topic_num_partitions,
        config.offsets_topic_replication_factor,
    );
    topic.configs = vec![
        ("cleanup.policy".to_owned(), Some("compact".to_owned())),
        ("compression.type".to_owned(), Some("producer".to_owned())),
        ("segment.bytes".to_owned(), Some(config.offsets_topic_segment_bytes.to_string())),
    ];
    match controller.create_topics(CreateTopicsRequest { topics: vec![topic], validate_only: false }).await {
        Ok(results) => match results.into_iter().next().map(|r| r.result) {
            Some(Ok(_)) => info!("created the offsets topic {CONSUMER_OFFSETS_TOPIC}"),
            Some(Err(e)) => warn!(error = %e.message(), "could not create the offsets topic"),
            None => {}
        },
        Err(e) => warn!(error = %e, "could not create the offsets topic"),
    }
}
