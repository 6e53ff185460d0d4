//! Flotilla's Kafka wire codec: no I/O, no async, safe on hostile input.
//!
//! Layout:
//! - `schema/*.schema` describe every message (format in `schema/README.md`); `build.rs` with `codegen/`
//!   turns them into [`messages`] (one module per message, types plus decode/encode) and the API registry
//!   ([`ApiKey`], [`RequestBody`], [`ResponseBody`]).
//! - [`reader`] and [`writer`] are the primitive encodings. Every length read off the wire is checked against
//!   the bytes present before anything is allocated, so decoding a frame costs memory proportional to it.
//!   Byte fields and record sets are slices of the frame; the writer appends large ones by reference.
//! - [`frame`] puts headers and bodies together: what a broker reads and writes on a connection.
//! - [`records`] is the record batch format (magic 2): header views, CRC-32C, offset rewrites, lazy
//!   decompression, and a batch builder.
//! - [`error`] holds the typed errors; each names the message, field and version it failed on.

pub mod consumer_protocol;
pub mod error;
pub mod frame;
pub mod reader;
pub mod records;
pub mod types;
pub mod writer;

#[cfg(feature = "test-util")]
pub mod testing;

/// Generated message types, one module per request, response and header.
pub mod messages {
    include!(concat!(env!("OUT_DIR"), "/messages.rs"));
}

mod registry {
    use crate::error::{DecodeError, EncodeError};
    use crate::messages::*;
    use crate::reader::Reader;
    use crate::types::VersionRange;
    use crate::writer::Writer;
    use crate::{Message, Request};
    include!(concat!(env!("OUT_DIR"), "/registry.rs"));
}

pub use bytestring::ByteString;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, WireError};
pub use reader::Reader;
pub use registry::{ApiKey, RequestBody, ResponseBody};
pub use types::{RawTaggedField, VersionRange};
pub use uuid::Uuid;
pub use writer::{EncodedFrame, Writer};

/// A request, response or header: a struct that can be encoded and decoded at the versions it defines.
pub trait Message: Sized {
    /// The type name, e.g. `ProduceRequest`.
    const NAME: &'static str;
    /// The versions Kafka 4.1 defines.
    const VERSIONS: VersionRange;
    /// The versions that use compact lengths and tagged fields.
    const FLEXIBLE_VERSIONS: VersionRange;

    /// Decodes one message; fails on an unknown version or malformed input, never panics.
    fn decode(r: &mut Reader, version: i16) -> Result<Self, DecodeError>;
    /// Encodes the fields that exist in `version`.
    fn encode(&self, w: &mut Writer, version: i16) -> Result<(), EncodeError>;
    /// The exact number of bytes [`Message::encode`] writes.
    fn encoded_len(&self, version: i16) -> usize;
}

/// A request body, tied to its API and its response type.
pub trait Request: Message {
    const API_KEY: ApiKey;
    type Response: Message;
}
