"""One confluent-kafka (librdkafka) producer, as the issue's baseline measured it: linger.ms=5,
batch.size=256 KiB. Prints one JSON line: records/s, MB/s and, with --rate, delivery latency percentiles.

    python bench/confluent_producer.py --bootstrap 127.0.0.1:9092 --topic bench --records 2000000 \
        --size 100 --acks 1 [--rate 50000]
"""

import argparse
import json
import time

import confluent_kafka


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--rate", type=int, default=0, help="records/s to offer (0: as fast as possible)")
    ap.add_argument("--compression", default="none")
    ap.add_argument("--linger-ms", type=int, default=5)
    args = ap.parse_args()

    producer = confluent_kafka.Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": args.acks,
        "linger.ms": args.linger_ms,
        "batch.size": 256 * 1024,
        "compression.type": args.compression,
        "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576,
        "enable.idempotence": False,
    })
    payload = b"x" * args.size
    latencies_ms = []
    errors = [0]
    sent_at = {}

    def on_delivery(err, msg):
        if err is not None:
            errors[0] += 1

    # Latency mode stamps each record with its send time in the key (8 bytes), read back on delivery.
    def on_delivery_latency(err, msg):
        if err is not None:
            errors[0] += 1
            return
        sent = sent_at.pop(msg.key(), None)
        if sent is not None:
            latencies_ms.append((time.perf_counter() - sent) * 1000.0)

    callback = on_delivery_latency if args.rate else on_delivery
    start = time.perf_counter()
    for i in range(args.records):
        key = None
        if args.rate:
            due = start + i / args.rate
            while time.perf_counter() < due:
                producer.poll(0)
            key = i.to_bytes(8, "big")
            sent_at[key] = time.perf_counter()
        while True:
            try:
                producer.produce(args.topic, payload, key=key, on_delivery=callback)
                break
            except BufferError:
                producer.poll(0.001)
        if i % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    result = {
        "records": args.records,
        "size": args.size,
        "acks": args.acks,
        "linger_ms": args.linger_ms,
        "errors": errors[0],
        "undelivered": remaining,
        "seconds": round(elapsed, 3),
        "records_per_s": round(args.records / elapsed),
        "mb_per_s": round(args.records * args.size / elapsed / 1_048_576, 1),
    }
    if latencies_ms:
        latencies_ms.sort()
        pick = lambda q: round(latencies_ms[min(len(latencies_ms) - 1, int(q * len(latencies_ms)))], 2)
        result.update(p50_ms=pick(0.50), p99_ms=pick(0.99), p999_ms=pick(0.999), max_ms=round(latencies_ms[-1], 2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
