//! Why a config could not be loaded. Messages follow Kafka's wording where Kafka has one
//! (`Invalid value X for configuration Y: reason`, `Unknown topic config name: X`), so an operator who
//! knows Kafka recognises them.

use crate::origin::Origin;

/// A `.properties` text that cannot be read. Every variant that concerns a line names it (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertiesError {
    #[error("the config text is {size_bytes} bytes; the limit is {limit_bytes} bytes")]
    TooLarge { size_bytes: usize, limit_bytes: usize },
    #[error("line {line}: the line (with its continuations) is longer than the limit of {limit_bytes} bytes")]
    LineTooLong { line: usize, limit_bytes: usize },
    #[error("line {line}: malformed \\uxxxx escape: {detail}")]
    MalformedUnicodeEscape { line: usize, detail: String },
}

/// A server or topic config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Properties(#[from] PropertiesError),

    /// A value that does not parse, is out of range, or contradicts another key.
    #[error("Invalid value {value} for configuration {key}: {reason}{}", origin_suffix(.origin.as_ref()))]
    InvalidValue { key: String, value: String, reason: String, origin: Option<Origin> },

    /// A key that must be set and is not.
    #[error("Missing required configuration {key}: {reason}")]
    Missing { key: String, reason: String },

    /// A topic override whose name is not a topic config (Kafka answers INVALID_CONFIG).
    #[error("Unknown topic config name: {name}")]
    UnknownTopicConfig { name: String },

    /// An environment variable too long to be a config value.
    #[error("environment variable {variable} is {size_bytes} bytes; the limit is {limit_bytes} bytes")]
    EnvValueTooLong { variable: String, size_bytes: usize, limit_bytes: usize },
}

impl ConfigError {
    pub(crate) fn invalid(key: &str, value: &str, reason: impl Into<String>) -> Self {
        ConfigError::InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
            origin: None,
        }
    }

    pub(crate) fn missing(key: &str, reason: impl Into<String>) -> Self {
        ConfigError::Missing { key: key.to_string(), reason: reason.into() }
    }

    /// Attaches where the offending value came from, unless the error already says.
    pub(crate) fn with_origin(self, at: Option<&Origin>) -> Self {
        match self {
            ConfigError::InvalidValue { key, value, reason, origin: None } => {
                ConfigError::InvalidValue { key, value, reason, origin: at.cloned() }
            }
            other => other,
        }
    }

    /// The config key the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::InvalidValue { key, .. } | ConfigError::Missing { key, .. } => Some(key),
            ConfigError::UnknownTopicConfig { name } => Some(name),
            ConfigError::Properties(_) | ConfigError::EnvValueTooLong { .. } => None,
        }
    }
}

fn origin_suffix(origin: Option<&Origin>) -> String {
    match origin {
        Some(origin) => format!(" (set by {origin})"),
        None => String::new(),
    }
}
