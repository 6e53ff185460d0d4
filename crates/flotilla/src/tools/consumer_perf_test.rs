//! `flotilla consumer-perf-test`: Kafka's `kafka-consumer-perf-test`
//! (`org.apache.kafka.tools.ConsumerPerformance`).
//!
//! Reads `--messages` records from every partition of `--topic`, from the beginning (or the end with
//! `--from-latest`), and prints Kafka's header and result line:
//! `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
//! rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec`, or with `--show-detailed-stats`
//! one line per `--reporting-interval` (`time, threadId, ...`) instead. Times use `--date-format`
//! (Kafka's `yyyy-MM-dd HH:mm:ss:SSS` by default) in local time. It gives up after `--timeout` ms
//! without a record, with Kafka's warning. Bytes are key plus value bytes, as Kafka counts them.
//!
//! Consumer groups are not implemented yet: the partitions are assigned directly, and
//! `rebalance.time.ms` is the time that assignment took (metadata and start offsets). `--group` is
//! refused with a message saying so.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Local, TimeZone};
use flotilla_client::{Consumer, StartOffset};

use crate::cli::{self, UsageError};
use crate::client_props::{self, Props};
use crate::failure::Failure;
use crate::java_format::{java_fixed, simple_date_format};
use crate::tools::producer_perf_test::metrics_table;

const BYTES_PER_MB: f64 = 1024.0 * 1024.0;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: The server(s) to connect to.
    #[arg(long, alias = "broker-list", value_name = "String: server to connect to")]
    bootstrap_server: Option<String>,
    /// REQUIRED: The topic to consume from.
    #[arg(long, value_name = "String: topic")]
    topic: Option<String>,
    /// The group id to consume on (consumer groups are not supported by Flotilla's client yet).
    #[arg(long, value_name = "String: gid")]
    group: Option<String>,
    /// The amount of data to fetch in a single request. (default: 1048576)
    #[arg(long, value_name = "Integer: size")]
    fetch_size: Option<i32>,
    /// If the consumer does not already have an established offset to consume from, start with the latest
    /// message present in the log rather than the earliest message.
    #[arg(long)]
    from_latest: bool,
    /// The size of the tcp RECV size. (default: 2097152)
    #[arg(long, value_name = "Integer: size")]
    socket_buffer_size: Option<i32>,
    /// Consumer config properties file.
    #[arg(long = "consumer.config", value_name = "String: config file")]
    consumer_config: Option<PathBuf>,
    /// Print out the metrics.
    #[arg(long)]
    print_metrics: bool,
    /// If set, stats are reported for each reporting interval as configured by reporting-interval
    #[arg(long)]
    show_detailed_stats: bool,
    /// The maximum allowed time in milliseconds between returned records. (default: 10000)
    #[arg(long, value_name = "Long: milliseconds", num_args = 0..=1, default_missing_value = "10000")]
    timeout: Option<i64>,
    /// REQUIRED: The number of messages to send or consume
    #[arg(long, value_name = "Long: count")]
    messages: Option<i64>,
    /// Interval in milliseconds at which to print progress info. (default: 5000)
    #[arg(long, value_name = "Long: interval_ms")]
    reporting_interval: Option<i64>,
    /// The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.
    /// (default: yyyy-MM-dd HH:mm:ss:SSS)
    #[arg(long, value_name = "String: date format")]
    date_format: Option<String>,
    /// If set, skips printing the header for the stats
    #[arg(long)]
    hide_header: bool,
}

/// The header line (`printHeader`).
pub fn header(detailed: bool) -> String {
    let tail = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";
    if detailed {
        format!("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec{tail}")
    } else {
        format!("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec{tail}")
    }
}

/// The result line: `%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f`.
pub fn summary_line(start: &str, end: &str, bytes: u64, messages: u64, elapsed_ms: i64, join_ms: i64) -> String {
    let elapsed_sec = elapsed_ms as f64 / 1000.0;
    let fetch_ms = elapsed_ms - join_ms;
    let mb = bytes as f64 / BYTES_PER_MB;
    format!(
        "{start}, {end}, {}, {}, {messages}, {}, {join_ms}, {fetch_ms}, {}, {}",
        java_fixed(mb, 4),
        java_fixed(mb / elapsed_sec, 4),
        java_fixed(messages as f64 / elapsed_sec, 4),
        java_fixed(mb / (fetch_ms as f64 / 1000.0), 4),
        java_fixed(messages as f64 / (fetch_ms as f64 / 1000.0), 4),
    )
}

