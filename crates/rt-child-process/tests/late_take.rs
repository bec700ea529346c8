//! Output streams taken late: a child that exits (and closes) before the
//! caller takes its stdout/stderr still hands its output over. In Node the
//! code that takes a stream always runs before the child's exit can be seen;
//! here the caller's next line may run after the child's whole life (a
//! multi-thread runtime's block_on thread, a descheduled thread), so what
//! the exit drain reads is kept for a later taker.

use rt_child_process::{SpawnOptions, spawn};
use rt_tests::wait::within;

fn text(chunks: Vec<rt_buffer::Buffer>) -> String {
    chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// The deterministic form of the race: the streams are taken only after
/// 'close', so the exit drain has surely run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_taken_after_close_is_all_there() {
    let child = spawn("sh", ["-c", "echo hi; echo err >&2"], SpawnOptions::new()).unwrap();
    let info = within(20, "the child's close", child.closed()).await.unwrap();
    assert_eq!(info.code, Some(0));
    let out = within(20, "stdout's end", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    let err = within(20, "stderr's end", child.stderr().unwrap().read_all())
        .await
        .unwrap();
    assert_eq!(text(out), "hi\n");
    assert_eq!(text(err), "err\n");
    // The late stream ends and closes like any other.
    within(20, "stdout's close", child.stdout().unwrap().wait_closed()).await;
}

/// Taken between 'exit' and 'close' (the drain may be half-way).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_taken_after_exit_is_all_there() {
    let child = spawn("sh", ["-c", "echo one; echo two"], SpawnOptions::new()).unwrap();
    within(20, "the child's exit", child.wait()).await.unwrap();
    let out = within(20, "stdout's end", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    assert_eq!(text(out), "one\ntwo\n");
    within(20, "the child's close", child.closed()).await.unwrap();
}

/// More than a pipe holds (64 KiB), nobody reading: the child still exits
/// (the parent reads ahead, as Node's socket does), and every byte is there
/// for a later taker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_writing_more_than_a_pipe_holds_exits_and_keeps_its_output() {
    let child = spawn("head", ["-c", "100000", "/dev/zero"], SpawnOptions::new()).unwrap();
    let info = within(20, "the child's close", child.closed()).await.unwrap();
    assert_eq!(info.code, Some(0));
    let out = within(20, "stdout's end", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    let bytes: Vec<u8> = out.iter().flat_map(|b| b.to_vec()).collect();
    assert_eq!(bytes.len(), 100_000);
    assert!(bytes.iter().all(|b| *b == 0));
}

/// Ordered output across the read-ahead, taken right after spawn as the
/// docs' example does (the common use, from a block_on thread).
#[test]
fn taken_on_the_next_line_from_block_on_gets_everything() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..20 {
        let out = rt.block_on(async {
            let child = spawn("seq", ["1", "20000"], SpawnOptions::new()).unwrap();
            let out = within(20, "seq's output", child.stdout().unwrap().read_all())
                .await
                .unwrap();
            within(20, "seq's close", child.closed()).await.unwrap();
            text(out)
        });
        let expected: String = (1..=20000).map(|i| format!("{i}\n")).collect();
        assert!(
            out == expected,
            "round {round}: {} bytes, expected {}",
            out.len(),
            expected.len()
        );
    }
}

/// Past the keep limit after exit (a grandchild writing on), the untaken
/// output is thrown away as Node's flushStdio does: 'close' comes, the
/// writer is never blocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grandchild_writing_past_the_keep_limit_does_not_block_close() {
    let child = spawn(
        "sh",
        [
            "-c",
            "(sleep 0.1; head -c 8000000 /dev/zero; echo done >&2) & exit 0",
        ],
        SpawnOptions::new(),
    )
    .unwrap();
    within(20, "the child's exit", child.wait()).await.unwrap();
    within(
        30,
        "the child's close (the grandchild's 8 MB drained)",
        child.closed(),
    )
    .await
    .unwrap();
    // stderr stayed under the limit: it is kept.
    let err = within(20, "stderr's end", child.stderr().unwrap().read_all())
        .await
        .unwrap();
    assert_eq!(text(err), "done\n");
    // stdout went past it: dropped, nothing left to read.
    let out = within(20, "stdout's end", child.stdout().unwrap().read_all())
        .await
        .unwrap();
    let n: usize = out.iter().map(|b| b.len()).sum();
    assert_eq!(n, 0);
}
