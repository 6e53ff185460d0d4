//! A minimal Kafka broker for the client's tests: real TCP listeners on 127.0.0.1 port 0 that speak the
//! protocol with flotilla-protocol's frame functions and answer from an in-memory cluster state. It is a
//! peer for the client, not a broker: one shared state stands for every node, logs are `Vec`s of stamped
//! batches, and scripted faults (an error code, a dropped connection) let tests drive the client's error
//! handling deterministically.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flotilla_protocol::frame::{decode_request, encode_response, frame_size};
use flotilla_protocol::messages::api_versions_response::ApiVersion;
use flotilla_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use flotilla_protocol::messages::create_topics_response::CreatableTopicResult;
use flotilla_protocol::messages::delete_topics_response::DeletableTopicResult;
use flotilla_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use flotilla_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use flotilla_protocol::messages::fetch_response::{AbortedTransaction, FetchableTopicResponse, PartitionData};
use flotilla_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use flotilla_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use flotilla_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use flotilla_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use flotilla_protocol::messages::*;
use flotilla_protocol::records::{Batches, Record, RecordBatch, RecordBatchHeader};
use flotilla_protocol::{ApiKey, RequestBody, ResponseBody, Uuid};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Something a test wants to go wrong once.
#[derive(Debug, Clone)]
pub struct Fault {
    pub api: ApiKey,
    pub node: Option<i32>,
    pub topic: Option<String>,
    pub partition: Option<i32>,
    pub action: FaultAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer the matching partition (or the request) with this error code.
    Error(i16),
    /// Close the connection without answering.
    Disconnect,
    /// Append the produced batches, then close the connection without answering.
    AppendThenDisconnect,
}

impl Fault {
    pub fn produce(topic: &str, partition: i32, action: FaultAction) -> Self {
        Fault { api: ApiKey::Produce, node: None, topic: Some(topic.into()), partition: Some(partition), action }
    }

    pub fn fetch(topic: &str, partition: i32, action: FaultAction) -> Self {
        Fault { api: ApiKey::Fetch, node: None, topic: Some(topic.into()), partition: Some(partition), action }
    }

    fn matches(&self, api: ApiKey, node: i32, topic: Option<&str>, partition: Option<i32>) -> bool {
        self.api == api
            && self.node.is_none_or(|n| n == node)
            && (self.topic.is_none() || self.topic.as_deref() == topic)
            && (self.partition.is_none() || self.partition == partition)
    }
}

#[derive(Debug, Clone)]
pub struct StoredBatch {
    pub base_offset: i64,
    pub bytes: Bytes,
}

#[derive(Debug, Default)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub last_sequence: i32,
    /// (first sequence, base offset) of recent batches, for duplicate detection.
    pub recent: VecDeque<(i32, i64)>,
}

#[derive(Debug)]
pub struct PartitionState {
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub log_start: i64,
    pub next_offset: i64,
    pub batches: Vec<StoredBatch>,
    pub producers: HashMap<i64, ProducerEntry>,
    /// (producer id, first offset) of aborted transactions, returned to read_committed fetches.
    pub aborted: Vec<(i64, i64)>,
}

