//! DeleteTopics (key 20), versions 1-6: topics deleted through the controller, by name (v1-5
//! `topic_names`, v6 `topics` with a name) or by id (v6). Each topic gets its own error
//! (UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, TOPIC_DELETION_DISABLED, ...). The answer waits until
//! this broker's image no longer shows the deleted topics.

use flotilla_controller::operations::{self, TopicRef};
use flotilla_controller::ControllerClientExt;
use flotilla_model::{ErrorCode, TopicId};
use flotilla_protocol::messages::delete_topics_response::DeletableTopicResult;
use flotilla_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::warn;

use super::{controller_error, ApiSupport, NO_CONTROLLER};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DeleteTopics, versions: VersionRange { min: 1, max: 6 }, advertised_min: 1 };

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let refs: Vec<TopicRef> = if request.topics.is_empty() {
        request.topic_names.iter().map(|n| TopicRef::Name(n.to_string())).collect()
    } else {
        request
            .topics
            .iter()
            .map(|t| match t.name.as_deref() {
                Some(name) => TopicRef::Name(name.to_string()),
                None => TopicRef::Id(TopicId::new(t.topic_id)),
            })
            .collect()
    };
    let unanswered = |r: &TopicRef, code: ErrorCode, message: String| match r {
        TopicRef::Name(name) => DeletableTopicResult {
            name: Some(name.as_str().into()),
            error_code: code.code(),
            error_message: Some(message.into()),
            ..Default::default()
        },
        TopicRef::Id(id) => DeletableTopicResult {
            topic_id: id.get(),
            error_code: code.code(),
            error_message: Some(message.into()),
            ..Default::default()
        },
    };
    if refs.is_empty() {
        return DeleteTopicsResponse::default();
    }
    let Some(controller) = broker.controller() else {
        let responses =
            refs.iter().map(|r| unanswered(r, NO_CONTROLLER, "No controller to delete topics with".into())).collect();
        return DeleteTopicsResponse { responses, ..Default::default() };
    };
    let results = match controller.delete_topics(operations::DeleteTopicsRequest { topics: refs.clone() }).await {
        Ok(results) => results,
        Err(e) => {
            let (code, message) = controller_error(&e);
            let responses = refs.iter().map(|r| unanswered(r, code, message.clone())).collect();
            return DeleteTopicsResponse { responses, ..Default::default() };
        }
    };
    let mut deleted = Vec::new();
    let mut responses = Vec::with_capacity(results.len());
    for result in results {
        let mut answer = match result.result {
            Ok(()) => {
                if let Some(id) = result.topic_id {
                    deleted.push(id);
                }
                DeletableTopicResult { error_code: ErrorCode::None.code(), ..Default::default() }
            }
            Err(e) => unanswered(&result.topic, e.code(), e.message().to_string()),
        };
        if let Some(name) = result.name {
            answer.name = Some(name.into());
        } else if let TopicRef::Name(name) = &result.topic {
            answer.name = Some(name.as_str().into());
        }
        if let Some(id) = result.topic_id {
            answer.topic_id = id.get();
        } else if let TopicRef::Id(id) = &result.topic {
            answer.topic_id = id.get();
        }
        responses.push(answer);
    }
    if !deleted.is_empty()
        && !broker.wait_for_image(|image| deleted.iter().all(|id| image.topics().by_id(*id).is_none())).await
    {
        warn!(topics = ?deleted, "deleted topics still in this broker's image");
    }
    DeleteTopicsResponse { responses, ..Default::default() }
}
