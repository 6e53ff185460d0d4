//! The one serialization format of this crate: postcard, for raft commands, snapshots and the gRPC
//! payloads, as the raft crate uses for its own messages.
//!
//! postcard is compact and has a stable, documented wire format, but it is not self-describing:
//! both sides must run the same types, which holds for the nodes of one Flotilla build. A change to
//! a stored type (a metadata record, [`crate::state_machine::MetadataCommand`], the snapshot) needs
//! a new format version and a migration.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Encodes `value`; `what` names it in the error.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Vec<u8>, CodecError> {
    postcard::to_allocvec(value).map_err(|source| CodecError { action: "encode", what, source })
}

/// Decodes a `T` from `bytes`; `what` names it in the error. Trailing bytes are an error.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, CodecError> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        // Bytes after a whole value mean the two sides disagree on the type.
        Ok((_, _)) => Err(CodecError { action: "decode", what, source: postcard::Error::DeserializeBadEncoding }),
        Err(source) => Err(CodecError { action: "decode", what, source }),
    }
}

/// A value that could not be encoded or decoded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot {action} {what}: {source}")]
pub struct CodecError {
    action: &'static str,
    what: &'static str,
    source: postcard::Error,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage_and_trailing_bytes() {
        let bytes = encode(&(7u32, "x".to_string()), "pair").unwrap();
        assert_eq!(decode::<(u32, String)>(&bytes, "pair").unwrap(), (7, "x".to_string()));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<(u32, String)>(&longer, "pair").is_err());
        let err = decode::<(u32, String)>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "pair").unwrap_err();
        assert!(err.to_string().starts_with("cannot decode pair"), "{err}");
    }
}
