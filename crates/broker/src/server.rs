//! The accept loop of one Kafka listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::connection::{self, ConnectionLimits, RequestHandler};
use crate::grpc_handoff::{is_grpc, GrpcHandoff};

/// How long the accept loop pauses after a failed accept (typically EMFILE), so it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// The broker-wide connection limit (`max.connections`), shared by every listener given a clone:
/// Kafka counts it over all listeners together.
#[derive(Debug, Clone)]
pub struct ConnectionBudget(Arc<Semaphore>);

impl ConnectionBudget {
    pub fn new(max_connections: usize) -> Self {
        Self(Arc::new(Semaphore::new(max_connections.min(Semaphore::MAX_PERMITS))))
    }

    /// Connections that may still be opened.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

/// Serves Kafka clients on `listener` until `shutdown` completes, then stops accepting, lets every
/// connection answer the request it is handling, and returns when all are closed.
///
/// Connections take a slot of `budget` while open: with none left, accepting pauses until one
/// closes, as Kafka's acceptor does.
pub async fn serve<H: RequestHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: ConnectionLimits,
    budget: ConnectionBudget,
    shutdown: impl Future<Output = ()>,
) {
    serve_with_grpc(listener, handler, limits, budget, None, shutdown).await;
}

/// [`serve`], handing the connections that open with HTTP/2 to `grpc` (node-to-node traffic on a
/// Kafka listener, see [`crate::grpc_handoff`]). A handed-over connection keeps its slot of the budget
/// until it closes.
pub async fn serve_with_grpc<H: RequestHandler>(
    listener: TcpListener,
    handler: Arc<H>,
    limits: ConnectionLimits,
    budget: ConnectionBudget,
    grpc: Option<GrpcHandoff>,
    shutdown: impl Future<Output = ()>,
) {
    let permits = budget.0;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        // Reap finished connections so the set does not grow with the connection history.
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    warn!(%peer, error = %e, "cannot set TCP_NODELAY");
                }
                let handler = handler.clone();
                let stop = stop_rx.clone();
                let grpc = grpc.clone();
                connections.spawn(async move {
                    if let Some(grpc) = grpc {
                        match is_grpc(&stream, limits.idle_timeout).await {
                            Ok(true) => {
                                if !grpc.hand_over(stream, permit).await {
                                    debug!(%peer, "a gRPC connection arrived after the gRPC server stopped");
                                }
                                return;
                            }
                            Ok(false) => {}
                            Err(e) => {
                                debug!(%peer, error = %e, "connection closed before its first request");
                                return;
                            }
                        }
                    }
                    let result = connection::run(stream, peer, handler, limits, stop).await;
                    connection::log_end(peer, &result);
                    drop(permit);
                });
            }
            Err(e) => {
                // Typically EMFILE: keep serving the connections we have.
                warn!(error = %e, "accept failed");
                drop(permit);
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                }
            }
        }
    }
    info!(open = connections.len(), "listener stopping; finishing in-flight requests");
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
}
