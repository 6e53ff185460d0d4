//! Decoding a frame costs memory proportional to the frame, whatever its length fields claim. Measured with
//! a counting heap profiler; one test per binary because the profiler is process-wide.

use bytes::{BufMut, Bytes, BytesMut};
use flotilla_protocol::frame::decode_request;
use flotilla_protocol::testing::Gen;
use flotilla_protocol::ApiKey;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Peak heap growth while decoding `frame`, in bytes.
fn peak_growth(frame: Bytes) -> usize {
    let before = dhat::HeapStats::get();
    let _ = decode_request(frame);
    let after = dhat::HeapStats::get();
    after.max_bytes.saturating_sub(before.curr_bytes)
}

#[test]
fn length_fields_cannot_inflate_memory() {
    let _profiler = dhat::Profiler::builder().testing().build();

    // A lying array length: 2^31-1 topics, and nothing after it.
    let mut frame = BytesMut::new();
    frame.put_i16(ApiKey::Produce.key());
    frame.put_i16(3);
    frame.put_i32(1);
    frame.put_i16(-1);
    frame.put_i16(-1);
    frame.put_i16(1);
    frame.put_i32(1000);
    frame.put_i32(i32::MAX);
    let peak = peak_growth(frame.freeze());
    assert!(peak < 4096, "a 20-byte frame grew the heap by {peak} bytes");

    // Random frames aimed at every API: growth stays within a small multiple of the frame.
    let mut g = Gen::new(99);
    let mut worst_ratio = 0.0f64;
    for _ in 0..5_000 {
        let api = ApiKey::ALL[(g.u64() % ApiKey::ALL.len() as u64) as usize];
        let version = api.versions().max;
        let len = 4 + (g.u64() % 256) as usize;
        let mut bytes: Vec<u8> = (0..len)
            .map(|_| match g.u64() % 4 {
                0 => 0x7f,
                1 => 0xff,
                _ => g.u64() as u8,
            })
            .collect();
        bytes[..2].copy_from_slice(&api.key().to_be_bytes());
        bytes[2..4].copy_from_slice(&version.to_be_bytes());
        let peak = peak_growth(Bytes::from(bytes));
        worst_ratio = worst_ratio.max(peak as f64 / len as f64);
    }
    // Decoded structs are bigger than their wire form (an element needs at least one wire byte but
    // occupies up to a few hundred bytes in memory); what matters is that the ratio is bounded.
    assert!(worst_ratio < 512.0, "worst heap growth per frame byte: {worst_ratio}");
}
