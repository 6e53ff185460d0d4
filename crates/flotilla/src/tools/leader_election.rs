//! `flotilla leader-election`: Kafka's `kafka-leader-election` (`org.apache.kafka.tools.LeaderElectionCommand`).
//! `--election-type preferred|unclean` for one partition (`--topic` with `--partition`), every partition
//! (`--all-topic-partitions`) or those listed in `--path-to-json-file` (`{"partitions": [{"topic": "t",
//! "partition": 0}]}`).
//!
//! Output as Kafka's: a line for the partitions elected, one for those that already had a valid leader,
//! and one per failure; any failure makes the exit code 1 (`N replica(s) could not be elected`).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use flotilla_client::Client;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::elect_leaders_request::TopicPartitions;
use flotilla_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse};

use crate::cli::{self, UsageError};
use crate::failure::Failure;

/// How long the controller may take, as Kafka's tool allows its admin client.
const ELECTION_TIMEOUT_MS: i32 = 30_000;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated
    /// URLs can be given. REQUIRED.
    #[arg(long, value_name = "host:port")]
    bootstrap_server: Option<String>,
    /// Config properties file to pass to the admin client.
    #[arg(long, value_name = "Config file")]
    command_config: Option<PathBuf>,
    /// (DEPRECATED) Configuration properties files to pass to the admin client. Use --command-config instead.
    #[arg(long = "admin.config", value_name = "config file")]
    admin_config: Option<PathBuf>,
    /// The JSON file with the list of partitions for which leader elections should be performed, as
    /// {"partitions": [{"topic": "foo", "partition": 1}]}. Not allowed with --all-topic-partitions or --topic.
    #[arg(long, value_name = "Path to JSON file")]
    path_to_json_file: Option<PathBuf>,
    /// Name of topic for which to perform an election. Not allowed if --path-to-json-file or
    /// --all-topic-partitions is specified.
    #[arg(long, value_name = "topic name")]
    topic: Option<String>,
    /// Partition id for which to perform an election. REQUIRED if --topic is specified.
    #[arg(long, value_name = "partition id", allow_negative_numbers = true)]
    partition: Option<i32>,
    /// Perform election on all of the eligible topic partitions based on the type of election (see the
    /// --election-type flag). Not allowed if --topic or --path-to-json-file is specified.
    #[arg(long)]
    all_topic_partitions: bool,
    /// Type of election to attempt: "preferred" (only where the current leader is not the preferred
    /// replica) or "unclean" (only where there is no leader). REQUIRED.
    #[arg(long, value_name = "election type")]
    election_type: Option<String>,
}

/// Kafka's election types, printed as Kafka prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Election {
    Preferred,
    Unclean,
}

impl Election {
    /// jopt-simple's enum converter: the constant's name, in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_uppercase().as_str() {
            "PREFERRED" => Some(Self::Preferred),
            "UNCLEAN" => Some(Self::Unclean),
            _ => None,
        }
    }

    fn wire(self) -> i8 {
        match self {
            Self::Preferred => 0,
            Self::Unclean => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Preferred => "PREFERRED",
            Self::Unclean => "UNCLEAN",
        }
    }
}

/// Kafka's checks, in Kafka's order and words.
fn validate(args: &Args) -> Result<Election, UsageError> {
    let mut missing = Vec::new();
    if args.bootstrap_server.is_none() {
        missing.push("bootstrap-server");
    }
    if args.election_type.is_none() {
        missing.push("election-type");
    }
    if !missing.is_empty() {
        return Err(UsageError::bare(format!("Missing required option(s): {}", missing.join(", "))));
    }
    cli::check_invalid_args(
        ("admin.config", args.admin_config.is_some()),
        &[("command-config", args.command_config.is_some())],
    )?;
    let chosen = [args.topic.is_some(), args.all_topic_partitions, args.path_to_json_file.is_some()];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(UsageError::bare(
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file",
        ));
    }
    if args.topic.is_some() && args.partition.is_none() {
        return Err(UsageError::bare("Missing required option(s): partition"));
    }
    if args.topic.is_none() && args.partition.is_some() {
        return Err(UsageError::bare("Option partition is only allowed if topic is used"));
    }
    let value = args.election_type.as_deref().unwrap_or_default();
    Election::parse(value)
        .ok_or_else(|| UsageError::with_usage(format!("Cannot parse argument '{value}' of option election-type")))
}

