//! The methods every stream handle shares, generated once for each handle type
//! (`Readable`, `Writable`, `Duplex`) so the three stay in step.

/// Events, destruction and status: on every handle.
macro_rules! common_methods {
    ($R:ty) => {
        /// Adds a listener for a payload-less event (`'end'`, `'close'`, `'drain'`,
        /// `'finish'`, `'pause'`, `'resume'`, `'readable'`, `'pipe'`, `'unpipe'`,
        /// `'prefinish'`). Node: `stream.on(name, fn)`.
        ///
        /// A `'readable'` listener switches the stream to paused mode, as in Node.
        #[doc(alias = "addListener")]
        pub fn on(
            &self,
            event: $crate::StreamEvent,
            f: impl Fn() + Send + Sync + 'static,
        ) -> $crate::ListenerId {
            self.on_impl(event, false, f)
        }

        /// Like [`on`](Self::on), removed after the first call. Node: `stream.once`.
        pub fn once(
            &self,
            event: $crate::StreamEvent,
            f: impl Fn() + Send + Sync + 'static,
        ) -> $crate::ListenerId {
            self.on_impl(event, true, f)
        }

        fn on_impl(
            &self,
            event: $crate::StreamEvent,
            once: bool,
            f: impl Fn() + Send + Sync + 'static,
        ) -> $crate::ListenerId {
            match event {
                $crate::StreamEvent::Data | $crate::StreamEvent::Error => {
                    // These carry a payload: use on_data / on_error. Registering a
                    // payload-less listener still works, it just ignores the payload.
                    if event == $crate::StreamEvent::Data {
                        let id = self.core.ev.on_data_unit(once, ::std::sync::Arc::new(f));
                        self.core.data_listener_added();
                        self.core.settle();
                        id
                    } else {
                        self.core
                            .ev
                            .on_error(once, ::std::sync::Arc::new(move |_: &$crate::Error| f()))
                    }
                }
                other => {
                    let id = self
                        .core
                        .ev
                        .on(other, once, ::std::sync::Arc::new(move |_: &()| f()));
                    if other == $crate::StreamEvent::Readable {
                        self.core.readable_listener_added();
                        self.core.settle();
                    }
                    id
                }
            }
        }

        /// The stream's rt-events emitter: listeners keyed by the statics in
        /// [`events`](crate::events), with Node's side effects.
        pub fn emitter(&self) -> &rt_events::EventEmitter {
            self.core.emitter()
        }

        /// Adds an `'error'` listener. Node: `stream.on('error', fn)`.
        pub fn on_error(&self, f: impl Fn(&$crate::Error) + Send + Sync + 'static) -> $crate::ListenerId {
            self.core.ev.on_error(false, ::std::sync::Arc::new(f))
        }

        /// Removes a listener added by any `on*` method. Node: `stream.off(name, fn)`.
        #[doc(alias = "removeListener")]
        pub fn off(&self, id: $crate::ListenerId) {
            if let Some(ev) = self.core.ev.off(id) {
                self.core.listener_removed(ev);
                self.core.settle();
            }
        }

        /// How many listeners `event` has. Node: `stream.listenerCount(name)`.
        #[doc(alias = "listenerCount")]
        pub fn listener_count(&self, event: $crate::StreamEvent) -> usize {
            self.core.ev.count(event)
        }

        /// Destroys the stream: `'error'` (if `err`) then `'close'`, pending
        /// writes fail with `ERR_STREAM_DESTROYED`, later calls fail cleanly.
        /// Node: `stream.destroy(err)`.
        pub fn destroy(&self, err: Option<$crate::Error>) {
            self.core.destroy(err);
        }

        /// Whether `destroy` was called. Node: `stream.destroyed`.
        pub fn destroyed(&self) -> bool {
            self.core.lock().destroyed
        }

        /// The error the stream failed with, if any. Node: `stream.errored`.
        pub fn errored(&self) -> Option<$crate::Error> {
            self.core.lock().errored.clone()
        }

        /// Whether `'close'` is due or done (the stream is closed). Node: `stream.closed`.
        pub fn closed(&self) -> bool {
            self.core.lock().closed
        }

        /// Whether two handles are the same stream.
        pub fn same_stream(&self, other: &Self) -> bool {
            ::std::sync::Arc::ptr_eq(&self.core, &other.core)
        }
    };
}

