//! A Flotilla node: everything `flotilla server` runs, wired together and shut down in order.
//!
//! [`run_node`] (or [`run_node_with`], which takes listeners the caller has already bound, so tests can
//! use port 0) does, in order:
//!
//! 1. **Directories.** Checks or writes `meta.properties` in every log dir and the metadata log dir
//!    ([`meta_properties`]); a directory of another cluster or node is refused.
//! 2. **Controller.** With `process.roles` including `controller`, starts the [`QuorumController`] on
//!    the controller listener (raft and the `ControllerService` share it).
//! 3. **Data plane.** Opens the [`LogManager`] (recovery runs here), creates [`Partitions`], and follows
//!    the committed metadata: once a heartbeat shows the node caught up with the controller's metadata
//!    offset, every new image is applied with [`Partitions::apply_image`] ([`follow_image`]).
//! 4. **Registration.** Registers the broker with its advertised endpoints, retrying until a
//!    controller answers (a previous incarnation that did not shut down cleanly holds the id until its
//!    session expires), then heartbeats every `broker.heartbeat.interval.ms` with the metadata offset
//!    received; the controller unfences it once it has caught up.
//! 5. **Listeners.** Serves the [`Broker`] on every non-controller listener (`max.connections`,
//!    `socket.request.max.bytes`, `connections.max.idle.ms`).
//!    With `prometheus.listener` set, `/metrics` is served over HTTP from the moment the logs are
//!    open ([`crate::metrics`]).
//! 6. **Upkeep.** Flushes dirty logs, writes checkpoints, deletes segments past retention and keeps
//!    producer state, each on its own interval.
//!
//! When `shutdown` completes: a controlled shutdown (heartbeats with `want_shutdown` until the
//! controller has moved leaderships away and fenced this broker, bounded), then listeners stop
//! accepting and answer their in-flight requests, the background tasks stop, the data plane writes
//! its checkpoints, producer snapshots and clean-shutdown marker ([`Partitions::shutdown`]), and the
//! controller stops.
//!
//! A broker-only node (`process.roles=broker`) skips step 2: it follows the committed metadata from any
//! voter (`WatchMetadata`, [`MetadataFollower`]) and sends registration, heartbeats and admin requests to
//! the active controller over gRPC. It has no controller listener, so its replication service is
//! reached on its Kafka listeners, which hand HTTP/2 connections to gRPC ([`crate::grpc_handoff`]).
//! A controller-only node (`process.roles=controller`) runs step 2 and waits for `shutdown`.

