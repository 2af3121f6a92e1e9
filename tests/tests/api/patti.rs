//! Patti over their life: drafted within a provider's accreditations, signed by both sides in
//! either order, active from their start date, amended, suspended, revoked; and who may serve
//! follows each step.

use ambito_tests::{TestApp, demo};
use serde_json::{Value, json};

use crate::calls::PDF;
use crate::registry::concluded_home_care_list;

on_both_databases!(a_patto_from_draft_to_revocation_decides_who_may_serve, patti_are_private_to_their_two_sides);

use ambito_tests::on_both_databases;

/// Who may serve an intervention in a municipality on a day: (provider name, rate in cents).
async fn eligible(app: &TestApp, intervention: &str, municipality: &str, day: &str) -> Vec<(String, i64)> {
    let page = app
        .get(
            &format!(
                "/api/v1/registry/eligible-providers?intervention={intervention}&municipality={municipality}&date={day}"
            ),
            None,
        )
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["provider_name"].as_str().unwrap().to_owned(), e["rate_cents"].as_i64().unwrap()))
        .collect()
}

fn uno_at(rate: i64) -> Vec<(String, i64)> {
    vec![("Cooperativa Sociale Demo Uno".to_owned(), rate)]
}

/// Coop Uno's patto for professional and generic home care in Casalmaggiore, from 1 March 2024.
fn uno_draft(tender: &str, provider: &str) -> Value {
    json!({
        "tender_id": tender,
        "provider_id": provider,
        "number": "CONCASS/2024/12",
        "scope": [
            {"intervention": "home_care_professional", "municipality": "019021"},
            {"intervention": "home_care_generic", "municipality": "019021"}
        ],
        "valid_from": "2024-03-01",
        "valid_to": "2027-02-28",
        "obligations": "Carta dei servizi, personale qualificato, rendicontazione mensile"
    })
}

fn conflict(reply: &ambito_tests::Reply, code: &str) {
    assert_eq!((reply.status, reply.problem_code()), (409, code), "{reply:?}");
}

