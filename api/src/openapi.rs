//! The OpenAPI document: info, security scheme, the problem schema, and the error answers each
//! kind of operation documents. Paths come from the handlers themselves (utoipa-actix-web), so
//! the spec and the routes cannot diverge.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

use crate::error::{Problem, ProblemField};

/// The `Idempotency-Key` header of creating POSTs.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A retry with the same key gets the first answer instead of creating twice: 1 to 255 characters
    #[serde(rename = "Idempotency-Key")]
    #[param(min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    pub key: Option<String>,
}

/// The `If-Match` header of actions: optional.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// When sent, the `ETag` of the version the action applies to: 412 when it is stale
    #[serde(rename = "If-Match")]
    pub tag: Option<String>,
}

/// The `If-Match` header of updates: required.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchRequired {
    /// The `ETag` of the version being changed: 428 without, 412 when it is stale
    #[serde(rename = "If-Match")]
    pub tag: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ambito API",
        description = "Accreditation of care providers through public calls, patti with them, \
            and routing of families' requests for home care and linguistic-cultural mediation, \
            for an Italian social-services district.\n\n\
            Log in with `POST /api/v1/auth/login`, then press **Authorize** and paste the \
            `access_token`. Errors are `application/problem+json` with a stable `code`. Lists \
            are cursor-paginated. Changes need `If-Match` with the resource's `ETag`; creating \
            POSTs accept an `Idempotency-Key`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2")
    ),
    servers((url = "/", description = "This server: the API is served under /api/v1, beside /docs and /openapi.json")),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in and out"),
        (name = "me", description = "The caller's own account"),
        (name = "organizations", description = "Authorities, providers, municipalities"),
        (name = "users", description = "People and service accounts"),
        (name = "districts", description = "The municipalities each authority serves"),
        (name = "catalogue", description = "Municipalities and the service catalogue"),
        (name = "audit", description = "Who changed what"),
        (name = "tenders", description = "Public calls: drafting, publication, amendments, questions, conclusion"),
        (name = "applications", description = "Providers' applications and their examination"),
        (name = "registry", description = "Accreditations that live, the public registry, the coverage matrix, who may serve"),
        (name = "providers", description = "Providers' certificates (DURC, registrations) and the confirmation of their requirements"),
        (name = "patti", description = "Patti di accreditamento: drafted, signed by both sides, amended, suspended, revoked"),
        (name = "beneficiaries", description = "The people families' requests are for: special-category personal data, every read logged"),
        (name = "copayment", description = "Co-payment rules (compartecipazione) and the simulation of what a family pays"),
        (name = "service-requests", description = "Families' requests for home care: assessment, vouchers, the family's choice of provider"),
        (name = "mediation", description = "Linguistic-cultural mediation: mediators, requests, offers, confirmations, deliveries"),
        (name = "delivery-reports", description = "Monthly delivery reports, their validation and cost split, and the summaries"),
        (name = "events", description = "The change feed: every committed change, in order, by cursor"),
        (name = "ocds", description = "Open Contracting Data Standard 1.1.5: calls as open framework agreements, vouchers as call-offs"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// What the document says once the handlers' paths and schemas are in: the inputs that are one
/// of several shapes (`kind`-tagged enums) refuse unknown fields like every other input, which
/// utoipa does not say of each shape.
///
/// Every query string and JSON body is also read by the same checks before any handler
/// (`request_limits`, `json`): a NUL character in any text is a 422 naming it, and a query string
/// over its limit a 414. Each operation taking either says so here, once for all. Each error
/// answer names its problem codes, and every answer with a body gets an example.
pub fn finish(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    conditional_reads(spec);
    list_items_by_reference(spec);
    if let Some(description) = spec.info.description.as_mut() {
        description.push_str(PROBLEM_CODES);
    }
    for item in spec.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let Operation { parameters, request_body, responses, .. } = operation;
            let has_query = parameters.iter().flatten().any(|p| matches!(p.parameter_in, ParameterIn::Query));
            let mut add = |status: u16| {
                responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_with(describe(status), Some(status)));
            };
            if has_query || request_body.is_some() {
                add(422);
            }
            if has_query {
                add(414);
            }
            if request_body.is_some() {
                add(408);
            }
            let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned();
            for (status, response) in &mut operation.responses.responses {
                if let (Ok(status), RefOr::T(response)) = (status.parse::<u16>(), response) {
                    name_codes(response, &codes_of(tag.as_deref(), status));
                }
            }
        }
    }
    response_examples(spec);
    let Some(components) = spec.components.as_mut() else { return };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::OneOf(one_of)) = schema else { continue };
        for item in &mut one_of.items {
            if let RefOr::T(Schema::Object(object)) = item {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// Every answer with a body has an example: its schema's own when it has one, else one made
/// from the examples of its parts (each property's, or a value of its type and format), so that
/// Swagger UI and generated mocks show something real. Done on the JSON form of the document,
/// where a schema's parts are plain to walk.
fn response_examples(spec: &mut utoipa::openapi::OpenApi) {
    use serde_json::Value;
    let Ok(mut document) = serde_json::to_value(&*spec) else { return };
    let schemas = document["components"]["schemas"].clone();
    let Some(paths) = document["paths"].as_object_mut() else { return };
    for item in paths.values_mut() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(responses) = item.get_mut(method).and_then(|op| op.get_mut("responses")) else { continue };
            for response in responses.as_object_mut().into_iter().flat_map(|r| r.values_mut()) {
                let Some(contents) = response.get_mut("content").and_then(Value::as_object_mut) else { continue };
                for content in contents.values_mut() {
                    if content.get("example").is_some() || content.get("examples").is_some() {
                        continue;
                    }
                    if let Some(example) = example_of(&content["schema"], &schemas, 0) {
                        content["example"] = example;
                    }
                }
            }
        }
    }
    if let Ok(done) = serde_json::from_value(document) {
        *spec = done;
    }
}

