//! LeaveGroup (key 13), versions 0-5: members leave at once instead of waiting for their session to
//! expire (v3+: several, static members by instance id).

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::leave_group_response::MemberResponse;
use flotilla_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::LeaveGroup, versions: VersionRange { min: 0, max: 5 }, advertised_min: 0 };

pub fn handle(broker: &Broker, ctx: &RequestContext, request: &LeaveGroupRequest) -> LeaveGroupResponse {
    let failed = |code: ErrorCode| LeaveGroupResponse { error_code: code.code(), ..Default::default() };
    let Some(coordinator) = broker.coordinator() else {
        return failed(ErrorCode::CoordinatorNotAvailable);
    };
    let batched = ctx.api_version() >= 3;
    let members: Vec<(String, Option<String>)> = if batched {
        request
            .members
            .iter()
            .map(|m| (m.member_id.to_string(), m.group_instance_id.as_ref().map(ToString::to_string)))
            .collect()
    } else {
        vec![(request.member_id.to_string(), None)]
    };
    let results = match coordinator.leave(&request.group_id, &members) {
        Ok(results) => results,
        Err(e) => return failed(group_error_code(e)),
    };
    if !batched {
        let code = results.first().map_or(ErrorCode::UnknownMemberId, |r| match r {
            Ok(_) => ErrorCode::None,
            Err(e) => group_error_code(*e),
        });
        return failed(code);
    }
    LeaveGroupResponse {
        error_code: ErrorCode::None.code(),
        members: members
            .iter()
            .zip(results)
            .map(|((member_id, instance), result)| MemberResponse {
                member_id: member_id.as_str().into(),
                group_instance_id: instance.as_deref().map(Into::into),
                error_code: match result {
                    Ok(_) => ErrorCode::None.code(),
                    Err(e) => group_error_code(e).code(),
                },
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
