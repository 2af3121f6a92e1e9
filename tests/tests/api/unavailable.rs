//! The database in trouble is "unavailable", not an internal error: a write that cannot get the
//! database's write lock in time is answered 503 with `Retry-After`, readiness says not ready
//! while writes fail, and everything works again once the database does.

use std::time::{Duration, Instant};

use ambito_persistence::Backend;
use ambito_tests::faults::{self, Relay, Tmpfs, truncate_sqlite_wal};
use ambito_tests::{DEMO_PASSWORD, Options, TestApp, demo, on_both_databases};
use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::calls::{PDF, mediation_call};

on_both_databases!(writes_blocked_by_the_database_are_503_and_not_ready_until_it_frees);

/// Another client of the same database holding what every write needs: SQLite's write lock, or
/// PostgreSQL's lock on the tables a login and readiness write.
fn hold_the_write_lock(app: &TestApp) -> Box<dyn std::any::Any> {
    match app.backend {
        Backend::Sqlite => {
            let path = app.url.strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::SqliteConnection::establish(path).expect("another connection");
            conn.batch_execute("BEGIN IMMEDIATE").expect("the write lock");
            Box::new(conn)
        }
        Backend::Postgres => {
            let mut conn = diesel::PgConnection::establish(&app.url).expect("another connection");
            conn.batch_execute("BEGIN; LOCK TABLE login_throttle, health_probe IN ACCESS EXCLUSIVE MODE")
                .expect("the locks");
            Box::new(conn)
        }
    }
}

async fn writes_blocked_by_the_database_are_503_and_not_ready_until_it_frees(app: TestApp) {
    app.seed_demo();
    assert_eq!(app.get("/health/ready", None).await.status, 200);
    let lock = hold_the_write_lock(&app);

    let started = Instant::now();
    let (login, ready) = futures_util::join!(app.login(demo::ASC, DEMO_PASSWORD), app.get("/health/ready", None));
    let waited = started.elapsed();
    for reply in [&login, &ready] {
        assert_eq!((reply.status, reply.problem_code()), (503, "service_unavailable"), "{reply:?}");
        assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{reply:?}");
    }
    assert!(waited < Duration::from_secs(30), "answered within a bounded time: {waited:?}");
    assert_eq!(app.get("/health/live", None).await.status, 200, "the process itself is alive");

    drop(lock);
    assert_eq!(app.get("/health/ready", None).await.status, 200);
    assert_eq!(app.login(demo::ASC, DEMO_PASSWORD).await.status, 200);
}

/// A full disk: on SQLite the database's own (the file and the documents share a tmpfs), on
/// PostgreSQL the documents'. What needs the disk is refused 503 with `Retry-After`, readiness
/// says not ready where the database cannot write, reads go on, nothing half-written is left
/// behind, and everything works again once space is freed.
async fn a_full_disk_refuses_writes_with_503_and_loses_nothing(backend: Backend) {
    let Some(disk) = Tmpfs::mount(64) else { return };
    let options = Options { data_dir: Some(disk.path.clone()), ..Options::default() };
    let Some(app) = ambito_tests::spawn_with(backend, options).await else { return };
    app.seed_demo();
    let asc = app.token(demo::ASC).await;
    let tender = app.post("/api/v1/tenders", Some(&asc), mediation_call(&app).await).await.id();
    let documents = format!("/api/v1/tenders/{tender}/documents");
    assert_eq!(app.upload(&documents, &asc, "notice", "avviso.pdf", PDF).await.status, 201);
    if let Some(path) = app.url.strip_prefix("sqlite://") {
        truncate_sqlite_wal(std::path::Path::new(path));
    }

    let filler = disk.fill();
    let upload = app.upload(&documents, &asc, "notice", "rettifica.pdf", PDF).await;
    let mut refused = vec![upload];
    if backend == Backend::Sqlite {
        let (login, ready) =
            futures_util::join!(app.login(demo::COOP_UNO, DEMO_PASSWORD), app.get("/health/ready", None));
        refused.extend([login, ready]);
    }
    for reply in &refused {
        assert_eq!((reply.status, reply.problem_code()), (503, "service_unavailable"), "{reply:?}");
        assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{reply:?}");
    }
    let call = app.get(&format!("/api/v1/tenders/{tender}"), Some(&asc)).await;
    assert_eq!(call.status, 200, "reads need no space: {call:?}");
    let listed = app.get(&documents, Some(&asc)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "no record of the refused upload: {listed:?}");

    std::fs::remove_file(filler).unwrap();
    assert_eq!(app.get("/health/ready", None).await.status, 200);
    assert_eq!(app.login(demo::COOP_UNO, DEMO_PASSWORD).await.status, 200);
    assert_eq!(app.upload(&documents, &asc, "notice", "rettifica.pdf", PDF).await.status, 201);
    let listed = app.get(&documents, Some(&asc)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2), "{listed:?}");
    let first = listed.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("{documents}/{first}"), Some(&asc)).await.status, 200, "the first file is intact");
    drop(app);
}

#[actix_web::test]
async fn a_full_disk_refuses_writes_with_503_and_loses_nothing_on_sqlite() {
    a_full_disk_refuses_writes_with_503_and_loses_nothing(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_full_disk_refuses_writes_with_503_and_loses_nothing_on_postgres() {
    a_full_disk_refuses_writes_with_503_and_loses_nothing(Backend::Postgres).await;
}

/// A PostgreSQL server that stops answering (frozen, not down: connections stay open, nothing
/// comes back): reads, writes and readiness answer 503 with `Retry-After` within a bounded time
/// instead of hanging, the process stays live, and all resumes once the server answers again.
#[actix_web::test]
async fn a_frozen_postgresql_is_503_within_a_bounded_time_and_then_recovers() {
    let Ok(server) = std::env::var(ambito_tests::PG_URL_VAR) else {
        eprintln!("notice: {} is not set, so this PostgreSQL test was not run", ambito_tests::PG_URL_VAR);
        return;
    };
    let relay = Relay::start(faults::postgres_address(&server));
    let options = Options { postgres_server: Some(faults::through_port(&server, relay.port)), ..Options::default() };
    let app = ambito_tests::spawn_with(Backend::Postgres, options).await.expect("PostgreSQL is configured");
    app.seed_demo();
    let asc = app.token(demo::ASC).await;
    assert_eq!(app.get("/api/v1/tenders", Some(&asc)).await.status, 200);

    relay.freeze();
    let started = Instant::now();
    let (login, ready, read) = futures_util::join!(
        app.login(demo::COOP_UNO, DEMO_PASSWORD),
        app.get("/health/ready", None),
        app.get("/api/v1/tenders", Some(&asc)),
    );
    let waited = started.elapsed();
    for reply in [&login, &ready, &read] {
        assert_eq!((reply.status, reply.problem_code()), (503, "service_unavailable"), "{reply:?}");
        assert!(reply.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "{reply:?}");
    }
    assert!(waited < Duration::from_secs(30), "answered within a bounded time: {waited:?}");
    assert_eq!(app.get("/health/live", None).await.status, 200, "the process itself is alive");

    relay.thaw();
    let mut ready = app.get("/health/ready", None).await;
    for _ in 0..30 {
        if ready.status == 200 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        ready = app.get("/health/ready", None).await;
    }
    assert_eq!(ready.status, 200, "ready again once PostgreSQL answers: {ready:?}");
    assert_eq!(app.login(demo::COOP_UNO, DEMO_PASSWORD).await.status, 200);
    assert_eq!(app.get("/api/v1/tenders", Some(&asc)).await.status, 200);
}
