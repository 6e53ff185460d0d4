//! `flotilla broker-api-versions`: Kafka's `kafka-broker-api-versions`
//! (`org.apache.kafka.tools.BrokerApiVersionsCommand`), the usual "is the broker up" check.
//!
//! For every broker in the cluster's metadata, sorted by id, Kafka 4.x's format:
//! `host:port (id: 1 rack: null isFenced: false) -> (` then one `\tName(key): min to max [usable: v]`
//! line per API (`Name(key): v` when min and max are equal, `[unusable: node too old|new]` when no
//! version is shared, `Name(key): UNSUPPORTED` for an API this client speaks that the broker does not
//! list), joined by `,` and closed by `)`. "Usable" is the highest version both Flotilla's client and the
//! broker speak. A broker that cannot be reached prints `... -> ERROR: <message>`.

use std::path::PathBuf;
use std::process::ExitCode;

use flotilla_client::{Admin, BrokerApiVersion, BrokerInfo};
use flotilla_protocol::ApiKey;

use crate::cli::{self, UsageError};
use crate::failure::Failure;

#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
pub struct Args {
    /// REQUIRED: The server to connect to.
    #[arg(long, value_name = "String: server(s) to use for bootstrapping")]
    bootstrap_server: Option<String>,
    /// A property file containing configs to be passed to Admin Client.
    #[arg(long, value_name = "String: command config property file")]
    command_config: Option<PathBuf>,
}

/// Kafka's API names by key (Kafka 4.1), for APIs Flotilla's codec does not carry.
const KAFKA_API_NAMES: [&str; 93] = [
    "Produce",
    "Fetch",
    "ListOffsets",
    "Metadata",
    "LeaderAndIsr",
    "StopReplica",
    "UpdateMetadata",
    "ControlledShutdown",
    "OffsetCommit",
    "OffsetFetch",
    "FindCoordinator",
    "JoinGroup",
    "Heartbeat",
    "LeaveGroup",
    "SyncGroup",
    "DescribeGroups",
    "ListGroups",
    "SaslHandshake",
    "ApiVersions",
    "CreateTopics",
    "DeleteTopics",
    "DeleteRecords",
    "InitProducerId",
    "OffsetForLeaderEpoch",
    "AddPartitionsToTxn",
    "AddOffsetsToTxn",
    "EndTxn",
    "WriteTxnMarkers",
    "TxnOffsetCommit",
    "DescribeAcls",
    "CreateAcls",
    "DeleteAcls",
    "DescribeConfigs",
    "AlterConfigs",
    "AlterReplicaLogDirs",
    "DescribeLogDirs",
    "SaslAuthenticate",
    "CreatePartitions",
    "CreateDelegationToken",
    "RenewDelegationToken",
    "ExpireDelegationToken",
    "DescribeDelegationToken",
    "DeleteGroups",
    "ElectLeaders",
    "IncrementalAlterConfigs",
    "AlterPartitionReassignments",
    "ListPartitionReassignments",
    "OffsetDelete",
    "DescribeClientQuotas",
    "AlterClientQuotas",
    "DescribeUserScramCredentials",
    "AlterUserScramCredentials",
    "Vote",
    "BeginQuorumEpoch",
    "EndQuorumEpoch",
    "DescribeQuorum",
    "AlterPartition",
    "UpdateFeatures",
    "Envelope",
    "FetchSnapshot",
    "DescribeCluster",
    "DescribeProducers",
    "BrokerRegistration",
    "BrokerHeartbeat",
    "UnregisterBroker",
    "DescribeTransactions",
    "ListTransactions",
    "AllocateProducerIds",
    "ConsumerGroupHeartbeat",
    "ConsumerGroupDescribe",
    "ControllerRegistration",
    "GetTelemetrySubscriptions",
    "PushTelemetry",
    "AssignReplicasToDirs",
    "ListClientMetricsResources",
    "DescribeTopicPartitions",
    "ShareGroupHeartbeat",
    "ShareGroupDescribe",
    "ShareFetch",
    "ShareAcknowledge",
    "AddRaftVoter",
    "RemoveRaftVoter",
    "UpdateRaftVoter",
    "InitializeShareGroupState",
    "ReadShareGroupState",
    "WriteShareGroupState",
    "DeleteShareGroupState",
    "ReadShareGroupStateSummary",
    "StreamsGroupHeartbeat",
    "StreamsGroupDescribe",
    "DescribeShareGroupOffsets",
    "AlterShareGroupOffsets",
    "DeleteShareGroupOffsets",
];

/// Kafka's name for an API key, if it has one.
pub fn api_name(key: i16) -> Option<&'static str> {
    if let Some(api) = ApiKey::from_i16(key) {
        return Some(api.name());
    }
    usize::try_from(key).ok().and_then(|k| KAFKA_API_NAMES.get(k)).copied()
}

/// `host:port (id: 1 rack: null isFenced: false)`, Kafka 4.x's `Node.toString`.
pub fn node_text(broker: &BrokerInfo) -> String {
    format!(
        "{}:{} (id: {} rack: {} isFenced: false)",
        broker.host,
        broker.port,
        broker.node_id,
        broker.rack.as_deref().unwrap_or("null")
    )
}

