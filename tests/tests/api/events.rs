//! The change feed: every committed change, in order, exactly once, to whoever may read it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ambito_tests::{TestApp, demo, numeric_code, on_both_databases};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::calls::{apply, attach, mediation_call, publish, submit};

on_both_databases!(
    a_scripted_procedure_leaves_exactly_its_events_in_order,
    each_organization_reads_only_the_events_it_may,
    two_api_processes_writing_at_once_give_a_feed_without_gaps_or_duplicates,
);

/// Every event after `after`, as `token` may read them, following the cursor to the end.
async fn feed(app: &TestApp, token: &str, mut after: i64) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let page = app.get(&format!("/api/v1/events?after={after}&limit=7"), Some(token)).await;
        assert_eq!(page.status, 200, "{page:?}");
        let items = page.body["items"].as_array().unwrap().clone();
        let next = page.body["next_after"].as_i64().unwrap();
        if items.is_empty() {
            assert_eq!(next, after, "an empty page keeps the cursor");
            return events;
        }
        after = next;
        events.extend(items);
    }
}

async fn position(app: &TestApp, admin: &str) -> i64 {
    feed(app, admin, 0).await.last().map_or(0, |e| e["seq"].as_i64().unwrap())
}

fn names(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["name"].as_str().unwrap()).collect()
}

async fn a_scripted_procedure_leaves_exactly_its_events_in_order(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let admin = app.token(demo::ADMIN).await;
    let asc = app.token(demo::ASC).await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let seeded = feed(&app, &admin, 0).await;
    assert!(
        names(&seeded).starts_with(&["organization.created"]),
        "the demo data is in the feed: {:?}",
        names(&seeded)
    );
    let start = seeded.last().unwrap()["seq"].as_i64().unwrap();

    let id = publish(&app, &asc, mediation_call(&app).await).await;
    let asked = app
        .post(&format!("/api/v1/tenders/{id}/questions"), Some(&uno), json!({"question": "Mediatori in formazione?"}))
        .await;
    let question = asked.id();
    let answer = json!({"answer": "No."});
    assert_eq!(
        app.post(&format!("/api/v1/tenders/{id}/questions/{question}/answer"), Some(&concass), answer).await.status,
        200
    );
    let application =
        apply(&app, &uno, &id, &[("mediation_health", "019036")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(&app, &uno, &application, "durc").await;
    assert_eq!(submit(&app, &uno, &application).await.status, 200);
    let amended = app
        .post(
            &format!("/api/v1/tenders/{id}/amendments"),
            Some(&asc),
            json!({"reason": "Refuso", "description": "Testo."}),
        )
        .await;
    assert_eq!(amended.status, 201, "{amended:?}");
    app.set_time("2022-06-06T10:00:00+02:00");
    assert_eq!(app.post(&format!("/api/v1/applications/{application}/admit"), Some(&asc), json!({})).await.status, 200);
    assert_eq!(app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&asc), json!(null)).await.status, 200);
    // Refused requests leave nothing behind.
    assert_eq!(app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&asc), json!(null)).await.status, 409);

    let events = feed(&app, &admin, start).await;
    assert_eq!(
        names(&events),
        [
            "tender.drafted",
            "tender.published",
            "tender.question_asked",
            "tender.question_answered",
            "application.opened",
            "application.document_attached",
            "application.submitted",
            "tender.amended",
            "application.admitted",
            "tender.concluded",
            "accreditation.granted",
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (start + 1..=start + 11).collect::<Vec<_>>(), "gap-free, in order");
    let subject =
        |i: usize| (events[i]["subject"]["type"].as_str().unwrap(), events[i]["subject"]["id"].as_str().unwrap());
    assert_eq!(subject(0), ("tender", id.as_str()));
    assert_eq!(subject(2), ("question", question.as_str()));
    assert_eq!(subject(6), ("application", application.as_str()));
    assert_eq!(events[6]["payload"]["protocol_number"], "2022/000001");
    assert_eq!(events[6]["payload"]["tender_id"], id.as_str());
    assert_eq!(events[9]["payload"]["accreditations"], 1);
    // Ids and codes only: no e-mail address, no name, no free text of anyone's.
    let text = serde_json::to_string(&events).unwrap();
    for personal in ["@", "Mediatori in formazione", "Referente", "Refuso"] {
        assert!(!text.contains(personal), "the feed shows {personal:?}: {text}");
    }
    // The audit trail names the same typed actions.
    let audit =
        app.get(&format!("/api/v1/audit-events?entity_type=application&entity_id={application}"), Some(&admin)).await;
    let actions: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["application.opened", "application.document_attached", "application.submitted", "application.admitted"]
    );
    // Without a token there is no feed; a bad cursor is a 400.
    assert_eq!(app.get("/api/v1/events", None).await.status, 401);
    assert_eq!(app.get("/api/v1/events?after=-1", Some(&admin)).await.status, 400);
    assert_eq!(app.get("/api/v1/events?limit=1001", Some(&admin)).await.status, 400);
}

