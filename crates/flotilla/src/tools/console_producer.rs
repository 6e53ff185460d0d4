//! `flotilla console-producer`: Kafka's `kafka-console-producer` (`org.apache.kafka.tools.ConsoleProducer`
//! with its `LineMessageReader`).
//!
//! Standard input, one record a line. `--property parse.key=true --property key.separator=:` splits a key
//! off each line; `parse.headers`, `headers.delimiter`, `headers.separator`, `headers.key.separator`,
//! `null.marker` and `ignore.error` work as in Kafka. Producer settings come from `--producer.config`,
//! then `--producer-property k=v`, then the tool's own options (`--request-required-acks`,
//! `--compression-codec`, `--timeout` for `linger.ms`...), with Kafka's defaults (acks=-1, linger.ms=1000,
//! request.timeout.ms=1500, retries=3). A `>` prompt is shown when standard input and output are a
//! terminal. At end of input everything is flushed and the tool exits 0; a send that fails is logged as
//! Kafka's `ErrorLoggingCallback` does (with `--sync` it ends the tool with exit 1), and a line the reader
//! cannot parse ends it with Kafka's `KafkaException` message.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use flotilla_client::{DeliveryFuture, Producer, ProducerRecord};
use flotilla_protocol::records::RecordHeader;
use regex::Regex;

use crate::cli::{self, UsageError};
use crate::client_props::{self, Props};
use crate::failure::{log_line, Failure};

/// Lines read ahead of the producer.
const LINE_QUEUE: usize = 1024;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: The topic name to produce messages to.
    #[arg(long, value_name = "String: topic")]
    topic: Option<String>,
    /// REQUIRED: The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(long, value_name = "String: server to connect to")]
    bootstrap_server: Option<String>,
    /// DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The broker
    /// list string in the form HOST1:PORT1,HOST2:PORT2.
    #[arg(long, value_name = "String: broker-list")]
    broker_list: Option<String>,
    /// If set message send requests to the brokers are synchronously, one at a time as they arrive.
    #[arg(long)]
    sync: bool,
    /// The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without
    /// value, then it defaults to 'gzip'
    #[arg(long, num_args = 0..=1, default_missing_value = "gzip", value_name = "String: compression-codec")]
    compression_codec: Option<String>,
    /// Number of messages to send in a single batch if they are not being sent synchronously. (default:
    /// 16384)
    #[arg(long, value_name = "Integer: size")]
    batch_size: Option<i32>,
    /// The number of retries before the producer gives up and drops this message (`retries`). (default:
    /// 3)
    #[arg(long, value_name = "Integer")]
    message_send_max_retries: Option<i32>,
    /// The amount of time that the producer waits before refreshing the metadata (`retry.backoff.ms`).
    /// (default: 100)
    #[arg(long, value_name = "Long")]
    retry_backoff_ms: Option<i64>,
    /// The maximum amount of time a message will queue awaiting sufficient batch size, in ms
    /// (`linger.ms`). (default: 1000)
    #[arg(long, value_name = "Long: timeout_ms")]
    timeout: Option<i64>,
    /// The required `acks` of the producer requests (default: -1)
    #[arg(long, value_name = "String: request required acks", allow_negative_numbers = true)]
    request_required_acks: Option<String>,
    /// The ack timeout of the producer requests. Value must be non-negative and non-zero. (default: 1500)
    #[arg(long, value_name = "Integer: request timeout ms")]
    request_timeout_ms: Option<i32>,
    /// The period of time in milliseconds after which we force a refresh of metadata
    /// (`metadata.max.age.ms`). (default: 300000)
    #[arg(long, value_name = "Long: metadata expiration interval")]
    metadata_expiry_ms: Option<i64>,
    /// The max time that the producer will block for during a send request. (default: 60000)
    #[arg(long, value_name = "Long: max block on send")]
    max_block_ms: Option<i64>,
    /// The total memory used by the producer to buffer records waiting to be sent to the server
    /// (`buffer.memory`). (default: 33554432)
    #[arg(long, value_name = "Long: total memory in bytes")]
    max_memory_bytes: Option<i64>,
    /// The buffer size allocated for a partition (`batch.size`). (default: 16384)
    #[arg(long, value_name = "Integer: memory in bytes per partition")]
    max_partition_memory_bytes: Option<i32>,
    /// The class name of the class to use for reading lines from standard in. By default each line is
    /// read as a separate message. (default: org.apache.kafka.tools.LineMessageReader)
    #[arg(long, value_name = "String: reader_class")]
    line_reader: Option<String>,
    /// The size of the tcp RECV size (`send.buffer.bytes`). (default: 102400)
    #[arg(long, value_name = "Integer: size")]
    socket_buffer_size: Option<i32>,
    /// A mechanism to pass user-defined properties in the form key=value to the message reader. Default
    /// properties include: parse.key=false, parse.headers=false, ignore.error=false, key.separator=\t,
    /// headers.delimiter=\t, headers.separator=',', headers.key.separator=:, null.marker (when set, any
    /// fields equal to it are replaced by null).
    #[arg(long, value_name = "String: prop")]
    property: Vec<String>,
    /// Config properties file for the message reader. Note that [property] takes precedence over this
    /// config.
    #[arg(long, value_name = "String: config file")]
    reader_config: Option<PathBuf>,
    /// A mechanism to pass user-defined properties in the form key=value to the producer.
    #[arg(long, value_name = "String: producer_prop")]
    producer_property: Vec<String>,
    /// Producer config properties file. Note that [producer-property] takes precedence over this config.
    #[arg(long = "producer.config", value_name = "String: config file")]
    producer_config: Option<PathBuf>,
}

