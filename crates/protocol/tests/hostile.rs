//! Hostile and malformed input: every failure is a typed error, never a panic, and a length prefix cannot
//! make the decoder allocate more than the frame holds.

use bytes::{BufMut, Bytes, BytesMut};
use flotilla_protocol::frame::{decode_request, encode_request, frame_size, FrameSizeError};
use flotilla_protocol::messages::{MetadataRequest, ProduceRequest, RequestHeader};
use flotilla_protocol::testing::Gen;
use flotilla_protocol::{ApiKey, DecodeErrorKind, Message, Reader, RequestBody, WireError};

fn header(api: ApiKey, version: i16) -> RequestHeader {
    RequestHeader {
        request_api_key: api.key(),
        request_api_version: version,
        correlation_id: 7,
        client_id: Some("hostile".into()),
        ..Default::default()
    }
}

#[test]
fn array_length_of_two_to_the_31_minus_one_with_nothing_after_is_rejected() {
    // ProduceRequest v3: transactional_id (null), acks, timeout_ms, then the topic array's i32 length.
    let mut body = BytesMut::new();
    body.put_i16(-1);
    body.put_i16(1);
    body.put_i32(1000);
    body.put_i32(i32::MAX);
    let err = ProduceRequest::decode(&mut Reader::new(body.freeze()), 3).expect_err("must be rejected");
    assert_eq!(err.field, "topic_data");
    assert_eq!(err.version, 3);
    assert_eq!(
        err.kind,
        DecodeErrorKind::Wire(WireError::LengthExceedsFrame { length: i32::MAX as u64, remaining: 0 })
    );
}

#[test]
fn compact_array_length_near_u32_max_is_rejected() {
    // MetadataRequest v12 (flexible): the topics compact array length as a 5-byte varint of 2^32-1.
    let body = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    let err = MetadataRequest::decode(&mut Reader::new(body), 12).expect_err("must be rejected");
    assert_eq!(err.field, "topics");
    assert!(matches!(err.kind, DecodeErrorKind::Wire(WireError::LengthExceedsFrame { .. })), "{err}");
}

#[test]
fn every_truncation_of_a_valid_request_is_an_error() {
    let mut g = Gen::new(42);
    for &api in ApiKey::ALL {
        for version in [api.versions().min, api.versions().max] {
            let body = RequestBody::decode(api, &mut Reader::new(random_request_bytes(&mut g, api, version)), version)
                .expect("a generated request decodes");
            let frame = encode_request(&header(api, version), &body).expect("encodes").to_bytes();
            let whole = frame.slice(4..);
            assert_eq!(decode_request(whole.clone()).expect("whole frame decodes").body, body);
            for cut in 0..whole.len() {
                assert!(decode_request(whole.slice(..cut)).is_err(), "{api:?} v{version} cut at {cut} decoded");
            }
        }
    }
}

/// Encodes a random request of `api` at `version` through the generated types.
fn random_request_bytes(g: &mut Gen, api: ApiKey, version: i16) -> Bytes {
    macro_rules! pick {
        ($name:ident, $req:ident, $resp:ident) => {
            if api == ApiKey::$name {
                let m = flotilla_protocol::messages::$req::generate(g, version);
                let mut w = flotilla_protocol::Writer::new();
                m.encode(&mut w, version).expect("encodes");
                return w.finish().to_bytes();
            }
        };
    }
    flotilla_protocol::for_each_api!(pick);
    unreachable!("every ApiKey has a schema")
}

#[test]
fn unknown_api_key_is_a_typed_error() {
    let mut frame = BytesMut::new();
    frame.put_i16(999);
    frame.put_i16(0);
    frame.put_i32(1);
    frame.put_i16(-1);
    let err = decode_request(frame.freeze()).expect_err("unknown API");
    assert_eq!(err.kind, DecodeErrorKind::UnknownApiKey(999));
}

#[test]
fn unsupported_version_is_a_typed_error() {
    let mut frame = BytesMut::new();
    frame.put_i16(ApiKey::Produce.key());
    frame.put_i16(2); // removed in Kafka 4
    frame.put_i32(1);
    frame.put_i16(-1);
    let err = decode_request(frame.freeze()).expect_err("Produce v2 is gone");
    assert_eq!(err.kind, DecodeErrorKind::UnsupportedVersion);
}

