//! What the procedure's rules forbid, who may see what, and submissions under concurrency.

use ambito_tests::{TestApp, demo, on_both_databases};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::calls::{PDF, apply, attach, mediation_call, publish, submit, submitted_mediation};

on_both_databases!(
    every_forbidden_transition_is_a_409_with_a_stable_code,
    fields_a_provider_may_not_set_are_refused_and_nothing_is_stored,
    another_providers_application_is_404_everywhere,
    twenty_concurrent_submissions_get_twenty_consecutive_protocol_numbers,
    a_material_amendment_asks_providers_to_confirm,
    documents_are_checked_on_the_way_in_and_out,
);

async fn every_forbidden_transition_is_a_409_with_a_stable_code(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let conflict = |reply: ambito_tests::Reply, code: &str| {
        assert_eq!((reply.status, reply.problem_code()), (409, code), "{reply:?}");
    };
    let terms = mediation_call(&app).await;
    let id = publish(&app, &asc, terms.clone()).await;
    let tender = |action: &str| format!("/api/v1/tenders/{id}/{action}");

    conflict(app.post(&tender("publish"), Some(&asc), json!(null)).await, "tender_not_draft");
    let etag = app.get(&format!("/api/v1/tenders/{id}"), Some(&asc)).await.header("etag").unwrap().to_owned();
    conflict(
        app.request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/tenders/{id}"),
            Some(&asc),
            &[("If-Match", &etag)],
            Some(ambito_tests::Body::Json(terms.clone())),
        )
        .await,
        "tender_not_draft",
    );
    conflict(app.post(&tender("conclude"), Some(&asc), json!(null)).await, "tender_not_closed");
    conflict(
        app.post(
            &tender("amendments"),
            Some(&asc),
            json!({"reason": "Anticipo", "submission_deadline": "2022-05-29T12:00:00+02:00"}),
        )
        .await,
        "deadline_earlier",
    );

    let application =
        apply(&app, &uno, &id, &[("mediation_health", "019036")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(&app, &uno, &application, "durc").await;
    let path = |action: &str| format!("/api/v1/applications/{application}/{action}");
    assert_eq!(
        app.post(&path("admit"), Some(&asc), json!({})).await.status,
        404,
        "a draft is not the authority's to see"
    );
    assert_eq!(submit(&app, &uno, &application).await.status, 200);
    conflict(app.post(&path("admit"), Some(&asc), json!({})).await, "tender_not_closed");
    conflict(submit(&app, &uno, &application).await, "application_wrong_status");
    let etag =
        app.get(&format!("/api/v1/applications/{application}"), Some(&uno)).await.header("etag").unwrap().to_owned();
    let edit = app
        .request(
            actix_web::http::Method::PUT,
            &format!("/api/v1/applications/{application}"),
            Some(&uno),
            &[("If-Match", &etag)],
            Some(ambito_tests::Body::Json(
                json!({"scope": [{"intervention": "mediation_school", "municipality": "019036"}]}),
            )),
        )
        .await;
    conflict(edit, "application_wrong_status");

    app.set_time("2022-05-24T09:00:00+02:00");
    conflict(
        app.post(&tender("questions"), Some(&uno), json!({"question": "Troppo tardi?"})).await,
        "clarifications_closed",
    );

    app.set_time("2022-05-31T09:00:00+02:00");
    conflict(app.post(&path("withdraw"), Some(&uno), json!(null)).await, "submission_deadline_passed");
    conflict(
        app.post(&tender("cancel"), Some(&asc), json!({"reason": "Ripensamento"})).await,
        "tender_not_cancellable",
    );
    conflict(app.post(&tender("conclude"), Some(&asc), json!(null)).await, "applications_pending");
    let asked = app
        .post(
            &path("integration-requests"),
            Some(&asc),
            json!({"missing": "Elenco dei mediatori", "due_at": "2022-06-03T12:00"}),
        )
        .await;
    assert_eq!(asked.status, 200, "{asked:?}");
    app.set_time("2022-06-03T12:00:01+02:00");
    let late = app.post(&path("integration-answer"), Some(&uno), json!(null)).await;
    conflict(late, "integration_deadline_passed");
    let excluded = app
        .post(
            &path("exclude"),
            Some(&asc),
            json!({"reason": "missing_document", "text": "Integrazione non pervenuta nei termini"}),
        )
        .await;
    assert_eq!(excluded.status, 200, "{excluded:?}");
    conflict(app.post(&path("admit"), Some(&asc), json!({})).await, "application_wrong_status");
    assert_eq!(app.post(&tender("conclude"), Some(&asc), json!(null)).await.status, 200);
    conflict(app.post(&tender("conclude"), Some(&asc), json!(null)).await, "tender_not_closed");
    conflict(
        app.post(&tender("cancel"), Some(&asc), json!({"reason": "Ripensamento"})).await,
        "tender_not_cancellable",
    );

    // Cancelling a draft works, and a cancelled call takes no applications.
    app.set_time("2022-05-02T09:00:00+02:00");
    let draft = app.post("/api/v1/tenders", Some(&asc), terms).await.id();
    let cancelled = app
        .post(&format!("/api/v1/tenders/{draft}/cancel"), Some(&asc), json!({"reason": "Sostituito da nuovo avviso"}))
        .await;
    assert_eq!((cancelled.status, cancelled.body["status"].as_str()), (200, Some("cancelled")));
    let refused = app
        .post(
            &format!("/api/v1/tenders/{draft}/applications"),
            Some(&uno),
            json!({"scope": [{"intervention": "mediation_health", "municipality": "019036"}]}),
        )
        .await;
    assert_eq!(refused.status, 404, "a call cancelled as a draft was never public");
}

async fn fields_a_provider_may_not_set_are_refused_and_nothing_is_stored(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let id = publish(&app, &asc, mediation_call(&app).await).await;
    let scope = json!([{"intervention": "mediation_health", "municipality": "019036"}]);
    for (field, value) in [
        ("status", json!("admitted")),
        ("protocol_number", json!("2022/000001")),
        ("decision", json!({"reason": "other"})),
        ("admitted", scope.clone()),
    ] {
        let mut body = json!({"scope": scope});
        body[field] = value;
        let reply = app.post(&format!("/api/v1/tenders/{id}/applications"), Some(&uno), body).await;
        assert_eq!((reply.status, reply.problem_code()), (400, "invalid_body"), "{field}");
        assert_eq!(reply.body["errors"][0]["field"], field);
    }
    // Offers outside the call's terms are refused per field.
    let stray = app
        .post(
            &format!("/api/v1/tenders/{id}/applications"),
            Some(&uno),
            json!({"scope": [{"intervention": "meals_delivery", "municipality": "019036"}, {"intervention": "mediation_health", "municipality": "001001"}],
                   "declarations": [{"requirement_code": "durc", "accepted": true}]}),
        )
        .await;
    assert_eq!(stray.status, 422);
    let fields: Vec<&str> =
        stray.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["scope.0.intervention", "scope.1.municipality", "declarations.0.requirement_code"]);
    // Staff and municipalities do not apply.
    let staff = app.post(&format!("/api/v1/tenders/{id}/applications"), Some(&asc), json!({"scope": scope})).await;
    assert_eq!(staff.status, 403);
    let listed = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&asc)).await;
    assert_eq!(listed.body["items"], json!([]));
    // A provider cannot examine.
    let own = apply(&app, &uno, &id, &[("mediation_health", "019036")], &[]).await;
    let admit = app.post(&format!("/api/v1/applications/{own}/admit"), Some(&uno), json!({})).await;
    assert_eq!(admit.status, 403);
}

