//! One module per Kafka API. Each declares the versions it serves next to its code; [`SUPPORTED_APIS`] is
//! the registry ApiVersions answers from.

pub mod api_versions;

use flotilla_protocol::{ApiKey, VersionRange};

/// An API this broker serves and the versions it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSupport {
    pub api_key: ApiKey,
    /// Versions the handler decodes and answers.
    pub versions: VersionRange,
    /// The lowest version advertised in ApiVersions. Equal to `versions.min` except where Kafka advertises
    /// lower versions than it accepts to keep old clients working (Produce, KAFKA-18659).
    pub advertised_min: i16,
}

/// Every API this broker serves. A handler is added here together with its file.
pub const SUPPORTED_APIS: &[ApiSupport] = &[api_versions::SUPPORT];

/// The versions of `api_key` this broker serves, if any.
pub fn supported_versions(api_key: ApiKey) -> Option<VersionRange> {
    SUPPORTED_APIS.iter().find(|s| s.api_key == api_key).map(|s| s.versions)
}
