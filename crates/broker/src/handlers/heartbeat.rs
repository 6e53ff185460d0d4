//! Heartbeat (key 12), versions 0-4: a classic-protocol member keeps its session; REBALANCE_IN_PROGRESS
//! tells it to rejoin.

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::{HeartbeatRequest, HeartbeatResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::Heartbeat, versions: VersionRange { min: 0, max: 4 }, advertised_min: 0 };

pub fn handle(broker: &Broker, _ctx: &RequestContext, request: &HeartbeatRequest) -> HeartbeatResponse {
    let code = match broker.coordinator() {
        None => ErrorCode::CoordinatorNotAvailable,
        Some(coordinator) => match coordinator.heartbeat(
            &request.group_id,
            &request.member_id,
            request.group_instance_id.as_deref(),
            request.generation_id,
        ) {
            Ok(()) => ErrorCode::None,
            Err(e) => group_error_code(e),
        },
    };
    HeartbeatResponse { error_code: code.code(), ..Default::default() }
}
