"""Failover drills against a running three-node cluster (the top-level docker-compose.yml by default).

Each drill drives an acks=all, idempotent load from an independent client (confluent-kafka, i.e.
librdkafka) into its own topic (6 partitions, 3 replicas, min.insync.replicas=2), breaks the cluster on
purpose, heals it, and then checks what an operator relies on: every acknowledged record is in the log
exactly once at the offset it was acknowledged at, offsets are dense, every record a live consumer saw is
still there (so no consumer ever saw a record that was later truncated), the replicas are back in sync.
It prints one verdict line per drill, `<drill>: PASS|FAIL|SKIP  <figures>`, and exits 1 if any failed.

Nodes are broken and healed with commands, docker's by default (`--kill-cmd` etc. take templates with
{container}, {id} and {network}), so the same drills run against any deployment with a way to kill,
stop, start, pause and cut off a node:

    deploy/drills/run                      # every drill against localhost:9092,9094,9096
    deploy/drills/run kill-broker pause-leader
    deploy/drills/run --bootstrap b1:9092,b2:9092,b3:9092 --container 'kafka-{id}' all

Figures: the longest produce stall is the longest time any record waited between produce() and its
acknowledgement (what an application sees), counting records sent once the producer had its first
acknowledgement; for consumer-group (and consumer-protocol-group, the same with KIP-848's
`group.protocol=consumer`), the longest pause between two commits the group had acknowledged
around the kill of its coordinator; "back in every ISR" is the time from a node's restart until
no partition of the drill topic is under-replicated.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shlex
import struct
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field

import one_broker
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 6
REPLICAS = 3
# Bounds on every load: rate and count.
LOAD_RECORDS_PER_S = 400
LOAD_MAX_RECORDS = 200_000
# Bounds on every wait.
HEAL_TIMEOUT_S = 90.0


class DrillFailed(Exception):
    """A drill's check did not hold; the message says which."""


def wait_until(what: str, condition, timeout_s: float = HEAL_TIMEOUT_S, interval_s: float = 0.2, progress=None):
    """Polls `condition` until it returns a truthy value; fails the drill naming `what` otherwise, with
    what `progress()` says about how far it got."""
    deadline = time.monotonic() + timeout_s
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (KafkaException, DrillFailed) as e:
            last_error = e
        time.sleep(interval_s)
    details = [str(last_error)] if last_error else []
    if progress is not None:
        details.append(progress())
    raise DrillFailed(f"timed out after {timeout_s:.0f} s waiting for {what}" + (f" ({'; '.join(details)})" if details else ""))


# ----- Nodes: how the drills break and heal them -----


@dataclass
class Nodes:
    ids: list[int]
    container: str
    network: str
    data_dir: str
    commands: dict[str, str]

    def name(self, node_id: int) -> str:
        return self.container.format(id=node_id)

    def run(self, action: str, node_id: int, check: bool = True) -> subprocess.CompletedProcess:
        template = self.commands[action]
        cmd = template.format(container=self.name(node_id), id=node_id, network=self.network)
        log(f"  $ {cmd}")
        done = subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise DrillFailed(f"`{cmd}` failed: {done.stderr.strip()}")
        return done

    def exec_argv(self, node_id: int) -> list[str]:
        return shlex.split(self.commands["exec"].format(container=self.name(node_id), id=node_id, network=self.network))

    def log_bytes(self, node_id: int, topic: str, partition: int) -> bytes:
        """The partition's segment files on that node, concatenated in offset order."""
        path = f"{self.data_dir}/{topic}-{partition}"
        cmd = self.commands["copy"].format(container=self.name(node_id), id=node_id, network=self.network, path=path)
        done = subprocess.run(shlex.split(cmd), capture_output=True, timeout=120)
        if done.returncode != 0:
            raise DrillFailed(f"`{cmd}` failed: {done.stderr.decode(errors='replace').strip()}")
        segments = []
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.endswith(".log"):
                    segments.append((member.name.rsplit("/", 1)[-1], tar.extractfile(member).read()))
        return b"".join(data for _, data in sorted(segments))


STARTED = time.monotonic()


