//! A node's view of the quorum, for operators (`metadata-quorum describe --status/--replication`)
//! and for tests that wait on progress.

use crate::type_config::NodeId;

/// The role of a node in the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Leads the quorum: accepts writes and replicates them.
    Leader,
    /// Stands for election.
    Candidate,
    /// Follows a leader (or waits for one).
    Follower,
    /// Replicates without voting.
    Learner,
    /// Stopped.
    Shutdown,
}

impl From<openraft::ServerState> for Role {
    fn from(state: openraft::ServerState) -> Self {
        match state {
            openraft::ServerState::Leader => Role::Leader,
            openraft::ServerState::Candidate => Role::Candidate,
            openraft::ServerState::Follower => Role::Follower,
            openraft::ServerState::Learner => Role::Learner,
            openraft::ServerState::Shutdown => Role::Shutdown,
        }
    }
}

/// One node's view of the quorum at one moment. Indexes are Raft log indexes (the metadata log's
/// offsets); `None` means no entry yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumStatus {
    /// This node.
    pub node_id: NodeId,
    /// Its role.
    pub role: Role,
    /// The current term: KRaft's leader epoch.
    pub term: u64,
    /// The leader this node knows of.
    pub leader_id: Option<NodeId>,
    /// The highest index this node knows to be committed: KRaft's high watermark.
    pub commit_index: Option<u64>,
    /// The highest index applied to the state machine.
    pub last_applied_index: Option<u64>,
    /// The last index in this node's log: its log end offset minus one.
    pub last_log_index: Option<u64>,
    /// The last index covered by this node's snapshot.
    pub snapshot_index: Option<u64>,
    /// The last index purged from this node's log.
    pub purged_index: Option<u64>,
    /// On the leader: milliseconds since a quorum last acknowledged it.
    pub millis_since_quorum_ack: Option<u64>,
    /// The voters of the current membership, by id.
    pub voters: Vec<VoterStatus>,
}

/// One voter, as seen by the node reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterStatus {
    /// The voter.
    pub node_id: NodeId,
    /// Its controller listener address.
    pub address: String,
    /// On the leader: the last index known to be in this voter's log (`None` elsewhere, or before
    /// the leader has heard from it).
    pub matched_index: Option<u64>,
    /// On the leader: when this voter last answered a replication request (wall-clock ms).
    pub last_ack_ms: Option<i64>,
    /// On the leader: when this voter last acknowledged the leader's whole log (wall-clock ms).
    pub last_caught_up_ms: Option<i64>,
}
