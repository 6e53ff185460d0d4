//! `flotilla topics`: Kafka's `kafka-topics` (`org.apache.kafka.tools.TopicCommand`, Kafka 3.x/4.x).
//!
//! Exactly one action: `--create`, `--list`, `--describe`, `--alter` (partition count) or `--delete`.
//! `--topic` is a regular expression except with `--create`, as in Kafka. Output is Kafka's:
//! `Created topic T.`; `--list` one name a line; `--describe` a topic line
//! (`Topic: T\tTopicId: X\tPartitionCount: N\tReplicationFactor: R\tConfigs: k=v,...`) and one line per
//! partition (`\tTopic: T\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tElr: \tLastKnownElr: `).
//! ELR columns come from DescribeTopicPartitions when the broker has it, and read `N/A` when the
//! description came from Metadata, as Kafka's tool prints them. Failures print
//! `Error while executing topic command : <message>` on stdout and Kafka's log line on stderr; exit 1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use flotilla_client::admin::{ConfigEntry, CreateTopicsOptions, NewPartitions, NewTopic};
use flotilla_client::{Admin, ClientError, ConfigResource, DescribeConfigsOptions};
use flotilla_model::{ErrorCode, NodeId, TopicId};
use flotilla_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
use flotilla_protocol::messages::DescribeTopicPartitionsRequest;
use flotilla_protocol::ApiKey;

use crate::cli::{self, check_invalid_args, UsageError};
use crate::client_props;
use crate::failure::{log_line, Failure};
use crate::topic_filter::{is_internal, IncludeList};

/// How long the controller may take over a create, delete or partition change.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many DescribeTopicPartitions pages are read for one `--describe`.
const MAX_DESCRIBE_PAGES: usize = 100_000;
/// The `min.insync.replicas` assumed when a topic's configs do not say.
const DEFAULT_MIN_INSYNC_REPLICAS: usize = 1;

const ALTER_CONFIGS_HINT: &str = " (To alter topic configurations, the kafka-configs tool can be used.)";

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: The Kafka server to connect to.
    #[arg(long, value_name = "String: server to connect to")]
    bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long, value_name = "String: command config property file")]
    command_config: Option<PathBuf>,
    /// List all available topics.
    #[arg(long)]
    list: bool,
    /// Create a new topic.
    #[arg(long)]
    create: bool,
    /// Delete a topic.
    #[arg(long)]
    delete: bool,
    /// Alter the number of partitions and replica assignment. (To alter topic configurations, the
    /// kafka-configs tool can be used.)
    #[arg(long)]
    alter: bool,
    /// List details for the given topics.
    #[arg(long)]
    describe: bool,
    /// The topic to create, alter, describe or delete. It also accepts a regular expression, except for
    /// --create option. Put topic name in double quotes and use the '\' prefix to escape regular
    /// expression symbols; e.g. "test\.topic".
    #[arg(long, value_name = "String: topic")]
    topic: Option<String>,
    /// The topic-id to describe.
    #[arg(long, value_name = "String: topic-id")]
    topic_id: Option<String>,
    /// A topic configuration override for the topic being created. It is supported only in combination
    /// with --create. (To alter topic configurations, the kafka-configs tool can be used.)
    #[arg(long, value_name = "String: name=value")]
    config: Vec<String>,
    /// The number of partitions for the topic being created or altered. If not supplied with --create, the
    /// topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key,
    /// the partition logic or ordering of the messages will be affected).
    #[arg(long, value_name = "Integer: # of partitions")]
    partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created. If not supplied, the topic
    /// uses the cluster default.
    #[arg(long, value_name = "Integer: replication factor")]
    replication_factor: Option<i32>,
    /// A list of manual partition-to-broker assignments for the topic being created or altered.
    #[arg(
        long,
        value_name = "String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , \
                      broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ..."
    )]
    replica_assignment: Option<String>,
    /// If set when describing topics, only show under-replicated partitions.
    #[arg(long)]
    under_replicated_partitions: bool,
    /// If set when describing topics, only show partitions whose leader is not available.
    #[arg(long)]
    unavailable_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is less than the configured
    /// minimum.
    #[arg(long)]
    under_min_isr_partitions: bool,
    /// If set when describing topics, only show partitions whose isr count is equal to the configured
    /// minimum.
    #[arg(long)]
    at_min_isr_partitions: bool,
    /// If set when describing topics, only show topics that have overridden configs.
    #[arg(long)]
    topics_with_overrides: bool,
    /// If set when altering or deleting or describing topics, the action will only execute if the topic
    /// exists.
    #[arg(long)]
    if_exists: bool,
    /// If set when creating topics, the action will only execute if the topic does not already exist.
    #[arg(long)]
    if_not_exists: bool,
    /// Exclude internal topics when listing or describing topics. By default, the internal topics are
    /// included.
    #[arg(long)]
    exclude_internal: bool,
    /// The maximum partition size to be included in one DescribeTopicPartitions response.
    #[arg(long, value_name = "Integer: maximum number of partitions per response")]
    partition_size_limit_per_response: Option<i32>,
    /// Removed in Kafka 3.0; refused with a pointer to --bootstrap-server.
    #[arg(long, hide = true)]
    zookeeper: Option<String>,
}

