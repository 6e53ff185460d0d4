//! The `current_leader_epoch` check of Fetch, ListOffsets and OffsetForLeaderEpoch (KIP-320): a
//! client that knows a newer epoch than this broker makes it wait for metadata; one that knows an
//! older epoch must refresh its own.

use flotilla_model::LeaderEpoch;

use super::error::PartitionError;

/// Checks a request's `current_leader_epoch` against the partition's. -1 (an old client, or one
/// that does not track epochs) always passes.
pub fn check_current_leader_epoch(requested: LeaderEpoch, current: LeaderEpoch) -> Result<(), PartitionError> {
    if requested == LeaderEpoch::UNKNOWN || requested == current {
        Ok(())
    } else if requested < current {
        Err(PartitionError::FencedLeaderEpoch { requested, current })
    } else {
        Err(PartitionError::UnknownLeaderEpoch { requested, current })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_is_fenced_newer_is_unknown_none_passes() {
        let e = LeaderEpoch::new;
        assert!(check_current_leader_epoch(e(-1), e(5)).is_ok());
        assert!(check_current_leader_epoch(e(5), e(5)).is_ok());
        assert!(matches!(check_current_leader_epoch(e(4), e(5)), Err(PartitionError::FencedLeaderEpoch { .. })));
        assert!(matches!(check_current_leader_epoch(e(6), e(5)), Err(PartitionError::UnknownLeaderEpoch { .. })));
    }
}
