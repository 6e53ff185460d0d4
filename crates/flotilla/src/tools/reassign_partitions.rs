//! `flotilla reassign-partitions`: Kafka's `kafka-reassign-partitions`
//! (`org.apache.kafka.tools.reassign.ReassignPartitionsCommand`). One action per run:
//!
//! - `--generate --topics-to-move-json-file F --broker-list 1,2,3`: prints the current assignment of the
//!   topics and a proposed one over the listed brokers (Kafka's striped placement, rack-aware unless
//!   `--disable-rack-aware`). Changes nothing.
//! - `--execute --reassignment-json-file F`: prints the current assignment (to roll back with), then
//!   starts the reassignments with AlterPartitionReassignments. Refused while others are in progress,
//!   unless `--additional`.
//! - `--verify --reassignment-json-file F`: whether each partition of the file has reached its replicas.
//! - `--cancel --reassignment-json-file F`: cancels the file's reassignments that are in progress.
//! - `--list`: the reassignments in progress (ListPartitionReassignments).
//!
//! The file is Kafka's: `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],
//! "log_dirs":["any","any"]}]}`. Flotilla does not move replicas between the log dirs of one broker, so
//! `log_dirs` other than `"any"` are refused, and it does not throttle replication, so `--throttle` is
//! refused rather than silently ignored. `--verify` (once nothing is moving) and `--cancel` still print
//! Kafka's "Clearing ... throttles" lines unless `--preserve-throttles`: there is nothing to clear, and
//! scripts reading Kafka's output find what they expect.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flotilla_client::{Admin, Client, ClientError, MetadataTopics};
use flotilla_metadata::controller::placement::{place_replicas, PlacementBroker};
use flotilla_metadata::controller::random::SeededRandom;
use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use flotilla_protocol::messages::{AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse};

use crate::cli::{self, UsageError};
use crate::failure::Failure;

/// Largest JSON file read: far beyond any cluster's partition list, and a bound on memory.
const JSON_FILE_MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: the server(s) to use for bootstrapping.
    #[arg(long, value_name = "Server(s) to use for bootstrapping")]
    bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long, value_name = "Admin client property file")]
    command_config: Option<PathBuf>,
    /// Generate a candidate partition reassignment configuration. Note that this only generates a candidate
    /// assignment, it does not execute it.
    #[arg(long)]
    generate: bool,
    /// Kick off the reassignment as specified by the --reassignment-json-file option.
    #[arg(long)]
    execute: bool,
    /// Verify if the reassignment completed as specified by the --reassignment-json-file option.
    #[arg(long)]
    verify: bool,
    /// Cancel an active reassignment.
    #[arg(long)]
    cancel: bool,
    /// List all active partition reassignments.
    #[arg(long)]
    list: bool,
    /// The JSON file with the partition reassignment configuration. This is required when executing,
    /// verifying or cancelling.
    #[arg(long, value_name = "manual assignment json file path")]
    reassignment_json_file: Option<PathBuf>,
    /// Generate a reassignment configuration to move the partitions of the specified topics to the list of
    /// brokers specified by the --broker-list option, as {"topics": [{"topic": "foo"}], "version": 1}.
    #[arg(long, value_name = "topics to reassign json file path")]
    topics_to_move_json_file: Option<PathBuf>,
    /// The list of brokers to which the partitions need to be reassigned in the form "0,1,2". This is
    /// required if --topics-to-move-json-file is used to generate reassignment configuration.
    #[arg(long, value_name = "brokerlist")]
    broker_list: Option<String>,
    /// Disable rack aware replica assignment.
    #[arg(long)]
    disable_rack_aware: bool,
    /// Execute this reassignment in addition to any other ongoing ones.
    #[arg(long)]
    additional: bool,
    /// Do not modify broker or topic throttles.
    #[arg(long)]
    preserve_throttles: bool,
    /// The movement of partitions between brokers would be throttled to this value (bytes/sec). Flotilla
    /// does not throttle replication: any value but the default -1 is refused.
    #[arg(long, value_name = "throttle", default_value_t = -1, allow_negative_numbers = true)]
    throttle: i64,
    /// The maximum time in ms to wait for log directory replica assignment to begin.
    #[arg(long, value_name = "timeout", default_value_t = 10_000)]
    timeout: i64,
}

