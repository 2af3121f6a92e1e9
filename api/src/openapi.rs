//! The OpenAPI document: info, security scheme, the problem schema, and the error answers each
//! kind of operation documents. Paths come from the handlers themselves (utoipa-actix-web), so
//! the spec and the routes cannot diverge.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::{Problem, ProblemField};

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

fn problems(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|status| {
            let description = match status {
                400 => "Malformed request: bad JSON, wrong types, unknown fields, bad parameters (`code` says which)",
                401 => "No valid access token, or wrong credentials",
                403 => "The caller's role may not do this",
                404 => "No such resource (or a parent in the path), or not visible to the caller",
                409 => {
                    "Conflicts with stored data (a duplicate), or a request with the same Idempotency-Key is in flight"
                }
                412 => "`If-Match` names a version that is no longer current",
                413 => "The request body is too large",
                415 => "The request body is not application/json (multipart/form-data for uploads), or the document is neither PDF nor .p7m",
                422 => {
                    "Some fields break a rule (per-field `errors`), or an Idempotency-Key reused for another request"
                }
                428 => "The change needs an `If-Match` header",
                429 => "Too many attempts: see `Retry-After`",
                503 => "The database is unavailable or busy: see `Retry-After`",
                _ => "Error",
            };
            (status.to_string(), problem(description))
        })
        .collect()
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
error_set!(
    /// Errors of logging in.
    LoginErrors: 400, 401, 413, 415, 429, 503
);
