//! Administration: topics, partitions, configs, the cluster, offsets and API versions, as Kafka's
//! `AdminClient` offers them to `kafka-topics`, `kafka-configs`, `kafka-get-offsets` and
//! `kafka-broker-api-versions`.
//!
//! Per-item outcomes are returned as typed results carrying the Kafka [`ErrorCode`] and message the broker
//! sent, so a tool can report each topic's fate; a [`ClientError`] means the call as a whole failed.
//! Routing follows Kafka: topic creation, deletion and partition changes go to the controller reported by
//! metadata (retried after NOT_CONTROLLER); broker configs go to that broker; offsets are asked of each
//! partition's leader, grouped per leader, and retried after a metadata refresh when a leader moved.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use flotilla_model::{ErrorCode, NodeId, TopicId};
use flotilla_protocol::messages::create_partitions_request::{CreatePartitionsAssignment, CreatePartitionsTopic};
use flotilla_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use flotilla_protocol::messages::delete_topics_request::DeleteTopicState;
use flotilla_protocol::messages::describe_configs_request::DescribeConfigsResource;
use flotilla_protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
use flotilla_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use flotilla_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use flotilla_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    IncrementalAlterConfigsRequest, ListOffsetsRequest, ListPartitionReassignmentsRequest,
};
use flotilla_protocol::ApiKey;

use crate::cluster::Client;
use crate::config::{ClientConfig, IsolationLevel};
use crate::error::{invalidates_metadata, ClientError};
use crate::metadata::{BrokerInfo, MetadataTopics, TopicMetadata};
use crate::negotiation::ApiVersions;

/// Attempts for calls retried after NOT_CONTROLLER or a moved leader.
const ADMIN_ATTEMPTS: usize = 5;

/// A topic to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    /// `None`: the broker's `num.partitions` (Kafka 2.4+ brokers).
    pub num_partitions: Option<i32>,
    /// `None`: the broker's `default.replication.factor`.
    pub replication_factor: Option<i16>,
    /// Explicit replica assignment: partition index to broker ids (the first is the preferred leader).
    /// When set, `num_partitions` and `replication_factor` must be `None`.
    pub assignments: BTreeMap<i32, Vec<i32>>,
    /// Topic configs (`retention.ms`, `cleanup.policy`...).
    pub configs: Vec<(String, String)>,
}

impl NewTopic {
    /// A topic with this many partitions and replicas.
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            num_partitions: Some(num_partitions),
            replication_factor: Some(replication_factor),
            ..Self::default()
        }
    }

    /// Adds a config.
    #[must_use]
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((key.into(), value.into()));
        self
    }
}

/// Options of [`Admin::create_topics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateTopicsOptions {
    /// Only check that the topics could be created.
    pub validate_only: bool,
    /// How long the controller may take (sent as the request's `timeout_ms`).
    pub timeout: Duration,
}

impl Default for CreateTopicsOptions {
    fn default() -> Self {
        Self { validate_only: false, timeout: Duration::from_secs(25) }
    }
}

/// A config entry as CreateTopics (v5+) reports it for a new topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopicConfig {
    pub name: String,
    pub value: Option<String>,
    pub read_only: bool,
    pub source: ConfigSource,
    pub is_sensitive: bool,
}

/// The outcome for one topic of [`Admin::create_topics`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicResult {
    pub name: String,
    pub error: ErrorCode,
    pub message: Option<String>,
    /// [`TopicId::ZERO`] before CreateTopics v7 or on error.
    pub topic_id: TopicId,
    /// -1 when not reported.
    pub num_partitions: i32,
    /// -1 when not reported.
    pub replication_factor: i16,
    pub configs: Vec<CreatedTopicConfig>,
}

/// A per-topic outcome with no further data (delete topics, create partitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicOutcome {
    pub name: String,
    pub error: ErrorCode,
    pub message: Option<String>,
}

impl TopicOutcome {
    /// `Ok` when the code is NONE, else the error as a [`ClientError`].
    pub fn into_result(self) -> Result<(), ClientError> {
        outcome(self.error, self.message, &self.name)
    }
}

impl CreateTopicResult {
    /// `Ok` when the code is NONE, else the error as a [`ClientError`].
    pub fn into_result(self) -> Result<Self, ClientError> {
        match self.error {
            ErrorCode::None => Ok(self),
            code => Err(ClientError::Kafka { code, message: self.message, context: format!("topic {}", self.name) }),
        }
    }
}

