//! The abort handle of `spawn` and `fork` (Node: the `signal` option, an
//! `AbortSignal` from an `AbortController`).

use tokio::sync::watch;

/// Aborts what its [`AbortSignal`]s were given to (Node: `AbortController`).
///
/// ```
/// use rt_child_process::{events::ERROR, spawn_with, AbortController, Emitter, SpawnOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let controller = AbortController::new();
/// let (tx, rx) = std::sync::mpsc::channel();
/// let options = SpawnOptions::new().signal(controller.signal());
/// let child = spawn_with("sleep", ["30"], options, |c| {
///     c.on(&ERROR, move |e| tx.send(e.code().to_string()).unwrap());
/// })?;
/// controller.abort();
/// // As in Node: 'error' (AbortError), then 'exit' and 'close' with the signal.
/// assert_eq!(child.closed().await?.signal, Some("SIGTERM"));
/// assert_eq!(rx.recv().unwrap(), "ABORT_ERR");
/// # Ok::<(), rt_child_process::Error>(())
/// # }).unwrap();
/// ```
#[doc(alias = "new AbortController")]
#[derive(Debug)]
pub struct AbortController {
    tx: watch::Sender<bool>,
}

/// The receiving side of an [`AbortController`] (Node: `AbortSignal`),
/// passed as `SpawnOptions::signal`. A cheap `Clone`.
#[doc(alias = "options.signal")]
#[derive(Debug, Clone)]
pub struct AbortSignal {
    rx: watch::Receiver<bool>,
}

impl Default for AbortController {
    fn default() -> AbortController {
        AbortController::new()
    }
}

impl AbortController {
    /// A controller that has not aborted (Node: `new AbortController()`).
    pub fn new() -> AbortController {
        let (tx, _) = watch::channel(false);
        AbortController { tx }
    }

    /// Its signal (Node: `controller.signal`).
    pub fn signal(&self) -> AbortSignal {
        AbortSignal {
            rx: self.tx.subscribe(),
        }
    }

    /// Aborts: every child started with this controller's signal is killed
    /// with its `kill_signal` (Node: `controller.abort()`). A second call
    /// does nothing.
    pub fn abort(&self) {
        self.tx.send_replace(true);
    }
}

impl AbortSignal {
    /// Whether the controller aborted (Node: `signal.aborted`).
    pub fn aborted(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once the controller aborted; never when it was dropped
    /// without aborting.
    pub(crate) async fn wait(mut self) {
        if self.rx.wait_for(|a| *a).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
