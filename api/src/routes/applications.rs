//! Applications to a call: the provider's offer, documents, submission with a protocol number,
//! withdrawal and replacement, applications received outside the platform and recorded by staff,
//! and the authority's examination (admit, exclude, integration). Who may do what is the access
//! policy's; each handler parses, calls one command, and renders.

use actix_web::{HttpResponse, get, post, put, web};
use ambito_domain::application::{
    Application, ApplicationStatus, Channel, Declaration, ExclusionReason, IntegrationDue, Offer, Receipt, ReceiptKind,
    ScopeItem,
};
use ambito_domain::document::DocumentOwner;
use ambito_domain::rome::{in_rome, parse_instant};
use ambito_domain::{FieldError, InterventionCode, IstatCode, RequirementCode};
use ambito_persistence::{Page, application as applications};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::application::{self as command, Arrival};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{
    ActionErrors, CreateErrors, DocumentDownload, IdempotencyHeader, IfMatchHeader, IfMatchRequired, ReadErrors,
    UpdateErrors, UploadErrors,
};
use crate::pagination::{Listing, PageQuery};
use crate::routes::documents::{self, DocumentView};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeItemView {
    #[schema(example = "home_care_generic", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    #[schema(example = "019021", pattern = "^[0-9]{6}$")]
    pub municipality: String,
}

impl From<ScopeItem> for ScopeItemView {
    fn from(s: ScopeItem) -> Self {
        Self { intervention: s.intervention.into(), municipality: s.municipality.into() }
    }
}

