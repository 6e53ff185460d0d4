//! The KRaft-style quorum controller: cluster metadata committed through raft, the image published
//! to the local broker, and the controller's request handling, in process and over gRPC.
//!
//! # The write path of a metadata change
//!
//! 1. **Request.** A broker (its handler for CreateTopics, its heartbeat loop, a partition leader's
//!    ISR change) calls a [`ControllerClient`]: in process through a [`ControllerHandle`], or over
//!    gRPC through [`RemoteController`] to the `ControllerService` of a controller node
//!    ([`controller_grpc_service`]), which queues it on that node's handle.
//! 2. **Decision.** One task per node (`controller.rs`) takes operations one at a time. On the raft
//!    leader, once it has taken over for the current term (caught up with the log, seeded broker
//!    sessions, written the [`bootstrap_records`]), it runs the metadata crate's pure decision against
//!    the newest image: records plus a response. Elsewhere it answers
//!    [`ControllerError::NotController`] with the leader it knows, which the remote client follows.
//! 3. **Raft.** The records become one [`MetadataCommand`] (postcard), replicated with
//!    `RaftNode::client_write` and committed by a quorum.
//! 4. **Apply.** On every node, [`MetadataStateMachine`] applies the batch to the image with a
//!    `MetadataDelta` at position (raft index, term) — or skips it whole, identically everywhere, if
//!    the image rejects a record.
//! 5. **Image published.** The new image goes out on a `watch` channel
//!    ([`QuorumController::subscribe`]); its position's offset is the metadata offset the node has
//!    applied, which brokers report in heartbeats. The leader's task sees the write applied and
//!    answers the request.
//!
//! A tick on the active controller fences brokers whose sessions expired
//! (`broker.session.timeout.ms`), through the same steps 2–5.
//!
//! # Layout
//!
//! | file | concept |
//! |---|---|
//! | `quorum_controller.rs` | [`QuorumController`]: start the raft node and the task, subscribe, stop |
//! | `controller.rs` | the task that serializes operations: take over, decide, commit, fence on ticks |
//! | `handle.rs` | [`ControllerHandle`]: the in-process queue to the task, and image subscriptions |
//! | `operations.rs` | request and reply types of each operation, and their conversions to decisions |
//! | `state_machine.rs` | [`MetadataStateMachine`]: raft commands → images, snapshots |
//! | `image_records.rs` | [`image_to_batches`]: the records that rebuild an image (snapshots) |
//! | `bootstrap.rs` | cluster id and `metadata.version` for a new cluster |
//! | `session.rs` | broker heartbeat times on the active controller |
//! | `config_policy.rs` | [`ServerConfigPolicy`]: config validation by the config crate |
//! | `options.rs` | [`ControllerOptions`], from a `ServerConfig` |
//! | `client.rs` | [`ControllerClient`], [`ControllerClientExt`], [`CombinedController`] |
//! | `service.rs` | the gRPC server: [`controller_grpc_service`], [`ControllerServer`] |
//! | `remote.rs` | [`RemoteController`]: the gRPC client that finds the active controller |
//! | `metadata_follower.rs` | [`MetadataFollower`]: a broker-only node's image, followed from any voter with `WatchMetadata` |
//! | `error.rs` | [`ControllerError`], [`ApiError`], [`StartError`] |
//! | `codec.rs`, `wire.rs` | postcard, and how model ids are written |
//! | `../../proto/controller.proto` | `ControllerService`, compiled by `build.rs` with protox |
//!
//! # gRPC payloads
//!
//! As in the raft crate, protobuf is only an envelope: each RPC carries its operation's Rust type,
//! postcard encoded, in a `bytes` field. The operation types are declared once, in
//! [`operations`], and used alike in process and on the wire; transcribing them into protobuf would
//! duplicate every type and its conversions, and buys nothing while every node runs the same build
//! (mixed-version clusters are not supported, as for raft itself).
//!
//! # Dependency rules
//!
//! Above raft, metadata, config and model; below the broker. Errors stay typed here and carry the
//! Kafka [`flotilla_model::ErrorCode`] the broker's handlers answer with.

mod bootstrap;
mod client;
mod codec;
mod config_policy;
mod controller;
mod error;
mod handle;
mod image_records;
mod metadata_follower;
pub mod operations;
mod options;
mod quorum;
mod quorum_controller;
mod remote;
mod service;
mod session;
mod state_machine;
mod wire;

/// Code generated from `proto/controller.proto`.
#[allow(missing_docs, missing_debug_implementations, clippy::all)]
pub mod proto {
    tonic::include_proto!("flotilla.controller.v1");
}

pub use bootstrap::{bootstrap_records, random_cluster_id, METADATA_VERSION_FEATURE, METADATA_VERSION_LEVEL};
pub use client::{CombinedController, ControllerClient, ControllerClientExt};
pub use codec::CodecError;
pub use config_policy::ServerConfigPolicy;
pub use error::{ApiError, ControllerError, StartError};
pub use handle::ControllerHandle;
pub use image_records::image_to_batches;
pub use metadata_follower::MetadataFollower;
pub use options::{ControllerOptions, SharedConfigPolicy};
pub use quorum_controller::QuorumController;
pub use remote::{RemoteController, RemoteControllerOptions};
pub use service::{controller_grpc_service, ControllerGrpcService, ControllerServer, MAX_MESSAGE_BYTES};
pub use state_machine::{ApplyOutcome, MetadataCommand, MetadataStateMachine};
