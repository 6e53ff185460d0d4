//! Our own round trip with what the differential oracle cannot check: unknown tagged fields (any tag,
//! interleaved with known ones, up to u32::MAX) at every level of every message, every version.

use flotilla_protocol::testing::Gen;
use flotilla_protocol::{Message, Reader, Writer};

fn round_trip<M: Message + PartialEq + std::fmt::Debug>(generate: fn(&mut Gen, i16) -> M) -> usize {
    let mut checked = 0;
    for version in M::VERSIONS.min..=M::VERSIONS.max {
        for seed in 0..64u64 {
            let mut g = Gen::new(seed ^ ((version as u64) << 40)).with_unknown_tags();
            let m = generate(&mut g, version);
            let mut w = Writer::new();
            m.encode(&mut w, version).unwrap_or_else(|e| panic!("{} v{version} seed {seed}: {e}", M::NAME));
            let bytes = w.finish().to_bytes();
            assert_eq!(bytes.len(), m.encoded_len(version), "{} v{version} seed {seed}: encoded_len", M::NAME);
            let mut r = Reader::new(bytes);
            let back = M::decode(&mut r, version).unwrap_or_else(|e| panic!("{} v{version} seed {seed}: {e}", M::NAME));
            assert_eq!(r.remaining(), 0);
            assert_eq!(back, m, "{} v{version} seed {seed}", M::NAME);
            checked += 1;
        }
    }
    checked
}

macro_rules! round_trips {
    ($api:ident, $req:ident, $resp:ident) => {
        #[allow(non_snake_case)]
        #[test]
        fn $api() {
            assert!(super::round_trip(flotilla_protocol::messages::$req::generate) > 0);
            assert!(super::round_trip(flotilla_protocol::messages::$resp::generate) > 0);
        }
    };
}

mod every_api {
    flotilla_protocol::for_each_api!(round_trips);
}

#[test]
fn headers() {
    assert!(round_trip(flotilla_protocol::messages::RequestHeader::generate) > 0);
    assert!(round_trip(flotilla_protocol::messages::ResponseHeader::generate) > 0);
}
