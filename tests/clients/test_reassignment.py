"""`flotilla reassign-partitions` on a three-node cluster of real `flotilla server` processes: every partition
of a replication-factor-2 topic moves one replica to the third broker while confluent-kafka produces with
acks=all; nothing acknowledged is lost, every broker ends with the target replicas in the ISR, and the
removed replicas' logs are deleted."""

import json
import subprocess

import pytest

from clients import create_topic
from cluster import Cluster
from conftest import flotilla_bin, wait_for
from test_cluster import PARTITIONS, Load, check_nothing_lost, replicas_of

ALL = {1, 2, 3}


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path).start()
    yield c
    c.stop()


def reassign(node, *args):
    return subprocess.run([flotilla_bin(), "reassign-partitions", "--bootstrap-server", node.bootstrap, *args],
                          capture_output=True, text=True, timeout=60)


def reassignment_json(assignment: dict, topic: str) -> str:
    return json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": p, "replicas": list(r)} for p, r in sorted(assignment.items())]})


def settled(cluster: Cluster, topic: str, expected: dict):
    """Every running broker reports `expected[p]` as the replicas of each partition, all in the ISR."""
    def check():
        for node in cluster.running():
            view = cluster.view(node, topic)
            if view is None or replicas_of(node, topic) != expected:
                return None
            if any(set(isr) != set(expected[p]) for p, (_leader, isr) in view.items()):
                return None
        return True
    return check


def test_reassignment_moves_replicas_under_acks_all_load_and_loses_nothing(cluster, topic_name, tmp_path):
    create_topic(cluster.bootstrap, topic_name, partitions=PARTITIONS, replication_factor=2)
    before = wait_for(lambda: (lambda r: r if len(r) == PARTITIONS else None)(replicas_of(cluster.node(1), topic_name)),
                      30, "the topic's replicas")
    wait_for(settled(cluster, topic_name, before), 60, "both replicas of every partition in the ISR everywhere")
    # Each partition moves its second replica to the broker it is not on, which becomes the preferred leader.
    target = {p: ((ALL - set(r)).pop(), r[0]) for p, r in before.items()}
    plan = tmp_path / "reassignment.json"
    plan.write_text(reassignment_json(target, topic_name))

    load = Load(cluster.bootstrap, topic_name).start()
    load.wait_for_more(300, "before the reassignment")
    out = reassign(cluster.node(2), "--execute", "--reassignment-json-file", str(plan))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Current partition replica assignment" and lines[1] == "", out.stdout
    rollback = json.loads(lines[2])
    assert {p["partition"]: tuple(p["replicas"]) for p in rollback["partitions"]} == before
    assert all(p["log_dirs"] == ["any", "any"] for p in rollback["partitions"])
    assert lines[4] == "Save this to use as the --reassignment-json-file option during rollback", out.stdout
    assert lines[5] == "Successfully started partition reassignments for " + ",".join(
        f"{topic_name}-{p}" for p in range(PARTITIONS)), out.stdout

    listed = reassign(cluster.node(3), "--list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout in ("No partition reassignments found.\n",) or listed.stdout.startswith(
        "Current partition reassignments:\n"), listed.stdout

    def verified():
        v = reassign(cluster.node(1), "--verify", "--reassignment-json-file", str(plan))
        assert v.returncode == 0, v.stdout + v.stderr
        done = [f"Reassignment of partition {topic_name}-{p} is completed." for p in range(PARTITIONS)]
        # As Kafka: the (empty) log dir move report, then the throttles cleared once nothing is moving.
        return v.stdout.splitlines() == ["Status of partition reassignment:", *done, "",
                                         "Clearing broker-level throttles on brokers 1,2,3",
                                         f"Clearing topic-level throttles on topic {topic_name}"]
    wait_for(verified, 90, "--verify to report every reassignment completed", interval_s=0.5)
    load.wait_for_more(300, "after the reassignment")
    acked, failed, _ = load.finish()
    assert not failed, failed[:5]
    check_nothing_lost(cluster, topic_name, acked, load.acked_unplaced)

    wait_for(settled(cluster, topic_name, target), 60, "the target replicas everywhere, all in the ISR")
    assert reassign(cluster.node(1), "--list").stdout == "No partition reassignments found.\n"
    # The replica each partition left is deleted from that broker's disk; the others keep theirs.
    for p, replicas in before.items():
        removed = cluster.node(replicas[1]).data / f"{topic_name}-{p}"
        wait_for(lambda: not removed.exists(), 30, f"{removed} deleted")
        for kept in target[p]:
            assert (cluster.node(kept).data / f"{topic_name}-{p}").is_dir()

    cancelled = reassign(cluster.node(1), "--cancel", "--reassignment-json-file", str(plan))
    assert (cancelled.returncode, cancelled.stdout) == (
        0, "None of the specified partition reassignments are active.\n"
           "None of the specified partition moves are active.Clearing broker-level throttles on brokers 1,2,3\n"
           f"Clearing topic-level throttles on topic {topic_name}\n")
    kept = reassign(cluster.node(1), "--cancel", "--preserve-throttles", "--reassignment-json-file", str(plan))
    assert (kept.returncode, kept.stdout) == (0, "None of the specified partition reassignments are active.\n"
                                                 "None of the specified partition moves are active.")


def test_reassignment_refuses_bad_plans_and_changes_nothing(cluster, topic_name, tmp_path):
    create_topic(cluster.bootstrap, topic_name, partitions=1, replication_factor=2)
    before = wait_for(lambda: replicas_of(cluster.node(1), topic_name) or None, 30, "the topic's replicas")
    plan = tmp_path / "bad.json"
    plan.write_text(reassignment_json({0: (1, 9)}, topic_name))
    out = reassign(cluster.node(1), "--execute", "--reassignment-json-file", str(plan))
    assert out.returncode == 1 and "Unknown broker id 9" in out.stderr, out.stdout + out.stderr
    plan.write_text(reassignment_json({0: (2, 2)}, topic_name))
    out = reassign(cluster.node(1), "--execute", "--reassignment-json-file", str(plan))
    assert out.returncode == 1
    assert f"{topic_name}-0 contains multiple entries for 2" in out.stderr, out.stderr
    plan.write_text(reassignment_json({7: (1, 2)}, topic_name))
    out = reassign(cluster.node(1), "--execute", "--reassignment-json-file", str(plan))
    assert out.returncode == 1 and "UnknownTopicOrPartition" in out.stderr, out.stdout + out.stderr
    usage = reassign(cluster.node(1), "--verify")
    assert usage.returncode == 1 and 'Missing required argument "[reassignment-json-file]"' in usage.stderr
    assert replicas_of(cluster.node(1), topic_name) == before

    topics = tmp_path / "topics.json"
    topics.write_text(json.dumps({"topics": [{"topic": topic_name}], "version": 1}))
    gen = reassign(cluster.node(1), "--generate", "--topics-to-move-json-file", str(topics), "--broker-list", "2,3")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    lines = gen.stdout.splitlines()
    assert lines[0] == "Current partition replica assignment" and lines[3] == "Proposed partition reassignment configuration"
    current, proposed = json.loads(lines[1]), json.loads(lines[4])
    assert tuple(current["partitions"][0]["replicas"]) == before[0]
    assert sorted(proposed["partitions"][0]["replicas"]) == [2, 3]
