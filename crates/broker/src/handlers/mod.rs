//! One module per Kafka API. Each declares the versions it serves next to its code; [`SUPPORTED_APIS`] is
//! the registry ApiVersions answers from.
//!
//! This is where typed errors become Kafka error codes ([`partition_error_code`]).

pub mod alter_partition_reassignments;
pub mod api_versions;
pub mod consumer_group_describe;
pub mod consumer_group_heartbeat;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_groups;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_quorum;
pub mod elect_leaders;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod produce;
pub mod sync_group;

use flotilla_controller::ControllerError;
use flotilla_group::GroupError;
use flotilla_model::ErrorCode;
use flotilla_protocol::{ApiKey, VersionRange};

use crate::partition::PartitionError;

/// An API this broker serves and the versions it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSupport {
    pub api_key: ApiKey,
    /// Versions the handler decodes and answers.
    pub versions: VersionRange,
    /// The lowest version advertised in ApiVersions. Equal to `versions.min` except where Kafka advertises
    /// lower versions than it accepts to keep old clients working (Produce, KAFKA-18659).
    pub advertised_min: i16,
}

/// Every API this broker serves. A handler is added here together with its file.
pub const SUPPORTED_APIS: &[ApiSupport] = &[
    produce::SUPPORT,
    fetch::SUPPORT,
    list_offsets::SUPPORT,
    metadata::SUPPORT,
    api_versions::SUPPORT,
    create_topics::SUPPORT,
    delete_topics::SUPPORT,
    init_producer_id::SUPPORT,
    describe_configs::SUPPORT,
    create_partitions::SUPPORT,
    describe_cluster::SUPPORT,
    describe_quorum::SUPPORT,
    elect_leaders::SUPPORT,
    alter_partition_reassignments::SUPPORT,
    list_partition_reassignments::SUPPORT,
    offset_for_leader_epoch::SUPPORT,
    find_coordinator::SUPPORT,
    join_group::SUPPORT,
    sync_group::SUPPORT,
    heartbeat::SUPPORT,
    leave_group::SUPPORT,
    offset_commit::SUPPORT,
    offset_fetch::SUPPORT,
    list_groups::SUPPORT,
    describe_groups::SUPPORT,
    delete_groups::SUPPORT,
    offset_delete::SUPPORT,
    consumer_group_heartbeat::SUPPORT,
    consumer_group_describe::SUPPORT,
];

/// The versions of `api_key` this broker serves, if any.
pub fn supported_versions(api_key: ApiKey) -> Option<VersionRange> {
    SUPPORTED_APIS.iter().find(|s| s.api_key == api_key).map(|s| s.versions)
}

/// The Kafka error code for a partition-level failure.
pub fn partition_error_code(error: &PartitionError) -> ErrorCode {
    match error {
        PartitionError::NotLeader { .. } | PartitionError::NotReplica { .. } => ErrorCode::NotLeaderOrFollower,
        PartitionError::NotEnoughReplicas { .. } => ErrorCode::NotEnoughReplicas,
        PartitionError::NotEnoughReplicasAfterAppend { .. } => ErrorCode::NotEnoughReplicasAfterAppend,
        PartitionError::FencedLeaderEpoch { .. } => ErrorCode::FencedLeaderEpoch,
        PartitionError::UnknownLeaderEpoch { .. } => ErrorCode::UnknownLeaderEpoch,
        PartitionError::OffsetNotAvailable => ErrorCode::OffsetNotAvailable,
        PartitionError::Storage(e) => e.error_code(),
        PartitionError::ProducerState(e) => e.error_code(),
        PartitionError::ProducerSnapshot(_) => ErrorCode::KafkaStorageError,
    }
}

/// The Kafka error code and message for a controller call that failed as a whole.
pub fn controller_error(error: &ControllerError) -> (ErrorCode, String) {
    (error.code(), error.to_string())
}

/// The Kafka error code for a refused group operation.
pub fn group_error_code(error: GroupError) -> ErrorCode {
    match error {
        GroupError::CoordinatorNotAvailable => ErrorCode::CoordinatorNotAvailable,
        GroupError::NotCoordinator => ErrorCode::NotCoordinator,
        GroupError::CoordinatorLoadInProgress => ErrorCode::CoordinatorLoadInProgress,
        GroupError::InvalidGroupId => ErrorCode::InvalidGroupId,
        GroupError::UnknownMemberId => ErrorCode::UnknownMemberId,
        GroupError::IllegalGeneration => ErrorCode::IllegalGeneration,
        GroupError::InconsistentGroupProtocol => ErrorCode::InconsistentGroupProtocol,
        GroupError::InvalidSessionTimeout => ErrorCode::InvalidSessionTimeout,
        GroupError::RebalanceInProgress => ErrorCode::RebalanceInProgress,
        GroupError::MemberIdRequired => ErrorCode::MemberIdRequired,
        GroupError::GroupMaxSizeReached => ErrorCode::GroupMaxSizeReached,
        GroupError::FencedInstanceId => ErrorCode::FencedInstanceId,
        GroupError::NonEmptyGroup => ErrorCode::NonEmptyGroup,
        GroupError::GroupIdNotFound => ErrorCode::GroupIdNotFound,
        GroupError::GroupSubscribedToTopic => ErrorCode::GroupSubscribedToTopic,
        GroupError::OffsetMetadataTooLarge => ErrorCode::OffsetMetadataTooLarge,
        GroupError::UnknownTopicOrPartition => ErrorCode::UnknownTopicOrPartition,
        GroupError::InvalidCommitOffsetSize => ErrorCode::InvalidCommitOffsetSize,
        GroupError::RequestTimedOut => ErrorCode::RequestTimedOut,
        GroupError::InvalidRequest => ErrorCode::InvalidRequest,
        GroupError::UnsupportedAssignor => ErrorCode::UnsupportedAssignor,
        GroupError::FencedMemberEpoch => ErrorCode::FencedMemberEpoch,
        GroupError::UnreleasedInstanceId => ErrorCode::UnreleasedInstanceId,
        GroupError::StaleMemberEpoch => ErrorCode::StaleMemberEpoch,
        GroupError::InvalidRegularExpression => ErrorCode::InvalidRegularExpression,
        GroupError::UnknownServerError => ErrorCode::UnknownServerError,
    }
}

/// The client's host as Kafka shows it in group descriptions (`/127.0.0.1`).
pub fn client_host(ctx: &crate::connection::RequestContext) -> String {
    format!("/{}", ctx.peer.ip())
}

/// Answer for an admin request on a broker with no controller to send it to.
pub const NO_CONTROLLER: ErrorCode = ErrorCode::NotController;
