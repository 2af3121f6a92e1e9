//! Applications to a call: the provider's offer, documents, submission with a protocol number,
//! withdrawal and replacement, and the authority's examination (admit, exclude, integration).
//! A provider sees only its own applications; staff of the issuing authorities see all of a
//! call's; nobody else sees them.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, put, web};
use ambito_domain::application::{self as rules, ApplicationStatus, ExclusionReason};
use ambito_domain::rome::{add_days, in_rome, parse_instant};
use ambito_domain::{FieldError, IstatCode, Role};
use ambito_persistence::application::{
    self, Application, ApplicationFilter, Change, Declaration, Offer, Receipt, ScopeItem,
};
use ambito_persistence::document::{self, Owner};
use ambito_persistence::tender::{self, Tender};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{ActionErrors, CreateErrors, ReadErrors, UpdateErrors, UploadErrors};
use crate::pagination::{Listing, PageQuery};
use crate::routes::documents::{self, DocumentView};
use crate::routes::tenders::visible;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeItemView {
    #[schema(example = "home_care_generic", max_length = 64)]
    pub intervention: String,
    #[schema(example = "019021", pattern = "^[0-9]{6}$")]
    pub municipality: String,
}

impl From<ScopeItem> for ScopeItemView {
    fn from(s: ScopeItem) -> Self {
        Self { intervention: s.intervention, municipality: s.municipality.into() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationView {
    /// The code of a requirement of the call that is met by declaration.
    #[schema(example = "no_exclusion_grounds", max_length = 64)]
    pub requirement_code: String,
    pub accepted: bool,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// What the provider offers to serve, and what it declares. Status, protocol number and
/// decisions are the authority's to set, and are refused here.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "scope": [{"intervention": "home_care_generic", "municipality": "019021"}],
    "declarations": [{"requirement_code": "no_exclusion_grounds", "accepted": true}]
}))]
pub struct ApplicationInput {
    #[schema(min_items = 1, max_items = 2000)]
    pub scope: Vec<ScopeItemView>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub declarations: Vec<DeclarationView>,
}

