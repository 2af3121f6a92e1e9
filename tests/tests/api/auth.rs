use ambito_api::auth::Claims;
use ambito_persistence::throttle;
use ambito_tests::{DEMO_PASSWORD, JWT_SECRET, TestApp, demo, on_both_databases};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

on_both_databases!(
    a_good_login_gives_tokens_that_open_me,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    an_expired_token_is_refused,
    a_token_signed_with_another_key_is_refused,
    an_unsigned_alg_none_token_is_refused,
    tampered_claims_are_refused,
    refresh_rotates_and_a_reused_refresh_token_ends_the_session,
    logout_ends_the_access_and_refresh_tokens,
    a_password_change_ends_every_session,
    a_deactivated_user_is_locked_out_at_once,
    repeated_failures_lock_the_account_without_revealing_it_exists,
    a_service_account_gets_a_token_with_its_client_secret,
    parallel_wrong_passwords_check_no_more_than_the_limit,
    an_address_guessing_many_accounts_is_stopped_at_the_limit,
);

async fn a_good_login_gives_tokens_that_open_me(app: TestApp) {
    app.seed_demo();
    let login = app.login(demo::CONCASS, DEMO_PASSWORD).await;
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    assert!(login.body["refresh_token"].as_str().is_some_and(|t| t.len() >= 40));
    let token = login.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["login"], demo::CONCASS);
    assert_eq!(me.body["user"]["role"], "authority_staff");
    assert_eq!(me.body["organization"]["name"], "Consorzio Casalasco Servizi Sociali");
    assert!(me.body["user"].get("password_hash").is_none());
    // The login is case-insensitive, as e-mail addresses are.
    assert_eq!(app.login("Staff@CONCASS.demo", DEMO_PASSWORD).await.status, 200);
    let anonymous = app.get("/api/v1/me", None).await;
    assert_eq!((anonymous.status, anonymous.problem_code()), (401, "unauthenticated"));
    assert!(anonymous.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(app: TestApp) {
    app.seed_demo();
    let wrong = app.login(demo::ASC, "not the password at all").await;
    let unknown = app.login("nobody@nowhere.it", "not the password at all").await;
    assert_eq!((wrong.status, wrong.problem_code()), (401, "invalid_credentials"));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
}

fn sign(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).unwrap()
}

/// The claims of a real token, decoded without checking, to forge variants of it.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn an_expired_token_is_refused(app: TestApp) {
    app.seed_demo();
    let token = app.token(demo::ASC).await;
    let mut claims = claims_of(&token);
    // Still decodes as our claims: the test forges only what it means to.
    let _: Claims = serde_json::from_value(claims.clone()).unwrap();
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 3600);
    claims["nbf"] = json!(now - 3600);
    claims["exp"] = json!(now - 60);
    let reply = app.get("/api/v1/me", Some(&sign(&claims, JWT_SECRET))).await;
    assert_eq!((reply.status, reply.problem_code()), (401, "invalid_token"));
    assert!(reply.body["detail"].as_str().unwrap().contains("expired"));
    // The same claims, unexpired and signed with the right key, are accepted: the forgery is sound.
    claims["exp"] = json!(now + 600);
    assert_eq!(app.get("/api/v1/me", Some(&sign(&claims, JWT_SECRET))).await.status, 200);
    // Not yet valid.
    claims["nbf"] = json!(now + 300);
    assert_eq!(app.get("/api/v1/me", Some(&sign(&claims, JWT_SECRET))).await.status, 401);
}

async fn a_token_signed_with_another_key_is_refused(app: TestApp) {
    app.seed_demo();
    let claims = claims_of(&app.token(demo::ASC).await);
    let forged = sign(&claims, b"another-key-that-is-also-long-enough-0123456789");
    let reply = app.get("/api/v1/me", Some(&forged)).await;
    assert_eq!((reply.status, reply.problem_code()), (401, "invalid_token"));
}

async fn an_unsigned_alg_none_token_is_refused(app: TestApp) {
    app.seed_demo();
    let claims = claims_of(&app.token(demo::ASC).await);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        let reply = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!((reply.status, reply.problem_code()), (401, "invalid_token"));
    }
}

