//! Ambito's HTTP API: routes, authentication, problem+json errors, OpenAPI and Swagger UI.

pub mod auth;
pub mod clock;
pub mod commands;
pub mod conditional;
pub mod config;
pub mod cors;
pub mod demo;
pub mod error;
pub mod export;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod request_id;
pub mod request_limits;
pub mod routes;
pub mod serve;
pub mod storage;
pub mod time;

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, web};
use ambito_domain::invalid::Collector;
use ambito_persistence::{Db, DbConnection};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, UtoipaApp, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{Passwords, Tokens};
use crate::clock::Clock;
use crate::error::ApiError;

/// The largest JSON body accepted: room for the largest lists the spec allows (a call over
/// thousands of municipalities, an offer of two thousand items).
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// A point in a request where a test can make the process die, to prove what survives a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// A creating request's transaction has committed; its answer has not been sent.
    AfterCommit,
}

/// The fault hook: none outside tests.
pub type FaultHook = Arc<dyn Fn(FaultPoint) + Send + Sync>;

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub clock: Arc<dyn Clock>,
    pub documents: storage::DocumentStore,
    /// The web origins whose pages may call the API (CORS); none by default.
    pub cors_origins: Vec<String>,
    pub metrics: Arc<metrics::Metrics>,
    /// The prefix of every OCDS `ocid` (`AMBITO_OCDS_PREFIX`).
    pub ocds_prefix: String,
    /// Whether the API's own address serves `GET /metrics` (a token is configured).
    metrics_on_api: bool,
    faults: Option<FaultHook>,
}

impl AppState {
    pub fn new(db: Db, tokens: Tokens, clock: Arc<dyn Clock>, documents: storage::DocumentStore) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            db,
            tokens,
            passwords: Passwords::new(cores, Duration::from_millis(500)),
            clock,
            documents,
            cors_origins: Vec::new(),
            metrics: Arc::new(metrics::Metrics::new(None)),
            metrics_on_api: false,
            ocds_prefix: ambito_domain::ocds::DEVELOPMENT_PREFIX.to_owned(),
            faults: None,
        }
    }

    /// Allows pages of these origins to call the API from a browser.
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Self {
        self.cors_origins = origins;
        self
    }

    /// Publishes OCDS under this `ocid` prefix.
    pub fn with_ocds_prefix(mut self, prefix: &str) -> Self {
        self.ocds_prefix = prefix.to_owned();
        self
    }

    /// Serves `GET /metrics` on the API's address, to callers with this bearer token.
    pub fn with_metrics_token(mut self, token: &str) -> Self {
        self.metrics = Arc::new(metrics::Metrics::new(Some(token)));
        self.metrics_on_api = true;
        self
    }

    /// Calls `hook` at each fault point: for tests that kill the process there.
    pub fn with_fault_hook(mut self, hook: FaultHook) -> Self {
        self.faults = Some(hook);
        self
    }

    pub(crate) fn fault(&self, point: FaultPoint) {
        if let Some(hook) = &self.faults {
            hook(point);
        }
    }

    /// What a command needs to know of the request: who acts, and when.
    pub fn context(&self, caller: &auth::Caller) -> commands::Context {
        commands::Context { actor: caller.actor, origin: caller.origin.clone(), now: self.clock.now() }
    }

    /// Runs `f` on a pooled connection, on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        within_deadline(blocking(move || db.read(f))).await
    }

    /// Runs `f` in one write transaction, on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        within_deadline(blocking(move || db.write(f))).await
    }
}

/// The longest a request waits for the database, pool and statements included, before it is
/// told the service is unavailable. PostgreSQL's own `statement_timeout` is shorter, so this
/// bounds what the server cannot: a database that stopped answering at all.
pub const DB_DEADLINE: Duration = Duration::from_secs(10);

/// Runs database work with [`DB_DEADLINE`]; the work itself may still finish later (a write
/// then commits as if its answer were lost, which an Idempotency-Key's retry finds).
pub async fn within_deadline<T>(work: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    tokio::time::timeout(DB_DEADLINE, work).await.unwrap_or_else(|_| {
        tracing::warn!(seconds = DB_DEADLINE.as_secs(), "the database did not answer in time");
        Err(ApiError::Unavailable)
    })
}

