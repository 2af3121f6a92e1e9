//! Lists take the filters their users ask for, and a documented `sort`.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

use crate::calls::{home_care_call, mediation_call, publish};

on_both_databases!(
    calls_filter_by_status_kind_authority_municipality_and_deadline_and_sort,
    applications_accreditations_and_patti_sort_page_by_page
);

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

/// Every item of a list walked one page at a time, following `next_cursor`.
async fn walk(app: &TestApp, path: &str, token: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => app.get(&format!("{path}&limit=1&cursor={c}"), Some(token)).await,
            None => app.get(&format!("{path}&limit=1"), Some(token)).await,
        };
        assert_eq!(page.status, 200, "{path}: {page:?}");
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

fn field<'a>(items: &'a [serde_json::Value], name: &str) -> Vec<&'a str> {
    items.iter().map(|i| i[name].as_str().unwrap_or("-")).collect()
}

async fn applications_accreditations_and_patti_sort_page_by_page(app: TestApp) {
    // The demo's calls: seed 000's applications were created first but submitted last.
    app.load_demo();
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;

    let by_submission = walk(&app, "/api/v1/applications?sort=submitted", &concass).await;
    assert_eq!(by_submission.len(), 4, "{by_submission:?}");
    let submitted: Vec<chrono::DateTime<chrono::FixedOffset>> = field(&by_submission, "submitted_at")
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .collect();
    assert!(submitted.windows(2).all(|w| w[0] < w[1]), "{submitted:?}");
    let by_creation = walk(&app, "/api/v1/applications?sort=created", &concass).await;
    let mut created_ids = field(&by_creation, "id");
    assert_ne!(created_ids, field(&by_submission, "id"), "the two orders differ on the demo");
    created_ids.sort_unstable();
    assert!(created_ids.windows(2).all(|w| w[0] < w[1]), "each application once");

    // A provider's draft comes after what it submitted.
    let mediation =
        app.get("/api/v1/tenders?kind=accreditation", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let draft = crate::calls::apply(&app, &uno, &mediation, &[("mediation_school", "019021")], &["durc"]).await;
    let own = walk(&app, "/api/v1/applications?sort=submitted", &uno).await;
    assert_eq!(own.len(), 3, "{own:?}");
    assert_eq!(own[2]["id"], draft.as_str());
    let own_in_call = walk(&app, &format!("/api/v1/tenders/{mediation}/applications?sort=submitted"), &uno).await;
    assert_eq!(own_in_call.last().unwrap()["id"], draft.as_str());

    // Accreditations by end of validity, ties by id, page by page.
    let by_end = walk(&app, "/api/v1/accreditations?sort=valid_to", &concass).await;
    assert_eq!(by_end.len(), 6, "{by_end:?}");
    let keys: Vec<(&str, &str)> =
        by_end.iter().map(|a| (a["valid_to"].as_str().unwrap(), a["id"].as_str().unwrap())).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");

    // Patti by end of validity: three drafted on the demo's list, the last ending first.
    let list_id = by_end[0]["tender_id"].as_str().unwrap().to_owned();
    let (from, to) = (by_end[0]["valid_from"].as_str().unwrap(), by_end[0]["valid_to"].as_str().unwrap());
    let to = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
    let mut drafted = Vec::new();
    for (n, (provider, item, municipality)) in [
        (demo::COOP_UNO, "home_care_professional", "019021"),
        (demo::COOP_UNO, "home_care_generic", "019052"),
        (demo::COOP_DUE, "meals_delivery", "019021"),
    ]
    .into_iter()
    .enumerate()
    {
        let provider = app.organization_of(&app.token(provider).await).await;
        let ends = to - chrono::Days::new(30 * n as u64);
        let body = json!({
            "tender_id": list_id, "provider_id": provider, "number": format!("CONCASS/{n}"),
            "scope": [{"intervention": item, "municipality": municipality}],
            "valid_from": from, "valid_to": ends.to_string(), "obligations": "Carta dei servizi"
        });
        let reply = app.post("/api/v1/patti", Some(&concass), body).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        drafted.push(reply.id());
    }
    let patti = walk(&app, "/api/v1/patti?sort=valid_to", &concass).await;
    drafted.reverse();
    assert_eq!(field(&patti, "id"), drafted.iter().map(String::as_str).collect::<Vec<_>>());

    // Unknown orders and cursors of another order are refused.
    for path in [
        "/api/v1/applications?sort=title",
        "/api/v1/accreditations?sort=title",
        "/api/v1/service-requests?sort=title",
        "/api/v1/patti?sort=title",
    ] {
        let reply = app.get(path, Some(&concass)).await;
        assert_eq!((reply.status, reply.problem_code()), (400, "invalid_query"), "{path}: {reply:?}");
    }
    let created_cursor =
        app.get("/api/v1/applications?limit=1", Some(&concass)).await.body["next_cursor"].as_str().unwrap().to_owned();
    for path in [
        "/api/v1/applications?sort=submitted",
        "/api/v1/accreditations?sort=valid_to",
        "/api/v1/service-requests?sort=submitted",
    ] {
        let reply = app.get(&format!("{path}&cursor={created_cursor}"), Some(&concass)).await;
        assert_eq!((reply.status, reply.problem_code()), (400, "invalid_cursor"), "{path}: {reply:?}");
    }
    let sorted = app.get("/api/v1/service-requests?sort=submitted", Some(&concass)).await;
    assert_eq!(sorted.status, 200, "{sorted:?}");
}