/// The one action a run performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    List,
    Describe,
    Alter,
    Delete,
}

/// Kafka's argument checks (`TopicCommandOptions.checkArgs`), with its messages.
pub fn check_args(args: &Args) -> Result<Action, UsageError> {
    cli::refuse_zookeeper(args.zookeeper.as_deref())?;
    let actions = [
        (Action::Create, args.create),
        (Action::List, args.list),
        (Action::Alter, args.alter),
        (Action::Describe, args.describe),
        (Action::Delete, args.delete),
    ];
    let chosen: Vec<Action> = actions.iter().filter(|(_, on)| *on).map(|(a, _)| *a).collect();
    let [action] = chosen.as_slice() else {
        return Err(UsageError::with_usage(
            "Command must include exactly one action: --list, --describe, --create, --alter or --delete",
        ));
    };
    if args.bootstrap_server.is_none() {
        return Err(UsageError::bare("--bootstrap-server must be specified"));
    }
    if args.describe && args.if_exists && args.topic.is_none() && args.topic_id.is_none() {
        return Err(UsageError::with_usage("--topic or --topic-id is required to describe a topic"));
    }
    if !args.list && !args.describe && args.topic.is_none() {
        return Err(UsageError::missing("topic"));
    }
    if args.alter {
        if !args.config.is_empty() {
            return Err(UsageError::with_usage(format!(
                "Option combination \"[bootstrap-server, config]\" can't be used with option \"[alter]\"{ALTER_CONFIGS_HINT}"
            )));
        }
        if args.partitions.is_none() {
            return Err(UsageError::missing("partitions"));
        }
    }
    let (alter, create, describe, list, delete) = (
        ("alter", args.alter),
        ("create", args.create),
        ("describe", args.describe),
        ("list", args.list),
        ("delete", args.delete),
    );
    check_invalid_args(("config", !args.config.is_empty()), &[describe, list, delete])?;
    check_invalid_args(("partitions", args.partitions.is_some()), &[describe, list, delete])?;
    check_invalid_args(("replication-factor", args.replication_factor.is_some()), &[alter, describe, list, delete])?;
    check_invalid_args(("replica-assignment", args.replica_assignment.is_some()), &[describe, list, delete])?;
    if args.create {
        check_invalid_args(
            ("replica-assignment", args.replica_assignment.is_some()),
            &[("partitions", args.partitions.is_some()), ("replication-factor", args.replication_factor.is_some())],
        )?;
    }
    let overrides = ("topics-with-overrides", args.topics_with_overrides);
    for report in [
        ("under-replicated-partitions", args.under_replicated_partitions),
        ("under-min-isr-partitions", args.under_min_isr_partitions),
        ("at-min-isr-partitions", args.at_min_isr_partitions),
        ("unavailable-partitions", args.unavailable_partitions),
    ] {
        check_invalid_args(report, &[alter, create, list, delete, overrides])?;
    }
    check_invalid_args(
        overrides,
        &[
            alter,
            create,
            list,
            delete,
            ("under-replicated-partitions", args.under_replicated_partitions),
            ("under-min-isr-partitions", args.under_min_isr_partitions),
            ("at-min-isr-partitions", args.at_min_isr_partitions),
            ("unavailable-partitions", args.unavailable_partitions),
        ],
    )?;
    check_invalid_args(("if-exists", args.if_exists), &[create, list])?;
    check_invalid_args(("if-not-exists", args.if_not_exists), &[alter, describe, list, delete])?;
    check_invalid_args(("exclude-internal", args.exclude_internal), &[alter, create, delete])?;
    Ok(*action)
}

/// `--config k=v` values as Kafka splits them (at `=` with blanks around it); anything but exactly one
/// key and one value is refused with Kafka's message.
pub fn parse_topic_configs(configs: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let mut parsed: Vec<(String, String)> = Vec::new();
    for config in configs {
        // Java's String.split drops trailing empty strings.
        let mut parts: Vec<&str> = config.split('=').map(str::trim).collect();
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        match parts.as_slice() {
            [key, value] => {
                parsed.retain(|(k, _)| k != key);
                parsed.push(((*key).to_owned(), (*value).to_owned()));
            }
            _ => {
                return Err(Failure::illegal_argument(
                    "requirement failed: Invalid topic config: all configs to be added must be in the format \
                     \"key=val\".",
                ))
            }
        }
    }
    Ok(parsed)
}

