//! The two seed calls end to end, from drafting to the accreditations.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

use crate::calls::{PDF, apply, attach, home_care_call, mediation_call, publish, submit};

on_both_databases!(seed_000_the_joint_mediation_call_end_to_end, seed_004_the_home_care_list_end_to_end);

async fn seed_000_the_joint_mediation_call_end_to_end(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;

    let draft = app.post("/api/v1/tenders", Some(&asc), mediation_call(&app).await).await;
    assert_eq!(draft.status, 201, "{draft:?}");
    let id = draft.id();
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["submission_deadline"], "2022-05-30T12:00:00+02:00");
    assert_eq!(draft.body["clarification_deadline"], "2022-05-23T12:00:00+02:00");
    assert_eq!(draft.body["authorities"][0]["name"], "Azienda Sociale Cremonese");
    assert_eq!(draft.body["authorities"][1]["name"], "Consorzio Casalasco Servizi Sociali");
    assert_eq!(draft.body["interventions"].as_array().unwrap().len(), 4);
    // Both districts: Cremona and Casalmaggiore are covered.
    let covered = draft.body["municipalities"].as_array().unwrap();
    assert!(covered.contains(&json!("019036")) && covered.contains(&json!("019021")));
    // A draft is not public.
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}"), None).await.status, 404);
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}"), Some(&uno)).await.status, 404);

    // The joint issuer publishes it.
    let published = app.post(&format!("/api/v1/tenders/{id}/publish"), Some(&concass), json!(null)).await;
    assert_eq!(published.status, 200, "{published:?}");
    assert_eq!(published.body["status"], "published");
    let public = app.get(&format!("/api/v1/tenders/{id}"), None).await;
    assert_eq!((public.status, public.body["reference_code"].as_str()), (200, Some("PROG-2463")));

    // A question, answered publicly without naming who asked.
    let asked = app
        .post(
            &format!("/api/v1/tenders/{id}/questions"),
            Some(&uno),
            json!({"question": "Sono ammessi mediatori in formazione?"}),
        )
        .await;
    assert_eq!(asked.status, 201, "{asked:?}");
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}/questions"), None).await.body["items"], json!([]));
    let answered = app
        .post(
            &format!("/api/v1/tenders/{id}/questions/{}/answer", asked.id()),
            Some(&concass),
            json!({"answer": "No, serve la qualifica."}),
        )
        .await;
    assert_eq!(answered.status, 200, "{answered:?}");
    let questions = app.get(&format!("/api/v1/tenders/{id}/questions"), None).await;
    assert_eq!(questions.body["items"][0]["answer"], "No, serve la qualifica.");
    assert!(!questions.body.to_string().contains(&app.organization_of(&uno).await));

    // Coop Uno applies; submitting without the DURC names what is missing.
    let first = apply(
        &app,
        &uno,
        &id,
        &[("mediation_health", "019036"), ("mediation_school", "019036")],
        &["no_exclusion_grounds", "mediators_qualification"],
    )
    .await;
    app.set_time("2022-05-30T11:59:00+02:00");
    let incomplete = submit(&app, &uno, &first).await;
    assert_eq!((incomplete.status, incomplete.problem_code()), (422, "validation_failed"));
    assert_eq!(incomplete.body["errors"][0]["field"], "requirements.durc");
    attach(&app, &uno, &first, "durc").await;
    app.set_time("2022-05-30T11:59:59+02:00");
    let accepted = submit(&app, &uno, &first).await;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    assert_eq!(accepted.body["receipt"]["protocol_number"], "2022/000001");
    assert_eq!(accepted.body["receipt"]["received_at"], "2022-05-30T11:59:59+02:00");
    assert_eq!(accepted.body["application"]["status"], "submitted");
    assert_eq!(accepted.body["receipt"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(accepted.body["application"]["snapshot_sha256"], accepted.body["receipt"]["sha256"]);

    // Coop Due: one application on time, a replacement attempt one second late.
    app.set_time("2022-05-30T11:30:00+02:00");
    let second =
        apply(&app, &due, &id, &[("mediation_social", "019021")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(&app, &due, &second, "durc").await;
    let on_time = submit(&app, &due, &second).await;
    assert_eq!(on_time.body["receipt"]["protocol_number"], "2022/000002", "{on_time:?}");
    let replacement = apply(
        &app,
        &due,
        &id,
        &[("mediation_social", "019021"), ("mediation_health", "019021")],
        &["no_exclusion_grounds", "mediators_qualification"],
    )
    .await;
    attach(&app, &due, &replacement, "durc").await;
    app.set_time("2022-05-30T12:00:01+02:00");
    let late = submit(&app, &due, &replacement).await;
    assert_eq!((late.status, late.problem_code()), (409, "submission_deadline_passed"));
    assert!(late.body["detail"].as_str().unwrap().contains("2022-05-30T12:00:00+02:00"), "{late:?}");
    let still = app.get(&format!("/api/v1/applications/{replacement}"), Some(&due)).await;
    assert_eq!((still.body["status"].as_str(), still.body["protocol_number"].as_str()), (Some("draft"), None));
    assert_eq!(app.get(&format!("/api/v1/applications/{second}"), Some(&due)).await.body["status"], "submitted");

    // Closed: derived from the clock, in every read.
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}"), None).await.body["status"], "closed");

    // Examination: admit part of Coop Uno's offer, exclude Coop Due with a reason.
    app.set_time("2022-06-06T10:00:00+02:00");
    let admitted = app
        .post(
            &format!("/api/v1/applications/{first}/admit"),
            Some(&asc),
            json!({"scope": [{"intervention": "mediation_health", "municipality": "019036"}]}),
        )
        .await;
    assert_eq!(admitted.status, 200, "{admitted:?}");
    assert_eq!(admitted.body["status"], "admitted");
    assert_eq!(admitted.body["admitted"], json!([{"intervention": "mediation_health", "municipality": "019036"}]));
    assert!(admitted.body["decision"]["decided_by"].is_string());
    let excluded = app
        .post(
            &format!("/api/v1/applications/{second}/exclude"),
            Some(&concass),
            json!({"reason": "missing_specific_requirement", "text": "Nessun mediatore qualificato in organico"}),
        )
        .await;
    assert_eq!(excluded.status, 200, "{excluded:?}");
    assert_eq!(excluded.body["decision"]["reason"], "missing_specific_requirement");

    let concluded = app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&asc), json!(null)).await;
    assert_eq!(concluded.status, 200, "{concluded:?}");
    assert_eq!(concluded.body["tender"]["status"], "concluded");
    let granted = concluded.body["accreditations"].as_array().unwrap();
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0]["intervention"], "mediation_health");
    assert_eq!(
        (granted[0]["valid_from"].as_str(), granted[0]["valid_to"].as_str()),
        (Some("2022-07-01"), Some("2025-06-30"))
    );
    assert_eq!(concluded.body["uncovered"], json!([]), "an accreditation call reports no product-line gaps");
    let public = app.get(&format!("/api/v1/tenders/{id}/accreditations"), None).await;
    assert_eq!(public.body["items"].as_array().unwrap().len(), 1);

    // Every receipt stays on record, and the documents verify.
    let receipts = app.get(&format!("/api/v1/applications/{first}/receipts"), Some(&asc)).await;
    assert_eq!(receipts.body["items"][0]["protocol_number"], "2022/000001");
    let docs = app.get(&format!("/api/v1/applications/{first}/documents"), Some(&asc)).await;
    let doc = &docs.body["items"][0];
    let download =
        app.get(&format!("/api/v1/applications/{first}/documents/{}", doc["id"].as_str().unwrap()), Some(&asc)).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert_eq!(download.body.as_str().map(str::as_bytes), Some(PDF));
    assert_eq!(download.header("x-content-sha256"), doc["sha256"].as_str());
}

