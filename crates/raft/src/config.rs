//! Timing and size settings of a Raft node, with defaults for a controller quorum on a LAN.
//!
//! | setting | default | why |
//! |---|---|---|
//! | `heartbeat_interval_ms` | 200 | also openraft's deadline for one AppendEntries round trip, which includes the follower's fsync |
//! | `election_timeout_min_ms` .. `max_ms` | 1000 .. 2000 | as KRaft's `controller.quorum.election.timeout.ms` (1000, randomized up to twice that); five missed heartbeats before a follower stands |
//! | `connect_timeout_ms` | 1000 | a LAN connect takes well under a millisecond; a silent peer is given up on quickly |
//! | `unreachable_backoff_ms` | 500 | pause before retrying a peer that refused or dropped the connection |
//! | `install_snapshot_timeout_ms` | 10000 | per snapshot chunk; the last chunk includes restoring the state machine and an fsync |
//! | `snapshot_chunk_bytes` | 1 MiB | below the gRPC message limit with room to spare |
//! | `snapshot_after_entries` | 10000 | a snapshot every 10,000 applied entries; entries it covers become purgeable |
//! | `entries_kept_after_snapshot` | 1000 | a follower that is less than this far behind catches up by log, not by snapshot |
//! | `max_message_bytes` | 16 MiB | largest gRPC message sent or accepted |

use std::time::Duration;

use crate::error::Error;

/// Settings of a Raft node. `Default` gives the LAN defaults in the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaftConfig {
    /// Name of the cluster, for logs.
    pub cluster_name: String,
    /// How often the leader sends heartbeats, in milliseconds.
    pub heartbeat_interval_ms: u64,
    /// Least time without a leader before a follower stands for election, in milliseconds.
    pub election_timeout_min_ms: u64,
    /// Most time without a leader before a follower stands for election, in milliseconds.
    pub election_timeout_max_ms: u64,
    /// Limit on connecting to a peer, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Pause before retrying an unreachable peer, in milliseconds.
    pub unreachable_backoff_ms: u64,
    /// Deadline for sending one snapshot chunk, in milliseconds.
    pub install_snapshot_timeout_ms: u64,
    /// Size of a snapshot chunk, in bytes.
    pub snapshot_chunk_bytes: u64,
    /// Entries applied since the last snapshot that trigger a new one.
    pub snapshot_after_entries: u64,
    /// Entries kept in the log below the last snapshot, for followers that are a little behind.
    pub entries_kept_after_snapshot: u64,
    /// Largest gRPC message sent or accepted, in bytes.
    pub max_message_bytes: usize,
}

impl Default for RaftConfig {
    fn default() -> Self {
        Self {
            cluster_name: "flotilla".to_owned(),
            heartbeat_interval_ms: 200,
            election_timeout_min_ms: 1000,
            election_timeout_max_ms: 2000,
            connect_timeout_ms: 1000,
            unreachable_backoff_ms: 500,
            install_snapshot_timeout_ms: 10_000,
            snapshot_chunk_bytes: 1024 * 1024,
            snapshot_after_entries: 10_000,
            entries_kept_after_snapshot: 1000,
            max_message_bytes: 16 * 1024 * 1024,
        }
    }
}

impl RaftConfig {
    /// openraft's configuration for these settings.
    pub(crate) fn to_openraft(&self) -> Result<openraft::Config, Error> {
        if self.snapshot_chunk_bytes >= self.max_message_bytes as u64 {
            return Err(Error::InvalidConfig(format!(
                "snapshot_chunk_bytes ({}) must be below max_message_bytes ({})",
                self.snapshot_chunk_bytes, self.max_message_bytes
            )));
        }
        if self.snapshot_after_entries == 0 {
            return Err(Error::InvalidConfig("snapshot_after_entries must be at least 1".to_owned()));
        }
        let config = openraft::Config {
            cluster_name: self.cluster_name.clone(),
            heartbeat_interval: self.heartbeat_interval_ms,
            election_timeout_min: self.election_timeout_min_ms,
            election_timeout_max: self.election_timeout_max_ms,
            install_snapshot_timeout: self.install_snapshot_timeout_ms,
            snapshot_max_chunk_size: self.snapshot_chunk_bytes,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_after_entries),
            max_in_snapshot_log_to_keep: self.entries_kept_after_snapshot,
            ..openraft::Config::default()
        };
        // Checks, among others, heartbeat < election_timeout_min < election_timeout_max.
        config.validate().map_err(|e| Error::InvalidConfig(e.to_string()))
    }

    pub(crate) fn client_settings(&self) -> crate::network::ClientSettings {
        crate::network::ClientSettings {
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            max_message_bytes: self.max_message_bytes,
            unreachable_backoff: Duration::from_millis(self.unreachable_backoff_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(RaftConfig::default().to_openraft().is_ok());
    }

    #[test]
    fn rejects_heartbeat_not_below_election_timeout() {
        let config = RaftConfig {
            heartbeat_interval_ms: 1000,
            election_timeout_min_ms: 500,
            election_timeout_max_ms: 600,
            ..RaftConfig::default()
        };
        assert!(matches!(config.to_openraft(), Err(Error::InvalidConfig(_))));
    }

    #[test]
    fn rejects_chunks_larger_than_messages() {
        let config = RaftConfig { snapshot_chunk_bytes: 32 * 1024 * 1024, ..RaftConfig::default() };
        assert!(matches!(config.to_openraft(), Err(Error::InvalidConfig(_))));
    }
}
