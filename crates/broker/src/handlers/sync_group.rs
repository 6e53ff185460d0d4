//! SyncGroup (key 14), versions 0-5: the leader hands in the assignment; every member gets its own once
//! the coordinator has stored it. v5 checks the protocol type and name against the group's.

use flotilla_group::SyncRequest;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::SyncGroup, versions: VersionRange { min: 0, max: 5 }, advertised_min: 0 };

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: SyncGroupRequest) -> SyncGroupResponse {
    let Some(coordinator) = broker.coordinator() else {
        return SyncGroupResponse { error_code: ErrorCode::CoordinatorNotAvailable.code(), ..Default::default() };
    };
    let sync = SyncRequest {
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.as_ref().map(ToString::to_string),
        generation_id: request.generation_id,
        protocol_type: request.protocol_type.as_ref().map(ToString::to_string),
        protocol_name: request.protocol_name.as_ref().map(ToString::to_string),
        assignments: request.assignments.iter().map(|a| (a.member_id.to_string(), a.assignment.clone())).collect(),
    };
    let response = coordinator.sync(&request.group_id, sync).await;
    SyncGroupResponse {
        error_code: response.error.map_or(ErrorCode::None, group_error_code).code(),
        protocol_type: response.protocol_type.map(Into::into),
        protocol_name: response.protocol_name.map(Into::into),
        assignment: response.assignment,
        ..Default::default()
    }
}
