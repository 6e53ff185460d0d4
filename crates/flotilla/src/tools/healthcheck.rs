//! `flotilla healthcheck`: is this one broker ready to serve? Flotilla's own tool (Kafka has none; Confluent's
//! images use `cub kafka-ready`), made for container healthchecks such as the compose file's.
//!
//! It talks to exactly the server given, never to others it learns of, and reports healthy when all hold:
//! - the server answers ApiVersions and Metadata;
//! - with `--node-id N`, broker N is in that Metadata answer. A broker lists only unfenced brokers, and the
//!   controller unfences a broker only once its heartbeats report it has applied the metadata log up to its
//!   own registration (Kafka's rule), so this says the broker has registered and caught up with the quorum;
//! - the server answers DescribeQuorum with a leader: a controller quorum is in place behind it.
//!
//! Exit code 0 and one `healthy:` line, or 1 and one `unhealthy:` line that says which check failed.

use std::process::ExitCode;
use std::time::Duration;

use flotilla_client::{BrokerConnection, ConnectionConfig};
use flotilla_model::ErrorCode;
use flotilla_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use flotilla_protocol::messages::{DescribeQuorumRequest, MetadataRequest};

use crate::cli::UsageError;
use crate::failure::Failure;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: the one server to check (host:port).
    #[arg(long, value_name = "String: server to check")]
    bootstrap_server: Option<String>,
    /// The broker id the server must list among the unfenced brokers (its own node.id).
    #[arg(long, value_name = "Integer: broker id")]
    node_id: Option<i32>,
    /// Deadline for connecting and for each request, in milliseconds.
    #[arg(long, value_name = "Integer: milliseconds", default_value_t = 5000)]
    timeout_ms: u64,
}

/// What the server answered, reduced to what the verdict needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub listed_brokers: Vec<i32>,
    /// The quorum leader from DescribeQuorum, or the error that came instead.
    pub quorum_leader: Result<i32, String>,
}

/// The verdict: `Ok(summary)` when healthy, `Err(reason)` otherwise.
pub fn verdict(observed: &Observed, node_id: Option<i32>) -> Result<String, String> {
    if let Some(id) = node_id {
        if !observed.listed_brokers.contains(&id) {
            let listed = observed.listed_brokers.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            return Err(format!(
                "broker {id} is not among the unfenced brokers [{listed}]: not registered or not caught up with the metadata log yet"
            ));
        }
    }
    let leader = match &observed.quorum_leader {
        Ok(leader) if *leader >= 0 => *leader,
        Ok(_) => return Err("the controller quorum has no leader".to_string()),
        Err(e) => return Err(format!("the controller quorum did not answer: {e}")),
    };
    let who = node_id.map(|id| format!("broker {id}")).unwrap_or_else(|| "the broker".to_string());
    Ok(format!(
        "{who} serves Metadata ({} unfenced brokers), controller quorum leader {leader}",
        observed.listed_brokers.len()
    ))
}

pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Some(server) = &args.bootstrap_server else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    let deadline = Duration::from_millis(args.timeout_ms.max(1));
    let config = ConnectionConfig {
        client_id: "flotilla-healthcheck".to_string(),
        connect_timeout: deadline,
        request_timeout: deadline,
        ..ConnectionConfig::default()
    };
    let observed = async {
        let conn = BrokerConnection::connect(-1, server, &config).await?;
        let metadata = conn.send(&MetadataRequest { topics: Some(Vec::new()), ..Default::default() }).await?;
        let quorum =
            conn.send(&describe_quorum_request()).await.map_err(|e| Failure::from_client(&e).message).and_then(
                |response| {
                    let code = ErrorCode::from_code(response.error_code);
                    if code != ErrorCode::None {
                        return Err(format!("{code:?}"));
                    }
                    response
                        .topics
                        .first()
                        .and_then(|t| t.partitions.first())
                        .map(|p| p.leader_id)
                        .ok_or_else(|| "an empty DescribeQuorum answer".to_string())
                },
            );
        conn.close();
        Ok::<_, flotilla_client::ClientError>(Observed {
            listed_brokers: metadata.brokers.iter().map(|b| b.node_id).collect(),
            quorum_leader: quorum,
        })
    }
    .await;
    let outcome = match observed {
        Ok(observed) => verdict(&observed, args.node_id),
        Err(e) => Err(format!("{server} does not serve Metadata: {}", Failure::from_client(&e).message)),
    };
    match outcome {
        Ok(summary) => {
            println!("healthy: {summary}");
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            println!("unhealthy: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn describe_quorum_request() -> DescribeQuorumRequest {
    DescribeQuorumRequest {
        topics: vec![TopicData {
            topic_name: "__cluster_metadata".into(),
            partitions: vec![PartitionData { partition_index: 0, ..Default::default() }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(brokers: &[i32], leader: Result<i32, &str>) -> Observed {
        Observed { listed_brokers: brokers.to_vec(), quorum_leader: leader.map_err(str::to_string) }
    }

    #[test]
    fn healthy_when_listed_and_the_quorum_has_a_leader() {
        let v = verdict(&observed(&[1, 2, 3], Ok(2)), Some(3)).expect("healthy");
        assert_eq!(v, "broker 3 serves Metadata (3 unfenced brokers), controller quorum leader 2");
    }

    #[test]
    fn a_broker_missing_from_metadata_is_unhealthy() {
        let reason = verdict(&observed(&[1, 2], Ok(1)), Some(3)).expect_err("unhealthy");
        assert!(reason.starts_with("broker 3 is not among the unfenced brokers [1,2]"), "{reason}");
    }

    #[test]
    fn no_quorum_leader_is_unhealthy_even_without_a_node_id() {
        assert_eq!(
            verdict(&observed(&[1], Ok(-1)), None).expect_err("unhealthy"),
            "the controller quorum has no leader"
        );
        let reason = verdict(&observed(&[1], Err("RequestTimedOut")), Some(1)).expect_err("unhealthy");
        assert_eq!(reason, "the controller quorum did not answer: RequestTimedOut");
    }
}
