//! Calls (bandi): drafting, publication, amendments, questions and answers, conclusion into
//! accreditations, coverage. Published calls are public. Each handler parses its input, calls
//! one command, and renders.

use actix_web::{HttpResponse, get, post, put, web};
use ambito_domain::coverage::Coverage;
use ambito_domain::measure::Act;
use ambito_domain::rome::{in_rome, parse_instant};
use ambito_domain::tender::{
    AmendedTerms, Amendment, Issuance, Question, Requirement, RequirementCategory, Round, TenderIntervention,
    TenderKind, TenderStatus, TenderTerms,
};
use ambito_domain::{Cents, DocumentType, FieldError, InterventionCode, IstatCode, RequirementCode};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Caller, MaybeCaller};
use crate::commands::tender::{self as command, Conclusion, TenderRead};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::{Json, OptionalJson};
use crate::openapi::{
    ActionErrors, CreateErrors, IdempotencyHeader, IfMatchHeader, IfMatchRequired, PublicErrors, UpdateErrors,
};
use crate::pagination::{Listing, PageQuery};
use crate::routes::accreditations::{AccreditationView, ActView};
use crate::routes::catalogue::UnitView;
use ambito_persistence::tender as tenders;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TenderKindView {
    /// Accreditation of a service, as seed 000 (mediation).
    Accreditation,
    /// A provider list over product lines, as seed 004 (home care).
    ProviderList,
}

/// Draft, published (open), closed (the deadline has passed: derived from the clock),
/// concluded, or cancelled.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TenderStatusView {
    Draft,
    Published,
    Closed,
    Concluded,
    Cancelled,
}

impl From<TenderStatusView> for TenderStatus {
    fn from(s: TenderStatusView) -> Self {
        match s {
            TenderStatusView::Draft => Self::Draft,
            TenderStatusView::Published => Self::Published,
            TenderStatusView::Closed => Self::Closed,
            TenderStatusView::Concluded => Self::Concluded,
            TenderStatusView::Cancelled => Self::Cancelled,
        }
    }
}

impl From<TenderStatus> for TenderStatusView {
    fn from(s: TenderStatus) -> Self {
        match s {
            TenderStatus::Draft => Self::Draft,
            TenderStatus::Published => Self::Published,
            TenderStatus::Closed => Self::Closed,
            TenderStatus::Concluded => Self::Concluded,
            TenderStatus::Cancelled => Self::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequirementCategoryView {
    General,
    Specific,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionTerms {
    /// A code of the service catalogue (`GET /api/v1/interventions`).
    #[schema(example = "mediation_health", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub code: String,
    /// Must be the catalogue's unit for this intervention.
    pub unit: UnitView,
    /// The rate the authority pays per unit, in euro cents.
    #[schema(example = 2500, minimum = 0, maximum = 100000000)]
    pub rate_cents: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementTerms {
    /// Unique within the call; applicants refer to it.
    #[schema(example = "durc", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub code: String,
    pub category: RequirementCategoryView,
    #[schema(
        example = "Regolarità contributiva (DURC) in corso di validità",
        min_length = 3,
        max_length = 2000,
        pattern = "\\S"
    )]
    pub description: String,
    /// When set, a document of this type must be attached; otherwise the applicant declares it.
    #[schema(example = "durc", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub document_type: Option<String>,
}

/// The terms of a call. Deadlines take an offset (`2022-05-30T12:00:00+02:00`) or are read as
/// Rome time (`2022-05-30T12:00`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "accreditation",
    "title": "Accreditamento sperimentale del servizio di mediazione linguistico-culturale",
    "reference_code": "PROG-2463",
    "responsible_official": "dr. Graziano Pirotta, Direttore Generale di Azienda Sociale Cremonese",
    "municipalities": ["019036"],
    "interventions": [{"code": "mediation_health", "unit": "hour", "rate_cents": 2500}],
    "requirements": [{"code": "durc", "category": "general", "description": "DURC in corso di validità", "document_type": "durc"}],
    "submission_deadline": "2022-05-30T12:00:00+02:00",
    "clarification_deadline": "2022-05-23T12:00:00+02:00",
    "validity_from": "2022-07-01",
    "validity_to": "2025-06-30"
}))]
pub struct TenderInput {
    pub kind: TenderKindView,
    #[schema(min_length = 3, max_length = 300, pattern = "\\S")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub description: String,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub reference_code: Option<String>,
    /// The official responsible for the procedure (responsabile del procedimento).
    #[schema(min_length = 2, max_length = 200, pattern = "\\S")]
    pub responsible_official: String,
    /// Issuing authorities, the receiving one first; the caller's own when left out.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub authorities: Vec<Uuid>,
    /// Districts covered: their municipalities are added to `municipalities`.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub districts: Vec<Uuid>,
    /// ISTAT codes of municipalities covered.
    #[serde(default)]
    #[schema(max_items = 8000, value_type = Vec<crate::routes::catalogue::IstatCodeText>)]
    pub municipalities: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub interventions: Vec<InterventionTerms>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub requirements: Vec<RequirementTerms>,
    #[schema(example = "2022-05-30T12:00:00+02:00", max_length = 40)]
    pub submission_deadline: String,
    #[schema(example = "2022-05-23T12:00:00+02:00", max_length = 40)]
    pub clarification_deadline: String,
    /// First day of the accreditations' validity.
    pub validity_from: NaiveDate,
    /// Last day of the accreditations' validity.
    pub validity_to: NaiveDate,
}

