//! Kafka client properties (`bootstrap.servers`, `acks=all`, `linger.ms=5`, `fetch.max.wait.ms`...) as the
//! tools receive them from `--producer-property`, `--producer-props`, `--consumer-property` and properties
//! files, turned into the client's settings. Values are checked as Kafka's `ConfigDef` checks them and
//! refused with its wording (`Invalid value x for configuration linger.ms: Not a number of type LONG`).
//! Keys the client has no use for (serializers, metrics reporters...) are ignored, as Kafka ignores
//! unused keys.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use flotilla_client::{Acks, AutoOffsetReset, ClientConfig, ConsumerConfig, IsolationLevel, ProducerConfig};
use flotilla_protocol::records::Compression;

/// Client properties; a key set twice keeps its last value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Props {
    values: BTreeMap<String, String>,
}

impl Props {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets every pair in order.
    pub fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, pairs: I) {
        self.values.extend(pairs);
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_owned(), value.into());
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Sets `key` to `default` unless it is set (Kafka's `maybeMergeOptions` for an option not given).
    pub fn set_default(&mut self, key: &str, default: impl Into<String>) {
        self.values.entry(key.to_owned()).or_insert_with(|| default.into());
    }
}

/// A property Kafka's `ConfigDef` would refuse; the message is Kafka's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConfig(pub String);

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid(key: &str, value: &str, reason: &str) -> InvalidConfig {
    InvalidConfig(format!("Invalid value {value} for configuration {key}: {reason}"))
}

fn long(props: &Props, key: &str) -> Result<Option<i64>, InvalidConfig> {
    props
        .get(key)
        .map(|v| v.trim().parse::<i64>().map_err(|_| invalid(key, v, "Not a number of type LONG")))
        .transpose()
}

fn int(props: &Props, key: &str) -> Result<Option<i32>, InvalidConfig> {
    props.get(key).map(|v| v.trim().parse::<i32>().map_err(|_| invalid(key, v, "Not a number of type INT"))).transpose()
}

fn boolean(props: &Props, key: &str) -> Result<Option<bool>, InvalidConfig> {
    props
        .get(key)
        .map(|v| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(invalid(key, v, "Expected value to be either true or false")),
        })
        .transpose()
}

fn millis(props: &Props, key: &str) -> Result<Option<Duration>, InvalidConfig> {
    match long(props, key)? {
        None => Ok(None),
        Some(ms) => match u64::try_from(ms) {
            Ok(ms) => Ok(Some(Duration::from_millis(ms))),
            Err(_) => Err(invalid(key, &ms.to_string(), "Value must be at least 0")),
        },
    }
}

fn size(props: &Props, key: &str) -> Result<Option<usize>, InvalidConfig> {
    match long(props, key)? {
        None => Ok(None),
        Some(n) => usize::try_from(n).map(Some).map_err(|_| invalid(key, &n.to_string(), "Value must be at least 0")),
    }
}

/// Connection settings: `bootstrap.servers` (required), `client.id`, `request.timeout.ms`,
/// `socket.connection.setup.timeout.ms`, `metadata.max.age.ms`, `retry.backoff.ms`, `max.block.ms`,
/// `allow.auto.create.topics`. Only PLAINTEXT connections are supported.
pub fn client_config(props: &Props, default_client_id: &str) -> Result<ClientConfig, InvalidConfig> {
    let Some(servers) = props.get("bootstrap.servers").filter(|s| !s.trim().is_empty()) else {
        return Err(InvalidConfig(
            "Missing required configuration \"bootstrap.servers\" which has no default value.".to_owned(),
        ));
    };
    if let Some(protocol) = props.get("security.protocol") {
        if !protocol.trim().eq_ignore_ascii_case("PLAINTEXT") {
            return Err(invalid(
                "security.protocol",
                protocol,
                "Flotilla's tools connect with PLAINTEXT only (no TLS or SASL yet)",
            ));
        }
    }
    let mut config = ClientConfig::new([servers]).client_id(props.get("client.id").unwrap_or(default_client_id));
    if let Some(d) = millis(props, "request.timeout.ms")? {
        config.request_timeout = d;
    }
    if let Some(d) = millis(props, "socket.connection.setup.timeout.ms")? {
        config.connect_timeout = d;
    }
    if let Some(d) = millis(props, "metadata.max.age.ms")? {
        config.metadata_max_age = d;
    }
    if let Some(d) = millis(props, "retry.backoff.ms")? {
        config.retry_backoff = d;
    }
    if let Some(d) = millis(props, "max.block.ms")? {
        config.metadata_timeout = d;
    }
    if let Some(b) = boolean(props, "allow.auto.create.topics")? {
        config.allow_auto_topic_creation = b;
    }
    Ok(config)
}

