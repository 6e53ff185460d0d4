//! The one serialization format of this crate: postcard, for openraft's types on disk and on the
//! wire.
//!
//! postcard is compact (varint integers, raw bytes for `Vec<u8>`), needs no schema beyond the
//! serde derives openraft already has, and its wire format is stable and documented since 1.0.
//! It is not self-describing, so both sides must run the same types: true for one Flotilla build,
//! and an openraft upgrade that changes its serialized types needs a migration (see the crate doc).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Encodes `value`; `what` names it in the error.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Vec<u8>, CodecError> {
    postcard::to_allocvec(value).map_err(|source| CodecError { action: "encode", what, source })
}

/// Decodes a `T` from `bytes`; `what` names it in the error.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, CodecError> {
    postcard::from_bytes(bytes).map_err(|source| CodecError { action: "decode", what, source })
}

/// A value that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {what}: {source}")]
pub struct CodecError {
    action: &'static str,
    what: &'static str,
    source: postcard::Error,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use openraft::error::Fatal;
    use openraft::error::InstallSnapshotError;
    use openraft::error::RaftError;
    use openraft::raft::AppendEntriesRequest;
    use openraft::CommittedLeaderId;
    use openraft::EntryPayload;
    use openraft::StorageError;
    use openraft::StorageIOError;
    use openraft::Vote;

    use super::*;
    use crate::type_config::Command;
    use crate::type_config::Entry;
    use crate::type_config::LogId;
    use crate::type_config::NodeId;
    use crate::type_config::TypeConfig;

    #[test]
    fn append_entries_round_trips() {
        let log_id = LogId::new(CommittedLeaderId::new(3, 1), 7);
        let request = AppendEntriesRequest::<TypeConfig> {
            vote: Vote::new_committed(3, 1),
            prev_log_id: Some(LogId::new(CommittedLeaderId::new(2, 2), 6)),
            leader_commit: Some(log_id),
            entries: vec![Entry { log_id, payload: EntryPayload::Normal(Command(vec![0, 1, 255])) }],
        };
        let bytes = encode(&request, "request").unwrap();
        let decoded: AppendEntriesRequest<TypeConfig> = decode(&bytes, "request").unwrap();
        assert_eq!(decoded.vote, request.vote);
        assert_eq!(decoded.prev_log_id, request.prev_log_id);
        assert_eq!(decoded.entries[0].log_id, log_id);
        assert!(matches!(&decoded.entries[0].payload, EntryPayload::Normal(c) if c.0 == vec![0, 1, 255]));
    }

    #[test]
    fn remote_raft_errors_round_trip() {
        let io = std::io::Error::other("disk on fire");
        let error: RaftError<NodeId, InstallSnapshotError> =
            RaftError::Fatal(Fatal::StorageError(StorageError::from(StorageIOError::write_logs(&io))));
        let bytes = encode(&error, "error").unwrap();
        let decoded: RaftError<NodeId, InstallSnapshotError> = decode(&bytes, "error").unwrap();
        assert_eq!(decoded.to_string(), error.to_string());
    }

    #[test]
    fn garbage_is_a_decode_error_not_a_panic() {
        let result: Result<AppendEntriesRequest<TypeConfig>, _> = decode(&[0xff, 0xff, 0xff], "request");
        assert!(result.unwrap_err().to_string().starts_with("cannot decode request"));
    }
}
