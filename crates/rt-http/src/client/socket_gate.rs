//! When a request's `'socket'` may be emitted: Node emits it with
//! `process.nextTick(onSocketNT)`, after the synchronous code that made the
//! request, for a new connection and for a pooled one alike. The gate opens
//! on that tick (`rt_stream::runtime::next_tick`); a connection that takes
//! the request earlier (it runs on another worker) offers its socket and
//! waits: the tick emits `'socket'` (unless the request was destroyed
//! meanwhile: then Node emits no `'socket'` and frees the socket), and only
//! then does the connection write the request and read its response, so
//! `'socket'` always comes before `'finish'`, `'response'` and `'close'`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

use super::events::ClientSocket;

/// One request's gate (see the module docs).
#[derive(Default)]
pub(crate) struct SocketGate {
    st: Mutex<GateState>,
    /// The tick ran and emitted what it had to: the connection may go on.
    passed: AtomicBool,
    wake: Notify,
}

#[derive(Default)]
struct GateState {
    /// The tick ran (the code that made the request is over).
    open: bool,
    /// A socket the connection gave before the tick, for the tick to tell.
    offered: Option<ClientSocket>,
}

impl SocketGate {
    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.st.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection has `socket` for the request: `true` if the tick ran
    /// already (the connection emits `'socket'` itself, now), `false` if the
    /// socket waits for the tick (then await [`passed`](Self::passed)).
    pub(crate) fn offer(&self, socket: ClientSocket) -> bool {
        let mut st = self.state();
        if st.open {
            return true;
        }
        st.offered = Some(socket);
        false
    }

    /// The socket offered is taken back (its connection cannot serve the
    /// request): the tick tells nothing of it.
    pub(crate) fn withdraw(&self) {
        self.state().offered = None;
    }

    /// The tick: the gate opens; returns the socket offered before it, for
    /// the tick to emit (then call [`passed_now`](Self::passed_now)).
    pub(crate) fn open(&self) -> Option<ClientSocket> {
        let mut st = self.state();
        st.open = true;
        st.offered.take()
    }

    /// The tick emitted what it had to: a connection waiting in
    /// [`passed`](Self::passed) goes on.
    pub(crate) fn passed_now(&self) {
        self.passed.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }

    /// Waits for the tick to have run and emitted (after a `false` from
    /// [`offer`](Self::offer)).
    pub(crate) async fn passed(&self) {
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if self.passed.load(Ordering::Acquire) {
                return;
            }
            woken.await;
        }
    }
}
