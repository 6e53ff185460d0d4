//! Listeners: `listeners`, `advertised.listeners` (`NAME://host:port,...`) and
//! `listener.security.protocol.map` (`NAME:PROTOCOL,...`), parsed and checked the way Kafka does.
//!
//! Listener names are case-insensitive and kept upper case. An empty host (`PLAINTEXT://:9092`) binds
//! every interface, and in an advertised listener stands for the machine's host name (Kafka's rule);
//! the binary resolves it. Ports must differ between listeners unless one is IPv4 and the other IPv6.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::address::{is_valid_host, parse_port, split_host_port, write_host_port};
use crate::error::ConfigError;

/// A listener's name, normalised to upper case (Kafka's `ListenerName.normalised`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerName(String);

impl ListenerName {
    /// The normalised name, or `None` for a blank one.
    pub fn new(name: &str) -> Option<Self> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(Self(trimmed.to_uppercase()))
        }
    }

    /// The listener Kafka names after a protocol when none is configured (`PLAINTEXT` for PLAINTEXT).
    pub fn for_protocol(protocol: SecurityProtocol) -> Self {
        Self(protocol.name().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ListenerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Kafka's security protocols. Flotilla serves only [`SecurityProtocol::Plaintext`]; the others may
/// appear in the protocol map but not on a listener that is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub const ALL: [SecurityProtocol; 4] = [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Parses a protocol name, case-insensitively (Kafka's `SecurityProtocol.forName`).
    pub fn from_name(name: &str) -> Option<Self> {
        let upper = name.trim().to_uppercase();
        Self::ALL.into_iter().find(|p| p.name() == upper)
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `listener.security.protocol.map`: which protocol each listener name speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityProtocolMap(BTreeMap<ListenerName, SecurityProtocol>);

impl SecurityProtocolMap {
    /// Kafka's default: every protocol mapped to the listener of the same name.
    pub fn kafka_default() -> Self {
        Self(SecurityProtocol::ALL.into_iter().map(|p| (ListenerName::for_protocol(p), p)).collect())
    }

    /// Parses `NAME:PROTOCOL,NAME:PROTOCOL` for configuration `key`.
    pub fn parse(key: &str, value: &str) -> Result<Self, ConfigError> {
        let mut map = BTreeMap::new();
        for entry in csv(value) {
            let Some((name, protocol)) = entry.split_once(':') else {
                return Err(ConfigError::invalid(
                    key,
                    value,
                    format!("entry '{entry}' is not of the form NAME:PROTOCOL"),
                ));
            };
            let Some(name) = ListenerName::new(name) else {
                return Err(ConfigError::invalid(key, value, format!("entry '{entry}' has an empty listener name")));
            };
            let Some(protocol) = SecurityProtocol::from_name(protocol) else {
                return Err(ConfigError::invalid(
                    key,
                    value,
                    format!("Invalid security protocol `{}` for listener {name}", protocol.trim()),
                ));
            };
            if map.insert(name.clone(), protocol).is_some() {
                return Err(ConfigError::invalid(key, value, format!("listener {name} is mapped twice")));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &ListenerName) -> Option<SecurityProtocol> {
        self.0.get(name).copied()
    }

    pub fn contains(&self, name: &ListenerName) -> bool {
        self.0.contains_key(name)
    }

    pub(crate) fn insert(&mut self, name: ListenerName, protocol: SecurityProtocol) {
        self.0.insert(name, protocol);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ListenerName, SecurityProtocol)> {
        self.0.iter().map(|(name, protocol)| (name, *protocol))
    }
}

impl fmt::Display for SecurityProtocolMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, protocol)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{name}:{protocol}")?;
        }
        Ok(())
    }
}

/// One listener: a name, an address and the protocol its name maps to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub listener_name: ListenerName,
    /// `None` for an empty host: bind every interface (or, advertised, the machine's host name).
    pub host: Option<String>,
    pub port: u16,
    pub security_protocol: SecurityProtocol,
}