/// The one action of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Generate,
    Execute,
    Verify,
    Cancel,
    List,
}

/// Kafka's checks, in Kafka's order and words.
fn validate(args: &Args) -> Result<Action, UsageError> {
    let actions = [
        (args.generate, Action::Generate),
        (args.execute, Action::Execute),
        (args.verify, Action::Verify),
        (args.cancel, Action::Cancel),
        (args.list, Action::List),
    ];
    let chosen: Vec<Action> = actions.iter().filter(|(on, _)| *on).map(|(_, a)| *a).collect();
    let [action] = chosen[..] else {
        return Err(UsageError::with_usage(
            "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list",
        ));
    };
    if args.bootstrap_server.is_none() {
        return Err(UsageError::with_usage("Please specify --bootstrap-server"));
    }
    match action {
        Action::Generate => {
            if args.topics_to_move_json_file.is_none() {
                return Err(UsageError::with_usage("Missing required argument \"[topics-to-move-json-file]\""));
            }
            if args.broker_list.is_none() {
                return Err(UsageError::with_usage("Missing required argument \"[broker-list]\""));
            }
            cli::check_invalid_args(
                ("generate", true),
                &[("reassignment-json-file", args.reassignment_json_file.is_some()), ("additional", args.additional)],
            )?;
        }
        Action::Execute | Action::Verify | Action::Cancel => {
            if args.reassignment_json_file.is_none() {
                return Err(UsageError::with_usage("Missing required argument \"[reassignment-json-file]\""));
            }
            let name = match action {
                Action::Execute => "execute",
                Action::Verify => "verify",
                _ => "cancel",
            };
            cli::check_invalid_args(
                (name, true),
                &[
                    ("topics-to-move-json-file", args.topics_to_move_json_file.is_some()),
                    ("broker-list", args.broker_list.is_some()),
                ],
            )?;
        }
        Action::List => cli::check_invalid_args(
            ("list", true),
            &[
                ("reassignment-json-file", args.reassignment_json_file.is_some()),
                ("topics-to-move-json-file", args.topics_to_move_json_file.is_some()),
            ],
        )?,
    }
    if args.throttle >= 0 {
        return Err(UsageError::bare(
            "--throttle is not supported: Flotilla does not throttle replication. Run the reassignment without it.",
        ));
    }
    Ok(action)
}

/// One partition's replicas, as the reassignment files list them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assignment {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
}

impl Assignment {
    fn name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }
}

/// A reassignment file: its partitions in file order, refusing what Kafka refuses.
pub fn parse_reassignment_json(text: &str) -> Result<Vec<Assignment>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        partitions: Option<Vec<Entry>>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        topic: String,
        partition: i32,
        replicas: Vec<i32>,
        log_dirs: Option<Vec<String>>,
    }
    let document: Document = serde_json::from_str(text).map_err(|e| format!("Invalid JSON: {e}"))?;
    let entries = document.partitions.unwrap_or_default();
    if entries.is_empty() {
        return Err("Partition reassignment list cannot be empty".to_owned());
    }
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let assignment = Assignment { topic: entry.topic, partition: entry.partition, replicas: entry.replicas };
        if let Some(dirs) = &entry.log_dirs {
            if dirs.len() != assignment.replicas.len() {
                return Err(format!(
                    "Size of replicas list {:?} is different from size of log dirs list {:?} for partition {}",
                    assignment.replicas,
                    dirs,
                    assignment.name()
                ));
            }
            if let Some(dir) = dirs.iter().find(|d| *d != "any") {
                return Err(format!(
                    "Partition {}: log dir {dir} requested, but Flotilla does not move replicas between log \
                     directories; use \"any\"",
                    assignment.name()
                ));
            }
        }
        if !seen.insert((assignment.topic.clone(), assignment.partition)) {
            duplicates.insert(assignment.name());
        }
        out.push(assignment);
    }
    if !duplicates.is_empty() {
        let listed: Vec<String> = duplicates.into_iter().collect();
        return Err(format!("Partition reassignment contains duplicate topic partitions: {}", listed.join(",")));
    }
    let mut repeated = Vec::new();
    for a in &out {
        let twice: BTreeSet<i32> =
            a.replicas.iter().enumerate().filter(|(i, r)| a.replicas[..*i].contains(r)).map(|(_, r)| *r).collect();
        if !twice.is_empty() {
            let ids: Vec<String> = twice.iter().map(i32::to_string).collect();
            repeated.push(format!("{} contains multiple entries for {}", a.name(), ids.join(",")));
        }
    }
    if !repeated.is_empty() {
        return Err(format!("Partition replica lists may not contain duplicate entries: {}. ", repeated.join(". ")));
    }
    Ok(out)
}

