//! Partition replication between brokers, over gRPC on the controller listener
//! (`proto/replication.proto`): Kafka's ISR replication with the follower fetch carried in a stream.
//!
//! - [`leader`]: [`ReplicaFetchLeader`], the `ReplicaFetchService` every broker serves: it answers each
//!   follower request with [`Partition::read_for_follower`](crate::partition::Partition::read_for_follower)
//!   per partition (which records the follower's log end offset and advances the high watermark),
//!   parking it while there is nothing new, as a Kafka leader parks a follower's Fetch.
//! - [`fetcher`]: [`ReplicaFetchers`], the follower side: one task per leader broker, one stream to
//!   it, one request at a time for every partition this broker follows there; each answer is appended,
//!   truncated or reset through [`partition::follow`](crate::partition::follow).
//! - [`isr`]: the leader's ISR upkeep: proposes shrinks (a follower not caught up for
//!   `replica.lag.time.max.ms`) and expansions (a replica that reached the high watermark) to the
//!   controller as AlterPartition with the partition epoch; only the committed ISR counts.
//! - [`wire`]: conversions between the generated messages and the partition layer's types.

pub mod fetcher;
pub mod isr;
pub mod leader;
pub mod wire;

/// The generated messages and service of `proto/replication.proto`.
#[allow(missing_docs, missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("flotilla.replication.v1");
}

pub use fetcher::{FetcherSettings, ReplicaFetchers};
pub use leader::ReplicaFetchLeader;