/// An example of a schema (in its JSON form), or `None` for bytes, which have none.
fn example_of(schema: &serde_json::Value, schemas: &serde_json::Value, depth: u8) -> Option<serde_json::Value> {
    use serde_json::{Value, json};
    if depth > 40 {
        return Some(Value::Null);
    }
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        return example_of(&schemas[name], schemas, depth + 1);
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(first) = schema["examples"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.iter().find(|v| !v.is_null())) {
        return Some(first.clone());
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = serde_json::Map::new();
        for part in parts {
            match example_of(part, schemas, depth + 1)? {
                Value::Object(fields) => merged.extend(fields),
                other => return Some(other),
            }
        }
        return Some(Value::Object(merged));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(parts) = schema[key].as_array() {
            let part = parts.iter().find(|p| p["type"] != "null").or(parts.first())?;
            return example_of(part, schemas, depth + 1);
        }
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => return Some(json!({})),
    };
    Some(match kind {
        "object" => {
            let mut fields = serde_json::Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(example) = example_of(property, schemas, depth + 1) {
                    fields.insert(name.clone(), example);
                }
            }
            Value::Object(fields)
        }
        "array" => Value::Array(example_of(&schema["items"], schemas, depth + 1).into_iter().collect()),
        "integer" | "number" => schema.get("minimum").cloned().unwrap_or(json!(1)),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => match schema["format"].as_str() {
            Some("binary") => return None,
            Some("date-time") => json!("2022-05-30T12:00:00+02:00"),
            Some("date") => json!("2022-05-30"),
            Some("uuid") => json!("0196f1c4-5a6b-7c8d-9e0f-123456789abc"),
            Some("email") => json!("nome.cognome@example.it"),
            Some("uri") => json!("https://example.it"),
            _ => json!("testo"),
        },
    })
}

/// Every problem code the API answers with `status` whatever the operation: read from
/// [`ApiError`] itself (each error's code and status), so the list follows the code.
fn generic_codes(status: u16) -> Vec<&'static str> {
    use crate::error::ApiError as E;
    let errors = [
        E::bad_request("invalid_body", ""),
        E::bad_request("malformed_json", ""),
        E::bad_request("invalid_query", ""),
        E::bad_request("invalid_path", ""),
        E::bad_request("invalid_multipart", ""),
        E::bad_request("unknown_query_parameter", ""),
        E::bad_request("invalid_cursor", ""),
        E::bad_request(crate::idempotency::INVALID_KEY, ""),
        E::Validation(Vec::new()),
        E::Unauthenticated { code: "unauthenticated", detail: "" },
        E::Unauthenticated { code: "invalid_token", detail: "" },
        E::Unauthenticated { code: "invalid_refresh_token", detail: "" },
        E::Unauthenticated { code: "refresh_token_reused", detail: "" },
        E::InvalidCredentials,
        E::Forbidden,
        E::NotFound,
        E::Conflict { code: "already_exists", detail: String::new() },
        E::IdempotencyKeyInFlight,
        E::Stale,
        E::IfMatchRequired,
        E::PayloadTooLarge { limit: 0 },
        E::BodyTimeout,
        E::UriTooLong { limit: 0 },
        E::UnsupportedMediaType,
        E::IdempotencyKeyReused,
        E::TooManyRequests { code: "login_locked", detail: String::new(), retry_after: 0 },
        E::TooManyRequests { code: "too_many_attempts", detail: String::new(), retry_after: 0 },
        E::TooManyRequests { code: "server_busy", detail: String::new(), retry_after: 0 },
        E::Unavailable,
        E::DocumentCorrupted,
        E::Internal,
    ];
    errors
        .iter()
        .filter(|e| actix_web::ResponseError::status_code(*e).as_u16() == status)
        .map(crate::error::ApiError::code)
        .collect()
}

