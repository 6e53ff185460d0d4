//! One file per tool. Each has its clap `Args`, Kafka's argument checks, a `run` that does the I/O, and
//! pure functions for its output, unit-tested with plain values.

pub mod broker_api_versions;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod consumer_perf_test;
pub mod get_offsets;
pub mod healthcheck;
pub mod leader_election;
pub mod metadata_quorum;
pub mod producer_perf_test;
pub mod reassign_partitions;
pub mod topics;
