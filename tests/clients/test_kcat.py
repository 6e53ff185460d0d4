"""kcat (Debian's, on Debian's librdkafka): metadata, keyed produce in each codec, consume with a format."""

import shutil
import subprocess

import pytest

from clients import create_topic, read_kafka_python

KCAT = shutil.which("kcat") or shutil.which("kafkacat")


def kcat(*args, stdin=None, timeout=60):
    assert KCAT, "kcat is not installed (tests/run-all.sh installs it from Debian)"
    return subprocess.run([KCAT, *args], input=stdin, capture_output=True, timeout=timeout)


def test_kcat_lists_the_broker_and_topics(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=2)
    out = kcat("-b", node.bootstrap, "-L", "-t", topic_name)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "1 brokers:" in text
    assert f"broker 1 at 127.0.0.1:{node.port}" in text
    assert f'topic "{topic_name}" with 2 partitions:' in text
    assert "partition 0, leader 1, replicas: 1, isrs: 1" in text


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_kcat_produces_keyed_records_and_reads_them_back(node, topic_name, codec):
    create_topic(node.bootstrap, topic_name, partitions=3)
    lines = [f"user-{i % 7}:event-{i}" for i in range(200)]
    out = kcat("-b", node.bootstrap, "-P", "-t", topic_name, "-K", ":", "-z", codec, "-X", "acks=all",
               stdin=("\n".join(lines) + "\n").encode())
    assert out.returncode == 0, out.stderr

    out = kcat("-b", node.bootstrap, "-C", "-t", topic_name, "-o", "beginning", "-e", "-f", "%k|%s|%p|%o\\n")
    assert out.returncode == 0, out.stderr
    rows = [line.split("|") for line in out.stdout.decode().splitlines()]
    assert sorted(f"{k}:{v}" for k, v, _, _ in rows) == sorted(lines)
    partition_of = {}
    for k, v, p, _ in rows:
        assert partition_of.setdefault(k, p) == p, "a key moved partitions"
    # Another client reads the same records at the same offsets.
    seen = read_kafka_python(node.bootstrap, topic_name, range(3), 200)
    assert sorted((str(r[0]), str(r[1]), r[2].decode(), r[3].decode()) for r in seen) == \
        sorted((p, o, k, v) for k, v, p, o in rows)


def test_kcat_reports_an_unknown_partition(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=1)
    out = kcat("-b", node.bootstrap, "-C", "-t", topic_name, "-p", "5", "-o", "beginning", "-e", timeout=60)
    assert out.returncode != 0
    assert b"partition 5 does not exist" in out.stderr, out.stderr
