//! Settings for the client, producer and consumer. Defaults are Kafka's (Java client, 3.x/4.x); the Kafka
//! property each field stands for is named beside it.

use std::time::Duration;

use flotilla_protocol::records::Compression;

use crate::error::ClientError;

/// Connection and metadata settings shared by everything built on a [`crate::Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` entries tried in order until one answers.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`, sent in every request header.
    pub client_id: String,
    /// `socket.connection.setup.timeout.ms`: TCP connect plus the ApiVersions handshake.
    pub connect_timeout: Duration,
    /// `request.timeout.ms`: how long one request may wait for its response.
    pub request_timeout: Duration,
    /// Requests one connection may have outstanding (pipelined) at once; further sends wait.
    pub max_in_flight_per_connection: usize,
    /// The largest response frame accepted, checked from its size prefix before it is read.
    pub max_response_bytes: usize,
    /// `metadata.max.age.ms`: cached topic metadata older than this is refreshed before use.
    pub metadata_max_age: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `max.block.ms`: how long to wait for a topic's metadata (e.g. a leader after creation).
    pub metadata_timeout: Duration,
    /// `allow.auto.create.topics`: metadata requests for producing and consuming may create topics on
    /// brokers with `auto.create.topics.enable`. Admin calls never do.
    pub allow_auto_topic_creation: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            bootstrap_servers: vec!["localhost:9092".to_owned()],
            client_id: "flotilla-client".to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight_per_connection: 64,
            max_response_bytes: 128 * 1024 * 1024,
            metadata_max_age: Duration::from_secs(300),
            retry_backoff: Duration::from_millis(100),
            metadata_timeout: Duration::from_secs(60),
            allow_auto_topic_creation: true,
        }
    }
}

impl ClientConfig {
    /// Defaults with these bootstrap servers; each item may itself be a comma-separated list, as
    /// `--bootstrap-server a:9092,b:9092` is.
    pub fn new<I, S>(bootstrap_servers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let bootstrap_servers = bootstrap_servers
            .into_iter()
            .flat_map(|s| {
                s.as_ref().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        Self { bootstrap_servers, ..Self::default() }
    }

    /// Sets `client.id`.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ClientError> {
        if self.bootstrap_servers.is_empty() {
            return Err(ClientError::Config("bootstrap.servers is empty".into()));
        }
        if self.max_in_flight_per_connection == 0 {
            return Err(ClientError::Config("max in-flight requests per connection must be at least 1".into()));
        }
        Ok(())
    }
}

/// `acks`: how many replicas must have a record before the leader answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// `acks=0`: no response at all; delivery reports carry offset -1.
    None,
    /// `acks=1`: the leader's log.
    Leader,
    /// `acks=all` (-1): every in-sync replica, subject to `min.insync.replicas`.
    #[default]
    All,
}

impl Acks {
    /// The wire value.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }

    /// Parses Kafka's spellings: `0`, `1`, `-1`, `all`.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        match s.trim() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "-1" | "all" | "ALL" => Ok(Acks::All),
            other => Err(ClientError::Config(format!("acks must be one of 0, 1, -1, all; got {other:?}"))),
        }
    }
}

/// Producer settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `acks`.
    pub acks: Acks,
    /// `linger.ms`: how long a batch that is not full waits for more records.
    pub linger: Duration,
    /// `batch.size`: a partition's batch is sent once its (uncompressed) size reaches this.
    pub batch_size: usize,
    /// `compression.type`.
    pub compression: Compression,
    /// `max.request.size`: the largest produce request (and so the largest record) sent.
    pub max_request_size: usize,
    /// `buffer.memory`: bytes of records waiting to be sent or acknowledged before `send` waits.
    pub buffer_memory: usize,
    /// `retries`: attempts after the first for a batch failing with a retriable error.
    pub retries: u32,
    /// `delivery.timeout.ms`: a record fails when not acknowledged this long after `send`.
    pub delivery_timeout: Duration,
    /// `enable.idempotence`: producer id, epoch and per-partition sequence numbers, so retries neither
    /// duplicate nor reorder records. Requires `acks=all` and at most 5 requests in flight.
    pub enable_idempotence: bool,
    /// `max.in.flight.requests.per.connection`: produce requests outstanding per broker.
    pub max_in_flight_requests_per_connection: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 16 * 1024,
            compression: Compression::None,
            max_request_size: 1024 * 1024,
            buffer_memory: 32 * 1024 * 1024,
            retries: i32::MAX as u32,
            delivery_timeout: Duration::from_secs(120),
            enable_idempotence: true,
            max_in_flight_requests_per_connection: 5,
        }
    }
}

