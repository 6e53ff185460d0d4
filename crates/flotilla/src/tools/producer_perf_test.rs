//! `flotilla producer-perf-test`: Kafka's `kafka-producer-perf-test`
//! (`org.apache.kafka.tools.ProducerPerformance`, Kafka 4.1).
//!
//! Sends `--num-records` records of `--record-size` random upper-case letters (or payloads from
//! `--payload-file`, or increasing numbers with `--payload-monotonic`) to `--topic`, throttled to about
//! `--throughput` records/s (-1: unthrottled) with Kafka's `ThroughputThrottler`, through the client's
//! pipelined producer. Options are parsed as argparse4j does, so unique prefixes work
//! (`--print-metric`). Output is Kafka's: a progress line every 5 s
//! (`N records sent, X records/sec (Y MB/sec), A ms avg latency, B ms max latency.`) and the summary
//! (`N records sent, X records/sec (Y MB/sec), A ms avg latency, B ms max latency, p50 ms 50th, p95 ms
//! 95th, p99 ms 99th, p999 ms 99.9th.`), with a second "steady state" summary after `--warmup-records`.
//! Latency is measured from `send` to the delivery report, as Kafka's callback does.
//! `--print-metrics` prints the few producer metrics this tool measures, in Kafka's table layout.
//! Transactions (`--transactional-id`, `--transaction-duration-ms`) are not supported yet.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flotilla_client::{DeliveryFuture, Producer, ProducerRecord};

use crate::cli::{self, UsageError};
use crate::client_props::{self, Props};
use crate::failure::Failure;
use crate::java_format::java_fixed;

/// Progress lines are printed this often.
const REPORTING_INTERVAL_MS: i64 = 5000;
/// At most this many latencies are kept for percentiles (Kafka samples down to 500,000).
const MAX_LATENCY_SAMPLES: u64 = 500_000;
/// The largest `--record-size` accepted.
const MAX_RECORD_SIZE: i32 = 64 * 1024 * 1024;
/// Delivery reports waiting for the latency collector.
const REPORT_QUEUE: usize = 65_536;

#[derive(Debug, clap::Args)]
#[command(
    args_override_self = true,
    infer_long_args = true,
    group = clap::ArgGroup::new("payload").required(true).args(["record_size", "payload_file", "payload_monotonic"])
)]
pub struct Args {
    /// produce messages to this topic
    #[arg(long, value_name = "TOPIC", required = true)]
    topic: String,
    /// number of messages to produce
    #[arg(long, value_name = "NUM-RECORDS", required = true, allow_negative_numbers = true)]
    num_records: i64,
    /// message size in bytes. Note that you must provide exactly one of --record-size or --payload-file or
    /// --payload-monotonic.
    #[arg(long, value_name = "RECORD-SIZE", allow_negative_numbers = true)]
    record_size: Option<i32>,
    /// file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will
    /// be read from this file and a payload will be randomly selected when sending messages.
    #[arg(long, value_name = "PAYLOAD-FILE")]
    payload_file: Option<PathBuf>,
    /// payload is monotonically increasing integer.
    #[arg(long)]
    payload_monotonic: bool,
    /// provides delimiter to be used when --payload-file is provided. Defaults to new line.
    #[arg(long, value_name = "PAYLOAD-DELIMITER", default_value = "\\n")]
    payload_delimiter: String,
    /// throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to
    /// disable throttling.
    #[arg(long, value_name = "THROUGHPUT", required = true, allow_negative_numbers = true)]
    throughput: f64,
    /// kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs
    /// take precedence over those passed via --producer.config.
    #[arg(long, value_name = "PROP-NAME=PROP-VALUE", num_args = 1..)]
    producer_props: Vec<String>,
    /// producer config properties file.
    #[arg(long = "producer.config", value_name = "CONFIG-FILE")]
    producer_config: Option<PathBuf>,
    /// The Kafka server(s) to connect to (sets bootstrap.servers).
    #[arg(long, value_name = "BOOTSTRAP-SERVERS")]
    bootstrap_server: Option<String>,
    /// print out metrics at the end of the test.
    #[arg(long)]
    print_metrics: bool,
    /// The transactional id to use (transactions are not supported by Flotilla's client yet).
    #[arg(long, value_name = "TRANSACTIONAL-ID")]
    transactional_id: Option<String>,
    /// The max age of each transaction (transactions are not supported by Flotilla's client yet).
    #[arg(long, value_name = "TRANSACTION-DURATION")]
    transaction_duration_ms: Option<i64>,
    /// The number of records to treat as warmup; these initial records will not be included in steady-state
    /// statistics. An additional summary line will be printed describing the steady-state statistics.
    #[arg(long, value_name = "WARMUP-RECORDS", default_value_t = 0)]
    warmup_records: i64,
}

