"""The consumer group protocol of KIP-848 (Kafka 4's default) through librdkafka with
`group.protocol=consumer`: the coordinator assigns partitions with its server-side assignors (uniform,
range), members join, leave and crash, subscribe by pattern, commit with their member epoch and resume from
their commits (the coordinator's kill is in test_groups_cluster.py). The admin API and the
consumer-groups tool see the groups as Kafka shows them (type "consumer", ConsumerGroupDescribe)."""

import json
import signal
import subprocess
import sys

import confluent_kafka
import confluent_kafka.admin
import pytest

import kafka_wire
from clients import create_topic, produce_confluent
from conftest import Node, flotilla_bin, wait_for

PARTITIONS = 6
# Heartbeats every 500 ms (Kafka's default is 5 s) so that a rebalance takes a few seconds here; a member
# that stops heartbeating is fenced after 6 s.
CONSUMER_GROUPS = "group.consumer.heartbeat.interval.ms=500\ngroup.consumer.session.timeout.ms=6000\n"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    n = Node(tmp_path_factory.mktemp("consumer-protocol"), extra_config=CONSUMER_GROUPS).start()
    yield n
    n.stop()


def member(bootstrap: str, group: str, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.protocol": "consumer",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    conf.update(extra)
    return confluent_kafka.Consumer(conf)


def assigned(consumer) -> set[int]:
    msg = consumer.poll(0.2)
    assert msg is None or msg.error() is None or msg.error().code() == confluent_kafka.KafkaError._PARTITION_EOF, \
        f"consumer error: {msg.error()}"
    return {tp.partition for tp in consumer.assignment()}


def produce_values(bootstrap, topic, values):
    return produce_confluent(bootstrap, topic, [(v.encode(), v.encode()) for v in values])


def test_members_split_the_partitions_and_take_them_back_when_one_leaves(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    a, b = member(node.bootstrap, group), member(node.bootstrap, group)
    a.subscribe([topic_name])
    wait_for(lambda: assigned(a) == set(range(PARTITIONS)), 60, "a alone to own every partition")
    b.subscribe([topic_name])

    def split():
        pa, pb = assigned(a), assigned(b)
        return len(pa) == 3 and len(pb) == 3 and pa | pb == set(range(PARTITIONS))

    wait_for(split, 60, "a and b to split the six partitions (uniform)")
    b.close()
    wait_for(lambda: assigned(a) == set(range(PARTITIONS)), 60, "a to take every partition back after b left")
    a.close()


def test_the_range_assignor_gives_contiguous_ranges(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    consumers = [member(node.bootstrap, group, **{"group.remote.assignor": "range"}) for _ in range(2)]
    for c in consumers:
        c.subscribe([topic_name])

    def ranges():
        parts = sorted((sorted(assigned(c)) for c in consumers), key=lambda p: p[:1])
        return parts if parts == [[0, 1, 2], [3, 4, 5]] else None

    wait_for(ranges, 60, "two members with partitions 0-2 and 3-5")
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": node.bootstrap})
    described = admin.describe_consumer_groups([group])[group].result(timeout=30)
    assert described.type == confluent_kafka.ConsumerGroupType.CONSUMER
    assert described.partition_assignor == "range"
    for c in consumers:
        c.close()


MEMBER_SCRIPT = r"""
import json, os, sys, time
import confluent_kafka
bootstrap, topic, group, out, stop = sys.argv[1:6]
c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": "consumer",
                              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
seen = []
deadline = time.monotonic() + 150
while not os.path.exists(stop) and time.monotonic() < deadline:
    msg = c.poll(0.2)
    if msg is not None and msg.error() is None:
        seen.append([msg.partition(), msg.offset()])
        # At least once: commit after processing, with the member epoch librdkafka holds.
        c.commit(message=msg, asynchronous=False)
    with open(out + ".tmp", "w") as f:
        json.dump({"assignment": sorted(tp.partition for tp in c.assignment()), "seen": seen}, f)
    os.replace(out + ".tmp", out)
c.close()
"""


def spawn_members(node, topic, group, tmp_path, count):
    stop = tmp_path / "stop"
    outs = [tmp_path / f"member-{i}.json" for i in range(count)]
    procs = [
        subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, node.bootstrap, topic, group, str(o), str(stop)])
        for o in outs
    ]
    return stop, outs, procs


def read_states(outs):
    try:
        return [json.loads(o.read_text()) for o in outs]
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def committed_offsets(bootstrap, group, topic):
    checker = member(bootstrap, group)
    try:
        got = checker.committed([confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
        return {tp.partition: tp.offset for tp in got}
    finally:
        checker.close()


def test_three_member_processes_split_six_partitions_and_a_crashed_ones_move(node, topic_name, tmp_path):
    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    acked = produce_values(node.bootstrap, topic_name, [f"v{i}" for i in range(600)])
    group = f"{topic_name}-g"
    stop, outs, procs = spawn_members(node, topic_name, group, tmp_path, 3)
    try:
        def settled(live):
            s = read_states([outs[i] for i in live])
            if s is None:
                return None
            parts = [set(m["assignment"]) for m in s]
            disjoint = sum(len(p) for p in parts) == PARTITIONS and set().union(*parts) == set(range(PARTITIONS))
            balanced = max(len(p) for p in parts) - min(len(p) for p in parts) <= 1
            return s if disjoint and balanced else None

        wait_for(lambda: settled([0, 1, 2]), 120, "three members with two partitions each")
        # Every record processed once the group is whole.
        wait_for(lambda: len({tuple(r) for m in read_states(outs) or [] for r in m["seen"]}) >= len(acked), 120,
                 "the group to process every record")
        # A member crashes: after the session timeout the other two own everything.
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait(timeout=30)
        wait_for(lambda: settled([1, 2]), 60, "the two survivors to own all six partitions")
        more = produce_values(node.bootstrap, topic_name, [f"w{i}" for i in range(120)])
        wanted = {(p, o) for p, o, _, _ in acked + more}

        def all_seen():
            s = read_states(outs)
            return s is not None and wanted <= {tuple(r) for m in s for r in m["seen"]}

        wait_for(all_seen, 120, "every record, also those after the crash, to be processed")
    finally:
        stop.write_text("stop")
        for p in procs:
            p.wait(timeout=60)
    ends = {p: max(o for q, o, _, _ in acked + more if q == p) + 1 for p in range(PARTITIONS)}
    assert committed_offsets(node.bootstrap, group, topic_name) == ends


def test_the_admin_api_lists_and_describes_consumer_protocol_groups(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    a = member(node.bootstrap, group, **{"client.id": "described-member"})
    a.subscribe([topic_name])
    wait_for(lambda: assigned(a) == set(range(PARTITIONS)), 60, "the member to own every partition")
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": node.bootstrap})

    def listed():
        groups = admin.list_consumer_groups(
            types={confluent_kafka.ConsumerGroupType.CONSUMER}).result(timeout=30).valid
        return [g for g in groups if g.group_id == group]

    found = wait_for(listed, 30, "the group in ListGroups")
    assert found[0].type == confluent_kafka.ConsumerGroupType.CONSUMER
    assert found[0].state == confluent_kafka.ConsumerGroupState.STABLE
    classic_only = admin.list_consumer_groups(types={confluent_kafka.ConsumerGroupType.CLASSIC}).result(timeout=30)
    assert group not in {g.group_id for g in classic_only.valid}

    described = admin.describe_consumer_groups([group])[group].result(timeout=30)
    assert described.type == confluent_kafka.ConsumerGroupType.CONSUMER
    assert described.state == confluent_kafka.ConsumerGroupState.STABLE
    assert described.partition_assignor == "uniform"
    [m] = described.members
    assert m.client_id == "described-member"
    assert {tp.partition for tp in m.assignment.topic_partitions} == set(range(PARTITIONS))
    assert {tp.topic for tp in m.assignment.topic_partitions} == {topic_name}

    # The consumer-groups tool sees the same member and assignment.
    tool = [flotilla_bin(), "consumer-groups", "--bootstrap-server", node.bootstrap]
    names = subprocess.run([*tool, "--list"], capture_output=True, text=True, timeout=120)
    assert group in names.stdout.splitlines(), names.stdout + names.stderr
    state = subprocess.run([*tool, "--describe", "--group", group, "--state"], capture_output=True, text=True,
                           timeout=120)
    assert state.stdout.split()[-3:] == ["uniform", "Stable", "1"], state.stdout + state.stderr
    members = subprocess.run([*tool, "--describe", "--group", group, "--members", "--verbose"],
                             capture_output=True, text=True, timeout=120)
    assert m.member_id in members.stdout and f"{topic_name}(0,1,2,3,4,5)" in members.stdout, members.stdout
    offsets = subprocess.run([*tool, "--describe", "--group", group], capture_output=True, text=True, timeout=120)
    rows = [line.split() for line in offsets.stdout.splitlines() if line.split()[:1] == [group]]
    assert sorted(int(r[2]) for r in rows) == list(range(PARTITIONS)), offsets.stdout
    assert all(r[6] == m.member_id and r[8] == "described-member" for r in rows), offsets.stdout

    # A live consumer-protocol group cannot be deleted; once its member left, it can.
    [deleted] = admin.delete_consumer_groups([group]).values()
    with pytest.raises(confluent_kafka.KafkaException) as refused:
        deleted.result(timeout=30)
    assert refused.value.args[0].code() == confluent_kafka.KafkaError.NON_EMPTY_GROUP
    a.close()
    wait_for(lambda: not listed() or listed()[0].state == confluent_kafka.ConsumerGroupState.EMPTY, 30,
             "the group to be empty after its member left")
    [deleted] = admin.delete_consumer_groups([group]).values()
    deleted.result(timeout=30)


def test_a_pattern_subscription_takes_topics_created_later(node, topic_name):
    first, second = f"{topic_name}-a", f"{topic_name}-b"
    create_topic(node.bootstrap, first, partitions=2)
    group = f"{topic_name}-g"
    c = member(node.bootstrap, group, **{"topic.metadata.refresh.interval.ms": 1000})
    c.subscribe([f"^{topic_name}-.*"])

    def owned():
        c.poll(0.2)
        return {(tp.topic, tp.partition) for tp in c.assignment()}

    wait_for(lambda: owned() == {(first, 0), (first, 1)}, 60, "the member to own the matching topic")
    create_topic(node.bootstrap, second, partitions=3)
    wait_for(lambda: owned() == {(first, 0), (first, 1), (second, 0), (second, 1), (second, 2)}, 60,
             "the member to own the topic created later too")
    c.close()


def test_a_static_member_restarting_within_its_session_keeps_its_partitions(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    a = member(node.bootstrap, group, **{"group.instance.id": "instance-a"})
    b = member(node.bootstrap, group, **{"group.instance.id": "instance-b"})
    a.subscribe([topic_name])
    b.subscribe([topic_name])

    def split():
        pa, pb = assigned(a), assigned(b)
        return (pa, pb) if len(pa) == 3 and len(pb) == 3 and pa | pb == set(range(PARTITIONS)) else None

    owned_a, owned_b = wait_for(split, 60, "a and b to split the six partitions")
    # a stops (a static member's leave keeps its place) and a new process with its instance id comes back.
    a.close()
    back = member(node.bootstrap, group, **{"group.instance.id": "instance-a"})
    back.subscribe([topic_name])
    wait_for(lambda: assigned(back) == owned_a, 60, "the returning member to get a's partitions back")
    # b never gave anything up: there was no rebalance.
    for _ in range(10):
        assert assigned(b) == owned_b
    # A second live member with the same instance id is refused (UNRELEASED_INSTANCE_ID, fatal to it).
    duplicate = member(node.bootstrap, group, **{"group.instance.id": "instance-a"})
    duplicate.subscribe([topic_name])

    def refused():
        msg = duplicate.poll(0.2)
        error = msg.error() if msg is not None else None
        return error is not None and error.code() == confluent_kafka.KafkaError._FATAL \
            and "instance ID is still used" in error.str()

    wait_for(refused, 30, "the duplicate instance to be refused")
    assert assigned(back) == owned_a and assigned(b) == owned_b
    for c in (back, b, duplicate):
        c.close()


def test_a_classic_member_cannot_join_a_live_consumer_protocol_group(node, topic_name):
    from test_groups import join_group_v1, parse_join_group_v1

    create_topic(node.bootstrap, topic_name, partitions=PARTITIONS)
    group = f"{topic_name}-g"
    c = member(node.bootstrap, group)
    c.subscribe([topic_name])
    wait_for(lambda: assigned(c) == set(range(PARTITIONS)), 60, "the member to own every partition")
    conn = kafka_wire.Connection(node.port, timeout_s=30)
    try:
        code, *_ = parse_join_group_v1(conn.call(11, 1, join_group_v1(group)))
        assert code == 23, "INCONSISTENT_GROUP_PROTOCOL, as Kafka with migration disabled"
    finally:
        conn.close()
    assert assigned(c) == set(range(PARTITIONS))
    c.close()
