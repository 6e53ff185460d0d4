//! Broker lifecycle: registration, heartbeats (unfence once caught up, fence on request, controlled
//! shutdown), fencing brokers whose session expired, and unregistration. Whenever a broker stops being
//! active its leaderships and ISR places move away in the same batch, so no partition is led by a fenced
//! or departing broker.
//!
//! Liveness is time, and time is not in the log: the caller tracks the last heartbeat of each broker
//! ([`BrokerSessions`]), seeding every registered broker with "now" when it becomes the active controller,
//! as Kafka's controller does on failover.

use std::collections::BTreeMap;

use flotilla_model::{ErrorCode, NodeId};
use thiserror::Error;

use super::partitions::{elect_offline, move_away, ElectionPolicy};
use super::{ControllerResult, Staging};
use crate::delta::ApplyError;
use crate::image::{BrokerRegistration, MetadataImage};
use crate::records::{
    BrokerControlledShutdownRecord, BrokerEpoch, Endpoint, FenceBrokerRecord, MetadataRecord, RegisterBrokerRecord,
    UnfenceBrokerRecord, UnregisterBrokerRecord,
};

/// Why a broker request failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BrokerError {
    #[error("cluster id {request} does not match the cluster's id {cluster}")]
    InconsistentClusterId { cluster: String, request: String },
    #[error("Another broker is registered with that broker id ({0}).")]
    DuplicateRegistration(NodeId),
    #[error("broker {0} is not registered")]
    NotRegistered(NodeId),
    #[error("broker {broker} sent epoch {request}, but its registration has epoch {current}")]
    StaleBrokerEpoch { broker: NodeId, current: BrokerEpoch, request: BrokerEpoch },
    #[error("invalid registration: {0}")]
    InvalidRegistration(String),
    #[error("internal error: {0}")]
    Internal(ApplyError),
}

impl BrokerError {
    pub const fn code(&self) -> ErrorCode {
        match self {
            BrokerError::InconsistentClusterId { .. } => ErrorCode::InconsistentClusterId,
            BrokerError::DuplicateRegistration(_) => ErrorCode::DuplicateBrokerRegistration,
            BrokerError::NotRegistered(_) => ErrorCode::BrokerIdNotRegistered,
            BrokerError::StaleBrokerEpoch { .. } => ErrorCode::StaleBrokerEpoch,
            BrokerError::InvalidRegistration(_) => ErrorCode::InvalidRegistration,
            BrokerError::Internal(_) => ErrorCode::UnknownServerError,
        }
    }
}

/// The controller's view of broker liveness at `now_ms`.
#[derive(Debug, Clone, Copy)]
pub struct BrokerSessions<'a> {
    pub now_ms: u64,
    /// When each broker last heartbeated (or registered).
    pub last_heartbeat_ms: &'a BTreeMap<NodeId, u64>,
    /// `broker.session.timeout.ms`.
    pub session_timeout_ms: u64,
}

impl BrokerSessions<'_> {
    /// True when `broker` has heartbeated within the session timeout. No heartbeat on record: not alive.
    pub fn is_alive(&self, broker: NodeId) -> bool {
        self.last_heartbeat_ms
            .get(&broker)
            .is_some_and(|last| self.now_ms.saturating_sub(*last) <= self.session_timeout_ms)
    }

    /// True when `broker` has a heartbeat on record older than the session timeout.
    pub fn is_expired(&self, broker: NodeId) -> bool {
        self.last_heartbeat_ms
            .get(&broker)
            .is_some_and(|last| self.now_ms.saturating_sub(*last) > self.session_timeout_ms)
    }
}

/// BrokerRegistration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistrationRequest {
    pub broker_id: NodeId,
    pub cluster_id: String,
    pub incarnation_id: uuid::Uuid,
    pub endpoints: Vec<Endpoint>,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// A new incarnation: its broker epoch is the offset of the batch the records are committed in.
    Registered,
    /// The same incarnation registered again (a retry): nothing changes.
    AlreadyRegistered { broker_epoch: BrokerEpoch },
}