pub mod meta_properties;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flotilla_config::ServerConfig;
use flotilla_controller::operations::{BrokerHeartbeatRequest, BrokerRegistrationRequest};
use flotilla_controller::{
    random_cluster_id, CombinedController, ControllerClient, ControllerClientExt, ControllerError, ControllerOptions,
    MetadataFollower, QuorumController, RemoteController, RemoteControllerOptions, StartError,
};
use flotilla_metadata::{BrokerEpoch, Endpoint, MetadataImage, SecurityProtocol};
use flotilla_model::NodeId;
use flotilla_storage::{LogManager, StorageError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::broker::{Broker, BrokerLimits};
use crate::connection::ConnectionLimits;
use crate::coordinator::{run_coordinator, GroupCoordinator};
use crate::grpc_handoff::GrpcHandoff;
use crate::metrics::http::{serve_metrics, SnapshotSource};
use crate::metrics::Snapshot;
use crate::partition::log_config::log_config;
use crate::partition::{wall_clock_ms, Partitions};
use crate::replication::isr::run_isr_upkeep;
use crate::replication::{FetcherSettings, ReplicaFetchLeader, ReplicaFetchers};
use crate::server::{serve_with_grpc, ConnectionBudget};
pub use meta_properties::{MetaProperties, MetaPropertiesError};

/// How often offsets checkpoints are written (Kafka's `log.flush.offset.checkpoint.interval.ms`).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(60_000);
/// How often dirty logs are checked against the flush policy.
const FLUSH_CHECK_INTERVAL: Duration = Duration::from_millis(1_000);
/// How often idle producers are expired and producer snapshots written.
const PRODUCER_STATE_INTERVAL: Duration = Duration::from_millis(60_000);
/// Longest wait for the controller to move leaderships away on shutdown.
const CONTROLLED_SHUTDOWN_MAX: Duration = Duration::from_secs(10);
/// Pause between controlled shutdown heartbeats.
const CONTROLLED_SHUTDOWN_RETRY: Duration = Duration::from_millis(100);
/// Pause between registration attempts while no controller answers.
const REGISTRATION_RETRY: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    MetaProperties(#[from] MetaPropertiesError),
    #[error("cannot bind listener {name} on {address}: {source}")]
    Bind { name: String, address: String, source: std::io::Error },
    #[error("no listener is named {0} in listeners")]
    MissingListener(String),
    #[error("cannot start the controller: {0}")]
    Controller(#[from] StartError),
    #[error("cannot open the log directories: {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Unsupported(String),
    #[error("clean shutdown of the logs failed: {0}")]
    Shutdown(String),
    #[error("a blocking task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("every log dir has failed: {0:?}")]
    AllLogDirsFailed(Vec<PathBuf>),
}

/// What [`run_node_with`] runs.
#[derive(Debug)]
pub struct NodeOptions {
    pub config: Arc<ServerConfig>,
    /// Listeners already bound, by listener name (`PLAINTEXT`, `CONTROLLER`, ...). A listener of the
    /// config not found here is bound from its `host:port`.
    pub bound_listeners: BTreeMap<String, TcpListener>,
    pub broker_limits: BrokerLimits,
}

impl NodeOptions {
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self { config, bound_listeners: BTreeMap::new(), broker_limits: BrokerLimits::default() }
    }
}

/// Runs a node from its config until `shutdown` completes, then shuts it down cleanly.
pub async fn run_node(config: Arc<ServerConfig>, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    run_node_with(NodeOptions::new(config), shutdown).await
}

/// [`run_node`] with pre-bound listeners and broker limits.
pub async fn run_node_with(mut options: NodeOptions, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    let config = Arc::clone(&options.config);
    let node_id = config.node_id;

    // 1. Directories.
    let mut dirs: Vec<PathBuf> = config.log_dirs.clone();
    if !dirs.contains(&config.metadata_log_dir) {
        dirs.push(config.metadata_log_dir.clone());
    }
    let cluster_id = {
        let configured = config.cluster_id.clone();
        tokio::task::spawn_blocking(move || {
            meta_properties::ensure(&dirs, node_id, configured.as_deref(), random_cluster_id)
        })
        .await??
    };
    info!(%node_id, %cluster_id, "log directories checked");

    if !config.is_controller() {
        return run_broker_only(options, &config, &cluster_id, shutdown).await;
    }

    // 2. Controller.
    let controller_listener_name = config
        .controller_listener_names
        .first()
        .map(|n| n.as_str().to_string())
        .ok_or_else(|| NodeError::MissingListener("controller.listener.names".into()))?;
    let raft_listener = take_or_bind(&mut options.bound_listeners, &config, &controller_listener_name).await?;
    let raft_port = raft_listener.local_addr().ok().map(|a| a.port());
    let mut controller_options = ControllerOptions::from_server_config(&config)?;
    controller_options.cluster_id = Some(cluster_id.clone());
    resolve_own_voter_port(&mut controller_options.voters, node_id, raft_port);
    // Followers fetch from this broker on the controller listener too; the service answers once
    // the logs are open.
    let replication = ReplicaFetchLeader::new();
    controller_options.extra_services =
        controller_options.extra_services.clone().add_service(replication.clone().into_service());
    let voters = controller_options.voters.clone();
    let controller = Arc::new(QuorumController::start(controller_options, raft_listener).await?);
    let remote = match RemoteController::new(RemoteControllerOptions::new(voters.clone())) {
        Ok(remote) => remote,
        Err(e) => {
            stop_controller(&controller).await;
            return Err(e.into());
        }
    };
    let client: Arc<dyn ControllerClient> = Arc::new(CombinedController::new(controller.handle(), remote));

    let result = if config.is_broker() {
        let replication = Replication { leader: replication, addresses: voters };
        let metadata = Metadata::Controller(Arc::clone(&controller));
        run_broker(options, &config, &cluster_id, metadata, client, replication, shutdown).await
    } else {
        shutdown.await;
        Ok(())
    };
    stop_controller(&controller).await;
    info!(%node_id, "node stopped");
    result
}

async fn stop_controller(controller: &QuorumController) {
    if let Err(e) = controller.shutdown().await {
        warn!(error = %e, "controller shutdown");
    }
}

/// A broker-only node (`process.roles=broker`): no raft log of its own; it follows the committed
/// metadata from the voters ([`MetadataFollower`]) and sends its requests to the active controller.
async fn run_broker_only(
    options: NodeOptions,
    config: &Arc<ServerConfig>,
    cluster_id: &str,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError> {
    let voters: BTreeMap<NodeId, String> =
        config.controller_quorum_voters.iter().map(|v| (v.node_id, v.address.to_string())).collect();
    let remote = RemoteController::new(RemoteControllerOptions::new(voters.clone()))?;
    let metadata = Metadata::Follower(Arc::new(MetadataFollower::start(remote.clone())));
    let replication = Replication { leader: ReplicaFetchLeader::new(), addresses: voters };
    let result = run_broker(options, config, cluster_id, metadata, Arc::new(remote), replication, shutdown).await;
    info!(node_id = %config.node_id, "node stopped");
    result
}

/// Where a broker's metadata comes from: its own quorum controller (a combined node), or the voters'
/// committed images (a broker-only node).
#[derive(Clone)]
enum Metadata {
    Controller(Arc<QuorumController>),
    /// Told the active controller's offset by each heartbeat reply.
    Follower(Arc<MetadataFollower>),
}

impl Metadata {
    /// A receiver of every committed image this node applies or receives.
    fn images(&self) -> watch::Receiver<MetadataImage> {
        match self {
            Metadata::Controller(controller) => controller.subscribe(),
            Metadata::Follower(follower) => follower.subscribe(),
        }
    }
}

/// A voter entry for this node on port 0 (a test or a one-node dev setup letting the kernel pick the
/// controller port) stands for the port the controller listener was actually bound to.
fn resolve_own_voter_port(voters: &mut BTreeMap<NodeId, String>, node_id: NodeId, bound_port: Option<u16>) {
    let (Some(address), Some(port)) = (voters.get_mut(&node_id), bound_port) else { return };
    if let Some(host) = address.strip_suffix(":0") {
        *address = format!("{host}:{port}");
    }
}

async fn take_or_bind(
    bound: &mut BTreeMap<String, TcpListener>,
    config: &ServerConfig,
    name: &str,
) -> Result<TcpListener, NodeError> {
    if let Some(listener) = bound.remove(name) {
        return Ok(listener);
    }
    let endpoint = config
        .listeners
        .iter()
        .find(|e| e.listener_name.as_str() == name)
        .ok_or_else(|| NodeError::MissingListener(name.to_string()))?;
    let address = format!("{}:{}", endpoint.host.as_deref().unwrap_or("0.0.0.0"), endpoint.port);
    TcpListener::bind(&address).await.map_err(|source| NodeError::Bind { name: name.to_string(), address, source })
}

/// The node's replication: the leader service on the controller listener and where the other
/// brokers' services are (their controller listeners).
struct Replication {
    leader: ReplicaFetchLeader,
    addresses: BTreeMap<NodeId, String>,
}

async fn run_broker(
    mut options: NodeOptions,
    config: &Arc<ServerConfig>,
    cluster_id: &str,
    metadata: Metadata,
    client: Arc<dyn ControllerClient>,
    replication: Replication,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError> {
    let node_id = config.node_id;
    // Bind first, so a port in use fails the start before anything is registered.
    let mut listeners = Vec::new();
    for endpoint in &config.listeners {
        let name = endpoint.listener_name.as_str();
        if config.controller_listener_names.contains(&endpoint.listener_name) {
            continue;
        }
        listeners.push((name.to_string(), take_or_bind(&mut options.bound_listeners, config, name).await?));
    }
    let metrics_listener = match &config.prometheus_listener {
        Some(address) => {
            let address = address.to_string();
            let bound = TcpListener::bind(&address).await;
            Some(bound.map_err(|source| NodeError::Bind { name: "prometheus.listener".into(), address, source })?)
        }
        None => None,
    };
    // A listener configured on port 0 gets its port from the kernel; clients must be told that port.
    let bound_ports: BTreeMap<String, u16> = listeners
        .iter()
        .filter_map(|(name, listener)| Some((name.clone(), listener.local_addr().ok()?.port())))
        .collect();

    // 3. Data plane.
    let partitions = {
        let config = Arc::clone(config);
        tokio::task::spawn_blocking(move || -> Result<Arc<Partitions>, NodeError> {
            let defaults = log_config(&config.topic_defaults);
            let logs = LogManager::open(&config.log_dirs, |_| defaults.clone(), wall_clock_ms())?;
            Ok(Arc::new(Partitions::new(config.node_id, Arc::clone(&config), Arc::new(logs))))
        })
        .await??
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    if let Some(listener) = metrics_listener {
        let mut stop = stop_rx.clone();
        tasks.spawn(serve_metrics(
            listener,
            Arc::clone(partitions.metrics()),
            metrics_snapshot(Arc::clone(&partitions), metadata.clone()),
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        ));
    }
    replication.leader.serve(Arc::clone(&partitions));
    // A broker-only node has no controller listener: followers reach its replication service on its
    // Kafka listeners (see `grpc_handoff`). Other nodes serve it on the controller listener, so their
    // Kafka connections are not peeked at.
    let grpc_handoff = if config.is_controller() {
        None
    } else {
        let (grpc_handoff, grpc_connections) = GrpcHandoff::new();
        let mut stop = stop_rx.clone();
        let service = replication.leader.clone().into_service();
        tasks.spawn(async move {
            let served = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(grpc_connections, async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                error!(error = %e, "the replication service on the Kafka listeners failed");
            }
        });
        Some(grpc_handoff)
    };
    let fetchers = Arc::new(ReplicaFetchers::new(
        Arc::clone(&partitions),
        replication.addresses,
        FetcherSettings::from_config(config),
        stop_rx.clone(),
    ));
    let (caught_up_tx, caught_up_rx) = watch::channel(false);
    tasks.spawn(follow_image(
        Arc::clone(&partitions),
        Arc::clone(&fetchers),
        metadata.images(),
        caught_up_rx,
        stop_rx.clone(),
    ));

    // 4. Registration and heartbeats.
    let broker_epoch = Arc::new(AtomicI64::new(-1));
    let registration = BrokerRegistrationRequest {
        broker_id: node_id,
        cluster_id: cluster_id.to_string(),
        incarnation_id: uuid::Uuid::new_v4(),
        endpoints: advertised_endpoints(config, &bound_ports),
        rack: config.broker_rack.clone(),
    };
    let heartbeat_interval =
        Duration::from_millis(u64::try_from(config.broker_heartbeat_interval_ms).unwrap_or(2_000).max(10));
    let session_timeout =
        Duration::from_millis(u64::try_from(config.broker_session_timeout_ms).unwrap_or(9_000).max(10));
    // A heartbeat stuck on a controller that stopped answering (paused, cut off) must give up in time
    // for the next one to reach the new active controller within the session timeout.
    let heartbeat_timeout = (session_timeout / 2).max(heartbeat_interval);
    // Its own stop signal: on shutdown the controlled shutdown runs first, while listeners still serve.
    let (leave_tx, leave_rx) = watch::channel(false);
    let (unfenced_tx, mut unfenced_rx) = watch::channel(false);
    let heartbeats = tokio::spawn(register_and_heartbeat(
        Arc::clone(&client),
        registration,
        Heartbeats { interval: heartbeat_interval, timeout: heartbeat_timeout },
        metadata.images(),
        Readiness { caught_up: caught_up_tx, unfenced: unfenced_tx, metadata: metadata.clone() },
        Arc::clone(&broker_epoch),
        leave_rx,
    ));

    // 5. Listeners, once the controller has unfenced this broker (it has registered and caught up with the
    // metadata), as Kafka's broker does: before that, a client would see a cluster without this broker.
    tokio::pin!(shutdown);
    let mut shutdown_requested = false;
    info!(%node_id, "waiting for the controller to unfence this broker");
    tokio::select! {
        _ = unfenced_rx.wait_for(|u| *u) => {}
        _ = &mut shutdown => shutdown_requested = true,
    }
    let client_for_isr = Arc::clone(&client);
    let coordinator = GroupCoordinator::new(Arc::clone(&partitions), config);
    let broker = Broker::new(Arc::clone(config), Arc::clone(&partitions), options.broker_limits)
        .with_controller(client)
        .with_coordinator(Arc::clone(&coordinator));
    let limits = ConnectionLimits {
        max_request_bytes: usize::try_from(config.socket_request_max_bytes).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_millis(u64::try_from(config.connections_max_idle_ms).unwrap_or(600_000)),
    };
    // One budget over all listeners, as Kafka counts `max.connections`.
    let budget = ConnectionBudget::new(usize::try_from(config.max_connections).unwrap_or(usize::MAX));
    let mut servers = JoinSet::new();
    for (name, listener) in listeners {
        match listener.local_addr() {
            Ok(address) => info!(listener = name, %address, "serving Kafka clients"),
            Err(e) => warn!(listener = name, error = %e, "serving Kafka clients on an unknown address"),
        }
        let mut stop = stop_rx.clone();
        let handler = Arc::new(broker.for_listener(&name));
        servers.spawn(serve_with_grpc(listener, handler, limits, budget.clone(), grpc_handoff.clone(), async move {
            let _ = stop.wait_for(|s| *s).await;
        }));
    }

    // 6. Upkeep.
    tasks.spawn(upkeep(Arc::clone(&partitions), Arc::clone(config), stop_rx.clone()));
    tasks.spawn(run_coordinator(coordinator, stop_rx.clone()));
    let (dirs_failed_tx, mut dirs_failed_rx) = watch::channel(false);
    tasks.spawn(watch_log_dirs(Arc::clone(&partitions), dirs_failed_tx, stop_rx.clone()));
    tasks.spawn(run_isr_upkeep(
        Arc::clone(&partitions),
        Arc::clone(&client_for_isr),
        Arc::clone(&broker_epoch),
        config.replica_lag_time_max_ms,
        stop_rx.clone(),
    ));

    let mut all_dirs_failed = false;
    if !shutdown_requested {
        tokio::select! {
            () = &mut shutdown => {}
            _ = dirs_failed_rx.wait_for(|failed| *failed) => all_dirs_failed = true,
        }
    }
    if all_dirs_failed {
        // As Kafka: nothing can be served or replicated, so leave the cluster (a controlled shutdown
        // moves the leaderships away) and exit with an error for the operator.
        error!(%node_id, dirs = ?partitions.log_manager().log_dirs(), "shutting down the broker because all log dirs have failed");
    }
    info!(%node_id, "shutting down");
    let _ = leave_tx.send(true);
    if let Err(e) = heartbeats.await {
        warn!(error = %e, "the heartbeat task failed");
    }
    let _ = stop_tx.send(true);
    while servers.join_next().await.is_some() {}
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            warn!(error = %e, "a background task failed");
        }
    }
    fetchers.join().await;
    let epoch = broker_epoch.load(Ordering::SeqCst);
    if all_dirs_failed {
        return Err(NodeError::AllLogDirsFailed(partitions.log_manager().log_dirs()));
    }
    tokio::task::spawn_blocking(move || partitions.shutdown(epoch))
        .await?
        .map_err(|e| NodeError::Shutdown(e.to_string()))?;
    info!(%node_id, "logs closed cleanly");
    Ok(())
}

/// What the metrics' gauges are set from at each scrape: the broker's applied image and the
/// controller quorum's committed offset and leadership as this node sees them.
fn metrics_snapshot(partitions: Arc<Partitions>, metadata: Metadata) -> SnapshotSource {
    Arc::new(move || {
        let partitions = Arc::clone(&partitions);
        let metadata = metadata.clone();
        Box::pin(async move {
            let (committed, is_active_controller) = match &metadata {
                Metadata::Controller(controller) => (controller.committed_offset().await, controller.is_leader()),
                // Without a controller of its own, the newest image received is the newest known committed.
                Metadata::Follower(follower) => (Some(follower.subscribe().borrow().position().offset), false),
            };
            Snapshot {
                gauges: partitions.gauges(is_active_controller),
                metadata_last_applied_offset: i64::try_from(partitions.image().position().offset).unwrap_or(i64::MAX),
                metadata_last_committed_offset: committed.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX)),
            }
        })
    })
}

