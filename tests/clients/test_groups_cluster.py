"""A consumer group on a three-node cluster while the broker coordinating it is killed with SIGKILL: the
group's partition of __consumer_offsets moves to another ISR member, which loads the group and its offsets,
and the group carries on with no committed offset lost or moved backwards and every record processed. Both
group protocols: the classic one, and KIP-848's (`group.protocol=consumer`), whose members rejoin the new
coordinator with their member ids."""

import threading
import time

import confluent_kafka
import confluent_kafka.admin
import pytest

from clients import create_topic, produce_confluent
from cluster import Cluster
from conftest import wait_for

PARTITIONS = 6


class CommittingMember:
    """A group member that commits synchronously after each record (at-least-once processing)."""

    def __init__(self, bootstrap, topic, group, protocol="classic"):
        self.group = group
        self.processed = set()
        self.committed_max = {}
        self.commit_times = []
        self.errors = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        conf = {
            "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "group.protocol": protocol,
        }
        if protocol == "classic":
            # The consumer protocol takes its timeouts from the coordinator (group.consumer.*).
            conf.update({"session.timeout.ms": 10_000, "heartbeat.interval.ms": 500})
        self.consumer = confluent_kafka.Consumer(conf)
        self.consumer.subscribe([topic])
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_event.is_set():
            msg = self.consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                self.errors.append(str(msg.error()))
                continue
            with self.lock:
                self.processed.add((msg.partition(), msg.offset()))
            try:
                result = self.consumer.commit(message=msg, asynchronous=False)
            except confluent_kafka.KafkaException:
                continue  # the coordinator is moving; the next commit covers this record
            with self.lock:
                for tp in result or []:
                    if tp.error is None:
                        self.committed_max[tp.partition] = max(self.committed_max.get(tp.partition, -1), tp.offset)
                        self.commit_times.append(time.monotonic())

    def snapshot(self):
        with self.lock:
            return set(self.processed), dict(self.committed_max), list(self.commit_times)

    def stop(self):
        self.stop_event.set()
        self.thread.join(30)
        self.consumer.close()


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_a_group_carries_on_when_its_coordinator_is_killed(tmp_path, topic_name, protocol):
    cluster = Cluster(tmp_path, extra_config="group.initial.rebalance.delay.ms=0\n"
                      "group.consumer.heartbeat.interval.ms=500\ngroup.consumer.session.timeout.ms=6000\n").start()
    member = None
    try:
        create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=3)
        acked = produce_confluent(cluster.bootstrap, topic_name, [(b"k%d" % i, b"first-%d" % i) for i in range(600)])
        group = f"{topic_name}-g"
        member = CommittingMember(cluster.bootstrap, topic_name, group, protocol)
        wait_for(lambda: len(member.snapshot()[0]) >= 200, 120, "the group to process 200 records")

        admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": cluster.bootstrap})
        coordinator = admin.describe_consumer_groups([group])[group].result(timeout=30).coordinator.id
        victim = cluster.node(coordinator)
        commits_before = len(member.snapshot()[2])
        killed_at = time.monotonic()
        victim.kill9()

        survivors = ",".join(n.bootstrap for n in cluster.running())
        acked += produce_confluent(survivors, topic_name, [(b"k%d" % i, b"second-%d" % i) for i in range(600)])
        wait_for(lambda: len(member.snapshot()[2]) > commits_before, 120, "a commit after the coordinator's kill")
        times = [t for t in member.snapshot()[2] if t >= killed_at - 1]
        gap_s = max((b - a for a, b in zip(times, times[1:])), default=0.0)
        print(f"longest pause between the group's commits around the coordinator's kill: {gap_s:.2f} s")

        expected = {(p, o) for p, o, _, _ in acked}
        ends = {p: max(o for q, o in expected if q == p) + 1 for p in range(PARTITIONS)}
        wait_for(lambda: expected <= member.snapshot()[0], 120, "every acknowledged record processed")
        wait_for(lambda: all(member.snapshot()[1].get(p, -1) >= ends[p] for p in range(PARTITIONS)), 120,
                 "commits at the end of every partition")
        _, committed_max, _ = member.snapshot()
        member.stop()
        member = None

        reader = confluent_kafka.Consumer({"bootstrap.servers": survivors, "group.id": group})
        try:
            stored = {tp.partition: tp.offset for tp in reader.committed(
                [confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)], timeout=30)}
        finally:
            reader.close()
        assert stored == ends
        assert all(stored[p] >= committed_max[p] for p in range(PARTITIONS)), (stored, committed_max)
    finally:
        if member is not None:
            member.stop()
        cluster.stop()
