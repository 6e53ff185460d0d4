//! The groups of one `__consumer_offsets` partition, as its leader holds them: rebuilt by replaying the
//! partition's records in order when the broker becomes its leader, then kept current as the coordinator
//! writes.

use std::collections::BTreeMap;

use crate::classic_group::ClassicGroup;
use crate::consumer_group::ConsumerGroup;
use crate::offsets::{CommittedOffset, GroupOffsets};
use crate::records::{decode_group_value, decode_key, decode_offset_value, RecordFormatError, RecordKey};
use crate::state::GroupState;

/// A group and its committed offsets. A group that only commits offsets (consumers using `assign()`)
/// is an Empty group with no protocol type, as in Kafka.
#[derive(Debug, Clone)]
pub struct GroupEntry {
    pub group: ClassicGroup,
    pub offsets: GroupOffsets,
}

impl GroupEntry {
    fn is_unused(&self) -> bool {
        self.offsets.is_empty() && self.group.is_unused()
    }
}

/// One coordinator partition's groups.
///
/// Consumer-protocol (KIP-848) groups are held in memory only: their membership is not written to the
/// partition, so a new coordinator starts them empty and their members rejoin (UNKNOWN_MEMBER_ID), keeping
/// the offsets they committed, which are written.
#[derive(Debug, Default)]
pub struct CoordinatorShard {
    groups: BTreeMap<String, GroupEntry>,
    consumer_groups: BTreeMap<String, ConsumerGroup>,
}

impl CoordinatorShard {
    /// Applies one record of the partition (loading): a value replaces what the key names, a null value
    /// (tombstone) removes it. A record that does not parse is returned as an error for the caller to
    /// report; it changes nothing.
    pub fn replay(&mut self, key: &[u8], value: Option<&[u8]>, now_ms: i64) -> Result<(), RecordFormatError> {
        match decode_key(key)? {
            RecordKey::Offset { group_id, topic, partition } => match value {
                Some(value) => {
                    let offset = CommittedOffset::from(decode_offset_value(value)?);
                    self.entry(&group_id, now_ms).offsets.commit(&topic, partition, offset);
                }
                None => {
                    if let Some(entry) = self.groups.get_mut(&group_id) {
                        entry.offsets.remove(&topic, partition);
                        self.remove_if_unused(&group_id);
                    }
                }
            },
            RecordKey::Group { group_id } => match value {
                Some(value) => {
                    let group = ClassicGroup::from_value(&group_id, decode_group_value(value)?, now_ms);
                    self.entry(&group_id, now_ms).group = group;
                }
                None => {
                    if let Some(entry) = self.groups.get_mut(&group_id) {
                        entry.group = ClassicGroup::new(&group_id, now_ms);
                        self.remove_if_unused(&group_id);
                    }
                }
            },
        }
        Ok(())
    }

    /// The group `group_id`, created Empty if absent.
    pub fn entry(&mut self, group_id: &str, now_ms: i64) -> &mut GroupEntry {
        self.groups.entry(group_id.to_owned()).or_insert_with(|| GroupEntry {
            group: ClassicGroup::new(group_id, now_ms),
            offsets: GroupOffsets::default(),
        })
    }

    pub fn get(&self, group_id: &str) -> Option<&GroupEntry> {
        self.groups.get(group_id)
    }

    pub fn get_mut(&mut self, group_id: &str) -> Option<&mut GroupEntry> {
        self.groups.get_mut(group_id)
    }

    pub fn remove(&mut self, group_id: &str) -> Option<GroupEntry> {
        self.groups.remove(group_id)
    }

    pub fn groups(&self) -> impl Iterator<Item = &GroupEntry> {
        self.groups.values()
    }

