//! [`Broker`]: the request handler of a broker node. It holds what handlers need (the hosted
//! partitions, the node's config, the limits) and dispatches each request to the one function of
//! its API's handler file. Add an API by adding its file under `handlers/`, its entry in
//! [`crate::handlers::SUPPORTED_APIS`], and one arm here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flotilla_config::ServerConfig;
use flotilla_controller::ControllerClient;
use flotilla_metadata::MetadataImage;
use flotilla_model::NodeId;
use flotilla_protocol::{RequestBody, ResponseBody};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::warn;

use crate::connection::{RequestContext, RequestHandler};
use crate::coordinator::GroupCoordinator;
use crate::handlers::init_producer_id::ProducerIdPool;
use crate::handlers::{
    alter_partition_reassignments, api_versions, consumer_group_describe, consumer_group_heartbeat, create_partitions,
    create_topics, delete_groups, delete_topics, describe_cluster, describe_configs, describe_groups, describe_quorum,
    elect_leaders, fetch, find_coordinator, heartbeat, init_producer_id, join_group, leave_group, list_groups,
    list_offsets, list_partition_reassignments, metadata, offset_commit, offset_delete, offset_fetch,
    offset_for_leader_epoch, produce, sync_group,
};
use crate::partition::Partitions;

/// Limits on what requests may hold on to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerLimits {
    /// Fetches parked waiting for data (long polls) at once; past this a fetch is answered with
    /// what it has instead of waiting.
    pub max_parked_fetches: usize,
    /// How long an admin request waits, after the controller committed its change, for this broker's
    /// image to show it, so that a Metadata request that follows sees the change.
    pub image_catch_up: Duration,
}

impl Default for BrokerLimits {
    fn default() -> Self {
        Self { max_parked_fetches: 4096, image_catch_up: Duration::from_secs(10) }
    }
}

/// How often a bounded wait for the local image looks again.
const IMAGE_POLL: Duration = Duration::from_millis(10);

/// A broker node's request handler.
#[derive(Debug)]
pub struct Broker {
    config: Arc<ServerConfig>,
    partitions: Arc<Partitions>,
    parked_fetches: Arc<Semaphore>,
    limits: BrokerLimits,
    controller: Option<Arc<dyn ControllerClient>>,
    producer_ids: Arc<ProducerIdPool>,
    /// The group coordinator; `None` answers group requests COORDINATOR_NOT_AVAILABLE.
    coordinator: Option<Arc<GroupCoordinator>>,
    /// The listener this handler serves, whose advertised endpoints Metadata and DescribeCluster
    /// answer with; `None`: the first advertised listener.
    listener: Option<String>,
}

impl Broker {
    pub fn new(config: Arc<ServerConfig>, partitions: Arc<Partitions>, limits: BrokerLimits) -> Broker {
        Broker {
            config,
            partitions,
            parked_fetches: Arc::new(Semaphore::new(limits.max_parked_fetches)),
            limits,
            controller: None,
            producer_ids: Arc::new(ProducerIdPool::default()),
            coordinator: None,
            listener: None,
        }
    }

    /// This broker as the handler of one listener (`PLAINTEXT`, `EXTERNAL`, ...): the same partitions,
    /// controller, producer ids and limits, answering Metadata with that listener's endpoints, as
    /// Kafka answers each client with the endpoints of the listener it connected to.
    pub fn for_listener(&self, listener: &str) -> Broker {
        Broker {
            config: Arc::clone(&self.config),
            partitions: Arc::clone(&self.partitions),
            parked_fetches: Arc::clone(&self.parked_fetches),
            limits: self.limits,
            controller: self.controller.clone(),
            producer_ids: Arc::clone(&self.producer_ids),
            coordinator: self.coordinator.clone(),
            listener: Some(listener.to_string()),
        }
    }

    /// The listener this handler serves, if it was made for one.
    pub fn listener(&self) -> Option<&str> {
        self.listener.as_deref()
    }

    /// The controller admin requests (CreateTopics, DeleteTopics, InitProducerId, auto-creation) go
    /// to. Without one they are answered NOT_CONTROLLER.
    pub fn with_controller(mut self, controller: Arc<dyn ControllerClient>) -> Broker {
        self.controller = Some(controller);
        self
    }

    /// The group coordinator group requests go to.
    pub fn with_coordinator(mut self, coordinator: Arc<GroupCoordinator>) -> Broker {
        self.coordinator = Some(coordinator);
        self
    }

    pub(crate) fn coordinator(&self) -> Option<&Arc<GroupCoordinator>> {
        self.coordinator.as_ref()
    }

    pub(crate) fn controller(&self) -> Option<&Arc<dyn ControllerClient>> {
        self.controller.as_ref()
    }

    pub(crate) fn producer_ids(&self) -> &ProducerIdPool {
        &self.producer_ids
    }

