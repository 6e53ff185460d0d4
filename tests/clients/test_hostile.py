"""Hostile frames: each closes its own connection, and the broker goes on serving a client that was connected
before it and one that connects after."""

import random
import struct

import pytest

import kafka_wire
from clients import create_topic, produce_confluent, read_confluent

API_VERSIONS = 18
METADATA = 3
PRODUCE = 0


def api_versions_ok(conn) -> bool:
    body = conn.call(API_VERSIONS, 0, b"")
    (error,) = struct.unpack_from(">h", body, 0)
    return error == 0


def hostile_frames():
    huge_array = kafka_wire.request(METADATA, 1, 1, struct.pack(">i", 0x7FFFFFFF))
    produce = kafka_wire.request(PRODUCE, 3, 1, kafka_wire.produce_v3("t", 0, kafka_wire.record_batch([(b"k", b"v")])))
    truncated_body = struct.pack(">i", len(produce) - 4) + produce[4:len(produce) // 2]
    # The frame claims more than it carries, then the client stops sending: the prefix says 30 bytes follow.
    huge_batch_len = kafka_wire.request(PRODUCE, 3, 1, kafka_wire.string(None) + struct.pack(">hi", -1, 1000)
                                        + struct.pack(">i", 1) + kafka_wire.string("t") + struct.pack(">ii", 1, 0)
                                        + struct.pack(">i", 0x7FFFFFF0))
    two_gib_prefix = struct.pack(">I", 0x7FFFFFFF) + b"\x00" * 64
    negative_prefix = struct.pack(">i", -5) + b"\x00" * 16
    unknown_api = kafka_wire.request(999, 0, 1, b"")
    # A well-formed length with seeded random bytes inside.
    noise = random.Random(7).randbytes(1020)
    garbage = struct.pack(">i", len(noise)) + noise
    return {
        "array-length-2^31-1": huge_array,
        "truncated-body": truncated_body,
        "records-length-past-the-frame": huge_batch_len,
        "2GiB-length-prefix": two_gib_prefix,
        "negative-length-prefix": negative_prefix,
        "unknown-api-key": unknown_api,
        "garbage": garbage,
    }


@pytest.mark.parametrize("name", list(hostile_frames()))
def test_a_hostile_frame_closes_its_connection_and_others_are_served(node, name):
    bystander = kafka_wire.Connection(node.port)
    assert api_versions_ok(bystander)

    attacker = kafka_wire.Connection(node.port, timeout_s=20)
    attacker.send_raw(hostile_frames()[name])
    if name == "truncated-body":
        # Half a frame and silence: the connection waits for the rest; the others are not blocked meanwhile.
        assert api_versions_ok(bystander)
        attacker.sock.shutdown(1)  # the client gives up: end of stream in the middle of a frame
    assert attacker.closed_by_peer(), f"{name}: the broker kept the connection open"
    attacker.close()

    assert api_versions_ok(bystander)
    bystander.close()
    newcomer = kafka_wire.Connection(node.port)
    assert api_versions_ok(newcomer)
    newcomer.close()


def test_the_node_still_stores_and_serves_records_after_every_hostile_frame(node, topic_name):
    for frame in hostile_frames().values():
        conn = kafka_wire.Connection(node.port, timeout_s=5)
        conn.send_raw(frame)
        conn.close()
    create_topic(node.bootstrap, topic_name, partitions=1)
    produce_confluent(node.bootstrap, topic_name, [(b"k", b"still here")])
    assert read_confluent(node.bootstrap, topic_name, [0], 1)[0][3] == b"still here"
    assert node.alive()