async fn tampered_claims_are_refused(app: TestApp) {
    app.seed_demo();
    let token = app.token(demo::COOP_UNO).await;
    let mut claims = claims_of(&token);
    claims["role"] = json!("admin");
    let parts: Vec<&str> = token.split('.').collect();
    let tampered =
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()), parts[2]);
    let reply = app.get("/api/v1/organizations", Some(&tampered)).await;
    assert_eq!((reply.status, reply.problem_code()), (401, "invalid_token"));
    // A wrong audience or issuer, even correctly signed, is refused.
    let mut other = claims_of(&token);
    other["aud"] = json!("another-service");
    assert_eq!(app.get("/api/v1/me", Some(&sign(&other, JWT_SECRET))).await.status, 401);
    let mut other = claims_of(&token);
    other["iss"] = json!("someone-else");
    assert_eq!(app.get("/api/v1/me", Some(&sign(&other, JWT_SECRET))).await.status, 401);
}

async fn refresh_rotates_and_a_reused_refresh_token_ends_the_session(app: TestApp) {
    app.seed_demo();
    let login = app.login(demo::CREMONA, DEMO_PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();
    let rotated = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!(rotated.status, 200, "{rotated:?}");
    let second = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let access = rotated.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&access)).await.status, 200);

    // The first token again: someone copied it. The whole session ends.
    let reuse = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!((reuse.status, reuse.problem_code()), (401, "refresh_token_reused"));
    let after = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": second})).await;
    assert_eq!((after.status, after.problem_code()), (401, "invalid_refresh_token"));
    assert_eq!(app.get("/api/v1/me", Some(&access)).await.status, 401);
    // Other sessions of the same user are untouched.
    assert_eq!(app.get("/api/v1/me", Some(&app.token(demo::CREMONA).await)).await.status, 200);

    let unknown = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "made-up"})).await;
    assert_eq!((unknown.status, unknown.problem_code()), (401, "invalid_refresh_token"));
}

async fn logout_ends_the_access_and_refresh_tokens(app: TestApp) {
    app.seed_demo();
    let login = app.login(demo::COOP_DUE, DEMO_PASSWORD).await;
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    let out = app.post("/api/v1/auth/logout", Some(access), json!({})).await;
    assert_eq!(out.status, 204, "{out:?}");
    assert_eq!(app.get("/api/v1/me", Some(access)).await.status, 401);
    assert_eq!(app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await.status, 401);
}

