//! [`Broker`]: the request handler of a broker node. It holds what handlers need (the hosted
//! partitions, the node's config, the limits) and dispatches each request to the one function of
//! its API's handler file. Add an API by adding its file under `handlers/`, its entry in
//! [`crate::handlers::SUPPORTED_APIS`], and one arm here.

use std::sync::Arc;

use flotilla_config::ServerConfig;
use flotilla_model::NodeId;
use flotilla_protocol::{RequestBody, ResponseBody};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::warn;

use crate::connection::{RequestContext, RequestHandler};
use crate::handlers::{api_versions, fetch, list_offsets, produce};
use crate::partition::Partitions;

/// Limits on what requests may hold on to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerLimits {
    /// Fetches parked waiting for data (long polls) at once; past this a fetch is answered with
    /// what it has instead of waiting.
    pub max_parked_fetches: usize,
}

impl Default for BrokerLimits {
    fn default() -> Self {
        Self { max_parked_fetches: 4096 }
    }
}

/// A broker node's request handler.
#[derive(Debug)]
pub struct Broker {
    config: Arc<ServerConfig>,
    partitions: Arc<Partitions>,
    parked_fetches: Arc<Semaphore>,
    limits: BrokerLimits,
}

impl Broker {
    pub fn new(config: Arc<ServerConfig>, partitions: Arc<Partitions>, limits: BrokerLimits) -> Broker {
        Broker { config, partitions, parked_fetches: Arc::new(Semaphore::new(limits.max_parked_fetches)), limits }
    }

    pub fn node_id(&self) -> NodeId {
        self.partitions.local_node()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn partitions(&self) -> &Arc<Partitions> {
        &self.partitions
    }

    /// Fetches waiting for data right now.
    pub fn parked_fetches(&self) -> usize {
        self.limits.max_parked_fetches.saturating_sub(self.parked_fetches.available_permits())
    }

    /// A slot for a fetch to wait for data, if one is free.
    pub(crate) fn park_fetch(&self) -> Option<OwnedSemaphorePermit> {
        self.parked_fetches.clone().try_acquire_owned().ok()
    }
}

impl RequestHandler for Broker {
    async fn handle(&self, ctx: &RequestContext, request: RequestBody) -> Option<ResponseBody> {
        match request {
            RequestBody::ApiVersions(r) => Some(ResponseBody::ApiVersions(api_versions::handle(&r))),
            RequestBody::Produce(r) => produce::handle(self, ctx, r).await.map(ResponseBody::Produce),
            RequestBody::Fetch(r) => Some(ResponseBody::Fetch(fetch::handle(self, ctx, r).await)),
            RequestBody::ListOffsets(r) => Some(ResponseBody::ListOffsets(list_offsets::handle(self, ctx, r).await)),
            other => {
                // The connection refuses APIs missing from SUPPORTED_APIS before decoding, so this is
                // a registry entry without a dispatch arm: a bug.
                warn!(api = ?other.api_key(), "no handler for a registered API");
                None
            }
        }
    }
}
