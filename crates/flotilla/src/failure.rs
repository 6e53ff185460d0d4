//! How the tools word failures, as Kafka's tools print them: the Java exception class an error code
//! stands for (`org.apache.kafka.common.errors.InvalidPartitionsException`), its message (the broker's,
//! or Kafka's default for the code), and log4j's `[2024-05-01 12:00:00,000] ERROR ... (logger)` lines.

use flotilla_client::ClientError;
use flotilla_model::ErrorCode;

/// A failure as a Java tool would report it: an exception class and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Fully qualified Java class name.
    pub exception: String,
    pub message: String,
}

impl Failure {
    /// An error code with the broker's message, or Kafka's default message for the code.
    pub fn kafka(code: ErrorCode, message: Option<&str>) -> Self {
        let message = match message {
            Some(m) if !m.is_empty() => m.to_owned(),
            _ => default_message(code).map_or_else(|| code.name().to_owned(), str::to_owned),
        };
        Self { exception: exception_class(code), message }
    }

    /// `java.lang.IllegalArgumentException` (Kafka's tools throw it for bad input).
    pub fn illegal_argument(message: impl Into<String>) -> Self {
        Self { exception: "java.lang.IllegalArgumentException".to_owned(), message: message.into() }
    }

    /// A client failure: Kafka error codes keep their exception class; the rest (connections, timeouts)
    /// read as `KafkaException` with the client's message.
    pub fn from_client(error: &ClientError) -> Self {
        match error {
            ClientError::Kafka { code, message, .. } => Self::kafka(*code, message.as_deref()),
            ClientError::UnknownTopic { .. } | ClientError::UnknownPartition { .. } => {
                Self { exception: exception_class(ErrorCode::UnknownTopicOrPartition), message: error.to_string() }
            }
            ClientError::RequestTimeout { .. } | ClientError::Timeout { .. } => {
                Self { exception: exception_class(ErrorCode::RequestTimedOut), message: error.to_string() }
            }
            ClientError::OffsetOutOfRange { .. } => {
                Self { exception: exception_class(ErrorCode::OffsetOutOfRange), message: error.to_string() }
            }
            ClientError::Config(message) => Self {
                exception: "org.apache.kafka.common.config.ConfigException".to_owned(),
                message: message.clone(),
            },
            _ => Self { exception: "org.apache.kafka.common.KafkaException".to_owned(), message: error.to_string() },
        }
    }

    /// `class: message`, the first line of Java's `printStackTrace`.
    pub fn stack_line(&self) -> String {
        format!("{}: {}", self.exception, self.message)
    }
}

/// Kafka's default message for an error code (`Errors.message()`), for the codes the tools meet.
pub fn default_message(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::UnknownServerError => "The server experienced an unexpected error when processing the request.",
        ErrorCode::OffsetOutOfRange => {
            "The requested offset is not within the range of offsets maintained by the server."
        }
        ErrorCode::UnknownTopicOrPartition => "This server does not host this topic-partition.",
        ErrorCode::LeaderNotAvailable => {
            "There is no leader for this topic-partition as we are in the middle of a leadership election."
        }
        ErrorCode::NotLeaderOrFollower => {
            "For requests intended only for the leader, this error indicates that the broker is not the current \
             leader. For requests intended for any replica, this error indicates that the broker is not a replica \
             of the topic partition."
        }
        ErrorCode::RequestTimedOut => "The request timed out.",
        ErrorCode::BrokerNotAvailable => "The broker is not available.",
        ErrorCode::MessageTooLarge => {
            "The request included a message larger than the max message size the server will accept."
        }
        ErrorCode::NetworkException => "The server disconnected before a response was received.",
        ErrorCode::InvalidTopicException => "The request attempted to perform an operation on an invalid topic.",
        ErrorCode::RecordListTooLarge => {
            "The request included message batch larger than the configured segment size on the server."
        }
        ErrorCode::NotEnoughReplicas => "Messages are rejected since there are fewer in-sync replicas than required.",
        ErrorCode::NotEnoughReplicasAfterAppend => {
            "Messages are written to the log, but to fewer in-sync replicas than required."
        }
        ErrorCode::InvalidRequiredAcks => "Produce request specified an invalid value for required acks.",
        ErrorCode::TopicAuthorizationFailed => "Topic authorization failed.",
        ErrorCode::GroupAuthorizationFailed => "Group authorization failed.",
        ErrorCode::ClusterAuthorizationFailed => "Cluster authorization failed.",
        ErrorCode::InvalidTimestamp => "The timestamp of the message is out of acceptable range.",
        ErrorCode::UnsupportedVersion => "The version of API is not supported.",
        ErrorCode::TopicAlreadyExists => "Topic with this name already exists.",
        ErrorCode::InvalidPartitions => "Number of partitions is below 1.",
        ErrorCode::InvalidReplicationFactor => {
            "Replication factor is below 1 or larger than the number of available brokers."
        }
        ErrorCode::InvalidReplicaAssignment => "Replica assignment is invalid.",
        ErrorCode::InvalidConfig => "Configuration is invalid.",
        ErrorCode::NotController => "This is not the correct controller for this cluster.",
        ErrorCode::InvalidRequest => {
            "This most likely occurs because of a request being malformed by the client library or the message was \
             sent to an incompatible broker. See the broker logs for more details."
        }
        ErrorCode::PolicyViolation => "Request parameters do not satisfy the configured policy.",
        ErrorCode::OutOfOrderSequenceNumber => "The broker received an out of order sequence number.",
        ErrorCode::DuplicateSequenceNumber => "The broker received a duplicate sequence number.",
        ErrorCode::KafkaStorageError => "Disk error when trying to access log file on the disk.",
        ErrorCode::ReassignmentInProgress => "A partition reassignment is in progress.",
        ErrorCode::TopicDeletionDisabled => "Topic deletion is disabled.",
        ErrorCode::UnsupportedCompressionType => {
            "The requesting client does not support the compression type of given partition."
        }
        ErrorCode::InvalidRecord => "This record has failed the validation on broker and hence will be rejected.",
        ErrorCode::ThrottlingQuotaExceeded => "The throttling quota has been exceeded.",
        ErrorCode::UnknownTopicId => "This server does not host this topic ID.",
        _ => return None,
    })
}

