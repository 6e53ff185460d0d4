//! Codec benchmarks (results and commands in docs/BENCHMARKS.md):
//! - decode of a 1 MiB Produce request carrying 1,000 record batches (100 partitions × 10 batches of 1 KiB),
//!   with each partition's records split into validated batch headers; separately with CRC-32C checks;
//! - encode of a Fetch response of the same size.
//!
//! Record payloads are slices of the frame on decode and chunks of the frame on encode, so both costs should
//! scale with the number of batches and partitions, not with bytes.

use bytes::{BufMut, Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flotilla_protocol::frame::{decode_request, encode_request, encode_response};
use flotilla_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use flotilla_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use flotilla_protocol::messages::{FetchResponse, ProduceRequest, RequestHeader};
use flotilla_protocol::records::Batches;
use flotilla_protocol::{ApiKey, RequestBody, ResponseBody};

const PARTITIONS: usize = 100;
const BATCHES_PER_PARTITION: usize = 10;
const BATCH_BYTES: usize = 1024;

/// One uncompressed magic-2 batch of `BATCH_BYTES` with a valid CRC; the body is opaque to these benchmarks.
fn batch(seed: u8) -> Bytes {
    let mut b = BytesMut::with_capacity(BATCH_BYTES);
    b.put_i64(0); // base offset
    b.put_i32((BATCH_BYTES - 12) as i32); // batch length
    b.put_i32(0); // partition leader epoch
    b.put_i8(2); // magic
    b.put_u32(0); // crc, patched below
    b.put_i16(0); // attributes
    b.put_i32(0); // last offset delta
    b.put_i64(1_700_000_000_000); // base timestamp
    b.put_i64(1_700_000_000_000); // max timestamp
    b.put_i64(-1); // producer id
    b.put_i16(-1); // producer epoch
    b.put_i32(-1); // base sequence
    b.put_i32(1); // record count
    while b.len() < BATCH_BYTES {
        b.put_u8(seed);
    }
    let crc = crc32c::crc32c(&b[21..]);
    b[17..21].copy_from_slice(&crc.to_be_bytes());
    b.freeze()
}

fn partition_records(p: usize) -> Bytes {
    let mut out = BytesMut::with_capacity(BATCH_BYTES * BATCHES_PER_PARTITION);
    for i in 0..BATCHES_PER_PARTITION {
        out.extend_from_slice(&batch((p + i) as u8));
    }
    out.freeze()
}

fn produce_frame() -> Bytes {
    let request = ProduceRequest {
        acks: -1,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "bench".into(),
            partition_data: (0..PARTITIONS)
                .map(|p| PartitionProduceData {
                    index: p as i32,
                    records: Some(partition_records(p)),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let header = RequestHeader {
        request_api_key: ApiKey::Produce.key(),
        request_api_version: 9,
        correlation_id: 1,
        client_id: Some("bench".into()),
        ..Default::default()
    };
    let frame = encode_request(&header, &RequestBody::Produce(request)).expect("encodes").to_bytes();
    frame.slice(4..)
}

/// Decodes the frame and walks every batch header; returns the batch count so the work is not optimised out.
fn decode_produce(frame: Bytes, verify_crc: bool) -> usize {
    let request = decode_request(frame).expect("decodes");
    let RequestBody::Produce(produce) = request.body else { unreachable!("a produce frame") };
    let mut batches = 0;
    for topic in &produce.topic_data {
        for partition in &topic.partition_data {
            if let Some(records) = &partition.records {
                for batch in Batches::new(records.clone()).verify_crc(verify_crc) {
                    batch.expect("valid batch");
                    batches += 1;
                }
            }
        }
    }
    batches
}

fn fetch_response() -> FetchResponse {
    FetchResponse {
        responses: vec![FetchableTopicResponse {
            topic_id: flotilla_protocol::Uuid::from_u128(7),
            partitions: (0..PARTITIONS)
                .map(|p| PartitionData {
                    partition_index: p as i32,
                    high_watermark: 1_000,
                    last_stable_offset: 1_000,
                    log_start_offset: 0,
                    records: Some(partition_records(p)),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let frame = produce_frame();
    assert_eq!(decode_produce(frame.clone(), true), PARTITIONS * BATCHES_PER_PARTITION);
    let mut group = c.benchmark_group("produce_request_1MiB_1000_batches");
    group.throughput(Throughput::Bytes(frame.len() as u64));
    group.bench_function("decode_and_split", |b| b.iter(|| decode_produce(frame.clone(), false)));
    group.bench_function("decode_split_and_crc", |b| b.iter(|| decode_produce(frame.clone(), true)));
    group.finish();

    let response = ResponseBody::Fetch(fetch_response());
    let size = encode_response(1, 16, &response).expect("encodes").len();
    let mut group = c.benchmark_group("fetch_response_1MiB_1000_batches");
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("encode", |b| {
        b.iter_batched(|| (), |()| encode_response(1, 16, &response).expect("encodes"), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
