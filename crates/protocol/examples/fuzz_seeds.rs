//! Writes the seed corpora of the fuzz targets under DIR: for `request`, one valid frame per API at its
//! lowest and highest version; for `record_batch`, batches built with every compression codec.
//! Run `cargo run -p flotilla-protocol --example fuzz_seeds --features test-util -- crates/protocol/fuzz/corpus`.

use flotilla_protocol::frame::encode_request;
use flotilla_protocol::messages::RequestHeader;
use flotilla_protocol::testing::Gen;
use flotilla_protocol::{ApiKey, Message, RequestBody, Writer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?;
    write_batches(&format!("{root}/record_batch"))?;
    let dir = format!("{root}/request");
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

fn write_batches(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    use flotilla_protocol::records::{Compression, RecordBatchBuilder, RecordHeader};
    std::fs::create_dir_all(dir)?;
    for codec in Compression::ALL {
        let mut builder = RecordBatchBuilder::new(codec).producer(4000, 1, 17);
        for i in 0..5u8 {
            let headers = [RecordHeader::new(bytes::Bytes::from_static(b"trace"), Some(vec![i; 3]))];
            let key = [b'k', i];
            let key = (i % 2 == 0).then_some(&key[..]);
            builder.append(1_700_000_000_000 + i64::from(i), key, Some(&[i; 40][..]), &headers)?;
        }
        let batch = builder.build()?;
        std::fs::write(format!("{dir}/{}", codec.name()), &batch)?;
    }
    Ok(())
}
