//! DescribeGroups (key 15), versions 0-6: state, protocol and members of groups this broker coordinates.
//! A group it does not know is described as Dead with no error before v6 and answered GROUP_ID_NOT_FOUND
//! from v6 (KIP-1043), as Kafka does; one coordinated elsewhere gets NOT_COORDINATOR.

use flotilla_group::GroupState;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use flotilla_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{group_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DescribeGroups, versions: VersionRange { min: 0, max: 6 }, advertised_min: 0 };

/// Kafka's "no operations" value, sent unless authorized operations were asked for.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

pub fn handle(broker: &Broker, ctx: &RequestContext, request: &DescribeGroupsRequest) -> DescribeGroupsResponse {
    let not_found_is_an_error = ctx.api_version() >= 6;
    let groups = request
        .groups
        .iter()
        .map(|group_id| {
            let described = match broker.coordinator() {
                None => Err(ErrorCode::CoordinatorNotAvailable),
                Some(c) => c.describe(group_id).map_err(group_error_code),
            };
            match described {
                Ok(g) if not_found_is_an_error && g.state == GroupState::Dead => DescribedGroup {
                    error_code: ErrorCode::GroupIdNotFound.code(),
                    error_message: Some(format!("Group {group_id} not found.").into()),
                    group_id: group_id.clone(),
                    group_state: GroupState::Dead.name().into(),
                    authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
                    ..Default::default()
                },
                Ok(g) => DescribedGroup {
                    error_code: ErrorCode::None.code(),
                    group_id: group_id.clone(),
                    group_state: g.state.name().into(),
                    protocol_type: g.protocol_type.into(),
                    protocol_data: g.protocol_name.into(),
                    members: g
                        .members
                        .into_iter()
                        .map(|m| DescribedGroupMember {
                            member_id: m.member_id.into(),
                            group_instance_id: m.group_instance_id.map(Into::into),
                            client_id: m.client_id.into(),
                            client_host: m.client_host.into(),
                            member_metadata: m.metadata,
                            member_assignment: m.assignment,
                            ..Default::default()
                        })
                        .collect(),
                    authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
                    ..Default::default()
                },
                Err(code) => DescribedGroup {
                    error_code: code.code(),
                    group_id: group_id.clone(),
                    group_state: "".into(),
                    authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
                    ..Default::default()
                },
            }
        })
        .collect();
    DescribeGroupsResponse { groups, ..Default::default() }
}