impl fmt::Display for Endpoint {
    /// `NAME://host:port`, as Kafka's `EndPoint.connectionString`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.listener_name)?;
        match &self.host {
            Some(host) => write_host_port(f, host, self.port),
            None => write!(f, ":{}", self.port),
        }
    }
}

/// Parses a listener list (`listeners` or `advertised.listeners`) for configuration `key`.
///
/// Every name must be in `protocols` and appear once. With `require_distinct_ports` (the bound
/// `listeners`, not the advertised ones) two listeners may share a port only if one host is an IPv4
/// literal and the other an IPv6 literal; port 0 (pick any) never clashes.
pub fn parse_endpoints(
    key: &str,
    value: &str,
    protocols: &SecurityProtocolMap,
    require_distinct_ports: bool,
) -> Result<Vec<Endpoint>, ConfigError> {
    let invalid = |reason: String| ConfigError::invalid(key, value, reason);
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for entry in csv(value) {
        let (name, address) =
            entry.split_once("://").ok_or_else(|| invalid(format!("Unable to parse {entry} to a broker endpoint")))?;
        let listener_name = ListenerName::new(name)
            .ok_or_else(|| invalid(format!("Unable to parse {entry} to a broker endpoint: empty listener name")))?;
        let (host, port) = split_host_port(address)
            .ok_or_else(|| invalid(format!("Unable to parse {entry} to a broker endpoint: expected host:port")))?;
        if !is_valid_host(host) {
            return Err(invalid(format!("Unable to parse {entry} to a broker endpoint: invalid host '{host}'")));
        }
        let port = parse_port(port)
            .ok_or_else(|| invalid(format!("Unable to parse {entry} to a broker endpoint: invalid port '{port}'")))?;
        let security_protocol = protocols
            .get(&listener_name)
            .ok_or_else(|| invalid(format!("No security protocol defined for listener {listener_name}")))?;
        if endpoints.iter().any(|e| e.listener_name == listener_name) {
            return Err(invalid(format!("Each listener must have a different name; {listener_name} appears twice")));
        }
        let host = if host.is_empty() { None } else { Some(host.to_string()) };
        endpoints.push(Endpoint { listener_name, host, port, security_protocol });
    }
    if require_distinct_ports {
        check_distinct_ports(&endpoints).map_err(invalid)?;
    }
    Ok(endpoints)
}

fn check_distinct_ports(endpoints: &[Endpoint]) -> Result<(), String> {
    let mut by_port: BTreeMap<u16, Vec<&Endpoint>> = BTreeMap::new();
    for endpoint in endpoints.iter().filter(|e| e.port != 0) {
        by_port.entry(endpoint.port).or_default().push(endpoint);
    }
    for (port, sharing) in by_port {
        if sharing.len() < 2 {
            continue;
        }
        let v4 = sharing.iter().filter(|e| e.host.as_deref().is_some_and(|h| h.parse::<Ipv4Addr>().is_ok())).count();
        let v6 = sharing.iter().filter(|e| e.host.as_deref().is_some_and(|h| h.parse::<Ipv6Addr>().is_ok())).count();
        let allowed = sharing.len() == 2 && v4 == 1 && v6 == 1;
        if !allowed {
            return Err(format!(
                "Each listener must have a different port unless exactly one listener has an IPv4 address \
                 and the other IPv6 address; port {port} is used more than once"
            ));
        }
    }
    Ok(())
}

