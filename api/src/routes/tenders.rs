//! Calls (bandi): drafting, publication, amendments, questions and answers, documents, and
//! conclusion into accreditations. Published calls are public.

use actix_web::{HttpResponse, get, post, put, web};
use ambito_domain::rome::{in_rome, parse_instant};
use ambito_domain::tender::{
    self as rules, Requirement, RequirementCategory, TenderIntervention, TenderKind, TenderStatus, TenderTerms,
};
use ambito_domain::{Cents, FieldError, IstatCode, Role, coverage};
use ambito_persistence::tender::{self, AmendedTerms, NewTender, Tender, TenderScope, Transition};
use ambito_persistence::{accreditation, application, catalogue};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Caller, MaybeCaller};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{ActionErrors, CreateErrors, PublicErrors, UpdateErrors};
use crate::pagination::{Listing, PageQuery};
use crate::routes::catalogue::UnitView;

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
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TenderStatusView {
    Draft,
    Published,
    Closed,
    Concluded,
    Cancelled,
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
    #[schema(example = "mediation_health", max_length = 64)]
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
    /// The domain's terms, or every field that cannot be read.
    fn parse(&self, caller: &Caller) -> Result<NewTender, ApiError> {
        let mut errors = Vec::new();
        let mut instant = |field: &str, value: &str| match parse_instant(value) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError::new(field, e.to_string()));
                None
            }
        };
        let submission = instant("submission_deadline", &self.submission_deadline);
        let clarification = instant("clarification_deadline", &self.clarification_deadline);
        let mut municipalities = Vec::new();
        for (i, m) in self.municipalities.iter().enumerate() {
            match IstatCode::parse(m) {
                Ok(code) => municipalities.push(code),
                Err(e) => errors.push(FieldError::new(format!("municipalities.{i}"), e.to_string())),
            }
        }
        let mut interventions = Vec::new();
        for (i, item) in self.interventions.iter().enumerate() {
            match Cents::new(item.rate_cents) {
                Ok(rate) => {
                    interventions.push(TenderIntervention { code: item.code.clone(), unit: item.unit.into(), rate })
                }
                Err(e) => errors.push(FieldError::new(format!("interventions.{i}.rate_cents"), e.to_string())),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let authorities =
            if self.authorities.is_empty() { vec![caller.organization_id()] } else { self.authorities.clone() };
        if !authorities.contains(&caller.organization_id()) {
            return Err(ApiError::invalid_field(
                "authorities",
                "your own authority must be among the issuing authorities",
            ));
        }
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
            requirements: self
                .requirements
                .iter()
                .map(|r| Requirement {
                    code: r.code.clone(),
                    category: match r.category {
                        RequirementCategoryView::General => RequirementCategory::General,
                        RequirementCategoryView::Specific => RequirementCategory::Specific,
                    },
                    description: r.description.clone(),
                    document_type: r.document_type.clone(),
                })
                .collect(),
            submission_deadline: submission.expect("checked"),
            clarification_deadline: clarification.expect("checked"),
            validity_from: self.validity_from,
            validity_to: self.validity_to,
        };
        terms.check()?;
        let mut unique = authorities.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != authorities.len() {
            return Err(ApiError::invalid_field("authorities", "each authority once"));
        }
        Ok(NewTender { authorities, districts: self.districts.clone(), terms })
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
    pub published_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TenderView {
    fn new(t: Tender, authorities: Vec<(Uuid, String)>, now: DateTime<Utc>) -> Self {
        let status = t.status(now).into();
        let terms = t.terms;
        Self {
            id: t.id,
            kind: match terms.kind {
                TenderKind::Accreditation => TenderKindView::Accreditation,
                TenderKind::ProviderList => TenderKindView::ProviderList,
            },
            status,
            title: terms.title,
            description: terms.description,
            reference_code: terms.reference_code,
            responsible_official: terms.responsible_official,
            authorities: authorities.into_iter().map(|(id, name)| AuthorityRef { id, name }).collect(),
            districts: t.districts,
            municipalities: terms.municipalities.into_iter().map(String::from).collect(),
            interventions: terms
                .interventions
                .into_iter()
                .map(|i| InterventionTerms { code: i.code, unit: i.unit.into(), rate_cents: i.rate.get() })
                .collect(),
            requirements: terms
                .requirements
                .into_iter()
                .map(|r| RequirementView {
                    code: r.code,
                    category: match r.category {
                        RequirementCategory::General => RequirementCategoryView::General,
                        RequirementCategory::Specific => RequirementCategoryView::Specific,
                    },
                    description: r.description,
                    document_type: r.document_type,
                })
                .collect(),
            submission_deadline: in_rome(terms.submission_deadline),
            clarification_deadline: in_rome(terms.clarification_deadline),
            validity_from: terms.validity_from,
            validity_to: terms.validity_to,
            cancel_reason: t.cancel_reason,
            published_at: t.published_at,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// Loads a call with its authorities' names, as the caller may see it: published calls are
/// public; drafts only for their issuing authorities' staff and admins.
pub async fn visible(
    state: &AppState,
    caller: Option<&Caller>,
    id: Uuid,
) -> Result<(Tender, Vec<(Uuid, String)>), ApiError> {
    let (tender, names) = state
        .read(move |conn| {
            let t = tender::get(conn, id)?;
            let names = tender::authority_names(conn, &t)?;
            Ok((t, names))
        })
        .await?;
    let insider = caller.is_some_and(|c| c.is_admin() || tender.is_issued_by(c.organization_id()));
    if tender.published_at.is_none() && !insider {
        return Err(ApiError::NotFound);
    }
    Ok((tender, names))
}

/// A call the caller manages: staff of one of its issuing authorities.
pub async fn managed(state: &AppState, caller: &Caller, id: Uuid) -> Result<(Tender, Vec<(Uuid, String)>), ApiError> {
    let found = visible(state, Some(caller), id).await?;
    if caller.role() != Role::AuthorityStaff || !found.0.is_issued_by(caller.organization_id()) {
        return Err(ApiError::Forbidden);
    }
    Ok(found)
}

fn view(state: &AppState, found: (Tender, Vec<(Uuid, String)>)) -> (TenderView, i64) {
    let version = found.0.version;
    (TenderView::new(found.0, found.1, state.clock.now()), version)
}

/// List calls
///
/// Published calls, open or not, for everyone; authority staff also see their own drafts.
#[utoipa::path(
    tag = "tenders",
    params(PageQuery),
    responses((status = 200, description = "One page of calls", body = Listing<TenderView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders")]
pub async fn list_tenders(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let scope = match &caller.0 {
        Some(c) if c.is_admin() => TenderScope::Everything,
        Some(c) if c.role() == Role::AuthorityStaff => TenderScope::Authority(c.organization_id()),
        _ => TenderScope::Public,
    };
    let (paged, names) = state
        .read(move |conn| {
            let paged = tender::list(conn, scope, &page)?;
            let names = paged.items.iter().map(|t| tender::authority_names(conn, t)).collect::<Result<Vec<_>, _>>()?;
            Ok((paged, names))
        })
        .await?;
    let now = state.clock.now();
    let mut names = names.into_iter();
    Ok(HttpResponse::Ok()
        .json(Listing::from_paged(paged, |t| TenderView::new(t, names.next().unwrap_or_default(), now))))
}

/// Draft a call
///
/// Authority staff. The caller's authority is an issuing authority; joint calls list several.
#[utoipa::path(
    tag = "tenders",
    request_body = TenderInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request return the first result instead of creating twice: 1 to 255 visible ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]+$")),
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
    if caller.role() != Role::AuthorityStaff {
        return Err(ApiError::Forbidden);
    }
    let body = body.into_inner();
    let new = body.parse(&caller)?;
    idempotency::run(&state, &caller, key, "tenders", &body, async {
        let actor = caller.actor.clone();
        let created = state
            .write(move |conn| {
                let t = tender::create(conn, &actor, &new)?;
                let names = tender::authority_names(conn, &t)?;
                Ok((t, names))
            })
            .await?;
        let location = format!("/api/v1/tenders/{}", created.0.id);
        let (view, version) = view(&state, created);
        Ok(Created::new(&view, location, Some(version)))
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
    let found = visible(&state, caller.0.as_ref(), id.into_inner()).await?;
    let (view, version) = view(&state, found);
    Ok(ok_with_etag(&view, version))
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
        ("If-Match" = String, Header, description = "The ETag of the version being changed"),
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
    let id = id.into_inner();
    let (current, _) = managed(&state, &caller, id).await?;
    rules::check_editable(current.status(state.clock.now()))?;
    let new = body.parse(&caller)?;
    let actor = caller.actor.clone();
    let now = state.clock.now();
    let updated = state
        .write(move |conn| {
            let current = tender::get(conn, id)?;
            rules::check_editable(current.status(now))?;
            let t = tender::replace_terms(conn, &actor, id, if_match.expected(current.version), &new)?;
            let names = tender::authority_names(conn, &t)?;
            Ok((t, names))
        })
        .await?;
    let (view, version) = view(&state, updated);
    Ok(ok_with_etag(&view, version))
}

/// Applies a lifecycle transition in one transaction, re-checking the rule on the stored call.
async fn transition(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: Option<IfMatch>,
    check: fn(&Tender, DateTime<Utc>) -> Result<(), ApiError>,
    make: impl FnOnce() -> Transition + Send + 'static,
) -> Result<(Tender, Vec<(Uuid, String)>), ApiError> {
    managed(state, caller, id).await?;
    let actor = caller.actor.clone();
    let now = state.clock.now();
    state
        .write(move |conn| {
            let current = tender::get(conn, id)?;
            check(&current, now)?;
            let expected = if_match.map_or(current.version, |m| m.expected(current.version));
            let t = tender::transition(conn, &actor, id, expected, make())?;
            let names = tender::authority_names(conn, &t)?;
            Ok((t, names))
        })
        .await
}

/// Publish a call
///
/// Checks completeness: at least one intervention, municipality and requirement, and a
/// submission deadline in the future.
#[utoipa::path(
    tag = "tenders",
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being published"),
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
    let done = transition(
        &state,
        &caller,
        id.into_inner(),
        if_match,
        |t, now| {
            rules::check_editable(t.status(now))?;
            t.terms.check_publishable(now)?;
            Ok(())
        },
        || Transition::Publish,
    )
    .await?;
    let (view, version) = view(&state, done);
    Ok(ok_with_etag(&view, version))
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
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being cancelled"),
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
    let done = transition(
        &state,
        &caller,
        id.into_inner(),
        if_match,
        |t, now| Ok(rules::check_cancellable(t.status(now))?),
        move || Transition::Cancel { reason },
    )
    .await?;
    let (view, version) = view(&state, done);
    Ok(ok_with_etag(&view, version))
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
    /// A material amendment asks every provider who already applied to confirm.
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
    /// Each changed field with its value `before` and `after`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub amended_at: DateTime<Utc>,
}

impl From<tender::Amendment> for AmendmentView {
    fn from(a: tender::Amendment) -> Self {
        Self { id: a.id, reason: a.reason, material: a.material, changes: a.changes, amended_at: a.amended_at }
    }
}

/// Amend a published call
///
/// Records what changed and why. The submission deadline may move later, never earlier; a
/// material amendment marks submitted applications as needing their provider's confirmation.
#[utoipa::path(
    tag = "tenders",
    request_body = AmendmentInput,
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being amended"),
    ),
    responses((status = 201, description = "The amendment", body = AmendmentView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/amendments")]
pub async fn amend_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<AmendmentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    managed(&state, &caller, id).await?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    let mut instant = |field: &str, value: &Option<String>| {
        value.as_deref().and_then(|v| match parse_instant(v) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError::new(field, e.to_string()));
                None
            }
        })
    };
    let changes = AmendedTerms {
        description: body.description.clone(),
        submission_deadline: instant("submission_deadline", &body.submission_deadline),
        clarification_deadline: instant("clarification_deadline", &body.clarification_deadline),
    };
    let reason = match crate::text("reason", &body.reason, 3, 2000) {
        Ok(r) => r,
        Err(ApiError::Validation(mut e)) => {
            errors.append(&mut e);
            String::new()
        }
        Err(other) => return Err(other),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let amendment = state
        .write(move |conn| {
            let current = tender::get(conn, id)?;
            rules::check_open(current.status(now))?;
            if let Some(d) = changes.submission_deadline {
                rules::check_amended_deadline(current.terms.submission_deadline, d)?;
            }
            let expected = if_match.map_or(current.version, |m| m.expected(current.version));
            Ok(tender::amend(conn, &actor, id, expected, &reason, body.material, &changes)?.1)
        })
        .await?;
    Ok(HttpResponse::Created().json(AmendmentView::from(amendment)))
}

/// List a call's amendments
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "Amendments, oldest first", body = Vec<AmendmentView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/amendments")]
pub async fn list_amendments(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    visible(&state, caller.0.as_ref(), id).await?;
    let list = state.read(move |conn| Ok(tender::amendments(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(AmendmentView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GapView {
    #[schema(example = "019052")]
    pub municipality: String,
    #[schema(example = "educational")]
    pub product_line: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccreditationView {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub application_id: Uuid,
    pub intervention: String,
    pub municipality: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    #[schema(example = "active")]
    pub status: String,
}

impl From<accreditation::Accreditation> for AccreditationView {
    fn from(a: accreditation::Accreditation) -> Self {
        Self {
            id: a.id,
            provider_id: a.provider_id,
            application_id: a.application_id,
            intervention: a.intervention,
            municipality: a.municipality.into(),
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            status: a.status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Conclusion {
    pub tender: TenderView,
    /// The accreditations made from the admitted applications.
    pub accreditations: Vec<AccreditationView>,
    /// For a provider list: every municipality × product line no admitted provider covers.
    pub uncovered: Vec<GapView>,
}

/// The municipality × product line pairs of a call that no admitted scope covers.
fn gaps_of(conn: &mut ambito_persistence::DbConnection, t: &Tender) -> Result<Vec<GapView>, ApiError> {
    let catalogue = catalogue::interventions(conn)?;
    let line_of = |code: &str| catalogue.iter().find(|i| i.code == code).map(|i| i.product_line_code.as_str());
    let mut lines: Vec<String> =
        t.terms.interventions.iter().filter_map(|i| line_of(&i.code).map(str::to_owned)).collect();
    lines.dedup();
    let admitted: Vec<(String, IstatCode)> =
        accreditation::admitted_scope(conn, t.id)?.into_iter().map(|(_, _, i, m)| (i, m)).collect();
    Ok(coverage::gaps(&t.terms.municipalities, &lines, line_of, &admitted)
        .into_iter()
        .map(|g| GapView { municipality: g.municipality.into(), product_line: g.product_line })
        .collect())
}

/// Conclude a call
///
/// After the deadline, once every application is decided: the admitted scope becomes
/// accreditations for the call's validity period. For a provider list, the answer reports
/// every municipality × product line left uncovered.
#[utoipa::path(
    tag = "tenders",
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        ("If-Match" = Option<String>, Header, description = "When sent, the ETag of the version being concluded"),
    ),
    responses((status = 200, description = "Concluded", body = Conclusion), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/conclude")]
pub async fn conclude_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    managed(&state, &caller, id).await?;
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let (t, names, granted, uncovered) = state
        .write(move |conn| {
            let current = tender::get(conn, id)?;
            rules::check_concludable(current.status(now))?;
            let pending = application::statuses(conn, id)?
                .into_iter()
                .filter(|s| ambito_domain::application::is_pending(*s))
                .count();
            if pending > 0 {
                return Err(ApiError::Conflict {
                    code: "applications_pending",
                    detail: format!("{pending} applications still await a decision"),
                });
            }
            let expected = if_match.map_or(current.version, |m| m.expected(current.version));
            let t = tender::transition(conn, &actor, id, expected, Transition::Conclude)?;
            let granted = accreditation::grant(conn, &actor, id, t.terms.validity_from, t.terms.validity_to)?;
            let uncovered = if t.terms.kind == TenderKind::ProviderList { gaps_of(conn, &t)? } else { Vec::new() };
            let names = tender::authority_names(conn, &t)?;
            Ok((t, names, granted, uncovered))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Conclusion {
        tender: TenderView::new(t, names, now),
        accreditations: granted.into_iter().map(Into::into).collect(),
        uncovered,
    }))
}

/// Coverage of a call
///
/// Every municipality × product line of the call that no admitted application covers yet.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The uncovered pairs", body = Vec<GapView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/coverage")]
pub async fn tender_coverage(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (t, _) = visible(&state, caller.0.as_ref(), id.into_inner()).await?;
    let gaps = state.read(move |conn| gaps_of(conn, &t)).await?;
    Ok(HttpResponse::Ok().json(gaps))
}

/// Accreditations of a call
///
/// Public once the call is concluded: who may deliver what, where, until when.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "Accreditations", body = Vec<AccreditationView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/accreditations")]
pub async fn tender_accreditations(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    visible(&state, caller.0.as_ref(), id).await?;
    let list = state.read(move |conn| Ok(accreditation::of_tender(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(AccreditationView::from).collect::<Vec<_>>()))
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
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<tender::Question> for QuestionView {
    fn from(q: tender::Question) -> Self {
        Self { id: q.id, question: q.question, asked_at: q.asked_at, answer: q.answer, answered_at: q.answered_at }
    }
}

/// Ask a question about a call
///
/// Provider members, until the clarification deadline.
#[utoipa::path(
    tag = "tenders",
    request_body = QuestionInput,
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 201, description = "Asked", body = QuestionView), CreateErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/questions")]
pub async fn ask_question(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<QuestionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (t, _) = visible(&state, Some(&caller), id).await?;
    if caller.role() != Role::ProviderMember {
        return Err(ApiError::Forbidden);
    }
    let text = crate::text("question", &body.into_inner().question, 3, 4000)?;
    let now = state.clock.now();
    rules::check_question_allowed(t.status(now), t.terms.clarification_deadline, now)?;
    let (actor, org) = (caller.actor.clone(), caller.organization_id());
    let q = state.write(move |conn| Ok(tender::ask(conn, &actor, id, org, &text, now)?)).await?;
    Ok(HttpResponse::Created().json(QuestionView::from(q)))
}

/// List a call's questions
///
/// Answered questions for everyone; staff of the issuing authorities also see the unanswered
/// ones, and a provider its own.
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "Questions, oldest first", body = Vec<QuestionView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/questions")]
pub async fn list_questions(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (t, _) = visible(&state, caller.0.as_ref(), id).await?;
    let all = caller.0.as_ref().is_some_and(|c| c.is_admin() || t.is_issued_by(c.organization_id()));
    let asker = caller.0.as_ref().map(Caller::organization_id);
    let list = state.read(move |conn| Ok(tender::questions(conn, id, all, asker)?)).await?;
    Ok(HttpResponse::Ok().json(list.into_iter().map(QuestionView::from).collect::<Vec<_>>()))
}

/// Answer a question
///
/// Staff of an issuing authority; the answer is published to everyone.
#[utoipa::path(
    tag = "tenders",
    request_body = AnswerInput,
    params(("id" = Uuid, Path, description = "The call's id"), ("question_id" = Uuid, Path, description = "The question's id")),
    responses((status = 200, description = "Answered", body = QuestionView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/questions/{question_id}/answer")]
pub async fn answer_question(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<AnswerInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, question_id) = path.into_inner();
    managed(&state, &caller, id).await?;
    let text = crate::text("answer", &body.into_inner().answer, 1, 8000)?;
    let (actor, now) = (caller.actor.clone(), state.clock.now());
    let q = state
        .write(move |conn| {
            let q = tender::question(conn, question_id)?;
            if q.tender_id != id {
                return Err(ApiError::NotFound);
            }
            Ok(tender::answer(conn, &actor, question_id, &text, now)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(QuestionView::from(q)))
}
