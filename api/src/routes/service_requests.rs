//! Service requests: a municipality asks for home care for a person; the responsible authority
//! assesses it and grants vouchers with the family's co-payment; the family chooses a provider
//! for each voucher among those the registry allows; the provider accepts or declines; the
//! service runs, is suspended (a hospital stay), resumes and is closed.
//!
//! Who reads what: the authority's staff, the requesting municipality and a provider that
//! accepted read the whole request, its care plan included (each such read is in the person's
//! access log); a provider offered a voucher reads only what it needs to decide.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::access::RequestView;
use ambito_domain::copayment::{Basis, Period as CopaymentPeriod};
use ambito_domain::rome::in_rome;
use ambito_domain::service_request::{
    Answer, Ask, Asked, CloseReason, DeclineReason, IneligibleReason, Outcome, Period, RequestStatus, ServiceRequest,
    Urgency, Voucher, VoucherStatus,
};
use ambito_domain::{FieldError, InterventionCode, IstatCode, OrganizationId, VoucherId};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::service_request::{self as command, Choosable, Granted, ListQuery, Listed, RequestSort, Seen};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::{Json, OptionalJson};
use crate::openapi::{ActionErrors, CreateErrors, IdempotencyHeader, IfMatchHeader, ReadErrors};
use crate::pagination::{Listing, PageQuery};
use crate::routes::catalogue::UnitView;

mirror_enum!(PeriodView <=> Period { Week, Month });
mirror_enum!(UrgencyView <=> Urgency { Ordinary, Urgent });
mirror_enum!(IneligibleReasonView <=> IneligibleReason {
    /// The person does not meet the regulation's criteria of need.
    NeedsNotMet,
    /// Another service already answers the need.
    OtherServiceInPlace,
    NotResident,
    /// The integration asked for did not come.
    IncompleteDocumentation,
    Other,
});
mirror_enum!(DeclineReasonView <=> DeclineReason { NoCapacity, NoQualifiedStaff, ScheduleNotCompatible, Other });
mirror_enum!(CloseReasonView <=> CloseReason {
    /// The need is met, or the care plan ended.
    Completed,
    Deceased,
    MovedAway,
    ResidentialCare,
    /// The family gave the service up.
    Renounced,
    /// Withdrawn by the municipality before it was assessed.
    Withdrawn,
    Other,
});
mirror_enum!(
    /// Where a request stands, derived from what was recorded, the clock and the registry.
    RequestStatusView <=> RequestStatus {
        Submitted,
        /// Staff asked the municipality for more before assessing.
        IntegrationRequested,
        Ineligible,
        /// Granted: a voucher waits for the family's choice of provider (or a new one).
        Eligible,
        /// Every voucher has a provider chosen; an offer waits for the provider's answer.
        ProviderChosen,
        /// Every voucher is accepted; the service has not started yet.
        Accepted,
        Active,
        Suspended,
        Closed,
    }
);
mirror_enum!(VoucherStatusView <=> VoucherStatus {
    AwaitingChoice,
    Offered,
    Accepted,
    Active,
    Suspended,
    /// Its provider may no longer serve it (patto or accreditation suspended, revoked, lapsed).
    NeedsNewChoice,
    Closed,
});

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskedView {
    #[schema(example = "home_care_professional", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    #[schema(example = 6, minimum = 1, maximum = 1000)]
    pub units: u32,
    pub period: PeriodView,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "beneficiary_id": "0193a8f0-0000-7000-8000-000000000000",
    "interventions": [
        {"intervention": "home_care_professional", "units": 6, "period": "week"},
        {"intervention": "meals_delivery", "units": 20, "period": "month"}
    ],
    "desired_start": "2030-03-04",
    "care_plan": "Igiene personale e aiuto nella preparazione dei pasti; rete familiare debole.",
    "urgency": "ordinary"
}))]
pub struct ServiceRequestInput {
    /// A person the municipality registered (`POST /beneficiaries`), living there.
    pub beneficiary_id: Uuid,
    #[schema(min_items = 1, max_items = 20)]
    pub interventions: Vec<AskedView>,
    pub desired_start: NaiveDate,
    /// The care plan's summary.
    #[schema(min_length = 3, max_length = 20000, pattern = "\\S")]
    pub care_plan: String,
    #[serde(default = "ordinary")]
    pub urgency: UrgencyView,
}

fn ordinary() -> UrgencyView {
    UrgencyView::Ordinary
}

