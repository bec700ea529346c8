//! What rt-stream's differential tests share: a tokio runtime of each
//! flavour, node's answers for a list of cases (its runner fed them all
//! on stdin, one answer per case), running one case as a task, and the
//! rt side of a scenario ([`scenario`]).
#![allow(dead_code, unused_macros)]

use serde_json::Value;

#[macro_use]
pub(crate) mod scenario;

/// The tokio runtime flavours every differential test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    CurrentThread,
    MultiThread,
}

impl Flavour {
    /// How test output names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flavour::CurrentThread => "current_thread",
            Flavour::MultiThread => "multi_thread",
        }
    }
}

/// A runtime of `flavour` with every driver on; a multi-thread one has two
/// workers.
pub(crate) fn runtime(flavour: Flavour) -> tokio::runtime::Runtime {
    match flavour {
        Flavour::CurrentThread => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        Flavour::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .expect("a tokio runtime")
}

/// Node's answer for each of `cases`: `runner` (ending in `runCases(run)`)
/// run by `node` with the test kit's case loop ([`rt_tests::node::Node::run_cases`]),
/// the cases as a JSON array on stdin; asserts one answer per case. `None`
/// (a visible skip named `test`) without `node`.
pub(crate) fn node_answers<T: serde::de::DeserializeOwned>(
    test: &str,
    runner: &str,
    cases: &[Value],
) -> Option<Vec<T>> {
    let node = rt_tests::node::node_or_skip(test)?;
    let out = node.run_cases(runner, &serde_json::to_vec(cases).expect("cases as JSON"));
    let answers: Vec<T> = serde_json::from_slice(&out).expect("node runner output");
    assert_eq!(answers.len(), cases.len(), "{test}: node answered every case");
    Some(answers)
}

/// Runs `case` as a task on `rt` (as user code runs: on a worker of a
/// multi-thread runtime) and returns its result; a panic in it fails the
/// test, saying `what()` panicked.
pub(crate) fn on_task<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    what: impl FnOnce() -> String,
    case: impl Future<Output = T> + Send + 'static,
) -> T {
    rt.block_on(rt.spawn(case))
        .unwrap_or_else(|e| panic!("{} panicked: {e}", what()))
}
