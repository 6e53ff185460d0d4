//! The client's one error type, and which Kafka error codes are worth a retry or a metadata refresh.
//!
//! Messages follow the wording of Kafka's own clients where operators know it (an unreachable node, a topic
//! missing from metadata), so that the output of Flotilla's tools reads like Kafka's.

use std::sync::Arc;
use std::time::Duration;

use flotilla_model::ErrorCode;
use flotilla_protocol::frame::FrameSizeError;
use flotilla_protocol::records::RecordsError;
use flotilla_protocol::{DecodeError, EncodeError, VersionRange};
use thiserror::Error;

/// Everything a client call can fail with. Cheap to clone, so one failure can be reported to every record
/// of a batch.
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A `host:port` could not be parsed.
    #[error("invalid address {address:?}: expected host:port")]
    InvalidAddress { address: String },

    /// DNS resolution failed (Kafka's wording).
    #[error("Couldn't resolve server {address} from bootstrap.servers as DNS resolution failed for {host}")]
    Resolve { address: String, host: String },

    /// A TCP connection could not be made (Kafka's wording; `node` is -1 for a bootstrap server).
    #[error("Connection to node {node} ({host}/{addr}) could not be established. Node may not be available.")]
    Unreachable {
        node: i32,
        host: String,
        addr: String,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// No bootstrap server answered; each attempt's failure is listed.
    #[error("no bootstrap server is reachable: {}", .attempts.join("; "))]
    NoBrokerReachable { attempts: Vec<String> },

    /// The connection to a node failed or was closed with requests outstanding.
    #[error("connection to node {node} ({addr}) closed: {reason}")]
    ConnectionClosed { node: i32, addr: String, reason: String },

    /// A request got no answer in time; the connection it was sent on is closed, as Kafka's clients do.
    #[error("request {api} to node {node} timed out after {} ms", .after.as_millis())]
    RequestTimeout { api: &'static str, node: i32, after: Duration },

    /// Something other than a single request ran out of time (metadata waits, flushes, leader elections).
    #[error("{what}")]
    Timeout { what: String },

    /// The broker and this client share no version of an API.
    #[error("node {node} does not support {api} at any version this client speaks ({} to {}){}",
        .ours.min, .ours.max,
        .theirs.map(|r| format!("; it supports {} to {}", r.min, r.max)).unwrap_or_default())]
    UnsupportedVersion { node: i32, api: &'static str, ours: VersionRange, theirs: Option<VersionRange> },

    /// A Kafka error code answered for a request (a top-level code, or a partition's when the call is about
    /// one partition).
    #[error("{context}: {}{}", .code.name(), .message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka { code: ErrorCode, message: Option<String>, context: String },

    /// The topic is not in the cluster's metadata.
    #[error("Topic {topic} not present in metadata")]
    UnknownTopic { topic: String },

    /// The topic exists but has no such partition.
    #[error("Partition {partition} of topic {topic} with partition count {count} is not present in metadata")]
    UnknownPartition { topic: String, partition: i32, count: usize },

    /// A consumer's position is outside the log and `auto_offset_reset` is `None`.
    #[error("Fetch position offset {offset} is out of range for partition {topic}-{partition}")]
    OffsetOutOfRange { topic: String, partition: i32, offset: i64 },

    /// The peer sent a response that does not match the request it answers.
    #[error("protocol violation by node {node}: {reason}")]
    Protocol { node: i32, reason: String },

    /// A response frame's size prefix was refused.
    #[error("response from node {node}: {source}")]
    FrameSize {
        node: i32,
        #[source]
        source: FrameSizeError,
    },

    #[error(transparent)]
    Encode(#[from] EncodeError),

    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// A record batch could not be built or read.
    #[error(transparent)]
    Records(Arc<RecordsError>),

    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The producer or consumer was closed.
    #[error("{0} is closed")]
    Closed(&'static str),
}

impl From<RecordsError> for ClientError {
    fn from(e: RecordsError) -> Self {
        ClientError::Records(Arc::new(e))
    }
}

impl ClientError {
    /// A [`ClientError::Kafka`] from a wire error code.
    pub fn kafka(code: i16, message: Option<&str>, context: impl Into<String>) -> Self {
        ClientError::Kafka {
            code: ErrorCode::from_code(code),
            message: message.map(str::to_owned),
            context: context.into(),
        }
    }

    /// The Kafka error code, when the failure is one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Kafka { code, .. } => Some(*code),
            ClientError::UnknownTopic { .. } | ClientError::UnknownPartition { .. } => {
                Some(ErrorCode::UnknownTopicOrPartition)
            }
            ClientError::OffsetOutOfRange { .. } => Some(ErrorCode::OffsetOutOfRange),
            ClientError::RequestTimeout { .. } => Some(ErrorCode::RequestTimedOut),
            ClientError::UnsupportedVersion { .. } => Some(ErrorCode::UnsupportedVersion),
            _ => None,
        }
    }

    /// Whether the same request may succeed later: network failures, timeouts and retriable codes.
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Unreachable { .. }
            | ClientError::ConnectionClosed { .. }
            | ClientError::RequestTimeout { .. }
            | ClientError::NoBrokerReachable { .. } => true,
            ClientError::Kafka { code, .. } => is_retriable(*code),
            _ => false,
        }
    }

    /// Whether the failure means the cached metadata (a leader, a connection) may be stale.
    pub fn needs_metadata_refresh(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::ConnectionClosed { .. } => true,
            ClientError::Kafka { code, .. } => invalidates_metadata(*code),
            _ => false,
        }
    }
}