impl TenderInput {
    /// The domain's issuance, or every field that cannot be read.
    fn parse(&self, caller: &Caller) -> Result<Issuance, ApiError> {
        let mut errors = Vec::new();
        let mut field = |name: String, message: String| errors.push(FieldError::new(name, message));
        let submission = parse_instant(&self.submission_deadline)
            .map_err(|e| field("submission_deadline".into(), e.to_string()))
            .ok();
        let clarification = parse_instant(&self.clarification_deadline)
            .map_err(|e| field("clarification_deadline".into(), e.to_string()))
            .ok();
        let mut municipalities = Vec::new();
        for (i, m) in self.municipalities.iter().enumerate() {
            match IstatCode::parse(m) {
                Ok(code) => municipalities.push(code),
                Err(e) => field(format!("municipalities.{i}"), e.to_string()),
            }
        }
        let mut interventions = Vec::new();
        for (i, item) in self.interventions.iter().enumerate() {
            let code = InterventionCode::parse(&item.code)
                .map_err(|e| field(format!("interventions.{i}.code"), e.to_string()));
            let rate =
                Cents::new(item.rate_cents).map_err(|e| field(format!("interventions.{i}.rate_cents"), e.to_string()));
            if let (Ok(code), Ok(rate)) = (code, rate) {
                interventions.push(TenderIntervention { code, unit: item.unit.into(), rate });
            }
        }
        let mut requirements = Vec::new();
        for (i, r) in self.requirements.iter().enumerate() {
            let code =
                RequirementCode::parse(&r.code).map_err(|e| field(format!("requirements.{i}.code"), e.to_string()));
            let document_type = r
                .document_type
                .as_deref()
                .map(DocumentType::parse)
                .transpose()
                .map_err(|e| field(format!("requirements.{i}.document_type"), e.to_string()));
            if let (Ok(code), Ok(document_type)) = (code, document_type) {
                requirements.push(Requirement {
                    code,
                    category: match r.category {
                        RequirementCategoryView::General => RequirementCategory::General,
                        RequirementCategoryView::Specific => RequirementCategory::Specific,
                    },
                    description: r.description.clone(),
                    document_type,
                });
            }
        }
        let authorities: Vec<_> = if self.authorities.is_empty() {
            vec![caller.organization_id()]
        } else {
            self.authorities.iter().copied().map(Into::into).collect()
        };
        let (Some(submission_deadline), Some(clarification_deadline), true) =
            (submission, clarification, errors.is_empty())
        else {
            return Err(ApiError::Validation(errors));
        };
        let terms = TenderTerms {
            kind: match self.kind {
                TenderKindView::Accreditation => TenderKind::Accreditation,
                TenderKindView::ProviderList => TenderKind::ProviderList,
            },
            title: self.title.clone(),
            description: self.description.clone(),
            reference_code: self.reference_code.clone(),
            responsible_official: self.responsible_official.clone(),
            municipalities,
            interventions,
            requirements,
            submission_deadline,
            clarification_deadline,
            validity_from: self.validity_from,
            validity_to: self.validity_to,
        };
        terms.check()?;
        Ok(Issuance { authorities, districts: self.districts.iter().copied().map(Into::into).collect(), terms })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorityRef {
    pub id: Uuid,
    #[schema(example = "Azienda Sociale Cremonese")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementView {
    pub code: String,
    pub category: RequirementCategoryView,
    pub description: String,
    pub document_type: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenderView {
    pub id: Uuid,
    pub kind: TenderKindView,
    pub status: TenderStatusView,
    pub title: String,
    pub description: String,
    pub reference_code: Option<String>,
    pub responsible_official: String,
    /// The first receives submissions and numbers them.
    pub authorities: Vec<AuthorityRef>,
    pub districts: Vec<Uuid>,
    pub municipalities: Vec<String>,
    pub interventions: Vec<InterventionTerms>,
    pub requirements: Vec<RequirementView>,
    /// In Europe/Rome time, with its offset.
    #[schema(value_type = String, format = DateTime, example = "2022-05-30T12:00:00+02:00")]
    pub submission_deadline: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime, example = "2022-05-23T12:00:00+02:00")]
    pub clarification_deadline: DateTime<FixedOffset>,
    pub validity_from: NaiveDate,
    pub validity_to: NaiveDate,
    pub cancel_reason: Option<String>,
    #[serde(serialize_with = "crate::time::rome_opt")]
    pub published_at: Option<DateTime<Utc>>,
    /// The current round: a provider list is filled in successive rounds.
    pub round: u32,
    /// Every round, the first first.
    pub rounds: Vec<RoundView>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::rome")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome")]
    pub updated_at: DateTime<Utc>,
}

