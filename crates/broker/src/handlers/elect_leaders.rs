//! ElectLeaders (key 43), versions 0-2: a preferred (leadership back to the first replica) or unclean
//! (a leader for an offline partition, from outside the ISR if need be) election, carried out by the
//! controller. v0 is always preferred; v1 adds the election type and a top-level error code.
//!
//! A null partition list means every partition; then, as Kafka does, partitions that need no election
//! are left out of the answer. The answer waits until this broker's image shows the elected leaders,
//! so a Metadata request right after it sees them.

use std::collections::{BTreeSet, HashMap};

use flotilla_controller::operations::{ElectLeadersRequest as Election, ElectionType, PartitionRef};
use flotilla_controller::ControllerClientExt;
use flotilla_metadata::MetadataImage;
use flotilla_model::{ErrorCode, PartitionIndex};
use flotilla_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use flotilla_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tracing::{info, warn};

use super::{controller_error, ApiSupport, NO_CONTROLLER};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::ElectLeaders, versions: VersionRange { min: 0, max: 2 }, advertised_min: 0 };

/// The election type from the wire (0 preferred, 1 unclean); v0 has no field and means preferred.
pub fn election_type(version: i16, wire: i8) -> Option<ElectionType> {
    match (version, wire) {
        (0, _) | (_, 0) => Some(ElectionType::Preferred),
        (_, 1) => Some(ElectionType::Unclean),
        _ => None,
    }
}

/// The partitions named by the request, without duplicates, or `None` for every partition.
pub fn requested_partitions(request: &ElectLeadersRequest) -> Option<Vec<PartitionRef>> {
    let topics = request.topic_partitions.as_ref()?;
    let unique: BTreeSet<(String, i32)> =
        topics.iter().flat_map(|t| t.partitions.iter().map(move |p| (t.topic.to_string(), *p))).collect();
    Some(
        unique
            .into_iter()
            .map(|(topic, partition)| PartitionRef { topic, partition: PartitionIndex::new(partition) })
            .collect(),
    )
}

/// Groups per-partition results by topic, in the order given.
pub fn by_topic(
    results: impl IntoIterator<Item = (String, i32, ErrorCode, Option<String>)>,
) -> Vec<ReplicaElectionResult> {
    // Indexed by name: a request may name many topics, and a scan per partition would be quadratic.
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<ReplicaElectionResult> = Vec::new();
    for (topic, partition_id, code, message) in results {
        let result = PartitionResult {
            partition_id,
            error_code: code.code(),
            error_message: message.map(Into::into),
            ..Default::default()
        };
        let slot = *slots.entry(topic).or_insert_with_key(|topic| {
            out.push(ReplicaElectionResult { topic: topic.as_str().into(), ..Default::default() });
            out.len() - 1
        });
        out[slot].partition_result.push(result);
    }
    out
}

/// Whether `image` shows the outcome of an election that the controller reported as done.
fn shows_elected(image: &MetadataImage, kind: ElectionType, topic: &str, partition: PartitionIndex) -> bool {
    let Some(current) = image.topics().by_name(topic).and_then(|t| t.partition(partition)) else {
        // Deleted since: nothing left to wait for.
        return true;
    };
    match kind {
        ElectionType::Preferred => current.preferred_replica() == Some(current.leader),
        ElectionType::Unclean => current.has_leader(),
    }
}

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: ElectLeadersRequest) -> ElectLeadersResponse {
    let requested = requested_partitions(&request);
    let failed = |code: ErrorCode, message: &str| ElectLeadersResponse {
        error_code: code.code(),
        replica_election_results: by_topic(
            requested.iter().flatten().map(|p| (p.topic.clone(), p.partition.get(), code, Some(message.to_owned()))),
        ),
        ..Default::default()
    };
    let Some(kind) = election_type(ctx.api_version(), request.election_type) else {
        return failed(ErrorCode::InvalidRequest, &format!("Unknown election type {}", request.election_type));
    };
    let Some(controller) = broker.controller() else {
        return failed(NO_CONTROLLER, "No controller to run the election");
    };
    let results = match controller.elect_leaders(Election { election_type: kind, partitions: requested.clone() }).await
    {
        Ok(results) => results,
        Err(e) => {
            let (code, message) = controller_error(&e);
            return failed(code, &message);
        }
    };
    let elected: Vec<(String, PartitionIndex)> =
        results.iter().filter(|r| r.result.is_ok()).map(|r| (r.topic.clone(), r.partition)).collect();
    if !elected.is_empty() {
        info!(election = ?kind, partitions = ?elected, "leader election completed");
        let shown = broker
            .wait_for_image(|image| {
                elected.iter().all(|(topic, partition)| shows_elected(image, kind, topic, *partition))
            })
            .await;
        if !shown {
            warn!(partitions = ?elected, "elected leaders not yet in this broker's image");
        }
    }
    ElectLeadersResponse {
        replica_election_results: by_topic(results.into_iter().map(|r| match r.result {
            Ok(()) => (r.topic, r.partition.get(), ErrorCode::None, None),
            Err(e) => (r.topic, r.partition.get(), e.code(), Some(e.message().to_owned())),
        })),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use flotilla_protocol::messages::elect_leaders_request::TopicPartitions;

    use super::*;

    #[test]
    fn v0_is_always_preferred_and_unknown_types_are_refused() {
        assert_eq!(election_type(0, 1), Some(ElectionType::Preferred));
        assert_eq!(election_type(1, 0), Some(ElectionType::Preferred));
        assert_eq!(election_type(2, 1), Some(ElectionType::Unclean));
        assert_eq!(election_type(1, 2), None);
        assert_eq!(election_type(2, -1), None);
    }

    #[test]
    fn null_partitions_mean_all_and_duplicates_collapse() {
        let mut request = ElectLeadersRequest { topic_partitions: None, ..Default::default() };
        assert_eq!(requested_partitions(&request), None);
        request.topic_partitions = Some(vec![
            TopicPartitions { topic: "b".into(), partitions: vec![1, 0, 1], ..Default::default() },
            TopicPartitions { topic: "a".into(), partitions: vec![2], ..Default::default() },
        ]);
        let asked: Vec<(String, i32)> = requested_partitions(&request)
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.topic, p.partition.get()))
            .collect();
        assert_eq!(asked, vec![("a".into(), 2), ("b".into(), 0), ("b".into(), 1)]);
    }

    #[test]
    fn results_group_by_topic() {
        let grouped = by_topic(vec![
            ("t".into(), 0, ErrorCode::None, None),
            ("u".into(), 3, ErrorCode::ElectionNotNeeded, Some("not needed".into())),
            ("t".into(), 1, ErrorCode::PreferredLeaderNotAvailable, Some("down".into())),
        ]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(&*grouped[0].topic, "t");
        assert_eq!(grouped[0].partition_result.iter().map(|p| p.partition_id).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(grouped[0].partition_result[1].error_code, ErrorCode::PreferredLeaderNotAvailable.code());
        assert_eq!(grouped[1].partition_result[0].error_code, ErrorCode::ElectionNotNeeded.code());
    }
}