/// The partitions of a `--path-to-json-file` document, refusing duplicates as Kafka does.
pub fn parse_election_json(text: &str) -> Result<Vec<(String, i32)>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        partitions: Option<Vec<Entry>>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        topic: String,
        partition: i32,
    }
    if text.trim().is_empty() {
        return Err("Replica election data is empty".to_owned());
    }
    let document: Document = serde_json::from_str(text).map_err(|e| format!("Invalid JSON: {e}"))?;
    let entries =
        document.partitions.ok_or_else(|| "Replica election data is missing \"partitions\" field".to_owned())?;
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut partitions = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = (entry.topic, entry.partition);
        if !seen.insert(key.clone()) {
            duplicates.insert(format!("{}-{}", key.0, key.1));
        } else {
            partitions.push(key);
        }
    }
    if !duplicates.is_empty() {
        let listed: Vec<String> = duplicates.into_iter().collect();
        return Err(format!("Replica election data contains duplicate partitions: [{}]", listed.join(", ")));
    }
    Ok(partitions)
}

/// Largest `--path-to-json-file` read: far beyond any cluster's partition list, and a bound on memory.
const ELECTION_FILE_MAX_BYTES: u64 = 64 << 20;

fn read_election_file(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(ELECTION_FILE_MAX_BYTES + 1).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.len() as u64 > ELECTION_FILE_MAX_BYTES {
        return Err(format!("{}: larger than {ELECTION_FILE_MAX_BYTES} bytes", path.display()));
    }
    Ok(text)
}

/// The request for these partitions (`None`: every partition).
pub fn election_request(election: Election, partitions: Option<&[(String, i32)]>) -> ElectLeadersRequest {
    let topic_partitions = partitions.map(|list| {
        let mut slots: HashMap<&str, usize> = HashMap::new();
        let mut topics: Vec<TopicPartitions> = Vec::new();
        for (topic, partition) in list {
            let slot = *slots.entry(topic.as_str()).or_insert_with(|| {
                topics.push(TopicPartitions { topic: topic.as_str().into(), ..Default::default() });
                topics.len() - 1
            });
            topics[slot].partitions.push(*partition);
        }
        topics
    });
    ElectLeadersRequest {
        election_type: election.wire(),
        topic_partitions,
        timeout_ms: ELECTION_TIMEOUT_MS,
        ..Default::default()
    }
}