/// One submission window of a call, and the act that concluded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundView {
    pub number: u32,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime, example = "2024-02-15T12:00:00+01:00")]
    pub submission_deadline: DateTime<FixedOffset>,
    #[schema(value_type = String, format = DateTime)]
    pub clarification_deadline: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub concluded_at: Option<DateTime<FixedOffset>>,
    pub act: Option<ActView>,
}

impl From<Round> for RoundView {
    fn from(r: Round) -> Self {
        Self {
            number: r.number,
            opened_at: in_rome(r.opened_at),
            submission_deadline: in_rome(r.submission_deadline),
            clarification_deadline: in_rome(r.clarification_deadline),
            concluded_at: r.concluded_at.map(in_rome),
            act: r.act.map(Into::into),
        }
    }
}

impl TenderView {
    fn new(read: TenderRead, now: DateTime<Utc>) -> Self {
        let t = read.tender;
        let status = t.status(now).into();
        let round = t.round();
        let terms = t.terms;
        Self {
            id: t.id.into(),
            kind: match terms.kind {
                TenderKind::Accreditation => TenderKindView::Accreditation,
                TenderKind::ProviderList => TenderKindView::ProviderList,
            },
            status,
            title: terms.title,
            description: terms.description,
            reference_code: terms.reference_code,
            responsible_official: terms.responsible_official,
            authorities: read.authorities.into_iter().map(|(id, name)| AuthorityRef { id: id.into(), name }).collect(),
            districts: t.districts.into_iter().map(Into::into).collect(),
            municipalities: terms.municipalities.into_iter().map(String::from).collect(),
            interventions: terms
                .interventions
                .into_iter()
                .map(|i| InterventionTerms { code: i.code.into(), unit: i.unit.into(), rate_cents: i.rate.get() })
                .collect(),
            requirements: terms
                .requirements
                .into_iter()
                .map(|r| RequirementView {
                    code: r.code.into(),
                    category: match r.category {
                        RequirementCategory::General => RequirementCategoryView::General,
                        RequirementCategory::Specific => RequirementCategoryView::Specific,
                    },
                    description: r.description,
                    document_type: r.document_type.map(Into::into),
                })
                .collect(),
            submission_deadline: in_rome(terms.submission_deadline),
            clarification_deadline: in_rome(terms.clarification_deadline),
            validity_from: terms.validity_from,
            validity_to: terms.validity_to,
            cancel_reason: t.cancel_reason,
            published_at: t.published_at,
            round,
            rounds: t.rounds.into_iter().map(Into::into).collect(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

fn render(state: &AppState, read: TenderRead) -> HttpResponse {
    let version = read.tender.version;
    ok_with_etag(&TenderView::new(read, state.clock.now()), version)
}

/// The order of a list of calls.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TenderSortView {
    /// Oldest first, by creation (the default).
    #[default]
    Created,
    /// Soonest submission deadline first.
    SubmissionDeadline,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenderQuery {
    /// Only calls in this status, as a reader sees it (`closed`: published, deadline passed).
    pub status: Option<TenderStatusView>,
    pub kind: Option<TenderKindView>,
    /// Only calls this authority issues, alone or jointly.
    pub authority_id: Option<Uuid>,
    /// Only calls covering this municipality (ISTAT code).
    #[param(pattern = "^[0-9]{6}$", example = "019036")]
    pub municipality: Option<String>,
    /// Only calls whose submission deadline is at or after this: an instant, or a day (its
    /// start, Rome time).
    #[param(example = "2022-05-01", max_length = 40)]
    pub deadline_from: Option<String>,
    /// Only calls whose submission deadline is before this: an instant, or a day (up to its
    /// end, Rome time).
    #[param(example = "2022-06-30", max_length = 40)]
    pub deadline_to: Option<String>,
    /// `created` (oldest first, the default) or `submission_deadline` (soonest first).
    #[param(inline)]
    pub sort: Option<TenderSortView>,
}

impl TenderQuery {
    fn filter(self, now: DateTime<Utc>) -> Result<tenders::TenderFilter, ApiError> {
        let bad = |e: FieldError| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{}: {}", e.field, e.message),
            errors: vec![e],
        };
        let municipality = self
            .municipality
            .as_deref()
            .map(|code| IstatCode::parse(code).map_err(|e| bad(FieldError::new("municipality", e.to_string()))))
            .transpose()?;
        let instant = |field: &str, value: Option<&str>, ends: bool| {
            value.map(|v| crate::routes::accreditations::instant_or_day(field, v, ends).map_err(bad)).transpose()
        };
        Ok(tenders::TenderFilter {
            status: self.status.map(|s| (s.into(), now)),
            kind: self.kind.map(|k| match k {
                TenderKindView::Accreditation => TenderKind::Accreditation,
                TenderKindView::ProviderList => TenderKind::ProviderList,
            }),
            authority: self.authority_id.map(Into::into),
            municipality,
            deadline_from: instant("deadline_from", self.deadline_from.as_deref(), false)?,
            deadline_to: instant("deadline_to", self.deadline_to.as_deref(), true)?,
            sort: match self.sort.unwrap_or_default() {
                TenderSortView::Created => tenders::TenderSort::Created,
                TenderSortView::SubmissionDeadline => tenders::TenderSort::SubmissionDeadline,
            },
        })
    }
}

/// List calls
///
/// Published calls, open or not, for everyone; authority staff also see their own drafts.
/// Filter by status, kind, issuing authority, municipality and deadline range; `sort` orders
/// them by creation (default) or by submission deadline.
#[utoipa::path(
    tag = "tenders",
    params(PageQuery, TenderQuery),
    responses((status = 200, description = "One page of calls", body = Listing<TenderView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders")]
pub async fn list_tenders(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    page: web::Query<PageQuery>,
    query: web::Query<TenderQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let filter = query.into_inner().filter(state.clock.now())?;
    if let Some(cursor) = &page.after
        && !tenders::valid_cursor(filter.sort, cursor)
    {
        return Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"));
    }
    let actor = caller.actor();
    let paged = state.read(move |tx| command::list(tx, actor.as_ref(), &filter, &page)).await?;
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, |read| TenderView::new(read, now))))
}

/// Draft a call
///
/// Authority staff. The caller's authority is an issuing authority; joint calls list several.
#[utoipa::path(
    tag = "tenders",
    request_body = TenderInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "The draft", body = TenderView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/tenders")]
pub async fn create_tender(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<TenderInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let issuance = body.parse(&caller)?;
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, "tenders", &body, move |tx| {
        let read = command::draft(tx, &ctx, issuance.clone())?;
        let location = format!("/api/v1/tenders/{}", read.tender.id);
        let version = read.tender.version;
        Ok(Created::new(&TenderView::new(read, ctx.now), location, Some(version)))
    })
    .await
}

/// Get a call
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The call", body = TenderView, headers(("ETag" = String))), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}")]
pub async fn get_tender(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (caller.actor(), id.into_inner().into());
    let read = state.read(move |tx| command::get(tx, actor.as_ref(), id)).await?;
    Ok(render(&state, read))
}