/// Registers a broker incarnation, fenced until it catches up. A different incarnation of an id whose
/// session is still alive is DUPLICATE_BROKER_REGISTRATION (Kafka's rule: the old process may still be
/// running); once the old session has expired, the new incarnation replaces it, and the old one's
/// leaderships and ISR places move away first.
pub fn register_broker(
    image: &MetadataImage,
    request: &BrokerRegistrationRequest,
    sessions: &BrokerSessions<'_>,
    policy: &ElectionPolicy,
) -> ControllerResult<Result<RegistrationOutcome, BrokerError>> {
    if let Some(cluster) = image.cluster().cluster_id() {
        if cluster != request.cluster_id {
            return ControllerResult::response_only(Err(BrokerError::InconsistentClusterId {
                cluster: cluster.to_string(),
                request: request.cluster_id.clone(),
            }));
        }
    }
    if request.broker_id.get() < 0 {
        return ControllerResult::response_only(Err(BrokerError::InvalidRegistration(format!(
            "broker id {} is negative",
            request.broker_id
        ))));
    }
    let listeners: Vec<&str> = request.endpoints.iter().map(|e| e.listener.as_str()).collect();
    if let Some(dup) = listeners.iter().enumerate().find(|(i, l)| listeners[..*i].contains(l)).map(|(_, l)| *l) {
        return ControllerResult::response_only(Err(BrokerError::InvalidRegistration(format!(
            "listener {dup} is registered twice"
        ))));
    }
    let mut staging = Staging::new(image);
    if let Some(existing) = image.brokers().get(request.broker_id) {
        if existing.incarnation_id == request.incarnation_id {
            return ControllerResult::response_only(Ok(RegistrationOutcome::AlreadyRegistered {
                broker_epoch: existing.epoch,
            }));
        }
        if sessions.is_alive(request.broker_id) && !existing.fenced {
            return ControllerResult::response_only(Err(BrokerError::DuplicateRegistration(request.broker_id)));
        }
        if let Err(e) = move_away(&mut staging, request.broker_id, policy) {
            return ControllerResult::response_only(Err(BrokerError::Internal(e)));
        }
    }
    let record = MetadataRecord::RegisterBroker(RegisterBrokerRecord {
        broker_id: request.broker_id,
        incarnation_id: request.incarnation_id,
        endpoints: request.endpoints.clone(),
        rack: request.rack.clone(),
        fenced: true,
    });
    match staging.push(record) {
        Ok(()) => ControllerResult::new(staging.records(), Ok(RegistrationOutcome::Registered)),
        Err(e) => ControllerResult::response_only(Err(BrokerError::Internal(e))),
    }
}

/// BrokerHeartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerHeartbeat {
    pub broker_id: NodeId,
    pub broker_epoch: BrokerEpoch,
    /// The highest metadata offset the broker has applied.
    pub current_metadata_offset: i64,
    pub want_fence: bool,
    pub want_shutdown: bool,
}

/// The heartbeat's answer, describing the broker's state once the records are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatReply {
    pub is_caught_up: bool,
    pub is_fenced: bool,
    pub should_shut_down: bool,
}

/// Handles a heartbeat. A fenced broker is unfenced once it has applied the metadata log up to its own
/// registration (and offline partitions it can lead get a leader). `want_fence` fences it. `want_shutdown`
/// starts a controlled shutdown: it takes no new work and its leaderships move away; a later heartbeat, once
/// it leads nothing, fences it and answers `should_shut_down`.
pub fn broker_heartbeat(
    image: &MetadataImage,
    heartbeat: &BrokerHeartbeat,
    policy: &ElectionPolicy,
) -> ControllerResult<Result<HeartbeatReply, BrokerError>> {
    let broker = match check_epoch(image, heartbeat.broker_id, heartbeat.broker_epoch) {
        Ok(broker) => broker,
        Err(e) => return ControllerResult::response_only(Err(e)),
    };
    let is_caught_up = heartbeat.current_metadata_offset >= broker.epoch.get();
    let id = broker.id;
    let epoch = broker.epoch;
    let mut staging = Staging::new(image);
    let reply = |is_fenced, should_shut_down| HeartbeatReply { is_caught_up, is_fenced, should_shut_down };
    let outcome: Result<HeartbeatReply, ApplyError> = (|| {
        if heartbeat.want_shutdown {
            if broker.fenced {
                return Ok(reply(true, true));
            }
            if !broker.in_controlled_shutdown {
                staging.push(MetadataRecord::BrokerControlledShutdown(BrokerControlledShutdownRecord {
                    broker_id: id,
                    broker_epoch: epoch,
                }))?;
            }
            move_away(&mut staging, id, policy)?;
            if broker.in_controlled_shutdown && image.topics().led_by(id).next().is_none() {
                staging.push(MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id: id, broker_epoch: epoch }))?;
                return Ok(reply(true, true));
            }
            return Ok(reply(false, false));
        }
        if heartbeat.want_fence {
            if !broker.fenced {
                staging.push(MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id: id, broker_epoch: epoch }))?;
                move_away(&mut staging, id, policy)?;
            }
            return Ok(reply(true, false));
        }
        if broker.fenced && is_caught_up && !broker.in_controlled_shutdown {
            staging.push(MetadataRecord::UnfenceBroker(UnfenceBrokerRecord { broker_id: id, broker_epoch: epoch }))?;
            elect_offline(&mut staging, policy)?;
            return Ok(reply(false, false));
        }
        Ok(reply(broker.fenced, false))
    })();
    match outcome {
        Ok(reply) => ControllerResult::new(staging.records(), Ok(reply)),
        Err(e) => ControllerResult::response_only(Err(BrokerError::Internal(e))),
    }
}