async fn seed_004_the_home_care_list_end_to_end(app: TestApp) {
    app.seed_demo();
    app.set_time("2024-01-15T09:00:00+01:00");
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let id = publish(&app, &concass, home_care_call(&app).await).await;
    let call = app.get(&format!("/api/v1/tenders/{id}"), None).await;
    assert_eq!(call.body["municipalities"].as_array().unwrap().len(), 19);
    assert_eq!(call.body["kind"], "provider_list");

    // Coop Uno: educational and social care in Casalmaggiore and Gussola.
    let mut scope_uno = Vec::new();
    for m in ["019021", "019052"] {
        for i in ["educational_individual", "home_care_professional", "home_care_generic"] {
            scope_uno.push((i, m));
        }
    }
    let first = apply(&app, &uno, &id, &scope_uno, &["no_exclusion_grounds"]).await;
    attach(&app, &uno, &first, "service_charter").await;
    assert_eq!(submit(&app, &uno, &first).await.status, 200);
    // Coop Due: social care and meals in Casalmaggiore and Piadena Drizzona, without its charter.
    let scope_due = [("home_care_generic", "019116"), ("meals_delivery", "019116"), ("meals_delivery", "019021")];
    let second = apply(&app, &due, &id, &scope_due, &["no_exclusion_grounds"]).await;
    let missing = submit(&app, &due, &second).await;
    assert_eq!(missing.status, 422);
    attach(&app, &due, &second, "service_charter").await;
    let submitted = submit(&app, &due, &second).await;
    assert_eq!(submitted.body["receipt"]["protocol_number"], "2024/000002", "{submitted:?}");

    // After the deadline, CONCASS asks Coop Due for a missing document, due in ten days.
    app.set_time("2024-02-20T10:00:00+01:00");
    let asked = app
        .post(
            &format!("/api/v1/applications/{second}/integration-requests"),
            Some(&concass),
            json!({"missing": "Carta dei servizi sottoscritta dal legale rappresentante", "due_in_days": 10}),
        )
        .await;
    assert_eq!(asked.status, 200, "{asked:?}");
    assert_eq!(asked.body["status"], "integration_requested");
    assert_eq!(asked.body["integration_requests"][0]["due_at"], "2024-03-01T10:00:00+01:00");
    // While it is open, the application cannot be admitted.
    let early = app.post(&format!("/api/v1/applications/{second}/admit"), Some(&concass), json!({})).await;
    assert_eq!((early.status, early.problem_code()), (409, "application_wrong_status"));
    app.set_time("2024-02-27T16:00:00+01:00");
    let reply = app
        .upload(
            &format!("/api/v1/applications/{second}/documents"),
            &due,
            "service_charter",
            "carta-firmata.pdf.p7m",
            &[0x30, 0x82, 0x01, 0x0a, 0x06, 0x09],
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["content_type"], "application/pkcs7-mime");
    let answered =
        app.post(&format!("/api/v1/applications/{second}/integration-answer"), Some(&due), json!(null)).await;
    assert_eq!(answered.status, 200, "{answered:?}");
    assert_eq!(answered.body["application"]["status"], "submitted");
    assert_eq!(answered.body["receipt"]["kind"], "integration");
    assert_eq!(answered.body["receipt"]["protocol_number"], "2024/000003");
    assert!(answered.body["application"]["integration_requests"][0]["answered_at"].is_string());

    // Admissions; concluding reports what no provider covers.
    for application in [&first, &second] {
        let admitted = app.post(&format!("/api/v1/applications/{application}/admit"), Some(&concass), json!({})).await;
        assert_eq!(admitted.status, 200, "{admitted:?}");
    }
    let coverage = app.get(&format!("/api/v1/tenders/{id}/coverage"), None).await;
    let concluded = app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&concass), json!(null)).await;
    assert_eq!(concluded.status, 200, "{concluded:?}");
    assert_eq!(concluded.body["accreditations"].as_array().unwrap().len(), 6 + 3);
    let uncovered = concluded.body["uncovered"].as_array().unwrap();
    assert_eq!(&coverage.body["product_lines"], &concluded.body["uncovered"]);
    assert_eq!(&coverage.body["interventions"], &concluded.body["uncovered_interventions"]);
    let has = |m: &str, line: &str| uncovered.contains(&json!({"municipality": m, "product_line": line}));
    // Covered: Casalmaggiore (all three lines), Gussola (educational, social care), Piadena
    // Drizzona (social care, additional).
    assert!(!has("019021", "educational") && !has("019021", "social_care") && !has("019021", "additional"));
    assert!(has("019052", "additional") && !has("019052", "educational"));
    assert!(has("019116", "educational") && !has("019116", "additional"));
    assert!(has("019009", "educational") && has("019009", "social_care") && has("019009", "additional"));
    assert_eq!(uncovered.len(), 19 * 3 - 3 - 2 - 2);
    // Per intervention: Piadena Drizzona has meals and generic home care, nothing else.
    let items = concluded.body["uncovered_interventions"].as_array().unwrap();
    let lacks = |m: &str, i: &str| items.contains(&json!({"municipality": m, "intervention": i}));
    assert!(!lacks("019116", "meals_delivery") && !lacks("019116", "home_care_generic"));
    assert!(lacks("019116", "telecare") && lacks("019116", "home_care_professional"));
    assert!(lacks("019021", "telecare") && !lacks("019021", "meals_delivery"), "meals but no tele-assistance");
    assert_eq!(items.len(), 19 * 8 - 6 - 3);
}
