//! The server side of `ControllerService` (`proto/controller.proto`): each RPC decodes its
//! operation's request from the envelope, queues it for this node's controller task, and encodes
//! the reply or the [`ControllerError`] (a NotController error carries the leader hint the client
//! follows). An envelope that does not decode is gRPC `INVALID_ARGUMENT`.
//!
//! [`controller_grpc_service`] is the service to add to a tonic server (the raft server, once it
//! accepts more services); [`ControllerServer`] serves it on a listener of its own until then.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flotilla_metadata::{LogPosition, MetadataImage};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::codec::{decode, encode};
use crate::error::ControllerError;
use crate::handle::ControllerHandle;
use crate::image_records::image_to_batches;
use crate::operations::{Operation, OperationReply};
use crate::proto::controller_reply;
use crate::proto::controller_service_server::{ControllerService, ControllerServiceServer};
use crate::proto::{ControllerReply, ControllerRequest};

/// Largest controller message sent or accepted, in bytes (a CreateTopics of many topics with
/// manual assignments is the largest).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How long `ControllerServer::shutdown` waits for the server to stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// `WatchMetadata` streams served at once: one per broker-only node, with room for reconnects.
pub const MAX_METADATA_WATCHES: usize = 256;

/// Serves one node's controller over gRPC.
#[derive(Debug, Clone)]
pub struct ControllerGrpcService {
    controller: ControllerHandle,
    /// One slot per open `WatchMetadata` stream.
    watches: Arc<Semaphore>,
    /// The newest image as `WatchMetadata` sends it, shared by every stream.
    encoded: Arc<EncodedImage>,
}

