//! Who may do what on every call and application endpoint, for each role and relation: the
//! platform admin, staff of the issuing authority, staff of a peer authority, the provider that
//! owns the application, a peer provider, a municipality, and no one. Where a role may act, the
//! request is built to stop at the rule that follows access (a stale `If-Match`, a state the
//! lifecycle refuses), so the matrix changes nothing it reads.

use actix_web::http::Method;
use ambito_tests::{Body, TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::calls::{PDF, apply, attach, home_care_call, publish, submit};

on_both_databases!(every_call_and_application_endpoint_answers_each_role_as_the_policy_says);

const ROLES: [&str; 7] =
    ["admin", "issuer staff", "peer staff", "owner provider", "peer provider", "municipality", "anonymous"];

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    stale: bool,
    upload: bool,
    expected: [u16; 7],
}

fn case(method: Method, path: String, expected: [u16; 7]) -> Case {
    Case { method, path, body: None, stale: false, upload: false, expected }
}

impl Case {
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sent with an `If-Match` naming no current version: whoever passes the policy gets 412.
    fn stale(mut self) -> Self {
        self.stale = true;
        self
    }

    fn upload(mut self) -> Self {
        self.upload = true;
        self
    }
}

async fn every_call_and_application_endpoint_answers_each_role_as_the_policy_says(app: TestApp) {
    app.seed_demo();
    app.set_time("2024-01-15T09:00:00+01:00");
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let tokens: [Option<String>; 7] = [
        Some(app.token(demo::ADMIN).await),
        Some(concass.clone()),
        Some(app.token(demo::ASC).await),
        Some(uno.clone()),
        Some(app.token(demo::COOP_DUE).await),
        Some(app.token(demo::CASALMAGGIORE).await),
        None,
    ];
    let due_org = app.organization_of(tokens[4].as_deref().unwrap()).await;
    // A draft and a published call of CONCASS alone; Coop Uno's draft and submitted applications.
    let terms = home_care_call(&app).await;
    let draft = app.post("/api/v1/tenders", Some(&concass), terms.clone()).await.id();
    let open = publish(&app, &concass, terms.clone()).await;
    let mine = apply(&app, &uno, &open, &[("home_care_generic", "019021")], &["no_exclusion_grounds"]).await;
    let sent = apply(&app, &uno, &open, &[("meals_delivery", "019021")], &["no_exclusion_grounds"]).await;
    attach(&app, &uno, &sent, "service_charter").await;
    assert_eq!(submit(&app, &uno, &sent).await.status, 200);
    let sent_doc = app.get(&format!("/api/v1/applications/{sent}/documents"), Some(&uno)).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let question = app
        .post(&format!("/api/v1/tenders/{open}/questions"), Some(&uno), json!({"question": "Domanda di Coop Uno?"}))
        .await
        .id();
    let notice =
        app.upload(&format!("/api/v1/tenders/{open}/documents"), &concass, "notice", "avviso.pdf", PDF).await.id();

    let t = |id: &str, rest: &str| format!("/api/v1/tenders/{id}{rest}");
    let a = |id: &str, rest: &str| format!("/api/v1/applications/{id}{rest}");
    let offer = json!({"scope": [{"intervention": "telecare", "municipality": "019021"}], "declarations": []});
    let recorded = json!({"provider_id": due_org, "channel": "pec", "received_at": "2024-01-15T08:00:00+01:00",
        "scope": [{"intervention": "telecare", "municipality": "019021"}]});
    use Method as M;
    let cases = vec![
        // Calls: reading.
        case(M::GET, t(&draft, ""), [200, 200, 404, 404, 404, 404, 404]),
        case(M::GET, t(&open, ""), [200; 7]),
        case(M::GET, t(&open, "/amendments"), [200; 7]),
        case(M::GET, t(&draft, "/amendments"), [200, 200, 404, 404, 404, 404, 404]),
        case(M::GET, t(&open, "/coverage"), [200; 7]),
        case(M::GET, t(&draft, "/coverage"), [200, 200, 404, 404, 404, 404, 404]),
        case(M::GET, t(&open, "/accreditations"), [200; 7]),
        case(M::GET, t(&open, "/questions"), [200; 7]),
        case(M::GET, t(&open, &format!("/questions/{question}")), [200, 200, 404, 200, 404, 404, 404]),
        case(M::GET, t(&open, "/documents"), [200; 7]),
        case(M::GET, t(&open, &format!("/documents/{notice}")), [200; 7]),
        case(M::GET, t(&draft, "/documents"), [200, 200, 404, 404, 404, 404, 404]),
        case(M::GET, t(&open, "/applications"), [200, 200, 404, 200, 200, 404, 401]),
        case(M::GET, t(&draft, "/applications"), [200, 200, 404, 404, 404, 404, 401]),
        // Calls: managing is the issuers'; to anyone else it is not there.
        case(M::PUT, t(&draft, ""), [403, 412, 404, 404, 404, 404, 401]).body(terms.clone()).stale(),
        case(M::POST, t(&draft, "/publish"), [403, 412, 404, 404, 404, 404, 401]).stale(),
        case(M::POST, t(&open, "/publish"), [403, 409, 404, 404, 404, 404, 401]),
        case(M::POST, t(&open, "/cancel"), [403, 412, 404, 404, 404, 404, 401])
            .body(json!({"reason": "Annullato"}))
            .stale(),
        case(M::POST, t(&open, "/amendments"), [403, 412, 404, 404, 404, 404, 401])
            .body(json!({"reason": "Proroga", "description": "Nuovo testo"}))
            .stale(),
        case(M::POST, t(&open, "/conclude"), [403, 409, 404, 404, 404, 404, 401]),
        case(M::POST, t(&open, &format!("/questions/{question}/answer")), [403, 412, 404, 404, 404, 404, 401])
            .body(json!({"answer": "Risposta"}))
            .stale(),
        case(M::POST, t(&open, "/documents"), [403, 201, 404, 404, 404, 404, 401]).upload(),
        case(M::POST, t(&draft, "/documents"), [403, 201, 404, 404, 404, 404, 401]).upload(),
        case(M::POST, t(&open, "/received-applications"), [403, 201, 404, 404, 404, 404, 401]).body(recorded),
        case(M::POST, t(&draft, "/received-applications"), [403, 409, 404, 404, 404, 404, 401])
            .body(json!({"provider_id": due_org, "channel": "post", "received_at": "2024-01-15T08:00:00+01:00",
                "scope": [{"intervention": "telecare", "municipality": "019021"}]})),
        // Calls: applying and asking are the providers'.
        case(M::POST, t(&open, "/applications"), [403, 403, 403, 201, 201, 403, 401]).body(offer.clone()),
        case(M::POST, t(&draft, "/applications"), [403, 403, 404, 404, 404, 404, 401]).body(offer.clone()),
        case(M::POST, t(&open, "/questions"), [403, 403, 403, 201, 201, 403, 401])
            .body(json!({"question": "Un'altra?"})),
        // A draft application is its provider's alone.
        case(M::GET, a(&mine, ""), [404, 404, 404, 200, 404, 404, 401]),
        case(M::PUT, a(&mine, ""), [404, 404, 404, 412, 404, 404, 401]).body(offer.clone()).stale(),
        case(M::POST, a(&mine, "/submit"), [404, 404, 404, 422, 404, 404, 401]).stale(),
        case(M::POST, a(&mine, "/withdraw"), [404, 404, 404, 412, 404, 404, 401]).stale(),
        case(M::POST, a(&mine, "/confirm"), [404, 404, 404, 409, 404, 404, 401]),
        case(M::POST, a(&mine, "/admit"), [404, 404, 404, 403, 404, 404, 401]).body(json!({})),
        case(M::GET, a(&mine, "/documents"), [404, 404, 404, 200, 404, 404, 401]),
        case(M::GET, a(&mine, "/receipts"), [404, 404, 404, 200, 404, 404, 401]),
        case(M::POST, a(&mine, "/documents"), [404, 404, 404, 201, 404, 404, 401]).upload(),
        // A submitted application: its provider prepares, the issuers examine.
        case(M::GET, a(&sent, ""), [200, 200, 404, 200, 404, 404, 401]),
        case(M::GET, a(&sent, "/documents"), [200, 200, 404, 200, 404, 404, 401]),
        case(M::GET, a(&sent, &format!("/documents/{sent_doc}")), [200, 200, 404, 200, 404, 404, 401]),
        case(M::GET, a(&sent, "/receipts"), [200, 200, 404, 200, 404, 404, 401]),
        case(M::POST, a(&sent, "/submit"), [403, 403, 404, 409, 404, 404, 401]),
        case(M::POST, a(&sent, "/withdraw"), [403, 403, 404, 412, 404, 404, 401]).stale(),
        case(M::POST, a(&sent, "/integration-answer"), [403, 403, 404, 409, 404, 404, 401]),
        case(M::POST, a(&sent, "/documents"), [403, 403, 404, 409, 404, 404, 401]).upload(),
        case(M::POST, a(&sent, "/admit"), [403, 409, 404, 403, 404, 404, 401]).body(json!({})),
        case(M::POST, a(&sent, "/exclude"), [403, 409, 404, 403, 404, 404, 401])
            .body(json!({"reason": "other", "text": "Motivo"})),
        case(M::POST, a(&sent, "/integration-requests"), [403, 409, 404, 403, 404, 404, 401])
            .body(json!({"missing": "Documento", "due_in_days": 5})),
    ];
    for c in &cases {
        for (i, token) in tokens.iter().enumerate() {
            let reply = if c.upload {
                match token {
                    Some(token) => app.upload(&c.path, token, "annex", "allegato.pdf", PDF).await,
                    None => {
                        app.request(
                            c.method.clone(),
                            &c.path,
                            None,
                            &[],
                            Some(Body::Raw("multipart/form-data; boundary=x", b"--x--".to_vec())),
                        )
                        .await
                    }
                }
            } else {
                let headers: &[(&str, &str)] = if c.stale { &[("If-Match", "\"999\"")] } else { &[] };
                app.request(c.method.clone(), &c.path, token.as_deref(), headers, c.body.clone().map(Body::Json)).await
            };
            assert_eq!(reply.status, c.expected[i], "{} {} {}: {reply:?}", ROLES[i], c.method, c.path);
            if reply.status >= 400 {
                reply.problem_code();
            }
        }
    }
    // Nothing read was changed: the call, the draft and the submission are as they were.
    let call = app.get(&t(&open, ""), None).await;
    assert_eq!((call.body["status"].as_str(), call.body["version"].as_i64()), (Some("published"), Some(2)));
    let application = app.get(&a(&sent, ""), Some(&uno)).await;
    assert_eq!(application.body["status"], "submitted");
    assert_eq!(app.get(&a(&mine, ""), Some(&uno)).await.body["version"], 1);
}
