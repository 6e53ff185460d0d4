//! `KAFKA_*` environment overrides, mapped the way Confluent's `cp-kafka` image maps them.
//!
//! The image renders every `KAFKA_*` variable into `kafka.properties`: drop the `KAFKA_` prefix,
//! lowercase, then `___` → `-`, `__` → `_`, `_` → `.` (`KAFKA_LOG_DIRS` → `log.dirs`,
//! `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP` → `listener.security.protocol.map`). Runs of underscores are
//! read the way its Python/Go helpers read them: a lone `_` is a dot; in longer runs each `___` is a dash
//! and what is left (`_` or `__`) is one underscore.
//!
//! Variables the image and Kafka's launch scripts use for the JVM or logging ([`IGNORED_VARIABLES`]) are
//! not configs and are skipped.
//!
//! `CLUSTER_ID` (no prefix) is what `cp-kafka` passes to `kafka-storage format --cluster-id`; Flotilla has
//! no separate format step, so it maps `CLUSTER_ID` to `cluster.id` as well. `KAFKA_CLUSTER_ID` maps there
//! by the ordinary rule; if both are set they must agree.
//!
//! Overrides win over the config file (the binary applies them last).

use std::collections::BTreeMap;

use crate::error::ConfigError;
use crate::properties::MAX_LINE_BYTES;

/// The prefix that marks a config variable.
pub const KAFKA_PREFIX: &str = "KAFKA_";

/// Confluent's variable for the cluster id used when formatting storage.
pub const CLUSTER_ID_VARIABLE: &str = "CLUSTER_ID";

/// `KAFKA_*` variables that configure the JVM, logging or the image itself, never the broker
/// (cp-kafka's template excludes the first ten; the rest are read by its scripts or Kafka's
/// `kafka-run-class.sh`).
pub const IGNORED_VARIABLES: &[&str] = &[
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
    "KAFKA_DEBUG",
    "KAFKA_JMX_PORT",
    "KAFKA_JMX_HOSTNAME",
    "KAFKA_DATA_DIRS",
    "KAFKA_HOME",
    "KAFKA_CUB_ZK_TIMEOUT",
    "KAFKA_ZOOKEEPER_CLIENT_CNXN_SOCKET",
];

/// One variable turned into a config key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvOverride {
    pub variable: String,
    pub key: String,
    pub value: String,
}

/// The config key an environment variable sets, or `None` if it sets none.
pub fn key_for_variable(variable: &str) -> Option<String> {
    if variable == CLUSTER_ID_VARIABLE {
        return Some("cluster.id".to_string());
    }
    let rest = variable.strip_prefix(KAFKA_PREFIX)?;
    if rest.is_empty() || IGNORED_VARIABLES.contains(&variable) {
        return None;
    }
    Some(variable_suffix_to_key(rest))
}

fn variable_suffix_to_key(rest: &str) -> String {
    let lower = rest.to_lowercase();
    let mut key = String::with_capacity(lower.len());
    let mut underscores = 0usize;
    let flush = |key: &mut String, run: usize| match run {
        0 => {}
        1 => key.push('.'),
        _ => {
            for _ in 0..run / 3 {
                key.push('-');
            }
            if !run.is_multiple_of(3) {
                key.push('_');
            }
        }
    };
    for c in lower.chars() {
        if c == '_' {
            underscores += 1;
        } else {
            flush(&mut key, underscores);
            underscores = 0;
            key.push(c);
        }
    }
    flush(&mut key, underscores);
    key
}