async fn another_providers_application_is_404_everywhere(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let cremona = app.token(demo::CREMONA).await;
    let id = publish(&app, &asc, mediation_call(&app).await).await;
    let theirs =
        apply(&app, &due, &id, &[("mediation_social", "019021")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(&app, &due, &theirs, "durc").await;
    let mine = apply(&app, &uno, &id, &[("mediation_health", "019036")], &[]).await;

    for token in [&uno, &cremona] {
        let path = format!("/api/v1/applications/{theirs}");
        assert_eq!(app.get(&path, Some(token)).await.status, 404);
        let put = app
            .request(
                actix_web::http::Method::PUT,
                &path,
                Some(token),
                &[("If-Match", "*")],
                Some(ambito_tests::Body::Json(
                    json!({"scope": [{"intervention": "mediation_social", "municipality": "019036"}]}),
                )),
            )
            .await;
        assert_eq!(put.status, 404);
        for action in ["submit", "withdraw", "confirm", "integration-answer"] {
            assert_eq!(app.post(&format!("{path}/{action}"), Some(token), json!(null)).await.status, 404, "{action}");
        }
        assert_eq!(app.get(&format!("{path}/documents"), Some(token)).await.status, 404);
        assert_eq!(app.get(&format!("{path}/receipts"), Some(token)).await.status, 404);
        assert_eq!(app.upload(&format!("{path}/documents"), token, "durc", "x.pdf", PDF).await.status, 404);
    }
    // Listing shows a provider its own only; a municipality none at all.
    let listed = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&uno)).await;
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.as_str()]);
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&cremona)).await.status, 404);
    // The municipality reads the published call itself.
    assert_eq!(app.get(&format!("/api/v1/tenders/{id}"), Some(&cremona)).await.status, 200);
    // The owner's application is untouched.
    let still = app.get(&format!("/api/v1/applications/{theirs}"), Some(&due)).await;
    assert_eq!((still.body["status"].as_str(), still.body["version"].as_i64()), (Some("draft"), Some(1)));
    // Staff of the issuing authorities do not read drafts: offers are the provider's until submitted.
    let concass = app.token(demo::CONCASS).await;
    let seen = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&concass)).await;
    assert_eq!(seen.body["items"], json!([]));
    assert_eq!(app.get(&format!("/api/v1/applications/{theirs}"), Some(&concass)).await.status, 404);
    assert_eq!(submit(&app, &due, &theirs).await.status, 200);
    let seen = app.get(&format!("/api/v1/tenders/{id}/applications"), Some(&concass)).await;
    let ids: Vec<&str> = seen.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [theirs.as_str()]);
    assert_eq!(app.get(&format!("/api/v1/applications/{theirs}"), Some(&concass)).await.status, 200);

    // Across calls: a provider lists its own, staff their calls', a municipality none.
    let ids_of = |reply: &ambito_tests::Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids_of(&app.get("/api/v1/applications", Some(&uno)).await), vec![mine.clone()]);
    assert_eq!(
        ids_of(&app.get(&format!("/api/v1/applications?tender_id={id}&status=draft"), Some(&uno)).await),
        vec![mine.clone()]
    );
    assert!(ids_of(&app.get("/api/v1/applications?status=submitted", Some(&uno)).await).is_empty());
    assert_eq!(ids_of(&app.get("/api/v1/applications", Some(&due)).await), vec![theirs.clone()]);
    assert_eq!(ids_of(&app.get("/api/v1/applications", Some(&concass)).await), vec![theirs.clone()]);
    assert_eq!(ids_of(&app.get("/api/v1/applications?status=submitted", Some(&asc)).await), vec![theirs.clone()]);
    let other_call = "0190a6e4-0000-7000-8000-000000000000";
    assert!(ids_of(&app.get(&format!("/api/v1/applications?tender_id={other_call}"), Some(&asc)).await).is_empty());
    let page = app.get("/api/v1/applications?limit=1", Some(&asc)).await;
    assert_eq!(page.body["next_cursor"], serde_json::Value::Null);
    assert_eq!(app.get("/api/v1/applications", Some(&cremona)).await.status, 403);
}

