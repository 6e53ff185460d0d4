//! What applying a metadata image means for the partitions of this broker, decided from plain values
//! (Kafka's `ReplicaManager.applyDelta` and the stray-log check of KIP-858): which logs to create,
//! which replicas change role or epoch, which logs to delete and which to leave alone. The registry
//! carries the plan out.
//!
//! Deleting data is the one irreversible step, so it needs positive evidence:
//!
//! - a partition this process hosted (it saw the topic in an earlier image) whose topic id is gone
//!   from the image, or whose replica set no longer holds this broker, is deleted;
//! - a log on disk whose recorded topic id differs from the image's id for that topic name (the topic
//!   was deleted and re-created while this broker was away) is deleted before the new one is created;
//! - a log on disk that the image does not mention and that cannot be matched to a removed topic id
//!   is a *stray*: it is neither served nor deleted, only reported (the image may simply be behind).

use std::collections::{BTreeMap, BTreeSet};

use flotilla_metadata::MetadataImage;
use flotilla_model::{LeaderEpoch, NodeId, PartitionEpoch, TopicId, TopicPartition};

use super::assignment::{local_assignments, Assignment, Role};

/// A partition the registry hosts now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedReplica {
    pub topic_partition: TopicPartition,
    pub topic_id: TopicId,
    pub role: Role,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
}

/// A log the log manager holds that the registry does not host (found on disk at start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOnDisk {
    pub topic_partition: TopicPartition,
    /// From the partition's `partition.metadata` file, when it has one.
    pub topic_id: Option<TopicId>,
}

/// Why a log is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeleteReason {
    /// Its topic id is no longer in the image.
    TopicDeleted,
    /// The topic name now belongs to another topic id.
    TopicRecreated,
    /// The partition's replicas no longer include this broker.
    ReplicaRemoved,
}

/// The steps that bring the registry in line with an image, in the order they are carried out:
/// deletions, then creations, then role and epoch changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub delete: Vec<(TopicPartition, DeleteReason)>,
    /// Partitions to open (an existing log on disk is adopted) and then give their role.
    pub create: Vec<Assignment>,
    /// Hosted partitions whose leader epoch or partition epoch moved forward.
    pub update: Vec<Assignment>,
    /// Logs on disk that the image does not explain; left untouched and unserved.
    pub stray: Vec<TopicPartition>,
}

