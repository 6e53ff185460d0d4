"""Kafka frames written by hand, for the tests no client library can express: hostile frames and a retried
idempotent batch sent twice byte for byte. Written from the Kafka protocol guide, independently of the
broker's codec, so a shared misreading cannot hide.
"""

import socket
import struct
import time

# CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, as record batches use.
_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def varint(n: int) -> bytes:
    """Zig-zag varint, as record fields use."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = z & 0x7F
        z >>= 7
        if z:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    raw = s.encode()
    return struct.pack(">h", len(raw)) + raw


def request(api_key: int, api_version: int, correlation_id: int, body: bytes, client_id="wire-test") -> bytes:
    """A length-prefixed request with header v1 (non-flexible versions only)."""
    header = struct.pack(">hhi", api_key, api_version, correlation_id) + string(client_id)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def record_batch(records, producer_id=-1, producer_epoch=-1, base_sequence=-1, timestamp_ms=None):
    """A magic-2 record batch of (key, value) pairs, uncompressed, base offset 0, stamped now by default (a
    broker forgets producers whose last batch is older than producer.id.expiration.ms)."""
    if timestamp_ms is None:
        timestamp_ms = int(time.time() * 1000)
    body = bytearray()
    for i, (key, value) in enumerate(records):
        rec = bytearray()
        rec += b"\x00"  # attributes
        rec += varint(0)  # timestamp delta
        rec += varint(i)  # offset delta
        if key is None:
            rec += varint(-1)
        else:
            rec += varint(len(key)) + key
        rec += varint(len(value)) + value
        rec += varint(0)  # headers
        body += varint(len(rec)) + rec
    after_crc = (
        struct.pack(">hiqqqhii", 0, len(records) - 1, timestamp_ms, timestamp_ms, producer_id, producer_epoch,
                    base_sequence, len(records))
        + bytes(body)
    )
    crc = crc32c(after_crc)
    # batchLength counts from partitionLeaderEpoch to the end.
    batch_length = 4 + 1 + 4 + len(after_crc)
    return struct.pack(">qiibI", 0, batch_length, -1, 2, crc) + after_crc


def produce_v3(topic: str, partition: int, batch: bytes, acks=-1, timeout_ms=10_000) -> bytes:
    """ProduceRequest v3 body for one partition."""
    return (
        string(None)
        + struct.pack(">hi", acks, timeout_ms)
        + struct.pack(">i", 1)
        + string(topic)
        + struct.pack(">i", 1)
        + struct.pack(">i", partition)
        + struct.pack(">i", len(batch))
        + batch
    )


def parse_produce_v3_response(body: bytes):
    """[(topic, partition, error_code, base_offset)] from a ProduceResponse v3 body."""
    out = []
    pos = 0
    (n_topics,) = struct.unpack_from(">i", body, pos)
    pos += 4
    for _ in range(n_topics):
        (name_len,) = struct.unpack_from(">h", body, pos)
        pos += 2
        name = body[pos:pos + name_len].decode()
        pos += name_len
        (n_parts,) = struct.unpack_from(">i", body, pos)
        pos += 4
        for _ in range(n_parts):
            partition, error, base_offset, _append_time = struct.unpack_from(">ihqq", body, pos)
            pos += 22
            out.append((name, partition, error, base_offset))
    return out


def init_producer_id_v0_body(transaction_timeout_ms=60_000) -> bytes:
    return string(None) + struct.pack(">i", transaction_timeout_ms)


def parse_init_producer_id_v0(body: bytes):
    """(error_code, producer_id, producer_epoch)."""
    _throttle, error, producer_id, epoch = struct.unpack_from(">ihqh", body, 0)
    return error, producer_id, epoch


class Connection:
    """One blocking connection; `call` sends a request and returns the response body after the header v0."""

    def __init__(self, port: int, timeout_s: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.correlation_id = 0

    def close(self):
        self.sock.close()

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def call(self, api_key: int, api_version: int, body: bytes) -> bytes:
        self.correlation_id += 1
        self.sock.sendall(request(api_key, api_version, self.correlation_id, body))
        frame = self.read_frame()
        assert frame is not None, "the broker closed the connection instead of answering"
        (correlation_id,) = struct.unpack_from(">i", frame, 0)
        assert correlation_id == self.correlation_id
        return frame[4:]

    def read_exact(self, n: int):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def read_frame(self):
        """A whole response frame, or None when the broker closed the connection."""
        head = self.read_exact(4)
        if head is None:
            return None
        (size,) = struct.unpack(">i", head)
        return self.read_exact(size)

    def closed_by_peer(self) -> bool:
        """True once the broker has closed the connection (EOF or reset), waiting up to the socket timeout."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


def metadata_v1_body(topics) -> bytes:
    """Metadata v1 for these topic names (None: every topic)."""
    if topics is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(topics)) + b"".join(string(t) for t in topics)


def parse_metadata_v1(body: bytes):
    """{'brokers': {id: (host, port)}, 'controller': id, 'topics': {name: {partition: (error, leader, replicas, isr)}}}."""
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, body, pos)
        pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def take_string():
        nonlocal pos
        n = take(">h")
        if n < 0:
            return None
        s = body[pos:pos + n].decode()
        pos += n
        return s

    def take_int_array():
        return [take(">i") for _ in range(take(">i"))]

    brokers = {}
    for _ in range(take(">i")):
        node_id = take(">i")
        host = take_string()
        port = take(">i")
        take_string()  # rack
        brokers[node_id] = (host, port)
    controller = take(">i")
    topics = {}
    for _ in range(take(">i")):
        _error = take(">h")
        name = take_string()
        take(">b")  # is_internal
        partitions = {}
        for _ in range(take(">i")):
            error = take(">h")
            index = take(">i")
            leader = take(">i")
            replicas = take_int_array()
            isr = take_int_array()
            partitions[index] = (error, leader, replicas, isr)
        topics[name] = partitions
    return {"brokers": brokers, "controller": controller, "topics": topics}


def metadata(port: int, topics=None):
    """The cluster as the broker on `port` itself sees it (Metadata v1 on one connection)."""
    conn = Connection(port)
    try:
        return parse_metadata_v1(conn.call(3, 1, metadata_v1_body(topics)))
    finally:
        conn.close()