fn outcome(code: ErrorCode, message: Option<String>, context: &str) -> Result<(), ClientError> {
    match code {
        ErrorCode::None => Ok(()),
        code => Err(ClientError::Kafka { code, message, context: context.to_owned() }),
    }
}

/// A partition increase for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartitions {
    pub topic: String,
    /// The new total number of partitions.
    pub total_count: i32,
    /// Replicas of each new partition, in order; `None` lets the controller place them.
    pub assignments: Option<Vec<Vec<i32>>>,
}

/// The kind of a config resource (Kafka's `ConfigResource.Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigResourceType {
    Topic,
    Broker,
    BrokerLogger,
    ClientMetrics,
    Group,
    Unknown(i8),
}

impl ConfigResourceType {
    pub fn as_i8(self) -> i8 {
        match self {
            ConfigResourceType::Topic => 2,
            ConfigResourceType::Broker => 4,
            ConfigResourceType::BrokerLogger => 8,
            ConfigResourceType::ClientMetrics => 16,
            ConfigResourceType::Group => 32,
            ConfigResourceType::Unknown(v) => v,
        }
    }

    pub fn from_i8(v: i8) -> Self {
        match v {
            2 => ConfigResourceType::Topic,
            4 => ConfigResourceType::Broker,
            8 => ConfigResourceType::BrokerLogger,
            16 => ConfigResourceType::ClientMetrics,
            32 => ConfigResourceType::Group,
            other => ConfigResourceType::Unknown(other),
        }
    }
}

/// A resource whose configs are described or altered. A broker is named by its id; the empty name is the
/// cluster-wide broker default.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigResource {
    pub resource_type: ConfigResourceType,
    pub name: String,
}

impl ConfigResource {
    pub fn topic(name: impl Into<String>) -> Self {
        Self { resource_type: ConfigResourceType::Topic, name: name.into() }
    }

    pub fn broker(id: i32) -> Self {
        Self { resource_type: ConfigResourceType::Broker, name: id.to_string() }
    }

    /// The cluster-wide default for broker configs.
    pub fn broker_default() -> Self {
        Self { resource_type: ConfigResourceType::Broker, name: String::new() }
    }

    /// The broker that must answer for this resource: broker configs are read from the broker itself.
    fn node(&self) -> Option<NodeId> {
        match self.resource_type {
            ConfigResourceType::Broker | ConfigResourceType::BrokerLogger => self.name.parse().ok().map(NodeId::new),
            _ => None,
        }
    }
}

pub use flotilla_model::ConfigSource;

/// One place a config value is set, in precedence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// One config of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// `None` for sensitive values and unset ones.
    pub value: Option<String>,
    pub read_only: bool,
    pub source: ConfigSource,
    pub is_sensitive: bool,
    pub synonyms: Vec<ConfigSynonym>,
    /// Kafka's `ConfigType` id (v3+; 0 when unknown).
    pub config_type: i8,
    pub documentation: Option<String>,
}

/// Options of [`Admin::describe_configs`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DescribeConfigsOptions {
    pub include_synonyms: bool,
    pub include_documentation: bool,
}

/// The configs of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigResourceResult {
    pub resource: ConfigResource,
    pub error: ErrorCode,
    pub message: Option<String>,
    pub entries: Vec<ConfigEntry>,
}

/// An incremental config change (Kafka's `AlterConfigOp.OpType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlterConfigOpType {
    Set,
    Delete,
    Append,
    Subtract,
}

impl AlterConfigOpType {
    pub fn as_i8(self) -> i8 {
        match self {
            AlterConfigOpType::Set => 0,
            AlterConfigOpType::Delete => 1,
            AlterConfigOpType::Append => 2,
            AlterConfigOpType::Subtract => 3,
        }
    }
}

/// One change of [`Admin::incremental_alter_configs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigOp {
    pub name: String,
    pub op: AlterConfigOpType,
    pub value: Option<String>,
}

impl AlterConfigOp {
    pub fn set(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), op: AlterConfigOpType::Set, value: Some(value.into()) }
    }

    pub fn delete(name: impl Into<String>) -> Self {
        Self { name: name.into(), op: AlterConfigOpType::Delete, value: None }
    }
}

/// The outcome for one resource of [`Admin::incremental_alter_configs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResult {
    pub resource: ConfigResource,
    pub error: ErrorCode,
    pub message: Option<String>,
}

