use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::json;

on_both_databases!(
    an_admin_creates_reads_and_updates_an_organization,
    demo_data_holds_the_two_districts_and_one_account_per_role,
    an_admin_manages_districts_and_users,
);

async fn an_admin_creates_reads_and_updates_an_organization(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let created = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "provider", "name": "  Cooperativa Sociale Il Girasole ", "codice_fiscale": "00000001032", "partita_iva": "IT00000001032", "pec": "Girasole@PEC.it"}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.id();
    assert_eq!(created.header("location"), Some(format!("/api/v1/organizations/{id}").as_str()));
    assert_eq!(created.header("etag"), Some("\"1\""));
    // Stored as parsed: trimmed, prefix removed, lower-cased address.
    assert_eq!(created.body["name"], "Cooperativa Sociale Il Girasole");
    assert_eq!(created.body["partita_iva"], "00000001032");
    assert_eq!(created.body["pec"], "girasole@pec.it");
    assert_eq!(created.body["kind"], "provider");
    assert_eq!(created.body["active"], true);

    let read = app.get(&format!("/api/v1/organizations/{id}"), Some(&admin)).await;
    assert_eq!(read.body, created.body);
    let updated = app
        .patch(
            &format!("/api/v1/organizations/{id}"),
            Some(&admin),
            "\"1\"",
            json!({"name": "Il Girasole Società Cooperativa Sociale"}),
        )
        .await;
    assert_eq!(updated.status, 200, "{updated:?}");
    assert_eq!(updated.body["name"], "Il Girasole Società Cooperativa Sociale");
    assert_eq!(updated.body["codice_fiscale"], "00000001032");
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let providers = app.get("/api/v1/organizations?kind=provider", Some(&admin)).await;
    assert_eq!(providers.body["items"].as_array().unwrap().len(), 3);
    assert!(providers.body["items"].as_array().unwrap().iter().all(|o| o["kind"] == "provider"));
}

async fn demo_data_holds_the_two_districts_and_one_account_per_role(app: TestApp) {
    app.seed_demo();
    // Seeding again is a no-op.
    assert!(ambito_api::demo::seed(&app.db, Some(ambito_tests::DEMO_PASSWORD)).unwrap().is_empty());
    let districts = app.get("/api/v1/districts", None).await;
    let items = districts.body["items"].as_array().unwrap();
    let casalasco = items.iter().find(|d| d["name"] == "Ambito distrettuale Casalasco").unwrap();
    let cremonese = items.iter().find(|d| d["name"] == "Ambito distrettuale Cremonese").unwrap();
    assert_eq!(casalasco["municipalities"].as_array().unwrap().len(), 19);
    assert!(casalasco["municipalities"].as_array().unwrap().contains(&json!("019021")));
    assert!(cremonese["municipalities"].as_array().unwrap().contains(&json!("019036")));
    let concass = app.organization_of(&app.token(demo::CONCASS).await).await;
    assert_eq!(casalasco["authority_id"], concass.as_str());
    for (login, role) in [
        (demo::ADMIN, "admin"),
        (demo::ASC, "authority_staff"),
        (demo::COOP_UNO, "provider_member"),
        (demo::CASALMAGGIORE, "municipality"),
    ] {
        let me = app.get("/api/v1/me", Some(&app.token(login).await)).await;
        assert_eq!(me.body["user"]["role"], role);
    }
}

async fn an_admin_manages_districts_and_users(app: TestApp) {
    app.seed_demo();
    let admin = app.token(demo::ADMIN).await;
    let asc = app.organization_of(&app.token(demo::ASC).await).await;
    let district = app
        .post("/api/v1/districts", Some(&admin), json!({"name": "Distretto di prova", "authority_id": asc, "municipalities": ["019036", "019113", "019036"]}))
        .await;
    assert_eq!(district.status, 201, "{district:?}");
    assert_eq!(district.body["municipalities"], json!(["019036", "019113"]));
    let not_authority = app
        .post(
            "/api/v1/districts",
            Some(&admin),
            json!({"name": "Altro", "authority_id": app.organization_of(&admin).await, "municipalities": ["019036"]}),
        )
        .await;
    assert_eq!((not_authority.status, not_authority.body["errors"][0]["field"].as_str()), (422, Some("authority_id")));
    let unknown = app
        .post(
            "/api/v1/districts",
            Some(&admin),
            json!({"name": "Altro", "authority_id": asc, "municipalities": ["019036", "000000", "12"]}),
        )
        .await;
    assert_eq!(unknown.status, 422);
    let fields: Vec<&str> =
        unknown.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["municipalities.2"]);

    let user = app
        .post("/api/v1/users", Some(&admin), json!({"organization_id": asc, "email": "Nuova.Operatrice@ASC.demo", "display_name": "Nuova Operatrice", "password": "a long enough password"}))
        .await;
    assert_eq!(user.status, 201, "{user:?}");
    assert_eq!(user.body["role"], "authority_staff");
    assert_eq!(user.body["login"], "nuova.operatrice@asc.demo");
    assert!(user.body.get("password").is_none() && user.body.get("password_hash").is_none());
    let login = app.login("nuova.operatrice@asc.demo", "a long enough password").await;
    assert_eq!(login.status, 200);
    let staff_list = app.get("/api/v1/users", Some(login.body["access_token"].as_str().unwrap())).await;
    assert_eq!(staff_list.body["items"].as_array().unwrap().len(), 2);
}