def log(message: str):
    wall = time.strftime("%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}"
    print(f"[{time.monotonic() - STARTED:7.2f} {wall}] {message}", file=sys.stderr, flush=True)


# ----- The cluster as a client sees it -----


class Cluster:
    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        self.servers = bootstrap.split(",")
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self._next_server = 0

    def create_topic(self, name: str):
        futures = self.admin.create_topics(
            [NewTopic(name, PARTITIONS, REPLICAS, config={"min.insync.replicas": "2"})], request_timeout=30
        )
        futures[name].result(timeout=60)
        wait_until(f"topic {name} to have leaders", lambda: self.all_in_sync(name))

    def view(self, topic: str | None = None) -> one_broker.View:
        """Metadata from the first server that answers within 3 s (a paused or cut-off one does not)."""
        last = None
        for _ in self.servers:
            try:
                return one_broker.metadata(self.servers[self._next_server], topic)
            except (OSError, struct.error) as e:
                last = e
                self._next_server = (self._next_server + 1) % len(self.servers)
        raise DrillFailed(f"no server answered Metadata: {last}")

    def partitions(self, topic: str) -> dict[int, one_broker.Partition]:
        return self.view(topic).topics.get(topic, {})

    def leader(self, topic: str, partition: int) -> int:
        state = self.partitions(topic).get(partition)
        return state.leader if state else -1

    def brokers(self) -> set[int]:
        return self.view().brokers

    def all_in_sync(self, topic: str) -> bool:
        """Every server answers, lists every broker, and reports the same leader and a full ISR for every
        partition of `topic`."""
        views = []
        for server in self.servers:
            try:
                answer = one_broker.metadata(server, topic)
            except (OSError, struct.error):
                return False
            parts = answer.topics.get(topic, {})
            if len(answer.brokers) < REPLICAS or len(parts) != PARTITIONS:
                return False
            view = {p: (m.leader, sorted(m.isr)) for p, m in parts.items()}
            if any(leader < 0 or len(isr) != REPLICAS for leader, isr in view.values()):
                return False
            views.append(view)
        return all(view == views[0] for view in views)


# ----- Load and observation -----


@dataclass
class Acked:
    partition: int
    offset: int
    seq: int


@dataclass
class Load:
    """A paced acks=all idempotent producer in its own thread; records acknowledgements and failures."""

    bootstrap: str
    topic: str
    acks: str = "all"
    extra: dict = field(default_factory=dict)
    acked: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    longest_wait_s: float = 0.0
    # When the record that waited longest was sent, in the log's clock.
    longest_wait_from: float = 0.0
    first_ack_at: float | None = None
    prefix: str = "r"

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        config = {
            "bootstrap.servers": self.bootstrap,
            "acks": self.acks,
            "enable.idempotence": self.acks == "all",
            "linger.ms": 5,
            "message.timeout.ms": 120_000,
        }
        config.update(self.extra)
        producer = Producer(config)
        started = time.monotonic()
        seq = 0
        while not self._stop.is_set() and seq < LOAD_MAX_RECORDS:
            due = started + seq / LOAD_RECORDS_PER_S
            now = time.monotonic()
            if due > now:
                producer.poll(min(due - now, 0.05))
                continue
            sent_at = time.monotonic()
            value = f"{self.prefix}-{seq}".encode()

            def on_delivery(err, msg, seq=seq, sent_at=sent_at):
                waited = time.monotonic() - sent_at
                with self._lock:
                    if err is not None:
                        self.failed.append((seq, err))
                    else:
                        self.acked.append(Acked(msg.partition(), msg.offset(), seq))
                        if self.first_ack_at is None:
                            self.first_ack_at = time.monotonic()
                        # Records sent before the first acknowledgement waited for the producer to start
                        # (metadata, producer id), not for the cluster.
                        elif sent_at >= self.first_ack_at and waited > self.longest_wait_s:
                            self.longest_wait_s = waited
                            self.longest_wait_from = sent_at - STARTED

            while True:
                try:
                    producer.produce(self.topic, value=value, partition=seq % PARTITIONS, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.1)
            seq += 1
            producer.poll(0)
        self.sent = seq
        remaining = producer.flush(150)
        if remaining:
            self.failed.append((-1, f"{remaining} records never answered"))

    def stop(self):
        self._stop.set()
        self._thread.join(200)
        return self

    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)


