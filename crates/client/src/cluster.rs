//! [`Client`]: the entry point. Bootstraps from a list of servers, keeps the metadata cache, and holds one
//! reused connection per broker.
//!
//! - Bootstrap tries each `host:port` in order until one completes the handshake and answers Metadata;
//!   when none does, the error names each attempt in Kafka's words.
//! - The cache is a [`ClusterMetadata`] snapshot behind a lock held only to swap it. Topics are described on
//!   first use and again when older than `metadata.max.age.ms`, or when a caller reports an error that means
//!   the cache is stale (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, a failed
//!   connection...). Concurrent refreshes are collapsed: a caller that waited for another's refresh uses its
//!   result.
//! - Connections are opened lazily per broker id, to the address the metadata gives, and replaced when they
//!   fail. Requests that may go anywhere (Metadata, most admin calls) use a live connection when there is one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use flotilla_model::{ErrorCode, NodeId};
use flotilla_protocol::messages::metadata_request::MetadataRequestTopic;
use flotilla_protocol::messages::MetadataRequest;
use flotilla_protocol::{ApiKey, Request};

use crate::config::ClientConfig;
use crate::connection::{BrokerConnection, ConnectionConfig};
use crate::error::{is_retriable, ClientError};
use crate::metadata::{BrokerInfo, ClusterMetadata, MetadataTopics, TopicMetadata};

/// How many times a request that may go to any broker is retried on another connection.
const ANY_BROKER_ATTEMPTS: usize = 3;

/// A handle on a cluster. Cheap to clone; clones share connections and metadata.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

