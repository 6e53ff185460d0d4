//! `flotilla consumer-groups`: Kafka's `kafka-consumer-groups` (`ConsumerGroupCommand`).
//!
//! One action per run: `--list` (with `--state`: the states too), `--describe` (offsets and lag by
//! default; `--members [--verbose]` or `--state` instead), `--delete`, `--delete-offsets`, and
//! `--reset-offsets` with one scenario (`--to-earliest`, `--to-latest`, `--to-current`, `--to-offset N`,
//! `--shift-by N`, `--to-datetime T`, `--by-duration D`) over `--topic T[:p,...]` or `--all-topics`: a dry
//! run unless `--execute`, and refused while the group has members, as Kafka refuses it. Tables are laid out
//! as Kafka lays them out: columns as wide as their longest value (at least 15), `-` for what is unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use flotilla_client::groups::DescribedGroup;
use flotilla_client::{Admin, IsolationLevel, OffsetSpec};
use flotilla_model::ErrorCode;

use crate::cli::{self, UsageError};
use crate::failure::Failure;
use crate::tools::console_producer::validate_bootstrap_server;

const USAGE_TEXT: &str =
    "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.";
const ONE_ACTION: &str =
    "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets";
const MISSING: &str = "-";

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long, value_name = "String: server to connect to")]
    bootstrap_server: Option<String>,
    /// List all consumer groups.
    #[arg(long)]
    list: bool,
    /// Describe consumer group and list offset lag (number of messages not yet processed) related to given group.
    #[arg(long)]
    describe: bool,
    /// Pass in groups to delete topic partition offsets and ownership information over the entire consumer group.
    #[arg(long)]
    delete: bool,
    /// Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive.
    #[arg(long)]
    reset_offsets: bool,
    /// Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.
    #[arg(long)]
    delete_offsets: bool,
    /// The consumer group we wish to act on.
    #[arg(long, value_name = "String: consumer group")]
    group: Vec<String>,
    /// Apply to all consumer groups.
    #[arg(long)]
    all_groups: bool,
    /// The topic whose consumer group information should be deleted or topic whose should be included in the
    /// reset offset process. In `reset-offsets` case, partitions can be specified using this format:
    /// `topic1:0,1,2`.
    #[arg(long, value_name = "String: topic")]
    topic: Vec<String>,
    /// Consider all topics assigned to a group in the `reset-offsets` process.
    #[arg(long)]
    all_topics: bool,
    /// Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.
    #[arg(long)]
    members: bool,
    /// Describe the group and list all topic partitions in the group along with their offset lag. This is the
    /// default sub-action.
    #[arg(long)]
    offsets: bool,
    /// When specified with '--describe', includes the state of the group. When specified with '--list', it
    /// displays the state of all groups.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "String")]
    state: Option<String>,
    /// Provide additional information, if any, when describing the group.
    #[arg(long)]
    verbose: bool,
    /// Execute operation. Supported operations: reset-offsets.
    #[arg(long)]
    execute: bool,
    /// Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.
    #[arg(long)]
    dry_run: bool,
    /// Reset offsets to earliest offset.
    #[arg(long)]
    to_earliest: bool,
    /// Reset offsets to latest offset.
    #[arg(long)]
    to_latest: bool,
    /// Reset offsets to current offset.
    #[arg(long)]
    to_current: bool,
    /// Reset offsets to a specific offset.
    #[arg(long, value_name = "Long: offset")]
    to_offset: Option<i64>,
    /// Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.
    #[arg(long, allow_hyphen_values = true, value_name = "Long: number-of-offsets")]
    shift_by: Option<i64>,
    /// Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'
    #[arg(long, value_name = "String: datetime")]
    to_datetime: Option<String>,
    /// Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'
    #[arg(long, value_name = "String: duration")]
    by_duration: Option<String>,
    /// Property file containing configs to be passed to Admin Client and Consumer.
    #[arg(long, value_name = "String: command config property file")]
    command_config: Option<PathBuf>,
    /// The timeout that can be set for some use cases (ms).
    #[arg(long, value_name = "Long: timeout (ms)")]
    timeout: Option<u64>,
}