/// The readable side's methods.
macro_rules! readable_methods {
    ($R:ty) => {
        /// Adds a `'data'` listener and, unless the stream was paused
        /// explicitly, switches it to flowing mode. Node: `stream.on('data', fn)`.
        pub fn on_data(&self, f: impl Fn(&$R) + Send + Sync + 'static) -> $crate::ListenerId {
            let id = self.core.ev.on_data(false, ::std::sync::Arc::new(f));
            self.core.data_listener_added();
            self.core.settle();
            id
        }

        /// Adds a chunk to the read buffer; `false` means "stop until asked
        /// again" (the buffer reached the high-water mark). Node: `readable.push(chunk)`.
        pub fn push(&self, chunk: impl Into<$R>) -> bool {
            let r = self.core.add_chunk_entry(Some(chunk.into()), false);
            self.core.settle();
            r
        }

        /// Signals the end of the data. Node: `readable.push(null)`.
        #[doc(alias = "push")]
        pub fn push_end(&self) {
            self.core.add_chunk_entry(None, false);
            self.core.settle();
        }

        /// Puts a chunk back at the front of the buffer. Node: `readable.unshift(chunk)`.
        pub fn unshift(&self, chunk: impl Into<$R>) -> bool {
            let r = self.core.add_chunk_entry(Some(chunk.into()), true);
            self.core.settle();
            r
        }

        /// Node's synchronous `readable.read(size)`: `None` size reads what is
        /// buffered (one chunk in flowing mode); `Some(n)` reads exactly `n`
        /// units, or `None` until they are there (all that is left after the end).
        /// Emits `'data'` for what it returns.
        #[doc(alias = "read")]
        pub fn read_now(&self, size: Option<usize>) -> Option<$R> {
            let r = self.core.read_inner(size);
            self.core.settle();
            r
        }

        /// The next chunk, waiting for one: `None` at the end, `Some(Err)` if
        /// the stream failed or closed early. Node: `for await (const chunk of readable)`.
        pub async fn read(&self) -> Option<Result<$R, $crate::Error>> {
            ::std::future::poll_fn(|cx| self.core.poll_read_chunk(cx)).await
        }

        /// Reads every remaining chunk.
        pub async fn read_all(&self) -> Result<Vec<$R>, $crate::Error> {
            let mut out = Vec::new();
            while let Some(c) = self.read().await {
                out.push(c?);
            }
            Ok(out)
        }

        /// Switches out of flowing mode (`'pause'`). Node: `readable.pause()`.
        pub fn pause(&self) {
            self.core.pause();
            self.core.settle();
        }

        /// Switches into flowing mode (`'resume'`, then `'data'`). Node: `readable.resume()`.
        pub fn resume(&self) {
            self.core.resume();
            self.core.settle();
        }

        /// Node: `readable.isPaused()`.
        #[doc(alias = "isPaused")]
        pub fn is_paused(&self) -> bool {
            self.core.is_paused()
        }

        /// Units buffered (bytes, or objects in object mode). Node: `readable.readableLength`.
        #[doc(alias = "readableLength")]
        pub fn readable_length(&self) -> usize {
            self.core.lock().r.as_ref().map(|r| r.length).unwrap_or(0)
        }

        /// Whether `'end'` was emitted. Node: `readable.readableEnded`.
        #[doc(alias = "readableEnded")]
        pub fn readable_ended(&self) -> bool {
            self.core
                .lock()
                .r
                .as_ref()
                .map(|r| r.end_emitted)
                .unwrap_or(false)
        }

        /// Node's `readable.readableFlowing`: `None` (no mechanism yet), `Some(true)`, `Some(false)`.
        #[doc(alias = "readableFlowing")]
        pub fn readable_flowing(&self) -> Option<bool> {
            self.core.lock().r.as_ref().and_then(|r| r.flowing)
        }

        /// Node: `readable.readableHighWaterMark`.
        #[doc(alias = "readableHighWaterMark")]
        pub fn readable_high_water_mark(&self) -> usize {
            self.core.lock().r.as_ref().map(|r| r.hwm).unwrap_or(0)
        }

        /// Node: `readable.readableObjectMode`.
        #[doc(alias = "readableObjectMode")]
        pub fn readable_object_mode(&self) -> bool {
            self.core
                .lock()
                .r
                .as_ref()
                .map(|r| r.object_mode)
                .unwrap_or(false)
        }

        /// Whether reading is still possible (not destroyed, errored or ended).
        /// Node: `readable.readable`.
        pub fn is_readable(&self) -> bool {
            let st = self.core.lock();
            !st.destroyed
                && st.errored.is_none()
                && st
                    .r
                    .as_ref()
                    .map(|r| !r.end_emitted && !r.ended)
                    .unwrap_or(false)
        }

        /// Node: `readable.readableEncoding`.
        #[doc(alias = "readableEncoding")]
        pub fn readable_encoding(&self) -> Option<String> {
            self.core.lock().r.as_ref().and_then(|r| r.encoding.clone())
        }

        /// Pipes into `dest`, ending it at the end; returns `dest`. Node: `readable.pipe(dest)`.
        pub fn pipe<D: $crate::WritableStream<$R> + Clone>(&self, dest: &D) -> D
        where
            $R: Clone,
        {
            $crate::pipe::pipe(&self.core, dest, $crate::PipeOptions::default());
            dest.clone()
        }

        /// Pipes with options (`end: false` keeps `dest` open). Node: `readable.pipe(dest, opts)`.
        pub fn pipe_with<D: $crate::WritableStream<$R> + Clone>(
            &self,
            dest: &D,
            opts: $crate::PipeOptions,
        ) -> D
        where
            $R: Clone,
        {
            $crate::pipe::pipe(&self.core, dest, opts);
            dest.clone()
        }

        /// Stops piping into `dest` (or into every destination with `None`).
        /// Node: `readable.unpipe(dest)`.
        pub fn unpipe<D: $crate::WritableStream<$R>>(&self, dest: Option<&D>) {
            $crate::pipe::unpipe(&self.core, dest.map(|d| d.pipe_id()));
        }
    };
}