/// The cluster as DescribeCluster (or, on older brokers, Metadata) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    pub controller_id: NodeId,
    pub brokers: Vec<BrokerInfo>,
}

/// Which offset [`Admin::list_offsets`] looks up (Kafka's `OffsetSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (high watermark, or last stable offset for read_committed).
    Latest,
    /// The offset of the record with the largest timestamp (ListOffsets v7+).
    MaxTimestamp,
    /// The first offset whose timestamp is at least this (ms since the epoch).
    Timestamp(i64),
}

impl OffsetSpec {
    fn wire(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::MaxTimestamp => -3,
            OffsetSpec::Timestamp(t) => t,
        }
    }

    fn min_version(self) -> i16 {
        match self {
            OffsetSpec::MaxTimestamp => 7,
            _ => 1,
        }
    }
}

/// One partition's answer to [`Admin::list_offsets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOffset {
    pub topic: String,
    pub partition: i32,
    pub error: ErrorCode,
    /// -1 when there is no such offset (e.g. no record at or after the timestamp).
    pub offset: i64,
    /// -1 unless the lookup was by timestamp.
    pub timestamp: i64,
    pub leader_epoch: i32,
}

/// One broker's ApiVersions, for `broker-api-versions`.
#[derive(Debug, Clone)]
pub struct BrokerApiVersions {
    pub broker: BrokerInfo,
    pub versions: Result<ApiVersions, ClientError>,
}

/// The administrative client.
#[derive(Debug, Clone)]
pub struct Admin {
    client: Client,
}

/// A partition reassignment in progress: the replicas now (target then those leaving), and which are
/// being added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OngoingReassignment {
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

