//! Accreditations: the authority's measure that a provider may deliver an intervention in a
//! municipality. Their provider and the issuing authorities' staff read them whole, with the
//! measures taken on them; staff suspend, reinstate and revoke them, each time with a reason and
//! the act (determina). The public reads the registry.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::accreditation::{Accreditation, AccreditationStatus};
use ambito_domain::application::ScopeItem;
use ambito_domain::measure::{Act, Decision, Measure, MeasureKind};
use ambito_domain::rome::{in_rome, parse_instant, start_of_day};
use ambito_domain::{FieldError, InterventionCode, IstatCode};
use ambito_persistence::accreditation::{self as accreditations, AccreditationFilter, AccreditationSort};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::accreditation::{self as command, Standing};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::json::Json;
use crate::openapi::{ActionErrors, IfMatchHeader, ReadErrors};
use crate::pagination::{Listing, PageQuery};

/// Where an accreditation stands: derived from its measures, its provider's requirements and
/// the clock.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationStatusView {
    Active,
    Suspended,
    Revoked,
    /// A requirement (such as the DURC) expired with no valid one recorded and confirmed.
    Lapsed,
    /// The list's validity has ended.
    Expired,
}

impl From<AccreditationStatus> for AccreditationStatusView {
    fn from(s: AccreditationStatus) -> Self {
        match s {
            AccreditationStatus::Active => Self::Active,
            AccreditationStatus::Suspended => Self::Suspended,
            AccreditationStatus::Revoked => Self::Revoked,
            AccreditationStatus::Lapsed => Self::Lapsed,
            AccreditationStatus::Expired => Self::Expired,
        }
    }
}

/// An act (determina): its number and date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActView {
    #[schema(example = "2024/123")]
    pub number: String,
    pub date: NaiveDate,
}

impl From<Act> for ActView {
    fn from(a: Act) -> Self {
        Self { number: a.number, date: a.date }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKindView {
    Suspension,
    Reinstatement,
    Revocation,
}

/// A suspension, reinstatement or revocation, as decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureView {
    pub id: Uuid,
    pub kind: MeasureKindView,
    pub reason: String,
    #[schema(value_type = String, format = DateTime, example = "2024-04-01T00:00:00+02:00")]
    pub effective_from: DateTime<FixedOffset>,
    /// When a suspension ends by itself.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_until: Option<DateTime<FixedOffset>>,
    pub act: Option<ActView>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: DateTime<FixedOffset>,
    pub recorded_by: Option<Uuid>,
}

impl From<Measure> for MeasureView {
    fn from(m: Measure) -> Self {
        Self {
            id: m.id.into(),
            kind: match m.kind {
                MeasureKind::Suspension => MeasureKindView::Suspension,
                MeasureKind::Reinstatement => MeasureKindView::Reinstatement,
                MeasureKind::Revocation => MeasureKindView::Revocation,
            },
            reason: m.reason,
            effective_from: in_rome(m.effective_from),
            effective_until: m.effective_until.map(in_rome),
            act: m.act.map(Into::into),
            recorded_at: in_rome(m.recorded_at),
            recorded_by: m.recorded_by.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccreditationView {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    pub application_id: Uuid,
    #[schema(example = "home_care_generic")]
    pub intervention: String,
    #[schema(example = "019021")]
    pub municipality: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The round of the call that granted it.
    pub round: u32,
    /// The act that added it to the list.
    pub act: Option<ActView>,
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: DateTime<FixedOffset>,
    pub status: AccreditationStatusView,
    /// Every suspension, reinstatement and revocation, oldest first.
    pub measures: Vec<MeasureView>,
    pub version: i64,
}

impl AccreditationView {
    pub fn new(a: Accreditation, status: Option<AccreditationStatus>) -> Self {
        Self {
            id: a.id.into(),
            tender_id: a.tender_id.into(),
            provider_id: a.provider_id.into(),
            application_id: a.application_id.into(),
            intervention: a.intervention.into(),
            municipality: a.municipality.into(),
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            round: a.round,
            act: a.act.map(Into::into),
            granted_at: in_rome(a.granted_at),
            status: status.unwrap_or(AccreditationStatus::Active).into(),
            measures: a.measures.into_iter().map(Into::into).collect(),
            version: a.version,
        }
    }
}

impl From<Standing> for AccreditationView {
    fn from((a, status): Standing) -> Self {
        Self::new(a, status)
    }
}

fn render(standing: Standing) -> HttpResponse {
    let version = standing.0.version;
    ok_with_etag(&AccreditationView::from(standing), version)
}

/// An instant, or a day: a day that starts something means its first instant; a day that ends
/// something (`until`) is included, and ends at the next day's first instant.
pub fn instant_or_day(field: &str, value: &str, ends: bool) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(day) = value.trim().parse::<NaiveDate>() {
        return Ok(start_of_day(if ends { day + Duration::days(1) } else { day }));
    }
    parse_instant(value).map_err(|e| FieldError::new(field, e.to_string()))
}

/// A suspension: why, by which act, from when (now, when left out) and until when (with no
/// end, until a reinstatement).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "reason": "Verifica sulla qualità del servizio",
    "act_number": "2024/211",
    "act_date": "2024-04-02",
    "until": "2024-04-30"
}))]
pub struct SuspendInput {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub act_number: String,
    pub act_date: NaiveDate,
    /// A day or an instant (Rome time without an offset).
    #[schema(example = "2024-04-02", max_length = 40)]
    pub from: Option<String>,
    /// The last day suspended (or the instant it ends).
    #[schema(example = "2024-04-30", max_length = 40)]
    pub until: Option<String>,
}