/// The writable side's methods.
macro_rules! writable_methods {
    ($W:ty) => {
        /// Writes a chunk: `Ok(true)` to go on, `Ok(false)` to wait for
        /// `'drain'`; `Err` (also emitted as `'error'`) after `end()` or
        /// `destroy()`. Node: `writable.write(chunk)`.
        pub fn write(&self, chunk: impl Into<$W>) -> Result<bool, $crate::Error> {
            let r = self.core.write_inner(chunk.into(), None);
            if r.is_err() {
                self.core.settle();
            }
            r
        }

        /// Writes a chunk and calls `cb` when the sink has taken it (or failed).
        /// Node: `writable.write(chunk, cb)`.
        #[doc(alias = "write")]
        pub fn write_cb(
            &self,
            chunk: impl Into<$W>,
            cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static,
        ) -> Result<bool, $crate::Error> {
            let r = self.core.write_inner(chunk.into(), Some(Box::new(cb)));
            self.core.settle();
            r
        }

        /// Writes a chunk and, if the buffer is full, waits for `'drain'`.
        pub async fn write_all(&self, chunk: impl Into<$W>) -> Result<(), $crate::Error> {
            if !self.write(chunk)? {
                ::std::future::poll_fn(|cx| self.core.poll_drain(cx)).await?;
            }
            Ok(())
        }

        /// Ends the writable side: `'finish'` follows once every write is done.
        /// Node: `writable.end()`.
        pub fn end(&self) -> Result<(), $crate::Error> {
            let r = self.core.end_inner(None, None);
            self.core.settle();
            r
        }

        /// Writes a last chunk, then ends. Node: `writable.end(chunk)`.
        #[doc(alias = "end")]
        pub fn end_with(&self, chunk: impl Into<$W>) -> Result<(), $crate::Error> {
            let r = self.core.end_inner(Some(chunk.into()), None);
            self.core.settle();
            r
        }

        /// Ends and calls `cb` at `'finish'` (or with the error). Node: `writable.end(cb)`.
        #[doc(alias = "end")]
        pub fn end_cb(&self, cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static) {
            let _ = self.core.end_inner(None, Some(Box::new(cb)));
            self.core.settle();
        }

        /// Ends and waits for `'finish'`.
        pub async fn end_and_wait(&self) -> Result<(), $crate::Error> {
            let (tx, rx) = ::tokio::sync::oneshot::channel();
            self.end_cb(move |r| {
                let _ = tx.send(r);
            });
            match rx.await {
                Ok(r) => r,
                Err(_) => Err($crate::Error::premature_close()),
            }
        }

        /// Holds writes in the buffer until `uncork` (nests). Node: `writable.cork()`.
        pub fn cork(&self) {
            self.core.cork();
        }

        /// Releases one `cork`; the last one flushes the held writes (as one
        /// `writev` batch when the sink has one). Node: `writable.uncork()`.
        pub fn uncork(&self) {
            self.core.uncork();
            self.core.settle();
        }

        /// Units buffered and in flight. Node: `writable.writableLength`.
        #[doc(alias = "writableLength")]
        pub fn writable_length(&self) -> usize {
            self.core.lock().w.as_ref().map(|w| w.length).unwrap_or(0)
        }

        /// Whether `end()` was called. Node: `writable.writableEnded`.
        #[doc(alias = "writableEnded")]
        pub fn writable_ended(&self) -> bool {
            self.core
                .lock()
                .w
                .as_ref()
                .map(|w| w.ending)
                .unwrap_or(false)
        }

        /// Whether `'finish'` was emitted. Node: `writable.writableFinished`.
        #[doc(alias = "writableFinished")]
        pub fn writable_finished(&self) -> bool {
            self.core
                .lock()
                .w
                .as_ref()
                .map(|w| w.finished)
                .unwrap_or(false)
        }

        /// Whether `write()` returned `false` and `'drain'` is due. Node: `writable.writableNeedDrain`.
        #[doc(alias = "writableNeedDrain")]
        pub fn writable_need_drain(&self) -> bool {
            self.core
                .lock()
                .w
                .as_ref()
                .map(|w| w.need_drain)
                .unwrap_or(false)
        }

        /// Node: `writable.writableHighWaterMark`.
        #[doc(alias = "writableHighWaterMark")]
        pub fn writable_high_water_mark(&self) -> usize {
            self.core.lock().w.as_ref().map(|w| w.hwm).unwrap_or(0)
        }

        /// Node: `writable.writableCorked`.
        #[doc(alias = "writableCorked")]
        pub fn writable_corked(&self) -> u32 {
            self.core.lock().w.as_ref().map(|w| w.corked).unwrap_or(0)
        }

        /// Node: `writable.writableObjectMode`.
        #[doc(alias = "writableObjectMode")]
        pub fn writable_object_mode(&self) -> bool {
            self.core
                .lock()
                .w
                .as_ref()
                .map(|w| w.object_mode)
                .unwrap_or(false)
        }

        /// How many writes (or writev batches) the sink completed successfully:
        /// after a failure, a caller can tell which writes went through.
        pub fn writes_completed(&self) -> u64 {
            self.core
                .lock()
                .w
                .as_ref()
                .map(|w| w.completed)
                .unwrap_or(0)
        }

        /// Whether writing is still possible. Node: `writable.writable`.
        pub fn is_writable(&self) -> bool {
            let st = self.core.lock();
            !st.destroyed && st.errored.is_none() && st.w.as_ref().map(|w| !w.ending).unwrap_or(false)
        }
    };
}

pub(crate) use {common_methods, readable_methods, writable_methods};