/// The tonic service for `controller`, with the message size limits set.
pub fn controller_grpc_service(controller: ControllerHandle) -> ControllerServiceServer<ControllerGrpcService> {
    let watches = Arc::new(Semaphore::new(MAX_METADATA_WATCHES));
    let encoded = Arc::new(EncodedImage::default());
    ControllerServiceServer::new(ControllerGrpcService { controller, watches, encoded })
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

fn error_reply(error: &ControllerError) -> Result<Response<ControllerReply>, Status> {
    let bytes = encode(error, "controller error").map_err(|e| Status::internal(e.to_string()))?;
    Ok(Response::new(ControllerReply { result: Some(controller_reply::Result::Error(bytes)) }))
}

impl ControllerGrpcService {
    async fn serve<Q: DeserializeOwned, R: Serialize>(
        &self,
        request: Request<ControllerRequest>,
        wrap: fn(Q) -> Operation,
        unwrap: fn(OperationReply) -> Option<R>,
    ) -> Result<Response<ControllerReply>, Status> {
        let request: Q = decode(&request.into_inner().payload, "controller request")
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        match self.controller.call(wrap(request)).await {
            Ok(reply) => match unwrap(reply) {
                Some(reply) => {
                    let bytes = encode(&reply, "controller reply").map_err(|e| Status::internal(e.to_string()))?;
                    Ok(Response::new(ControllerReply { result: Some(controller_reply::Result::Ok(bytes)) }))
                }
                None => error_reply(&ControllerError::Internal("the controller answered another operation".into())),
            },
            Err(e) => error_reply(&e),
        }
    }
}

macro_rules! rpcs {
    ($($method:ident => $variant:ident,)*) => {
        #[tonic::async_trait]
        impl ControllerService for ControllerGrpcService {
            type WatchMetadataStream = ReceiverStream<Result<ControllerReply, Status>>;

            async fn watch_metadata(
                &self,
                _request: Request<ControllerRequest>,
            ) -> Result<Response<Self::WatchMetadataStream>, Status> {
                let slot = Arc::clone(&self.watches).try_acquire_owned().map_err(|_| {
                    Status::resource_exhausted(format!(
                        "this controller serves at most {MAX_METADATA_WATCHES} metadata streams"
                    ))
                })?;
                Ok(Response::new(watch_metadata(self.controller.subscribe(), Arc::clone(&self.encoded), slot)))
            }

            $(
                async fn $method(
                    &self,
                    request: Request<ControllerRequest>,
                ) -> Result<Response<ControllerReply>, Status> {
                    self.serve(request, Operation::$variant, |reply| match reply {
                        OperationReply::$variant(reply) => Some(reply),
                        _ => None,
                    })
                    .await
                }
            )*
        }
    };
}

rpcs! {
    register_broker => RegisterBroker,
    broker_heartbeat => BrokerHeartbeat,
    unregister_broker => UnregisterBroker,
    alter_partition => AlterPartition,
    elect_leaders => ElectLeaders,
    alter_partition_reassignments => AlterPartitionReassignments,
    create_topics => CreateTopics,
    delete_topics => DeleteTopics,
    create_partitions => CreatePartitions,
    incremental_alter_configs => IncrementalAlterConfigs,
    allocate_producer_ids => AllocateProducerIds,
    describe_quorum => DescribeQuorum,
}

/// The newest image encoded as `WatchMetadata` sends it. Every stream sends the same image after each
/// change, so it is encoded once, by the first stream to need it, and the others reuse the bytes.
#[derive(Debug, Default)]
struct EncodedImage {
    latest: Mutex<Option<(LogPosition, Arc<Vec<u8>>)>>,
}

impl EncodedImage {
    /// `image` as records, encoded; an image at the position of the cached one is that image.
    fn encoded(&self, image: &MetadataImage) -> Result<Arc<Vec<u8>>, String> {
        // Held while encoding, so streams woken by the same change wait for one encoding.
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((position, bytes)) = latest.as_ref() {
            if *position == image.position() {
                return Ok(Arc::clone(bytes));
            }
        }
        let bytes = Arc::new(encode(&image_to_batches(image), "metadata image").map_err(|e| e.to_string())?);
        *latest = Some((image.position(), Arc::clone(&bytes)));
        Ok(bytes)
    }
}

/// Sends the image in `images` as records now and after every change, until the receiver goes away.
/// One update waits at a time: a slow follower skips to the newest image instead of queueing them.
fn watch_metadata(
    mut images: watch::Receiver<MetadataImage>,
    encoded: Arc<EncodedImage>,
    slot: OwnedSemaphorePermit,
) -> ReceiverStream<Result<ControllerReply, Status>> {
    let (updates, stream) = mpsc::channel(1);
    tokio::spawn(async move {
        let _slot = slot;
        loop {
            let image = images.borrow_and_update().clone();
            let update = match encoded.encoded(&image) {
                Ok(bytes) if bytes.len() <= MAX_MESSAGE_BYTES => {
                    Ok(ControllerReply { result: Some(controller_reply::Result::Ok(bytes.as_ref().clone())) })
                }
                Ok(bytes) => Err(Status::resource_exhausted(format!(
                    "the metadata image takes {} bytes, more than the {MAX_MESSAGE_BYTES} a message may hold",
                    bytes.len()
                ))),
                Err(e) => Err(Status::internal(e)),
            };
            let failed = update.is_err();
            if updates.send(update).await.is_err() || failed {
                return;
            }
            if images.changed().await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(stream)
}

/// `ControllerService` on a listener of its own.
#[derive(Debug)]
pub struct ControllerServer {
    local_addr: SocketAddr,
    running: Mutex<Option<RunningServer>>,
}

/// The stop signal and the task of a running server.
type RunningServer = (oneshot::Sender<()>, JoinHandle<Result<(), tonic::transport::Error>>);

impl ControllerServer {
    /// Serves `controller` on `listener` until [`ControllerServer::shutdown`] (or drop).
    ///
    /// # Errors
    /// The listener has no local address.
    pub fn start(listener: TcpListener, controller: ControllerHandle) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder().add_service(controller_grpc_service(controller)).serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                async {
                    // A dropped sender stops the server too.
                    let _ = stopped.await;
                },
            ),
        );
        Ok(Self { local_addr, running: Mutex::new(Some((stop, task))) })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving and waits for the server to end (at most 10 s, then it is aborted).
    pub async fn shutdown(&self) {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((stop, mut task)) = running {
            let _ = stop.send(());
            match tokio::time::timeout(SHUTDOWN_WAIT, &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the controller gRPC server failed"),
                Ok(Err(e)) => tracing::warn!(error = %e, "the controller gRPC server task failed"),
                Err(_) => {
                    tracing::warn!("the controller gRPC server did not stop in time; aborting it");
                    task.abort();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_metadata::{ClusterIdRecord, MetadataBatch, MetadataDelta, MetadataRecord};

    use super::*;

    fn next(image: &MetadataImage, cluster_id: &str) -> MetadataImage {
        let mut delta = MetadataDelta::new(image);
        let position = LogPosition::new(image.position().offset + 1, 1);
        let records = vec![MetadataRecord::ClusterId(ClusterIdRecord { cluster_id: cluster_id.into() })];
        delta.apply_batch(&MetadataBatch { position, records }).unwrap();
        delta.finish()
    }

    #[test]
    fn each_image_is_encoded_once_for_every_stream() {
        let cache = EncodedImage::default();
        let first = next(&MetadataImage::empty(), "a");
        let once = cache.encoded(&first).unwrap();
        assert!(Arc::ptr_eq(&once, &cache.encoded(&first.clone()).unwrap()), "the same position reuses the bytes");
        assert_eq!(*once, encode(&image_to_batches(&first), "metadata image").unwrap());

        let second = next(&first, "a");
        let again = cache.encoded(&second).unwrap();
        assert!(!Arc::ptr_eq(&once, &again), "a newer image is encoded anew");
        assert_eq!(*again, encode(&image_to_batches(&second), "metadata image").unwrap());
    }
}