/// Parses scope items, reporting every bad one under `field.i`.
pub fn parse_scope(field: &str, items: Vec<ScopeItemView>, errors: &mut Vec<FieldError>) -> Vec<ScopeItem> {
    let mut scope = Vec::new();
    for (i, s) in items.into_iter().enumerate() {
        let intervention = InterventionCode::parse(&s.intervention)
            .map_err(|e| errors.push(FieldError::new(format!("{field}.{i}.intervention"), e.to_string())));
        let municipality = IstatCode::parse(&s.municipality)
            .map_err(|e| errors.push(FieldError::new(format!("{field}.{i}.municipality"), e.to_string())));
        if let (Ok(intervention), Ok(municipality)) = (intervention, municipality) {
            scope.push(ScopeItem { intervention, municipality });
        }
    }
    scope
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationView {
    /// The code of a requirement of the call that is met by declaration.
    #[schema(example = "no_exclusion_grounds", min_length = 1, max_length = 64, pattern = "^\\S+$")]
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
        let scope = parse_scope("scope", self.scope, &mut errors);
        let mut declarations = Vec::new();
        for (i, d) in self.declarations.into_iter().enumerate() {
            match RequirementCode::parse(&d.requirement_code) {
                Ok(requirement_code) => {
                    declarations.push(Declaration { requirement_code, accepted: d.accepted, note: d.note })
                }
                Err(e) => errors.push(FieldError::new(format!("declarations.{i}.requirement_code"), e.to_string())),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
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
    /// Not confirmed by the deadline after a material amendment of the call.
    NotConfirmed,
    Other,
}

impl From<ExclusionReasonView> for ExclusionReason {
    fn from(r: ExclusionReasonView) -> Self {
        match r {
            ExclusionReasonView::Late => Self::Late,
            ExclusionReasonView::MissingGeneralRequirement => Self::MissingGeneralRequirement,
            ExclusionReasonView::MissingSpecificRequirement => Self::MissingSpecificRequirement,
            ExclusionReasonView::MissingDocument => Self::MissingDocument,
            ExclusionReasonView::NotConfirmed => Self::NotConfirmed,
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
            ExclusionReason::NotConfirmed => Self::NotConfirmed,
            ExclusionReason::Other => Self::Other,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// For an exclusion.
    pub reason: Option<ExclusionReasonView>,
    pub text: Option<String>,
    #[serde(serialize_with = "crate::time::rome")]
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
    #[serde(serialize_with = "crate::time::rome")]
    pub requested_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome_opt")]
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    pub status: ApplicationStatusView,
    /// How it reached the authority: on the platform, or by PEC, by hand, by post or by courier
    /// (recorded by the authority's staff).
    pub channel: ChannelView,
    /// For an application received outside the platform: when it arrived (Rome time).
    #[schema(value_type = Option<String>, format = DateTime, example = "2022-05-30T11:58:00+02:00")]
    pub received_at: Option<DateTime<FixedOffset>>,
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
    #[serde(serialize_with = "crate::time::rome")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome")]
    pub updated_at: DateTime<Utc>,
}

impl From<Application> for ApplicationView {
    fn from(a: Application) -> Self {
        Self {
            id: a.id.into(),
            tender_id: a.tender_id.into(),
            provider_id: a.provider_id.into(),
            status: a.status.into(),
            channel: a.channel().into(),
            received_at: a.recording.map(|r| in_rome(r.received_at)),
            needs_confirmation: a.needs_confirmation,
            offered: a.offered.into_iter().map(Into::into).collect(),
            admitted: a.admitted.into_iter().map(Into::into).collect(),
            declarations: a
                .declarations
                .into_iter()
                .map(|d| DeclarationView {
                    requirement_code: d.requirement_code.into(),
                    accepted: d.accepted,
                    note: d.note,
                })
                .collect(),
            protocol_number: a.protocol_number.map(|p| p.to_string()),
            submitted_at: a.submitted_at.map(in_rome),
            snapshot_sha256: a.snapshot_sha256,
            decision: a.outcome.map(|d| DecisionView {
                reason: d.reason.map(Into::into),
                text: d.text,
                decided_at: d.decided_at,
                decided_by: d.decided_by.map(Into::into),
            }),
            integration_requests: a
                .integration_requests
                .into_iter()
                .map(|r| IntegrationRequestView {
                    id: r.id.into(),
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
    pub kind: ReceiptKindView,
    /// The authority that received and numbered it.
    pub authority_id: Uuid,
    #[schema(value_type = String, format = DateTime, example = "2022-05-30T11:59:59+02:00")]
    pub received_at: DateTime<FixedOffset>,
    pub sha256: String,
}

impl From<Receipt> for ReceiptView {
    fn from(r: Receipt) -> Self {
        Self {
            protocol_number: r.protocol_number.to_string(),
            kind: match r.kind {
                ReceiptKind::Submission => ReceiptKindView::Submission,
                ReceiptKind::Integration => ReceiptKindView::Integration,
            },
            authority_id: r.authority_id.into(),
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

/// How an application reached the authority.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChannelView {
    Platform,
    Pec,
    Hand,
    Post,
    Courier,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Platform => Self::Platform,
            Channel::Pec => Self::Pec,
            Channel::Hand => Self::Hand,
            Channel::Post => Self::Post,
            Channel::Courier => Self::Courier,
        }
    }
}

/// How an application reached the authority outside the platform.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutsideChannelView {
    /// Certified e-mail: the instant of receipt is the PEC delivery receipt's.
    Pec,
    /// Delivered by hand to the protocol office.
    Hand,
    Post,
    Courier,
}

impl From<OutsideChannelView> for Channel {
    fn from(c: OutsideChannelView) -> Self {
        match c {
            OutsideChannelView::Pec => Self::Pec,
            OutsideChannelView::Hand => Self::Hand,
            OutsideChannelView::Post => Self::Post,
            OutsideChannelView::Courier => Self::Courier,
        }
    }
}

/// A submission, or an answer to an integration request (soccorso istruttorio).
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKindView {
    Submission,
    Integration,
}

fn render(app: Application) -> HttpResponse {
    let version = app.version;
    ok_with_etag(&ApplicationView::from(app), version)
}

fn submitted((app, receipt): (Application, Receipt)) -> HttpResponse {
    let version = app.version;
    ok_with_etag(&SubmissionView { application: app.into(), receipt: receipt.into() }, version)
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
        IdempotencyHeader,
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
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let offer = body.parse()?;
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, &format!("tenders/{tender_id}/applications"), &fingerprint, move |tx| {
        let app = command::open(tx, &ctx, tender_id.into(), offer.clone())?;
        let location = format!("/api/v1/applications/{}", app.id);
        let version = app.version;
        Ok(Created::new(&ApplicationView::from(app), location, Some(version)))
    })
    .await
}

/// An application that reached the authority outside the platform, as its staff record it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "provider_id": "0193a8f0-0000-7000-8000-000000000000",
    "channel": "pec",
    "received_at": "2022-05-30T11:58:00+02:00",
    "scope": [{"intervention": "mediation_health", "municipality": "019036"}],
    "declarations": [{"requirement_code": "no_exclusion_grounds", "accepted": true}]
}))]
pub struct RecordedApplicationInput {
    /// The provider that sent it.
    pub provider_id: Uuid,
    pub channel: OutsideChannelView,
    /// When it arrived: the PEC delivery receipt, or the protocol stamp on paper. Judged against
    /// the deadline like any submission; without an offset, Rome time.
    #[schema(example = "2022-05-30T11:58:00+02:00", max_length = 40)]
    pub received_at: String,
    #[schema(min_items = 1, max_items = 2000)]
    pub scope: Vec<ScopeItemView>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub declarations: Vec<DeclarationView>,
}

/// Record an application received outside the platform
///
/// Staff of an issuing authority, for an application that arrived by PEC, by hand, by post or
/// by courier before the deadline. It starts as a draft the staff complete with the scanned
/// documents, then register (`POST /applications/{id}/submit`): it takes the receiving
/// authority's next protocol number, stamped with the instant it arrived.
#[utoipa::path(
    tag = "applications",
    request_body = RecordedApplicationInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "The recorded application, a draft until registered", body = ApplicationView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/received-applications")]
pub async fn record_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<RecordedApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let tender_id = id.into_inner();
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let received_at =
        parse_instant(&body.received_at).map_err(|e| ApiError::invalid_field("received_at", e.to_string()));
    let arrival =
        Arrival { provider: body.provider_id.into(), channel: body.channel.into(), received_at: received_at? };
    let offer = ApplicationInput { scope: body.scope, declarations: body.declarations }.parse()?;
    let ctx = state.context(&caller);
    let scope = format!("tenders/{tender_id}/received-applications");
    idempotency::run(&state, &caller, key, &scope, &fingerprint, move |tx| {
        let app = command::record(tx, &ctx, tender_id.into(), arrival.clone(), offer.clone())?;
        let location = format!("/api/v1/applications/{}", app.id);
        let version = app.version;
        Ok(Created::new(&ApplicationView::from(app), location, Some(version)))
    })
    .await
}

/// The order of a list of applications.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationSortView {
    /// Oldest first, by creation (the default).
    #[default]
    Created,
    /// First received first (the instant of submission, or of receipt when recorded); never
    /// submitted ones (drafts) last.
    Submitted,
}

impl ApplicationSortView {
    /// The store's order, once the cursor is known to be one a list in this order gave out.
    fn checked(sort: Option<Self>, page: &Page) -> Result<applications::ApplicationSort, ApiError> {
        let sort = match sort.unwrap_or_default() {
            Self::Created => applications::ApplicationSort::Created,
            Self::Submitted => applications::ApplicationSort::Submitted,
        };
        match &page.after {
            Some(cursor) if !applications::valid_cursor(sort, cursor) => {
                Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"))
            }
            _ => Ok(sort),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this status.
    pub status: Option<ApplicationStatusView>,
    /// `created` (oldest first, the default) or `submitted` (first received first, drafts last).
    #[param(inline)]
    pub sort: Option<ApplicationSortView>,
}

/// List a call's applications
///
/// Staff of the issuing authorities see every application once submitted (drafts stay the
/// provider's own, but for those they are recording); a provider sees its own.
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
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let status = query.status.map(Into::into);
    let sort = ApplicationSortView::checked(query.sort, &page)?;
    let paged = state.read(move |tx| command::list(tx, &actor, id, status, sort, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, ApplicationView::from)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllApplicationsQuery {
    /// Only applications in this status.
    pub status: Option<ApplicationStatusView>,
    /// Only applications to this call.
    pub tender_id: Option<Uuid>,
    /// `created` (oldest first, the default) or `submitted` (first received first, drafts last).
    #[param(inline)]
    pub sort: Option<ApplicationSortView>,
}

/// List applications across calls
///
/// A provider's own applications to every call (its drafts included); for authority staff,
/// the applications to their authority's calls once submitted (and those they are recording);
/// for an admin, every submitted one. Municipalities take part in no call: 403. `sort` orders
/// them by creation (default) or by submission.
#[utoipa::path(
    tag = "applications",
    params(PageQuery, AllApplicationsQuery),
    responses((status = 200, description = "One page of applications", body = Listing<ApplicationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications")]
pub async fn list_all_applications(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<AllApplicationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, page) = (caller.actor, page.page()?);
    let status = query.status.map(Into::into);
    let tender_id = query.tender_id.map(Into::into);
    let sort = ApplicationSortView::checked(query.sort, &page)?;
    let paged = state.read(move |tx| command::list_all(tx, &actor, tender_id, status, sort, &page)).await?;
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
    let (actor, id) = (caller.actor, id.into_inner().into());
    Ok(render(state.read(move |tx| command::get(tx, &actor, id)).await?))
}

/// Change a draft application
///
/// Replaces the offer and the declarations of a draft.
#[utoipa::path(
    tag = "applications",
    request_body = ApplicationInput,
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IfMatchRequired,
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
    let offer = body.into_inner().parse()?;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::revise(tx, &ctx, id, if_match, offer)).await?))
}

/// Attach a document to an application
///
/// To a draft while it can be submitted, or to answer an integration request before it is due.
#[utoipa::path(
    tag = "applications",
    request_body(content = documents::DocumentUpload, content_type = "multipart/form-data"),
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Stored", body = DocumentView, headers(("Location" = String))), UploadErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/documents")]
pub async fn upload_application_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    form: documents::UploadForm,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let (actor, now) = (caller.actor, state.clock.now());
    state.read(move |tx| command::may_attach(tx, &actor, now, id)).await?;
    let ctx = state.context(&caller);
    let location = format!("/api/v1/applications/{id}/documents");
    documents::upload(&state, &caller, DocumentOwner::Application(id), location, key, form, move |tx, doc| {
        command::attach(tx, &ctx, doc)
    })
    .await
}

