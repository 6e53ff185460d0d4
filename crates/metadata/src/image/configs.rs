//! Dynamic config overrides per resource. Only overrides live here; defaults belong to the config crate.

use std::collections::BTreeMap;

use crate::records::ConfigResource;

/// Overrides by resource, then by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigsImage {
    pub(crate) resources: BTreeMap<ConfigResource, BTreeMap<String, String>>,
}

impl ConfigsImage {
    /// The overrides of one resource (empty if none).
    pub fn overrides(&self, resource: &ConfigResource) -> Option<&BTreeMap<String, String>> {
        self.resources.get(resource)
    }

    pub fn get(&self, resource: &ConfigResource, key: &str) -> Option<&str> {
        self.resources.get(resource)?.get(key).map(String::as_str)
    }

    /// A topic's overrides.
    pub fn topic_overrides(&self, topic: &str) -> Option<&BTreeMap<String, String>> {
        self.overrides(&ConfigResource::topic(topic))
    }

    /// Every resource with overrides.
    pub fn iter(&self) -> impl Iterator<Item = (&ConfigResource, &BTreeMap<String, String>)> {
        self.resources.iter()
    }
}
