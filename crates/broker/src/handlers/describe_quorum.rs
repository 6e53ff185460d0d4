//! DescribeQuorum (key 55), versions 0-2: the metadata quorum's leader, epoch, high watermark and each
//! voter's log end offset, as the active controller reports them (the request is forwarded to it, as a
//! Kafka broker forwards DescribeQuorum). Only `__cluster_metadata` partition 0 exists; another
//! partition is UNKNOWN_TOPIC_OR_PARTITION. v2 adds each voter's controller endpoint.

use flotilla_controller::operations::{DescribeQuorumRequest as QuorumQuery, VoterProgress};
use flotilla_controller::ControllerClientExt;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::describe_quorum_response::{Listener, Node, PartitionData, ReplicaState, TopicData};
use flotilla_protocol::messages::{DescribeQuorumRequest, DescribeQuorumResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{controller_error, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DescribeQuorum, versions: VersionRange { min: 0, max: 2 }, advertised_min: 0 };

/// The metadata log's topic name, as KRaft names it.
pub const METADATA_TOPIC: &str = "__cluster_metadata";

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: DescribeQuorumRequest) -> DescribeQuorumResponse {
    let asks_metadata_log = |t: &flotilla_protocol::messages::describe_quorum_request::TopicData| {
        &*t.topic_name == METADATA_TOPIC && t.partitions.iter().all(|p| p.partition_index == 0)
    };
    if request.topics.len() != 1 || !request.topics.iter().all(asks_metadata_log) {
        return failed(ErrorCode::UnknownTopicOrPartition, "only __cluster_metadata partition 0 has a quorum");
    }
    let Some(controller) = broker.controller() else {
        return failed(ErrorCode::NotController, "no controller to ask");
    };
    let description = match controller.describe_quorum(QuorumQuery).await {
        Ok(description) => description,
        Err(e) => {
            let (code, message) = controller_error(&e);
            return failed(code, &message);
        }
    };
    let states = |replicas: &[VoterProgress]| -> Vec<ReplicaState> {
        replicas
            .iter()
            .map(|v| ReplicaState {
                replica_id: v.node_id,
                log_end_offset: v.log_end_offset,
                last_fetch_timestamp: v.last_fetch_timestamp_ms,
                last_caught_up_timestamp: v.last_caught_up_timestamp_ms,
                ..Default::default()
            })
            .collect()
    };
    let voters = states(&description.voters);
    let observers = states(&description.observers);
    let config = broker.config();
    let listener = config.controller_listener_names.first().map(|n| n.as_str().to_string()).unwrap_or_default();
    let nodes = config
        .controller_quorum_voters
        .iter()
        .map(|v| Node {
            node_id: v.node_id.get(),
            listeners: vec![Listener {
                name: listener.as_str().into(),
                host: v.address.host.as_str().into(),
                port: v.address.port,
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    DescribeQuorumResponse {
        topics: vec![TopicData {
            topic_name: METADATA_TOPIC.into(),
            partitions: vec![PartitionData {
                partition_index: 0,
                leader_id: description.leader_id,
                leader_epoch: description.leader_epoch,
                high_watermark: description.high_watermark,
                current_voters: voters,
                observers,
                ..Default::default()
            }],
            ..Default::default()
        }],
        nodes,
        ..Default::default()
    }
}

fn failed(code: ErrorCode, message: &str) -> DescribeQuorumResponse {
    DescribeQuorumResponse { error_code: code.code(), error_message: Some(message.into()), ..Default::default() }
}
