//! Seed 000's mediation service at work: a school in Cremona asks for an Arabic mediator for a
//! parents' meeting; urgent requests from a hospital ward, confirmed at the same instant by both
//! accredited providers from two API processes, go to exactly one; deliveries, a late
//! cancellation and a no-show are billed in a month's report.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::calls::{apply, attach, mediation_call, publish, submit};

on_both_databases!(a_school_and_a_ward_get_their_mediators_and_the_month_is_billed);

/// Seed 000 concluded with Coop Uno and Coop Due accredited for mediation at school and in
/// health in Cremona, each with a patto signed with ASC from 1 July 2022, and a mediator each
/// who speaks Arabic. Answers the mediators' ids (Uno's, Due's).
async fn cremona_mediation(app: &TestApp) -> (String, String) {
    app.set_time("2022-05-02T09:00:00+02:00");
    let asc = app.token(demo::ASC).await;
    let id = publish(app, &asc, mediation_call(app).await).await;
    let mut applications = Vec::new();
    for account in [demo::COOP_UNO, demo::COOP_DUE] {
        let token = app.token(account).await;
        let items = [("mediation_school", "019036"), ("mediation_health", "019036")];
        let application = apply(app, &token, &id, &items, &["no_exclusion_grounds", "mediators_qualification"]).await;
        attach(app, &token, &application, "durc").await;
        assert_eq!(submit(app, &token, &application).await.status, 200);
        applications.push(application);
    }
    app.set_time("2022-06-10T10:00:00+02:00");
    for application in &applications {
        assert_eq!(
            app.post(&format!("/api/v1/applications/{application}/admit"), Some(&asc), json!({})).await.status,
            200
        );
    }
    let concluded = app
        .post(
            &format!("/api/v1/tenders/{id}/conclude"),
            Some(&asc),
            json!({"act_number": "2022/88", "act_date": "2022-06-10"}),
        )
        .await;
    assert_eq!(concluded.status, 200, "{concluded:?}");
    let mut mediators = Vec::new();
    for (account, number, name) in
        [(demo::COOP_UNO, "ASC/2022/31", "Samira El Amrani"), (demo::COOP_DUE, "ASC/2022/32", "Youssef Benali")]
    {
        let token = app.token(account).await;
        let provider = app.organization_of(&token).await;
        let patto = app
            .post(
                "/api/v1/patti",
                Some(&asc),
                json!({"tender_id": id, "provider_id": provider, "number": number, "scope": [
                    {"intervention": "mediation_school", "municipality": "019036"},
                    {"intervention": "mediation_health", "municipality": "019036"}
                ], "valid_from": "2022-07-01", "valid_to": "2025-06-30"}),
            )
            .await;
        assert_eq!(patto.status, 201, "{patto:?}");
        for signer in [&token, &asc] {
            assert_eq!(
                app.post(&format!("/api/v1/patti/{}/signatures", patto.id()), Some(signer), json!({})).await.status,
                200
            );
        }
        let mediator = app
            .post(
                &format!("/api/v1/providers/{provider}/mediators"),
                Some(&token),
                json!({"name": name, "languages": ["ar", "fr"]}),
            )
            .await;
        assert_eq!(mediator.status, 201, "{mediator:?}");
        mediators.push(mediator.id());
    }
    (mediators[0].clone(), mediators[1].clone())
}

fn school(starts_at: &str, urgent: bool) -> Value {
    json!({
        "service": "Scuola primaria Trento e Trieste",
        "contact": "segreteria@primaria-trento.example.it",
        "operator": "Maestra Giulia Rossi",
        "reason": "Colloquio con i genitori sull'inserimento del bambino",
        "language": "ar",
        "nationality": "MA",
        "context": "school",
        "mode": "in_person",
        "starts_at": starts_at,
        "minutes": 90,
        "place": "Via Trento 1, Cremona",
        "urgent": urgent,
        "municipality": "019036",
        "initials": "KB"
    })
}

fn ward(starts_at: &str) -> Value {
    json!({
        "service": "Ospedale di Cremona, Pediatria",
        "contact": "0372 405111",
        "operator": "Infermiera coordinatrice",
        "reason": "Dimissione di un neonato: istruzioni alla madre",
        "language": "ar",
        "context": "health",
        "mode": "in_person",
        "starts_at": starts_at,
        "minutes": 60,
        "place": "Reparto di Pediatria, Cremona",
        "urgent": true,
        "municipality": "019036"
    })
}

fn conflict(reply: &ambito_tests::Reply, code: &str) {
    assert_eq!((reply.status, reply.problem_code()), (409, code), "{reply:?}");
}