/// The problem codes an operation tagged `tag` may answer with `status`: the generic ones, and
/// on a 409 the rules of the lifecycles the tag's operations change (each domain error's
/// `CODES`).
fn codes_of(tag: Option<&str>, status: u16) -> Vec<&'static str> {
    use ambito_domain::{
        accreditation::AccreditationError, application::ApplicationError, beneficiary::BeneficiaryError,
        delivery_report::ReportError, measure::MeasureError, mediation::MediationError, patto::PattoError,
        requirement::RequirementError, service_request::ServiceRequestError, tender::TenderError,
    };
    let mut codes = generic_codes(status);
    if status == 409 {
        let rules: &[&[&str]] = match tag {
            Some("tenders") => &[TenderError::CODES, ApplicationError::CODES],
            Some("applications") => &[ApplicationError::CODES, TenderError::CODES, RequirementError::CODES],
            Some("registry") => &[AccreditationError::CODES, MeasureError::CODES],
            Some("providers") => &[RequirementError::CODES, MeasureError::CODES],
            Some("patti") => &[PattoError::CODES, AccreditationError::CODES, MeasureError::CODES],
            Some("beneficiaries") => &[BeneficiaryError::CODES],
            Some("service-requests") => &[ServiceRequestError::CODES],
            Some("mediation") => &[MediationError::CODES],
            Some("delivery-reports") => &[ReportError::CODES],
            _ => &[],
        };
        for code in rules.iter().flat_map(|r| r.iter()) {
            if !codes.contains(code) {
                codes.push(code);
            }
        }
    }
    codes
}

/// Names the `code`s a problem answer may carry: an `enum` on its schema, and in its
/// description; its example carries one of them.
fn name_codes(response: &mut Response, codes: &[&'static str]) {
    use utoipa::openapi::schema::AllOfBuilder;
    let Some(content) = response.content.get_mut("application/problem+json") else { return };
    if codes.is_empty() {
        return;
    }
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.iter().copied()))
        .description(Some("The problem codes this operation answers with this status"));
    let schema =
        AllOfBuilder::new().item(Ref::from_schema_name("Problem")).item(ObjectBuilder::new().property("code", code));
    content.schema = Some(schema.into());
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    response.description = format!("{}. Codes: {}.", response.description.trim_end_matches('.'), listed.join(", "));
    if let Some(example) = content.example.as_mut()
        && !example["code"].as_str().is_some_and(|c| codes.contains(&c))
    {
        example["code"] = codes[0].into();
        example["type"] = format!("urn:ambito:problem:{}", codes[0]).into();
        if let Some(detail) = example.as_object_mut() {
            detail.remove("errors");
        }
        example["detail"] = format!("see code: {}", codes[0]).into();
    }
}

/// The problem codes, by status: what a generated client can switch on. Each operation lists the
/// statuses it may answer; its 409s name the lifecycle rule in `code`.
const PROBLEM_CODES: &str = "\n\n## Problem codes\n\nEach operation's error answers name the codes it may \
answer (an `enum` on `code`, and in the description); all of them, by status:\n\n\
| status | `code` | meaning |\n\
|---|---|---|\n\
| 400 | `invalid_body`, `invalid_query`, `invalid_path` | malformed JSON, wrong types, unknown fields; a bad query or path value |\n\
| 400 | `unknown_query_parameter` | a query parameter the operation does not take (named in `errors`) |\n\
| 400 | `invalid_cursor` | a `cursor` this API did not give out (or from another `sort`) |\n\
| 400 | `invalid_idempotency_key` | an `Idempotency-Key` that is not 1 to 255 visible ASCII characters |\n\
| 401 | `unauthenticated`, `invalid_token`, `invalid_credentials`, `invalid_refresh_token`, `refresh_token_reused` | no or a bad token; wrong login |\n\
| 403 | `forbidden` | the caller's role may not do this |\n\
| 404 | `not_found` | no such resource, or not visible to the caller |\n\
| 405 | `method_not_allowed` | see `Allow` |\n\
| 409 | the rule's code: `tender_not_open`, `submission_deadline_passed`, `confirmation_pending`, `amendment_pending`, `provider_not_eligible`, `units_over_grant`, `already_confirmed`, `already_exists`, `beneficiary_exists`, `idempotency_key_in_flight`, ... | a lifecycle rule or stored data forbids it |\n\
| 412 | `stale_version` | `If-Match` names an old version |\n\
| 408 | `body_timeout` | the body stopped arriving |\n\
| 413 | `payload_too_large` | the body is too large |\n\
| 414 | `uri_too_long` | the query string is too long |\n\
| 415 | `unsupported_media_type` | not JSON (or multipart), or a document neither PDF nor .p7m |\n\
| 422 | `validation_failed`, `idempotency_key_reused` | fields break a rule (per-field `errors`; no text may hold a NUL character) |\n\
| 428 | `if_match_required` | an update without `If-Match` |\n\
| 429 | `login_locked`, `too_many_attempts`, `server_busy` | see `Retry-After` |\n\
| 500 | `document_corrupted`, `internal_error` | a stored document no longer matches its hash; a bug |\n\
| 503 | `service_unavailable` | the database is unavailable or busy |\n";

