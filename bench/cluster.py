"""The replication benchmarks of docs/BENCHMARKS.md: three release `flotilla server` processes on this machine
as one cluster, one confluent-kafka producer (bench/confluent_producer.py) for every row:

    cargo build --release -p flotilla --bin flotilla
    /work/.venv-clients/bin/python bench/cluster.py [--runs 3] [--records 1000000]

Rows: a 6-partition topic with replication factor 1 and acks=1 (the baseline), then replication factor 3 with
acks=all and min.insync.replicas=2, for 100-byte and 1 KiB records; then produce latency percentiles with
acks=all at 20% of the measured replication-factor-3 peak (send to acknowledgement, with linger.ms=5 as in the
throughput rows and with linger.ms=0). Every figure is the median of --runs runs. Prints a
Markdown table. All three nodes, the producer and its Python share the machine's two cores.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import Report

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/work/target"))
FLOTILLA = TARGET / "release" / "flotilla"
PARTITIONS = 6


def reserve_ports(count):
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_cluster(workdir: Path):
    ports = reserve_ports(3)
    voters = ",".join(f"{i + 1}@127.0.0.1:{p}" for i, p in enumerate(ports))
    procs, logs = [], []
    for i, port in enumerate(ports):
        node_dir = workdir / f"node-{i + 1}"
        node_dir.mkdir()
        config = node_dir / "server.properties"
        config.write_text(
            f"node.id={i + 1}\nprocess.roles=broker,controller\n"
            f"listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:{port}\n"
            f"controller.listener.names=CONTROLLER\ncontroller.quorum.voters={voters}\n"
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            f"log.dirs={node_dir / 'data'}\ncluster.id=flotilla-bench\n"
            "offsets.topic.replication.factor=3\n"
        )
        log_path = node_dir / "server.log"
        log = open(log_path, "wb")
        procs.append(subprocess.Popen([str(FLOTILLA), "server", "--config", str(config)], stdout=log,
                                      stderr=subprocess.STDOUT, env=dict(os.environ, RUST_LOG="warn,flotilla_broker::node=info")))
        logs.append(log_path)
    bootstraps = []
    deadline = time.monotonic() + 90
    for proc, log_path in zip(procs, logs):
        while True:
            m = re.search(r"serving Kafka clients.*address=127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
            if m:
                bootstraps.append(f"127.0.0.1:{m.group(1)}")
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                for p in procs:
                    p.kill()
                sys.exit(f"a node did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
    return procs, ",".join(bootstraps)


def confluent(bootstrap, topic, records, size, acks, rate=0, linger_ms=5):
    cmd = [sys.executable, str(ROOT / "bench" / "confluent_producer.py"), "--bootstrap", bootstrap, "--topic", topic,
           "--records", str(records), "--size", str(size), "--acks", str(acks), "--linger-ms", str(linger_ms)]
    if rate:
        cmd += ["--rate", str(rate)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["errors"] == 0 and result["undelivered"] == 0, result
    return result


def flotilla(*args):
    return subprocess.run([str(FLOTILLA), *args], check=True, capture_output=True, text=True, timeout=120).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--records", type=int, default=1_000_000)
    args = ap.parse_args()
    report = Report()
    row = report.row

    with tempfile.TemporaryDirectory(prefix="flotilla-cluster-bench-") as tmp:
        procs, bootstrap = start_cluster(Path(tmp))
        try:
            flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "rf1", "--partitions",
                     str(PARTITIONS), "--replication-factor", "1")
            flotilla("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "rf3", "--partitions",
                     str(PARTITIONS), "--replication-factor", "3", "--config", "min.insync.replicas=2")
            peak = {}
            for size in (100, 1024):
                n = args.records if size == 100 else args.records // 4
                for topic, acks in (("rf1", "1"), ("rf3", "all")):
                    values = [confluent(bootstrap, topic, n, size, acks)["records_per_s"] for _ in range(args.runs)]
                    med = statistics.median(values)
                    peak[(topic, size)] = med
                    row(f"confluent-kafka producer, {size} B, {topic}, acks={acks}", med, "records/s", values)
                ratio = peak[("rf3", size)] / peak[("rf1", size)]
                row(f"{size} B: replication factor 3 acks=all as a share of replication factor 1 acks=1",
                    round(100 * ratio), "%", [])
            rate = int(peak[("rf3", 100)] * 0.2)
            for linger_ms in (5, 0):
                results = [confluent(bootstrap, "rf3", rate * 10, 100, "all", rate, linger_ms) for _ in range(args.runs)]
                for key in ("p50_ms", "p99_ms"):
                    values = [r[key] for r in results]
                    row(f"produce latency {key[:3]} at {rate:,} records/s (20% of peak), rf3, acks=all, "
                        f"linger.ms={linger_ms}", statistics.median(values), "ms", values)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)

    report.print_markdown()


if __name__ == "__main__":
    main()
