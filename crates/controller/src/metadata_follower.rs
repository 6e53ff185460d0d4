//! A broker-only node's copy of the committed metadata, followed from the controller quorum.
//!
//! Voters apply the raft log to their own image; a node without the controller role has no copy of
//! the log, so it asks a voter to `WatchMetadata` and rebuilds the image from the records each
//! update carries (the whole image, as a snapshot would). Any voter serves: every image it publishes
//! holds only committed records. If the stream breaks, the next voter is tried after the retry
//! backoff. An image older than the one held (a voter still replaying its log after a restart) is
//! ignored, so the followed image never goes back.

use flotilla_metadata::{replay, MetadataBatch, MetadataImage};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::codec::decode;
use crate::proto::controller_reply;
use crate::proto::ControllerRequest;
use crate::remote::RemoteController;

/// The followed image; following stops when this is dropped.
#[derive(Debug)]
pub struct MetadataFollower {
    images: watch::Receiver<MetadataImage>,
    task: JoinHandle<()>,
}

impl MetadataFollower {
    /// Starts following the quorum `remote` reaches.
    pub fn start(remote: RemoteController) -> Self {
        let (publish, images) = watch::channel(MetadataImage::empty());
        let task = tokio::spawn(follow(remote, publish));
        Self { images, task }
    }

    /// A receiver of every newer image.
    pub fn subscribe(&self) -> watch::Receiver<MetadataImage> {
        self.images.clone()
    }
}

impl Drop for MetadataFollower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow(remote: RemoteController, publish: watch::Sender<MetadataImage>) {
    loop {
        let (target, client) = remote.next_client();
        let outcome = async {
            let mut stream = client
                .map_err(|e| e.to_string())?
                .watch_metadata(ControllerRequest { payload: Vec::new() })
                .await
                .map_err(|status| status.to_string())?
                .into_inner();
            loop {
                let Some(update) = stream.message().await.map_err(|status| status.to_string())? else {
                    return Err::<(), String>("the stream ended".into());
                };
                let Some(controller_reply::Result::Ok(bytes)) = update.result else {
                    return Err("an update without an image".into());
                };
                let batches: Vec<MetadataBatch> = decode(&bytes, "metadata image").map_err(|e| e.to_string())?;
                let image = replay(&MetadataImage::empty(), &batches).map_err(|e| e.to_string())?;
                publish.send_if_modified(|held| {
                    let newer = image.position() > held.position();
                    if newer {
                        *held = image;
                    }
                    newer
                });
            }
        }
        .await;
        if let Err(reason) = outcome {
            tracing::debug!(controller = %target, %reason, "following the metadata from another controller");
        }
        if publish.is_closed() {
            return;
        }
        remote.move_on_after_failure().await;
    }
}