async fn a_patto_from_draft_to_revocation_decides_who_may_serve(app: TestApp) {
    app.seed_demo();
    let tender = concluded_home_care_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let (uno_org, due_org) = (app.organization_of(&uno).await, app.organization_of(&due).await);
    app.set_time("2024-02-21T09:00:00+01:00");

    // Drafting: only within the provider's active accreditations and their validity.
    let mut stray = uno_draft(&tender, &uno_org);
    stray["scope"][1] = json!({"intervention": "meals_delivery", "municipality": "019021"});
    stray["valid_to"] = json!("2028-12-31");
    let refused = app.post("/api/v1/patti", Some(&concass), stray).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["scope.1", "valid_to"]);
    assert_eq!(
        app.post("/api/v1/patti", Some(&uno), uno_draft(&tender, &uno_org)).await.status,
        404,
        "the call is not theirs to manage"
    );
    let drafted = app.post("/api/v1/patti", Some(&concass), uno_draft(&tender, &uno_org)).await;
    assert_eq!(drafted.status, 201, "{drafted:?}");
    assert_eq!(drafted.body["status"], "draft");
    let rates: Vec<(&str, i64)> = drafted.body["versions"][0]["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["intervention"].as_str().unwrap(), r["rate_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(rates, [("home_care_generic", 1950), ("home_care_professional", 2180)], "the call's rates");
    let patto = drafted.id();
    let at = |action: &str| format!("/api/v1/patti/{patto}/{action}");
    conflict(
        &app.post(&at("amendments"), Some(&concass), json!({"kind": "rate_change", "rates": [{"intervention": "home_care_professional", "rate_cents": 2250}], "effective_from": "2024-06-01", "rationale": "Adeguamento"})).await,
        "patto_not_signed",
    );
    assert!(
        eligible(&app, "home_care_professional", "019021", "2024-03-05").await.is_empty(),
        "a draft lets nobody serve"
    );

    // The provider signs first, with its signed copy; then the authority.
    let copy = app.upload(&at("documents"), &uno, "signed_patto", "patto.pdf", PDF).await;
    assert_eq!(copy.status, 201, "{copy:?}");
    let signed = app.post(&at("signatures"), Some(&uno), json!({"document_id": copy.id()})).await;
    assert_eq!((signed.status, signed.body["status"].as_str()), (200, Some("draft")), "{signed:?}");
    assert_eq!(signed.body["versions"][0]["signatures"][0]["document_id"], copy.id());
    conflict(&app.post(&at("signatures"), Some(&uno), json!(null)).await, "already_signed");
    let both = app.post(&at("signatures"), Some(&concass), json!(null)).await;
    assert_eq!(
        (both.status, both.body["status"].as_str()),
        (200, Some("signed")),
        "signed, before its start: {both:?}"
    );
    conflict(&app.post(&at("signatures"), Some(&concass), json!(null)).await, "nothing_to_sign");
    assert!(eligible(&app, "home_care_professional", "019021", "2024-02-29").await.is_empty(), "not before its start");
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-03-05").await, uno_at(2180));
    assert!(
        eligible(&app, "home_care_professional", "019052", "2024-03-05").await.is_empty(),
        "accredited there, no patto"
    );

    // The other order: Coop Due's patto for meals, the authority first.
    let meals = app
        .post(
            "/api/v1/patti",
            Some(&concass),
            json!({"tender_id": tender, "provider_id": due_org, "number": "CONCASS/2024/13", "scope": [{"intervention": "meals_delivery", "municipality": "019021"}], "valid_from": "2024-03-01", "valid_to": "2025-02-28"}),
        )
        .await;
    assert_eq!(meals.status, 201, "{meals:?}");
    let meals_at = |action: &str| format!("/api/v1/patti/{}/{action}", meals.id());
    assert_eq!(app.post(&meals_at("signatures"), Some(&concass), json!({})).await.body["status"], "draft");
    assert_eq!(app.post(&meals_at("signatures"), Some(&due), json!({})).await.body["status"], "signed");

    // Active from its start date, by the clock.
    app.set_time("2024-03-01T00:00:00+01:00");
    assert_eq!(app.get(&format!("/api/v1/patti/{patto}"), Some(&uno)).await.body["status"], "active");
    assert_eq!(
        eligible(&app, "meals_delivery", "019021", "2024-03-01").await,
        [("Cooperativa Sociale Demo Due".to_owned(), 750)]
    );

    // A rate change from 1 June applies once both have signed it, not before its day.
    app.set_time("2024-04-10T09:00:00+02:00");
    let raise = json!({"kind": "rate_change", "rates": [{"intervention": "home_care_professional", "rate_cents": 2250}], "effective_from": "2024-06-01", "rationale": "Adeguamento ISTAT dei corrispettivi"});
    let proposed = app.post(&at("amendments"), Some(&concass), raise.clone()).await;
    assert_eq!(proposed.status, 200, "{proposed:?}");
    assert_eq!(proposed.body["versions"][1]["kind"], "rate_change");
    conflict(&app.post(&at("amendments"), Some(&concass), raise).await, "amendment_pending");
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-06-05").await, uno_at(2180), "unsigned");
    assert_eq!(app.post(&at("signatures"), Some(&concass), json!({})).await.status, 200);
    assert_eq!(app.post(&at("signatures"), Some(&uno), json!({})).await.status, 200);
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-05-31").await, uno_at(2180));
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-06-05").await, uno_at(2250));
    assert_eq!(eligible(&app, "home_care_generic", "019021", "2024-06-05").await, uno_at(1950), "the other rate stays");
    let past = app.post(&at("amendments"), Some(&concass), json!({"kind": "scope_reduction", "remove": [{"intervention": "home_care_generic", "municipality": "019021"}], "effective_from": "2024-04-01", "rationale": "Riduzione"})).await;
    assert_eq!(past.status, 422, "an amendment does not reach into the past: {past:?}");

    // A suspended accreditation beneath a patto is enough to stop service under it.
    let meals_accreditation =
        app.get(&format!("/api/v1/accreditations?tender_id={tender}"), Some(&due)).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["intervention"] == "meals_delivery")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let measure = json!({"reason": "Verifica sulla qualità dei pasti", "act_number": "2024/140", "act_date": "2024-04-10", "until": "2024-04-20"});
    assert_eq!(
        app.post(&format!("/api/v1/accreditations/{meals_accreditation}/suspend"), Some(&concass), measure)
            .await
            .status,
        200
    );
    assert!(eligible(&app, "meals_delivery", "019021", "2024-04-15").await.is_empty());
    assert_eq!(
        eligible(&app, "meals_delivery", "019021", "2024-04-21").await.len(),
        1,
        "the suspension ends by itself"
    );

    // Suspended and reinstated, then revoked: nobody serves under it any more.
    let decision = json!({"reason": "Verifica sugli operatori", "act_number": "2024/150", "act_date": "2024-04-10"});
    conflict(&app.post(&at("reinstate"), Some(&concass), decision.clone()).await, "patto_not_suspended");
    let suspended = app.post(&at("suspend"), Some(&concass), decision.clone()).await;
    assert_eq!((suspended.status, suspended.body["status"].as_str()), (200, Some("suspended")), "{suspended:?}");
    assert!(eligible(&app, "home_care_professional", "019021", "2024-04-10").await.is_empty());
    assert_eq!(app.post(&at("reinstate"), Some(&concass), decision.clone()).await.body["status"], "active");
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-04-10").await, uno_at(2180));
    app.set_time("2024-09-02T09:00:00+02:00");
    assert_eq!(app.post(&at("revoke"), Some(&uno), decision.clone()).await.status, 403, "providers do not decide");
    let revoked = app.post(&at("revoke"), Some(&concass), decision.clone()).await;
    assert_eq!((revoked.status, revoked.body["status"].as_str()), (200, Some("revoked")), "{revoked:?}");
    assert_eq!(revoked.body["measures"].as_array().unwrap().len(), 3);
    assert!(eligible(&app, "home_care_professional", "019021", "2024-09-03").await.is_empty());
    conflict(&app.post(&at("signatures"), Some(&uno), json!({})).await, "patto_revoked");
    conflict(&app.post(&at("revoke"), Some(&concass), decision).await, "patto_revoked");
    // What held before stays on record: the day before it was revoked, it served at 2250.
    assert_eq!(eligible(&app, "home_care_professional", "019021", "2024-09-01").await, uno_at(2250));

    // The events feed tells the provider its patto's story, without the other's.
    let feed = app.get("/api/v1/events?limit=200", Some(&uno)).await;
    let names: Vec<&str> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"]["type"] == "patto")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "patto.drafted",
            "patto.signature_added",
            "patto.signed",
            "patto.amendment_proposed",
            "patto.signature_added",
            "patto.signed",
            "patto.suspended",
            "patto.reinstated",
            "patto.revoked"
        ]
    );
}

