//! Conventions every operation keeps, checked across the whole spec: an unknown query parameter
//! is a 400 naming it, `HEAD` answers where `GET` does, a matching `If-None-Match` is a 304.

use actix_web::http::Method;
use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::calls::{apply, attach, mediation_call, publish, submit};

on_both_databases!(
    every_operation_refuses_a_query_parameter_it_does_not_take,
    head_answers_where_get_does,
    a_current_etag_in_if_none_match_is_answered_304,
    every_instant_is_rome_time_with_at_most_microseconds,
);

/// Every documented operation, with its path's parameters filled in.
fn operations() -> Vec<(Method, String)> {
    let spec = serde_json::to_value(ambito_api::openapi()).unwrap();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { "0190a6e4-0000-7000-8000-000000000000" } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            operations.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), concrete.clone()));
        }
    }
    operations
}

async fn every_operation_refuses_a_query_parameter_it_does_not_take(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let operations = operations();
    assert!(operations.len() > 100, "{}", operations.len());
    for (method, path) in operations {
        let reply = app.request(method.clone(), &format!("{path}?colour=blue"), Some(&admin), &[], None).await;
        assert_eq!(reply.status, 400, "{method} {path}: {reply:?}");
        assert_eq!(reply.problem_code(), "unknown_query_parameter", "{method} {path}");
        assert!(reply.body["detail"].as_str().unwrap().contains("colour"), "{reply:?}");
        assert_eq!(reply.body["errors"][0]["field"], "colour", "{reply:?}");
        assert!(reply.header("x-request-id").is_some());
    }
    // The parameters an operation takes still work.
    let listed = app.get("/api/v1/municipalities?province=CR&q=casal&limit=5", None).await;
    assert_eq!(listed.status, 200, "{listed:?}");
}

async fn head_answers_where_get_does(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    for path in
        ["/health/live", "/api/v1/product-lines", "/api/v1/municipalities?province=CR", "/api/v1/me", "/openapi.json"]
    {
        let get = app.get(path, Some(&admin)).await;
        let head = app.request(Method::HEAD, path, Some(&admin), &[], None).await;
        assert_eq!(head.status, get.status, "HEAD {path}: {head:?}");
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(head.body, serde_json::Value::Null, "HEAD {path} has a body");
        assert_eq!(head.content_type(), get.content_type(), "{path}");
    }
    let me = app.get("/api/v1/me", Some(&admin)).await;
    let user = me.body["user"]["id"].as_str().unwrap().to_owned();
    let head = app.request(Method::HEAD, &format!("/api/v1/users/{user}"), Some(&admin), &[], None).await;
    assert_eq!(head.status, 200);
    assert!(head.header("etag").is_some());
    // Where GET answers 404, so does HEAD; and 405 lists HEAD with GET.
    let missing = app.request(Method::HEAD, "/api/v1/nothing-here", None, &[], None).await;
    assert_eq!(missing.status, 404);
    let wrong = app.request(Method::DELETE, "/api/v1/product-lines", None, &[], None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("GET, HEAD"));
}

async fn a_current_etag_in_if_none_match_is_answered_304(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let coop = app.token(demo::COOP_UNO).await;
    let org = app.organization_of(&coop).await;
    let path = format!("/api/v1/organizations/{org}");
    let read = app.get(&path, Some(&admin)).await;
    assert_eq!(read.status, 200);
    let etag = read.header("etag").expect("an ETag").to_owned();

    let again = app.request(Method::GET, &path, Some(&admin), &[("If-None-Match", &etag)], None).await;
    assert_eq!(again.status, 304, "{again:?}");
    assert_eq!(again.body, serde_json::Value::Null);
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let weak = format!("\"0\", W/{etag}");
    let again = app.request(Method::GET, &path, Some(&admin), &[("If-None-Match", &weak)], None).await;
    assert_eq!(again.status, 304, "{again:?}");
    let again = app.request(Method::HEAD, &path, Some(&admin), &[("If-None-Match", &etag)], None).await;
    assert_eq!(again.status, 304, "{again:?}");

    // Once it changes, the old tag gets the new version.
    let changed =
        app.patch(&path, Some(&admin), &etag, serde_json::json!({"name": "Cooperativa Uno Rinominata"})).await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let stale = app.request(Method::GET, &path, Some(&admin), &[("If-None-Match", &etag)], None).await;
    assert_eq!(stale.status, 200, "{stale:?}");
    assert_eq!(stale.body["name"], "Cooperativa Uno Rinominata");
    // Without an ETag (a list), If-None-Match changes nothing.
    let list = app.request(Method::GET, "/api/v1/organizations", Some(&admin), &[("If-None-Match", "*")], None).await;
    assert_eq!(list.status, 200);
}

/// Every string in `value` that is an instant: Rome's offset, at most microseconds.
fn check_instants(what: &str, value: &Value, seen: &mut usize) {
    match value {
        Value::String(s) if s.len() > 19 && s.as_bytes()[10] == b'T' && s[..4].bytes().all(|b| b.is_ascii_digit()) => {
            *seen += 1;
            assert!(s.ends_with("+01:00") || s.ends_with("+02:00"), "{what}: {s} is not in Rome time");
            let fraction = s[19..s.len() - 6].trim_start_matches('.');
            assert!(fraction.len() <= 6 && fraction.bytes().all(|b| b.is_ascii_digit()), "{what}: {s}");
        }
        Value::Array(items) => items.iter().for_each(|v| check_instants(what, v, seen)),
        Value::Object(map) => {
            // Audit snapshots, events' payloads and amendments' changes are records as stored
            // (in UTC), not views.
            for (key, v) in map {
                if !matches!(key.as_str(), "before" | "after" | "changes" | "payload") {
                    check_instants(what, v, seen);
                }
            }
        }
        _ => {}
    }
}

async fn every_instant_is_rome_time_with_at_most_microseconds(app: TestApp) {
    app.seed_demo();
    // A clock with nanoseconds, as a real one has.
    app.set_time("2022-05-02T09:00:00.123456789+02:00");
    let admin = app.token(demo::ADMIN).await;
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let tender = publish(&app, &asc, mediation_call(&app).await).await;
    let question = app
        .post(
            &format!("/api/v1/tenders/{tender}/questions"),
            Some(&uno),
            json!({"question": "Quali titoli sono richiesti?"}),
        )
        .await;
    let application = apply(
        &app,
        &uno,
        &tender,
        &[("mediation_health", "019036")],
        &["no_exclusion_grounds", "mediators_qualification"],
    )
    .await;
    attach(&app, &uno, &application, "durc").await;
    let submitted = submit(&app, &uno, &application).await;
    let mut replies = vec![("submission".to_owned(), submitted), ("question".to_owned(), question)];
    for (path, token) in [
        (format!("/api/v1/tenders/{tender}"), &asc),
        ("/api/v1/tenders".to_owned(), &asc),
        (format!("/api/v1/applications/{application}"), &uno),
        (format!("/api/v1/applications/{application}/receipts"), &uno),
        ("/api/v1/organizations".to_owned(), &admin),
        ("/api/v1/users".to_owned(), &admin),
        ("/api/v1/districts".to_owned(), &admin),
        ("/api/v1/events".to_owned(), &admin),
        ("/api/v1/audit-events".to_owned(), &admin),
    ] {
        replies.push((path.clone(), app.get(&path, Some(token)).await));
    }
    let mut seen = 0;
    for (what, reply) in &replies {
        assert!(reply.status < 300, "{what}: {reply:?}");
        check_instants(what, &reply.body, &mut seen);
    }
    assert!(seen > 20, "only {seen} instants seen");
}
