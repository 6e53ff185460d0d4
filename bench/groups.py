"""The consumer group benchmarks of docs/BENCHMARKS.md, on three release `flotilla server` processes on this
machine (bench/cluster.py's cluster, offsets replicated three times):

    cargo build --release -p flotilla --bin flotilla
    /work/.venv-clients/bin/python bench/groups.py [--runs 3]

Rows:
- rebalance: ten confluent-kafka consumers form a stable group on a 20-partition topic; an eleventh joins;
  the time from its subscribe() until all eleven hold disjoint, non-empty assignments covering every
  partition (librdkafka's defaults: heartbeat.interval.ms 3000, so members learn of the rebalance within a
  heartbeat; group.initial.rebalance.delay.ms 3000 applies only to an empty group's first rebalance);
- the same with KIP-848's protocol (`group.protocol=consumer`, the coordinator's uniform assignor, Kafka's
  default group.consumer.heartbeat.interval.ms 5000: the owners hear what to revoke at their next
  heartbeat, the newcomer gets the released partitions at its own next one);
- offset commits per second acknowledged by one coordinator: 32 standalone committers (assign(), no group
  membership) whose group ids all hash to the same __consumer_offsets partition, each keeping asynchronous
  commits of one partition in flight for 10 s.
Coordinator failover is measured by the consumer-group drill (deploy/drills) and
tests/clients/test_groups_cluster.py. Every figure is the median of --runs runs. Prints a Markdown table.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import confluent_kafka
import confluent_kafka.admin

from cluster import FLOTILLA, flotilla, start_cluster
from report import Report

OFFSETS_PARTITIONS = 50


def java_hash(s: str) -> int:
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (h * 31 + int(unit, 16)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group: str) -> int:
    return (java_hash(group) & 0x7FFFFFFF) % OFFSETS_PARTITIONS


class Member:
    """A consumer polling in its own thread, so librdkafka serves rebalances."""

    def __init__(self, bootstrap, topic, group, protocol="classic"):
        self.consumer = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "group.protocol": protocol,
        })
        self.consumer.subscribe([topic])
        self.assignment = set()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            self.consumer.poll(0.05)
            current = {tp.partition for tp in self.consumer.assignment()}
            with self.lock:
                self.assignment = current

    def partitions(self):
        with self.lock:
            return set(self.assignment)

    def close(self):
        self.stop.set()
        self.thread.join(30)
        self.consumer.close()


def balanced(members, partitions):
    owned = [m.partitions() for m in members]
    return all(owned) and sum(len(o) for o in owned) == partitions and set().union(*owned) == set(range(partitions))


def rebalance_seconds(bootstrap, protocol="classic"):
    topic = f"rebalance-{uuid.uuid4().hex[:6]}"
    flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "20",
             "--replication-factor", "3")
    group = f"g-{uuid.uuid4().hex[:6]}"
    members = [Member(bootstrap, topic, group, protocol) for _ in range(10)]
    try:
        deadline = time.monotonic() + 120
        while not balanced(members, 20):
            assert time.monotonic() < deadline, "ten members never became stable"
            time.sleep(0.05)
        started = time.monotonic()
        members.append(Member(bootstrap, topic, group, protocol))
        while not balanced(members, 20):
            assert time.monotonic() < started + 120, "eleven members never became stable"
            time.sleep(0.02)
        return round(time.monotonic() - started, 2)
    finally:
        for m in members:
            m.close()


def commits_per_second(bootstrap, seconds=10.0, committers=32, in_flight=64):
    topic = f"commits-{uuid.uuid4().hex[:6]}"
    flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "1",
             "--replication-factor", "3")
    # Group ids that share one coordinator partition.
    target = offsets_partition("commit-bench-0")
    groups = [g for g in (f"commit-bench-{i}" for i in range(10_000)) if offsets_partition(g) == target][:committers]
    acked = [0]
    failed = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def committer(group):
        outstanding = [0]

        def on_commit(err, partitions):
            with lock:
                outstanding[0] -= 1
                if err is None and all(p.error is None for p in partitions):
                    acked[0] += 1
                else:
                    failed[0] += 1

        consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                             "enable.auto.commit": False, "on_commit": on_commit})
        offset = 0
        while not stop.is_set():
            with lock:
                room = outstanding[0] < in_flight
            if room:
                offset += 1
                with lock:
                    outstanding[0] += 1
                consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, offset)], asynchronous=True)
            consumer.poll(0 if room else 0.001)
        consumer.close()

    threads = [threading.Thread(target=committer, args=(g,), daemon=True) for g in groups]
    for t in threads:
        t.start()
    time.sleep(3)  # coordinators found, the partition loaded, commits flowing
    with lock:
        start_count = acked[0]
    started = time.monotonic()
    time.sleep(seconds)
    with lock:
        end_count = acked[0]
    elapsed = time.monotonic() - started
    stop.set()
    for t in threads:
        t.join(60)
    assert failed[0] == 0, f"{failed[0]} commits failed"
    return round((end_count - start_count) / elapsed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not FLOTILLA.exists():
        sys.exit(f"build the release binary first: {FLOTILLA} is missing")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="flotilla-groups-bench-") as tmp:
        procs, bootstrap = start_cluster(Path(tmp))
        try:
            values = [rebalance_seconds(bootstrap) for _ in range(args.runs)]
            report.row("an 11th member joins a stable 10-member group: time until all 11 hold their partitions",
                       statistics.median(values), "s", values)
            values = [rebalance_seconds(bootstrap, "consumer") for _ in range(args.runs)]
            report.row("the same with group.protocol=consumer (KIP-848, uniform assignor, 5 s heartbeats)",
                       statistics.median(values), "s", values)
            values = [commits_per_second(bootstrap) for _ in range(args.runs)]
            report.row("offset commits acknowledged by one coordinator (32 committers, 64 in flight each, rf 3)",
                       statistics.median(values), "commits/s", values)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
    report.print_markdown()


if __name__ == "__main__":
    main()