impl ApplicationInput {
    fn parse(self) -> Result<Offer, ApiError> {
        let mut errors = Vec::new();
        let mut scope = Vec::new();
        for (i, s) in self.scope.into_iter().enumerate() {
            match IstatCode::parse(&s.municipality) {
                Ok(m) => scope.push(ScopeItem { intervention: s.intervention, municipality: m }),
                Err(e) => errors.push(FieldError::new(format!("scope.{i}.municipality"), e.to_string())),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let declarations = self
            .declarations
            .into_iter()
            .map(|d| Declaration { requirement_code: d.requirement_code, accepted: d.accepted, note: d.note })
            .collect();
        Ok(Offer { scope, declarations })
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatusView {
    Draft,
    Submitted,
    Withdrawn,
    Replaced,
    IntegrationRequested,
    Admitted,
    Excluded,
}

impl From<ApplicationStatus> for ApplicationStatusView {
    fn from(s: ApplicationStatus) -> Self {
        match s {
            ApplicationStatus::Draft => Self::Draft,
            ApplicationStatus::Submitted => Self::Submitted,
            ApplicationStatus::Withdrawn => Self::Withdrawn,
            ApplicationStatus::Replaced => Self::Replaced,
            ApplicationStatus::IntegrationRequested => Self::IntegrationRequested,
            ApplicationStatus::Admitted => Self::Admitted,
            ApplicationStatus::Excluded => Self::Excluded,
        }
    }
}

impl From<ApplicationStatusView> for ApplicationStatus {
    fn from(s: ApplicationStatusView) -> Self {
        match s {
            ApplicationStatusView::Draft => Self::Draft,
            ApplicationStatusView::Submitted => Self::Submitted,
            ApplicationStatusView::Withdrawn => Self::Withdrawn,
            ApplicationStatusView::Replaced => Self::Replaced,
            ApplicationStatusView::IntegrationRequested => Self::IntegrationRequested,
            ApplicationStatusView::Admitted => Self::Admitted,
            ApplicationStatusView::Excluded => Self::Excluded,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReasonView {
    Late,
    MissingGeneralRequirement,
    MissingSpecificRequirement,
    MissingDocument,
    Other,
}

impl From<ExclusionReasonView> for ExclusionReason {
    fn from(r: ExclusionReasonView) -> Self {
        match r {
            ExclusionReasonView::Late => Self::Late,
            ExclusionReasonView::MissingGeneralRequirement => Self::MissingGeneralRequirement,
            ExclusionReasonView::MissingSpecificRequirement => Self::MissingSpecificRequirement,
            ExclusionReasonView::MissingDocument => Self::MissingDocument,
            ExclusionReasonView::Other => Self::Other,
        }
    }
}

impl From<ExclusionReason> for ExclusionReasonView {
    fn from(r: ExclusionReason) -> Self {
        match r {
            ExclusionReason::Late => Self::Late,
            ExclusionReason::MissingGeneralRequirement => Self::MissingGeneralRequirement,
            ExclusionReason::MissingSpecificRequirement => Self::MissingSpecificRequirement,
            ExclusionReason::MissingDocument => Self::MissingDocument,
            ExclusionReason::Other => Self::Other,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// For an exclusion.
    pub reason: Option<ExclusionReasonView>,
    pub text: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationRequestView {
    pub id: Uuid,
    /// What the provider must add (soccorso istruttorio).
    pub missing: String,
    #[schema(value_type = String, format = DateTime, example = "2022-06-10T12:00:00+02:00")]
    pub due_at: DateTime<FixedOffset>,
    pub requested_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    pub status: ApplicationStatusView,
    /// The call was amended materially after this submission: the provider must confirm it.
    pub needs_confirmation: bool,
    pub offered: Vec<ScopeItemView>,
    /// What the authority admitted (possibly less than offered).
    pub admitted: Vec<ScopeItemView>,
    pub declarations: Vec<DeclarationView>,
    #[schema(example = "2022/000017")]
    pub protocol_number: Option<String>,
    /// Receipt time of the current submission, in Europe/Rome time.
    #[schema(value_type = Option<String>, format = DateTime, example = "2022-05-30T11:59:59+02:00")]
    pub submitted_at: Option<DateTime<FixedOffset>>,
    /// SHA-256 of exactly what was submitted.
    pub snapshot_sha256: Option<String>,
    pub decision: Option<DecisionView>,
    pub integration_requests: Vec<IntegrationRequestView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Application> for ApplicationView {
    fn from(a: Application) -> Self {
        Self {
            id: a.id,
            tender_id: a.tender_id,
            provider_id: a.provider_id,
            status: a.status.into(),
            needs_confirmation: a.needs_confirmation,
            offered: a.offered.into_iter().map(Into::into).collect(),
            admitted: a.admitted.into_iter().map(Into::into).collect(),
            declarations: a
                .declarations
                .into_iter()
                .map(|d| DeclarationView { requirement_code: d.requirement_code, accepted: d.accepted, note: d.note })
                .collect(),
            protocol_number: a.protocol_number,
            submitted_at: a.submitted_at.map(in_rome),
            snapshot_sha256: a.snapshot_sha256,
            decision: a.decision.map(|d| DecisionView {
                reason: d.reason.map(Into::into),
                text: d.text,
                decided_at: d.decided_at,
                decided_by: d.decided_by,
            }),
            integration_requests: a
                .integration_requests
                .into_iter()
                .map(|r| IntegrationRequestView {
                    id: r.id,
                    missing: r.missing,
                    due_at: in_rome(r.due_at),
                    requested_at: r.requested_at,
                    answered_at: r.answered_at,
                })
                .collect(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// The receipt of a submission: its protocol number, when it arrived (Rome time), and the
/// SHA-256 of what arrived.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    #[schema(example = "2022/000017")]
    pub protocol_number: String,
    /// `submission`, or `integration` for an answer to an integration request.
    #[schema(example = "submission")]
    pub kind: String,
    /// The authority that received and numbered it.
    pub authority_id: Uuid,
    #[schema(value_type = String, format = DateTime, example = "2022-05-30T11:59:59+02:00")]
    pub received_at: DateTime<FixedOffset>,
    pub sha256: String,
}

impl From<Receipt> for ReceiptView {
    fn from(r: Receipt) -> Self {
        Self {
            protocol_number: r.protocol_number,
            kind: r.kind,
            authority_id: r.authority_id,
            received_at: in_rome(r.received_at),
            sha256: r.sha256,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub application: ApplicationView,
    pub receipt: ReceiptView,
}

/// An application and its call, if the caller may see it: its provider's members, the call's
/// issuing authorities' staff, and admins. Anyone else is told it does not exist.
async fn accessible(state: &AppState, caller: &Caller, id: Uuid) -> Result<(Application, Tender), ApiError> {
    let (app, t) = state
        .read(move |conn| {
            let app = application::get(conn, id)?;
            let t = tender::get(conn, app.tender_id)?;
            Ok((app, t))
        })
        .await?;
    let org = caller.organization_id();
    // A draft is the provider's own until submitted: the authority does not read offers early.
    let received = app.status != ApplicationStatus::Draft;
    if app.provider_id == org || (received && (caller.is_admin() || t.is_issued_by(org))) {
        Ok((app, t))
    } else {
        Err(ApiError::NotFound)
    }
}

fn require_owner(caller: &Caller, app: &Application) -> Result<(), ApiError> {
    if caller.role() == Role::ProviderMember && app.provider_id == caller.organization_id() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

fn require_examiner(caller: &Caller, t: &Tender) -> Result<(), ApiError> {
    if caller.role() == Role::AuthorityStaff && t.is_issued_by(caller.organization_id()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

fn expected(if_match: Option<IfMatch>, current: i64) -> i64 {
    if_match.map_or(current, |m| m.expected(current))
}

/// Apply to a call
///
/// Provider members, while the call is open. The application starts as a draft: attach the
/// required documents, then submit it.
#[utoipa::path(
    tag = "applications",
    request_body = ApplicationInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request return the first result instead of creating twice: 1 to 255 visible ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]+$"),
    ),
    responses((status = 201, description = "The draft application", body = ApplicationView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let tender_id = id.into_inner();
    visible(&state, Some(&caller), tender_id).await?;
    if caller.role() != Role::ProviderMember {
        return Err(ApiError::Forbidden);
    }
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let offer = body.parse()?;
    let scope = format!("tenders/{tender_id}/applications");
    idempotency::run(&state, &caller, key, &scope, &fingerprint, async {
        let (actor, provider, now) = (caller.actor.clone(), caller.organization_id(), state.clock.now());
        let app = state
            .write(move |conn| {
                let t = tender::get(conn, tender_id)?;
                rules::check_can_apply(t.status(now))?;
                Ok(application::create(conn, &actor, &t, provider, &offer)?)
            })
            .await?;
        let location = format!("/api/v1/applications/{}", app.id);
        let version = app.version;
        Ok(Created::new(&ApplicationView::from(app), location, Some(version)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this status.
    pub status: Option<ApplicationStatusView>,
}

/// List a call's applications
///
/// Staff of the issuing authorities see every application once submitted (drafts stay the
/// provider's own); a provider sees its own.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The call's id"), PageQuery, ApplicationQuery),
    responses((status = 200, description = "One page of applications", body = Listing<ApplicationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/tenders/{id}/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
    query: web::Query<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    let tender_id = id.into_inner();
    let page = page.page()?;
    let (t, _) = visible(&state, Some(&caller), tender_id).await?;
    let provider_id = if caller.is_admin() || t.is_issued_by(caller.organization_id()) {
        None
    } else if caller.role() == Role::ProviderMember {
        Some(caller.organization_id())
    } else {
        return Err(ApiError::NotFound);
    };
    let filter = ApplicationFilter {
        tender_id: Some(tender_id),
        provider_id,
        status: query.status.map(Into::into),
        // Others than the provider see applications once submitted, never drafts.
        received_only: provider_id.is_none(),
    };
    let paged = state.read(move |conn| Ok(application::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, ApplicationView::from)))
}

/// Get an application
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "The application", body = ApplicationView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (app, _) = accessible(&state, &caller, id.into_inner()).await?;
    let version = app.version;
    Ok(ok_with_etag(&ApplicationView::from(app), version))
}

/// Change a draft application
///
/// Replaces the offer and the declarations of a draft.
#[utoipa::path(
    tag = "applications",
    request_body = ApplicationInput,
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
    ),
    responses((status = 200, description = "The draft", body = ApplicationView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[put("/applications/{id}")]
pub async fn replace_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, _) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    let offer = body.into_inner().parse()?;
    let actor = caller.actor.clone();
    let updated = state
        .write(move |conn| {
            let app = application::get(conn, id)?;
            rules::check_editable(app.status)?;
            let t = tender::get(conn, app.tender_id)?;
            Ok(application::update_offer(conn, &actor, id, if_match.expected(app.version), &t, &offer)?)
        })
        .await?;
    let version = updated.version;
    Ok(ok_with_etag(&ApplicationView::from(updated), version))
}

/// Attach a document to an application
///
/// To a draft while the call is open, or to answer an integration request before it is due.
#[utoipa::path(
    tag = "applications",
    request_body(content = documents::DocumentUpload, content_type = "multipart/form-data"),
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 201, description = "Stored", body = DocumentView), UploadErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/documents")]
pub async fn upload_application_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, t) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    rules::check_documents_open(app.status)?;
    let now = state.clock.now();
    match app.integration_requests.iter().find(|r| r.answered_at.is_none()) {
        Some(open) if app.status == ApplicationStatus::IntegrationRequested => {
            rules::check_integration_answer(app.status, open.due_at, now)?
        }
        _ => rules::check_submit(app.status, t.terms.submission_deadline, now)?,
    }
    let doc = documents::store(&state, &caller, Owner::Application, id, form).await?;
    Ok(HttpResponse::Created().json(DocumentView::from(doc)))
}

/// List an application's documents
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "Documents", body = Vec<DocumentView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications/{id}/documents")]
pub async fn list_application_documents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    accessible(&state, &caller, id).await?;
    let docs = state.read(move |conn| Ok(document::of(conn, Owner::Application, id)?)).await?;
    Ok(HttpResponse::Ok().json(docs.into_iter().map(DocumentView::from).collect::<Vec<_>>()))
}

/// Download an application's document
///
/// The bytes as uploaded, checked against their SHA-256 (also sent as `X-Content-SHA256`).
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), ("document_id" = Uuid, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document: a PDF or a signed .p7m envelope", content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/pkcs7-mime"))),
        ReadErrors,
        (status = 500, description = "The stored bytes no longer match their hash", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []))
)]
#[get("/applications/{id}/documents/{document_id}")]
pub async fn download_application_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, document_id) = path.into_inner();
    accessible(&state, &caller, id).await?;
    let doc = state.read(move |conn| Ok(document::get(conn, Owner::Application, id, document_id)?)).await?;
    documents::download(&state, doc).await
}

/// Submit an application
///
/// Before the deadline by the server's clock, with every required declaration and document:
/// gives a protocol number and freezes what was submitted. Submitting a new application to the
/// same call replaces the earlier one, which stays on record.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being submitted"),
    ),
    responses((status = 200, description = "Submitted, with its receipt", body = SubmissionView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/submit")]
pub async fn submit_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, _) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let (app, receipt) = state
        .write(move |conn| {
            let app = application::get(conn, id)?;
            let t = tender::get(conn, app.tender_id)?;
            rules::check_submit(app.status, t.terms.submission_deadline, now)?;
            rules::check_can_apply(t.status(now))?;
            Ok(application::submit(conn, &actor, id, expected(if_match, app.version), &t, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SubmissionView { application: app.into(), receipt: receipt.into() }))
}

/// Runs one lifecycle change in a transaction after `check` accepts it on the stored state.
async fn change(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: Option<IfMatch>,
    check: impl FnOnce(&Application, &Tender, DateTime<Utc>) -> Result<(), ApiError> + Send + 'static,
    make: impl FnOnce() -> Change + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let app = state
        .write(move |conn| {
            let app = application::get(conn, id)?;
            let t = tender::get(conn, app.tender_id)?;
            check(&app, &t, now)?;
            Ok(application::change(conn, &actor, id, expected(if_match, app.version), make(), now)?)
        })
        .await?;
    let version = app.version;
    Ok(ok_with_etag(&ApplicationView::from(app), version))
}

/// Withdraw an application
///
/// The provider, before the deadline.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being changed"),
    ),
    responses((status = 200, description = "Withdrawn", body = ApplicationView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, _) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    change(
        &state,
        &caller,
        id,
        if_match,
        |app, t, now| Ok(rules::check_withdraw(app.status, t.terms.submission_deadline, now)?),
        || Change::Withdraw,
    )
    .await
}

/// Confirm an application after an amendment
///
/// The provider confirms its submission still stands after a material amendment of the call.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being changed"),
    ),
    responses((status = 200, description = "Confirmed", body = ApplicationView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/confirm")]
pub async fn confirm_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, _) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    change(
        &state,
        &caller,
        id,
        if_match,
        |app, t, now| {
            if app.status != ApplicationStatus::Submitted || !app.needs_confirmation {
                return Err(ApiError::Conflict {
                    code: "nothing_to_confirm",
                    detail: "only a submitted application awaiting confirmation after an amendment can be confirmed"
                        .into(),
                });
            }
            Ok(rules::check_withdraw(app.status, t.terms.submission_deadline, now)?)
        },
        || Change::Confirm,
    )
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": [{"intervention": "home_care_generic", "municipality": "019021"}]}))]
pub struct AdmitInput {
    /// What is admitted; everything offered when left out.
    #[schema(max_items = 2000)]
    pub scope: Option<Vec<ScopeItemView>>,
}

/// Admit an application
///
/// Staff of an issuing authority, after the deadline: per intervention and municipality,
/// possibly fewer than offered.
#[utoipa::path(
    tag = "applications",
    request_body = AdmitInput,
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being decided"),
    ),
    responses((status = 200, description = "Admitted", body = ApplicationView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/admit")]
pub async fn admit_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<AdmitInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, t) = accessible(&state, &caller, id).await?;
    require_examiner(&caller, &t)?;
    let scope = match body.into_inner().scope {
        None => None,
        Some(items) => Some(ApplicationInput { scope: items, declarations: Vec::new() }.parse()?.scope),
    };
    change(
        &state,
        &caller,
        id,
        if_match,
        |app, t, now| {
            rules::check_examinable(app.status, t.status(now), t.terms.submission_deadline, rules::ADMISSIBLE)?;
            if app.needs_confirmation {
                return Err(ApiError::Conflict {
                    code: "confirmation_pending",
                    detail: "the provider has not confirmed this application after the call's amendment".into(),
                });
            }
            Ok(())
        },
        move || Change::Admit { scope },
    )
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "missing_document", "text": "Carta dei servizi non allegata nemmeno dopo il soccorso istruttorio"}))]
pub struct ExcludeInput {
    pub reason: ExclusionReasonView,
    #[schema(min_length = 3, max_length = 4000, pattern = "\\S")]
    pub text: String,
}

/// Exclude an application
///
/// Staff of an issuing authority, after the deadline, with a reason code and a text.
#[utoipa::path(
    tag = "applications",
    request_body = ExcludeInput,
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being decided"),
    ),
    responses((status = 200, description = "Excluded", body = ApplicationView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/exclude")]
pub async fn exclude_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<ExcludeInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, t) = accessible(&state, &caller, id).await?;
    require_examiner(&caller, &t)?;
    let body = body.into_inner();
    let text = crate::text("text", &body.text, 3, 4000)?;
    let reason = body.reason.into();
    change(
        &state,
        &caller,
        id,
        if_match,
        |app, t, now| {
            Ok(rules::check_examinable(app.status, t.status(now), t.terms.submission_deadline, rules::EXCLUDABLE)?)
        },
        move || Change::Exclude { reason, text },
    )
    .await
}

/// An integration request: what is missing, and when it is due: an instant (`due_at`), or a
/// number of days counted on the Rome calendar (`due_in_days`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"missing": "Carta dei servizi sottoscritta", "due_in_days": 10}))]
pub struct IntegrationInput {
    #[schema(min_length = 3, max_length = 4000, pattern = "\\S")]
    pub missing: String,
    #[schema(example = "2022-06-10T12:00:00+02:00", max_length = 40)]
    pub due_at: Option<String>,
    #[schema(minimum = 1, maximum = 90)]
    pub due_in_days: Option<i64>,
}

/// Request integration (soccorso istruttorio)
///
/// Staff of an issuing authority, after the deadline: the provider must add what is missing by
/// the due date, then the examination continues.
#[utoipa::path(
    tag = "applications",
    request_body = IntegrationInput,
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being decided"),
    ),
    responses((status = 200, description = "Integration requested", body = ApplicationView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/integration-requests")]
pub async fn request_integration(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<IntegrationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (_, t) = accessible(&state, &caller, id).await?;
    require_examiner(&caller, &t)?;
    let body = body.into_inner();
    let now = state.clock.now();
    let missing = crate::text("missing", &body.missing, 3, 4000)?;
    let due_at = match (&body.due_at, body.due_in_days) {
        (Some(at), None) => parse_instant(at).map_err(|e| ApiError::invalid_field("due_at", e.to_string()))?,
        (None, Some(days)) if (1..=90).contains(&days) => add_days(now, days),
        (None, Some(_)) => return Err(ApiError::invalid_field("due_in_days", "1 to 90 days")),
        _ => return Err(ApiError::invalid_field("due_at", "give either due_at or due_in_days")),
    };
    if due_at <= now {
        return Err(ApiError::invalid_field("due_at", "must be in the future"));
    }
    change(
        &state,
        &caller,
        id,
        if_match,
        |app, t, now| {
            Ok(rules::check_examinable(app.status, t.status(now), t.terms.submission_deadline, rules::INTEGRABLE)?)
        },
        move || Change::RequestIntegration { missing, due_at },
    )
    .await
}

/// Answer an integration request
///
/// The provider, by the due date, once what was missing is attached: the application is
/// received again with its own protocol number, and the examination continues.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being changed"),
    ),
    responses((status = 200, description = "Received again, with its receipt", body = SubmissionView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/integration-answer")]
pub async fn answer_integration(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (app, _) = accessible(&state, &caller, id).await?;
    require_owner(&caller, &app)?;
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let (app, receipt) = state
        .write(move |conn| {
            let app = application::get(conn, id)?;
            let due = app.integration_requests.iter().rev().find(|r| r.answered_at.is_none()).map(|r| r.due_at);
            rules::check_integration_answer(app.status, due.unwrap_or(now), now)?;
            let t = tender::get(conn, app.tender_id)?;
            Ok(application::answer_integration(conn, &actor, id, expected(if_match, app.version), &t, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SubmissionView { application: app.into(), receipt: receipt.into() }))
}

/// An application's receipts
///
/// Every submission and integration answer, with its protocol number and SHA-256, oldest first.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "Receipts", body = Vec<ReceiptView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications/{id}/receipts")]
pub async fn list_receipts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    accessible(&state, &caller, id).await?;
    let list = state.read(move |conn| Ok(application::receipts(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(ReceiptView::from).collect::<Vec<_>>()))
}
