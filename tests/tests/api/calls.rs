//! The two seed calls, as staff would enter them, and the steps every procedure test repeats.

use ambito_tests::{TestApp, demo};
use serde_json::{Value, json};

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Seed 000: ASC with CONCASS accredit linguistic-cultural mediation in four contexts, for
/// both districts; submissions close Monday 30 May 2022 at 12:00 Rome time.
pub async fn mediation_call(app: &TestApp) -> Value {
    let asc = app.organization_of(&app.token(demo::ASC).await).await;
    let concass = app.organization_of(&app.token(demo::CONCASS).await).await;
    let districts: Vec<Value> = app.get("/api/v1/districts", None).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    json!({
        "kind": "accreditation",
        "title": "Accreditamento sperimentale dell'unità d'offerta Servizio di mediazione linguistico-culturale",
        "description": "Territorio cremonese e casalasco, contesti sociale, socio-sanitario, sanitario e scolastico.",
        "reference_code": "PROG-2463",
        "responsible_official": "dr. Graziano Pirotta, Direttore Generale di Azienda Sociale Cremonese",
        "authorities": [asc, concass],
        "districts": districts,
        "interventions": [
            {"code": "mediation_social", "unit": "hour", "rate_cents": 2500},
            {"code": "mediation_socio_health", "unit": "hour", "rate_cents": 2500},
            {"code": "mediation_health", "unit": "hour", "rate_cents": 2700},
            {"code": "mediation_school", "unit": "hour", "rate_cents": 2500}
        ],
        "requirements": [
            {"code": "no_exclusion_grounds", "category": "general", "description": "Assenza dei motivi di esclusione del codice dei contratti pubblici"},
            {"code": "durc", "category": "general", "description": "DURC in corso di validità", "document_type": "durc"},
            {"code": "mediators_qualification", "category": "specific", "description": "Mediatori con qualifica di mediatore linguistico-culturale"}
        ],
        "submission_deadline": "2022-05-30T12:00:00+02:00",
        "clarification_deadline": "2022-05-23T12:00",
        "validity_from": "2022-07-01",
        "validity_to": "2025-06-30"
    })
}

/// Seed 004: CONCASS builds a home-care provider list over the Casalasco district, with its
/// three product lines.
pub async fn home_care_call(app: &TestApp) -> Value {
    let districts = app.get("/api/v1/districts", None).await;
    let casalasco = districts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Ambito distrettuale Casalasco")
        .unwrap()["id"]
        .clone();
    json!({
        "kind": "provider_list",
        "title": "Avviso pubblico per la costituzione di un elenco di soggetti erogatori per la domiciliarità",
        "responsible_official": "Direttore del Consorzio Casalasco Servizi Sociali",
        "districts": [casalasco],
        "interventions": [
            {"code": "educational_individual", "unit": "hour", "rate_cents": 2350},
            {"code": "educational_group", "unit": "hour", "rate_cents": 1900},
            {"code": "home_care_professional", "unit": "hour", "rate_cents": 2180},
            {"code": "home_care_generic", "unit": "hour", "rate_cents": 1950},
            {"code": "group_care", "unit": "hour", "rate_cents": 1700},
            {"code": "meals_delivery", "unit": "meal", "rate_cents": 750},
            {"code": "telecare", "unit": "month", "rate_cents": 1800},
            {"code": "accompanied_transport", "unit": "trip", "rate_cents": 1500}
        ],
        "requirements": [
            {"code": "no_exclusion_grounds", "category": "general", "description": "Assenza dei motivi di esclusione"},
            {"code": "service_charter", "category": "specific", "description": "Carta dei servizi", "document_type": "service_charter"}
        ],
        "submission_deadline": "2024-02-15T12:00:00+01:00",
        "clarification_deadline": "2024-02-08T12:00:00+01:00",
        "validity_from": "2024-03-01",
        "validity_to": "2027-02-28"
    })
}

/// Drafts and publishes a call as `staff`; returns its id.
pub async fn publish(app: &TestApp, staff: &str, terms: Value) -> String {
    let draft = app.post("/api/v1/tenders", Some(staff), terms).await;
    assert_eq!(draft.status, 201, "{draft:?}");
    let id = draft.id();
    let published = app.post(&format!("/api/v1/tenders/{id}/publish"), Some(staff), json!(null)).await;
    assert_eq!(published.status, 200, "{published:?}");
    id
}

/// A provider's application with the declarations the seed calls ask for; returns its id.
pub async fn apply(app: &TestApp, member: &str, tender: &str, scope: &[(&str, &str)], declarations: &[&str]) -> String {
    let scope: Vec<Value> = scope.iter().map(|(i, m)| json!({"intervention": i, "municipality": m})).collect();
    let declarations: Vec<Value> =
        declarations.iter().map(|code| json!({"requirement_code": code, "accepted": true})).collect();
    let created = app
        .post(
            &format!("/api/v1/tenders/{tender}/applications"),
            Some(member),
            json!({"scope": scope, "declarations": declarations}),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.id()
}

pub async fn attach(app: &TestApp, member: &str, application: &str, document_type: &str) {
    let reply = app
        .upload(&format!("/api/v1/applications/{application}/documents"), member, document_type, "allegato.pdf", PDF)
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
}

pub async fn submit(app: &TestApp, member: &str, application: &str) -> ambito_tests::Reply {
    app.post(&format!("/api/v1/applications/{application}/submit"), Some(member), json!(null)).await
}

/// Seed 000 published by ASC, with Coop Uno's complete application submitted: the call's id
/// and the application's.
pub async fn submitted_mediation(app: &TestApp, asc: &str, uno: &str) -> (String, String) {
    let id = publish(app, asc, mediation_call(app).await).await;
    let application =
        apply(app, uno, &id, &[("mediation_health", "019036")], &["no_exclusion_grounds", "mediators_qualification"])
            .await;
    attach(app, uno, &application, "durc").await;
    assert_eq!(submit(app, uno, &application).await.status, 200);
    (id, application)
}