/// The topics of a `--topics-to-move-json-file` (`{"topics": [{"topic": "foo"}], "version": 1}`).
pub fn parse_topics_json(text: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        topics: Option<Vec<Entry>>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        topic: String,
    }
    let document: Document = serde_json::from_str(text).map_err(|e| format!("Invalid JSON: {e}"))?;
    let topics: Vec<String> = document.topics.unwrap_or_default().into_iter().map(|e| e.topic).collect();
    let mut seen = BTreeSet::new();
    let twice: BTreeSet<&String> = topics.iter().filter(|t| !seen.insert(*t)).collect();
    if !twice.is_empty() {
        let listed: Vec<&str> = twice.into_iter().map(String::as_str).collect();
        return Err(format!("List of topics to reassign contains duplicate entries: {}", listed.join(",")));
    }
    Ok(topics)
}

/// `--broker-list 1,2,3`, refusing duplicates as Kafka does.
pub fn parse_broker_list(text: &str) -> Result<Vec<i32>, String> {
    let ids: Vec<i32> = text
        .split(',')
        .map(|s| s.trim().parse::<i32>().map_err(|_| format!("Invalid broker id in --broker-list: {s}")))
        .collect::<Result<_, _>>()?;
    let mut seen = BTreeSet::new();
    let twice: BTreeSet<i32> = ids.iter().copied().filter(|id| !seen.insert(*id)).collect();
    if !twice.is_empty() {
        let listed: Vec<String> = twice.iter().map(i32::to_string).collect();
        return Err(format!("Broker list contains duplicate entries: {}", listed.join(",")));
    }
    Ok(ids)
}

/// Kafka's reassignment JSON: partitions sorted by topic and partition, `log_dirs` all "any".
pub fn format_reassignment_json(assignments: &[Assignment]) -> String {
    let mut sorted: Vec<&Assignment> = assignments.iter().collect();
    sorted.sort();
    let partitions: Vec<String> = sorted
        .iter()
        .map(|a| {
            let replicas: Vec<String> = a.replicas.iter().map(i32::to_string).collect();
            let dirs = vec!["\"any\""; a.replicas.len()];
            format!(
                "{{\"topic\":{},\"partition\":{},\"replicas\":[{}],\"log_dirs\":[{}]}}",
                serde_json::Value::String(a.topic.clone()),
                a.partition,
                replicas.join(","),
                dirs.join(",")
            )
        })
        .collect();
    format!("{{\"version\":1,\"partitions\":[{}]}}", partitions.join(","))
}

fn read_json_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{} (No such file or directory)", path.display()),
        _ => format!("{}: {e}", path.display()),
    })?;
    let mut text = String::new();
    file.take(JSON_FILE_MAX_BYTES + 1).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.len() as u64 > JSON_FILE_MAX_BYTES {
        return Err(format!("{}: larger than {JSON_FILE_MAX_BYTES} bytes", path.display()));
    }
    Ok(text)
}

/// A reassignment in progress: (replicas, adding, removing).
type Ongoing = BTreeMap<(String, i32), (Vec<i32>, Vec<i32>, Vec<i32>)>;

/// Talks to the cluster for one run.
struct Session {
    client: Client,
}

impl Session {
    /// Current replicas of every partition of `topics`; an unknown topic is an error, as in Kafka.
    async fn current_assignment(&self, topics: &[String]) -> Result<Vec<Assignment>, String> {
        self.assignment(topics, true).await
    }

