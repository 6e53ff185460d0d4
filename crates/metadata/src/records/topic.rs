//! Topic creation and removal. A topic's partitions come in their own records, right after its
//! [`TopicRecord`].

use flotilla_model::{TopicId, TopicName};
use serde::{Deserialize, Serialize};

use super::wire;

/// A topic is created: its name and the id that outlives renames and tells re-creations apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRecord {
    #[serde(with = "wire")]
    pub name: TopicName,
    #[serde(with = "wire")]
    pub topic_id: TopicId,
}

/// A topic is deleted, with its partitions and its config overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveTopicRecord {
    #[serde(with = "wire")]
    pub topic_id: TopicId,
}
