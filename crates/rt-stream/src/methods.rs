//! Inherent forwarders: every stream type has the [`StreamBase`],
//! [`ReadableSide`] and [`WritableSide`] methods as its own, so calling them
//! needs no trait import and they win over rt-events' `Emitter` methods of
//! the same name (`on`, `once`, `listener_count`) when that trait is in scope.
//! Each forwarder calls the trait's provided method: one implementation,
//! one shape everywhere.
//!
//! A type outside this crate that extends a stream (rt-net's `Socket`) uses
//! the same macros: [`stream_methods!`](crate::stream_methods),
//! [`readable_methods!`](crate::readable_methods),
//! [`writable_methods!`](crate::writable_methods) inside its `impl` block.
//!
//! [`StreamBase`]: crate::StreamBase
//! [`ReadableSide`]: crate::ReadableSide
//! [`WritableSide`]: crate::WritableSide

/// The [`StreamBase`](crate::StreamBase) methods as inherent methods of a
/// stream type (`on`, `once`, `on_error`, `off`, `listener_count`,
/// `destroy`, `destroyed`, `errored`, `closed`, `same_stream`, `emitter`).
/// Use inside `impl MyStream { .. }` of a type implementing `StreamBase`.
#[macro_export]
macro_rules! stream_methods {
    () => {
        /// Adds a listener: `on(StreamEvent::End, || ..)` or, for the emitter
        /// face, `on(&events::END, |_| ..)`. Node: `stream.on(name, fn)`.
        /// See [`StreamBase::on`]($crate::StreamBase::on).
        #[doc(alias = "addListener")]
        pub fn on<K: $crate::EventKey<F>, F>(&self, event: K, f: F) -> K::Id {
            <Self as $crate::StreamBase>::on(self, event, f)
        }

        /// Like `on`, removed after the first call. Node: `stream.once(name, fn)`.
        pub fn once<K: $crate::EventKey<F>, F>(&self, event: K, f: F) -> K::Id {
            <Self as $crate::StreamBase>::once(self, event, f)
        }

        /// Adds an `'error'` listener. Node: `stream.on('error', fn)`.
        pub fn on_error(&self, f: impl Fn(&$crate::Error) + Send + Sync + 'static) -> $crate::ListenerId {
            <Self as $crate::StreamBase>::on_error(self, f)
        }

        /// Removes a listener added with a `StreamEvent`. Node: `stream.off(name, fn)`.
        #[doc(alias = "removeListener")]
        pub fn off(&self, id: $crate::ListenerId) {
            <Self as $crate::StreamBase>::off(self, id)
        }

        /// How many listeners `event` has, on both faces. Node: `stream.listenerCount(name)`.
        #[doc(alias = "listenerCount")]
        pub fn listener_count(&self, event: impl $crate::Named) -> usize {
            <Self as $crate::StreamBase>::listener_count(self, event)
        }

        /// Destroys the stream: `'error'` (if `err`) then `'close'`. Node: `stream.destroy(err)`.
        pub fn destroy(&self, err: Option<$crate::Error>) {
            <Self as $crate::StreamBase>::destroy(self, err)
        }

        /// Whether `destroy` was called. Node: `stream.destroyed`.
        pub fn destroyed(&self) -> bool {
            <Self as $crate::StreamBase>::destroyed(self)
        }

        /// The error the stream failed with, if any. Node: `stream.errored`.
        pub fn errored(&self) -> Option<$crate::Error> {
            <Self as $crate::StreamBase>::errored(self)
        }

        /// Whether `'close'` is due or done (the stream is closed). Node: `stream.closed`.
        pub fn closed(&self) -> bool {
            <Self as $crate::StreamBase>::closed(self)
        }

        /// Whether two handles are the same stream.
        pub fn same_stream(&self, other: &Self) -> bool {
            <Self as $crate::StreamBase>::same_stream(self, other)
        }

        /// The stream's rt-events emitter (its only one): listeners keyed by
        /// the statics in `rt_stream::events`, with Node's side effects.
        pub fn emitter(&self) -> &::rt_events::EventEmitter {
            $crate::StreamBase::stream_core(self).emitter()
        }
    };
}