/// Kafka's `ToolsUtils.validateBootstrapServer`: a non-empty list of `host:port`.
pub fn validate_bootstrap_server(servers: &str) -> Result<(), UsageError> {
    let valid = !servers.trim().is_empty()
        && servers.split(',').all(|s| {
            s.trim().rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        });
    if valid {
        Ok(())
    } else {
        Err(UsageError::with_usage("Please provide valid host:port like host1:9091,host2:9092\n "))
    }
}

/// The producer properties the tool uses (`ConsoleProducerOptions.producerProps`).
pub fn producer_props(args: &Args, file: Vec<(String, String)>) -> Props {
    let mut props = Props::new();
    props.extend(file);
    props.extend(cli::parse_key_value_args(&args.producer_property));
    if let Some(servers) = args.bootstrap_server.as_ref().or(args.broker_list.as_ref()) {
        props.set("bootstrap.servers", servers.as_str());
    }
    match &args.compression_codec {
        Some(codec) => props.set("compression.type", if codec.is_empty() { "gzip" } else { codec.as_str() }),
        None => props.set_default("compression.type", "none"),
    }
    props.set_default("client.id", "console-producer");
    merge(&mut props, "linger.ms", args.timeout.map(|v| v.to_string()), "1000");
    merge(&mut props, "acks", args.request_required_acks.clone(), "-1");
    merge(&mut props, "request.timeout.ms", args.request_timeout_ms.map(|v| v.to_string()), "1500");
    merge(&mut props, "retries", args.message_send_max_retries.map(|v| v.to_string()), "3");
    merge(&mut props, "retry.backoff.ms", args.retry_backoff_ms.map(|v| v.to_string()), "100");
    merge(&mut props, "buffer.memory", args.max_memory_bytes.map(|v| v.to_string()), "33554432");
    merge(&mut props, "batch.size", args.batch_size.map(|v| v.to_string()), "16384");
    if let Some(v) = args.max_partition_memory_bytes {
        props.set("batch.size", v.to_string());
    }
    merge(&mut props, "metadata.max.age.ms", args.metadata_expiry_ms.map(|v| v.to_string()), "300000");
    merge(&mut props, "max.block.ms", args.max_block_ms.map(|v| v.to_string()), "60000");
    props
}

