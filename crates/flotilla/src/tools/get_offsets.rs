//! `flotilla get-offsets`: Kafka's `kafka-get-offsets` (`org.apache.kafka.tools.GetOffsetShell`).
//!
//! Prints `topic:partition:offset` for every partition matching `--topic` (a regular expression) and
//! `--partitions` (a comma-separated list), or `--topic-partitions` patterns (`t1:1,t2:0-3,t3,t4:5-,
//! t5:-3`), at `--time`: `-1`/`latest` (default), `-2`/`earliest`, `-3`/`max-timestamp`, `-4`/
//! `earliest-local`, `-5`/`latest-tiered`, or a timestamp in ms. Lines are sorted by `topic-partition` as
//! text, as Kafka sorts them; a partition with no such offset is left out. Errors print `Error occurred:
//! <message>` on standard error and exit 1.

use std::path::PathBuf;
use std::process::ExitCode;

use flotilla_client::{Admin, IsolationLevel, OffsetSpec};
use flotilla_model::ErrorCode;
use regex::Regex;

use crate::cli::{self, UsageError};
use crate::client_props::{self, Props};
use crate::failure::Failure;
use crate::tools::console_producer::validate_bootstrap_server;
use crate::topic_filter::IncludeList;

const USAGE_TEXT: &str = "An interactive shell for getting topic-partition offsets.";

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(long, alias = "broker-list", value_name = "String: HOST1:PORT1,...,HOST3:PORT3")]
    bootstrap_server: Option<String>,
    /// Comma separated list of topic-partition patterns to get the offsets for, with the format of
    /// 'TOPIC_REGEX(:PARTITION)'. The partition can be a number, a range 'NUMBER-NUMBER' (lower
    /// inclusive, upper exclusive), 'NUMBER-' or '-NUMBER', or omitted for all partitions.
    #[arg(long, value_name = "String: topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3")]
    topic_partitions: Option<String>,
    /// The topic to get the offsets for. It also accepts a regular expression. If not present, all
    /// authorized topics are queried. Cannot be used if --topic-partitions is present.
    #[arg(long, value_name = "String: topic")]
    topic: Option<String>,
    /// Comma separated list of partition ids to get the offsets for. If not present, all partitions of the
    /// authorized topics are queried. Cannot be used if --topic-partitions is present.
    #[arg(long, value_name = "String: partition ids")]
    partitions: Option<String>,
    /// timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than
    /// recently committed record timestamp is given.] (default: latest)
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "String: <timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or \
                      earliest-local / -5 or latest-tiered"
    )]
    time: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long, value_name = "String: config file")]
    command_config: Option<PathBuf>,
    /// By default, internal topics are included. If specified, internal topics are excluded.
    #[arg(long)]
    exclude_internal_topics: bool,
}

/// Kafka's `parseOffsetSpec`.
pub fn parse_offset_spec(time: &str) -> Result<OffsetSpec, String> {
    match time {
        "earliest" => return Ok(OffsetSpec::Earliest),
        "latest" => return Ok(OffsetSpec::Latest),
        "max-timestamp" => return Ok(OffsetSpec::MaxTimestamp),
        "earliest-local" => return Ok(OffsetSpec::Timestamp(-4)),
        "latest-tiered" => return Ok(OffsetSpec::Timestamp(-5)),
        _ => {}
    }
    match time.parse::<i64>() {
        Ok(-1) => Ok(OffsetSpec::Latest),
        Ok(-2) => Ok(OffsetSpec::Earliest),
        Ok(-3) => Ok(OffsetSpec::MaxTimestamp),
        Ok(t) => Ok(OffsetSpec::Timestamp(t)),
        Err(_) => Err(format!(
            "Malformed time argument {time}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or \
             earliest-local / -5 or latest-tiered, or a specified long format timestamp"
        )),
    }
}

/// Which partitions of a topic a rule accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionFilter {
    /// Every partition in this set, or all when empty.
    Set(Vec<i32>),
    /// `lower <= p < upper`.
    Range(i32, i32),
}

impl PartitionFilter {
    pub fn allows(&self, partition: i32) -> bool {
        match self {
            PartitionFilter::Set(set) => set.is_empty() || set.contains(&partition),
            PartitionFilter::Range(lower, upper) => *lower <= partition && partition < *upper,
        }
    }
}

