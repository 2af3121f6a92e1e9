use std::time::{Duration, Instant};

use actix_web::http::Method;
use ambito_tests::{Body, TestApp, demo, on_both_databases};
use serde_json::json;

use crate::calls::{PDF, mediation_call};

on_both_databases!(
    malformed_bodies_are_4xx_problems_and_store_nothing,
    invalid_codice_fiscale_and_partita_iva_are_refused_per_field,
    bad_paths_queries_routes_and_methods_are_4xx_problems,
    a_duplicate_organization_is_a_conflict,
    a_nul_or_an_impossible_instant_is_refused_naming_its_field,
);

/// Every creating endpoint and a body it would accept.
/// Every endpoint that takes a JSON body, a body it would accept, and one of its required fields.
fn creating_endpoints(coop_org: &str, asc_org: &str) -> Vec<(&'static str, serde_json::Value, &'static str)> {
    vec![
        (
            "/api/v1/organizations",
            json!({"kind": "provider", "name": "Cooperativa Nuova", "codice_fiscale": "00000001032", "partita_iva": "00000001032", "pec": "nuova@pec.it"}),
            "kind",
        ),
        (
            "/api/v1/users",
            json!({"organization_id": coop_org, "email": "nuovo@coop.it", "display_name": "Nuovo", "password": "a long enough password"}),
            "email",
        ),
        ("/api/v1/service-accounts", json!({"organization_id": coop_org, "name": "Gestionale"}), "name"),
        (
            "/api/v1/districts",
            json!({"name": "Distretto nuovo", "authority_id": asc_org, "municipalities": ["019036"]}),
            "authority_id",
        ),
        ("/api/v1/auth/login", json!({"email": demo::ASC, "password": "x"}), "password"),
        ("/api/v1/auth/refresh", json!({"refresh_token": "x"}), "refresh_token"),
        ("/api/v1/auth/token", json!({"client_id": "x", "client_secret": "x"}), "client_secret"),
    ]
}

async fn malformed_bodies_are_4xx_problems_and_store_nothing(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let coop_org = app.organization_of(&app.token(demo::COOP_UNO).await).await;
    let asc_org = app.organization_of(&app.token(demo::ASC).await).await;
    let audit_before = app.audit_count(&admin).await;

    for (path, good, required) in creating_endpoints(&coop_org, &asc_org) {
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove(required);
        let mut unknown = good.clone();
        unknown["status"] = json!("admitted");
        let mut wrong_type = good.clone();
        wrong_type[required] = json!(12345);
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));

        let cases: Vec<(&str, Body, u16, &str)> = vec![
            ("malformed", Body::Raw("application/json", b"{\"name\": ".to_vec()), 400, "malformed_json"),
            ("not an object", Body::Raw("application/json", b"[1, 2, 3]".to_vec()), 400, "invalid_body"),
            ("missing field", Body::Json(missing.clone()), 400, "invalid_body"),
            ("unknown field", Body::Json(unknown), 400, "invalid_body"),
            ("wrong type", Body::Json(wrong_type), 400, "invalid_body"),
            ("huge", Body::Raw("application/json", huge.into_bytes()), 413, "payload_too_large"),
            ("not json", Body::Raw("text/plain", b"hello".to_vec()), 415, "unsupported_media_type"),
        ];
        for (case, body, status, code) in cases {
            let reply = app.request(Method::POST, path, Some(&admin), &[], Some(body)).await;
            assert_eq!((reply.status, reply.problem_code()), (status, code), "{path} {case}: {reply:?}");
        }
        let missing_field = app.request(Method::POST, path, Some(&admin), &[], Some(Body::Json(missing))).await;
        assert_eq!(missing_field.body["errors"][0]["field"], required, "{path}: {missing_field:?}");
    }
    // The same on a change.
    let org = app.get(&format!("/api/v1/organizations/{coop_org}"), Some(&admin)).await;
    let etag = org.header("etag").unwrap().to_owned();
    let reply =
        app.patch(&format!("/api/v1/organizations/{coop_org}"), Some(&admin), &etag, json!({"version": 99})).await;
    assert_eq!((reply.status, reply.problem_code()), (400, "invalid_body"));
    let reply =
        app.patch(&format!("/api/v1/organizations/{coop_org}"), Some(&admin), &etag, json!({"active": "yes"})).await;
    assert_eq!((reply.status, reply.problem_code()), (400, "invalid_body"));
    let reply = app
        .patch(&format!("/api/v1/organizations/{coop_org}"), Some(&admin), &etag, json!({"pec": "not-an-address"}))
        .await;
    assert_eq!((reply.status, reply.problem_code()), (422, "validation_failed"));

    // Nothing was stored or changed: no audit event since, and the organization as it was.
    assert_eq!(app.audit_count(&admin).await, audit_before);
    let after = app.get(&format!("/api/v1/organizations/{coop_org}"), Some(&admin)).await;
    assert_eq!(after.body, org.body);
}

