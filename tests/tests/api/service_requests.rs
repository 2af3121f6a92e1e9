//! Families' requests for home care, on seed 004's list: a person registered by their
//! municipality, an ISEE, the authority's linear co-payment rule, vouchers, the family's choice
//! of provider, a decline, an acceptance, a new ISEE, a hospital stay, a patto suspended; and
//! who may read any of it.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::registry::home_care_list_with;

on_both_databases!(
    an_old_lady_gets_home_care_and_meals_at_half_the_tariff,
    requests_wait_in_order_and_every_forbidden_step_is_refused,
);

/// The person of the story, and what must never reach a log.
const CODICE_FISCALE: &str = "FMGRNG41H50B898I";
const GIVEN_NAME: &str = "Ermenegilda";
const FAMILY_NAME: &str = "Fumagalli";
const DAUGHTER: &str = "Teodolinda Fumagalli";
const CARE_PLAN: &str = "Deambulazione ridotta dopo frattura del femore; igiene e pasti a domicilio";

/// The list as the story needs it: Coop Uno accredited for professional home care in
/// Casalmaggiore, Coop Due for it and for meals; each with a signed patto from 1 March 2024;
/// CONCASS's linear rule (free up to €5,831 of ISEE, the full tariff from €17,493) for both.
/// Answers the call's id; the clock stands at 21 February 2024.
pub async fn casalmaggiore_list(app: &TestApp) -> String {
    let due: &[(&str, &str)] = &[("home_care_professional", "019021"), ("meals_delivery", "019021")];
    let (id, _) =
        home_care_list_with(app, &[(demo::COOP_UNO, &[("home_care_professional", "019021")]), (demo::COOP_DUE, due)])
            .await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    app.set_time("2024-02-21T09:00:00+01:00");
    for (token, number, scope) in [
        (&uno, "CONCASS/2024/1", json!([{"intervention": "home_care_professional", "municipality": "019021"}])),
        (
            &due,
            "CONCASS/2024/2",
            json!([
                {"intervention": "home_care_professional", "municipality": "019021"},
                {"intervention": "meals_delivery", "municipality": "019021"}
            ]),
        ),
    ] {
        let provider = app.organization_of(token).await;
        let patto = app
            .post(
                "/api/v1/patti",
                Some(&concass),
                json!({"tender_id": id, "provider_id": provider, "number": number, "scope": scope, "valid_from": "2024-03-01", "valid_to": "2027-02-28"}),
            )
            .await;
        assert_eq!(patto.status, 201, "{patto:?}");
        for signer in [token, &concass] {
            assert_eq!(
                app.post(&format!("/api/v1/patti/{}/signatures", patto.id()), Some(signer), json!({})).await.status,
                200
            );
        }
    }
    for intervention in ["home_care_professional", "meals_delivery"] {
        let rule = app
            .post(
                "/api/v1/copayment-rules",
                Some(&concass),
                json!({"intervention": intervention, "isee_kind": "ordinary", "valid_from": "2024-02-21", "formula": {"kind": "linear", "floor_cents": 583100, "ceiling_cents": 1749300}}),
            )
            .await;
        assert_eq!(rule.status, 201, "{rule:?}");
    }
    id
}

/// The person, registered by Casalmaggiore; answers their id.
pub async fn register_ermenegilda(app: &TestApp, casalmaggiore: &str) -> String {
    let registered = app
        .post(
            "/api/v1/beneficiaries",
            Some(casalmaggiore),
            json!({
                "codice_fiscale": CODICE_FISCALE,
                "given_name": GIVEN_NAME,
                "family_name": FAMILY_NAME,
                "birth_date": "1941-06-10",
                "residence": "019021",
                "address": "Via Cavour 12, Casalmaggiore",
                "household": [{"name": DAUGHTER, "relationship": "figlia", "caregiver": true, "phone": "+39 0375 000000"}],
                "situation": "Vedova, vive sola; la figlia passa la sera."
            }),
        )
        .await;
    assert_eq!(registered.status, 201, "{registered:?}");
    registered.id()
}

