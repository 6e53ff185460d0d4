//! CreatePartitions (key 37), versions 0-3: grow topics to a new partition count through the
//! controller, optionally with the replicas of each new partition; `validate_only` checks only. The
//! answer waits until this broker's image shows the new count.

use flotilla_controller::operations::{self, CreatePartitionsTopic};
use flotilla_controller::ControllerClientExt;
use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use flotilla_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::warn;

use super::{controller_error, ApiSupport, NO_CONTROLLER};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::CreatePartitions, versions: VersionRange { min: 0, max: 3 }, advertised_min: 0 };

pub async fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let topics: Vec<CreatePartitionsTopic> = request
        .topics
        .iter()
        .map(|t| CreatePartitionsTopic {
            name: t.name.to_string(),
            count: t.count,
            assignments: t
                .assignments
                .as_ref()
                .map(|a| a.iter().map(|p| p.broker_ids.iter().copied().map(NodeId::new).collect()).collect()),
        })
        .collect();
    let failed = |code: ErrorCode, message: &str| CreatePartitionsResponse {
        results: request
            .topics
            .iter()
            .map(|t| CreatePartitionsTopicResult {
                name: t.name.clone(),
                error_code: code.code(),
                error_message: Some(message.into()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let Some(controller) = broker.controller() else {
        return failed(NO_CONTROLLER, "No controller to create partitions with");
    };
    let validate_only = request.validate_only;
    let wanted: Vec<(String, i32)> = topics.iter().map(|t| (t.name.clone(), t.count)).collect();
    let results =
        match controller.create_partitions(operations::CreatePartitionsRequest { topics, validate_only }).await {
            Ok(results) => results,
            Err(e) => {
                let (code, message) = controller_error(&e);
                return failed(code, &message);
            }
        };
    let mut grown = Vec::new();
    let results: Vec<CreatePartitionsTopicResult> = results
        .into_iter()
        .map(|r| match r.result {
            Ok(()) => {
                if let Some((_, count)) = wanted.iter().find(|(n, _)| *n == r.name) {
                    grown.push((r.name.clone(), *count));
                }
                CreatePartitionsTopicResult { name: r.name.into(), ..Default::default() }
            }
            Err(e) => CreatePartitionsTopicResult {
                name: r.name.into(),
                error_code: e.code().code(),
                error_message: Some(e.message().into()),
                ..Default::default()
            },
        })
        .collect();
    if !validate_only && !grown.is_empty() {
        let shown = broker
            .wait_for_image(|image| {
                grown.iter().all(|(name, count)| {
                    image
                        .topics()
                        .by_name(name)
                        .is_some_and(|t| t.partition_count() >= usize::try_from(*count).unwrap_or(0))
                })
            })
            .await;
        if !shown {
            warn!(topics = ?grown, "new partitions not yet in this broker's image");
        }
    }
    CreatePartitionsResponse { results, ..Default::default() }
}