/// `--replica-assignment 1:2,2:3`: partition index to broker ids, with Kafka's checks.
pub fn parse_replica_assignment(text: &str) -> Result<BTreeMap<i32, Vec<i32>>, Failure> {
    let mut assignment: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let mut first_len = None;
    for (i, partition) in text.split(',').enumerate() {
        let brokers = partition
            .split(':')
            .map(|b| {
                let b = b.trim();
                b.parse::<i32>().map_err(|_| Failure {
                    exception: "java.lang.NumberFormatException".to_owned(),
                    message: format!("For input string: \"{b}\""),
                })
            })
            .collect::<Result<Vec<i32>, Failure>>()?;
        let mut seen = BTreeSet::new();
        let duplicates: Vec<String> = brokers
            .iter()
            .filter(|b| !seen.insert(**b))
            .map(ToString::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !duplicates.is_empty() {
            return Err(Failure {
                exception: "org.apache.kafka.tools.AdminCommandFailedException".to_owned(),
                message: format!("Partition replica lists may not contain duplicate entries: {}", duplicates.join(",")),
            });
        }
        let index = i32::try_from(i).unwrap_or(i32::MAX);
        if *first_len.get_or_insert(brokers.len()) != brokers.len() {
            let list: Vec<String> = brokers.iter().map(ToString::to_string).collect();
            return Err(Failure {
                exception: "org.apache.kafka.tools.AdminOperationException".to_owned(),
                message: format!("Partition {index} has different replication factor: [{}]", list.join(", ")),
            });
        }
        assignment.insert(index, brokers);
    }
    Ok(assignment)
}

/// Kafka's check that a named topic was found.
pub fn ensure_topic_exists(found: &[String], requested: Option<&str>, require: bool) -> Result<(), Failure> {
    match requested {
        Some(topic) if !topic.is_empty() && require && found.is_empty() => {
            Err(Failure::illegal_argument(format!("Topic '{topic}' does not exist as expected")))
        }
        _ => Ok(()),
    }
}

/// Whether a name has both... or either of the characters Kafka's metric names confuse.
pub fn has_collision_chars(topic: &str) -> bool {
    topic.contains(['.', '_'])
}

/// A partition as `--describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionView {
    pub partition: i32,
    /// `None` prints `none`.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// `None` prints `N/A` (described through Metadata).
    pub elr: Option<Vec<i32>>,
    pub last_known_elr: Option<Vec<i32>>,
    /// A reassignment in progress: the replicas being added and those being removed.
    pub reassignment: Option<(Vec<i32>, Vec<i32>)>,
}

/// A topic as `--describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicView {
    pub name: String,
    pub topic_id: TopicId,
    /// Sorted by partition.
    pub partitions: Vec<PartitionView>,
}

impl TopicView {
    /// The replication factor Kafka prints: the first partition's replica count.
    pub fn replication_factor(&self) -> usize {
        // As Kafka: replicas leaving in a reassignment are not counted.
        self.partitions.first().map_or(0, |p| {
            p.replicas.len() - p.reassignment.as_ref().map_or(0, |(_, removing)| removing.len().min(p.replicas.len()))
        })
    }
}

fn ids(nodes: &[i32]) -> String {
    nodes.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// `Topic: T\tTopicId: X\tPartitionCount: N\tReplicationFactor: R\tConfigs: k=v,...`; the TopicId
/// column is left out when the id is unknown (all zeros), as Kafka does.
pub fn topic_line(topic: &TopicView, configs: &[(String, String)]) -> String {
    let mut line = format!("Topic: {}", topic.name);
    if topic.topic_id != TopicId::ZERO {
        line.push_str(&format!("\tTopicId: {}", topic.topic_id));
    }
    let configs: Vec<String> = configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    line.push_str(&format!(
        "\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
        topic.partitions.len(),
        topic.replication_factor(),
        configs.join(",")
    ));
    line
}

/// `\tTopic: T\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \tLastKnownElr: `, with
/// `\tAdding Replicas: 3\tRemoving Replicas: 1` after the ISR while a reassignment is in progress.
pub fn partition_line(topic: &str, p: &PartitionView) -> String {
    let leader = p.leader.map_or_else(|| "none".to_owned(), |l| l.to_string());
    let elr = p.elr.as_deref().map_or_else(|| "N/A".to_owned(), ids);
    let last_known_elr = p.last_known_elr.as_deref().map_or_else(|| "N/A".to_owned(), ids);
    let reassignment = p.reassignment.as_ref().map_or_else(String::new, |(adding, removing)| {
        format!("\tAdding Replicas: {}\tRemoving Replicas: {}", ids(adding), ids(removing))
    });
    format!(
        "\tTopic: {topic}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}{reassignment}\tElr: {elr}\tLastKnownElr: {last_known_elr}",
        p.partition,
        ids(&p.replicas),
        ids(&p.isr)
    )
}

/// The `--describe` report filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportFilters {
    pub under_replicated: bool,
    pub unavailable: bool,
    pub under_min_isr: bool,
    pub at_min_isr: bool,
    pub with_overrides: bool,
}

impl ReportFilters {
    /// Topic lines are printed only without a partition filter.
    pub fn prints_topic_lines(&self) -> bool {
        !(self.under_replicated || self.unavailable || self.under_min_isr || self.at_min_isr)
    }

    /// Whether a partition line is printed (Kafka's `DescribeOptions.shouldPrintTopicPartition`).
    pub fn prints_partition(&self, p: &PartitionView, min_isr: usize, live_brokers: &BTreeSet<i32>) -> bool {
        if self.with_overrides {
            return false;
        }
        self.prints_topic_lines()
            || (self.under_replicated && p.replicas.len() > p.isr.len())
            || (self.unavailable && p.leader.is_none_or(|l| !live_brokers.contains(&l)))
            || (self.under_min_isr && (p.leader.is_none() || p.isr.len() < min_isr))
            || (self.at_min_isr && p.isr.len() == min_isr)
    }
}

