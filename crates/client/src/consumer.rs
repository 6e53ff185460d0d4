//! The consumer (no groups yet): assigned partitions, each with a position, and a fetch loop.
//!
//! [`Consumer::poll`] resolves positions that are not yet known (earliest, latest or by timestamp, through
//! ListOffsets), sends one Fetch per leader at once, and returns what came back as [`Fetched`]: the record
//! batches as received, decoded only when iterated ([`Fetched::records`]), with records before the position
//! (a batch may start earlier) and control batches left out, and, under read_committed, aborted
//! transactions too. Positions advance by batch headers alone, so a caller that only counts records (the
//! consumer perf test) never decodes a record it does not look at.
//!
//! Errors per partition: OFFSET_OUT_OF_RANGE resets the position as `auto.offset.reset` says (or fails
//! with [`ClientError::OffsetOutOfRange`] for `none`); a moved or unknown leader (NOT_LEADER_OR_FOLLOWER,
//! FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION...) refreshes metadata and the partition is fetched
//! from its new leader on the next poll.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use flotilla_model::{ErrorCode, NodeId, TopicId};
use flotilla_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use flotilla_protocol::messages::fetch_response::PartitionData;
use flotilla_protocol::messages::{FetchRequest, FetchResponse};
use flotilla_protocol::records::{
    Batches, ControlRecordKey, ControlRecordType, RecordBatch, RecordHeader, RecordIter, TimestampType,
};
use flotilla_protocol::{ApiKey, Uuid};

use crate::admin::{list_offsets, OffsetSpec};
use crate::cluster::Client;
use crate::config::{AutoOffsetReset, ClientConfig, ConsumerConfig, IsolationLevel};
use crate::error::{invalidates_metadata, ClientError};

/// Where an assigned partition starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffset {
    /// The log start offset (`--from-beginning`).
    Earliest,
    /// The log end offset: only records produced from now on.
    Latest,
    /// This offset (`--offset N`).
    Offset(i64),
    /// The first offset with a timestamp at or after this (ms); the log end when there is none.
    Timestamp(i64),
}

/// A consumed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub timestamp_type: TimestampType,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<RecordHeader>,
}

/// What one fetch returned for one partition: batches as received, not yet decoded.
#[derive(Debug, Clone)]
pub struct PartitionRecords {
    pub topic: Arc<str>,
    pub partition: i32,
    /// The position the fetch started at; earlier records in the first batch are skipped.
    pub fetch_offset: i64,
    pub high_watermark: i64,
    batches: Vec<RecordBatch>,
    max_decompressed: usize,
}

impl PartitionRecords {
    /// The batches (control and aborted batches already removed).
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Records in these batches, an upper bound (records before the fetch offset are counted).
    pub fn record_count_hint(&self) -> usize {
        self.batches.iter().map(|b| usize::try_from(b.header().record_count()).unwrap_or(0)).sum()
    }

    /// Decodes the records lazily.
    pub fn records(&self) -> impl Iterator<Item = Result<ConsumerRecord, ClientError>> + '_ {
        self.batches.iter().flat_map(move |batch| {
            let timestamp_type = batch.header().timestamp_type();
            let iter: RecordIter = batch.records(self.max_decompressed);
            iter.filter_map(move |r| match r {
                Ok(r) if r.offset < self.fetch_offset => None,
                Ok(r) => Some(Ok(ConsumerRecord {
                    topic: Arc::clone(&self.topic),
                    partition: self.partition,
                    offset: r.offset,
                    timestamp: r.timestamp,
                    timestamp_type,
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                })),
                Err(e) => Some(Err(ClientError::from(e))),
            })
        })
    }
}

/// The result of one [`Consumer::poll`].
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    partitions: Vec<PartitionRecords>,
}

impl Fetched {
    /// Whether no batch came back.
    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(|p| p.batches.is_empty())
    }

    /// Per partition.
    pub fn partitions(&self) -> &[PartitionRecords] {
        &self.partitions
    }

    /// Every record, partition by partition, decoded as iterated.
    pub fn records(&self) -> impl Iterator<Item = Result<ConsumerRecord, ClientError>> + '_ {
        self.partitions.iter().flat_map(PartitionRecords::records)
    }
}