/// Change a draft call
///
/// Replaces the terms of a draft. After publication the core terms are frozen: record an
/// amendment instead.
#[utoipa::path(
    tag = "tenders",
    request_body = TenderInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchRequired,
    ),
    responses((status = 200, description = "The draft", body = TenderView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[put("/tenders/{id}")]
pub async fn replace_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<TenderInput>,
) -> Result<HttpResponse, ApiError> {
    let issuance = body.parse(&caller)?;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    let read = state.write(move |tx| command::revise(tx, &ctx, id, if_match, issuance)).await?;
    Ok(render(&state, read))
}

/// Publish a call
///
/// Checks completeness: at least one intervention, municipality and requirement, and a
/// submission deadline in the future.
#[utoipa::path(
    tag = "tenders",
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Published", body = TenderView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/publish")]
pub async fn publish_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    let read = state.write(move |tx| command::transition(tx, &ctx, id, if_match, |t| t.publish(ctx.now))).await?;
    Ok(render(&state, read))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Errore materiale nei corrispettivi: la procedura sarà ripubblicata"}))]
pub struct CancelTender {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
}

/// Cancel a call
///
/// From draft or while open, with a reason.
#[utoipa::path(
    tag = "tenders",
    request_body = CancelTender,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Cancelled", body = TenderView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/cancel")]
