//! `GET /metrics`: the Prometheus text format, behind its bearer token, counting requests by
//! route template (never by path), the database pool, throttled logins and the outbox.

use ambito_tests::{Backend, Options, TestApp, demo, spawn_with};

const TOKEN: &str = "metrics-token-for-tests-0123456789";

async fn with_metrics(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Options { metrics_token: Some(TOKEN.into()), ..Options::default() }).await
}

#[actix_web::test]
async fn without_a_token_configured_there_is_no_metrics_endpoint() {
    let app = ambito_tests::spawn(Backend::Sqlite).await.expect("SQLite");
    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert_eq!(reply.problem_code(), "not_found");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_the_pool_throttled_logins_and_the_outbox_sqlite() {
    let app = with_metrics(Backend::Sqlite).await.expect("SQLite");
    metrics_count_requests_by_route_the_pool_throttled_logins_and_the_outbox(app).await;
}

#[actix_web::test]
async fn metrics_count_requests_by_route_the_pool_throttled_logins_and_the_outbox_postgres() {
    if let Some(app) = with_metrics(Backend::Postgres).await {
        metrics_count_requests_by_route_the_pool_throttled_logins_and_the_outbox(app).await;
    }
}

/// The sample lines of `metric` whose labels include every one of `labels`.
fn samples<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

fn value(line: &str) -> f64 {
    line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no value in {line}"))
}

async fn metrics_count_requests_by_route_the_pool_throttled_logins_and_the_outbox(app: TestApp) {
    app.seed_demo();
    assert_eq!(app.get("/metrics", None).await.status, 401);
    let wrong = app.request(actix_web::http::Method::GET, "/metrics", Some("not-the-token"), &[], None).await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert_eq!(wrong.problem_code(), "unauthenticated");

    let asc = app.token(demo::ASC).await;
    let missing = uuid::Uuid::now_v7();
    for _ in 0..3 {
        assert_eq!(app.get(&format!("/api/v1/tenders/{missing}"), Some(&asc)).await.status, 404);
    }
    assert_eq!(app.get("/no/such/path/at/all", None).await.status, 404);
    // Six failed logins: the sixth finds the account locked.
    for _ in 0..6 {
        app.login(demo::COOP_DUE, "not-the-password").await;
    }
    assert_eq!(app.login(demo::COOP_DUE, "not-the-password").await.status, 429);

    let reply = app.get("/metrics", Some(TOKEN)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(reply.content_type().starts_with("text/plain; version=0.0.4"), "{reply:?}");
    let text = reply.body.as_str().expect("a text body");

    let route = r#"route="/api/v1/tenders/{id}""#;
    let counted = samples(text, "ambito_http_requests_total", &[route, r#"status="404""#, r#"method="GET""#]);
    assert_eq!(counted.len(), 1, "{text}");
    assert_eq!(value(counted[0]), 3.0);
    let buckets = samples(text, "ambito_http_request_duration_seconds_bucket", &[route, r#"le="+Inf""#]);
    assert_eq!(buckets.len(), 1, "{text}");
    assert_eq!(value(buckets[0]), 3.0);
    assert_eq!(samples(text, "ambito_http_request_duration_seconds_count", &[route]).len(), 1);
    assert!(!text.contains(&missing.to_string()), "paths are never labels: {text}");
    assert!(!text.contains("/no/such/path"), "unknown paths are one series: {text}");
    assert_eq!(samples(text, "ambito_http_requests_total", &[r#"route="unmatched""#]).len(), 1, "{text}");
    let logins = samples(text, "ambito_http_requests_total", &[r#"route="/api/v1/auth/login""#, r#"status="429""#]);
    assert!(value(logins[0]) >= 2.0, "{text}");

    let throttled = samples(text, "ambito_logins_throttled_total", &[r#"reason="login_locked""#]);
    assert!(value(throttled[0]) >= 2.0, "{text}");
    assert_eq!(value(samples(text, "ambito_logins_throttled_total", &[r#"reason="server_busy""#])[0]), 0.0);

    assert_eq!(value(samples(text, "ambito_db_pool_max_connections", &[])[0]), 8.0);
    assert!(value(samples(text, "ambito_db_pool_connections", &[])[0]) >= 1.0);
    assert!(value(samples(text, "ambito_db_pool_checkouts_total", &[])[0]) >= 10.0);
    assert_eq!(samples(text, "ambito_db_pool_connections_in_use", &[]).len(), 1);
    assert_eq!(value(samples(text, "ambito_db_pool_checkout_timeouts_total", &[])[0]), 0.0);
    assert_eq!(samples(text, "ambito_db_pool_wait_seconds_total", &[]).len(), 1);
    let statements = value(samples(text, "ambito_db_statements_total", &[])[0]);
    assert!(statements >= 10.0, "{text}");
    assert!(value(samples(text, "ambito_db_statements_prepared_total", &[])[0]) <= statements);

    let feed = app.get("/api/v1/events?after=0&limit=200", Some(&app.token(demo::ADMIN).await)).await;
    let newest = feed.body["items"].as_array().unwrap().last().unwrap()["seq"].as_f64().unwrap();
    assert!(value(samples(text, "ambito_outbox_last_seq", &[])[0]) >= newest, "{text}");
    assert_eq!(samples(text, "ambito_outbox_last_event_age_seconds", &[]).len(), 1);

    // Metrics are not part of the API: the spec does not list them.
    let spec = app.get("/openapi.json", None).await;
    assert!(spec.body["paths"].get("/metrics").is_none());
}
