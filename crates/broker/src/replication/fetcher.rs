//! [`ReplicaFetchers`]: the follower's side of replication (Kafka's `ReplicaFetcherManager` and
//! `ReplicaFetcherThread`).
//!
//! One task per leader broker this node follows partitions of. Each round it asks every hosted
//! partition for its [`FollowerPosition`] (role, leader, epoch, log end offset, last fetched epoch:
//! all derived from the partition, so nothing can drift), sends one request for the partitions led by
//! its broker on its stream, and applies the answer on the same worker:
//!
//! - records → [`Partition::append_as_follower`], which also takes the leader's high watermark;
//! - a diverging epoch → truncate where the logs last agree ([`truncation_offset`], KIP-320), then
//!   fetch again with the new last fetched epoch;
//! - OFFSET_OUT_OF_RANGE below the leader's log start → restart the log at the leader's log start;
//!   above its log end → truncate to it;
//! - FENCED_LEADER_EPOCH (this follower is behind on metadata) and other errors → the partition rests
//!   for `replica.fetch.backoff.ms` or until the next metadata image, whichever is first;
//! - NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION (the leader has not
//!   applied the image that made it leader yet; it will in milliseconds) → a short rest,
//!   [`LEADER_BEHIND_RETRY`], so an acks=all write on a new leader does not wait out a whole backoff.
//!
//! Every apply is tied to the leader epoch the fetch was made in, so an answer that arrives after a
//! leader change is dropped. A broken stream is reopened after the backoff. The leader's address is
//! its controller listener, from `controller.quorum.voters`.

use flotilla_config::HostPort;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flotilla_config::ServerConfig;
use flotilla_model::{ErrorCode, LeaderEpoch, NodeId, Offset, PartitionIndex, TopicId};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint};
use tonic::Streaming;
use tracing::{debug, info, warn};

use super::leader::MAX_MESSAGE_BYTES;
use super::proto::replica_fetch_service_client::ReplicaFetchServiceClient;
use super::proto::{FollowerFetchRequest, FollowerFetchResponse, PartitionData, PartitionFetch};
use super::wire::{diverging_epoch, topic_id_to_wire};
use crate::partition::{wall_clock_ms, FollowerApply, FollowerPosition, Partition, PartitionError, Partitions};
use flotilla_storage::LogManager;

/// How a follower fetches: Kafka's `replica.fetch.*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetcherSettings {
    /// `replica.fetch.wait.max.ms`.
    pub max_wait_ms: u32,
    /// `replica.fetch.min.bytes`.
    pub min_bytes: u32,
    /// `replica.fetch.max.bytes`, per partition.
    pub partition_max_bytes: u32,
    /// `replica.fetch.response.max.bytes`.
    pub response_max_bytes: u32,
    /// `replica.fetch.backoff.ms`: pause after an error.
    pub backoff: Duration,
    /// `replica.socket.timeout.ms`: longest wait for an answer beyond `max_wait_ms`.
    pub request_timeout: Duration,
}

impl FetcherSettings {
    pub fn from_config(config: &ServerConfig) -> Self {
        let defaults = Self::default();
        let positive = |v: i32, default: u32| u32::try_from(v).ok().filter(|v| *v > 0).unwrap_or(default);
        Self {
            max_wait_ms: positive(config.replica_fetch_wait_max_ms, defaults.max_wait_ms),
            partition_max_bytes: positive(config.replica_fetch_max_bytes, defaults.partition_max_bytes),
            response_max_bytes: positive(config.replica_fetch_response_max_bytes, defaults.response_max_bytes),
            ..defaults
        }
    }
}

impl Default for FetcherSettings {
    /// Kafka's defaults.
    fn default() -> Self {
        Self {
            max_wait_ms: 500,
            min_bytes: 1,
            partition_max_bytes: 1 << 20,
            response_max_bytes: 10 << 20,
            backoff: Duration::from_millis(1_000),
            request_timeout: Duration::from_millis(30_000),
        }
    }
}

/// What every fetcher task shares.
#[derive(Debug)]
struct Shared {
    local_node: NodeId,
    partitions: Arc<Partitions>,
    /// Voter id → `host:port` of its controller listener, where its replication service is; other
    /// brokers are found through their registration ([`replication_address`]).
    addresses: BTreeMap<NodeId, String>,
    settings: FetcherSettings,
    stop: watch::Receiver<bool>,
}

