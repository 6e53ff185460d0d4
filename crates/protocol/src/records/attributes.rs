//! The batch `attributes` field: codec, timestamp type and the transactional, control and
//! delete-horizon flags packed into one i16.
//!
//! ```text
//! bit  0-2  compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)
//! bit  3    timestamp type (0 CreateTime, 1 LogAppendTime)
//! bit  4    transactional
//! bit  5    control batch
//! bit  6    delete horizon set (baseTimestamp holds the compaction delete horizon)
//! bit  7-15 unused, kept as found
//! ```

use super::compression::Compression;
use super::error::RecordsError;

const CODEC_MASK: i16 = 0x07;
const TIMESTAMP_TYPE: i16 = 0x08;
const TRANSACTIONAL: i16 = 0x10;
const CONTROL: i16 = 0x20;
const DELETE_HORIZON: i16 = 0x40;

/// What a batch's timestamps mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// Set by the producer when the record was created.
    #[default]
    CreateTime,
    /// Set by the broker when the batch was appended; every record then takes the batch's
    /// maxTimestamp.
    LogAppendTime,
}

/// The raw attributes field, with typed accessors. Unknown bits are preserved so that rewriting
/// one flag never changes bytes the CRC covers for reasons we do not understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BatchAttributes(i16);

impl BatchAttributes {
    /// Wraps the field as read from the wire.
    pub const fn from_bits(bits: i16) -> Self {
        Self(bits)
    }

    /// The field as written on the wire.
    pub const fn bits(self) -> i16 {
        self.0
    }

    /// The codec; ids 5-7 are an error.
    pub const fn compression(self) -> Result<Compression, RecordsError> {
        Compression::from_id((self.0 & CODEC_MASK) as u8)
    }

    /// CreateTime or LogAppendTime.
    pub const fn timestamp_type(self) -> TimestampType {
        if self.0 & TIMESTAMP_TYPE != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// Whether the batch belongs to a transaction.
    pub const fn is_transactional(self) -> bool {
        self.0 & TRANSACTIONAL != 0
    }

    /// Whether the batch holds control records (transaction markers) rather than user data.
    pub const fn is_control(self) -> bool {
        self.0 & CONTROL != 0
    }

    /// Whether compaction has set a delete horizon in baseTimestamp.
    pub const fn has_delete_horizon(self) -> bool {
        self.0 & DELETE_HORIZON != 0
    }

    /// The same attributes with another codec.
    #[must_use]
    pub const fn with_compression(self, codec: Compression) -> Self {
        Self((self.0 & !CODEC_MASK) | codec.id() as i16)
    }

    /// The same attributes with another timestamp type.
    #[must_use]
    pub const fn with_timestamp_type(self, kind: TimestampType) -> Self {
        self.with_flag(TIMESTAMP_TYPE, matches!(kind, TimestampType::LogAppendTime))
    }

    /// The same attributes with the transactional flag set or cleared.
    #[must_use]
    pub const fn with_transactional(self, on: bool) -> Self {
        self.with_flag(TRANSACTIONAL, on)
    }

    /// The same attributes with the control flag set or cleared.
    #[must_use]
    pub const fn with_control(self, on: bool) -> Self {
        self.with_flag(CONTROL, on)
    }

    /// The same attributes with the delete-horizon flag set or cleared.
    #[must_use]
    pub const fn with_delete_horizon(self, on: bool) -> Self {
        self.with_flag(DELETE_HORIZON, on)
    }

    const fn with_flag(self, flag: i16, on: bool) -> Self {
        if on {
            Self(self.0 | flag)
        } else {
            Self(self.0 & !flag)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bits_match_kafka_layout() {
        let a = BatchAttributes::default()
            .with_compression(Compression::Zstd)
            .with_timestamp_type(TimestampType::LogAppendTime)
            .with_transactional(true)
            .with_control(true)
            .with_delete_horizon(true);
        assert_eq!(a.bits(), 0b0111_1100);
        assert_eq!(a.compression().unwrap(), Compression::Zstd);
        assert_eq!(a.timestamp_type(), TimestampType::LogAppendTime);
        assert!(a.is_transactional() && a.is_control() && a.has_delete_horizon());

        let cleared = a
            .with_compression(Compression::None)
            .with_timestamp_type(TimestampType::CreateTime)
            .with_transactional(false)
            .with_control(false)
            .with_delete_horizon(false);
        assert_eq!(cleared.bits(), 0);
    }

    #[test]
    fn unknown_bits_survive_and_bad_codec_is_reported() {
        let a = BatchAttributes::from_bits(0x0105_u16 as i16);
        assert!(matches!(a.compression(), Err(RecordsError::UnknownCompression(5))));
        assert_eq!(a.with_control(true).bits(), 0x0125);
    }
}