/// Fences every unfenced broker whose session has expired (a heartbeat on record older than the session
/// timeout), moving its leaderships to other ISR members (leader -1 where none is active and unclean
/// election is not allowed) and shrinking ISRs. The response lists the brokers fenced.
pub fn fence_expired(
    image: &MetadataImage,
    sessions: &BrokerSessions<'_>,
    policy: &ElectionPolicy,
) -> ControllerResult<Vec<NodeId>> {
    let expired: Vec<(NodeId, BrokerEpoch)> =
        image.brokers().unfenced().filter(|b| sessions.is_expired(b.id)).map(|b| (b.id, b.epoch)).collect();
    let mut staging = Staging::new(image);
    let mut fenced = Vec::with_capacity(expired.len());
    for (broker_id, broker_epoch) in expired {
        let step = staging
            .push(MetadataRecord::FenceBroker(FenceBrokerRecord { broker_id, broker_epoch }))
            .and_then(|()| move_away(&mut staging, broker_id, policy));
        if step.is_err() {
            // Not reachable with consistent records; fence nothing rather than half of it.
            return ControllerResult::response_only(Vec::new());
        }
        fenced.push(broker_id);
    }
    ControllerResult::new(staging.records(), fenced)
}

/// Removes a broker for good: its leaderships and ISR places move away, then its registration goes.
pub fn unregister_broker(
    image: &MetadataImage,
    broker_id: NodeId,
    policy: &ElectionPolicy,
) -> ControllerResult<Result<(), BrokerError>> {
    let Some(broker) = image.brokers().get(broker_id) else {
        return ControllerResult::response_only(Err(BrokerError::NotRegistered(broker_id)));
    };
    let mut staging = Staging::new(image);
    let outcome = move_away(&mut staging, broker_id, policy).and_then(|()| {
        staging.push(MetadataRecord::UnregisterBroker(UnregisterBrokerRecord { broker_id, broker_epoch: broker.epoch }))
    });
    match outcome {
        Ok(()) => ControllerResult::new(staging.records(), Ok(())),
        Err(e) => ControllerResult::response_only(Err(BrokerError::Internal(e))),
    }
}

