//! Patti di accreditamento: staff of an issuing authority draft one for an accredited provider,
//! both sides sign (in either order, each with an optional signed copy), and it is active from
//! its start date to its end date. Amendments (a rate change from a day, a scope reduction) keep
//! the previous terms and need both signatures again; staff suspend, reinstate, revoke.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::document::DocumentOwner;
use ambito_domain::measure::Decision;
use ambito_domain::patto::{Change, Draft, Patto, PattoStatus, Side, Terms, VersionKind};
use ambito_domain::rome::in_rome;
use ambito_domain::{Cents, FieldError, InterventionCode};
use ambito_persistence::patto::{self as patti, PattoFilter, PattoSort};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::patto::{self as command, Standing};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::{Json, OptionalJson};
use crate::openapi::{
    ActionErrors, CreateErrors, DocumentDownload, IdempotencyHeader, IfMatchHeader, ReadErrors, UploadErrors,
};
use crate::pagination::{Listing, PageQuery};
use crate::routes::accreditations::{DecisionInput, MeasureView, Measured, SuspendInput};
use crate::routes::applications::{ScopeItemView, parse_scope};
use crate::routes::catalogue::UnitView;
use crate::routes::documents::{self, DocumentView};

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PattoStatusView {
    /// Awaiting one or both signatures.
    Draft,
    /// Signed by both, before its start date.
    Signed,
    Active,
    Suspended,
    Revoked,
    Expired,
}