impl PartitionState {
    fn new(leader: i32, replicas: Vec<i32>) -> Self {
        PartitionState {
            leader,
            leader_epoch: 0,
            replicas,
            log_start: 0,
            next_offset: 0,
            batches: Vec::new(),
            producers: HashMap::new(),
            aborted: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct TopicState {
    pub id: Uuid,
    pub partitions: Vec<PartitionState>,
    pub configs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLog {
    pub node: i32,
    pub api: ApiKey,
    pub version: i16,
    pub correlation_id: i32,
}

/// The shared state of the fake cluster.
#[derive(Debug)]
pub struct ClusterState {
    pub cluster_id: String,
    pub controller_id: i32,
    pub nodes: Vec<(i32, SocketAddr)>,
    pub topics: BTreeMap<String, TopicState>,
    pub auto_create_partitions: Option<i32>,
    /// Highest ApiVersions version served; higher requests get a v0 UNSUPPORTED_VERSION answer.
    pub api_versions_max: i16,
    /// Whether that answer lists the ApiVersions range (KIP-511) or nothing (older brokers).
    pub api_versions_advertise_on_error: bool,
    /// Per-API maximum versions advertised, overriding the codec's.
    pub max_versions: HashMap<ApiKey, i16>,
    pub faults: VecDeque<Fault>,
    pub requests: Vec<RequestLog>,
    /// Each connection reads this many requests before answering the first (to observe pipelining).
    pub hold_requests: usize,
    /// Largest number of requests one connection had received and not yet answered.
    pub max_unanswered: usize,
    pub next_producer_id: i64,
    pub connections: usize,
    /// Count produced records without storing them (throughput runs).
    pub discard_produce: bool,
    pub discarded_records: u64,
}

impl ClusterState {
    fn new(cluster_id: &str) -> Self {
        ClusterState {
            cluster_id: cluster_id.into(),
            controller_id: 1,
            nodes: Vec::new(),
            topics: BTreeMap::new(),
            auto_create_partitions: None,
            api_versions_max: 4,
            api_versions_advertise_on_error: true,
            max_versions: HashMap::new(),
            faults: VecDeque::new(),
            requests: Vec::new(),
            hold_requests: 0,
            max_unanswered: 0,
            next_producer_id: 1000,
            connections: 0,
            discard_produce: false,
            discarded_records: 0,
        }
    }

    pub fn partition(&mut self, topic: &str, partition: i32) -> &mut PartitionState {
        self.topics.get_mut(topic).unwrap().partitions.get_mut(partition as usize).unwrap()
    }

    pub fn add_topic(&mut self, name: &str, partitions: i32, leaders: &[i32]) {
        let nodes: Vec<i32> = self.nodes.iter().map(|n| n.0).collect();
        let parts = (0..partitions)
            .map(|p| {
                let leader = if leaders.is_empty() { nodes[p as usize % nodes.len()] } else { leaders[p as usize] };
                PartitionState::new(leader, vec![leader])
            })
            .collect();
        self.topics.insert(
            name.into(),
            TopicState {
                id: Uuid::from_u128(0x1000 + self.topics.len() as u128),
                partitions: parts,
                configs: BTreeMap::new(),
            },
        );
    }

    fn take_fault(
        &mut self,
        api: ApiKey,
        node: i32,
        topic: Option<&str>,
        partition: Option<i32>,
    ) -> Option<FaultAction> {
        let i = self.faults.iter().position(|f| f.matches(api, node, topic, partition))?;
        self.faults.remove(i).map(|f| f.action)
    }

    fn topic_name_by_id(&self, id: Uuid) -> Option<String> {
        self.topics.iter().find(|(_, t)| t.id == id).map(|(n, _)| n.clone())
    }
}

/// A running fake cluster.
pub struct TestCluster {
    pub state: Arc<Mutex<ClusterState>>,
    pub changed: Arc<Notify>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl TestCluster {
    /// Starts `nodes` brokers with ids 1..=nodes.
    pub async fn start(nodes: usize) -> TestCluster {
        let state = Arc::new(Mutex::new(ClusterState::new("test-cluster")));
        let changed = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        for i in 0..nodes {
            let node = i as i32 + 1;
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            state.lock().unwrap().nodes.push((node, addr));
            let (state, changed) = (Arc::clone(&state), Arc::clone(&changed));
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok((socket, _)) = listener.accept().await else { return };
                    state.lock().unwrap().connections += 1;
                    let (state, changed) = (Arc::clone(&state), Arc::clone(&changed));
                    tokio::spawn(serve(node, socket, state, changed));
                }
            }));
        }
        TestCluster { state, changed, tasks }
    }

    pub fn lock(&self) -> MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap()
    }

    /// `host:port` of node `node`.
    pub fn address(&self, node: i32) -> String {
        let state = self.lock();
        state.nodes.iter().find(|n| n.0 == node).map(|n| n.1.to_string()).unwrap()
    }

    pub fn bootstrap(&self) -> String {
        self.address(1)
    }

    pub fn add_topic(&self, name: &str, partitions: i32, leaders: &[i32]) {
        self.lock().add_topic(name, partitions, leaders);
    }

