//! The registry over a list's life (seed 004): rounds, requirements that lapse and come back,
//! suspensions that end by themselves, and the registry and coverage matrix as they stood.

use ambito_tests::{TestApp, demo, numeric_code, on_both_databases};
use serde_json::{Value, json};

use crate::calls::{apply, attach, home_care_call, publish, submit};

on_both_databases!(seed_004_the_home_care_list_over_its_life, forbidden_measures_are_409_and_peers_get_404);

/// The providers on a registry page, as (provider name, intervention, municipality).
pub fn entries(page: &Value) -> Vec<(String, String, String)> {
    let mut list: Vec<(String, String, String)> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a registry page: {page}"))
        .iter()
        .map(|e| {
            (
                e["provider_name"].as_str().unwrap().to_owned(),
                e["intervention"].as_str().unwrap().to_owned(),
                e["municipality"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

/// A third provider with a member who can log in; answers (organization id, token).
pub async fn third_provider(app: &TestApp) -> (String, String) {
    let admin = app.token(demo::ADMIN).await;
    let code = numeric_code(4_242);
    let org = app
        .post(
            "/api/v1/organizations",
            Some(&admin),
            json!({"kind": "provider", "name": "Cooperativa Sociale Demo Tre", "codice_fiscale": code, "partita_iva": code, "pec": "coop-tre@pec.it"}),
        )
        .await;
    assert_eq!(org.status, 201, "{org:?}");
    let user = app
        .post(
            "/api/v1/users",
            Some(&admin),
            json!({"organization_id": org.id(), "email": "operatore@coop-tre.demo", "display_name": "Referente Coop Tre", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(user.status, 201, "{user:?}");
    let login = app.login("operatore@coop-tre.demo", "a long enough password").await;
    (org.id(), login.body["access_token"].as_str().unwrap().to_owned())
}

/// Seed 004 published in January 2024, each provider applying for its items, everyone admitted,
/// and the list concluded on 20 February by determina 2024/57. Answers the call's id and the
/// conclusion's answer.
pub async fn home_care_list_with(app: &TestApp, offers: &[(&str, &[(&str, &str)])]) -> (String, Value) {
    app.set_time("2024-01-15T09:00:00+01:00");
    let concass = app.token(demo::CONCASS).await;
    let id = publish(app, &concass, home_care_call(app).await).await;
    let mut applications = Vec::new();
    for (account, items) in offers {
        let token = app.token(account).await;
        let application = apply(app, &token, &id, items, &["no_exclusion_grounds"]).await;
        attach(app, &token, &application, "service_charter").await;
        assert_eq!(submit(app, &token, &application).await.status, 200);
        applications.push(application);
    }
    app.set_time("2024-02-20T10:00:00+01:00");
    for application in &applications {
        assert_eq!(
            app.post(&format!("/api/v1/applications/{application}/admit"), Some(&concass), json!({})).await.status,
            200
        );
    }
    let concluded = app
        .post(
            &format!("/api/v1/tenders/{id}/conclude"),
            Some(&concass),
            json!({"act_number": "2024/57", "act_date": "2024-02-20"}),
        )
        .await;
    assert_eq!(concluded.status, 200, "{concluded:?}");
    (id, concluded.body)
}

/// Seed 004's list: Coop Uno for professional and generic home care in Casalmaggiore and
/// Gussola, Coop Due for meals in Casalmaggiore and individual education in Piadena Drizzona.
pub async fn concluded_home_care_list(app: &TestApp) -> String {
    let mut mine = Vec::new();
    for m in ["019021", "019052"] {
        for i in ["home_care_professional", "home_care_generic"] {
            mine.push((i, m));
        }
    }
    let due: &[(&str, &str)] = &[("meals_delivery", "019021"), ("educational_individual", "019116")];
    let (id, concluded) = home_care_list_with(app, &[(demo::COOP_UNO, &mine), (demo::COOP_DUE, due)]).await;
    assert_eq!(concluded["accreditations"].as_array().unwrap().len(), 6);
    assert_eq!(concluded["accreditations"][0]["act"]["number"], "2024/57");
    id
}

async fn seed_004_the_home_care_list_over_its_life(app: TestApp) {
    app.seed_demo();
    let id = concluded_home_care_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let uno = app.token(demo::COOP_UNO).await;
    let uno_org = app.organization_of(&uno).await;
    let districts = app.get("/api/v1/districts", None).await;
    let casalasco = districts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Ambito distrettuale Casalasco")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let registry = |when: Option<&str>| {
        let path = match when {
            Some(t) => format!("/api/v1/tenders/{id}/registry?as_of={t}&limit=200"),
            None => format!("/api/v1/tenders/{id}/registry?limit=200"),
        };
        let app = &app;
        async move {
            let page = app.get(&path, None).await;
            assert_eq!(page.status, 200, "{page:?}");
            page.body
        }
    };
    let matrix = |when: Option<&str>| {
        let path = match when {
            Some(t) => format!("/api/v1/districts/{casalasco}/coverage-matrix?as_of={t}"),
            None => format!("/api/v1/districts/{casalasco}/coverage-matrix"),
        };
        let app = &app;
        async move {
            let page = app.get(&path, None).await;
            assert_eq!(page.status, 200, "{page:?}");
            page.body
        }
    };
    let cell = |m: &Value, municipality: &str, line: &str| -> (u64, u64) {
        let c = m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["municipality"] == municipality && c["product_line"] == line)
            .unwrap();
        (c["accredited_providers"].as_u64().unwrap(), c["providers_with_patto"].as_u64().unwrap())
    };

    // The first round's list, public and without personal data.
    app.set_time("2024-02-21T09:00:00+01:00");
    let first_list = registry(None).await;
    let list = entries(&first_list);
    assert_eq!(list.len(), 6, "{list:?}");
    assert!(list.contains(&("Cooperativa Sociale Demo Uno".into(), "home_care_professional".into(), "019052".into())));
    assert_eq!(first_list["items"][0]["act"]["number"], "2024/57");
    assert!(!first_list.to_string().contains('@'), "no addresses on the registry");
    let first_matrix = matrix(None).await;
    assert_eq!(cell(&first_matrix, "019021", "social_care"), (1, 0), "accredited, no patto yet");
    assert_eq!(cell(&first_matrix, "019009", "social_care"), (0, 0));
    assert!(first_matrix["without_accreditation"].as_array().unwrap().iter().any(|c| c["municipality"] == "019009"));
    let csv = app
        .request(
            actix_web::http::Method::GET,
            &format!("/api/v1/districts/{casalasco}/coverage-matrix"),
            None,
            &[("Accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.body.as_str().unwrap();
    assert!(
        text.starts_with("municipality,municipality_name,product_line,accredited_providers,providers_with_patto\n")
    );
    assert!(text.contains("019021,Casalmaggiore,social_care,1,0\n"), "{text}");
    assert_eq!(text.lines().count(), 1 + first_matrix["cells"].as_array().unwrap().len());

    // A DURC that expires unreplaced: Coop Uno leaves the list at that instant.
    app.set_time("2024-03-10T09:00:00+01:00");
    let durc = json!({"kind": "durc", "reference": "INPS_1", "valid_from": "2024-01-01", "valid_until": "2024-04-30"});
    let recorded = app.post(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&uno), durc).await;
    assert_eq!(recorded.status, 201, "{recorded:?}");
    app.set_time("2024-04-30T23:59:00+02:00");
    assert_eq!(entries(&registry(None).await).len(), 6);
    app.set_time("2024-05-01T00:00:00+02:00");
    let lapsed = entries(&registry(None).await);
    assert_eq!(lapsed.len(), 2, "only Coop Due is left: {lapsed:?}");
    let mine = app.get(&format!("/api/v1/accreditations?tender_id={id}"), Some(&uno)).await;
    assert!(mine.body["items"].as_array().unwrap().iter().all(|a| a["status"] == "lapsed"), "{mine:?}");
    // Staff cannot bring it back without a valid DURC; with one, it comes back once they confirm.
    app.set_time("2024-05-05T09:00:00+02:00");
    let early =
        app.post(&format!("/api/v1/providers/{uno_org}/requirement-confirmations"), Some(&concass), json!({})).await;
    assert_eq!((early.status, early.problem_code()), (409, "requirement_not_covered"));
    app.set_time("2024-05-10T09:00:00+02:00");
    let renewed = json!({"kind": "durc", "valid_from": "2024-04-28", "valid_until": "2024-08-31"});
    assert_eq!(app.post(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&uno), renewed).await.status, 201);
    assert_eq!(entries(&registry(None).await).len(), 2, "a new DURC alone is not enough");
    app.set_time("2024-05-12T09:00:00+02:00");
    let confirmed = app
        .post(
            &format!("/api/v1/providers/{uno_org}/requirement-confirmations"),
            Some(&concass),
            json!({"act_number": "2024/190", "act_date": "2024-05-12", "note": "DURC regolare"}),
        )
        .await;
    assert_eq!(confirmed.status, 201, "{confirmed:?}");
    assert_eq!(entries(&registry(None).await).len(), 6, "back on the list");

    // A suspension with an end date ends by itself.
    app.set_time("2024-06-01T09:00:00+02:00");
    let due_accreditations =
        app.get(&format!("/api/v1/accreditations?tender_id={id}"), Some(&app.token(demo::COOP_DUE).await)).await;
    let meals = due_accreditations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["intervention"] == "meals_delivery")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let suspended = app
        .post(
            &format!("/api/v1/accreditations/{meals}/suspend"),
            Some(&concass),
            json!({"reason": "Verifica sulla qualità dei pasti", "act_number": "2024/211", "act_date": "2024-06-01", "until": "2024-06-30"}),
        )
        .await;
    assert_eq!((suspended.status, suspended.body["status"].as_str()), (200, Some("suspended")), "{suspended:?}");
    assert_eq!(suspended.body["measures"][0]["effective_until"], "2024-07-01T00:00:00+02:00");
    app.set_time("2024-06-15T09:00:00+02:00");
    assert!(!entries(&registry(None).await).iter().any(|(_, i, _)| i == "meals_delivery"));
    app.set_time("2024-07-01T00:00:00+02:00");
    assert!(entries(&registry(None).await).iter().any(|(_, i, _)| i == "meals_delivery"), "ended by itself");
    assert_eq!(app.get(&format!("/api/v1/accreditations/{meals}"), Some(&concass)).await.body["status"], "active");

    // A second round adds a provider where nobody was: the gap closes.
    app.set_time("2024-09-01T09:00:00+02:00");
    let reopened = app
        .post(
            &format!("/api/v1/tenders/{id}/reopen"),
            Some(&concass),
            json!({"submission_deadline": "2024-09-30T12:00", "clarification_deadline": "2024-09-20T12:00"}),
        )
        .await;
    assert_eq!(
        (reopened.status, reopened.body["status"].as_str(), reopened.body["round"].as_u64()),
        (200, Some("published"), Some(2)),
        "{reopened:?}"
    );
    assert_eq!(reopened.body["rounds"][0]["act"]["number"], "2024/57");
    let (_, tre) = third_provider(&app).await;
    let third = apply(&app, &tre, &id, &[("home_care_generic", "019009")], &["no_exclusion_grounds"]).await;
    attach(&app, &tre, &third, "service_charter").await;
    assert_eq!(submit(&app, &tre, &third).await.body["receipt"]["protocol_number"], "2024/000003");
    app.set_time("2024-10-02T09:00:00+02:00");
    assert_eq!(app.post(&format!("/api/v1/applications/{third}/admit"), Some(&concass), json!({})).await.status, 200);
    let second = app
        .post(
            &format!("/api/v1/tenders/{id}/conclude"),
            Some(&concass),
            json!({"act_number": "2024/301", "act_date": "2024-10-02"}),
        )
        .await;
    assert_eq!(second.status, 200, "{second:?}");
    let added = second.body["accreditations"].as_array().unwrap();
    assert_eq!(added.len(), 1, "earlier accreditations are untouched");
    assert_eq!(
        (added[0]["round"].as_u64(), added[0]["valid_from"].as_str(), added[0]["valid_to"].as_str()),
        (Some(2), Some("2024-10-02"), Some("2027-02-28"))
    );
    let list = entries(&registry(None).await);
    assert!(list.contains(&("Cooperativa Sociale Demo Tre".into(), "home_care_generic".into(), "019009".into())));
    assert_eq!(cell(&matrix(None).await, "019009", "social_care"), (1, 0), "the gap is closed");
    // In OCDS: the publication, the first award, the suspension, the second round and its award.
    let ocds = app.get(&format!("/api/v1/tenders/{id}/ocds"), None).await;
    let releases = ocds.body["releases"].as_array().unwrap();
    let tags: Vec<&str> = releases.iter().map(|r| r["tag"][0].as_str().unwrap()).collect();
    assert_eq!(tags, ["tender", "award", "awardUpdate", "tenderUpdate", "award"]);
    assert_eq!(releases[3]["tender"]["tenderPeriod"]["endDate"], "2024-09-30T12:00:00+02:00");
    assert_eq!(releases[3]["tender"]["status"], "active");
    assert_eq!(releases[4]["awards"].as_array().unwrap().len(), 3, "the third provider joins the same list");
    assert_eq!(releases[4]["tender"]["status"], "complete");

    // As it stood then: the registry and the matrix of 21 February, asked in October.
    assert_eq!(entries(&registry(Some("2024-02-21T09:00:00%2B01:00")).await), entries(&first_list));
    assert_eq!(matrix(Some("2024-02-21T09:00:00%2B01:00")).await["cells"], first_matrix["cells"]);
    assert_eq!(entries(&registry(Some("2024-05-01")).await).len(), 2, "a day means its end");
    let district = app.get(&format!("/api/v1/districts/{casalasco}/registry?as_of=2024-06-15&limit=200"), None).await;
    assert_eq!(entries(&district.body).len(), 5);
    let bad = app.get(&format!("/api/v1/tenders/{id}/registry?as_of=yesterday"), None).await;
    assert_eq!((bad.status, bad.problem_code()), (400, "invalid_query"));
}

async fn forbidden_measures_are_409_and_peers_get_404(app: TestApp) {
    app.seed_demo();
    let id = concluded_home_care_list(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let asc = app.token(demo::ASC).await;
    let uno = app.token(demo::COOP_UNO).await;
    let due = app.token(demo::COOP_DUE).await;
    let cremona = app.token(demo::CREMONA).await;
    let uno_org = app.organization_of(&uno).await;
    let accreditation =
        app.get(&format!("/api/v1/accreditations?tender_id={id}"), Some(&uno)).await.body["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let own_path = format!("/api/v1/accreditations/{accreditation}");
    let path = |action: &str| format!("{own_path}/{action}");
    let decision = json!({"reason": "Motivo", "act_number": "2024/1", "act_date": "2024-02-21"});
    let conflict = |reply: ambito_tests::Reply, code: &str| {
        assert_eq!((reply.status, reply.problem_code()), (409, code), "{reply:?}")
    };

    conflict(app.post(&path("reinstate"), Some(&concass), decision.clone()).await, "accreditation_not_suspended");
    conflict(
        app.post(&format!("/api/v1/tenders/{id}/conclude"), Some(&concass), json!(null)).await,
        "tender_not_closed",
    );
    let early = json!({"submission_deadline": "2025-01-31T12:00", "clarification_deadline": "2025-01-20T12:00"});
    assert_eq!(app.post(&format!("/api/v1/tenders/{id}/reopen"), Some(&concass), early.clone()).await.status, 200);
    conflict(app.post(&format!("/api/v1/tenders/{id}/reopen"), Some(&concass), early).await, "tender_not_concluded");
    assert_eq!(app.post(&path("revoke"), Some(&concass), decision.clone()).await.status, 200);
    conflict(app.post(&path("revoke"), Some(&concass), decision.clone()).await, "accreditation_revoked");
    let suspend = json!({"reason": "Motivo", "act_number": "2024/2", "act_date": "2024-02-21"});
    conflict(app.post(&path("suspend"), Some(&concass), suspend.clone()).await, "accreditation_revoked");
    let missing_act = app.post(&path("suspend"), Some(&concass), json!({"reason": "Motivo"})).await;
    assert_eq!(missing_act.status, 400, "every measure names its act");

    // The provider reads its own, with the measures; peers, other authorities and
    // municipalities are told nothing exists; a provider may not decide.
    let own = app.get(&own_path, Some(&uno)).await;
    assert_eq!(
        (own.status, own.body["status"].as_str(), own.body["measures"][0]["kind"].as_str()),
        (200, Some("revoked"), Some("revocation"))
    );
    for token in [&due, &asc, &cremona] {
        assert_eq!(app.get(&own_path, Some(token)).await.status, 404);
        assert_eq!(app.post(&path("suspend"), Some(token), suspend.clone()).await.status, 404);
    }
    assert_eq!(app.post(&path("suspend"), Some(&uno), suspend.clone()).await.status, 403);
    assert_eq!(app.get("/api/v1/accreditations", Some(&cremona)).await.status, 404, "municipalities read the registry");
    let peers = app.get("/api/v1/accreditations", Some(&due)).await;
    assert!(!peers.body.to_string().contains(&accreditation));
    // Certificates: the provider records its own; staff read them; peers and municipalities do not.
    let durc = json!({"kind": "durc", "valid_from": "2024-01-01", "valid_until": "2024-12-31"});
    assert_eq!(
        app.post(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&due), durc.clone()).await.status,
        404
    );
    assert_eq!(
        app.post(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&concass), durc.clone()).await.status,
        403
    );
    let recorded = app.post(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&uno), durc).await;
    assert_eq!(recorded.status, 201);
    assert_eq!(app.get(&format!("/api/v1/providers/{uno_org}/certificates"), Some(&asc)).await.status, 200);
    for token in [&due, &cremona] {
        assert_eq!(app.get(&format!("/api/v1/providers/{uno_org}/certificates"), Some(token)).await.status, 404);
    }
    let scan = app
        .upload(
            &format!("/api/v1/providers/{uno_org}/certificates/{}/document", recorded.id()),
            &uno,
            "durc",
            "durc.pdf",
            crate::calls::PDF,
        )
        .await;
    assert_eq!(scan.status, 201, "{scan:?}");
    let document =
        app.get(&format!("/api/v1/providers/{uno_org}/certificates/{}/document", recorded.id()), Some(&concass)).await;
    assert_eq!(document.status, 200);
}
