"""The container path, for real: the runtime image built with no registry, a single node from it, the
documents' own KRaft cluster compose file with only its image changed, and the top-level
docker-compose.yml with every failover drill run against it.

Needs a Docker engine with docker-compose and the `flotilla` binary in FLOTILLA_BIN (the image is built
from it by deploy/docker/build-image.sh). The compose files publish fixed host ports (9092, 9094, 9096,
as the documents do), so these tests run one at a time and after the client suite.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "flotilla:local"
SEED = ROOT.parent / "shared" / "seeds" / "002_3d328f7a56814539.txt"
CLUSTER_BOOTSTRAP = "localhost:9092,localhost:9094,localhost:9096"
START_TIMEOUT_S = 120


def run(argv, check=True, timeout=600, **kw):
    print("$", " ".join(str(a) for a in argv), flush=True)
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def wait_until(what, condition, timeout_s=START_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except confluent_kafka.KafkaException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def healthy(container: str) -> bool:
    done = run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container], check=False)
    return done.stdout.strip() == "healthy"


def brokers(bootstrap: str) -> set[int]:
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5).brokers)


def round_trip(bootstrap: str, topic: str, count: int = 100, replicas: int = 3):
    """Creates a topic, writes `count` records with acks=all and reads them all back."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, replicas)])[topic].result(timeout=60)
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    errors = []
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=f"v{i}".encode(), partition=i % 3,
                                 on_delivery=lambda e, m: e and errors.append(e))
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0
    assert errors == []
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "unused-assign-only", "enable.auto.commit": False}
    )
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(3)])
    seen = set()
    deadline = time.monotonic() + 60
    while len(seen) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            seen.add(msg.value().decode())
    consumer.close()
    assert seen == {f"v{i}" for i in range(count)}


# The containers these tests start, by the names their compose files give them. A leftover one (an
# earlier run, or a cluster started by hand from this checkout) would hold the host ports.
CONTAINERS = ["flotilla-1", "flotilla-2", "flotilla-3", "kafka_kraft_1", "kafka_kraft_2", "kafka_kraft_3"]


@pytest.fixture(scope="session")
def image():
    binary = os.environ.get("FLOTILLA_BIN")
    assert binary, "FLOTILLA_BIN must name the flotilla binary the image is made from"
    run(["docker", "rm", "-f", "-v", *CONTAINERS], check=False)
    done = run([ROOT / "deploy/docker/build-image.sh"], env={**os.environ, "FLOTILLA_BIN": binary})
    print(done.stdout.strip())
    return IMAGE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_single_node_from_the_image(image):
    port = free_port()
    name = f"flotilla-single-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:9092",
         "-e", f"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:{port}", image])
    try:
        wait_until("the single node to list itself", lambda: brokers(f"localhost:{port}") == {1})
        print(f"single node from {image}: serving Metadata {time.monotonic() - started:.1f} s after docker run")
        round_trip(f"localhost:{port}", "single", replicas=1)
        health = run(["docker", "exec", name, "flotilla", "healthcheck", "--bootstrap-server", "localhost:9092",
                      "--node-id", "1"])
        assert health.stdout.startswith("healthy: broker 1 serves Metadata"), health.stdout
        # The node was started by Confluent's start script path, from the image's single-node default.
        assert run(["docker", "exec", name, "sh", "-c", "test -x /etc/confluent/docker/run && echo ok"]).stdout == "ok\n"
    finally:
        run(["docker", "rm", "-f", "-v", name], check=False)


def seed_kraft_cluster_compose() -> str:
    """The documents' three-node KRaft compose file, as written there, with only `image:` changed."""
    assert SEED.exists(), f"the documents are expected beside the repository: {SEED}"
    text = SEED.read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    cluster = [b for b in blocks if "kafka_kraft_1:" in b and "kafka_kraft_3:" in b]
    assert len(cluster) == 1, "the KRaft cluster compose file was not found in the documents"
    compose, changed = re.subn(r"image: confluentinc/cp-kafka:latest", f"image: {IMAGE}", cluster[0])
    assert changed == 3
    # The file ends with a `volumes:` key that holds only a comment (null). Compose v2 reads that as "no
    # volumes"; the docker-compose 1.29 on Debian refuses it ("volume must be a mapping"). It declares
    # nothing (the nodes bind-mount ./kraft_data_N), so it is dropped; nothing else changes.
    compose, dropped = re.subn(r"\nvolumes:\n(\s*##[^\n]*\n)*\s*$", "\n", compose)
    assert dropped == 1
    return compose


def test_the_documents_kraft_cluster_compose_file_runs_on_the_image(image, tmp_path):
    (tmp_path / "docker-compose.yml").write_text(seed_kraft_cluster_compose())
    compose = ["docker-compose", "-p", "flotilla-seed", "-f", tmp_path / "docker-compose.yml"]
    run(compose + ["down", "-v", "--remove-orphans"], check=False)
    try:
        started = time.monotonic()
        run(compose + ["up", "-d"])
        wait_until("three brokers in the documents' cluster", lambda: brokers(CLUSTER_BOOTSTRAP) == {1, 2, 3})
        print(f"the documents' KRaft cluster: three brokers {time.monotonic() - started:.1f} s after up")
        round_trip(CLUSTER_BOOTSTRAP, "seed-cluster")
        # The command line appended to /etc/kafka/kafka.properties and ran /etc/confluent/docker/run.
        props = run(["docker", "exec", "kafka_kraft_2", "sh", "-c", "while read -r l; do echo \"$l\"; done "
                     "< /etc/kafka/kafka.properties"]).stdout
        assert "controller.quorum.voters=1@kafka_kraft_1:9093,2@kafka_kraft_2:9095,3@kafka_kraft_3:9097" in props
        describe = run(["docker", "exec", "kafka_kraft_1", "flotilla", "topics", "--bootstrap-server",
                        "localhost:9092", "--describe", "--topic", "seed-cluster"]).stdout
        assert "ReplicationFactor: 3" in describe, describe
    finally:
        logs = run(compose + ["logs", "--no-color", "--tail", "30"], check=False).stdout
        print(logs[-6000:])
        run(compose + ["down", "-v", "--remove-orphans"], check=False)
        # The documents bind-mount ./kraft_data_N, which Docker creates as root.
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture
def compose_cluster(image):
    compose = ["docker-compose", "-f", ROOT / "docker-compose.yml"]
    run(compose + ["down", "-v", "--remove-orphans"], check=False)
    started = time.monotonic()
    run(compose + ["up", "-d"])
    try:
        wait_until("all three nodes healthy", lambda: all(healthy(f"flotilla-{n}") for n in (1, 2, 3)))
        print(f"docker-compose.yml: cold start to three healthy nodes in {time.monotonic() - started:.1f} s")
        yield compose
    finally:
        logs = run(compose + ["logs", "--no-color", "--tail", "40"], check=False).stdout
        print(logs[-8000:])
        run(compose + ["down", "-v", "--remove-orphans"], check=False)


def test_compose_cluster_survives_every_drill(compose_cluster):
    round_trip(CLUSTER_BOOTSTRAP, "compose-smoke")
    done = run([sys.executable, ROOT / "deploy/drills/drills.py", "all"], check=False, timeout=1800)
    print(done.stdout)
    print(done.stderr[-6000:])
    verdicts = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    for drill in ("kill-broker", "pause-leader", "partition-leader", "rolling-restart", "two-down", "consumer-group",
                  "consumer-protocol-group"):
        assert verdicts.get(drill, "").startswith("PASS"), f"{drill}: {verdicts.get(drill)}"
    assert done.returncode == 0
