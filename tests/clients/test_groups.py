"""Consumer groups through independent clients: confluent-kafka (librdkafka), kafka-python and aiokafka form
groups on the classic protocol, split partitions, rebalance as members come and go, commit offsets, and resume
from them, also after the broker is killed. Hand-written frames check the error codes Kafka returns."""

import asyncio
import json
import os
import struct
import subprocess
import sys
import threading
import time

import aiokafka
import confluent_kafka
import confluent_kafka.admin
import kafka
import pytest

import kafka_wire
from clients import create_topic, produce_confluent
from conftest import Node, flotilla_bin, wait_for

PARTITIONS = 6
# Groups form at once in these tests; the default (3000 ms) is checked by its own test.
FAST_GROUPS = "group.initial.rebalance.delay.ms=0\n"


@pytest.fixture(scope="module")
def group_node(tmp_path_factory):
    n = Node(tmp_path_factory.mktemp("groups"), extra_config=FAST_GROUPS).start()
    yield n
    n.stop()


def group_consumer(bootstrap: str, group: str, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 500,
    }
    conf.update(extra)
    return confluent_kafka.Consumer(conf)


def consume(consumer, count: int, timeout_s: float = 60.0):
    """Polls until `count` records arrived; returns [(partition, offset, value)]."""
    out = []
    deadline = time.monotonic() + timeout_s
    while len(out) < count:
        assert time.monotonic() < deadline, f"consumed only {len(out)} of {count} records in {timeout_s}s"
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, f"consume error: {msg.error()}"
        out.append((msg.partition(), msg.offset(), msg.value()))
    return out


def produce_values(bootstrap, topic, values):
    return produce_confluent(bootstrap, topic, [(v.encode(), v.encode()) for v in values])


def test_a_group_commits_and_a_new_member_resumes_from_the_commit(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    produce_values(group_node.bootstrap, topic_name, [f"first-{i}" for i in range(300)])
    group = f"{topic_name}-g"

    first = group_consumer(group_node.bootstrap, group)
    first.subscribe([topic_name])
    seen = consume(first, 300)
    assert sorted(v for _, _, v in seen) == sorted(f"first-{i}".encode() for i in range(300))
    first.commit(asynchronous=False)
    committed = first.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)], timeout=30)
    ends = {p: max((o for q, o, _ in seen if q == p), default=-1) + 1 for p in range(PARTITIONS)}
    assert {tp.partition: tp.offset for tp in committed} == ends
    first.close()

    produce_values(group_node.bootstrap, topic_name, [f"second-{i}" for i in range(60)])
    second = group_consumer(group_node.bootstrap, group)
    second.subscribe([topic_name])
    resumed = consume(second, 60)
    assert sorted(v for _, _, v in resumed) == sorted(f"second-{i}".encode() for i in range(60))
    # Nothing before the commit comes again.
    assert second.poll(2.0) is None
    second.close()