/// A reinstatement or a revocation: why, and by which act.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Verifica conclusa con esito positivo", "act_number": "2024/260", "act_date": "2024-04-20"}))]
pub struct DecisionInput {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub act_number: String,
    pub act_date: NaiveDate,
}

/// A measure as staff decide it: what, why, by which act.
pub struct Measured {
    pub decision: Decision,
    pub reason: String,
    pub act: Act,
}

impl SuspendInput {
    pub fn parse(self) -> Result<Measured, ApiError> {
        let mut errors = Vec::new();
        let from = self
            .from
            .as_deref()
            .map(|v| instant_or_day("from", v, false))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let until = self
            .until
            .as_deref()
            .map(|v| instant_or_day("until", v, true))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let decided =
            DecisionInput { reason: self.reason, act_number: self.act_number, act_date: self.act_date }.parse();
        match decided {
            Ok(m) if errors.is_empty() => Ok(Measured { decision: Decision::Suspend { from, until }, ..m }),
            Ok(_) => Err(ApiError::Validation(errors)),
            Err(ApiError::Validation(mut more)) => {
                errors.append(&mut more);
                Err(ApiError::Validation(errors))
            }
            Err(e) => Err(e),
        }
    }
}

impl DecisionInput {
    /// The reason and act; the decision is the endpoint's (reinstate, revoke).
    pub fn parse(self) -> Result<Measured, ApiError> {
        let reason = crate::text("reason", &self.reason, 3, 2000);
        let number = crate::text("act_number", &self.act_number, 1, 64);
        match (reason, number) {
            (Ok(reason), Ok(number)) => {
                Ok(Measured { decision: Decision::Revoke, reason, act: Act { number, date: self.act_date } })
            }
            (reason, number) => Err(ApiError::Validation(
                [reason.err(), number.err()]
                    .into_iter()
                    .flatten()
                    .flat_map(|e| match e {
                        ApiError::Validation(errors) => errors,
                        _ => Vec::new(),
                    })
                    .collect(),
            )),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccreditationQuery {
    pub tender_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    /// With `municipality`: only the accreditations of this intervention there.
    #[param(max_length = 64, pattern = "^\\S+$")]
    pub intervention: Option<String>,
    #[param(pattern = "^[0-9]{6}$")]
    pub municipality: Option<String>,
    /// `created` (oldest first, the default) or `valid_to` (the soonest end of validity first).
    #[param(inline)]
    pub sort: Option<AccreditationSortView>,
}

/// The order of a list of accreditations.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationSortView {
    /// Oldest first, by creation (the default).
    #[default]
    Created,
    /// The soonest end of validity first: what must be renewed.
    ValidTo,
}

impl AccreditationQuery {
    fn filter(self) -> Result<AccreditationFilter, ApiError> {
        let invalid = |field: &str, e: String| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{field}: {e}"),
            errors: vec![FieldError::new(field, e)],
        };
        let municipality = self
            .municipality
            .as_deref()
            .map(|m| IstatCode::parse(m).map_err(|e| invalid("municipality", e.to_string())))
            .transpose()?;
        let intervention = self
            .intervention
            .as_deref()
            .map(|i| InterventionCode::parse(i).map_err(|e| invalid("intervention", e.to_string())))
            .transpose()?;
        let (item, municipalities) = match (intervention, municipality) {
            (Some(intervention), Some(municipality)) => (Some(ScopeItem { intervention, municipality }), None),
            (None, Some(municipality)) => (None, Some(vec![municipality])),
            (Some(_), None) => return Err(invalid("intervention", "give it with a municipality".into())),
            (None, None) => (None, None),
        };
        Ok(AccreditationFilter {
            tender_id: self.tender_id.map(Into::into),
            provider_id: self.provider_id.map(Into::into),
            issued_by: None,
            municipalities,
            item,
            sort: match self.sort.unwrap_or_default() {
                AccreditationSortView::Created => AccreditationSort::Created,
                AccreditationSortView::ValidTo => AccreditationSort::ValidTo,
            },
        })
    }
}

/// List accreditations
///
/// A provider lists its own; authority staff those of their calls; admins all. Each with where
/// it stands now, ordered by creation or, with `sort=valid_to`, by the end of validity.
/// Municipalities and the public read the registry instead.
#[utoipa::path(
    tag = "registry",
    params(PageQuery, AccreditationQuery),
    responses((status = 200, description = "One page of accreditations", body = Listing<AccreditationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/accreditations")]
pub async fn list_accreditations(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<AccreditationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, page, now) = (caller.actor, page.page()?, state.clock.now());
    let filter = query.into_inner().filter()?;
    if let Some(cursor) = &page.after
        && !accreditations::valid_cursor(filter.sort, cursor)
    {
        return Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"));
    }
    let paged = state.read(move |tx| command::list(tx, &actor, filter, &page, now)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AccreditationView::from)))
}

