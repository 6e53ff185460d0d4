"""Starts the real `flotilla` binary for the client compatibility suite.

Each node gets its own data directory and listens on port 0; the port the kernel picked is read from the
node's own log line ("serving Kafka clients ... address=127.0.0.1:PORT"), so runs never collide.
`FLOTILLA_BIN` names the binary (tests/run-all.sh sets it).
"""

import os
import re
import signal
import subprocess
import time
import uuid

import pytest

STARTUP_TIMEOUT_S = 60.0
ADDRESS_RE = re.compile(r"serving Kafka clients.*address=127\.0\.0\.1:(\d+)")


def flotilla_bin() -> str:
    path = os.environ.get("FLOTILLA_BIN")
    if not path:
        pytest.exit("FLOTILLA_BIN must name the flotilla binary (tests/run-all.sh sets it)", returncode=2)
    return path


def wait_for(condition, timeout_s: float, what: str, interval_s: float = 0.05):
    """Polls `condition` until it returns a truthy value, which is returned; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(interval_s)


class Node:
    """One combined broker+controller `flotilla server` process on a data directory that outlives restarts."""

    def __init__(self, workdir, extra_config: str = ""):
        self.workdir = workdir
        self.data = workdir / "data"
        self.config = workdir / "server.properties"
        self.config.write_text(
            "node.id=1\n"
            "process.roles=broker,controller\n"
            "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0\n"
            "controller.listener.names=CONTROLLER\n"
            "controller.quorum.voters=1@127.0.0.1:0\n"
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            f"log.dirs={self.data}\n"
            "num.partitions=3\n"
            "offsets.topic.replication.factor=1\n"
            + extra_config
        )
        self.process = None
        self.port = None
        self.starts = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_path(self):
        return self.workdir / f"server-{self.starts}.log"

    def log_text(self) -> str:
        try:
            return self.log_path().read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def start(self):
        return self.spawn().wait_serving()

    def spawn(self):
        """Starts the process without waiting for it to serve (a cluster's nodes serve only once a quorum is up)."""
        self.starts += 1
        log = open(self.log_path(), "wb")
        env = dict(os.environ, RUST_LOG="info", NO_COLOR="1")
        self.process = subprocess.Popen(
            [flotilla_bin(), "server", "--config", str(self.config)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        log.close()
        return self

    def wait_serving(self, timeout_s: float = STARTUP_TIMEOUT_S):
        """Waits until the node logs the port it serves Kafka clients on, and takes it."""

        def serving():
            if self.process.poll() is not None:
                raise AssertionError(f"flotilla server exited with {self.process.returncode}:\n{self.log_text()}")
            m = ADDRESS_RE.search(self.log_text())
            return int(m.group(1)) if m else None

        self.port = wait_for(serving, timeout_s, "the node to serve Kafka clients")
        return self

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A node shared by the tests of one module; each test uses its own topics."""
    n = Node(tmp_path_factory.mktemp("node")).start()
    yield n
    n.stop()


@pytest.fixture
def fresh_node(tmp_path):
    """A node of the test's own, for tests that kill or restart it."""
    n = Node(tmp_path)
    yield n
    n.stop()


@pytest.fixture
def topic_name(request):
    """A topic name no other test uses."""
    base = re.sub(r"[^a-zA-Z0-9]", "-", request.node.name)[:60]
    return f"{base}-{uuid.uuid4().hex[:8]}"