impl ProducerConfig {
    /// Checks the combinations Kafka refuses.
    pub fn validate(&self) -> Result<(), ClientError> {
        if self.enable_idempotence {
            if self.acks != Acks::All {
                return Err(ClientError::Config(
                    "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee \
                     idempotence."
                        .into(),
                ));
            }
            if self.max_in_flight_requests_per_connection > 5 {
                return Err(ClientError::Config(
                    "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer."
                        .into(),
                ));
            }
            if self.retries == 0 {
                return Err(ClientError::Config(
                    "Must set retries to non-zero when using the idempotent producer.".into(),
                ));
            }
        }
        if self.max_in_flight_requests_per_connection == 0 {
            return Err(ClientError::Config("max.in.flight.requests.per.connection must be at least 1".into()));
        }
        if self.batch_size == 0 || self.max_request_size == 0 {
            return Err(ClientError::Config("batch.size and max.request.size must be positive".into()));
        }
        Ok(())
    }
}

/// `auto.offset.reset`: where a consumer goes when its position is out of range (or unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoOffsetReset {
    /// The log start offset.
    Earliest,
    /// The log end offset (the high watermark).
    #[default]
    Latest,
    /// Fail with [`ClientError::OffsetOutOfRange`].
    None,
}

impl AutoOffsetReset {
    /// Parses `earliest`, `latest`, `none`.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        match s.trim() {
            "earliest" => Ok(AutoOffsetReset::Earliest),
            "latest" => Ok(AutoOffsetReset::Latest),
            "none" => Ok(AutoOffsetReset::None),
            other => Err(ClientError::Config(format!(
                "auto.offset.reset must be one of earliest, latest, none; got {other:?}"
            ))),
        }
    }
}

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IsolationLevel {
    /// Everything up to the high watermark.
    #[default]
    ReadUncommitted,
    /// Only up to the last stable offset.
    ReadCommitted,
}

impl IsolationLevel {
    /// The wire value.
    pub fn as_i8(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// `fetch.max.wait.ms`.
    pub max_wait: Duration,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.bytes`.
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: i32,
    /// `auto.offset.reset`.
    pub auto_offset_reset: AutoOffsetReset,
    /// `isolation.level`.
    pub isolation_level: IsolationLevel,
    /// `check.crcs`.
    pub check_crcs: bool,
    /// The most bytes one compressed batch may decompress to before it is refused.
    pub max_decompressed_batch_bytes: usize,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_millis(500),
            min_bytes: 1,
            max_bytes: 50 * 1024 * 1024,
            partition_max_bytes: 1024 * 1024,
            auto_offset_reset: AutoOffsetReset::Latest,
            isolation_level: IsolationLevel::ReadUncommitted,
            check_crcs: true,
            max_decompressed_batch_bytes: 64 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_lists_are_split_on_commas() {
        let c = ClientConfig::new(["a:1, b:2", "c:3"]);
        assert_eq!(c.bootstrap_servers, ["a:1", "b:2", "c:3"]);
    }

    #[test]
    fn idempotence_needs_acks_all() {
        let c = ProducerConfig { acks: Acks::Leader, ..ProducerConfig::default() };
        assert!(c.validate().is_err());
        let c = ProducerConfig { acks: Acks::Leader, enable_idempotence: false, ..ProducerConfig::default() };
        assert!(c.validate().is_ok());
        assert_eq!(Acks::parse("all").ok(), Some(Acks::All));
    }
}
