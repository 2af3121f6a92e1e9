use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

on_both_databases!(
    every_change_is_in_the_audit_trail_with_before_and_after,
    snapshots_and_payloads_show_instants_in_rome_time
);

/// Every string of a JSON value that reads as an instant.
fn instants(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => found.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| instants(v, found)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| instants(v, found)),
        _ => {}
    }
}

/// As every view writes time: the Rome offset, at most microseconds.
fn assert_rome(instants: &[String]) {
    for t in instants {
        assert!(t.ends_with("+01:00") || t.ends_with("+02:00"), "not in Rome time: {t}");
        let fraction = t[..t.len() - 6].split_once('.').map_or(0, |(_, f)| f.len());
        assert!(fraction <= 6, "more than microseconds: {t}");
    }
}

async fn snapshots_and_payloads_show_instants_in_rome_time(app: TestApp) {
    // The demo's calls were replayed over months, through winter and summer time.
    app.load_demo();
    let admin = app.token(demo::ADMIN).await;
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/audit-events?limit=200&cursor={c}"),
            None => "/api/v1/audit-events?limit=200".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await;
        assert_eq!(page.status, 200, "{page:?}");
        for entry in page.body["items"].as_array().unwrap() {
            instants(&entry["before"], &mut found);
            instants(&entry["after"], &mut found);
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(found.len() > 50, "the demo's snapshots hold instants: {found:?}");
    assert_rome(&found);
    let feed = app.get("/api/v1/events?limit=1000", Some(&admin)).await;
    assert_eq!(feed.status, 200, "{feed:?}");
    let mut in_payloads = Vec::new();
    for event in feed.body["items"].as_array().unwrap() {
        instants(&event["payload"], &mut in_payloads);
    }
    assert_rome(&in_payloads);
}

async fn every_change_is_in_the_audit_trail_with_before_and_after(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let admin_id = app.get("/api/v1/me", Some(&admin)).await.body["user"]["id"].as_str().unwrap().to_owned();
    let coop = app.organization_of(&app.token(demo::COOP_DUE).await).await;
    let changed = app
        .request(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/organizations/{coop}"),
            Some(&admin),
            &[("If-Match", "\"1\""), ("X-Request-Id", "audit-check-1")],
            Some(ambito_tests::Body::Json(json!({"pec": "nuova.pec@pec.it"}))),
        )
        .await;
    assert_eq!(changed.status, 200);
    let events =
        app.get(&format!("/api/v1/audit-events?entity_type=organization&entity_id={coop}"), Some(&admin)).await;
    let items = events.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["action"], "organization.created");
    assert!(items[0]["actor_user_id"].is_null(), "demo data is written by the system");
    let update = &items[1];
    assert_eq!(update["action"], "organization.updated");
    assert_eq!(update["actor_user_id"], admin_id.as_str());
    assert_eq!(update["request_id"], "audit-check-1");
    assert_eq!(update["before"]["pec"], "coop-due.demo@pec.example.it");
    assert_eq!(update["after"]["pec"], "nuova.pec@pec.it");
    assert_eq!(update["after"]["version"], 2);
    // User events never carry a password hash.
    let users = app.get("/api/v1/audit-events?entity_type=user", Some(&admin)).await;
    assert!(!users.body.to_string().contains("argon2"));
    assert!(users.body["items"].as_array().unwrap().len() >= 7);
}
