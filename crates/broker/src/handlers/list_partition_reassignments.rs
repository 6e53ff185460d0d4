//! ListPartitionReassignments (key 46), version 0: the reassignments in progress (replicas, adding,
//! removing), for every partition or the ones named. Answered from this broker's applied image, which
//! follows the controller's committed metadata.

use flotilla_metadata::controller::reassignment::{ongoing_reassignments, OngoingReassignment};
use flotilla_model::{NodeId, PartitionIndex};
use flotilla_protocol::messages::list_partition_reassignments_response::{
    OngoingPartitionReassignment, OngoingTopicReassignment,
};
use flotilla_protocol::messages::{ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport = ApiSupport {
    api_key: ApiKey::ListPartitionReassignments,
    versions: VersionRange { min: 0, max: 0 },
    advertised_min: 0,
};

fn ids(nodes: &[NodeId]) -> Vec<i32> {
    nodes.iter().map(|n| n.get()).collect()
}

/// Groups ongoing reassignments (already in topic order) into the response's topics.
pub fn to_topics(ongoing: Vec<OngoingReassignment>) -> Vec<OngoingTopicReassignment> {
    let mut topics: Vec<OngoingTopicReassignment> = Vec::new();
    for o in ongoing {
        let partition = OngoingPartitionReassignment {
            partition_index: o.partition.get(),
            replicas: ids(&o.replicas),
            adding_replicas: ids(&o.adding),
            removing_replicas: ids(&o.removing),
            ..Default::default()
        };
        match topics.last_mut() {
            Some(last) if *last.name == *o.topic => last.partitions.push(partition),
            _ => topics.push(OngoingTopicReassignment {
                name: o.topic.as_str().into(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    topics
}

pub fn handle(
    broker: &Broker,
    _ctx: &RequestContext,
    request: &ListPartitionReassignmentsRequest,
) -> ListPartitionReassignmentsResponse {
    let filter: Option<Vec<(String, PartitionIndex)>> = request.topics.as_ref().map(|topics| {
        topics
            .iter()
            .flat_map(|t| t.partition_indexes.iter().map(move |p| (t.name.to_string(), PartitionIndex::new(*p))))
            .collect()
    });
    let image = broker.image();
    ListPartitionReassignmentsResponse {
        topics: to_topics(ongoing_reassignments(&image, filter.as_deref())),
        ..Default::default()
    }
}
