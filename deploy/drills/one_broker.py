"""Metadata from one chosen server. Kafka clients send a metadata request to whichever broker they like
(librdkafka even to a paused one), but a drill must ask each node for its own view: this speaks
Metadata v1 (Kafka's protocol guide) over a plain socket to exactly the server given.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

METADATA = 3
VERSION = 1
# Bounds on what is read back: a node's answer for one topic is small.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


@dataclass
class Partition:
    leader: int
    replicas: list[int]
    isr: list[int]


@dataclass
class View:
    brokers: set[int]
    # topic -> partition -> state; a topic the server reported an error for is absent.
    topics: dict[str, dict[int, Partition]]


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        raw = self.data[self.pos:self.pos + n]
        self.pos += n
        return raw.decode()

    def array(self, item):
        n = self.take(">i")
        return [item() for _ in range(max(n, 0))]


def _string(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">h", len(raw)) + raw


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def metadata(server: str, topic: str | None, timeout_s: float = 3.0) -> View:
    """Asks `server` (host:port) alone for the brokers and `topic`'s partitions (all topics if None)."""
    host, port = server.rsplit(":", 1)
    topics = struct.pack(">i", -1) if topic is None else struct.pack(">i", 1) + _string(topic)
    payload = struct.pack(">hhi", METADATA, VERSION, 1) + _string("flotilla-drills") + topics
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.settimeout(timeout_s)
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", _read_exactly(sock, 4))[0]
        if not 4 <= size <= MAX_RESPONSE_BYTES:
            raise ConnectionError(f"a response of {size} bytes")
        r = _Reader(_read_exactly(sock, size))
    r.take(">i")  # correlation id
    brokers = r.array(lambda: (r.take(">i"), r.string(), r.take(">i"), r.string()))
    r.take(">i")  # controller id

    def partition():
        error, index, leader = r.take(">hii")
        replicas = r.array(lambda: r.take(">i"))
        isr = r.array(lambda: r.take(">i"))
        return index, error, Partition(leader, replicas, isr)

    def topic_entry():
        error, name, _internal = r.take(">h"), r.string(), r.take(">?")
        return name, error, r.array(partition)

    result = {}
    for name, error, parts in r.array(topic_entry):
        if error == 0:
            result[name] = {index: state for index, _err, state in parts}
    return View({b[0] for b in brokers}, result)
