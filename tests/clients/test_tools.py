"""The operator tools of the `flotilla` binary against the real node, cross-checked with independent clients:
each tool's happy path and its main error."""

import subprocess

from clients import create_topic, produce_confluent, read_confluent
from conftest import flotilla_bin


def tool(*args, stdin=None, timeout=120):
    return subprocess.run([flotilla_bin(), *args], input=stdin, capture_output=True, timeout=timeout)


def ok(result):
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_topics_create_describe_alter_list_delete(node, topic_name):
    b = node.bootstrap
    assert f"Created topic {topic_name}." in ok(tool("topics", "--bootstrap-server", b, "--create", "--topic",
                                                     topic_name, "--partitions", "2", "--config",
                                                     "retention.ms=60000"))
    described = ok(tool("topics", "--bootstrap-server", b, "--describe", "--topic", topic_name))
    first, *partitions = described.strip().splitlines()
    assert first.startswith(f"Topic: {topic_name}\tTopicId: ")
    assert "\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=60000" in first
    assert partitions[0].strip() == f"Topic: {topic_name}\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1" \
        "\tElr: N/A\tLastKnownElr: N/A"
    ok(tool("topics", "--bootstrap-server", b, "--alter", "--topic", topic_name, "--partitions", "4"))
    # librdkafka sees the new partitions.
    import confluent_kafka.admin
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": b})
    assert len(admin.list_topics(topic_name, timeout=30).topics[topic_name].partitions) == 4

    shrink = tool("topics", "--bootstrap-server", b, "--alter", "--topic", topic_name, "--partitions", "1")
    assert shrink.returncode != 0
    assert b"InvalidPartitionsException" in shrink.stdout + shrink.stderr

    again = tool("topics", "--bootstrap-server", b, "--create", "--topic", topic_name)
    assert again.returncode != 0
    assert f"Topic '{topic_name}' already exists.".encode() in again.stdout + again.stderr
    assert ok(tool("topics", "--bootstrap-server", b, "--create", "--if-not-exists", "--topic", topic_name)) == ""

    assert topic_name in ok(tool("topics", "--bootstrap-server", b, "--list")).splitlines()
    ok(tool("topics", "--bootstrap-server", b, "--delete", "--topic", topic_name))
    assert topic_name not in ok(tool("topics", "--bootstrap-server", b, "--list")).splitlines()
    missing = tool("topics", "--bootstrap-server", b, "--describe", "--topic", topic_name)
    assert missing.returncode != 0
    assert f"Topic '{topic_name}' does not exist as expected".encode() in missing.stdout + missing.stderr


def test_console_producer_writes_what_librdkafka_reads(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=1)
    lines = "".join(f"user{i % 3}:balance={i}\n" for i in range(50))
    ok(tool("console-producer", "--bootstrap-server", node.bootstrap, "--topic", topic_name, "--property",
            "parse.key=true", "--property", "key.separator=:", "--producer-property", "acks=all",
            stdin=lines.encode()))
    seen = sorted(read_confluent(node.bootstrap, topic_name, [0], 50), key=lambda r: r[1])
    assert [(r[2], r[3]) for r in seen] == [(f"user{i % 3}".encode(), f"balance={i}".encode()) for i in range(50)]

    # The legacy flag works too.
    ok(tool("console-producer", "--broker-list", node.bootstrap, "--topic", topic_name, stdin=b"plain\n"))
    assert read_confluent(node.bootstrap, topic_name, [0], 51)[-1][3] == b"plain"


def test_console_consumer_reads_what_librdkafka_wrote(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=1)
    produce_confluent(node.bootstrap, topic_name, [(f"k{i}".encode(), f"v{i}".encode(), None, 1000 + i)
                                                   for i in range(10)])
    out = ok(tool("console-consumer", "--bootstrap-server", node.bootstrap, "--topic", topic_name,
                  "--from-beginning", "--max-messages", "10", "--property", "print.key=true", "--property",
                  "key.separator=-", "--property", "print.offset=true", "--property", "print.partition=true",
                  "--property", "print.timestamp=true"))
    lines = out.strip().splitlines()
    # Kafka's formatter puts key.separator between every printed column.
    assert lines[0] == "CreateTime:1000-Partition:0-Offset:0-k0-v0"
    assert len(lines) == 10
    out = ok(tool("console-consumer", "--bootstrap-server", node.bootstrap, "--topic", topic_name,
                  "--partition", "0", "--offset", "7", "--max-messages", "3"))
    assert out.strip().splitlines() == ["v7", "v8", "v9"]


def test_get_offsets_and_broker_api_versions(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=2)
    produce_confluent(node.bootstrap, topic_name, [(None, b"a")] * 5, partitioner="random")
    out = ok(tool("get-offsets", "--bootstrap-server", node.bootstrap, "--topic", topic_name))
    offsets = dict(line.rsplit(":", 1) for line in out.strip().splitlines())
    assert set(offsets) == {f"{topic_name}:0", f"{topic_name}:1"}
    assert sum(int(v) for v in offsets.values()) == 5

    out = ok(tool("broker-api-versions", "--bootstrap-server", node.bootstrap))
    assert out.startswith(f"127.0.0.1:{node.port} (id: 1 rack: null isFenced: false) -> (")
    assert "Produce(0): 0 to 13 [usable: 13]" in out
    assert "Fetch(1): 4 to 18 [usable: 18]" in out


def test_perf_tools_print_kafkas_summary_lines(node, topic_name):
    out = ok(tool("producer-perf-test", "--topic", topic_name, "--num-records", "20000", "--record-size", "100",
                  "--throughput", "-1", "--producer-props", f"bootstrap.servers={node.bootstrap}", "acks=all"))
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("20000 records sent, ")
    for part in ("records/sec", "MB/sec)", "ms avg latency", "ms max latency", "ms 50th", "ms 95th", "ms 99th",
                 "ms 99.9th."):
        assert part in summary, summary

    out = ok(tool("consumer-perf-test", "--bootstrap-server", node.bootstrap, "--topic", topic_name,
                  "--messages", "20000", "--timeout", "60000"))
    header, row = out.strip().splitlines()[-2:]
    assert header.startswith("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec")
    assert row.split(", ")[4] == "20000"


def test_tools_fail_clearly_without_a_broker_or_with_bad_flags(node, topic_name):
    nobody = "127.0.0.1:1"
    for args in (
        ("topics", "--bootstrap-server", nobody, "--list"),
        ("broker-api-versions", "--bootstrap-server", nobody),
        ("get-offsets", "--bootstrap-server", nobody, "--topic", "t"),
    ):
        result = tool(*args, timeout=120)
        assert result.returncode != 0, args
        assert result.stderr.strip(), f"{args}: no message"

    bad = tool("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", topic_name,
               "--partitions", "many")
    assert bad.returncode != 0 and b"many" in bad.stderr
    zk = tool("topics", "--zookeeper", "localhost:2181", "--list")
    assert zk.returncode != 0 and b"--bootstrap-server" in zk.stderr

    unknown = tool("console-consumer", "--bootstrap-server", node.bootstrap, "--topic", topic_name + "-none",
                   "--partition", "0", "--offset", "0", "--max-messages", "1", "--timeout-ms", "3000")
    assert unknown.returncode != 0 or b"Processed a total of 0 messages" in unknown.stderr