/// The lines `--describe` prints for one topic.
pub fn describe_lines(
    topic: &TopicView,
    configs: &[ConfigEntry],
    filters: &ReportFilters,
    live_brokers: &BTreeSet<i32>,
) -> Vec<String> {
    let overrides: Vec<(String, String)> = configs
        .iter()
        .filter(|c| c.source != flotilla_client::ConfigSource::DefaultConfig)
        .map(|c| (c.name.clone(), c.value.clone().unwrap_or_else(|| "null".to_owned())))
        .collect();
    let min_isr = configs
        .iter()
        .find(|c| c.name == "min.insync.replicas")
        .and_then(|c| c.value.as_deref())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MIN_INSYNC_REPLICAS);
    let mut lines = Vec::new();
    if filters.prints_topic_lines() && (!filters.with_overrides || !overrides.is_empty()) {
        lines.push(topic_line(topic, &overrides));
    }
    for p in &topic.partitions {
        if filters.prints_partition(p, min_isr, live_brokers) {
            lines.push(partition_line(&topic.name, p));
        }
    }
    lines
}

/// Kafka's topic ids are URL-safe base64 without padding (22 characters for 16 bytes).
pub fn parse_topic_id(text: &str) -> Option<TopicId> {
    let mut bits: u128 = 0;
    let chars: Vec<char> = text.trim().chars().collect();
    if chars.len() != 22 {
        return None;
    }
    for (i, c) in chars.iter().enumerate() {
        let v = match c {
            'A'..='Z' => *c as u32 - 'A' as u32,
            'a'..='z' => *c as u32 - 'a' as u32 + 26,
            '0'..='9' => *c as u32 - '0' as u32 + 52,
            '-' => 62,
            '_' => 63,
            _ => return None,
        };
        if i == 21 {
            // The last character carries 2 bits; the other 4 must be zero.
            if v & 0xF != 0 {
                return None;
            }
            bits = (bits << 2) | u128::from(v >> 4);
        } else {
            bits = (bits << 6) | u128::from(v);
        }
    }
    Some(TopicId::new(flotilla_protocol::Uuid::from_u128(bits)))
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let action = check_args(&args)?;
    let props = match cli::admin_props(args.command_config.as_deref(), args.bootstrap_server.as_deref()) {
        Ok(props) => props,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let config = match client_props::client_config(&props, "flotilla-topics") {
        Ok(config) => config,
        Err(e) => {
            return Ok(fail(&Failure {
                exception: "org.apache.kafka.common.config.ConfigException".into(),
                message: e.0,
            }))
        }
    };
    let admin = match Admin::connect(config).await {
        Ok(admin) => admin,
        Err(e) => return Ok(fail(&Failure::from_client(&e))),
    };
    let outcome = match action {
        Action::Create => create(&admin, &args).await,
        Action::List => list(&admin, &args).await,
        Action::Describe => describe(&admin, &args).await,
        Action::Alter => alter(&admin, &args).await,
        Action::Delete => delete(&admin, &args).await,
    };
    admin.client().close();
    Ok(match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(&failure),
    })
}

/// Prints a failure as `TopicCommand.printException` does and returns exit code 1.
fn fail(failure: &Failure) -> ExitCode {
    println!("Error while executing topic command : {}", failure.message);
    eprintln!("{}", log_line("ERROR", &format!("{}\n", failure.stack_line()), "org.apache.kafka.tools.TopicCommand"));
    ExitCode::FAILURE
}

fn client(e: ClientError) -> Failure {
    Failure::from_client(&e)
}

/// Topic names (sorted) matching `--topic` as a regular expression, internal ones unless excluded.
async fn get_topics(admin: &Admin, topic: Option<&str>, exclude_internal: bool) -> Result<Vec<String>, Failure> {
    let all = admin.list_topics(!exclude_internal).await.map_err(client)?;
    match topic {
        Some(pattern) => {
            let filter = IncludeList::new(pattern)
                .map_err(|message| Failure { exception: "java.lang.RuntimeException".to_owned(), message })?;
            Ok(all.into_iter().filter(|t| filter.allows(t, exclude_internal)).collect())
        }
        None => Ok(all.into_iter().filter(|t| !(exclude_internal && is_internal(t))).collect()),
    }
}

async fn create(admin: &Admin, args: &Args) -> Result<(), Failure> {
    let name = args.topic.clone().unwrap_or_default();
    let configs = parse_topic_configs(&args.config)?;
    let assignment = match &args.replica_assignment {
        Some(text) if !text.is_empty() => parse_replica_assignment(text)?,
        _ => BTreeMap::new(),
    };
    if has_collision_chars(&name) {
        println!(
            "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could \
             collide. To avoid issues it is best to use either, but not both."
        );
    }
    let replication_factor = match args.replication_factor {
        Some(rf) => Some(i16::try_from(rf).ok().filter(|rf| *rf >= 1).ok_or_else(|| {
            Failure::illegal_argument(format!("The replication factor must be between 1 and {} inclusive", i16::MAX))
        })?),
        None => None,
    };
    if args.partitions.is_some_and(|p| p < 1) {
        return Err(Failure::illegal_argument("The partitions must be greater than 0"));
    }
    let topic = if assignment.is_empty() {
        NewTopic {
            name: name.clone(),
            num_partitions: args.partitions,
            replication_factor,
            assignments: assignment,
            configs,
        }
    } else {
        NewTopic {
            name: name.clone(),
            num_partitions: None,
            replication_factor: None,
            assignments: assignment,
            configs,
        }
    };
    let options = CreateTopicsOptions { validate_only: false, timeout: ADMIN_TIMEOUT };
    let results = admin.create_topics(&[topic], options).await.map_err(client)?;
    for result in results.into_iter().filter(|r| r.name == name) {
        match result.error {
            ErrorCode::None => {}
            ErrorCode::TopicAlreadyExists if args.if_not_exists => return Ok(()),
            code => return Err(Failure::kafka(code, result.message.as_deref())),
        }
    }
    println!("Created topic {name}.");
    Ok(())
}

