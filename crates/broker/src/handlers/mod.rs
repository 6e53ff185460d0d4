//! One module per Kafka API. Each declares the versions it serves next to its code; [`SUPPORTED_APIS`] is
//! the registry ApiVersions answers from.
//!
//! This is where typed errors become Kafka error codes ([`partition_error_code`]).

pub mod alter_partition_reassignments;
pub mod api_versions;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_quorum;
pub mod elect_leaders;
pub mod fetch;
pub mod init_producer_id;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod metadata;
pub mod offset_for_leader_epoch;
pub mod produce;

use flotilla_controller::ControllerError;
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

/// Answer for an admin request on a broker with no controller to send it to.
pub const NO_CONTROLLER: ErrorCode = ErrorCode::NotController;