/// How often the log dirs' health is looked at.
const LOG_DIR_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Reports each log dir that went offline (an I/O error on it: a full or failed disk) once, with the
/// error, and sets `all_failed` once none is left online.
async fn watch_log_dirs(partitions: Arc<Partitions>, all_failed: watch::Sender<bool>, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(LOG_DIR_CHECK_INTERVAL);
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = ticks.tick() => {}
        }
        let logs = partitions.log_manager();
        for failure in logs.take_new_failures() {
            error!(dir = %failure.dir.display(), error = %failure.error, "log dir is offline: its partitions are no longer served");
        }
        if logs.offline_dirs().len() == logs.log_dirs().len() && !logs.log_dirs().is_empty() {
            let _ = all_failed.send(true);
            return;
        }
    }
}

/// The broker's endpoints as registered: its advertised listeners (controller listeners excluded).
/// The broker endpoints registered with the controller; an advertised port 0 stands for the port the
/// listener of that name was bound to.
fn advertised_endpoints(config: &ServerConfig, bound_ports: &BTreeMap<String, u16>) -> Vec<Endpoint> {
    config
        .advertised_listeners
        .iter()
        .filter(|e| !config.controller_listener_names.contains(&e.listener_name))
        .map(|e| Endpoint {
            listener: e.listener_name.as_str().to_string(),
            host: e.host.clone().filter(|h| !h.is_empty() && h != "0.0.0.0").unwrap_or_else(|| "localhost".into()),
            port: match e.port {
                0 => bound_ports.get(e.listener_name.as_str()).copied().unwrap_or(0),
                port => port,
            },
            security_protocol: match e.security_protocol {
                flotilla_config::SecurityProtocol::Plaintext => SecurityProtocol::Plaintext,
                flotilla_config::SecurityProtocol::Ssl => SecurityProtocol::Ssl,
                flotilla_config::SecurityProtocol::SaslPlaintext => SecurityProtocol::SaslPlaintext,
                flotilla_config::SecurityProtocol::SaslSsl => SecurityProtocol::SaslSsl,
            },
        })
        .collect()
}

