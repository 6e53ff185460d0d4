//! What the broker uses to reach the active controller, wherever it runs:
//!
//! - [`ControllerClient`]: one method, `call`, implemented by the in-process
//!   [`ControllerHandle`], by [`RemoteController`] (gRPC to the quorum), and by
//!   [`CombinedController`] (a broker in a combined node: the local controller when it is the
//!   active one, else the remote path with the leader it named). Object safe, so the broker can
//!   hold an `Arc<dyn ControllerClient>`.
//! - [`ControllerClientExt`]: the typed operations over `call`, for every client.

use std::fmt;
use std::future::Future;

use async_trait::async_trait;

use crate::error::ControllerError;
use crate::handle::ControllerHandle;
use crate::operations::*;
use crate::remote::RemoteController;

/// A way to the active controller.
#[async_trait]
pub trait ControllerClient: Send + Sync + fmt::Debug {
    /// Carries out `operation` on the active controller.
    async fn call(&self, operation: Operation) -> Result<OperationReply, ControllerError>;
}

#[async_trait]
impl ControllerClient for ControllerHandle {
    async fn call(&self, operation: Operation) -> Result<OperationReply, ControllerError> {
        ControllerHandle::call(self, operation).await
    }
}

/// The local controller when it is the active one, otherwise the quorum over gRPC.
///
/// Every call goes to the local task first: on a node that is not the leader it answers
/// NotController at once (a check of the local raft state), naming the leader, and the call goes
/// to that leader over gRPC.
#[derive(Debug, Clone)]
pub struct CombinedController {
    local: ControllerHandle,
    remote: RemoteController,
}

impl CombinedController {
    pub fn new(local: ControllerHandle, remote: RemoteController) -> Self {
        Self { local, remote }
    }
}

#[async_trait]
impl ControllerClient for CombinedController {
    async fn call(&self, operation: Operation) -> Result<OperationReply, ControllerError> {
        match self.local.call(operation.clone()).await {
            Err(ControllerError::NotController { leader_id }) => {
                self.remote.note_leader(leader_id);
                self.remote.call(operation).await
            }
            other => other,
        }
    }
}

fn mismatched(expected: &'static str, reply: &OperationReply) -> ControllerError {
    ControllerError::Internal(format!("expected a {expected} reply, got {reply:?}"))
}

macro_rules! typed_operations {
    ($($(#[$doc:meta])* fn $method:ident($request:ty) -> $reply:ty = $variant:ident;)*) => {
        /// The controller's operations, typed, over [`ControllerClient::call`].
        pub trait ControllerClientExt: ControllerClient {
            $(
                $(#[$doc])*
                fn $method(&self, request: $request) -> impl Future<Output = Result<$reply, ControllerError>> + Send;
            )*
        }

        impl<C: ControllerClient + ?Sized> ControllerClientExt for C {
            $(
                fn $method(&self, request: $request) -> impl Future<Output = Result<$reply, ControllerError>> + Send {
                    async move {
                        match self.call(Operation::$variant(request)).await? {
                            OperationReply::$variant(reply) => Ok(reply),
                            other => Err(mismatched(stringify!($variant), &other)),
                        }
                    }
                }
            )*
        }
    };
}

typed_operations! {
    /// BrokerRegistration.
    fn register_broker(BrokerRegistrationRequest) -> BrokerRegistrationReply = RegisterBroker;
    /// BrokerHeartbeat.
    fn broker_heartbeat(BrokerHeartbeatRequest) -> BrokerHeartbeatReply = BrokerHeartbeat;
    /// UnregisterBroker.
    fn unregister_broker(UnregisterBrokerRequest) -> () = UnregisterBroker;
    /// AlterPartition.
    fn alter_partition(AlterPartitionRequest) -> Vec<AlterPartitionResult> = AlterPartition;
    /// ElectLeaders.
    fn elect_leaders(ElectLeadersRequest) -> Vec<ElectionResult> = ElectLeaders;
    /// AlterPartitionReassignments.
    fn alter_partition_reassignments(AlterPartitionReassignmentsRequest) -> Vec<ReassignmentResult> =
        AlterPartitionReassignments;
    /// CreateTopics.
    fn create_topics(CreateTopicsRequest) -> Vec<CreateTopicResult> = CreateTopics;
    /// DeleteTopics.
    fn delete_topics(DeleteTopicsRequest) -> Vec<DeleteTopicResult> = DeleteTopics;
    /// CreatePartitions.
    fn create_partitions(CreatePartitionsRequest) -> Vec<CreatePartitionsResult> = CreatePartitions;
    /// IncrementalAlterConfigs.
    fn incremental_alter_configs(IncrementalAlterConfigsRequest) -> Vec<AlterConfigsResult> = IncrementalAlterConfigs;
    /// AllocateProducerIds.
    fn allocate_producer_ids(AllocateProducerIdsRequest) -> ProducerIdBlock = AllocateProducerIds;
    /// DescribeQuorum.
    fn describe_quorum(DescribeQuorumRequest) -> QuorumDescription = DescribeQuorum;
}
