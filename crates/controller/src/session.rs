//! Broker sessions on the active controller: when each broker last heartbeated, on a monotonic
//! clock local to this process. Liveness is time and time is not in the metadata log, so these
//! live only on the active controller; a controller that takes over seeds every registered broker
//! with "now", as Kafka's does on failover (a broker with no heartbeat on record is never fenced,
//! and one seeded now gets a whole session to reach the new controller).

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
