//! The one thing the embedding crate implements: a deterministic state machine over opaque
//! commands.

/// The replicated state that committed commands are applied to, such as the cluster metadata
/// image.
///
/// Every voter applies the same commands in the same order, so an implementation must be
/// deterministic: the same snapshot followed by the same commands gives the same state and the same
/// responses on every node, whatever the clock or the machine. Applying is pure in-memory work; it
/// runs on openraft's state machine task and must not block on I/O.
///
/// The node owns the value it is given. Readers elsewhere in the process see the state through
/// whatever the implementation shares (for example an immutable image it publishes after each
/// apply); this trait only feeds it.
pub trait StateMachine: Send + Sync + 'static {
    /// Applies one committed command at log `index` and returns the response for the writer.
    ///
    /// A command the state machine cannot use (undecodable, or rejected by its rules) must still
    /// be answered, with a response that says so: the command is committed and every node applies
    /// it alike, so there is no failure to report to Raft.
    fn apply(&mut self, index: u64, command: &[u8]) -> Vec<u8>;

    /// The whole state, encoded, to be installed with [`StateMachine::restore`] on this or another
    /// node.
    fn snapshot(&self) -> Vec<u8>;

    /// Replaces the whole state with one made by [`StateMachine::snapshot`].
    ///
    /// # Errors
    /// The bytes are not a snapshot this state machine can read; the state must then be unchanged.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), SnapshotRestoreError>;
}

/// A snapshot that [`StateMachine::restore`] could not read.
#[derive(Debug, thiserror::Error)]
#[error("cannot restore the state machine from a snapshot: {reason}")]
pub struct SnapshotRestoreError {
    /// Why, for the log.
    pub reason: String,
}

impl SnapshotRestoreError {
    /// An error with the given reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }
}
