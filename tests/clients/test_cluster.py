"""Failover of a three-node cluster of real `flotilla server` processes under load from an independent client.

confluent-kafka (librdkafka) produces with acks=all and idempotence to a 6-partition topic with replication
factor 3 and min.insync.replicas=2 while a broker is killed with SIGKILL, paused with SIGSTOP, or stopped with
SIGTERM. Afterwards: every acknowledged record is stored at the offset it was acknowledged with, offsets are
dense, no value is stored twice, and every broker reports the same leaders and ISR.
"""

import re
import subprocess
import threading
import time

import confluent_kafka
import pytest

from clients import create_topic, produce_confluent, read_confluent, read_to_end_confluent
from cluster import Cluster
from conftest import flotilla_bin, wait_for
from kafka_wire import Connection, metadata, parse_produce_v3_response, produce_v3, record_batch

PARTITIONS = 6
ALL = (1, 2, 3)


class Load:
    """A background acks=all idempotent producer that records what was acknowledged and when."""

    def __init__(self, bootstrap: str, topic: str):
        self.topic = topic
        self.producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": 60_000,
            # A paused broker holds requests without answering; give up on them (and retry, idempotently,
            # on the new leader) well before the message timeout.
            "request.timeout.ms": 5_000,
            "reconnect.backoff.max.ms": 250,
            "topic.metadata.refresh.interval.ms": 1_000,
        })
        self.acked = {}
        self.acked_without_offset = []
        self.failed = []
        self.ack_times = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _on_delivery(self, err, msg):
        with self.lock:
            if err is None and msg.offset() is None:
                # librdkafka acknowledges a batch the broker reported as already written
                # (DUPLICATE_SEQUENCE_NUMBER) without its offset: it must still be stored, somewhere.
                self.acked_without_offset.append((msg.partition(), msg.value()))
                self.ack_times.append(time.monotonic())
            elif err is None:
                self.acked[(msg.partition(), msg.offset())] = msg.value()
                self.ack_times.append(time.monotonic())
            else:
                self.failed.append(str(err))

    def _run(self):
        i = 0
        # Bounded: at most this many records, at most ~2,000 records/s.
        while not self.stop_event.is_set() and i < 1_000_000:
            try:
                self.producer.produce(self.topic, key=f"k{i % 97}".encode(), value=f"v-{i}".encode(),
                                      on_delivery=self._on_delivery)
                i += 1
            except BufferError:
                self.producer.poll(0.05)
            self.producer.poll(0)
            if i % 20 == 0:
                time.sleep(0.01)

    def start(self):
        self.thread.start()
        return self

    def count(self) -> int:
        with self.lock:
            return len(self.acked)

    def wait_for_more(self, more: int, what: str):
        target = self.count() + more
        started = time.monotonic()
        wait_for(lambda: self.count() >= target, 120, f"{more} more acknowledged records {what}", interval_s=0.1)
        print(f"{time.strftime('%H:%M:%S')} {more} more acknowledged {what} in {time.monotonic() - started:.1f}s")

    def finish(self):
        self.stop_event.set()
        self.thread.join(timeout=60)
        started = time.monotonic()
        remaining = self.producer.flush(90)
        print(f"{time.strftime('%H:%M:%S')} flushed in {time.monotonic() - started:.1f}s")
        assert remaining == 0, f"{remaining} records neither acknowledged nor failed"
        with self.lock:
            self.acked_unplaced = list(self.acked_without_offset)
            return dict(self.acked), list(self.failed), list(self.ack_times)


def longest_gap_s(times) -> float:
    times = sorted(times)
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def check_nothing_lost(cluster: Cluster, topic: str, acked, unplaced=()):
    """Every acknowledged record is where its ack said (or, acknowledged without an offset, in its partition);
    offsets dense; no value twice."""
    highest = {p: max((o for (q, o) in acked if q == p), default=-1) for p in range(PARTITIONS)}
    # Everything up to the high watermarks: records acknowledged without an offset may lie past the highest
    # acknowledged offsets.
    seen = read_to_end_confluent(cluster.bootstrap, topic, range(PARTITIONS))
    stored = {(r[0], r[1]): r[3] for r in seen}
    missing = [k for k, v in acked.items() if stored.get(k) != v]
    assert not missing, f"{len(missing)} acknowledged records lost or changed, e.g. {missing[:5]}"
    for p, h in highest.items():
        holes = [o for o in range(h + 1) if (p, o) not in stored]
        assert not holes, f"partition {p} has holes below offset {h}: {holes[:5]}"
    values = [r[3] for r in seen]
    assert len(values) == len(set(values)), "a record was stored twice"
    by_partition = {(r[0], r[3]) for r in seen}
    lost = [u for u in unplaced if u not in by_partition]
    assert not lost, f"{len(lost)} records acknowledged without an offset are missing, e.g. {lost[:3]}"


