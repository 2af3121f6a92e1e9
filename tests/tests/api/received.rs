//! Applications that reach the authority outside the platform (seed 000: "via PEC, a mano o
//! tramite servizio postale o mediante agenzia di recapito"), recorded by its staff; the rule
//! that follows a material amendment; answers versioned like everything else; sub-collections
//! paginated like the lists.

use actix_web::http::Method;
use ambito_tests::{Body, TestApp, demo, on_both_databases};
use serde_json::json;

use crate::calls::{apply, attach, mediation_call, publish, submit, submitted_mediation};

on_both_databases!(
    staff_record_a_pec_application_judged_on_its_arrival,
    an_unconfirmed_application_after_a_material_amendment_can_only_be_excluded,
    answers_are_versioned_and_sub_collections_paginated,
);

async fn staff_record_a_pec_application_judged_on_its_arrival(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let due_org = app.organization_of(&due).await;
    let id = publish(&app, &asc, mediation_call(&app).await).await;
    // One online submission first: the register is shared.
    let online =
        apply(&app, &uno, &id, &[("mediation_health", "019036")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(&app, &uno, &online, "durc").await;
    app.set_time("2022-05-30T11:00:00+02:00");
    assert_eq!(submit(&app, &uno, &online).await.body["receipt"]["protocol_number"], "2022/000001");

    // A PEC delivered at 11:58 is recorded in the afternoon, after the deadline.
    app.set_time("2022-05-30T15:00:00+02:00");
    let pec = |received_at: &str| {
        json!({
            "provider_id": due_org,
            "channel": "pec",
            "received_at": received_at,
            "scope": [{"intervention": "mediation_school", "municipality": "019036"}],
            "declarations": [{"requirement_code": "no_exclusion_grounds", "accepted": true},
                             {"requirement_code": "mediators_qualification", "accepted": true}]
        })
    };
    let path = format!("/api/v1/tenders/{id}/received-applications");
    let late = app.post(&path, Some(&asc), pec("2022-05-30T12:00:01+02:00")).await;
    assert_eq!((late.status, late.problem_code()), (409, "submission_deadline_passed"), "{late:?}");
    assert!(late.body["detail"].as_str().unwrap().contains("2022-05-30T12:00:00+02:00"));
    let future = app.post(&path, Some(&asc), pec("2022-05-30T16:00:00+02:00")).await;
    assert_eq!((future.status, future.body["errors"][0]["field"].as_str()), (422, Some("received_at")));
    let provider = app.post(&path, Some(&due), pec("2022-05-30T11:58:00+02:00")).await;
    assert_eq!(provider.status, 404, "recording is the issuers' staff's");
    let recorded = app.post(&path, Some(&asc), pec("2022-05-30T11:58:00+02:00")).await;
    assert_eq!(recorded.status, 201, "{recorded:?}");
    assert_eq!(recorded.body["channel"], "pec");
    assert_eq!(recorded.body["received_at"], "2022-05-30T11:58:00+02:00");
    assert_eq!(recorded.body["status"], "draft");
    let application = recorded.id();
    let at = format!("/api/v1/applications/{application}");
    // While staff record it, the provider does not see it; staff do.
    assert_eq!(app.get(&at, Some(&due)).await.status, 404);
    let listed = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&asc)).await;
    assert!(listed.body.to_string().contains(&application));
    // Staff attach the scanned documents, after the deadline, and register it.
    let incomplete = app.post(&format!("{at}/submit"), Some(&asc), json!(null)).await;
    assert_eq!(incomplete.body["errors"][0]["field"], "requirements.durc", "{incomplete:?}");
    let scan = app.upload(&format!("{at}/documents"), &asc, "durc", "durc-scansione.pdf", crate::calls::PDF).await;
    assert_eq!(scan.status, 201, "{scan:?}");
    assert_eq!(app.upload(&format!("{at}/documents"), &due, "durc", "x.pdf", crate::calls::PDF).await.status, 404);
    let registered = app.post(&format!("{at}/submit"), Some(&asc), json!(null)).await;
    assert_eq!(registered.status, 200, "{registered:?}");
    assert_eq!(registered.body["receipt"]["protocol_number"], "2022/000002");
    assert_eq!(registered.body["receipt"]["received_at"], "2022-05-30T11:58:00+02:00", "stamped on its arrival");
    assert_eq!(registered.body["application"]["status"], "submitted");
    // Now the provider reads it as its own, and it is examined like any other.
    let seen = app.get(&at, Some(&due)).await;
    assert_eq!((seen.status, seen.body["channel"].as_str()), (200, Some("pec")));
    assert_eq!(app.post(&format!("{at}/withdraw"), Some(&due), json!(null)).await.status, 403, "staff act for it");
    app.set_time("2022-06-06T10:00:00+02:00");
    assert_eq!(app.post(&format!("{at}/admit"), Some(&asc), json!({})).await.status, 200);
}

