//! Raft consensus for Flotilla's controller quorum: [openraft] 0.9 with RocksDB storage and tonic
//! gRPC between voters.
//!
//! The crate replicates opaque commands (bytes) through a Raft log and applies the committed ones,
//! in order, to a [`StateMachine`] that the embedding crate implements. It knows nothing about
//! Kafka or cluster metadata: the metadata crate encodes its records as commands, and its image is
//! the state machine. The one Kafka fact here is the mapping between a Kafka `node.id` (`i32`) and
//! a Raft node id (`u64`), in [`node_id_from_kafka`] / [`kafka_node_id`].
//!
//! # Dependency rule
//! No Flotilla crate is a dependency of this one, and it must not depend on the protocol, metadata
//! or storage crates; they sit beside or above it.
//!
//! # Layout
//! | file | concept |
//! |---|---|
//! | `node.rs` | [`RaftNode`]: start (and initialize from a static voter set), write, read status, stop |
//! | `state_machine.rs` | the [`StateMachine`] trait the embedding crate implements |
//! | `type_config.rs` | openraft's type configuration: node ids, nodes, commands |
//! | `config.rs` | [`RaftConfig`]: timings and sizes, with the LAN defaults |
//! | `status.rs` | [`QuorumStatus`]: one node's view of the quorum |
//! | `log_store.rs` | the Raft log, vote and commit point in RocksDB |
//! | `state_machine_store.rs` | the state machine adapter and its snapshots in RocksDB |
//! | `db.rs` | the RocksDB database: column families, keys, durable writes |
//! | `codec.rs` | postcard, the serialization of openraft types on disk and on the wire |
//! | `network.rs` | gRPC client: one lazily connected channel per peer |
//! | `service.rs` | gRPC server: the `RaftService` over the node's Raft |
//! | `error.rs` | [`Error`] and [`StoreError`] |
//! | `../../proto/raft.proto` | the `RaftService` definition, compiled by `build.rs` with protox |
//!
//! # Storage
//! One RocksDB database per node, in the directory the caller gives (for a controller,
//! `<metadata.log.dir>/__cluster_metadata-0/raft`), with column families `logs` (entries keyed by
//! big-endian index), `meta` (vote, committed log id, last purged log id) and `snapshot` (the last
//! snapshot: openraft's metadata plus the state machine's bytes).
//!
//! The state machine is in memory. On start it is restored from the stored snapshot and openraft
//! applies the committed entries after it again; a follower too far behind the leader's purged log
//! receives the leader's snapshot in chunks.
//!
//! # Durability
//! Appended entries and votes are fsynced (RocksDB `WriteOptions::set_sync`) before openraft is
//! told they are written, since Raft's safety depends on a node never forgetting them; snapshots
//! and log truncations are fsynced too. The commit point and log purges are buffered writes that
//! a crash may lose without harm (see `log_store.rs`). All column families share one write-ahead
//! log, so a synced write also makes every earlier write durable.
//!
//! Everything stored and sent is openraft's serde types in postcard encoding; an openraft upgrade
//! that changes those types needs a data migration and a whole-quorum upgrade.

mod codec;
mod config;
mod contacts;
mod db;
mod error;
mod log_store;
mod network;
mod node;
mod service;
mod state_machine;
mod state_machine_store;
mod status;
#[cfg(test)]
mod storage_tests;
mod type_config;

/// Code generated from `proto/raft.proto`.
#[allow(missing_docs, missing_debug_implementations, clippy::all)]
pub mod proto {
    tonic::include_proto!("flotilla.raft.v1");
}

pub use codec::CodecError;
pub use config::RaftConfig;
pub use error::Error;
pub use error::StoreError;
pub use network::wall_clock_ms;
pub use node::RaftNode;
pub use node::RaftNodeOptions;
pub use node::WriteResult;
pub use state_machine::SnapshotRestoreError;
pub use state_machine::StateMachine;
pub use status::QuorumStatus;
pub use status::Role;
pub use status::VoterStatus;
pub use type_config::kafka_node_id;
pub use type_config::node_id_from_kafka;
pub use type_config::Command;
pub use type_config::CommandResponse;
pub use type_config::NodeId;
pub use type_config::TypeConfig;
