//! File streams: options, errors with Node's codes, and chunking compared with node.
#![allow(missing_docs)]

use rt_stream::fs::{ReadStreamOptions, WriteStreamOptions, create_read_stream, create_write_stream};
use rt_stream::*;
use rt_tests::wait::within;

/// A path in a fresh temp folder that is removed when the returned guard drops.
fn tmp(name: &str) -> (rt_tests::temp::TempDir, std::path::PathBuf) {
    let dir = rt_tests::temp::TempDir::new("rt-stream-fs");
    let path = dir.path().join(name);
    (dir, path)
}

#[tokio::test]
async fn chunk_sizes_match_node() {
    let (_path_dir, path) = tmp("chunks.bin");
    let payload = rt_tests::rng::Rng::new(9).bytes(200_000);
    std::fs::write(&path, &payload).unwrap();
    let cases: Vec<(Option<u64>, Option<u64>, Option<usize>)> = vec![
        (None, None, None),
        (Some(10), None, None),
        (None, Some(99_999), None),
        (Some(5), Some(5), None),
        (Some(1000), Some(150_000), Some(10_000)),
        (Some(199_990), None, Some(3)),
        (Some(300_000), None, None),
    ];
    let mut rt_out = Vec::new();
    for (start, end, hwm) in &cases {
        let r = create_read_stream(&path, {
            let mut o = ReadStreamOptions::default();
            o.start = *start;
            o.end = *end;
            o.high_water_mark = *hwm;
            o
        })
        .unwrap();
        let chunks = within(10, "the file's chunks", r.read_all()).await.unwrap();
        let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        let s = start.unwrap_or(0) as usize;
        let all: Vec<u8> = chunks.concat();
        let e = end
            .map(|e| e as usize + 1)
            .unwrap_or(payload.len())
            .min(payload.len());
        assert_eq!(all, payload[s.min(e)..e]);
        rt_out.push(lens);
    }
    let Some(node) = rt_tests::node::node_or_skip("fs chunk sizes vs node") else {
        return;
    };
    let cases_json = serde_json::to_string(
        &cases
            .iter()
            .map(|(s, e, h)| serde_json::json!({"start": s, "end": e, "highWaterMark": h}))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let script = format!(
        r#"const fs = require('fs');
        const cases = {cases_json};
        (async () => {{
          const out = [];
          for (const c of cases) {{
            const o = {{}};
            for (const k of Object.keys(c)) if (c[k] !== null) o[k] = c[k];
            const lens = [];
            for await (const chunk of fs.createReadStream({path:?}, o)) lens.push(chunk.length);
            out.push(lens);
          }}
          process.stdout.write(JSON.stringify(out));
        }})();"#,
        path = path.to_string_lossy()
    );
    let out = node.run_script(&script, b"");
    let node_out: Vec<Vec<usize>> = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        node_out.len(),
        cases.len(),
        "node returned {} cases",
        node_out.len()
    );
    assert_eq!(rt_out, node_out);
    println!("compared {} chunkings with node", cases.len());
}

#[tokio::test]
async fn open_errors_carry_nodes_fields() {
    let e = create_read_stream("/nonexistent-dir/x", ReadStreamOptions::default()).unwrap_err();
    assert_eq!(e.code(), "ENOENT");
    assert_eq!(e.errno(), Some(-2));
    assert_eq!(e.syscall(), Some("open"));
    assert_eq!(e.path(), Some("/nonexistent-dir/x"));
    assert_eq!(
        e.message(),
        "ENOENT: no such file or directory, open '/nonexistent-dir/x'"
    );
    let e = create_read_stream(tmp("x").1, ReadStreamOptions::default().start(5).end(2)).unwrap_err();
    assert_eq!(e.code(), "ERR_OUT_OF_RANGE");
    assert_eq!(
        e.message(),
        "The value of \"start\" is out of range. It must be <= \"end\" (here: 2). Received 5"
    );
    let (_p_dir, p) = tmp("exists.txt");
    std::fs::write(&p, "x").unwrap();
    let e = create_write_stream(&p, WriteStreamOptions::default().flags("wx")).unwrap_err();
    assert_eq!(e.code(), "EEXIST");
    assert_eq!(
        e.message(),
        format!("EEXIST: file already exists, open '{}'", p.display())
    );
}

