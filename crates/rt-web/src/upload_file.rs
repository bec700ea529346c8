//! An upload's file on disk, written off the runtime threads: bytes are
//! gathered into blocks of [`BLOCK`] and each block is written by tokio's
//! blocking pool while the request waits, so at most one block per upload
//! is in memory and the request is read no faster than the disk takes it.
//!
//! (rt-stream's `fs::create_write_stream` was the first choice; its
//! `write_all` did not always resolve on a multi-thread runtime under load --
//! a lost `'drain'` wake-up, reported to rt-stream's owner -- so uploads use
//! this small writer until that is fixed.)

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes gathered before one write to disk.
pub const BLOCK: usize = 256 * 1024;

/// A file being written. Node: the `fs.WriteStream` multer's disk storage uses.
#[derive(Debug)]
pub struct UploadFile {
    file: Option<File>,
    buf: Vec<u8>,
    path: PathBuf,
}

impl UploadFile {
    /// Creates `path`, failing if it exists (`wx`).
    #[doc(alias = "createWriteStream")]
    pub fn create(path: &Path) -> std::io::Result<UploadFile> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(UploadFile {
            file: Some(file),
            buf: Vec::with_capacity(BLOCK),
            path: path.to_path_buf(),
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds bytes; writes a block to disk (waiting for it) when one is full.
    pub async fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let room = BLOCK - self.buf.len();
            let n = room.min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buf.len() == BLOCK {
                self.flush_block().await?;
            }
        }
        Ok(())
    }

    /// Writes what is gathered and syncs nothing more (Node's `end()`).
    pub async fn finish(mut self) -> std::io::Result<()> {
        self.flush_block().await
    }

    async fn flush_block(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let Some(mut file) = self.file.take() else {
            return Err(std::io::Error::other("the upload file failed before"));
        };
        let buf = std::mem::take(&mut self.buf);
        let (file, mut buf, r) = tokio::task::spawn_blocking(move || {
            let r = file.write_all(&buf);
            (file, buf, r)
        })
        .await
        .map_err(std::io::Error::other)?;
        r?;
        buf.clear();
        self.buf = buf;
        self.file = Some(file);
        Ok(())
    }
}
