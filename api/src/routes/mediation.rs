//! Linguistic-cultural mediation: providers' mediators, and requests from an authority's or a
//! municipality's services, offered to the providers the registry allows, confirmed by one,
//! delivered, cancelled, or not attended.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::access::RequestView;
use ambito_domain::mediation::{
    Ask, Language, MediationContext, MediationMode, MediationRequest, MediationStatus, Mediator, Outcome,
};
use ambito_domain::rome::{in_rome, parse_instant};
use ambito_domain::{FieldError, IstatCode, Name, OrganizationId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::mediation::{self as command, Ending, ListQuery, Seen};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::{Json, OptionalJson};
use crate::openapi::{ActionErrors, CreateErrors, IdempotencyHeader, IfMatchHeader, ReadErrors};
use crate::pagination::{Listing, PageQuery};

mirror_enum!(ContextView <=> MediationContext { Social, SocioHealth, Health, School });
mirror_enum!(ModeView <=> MediationMode { InPerson, Phone, Video, WrittenTranslation });
mirror_enum!(
    /// Where a mediation request stands.
    MediationStatusView <=> MediationStatus {
        /// Waiting for a provider to confirm.
        Requested,
        Confirmed,
        Delivered,
        /// Billed in a validated delivery report.
        Reported,
        Cancelled,
        /// The person did not come: billable at the minimum.
        NoShow,
    }
);

fn languages(list: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<Language> {
    list.iter()
        .enumerate()
        .filter_map(|(i, l)| {
            Language::parse(l).map_err(|e| errors.push(FieldError::new(format!("languages.{i}"), e.to_string()))).ok()
        })
        .collect()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Samira El Amrani", "languages": ["ar", "fr"]}))]
pub struct MediatorInput {
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// ISO 639 codes.
    #[schema(min_items = 1, max_items = 20, inline)]
    pub languages: Vec<LanguageCode>,
}

/// An ISO 639 language code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, pattern = "^[a-z]{2,3}$", example = "ar")]
pub struct LanguageCode(pub String);

#[derive(Debug, Serialize, ToSchema)]
pub struct MediatorView {
    pub id: Uuid,
    pub provider_id: Uuid,
    #[schema(example = "Samira El Amrani")]
    pub name: String,
    #[schema(example = json!(["ar", "fr"]))]
    pub languages: Vec<String>,
    /// Whether a confirmation may name them.
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
}

impl From<Mediator> for MediatorView {
    fn from(m: Mediator) -> Self {
        Self {
            id: m.id.into(),
            provider_id: m.provider_id.into(),
            name: m.name.as_str().to_owned(),
            languages: m.languages.iter().map(|l| l.as_str().to_owned()).collect(),
            active: m.active,
            created_at: in_rome(m.created_at),
        }
    }
}

/// Add a mediator
///
/// A provider's members keep its list of mediators and the languages they speak.
#[utoipa::path(
    tag = "mediation",
    request_body = MediatorInput,
    params(("id" = Uuid, Path, description = "The provider's id"), IdempotencyHeader),
    responses((status = 201, description = "On the list", body = MediatorView, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/providers/{id}/mediators")]
pub async fn register_mediator(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<MediatorInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let mut errors = Vec::new();
    let name = Name::parse(&body.name).map_err(|e| errors.push(FieldError::new("name", e.to_string())));
    let spoken = languages(body.languages.into_iter().map(|l| l.0).collect(), &mut errors);
    let Ok(name) = name else { return Err(ApiError::Validation(errors)) };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (ctx, provider) = (state.context(&caller), id.into_inner());
    let scope = format!("providers/{provider}/mediators");
    idempotency::run(&state, &caller, key, &scope, &fingerprint, move |tx| {
        let m = command::register_mediator(tx, &ctx, provider.into(), name.clone(), spoken.clone())?;
        Ok(Created::new(&MediatorView::from(m), format!("/api/v1/providers/{provider}/mediators"), None))
    })
    .await
}

/// List a provider's mediators
#[utoipa::path(
    tag = "mediation",
    params(("id" = Uuid, Path, description = "The provider's id"), PageQuery),
    responses((status = 200, description = "The mediators", body = Listing<MediatorView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/providers/{id}/mediators")]
pub async fn list_mediators(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::mediators(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, MediatorView::from)))
}

/// Take a mediator off the list
///
/// No new confirmation may name them; what they confirmed stays.
#[utoipa::path(
    tag = "mediation",
    params(("id" = Uuid, Path, description = "The provider's id"), ("mediator_id" = Uuid, Path, description = "The mediator's id")),
    responses((status = 200, description = "Off the list", body = MediatorView), ActionErrors),
    security(("bearer" = []))
)]
#[post("/providers/{id}/mediators/{mediator_id}/deactivate")]
pub async fn deactivate_mediator(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (provider, mediator) = path.into_inner();
    let ctx = state.context(&caller);
    let m = state.write(move |tx| command::deactivate_mediator(tx, &ctx, provider.into(), mediator.into())).await?;
    Ok(HttpResponse::Ok().json(MediatorView::from(m)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "service": "Scuola primaria Trento e Trieste",
    "contact": "segreteria@primaria-trento.example.it, 0372 000000",
    "operator": "Maestra Giulia Rossi",
    "reason": "Colloquio con i genitori sull'inserimento del figlio",
    "language": "ar",
    "nationality": "MA",
    "context": "school",
    "mode": "in_person",
    "starts_at": "2030-05-20T16:00:00+02:00",
    "minutes": 90,
    "place": "Via Trento 1, Cremona",
    "urgent": false,
    "municipality": "019036",
    "initials": "AB"
}))]
pub struct MediationInput {
    /// The requesting service: a ward, a school, a social service.
    #[schema(min_length = 2, max_length = 200, pattern = "\\S")]
    pub service: String,
    /// How to reach it.
    #[schema(min_length = 2, max_length = 200, pattern = "\\S")]
    pub contact: String,
    /// The operator who will be present with the mediator.
    #[schema(min_length = 2, max_length = 200, pattern = "\\S")]
    pub operator: String,
    #[schema(min_length = 2, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    /// ISO 639.
    #[schema(example = "ar", pattern = "^[a-z]{2,3}$")]
    pub language: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "MA", pattern = "^[A-Z]{2}$")]
    pub nationality: Option<String>,
    pub context: ContextView,
    pub mode: ModeView,
    /// When, with an offset or as Rome time; in the future.
    #[schema(example = "2030-05-20T16:00:00+02:00", max_length = 40)]
    pub starts_at: String,
    #[schema(minimum = 15, maximum = 720)]
    pub minutes: u32,
    /// Where the mediator goes, for a mediation in person.
    #[schema(min_length = 2, max_length = 300, pattern = "\\S")]
    pub place: Option<String>,
    #[serde(default)]
    pub urgent: bool,
    /// The municipality where the service is (ISTAT code).
    #[schema(example = "019036", pattern = "^[0-9]{6}$")]
    pub municipality: String,
    /// The person's initials, the minimum needed.
    #[schema(example = "AB", pattern = "^[A-Z]{1,4}$")]
    pub initials: Option<String>,
    /// Or their record, if the person has one and the caller may read it.
    pub beneficiary_id: Option<Uuid>,
}