fn parse_asked(items: Vec<AskedView>, errors: &mut Vec<FieldError>) -> Vec<Asked> {
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, a)| match InterventionCode::parse(&a.intervention) {
            Ok(intervention) => Some(Asked { intervention, units: a.units, period: a.period.into() }),
            Err(e) => {
                errors.push(FieldError::new(format!("interventions.{i}.intervention"), e.to_string()));
                None
            }
        })
        .collect()
}

/// The co-payment of a unit: what it rests on, and the split.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopaymentView {
    pub rule_id: Uuid,
    pub rule_version: u32,
    /// The ISEE used; absent when none was valid (full tariff) or the rule takes none.
    pub isee_id: Option<Uuid>,
    #[schema(example = 1090)]
    pub family_cents: i64,
    #[schema(example = 1090)]
    pub authority_cents: i64,
}

impl From<&Basis> for CopaymentView {
    fn from(b: &Basis) -> Self {
        Self {
            rule_id: b.rule_id.into(),
            rule_version: b.rule_version,
            isee_id: b.isee_id.map(Into::into),
            family_cents: b.split.family.get(),
            authority_cents: b.split.authority.get(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CopaymentPeriodView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub copayment: CopaymentView,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerView {
    Accepted,
    Declined,
}

/// The family's choice of a provider, and the provider's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceView {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub patto_id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub chosen_at: DateTime<FixedOffset>,
    pub answer: Option<AnswerView>,
    /// The day an accepting provider starts.
    pub start_date: Option<NaiveDate>,
    pub decline_reason: Option<DeclineReasonView>,
    pub decline_note: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<DateTime<FixedOffset>>,
}

/// What staff granted of one intervention.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherView {
    pub id: Uuid,
    #[schema(example = "home_care_professional")]
    pub intervention: String,
    pub unit: UnitView,
    #[schema(example = 6)]
    pub units: u32,
    pub period: PeriodView,
    /// The call's rate per unit: the tariff the co-payment divides.
    #[schema(example = 2180)]
    pub rate_cents: i64,
    pub tender_id: Uuid,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub status: VoucherStatusView,
    /// The provider serving it, or offered it.
    pub provider_id: Option<Uuid>,
    pub provider_name: Option<String>,
    /// The day the accepting provider starts.
    pub start_date: Option<NaiveDate>,
    /// The co-payment of its first day as granted (full view).
    pub granted_copayment: Option<CopaymentView>,
    /// The co-payment over its validity: it changes where a new ISEE or rule version takes
    /// effect (full view).
    pub copayment: Option<Vec<CopaymentPeriodView>>,
    /// Every choice and answer, oldest first (full view).
    pub choices: Option<Vec<ChoiceView>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub message: String,
    pub due_on: NaiveDate,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: DateTime<FixedOffset>,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeView {
    Eligible,
    Ineligible,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    pub outcome: OutcomeView,
    pub ineligible_reason: Option<IneligibleReasonView>,
    pub explanation: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub assessed_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuspensionView {
    pub from: NaiveDate,
    /// The last day suspended; absent until resumed.
    pub until: Option<NaiveDate>,
    pub reason: String,
    /// The day the service resumed, when before `until`.
    pub resumed_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub reason: CloseReasonView,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub closed_at: DateTime<FixedOffset>,
}

/// How much of the request the reader sees.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewKind {
    /// Everything, the care plan and co-payment included.
    Full,
    /// A list's summary: no care plan, no co-payment.
    Summary,
    /// What a provider offered a voucher needs to decide.
    Offer,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestView {
    pub id: Uuid,
    pub view: ViewKind,
    pub status: RequestStatusView,
    /// Whether a voucher's provider may no longer serve it: the family chooses again.
    pub needs_attention: bool,
    /// Absent for a provider deciding on an offer.
    pub beneficiary_id: Option<Uuid>,
    /// The responsible authority.
    pub authority_id: Uuid,
    /// The municipality that asked.
    pub requested_by: Uuid,
    /// Where the service is delivered (ISTAT code).
    #[schema(example = "019021")]
    pub municipality: String,
    #[schema(example = "75-84")]
    pub age_band: String,
    pub interventions: Vec<AskedView>,
    pub desired_start: NaiveDate,
    /// Full view only.
    pub care_plan: Option<String>,
    pub urgency: UrgencyView,
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: DateTime<FixedOffset>,
    pub integrations: Vec<IntegrationView>,
    pub assessment: Option<AssessmentView>,
    pub vouchers: Vec<VoucherView>,
    pub suspensions: Vec<SuspensionView>,
    pub closure: Option<ClosureView>,
    pub version: i64,
}

/// What goes into a request's view besides the request.
struct Shown<'a> {
    kind: ViewKind,
    status: RequestStatus,
    attention: &'a [VoucherId],
    vouchers: &'a HashMap<VoucherId, VoucherStatus>,
    schedules: Option<&'a HashMap<VoucherId, Vec<CopaymentPeriod>>>,
    names: Option<&'a HashMap<OrganizationId, String>>,
    /// For an offer view: the provider deciding.
    reader: OrganizationId,
}

fn voucher_view(v: &Voucher, shown: &Shown<'_>) -> VoucherView {
    let full = matches!(shown.kind, ViewKind::Full);
    let name = |p: OrganizationId| shown.names.and_then(|n| n.get(&p).cloned());
    let current = v.taken_by().filter(|_| v.offered_to().is_none()).map(|c| c.provider_id).or(v.offered_to());
    VoucherView {
        id: v.id.into(),
        intervention: v.intervention.as_str().to_owned(),
        unit: v.unit.into(),
        units: v.units,
        period: v.period.into(),
        rate_cents: v.rate.get(),
        tender_id: v.tender_id.into(),
        valid_from: v.valid_from,
        valid_to: v.valid_to,
        status: shown.vouchers.get(&v.id).copied().unwrap_or(VoucherStatus::AwaitingChoice).into(),
        provider_id: current.map(Into::into),
        provider_name: current.and_then(name),
        start_date: v.taken_by().and_then(|c| c.start()),
        granted_copayment: full.then(|| CopaymentView::from(&v.granted)),
        copayment: shown.schedules.filter(|_| full).map(|s| {
            s.get(&v.id)
                .map(|periods| {
                    periods
                        .iter()
                        .map(|p| CopaymentPeriodView {
                            from: p.from,
                            to: p.to,
                            copayment: CopaymentView::from(&p.basis),
                        })
                        .collect()
                })
                .unwrap_or_default()
        }),
        choices: full.then(|| {
            v.choices
                .iter()
                .map(|c| {
                    let (answer, start, reason, note, at) = match &c.answer {
                        None => (None, None, None, None, None),
                        Some(Answer::Accepted { start, at, .. }) => {
                            (Some(AnswerView::Accepted), Some(*start), None, None, Some(in_rome(*at)))
                        }
                        Some(Answer::Declined { reason, note, at, .. }) => (
                            Some(AnswerView::Declined),
                            None,
                            Some((*reason).into()),
                            Some(note.clone()),
                            Some(in_rome(*at)),
                        ),
                    };
                    ChoiceView {
                        provider_id: c.provider_id.into(),
                        provider_name: name(c.provider_id).unwrap_or_default(),
                        patto_id: c.patto_id.into(),
                        chosen_at: in_rome(c.chosen_at),
                        answer,
                        start_date: start,
                        decline_reason: reason,
                        decline_note: note,
                        answered_at: at,
                    }
                })
                .collect()
        }),
    }
}

fn request_view(r: ServiceRequest, shown: Shown<'_>) -> ServiceRequestView {
    let offer = matches!(shown.kind, ViewKind::Offer);
    let full = matches!(shown.kind, ViewKind::Full);
    let vouchers = r
        .vouchers
        .iter()
        .filter(|v| !offer || v.choices.iter().any(|c| c.provider_id == shown.reader))
        .map(|v| voucher_view(v, &shown))
        .collect();
    ServiceRequestView {
        id: r.id.into(),
        view: shown.kind,
        status: shown.status.into(),
        needs_attention: !shown.attention.is_empty(),
        beneficiary_id: (!offer).then(|| r.beneficiary_id.into()),
        authority_id: r.authority_id.into(),
        requested_by: r.requested_by.into(),
        municipality: r.municipality.as_str().to_owned(),
        age_band: r.age_band.as_str().to_owned(),
        interventions: r
            .asked
            .iter()
            .map(|a| AskedView {
                intervention: a.intervention.as_str().to_owned(),
                units: a.units,
                period: a.period.into(),
            })
            .collect(),
        desired_start: r.desired_start,
        care_plan: full.then_some(r.care_plan),
        urgency: r.urgency.into(),
        submitted_at: in_rome(r.submitted_at),
        integrations: if offer {
            Vec::new()
        } else {
            r.integrations
                .into_iter()
                .map(|i| IntegrationView {
                    message: i.message,
                    due_on: i.due_on,
                    requested_at: in_rome(i.requested_at),
                    answer: i.answer,
                    answered_at: i.answered_at.map(in_rome),
                })
                .collect()
        },
        assessment: r.assessment.map(|a| {
            let (outcome, reason, explanation) = match a.outcome {
                Outcome::Eligible => (OutcomeView::Eligible, None, None),
                Outcome::Ineligible { reason, explanation } => {
                    (OutcomeView::Ineligible, Some(reason.into()), (!offer).then_some(explanation))
                }
            };
            AssessmentView { outcome, ineligible_reason: reason, explanation, assessed_at: in_rome(a.at) }
        }),
        vouchers,
        suspensions: if offer {
            Vec::new()
        } else {
            r.suspensions
                .into_iter()
                .map(|s| SuspensionView { from: s.from, until: s.until, reason: s.reason, resumed_on: s.resumed_on })
                .collect()
        },
        closure: r.closure.map(|c| ClosureView { reason: c.reason.into(), note: c.note, closed_at: in_rome(c.at) }),
        version: r.version,
    }
}

fn kind_of(view: RequestView) -> ViewKind {
    match view {
        RequestView::Full => ViewKind::Full,
        RequestView::Offer => ViewKind::Offer,
    }
}

/// The request as its reader sees it, and its version.
fn present(seen: Seen, reader: OrganizationId) -> (ServiceRequestView, i64) {
    let Seen { request, view, status, attention, vouchers, schedules, names } = seen;
    let version = request.version;
    let shown = Shown {
        kind: kind_of(view),
        status,
        attention: &attention,
        vouchers: &vouchers,
        schedules: Some(&schedules),
        names: Some(&names),
        reader,
    };
    (request_view(request, shown), version)
}

fn render(seen: Seen, reader: OrganizationId) -> HttpResponse {
    let (view, version) = present(seen, reader);
    ok_with_etag(&view, version)
}

/// File a service request
///
/// A municipality's social worker or system, for a person it registered who lives there: the
/// interventions asked (units a week or a month), the desired start, the care plan's summary,
/// the urgency. Retrying with the same `Idempotency-Key` files it once.
#[utoipa::path(
    tag = "service-requests",
    request_body = ServiceRequestInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "Filed", body = ServiceRequestView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/service-requests")]
pub async fn submit_request(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<ServiceRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let mut errors = Vec::new();
    let asked = parse_asked(body.interventions, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let ask = Ask { asked, desired_start: body.desired_start, care_plan: body.care_plan, urgency: body.urgency.into() };
    let (ctx, beneficiary, reader) = (state.context(&caller), body.beneficiary_id.into(), caller.actor.organization);
    idempotency::run(&state, &caller, key, "service-requests", &fingerprint, move |tx| {
        let seen = command::submit(tx, &ctx, beneficiary, ask.clone())?;
        let location = format!("/api/v1/service-requests/{}", seen.request.id);
        let (view, version) = present(seen, reader);
        Ok(Created::new(&view, location, Some(version)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    #[param(inline)]
    pub status: Option<RequestStatusView>,
    /// Only those whose provider may no longer serve a voucher (`true`), or the others.
    pub needs_attention: Option<bool>,
    #[param(example = "home_care_professional", max_length = 64, pattern = "^\\S+$")]
    pub intervention: Option<String>,
    #[param(example = "019021", pattern = "^[0-9]{6}$")]
    pub municipality: Option<String>,
    pub provider_id: Option<Uuid>,
    pub beneficiary_id: Option<Uuid>,
    /// `priority` (what waits for someone first, the default) or `submitted` (oldest first).
    #[param(inline)]
    pub sort: Option<RequestSortView>,
}

/// The order of a list of service requests.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestSortView {
    /// What waits for the municipality or the family first, then for a provider, then for
    /// staff, then the services running, then the finished; oldest first within each (the
    /// default).
    #[default]
    Priority,
    /// Oldest submission first.
    Submitted,
}

impl RequestQuery {
    fn parse(self) -> Result<ListQuery, ApiError> {
        let invalid = |field: &str, message: String| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        };
        Ok(ListQuery {
            status: self.status.map(Into::into),
            needs_attention: self.needs_attention,
            intervention: self
                .intervention
                .as_deref()
                .map(|i| InterventionCode::parse(i).map_err(|e| invalid("intervention", e.to_string())))
                .transpose()?,
            municipality: self
                .municipality
                .as_deref()
                .map(|m| IstatCode::parse(m).map_err(|e| invalid("municipality", e.to_string())))
                .transpose()?,
            provider: self.provider_id.map(Into::into),
            beneficiary: self.beneficiary_id.map(Into::into),
            sort: match self.sort.unwrap_or_default() {
                RequestSortView::Priority => RequestSort::Priority,
                RequestSortView::Submitted => RequestSort::Submitted,
            },
        })
    }
}

/// List service requests
///
/// A municipality: its own; staff: those their authority is responsible for; a provider: those
/// it was offered or serves. What waits for the municipality or the family (an integration, a
/// choice, a voucher whose provider may no longer serve it) comes first, oldest first, then
/// what waits for a provider, then for staff, then the services running, then the finished;
/// `sort=submitted` orders them by submission instead.
#[utoipa::path(
    tag = "service-requests",
    params(PageQuery, RequestQuery),
    responses((status = 200, description = "One page of requests, in summary", body = Listing<ServiceRequestView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/service-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, page, query) = (state.context(&caller), page.page()?, query.into_inner().parse()?);
    if let Some(cursor) = &page.after
        && !query.sort.valid_cursor(cursor)
    {
        return Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"));
    }
    let reader = caller.actor.organization;
    let paged = state.read(move |tx| command::list(tx, &ctx, query, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, |l: Listed| {
        let kind = match l.view {
            RequestView::Full => ViewKind::Summary,
            RequestView::Offer => ViewKind::Offer,
        };
        let shown = Shown {
            kind,
            status: l.status,
            attention: &l.attention,
            vouchers: &l.vouchers,
            schedules: None,
            names: None,
            reader,
        };
        request_view(l.request, shown)
    })))
}

/// Get a service request
///
/// In full for the authority's staff, the requesting municipality and a provider that accepted
/// (logged as a read of the person's data); what a provider offered a voucher needs to decide,
/// for that provider.
#[utoipa::path(
    tag = "service-requests",
    params(("id" = Uuid, Path, description = "The request's id")),
    responses((status = 200, description = "The request", body = ServiceRequestView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/service-requests/{id}")]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    Ok(render(state.write(move |tx| command::get(tx, &ctx, id)).await?, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Serve la relazione del medico di medicina generale", "due_on": "2030-03-15"}))]
pub struct IntegrationRequestInput {
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub message: String,
    pub due_on: NaiveDate,
}

/// Ask the municipality for more
///
/// Staff of the responsible authority, before assessing: what is missing, by when.
#[utoipa::path(
    tag = "service-requests",
    operation_id = "request_integration_of_service_request",
    request_body = IntegrationRequestInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Asked", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/integration-request")]
pub async fn request_integration(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<IntegrationRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let message = crate::text("message", &body.message, 3, 2000)?;
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    let seen =
        state.write(move |tx| command::request_integration(tx, &ctx, id, if_match, message, body.due_on)).await?;
    Ok(render(seen, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answer": "Allegata la relazione del medico; il piano di cura è aggiornato."}))]
pub struct IntegrationAnswerInput {
    #[schema(min_length = 3, max_length = 20000, pattern = "\\S")]
    pub answer: String,
    /// A revised care plan's summary, if it changes.
    #[schema(min_length = 3, max_length = 20000, pattern = "\\S")]
    pub care_plan: Option<String>,
}

/// Answer an integration
///
/// The requesting municipality, possibly with a revised care plan.
#[utoipa::path(
    tag = "service-requests",
    operation_id = "answer_integration_of_service_request",
    request_body = IntegrationAnswerInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Answered", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/integration-answer")]
pub async fn answer_integration(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<IntegrationAnswerInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    let seen =
        state.write(move |tx| command::answer_integration(tx, &ctx, id, if_match, body.answer, body.care_plan)).await?;
    Ok(render(seen, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantView {
    #[schema(example = "home_care_professional", min_length = 1, max_length = 64, pattern = "^\\S+$")]
    pub intervention: String,
    #[schema(example = 6, minimum = 1, maximum = 1000)]
    pub units: u32,
    pub period: PeriodView,
    /// Today or later.
    pub valid_from: NaiveDate,
    /// Within the call's list.
    pub valid_to: NaiveDate,
}

/// The assessment: vouchers granted, or the request refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({
    "outcome": "eligible",
    "grants": [
        {"intervention": "home_care_professional", "units": 6, "period": "week", "valid_from": "2030-03-04", "valid_to": "2031-03-03"}
    ]
}))]
pub enum AssessmentInput {
    /// Grant vouchers, each at its call's rate with the co-payment of the authority's rule.
    Eligible {
        #[schema(min_items = 1, max_items = 20)]
        grants: Vec<GrantView>,
    },
    Ineligible {
        reason: IneligibleReasonView,
        #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
        explanation: String,
    },
}

/// Assess a request
///
/// Staff of the responsible authority: grant vouchers (for interventions asked, units a week or
/// a month, validity within the call's list; each at the call's rate, with the co-payment of
/// its first day computed from the rule in force and the person's ISEE, and frozen), or refuse
/// with a reason.
#[utoipa::path(
    tag = "service-requests",
    request_body = AssessmentInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Assessed", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/assessment")]
