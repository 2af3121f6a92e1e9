//! The demo a newcomer opens: both seed calls as they went, seed 000 open with applications and
//! questions, seed 004 concluded with its registry and its coverage gaps; loaded once.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::Value;

on_both_databases!(a_fresh_demo_shows_both_seed_calls);

/// The call with this reference code, as the public list shows it.
async fn call(app: &TestApp, reference: &str) -> Value {
    let list = app.get("/api/v1/tenders?limit=100", None).await;
    assert_eq!(list.status, 200, "{list:?}");
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["reference_code"] == reference)
        .unwrap_or_else(|| panic!("no call {reference} in {}", list.body))
        .clone()
}

fn items(reply: &ambito_tests::Reply) -> &Vec<Value> {
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["items"].as_array().expect("items")
}

async fn a_fresh_demo_shows_both_seed_calls(app: TestApp) {
    assert!(app.load_demo() > 0);
    let asc = app.token(demo::ASC).await;

    let mediation = call(&app, "PROG-2463").await;
    assert_eq!(mediation["status"], "published", "{mediation}");
    assert!(
        mediation["submission_deadline"].as_str().unwrap().ends_with("T12:00:00+01:00")
            || mediation["submission_deadline"].as_str().unwrap().ends_with("T12:00:00+02:00")
    );
    let id = mediation["id"].as_str().unwrap();
    let applications = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&asc)).await;
    let applications = items(&applications);
    assert_eq!(applications.len(), 2, "{applications:?}");
    assert!(applications.iter().all(|a| a["status"] == "submitted"), "{applications:?}");
    let questions = app.get(&format!("/api/v1/tenders/{id}/questions"), Some(&asc)).await;
    let questions = items(&questions);
    assert_eq!(questions.len(), 3, "{questions:?}");
    assert_eq!(questions.iter().filter(|q| q["answer"].is_string()).count(), 2);
    // The public sees the answered ones only.
    assert_eq!(items(&app.get(&format!("/api/v1/tenders/{id}/questions"), None).await).len(), 2);

    let home_care = call(&app, "CONCASS-DOMICILIARIETA").await;
    assert_eq!(home_care["status"], "concluded", "{home_care}");
    let id = home_care["id"].as_str().unwrap();
    let registry = app.get(&format!("/api/v1/tenders/{id}/registry?limit=200"), None).await;
    assert_eq!(items(&registry).len(), 6, "{registry:?}");
    let coverage = app.get(&format!("/api/v1/tenders/{id}/coverage"), None).await;
    assert_eq!(coverage.status, 200, "{coverage:?}");
    let gaps = coverage.body["product_lines"].as_array().unwrap();
    assert!(gaps.iter().any(|g| g["municipality"] == "019021" && g["product_line"] == "educational"), "{gaps:?}");
    assert!(!gaps.iter().any(|g| g["municipality"] == "019021" && g["product_line"] == "social_care"), "{gaps:?}");

    // A second start on the same database adds nothing.
    let admin = app.token(demo::ADMIN).await;
    let before = app.audit_count(&admin).await;
    assert_eq!(app.load_demo(), 0);
    assert_eq!(app.audit_count(&admin).await, before);
}