/// One topic-partition rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub topics: IncludeList,
    pub partitions: PartitionFilter,
}

/// `--topic` and `--partitions` as one rule.
pub fn rule_from_options(topic: Option<&str>, partitions: Option<&str>) -> Result<Rule, String> {
    let topics = IncludeList::new(topic.unwrap_or(".*"))?;
    let set = match partitions.filter(|p| !p.is_empty()) {
        None => Vec::new(),
        Some(list) => {
            list.split(',').map(|p| p.trim().parse::<i32>()).collect::<Result<Vec<i32>, _>>().map_err(|_| {
                format!("--partitions expects a comma separated list of numeric partition ids, but received: {list}")
            })?
        }
    };
    Ok(Rule { topics, partitions: PartitionFilter::Set(set) })
}

/// `--topic-partitions` patterns, each `TOPIC_REGEX(:PARTITION_PATTERN)?`.
pub fn rules_from_patterns(patterns: &str) -> Result<Vec<Rule>, String> {
    let pattern = Regex::new(r"^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$").map_err(|e| e.to_string())?;
    patterns
        .split(',')
        .map(|spec| {
            let captures = pattern.captures(spec).ok_or_else(|| format!("Invalid rule specification: {spec}"))?;
            let group = |i: usize| captures.get(i).map(|m| m.as_str()).filter(|s| !s.is_empty());
            let number = |s: &str| s.parse::<i32>().map_err(|_| format!("Invalid rule specification: {spec}"));
            let topics = IncludeList::new(group(1).unwrap_or(".*"))?;
            let partitions = match group(2) {
                Some(p) => PartitionFilter::Set(vec![number(p)?]),
                None => PartitionFilter::Range(
                    group(3).map(number).transpose()?.unwrap_or(0),
                    group(4).map(number).transpose()?.unwrap_or(i32::MAX),
                ),
            };
            Ok(Rule { topics, partitions })
        })
        .collect()
}

/// Whether any rule accepts the topic / the partition.
fn topic_allowed(rules: &[Rule], topic: &str) -> bool {
    rules.iter().any(|r| r.topics.allows(topic, false))
}

fn partition_allowed(rules: &[Rule], topic: &str, partition: i32) -> bool {
    rules.iter().any(|r| r.topics.allows(topic, false) && r.partitions.allows(partition))
}

