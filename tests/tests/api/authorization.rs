use actix_web::http::Method;
use ambito_tests::{Body, TestApp, demo, numeric_code, on_both_databases};
use serde_json::json;

on_both_databases!(
    each_role_gets_what_its_role_allows_on_every_endpoint,
    another_organizations_resources_answer_404,
    public_endpoints_need_no_token_and_show_no_personal_data,
);

/// The expected status of each endpoint for each role: admin, authority staff, provider
/// member, municipality, and no token at all.
async fn each_role_gets_what_its_role_allows_on_every_endpoint(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let tokens = [
        ("admin", Some(admin.clone())),
        ("authority_staff", Some(app.token(demo::ASC).await)),
        ("provider_member", Some(app.token(demo::COOP_UNO).await)),
        ("municipality", Some(app.token(demo::CREMONA).await)),
        ("anonymous", None),
    ];
    let asc_org = app.organization_of(tokens[1].1.as_deref().unwrap()).await;
    let coop_org = app.organization_of(tokens[2].1.as_deref().unwrap()).await;
    let district = app.get("/api/v1/districts", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let asc_staff_id =
        app.get("/api/v1/me", tokens[1].1.as_deref()).await.body["user"]["id"].as_str().unwrap().to_owned();

    // (method, path, body, [admin, staff, provider, municipality, anonymous])
    let cases: Vec<(Method, String, Option<serde_json::Value>, [u16; 5])> = vec![
        (Method::GET, "/api/v1/me".into(), None, [200, 200, 200, 200, 401]),
        (Method::GET, "/api/v1/organizations".into(), None, [200, 200, 200, 200, 401]),
        (Method::GET, format!("/api/v1/organizations/{asc_org}"), None, [200, 200, 404, 404, 401]),
        (Method::GET, format!("/api/v1/organizations/{coop_org}"), None, [200, 404, 200, 404, 401]),
        (Method::GET, "/api/v1/users".into(), None, [200, 200, 200, 200, 401]),
        (Method::GET, format!("/api/v1/users/{asc_staff_id}"), None, [200, 200, 404, 404, 401]),
        (Method::GET, "/api/v1/audit-events".into(), None, [200, 403, 403, 403, 401]),
        (Method::GET, "/api/v1/districts".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, format!("/api/v1/districts/{district}"), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/municipalities?province=CR".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/municipalities/019036".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/product-lines".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/api/v1/interventions".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/health/live".into(), None, [200, 200, 200, 200, 200]),
        (Method::GET, "/health/ready".into(), None, [200, 200, 200, 200, 200]),
        (
            Method::POST,
            "/api/v1/organizations".into(),
            Some(
                json!({"kind": "provider", "name": "Nuova Cooperativa", "codice_fiscale": "CF", "partita_iva": "PI", "pec": "nuova@pec.it"}),
            ),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"organization_id": coop_org, "email": "EMAIL", "display_name": "Nuovo Operatore", "password": "a long enough password"}),
            ),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/service-accounts".into(),
            Some(json!({"organization_id": coop_org, "name": "Gestionale"})),
            [201, 403, 403, 403, 401],
        ),
        (
            Method::POST,
            "/api/v1/districts".into(),
            Some(json!({"name": "NAME", "authority_id": asc_org, "municipalities": ["019036"]})),
            [201, 403, 403, 403, 401],
        ),
    ];
    for (i, (method, path, body, expected)) in cases.iter().enumerate() {
        for (j, (role, token)) in tokens.iter().enumerate() {
            // Each successful creation needs values no one has used yet.
            let body = body.as_ref().map(|b| {
                let unique = numeric_code((i * 10 + j) as u64 + 7000);
                let text = b
                    .to_string()
                    .replace("\"CF\"", &format!("\"{unique}\""))
                    .replace("\"PI\"", &format!("\"{unique}\""))
                    .replace("EMAIL", &format!("user{i}{j}@coop.it"))
                    .replace("NAME", &format!("Distretto {i}{j}"));
                Body::Json(serde_json::from_str(&text).unwrap())
            });
            let reply = app.request(method.clone(), path, token.as_deref(), &[], body).await;
            assert_eq!(reply.status, expected[j], "{role} {method} {path}: {reply:?}");
            if reply.status >= 400 {
                reply.problem_code();
            }
        }
    }

    // Changes: admins only, and only with If-Match.
    let org = app.get(&format!("/api/v1/organizations/{coop_org}"), Some(&admin)).await;
    let etag = org.header("etag").unwrap().to_owned();
    let member = tokens[2].1.as_deref().unwrap();
    let refused =
        app.patch(&format!("/api/v1/organizations/{coop_org}"), Some(member), &etag, json!({"name": "Renamed"})).await;
    assert_eq!((refused.status, refused.problem_code()), (403, "forbidden"));
    let staff = tokens[1].1.as_deref().unwrap();
    let refused =
        app.patch(&format!("/api/v1/districts/{district}"), Some(staff), "\"1\"", json!({"name": "Renamed"})).await;
    assert_eq!(refused.status, 403);
    let refused =
        app.patch(&format!("/api/v1/users/{asc_staff_id}"), Some(staff), "\"1\"", json!({"active": false})).await;
    assert_eq!(refused.status, 403);
    let unchanged = app.get(&format!("/api/v1/organizations/{coop_org}"), Some(&admin)).await;
    assert_eq!(unchanged.body["name"], org.body["name"]);
}

async fn another_organizations_resources_answer_404(app: TestApp) {
    app.seed_demo();
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let uno_org = app.organization_of(&uno).await;
    let due_me = app.get("/api/v1/me", Some(&due)).await;
    let due_org = due_me.body["organization"]["id"].as_str().unwrap();
    let due_user = due_me.body["user"]["id"].as_str().unwrap();

    let org = app.get(&format!("/api/v1/organizations/{due_org}"), Some(&uno)).await;
    assert_eq!((org.status, org.problem_code()), (404, "not_found"));
    let user = app.get(&format!("/api/v1/users/{due_user}"), Some(&uno)).await;
    assert_eq!(user.status, 404);
    // The same answer as for an id that does not exist at all.
    let missing = app.get(&format!("/api/v1/organizations/{}", uuid::Uuid::now_v7()), Some(&uno)).await;
    assert_eq!(missing.body, org.body);
    let patch =
        app.patch(&format!("/api/v1/organizations/{due_org}"), Some(&uno), "*", json!({"name": "Mine now"})).await;
    assert_eq!(patch.status, 404);
    let patch = app.patch(&format!("/api/v1/users/{due_user}"), Some(&uno), "*", json!({"active": false})).await;
    assert_eq!(patch.status, 404);

    // Lists hold only the caller's own organization and its members.
    let orgs = app.get("/api/v1/organizations", Some(&uno)).await;
    let ids: Vec<&str> = orgs.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [uno_org.as_str()]);
    let users = app.get(&format!("/api/v1/users?organization_id={due_org}"), Some(&uno)).await;
    for u in users.body["items"].as_array().unwrap() {
        assert_eq!(u["organization_id"], uno_org.as_str());
    }
    // And the peer is still whole.
    assert_eq!(app.get("/api/v1/me", Some(&due)).await.status, 200);
}

async fn public_endpoints_need_no_token_and_show_no_personal_data(app: TestApp) {
    app.seed_demo();
    for path in ["/api/v1/districts", "/api/v1/product-lines", "/api/v1/municipalities?province=CR&limit=5"] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, 200, "{path}");
        let text = reply.body.to_string();
        assert!(!text.contains("@"), "{path} shows an address: {text}");
    }
    assert_eq!(app.get("/api/v1/users", None).await.status, 401);
}
