//! DescribeCluster (key 60), versions 0-2: the cluster id, a controller id and the brokers with their
//! endpoints on this broker's client listener; fenced brokers only when asked (v2+). Only the broker
//! endpoint type (1) is served; asking for controllers (2) is UNSUPPORTED_ENDPOINT_TYPE.

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use flotilla_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::metadata::client_listener;
use super::ApiSupport;
use crate::broker::Broker;
use crate::connection::RequestContext;

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::DescribeCluster, versions: VersionRange { min: 0, max: 2 }, advertised_min: 0 };

const BROKER_ENDPOINTS: i8 = 1;

pub fn handle(broker: &Broker, _ctx: &RequestContext, request: &DescribeClusterRequest) -> DescribeClusterResponse {
    let image = broker.image();
    if request.endpoint_type != BROKER_ENDPOINTS {
        return DescribeClusterResponse {
            error_code: ErrorCode::UnsupportedEndpointType.code(),
            error_message: Some("Only broker endpoints are served".into()),
            endpoint_type: request.endpoint_type,
            ..Default::default()
        };
    }
    let listener = client_listener(broker).unwrap_or_default();
    let brokers = image
        .brokers()
        .iter()
        .filter(|b| request.include_fenced_brokers || !b.fenced)
        .filter_map(|b| {
            b.endpoint(&listener).map(|e| DescribeClusterBroker {
                broker_id: b.id.get(),
                host: e.host.as_str().into(),
                port: i32::from(e.port),
                rack: b.rack.as_deref().map(Into::into),
                is_fenced: b.fenced,
                ..Default::default()
            })
        })
        .collect();
    DescribeClusterResponse {
        cluster_id: image.cluster().cluster_id().unwrap_or_default().into(),
        controller_id: broker.node_id().get(),
        brokers,
        ..Default::default()
    }
}
