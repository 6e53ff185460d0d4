//! Topic names and Kafka's rules for them (`org.apache.kafka.common.internals.Topic`).

use std::fmt;
use std::sync::Arc;

use thiserror::Error;

/// Longest legal topic name: 255 minus room for a partition suffix in directory names.
pub const MAX_TOPIC_NAME_CHARS: usize = 249;

/// The internal topic holding consumer group offsets and metadata.
pub const CONSUMER_OFFSETS_TOPIC: &str = "__consumer_offsets";
/// The internal topic holding transaction coordinator state.
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// Why a topic name is illegal; messages follow Kafka's wording.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicNameError {
    #[error("Topic name is illegal, it can't be empty")]
    Empty,
    #[error("Topic name cannot be \".\" or \"..\"")]
    Dots,
    #[error("Topic name is illegal, it can't be longer than {MAX_TOPIC_NAME_CHARS} characters, topic name: {0}")]
    TooLong(String),
    #[error("Topic name \"{0}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")]
    IllegalCharacter(String),
}

/// A legal topic name. Cheap to clone (shared).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicName(Arc<str>);

impl TopicName {
    /// Validates `name` against Kafka's rules.
    pub fn new(name: &str) -> Result<Self, TopicNameError> {
        if name.is_empty() {
            return Err(TopicNameError::Empty);
        }
        if name == "." || name == ".." {
            return Err(TopicNameError::Dots);
        }
        if name.len() > MAX_TOPIC_NAME_CHARS {
            return Err(TopicNameError::TooLong(name.to_string()));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-') {
            return Err(TopicNameError::IllegalCharacter(name.to_string()));
        }
        Ok(Self(name.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Kafka's internal topics, which clients cannot produce to directly.
    pub fn is_internal(&self) -> bool {
        &*self.0 == CONSUMER_OFFSETS_TOPIC || &*self.0 == TRANSACTION_STATE_TOPIC
    }

    /// True if the name contains '.' or '_', which Kafka's metric names treat as the same character.
    pub fn has_collision_chars(&self) -> bool {
        self.0.contains(['.', '_'])
    }

    /// The name with '.' replaced by '_': two topics whose unified names are equal collide.
    pub fn unified(&self) -> String {
        self.0.replace('.', "_")
    }

    /// True if this name and `other` differ but collide in metric names.
    pub fn collides_with(&self, other: &TopicName) -> bool {
        self != other && self.unified() == other.unified()
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names() {
        for name in ["orders", "a.b_c-d", "X1", &"x".repeat(249)] {
            assert!(TopicName::new(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn illegal_names_say_why() {
        assert_eq!(TopicName::new(""), Err(TopicNameError::Empty));
        assert_eq!(TopicName::new(".."), Err(TopicNameError::Dots));
        assert!(matches!(TopicName::new(&"x".repeat(250)), Err(TopicNameError::TooLong(_))));
        let err = TopicName::new("bad name").expect_err("space");
        assert_eq!(
            err.to_string(),
            "Topic name \"bad name\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        );
    }

    #[test]
    fn dot_and_underscore_collide() {
        let a = TopicName::new("metrics.cpu").expect("legal");
        let b = TopicName::new("metrics_cpu").expect("legal");
        assert!(a.has_collision_chars());
        assert!(a.collides_with(&b));
        assert!(!a.collides_with(&a));
    }

    #[test]
    fn internal_topics() {
        assert!(TopicName::new(CONSUMER_OFFSETS_TOPIC).expect("legal").is_internal());
        assert!(!TopicName::new("orders").expect("legal").is_internal());
    }
}
