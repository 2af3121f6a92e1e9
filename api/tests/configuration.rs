//! The `ambito` binary at start-up, run as an operator runs it: each configuration it cannot
//! work with is refused in one line on stderr with a non-zero exit, before anything is written;
//! a good start says what it is doing, and a stop says so.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// An empty directory of its own, removed on drop; the binary runs in it.
struct Workdir(PathBuf);

impl Workdir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ambito-startup-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    /// What the directory holds, by name.
    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ambito(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ambito"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("AMBITO_JWT_SECRET", "a-signing-key-for-start-up-tests-0123456789")
        .env("AMBITO_BIND", "127.0.0.1:0")
        .env("AMBITO_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs `ambito serve` to its refusal and returns its one line.
fn refused(dir: &Workdir, env: &[(&str, &str)]) -> (String, Output) {
    let output = ambito(&dir.0, env).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "started with {env:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "not one line with {env:?}: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("migrations"), "got as far as migrations with {env:?}: {stdout}");
    (lines[0].to_owned(), output)
}

#[test]
fn a_database_url_of_another_form_is_refused_naming_the_accepted_ones() {
    for url in [
        "postgre://ambito@localhost/ambito",
        "mysql://root@localhost/ambito",
        "not a url",
        "sqlite://",
        "data/ambito.db",
    ] {
        let dir = Workdir::new();
        let (line, _) = refused(&dir, &[("DATABASE_URL", url)]);
        assert!(line.contains("DATABASE_URL") && line.contains("sqlite://") && line.contains("postgres://"), "{line}");
        assert_eq!(dir.entries(), Vec::<String>::new(), "{url} wrote something");
    }
}

#[test]
fn a_cors_origin_that_is_not_one_is_refused() {
    let dir = Workdir::new();
    let database = format!("sqlite://{}/data/ambito.db", dir.0.display());
    let (line, _) = refused(&dir, &[("DATABASE_URL", &database), ("AMBITO_CORS_ORIGINS", "https://ok.example.it, *")]);
    assert!(line.contains("AMBITO_CORS_ORIGINS") && line.contains("`*`"), "{line}");
    assert_eq!(dir.entries(), Vec::<String>::new());
}

#[test]
fn an_unreachable_postgresql_is_one_line_without_the_password() {
    let dir = Workdir::new();
    let (line, _) = refused(&dir, &[("DATABASE_URL", "postgres://ambito:s3cret@127.0.0.1:1/ambito")]);
    assert!(line.contains("cannot connect to PostgreSQL at postgres://ambito@127.0.0.1:1/ambito"), "{line}");
    assert!(!line.contains("s3cret"), "{line}");
    assert_eq!(dir.entries(), Vec::<String>::new());
}

#[test]
fn an_unwritable_directory_is_named() {
    // Tests may run as root, whom permissions do not stop: a file where a folder must be does.
    let dir = Workdir::new();
    std::fs::write(dir.0.join("blocker"), b"").expect("a file");
    let blocked = dir.0.join("blocker");
    let database = format!("sqlite://{}/ambito.db", blocked.join("data").display());
    let documents = dir.0.join("documents");
    let (line, _) =
        refused(&dir, &[("DATABASE_URL", &database), ("AMBITO_DOCUMENTS_DIR", documents.to_str().unwrap())]);
    assert!(line.contains(&blocked.join("data").display().to_string()), "{line}");
    assert_eq!(dir.entries(), vec!["blocker".to_owned()]);

    let database = format!("sqlite://{}/data/ambito.db", dir.0.display());
    let documents = blocked.join("documents");
    let (line, _) =
        refused(&dir, &[("DATABASE_URL", &database), ("AMBITO_DOCUMENTS_DIR", documents.to_str().unwrap())]);
    assert!(line.contains(&documents.display().to_string()) && line.contains("AMBITO_DOCUMENTS_DIR"), "{line}");
    assert_eq!(dir.entries(), vec!["blocker".to_owned()]);
}

#[test]
fn a_busy_port_is_found_before_anything_is_written() {
    let dir = Workdir::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let bind = taken.local_addr().expect("address").to_string();
    let database = format!("sqlite://{}/data/ambito.db", dir.0.display());
    let (line, output) = refused(&dir, &[("DATABASE_URL", &database), ("AMBITO_BIND", &bind), ("AMBITO_DEMO", "1")]);
    assert!(line.contains(&format!("cannot listen on {bind}")), "{line}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("demo accounts"));
    assert_eq!(dir.entries(), Vec::<String>::new());
}

fn health_answers(address: &str) -> bool {
    let port = address.rsplit(':').next().and_then(|p| p.parse().ok());
    port.is_some_and(|port| common::get(port, "/health/live").is_ok_and(|a| a.starts_with("HTTP/1.1 200")))
}

#[test]
fn a_fresh_start_says_what_it_does_and_what_comes_next_and_a_stop_says_so() {
    let dir = Workdir::new();
    let database = format!("sqlite://{}/data/ambito.db", dir.0.display());
    let mut child = ambito(&dir.0, &[("DATABASE_URL", &database)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !log.contains("listening on") {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines_rx.recv_timeout(left) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {log}");
            }
        }
    }
    for said in
        ["applying migrations", "migrations done", "loading the ISTAT municipality catalogue", "catalogue ready"]
    {
        assert!(log.contains(said), "the log does not say `{said}`: {log}");
    }
    assert!(log.contains("ambito create-admin --email"), "no hint at create-admin: {log}");
    // Once it answers, it has its signal handlers: a stop is then a graceful one.
    let address =
        log.split("listening on http://").nth(1).and_then(|rest| rest.split(';').next()).expect("the address");
    assert!(!address.ends_with(":0"), "the log names the port bound: {address}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !health_answers(address) {
        assert!(Instant::now() < deadline, "no answer at {address}");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("the server stops");
    assert!(exit.success(), "{exit:?}");
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(10)) {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(log.contains("server shut down"), "{log}");
}