class LiveConsumer:
    """Reads every partition of a topic as records arrive; remembers what it saw."""

    def __init__(self, bootstrap: str, topic: str):
        self.seen: dict[tuple[int, int], bytes] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"drill-{uuid.uuid4()}", "enable.auto.commit": False}
        )
        self._consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            msg = self._consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    self.errors.append(str(msg.error()))
                continue
            self.seen[(msg.partition(), msg.offset())] = msg.value()

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()
        return self


class GroupMember:
    """One member of a consumer group that commits synchronously after processing each record, and
    remembers what it processed and which commits the coordinator acknowledged."""

    def __init__(self, bootstrap: str, topic: str, group: str, protocol: str = "classic"):
        self.topic = topic
        self.group = group
        self.processed: set[tuple[int, int]] = set()
        self.committed_max: dict[int, int] = {}
        self.commit_times: list[float] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                "enable.auto.commit": False, "group.protocol": protocol}  # fmt: skip
        if protocol == "classic":
            # KIP-848's members take these from the coordinator (group.consumer.*) instead.
            conf.update({"session.timeout.ms": 10_000, "heartbeat.interval.ms": 500})
        self._consumer = Consumer(conf)
        self._consumer.subscribe([topic])
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            # A batch per poll and one synchronous commit after it: at-least-once as Kafka's recipe has it
            # (commit after processing), without tying the group's pace to one commit round trip per record.
            batch = self._consumer.consume(num_messages=500, timeout=0.2)
            next_offsets: dict[int, int] = {}
            for msg in batch:
                if msg.error():
                    if msg.error().code() != KafkaError._PARTITION_EOF:
                        self.errors.append(str(msg.error()))
                    continue
                with self._lock:
                    self.processed.add((msg.partition(), msg.offset()))
                next_offsets[msg.partition()] = max(next_offsets.get(msg.partition(), 0), msg.offset() + 1)
            if not next_offsets:
                continue
            offsets = [TopicPartition(self.topic, p, o) for p, o in sorted(next_offsets.items())]
            try:
                result = self._consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException:
                continue  # the coordinator is moving; the next batch's commit covers this one
            with self._lock:
                for tp in result or []:
                    if tp.error is None:
                        self.committed_max[tp.partition] = max(self.committed_max.get(tp.partition, -1), tp.offset)
                        self.commit_times.append(time.monotonic())

    def commits_ok(self) -> int:
        with self._lock:
            return len(self.commit_times)

    def longest_commit_gap(self, since: float) -> float:
        """The longest time between two acknowledged commits after `since`."""
        with self._lock:
            times = [t for t in self.commit_times if t >= since]
        return max((b - a for a, b in zip(times, times[1:])), default=0.0)

    def committed(self) -> dict[int, int]:
        """The highest acknowledged commit per partition."""
        with self._lock:
            return dict(sorted(self.committed_max.items()))

    def processed_keys(self) -> set[tuple[int, int]]:
        with self._lock:
            return set(self.processed)

    def stop(self):
        self._stop.set()
        self._thread.join(30)
        self._consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets as the coordinator stores them."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        found = reader.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
        return {tp.partition: tp.offset for tp in found}
    finally:
        reader.close()


