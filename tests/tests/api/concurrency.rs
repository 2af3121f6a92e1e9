use actix_web::http::Method;
use ambito_tests::{Body, TestApp, demo, numeric_code, on_both_databases};
use futures_util::future::join_all;
use serde_json::json;

on_both_databases!(
    two_updates_with_the_same_if_match_give_one_success_and_one_412,
    a_change_without_if_match_is_428,
    a_post_repeated_with_the_same_idempotency_key_creates_one_resource,
    fifty_concurrent_writers_all_succeed,
);

async fn two_updates_with_the_same_if_match_give_one_success_and_one_412(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let org = app.organization_of(&app.token(demo::COOP_UNO).await).await;
    let path = format!("/api/v1/organizations/{org}");
    let read = app.get(&path, Some(&admin)).await;
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let (a, b) = futures_util::join!(
        app.patch(&path, Some(&admin), &etag, json!({"name": "Nome scelto da A"})),
        app.patch(&path, Some(&admin), &etag, json!({"name": "Nome scelto da B"})),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{a:?} {b:?}");
    let (winner, loser) = if a.status == 200 { (a, b) } else { (b, a) };
    assert_eq!(loser.problem_code(), "stale_version");
    assert_eq!(winner.header("etag"), Some("\"2\""));
    let now = app.get(&path, Some(&admin)).await;
    assert_eq!(now.body["name"], winner.body["name"]);
    assert_eq!(now.body["version"], 2);
    // The stale tag stays stale; the new one works.
    assert_eq!(app.patch(&path, Some(&admin), &etag, json!({"active": false})).await.status, 412);
    assert_eq!(app.patch(&path, Some(&admin), "\"2\"", json!({"active": false})).await.status, 200);
    assert_eq!(app.patch(&path, Some(&admin), "W/\"3\"", json!({"active": true})).await.status, 200);
    assert_eq!(app.patch(&path, Some(&admin), "\"garbage\"", json!({"active": true})).await.status, 412);
}

async fn a_change_without_if_match_is_428(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let district = app.get("/api/v1/districts", None).await.body["items"][0].clone();
    let path = format!("/api/v1/districts/{}", district["id"].as_str().unwrap());
    let reply =
        app.request(Method::PATCH, &path, Some(&admin), &[], Some(Body::Json(json!({"name": "Senza versione"})))).await;
    assert_eq!((reply.status, reply.problem_code()), (428, "if_match_required"));
    let unchanged = app.get(&path, None).await;
    assert_eq!(unchanged.body["name"], district["name"]);
    // `*` means "whatever the current version is".
    let any = app.patch(&path, Some(&admin), "*", json!({"municipalities": ["019036", "019021"]})).await;
    assert_eq!(any.status, 200, "{any:?}");
    assert_eq!(any.body["municipalities"], json!(["019021", "019036"]));
}

async fn a_post_repeated_with_the_same_idempotency_key_creates_one_resource(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let body = json!({"kind": "municipality", "name": "Comune di Gussola", "istat_code": "019052"});
    let send = |body: serde_json::Value, key: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/organizations",
                Some(&admin),
                &[("Idempotency-Key", key)],
                Some(Body::Json(body)),
            )
            .await
        }
    };
    let first = send(body.clone(), "gussola-1").await;
    assert_eq!(first.status, 201, "{first:?}");
    let retry = send(body.clone(), "gussola-1").await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.id(), first.id());
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let municipalities = app.get("/api/v1/organizations?kind=municipality", Some(&admin)).await;
    let gussola =
        municipalities.body["items"].as_array().unwrap().iter().filter(|o| o["istat_code"] == "019052").count();
    assert_eq!(gussola, 1);
    // The same key for another request is refused.
    let other =
        send(json!({"kind": "municipality", "name": "Comune di Tornata", "istat_code": "019106"}), "gussola-1").await;
    assert_eq!((other.status, other.problem_code()), (422, "idempotency_key_reused"));
    // A failed request does not use up its key: corrected, it goes through.
    let bad =
        send(json!({"kind": "municipality", "name": "Comune di Spineda", "istat_code": "999999"}), "spineda").await;
    assert_eq!(bad.status, 422);
    let good =
        send(json!({"kind": "municipality", "name": "Comune di Spineda", "istat_code": "019101"}), "spineda").await;
    assert_eq!(good.status, 201, "{good:?}");
}

async fn fifty_concurrent_writers_all_succeed(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let requests = (0..50u64).map(|i| {
        let code = numeric_code(5_000_000 + i);
        app.post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "provider", "name": format!("Cooperativa {i}"), "codice_fiscale": code, "partita_iva": code, "pec": format!("coop{i}@pec.it")}),
        )
    });
    let replies = join_all(requests).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{:?}: {reply:?}", app.backend);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(&format!("/api/v1/organizations?kind=provider&limit=7{cursor}"), Some(&admin)).await;
        for item in page.body["items"].as_array().unwrap() {
            assert!(seen.insert(item["id"].as_str().unwrap().to_owned()), "a row on two pages");
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    // Fifty new providers and the two of the demo, each exactly once across the pages.
    assert_eq!(seen.len(), 52);
    // Each write has its audit event, written in the same transaction.
    let admin_id = app.get("/api/v1/me", Some(&admin)).await.body["user"]["id"].as_str().unwrap().to_owned();
    let events = app
        .get(&format!("/api/v1/audit-events?entity_type=organization&actor_user_id={admin_id}&limit=200"), Some(&admin))
        .await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 50, "{:?}", app.backend);
}