#[derive(Debug)]
struct ClientInner {
    config: ClientConfig,
    connection_config: ConnectionConfig,
    metadata: RwLock<Arc<ClusterMetadata>>,
    /// Serialises metadata refreshes so that a burst of stale-leader errors costs one request.
    refresh_lock: tokio::sync::Mutex<()>,
    /// Open connections by broker id.
    live: Mutex<HashMap<NodeId, BrokerConnection>>,
    /// One lock per broker so that concurrent callers open one connection, not several.
    connecting: Mutex<HashMap<NodeId, Arc<tokio::sync::Mutex<()>>>>,
    bootstrap: tokio::sync::Mutex<Option<BrokerConnection>>,
    /// Rotates the broker tried first by [`Client::any_connection`].
    next_any: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Client {
    /// Connects to the cluster: the first reachable bootstrap server is asked for the brokers.
    pub async fn connect(config: ClientConfig) -> Result<Self, ClientError> {
        config.validate()?;
        let connection_config = ConnectionConfig::from(&config);
        let client = Client {
            inner: Arc::new(ClientInner {
                config,
                connection_config,
                metadata: RwLock::new(Arc::new(ClusterMetadata::default())),
                refresh_lock: tokio::sync::Mutex::new(()),
                live: Mutex::new(HashMap::new()),
                connecting: Mutex::new(HashMap::new()),
                bootstrap: tokio::sync::Mutex::new(None),
                next_any: AtomicUsize::new(0),
            }),
        };
        client.refresh_metadata(MetadataTopics::None).await?;
        Ok(client)
    }

    /// The settings this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The current metadata snapshot.
    pub fn metadata(&self) -> Arc<ClusterMetadata> {
        Arc::clone(&self.inner.metadata.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn store<F: FnOnce(&ClusterMetadata) -> ClusterMetadata>(&self, update: F) -> Arc<ClusterMetadata> {
        let mut guard = self.inner.metadata.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = Arc::new(update(&guard));
        *guard = Arc::clone(&next);
        next
    }

    /// Closes every connection. The client reconnects if used again.
    pub fn close(&self) {
        for (_, conn) in lock(&self.inner.live).drain() {
            conn.close();
        }
    }

    // ---- connections ----

    /// The connection to broker `node`, opened if needed at the address metadata gives for it.
    pub async fn connection(&self, node: NodeId) -> Result<BrokerConnection, ClientError> {
        if let Some(conn) = self.live_connection(node) {
            return Ok(conn);
        }
        let broker = match self.metadata().broker(node).cloned() {
            Some(b) => b,
            None => {
                self.refresh_metadata(MetadataTopics::None).await?;
                self.metadata().broker(node).cloned().ok_or_else(|| ClientError::Kafka {
                    code: ErrorCode::BrokerNotAvailable,
                    message: Some(format!("node {node} is not in the cluster metadata")),
                    context: "connect".into(),
                })?
            }
        };
        self.connect_broker(&broker).await
    }

    /// Opens (or reuses) the connection to a broker listed in metadata; never refreshes metadata.
    async fn connect_broker(&self, broker: &BrokerInfo) -> Result<BrokerConnection, ClientError> {
        let node = broker.node_id;
        if let Some(conn) = self.live_connection(node) {
            return Ok(conn);
        }
        let gate = Arc::clone(lock(&self.inner.connecting).entry(node).or_default());
        let _guard = gate.lock().await;
        if let Some(conn) = self.live_connection(node) {
            return Ok(conn);
        }
        let port = u16::try_from(broker.port).map_err(|_| ClientError::InvalidAddress { address: broker.address() })?;
        let conn =
            BrokerConnection::connect_host(node.get(), &broker.host, port, &self.inner.connection_config).await?;
        lock(&self.inner.live).insert(node, conn.clone());
        Ok(conn)
    }

    fn live_connection(&self, node: NodeId) -> Option<BrokerConnection> {
        let mut live = lock(&self.inner.live);
        match live.get(&node) {
            Some(conn) if !conn.is_closed() => Some(conn.clone()),
            Some(_) => {
                live.remove(&node);
                None
            }
            None => None,
        }
    }

    /// A connection to some broker: an open one if any, else the brokers in metadata in turn, else the
    /// bootstrap servers.
    pub async fn any_connection(&self) -> Result<BrokerConnection, ClientError> {
        let metadata = self.metadata();
        let live: Vec<BrokerConnection> = lock(&self.inner.live)
            .iter()
            .filter(|(node, conn)| !conn.is_closed() && metadata.brokers.contains_key(node))
            .map(|(_, conn)| conn.clone())
            .collect();
        if !live.is_empty() {
            let i = self.inner.next_any.fetch_add(1, Ordering::Relaxed) % live.len();
            if let Some(conn) = live.get(i) {
                return Ok(conn.clone());
            }
        }
        let brokers: Vec<&BrokerInfo> = metadata.brokers.values().collect();
        let start = self.inner.next_any.fetch_add(1, Ordering::Relaxed);
        let mut last_error = None;
        for k in 0..brokers.len() {
            if let Some(broker) = brokers.get((start + k) % brokers.len()) {
                match self.connect_broker(broker).await {
                    Ok(conn) => return Ok(conn),
                    Err(e) => last_error = Some(e),
                }
            }
        }
        match self.bootstrap_connection().await {
            Ok(conn) => Ok(conn),
            Err(e) => Err(last_error.unwrap_or(e)),
        }
    }

    /// A connection to a bootstrap server (node -1), kept for reuse.
    async fn bootstrap_connection(&self) -> Result<BrokerConnection, ClientError> {
        let mut slot = self.inner.bootstrap.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        let mut errors = Vec::new();
        for address in &self.inner.config.bootstrap_servers {
            match BrokerConnection::connect(-1, address, &self.inner.connection_config).await {
                Ok(conn) => {
                    *slot = Some(conn.clone());
                    return Ok(conn);
                }
                Err(e) => {
                    tracing::debug!(%address, error = %e, "bootstrap server unavailable");
                    errors.push(e);
                }
            }
        }
        if errors.len() == 1 {
            if let Some(e) = errors.pop() {
                return Err(e);
            }
        }
        Err(ClientError::NoBrokerReachable { attempts: errors.iter().map(ToString::to_string).collect() })
    }

    /// The connection to the controller as metadata reports it (in KRaft clusters a broker that forwards to
    /// the controller), or any broker when none is reported.
    pub async fn controller_connection(&self) -> Result<BrokerConnection, ClientError> {
        let controller = self.metadata().controller_id;
        if controller.get() >= 0 {
            if let Ok(conn) = self.connection(controller).await {
                return Ok(conn);
            }
        }
        self.any_connection().await
    }

    /// Sends a request that any broker can answer, moving to another broker when a connection fails.
    pub async fn send_any<R: Request>(&self, request: &R) -> Result<R::Response, ClientError> {
        let mut last_error = None;
        for _ in 0..ANY_BROKER_ATTEMPTS {
            let conn = self.any_connection().await?;
            match conn.send(request).await {
                Ok(response) => return Ok(response),
                Err(e @ (ClientError::ConnectionClosed { .. } | ClientError::RequestTimeout { .. })) => {
                    tracing::debug!(error = %e, "retrying on another broker");
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(ClientError::NoBrokerReachable { attempts: Vec::new() }))
    }

    /// Sends a request to broker `node`.
    pub async fn send_to<R: Request>(&self, node: NodeId, request: &R) -> Result<R::Response, ClientError> {
        self.connection(node).await?.send(request).await
    }

    // ---- metadata ----

    /// Describes `topics` (honouring `allow_auto_topic_creation`) and merges the answer into the cache.
    pub async fn refresh_metadata(&self, topics: MetadataTopics) -> Result<Arc<ClusterMetadata>, ClientError> {
        let allow = self.inner.config.allow_auto_topic_creation;
        self.fetch_metadata(topics, allow).await
    }

    /// Describes `topics` without ever creating them (for admin calls).
    pub async fn describe_metadata(&self, topics: MetadataTopics) -> Result<Arc<ClusterMetadata>, ClientError> {
        self.fetch_metadata(topics, false).await
    }

    async fn fetch_metadata(
        &self,
        topics: MetadataTopics,
        allow_auto_topic_creation: bool,
    ) -> Result<Arc<ClusterMetadata>, ClientError> {
        let mut last_error = None;
        for _ in 0..ANY_BROKER_ATTEMPTS {
            let conn = self.any_connection().await?;
            let version = conn.version_for(ApiKey::Metadata)?;
            let request = metadata_request(&topics, version, allow_auto_topic_creation);
            match conn.send_at(&request, version).await {
                Ok(response) => {
                    if response.error_code != 0 {
                        return Err(ClientError::kafka(response.error_code, None, "Metadata"));
                    }
                    let now = Instant::now();
                    return Ok(self.store(|current| current.merge(&response, &topics, now)));
                }
                Err(e @ (ClientError::ConnectionClosed { .. } | ClientError::RequestTimeout { .. })) => {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(ClientError::NoBrokerReachable { attempts: Vec::new() }))
    }

    /// Refreshes `topics` unless another refresh completed since the caller saw generation `seen`; for
    /// callers reacting to a stale-metadata error, so a burst of them costs one request.
    pub async fn refresh_after(&self, seen: u64, topics: Vec<String>) -> Result<Arc<ClusterMetadata>, ClientError> {
        let _guard = self.inner.refresh_lock.lock().await;
        let current = self.metadata();
        if current.generation != seen {
            return Ok(current);
        }
        self.refresh_metadata(MetadataTopics::Some(topics)).await
    }

    /// Drops a topic from the cache so that its next use describes it again.
    pub fn invalidate_topic(&self, topic: &str) {
        self.store(|current| current.without_topic(topic));
    }

    /// A topic's metadata: from the cache when fresh, else described (and waited for while its leaders are
    /// being elected, up to `metadata_timeout`). Fails at once when the topic does not exist.
    pub async fn topic(&self, name: &str) -> Result<Arc<TopicMetadata>, ClientError> {
        let snapshot = self.metadata();
        if let (Some(topic), Some(at)) = (snapshot.topic(name), snapshot.fetched_at(name)) {
            if topic.error == ErrorCode::None && at.elapsed() < self.inner.config.metadata_max_age {
                return Ok(Arc::clone(topic));
            }
        }
        self.wait_for_topic(name).await
    }

    async fn wait_for_topic(&self, name: &str) -> Result<Arc<TopicMetadata>, ClientError> {
        let started = Instant::now();
        let timeout = self.inner.config.metadata_timeout;
        loop {
            let metadata = self.refresh_metadata(MetadataTopics::Some(vec![name.to_owned()])).await?;
            match metadata.topic(name) {
                Some(t) if t.error == ErrorCode::None && !t.partitions.is_empty() => return Ok(Arc::clone(t)),
                Some(t) if t.error == ErrorCode::UnknownTopicOrPartition => {
                    return Err(ClientError::UnknownTopic { topic: name.to_owned() })
                }
                Some(t) if t.error.is_error() && !is_retriable(t.error) => {
                    return Err(ClientError::Kafka {
                        code: t.error,
                        message: None,
                        context: format!("describe topic {name}"),
                    })
                }
                _ => {}
            }
            if started.elapsed() >= timeout {
                return Err(ClientError::Timeout {
                    what: format!("Topic {name} not present in metadata after {} ms.", timeout.as_millis()),
                });
            }
            tokio::time::sleep(self.inner.config.retry_backoff).await;
        }
    }

    /// The leader of a partition, waiting (up to `metadata_timeout`) while the partition has none.
    pub async fn leader_for(&self, topic: &str, partition: i32) -> Result<NodeId, ClientError> {
        let started = Instant::now();
        let timeout = self.inner.config.metadata_timeout;
        let mut metadata = self.topic(topic).await?;
        loop {
            let Some(p) = metadata.partition(partition) else {
                return Err(ClientError::UnknownPartition {
                    topic: topic.to_owned(),
                    partition,
                    count: metadata.partition_count(),
                });
            };
            if let Some(leader) = p.leader() {
                return Ok(leader);
            }
            if started.elapsed() >= timeout {
                return Err(ClientError::Kafka {
                    code: ErrorCode::LeaderNotAvailable,
                    message: Some(format!("no leader after {} ms", timeout.as_millis())),
                    context: format!("{topic}-{partition}"),
                });
            }
            tokio::time::sleep(self.inner.config.retry_backoff).await;
            self.invalidate_topic(topic);
            metadata = self.topic(topic).await?;
        }
    }

    /// The connection to a partition's leader.
    pub async fn leader_connection(&self, topic: &str, partition: i32) -> Result<BrokerConnection, ClientError> {
        let leader = self.leader_for(topic, partition).await?;
        self.connection(leader).await
    }
}

/// A Metadata request for `topics` at `version`.
pub(crate) fn metadata_request(
    topics: &MetadataTopics,
    version: i16,
    allow_auto_topic_creation: bool,
) -> MetadataRequest {
    let topics = match topics {
        // Version 0 has no way to say "no topics": an empty list means all of them there, and null is v1+.
        MetadataTopics::None => Some(Vec::new()),
        MetadataTopics::All if version == 0 => Some(Vec::new()),
        MetadataTopics::All => None,
        MetadataTopics::Some(names) => Some(
            names
                .iter()
                .map(|n| MetadataRequestTopic { name: Some(n.as_str().into()), ..Default::default() })
                .collect(),
        ),
    };
    MetadataRequest { topics, allow_auto_topic_creation, ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_request_topic_lists() {
        assert_eq!(metadata_request(&MetadataTopics::None, 12, false).topics, Some(Vec::new()));
        assert_eq!(metadata_request(&MetadataTopics::All, 12, false).topics, None);
        assert_eq!(metadata_request(&MetadataTopics::All, 0, false).topics, Some(Vec::new()));
        let some = metadata_request(&MetadataTopics::Some(vec!["t".into()]), 12, true);
        assert_eq!(some.topics.map(|t| t.len()), Some(1));
        assert!(some.allow_auto_topic_creation);
    }
}
