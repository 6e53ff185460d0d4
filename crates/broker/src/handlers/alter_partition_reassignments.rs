//! AlterPartitionReassignments (key 45), versions 0-1: start, replace or cancel (null replicas) moving
//! partitions to new replicas; the controller decides and commits (see the metadata crate's
//! `controller::reassignment`). v1 adds `allow_replication_factor_change` (KIP-860).
//!
//! The answer waits until this broker's image shows each accepted change, so a
//! ListPartitionReassignments or Metadata request right after it sees the new replicas.

use std::collections::HashMap;

use flotilla_controller::operations::{AlterPartitionReassignmentsRequest as Reassignments, PartitionReassignment};
use flotilla_controller::ControllerClientExt;
use flotilla_metadata::MetadataImage;
use flotilla_model::{ErrorCode, NodeId, PartitionIndex};
use flotilla_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use flotilla_protocol::messages::{AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::warn;

use super::{controller_error, ApiSupport, NO_CONTROLLER};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport = ApiSupport {
    api_key: ApiKey::AlterPartitionReassignments,
    versions: VersionRange { min: 0, max: 1 },
    advertised_min: 0,
};

/// The partitions of the request, in request order.
pub fn requested(request: &AlterPartitionReassignmentsRequest) -> Vec<PartitionReassignment> {
    request
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| PartitionReassignment {
                topic: t.name.to_string(),
                partition: PartitionIndex::new(p.partition_index),
                replicas: p.replicas.as_ref().map(|r| r.iter().copied().map(NodeId::new).collect()),
            })
        })
        .collect()
}

/// Groups per-partition results by topic, in the order given.
fn by_topic(
    results: impl IntoIterator<Item = (String, i32, ErrorCode, Option<String>)>,
) -> Vec<ReassignableTopicResponse> {
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<ReassignableTopicResponse> = Vec::new();
    for (topic, partition_index, code, message) in results {
        let result = ReassignablePartitionResponse {
            partition_index,
            error_code: code.code(),
            error_message: message.map(Into::into),
            ..Default::default()
        };
        let slot = *slots.entry(topic).or_insert_with_key(|topic| {
            out.push(ReassignableTopicResponse { name: topic.as_str().into(), ..Default::default() });
            out.len() - 1
        });
        out[slot].partitions.push(result);
    }
    out
}

/// Whether `image` shows an accepted change: the target replicas leading the replica list, or for a
/// cancellation, no reassignment in progress.
fn shows_change(image: &MetadataImage, change: &PartitionReassignment) -> bool {
    let Some(current) = image.topics().by_name(&change.topic).and_then(|t| t.partition(change.partition)) else {
        return true;
    };
    match &change.replicas {
        Some(target) => current.replicas.starts_with(target),
        None => current.adding_replicas.is_empty() && current.removing_replicas.is_empty(),
    }
}

pub async fn handle(
    broker: &Broker,
    ctx: &RequestContext,
    request: AlterPartitionReassignmentsRequest,
) -> AlterPartitionReassignmentsResponse {
    let partitions = requested(&request);
    let allow_replication_factor_change = ctx.api_version() < 1 || request.allow_replication_factor_change;
    let failed = |code: ErrorCode, message: String| AlterPartitionReassignmentsResponse {
        error_code: code.code(),
        error_message: Some(message.into()),
        allow_replication_factor_change: request.allow_replication_factor_change,
        responses: by_topic(partitions.iter().map(|p| (p.topic.clone(), p.partition.get(), code, None))),
        ..Default::default()
    };
    let Some(controller) = broker.controller() else {
        return failed(NO_CONTROLLER, "No controller to reassign partitions".into());
    };
    let operation = Reassignments { partitions: partitions.clone(), allow_replication_factor_change };
    let results = match controller.alter_partition_reassignments(operation).await {
        Ok(results) => results,
        Err(e) => {
            let (code, message) = controller_error(&e);
            return failed(code, message);
        }
    };
    let accepted: Vec<&PartitionReassignment> = partitions
        .iter()
        .filter(|p| results.iter().any(|r| r.result.is_ok() && r.topic == p.topic && r.partition == p.partition))
        .collect();
    if !accepted.is_empty() && !broker.wait_for_image(|image| accepted.iter().all(|p| shows_change(image, p))).await {
        warn!(partitions = accepted.len(), "accepted reassignments not yet in this broker's image");
    }
    AlterPartitionReassignmentsResponse {
        allow_replication_factor_change: request.allow_replication_factor_change,
        responses: by_topic(results.into_iter().map(|r| match r.result {
            Ok(()) => (r.topic, r.partition.get(), ErrorCode::None, None),
            Err(e) => (r.topic, r.partition.get(), e.code(), Some(e.message().to_owned())),
        })),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use flotilla_protocol::messages::alter_partition_reassignments_request::{
        ReassignablePartition, ReassignableTopic,
    };

    use super::*;

    #[test]
    fn null_replicas_cancel_and_results_group_by_topic() {
        let request = AlterPartitionReassignmentsRequest {
            topics: vec![ReassignableTopic {
                name: "t".into(),
                partitions: vec![
                    ReassignablePartition { partition_index: 0, replicas: Some(vec![3, 1]), ..Default::default() },
                    ReassignablePartition { partition_index: 1, replicas: None, ..Default::default() },
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let asked = requested(&request);
        assert_eq!(asked[0].replicas, Some(vec![NodeId::new(3), NodeId::new(1)]));
        assert_eq!(asked[1].replicas, None);
        let grouped = by_topic(vec![
            ("t".into(), 0, ErrorCode::None, None),
            ("u".into(), 0, ErrorCode::UnknownTopicOrPartition, Some("no".into())),
            ("t".into(), 1, ErrorCode::NoReassignmentInProgress, Some("none".into())),
        ]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].partitions.iter().map(|p| p.partition_index).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(grouped[0].partitions[1].error_code, ErrorCode::NoReassignmentInProgress.code());
    }
}