def read_log(bootstrap: str, topic: str) -> dict[int, list[tuple[int, bytes]]]:
    """Every record of every partition, from the start to the high watermark."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"drill-{uuid.uuid4()}", "enable.auto.commit": False})
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(PARTITIONS)}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        records: dict[int, list[tuple[int, bytes]]] = {p: [] for p in range(PARTITIONS)}
        deadline = time.monotonic() + 120
        while any(records[p][-1][0] + 1 < ends[p] if records[p] else ends[p] > 0 for p in range(PARTITIONS)):
            if time.monotonic() > deadline:
                raise DrillFailed("could not read the topic back to its high watermark within 120 s")
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            if msg.offset() < ends[msg.partition()]:
                records[msg.partition()].append((msg.offset(), msg.value()))
        return records
    finally:
        consumer.close()


@dataclass
class Verdict:
    """The checks every drill makes once the cluster is whole again."""

    acked: int = 0
    lost: int = 0
    duplicated: int = 0
    gaps: int = 0
    phantom: int = 0
    problems: list = field(default_factory=list)

    def ok(self) -> bool:
        return not self.problems


def verify(bootstrap: str, topic: str, loads: list[Load], consumer: LiveConsumer | None) -> Verdict:
    records = read_log(bootstrap, topic)
    v = Verdict()
    at = {(p, off): value for p, recs in records.items() for off, value in recs}
    # Nothing is deleted during a drill, so each partition's offsets are exactly 0, 1, 2, ...
    v.gaps = sum(1 for recs in records.values() if [off for off, _ in recs] != list(range(len(recs))))
    counts: dict[bytes, int] = {}
    for value in at.values():
        counts[value] = counts.get(value, 0) + 1
    for load in loads:
        for a in load.acked:
            v.acked += 1
            value = f"{load.prefix}-{a.seq}".encode()
            if at.get((a.partition, a.offset)) != value:
                v.lost += 1
            v.duplicated += max(0, counts.get(value, 0) - 1)
        if load.acks == "all":
            # An idempotent producer's retries never duplicate, acknowledged or not.
            acked = {f"{load.prefix}-{a.seq}".encode() for a in load.acked}
            prefix = f"{load.prefix}-".encode()
            v.duplicated += sum(n - 1 for value, n in counts.items() if n > 1 and value.startswith(prefix)
                                and value not in acked)  # fmt: skip
    if consumer is not None:
        v.phantom = sum(1 for key, value in consumer.seen.items() if at.get(key) != value)
    if v.lost:
        v.problems.append(f"{v.lost} acknowledged records lost or moved")
    if v.duplicated:
        v.problems.append(f"{v.duplicated} records duplicated")
    if v.gaps:
        v.problems.append(f"{v.gaps} partitions with offset gaps")
    if v.phantom:
        v.problems.append(f"a consumer saw {v.phantom} records that are not in the final log")
    return v


def replicas_identical(nodes: Nodes, topic: str) -> list[str]:
    """Partitions whose segment bytes differ between replicas (the cluster must be idle and in sync)."""
    differing = []
    for p in range(PARTITIONS):
        digests = {n: hashlib.sha256(nodes.log_bytes(n, topic, p)).hexdigest()[:12] for n in nodes.ids}
        if len(set(digests.values())) != 1:
            differing.append(f"{topic}-{p} {digests}")
    return differing


# ----- The drills -----


class Drills:
    def __init__(self, cluster: Cluster, nodes: Nodes, session_timeout_s: float):
        self.cluster = cluster
        self.nodes = nodes
        self.session_timeout_s = session_timeout_s

    def new_topic(self, drill: str) -> str:
        topic = f"drill-{drill}-{uuid.uuid4().hex[:8]}"
        self.cluster.create_topic(topic)
        return topic

    def start_load(self, drill: str, settle_s: float) -> tuple[str, Load, LiveConsumer]:
        """A new topic with the drill's acks=all load and a live consumer on it, running for `settle_s`."""
        topic = self.new_topic(drill)
        load = Load(self.cluster.bootstrap, topic).start()
        consumer = LiveConsumer(self.cluster.bootstrap, topic).start()
        self.settle(load, settle_s)
        return topic, load, consumer

    def finish_load(self, topic: str, load: Load, consumer: LiveConsumer) -> Verdict:
        """Stops the load and the consumer and checks the topic against what both saw."""
        load.stop()
        consumer.stop()
        log(f"  the longest-waiting record was sent at [{load.longest_wait_from:7.2f}] and waited {load.longest_wait_s:.2f} s")
        return verify(self.cluster.bootstrap, topic, [load], consumer)

    def wait_in_sync(self, topic: str, timeout_s: float = HEAL_TIMEOUT_S) -> float:
        started = time.monotonic()
        wait_until(f"every replica of {topic} back in its ISR", lambda: self.cluster.all_in_sync(topic), timeout_s)
        return time.monotonic() - started

    def settle(self, load: Load, seconds: float):
        """Lets the load run for `seconds` and until it has had a new acknowledgement (30 s at most)."""
        before = load.acked_count()
        time.sleep(seconds)
        wait_until("the load to be acknowledged again", lambda: load.acked_count() > before, timeout_s=30)

    def active_controller(self, node_id: int) -> int:
        """The quorum leader as `flotilla metadata-quorum` on that node reports it, or -1."""
        argv = self.nodes.exec_argv(node_id) + [
            "flotilla", "metadata-quorum", "--bootstrap-server", "localhost:9092", "describe", "--status"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        for line in done.stdout.splitlines():
            if line.startswith("LeaderId:"):
                return int(line.split()[1])
        return -1

    def kill_broker(self) -> str:
        topic, load, consumer = self.start_load("kill", settle_s=4)
        victim = self.cluster.leader(topic, 0)
        controller = self.active_controller(victim)
        role = "and the active controller" if controller == victim else f"(controller {controller})"
        log(f"  killing broker {victim}, the leader of {topic}-0 {role}")
        self.nodes.run("kill", victim)
        wait_until(
            f"a new leader for {topic}-0",
            lambda: self.cluster.leader(topic, 0) not in (-1, victim),
            timeout_s=self.session_timeout_s + 30,
        )
        time.sleep(2)
        self.nodes.run("start", victim)
        rejoin_s = self.wait_in_sync(topic)
        self.settle(load, 2)
        v = self.finish_load(topic, load, consumer)
        if load.failed:
            v.problems.append(f"{len(load.failed)} writes failed (first: {load.failed[0][1]})")
        return self.report(
            v,
            f"longest produce stall {load.longest_wait_s:.2f} s (killed a partition leader {role}); "
            f"broker {victim} back in every ISR "
            f"{rejoin_s:.1f} s after its restart",
        )

    def pause_leader(self) -> str:
        topic, load, consumer = self.start_load("pause", settle_s=4)
        victim = self.cluster.leader(topic, 0)
        hold_s = 2 * self.session_timeout_s + 2
        log(f"  pausing broker {victim}, the leader of {topic}-0, for {hold_s:.0f} s")
        self.nodes.run("pause", victim)
        try:
            wait_until(
                f"broker {victim} to be fenced and {topic}-0 to move",
                lambda: victim not in self.cluster.brokers() and self.cluster.leader(topic, 0) not in (-1, victim),
                timeout_s=self.session_timeout_s + 30,
            )
            time.sleep(max(0.0, hold_s - self.session_timeout_s))
        finally:
            self.nodes.run("unpause", victim)
        rejoin_s = self.wait_in_sync(topic)
        new_leader = self.cluster.leader(topic, 0)
        self.settle(load, 2)
        v = self.finish_load(topic, load, consumer)
        if new_leader == victim:
            v.problems.append(f"broker {victim} came back as the leader of {topic}-0, not as a follower")
        self.wait_in_sync(topic)
        v.problems += [f"replicas differ: {d}" for d in replicas_identical(self.nodes, topic)]
        return self.report(
            v,
            f"broker {victim} fenced and back as a follower, in every ISR {rejoin_s:.1f} s after unpause; "
            f"longest produce stall {load.longest_wait_s:.2f} s; replicas byte-identical",
        )

    def partition_leader(self) -> str:
        topic, load, consumer = self.start_load("partition", settle_s=4)
        victim = self.cluster.leader(topic, 0)
        log(f"  cutting broker {victim}, the leader of {topic}-0, off the cluster network")
        self.nodes.run("disconnect", victim)
        isolated_out = ""
        try:
            # A client that stays connected to the cut-off leader (it runs beside it) writes with acks=all.
            lines = "".join(f"isolated-{i}\n" for i in range(20))
            argv = self.nodes.exec_argv(victim) + [
                "flotilla", "console-producer", "--bootstrap-server", "localhost:9092", "--topic", topic,
                "--producer-property", "acks=all", "--producer-property", "request.timeout.ms=3000",
                "--producer-property", "delivery.timeout.ms=8000", "--producer-property", "linger.ms=0",
            ]  # fmt: skip
            try:
                isolated = subprocess.run(argv, input=lines, capture_output=True, text=True, timeout=60)
                isolated_out = isolated.stdout + isolated.stderr
            except subprocess.TimeoutExpired as e:
                # A client that never hears back has had no write acknowledged either.
                isolated_out = f"{e.stdout or ''}{e.stderr or ''}\n(the client was stopped after 60 s)"
            log(f"  the cut-off leader's client said:\n{isolated_out[-2000:]}")
            wait_until(
                f"the majority to elect a new leader for {topic}-0",
                lambda: self.cluster.leader(topic, 0) not in (-1, victim),
                timeout_s=self.session_timeout_s + 30,
            )
            self.settle(load, 2)
        finally:
            self.nodes.run("connect", victim)
        # Kafka's console producer logs one line per failed record; the proof that none was acknowledged
        # is below: an acknowledged acks=all record is committed, and none of these may survive.
        failed_isolated = isolated_out.count("Error when sending message")
        rejoin_s = self.wait_in_sync(topic)
        self.settle(load, 2)
        v = self.finish_load(topic, load, consumer)
        self.wait_in_sync(topic)
        v.problems += [f"replicas differ: {d}" for d in replicas_identical(self.nodes, topic)]
        surviving = [
            off for recs in read_log(self.cluster.bootstrap, topic).values() for off, value in recs
            if value.startswith(b"isolated-")
        ]  # fmt: skip
        if surviving:
            v.problems.append(f"{len(surviving)} records written only to the cut-off leader survived")
        return self.report(
            v,
            f"the cut-off leader's client saw {failed_isolated} of 20 acks=all writes fail and none survived; "
            f"broker {victim} back in every ISR "
            f"{rejoin_s:.1f} s after healing; longest produce stall {load.longest_wait_s:.2f} s; replicas byte-identical",
        )

    def rolling_restart(self) -> str:
        topic, load, consumer = self.start_load("rolling", settle_s=3)
        restarts = []
        for node in self.nodes.ids:
            started = time.monotonic()
            self.nodes.run("stop", node)
            stopped_s = time.monotonic() - started
            self.nodes.run("start", node)
            rejoin_s = self.wait_in_sync(topic)
            restarts.append(f"{node}: stop {stopped_s:.1f} s, in sync {rejoin_s:.1f} s")
            self.settle(load, 2)
        v = self.finish_load(topic, load, consumer)
        if load.failed:
            v.problems.append(f"{len(load.failed)} acks=all writes failed (first: {load.failed[0][1]})")
        return self.report(
            v, f"0 failed acks=all writes expected, {len(load.failed)} seen; longest produce stall "
            f"{load.longest_wait_s:.2f} s; {'; '.join(restarts)}",
        )  # fmt: skip

    def two_down(self) -> str:
        topic = self.new_topic("two-down")
        load = Load(self.cluster.bootstrap, topic).start()
        self.settle(load, 3)
        load.stop()
        survivor = self.cluster.leader(topic, 0)
        led = [p for p, meta in self.cluster.partitions(topic).items() if meta.leader == survivor]
        victims = [n for n in self.nodes.ids if n != survivor]
        log(f"  killing brokers {victims}; broker {survivor} leads partitions {led}")
        for victim in victims:
            self.nodes.run("kill", victim)
        try:
            time.sleep(self.session_timeout_s + 1)
            short = {"message.timeout.ms": 6000, "request.timeout.ms": 3000}
            strict = Producer({"bootstrap.servers": self.cluster.bootstrap, "acks": "all", "retries": 0, **short})
            strict_errors = []
            for p in led:
                strict.produce(topic, value=f"two-down-all-{p}".encode(), partition=p, on_delivery=lambda e, m: strict_errors.append(e))
            strict.flush(30)
            refused = [e for e in strict_errors if e is not None]
            clean = {KafkaError.NOT_ENOUGH_REPLICAS, KafkaError.REQUEST_TIMED_OUT, KafkaError._MSG_TIMED_OUT,
                     KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND}  # fmt: skip
            relaxed = Load(self.cluster.bootstrap, topic, acks="1", extra=short, prefix="acks1")
            relaxed_acked = []
            relaxed_errors = []
            producer = Producer({"bootstrap.servers": self.cluster.bootstrap, "acks": "1", **short})
            for i, p in enumerate(led * 5):
                producer.produce(
                    topic, value=f"acks1-{i}".encode(), partition=p,
                    on_delivery=lambda e, m, i=i: (relaxed_errors if e else relaxed_acked).append(
                        e if e else Acked(m.partition(), m.offset(), i)),
                )  # fmt: skip
            producer.flush(30)
            relaxed.acked = relaxed_acked
        finally:
            for victim in victims:
                self.nodes.run("start", victim, check=False)
        recover_s = self.wait_in_sync(topic)
        after = Load(self.cluster.bootstrap, topic, prefix="after").start()
        self.settle(after, 2)
        after.stop()
        v = verify(self.cluster.bootstrap, topic, [load, relaxed, after], None)
        if len(refused) != len(led) or any(e.code() not in clean for e in refused):
            v.problems.append(f"acks=all with two brokers down: {len(refused)} of {len(led)} refused ({refused[:2]})")
        if len(relaxed_acked) != 5 * len(led):
            v.problems.append(f"acks=1 on the surviving leader: {len(relaxed_acked)} of {5 * len(led)} acknowledged "
                              f"({relaxed_errors[:2]})")  # fmt: skip
        if after.failed:
            v.problems.append(f"{len(after.failed)} acks=all writes failed after recovery")
        codes = sorted({e.name() for e in refused})
        return self.report(
            v, f"acks=all refused on the survivor's {len(led)} partitions ({', '.join(codes)}); "
            f"{len(relaxed_acked)} acks=1 writes taken and kept; every ISR whole {recover_s:.1f} s after the restart",
        )  # fmt: skip

    def consumer_group(self) -> str:
        return self.group_drill("classic")

    def consumer_protocol_group(self) -> str:
        """The consumer-group drill with KIP-848's protocol (`group.protocol=consumer`)."""
        return self.group_drill("consumer")

    def group_drill(self, protocol: str) -> str:
        topic, load, live = self.start_load("group", settle_s=0)
        group = f"drill-group-{uuid.uuid4().hex[:8]}"
        member = GroupMember(self.cluster.bootstrap, topic, group, protocol).start()
        wait_until("the group to commit", lambda: member.commits_ok() > 0, timeout_s=60)
        self.settle(load, 3)
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap})
        victim = admin.describe_consumer_groups([member.group])[member.group].result(timeout=30).coordinator.id
        log(f"  killing broker {victim}, the coordinator of group {member.group}")
        killed_at = time.monotonic()
        commits_before = member.commits_ok()
        self.nodes.run("kill", victim)
        wait_until("the group to commit again", lambda: member.commits_ok() > commits_before,
                   timeout_s=self.session_timeout_s + 60)  # fmt: skip
        time.sleep(2)
        # The kill takes a moment to land, so the first commit after it may still be the old coordinator's:
        # the figure is the longest pause between acknowledged commits around the kill.
        resumed_s = member.longest_commit_gap(killed_at - 1)
        self.nodes.run("start", victim)
        self.wait_in_sync(topic)
        self.settle(load, 2)
        load.stop()
        live.stop()
        v = verify(self.cluster.bootstrap, topic, [load], live)
        acked = {(a.partition, a.offset) for a in load.acked}
        ends = {p: max((o for q, o in acked if q == p), default=-1) + 1 for p in range(PARTITIONS)}

        def progress() -> str:
            missing = acked - member.processed_keys()
            per_partition = {p: sum(1 for q, _ in missing if q == p) for p in range(PARTITIONS)}
            return (f"{len(acked) - len(missing)} of {len(acked)} acknowledged records processed, missing per "
                    f"partition {per_partition}; commits acknowledged {member.commits_ok()}, committed "
                    f"{member.committed()} of ends {ends}; errors {member.errors[-3:]}")

        wait_until("the group to process every acknowledged record", lambda: acked <= member.processed_keys(),
                   timeout_s=HEAL_TIMEOUT_S, progress=progress)  # fmt: skip
        wait_until("the group's commits to reach the end of every partition",
                   lambda: all(member.committed().get(p, -1) >= ends[p] for p in range(PARTITIONS)),
                   timeout_s=HEAL_TIMEOUT_S, progress=progress)  # fmt: skip
        member.stop()
        stored = committed_offsets(self.cluster.bootstrap, member.group, topic)
        acknowledged = member.committed()
        backwards = {p: (stored.get(p), acknowledged[p]) for p in range(PARTITIONS)
                     if stored.get(p, -1) < acknowledged[p]}  # fmt: skip
        if backwards:
            v.problems.append(f"committed offsets lost or moved back (stored, acknowledged): {backwards}")
        if member.errors:
            v.problems.append(f"consumer errors: {member.errors[:3]}")
        return self.report(
            v, f"longest pause between the group's commits {resumed_s:.2f} s (its coordinator, broker {victim}, killed); "
            f"{len(member.processed_keys())} records processed, every acknowledged one at least once",
        )  # fmt: skip

    def heal(self):
        """Brings every node back after a drill that failed half-way, so the next drill starts whole."""
        for node in self.nodes.ids:
            for action in ("unpause", "connect", "start"):
                self.nodes.run(action, node, check=False)

    @staticmethod
    def report(v: Verdict, figures: str) -> str:
        counts = f"{v.acked} acked, {v.lost} lost, {v.duplicated} duplicated"
        if v.ok():
            return f"PASS  {figures}; {counts}"
        return f"FAIL  {'; '.join(v.problems)}; {figures}; {counts}"


