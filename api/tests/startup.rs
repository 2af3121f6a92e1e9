//! Processes of the real binary starting together on one new database (as several API
//! processes on one PostgreSQL do after a deployment) all come up, with the demo data loaded
//! once; and a process whose log cannot be written (a full disk) still answers.

mod common;

use std::process::{Command, Stdio};

use common::{Child, ambito, free_port, get, http, wait_ready};

fn start(database_url: &str, dir: &std::path::Path, log: Stdio) -> (Child, u16) {
    let port = free_port();
    let child = ambito()
        .arg("serve")
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("AMBITO_BIND", format!("127.0.0.1:{port}"))
        .env("AMBITO_DEMO", "1")
        .env("AMBITO_DEMO_PASSWORD", "a-demo-password-for-the-startup-test")
        .env("AMBITO_JWT_SECRET", "a-signing-key-for-the-startup-test-0123456789")
        .env("AMBITO_DOCUMENTS_DIR", dir.join("documents"))
        .env("AMBITO_WORKERS", "1")
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("the ambito binary");
    (Child(child), port)
}

fn login(port: u16) -> String {
    let body = r#"{"email": "staff@asc.demo", "password": "a-demo-password-for-the-startup-test"}"#;
    http(
        port,
        &format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .expect("an answer")
}

fn three_start_together(database_url: &str, dir: &std::path::Path) {
    let mut servers: Vec<(Child, u16)> = (0..3).map(|_| start(database_url, dir, Stdio::null())).collect();
    for (child, port) in &mut servers {
        wait_ready(child, *port);
    }
    for (_, port) in &servers {
        let answer = login(*port);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ambito-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

#[test]
fn three_processes_starting_on_one_new_sqlite_file_all_come_up() {
    let dir = temp_dir("startup-sqlite");
    three_start_together(&format!("sqlite://{}", dir.join("ambito.db").display()), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn three_processes_starting_on_one_new_postgresql_schema_all_come_up() {
    let Ok(server) = std::env::var("AMBITO_TEST_PG_URL") else {
        eprintln!("notice: AMBITO_TEST_PG_URL is not set, so the PostgreSQL start-up test was not run");
        return;
    };
    let schema = format!("startup_{}", std::process::id());
    let psql = |sql: &str| {
        let status = Command::new("psql")
            .args([server.as_str(), "-q", "-c", sql])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .status()
            .expect("psql");
        assert!(status.success(), "{sql}");
    };
    psql(&format!("CREATE SCHEMA {schema}"));
    let dir = temp_dir("startup-postgres");
    let separator = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{separator}options=-csearch_path%3D{schema}");
    let outcome = std::panic::catch_unwind(|| three_start_together(&url, &dir));
    psql(&format!("DROP SCHEMA {schema} CASCADE"));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn a_log_that_cannot_be_written_does_not_take_requests_down() {
    let dir = temp_dir("full-log");
    let full = std::fs::File::options().write(true).open("/dev/full").expect("/dev/full");
    let (mut child, port) = start(&format!("sqlite://{}", dir.join("ambito.db").display()), &dir, Stdio::from(full));
    wait_ready(&mut child, port);
    for _ in 0..20 {
        assert!(get(port, "/api/v1/tenders").expect("an answer").starts_with("HTTP/1.1 200"));
    }
    assert!(login(port).starts_with("HTTP/1.1 200"));
    assert!(child.0.try_wait().expect("its status").is_none(), "still running");
    let _ = std::fs::remove_dir_all(&dir);
}
