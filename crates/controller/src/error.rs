//! Errors of this crate. [`ControllerError`] is what every controller operation can fail with, in
//! process and over gRPC alike (it is plain data, so it travels as it is); each variant knows the
//! Kafka [`ErrorCode`] it becomes at the broker's handler edge. [`ApiError`] is a refusal of one
//! request or one item of a request (a topic, a partition, a config resource), carried with its
//! Kafka code and message. [`StartError`] is a controller that cannot start.

use std::fmt;

use flotilla_model::{ErrorCode, NodeId};
use serde::{Deserialize, Serialize};

use crate::wire;

/// Why a controller operation failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ControllerError {
    /// This node is not the active controller. Retry on `leader_id`, if known (Kafka's
    /// NOT_CONTROLLER).
    #[error("this node is not the active controller; the active controller is {}", Leader(*.leader_id))]
    NotController {
        #[serde(with = "wire::option")]
        leader_id: Option<NodeId>,
    },
    /// The controller refused the request (a stale broker epoch, an unknown broker, a cluster id
    /// mismatch, ...), with the Kafka code and message to answer.
    #[error(transparent)]
    Rejected(ApiError),
    /// The controller did not finish in time; the change may still be committed later.
    #[error("the controller did not finish the request within {waited_ms} ms")]
    Timeout { waited_ms: u64 },
    /// No controller could be reached.
    #[error("no controller could be reached: {0}")]
    Unreachable(String),
    /// The controller is shutting down.
    #[error("the controller is shutting down")]
    ShuttingDown,
    /// A bug or a broken node: undecodable messages, committed records the image rejected, a failed
    /// raft node.
    #[error("controller internal error: {0}")]
    Internal(String),
}

struct Leader(Option<NodeId>);

impl fmt::Display for Leader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "node {id}"),
            None => f.write_str("unknown"),
        }
    }
}

impl ControllerError {
    /// The Kafka error code a broker answers with. Not being, or not reaching, the controller is
    /// NOT_CONTROLLER, which clients retry after refreshing metadata, as Kafka's controller answers.
    pub fn code(&self) -> ErrorCode {
        match self {
            ControllerError::NotController { .. } | ControllerError::Unreachable(_) | ControllerError::ShuttingDown => {
                ErrorCode::NotController
            }
            ControllerError::Rejected(e) => e.code(),
            ControllerError::Timeout { .. } => ErrorCode::RequestTimedOut,
            ControllerError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }

    /// Whether another controller node might serve the request: the request was not carried out
    /// here.
    pub fn is_retriable_elsewhere(&self) -> bool {
        matches!(
            self,
            ControllerError::NotController { .. } | ControllerError::Unreachable(_) | ControllerError::ShuttingDown
        )
    }

    pub(crate) fn internal(e: impl fmt::Display) -> Self {
        ControllerError::Internal(e.to_string())
    }

    pub(crate) fn from_raft(e: flotilla_raft::Error) -> Self {
        match e {
            flotilla_raft::Error::ForwardToLeader { leader_id, .. } => ControllerError::NotController {
                leader_id: leader_id.and_then(flotilla_raft::kafka_node_id).map(NodeId::new),
            },
            // A leader that cannot confirm its leadership is not a controller to rely on.
            flotilla_raft::Error::QuorumNotEnough(_) => ControllerError::NotController { leader_id: None },
            flotilla_raft::Error::Stopped => ControllerError::ShuttingDown,
            other => ControllerError::Internal(other.to_string()),
        }
    }
}

/// A refusal with a Kafka error code and message, for a whole request or one item of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{name}: {message}", name = self.code().name())]
pub struct ApiError {
    /// The wire value of the code (the model's `ErrorCode` has no serde).
    code: i16,
    message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code: code.code(), message: message.into() }
    }

    pub fn code(&self) -> ErrorCode {
        ErrorCode::from_code(self.code)
    }

    /// The message for the response's `error_message` field.
    pub fn message(&self) -> &str {
        &self.message
    }
}

macro_rules! api_error_from {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$ty> for ApiError {
            fn from(e: $ty) -> Self {
                ApiError::new(e.code(), e.to_string())
            }
        }
    )*};
}

api_error_from!(
    flotilla_metadata::controller::brokers::BrokerError,
    flotilla_metadata::controller::topics::TopicError,
    flotilla_metadata::controller::partitions::PartitionError,
    flotilla_metadata::controller::reassignment::ReassignmentError,
    flotilla_metadata::controller::configs::ConfigError,
    flotilla_metadata::controller::producer_ids::ProducerIdsError,
);

/// A controller that could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The options are unusable.
    #[error("invalid controller configuration: {0}")]
    InvalidConfig(String),
    /// The raft node did not start.
    #[error(transparent)]
    Raft(#[from] flotilla_raft::Error),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn codes_and_round_trip() {
        let not_controller = ControllerError::NotController { leader_id: Some(NodeId::new(2)) };
        assert_eq!(not_controller.code(), ErrorCode::NotController);
        assert!(not_controller.to_string().ends_with("node 2"), "{not_controller}");
        let rejected = ControllerError::Rejected(ApiError::new(ErrorCode::StaleBrokerEpoch, "old"));
        assert_eq!(rejected.code(), ErrorCode::StaleBrokerEpoch);
        assert_eq!(rejected.to_string(), "STALE_BROKER_EPOCH: old");
        for e in [not_controller, rejected, ControllerError::Timeout { waited_ms: 5 }] {
            let bytes = crate::codec::encode(&e, "error").unwrap();
            assert_eq!(crate::codec::decode::<ControllerError>(&bytes, "error").unwrap(), e);
        }
    }
}
