"""A full disk: the log dir is a small tmpfs. Appends that do not fit fail with KAFKA_STORAGE_ERROR, the log dir
goes offline and with no other the broker shuts down with an error (as Kafka's); after the disk is grown and the
node restarted every acknowledged record is there.
Needs root for mount (the CI machine runs as root)."""

import os
import subprocess

import confluent_kafka
import pytest

from clients import create_topic, read_confluent
from conftest import Node

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")

DISK_BYTES = 3 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_fails_appends_with_kafka_storage_error_and_keeps_what_was_written(tmp_path, small_disk,
                                                                                      topic_name):
    node = Node(tmp_path, extra_config=f"metadata.log.dir={tmp_path / 'metadata'}\n")
    node.data = small_disk / "data"
    node.config.write_text(node.config.read_text().replace(f"log.dirs={tmp_path / 'data'}",
                                                           f"log.dirs={node.data}"))
    try:
        node.start()
        create_topic(node.bootstrap, topic_name, partitions=1, config={"segment.bytes": str(1024 * 1024)})
        producer = confluent_kafka.Producer({
            "bootstrap.servers": node.bootstrap, "acks": "1", "linger.ms": 0, "retries": 0,
            "enable.idempotence": False, "message.timeout.ms": 20_000,
        })
        acked, errors = {}, []

        def on_delivery(err, msg):
            if err is None:
                acked[msg.offset()] = msg.value()
            else:
                errors.append(err)

        # 8 MiB into a 3 MiB disk, one record at a time so each append is its own request.
        for i in range(8 * 1024):
            producer.produce(topic_name, value=f"{i:08d}".encode() + b"x" * 1016, on_delivery=on_delivery)
            producer.flush(20)
            if errors:
                break
        assert errors, "the disk never filled up"
        assert errors[0].code() == confluent_kafka.KafkaError.KAFKA_STORAGE_ERROR, errors[0]
        assert len(acked) > 100
        assert "log dir goes offline" in node.log_text()

        # Its only log dir is offline: as Kafka's, the broker leaves the cluster and exits with an error,
        # so that in a cluster its partitions move to replicas that can serve them.
        assert node.process.wait(timeout=60) != 0
        assert "shutting down the broker because all log dirs have failed" in node.log_text()

        # Room again, and a restart: everything acknowledged is readable, unchanged, at its offset.
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        node.start()
        seen = read_confluent(node.bootstrap, topic_name, [0], len(acked))
        stored = {r[1]: r[3] for r in seen}
        assert all(stored.get(offset) == value for offset, value in acked.items())
        # And the partition takes appends again.
        producer = confluent_kafka.Producer({"bootstrap.servers": node.bootstrap})
        results = []
        producer.produce(topic_name, value=b"after", on_delivery=lambda err, msg: results.append(err))
        producer.flush(30)
        assert results == [None]
    finally:
        node.stop()
