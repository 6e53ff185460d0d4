//! The cluster id and finalized feature levels.

use std::collections::BTreeMap;

/// Cluster-wide facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterImage {
    pub(crate) cluster_id: Option<String>,
    pub(crate) features: BTreeMap<String, i16>,
}

impl ClusterImage {
    /// `None` until the bootstrap record is applied.
    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster_id.as_deref()
    }

    /// The finalized level of a feature, if set.
    pub fn feature_level(&self, name: &str) -> Option<i16> {
        self.features.get(name).copied()
    }

    pub fn features(&self) -> &BTreeMap<String, i16> {
        &self.features
    }
}