/// The [`ReadableSide`](crate::ReadableSide) methods as inherent methods of
/// a stream type. Use inside `impl MyStream { .. }`.
#[macro_export]
macro_rules! readable_methods {
    () => {
        /// Adds a `'data'` listener (starts the flow). Node: `stream.on('data', fn)`.
        pub fn on_data(
            &self,
            f: impl Fn(&<Self as $crate::StreamBase>::Read) + Send + Sync + 'static,
        ) -> $crate::ListenerId {
            <Self as $crate::ReadableSide>::on_data(self, f)
        }

        /// Adds a chunk to the read buffer; `false` at the high-water mark.
        /// Node: `readable.push(chunk)`.
        pub fn push(&self, chunk: impl Into<<Self as $crate::StreamBase>::Read>) -> bool {
            <Self as $crate::ReadableSide>::push(self, chunk)
        }

        /// Signals the end of the data. Node: `readable.push(null)`.
        #[doc(alias = "push")]
        pub fn push_end(&self) {
            <Self as $crate::ReadableSide>::push_end(self)
        }

        /// Puts a chunk back at the front of the buffer. Node: `readable.unshift(chunk)`.
        pub fn unshift(&self, chunk: impl Into<<Self as $crate::StreamBase>::Read>) -> bool {
            <Self as $crate::ReadableSide>::unshift(self, chunk)
        }

        /// Node's synchronous `readable.read(size)`; see [`ReadableSide::read_now`]($crate::ReadableSide::read_now).
        #[doc(alias = "read")]
        pub fn read_now(&self, size: Option<usize>) -> Option<<Self as $crate::StreamBase>::Read> {
            <Self as $crate::ReadableSide>::read_now(self, size)
        }

        /// The next chunk, waiting for one: `None` at the end, `Some(Err)` if
        /// the stream failed or closed early. Node: `for await (const chunk of readable)`.
        pub async fn read(&self) -> Option<Result<<Self as $crate::StreamBase>::Read, $crate::Error>> {
            <Self as $crate::ReadableSide>::read(self).await
        }

        /// Reads every remaining chunk.
        pub async fn read_all(&self) -> Result<Vec<<Self as $crate::StreamBase>::Read>, $crate::Error> {
            <Self as $crate::ReadableSide>::read_all(self).await
        }

        /// Switches out of flowing mode (`'pause'`). Node: `readable.pause()`.
        pub fn pause(&self) {
            <Self as $crate::ReadableSide>::pause(self)
        }

        /// Switches into flowing mode (`'resume'`, then `'data'`). Node: `readable.resume()`.
        pub fn resume(&self) {
            <Self as $crate::ReadableSide>::resume(self)
        }

        /// Node: `readable.isPaused()`.
        #[doc(alias = "isPaused")]
        pub fn is_paused(&self) -> bool {
            <Self as $crate::ReadableSide>::is_paused(self)
        }

        /// Units buffered. Node: `readable.readableLength`.
        #[doc(alias = "readableLength")]
        pub fn readable_length(&self) -> usize {
            <Self as $crate::ReadableSide>::readable_length(self)
        }

        /// Whether `'end'` was emitted. Node: `readable.readableEnded`.
        #[doc(alias = "readableEnded")]
        pub fn readable_ended(&self) -> bool {
            <Self as $crate::ReadableSide>::readable_ended(self)
        }

        /// Whether the stream was destroyed or failed before `'end'`. Node: `readable.readableAborted`.
        #[doc(alias = "readableAborted")]
        pub fn readable_aborted(&self) -> bool {
            <Self as $crate::ReadableSide>::readable_aborted(self)
        }

        /// Whether `'data'` was emitted (or a chunk read). Node: `readable.readableDidRead`.
        #[doc(alias = "readableDidRead")]
        pub fn readable_did_read(&self) -> bool {
            <Self as $crate::ReadableSide>::readable_did_read(self)
        }

        /// Node's `readable.readableFlowing`.
        #[doc(alias = "readableFlowing")]
        pub fn readable_flowing(&self) -> Option<bool> {
            <Self as $crate::ReadableSide>::readable_flowing(self)
        }

        /// Node: `readable.readableHighWaterMark`.
        #[doc(alias = "readableHighWaterMark")]
        pub fn readable_high_water_mark(&self) -> usize {
            <Self as $crate::ReadableSide>::readable_high_water_mark(self)
        }

        /// Node: `readable.readableObjectMode`.
        #[doc(alias = "readableObjectMode")]
        pub fn readable_object_mode(&self) -> bool {
            <Self as $crate::ReadableSide>::readable_object_mode(self)
        }

        /// Whether reading is still possible. Node: `readable.readable`.
        pub fn is_readable(&self) -> bool {
            <Self as $crate::ReadableSide>::is_readable(self)
        }

        /// Node: `readable.readableEncoding`.
        #[doc(alias = "readableEncoding")]
        pub fn readable_encoding(&self) -> Option<String> {
            <Self as $crate::ReadableSide>::readable_encoding(self)
        }

        /// Pipes into `dest`, ending it at the end; returns `dest`. Node: `readable.pipe(dest)`.
        pub fn pipe<D: $crate::WritableStream<<Self as $crate::StreamBase>::Read> + Clone>(
            &self,
            dest: &D,
        ) -> D
        where
            <Self as $crate::StreamBase>::Read: Clone,
        {
            <Self as $crate::ReadableSide>::pipe(self, dest)
        }

        /// Pipes with options (`end: false` keeps `dest` open). Node: `readable.pipe(dest, opts)`.
        pub fn pipe_with<D: $crate::WritableStream<<Self as $crate::StreamBase>::Read> + Clone>(
            &self,
            dest: &D,
            opts: $crate::PipeOptions,
        ) -> D
        where
            <Self as $crate::StreamBase>::Read: Clone,
        {
            <Self as $crate::ReadableSide>::pipe_with(self, dest, opts)
        }

        /// Stops piping into `dest` (or every destination). Node: `readable.unpipe(dest)`.
        pub fn unpipe<D: $crate::WritableStream<<Self as $crate::StreamBase>::Read>>(
            &self,
            dest: Option<&D>,
        ) {
            <Self as $crate::ReadableSide>::unpipe(self, dest)
        }
    };
    (bytes) => {
        /// Adds a string to the read buffer (past the decoder of a stream
        /// decoding UTF-8, as Node keeps such a string). Node: `readable.push(string)`.
        #[doc(alias = "push")]
        pub fn push_str(&self, s: &str) -> bool {
            <Self as $crate::ReadableSide>::push_str(self, s)
        }

        /// Decodes the data to text (UTF-8 chunks, UTF-16 lengths); an
        /// unknown name is `ERR_UNKNOWN_ENCODING`. Node: `readable.setEncoding(enc)`.
        #[doc(alias = "setEncoding")]
        pub fn set_encoding(&self, encoding: &str) -> Result<(), $crate::Error> {
            <Self as $crate::ReadableSide>::set_encoding(self, encoding)
        }
    };
}

