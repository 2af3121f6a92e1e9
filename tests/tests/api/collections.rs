//! Lists take the filters their users ask for, and a documented `sort`.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

use crate::calls::{home_care_call, mediation_call, publish};

on_both_databases!(calls_filter_by_status_kind_authority_municipality_and_deadline_and_sort);

fn ids(reply: &ambito_tests::Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

async fn calls_filter_by_status_kind_authority_municipality_and_deadline_and_sort(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let concass = app.token(demo::CONCASS).await;
    let asc_org = app.organization_of(&asc).await;
    let concass_org = app.organization_of(&concass).await;
    let home = publish(&app, &concass, home_care_call(&app).await).await;
    let mediation = publish(&app, &asc, mediation_call(&app).await).await;
    let draft = app.post("/api/v1/tenders", Some(&asc), mediation_call(&app).await).await;
    assert_eq!(draft.status, 201, "{draft:?}");
    let draft = draft.id();
    let get = |query: String, token: Option<String>| {
        let app = &app;
        async move { app.get(&format!("/api/v1/tenders?{query}"), token.as_deref()).await }
    };

    assert_eq!(ids(&get("kind=provider_list".into(), None).await), vec![home.clone()]);
    assert_eq!(ids(&get("kind=accreditation".into(), None).await), vec![mediation.clone()]);
    assert_eq!(ids(&get("kind=accreditation".into(), Some(asc.clone())).await), vec![mediation.clone(), draft.clone()]);
    assert_eq!(ids(&get("status=draft".into(), Some(asc.clone())).await), vec![draft.clone()]);
    assert!(ids(&get("status=draft".into(), None).await).is_empty());
    assert_eq!(ids(&get(format!("authority_id={concass_org}"), None).await), vec![home.clone(), mediation.clone()]);
    assert_eq!(ids(&get(format!("authority_id={asc_org}"), None).await), vec![mediation.clone()]);
    // Cremona is in the mediation call's districts, not in the Casalasco home-care list's.
    assert_eq!(ids(&get("municipality=019036".into(), None).await), vec![mediation.clone()]);
    // Deadlines: 30 May 2022 (mediation) and 15 February 2024 (home care).
    assert_eq!(
        ids(&get("deadline_from=2022-05-30&deadline_to=2022-05-30".into(), None).await),
        vec![mediation.clone()]
    );
    assert_eq!(ids(&get("deadline_from=2022-05-30T12:00:01%2B02:00".into(), None).await), vec![home.clone()]);
    assert_eq!(ids(&get("deadline_to=2023-12-31".into(), None).await), vec![mediation.clone()]);
    // Sorted by deadline, soonest first, page by page.
    let first = get("sort=submission_deadline&limit=1".into(), None).await;
    assert_eq!(ids(&first), vec![mediation.clone()]);
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_owned();
    let second = get(format!("sort=submission_deadline&limit=1&cursor={cursor}"), None).await;
    assert_eq!(ids(&second), vec![home.clone()]);
    assert_eq!(second.body["next_cursor"], json!(null));
    let created = get("sort=created".into(), None).await;
    assert_eq!(ids(&created), vec![home.clone(), mediation.clone()]);
    // A cursor of another order, and values that are not what they should be.
    let crossed = get(format!("limit=1&sort=submission_deadline&cursor={}", created_cursor(&app).await), None).await;
    assert_eq!((crossed.status, crossed.problem_code()), (400, "invalid_cursor"));
    for bad in ["status=open", "sort=title", "municipality=12", "deadline_from=tomorrow"] {
        let reply = get(bad.into(), None).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
    }

    // Once the mediation deadline has passed, it is closed, the other still published.
    app.set_time("2022-06-01T09:00:00+02:00");
    assert_eq!(ids(&get("status=closed".into(), None).await), vec![mediation.clone()]);
    assert_eq!(ids(&get("status=published".into(), None).await), vec![home]);
}

async fn created_cursor(app: &TestApp) -> String {
    let page = app.get("/api/v1/tenders?limit=1", None).await;
    page.body["next_cursor"].as_str().expect("a next page").to_owned()
}