/// Kafka's `maybeMergeOptions`: an option given wins; else a property already set stays; else the default.
fn merge(props: &mut Props, key: &str, option: Option<String>, default: &str) {
    match option {
        Some(value) => props.set(key, value),
        None => props.set_default(key, default),
    }
}

/// `LineMessageReader`: how a line becomes a record.
#[derive(Debug, Clone)]
pub struct LineReader {
    parse_key: bool,
    key_separator: String,
    parse_headers: bool,
    headers_delimiter: String,
    headers_separator: Regex,
    headers_key_separator: String,
    ignore_error: bool,
    null_marker: Option<String>,
}

/// A parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    pub key: Option<String>,
    pub value: Option<String>,
    pub headers: Vec<(String, Option<String>)>,
}

impl LineReader {
    /// Reads the reader properties (`parse.key`, `key.separator`...), refusing the combinations Kafka
    /// refuses.
    pub fn configure(props: &[(String, String)]) -> Result<Self, String> {
        let get = |key: &str| props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let flag = |key: &str| get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let key_separator = get("key.separator").unwrap_or_else(|| "\t".to_owned());
        let headers_delimiter = get("headers.delimiter").unwrap_or_else(|| "\t".to_owned());
        let headers_separator = get("headers.separator").unwrap_or_else(|| ",".to_owned());
        let headers_key_separator = get("headers.key.separator").unwrap_or_else(|| ":".to_owned());
        let null_marker = get("null.marker");
        if headers_delimiter == headers_separator {
            return Err("headers.delimiter and headers.separator may not be equal".into());
        }
        if headers_delimiter == headers_key_separator {
            return Err("headers.delimiter and headers.key.separator may not be equal".into());
        }
        if headers_separator == headers_key_separator {
            return Err("headers.separator and headers.key.separator may not be equal".into());
        }
        if let Some(marker) = &null_marker {
            for (name, value) in [
                ("key.separator", &key_separator),
                ("headers.separator", &headers_separator),
                ("headers.delimiter", &headers_delimiter),
                ("headers.key.separator", &headers_key_separator),
            ] {
                if value == marker {
                    return Err(format!("null.marker and {name} may not be equal"));
                }
            }
        }
        let headers_separator = Regex::new(&headers_separator)
            .map_err(|e| format!("invalid headers.separator {headers_separator:?}: {e}"))?;
        Ok(Self {
            parse_key: flag("parse.key"),
            key_separator,
            parse_headers: flag("parse.headers"),
            headers_delimiter,
            headers_separator,
            headers_key_separator,
            ignore_error: flag("ignore.error"),
            null_marker,
        })
    }

    fn field(&self, text: &str) -> Option<String> {
        (self.null_marker.as_deref() != Some(text)).then(|| text.to_owned())
    }

    /// Splits `line` (line number `line_number`, 1-based) as Kafka's reader does.
    pub fn parse(&self, line: &str, line_number: u64) -> Result<LineRecord, String> {
        let headers =
            self.split_off(self.parse_headers, line, 0, &self.headers_delimiter, "headers delimiter", line_number)?;
        let header_offset = headers.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key =
            self.split_off(self.parse_key, line, header_offset, &self.key_separator, "key separator", line_number)?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = line.get(header_offset + key_offset..).unwrap_or_default();
        let mut parsed =
            LineRecord { key: key.and_then(|k| self.field(k)), value: self.field(value), headers: Vec::new() };
        if let Some(headers) = headers.filter(|h| self.null_marker.as_deref() != Some(*h)) {
            for pair in self.headers_separator.split(headers) {
                match pair.find(&self.headers_key_separator) {
                    Some(i) => {
                        let key = pair.get(..i).unwrap_or_default();
                        if self.null_marker.as_deref() == Some(key) {
                            return Err(format!(
                                "Header keys should not be equal to the null marker '{key}' as they can't be null"
                            ));
                        }
                        let value = pair.get(i + self.headers_key_separator.len()..).unwrap_or_default();
                        parsed.headers.push((key.to_owned(), self.field(value)));
                    }
                    None if self.ignore_error => parsed.headers.push((pair.to_owned(), None)),
                    None => {
                        return Err(format!(
                            "No header key separator found in pair '{pair}' on line number {line_number}"
                        ))
                    }
                }
            }
        }
        Ok(parsed)
    }

