//! The database in trouble is "unavailable", not an internal error: a write that cannot get the
//! database's write lock in time is answered 503 with `Retry-After`, readiness says not ready
//! while writes fail, and everything works again once the database does.

use std::time::{Duration, Instant};

use ambito_persistence::Backend;
use ambito_tests::{DEMO_PASSWORD, TestApp, demo, on_both_databases};
use diesel::Connection;
use diesel::connection::SimpleConnection;

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