def full_isr(leader, isr):
    return leader in ALL and isr == ALL


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path).start()
    yield c
    c.stop()


def leader_of(cluster: Cluster, topic: str, partition: int) -> int:
    view = cluster.wait_agreement(topic, PARTITIONS, full_isr, "a full ISR everywhere")
    return view[partition][0]


def test_kill9_of_a_leader_under_acks_all_loses_nothing(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
    victim = cluster.node(leader_of(cluster, topic_name, 0))
    load = Load(cluster.bootstrap, topic_name).start()
    load.wait_for_more(2_000, "before the kill")

    killed_at = time.monotonic()
    victim.kill9()
    survivors = cluster.running()
    cluster.wait_agreement(
        topic_name, PARTITIONS, lambda leader, isr: leader != victim.node_id and leader in ALL
        and victim.node_id not in isr, "new leaders from the ISR", nodes=survivors)
    load.wait_for_more(2_000, "after the kill")

    cluster.restart(victim)
    cluster.wait_agreement(topic_name, PARTITIONS, full_isr, "the killed broker back in every ISR")
    load.wait_for_more(1_000, "after the restart")
    acked, failed, ack_times = load.finish()

    assert not failed, f"acks=all writes failed: {failed[:5]}"
    stall = longest_gap_s([t for t in ack_times if t >= killed_at - 1])
    print(f"kill -9 of the leader: {len(acked)} acknowledged, longest produce stall {stall:.2f}s")
    check_nothing_lost(cluster, topic_name, acked, load.acked_unplaced)
    cluster.wait_agreement(topic_name, PARTITIONS, full_isr, "every broker agrees on leaders and ISR")


def test_sigterm_rolling_restart_fails_no_acks_all_write(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
    leader_of(cluster, topic_name, 0)
    load = Load(cluster.bootstrap, topic_name).start()
    load.wait_for_more(1_000, "before the rolling restart")
    for node in list(cluster.nodes):
        assert node.terminate() == 0, f"node {node.node_id} did not exit cleanly:\n{node.log_text()}"
        assert "controlled shutdown complete" in node.log_text()
        load.wait_for_more(500, f"while node {node.node_id} is down")
        cluster.restart(node)
        cluster.wait_agreement(topic_name, PARTITIONS, full_isr, f"node {node.node_id} back in every ISR")
    load.wait_for_more(500, "after the rolling restart")
    acked, failed, _ = load.finish()
    assert not failed, f"a rolling restart with SIGTERM failed acks=all writes: {failed[:5]}"
    check_nothing_lost(cluster, topic_name, acked, load.acked_unplaced)


def test_sigstop_of_a_leader_fences_it_and_it_returns_as_a_follower(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
    victim = cluster.node(leader_of(cluster, topic_name, 0))
    load = Load(cluster.bootstrap, topic_name).start()
    load.wait_for_more(1_000, "before the pause")

    victim.pause()
    others = [n for n in cluster.nodes if n is not victim]
    try:
        # A partition whose ISR had shrunk to the paused leader alone goes offline (leader -1) until it
        # returns, as Kafka does without unclean election; every other one moves to an ISR member.
        cluster.wait_agreement(
            topic_name, PARTITIONS, lambda leader, isr: (leader != victim.node_id and leader in ALL
                                                         and victim.node_id not in isr)
            or (leader == -1 and isr == (victim.node_id,)), "leaders moved off the paused broker", nodes=others)
        load.wait_for_more(1_000, "while the old leader is paused")
    finally:
        victim.resume()
    cluster.wait_agreement(topic_name, PARTITIONS, full_isr, "the paused broker back in every ISR as a follower")
    load.wait_for_more(500, "after the resume")
    acked, failed, _ = load.finish()
    assert not failed, f"acks=all writes failed: {failed[:5]}"
    check_nothing_lost(cluster, topic_name, acked, load.acked_unplaced)
    # The paused leader learnt of the new leaders and became their follower (truncating anything it had
    # written that was never committed, which no consumer could have seen: they read up to the high watermark).
    assert re.search(r"partition role .*role=Follower .*leader_epoch=[1-9]", victim.log_text()), victim.log_text()


def produce_one(port: int, topic: str, acks: int) -> int:
    """The error code of one hand-written produce of one record to partition 0 on the broker at `port`."""
    conn = Connection(port)
    try:
        body = conn.call(0, 3, produce_v3(topic, 0, record_batch([(None, b"probe")]), acks=acks, timeout_ms=5_000))
    finally:
        conn.close()
    [(_, _, error, _)] = parse_produce_v3_response(body)
    return error


NOT_ENOUGH_REPLICAS = 19
NOT_LEADER_OR_FOLLOWER = 6


def test_acks_all_is_refused_below_min_insync_replicas_and_acks_1_is_not(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=1, replication_factor=3,
                 config={"min.insync.replicas": "3"})
    leader_id = cluster.wait_agreement(topic_name, 1, full_isr, "a full ISR everywhere")[0][0]
    leader = cluster.node(leader_id)
    assert produce_one(leader.port, topic_name, acks=-1) == 0
    # Only the leader takes writes; every broker describes the whole cluster, so clients find it.
    for other in (n for n in cluster.nodes if n.node_id != leader_id):
        assert produce_one(other.port, topic_name, acks=-1) == NOT_LEADER_OR_FOLLOWER
        assert cluster.view(other, topic_name)[0] == (leader_id, ALL)

    follower = next(n for n in cluster.nodes if n.node_id != leader_id)
    follower.kill9()
    survivors = cluster.running()
    cluster.wait_agreement(topic_name, 1, lambda l, isr: l == leader_id and follower.node_id not in isr,
                           "the killed follower out of the ISR", nodes=survivors)
    assert produce_one(leader.port, topic_name, acks=-1) == NOT_ENOUGH_REPLICAS
    assert produce_one(leader.port, topic_name, acks=1) == 0

    cluster.restart(follower)
    cluster.wait_agreement(topic_name, 1, full_isr, "the follower back in the ISR")
    assert produce_one(leader.port, topic_name, acks=-1) == 0


def metadata_quorum(node, *describe_flags) -> str:
    out = subprocess.run([flotilla_bin(), "metadata-quorum", "--bootstrap-server", node.bootstrap, "describe",
                          *describe_flags], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def quorum_status(node) -> dict:
    return dict(line.split(":", 1) for line in metadata_quorum(node, "--status").splitlines())


def test_metadata_quorum_tool_follows_a_controller_leader_change(cluster):
    status = {k: v.strip() for k, v in quorum_status(cluster.node(1)).items()}
    assert status["ClusterId"] == "flotilla-test-cluster"
    assert status["CurrentVoters"] == "[1,2,3]"
    leader, epoch = int(status["LeaderId"]), int(status["LeaderEpoch"])
    assert leader in ALL and int(status["HighWatermark"]) > 0

    # Every broker forwards the request to the active controller: all report the same leader.
    for node in cluster.nodes:
        assert int(quorum_status(node)["LeaderId"]) == leader

    rows = [line.split("\t") for line in metadata_quorum(cluster.node(2), "--replication").splitlines()]
    assert rows[0] == ["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"]
    assert [(int(r[0]), r[5]) for r in rows[1:]][0] == (leader, "Leader")
    assert sorted(int(r[0]) for r in rows[1:]) == [1, 2, 3]
    wait_for(lambda: all(int(r[2]) == 0 for r in
                         (line.split("\t") for line in metadata_quorum(cluster.node(2), "--replication").splitlines()[1:])),
             30, "every voter caught up")
    # The leader has heard from every voter, and each has caught up with it: real times, not -1.
    started_ms = int(time.time() * 1000) - 120_000

    def every_voter_heard_from():
        rows = [line.split("\t") for line in metadata_quorum(cluster.node(2), "--replication").splitlines()[1:]]
        return all(int(r[3]) > started_ms and int(r[4]) > started_ms for r in rows)
    wait_for(every_voter_heard_from, 30, "a last fetch and catch-up time for every voter")

    # The active controller dies: the survivors elect another in a later epoch, and clients see it.
    cluster.node(leader).kill9()
    survivor = next(n for n in cluster.nodes if n.alive())

    def new_leader():
        try:
            s = quorum_status(survivor)
        except AssertionError:
            return None
        new = int(s["LeaderId"].strip())
        return (new, int(s["LeaderEpoch"].strip())) if new not in (leader, -1) else None

    new, new_epoch = wait_for(new_leader, 60, "a new active controller")
    assert new_epoch > epoch


def leader_election(node, *args):
    return subprocess.run([flotilla_bin(), "leader-election", "--bootstrap-server", node.bootstrap, *args],
                          capture_output=True, text=True, timeout=60)


def replicas_of(node, topic: str) -> dict:
    """{partition: replicas in preference order} as `node` reports them."""
    return {p: tuple(replicas) for p, (_e, _l, replicas, _isr) in metadata(node.port, [topic])["topics"][topic].items()}


def wait_preferred_leaders(cluster: Cluster, topic: str, preferred: dict, what: str):
    """Until every running broker reports `preferred[p]` as the leader of each partition p, with a full ISR."""
    def agreed():
        views = [cluster.view(n, topic) for n in cluster.running()]
        if any(v is None for v in views) or any(v != views[0] for v in views):
            return None
        leaders = {p: leader for p, (leader, _) in views[0].items()}
        return views[0] if leaders == preferred and all(isr == ALL for _, isr in views[0].values()) else None

    return wait_for(agreed, 90, what, interval_s=0.2)


def test_preferred_leader_election_moves_leadership_back_after_a_restart(cluster, topic_name):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
    cluster.wait_agreement(topic_name, PARTITIONS, full_isr, "a full ISR everywhere")
    preferred = {p: r[0] for p, r in replicas_of(cluster.node(1), topic_name).items()}
    # A controlled shutdown moves the node's leaderships away; after its restart it leads nothing.
    node = cluster.node(preferred[0])
    assert node.terminate() == 0, node.log_text()
    cluster.restart(node)
    view = cluster.wait_agreement(topic_name, PARTITIONS, lambda leader, isr: isr == ALL and leader != node.node_id,
                                  f"node {node.node_id} back in every ISR, leading nothing")
    moved = sorted(p for p, (leader, _) in view.items() if leader != preferred[p])
    assert 0 in moved

    out = leader_election(cluster.node(2), "--election-type", "preferred", "--all-topic-partitions")
    assert out.returncode == 0, out.stdout + out.stderr
    prefix = "Successfully completed leader election (PREFERRED) for partitions "
    [line] = out.stdout.splitlines()
    assert line.startswith(prefix), out.stdout
    assert sorted(line[len(prefix):].split(", ")) == sorted(f"{topic_name}-{p}" for p in moved), out.stdout
    # The tool returns once the broker it asked shows the new leaders; every broker soon agrees.
    assert {p: leader for p, (leader, _) in cluster.view(cluster.node(2), topic_name).items()} == preferred
    wait_preferred_leaders(cluster, topic_name, preferred, "the preferred leaders everywhere")

    again = leader_election(cluster.node(3), "--election-type", "PREFERRED", "--topic", topic_name, "--partition", "0")
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"Valid replica already elected for partitions {topic_name}-0\n"

    unknown = leader_election(cluster.node(1), "--election-type", "preferred", "--topic", topic_name,
                              "--partition", "99")
    assert unknown.returncode == 1
    assert unknown.stdout.startswith(
        f"Error completing leader election (PREFERRED) for partition: {topic_name}-99: "
        "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"), unknown.stdout
    assert "1 replica(s) could not be elected" in unknown.stderr

    usage = leader_election(cluster.node(1), "--election-type", "preferred")
    assert usage.returncode == 1
    assert ("One and only one of the following options is required: topic, all-topic-partitions, "
            "path-to-json-file") in usage.stderr


def test_unclean_leader_election_brings_an_offline_partition_back(cluster, topic_name):
    """Replicas on nodes 1 and 2 (node 3 keeps the controller quorum alive). Node 2 dies and leaves the
    ISR; records are acknowledged by node 1 alone (min.insync.replicas=1); node 1 dies too. Node 2
    returns, but it is not in the ISR: the partition stays offline until an unclean election, which
    gives up the records only node 1 had, as Kafka's does; node 1 then returns as a follower."""
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": cluster.bootstrap})
    admin.create_topics([confluent_kafka.admin.NewTopic(topic_name, num_partitions=1, replica_assignment=[[1, 2]],
                                                        config={"min.insync.replicas": "1"})])[topic_name].result(60)
    cluster.wait_agreement(topic_name, 1, (lambda l, isr: l == 1 and isr == (1, 2)), "leader 1, ISR [1, 2]")
    kept = produce_confluent(cluster.bootstrap, topic_name, [(None, b"both-%d" % i) for i in range(10)])
    assert len(kept) == 10

    cluster.node(2).kill9()
    cluster.wait_agreement(topic_name, 1, (lambda l, isr: l == 1 and isr == (1,)), "node 2 out of the ISR",
                           nodes=[cluster.node(1), cluster.node(3)])
    lost = produce_confluent(cluster.bootstrap, topic_name, [(None, b"only-1-%d" % i) for i in range(5)],
                             acks="1")
    assert len(lost) == 5
    cluster.node(1).kill9()
    cluster.restart(cluster.node(2))
    cluster.wait_agreement(topic_name, 1, (lambda l, isr: l == -1 and isr == (1,)),
                           "the partition offline with node 1 its only ISR member",
                           nodes=[cluster.node(2), cluster.node(3)])

    preferred = leader_election(cluster.node(3), "--election-type", "preferred", "--topic", topic_name,
                                "--partition", "0")
    assert preferred.returncode == 1
    assert "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException" in preferred.stdout

    out = leader_election(cluster.node(3), "--election-type", "unclean", "--topic", topic_name, "--partition", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == f"Successfully completed leader election (UNCLEAN) for partitions {topic_name}-0\n"
    cluster.wait_agreement(topic_name, 1, (lambda l, isr: l == 2 and isr == (2,)), "node 2 leads alone",
                           nodes=[cluster.node(2), cluster.node(3)])
    after = produce_confluent(cluster.bootstrap, topic_name, [(None, b"after-%d" % i) for i in range(3)])
    assert len(after) == 3

    # Node 1 returns, truncates what only it had, and rejoins the ISR of the new leader.
    cluster.restart(cluster.node(1))
    cluster.wait_agreement(topic_name, 1, (lambda l, isr: l == 2 and isr == (1, 2)), "node 1 back in the ISR")
    values = [r[3] for r in read_confluent(cluster.bootstrap, topic_name, [0], 13)]
    assert values == [b"both-%d" % i for i in range(10)] + [b"after-%d" % i for i in range(3)]


def test_auto_leader_rebalance_restores_preferred_leaders(tmp_path, topic_name):
    cluster = Cluster(tmp_path, extra_config="leader.imbalance.check.interval.seconds=1\n").start()
    try:
        create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
        cluster.wait_agreement(topic_name, PARTITIONS, full_isr, "a full ISR everywhere")
        preferred = {p: r[0] for p, r in replicas_of(cluster.node(1), topic_name).items()}
        node = cluster.node(preferred[0])
        assert node.terminate() == 0, node.log_text()
        cluster.wait_agreement(topic_name, PARTITIONS, lambda leader, isr: leader in ALL and leader != node.node_id,
                               f"leadership off node {node.node_id}")
        cluster.restart(node)
        # Once the node is back in the ISRs, the controller's periodic check hands its partitions back.
        view = wait_preferred_leaders(cluster, topic_name, preferred, "the preferred leaders back")
        assert all(isr == ALL for _, isr in view.values()), view
        assert any("moved leadership to preferred replicas" in n.log_text() for n in cluster.nodes)
    finally:
        cluster.stop()
