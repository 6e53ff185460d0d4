//! The `partition.metadata` file Kafka keeps in every partition directory (`PartitionMetadataFile`):
//! the topic id the log belongs to, so a log found on disk can be told apart from a newer topic of the
//! same name.
//!
//! ```text
//! version: 0
//! topic_id: <the id in Kafka's URL-safe base64, 22 characters>
//! ```

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use flotilla_model::TopicId;
use flotilla_protocol::Uuid;

/// The file's name in the partition directory.
pub const PARTITION_METADATA_FILE: &str = "partition.metadata";
/// Larger files are not read: the real one is about 40 bytes.
const MAX_FILE_BYTES: u64 = 4096;

/// The topic id recorded in `partition_dir`, `None` if there is no file or it cannot be read as one.
pub fn read_topic_id(partition_dir: &Path) -> Option<TopicId> {
    let path = partition_dir.join(PARTITION_METADATA_FILE);
    if fs::metadata(&path).ok()?.len() > MAX_FILE_BYTES {
        return None;
    }
    parse(&fs::read_to_string(path).ok()?)
}

/// Writes the file (to a temporary name, fsynced, then renamed) unless it already records `topic_id`.
pub fn write_topic_id(partition_dir: &Path, topic_id: TopicId) -> io::Result<()> {
    if read_topic_id(partition_dir) == Some(topic_id) {
        return Ok(());
    }
    let path = partition_dir.join(PARTITION_METADATA_FILE);
    let tmp = partition_dir.join(format!("{PARTITION_METADATA_FILE}.tmp"));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(format!("version: 0\ntopic_id: {topic_id}\n").as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, &path)?;
    fs::File::open(partition_dir)?.sync_all()
}

fn parse(text: &str) -> Option<TopicId> {
    let mut lines = text.lines();
    if lines.next()?.trim() != "version: 0" {
        return None;
    }
    let id = lines.next()?.trim().strip_prefix("topic_id:")?.trim();
    decode_uuid(id).map(TopicId::new)
}

/// Kafka's `Uuid.fromString`: 16 bytes in URL-safe base64 without padding.
fn decode_uuid(text: &str) -> Option<Uuid> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let chars = text.as_bytes();
    if chars.len() != 22 {
        return None;
    }
    let mut bytes = Vec::with_capacity(18);
    for chunk in chars.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= sextet(*c)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        for i in 0..produced {
            bytes.push((n >> (16 - 8 * i)) as u8);
        }
    }
    let array: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
    Some(Uuid::from_bytes(array))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trips_kafkas_text_form() {
        for n in [0u128, 1, 0x0001_0203_0405_0607_0809_0a0b_0c0d_0e0f, u128::MAX, 0xdead_beef << 64] {
            let id = TopicId::new(Uuid::from_u128(n));
            assert_eq!(parse(&format!("version: 0\ntopic_id: {id}\n")), Some(id), "{id}");
        }
        assert_eq!(
            decode_uuid("AAECAwQFBgcICQoLDA0ODw"),
            Some(Uuid::from_u128(0x0001_0203_0405_0607_0809_0a0b_0c0d_0e0f))
        );
    }

    #[test]
    fn malformed_files_are_ignored() {
        for text in ["", "version: 1\ntopic_id: AAECAwQFBgcICQoLDA0ODw", "version: 0\n", "version: 0\ntopic_id: short"]
        {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn written_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let id = TopicId::new(Uuid::from_u128(42));
        assert_eq!(read_topic_id(dir.path()), None);
        write_topic_id(dir.path(), id).unwrap();
        assert_eq!(read_topic_id(dir.path()), Some(id));
    }
}