def test_members_split_the_partitions_and_take_them_back_when_one_leaves(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    a = group_consumer(group_node.bootstrap, group, **{"partition.assignment.strategy": "roundrobin"})
    b = group_consumer(group_node.bootstrap, group, **{"partition.assignment.strategy": "roundrobin"})
    a.subscribe([topic_name])

    def assigned(consumer):
        consumer.poll(0.2)
        return {tp.partition for tp in consumer.assignment()}

    wait_for(lambda: assigned(a) == set(range(PARTITIONS)), 60, "a alone to own every partition")
    b.subscribe([topic_name])

    def split():
        pa, pb = assigned(a), assigned(b)
        return len(pa) == 3 and len(pb) == 3 and pa | pb == set(range(PARTITIONS))

    wait_for(split, 60, "a and b to split the six partitions")
    b.close()
    wait_for(lambda: assigned(a) == set(range(PARTITIONS)), 60, "a to take every partition back after b left")
    a.close()


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_librdkafka_assignors_split_partitions_as_members_come_and_go(group_node, topic_name, strategy):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    members = [group_consumer(group_node.bootstrap, group, **{"partition.assignment.strategy": strategy})
               for _ in range(3)]

    def owned(consumer):
        consumer.poll(0.1)
        return {tp.partition for tp in consumer.assignment()}

    def split(consumers, size):
        parts = [owned(c) for c in consumers]
        whole = sum(len(p) for p in parts) == PARTITIONS and set().union(*parts) == set(range(PARTITIONS))
        return parts if whole and all(len(p) == size for p in parts) else None

    members[0].subscribe([topic_name])
    wait_for(lambda: split(members[:1], 6), 60, "the first member to own every partition")
    members[1].subscribe([topic_name])
    before = wait_for(lambda: split(members[:2], 3), 60, "two members with three partitions each")
    members[2].subscribe([topic_name])
    after = wait_for(lambda: split(members, 2), 60, "three members with two partitions each")
    if strategy == "cooperative-sticky":
        # Incremental and sticky: each earlier member kept two of its three and gave one up.
        assert after[0] <= before[0] and after[1] <= before[1], (before, after)
    members[2].close()
    wait_for(lambda: split(members[:2], 3), 60, "the two left to take the third one's partitions back")
    for c in members[:2]:
        c.close()


def test_kafka_python_sticky_assignor_moves_only_what_it_must(group_node, topic_name):
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    stop = threading.Event()
    owned = [set(), set(), set()]
    consumers = [None, None, None]
    lock = threading.Lock()

    def run(i):
        c = kafka.KafkaConsumer(
            topic_name, bootstrap_servers=group_node.bootstrap, group_id=group,
            partition_assignment_strategy=[StickyPartitionAssignor], session_timeout_ms=10_000,
            heartbeat_interval_ms=500, enable_auto_commit=False,
        )
        consumers[i] = c
        while not stop.is_set() and consumers[i] is c:
            c.poll(timeout_ms=100)
            with lock:
                owned[i] = {tp.partition for tp in c.assignment()}
        c.close()

    def snapshot(n):
        with lock:
            parts = [set(p) for p in owned[:n]]
        whole = sum(len(p) for p in parts) == PARTITIONS and set().union(*parts) == set(range(PARTITIONS))
        return parts if whole and max(len(p) for p in parts) - min(len(p) for p in parts) <= 1 else None

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(3)]
    try:
        threads[0].start()
        threads[1].start()
        before = wait_for(lambda: snapshot(2), 60, "two kafka-python members with three partitions each")
        threads[2].start()
        after = wait_for(lambda: snapshot(3), 60, "three kafka-python members with two partitions each")
        assert after[0] <= before[0] and after[1] <= before[1], (before, after)
    finally:
        stop.set()
        for t in threads:
            t.join(30)


MEMBER_SCRIPT = r"""
import json, os, sys, time
import confluent_kafka
bootstrap, topic, group, out, stop = sys.argv[1:6]
c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                              "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
c.subscribe([topic])
seen = []
deadline = time.monotonic() + 120
while not os.path.exists(stop) and time.monotonic() < deadline:
    msg = c.poll(0.2)
    if msg is not None and msg.error() is None:
        seen.append([msg.partition(), msg.offset()])
        c.commit(message=msg, asynchronous=False)
    with open(out + ".tmp", "w") as f:
        json.dump({"assignment": sorted(tp.partition for tp in c.assignment()), "seen": seen}, f)
    os.replace(out + ".tmp", out)
c.close()
"""


def test_three_consumer_processes_split_six_partitions_and_commit_every_record(group_node, topic_name, tmp_path):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    acked = produce_values(group_node.bootstrap, topic_name, [f"v{i}" for i in range(600)])
    group = f"{topic_name}-g"
    stop = tmp_path / "stop"
    outs = [tmp_path / f"member-{i}.json" for i in range(3)]
    procs = [
        subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, group_node.bootstrap, topic_name, group, str(o), str(stop)])
        for o in outs
    ]
    try:
        def state():
            try:
                return [json.loads(o.read_text()) for o in outs]
            except (FileNotFoundError, json.JSONDecodeError):
                return None

        def settled():
            s = state()
            if s is None:
                return None
            parts = [set(m["assignment"]) for m in s]
            disjoint = sum(len(p) for p in parts) == PARTITIONS and set().union(*parts) == set(range(PARTITIONS))
            seen = {tuple(r) for m in s for r in m["seen"]}
            return s if disjoint and all(len(p) == 2 for p in parts) and len(seen) >= len(acked) else None

        final = wait_for(settled, 120, "three members with two partitions each that consumed every record")
    finally:
        stop.write_text("stop")
        for p in procs:
            p.wait(timeout=60)
    seen = {tuple(r) for m in final for r in m["seen"]}
    assert seen == {(p, o) for p, o, _, _ in acked}
    # The group's committed offsets are each partition's end.
    checker = group_consumer(group_node.bootstrap, group)
    committed = checker.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)], timeout=30)
    checker.close()
    ends = {p: max(o for q, o, _, _ in acked if q == p) + 1 for p in range(PARTITIONS)}
    assert {tp.partition: tp.offset for tp in committed} == ends