async fn each_organization_reads_only_the_events_it_may(app: TestApp) {
    app.seed_demo();
    app.set_time("2022-05-02T09:00:00+02:00");
    let admin = app.token(demo::ADMIN).await;
    let start = position(&app, &admin).await;
    let asc = app.token(demo::ASC).await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let cremona = app.token(demo::CREMONA).await;
    let mut alone = mediation_call(&app).await;
    alone["authorities"] = json!([app.organization_of(&asc).await]);
    let draft = app.post("/api/v1/tenders", Some(&asc), alone).await.id();
    let mut terms = home_care_terms(&app).await;
    terms["title"] = json!("Elenco domiciliarità");
    let id = publish(&app, &concass, terms).await;
    app.post(&format!("/api/v1/tenders/{id}/questions"), Some(&uno), json!({"question": "Una domanda?"})).await;
    let application = apply(&app, &uno, &id, &[("home_care_generic", "019021")], &["no_exclusion_grounds"]).await;
    attach(&app, &uno, &application, "service_charter").await;
    assert_eq!(submit(&app, &uno, &application).await.status, 200);

    let seen = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| format!("{} {}", e["name"].as_str().unwrap(), e["subject"]["id"].as_str().unwrap()))
            .collect()
    };
    let everything = seen(feed(&app, &admin, start).await);
    assert_eq!(everything.len(), 7, "{everything:?}");
    let public = [format!("tender.published {id}")];
    let drafted_asc = format!("tender.drafted {draft}");
    // The draft's issuer sees its draft; CONCASS sees its call and, once submitted, the application.
    let for_asc = seen(feed(&app, &asc, start).await);
    assert!(for_asc.contains(&drafted_asc) && for_asc.contains(&public[0]), "{for_asc:?}");
    assert!(!for_asc.iter().any(|e| e.contains(&application)), "not ASC's call: {for_asc:?}");
    let for_concass = seen(feed(&app, &concass, start).await);
    assert!(!for_concass.contains(&drafted_asc));
    assert!(for_concass.contains(&format!("application.submitted {application}")), "{for_concass:?}");
    assert!(!for_concass.contains(&format!("application.opened {application}")), "a draft is the provider's own");
    // The provider sees its own application and question; its peer and a municipality see the
    // public events only.
    let for_uno = seen(feed(&app, &uno, start).await);
    assert_eq!(for_uno.iter().filter(|e| e.contains(&application)).count(), 3, "{for_uno:?}");
    assert!(for_uno.iter().any(|e| e.starts_with("tender.question_asked")));
    for peer in [&due, &cremona] {
        assert_eq!(seen(feed(&app, peer, start).await), public);
    }
}

async fn home_care_terms(app: &TestApp) -> Value {
    crate::calls::home_care_call(app).await
}

async fn create_provider(target: &TestApp, admin: &str, n: u64) -> String {
    let code = numeric_code(n + 880_000);
    let body = json!({"kind": "provider", "name": format!("Cooperativa {n}"), "codice_fiscale": code, "partita_iva": code, "pec": format!("coop{n}@pec.it")});
    let reply = target.post("/api/v1/organizations", Some(admin), body).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.id()
}

async fn two_api_processes_writing_at_once_give_a_feed_without_gaps_or_duplicates(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let start = position(&app, &admin).await;
    let other = app.another_process();
    let writes = 50;
    let created = join_all((0..writes).map(|n| create_provider(if n % 2 == 0 { &app } else { &other }, &admin, n)));
    // A reader follows the feed by cursor while it grows, through the other process.
    let reader = async {
        let mut after = start;
        let mut seen: Vec<Value> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while seen.len() < writes as usize {
            assert!(Instant::now() < deadline, "the feed stopped growing at {} events", seen.len());
            let page = other.get(&format!("/api/v1/events?after={after}&limit=5"), Some(&admin)).await;
            assert_eq!(page.status, 200);
            after = page.body["next_after"].as_i64().unwrap();
            seen.extend(page.body["items"].as_array().unwrap().iter().cloned());
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        seen
    };
    let (created, seen) = futures_util::join!(created, reader);
    let seqs: Vec<i64> = seen.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (start + 1..=start + seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "no gap and no duplicate, in order");
    let subjects: BTreeSet<&str> = seen.iter().map(|e| e["subject"]["id"].as_str().unwrap()).collect();
    let created: BTreeSet<&str> = created.iter().map(String::as_str).collect();
    assert_eq!(subjects, created, "every change once");
    assert!(seen.iter().all(|e| e["name"] == "organization.created"));
    // Read again from the start through the first process: the same feed.
    assert_eq!(feed(&app, &admin, start).await, seen);
}