impl From<PattoStatus> for PattoStatusView {
    fn from(s: PattoStatus) -> Self {
        match s {
            PattoStatus::Draft => Self::Draft,
            PattoStatus::Signed => Self::Signed,
            PattoStatus::Active => Self::Active,
            PattoStatus::Suspended => Self::Suspended,
            PattoStatus::Revoked => Self::Revoked,
            PattoStatus::Expired => Self::Expired,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SideView {
    Provider,
    Authority,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VersionKindView {
    Original,
    RateChange,
    ScopeReduction,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateView {
    #[schema(example = "home_care_professional")]
    pub intervention: String,
    pub unit: UnitView,
    #[schema(example = 2180)]
    pub rate_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    pub side: SideView,
    pub signed_by: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: DateTime<FixedOffset>,
    pub document_id: Option<Uuid>,
}

/// One version of the terms: the original, or an amendment.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermsView {
    pub number: u32,
    pub kind: VersionKindView,
    /// The day these terms apply from, once both sides have signed them.
    pub effective_from: NaiveDate,
    pub scope: Vec<ScopeItemView>,
    pub rates: Vec<RateView>,
    pub rationale: Option<String>,
    /// Both sides' signatures make the version apply.
    pub signatures: Vec<SignatureView>,
}

impl From<Terms> for TermsView {
    fn from(t: Terms) -> Self {
        Self {
            number: t.number,
            kind: match t.kind {
                VersionKind::Original => VersionKindView::Original,
                VersionKind::RateChange => VersionKindView::RateChange,
                VersionKind::ScopeReduction => VersionKindView::ScopeReduction,
            },
            effective_from: t.effective_from,
            scope: t.scope.into_iter().map(Into::into).collect(),
            rates: t
                .rates
                .into_iter()
                .map(|r| RateView {
                    intervention: r.intervention.into(),
                    unit: r.unit.into(),
                    rate_cents: r.rate.get(),
                })
                .collect(),
            rationale: t.rationale,
            signatures: t
                .signatures
                .into_iter()
                .map(|s| SignatureView {
                    side: match s.side {
                        Side::Provider => SideView::Provider,
                        Side::Authority => SideView::Authority,
                    },
                    signed_by: s.by.map(Into::into),
                    signed_at: in_rome(s.at),
                    document_id: s.document_id.map(Into::into),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PattoView {
    pub id: Uuid,
    #[schema(example = "CONCASS/2024/12")]
    pub number: String,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    /// The authority that signs it.
    pub authority_id: Uuid,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub obligations: String,
    /// Where it stands now: derived from its signatures, measures and the clock.
    pub status: PattoStatusView,
    /// Every version of the terms, the original first; the last may await signatures.
    pub versions: Vec<TermsView>,
    pub measures: Vec<MeasureView>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
}

impl From<Standing> for PattoView {
    fn from((p, status): Standing) -> Self {
        let Patto {
            id,
            number,
            tender_id,
            provider_id,
            authority_id,
            valid_from,
            valid_to,
            obligations,
            versions,
            measures,
            version,
            created_at,
            ..
        } = p;
        Self {
            id: id.into(),
            number,
            tender_id: tender_id.into(),
            provider_id: provider_id.into(),
            authority_id: authority_id.into(),
            valid_from,
            valid_to,
            obligations,
            status: status.into(),
            versions: versions.into_iter().map(Into::into).collect(),
            measures: measures.into_iter().map(Into::into).collect(),
            version,
            created_at: in_rome(created_at),
        }
    }
}

fn render(standing: Standing) -> HttpResponse {
    let version = standing.0.version;
    ok_with_etag(&PattoView::from(standing), version)
}

/// A patto as staff draft it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "tender_id": "0193a8f0-0000-7000-8000-000000000000",
    "provider_id": "0193a8f0-0000-7000-8000-000000000001",
    "number": "CONCASS/2024/12",
    "scope": [{"intervention": "home_care_professional", "municipality": "019021"}],
    "valid_from": "2024-03-01",
    "valid_to": "2027-02-28",
    "obligations": "Carta dei servizi, personale qualificato, rendicontazione mensile"
}))]
pub struct PattoInput {
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    /// The authority's number for the patto.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub number: String,
    /// Within the provider's active accreditations under the call.
    #[schema(min_items = 1, max_items = 2000)]
    pub scope: Vec<ScopeItemView>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub obligations: String,
}

/// Draft a patto
///
/// Staff of an issuing authority, for a provider with active accreditations under the call: the
/// scope within them, the call's rates, a validity within theirs. It awaits both signatures.
#[utoipa::path(
    tag = "patti",
    request_body = PattoInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "The draft", body = PattoView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/patti")]
pub async fn create_patto(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<PattoInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let mut errors = Vec::new();
    let number = crate::text("number", &body.number, 1, 64).map_err(|e| {
        if let ApiError::Validation(mut e) = e {
            errors.append(&mut e);
        }
    });
    let scope = parse_scope("scope", body.scope, &mut errors);
    let Ok(number) = number else { return Err(ApiError::Validation(errors)) };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let draft =
        Draft { number, scope, valid_from: body.valid_from, valid_to: body.valid_to, obligations: body.obligations };
    let (tender, provider) = (body.tender_id.into(), body.provider_id.into());
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, "patti", &fingerprint, move |tx| {
        let standing = command::draft(tx, &ctx, tender, provider, draft.clone())?;
        let location = format!("/api/v1/patti/{}", standing.0.id);
        let version = standing.0.version;
        Ok(Created::new(&PattoView::from(standing), location, Some(version)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PattoQuery {
    pub tender_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    /// `created` (oldest first, the default) or `valid_to` (the soonest end of validity first).
    #[param(inline)]
    pub sort: Option<PattoSortView>,
}

/// The order of a list of patti.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PattoSortView {
    /// Oldest first, by creation (the default).
    #[default]
    Created,
    /// The soonest end of validity first: what must be renewed.
    ValidTo,
}

/// List patti
///
/// A provider lists its own; authority staff those of their calls; admins all. Ordered by
/// creation or, with `sort=valid_to`, by the end of validity.
#[utoipa::path(
    tag = "patti",
    params(PageQuery, PattoQuery),
    responses((status = 200, description = "One page of patti", body = Listing<PattoView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/patti")]
pub async fn list_patti(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<PattoQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, page, now) = (caller.actor, page.page()?, state.clock.now());
    let filter = PattoFilter {
        tender_id: query.tender_id.map(Into::into),
        provider_id: query.provider_id.map(Into::into),
        sort: match query.sort.unwrap_or_default() {
            PattoSortView::Created => PattoSort::Created,
            PattoSortView::ValidTo => PattoSort::ValidTo,
        },
        ..Default::default()
    };
    if let Some(cursor) = &page.after
        && !patti::valid_cursor(filter.sort, cursor)
    {
        return Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"));
    }
    let paged = state.read(move |tx| command::list(tx, &actor, filter, &page, now)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, PattoView::from)))
}

/// Get a patto
#[utoipa::path(
    tag = "patti",
    params(("id" = Uuid, Path, description = "The patto's id")),
    responses((status = 200, description = "The patto", body = PattoView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/patti/{id}")]
pub async fn get_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, now) = (caller.actor, id.into_inner().into(), state.clock.now());
    Ok(render(state.read(move |tx| command::get(tx, &actor, id, now)).await?))
}

/// A signature, with the signed copy uploaded to the patto's documents, if any.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureInput {
    /// A document of this patto (`POST /patti/{id}/documents`): the signed `.p7m` or PDF.
    pub document_id: Option<Uuid>,
}

/// Sign a patto
///
/// A provider member signs for the provider, staff of the signing authority for it, in either
/// order: the version awaiting signatures (the original, or an amendment) applies once both
/// have.
#[utoipa::path(
    tag = "patti",
    request_body(content = Option<SignatureInput>, description = "The signed copy, if any"),
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Signed", body = PattoView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/signatures")]
pub async fn sign_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: OptionalJson<SignatureInput>,
) -> Result<HttpResponse, ApiError> {
    let document = body.0.and_then(|b| b.document_id).map(Into::into);
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::sign(tx, &ctx, id, if_match, document)).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateChangeView {
    #[schema(example = "home_care_professional", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    #[schema(example = 2250, minimum = 0, maximum = 100000000)]
    pub rate_cents: i64,
}

/// What an amendment changes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentKindView {
    /// New rates (`rates`).
    RateChange,
    /// Part of the scope removed (`remove`).
    ScopeReduction,
}

/// An amendment: new rates, or a reduced scope, from a day on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "rate_change",
    "rates": [{"intervention": "home_care_professional", "rate_cents": 2250}],
    "effective_from": "2025-01-01",
    "rationale": "Adeguamento ISTAT dei corrispettivi"
}))]
pub struct PattoAmendmentInput {
    pub kind: AmendmentKindView,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub rates: Vec<RateChangeView>,
    #[serde(default)]
    #[schema(max_items = 2000)]
    pub remove: Vec<ScopeItemView>,
    pub effective_from: NaiveDate,
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub rationale: String,
}

