//! Differential tests of `flotilla_protocol::records` against kafka-protocol 0.18's independent
//! implementation of the same format:
//!
//! * batches built by our builder decode identically with kafka-protocol's decoder, for every
//!   codec, and our header view agrees with its header-only decoder;
//! * batches encoded by kafka-protocol split and decode identically with ours;
//! * batches we stamp (offsets, leader epoch, LogAppendTime) still pass kafka-protocol's CRC check.
//!
//! Records are generated with proptest from a fixed seed, so every run checks the same cases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::{Bytes, BytesMut};
use flotilla_protocol::records::{
    end_transaction_batch, Batches, Compression, Record, RecordBatch, RecordBatchBuilder, RecordBatchHeader,
    RecordHeader, StampedBatch, TimestampType, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as KCompression, Record as KRecord, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
    RecordSet, TimestampType as KTimestampType,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Decompression cap for our iterator in these tests: far above anything generated.
const LIMIT: usize = 16 << 20;

fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x0f10_7111a), failure_persistence: None, ..Config::default() }
}

fn k_codec(c: Compression) -> KCompression {
    match c {
        Compression::None => KCompression::None,
        Compression::Gzip => KCompression::Gzip,
        Compression::Snappy => KCompression::Snappy,
        Compression::Lz4 => KCompression::Lz4,
        Compression::Zstd => KCompression::Zstd,
    }
}

/// One generated record. Header keys are unique because kafka-protocol keeps headers in a map.
#[derive(Debug, Clone)]
struct Input {
    timestamp: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Input {
    fn headers(&self) -> Vec<RecordHeader> {
        self.headers.iter().map(|(k, v)| RecordHeader::new(k.clone(), v.clone())).collect()
    }

    fn k_headers(&self) -> IndexMap<StrBytes, Option<Bytes>> {
        self.headers.iter().map(|(k, v)| (StrBytes::from_string(k.clone()), v.clone().map(Bytes::from))).collect()
    }
}

/// Batch-level properties plus its records.
#[derive(Debug, Clone)]
struct Spec {
    codec: Compression,
    base_offset: i64,
    leader_epoch: i32,
    producer: Option<(i64, i16, i32)>,
    transactional: bool,
    records: Vec<Input>,
}

impl Spec {
    fn producer_fields(&self) -> (i64, i16, i32) {
        self.producer.unwrap_or((NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE))
    }

    fn sequence(&self, i: usize) -> i32 {
        let (_, _, base) = self.producer_fields();
        if base == NO_SEQUENCE {
            // kafka-protocol derives each record's sequence as baseSequence + delta, even for -1.
            base.wrapping_add(i as i32)
        } else {
            base + i as i32
        }
    }

    fn build(&self) -> Bytes {
        let (pid, epoch, seq) = self.producer_fields();
        let mut b = RecordBatchBuilder::new(self.codec)
            .base_offset(self.base_offset)
            .partition_leader_epoch(self.leader_epoch)
            .producer(pid, epoch, seq)
            .transactional(self.transactional);
        for r in &self.records {
            b.append(r.timestamp, r.key.as_deref(), r.value.as_deref(), &r.headers()).unwrap();
        }
        b.build().unwrap()
    }

    fn k_records(&self) -> Vec<KRecord> {
        let (pid, epoch, _) = self.producer_fields();
        self.records
            .iter()
            .enumerate()
            .map(|(i, r)| KRecord {
                transactional: self.transactional,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: self.leader_epoch,
                producer_id: pid,
                producer_epoch: epoch,
                timestamp_type: KTimestampType::Creation,
                offset: self.base_offset + i as i64,
                sequence: self.sequence(i),
                timestamp: r.timestamp,
                key: r.key.clone().map(Bytes::from),
                value: r.value.clone().map(Bytes::from),
                headers: r.k_headers(),
            })
            .collect()
    }
}

fn input_strategy() -> impl Strategy<Value = Input> {
    (
        // Includes -1 (no timestamp) and spans decades of milliseconds, so deltas vary in sign
        // and varint length.
        prop_oneof![Just(-1i64), 0i64..4_000_000_000_000],
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..48)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
        proptest::collection::vec(
            ("[a-z0-9._-]{0,10}", proptest::option::of(proptest::collection::vec(any::<u8>(), 0..24))),
            0..4,
        ),
    )
        .prop_map(|(timestamp, key, value, mut headers)| {
            let mut seen = std::collections::HashSet::new();
            headers.retain(|(k, _)| seen.insert(k.clone()));
            Input { timestamp, key, value, headers }
        })
}

