//! The node's metrics in Prometheus' text format: Kafka's key signals under Prometheus names.
//!
//! | Prometheus | Kafka (JMX) |
//! |---|---|
//! | `flotilla_partitions` | `ReplicaManager.PartitionCount` |
//! | `flotilla_leader_partitions` | `ReplicaManager.LeaderCount` |
//! | `flotilla_under_replicated_partitions` | `ReplicaManager.UnderReplicatedPartitions` |
//! | `flotilla_under_min_isr_partitions` | `ReplicaManager.UnderMinIsrPartitionCount` |
//! | `flotilla_isr_shrinks_total`, `flotilla_isr_expands_total` | `ReplicaManager.IsrShrinksPerSec`, `IsrExpandsPerSec` |
//! | `flotilla_active_controller` | `KafkaController.ActiveControllerCount` |
//! | `flotilla_offline_partitions` | `KafkaController.OfflinePartitionsCount` |
//! | `flotilla_fenced_brokers`, `flotilla_active_brokers` | `KafkaController.FencedBrokerCount`, `ActiveBrokerCount` |
//! | `flotilla_bytes_in_total`, `flotilla_messages_in_total` | `BrokerTopicMetrics.BytesInPerSec`, `MessagesInPerSec` |
//! | `flotilla_bytes_out_total` | `BrokerTopicMetrics.BytesOutPerSec` (consumer fetches) |
//! | `flotilla_replication_bytes_out_total` | `BrokerTopicMetrics.ReplicationBytesOutPerSec` |
//! | `flotilla_request_duration_seconds{request}` | `RequestMetrics.TotalTimeMs` per request |
//! | `flotilla_metadata_last_applied_offset` | `broker-metadata-metrics.last-applied-record-offset` |
//! | `flotilla_metadata_last_committed_offset` | `KafkaController.LastCommittedRecordOffset` |
//! | `flotilla_metadata_lag_offsets` | committed minus applied: how far this broker's image is behind |
//!
//! Counters and the latency histogram are updated where the work happens ([`NodeMetrics`] is shared
//! through `Partitions`); the gauges are computed from the applied metadata image when scraped
//! ([`gauges`]), so they can never drift from what the node serves. Label sets are bounded: the only
//! label is the request name, one per supported API.
//!
//! [`http`] serves `/metrics` on `prometheus.listener`.

pub mod gauges;
pub mod http;

use std::time::Duration;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntGauge, Registry, TextEncoder};

pub use gauges::{gauges, Gauges};

/// Request latency buckets, in seconds: 0.5 ms to 30 s (acks=all and long-polling fetches wait).
const LATENCY_BUCKETS_SECONDS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// What the gauges are computed from at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub gauges: Gauges,
    /// Offset of the metadata image this broker has applied.
    pub metadata_last_applied_offset: i64,
    /// Offset of the last metadata record this node knows to be committed; -1 if unknown.
    pub metadata_last_committed_offset: i64,
}

/// One node's metrics: its own registry, so several nodes in one process (tests) stay apart.
#[derive(Debug, Clone)]
pub struct NodeMetrics {
    registry: Registry,
    pub(crate) bytes_in: IntCounter,
    pub(crate) messages_in: IntCounter,
    pub(crate) bytes_out: IntCounter,
    pub(crate) replication_bytes_out: IntCounter,
    pub(crate) isr_shrinks: IntCounter,
    pub(crate) isr_expands: IntCounter,
    request_duration: HistogramVec,
    partitions: IntGauge,
    leader_partitions: IntGauge,
    under_replicated_partitions: IntGauge,
    under_min_isr_partitions: IntGauge,
    active_controller: IntGauge,
    offline_partitions: IntGauge,
    fenced_brokers: IntGauge,
    active_brokers: IntGauge,
    metadata_last_applied_offset: IntGauge,
    metadata_last_committed_offset: IntGauge,
    metadata_lag_offsets: IntGauge,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeMetrics {
    pub fn new() -> NodeMetrics {
        let registry = Registry::new_custom(Some("flotilla".into()), None).unwrap_or_default();
        let counter = |name: &str, help: &str| register(&registry, IntCounter::new(name, help));
        let gauge = |name: &str, help: &str| register(&registry, IntGauge::new(name, help));
        let request_duration = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new("request_duration_seconds", "Time from a decoded request to its response being ready (acks=all and fetch waits included), by request")
                    .buckets(LATENCY_BUCKETS_SECONDS.to_vec()),
                &["request"],
            ),
        );
        NodeMetrics {
            bytes_in: counter("bytes_in_total", "Record batch bytes appended by produce requests on this leader"),
            messages_in: counter("messages_in_total", "Records appended by produce requests on this leader"),
            bytes_out: counter("bytes_out_total", "Record batch bytes returned to consumer fetches"),
            replication_bytes_out: counter(
                "replication_bytes_out_total",
                "Record batch bytes sent to followers replicating from this leader",
            ),
            isr_shrinks: counter(
                "isr_shrinks_total",
                "ISR shrinks of partitions led here, as committed by the controller",
            ),
            isr_expands: counter(
                "isr_expands_total",
                "ISR expansions of partitions led here, as committed by the controller",
            ),
            request_duration,
            partitions: gauge("partitions", "Partition replicas hosted on this broker"),
            leader_partitions: gauge("leader_partitions", "Partitions led by this broker"),
            under_replicated_partitions: gauge(
                "under_replicated_partitions",
                "Partitions led here whose ISR is smaller than their replica set",
            ),
            under_min_isr_partitions: gauge(
                "under_min_isr_partitions",
                "Partitions led here whose ISR is smaller than min.insync.replicas",
            ),
            active_controller: gauge("active_controller", "1 on the active controller, 0 elsewhere"),
            offline_partitions: gauge(
                "offline_partitions",
                "Partitions without a leader (reported by the active controller only)",
            ),
            fenced_brokers: gauge("fenced_brokers", "Fenced brokers (reported by the active controller only)"),
            active_brokers: gauge("active_brokers", "Unfenced brokers (reported by the active controller only)"),
            metadata_last_applied_offset: gauge(
                "metadata_last_applied_offset",
                "Offset of the last metadata record this broker has applied",
            ),
            metadata_last_committed_offset: gauge(
                "metadata_last_committed_offset",
                "Offset of the last metadata record this node knows is committed (-1: unknown)",
            ),
            metadata_lag_offsets: gauge(
                "metadata_lag_offsets",
                "Committed metadata records this broker has not applied yet",
            ),
            registry,
        }
    }

    /// Records how long one request of `api` (Kafka's name, e.g. `Produce`) took.
    pub fn observe_request(&self, api: &str, elapsed: Duration) {
        if let Ok(histogram) = self.request_duration.get_metric_with_label_values(&[api]) {
            histogram.observe(elapsed.as_secs_f64());
        }
    }

    /// The text exposition of every metric, with the gauges set from `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        let g = &snapshot.gauges;
        let set = |gauge: &IntGauge, value: u64| gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        set(&self.partitions, g.partitions);
        set(&self.leader_partitions, g.leader_partitions);
        set(&self.under_replicated_partitions, g.under_replicated_partitions);
        set(&self.under_min_isr_partitions, g.under_min_isr_partitions);
        set(&self.active_controller, g.active_controller);
        set(&self.offline_partitions, g.offline_partitions);
        set(&self.fenced_brokers, g.fenced_brokers);
        set(&self.active_brokers, g.active_brokers);
        self.metadata_last_applied_offset.set(snapshot.metadata_last_applied_offset);
        self.metadata_last_committed_offset.set(snapshot.metadata_last_committed_offset);
        self.metadata_lag_offsets.set(if snapshot.metadata_last_committed_offset < 0 {
            0
        } else {
            (snapshot.metadata_last_committed_offset - snapshot.metadata_last_applied_offset).max(0)
        });
        let mut text = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!(error = %e, "encoding the metrics failed");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// Registers a metric built from constant names; a failure is a programming error caught by the