fn check_epoch(image: &MetadataImage, broker: NodeId, epoch: BrokerEpoch) -> Result<&BrokerRegistration, BrokerError> {
    let registration = image.brokers().get(broker).ok_or(BrokerError::NotRegistered(broker))?;
    if registration.epoch != epoch {
        return Err(BrokerError::StaleBrokerEpoch { broker, current: registration.epoch, request: epoch });
    }
    Ok(registration)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use flotilla_model::{PartitionIndex, TopicName};

    use super::*;
    use crate::records::{PartitionRecord, TopicRecord};
    use crate::test_fixtures::*;

    const POLICY: ElectionPolicy = ElectionPolicy { unclean_leader_election_enable: false };

    fn request(id: i32, incarnation: u128) -> BrokerRegistrationRequest {
        BrokerRegistrationRequest {
            broker_id: node(id),
            cluster_id: "cluster".into(),
            incarnation_id: uuid::Uuid::from_u128(incarnation),
            endpoints: vec![],
            rack: None,
        }
    }

    fn sessions(map: &BTreeMap<NodeId, u64>, now_ms: u64) -> BrokerSessions<'_> {
        BrokerSessions { now_ms, last_heartbeat_ms: map, session_timeout_ms: 9_000 }
    }

    fn heartbeat(log: &Log, id: i32, offset: i64) -> BrokerHeartbeat {
        BrokerHeartbeat {
            broker_id: node(id),
            broker_epoch: log.epoch(id),
            current_metadata_offset: offset,
            want_fence: false,
            want_shutdown: false,
        }
    }

    /// Brokers 1, 2, 3 and topic "t" (id 1) with partitions led by 1, 2, 3, all replicated on all three.
    fn three_brokers_one_topic() -> Log {
        let mut log = Log::with_brokers(&[1, 2, 3]);
        let mut records =
            vec![MetadataRecord::Topic(TopicRecord { name: TopicName::new("t").unwrap(), topic_id: topic_id(1) })];
        for (index, replicas) in [[1, 2, 3], [2, 3, 1], [3, 1, 2]].iter().enumerate() {
            records.push(MetadataRecord::Partition(PartitionRecord {
                topic_id: topic_id(1),
                partition: PartitionIndex::new(index as i32),
                replicas: nodes(replicas),
                isr: nodes(replicas),
                adding_replicas: vec![],
                removing_replicas: vec![],
                leader: node(replicas[0]),
                leader_epoch: Default::default(),
                partition_epoch: Default::default(),
                eligible_leader_replicas: None,
                last_known_elr: None,
            }));
        }
        log.commit(records).unwrap();
        log
    }

    fn partition(log: &Log, index: i32) -> crate::image::PartitionRegistration {
        log.image.topics().partition(topic_id(1), PartitionIndex::new(index)).unwrap().clone()
    }

    #[test]
    fn new_broker_registers_fenced() {
        let log = Log::new();
        let result = register_broker(&log.image, &request(1, 1), &sessions(&BTreeMap::new(), 0), &POLICY);
        assert_eq!(result.response, Ok(RegistrationOutcome::Registered));
        assert!(matches!(&result.records[..], [MetadataRecord::RegisterBroker(r)] if r.fenced));
    }

    #[test]
    fn retry_with_same_incarnation_changes_nothing() {
        let log = Log::with_brokers(&[1]);
        let live = BTreeMap::from([(node(1), 100)]);
        let result = register_broker(&log.image, &request(1, 1), &sessions(&live, 100), &POLICY);
        assert_eq!(result.response, Ok(RegistrationOutcome::AlreadyRegistered { broker_epoch: log.epoch(1) }));
        assert!(result.records.is_empty());
    }

    #[test]
    fn other_incarnation_is_duplicate_while_session_lives_and_replaces_after() {
        let mut log = three_brokers_one_topic();
        let live = BTreeMap::from([(node(1), 100)]);
        let result = register_broker(&log.image, &request(1, 99), &sessions(&live, 5_000), &POLICY);
        assert_eq!(result.response, Err(BrokerError::DuplicateRegistration(node(1))));
        assert_eq!(result.response.unwrap_err().code(), ErrorCode::DuplicateBrokerRegistration);
        // After the session expired the new incarnation replaces the old one, whose leadership moves first.
        let result = register_broker(&log.image, &request(1, 99), &sessions(&live, 20_000), &POLICY);
        assert_eq!(result.response, Ok(RegistrationOutcome::Registered));
        log.commit(result.records).unwrap();
        let b = log.image.brokers().get(node(1)).unwrap();
        assert!(b.fenced && b.incarnation_id == uuid::Uuid::from_u128(99));
        let p0 = partition(&log, 0);
        assert_eq!((p0.leader, p0.isr.clone()), (node(2), nodes(&[2, 3])));
        assert!(!partition(&log, 1).in_isr(node(1)));
    }

    #[test]
    fn registration_checks_cluster_id_and_listeners() {
        let mut log = Log::new();
        log.commit(vec![MetadataRecord::ClusterId(crate::records::ClusterIdRecord { cluster_id: "other".into() })])
            .unwrap();
        let r = register_broker(&log.image, &request(1, 1), &sessions(&BTreeMap::new(), 0), &POLICY);
        assert_eq!(r.response.unwrap_err().code(), ErrorCode::InconsistentClusterId);
        let log = Log::new();
        let endpoint = Endpoint {
            listener: "PLAINTEXT".into(),
            host: "h".into(),
            port: 1,
            security_protocol: crate::records::SecurityProtocol::Plaintext,
        };
        let twice = BrokerRegistrationRequest { endpoints: vec![endpoint.clone(), endpoint], ..request(1, 1) };
        let r = register_broker(&log.image, &twice, &sessions(&BTreeMap::new(), 0), &POLICY);
        assert_eq!(r.response.unwrap_err().code(), ErrorCode::InvalidRegistration);
    }

    #[test]
    fn heartbeat_unfences_once_caught_up_and_elects_offline_partitions() {
        let mut log = three_brokers_one_topic();
        // Broker 1 is fenced and was the last ISR member of partition 0.
        log.commit(vec![MetadataRecord::PartitionChange(crate::records::PartitionChangeRecord {
            isr: Some(nodes(&[1])),
            ..crate::records::PartitionChangeRecord::new(topic_id(1), PartitionIndex::new(0), Default::default())
        })])
        .unwrap();
        let fence = heartbeat(&log, 1, 0);
        let r = broker_heartbeat(&log.image, &BrokerHeartbeat { want_fence: true, ..fence }, &POLICY);
        log.commit(r.records).unwrap();
        assert_eq!(partition(&log, 0).leader, NodeId::NONE);
        assert_eq!(partition(&log, 0).isr, nodes(&[1]));
        // Not caught up: stays fenced.
        let epoch = log.epoch(1).get();
        let r = broker_heartbeat(&log.image, &heartbeat(&log, 1, epoch - 1), &POLICY);
        assert_eq!(r.response, Ok(HeartbeatReply { is_caught_up: false, is_fenced: true, should_shut_down: false }));
        assert!(r.records.is_empty());
        let r = broker_heartbeat(&log.image, &heartbeat(&log, 1, epoch), &POLICY);
        assert_eq!(r.response, Ok(HeartbeatReply { is_caught_up: true, is_fenced: false, should_shut_down: false }));
        log.commit(r.records).unwrap();
        assert!(log.image.brokers().is_active(node(1)));
        let p0 = partition(&log, 0);
        assert_eq!((p0.leader, p0.leader_epoch.get()), (node(1), 2));
    }

    #[test]
    fn heartbeat_with_stale_epoch_or_unknown_broker_fails() {
        let log = Log::with_brokers(&[1]);
        let stale = BrokerHeartbeat { broker_epoch: BrokerEpoch::new(0), ..heartbeat(&log, 1, 0) };
        assert_eq!(
            broker_heartbeat(&log.image, &stale, &POLICY).response.unwrap_err().code(),
            ErrorCode::StaleBrokerEpoch
        );
        let unknown = BrokerHeartbeat { broker_id: node(7), ..heartbeat(&log, 1, 0) };
        assert_eq!(
            broker_heartbeat(&log.image, &unknown, &POLICY).response.unwrap_err().code(),
            ErrorCode::BrokerIdNotRegistered
        );
    }

    #[test]
    fn controlled_shutdown_moves_leadership_then_fences() {
        let mut log = three_brokers_one_topic();
        let hb = BrokerHeartbeat { want_shutdown: true, ..heartbeat(&log, 1, 100) };
        let r = broker_heartbeat(&log.image, &hb, &POLICY);
        assert!(!r.response.unwrap().should_shut_down);
        log.commit(r.records).unwrap();
        assert!(log.image.partitions_led_by(node(1)).is_empty());
        assert!(log.image.topics().with_isr_member(node(1)).next().is_none());
        assert!(log.image.brokers().get(node(1)).unwrap().in_controlled_shutdown);
        let p0 = partition(&log, 0);
        assert_eq!((p0.leader, p0.leader_epoch.get()), (node(2), 1));
        // Next heartbeat: leads nothing, so it is fenced and told to shut down.
        let r = broker_heartbeat(&log.image, &hb, &POLICY);
        assert_eq!(r.response, Ok(HeartbeatReply { is_caught_up: true, is_fenced: true, should_shut_down: true }));
        log.commit(r.records).unwrap();
        assert!(log.image.brokers().get(node(1)).unwrap().fenced);
        // A shutting-down broker is not unfenced, and once fenced it is told to shut down at once.
        let r = broker_heartbeat(&log.image, &hb, &POLICY);
        assert!(r.records.is_empty() && r.response.unwrap().should_shut_down);
    }

    #[test]
    fn fence_expired_moves_leadership_and_shrinks_isr() {
        let mut log = three_brokers_one_topic();
        let beats = BTreeMap::from([(node(1), 0), (node(2), 10_000), (node(3), 10_000)]);
        let r = fence_expired(&log.image, &sessions(&beats, 10_000), &POLICY);
        assert_eq!(r.response, vec![node(1)]);
        log.commit(r.records).unwrap();
        assert!(log.image.brokers().get(node(1)).unwrap().fenced);
        for index in 0..3 {
            let p = partition(&log, index);
            assert!(!p.in_isr(node(1)) && p.leader != node(1));
        }
        let p0 = partition(&log, 0);
        assert_eq!((p0.leader, p0.leader_epoch.get(), p0.partition_epoch.get()), (node(2), 1, 1));
        let p1 = partition(&log, 1);
        assert_eq!((p1.leader_epoch.get(), p1.partition_epoch.get()), (0, 1), "ISR shrink bumps partition epoch only");
        // Nothing else is expired; a broker without a heartbeat on record is left alone.
        let r = fence_expired(&log.image, &sessions(&BTreeMap::new(), 1_000_000), &POLICY);
        assert!(r.records.is_empty() && r.response.is_empty());
    }

    #[test]
    fn fencing_every_isr_member_leaves_partition_offline_unless_unclean_allowed() {
        let mut log = three_brokers_one_topic();
        let beats = BTreeMap::from([(node(1), 0), (node(2), 0), (node(3), 10_000)]);
        let mut offline_log = log.clone();
        let r = fence_expired(&offline_log.image, &sessions(&beats, 10_000), &POLICY);
        assert_eq!(r.response, vec![node(1), node(2)]);
        offline_log.commit(r.records).unwrap();
        let p0 = partition(&offline_log, 0);
        assert_eq!((p0.leader, p0.isr.clone()), (node(3), nodes(&[3])));
        // Now 3 goes too: it is the last ISR member, so it stays in the ISR and the partition is offline.
        let beats = BTreeMap::from([(node(3), 0)]);
        let r = fence_expired(&offline_log.image, &sessions(&beats, 10_000), &POLICY);
        offline_log.commit(r.records).unwrap();
        for index in 0..3 {
            let p = partition(&offline_log, index);
            assert_eq!((p.leader, p.isr.clone()), (NodeId::NONE, nodes(&[3])));
        }
        // With unclean election allowed, a partition whose ISR is all fenced takes any active replica.
        let unclean = ElectionPolicy { unclean_leader_election_enable: true };
        log.commit(vec![MetadataRecord::PartitionChange(crate::records::PartitionChangeRecord {
            isr: Some(nodes(&[1])),
            ..crate::records::PartitionChangeRecord::new(topic_id(1), PartitionIndex::new(0), Default::default())
        })])
        .unwrap();
        let beats = BTreeMap::from([(node(1), 0)]);
        let r = fence_expired(&log.image, &sessions(&beats, 10_000), &unclean);
        log.commit(r.records).unwrap();
        let p0 = partition(&log, 0);
        assert_eq!((p0.leader, p0.isr.clone()), (node(2), nodes(&[2])));
    }

    #[test]
    fn unregister_moves_away_then_removes() {
        let mut log = three_brokers_one_topic();
        let r = unregister_broker(&log.image, node(2), &POLICY);
        assert_eq!(r.response, Ok(()));
        log.commit(r.records).unwrap();
        assert!(log.image.brokers().get(node(2)).is_none());
        assert!(log.image.partitions_led_by(node(2)).is_empty());
        assert_eq!(unregister_broker(&log.image, node(2), &POLICY).response, Err(BrokerError::NotRegistered(node(2))));
    }
}
