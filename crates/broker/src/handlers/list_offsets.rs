//! ListOffsets (key 2), versions 1-10: a partition's offset for a timestamp or a named position.
//!
//! `timestamp` is -2 earliest, -1 latest, -3 the record with the largest timestamp, -4 earliest local,
//! -5 latest tiered (always -1 here: no tiered storage), or a time in ms: the first record whose
//! timestamp is at least that, found through the time index. For a consumer (`replica_id` -1) latest
//! is the high watermark (read_uncommitted) or last stable offset (read_committed), and a record found
//! by timestamp at or past it is not reported, as Kafka does; `replica_id` -2 (debugging) reads any
//! replica up to its log end. Not the leader → NOT_LEADER_OR_FOLLOWER; a mismatched
//! `current_leader_epoch` (v4+) → FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH; a new leader whose high
//! watermark is still below its epoch's start → OFFSET_NOT_AVAILABLE; a partition named twice →
//! INVALID_REQUEST for each.

use std::collections::HashMap;
use std::sync::Arc;

use flotilla_model::{ErrorCode, LeaderEpoch};
use flotilla_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use flotilla_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use flotilla_protocol::{ApiKey, VersionRange};
use flotilla_storage::{OffsetSpec, TimestampAndOffset};
use tracing::warn;

use super::{partition_error_code, ApiSupport};
use crate::broker::Broker;
use crate::connection::RequestContext;
use crate::partition::{Isolation, OffsetReader, Partition, PartitionError, PartitionLookup};

pub const SUPPORT: ApiSupport =
    ApiSupport { api_key: ApiKey::ListOffsets, versions: VersionRange { min: 1, max: 10 }, advertised_min: 1 };

const CONSUMER_REPLICA_ID: i32 = -1;
const DEBUGGING_REPLICA_ID: i32 = -2;

struct Lookup {
    topic: usize,
    partition: usize,
    source: Arc<Partition>,
    spec: OffsetSpec,
    current_leader_epoch: LeaderEpoch,
}

pub async fn handle(broker: &Broker, _ctx: &RequestContext, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let reader = match request.replica_id {
        CONSUMER_REPLICA_ID => OffsetReader::Consumer(Isolation::from_wire(request.isolation_level)),
        DEBUGGING_REPLICA_ID => OffsetReader::Debug,
        _ => OffsetReader::Follower,
    };
    let partitions = broker.partitions();
    let mut seen: HashMap<(&str, i32), usize> = HashMap::new();
    for topic in &request.topics {
        for p in &topic.partitions {
            *seen.entry((&topic.name, p.partition_index)).or_default() += 1;
        }
    }

    let mut topics = Vec::with_capacity(request.topics.len());
    let mut lookups = Vec::new();
    for (topic_slot, topic) in request.topics.iter().enumerate() {
        let mut answers = Vec::with_capacity(topic.partitions.len());
        for (partition_slot, wanted) in topic.partitions.iter().enumerate() {
            let mut answer = ListOffsetsPartitionResponse {
                partition_index: wanted.partition_index,
                timestamp: -1,
                offset: -1,
                leader_epoch: -1,
                ..Default::default()
            };
            let duplicate = seen.get(&(topic.name.as_ref(), wanted.partition_index)).is_some_and(|n| *n > 1);
            let error = if duplicate {
                Some(ErrorCode::InvalidRequest)
            } else {
                match partitions.lookup(&topic.name, wanted.partition_index) {
                    PartitionLookup::Hosted(source) => {
                        lookups.push(Lookup {
                            topic: topic_slot,
                            partition: partition_slot,
                            source,
                            spec: OffsetSpec::from_timestamp(wanted.timestamp),
                            current_leader_epoch: LeaderEpoch::new(wanted.current_leader_epoch),
                        });
                        None
                    }
                    PartitionLookup::NotHosted { .. } => Some(ErrorCode::NotLeaderOrFollower),
                    PartitionLookup::Offline => Some(ErrorCode::KafkaStorageError),
                    PartitionLookup::UnknownTopic | PartitionLookup::UnknownPartition => {
                        Some(ErrorCode::UnknownTopicOrPartition)
                    }
                }
            };
            if let Some(code) = error {
                answer.error_code = code.code();
            }
            answers.push(answer);
        }
        topics.push(ListOffsetsTopicResponse { name: topic.name.clone(), partitions: answers, ..Default::default() });
    }

    for (topic, partition, result) in look_up_all(lookups, reader).await {
        let Some(answer) = topics.get_mut(topic).and_then(|t| t.partitions.get_mut(partition)) else { continue };
        match result {
            Ok(Some(found)) => {
                answer.timestamp = found.timestamp_ms;
                answer.offset = found.offset.get();
                answer.leader_epoch = found.leader_epoch.map_or(-1, LeaderEpoch::get);
            }
            Ok(None) => {}
            Err(e) => answer.error_code = partition_error_code(&e).code(),
        }
    }
    ListOffsetsResponse { topics, ..Default::default() }
}

type Found = (usize, usize, Result<Option<TimestampAndOffset>, PartitionError>);

/// Looks every partition up on a blocking thread (the time index and segments are read from disk).
async fn look_up_all(lookups: Vec<Lookup>, reader: OffsetReader) -> Vec<Found> {
    if lookups.is_empty() {
        return Vec::new();
    }
    let slots: Vec<(usize, usize)> = lookups.iter().map(|l| (l.topic, l.partition)).collect();
    let task = tokio::task::spawn_blocking(move || -> Vec<Found> {
        lookups
            .into_iter()
            .map(|l| (l.topic, l.partition, l.source.list_offset(l.spec, reader, l.current_leader_epoch)))
            .collect()
    });
    match task.await {
        Ok(found) => found,
        Err(e) => {
            warn!(error = %e, "list offsets task failed");
            slots
                .into_iter()
                .map(|(t, p)| {
                    let error =
                        flotilla_storage::StorageError::InvalidArgument { reason: format!("lookup task failed: {e}") };
                    (t, p, Err(PartitionError::Storage(error)))
                })
                .collect()
        }
    }
}
