//! Graceful shutdown of the real binary: on SIGTERM it stops accepting connections, answers
//! the request in flight, and exits 0. Also: `AMBITO_METRICS_BIND` serves the metrics alone.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Child, ambito, free_port, get, wait_ready};

#[test]
fn sigterm_stops_accepting_answers_the_request_in_flight_and_exits_zero() {
    let dir = std::env::temp_dir().join(format!("ambito-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let (port, metrics_port) = (free_port(), free_port());
    let mut command = ambito();
    let child = command
        .arg("serve")
        .current_dir(&dir)
        .env("DATABASE_URL", format!("sqlite://{}", dir.join("ambito.db").display()))
        .env("AMBITO_BIND", format!("127.0.0.1:{port}"))
        .env("AMBITO_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .env("AMBITO_JWT_SECRET", "a-signing-key-for-the-shutdown-test-0123456789")
        .env("AMBITO_DOCUMENTS_DIR", dir.join("documents"))
        .env("AMBITO_WORKERS", "1")
        .env("AMBITO_SHUTDOWN_TIMEOUT", "20")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the ambito binary");
    let mut child = Child(child);
    wait_ready(&mut child, port);

    // The metrics listener serves only the metrics, without a token when none is configured.
    let metrics = get(metrics_port, "/metrics").expect("the metrics listener");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains(r#"ambito_http_requests_total{method="GET",route="/health/ready",status="200"}"#),
        "{metrics}"
    );
    assert!(get(metrics_port, "/health/live").expect("an answer").starts_with("HTTP/1.1 404"));
    // Without a token, the API's own address has no metrics.
    assert!(get(port, "/metrics").expect("an answer").starts_with("HTTP/1.1 404"));

    // A request in flight: its head and half its body are sent before the signal.
    let body = r#"{"email": "nobody@example.org", "password": "not-a-password"}"#;
    let (first, rest) = body.split_at(20);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    in_flight.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(
        in_flight,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("the first half");
    std::thread::sleep(Duration::from_millis(300));

    let signalled = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().expect("kill");
    assert!(signalled.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.0.try_wait().expect("its status").is_none(), "it waits for the request in flight");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "no new connection is accepted after SIGTERM");

    in_flight.write_all(rest.as_bytes()).expect("the second half");
    let mut response = String::new();
    in_flight.read_to_string(&mut response).expect("the answer");
    assert!(response.starts_with("HTTP/1.1 401"), "the request in flight is answered: {response}");
    assert!(response.contains("invalid_credentials"), "{response}");

    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("its status") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