pub async fn assess_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<AssessmentInput>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    let seen = match body.into_inner() {
        AssessmentInput::Eligible { grants } => {
            let mut errors = Vec::new();
            let granted: Vec<Granted> = grants
                .into_iter()
                .enumerate()
                .filter_map(|(i, g)| match InterventionCode::parse(&g.intervention) {
                    Ok(intervention) => Some(Granted {
                        intervention,
                        units: g.units,
                        period: g.period.into(),
                        valid_from: g.valid_from,
                        valid_to: g.valid_to,
                    }),
                    Err(e) => {
                        errors.push(FieldError::new(format!("grants.{i}.intervention"), e.to_string()));
                        None
                    }
                })
                .collect();
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            state.write(move |tx| command::grant(tx, &ctx, id, if_match, granted)).await?
        }
        AssessmentInput::Ineligible { reason, explanation } => {
            let explanation = crate::text("explanation", &explanation, 3, 2000)?;
            state.write(move |tx| command::refuse(tx, &ctx, id, if_match, reason.into(), explanation)).await?
        }
    };
    Ok(render(seen, reader))
}

/// A provider the family may choose.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoosableView {
    pub provider_id: Uuid,
    #[schema(example = "Cooperativa Sociale Il Girasole")]
    pub provider_name: String,
    pub patto_id: Uuid,
    /// The patto's rate per unit on the day it would start.
    #[schema(example = 2180)]
    pub rate_cents: i64,
    /// How many open requests it serves now.
    pub active_requests: i64,
    /// Whether it declined this voucher before.
    pub declined_before: bool,
}