impl MediationInput {
    fn parse(self) -> Result<Ask, ApiError> {
        let mut errors = Vec::new();
        let language =
            Language::parse(&self.language).map_err(|e| errors.push(FieldError::new("language", e.to_string())));
        let starts_at =
            parse_instant(&self.starts_at).map_err(|e| errors.push(FieldError::new("starts_at", e.to_string())));
        let municipality = IstatCode::parse(&self.municipality)
            .map_err(|e| errors.push(FieldError::new("municipality", e.to_string())));
        let (Ok(language), Ok(starts_at), Ok(municipality)) = (language, starts_at, municipality) else {
            return Err(ApiError::Validation(errors));
        };
        Ok(Ask {
            service: self.service,
            contact: self.contact,
            operator: self.operator,
            reason: self.reason,
            language,
            nationality: self.nationality,
            context: self.context.into(),
            mode: self.mode.into(),
            starts_at,
            minutes: self.minutes,
            place: self.place,
            urgent: self.urgent,
            municipality,
            initials: self.initials,
            beneficiary_id: self.beneficiary_id.map(Into::into),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub provider_id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub offered_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub declined_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub provider_id: Uuid,
    pub patto_id: Uuid,
    pub mediator_id: Uuid,
    pub mediator_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<FixedOffset>,
    pub minutes: u32,
    #[schema(value_type = String, format = DateTime)]
    pub confirmed_at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeView {
    Delivered,
    Cancelled,
    NoShow,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndingView {
    pub outcome: OutcomeView,
    /// When the mediation started, if delivered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<DateTime<FixedOffset>>,
    /// The minutes delivered.
    pub minutes: Option<u32>,
    /// The pages of a written translation.
    pub pages: Option<u32>,
    /// A cancellation under 24 hours before a confirmed slot: still billable.
    pub late: bool,
    /// The reason of a cancellation, or the provider's note.
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<FixedOffset>,
}

/// What a mediation bills once it ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillableView {
    pub provider_id: Uuid,
    pub minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediationView {
    pub id: Uuid,
    /// `full`, or `offer` for a provider deciding: without who, why and how to reach them.
    #[schema(example = "full")]
    pub view: String,
    pub status: MediationStatusView,
    pub authority_id: Uuid,
    pub requested_by: Uuid,
    pub service: String,
    pub contact: Option<String>,
    pub operator: Option<String>,
    pub reason: Option<String>,
    #[schema(example = "ar")]
    pub language: String,
    pub nationality: Option<String>,
    pub context: ContextView,
    pub mode: ModeView,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: DateTime<FixedOffset>,
    pub minutes: u32,
    pub place: Option<String>,
    pub urgent: bool,
    #[schema(example = "019036")]
    pub municipality: String,
    pub initials: Option<String>,
    pub beneficiary_id: Option<Uuid>,
    pub offers: Vec<OfferView>,
    pub confirmation: Option<ConfirmationView>,
    pub ending: Option<EndingView>,
    pub billable: Option<BillableView>,
    pub reported_in: Option<Uuid>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
}

fn view_of(r: MediationRequest, view: RequestView, reader: OrganizationId) -> MediationView {
    let full = view == RequestView::Full;
    let billable = r.billable().map(|b| BillableView { provider_id: b.provider_id.into(), minutes: b.minutes });
    let status = r.status().into();
    let a = r.ask;
    MediationView {
        id: r.id.into(),
        view: if full { "full" } else { "offer" }.to_owned(),
        status,
        authority_id: r.authority_id.into(),
        requested_by: r.requested_by.into(),
        service: a.service,
        contact: full.then_some(a.contact),
        operator: full.then_some(a.operator),
        reason: full.then_some(a.reason),
        language: a.language.as_str().to_owned(),
        nationality: a.nationality,
        context: a.context.into(),
        mode: a.mode.into(),
        starts_at: in_rome(a.starts_at),
        minutes: a.minutes,
        place: a.place,
        urgent: a.urgent,
        municipality: a.municipality.as_str().to_owned(),
        initials: a.initials.filter(|_| full),
        beneficiary_id: a.beneficiary_id.filter(|_| full).map(Into::into),
        offers: r
            .offers
            .into_iter()
            .filter(|o| full || o.provider_id == reader)
            .map(|o| OfferView {
                provider_id: o.provider_id.into(),
                offered_at: in_rome(o.offered_at),
                declined_at: o.declined_at.map(in_rome),
            })
            .collect(),
        confirmation: r.confirmation.filter(|_| full).map(|c| ConfirmationView {
            provider_id: c.provider_id.into(),
            patto_id: c.patto_id.into(),
            mediator_id: c.mediator_id.into(),
            mediator_name: c.mediator_name,
            starts_at: in_rome(c.starts_at),
            minutes: c.minutes,
            confirmed_at: in_rome(c.at),
        }),
        ending: r.ending.filter(|_| full).map(|e| {
            let (outcome, started_at, minutes, pages, late, note) = match e.outcome {
                Outcome::Delivered { started_at, minutes, pages, note } => {
                    (OutcomeView::Delivered, Some(in_rome(started_at)), Some(minutes), pages, false, note)
                }
                Outcome::Cancelled { reason, late } => (OutcomeView::Cancelled, None, None, None, late, reason),
                Outcome::NoShow { note } => (OutcomeView::NoShow, None, None, None, false, note),
            };
            EndingView { outcome, started_at, minutes, pages, late, note, at: in_rome(e.at) }
        }),
        billable: billable.filter(|_| full),
        reported_in: r.reported_in.map(Into::into),
        version: r.version,
        created_at: in_rome(r.created_at),
    }
}

fn render(seen: Seen, reader: OrganizationId) -> HttpResponse {
    let version = seen.request.version;
    ok_with_etag(&view_of(seen.request, seen.view, reader), version)
}

/// Ask for a mediator
///
/// A municipality's service for its own territory, or an authority's for a municipality of its
/// districts: language, context, mode, slot, place, urgency; the person by initials or by their
/// record. An urgent request is offered at once to every provider with an active patto for
/// mediation in that context and municipality on that day; the first to confirm gets it.
#[utoipa::path(
    tag = "mediation",
    request_body = MediationInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "Requested", body = MediationView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests")]
pub async fn request_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<MediationInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let ask = body.parse()?;
    let (ctx, reader) = (state.context(&caller), caller.actor.organization);
    idempotency::run(&state, &caller, key, "mediation-requests", &fingerprint, move |tx| {
        let seen = command::request(tx, &ctx, ask.clone())?;
        let (location, version) = (format!("/api/v1/mediation-requests/{}", seen.request.id), seen.request.version);
        Ok(Created::new(&view_of(seen.request, seen.view, reader), location, Some(version)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MediationQuery {
    #[param(inline)]
    pub status: Option<MediationStatusView>,
    #[param(inline)]
    pub context: Option<ContextView>,
    #[param(example = "ar", pattern = "^[a-z]{2,3}$")]
    pub language: Option<String>,
    /// Slots from this instant on (Rome time without an offset).
    #[param(example = "2024-05-01T00:00:00+02:00", max_length = 40)]
    pub from: Option<String>,
    /// Slots before this instant.
    #[param(example = "2024-06-01T00:00:00+02:00", max_length = 40)]
    pub to: Option<String>,
}

impl MediationQuery {
    fn parse(self, calendar: bool) -> Result<ListQuery, ApiError> {
        let bad = |field: &str, message: String| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        };
        let instant = |field: &str, v: Option<String>| {
            v.map(|v| parse_instant(&v).map_err(|e| bad(field, e.to_string()))).transpose()
        };
        let language =
            self.language.map(|l| Language::parse(&l).map_err(|e| bad("language", e.to_string()))).transpose()?;
        Ok(ListQuery {
            status: self.status.map(Into::into),
            context: self.context.map(|c| MediationContext::from(c).as_str().to_owned()),
            language: language.map(|l| l.as_str().to_owned()),
            from: instant("from", self.from)?,
            to: instant("to", self.to)?,
            calendar,
        })
    }
}

/// List mediation requests
///
/// Staff: their authority's and their own service's, unanswered urgent requests first, then by
/// slot; a municipality: its own; a provider: those offered to it or confirmed by it. Filter by
/// status, context, language and slot.
#[utoipa::path(
    tag = "mediation",
    params(PageQuery, MediationQuery),
    responses((status = 200, description = "One page of requests", body = Listing<MediationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/mediation-requests")]
pub async fn list_mediations(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<MediationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, page, query) = (caller.actor, page.page()?, query.into_inner().parse(false)?);
    let paged = state.read(move |tx| command::list(tx, &actor, query, &page)).await?;
    let reader = actor.organization;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, |s: Seen| view_of(s.request, s.view, reader))))
}

/// The calendar of confirmed slots
///
/// A provider's confirmed mediations (staff: their authority's), by slot.
#[utoipa::path(
    tag = "mediation",
    params(PageQuery, MediationQuery),
    responses((status = 200, description = "Confirmed slots, soonest first", body = Listing<MediationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/mediation-calendar")]
pub async fn mediation_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<MediationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, page, query) = (caller.actor, page.page()?, query.into_inner().parse(true)?);
    let paged = state.read(move |tx| command::list(tx, &actor, query, &page)).await?;
    let reader = actor.organization;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, |s: Seen| view_of(s.request, s.view, reader))))
}

/// Get a mediation request
#[utoipa::path(
    tag = "mediation",
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = MediationView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/mediation-requests/{id}")]
pub async fn get_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (caller.actor, id.into_inner().into());
    Ok(render(state.read(move |tx| command::get(tx, &actor, id)).await?, actor.organization))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub provider_id: Uuid,
}

/// Offer a request to a provider
///
/// Staff of the responsible authority, to a provider that may serve it (409
/// `provider_not_eligible` otherwise); a non-urgent request, one provider at a time.
#[utoipa::path(
    tag = "mediation",
    request_body = OfferInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Offered", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/offer")]