    /// Current replicas of every partition of those `topics` that exist (`--verify` reports the others
    /// as having no replicas).
    async fn current_assignment_if_exists(&self, topics: &[String]) -> Result<Vec<Assignment>, String> {
        self.assignment(topics, false).await
    }

    async fn assignment(&self, topics: &[String], must_exist: bool) -> Result<Vec<Assignment>, String> {
        let metadata = self
            .client
            .describe_metadata(MetadataTopics::Some(topics.to_vec()))
            .await
            .map_err(|e| Failure::from_client(&e).message)?;
        let mut out = Vec::new();
        for topic in topics {
            let described = metadata.topics.get(topic).filter(|t| t.error == ErrorCode::None);
            let Some(described) = described else {
                if !must_exist {
                    continue;
                }
                return Err(format!(
                    "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic {topic} not found."
                ));
            };
            for p in &described.partitions {
                out.push(Assignment {
                    topic: topic.clone(),
                    partition: p.partition,
                    replicas: p.replicas.iter().map(|r| r.get()).collect(),
                });
            }
        }
        out.sort();
        Ok(out)
    }

    async fn brokers(&self) -> Result<Vec<(i32, Option<String>)>, String> {
        let metadata =
            self.client.describe_metadata(MetadataTopics::None).await.map_err(|e| Failure::from_client(&e).message)?;
        Ok(metadata.brokers.values().map(|b| (b.node_id.get(), b.rack.clone())).collect())
    }

    /// The reassignments in progress, all or those of `partitions`.
    async fn ongoing(&self, partitions: Option<&[(String, i32)]>) -> Result<Ongoing, String> {
        let admin = Admin::new(self.client.clone());
        match admin.list_partition_reassignments(partitions).await {
            Ok(ongoing) => Ok(ongoing
                .into_iter()
                .map(|(key, o)| (key, (o.replicas, o.adding_replicas, o.removing_replicas)))
                .collect()),
            Err(ClientError::Kafka { code, message, .. }) => Err(Failure::kafka(code, message.as_deref()).stack_line()),
            Err(e) => Err(Failure::from_client(&e).message),
        }
    }

    /// Sends AlterPartitionReassignments; the per-partition failures, by partition name.
    async fn alter(&self, changes: &[(String, i32, Option<Vec<i32>>)]) -> Result<Vec<(String, Failure)>, String> {
        let mut slots: HashMap<&str, usize> = HashMap::new();
        let mut topics: Vec<ReassignableTopic> = Vec::new();
        for (topic, partition, replicas) in changes {
            let slot = *slots.entry(topic.as_str()).or_insert_with(|| {
                topics.push(ReassignableTopic { name: topic.as_str().into(), ..Default::default() });
                topics.len() - 1
            });
            topics[slot].partitions.push(ReassignablePartition {
                partition_index: *partition,
                replicas: replicas.clone(),
                ..Default::default()
            });
        }
        let request = AlterPartitionReassignmentsRequest { timeout_ms: 30_000, topics, ..Default::default() };
        let response: AlterPartitionReassignmentsResponse =
            self.client.send_any(&request).await.map_err(|e| Failure::from_client(&e).message)?;
        let top = ErrorCode::from_code(response.error_code);
        if top != ErrorCode::None {
            return Err(Failure::kafka(top, response.error_message.as_deref()).stack_line());
        }
        let mut failed = Vec::new();
        for topic in &response.responses {
            for p in &topic.partitions {
                let code = ErrorCode::from_code(p.error_code);
                if code != ErrorCode::None {
                    failed.push((
                        format!("{}-{}", topic.name, p.partition_index),
                        Failure::kafka(code, p.error_message.as_deref()),
                    ));
                }
            }
        }
        Ok(failed)
    }
}

