"""The produce/consume benchmarks of docs/BENCHMARKS.md, end to end on this machine:

    cargo build --release -p flotilla --bin flotilla -p flotilla-client --example discard_broker
    /work/.venv-clients/bin/python bench/run.py [--runs 3] [--records 2000000]

Starts the discard-everything peer and a real `flotilla server` (release build, data on disk in a temporary
directory), drives both with one confluent-kafka producer (bench/confluent_producer.py), then runs
`flotilla producer-perf-test` and `consumer-perf-test` against the node, and reads the node's memory from
/proc. Every figure is the median of --runs runs. Prints a Markdown table.
"""

import argparse
import json
import os
import re
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import Report

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/work/target"))
FLOTILLA = TARGET / "release" / "flotilla"
DISCARD = TARGET / "release" / "examples" / "discard_broker"
PARTITIONS = 6


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not found")


def start_node(workdir: Path):
    config = workdir / "server.properties"
    config.write_text(
        "node.id=1\nprocess.roles=broker,controller\n"
        "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0\n"
        "controller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@127.0.0.1:0\n"
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
        f"log.dirs={workdir / 'data'}\nnum.partitions={PARTITIONS}\n"
    )
    log_path = workdir / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([str(FLOTILLA), "server", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, RUST_LOG="warn,flotilla_broker::node=info"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = re.search(r"serving Kafka clients.*address=127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
        if m:
            return proc, f"127.0.0.1:{m.group(1)}"
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit(f"the node did not start:\n{log_path.read_text()}")


IDLE_CONNECTIONS = 5_000


def idle_connections(bootstrap: str, count: int):
    """Opens `count` connections that each complete one ApiVersions request, then stay idle."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 1024)), hard))
    host, port = bootstrap.rsplit(":", 1)
    api_versions_v0 = struct.pack(">ihhih", 10, 18, 0, 1, -1)
    conns = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=30)
        sock.sendall(api_versions_v0)
        (size,) = struct.unpack(">i", sock.recv(4, socket.MSG_WAITALL))
        sock.recv(size, socket.MSG_WAITALL)
        conns.append(sock)
    return conns


def confluent(bootstrap, topic, records, size, acks, rate=0, linger_ms=5):
    cmd = [sys.executable, str(ROOT / "bench" / "confluent_producer.py"), "--bootstrap", bootstrap, "--topic", topic,
           "--records", str(records), "--size", str(size), "--acks", str(acks), "--linger-ms", str(linger_ms)]
    if rate:
        cmd += ["--rate", str(rate)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == 0 and result["undelivered"] == 0, result
    return result


def flotilla(*args, timeout=600):
    return subprocess.run([str(FLOTILLA), *args], check=True, capture_output=True, text=True, timeout=timeout).stdout


def median_of(runs, fn, key):
    values = [fn()[key] for _ in range(runs)]
    return statistics.median(values), values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--records", type=int, default=2_000_000)
    args = ap.parse_args()
    report = Report()
    row = report.row

    # 1. The discard-everything baseline.
    discard = subprocess.Popen([str(DISCARD), "bench", str(PARTITIONS)], stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = discard.stdout.readline().strip()
        for size in (100, 1024):
            n = args.records if size == 100 else args.records // 4
            med, runs = median_of(args.runs, lambda: confluent(bootstrap, "bench", n, size, 1), "records_per_s")
            row(f"confluent-kafka producer, {size} B, acks=1, discard peer", med, "records/s", runs)
    finally:
        discard.kill()
        discard.wait()

    # 2. The real node, writing segments to disk.
    with tempfile.TemporaryDirectory(prefix="flotilla-bench-") as tmp:
        proc, bootstrap = start_node(Path(tmp))
        try:
            time.sleep(2)  # let start-up allocations settle before reading idle memory
            row("node RSS idle", round(rss_mib(proc.pid), 1), "MiB", [])
            idle = idle_connections(bootstrap, IDLE_CONNECTIONS)
            row(f"node RSS with {IDLE_CONNECTIONS:,} idle client connections open", round(rss_mib(proc.pid), 1),
                "MiB", [])
            for sock in idle:
                sock.close()
            flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "bench", "--partitions",
                     str(PARTITIONS))
            for size in (100, 1024):
                n = args.records if size == 100 else args.records // 4
                for acks in ("1", "all"):
                    med, runs = median_of(args.runs, lambda: confluent(bootstrap, "bench", n, size, acks),
                                          "records_per_s")
                    row(f"confluent-kafka producer, {size} B, acks={acks}, flotilla", med, "records/s", runs)
            for linger_ms in (5, 0):
                for acks in ("1", "all"):
                    med, runs = median_of(
                        args.runs, lambda: confluent(bootstrap, "bench", 500_000, 100, acks, 50_000, linger_ms), "p99_ms")
                    row(f"confluent-kafka p99 produce latency at 50,000 records/s, acks={acks}, linger.ms={linger_ms}",
                        med, "ms", runs)
            row("node RSS peak under the confluent-kafka load (VmHWM)", round(rss_mib(proc.pid, "VmHWM"), 1),
                "MiB", [])

            flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "perf", "--partitions",
                     str(PARTITIONS))
            perf_records = args.records * 2
            for acks in ("1", "all"):
                values = []
                for _ in range(args.runs):
                    out = flotilla("producer-perf-test", "--topic", "perf", "--num-records", str(perf_records),
                                   "--record-size", "100", "--throughput", "-1", "--producer-props",
                                   f"bootstrap.servers={bootstrap}", f"acks={acks}", "linger.ms=5",
                                   "batch.size=262144")
                    values.append(round(float(re.search(r"records sent, ([\d.]+) records/sec", out).group(1))))
                row(f"flotilla producer-perf-test, 100 B, acks={acks}", statistics.median(values), "records/s",
                    values)
            total = perf_records * 2 * args.runs
            values = []
            for _ in range(args.runs):
                out = flotilla("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", "perf",
                               "--messages", str(total), "--timeout", "60000")
                values.append(round(float(out.strip().splitlines()[-1].split(", ")[5])))
            row(f"flotilla consumer-perf-test, 100 B, {total} records from the log", statistics.median(values),
                "records/s", values)
            row("node RSS peak over the whole run (VmHWM)", round(rss_mib(proc.pid, "VmHWM"), 1), "MiB", [])
            row("node RSS after the run", round(rss_mib(proc.pid), 1), "MiB", [])
        finally:
            proc.terminate()
            proc.wait(timeout=60)

    report.print_markdown()


if __name__ == "__main__":
    main()