#[tokio::test]
async fn write_flags_and_start() {
    let (_p_dir, p) = tmp("flags.txt");
    let w = create_write_stream(&p, WriteStreamOptions::default()).unwrap();
    w.end_with("hello world").unwrap();
    within(10, "the file writer's 'finish'", finished(&w))
        .await
        .unwrap();
    let w = create_write_stream(&p, WriteStreamOptions::default().flags("a")).unwrap();
    w.end_with("!").unwrap();
    within(10, "the file writer's 'finish'", finished(&w))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "hello world!");
    let w = create_write_stream(&p, WriteStreamOptions::default().flags("r+").start(6)).unwrap();
    w.end_with("WORLD").unwrap();
    within(10, "the file writer's 'finish'", finished(&w))
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "hello WORLD!");
    let r = create_read_stream(
        &p,
        ReadStreamOptions::default().encoding("utf8").high_water_mark(4),
    )
    .unwrap();
    let parts = within(10, "the file's chunks", r.read_all()).await.unwrap();
    assert_eq!(parts.concat(), b"hello WORLD!");
}

#[tokio::test]
async fn copy_a_file_with_pipe() {
    let (_src_dir, src) = tmp("src.bin");
    let (_dst_dir, dst) = tmp("dst.bin");
    let payload = rt_tests::rng::Rng::new(11).bytes(5 * 1024 * 1024 + 3);
    std::fs::write(&src, &payload).unwrap();
    let r = create_read_stream(&src, ReadStreamOptions::default()).unwrap();
    let w = create_write_stream(&dst, WriteStreamOptions::default()).unwrap();
    r.pipe(&w);
    within(10, "the copy's 'finish'", finished(&w)).await.unwrap();
    assert!(std::fs::read(&dst).unwrap() == payload);
    // and with pipeline + a transform in the middle
    let r = create_read_stream(&src, ReadStreamOptions::default()).unwrap();
    let t = PassThrough::new(DuplexOptions::default());
    let w = create_write_stream(&dst, WriteStreamOptions::default()).unwrap();
    within(10, "the file pipeline", pipeline!(r, t, w)).await.unwrap();
    assert!(std::fs::read(&dst).unwrap() == payload);
}

/// A file error keeps `errno`, `syscall` and `path` on every path: returned
/// from `create_read_stream`, emitted as `'error'` by a stream whose read
/// fails, kept as `errored()`, carried through the tokio bridge's
/// `io::Error` and back (the same delivery). Messages and fields as node
/// reports the same failures.
#[tokio::test]
async fn fs_errors_keep_every_field_on_every_path_and_match_node() {
    let Some(node) = rt_tests::node::node_or_skip("fs_errors_keep_every_field_on_every_path_and_match_node")
    else {
        return;
    };
    let (_dir_guard, dir) = tmp("a-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let dir_s = dir.to_str().unwrap().to_string();
    let script = format!(
        r#"
const fs = require('fs');
const pick = e => ({{ message: e.message, code: e.code, errno: e.errno ?? null,
  syscall: e.syscall ?? null, path: e.path ?? null }});
const out = {{}};
fs.createReadStream('/nonexistent-dir/x').on('error', e => {{
  out.open = pick(e);
  fs.createReadStream({dir:?}).on('error', e => {{ out.read = pick(e); console.log(JSON.stringify(out)); }}).resume();
}});
"#,
        dir = dir_s
    );
    let want: serde_json::Value = serde_json::from_slice(&node.run_script(&script, b"")).unwrap();
    let pick = |e: &Error| {
        serde_json::json!({ "message": e.message(), "code": e.code(), "errno": e.errno(),
            "syscall": e.syscall(), "path": e.path() })
    };

    let open = create_read_stream("/nonexistent-dir/x", ReadStreamOptions::default()).unwrap_err();
    assert_eq!(pick(&open), want["open"]);
    let back = Error::from(std::io::Error::from(open.clone()));
    assert!(back.same(&open), "io::Error -> Error lost the delivery");
    assert_eq!(back.io_kind(), std::io::ErrorKind::NotFound);

    // Reading a directory: the stream opens, its first read fails.
    let r = create_read_stream(&dir, ReadStreamOptions::default()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    r.on_error(move |e| {
        let _ = tx.send(e.clone());
    });
    let mut reader = r.clone().into_async_read();
    let mut buf = Vec::new();
    let io = rt_tests::wait::within(10, "the directory read to fail", async {
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut buf).await
    })
    .await
    .expect_err("reading a directory fails");
    let event = rt_tests::wait::recv_async(&mut rx, 10, "the 'error' event").await;
    assert_eq!(pick(&event), want["read"]);
    assert!(r.errored().expect("errored()").same(&event));
    let back = Error::from(io);
    assert!(
        back.same(&event),
        "the bridge's io::Error carries another error: {back:?}"
    );
    println!("compared 2 file errors with node on every path");
}
