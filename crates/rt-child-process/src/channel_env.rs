//! The environment variables that hand a child its IPC channel, by Node's
//! names (a leaf: spawn sets them, the child side reads them, `inherit`
//! keeps them from a worker's own children).

/// The fd number of the child's IPC channel (Node: `NODE_CHANNEL_FD`).
pub(crate) const CHANNEL_FD: &str = "NODE_CHANNEL_FD";
/// The channel's serialization, `json` (Node: `NODE_CHANNEL_SERIALIZATION_MODE`).
pub(crate) const SERIALIZATION_MODE: &str = "NODE_CHANNEL_SERIALIZATION_MODE";