/// Every read whose answer carries an `ETag` takes `If-None-Match` and may answer 304.
fn conditional_reads(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    for item in spec.paths.paths.values_mut() {
        let Some(get) = item.get.as_mut() else { continue };
        let tagged =
            matches!(get.responses.responses.get("200"), Some(RefOr::T(ok)) if ok.headers.contains_key("ETag"));
        if !tagged {
            continue;
        }
        get.parameters.get_or_insert_with(Vec::new).push(
            ParameterBuilder::new()
                .name("If-None-Match")
                .parameter_in(ParameterIn::Header)
                .description(Some("The `ETag` of the copy the client holds: 304 without a body while it is current"))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        );
        let etag = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("The current version, the one the client holds"))
            .build();
        get.responses.responses.insert(
            "304".into(),
            ResponseBuilder::new()
                .description("Not modified: the `ETag` in `If-None-Match` is still the current version")
                .header("ETag", etag)
                .build()
                .into(),
        );
    }
}

/// A problem answer, with an example of its own status when given.
fn problem_with(description: &str, status: Option<u16>) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem")));
    let content = match status.and_then(problem_example) {
        Some(example) => content.example(Some(example)),
        None => content,
    };
    ResponseBuilder::new().description(description).content("application/problem+json", content.build()).build().into()
}

/// A whole problem document as the API answers it with `status`: each status its own example.
fn problem_example(status: u16) -> Option<serde_json::Value> {
    let (title, code, detail, errors) = match status {
        400 => (
            "Bad Request",
            "unknown_query_parameter",
            "unknown query parameter colour: this operation takes limit, cursor",
            Some(("colour", "not a parameter of this operation")),
        ),
        401 => ("Unauthorized", "unauthenticated", "send an access token: Authorization: Bearer <token>", None),
        403 => ("Forbidden", "forbidden", "your role may not do this", None),
        404 => ("Not Found", "not_found", "no such resource", None),
        409 => (
            "Conflict",
            "submission_deadline_passed",
            "the submission deadline passed at 2022-05-30T12:00:00+02:00",
            None,
        ),
        408 => ("Request Timeout", "body_timeout", "the request body stopped arriving: nothing came for a while", None),
        412 => ("Precondition Failed", "stale_version", "the record was changed by someone else", None),
        413 => ("Payload Too Large", "payload_too_large", "the body is larger than 2097152 bytes", None),
        414 => ("URI Too Long", "uri_too_long", "the query string is longer than 8192 bytes", None),
        415 => ("Unsupported Media Type", "unsupported_media_type", "send application/json", None),
        422 => (
            "Unprocessable Entity",
            "validation_failed",
            "invalid fields: codice_fiscale (the check character does not match)",
            Some(("codice_fiscale", "the check character does not match")),
        ),
        428 => ("Precondition Required", "if_match_required", "send If-Match with the resource's ETag", None),
        429 => ("Too Many Requests", "login_locked", "too many failed logins: try again in 15 minutes", None),
        500 => ("Internal Server Error", "document_corrupted", "the stored document no longer matches its hash", None),
        503 => ("Service Unavailable", "service_unavailable", "the database is busy: try again shortly", None),
        _ => return None,
    };
    let mut example = serde_json::json!({
        "type": format!("urn:ambito:problem:{code}"),
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    });
    if let Some((field, message)) = errors {
        example["errors"] = serde_json::json!([{"field": field, "message": message}]);
    }
    Some(example)
}