/// One `--show-detailed-stats` line (`printConsumerProgress`), for the interval `start_ms..end_ms`.
#[allow(clippy::too_many_arguments)]
pub fn progress_line(
    time: &str,
    bytes: u64,
    last_bytes: u64,
    messages: u64,
    last_messages: u64,
    start_ms: i64,
    end_ms: i64,
    join_ms: i64,
) -> String {
    let elapsed_ms = (end_ms - start_ms) as f64;
    let total_mb = bytes as f64 / BYTES_PER_MB;
    let interval_mb = bytes.saturating_sub(last_bytes) as f64 / BYTES_PER_MB;
    let interval_messages = messages.saturating_sub(last_messages) as f64;
    let fetch_ms = end_ms - start_ms - join_ms;
    let (fetch_mb_sec, fetch_msg_sec) = if fetch_ms <= 0 {
        (0.0, 0.0)
    } else {
        (1000.0 * interval_mb / fetch_ms as f64, 1000.0 * interval_messages / fetch_ms as f64)
    };
    format!(
        "{time}, 0, {}, {}, {messages}, {}, {join_ms}, {fetch_ms}, {}, {}",
        java_fixed(total_mb, 4),
        java_fixed(1000.0 * interval_mb / elapsed_ms, 4),
        java_fixed(interval_messages / elapsed_ms * 1000.0, 4),
        java_fixed(fetch_mb_sec, 4),
        java_fixed(fetch_msg_sec, 4),
    )
}

