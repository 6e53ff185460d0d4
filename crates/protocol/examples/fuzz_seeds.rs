//! Writes the seed corpus of the `request` fuzz target: one valid frame per API at its lowest and highest
//! version. Run `cargo run -p flotilla-protocol --example fuzz_seeds --features test-util -- DIR`.

use flotilla_protocol::frame::encode_request;
use flotilla_protocol::messages::RequestHeader;
use flotilla_protocol::testing::Gen;
use flotilla_protocol::{ApiKey, Message, RequestBody, Writer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?;
    std::fs::create_dir_all(&dir)?;
    let mut g = Gen::new(2024);
    for &api in ApiKey::ALL {
        for version in [api.versions().min, api.versions().max] {
            let mut w = Writer::new();
            macro_rules! encode {
                ($name:ident, $req:ident, $resp:ident) => {
                    if api == ApiKey::$name {
                        flotilla_protocol::messages::$req::generate(&mut g, version).encode(&mut w, version)?;
                    }
                };
            }
            flotilla_protocol::for_each_api!(encode);
            let body = RequestBody::decode(api, &mut flotilla_protocol::Reader::new(w.finish().to_bytes()), version)?;
            let header = RequestHeader {
                request_api_key: api.key(),
                request_api_version: version,
                correlation_id: 1,
                client_id: Some("seed".into()),
                ..Default::default()
            };
            let frame = encode_request(&header, &body)?.to_bytes();
            std::fs::write(format!("{dir}/{}-v{version}", api.name()), &frame[4..])?;
        }
    }
    Ok(())
}
