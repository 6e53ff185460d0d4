//! `flotilla console-consumer`: Kafka's `kafka-console-consumer` (`org.apache.kafka.tools.consumer.
//! ConsoleConsumer` with its `DefaultMessageFormatter`).
//!
//! Reads `--topic` (every partition, or `--partition P`) or the topics matching `--include`, from the end
//! unless `--from-beginning` or `--offset earliest|latest|N` says otherwise, and writes each record to
//! standard output as the formatter properties say (`print.key`, `print.value`, `print.partition`,
//! `print.offset`, `print.timestamp`, `print.headers`, `key.separator`, `line.separator`,
//! `headers.separator`, `null.literal`). It stops after `--max-messages`, when `--timeout-ms` passes
//! without a record, or on Ctrl-C, and prints `Processed a total of N messages` on standard error.
//!
//! With `--group` (or `group.id` in the consumer properties) it joins that consumer group on the classic
//! protocol (range assignment), starts each assigned partition at the group's committed offset (else as
//! `auto.offset.reset` or `--from-beginning` says), commits what it printed every `auto.commit.interval.ms`
//! and when it stops, follows rebalances, and leaves the group on exit. Without a group it reads the
//! partitions directly and commits nothing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use flotilla_client::{AutoOffsetReset, Consumer, ConsumerRecord, GroupMember, MemberConfig, StartOffset};
use flotilla_protocol::records::TimestampType;

use crate::cli::{self, UsageError};
use crate::client_props::{self, Props};
use crate::failure::{log_line, Failure};
use crate::tools::console_producer::validate_bootstrap_server;
use crate::topic_filter::IncludeList;

const LOGGER: &str = "org.apache.kafka.tools.consumer.ConsoleConsumer";

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// The topic to consume on.
    #[arg(long, value_name = "String: topic")]
    topic: Option<String>,
    /// Regular expression specifying list of topics to include for consumption.
    #[arg(long, alias = "whitelist", value_name = "String: Java regex (String)")]
    include: Option<String>,
    /// The partition to consume from. Consumption starts from the end of the partition unless '--offset'
    /// is specified.
    #[arg(long, value_name = "Integer: partition")]
    partition: Option<i32>,
    /// The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or
    /// 'latest' which means from end (default: latest)
    #[arg(long, value_name = "String: consume offset", allow_hyphen_values = true)]
    offset: Option<String>,
    /// A mechanism to pass user-defined properties in the form key=value to the consumer.
    #[arg(long, value_name = "String: consumer_prop")]
    consumer_property: Vec<String>,
    /// Consumer config properties file. Note that [consumer-property] takes precedence over this config.
    #[arg(long = "consumer.config", value_name = "String: config file")]
    consumer_config: Option<PathBuf>,
    /// The name of a class to use for formatting kafka messages for display. (default:
    /// org.apache.kafka.tools.consumer.DefaultMessageFormatter)
    #[arg(long, value_name = "String: class")]
    formatter: Option<String>,
    /// The properties to initialize the message formatter. Default properties include:
    /// print.timestamp=true|false, print.key=true|false, print.offset=true|false,
    /// print.partition=true|false, print.headers=true|false, print.value=true|false,
    /// key.separator=<key.separator>, line.separator=<line.separator>,
    /// headers.separator=<line.separator>, null.literal=<null.literal>
    #[arg(long, value_name = "String: prop")]
    property: Vec<String>,
    /// Config properties file to initialize the message formatter. Note that [property] takes precedence
    /// over this config.
    #[arg(long, value_name = "String: config file")]
    formatter_config: Option<PathBuf>,
    /// If the consumer does not already have an established offset to consume from, start with the
    /// earliest message present in the log rather than the latest message.
    #[arg(long)]
    from_beginning: bool,
    /// The maximum number of messages to consume before exiting. If not set, consumption is continual.
    #[arg(long, value_name = "Integer: num_messages")]
    max_messages: Option<i32>,
    /// If specified, exit if no message is available for consumption for the specified interval.
    #[arg(long, value_name = "Long: timeout_ms")]
    timeout_ms: Option<i64>,
    /// If there is an error when processing a message, skip it instead of halt.
    #[arg(long)]
    skip_message_on_error: bool,
    /// REQUIRED: The server(s) to connect to.
    #[arg(long, value_name = "String: server to connect to")]
    bootstrap_server: Option<String>,
    /// The deserializer for keys (only String and ByteArray deserializers: bytes are printed as they are).
    #[arg(long, value_name = "String: deserializer for key")]
    key_deserializer: Option<String>,
    /// The deserializer for values (only String and ByteArray deserializers: bytes are printed as they
    /// are).
    #[arg(long, value_name = "String: deserializer for values")]
    value_deserializer: Option<String>,
    /// Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific
    /// for system tests.)
    #[arg(long)]
    enable_systest_events: bool,
    /// Set to read_committed in order to filter out transactional messages which are not committed. Set
    /// to read_uncommitted to read all messages. (default: read_uncommitted)
    #[arg(long, value_name = "String")]
    isolation_level: Option<String>,
    /// The consumer group id of the consumer.
    #[arg(long, value_name = "String: consumer group id")]
    group: Option<String>,
}