/// How `--reset-offsets` picks each partition's new offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetScenario {
    Earliest,
    Latest,
    Current,
    Offset(i64),
    ShiftBy(i64),
    /// The first offset at or after this time (ms).
    Timestamp(i64),
}

impl Args {
    fn actions(&self) -> usize {
        [self.list, self.describe, self.delete, self.reset_offsets, self.delete_offsets].iter().filter(|a| **a).count()
    }

    fn scenario(&self, now_ms: i64) -> Result<Option<ResetScenario>, UsageError> {
        let mut chosen = Vec::new();
        if self.to_earliest {
            chosen.push(ResetScenario::Earliest);
        }
        if self.to_latest {
            chosen.push(ResetScenario::Latest);
        }
        if self.to_current {
            chosen.push(ResetScenario::Current);
        }
        if let Some(offset) = self.to_offset {
            chosen.push(ResetScenario::Offset(offset));
        }
        if let Some(shift) = self.shift_by {
            chosen.push(ResetScenario::ShiftBy(shift));
        }
        if let Some(datetime) = &self.to_datetime {
            chosen.push(ResetScenario::Timestamp(parse_datetime(datetime).map_err(UsageError::bare)?));
        }
        if let Some(duration) = &self.by_duration {
            let ms = parse_duration_ms(duration).map_err(UsageError::bare)?;
            chosen.push(ResetScenario::Timestamp(now_ms.saturating_sub(ms)));
        }
        match chosen.len() {
            0 => Ok(None),
            1 => Ok(chosen.first().copied()),
            _ => Err(UsageError::with_usage(
                "Option [reset-offsets] takes only one of these options: [to-datetime], [by-duration], [to-earliest], \
                 [to-latest], [shift-by], [from-file], [to-current], [to-offset]",
            )),
        }
    }
}

pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    if args.actions() == 0 && args.bootstrap_server.is_none() {
        return Err(UsageError::with_usage(USAGE_TEXT));
    }
    if args.actions() != 1 {
        return Err(UsageError::with_usage(ONE_ACTION));
    }
    let Some(bootstrap) = args.bootstrap_server.clone() else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    validate_bootstrap_server(&bootstrap)?;
    if (args.describe || args.delete || args.reset_offsets || args.delete_offsets)
        && args.group.is_empty()
        && !args.all_groups
    {
        return Err(UsageError::with_usage(
            "Option [describe], [delete], [reset-offsets], [delete-offsets] takes one of these options: [all-groups], [group]",
        ));
    }
    if args.delete_offsets && (args.group.len() != 1 || args.topic.is_empty()) {
        return Err(UsageError::with_usage("Option [delete-offsets] takes the following options: [group], [topic]"));
    }
    let scenario = args.scenario(chrono::Utc::now().timestamp_millis())?;
    if args.reset_offsets {
        if scenario.is_none() {
            return Err(UsageError::with_usage(
                "Option [reset-offsets] takes one of these options: [to-datetime], [by-duration], [to-earliest], \
                 [to-latest], [shift-by], [from-file], [to-current], [to-offset]",
            ));
        }
        if args.topic.is_empty() != args.all_topics {
            return Err(UsageError::with_usage(
                "Option [reset-offsets] takes one of these options: [all-topics], [topic]",
            ));
        }
    }
    let config = cli::admin_client_config(args.command_config.as_deref(), Some(&bootstrap), "adminclient-1")
        .map_err(UsageError::bare)?;
    let admin = match Admin::connect(config).await {
        Ok(admin) => admin,
        Err(e) => {
            println!(
                "\nError: Executing consumer group command failed due to {}",
                Failure::from_client(&e).stack_line()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let outcome = if args.list {
        list(&admin, &args).await
    } else if args.describe {
        describe(&admin, &args).await
    } else if args.delete {
        delete(&admin, &args).await
    } else if args.delete_offsets {
        delete_offsets(&admin, &args).await
    } else {
        reset_offsets(&admin, &args, scenario.unwrap_or(ResetScenario::Current)).await
    };
    match outcome {
        Ok(code) => Ok(code),
        Err(e) => {
            println!(
                "\nError: Executing consumer group command failed due to {}",
                Failure::from_client(&e).stack_line()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

type Outcome = Result<ExitCode, flotilla_client::ClientError>;

async fn groups_of(admin: &Admin, args: &Args) -> Result<Vec<String>, flotilla_client::ClientError> {
    if args.all_groups {
        return Ok(admin.list_groups().await?.into_iter().map(|g| g.group_id).collect());
    }
    Ok(args.group.clone())
}

async fn list(admin: &Admin, args: &Args) -> Outcome {
    let groups = admin.list_groups().await?;
    match &args.state {
        None => {
            for g in groups {
                println!("{}", g.group_id);
            }
        }
        Some(filter) => {
            let wanted: Vec<String> =
                filter.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase).collect();
            let rows: Vec<(String, String)> = groups
                .into_iter()
                .filter(|g| wanted.is_empty() || wanted.contains(&g.state.to_lowercase()))
                .map(|g| (g.group_id, g.state))
                .collect();
            print!("{}", format_list_with_state(&rows));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--list --state`: `GROUP STATE` rows.
pub fn format_list_with_state(rows: &[(String, String)]) -> String {
    let width = rows.iter().map(|(g, _)| g.len()).max().unwrap_or(0).max(15);
    let mut out = format!("{:<width$} {}\n", "GROUP", "STATE");
    for (group, state) in rows {
        out.push_str(&format!("{group:<width$} {state}\n"));
    }
    out
}

/// One row of the offsets table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub current: Option<i64>,
    pub log_end: Option<i64>,
    pub consumer_id: Option<String>,
    pub host: Option<String>,
    pub client_id: Option<String>,
}

/// Kafka's describe table: a blank line, the header, one row per partition, each on its own line.
pub fn format_offsets(rows: &[OffsetRow]) -> String {
    let w = |f: &dyn Fn(&OffsetRow) -> usize| rows.iter().map(f).max().unwrap_or(0).max(15);
    let group_w = w(&|r| r.group.len());
    let topic_w = w(&|r| r.topic.len());
    let consumer_w = w(&|r| r.consumer_id.as_deref().map_or(1, str::len));
    let host_w = w(&|r| r.host.as_deref().map_or(1, str::len));
    let line = |cols: [&str; 9]| {
        format!(
            "\n{:<group_w$} {:<topic_w$} {:<10} {:<15} {:<15} {:<15} {:<consumer_w$} {:<host_w$} {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]
        )
    };
    let mut out = line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]);
    for r in rows {
        let opt = |v: Option<i64>| v.map_or_else(|| MISSING.to_owned(), |v| v.to_string());
        let lag = match (r.current, r.log_end) {
            (Some(c), Some(e)) => (e - c).max(0).to_string(),
            _ => MISSING.to_owned(),
        };
        out.push_str(&line([
            &r.group,
            &r.topic,
            &r.partition.to_string(),
            &opt(r.current),
            &opt(r.log_end),
            &lag,
            r.consumer_id.as_deref().unwrap_or(MISSING),
            r.host.as_deref().unwrap_or(MISSING),
            r.client_id.as_deref().unwrap_or(MISSING),
        ]));
    }
    out.push('\n');
    out
}

/// `--describe --members`: GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS [ASSIGNMENT].
pub fn format_members(group: &DescribedGroup, verbose: bool) -> String {
    let with_instance = group.members.iter().any(|m| m.group_instance_id.is_some());
    let group_w = group.group_id.len().max(15);
    let consumer_w = group.members.iter().map(|m| m.member_id.len()).max().unwrap_or(0).max(15);
    let instance_w =
        group.members.iter().map(|m| m.group_instance_id.as_deref().map_or(1, str::len)).max().unwrap_or(0).max(17);
    let host_w = group.members.iter().map(|m| m.client_host.len()).max().unwrap_or(0).max(15);
    let client_w = group.members.iter().map(|m| m.client_id.len()).max().unwrap_or(0).max(15);
    let line = |g: &str, c: &str, i: &str, h: &str, cl: &str, n: &str, a: &str| {
        let mut s = format!("\n{g:<group_w$} {c:<consumer_w$} ");
        if with_instance {
            s.push_str(&format!("{i:<instance_w$} "));
        }
        s.push_str(&format!("{h:<host_w$} {cl:<client_w$} {n:<15} "));
        if verbose {
            s.push_str(a);
        }
        s
    };
    let mut out = line("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT");
    for m in &group.members {
        let assignment = if m.assignment.is_empty() { MISSING.to_owned() } else { format_assignment(&m.assignment) };
        out.push_str(&line(
            &group.group_id,
            &m.member_id,
            m.group_instance_id.as_deref().unwrap_or(MISSING),
            &m.client_host,
            &m.client_id,
            &m.assignment.len().to_string(),
            &assignment,
        ));
    }
    out.push('\n');
    out
}

/// Kafka's `topic(p1,p2), other(p)` assignment column.
fn format_assignment(assignment: &[(String, i32)]) -> String {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in assignment {
        by_topic.entry(topic).or_default().push(*partition);
    }
    by_topic
        .into_iter()
        .map(|(t, ps)| format!("{t}({})", ps.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--describe --state`: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.
pub fn format_state(group: &DescribedGroup, coordinator: &str) -> String {
    let group_w = group.group_id.len().max(15);
    let coordinator_w = coordinator.len().max(25);
    let line = |g: &str, c: &str, a: &str, s: &str, n: &str| {
        format!("\n{g:<group_w$} {c:<coordinator_w$} {a:<20} {s:<20} {n}")
    };
    let mut out = line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
    out.push_str(&line(&group.group_id, coordinator, &group.protocol, &group.state, &group.members.len().to_string()));
    out.push('\n');
    out
}

async fn describe(admin: &Admin, args: &Args) -> Outcome {
    for group_id in groups_of(admin, args).await? {
        let group = match admin.describe_group(&group_id).await {
            Ok(g) => g,
            // DescribeGroups v6 answers an unknown group with GROUP_ID_NOT_FOUND, older versions with Dead.
            Err(e) if e.code() == Some(ErrorCode::GroupIdNotFound) => {
                println!("\nError: Consumer group '{group_id}' does not exist.");
                continue;
            }
            Err(e) => {
                println!(
                    "\nError: Executing consumer group command failed due to {}",
                    Failure::from_client(&e).stack_line()
                );
                continue;
            }
        };
        if group.state == "Dead" {
            println!("\nError: Consumer group '{group_id}' does not exist.");
            continue;
        }
        if args.state.is_some() {
            let coordinator = admin
                .client()
                .metadata()
                .broker(group.coordinator)
                .map(|b| format!("{}:{} ({})", b.host, b.port, group.coordinator))
                .unwrap_or_else(|| format!("- ({})", group.coordinator));
            print!("{}", format_state(&group, &coordinator));
            continue;
        }
        warn_state(&group);
        if args.members {
            print!("{}", format_members(&group, args.verbose));
            continue;
        }
        let rows = offset_rows(admin, &group).await?;
        if !rows.is_empty() {
            print!("{}", format_offsets(&rows));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn warn_state(group: &DescribedGroup) {
    match group.state.as_str() {
        "Empty" => eprintln!("\nConsumer group '{}' has no active members.", group.group_id),
        "PreparingRebalance" | "CompletingRebalance" => {
            eprintln!("\nWarning: Consumer group '{}' is rebalancing.", group.group_id)
        }
        _ => {}
    }
}

/// Every partition the group has an offset for or a member owns, with its owner and log end offset.
async fn offset_rows(admin: &Admin, group: &DescribedGroup) -> Result<Vec<OffsetRow>, flotilla_client::ClientError> {
    let committed = admin.fetch_group_offsets(&group.group_id).await?;
    let mut owners: BTreeMap<(String, i32), &flotilla_client::DescribedMember> = BTreeMap::new();
    for m in &group.members {
        for tp in &m.assignment {
            owners.insert(tp.clone(), m);
        }
    }
    let partitions: BTreeSet<(String, i32)> = committed.keys().chain(owners.keys()).cloned().collect();
    let requests: Vec<(String, i32, OffsetSpec)> =
        partitions.iter().map(|(t, p)| (t.clone(), *p, OffsetSpec::Latest)).collect();
    let ends: BTreeMap<(String, i32), i64> = if requests.is_empty() {
        BTreeMap::new()
    } else {
        admin
            .list_offsets(&requests, IsolationLevel::ReadUncommitted)
            .await?
            .into_iter()
            .filter(|o| o.error == ErrorCode::None)
            .map(|o| ((o.topic, o.partition), o.offset))
            .collect()
    };
    let mut rows: Vec<OffsetRow> = partitions
        .into_iter()
        .map(|tp| {
            let owner = owners.get(&tp);
            OffsetRow {
                group: group.group_id.clone(),
                current: committed.get(&tp).copied(),
                log_end: ends.get(&tp).copied(),
                consumer_id: owner.map(|m| m.member_id.clone()),
                host: owner.map(|m| m.client_host.clone()),
                client_id: owner.map(|m| m.client_id.clone()),
                topic: tp.0,
                partition: tp.1,
            }
        })
        .collect();
    // Kafka lists assigned partitions first (by member), then the unassigned ones.
    rows.sort_by(|a, b| {
        (a.consumer_id.is_none(), &a.topic, a.partition).cmp(&(b.consumer_id.is_none(), &b.topic, b.partition))
    });
    Ok(rows)
}

async fn delete(admin: &Admin, args: &Args) -> Outcome {
    let groups = groups_of(admin, args).await?;
    let results = admin.delete_groups(&groups).await?;
    let (ok, failed): (Vec<_>, Vec<_>) = results.into_iter().partition(|(_, code)| *code == ErrorCode::None);
    let quoted =
        |list: &[(String, ErrorCode)]| list.iter().map(|(g, _)| format!("'{g}'")).collect::<Vec<_>>().join(", ");
    if failed.is_empty() {
        println!("Deletion of requested consumer groups ({}) was successful.", quoted(&ok));
        return Ok(ExitCode::SUCCESS);
    }
    println!("\nError: Deletion of some consumer groups failed:");
    for (group, code) in &failed {
        println!("* Group '{group}' could not be deleted due to: {}", Failure::kafka(*code, None).stack_line());
    }
    if !ok.is_empty() {
        println!("\nThese consumer groups were deleted successfully: {}", quoted(&ok));
    }
    Ok(ExitCode::FAILURE)
}

/// A topic and the partitions named for it (`None`: all of them).
pub type TopicSelection = (String, Option<Vec<i32>>);

/// `--topic` values: `t` (every partition) or `t:0,1`.
pub fn parse_topic_partitions(values: &[String]) -> Result<Vec<TopicSelection>, String> {
    values
        .iter()
        .map(|v| match v.split_once(':') {
            None => Ok((v.clone(), None)),
            Some((topic, list)) => {
                let partitions = list
                    .split(',')
                    .map(|p| p.trim().parse::<i32>().map_err(|_| format!("Invalid partition '{p}' in '{v}'")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((topic.to_owned(), Some(partitions)))
            }
        })
        .collect()
}

async fn resolve_partitions(
    admin: &Admin,
    topics: &[TopicSelection],
) -> Result<BTreeSet<(String, i32)>, flotilla_client::ClientError> {
    let mut out = BTreeSet::new();
    for (topic, partitions) in topics {
        match partitions {
            Some(ps) => out.extend(ps.iter().map(|p| (topic.clone(), *p))),
            None => {
                let described = admin.describe_topics(std::slice::from_ref(topic)).await?;
                for t in described {
                    out.extend(t.partitions.iter().map(|p| (topic.clone(), p.partition)));
                }
            }
        }
    }
    Ok(out)
}

async fn delete_offsets(admin: &Admin, args: &Args) -> Outcome {
    let group = args.group.first().cloned().unwrap_or_default();
    let topics = match parse_topic_partitions(&args.topic) {
        Ok(t) => t,
        Err(message) => {
            println!("\nError: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let partitions = resolve_partitions(admin, &topics).await?;
    let (top, results) = admin.delete_group_offsets(&group, &partitions).await?;
    let topic_names = topics.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ");
    match top {
        ErrorCode::None => println!("Request succeed for deleting offsets with topic {topic_names} group {group}"),
        ErrorCode::GroupIdNotFound => println!("\nError: '{group}' does not exist."),
        ErrorCode::InvalidGroupId => println!("\nError: '{group}' is not valid."),
        ErrorCode::NonEmptyGroup => println!("\nError: '{group}' is not empty."),
        other => println!("\nError: Encounter some unknown error: {}", other.name()),
    }
    if top == ErrorCode::None {
        print!("\n{:<30} {:<15} {:<15}", "TOPIC", "PARTITION", "STATUS");
        for ((topic, partition), code) in &results {
            let status = if *code == ErrorCode::None {
                "Successful".to_owned()
            } else {
                format!("Error: {}", Failure::kafka(*code, None).message)
            };
            println!("\n{topic:<30} {partition:<15} {status:<15}");
        }
    }
    let failed = top != ErrorCode::None || results.iter().any(|(_, c)| *c != ErrorCode::None);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The new offset of one partition, clamped to the log as Kafka clamps it.
pub fn new_offset(
    scenario: ResetScenario,
    current: Option<i64>,
    earliest: i64,
    latest: i64,
    at_time: Option<i64>,
) -> i64 {
    let clamp = |o: i64| o.clamp(earliest, latest.max(earliest));
    match scenario {
        ResetScenario::Earliest => earliest,
        ResetScenario::Latest => latest,
        ResetScenario::Current => current.unwrap_or(latest),
        ResetScenario::Offset(o) => clamp(o),
        ResetScenario::ShiftBy(n) => clamp(current.unwrap_or(latest).saturating_add(n)),
        // No record at or after the time: the end of the log.
        ResetScenario::Timestamp(_) => at_time.filter(|o| *o >= 0).unwrap_or(latest),
    }
}

/// `--reset-offsets`' table.
pub fn format_reset(group: &str, offsets: &BTreeMap<(String, i32), i64>) -> String {
    let mut out = String::new();
    if !offsets.is_empty() {
        out.push_str(&format!("\n{:<30} {:<30} {:<10} {:<15}\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"));
    }
    for ((topic, partition), offset) in offsets {
        out.push_str(&format!("{group:<30} {topic:<30} {partition:<10} {offset:<15}\n"));
    }
    out.push('\n');
    out
}

async fn reset_offsets(admin: &Admin, args: &Args, scenario: ResetScenario) -> Outcome {
    if !args.execute && !args.dry_run {
        println!(
            "WARN: No action will be performed as the --execute option is missing. In a future major release, the \
             default behavior of this command will be to prompt the user before executing the reset rather than doing \
             a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to \
             keep the current default behavior without prompting."
        );
    }
    let mut failed = false;
    for group_id in groups_of(admin, args).await? {
        let group = admin.describe_group(&group_id).await?;
        if !matches!(group.state.as_str(), "Empty" | "Dead") {
            println!(
                "\nError: Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.",
                group.state
            );
            failed = true;
            continue;
        }
        let committed = admin.fetch_group_offsets(&group_id).await?;
        let partitions: BTreeSet<(String, i32)> = if args.all_topics {
            committed.keys().cloned().collect()
        } else {
            match parse_topic_partitions(&args.topic) {
                Ok(topics) => resolve_partitions(admin, &topics).await?,
                Err(message) => {
                    println!("\nError: {message}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        };
        let lookup = |spec: OffsetSpec| -> Vec<(String, i32, OffsetSpec)> {
            partitions.iter().map(|(t, p)| (t.clone(), *p, spec)).collect()
        };
        let by_key = |listed: Vec<flotilla_client::ListedOffset>| -> BTreeMap<(String, i32), i64> {
            listed.into_iter().map(|o| ((o.topic, o.partition), o.offset)).collect()
        };
        let earliest =
            by_key(admin.list_offsets(&lookup(OffsetSpec::Earliest), IsolationLevel::ReadUncommitted).await?);
        let latest = by_key(admin.list_offsets(&lookup(OffsetSpec::Latest), IsolationLevel::ReadUncommitted).await?);
        let at_time = match scenario {
            ResetScenario::Timestamp(ms) => {
                by_key(admin.list_offsets(&lookup(OffsetSpec::Timestamp(ms)), IsolationLevel::ReadUncommitted).await?)
            }
            _ => BTreeMap::new(),
        };
        let offsets: BTreeMap<(String, i32), i64> = partitions
            .iter()
            .map(|tp| {
                let offset = new_offset(
                    scenario,
                    committed.get(tp).copied(),
                    earliest.get(tp).copied().unwrap_or(0),
                    latest.get(tp).copied().unwrap_or(0),
                    at_time.get(tp).copied(),
                );
                (tp.clone(), offset)
            })
            .collect();
        if args.execute {
            let results = admin.commit_group_offsets(&group_id, &offsets).await?;
            if let Some(((topic, partition), code)) = results.iter().find(|(_, c)| *c != ErrorCode::None) {
                println!(
                    "\nError: Executing consumer group command failed due to {} (for {topic}-{partition})",
                    Failure::kafka(*code, None).stack_line()
                );
                failed = true;
                continue;
            }
        }
        print!("{}", format_reset(&group_id, &offsets));
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Kafka's `--to-datetime`: `yyyy-MM-dd'T'HH:mm:ss.SSS`, optionally with `Z` or an offset (`+01:00`); without
/// one, the local time zone.
pub fn parse_datetime(text: &str) -> Result<i64, String> {
    use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
    let bad = || format!("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format: {text}");
    if !text.contains('T') {
        return Err(bad());
    }
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(text) {
        return Ok(with_zone.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.3f%z", "%Y-%m-%dT%H:%M:%S%.3f%:z"] {
        if let Ok(with_zone) = DateTime::parse_from_str(text, format) {
            return Ok(with_zone.timestamp_millis());
        }
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("Error parsing timestamp: {text} (expected yyyy-MM-dd'T'HH:mm:ss.SSS)"))?;
    Local.from_local_datetime(&naive).earliest().map(|t| t.timestamp_millis()).ok_or_else(bad)
}

/// Java's `Duration.parse` for `--by-duration`: `PnDTnHnMn.nS`, case-insensitive, each part optional.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("Text cannot be parsed to a Duration: {text}");
    let upper = text.to_ascii_uppercase();
    let body = upper.strip_prefix('P').ok_or_else(bad)?;
    let (days, time) = match body.split_once('T') {
        Some((d, t)) => (d, t),
        None => (body, ""),
    };
    let mut ms: f64 = 0.0;
    if !days.is_empty() {
        let n: f64 = days.strip_suffix('D').ok_or_else(bad)?.parse().map_err(|_| bad())?;
        ms += n * 86_400_000.0;
    }
    let mut rest = time;
    if body.contains('T') && rest.is_empty() {
        return Err(bad());
    }
    for (unit, factor) in [('H', 3_600_000.0), ('M', 60_000.0), ('S', 1_000.0)] {
        if let Some(at) = rest.find(unit) {
            let n: f64 = rest[..at].parse().map_err(|_| bad())?;
            ms += n * factor;
            rest = &rest[at + 1..];
        }
    }
    if !rest.is_empty() || (days.is_empty() && time.is_empty()) {
        return Err(bad());
    }
    // Whole milliseconds: Duration.toMillis truncates.
    Ok(ms.trunc() as i64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use flotilla_client::DescribedMember;

    use super::*;

    #[test]
    fn the_offsets_table_is_laid_out_as_kafkas() {
        let rows = vec![
            OffsetRow {
                group: "g".into(),
                topic: "orders".into(),
                partition: 0,
                current: Some(5),
                log_end: Some(10),
                consumer_id: Some("c-1".into()),
                host: Some("/127.0.0.1".into()),
                client_id: Some("c".into()),
            },
            OffsetRow {
                group: "g".into(),
                topic: "orders".into(),
                partition: 1,
                current: None,
                log_end: Some(3),
                consumer_id: None,
                host: None,
                client_id: None,
            },
        ];
        let text = format_offsets(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert_eq!(
            lines[1],
            "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"
        );
        assert_eq!(
            lines[2],
            "g               orders          0          5               10              5               c-1             /127.0.0.1      c"
        );
        assert_eq!(
            lines[3],
            "g               orders          1          -               3               -               -               -               -"
        );
    }

    #[test]
    fn members_and_state_tables() {
        let group = DescribedGroup {
            group_id: "g".into(),
            coordinator: flotilla_model::NodeId::new(1),
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol: "range".into(),
            members: vec![DescribedMember {
                member_id: "c-1".into(),
                group_instance_id: None,
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                assignment: vec![("t".into(), 0), ("t".into(), 1)],
            }],
        };
        let members = format_members(&group, true);
        assert!(members
            .contains("GROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT"));
        assert!(
            members.contains("g               c-1             /127.0.0.1      c               2               t(0,1)")
        );
        let state = format_state(&group, "localhost:9092 (1)");
        assert!(state
            .contains("GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS"));
        assert!(state.contains("g               localhost:9092 (1)        range                Stable               1"));
    }

    #[test]
    fn reset_offsets_are_clamped_to_the_log() {
        assert_eq!(new_offset(ResetScenario::Earliest, Some(5), 2, 9, None), 2);
        assert_eq!(new_offset(ResetScenario::Latest, Some(5), 2, 9, None), 9);
        assert_eq!(new_offset(ResetScenario::Offset(100), None, 2, 9, None), 9);
        assert_eq!(new_offset(ResetScenario::Offset(0), None, 2, 9, None), 2);
        assert_eq!(new_offset(ResetScenario::ShiftBy(-2), Some(5), 2, 9, None), 3);
        assert_eq!(new_offset(ResetScenario::ShiftBy(-10), Some(5), 2, 9, None), 2);
        assert_eq!(new_offset(ResetScenario::Timestamp(1), None, 2, 9, Some(4)), 4);
        assert_eq!(new_offset(ResetScenario::Timestamp(1), None, 2, 9, Some(-1)), 9);
        assert_eq!(new_offset(ResetScenario::Current, None, 2, 9, None), 9);
    }

    #[test]
    fn durations_and_datetimes_parse_as_java_does() {
        assert_eq!(parse_duration_ms("PT1H"), Ok(3_600_000));
        assert_eq!(parse_duration_ms("P1DT2H3M4.5S"), Ok(93_784_500));
        assert_eq!(parse_duration_ms("pt0.001s"), Ok(1));
        assert!(parse_duration_ms("1H").is_err());
        assert!(parse_duration_ms("PT").is_err());
        assert_eq!(parse_datetime("2024-01-01T00:00:00.000Z"), Ok(1_704_067_200_000));
        assert_eq!(parse_datetime("2024-01-01T01:00:00.000+01:00"), Ok(1_704_067_200_000));
        assert!(parse_datetime("2024-01-01").is_err());
    }

    #[test]
    fn topic_partition_options() {
        let parsed = parse_topic_partitions(&["a".into(), "b:0,2".into()]).unwrap();
        assert_eq!(parsed, vec![("a".to_owned(), None), ("b".to_owned(), Some(vec![0, 2]))]);
        assert!(parse_topic_partitions(&["b:x".into()]).is_err());
    }
}