/// The Java exception class Kafka's clients throw for an error code.
pub fn exception_class(code: ErrorCode) -> String {
    let simple = match code {
        ErrorCode::UnknownServerError => "UnknownServerException",
        ErrorCode::CorruptMessage => "CorruptRecordException",
        ErrorCode::RequestTimedOut => "TimeoutException",
        ErrorCode::MessageTooLarge => "RecordTooLargeException",
        ErrorCode::StaleControllerEpoch => "ControllerMovedException",
        ErrorCode::OffsetMetadataTooLarge => "OffsetMetadataTooLarge",
        ErrorCode::NetworkException => "NetworkException",
        ErrorCode::InvalidTopicException => "InvalidTopicException",
        ErrorCode::RecordListTooLarge => "RecordBatchTooLargeException",
        ErrorCode::TopicAuthorizationFailed => "TopicAuthorizationException",
        ErrorCode::GroupAuthorizationFailed => "GroupAuthorizationException",
        ErrorCode::ClusterAuthorizationFailed => "ClusterAuthorizationException",
        ErrorCode::TopicAlreadyExists => "TopicExistsException",
        ErrorCode::InvalidConfig => "InvalidConfigurationException",
        ErrorCode::OutOfOrderSequenceNumber => "OutOfOrderSequenceException",
        ErrorCode::DuplicateSequenceNumber => "DuplicateSequenceException",
        ErrorCode::KafkaStorageError => "KafkaStorageException",
        ErrorCode::NonEmptyGroup => "GroupNotEmptyException",
        ErrorCode::InvalidRecord => {
            return "org.apache.kafka.common.InvalidRecordException".to_owned();
        }
        ErrorCode::Unrecognized(_) => "UnknownServerException",
        other => {
            // Most classes are the code's name in camel case plus "Exception".
            let camel: String = other
                .name()
                .split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    match chars.next() {
                        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
                        None => String::new(),
                    }
                })
                .collect();
            return format!("org.apache.kafka.common.errors.{camel}Exception");
        }
    };
    format!("org.apache.kafka.common.errors.{simple}")
}

/// A log4j line in Kafka's tools layout: `[2024-05-01 12:00:00,000] ERROR message (logger)`.
pub fn log_line(level: &str, message: &str, logger: &str) -> String {
    let now = chrono::Local::now();
    format_log_line(&now.format("%Y-%m-%d %H:%M:%S,%3f").to_string(), level, message, logger)
}

/// [`log_line`] with the time given.
pub fn format_log_line(time: &str, level: &str, message: &str, logger: &str) -> String {
    format!("[{time}] {level} {message} ({logger})")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn exception_classes_follow_kafka() {
        assert_eq!(
            exception_class(ErrorCode::InvalidPartitions),
            "org.apache.kafka.common.errors.InvalidPartitionsException"
        );
        assert_eq!(
            exception_class(ErrorCode::TopicAlreadyExists),
            "org.apache.kafka.common.errors.TopicExistsException"
        );
        assert_eq!(
            exception_class(ErrorCode::UnknownTopicOrPartition),
            "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"
        );
        assert_eq!(exception_class(ErrorCode::RequestTimedOut), "org.apache.kafka.common.errors.TimeoutException");
        assert_eq!(
            exception_class(ErrorCode::InvalidReplicationFactor),
            "org.apache.kafka.common.errors.InvalidReplicationFactorException"
        );
    }

    #[test]
    fn broker_messages_win_over_defaults() {
        let f = Failure::kafka(ErrorCode::TopicAlreadyExists, Some("Topic 't' already exists."));
        assert_eq!(f.stack_line(), "org.apache.kafka.common.errors.TopicExistsException: Topic 't' already exists.");
        let f = Failure::kafka(ErrorCode::InvalidPartitions, None);
        assert_eq!(f.message, "Number of partitions is below 1.");
        let f = Failure::kafka(ErrorCode::GroupIdNotFound, None);
        assert_eq!(f.message, "GROUP_ID_NOT_FOUND");
    }

    #[test]
    fn client_failures_keep_the_clients_wording() {
        let e = ClientError::Unreachable {
            node: -1,
            host: "localhost".into(),
            addr: "127.0.0.1:9092".into(),
            source: Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        };
        let f = Failure::from_client(&e);
        assert_eq!(f.exception, "org.apache.kafka.common.KafkaException");
        assert!(f.message.contains("could not be established"));
        let f = Failure::from_client(&ClientError::kafka(37, Some("no decrease"), "create partitions"));
        assert_eq!(f.stack_line(), "org.apache.kafka.common.errors.InvalidPartitionsException: no decrease");
    }

    #[test]
    fn log_lines_have_log4j_layout() {
        assert_eq!(
            format_log_line("2024-05-01 12:00:00,000", "ERROR", "boom", "org.apache.kafka.tools.TopicCommand"),
            "[2024-05-01 12:00:00,000] ERROR boom (org.apache.kafka.tools.TopicCommand)"
        );
    }
}