/// Runs blocking work (diesel, argon2) off the actix workers, inside the request's span.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(f)).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::Internal
    })?
}

/// A free text of `min` to `max` characters as written, not all spaces; returned trimmed. The
/// schema states the same: `minLength`, `maxLength` and the pattern `\S`.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    if (min..=max).contains(&ambito_domain::text::length(value)) {
        Ok(ambito_domain::text::trim(value).to_owned())
    } else {
        Err(ApiError::invalid_field(field, format!("{min} to {max} characters, not all spaces")))
    }
}

/// Parses an optional field into the collector.
pub fn parse_field<T, E: std::fmt::Display>(
    c: &mut Collector,
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    value.and_then(|v| c.field(field, parse(v)))
}

fn api_routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    use routes::*;
    app.service(
        scope("/api/v1")
            .service(auth::log_in)
            .service(auth::get_service_token)
            .service(auth::refresh_tokens)
            .service(auth::log_out)
            .service(me::get_me)
            .service(me::change_password)
            .service(organizations::list_organizations)
            .service(organizations::create_organization)
            .service(organizations::get_organization)
            .service(organizations::update_organization)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(users::create_service_account)
            .service(districts::list_districts)
            .service(districts::create_district)
            .service(districts::get_district)
            .service(districts::update_district)
            .service(catalogue::list_municipalities)
            .service(catalogue::get_municipality)
            .service(catalogue::list_product_lines)
            .service(catalogue::list_interventions)
            .service(audit::list_audit_events)
            .service(tenders::list_tenders)
            .service(tenders::create_tender)
            .service(tenders::get_tender)
            .service(tenders::replace_tender)
            .service(tenders::publish_tender)
            .service(tenders::cancel_tender)
            .service(tenders::amend_tender)
            .service(tenders::list_amendments)
            .service(tenders::conclude_tender)
            .service(tenders::reopen_tender)
            .service(tenders::tender_coverage)
            .service(tenders::tender_accreditations)
            .service(tenders::ask_question)
            .service(tenders::list_questions)
            .service(tenders::get_question)
            .service(tenders::answer_question)
            .service(documents::upload_tender_document)
            .service(documents::list_tender_documents)
            .service(documents::download_tender_document)
            .service(applications::create_application)
            .service(applications::record_application)
            .service(applications::list_applications)
            .service(applications::list_all_applications)
            .service(applications::get_application)
            .service(applications::replace_application)
            .service(applications::upload_application_document)
            .service(applications::list_application_documents)
            .service(applications::download_application_document)
            .service(applications::submit_application)
            .service(applications::withdraw_application)
            .service(applications::confirm_application)
            .service(applications::admit_application)
            .service(applications::exclude_application)
            .service(applications::request_integration)
            .service(applications::answer_integration)
            .service(applications::list_receipts)
            .service(accreditations::list_accreditations)
            .service(accreditations::get_accreditation)
            .service(accreditations::suspend_accreditation)
            .service(accreditations::reinstate_accreditation)
            .service(accreditations::revoke_accreditation)
            .service(registry::tender_registry)
            .service(registry::district_registry)
            .service(registry::tender_coverage_matrix)
            .service(registry::district_coverage_matrix)
            .service(registry::eligible_providers)
            .service(providers::record_certificate)
            .service(providers::list_certificates)
            .service(providers::get_certificate)
            .service(providers::upload_certificate_document)
            .service(providers::download_certificate_document)
            .service(providers::confirm_requirements)
            .service(patti::create_patto)
            .service(patti::list_patti)
            .service(patti::get_patto)
            .service(patti::sign_patto)
            .service(patti::amend_patto)
            .service(patti::suspend_patto)
            .service(patti::reinstate_patto)
            .service(patti::revoke_patto)
            .service(patti::upload_patto_document)
            .service(patti::list_patto_documents)
            .service(patti::download_patto_document)
            .service(beneficiaries::register_beneficiary)
            .service(beneficiaries::list_beneficiaries)
            .service(beneficiaries::lookup_beneficiary)
            .service(beneficiaries::get_beneficiary)
            .service(beneficiaries::correct_beneficiary)
            .service(beneficiaries::record_isee)
            .service(beneficiaries::list_isee)
            .service(beneficiaries::beneficiary_access_log)
            .service(copayment::enact_rule)
            .service(copayment::list_rules)
            .service(copayment::simulate)
            .service(service_requests::submit_request)
            .service(service_requests::list_requests)
            .service(service_requests::get_request)
            .service(service_requests::request_integration)
            .service(service_requests::answer_integration)
            .service(service_requests::assess_request)
            .service(service_requests::choosable_providers)
            .service(service_requests::choose_provider)
            .service(service_requests::accept_offer)
            .service(service_requests::decline_offer)
            .service(service_requests::suspend_request)
            .service(service_requests::resume_request)
            .service(service_requests::close_request)
            .service(mediation::register_mediator)
            .service(mediation::list_mediators)
            .service(mediation::deactivate_mediator)
            .service(mediation::request_mediation)
            .service(mediation::list_mediations)
            .service(mediation::mediation_calendar)
            .service(mediation::get_mediation)
            .service(mediation::offer_mediation)
            .service(mediation::confirm_mediation)
            .service(mediation::decline_mediation)
            .service(mediation::deliver_mediation)
            .service(mediation::no_show)
            .service(mediation::cancel_mediation)
            .service(delivery_reports::submit_report)
            .service(delivery_reports::list_reports)
            .service(delivery_reports::report_summary)
            .service(delivery_reports::get_report)
            .service(delivery_reports::contest_report)
            .service(delivery_reports::correct_report)
            .service(delivery_reports::validate_report)
            .service(events::list_events)
            .service(ocds::tender_releases)
            .service(ocds::tender_record)
            .service(ocds::call_off_releases),
    )
    .service(health::live)
    .service(health::ready)
}