async fn a_school_and_a_ward_get_their_mediators_and_the_month_is_billed(app: TestApp) {
    app.seed_demo();
    let (samira, youssef) = cremona_mediation(&app).await;
    let asc = app.token(demo::ASC).await;
    let cremona = app.token(demo::CREMONA).await;
    let casalmaggiore = app.token(demo::CASALMAGGIORE).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let (uno_org, due_org, asc_org) =
        (app.organization_of(&uno).await, app.organization_of(&due).await, app.organization_of(&asc).await);
    app.set_time("2023-03-01T09:00:00+01:00");
    let at = |id: &str, action: &str| format!("/api/v1/mediation-requests/{id}/{action}");

    // The school asks through the municipality; staff offer it to Coop Uno, which confirms.
    let meeting = app.post("/api/v1/mediation-requests", Some(&cremona), school("2023-03-15T16:00", false)).await;
    assert_eq!((meeting.status, meeting.body["status"].as_str()), (201, Some("requested")), "{meeting:?}");
    assert_eq!(meeting.body["starts_at"], "2023-03-15T16:00:00+01:00");
    let meeting = meeting.id();
    assert_eq!(
        app.post("/api/v1/mediation-requests", Some(&casalmaggiore), school("2023-03-15T16:00", false)).await.body["errors"]
            [0]["field"],
        "municipality",
        "a municipality asks for its own territory"
    );
    assert_eq!(
        app.get(&format!("/api/v1/mediation-requests/{meeting}"), Some(&uno)).await.status,
        404,
        "not offered yet"
    );
    assert_eq!(
        app.post(&at(&meeting, "offer"), Some(&cremona), json!({"provider_id": uno_org})).await.status,
        403,
        "staff route it"
    );
    assert_eq!(app.post(&at(&meeting, "offer"), Some(&asc), json!({"provider_id": uno_org})).await.status, 200);
    conflict(&app.post(&at(&meeting, "offer"), Some(&asc), json!({"provider_id": due_org})).await, "offer_pending");
    let offer = app.get(&format!("/api/v1/mediation-requests/{meeting}"), Some(&uno)).await;
    assert_eq!(
        (offer.body["view"].as_str(), offer.body["reason"].is_null(), offer.body["initials"].is_null()),
        (Some("offer"), true, true)
    );
    assert_eq!(app.get(&format!("/api/v1/mediation-requests/{meeting}"), Some(&due)).await.status, 404);
    let wrong = app.post(&at(&meeting, "confirm"), Some(&uno), json!({"mediator_id": youssef})).await;
    assert_eq!(
        (wrong.status, wrong.body["errors"][0]["field"].as_str()),
        (422, Some("mediator_id")),
        "another provider's mediator"
    );
    let confirmed = app.post(&at(&meeting, "confirm"), Some(&uno), json!({"mediator_id": samira})).await;
    assert_eq!((confirmed.status, confirmed.body["status"].as_str()), (200, Some("confirmed")), "{confirmed:?}");
    assert_eq!(confirmed.body["confirmation"]["mediator_name"], "Samira El Amrani");
    let calendar = app.get("/api/v1/mediation-calendar", Some(&uno)).await;
    assert_eq!(calendar.body["items"].as_array().unwrap().len(), 1, "{calendar:?}");
    conflict(&app.post(&at(&meeting, "no-show"), Some(&uno), json!({})).await, "slot_not_started");

    // Urgent requests from the ward go to both at once; confirmed together from two API
    // processes, exactly one wins each time.
    let other = app.another_process();
    let other_uno = other.token(demo::COOP_UNO).await;
    for hour in 10..14 {
        let urgent = app.post("/api/v1/mediation-requests", Some(&asc), ward(&format!("2023-03-02T{hour}:00"))).await;
        assert_eq!(urgent.status, 201, "{urgent:?}");
        assert_eq!(urgent.body["offers"].as_array().unwrap().len(), 2, "offered to every eligible provider");
        let id = urgent.id();
        let waiting = app.get("/api/v1/mediation-requests", Some(&asc)).await;
        assert_eq!(waiting.body["items"][0]["id"], id, "unanswered urgent requests first");
        let confirm = at(&id, "confirm");
        let (first, second) = futures_util::join!(
            other.post(&confirm, Some(&other_uno), json!({"mediator_id": samira})),
            app.post(&confirm, Some(&due), json!({"mediator_id": youssef})),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{first:?} {second:?}");
        let loser = if first.status == 409 { &first } else { &second };
        assert_eq!(loser.problem_code(), "already_confirmed");
        let winner = app.get(&format!("/api/v1/mediation-requests/{id}"), Some(&asc)).await;
        let expected = if first.status == 200 { &uno_org } else { &due_org };
        assert_eq!(winner.body["confirmation"]["provider_id"], json!(expected));
    }

    // Delivered; cancelled late (billed), cancelled in time (not); the person did not come (the minimum).
    app.set_time("2023-03-15T18:00:00+01:00");
    let delivered =
        app.post(&at(&meeting, "delivery"), Some(&uno), json!({"started_at": "2023-03-15T16:05", "minutes": 85})).await;
    assert_eq!((delivered.status, delivered.body["billable"]["minutes"].as_u64()), (200, Some(85)), "{delivered:?}");
    conflict(
        &app.post(&at(&meeting, "cancel"), Some(&cremona), json!({"reason": "Troppo tardi"})).await,
        "mediation_ended",
    );
    let booked = |slot: &'static str, provider: &str, org: &str, mediator: &str| {
        let (app, cremona, asc) = (&app, &cremona, &asc);
        let (provider, org, mediator) = (provider.to_owned(), org.to_owned(), mediator.to_owned());
        async move {
            let id = app.post("/api/v1/mediation-requests", Some(cremona), school(slot, false)).await.id();
            let offered = app
                .post(&format!("/api/v1/mediation-requests/{id}/offer"), Some(asc), json!({"provider_id": org}))
                .await;
            assert_eq!(offered.status, 200, "{offered:?}");
            let confirmed = app
                .post(
                    &format!("/api/v1/mediation-requests/{id}/confirm"),
                    Some(&provider),
                    json!({"mediator_id": mediator}),
                )
                .await;
            assert_eq!(confirmed.status, 200, "{confirmed:?}");
            id
        }
    };
    let late = booked("2023-03-20T10:00", &uno, &uno_org, &samira).await;
    let early = booked("2023-03-27T10:00", &uno, &uno_org, &samira).await;
    let absent = booked("2023-03-22T09:00", &uno, &uno_org, &samira).await;
    let theirs = booked("2023-03-21T09:00", &due, &due_org, &youssef).await;
    app.set_time("2023-03-19T15:00:00+01:00");
    let cancelled = app.post(&at(&late, "cancel"), Some(&cremona), json!({"reason": "Riunione annullata"})).await;
    assert_eq!(
        (cancelled.body["ending"]["late"].as_bool(), cancelled.body["billable"]["minutes"].as_u64()),
        (Some(true), Some(90))
    );
    let in_time = app.post(&at(&early, "cancel"), Some(&cremona), json!({"reason": "Riunione rinviata"})).await;
    assert_eq!((in_time.body["ending"]["late"].as_bool(), in_time.body["billable"].is_null()), (Some(false), true));
    app.set_time("2023-03-22T09:40:00+01:00");
    let no_show =
        app.post(&at(&absent, "no-show"), Some(&uno), json!({"note": "La famiglia non si è presentata"})).await;
    assert_eq!(
        (no_show.body["status"].as_str(), no_show.body["billable"]["minutes"].as_u64()),
        (Some("no_show"), Some(60))
    );

    // The month's report: 85 + 90 + 60 minutes at €25.00 an hour, and a peer's is not Coop Uno's to bill.
    let report = |ids: Vec<&str>| json!({"kind": "mediation", "month": "2023-03", "authority_id": asc_org, "mediation_request_ids": ids});
    app.set_time("2023-03-21T11:00:00+01:00");
    let done =
        app.post(&at(&theirs, "delivery"), Some(&due), json!({"started_at": "2023-03-21T09:00", "minutes": 60})).await;
    assert_eq!(done.status, 200, "{done:?}");
    app.set_time("2023-04-03T09:00:00+02:00");
    let stolen = app.post("/api/v1/delivery-reports", Some(&uno), report(vec![&theirs])).await;
    assert_eq!(stolen.status, 404, "Coop Due's mediation: {stolen:?}");
    assert_eq!(
        app.post("/api/v1/delivery-reports", Some(&uno), report(vec![&early])).await.status,
        422,
        "not billable"
    );
    let submitted = app.post("/api/v1/delivery-reports", Some(&uno), report(vec![&meeting, &late, &absent])).await;
    assert_eq!(submitted.status, 201, "{submitted:?}");
    let minutes: Vec<u64> =
        submitted.body["lines"].as_array().unwrap().iter().map(|l| l["minutes"].as_u64().unwrap()).collect();
    assert_eq!(minutes, [85, 90, 60]);
    let validated =
        app.post(&format!("/api/v1/delivery-reports/{}/validation", submitted.id()), Some(&asc), json!(null)).await;
    assert_eq!(validated.status, 200, "{validated:?}");
    let amounts: Vec<i64> =
        validated.body["lines"].as_array().unwrap().iter().map(|l| l["amount_cents"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [3542, 3750, 2500], "85 minutes at €25.00 an hour is €35.416…, half up");
    assert_eq!(validated.body["totals"]["authority_cents"], 9792);
    assert_eq!(
        app.get(&format!("/api/v1/mediation-requests/{meeting}"), Some(&cremona)).await.body["status"],
        "reported"
    );
    let again = app.post("/api/v1/delivery-reports", Some(&uno), report(vec![&meeting])).await;
    assert_eq!(
        (again.status, again.body["errors"][0]["message"].as_str()),
        (422, Some("already billed in a validated report"))
    );
}
