//! ListGroups (key 16), versions 0-5: the groups this broker coordinates (v4+: filtered by state, v5+:
//! by type: "classic", or "consumer" for consumer-protocol groups). While a coordinator partition is still loading the answer
//! is COORDINATOR_LOAD_IN_PROGRESS with what is known, as Kafka answers.

use flotilla_group::GroupState;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::list_groups_response::ListedGroup;
use flotilla_protocol::messages::{ListGroupsRequest, ListGroupsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::ListGroups, versions: VersionRange { min: 0, max: 5 }, advertised_min: 0 };

pub fn handle(broker: &Broker, _ctx: &RequestContext, request: &ListGroupsRequest) -> ListGroupsResponse {
    let Some(coordinator) = broker.coordinator() else {
        return ListGroupsResponse { error_code: ErrorCode::CoordinatorNotAvailable.code(), ..Default::default() };
    };
    let states: Vec<GroupState> = request.states_filter.iter().filter_map(|s| GroupState::parse(s)).collect();
    let classic_type =
        request.types_filter.is_empty() || request.types_filter.iter().any(|t| t.eq_ignore_ascii_case("classic"));
    let consumer_type =
        request.types_filter.is_empty() || request.types_filter.iter().any(|t| t.eq_ignore_ascii_case("consumer"));
    let (groups, loading) = coordinator.list();
    let mut listed: Vec<ListedGroup> = groups
        .into_iter()
        .filter(|g| request.states_filter.is_empty() || states.contains(&g.state))
        .filter(|_| classic_type)
        .map(|g| ListedGroup {
            group_id: g.group_id.into(),
            protocol_type: g.protocol_type.into(),
            group_state: g.state.name().into(),
            group_type: "classic".into(),
            ..Default::default()
        })
        .collect();
    if consumer_type {
        // Consumer-protocol (KIP-848) groups have their own states: Empty, Assigning, Reconciling, Stable.
        listed.extend(
            coordinator
                .list_consumer_groups()
                .into_iter()
                .filter(|(_, state)| {
                    request.states_filter.is_empty()
                        || request.states_filter.iter().any(|s| s.eq_ignore_ascii_case(state.name()))
                })
                .map(|(group_id, state)| ListedGroup {
                    group_id: group_id.into(),
                    protocol_type: "consumer".into(),
                    group_state: state.name().into(),
                    group_type: "consumer".into(),
                    ..Default::default()
                }),
        );
    }
    let groups = listed;
    let code = if loading { ErrorCode::CoordinatorLoadInProgress } else { ErrorCode::None };
    ListGroupsResponse { error_code: code.code(), groups, ..Default::default() }
}
