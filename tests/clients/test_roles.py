"""Dedicated roles: controller-only voters and broker-only nodes, as Kafka's production KRaft layout runs them.

Broker-only nodes hold no copy of the metadata log: they follow the committed metadata from the voters and
replicate partitions among themselves over their Kafka listeners (which hand gRPC connections over). Under an
acks=all load from confluent-kafka, a broker-only leader is killed and restarted: nothing acknowledged is lost,
it rejoins the ISR, and every broker reports the same leaders and ISR.
"""

import subprocess

from clients import create_topic, produce_confluent, read_to_end_confluent
from cluster import COMBINED, Cluster
from conftest import flotilla_bin, wait_for

PARTITIONS = 3
BROKERS = (4, 5, 6)


def all_brokers_in_isr(leader, isr):
    return leader in BROKERS and isr == BROKERS


def records(prefix: str, count: int):
    return [(f"k{i}".encode(), f"{prefix}-{i}".encode()) for i in range(count)]


def check_stored(bootstrap: str, topic: str, acked):
    """Every acknowledged (partition, offset, value) is stored; offsets are dense; nothing twice."""
    # Records come back as (partition, offset, key, value, ...).
    stored = {(r[0], r[1]): r[3] for r in read_to_end_confluent(bootstrap, topic, range(PARTITIONS))}
    missing = [(p, o) for p, o, _k, v in acked if stored.get((p, o)) != v]
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
    for p in range(PARTITIONS):
        offsets = sorted(o for (q, o) in stored if q == p)
        assert offsets == list(range(len(offsets))), f"partition {p} offsets are not dense"
    assert len(set(stored.values())) == len(stored), "a record was stored twice"


def test_controller_only_voters_and_broker_only_nodes(tmp_path, topic_name):
    roles = {1: "controller", 2: "controller", 3: "controller", 4: "broker", 5: "broker", 6: "broker"}
    cluster = Cluster(tmp_path, roles=roles).start()
    try:
        assert [n.node_id for n in cluster.brokers()] == list(BROKERS)
        create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
        view = cluster.wait_agreement(topic_name, PARTITIONS, all_brokers_in_isr, "a full ISR on every broker")
        acked = produce_confluent(cluster.bootstrap, topic_name, records("before", 300), acks="all")
        assert len(acked) == 300

        # The quorum is the three controllers; the brokers are not voters.
        quorum = subprocess.run([flotilla_bin(), "metadata-quorum", "--bootstrap-server", cluster.bootstrap,
                                 "describe", "--status"], capture_output=True, text=True, timeout=60)
        assert quorum.returncode == 0, quorum.stderr
        status = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in quorum.stdout.splitlines())}
        assert status["CurrentVoters"] == "[1,2,3]", quorum.stdout
        assert int(status["LeaderId"]) in (1, 2, 3), quorum.stdout
        # The broker-only nodes follow the metadata as observers, each with the offset it last reported.
        assert status["CurrentObservers"] == "[4,5,6]", quorum.stdout
        replication = subprocess.run([flotilla_bin(), "metadata-quorum", "--bootstrap-server", cluster.bootstrap,
                                      "describe", "--replication"], capture_output=True, text=True, timeout=60)
        rows = [line.split("\t") for line in replication.stdout.splitlines()[1:]]
        observers = {int(r[0]): r for r in rows if r[5] == "Observer"}
        assert sorted(observers) == [4, 5, 6], replication.stdout
        assert all(int(r[1]) > 0 and int(r[3]) > 0 for r in observers.values()), replication.stdout

        # A broker-only leader dies: leadership moves within the ISR and acks=all writes go on.
        victim = cluster.node(view[0][0])
        victim.kill9()
        survivors = cluster.brokers()
        cluster.wait_agreement(
            topic_name, PARTITIONS,
            lambda leader, isr: leader in BROKERS and leader != victim.node_id and victim.node_id not in isr,
            "new leaders from the ISR", nodes=survivors)
        acked += produce_confluent(cluster.bootstrap, topic_name, records("during", 300), acks="all")

        # Back: it follows the metadata again, catches up from the new leaders and rejoins every ISR.
        cluster.restart(victim)
        cluster.wait_agreement(topic_name, PARTITIONS, all_brokers_in_isr, "the restarted broker back in every ISR")
        acked += produce_confluent(cluster.bootstrap, topic_name, records("after", 300), acks="all")
        check_stored(cluster.bootstrap, topic_name, acked)
        # Its own copy, read from it alone, holds what was written while it was down.
        only_victim = read_to_end_confluent(victim.bootstrap, topic_name, range(PARTITIONS))
        assert len(only_victim) == len(acked)

        # Controller 1 freezes (SIGSTOP). Brokers start by following the metadata from the first voter, so
        # they must move to another one to learn of a new topic (and if it was the active controller, the
        # other two elect a new one first).
        moves = "following the metadata from another controller"
        moves_before = {b.node_id: b.log_text().count(moves) for b in cluster.brokers()}
        frozen = cluster.node(1)
        frozen.pause()
        later = f"{topic_name}-later"
        create_topic(cluster.bootstrap, later, partitions=1, replication_factor=3)
        cluster.wait_agreement(later, 1, lambda leader, isr: leader in BROKERS and len(isr) == 3,
                               "every broker to see a topic created while a controller is frozen", timeout_s=60)
        frozen.resume()
        moved = [b.node_id for b in cluster.brokers() if b.log_text().count(moves) > moves_before[b.node_id]]
        assert moved, "no broker had to leave the frozen controller: the test did not exercise the move"
    finally:
        cluster.stop()


def test_a_broker_only_node_joins_a_combined_cluster(tmp_path, topic_name):
    roles = {1: COMBINED, 2: COMBINED, 3: COMBINED, 4: "broker"}
    cluster = Cluster(tmp_path, roles=roles).start()
    try:
        # Broker 4 leads every partition; the combined brokers follow it over its Kafka listener.
        admin = subprocess.run([flotilla_bin(), "topics", "--bootstrap-server", cluster.node(1).bootstrap, "--create",
                                "--topic", topic_name, "--replica-assignment", "4:1:2,4:2:3,4:3:1"],
                               capture_output=True, text=True, timeout=60)
        assert admin.returncode == 0, admin.stderr
        cluster.wait_agreement(topic_name, PARTITIONS, lambda leader, isr: leader == 4 and len(isr) == 3,
                               "broker 4 leading with a full ISR on every broker")
        acked = produce_confluent(cluster.node(4).bootstrap, topic_name, records("v", 200), acks="all")
        check_stored(cluster.node(1).bootstrap, topic_name, acked)
    finally:
        cluster.stop()