    /// The metadata image this broker has applied.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.partitions.image()
    }

    /// Waits, at most [`BrokerLimits::image_catch_up`], until the applied image satisfies `applied`.
    /// Returns whether it did.
    pub(crate) async fn wait_for_image(&self, applied: impl Fn(&MetadataImage) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + self.limits.image_catch_up;
        loop {
            if applied(&self.partitions.image()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(IMAGE_POLL).await;
        }
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
        let api = request.api_key();
        let started = Instant::now();
        let response = self.dispatch(ctx, request).await;
        self.partitions.metrics().observe_request(api.name(), started.elapsed());
        response
    }
}

impl Broker {
    /// Hands `request` to its API's handler.
    async fn dispatch(&self, ctx: &RequestContext, request: RequestBody) -> Option<ResponseBody> {
        match request {
            RequestBody::ApiVersions(r) => Some(ResponseBody::ApiVersions(api_versions::handle(&r))),
            RequestBody::Produce(r) => produce::handle(self, ctx, r).await.map(ResponseBody::Produce),
            RequestBody::Fetch(r) => Some(ResponseBody::Fetch(fetch::handle(self, ctx, r).await)),
            RequestBody::ListOffsets(r) => Some(ResponseBody::ListOffsets(list_offsets::handle(self, ctx, r).await)),
            RequestBody::Metadata(r) => Some(ResponseBody::Metadata(metadata::handle(self, ctx, r).await)),
            RequestBody::CreateTopics(r) => Some(ResponseBody::CreateTopics(create_topics::handle(self, ctx, r).await)),
            RequestBody::DeleteTopics(r) => Some(ResponseBody::DeleteTopics(delete_topics::handle(self, ctx, r).await)),
            RequestBody::CreatePartitions(r) => {
                Some(ResponseBody::CreatePartitions(create_partitions::handle(self, ctx, r).await))
            }
            RequestBody::DescribeCluster(r) => {
                Some(ResponseBody::DescribeCluster(describe_cluster::handle(self, ctx, &r)))
            }
            RequestBody::DescribeQuorum(r) => {
                Some(ResponseBody::DescribeQuorum(describe_quorum::handle(self, ctx, r).await))
            }
            RequestBody::ElectLeaders(r) => Some(ResponseBody::ElectLeaders(elect_leaders::handle(self, ctx, r).await)),
            RequestBody::AlterPartitionReassignments(r) => Some(ResponseBody::AlterPartitionReassignments(
                alter_partition_reassignments::handle(self, ctx, r).await,
            )),
            RequestBody::ListPartitionReassignments(r) => {
                Some(ResponseBody::ListPartitionReassignments(list_partition_reassignments::handle(self, ctx, &r)))
            }
            RequestBody::OffsetForLeaderEpoch(r) => {
                Some(ResponseBody::OffsetForLeaderEpoch(offset_for_leader_epoch::handle(self, ctx, r).await))
            }
            RequestBody::DescribeConfigs(r) => {
                Some(ResponseBody::DescribeConfigs(describe_configs::handle(self, ctx, &r)))
            }
            RequestBody::InitProducerId(r) => {
                Some(ResponseBody::InitProducerId(init_producer_id::handle(self, ctx, r).await))
            }
            RequestBody::FindCoordinator(r) => {
                Some(ResponseBody::FindCoordinator(find_coordinator::handle(self, ctx, r).await))
            }
            RequestBody::JoinGroup(r) => Some(ResponseBody::JoinGroup(join_group::handle(self, ctx, r).await)),
            RequestBody::SyncGroup(r) => Some(ResponseBody::SyncGroup(sync_group::handle(self, ctx, r).await)),
            RequestBody::Heartbeat(r) => Some(ResponseBody::Heartbeat(heartbeat::handle(self, ctx, &r))),
            RequestBody::LeaveGroup(r) => Some(ResponseBody::LeaveGroup(leave_group::handle(self, ctx, &r))),
            RequestBody::OffsetCommit(r) => Some(ResponseBody::OffsetCommit(offset_commit::handle(self, ctx, r).await)),
            RequestBody::OffsetFetch(r) => Some(ResponseBody::OffsetFetch(offset_fetch::handle(self, ctx, &r))),
            RequestBody::ListGroups(r) => Some(ResponseBody::ListGroups(list_groups::handle(self, ctx, &r))),
            RequestBody::DescribeGroups(r) => {
                Some(ResponseBody::DescribeGroups(describe_groups::handle(self, ctx, &r)))
            }
            RequestBody::DeleteGroups(r) => Some(ResponseBody::DeleteGroups(delete_groups::handle(self, ctx, r).await)),
            RequestBody::OffsetDelete(r) => Some(ResponseBody::OffsetDelete(offset_delete::handle(self, ctx, r).await)),
            RequestBody::ConsumerGroupHeartbeat(r) => {
                Some(ResponseBody::ConsumerGroupHeartbeat(consumer_group_heartbeat::handle(self, ctx, r)))
            }
            RequestBody::ConsumerGroupDescribe(r) => {
                Some(ResponseBody::ConsumerGroupDescribe(consumer_group_describe::handle(self, ctx, &r)))
            }
            other => {
                // The connection refuses APIs missing from SUPPORTED_APIS before decoding, so this is
                // a registry entry without a dispatch arm: a bug.
                warn!(api = ?other.api_key(), "no handler for a registered API");
                None
            }
        }
    }
}