fn codec_strategy() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::None),
        Just(Compression::Gzip),
        Just(Compression::Snappy),
        Just(Compression::Lz4),
        Just(Compression::Zstd),
    ]
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        codec_strategy(),
        0i64..1_000_000_000_000,
        -1i32..1000,
        proptest::option::of((0i64..i64::MAX / 2, 0i16..i16::MAX, 0i32..1_000_000)),
        any::<bool>(),
        proptest::collection::vec(input_strategy(), 1..30),
    )
        .prop_map(|(codec, base_offset, leader_epoch, producer, transactional, records)| Spec {
            codec,
            base_offset,
            leader_epoch,
            producer,
            // Kafka only allows transactional batches from producers with an id.
            transactional: transactional && producer.is_some(),
            records,
        })
}

/// kafka-protocol's view of `bytes`: every batch, fully decoded (its CRC checked).
fn k_decode(bytes: &Bytes) -> Vec<RecordSet> {
    let mut buf = bytes.clone();
    RecordBatchDecoder::decode_all(&mut buf).expect("kafka-protocol decodes our batch")
}

fn k_encode(records: &[KRecord], codec: Compression) -> Bytes {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(&mut buf, records, &RecordEncodeOptions { version: 2, compression: k_codec(codec) })
        .expect("kafka-protocol encodes");
    buf.freeze()
}

fn our_records(batch: &RecordBatch) -> Vec<Record> {
    batch.records(LIMIT).collect::<Result<_, _>>().expect("our iterator decodes")
}

/// Asserts one of our decoded records matches the kafka-protocol record.
fn assert_same_record(ours: &Record, theirs: &KRecord, ctx: &str) {
    assert_eq!(ours.offset, theirs.offset, "{ctx}: offset");
    assert_eq!(ours.timestamp, theirs.timestamp, "{ctx}: timestamp");
    assert_eq!(ours.key, theirs.key, "{ctx}: key");
    assert_eq!(ours.value, theirs.value, "{ctx}: value");
    let their_headers: Vec<RecordHeader> =
        theirs.headers.iter().map(|(k, v)| RecordHeader { key: Bytes::from(k.clone()), value: v.clone() }).collect();
    assert_eq!(ours.headers, their_headers, "{ctx}: headers in order");
}

/// Asserts our header view agrees with the batch-level facts kafka-protocol decoded.
fn assert_same_header(ours: &RecordBatchHeader, set: &RecordSet, ctx: &str) {
    let first = set.records.first().expect("non-empty batch");
    assert_eq!(k_codec(ours.compression()), set.compression, "{ctx}: codec");
    assert_eq!(ours.magic(), set.version, "{ctx}: magic");
    assert_eq!(ours.record_count() as usize, set.records.len(), "{ctx}: count");
    assert_eq!(ours.base_offset(), set.records.iter().map(|r| r.offset).min().unwrap(), "{ctx}: base offset");
    assert_eq!(ours.last_offset(), set.records.iter().map(|r| r.offset).max().unwrap(), "{ctx}: last offset");
    assert_eq!(ours.partition_leader_epoch(), first.partition_leader_epoch, "{ctx}: leader epoch");
    assert_eq!(ours.producer_id(), first.producer_id, "{ctx}: producer id");
    assert_eq!(ours.producer_epoch(), first.producer_epoch, "{ctx}: producer epoch");
    assert_eq!(ours.is_transactional(), first.transactional, "{ctx}: transactional");
    assert_eq!(ours.is_control(), first.control, "{ctx}: control");
    assert_eq!(ours.max_timestamp(), set.records.iter().map(|r| r.timestamp).max().unwrap(), "{ctx}: max timestamp");
}

