//! Delivery reports (rendicontazione): a provider's month of a voucher, or of its mediation
//! sessions for an authority; staff contest lines or validate; the validated reports' cost
//! split, and the monthly summaries staff open in a spreadsheet.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ambito_domain::delivery_report::{DeliveryReport, Month, ReportStatus, ReportSubject};
use ambito_domain::rome::in_rome;
use ambito_domain::{FieldError, Invalid};
use ambito_persistence::delivery_report::{self as reports, ReportSort};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::delivery_report::{self as command, Correction, Day, GroupBy, Submission, SummaryRow};
use crate::conditional::{IfMatch, ok_with_etag};
use crate::error::ApiError;
use crate::export::{csv, euros, wants_csv};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::{Json, OptionalJson};
use crate::openapi::{ActionErrors, CreateErrors, IdempotencyHeader, IfMatchHeader, ReadErrors};
use crate::pagination::{Listing, PageQuery};

mirror_enum!(ReportStatusView <=> ReportStatus { Submitted, Contested, Validated });

/// A day of a voucher's month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayInput {
    pub date: NaiveDate,
    /// In the voucher's unit (hours, meals, trips…), with at most two decimals.
    #[schema(example = 2.5, minimum = 0.01, maximum = 1000, multiple_of = 0.01)]
    pub units: f64,
}

fn parse_days(days: Vec<DayInput>, field: &str) -> Result<Vec<Day>, ApiError> {
    let mut errors = Vec::new();
    let parsed = days
        .into_iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let hundredths = (d.units * 100.0).round();
            if (d.units * 100.0 - hundredths).abs() > 1e-6 || !(1.0..=100_000.0).contains(&hundredths) {
                errors.push(FieldError::new(
                    format!("{field}.{i}.units"),
                    "from 0.01 to 1,000, with at most two decimals",
                ));
                None
            } else {
                Some(Day { date: d.date, quantity: hundredths as u32 })
            }
        })
        .collect();
    if errors.is_empty() { Ok(parsed) } else { Err(ApiError::Validation(errors)) }
}

fn month(value: &str) -> Result<Month, ApiError> {
    Month::parse(value).map_err(|e| ApiError::invalid_field("month", e.to_string()))
}