/// `--generate`: the current assignment and a proposal over `brokers`.
pub fn propose(
    current: &[Assignment],
    brokers: &[(i32, Option<String>)],
    rack_aware: bool,
    seed: u64,
) -> Result<Vec<Assignment>, String> {
    let placement: Vec<PlacementBroker> = brokers
        .iter()
        .map(|(id, rack)| PlacementBroker { id: NodeId::new(*id), rack: rack.clone().filter(|_| rack_aware) })
        .collect();
    let mut random = SeededRandom::new(seed);
    let mut by_topic: BTreeMap<&str, Vec<&Assignment>> = BTreeMap::new();
    for a in current {
        by_topic.entry(a.topic.as_str()).or_default().push(a);
    }
    let mut out = Vec::new();
    for (topic, partitions) in by_topic {
        let replication_factor = partitions.first().map_or(0, |p| p.replicas.len());
        let placed = place_replicas(&placement, 0, partitions.len(), replication_factor, &mut random)
            .map_err(|e| e.to_string())?;
        for (a, replicas) in partitions.iter().zip(placed) {
            out.push(Assignment {
                topic: topic.to_owned(),
                partition: a.partition,
                replicas: replicas.iter().map(|r| r.get()).collect(),
            });
        }
    }
    Ok(out)
}

/// The `--verify` lines for the file's partitions, and whether all are done.
pub fn verify_report(targets: &[Assignment], current: &[Assignment], ongoing: &Ongoing) -> (String, bool) {
    let mut out = String::from("Status of partition reassignment:\n");
    let mut done = true;
    let mut sorted: Vec<&Assignment> = targets.iter().collect();
    sorted.sort();
    for target in sorted {
        let key = (target.topic.clone(), target.partition);
        let now = current.iter().find(|c| c.topic == target.topic && c.partition == target.partition);
        if ongoing.contains_key(&key) {
            done = false;
            out.push_str(&format!("Reassignment of partition {} is still in progress.\n", target.name()));
        } else {
            match now {
                Some(now) if now.replicas == target.replicas => {
                    out.push_str(&format!("Reassignment of partition {} is completed.\n", target.name()));
                }
                Some(now) => {
                    done = false;
                    out.push_str(&format!(
                        "There is no active reassignment of partition {}, but replica set is {} rather than {}.\n",
                        target.name(),
                        list(&now.replicas),
                        list(&target.replicas)
                    ));
                }
                // As Kafka: a partition that does not exist has an empty replica set.
                None => {
                    done = false;
                    out.push_str(&format!(
                        "There is no active reassignment of partition {}, but replica set is  rather than {}.\n",
                        target.name(),
                        list(&target.replicas)
                    ));
                }
            }
        }
    }
    (out, done)
}

/// What Kafka's tool prints as it clears the replication throttles of the brokers and topics of a plan
/// (after a completed `--verify` and after `--cancel`, unless `--preserve-throttles`). Flotilla sets no
/// throttles, so there is nothing to delete; the lines keep the output Kafka's.
pub fn clearing_throttles_lines(brokers: &BTreeSet<i32>, targets: &[Assignment]) -> String {
    let mut brokers = brokers.clone();
    brokers.extend(targets.iter().flat_map(|t| t.replicas.iter().copied()));
    let topics: BTreeSet<&str> = targets.iter().map(|t| t.topic.as_str()).collect();
    let brokers: Vec<i32> = brokers.into_iter().collect();
    format!(
        "Clearing broker-level throttles on broker{} {}\nClearing topic-level throttles on topic{} {}\n",
        if brokers.len() == 1 { "" } else { "s" },
        list(&brokers),
        if topics.len() == 1 { "" } else { "s" },
        topics.into_iter().collect::<Vec<_>>().join(",")
    )
}

/// The `--list` text.
pub fn list_report(ongoing: &Ongoing) -> String {
    if ongoing.is_empty() {
        return "No partition reassignments found.\n".to_owned();
    }
    let mut out = String::from("Current partition reassignments:\n");
    for ((topic, partition), (replicas, adding, removing)) in ongoing {
        out.push_str(&format!(
            "{topic}-{partition}: replicas: {}. adding: {}. removing: {}.\n",
            list(replicas),
            list(adding),
            list(removing)
        ));
    }
    out
}