/// Applies every committed image to the hosted partitions, newest first when several queued up, from
/// the moment `caught_up` turns true: an image of a metadata log still being replayed at startup is
/// not applied, as a Kafka broker publishes metadata only once it has caught up with the controller.
pub async fn follow_image(
    partitions: Arc<Partitions>,
    fetchers: Arc<ReplicaFetchers>,
    mut images: watch::Receiver<MetadataImage>,
    mut caught_up: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::select! {
        ready = caught_up.wait_for(|c| *c) => if ready.is_err() { return },
        _ = stop.wait_for(|s| *s) => return,
    }
    info!(offset = images.borrow().position().offset, "caught up with the metadata log; applying images");
    loop {
        let image = images.borrow_and_update().clone();
        let applying = Arc::clone(&partitions);
        let position = image.position();
        match tokio::task::spawn_blocking(move || applying.apply_image(&image)).await {
            Ok(report) => {
                debug!(offset = position.offset, ?report, "applied metadata image");
                fetchers.reconcile();
            }
            Err(e) => error!(error = %e, "applying a metadata image failed"),
        }
        tokio::select! {
            changed = images.changed() => if changed.is_err() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// What the heartbeats tell the rest of the node: the broker has caught up with the metadata log (images
/// may be applied) and the controller has unfenced it (clients may be served).
struct Readiness {
    caught_up: watch::Sender<bool>,
    unfenced: watch::Sender<bool>,
    /// Where the metadata comes from; a broker-only node's follower learns from replies how far the
    /// quorum is.
    metadata: Metadata,
}

/// How often heartbeats go out, and how long one may take.
#[derive(Debug, Clone, Copy)]
struct Heartbeats {
    interval: Duration,
    timeout: Duration,
}

async fn register_and_heartbeat(
    client: Arc<dyn ControllerClient>,
    registration: BrokerRegistrationRequest,
    heartbeats: Heartbeats,
    images: watch::Receiver<MetadataImage>,
    readiness: Readiness,
    broker_epoch: Arc<AtomicI64>,
    mut stop: watch::Receiver<bool>,
) {
    let broker_id = registration.broker_id;
    let epoch = loop {
        match client.register_broker(registration.clone()).await {
            Ok(reply) => break reply.broker_epoch,
            Err(e) => debug!(error = %e, "broker registration not accepted yet; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(REGISTRATION_RETRY) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    };
    info!(%broker_id, epoch = epoch.get(), "broker registered");
    broker_epoch.store(epoch.get(), Ordering::SeqCst);
    let mut fenced = true;
    let mut ticks = tokio::time::interval(heartbeats.interval);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        // The offset of the newest committed image received: the follower applies it right away once
        // caught up, and reporting the applied one instead would never let the gate open.
        let received = images.borrow().position().offset;
        let request = BrokerHeartbeatRequest {
            broker_id,
            broker_epoch: BrokerEpoch::new(epoch.get()),
            current_metadata_offset: i64::try_from(received).unwrap_or(i64::MAX),
            want_fence: false,
            want_shutdown: false,
        };
        let answered = tokio::select! {
            answered = tokio::time::timeout(heartbeats.timeout, client.broker_heartbeat(request)) => {
                answered.unwrap_or_else(|_| Err(ControllerError::Unreachable(format!(
                    "no answer within {} ms", heartbeats.timeout.as_millis()
                ))))
            }
            _ = stop.wait_for(|s| *s) => break,
        };
        match answered {
            Ok(reply) => {
                if let Metadata::Follower(follower) = &readiness.metadata {
                    follower.note_committed_offset(reply.controller_metadata_offset);
                }
                if !*readiness.caught_up.borrow()
                    && (reply.is_caught_up || received >= reply.controller_metadata_offset)
                {
                    let _ = readiness.caught_up.send(true);
                }
                readiness.unfenced.send_if_modified(|u| std::mem::replace(u, !reply.is_fenced) == reply.is_fenced);
                if reply.is_fenced != fenced {
                    fenced = reply.is_fenced;
                    info!(%broker_id, fenced, "broker fencing changed");
                }
            }
            Err(e) => warn!(%broker_id, error = %e, "heartbeat failed"),
        }
    }
    controlled_shutdown(client.as_ref(), broker_id, epoch, &images, heartbeats.interval).await;
}

/// Kafka's controlled shutdown: heartbeats with `want_shutdown` until the controller has moved this
/// broker's leaderships away and fenced it (`should_shut_down`), at most [`CONTROLLED_SHUTDOWN_MAX`].
/// A fenced broker's id can be registered again by the next start right away, instead of after
/// `broker.session.timeout.ms`.
async fn controlled_shutdown(
    client: &dyn ControllerClient,
    broker_id: NodeId,
    epoch: BrokerEpoch,
    images: &watch::Receiver<MetadataImage>,
    interval: Duration,
) {
    let deadline = tokio::time::Instant::now() + CONTROLLED_SHUTDOWN_MAX;
    loop {
        let request = BrokerHeartbeatRequest {
            broker_id,
            broker_epoch: epoch,
            current_metadata_offset: i64::try_from(images.borrow().position().offset).unwrap_or(i64::MAX),
            want_fence: false,
            want_shutdown: true,
        };
        match tokio::time::timeout_at(deadline, client.broker_heartbeat(request)).await {
            Ok(Ok(reply)) if reply.should_shut_down => {
                info!(%broker_id, "controlled shutdown complete");
                return;
            }
            Ok(Ok(_)) => debug!(%broker_id, "controlled shutdown in progress"),
            Ok(Err(e)) => warn!(%broker_id, error = %e, "controlled shutdown heartbeat failed"),
            Err(_) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            warn!(%broker_id, "controlled shutdown did not complete in time; stopping anyway");
            return;
        }
        tokio::time::sleep(interval.min(CONTROLLED_SHUTDOWN_RETRY)).await;
    }
}

async fn upkeep(partitions: Arc<Partitions>, config: Arc<ServerConfig>, mut stop: watch::Receiver<bool>) {
    let retention_interval =
        Duration::from_millis(u64::try_from(config.log_retention_check_interval_ms).unwrap_or(300_000).max(100));
    let mut flush = tokio::time::interval(FLUSH_CHECK_INTERVAL);
    let mut checkpoint = tokio::time::interval(CHECKPOINT_INTERVAL);
    let mut retention = tokio::time::interval(retention_interval);
    let mut producers = tokio::time::interval(PRODUCER_STATE_INTERVAL);
    for ticks in [&mut flush, &mut checkpoint, &mut retention, &mut producers] {
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.reset();
    }
    loop {
        let job: fn(&Partitions) = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = flush.tick() => |p| p.log_manager().flush_dirty_logs(wall_clock_ms()),
            _ = checkpoint.tick() => |p| if let Err(e) = p.log_manager().checkpoint_all() {
                warn!(error = %e, "writing checkpoints failed");
            },
            _ = retention.tick() => |p| {
                for (tp, deleted) in p.log_manager().delete_old_segments(wall_clock_ms()) {
                    info!(partition = %tp, segments = deleted.len(), "deleted segments past retention");
                }
            },
            _ = producers.tick() => |p| p.maintain_producer_state(wall_clock_ms()),
        };
        let partitions = Arc::clone(&partitions);
        if let Err(e) = tokio::task::spawn_blocking(move || job(&partitions)).await {
            error!(error = %e, "a log upkeep task failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_voter_on_port_zero_takes_the_bound_port() {
        let mut voters = BTreeMap::from([
            (NodeId::new(1), "127.0.0.1:0".to_string()),
            (NodeId::new(2), "10.0.0.2:0".to_string()),
            (NodeId::new(3), "10.0.0.3:9093".to_string()),
        ]);
        resolve_own_voter_port(&mut voters, NodeId::new(1), Some(40123));
        assert_eq!(voters[&NodeId::new(1)], "127.0.0.1:40123");
        // Other voters are never guessed.
        assert_eq!(voters[&NodeId::new(2)], "10.0.0.2:0");
        resolve_own_voter_port(&mut voters, NodeId::new(3), Some(40124));
        assert_eq!(voters[&NodeId::new(3)], "10.0.0.3:9093", "a configured port is kept");
    }
}
