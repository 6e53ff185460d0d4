//! InitProducerId (key 22), versions 0-5: a producer id for an idempotent producer.
//!
//! Ids come from blocks the controller allocates (unique cluster-wide), kept in a [`ProducerIdPool`]
//! on the broker and handed out one at a time with epoch 0. Transactions are not served yet: a
//! non-null `transactional_id` is answered COORDINATOR_NOT_AVAILABLE (an empty one INVALID_REQUEST,
//! as Kafka's coordinator does).

use flotilla_controller::operations::AllocateProducerIdsRequest;
use flotilla_controller::ControllerClientExt;
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use tokio::sync::Mutex;
use tracing::warn;

use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::InitProducerId, versions: VersionRange { min: 0, max: 5 }, advertised_min: 0 };

/// The unused rest of this broker's current producer-id block: `next .. end`.
#[derive(Debug, Default)]
pub struct ProducerIdPool {
    range: Mutex<(i64, i64)>,
}

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: InitProducerIdRequest) -> InitProducerIdResponse {
    let failed = |code: ErrorCode| InitProducerIdResponse { error_code: code.code(), ..Default::default() };
    match request.transactional_id.as_deref() {
        None => {}
        // Kafka's transaction coordinator refuses an empty transactional id.
        Some("") => return failed(ErrorCode::InvalidRequest),
        Some(_) => return failed(ErrorCode::CoordinatorNotAvailable),
    }
    let Some(controller) = broker.controller() else {
        return failed(ErrorCode::CoordinatorNotAvailable);
    };
    let mut range = broker.producer_ids().range.lock().await;
    if range.0 >= range.1 {
        let image = broker.image();
        let Some(registration) = image.brokers().get(broker.node_id()) else {
            return failed(ErrorCode::CoordinatorNotAvailable);
        };
        let request = AllocateProducerIdsRequest { broker_id: broker.node_id(), broker_epoch: registration.epoch };
        match controller.allocate_producer_ids(request).await {
            Ok(block) => {
                let first = block.first_producer_id.get();
                *range = (first, first.saturating_add(block.size));
            }
            Err(e) => {
                warn!(error = %e, "allocating a producer id block");
                return failed(ErrorCode::CoordinatorNotAvailable);
            }
        }
    }
    let producer_id = range.0;
    range.0 += 1;
    InitProducerIdResponse { error_code: ErrorCode::None.code(), producer_id, producer_epoch: 0, ..Default::default() }
}