/// What the tool prints for an answer: stdout text and the number of partitions that failed.
pub fn report(election: Election, response: &ElectLeadersResponse) -> (String, usize) {
    let mut succeeded = Vec::new();
    let mut noop = Vec::new();
    let mut failed = Vec::new();
    for topic in &response.replica_election_results {
        for p in &topic.partition_result {
            let name = format!("{}-{}", topic.topic, p.partition_id);
            match ErrorCode::from_code(p.error_code) {
                ErrorCode::None => succeeded.push(name),
                ErrorCode::ElectionNotNeeded => noop.push(name),
                code => failed.push((name, Failure::kafka(code, p.error_message.as_deref()))),
            }
        }
    }
    let mut out = String::new();
    if !succeeded.is_empty() {
        out.push_str(&format!(
            "Successfully completed leader election ({}) for partitions {}\n",
            election.name(),
            succeeded.join(", ")
        ));
    }
    if !noop.is_empty() {
        out.push_str(&format!("Valid replica already elected for partitions {}\n", noop.join(", ")));
    }
    for (name, failure) in &failed {
        out.push_str(&format!(
            "Error completing leader election ({}) for partition: {name}: {}\n",
            election.name(),
            failure.stack_line()
        ));
    }
    (out, failed.len())
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let election = validate(&args)?;
    let partitions: Option<Vec<(String, i32)>> = if let Some(path) = &args.path_to_json_file {
        let text = match read_election_file(path) {
            Ok(text) => text,
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        };
        match parse_election_json(&text) {
            Ok(list) => Some(list),
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        }
    } else {
        args.topic.as_ref().zip(args.partition).map(|(t, p)| vec![(t.clone(), p)])
    };
    let config_file = args.admin_config.as_deref().or(args.command_config.as_deref());
    if args.admin_config.is_some() {
        println!("Option --admin.config has been deprecated and will be removed in a future version. Use --command-config instead.");
    }
    let config =
        match cli::admin_client_config(config_file, args.bootstrap_server.as_deref(), "flotilla-leader-election") {
            Ok(config) => config,
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        };
    let request = election_request(election, partitions.as_deref());
    let answered = async {
        let client = Client::connect(config).await?;
        // The election runs on the controller; any broker forwards it.
        client.send_any(&request).await
    }
    .await;
    let response = match answered {
        Ok(response) => response,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).message);
            return Ok(ExitCode::FAILURE);
        }
    };
    let top = ErrorCode::from_code(response.error_code);
    if top != ErrorCode::None {
        let failure = Failure::kafka(top, None);
        println!("Error while making request");
        eprintln!("{}", failure.stack_line());
        return Ok(ExitCode::FAILURE);
    }
    let (out, failures) = report(election, &response);
    print!("{out}");
    if failures > 0 {
        eprintln!("{failures} replica(s) could not be elected");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use flotilla_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};

    use super::*;

    fn args(list: &[&str]) -> Args {
        use clap::{Args as _, FromArgMatches};
        let command = Args::augment_args(clap::Command::new("leader-election"));
        let matches = command.try_get_matches_from(std::iter::once("leader-election").chain(list.iter().copied()));
        Args::from_arg_matches(&matches.unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"))
    }

    fn message(result: Result<Election, UsageError>) -> String {
        result.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn checks_follow_kafkas_order_and_words() {
        assert_eq!(
            message(validate(&args(&["--topic", "t"]))),
            "Missing required option(s): bootstrap-server, election-type"
        );
        let base = ["--bootstrap-server", "b:9092", "--election-type", "preferred"];
        let with = |extra: &[&str]| args(&[&base[..], extra].concat());
        assert_eq!(
            message(validate(&with(&[]))),
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"
        );
        assert_eq!(
            message(validate(&with(&["--topic", "t", "--all-topic-partitions"]))),
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"
        );
        assert_eq!(message(validate(&with(&["--topic", "t"]))), "Missing required option(s): partition");
        assert_eq!(
            message(validate(&with(&["--all-topic-partitions", "--partition", "1"]))),
            "Option partition is only allowed if topic is used"
        );
        assert_eq!(validate(&with(&["--topic", "t", "--partition", "0"])), Ok(Election::Preferred));
        let unclean = args(&["--bootstrap-server", "b", "--election-type", "UNCLEAN", "--all-topic-partitions"]);
        assert_eq!(validate(&unclean), Ok(Election::Unclean));
        let bad = args(&["--bootstrap-server", "b", "--election-type", "dirty", "--all-topic-partitions"]);
        assert_eq!(message(validate(&bad)), "Cannot parse argument 'dirty' of option election-type");
    }

    #[test]
    fn json_file_lists_partitions_without_duplicates() {
        let parsed =
            parse_election_json(r#"{"partitions": [{"topic": "a", "partition": 1}, {"topic": "b", "partition": 0}]}"#);
        assert_eq!(parsed, Ok(vec![("a".to_owned(), 1), ("b".to_owned(), 0)]));
        assert_eq!(parse_election_json("  "), Err("Replica election data is empty".to_owned()));
        assert_eq!(
            parse_election_json(r#"{"version": 1}"#),
            Err("Replica election data is missing \"partitions\" field".to_owned())
        );
        assert_eq!(
            parse_election_json(r#"{"partitions": [{"topic": "a", "partition": 1}, {"topic": "a", "partition": 1}]}"#),
            Err("Replica election data contains duplicate partitions: [a-1]".to_owned())
        );
        assert!(parse_election_json(r#"{"partitions": [{"topic": "a"}]}"#).is_err());
    }

    #[test]
    fn request_groups_partitions_by_topic_and_none_means_all() {
        let request = election_request(Election::Unclean, Some(&[("a".into(), 1), ("b".into(), 0), ("a".into(), 2)]));
        assert_eq!(request.election_type, 1);
        let topics = request.topic_partitions.unwrap_or_default();
        assert_eq!(topics.len(), 2);
        assert_eq!(topics[0].partitions, vec![1, 2]);
        assert!(election_request(Election::Preferred, None).topic_partitions.is_none());
    }

    #[test]
    fn report_reads_like_kafkas() {
        let result =
            |id, code: ErrorCode| PartitionResult { partition_id: id, error_code: code.code(), ..Default::default() };
        let response = ElectLeadersResponse {
            replica_election_results: vec![ReplicaElectionResult {
                topic: "t".into(),
                partition_result: vec![
                    result(0, ErrorCode::None),
                    result(1, ErrorCode::ElectionNotNeeded),
                    result(2, ErrorCode::None),
                    result(3, ErrorCode::PreferredLeaderNotAvailable),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let (out, failures) = report(Election::Preferred, &response);
        assert_eq!(failures, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "Successfully completed leader election (PREFERRED) for partitions t-0, t-2");
        assert_eq!(lines[1], "Valid replica already elected for partitions t-1");
        assert!(
            lines[2].starts_with(
                "Error completing leader election (PREFERRED) for partition: t-3: \
                 org.apache.kafka.common.errors.PreferredLeaderNotAvailableException"
            ),
            "{}",
            lines[2]
        );
    }
}
