//! The controller quorum's addresses: `controller.quorum.voters` (`id@host:port,...`, the static voter
//! set) and `controller.quorum.bootstrap.servers` (`host:port,...`, controllers to ask for the voter
//! set when it is not static).

use std::fmt;

use flotilla_model::NodeId;

use crate::address::{is_non_routable, is_valid_host, parse_port, split_host_port, HostPort};
use crate::error::ConfigError;
use crate::listeners::csv;

pub const QUORUM_VOTERS: &str = "controller.quorum.voters";
pub const QUORUM_BOOTSTRAP_SERVERS: &str = "controller.quorum.bootstrap.servers";

/// One voter of the controller quorum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Voter {
    pub node_id: NodeId,
    pub address: HostPort,
}

impl fmt::Display for Voter {
    /// `id@host:port`, as written in `controller.quorum.voters`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.node_id, self.address)
    }
}

/// Parses `controller.quorum.voters`. Ids must be non-negative and distinct; hosts must be routable.
pub fn parse_voters(value: &str) -> Result<Vec<Voter>, ConfigError> {
    let invalid = |reason: String| ConfigError::invalid(QUORUM_VOTERS, value, reason);
    let mut voters: Vec<Voter> = Vec::new();
    for entry in csv(value) {
        let form = "Each entry should be in the form `{id}@{host}:{port}`.";
        let Some((id, address)) = entry.split_once('@') else {
            return Err(invalid(format!("entry '{entry}' has no '@'. {form}")));
        };
        let id: i32 = id
            .trim()
            .parse()
            .map_err(|_| invalid(format!("Failed to parse voter ID as an integer from {id}. {form}")))?;
        if id < 0 {
            return Err(invalid(format!("voter ID {id} is negative")));
        }
        let address =
            parse_address(address).map_err(|reason| invalid(format!("{reason} in entry '{entry}'. {form}")))?;
        if voters.iter().any(|v| v.node_id.get() == id) {
            return Err(invalid(format!("voter ID {id} appears more than once")));
        }
        voters.push(Voter { node_id: NodeId::new(id), address });
    }
    Ok(voters)
}

/// Parses `controller.quorum.bootstrap.servers`.
pub fn parse_bootstrap_servers(value: &str) -> Result<Vec<HostPort>, ConfigError> {
    csv(value)
        .map(|entry| {
            parse_address(entry).map_err(|reason| {
                ConfigError::invalid(
                    QUORUM_BOOTSTRAP_SERVERS,
                    value,
                    format!("{reason} in entry '{entry}'. Each entry should be in the form \"{{host}}:{{port}}\""),
                )
            })
        })
        .collect()
}

fn parse_address(address: &str) -> Result<HostPort, String> {
    let (host, port) = split_host_port(address.trim()).ok_or("Failed to parse host name and port")?;
    if host.is_empty() || !is_valid_host(host) {
        return Err(format!("Failed to parse host name '{host}'"));
    }
    if is_non_routable(host) {
        return Err(format!("Host string ({host}) is not routeable"));
    }
    let port = parse_port(port).ok_or_else(|| format!("Failed to parse host port '{port}'"))?;
    Ok(HostPort { host: host.to_string(), port })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_the_three_node_voter_list() {
        let voters = parse_voters("1@kafka_kraft_1:9093,2@kafka_kraft_2:9095,3@kafka_kraft_3:9097").unwrap();
        let got: Vec<(i32, &str, u16)> =
            voters.iter().map(|v| (v.node_id.get(), v.address.host.as_str(), v.address.port)).collect();
        assert_eq!(got, vec![(1, "kafka_kraft_1", 9093), (2, "kafka_kraft_2", 9095), (3, "kafka_kraft_3", 9097)]);
        assert_eq!(voters[0].to_string(), "1@kafka_kraft_1:9093");
        assert!(parse_voters("").unwrap().is_empty());
        assert_eq!(parse_voters("1@[::1]:9093").unwrap()[0].address.host, "::1");
    }

    #[test]
    fn bad_voters_name_the_key_and_value() {
        for bad in [
            "1",
            "x@host:9093",
            "-1@host:9093",
            "1@host",
            "1@:9093",
            "1@host:port",
            "1@host:99999",
            "1@0.0.0.0:9093",
            "1@bad host:9093",
            "1@a:1,1@b:2",
        ] {
            let err = parse_voters(bad).unwrap_err();
            assert_eq!(err.key(), Some(QUORUM_VOTERS), "{bad}");
            assert!(
                err.to_string().starts_with(&format!("Invalid value {bad} for configuration {QUORUM_VOTERS}: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn bootstrap_servers() {
        let servers = parse_bootstrap_servers("c1:9093, c2:9093").unwrap();
        assert_eq!(
            servers,
            vec![HostPort { host: "c1".into(), port: 9093 }, HostPort { host: "c2".into(), port: 9093 }]
        );
        let err = parse_bootstrap_servers("c1").unwrap_err();
        assert_eq!(err.key(), Some(QUORUM_BOOTSTRAP_SERVERS));
    }
}
