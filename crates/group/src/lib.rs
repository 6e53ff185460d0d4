//! Consumer group coordination without I/O: the decisions of Kafka's group coordinator as plain values,
//! so they can be tested with a clock in a variable. The broker's `coordinator` module does the I/O:
//! it appends the records this crate asks for to `__consumer_offsets`, parks and answers requests, and
//! replays the partition when it becomes its leader.
//!
//! - [`coordinator_partition`]: which `__consumer_offsets` partition (so which broker) holds a group.
//! - [`classic_group`]: the classic rebalance protocol's state machine (JoinGroup, SyncGroup, Heartbeat,
//!   LeaveGroup); [`member`] and [`state`] are its parts.
//! - [`consumer_group`]: the consumer group protocol (KIP-848): member epochs, target assignments and
//!   revoke-before-assign reconciliation; [`assignor`] holds its server-side assignors.
//! - [`offsets`]: a group's committed offsets.
//! - [`shard`]: the groups of one coordinator partition, rebuilt from its records.
//! - [`records`]: the `__consumer_offsets` record format (Kafka's own).
//! - [`config`]: the broker settings the decisions use; [`error`]: why an operation was refused.
//!
//! Depends only on `flotilla-protocol` (the consumer protocol's subscription format); no async runtime,
//! sockets or storage.

pub mod assignor;
pub mod classic_group;
pub mod config;
pub mod consumer_group;
pub mod coordinator_partition;
pub mod error;
pub mod member;
pub mod offsets;
pub mod records;
pub mod shard;
pub mod state;

pub use classic_group::{ClassicGroup, Effects, JoinRequest, JoinResponse, Reply, SyncRequest, SyncResponse};
pub use config::GroupConfig;
pub use error::GroupError;
pub use state::GroupState;