/// Kafka's checks (`ConfigPostProcessor`), with its messages.
pub fn check_args(args: &Args) -> Result<(), UsageError> {
    if args.num_records <= 0 {
        return Err(UsageError::with_usage("--num-records should be greater than zero"));
    }
    if args.warmup_records.max(0) >= args.num_records {
        return Err(UsageError::with_usage(
            "The value for --warmup-records must be strictly fewer than the number of records in the test, \
             --num-records.",
        ));
    }
    if args.record_size.is_some_and(|s| s <= 0) {
        return Err(UsageError::with_usage("--record-size should be greater than zero"));
    }
    if args.record_size.is_some_and(|s| s > MAX_RECORD_SIZE) {
        return Err(UsageError::with_usage(format!("--record-size must be at most {MAX_RECORD_SIZE}")));
    }
    if args.producer_props.is_empty() && args.producer_config.is_none() && args.bootstrap_server.is_none() {
        return Err(UsageError::with_usage("Either --producer-props or --producer.config must be specified."));
    }
    if args.transaction_duration_ms.is_some_and(|d| d <= 0) {
        return Err(UsageError::with_usage("--transaction-duration-ms should be greater than zero"));
    }
    if args.throughput == 0.0 {
        return Err(UsageError::with_usage("--throughput 0 would send nothing; use -1 to disable throttling"));
    }
    Ok(())
}

/// `--producer-props` as `ProducerPerformance.readProps` reads them: exactly one `=` each.
pub fn parse_producer_props(props: &[String]) -> Result<Vec<(String, String)>, String> {
    props
        .iter()
        .map(|prop| {
            let pieces: Vec<&str> = prop.split('=').collect();
            match pieces.as_slice() {
                [k, v] if !v.is_empty() => Ok(((*k).to_owned(), (*v).to_owned())),
                _ => Err(format!("Invalid property: {prop}")),
            }
        })
        .collect()
}

fn rate(amount: f64, elapsed_ms: i64) -> f64 {
    1000.0 * amount / elapsed_ms as f64
}

/// Kafka's `ProducerPerformance.Stats`: counts, a sample of latencies, and the current 5 s window.
/// Times are passed in (ms since the epoch), so it is tested with plain values.
#[derive(Debug, Clone)]
pub struct Stats {
    start_ms: i64,
    latencies: Vec<i32>,
    max_samples: usize,
    sampling: u64,
    iteration: u64,
    count: u64,
    bytes: u64,
    max_latency: i32,
    total_latency: i64,
    window_count: u64,
    window_max_latency: i32,
    window_total_latency: i64,
    window_bytes: u64,
    window_start_ms: i64,
    steady_state: bool,
    suppress_printing: bool,
}

impl Stats {
    pub fn new(num_records: u64, now_ms: i64, steady_state: bool) -> Self {
        let num_records = num_records.max(1);
        let sampling = num_records / num_records.min(MAX_LATENCY_SAMPLES);
        let max_samples = usize::try_from(num_records / sampling + 1).unwrap_or(usize::MAX);
        Self {
            start_ms: now_ms,
            latencies: Vec::with_capacity(max_samples.min(MAX_LATENCY_SAMPLES as usize + 1)),
            max_samples,
            sampling,
            iteration: 0,
            count: 0,
            bytes: 0,
            max_latency: 0,
            total_latency: 0,
            window_count: 0,
            window_max_latency: 0,
            window_total_latency: 0,
            window_bytes: 0,
            window_start_ms: now_ms,
            steady_state,
            suppress_printing: false,
        }
    }

    /// Stops the progress lines (the whole-test stats during a steady-state phase).
    pub fn suppress_printing(&mut self) {
        self.suppress_printing = true;
    }