def test_kafka_python_group_consumes_and_commits(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    produce_values(group_node.bootstrap, topic_name, [f"kp-{i}" for i in range(120)])
    group = f"{topic_name}-g"
    consumer = kafka.KafkaConsumer(
        topic_name, bootstrap_servers=group_node.bootstrap, group_id=group, auto_offset_reset="earliest",
        enable_auto_commit=False, consumer_timeout_ms=1000,
    )
    values = []
    deadline = time.monotonic() + 60
    while len(values) < 120 and time.monotonic() < deadline:
        for msg in consumer:
            values.append(msg.value)
    assert sorted(values) == sorted(f"kp-{i}".encode() for i in range(120))
    consumer.commit()
    total = sum(consumer.committed(kafka.TopicPartition(topic_name, p)) or 0 for p in range(PARTITIONS))
    assert total == 120
    consumer.close()

    # confluent-kafka sees the same commits.
    other = group_consumer(group_node.bootstrap, group)
    committed = other.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)], timeout=30)
    other.close()
    assert sum(tp.offset for tp in committed) == 120


def test_aiokafka_group_consumes_and_commits(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    produce_values(group_node.bootstrap, topic_name, [f"aio-{i}" for i in range(90)])
    group = f"{topic_name}-g"

    async def run():
        consumer = aiokafka.AIOKafkaConsumer(
            topic_name, bootstrap_servers=group_node.bootstrap, group_id=group, auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            values = []
            deadline = time.monotonic() + 60
            while len(values) < 90:
                assert time.monotonic() < deadline, f"aiokafka consumed {len(values)} of 90"
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    values.extend(r.value for r in records)
            await consumer.commit()
            committed = [await consumer.committed(aiokafka.TopicPartition(topic_name, p)) for p in range(PARTITIONS)]
            return values, committed
        finally:
            await consumer.stop()

    values, committed = asyncio.run(run())
    assert sorted(values) == sorted(f"aio-{i}".encode() for i in range(90))
    assert sum(c or 0 for c in committed) == 90


def test_admin_lists_and_describes_a_stable_group(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    consumer = group_consumer(group_node.bootstrap, group, **{"client.id": "describe-me"})
    consumer.subscribe([topic_name])
    wait_for(lambda: consumer.poll(0.2) is None and len(consumer.assignment()) == PARTITIONS, 60, "an assignment")
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": group_node.bootstrap})
    try:
        listed = admin.list_consumer_groups().result(timeout=30)
        mine = [g for g in listed.valid if g.group_id == group]
        assert len(mine) == 1 and mine[0].state == confluent_kafka.ConsumerGroupState.STABLE
        described = admin.describe_consumer_groups([group])[group].result(timeout=30)
        assert described.state == confluent_kafka.ConsumerGroupState.STABLE
        assert described.partition_assignor == "range"
        [member] = described.members
        assert member.client_id == "describe-me"
        assert member.host == "/127.0.0.1"
        assert {tp.partition for tp in member.assignment.topic_partitions} == set(range(PARTITIONS))
    finally:
        consumer.close()
    described = admin.describe_consumer_groups([group])[group].result(timeout=30)
    assert described.state == confluent_kafka.ConsumerGroupState.EMPTY
    assert not described.members


def test_committed_offsets_survive_a_kill9(tmp_path, topic_name):
    node = Node(tmp_path, extra_config=FAST_GROUPS)
    try:
        node.start()
        create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
        produce_values(node.bootstrap, topic_name, [f"k-{i}" for i in range(100)])
        group = f"{topic_name}-g"
        consumer = group_consumer(node.bootstrap, group)
        consumer.subscribe([topic_name])
        consume(consumer, 100)
        consumer.commit(asynchronous=False)
        before = {tp.partition: tp.offset for tp in consumer.committed(
            [confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)], timeout=30)}
        consumer.close()
        assert sum(before.values()) == 100

        node.kill9()
        node.start()
        checker = group_consumer(node.bootstrap, group)

        def after():
            try:
                got = checker.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)],
                                        timeout=5)
            except confluent_kafka.KafkaException:
                return None  # the coordinator is still loading
            return {tp.partition: tp.offset for tp in got}

        assert wait_for(after, 60, "the committed offsets after a restart") == before
        checker.close()
    finally:
        node.stop()