fn voucher<'a>(request: &'a Value, intervention: &str) -> &'a Value {
    request["vouchers"]
        .as_array()
        .unwrap_or_else(|| panic!("no vouchers: {request}"))
        .iter()
        .find(|v| v["intervention"] == intervention)
        .unwrap_or_else(|| panic!("no {intervention} voucher: {request}"))
}

fn conflict(reply: &ambito_tests::Reply, code: &str) {
    assert_eq!((reply.status, reply.problem_code()), (409, code), "{reply:?}");
}

/// The co-payment periods of a voucher, as (from, family cents).
fn shares(v: &Value) -> Vec<(String, i64)> {
    v["copayment"]
        .as_array()
        .unwrap_or_else(|| panic!("no co-payment: {v}"))
        .iter()
        .map(|p| (p["from"].as_str().unwrap().to_owned(), p["family_cents"].as_i64().unwrap()))
        .collect()
}

async fn an_old_lady_gets_home_care_and_meals_at_half_the_tariff(app: TestApp) {
    app.seed_demo();
    casalmaggiore_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let town = app.token(demo::CASALMAGGIORE).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let (uno_org, due_org) = (app.organization_of(&uno).await, app.organization_of(&due).await);
    let (town_org, concass_org) = (app.organization_of(&town).await, app.organization_of(&concass).await);

    // Before asking, the social worker shows the family what it would pay: half, at €11,662.
    let simulated = app
        .post(
            "/api/v1/copayment/simulations",
            None,
            json!({"intervention": "home_care_professional", "municipality": "019021", "isee_cents": 1166200, "date": "2024-03-04"}),
        )
        .await;
    assert_eq!(simulated.status, 200, "{simulated:?}");
    assert_eq!(
        (simulated.body["tariff_cents"].as_i64(), simulated.body["family_cents"].as_i64()),
        (Some(2180), Some(1090))
    );

    // The person, her ISEE, and the request, filed twice with one Idempotency-Key.
    let person = register_ermenegilda(&app, &town).await;
    let isee = json!({"kind": "ordinary", "value_cents": 1166200, "dsu_protocol": "INPS-ISEE-2024-00000001A-00", "issued_on": "2024-01-10", "expires_on": "2024-12-31"});
    assert_eq!(app.post(&format!("/api/v1/beneficiaries/{person}/isee"), Some(&town), isee).await.status, 201);
    let ask = json!({
        "beneficiary_id": person,
        "interventions": [
            {"intervention": "home_care_professional", "units": 6, "period": "week"},
            {"intervention": "meals_delivery", "units": 20, "period": "month"}
        ],
        "desired_start": "2024-03-04",
        "care_plan": CARE_PLAN,
        "urgency": "ordinary"
    });
    let file = || {
        app.request(
            actix_web::http::Method::POST,
            "/api/v1/service-requests",
            Some(&town),
            &[("Idempotency-Key", "casalmaggiore-2024-0042")],
            Some(ambito_tests::Body::Json(ask.clone())),
        )
    };
    let filed = file().await;
    assert_eq!(filed.status, 201, "{filed:?}");
    assert_eq!((filed.body["status"].as_str(), filed.body["age_band"].as_str()), (Some("submitted"), Some("75-84")));
    let again = file().await;
    assert_eq!((again.status, again.id()), (201, filed.id()), "one request for one key");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let mine = app.get("/api/v1/service-requests", Some(&town)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{mine:?}");
    let request = filed.id();
    let path = |action: &str| format!("/api/v1/service-requests/{request}/{action}");

    // Staff grant 6 hours a week and 20 meals a month: the family pays exactly half of each tariff.
    let grants = json!({"outcome": "eligible", "grants": [
        {"intervention": "home_care_professional", "units": 6, "period": "week", "valid_from": "2024-03-04", "valid_to": "2025-03-03"},
        {"intervention": "meals_delivery", "units": 20, "period": "month", "valid_from": "2024-03-04", "valid_to": "2025-03-03"}
    ]});
    let assessed = app.post(&path("assessment"), Some(&concass), grants.clone()).await;
    assert_eq!((assessed.status, assessed.body["status"].as_str()), (200, Some("eligible")), "{assessed:?}");
    let (care, meals) = (voucher(&assessed.body, "home_care_professional"), voucher(&assessed.body, "meals_delivery"));
    assert_eq!(
        (care["rate_cents"].as_i64(), care["units"].as_i64(), care["period"].as_str()),
        (Some(2180), Some(6), Some("week"))
    );
    let granted = |v: &Value| {
        (v["granted_copayment"]["family_cents"].as_i64(), v["granted_copayment"]["authority_cents"].as_i64())
    };
    assert_eq!(granted(care), (Some(1090), Some(1090)));
    assert_eq!(granted(meals), (Some(375), Some(375)));
    assert!(care["granted_copayment"]["isee_id"].is_string(), "frozen with the ISEE used");
    let (care_id, meals_id) = (care["id"].as_str().unwrap().to_owned(), meals["id"].as_str().unwrap().to_owned());
    conflict(&app.post(&path("assessment"), Some(&concass), grants).await, "already_assessed");

    // The family chooses among the providers the registry allows, alphabetically.
    let choosable = app.get(&path(&format!("vouchers/{care_id}/choosable-providers")), Some(&town)).await;
    let names: Vec<&str> =
        choosable.body["items"].as_array().unwrap().iter().map(|p| p["provider_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Cooperativa Sociale Demo Due", "Cooperativa Sociale Demo Uno"], "{choosable:?}");
    assert_eq!(choosable.body["items"][0]["active_requests"], 0);
    let choose = |voucher: &str, provider: &str| {
        let (at, body, app, town) =
            (path(&format!("vouchers/{voucher}/choice")), json!({"provider_id": provider}), &app, &town);
        async move { app.post(&at, Some(town), body).await }
    };
    conflict(&choose(&meals_id, &uno_org).await, "provider_not_eligible");
    let offered = choose(&care_id, &uno_org).await;
    assert_eq!(voucher(&offered.body, "home_care_professional")["status"], "offered", "{offered:?}");
    conflict(&choose(&care_id, &due_org).await, "offer_pending");

    // Coop Uno sees only what it needs to decide, and declines.
    let offer = app.get(&format!("/api/v1/service-requests/{request}"), Some(&uno)).await;
    assert_eq!((offer.status, offer.body["view"].as_str()), (200, Some("offer")), "{offer:?}");
    assert!(offer.body["care_plan"].is_null() && offer.body["beneficiary_id"].is_null());
    assert_eq!(offer.body["vouchers"].as_array().unwrap().len(), 1);
    assert!(!offer.body.to_string().contains(FAMILY_NAME));
    assert_eq!(app.get(&format!("/api/v1/beneficiaries/{person}"), Some(&uno)).await.status, 404);
    let accept = |token: &str, voucher: &str| {
        let (at, token, app) = (path(&format!("vouchers/{voucher}/accept")), token.to_owned(), &app);
        async move { app.post(&at, Some(&token), json!({"start_date": "2024-03-04"})).await }
    };
    let declined = app
        .post(
            &path(&format!("vouchers/{care_id}/decline")),
            Some(&uno),
            json!({"reason": "no_capacity", "note": "Nessun operatore libero"}),
        )
        .await;
    assert_eq!(voucher(&declined.body, "home_care_professional")["status"], "awaiting_choice", "{declined:?}");
    assert_eq!(accept(&uno, &care_id).await.status, 404, "having declined, it is told nothing");
    assert_eq!(app.get(&format!("/api/v1/service-requests/{request}"), Some(&uno)).await.status, 404, "it declined");

    // The family chooses Coop Due for both; it accepts.
    assert_eq!(choose(&care_id, &due_org).await.status, 200);
    let both = choose(&meals_id, &due_org).await;
    assert_eq!(both.body["status"], "provider_chosen", "{both:?}");
    assert_eq!(accept(&due, &care_id).await.status, 200);
    let accepted = accept(&due, &meals_id).await;
    assert_eq!((accepted.status, accepted.body["status"].as_str()), (200, Some("accepted")), "{accepted:?}");
    assert_eq!(accepted.body["care_plan"], CARE_PLAN, "the provider serving reads the care plan");
    conflict(&choose(&care_id, &uno_org).await, "voucher_taken");
    conflict(&accept(&due, &care_id).await, "no_pending_offer");
    let record = app.get(&format!("/api/v1/beneficiaries/{person}"), Some(&due)).await;
    assert_eq!((record.status, record.body["household"][0]["name"].as_str()), (200, Some(DAUGHTER)));
    app.set_time("2024-03-04T08:00:00+01:00");
    let active = app.get(&format!("/api/v1/service-requests/{request}"), Some(&town)).await;
    assert_eq!(active.body["status"], "active", "{active:?}");
    assert_eq!(voucher(&active.body, "meals_delivery")["provider_name"], "Cooperativa Sociale Demo Due");

    // A new ISEE from 1 April lowers the share from that day, not before: a quarter of the way.
    app.set_time("2024-03-20T10:00:00+01:00");
    let lower = json!({"kind": "ordinary", "value_cents": 874650, "dsu_protocol": "INPS-ISEE-2024-00000002A-00", "issued_on": "2024-04-01", "expires_on": "2024-12-31"});
    assert_eq!(app.post(&format!("/api/v1/beneficiaries/{person}/isee"), Some(&concass), lower).await.status, 201);
    let after = app.get(&format!("/api/v1/service-requests/{request}"), Some(&concass)).await;
    // After the ISEE's expiry on 31 December, without a new one, the family pays the full tariff.
    let care_shares = [("2024-03-04".into(), 1090), ("2024-04-01".into(), 545), ("2025-01-01".into(), 2180)];
    assert_eq!(shares(voucher(&after.body, "home_care_professional")), care_shares);
    assert_eq!(shares(voucher(&after.body, "meals_delivery"))[1], ("2024-04-01".into(), 188), "187.5 rounds half up");
    assert_eq!(granted(voucher(&after.body, "home_care_professional")), (Some(1090), Some(1090)), "as granted");

    // A hospital stay suspends the service and ends by itself; overlapping stays are refused.
    conflict(&app.post(&path("resume"), Some(&town), json!(null)).await, "not_suspended");
    let stay = json!({"from": "2024-04-10", "until": "2024-04-20", "reason": "Ricovero ospedaliero"});
    assert_eq!(app.post(&path("suspend"), Some(&due), stay).await.status, 200, "the provider serving may suspend");
    conflict(
        &app.post(&path("suspend"), Some(&town), json!({"from": "2024-04-15", "reason": "Ricovero"})).await,
        "already_suspended",
    );
    app.set_time("2024-04-15T10:00:00+02:00");
    assert_eq!(app.get(&format!("/api/v1/service-requests/{request}"), Some(&town)).await.body["status"], "suspended");
    app.set_time("2024-04-21T10:00:00+02:00");
    assert_eq!(app.get(&format!("/api/v1/service-requests/{request}"), Some(&town)).await.body["status"], "active");

    // Coop Due's patto is suspended: both vouchers need a new choice, and the municipality is told.
    let due_patto = app.get("/api/v1/patti", Some(&due)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let measure = json!({"reason": "Verifica sugli operatori", "act_number": "2024/160", "act_date": "2024-04-22"});
    app.set_time("2024-04-22T10:00:00+02:00");
    assert_eq!(
        app.post(&format!("/api/v1/patti/{due_patto}/suspend"), Some(&concass), measure.clone()).await.status,
        200
    );
    let attention = app.get("/api/v1/service-requests?needs_attention=true", Some(&town)).await;
    assert_eq!(attention.body["items"].as_array().unwrap().len(), 1, "{attention:?}");
    assert_eq!(attention.body["items"][0]["needs_attention"], true);
    assert_eq!(voucher(&attention.body["items"][0], "home_care_professional")["status"], "needs_new_choice");
    let feed = app.get("/api/v1/events?limit=200", Some(&town)).await;
    let flagged = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "service_request.voucher_needs_new_choice")
        .count();
    assert_eq!(flagged, 2, "one event per voucher");
    assert!(!feed.body.to_string().contains(FAMILY_NAME) && !feed.body.to_string().contains(CARE_PLAN));
    let replaced = choose(&care_id, &uno_org).await;
    assert_eq!(voucher(&replaced.body, "home_care_professional")["status"], "offered", "{replaced:?}");
    assert_eq!(app.post(&format!("/api/v1/patti/{due_patto}/reinstate"), Some(&concass), measure).await.status, 200);

    // Nobody else reads the person or the request: the provider that declined, another
    // municipality, a peer authority's staff, the platform's admins.
    for who in [demo::CREMONA, demo::ASC, demo::ADMIN] {
        let token = app.token(who).await;
        assert_eq!(app.get(&format!("/api/v1/beneficiaries/{person}"), Some(&token)).await.status, 404, "{who}");
        assert_eq!(app.get(&format!("/api/v1/service-requests/{request}"), Some(&token)).await.status, 404, "{who}");
        assert_eq!(
            app.get(&format!("/api/v1/beneficiaries/{person}/access-log"), Some(&token)).await.status,
            404,
            "{who}"
        );
        let lookup =
            app.post("/api/v1/beneficiary-lookups", Some(&token), json!({"codice_fiscale": CODICE_FISCALE})).await;
        assert_eq!(lookup.status, 404, "{who}");
    }
    let found = app.post("/api/v1/beneficiary-lookups", Some(&town), json!({"codice_fiscale": CODICE_FISCALE})).await;
    assert_eq!(found.id(), person);

    // The access log shows every read, by who was allowed, and nothing by anyone else.
    assert_eq!(app.get(&format!("/api/v1/beneficiaries/{person}/access-log"), Some(&town)).await.status, 403);
    let log = app.get(&format!("/api/v1/beneficiaries/{person}/access-log?limit=200"), Some(&concass)).await;
    assert_eq!(log.status, 200, "{log:?}");
    let entries = log.body["items"].as_array().unwrap();
    let allowed = [town_org.as_str(), concass_org.as_str(), due_org.as_str()];
    assert!(entries.iter().all(|e| allowed.contains(&e["organization_id"].as_str().unwrap())), "{entries:?}");
    let by = |org: &str, action: &str, field: &str| {
        entries.iter().any(|e| {
            e["organization_id"] == org
                && e["action"] == action
                && e["fields"].as_array().unwrap().iter().any(|f| f == field)
        })
    };
    assert!(by(&town_org, "create", "situation"), "the registration");
    assert!(by(&town_org, "create", "care_plan"), "the request");
    assert!(by(&due_org, "read", "household"), "Coop Due read the record");
    assert!(by(&due_org, "read", "care_plan"), "and the request");
    assert!(by(&concass_org, "create", "isee"));
    assert!(by(&town_org, "read", "codice_fiscale"), "the lookup");
    assert!(entries.iter().any(|e| e["service_request_id"] == request));

    // Closed, for good.
    let closed =
        app.post(&path("close"), Some(&town), json!({"reason": "residential_care", "note": "Inserita in RSA"})).await;
    assert_eq!(closed.body["status"], "closed", "{closed:?}");
    conflict(&app.post(&path("close"), Some(&town), json!({"reason": "other"})).await, "request_closed");

    // Nothing of the person reached the server's log.
    let logged = ambito_tests::captured_log();
    assert!(logged.contains("answered"), "the log records requests");
    for secret in [CODICE_FISCALE, GIVEN_NAME, FAMILY_NAME, DAUGHTER, CARE_PLAN, "Via Cavour"] {
        assert!(!logged.contains(secret), "{secret} is in the log");
    }
}

async fn requests_wait_in_order_and_every_forbidden_step_is_refused(app: TestApp) {
    app.seed_demo();
    casalmaggiore_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let town = app.token(demo::CASALMAGGIORE).await;
    let cremona = app.token(demo::CREMONA).await;
    let due = app.token(demo::COOP_DUE).await;
    let person = register_ermenegilda(&app, &town).await;
    let again = app
        .post(
            "/api/v1/beneficiaries",
            Some(&concass),
            json!({"codice_fiscale": CODICE_FISCALE, "given_name": GIVEN_NAME, "family_name": FAMILY_NAME, "birth_date": "1941-06-10", "residence": "019021"}),
        )
        .await;
    conflict(&again, "beneficiary_exists");
    let elsewhere = app
        .post(
            "/api/v1/beneficiaries",
            Some(&town),
            json!({"codice_fiscale": "BRNGCM39C15B898N", "given_name": "Giacomo", "family_name": "Brunelli", "birth_date": "1939-03-15", "residence": "019036"}),
        )
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.body["errors"][0]["field"].as_str()),
        (422, Some("residence")),
        "{elsewhere:?}"
    );
    let typo = app
        .post(
            "/api/v1/beneficiaries",
            Some(&town),
            json!({"codice_fiscale": "BRNGCM39C15B898M", "given_name": "Giacomo", "family_name": "Brunelli", "birth_date": "1939-03-15", "residence": "019021"}),
        )
        .await;
    assert_eq!(typo.status, 422, "the check character: {typo:?}");
    let ask = |plan: &str| json!({"beneficiary_id": person, "interventions": [{"intervention": "home_care_professional", "units": 4, "period": "week"}], "desired_start": "2024-03-04", "care_plan": plan});
    let file = |plan: &str| app.post("/api/v1/service-requests", Some(&town), ask(plan));
    assert_eq!(
        app.post("/api/v1/service-requests", Some(&cremona), ask("Altro")).await.status,
        422,
        "not Cremona's person"
    );
    assert_eq!(
        app.post("/api/v1/service-requests", Some(&concass), ask("Altro")).await.status,
        403,
        "municipalities file"
    );
    let mediation = app
        .post(
            "/api/v1/service-requests",
            Some(&town),
            json!({"beneficiary_id": person, "interventions": [{"intervention": "mediation_health", "units": 2, "period": "month"}], "desired_start": "2024-03-04", "care_plan": "Mediazione"}),
        )
        .await;
    assert_eq!(mediation.status, 422, "{mediation:?}");

    // Three requests: one refused, one waiting for an integration, one waiting for a choice.
    let (refused, integrating, granted) =
        (file("Prima").await.id(), file("Seconda").await.id(), file("Terza").await.id());
    let at = |id: &str, action: &str| format!("/api/v1/service-requests/{id}/{action}");
    let refusal =
        json!({"outcome": "ineligible", "reason": "other_service_in_place", "explanation": "Già in carico all'ADI"});
    assert_eq!(app.post(&at(&refused, "assessment"), Some(&town), refusal.clone()).await.status, 403, "staff assess");
    assert_eq!(app.post(&at(&refused, "assessment"), Some(&concass), refusal).await.body["status"], "ineligible");
    conflict(
        &app.post(
            &at(&refused, "vouchers/00000000-0000-7000-8000-000000000000/choice"),
            Some(&town),
            json!({"provider_id": person}),
        )
        .await,
        "request_not_eligible",
    );
    let integration = json!({"message": "Serve la relazione del medico", "due_on": "2024-03-01"});
    assert_eq!(
        app.post(&at(&integrating, "integration-request"), Some(&concass), integration.clone()).await.body["status"],
        "integration_requested"
    );
    conflict(
        &app.post(&at(&integrating, "integration-request"), Some(&concass), integration).await,
        "integration_pending",
    );
    conflict(
        &app.post(&at(&granted, "integration-answer"), Some(&town), json!({"answer": "Nulla"})).await,
        "no_integration_requested",
    );
    let grant = json!({"outcome": "eligible", "grants": [{"intervention": "home_care_professional", "units": 4, "period": "week", "valid_from": "2024-03-04", "valid_to": "2025-03-03"}]});
    let unasked = json!({"outcome": "eligible", "grants": [{"intervention": "meals_delivery", "units": 4, "period": "week", "valid_from": "2024-03-04", "valid_to": "2025-03-03"}]});
    let wrong = app.post(&at(&granted, "assessment"), Some(&concass), unasked).await;
    assert_eq!(
        (wrong.status, wrong.body["errors"][0]["field"].as_str()),
        (422, Some("grants.0.intervention")),
        "{wrong:?}"
    );
    let beyond = json!({"outcome": "eligible", "grants": [{"intervention": "home_care_professional", "units": 4, "period": "week", "valid_from": "2024-03-04", "valid_to": "2028-03-03"}]});
    assert_eq!(
        app.post(&at(&granted, "assessment"), Some(&concass), beyond).await.body["errors"][0]["field"],
        "grants.0.valid_to"
    );
    assert_eq!(app.post(&at(&granted, "assessment"), Some(&concass), grant).await.body["status"], "eligible");
    conflict(&app.post(&at(&granted, "resume"), Some(&town), json!(null)).await, "not_suspended");

    // What waits for the municipality comes first, oldest first; then what waits for staff.
    let order = app.get("/api/v1/service-requests", Some(&town)).await;
    let ids: Vec<&str> = order.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let submitted = file("Quarta").await.id();
    let order = app.get("/api/v1/service-requests", Some(&town)).await;
    let statuses: Vec<&str> =
        order.body["items"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["integration_requested", "eligible", "submitted", "ineligible"], "{order:?}");
    assert_eq!(ids, [integrating.as_str(), granted.as_str(), refused.as_str()]);
    assert!(order.body["items"].as_array().unwrap().iter().all(|r| r["care_plan"].is_null()), "no care plan in lists");
    let waiting = app.get("/api/v1/service-requests?status=eligible", Some(&concass)).await;
    assert_eq!(waiting.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(waiting.body["items"][0]["id"], granted);
    let paged = app.get("/api/v1/service-requests?limit=2", Some(&town)).await;
    let cursor = paged.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(&format!("/api/v1/service-requests?limit=2&cursor={cursor}"), Some(&town)).await;
    assert_eq!(rest.body["items"][0]["id"], submitted);
    assert_eq!(
        app.get("/api/v1/service-requests", Some(&due)).await.body["items"].as_array().unwrap().len(),
        0,
        "nothing offered"
    );
    assert_eq!(app.get("/api/v1/service-requests", Some(&cremona)).await.body["items"].as_array().unwrap().len(), 0);
    let answered = app
        .post(
            &at(&integrating, "integration-answer"),
            Some(&town),
            json!({"answer": "Allegata", "care_plan": "Piano rivisto"}),
        )
        .await;
    assert_eq!(answered.body["status"], "submitted", "{answered:?}");
    assert_eq!(answered.body["care_plan"], "Piano rivisto");
    let withdrawn = app.post(&at(&submitted, "close"), Some(&town), json!({"reason": "withdrawn"})).await;
    assert_eq!(withdrawn.body["closure"]["reason"], "withdrawn");
    conflict(
        &app.post(
            &at(&submitted, "assessment"),
            Some(&concass),
            json!({"outcome": "ineligible", "reason": "other", "explanation": "Ritirata"}),
        )
        .await,
        "request_closed",
    );
}