#[test]
fn frame_size_prefix_is_checked_before_reading() {
    assert_eq!(frame_size((2i32 << 30).to_be_bytes(), 100 * 1024 * 1024), Err(FrameSizeError::Negative(i32::MIN)));
    assert_eq!(
        frame_size(0x7fff_ffffi32.to_be_bytes(), 100 * 1024 * 1024),
        Err(FrameSizeError::TooLarge { size: 0x7fff_ffff, max_bytes: 100 * 1024 * 1024 })
    );
    assert_eq!(frame_size(12i32.to_be_bytes(), 100), Ok(12));
}

#[test]
fn random_bytes_never_panic() {
    let mut g = Gen::new(7);
    for _ in 0..20_000 {
        let len = (g.u64() % 64) as usize;
        let mut frame: Vec<u8> = (0..len).map(|_| g.u64() as u8).collect();
        // Point most frames at a real API and version so the body decoders get exercised.
        if frame.len() >= 4 && !g.one_in(4) {
            let api = ApiKey::ALL[(g.u64() % ApiKey::ALL.len() as u64) as usize];
            let span = (api.versions().max - api.versions().min + 1) as u64;
            let version = api.versions().min + (g.u64() % span) as i16;
            frame[..2].copy_from_slice(&api.key().to_be_bytes());
            frame[2..4].copy_from_slice(&version.to_be_bytes());
        }
        let _ = decode_request(Bytes::from(frame));
    }
}

#[test]
fn tagged_fields_must_ascend_and_the_largest_tag_survives_a_round_trip() {
    use flotilla_protocol::messages::ElectLeadersRequest;
    // ElectLeadersRequest v2 (flexible): election_type, null topic_partitions, timeout_ms, then tags.
    let prefix = [0x01, 0x00, 0x00, 0x00, 0xea, 0x60];
    let descending = [&prefix[..], &[0x02, 0x05, 0x01, 0xaa, 0x03, 0x01, 0xbb]].concat();
    let err = ElectLeadersRequest::decode(&mut Reader::new(Bytes::from(descending)), 2).expect_err("tags 5 then 3");
    assert_eq!(err.kind, DecodeErrorKind::Wire(WireError::TaggedFieldOrder { tag: 3, previous: 5 }));

    let duplicate = [&prefix[..], &[0x02, 0x05, 0x01, 0xaa, 0x05, 0x01, 0xbb]].concat();
    assert!(ElectLeadersRequest::decode(&mut Reader::new(Bytes::from(duplicate)), 2).is_err());

    // An unknown tag of u32::MAX (a 5-byte varint) is kept and written back.
    let largest = [&prefix[..], &[0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0xcc]].concat();
    let m = ElectLeadersRequest::decode(&mut Reader::new(Bytes::from(largest.clone())), 2).expect("decodes");
    assert_eq!(m.unknown_tagged_fields[0].tag, u32::MAX);
    let mut w = flotilla_protocol::Writer::new();
    m.encode(&mut w, 2).expect("encodes");
    assert_eq!(w.finish().to_bytes(), Bytes::from(largest));
}

#[test]
fn an_unknown_tag_that_is_known_in_later_versions_survives_a_round_trip() {
    use flotilla_protocol::messages::FetchRequest;
    // FetchRequest v13 has tagged field 0 (cluster_id) but tag 1 (replica_state) only from v15: at v13 a
    // tag-1 field is unknown and must be written back.
    let mut m = FetchRequest::default();
    m.unknown_tagged_fields.push(flotilla_protocol::RawTaggedField { tag: 1, data: Bytes::from_static(&[1]) });
    let mut w = flotilla_protocol::Writer::new();
    m.encode(&mut w, 13).expect("encodes");
    let bytes = w.finish().to_bytes();
    assert_eq!(bytes.len(), m.encoded_len(13));
    let back = FetchRequest::decode(&mut Reader::new(bytes), 13).expect("decodes");
    assert_eq!(back, m);
}