#[derive(Debug, Clone)]
struct Assigned {
    /// `None` until resolved from `start`.
    position: Option<i64>,
    start: StartOffset,
    high_watermark: i64,
    log_start_offset: i64,
}

/// A consumer of explicitly assigned partitions.
#[derive(Debug)]
pub struct Consumer {
    client: Client,
    config: ConsumerConfig,
    assigned: BTreeMap<(Arc<str>, i32), Assigned>,
}

/// One partition to fetch from a leader.
#[derive(Debug, Clone)]
struct FetchTarget {
    topic: Arc<str>,
    topic_id: TopicId,
    partition: i32,
    offset: i64,
    leader_epoch: i32,
}

impl Consumer {
    /// A consumer on an existing client.
    pub fn new(client: Client, config: ConsumerConfig) -> Self {
        Self { client, config, assigned: BTreeMap::new() }
    }

    /// Connects a client and builds a consumer on it.
    pub async fn connect(client: ClientConfig, config: ConsumerConfig) -> Result<Self, ClientError> {
        Ok(Self::new(Client::connect(client).await?, config))
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Adds partitions with where each starts. Fails for unknown topics or partitions.
    pub async fn assign(&mut self, partitions: &[(String, i32, StartOffset)]) -> Result<(), ClientError> {
        for (topic, partition, start) in partitions {
            let metadata = self.client.topic(topic).await?;
            if metadata.partition(*partition).is_none() {
                return Err(ClientError::UnknownPartition {
                    topic: topic.clone(),
                    partition: *partition,
                    count: metadata.partition_count(),
                });
            }
            let position = match start {
                StartOffset::Offset(o) => Some(*o),
                _ => None,
            };
            self.assigned.insert(
                (Arc::from(topic.as_str()), *partition),
                Assigned { position, start: *start, high_watermark: -1, log_start_offset: -1 },
            );
        }
        self.resolve_positions().await
    }

    /// Assigns every partition of `topic`.
    pub async fn assign_topic(&mut self, topic: &str, start: StartOffset) -> Result<(), ClientError> {
        let metadata = self.client.topic(topic).await?;
        let all: Vec<(String, i32, StartOffset)> =
            metadata.partitions.iter().map(|p| (topic.to_owned(), p.partition, start)).collect();
        self.assign(&all).await
    }

    /// Stops fetching a partition.
    pub fn unassign(&mut self, topic: &str, partition: i32) {
        self.assigned.retain(|(t, p), _| !(&**t == topic && *p == partition));
    }

    /// The assigned partitions.
    pub fn assignment(&self) -> Vec<(String, i32)> {
        self.assigned.keys().map(|(t, p)| (t.to_string(), *p)).collect()
    }

    /// The offset of the next record to fetch, once known.
    pub fn position(&self, topic: &str, partition: i32) -> Option<i64> {
        self.entry(topic, partition).and_then(|a| a.position)
    }

    /// The high watermark from the last fetch (-1 before any).
    pub fn high_watermark(&self, topic: &str, partition: i32) -> Option<i64> {
        self.entry(topic, partition).map(|a| a.high_watermark)
    }

    /// The log start offset from the last fetch (-1 before any).
    pub fn log_start_offset(&self, topic: &str, partition: i32) -> Option<i64> {
        self.entry(topic, partition).map(|a| a.log_start_offset)
    }

    /// Moves a partition's position.
    pub fn seek(&mut self, topic: &str, partition: i32, start: StartOffset) {
        if let Some(a) = self.entry_mut(topic, partition) {
            a.start = start;
            a.position = match start {
                StartOffset::Offset(o) => Some(o),
                _ => None,
            };
        }
    }

    fn entry(&self, topic: &str, partition: i32) -> Option<&Assigned> {
        self.assigned.iter().find(|((t, p), _)| &**t == topic && *p == partition).map(|(_, a)| a)
    }

    fn entry_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Assigned> {
        self.assigned.iter_mut().find(|((t, p), _)| &**t == topic && *p == partition).map(|(_, a)| a)
    }

    /// Looks up positions not yet known.
    async fn resolve_positions(&mut self) -> Result<(), ClientError> {
        let unresolved: Vec<(Arc<str>, i32, OffsetSpec)> = self
            .assigned
            .iter()
            .filter(|(_, a)| a.position.is_none())
            .map(|((t, p), a)| {
                let spec = match a.start {
                    StartOffset::Earliest => OffsetSpec::Earliest,
                    StartOffset::Latest | StartOffset::Offset(_) => OffsetSpec::Latest,
                    StartOffset::Timestamp(ts) => OffsetSpec::Timestamp(ts),
                };
                (Arc::clone(t), *p, spec)
            })
            .collect();
        if unresolved.is_empty() {
            return Ok(());
        }
        let requests: Vec<(String, i32, OffsetSpec)> =
            unresolved.iter().map(|(t, p, s)| (t.to_string(), *p, *s)).collect();
        let listed = list_offsets(&self.client, &requests, self.config.isolation_level).await?;
        // A timestamp with no record at or after it means the log end. (A partition may appear only once
        // per ListOffsets request, so that is a second request.)
        let mut past_the_end = Vec::new();
        for (i, (topic, partition, _)) in unresolved.iter().enumerate() {
            let Some(answer) = listed.get(i) else { continue };
            if answer.error != ErrorCode::None {
                if invalidates_metadata(answer.error) {
                    // Retried on the next poll.
                    self.client.invalidate_topic(topic);
                    continue;
                }
                return Err(ClientError::Kafka {
                    code: answer.error,
                    message: None,
                    context: format!("ListOffsets for {topic}-{partition}"),
                });
            }
            if answer.offset < 0 {
                past_the_end.push((topic.to_string(), *partition, OffsetSpec::Latest));
            } else if let Some(a) = self.assigned.get_mut(&(Arc::clone(topic), *partition)) {
                a.position = Some(answer.offset);
            }
        }
        if !past_the_end.is_empty() {
            for answer in list_offsets(&self.client, &past_the_end, self.config.isolation_level).await? {
                if answer.error == ErrorCode::None && answer.offset >= 0 {
                    let key = (Arc::from(answer.topic.as_str()), answer.partition);
                    if let Some(a) = self.assigned.get_mut(&key) {
                        a.position = Some(answer.offset);
                    }
                }
            }
        }
        Ok(())
    }

    /// Fetches once from every leader of the assigned partitions (waiting up to `fetch.max.wait.ms` for
    /// `fetch.min.bytes`) and returns the batches that came back.
    pub async fn poll(&mut self) -> Result<Fetched, ClientError> {
        self.resolve_positions().await?;
        let metadata = self.client.metadata();
        let mut by_leader: BTreeMap<NodeId, Vec<FetchTarget>> = BTreeMap::new();
        let mut stale: HashSet<Arc<str>> = HashSet::new();
        for ((topic, partition), a) in &self.assigned {
            let Some(offset) = a.position else { continue };
            let described = match metadata.topic(topic) {
                Some(t) if t.error == ErrorCode::None => Arc::clone(t),
                _ => match self.client.topic(topic).await {
                    Ok(t) => t,
                    Err(e) if e.is_retriable() => {
                        stale.insert(Arc::clone(topic));
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            let Some(p) = described.partition(*partition) else { continue };
            let Some(leader) = p.leader() else {
                stale.insert(Arc::clone(topic));
                continue;
            };
            by_leader.entry(leader).or_default().push(FetchTarget {
                topic: Arc::clone(topic),
                topic_id: described.topic_id,
                partition: *partition,
                offset,
                leader_epoch: p.leader_epoch,
            });
        }

        let mut tasks = tokio::task::JoinSet::new();
        for (leader, targets) in by_leader {
            let client = self.client.clone();
            let config = self.config.clone();
            tasks.spawn(async move {
                let result = fetch_from(&client, leader, &targets, &config).await;
                (targets, result)
            });
        }
        let mut fetched = Fetched::default();
        let mut any_sent = false;
        while let Some(joined) = tasks.join_next().await {
            any_sent = true;
            let Ok((targets, result)) = joined else { continue };
            let answers = match result {
                Ok(answers) => answers,
                Err(e) if e.is_retriable() => {
                    tracing::debug!(error = %e, "fetch failed; refreshing metadata");
                    stale.extend(targets.iter().map(|t| Arc::clone(&t.topic)));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for (target, answer) in targets.iter().zip(answers) {
                if let Some(records) = self.apply(target, answer, &mut stale)? {
                    fetched.partitions.push(records);
                }
            }
        }
        if !stale.is_empty() {
            let topics: Vec<String> = stale.iter().map(|t| t.to_string()).collect();
            if let Err(e) = self.client.refresh_after(metadata.generation, topics).await {
                tracing::debug!(error = %e, "metadata refresh failed");
            }
            if !any_sent {
                tokio::time::sleep(self.client.config().retry_backoff).await;
            }
        } else if !any_sent {
            // Nothing to fetch (no positions yet): do not spin.
            tokio::time::sleep(self.client.config().retry_backoff).await;
        }
        Ok(fetched)
    }

    /// Applies one partition's answer to its position; returns its batches.
    fn apply(
        &mut self,
        target: &FetchTarget,
        answer: Result<PartitionData, ClientError>,
        stale: &mut HashSet<Arc<str>>,
    ) -> Result<Option<PartitionRecords>, ClientError> {
        let reset = self.config.auto_offset_reset;
        let max_decompressed = self.config.max_decompressed_batch_bytes;
        let check_crcs = self.config.check_crcs;
        let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
        let Some(entry) = self.assigned.get_mut(&(Arc::clone(&target.topic), target.partition)) else {
            return Ok(None);
        };
        if entry.position != Some(target.offset) {
            // Seeked while the fetch was out.
            return Ok(None);
        }
        let data = answer?;
        match ErrorCode::from_code(data.error_code) {
            ErrorCode::None => {}
            ErrorCode::OffsetOutOfRange => {
                let start = match reset {
                    AutoOffsetReset::Earliest => StartOffset::Earliest,
                    AutoOffsetReset::Latest => StartOffset::Latest,
                    AutoOffsetReset::None => {
                        return Err(ClientError::OffsetOutOfRange {
                            topic: target.topic.to_string(),
                            partition: target.partition,
                            offset: target.offset,
                        })
                    }
                };
                tracing::info!(
                    topic = %target.topic, partition = target.partition, offset = target.offset,
                    "fetch position out of range; resetting to {start:?}"
                );
                entry.start = start;
                entry.position = None;
                return Ok(None);
            }
            code if invalidates_metadata(code) => {
                stale.insert(Arc::clone(&target.topic));
                return Ok(None);
            }
            code => {
                return Err(ClientError::Kafka {
                    code,
                    message: None,
                    context: format!("Fetch from {}-{}", target.topic, target.partition),
                })
            }
        }
        entry.high_watermark = data.high_watermark;
        entry.log_start_offset = data.log_start_offset;
        let records = data.records.unwrap_or_default();
        let mut batches = Vec::new();
        let mut next_position = target.offset;
        let mut aborted = AbortedTransactions::new(&data.aborted_transactions, read_committed);
        for batch in Batches::new(records).verify_crc(check_crcs) {
            let batch = match batch {
                Ok(batch) => batch,
                // A partial batch at the end is normal: the broker cuts at the byte limit.
                Err(e) if e.is_torn() => break,
                Err(e) => {
                    return Err(ClientError::Protocol {
                        node: -1,
                        reason: format!("fetch from {}-{}: {e}", target.topic, target.partition),
                    })
                }
            };
            let header = *batch.header();
            if header.last_offset() < next_position {
                continue;
            }
            next_position = header.next_offset();
            if aborted.skips(&batch) {
                continue;
            }
            batches.push(batch);
        }
        entry.position = Some(next_position);
        Ok(Some(PartitionRecords {
            topic: Arc::clone(&target.topic),
            partition: target.partition,
            fetch_offset: target.offset,
            high_watermark: data.high_watermark,
            batches,
            max_decompressed,
        }))
    }
}

/// read_committed filtering (Kafka's `Fetcher` algorithm): a transactional batch of a producer whose
/// transaction is listed as aborted at or before it is skipped until that producer's abort marker;
/// control batches are never returned.
struct AbortedTransactions {
    /// (first offset, producer id), sorted by first offset.
    listed: Vec<(i64, i64)>,
    next: usize,
    active: HashSet<i64>,
    read_committed: bool,
}

impl AbortedTransactions {
    fn new(
        list: &Option<Vec<flotilla_protocol::messages::fetch_response::AbortedTransaction>>,
        read_committed: bool,
    ) -> Self {
        let mut listed: Vec<(i64, i64)> = list.iter().flatten().map(|a| (a.first_offset, a.producer_id)).collect();
        listed.sort_unstable();
        Self { listed, next: 0, active: HashSet::new(), read_committed }
    }

    fn skips(&mut self, batch: &RecordBatch) -> bool {
        let header = batch.header();
        if self.read_committed {
            while let Some(&(first, producer)) = self.listed.get(self.next) {
                if first > header.last_offset() {
                    break;
                }
                self.active.insert(producer);
                self.next += 1;
            }
        }
        if header.is_control() {
            if self.read_committed && self.active.contains(&header.producer_id()) && is_abort_marker(batch) {
                self.active.remove(&header.producer_id());
            }
            return true;
        }
        self.read_committed && header.is_transactional() && self.active.contains(&header.producer_id())
    }
}

fn is_abort_marker(batch: &RecordBatch) -> bool {
    batch
        .records(1024)
        .next()
        .and_then(Result::ok)
        .and_then(|r| r.key)
        .and_then(|k| ControlRecordKey::parse(&k).ok())
        .is_some_and(|k| k.kind == ControlRecordType::Abort)
}

/// One Fetch to `leader` for `targets`; each target's answer, in order.
async fn fetch_from(
    client: &Client,
    leader: NodeId,
    targets: &[FetchTarget],
    config: &ConsumerConfig,
) -> Result<Vec<Result<PartitionData, ClientError>>, ClientError> {
    let conn = client.connection(leader).await?;
    let mut version = conn.version_for(ApiKey::Fetch)?;
    // Version 13 names topics by id only.
    if version >= 13 && targets.iter().any(|t| t.topic_id == TopicId::ZERO) {
        version = 12;
    }
    let mut topics: Vec<FetchTopic> = Vec::new();
    for t in targets {
        let i = match topics.iter().position(|f| *f.topic == *t.topic) {
            Some(i) => i,
            None => {
                topics.push(FetchTopic { topic: (&*t.topic).into(), topic_id: t.topic_id.get(), ..Default::default() });
                topics.len() - 1
            }
        };
        if let Some(topic) = topics.get_mut(i) {
            topic.partitions.push(FetchPartition {
                partition: t.partition,
                current_leader_epoch: t.leader_epoch,
                fetch_offset: t.offset,
                partition_max_bytes: config.partition_max_bytes,
                ..Default::default()
            });
        }
    }
    let request = FetchRequest {
        replica_id: -1,
        max_wait_ms: i32::try_from(config.max_wait.as_millis()).unwrap_or(i32::MAX),
        min_bytes: config.min_bytes,
        max_bytes: config.max_bytes,
        isolation_level: config.isolation_level.as_i8(),
        // No fetch session: every request is a full fetch.
        session_id: 0,
        session_epoch: -1,
        topics,
        ..Default::default()
    };
    let response: FetchResponse = conn.send_at(&request, version).await?;
    if response.error_code != 0 {
        return Err(ClientError::kafka(response.error_code, None, format!("Fetch from node {leader}")));
    }
    let mut by_partition: HashMap<(Uuid, String, i32), PartitionData> = HashMap::new();
    for topic in response.responses {
        let (id, name) =
            if version >= 13 { (topic.topic_id, String::new()) } else { (Uuid::nil(), topic.topic.to_string()) };
        for p in topic.partitions {
            by_partition.insert((id, name.clone(), p.partition_index), p);
        }
    }
    Ok(targets
        .iter()
        .map(|t| {
            let key = if version >= 13 {
                (t.topic_id.get(), String::new(), t.partition)
            } else {
                (Uuid::nil(), t.topic.to_string(), t.partition)
            };
            by_partition.remove(&key).ok_or_else(|| ClientError::Protocol {
                node: leader.get(),
                reason: format!("fetch response has no answer for {}-{}", t.topic, t.partition),
            })
        })
        .collect())
}