/// Decides what applying `image` means for `node`, which hosts `hosted` and additionally has
/// `on_disk` logs it does not host.
pub fn plan(image: &MetadataImage, node: NodeId, hosted: &[HostedReplica], on_disk: &[LogOnDisk]) -> Plan {
    let wanted: BTreeMap<TopicPartition, Assignment> =
        local_assignments(image, node).into_iter().map(|a| (a.topic_partition.clone(), a)).collect();
    let mut plan = Plan::default();
    let mut kept: BTreeSet<&TopicPartition> = BTreeSet::new();

    for replica in hosted {
        let tp = &replica.topic_partition;
        if image.topics().by_id(replica.topic_id).is_none() {
            plan.delete.push((tp.clone(), DeleteReason::TopicDeleted));
            continue;
        }
        let Some(assignment) = wanted.get(tp).filter(|a| a.topic_id == replica.topic_id) else {
            // The topic id is still there (the name maps to it), but not with a replica here.
            plan.delete.push((tp.clone(), DeleteReason::ReplicaRemoved));
            continue;
        };
        kept.insert(tp);
        let newer_leader = assignment.leader_epoch > replica.leader_epoch;
        let same_leader_newer_partition =
            assignment.leader_epoch == replica.leader_epoch && assignment.partition_epoch > replica.partition_epoch;
        if newer_leader || same_leader_newer_partition {
            plan.update.push(assignment.clone());
        }
    }

    let on_disk: BTreeMap<&TopicPartition, Option<TopicId>> =
        on_disk.iter().map(|l| (&l.topic_partition, l.topic_id)).collect();
    let hosted_tps: BTreeSet<&TopicPartition> = hosted.iter().map(|r| &r.topic_partition).collect();

    for (tp, assignment) in &wanted {
        if kept.contains(tp) {
            continue;
        }
        if hosted_tps.contains(tp) {
            // Hosted under an old topic id that is being deleted above: the new topic starts empty.
            plan.create.push(assignment.clone());
            continue;
        }
        if let Some(Some(disk_id)) = on_disk.get(tp) {
            if *disk_id != assignment.topic_id {
                plan.delete.push((tp.clone(), DeleteReason::TopicRecreated));
            }
        }
        plan.create.push(assignment.clone());
    }

    for (tp, disk_id) in on_disk {
        if wanted.contains_key(tp) || hosted_tps.contains(tp) {
            continue;
        }
        let current_id = image.topics().id_of(&tp.topic);
        match (disk_id, current_id) {
            (Some(disk_id), Some(current)) if disk_id != current => {
                plan.delete.push((tp.clone(), DeleteReason::TopicRecreated))
            }
            _ => plan.stray.push(tp.clone()),
        }
    }
    plan.delete.sort();
    plan.stray.sort();
    plan
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_metadata::{MetadataRecord, PartitionChangeRecord, RemoveTopicRecord};
    use flotilla_model::{PartitionIndex, TopicName};

    use super::*;
    use crate::test_fixtures::{apply, topic_records};

    fn n(id: i32) -> NodeId {
        NodeId::new(id)
    }

    fn id(n: u128) -> TopicId {
        TopicId::new(flotilla_protocol::Uuid::from_u128(n))
    }

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(TopicName::new(topic).unwrap(), PartitionIndex::new(partition))
    }

    /// A topic whose partitions are (replicas, leader), every replica in the ISR.
    fn topic(name: &str, topic_id: TopicId, partitions: &[(&[i32], i32)]) -> Vec<MetadataRecord> {
        let full: Vec<(&[i32], &[i32], i32)> =
            partitions.iter().map(|(replicas, leader)| (*replicas, *replicas, *leader)).collect();
        topic_records(name, topic_id, &full)
    }

    fn hosted(a: &Assignment, node: NodeId) -> HostedReplica {
        HostedReplica {
            topic_partition: a.topic_partition.clone(),
            topic_id: a.topic_id,
            role: a.role_of(node),
            leader_epoch: a.leader_epoch,
            partition_epoch: a.partition_epoch,
        }
    }

    #[test]
    fn creates_the_local_replicas_with_their_roles() {
        let image = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[1, 2], 1), (&[2, 3], 2), (&[3, 1], 3)]));
        let plan = plan(&image, n(1), &[], &[]);
        let created: Vec<_> = plan.create.iter().map(|a| (a.topic_partition.clone(), a.role_of(n(1)))).collect();
        assert_eq!(created, vec![(tp("orders", 0), Role::Leader), (tp("orders", 2), Role::Follower)]);
        assert!(plan.delete.is_empty() && plan.update.is_empty() && plan.stray.is_empty());
    }

    #[test]
    fn an_unchanged_image_changes_nothing() {
        let image = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[1], 1)]));
        let first = plan(&image, n(1), &[], &[]);
        let hosted: Vec<_> = first.create.iter().map(|a| hosted(a, n(1))).collect();
        assert_eq!(plan(&image, n(1), &hosted, &[]), Plan::default());
    }

    #[test]
    fn a_leader_change_or_isr_change_is_an_update_a_stale_one_is_not() {
        let base = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[1, 2], 1)]));
        let hosted_now: Vec<_> = plan(&base, n(1), &[], &[]).create.iter().map(|a| hosted(a, n(1))).collect();

        let mut change = PartitionChangeRecord::new(id(1), PartitionIndex::new(0), PartitionEpoch::new(0));
        change.leader = Some(n(2));
        let moved = apply(&base, vec![MetadataRecord::PartitionChange(change)]);
        let update = plan(&moved, n(1), &hosted_now, &[]).update;
        assert_eq!(update.len(), 1);
        assert_eq!(update[0].role_of(n(1)), Role::Follower);
        assert_eq!(update[0].leader_epoch, LeaderEpoch::new(1));

        let mut shrink = PartitionChangeRecord::new(id(1), PartitionIndex::new(0), PartitionEpoch::new(0));
        shrink.isr = Some(vec![n(1)]);
        let shrunk = apply(&base, vec![MetadataRecord::PartitionChange(shrink)]);
        let update = plan(&shrunk, n(1), &hosted_now, &[]).update;
        assert_eq!(update.len(), 1);
        assert_eq!((update[0].leader_epoch, update[0].isr.clone()), (LeaderEpoch::new(0), vec![n(1)]));

        // The registry already went further than this image (an image applied out of order).
        let ahead: Vec<_> =
            hosted_now.iter().map(|h| HostedReplica { leader_epoch: LeaderEpoch::new(3), ..h.clone() }).collect();
        assert!(plan(&moved, n(1), &ahead, &[]).update.is_empty());
    }

    #[test]
    fn deleted_topics_and_moved_replicas_are_deleted() {
        let base = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[1], 1)]));
        let base = apply(&base, topic("audit", id(2), &[(&[1, 2], 1)]));
        let hosted_now: Vec<_> = plan(&base, n(1), &[], &[]).create.iter().map(|a| hosted(a, n(1))).collect();
        assert_eq!(hosted_now.len(), 2);

        let mut next = apply(&base, vec![MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: id(1) })]);
        let mut change = PartitionChangeRecord::new(id(2), PartitionIndex::new(0), PartitionEpoch::new(0));
        change.replicas = Some(vec![n(2)]);
        change.isr = Some(vec![n(2)]);
        change.leader = Some(n(2));
        next = apply(&next, vec![MetadataRecord::PartitionChange(change)]);

        let plan = plan(&next, n(1), &hosted_now, &[]);
        assert_eq!(
            plan.delete,
            vec![(tp("audit", 0), DeleteReason::ReplicaRemoved), (tp("orders", 0), DeleteReason::TopicDeleted)]
        );
        assert!(plan.create.is_empty());
    }

    #[test]
    fn a_topic_recreated_under_the_same_name_starts_empty() {
        let base = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[1], 1)]));
        let hosted_now: Vec<_> = plan(&base, n(1), &[], &[]).create.iter().map(|a| hosted(a, n(1))).collect();
        let gone = apply(&base, vec![MetadataRecord::RemoveTopic(RemoveTopicRecord { topic_id: id(1) })]);
        let again = apply(&gone, topic("orders", id(9), &[(&[1], 1)]));

        // While hosted: the old log goes, a new one is created.
        let hosted_plan = plan(&again, n(1), &hosted_now, &[]);
        assert_eq!(hosted_plan.delete, vec![(tp("orders", 0), DeleteReason::TopicDeleted)]);
        assert_eq!(hosted_plan.create.len(), 1);
        assert_eq!(hosted_plan.create[0].topic_id, id(9));

        // Found on disk at start with the old id: the same.
        let disk = [LogOnDisk { topic_partition: tp("orders", 0), topic_id: Some(id(1)) }];
        let disk_plan = plan(&again, n(1), &[], &disk);
        assert_eq!(disk_plan.delete, vec![(tp("orders", 0), DeleteReason::TopicRecreated)]);
        assert_eq!(disk_plan.create.len(), 1);

        // Found on disk with the same id, or with none recorded: adopted.
        for topic_id in [Some(id(9)), None] {
            let disk = [LogOnDisk { topic_partition: tp("orders", 0), topic_id }];
            let adopt = plan(&again, n(1), &[], &disk);
            assert!(adopt.delete.is_empty());
            assert_eq!(adopt.create.len(), 1);
        }
    }

    #[test]
    fn logs_the_image_does_not_explain_are_strays_not_deleted() {
        let image = apply(&MetadataImage::empty(), topic("orders", id(1), &[(&[2], 2)]));
        let disk = [
            // Unknown topic, no recorded id: the image may be behind.
            LogOnDisk { topic_partition: tp("ghost", 0), topic_id: None },
            // Unknown topic with an id: still cannot tell deletion from lag.
            LogOnDisk { topic_partition: tp("ghost", 1), topic_id: Some(id(5)) },
            // A known topic whose replica is elsewhere, same id.
            LogOnDisk { topic_partition: tp("orders", 0), topic_id: Some(id(1)) },
            // A known name with another id: evidence of a re-creation.
            LogOnDisk { topic_partition: tp("orders", 1), topic_id: Some(id(7)) },
        ];
        let plan = plan(&image, n(1), &[], &disk);
        assert_eq!(plan.stray, vec![tp("ghost", 0), tp("ghost", 1), tp("orders", 0)]);
        assert_eq!(plan.delete, vec![(tp("orders", 1), DeleteReason::TopicRecreated)]);
        assert!(plan.create.is_empty());
    }
}