async fn invalid_codice_fiscale_and_partita_iva_are_refused_per_field(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let before = app.get("/api/v1/organizations?kind=provider", Some(&admin)).await;
    let reply = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "provider", "name": "Cooperativa Refusi", "codice_fiscale": "00000001033", "partita_iva": "00000001034", "pec": "refusi@pec"}),
        )
        .await;
    assert_eq!((reply.status, reply.problem_code()), (422, "validation_failed"));
    let fields: Vec<&str> =
        reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["codice_fiscale", "partita_iva", "pec"]);
    assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains("check character"));

    // A person's codice fiscale, valid as such, does not identify a provider.
    let person = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "provider", "name": "Ditta individuale", "codice_fiscale": "RSSMRA85T10A562S", "partita_iva": "00000001032", "pec": "ditta@pec.it"}),
        )
        .await;
    assert_eq!(person.status, 422);
    // A municipality organization for an ISTAT code that does not exist.
    let nowhere = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "municipality", "name": "Comune inesistente", "istat_code": "999999"}),
        )
        .await;
    assert_eq!((nowhere.status, nowhere.body["errors"][0]["field"].as_str()), (422, Some("istat_code")));
    let after = app.get("/api/v1/organizations?kind=provider", Some(&admin)).await;
    assert_eq!(before.body, after.body);
}

async fn bad_paths_queries_routes_and_methods_are_4xx_problems(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let cases: Vec<(Method, &str, u16, &str)> = vec![
        (Method::GET, "/api/v1/organizations/not-a-uuid", 400, "invalid_path"),
        (Method::GET, "/api/v1/users/123", 400, "invalid_path"),
        (Method::GET, "/api/v1/organizations?limit=0", 400, "invalid_query"),
        (Method::GET, "/api/v1/organizations?limit=201", 400, "invalid_query"),
        (Method::GET, "/api/v1/organizations?limit=ten", 400, "invalid_query"),
        (Method::GET, "/api/v1/organizations?kind=church", 400, "invalid_query"),
        (Method::GET, "/api/v1/organizations?cursor=bm90LWEta2V5", 200, ""),
        (Method::GET, "/api/v1/organizations?cursor=*", 400, "invalid_cursor"),
        (Method::GET, "/api/v1/municipalities/12", 404, "not_found"),
        (Method::GET, "/api/v1/nothing-here", 404, "not_found"),
        (Method::GET, "/nothing-at-all", 404, "not_found"),
        (Method::DELETE, "/api/v1/organizations", 405, "method_not_allowed"),
        (Method::PUT, "/api/v1/districts/0193a8f0-0000-7000-8000-000000000000", 405, "method_not_allowed"),
    ];
    for (method, path, status, code) in cases {
        let reply = app.request(method.clone(), path, Some(&admin), &[], None).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
        if status >= 400 {
            assert_eq!(reply.problem_code(), code, "{method} {path}");
        }
    }
    let reply = app.request(Method::DELETE, "/api/v1/organizations", None, &[], None).await;
    assert_eq!(reply.header("allow"), Some("GET, HEAD, POST"));
    // Every response carries a request id, and a well-formed one sent is echoed.
    let reply = app.request(Method::GET, "/health/live", None, &[("X-Request-Id", "trace-42")], None).await;
    assert_eq!(reply.header("x-request-id"), Some("trace-42"));
    let reply = app.get("/api/v1/nothing-here", None).await;
    assert!(reply.header("x-request-id").is_some_and(|id| id.len() >= 32));
    let long_key = "k".repeat(300);
    let district = json!({"name": "Distretto K", "authority_id": uuid::Uuid::now_v7(), "municipalities": ["019036"]});
    let bad_key = app
        .request(
            Method::POST,
            "/api/v1/districts",
            Some(&admin),
            &[("Idempotency-Key", &long_key)],
            Some(Body::Json(district)),
        )
        .await;
    assert_eq!((bad_key.status, bad_key.problem_code()), (400, "invalid_idempotency_key"));
}