/// One API as `NodeApiVersions.apiVersionToText` writes it.
pub fn api_text(api: &BrokerApiVersion) -> String {
    let range = if api.min_version == api.max_version {
        api.min_version.to_string()
    } else {
        format!("{} to {}", api.min_version, api.max_version)
    };
    match ApiKey::from_i16(api.api_key) {
        Some(known) => {
            let ours = known.versions();
            let usable = if ours.max < api.min_version {
                "[unusable: node too new]".to_owned()
            } else if api.max_version < ours.min {
                "[unusable: node too old]".to_owned()
            } else {
                format!("[usable: {}]", ours.max.min(api.max_version))
            };
            format!("{}({}): {range} {usable}", known.name(), api.api_key)
        }
        None => format!("{}({}): {range}", api_name(api.api_key).unwrap_or("UNKNOWN"), api.api_key),
    }
}

/// `NodeApiVersions.toString(true)`: every advertised API and every API this client speaks that the
/// broker did not list, by key.
pub fn api_versions_text(apis: &[BrokerApiVersion]) -> String {
    let mut lines: Vec<(i16, String)> = apis.iter().map(|a| (a.api_key, api_text(a))).collect();
    for api in ApiKey::ALL {
        if !apis.iter().any(|a| a.api_key == api.key()) {
            lines.push((api.key(), format!("{}({}): UNSUPPORTED", api.name(), api.key())));
        }
    }
    lines.sort_by_key(|(key, _)| *key);
    lines.dedup_by_key(|(key, _)| *key);
    let body: Vec<String> = lines.into_iter().map(|(_, text)| text).collect();
    format!("(\n\t{}\n)", body.join(",\n\t"))
}

/// Runs the tool.
pub async fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Some(bootstrap) = &args.bootstrap_server else {
        return Err(UsageError::missing("bootstrap-server"));
    };
    let config =
        match cli::admin_client_config(args.command_config.as_deref(), Some(bootstrap), "flotilla-broker-api-versions")
        {
            Ok(config) => config,
            Err(message) => {
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        };
    let versions = match Admin::connect(config).await {
        Ok(admin) => admin.broker_api_versions().await,
        Err(e) => Err(e),
    };
    let mut brokers = match versions {
        Ok(brokers) => brokers,
        Err(e) => {
            eprintln!("{}", Failure::from_client(&e).message);
            return Ok(ExitCode::FAILURE);
        }
    };
    brokers.sort_by_key(|b| b.broker.node_id);
    let mut out = String::new();
    for broker in brokers {
        match broker.versions {
            Ok(versions) => out.push_str(&format!(
                "{} -> {}\n",
                node_text(&broker.broker),
                api_versions_text(versions.broker_apis())
            )),
            Err(e) => {
                out.push_str(&format!("{} -> ERROR: {}\n", node_text(&broker.broker), Failure::from_client(&e).message))
            }
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use flotilla_model::NodeId;

    use super::*;

    fn api(key: i16, min: i16, max: i16) -> BrokerApiVersion {
        BrokerApiVersion { api_key: key, min_version: min, max_version: max }
    }

    #[test]
    fn nodes_print_like_kafka_4() {
        let broker = BrokerInfo { node_id: NodeId::new(1), host: "localhost".into(), port: 9092, rack: None };
        assert_eq!(node_text(&broker), "localhost:9092 (id: 1 rack: null isFenced: false)");
        let broker = BrokerInfo { rack: Some("r1".into()), ..broker };
        assert_eq!(node_text(&broker), "localhost:9092 (id: 1 rack: r1 isFenced: false)");
    }

    #[test]
    fn api_lines() {
        let produce = ApiKey::Produce.versions();
        assert_eq!(api_text(&api(0, 0, produce.max)), format!("Produce(0): 0 to {0} [usable: {0}]", produce.max));
        assert_eq!(api_text(&api(0, 0, 99)), format!("Produce(0): 0 to 99 [usable: {}]", produce.max));
        assert_eq!(api_text(&api(0, 0, 2)), "Produce(0): 0 to 2 [unusable: node too old]");
        assert_eq!(api_text(&api(0, 100, 101)), "Produce(0): 100 to 101 [unusable: node too new]");
        assert_eq!(api_text(&api(18, 0, 0)), "ApiVersions(18): 0 [usable: 0]");
        assert_eq!(api_text(&api(48, 0, 1)), "DescribeClientQuotas(48): 0 to 1");
        assert_eq!(api_text(&api(999, 0, 1)), "UNKNOWN(999): 0 to 1");
    }

    #[test]
    fn the_whole_block() {
        let text = api_versions_text(&[api(1, 4, 17), api(0, 3, 12)]);
        assert!(text.starts_with("(\n\tProduce(0): 3 to 12 [usable: "), "{text}");
        assert!(text.contains(",\n\tFetch(1): 4 to 17 [usable: "), "{text}");
        assert!(text.contains(",\n\tListOffsets(2): UNSUPPORTED,\n\t"), "{text}");
        assert!(text.ends_with("\n)"), "{text}");
        assert_eq!(text.matches('\t').count(), ApiKey::ALL.len());
    }
}
