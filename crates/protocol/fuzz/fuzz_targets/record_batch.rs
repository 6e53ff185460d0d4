//! Record batches from arbitrary bytes: splitting, header validation, lazy decompression and stamping never
//! panic, decompression stays under its limit, and stamping keeps a valid CRC valid.

#![no_main]

use bytes::Bytes;
use flotilla_protocol::records::{Batches, RecordBatchHeader};
use libfuzzer_sys::fuzz_target;

/// Decompressed bytes allowed per batch, far above any input libFuzzer produces.
const MAX_DECOMPRESSED_BYTES: usize = 8 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    // Without CRC checks so the mutator reaches the record decoders.
    for batch in Batches::new(input.clone()).verify_crc(false) {
        let Ok(batch) = batch else { break };
        for record in batch.records(MAX_DECOMPRESSED_BYTES) {
            if record.is_err() {
                break;
            }
        }
    }
    for batch in Batches::new(input) {
        let Ok(batch) = batch else { break };
        let mut stamped = batch.stamp();
        stamped.set_base_offset(1_000);
        stamped.set_partition_leader_epoch(7);
        stamped.set_log_append_time(1_700_000_000_000);
        let rewritten = stamped.to_bytes();
        let header = RecordBatchHeader::parse(&rewritten).expect("a stamped valid batch keeps a valid CRC");
        assert_eq!(header.base_offset(), 1_000);
        assert_eq!(header.partition_leader_epoch(), 7);
    }
});