/// The OpenAPI document, as the code defines it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = api_routes(App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi())).split_for_parts().1;
    openapi::finish(&mut spec);
    spec
}

/// The OpenAPI document as YAML (`ambito openapi`, `openapi.yaml`), with every date and instant
/// quoted: YAML 1.1 readers (PyYAML, many generators) would read `2022-05-30` as a date.
pub fn openapi_yaml() -> Result<String, String> {
    let yaml = openapi().to_yaml().map_err(|e| e.to_string())?;
    let mut quoted = String::with_capacity(yaml.len() + 1024);
    for line in yaml.lines() {
        let start = match line.find(": ") {
            Some(i) => i + 2,
            None => line.len() - line.trim_start().trim_start_matches("- ").len(),
        };
        let value = &line[start..];
        let b = value.as_bytes();
        let dated = b.len() >= 10
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[5..7].iter().all(u8::is_ascii_digit)
            && b[7] == b'-'
            && b[8..10].iter().all(u8::is_ascii_digit)
            && !value.contains(['\'', '"', ' ', '#']);
        if dated {
            quoted.push_str(&line[..start]);
            quoted.push('\'');
            quoted.push_str(value);
            quoted.push('\'');
        } else {
            quoted.push_str(line);
        }
        quoted.push('\n');
    }
    Ok(quoted)
}

/// The whole application, as each HTTP worker runs it.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut spec) =
        api_routes(App::new().into_utoipa_app().openapi(openapi::ApiDoc::openapi())).split_for_parts();
    openapi::finish(&mut spec);
    let routes = web::Data::new(RouteTable::from_spec(&spec));
    let cors = cors::middleware(&state.cors_origins);
    // Operations, not the API: outside the spec, and there only when a token guards it.
    let app = if state.metrics_on_api { app.route("/metrics", web::get().to(metrics::scrape)) } else { app };
    app.app_data(state)
        .app_data(routes)
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        // `/docs` is the address the log, the README and `--help` give; Swagger UI's relative
        // links need the trailing slash, so `/docs` redirects there.
        .service(web::redirect("/docs", "/docs/").permanent())
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", spec)
                // A token pasted into Authorize survives a reload of the page.
                .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
        )
        .default_service(web::to(fallback))
        .wrap(from_fn(conventions))
        .wrap(from_fn(request_limits::middleware))
        // Outside the conventions, so that a preflight is answered before routing.
        .wrap(cors)
        .wrap(from_fn(metrics::middleware))
        .wrap(from_fn(request_id::middleware))
}

/// The metrics alone, for a listener of their own (`AMBITO_METRICS_BIND`).
pub fn metrics_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .route("/metrics", web::get().to(metrics::scrape))
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::NotFound) }))
}

