//! Why a group operation was refused. Each variant is one Kafka error; the broker's handlers map them to
//! wire codes, so this crate never deals in numbers.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum GroupError {
    #[error("the group coordinator is not available")]
    CoordinatorNotAvailable,
    #[error("this broker is not the group's coordinator")]
    NotCoordinator,
    #[error("the coordinator is still loading the group")]
    CoordinatorLoadInProgress,
    #[error("the group id is not valid")]
    InvalidGroupId,
    #[error("the member id is not known to the group")]
    UnknownMemberId,
    #[error("the generation is not the group's current one")]
    IllegalGeneration,
    #[error("the protocol type or protocols do not match the group's")]
    InconsistentGroupProtocol,
    #[error("the session timeout is outside group.min.session.timeout.ms .. group.max.session.timeout.ms")]
    InvalidSessionTimeout,
    #[error("the group is rebalancing")]
    RebalanceInProgress,
    #[error("the member must rejoin with the member id it was given")]
    MemberIdRequired,
    #[error("the group has group.max.size members")]
    GroupMaxSizeReached,
    #[error("another member joined with the same group.instance.id")]
    FencedInstanceId,
    #[error("the group still has members")]
    NonEmptyGroup,
    #[error("the group does not exist")]
    GroupIdNotFound,
    #[error("the group is subscribed to the topic")]
    GroupSubscribedToTopic,
    #[error("the offset metadata is larger than offset.metadata.max.bytes")]
    OffsetMetadataTooLarge,
    #[error("the topic or partition does not exist")]
    UnknownTopicOrPartition,
    #[error("the commit is too large to write")]
    InvalidCommitOffsetSize,
    #[error("the request timed out")]
    RequestTimedOut,
    #[error("the request is missing a field its member epoch requires, or names an invalid epoch")]
    InvalidRequest,
    #[error("the server assignor is not one of group.consumer.assignors")]
    UnsupportedAssignor,
    #[error("the member epoch is not the one the coordinator knows; the member must rejoin")]
    FencedMemberEpoch,
    #[error("another member still holds the group.instance.id")]
    UnreleasedInstanceId,
    #[error("the member epoch of the commit is not the member's current one")]
    StaleMemberEpoch,
    #[error("the subscription's regular expression does not compile")]
    InvalidRegularExpression,
    #[error("an unexpected error")]
    UnknownServerError,
}
