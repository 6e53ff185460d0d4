//! Differential tests against an independent codec, the `kafka-protocol` crate (a dev-dependency only).
//!
//! For every API and every version Kafka 4.1 defines, seeded random messages with every field of that
//! version set are encoded by us and decoded by kafka-protocol, re-encoded by kafka-protocol, and must come
//! back byte for byte and decode to the same value with our decoder. The version ranges must agree too.

use std::fmt::Debug;

use bytes::{Bytes, BytesMut};
use flotilla_protocol::testing::Gen;
use flotilla_protocol::{Message, Reader, Writer};
use kafka_protocol::protocol::{Decodable, Encodable, Message as TheirMessage};

/// Cases per version; raise with FLOTILLA_DIFF_CASES for a longer soak.
fn cases() -> u64 {
    std::env::var("FLOTILLA_DIFF_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(48)
}

fn encode_ours<M: Message>(m: &M, version: i16) -> Bytes {
    let mut w = Writer::new();
    m.encode(&mut w, version).unwrap_or_else(|e| panic!("{} v{version}: our encode failed: {e}", M::NAME));
    let bytes = w.finish().to_bytes();
    assert_eq!(bytes.len(), m.encoded_len(version), "{} v{version}: encoded_len disagrees with encode", M::NAME);
    bytes
}

fn check<Ours, Theirs>(generate: fn(&mut Gen, i16) -> Ours) -> usize
where
    Ours: Message + PartialEq + Debug,
    Theirs: Decodable + Encodable + TheirMessage + Debug,
{
    assert_eq!(
        (Ours::VERSIONS.min, Ours::VERSIONS.max),
        (Theirs::VERSIONS.min, Theirs::VERSIONS.max),
        "{}: version range differs from Kafka 4.1's",
        Ours::NAME
    );
    check_versions::<Ours, Theirs>(generate, Ours::VERSIONS.min..=Ours::VERSIONS.max)
}

fn check_versions<Ours, Theirs>(generate: fn(&mut Gen, i16) -> Ours, versions: std::ops::RangeInclusive<i16>) -> usize
where
    Ours: Message + PartialEq + Debug,
    Theirs: Decodable + Encodable + TheirMessage + Debug,
{
    let mut checked = 0;
    for version in versions {
        for seed in 0..cases() {
            let mut g = Gen::new(seed.wrapping_mul(0x1000_0001) ^ (version as u64) << 48);
            let ours = generate(&mut g, version);
            let bytes = encode_ours(&ours, version);

            let mut input = bytes.clone();
            let theirs = Theirs::decode(&mut input, version).unwrap_or_else(|e| {
                panic!("{} v{version} seed {seed}: kafka-protocol cannot decode our bytes: {e}\n{ours:?}", Ours::NAME)
            });
            assert!(
                input.is_empty(),
                "{} v{version} seed {seed}: kafka-protocol left {} bytes",
                Ours::NAME,
                input.len()
            );

            let mut theirs_bytes = BytesMut::new();
            theirs.encode(&mut theirs_bytes, version).unwrap_or_else(|e| {
                panic!("{} v{version} seed {seed}: kafka-protocol cannot re-encode: {e}\n{theirs:?}", Ours::NAME)
            });
            assert_eq!(
                theirs_bytes.as_ref(),
                bytes.as_ref(),
                "{} v{version} seed {seed}: bytes differ after a kafka-protocol round trip\nours:   {ours:?}\ntheirs: {theirs:?}",
                Ours::NAME
            );

            let mut r = Reader::new(theirs_bytes.freeze());
            let back = Ours::decode(&mut r, version).unwrap_or_else(|e| {
                panic!("{} v{version} seed {seed}: we cannot decode kafka-protocol's bytes: {e}", Ours::NAME)
            });
            assert_eq!(r.remaining(), 0, "{} v{version} seed {seed}: trailing bytes", Ours::NAME);
            assert_eq!(back, ours, "{} v{version} seed {seed}: value changed in the round trip", Ours::NAME);
            checked += 1;
        }
    }
    checked
}

macro_rules! differential {
    ($api:ident, $req:ident, $resp:ident) => {
        #[allow(non_snake_case)]
        mod $api {
            #[test]
            fn request() {
                let n = super::check::<flotilla_protocol::messages::$req, kafka_protocol::messages::$req>(
                    flotilla_protocol::messages::$req::generate,
                );
                assert!(n > 0);
            }

            #[test]
            fn response() {
                let n = super::check::<flotilla_protocol::messages::$resp, kafka_protocol::messages::$resp>(
                    flotilla_protocol::messages::$resp::generate,
                );
                assert!(n > 0);
            }
        }
    };
}

flotilla_protocol::for_each_api!(differential);

/// Kafka 4.1 dropped request header v0 (only ControlledShutdown v0 used it); we still define it, so the
/// oracle covers versions 1 and 2.
#[test]
fn request_header() {
    use flotilla_protocol::messages::RequestHeader;
    assert_eq!((RequestHeader::VERSIONS.min, RequestHeader::VERSIONS.max), (0, 2));
    assert!(
        check_versions::<RequestHeader, kafka_protocol::messages::RequestHeader>(RequestHeader::generate, 1..=2) > 0
    );
}

#[test]
fn response_header() {
    assert!(
        check::<flotilla_protocol::messages::ResponseHeader, kafka_protocol::messages::ResponseHeader>(
            flotilla_protocol::messages::ResponseHeader::generate
        ) > 0
    );
}

#[test]
fn every_issue_api_is_covered() {
    const REQUIRED: &[&str] = &[
        "ApiVersions",
        "Metadata",
        "Produce",
        "Fetch",
        "ListOffsets",
        "OffsetForLeaderEpoch",
        "CreateTopics",
        "DeleteTopics",
        "CreatePartitions",
        "DeleteRecords",
        "DescribeConfigs",
        "AlterConfigs",
        "IncrementalAlterConfigs",
        "DescribeCluster",
        "DescribeLogDirs",
        "AlterPartitionReassignments",
        "ListPartitionReassignments",
        "ElectLeaders",
        "InitProducerId",
        "FindCoordinator",
        "JoinGroup",
        "SyncGroup",
        "Heartbeat",
        "LeaveGroup",
        "OffsetCommit",
        "OffsetFetch",
        "OffsetDelete",
        "ListGroups",
        "DescribeGroups",
        "DeleteGroups",
        "ConsumerGroupHeartbeat",
        "ConsumerGroupDescribe",
        "AddPartitionsToTxn",
        "AddOffsetsToTxn",
        "EndTxn",
        "TxnOffsetCommit",
        "WriteTxnMarkers",
        "DescribeProducers",
        "DescribeTransactions",
        "ListTransactions",
        "SaslHandshake",
        "SaslAuthenticate",
        "CreateAcls",
        "DescribeAcls",
        "DeleteAcls",
        "DescribeUserScramCredentials",
        "AlterUserScramCredentials",
        "DescribeQuorum",
        "DescribeTopicPartitions",
    ];
    let ours: Vec<&str> = flotilla_protocol::ApiKey::ALL.iter().map(|k| k.name()).collect();
    let missing: Vec<&&str> = REQUIRED.iter().filter(|n| !ours.contains(n)).collect();
    assert!(missing.is_empty(), "APIs without a schema: {missing:?}");
}