/// The documented operations: their paths, methods and query parameters. It tells an unknown
/// path (404) from a known path asked with a method it does not have (405), and a query
/// parameter the operation does not take (400) from one it does.
pub struct RouteTable(Vec<Route>);

struct Route {
    segments: Vec<String>,
    /// Each method with the query parameters it takes.
    methods: Vec<(String, Vec<String>)>,
}

impl RouteTable {
    fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        use utoipa::openapi::path::{Operation, ParameterIn};
        let query = |op: &Operation| -> Vec<String> {
            op.parameters
                .iter()
                .flatten()
                .filter(|p| p.parameter_in == ParameterIn::Query)
                .map(|p| p.name.clone())
                .collect()
        };
        let mut table = Vec::new();
        for (path, item) in &spec.paths.paths {
            let segments = path.split('/').map(str::to_owned).collect();
            let methods = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ]
            .into_iter()
            .filter_map(|(m, op)| op.as_ref().map(|op| (m.to_owned(), query(op))))
            .collect();
            table.push(Route { segments, methods });
        }
        Self(table)
    }

    fn matching<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Route> + 'a {
        let wanted: Vec<&str> = path.split('/').collect();
        self.0.iter().filter(move |route| {
            route.segments.len() == wanted.len()
                && route.segments.iter().zip(&wanted).all(|(s, w)| s == w || (s.starts_with('{') && !w.is_empty()))
        })
    }

    fn allowed(&self, path: &str) -> Option<String> {
        let mut methods: Vec<&str> =
            self.matching(path).flat_map(|route| route.methods.iter().map(|(m, _)| m.as_str())).collect();
        if methods.contains(&"GET") {
            methods.push("HEAD");
        }
        methods.sort_unstable();
        methods.dedup();
        (!methods.is_empty()).then(|| methods.join(", "))
    }

    /// The query parameters `method` on `path` takes; `None` when no documented operation is there.
    fn query_parameters<'a>(&'a self, method: &str, path: &'a str) -> Option<Vec<&'a str>> {
        let mut found = None::<Vec<&str>>;
        for route in self.matching(path) {
            for (m, params) in &route.methods {
                if m == method {
                    found.get_or_insert_with(Vec::new).extend(params.iter().map(String::as_str));
                }
            }
        }
        found
    }
}

/// The conventions every operation keeps, in one place: `HEAD` answers as `GET` does (without
/// the body); a query parameter the operation does not take is a 400 naming it; a `GET` whose
/// `ETag` matches `If-None-Match` answers 304.
async fn conventions(
    mut req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::Method;
    if req.method() == Method::HEAD {
        // The connection still knows the request was HEAD, and sends no body.
        req.head_mut().method = Method::GET;
    }
    let unknown = req.app_data::<web::Data<RouteTable>>().and_then(|table| {
        let taken = table.query_parameters(req.method().as_str(), req.path())?;
        let given = web::Query::<Vec<(String, String)>>::from_query(req.query_string()).ok()?.into_inner();
        let mut unknown: Vec<String> =
            given.into_iter().map(|(name, _)| name).filter(|name| !taken.contains(&name.as_str())).collect();
        unknown.dedup();
        (!unknown.is_empty()).then_some((unknown, taken.join(", ")))
    });
    if let Some((unknown, taken)) = unknown {
        let takes = if taken.is_empty() { "none".to_owned() } else { taken };
        let error = ApiError::BadRequest {
            code: "unknown_query_parameter",
            detail: format!("unknown query parameter {}: this operation takes {takes}", unknown.join(", ")),
            errors: unknown
                .iter()
                .map(|name| ambito_domain::FieldError::new(name, "not a parameter of this operation"))
                .collect(),
        };
        return Ok(req.error_response(error));
    }
    let if_none_match = (req.method() == Method::GET)
        .then(|| req.headers().get(actix_web::http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()))
        .flatten()
        .map(str::to_owned);
    let response = next.call(req).await?.map_into_boxed_body();
    match if_none_match {
        Some(tags) if response.status() == actix_web::http::StatusCode::OK => {
            Ok(conditional::not_modified_if_matching(response, &tags))
        }
        _ => Ok(response),
    }
}

async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound,
    })
}
