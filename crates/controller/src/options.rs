//! [`ControllerOptions`]: what a quorum controller needs to start, and how a node's
//! [`ServerConfig`] supplies it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use flotilla_config::ServerConfig;
use flotilla_metadata::controller::configs::{AcceptAllConfigs, ConfigPolicy};
use flotilla_metadata::controller::partitions::ElectionPolicy;
use flotilla_metadata::controller::topics::TopicDefaults;
use flotilla_model::NodeId;
use flotilla_raft::RaftConfig;

use crate::config_policy::ServerConfigPolicy;
use crate::error::StartError;

/// A config policy the controller task can own and share.
pub type SharedConfigPolicy = Arc<dyn ConfigPolicy + Send + Sync>;

/// Everything a [`QuorumController`](crate::QuorumController) needs.
#[derive(Clone)]
pub struct ControllerOptions {
    /// This controller's `node.id`; must be one of `voters`.
    pub node_id: NodeId,
    /// `controller.quorum.voters`: node id → `host:port` of its raft (controller listener) address.
    pub voters: BTreeMap<NodeId, String>,
    /// The raft node's database, `<metadata.log.dir>/__cluster_metadata-0/raft`.
    pub raft_dir: PathBuf,
    pub raft_config: RaftConfig,
    /// `cluster.id`; `None` draws a new one when bootstrapping a new cluster.
    pub cluster_id: Option<String>,
    /// `broker.session.timeout.ms`: a broker without a heartbeat this long is fenced.
    pub broker_session_timeout_ms: u64,
    /// How often the active controller looks for expired sessions (and notices leadership).
    pub session_check_interval_ms: u64,
    /// Limit on one raft write (and on taking over as active controller). Every queued operation
    /// waits behind a write, so it is well below the clients' request timeout.
    pub write_timeout_ms: u64,
    /// Most requests queued for the controller task; senders wait beyond it.
    pub request_queue_max: usize,
    /// `num.partitions` and `default.replication.factor`.
    pub topic_defaults: TopicDefaults,
    /// `delete.topic.enable`.
    pub delete_topic_enable: bool,
    /// `unclean.leader.election.enable` as the static default.
    pub election_policy: ElectionPolicy,
    /// `leader.imbalance.check.interval.seconds` in milliseconds when `auto.leader.rebalance.enable`
    /// is on; `None` leaves leadership where failures put it until an ElectLeaders request.
    pub leader_rebalance_interval_ms: Option<u64>,
    /// Validation of config overrides.
    pub config_policy: SharedConfigPolicy,
    /// Seed of the randomness behind topic ids and replica placement; `None` draws one.
    pub random_seed: Option<u64>,
    /// More gRPC services to serve on the controller listener beside raft and the controller
    /// service (a broker's replication service).
    pub extra_services: tonic::service::Routes,
}

impl fmt::Debug for ControllerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControllerOptions")
            .field("node_id", &self.node_id)
            .field("voters", &self.voters)
            .field("raft_dir", &self.raft_dir)
            .field("cluster_id", &self.cluster_id)
            .field("broker_session_timeout_ms", &self.broker_session_timeout_ms)
            .finish_non_exhaustive()
    }
}

impl ControllerOptions {
    /// Options with Kafka's defaults (9 s sessions), every config accepted, and the given identity.
    pub fn new(node_id: NodeId, voters: BTreeMap<NodeId, String>, raft_dir: PathBuf) -> Self {
        Self {
            node_id,
            voters,
            raft_dir,
            raft_config: RaftConfig::default(),
            cluster_id: None,
            broker_session_timeout_ms: 9_000,
            session_check_interval_ms: 1_000,
            write_timeout_ms: 5_000,
            request_queue_max: 1_024,
            topic_defaults: TopicDefaults::default(),
            delete_topic_enable: true,
            election_policy: ElectionPolicy::default(),
            leader_rebalance_interval_ms: None,
            config_policy: Arc::new(AcceptAllConfigs),
            random_seed: None,
            extra_services: tonic::service::Routes::default(),
        }
    }

    /// The options a node's config gives: voters, `metadata.log.dir`, `cluster.id`, session
    /// timeout, topic defaults, unclean election, config validation, and the raft election timeout
    /// from `controller.quorum.election.timeout.ms` (the raft default up to twice that).
    ///
    /// # Errors
    /// The node is not one of the voters, or a timing is not positive.
    pub fn from_server_config(config: &Arc<ServerConfig>) -> Result<Self, StartError> {
        let voters: BTreeMap<NodeId, String> =
            config.controller_quorum_voters.iter().map(|v| (v.node_id, v.address.to_string())).collect();
        if !voters.contains_key(&config.node_id) {
            return Err(StartError::InvalidConfig(format!(
                "node {} is not among the controller.quorum.voters {:?}",
                config.node_id,
                voters.keys().map(|id| id.get()).collect::<Vec<_>>()
            )));
        }
        let positive = |name: &str, value: i32| {
            u64::try_from(value)
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| StartError::InvalidConfig(format!("{name} must be positive, not {value}")))
        };
        let session_timeout_ms = positive("broker.session.timeout.ms", config.broker_session_timeout_ms)?;
        let heartbeat_interval_ms = positive("broker.heartbeat.interval.ms", config.broker_heartbeat_interval_ms)?;
        let election_timeout_ms =
            positive("controller.quorum.election.timeout.ms", config.controller_quorum_election_timeout_ms)?;
        let defaults = RaftConfig::default();
        let raft_config = RaftConfig {
            cluster_name: config.cluster_id.clone().unwrap_or(defaults.cluster_name.clone()),
            heartbeat_interval_ms: defaults.heartbeat_interval_ms.min(election_timeout_ms / 2).max(1),
            election_timeout_min_ms: election_timeout_ms,
            election_timeout_max_ms: election_timeout_ms.saturating_mul(2),
            ..defaults
        };
        let raft_dir = config.metadata_log_dir.join("__cluster_metadata-0").join("raft");
        Ok(Self {
            raft_config,
            cluster_id: config.cluster_id.clone(),
            broker_session_timeout_ms: session_timeout_ms,
            // Several checks per heartbeat interval keep fencing within a beat of the timeout.
            session_check_interval_ms: (heartbeat_interval_ms / 2).max(50),
            topic_defaults: TopicDefaults {
                num_partitions: config.num_partitions,
                replication_factor: config.default_replication_factor,
            },
            delete_topic_enable: config.delete_topic_enable,
            election_policy: ElectionPolicy { unclean_leader_election_enable: config.unclean_leader_election_enable },
            leader_rebalance_interval_ms: config.auto_leader_rebalance_enable.then(|| {
                u64::try_from(config.leader_imbalance_check_interval_seconds).unwrap_or(300).saturating_mul(1_000)
            }),
            config_policy: Arc::new(ServerConfigPolicy::new(Arc::clone(config))),
            ..Self::new(config.node_id, voters, raft_dir)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_single_node_default_gives_usable_options() {
        let config = Arc::new(ServerConfig::single_node_default().unwrap());
        let options = ControllerOptions::from_server_config(&config).unwrap();
        assert_eq!(options.node_id, config.node_id);
        assert_eq!(options.voters.len(), config.controller_quorum_voters.len());
        assert!(options.raft_dir.ends_with("__cluster_metadata-0/raft"));
        assert_eq!(options.broker_session_timeout_ms, config.broker_session_timeout_ms as u64);
        assert!(options.raft_config.heartbeat_interval_ms < options.raft_config.election_timeout_min_ms);
    }
}
