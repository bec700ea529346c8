//! `pipeline(...)` wires every stage when it is called, before its future is
//! polled, as Node's `pipeline(a, b, c, cb)` does (checked against node: the
//! destination's 'pipe' event and the sink's first write happen inside the
//! call). Before the fix, the last stage was wired only on the first poll.
#![allow(missing_docs)]

use std::sync::{Arc, Mutex};

use rt_stream::*;

#[tokio::test]
async fn pipeline_wires_every_stage_before_it_is_polled() {
    let src = Readable::new(ReadableOptions::default());
    let mid = PassThrough::new(DuplexOptions::default());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let dst = Writable::from_fn(Default::default(), move |c: Buffer| {
        g.lock().unwrap().push(String::from_utf8_lossy(&c).into_owned());
        Ok(())
    });
    let piped = Arc::new(Mutex::new(0));
    let p = piped.clone();
    dst.on(StreamEvent::Pipe, move || *p.lock().unwrap() += 1);

    let fut = pipeline!(src, mid, dst);
    // Not polled yet: the destination already has its source.
    assert_eq!(
        *piped.lock().unwrap(),
        1,
        "dst saw 'pipe' at the pipeline!() call"
    );

    src.push("a");
    src.push_end();
    let res = rt_tests::wait::within(10, "the pipeline to finish", fut).await;
    assert!(res.is_ok(), "pipeline failed: {res:?}");
    assert_eq!(*got.lock().unwrap(), ["a"]);
}

#[tokio::test]
async fn two_stream_pipeline_wires_at_the_call() {
    let src = Readable::new(ReadableOptions::default());
    let dst = Writable::from_fn(Default::default(), |_c: Buffer| Ok(()));
    let piped = Arc::new(Mutex::new(0));
    let p = piped.clone();
    dst.on(StreamEvent::Pipe, move || *p.lock().unwrap() += 1);
    let fut = pipeline(&src, &dst);
    assert_eq!(*piped.lock().unwrap(), 1, "dst saw 'pipe' at the pipeline() call");
    src.push_end();
    let res = rt_tests::wait::within(10, "the pipeline to finish", fut).await;
    assert!(res.is_ok(), "pipeline failed: {res:?}");
}
