//! The partitions this broker hosts: the layer between the Kafka handlers and the storage logs
//! (Kafka's `ReplicaManager` and `Partition`).
//!
//! - [`registry`]: [`Partitions`], hosted partitions by topic id, reconciled with each metadata image
//!   ([`Partitions::apply_image`]), and the lookups handlers use.
//! - [`reconcile`]: the pure decision of what an image means here: create, adopt, delete, change role,
//!   leave a stray log alone. [`assignment`]: what the image assigns to this broker.
//! - [`hosted`]: [`Partition`], one hosted partition: its log, producer state, replica state (role,
//!   leader epoch, ISR view, follower log end offsets), high watermark, and the wake-ups of
//!   acks=all waits and long-polling fetches.
//! - [`append`]: the leader's write path with idempotent producer checks. [`read`]: consumer
//!   and follower fetches and offset lookups. [`follow`]: the follower's appends and truncation.
//! - [`high_watermark`]: the min-over-ISR rule (pure). [`replica_progress`]: a leader's view of each
//!   follower and the ISR shrink/expand rules (pure). [`epoch_check`]: `current_leader_epoch`
//!   checks (pure). [`log_config`]: topic configs mapped to storage settings.
//!   [`producer_recovery`]: producer state rebuilt from snapshots and the log.
//!   [`topic_id_file`]: the `partition.metadata` file. [`error`]: [`PartitionError`].
//!
//! # Write path (produce)
//!
//! The handler resolves each partition through [`Partitions`], then on a blocking thread calls
//! [`Partition::append_records_as_leader`]: under the replica read lock and the partition's append
//! lock it checks leadership and `min.insync.replicas` (acks=all), checks idempotent producer state
//! against the batch headers (duplicate → original offsets, nothing written), lets the log validate
//! and write, records the stamped batches in producer state and advances the high watermark to the
//! smallest log end offset over the ISR (alone in the ISR: the new log end offset). acks=all then
//! waits ([`Partition::wait_for_high_watermark`]) for the high watermark to pass the batch, within
//! the request timeout.
//!
//! # Read path (fetch)
//!
//! [`Partition::read_for_consumer`] checks leadership and the client's leader epoch, detects a
//! diverged client log from its last fetched epoch, and reads whole stored batches up to the high
//! watermark. A long-polling fetch subscribes to each partition's change channel before reading, so
//! an append that lands between the read and the wait still wakes it.
//!
//! # Replication
//!
//! On a leader, [`Partition::read_for_follower`] serves a follower's fetch (up to the log end, with
//! KIP-320 divergence detection) and reports its log end offset through
//! [`Partition::record_follower_fetch`], which keeps a [`replica_progress`] entry per follower and
//! advances the high watermark (min over the ISR); [`Partition::isr_proposal`] says which ISR the
//! leader should propose to the controller (lagging members out after `replica.lag.time.max.ms`,
//! caught-up replicas in). On a follower, [`follow`] gives the next fetch position, appends what the
//! leader sent (and its high watermark) and truncates a diverged log. A follower partition serves
//! nothing to clients. The network side is `crate::replication`.

pub mod append;
pub mod assignment;
pub mod epoch_check;
pub mod error;
pub mod follow;
pub mod high_watermark;
pub mod hosted;
pub mod log_config;
pub mod producer_recovery;
pub mod read;
pub mod reconcile;
pub mod registry;
pub mod replica_progress;
pub mod topic_id_file;

pub use append::{AppendOutcome, RequiredAcks};
pub use assignment::{Assignment, Role};
pub use error::PartitionError;
pub use follow::{FollowerApply, FollowerPosition};
pub use hosted::{IsrProposal, Partition, ReplicaState};
pub use read::{ConsumerRead, FollowerRead, Isolation, OffsetReader, ReadResult};
pub use registry::{ApplyReport, PartitionLookup, Partitions};

/// Runs short blocking I/O (a page-cache read or write) on this worker: `block_in_place` on a
/// multi-thread runtime, which moves the worker's other tasks away in case the disk does block;
/// inline on a current-thread runtime (tests), which cannot. Cheaper than a hand-off to the blocking
/// pool and back, which costs two thread wake-ups per call.
pub fn run_in_place<T>(work: impl FnOnce() -> T) -> T {
    if tokio::runtime::Handle::current().runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

/// Milliseconds since the Unix epoch by the wall clock (what Kafka stamps as LogAppendTime and uses
/// for retention).
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