impl PattoAmendmentInput {
    fn parse(self) -> Result<(Change, NaiveDate, String), ApiError> {
        let mut errors = Vec::new();
        let change = match self.kind {
            AmendmentKindView::RateChange => {
                let mut rates = Vec::new();
                for (i, r) in self.rates.into_iter().enumerate() {
                    let code = InterventionCode::parse(&r.intervention)
                        .map_err(|e| errors.push(FieldError::new(format!("rates.{i}.intervention"), e.to_string())));
                    let cents = Cents::new(r.rate_cents)
                        .map_err(|e| errors.push(FieldError::new(format!("rates.{i}.rate_cents"), e.to_string())));
                    if let (Ok(code), Ok(cents)) = (code, cents) {
                        rates.push((code, cents));
                    }
                }
                Change::Rates(rates)
            }
            AmendmentKindView::ScopeReduction => Change::ReduceScope(parse_scope("remove", self.remove, &mut errors)),
        };
        let rationale = crate::text("rationale", &self.rationale, 3, 2000).map_err(|e| {
            if let ApiError::Validation(mut e) = e {
                errors.append(&mut e);
            }
        });
        match rationale {
            Ok(rationale) if errors.is_empty() => Ok((change, self.effective_from, rationale)),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Amend a patto
///
/// Staff of an issuing authority: a rate change or a scope reduction from a day on, with its
/// rationale. The previous terms stay; the new ones apply once both sides have signed them.
#[utoipa::path(
    tag = "patti",
    request_body = PattoAmendmentInput,
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "The amendment awaits its signatures", body = PattoView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/amendments")]
pub async fn amend_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<PattoAmendmentInput>,
) -> Result<HttpResponse, ApiError> {
    let (change, effective_from, rationale) = body.into_inner().parse()?;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::amend(tx, &ctx, id, if_match, change, effective_from, rationale)).await?))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: Option<IfMatch>,
    measured: Measured,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(caller), id.into());
    let Measured { decision, reason, act } = measured;
    Ok(render(state.write(move |tx| command::decide(tx, &ctx, id, if_match, decision, reason, Some(act))).await?))
}

