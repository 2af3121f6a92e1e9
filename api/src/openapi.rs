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
        license(name = "EUPL-1.2")
    ),
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
/// (`query_string`, `json`): a NUL character in any text is a 422 naming it, and a query string
/// over its limit a 414. Each operation taking either says so here, once for all.
pub fn finish(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    for item in spec.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let Operation { parameters, request_body, responses, .. } = operation;
            let has_query = parameters.iter().flatten().any(|p| matches!(p.parameter_in, ParameterIn::Query));
            let mut add = |status: u16| {
                responses.responses.entry(status.to_string()).or_insert_with(|| problem(describe(status)));
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
        }
    }
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

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
        )
        .build()
        .into()
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "Malformed request: bad JSON, wrong types, unknown fields, bad parameters (`code` says which)",
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
    statuses.iter().map(|status| (status.to_string(), problem(describe(*status)))).collect()
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
    responses.insert("500".into(), problem("The stored bytes no longer match their hash"));
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
