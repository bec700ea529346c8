//! `cargo xtask bench stream`: rt-stream against Node (benches/node/stream.js),
//! a tokio channel forwarding the same chunk handles, and cp.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rt_stream::fs::{create_read_stream, create_write_stream};
use rt_stream::*;
use rt_tests::bench::{Better, per_op, report, report_as};

const CHUNK: usize = 64 * 1024;
const GIB: u64 = 1 << 30;

fn bytes_source(total: u64) -> Readable {
    let block = Buffer::from(vec![7u8; CHUNK]);
    let mut sent = 0u64;
    Readable::from_source(
        move |_size: usize, p: &Pusher<Buffer>| {
            if sent >= total {
                p.push_end();
            } else {
                sent += CHUNK as u64;
                p.push(block.clone());
            }
        },
        ReadableOptions::default().high_water_mark(CHUNK),
    )
}

/// Chunks moved by a byte pipe of `total` bytes in 64 KiB chunks. The pipe and
/// pipeline figures are reported per chunk: no byte is touched (rt and Node
/// pass chunk handles), so a GB/s figure would measure nothing real.
fn chunks(total: u64) -> f64 {
    (total / CHUNK as u64) as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // 1. Readable (64 KiB pushes) -> identity Transform -> discarding Writable, 2 GiB.
    {
        let total = 2 * GIB;
        let start = Instant::now();
        rt.block_on(async {
            let src = bytes_source(total);
            let t = Transform::new(DuplexOptions::default(), |c, p| {
                p.push(c);
                Ok(())
            });
            let w = Writable::from_fn(WritableOptions::default(), |c| {
                black_box(&c);
                Ok(())
            });
            pipeline!(src, t, w).await.unwrap();
        });
        let ns = start.elapsed().as_nanos() as f64;
        report(
            "pipeline 2 GiB, 64 KiB chunks (Readable->Transform->Writable)",
            "ns/chunk",
            Better::Lower,
            ns / chunks(total),
        );
    }

    // 2. Object mode, 1M small objects.
    {
        #[derive(Clone)]
        struct Obj {
            n: u64,
        }
        const N: u64 = 1_000_000;
        let sum = Arc::new(AtomicU64::new(0));
        let s2 = sum.clone();
        let start = Instant::now();
        rt.block_on(async move {
            let mut i = 0u64;
            let src = Readable::objects_from_source(
                move |_size: usize, p: &Pusher<Obj>| {
                    if i >= N {
                        p.push_end();
                    } else {
                        p.push(Obj { n: i });
                        i += 1;
                    }
                },
                ReadableOptions::default(),
            );
            let t = Transform::objects(DuplexOptions::default(), |o: Obj, p: &Pusher<Obj>| {
                p.push(o);
                Ok(())
            });
            let w = Writable::objects_from_fn(WritableOptions::default(), move |o: Obj| {
                s2.fetch_add(o.n, Ordering::Relaxed);
                Ok(())
            });
            pipeline!(src, t, w).await.unwrap();
        });
        let secs = start.elapsed().as_secs_f64();
        black_box(sum.load(Ordering::Relaxed));
        report(
            "object pipeline, 1M objects (Readable->Transform->Writable)",
            "objects/s",
            Better::Higher,
            N as f64 / secs,
        );
    }

    // 3. Per-chunk overhead: 16-byte writes into a discarding Writable.
    {
        let w = Writable::from_fn(WritableOptions::default(), |c| {
            black_box(&c);
            Ok(())
        });
        // One constant chunk, as Node's twin reuses one Buffer (a static
        // Buffer clones without touching a reference count).
        static BYTES: [u8; 16] = [1; 16];
        let chunk = Buffer::from_static(&BYTES);
        rt.block_on(async {
            per_op("write() of a 16-byte chunk into a discarding Writable", |n| {
                for _ in 0..n {
                    black_box(w.write(chunk.clone()).ok());
                }
            });
        });
    }

    // 4. pipe between two byte streams, 1 GiB, against tokio::io::copy of the same bytes.
    {
        let start = Instant::now();
        rt.block_on(async {
            let src = bytes_source(GIB);
            let w = Writable::from_fn(WritableOptions::default(), |c| {
                black_box(&c);
                Ok(())
            });
            src.pipe(&w);
            finished(&w).await.unwrap();
        });
        let ns = start.elapsed().as_nanos() as f64;
        let figure = "pipe 1 GiB, 64 KiB chunks (Readable->Writable)";
        report(figure, "ns/chunk", Better::Lower, ns / chunks(GIB));
        // The fair tokio reference also forwards chunk handles (`Bytes`) from
        // a producer task to a consumer through a bounded channel, copying no
        // byte, as rt's pipe does.
        let start = Instant::now();
        rt.block_on(async {
            let block = bytes::Bytes::from(vec![7u8; CHUNK]);
            let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(16);
            let producer = tokio::spawn(async move {
                let mut sent = 0u64;
                while sent < GIB {
                    sent += CHUNK as u64;
                    if tx.send(block.clone()).await.is_err() {
                        break;
                    }
                }
            });
            let mut got = 0u64;
            while let Some(c) = rx.recv().await {
                got += black_box(&c).len() as u64;
            }
            producer.await.unwrap();
            assert_eq!(got, GIB);
        });
        let ns = start.elapsed().as_nanos() as f64;
        report_as("tokio", figure, "ns/chunk", Better::Lower, ns / chunks(GIB));
    }

    // 5. File copy of 1 GiB, against cp.
    {
        let dir = std::env::temp_dir().join(format!("rt-stream-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("src.bin");
        let dst = dir.join("dst.bin");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&src).unwrap();
            let block = vec![3u8; 1 << 20];
            for _ in 0..1024 {
                f.write_all(&block).unwrap();
            }
        }
        black_box(std::fs::read(&src).unwrap().len());
        let figure = "file copy 1 GiB (createReadStream.pipe(createWriteStream))";
        let start = Instant::now();
        rt.block_on(async {
            let r = create_read_stream(&src, Default::default()).unwrap();
            let w = create_write_stream(&dst, Default::default()).unwrap();
            r.pipe(&w);
            finished(&w).await.unwrap();
        });
        let ns = start.elapsed().as_nanos() as f64;
        report(figure, "GB/s", Better::Higher, GIB as f64 / ns);
        assert_eq!(std::fs::metadata(&dst).unwrap().len(), GIB);
        let _ = std::fs::remove_file(&dst);
        let start = Instant::now();
        let ok = std::process::Command::new("cp")
            .arg(&src)
            .arg(&dst)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let ns = start.elapsed().as_nanos() as f64;
        if ok {
            report_as("cp", figure, "GB/s", Better::Higher, GIB as f64 / ns);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