pub async fn cancel_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<CancelTender>,
) -> Result<HttpResponse, ApiError> {
    let reason = crate::text("reason", &body.into_inner().reason, 3, 2000)?;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    let read =
        state.write(move |tx| command::transition(tx, &ctx, id, if_match, |t| t.cancel(reason, ctx.now))).await?;
    Ok(render(&state, read))
}

/// What an amendment changes after publication: the description and the deadlines. Moving
/// the submission deadline makes the amendment material.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reason": "Proroga dei termini per consentire la più ampia partecipazione",
    "material": true,
    "submission_deadline": "2022-06-06T12:00:00+02:00"
}))]
pub struct AmendmentInput {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    /// A material amendment asks every provider who already applied to confirm by the
    /// (new) submission deadline.
    #[serde(default)]
    pub material: bool,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(example = "2022-06-06T12:00:00+02:00", max_length = 40)]
    pub submission_deadline: Option<String>,
    #[schema(max_length = 40)]
    pub clarification_deadline: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AmendmentView {
    pub id: Uuid,
    pub reason: String,
    pub material: bool,
    /// Each changed field with its value `before` and `after` (instants in Rome time).
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    #[serde(serialize_with = "crate::time::rome")]
    pub amended_at: DateTime<Utc>,
}

impl From<Amendment> for AmendmentView {
    fn from(a: Amendment) -> Self {
        Self {
            id: a.id.into(),
            reason: a.reason,
            material: a.material,
            changes: crate::time::rome_in_json(a.changes),
            amended_at: a.amended_at,
        }
    }
}

