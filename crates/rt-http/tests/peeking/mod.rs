//! The peeking frame parser of the backpressure tests (server and client):
//! it reads what is buffered, takes whole frames, and `unshift`s the rest
//! back to wait for more, as Node's docs show for `readable.unshift`.

use std::sync::Mutex;

use rt_buffer::Buffer;
use rt_http::IncomingMessage;
use rt_stream::StreamEvent;
use tokio::sync::mpsc::UnboundedSender;

/// Bytes a frame of the peeking parser needs: four times the 16 KiB mark,
/// so the parser always unshifts a buffer at the mark first.
pub(crate) const FRAME: usize = 64 * 1024;
/// Frames in the body (1 MiB).
pub(crate) const FRAMES: usize = 16;

/// The body's byte at `i` (so a frame's bytes can be checked).
pub(crate) fn byte_at(i: usize) -> u8 {
    (i % 251) as u8
}

/// Parses `msg`'s body into frames on 'readable': sends `Ok(k)` for frame
/// `k` with the right bytes, `Err` for one with wrong bytes.
pub(crate) fn read_frames(msg: &IncomingMessage, frames: UnboundedSender<Result<usize, String>>) {
    let parser = msg.clone();
    let taken = Mutex::new(0usize);
    msg.on(StreamEvent::Readable, move || {
        // Everything buffered; a frame when there is one, else put it back
        // and wait for more (Node: readable.unshift(chunk)).
        let mut taken = taken.lock().unwrap();
        let Some(mut data) = parser.read_now(None) else {
            return;
        };
        while data.len() >= FRAME {
            let frame = data.slice(0, FRAME as i64);
            let from = *taken * FRAME;
            let ok = frame.iter().enumerate().all(|(i, &b)| b == byte_at(from + i));
            let _ = frames.send(if ok {
                Ok(*taken)
            } else {
                Err(format!("frame {} has wrong bytes", *taken))
            });
            *taken += 1;
            data = data.slice(FRAME as i64, data.len() as i64);
        }
        if !data.is_empty() {
            parser.unshift(Buffer::from(data.to_vec()));
        }
    });
}
