//! OCDS 1.1.5 publication: the home-care list as an open framework agreement and its vouchers
//! as call-offs. Every package read here (and anywhere in the suite) is validated against the
//! standard's schemas by the harness; these tests check what the packages say.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::calls::home_care_call;
use crate::delivery_reports::running_service;

on_both_databases!(the_list_and_its_vouchers_are_published_as_a_framework_and_call_offs_without_personal_data);

fn tags(package: &Value) -> Vec<String> {
    package["releases"].as_array().unwrap().iter().map(|r| r["tag"][0].as_str().unwrap().to_owned()).collect()
}

async fn the_list_and_its_vouchers_are_published_as_a_framework_and_call_offs_without_personal_data(app: TestApp) {
    app.seed_demo();
    let (request, care, _meals, person) = running_service(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let due = app.token(demo::COOP_DUE).await;
    let tenders = app.get("/api/v1/tenders", None).await;
    let id = tenders.body["items"][0]["id"].as_str().unwrap().to_owned();

    // A draft publishes nothing, whoever asks.
    let draft = app.post("/api/v1/tenders", Some(&concass), home_care_call(&app).await).await;
    assert_eq!(draft.status, 201, "{draft:?}");
    assert_eq!(app.get(&format!("/api/v1/tenders/{}/ocds", draft.id()), Some(&concass)).await.status, 404);
    assert_eq!(app.get(&format!("/api/v1/tenders/{}/ocds/record", draft.id()), None).await.status, 404);
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(app.get(&format!("/api/v1/tenders/{unknown}/ocds/call-offs"), None).await.status, 404);

    // April is reported and validated: 4 visits of 2 hours at €21.80.
    app.set_time("2024-05-02T09:00:00+02:00");
    let days: Vec<Value> =
        [2, 3, 4, 5].iter().map(|d| json!({"date": format!("2024-04-{d:02}"), "units": 2})).collect();
    let report = app
        .post(
            "/api/v1/delivery-reports",
            Some(&due),
            json!({"kind": "voucher", "month": "2024-04", "service_request_id": request, "voucher_id": care, "days": days}),
        )
        .await;
    assert_eq!(report.status, 201, "{report:?}");
    let validated =
        app.post(&format!("/api/v1/delivery-reports/{}/validation", report.id()), Some(&concass), json!(null)).await;
    assert_eq!(validated.status, 200, "{validated:?}");

    // Coop Due's meals are suspended for June: an awardUpdate.
    let accreditations = app.get(&format!("/api/v1/accreditations?tender_id={id}"), Some(&due)).await;
    let meals = accreditations.body["items"]
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
    assert_eq!(suspended.status, 200, "{suspended:?}");

    let package = app.get(&format!("/api/v1/tenders/{id}/ocds"), None).await;
    assert_eq!(package.status, 200, "{package:?}");
    assert_eq!(tags(&package.body), ["tender", "award", "awardUpdate"]);
    let releases = package.body["releases"].as_array().unwrap();
    let ocid = format!("ocds-xxxxxx-{id}");
    assert!(releases.iter().all(|r| r["ocid"] == ocid.as_str()), "one ocid: {releases:?}");
    let first = &releases[0];
    assert_eq!(first["tender"]["techniques"]["hasFrameworkAgreement"], true);
    assert_eq!(first["tender"]["status"], "active");
    assert!(first.get("awards").is_none(), "nothing awarded at publication");
    let roles: Vec<&Value> = first["parties"][0]["roles"].as_array().unwrap().iter().collect();
    assert_eq!(roles, [&json!("buyer"), &json!("procuringEntity")]);
    let items = first["tender"]["items"].as_array().unwrap();
    let meals_item = items.iter().find(|i| i["id"] == "meals_delivery").expect("an item per intervention");
    assert_eq!(meals_item["unit"]["value"], json!({"amount": 7.5, "currency": "EUR"}));
    assert!(first["tender"]["tenderPeriod"]["endDate"].is_string());
    let awarded = &releases[1];
    assert_eq!(awarded["tender"]["status"], "complete");
    let suppliers: Vec<&str> = awarded["parties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["roles"] == json!(["supplier"]))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(suppliers.len(), 2, "both providers: {suppliers:?}");
    assert_eq!(awarded["awards"].as_array().unwrap().len(), 2);
    let updated = &releases[2];
    let due_award = updated["awards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["amendments"].is_array())
        .expect("the suspended provider's award has an amendment");
    assert_eq!(due_award["amendments"][0]["rationale"], "Verifica sulla qualità dei pasti");
    assert_eq!(due_award["status"], "active", "a suspension does not cancel the award");

    let record = app.get(&format!("/api/v1/tenders/{id}/ocds/record"), None).await;
    assert_eq!(record.status, 200, "{record:?}");
    let compiled = &record.body["records"][0]["compiledRelease"];
    assert_eq!(record.body["records"][0]["ocid"], ocid.as_str());
    assert_eq!(record.body["records"][0]["releases"].as_array().unwrap().len(), 3);
    assert_eq!(compiled["tag"], json!(["compiled"]));
    assert_eq!(compiled["awards"], updated["awards"]);

    let call_offs = app.get(&format!("/api/v1/tenders/{id}/ocds/call-offs"), None).await;
    assert_eq!(call_offs.status, 200, "{call_offs:?}");
    let list = call_offs.body["releases"].as_array().unwrap();
    assert_eq!(list.len(), 2, "both vouchers, each its own process");
    let care_release = list.iter().find(|r| r["ocid"] == format!("ocds-xxxxxx-{care}").as_str()).expect("care");
    assert_eq!(care_release["relatedProcesses"][0]["identifier"], ocid.as_str());
    assert_eq!(care_release["relatedProcesses"][0]["relationship"], json!(["framework"]));
    assert_eq!(care_release["tag"], json!(["award", "contract", "implementation"]));
    let transactions = care_release["contracts"][0]["implementation"]["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 1);
    assert_eq!(transactions[0]["value"], json!({"amount": 174.4, "currency": "EUR"}), "4 × 2 h × €21.80");
    assert_eq!(care_release["awards"][0]["suppliers"][0]["name"], "Cooperativa Sociale Demo Due");

    // Nothing about the family, in any package.
    for text in [package.body.to_string(), record.body.to_string(), call_offs.body.to_string()] {
        for secret in
            [person.as_str(), request.as_str(), "FMGRNG41H50B898I", "Ermenegilda", "Fumagalli", "1941", "Igiene"]
        {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let call_off_text = call_offs.body.to_string();
    assert!(!call_off_text.contains("019021"), "not even the municipality of a call-off");
}

/// The harness's check does refuse what the standard refuses.
#[test]
#[should_panic(expected = "not OCDS 1.1.5")]
fn the_schema_check_refuses_a_release_without_its_required_fields() {
    let package = json!({
        "uri": "https://example.org/p", "version": "1.1", "publishedDate": "2024-01-01T00:00:00Z",
        "publisher": {"name": "x"},
        "releases": [{"ocid": "ocds-xxxxxx-1", "id": "1", "date": "not a date", "tag": ["nonsense"]}],
    });
    ambito_tests::ocds::validate(&package);
}