async fn a_duplicate_organization_is_a_conflict(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let body = json!({"kind": "provider", "name": "Cooperativa Doppia", "codice_fiscale": "00000001032", "partita_iva": "00000001032", "pec": "doppia@pec.it"});
    assert_eq!(app.post("/api/v1/organizations", Some(&admin), body.clone()).await.status, 201);
    let again = app.post("/api/v1/organizations", Some(&admin), body).await;
    assert_eq!((again.status, again.problem_code()), (409, "already_exists"));
    assert!(again.body["detail"].as_str().unwrap().contains("00000001032"));
    let municipality = json!({"kind": "municipality", "name": "Comune di Cremona bis", "istat_code": "019036"});
    let taken = app.post("/api/v1/organizations", Some(&admin), municipality).await;
    assert_eq!(taken.status, 409);
    let user = json!({"organization_id": app.organization_of(&admin).await, "email": demo::ASC, "display_name": "Doppio", "password": "a long enough password"});
    assert_eq!(app.post("/api/v1/users", Some(&admin), user).await.status, 409);
}

fn fields(reply: &ambito_tests::Reply) -> Vec<String> {
    reply.body["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

/// A NUL character, which PostgreSQL refuses and SQLite keeps, is a 422 naming its field
/// wherever it comes (a body, a nested list, a query parameter, a form part); so is an instant
/// outside any real procedure; and nothing is stored.
async fn a_nul_or_an_impossible_instant_is_refused_naming_its_field(app: TestApp) {
    app.seed_demo();
    let asc = app.token(demo::ASC).await;
    let login = app.post("/api/v1/auth/login", None, json!({"email": "asc\u{0}@x.it", "password": "x"})).await;
    assert_eq!((login.status, login.problem_code(), fields(&login)), (422, "validation_failed", vec!["email".into()]));
    let search = app.get("/api/v1/municipalities?province=CR&q=Crem%00ona", None).await;
    assert_eq!((search.status, fields(&search)), (422, vec!["q".to_owned()]), "{search:?}");
    let mut terms = mediation_call(&app).await;
    terms["title"] = json!("Avviso\u{0}");
    terms["interventions"][2]["code"] = json!("mediation_\u{0}health");
    let created = app.post("/api/v1/tenders", Some(&asc), terms).await;
    assert_eq!((created.status, fields(&created)), (422, vec!["interventions.2.code".into(), "title".into()]));
    assert!(created.body["errors"][0]["message"].as_str().unwrap().contains("NUL"), "{created:?}");

    for (instant, field) in
        [("9999-12-31T23:59:59Z", "submission_deadline"), ("1900-05-23T12:00", "clarification_deadline")]
    {
        let mut terms = mediation_call(&app).await;
        terms[field] = json!(instant);
        let far = app.post("/api/v1/tenders", Some(&asc), terms).await;
        assert_eq!((far.status, fields(&far)), (422, vec![field.to_owned()]), "{far:?}");
        let message = far.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("between 2000 and 2099"), "{message}");
    }
    let listed = app.get("/api/v1/tenders", Some(&asc)).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was stored");

    let draft = app.post("/api/v1/tenders", Some(&asc), mediation_call(&app).await).await;
    assert_eq!(draft.status, 201, "{draft:?}");
    let documents = format!("/api/v1/tenders/{}/documents", draft.id());
    let nul_type = app.upload(&documents, &asc, "durc\u{0}", "avviso.pdf", PDF).await;
    assert_eq!((nul_type.status, fields(&nul_type)), (422, vec!["document_type".to_owned()]));
    let boundary = "b0undary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\ndurc\r\n--{boundary}--\r\n"
    );
    let unknown = app
        .request(
            Method::POST,
            &documents,
            Some(&asc),
            &[],
            Some(Body::Raw("multipart/form-data; boundary=b0undary", form.into_bytes())),
        )
        .await;
    assert_eq!((unknown.status, unknown.problem_code()), (400, "invalid_multipart"));
    assert!(unknown.body["detail"].as_str().unwrap().contains("`note`"), "{unknown:?}");
    let listed = app.get(&documents, Some(&asc)).await;
    assert_eq!(listed.body.as_array().map_or_else(|| listed.body["items"].as_array().unwrap().len(), Vec::len), 0);

    let long = app.get(&format!("/api/v1/municipalities?q={}", "a".repeat(9000)), None).await;
    assert_eq!((long.status, long.problem_code()), (414, "uri_too_long"));
    // Too long for any URI type (HTTP clients refuse to send it): raw bytes, and an ordinary
    // request after it on the same connection.
    let answers = raw_exchange(
        &app.base,
        &format!(
            "GET /api/v1/municipalities?q={} HTTP/1.1\r\nHost: a\r\n\r\nGET /health/live HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "a".repeat(100_000)
        ),
    );
    let (first, second) = answers.split_once("HTTP/1.1 200").unwrap_or_else(|| panic!("no second answer: {answers}"));
    assert!(first.starts_with("HTTP/1.1 414"), "{first}");
    assert!(first.contains("application/problem+json") && first.contains("\"uri_too_long\""), "{first}");
    assert!(second.contains("\"status\""), "the next request on the connection is answered: {second}");
}