#[derive(Debug)]
struct FetcherTask {
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

/// The follower fetchers of a broker, one per leader broker. See the module docs.
#[derive(Debug)]
pub struct ReplicaFetchers {
    shared: Arc<Shared>,
    tasks: Mutex<BTreeMap<NodeId, FetcherTask>>,
}

impl ReplicaFetchers {
    pub fn new(
        partitions: Arc<Partitions>,
        addresses: BTreeMap<NodeId, String>,
        settings: FetcherSettings,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let shared = Shared { local_node: partitions.local_node(), partitions, addresses, settings, stop };
        Self { shared: Arc::new(shared), tasks: Mutex::new(BTreeMap::new()) }
    }

    /// After each applied metadata image: a fetcher for every broker that leads a partition this
    /// broker follows, and every fetcher woken to pick up its new set of partitions.
    pub fn reconcile(&self) {
        let leaders: BTreeSet<NodeId> = self
            .shared
            .partitions
            .hosted()
            .iter()
            .filter_map(|p| p.follower_position())
            .map(|position| position.leader)
            .filter(|leader| *leader != self.shared.local_node)
            .collect();
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        for leader in leaders {
            tasks.entry(leader).or_insert_with(|| {
                let wake = Arc::new(Notify::new());
                let task = tokio::spawn(run_fetcher(leader, Arc::clone(&self.shared), Arc::clone(&wake)));
                FetcherTask { wake, task }
            });
        }
        for fetcher in tasks.values() {
            fetcher.wake.notify_one();
        }
    }

    /// Waits for every fetcher to end (they stop when the stop signal given to [`Self::new`] is set).
    pub async fn join(&self) {
        let tasks: Vec<FetcherTask> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner)).into_values().collect();
        for fetcher in tasks {
            fetcher.wake.notify_one();
            if let Err(e) = fetcher.task.await {
                warn!(error = %e, "a replica fetcher failed");
            }
        }
    }
}

/// An open fetch stream to a leader.
struct Session {
    requests: mpsc::Sender<FollowerFetchRequest>,
    answers: Streaming<FollowerFetchResponse>,
}

/// A partition this fetcher follows, as of this round.
struct Followed {
    partition: Arc<Partition>,
    position: FollowerPosition,
}

type PartitionKey = (TopicId, PartitionIndex);