/// Kafka's checks on the topic, partition and offset options, and the start they give.
pub fn check_args(args: &Args, consumer_props: &Props) -> Result<StartOffset, UsageError> {
    if usize::from(args.topic.is_some()) + usize::from(args.include.is_some()) != 1 {
        return Err(UsageError::with_usage("Exactly one of --include/--topic is required. "));
    }
    if args.partition.is_some() {
        if args.topic.is_none() {
            return Err(UsageError::with_usage("The topic is required when partition is specified."));
        }
        if args.from_beginning && args.offset.is_some() {
            return Err(UsageError::with_usage("Options from-beginning and offset cannot be specified together."));
        }
    } else if args.offset.is_some() {
        return Err(UsageError::with_usage("The partition is required when offset is specified."));
    }
    if args.bootstrap_server.is_none() {
        return Err(UsageError::missing("bootstrap-server"));
    }
    let groups: Vec<&str> = args.group.as_deref().into_iter().chain(consumer_props.get("group.id")).collect();
    if groups.windows(2).any(|w| w[0] != w[1]) {
        let detected = groups.iter().map(|g| format!("'{g}'")).collect::<Vec<_>>().join(", ");
        return Err(UsageError::bare(format!(
            "The group ids provided in different places (directly using '--group', via '--consumer-property', or via \
             '--consumer.config') do not match. Detected group ids: {detected}"
        )));
    }
    if !groups.is_empty() && args.partition.is_some() {
        return Err(UsageError::bare(
            "flotilla console-consumer reads one partition without a consumer group: drop --group (and group.id) \
             to read --partition P, or drop --partition to read the topic as a member of the group."
                .to_owned(),
        ));
    }
    if let Some(reset) = consumer_props.get("auto.offset.reset") {
        if args.from_beginning && reset != "earliest" {
            return Err(UsageError::bare(format!(
                "Can't simultaneously specify --from-beginning and 'auto.offset.reset={reset}', please remove one option"
            )));
        }
    }
    match args.offset.as_deref() {
        Some(offset) => match offset.to_ascii_lowercase().as_str() {
            "earliest" => Ok(StartOffset::Earliest),
            "latest" => Ok(StartOffset::Latest),
            _ => offset.parse::<i64>().ok().filter(|o| *o >= 0).map(StartOffset::Offset).ok_or_else(|| {
                UsageError::with_usage(format!(
                    "The provided offset value '{offset}' is incorrect. Valid values are 'earliest', 'latest', or a \
                     non-negative long."
                ))
            }),
        },
        None if args.from_beginning => Ok(StartOffset::Earliest),
        None if args.partition.is_none() && consumer_props.get("auto.offset.reset") == Some("earliest") => {
            Ok(StartOffset::Earliest)
        }
        None => Ok(StartOffset::Latest),
    }
}