/// Sends `requests` as they are on one connection and reads until the server closes it.
fn raw_exchange(base: &str, requests: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    stream.write_all(requests.as_bytes()).expect("send");
    let mut answers = Vec::new();
    let _ = stream.read_to_end(&mut answers);
    String::from_utf8_lossy(&answers).into_owned()
}

/// What a slow client gets back, and when: `head` and `first` are sent at once, then the rest of
/// the body one byte every `every` (never idle for long) until the server answers or closes.
fn trickle(base: &str, head: String, body: Vec<u8>, first: usize, every: Duration) -> (String, Duration) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..first]).unwrap();
    if !every.is_zero() {
        let mut writer = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            for byte in &body[first..] {
                std::thread::sleep(every);
                if writer.write_all(std::slice::from_ref(byte)).is_err() {
                    return;
                }
            }
        });
    }
    stream.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap_or(0);
    (String::from_utf8_lossy(&answer[..n]).into_owned(), started.elapsed())
}

/// A body that stops arriving is refused after 15 s of silence, and one that trickles (a byte
/// every 2 s, never silent for long) when its time is up: 30 s for JSON, 30 s and a minute per
/// 4 MiB declared for an upload. Each answer is a 408 problem, long before the body would end.
#[actix_web::test]
async fn bodies_that_stall_or_trickle_are_cut_off_with_408() {
    let app = ambito_tests::spawn(ambito_tests::Backend::Sqlite).await.unwrap();
    app.seed_demo();
    let asc = app.token(demo::ASC).await;
    let tender = app.post("/api/v1/tenders", Some(&asc), mediation_call(&app).await).await.id();
    let json =
        br#"{"email": "staff@asc.demo", "password": "a-password-that-will-never-end-because-it-trickles"}"#.repeat(10);
    let json_head = |len: usize| {
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        )
    };
    let boundary = "slow";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\nnotice\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&PDF.repeat(20));
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let form_head = format!(
        "POST /api/v1/tenders/{tender}/documents HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {asc}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    let base = app.base.clone();
    let runs = [
        (json_head(json.len()), json.clone(), 10, Duration::ZERO),
        (json_head(json.len()), json, 10, Duration::from_secs(2)),
        (form_head, form, 200, Duration::from_secs(2)),
    ]
    .map(|(head, body, first, every)| {
        let base = base.clone();
        actix_web::rt::task::spawn_blocking(move || trickle(&base, head, body, first, every))
    });
    let [stalled, json, upload] = futures_util::future::join_all(runs).await.try_into().unwrap();
    for ((answer, waited), (least, most)) in
        [stalled.unwrap(), json.unwrap(), upload.unwrap()].into_iter().zip([(14, 25), (29, 45), (29, 45)])
    {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json") && answer.contains("\"body_timeout\""), "{answer}");
        assert!((least..most).contains(&waited.as_secs()), "answered after {waited:?}, expected {least}-{most} s");
    }
    let listed = app.get(&format!("/api/v1/tenders/{tender}/documents"), Some(&asc)).await;
    assert_eq!(listed.body["items"], json!([]), "nothing stored");
}