pub async fn offer_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<OfferInput>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, provider) = (state.context(&caller), id.into_inner().into(), body.provider_id.into());
    Ok(render(
        state.write(move |tx| command::offer(tx, &ctx, id, if_match, provider)).await?,
        caller.actor.organization,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// An active mediator of the provider's list who speaks the language.
    pub mediator_id: Uuid,
}

/// Confirm a mediation
///
/// A provider offered the request, naming its mediator. For an urgent request offered to
/// several, the first confirmation wins; the others answer 409 `already_confirmed`.
#[utoipa::path(
    tag = "mediation",
    request_body = ConfirmInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Confirmed", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/confirm")]
pub async fn confirm_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<ConfirmInput>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, mediator) = (state.context(&caller), id.into_inner().into(), body.mediator_id.into());
    Ok(render(
        state.write(move |tx| command::confirm(tx, &ctx, id, if_match, mediator)).await?,
        caller.actor.organization,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Decline a mediation
#[utoipa::path(
    tag = "mediation",
    request_body(content = Option<NoteInput>, description = "Why, if the provider says"),
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Declined", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/decline")]
pub async fn decline_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: OptionalJson<NoteInput>,
) -> Result<HttpResponse, ApiError> {
    let note = body.0.unwrap_or_default().note;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::decline(tx, &ctx, id, if_match, note)).await?, caller.actor.organization))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"started_at": "2030-05-20T16:05:00+02:00", "minutes": 85}))]