async fn twenty_concurrent_submissions_get_twenty_consecutive_protocol_numbers(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    // Twenty calls of the same authority, each applied to once: one protocol register.
    let mut applications = Vec::new();
    for n in 0..20 {
        let mut terms = mediation_call(&app).await;
        terms["title"] = json!(format!("Avviso di mediazione n. {n}"));
        terms["requirements"] = json!([{"code": "no_exclusion_grounds", "category": "general", "description": "Assenza dei motivi di esclusione"}]);
        let id = publish(&app, &asc, terms).await;
        applications.push(apply(&app, &uno, &id, &[("mediation_health", "019036")], &["no_exclusion_grounds"]).await);
    }
    let replies = join_all(applications.iter().map(|a| submit(&app, &uno, a))).await;
    let mut numbers: Vec<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{r:?}");
            r.body["receipt"]["protocol_number"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("2022/{n:06}")).collect();
    assert_eq!(numbers, expected);
}

async fn a_material_amendment_asks_providers_to_confirm(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let (id, application) = submitted_mediation(&app, &asc, &uno).await;

    app.set_time("2022-05-03T09:00:00+02:00");
    let amended = app
        .post(
            &format!("/api/v1/tenders/{id}/amendments"),
            Some(&asc),
            json!({"reason": "Proroga per consentire la più ampia partecipazione", "submission_deadline": "2022-06-06T12:00"}),
        )
        .await;
    assert_eq!(amended.status, 201, "{amended:?}");
    assert_eq!(amended.body["material"], true, "moving the deadline is material");
    assert_eq!(amended.body["changes"]["submission_deadline"]["before"], "2022-05-30T12:00:00+02:00");
    assert_eq!(amended.body["changes"]["submission_deadline"]["after"], "2022-06-06T12:00:00+02:00");
    let call = app.get(&format!("/api/v1/tenders/{id}"), None).await;
    assert_eq!(call.body["submission_deadline"], "2022-06-06T12:00:00+02:00");
    let history = app.get(&format!("/api/v1/tenders/{id}/amendments"), None).await;
    assert_eq!(history.body["items"][0]["reason"], "Proroga per consentire la più ampia partecipazione");
    let waiting = app.get(&format!("/api/v1/applications/{application}"), Some(&uno)).await;
    assert_eq!(waiting.body["needs_confirmation"], true);
    // In OCDS, the amendment is a release of its own: the window it moved, as it stood before and after.
    let ocds = app.get(&format!("/api/v1/tenders/{id}/ocds"), None).await;
    let releases = ocds.body["releases"].as_array().unwrap();
    let tags: Vec<&Value> = releases.iter().map(|r| &r["tag"][0]).collect();
    assert_eq!(tags, [&json!("tender"), &json!("tenderAmendment")]);
    assert_eq!(releases[0]["tender"]["tenderPeriod"]["endDate"], "2022-05-30T12:00:00+02:00");
    assert_eq!(releases[1]["tender"]["tenderPeriod"]["endDate"], "2022-06-06T12:00:00+02:00");
    assert_eq!(
        releases[1]["tender"]["amendments"][0]["rationale"],
        "Proroga per consentire la più ampia partecipazione"
    );

    // Unconfirmed after the new deadline, it cannot be admitted.
    app.set_time("2022-06-07T09:00:00+02:00");
    let refused = app.post(&format!("/api/v1/applications/{application}/admit"), Some(&asc), json!({})).await;
    assert_eq!((refused.status, refused.problem_code()), (409, "confirmation_pending"));
    // Confirmed in time, it can.
    app.set_time("2022-06-05T09:00:00+02:00");
    let confirmed = app.post(&format!("/api/v1/applications/{application}/confirm"), Some(&uno), json!(null)).await;
    assert_eq!((confirmed.status, confirmed.body["needs_confirmation"].as_bool()), (200, Some(false)), "{confirmed:?}");
    app.set_time("2022-06-07T09:00:00+02:00");
    assert_eq!(app.post(&format!("/api/v1/applications/{application}/admit"), Some(&asc), json!({})).await.status, 200);
    // A non-material amendment is recorded without asking anything.
    let draft_terms = mediation_call(&app).await;
    app.set_time("2022-05-02T09:00:00+02:00");
    let other = publish(&app, &asc, draft_terms).await;
    app.set_time("2022-05-03T09:00:00+02:00");
    let note = app
        .post(
            &format!("/api/v1/tenders/{other}/amendments"),
            Some(&asc),
            json!({"reason": "Refuso", "description": "Testo corretto."}),
        )
        .await;
    assert_eq!((note.status, note.body["material"].as_bool()), (201, Some(false)));
    app.set_time("2022-05-04T09:00:00+02:00");
    let nothing =
        app.post(&format!("/api/v1/tenders/{other}/amendments"), Some(&asc), json!({"reason": "Niente"})).await;
    assert_eq!(nothing.status, 422);
    // A cancellation is the call's last release.
    let cancelled =
        app.post(&format!("/api/v1/tenders/{other}/cancel"), Some(&asc), json!({"reason": "Sostituito"})).await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    let record = app.get(&format!("/api/v1/tenders/{other}/ocds/record"), None).await;
    let record = &record.body["records"][0];
    let tags: Vec<&Value> = record["releases"].as_array().unwrap().iter().map(|r| &r["tag"][0]).collect();
    assert_eq!(tags, [&json!("tender"), &json!("tenderAmendment"), &json!("tenderCancellation")]);
    assert_eq!(record["compiledRelease"]["tender"]["status"], "cancelled");
}