# Hand-written frames: error codes as Kafka returns them.

def join_group_v1(group, member_id="", session_timeout_ms=10_000, protocol_type="consumer", protocols=(("range", b""),)):
    body = kafka_wire.string(group) + struct.pack(">ii", session_timeout_ms, session_timeout_ms)
    body += kafka_wire.string(member_id) + kafka_wire.string(protocol_type) + struct.pack(">i", len(protocols))
    for name, metadata in protocols:
        body += kafka_wire.string(name) + struct.pack(">i", len(metadata)) + metadata
    return body


def parse_join_group_v1(body):
    (error_code, generation) = struct.unpack_from(">hi", body, 0)
    at = 6
    fields = []
    for _ in range(3):
        (n,) = struct.unpack_from(">h", body, at)
        at += 2
        fields.append(body[at:at + max(n, 0)].decode())
        at += max(n, 0)
    return error_code, generation, fields[0], fields[1], fields[2]


def find_coordinator_v0(port, group):
    conn = kafka_wire.Connection(port)
    try:
        def found():
            body = conn.call(10, 0, kafka_wire.string(group))
            (code,) = struct.unpack_from(">h", body, 0)
            return body if code == 0 else None

        return wait_for(found, 60, "a coordinator")
    finally:
        conn.close()


def wait_until_loaded(conn, group):
    """Retries a JoinGroup with an unknown member id until the coordinator has loaded the group's partition
    (COORDINATOR_LOAD_IN_PROGRESS meanwhile); returns that answer."""
    def loaded():
        answer = parse_join_group_v1(conn.call(11, 1, join_group_v1(group, member_id="probe")))
        return answer if answer[0] != 14 else None

    return wait_for(loaded, 60, "the coordinator to load the group's partition")


def test_group_errors_are_kafkas(group_node):
    group = "wire-errors"
    find_coordinator_v0(group_node.port, group)
    conn = kafka_wire.Connection(group_node.port, timeout_s=30)
    try:
        code, *_ = wait_until_loaded(conn, group)
        assert code == 25, "UNKNOWN_MEMBER_ID for a member of a group that does not exist"
        code, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group, session_timeout_ms=10)))
        assert code == 26, "INVALID_SESSION_TIMEOUT"
        code, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group, member_id="ghost")))
        assert code == 25, "UNKNOWN_MEMBER_ID for a member of a group that does not exist"
        code, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group, protocols=())))
        assert code == 23, "INCONSISTENT_GROUP_PROTOCOL with no protocols"
        code, generation, protocol, leader, member = parse_join_group_v1(conn.call(11, 1, join_group_v1(group)))
        assert (code, generation, protocol, leader == member) == (0, 1, "range", True)
        hb = lambda gen, m: struct.unpack_from(">h", conn.call(12, 0, kafka_wire.string(group) + struct.pack(">i", gen)
                                                                + kafka_wire.string(m)), 0)[0]
        assert hb(generation + 5, member) == 22, "ILLEGAL_GENERATION"
        assert hb(generation, "nobody") == 25, "UNKNOWN_MEMBER_ID"
        # Joined but not synced: the heartbeat is accepted while the group completes its rebalance.
        assert hb(generation, member) == 0
        code, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group, protocol_type="connect")))
        assert code == 23, "INCONSISTENT_GROUP_PROTOCOL for another protocol type"
    finally:
        conn.close()