async fn a_password_change_ends_every_session(app: TestApp) {
    app.seed_demo();
    let first = app.token(demo::ASC).await;
    let second = app.token(demo::ASC).await;
    let wrong = app
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": "wrong-password!!", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!((wrong.status, wrong.problem_code()), (422, "validation_failed"));
    let short = app
        .post("/api/v1/me/password", Some(&first), json!({"current_password": DEMO_PASSWORD, "new_password": "short"}))
        .await;
    assert_eq!(short.status, 422);
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&first),
            json!({"current_password": DEMO_PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(changed.status, 204, "{changed:?}");
    assert_eq!(app.get("/api/v1/me", Some(&first)).await.status, 401);
    assert_eq!(app.get("/api/v1/me", Some(&second)).await.status, 401);
    assert_eq!(app.login(demo::ASC, DEMO_PASSWORD).await.status, 401);
    assert_eq!(app.login(demo::ASC, "a brand new passphrase").await.status, 200);
}

async fn a_deactivated_user_is_locked_out_at_once(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let member = app.token(demo::COOP_UNO).await;
    let me = app.get("/api/v1/me", Some(&member)).await;
    let user = app.get(&format!("/api/v1/users/{}", me.body["user"]["id"].as_str().unwrap()), Some(&admin)).await;
    let etag = user.header("etag").unwrap().to_owned();
    let off = app.patch(&format!("/api/v1/users/{}", user.id()), Some(&admin), &etag, json!({"active": false})).await;
    assert_eq!(off.status, 200, "{off:?}");
    assert_eq!(off.body["active"], false);
    assert_eq!(app.get("/api/v1/me", Some(&member)).await.status, 401);
    assert_eq!(app.login(demo::COOP_UNO, DEMO_PASSWORD).await.status, 401);
}

async fn repeated_failures_lock_the_account_without_revealing_it_exists(app: TestApp) {
    app.seed_demo();
    for attempt in 1..=4 {
        let reply = app.login(demo::CONCASS, "wrong password, again").await;
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    let fifth = app.login(demo::CONCASS, "wrong password, again").await;
    assert_eq!((fifth.status, fifth.problem_code()), (429, "login_locked"));
    assert!(fifth.header("retry-after").and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s > 0));
    // Locked: even the right password is refused now.
    let right = app.login(demo::CONCASS, DEMO_PASSWORD).await;
    assert_eq!((right.status, right.problem_code()), (429, "login_locked"));
    // An account that does not exist locks the same way, so a lock reveals nothing.
    for _ in 1..=4 {
        app.login("ghost@nowhere.it", "wrong password, again").await;
    }
    let ghost = app.login("ghost@nowhere.it", "wrong password, again").await;
    assert_eq!(ghost.status, fifth.status);
    assert_eq!(ghost.body["code"], fifth.body["code"]);
    assert_eq!(ghost.body["detail"], fifth.body["detail"]);
    // Other accounts are not affected.
    assert_eq!(app.login(demo::ASC, DEMO_PASSWORD).await.status, 200);
    // The lock ends after its time.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(app.login(demo::CONCASS, DEMO_PASSWORD).await.status, 200);
}

async fn a_service_account_gets_a_token_with_its_client_secret(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let cremona = app.organization_of(&app.token(demo::CREMONA).await).await;
    let created = app
        .post(
            "/api/v1/service-accounts",
            Some(&admin),
            json!({"organization_id": cremona, "name": "Protocollo comunale"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let client_id = created.body["client_id"].as_str().unwrap();
    let secret = created.body["client_secret"].as_str().unwrap();
    assert_eq!(created.body["user"]["role"], "municipality");
    assert_eq!(created.body["user"]["kind"], "service");
    let token = app.post("/api/v1/auth/token", None, json!({"client_id": client_id, "client_secret": secret})).await;
    assert_eq!(token.status, 200, "{token:?}");
    assert!(token.body.get("refresh_token").is_none());
    let me = app.get("/api/v1/me", Some(token.body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.body["organization"]["id"], cremona.as_str());
    let wrong = app.post("/api/v1/auth/token", None, json!({"client_id": client_id, "client_secret": "wrong"})).await;
    assert_eq!(wrong.status, 401);
    // A service account cannot use the person login, nor a person the client login.
    assert_eq!(app.login(client_id, secret).await.status, 401);
    let person =
        app.post("/api/v1/auth/token", None, json!({"client_id": demo::CREMONA, "client_secret": DEMO_PASSWORD})).await;
    assert_eq!(person.status, 401);
}

/// Fifty wrong passwords at once for one account, half of them to another API process on the
/// same database: five are checked, the rest are refused unchecked, and the account is locked.
async fn parallel_wrong_passwords_check_no_more_than_the_limit(app: TestApp) {
    app.seed_demo();
    let other = app.another_process();
    let attempts = (0..50).map(|i| {
        let server = if i % 2 == 0 { &app } else { &other };
        server.login(demo::CONCASS, "wrong password, in parallel")
    });
    let replies = futures_util::future::join_all(attempts).await;
    let mut seen: std::collections::BTreeMap<(u16, String), usize> = Default::default();
    for reply in &replies {
        *seen.entry((reply.status, reply.problem_code().to_owned())).or_default() += 1;
    }
    let checked_and_refused = seen.get(&(401, "invalid_credentials".to_owned())).copied().unwrap_or(0);
    let locked = seen.get(&(429, "login_locked".to_owned())).copied().unwrap_or(0);
    // `server_busy` answers were not checked either: they do not count.
    let busy = seen.get(&(429, "server_busy".to_owned())).copied().unwrap_or(0);
    assert_eq!((checked_and_refused, locked + busy), (4, 46), "{seen:?}");
    let state = app.db.read(|c| throttle::state(c, &format!("login:{}", demo::CONCASS))).unwrap();
    assert!(state.is_some_and(|s| s.locked_until.is_some()), "the account is locked: {state:?}");
    assert_eq!(app.login(demo::CONCASS, DEMO_PASSWORD).await.status, 429);
}

/// Sixty wrong logins from one address, over many accounts and in parallel: at most fifty are
/// checked, and then even a right password from that address waits.
async fn an_address_guessing_many_accounts_is_stopped_at_the_limit(app: TestApp) {
    app.seed_demo();
    let app = &app;
    // Four at a time, what the server checks at once without answering `server_busy`.
    let attempts = (0..60).map(|i| async move { app.login(&format!("guess-{i}@nowhere.it"), "wrong password").await });
    let replies: Vec<_> = futures_util::stream::iter(attempts).buffer_unordered(4).collect().await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let stopped = replies.iter().filter(|r| r.problem_code() == "too_many_attempts").count();
    let seen: Vec<_> = replies.iter().map(|r| (r.status, r.body["code"].clone())).collect();
    assert_eq!((checked, stopped), (49, 11), "the fiftieth is checked and locks the address: {seen:?}");
    let right = app.login(demo::ASC, DEMO_PASSWORD).await;
    assert_eq!((right.status, right.problem_code()), (429, "too_many_attempts"));
}
