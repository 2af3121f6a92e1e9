use ambito_tests::{TestApp, on_both_databases};

on_both_databases!(the_docs_and_the_served_spec_are_there);

/// `openapi.yaml` at the top of the repo is what the code generates: regenerate it with
/// `cargo run -q -- openapi > openapi.yaml`.
#[test]
fn openapi_yaml_matches_the_code() {
    let generated = ambito_api::openapi_yaml().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml differs from the code: regenerate it with `cargo run -q -- openapi > openapi.yaml`"
    );
}

/// YAML 1.1 readers (PyYAML, many generators) read an unquoted `2022-05-30` as a date.
#[test]
fn dates_and_instants_in_openapi_yaml_are_quoted() {
    let yaml = ambito_api::openapi_yaml().unwrap();
    for line in yaml.lines() {
        let value = line.split_once(": ").map_or_else(|| line.trim_start().trim_start_matches("- "), |(_, v)| v);
        let b = value.as_bytes();
        let dated = b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
        assert!(!dated, "an unquoted date in openapi.yaml: {line}");
    }
    assert!(yaml.contains("example: '2024-06-30'"), "the examples are still there");
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let spec = serde_json::to_value(ambito_api::openapi()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success answer");
            if path != "/health/live" {
                assert!(
                    responses.keys().any(|s| s.starts_with('4') || s.starts_with('5')),
                    "{method} {path}: no errors"
                );
            }
            assert!(op.get("security").is_some(), "{method} {path}: no security requirement");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: no summary");
        }
    }
}

/// A generated client can switch on the codes each operation documents, and every answer with a
/// body shows an example of it.
#[test]
fn every_error_names_its_codes_and_every_answer_has_an_example() {
    let spec = serde_json::to_value(ambito_api::openapi()).unwrap();
    let mut conflicts_with_rules = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    let json = media.contains("json");
                    assert!(!json || content.get("example").is_some(), "{method} {path} {status} {media}: no example");
                }
                if !(status.starts_with('4') || status.starts_with('5')) || status == "405" {
                    continue;
                }
                let Some(problem) = response["content"].get("application/problem+json") else { continue };
                let codes: Vec<&str> = problem["schema"]["allOf"][1]["properties"]["code"]["enum"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no problem codes"))
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                assert!(!codes.is_empty(), "{method} {path} {status}: no problem codes");
                let example = problem["example"]["code"].as_str().unwrap_or_default();
                assert!(
                    codes.contains(&example),
                    "{method} {path} {status}: the example's code {example} is not listed"
                );
                for code in &codes {
                    assert!(
                        response["description"].as_str().unwrap().contains(&format!("`{code}`")),
                        "{method} {path} {status}: {code} not in the description"
                    );
                }
                if status == "409" && codes.len() > 2 {
                    conflicts_with_rules += 1;
                }
            }
        }
    }
    assert!(conflicts_with_rules > 20, "lifecycle actions name their rules' codes");
    let submit = &spec["paths"]["/api/v1/applications/{id}/submit"]["post"]["responses"]["409"];
    let codes = submit["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"]["code"]["enum"]
        .as_array()
        .unwrap();
    assert!(codes.contains(&serde_json::json!("submission_deadline_passed")), "{codes:?}");
}

async fn the_docs_and_the_served_spec_are_there(app: TestApp) {
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.body.as_str().unwrap().contains("swagger-ui"));
    // `/docs`, as the log and the README give it, leads to the same page (the client follows
    // the redirect, as a browser does).
    let bare = app.get("/docs", None).await;
    assert_eq!(bare.status, 200, "{bare:?}");
    assert!(bare.body.as_str().unwrap().contains("swagger-ui"));
    // A token pasted into Authorize is kept across reloads.
    let init = app.get("/docs/swagger-initializer.js", None).await;
    assert_eq!(init.status, 200, "{init:?}");
    assert!(init.body.as_str().unwrap().contains(r#""persistAuthorization": true"#), "{init:?}");
    let spec = app.get("/openapi.json", None).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.body["openapi"], "3.1.0");
    assert_eq!(spec.body, serde_json::to_value(ambito_api::openapi()).unwrap());
}
