//! Driving the real `ambito` binary: a free port, raw HTTP, a child process killed on drop.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port()
}

/// One HTTP/1.1 request on a connection of its own; the whole response as text.
pub fn http(port: u16, request: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

pub fn get(port: u16, path: &str) -> std::io::Result<String> {
    http(port, &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
}

pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ambito` with none of the caller's `AMBITO_*` or `DATABASE_URL` settings.
pub fn ambito() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ambito"));
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("AMBITO_") || n == "DATABASE_URL") {
            command.env_remove(name);
        }
    }
    command
}

/// Waits until the server on `port` is ready; panics if it exits or takes two minutes.
pub fn wait_ready(child: &mut Child, port: u16) {
    let started = Instant::now();
    loop {
        if get(port, "/health/ready").is_ok_and(|r| r.starts_with("HTTP/1.1 200")) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the server did not become ready");
        if let Some(status) = child.0.try_wait().expect("its status") {
            panic!("the server exited early: {status:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