    /// Appends a batch as the leader would (offsets assigned), returning its base offset.
    pub fn append(&self, topic: &str, partition: i32, batch: Bytes) -> i64 {
        let mut state = self.lock();
        let part = state.partition(topic, partition);
        append(part, RecordBatch::parse(batch).unwrap()).unwrap()
    }

    /// Drops whole batches below `offset` and moves the log start there (retention).
    pub fn truncate_before(&self, topic: &str, partition: i32, offset: i64) {
        let mut state = self.lock();
        let part = state.partition(topic, partition);
        part.batches.retain(|b| RecordBatchHeader::parse(&b.bytes).unwrap().last_offset() >= offset);
        part.log_start = offset;
    }

    pub fn fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Waits (up to 10 s) until `cond` holds, re-checking whenever a request has been handled.
    pub async fn wait_until<F: FnMut(&ClusterState) -> bool>(&self, mut cond: F) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if cond(&self.lock()) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("condition not reached within 10 s");
            }
        }
    }

    /// Every record stored in a partition, in offset order.
    pub fn records(&self, topic: &str, partition: i32) -> Vec<Record> {
        let mut state = self.lock();
        let p = state.partition(topic, partition);
        p.batches
            .iter()
            .flat_map(|b| {
                RecordBatch::parse(b.bytes.clone()).unwrap().records(usize::MAX).map(|r| r.unwrap()).collect::<Vec<_>>()
            })
            .collect()
    }

    /// The headers of the batches stored in a partition.
    pub fn batch_headers(&self, topic: &str, partition: i32) -> Vec<RecordBatchHeader> {
        let mut state = self.lock();
        state.partition(topic, partition).batches.iter().map(|b| RecordBatchHeader::parse(&b.bytes).unwrap()).collect()
    }

    /// The versions used for `api`, in request order.
    pub fn versions_used(&self, api: ApiKey) -> Vec<i16> {
        self.lock().requests.iter().filter(|r| r.api == api).map(|r| r.version).collect()
    }

    pub fn count(&self, api: ApiKey) -> usize {
        self.lock().requests.iter().filter(|r| r.api == api).count()
    }
}