    fn split_off<'a>(
        &self,
        enabled: bool,
        line: &'a str,
        start: usize,
        demarcation: &str,
        name: &str,
        line_number: u64,
    ) -> Result<Option<&'a str>, String> {
        if !enabled {
            return Ok(None);
        }
        let rest = line.get(start..).unwrap_or_default();
        match rest.find(demarcation) {
            Some(i) => Ok(rest.get(..i)),
            None if self.ignore_error => Ok(None),
            None => Err(format!("No {name} found on line number {line_number}: '{line}'")),
        }
    }
}

/// What `ErrorLoggingCallback` logs for a record that could not be sent.
pub fn send_error_message(topic: &str, key_len: Option<usize>, value_len: Option<usize>) -> String {
    let describe = |len: Option<usize>| len.map_or_else(|| "null".to_owned(), |n| format!("{n} bytes"));
    format!(
        "Error when sending message to topic {topic} with key: {}, value: {} with error:",
        describe(key_len),
        describe(value_len)
    )
}

struct Pending {
    delivery: DeliveryFuture,
    key_len: Option<usize>,
    value_len: Option<usize>,
}

fn log_send_error(topic: &str, pending: &Pending, failure: &Failure) {
    eprintln!(
        "{}\n{}",
        log_line(
            "ERROR",
            &send_error_message(topic, pending.key_len, pending.value_len),
            "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback"
        ),
        failure.stack_line()
    );
}