def test_the_first_rebalance_waits_for_the_initial_delay(fresh_node, topic_name):
    # Default group.initial.rebalance.delay.ms (3000): a lone member's first join is answered after it.
    node = fresh_node.start()
    group = f"{topic_name}-g"
    find_coordinator_v0(node.port, group)
    conn = kafka_wire.Connection(node.port, timeout_s=30)
    try:
        wait_until_loaded(conn, group)
        started = time.monotonic()
        code, generation, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group)))
        waited = time.monotonic() - started
    finally:
        conn.close()
    assert (code, generation) == (0, 1)
    assert waited >= 2.9, f"answered after {waited:.2f}s, before the 3 s initial delay"


def test_offsets_and_groups_are_deleted_only_when_kafka_allows(group_node, topic_name):
    create_topic(group_node.bootstrap, topic_name, partitions=PARTITIONS)
    produce_values(group_node.bootstrap, topic_name, [f"d-{i}" for i in range(60)])
    group = f"{topic_name}-g"
    consumer = group_consumer(group_node.bootstrap, group)
    consumer.subscribe([topic_name])
    consume(consumer, 60)
    consumer.commit(asynchronous=False)
    admin = kafka.KafkaAdminClient(bootstrap_servers=group_node.bootstrap)
    confluent_admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": group_node.bootstrap})
    p0 = kafka.TopicPartition(topic_name, 0)
    try:
        # A live group keeps the offsets of the topics it consumes, and cannot be deleted.
        assert admin.delete_group_offsets(group, [p0])[p0] is kafka.errors.GroupSubscribedToTopicError
        assert admin.delete_groups([group]) == {group: "NonEmptyGroupError"}
        consumer.close()

        # Empty, it can be: first one partition's offset, then the whole group.
        assert admin.delete_group_offsets(group, [p0])[p0] is kafka.errors.NoError
        left = admin.list_group_offsets(group)[group]
        assert p0 not in left and len(left) == PARTITIONS - 1
        assert admin.delete_groups([group]) == {group: "OK"}
        assert group not in {g.group_id for g in confluent_admin.list_consumer_groups().result(timeout=30).valid}
        described = confluent_admin.describe_consumer_groups([group])[group].result(timeout=30)
        assert described.state == confluent_kafka.ConsumerGroupState.DEAD
        assert admin.delete_groups([group]) == {group: "GroupIdNotFoundError"}
    finally:
        admin.close()


def tool(*args, timeout=120):
    return subprocess.run([flotilla_bin(), "consumer-groups", *args], capture_output=True, text=True, timeout=timeout)