pub struct DeliveryInput {
    /// When it started, with an offset or as Rome time.
    #[schema(example = "2030-05-20T16:05:00+02:00", max_length = 40)]
    pub started_at: String,
    #[schema(minimum = 1, maximum = 720)]
    pub minutes: u32,
    /// The pages of a written translation.
    #[schema(minimum = 1, maximum = 1000)]
    pub pages: Option<u32>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Record the delivery
///
/// The provider that confirmed: when it started, how many minutes, the pages of a translation.
#[utoipa::path(
    tag = "mediation",
    request_body = DeliveryInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Delivered", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/delivery")]
pub async fn deliver_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<DeliveryInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let started_at =
        parse_instant(&body.started_at).map_err(|e| ApiError::invalid_field("started_at", e.to_string()))?;
    let ending = Ending::Delivered { started_at, minutes: body.minutes, pages: body.pages, note: body.note };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::end(tx, &ctx, id, if_match, ending)).await?, caller.actor.organization))
}

/// Record that the person did not come
///
/// The provider that confirmed, once the slot has begun: billable at the minimum (an hour, or
/// the slot if shorter).
#[utoipa::path(
    tag = "mediation",
    request_body(content = Option<NoteInput>, description = "What happened"),
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Recorded", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/no-show")]
pub async fn no_show(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: OptionalJson<NoteInput>,
) -> Result<HttpResponse, ApiError> {
    let ending = Ending::NoShow { note: body.0.unwrap_or_default().note };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::end(tx, &ctx, id, if_match, ending)).await?, caller.actor.organization))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Riunione rinviata"}))]
pub struct CancelInput {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
}

/// Cancel a mediation
///
/// The requesting service or the responsible authority's staff. Under 24 hours before a
/// confirmed slot the cancellation is late, and the slot is still billable.
#[utoipa::path(
    tag = "mediation",
    request_body = CancelInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Cancelled", body = MediationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/mediation-requests/{id}/cancel")]
pub async fn cancel_mediation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<CancelInput>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().reason;
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::cancel(tx, &ctx, id, if_match, reason)).await?, caller.actor.organization))
}
