//! Internal messages as raw JSON text, for a module that speaks its own
//! `NODE_*` protocol over the channel (rt-cluster): the filter that looks
//! at them before they are parsed ([`Channel::filter_internal`]) and the
//! handle that may come with one ([`RawHandle`]).
//!
//! [`Channel::filter_internal`]: super::Channel::filter_internal

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::Arc;

/// A filter set with [`Channel::filter_internal`]: an internal message's
/// JSON text, with its handle when one came; `true` takes the message.
///
/// [`Channel::filter_internal`]: super::Channel::filter_internal
pub(crate) type InternalFilter = Arc<dyn Fn(&[u8], Option<RawHandle<'_>>) -> bool + Send + Sync>;

/// The fd that came with a raw internal message (a `'net.Native'`
/// handle, Node's `NODE_HANDLE` with cluster's `newconn` in it), given to
/// a filter set with [`Channel::filter_internal`]. Taking it takes the
/// message and acknowledges the handle (`NODE_HANDLE_ACK`, as Node does
/// before the receiver answers); left alone, the message goes on as if
/// there were no filter.
///
/// [`Channel::filter_internal`]: super::Channel::filter_internal
#[doc(alias = "NODE_HANDLE")]
#[doc(alias = "internalMessage")]
pub struct RawHandle<'a> {
    fds: &'a mut VecDeque<OwnedFd>,
    acknowledge: &'a dyn Fn(),
    taken: &'a mut bool,
}

impl<'a> RawHandle<'a> {
    /// For the channel's reader: `fds` holds the handle's fd first;
    /// `acknowledge` sends the `NODE_HANDLE_ACK`; `taken` says afterwards
    /// whether the filter took it.
    pub(crate) fn new(
        fds: &'a mut VecDeque<OwnedFd>,
        acknowledge: &'a dyn Fn(),
        taken: &'a mut bool,
    ) -> RawHandle<'a> {
        RawHandle {
            fds,
            acknowledge,
            taken,
        }
    }

    /// Takes the handle's fd (and with it the message), acknowledging it
    /// to the peer first: what the filter writes next goes after the ACK,
    /// as a Node receiver's answer does. The fd is always there (the
    /// channel offers a handle only with its fd); `None` never comes from
    /// this channel.
    #[doc(alias = "NODE_HANDLE_ACK")]
    pub fn take(self) -> Option<OwnedFd> {
        *self.taken = true;
        (self.acknowledge)();
        self.fds.pop_front()
    }
}

impl std::fmt::Debug for RawHandle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawHandle").finish_non_exhaustive()
    }
}
