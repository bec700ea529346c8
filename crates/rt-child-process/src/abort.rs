//! The abort handle of `spawn` and `fork` (Node: the `signal` option, an
//! `AbortSignal` from an `AbortController`).

use tokio::sync::watch;

/// Aborts what its [`AbortSignal`]s were given to (Node: `AbortController`).
///
/// ```
/// use rt_child_process::{spawn, AbortController, SpawnOptions};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let controller = AbortController::new();
/// let child = spawn("sleep", ["30"], SpawnOptions::new().signal(controller.signal()))?;
/// controller.abort();
/// let err = child.closed().await.unwrap_err();
/// assert_eq!(err.code(), "ABORT_ERR");
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