fn list(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let action = validate(&args)?;
    match run_action(&args, action).await {
        Ok(code) => Ok(code),
        Err(message) => {
            eprintln!("Error: {message}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run_action(args: &Args, action: Action) -> Result<ExitCode, String> {
    // Files first: a bad file fails before anything is sent.
    let targets = match (&args.reassignment_json_file, action) {
        (Some(path), Action::Execute | Action::Verify | Action::Cancel) => {
            Some(parse_reassignment_json(&read_json_file(path)?)?)
        }
        _ => None,
    };
    let config = cli::admin_client_config(
        args.command_config.as_deref(),
        args.bootstrap_server.as_deref(),
        "flotilla-reassign-partitions",
    )?;
    let client = Client::connect(config).await.map_err(|e| Failure::from_client(&e).message)?;
    let session = Session { client };
    match action {
        Action::List => {
            print!("{}", list_report(&session.ongoing(None).await?));
            Ok(ExitCode::SUCCESS)
        }
        Action::Generate => {
            let path = args.topics_to_move_json_file.as_deref().unwrap_or(Path::new(""));
            let topics = parse_topics_json(&read_json_file(path)?)?;
            let wanted = parse_broker_list(args.broker_list.as_deref().unwrap_or_default())?;
            let known = session.brokers().await?;
            let chosen: Vec<(i32, Option<String>)> = wanted
                .iter()
                .map(|id| {
                    known
                        .iter()
                        .find(|(k, _)| k == id)
                        .cloned()
                        .ok_or_else(|| format!("Broker list contains unknown broker id {id}"))
                })
                .collect::<Result<_, _>>()?;
            let current = session.current_assignment(&topics).await?;
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or_default();
            let proposed = propose(&current, &chosen, !args.disable_rack_aware, seed)?;
            println!("Current partition replica assignment\n{}\n", format_reassignment_json(&current));
            println!("Proposed partition reassignment configuration\n{}", format_reassignment_json(&proposed));
            Ok(ExitCode::SUCCESS)
        }
        Action::Execute => {
            let targets = targets.unwrap_or_default();
            let ongoing = session.ongoing(None).await?;
            if !ongoing.is_empty() && !args.additional {
                return Err("Cannot execute because there is an existing partition assignment.  Use --additional \
                            to override this and create a new partition assignment in addition to the existing one."
                    .to_owned());
            }
            let known: BTreeSet<i32> = session.brokers().await?.into_iter().map(|(id, _)| id).collect();
            if let Some(unknown) = targets.iter().flat_map(|t| t.replicas.iter()).find(|id| !known.contains(id)) {
                return Err(format!("Unknown broker id {unknown}"));
            }
            let topics: Vec<String> =
                targets.iter().map(|t| t.topic.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let current = session.current_assignment(&topics).await?;
            let in_file: Vec<Assignment> = current
                .iter()
                .filter(|c| targets.iter().any(|t| t.topic == c.topic && t.partition == c.partition))
                .cloned()
                .collect();
            if let Some(missing) = targets.iter().find(|t| !in_file.iter().any(|c| c.name() == t.name())) {
                return Err(format!(
                    "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: {}",
                    missing.name()
                ));
            }
            println!("Current partition replica assignment\n\n{}\n", format_reassignment_json(&in_file));
            println!("Save this to use as the --reassignment-json-file option during rollback");
            let changes: Vec<(String, i32, Option<Vec<i32>>)> =
                targets.iter().map(|t| (t.topic.clone(), t.partition, Some(t.replicas.clone()))).collect();
            let failed = session.alter(&changes).await?;
            if !failed.is_empty() {
                let lines: Vec<String> = failed.iter().map(|(name, f)| format!("{name}: {}", f.message)).collect();
                return Err(format!("Error reassigning partition(s):\n{}", lines.join("\n")));
            }
            let mut names: Vec<String> = targets.iter().map(Assignment::name).collect();
            names.sort();
            let plural = if names.len() == 1 { "" } else { "s" };
            println!("Successfully started partition reassignment{plural} for {}", names.join(","));
            Ok(ExitCode::SUCCESS)
        }
        Action::Verify => {
            let targets = targets.unwrap_or_default();
            // Every reassignment in the cluster: throttles are cleared only once none is left, as Kafka does.
            let ongoing = session.ongoing(None).await?;
            let topics: Vec<String> =
                targets.iter().map(|t| t.topic.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let current = session.current_assignment_if_exists(&topics).await?;
            let (mut out, _) = verify_report(&targets, &current, &ongoing);
            // Kafka prints the (here empty) log dir move states on a line of their own.
            out.push('\n');
            if ongoing.is_empty() && !args.preserve_throttles {
                let brokers = session.brokers().await?.into_iter().map(|(id, _)| id).collect();
                out.push_str(&clearing_throttles_lines(&brokers, &targets));
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Action::Cancel => {
            let targets = targets.unwrap_or_default();
            let keys: Vec<(String, i32)> = targets.iter().map(|t| (t.topic.clone(), t.partition)).collect();
            let ongoing = session.ongoing(Some(&keys)).await?;
            let active: Vec<(String, i32, Option<Vec<i32>>)> =
                keys.iter().filter(|k| ongoing.contains_key(*k)).map(|(t, p)| (t.clone(), *p, None)).collect();
            let mut out = String::new();
            if active.is_empty() {
                out.push_str("None of the specified partition reassignments are active.\n");
            } else {
                let failed = session.alter(&active).await?;
                if !failed.is_empty() {
                    let plural = if failed.len() == 1 { "" } else { "s" };
                    let lines: Vec<String> = failed.iter().map(|(name, f)| format!("{name}: {}", f.message)).collect();
                    return Err(format!("Error cancelling partition reassignment{plural} for:\n{}", lines.join("\n")));
                }
                let mut names: Vec<String> = active.iter().map(|(t, p, _)| format!("{t}-{p}")).collect();
                names.sort();
                let plural = if names.len() == 1 { "" } else { "s" };
                out.push_str(&format!(
                    "Successfully cancelled partition reassignment{plural} for: {}\n",
                    names.join(",")
                ));
            }
            // No log dir moves exist here; Kafka ends this line without a newline.
            out.push_str("None of the specified partition moves are active.");
            if !args.preserve_throttles {
                let brokers = session.brokers().await?.into_iter().map(|(id, _)| id).collect();
                out.push_str(&clearing_throttles_lines(&brokers, &targets));
            }
            print!("{out}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn args(list: &[&str]) -> Args {
        use clap::{Args as _, FromArgMatches};
        let command = Args::augment_args(clap::Command::new("reassign-partitions").no_binary_name(true));
        Args::from_arg_matches(&command.try_get_matches_from(list).unwrap()).unwrap()
    }

    fn message(list: &[&str]) -> String {
        validate(&args(list)).unwrap_err().message
    }

    #[test]
    fn exactly_one_action_with_its_files() {
        let b = ["--bootstrap-server", "b:9092"];
        assert!(message(&b).starts_with("Command must include exactly one action"));
        assert!(message(&[&b[..], &["--list", "--verify"]].concat()).starts_with("Command must include exactly one"));
        assert_eq!(message(&["--list"]), "Please specify --bootstrap-server");
        assert_eq!(
            message(&[&b[..], &["--execute"]].concat()),
            "Missing required argument \"[reassignment-json-file]\""
        );
        assert_eq!(
            message(&[&b[..], &["--generate", "--broker-list", "1"]].concat()),
            "Missing required argument \"[topics-to-move-json-file]\""
        );
        assert!(message(&[&b[..], &["--execute", "--reassignment-json-file", "f", "--throttle", "100"]].concat())
            .contains("does not throttle"));
        assert_eq!(validate(&args(&[&b[..], &["--list"]].concat())).unwrap(), Action::List);
    }

    #[test]
    fn reassignment_files_are_checked_like_kafkas() {
        let ok = r#"{"version":1,"partitions":[{"topic":"t","partition":1,"replicas":[3,1],"log_dirs":["any","any"]},
            {"topic":"t","partition":0,"replicas":[2]}]}"#;
        let parsed = parse_reassignment_json(ok).unwrap();
        assert_eq!(parsed[0], Assignment { topic: "t".into(), partition: 1, replicas: vec![3, 1] });
        assert_eq!(
            format_reassignment_json(&parsed),
            r#"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2],"log_dirs":["any"]},{"topic":"t","partition":1,"replicas":[3,1],"log_dirs":["any","any"]}]}"#
        );
        assert_eq!(
            parse_reassignment_json(r#"{"version":1,"partitions":[]}"#).unwrap_err(),
            "Partition reassignment list cannot be empty"
        );
        let twice =
            r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}"#;
        assert_eq!(
            parse_reassignment_json(twice).unwrap_err(),
            "Partition reassignment contains duplicate topic partitions: t-0"
        );
        let repeated = r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1,1]}]}"#;
        assert_eq!(
            parse_reassignment_json(repeated).unwrap_err(),
            "Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1. "
        );
        let dirs = r#"{"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["/data"]}]}"#;
        assert!(parse_reassignment_json(dirs).unwrap_err().contains("does not move replicas between log directories"));
        assert!(parse_reassignment_json("{").unwrap_err().starts_with("Invalid JSON"));
        assert_eq!(
            parse_topics_json(r#"{"topics":[{"topic":"a"},{"topic":"b"}],"version":1}"#).unwrap(),
            vec!["a", "b"]
        );
        assert_eq!(parse_broker_list("1, 2,3").unwrap(), vec![1, 2, 3]);
        assert!(parse_broker_list("1,1").is_err() && parse_broker_list("1,x").is_err());
    }

    #[test]
    fn a_proposal_keeps_the_replication_factor_on_the_listed_brokers() {
        let current: Vec<Assignment> =
            (0..6).map(|p| Assignment { topic: "t".into(), partition: p, replicas: vec![1, 2] }).collect();
        let brokers = [(2, None), (3, None), (4, None)];
        let proposed = propose(&current, &brokers, true, 7).unwrap();
        assert_eq!(proposed.len(), 6);
        for a in &proposed {
            assert_eq!(a.replicas.len(), 2);
            assert!(a.replicas.iter().all(|r| [2, 3, 4].contains(r)) && a.replicas[0] != a.replicas[1]);
        }
        let leaders: BTreeSet<i32> = proposed.iter().map(|a| a.replicas[0]).collect();
        assert_eq!(leaders.len(), 3, "leaders go round robin");
        assert!(propose(&current, &brokers[..1], true, 7).is_err());
    }

    #[test]
    fn verify_and_list_read_like_kafkas() {
        let target = |p: i32, replicas: Vec<i32>| Assignment { topic: "t".into(), partition: p, replicas };
        let targets = [target(0, vec![3, 2]), target(1, vec![3, 2]), target(2, vec![1])];
        let current = [target(0, vec![3, 2]), target(1, vec![3, 2, 1]), target(2, vec![2])];
        let mut ongoing = Ongoing::new();
        ongoing.insert(("t".into(), 1), (vec![3, 2, 1], vec![3], vec![1]));
        let (out, done) = verify_report(&targets, &current, &ongoing);
        assert!(!done);
        assert_eq!(
            out,
            "Status of partition reassignment:\n\
             Reassignment of partition t-0 is completed.\n\
             Reassignment of partition t-1 is still in progress.\n\
             There is no active reassignment of partition t-2, but replica set is 2 rather than 1.\n"
        );
        let (out, done) = verify_report(&[target(7, vec![1, 2])], &current, &Ongoing::new());
        assert!(!done);
        assert_eq!(
            out,
            "Status of partition reassignment:\n\
             There is no active reassignment of partition t-7, but replica set is  rather than 1,2.\n"
        );
        assert_eq!(
            clearing_throttles_lines(&BTreeSet::from([2, 1]), &targets),
            "Clearing broker-level throttles on brokers 1,2,3\nClearing topic-level throttles on topic t\n"
        );
        let one = [target(0, vec![1])];
        assert_eq!(
            clearing_throttles_lines(&BTreeSet::from([1]), &one),
            "Clearing broker-level throttles on broker 1\nClearing topic-level throttles on topic t\n"
        );
        assert_eq!(
            list_report(&ongoing),
            "Current partition reassignments:\nt-1: replicas: 3,2,1. adding: 3. removing: 1.\n"
        );
        assert_eq!(list_report(&Ongoing::new()), "No partition reassignments found.\n");
    }
}