/// A month's report, of a voucher or of mediation sessions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({
    "kind": "voucher",
    "month": "2030-04",
    "service_request_id": "0193a8f0-0000-7000-8000-000000000000",
    "voucher_id": "0193a8f0-0000-7000-8000-000000000001",
    "days": [{"date": "2030-04-02", "units": 2}, {"date": "2030-04-04", "units": 2}]
}))]
pub enum ReportInput {
    /// The days of a voucher the provider serves.
    Voucher {
        #[schema(example = "2030-04", pattern = "^[0-9]{4}-[0-9]{2}$")]
        month: String,
        service_request_id: Uuid,
        voucher_id: Uuid,
        #[schema(min_items = 1, max_items = 1000)]
        days: Vec<DayInput>,
        /// Why more units than granted were delivered, when they were.
        #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
        over_reason: Option<String>,
    },
    /// The provider's mediation sessions for an authority that ended billable that month.
    Mediation {
        #[schema(example = "2030-04", pattern = "^[0-9]{4}-[0-9]{2}$")]
        month: String,
        authority_id: Uuid,
        #[schema(min_items = 1, max_items = 1000)]
        mediation_request_ids: Vec<Uuid>,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    /// The line's position, to contest it.
    pub line: usize,
    pub date: NaiveDate,
    #[schema(example = "home_care_professional")]
    pub intervention: String,
    /// In the voucher's unit; for a mediation, in hours.
    #[schema(example = 2.5)]
    pub units: f64,
    /// For a mediation: the minutes billed.
    pub minutes: Option<u32>,
    pub mediation_request_id: Option<Uuid>,
    /// Staff's objection, while contested.
    pub contest_reason: Option<String>,
    /// Once validated: the patto's rate that day, the amount, the family's and the authority's shares.
    pub rate_cents: Option<i64>,
    pub amount_cents: Option<i64>,
    pub family_cents: Option<i64>,
    pub authority_cents: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsView {
    #[schema(example = 56680)]
    pub amount_cents: i64,
    /// What the families owe the provider.
    #[schema(example = 28340)]
    pub family_cents: i64,
    /// What the provider invoices the authority.
    #[schema(example = 28340)]
    pub authority_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryReportView {
    pub id: Uuid,
    #[schema(example = "voucher")]
    pub kind: String,
    pub provider_id: Uuid,
    pub authority_id: Uuid,
    #[schema(example = "2024-04")]
    pub month: String,
    pub service_request_id: Option<Uuid>,
    pub voucher_id: Option<Uuid>,
    pub municipality: Option<String>,
    pub status: ReportStatusView,
    /// The revision shown: 1, then one more for each correction.
    pub revision: u32,
    pub over_reason: Option<String>,
    pub lines: Vec<LineView>,
    /// Once validated.
    pub totals: Option<TotalsView>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub validated_at: Option<DateTime<FixedOffset>>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<FixedOffset>,
}

impl From<DeliveryReport> for DeliveryReportView {
    fn from(r: DeliveryReport) -> Self {
        let status = r.status().into();
        let totals = r.totals().map(|(amount, family, authority)| TotalsView {
            amount_cents: amount.get(),
            family_cents: family.get(),
            authority_cents: authority.get(),
        });
        let current = r.current().clone();
        let costs = r.validation.as_ref().map(|v| v.costs.clone()).unwrap_or_default();
        let contested = current.contest.as_ref().map(|c| c.lines.clone()).unwrap_or_default();
        let (kind, request, voucher) = match r.subject {
            ReportSubject::Voucher { request_id, voucher_id } => {
                ("voucher", Some(request_id.into()), Some(voucher_id.into()))
            }
            ReportSubject::Mediation => ("mediation", None, None),
        };
        let mediation = kind == "mediation";
        Self {
            id: r.id.into(),
            kind: kind.to_owned(),
            provider_id: r.provider_id.into(),
            authority_id: r.authority_id.into(),
            month: r.month.to_string(),
            service_request_id: request,
            voucher_id: voucher,
            municipality: r.municipality.map(|m| m.as_str().to_owned()),
            status,
            revision: current.number,
            over_reason: current.over_reason.clone(),
            lines: current
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let c = costs.get(i);
                    LineView {
                        line: i,
                        date: l.date,
                        intervention: l.intervention.as_str().to_owned(),
                        units: if mediation { f64::from(l.quantity) / 60.0 } else { f64::from(l.quantity) / 100.0 },
                        minutes: mediation.then_some(l.quantity),
                        mediation_request_id: l.mediation_request_id.map(Into::into),
                        contest_reason: contested.iter().find(|(n, _)| *n == i).map(|(_, reason)| reason.clone()),
                        rate_cents: c.map(|c| c.rate.get()),
                        amount_cents: c.map(|c| c.amount.get()),
                        family_cents: c.map(|c| c.family.get()),
                        authority_cents: c.map(|c| c.authority.get()),
                    }
                })
                .collect(),
            totals,
            validated_at: r.validation.as_ref().map(|v| in_rome(v.at)),
            version: r.version,
            created_at: in_rome(r.created_at),
        }
    }
}

fn render(r: DeliveryReport) -> HttpResponse {
    let version = r.version;
    ok_with_etag(&DeliveryReportView::from(r), version)
}

/// Submit a month's report
///
/// A provider: the units it delivered on each day of a voucher it serves (within the units
/// granted; more only with `over_reason`, 409 `units_over_grant` otherwise), or the mediation
/// sessions it billed an authority (each ended delivered, cancelled late, or not attended). One
/// report per voucher and month, and per authority and month for mediation.
#[utoipa::path(
    tag = "delivery-reports",
    request_body = ReportInput,
    params(IdempotencyHeader),
    responses((status = 201, description = "Submitted", body = DeliveryReportView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/delivery-reports")]
pub async fn submit_report(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<ReportInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let fingerprint = serde_json::to_value(&body).expect("inputs serialize");
    let (month, submission, over_reason) = match body {
        ReportInput::Voucher { month: m, service_request_id, voucher_id, days, over_reason } => (
            month(&m)?,
            Submission::Voucher {
                request_id: service_request_id.into(),
                voucher_id: voucher_id.into(),
                days: parse_days(days, "days")?,
            },
            over_reason,
        ),
        ReportInput::Mediation { month: m, authority_id, mediation_request_ids } => (
            month(&m)?,
            Submission::Mediation {
                authority_id: authority_id.into(),
                mediations: mediation_request_ids.into_iter().map(Into::into).collect(),
            },
            None,
        ),
    };
    let ctx = state.context(&caller);
    idempotency::run(&state, &caller, key, "delivery-reports", &fingerprint, move |tx| {
        let report = command::submit(tx, &ctx, month, submission.clone(), over_reason.clone())?;
        let (location, version) = (format!("/api/v1/delivery-reports/{}", report.id), report.version);
        Ok(Created::new(&DeliveryReportView::from(report), location, Some(version)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    #[param(example = "2024-04", pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
    pub provider_id: Option<Uuid>,
    /// `created` (oldest first, the default) or `month` (the earliest month reported first).
    #[param(inline)]
    pub sort: Option<ReportSortView>,
}

/// The order of a list of delivery reports.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReportSortView {
    /// Oldest first, by creation (the default).
    #[default]
    Created,
    /// The earliest month reported first.
    Month,
}

/// List delivery reports
///
/// A provider its own; staff those their authority pays. Ordered by creation or, with
/// `sort=month`, by the month reported.
#[utoipa::path(
    tag = "delivery-reports",
    params(PageQuery, ReportQuery),
    responses((status = 200, description = "One page of reports", body = Listing<DeliveryReportView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/delivery-reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let month = query
        .month
        .as_deref()
        .map(|m| {
            Month::parse(m).map_err(|e| ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("month: {e}"),
                errors: vec![FieldError::new("month", e.to_string())],
            })
        })
        .transpose()?;
    let (actor, page, provider) = (caller.actor, page.page()?, query.provider_id.map(Into::into));
    let sort = match query.sort.unwrap_or_default() {
        ReportSortView::Created => ReportSort::Created,
        ReportSortView::Month => ReportSort::Month,
    };
    if let Some(cursor) = &page.after
        && !reports::valid_cursor(sort, cursor)
    {
        return Err(ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out"));
    }
    let paged = state.read(move |tx| command::list(tx, &actor, month, provider, sort, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, DeliveryReportView::from)))
}

/// Get a delivery report
#[utoipa::path(
    tag = "delivery-reports",
    params(("id" = Uuid, Path, description = "The report's id")),
    responses((status = 200, description = "The report", body = DeliveryReportView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/delivery-reports/{id}")]
pub async fn get_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (caller.actor, id.into_inner().into());
    Ok(render(state.read(move |tx| command::get(tx, &actor, id)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContestedLine {
    /// The line's position.
    #[schema(minimum = 0, maximum = 999)]
    pub line: u32,
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lines": [{"line": 3, "reason": "Il 12 aprile la beneficiaria era ricoverata"}]}))]
pub struct ContestInput {
    #[schema(min_items = 1, max_items = 1000)]
    pub lines: Vec<ContestedLine>,
}

/// Contest lines of a report
///
/// Staff of the paying authority, each line with a reason: the provider corrects the report.
#[utoipa::path(
    tag = "delivery-reports",
    request_body = ContestInput,
    params(("id" = Uuid, Path, description = "The report's id"), IfMatchHeader),
    responses((status = 200, description = "Contested", body = DeliveryReportView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/delivery-reports/{id}/contest")]
pub async fn contest_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<ContestInput>,
) -> Result<HttpResponse, ApiError> {
    let lines = body.into_inner().lines.into_iter().map(|l| (l.line as usize, l.reason)).collect();
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::contest(tx, &ctx, id, if_match, lines)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"days": [{"date": "2030-04-02", "units": 2}]}))]
pub struct CorrectionInput {
    /// For a voucher's report: its days again.
    #[schema(max_items = 1000)]
    pub days: Option<Vec<DayInput>>,
    /// For a mediation report: its mediations again.
    #[schema(max_items = 1000)]
    pub mediation_request_ids: Option<Vec<Uuid>>,
    #[schema(min_length = 3, max_length = 2000, pattern = "\\S")]
    pub over_reason: Option<String>,
}

/// Correct a contested report
///
/// The provider sends its lines again; the previous revision stays on record.
#[utoipa::path(
    tag = "delivery-reports",
    request_body = CorrectionInput,
    params(("id" = Uuid, Path, description = "The report's id"), IfMatchHeader),
    responses((status = 200, description = "Corrected", body = DeliveryReportView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/delivery-reports/{id}/correction")]
pub async fn correct_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    body: Json<CorrectionInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let correction = match (body.days, body.mediation_request_ids) {
        (Some(days), None) => Correction::Days(parse_days(days, "days")?),
        (None, Some(ids)) => Correction::Mediations(ids.into_iter().map(Into::into).collect()),
        _ => return Err(Invalid::one("days", "send either days or mediation_request_ids").into()),
    };
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::correct(tx, &ctx, id, if_match, correction, body.over_reason)).await?))
}

/// Validate a report
///
/// Staff of the paying authority: the report is frozen with each line's cost: the patto's rate
/// in force that day, the family's share by the co-payment in force that day, the authority's
/// the rest.
#[utoipa::path(
    tag = "delivery-reports",
    params(("id" = Uuid, Path, description = "The report's id"), IfMatchHeader),
    responses((status = 200, description = "Validated", body = DeliveryReportView, headers(("ETag" = String))), ActionErrors),
    security(("bearer" = []))
)]
#[post("/delivery-reports/{id}/validation")]
pub async fn validate_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: Option<IfMatch>,
    _body: OptionalJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let (ctx, id) = (state.context(&caller), id.into_inner().into());
    Ok(render(state.write(move |tx| command::validate(tx, &ctx, id, if_match)).await?))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupByView {
    /// What each provider invoices the authority.
    Provider,
    /// What each municipality's residents cost: what it repays the district.
    Municipality,
    Intervention,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    #[param(example = "2024-04", pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: String,
    #[param(inline)]
    pub group_by: GroupByView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryRowView {
    /// The provider's id, the municipality's ISTAT code, or the intervention's code.
    pub key: String,
    pub label: String,
    pub lines: i64,
    pub amount_cents: i64,
    pub family_cents: i64,
    pub authority_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    #[schema(example = "2024-04")]
    pub month: String,
    pub rows: Vec<SummaryRowView>,
    pub totals: TotalsView,
}

/// A month's summary
///
/// The validated reports of a month, grouped by provider, municipality or intervention, with
/// the amount, the families' and the authority's shares: staff see their authority's, a
/// provider its own, a municipality its residents'. `Accept: text/csv` gives a spreadsheet (UTF-8,
/// one header row, euros with two decimals).
#[utoipa::path(
    tag = "delivery-reports",
    params(SummaryQuery),
    responses(
        (status = 200, description = "The summary", content(
            (SummaryView = "application/json"),
            (String = "text/csv", example = "month,key,label,lines,amount_eur,family_eur,authority_eur\n2024-04,019021,Casalmaggiore,14,566.80,283.40,283.40\n")
        )),
        ReadErrors
    ),
    security(("bearer" = []))
)]
#[get("/delivery-reports/summary")]
pub async fn report_summary(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let m = Month::parse(&query.month).map_err(|e| ApiError::BadRequest {
        code: "invalid_query",
        detail: format!("month: {e}"),
        errors: vec![FieldError::new("month", e.to_string())],
    })?;
    let by = match query.group_by {
        GroupByView::Provider => GroupBy::Provider,
        GroupByView::Municipality => GroupBy::Municipality,
        GroupByView::Intervention => GroupBy::Intervention,
    };
    let actor = caller.actor;
    let rows: Vec<SummaryRow> = state.read(move |tx| command::summary(tx, &actor, m, by)).await?;
    let sum = |f: fn(&SummaryRow) -> i64| rows.iter().map(f).sum::<i64>();
    let totals = TotalsView {
        amount_cents: sum(|r| r.amount),
        family_cents: sum(|r| r.family),
        authority_cents: sum(|r| r.authority),
    };
    if wants_csv(&req) {
        let header = ["month", "key", "label", "lines", "amount_eur", "family_eur", "authority_eur"];
        let month = m.to_string();
        let lines = rows.iter().map(|r| {
            vec![
                month.clone(),
                r.key.clone(),
                r.label.clone(),
                r.lines.to_string(),
                euros(r.amount),
                euros(r.family),
                euros(r.authority),
            ]
        });
        let group = match by {
            GroupBy::Provider => "provider",
            GroupBy::Municipality => "municipality",
            GroupBy::Intervention => "intervention",
        };
        return csv(&format!("deliveries-{month}-by-{group}.csv"), &header, lines.collect::<Vec<_>>());
    }
    Ok(HttpResponse::Ok().json(SummaryView {
        month: m.to_string(),
        rows: rows
            .into_iter()
            .map(|r| SummaryRowView {
                key: r.key,
                label: r.label,
                lines: r.lines,
                amount_cents: r.amount,
                family_cents: r.family,
                authority_cents: r.authority,
            })
            .collect(),
        totals,
    }))
}
