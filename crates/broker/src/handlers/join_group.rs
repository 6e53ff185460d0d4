//! JoinGroup (key 11), versions 0-9: a classic-protocol member joins its group and, when the rebalance
//! completes, learns the generation and (the leader) every member's metadata. The decisions are
//! [`flotilla_group::classic_group`]'s; the wait is the coordinator's. v4+ gives a new member its id
//! with MEMBER_ID_REQUIRED first (KIP-394); v5+ carries static membership (KIP-345); v9 tells a rejoining
//! static leader to skip the assignment (KIP-814).

use flotilla_group::JoinRequest;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::join_group_response::JoinGroupResponseMember;
use flotilla_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{client_host, group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::JoinGroup, versions: VersionRange { min: 0, max: 9 }, advertised_min: 0 };

pub async fn handle(broker: &Broker, ctx: &RequestContext, request: JoinGroupRequest) -> JoinGroupResponse {
    let Some(coordinator) = broker.coordinator() else {
        return JoinGroupResponse {
            error_code: ErrorCode::CoordinatorNotAvailable.code(),
            generation_id: -1,
            member_id: request.member_id,
            ..Default::default()
        };
    };
    let version = ctx.api_version();
    let join = JoinRequest {
        member_id: request.member_id.to_string(),
        group_instance_id: request.group_instance_id.as_ref().map(ToString::to_string),
        client_id: ctx.header.client_id.as_deref().unwrap_or("").to_owned(),
        client_host: client_host(ctx),
        session_timeout_ms: request.session_timeout_ms,
        // v0 had no rebalance timeout: the session timeout served as both.
        rebalance_timeout_ms: if version >= 1 { request.rebalance_timeout_ms } else { request.session_timeout_ms },
        protocol_type: request.protocol_type.to_string(),
        protocols: request.protocols.iter().map(|p| (p.name.to_string(), p.metadata.clone())).collect(),
        require_known_member_id: version >= 4,
        supports_skip_assignment: version >= 9,
    };
    let response = coordinator.join(&request.group_id, join).await;
    JoinGroupResponse {
        error_code: response.error.map_or(ErrorCode::None, group_error_code).code(),
        generation_id: response.generation_id,
        protocol_type: response.protocol_type.map(Into::into),
        // Nullable only from v7; older versions carry "" where there is none.
        protocol_name: match response.protocol_name {
            Some(name) => Some(name.into()),
            None if version < 7 => Some("".into()),
            None => None,
        },
        leader: response.leader_id.into(),
        skip_assignment: response.skip_assignment,
        member_id: response.member_id.into(),
        members: response
            .members
            .into_iter()
            .map(|m| JoinGroupResponseMember {
                member_id: m.member_id.into(),
                group_instance_id: m.group_instance_id.map(Into::into),
                metadata: m.metadata,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