/// List an application's documents
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), PageQuery),
    responses((status = 200, description = "Documents, oldest first", body = Listing<DocumentView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications/{id}/documents")]
pub async fn list_application_documents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::documents(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, DocumentView::from)))
}

/// Download an application's document
///
/// The bytes as uploaded, checked against their SHA-256 (also sent as `X-Content-SHA256`).
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), ("document_id" = Uuid, Path, description = "The document's id")),
    responses(DocumentDownload),
    security(("bearer" = []))
)]
#[get("/applications/{id}/documents/{document_id}")]
pub async fn download_application_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, document_id) = path.into_inner();
    let actor = caller.actor;
    let doc = state.read(move |tx| command::document(tx, &actor, id.into(), document_id.into())).await?;
    documents::download(&state, doc).await
}

/// Submit an application
///
/// Before the deadline by the server's clock (for an application recorded by staff, by the
/// instant it arrived), with every required declaration and document: gives a protocol number
/// and freezes what was submitted. Submitting a new application to the same call replaces the
/// earlier one, which stays on record.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Submitted, with its receipt", body = SubmissionView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/submit")]
pub async fn submit_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(submitted(state.write(move |tx| command::submit(tx, &ctx, id, if_match)).await?))
}

/// Withdraw an application
///
/// The provider, before the deadline.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Withdrawn", body = ApplicationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::withdraw(tx, &ctx, id, if_match)).await?))
}

