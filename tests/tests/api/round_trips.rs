//! Round trips to the database per request, counted by the pool's statement log: an
//! authenticated read by id, a public read of a call with all its terms, and a submission each
//! send a small, fixed number of statements, and the hot reads neither bind `LIMIT` (SQLite
//! re-prepares such a statement on every new binding) nor prepare anything once warm.

use ambito_tests::{TestApp, demo, on_both_databases};

use crate::calls::{apply, attach, mediation_call, publish, submit};

on_both_databases!(reads_and_a_submission_take_a_few_statements_each);

/// The statements `request` sends, and how many new ones it prepares.
async fn statements<F: std::future::Future<Output = ambito_tests::Reply>>(
    app: &TestApp,
    request: F,
) -> (Vec<String>, u64) {
    let log = app.db.statements();
    let prepared = log.prepared();
    log.start_recording();
    let reply = request.await;
    let sent = log.stop_recording();
    assert!(reply.status < 300, "{reply:?}");
    (sent, log.prepared() - prepared)
}

async fn reads_and_a_submission_take_a_few_statements_each(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let call = publish(&app, &asc, mediation_call(&app).await).await;
    let application = apply(
        &app,
        &uno,
        &call,
        &[("mediation_health", "019036")],
        &["no_exclusion_grounds", "mediators_qualification"],
    )
    .await;
    attach(&app, &uno, &application, "durc").await;

    let (sent, _) = statements(&app, submit(&app, &uno, &application)).await;
    eprintln!("submit ({:?}): {} statements: {sent:#?}", app.backend, sent.len());
    assert!(sent.len() <= 17, "a submission is one short transaction: {sent:#?}");

    let get_application = format!("/api/v1/applications/{application}");
    let get_call = format!("/api/v1/tenders/{call}");
    // The session check, the application, its children with its call's issuers; the call, its
    // terms with the authorities' names.
    for (what, path, token, most) in [("application", &get_application, Some(&uno), 3), ("call", &get_call, None, 2)] {
        // Warm: the pool's connections have prepared this read's statements once.
        for _ in 0..3 {
            statements(&app, app.get(path, token.map(String::as_str))).await;
        }
        let (sent, prepared) = statements(&app, app.get(path, token.map(String::as_str))).await;
        eprintln!("GET {what} ({:?}): {} statements: {sent:#?}", app.backend, sent.len());
        assert!(sent.len() <= most, "GET {what}: at most {most} statements, session check included: {sent:#?}");
        assert_eq!(prepared, 0, "GET {what} reuses its prepared statements");
        for sql in &sent {
            assert!(!sql.contains("LIMIT"), "GET {what}: a read by key binds no LIMIT: {sql}");
        }
    }
}

/// Connections are not pinged before each use: one that the server dropped (a restart, an
/// administrator) fails one request, as unavailable (503), and is then replaced.
#[actix_web::test]
async fn a_connection_the_server_dropped_fails_once_and_is_replaced() {
    use ambito_persistence::{Db, DbConnection, PoolOptions, StoreError};
    use diesel::{Connection, RunQueryDsl};
    let Some(app) = ambito_tests::spawn(ambito_tests::Backend::Postgres).await else { return };
    // A pool of one connection, so that the dropped one is the one used next.
    let db = Db::connect(&app.url, &PoolOptions { max_size: 1, checkout_timeout: std::time::Duration::from_secs(5) })
        .expect("pool");
    let pid = |db: &Db| {
        db.read(|conn| {
            let DbConnection::Postgresql(pg) = conn else { unreachable!("PostgreSQL") };
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("pg_backend_pid()"))
                .get_result::<i32>(pg)
                .map_err(StoreError::from)
        })
    };
    let first = pid(&db).expect("the first connection's server process");
    let server = std::env::var(ambito_tests::PG_URL_VAR).expect("set, since the app started");
    let mut admin = diesel::PgConnection::establish(&server).expect("connect");
    let query = format!("pg_terminate_backend({first})");
    assert!(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&query)).get_result::<bool>(&mut admin).unwrap()
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    match pid(&db) {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("the dropped connection's request is unavailable (503), got {other:?}"),
    }
    let next = pid(&db).expect("a new connection");
    assert_ne!(next, first);
}
