//! Record batches from arbitrary bytes: header parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = flotilla_protocol::records::RecordBatchHeader::parse(data);
});