/// `DefaultMessageFormatter`'s settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatterConfig {
    pub print_timestamp: bool,
    pub print_key: bool,
    pub print_value: bool,
    pub print_partition: bool,
    pub print_offset: bool,
    pub print_headers: bool,
    pub key_separator: Vec<u8>,
    pub line_separator: Vec<u8>,
    pub headers_separator: Vec<u8>,
    pub null_literal: Vec<u8>,
}

impl Default for FormatterConfig {
    fn default() -> Self {
        Self {
            print_timestamp: false,
            print_key: false,
            print_value: true,
            print_partition: false,
            print_offset: false,
            print_headers: false,
            key_separator: b"\t".to_vec(),
            line_separator: b"\n".to_vec(),
            headers_separator: b",".to_vec(),
            null_literal: b"null".to_vec(),
        }
    }
}

impl FormatterConfig {
    /// From `--property` pairs (later ones win); unknown keys are ignored, as Kafka ignores them.
    pub fn from_props(props: &[(String, String)]) -> Self {
        let mut config = Self::default();
        for (key, value) in props {
            let flag = value.trim().eq_ignore_ascii_case("true");
            match key.as_str() {
                "print.timestamp" => config.print_timestamp = flag,
                "print.key" => config.print_key = flag,
                "print.value" => config.print_value = flag,
                "print.partition" => config.print_partition = flag,
                "print.offset" => config.print_offset = flag,
                "print.headers" => config.print_headers = flag,
                "key.separator" => config.key_separator = value.as_bytes().to_vec(),
                "line.separator" => config.line_separator = value.as_bytes().to_vec(),
                "headers.separator" => config.headers_separator = value.as_bytes().to_vec(),
                "null.literal" => config.null_literal = value.as_bytes().to_vec(),
                _ => {}
            }
        }
        config
    }
}

/// Appends one record as `DefaultMessageFormatter.writeTo` prints it: the chosen columns in Kafka's order
/// (timestamp, partition, offset, headers, key, value), `key.separator` between them and
/// `line.separator` after the last.
pub fn format_record(config: &FormatterConfig, record: &ConsumerRecord, out: &mut Vec<u8>) {
    let columns = [
        config.print_timestamp,
        config.print_partition,
        config.print_offset,
        config.print_headers,
        config.print_key,
        config.print_value,
    ];
    let separator = |out: &mut Vec<u8>, index: usize| {
        let more = columns.iter().skip(index + 1).any(|c| *c);
        out.extend_from_slice(if more { &config.key_separator } else { &config.line_separator });
    };
    let bytes = |value: Option<&[u8]>| -> Vec<u8> { value.unwrap_or(&config.null_literal).to_vec() };
    if config.print_timestamp {
        let kind = match record.timestamp_type {
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        };
        out.extend_from_slice(format!("{kind}:{}", record.timestamp).as_bytes());
        separator(out, 0);
    }
    if config.print_partition {
        out.extend_from_slice(format!("Partition:{}", record.partition).as_bytes());
        separator(out, 1);
    }
    if config.print_offset {
        out.extend_from_slice(format!("Offset:{}", record.offset).as_bytes());
        separator(out, 2);
    }
    if config.print_headers {
        if record.headers.is_empty() {
            out.extend_from_slice(b"NO_HEADERS");
        }
        for (i, header) in record.headers.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&config.headers_separator);
            }
            out.extend_from_slice(&header.key);
            out.push(b':');
            out.extend_from_slice(&bytes(header.value.as_deref()));
        }
        separator(out, 3);
    }
    if config.print_key {
        out.extend_from_slice(&bytes(record.key.as_deref()));
        separator(out, 4);
    }
    if config.print_value {
        out.extend_from_slice(&bytes(record.value.as_deref()));
        out.extend_from_slice(&config.line_separator);
    }
}