    pub fn groups_mut(&mut self) -> impl Iterator<Item = &mut GroupEntry> {
        self.groups.values_mut()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn consumer_group(&self, group_id: &str) -> Option<&ConsumerGroup> {
        self.consumer_groups.get(group_id)
    }

    pub fn consumer_group_mut(&mut self, group_id: &str) -> Option<&mut ConsumerGroup> {
        self.consumer_groups.get_mut(group_id)
    }

    /// The consumer-protocol group `group_id`, created with no members if absent.
    pub fn consumer_group_entry(&mut self, group_id: &str) -> &mut ConsumerGroup {
        self.consumer_groups.entry(group_id.to_owned()).or_insert_with(|| ConsumerGroup::new(group_id))
    }

    pub fn consumer_groups(&self) -> impl Iterator<Item = &ConsumerGroup> {
        self.consumer_groups.values()
    }

    pub fn consumer_groups_mut(&mut self) -> impl Iterator<Item = &mut ConsumerGroup> {
        self.consumer_groups.values_mut()
    }

    pub fn remove_consumer_group(&mut self, group_id: &str) -> Option<ConsumerGroup> {
        self.consumer_groups.remove(group_id)
    }

    /// Drops a consumer-protocol group that never had a member (a heartbeat that was refused created it).
    /// A group its members left stays, Empty, until DeleteGroups or the offsets retention check, as in
    /// Kafka.
    pub fn remove_consumer_group_if_unused(&mut self, group_id: &str) {
        if self.consumer_groups.get(group_id).is_some_and(|g| g.member_count() == 0 && g.group_epoch() == 0) {
            self.consumer_groups.remove(group_id);
        }
    }

    /// Drops a group that has neither members, a generation nor offsets: nothing of it is left to show.
    pub fn remove_if_unused(&mut self, group_id: &str) {
        if self.groups.get(group_id).is_some_and(GroupEntry::is_unused) {
            self.groups.remove(group_id);
        }
    }

    /// Expires committed offsets as Kafka's `removeExpiredOffsets` does, with `offsets.retention.minutes`
    /// as `retention_ms`: an Empty group's offsets `retention_ms` after it became empty, a standalone
    /// committer's (no protocol type) and a Stable consumer group's offsets of topics it no longer
    /// subscribes to `retention_ms` after their commit. They leave the shard at once; the returned keys
    /// (per group) are the tombstones to write, with the group's own when nothing of it is left.
    pub fn expire_offsets(&mut self, now_ms: i64, retention_ms: i64) -> Vec<(String, Vec<RecordKey>)> {
        let mut out = Vec::new();
        for (group_id, entry) in &mut self.groups {
            let group = &entry.group;
            let consumer = self.consumer_groups.get(group_id).filter(|g| g.member_count() > 0);
            let expired = match (group.protocol_type(), group.state()) {
                // A live consumer-protocol group keeps the offsets of what it subscribes to.
                _ if consumer.is_some() => {
                    let subscribed = consumer.map(ConsumerGroup::subscribed_topics).unwrap_or_default();
                    let mut expired = entry.offsets.expired(now_ms, retention_ms, None);
                    expired.retain(|(topic, _)| !subscribed.contains(topic));
                    expired
                }
                (Some(_), GroupState::Empty) => {
                    entry.offsets.expired(now_ms, retention_ms, Some(group.state_timestamp_ms()))
                }
                (None, _) => entry.offsets.expired(now_ms, retention_ms, None),
                (Some("consumer"), GroupState::Stable) => {
                    let subscribed = group.subscribed_topics().unwrap_or_default();
                    let mut expired = entry.offsets.expired(now_ms, retention_ms, None);
                    expired.retain(|(topic, _)| !subscribed.contains(topic));
                    expired
                }
                _ => Vec::new(),
            };
            if expired.is_empty() {
                continue;
            }
            let mut keys = Vec::with_capacity(expired.len() + 1);
            for (topic, partition) in expired {
                entry.offsets.remove(&topic, partition);
                keys.push(RecordKey::Offset { group_id: group_id.clone(), topic, partition });
            }
            if entry.offsets.is_empty() && group.state() == GroupState::Empty {
                keys.push(RecordKey::Group { group_id: group_id.clone() });
            }
            out.push((group_id.clone(), keys));
        }
        // Groups emptied of everything go (their tombstones are on the way).
        self.groups.retain(|_, e| {
            !(e.offsets.is_empty() && e.group.state() == GroupState::Empty && e.group.member_count() == 0)
        });
        let groups = &self.groups;
        self.consumer_groups.retain(|id, g| g.member_count() > 0 || groups.contains_key(id));
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bytes::Bytes;

    use super::*;
    use crate::records::{encode_group_value, encode_key, encode_offset_value, GroupValue, MemberValue, OffsetValue};
    use crate::state::GroupState;

    fn offset_key(group: &str, partition: i32) -> Bytes {
        encode_key(&RecordKey::Offset { group_id: group.into(), topic: "t".into(), partition })
    }

    fn offset(offset: i64) -> Bytes {
        encode_offset_value(&OffsetValue {
            offset,
            leader_epoch: 0,
            metadata: String::new(),
            commit_timestamp_ms: 1,
            expire_timestamp_ms: -1,
        })
    }

    #[test]
    fn replaying_rebuilds_offsets_and_groups_and_tombstones_remove() {
        let mut shard = CoordinatorShard::default();
        shard.replay(&offset_key("g", 0), Some(&offset(3)), 0).unwrap();
        shard.replay(&offset_key("g", 0), Some(&offset(7)), 0).unwrap();
        shard.replay(&offset_key("g", 1), Some(&offset(2)), 0).unwrap();
        shard.replay(&offset_key("g", 1), None, 0).unwrap();
        let group = GroupValue {
            protocol_type: "consumer".into(),
            generation_id: 4,
            protocol_name: Some("range".into()),
            leader_id: Some("m".into()),
            current_state_timestamp_ms: 10,
            members: vec![MemberValue {
                member_id: "m".into(),
                group_instance_id: None,
                client_id: "c".into(),
                client_host: "/h".into(),
                rebalance_timeout_ms: 1000,
                session_timeout_ms: 10_000,
                subscription: Bytes::from_static(b"s"),
                assignment: Bytes::from_static(b"a"),
            }],
        };
        let group_key = encode_key(&RecordKey::Group { group_id: "g".into() });
        shard.replay(&group_key, Some(&encode_group_value(&group)), 50).unwrap();

        let entry = shard.get("g").unwrap();
        assert_eq!(entry.offsets.get("t", 0).map(|o| o.offset), Some(7));
        assert_eq!(entry.offsets.get("t", 1), None);
        assert_eq!(entry.group.state(), GroupState::Stable);
        assert_eq!(entry.group.generation_id(), 4);
        assert_eq!(entry.group.member("m").map(|m| m.assignment.clone()), Some(Bytes::from_static(b"a")));

        shard.replay(&group_key, None, 60).unwrap();
        assert_eq!(shard.get("g").map(|e| e.group.member_count()), Some(0), "offsets keep the entry");
        shard.replay(&offset_key("g", 0), None, 60).unwrap();
        assert!(shard.get("g").is_none());
    }

    #[test]
    fn offsets_expire_for_empty_groups_and_standalone_committers() {
        let mut shard = CoordinatorShard::default();
        // A standalone committer: offsets expire by their commit time (1 ms here).
        shard.replay(&offset_key("simple", 0), Some(&offset(3)), 0).unwrap();
        assert!(shard.expire_offsets(1_000, 5_000).is_empty());
        let expired = shard.expire_offsets(10_000, 5_000);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].1.len(), 2, "the offset, and the group's tombstone as it is left with nothing");
        assert!(shard.get("simple").is_none());

        // An Empty classic group (emptied at 100): its offsets expire counted from then, with its record.
        let group = GroupValue {
            protocol_type: "consumer".into(),
            generation_id: 2,
            protocol_name: None,
            leader_id: None,
            current_state_timestamp_ms: 100,
            members: vec![],
        };
        let group_key = encode_key(&RecordKey::Group { group_id: "g".into() });
        shard.replay(&group_key, Some(&encode_group_value(&group)), 0).unwrap();
        shard.replay(&offset_key("g", 0), Some(&offset(9)), 0).unwrap();
        assert!(shard.expire_offsets(5_099, 5_000).is_empty());
        let expired = shard.expire_offsets(5_100, 5_000);
        assert_eq!(expired[0].1.len(), 2);
        assert!(matches!(expired[0].1[1], RecordKey::Group { .. }));
        assert!(shard.is_empty());
    }

    #[test]
    fn a_malformed_record_changes_nothing() {
        let mut shard = CoordinatorShard::default();
        assert!(shard.replay(&[0, 1, 0], Some(&offset(1)), 0).is_err());
        assert!(shard.replay(&offset_key("g", 0), Some(&[0, 3, 1]), 0).is_err());
        assert!(shard.is_empty());
    }
}