/// tests, so the metric still works, unregistered, rather than taking the node down.
fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: prometheus::Result<M>) -> M {
    let metric = metric.unwrap_or_else(|e| panic!("invalid metric definition: {e}"));
    if let Err(e) = registry.register(Box::new(metric.clone())) {
        tracing::error!(error = %e, "registering a metric failed");
    }
    metric
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The value of an unlabelled sample in a text exposition.
    fn sample(text: &str, name: &str) -> Option<f64> {
        text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn renders_counters_gauges_and_the_latency_histogram() {
        let metrics = NodeMetrics::new();
        metrics.bytes_in.inc_by(1_000);
        metrics.messages_in.inc_by(10);
        metrics.isr_shrinks.inc();
        metrics.observe_request("Produce", Duration::from_micros(700));
        metrics.observe_request("Produce", Duration::from_millis(40));
        let snapshot = Snapshot {
            gauges: Gauges { partitions: 6, leader_partitions: 2, under_replicated_partitions: 1, ..Gauges::default() },
            metadata_last_applied_offset: 40,
            metadata_last_committed_offset: 42,
        };
        let text = metrics.render(&snapshot);
        assert_eq!(sample(&text, "flotilla_bytes_in_total"), Some(1_000.0));
        assert_eq!(sample(&text, "flotilla_messages_in_total"), Some(10.0));
        assert_eq!(sample(&text, "flotilla_isr_shrinks_total"), Some(1.0));
        assert_eq!(sample(&text, "flotilla_isr_expands_total"), Some(0.0));
        assert_eq!(sample(&text, "flotilla_partitions"), Some(6.0));
        assert_eq!(sample(&text, "flotilla_leader_partitions"), Some(2.0));
        assert_eq!(sample(&text, "flotilla_under_replicated_partitions"), Some(1.0));
        assert_eq!(sample(&text, "flotilla_metadata_lag_offsets"), Some(2.0));
        assert!(text.contains("# TYPE flotilla_request_duration_seconds histogram"), "{text}");
        assert!(text.contains("flotilla_request_duration_seconds_count{request=\"Produce\"} 2"), "{text}");
        assert!(
            text.contains("flotilla_request_duration_seconds_bucket{request=\"Produce\",le=\"0.001\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn unknown_committed_offset_is_no_lag() {
        let metrics = NodeMetrics::new();
        let text = metrics.render(&Snapshot { metadata_last_committed_offset: -1, ..Snapshot::default() });
        assert_eq!(sample(&text, "flotilla_metadata_lag_offsets"), Some(0.0));
        assert_eq!(sample(&text, "flotilla_metadata_last_committed_offset"), Some(-1.0));
    }

    #[test]
    fn each_node_has_its_own_registry() {
        let a = NodeMetrics::new();
        let b = NodeMetrics::new();
        a.bytes_out.inc_by(5);
        assert_eq!(sample(&b.render(&Snapshot::default()), "flotilla_bytes_out_total"), Some(0.0));
        assert_eq!(sample(&a.render(&Snapshot::default()), "flotilla_bytes_out_total"), Some(5.0));
    }
}