/// Parses `compression.type` (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
pub fn compression(key: &str, value: &str) -> Result<Compression, InvalidConfig> {
    Compression::ALL
        .into_iter()
        .find(|c| c.name() == value.trim().to_ascii_lowercase())
        .ok_or_else(|| invalid(key, value, "String must be one of: none, gzip, snappy, lz4, zstd"))
}

/// Producer settings: `acks`, `linger.ms`, `batch.size`, `compression.type`, `max.request.size`,
/// `buffer.memory`, `retries`, `delivery.timeout.ms`, `enable.idempotence`,
/// `max.in.flight.requests.per.connection`. As in Kafka 3.x, idempotence (on by default) is turned off
/// quietly when another setting contradicts it, and refused when it was asked for explicitly.
pub fn producer_config(props: &Props) -> Result<ProducerConfig, InvalidConfig> {
    let mut config = ProducerConfig::default();
    if let Some(acks) = props.get("acks") {
        config.acks = Acks::parse(acks).map_err(|_| invalid("acks", acks, "String must be one of: all, -1, 0, 1"))?;
    }
    if let Some(d) = millis(props, "linger.ms")? {
        config.linger = d;
    }
    if let Some(n) = int(props, "batch.size")? {
        config.batch_size =
            usize::try_from(n).map_err(|_| invalid("batch.size", &n.to_string(), "Value must be at least 0"))?;
    }
    if let Some(c) = props.get("compression.type") {
        config.compression = compression("compression.type", c)?;
    }
    if let Some(n) = size(props, "max.request.size")? {
        config.max_request_size = n;
    }
    if let Some(n) = size(props, "buffer.memory")? {
        config.buffer_memory = n;
    }
    if let Some(n) = int(props, "retries")? {
        config.retries =
            u32::try_from(n).map_err(|_| invalid("retries", &n.to_string(), "Value must be at least 0"))?;
    }
    if let Some(d) = millis(props, "delivery.timeout.ms")? {
        config.delivery_timeout = d;
    }
    if let Some(n) = int(props, "max.in.flight.requests.per.connection")? {
        config.max_in_flight_requests_per_connection =
            usize::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
                invalid("max.in.flight.requests.per.connection", &n.to_string(), "Value must be at least 1")
            })?;
    }
    let asked = boolean(props, "enable.idempotence")?;
    config.enable_idempotence = asked.unwrap_or(true);
    if config.enable_idempotence {
        let conflict = if config.max_in_flight_requests_per_connection > 5 {
            Some(format!(
                "To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. \
                 Current value is {}.",
                config.max_in_flight_requests_per_connection
            ))
        } else if config.retries == 0 {
            Some("Must set retries to non-zero when using the idempotent producer.".to_owned())
        } else if config.acks != Acks::All {
            Some(
                "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee \
                 idempotence."
                    .to_owned(),
            )
        } else {
            None
        };
        match (conflict, asked) {
            (Some(message), Some(true)) => return Err(InvalidConfig(message)),
            (Some(_), _) => config.enable_idempotence = false,
            (None, _) => {}
        }
    }
    Ok(config)
}

