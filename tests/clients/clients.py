"""Reading and writing through each independent client library, returning plain tuples so tests can compare
what different clients saw: (partition, offset, key, value, headers, timestamp_ms)."""

import asyncio
import time

import confluent_kafka
import confluent_kafka.admin
import kafka
import aiokafka

READ_TIMEOUT_S = 60.0


def create_topic(bootstrap: str, topic: str, partitions: int = 3, config=None, replication_factor: int = 1):
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [confluent_kafka.admin.NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor,
                                        config=config or {})],
        operation_timeout=30,
    )
    futures[topic].result(timeout=60)


def produce_confluent(bootstrap: str, topic: str, records, **config):
    """Produces (key, value[, headers[, timestamp_ms]]) tuples; returns [(partition, offset, key, value)] as acked."""
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"}
    conf.update({k.replace("_", "."): v for k, v in config.items()})
    producer = confluent_kafka.Producer(conf)
    acked, errors = [], []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            acked.append((msg.partition(), msg.offset(), msg.key(), msg.value()))

    for rec in records:
        key, value = rec[0], rec[1]
        kwargs = {}
        if len(rec) > 2 and rec[2] is not None:
            kwargs["headers"] = rec[2]
        if len(rec) > 3:
            kwargs["timestamp"] = rec[3]
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=on_delivery, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    assert remaining == 0, f"{remaining} records were not delivered within 60 s"
    assert not errors, f"delivery errors: {errors[:5]}"
    return acked


def _assign_only_consumer(bootstrap: str):
    return confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "unused-assign-only",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })


def read_confluent(bootstrap: str, topic: str, partitions, count: int):
    consumer = _assign_only_consumer(bootstrap)
    consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in partitions])
    out = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    try:
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, f"consume error: {msg.error()}"
            _, ts = msg.timestamp()
            out.append((msg.partition(), msg.offset(), msg.key(), msg.value(), list(msg.headers() or []), ts))
    finally:
        consumer.close()
    return out


def read_to_end_confluent(bootstrap: str, topic: str, partitions):
    """Every record of `partitions` up to each one's high watermark, as read when the call starts."""
    consumer = _assign_only_consumer(bootstrap)
    out = []
    try:
        ends = {p: consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=30)[1]
                for p in partitions}
        consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                         for p in partitions])
        next_offset = {p: 0 for p in partitions}
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(next_offset[p] < ends[p] for p in partitions):
            assert time.monotonic() < deadline, f"read only up to {next_offset} of {ends} in {READ_TIMEOUT_S}s"
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, f"consume error: {msg.error()}"
            _, ts = msg.timestamp()
            out.append((msg.partition(), msg.offset(), msg.key(), msg.value(), list(msg.headers() or []), ts))
            next_offset[msg.partition()] = msg.offset() + 1
    finally:
        consumer.close()
    return [r for r in out if r[1] < ends[r[0]]]


def read_kafka_python(bootstrap: str, topic: str, partitions, count: int):
    consumer = kafka.KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
    )
    consumer.assign([kafka.TopicPartition(topic, p) for p in partitions])
    consumer.seek_to_beginning()
    out = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    try:
        while len(out) < count and time.monotonic() < deadline:
            for _, msgs in consumer.poll(timeout_ms=500).items():
                for m in msgs:
                    headers = [(k, v) for k, v in (m.headers or [])]
                    out.append((m.partition, m.offset, m.key, m.value, headers, m.timestamp))
    finally:
        consumer.close()
    return out


def read_aiokafka(bootstrap: str, topic: str, partitions, count: int):
    async def run():
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
        )
        await consumer.start()
        out = []
        try:
            consumer.assign([aiokafka.TopicPartition(topic, p) for p in partitions])
            await consumer.seek_to_beginning()
            deadline = time.monotonic() + READ_TIMEOUT_S
            while len(out) < count and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=500)
                for _, msgs in batches.items():
                    for m in msgs:
                        headers = [(k, v) for k, v in (m.headers or [])]
                        out.append((m.partition, m.offset, m.key, m.value, headers, m.timestamp))
        finally:
            await consumer.stop()
        return out

    return asyncio.run(run())


def produce_aiokafka(bootstrap: str, topic: str, records, **config):
    """Produces (key, value) pairs; returns [(partition, offset, key, value)]."""
    async def run():
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, **config)
        await producer.start()
        try:
            futures = [await producer.send(topic, value=v, key=k) for k, v in records]
            metas = [await f for f in futures]
        finally:
            await producer.stop()
        return [(m.partition, m.offset, k, v) for m, (k, v) in zip(metas, records)]

    return asyncio.run(run())


def produce_kafka_python(bootstrap: str, topic: str, records, **config):
    """Produces (key, value[, headers]) tuples; returns [(partition, offset, key, value)]."""
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, **config)
    try:
        futures = []
        for rec in records:
            headers = rec[2] if len(rec) > 2 else None
            futures.append(producer.send(topic, value=rec[1], key=rec[0], headers=headers))
        metas = [f.get(timeout=60) for f in futures]
    finally:
        producer.close(timeout=30)
    return [(m.partition, m.offset, rec[0], rec[1]) for m, rec in zip(metas, records)]


def end_offsets(bootstrap: str, topic: str, partitions):
    """{partition: high watermark} through librdkafka's ListOffsets."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-watermarks"})
    try:
        return {p: consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=30)[1]
                for p in partitions}
    finally:
        consumer.close()