impl Admin {
    /// An admin client on an existing [`Client`].
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Connects with `config`; admin metadata requests never create topics.
    pub async fn connect(config: ClientConfig) -> Result<Self, ClientError> {
        let config = ClientConfig { allow_auto_topic_creation: false, ..config };
        Ok(Self::new(Client::connect(config).await?))
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates topics. Retried on another controller after NOT_CONTROLLER.
    pub async fn create_topics(
        &self,
        topics: &[NewTopic],
        options: CreateTopicsOptions,
    ) -> Result<Vec<CreateTopicResult>, ClientError> {
        let request = CreateTopicsRequest {
            topics: topics
                .iter()
                .map(|t| CreatableTopic {
                    name: t.name.as_str().into(),
                    num_partitions: t.num_partitions.unwrap_or(-1),
                    replication_factor: t.replication_factor.unwrap_or(-1),
                    assignments: t
                        .assignments
                        .iter()
                        .map(|(p, brokers)| CreatableReplicaAssignment {
                            partition_index: *p,
                            broker_ids: brokers.clone(),
                            ..Default::default()
                        })
                        .collect(),
                    configs: t
                        .configs
                        .iter()
                        .map(|(k, v)| CreatableTopicConfig {
                            name: k.as_str().into(),
                            value: Some(v.as_str().into()),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
            timeout_ms: millis(options.timeout),
            validate_only: options.validate_only,
            ..Default::default()
        };
        let response = self
            .controller_call(&request, |r: &<CreateTopicsRequest as flotilla_protocol::Request>::Response| {
                r.topics.iter().map(|t| t.error_code).collect()
            })
            .await?;
        Ok(response
            .topics
            .into_iter()
            .map(|t| CreateTopicResult {
                name: t.name.to_string(),
                error: ErrorCode::from_code(t.error_code),
                message: t.error_message.map(|m| m.to_string()),
                topic_id: TopicId::new(t.topic_id),
                num_partitions: t.num_partitions,
                replication_factor: t.replication_factor,
                configs: t
                    .configs
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| CreatedTopicConfig {
                        name: c.name.to_string(),
                        value: c.value.map(|v| v.to_string()),
                        read_only: c.read_only,
                        source: ConfigSource::from_i8(c.config_source),
                        is_sensitive: c.is_sensitive,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Deletes topics by name.
    pub async fn delete_topics(&self, names: &[String], timeout: Duration) -> Result<Vec<TopicOutcome>, ClientError> {
        let request = DeleteTopicsRequest {
            // Version 6 names topics in `topics`; earlier versions in `topic_names`. Each version writes only
            // its own field, so both are filled.
            topics: names
                .iter()
                .map(|n| DeleteTopicState { name: Some(n.as_str().into()), ..Default::default() })
                .collect(),
            topic_names: names.iter().map(|n| n.as_str().into()).collect(),
            timeout_ms: millis(timeout),
            ..Default::default()
        };
        let response = self
            .controller_call(&request, |r: &<DeleteTopicsRequest as flotilla_protocol::Request>::Response| {
                r.responses.iter().map(|t| t.error_code).collect()
            })
            .await?;
        for name in names {
            self.client.invalidate_topic(name);
        }
        Ok(response
            .responses
            .into_iter()
            .map(|t| TopicOutcome {
                name: t.name.map(|n| n.to_string()).unwrap_or_default(),
                error: ErrorCode::from_code(t.error_code),
                message: t.error_message.map(|m| m.to_string()),
            })
            .collect())
    }

    /// Raises partition counts.
    pub async fn create_partitions(
        &self,
        requests: &[NewPartitions],
        validate_only: bool,
        timeout: Duration,
    ) -> Result<Vec<TopicOutcome>, ClientError> {
        let request = CreatePartitionsRequest {
            topics: requests
                .iter()
                .map(|r| CreatePartitionsTopic {
                    name: r.topic.as_str().into(),
                    count: r.total_count,
                    assignments: r.assignments.as_ref().map(|a| {
                        a.iter()
                            .map(|brokers| CreatePartitionsAssignment {
                                broker_ids: brokers.clone(),
                                ..Default::default()
                            })
                            .collect()
                    }),
                    ..Default::default()
                })
                .collect(),
            timeout_ms: millis(timeout),
            validate_only,
            ..Default::default()
        };
        let response = self
            .controller_call(&request, |r: &<CreatePartitionsRequest as flotilla_protocol::Request>::Response| {
                r.results.iter().map(|t| t.error_code).collect()
            })
            .await?;
        for r in requests {
            self.client.invalidate_topic(&r.topic);
        }
        Ok(response
            .results
            .into_iter()
            .map(|t| TopicOutcome {
                name: t.name.to_string(),
                error: ErrorCode::from_code(t.error_code),
                message: t.error_message.map(|m| m.to_string()),
            })
            .collect())
    }

    /// Sends a controller request, again to a freshly looked-up controller while any item says NOT_CONTROLLER.
    async fn controller_call<R, F>(&self, request: &R, codes: F) -> Result<R::Response, ClientError>
    where
        R: flotilla_protocol::Request,
        F: Fn(&R::Response) -> Vec<i16>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let conn = self.client.controller_connection().await?;
            let result = conn.send(request).await;
            let retry = match &result {
                Ok(response) => codes(response).contains(&ErrorCode::NotController.code()),
                Err(e) => e.is_retriable(),
            };
            if !retry || attempt >= ADMIN_ATTEMPTS {
                return result;
            }
            tokio::time::sleep(self.client.config().retry_backoff).await;
            self.client.describe_metadata(MetadataTopics::None).await?;
        }
    }

    /// Topic names, sorted; internal topics (`__consumer_offsets`...) only when asked.
    pub async fn list_topics(&self, include_internal: bool) -> Result<Vec<String>, ClientError> {
        let metadata = self.client.describe_metadata(MetadataTopics::All).await?;
        let mut names: Vec<String> = metadata
            .topics
            .values()
            .filter(|t| t.error == ErrorCode::None && (include_internal || !t.is_internal))
            .map(|t| t.name.clone())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Describes topics (all when `names` is empty), sorted by name. A topic that does not exist is returned
    /// with its error code (UNKNOWN_TOPIC_OR_PARTITION).
    pub async fn describe_topics(&self, names: &[String]) -> Result<Vec<Arc<TopicMetadata>>, ClientError> {
        let asked = if names.is_empty() { MetadataTopics::All } else { MetadataTopics::Some(names.to_vec()) };
        let metadata = self.client.describe_metadata(asked).await?;
        let mut topics: Vec<Arc<TopicMetadata>> = if names.is_empty() {
            metadata.topics.values().cloned().collect()
        } else {
            names.iter().filter_map(|n| metadata.topic(n).cloned()).collect()
        };
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// Describes the configs of resources; broker resources are asked of the broker itself.
    pub async fn describe_configs(
        &self,
        resources: &[ConfigResource],
        options: DescribeConfigsOptions,
    ) -> Result<Vec<ConfigResourceResult>, ClientError> {
        let mut results = Vec::with_capacity(resources.len());
        for (node, group) in group_by_node(resources) {
            let request = DescribeConfigsRequest {
                resources: group
                    .iter()
                    .map(|r| DescribeConfigsResource {
                        resource_type: r.resource_type.as_i8(),
                        resource_name: r.name.as_str().into(),
                        configuration_keys: None,
                        ..Default::default()
                    })
                    .collect(),
                include_synonyms: options.include_synonyms,
                include_documentation: options.include_documentation,
                ..Default::default()
            };
            let response = match node {
                Some(node) => self.client.send_to(node, &request).await?,
                None => self.client.send_any(&request).await?,
            };
            results.extend(response.results.into_iter().map(|r| {
                ConfigResourceResult {
                    resource: ConfigResource {
                        resource_type: ConfigResourceType::from_i8(r.resource_type),
                        name: r.resource_name.to_string(),
                    },
                    error: ErrorCode::from_code(r.error_code),
                    message: r.error_message.map(|m| m.to_string()),
                    entries: r
                        .configs
                        .into_iter()
                        .map(|c| ConfigEntry {
                            name: c.name.to_string(),
                            value: c.value.map(|v| v.to_string()),
                            read_only: c.read_only,
                            source: ConfigSource::from_i8(c.config_source),
                            is_sensitive: c.is_sensitive,
                            synonyms: c
                                .synonyms
                                .into_iter()
                                .map(|s| ConfigSynonym {
                                    name: s.name.to_string(),
                                    value: s.value.map(|v| v.to_string()),
                                    source: ConfigSource::from_i8(s.source),
                                })
                                .collect(),
                            config_type: c.config_type,
                            documentation: c.documentation.map(|d| d.to_string()),
                        })
                        .collect(),
                }
            }));
        }
        Ok(results)
    }

    /// Applies incremental config changes; broker resources are sent to the broker itself.
    pub async fn incremental_alter_configs(
        &self,
        changes: &[(ConfigResource, Vec<AlterConfigOp>)],
        validate_only: bool,
    ) -> Result<Vec<AlterConfigsResult>, ClientError> {
        let resources: Vec<ConfigResource> = changes.iter().map(|(r, _)| r.clone()).collect();
        let ops: HashMap<&ConfigResource, &Vec<AlterConfigOp>> = changes.iter().map(|(r, o)| (r, o)).collect();
        let mut results = Vec::with_capacity(changes.len());
        for (node, group) in group_by_node(&resources) {
            let request = IncrementalAlterConfigsRequest {
                resources: group
                    .iter()
                    .map(|r| AlterConfigsResource {
                        resource_type: r.resource_type.as_i8(),
                        resource_name: r.name.as_str().into(),
                        configs: ops
                            .get(r)
                            .map(|ops| {
                                ops.iter()
                                    .map(|op| AlterableConfig {
                                        name: op.name.as_str().into(),
                                        config_operation: op.op.as_i8(),
                                        value: op.value.as_deref().map(Into::into),
                                        ..Default::default()
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        ..Default::default()
                    })
                    .collect(),
                validate_only,
                ..Default::default()
            };
            let response = match node {
                Some(node) => self.client.send_to(node, &request).await?,
                None => self.client.send_any(&request).await?,
            };
            results.extend(response.responses.into_iter().map(|r| AlterConfigsResult {
                resource: ConfigResource {
                    resource_type: ConfigResourceType::from_i8(r.resource_type),
                    name: r.resource_name.to_string(),
                },
                error: ErrorCode::from_code(r.error_code),
                message: r.error_message.map(|m| m.to_string()),
            }));
        }
        Ok(results)
    }

    /// The partition reassignments in progress (ListPartitionReassignments), all of them or those of
    /// `partitions`, by (topic, partition).
    pub async fn list_partition_reassignments(
        &self,
        partitions: Option<&[(String, i32)]>,
    ) -> Result<BTreeMap<(String, i32), OngoingReassignment>, ClientError> {
        let topics = partitions.map(|list| {
            let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            for (topic, partition) in list {
                by_topic.entry(topic.as_str()).or_default().push(*partition);
            }
            by_topic
                .into_iter()
                .map(|(name, partition_indexes)| ListPartitionReassignmentsTopics {
                    name: name.into(),
                    partition_indexes,
                    ..Default::default()
                })
                .collect()
        });
        let request = ListPartitionReassignmentsRequest { timeout_ms: 30_000, topics, ..Default::default() };
        let response = self.client.send_any(&request).await?;
        if response.error_code != 0 {
            return Err(ClientError::kafka(
                response.error_code,
                response.error_message.as_deref(),
                "ListPartitionReassignments",
            ));
        }
        Ok(response
            .topics
            .into_iter()
            .flat_map(|t| {
                let name = t.name.to_string();
                t.partitions.into_iter().map(move |p| {
                    let ongoing = OngoingReassignment {
                        replicas: p.replicas,
                        adding_replicas: p.adding_replicas,
                        removing_replicas: p.removing_replicas,
                    };
                    ((name.clone(), p.partition_index), ongoing)
                })
            })
            .collect())
    }

    /// The cluster id, controller and brokers: from DescribeCluster when the broker has it, else Metadata.
    pub async fn describe_cluster(&self) -> Result<ClusterDescription, ClientError> {
        let conn = self.client.any_connection().await?;
        if conn.version_for(ApiKey::DescribeCluster).is_ok() {
            let response = self.client.send_any(&DescribeClusterRequest::default()).await?;
            if response.error_code != 0 {
                return Err(ClientError::kafka(
                    response.error_code,
                    response.error_message.as_deref(),
                    "DescribeCluster",
                ));
            }
            return Ok(ClusterDescription {
                cluster_id: Some(response.cluster_id.to_string()),
                controller_id: NodeId::new(response.controller_id),
                brokers: response
                    .brokers
                    .into_iter()
                    .map(|b| BrokerInfo {
                        node_id: NodeId::new(b.broker_id),
                        host: b.host.to_string(),
                        port: b.port,
                        rack: b.rack.map(|r| r.to_string()),
                    })
                    .collect(),
            });
        }
        let metadata = self.client.describe_metadata(MetadataTopics::None).await?;
        Ok(ClusterDescription {
            cluster_id: metadata.cluster_id.clone(),
            controller_id: metadata.controller_id,
            brokers: metadata.brokers.values().cloned().collect(),
        })
    }

    /// Looks up offsets of partitions, asking each partition's leader (one request per leader) and retrying
    /// partitions whose leader moved. Results come in request order.
    pub async fn list_offsets(
        &self,
        requests: &[(String, i32, OffsetSpec)],
        isolation: IsolationLevel,
    ) -> Result<Vec<ListedOffset>, ClientError> {
        list_offsets(&self.client, requests, isolation).await
    }

    /// Every broker's ApiVersions, for `broker-api-versions`; a broker that cannot be reached carries its
    /// error.
    pub async fn broker_api_versions(&self) -> Result<Vec<BrokerApiVersions>, ClientError> {
        let metadata = self.client.describe_metadata(MetadataTopics::None).await?;
        let mut out = Vec::with_capacity(metadata.brokers.len());
        for broker in metadata.brokers.values() {
            let versions = self.client.connection(broker.node_id).await.map(|c| c.api_versions());
            out.push(BrokerApiVersions { broker: broker.clone(), versions });
        }
        Ok(out)
    }
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Groups resources by the broker that must answer for them (`None`: any), keeping their order.
fn group_by_node(resources: &[ConfigResource]) -> Vec<(Option<NodeId>, Vec<&ConfigResource>)> {
    let mut groups: Vec<(Option<NodeId>, Vec<&ConfigResource>)> = Vec::new();
    for r in resources {
        let node = r.node();
        match groups.iter_mut().find(|(n, _)| *n == node) {
            Some((_, g)) => g.push(r),
            None => groups.push((node, vec![r])),
        }
    }
    groups
}

/// [`Admin::list_offsets`], for the consumer too.
pub(crate) async fn list_offsets(
    client: &Client,
    requests: &[(String, i32, OffsetSpec)],
    isolation: IsolationLevel,
) -> Result<Vec<ListedOffset>, ClientError> {
    let mut results: Vec<Option<ListedOffset>> = vec![None; requests.len()];
    let mut pending: Vec<usize> = (0..requests.len()).collect();
    for attempt in 1..=ADMIN_ATTEMPTS {
        // Group what is left by leader.
        let mut by_leader: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
        for &i in &pending {
            let Some((topic, partition, _)) = requests.get(i) else { continue };
            match client.leader_for(topic, *partition).await {
                Ok(leader) => by_leader.entry(leader).or_default().push(i),
                Err(e) if !e.is_retriable() || attempt == ADMIN_ATTEMPTS => return Err(e),
                Err(_) => {}
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (leader, indexes) in by_leader {
            let client = client.clone();
            let asked: Vec<(usize, String, i32, OffsetSpec)> =
                indexes.iter().filter_map(|&i| requests.get(i).map(|(t, p, s)| (i, t.clone(), *p, *s))).collect();
            tasks.spawn(async move {
                let result = list_offsets_on(&client, leader, &asked, isolation).await;
                (asked, result)
            });
        }
        let mut retry = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((asked, result)) = joined else { continue };
            match result {
                Ok(answers) => {
                    for (i, answer) in answers {
                        if invalidates_metadata(answer.error) && attempt < ADMIN_ATTEMPTS {
                            client.invalidate_topic(&answer.topic);
                            retry.push(i);
                        } else if let Some(slot) = results.get_mut(i) {
                            *slot = Some(answer);
                        }
                    }
                }
                Err(e) if e.is_retriable() && attempt < ADMIN_ATTEMPTS => {
                    for (i, topic, _, _) in asked {
                        client.invalidate_topic(&topic);
                        retry.push(i);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        // Partitions whose leader was unknown this round are retried too.
        retry.extend(pending.iter().copied().filter(|&i| results.get(i).is_some_and(Option::is_none)));
        retry.sort_unstable();
        retry.dedup();
        pending = retry;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(client.config().retry_backoff).await;
    }
    Ok(results
        .into_iter()
        .zip(requests)
        .map(|(r, (topic, partition, _))| {
            r.unwrap_or_else(|| ListedOffset {
                topic: topic.clone(),
                partition: *partition,
                error: ErrorCode::LeaderNotAvailable,
                offset: -1,
                timestamp: -1,
                leader_epoch: -1,
            })
        })
        .collect())
}

/// One ListOffsets request to `leader` for `asked` (index, topic, partition, spec).
async fn list_offsets_on(
    client: &Client,
    leader: NodeId,
    asked: &[(usize, String, i32, OffsetSpec)],
    isolation: IsolationLevel,
) -> Result<Vec<(usize, ListedOffset)>, ClientError> {
    let conn = client.connection(leader).await?;
    let version = conn.version_for(ApiKey::ListOffsets)?;
    if let Some((_, _, _, spec)) = asked.iter().find(|(_, _, _, s)| version < s.min_version()) {
        return Err(ClientError::UnsupportedVersion {
            node: leader.get(),
            api: ApiKey::ListOffsets.name(),
            ours: flotilla_protocol::VersionRange { min: spec.min_version(), max: ApiKey::ListOffsets.versions().max },
            theirs: conn.api_versions().broker_range(ApiKey::ListOffsets),
        });
    }
    let mut topics: Vec<ListOffsetsTopic> = Vec::new();
    for (_, topic, partition, spec) in asked {
        let entry = match topics.iter_mut().position(|t| &*t.name == topic.as_str()) {
            Some(i) => &mut topics[i],
            None => {
                topics.push(ListOffsetsTopic { name: topic.as_str().into(), ..Default::default() });
                let last = topics.len() - 1;
                &mut topics[last]
            }
        };
        entry.partitions.push(ListOffsetsPartition {
            partition_index: *partition,
            timestamp: spec.wire(),
            ..Default::default()
        });
    }
    let request = ListOffsetsRequest {
        replica_id: -1,
        isolation_level: isolation.as_i8(),
        topics,
        timeout_ms: millis(client.config().request_timeout),
        ..Default::default()
    };
    let response = conn.send_at(&request, version).await?;
    let mut out = Vec::with_capacity(asked.len());
    for (i, topic, partition, _) in asked {
        let answer = response
            .topics
            .iter()
            .filter(|t| &*t.name == topic.as_str())
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == *partition);
        let listed = match answer {
            Some(p) => ListedOffset {
                topic: topic.clone(),
                partition: *partition,
                error: ErrorCode::from_code(p.error_code),
                offset: p.offset,
                timestamp: p.timestamp,
                leader_epoch: p.leader_epoch,
            },
            None => ListedOffset {
                topic: topic.clone(),
                partition: *partition,
                error: ErrorCode::UnknownServerError,
                offset: -1,
                timestamp: -1,
                leader_epoch: -1,
            },
        };
        out.push((*i, listed));
    }
    Ok(out)
}