/// Get an accreditation
///
/// With every measure taken on it. Its provider, the issuing authorities' staff, admins.
#[utoipa::path(
    tag = "registry",
    params(("id" = Uuid, Path, description = "The accreditation's id")),
    responses((status = 200, description = "The accreditation", body = AccreditationView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/accreditations/{id}")]
pub async fn get_accreditation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, now) = (caller.actor, id.into_inner().into(), state.clock.now());
    Ok(render(state.read(move |tx| command::get(tx, &actor, id, now)).await?))
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

/// Suspend an accreditation
///
/// Staff of an issuing authority, with a reason and the act: from a day or an instant (now when
/// left out), until a day (back to active when it ends, by the clock) or until reinstated.
#[utoipa::path(
    tag = "registry",
    request_body = SuspendInput,
    params(
        ("id" = Uuid, Path, description = "The accreditation's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Suspended", body = AccreditationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/accreditations/{id}/suspend")]
pub async fn suspend_accreditation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<SuspendInput>,
) -> Result<HttpResponse, ApiError> {
    decide(&state, &caller, id.into_inner(), if_match, body.into_inner().parse()?).await
}

/// Reinstate an accreditation
///
/// Ends a suspension now, with a reason and the act.
#[utoipa::path(
    tag = "registry",
    request_body = DecisionInput,
    params(
        ("id" = Uuid, Path, description = "The accreditation's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Reinstated", body = AccreditationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/accreditations/{id}/reinstate")]
pub async fn reinstate_accreditation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let measured = Measured { decision: Decision::Reinstate, ..body.into_inner().parse()? };
    decide(&state, &caller, id.into_inner(), if_match, measured).await
}

/// Revoke an accreditation
///
/// Final, from now, with a reason and the act.
#[utoipa::path(
    tag = "registry",
    request_body = DecisionInput,
    params(
        ("id" = Uuid, Path, description = "The accreditation's id"),
        IfMatchHeader,
    ),
    responses((status = 200, description = "Revoked", body = AccreditationView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/accreditations/{id}/revoke")]
pub async fn revoke_accreditation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    decide(&state, &caller, id.into_inner(), if_match, body.into_inner().parse()?).await
}
