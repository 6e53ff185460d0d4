//! `host:port` addresses as Kafka writes them: hosts of `[0-9a-zA-Z-%._:]` (so Docker service names
//! with underscores are fine), IPv6 literals optionally in brackets, ports 0-65535.

use std::fmt;

/// A host and a port, e.g. a voter's or a bootstrap controller's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for HostPort {
    /// `host:port`, with IPv6 literals in brackets (Kafka's `Utils.formatAddress`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_host_port(f, &self.host, self.port)
    }
}

pub(crate) fn write_host_port(f: &mut fmt::Formatter<'_>, host: &str, port: u16) -> fmt::Result {
    if host.contains(':') {
        write!(f, "[{host}]:{port}")
    } else {
        write!(f, "{host}:{port}")
    }
}

/// Kafka's `Utils.validHostPattern`: only `[0-9a-zA-Z-%._:]` (the empty string passes).
pub(crate) fn is_valid_host(host: &str) -> bool {
    host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '%' | '.' | '_' | ':'))
}

/// Splits `host:port` or `[v6]:port` at the port separator. The host may be empty.
pub(crate) fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(bracketed) = s.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    s.rsplit_once(':')
}

/// A decimal port number 0-65535 (digits only: no sign, no blanks).
pub(crate) fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Hosts that mean "every interface" and so cannot be connected to.
pub(crate) fn is_non_routable(host: &str) -> bool {
    host == "0.0.0.0" || host == "::" || host == "[::]"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_hosts_and_ports() {
        assert_eq!(split_host_port("kafka_kraft_1:9093"), Some(("kafka_kraft_1", "9093")));
        assert_eq!(split_host_port(":9092"), Some(("", "9092")));
        assert_eq!(split_host_port("[::1]:9092"), Some(("::1", "9092")));
        assert_eq!(split_host_port("::1:9092"), Some(("::1", "9092")));
        assert_eq!(split_host_port("nohost"), None);
        assert_eq!(split_host_port("[::1]9092"), None);
    }

    #[test]
    fn ports_and_hosts() {
        assert_eq!(parse_port("9092"), Some(9092));
        assert_eq!(parse_port("0"), Some(0));
        assert_eq!(parse_port("65536"), None);
        assert_eq!(parse_port("-1"), None);
        assert_eq!(parse_port("+1"), None);
        assert_eq!(parse_port(""), None);
        assert!(is_valid_host("kafka_kraft_1"));
        assert!(is_valid_host("fe80::1%eth0"));
        assert!(!is_valid_host("bad host"));
        assert!(!is_valid_host("a/b"));
        assert_eq!(HostPort { host: "::1".into(), port: 1 }.to_string(), "[::1]:1");
        assert_eq!(HostPort { host: "h".into(), port: 1 }.to_string(), "h:1");
    }
}