/// The line Kafka prints on standard error at exit.
pub fn processed_message(count: u64) -> String {
    format!("Processed a total of {count} messages")
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let mut consumer_props = Props::new();
    let mut formatter_props = Vec::new();
    for (path, into_formatter) in [(&args.consumer_config, false), (&args.formatter_config, true)] {
        if let Some(path) = path {
            match cli::load_properties(path) {
                Ok(pairs) if into_formatter => formatter_props.extend(pairs),
                Ok(pairs) => consumer_props.extend(pairs),
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    consumer_props.extend(cli::parse_key_value_args(&args.consumer_property));
    formatter_props.extend(cli::parse_key_value_args(&args.property));
    let start = check_args(&args, &consumer_props)?;
    if let Some(servers) = &args.bootstrap_server {
        validate_bootstrap_server(servers)?;
        consumer_props.set("bootstrap.servers", servers.as_str());
    }
    if let Some(formatter) = args.formatter.as_deref() {
        if !formatter.ends_with("DefaultMessageFormatter") {
            return Err(UsageError::with_usage(format!(
                "Only the DefaultMessageFormatter is supported as --formatter, not {formatter}"
            )));
        }
    }
    for deserializer in [args.key_deserializer.as_deref(), args.value_deserializer.as_deref()].into_iter().flatten() {
        if !(deserializer.ends_with("StringDeserializer") || deserializer.ends_with("ByteArrayDeserializer")) {
            return Err(UsageError::with_usage(format!(
                "Only StringDeserializer and ByteArrayDeserializer are supported, not {deserializer}"
            )));
        }
    }
    if let Some(level) = &args.isolation_level {
        consumer_props.set("isolation.level", level.as_str());
    }
    if !consumer_props.contains("auto.offset.reset") {
        consumer_props.set("auto.offset.reset", if args.from_beginning { "earliest" } else { "latest" });
    }
    let configs = client_props::client_config(&consumer_props, "console-consumer")
        .and_then(|client| client_props::consumer_config(&consumer_props).map(|consumer| (client, consumer)));
    let (client_config, mut consumer_config) = match configs {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("org.apache.kafka.common.config.ConfigException: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if consumer_config.auto_offset_reset == AutoOffsetReset::None {
        consumer_config.auto_offset_reset = AutoOffsetReset::Latest;
    }
    let formatter = FormatterConfig::from_props(&formatter_props);
    let mut consumer = match Consumer::connect(client_config, consumer_config).await {
        Ok(consumer) => consumer,
        Err(e) => return Ok(fatal(&Failure::from_client(&e), 0)),
    };
    let max_messages = args.max_messages.and_then(|m| u64::try_from(m).ok());
    let timeout = args.timeout_ms.and_then(|t| u64::try_from(t).ok()).map(Duration::from_millis);
    let group = args.group.clone().or_else(|| consumer_props.get("group.id").map(str::to_owned));
    let (count, code) = match group {
        Some(group_id) => {
            let topics = match subscription(&consumer, &args).await {
                Ok(topics) => topics,
                Err(e) => return Ok(fatal(&e, 0)),
            };
            let settings = match group_settings(&consumer_props, group_id) {
                Ok(settings) => settings,
                Err(e) => {
                    eprintln!("org.apache.kafka.common.config.ConfigException: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let mut member = GroupMember::new(consumer.client().clone(), settings.member, topics);
            let limits = Limits { max_messages, timeout };
            consume_in_group(&mut consumer, &mut member, &formatter, limits, settings.auto_commit_interval, start).await
        }
        None => {
            if let Err(e) = assign(&mut consumer, &args, start).await {
                return Ok(fatal(&e, 0));
            }
            consume(&mut consumer, &formatter, max_messages, timeout).await
        }
    };
    consumer.client().close();
    eprintln!("{}", processed_message(count));
    Ok(code)
}

/// Logs an error that ends the consumer (Kafka's `Unknown error when running consumer`), prints the
/// count, and returns exit code 1.
fn fatal(failure: &Failure, count: u64) -> ExitCode {
    eprintln!("{}\n{}", log_line("ERROR", "Unknown error when running consumer: ", LOGGER), failure.stack_line());
    eprintln!("{}", processed_message(count));
    ExitCode::FAILURE
}

async fn assign(consumer: &mut Consumer, args: &Args, start: StartOffset) -> Result<(), Failure> {
    let client_error = |e| Failure::from_client(&e);
    match (&args.topic, args.partition, &args.include) {
        (Some(topic), Some(partition), _) => {
            consumer.assign(&[(topic.clone(), partition, start)]).await.map_err(client_error)
        }
        (Some(topic), None, _) => consumer.assign_topic(topic, start).await.map_err(client_error),
        (None, _, Some(pattern)) => {
            let filter = IncludeList::new(pattern)
                .map_err(|message| Failure { exception: "java.lang.RuntimeException".into(), message })?;
            let admin = flotilla_client::Admin::new(consumer.client().clone());
            let topics = admin.list_topics(false).await.map_err(client_error)?;
            for topic in topics.iter().filter(|t| filter.allows(t, true)) {
                consumer.assign_topic(topic, start).await.map_err(client_error)?;
            }
            Ok(())
        }
        (None, _, None) => Ok(()),
    }
}

/// The topics a group member subscribes to: `--topic`, or those `--include` matches now.
async fn subscription(consumer: &Consumer, args: &Args) -> Result<Vec<String>, Failure> {
    if let Some(topic) = &args.topic {
        return Ok(vec![topic.clone()]);
    }
    let pattern = args.include.as_deref().unwrap_or(".*");
    let filter = IncludeList::new(pattern)
        .map_err(|message| Failure { exception: "java.lang.RuntimeException".into(), message })?;
    let admin = flotilla_client::Admin::new(consumer.client().clone());
    let topics = admin.list_topics(false).await.map_err(|e| Failure::from_client(&e))?;
    Ok(topics.into_iter().filter(|t| filter.allows(t, true)).collect())
}

/// A group member's settings from the consumer properties, with Kafka's defaults.
struct GroupSettings {
    member: MemberConfig,
    /// `None` when `enable.auto.commit=false`: nothing is committed, as Kafka's consumer would not
    /// commit either.
    auto_commit_interval: Option<Duration>,
}

fn group_settings(props: &Props, group_id: String) -> Result<GroupSettings, String> {
    let ms = |key: &str, default: u64| -> Result<Duration, String> {
        match props.get(key) {
            None => Ok(Duration::from_millis(default)),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| format!("Invalid value {v} for configuration {key}: Not a number of type INT")),
        }
    };
    let mut member = MemberConfig::new(group_id);
    member.group_instance_id = props.get("group.instance.id").map(str::to_owned);
    member.session_timeout = ms("session.timeout.ms", 45_000)?;
    member.rebalance_timeout = ms("max.poll.interval.ms", 300_000)?;
    member.heartbeat_interval = ms("heartbeat.interval.ms", 3_000)?;
    let auto_commit = match props.get("enable.auto.commit").map(str::trim) {
        None | Some("true") => true,
        Some("false") => false,
        Some(v) => {
            return Err(format!(
                "Invalid value {v} for configuration enable.auto.commit: Expected value to be either true or false"
            ))
        }
    };
    let interval = ms("auto.commit.interval.ms", 5_000)?;
    Ok(GroupSettings { member, auto_commit_interval: auto_commit.then_some(interval) })
}

/// When a group consumer stops.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_messages: Option<u64>,
    timeout: Option<Duration>,
}

/// The consume loop of a group member: join, start each partition at its committed offset, print, commit
/// what was printed, follow rebalances; on exit commit and leave. Returns the records printed and the
/// exit code.
async fn consume_in_group(
    consumer: &mut Consumer,
    member: &mut GroupMember,
    formatter: &FormatterConfig,
    limits: Limits,
    auto_commit_interval: Option<Duration>,
    reset: StartOffset,
) -> (u64, ExitCode) {
    let mut count = 0u64;
    let mut last_record = Instant::now();
    let mut last_commit = Instant::now();
    // The next offset to commit per partition: one past the last record printed.
    let mut printed: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut committed: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let stdout = std::io::stdout();
    let mut buffer = Vec::new();
    let code = loop {
        if member.rejoin_needed() {
            if auto_commit_interval.is_some() {
                let _ = commit_printed(member, &printed, &mut committed).await;
            }
            for (topic, partition) in consumer.assignment() {
                consumer.unassign(&topic, partition);
            }
            printed.clear();
            let assignment = tokio::select! {
                joined = member.join() => joined,
                _ = tokio::signal::ctrl_c() => break ExitCode::from(130),
            };
            let assignment = match assignment {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("{}", log_line("ERROR", "Could not join the consumer group: ", LOGGER));
                    eprintln!("{}", Failure::from_client(&e).stack_line());
                    break ExitCode::FAILURE;
                }
            };
            let starts = match member.committed(&assignment).await {
                Ok(starts) => starts,
                Err(e) => {
                    eprintln!("{}", Failure::from_client(&e).stack_line());
                    break ExitCode::FAILURE;
                }
            };
            let partitions: Vec<(String, i32, StartOffset)> = assignment
                .iter()
                .map(|(t, p)| {
                    let start = starts.get(&(t.clone(), *p)).map_or(reset, |o| StartOffset::Offset(*o));
                    (t.clone(), *p, start)
                })
                .collect();
            committed = starts;
            if let Err(e) = consumer.assign(&partitions).await {
                eprintln!("{}", Failure::from_client(&e).stack_line());
                break ExitCode::FAILURE;
            }
        }
        if limits.max_messages.is_some_and(|max| count >= max) {
            break ExitCode::SUCCESS;
        }
        if member.heartbeat_if_due().await.is_err() {
            // The coordinator moved or is restarting: the next heartbeat finds the new one.
        }
        if let Some(interval) = auto_commit_interval {
            if last_commit.elapsed() >= interval {
                last_commit = Instant::now();
                let _ = commit_printed(member, &printed, &mut committed).await;
            }
        }
        if member.rejoin_needed() {
            continue;
        }
        let polled = tokio::select! {
            polled = consumer.poll() => polled,
            _ = tokio::signal::ctrl_c() => break ExitCode::from(130),
        };
        let fetched = match polled {
            Ok(fetched) => fetched,
            Err(e) => {
                eprintln!(
                    "{}\n{}",
                    log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER),
                    Failure::from_client(&e).stack_line()
                );
                break ExitCode::SUCCESS;
            }
        };
        buffer.clear();
        for record in fetched.records() {
            if limits.max_messages.is_some_and(|max| count >= max) {
                break;
            }
            match record {
                Ok(record) => {
                    count += 1;
                    printed.insert((record.topic.to_string(), record.partition), record.offset + 1);
                    format_record(formatter, &record, &mut buffer);
                }
                Err(e) => {
                    eprintln!(
                        "{}\n{}",
                        log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER),
                        Failure::from_client(&e).stack_line()
                    );
                    break;
                }
            }
        }
        if !buffer.is_empty() {
            last_record = Instant::now();
            let mut out = stdout.lock();
            if out.write_all(&buffer).and_then(|()| out.flush()).is_err() {
                eprintln!("Unable to write to standard out, closing consumer.");
                break ExitCode::SUCCESS;
            }
        } else if limits.timeout.is_some_and(|t| last_record.elapsed() > t) {
            eprintln!(
                "{}\norg.apache.kafka.common.errors.TimeoutException",
                log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER)
            );
            break ExitCode::SUCCESS;
        }
    };
    if auto_commit_interval.is_some() && !member.rejoin_needed() {
        let _ = commit_printed(member, &printed, &mut committed).await;
    }
    let _ = member.leave().await;
    (count, code)
}

/// Commits the printed positions that moved since the last commit.
async fn commit_printed(
    member: &mut GroupMember,
    printed: &BTreeMap<(String, i32), i64>,
    committed: &mut BTreeMap<(String, i32), i64>,
) -> Result<(), flotilla_client::ClientError> {
    let changed: BTreeMap<(String, i32), i64> =
        printed.iter().filter(|(tp, o)| committed.get(*tp) != Some(*o)).map(|(tp, o)| (tp.clone(), *o)).collect();
    member.commit(&changed).await?;
    committed.extend(changed);
    Ok(())
}

/// The consume loop; returns the records printed and the exit code.
async fn consume(
    consumer: &mut Consumer,
    formatter: &FormatterConfig,
    max_messages: Option<u64>,
    timeout: Option<Duration>,
) -> (u64, ExitCode) {
    let mut count = 0u64;
    let mut last_record = Instant::now();
    let stdout = std::io::stdout();
    let mut buffer = Vec::new();
    loop {
        if max_messages.is_some_and(|max| count >= max) {
            return (count, ExitCode::SUCCESS);
        }
        let polled = tokio::select! {
            polled = consumer.poll() => polled,
            _ = tokio::signal::ctrl_c() => return (count, ExitCode::from(130)),
        };
        let fetched = match polled {
            Ok(fetched) => fetched,
            Err(e) => {
                let failure = Failure::from_client(&e);
                eprintln!(
                    "{}\n{}",
                    log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER),
                    failure.stack_line()
                );
                return (count, ExitCode::SUCCESS);
            }
        };
        buffer.clear();
        for record in fetched.records() {
            if max_messages.is_some_and(|max| count >= max) {
                break;
            }
            match record {
                Ok(record) => {
                    count += 1;
                    format_record(formatter, &record, &mut buffer);
                }
                Err(e) => {
                    let failure = Failure::from_client(&e);
                    eprintln!(
                        "{}\n{}",
                        log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER),
                        failure.stack_line()
                    );
                    return (count, ExitCode::SUCCESS);
                }
            }
        }
        if !buffer.is_empty() {
            last_record = Instant::now();
            let mut out = stdout.lock();
            if out.write_all(&buffer).and_then(|()| out.flush()).is_err() {
                eprintln!("Unable to write to standard out, closing consumer.");
                return (count, ExitCode::SUCCESS);
            }
        } else if timeout.is_some_and(|t| last_record.elapsed() > t) {
            eprintln!(
                "{}\norg.apache.kafka.common.errors.TimeoutException",
                log_line("ERROR", "Error processing message, terminating consumer process: ", LOGGER)
            );
            return (count, ExitCode::SUCCESS);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use clap::Parser;
    use flotilla_protocol::records::RecordHeader;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn args(argv: &[&str]) -> Args {
        Wrapper::try_parse_from(std::iter::once("console-consumer").chain(argv.iter().copied())).unwrap().args
    }

    fn check(argv: &[&str]) -> Result<StartOffset, String> {
        check_args(&args(argv), &Props::new()).map_err(|e| e.message)
    }

    fn record(key: Option<&str>, value: Option<&str>) -> ConsumerRecord {
        ConsumerRecord {
            topic: Arc::from("t"),
            partition: 2,
            offset: 41,
            timestamp: 1_700_000_000_000,
            timestamp_type: TimestampType::CreateTime,
            key: key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
            value: value.map(|v| Bytes::copy_from_slice(v.as_bytes())),
            headers: vec![],
        }
    }

    fn formatted(props: &[(&str, &str)], record: &ConsumerRecord) -> String {
        let props: Vec<(String, String)> = props.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let mut out = Vec::new();
        format_record(&FormatterConfig::from_props(&props), record, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_alone_by_default() {
        assert_eq!(formatted(&[], &record(Some("k"), Some("Hello Kafka."))), "Hello Kafka.\n");
        assert_eq!(formatted(&[], &record(None, None)), "null\n");
    }

    #[test]
    fn columns_as_the_seed_documents_show_them() {
        let r = record(Some("name"), Some("paul"));
        assert_eq!(formatted(&[("print.key", "true"), ("key.separator", "-")], &r), "name-paul\n");
        assert_eq!(formatted(&[("print.key", "true"), ("print.value", "true")], &r), "name\tpaul\n");
        assert_eq!(formatted(&[("print.partition", "true")], &r), "Partition:2\tpaul\n");
        assert_eq!(
            formatted(&[("print.timestamp", "true"), ("print.offset", "true"), ("print.key", "true")], &r),
            "CreateTime:1700000000000\tOffset:41\tname\tpaul\n"
        );
        // Without the value, the last column ends the line.
        assert_eq!(formatted(&[("print.key", "true"), ("print.value", "false")], &r), "name\n");
        assert_eq!(formatted(&[("print.key", "true"), ("null.literal", "-")], &record(None, Some("v"))), "-\tv\n");
    }

    #[test]
    fn headers_column() {
        let mut r = record(None, Some("v"));
        assert_eq!(formatted(&[("print.headers", "true")], &r), "NO_HEADERS\tv\n");
        r.headers = vec![
            RecordHeader { key: Bytes::from_static(b"h1"), value: Some(Bytes::from_static(b"v1")) },
            RecordHeader { key: Bytes::from_static(b"h2"), value: None },
        ];
        assert_eq!(formatted(&[("print.headers", "true")], &r), "h1:v1,h2:null\tv\n");
    }

    #[test]
    fn kafka_option_rules() {
        let b = ["--bootstrap-server", "b:9092"];
        let with = |rest: &[&str]| check(&[&b[..], rest].concat());
        assert_eq!(with(&[]).unwrap_err(), "Exactly one of --include/--topic is required. ");
        assert_eq!(with(&["--topic", "t"]), Ok(StartOffset::Latest));
        assert_eq!(with(&["--topic", "t", "--from-beginning"]), Ok(StartOffset::Earliest));
        assert_eq!(with(&["--topic", "t", "--partition", "0", "--offset", "4"]), Ok(StartOffset::Offset(4)));
        assert_eq!(with(&["--topic", "t", "--partition", "0", "--offset", "earliest"]), Ok(StartOffset::Earliest));
        assert_eq!(
            with(&["--topic", "t", "--offset", "4"]).unwrap_err(),
            "The partition is required when offset is specified."
        );
        assert!(with(&["--topic", "t", "--partition", "0", "--offset", "-2"])
            .unwrap_err()
            .contains("non-negative long"));
        assert!(with(&["--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"]).is_err());
        assert_eq!(check(&["--topic", "t"]).unwrap_err(), "Missing required argument \"[bootstrap-server]\"");
    }

    #[test]
    fn group_options_are_checked() {
        assert!(check(&["--bootstrap-server", "b:9092", "--topic", "t", "--group", "hello-group"]).is_ok());
        let e =
            check(&["--bootstrap-server", "b:9092", "--topic", "t", "--group", "g", "--partition", "0"]).unwrap_err();
        assert!(e.contains("drop --group"), "{e}");
        let mut props = Props::new();
        props.set("group.id", "other");
        let e =
            check_args(&args(&["--bootstrap-server", "b:9092", "--topic", "t", "--group", "g"]), &props).unwrap_err();
        assert!(e.message.contains("do not match") && e.message.contains("'g', 'other'"), "{}", e.message);
    }

    #[test]
    fn exit_line() {
        assert_eq!(processed_message(3), "Processed a total of 3 messages");
    }
}
