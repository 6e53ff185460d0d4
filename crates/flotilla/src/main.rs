//! `flotilla`: Flotilla's operator tools. Each subcommand is one of Apache Kafka's `kafka-*.sh` tools with
//! Kafka's flags and Kafka's output, so a tutorial's `kafka-topics.sh --bootstrap-server ...` works as
//! `flotilla topics --bootstrap-server ...`, against Flotilla or against Apache Kafka.
//!
//! Layout:
//! - `main.rs`: the subcommands (one variant per tool), argument parsing, the runtime and exit codes.
//! - [`cli`]: Kafka's command-line conventions shared by the tools: one-dash long options, `key=value`
//!   lists, properties files, usage errors and the jopt-simple style option table printed with them.
//! - [`client_props`]: Kafka client properties (`acks=all`, `linger.ms=5`...) turned into the client's
//!   settings, with Kafka's validation messages.
//! - [`failure`]: how failures are worded: Kafka's exception names and default messages for error
//!   codes, and log4j-style `[time] ERROR ...` lines.
//! - [`java_format`]: Java's `%.Nf` and `SimpleDateFormat`, where Kafka's output uses them.
//! - [`topic_filter`]: Kafka's topic include-lists (`--topic` as a regular expression).
//! - [`tools`]: one file per tool; each keeps its output formatting in pure functions apart from I/O.
//!
//! - [`server`]: `flotilla server`, which runs a node.
//!
//! Adding a subcommand is one variant in [`Tool`] and one arm in [`Tool::run`].

mod cli;
mod client_props;
mod failure;
mod java_format;
mod server;
mod tools;
mod topic_filter;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::cli::UsageError;

/// Flotilla's command-line tools.
#[derive(Debug, Parser)]
#[command(name = "flotilla", version, about, arg_required_else_help = true, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    tool: Tool,
}

/// One subcommand per tool, named after Kafka's script without `kafka-` and `.sh`.
#[derive(Debug, Subcommand)]
enum Tool {
    /// Run a node (broker and/or controller) from a server.properties file (kafka-server-start).
    Server(server::Args),
    /// Create, delete, describe, or change a topic (kafka-topics).
    Topics(tools::topics::Args),
    /// Read data from standard input and publish it to Kafka (kafka-console-producer).
    ConsoleProducer(tools::console_producer::Args),
    /// Read data from Kafka topics and write it to standard output (kafka-console-consumer).
    ConsoleConsumer(tools::console_consumer::Args),
    /// List, describe, delete consumer groups; reset or delete their offsets (kafka-consumer-groups).
    ConsumerGroups(tools::consumer_groups::Args),
    /// Retrieve broker version information (kafka-broker-api-versions).
    BrokerApiVersions(tools::broker_api_versions::Args),
    /// Get topic-partition offsets (kafka-get-offsets).
    GetOffsets(tools::get_offsets::Args),
    /// Check that one broker serves Metadata, is unfenced and has a controller quorum behind it (for container healthchecks).
    Healthcheck(tools::healthcheck::Args),
    /// Describe the metadata quorum: leader, epoch, high watermark, each voter's lag (kafka-metadata-quorum).
    MetadataQuorum(tools::metadata_quorum::Args),
    /// Elect preferred or unclean leaders for partitions (kafka-leader-election).
    LeaderElection(tools::leader_election::Args),
    /// Move partition replicas to other brokers: generate, execute, verify, cancel, list (kafka-reassign-partitions).
    ReassignPartitions(tools::reassign_partitions::Args),
    /// Verify the producer performance (kafka-producer-perf-test).
    ProducerPerfTest(tools::producer_perf_test::Args),
    /// Verify the consumer performance (kafka-consumer-perf-test).
    ConsumerPerfTest(tools::consumer_perf_test::Args),
}

impl Tool {
    /// The subcommand's name, for its usage text.
    fn name(&self) -> &'static str {
        match self {
            Tool::Server(_) => "server",
            Tool::Topics(_) => "topics",
            Tool::ConsoleProducer(_) => "console-producer",
            Tool::ConsoleConsumer(_) => "console-consumer",
            Tool::ConsumerGroups(_) => "consumer-groups",
            Tool::BrokerApiVersions(_) => "broker-api-versions",
            Tool::GetOffsets(_) => "get-offsets",
            Tool::Healthcheck(_) => "healthcheck",
            Tool::MetadataQuorum(_) => "metadata-quorum",
            Tool::LeaderElection(_) => "leader-election",
            Tool::ReassignPartitions(_) => "reassign-partitions",
            Tool::ProducerPerfTest(_) => "producer-perf-test",
            Tool::ConsumerPerfTest(_) => "consumer-perf-test",
        }
    }

    async fn run(self) -> Result<ExitCode, UsageError> {
        match self {
            Tool::Server(args) => server::run(args).await,
            Tool::Topics(args) => tools::topics::run(args).await,
            Tool::ConsoleProducer(args) => tools::console_producer::run(args).await,
            Tool::ConsoleConsumer(args) => tools::console_consumer::run(args).await,
            Tool::ConsumerGroups(args) => tools::consumer_groups::run(args).await,
            Tool::BrokerApiVersions(args) => tools::broker_api_versions::run(args).await,
            Tool::GetOffsets(args) => tools::get_offsets::run(args).await,
            Tool::Healthcheck(args) => tools::healthcheck::run(args).await,
            Tool::MetadataQuorum(args) => tools::metadata_quorum::run(args).await,
            Tool::LeaderElection(args) => tools::leader_election::run(args).await,
            Tool::ReassignPartitions(args) => tools::reassign_partitions::run(args).await,
            Tool::ProducerPerfTest(args) => tools::producer_perf_test::run(args).await,
            Tool::ConsumerPerfTest(args) => tools::consumer_perf_test::run(args).await,
        }
    }
}

fn main() -> ExitCode {
    let command = Cli::command();
    let args = cli::normalize_args(&command, std::env::args_os().collect::<Vec<OsString>>());
    let subcommand = args.get(1).and_then(|a| a.to_str()).map(str::to_owned);
    let parsed = match Cli::try_parse_from(&args) {
        Ok(parsed) => parsed,
        Err(e) => return cli::report_parse_error(&command, subcommand.as_deref(), &e),
    };
    let name = parsed.tool.name();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(parsed.tool.run());
    // Connection tasks may still be parked on sockets; do not wait for them.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => code,
        Err(usage) => cli::report_usage_error(&command, name, &usage),
    }
}
