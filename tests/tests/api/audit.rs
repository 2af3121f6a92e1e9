use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

on_both_databases!(every_change_is_in_the_audit_trail_with_before_and_after);

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
