//! A `Socket` is a stream (issue 8): one emitter, the stream's methods with
//! the stream's shapes. Regression tests for what failed while `Socket`
//! wrapped a `Duplex` and forwarded its events to a second emitter:
//! `rt_events::once(&socket, &FINISH)` and `rt_events::on(&socket, &DATA)`
//! never resolved, and `socket.on(StreamEvent::End, ..)` stopped compiling
//! once `use rt_net::*` brought the `Emitter` trait in.

// The glob import is the point of `stream_event_listeners_compile_with_the_glob_import`.
use rt_net::*;
use rt_tests::wait::within;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;

/// An echo server and a client connected to it.
async fn pair() -> (Server, Socket) {
    let server = create_server(|s: Socket| async move {
        s.pipe(&s);
        s.wait_end().await
    });
    let port = within(10, "listen", server.listen(("127.0.0.1", 0)))
        .await
        .unwrap()
        .port()
        .unwrap();
    let client = within(10, "the client to connect", connect(("127.0.0.1", port)))
        .await
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn events_once_finish_resolves_on_a_socket() {
    let (server, client) = pair().await;
    let finish = rt_events::once(&client, &events::FINISH);
    client.end().unwrap();
    within(10, "rt_events::once(&socket, &FINISH) to resolve", finish)
        .await
        .unwrap();
    assert!(client.writable_finished());
    server.close().unwrap();
}

#[tokio::test]
async fn events_on_data_yields_a_sockets_chunks() {
    let (server, client) = pair().await;
    let mut data = rt_events::on(&client, &events::DATA);
    client.write("ping").unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        let chunk = within(
            10,
            "rt_events::on(&socket, &DATA) to yield the echoed bytes",
            poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut data), cx)),
        )
        .await
        .expect("the data stream ended early")
        .unwrap();
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"ping");
    client.destroy(None);
    server.close().unwrap();
}

#[tokio::test]
async fn stream_event_listeners_compile_with_the_glob_import() {
    // `use rt_net::*` brings in `Emitter` (and the stream traits); `on`
    // still takes a StreamEvent with a payload-less listener, and an
    // rt-events key with a typed one, on the same emitter.
    let (server, client) = pair().await;
    let (tx, rx) = tokio::sync::oneshot::channel::<&'static str>();
    let tx = std::sync::Mutex::new(Some(tx));
    client.on(StreamEvent::End, move || {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send("end");
        }
    });
    // What 'close' carried is logged and asserted below (a panic inside
    // a listener may run on a runtime task and never reach the test).
    let closes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let c = closes.clone();
    client.on(&events::CLOSE, move |had_error: &bool| {
        c.lock().unwrap().push(*had_error);
    });
    assert_eq!(client.listener_count(StreamEvent::End), 1);
    assert_eq!(client.listener_count(&events::CLOSE), 1);
    client.resume(); // 'end' comes once the data is consumed, as in Node
    client.end().unwrap();
    let got = within(10, "the socket's 'end' through on(StreamEvent::End)", rx)
        .await
        .unwrap();
    assert_eq!(got, "end");
    within(10, "the socket to close", client.wait_closed()).await;
    assert_eq!(*closes.lock().unwrap(), [false], "'close'(false) once");
    server.close().unwrap();
}

/// The same function works on any duplex stream, a socket included.
fn write_and_end<S: WritableSide<Write = Buffer>>(s: &S, data: &str) -> Result<bool, rt_stream::Error> {
    let ok = s.write(data)?;
    s.end()?;
    Ok(ok)
}

#[tokio::test]
async fn same_named_methods_have_one_shape() {
    // The shapes, checked by the compiler: a socket's methods are a duplex's.
    let _: fn(&Socket, Buffer) -> Result<bool, rt_stream::Error> = |s, b| s.write(b);
    let _: fn(&rt_stream::Duplex, Buffer) -> Result<bool, rt_stream::Error> = |s, b| s.write(b);
    let _: fn(&Socket, Option<rt_stream::Error>) = |s, e| s.destroy(e);
    let _: fn(&rt_stream::Duplex, Option<rt_stream::Error>) = |s, e| s.destroy(e);
    let _: fn(&Socket, &rt_stream::Writable) -> rt_stream::Writable = |s, d| s.pipe(d);
    let _: fn(&rt_stream::Duplex, &rt_stream::Writable) -> rt_stream::Writable = |s, d| s.pipe(d);
    let _: fn(&Socket) -> Result<(), rt_stream::Error> = |s| s.end();
    let _: fn(&rt_stream::Duplex) -> Result<(), rt_stream::Error> = |s| s.end();

    // And they behave as the stream's: pipe returns its destination
    // synchronously, write reports errors as values.
    let (server, client) = pair().await;
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    let sink = rt_stream::Writable::from_fn(Default::default(), move |c: Buffer| {
        g.lock().unwrap().extend_from_slice(&c);
        Ok(())
    });
    let dest = client.pipe(&sink);
    assert!(dest.same_stream(&sink));
    assert!(write_and_end(&client, "shape").unwrap());
    within(10, "the piped writable to finish", rt_stream::finished(&sink))
        .await
        .unwrap();
    assert_eq!(&got.lock().unwrap()[..], b"shape");
    let err = client.write("late").unwrap_err();
    assert_eq!(err.code(), "ERR_STREAM_WRITE_AFTER_END");
    server.close().unwrap();
}

/// Node: `writable.on('pipe', (src) => src === socket)` when a socket is piped
/// into it, and `src.constructor.name` is `'Socket'`; a socket piped into a
/// socket hears 'pipe' with the source too.
#[tokio::test]
async fn a_socket_is_the_source_a_pipe_listener_receives() {
    let (server, client) = pair().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let sink = rt_stream::Writable::from_fn(Default::default(), |_c: Buffer| Ok(()));
    let c = client.clone();
    sink.on_pipe(move |src| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send((*src == c, src.type_name()));
        }
    });
    client.pipe(&sink);
    let (same, name) = within(10, "'pipe' on the writable", rx).await.unwrap();
    assert!(same, "the source is the socket");
    assert_eq!(name, "Socket");

    // A socket as the destination: the source is the other socket.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let src = rt_stream::PassThrough::new(Default::default());
    let s2 = src.clone();
    client.on_pipe(move |from| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(*from == s2);
        }
    });
    src.pipe(&client);
    assert!(within(10, "'pipe' on the socket", rx).await.unwrap());
    client.destroy(None);
    server.close().unwrap();
}
