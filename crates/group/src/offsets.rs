//! A group's committed offsets: the latest commit per topic partition, as OffsetFetch answers them and as
//! retention expires them.

use std::collections::BTreeMap;

use crate::records::OffsetValue;

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    /// -1 when the committer did not say.
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp_ms: i64,
}

impl CommittedOffset {
    pub fn to_value(&self) -> OffsetValue {
        OffsetValue {
            offset: self.offset,
            leader_epoch: self.leader_epoch,
            metadata: self.metadata.clone(),
            commit_timestamp_ms: self.commit_timestamp_ms,
            expire_timestamp_ms: -1,
        }
    }
}

impl From<OffsetValue> for CommittedOffset {
    fn from(value: OffsetValue) -> Self {
        CommittedOffset {
            offset: value.offset,
            leader_epoch: value.leader_epoch,
            metadata: value.metadata,
            commit_timestamp_ms: value.commit_timestamp_ms,
        }
    }
}

/// The offsets of one group, by topic and partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupOffsets {
    by_partition: BTreeMap<(String, i32), CommittedOffset>,
}

impl GroupOffsets {
    pub fn get(&self, topic: &str, partition: i32) -> Option<&CommittedOffset> {
        self.by_partition.get(&(topic.to_owned(), partition))
    }

    pub fn commit(&mut self, topic: &str, partition: i32, offset: CommittedOffset) {
        self.by_partition.insert((topic.to_owned(), partition), offset);
    }

    /// Removes one partition's offset; whether there was one.
    pub fn remove(&mut self, topic: &str, partition: i32) -> bool {
        self.by_partition.remove(&(topic.to_owned(), partition)).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.by_partition.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_partition.len()
    }

    /// Every (topic, partition, offset), sorted by topic then partition.
    pub fn iter(&self) -> impl Iterator<Item = (&str, i32, &CommittedOffset)> {
        self.by_partition.iter().map(|((topic, partition), offset)| (topic.as_str(), *partition, offset))
    }

    /// The partitions of `topic` with an offset.
    pub fn partitions_of(&self, topic: &str) -> Vec<i32> {
        self.iter().filter(|(t, _, _)| *t == topic).map(|(_, p, _)| p).collect()
    }

    /// The offsets that `offsets.retention.minutes` (= `retention_ms`) has expired at `now_ms`, counted
    /// from `since_ms` when the group gives one (an empty group: from when it became empty, KIP-211),
    /// otherwise from each commit.
    pub fn expired(&self, now_ms: i64, retention_ms: i64, since_ms: Option<i64>) -> Vec<(String, i32)> {
        self.by_partition
            .iter()
            .filter(|(_, o)| since_ms.unwrap_or(o.commit_timestamp_ms).saturating_add(retention_ms) <= now_ms)
            .map(|(key, _)| key.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(offset: i64, commit_timestamp_ms: i64) -> CommittedOffset {
        CommittedOffset { offset, leader_epoch: -1, metadata: String::new(), commit_timestamp_ms }
    }

    #[test]
    fn the_latest_commit_wins_and_removal_forgets() {
        let mut offsets = GroupOffsets::default();
        offsets.commit("t", 0, at(5, 1));
        offsets.commit("t", 0, at(9, 2));
        offsets.commit("u", 1, at(3, 2));
        assert_eq!(offsets.get("t", 0).map(|o| o.offset), Some(9));
        assert_eq!(offsets.partitions_of("t"), vec![0]);
        assert!(offsets.remove("t", 0));
        assert!(!offsets.remove("t", 0));
        assert_eq!(offsets.len(), 1);
    }

    #[test]
    fn expiry_counts_from_the_group_or_the_commit() {
        let mut offsets = GroupOffsets::default();
        offsets.commit("t", 0, at(1, 1_000));
        offsets.commit("t", 1, at(1, 5_000));
        assert_eq!(offsets.expired(6_000, 2_000, None), vec![("t".to_owned(), 0)]);
        assert_eq!(offsets.expired(6_000, 2_000, Some(4_500)), Vec::<(String, i32)>::new());
        assert_eq!(offsets.expired(6_500, 2_000, Some(4_500)).len(), 2);
    }
}