/// Builds `spec` with our builder and checks kafka-protocol decodes it to the same records and header.
fn check_our_batch_with_kafka_protocol(spec: &Spec) -> Result<(), TestCaseError> {
    let bytes = spec.build();
    let sets = k_decode(&bytes);
    prop_assert_eq!(sets.len(), 1);
    let set = &sets[0];
    prop_assert_eq!(set.compression, k_codec(spec.codec));
    prop_assert_eq!(set.records.len(), spec.records.len());
    let (pid, epoch, _) = spec.producer_fields();
    for (i, (k, input)) in set.records.iter().zip(&spec.records).enumerate() {
        prop_assert_eq!(k.offset, spec.base_offset + i as i64);
        prop_assert_eq!(k.timestamp, input.timestamp);
        prop_assert_eq!(&k.key, &input.key.clone().map(Bytes::from));
        prop_assert_eq!(&k.value, &input.value.clone().map(Bytes::from));
        prop_assert_eq!(&k.headers, &input.k_headers());
        prop_assert_eq!(k.sequence, spec.sequence(i));
        prop_assert_eq!((k.producer_id, k.producer_epoch), (pid, epoch));
        prop_assert_eq!(k.partition_leader_epoch, spec.leader_epoch);
        prop_assert_eq!(k.transactional, spec.transactional);
        prop_assert!(!k.control);
        prop_assert_eq!(k.timestamp_type, KTimestampType::Creation);
    }

    // Our own reading of the same bytes agrees record for record.
    let batch = RecordBatch::parse(bytes.clone()).unwrap();
    let ours = our_records(&batch);
    for (i, (o, k)) in ours.iter().zip(&set.records).enumerate() {
        assert_same_record(o, k, &format!("{} record {i}", spec.codec));
    }
    assert_same_header(batch.header(), set, &spec.codec.to_string());

    // kafka-protocol's header-only decoder agrees with our header view.
    let info = RecordBatchDecoder::decode_batch_info(&mut bytes.clone()).unwrap();
    prop_assert_eq!(info.len(), 1);
    let h = batch.header();
    prop_assert_eq!(info[0].record_count, h.record_count());
    prop_assert_eq!(info[0].min_offset, h.base_offset());
    prop_assert_eq!(info[0].min_timestamp, h.base_timestamp());
    prop_assert_eq!(info[0].base_sequence, h.base_sequence());
    prop_assert_eq!(info[0].producer_id, h.producer_id());
    prop_assert_eq!(info[0].producer_epoch, h.producer_epoch());
    prop_assert_eq!(info[0].partition_leader_epoch, h.partition_leader_epoch());
    prop_assert_eq!(info[0].compression, k_codec(h.compression()));
    prop_assert_eq!(info[0].transactional, h.is_transactional());
    Ok(())
}

