"""Three `flotilla server` processes forming one cluster on loopback, for the multi-process failover tests.

The controller listeners must be known to every node before any starts (they are the voters), so their ports
are reserved first: three sockets bound on port 0 at once, then closed just before the nodes start. The Kafka
listeners use port 0 and each node's port is read from its log, as for a single node.
"""

import re
import signal
import socket

from conftest import Node, wait_for
from kafka_wire import metadata

CLUSTER_TIMEOUT_S = 90.0
LOG_TAIL_LINES = 60


def reserve_ports(count: int):
    """`count` distinct free loopback ports, all bound at once so the kernel gives different ones."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


COMBINED = "broker,controller"
CONTROLLER_STARTED_RE = re.compile(r"quorum controller started")


class ClusterNode(Node):
    """One member of a cluster: by default a combined broker+controller with a fixed controller port; with
    `roles` "controller" a dedicated controller (no Kafka listener), with "broker" a broker-only node (no
    controller listener: it reaches the voters on theirs)."""

    def __init__(self, workdir, node_id: int, controller_port, voters: str, extra_config: str = "",
                 roles: str = COMBINED):
        workdir.mkdir(parents=True, exist_ok=True)
        self.node_id = node_id
        self.roles = roles
        self.workdir = workdir
        self.data = workdir / "data"
        self.config = workdir / "server.properties"
        listeners = {
            COMBINED: f"PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{controller_port}",
            "controller": f"CONTROLLER://127.0.0.1:{controller_port}",
            "broker": "PLAINTEXT://127.0.0.1:0",
        }[roles]
        self.config.write_text(
            f"node.id={node_id}\n"
            f"process.roles={roles}\n"
            f"listeners={listeners}\n"
            "controller.listener.names=CONTROLLER\n"
            f"controller.quorum.voters={voters}\n"
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            f"log.dirs={self.data}\n"
            "cluster.id=flotilla-test-cluster\n"
            "default.replication.factor=3\n"
            "min.insync.replicas=2\n"
            "offsets.topic.replication.factor=3\n"
            # Fast failure detection, as the compose cluster's drills use.
            "broker.heartbeat.interval.ms=250\n"
            "broker.session.timeout.ms=2000\n"
            "replica.lag.time.max.ms=10000\n"
            "replica.fetch.wait.max.ms=200\n"
            + extra_config
        )
        self.process = None
        self.port = None
        self.starts = 0

    @property
    def is_broker(self) -> bool:
        return "broker" in self.roles

    def wait_serving(self, timeout_s: float = CLUSTER_TIMEOUT_S):
        if self.is_broker:
            return super().wait_serving(timeout_s)

        def started():
            if self.process.poll() is not None:
                raise AssertionError(f"flotilla server exited with {self.process.returncode}:\n{self.log_text()}")
            return CONTROLLER_STARTED_RE.search(self.log_text())

        wait_for(started, timeout_s, f"controller {self.node_id} to start")
        return self

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)


class Cluster:
    def __init__(self, workdir, extra_config: str = "", roles=None):
        """`roles`: {node_id: roles} with ids 1..n; by default three combined nodes. Every node with the
        controller role is a voter."""
        roles = roles or {1: COMBINED, 2: COMBINED, 3: COMBINED}
        assert sorted(roles) == list(range(1, len(roles) + 1)), "node ids are 1..n"
        voter_ids = [i for i in sorted(roles) if "controller" in roles[i]]
        ports = dict(zip(voter_ids, reserve_ports(len(voter_ids))))
        self.voters = ",".join(f"{i}@127.0.0.1:{port}" for i, port in ports.items())
        self.nodes = [
            ClusterNode(workdir / f"node-{i}", i, ports.get(i), self.voters, extra_config, roles[i])
            for i in sorted(roles)
        ]

    def start(self):
        for node in self.nodes:
            node.spawn()
        for node in self.nodes:
            node.wait_serving(CLUSTER_TIMEOUT_S)
        return self

    def node(self, node_id: int) -> ClusterNode:
        return self.nodes[node_id - 1]

    def running(self):
        return [n for n in self.nodes if n.alive()]

    def brokers(self):
        """The running nodes with the broker role: those that answer Kafka clients."""
        return [n for n in self.running() if n.is_broker]

    @property
    def bootstrap(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes if n.port is not None)

    def restart(self, node: ClusterNode):
        node.spawn().wait_serving(CLUSTER_TIMEOUT_S)

    def view(self, node: ClusterNode, topic: str):
        """{partition: (leader, sorted isr)} as `node` reports it, or None if it does not answer."""
        try:
            answer = metadata(node.port, [topic])
        except (OSError, AssertionError):
            return None
        partitions = answer["topics"].get(topic)
        if not partitions:
            return None
        return {p: (leader, tuple(sorted(isr))) for p, (_err, leader, _replicas, isr) in partitions.items()}

    def wait_agreement(self, topic: str, partitions: int, rule, what: str, nodes=None, timeout_s=CLUSTER_TIMEOUT_S):
        """Until every given (default: running, unpaused) broker reports the same leader and ISR for every
        partition and `rule(leader, isr)` holds for each; returns that view."""
        nodes = nodes or self.brokers()
        last = {}

        def agreed():
            views = [self.view(n, topic) for n in nodes]
            last.update({n.node_id: v for n, v in zip(nodes, views)})
            if any(v is None or len(v) != partitions for v in views):
                return None
            if any(v != views[0] for v in views[1:]):
                return None
            if all(rule(leader, isr) for leader, isr in views[0].values()):
                return views[0]
            return None

        try:
            return wait_for(agreed, timeout_s, what, interval_s=0.2)
        except AssertionError as e:
            # What each broker last reported, and the end of every log: enough to see which step stalled.
            report = "\n".join(f"node {i} reported {v}" for i, v in sorted(last.items()))
            tails = "\n".join(f"--- node {n.node_id} log tail ---\n{n.log_tail(LOG_TAIL_LINES)}" for n in self.nodes)
            raise AssertionError(f"{e}\n{report}\n{tails}") from None

    def stop(self):
        for node in self.nodes:
            if node.alive():
                node.resume()
        for node in self.nodes:
            node.stop()