async fn run_fetcher(leader: NodeId, shared: Arc<Shared>, wake: Arc<Notify>) {
    let mut stop = shared.stop.clone();
    let mut session: Option<Session> = None;
    // Partitions resting after an error, until a time or a leader epoch change.
    let mut resting: HashMap<PartitionKey, (LeaderEpoch, Instant)> = HashMap::new();
    let mut unreachable_logged = false;
    loop {
        if *stop.borrow() {
            return;
        }
        let now = Instant::now();
        let followed: Vec<Followed> = shared
            .partitions
            .hosted()
            .into_iter()
            .filter_map(|partition| {
                let position = partition.follower_position().filter(|p| p.leader == leader)?;
                let key = (partition.topic_id(), partition.topic_partition().partition);
                match resting.get(&key) {
                    Some((epoch, until)) if *epoch == position.leader_epoch && *until > now => None,
                    _ => Some(Followed { partition, position }),
                }
            })
            .collect();
        resting.retain(|_, (_, until)| *until > now);
        if followed.is_empty() {
            // Nothing to fetch from this leader (or all resting): close the stream and wait.
            session = None;
            let nap = resting.values().map(|(_, until)| *until).min();
            tokio::select! {
                () = wake.notified() => {}
                () = sleep_until_or_forever(nap) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            continue;
        }
        if session.is_none() {
            match open_session(leader, &shared).await {
                Ok(opened) => {
                    info!(%leader, partitions = followed.len(), "replica fetcher connected to the leader");
                    unreachable_logged = false;
                    session = Some(opened);
                }
                Err(reason) => {
                    if unreachable_logged {
                        debug!(%leader, %reason, "cannot reach the leader to fetch");
                    } else {
                        warn!(%leader, %reason, "cannot reach the leader to fetch; retrying");
                        unreachable_logged = true;
                    }
                    backoff(&shared, &wake, &mut stop).await;
                    continue;
                }
            }
        }
        let Some(open) = session.as_mut() else { continue };
        let request = fetch_request(&shared, &followed);
        let timeout = Duration::from_millis(u64::from(shared.settings.max_wait_ms)) + shared.settings.request_timeout;
        let answered = tokio::select! {
            answered = exchange(open, request, timeout) => answered,
            _ = stop.wait_for(|s| *s) => return,
        };
        match answered {
            Ok(answer) => {
                let rest = apply_answer(&shared, &followed, answer);
                let now = Instant::now();
                for (key, epoch, why) in rest {
                    let pause = match why {
                        Rest::LeaderBehind => LEADER_BEHIND_RETRY.min(shared.settings.backoff),
                        Rest::Backoff => shared.settings.backoff,
                    };
                    resting.insert(key, (epoch, now + pause));
                }
            }
            Err(reason) => {
                warn!(%leader, %reason, "the fetch stream to the leader broke; reconnecting");
                session = None;
                backoff(&shared, &wake, &mut stop).await;
            }
        }
    }
}

async fn sleep_until_or_forever(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Waits `replica.fetch.backoff.ms`, or less if a new image arrives or the node stops.
async fn backoff(shared: &Shared, wake: &Notify, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(shared.settings.backoff) => {}
        () = wake.notified() => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// Where `leader`'s replication service is: its controller listener if it is a voter (every broker
/// of a combined cluster; the listeners voters reach each other on), else the endpoint it registered
/// for the inter-broker listener, where a Kafka listener hands gRPC over.
fn replication_address(leader: NodeId, shared: &Shared) -> Result<String, String> {
    if let Some(address) = shared.addresses.get(&leader) {
        return Ok(address.clone());
    }
    let listener = shared.partitions.server_config().inter_broker_listener_name.as_str().to_string();
    let image = shared.partitions.image();
    let endpoint = image
        .brokers()
        .get(leader)
        .and_then(|broker| broker.endpoint(&listener))
        .ok_or_else(|| format!("broker {leader} is not a voter and registered no {listener} endpoint"))?;
    Ok(HostPort { host: endpoint.host.clone(), port: endpoint.port }.to_string())
}

async fn open_session(leader: NodeId, shared: &Shared) -> Result<Session, String> {
    let address = &replication_address(leader, shared)?;
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| format!("bad address {address}: {e}"))?
        .connect_timeout(shared.settings.request_timeout)
        .tcp_nodelay(true);
    let channel: Channel = endpoint.connect().await.map_err(|e| format!("connect to {address}: {e}"))?;
    let mut client = ReplicaFetchServiceClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let (requests, outbound) = mpsc::channel(1);
    let opened = tokio::time::timeout(shared.settings.request_timeout, client.fetch(ReceiverStream::new(outbound)))
        .await
        .map_err(|_| format!("{address} did not open the fetch stream in time"))?
        .map_err(|status| format!("{address} refused the fetch stream: {}", status.message()))?;
    Ok(Session { requests, answers: opened.into_inner() })
}

fn fetch_request(shared: &Shared, followed: &[Followed]) -> FollowerFetchRequest {
    FollowerFetchRequest {
        replica_id: shared.local_node.get(),
        max_wait_ms: shared.settings.max_wait_ms,
        min_bytes: shared.settings.min_bytes,
        max_bytes: shared.settings.response_max_bytes,
        partitions: followed
            .iter()
            .map(|f| PartitionFetch {
                topic_id: topic_id_to_wire(f.partition.topic_id()),
                partition: f.partition.topic_partition().partition.get(),
                fetch_offset: f.position.fetch_offset.get(),
                last_fetched_epoch: f.position.last_fetched_epoch.get(),
                current_leader_epoch: f.position.leader_epoch.get(),
                max_bytes: shared.settings.partition_max_bytes,
            })
            .collect(),
    }
}

async fn exchange(
    session: &mut Session,
    request: FollowerFetchRequest,
    timeout: Duration,
) -> Result<FollowerFetchResponse, String> {
    session.requests.send(request).await.map_err(|_| "the stream is closed".to_owned())?;
    match tokio::time::timeout(timeout, session.answers.message()).await {
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
        Ok(Err(status)) => Err(format!("{}: {}", status.code(), status.message())),
        Ok(Ok(None)) => Err("the leader closed the stream".to_owned()),
        Ok(Ok(Some(answer))) => Ok(answer),
    }
}

/// How long a partition rests when the leader answered as if it did not lead it yet.
pub const LEADER_BEHIND_RETRY: Duration = Duration::from_millis(20);

/// Why a partition rests before its next fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// The leader has not applied the metadata that made it leader: retry soon.
    LeaderBehind,
    /// Anything else: `replica.fetch.backoff.ms`, or until this node's next image.
    Backoff,
}

/// Applies an answer (blocking I/O, in place on this worker). Returns the partitions that should
/// rest before the next fetch, with the epoch they were fetched in and why.
fn apply_answer(
    shared: &Shared,
    followed: &[Followed],
    answer: FollowerFetchResponse,
) -> Vec<(PartitionKey, LeaderEpoch, Rest)> {
    let apply = || {
        let by_key: HashMap<PartitionKey, &Followed> =
            followed.iter().map(|f| ((f.partition.topic_id(), f.partition.topic_partition().partition), f)).collect();
        let mut rest = Vec::new();
        for data in answer.partitions {
            let Some(topic_id) = super::wire::topic_id_from_wire(&data.topic_id) else { continue };
            let key = (topic_id, PartitionIndex::new(data.partition));
            let Some(followed) = by_key.get(&key) else { continue };
            let log_manager = shared.partitions.log_manager();
            if let Err(e) = apply_fetched(&followed.partition, followed.position, data, log_manager, wall_clock_ms()) {
                let partition = followed.partition.topic_partition();
                let leader = followed.position.leader;
                if e.is_metadata_lag() {
                    debug!(%partition, %leader, error = %e, "the leader's metadata and ours differ; waiting for the next image");
                } else {
                    warn!(%partition, %leader, error = %e, "cannot apply what the leader sent; retrying after the backoff");
                }
                let why = if e.is_leader_behind() { Rest::LeaderBehind } else { Rest::Backoff };
                rest.push((key, followed.position.leader_epoch, why));
            }
        }
        rest
    };
    crate::partition::run_in_place(apply)
}

/// Why a partition's answer was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the leader answered {0:?}")]
    Leader(ErrorCode),
    #[error(transparent)]
    Partition(#[from] PartitionError),
}

impl ApplyError {
    /// The leader answered as if it had not yet applied the image this follower fetches by: it does
    /// not lead the partition, or does not know the epoch or the partition yet.
    pub fn is_leader_behind(&self) -> bool {
        matches!(
            self,
            ApplyError::Leader(
                ErrorCode::NotLeaderOrFollower | ErrorCode::UnknownLeaderEpoch | ErrorCode::UnknownTopicOrPartition
            )
        )
    }

    /// The leader's metadata and ours disagree about who leads in which epoch: normal around a
    /// leader change, resolved by the next image on one side (the leader's) or the other (a fenced
    /// epoch: this follower's).
    pub fn is_metadata_lag(&self) -> bool {
        self.is_leader_behind() || matches!(self, ApplyError::Leader(ErrorCode::FencedLeaderEpoch))
    }
}

/// Applies the leader's answer for one partition, fetched from `position`: append (and take the high
/// watermark), truncate where the logs diverged, or restart the log at the leader's log start. Blocking.
pub fn apply_fetched(
    partition: &Partition,
    position: FollowerPosition,
    data: PartitionData,
    log_manager: &LogManager,
    now_ms: i64,
) -> Result<FollowerApply, ApplyError> {
    let fetched_in = position.leader_epoch;
    let error = i16::try_from(data.error_code).map_or(ErrorCode::UnknownServerError, ErrorCode::from_code);
    if error == ErrorCode::OffsetOutOfRange {
        let fetch_offset = position.fetch_offset;
        if data.log_start_offset >= 0 && fetch_offset < Offset::new(data.log_start_offset) {
            return Ok(partition.reset_as_follower(
                fetched_in,
                Offset::new(data.log_start_offset),
                log_manager,
                now_ms,
            )?);
        }
        if data.log_end_offset >= 0 && fetch_offset > Offset::new(data.log_end_offset) {
            return Ok(partition.truncate_as_follower(
                fetched_in,
                Offset::new(data.log_end_offset),
                log_manager,
                now_ms,
            )?);
        }
        return Err(ApplyError::Leader(error));
    }
    if error != ErrorCode::None {
        return Err(ApplyError::Leader(error));
    }
    if let Some(leader_epoch_end) = diverging_epoch(&data) {
        let log = partition.log();
        let local = log.end_offset_for_epoch(leader_epoch_end.0);
        let target = truncation_offset(leader_epoch_end, local, log.log_end_offset(), log.high_watermark());
        return Ok(partition.truncate_as_follower(fetched_in, target, log_manager, now_ms)?);
    }
    if data.high_watermark < 0 {
        // Left out of a full answer: nothing to apply.
        return Ok(FollowerApply::Appended { log_end_offset: partition.log().log_end_offset() });
    }
    Ok(partition.append_as_follower(fetched_in, data.records, Offset::new(data.high_watermark), now_ms)?)
}

/// Where a follower truncates when the leader reports that its log diverged (KIP-320, as Kafka's
/// `AbstractFetcherThread.getOffsetTruncationState`): `leader_epoch_end` is the largest epoch the
/// leader has at or below the follower's last fetched epoch and its end offset there; `local` is
/// the follower's own largest epoch at or below that epoch and its end offset (`UNKNOWN` epoch if it
/// has none).
///
/// - Same epoch on both sides: the logs agree up to the smaller of the two end offsets.
/// - The follower's epoch is older: cut to where that epoch ends locally; the next fetch, with that
///   epoch as its last fetched epoch, is checked again by the leader.
/// - The follower has no such epoch: cut to the leader's end offset.
///
/// Never past the local log end; an unknown leader end offset falls back to the high watermark.
pub fn truncation_offset(
    leader_epoch_end: (LeaderEpoch, Offset),
    local: (LeaderEpoch, Offset),
    log_end_offset: Offset,
    high_watermark: Offset,
) -> Offset {
    let (leader_epoch, leader_end) = leader_epoch_end;
    let (local_epoch, local_end) = local;
    let target = if leader_end.get() < 0 {
        high_watermark
    } else if local_epoch == LeaderEpoch::UNKNOWN || local_end.get() < 0 {
        leader_end
    } else if local_epoch == leader_epoch {
        leader_end.min(local_end)
    } else {
        local_end
    };
    target.min(log_end_offset).max(Offset::new(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(epoch: i32) -> LeaderEpoch {
        LeaderEpoch::new(epoch)
    }

    fn o(offset: i64) -> Offset {
        Offset::new(offset)
    }

    #[test]
    fn only_a_leader_behind_on_metadata_is_retried_soon() {
        for code in [ErrorCode::NotLeaderOrFollower, ErrorCode::UnknownLeaderEpoch, ErrorCode::UnknownTopicOrPartition]
        {
            assert!(ApplyError::Leader(code).is_leader_behind(), "{code:?}");
            assert!(ApplyError::Leader(code).is_metadata_lag(), "{code:?}");
        }
        // A fenced epoch means this follower is the one behind: its next image ends the rest.
        assert!(!ApplyError::Leader(ErrorCode::FencedLeaderEpoch).is_leader_behind());
        assert!(ApplyError::Leader(ErrorCode::FencedLeaderEpoch).is_metadata_lag());
        assert!(!ApplyError::Leader(ErrorCode::KafkaStorageError).is_leader_behind());
    }

    #[test]
    fn truncation_follows_kafkas_rules() {
        // Both logs have epoch 3; the leader's ends at 10, ours at 14: the logs agree up to 10.
        assert_eq!(truncation_offset((e(3), o(10)), (e(3), o(14)), o(14), o(8)), o(10));
        // ... and if ours ends first, up to where ours ends.
        assert_eq!(truncation_offset((e(3), o(10)), (e(3), o(9)), o(12), o(8)), o(9));
        // The leader's largest epoch at or below ours is 2, but we have only epoch 1 there: cut to
        // where our epoch 1 ends and ask again.
        assert_eq!(truncation_offset((e(2), o(10)), (e(1), o(6)), o(12), o(4)), o(6));
        // We have no epoch at or below the leader's: cut to the leader's end offset.
        assert_eq!(truncation_offset((e(2), o(5)), (LeaderEpoch::UNKNOWN, Offset::UNKNOWN), o(12), o(4)), o(5));
        // The leader knows no end offset: back to the high watermark.
        assert_eq!(truncation_offset((LeaderEpoch::UNKNOWN, Offset::UNKNOWN), (e(1), o(6)), o(12), o(4)), o(4));
        // Never past our own log end.
        assert_eq!(truncation_offset((e(3), o(20)), (e(3), o(30)), o(15), o(4)), o(15));
    }
}
