"""The Prometheus endpoint of a three-node cluster, scraped over HTTP while clients use it and a broker fails.

Every node serves `/metrics` on `prometheus.listener` (port 0 here: the bound port is read from its log). The
figures must agree with what the clients did and what the cluster went through: the records produced are the
records counted in, the leaders counted match Metadata, one node is the active controller, a killed broker
shows up as fenced and as under-replicated partitions, and both return to zero once it is back in the ISR.
"""

import re
import urllib.error
import urllib.request

import confluent_kafka
import pytest

from clients import create_topic, produce_confluent, read_confluent
from cluster import Cluster
from conftest import wait_for

PARTITIONS = 3
ALL = (1, 2, 3)
# offsets.topic.num.partitions, Kafka's default.
OFFSETS_PARTITIONS = 50
METRICS_RE = re.compile(r"serving Prometheus metrics at /metrics.*address=127\.0\.0\.1:(\d+)")
SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def metrics_port(node) -> int:
    """The port of the node's metrics listener in its current run (a restart logs a new one)."""
    return wait_for(lambda: (m := METRICS_RE.search(node.log_text())) and int(m.group(1)), 60,
                    f"node {node.node_id} to serve metrics")


def scrape(node) -> dict:
    """{(name, labels): value} of every sample the node exposes."""
    url = f"http://127.0.0.1:{metrics_port(node)}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a sample line of the text format: {line!r}"
        samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return samples


def value(samples: dict, name: str, labels: str = "") -> float:
    return samples[(name, labels)]


def total(cluster: Cluster, name: str, nodes=None) -> float:
    return sum(value(scrape(n), name) for n in (nodes or cluster.running()))


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path, extra_config="prometheus.listener=127.0.0.1:0\n").start()
    yield c
    c.stop()


def test_metrics_follow_traffic_and_a_broker_failure(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
    view = cluster.wait_agreement(topic_name, PARTITIONS, lambda leader, isr: isr == ALL, "a full ISR everywhere")
    records = [(f"k{i}".encode(), b"v" * 100) for i in range(300)]
    produce_confluent(cluster.bootstrap, topic_name, records, acks="all")
    read_confluent(cluster.bootstrap, topic_name, range(PARTITIONS), len(records))
    # The consumer looked its group's coordinator up, which created __consumer_offsets (as Kafka does, 50
    # partitions): the gauges count its partitions as well.
    offsets_view = cluster.wait_agreement(
        "__consumer_offsets", OFFSETS_PARTITIONS, lambda leader, isr: isr == ALL, "the offsets topic fully replicated")
    all_partitions = list(view.values()) + list(offsets_view.values())

    scraped = {n.node_id: scrape(n) for n in cluster.nodes}
    # Counters: every acknowledged record was counted in exactly once, on its leader.
    assert sum(value(s, "flotilla_messages_in_total") for s in scraped.values()) == len(records)
    assert sum(value(s, "flotilla_bytes_in_total") for s in scraped.values()) >= len(records) * 100
    assert sum(value(s, "flotilla_bytes_out_total") for s in scraped.values()) >= len(records) * 100
    assert sum(value(s, "flotilla_replication_bytes_out_total") for s in scraped.values()) >= 2 * len(records) * 100
    # Gauges agree with Metadata.
    for node_id, s in scraped.items():
        led = sum(1 for leader, _ in all_partitions if leader == node_id)
        assert value(s, "flotilla_leader_partitions") == led, f"node {node_id}"
        assert value(s, "flotilla_partitions") == len(all_partitions), f"node {node_id}"
        assert value(s, "flotilla_under_replicated_partitions") == 0, f"node {node_id}"
        assert value(s, "flotilla_metadata_last_applied_offset") > 0, f"node {node_id}"
    assert sorted(value(s, "flotilla_active_controller") for s in scraped.values()) == [0, 0, 1]
    active = next(s for s in scraped.values() if value(s, "flotilla_active_controller") == 1)
    assert (value(active, "flotilla_active_brokers"), value(active, "flotilla_fenced_brokers")) == (3, 0)
    assert value(active, "flotilla_offline_partitions") == 0
    # Request latency per API: produce requests were timed on the leaders, Metadata everywhere it was asked.
    produce_count = sum(s.get(("flotilla_request_duration_seconds_count", '{request="Produce"}'), 0)
                        for s in scraped.values())
    assert produce_count >= 1
    assert any(s.get(("flotilla_request_duration_seconds_count", '{request="Metadata"}'), 0) >= 1
               for s in scraped.values())

    # A killed broker: fenced on the active controller, its partitions under-replicated on the survivors.
    victim = cluster.node(3)
    victim.kill9()
    survivors = cluster.running()

    def failure_seen():
        samples = [scrape(n) for n in survivors]
        fenced = sum(value(s, "flotilla_fenced_brokers") for s in samples)
        under = sum(value(s, "flotilla_under_replicated_partitions") for s in samples)
        return fenced == 1 and under == len(all_partitions) and (fenced, under)

    wait_for(failure_seen, 60, "the fenced broker and under-replicated partitions in the metrics", interval_s=0.2)
    assert sum(value(scrape(n), "flotilla_active_controller") for n in survivors) == 1

    # Back: it rejoins every ISR (leaders expand), and every gauge returns to zero.
    cluster.restart(victim)

    def recovered():
        samples = [scrape(n) for n in cluster.nodes]
        return (sum(value(s, "flotilla_under_replicated_partitions") for s in samples) == 0
                and sum(value(s, "flotilla_fenced_brokers") for s in samples) == 0
                and sum(value(s, "flotilla_isr_expands_total") for s in samples) >= 1)

    wait_for(recovered, 90, "under-replicated partitions back to 0 and an ISR expansion counted", interval_s=0.2)


def test_metrics_listener_refuses_what_is_not_a_scrape(cluster):
    port = metrics_port(cluster.node(1))
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing", timeout=10)
    assert missing.value.code == 404
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as post:
        urllib.request.urlopen(request, timeout=10)
    assert post.value.code == 405
    # Still serving scrapes afterwards.
    assert value(scrape(cluster.node(1)), "flotilla_partitions") == 0
