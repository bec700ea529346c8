//! A keep-alive connection goes back to its agent's pool after every
//! request, many times over, and still closes when the agent lets it go
//! (`agent.destroy()`) or when its idle timeout passes.
//!
//! A free connection waits on one hand-off channel for its whole life: the
//! pool holds the only sender while the connection is free, and hands a
//! clone back with each request, which the connection gives to the pool
//! again the next time. Were the connection to keep a sender of its own
//! while free, `destroy()` (which drops the pool's) could never end its
//! wait, and the socket would stay open; these tests see that from the
//! server's side (the connection's end of file) after several reuses.

use std::time::Duration;

use rt_http::{Agent, AgentOptions, RequestOptions};
use rt_tests::wait::{wait_until_async, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";

/// A server answering every request head with `RESPONSE`; each connection
/// reports (connection number, requests answered) when the client closes it.
async fn server() -> (u16, mpsc::UnboundedReceiver<(usize, usize)>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut conn_no = 0;
        while let Ok((mut s, _)) = l.accept().await {
            conn_no += 1;
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut answered = 0;
                let mut chunk = [0u8; 4096];
                loop {
                    let n = match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..i + 4);
                        if s.write_all(RESPONSE).await.is_err() {
                            break;
                        }
                        answered += 1;
                    }
                }
                let _ = tx.send((conn_no, answered));
            });
        }
    });
    (port, rx)
}

async fn get(port: u16, agent: &Agent) -> (String, u64, bool) {
    let req = rt_http::get(
        RequestOptions::default()
            .host("127.0.0.1")
            .port(port)
            .agent(agent),
    )
    .expect("request");
    let res = within(20, "the response", req.response())
        .await
        .expect("response");
    let body: Vec<u8> = within(20, "the body", res.read_all())
        .await
        .expect("body")
        .iter()
        .flat_map(|c| c.to_vec())
        .collect();
    within(20, "the request to close", rt_stream::closed(&req)).await;
    let socket = req.socket().expect("the request had a socket");
    (
        String::from_utf8_lossy(&body).into_owned(),
        socket.id,
        req.reused_socket(),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_connection_reused_many_times_closes_on_agent_destroy() {
    runtime().block_on(async {
        let (port, mut closed) = server().await;
        let agent = Agent::new(AgentOptions {
            keep_alive: true,
            ..AgentOptions::default()
        });
        const ROUNDS: usize = 5;
        let mut ids = Vec::new();
        for round in 0..ROUNDS {
            let (body, id, reused) = get(port, &agent).await;
            assert_eq!(body, "ok", "round {round}");
            assert_eq!(reused, round > 0, "round {round}: reusedSocket");
            ids.push(id);
            wait_until_async(20, "the connection to be free in the pool", || {
                agent.free_sockets().values().sum::<usize>() == 1
            })
            .await;
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "every request ran on the one connection");
        println!("{ROUNDS} requests on connection {}", ids[0]);

        agent.destroy();
        let (conn_no, answered) = within(20, "the server to see the free connection close", closed.recv())
            .await
            .expect("a connection report");
        assert_eq!(
            (conn_no, answered),
            (1, ROUNDS),
            "the one connection, all its requests"
        );
        wait_until_async(20, "the agent to count no socket", || {
            agent.total_socket_count() == 0
        })
        .await;

        // The agent still works: a new connection.
        let (body, _, reused) = get(port, &agent).await;
        assert_eq!((body.as_str(), reused), ("ok", false));
    });
}

#[test]
fn a_connection_reused_many_times_closes_at_its_idle_timeout() {
    runtime().block_on(async {
        let (port, mut closed) = server().await;
        let agent = Agent::new(AgentOptions {
            keep_alive: true,
            timeout: Some(Duration::from_millis(100)),
            ..AgentOptions::default()
        });
        for round in 0..3 {
            let (body, _, reused) = get(port, &agent).await;
            assert_eq!((body.as_str(), reused), ("ok", round > 0), "round {round}");
        }
        let (conn_no, answered) = within(20, "the idle connection to time out", closed.recv())
            .await
            .expect("a connection report");
        assert_eq!((conn_no, answered), (1, 3));
        wait_until_async(20, "the agent to count no socket", || {
            agent.total_socket_count() == 0
        })
        .await;
        assert!(agent.free_sockets().is_empty());
    });
}
