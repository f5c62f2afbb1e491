//! Outbound clients ignore HTTP_PROXY, HTTPS_PROXY and ALL_PROXY: a proxy would resolve and
//! connect on our behalf, out of the SSRF resolver's sight. The variables are read when a client
//! is built, so the test runs itself again as a child process with them set (the crate forbids the
//! `unsafe` that `std::env::set_var` needs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "OUTBOUND_PROXY_TEST_CHILD";

#[test]
fn proxy_variables_are_ignored() {
    if std::env::var_os(CHILD).is_some() {
        return request_directly();
    }
    // A "proxy" that would receive the request if the client used the variables.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "proxy_variables_are_ignored", "--nocapture"])
        .env(CHILD, "1")
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .status()
        .unwrap();
    assert!(status.success(), "the child's request failed");
    match proxy.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the proxy was contacted: {other:?}"),
    }
}

/// In the child: a request to a local server goes straight to it.
fn request_directly() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", server.local_addr().unwrap());
    let serve = std::thread::spawn(move || {
        let (mut stream, _) = server.accept().unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\ndirect")
            .unwrap();
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(async {
        // Private delivery allowed: the server is on loopback; the proxy rule is the same.
        let client = outbound::client(Duration::from_secs(5), true).unwrap();
        client.get(&url).send().await.unwrap().text().await.unwrap()
    });
    assert_eq!(body, "direct");
    serve.join().unwrap();
}