/// The warning Kafka prints when records stop arriving before `--messages`.
pub fn timeout_warning(timeout_ms: i64) -> String {
    format!(
        "WARNING: Exiting before consuming the expected number of messages: timeout ({timeout_ms} ms) exceeded. You \
         can use the --timeout option to increase the timeout."
    )
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn local_time(pattern: &str, ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(time) => simple_date_format(pattern, &time),
        None => ms.to_string(),
    }
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Some(topic) = args.topic.clone() else {
        return Err(UsageError::missing("topic"));
    };
    let Some(num_messages) = args.messages else {
        return Err(UsageError::missing("messages"));
    };
    let Some(bootstrap) = args.bootstrap_server.clone() else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    let reporting_interval = args.reporting_interval.unwrap_or(5000);
    if reporting_interval <= 0 {
        return Err(UsageError::bare("Reporting interval must be greater than 0."));
    }
    let mut props = Props::new();
    if let Some(path) = &args.consumer_config {
        match cli::load_properties(path) {
            Ok(pairs) => props.extend(pairs),
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    if let Some(group) = args.group.as_deref().or(props.get("group.id")) {
        return Err(UsageError::bare(format!(
            "Consumer groups are not supported by flotilla consumer-perf-test yet (group '{group}'): drop --group \
             to read the topic's partitions without a group."
        )));
    }
    props.set("bootstrap.servers", bootstrap);
    props.set("max.partition.fetch.bytes", args.fetch_size.unwrap_or(1024 * 1024).to_string());
    props.set("auto.offset.reset", if args.from_latest { "latest" } else { "earliest" });
    props.set("check.crcs", "false");
    let configs = client_props::client_config(&props, "perf-consumer-client")
        .and_then(|client| client_props::consumer_config(&props).map(|consumer| (client, consumer)));
    let (client_config, consumer_config) = match configs {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("org.apache.kafka.common.config.ConfigException: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let client_id = client_config.client_id.clone();
    let date_format = args.date_format.clone().unwrap_or_else(|| "yyyy-MM-dd HH:mm:ss:SSS".to_owned());
    let timeout_ms = args.timeout.unwrap_or(10_000);
    let num_messages = u64::try_from(num_messages).unwrap_or(0);
    if !args.hide_header {
        println!("{}", header(args.show_detailed_stats));
    }
    let start_ms = now_ms();
    let mut consumer = match Consumer::connect(client_config, consumer_config).await {
        Ok(consumer) => consumer,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).message);
            return Ok(ExitCode::FAILURE);
        }
    };
    let start = if args.from_latest { StartOffset::Latest } else { StartOffset::Earliest };
    if let Err(e) = consumer.assign_topic(&topic, start).await {
        eprintln!("{}", Failure::from_client(&e).message);
        return Ok(ExitCode::FAILURE);
    }
    let join_ms = now_ms() - start_ms;
    let mut join_in_round = join_ms;
    let (mut messages, mut bytes, mut last_messages, mut last_bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut current = now_ms();
    let mut last_report = start_ms;
    let mut last_consumed = current;
    while messages < num_messages && current - last_consumed <= timeout_ms {
        let fetched = match consumer.poll().await {
            Ok(fetched) => fetched,
            Err(e) => {
                eprintln!("{}", Failure::from_client(&e).message);
                return Ok(ExitCode::FAILURE);
            }
        };
        current = now_ms();
        if !fetched.is_empty() {
            last_consumed = current;
        }
        for record in fetched.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    eprintln!("{}", Failure::from_client(&e).message);
                    return Ok(ExitCode::FAILURE);
                }
            };
            messages += 1;
            bytes +=
                record.key.as_ref().map_or(0, |k| k.len() as u64) + record.value.as_ref().map_or(0, |v| v.len() as u64);
            if current - last_report >= reporting_interval {
                if args.show_detailed_stats {
                    println!(
                        "{}",
                        progress_line(
                            &local_time(&date_format, current),
                            bytes,
                            last_bytes,
                            messages,
                            last_messages,
                            last_report,
                            current,
                            join_in_round
                        )
                    );
                }
                join_in_round = 0;
                last_report = current;
                last_messages = messages;
                last_bytes = bytes;
            }
        }
    }
    if messages < num_messages {
        println!("{}", timeout_warning(timeout_ms));
    }
    let end_ms = now_ms();
    consumer.client().close();
    if !args.show_detailed_stats {
        println!(
            "{}",
            summary_line(
                &local_time(&date_format, start_ms),
                &local_time(&date_format, end_ms),
                bytes,
                messages,
                end_ms - start_ms,
                join_ms
            )
        );
    }
    if args.print_metrics {
        let elapsed_sec = ((end_ms - start_ms) as f64 / 1000.0).max(f64::MIN_POSITIVE);
        let name = |metric: &str| format!("consumer-fetch-manager-metrics:{metric}:{{client-id={client_id}}}");
        print!(
            "{}",
            metrics_table(&[
                (name("records-consumed-total"), messages as f64),
                (name("records-consumed-rate"), messages as f64 / elapsed_sec),
                (name("bytes-consumed-total"), bytes as f64),
                (name("bytes-consumed-rate"), bytes as f64 / elapsed_sec),
            ])
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            header(false),
            "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, \
             fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
        );
        assert!(header(true).starts_with("time, threadId, data.consumed.in.MB, MB.sec,"));
    }

    #[test]
    fn summary_matches_kafkas_printf() {
        let line =
            summary_line("2024-03-05 07:08:09:042", "2024-03-05 07:08:11:042", 10 * 1024 * 1024, 10_240, 2000, 1000);
        assert_eq!(
            line,
            "2024-03-05 07:08:09:042, 2024-03-05 07:08:11:042, 10.0000, 5.0000, 10240, 5120.0000, 1000, 1000, 10.0000, \
             10240.0000"
        );
        // No fetch time at all reads as Java prints a division by zero.
        assert!(summary_line("a", "b", 0, 0, 0, 0).ends_with("NaN, NaN"));
    }

    #[test]
    fn detailed_lines() {
        let line = progress_line("t", 2 * 1024 * 1024, 1024 * 1024, 200, 100, 0, 1000, 500);
        assert_eq!(line, "t, 0, 2.0000, 1.0000, 200, 100.0000, 500, 500, 2.0000, 200.0000");
        let line = progress_line("t", 0, 0, 0, 0, 0, 1000, 1000);
        assert!(line.ends_with(", 1000, 0, 0.0000, 0.0000"), "{line}");
    }

    #[test]
    fn warning_text() {
        assert!(timeout_warning(10000).starts_with(
            "WARNING: Exiting before consuming the expected number of messages: timeout (10000 ms) exceeded."
        ));
    }
}