def test_the_consumer_groups_tool_agrees_with_the_clients(group_node, topic_name):
    b = group_node.bootstrap
    create_topic(b, topic_name, partitions=2)
    produce_confluent(b, topic_name, [(b"k", b"v%d" % i) for i in range(10)], partitioner="consistent")
    group = f"{topic_name}-g"
    consumer = group_consumer(b, group, **{"client.id": "tool-check"})
    consumer.subscribe([topic_name])
    got = consume(consumer, 10)
    consumer.commit(asynchronous=False)
    # Only partition 0 or 1 got the records (one key); the other has no commit.
    loaded = {p for p, _, _ in got}
    assert len(loaded) == 1
    [busy] = loaded

    listed = tool("--bootstrap-server", b, "--list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert group in listed.stdout.splitlines()

    described = tool("--bootstrap-server", b, "--describe", "--group", group)
    assert described.returncode == 0, described.stdout + described.stderr
    lines = [l.split() for l in described.stdout.splitlines() if l.strip()]
    assert lines[0] == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
                        "HOST", "CLIENT-ID"]
    rows = {int(r[2]): r for r in lines[1:]}
    member_id = consumer.memberid()
    assert rows[busy][3:] == ["10", "10", "0", member_id, "/127.0.0.1", "tool-check"]
    assert rows[1 - busy][3:6] == ["-", "0", "-"]

    state = tool("--bootstrap-server", b, "--describe", "--group", group, "--state")
    assert state.stdout.split()[-3:] == ["range", "Stable", "1"], state.stdout
    members = tool("--bootstrap-server", b, "--describe", "--group", group, "--members", "--verbose")
    assert member_id in members.stdout and f"{topic_name}(0,1)" in members.stdout, members.stdout

    # Reset is refused while the group is active, then works once it is empty.
    refused = tool("--bootstrap-server", b, "--reset-offsets", "--group", group, "--topic", topic_name,
                   "--to-earliest", "--execute")
    assert "can only be reset if the group" in refused.stdout and "Stable" in refused.stdout
    consumer.close()
    dry = tool("--bootstrap-server", b, "--reset-offsets", "--group", group, "--topic", topic_name, "--shift-by", "-4")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"{group} {topic_name} {busy} 6".split() in [l.split() for l in dry.stdout.splitlines()]
    checker = group_consumer(b, group)
    assert checker.committed([confluent_kafka.TopicPartition(topic_name, busy)], timeout=30)[0].offset == 10, \
        "a dry run changes nothing"
    done = tool("--bootstrap-server", b, "--reset-offsets", "--group", group, "--topic", f"{topic_name}:{busy}",
                "--to-offset", "3", "--execute")
    assert done.returncode == 0, done.stdout + done.stderr
    assert checker.committed([confluent_kafka.TopicPartition(topic_name, busy)], timeout=30)[0].offset == 3
    checker.close()
    # A new member of the group resumes from the reset offset.
    again = group_consumer(b, group)
    again.subscribe([topic_name])
    assert sorted(o for _, o, _ in consume(again, 7)) == list(range(3, 10))
    again.close()

    usage = tool("--bootstrap-server", b)
    assert usage.returncode == 1 and "exactly one action" in usage.stdout + usage.stderr
    deleted = tool("--bootstrap-server", b, "--delete", "--group", group)
    assert deleted.stdout.strip() == f"Deletion of requested consumer groups ('{group}') was successful."
    assert group not in tool("--bootstrap-server", b, "--list").stdout.splitlines()
    # DescribeGroups v6 answers GROUP_ID_NOT_FOUND for it now (older versions: state Dead); both read the same.
    gone = tool("--bootstrap-server", b, "--describe", "--group", group)
    assert f"Error: Consumer group '{group}' does not exist." in gone.stdout, gone.stdout + gone.stderr


def test_console_consumer_reads_as_a_group_member_and_resumes_where_it_stopped(group_node, topic_name):
    b = group_node.bootstrap
    create_topic(b, topic_name, partitions=2)
    values = [f"line-{i}" for i in range(20)]
    produce_values(b, topic_name, values)
    group = f"{topic_name}-g"

    def console(max_messages):
        done = subprocess.run(
            [flotilla_bin(), "console-consumer", "--bootstrap-server", b, "--topic", topic_name, "--group", group,
             "--from-beginning", "--max-messages", str(max_messages), "--timeout-ms", "20000"],
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"Processed a total of {max_messages} messages" in done.stderr
        return done.stdout.splitlines()

    first = console(12)
    checker = group_consumer(b, group)
    committed = checker.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(2)], timeout=30)
    checker.close()
    assert sum(max(tp.offset, 0) for tp in committed) == 12, "what was printed is committed"
    second = console(8)
    assert sorted(first + second) == sorted(values), "the second run starts where the first stopped"
    described = tool("--bootstrap-server", b, "--describe", "--group", group)
    lags = [l.split()[5] for l in described.stdout.splitlines()[2:] if l.strip()]
    assert lags == ["0", "0"], described.stdout