async fn serve(node: i32, mut socket: TcpStream, state: Arc<Mutex<ClusterState>>, changed: Arc<Notify>) {
    let _ = socket.set_nodelay(true);
    let mut held: Vec<Bytes> = Vec::new();
    loop {
        let mut prefix = [0u8; 4];
        if socket.read_exact(&mut prefix).await.is_err() {
            return;
        }
        let Ok(size) = frame_size(prefix, 64 << 20) else { return };
        let mut body = BytesMut::zeroed(size);
        if socket.read_exact(&mut body).await.is_err() {
            return;
        }
        let reply = handle_frame(node, body.freeze(), &state);
        changed.notify_waiters();
        let reply = match reply {
            Reply::Frame(bytes) => Some(bytes),
            Reply::Nothing => None,
            Reply::Disconnect => return,
        };
        if let Some(bytes) = reply {
            held.push(bytes);
        }
        let release = {
            let mut s = state.lock().unwrap();
            s.max_unanswered = s.max_unanswered.max(held.len());
            // A hold is one-shot: once that many answers are waiting, they all go out.
            if held.len() >= s.hold_requests {
                s.hold_requests = 0;
                true
            } else {
                false
            }
        };
        if release {
            for bytes in held.drain(..) {
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

enum Reply {
    Frame(Bytes),
    Nothing,
    Disconnect,
}

fn handle_frame(node: i32, frame: Bytes, state: &Mutex<ClusterState>) -> Reply {
    let mut s = state.lock().unwrap();
    // ApiVersions newer than served: a v0 body with UNSUPPORTED_VERSION, whatever version was asked.
    if let [0, 18, v0, v1, c0, c1, c2, c3, ..] = frame[..] {
        let version = i16::from_be_bytes([v0, v1]);
        let correlation_id = i32::from_be_bytes([c0, c1, c2, c3]);
        if version > s.api_versions_max {
            s.requests.push(RequestLog { node, api: ApiKey::ApiVersions, version, correlation_id });
            let api_keys = if s.api_versions_advertise_on_error {
                vec![ApiVersion { api_key: 18, min_version: 0, max_version: s.api_versions_max, ..Default::default() }]
            } else {
                Vec::new()
            };
            let body =
                ResponseBody::ApiVersions(ApiVersionsResponse { error_code: 35, api_keys, ..Default::default() });
            return Reply::Frame(encode_response(correlation_id, 0, &body).unwrap().to_bytes());
        }
    }
    let request = decode_request(frame).expect("the client sends well-formed requests");
    let version = request.header.request_api_version;
    let correlation_id = request.header.correlation_id;
    let api = request.body.api_key();
    s.requests.push(RequestLog { node, api, version, correlation_id });
    let body = match request.body {
        RequestBody::ApiVersions(_) => ResponseBody::ApiVersions(api_versions(&s)),
        RequestBody::Metadata(r) => ResponseBody::Metadata(metadata(&mut s, &r, version)),
        RequestBody::Produce(r) => match produce(&mut s, node, &r) {
            Ok(response) if r.acks == 0 => {
                let _ = response;
                return Reply::Nothing;
            }
            Ok(response) => ResponseBody::Produce(response),
            Err(()) => return Reply::Disconnect,
        },
        RequestBody::Fetch(r) => match fetch(&mut s, node, &r) {
            Ok(response) => ResponseBody::Fetch(response),
            Err(()) => return Reply::Disconnect,
        },
        RequestBody::ListOffsets(r) => ResponseBody::ListOffsets(list_offsets(&mut s, node, &r)),
        RequestBody::CreateTopics(r) => ResponseBody::CreateTopics(create_topics(&mut s, node, &r)),
        RequestBody::DeleteTopics(r) => ResponseBody::DeleteTopics(delete_topics(&mut s, &r)),
        RequestBody::CreatePartitions(r) => ResponseBody::CreatePartitions(create_partitions(&mut s, &r)),
        RequestBody::DescribeConfigs(r) => ResponseBody::DescribeConfigs(describe_configs(&s, &r)),
        RequestBody::IncrementalAlterConfigs(r) => {
            ResponseBody::IncrementalAlterConfigs(incremental_alter_configs(&mut s, &r))
        }
        RequestBody::DescribeCluster(_) => ResponseBody::DescribeCluster(describe_cluster(&s)),
        RequestBody::InitProducerId(_) => {
            let producer_id = s.next_producer_id;
            s.next_producer_id += 1;
            ResponseBody::InitProducerId(InitProducerIdResponse {
                producer_id,
                producer_epoch: 0,
                ..Default::default()
            })
        }
        // No reassignment is ever in progress here (topics --describe asks, as Kafka's tool does).
        RequestBody::ListPartitionReassignments(_) => {
            ResponseBody::ListPartitionReassignments(ListPartitionReassignmentsResponse::default())
        }
        other => panic!("the test broker does not serve {:?}", other.api_key()),
    };
    Reply::Frame(encode_response(correlation_id, version, &body).unwrap().to_bytes())
}

fn api_versions(s: &ClusterState) -> ApiVersionsResponse {
    let api_keys = ApiKey::ALL
        .iter()
        .map(|api| {
            let v = api.versions();
            let max = s.max_versions.get(api).copied().unwrap_or(v.max);
            let max = if *api == ApiKey::ApiVersions { max.min(s.api_versions_max) } else { max };
            ApiVersion { api_key: api.key(), min_version: v.min.min(max), max_version: max, ..Default::default() }
        })
        .collect();
    ApiVersionsResponse { api_keys, ..Default::default() }
}

fn metadata(s: &mut ClusterState, r: &MetadataRequest, version: i16) -> MetadataResponse {
    let names: Vec<String> = match &r.topics {
        None => s.topics.keys().cloned().collect(),
        Some(t) if t.is_empty() && version == 0 => s.topics.keys().cloned().collect(),
        Some(t) => t.iter().filter_map(|t| t.name.as_ref().map(ToString::to_string)).collect(),
    };
    let topics = names
        .into_iter()
        .map(|name| {
            if !s.topics.contains_key(&name) {
                if let (true, Some(n)) = (r.allow_auto_topic_creation, s.auto_create_partitions) {
                    s.add_topic(&name, n, &[]);
                    // Kafka answers the request that created the topic with LEADER_NOT_AVAILABLE.
                    return MetadataResponseTopic {
                        error_code: 5,
                        name: Some(name.as_str().into()),
                        ..Default::default()
                    };
                }
            }
            match s.topics.get(&name) {
                None => MetadataResponseTopic { error_code: 3, name: Some(name.as_str().into()), ..Default::default() },
                Some(t) => MetadataResponseTopic {
                    name: Some(name.as_str().into()),
                    topic_id: t.id,
                    partitions: t
                        .partitions
                        .iter()
                        .enumerate()
                        .map(|(i, p)| MetadataResponsePartition {
                            partition_index: i as i32,
                            leader_id: p.leader,
                            leader_epoch: p.leader_epoch,
                            replica_nodes: p.replicas.clone(),
                            isr_nodes: p.replicas.clone(),
                            error_code: if p.leader < 0 { 5 } else { 0 },
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                },
            }
        })
        .collect();
    MetadataResponse {
        brokers: s
            .nodes
            .iter()
            .map(|(id, addr)| MetadataResponseBroker {
                node_id: *id,
                host: addr.ip().to_string().as_str().into(),
                port: i32::from(addr.port()),
                ..Default::default()
            })
            .collect(),
        cluster_id: Some(s.cluster_id.as_str().into()),
        controller_id: s.controller_id,
        topics,
        ..Default::default()
    }
}

fn produce(s: &mut ClusterState, node: i32, r: &ProduceRequest) -> Result<ProduceResponse, ()> {
    let mut responses = Vec::new();
    let mut disconnect = false;
    let discard = s.discard_produce;
    let mut discarded = 0;
    for t in &r.topic_data {
        let name =
            if t.topic_id.is_nil() { t.name.to_string() } else { s.topic_name_by_id(t.topic_id).unwrap_or_default() };
        let mut partition_responses = Vec::new();
        for p in &t.partition_data {
            let mut answer = PartitionProduceResponse { index: p.index, base_offset: -1, ..Default::default() };
            match s.take_fault(ApiKey::Produce, node, Some(&name), Some(p.index)) {
                Some(FaultAction::Error(code)) => {
                    answer.error_code = code;
                    partition_responses.push(answer);
                    continue;
                }
                Some(FaultAction::Disconnect) => return Err(()),
                Some(FaultAction::AppendThenDisconnect) => disconnect = true,
                None => {}
            }
            let Some(topic) = s.topics.get_mut(&name) else {
                answer.error_code = 3;
                partition_responses.push(answer);
                continue;
            };
            let Some(part) = topic.partitions.get_mut(p.index as usize) else {
                answer.error_code = 3;
                partition_responses.push(answer);
                continue;
            };
            if part.leader != node {
                answer.error_code = 6;
                partition_responses.push(answer);
                continue;
            }
            let records = p.records.clone().unwrap_or_default();
            if discard {
                let mut rest = &records[..];
                let mut count = 0u64;
                while let Ok(h) = RecordBatchHeader::peek(rest) {
                    count += h.record_count() as u64;
                    rest = &rest[h.total_size().min(rest.len())..];
                }
                answer.base_offset = part.next_offset;
                part.next_offset += count as i64;
                discarded += count;
                partition_responses.push(answer);
                continue;
            }
            let mut first_base = None;
            for batch in Batches::new(records) {
                let batch = batch.expect("valid batches");
                match append(part, batch) {
                    Ok(base) => {
                        first_base.get_or_insert(base);
                    }
                    Err(code) => answer.error_code = code,
                }
            }
            answer.base_offset = first_base.unwrap_or(-1);
            answer.log_start_offset = part.log_start;
            partition_responses.push(answer);
        }
        responses.push(TopicProduceResponse {
            name: t.name.clone(),
            topic_id: t.topic_id,
            partition_responses,
            ..Default::default()
        });
    }
    s.discarded_records += discarded;
    if disconnect {
        return Err(());
    }
    Ok(ProduceResponse { responses, ..Default::default() })
}

/// Appends one batch as a leader would: idempotence checks, then offsets.
fn append(part: &mut PartitionState, batch: RecordBatch) -> Result<i64, i16> {
    let h = *batch.header();
    if h.producer_id() >= 0 && h.base_sequence() >= 0 {
        let entry = part.producers.entry(h.producer_id()).or_insert(ProducerEntry {
            epoch: h.producer_epoch(),
            last_sequence: -1,
            recent: VecDeque::new(),
        });
        if h.producer_epoch() > entry.epoch {
            *entry = ProducerEntry { epoch: h.producer_epoch(), last_sequence: -1, recent: VecDeque::new() };
        }
        if let Some(&(_, base)) = entry.recent.iter().find(|(seq, _)| *seq == h.base_sequence()) {
            return Ok(base);
        }
        if h.base_sequence() != entry.last_sequence.wrapping_add(1) {
            return Err(45);
        }
        entry.last_sequence = h.last_sequence();
        entry.recent.push_back((h.base_sequence(), part.next_offset));
        if entry.recent.len() > 5 {
            entry.recent.pop_front();
        }
    }
    let base_offset = part.next_offset;
    let mut stamped = batch.stamp();
    stamped.set_base_offset(base_offset);
    stamped.set_partition_leader_epoch(part.leader_epoch);
    part.batches.push(StoredBatch { base_offset, bytes: stamped.to_bytes() });
    part.next_offset += i64::from(h.last_offset_delta()) + 1;
    Ok(base_offset)
}

fn fetch(s: &mut ClusterState, node: i32, r: &FetchRequest) -> Result<FetchResponse, ()> {
    let mut responses = Vec::new();
    for t in &r.topics {
        let name =
            if t.topic_id.is_nil() { t.topic.to_string() } else { s.topic_name_by_id(t.topic_id).unwrap_or_default() };
        let mut partitions = Vec::new();
        for p in &t.partitions {
            let mut answer = PartitionData { partition_index: p.partition, high_watermark: -1, ..Default::default() };
            match s.take_fault(ApiKey::Fetch, node, Some(&name), Some(p.partition)) {
                Some(FaultAction::Error(code)) => {
                    answer.error_code = code;
                    partitions.push(answer);
                    continue;
                }
                Some(FaultAction::Disconnect | FaultAction::AppendThenDisconnect) => return Err(()),
                None => {}
            }
            let part = s.topics.get(&name).and_then(|t| t.partitions.get(p.partition as usize));
            let Some(part) = part else {
                answer.error_code = 3;
                partitions.push(answer);
                continue;
            };
            if part.leader != node {
                answer.error_code = 6;
                partitions.push(answer);
                continue;
            }
            answer.high_watermark = part.next_offset;
            answer.last_stable_offset = part.next_offset;
            answer.log_start_offset = part.log_start;
            if p.fetch_offset < part.log_start || p.fetch_offset > part.next_offset {
                answer.error_code = 1;
                partitions.push(answer);
                continue;
            }
            let mut out = BytesMut::new();
            for b in &part.batches {
                let h = RecordBatchHeader::parse(&b.bytes).unwrap();
                if h.last_offset() < p.fetch_offset {
                    continue;
                }
                if !out.is_empty() && out.len() + b.bytes.len() > p.partition_max_bytes as usize {
                    break;
                }
                out.extend_from_slice(&b.bytes);
            }
            if r.isolation_level == 1 && !part.aborted.is_empty() {
                answer.aborted_transactions = Some(
                    part.aborted
                        .iter()
                        .map(|&(producer_id, first_offset)| AbortedTransaction {
                            producer_id,
                            first_offset,
                            ..Default::default()
                        })
                        .collect(),
                );
            }
            answer.records = Some(out.freeze());
            partitions.push(answer);
        }
        responses.push(FetchableTopicResponse {
            topic: t.topic.clone(),
            topic_id: t.topic_id,
            partitions,
            ..Default::default()
        });
    }
    Ok(FetchResponse { responses, ..Default::default() })
}

fn list_offsets(s: &mut ClusterState, node: i32, r: &ListOffsetsRequest) -> ListOffsetsResponse {
    let topics = r
        .topics
        .iter()
        .map(|t| ListOffsetsTopicResponse {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let mut answer =
                        ListOffsetsPartitionResponse { partition_index: p.partition_index, ..Default::default() };
                    let Some(part) = s.topics.get(&*t.name).and_then(|t| t.partitions.get(p.partition_index as usize))
                    else {
                        answer.error_code = 3;
                        return answer;
                    };
                    if part.leader != node {
                        answer.error_code = 6;
                        return answer;
                    }
                    let records = || {
                        part.batches.iter().flat_map(|b| {
                            RecordBatch::parse(b.bytes.clone())
                                .unwrap()
                                .records(usize::MAX)
                                .map(|r| r.unwrap())
                                .collect::<Vec<_>>()
                        })
                    };
                    let (offset, timestamp) = match p.timestamp {
                        -2 => (part.log_start, -1),
                        -1 => (part.next_offset, -1),
                        -3 => records()
                            .max_by_key(|r| (r.timestamp, -r.offset))
                            .map_or((-1, -1), |r| (r.offset, r.timestamp)),
                        ts => records()
                            .find(|r| r.timestamp >= ts && r.offset >= part.log_start)
                            .map_or((-1, -1), |r| (r.offset, r.timestamp)),
                    };
                    answer.offset = offset;
                    answer.timestamp = timestamp;
                    answer.leader_epoch = part.leader_epoch;
                    answer
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    ListOffsetsResponse { topics, ..Default::default() }
}

fn create_topics(s: &mut ClusterState, node: i32, r: &CreateTopicsRequest) -> CreateTopicsResponse {
    let topics = r
        .topics
        .iter()
        .map(|t| {
            let name = t.name.to_string();
            let mut result = CreatableTopicResult { name: t.name.clone(), ..Default::default() };
            if let Some(FaultAction::Error(code)) = s.take_fault(ApiKey::CreateTopics, node, Some(&name), None) {
                result.error_code = code;
                return result;
            }
            if s.topics.contains_key(&name) {
                result.error_code = 36;
                result.error_message = Some(format!("Topic '{name}' already exists.").as_str().into());
                return result;
            }
            let partitions = if !t.assignments.is_empty() {
                t.assignments.len() as i32
            } else if t.num_partitions < 0 {
                1
            } else {
                t.num_partitions
            };
            let replication = if !t.assignments.is_empty() {
                t.assignments[0].broker_ids.len() as i16
            } else if t.replication_factor < 0 {
                1
            } else {
                t.replication_factor
            };
            if replication as usize > s.nodes.len() {
                result.error_code = 38;
                result.error_message = Some(
                    format!("Replication factor: {replication} larger than available brokers: {}.", s.nodes.len())
                        .as_str()
                        .into(),
                );
                return result;
            }
            result.num_partitions = partitions;
            result.replication_factor = replication;
            if !r.validate_only {
                let leaders: Vec<i32> = t.assignments.iter().map(|a| a.broker_ids[0]).collect();
                s.add_topic(&name, partitions, &leaders);
                let topic = s.topics.get_mut(&name).unwrap();
                for a in &t.assignments {
                    topic.partitions[a.partition_index as usize].replicas = a.broker_ids.clone();
                }
                for c in &t.configs {
                    if let Some(v) = &c.value {
                        topic.configs.insert(c.name.to_string(), v.to_string());
                    }
                }
                result.topic_id = topic.id;
            }
            result
        })
        .collect();
    CreateTopicsResponse { topics, ..Default::default() }
}

fn delete_topics(s: &mut ClusterState, r: &DeleteTopicsRequest) -> DeleteTopicsResponse {
    let names: Vec<String> = if r.topics.is_empty() {
        r.topic_names.iter().map(ToString::to_string).collect()
    } else {
        r.topics.iter().filter_map(|t| t.name.as_ref().map(ToString::to_string)).collect()
    };
    let responses = names
        .into_iter()
        .map(|name| {
            let error_code = if s.topics.remove(&name).is_some() { 0 } else { 3 };
            DeletableTopicResult { name: Some(name.as_str().into()), error_code, ..Default::default() }
        })
        .collect();
    DeleteTopicsResponse { responses, ..Default::default() }
}

fn create_partitions(s: &mut ClusterState, r: &CreatePartitionsRequest) -> CreatePartitionsResponse {
    let nodes: Vec<i32> = s.nodes.iter().map(|n| n.0).collect();
    let results = r
        .topics
        .iter()
        .map(|t| {
            let mut result = CreatePartitionsTopicResult { name: t.name.clone(), ..Default::default() };
            let Some(topic) = s.topics.get_mut(&*t.name) else {
                result.error_code = 3;
                return result;
            };
            let current = topic.partitions.len() as i32;
            if t.count <= current {
                result.error_code = 37;
                result.error_message = Some(
                    format!(
                        "Topic currently has {current} partitions, which is higher than the requested {}.",
                        t.count
                    )
                    .as_str()
                    .into(),
                );
                return result;
            }
            if !r.validate_only {
                for p in current..t.count {
                    let leader = nodes[p as usize % nodes.len()];
                    topic.partitions.push(PartitionState::new(leader, vec![leader]));
                }
            }
            result
        })
        .collect();
    CreatePartitionsResponse { results, ..Default::default() }
}

fn describe_configs(s: &ClusterState, r: &DescribeConfigsRequest) -> DescribeConfigsResponse {
    let results = r
        .resources
        .iter()
        .map(|res| {
            let mut result = DescribeConfigsResult {
                resource_type: res.resource_type,
                resource_name: res.resource_name.clone(),
                ..Default::default()
            };
            let entries: Vec<(String, String, i8)> = match res.resource_type {
                2 => match s.topics.get(&*res.resource_name) {
                    None => {
                        result.error_code = 3;
                        return result;
                    }
                    Some(t) => {
                        let mut e: Vec<_> = t.configs.iter().map(|(k, v)| (k.clone(), v.clone(), 1)).collect();
                        if !t.configs.contains_key("retention.ms") {
                            e.push(("retention.ms".into(), "604800000".into(), 5));
                        }
                        e
                    }
                },
                4 => vec![("log.retention.hours".into(), "168".into(), 4), ("num.partitions".into(), "1".into(), 4)],
                _ => {
                    result.error_code = 42;
                    return result;
                }
            };
            result.configs = entries
                .into_iter()
                .filter(|(k, _, _)| {
                    res.configuration_keys.as_ref().is_none_or(|keys| keys.iter().any(|x| &**x == k.as_str()))
                })
                .map(|(name, value, source)| DescribeConfigsResourceResult {
                    name: name.as_str().into(),
                    value: Some(value.as_str().into()),
                    config_source: source,
                    synonyms: if r.include_synonyms {
                        vec![DescribeConfigsSynonym {
                            name: name.as_str().into(),
                            value: Some(value.as_str().into()),
                            source,
                            ..Default::default()
                        }]
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                })
                .collect();
            result
        })
        .collect();
    DescribeConfigsResponse { results, ..Default::default() }
}

fn incremental_alter_configs(
    s: &mut ClusterState,
    r: &IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = r
        .resources
        .iter()
        .map(|res| {
            let mut answer = AlterConfigsResourceResponse {
                resource_type: res.resource_type,
                resource_name: res.resource_name.clone(),
                ..Default::default()
            };
            let Some(topic) = s.topics.get_mut(&*res.resource_name).filter(|_| res.resource_type == 2) else {
                answer.error_code = 3;
                return answer;
            };
            if !r.validate_only {
                for c in &res.configs {
                    match (c.config_operation, &c.value) {
                        (0, Some(v)) => {
                            topic.configs.insert(c.name.to_string(), v.to_string());
                        }
                        (1, _) => {
                            topic.configs.remove(&*c.name);
                        }
                        _ => answer.error_code = 40,
                    }
                }
            }
            answer
        })
        .collect();
    IncrementalAlterConfigsResponse { responses, ..Default::default() }
}

fn describe_cluster(s: &ClusterState) -> DescribeClusterResponse {
    DescribeClusterResponse {
        cluster_id: s.cluster_id.as_str().into(),
        controller_id: s.controller_id,
        brokers: s
            .nodes
            .iter()
            .map(|(id, addr)| DescribeClusterBroker {
                broker_id: *id,
                host: addr.ip().to_string().as_str().into(),
                port: i32::from(addr.port()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