    /// Records one acknowledged record; returns the lines to print when a window closes.
    pub fn record(&mut self, latency_ms: i32, bytes: usize, now_ms: i64) -> Vec<String> {
        let bytes = bytes as u64;
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += i64::from(latency_ms);
        self.max_latency = self.max_latency.max(latency_ms);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency += i64::from(latency_ms);
        self.window_max_latency = self.window_max_latency.max(latency_ms);
        if self.iteration.is_multiple_of(self.sampling) && self.latencies.len() < self.max_samples {
            self.latencies.push(latency_ms);
        }
        let mut lines = Vec::new();
        if now_ms - self.window_start_ms >= REPORTING_INTERVAL_MS {
            if self.steady_state && self.count == self.window_count {
                lines.push("In steady state.".to_owned());
            }
            if !self.suppress_printing {
                lines.push(self.window_line(now_ms));
            }
            self.window_start_ms = now_ms;
            self.window_count = 0;
            self.window_max_latency = 0;
            self.window_total_latency = 0;
            self.window_bytes = 0;
        }
        self.iteration += 1;
        lines
    }

    /// `N records sent, X records/sec (Y MB/sec), A ms avg latency, B ms max latency.`
    pub fn window_line(&self, now_ms: i64) -> String {
        let elapsed = now_ms - self.window_start_ms;
        format!(
            "{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max latency.",
            self.window_count,
            java_fixed(rate(self.window_count as f64, elapsed), 1),
            java_fixed(rate(self.window_bytes as f64, elapsed) / (1024.0 * 1024.0), 2),
            java_fixed(self.window_total_latency as f64 / self.window_count as f64, 1),
            java_fixed(f64::from(self.window_max_latency), 1),
        )
    }

    /// The summary line (`printTotal`).
    pub fn total_line(&self, now_ms: i64) -> String {
        let elapsed = now_ms - self.start_ms;
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let percentile = |p: f64| -> i32 {
            let index = (p * sorted.len() as f64) as usize;
            sorted.get(index).copied().unwrap_or(0)
        };
        format!(
            "{}{} records sent, {} records/sec ({} MB/sec), {} ms avg latency, {} ms max latency, {} ms 50th, {} ms \
             95th, {} ms 99th, {} ms 99.9th.",
            self.count,
            if self.steady_state { " steady state" } else { "" },
            java_fixed(rate(self.count as f64, elapsed), 6),
            java_fixed(rate(self.bytes as f64, elapsed) / (1024.0 * 1024.0), 2),
            java_fixed(self.total_latency as f64 / self.count as f64, 2),
            java_fixed(f64::from(self.max_latency), 2),
            percentile(0.5),
            percentile(0.95),
            percentile(0.99),
            percentile(0.999),
        )
    }
}

/// Kafka's `ThroughputThrottler`: sleeps, on average, 1/throughput s per record once ahead of the target.
#[derive(Debug, Clone)]
pub struct Throttler {
    start_ms: i64,
    target: f64,
    sleep_time_ns: i64,
    sleep_deficit_ns: i64,
}

/// The throttler sleeps only once at least this much sleep has accumulated.
const MIN_SLEEP_NS: i64 = 2_000_000;

impl Throttler {
    pub fn new(target: f64, start_ms: i64) -> Self {
        let sleep_time_ns = if target > 0.0 { (1e9 / target) as i64 } else { i64::MAX };
        Self { start_ms, target, sleep_time_ns, sleep_deficit_ns: 0 }
    }

    /// Whether `amount_so_far` records by `send_start_ms` is faster than the target.
    pub fn should_throttle(&self, amount_so_far: u64, send_start_ms: i64) -> bool {
        if self.target < 0.0 {
            return false;
        }
        let elapsed_sec = (send_start_ms - self.start_ms) as f32 / 1000.0;
        elapsed_sec > 0.0 && (amount_so_far as f64 / f64::from(elapsed_sec)) > self.target
    }

    /// The sleep to take now, if enough has accumulated.
    pub fn throttle(&mut self) -> Option<Duration> {
        self.sleep_deficit_ns = self.sleep_deficit_ns.saturating_add(self.sleep_time_ns);
        if self.sleep_deficit_ns < MIN_SLEEP_NS {
            return None;
        }
        let sleep = Duration::from_nanos(u64::try_from(self.sleep_deficit_ns).unwrap_or(0));
        self.sleep_deficit_ns = 0;
        Some(sleep)
    }
}