/// The config overrides among `vars` (the process environment, passed in by the binary), sorted by key.
///
/// Two variables that name the same key must agree (`KAFKA_CLUSTER_ID` and `CLUSTER_ID`, or variables
/// differing only in case); otherwise the result would depend on the environment's order.
pub fn overrides<I, K, V>(vars: I) -> Result<Vec<EnvOverride>, ConfigError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut by_key: BTreeMap<String, EnvOverride> = BTreeMap::new();
    for (variable, value) in vars {
        let (variable, value) = (variable.as_ref(), value.as_ref());
        let Some(key) = key_for_variable(variable) else { continue };
        if value.len() > MAX_LINE_BYTES {
            return Err(ConfigError::EnvValueTooLong {
                variable: variable.to_string(),
                size_bytes: value.len(),
                limit_bytes: MAX_LINE_BYTES,
            });
        }
        if let Some(earlier) = by_key.get(&key) {
            if earlier.value != value {
                let (first, second) = ordered(&earlier.variable, variable);
                return Err(ConfigError::invalid(
                    &key,
                    value,
                    format!("set by both {first} and {second} with different values"),
                ));
            }
            continue;
        }
        by_key.insert(key.clone(), EnvOverride { variable: variable.to_string(), key, value: value.to_string() });
    }
    Ok(by_key.into_values().collect())
}

fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn confluent_mapping_rules() {
        let cases = [
            ("KAFKA_LOG_DIRS", "log.dirs"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "listener.security.protocol.map"),
            ("KAFKA_NODE_ID", "node.id"),
            ("KAFKA_BROKER_ID", "broker.id"),
            ("KAFKA_CONTROLLER_QUORUM_VOTERS", "controller.quorum.voters"),
            ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "offsets.topic.replication.factor"),
            // '__' is an underscore, '___' a dash.
            ("KAFKA_LISTENER_NAME_INTERNAL_SSL_KEYSTORE__LOCATION", "listener.name.internal.ssl.keystore_location"),
            ("KAFKA_CONFLUENT_SUPPORT___METRICS_ENABLE", "confluent.support-metrics.enable"),
            ("KAFKA_A___B__C_D", "a-b_c.d"),
            ("KAFKA_A____B", "a-_b"),
            ("KAFKA_A______B", "a--b"),
            ("KAFKA_CLUSTER_ID", "cluster.id"),
            ("CLUSTER_ID", "cluster.id"),
        ];
        for (variable, key) in cases {
            assert_eq!(key_for_variable(variable).as_deref(), Some(key), "{variable}");
        }
    }

    #[test]
    fn non_config_variables_are_ignored() {
        for variable in IGNORED_VARIABLES {
            assert_eq!(key_for_variable(variable), None, "{variable}");
        }
        for variable in ["PATH", "HOME", "KAFKA_", "KAFKA", "kafka_log_dirs", "MY_KAFKA_LOG_DIRS", "CLUSTER_IDS"] {
            assert_eq!(key_for_variable(variable), None, "{variable}");
        }
    }

    #[test]
    fn overrides_are_sorted_and_skip_non_configs() {
        let env = [
            ("PATH", "/usr/bin"),
            ("KAFKA_NUM_PARTITIONS", "3"),
            ("KAFKA_HEAP_OPTS", "-Xmx1G"),
            ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
            ("KAFKA_JMX_OPTS", "-Dcom.sun.management.jmxremote"),
        ];
        let got = overrides(env).unwrap();
        assert_eq!(
            got,
            vec![
                EnvOverride {
                    variable: "KAFKA_LOG_DIRS".into(),
                    key: "log.dirs".into(),
                    value: "/var/lib/kafka/data".into()
                },
                EnvOverride {
                    variable: "KAFKA_NUM_PARTITIONS".into(),
                    key: "num.partitions".into(),
                    value: "3".into()
                },
            ]
        );
    }

    #[test]
    fn cluster_id_variables_must_agree() {
        let same = overrides([("CLUSTER_ID", "abc"), ("KAFKA_CLUSTER_ID", "abc")]).unwrap();
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].key, "cluster.id");
        let err = overrides([("KAFKA_CLUSTER_ID", "abc"), ("CLUSTER_ID", "xyz")]).unwrap_err();
        assert_eq!(err.key(), Some("cluster.id"));
        let message = err.to_string();
        assert!(message.contains("CLUSTER_ID and KAFKA_CLUSTER_ID"), "{message}");
    }

    #[test]
    fn overlong_values_are_rejected() {
        let long = "x".repeat(MAX_LINE_BYTES + 1);
        let err = overrides([("KAFKA_LOG_DIRS", long.as_str())]).unwrap_err();
        assert!(matches!(err, ConfigError::EnvValueTooLong { ref variable, .. } if variable == "KAFKA_LOG_DIRS"));
    }
}
