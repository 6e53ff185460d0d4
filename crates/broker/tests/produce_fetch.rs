//! The data plane of one broker over real sockets on port 0: Produce, Fetch and ListOffsets against
//! logs on a temporary directory, with the metadata image built from records as the controller
//! would commit them. Every wait is on a condition and bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flotilla_broker::partition::{wall_clock_ms, ApplyReport, Partitions};
use flotilla_broker::{serve, Broker, BrokerLimits, ConnectionBudget, ConnectionLimits};
use flotilla_config::ServerConfig;
use flotilla_metadata::{
    ConfigRecord, ConfigResource, LogPosition, MetadataBatch, MetadataDelta, MetadataImage, MetadataRecord,
    PartitionChangeRecord, PartitionRecord, RemoveTopicRecord, TopicRecord,
};
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, PartitionIndex, TopicId, TopicName};
use flotilla_protocol::frame::{decode_response, encode_request};
use flotilla_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use flotilla_protocol::messages::fetch_response::PartitionData;
use flotilla_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use flotilla_protocol::messages::list_offsets_response::ListOffsetsPartitionResponse;
use flotilla_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use flotilla_protocol::messages::produce_response::PartitionProduceResponse;
use flotilla_protocol::messages::{
    ApiVersionsRequest, FetchRequest, FetchResponse, ListOffsetsRequest, ProduceRequest, RequestHeader,
};
use flotilla_protocol::records::{Batches, Compression, RecordBatch, RecordBatchBuilder};
use flotilla_protocol::{ApiKey, RequestBody, ResponseBody, Uuid};
use flotilla_storage::{LogConfig, LogManager};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::{timeout, Instant};

/// Every wait in these tests is bounded by this.
const BOUND: Duration = Duration::from_secs(20);

const NONE: i16 = 0;
const OFFSET_OUT_OF_RANGE: i16 = 1;
const CORRUPT_MESSAGE: i16 = 2;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const REQUEST_TIMED_OUT: i16 = 7;
const MESSAGE_TOO_LARGE: i16 = 10;
const NOT_ENOUGH_REPLICAS: i16 = 19;
const INVALID_REQUIRED_ACKS: i16 = 21;
const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
const INVALID_PRODUCER_EPOCH: i16 = 47;
const FETCH_SESSION_ID_NOT_FOUND: i16 = 70;
const FENCED_LEADER_EPOCH: i16 = 74;
const UNKNOWN_LEADER_EPOCH: i16 = 75;
const INVALID_RECORD: i16 = 87;
const UNKNOWN_TOPIC_ID: i16 = 100;

// ------------------------------------------------------------------------------------------------
// Metadata

fn topic_id(n: u128) -> TopicId {
    TopicId::new(Uuid::from_u128(n))
}

fn nid(id: i32) -> NodeId {
    NodeId::new(id)
}

/// Commits `records` as the next batch on top of `image`.
fn commit(image: &MetadataImage, records: Vec<MetadataRecord>) -> MetadataImage {
    let mut delta = MetadataDelta::new(image);
    let position = LogPosition::new(image.position().offset + 1, 1);
    delta.apply_batch(&MetadataBatch { position, records }).unwrap();
    delta.finish()
}

/// A topic whose partitions all have `replicas` and `isr`, led by the first replica.
fn topic_records(
    name: &str,
    id: TopicId,
    partitions: i32,
    replicas: &[i32],
    isr: &[i32],
    overrides: &[(&str, &str)],
) -> Vec<MetadataRecord> {
    let mut records = vec![MetadataRecord::Topic(TopicRecord { name: TopicName::new(name).unwrap(), topic_id: id })];
    for index in 0..partitions {
        records.push(MetadataRecord::Partition(PartitionRecord {
            topic_id: id,
            partition: PartitionIndex::new(index),
            replicas: replicas.iter().copied().map(nid).collect(),
            isr: isr.iter().copied().map(nid).collect(),
            adding_replicas: vec![],
            removing_replicas: vec![],
            leader: nid(replicas[0]),
            leader_epoch: LeaderEpoch::new(0),
            partition_epoch: PartitionEpoch::new(0),
            eligible_leader_replicas: None,
            last_known_elr: None,
        }));
    }
    for (key, value) in overrides {
        records.push(MetadataRecord::Config(ConfigRecord {
            resource: ConfigResource::topic(name),
            key: key.to_string(),
            value: Some(value.to_string()),
        }));
    }
    records
}

