//! A node's configuration: Kafka's `server.properties` keys, defaults and validation, Confluent-style
//! `KAFKA_*` environment overrides, and Kafka's topic-level configs.
//!
//! The crate is pure: the binary reads the config file and the environment and passes them in;
//! nothing here touches the filesystem, the network or a runtime. Everything that comes in is bounded
//! and checked, and every failure is a [`ConfigError`] that names the key, the value and (for values)
//! where it was set — no input panics.
//!
//! ```
//! use flotilla_config::ServerConfig;
//!
//! let text = "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\n\
//!             listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n";
//! let env = [("KAFKA_NUM_PARTITIONS", "3"), ("KAFKA_HEAP_OPTS", "-Xmx1G")];
//! let loaded = ServerConfig::load(Some(text), env).unwrap();
//! assert_eq!(loaded.config.num_partitions, 3);
//! assert!(loaded.warnings.is_empty());
//! ```
//!
//! Layout, one concept per file:
//! - [`properties`]: the Java `.properties` parser (comments, separators, continuations, escapes).
//! - [`env`](mod@env): `KAFKA_*` variables → keys, the way Confluent's `cp-kafka` image maps them.
//! - [`address`], [`listeners`], [`quorum`]: `host:port`, `NAME://host:port` listeners and the
//!   protocol map, `id@host:port` voters.
//! - [`key`]: a key's type, default and valid values (Kafka's `ConfigDef`), and value parsing.
//! - [`server_keys`]: the broker keys Flotilla knows, and how it treats the Kafka keys it ignores.
//! - [`server`]: [`ServerConfig`], its precedence rules and cross-key validation, and the built-in
//!   single-node default.
//! - [`topic`]: [`TopicConfig`] — topic keys, their server defaults, override validation.
//! - [`describe`]: DescribeConfigs entries (value, source, synonyms) for a broker and a topic.
//! - [`origin`], [`warning`], [`error`]: where a value came from, warnings, errors.

pub mod address;
pub mod describe;
pub mod env;
pub mod error;
pub mod key;
pub mod listeners;
pub mod origin;
pub mod properties;
pub mod quorum;
pub mod server;
pub mod server_keys;
pub mod topic;
pub mod warning;

pub use address::HostPort;
pub use describe::{ConfigEntry, ConfigSource, ConfigSynonym};
pub use error::{ConfigError, PropertiesError};
pub use key::{ConfigType, KeyDef, Value};
pub use listeners::{Endpoint, ListenerName, SecurityProtocol, SecurityProtocolMap};
pub use origin::{Origin, RawValue};
pub use quorum::Voter;
pub use server::{Loaded, ProcessRoles, ServerConfig, DEFAULT_SERVER_PROPERTIES};
pub use topic::{CleanupPolicy, TimestampType, TopicCompression, TopicConfig, TopicKey, TOPIC_KEYS};
pub use warning::{ConfigWarning, WarningKind};
