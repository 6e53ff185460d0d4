//! [`ControllerHandle`]: the in-process way to the local controller task, and to the images this
//! node's state machine publishes. Cheap to clone; every clone feeds the same queue.

use tokio::sync::{mpsc, oneshot, watch};

use flotilla_metadata::MetadataImage;

use crate::controller::Request;
use crate::error::ControllerError;
use crate::operations::{Operation, OperationReply};

/// A sender of operations to this node's controller task.
#[derive(Debug, Clone)]
pub struct ControllerHandle {
    requests: mpsc::Sender<Request>,
    images: watch::Receiver<MetadataImage>,
}

impl ControllerHandle {
    pub(crate) fn new(requests: mpsc::Sender<Request>, images: watch::Receiver<MetadataImage>) -> Self {
        Self { requests, images }
    }

    /// Queues `operation` (waiting while the queue is full) and waits for its answer.
    ///
    /// # Errors
    /// [`ControllerError::NotController`] unless this node is the active controller, a refusal,
    /// a timeout, or [`ControllerError::ShuttingDown`].
    pub async fn call(&self, operation: Operation) -> Result<OperationReply, ControllerError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request { operation, reply }).await.map_err(|_| ControllerError::ShuttingDown)?;
        answer.await.map_err(|_| ControllerError::ShuttingDown)?
    }

    /// The image this node has applied most recently.
    pub fn image(&self) -> MetadataImage {
        self.images.borrow().clone()
    }

    /// A receiver of every image this node applies from now on (starting with the current one).
    pub fn subscribe(&self) -> watch::Receiver<MetadataImage> {
        self.images.clone()
    }
}
