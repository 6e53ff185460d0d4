//! ApiVersions (key 18), versions 0-4: the APIs and versions this broker serves.
//!
//! A client may send a newer ApiVersions than we know before it knows what we speak; Kafka answers such a
//! request with a version 0 response carrying UNSUPPORTED_VERSION and the supported versions, and the
//! client retries with a version from that list. [`unsupported_version_response`] builds that answer.

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::api_versions_response::ApiVersion;
use flotilla_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use flotilla_protocol::{ApiKey, VersionRange};

use super::{ApiSupport, SUPPORTED_APIS};

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::ApiVersions, versions: VersionRange { min: 0, max: 4 }, advertised_min: 0 };

fn api_keys() -> Vec<ApiVersion> {
    let mut keys: Vec<ApiVersion> = SUPPORTED_APIS
        .iter()
        .map(|s| ApiVersion {
            api_key: s.api_key.key(),
            min_version: s.advertised_min,
            max_version: s.versions.max,
            ..Default::default()
        })
        .collect();
    keys.sort_by_key(|k| k.api_key);
    keys
}

/// Answers a well-formed ApiVersions request.
pub fn handle(_request: &ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse { error_code: ErrorCode::None.code(), api_keys: api_keys(), ..Default::default() }
}

/// The version 0 answer to an ApiVersions request of a version we do not serve.
pub fn unsupported_version_response() -> ApiVersionsResponse {
    ApiVersionsResponse { error_code: ErrorCode::UnsupportedVersion.code(), api_keys: api_keys(), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertises_exactly_the_registry() {
        let response = handle(&ApiVersionsRequest::default());
        assert_eq!(response.error_code, 0);
        assert_eq!(response.api_keys.len(), SUPPORTED_APIS.len());
        let own = response.api_keys.iter().find(|k| k.api_key == ApiKey::ApiVersions.key()).expect("listed");
        assert_eq!((own.min_version, own.max_version), (0, 4));
    }

    #[test]
    fn registry_versions_exist_in_the_codec() {
        for s in SUPPORTED_APIS {
            let codec = s.api_key.versions();
            assert!(codec.min <= s.versions.min && s.versions.max <= codec.max, "{:?}", s.api_key);
        }
    }
}