async fn documents_are_checked_on_the_way_in_and_out(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let id = publish(&app, &asc, mediation_call(&app).await).await;
    let application = apply(&app, &uno, &id, &[("mediation_health", "019036")], &[]).await;
    let path = format!("/api/v1/applications/{application}/documents");

    let word = app.upload(&path, &uno, "durc", "durc.docx", b"PK\x03\x04 not a pdf").await;
    assert_eq!((word.status, word.problem_code()), (422, "validation_failed"));
    assert_eq!(word.body["errors"][0]["field"], "file");
    let renamed = app.upload(&path, &uno, "durc", "durc.pdf", b"<html>not a pdf</html>").await;
    assert_eq!(renamed.status, 422, "the bytes decide, not the name");
    let mut huge = PDF.to_vec();
    huge.resize(10 * 1024 * 1024 + 1, b' ');
    let too_big = app.upload(&path, &uno, "durc", "durc.pdf", &huge).await;
    assert_eq!((too_big.status, too_big.problem_code()), (413, "payload_too_large"));
    let no_json = app.post(&path, Some(&uno), json!({"document_type": "durc"})).await;
    assert_eq!(no_json.status, 415);
    assert_eq!(app.get(&path, Some(&uno)).await.body["items"], json!([]), "nothing was stored");

    let stored = app.upload(&path, &uno, "durc", "../../etc/durc.pdf", PDF).await;
    assert_eq!(stored.status, 201, "{stored:?}");
    assert_eq!(stored.body["filename"], "durc.pdf");
    assert_eq!(stored.body["size_bytes"], PDF.len());
    let doc = stored.id();
    // The stored bytes are altered behind the service's back: it refuses to serve them.
    let file = app.documents_dir.join(format!("applications/{application}/{doc}"));
    std::fs::write(&file, b"%PDF-1.7 tampered").unwrap();
    let tampered = app.get(&format!("{path}/{doc}"), Some(&uno)).await;
    assert_eq!((tampered.status, tampered.problem_code()), (500, "document_corrupted"));

    // Call documents: staff attach, everyone reads once published.
    let notice = app.upload(&format!("/api/v1/tenders/{id}/documents"), &asc, "notice", "avviso.pdf", PDF).await;
    assert_eq!(notice.status, 201, "{notice:?}");
    let listed = app.get(&format!("/api/v1/tenders/{id}/documents"), None).await;
    assert_eq!(listed.body["items"][0]["document_type"], "notice");
    let download = app.get(&format!("/api/v1/tenders/{id}/documents/{}", notice.id()), None).await;
    assert_eq!(download.status, 200);
    // The management of a call is its issuers': to anyone else it is not there.
    assert_eq!(app.upload(&format!("/api/v1/tenders/{id}/documents"), &uno, "notice", "x.pdf", PDF).await.status, 404);
}