async fn patti_are_private_to_their_two_sides(app: TestApp) {
    app.seed_demo();
    let tender = concluded_home_care_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let cremona = app.token(demo::CREMONA).await;
    let admin = app.token(demo::ADMIN).await;
    let uno_org = app.organization_of(&uno).await;
    app.set_time("2024-02-21T09:00:00+01:00");
    assert_eq!(app.post("/api/v1/patti", Some(&asc), uno_draft(&tender, &uno_org)).await.status, 404, "not ASC's call");
    let drafted = app.post("/api/v1/patti", Some(&concass), uno_draft(&tender, &uno_org)).await;
    assert_eq!(drafted.status, 201, "{drafted:?}");
    let patto = format!("/api/v1/patti/{}", drafted.id());
    let copy = app.upload(&format!("{patto}/documents"), &uno, "signed_patto", "patto.pdf", PDF).await;
    assert_eq!(copy.status, 201);

    for token in [&uno, &concass, &admin] {
        assert_eq!(app.get(&patto, Some(token)).await.status, 200);
        let listed = app.get(&format!("/api/v1/patti?tender_id={tender}"), Some(token)).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{listed:?}");
    }
    assert_eq!(app.get(&format!("{patto}/documents/{}", copy.id()), Some(&concass)).await.status, 200);
    for token in [&due, &asc, &cremona] {
        assert_eq!(app.get(&patto, Some(token)).await.status, 404);
        assert_eq!(app.post(&format!("{patto}/signatures"), Some(token), json!({})).await.status, 404);
        assert_eq!(app.get(&format!("{patto}/documents"), Some(token)).await.status, 404);
        assert_eq!(app.get(&format!("{patto}/documents/{}", copy.id()), Some(token)).await.status, 404);
    }
    for token in [&due, &asc] {
        let listed = app.get("/api/v1/patti", Some(token)).await;
        assert_eq!((listed.status, listed.body["items"].as_array().map(Vec::len)), (200, Some(0)));
    }
    assert_eq!(app.get("/api/v1/patti", Some(&cremona)).await.status, 404, "municipalities ask the registry");
    assert_eq!(app.get("/api/v1/patti", None).await.status, 401);
    // A provider signs for itself only: the authority's staff sign for the authority.
    let signed = app.post(&format!("{patto}/signatures"), Some(&concass), json!({})).await;
    assert_eq!(signed.body["versions"][0]["signatures"][0]["side"], "authority");
    // A signed copy must be one of this patto's documents.
    let stranger = app.post(&format!("{patto}/signatures"), Some(&uno), json!({"document_id": drafted.id()})).await;
    assert_eq!(stranger.status, 422, "{stranger:?}");
    assert_eq!(app.get(&patto, Some(&uno)).await.body["status"], "draft", "nothing half-written");
}