/// Encodes `a` then `b` with kafka-protocol and checks our splitter and iterator read the same.
fn check_kafka_protocol_batches_with_ours(a: &Spec, b: &Spec) -> Result<(), TestCaseError> {
    // kafka-protocol's encoder takes one codec per call, so each batch is encoded on its own.
    let blob = [k_encode(&a.k_records(), a.codec), k_encode(&b.k_records(), b.codec)].concat();
    let blob = Bytes::from(blob);
    let theirs = k_decode(&blob);

    let batches: Vec<RecordBatch> = Batches::new(blob.clone()).collect::<Result<_, _>>().unwrap();
    prop_assert_eq!(batches.len(), theirs.len());
    for (n, (batch, set)) in batches.iter().zip(&theirs).enumerate() {
        let ctx = format!("batch {n} ({})", batch.header().compression());
        assert_same_header(batch.header(), set, &ctx);
        let ours = our_records(batch);
        prop_assert_eq!(ours.len(), set.records.len());
        for (i, (o, k)) in ours.iter().zip(&set.records).enumerate() {
            assert_same_record(o, k, &format!("{ctx} record {i}"));
        }
    }
    // And against the generated input directly, so a shared misunderstanding would show.
    let all: Vec<Record> = batches.iter().flat_map(our_records).collect();
    let inputs: Vec<(&Spec, usize, &Input)> = a
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| (a, i, r))
        .chain(b.records.iter().enumerate().map(|(i, r)| (b, i, r)))
        .collect();
    prop_assert_eq!(all.len(), inputs.len());
    for (o, (spec, i, input)) in all.iter().zip(inputs) {
        prop_assert_eq!(o.offset, spec.base_offset + i as i64);
        prop_assert_eq!(o.timestamp, input.timestamp);
        prop_assert_eq!(&o.key, &input.key.clone().map(Bytes::from));
        prop_assert_eq!(&o.value, &input.value.clone().map(Bytes::from));
        prop_assert_eq!(&o.headers, &input.headers());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// Our builder's output, decoded by kafka-protocol, gives back exactly what was appended.
    #[test]
    fn our_batches_decode_identically_with_kafka_protocol(spec in spec_strategy()) {
        for codec in Compression::ALL {
            check_our_batch_with_kafka_protocol(&Spec { codec, ..spec.clone() })?;
        }
    }

    /// kafka-protocol's encoder output (two batches back to back) splits and decodes identically
    /// with our splitter and iterator. The first batch is tried with every codec.
    #[test]
    fn kafka_protocol_batches_decode_identically_with_ours(a in spec_strategy(), b in spec_strategy()) {
        for codec in Compression::ALL {
            check_kafka_protocol_batches_with_ours(&Spec { codec, ..a.clone() }, &b)?;
        }
    }

    /// Stamping offsets, epoch and LogAppendTime (copy-free) yields batches kafka-protocol
    /// accepts: its CRC check is independent of our incremental CRC update.
    #[test]
    fn stamped_batches_pass_kafka_protocol_crc_check(
        spec in spec_strategy(),
        new_offset in 0i64..1_000_000_000_000,
        epoch in 0i32..10_000,
        append_time in 0i64..4_000_000_000_000,
    ) {
        let bytes = spec.build();
        let mut stamped: StampedBatch = RecordBatch::parse(bytes.clone()).unwrap().stamp();
        stamped.set_base_offset(new_offset);
        stamped.set_partition_leader_epoch(epoch);
        stamped.set_log_append_time(append_time);
        prop_assert!(std::ptr::eq(stamped.payload().as_ptr(), bytes[61..].as_ptr()), "payload shared");

        let out = stamped.to_bytes();
        let sets = k_decode(&out);
        let set = &sets[0];
        for (i, k) in set.records.iter().enumerate() {
            prop_assert_eq!(k.offset, new_offset + i as i64);
            prop_assert_eq!(k.partition_leader_epoch, epoch);
            prop_assert_eq!(k.timestamp_type, KTimestampType::LogAppend);
        }
        prop_assert_eq!(set.records.len(), spec.records.len());

        // Our iterator reports the append time for every record, as Kafka does.
        let ours = our_records(&RecordBatch::parse(out).unwrap());
        prop_assert!(ours.iter().all(|r| r.timestamp == append_time));
    }

    /// Mutated and truncated batches never panic our splitter or iterator, and whatever kafka-protocol
    /// rejects for a CRC reason we reject too.
    #[test]
    fn corrupted_batches_are_rejected_not_panicked_on(
        spec in spec_strategy(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = spec.build().to_vec();
        let original_len = bytes.len();
        // Flips that land on the same byte combine (and may cancel out).
        let mut net = std::collections::BTreeMap::new();
        for (at, mask) in &flips {
            *net.entry(at.index(original_len)).or_insert(0u8) ^= mask;
        }
        for (&i, &mask) in &net {
            bytes[i] ^= mask;
        }
        let cut = if truncate { cut.index(original_len) } else { original_len };
        bytes.truncate(cut);
        let blob = Bytes::from(bytes);
        let mut ok_records = 0usize;
        let mut failed = false;
        for batch in Batches::new(blob.clone()) {
            match batch {
                Ok(batch) => {
                    for r in batch.records(LIMIT) {
                        match r {
                            Ok(_) => ok_records += 1,
                            Err(_) => failed = true,
                        }
                    }
                }
                Err(_) => failed = true,
            }
        }
        // A flip inside the CRC-covered region (or a truncation) must be caught somewhere.
        let flipped_covered = net.iter().any(|(i, &mask)| mask != 0 && (17..cut).contains(i));
        if (cut < original_len && cut > 0) || flipped_covered {
            prop_assert!(failed, "corruption went unnoticed ({ok_records} records decoded)");
        }
    }
}

#[test]
fn log_append_time_flag_is_understood_by_kafka_protocol() {
    let mut b = RecordBatchBuilder::new(Compression::Zstd).timestamp_type(TimestampType::LogAppendTime);
    b.append(1_234, Some(b"k"), Some(b"v"), &[]).unwrap();
    let sets = k_decode(&b.build().unwrap());
    assert_eq!(sets[0].records[0].timestamp_type, KTimestampType::LogAppend);
    assert_eq!(sets[0].records[0].timestamp, 1_234);
}

#[test]
fn end_transaction_markers_decode_with_kafka_protocol() {
    for commit in [false, true] {
        let bytes = end_transaction_batch(5, 1, commit, 17, 99).unwrap();
        let sets = k_decode(&bytes);
        let r = &sets[0].records[0];
        assert!(r.control && r.transactional);
        assert_eq!((r.producer_id, r.producer_epoch), (5, 1));
        assert_eq!(r.key.as_deref(), Some(&[0, 0, 0, u8::from(commit)][..]));
        assert_eq!(r.value.as_deref(), Some(&[0, 0, 0, 0, 0, 17][..]));
    }
}

/// A fixed batch from kafka-protocol's encoder, checked byte for byte against ours: for
/// uncompressed records the format leaves no freedom, so the two encoders must agree exactly.
#[test]
fn uncompressed_encoding_is_byte_identical() {
    let spec = Spec {
        codec: Compression::None,
        base_offset: 10,
        leader_epoch: 2,
        producer: Some((7, 1, 40)),
        transactional: true,
        records: vec![
            Input { timestamp: 1_000, key: None, value: Some(b"a".to_vec()), headers: vec![] },
            Input {
                timestamp: 1_010,
                key: Some(b"key".to_vec()),
                value: None,
                headers: vec![("h".into(), Some(b"x".to_vec())), ("n".into(), None)],
            },
        ],
    };
    assert_eq!(spec.build(), k_encode(&spec.k_records(), Compression::None));
}