async fn an_unconfirmed_application_after_a_material_amendment_can_only_be_excluded(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let (id, application) = submitted_mediation(&app, &asc, &uno).await;
    let amended = app
        .post(
            &format!("/api/v1/tenders/{id}/amendments"),
            Some(&asc),
            json!({"reason": "Nuovi requisiti dei mediatori", "material": true, "submission_deadline": "2022-06-06T12:00"}),
        )
        .await;
    assert_eq!(amended.status, 201, "{amended:?}");
    let path = |action: &str| format!("/api/v1/applications/{application}/{action}");

    // The confirmation is due by the new deadline: after it, it is refused as late.
    app.set_time("2022-06-06T12:00:01+02:00");
    let late = app.post(&path("confirm"), Some(&uno), json!(null)).await;
    assert_eq!((late.status, late.problem_code()), (409, "confirmation_deadline_passed"), "{late:?}");
    assert!(late.body["detail"].as_str().unwrap().contains("2022-06-06T12:00:00+02:00"));
    // Unconfirmed, it is neither admitted nor integrated; excluded for that reason, the call
    // can be concluded.
    let admit = app.post(&path("admit"), Some(&asc), json!({})).await;
    assert_eq!((admit.status, admit.problem_code()), (409, "confirmation_pending"));
    let integrate =
        app.post(&path("integration-requests"), Some(&asc), json!({"missing": "Conferma", "due_in_days": 5})).await;
    assert_eq!(integrate.status, 409);
    let conclude = app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&asc), json!(null)).await;
    assert_eq!((conclude.status, conclude.problem_code()), (409, "applications_pending"));
    let excluded = app
        .post(
            &path("exclude"),
            Some(&asc),
            json!({"reason": "not_confirmed", "text": "Domanda non confermata dopo la rettifica dell'avviso"}),
        )
        .await;
    assert_eq!((excluded.status, excluded.body["decision"]["reason"].as_str()), (200, Some("not_confirmed")));
    assert_eq!(app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&asc), json!(null)).await.status, 200);
}

async fn answers_are_versioned_and_sub_collections_paginated(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let id = publish(&app, &asc, mediation_call(&app).await).await;
    let mut questions = Vec::new();
    for n in 0..3 {
        let asked = app
            .post(&format!("/api/v1/tenders/{id}/questions"), Some(&uno), json!({"question": format!("Domanda {n}?")}))
            .await;
        assert_eq!((asked.status, asked.header("etag")), (201, Some("\"1\"")));
        questions.push(asked.id());
    }
    let answer = format!("/api/v1/tenders/{id}/questions/{}/answer", questions[0]);
    let first = app.post(&answer, Some(&asc), json!({"answer": "Sì."})).await;
    assert_eq!((first.status, first.header("etag")), (200, Some("\"2\"")));
    let stale = app
        .request(
            Method::POST,
            &answer,
            Some(&asc),
            &[("If-Match", "\"1\"")],
            Some(Body::Json(json!({"answer": "No."}))),
        )
        .await;
    assert_eq!((stale.status, stale.problem_code()), (412, "stale_version"));
    let corrected = app
        .request(
            Method::POST,
            &answer,
            Some(&asc),
            &[("If-Match", "\"2\"")],
            Some(Body::Json(json!({"answer": "Sì, dal 2023."}))),
        )
        .await;
    assert_eq!((corrected.status, corrected.body["answer"].as_str()), (200, Some("Sì, dal 2023.")));
    let public = app.get(&format!("/api/v1/tenders/{id}/questions/{}", questions[0]), None).await;
    assert_eq!((public.header("etag"), public.body["version"].as_i64()), (Some("\"3\""), Some(3)));
    // Every sub-collection pages like the lists.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/tenders/{id}/questions?limit=2");
    loop {
        let page = app.get(&path, Some(&uno)).await;
        assert_eq!(page.status, 200, "{page:?}");
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/tenders/{id}/questions?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, questions);
    for list in ["amendments", "documents", "accreditations"] {
        let page = app.get(&format!("/api/v1/tenders/{id}/{list}?limit=1"), None).await;
        assert_eq!((page.status, page.body["items"].is_array()), (200, true), "{list}");
    }
    let bad = app.get(&format!("/api/v1/tenders/{id}/questions?limit=0"), None).await;
    assert_eq!(bad.status, 400);
}