DRILLS = {
    "kill-broker": Drills.kill_broker,
    "pause-leader": Drills.pause_leader,
    "partition-leader": Drills.partition_leader,
    "rolling-restart": Drills.rolling_restart,
    "two-down": Drills.two_down,
    "consumer-group": Drills.consumer_group,
    "consumer-protocol-group": Drills.consumer_protocol_group,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drills", nargs="*", default=["all"], help=f"all (default) or any of: {', '.join(DRILLS)}")
    parser.add_argument("--bootstrap", default="localhost:9092,localhost:9094,localhost:9096")
    parser.add_argument("--nodes", default="1,2,3", help="the node ids")
    parser.add_argument("--container", default="flotilla-{id}", help="a node's container name, from {id}")
    parser.add_argument("--network", default="flotilla", help="the cluster's network (partition drill)")
    parser.add_argument("--data-dir", default="/var/lib/kafka/data", help="log.dirs inside a node")
    parser.add_argument("--session-timeout-ms", type=int, default=2000, help="the cluster's broker.session.timeout.ms")
    commands = {
        "kill": "docker kill {container}",
        "start": "docker start {container}",
        "stop": "docker stop --time 60 {container}",
        "pause": "docker pause {container}",
        "unpause": "docker unpause {container}",
        "disconnect": "docker network disconnect {network} {container}",
        "connect": "docker network connect {network} {container}",
        "exec": "docker exec -i {container}",
        "copy": "docker cp {container}:{path} -",
    }
    for action, default in commands.items():
        parser.add_argument(f"--{action}-cmd", default=default, help=f"default: {default}")
    args = parser.parse_args(argv)
    names = list(DRILLS) if args.drills == ["all"] else args.drills
    unknown = [n for n in names if n not in DRILLS]
    if unknown:
        parser.error(f"unknown drill {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
    nodes = Nodes(
        ids=[int(n) for n in args.nodes.split(",")],
        container=args.container,
        network=args.network,
        data_dir=args.data_dir,
        commands={a: getattr(args, f"{a}_cmd") for a in commands},
    )
    cluster = Cluster(args.bootstrap)
    drills = Drills(cluster, nodes, args.session_timeout_ms / 1000)
    failed = 0
    for name in names:
        log(f"== drill {name}")
        started = time.monotonic()
        try:
            outcome = DRILLS[name](drills)
        except DrillFailed as e:
            outcome = f"FAIL  {e}"
        except Exception as e:  # a drill that crashes is a failed drill, and the others still run
            outcome = f"FAIL  {type(e).__name__}: {e}"
        print(f"{name}: {outcome} ({time.monotonic() - started:.0f} s)", flush=True)
        if outcome.startswith("FAIL"):
            failed += 1
            drills.heal()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
