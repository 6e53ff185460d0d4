"""Records written by one independent client and read back by all three: codecs, keys and order, headers and
timestamps, auto-creation, and the size limit."""

import collections
import time

import confluent_kafka
import confluent_kafka.admin
import pytest

from clients import (create_topic, produce_aiokafka, produce_confluent, produce_kafka_python, read_aiokafka,
                     read_confluent, read_kafka_python)

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
READERS = {"confluent-kafka": read_confluent, "kafka-python": read_kafka_python, "aiokafka": read_aiokafka}


def records(n: int):
    # Compressible values with a varying part, so every codec has something to do.
    return [(f"key-{i % 17}".encode(), (f"value-{i:06d}-" + "x" * (i % 200)).encode()) for i in range(n)]


def as_stored(rows):
    """(partition, offset, key, value) from reader rows."""
    return sorted((r[0], r[1], r[2], r[3]) for r in rows)


@pytest.mark.parametrize("codec", CODECS)
def test_librdkafka_batches_in_every_codec_read_back_by_every_client(node, topic_name, codec):
    create_topic(node.bootstrap, topic_name)
    acked = produce_confluent(node.bootstrap, topic_name, records(1000), compression_type=codec, batch_size=16384)
    assert len(acked) == 1000
    for name, read in READERS.items():
        seen = read(node.bootstrap, topic_name, range(3), 1000)
        assert as_stored(seen) == sorted(acked), f"{name} read something else than was acknowledged ({codec})"


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_and_aiokafka_batches_in_every_codec(node, topic_name, codec):
    create_topic(node.bootstrap, topic_name)
    kp_codec = None if codec == "none" else codec
    acked = produce_kafka_python(node.bootstrap, topic_name, records(300), compression_type=kp_codec)
    acked += produce_aiokafka(node.bootstrap, topic_name, records(300), compression_type=kp_codec)
    # Offsets are per partition and unique: two producers never got the same one.
    assert len({(p, o) for p, o, _, _ in acked}) == 600
    seen = read_confluent(node.bootstrap, topic_name, range(3), 600)
    assert as_stored(seen) == sorted(acked)


def test_keys_keep_their_partition_and_their_order(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=6)
    keys = [f"account-{k}".encode() for k in range(40)]
    sent = [(keys[i % 40], f"{i // 40}".encode()) for i in range(4000)]
    acked = produce_confluent(node.bootstrap, topic_name, sent, linger_ms=2)
    partition_of = {}
    for partition, _, key, _ in acked:
        assert partition_of.setdefault(key, partition) == partition, f"{key} landed on two partitions"
    # Several partitions are used (murmur2 over 40 keys).
    assert len(set(partition_of.values())) > 1

    for name, read in READERS.items():
        seen = read(node.bootstrap, topic_name, range(6), 4000)
        assert len(seen) == 4000, name
        by_key = collections.defaultdict(list)
        for partition, offset, key, value, _, _ in sorted(seen, key=lambda r: (r[0], r[1])):
            assert partition == partition_of[key], name
            by_key[key].append(int(value))
        for key, seqs in by_key.items():
            assert seqs == list(range(100)), f"{name}: {key} out of order"


def test_headers_and_timestamps_round_trip(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=1)
    base_ts = 1_600_000_000_000
    sent = [
        (b"k0", b"v0", [("trace-id", b"abc"), ("empty", b""), ("dup", b"1"), ("dup", b"2")], base_ts),
        (b"k1", b"v1", [("only", b"\x00\xff")], base_ts + 1234),
        (None, b"v2", None, base_ts + 99_999),
    ]
    produce_confluent(node.bootstrap, topic_name, sent)
    produce_kafka_python(node.bootstrap, topic_name, [(b"k3", b"v3", [("from", b"kafka-python")])])

    for name, read in READERS.items():
        seen = sorted(read(node.bootstrap, topic_name, [0], 4), key=lambda r: r[1])
        assert [r[3] for r in seen] == [b"v0", b"v1", b"v2", b"v3"], name
        assert [r[2] for r in seen] == [b"k0", b"k1", None, b"k3"], name
        assert seen[0][4] == [("trace-id", b"abc"), ("empty", b""), ("dup", b"1"), ("dup", b"2")], name
        assert seen[1][4] == [("only", b"\x00\xff")], name
        assert seen[2][4] == [], name
        assert seen[3][4] == [("from", b"kafka-python")], name
        assert [r[5] for r in seen[:3]] == [base_ts, base_ts + 1234, base_ts + 99_999], name
        # The last record's timestamp was set by kafka-python at send time.
        assert abs(seen[3][5] - time.time() * 1000) < 600_000, name


def test_producing_to_an_unknown_topic_creates_it(node, topic_name):
    acked = produce_confluent(node.bootstrap, topic_name, [(None, b"first")])
    assert len(acked) == 1
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": node.bootstrap})
    topic = admin.list_topics(topic_name, timeout=30).topics[topic_name]
    assert topic.error is None
    assert len(topic.partitions) == 3  # num.partitions of the node's config
    assert read_confluent(node.bootstrap, topic_name, range(3), 1)[0][3] == b"first"


def test_kafka_python_metadata_auto_creates_a_topic(node, topic_name):
    import kafka
    producer = kafka.KafkaProducer(bootstrap_servers=node.bootstrap, max_block_ms=30_000)
    try:
        # The producer asks Metadata for the topic with allow_auto_topic_creation=True and waits for it.
        assert producer.partitions_for(topic_name) == {0, 1, 2}
    finally:
        producer.close(timeout=10)


def test_a_record_over_message_max_bytes_is_refused_and_the_topic_keeps_working(node, topic_name):
    create_topic(node.bootstrap, topic_name, partitions=1)
    producer = confluent_kafka.Producer({
        "bootstrap.servers": node.bootstrap,
        "message.max.bytes": 5_000_000,  # the client would refuse it itself otherwise
        "enable.idempotence": False,
        "retries": 0,
    })
    errors = []
    producer.produce(topic_name, value=b"x" * 2_000_000, on_delivery=lambda err, msg: errors.append(err))
    assert producer.flush(30) == 0
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() == confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE, errors[0]

    acked = produce_confluent(node.bootstrap, topic_name, [(None, b"small")])
    assert acked[0][1] == 0, "the refused batch must not have taken an offset"
