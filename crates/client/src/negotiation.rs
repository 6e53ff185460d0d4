//! API version negotiation: what a broker said in ApiVersions, and the version this client uses per API.
//!
//! The version used for an API is the highest one both sides support: the codec's range (Kafka 4.1's
//! definitions) intersected with the broker's advertised range. The handshake itself starts at ApiVersions
//! v4; a broker that does not know it answers with a version 0 body carrying UNSUPPORTED_VERSION and its own
//! ApiVersions range, and the client retries with the highest version in that range, or v0 when the broker
//! listed none (what Kafka's Java client does).

use flotilla_model::ErrorCode;
use flotilla_protocol::messages::api_versions_response::ApiVersion;
use flotilla_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use flotilla_protocol::{ApiKey, Message, VersionRange};

/// One API as a broker advertises it, including keys this client does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerApiVersion {
    pub api_key: i16,
    pub min_version: i16,
    pub max_version: i16,
}

impl BrokerApiVersion {
    /// The API, when this client knows the key.
    pub fn api(&self) -> Option<ApiKey> {
        ApiKey::from_i16(self.api_key)
    }

    /// The version this client would use: the highest one in both ranges.
    pub fn usable_version(&self) -> Option<i16> {
        let ours = self.api()?.versions();
        usable_version(ours, VersionRange { min: self.min_version, max: self.max_version })
    }
}

/// The highest version in both ranges, if they overlap.
pub fn usable_version(ours: VersionRange, theirs: VersionRange) -> Option<i16> {
    let max = ours.max.min(theirs.max);
    let min = ours.min.max(theirs.min);
    (min <= max).then_some(max)
}

/// What a broker supports, from its ApiVersions response, and the versions to use with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiVersions {
    /// As advertised, sorted by key.
    apis: Vec<BrokerApiVersion>,
    /// The ApiVersions version the handshake succeeded with.
    handshake_version: i16,
}

impl ApiVersions {
    /// From a successful ApiVersions response.
    pub fn new(api_keys: &[ApiVersion], handshake_version: i16) -> Self {
        let mut apis: Vec<BrokerApiVersion> = api_keys
            .iter()
            .map(|k| BrokerApiVersion { api_key: k.api_key, min_version: k.min_version, max_version: k.max_version })
            .collect();
        apis.sort_by_key(|a| a.api_key);
        apis.dedup_by_key(|a| a.api_key);
        Self { apis, handshake_version }
    }

    /// Every API the broker advertised, by key.
    pub fn broker_apis(&self) -> &[BrokerApiVersion] {
        &self.apis
    }

    /// The ApiVersions version the handshake used.
    pub fn handshake_version(&self) -> i16 {
        self.handshake_version
    }

    /// The broker's range for `api`, if it advertised one.
    pub fn broker_range(&self, api: ApiKey) -> Option<VersionRange> {
        let i = self.apis.binary_search_by_key(&api.key(), |a| a.api_key).ok()?;
        self.apis.get(i).map(|a| VersionRange { min: a.min_version, max: a.max_version })
    }

    /// The version to use for `api`: the highest both sides support.
    pub fn version_for(&self, api: ApiKey) -> Option<i16> {
        usable_version(api.versions(), self.broker_range(api)?)
    }
}

/// The ApiVersions version a client starts the handshake with.
pub const HANDSHAKE_VERSION: i16 = 4;

/// The request a client opens a connection with.
pub fn handshake_request() -> ApiVersionsRequest {
    ApiVersionsRequest {
        client_software_name: "flotilla-client".into(),
        client_software_version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

/// How an ApiVersions response body must be read: a broker answers a version it does not know with a
/// version 0 body (error UNSUPPORTED_VERSION), whatever version was asked. The error code is the body's
/// first field in every version, so it tells which.
pub fn response_body_version(body: &[u8], requested: i16) -> i16 {
    match body {
        [a, b, ..] if i16::from_be_bytes([*a, *b]) == ErrorCode::UnsupportedVersion.code() => 0,
        _ => requested,
    }
}

/// The outcome of one handshake attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    /// The broker answered; these are its APIs.
    Done(ApiVersions),
    /// The broker does not speak that ApiVersions version; try this one.
    Retry(i16),
    /// The broker answered with another error code.
    Failed(ErrorCode),
}

/// Interprets an ApiVersions response to a request of version `requested`.
pub fn interpret(response: &ApiVersionsResponse, requested: i16) -> Handshake {
    let code = ErrorCode::from_code(response.error_code);
    if code == ErrorCode::UnsupportedVersion {
        let theirs = response
            .api_keys
            .iter()
            .find(|k| k.api_key == ApiKey::ApiVersions.key())
            .map(|k| VersionRange { min: k.min_version, max: k.max_version });
        let next = theirs.and_then(|t| usable_version(ApiVersionsRequest::VERSIONS, t)).unwrap_or(0);
        // Never loop: only ever go down.
        return Handshake::Retry(if next < requested { next } else { 0 });
    }
    if code.is_error() {
        return Handshake::Failed(code);
    }
    Handshake::Done(ApiVersions::new(&response.api_keys, requested))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(api: ApiKey, min: i16, max: i16) -> ApiVersion {
        ApiVersion { api_key: api.key(), min_version: min, max_version: max, ..Default::default() }
    }

    #[test]
    fn version_is_the_highest_in_both_ranges() {
        let v = ApiVersions::new(&[key(ApiKey::Produce, 0, 11), key(ApiKey::Metadata, 0, 99)], 4);
        assert_eq!(v.version_for(ApiKey::Produce), Some(11));
        assert_eq!(v.version_for(ApiKey::Metadata), Some(ApiKey::Metadata.versions().max));
        assert_eq!(v.version_for(ApiKey::Fetch), None);
        // Produce: ours starts at 3, so a broker offering only 0-2 shares nothing.
        let old = ApiVersions::new(&[key(ApiKey::Produce, 0, 2)], 0);
        assert_eq!(old.version_for(ApiKey::Produce), None);
    }

    #[test]
    fn unsupported_handshake_falls_back() {
        let none = ApiVersionsResponse { error_code: 35, ..Default::default() };
        assert_eq!(interpret(&none, 4), Handshake::Retry(0));
        let listed = ApiVersionsResponse {
            error_code: 35,
            api_keys: vec![key(ApiKey::ApiVersions, 0, 2)],
            ..Default::default()
        };
        assert_eq!(interpret(&listed, 4), Handshake::Retry(2));
        assert_eq!(interpret(&listed, 2), Handshake::Retry(0));
        assert_eq!(response_body_version(&[0, 35, 0, 0], 4), 0);
        assert_eq!(response_body_version(&[0, 0, 0, 0], 4), 4);
    }
}
