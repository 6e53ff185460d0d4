//! Cluster-wide facts: the cluster id written once at bootstrap, and finalized feature levels.

use serde::{Deserialize, Serialize};

/// The cluster id, written by the first controller when it formats the metadata log. Every later
/// registration must carry the same id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterIdRecord {
    /// Kafka's cluster id: a UUID in URL-safe base64 (22 characters), kept as the string operators see.
    pub cluster_id: String,
}

/// A finalized feature level (Kafka's `FeatureLevelRecord`), e.g. `metadata.version`. Level 0 removes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureLevelRecord {
    pub name: String,
    pub level: i16,
}
