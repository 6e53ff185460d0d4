//! Which `__consumer_offsets` partition holds a group: `abs(javaStringHash(group.id)) % partitions`, as
//! Kafka's `GroupMetadataManager.partitionFor` computes it, so tools that compute it agree with the broker.

/// Java's `String.hashCode` over UTF-16 code units (`s[0]*31^(n-1) + ... + s[n-1]`, wrapping).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |hash, unit| hash.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// The `__consumer_offsets` partition of `group_id` among `partitions` (Kafka's `Utils.abs`, which maps
/// `i32::MIN` to 0 rather than overflowing). `partitions` below 1 is treated as 1.
pub fn offsets_partition_for(group_id: &str, partitions: i32) -> i32 {
    (java_string_hash(group_id) & 0x7fff_ffff) % partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_java() {
        // Values of "...".hashCode() in Java.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("console-consumer-12345"), 158_455_506);
        // Characters outside the BMP count as two UTF-16 units.
        assert_eq!(java_string_hash("😀"), 1_772_899);
    }

    #[test]
    fn partition_is_in_range_and_stable() {
        assert_eq!(offsets_partition_for("hello", 50), 99_162_322 % 50);
        assert_eq!(offsets_partition_for("console-consumer-12345", 50), 158_455_506 % 50);
        for id in ["", "g", "group-with-a-long-name", "ümlaut"] {
            let p = offsets_partition_for(id, 50);
            assert!((0..50).contains(&p));
        }
        assert_eq!(offsets_partition_for("anything", 0), 0);
        // Negative hashes: Kafka's `Utils.abs` masks the sign bit, so i32::MIN lands on 0.
        assert_eq!(java_string_hash("my-group"), -1_906_497_762);
        assert_eq!(offsets_partition_for("my-group", 50), 36);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(offsets_partition_for("polygenelubricants", 50), 0);
    }
}