/// Kafka's retriable errors (the codes whose exception is a `RetriableException`).
pub fn is_retriable(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::CorruptMessage
            | ErrorCode::UnknownTopicOrPartition
            | ErrorCode::LeaderNotAvailable
            | ErrorCode::NotLeaderOrFollower
            | ErrorCode::RequestTimedOut
            | ErrorCode::ReplicaNotAvailable
            | ErrorCode::NetworkException
            | ErrorCode::CoordinatorLoadInProgress
            | ErrorCode::CoordinatorNotAvailable
            | ErrorCode::NotCoordinator
            | ErrorCode::NotEnoughReplicas
            | ErrorCode::NotEnoughReplicasAfterAppend
            | ErrorCode::NotController
            | ErrorCode::ConcurrentTransactions
            | ErrorCode::KafkaStorageError
            | ErrorCode::FetchSessionIdNotFound
            | ErrorCode::InvalidFetchSessionEpoch
            | ErrorCode::FencedLeaderEpoch
            | ErrorCode::UnknownLeaderEpoch
            | ErrorCode::OffsetNotAvailable
            | ErrorCode::PreferredLeaderNotAvailable
            | ErrorCode::EligibleLeadersNotAvailable
            | ErrorCode::UnstableOffsetCommit
            | ErrorCode::ThrottlingQuotaExceeded
            | ErrorCode::UnknownTopicId
            | ErrorCode::FetchSessionTopicIdError
            | ErrorCode::InconsistentTopicId
    )
}

/// Codes after which a client refreshes its metadata before retrying: the leader moved or the topic is
/// not (yet) where the cache says.
pub fn invalidates_metadata(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UnknownTopicOrPartition
            | ErrorCode::LeaderNotAvailable
            | ErrorCode::NotLeaderOrFollower
            | ErrorCode::ReplicaNotAvailable
            | ErrorCode::NetworkException
            | ErrorCode::KafkaStorageError
            | ErrorCode::FencedLeaderEpoch
            | ErrorCode::UnknownLeaderEpoch
            | ErrorCode::NotController
            | ErrorCode::UnknownTopicId
            | ErrorCode::FetchSessionTopicIdError
            | ErrorCode::InconsistentTopicId
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_reads_like_kafka() {
        let e = ClientError::Unreachable {
            node: -1,
            host: "localhost".into(),
            addr: "127.0.0.1:9092".into(),
            source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        assert_eq!(
            e.to_string(),
            "Connection to node -1 (localhost/127.0.0.1:9092) could not be established. Node may not be available."
        );
        assert!(e.is_retriable());
    }

    #[test]
    fn kafka_errors_name_their_code() {
        let e = ClientError::kafka(6, Some("moved"), "Produce to orders-0");
        assert_eq!(e.to_string(), "Produce to orders-0: NOT_LEADER_OR_FOLLOWER: moved");
        assert!(e.is_retriable() && e.needs_metadata_refresh());
        let e = ClientError::kafka(36, None, "create topic t");
        assert_eq!(e.to_string(), "create topic t: TOPIC_ALREADY_EXISTS");
        assert!(!e.is_retriable());
    }
}
