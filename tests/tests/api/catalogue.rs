use ambito_tests::{TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(the_service_catalogue_holds_both_seed_calls, municipalities_filter_and_page_stably);

async fn the_service_catalogue_holds_both_seed_calls(app: TestApp) {
    let lines = app.get("/api/v1/product-lines", None).await;
    assert_eq!(lines.status, 200);
    assert_eq!(lines.body["next_cursor"], serde_json::Value::Null);
    let lines = ambito_tests::Reply { body: lines.body["items"].clone(), ..lines };
    let codes: Vec<&str> = lines.body.as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["educational", "social_care", "additional", "mediation"]);
    let count = |i: usize| lines.body[i]["interventions"].as_array().unwrap().len();
    assert_eq!((count(0), count(1), count(2), count(3)), (2, 3, 6, 4));
    let meals = &lines.body[2]["interventions"][0];
    assert_eq!(meals["code"], "meals_delivery");
    assert_eq!(meals["unit"], "meal");
    let mediation: Vec<&str> =
        lines.body[3]["interventions"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(mediation, ["mediation_social", "mediation_socio_health", "mediation_health", "mediation_school"]);
    let all = app.get("/api/v1/interventions", None).await;
    let all = ambito_tests::Reply { body: all.body["items"].clone(), ..all };
    assert_eq!(all.body.as_array().unwrap().len(), 15);
    // Both are paged as every list is, in catalogue order.
    let first = app.get("/api/v1/interventions?limit=10", None).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 10);
    let cursor = first.body["next_cursor"].as_str().expect("a next page").to_owned();
    let rest = app.get(&format!("/api/v1/interventions?limit=10&cursor={cursor}"), None).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(rest.body["next_cursor"], serde_json::Value::Null);
    let codes: Vec<&serde_json::Value> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest.body["items"].as_array().unwrap())
        .map(|i| &i["code"])
        .collect();
    assert_eq!(codes, all.body.as_array().unwrap().iter().map(|i| &i["code"]).collect::<Vec<_>>());
    let lines_page = app.get("/api/v1/product-lines?limit=3", None).await;
    assert_eq!(lines_page.body["items"].as_array().unwrap().len(), 3);
    assert!(lines_page.body["next_cursor"].is_string());
    let home_care = all.body.as_array().unwrap().iter().find(|i| i["code"] == "home_care_professional").unwrap();
    assert_eq!(home_care["target_groups"], json!(["elderly", "disabled", "non_self_sufficient"]));
}

async fn municipalities_filter_and_page_stably(app: TestApp) {
    let cremona = app.get("/api/v1/municipalities/019036", None).await;
    assert_eq!(cremona.body["name"], "Cremona");
    assert_eq!(cremona.body["cadastral_code"], "D150");
    let found = app.get("/api/v1/municipalities?province=cr&q=CASAL", None).await;
    let names: Vec<&str> =
        found.body["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Casalmaggiore") && names.contains(&"Casalbuttano ed Uniti"), "{names:?}");
    assert!(names.iter().all(|n| n.to_lowercase().contains("casal")));
    // A wildcard in the search is taken literally.
    let literal = app.get("/api/v1/municipalities?q=%25", None).await;
    assert_eq!(literal.body["items"].as_array().unwrap().len(), 0);
    // The whole province in pages of 40: 113 municipalities, each once, in code order.
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(&format!("/api/v1/municipalities?province=CR&limit=40{cursor}"), None).await;
        all.extend(page.body["items"].as_array().unwrap().iter().map(|m| m["istat_code"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 113);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    let missing = app.get("/api/v1/municipalities/000000", None).await;
    assert_eq!(missing.status, 404);
}
