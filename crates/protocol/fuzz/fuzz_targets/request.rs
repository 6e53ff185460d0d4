//! Request frames (header and body) from arbitrary bytes: decoding never panics, and whatever decodes
//! re-encodes to a frame that decodes to the same value.

#![no_main]

use bytes::Bytes;
use flotilla_protocol::frame::{decode_request, encode_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = decode_request(Bytes::copy_from_slice(data)) else {
        return;
    };
    let frame = encode_request(&request.header, &request.body).expect("a decoded request re-encodes");
    let bytes = frame.to_bytes();
    let again = decode_request(bytes.slice(4..)).expect("a re-encoded request decodes");
    assert_eq!(again, request);
});