/// Suspend a patto
///
/// Staff of an issuing authority, with a reason and the act; until a day, or until reinstated.
#[utoipa::path(
    tag = "patti",
    request_body = SuspendInput,
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Suspended", body = PattoView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/suspend")]
pub async fn suspend_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<SuspendInput>,
) -> Result<HttpResponse, ApiError> {
    decide(&state, &caller, id.into_inner(), if_match, body.into_inner().parse()?).await
}

/// Reinstate a patto
///
/// Ends a suspension now.
#[utoipa::path(
    tag = "patti",
    request_body = DecisionInput,
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Reinstated", body = PattoView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/reinstate")]
pub async fn reinstate_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let measured = Measured { decision: Decision::Reinstate, ..body.into_inner().parse()? };
    decide(&state, &caller, id.into_inner(), if_match, measured).await
}

/// Revoke a patto
///
/// Final, from now.
#[utoipa::path(
    tag = "patti",
    request_body = DecisionInput,
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Revoked", body = PattoView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/revoke")]
pub async fn revoke_patto(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    decide(&state, &caller, id.into_inner(), if_match, body.into_inner().parse()?).await
}

/// Attach a signed copy
///
/// Either signing side: the `.p7m` or PDF their signature refers to.
#[utoipa::path(
    tag = "patti",
    request_body(content = documents::DocumentUpload, content_type = "multipart/form-data"),
    params(
        ("id" = Uuid, Path, description = "The patto's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Stored", body = DocumentView, headers(("Location" = String))), UploadErrors),
    security(("bearer" = []))
)]
#[post("/patti/{id}/documents")]
pub async fn upload_patto_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    form: documents::UploadForm,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let actor = caller.actor;
    state.read(move |tx| command::may_attach(tx, &actor, id)).await?;
    let ctx = state.context(&caller);
    let location = format!("/api/v1/patti/{id}/documents");
    documents::upload(&state, &caller, DocumentOwner::Patto(id), location, key, form, move |tx, doc| {
        command::attach(tx, &ctx, doc)
    })
    .await
}

/// List a patto's documents
#[utoipa::path(
    tag = "patti",
    params(("id" = Uuid, Path, description = "The patto's id"), PageQuery),
    responses((status = 200, description = "Documents, oldest first", body = Listing<DocumentView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/patti/{id}/documents")]
pub async fn list_patto_documents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::documents(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, DocumentView::from)))
}

/// Download a patto's document
#[utoipa::path(
    tag = "patti",
    params(("id" = Uuid, Path, description = "The patto's id"), ("document_id" = Uuid, Path, description = "The document's id")),
    responses(DocumentDownload),
    security(("bearer" = []))
)]
#[get("/patti/{id}/documents/{document_id}")]
pub async fn download_patto_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, document_id) = path.into_inner();
    let actor = caller.actor;
    let doc = state.read(move |tx| command::document(tx, &actor, id.into(), document_id.into())).await?;
    documents::download(&state, doc).await
}
