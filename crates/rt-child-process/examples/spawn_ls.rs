//! Node's `spawn('ls', ['-lh', '/usr'])` snippet:
//!
//! ```js
//! const ls = spawn('ls', ['-lh', '/usr']);
//! ls.stdout.on('data', data => console.log(`stdout: ${data}`));
//! ls.stderr.on('data', data => console.error(`stderr: ${data}`));
//! ls.on('close', code => console.log(`child process exited with code ${code}`));
//! ```
//!
//! `cargo run -p rt-child-process --example spawn_ls`

use rt_child_process::events::CLOSE;
use rt_child_process::{Emitter, SpawnOptions, spawn_with};

#[tokio::main]
async fn main() -> Result<(), rt_child_process::Error> {
    let ls = spawn_with("ls", ["-lh", "/usr"], SpawnOptions::new(), |ls| {
        ls.on(&CLOSE, |info| {
            println!("child process exited with code {:?}", info.code)
        });
    })?;
    // Pulling each stream to its end (`for await (const data of ls.stdout)`).
    let (out, err) = (ls.stdout().cloned(), ls.stderr().cloned());
    let stdout = tokio::spawn(async move {
        while let Some(Ok(data)) = out.as_ref()?.read().await {
            print!("stdout: {}", String::from_utf8_lossy(&data));
        }
        Some(())
    });
    let stderr = tokio::spawn(async move {
        while let Some(Ok(data)) = err.as_ref()?.read().await {
            eprint!("stderr: {}", String::from_utf8_lossy(&data));
        }
        Some(())
    });
    let _ = (stdout.await, stderr.await);
    ls.closed().await?;
    Ok(())
}