/// Each list's items refer to their component instead of repeating it inline (utoipa inlines
/// a generic's type parameter): generated clients get one type, not a copy per list.
fn list_items_by_reference(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    let Some(components) = spec.components.as_mut() else { return };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Listing_") else { continue };
        let Some(RefOr::T(component)) = components.schemas.get(item).cloned() else { continue };
        let Some(RefOr::T(Schema::Object(listing))) = components.schemas.get_mut(&name) else { continue };
        let Some(RefOr::T(Schema::Array(array))) = listing.properties.get_mut("items") else { continue };
        if let ArrayItems::RefOrSchema(inline) = &mut array.items
            && matches!(inline.as_ref(), RefOr::T(schema) if *schema == component)
        {
            **inline = RefOr::Ref(Ref::from_schema_name(item));
        }
    }
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "Malformed request: bad JSON, wrong types, unknown fields, bad parameters, a query parameter \
             the operation does not take (`unknown_query_parameter`, naming it) (`code` says which)"
        }
        401 => "No valid access token, or wrong credentials",
        403 => "The caller's role may not do this",
        404 => "No such resource (or a parent in the path), or not visible to the caller",
        409 => "Conflicts with stored data (a duplicate), or a request with the same Idempotency-Key is in flight",
        412 => "`If-Match` names a version that is no longer current",
        408 => "The request body stopped arriving before it was whole",
        413 => "The request body is too large",
        414 => "The query string is too long",
        415 => {
            "The request body is not application/json (multipart/form-data for uploads), or the document is neither PDF nor .p7m"
        }
        422 => {
            "Some fields break a rule (per-field `errors`; no text may hold a NUL character), or an Idempotency-Key reused for another request"
        }
        428 => "The change needs an `If-Match` header",
        429 => "Too many attempts: see `Retry-After`",
        503 => "The database is unavailable or busy: see `Retry-After`",
        _ => "Error",
    }
}

fn problems(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    statuses.iter().map(|status| (status.to_string(), problem_with(describe(*status), Some(*status)))).collect()
}

macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: $($status:literal),+) => {
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problems(&[$($status),+])
            }
        }
    };
}

error_set!(
    /// Errors of public reads.
    PublicErrors: 400, 404, 503
);
error_set!(
    /// Errors of authenticated reads.
    ReadErrors: 400, 401, 403, 404, 503
);
error_set!(
    /// Errors of creating requests.
    CreateErrors: 400, 401, 403, 404, 409, 413, 415, 422, 503
);
error_set!(
    /// Errors of changes to an existing resource.
    UpdateErrors: 400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 503
);
error_set!(
    /// Errors of lifecycle actions (publish, submit, admit...): 409 names the rule with its `code`.
    ActionErrors: 400, 401, 403, 404, 409, 412, 413, 415, 422, 503
);
error_set!(
    /// Errors of document uploads.
    UploadErrors: 400, 401, 403, 404, 409, 413, 415, 422, 503
);
/// A document download: the bytes as uploaded (a PDF or a signed `.p7m`), the errors of reads,
/// and a 500 when the stored bytes no longer match their hash.
fn document_download(errors: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    let binary = || {
        let schema =
            ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
        ContentBuilder::new().schema(Some(schema)).build()
    };
    let sha256 = HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[0-9a-f]{64}$")))
        .description(Some("The SHA-256 of the bytes, in hex, as recorded at upload"))
        .build();
    let document = ResponseBuilder::new()
        .description("The document: a PDF or a signed .p7m envelope")
        .content("application/pdf", binary())
        .content("application/pkcs7-mime", binary())
        .header("X-Content-SHA256", sha256)
        .build();
    let mut responses = problems(errors);
    responses.insert("200".into(), document.into());
    responses.insert("500".into(), problem_with("The stored bytes no longer match their hash", Some(500)));
    responses
}

/// Downloading a document behind authentication.
pub struct DocumentDownload;

impl IntoResponses for DocumentDownload {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        document_download(&[400, 401, 403, 404, 503])
    }
}

/// Downloading a public document (of a published call).
pub struct PublicDocumentDownload;

impl IntoResponses for PublicDocumentDownload {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        document_download(&[400, 404, 503])
    }
}

error_set!(
    /// Errors of reads that carry their question in a JSON body (a codice fiscale to look up).
    BodyReadErrors: 400, 401, 403, 404, 413, 415, 422, 503
);
error_set!(
    /// Errors of public reads that carry their question in a JSON body (a simulation).
    PublicBodyReadErrors: 400, 413, 415, 422, 503
);
error_set!(
    /// Errors of logging in.
    LoginErrors: 400, 401, 413, 415, 429, 503
);
