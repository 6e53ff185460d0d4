"""The idempotent producer as the broker sees it: a retried batch, sent again byte for byte, gets its original
offset and is not written twice, also after a restart (producer state rebuilt from the log); a gap in the
sequence is refused. Frames are written by hand (kafka_wire) so the retry is exact."""

import pytest

import kafka_wire
from clients import create_topic, end_offsets, produce_confluent, read_confluent

PRODUCE = 0
INIT_PRODUCER_ID = 22
OUT_OF_ORDER_SEQUENCE_NUMBER = 45


def produce(conn, topic, batch):
    (result,) = kafka_wire.parse_produce_v3_response(conn.call(PRODUCE, 3, kafka_wire.produce_v3(topic, 0, batch)))
    _, _, error, base_offset = result
    return error, base_offset


def new_producer(port):
    conn = kafka_wire.Connection(port)
    error, producer_id, epoch = kafka_wire.parse_init_producer_id_v0(
        conn.call(INIT_PRODUCER_ID, 0, kafka_wire.init_producer_id_v0_body()))
    assert error == 0
    assert producer_id >= 0 and epoch == 0
    return conn, producer_id, epoch


@pytest.mark.parametrize("restart", [None, "sigterm", "kill9"])
def test_a_retried_batch_is_not_written_twice(fresh_node, topic_name, restart):
    node = fresh_node.start()
    create_topic(node.bootstrap, topic_name, partitions=1)
    conn, pid, epoch = new_producer(node.port)
    first = kafka_wire.record_batch([(b"k", b"one"), (b"k", b"two")], pid, epoch, base_sequence=0)
    second = kafka_wire.record_batch([(b"k", b"three")], pid, epoch, base_sequence=2)
    assert produce(conn, topic_name, first) == (0, 0)
    assert produce(conn, topic_name, second) == (0, 2)
    conn.close()

    if restart == "sigterm":
        assert node.terminate() == 0
        node.start()
    elif restart == "kill9":
        node.kill9()
        node.start()

    # The client did not see the answers and sends them again, on a new connection. The last batch of a
    # producer is always remembered.
    conn = kafka_wire.Connection(node.port)
    assert produce(conn, topic_name, second) == (0, 2)
    if restart == "sigterm":
        # A clean start loads the producer snapshot, which keeps only each producer's last batch (Kafka's
        # snapshot format): an older retry is out of sequence, as in Kafka, and is still not appended.
        assert produce(conn, topic_name, first)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
    else:
        # Running, or after a crash (the state replayed from the log), the last five batches are known.
        assert produce(conn, topic_name, first) == (0, 0)
    assert end_offsets(node.bootstrap, topic_name, [0]) == {0: 3}

    # A gap in the sequence is refused and appends nothing.
    gap = kafka_wire.record_batch([(b"k", b"gap")], pid, epoch, base_sequence=7)
    assert produce(conn, topic_name, gap)[0] == OUT_OF_ORDER_SEQUENCE_NUMBER
    # The next sequence in order is accepted.
    third = kafka_wire.record_batch([(b"k", b"four")], pid, epoch, base_sequence=3)
    assert produce(conn, topic_name, third) == (0, 3)
    conn.close()
    values = [r[3] for r in sorted(read_confluent(node.bootstrap, topic_name, [0], 4), key=lambda r: r[1])]
    assert values == [b"one", b"two", b"three", b"four"]


def test_producer_ids_are_unique_across_restarts(fresh_node):
    node = fresh_node.start()
    seen = set()
    for _ in range(3):
        conn, pid, _ = new_producer(node.port)
        conn.close()
        seen.add(pid)
    assert node.terminate() == 0
    node.start()
    for _ in range(3):
        conn, pid, _ = new_producer(node.port)
        conn.close()
        assert pid not in seen
        seen.add(pid)


def test_librdkafka_idempotent_producer(node, topic_name):
    create_topic(node.bootstrap, topic_name)
    sent = [(f"k{i % 5}".encode(), f"{i}".encode()) for i in range(2000)]
    acked = produce_confluent(node.bootstrap, topic_name, sent, enable_idempotence=True,
                              max_in_flight_requests_per_connection=5, linger_ms=1, batch_num_messages=50)
    assert len(acked) == 2000
    assert sum(end_offsets(node.bootstrap, topic_name, range(3)).values()) == 2000