async fn list(admin: &Admin, args: &Args) -> Result<(), Failure> {
    let topics = get_topics(admin, args.topic.as_deref(), args.exclude_internal).await?;
    println!("{}", topics.join("\n"));
    Ok(())
}

async fn alter(admin: &Admin, args: &Args) -> Result<(), Failure> {
    let count = args.partitions.unwrap_or_default();
    let assignment = match &args.replica_assignment {
        Some(text) if !text.is_empty() => Some(parse_replica_assignment(text)?),
        _ => None,
    };
    let topics = get_topics(admin, args.topic.as_deref(), args.exclude_internal).await?;
    ensure_topic_exists(&topics, args.topic.as_deref(), !args.if_exists)?;
    if topics.is_empty() {
        return Ok(());
    }
    let described = admin.describe_topics(&topics).await.map_err(client)?;
    let current: BTreeMap<&str, usize> = described.iter().map(|t| (t.name.as_str(), t.partition_count())).collect();
    let requests: Vec<NewPartitions> = topics
        .iter()
        .map(|topic| NewPartitions {
            topic: topic.clone(),
            total_count: count,
            assignments: assignment.as_ref().map(|a| {
                let start = current.get(topic.as_str()).copied().unwrap_or(0);
                a.values().skip(start).cloned().collect()
            }),
        })
        .collect();
    let outcomes = admin.create_partitions(&requests, false, ADMIN_TIMEOUT).await.map_err(client)?;
    for outcome in outcomes {
        match outcome.error {
            ErrorCode::None => {}
            ErrorCode::InvalidPartitions if outcome.message.as_deref().is_none_or(str::is_empty) => {
                let message = current.get(outcome.name.as_str()).map(|&n| partitions_message(&outcome.name, n, count));
                return Err(Failure::kafka(ErrorCode::InvalidPartitions, message.as_deref()));
            }
            code => return Err(Failure::kafka(code, outcome.message.as_deref())),
        }
    }
    Ok(())
}

/// The KRaft controller's message for a partition count that is not an increase.
pub fn partitions_message(topic: &str, current: usize, requested: i32) -> String {
    if usize::try_from(requested).is_ok_and(|r| r == current) {
        format!("Topic already has {current} partition(s).")
    } else {
        format!("The topic {topic} currently has {current} partition(s); {requested} would not be an increase.")
    }
}

async fn delete(admin: &Admin, args: &Args) -> Result<(), Failure> {
    let topics = get_topics(admin, args.topic.as_deref(), args.exclude_internal).await?;
    ensure_topic_exists(&topics, args.topic.as_deref(), !args.if_exists)?;
    if topics.is_empty() {
        return Ok(());
    }
    for outcome in admin.delete_topics(&topics, ADMIN_TIMEOUT).await.map_err(client)? {
        if outcome.error != ErrorCode::None {
            return Err(Failure::kafka(outcome.error, outcome.message.as_deref()));
        }
    }
    Ok(())
}

