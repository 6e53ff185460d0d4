//! The Kafka front end of a Flotilla node.
//!
//! - [`server`]: accepts connections on a bound listener (tests bind port 0), honours `max.connections`, and
//!   shuts down cleanly: it stops accepting, lets every connection finish the request it is handling, then
//!   returns.
//! - [`connection`]: one task per connection. Frames are size-checked against `socket.request.max.bytes`
//!   from their 4-byte prefix before a byte of the body is read; requests are handled one at a time and
//!   answered in order, as Kafka mutes a connection while it handles a request, so pipelined produce
//!   requests keep their order. An idle connection holds only its socket and a small read buffer.
//! - [`grpc_handoff`]: node-to-node gRPC on a Kafka listener, told apart from Kafka by its first bytes,
//!   so brokers without a controller listener can be replicated from.
//! - [`handlers`]: one file per Kafka API with the versions it serves; [`handlers::SUPPORTED_APIS`] is the
//!   registry from which ApiVersions is answered, so what is advertised is what is implemented. Typed
//!   errors become Kafka error codes here and nowhere else.
//! - [`broker`]: [`Broker`], the [`RequestHandler`] of a broker node: holds the partitions, the config and
//!   the limits, and dispatches each request to its handler file's one function.
//! - [`coordinator`]: the group coordinator's I/O (loading `__consumer_offsets` partitions, appending
//!   group and offset records, parking JoinGroup and SyncGroup); its decisions are `flotilla-group`'s.
//! - [`partition`]: the partitions this broker hosts ([`partition::Partitions`]), reconciled with each
//!   metadata image; per partition the log, idempotent producer state, leader/follower state and high
//!   watermark; the write path (produce), the read path (fetch) and offset lookups. Blocking I/O runs
//!   on tokio's blocking threads.
//! - [`replication`]: partition replication between brokers over gRPC on the controller listener: the
//!   leader's `ReplicaFetchService`, the follower fetchers (append, truncate on divergence), and the
//!   leader's ISR upkeep through AlterPartition.
//! - [`metrics`]: Kafka's key signals in Prometheus' text format, served over HTTP on
//!   `prometheus.listener`; gauges computed from the applied metadata image at scrape time.
//! - [`node`]: [`run_node`], a whole node: `meta.properties`, the quorum controller, the logs, broker
//!   registration and heartbeats, following the metadata image, the listeners, periodic log upkeep and
//!   an ordered clean shutdown.
//!
//! Malformed input (a bad size prefix, an unknown API, a body that does not decode) closes that connection
//! with a log line and never affects other connections.

pub mod broker;
pub mod connection;
pub mod coordinator;
pub mod grpc_handoff;
pub mod handlers;
pub mod metrics;
pub mod node;
pub mod partition;
pub mod replication;
pub mod server;
#[cfg(test)]
mod test_fixtures;

pub use broker::{Broker, BrokerLimits};
pub use connection::{ConnectionLimits, RequestContext, RequestHandler};
pub use node::{run_node, run_node_with, NodeError, NodeOptions};
pub use server::{serve, serve_with_grpc, ConnectionBudget};