/// The output lines, sorted as Kafka sorts `TopicPartition.toString()` (`topic-partition` as text);
/// offsets of -1 (none found) are left out.
pub fn offset_lines(offsets: &[(String, i32, i64)]) -> Vec<String> {
    let mut kept: Vec<&(String, i32, i64)> = offsets.iter().filter(|(_, _, o)| *o != -1).collect();
    kept.sort_by_key(|(t, p, _)| format!("{t}-{p}"));
    kept.into_iter().map(|(t, p, o)| format!("{t}:{p}:{o}")).collect()
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let given = args.bootstrap_server.is_some()
        || args.topic_partitions.is_some()
        || args.topic.is_some()
        || args.partitions.is_some()
        || args.time.is_some()
        || args.command_config.is_some()
        || args.exclude_internal_topics;
    if !given {
        return Err(UsageError::with_usage(USAGE_TEXT));
    }
    let Some(bootstrap) = &args.bootstrap_server else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    validate_bootstrap_server(bootstrap)?;
    match fetch_offsets(&args, bootstrap).await {
        Ok(lines) => {
            let mut out = String::new();
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("Error occurred: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn fetch_offsets(args: &Args, bootstrap: &str) -> Result<Vec<String>, String> {
    if args.topic_partitions.is_some() && (args.topic.is_some() || args.partitions.is_some()) {
        return Err("--topic-partitions cannot be used with --topic or --partitions".to_owned());
    }
    let spec = parse_offset_spec(args.time.as_deref().unwrap_or("latest"))?;
    let rules = match &args.topic_partitions {
        Some(patterns) => rules_from_patterns(patterns)?,
        None => vec![rule_from_options(args.topic.as_deref(), args.partitions.as_deref())?],
    };
    let mut props = Props::new();
    if let Some(path) = &args.command_config {
        props.extend(cli::load_properties(path)?);
    }
    props.set("bootstrap.servers", bootstrap);
    props.set_default("client.id", "GetOffsetShell");
    let config = client_props::client_config(&props, "GetOffsetShell").map_err(|e| e.0)?;
    let failure = |e| Failure::from_client(&e).message;
    let admin = Admin::connect(config).await.map_err(failure)?;
    let topics: Vec<String> = admin
        .list_topics(!args.exclude_internal_topics)
        .await
        .map_err(failure)?
        .into_iter()
        .filter(|t| topic_allowed(&rules, t))
        .collect();
    let described =
        if topics.is_empty() { Vec::new() } else { admin.describe_topics(&topics).await.map_err(failure)? };
    let requests: Vec<(String, i32, OffsetSpec)> = described
        .iter()
        .filter(|t| t.error == ErrorCode::None)
        .flat_map(|t| t.partitions.iter().map(move |p| (t.name.clone(), p.partition)))
        .filter(|(t, p)| partition_allowed(&rules, t, *p))
        .map(|(t, p)| (t, p, spec))
        .collect();
    if requests.is_empty() {
        return Err("Could not match any topic-partitions with the specified filters".to_owned());
    }
    let listed = admin.list_offsets(&requests, IsolationLevel::ReadUncommitted).await.map_err(failure)?;
    let mut offsets = Vec::with_capacity(listed.len());
    for answer in listed {
        if answer.error != ErrorCode::None {
            let failure = Failure::kafka(answer.error, None);
            eprintln!(
                "Skip getting offsets for topic-partition {}-{} due to error: {}",
                answer.topic,
                answer.partition,
                failure.stack_line()
            );
            continue;
        }
        offsets.push((answer.topic, answer.partition, answer.offset));
    }
    admin.client().close();
    Ok(offset_lines(&offsets))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn time_specs() {
        assert_eq!(parse_offset_spec("-1"), Ok(OffsetSpec::Latest));
        assert_eq!(parse_offset_spec("latest"), Ok(OffsetSpec::Latest));
        assert_eq!(parse_offset_spec("-2"), Ok(OffsetSpec::Earliest));
        assert_eq!(parse_offset_spec("earliest"), Ok(OffsetSpec::Earliest));
        assert_eq!(parse_offset_spec("-3"), Ok(OffsetSpec::MaxTimestamp));
        assert_eq!(parse_offset_spec("1700000000000"), Ok(OffsetSpec::Timestamp(1_700_000_000_000)));
        assert!(parse_offset_spec("yesterday").unwrap_err().starts_with("Malformed time argument yesterday."));
    }

    #[test]
    fn lines_are_sorted_as_kafka_sorts_them() {
        let offsets =
            vec![("t".to_owned(), 10, 5), ("t".to_owned(), 2, 42), ("s".to_owned(), 0, -1), ("t".to_owned(), 0, 0)];
        assert_eq!(offset_lines(&offsets), ["t:0:0", "t:10:5", "t:2:42"]);
    }

    #[test]
    fn topic_partition_patterns() {
        let rules = rules_from_patterns("topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3,:0").unwrap();
        assert!(partition_allowed(&rules, "topic1", 1) && !partition_allowed(&rules, "topic1", 2));
        assert!(partition_allowed(&rules, "topic2", 2) && !partition_allowed(&rules, "topic2", 3));
        assert!(partition_allowed(&rules, "topic3", 99));
        assert!(partition_allowed(&rules, "topic4", 5) && !partition_allowed(&rules, "topic4", 4));
        assert!(partition_allowed(&rules, "topic5", 2) && !partition_allowed(&rules, "topic5", 3));
        assert!(partition_allowed(&rules, "anything", 0) && !partition_allowed(&rules, "anything", 1));
        assert!(rules_from_patterns("a:b").unwrap_err().contains("Invalid rule specification: a:b"));
    }

    #[test]
    fn topic_and_partitions_options() {
        let rule = rule_from_options(Some("hello_kafka"), Some("0,2")).unwrap();
        assert!(rule.topics.allows("hello_kafka", false) && !rule.topics.allows("other", false));
        assert!(rule.partitions.allows(2) && !rule.partitions.allows(1));
        assert!(rule_from_options(None, None).unwrap().partitions.allows(7));
        assert!(rule_from_options(None, Some("x")).unwrap_err().contains("numeric partition ids"));
    }
}
