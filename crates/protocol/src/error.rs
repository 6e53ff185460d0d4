//! Typed codec errors. A decode error names the message, the field and the version it was reading, so a
//! broker can log exactly what a hostile or buggy client sent; nothing in this crate panics on input.

use thiserror::Error;

/// What went wrong at the byte level, independent of which field was being read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The input ended before a value was complete.
    #[error("needed {needed} more bytes but only {remaining} remain")]
    UnexpectedEof { needed: usize, remaining: usize },
    /// A length prefix is negative (other than -1 for null) or does not fit in memory.
    #[error("invalid length {0}")]
    InvalidLength(i64),
    /// A length prefix asks for more bytes or elements than the frame can possibly hold. Checked before any
    /// allocation, so a tiny frame cannot make us reserve gigabytes.
    #[error("length {length} exceeds the {remaining} bytes left in the frame")]
    LengthExceedsFrame { length: u64, remaining: usize },
    /// A variable-length integer ran over its maximum width.
    #[error("unsigned varint longer than 5 bytes")]
    VarintTooLong,
    /// A string field is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// Null was sent for a field that is not nullable in this version.
    #[error("null is not allowed here")]
    UnexpectedNull,
    /// Tagged fields must come in strictly ascending tag order (KIP-482), so each tag appears once and a
    /// decoded message re-encodes to the same bytes.
    #[error("tagged field {tag} follows tag {previous}; tags must be strictly ascending")]
    TaggedFieldOrder { tag: u32, previous: u32 },
}

/// A decode failure with its context.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("decoding {message}.{field} (version {version}): {kind}")]
pub struct DecodeError {
    /// The generated type being decoded, e.g. `PartitionProduceData`.
    pub message: &'static str,
    /// The schema field name, e.g. `records`.
    pub field: &'static str,
    pub version: i16,
    pub kind: DecodeErrorKind,
}

/// Everything a frame can be rejected for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeErrorKind {
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The API key is not one this crate knows.
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    /// The message has no such version.
    #[error("unsupported version")]
    UnsupportedVersion,
}

impl DecodeError {
    pub(crate) fn wire(message: &'static str, field: &'static str, version: i16, kind: WireError) -> Self {
        Self { message, field, version, kind: DecodeErrorKind::Wire(kind) }
    }

    pub(crate) fn unsupported_version(message: &'static str, version: i16) -> Self {
        Self { message, field: "", version, kind: DecodeErrorKind::UnsupportedVersion }
    }
}

/// An encode failure: the value cannot be represented in the requested version.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("encoding {message}.{field} (version {version}): {kind}")]
pub struct EncodeError {
    pub message: &'static str,
    pub field: &'static str,
    pub version: i16,
    pub kind: EncodeErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeErrorKind {
    #[error("unsupported version")]
    UnsupportedVersion,
    #[error("null is not allowed in this version")]
    NullNotAllowed,
    #[error("value of {0} bytes or elements is too long for its length prefix")]
    TooLong(usize),
}

impl EncodeError {
    pub(crate) fn new(message: &'static str, field: &'static str, version: i16, kind: EncodeErrorKind) -> Self {
        Self { message, field, version, kind }
    }
}