/// Confirm an application after an amendment
///
/// The provider confirms its submission still stands after a material amendment of the call,
/// by the (new) submission deadline. Unconfirmed after it, the application can only be
/// excluded (reason `not_confirmed`).
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Confirmed", body = ApplicationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/confirm")]
pub async fn confirm_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::confirm(tx, &ctx, id, if_match)).await?))
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
        IfMatchHeader,
    ),
    responses((status = 200, description = "Admitted", body = ApplicationView, headers(("ETag" = String))), ActionErrors),
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
    let scope = match body.into_inner().scope {
        None => None,
        Some(items) => {
            let mut errors = Vec::new();
            let scope = parse_scope("scope", items, &mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            Some(scope)
        }
    };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::admit(tx, &ctx, id, if_match, scope)).await?))
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
        IfMatchHeader,
    ),
    responses((status = 200, description = "Excluded", body = ApplicationView, headers(("ETag" = String))), ActionErrors),
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
    let body = body.into_inner();
    let text = crate::text("text", &body.text, 3, 4000)?;
    let reason: ExclusionReason = body.reason.into();
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::exclude(tx, &ctx, id, if_match, reason, text)).await?))
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
        IfMatchHeader,
    ),
    responses((status = 200, description = "Integration requested", body = ApplicationView, headers(("ETag" = String))), ActionErrors),
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
    let body = body.into_inner();
    let missing = crate::text("missing", &body.missing, 3, 4000)?;
    let due = match (&body.due_at, body.due_in_days) {
        (Some(at), None) => {
            IntegrationDue::At(parse_instant(at).map_err(|e| ApiError::invalid_field("due_at", e.to_string()))?)
        }
        (None, Some(days)) => IntegrationDue::InDays(days),
        _ => return Err(ApiError::invalid_field("due_at", "give either due_at or due_in_days")),
    };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::request_integration(tx, &ctx, id, if_match, missing, due)).await?))
}

/// Answer an integration request
///
/// The provider, by the due date, once what was missing is attached: the application is
/// received again with its own protocol number, and the examination continues.
#[utoipa::path(
    tag = "applications",
    params(
        ("id" = Uuid, Path, description = "The application's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Received again, with its receipt", body = SubmissionView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/applications/{id}/integration-answer")]
pub async fn answer_integration(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(submitted(state.write(move |tx| command::answer_integration(tx, &ctx, id, if_match)).await?))
}

/// An application's receipts
///
/// Every submission and integration answer, with its protocol number and SHA-256, oldest first.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), PageQuery),
    responses((status = 200, description = "Receipts", body = Listing<ReceiptView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/applications/{id}/receipts")]
pub async fn list_receipts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::receipts(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, ReceiptView::from)))
}
