//! Where a raw config value came from: a line of the config file, Flotilla's built-in single-node
//! config, or an environment variable. Errors and warnings name it so the operator can find the line.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A line (1-based) of the server.properties text the binary passed in.
    File { line: usize },
    /// A line of [`crate::DEFAULT_SERVER_PROPERTIES`], used when no config file is given.
    BuiltIn { line: usize },
    /// An environment variable (`KAFKA_LOG_DIRS`, `CLUSTER_ID`, ...).
    Env { variable: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { line } => write!(f, "line {line} of the config file"),
            Origin::BuiltIn { line } => write!(f, "line {line} of the built-in single-node config"),
            Origin::Env { variable } => write!(f, "environment variable {variable}"),
        }
    }
}

/// A value as written, before any parsing, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    pub value: String,
    pub origin: Origin,
}
