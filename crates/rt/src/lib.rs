//! # rt — Node.js's standard library, rebuilt in Rust on tokio
//!
//! Each Node module is its own crate; this umbrella re-exports each one as a
//! module behind a cargo feature of the same name (all on by default), so
//! `use rt::events::EventEmitter;` reads like `require('events')`.
//!
//! | Node module      | here                  | crate              | feature         |
//! |------------------|-----------------------|--------------------|-----------------|
//! | `events`         | [`events`]            | `rt-events`        | `events`        |
//! | `buffer`         | [`buffer`]            | `rt-buffer`        | `buffer`        |
//! | `stream`         | [`stream`]            | `rt-stream`        | `stream`        |
//! | `net`            | [`net`]               | `rt-net`           | `net`           |
//! | `http`           | [`http`]              | `rt-http`          | `http`          |
//! | `child_process`  | [`child_process`]     | `rt-child-process` | `child_process` |
//! | `cluster`        | [`cluster`]           | `rt-cluster`       | `cluster`       |
//! | (web toolkit)    | [`web`]               | `rt-web`           | `web`           |
//!
//! This crate holds nothing of its own: every item lives in the crate named above.
#![forbid(unsafe_code)]

#[cfg(feature = "events")]
#[doc(inline)]
pub use rt_events as events;

#[cfg(feature = "buffer")]
#[doc(inline)]
pub use rt_buffer as buffer;

#[cfg(feature = "stream")]
#[doc(inline)]
pub use rt_stream as stream;

#[cfg(feature = "net")]
#[doc(inline)]
pub use rt_net as net;

#[cfg(feature = "http")]
#[doc(inline)]
pub use rt_http as http;

#[cfg(feature = "child_process")]
#[doc(inline)]
pub use rt_child_process as child_process;

#[cfg(feature = "cluster")]
#[doc(inline)]
pub use rt_cluster as cluster;

#[cfg(feature = "web")]
#[doc(inline)]
pub use rt_web as web;
