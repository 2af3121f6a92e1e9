//! A month of home care for the service-request story: Coop Due reports 26 hours and 20 meals in
//! April 2024; staff contest a line, Coop Due corrects it, staff validate; the cost split matches
//! a hand computation to the cent, across the new ISEE of 16 April; the summary's CSV totals
//! equal its JSON.

use ambito_tests::{TestApp, demo, on_both_databases};
use serde_json::{Value, json};

use crate::service_requests::{casalmaggiore_list, register_ermenegilda};

on_both_databases!(april_of_home_care_is_reported_contested_corrected_and_validated_to_the_cent);

/// The story up to a running service: vouchers for 6 hours a week and 20 meals a month from
/// 4 March 2024, both served by Coop Due, the family's ISEE €11,662. Answers the request's id
/// and the vouchers' ids (home care, meals).
pub async fn running_service(app: &TestApp) -> (String, String, String, String) {
    casalmaggiore_list(app).await;
    let concass = app.token(demo::CONCASS).await;
    let town = app.token(demo::CASALMAGGIORE).await;
    let due = app.token(demo::COOP_DUE).await;
    let due_org = app.organization_of(&due).await;
    let person = register_ermenegilda(app, &town).await;
    let isee = json!({"kind": "ordinary", "value_cents": 1166200, "dsu_protocol": "INPS-ISEE-2024-00000001A-00", "issued_on": "2024-01-10", "expires_on": "2024-12-31"});
    assert_eq!(app.post(&format!("/api/v1/beneficiaries/{person}/isee"), Some(&town), isee).await.status, 201);
    let filed = app
        .post(
            "/api/v1/service-requests",
            Some(&town),
            json!({"beneficiary_id": person, "interventions": [
                {"intervention": "home_care_professional", "units": 6, "period": "week"},
                {"intervention": "meals_delivery", "units": 20, "period": "month"}
            ], "desired_start": "2024-03-04", "care_plan": "Igiene personale e pasti a domicilio"}),
        )
        .await;
    let request = filed.id();
    let granted = app
        .post(
            &format!("/api/v1/service-requests/{request}/assessment"),
            Some(&concass),
            json!({"outcome": "eligible", "grants": [
                {"intervention": "home_care_professional", "units": 6, "period": "week", "valid_from": "2024-03-04", "valid_to": "2025-03-03"},
                {"intervention": "meals_delivery", "units": 20, "period": "month", "valid_from": "2024-03-04", "valid_to": "2025-03-03"}
            ]}),
        )
        .await;
    let voucher = |intervention: &str| -> String {
        granted.body["vouchers"].as_array().unwrap().iter().find(|v| v["intervention"] == intervention).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (care, meals) = (voucher("home_care_professional"), voucher("meals_delivery"));
    for v in [&care, &meals] {
        let chosen = app
            .post(
                &format!("/api/v1/service-requests/{request}/vouchers/{v}/choice"),
                Some(&town),
                json!({"provider_id": due_org}),
            )
            .await;
        assert_eq!(chosen.status, 200, "{chosen:?}");
        let accepted = app
            .post(
                &format!("/api/v1/service-requests/{request}/vouchers/{v}/accept"),
                Some(&due),
                json!({"start_date": "2024-03-04"}),
            )
            .await;
        assert_eq!(accepted.status, 200, "{accepted:?}");
    }
    (request, care, meals, person)
}

fn days(dates: &[u32], units: f64) -> Vec<Value> {
    dates.iter().map(|d| json!({"date": format!("2024-04-{d:02}"), "units": units})).collect()
}

fn euros(cell: &str) -> i64 {
    let (whole, cents) = cell.split_once('.').expect("two decimals");
    assert_eq!(cents.len(), 2, "{cell}");
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

async fn april_of_home_care_is_reported_contested_corrected_and_validated_to_the_cent(app: TestApp) {
    app.seed_demo();
    let (request, care, meals, person) = running_service(&app).await;
    let concass = app.token(demo::CONCASS).await;
    let town = app.token(demo::CASALMAGGIORE).await;
    let due = app.token(demo::COOP_DUE).await;
    let uno = app.token(demo::COOP_UNO).await;

    // A lower ISEE from 16 April: the family pays a quarter of each tariff from then on.
    app.set_time("2024-04-20T10:00:00+02:00");
    let lower = json!({"kind": "ordinary", "value_cents": 874650, "dsu_protocol": "INPS-ISEE-2024-00000002A-00", "issued_on": "2024-04-16", "expires_on": "2024-12-31"});
    assert_eq!(app.post(&format!("/api/v1/beneficiaries/{person}/isee"), Some(&town), lower).await.status, 201);

    // In May, Coop Due reports April: 13 visits of 2 hours, 20 meals.
    app.set_time("2024-05-02T09:00:00+02:00");
    let visits = [2, 3, 4, 5, 9, 10, 11, 12, 16, 17, 18, 19, 23];
    let report = |voucher: &str, days: Vec<Value>| json!({"kind": "voucher", "month": "2024-04", "service_request_id": request, "voucher_id": voucher, "days": days});
    let strange = app.post("/api/v1/delivery-reports", Some(&uno), report(&care, days(&visits, 2.0))).await;
    assert_eq!(strange.status, 404, "Coop Uno does not serve this voucher: {strange:?}");
    let mut too_many = days(&(1..=20).collect::<Vec<_>>(), 1.0);
    too_many.push(json!({"date": "2024-04-21", "units": 1}));
    let over = app.post("/api/v1/delivery-reports", Some(&due), report(&meals, too_many)).await;
    assert_eq!((over.status, over.problem_code()), (409, "units_over_grant"), "{over:?}");
    let care_report = app.post("/api/v1/delivery-reports", Some(&due), report(&care, days(&visits, 2.0))).await;
    assert_eq!(care_report.status, 201, "{care_report:?}");
    let meals_report = app
        .post("/api/v1/delivery-reports", Some(&due), report(&meals, days(&(1..=20).collect::<Vec<_>>(), 1.0)))
        .await;
    assert_eq!(meals_report.status, 201, "{meals_report:?}");
    let (care_report, meals_report) = (care_report.id(), meals_report.id());
    let at = |id: &str, action: &str| format!("/api/v1/delivery-reports/{id}/{action}");

    // A March report made last comes first by month, page by page.
    let march_days: Vec<Value> = (4..=10).map(|d| json!({"date": format!("2024-03-{d:02}"), "units": 1})).collect();
    let mut march = report(&meals, march_days);
    march["month"] = json!("2024-03");
    let march = app.post("/api/v1/delivery-reports", Some(&due), march).await;
    assert_eq!(march.status, 201, "{march:?}");
    let mut by_month = Vec::new();
    let mut path = "/api/v1/delivery-reports?sort=month&limit=1".to_owned();
    loop {
        let page = app.get(&path, Some(&concass)).await;
        assert_eq!(page.status, 200, "{page:?}");
        by_month.extend(page.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/delivery-reports?sort=month&limit=1&cursor={c}"),
            None => break,
        }
    }
    let mut april = vec![care_report.clone(), meals_report.clone()];
    april.sort();
    assert_eq!(by_month, [vec![march.id()], april].concat());
    let wrong = app.get("/api/v1/delivery-reports?sort=amount", Some(&concass)).await;
    assert_eq!((wrong.status, wrong.problem_code()), (400, "invalid_query"), "{wrong:?}");

    // Staff contest the visit of the 23rd; Coop Due corrects it to the 24th; staff validate.
    let contest = json!({"lines": [{"line": 12, "reason": "Il 23 aprile l'operatore era in ferie"}]});
    assert_eq!(app.post(&at(&care_report, "contest"), Some(&due), contest.clone()).await.status, 403, "staff contest");
    let contested = app.post(&at(&care_report, "contest"), Some(&concass), contest.clone()).await;
    assert_eq!((contested.status, contested.body["status"].as_str()), (200, Some("contested")), "{contested:?}");
    assert_eq!(contested.body["lines"][12]["contest_reason"], "Il 23 aprile l'operatore era in ferie");
    let (validation, the_validation) = (at(&care_report, "validation"), at(&meals_report, "validation"));
    assert_eq!((app.post(&validation, Some(&concass), json!(null)).await.problem_code()), "report_contested");
    assert_eq!(
        app.post(&at(&meals_report, "correction"), Some(&due), json!({"days": days(&[1], 1.0)})).await.problem_code(),
        "report_not_contested"
    );
    let corrected_days = days(&[2, 3, 4, 5, 9, 10, 11, 12, 16, 17, 18, 19, 24], 2.0);
    let corrected = app.post(&at(&care_report, "correction"), Some(&due), json!({"days": corrected_days})).await;
    assert_eq!(
        (corrected.body["status"].as_str(), corrected.body["revision"].as_u64()),
        (Some("submitted"), Some(2)),
        "{corrected:?}"
    );
    let care = app.post(&validation, Some(&concass), json!(null)).await;
    assert_eq!((care.status, care.body["status"].as_str()), (200, Some("validated")), "{care:?}");
    let meals = app.post(&the_validation, Some(&concass), json!(null)).await;
    assert_eq!(meals.status, 200, "{meals:?}");
    assert_eq!(
        app.post(&at(&care_report, "contest"), Some(&concass), contest).await.problem_code(),
        "report_validated"
    );

    // By hand: each visit 2 × €21.80 = €43.60; the family pays 2 × €10.90 up to the 15th, then
    // 2 × €5.45. Each meal €7.50; the family €3.75, then €1.875 → €1.88.
    let line = |r: &Value, i: usize| (r["lines"][i]["amount_cents"].as_i64(), r["lines"][i]["family_cents"].as_i64());
    assert_eq!(line(&care.body, 0), (Some(4360), Some(2180)));
    assert_eq!(line(&care.body, 8), (Some(4360), Some(1090)), "16 April: the new ISEE");
    assert_eq!(line(&meals.body, 14), (Some(750), Some(375)));
    assert_eq!(line(&meals.body, 15), (Some(750), Some(188)));
    let totals = |r: &Value| {
        let t = &r["totals"];
        (
            t["amount_cents"].as_i64().unwrap(),
            t["family_cents"].as_i64().unwrap(),
            t["authority_cents"].as_i64().unwrap(),
        )
    };
    assert_eq!(totals(&care.body), (13 * 4360, 8 * 2180 + 5 * 1090, 13 * 4360 - (8 * 2180 + 5 * 1090)));
    assert_eq!(totals(&meals.body), (20 * 750, 15 * 375 + 5 * 188, 20 * 750 - (15 * 375 + 5 * 188)));
    let (amount, family, authority) = (56_680 + 15_000, 22_890 + 6_565, 33_790 + 8_435);

    // The month's summary, as JSON and as the spreadsheet staff open: the same totals.
    let by_town = app.get("/api/v1/delivery-reports/summary?month=2024-04&group_by=municipality", Some(&concass)).await;
    assert_eq!(by_town.status, 200, "{by_town:?}");
    let row = &by_town.body["rows"][0];
    assert_eq!((row["key"].as_str(), row["label"].as_str()), (Some("019021"), Some("Casalmaggiore")));
    assert_eq!(totals(&json!({"totals": by_town.body["totals"]})), (amount, family, authority));
    let sheet = app
        .request(
            actix_web::http::Method::GET,
            "/api/v1/delivery-reports/summary?month=2024-04&group_by=provider",
            Some(&concass),
            &[("Accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(sheet.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = sheet.body.as_str().unwrap().to_owned();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("month,key,label,lines,amount_eur,family_eur,authority_eur"));
    let cells: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    assert_eq!(cells.len(), 1, "{text}");
    assert_eq!((cells[0][0].as_str(), cells[0][2].as_str()), ("2024-04", "Cooperativa Sociale Demo Due"));
    let csv_totals: (i64, i64, i64) =
        cells.iter().fold((0, 0, 0), |t, c| (t.0 + euros(&c[4]), t.1 + euros(&c[5]), t.2 + euros(&c[6])));
    assert_eq!(csv_totals, (amount, family, authority));
    assert_eq!(cells[0][4], "716.80");
    // The municipality sees what its residents cost; the provider what it invoices.
    let theirs = app.get("/api/v1/delivery-reports/summary?month=2024-04&group_by=municipality", Some(&town)).await;
    assert_eq!(theirs.body["totals"]["authority_cents"], authority);
    let invoice = app.get("/api/v1/delivery-reports/summary?month=2024-04&group_by=intervention", Some(&due)).await;
    assert_eq!(invoice.body["rows"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/v1/delivery-reports/summary?month=2024-04&group_by=provider", Some(&uno)).await.body["rows"],
        json!([])
    );
    assert_eq!(app.get(&format!("/api/v1/delivery-reports/{care_report}"), Some(&uno)).await.status, 404);
}
