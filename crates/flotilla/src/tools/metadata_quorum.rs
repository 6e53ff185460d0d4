//! `flotilla metadata-quorum`: Kafka's `kafka-metadata-quorum` (`org.apache.kafka.tools.MetadataQuorumCommand`)
//! for the `describe` command: `--status` (leader, epoch, high watermark, follower lag, voters) and
//! `--replication` (one row per voter: log end offset, lag, last fetch and caught-up times, role).
//!
//! The DescribeQuorum request goes to any broker, which forwards it to the active controller. Times the
//! controller does not track are printed as -1, as Kafka prints an unknown timestamp.

use std::path::PathBuf;
use std::process::ExitCode;

use flotilla_client::{Client, MetadataTopics};
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use flotilla_protocol::messages::describe_quorum_response::PartitionData as QuorumPartition;
use flotilla_protocol::messages::DescribeQuorumRequest;

use crate::cli::{self, UsageError};
use crate::failure::Failure;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// A Kafka server to connect to.
    #[arg(long, value_name = "String: server(s) to use for bootstrapping")]
    bootstrap_server: Option<String>,
    /// Property file containing configs to be passed to Admin Client.
    #[arg(long, value_name = "String: command config property file")]
    command_config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Describe the metadata quorum info.
    Describe(DescribeArgs),
}

#[derive(Debug, clap::Args)]
struct DescribeArgs {
    /// A short summary of the quorum status and the other provides information about the current replication state.
    #[arg(long)]
    status: bool,
    /// A short summary of the quorum status and the other provides information about the current replication state.
    #[arg(long)]
    replication: bool,
}

/// `--status`, as Kafka 3.x prints it (the voters as ids).
pub fn status_text(cluster_id: &str, quorum: &QuorumPartition) -> String {
    let leader_end = leader_log_end(quorum);
    let max_lag = quorum.current_voters.iter().map(|v| leader_end.saturating_sub(v.log_end_offset)).max().unwrap_or(0);
    // The controller reports no per-voter times: a lag of zero is zero milliseconds, another is unknown.
    let max_lag_time_ms: i64 = if max_lag == 0 { 0 } else { -1 };
    let ids = |voters: &[flotilla_protocol::messages::describe_quorum_response::ReplicaState]| {
        voters.iter().map(|v| v.replica_id.to_string()).collect::<Vec<_>>().join(",")
    };
    format!(
        "ClusterId:              {cluster_id}\n\
         LeaderId:               {}\n\
         LeaderEpoch:            {}\n\
         HighWatermark:          {}\n\
         MaxFollowerLag:         {max_lag}\n\
         MaxFollowerLagTimeMs:   {max_lag_time_ms}\n\
         CurrentVoters:          [{}]\n\
         CurrentObservers:       [{}]\n",
        quorum.leader_id,
        quorum.leader_epoch,
        quorum.high_watermark,
        ids(&quorum.current_voters),
        ids(&quorum.observers),
    )
}

/// `--replication`: a header and one row per voter (leader first, then by id), then the observers,
/// columns separated by tabs.
pub fn replication_text(quorum: &QuorumPartition) -> String {
    let leader_end = leader_log_end(quorum);
    let mut voters: Vec<_> = quorum.current_voters.iter().collect();
    voters.sort_by_key(|v| (v.replica_id != quorum.leader_id, v.replica_id));
    let rows = voters
        .into_iter()
        .map(|v| (v, if v.replica_id == quorum.leader_id { "Leader" } else { "Follower" }))
        .chain(quorum.observers.iter().map(|o| (o, "Observer")));
    let mut out = String::from("NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n");
    for (replica, status) in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{status}\n",
            replica.replica_id,
            replica.log_end_offset,
            leader_end.saturating_sub(replica.log_end_offset).max(0),
            replica.last_fetch_timestamp,
            replica.last_caught_up_timestamp
        ));
    }
    out
}

fn leader_log_end(quorum: &QuorumPartition) -> i64 {
    quorum
        .current_voters
        .iter()
        .find(|v| v.replica_id == quorum.leader_id)
        .map_or(quorum.high_watermark, |v| v.log_end_offset)
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Some(bootstrap) = &args.bootstrap_server else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    let Some(Command::Describe(describe)) = &args.command else {
        return Err(UsageError::with_usage("Missing required command: describe"));
    };
    if describe.status == describe.replication {
        return Err(UsageError::with_usage(
            "One of --status or --replication must be specified with describe sub-command",
        ));
    }
    let config =
        match cli::admin_client_config(args.command_config.as_deref(), Some(bootstrap), "flotilla-metadata-quorum") {
            Ok(config) => config,
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        };
    let request = DescribeQuorumRequest {
        topics: vec![TopicData {
            topic_name: "__cluster_metadata".into(),
            partitions: vec![PartitionData { partition_index: 0, ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let answered = async {
        let client = Client::connect(config).await?;
        let metadata = client.describe_metadata(MetadataTopics::None).await?;
        let response = client.send_any(&request).await?;
        Ok::<_, flotilla_client::ClientError>((metadata.cluster_id.clone().unwrap_or_default(), response))
    }
    .await;
    let (cluster_id, response) = match answered {
        Ok(answered) => answered,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).message);
            return Ok(ExitCode::FAILURE);
        }
    };
    let code = ErrorCode::from_code(response.error_code);
    let quorum = response.topics.first().and_then(|t| t.partitions.first());
    let Some(quorum) = quorum.filter(|_| code == ErrorCode::None) else {
        eprintln!("{}", Failure::kafka(code, response.error_message.as_deref()).message);
        return Ok(ExitCode::FAILURE);
    };
    let partition_code = ErrorCode::from_code(quorum.error_code);
    if partition_code != ErrorCode::None {
        eprintln!("{}", Failure::kafka(partition_code, quorum.error_message.as_deref()).message);
        return Ok(ExitCode::FAILURE);
    }
    if describe.status {
        print!("{}", status_text(&cluster_id, quorum));
    } else {
        print!("{}", replication_text(quorum));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use flotilla_protocol::messages::describe_quorum_response::ReplicaState;

    use super::*;

    fn voter(id: i32, log_end_offset: i64) -> ReplicaState {
        ReplicaState { replica_id: id, log_end_offset, ..Default::default() }
    }

    fn quorum() -> QuorumPartition {
        QuorumPartition {
            leader_id: 2,
            leader_epoch: 7,
            high_watermark: 40,
            current_voters: vec![voter(1, 38), voter(2, 41), voter(3, 41)],
            ..Default::default()
        }
    }

    #[test]
    fn status_reads_like_kafkas() {
        let text = status_text("abc", &quorum());
        assert_eq!(
            text,
            "ClusterId:              abc\nLeaderId:               2\nLeaderEpoch:            7\n\
             HighWatermark:          40\nMaxFollowerLag:         3\nMaxFollowerLagTimeMs:   -1\n\
             CurrentVoters:          [1,2,3]\nCurrentObservers:       []\n"
        );
    }

    #[test]
    fn replication_lists_the_leader_first_with_each_lag() {
        let lines: Vec<String> = replication_text(&quorum()).lines().map(str::to_owned).collect();
        assert_eq!(lines[0], "NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus");
        assert_eq!(lines[1], "2\t41\t0\t-1\t-1\tLeader");
        assert_eq!(lines[2], "1\t38\t3\t-1\t-1\tFollower");
        assert_eq!(lines[3], "3\t41\t0\t-1\t-1\tFollower");
    }
}