/// The [`WritableSide`](crate::WritableSide) methods as inherent methods of
/// a stream type. Use inside `impl MyStream { .. }`.
#[macro_export]
macro_rules! writable_methods {
    () => {
        /// Writes a chunk: `Ok(true)` to go on, `Ok(false)` to wait for
        /// `'drain'`; `Err` (also emitted as `'error'`) after `end()` or
        /// `destroy()`. Node: `writable.write(chunk)`.
        #[inline]
        pub fn write(
            &self,
            chunk: impl Into<<Self as $crate::StreamBase>::Write>,
        ) -> Result<bool, $crate::Error> {
            <Self as $crate::WritableSide>::write(self, chunk)
        }

        /// Writes a chunk and calls `cb` once it is taken. Node: `writable.write(chunk, cb)`.
        #[doc(alias = "write")]
        pub fn write_cb(
            &self,
            chunk: impl Into<<Self as $crate::StreamBase>::Write>,
            cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static,
        ) -> Result<bool, $crate::Error> {
            <Self as $crate::WritableSide>::write_cb(self, chunk, cb)
        }

        /// Writes a chunk and, if the buffer is full, waits for `'drain'`.
        pub async fn write_all(
            &self,
            chunk: impl Into<<Self as $crate::StreamBase>::Write>,
        ) -> Result<(), $crate::Error> {
            <Self as $crate::WritableSide>::write_all(self, chunk).await
        }

        /// Adds a `'pipe'` listener, called with the source. Node: `writable.on('pipe', (src) => ..)`.
        pub fn on_pipe(&self, f: impl Fn(&$crate::PipeSource) + Send + Sync + 'static) -> $crate::ListenerId {
            <Self as $crate::WritableSide>::on_pipe(self, f)
        }

        /// Adds an `'unpipe'` listener, called with the source. Node: `writable.on('unpipe', (src) => ..)`.
        pub fn on_unpipe(
            &self,
            f: impl Fn(&$crate::PipeSource) + Send + Sync + 'static,
        ) -> $crate::ListenerId {
            <Self as $crate::WritableSide>::on_unpipe(self, f)
        }

        /// Ends the writable side. Node: `writable.end()`.
        pub fn end(&self) -> Result<(), $crate::Error> {
            <Self as $crate::WritableSide>::end(self)
        }

        /// Writes a last chunk, then ends. Node: `writable.end(chunk)`.
        #[doc(alias = "end")]
        pub fn end_with(
            &self,
            chunk: impl Into<<Self as $crate::StreamBase>::Write>,
        ) -> Result<(), $crate::Error> {
            <Self as $crate::WritableSide>::end_with(self, chunk)
        }

        /// Ends and calls `cb` at `'finish'` (or with the error). Node: `writable.end(cb)`.
        #[doc(alias = "end")]
        pub fn end_cb(&self, cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static) {
            <Self as $crate::WritableSide>::end_cb(self, cb)
        }

        /// Writes a last chunk, ends, and calls `cb` at `'finish'` (or with
        /// the error). Node: `writable.end(chunk, cb)`.
        #[doc(alias = "end")]
        pub fn end_with_cb(
            &self,
            chunk: impl Into<<Self as $crate::StreamBase>::Write>,
            cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static,
        ) {
            <Self as $crate::WritableSide>::end_with_cb(self, chunk, cb)
        }

        /// Ends and waits for `'finish'`.
        pub async fn end_and_wait(&self) -> Result<(), $crate::Error> {
            <Self as $crate::WritableSide>::end_and_wait(self).await
        }

        /// Holds writes in the buffer until `uncork`. Node: `writable.cork()`.
        pub fn cork(&self) {
            <Self as $crate::WritableSide>::cork(self)
        }

        /// Releases one `cork`. Node: `writable.uncork()`.
        pub fn uncork(&self) {
            <Self as $crate::WritableSide>::uncork(self)
        }

        /// Units buffered and in flight. Node: `writable.writableLength`.
        #[doc(alias = "writableLength")]
        pub fn writable_length(&self) -> usize {
            <Self as $crate::WritableSide>::writable_length(self)
        }

        /// Whether `end()` was called. Node: `writable.writableEnded`.
        #[doc(alias = "writableEnded")]
        pub fn writable_ended(&self) -> bool {
            <Self as $crate::WritableSide>::writable_ended(self)
        }

        /// Whether `'finish'` was emitted. Node: `writable.writableFinished`.
        #[doc(alias = "writableFinished")]
        pub fn writable_finished(&self) -> bool {
            <Self as $crate::WritableSide>::writable_finished(self)
        }

        /// Whether `'drain'` is due. Node: `writable.writableNeedDrain`.
        #[doc(alias = "writableNeedDrain")]
        pub fn writable_need_drain(&self) -> bool {
            <Self as $crate::WritableSide>::writable_need_drain(self)
        }

        /// Node: `writable.writableHighWaterMark`.
        #[doc(alias = "writableHighWaterMark")]
        pub fn writable_high_water_mark(&self) -> usize {
            <Self as $crate::WritableSide>::writable_high_water_mark(self)
        }

        /// Node: `writable.writableCorked`.
        #[doc(alias = "writableCorked")]
        pub fn writable_corked(&self) -> u32 {
            <Self as $crate::WritableSide>::writable_corked(self)
        }

        /// Node: `writable.writableObjectMode`.
        #[doc(alias = "writableObjectMode")]
        pub fn writable_object_mode(&self) -> bool {
            <Self as $crate::WritableSide>::writable_object_mode(self)
        }

        /// How many writes (or writev batches) the sink completed successfully.
        pub fn writes_completed(&self) -> u64 {
            <Self as $crate::WritableSide>::writes_completed(self)
        }

        /// Whether writing is still possible. Node: `writable.writable`.
        pub fn is_writable(&self) -> bool {
            <Self as $crate::WritableSide>::is_writable(self)
        }
    };
    (bytes) => {
        /// Sets the encoding `write_str` uses (default `utf8`). Node: `writable.setDefaultEncoding(enc)`.
        #[doc(alias = "setDefaultEncoding")]
        pub fn set_default_encoding(&self, encoding: &str) -> Result<(), $crate::Error> {
            <Self as $crate::WritableSide>::set_default_encoding(self, encoding)
        }

        /// Writes a string in the default encoding. Node: `writable.write(string)`.
        #[doc(alias = "write")]
        pub fn write_str(&self, s: &str) -> Result<bool, $crate::Error> {
            <Self as $crate::WritableSide>::write_str(self, s)
        }

        /// Writes a string in the default encoding and calls `cb` once it is
        /// taken. Node: `writable.write(string, cb)`.
        #[doc(alias = "write")]
        pub fn write_str_cb(
            &self,
            s: &str,
            cb: impl FnOnce(Result<(), $crate::Error>) + Send + 'static,
        ) -> Result<bool, $crate::Error> {
            <Self as $crate::WritableSide>::write_str_cb(self, s, cb)
        }

        /// Writes a string in `encoding`. Node: `writable.write(string, encoding)`.
        #[doc(alias = "write")]
        pub fn write_str_in(&self, s: &str, encoding: &str) -> Result<bool, $crate::Error> {
            <Self as $crate::WritableSide>::write_str_in(self, s, encoding)
        }
    };
}