/// Kafka's `Csv.parseCsvList`: split on commas, trim, and an empty string is an empty list.
pub(crate) fn csv(value: &str) -> impl Iterator<Item = &str> {
    let trimmed = value.trim();
    let empty = trimmed.is_empty();
    trimmed.split(',').map(str::trim).filter(move |_| !empty)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn name(s: &str) -> ListenerName {
        ListenerName::new(s).unwrap()
    }

    #[test]
    fn default_protocol_map_maps_each_protocol_to_itself() {
        let map = SecurityProtocolMap::kafka_default();
        for protocol in SecurityProtocol::ALL {
            assert_eq!(map.get(&ListenerName::for_protocol(protocol)), Some(protocol));
        }
        assert_eq!(map.get(&name("CONTROLLER")), None);
    }

    #[test]
    fn protocol_map_parses_and_normalises() {
        let map = SecurityProtocolMap::parse("m", " plaintext:PLAINTEXT , controller:plaintext ,EXT:SASL_SSL").unwrap();
        assert_eq!(map.get(&name("PLAINTEXT")), Some(SecurityProtocol::Plaintext));
        assert_eq!(map.get(&name("controller")), Some(SecurityProtocol::Plaintext));
        assert_eq!(map.get(&name("EXT")), Some(SecurityProtocol::SaslSsl));
        assert_eq!(map.to_string(), "CONTROLLER:PLAINTEXT,EXT:SASL_SSL,PLAINTEXT:PLAINTEXT");
        for bad in ["PLAINTEXT", "PLAINTEXT:TLS", ":PLAINTEXT", "A:PLAINTEXT,a:SSL"] {
            let err = SecurityProtocolMap::parse("listener.security.protocol.map", bad).unwrap_err();
            assert_eq!(err.key(), Some("listener.security.protocol.map"), "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn endpoints_parse_hosts_ports_and_protocols() {
        let map = SecurityProtocolMap::parse("m", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT").unwrap();
        let endpoints =
            parse_endpoints("listeners", "PLAINTEXT://0.0.0.0:9092, controller://:9093", &map, true).unwrap();
        assert_eq!(endpoints.len(), 2);
        assert_eq!(endpoints[0].listener_name, name("PLAINTEXT"));
        assert_eq!(endpoints[0].host.as_deref(), Some("0.0.0.0"));
        assert_eq!(endpoints[0].port, 9092);
        assert_eq!(endpoints[1].listener_name, name("CONTROLLER"));
        assert_eq!(endpoints[1].host, None);
        assert_eq!(endpoints[1].to_string(), "CONTROLLER://:9093");
        let v6 = parse_endpoints("listeners", "PLAINTEXT://[::1]:9092", &map, true).unwrap();
        assert_eq!(v6[0].host.as_deref(), Some("::1"));
        assert_eq!(v6[0].to_string(), "PLAINTEXT://[::1]:9092");
        assert!(parse_endpoints("listeners", "", &map, true).unwrap().is_empty());
    }

    #[test]
    fn bad_endpoints_name_the_key_and_value() {
        let map = SecurityProtocolMap::kafka_default();
        for bad in [
            "PLAINTEXT",
            "PLAINTEXT://",
            "PLAINTEXT://host",
            "PLAINTEXT://host:port",
            "PLAINTEXT://host:70000",
            "PLAINTEXT://bad host:9092",
            "://host:9092",
            "UNMAPPED://host:9092",
            "PLAINTEXT://a:9092,PLAINTEXT://b:9093",
        ] {
            let err = parse_endpoints("listeners", bad, &map, true).unwrap_err();
            assert_eq!(err.key(), Some("listeners"), "{bad}");
            let message = err.to_string();
            assert!(message.starts_with(&format!("Invalid value {bad} for configuration listeners: ")), "{message}");
        }
        let err = parse_endpoints("listeners", "UNMAPPED://h:1", &map, true).unwrap_err();
        assert!(err.to_string().contains("No security protocol defined for listener UNMAPPED"), "{err}");
    }

    #[test]
    fn duplicate_ports_only_for_an_ipv4_ipv6_pair() {
        let map = SecurityProtocolMap::parse("m", "A:PLAINTEXT,B:PLAINTEXT,C:PLAINTEXT").unwrap();
        assert!(parse_endpoints("listeners", "A://h1:9092,B://h2:9092", &map, true).is_err());
        assert!(parse_endpoints("listeners", "A://127.0.0.1:9092,B://[::1]:9092", &map, true).is_ok());
        assert!(parse_endpoints("listeners", "A://127.0.0.1:9092,B://10.0.0.1:9092", &map, true).is_err());
        assert!(parse_endpoints("listeners", "A://:0,B://:0", &map, true).is_ok());
        // Advertised listeners may share ports.
        assert!(parse_endpoints("advertised.listeners", "A://h1:9092,B://h2:9092", &map, false).is_ok());
    }
}