/// Amend a published call
///
/// Records what changed and why. The submission deadline may move later, never earlier; a
/// material amendment marks submitted applications as needing their provider's confirmation,
/// due by the (new) submission deadline.
#[utoipa::path(
    tag = "tenders",
    request_body = AmendmentInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchHeader,
        IdempotencyHeader,
    ),
    responses((status = 201, description = "The amendment", body = AmendmentView, headers(("Location" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/amendments")]
pub async fn amend_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    key: IdempotencyKey,
    body: Json<AmendmentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let mut errors = Vec::new();
    let mut instant = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .and_then(|v| parse_instant(v).map_err(|e| errors.push(FieldError::new(field, e.to_string()))).ok())
    };
    let changes = AmendedTerms {
        description: body.description.clone(),
        submission_deadline: instant("submission_deadline", &body.submission_deadline),
        clarification_deadline: instant("clarification_deadline", &body.clarification_deadline),
    };
    let reason = crate::text("reason", &body.reason, 3, 2000).map_err(|e| {
        if let ApiError::Validation(mut e) = e {
            errors.append(&mut e);
        }
    });
    let (Ok(reason), true) = (reason, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let ctx = state.context(&caller);
    let material = body.material;
    idempotency::run(&state, &caller, key, &format!("tenders/{id}/amendments"), &body, move |tx| {
        let amendment = command::amend(tx, &ctx, id.into(), if_match, reason.clone(), material, changes.clone())?;
        let location = format!("/api/v1/tenders/{id}/amendments");
        Ok(Created::new(&AmendmentView::from(amendment), location, None))
    })
    .await
}

/// List a call's amendments
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), PageQuery),
    responses((status = 200, description = "Amendments, oldest first", body = Listing<AmendmentView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/amendments")]
pub async fn list_amendments(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor(), id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::amendments(tx, actor.as_ref(), id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AmendmentView::from)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineGapView {
    #[schema(example = "019052")]
    pub municipality: String,
    #[schema(example = "educational")]
    pub product_line: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionGapView {
    #[schema(example = "019052")]
    pub municipality: String,
    #[schema(example = "meals_delivery")]
    pub intervention: String,
}

/// What no admitted provider covers, per product line and per intervention.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageView {
    /// Municipality × product line pairs where no intervention of the line is admitted.
    pub product_lines: Vec<LineGapView>,
    /// Municipality × intervention pairs where the intervention is not admitted: a
    /// municipality may have tele-assistance but no meals.
    pub interventions: Vec<InterventionGapView>,
}

impl From<Coverage> for CoverageView {
    fn from(c: Coverage) -> Self {
        Self {
            product_lines: c
                .product_lines
                .into_iter()
                .map(|g| LineGapView { municipality: g.municipality.into(), product_line: g.product_line.into() })
                .collect(),
            interventions: c
                .interventions
                .into_iter()
                .map(|g| InterventionGapView {
                    municipality: g.municipality.into(),
                    intervention: g.intervention.into(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConclusionView {
    pub tender: TenderView,
    /// The accreditations made from the admitted applications.
    pub accreditations: Vec<AccreditationView>,
    /// For a provider list: every municipality × product line no admitted provider covers.
    pub uncovered: Vec<LineGapView>,
    /// For a provider list: every municipality × intervention no admitted provider covers.
    pub uncovered_interventions: Vec<InterventionGapView>,
}

/// The act (determina) that concludes a round and approves its admissions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"act_number": "2024/57", "act_date": "2024-02-28"}))]
pub struct ConcludeInput {
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub act_number: String,
    pub act_date: NaiveDate,
}

/// Conclude a call
///
/// After the deadline, once every application is decided: the admitted scope not on the list
/// yet becomes accreditations until the end of the call's validity, by the act given (the
/// determina, recorded with each accreditation). For a provider list, the answer reports every
/// municipality × product line, and × intervention, left uncovered.
#[utoipa::path(
    tag = "tenders",
    request_body(content = Option<ConcludeInput>, description = "The concluding act; may be left out"),
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Concluded", body = ConclusionView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/conclude")]
pub async fn conclude_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: OptionalJson<ConcludeInput>,
) -> Result<HttpResponse, ApiError> {
    let act = match body.0 {
        Some(input) => Some(Act { number: crate::text("act_number", &input.act_number, 1, 64)?, date: input.act_date }),
        None => None,
    };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    let Conclusion { tender, accreditations, coverage } =
        state.write(move |tx| command::conclude(tx, &ctx, id, if_match, act)).await?;
    let coverage = CoverageView::from(coverage);
    let version = tender.tender.version;
    Ok(ok_with_etag(
        &ConclusionView {
            tender: TenderView::new(tender, state.clock.now()),
            accreditations: accreditations.into_iter().map(|a| AccreditationView::new(a, None)).collect(),
            uncovered: coverage.product_lines,
            uncovered_interventions: coverage.interventions,
        },
        version,
    ))
}

/// Coverage of a call
///
/// Every municipality × product line, and every municipality × intervention, of a provider list
/// that no admitted application covers yet.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The uncovered pairs", body = CoverageView), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/coverage")]
pub async fn tender_coverage(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (caller.actor(), id.into_inner().into());
    let coverage = state.read(move |tx| command::coverage(tx, actor.as_ref(), id)).await?;
    Ok(HttpResponse::Ok().json(CoverageView::from(coverage)))
}

/// Accreditations of a call
///
/// Public once the call is: who may deliver what, where, until when, and where each stands now.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), PageQuery),
    responses((status = 200, description = "Accreditations", body = Listing<AccreditationView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/accreditations")]
pub async fn tender_accreditations(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page, now) = (caller.actor(), id.into_inner().into(), page.page()?, state.clock.now());
    let paged =
        state.read(move |tx| crate::commands::accreditation::of_tender(tx, actor.as_ref(), id, &page, now)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AccreditationView::from)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"question": "Il DURC può essere sostituito da autocertificazione?"}))]
pub struct QuestionInput {
    #[schema(min_length = 3, max_length = 4000, pattern = "\\S")]
    pub question: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answer": "No: il DURC va allegato in corso di validità."}))]
pub struct AnswerInput {
    #[schema(min_length = 1, max_length = 8000, pattern = "\\S")]
    pub answer: String,
}

/// A question and, once published, its answer. Who asked is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: Uuid,
    pub question: String,
    #[serde(serialize_with = "crate::time::rome")]
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    #[serde(serialize_with = "crate::time::rome_opt")]
    pub answered_at: Option<DateTime<Utc>>,
    /// Increases with every answer; sent as the `ETag`.
    pub version: i64,
}

impl From<Question> for QuestionView {
    fn from(q: Question) -> Self {
        Self {
            id: q.id.into(),
            question: q.question,
            asked_at: q.asked_at,
            answer: q.answer,
            answered_at: q.answered_at,
            version: q.version,
        }
    }
}

/// Ask a question about a call
///
/// Provider members, until the clarification deadline.
#[utoipa::path(
    tag = "tenders",
    request_body = QuestionInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Asked", body = QuestionView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/questions")]
pub async fn ask_question(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<QuestionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let text = crate::text("question", &body.question, 3, 4000)?;
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, &format!("tenders/{id}/questions"), &body, move |tx| {
        let q = command::ask(tx, &ctx, id.into(), text.clone())?;
        let location = format!("/api/v1/tenders/{id}/questions/{}", q.id);
        let version = q.version;
        Ok(Created::new(&QuestionView::from(q), location, Some(version)))
    })
    .await
}

/// List a call's questions
///
/// Answered questions for everyone; staff of the issuing authorities also see the unanswered
/// ones, and a provider its own.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), PageQuery),
    responses((status = 200, description = "Questions, oldest first", body = Listing<QuestionView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/questions")]
pub async fn list_questions(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor(), id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::questions(tx, actor.as_ref(), id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, QuestionView::from)))
}

/// Get a question
///
/// Once answered, public; before, for the issuing authorities' staff and whoever asked it.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), ("question_id" = Uuid, Path, description = "The question's id")),
    responses((status = 200, description = "The question", body = QuestionView, headers(("ETag" = String))), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/questions/{question_id}")]
pub async fn get_question(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    let actor = caller.actor();
    let q = state.read(move |tx| command::question(tx, actor.as_ref(), id.into(), question_id.into())).await?;
    let version = q.version;
    Ok(ok_with_etag(&QuestionView::from(q), version))
}

/// Answer a question
///
/// Staff of an issuing authority; the answer is published to everyone. Answering again
/// corrects the answer (send the question's `ETag` as `If-Match`).
#[utoipa::path(
    tag = "tenders",
    request_body = AnswerInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        ("question_id" = Uuid, Path, description = "The question's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Answered", body = QuestionView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/questions/{question_id}/answer")]
pub async fn answer_question(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    if_match: Option<IfMatch>,
    body: Json<AnswerInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    let text = crate::text("answer", &body.into_inner().answer, 1, 8000)?;
    let ctx = state.context(&caller);
    let q = state.write(move |tx| command::answer(tx, &ctx, id.into(), question_id.into(), if_match, text)).await?;
    let version = q.version;
    Ok(ok_with_etag(&QuestionView::from(q), version))
}

/// A new round of a provider list: its submission window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"submission_deadline": "2025-02-14T12:00:00+01:00", "clarification_deadline": "2025-02-07T12:00:00+01:00"}))]
pub struct ReopenInput {
    #[schema(example = "2025-02-14T12:00:00+01:00", max_length = 40)]
    pub submission_deadline: String,
    #[schema(example = "2025-02-07T12:00:00+01:00", max_length = 40)]
    pub clarification_deadline: String,
}

/// Reopen a provider list for a new round
///
/// Staff of an issuing authority, once the last round is concluded and within the list's
/// validity: providers apply again, and those admitted join the same list, with the same
/// validity end. Earlier accreditations are untouched.
#[utoipa::path(
    tag = "tenders",
    request_body = ReopenInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Open for its new round", body = TenderView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/reopen")]
pub async fn reopen_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<ReopenInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let submission = parse_instant(&body.submission_deadline);
    let clarification = parse_instant(&body.clarification_deadline);
    let (submission, clarification) = match (submission, clarification) {
        (Ok(s), Ok(c)) => (s, c),
        (s, c) => {
            let mut errors = Vec::new();
            if let Err(e) = s {
                errors.push(FieldError::new("submission_deadline", e.to_string()));
            }
            if let Err(e) = c {
                errors.push(FieldError::new("clarification_deadline", e.to_string()));
            }
            return Err(ApiError::Validation(errors));
        }
    };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    let read = state.write(move |tx| command::reopen(tx, &ctx, id, if_match, submission, clarification)).await?;
    Ok(render(&state, read))
}