/// `impl rt_events::Emitter for $ty` over the stream's one emitter, with
/// the stream's rules: adding a listener runs what its side effects queued
/// (without a runtime), and the stream's own `'newListener'` /
/// `'removeListener'` listeners neither show nor go away.
/// `$ty` implements [`StreamBase`](crate::StreamBase); generics go in
/// brackets: `impl_emitter!([T: Send + 'static] MyStream<T>)`.
#[macro_export]
macro_rules! impl_emitter {
    ([$($g:tt)*] $ty:ty) => {
        impl<$($g)*> ::rt_events::Emitter for $ty {
            fn emitter(&self) -> &::rt_events::EventEmitter {
                $crate::StreamBase::stream_core(self).emitter()
            }
            fn on<E, F>(&self, event: &::rt_events::Event<E>, listener: F) -> ::rt_events::ListenerId
            where
                E: Send + Sync + 'static,
                F: Fn(&E) + Send + Sync + 'static,
            {
                $crate::__emitter_support::add(self, |em| em.on(event, listener))
            }
            fn add_listener<E, F>(&self, event: &::rt_events::Event<E>, listener: F) -> ::rt_events::ListenerId
            where
                E: Send + Sync + 'static,
                F: Fn(&E) + Send + Sync + 'static,
            {
                $crate::__emitter_support::add(self, |em| em.add_listener(event, listener))
            }
            fn once<E, F>(&self, event: &::rt_events::Event<E>, listener: F) -> ::rt_events::ListenerId
            where
                E: Send + Sync + 'static,
                F: Fn(&E) + Send + Sync + 'static,
            {
                $crate::__emitter_support::add(self, |em| em.once(event, listener))
            }
            fn prepend_listener<E, F>(&self, event: &::rt_events::Event<E>, listener: F) -> ::rt_events::ListenerId
            where
                E: Send + Sync + 'static,
                F: Fn(&E) + Send + Sync + 'static,
            {
                $crate::__emitter_support::add(self, |em| em.prepend_listener(event, listener))
            }
            fn prepend_once_listener<E, F>(
                &self,
                event: &::rt_events::Event<E>,
                listener: F,
            ) -> ::rt_events::ListenerId
            where
                E: Send + Sync + 'static,
                F: Fn(&E) + Send + Sync + 'static,
            {
                $crate::__emitter_support::add(self, |em| em.prepend_once_listener(event, listener))
            }
            fn remove_all_listeners(&self, name: Option<&str>) {
                $crate::__emitter_support::remove_all(self, name)
            }
            fn listener_count<N: ::rt_events::AsEventName + ?Sized>(&self, event: &N) -> usize {
                $crate::__emitter_support::count(self, event.event_name())
            }
            fn event_names(&self) -> Vec<&'static str> {
                $crate::__emitter_support::names(self)
            }
        }
    };
    ($ty:ty) => {
        $crate::impl_emitter!([] $ty);
    };
}