def test_a_static_member_restarting_within_its_session_keeps_its_partitions_without_a_rebalance(group_node,
                                                                                                 topic_name):
    b = group_node.bootstrap
    create_topic(b, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    rebalances = []

    def on_assign(consumer, partitions):
        rebalances.append(sorted(p.partition for p in partitions))

    other = group_consumer(b, group, **{"group.instance.id": "other", "session.timeout.ms": 30_000})
    other.subscribe([topic_name], on_assign=on_assign)
    static = group_consumer(b, group, **{"group.instance.id": "restarts", "session.timeout.ms": 30_000})
    static.subscribe([topic_name])

    def owned(consumer):
        consumer.poll(0.1)
        return {tp.partition for tp in consumer.assignment()}

    wait_for(lambda: len(owned(other)) == 3 and len(owned(static)) == 3, 60, "two static members with three each")
    before = owned(static)
    assignments_seen = len(rebalances)
    # A static member's close() does not leave the group (KIP-345): the restart below takes its place.
    static.close()
    restarted = group_consumer(b, group, **{"group.instance.id": "restarts", "session.timeout.ms": 30_000})
    restarted.subscribe([topic_name])
    wait_for(lambda: owned(restarted) == before, 60, "the restarted member to get its old partitions back")
    for _ in range(20):
        owned(other)
    assert len(rebalances) == assignments_seen, f"the other member was rebalanced: {rebalances}"
    restarted.close()
    other.close()


CRASHING_MEMBER = r"""
import sys, time
import confluent_kafka
c = confluent_kafka.Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[3],
                              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
c.subscribe([sys.argv[2]])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:  # bounded; the test kills it long before
    c.poll(0.1)
    if c.assignment():
        open(sys.argv[4], "w").write("assigned")
"""


def test_a_crashed_member_is_expired_after_its_session_timeout_and_its_partitions_move(group_node, topic_name,
                                                                                        tmp_path):
    b = group_node.bootstrap
    marker = tmp_path / "assigned"
    create_topic(b, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    survivor = group_consumer(b, group, **{"session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    survivor.subscribe([topic_name])
    crasher = subprocess.Popen([sys.executable, "-c", CRASHING_MEMBER, b, topic_name, group, str(marker)])
    try:
        def owned():
            survivor.poll(0.1)
            return {tp.partition for tp in survivor.assignment()}

        # The survivor polls all along: librdkafka completes its rebalances inside poll().
        wait_for(lambda: len(owned()) == PARTITIONS // 2 and marker.exists(), 60,
                 "the two members to share the partitions")
        crasher.kill()  # no LeaveGroup: only the session timeout tells the coordinator
        crasher.wait(timeout=30)
        wait_for(lambda: owned() == set(range(PARTITIONS)), 60, "the survivor to own every partition")
    finally:
        if crasher.poll() is None:
            crasher.kill()
        survivor.close()


# One member process per client library: consumes, commits after each record, and reports what it owns
# and what it processed, until killed.
PYTHON_MEMBERS = {
    "kafka-python": r"""
import json, os, sys, kafka, kafka.errors
bootstrap, topic, group, out = sys.argv[1:5]
c = kafka.KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                        enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500)
seen = []
while True:
    for tp, records in c.poll(timeout_ms=200).items():
        for r in records:
            seen.append([r.partition, r.offset])
            try:
                c.commit({tp: kafka.OffsetAndMetadata(r.offset + 1, None, -1)})
            except kafka.errors.KafkaError:
                pass  # a rebalance is under way; the next record's commit covers this one
    with open(out + ".tmp", "w") as f:
        json.dump({"assignment": sorted(tp.partition for tp in c.assignment()), "seen": seen}, f)
    os.replace(out + ".tmp", out)
""",
    "aiokafka": r"""
import asyncio, json, os, sys, aiokafka, aiokafka.errors
bootstrap, topic, group, out = sys.argv[1:5]
async def main():
    c = aiokafka.AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                  enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500)
    await c.start()
    seen = []
    while True:
        for tp, records in (await c.getmany(timeout_ms=200)).items():
            for r in records:
                seen.append([r.partition, r.offset])
                try:
                    await c.commit({tp: r.offset + 1})
                except aiokafka.errors.KafkaError:
                    pass  # a rebalance is under way; the next record's commit covers this one
        with open(out + ".tmp", "w") as f:
            json.dump({"assignment": sorted(tp.partition for tp in c.assignment()), "seen": seen}, f)
        os.replace(out + ".tmp", out)
asyncio.run(main())
""",
}


@pytest.mark.parametrize("library", sorted(PYTHON_MEMBERS))
def test_python_client_members_survive_a_crashed_member_and_commit_every_record(group_node, topic_name, tmp_path,
                                                                               library):
    b = group_node.bootstrap
    create_topic(b, topic_name, partitions=PARTITIONS)
    acked = produce_values(b, topic_name, [f"p{i}" for i in range(300)])
    group = f"{topic_name}-g"
    outs = [tmp_path / f"member-{i}.json" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-c", PYTHON_MEMBERS[library], b, topic_name, group, str(o)])
             for o in outs]
    try:
        def states(indexes):
            try:
                return [json.loads(outs[i].read_text()) for i in indexes]
            except (FileNotFoundError, json.JSONDecodeError):
                return None

        def owns(indexes, sizes):
            s = states(indexes)
            parts = [set(m["assignment"]) for m in s] if s else None
            return parts is not None and sorted(len(p) for p in parts) == sizes \
                and set().union(*parts) == set(range(PARTITIONS))

        wait_for(lambda: owns([0, 1], [3, 3]), 90, f"two {library} members with three partitions each")
        procs[0].kill()  # no LeaveGroup: only the session timeout tells the coordinator
        procs[0].wait(timeout=30)
        wait_for(lambda: owns([1], [6]), 60, f"the surviving {library} member to own every partition")
        more = produce_values(b, topic_name, [f"q{i}" for i in range(60)])
        wanted = {(p, o) for p, o, _, _ in acked + more}
        wait_for(lambda: wanted <= {tuple(r) for m in states([0, 1]) or [] for r in m["seen"]}, 90,
                 "every record processed by one member or the other")
        ends = {p: max(o for q, o in wanted if q == p) + 1 for p in range(PARTITIONS)}

        def committed():
            checker = group_consumer(b, group)
            try:
                got = checker.committed([confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)],
                                        timeout=30)
                return {tp.partition: tp.offset for tp in got}
            finally:
                checker.close()

        wait_for(lambda: committed() == ends, 60, "the group's commits at the end of every partition")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)


def test_offsets_expire_after_offsets_retention_minutes_except_a_live_groups(tmp_path, topic_name):
    # One minute is the shortest retention Kafka's config allows; the check runs every half second.
    node = Node(tmp_path, extra_config=FAST_GROUPS + "offsets.retention.minutes=1\n"
                "offsets.retention.check.interval.ms=500\n")
    try:
        node.start()
        b = node.bootstrap
        create_topic(b, topic_name, partitions=PARTITIONS)
        produce_values(b, topic_name, [f"e-{i}" for i in range(60)])
        everything = [confluent_kafka.TopicPartition(topic_name, p) for p in range(PARTITIONS)]

        def committed(group):
            checker = group_consumer(node.bootstrap, group)
            try:
                return {tp.partition: tp.offset for tp in checker.committed(everything, timeout=30)}
            finally:
                checker.close()

        # A standalone committer (assign(), no membership) and a group whose member left: both expire.
        standalone = f"{topic_name}-standalone"
        c = group_consumer(b, standalone)
        c.commit(offsets=[confluent_kafka.TopicPartition(topic_name, p, 5) for p in range(PARTITIONS)],
                 asynchronous=False)
        c.close()
        emptied = f"{topic_name}-emptied"
        c = group_consumer(b, emptied)
        c.subscribe([topic_name])
        consume(c, 60)
        c.commit(asynchronous=False)
        c.close()
        # A live group subscribed to the topic keeps its offsets however old they are.
        live_group = f"{topic_name}-live"
        live = group_consumer(b, live_group)
        live.subscribe([topic_name])
        consume(live, 60)
        live.commit(asynchronous=False)
        kept = committed(live_group)
        assert sum(kept.values()) == 60
        assert set(committed(standalone).values()) == {5}

        none = {p: confluent_kafka.OFFSET_INVALID for p in range(PARTITIONS)}
        wait_for(lambda: committed(standalone) == none and committed(emptied) == none, 120,
                 "the standalone and the emptied group's offsets to expire")
        live.poll(0.1)
        assert committed(live_group) == kept
        live.close()
        # The expiry was written (tombstones): a restarted coordinator does not bring the offsets back.
        node.kill9()
        node.start()
        assert wait_for(lambda: committed(standalone) == none and committed(emptied) == none, 60,
                        "the expired offsets to stay expired after a restart")
    finally:
        node.stop()