/// Consumer settings: `fetch.max.wait.ms`, `fetch.min.bytes`, `fetch.max.bytes`,
/// `max.partition.fetch.bytes`, `auto.offset.reset`, `isolation.level`, `check.crcs`.
pub fn consumer_config(props: &Props) -> Result<ConsumerConfig, InvalidConfig> {
    let mut config = ConsumerConfig::default();
    if let Some(d) = millis(props, "fetch.max.wait.ms")? {
        config.max_wait = d;
    }
    if let Some(n) = int(props, "fetch.min.bytes")? {
        config.min_bytes = n;
    }
    if let Some(n) = int(props, "fetch.max.bytes")? {
        config.max_bytes = n;
    }
    if let Some(n) = int(props, "max.partition.fetch.bytes")? {
        config.partition_max_bytes = n;
    }
    if let Some(reset) = props.get("auto.offset.reset") {
        config.auto_offset_reset = AutoOffsetReset::parse(reset)
            .map_err(|_| invalid("auto.offset.reset", reset, "String must be one of: latest, earliest, none"))?;
    }
    if let Some(level) = props.get("isolation.level") {
        config.isolation_level = match level.trim().to_ascii_lowercase().as_str() {
            "read_uncommitted" => IsolationLevel::ReadUncommitted,
            "read_committed" => IsolationLevel::ReadCommitted,
            _ => {
                return Err(invalid(
                    "isolation.level",
                    level,
                    "String must be one of: read_committed, read_uncommitted",
                ))
            }
        };
    }
    if let Some(b) = boolean(props, "check.crcs")? {
        config.check_crcs = b;
    }
    Ok(config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        let mut p = Props::new();
        p.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        p
    }

    #[test]
    fn client_settings_come_from_kafka_keys() {
        let c = client_config(
            &props(&[("bootstrap.servers", "a:1,b:2"), ("client.id", "me"), ("request.timeout.ms", "1500")]),
            "tool",
        )
        .unwrap();
        assert_eq!(c.bootstrap_servers, ["a:1", "b:2"]);
        assert_eq!(c.client_id, "me");
        assert_eq!(c.request_timeout, Duration::from_millis(1500));
        assert_eq!(client_config(&props(&[("bootstrap.servers", "a:1")]), "tool").unwrap().client_id, "tool");
        assert!(client_config(&props(&[]), "tool").unwrap_err().0.contains("bootstrap.servers"));
        assert!(client_config(&props(&[("bootstrap.servers", "a:1"), ("security.protocol", "SSL")]), "t").is_err());
    }

    #[test]
    fn bad_values_use_kafkas_wording() {
        assert_eq!(
            producer_config(&props(&[("linger.ms", "soon")])).unwrap_err().0,
            "Invalid value soon for configuration linger.ms: Not a number of type LONG"
        );
        assert_eq!(
            producer_config(&props(&[("acks", "2")])).unwrap_err().0,
            "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"
        );
        assert!(producer_config(&props(&[("compression.type", "brotli")])).is_err());
        assert!(consumer_config(&props(&[("check.crcs", "maybe")])).is_err());
    }

    #[test]
    fn producer_settings_and_idempotence() {
        let p = producer_config(&props(&[
            ("acks", "1"),
            ("linger.ms", "7"),
            ("batch.size", "1024"),
            ("compression.type", "lz4"),
        ]))
        .unwrap();
        assert_eq!(p.acks, Acks::Leader);
        assert_eq!(p.linger, Duration::from_millis(7));
        assert_eq!(p.batch_size, 1024);
        assert_eq!(p.compression, Compression::Lz4);
        // acks=1 quietly turns idempotence off unless it was asked for.
        assert!(!p.enable_idempotence);
        assert!(producer_config(&props(&[("acks", "1"), ("enable.idempotence", "true")])).is_err());
        assert!(producer_config(&props(&[])).unwrap().enable_idempotence);
    }

    #[test]
    fn consumer_settings() {
        let c = consumer_config(&props(&[
            ("auto.offset.reset", "earliest"),
            ("isolation.level", "read_committed"),
            ("fetch.max.wait.ms", "100"),
        ]))
        .unwrap();
        assert_eq!(c.auto_offset_reset, AutoOffsetReset::Earliest);
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.max_wait, Duration::from_millis(100));
    }
}