/// Kafka's metrics table layout (`ToolsUtils.printMetrics`): a header, then `name : value` with three
/// decimals, names padded to the longest and sorted.
pub fn metrics_table(metrics: &[(String, f64)]) -> String {
    let width = metrics.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut sorted: Vec<&(String, f64)> = metrics.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = format!("\n{:<width$}   {}\n", "Metric Name", "Value");
    for (name, value) in sorted {
        out.push_str(&format!("{name:<width$} : {}\n", java_fixed(*value, 3)));
    }
    out
}

/// Payloads from a file split at `delimiter` (`\n` by default), as Kafka's `Scanner` reads them.
pub fn split_payloads(text: &str, delimiter: &str) -> Vec<Vec<u8>> {
    let delimiter = if delimiter == "\\n" { "\n" } else { delimiter };
    text.split(delimiter).filter(|p| !p.is_empty()).map(|p| p.as_bytes().to_vec()).collect()
}

/// A small deterministic generator for payload letters (Kafka seeds its own with 0 too).
#[derive(Debug, Clone)]
pub struct PayloadRng(u64);

impl PayloadRng {
    pub fn new() -> Self {
        Self(0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Fills `payload` with random upper-case letters (`random.nextInt(26) + 65`).
    pub fn fill(&mut self, payload: &mut [u8]) {
        for byte in payload {
            *byte = b'A' + (self.next() % 26) as u8;
        }
    }

    /// An index below `len`.
    pub fn index(&mut self, len: usize) -> usize {
        (self.next() % len.max(1) as u64) as usize
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

enum Payloads {
    Random(Vec<u8>),
    File(Vec<Vec<u8>>),
    Monotonic,
}

/// What the latency collector hands back.
struct Collected {
    stats: Stats,
    steady: Option<Stats>,
    errors: u64,
    max_record_bytes: usize,
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    check_args(&args)?;
    if args.transactional_id.is_some() || args.transaction_duration_ms.is_some() {
        eprintln!("Transactions are not supported by Flotilla's client yet: drop --transactional-id and --transaction-duration-ms.");
        return Ok(ExitCode::FAILURE);
    }
    let mut props = Props::new();
    if let Some(path) = &args.producer_config {
        match cli::load_properties(path) {
            Ok(pairs) => props.extend(pairs),
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    match parse_producer_props(&args.producer_props) {
        Ok(pairs) => props.extend(pairs),
        Err(e) => {
            eprintln!("java.lang.IllegalArgumentException: {e}");
            return Ok(ExitCode::FAILURE);
        }
    }
    if let Some(servers) = &args.bootstrap_server {
        props.set("bootstrap.servers", servers.as_str());
    }
    if props.contains("transactional.id") {
        eprintln!("Transactions are not supported by Flotilla's client yet: drop transactional.id.");
        return Ok(ExitCode::FAILURE);
    }
    let payloads = match payloads(&args) {
        Ok(payloads) => payloads,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let configs = client_props::client_config(&props, "perf-producer-client")
        .and_then(|client| client_props::producer_config(&props).map(|producer| (client, producer)));
    let (client_config, producer_config) = match configs {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("org.apache.kafka.common.config.ConfigException: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let client_id = client_config.client_id.clone();
    let producer = match Producer::connect(client_config, producer_config).await {
        Ok(producer) => producer,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).stack_line());
            return Ok(ExitCode::FAILURE);
        }
    };
    let code = send_all(&args, &producer, payloads, &client_id).await;
    producer.close().await;
    Ok(code)
}

fn payloads(args: &Args) -> Result<Payloads, String> {
    if let Some(size) = args.record_size {
        return Ok(Payloads::Random(vec![0; usize::try_from(size).unwrap_or(0)]));
    }
    if let Some(path) = &args.payload_file {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        println!("Reading payloads from: {}", absolute.display());
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.is_empty() {
            return Err("java.lang.IllegalArgumentException: File does not exist or empty file provided.".to_owned());
        }
        let list = split_payloads(&text, &args.payload_delimiter);
        println!("Number of messages read: {}", list.len());
        if list.is_empty() {
            return Err("java.lang.IllegalArgumentException: File does not exist or empty file provided.".to_owned());
        }
        return Ok(Payloads::File(list));
    }
    Ok(Payloads::Monotonic)
}

async fn send_all(args: &Args, producer: &Producer, mut payloads: Payloads, client_id: &str) -> ExitCode {
    let num_records = u64::try_from(args.num_records).unwrap_or(0);
    let warmup = u64::try_from(args.warmup_records).unwrap_or(0);
    if warmup > 0 {
        println!("Warmup first {warmup} records. Steady state results will print after the complete test summary.");
    }
    let (reports, mut queue) = tokio::sync::mpsc::channel::<(i64, usize, bool, DeliveryFuture)>(REPORT_QUEUE);
    let start_ms = now_ms();
    let collector = tokio::spawn(async move {
        let mut collected =
            Collected { stats: Stats::new(num_records, start_ms, false), steady: None, errors: 0, max_record_bytes: 0 };
        while let Some((sent_ms, bytes, steady_phase, delivery)) = queue.recv().await {
            if steady_phase && collected.steady.is_none() {
                collected.steady = Some(Stats::new(num_records - warmup, now_ms(), true));
                collected.stats.suppress_printing();
            }
            let result = delivery.wait().await;
            let now = now_ms();
            match result {
                Ok(_) => {
                    let latency = i32::try_from(now - sent_ms).unwrap_or(i32::MAX);
                    collected.max_record_bytes = collected.max_record_bytes.max(bytes);
                    let mut lines = collected.stats.record(latency, bytes, now);
                    if let Some(steady) = collected.steady.as_mut() {
                        lines.extend(steady.record(latency, bytes, now));
                    }
                    for line in lines {
                        println!("{line}");
                    }
                }
                Err(e) => {
                    collected.errors += 1;
                    eprintln!("{}", Failure::from_client(&e).stack_line());
                }
            }
        }
        collected
    });
    let mut throttler = Throttler::new(args.throughput, start_ms);
    let mut rng = PayloadRng::new();
    let mut monotonic = String::new();
    let mut code = ExitCode::SUCCESS;
    for i in 0..num_records {
        let payload: &[u8] = match &mut payloads {
            Payloads::Random(buffer) => {
                rng.fill(buffer);
                buffer
            }
            Payloads::File(list) => {
                let index = rng.index(list.len());
                list.get(index).map(Vec::as_slice).unwrap_or_default()
            }
            Payloads::Monotonic => {
                monotonic.clear();
                monotonic.push_str(&i.to_string());
                monotonic.as_bytes()
            }
        };
        let bytes = payload.len();
        let sent_ms = now_ms();
        let delivery = match producer.send(ProducerRecord::new(&args.topic, payload)).await {
            Ok(delivery) => delivery,
            Err(e) => {
                eprintln!("{}", Failure::from_client(&e).stack_line());
                code = ExitCode::FAILURE;
                break;
            }
        };
        if reports.send((sent_ms, bytes, warmup > 0 && i >= warmup, delivery)).await.is_err() {
            break;
        }
        if throttler.should_throttle(i, sent_ms) {
            if let Some(sleep) = throttler.throttle() {
                tokio::time::sleep(sleep).await;
            }
        }
    }
    drop(reports);
    producer.flush().await;
    let Ok(collected) = collector.await else {
        return ExitCode::FAILURE;
    };
    let end_ms = now_ms();
    println!("{}", collected.stats.total_line(end_ms));
    if let Some(steady) = &collected.steady {
        println!("{}", steady.total_line(end_ms));
    }
    if args.print_metrics {
        let stats = &collected.stats;
        let elapsed_sec = ((end_ms - start_ms) as f64 / 1000.0).max(f64::MIN_POSITIVE);
        let name = |metric: &str| format!("producer-metrics:{metric}:{{client-id={client_id}}}");
        let sent = stats.count as f64;
        print!(
            "{}",
            metrics_table(&[
                (name("record-send-total"), sent),
                (name("record-send-rate"), sent / elapsed_sec),
                (name("record-error-total"), collected.errors as f64),
                (name("record-size-avg"), if stats.count > 0 { stats.bytes as f64 / sent } else { 0.0 }),
                (name("record-size-max"), collected.max_record_bytes as f64),
                (name("byte-rate"), stats.bytes as f64 / elapsed_sec),
            ])
        );
    }
    code
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Wrapper::try_parse_from(std::iter::once("producer-perf-test").chain(argv.iter().copied())).map(|w| w.args)
    }

    #[test]
    fn the_seed_command_parses_with_an_abbreviated_flag() {
        let args = parse(&[
            "--num-records",
            "10",
            "--throughput",
            "1",
            "--record-size",
            "1024",
            "--print-metric",
            "--topic",
            "hello_kafka",
            "--producer-props",
            "bootstrap.servers=localhost:9092",
            "acks=1",
        ])
        .unwrap();
        assert!(args.print_metrics);
        assert_eq!(args.producer_props, ["bootstrap.servers=localhost:9092", "acks=1"]);
        assert!(check_args(&args).is_ok());
        let unthrottled = parse(&[
            "--topic",
            "t",
            "--num-records",
            "5",
            "--record-size",
            "1",
            "--throughput",
            "-1",
            "--producer-props",
            "bootstrap.servers=b:1",
        ])
        .unwrap();
        assert_eq!(unthrottled.throughput, -1.0);
        assert!(
            parse(&["--topic", "t", "--num-records", "5", "--throughput", "-1"]).is_err(),
            "a payload option is required"
        );
    }

    #[test]
    fn kafka_checks() {
        let args = parse(&[
            "--topic",
            "t",
            "--num-records",
            "0",
            "--record-size",
            "1",
            "--throughput",
            "-1",
            "--producer-props",
            "a=b",
        ])
        .unwrap();
        assert_eq!(check_args(&args).unwrap_err().message, "--num-records should be greater than zero");
        let args = parse(&["--topic", "t", "--num-records", "5", "--record-size", "1", "--throughput", "-1"]).unwrap();
        assert_eq!(
            check_args(&args).unwrap_err().message,
            "Either --producer-props or --producer.config must be specified."
        );
        assert_eq!(parse_producer_props(&["a=b=c".into()]).unwrap_err(), "Invalid property: a=b=c");
        assert_eq!(parse_producer_props(&["acks=all".into()]).unwrap(), [("acks".to_owned(), "all".to_owned())]);
    }

    #[test]
    fn window_and_total_lines_match_kafkas_format() {
        let mut stats = Stats::new(10, 0, false);
        for i in 0..9 {
            assert!(stats.record(10 + i, 1024, 100 * i64::from(i)).is_empty());
        }
        let lines = stats.record(50, 1024, 5000);
        assert_eq!(
            lines,
            ["10 records sent, 2.0 records/sec (0.00 MB/sec), 17.6 ms avg latency, 50.0 ms max latency."]
        );
        assert_eq!(
            stats.total_line(10_000),
            "10 records sent, 1.000000 records/sec (0.00 MB/sec), 17.60 ms avg latency, 50.00 ms max latency, 15 ms \
             50th, 50 ms 95th, 50 ms 99th, 50 ms 99.9th."
        );
        let steady = Stats::new(10, 0, true);
        assert!(steady.total_line(0).starts_with("0 steady state records sent, NaN records/sec (NaN MB/sec), NaN ms"));
    }

    #[test]
    fn latencies_are_sampled_for_large_runs() {
        let mut stats = Stats::new(1_000_000, 0, false);
        for i in 0..1_000_000 {
            stats.record(i % 100, 1, 0);
        }
        assert_eq!(stats.latencies.len(), 500_000);
    }

    #[test]
    fn throttling_follows_kafka() {
        let mut t = Throttler::new(1.0, 0);
        assert!(!t.should_throttle(0, 0));
        assert!(t.should_throttle(2, 1000));
        assert_eq!(t.throttle(), Some(Duration::from_secs(1)));
        let mut fast = Throttler::new(1_000_000.0, 0);
        assert_eq!(fast.throttle(), None);
        assert!(!Throttler::new(-1.0, 0).should_throttle(1_000_000, 1));
    }

    #[test]
    fn metrics_table_layout() {
        let table = metrics_table(&[("b:x:{}".into(), 2.0), ("a:y:{}".into(), 0.5)]);
        assert_eq!(table, "\nMetric Name   Value\na:y:{} : 0.500\nb:x:{} : 2.000\n");
    }

    #[test]
    fn payloads() {
        assert_eq!(split_payloads("a\nbb\n", "\\n"), [b"a".to_vec(), b"bb".to_vec()]);
        assert_eq!(split_payloads("a|b", "|"), [b"a".to_vec(), b"b".to_vec()]);
        let mut rng = PayloadRng::new();
        let mut buf = [0u8; 64];
        rng.fill(&mut buf);
        assert!(buf.iter().all(u8::is_ascii_uppercase));
    }
}
