//! A broker-only node's copy of the committed metadata, followed from the controller quorum.
//!
//! Voters apply the raft log to their own image; a node without the controller role has no copy of
//! the log, so it asks a voter to `WatchMetadata` and rebuilds the image from the records each
//! update carries (the whole image, as a snapshot would). Any voter serves: every image it publishes
//! holds only committed records. If the stream breaks, the next voter is tried after the retry
//! backoff. An image older than the one held (a voter still replaying its log after a restart) is
//! ignored, so the followed image never goes back.
//!
//! A voter cut off from the quorum keeps its stream open but stops advancing. The broker's heartbeats
//! learn the active controller's metadata offset ([`MetadataFollower::note_committed_offset`]); if the
//! followed image stays behind it for [`STALE_AFTER`], the follower leaves that voter for another.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flotilla_metadata::{replay, MetadataBatch, MetadataImage};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::codec::decode;
use crate::proto::controller_reply;
use crate::proto::ControllerRequest;
use crate::remote::RemoteController;

/// How long the followed image may stay behind the active controller's offset before the follower
/// tries another voter.
pub const STALE_AFTER: Duration = Duration::from_secs(5);
/// How often the stream's progress is compared with the active controller's offset.
const STALE_CHECK: Duration = Duration::from_millis(500);

/// The followed image; following stops when this is dropped.
#[derive(Debug)]
pub struct MetadataFollower {
    images: watch::Receiver<MetadataImage>,
    committed: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl MetadataFollower {
    /// Starts following the quorum `remote` reaches.
    pub fn start(remote: RemoteController) -> Self {
        let (publish, images) = watch::channel(MetadataImage::empty());
        let committed = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(follow(remote, publish, Arc::clone(&committed)));
        Self { images, committed, task }
    }

    /// The active controller's metadata offset, as a heartbeat reply reported it.
    pub fn note_committed_offset(&self, offset: u64) {
        self.committed.fetch_max(offset, Ordering::Relaxed);
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

async fn follow(remote: RemoteController, publish: watch::Sender<MetadataImage>, committed: Arc<AtomicU64>) {
    loop {
        let (target, client) = remote.next_client();
        let outcome = async {
            let mut stream = client
                .map_err(|e| e.to_string())?
                .watch_metadata(ControllerRequest { payload: Vec::new() })
                .await
                .map_err(|status| status.to_string())?
                .into_inner();
            let mut checks = tokio::time::interval(STALE_CHECK);
            let mut behind_since: Option<Instant> = None;
            loop {
                let message = tokio::select! {
                    message = stream.message() => message,
                    _ = checks.tick() => {
                        let behind = publish.borrow().position().offset < committed.load(Ordering::Relaxed);
                        match (behind, behind_since) {
                            (false, _) => behind_since = None,
                            (true, None) => behind_since = Some(Instant::now()),
                            (true, Some(since)) if since.elapsed() >= STALE_AFTER => {
                                return Err("this controller stays behind the active controller".into());
                            }
                            (true, Some(_)) => {}
                        }
                        continue;
                    }
                };
                let Some(update) = message.map_err(|status| status.to_string())? else {
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
            tracing::info!(controller = %target, %reason, "following the metadata from another controller");
        }
        if publish.is_closed() {
            return;
        }
        remote.move_on_after_failure(target).await;
    }
}
