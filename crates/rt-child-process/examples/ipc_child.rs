//! An rt program that a parent (Node's `fork` with `execPath`, or rt's)
//! starts with an IPC channel: the notes' `sub.js` in Rust.
//!
//! ```js
//! process.on('message', m => console.log('CHILD got message:', m));
//! process.send({ foo: 'bar' });
//! ```
//!
//! From Node: `fork('unused', [], { execPath: 'target/debug/examples/ipc_child' })`.

use rt_child_process::ipc;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), rt_child_process::Error> {
    let Some(channel) = ipc::from_env()? else {
        eprintln!("not started with an IPC channel (NODE_CHANNEL_FD is not set)");
        std::process::exit(2);
    };
    channel.send(&json!({"foo": "bar"}))?;
    // Until the parent disconnects or goes away.
    while let Some(m) = channel.recv().await {
        println!("CHILD got message: {m}");
        channel.disconnect()?;
    }
    Ok(())
}
