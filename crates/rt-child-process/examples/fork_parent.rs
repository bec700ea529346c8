//! The notes' IPC example: a parent forks `sub.js` and they exchange messages.
//!
//! ```js
//! // parent.js
//! const n = require('child_process').fork('./sub.js');
//! n.on('message', m => console.log('PARENT got message:', m));
//! n.send({ hello: 'world' });
//! // sub.js
//! process.on('message', m => console.log('CHILD got message:', m));
//! process.send({ foo: 'bar' });
//! ```
//!
//! `cargo run -p rt-child-process --example fork_parent` forks `node sub.js`
//! (written to a temporary folder); with `RT_CHILD=ipc_child` it forks the rt child of the `ipc_child` example
//! instead (build it first: `cargo build -p rt-child-process --example ipc_child`).

use std::time::Duration;

use rt_child_process::events::MESSAGE;
use rt_child_process::{Emitter, ForkOptions, fork_with};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("rt-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sub = dir.join("sub.cjs");
    std::fs::write(
        &sub,
        "process.on('message', m => { console.log('CHILD got message:', m); process.disconnect(); });\n\
         process.send({ foo: 'bar' });\n",
    )?;
    let options = match std::env::var("RT_CHILD").ok() {
        Some(bin) => ForkOptions::new().exec_path(
            std::env::current_exe()?
                .with_file_name(bin)
                .to_string_lossy()
                .into_owned(),
        ),
        None => ForkOptions::new(),
    };
    let n = fork_with(
        sub.to_str().unwrap_or_default(),
        Vec::<String>::new(),
        options,
        |n| {
            n.on(&MESSAGE, |m| println!("PARENT got message: {m}"));
        },
    )?;
    n.send(&json!({"hello": "world"}))?;
    let status = tokio::time::timeout(Duration::from_secs(10), n.closed()).await??;
    println!("child closed with {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