/// Reads standard input on a thread of its own, one line per message, prompting with `>` on a terminal.
fn spawn_stdin_reader() -> tokio::sync::mpsc::Receiver<std::io::Result<String>> {
    let (tx, rx) = tokio::sync::mpsc::channel(LINE_QUEUE);
    let prompt = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut buf = Vec::new();
        loop {
            if prompt {
                print!(">");
                let _ = std::io::stdout().flush();
            }
            buf.clear();
            match input.read_until(b'\n', &mut buf) {
                Ok(0) => return,
                Ok(_) => {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                    if tx.blocking_send(Ok(String::from_utf8_lossy(&buf).into_owned())).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Some(topic) = args.topic.clone() else {
        return Err(UsageError::missing("topic"));
    };
    let Some(servers) = args.bootstrap_server.as_ref().or(args.broker_list.as_ref()) else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    validate_bootstrap_server(servers)?;
    if let Some(reader) = args.line_reader.as_deref() {
        if !matches!(reader, "org.apache.kafka.tools.LineMessageReader" | "kafka.tools.LineMessageReader") {
            return Err(UsageError::with_usage(format!(
                "Only org.apache.kafka.tools.LineMessageReader is supported as --line-reader, not {reader}"
            )));
        }
    }
    let load = |path: &Option<PathBuf>| path.as_deref().map(cli::load_properties).transpose();
    let (producer_file, reader_file) = match (load(&args.producer_config), load(&args.reader_config)) {
        (Ok(p), Ok(r)) => (p.unwrap_or_default(), r.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut reader_props = reader_file;
    reader_props.extend(cli::parse_key_value_args(&args.property));
    let reader = match LineReader::configure(&reader_props) {
        Ok(reader) => reader,
        Err(message) => return Err(UsageError::with_usage(message)),
    };
    let props = producer_props(&args, producer_file);
    let configs = client_props::client_config(&props, "console-producer")
        .and_then(|client| client_props::producer_config(&props).map(|producer| (client, producer)));
    let (client_config, producer_config) = match configs {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("org.apache.kafka.common.config.ConfigException: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let producer = match Producer::connect(client_config, producer_config).await {
        Ok(producer) => producer,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).stack_line());
            return Ok(ExitCode::FAILURE);
        }
    };
    let code = produce_lines(&producer, &topic, &reader, args.sync).await;
    producer.close().await;
    Ok(code)
}

async fn produce_lines(producer: &Producer, topic: &str, reader: &LineReader, sync: bool) -> ExitCode {
    let mut lines = spawn_stdin_reader();
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut line_number = 0u64;
    let mut code = ExitCode::SUCCESS;
    loop {
        let line = tokio::select! {
            line = lines.recv() => line,
            _ = tokio::signal::ctrl_c() => None,
        };
        let line = match line {
            None => break,
            Some(Ok(line)) => line,
            Some(Err(e)) => {
                eprintln!("org.apache.kafka.common.KafkaException: {e}");
                code = ExitCode::FAILURE;
                break;
            }
        };
        line_number += 1;
        let record = match reader.parse(&line, line_number) {
            Ok(record) => record,
            Err(message) => {
                eprintln!("org.apache.kafka.common.KafkaException: {message}");
                code = ExitCode::FAILURE;
                break;
            }
        };
        let headers: Vec<RecordHeader> = record
            .headers
            .iter()
            .map(|(k, v)| RecordHeader {
                key: Bytes::copy_from_slice(k.as_bytes()),
                value: v.as_ref().map(|v| Bytes::copy_from_slice(v.as_bytes())),
            })
            .collect();
        let to_send = ProducerRecord {
            topic,
            partition: None,
            key: record.key.as_deref().map(str::as_bytes),
            value: record.value.as_deref().map(str::as_bytes),
            headers: &headers,
            timestamp: None,
        };
        let delivery = match producer.send(to_send).await {
            Ok(delivery) => delivery,
            Err(e) => {
                eprintln!("{}", Failure::from_client(&e).stack_line());
                code = ExitCode::FAILURE;
                break;
            }
        };
        let sent = Pending {
            delivery,
            key_len: record.key.as_ref().map(String::len),
            value_len: record.value.as_ref().map(String::len),
        };
        if sync {
            if let Err(e) = sent.delivery.clone().wait().await {
                eprintln!("{}", Failure::from_client(&e).stack_line());
                code = ExitCode::FAILURE;
                break;
            }
        } else {
            pending.push_back(sent);
            while let Some(result) = pending.front().and_then(|p| p.delivery.try_result()) {
                if let (Err(e), Some(p)) = (result, pending.front()) {
                    log_send_error(topic, p, &Failure::from_client(&e));
                }
                pending.pop_front();
            }
        }
    }
    producer.flush().await;
    for p in pending {
        if let Err(e) = p.delivery.clone().wait().await {
            log_send_error(topic, &p, &Failure::from_client(&e));
        }
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

    fn args(argv: &[&str]) -> Args {
        Wrapper::try_parse_from(std::iter::once("console-producer").chain(argv.iter().copied())).unwrap().args
    }

    fn reader(props: &[(&str, &str)]) -> LineReader {
        let props: Vec<(String, String)> = props.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        LineReader::configure(&props).unwrap()
    }

    #[test]
    fn plain_lines_are_values() {
        let r = reader(&[]);
        assert_eq!(
            r.parse("Hello Kafka.", 1).unwrap(),
            LineRecord { key: None, value: Some("Hello Kafka.".into()), headers: vec![] }
        );
    }

    #[test]
    fn keys_split_at_the_separator() {
        let r = reader(&[("parse.key", "true"), ("key.separator", ":")]);
        let parsed = r.parse("1:test key message sent test00000000000000 1", 1).unwrap();
        assert_eq!(parsed.key.as_deref(), Some("1"));
        assert_eq!(parsed.value.as_deref(), Some("test key message sent test00000000000000 1"));
        // Only the first separator splits; the default separator is a tab.
        assert_eq!(r.parse("name: paul:x", 1).unwrap().value.as_deref(), Some(" paul:x"));
        assert_eq!(reader(&[("parse.key", "true")]).parse("k\tv", 1).unwrap().key.as_deref(), Some("k"));
        assert_eq!(r.parse("no separator", 7).unwrap_err(), "No key separator found on line number 7: 'no separator'");
        let lenient = reader(&[("parse.key", "true"), ("key.separator", ":"), ("ignore.error", "true")]);
        assert_eq!(lenient.parse("plain", 1).unwrap().key, None);
    }

    #[test]
    fn headers_and_null_markers() {
        let r = reader(&[("parse.headers", "true"), ("parse.key", "true"), ("null.marker", "NULL")]);
        let parsed = r.parse("h1:v1,h2:NULL\tk\tNULL", 1).unwrap();
        assert_eq!(parsed.headers, [("h1".to_owned(), Some("v1".to_owned())), ("h2".to_owned(), None)]);
        assert_eq!(parsed.key.as_deref(), Some("k"));
        assert_eq!(parsed.value, None);
        assert!(r.parse("h1\tk\tv", 3).unwrap_err().contains("No header key separator found in pair 'h1'"));
        let props: Vec<(String, String)> = vec![("headers.delimiter".into(), ",".into())];
        assert_eq!(
            LineReader::configure(&props).unwrap_err(),
            "headers.delimiter and headers.separator may not be equal"
        );
    }

    #[test]
    fn producer_properties_follow_kafkas_precedence() {
        let a = args(&[
            "--bootstrap-server",
            "b:9092",
            "--topic",
            "t",
            "--producer-property",
            "acks=all",
            "--producer-property",
            "linger.ms=5",
        ]);
        let p = producer_props(&a, vec![("acks".into(), "1".into()), ("batch.size".into(), "100".into())]);
        assert_eq!(p.get("acks"), Some("all"));
        assert_eq!(p.get("linger.ms"), Some("5"));
        assert_eq!(p.get("batch.size"), Some("100"));
        assert_eq!(p.get("request.timeout.ms"), Some("1500"));
        assert_eq!(p.get("client.id"), Some("console-producer"));
        assert_eq!(p.get("compression.type"), Some("none"));
        // Options win over properties; a bare --compression-codec means gzip; --broker-list still works.
        let a = args(&[
            "--broker-list",
            "b:9092",
            "--topic",
            "t",
            "--request-required-acks",
            "1",
            "--producer-property",
            "acks=0",
            "--compression-codec",
        ]);
        let p = producer_props(&a, vec![]);
        assert_eq!(p.get("bootstrap.servers"), Some("b:9092"));
        assert_eq!(p.get("acks"), Some("1"));
        assert_eq!(p.get("compression.type"), Some("gzip"));
        let a = args(&[
            "--bootstrap-server",
            "b:9092",
            "--topic",
            "t",
            "--request-required-acks",
            "-1",
            "--compression-codec",
            "zstd",
        ]);
        let p = producer_props(&a, vec![]);
        assert_eq!(p.get("acks"), Some("-1"));
        assert_eq!(p.get("compression.type"), Some("zstd"));
    }

    #[test]
    fn bootstrap_servers_are_validated() {
        assert!(validate_bootstrap_server("localhost:9092,h:9093").is_ok());
        assert!(validate_bootstrap_server("localhost").is_err());
        assert!(validate_bootstrap_server("").is_err());
    }

    #[test]
    fn send_errors_are_logged_like_kafka() {
        assert_eq!(
            send_error_message("t", None, Some(5)),
            "Error when sending message to topic t with key: null, value: 5 bytes with error:"
        );
    }
}