async fn describe(admin: &Admin, args: &Args) -> Result<(), Failure> {
    let by_id = args
        .topic_id
        .as_deref()
        .map(|text| parse_topic_id(text).ok_or_else(|| Failure::illegal_argument(format!("Invalid topic id: {text}"))));
    let topics: Vec<String> = match by_id.transpose()?.filter(|id| *id != TopicId::ZERO) {
        Some(id) => {
            let all = get_topics(admin, None, args.exclude_internal).await?;
            let described = admin.describe_topics(&all).await.map_err(client)?;
            let found: Vec<String> = described.iter().filter(|t| t.topic_id == id).map(|t| t.name.clone()).collect();
            if found.is_empty() && !args.if_exists {
                return Err(Failure::illegal_argument(format!("TopicId '{id}' does not exist as expected")));
            }
            found
        }
        None => {
            let topics = get_topics(admin, args.topic.as_deref(), args.exclude_internal).await?;
            ensure_topic_exists(&topics, args.topic.as_deref(), !args.if_exists)?;
            topics
        }
    };
    if topics.is_empty() {
        return Ok(());
    }
    let limit = args.partition_size_limit_per_response.unwrap_or(2000);
    let mut views = describe_topics(admin, &topics, limit).await.map_err(client)?;
    add_reassignments(admin, &mut views).await?;
    let configs = topic_configs(admin, &topics).await?;
    let filters = ReportFilters {
        under_replicated: args.under_replicated_partitions,
        unavailable: args.unavailable_partitions,
        under_min_isr: args.under_min_isr_partitions,
        at_min_isr: args.at_min_isr_partitions,
        with_overrides: args.topics_with_overrides,
    };
    let live: BTreeSet<i32> = admin.client().metadata().brokers.keys().map(|n| n.get()).collect();
    let mut out = String::new();
    for view in &views {
        let entries = configs.get(&view.name).map(Vec::as_slice).unwrap_or_default();
        for line in describe_lines(view, entries, &filters, &live) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    print!("{out}");
    Ok(())
}

/// Marks the partitions being reassigned. A broker without ListPartitionReassignments has none to
/// show, as Kafka's tool treats it.
async fn add_reassignments(admin: &Admin, views: &mut [TopicView]) -> Result<(), Failure> {
    let partitions: Vec<(String, i32)> =
        views.iter().flat_map(|v| v.partitions.iter().map(|p| (v.name.clone(), p.partition))).collect();
    if partitions.is_empty() {
        return Ok(());
    }
    let mut ongoing = match admin.list_partition_reassignments(Some(&partitions)).await {
        Ok(ongoing) => ongoing,
        Err(ClientError::UnsupportedVersion { .. }) => return Ok(()),
        Err(e) => return Err(client(e)),
    };
    for view in views {
        for p in &mut view.partitions {
            if let Some(o) = ongoing.remove(&(view.name.clone(), p.partition)) {
                p.reassignment = Some((o.adding_replicas, o.removing_replicas));
            }
        }
    }
    Ok(())
}

/// Every topic's configs, by name. A broker without DescribeConfigs yields no configs.
async fn topic_configs(admin: &Admin, topics: &[String]) -> Result<BTreeMap<String, Vec<ConfigEntry>>, Failure> {
    let resources: Vec<ConfigResource> = topics.iter().map(ConfigResource::topic).collect();
    let results = match admin.describe_configs(&resources, DescribeConfigsOptions::default()).await {
        Ok(results) => results,
        Err(ClientError::UnsupportedVersion { .. }) => return Ok(BTreeMap::new()),
        Err(e) => return Err(client(e)),
    };
    let mut by_name = BTreeMap::new();
    for result in results {
        if result.error != ErrorCode::None {
            return Err(Failure::kafka(result.error, result.message.as_deref()));
        }
        by_name.insert(result.resource.name, result.entries);
    }
    Ok(by_name)
}

/// Describes topics with DescribeTopicPartitions (pages of `limit` partitions) when the broker has it,
/// else with Metadata; sorted by name, partitions by index.
async fn describe_topics(admin: &Admin, topics: &[String], limit: i32) -> Result<Vec<TopicView>, ClientError> {
    let conn = admin.client().any_connection().await?;
    let known: BTreeSet<i32> = admin.client().metadata().brokers.keys().map(|n| n.get()).collect();
    let leader = |id: i32| (id >= 0 && known.contains(&id)).then_some(id);
    if conn.version_for(ApiKey::DescribeTopicPartitions).is_err() {
        let described = admin.describe_topics(topics).await?;
        let mut views = Vec::with_capacity(described.len());
        for t in described {
            if t.error != ErrorCode::None {
                return Err(ClientError::Kafka {
                    code: t.error,
                    message: None,
                    context: format!("describe {}", t.name),
                });
            }
            views.push(TopicView {
                name: t.name.clone(),
                topic_id: t.topic_id,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| PartitionView {
                        partition: p.partition,
                        leader: leader(p.leader.get()),
                        replicas: p.replicas.iter().map(|n: &NodeId| n.get()).collect(),
                        isr: p.isr.iter().map(|n: &NodeId| n.get()).collect(),
                        elr: None,
                        last_known_elr: None,
                        reassignment: None,
                    })
                    .collect(),
            });
        }
        return Ok(views);
    }
    let mut sorted: Vec<String> = topics.to_vec();
    sorted.sort();
    let mut views: BTreeMap<String, TopicView> = BTreeMap::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..MAX_DESCRIBE_PAGES {
        let request = DescribeTopicPartitionsRequest {
            topics: sorted
                .iter()
                .map(|name| TopicRequest { name: name.as_str().into(), ..Default::default() })
                .collect(),
            response_partition_limit: limit,
            cursor: cursor.take(),
            ..Default::default()
        };
        let response = conn.send(&request).await?;
        for topic in response.topics {
            let name = topic.name.as_ref().map(ToString::to_string).unwrap_or_default();
            if topic.error_code != 0 {
                return Err(ClientError::kafka(topic.error_code, None, format!("describe topic {name}")));
            }
            let view = views.entry(name.clone()).or_insert_with(|| TopicView {
                name,
                topic_id: TopicId::new(topic.topic_id),
                partitions: Vec::new(),
            });
            view.partitions.extend(topic.partitions.iter().map(|p| PartitionView {
                partition: p.partition_index,
                leader: leader(p.leader_id),
                replicas: p.replica_nodes.clone(),
                isr: p.isr_nodes.clone(),
                elr: Some(p.eligible_leader_replicas.clone().unwrap_or_default()),
                last_known_elr: Some(p.last_known_elr.clone().unwrap_or_default()),
                reassignment: None,
            }));
        }
        match response.next_cursor {
            Some(next) => {
                cursor = Some(Cursor {
                    topic_name: next.topic_name,
                    partition_index: next.partition_index,
                    ..Default::default()
                })
            }
            None => break,
        }
    }
    let mut views: Vec<TopicView> = views.into_values().collect();
    for view in &mut views {
        view.partitions.sort_by_key(|p| p.partition);
        view.partitions.dedup_by_key(|p| p.partition);
    }
    Ok(views)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;
    use flotilla_client::ConfigSource;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn args(argv: &[&str]) -> Args {
        Wrapper::try_parse_from(std::iter::once("topics").chain(argv.iter().copied())).unwrap().args
    }

    fn check(argv: &[&str]) -> Result<Action, String> {
        check_args(&args(argv)).map_err(|e| e.message)
    }

    #[test]
    fn exactly_one_action() {
        let message = "Command must include exactly one action: --list, --describe, --create, --alter or --delete";
        assert_eq!(check(&["--bootstrap-server", "b:9092"]).unwrap_err(), message);
        assert_eq!(check(&["--bootstrap-server", "b:9092", "--list", "--describe"]).unwrap_err(), message);
        assert_eq!(check(&["--bootstrap-server", "b:9092", "--list"]), Ok(Action::List));
        assert_eq!(check(&["--list"]).unwrap_err(), "--bootstrap-server must be specified");
    }

    #[test]
    fn kafka_argument_rules() {
        let b = ["--bootstrap-server", "b:9092"];
        let with = |rest: &[&str]| check(&[&b[..], rest].concat());
        assert_eq!(with(&["--create"]).unwrap_err(), "Missing required argument \"[topic]\"");
        assert_eq!(with(&["--alter", "--topic", "t"]).unwrap_err(), "Missing required argument \"[partitions]\"");
        assert!(with(&["--alter", "--topic", "t", "--partitions", "3", "--config", "a=b"])
            .unwrap_err()
            .contains("kafka-configs tool"));
        assert_eq!(
            with(&["--list", "--partitions", "3"]).unwrap_err(),
            "Option \"[partitions]\" can't be used with option \"[list]\""
        );
        assert_eq!(
            with(&["--create", "--topic", "t", "--replica-assignment", "1:2", "--partitions", "2"]).unwrap_err(),
            "Option \"[replica-assignment]\" can't be used with option \"[partitions]\""
        );
        assert_eq!(
            with(&["--alter", "--topic", "t", "--partitions", "3", "--replication-factor", "2"]).unwrap_err(),
            "Option \"[replication-factor]\" can't be used with option \"[alter]\""
        );
        assert_eq!(with(&["--create", "--topic", "t", "--if-not-exists"]), Ok(Action::Create));
        assert_eq!(with(&["--describe"]), Ok(Action::Describe));
        assert_eq!(with(&["--describe", "--under-replicated-partitions"]), Ok(Action::Describe));
        assert!(with(&["--describe", "--under-replicated-partitions", "--topics-with-overrides"]).is_err());
        assert!(with(&["--describe", "--if-exists"]).unwrap_err().contains("--topic or --topic-id"));
    }

    #[test]
    fn zookeeper_is_refused_with_a_pointer() {
        let e = check(&["--zookeeper", "localhost:2181", "--list"]).unwrap_err();
        assert!(e.contains("--bootstrap-server"), "{e}");
    }

    #[test]
    fn topic_configs_split_like_kafka() {
        assert_eq!(
            parse_topic_configs(&["retention.ms = 1000".into(), "cleanup.policy=compact".into()]).unwrap(),
            [("retention.ms".into(), "1000".into()), ("cleanup.policy".into(), "compact".into())]
        );
        for bad in ["a", "a=", "a=b=c"] {
            assert!(parse_topic_configs(&[bad.into()]).unwrap_err().message.contains("key=val"), "{bad}");
        }
    }

    #[test]
    fn replica_assignments() {
        let a = parse_replica_assignment("1:2, 2:3,3:1").unwrap();
        assert_eq!(a.get(&0), Some(&vec![1, 2]));
        assert_eq!(a.get(&1), Some(&vec![2, 3]));
        assert_eq!(a.len(), 3);
        assert_eq!(
            parse_replica_assignment("1:1").unwrap_err().message,
            "Partition replica lists may not contain duplicate entries: 1"
        );
        assert_eq!(
            parse_replica_assignment("1:2,1:2:3").unwrap_err().message,
            "Partition 1 has different replication factor: [1, 2, 3]"
        );
        assert_eq!(parse_replica_assignment("1:x").unwrap_err().message, "For input string: \"x\"");
    }

    fn view() -> TopicView {
        TopicView {
            name: "your-topic".into(),
            topic_id: parse_topic_id("5qxz0eB3Sr6RF362tClk_A").unwrap(),
            partitions: (0..3)
                .map(|partition| PartitionView {
                    partition,
                    leader: Some(1001),
                    replicas: vec![1001],
                    isr: vec![1001],
                    elr: None,
                    last_known_elr: None,
                    reassignment: None,
                })
                .collect(),
        }
    }

    #[test]
    fn describe_matches_kafkas_output() {
        // The output quoted in the seed document (Kafka 3.x), plus the ELR columns of 3.8+.
        let view = view();
        assert_eq!(
            topic_line(&view, &[("segment.bytes".into(), "1073741824".into())]),
            "Topic: your-topic\tTopicId: 5qxz0eB3Sr6RF362tClk_A\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: \
             segment.bytes=1073741824"
        );
        assert_eq!(
            partition_line("your-topic", &view.partitions[0]),
            "\tTopic: your-topic\tPartition: 0\tLeader: 1001\tReplicas: 1001\tIsr: 1001\tElr: N/A\tLastKnownElr: N/A"
        );
        let p = PartitionView {
            partition: 2,
            leader: None,
            replicas: vec![1, 2, 3],
            isr: vec![2, 3],
            elr: Some(vec![]),
            last_known_elr: Some(vec![1]),
            reassignment: None,
        };
        assert_eq!(
            partition_line("t", &p),
            "\tTopic: t\tPartition: 2\tLeader: none\tReplicas: 1,2,3\tIsr: 2,3\tElr: \tLastKnownElr: 1"
        );
        // Moving from 1,2,3 to 4,2,3: Kafka prints the reassignment after the ISR and counts the
        // replication factor without the replicas leaving.
        let moving = PartitionView {
            partition: 0,
            leader: Some(2),
            replicas: vec![4, 2, 3, 1],
            isr: vec![2, 3, 1],
            elr: Some(vec![]),
            last_known_elr: Some(vec![]),
            reassignment: Some((vec![4], vec![1])),
        };
        assert_eq!(
            partition_line("t", &moving),
            "\tTopic: t\tPartition: 0\tLeader: 2\tReplicas: 4,2,3,1\tIsr: 2,3,1\tAdding Replicas: 4\tRemoving \
             Replicas: 1\tElr: \tLastKnownElr: "
        );
        let topic = TopicView { name: "t".into(), topic_id: TopicId::ZERO, partitions: vec![moving] };
        assert_eq!(topic.replication_factor(), 3);
        let no_id = TopicView { topic_id: TopicId::ZERO, partitions: vec![], ..view };
        assert_eq!(topic_line(&no_id, &[]), "Topic: your-topic\tPartitionCount: 0\tReplicationFactor: 0\tConfigs: ");
    }

    fn entry(name: &str, value: &str, source: ConfigSource) -> ConfigEntry {
        ConfigEntry {
            name: name.into(),
            value: Some(value.into()),
            read_only: false,
            source,
            is_sensitive: false,
            synonyms: vec![],
            config_type: 0,
            documentation: None,
        }
    }

    #[test]
    fn describe_prints_overrides_and_applies_filters() {
        let mut view = view();
        view.partitions[1].isr = vec![];
        view.partitions[1].leader = None;
        let configs = [
            entry("cleanup.policy", "delete", ConfigSource::DefaultConfig),
            entry("min.insync.replicas", "1", ConfigSource::DefaultConfig),
            entry("retention.ms", "1000", ConfigSource::DynamicTopicConfig),
        ];
        let live = BTreeSet::from([1001]);
        let all = describe_lines(&view, &configs, &ReportFilters::default(), &live);
        assert_eq!(all.len(), 4);
        assert!(all[0].ends_with("Configs: retention.ms=1000"));
        let under = ReportFilters { under_replicated: true, ..ReportFilters::default() };
        let lines = describe_lines(&view, &configs, &under, &live);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("Partition: 1\tLeader: none"));
        let unavailable = ReportFilters { unavailable: true, ..ReportFilters::default() };
        assert_eq!(describe_lines(&view, &configs, &unavailable, &live).len(), 1);
        let at_min = ReportFilters { at_min_isr: true, ..ReportFilters::default() };
        assert_eq!(describe_lines(&view, &configs, &at_min, &live).len(), 2);
        let overrides = ReportFilters { with_overrides: true, ..ReportFilters::default() };
        assert_eq!(describe_lines(&view, &configs, &overrides, &live).len(), 1);
        assert!(describe_lines(&view, &configs[..2], &overrides, &live).is_empty());
    }

    #[test]
    fn messages_for_errors() {
        assert_eq!(
            ensure_topic_exists(&[], Some("t"), true).unwrap_err().message,
            "Topic 't' does not exist as expected"
        );
        assert!(ensure_topic_exists(&[], Some("t"), false).is_ok());
        assert!(ensure_topic_exists(&[], None, true).is_ok());
        assert_eq!(
            partitions_message("config-test", 3, 1),
            "The topic config-test currently has 3 partition(s); 1 would not be an increase."
        );
        assert_eq!(partitions_message("t", 3, 3), "Topic already has 3 partition(s).");
        assert!(has_collision_chars("hello_kafka") && !has_collision_chars("hello-kafka"));
    }

    #[test]
    fn topic_ids_round_trip() {
        let id = parse_topic_id("5qxz0eB3Sr6RF362tClk_A").unwrap();
        assert_eq!(id.to_string(), "5qxz0eB3Sr6RF362tClk_A");
        assert_eq!(parse_topic_id("AAAAAAAAAAAAAAAAAAAAAA"), Some(TopicId::ZERO));
        assert_eq!(parse_topic_id("short"), None);
    }
}