/// What [`impl_emitter!`](crate::impl_emitter) expands to calls.
#[doc(hidden)]
pub mod __emitter_support {
    use crate::StreamBase;

    /// Adds through the emitter, then settles. The add is a marked section:
    /// the ticks 'newListener' queues (the flow a 'data' listener starts)
    /// are held until the listener is in, even on a thread whose own poll
    /// is not marked (plain `block_on` of a multi-thread runtime), so the
    /// flow never runs before its listener exists.
    pub fn add<S: StreamBase + ?Sized>(
        s: &S,
        f: impl FnOnce(&rt_events::EventEmitter) -> rt_events::ListenerId,
    ) -> rt_events::ListenerId {
        let core = s.stream_core();
        let id = {
            let _section = crate::runtime::Marked::begin();
            f(core.emitter())
        };
        core.settle();
        id
    }

    /// `remove_all_listeners`, keeping the stream's meta listeners.
    pub fn remove_all<S: StreamBase + ?Sized>(s: &S, name: Option<&str>) {
        let core = s.stream_core();
        core.emitter().remove_all_listeners(name);
        if name.is_none_or(crate::events::is_meta) {
            core.install_event_hooks();
        }
        core.settle();
    }

    /// The count a user sees (both faces, no meta listeners).
    pub fn count<S: StreamBase + ?Sized>(s: &S, name: &str) -> usize {
        crate::listeners::user_count(&s.stream_core().ev, name)
    }

    /// The names a user sees.
    pub fn names<S: StreamBase + ?Sized>(s: &S) -> Vec<&'static str> {
        crate::listeners::user_names(&s.stream_core().ev)
    }
}
