//! Max listeners: the process-wide default, Node's
//! `MaxListenersExceededWarning`, and the hook that reports it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::error::{OutOfRangeError, js_number};

/// Node's `events.defaultMaxListeners` as f64 bits (10 at start).
static DEFAULT_MAX: AtomicU64 = AtomicU64::new(0x4024_0000_0000_0000); // 10.0

/// The process-wide default limit, as a number (may be fractional or infinite
/// when set through [`try_set_default_max_listeners`]).
pub(crate) fn default_limit() -> f64 {
    f64::from_bits(DEFAULT_MAX.load(Ordering::Relaxed))
}

pub(crate) fn limit_to_usize(limit: f64) -> usize {
    if limit >= usize::MAX as f64 {
        usize::MAX
    } else {
        limit as usize
    }
}

/// Checks a limit the way Node's `setMaxListeners` does: negative and NaN
/// are `ERR_OUT_OF_RANGE`; fractions and `Infinity` are accepted.
pub(crate) fn check_limit(name: &'static str, n: f64) -> Result<f64, OutOfRangeError> {
    if n.is_nan() || n < 0.0 {
        return Err(OutOfRangeError::number(name, ">= 0", n));
    }
    Ok(n)
}

/// The process-wide default max listeners (Node's `events.defaultMaxListeners`,
/// 10 unless changed). Emitters that never called `set_max_listeners` follow it.
#[doc(alias = "defaultMaxListeners")]
pub fn default_max_listeners() -> usize {
    limit_to_usize(default_limit())
}

/// Sets the process-wide default max listeners (`events.defaultMaxListeners = n`).
/// `0` means unlimited.
#[doc(alias = "defaultMaxListeners")]
pub fn set_default_max_listeners(n: usize) {
    DEFAULT_MAX.store((n as f64).to_bits(), Ordering::Relaxed);
}

/// Sets the process-wide default from a JavaScript-style number, as Node
/// does: `f64::INFINITY` and `0.0` mean unlimited, a fraction compares as is,
/// and a negative or NaN value is rejected with `ERR_OUT_OF_RANGE`
/// (`The value of "defaultMaxListeners" is out of range. It must be >= 0. Received -1`).
pub fn try_set_default_max_listeners(n: f64) -> Result<(), OutOfRangeError> {
    let n = check_limit("defaultMaxListeners", n)?;
    DEFAULT_MAX.store(n.to_bits(), Ordering::Relaxed);
    Ok(())
}

/// Node's `MaxListenersExceededWarning`: more listeners than the limit were
/// added for one event name (a likely leak). Reported once per event name
/// (until the name's listener count falls back to one or zero, as in Node).
#[derive(Clone, Debug, PartialEq)]
pub struct MaxListenersExceededWarning {
    pub(crate) event: &'static str,
    pub(crate) count: usize,
    pub(crate) emitter_type: &'static str,
    pub(crate) max: f64,
}

impl MaxListenersExceededWarning {
    /// The warning's name: `"MaxListenersExceededWarning"`.
    pub fn name(&self) -> &'static str {
        "MaxListenersExceededWarning"
    }

    /// The event name that has too many listeners (Node's `warning.type`).
    pub fn event(&self) -> &'static str {
        self.event
    }

    /// How many listeners it has (Node's `warning.count`).
    pub fn count(&self) -> usize {
        self.count
    }

    /// The emitter's type name as Node prints it (`EventEmitter`, `Socket`, ...).
    pub fn emitter_type(&self) -> &'static str {
        self.emitter_type
    }

    /// The limit that was exceeded.
    pub fn max_listeners(&self) -> f64 {
        self.max
    }

    /// Node's message, without the name:
    /// `Possible EventEmitter memory leak detected. 11 wake listeners added to
    /// [EventEmitter]. MaxListeners is 10. Use emitter.setMaxListeners() to increase limit`.
    pub fn message(&self) -> String {
        format!(
            "Possible EventEmitter memory leak detected. {} {} listeners added to [{}]. \
             MaxListeners is {}. Use emitter.setMaxListeners() to increase limit",
            self.count,
            self.event,
            self.emitter_type,
            js_number(self.max)
        )
    }
}

impl fmt::Display for MaxListenersExceededWarning {
    /// `MaxListenersExceededWarning: <message>`, as Node prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

/// A function that receives warnings.
pub type WarningHook = Arc<dyn Fn(&MaxListenersExceededWarning) + Send + Sync>;

static HOOK: RwLock<Option<WarningHook>> = RwLock::new(None);

/// Replaces the process-wide warning hook (Node: `process.on('warning')`
/// plus removing the default printer). The default prints
/// `(rt:<pid>) MaxListenersExceededWarning: ...` to stderr, as Node does.
/// An emitter's own hook ([`EventEmitter::set_warning_hook`](crate::EventEmitter::set_warning_hook))
/// takes precedence.
pub fn set_warning_hook(hook: impl Fn(&MaxListenersExceededWarning) + Send + Sync + 'static) {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
}

/// Puts the default (stderr) warning hook back.
pub fn reset_warning_hook() {
    *HOOK.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// Reports `w` through `own` (an emitter's hook) or the process-wide hook.
pub(crate) fn report(own: Option<WarningHook>, w: &MaxListenersExceededWarning) {
    let hook = own.or_else(|| HOOK.read().unwrap_or_else(PoisonError::into_inner).clone());
    match hook {
        Some(hook) => hook(w),
        None => eprintln!("(rt:{}) {w}", std::process::id()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_nodes() {
        let w = MaxListenersExceededWarning {
            event: "wake",
            count: 11,
            emitter_type: "EventEmitter",
            max: 10.0,
        };
        assert_eq!(
            w.to_string(),
            "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. \
             11 wake listeners added to [EventEmitter]. MaxListeners is 10. \
             Use emitter.setMaxListeners() to increase limit"
        );
        assert_eq!(w.count(), 11);
        assert_eq!(w.event(), "wake");
    }

    #[test]
    fn limits_are_checked() {
        assert!(check_limit("n", -1.0).is_err());
        assert!(check_limit("n", f64::NAN).is_err());
        assert_eq!(check_limit("n", f64::INFINITY), Ok(f64::INFINITY));
        assert_eq!(check_limit("n", -0.0), Ok(-0.0));
        assert_eq!(limit_to_usize(f64::INFINITY), usize::MAX);
        assert_eq!(limit_to_usize(1.5), 1);
    }
}
