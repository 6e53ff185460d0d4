//! Broker sessions on the active controller: when each broker last heartbeated, on a monotonic
//! clock local to this process. Liveness is time and time is not in the metadata log, so these
//! live only on the active controller; a controller that takes over seeds every registered broker
//! with "now", as Kafka's does on failover (a broker with no heartbeat on record is never fenced,
//! and one seeded now gets a whole session to reach the new controller). The exception is the
//! broker on the node whose controller was replaced: its session is dated from when this node last
//! heard from that leader, so a dead combined node is fenced a session after it went silent, not a
//! session after the election that followed.

use std::collections::BTreeMap;

use flotilla_metadata::controller::brokers::BrokerSessions;
use flotilla_metadata::MetadataImage;
use flotilla_model::NodeId;
use tokio::time::Instant;

/// Last heartbeat times of the brokers, and the session timeout they are judged by.
#[derive(Debug)]
pub(crate) struct SessionTracker {
    started: Instant,
    session_timeout_ms: u64,
    last_heartbeat_ms: BTreeMap<NodeId, u64>,
}

impl SessionTracker {
    pub(crate) fn new(session_timeout_ms: u64) -> Self {
        Self { started: Instant::now(), session_timeout_ms, last_heartbeat_ms: BTreeMap::new() }
    }

    /// Milliseconds since the tracker was made; only differences matter.
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Forgets every session and starts one, from now, for each broker registered in `image`.
    pub(crate) fn seed(&mut self, image: &MetadataImage) {
        let now = self.now_ms();
        self.last_heartbeat_ms = image.brokers().iter().map(|b| (b.id, now)).collect();
    }

    /// `broker` has been silent since `since` (if that is earlier than its session says).
    pub(crate) fn silent_since(&mut self, broker: NodeId, since: Instant) {
        let since_ms = u64::try_from(since.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX);
        if let Some(last) = self.last_heartbeat_ms.get_mut(&broker) {
            *last = (*last).min(since_ms);
        }
    }

    /// `broker` is alive now.
    pub(crate) fn touch(&mut self, broker: NodeId) {
        let now = self.now_ms();
        self.last_heartbeat_ms.insert(broker, now);
    }

    /// Drops the sessions of brokers no longer registered.
    pub(crate) fn retain_registered(&mut self, image: &MetadataImage) {
        self.last_heartbeat_ms.retain(|id, _| image.brokers().get(*id).is_some());
    }

    /// The view the metadata decisions take, at `now_ms`.
    pub(crate) fn view(&self, now_ms: u64) -> BrokerSessions<'_> {
        BrokerSessions {
            now_ms,
            last_heartbeat_ms: &self.last_heartbeat_ms,
            session_timeout_ms: self.session_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A tracker whose clock reads about 10 s, with every broker in `brokers` heard from now.
    fn tracker_with(brokers: &[i32]) -> SessionTracker {
        let mut tracker = SessionTracker::new(2_000);
        tracker.started = Instant::now().checked_sub(Duration::from_secs(10)).expect("a clock past 10 s");
        for id in brokers {
            tracker.touch(NodeId::new(*id));
        }
        tracker
    }

    #[test]
    fn a_replaced_leaders_session_counts_from_when_it_went_silent() {
        let mut tracker = tracker_with(&[1, 2]);
        // The takeover seeded both sessions now; the replaced leader was last heard 1.5 s earlier.
        let silent_from = tracker.started + Duration::from_millis(8_500);
        tracker.silent_since(NodeId::new(1), silent_from);
        assert_eq!(tracker.last_heartbeat_ms[&NodeId::new(1)], 8_500);
        assert!(tracker.last_heartbeat_ms[&NodeId::new(2)] >= 10_000);
    }

    #[test]
    fn silence_never_extends_a_session_nor_adds_a_broker() {
        let mut tracker = tracker_with(&[1]);
        let before = tracker.last_heartbeat_ms[&NodeId::new(1)];
        tracker.silent_since(NodeId::new(1), Instant::now() + Duration::from_secs(5));
        assert_eq!(tracker.last_heartbeat_ms[&NodeId::new(1)], before);
        tracker.silent_since(NodeId::new(7), tracker.started);
        assert!(!tracker.last_heartbeat_ms.contains_key(&NodeId::new(7)));
    }
}