const EVENTS: u128 = 1;
const SMALL: u128 = 2;
const STRICT: u128 = 3;
const REPLICATED: u128 = 4;

/// The image every test starts from, on node 1:
/// - `events` (2 partitions, replicas [1]);
/// - `small` (`max.message.bytes=1024`);
/// - `strict` (`min.insync.replicas=2` with one replica);
/// - `replicated` (replicas [1, 2], ISR [1, 2]; broker 2 never fetches, so the high watermark stays).
fn base_image() -> MetadataImage {
    let image = commit(&MetadataImage::empty(), topic_records("events", topic_id(EVENTS), 2, &[1], &[1], &[]));
    let image =
        commit(&image, topic_records("small", topic_id(SMALL), 1, &[1], &[1], &[("max.message.bytes", "1024")]));
    let image =
        commit(&image, topic_records("strict", topic_id(STRICT), 1, &[1], &[1], &[("min.insync.replicas", "2")]));
    commit(&image, topic_records("replicated", topic_id(REPLICATED), 1, &[1, 2], &[1, 2], &[]))
}

// ------------------------------------------------------------------------------------------------
// A broker on port 0

struct Node {
    addr: std::net::SocketAddr,
    partitions: Arc<Partitions>,
    broker: Arc<Broker>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(dir: &Path, image: &MetadataImage) -> (Node, ApplyReport) {
    let config = Arc::new(ServerConfig::single_node_default().unwrap());
    let dirs = vec![dir.to_path_buf()];
    let (partitions, report) = {
        let config = config.clone();
        let image = image.clone();
        tokio::task::spawn_blocking(move || {
            let logs = LogManager::open(&dirs, |_| LogConfig::default(), wall_clock_ms()).unwrap();
            let partitions = Arc::new(Partitions::new(config.node_id, config, Arc::new(logs)));
            let report = partitions.apply_image(&image);
            (partitions, report)
        })
        .await
        .unwrap()
    };
    let broker = Arc::new(Broker::new(config, partitions.clone(), BrokerLimits::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task =
        tokio::spawn(serve(listener, broker.clone(), ConnectionLimits::default(), ConnectionBudget::new(64), async {
            let _ = stopped.await;
        }));
    (Node { addr, partitions, broker, stop: Some(stop), task }, report)
}

impl Node {
    /// Stops serving and waits for the accept loop and every connection to finish.
    async fn stop(mut self) -> Arc<Partitions> {
        self.stop.take().unwrap().send(()).unwrap();
        timeout(BOUND, &mut self.task).await.expect("serve returns").unwrap();
        self.partitions
    }

    async fn apply(&self, image: &MetadataImage) -> ApplyReport {
        let partitions = self.partitions.clone();
        let image = image.clone();
        tokio::task::spawn_blocking(move || partitions.apply_image(&image)).await.unwrap()
    }
}

// ------------------------------------------------------------------------------------------------
// A client speaking frames

struct Client {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        Client { stream: TcpStream::connect(addr).await.unwrap(), next_correlation_id: 1 }
    }

    async fn send(&mut self, version: i16, body: RequestBody) -> i32 {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let header = RequestHeader {
            request_api_key: body.api_key().key(),
            request_api_version: version,
            correlation_id,
            client_id: Some("produce-fetch-test".into()),
            ..Default::default()
        };
        let frame = encode_request(&header, &body).unwrap().to_bytes();
        self.stream.write_all(&frame).await.unwrap();
        correlation_id
    }

    async fn receive(&mut self, api: ApiKey, version: i16) -> (i32, ResponseBody) {
        let read = async {
            let mut prefix = [0u8; 4];
            self.stream.read_exact(&mut prefix).await.unwrap();
            let mut body = vec![0u8; usize::try_from(i32::from_be_bytes(prefix)).unwrap()];
            self.stream.read_exact(&mut body).await.unwrap();
            Bytes::from(body)
        };
        let frame = timeout(BOUND, read).await.expect("a response in time");
        let (header, body) = decode_response(frame, api, version).unwrap();
        (header.correlation_id, body)
    }

    async fn call(&mut self, version: i16, body: RequestBody) -> ResponseBody {
        let api = body.api_key();
        let sent = self.send(version, body).await;
        let (received, response) = self.receive(api, version).await;
        assert_eq!(received, sent, "responses come in request order");
        response
    }

    async fn produce_request(&mut self, version: i16, request: ProduceRequest) -> Vec<PartitionProduceResponse> {
        match self.call(version, RequestBody::Produce(request)).await {
            ResponseBody::Produce(r) => r.responses.into_iter().flat_map(|t| t.partition_responses).collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    async fn produce(&mut self, topic: &str, partition: i32, acks: i16, records: Bytes) -> PartitionProduceResponse {
        let request = produce_request(topic, partition, acks, records);
        let mut answers = self.produce_request(9, request).await;
        assert_eq!(answers.len(), 1);
        answers.remove(0)
    }

    async fn fetch_request(&mut self, version: i16, request: FetchRequest) -> FetchResponse {
        match self.call(version, RequestBody::Fetch(request)).await {
            ResponseBody::Fetch(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    async fn fetch(&mut self, topic: &str, partition: i32, offset: i64, max_wait_ms: i32) -> PartitionData {
        let response = self.fetch_request(12, fetch_request(topic, partition, offset, max_wait_ms)).await;
        assert_eq!(response.error_code, NONE);
        assert_eq!(response.session_id, 0, "sessionless");
        response.responses.into_iter().flat_map(|t| t.partitions).next().expect("one partition")
    }

    async fn list_offsets(
        &mut self,
        version: i16,
        topic: &str,
        partition: i32,
        timestamp: i64,
        current_leader_epoch: i32,
    ) -> ListOffsetsPartitionResponse {
        let request = ListOffsetsRequest {
            replica_id: -1,
            topics: vec![ListOffsetsTopic {
                name: topic.into(),
                partitions: vec![ListOffsetsPartition {
                    partition_index: partition,
                    current_leader_epoch,
                    timestamp,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        match self.call(version, RequestBody::ListOffsets(request)).await {
            ResponseBody::ListOffsets(r) => r.topics.into_iter().flat_map(|t| t.partitions).next().expect("one"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn produce_request(topic: &str, partition: i32, acks: i16, records: Bytes) -> ProduceRequest {
    ProduceRequest {
        acks,
        timeout_ms: 10_000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn fetch_request(topic: &str, partition: i32, offset: i64, max_wait_ms: i32) -> FetchRequest {
    FetchRequest {
        max_wait_ms,
        min_bytes: 1,
        max_bytes: 50 * 1024 * 1024,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                fetch_offset: offset,
                partition_max_bytes: 1024 * 1024,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A batch of `values` with CreateTime `timestamp_ms` for every record.
fn batch(compression: Compression, values: &[&str], timestamp_ms: i64) -> Bytes {
    let mut builder = RecordBatchBuilder::new(compression);
    for (i, value) in values.iter().enumerate() {
        let key = format!("key-{i}");
        builder.append(timestamp_ms, Some(key.as_bytes()), Some(value.as_bytes()), &[]).unwrap();
    }
    builder.build().unwrap()
}

/// An idempotent producer's batch.
fn idempotent(producer_id: i64, epoch: i16, sequence: i32, values: &[&str]) -> Bytes {
    let mut builder = RecordBatchBuilder::new(Compression::None).producer(producer_id, epoch, sequence);
    for value in values {
        builder.append(wall_clock_ms(), None, Some(value.as_bytes()), &[]).unwrap();
    }
    builder.build().unwrap()
}

fn batches(records: &Bytes) -> Vec<RecordBatch> {
    Batches::new(records.clone()).collect::<Result<Vec<_>, _>>().unwrap()
}

fn values(batch: &RecordBatch) -> Vec<(i64, String)> {
    batch
        .records(1 << 20)
        .map(|r| {
            let r = r.unwrap();
            (r.offset, String::from_utf8(r.value.unwrap().to_vec()).unwrap())
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produced_batches_come_back_from_fetch_with_their_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (node, report) = start(dir.path(), &base_image()).await;
    assert_eq!(report.created.len(), 5);
    assert!(report.failed.is_empty() && report.stray.is_empty());
    let mut client = Client::connect(node.addr).await;

    let codecs = [Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];
    let mut produced = Vec::new();
    for (i, codec) in codecs.iter().enumerate() {
        let records = batch(*codec, &["a", "bb", "ccc"], 1_000 + i as i64);
        let answer = client.produce("events", 0, 1, records.clone()).await;
        assert_eq!(answer.error_code, NONE, "{codec:?}: {:?}", answer.error_message);
        assert_eq!(answer.base_offset, 3 * i as i64, "{codec:?}");
        assert_eq!(answer.log_append_time_ms, -1, "CreateTime topic");
        assert_eq!(answer.log_start_offset, 0);
        produced.push(records);
    }
    // By topic id at v13.
    let mut by_id = produce_request("", 0, -1, batch(Compression::Zstd, &["by id"], 9_000));
    by_id.topic_data[0].topic_id = topic_id(EVENTS).get();
    let answer = client.produce_request(13, by_id).await.remove(0);
    assert_eq!((answer.error_code, answer.base_offset), (NONE, 15));

    let fetched = client.fetch("events", 0, 0, 0).await;
    assert_eq!(fetched.error_code, NONE);
    assert_eq!((fetched.high_watermark, fetched.last_stable_offset, fetched.log_start_offset), (16, 16, 0));
    let stored = batches(fetched.records.as_ref().unwrap());
    assert_eq!(stored.len(), 6);
    for (i, (stored, sent)) in stored.iter().zip(&produced).enumerate() {
        let base = 3 * i as i64;
        assert_eq!(stored.header().base_offset(), base);
        assert_eq!(stored.header().partition_leader_epoch(), 0);
        assert_eq!(stored.header().compression(), codecs[i]);
        // Stored as produced: only the base offset and the leader epoch (outside the CRC) differ.
        assert_eq!(stored.as_bytes()[8..12], sent[8..12]);
        assert_eq!(stored.as_bytes()[16..], sent[16..]);
        assert_eq!(values(stored), vec![(base, "a".into()), (base + 1, "bb".into()), (base + 2, "ccc".into())]);
    }

    // From the middle of the log, by topic id at v13 and v18, and by name at v4.
    for version in [13, 18] {
        let mut request = fetch_request("", 0, 7, 0);
        request.topics[0].topic_id = topic_id(EVENTS).get();
        let response = client.fetch_request(version, request).await;
        let data = &response.responses[0].partitions[0];
        assert_eq!(data.error_code, NONE);
        let from_middle = batches(data.records.as_ref().unwrap());
        assert_eq!(from_middle.first().unwrap().header().base_offset(), 6, "the batch holding offset 7");
    }
    let response = client.fetch_request(4, fetch_request("events", 0, 15, 0)).await;
    assert_eq!(
        values(&batches(response.responses[0].partitions[0].records.as_ref().unwrap())[0]),
        vec![(15, "by id".into())]
    );

    // The other partition is empty, and an offset past the end is out of range.
    assert!(client.fetch("events", 1, 0, 0).await.records.unwrap().is_empty());
    let out = client.fetch("events", 0, 100, 0).await;
    assert_eq!((out.error_code, out.high_watermark, out.log_start_offset), (OFFSET_OUT_OF_RANGE, 16, 0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_limits_keep_whole_batches_and_return_at_least_one() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;
    let big = "x".repeat(600);
    for _ in 0..3 {
        assert_eq!(client.produce("events", 0, 1, batch(Compression::None, &[&big], 1)).await.error_code, NONE);
    }
    assert_eq!(client.produce("events", 1, 1, batch(Compression::None, &[&big], 1)).await.error_code, NONE);

    // A partition limit below one batch still returns the first batch (min-one-message) ...
    let mut request = fetch_request("events", 0, 0, 0);
    request.topics[0].partitions[0].partition_max_bytes = 100;
    // ... and the response limit stops the second partition, which is not the first with data.
    request.topics[0].partitions.push(FetchPartition { partition: 1, partition_max_bytes: 100, ..Default::default() });
    request.max_bytes = 100;
    let response = client.fetch_request(12, request).await;
    let first = &response.responses[0].partitions[0];
    let second = &response.responses[0].partitions[1];
    assert_eq!(batches(first.records.as_ref().unwrap()).len(), 1);
    assert!(second.records.as_ref().unwrap().is_empty());
    assert_eq!(second.high_watermark, 1);

    // Room for two batches but not three: two whole batches.
    let mut request = fetch_request("events", 0, 0, 0);
    request.topics[0].partitions[0].partition_max_bytes = 1500;
    let response = client.fetch_request(12, request).await;
    assert_eq!(batches(response.responses[0].partitions[0].records.as_ref().unwrap()).len(), 2);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_zero_gets_no_response_and_the_connection_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;

    let silent = client
        .send(9, RequestBody::Produce(produce_request("events", 0, 0, batch(Compression::Lz4, &["quiet"], 5))))
        .await;
    // Even a refused acks=0 produce is not answered.
    let refused =
        client.send(9, RequestBody::Produce(produce_request("nope", 0, 0, batch(Compression::None, &["x"], 5)))).await;
    let next = client.send(3, RequestBody::ApiVersions(ApiVersionsRequest::default())).await;
    let (correlation_id, response) = client.receive(ApiKey::ApiVersions, 3).await;
    assert_eq!(correlation_id, next, "the acks=0 requests ({silent}, {refused}) got no response");
    assert!(matches!(response, ResponseBody::ApiVersions(r) if r.error_code == NONE));

    // The acks=0 records were written before the next request was handled.
    let fetched = client.fetch("events", 0, 0, 0).await;
    assert_eq!(values(&batches(fetched.records.as_ref().unwrap())[0]), vec![(0, "quiet".into())]);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_producers_get_duplicates_answered_and_gaps_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;
    let pid = 4000;

    let first = idempotent(pid, 0, 0, &["one", "two"]);
    assert_eq!(client.produce("events", 0, -1, first.clone()).await.base_offset, 0);
    let second = idempotent(pid, 0, 2, &["three"]);
    assert_eq!(client.produce("events", 0, -1, second.clone()).await.base_offset, 2);

    // Retries of either of the last batches: success with the original offsets, nothing written.
    for (retry, offset) in [(first, 0), (second, 2)] {
        let answer = client.produce("events", 0, -1, retry).await;
        assert_eq!((answer.error_code, answer.base_offset), (NONE, offset));
    }
    // A gap in the sequence.
    let gap = client.produce("events", 0, 1, idempotent(pid, 0, 7, &["gap"])).await;
    assert_eq!((gap.error_code, gap.base_offset), (OUT_OF_ORDER_SEQUENCE_NUMBER, -1));
    // A corrupt retry is reported as corrupt, not answered as a duplicate.
    let mut corrupt = idempotent(pid, 0, 2, &["three"]).to_vec();
    *corrupt.last_mut().unwrap() ^= 0xff;
    assert_eq!(client.produce("events", 0, 1, Bytes::from(corrupt)).await.error_code, CORRUPT_MESSAGE);
    // A new epoch starts at sequence 0 and fences the old one.
    assert_eq!(client.produce("events", 0, 1, idempotent(pid, 1, 0, &["four"])).await.base_offset, 3);
    let zombie = client.produce("events", 0, 1, idempotent(pid, 0, 3, &["zombie"])).await;
    assert_eq!(zombie.error_code, INVALID_PRODUCER_EPOCH);

    let fetched = client.fetch("events", 0, 0, 0).await;
    let all: Vec<_> = batches(fetched.records.as_ref().unwrap()).iter().flat_map(values).collect();
    assert_eq!(all, vec![(0, "one".into()), (1, "two".into()), (2, "three".into()), (3, "four".into())]);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;

    let too_large = client.produce("small", 0, 1, batch(Compression::None, &[&"y".repeat(2000)], 1)).await;
    assert_eq!(too_large.error_code, MESSAGE_TOO_LARGE);
    let mut corrupt = batch(Compression::None, &["flipped"], 1).to_vec();
    *corrupt.last_mut().unwrap() ^= 1;
    assert_eq!(client.produce("events", 0, 1, Bytes::from(corrupt)).await.error_code, CORRUPT_MESSAGE);
    let two = [batch(Compression::None, &["a"], 1), batch(Compression::None, &["b"], 1)].concat();
    assert_eq!(client.produce("events", 0, 1, Bytes::from(two)).await.error_code, INVALID_RECORD);
    assert_eq!(client.produce("events", 0, 1, Bytes::new()).await.error_code, INVALID_RECORD);
    assert_eq!(
        client.produce("events", 0, 2, batch(Compression::None, &["a"], 1)).await.error_code,
        INVALID_REQUIRED_ACKS
    );
    assert_eq!(
        client.produce("nope", 0, 1, batch(Compression::None, &["a"], 1)).await.error_code,
        UNKNOWN_TOPIC_OR_PARTITION
    );
    assert_eq!(
        client.produce("events", 9, 1, batch(Compression::None, &["a"], 1)).await.error_code,
        UNKNOWN_TOPIC_OR_PARTITION
    );
    let mut unknown_id = produce_request("", 0, 1, batch(Compression::None, &["a"], 1));
    unknown_id.topic_data[0].topic_id = Uuid::from_u128(999);
    assert_eq!(client.produce_request(13, unknown_id).await[0].error_code, UNKNOWN_TOPIC_ID);
    // acks=all with fewer in-sync replicas than min.insync.replicas: refused before appending.
    assert_eq!(
        client.produce("strict", 0, -1, batch(Compression::None, &["a"], 1)).await.error_code,
        NOT_ENOUGH_REPLICAS
    );
    assert_eq!(client.produce("strict", 0, 1, batch(Compression::None, &["a"], 1)).await.error_code, NONE);

    for topic in ["events", "small"] {
        assert_eq!(client.list_offsets(10, topic, 0, -1, -1).await.offset, 0, "{topic}: nothing written");
    }
    // Fetch: an incremental session this broker never created.
    let mut incremental = fetch_request("events", 0, 0, 0);
    incremental.session_id = 12;
    incremental.session_epoch = 3;
    let response = client.fetch_request(12, incremental).await;
    assert_eq!((response.error_code, response.responses.len()), (FETCH_SESSION_ID_NOT_FOUND, 0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_all_waits_for_the_high_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;

    // Alone in the ISR: the high watermark follows the append at once.
    let answer = client.produce("events", 0, -1, batch(Compression::None, &["a"], 1)).await;
    assert_eq!((answer.error_code, answer.base_offset), (NONE, 0));
    assert_eq!(client.list_offsets(10, "events", 0, -1, -1).await.offset, 1);

    // Broker 2 is in the ISR but never fetches: written, but never acknowledged.
    let mut request = produce_request("replicated", 0, -1, batch(Compression::None, &["waits"], 1));
    request.timeout_ms = 300;
    let started = Instant::now();
    let answer = client.produce_request(9, request).await.remove(0);
    assert_eq!(answer.error_code, REQUEST_TIMED_OUT);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // acks=1 is answered after the leader's append; consumers still see nothing past the high watermark.
    let answer = client.produce("replicated", 0, 1, batch(Compression::None, &["leader only"], 1)).await;
    assert_eq!((answer.error_code, answer.base_offset), (NONE, 1));
    let fetched = client.fetch("replicated", 0, 0, 0).await;
    assert_eq!((fetched.high_watermark, fetched.records.unwrap().len()), (0, 0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_returns_when_data_arrives_or_after_max_wait() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;

    // Nothing arrives: an empty answer after max_wait_ms.
    let mut consumer = Client::connect(node.addr).await;
    let started = Instant::now();
    let empty = consumer.fetch("events", 0, 0, 300).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!((empty.error_code, empty.records.unwrap().len()), (NONE, 0));

    // A waiting fetch completes when another connection produces, long before its max wait.
    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let data = consumer.fetch("events", 0, 0, 15_000).await;
        (data, started.elapsed())
    });
    // Produce only once the fetch is parked, so it is the append that wakes it.
    timeout(BOUND, async {
        while node.broker.parked_fetches() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the fetch parks");
    let mut producer = Client::connect(node.addr).await;
    assert_eq!(producer.produce("events", 0, 1, batch(Compression::Snappy, &["wake"], 1)).await.error_code, NONE);
    let (data, elapsed) = timeout(BOUND, waiting).await.unwrap().unwrap();
    assert_eq!(node.broker.parked_fetches(), 0);
    assert!(elapsed < Duration::from_secs(15), "woken by the append, not the timeout ({elapsed:?})");
    assert_eq!(values(&batches(data.records.as_ref().unwrap())[0]), vec![(0, "wake".into())]);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offsets_finds_earliest_latest_and_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = start(dir.path(), &base_image()).await;
    let mut client = Client::connect(node.addr).await;
    for (i, ts) in [1_000, 2_000, 3_000].into_iter().enumerate() {
        let answer = client.produce("events", 0, 1, batch(Compression::Gzip, &["a", "b"], ts)).await;
        assert_eq!(answer.base_offset, 2 * i as i64);
    }
    for version in [1, 4, 7, 10] {
        let earliest = client.list_offsets(version, "events", 0, -2, -1).await;
        assert_eq!((earliest.error_code, earliest.offset), (NONE, 0), "v{version}");
        let latest = client.list_offsets(version, "events", 0, -1, -1).await;
        assert_eq!(latest.offset, 6, "v{version}");
        let by_time = client.list_offsets(version, "events", 0, 1_500, -1).await;
        assert_eq!((by_time.offset, by_time.timestamp), (2, 2_000), "v{version}");
        let exact = client.list_offsets(version, "events", 0, 3_000, -1).await;
        assert_eq!(exact.offset, 4, "v{version}");
        let later = client.list_offsets(version, "events", 0, 9_000, -1).await;
        assert_eq!((later.error_code, later.offset, later.timestamp), (NONE, -1, -1), "v{version}");
    }
    let max = client.list_offsets(10, "events", 0, -3, -1).await;
    assert_eq!((max.timestamp, max.leader_epoch), (3_000, 0));
    assert!(max.offset == 4 || max.offset == 5, "within the batch holding the max timestamp: {}", max.offset);
    assert_eq!(client.list_offsets(10, "events", 0, -1, -1).await.leader_epoch, 0);
    assert_eq!(client.list_offsets(10, "nope", 0, -1, -1).await.error_code, UNKNOWN_TOPIC_OR_PARTITION);

    // Leader epochs: bump to 1 by re-electing broker 1, then an older epoch is fenced and a newer unknown.
    let mut change = PartitionChangeRecord::new(topic_id(EVENTS), PartitionIndex::new(0), PartitionEpoch::new(0));
    change.leader = Some(nid(1));
    let image = commit(&base_image(), vec![MetadataRecord::PartitionChange(change)]);
    let report = node.apply(&image).await;
    assert_eq!(report.updated.len(), 1);
    assert_eq!(client.list_offsets(10, "events", 0, -1, 0).await.error_code, FENCED_LEADER_EPOCH);
    assert_eq!(client.list_offsets(10, "events", 0, -1, 2).await.error_code, UNKNOWN_LEADER_EPOCH);
    let current = client.list_offsets(10, "events", 0, -1, 1).await;
    assert_eq!((current.error_code, current.offset, current.leader_epoch), (NONE, 6, 1));
    let mut fenced = fetch_request("events", 0, 0, 0);
    fenced.topics[0].partitions[0].current_leader_epoch = 0;
    assert_eq!(client.fetch_request(12, fenced).await.responses[0].partitions[0].error_code, FENCED_LEADER_EPOCH);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_data_and_the_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let image = base_image();
    let pid = 77;
    let last = idempotent(pid, 0, 3, &["d"]);
    {
        let (node, _) = start(dir.path(), &image).await;
        let mut client = Client::connect(node.addr).await;
        assert_eq!(client.produce("events", 0, 1, idempotent(pid, 0, 0, &["a", "b", "c"])).await.base_offset, 0);
        assert_eq!(client.produce("events", 0, 1, last.clone()).await.base_offset, 3);
        drop(client);
        // No clean shutdown: the next start recovers the log and replays producer state from it.
        drop(node.stop().await);
    }
    for clean in [false, true] {
        let (node, report) = start(dir.path(), &image).await;
        assert_eq!(report.created.len(), 5, "clean={clean}: logs adopted");
        let mut client = Client::connect(node.addr).await;
        let fetched = client.fetch("events", 0, 0, 0).await;
        let all: Vec<_> = batches(fetched.records.as_ref().unwrap()).iter().flat_map(values).collect();
        assert_eq!(all.len(), 4, "clean={clean}");
        let retry = client.produce("events", 0, 1, last.clone()).await;
        assert_eq!((retry.error_code, retry.base_offset), (NONE, 3), "clean={clean}: a duplicate after restart");
        let gap = client.produce("events", 0, 1, idempotent(pid, 0, 9, &["gap"])).await;
        assert_eq!(gap.error_code, OUT_OF_ORDER_SEQUENCE_NUMBER, "clean={clean}");
        drop(client);
        let partitions = node.stop().await;
        if !clean {
            // Next round starts from a clean shutdown with producer snapshots.
            tokio::task::spawn_blocking(move || partitions.shutdown(-1)).await.unwrap().unwrap();
        }
    }
    let partition_dir = dir.path().join("events-0");
    assert!(std::fs::read_dir(&partition_dir).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".snapshot")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_topic_loses_its_data_and_its_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let image = base_image();
    let (node, _) = start(dir.path(), &image).await;
    let mut client = Client::connect(node.addr).await;
    assert_eq!(client.produce("events", 1, 1, batch(Compression::None, &["doomed"], 1)).await.error_code, NONE);
    assert!(dir.path().join("events-1").join("partition.metadata").exists());

    let gone = commit(&image, vec![MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: topic_id(EVENTS) })]);
    let report = node.apply(&gone).await;
    assert_eq!(report.deleted.len(), 2);
    assert!(!dir.path().join("events-0").exists() && !dir.path().join("events-1").exists());
    assert_eq!(
        client.produce("events", 1, 1, batch(Compression::None, &["late"], 1)).await.error_code,
        UNKNOWN_TOPIC_OR_PARTITION
    );
    assert_eq!(client.fetch("events", 1, 0, 0).await.error_code, UNKNOWN_TOPIC_OR_PARTITION);

    // Re-created under the same name: a new, empty log.
    let again = commit(&gone, topic_records("events", topic_id(99), 2, &[1], &[1], &[]));
    let report = node.apply(&again).await;
    assert_eq!(report.created.len(), 2);
    assert_eq!(client.list_offsets(10, "events", 1, -1, -1).await.offset, 0);
    node.stop().await;
}