impl From<Choosable> for ChoosableView {
    fn from(c: Choosable) -> Self {
        Self {
            provider_id: c.servant.provider_id.into(),
            provider_name: c.servant.provider,
            patto_id: c.servant.patto_id.into(),
            rate_cents: c.servant.rate.get(),
            active_requests: c.serving,
            declined_before: c.declined,
        }
    }
}

/// The providers the family may choose
///
/// Those with an active patto, over an active accreditation, for the voucher's intervention in
/// the person's municipality on the day it would start; in alphabetical order, favouring no
/// one, with how many requests each serves now.
#[utoipa::path(
    tag = "service-requests",
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("voucher_id" = Uuid, Path, description = "The voucher's id"),
        PageQuery
    ),
    responses((status = 200, description = "The providers", body = Listing<ChoosableView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/service-requests/{id}/vouchers/{voucher_id}/choosable-providers")]
pub async fn choosable_providers(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, voucher) = path.into_inner();
    let (ctx, page) = (state.context(&caller), page.page()?);
    let list = state.read(move |tx| command::choosable(tx, &ctx, id.into(), voucher.into())).await?;
    let paged = page.of(list, |c| format!("{}\u{1f}{}", c.servant.provider, c.servant.patto_id));
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, ChoosableView::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceInput {
    /// One of the choosable providers.
    pub provider_id: Uuid,
}

/// Record the family's choice
///
/// The requesting municipality or staff, for a voucher awaiting a (new) choice: the provider
/// must be choosable (409 `provider_not_eligible` otherwise). It is offered the voucher.
#[utoipa::path(
    tag = "service-requests",
    request_body = ChoiceInput,
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("voucher_id" = Uuid, Path, description = "The voucher's id"),
        IfMatchHeader
    ),
    responses((status = 200, description = "Offered to the provider", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/vouchers/{voucher_id}/choice")]
pub async fn choose_provider(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    if_match: Option<IfMatch>,
    body: Json<ChoiceInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, voucher) = path.into_inner();
    let (ctx, reader, provider) = (state.context(&caller), caller.actor.organization, body.provider_id.into());
    let seen = state.write(move |tx| command::choose(tx, &ctx, id.into(), if_match, voucher.into(), provider)).await?;
    Ok(render(seen, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start_date": "2030-03-04"}))]
pub struct AcceptInput {
    /// The day the service starts: from the voucher's first day (or today) to its last.
    pub start_date: NaiveDate,
}

/// Accept an offer
///
/// The provider offered the voucher, with the day it starts. It reads the request in full, and
/// the person's record, from now on.
#[utoipa::path(
    tag = "service-requests",
    request_body = AcceptInput,
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("voucher_id" = Uuid, Path, description = "The voucher's id"),
        IfMatchHeader
    ),
    responses((status = 200, description = "Accepted", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/vouchers/{voucher_id}/accept")]
pub async fn accept_offer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    if_match: Option<IfMatch>,
    body: Json<AcceptInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, voucher) = path.into_inner();
    let (ctx, reader, start) = (state.context(&caller), caller.actor.organization, body.start_date);
    let seen = state.write(move |tx| command::accept(tx, &ctx, id.into(), if_match, voucher.into(), start)).await?;
    Ok(render(seen, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "no_capacity", "note": "Nessun operatore disponibile nella fascia richiesta"}))]
pub struct DeclineInput {
    pub reason: DeclineReasonView,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Decline an offer
///
/// The provider offered the voucher, with a reason: the family chooses again.
#[utoipa::path(
    tag = "service-requests",
    request_body = DeclineInput,
    params(
        ("id" = Uuid, Path, description = "The request's id"),
        ("voucher_id" = Uuid, Path, description = "The voucher's id"),
        IfMatchHeader
    ),
    responses((status = 200, description = "Declined", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/vouchers/{voucher_id}/decline")]
pub async fn decline_offer(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    if_match: Option<IfMatch>,
    body: Json<DeclineInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, voucher) = path.into_inner();
    let body = body.into_inner();
    let (ctx, reader) = (state.context(&caller), caller.actor.organization);
    let seen = state
        .write(move |tx| command::decline(tx, &ctx, id.into(), if_match, voucher.into(), body.reason.into(), body.note))
        .await?;
    Ok(render(seen, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2030-04-10", "until": "2030-04-20", "reason": "Ricovero ospedaliero"}))]
pub struct SuspendRequestInput {
    /// The first day suspended (at most a month ago).
    pub from: NaiveDate,
    /// The last day suspended; left out, until resumed.
    pub until: Option<NaiveDate>,
    #[schema(min_length = 3, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// Suspend the service
///
/// The requesting municipality, staff or the provider serving: from a day, until a day (it
/// resumes by itself after it) or until resumed.
#[utoipa::path(
    tag = "service-requests",
    request_body = SuspendRequestInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Suspended", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/suspend")]
pub async fn suspend_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<SuspendRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let reason = crate::text("reason", &body.reason, 3, 500)?;
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    let seen = state.write(move |tx| command::suspend(tx, &ctx, id, if_match, body.from, body.until, reason)).await?;
    Ok(render(seen, reader))
}

/// Resume the service
///
/// From today: ends the suspension in course.
#[utoipa::path(
    tag = "service-requests",
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Resumed", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/resume")]
pub async fn resume_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    _body: OptionalJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    Ok(render(state.write(move |tx| command::resume(tx, &ctx, id, if_match)).await?, reader))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "residential_care", "note": "Inserita in RSA"}))]
pub struct CloseInput {
    pub reason: CloseReasonView,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Close a request
///
/// The requesting municipality or staff, with a reason; final.
#[utoipa::path(
    tag = "service-requests",
    request_body = CloseInput,
    params(("id" = Uuid, Path, description = "The request's id"), IfMatchHeader),
    responses((status = 200, description = "Closed", body = ServiceRequestView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/service-requests/{id}/close")]
pub async fn close_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<CloseInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (ctx, id, reader) = (state.context(&caller), id.into_inner().into(), caller.actor.organization);
    let seen = state.write(move |tx| command::close(tx, &ctx, id, if_match, body.reason.into(), body.note)).await?;
    Ok(render(seen, reader))
}
