//! DeleteGroups (key 42), versions 0-2: removes Empty groups with their committed offsets (tombstones in
//! `__consumer_offsets`). A group with members is NON_EMPTY_GROUP; an unknown one GROUP_ID_NOT_FOUND.

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::delete_groups_response::DeletableGroupResult;
use flotilla_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DeleteGroups, versions: VersionRange { min: 0, max: 2 }, advertised_min: 0 };

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let mut results = Vec::with_capacity(request.groups_names.len());
    for group_id in request.groups_names {
        let code = match broker.coordinator() {
            None => ErrorCode::CoordinatorNotAvailable,
            Some(c) => match c.delete_group(&group_id).await {
                Ok(()) => ErrorCode::None,
                Err(e) => group_error_code(e),
            },
        };
        results.push(DeletableGroupResult { group_id, error_code: code.code(), ..Default::default() });
    }
    DeleteGroupsResponse { results, ..Default::default() }
}
