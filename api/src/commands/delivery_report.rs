//! Delivery reports: a provider reports a month of a voucher it serves, or of its mediation
//! sessions for an authority; staff contest lines or validate; validation freezes each line's
//! cost (the patto's rate that day, the family's share by the co-payment in force that day).
//! The monthly summaries and exports are computed from the validated reports.

use std::collections::{BTreeMap, HashMap};

use ambito_domain::access::{self, PeopleScope, ReportAction};
use ambito_domain::copayment;
use ambito_domain::delivery_report::{Basis, DeliveryReport, Line, LineCost, Month, ReportEvent, ReportSubject, cost};
use ambito_domain::mediation::MediationRequest;
use ambito_domain::{
    Actor, Cents, DeliveryReportId, Invalid, IstatCode, MediationRequestId, OrganizationId, ServiceRequestId, VoucherId,
};
use ambito_persistence::delivery_report::{self as store, ReportFilter};
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, beneficiary as beneficiaries, copayment as rules, mediation as mediations,
    outbox, patto as patti, service_request as requests, tender as tenders,
};
use chrono::NaiveDate;

use super::Context;
use super::beneficiary::municipality_of;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// What a provider states of a voucher's day.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    /// Hundredths of the voucher's unit.
    pub quantity: u32,
}

fn allowed(actor: &Actor, r: &DeliveryReport, action: ReportAction) -> Result<(), ApiError> {
    Ok(access::delivery_report(actor, r.provider_id, r.authority_id, action).require()?)
}

/// The lines of a voucher report, and what they are checked against.
fn voucher_lines(
    tx: &mut DbConnection,
    actor: &Actor,
    request: ServiceRequestId,
    voucher: VoucherId,
    days: Vec<Day>,
) -> Result<(ambito_domain::service_request::ServiceRequest, Vec<Line>), ApiError> {
    let r = requests::load(tx, request)?;
    let v = r.voucher(voucher)?;
    // A provider reports only on a voucher it serves (or served): to anyone else it does not exist.
    if !v.accepted_by(actor.organization) {
        return Err(ApiError::NotFound);
    }
    let lines = days
        .into_iter()
        .map(|d| Line {
            date: d.date,
            intervention: v.intervention.clone(),
            quantity: d.quantity,
            mediation_request_id: None,
        })
        .collect();
    Ok((r, lines))
}

/// The lines of a mediation report: each mediation of the provider's, billed as it ended.
fn mediation_lines(
    tx: &mut DbConnection,
    actor: &Actor,
    authority: OrganizationId,
    ids: &[MediationRequestId],
) -> Result<(Vec<MediationRequest>, Vec<Line>), ApiError> {
    let theirs = mediations::confirmed_to(tx, actor.organization, authority)?;
    let mut lines = Vec::new();
    for id in ids {
        // Another provider's mediation, as any that does not exist, is not found.
        let Some(m) = theirs.iter().find(|m| m.id == *id) else { return Err(ApiError::NotFound) };
        let (date, quantity) = match m.billable() {
            Some(b) => (ambito_domain::rome::rome_date(b.on), b.minutes),
            None => (ambito_domain::rome::rome_date(m.ask.starts_at), 0),
        };
        lines.push(Line {
            date,
            intervention: m.ask.context.intervention(),
            quantity,
            mediation_request_id: Some(*id),
        });
    }
    Ok((theirs, lines))
}

/// What a provider submits.
#[derive(Debug, Clone)]
pub enum Submission {
    Voucher { request_id: ServiceRequestId, voucher_id: VoucherId, days: Vec<Day> },
    Mediation { authority_id: OrganizationId, mediations: Vec<MediationRequestId> },
}

pub fn submit(
    tx: &mut DbConnection,
    ctx: &Context,
    month: Month,
    submission: Submission,
    over_reason: Option<String>,
) -> Result<DeliveryReport, ApiError> {
    if ctx.actor.role != ambito_domain::Role::ProviderMember {
        return Err(ApiError::Forbidden);
    }
    let provider = ctx.actor.organization;
    let (report, event) = match submission {
        Submission::Voucher { request_id, voucher_id, days } => {
            let (r, lines) = voucher_lines(tx, &ctx.actor, request_id, voucher_id, days)?;
            let v = r.voucher(voucher_id)?;
            DeliveryReport::submit(
                provider,
                r.authority_id,
                month,
                ReportSubject::Voucher { request_id, voucher_id },
                Some(r.municipality.clone()),
                &Basis::Voucher { request: &r, voucher: v },
                lines,
                over_reason,
                Some(ctx.actor.user),
                ctx.now,
            )?
        }
        Submission::Mediation { authority_id, mediations } => {
            let (theirs, lines) = mediation_lines(tx, &ctx.actor, authority_id, &mediations)?;
            DeliveryReport::submit(
                provider,
                authority_id,
                month,
                ReportSubject::Mediation,
                None,
                &Basis::Mediation { requests: &theirs },
                lines,
                over_reason,
                Some(ctx.actor.user),
                ctx.now,
            )?
        }
    };
    store::insert(tx, &report)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&report))?;
    Ok(report)
}

pub fn get(tx: &mut DbConnection, actor: &Actor, id: DeliveryReportId) -> Result<DeliveryReport, ApiError> {
    let report = store::load(tx, id)?;
    allowed(actor, &report, ReportAction::Read)?;
    Ok(report)
}

pub fn list(
    tx: &mut DbConnection,
    actor: &Actor,
    month: Option<Month>,
    provider: Option<OrganizationId>,
    sort: store::ReportSort,
    page: &Page,
) -> Result<Paged<DeliveryReport>, ApiError> {
    let scope = match access::people_scope(actor)? {
        PeopleScope::Municipality(_) => return Err(ApiError::NotFound),
        scope => scope,
    };
    Ok(store::list(tx, &ReportFilter { scope, month, provider, validated: false, sort }, page)?)
}

fn change(
    tx: &mut DbConnection,
    ctx: &Context,
    id: DeliveryReportId,
    if_match: Option<IfMatch>,
    action: ReportAction,
    transition: impl FnOnce(&mut DbConnection, &mut DeliveryReport) -> Result<ReportEvent, ApiError>,
) -> Result<DeliveryReport, ApiError> {
    let mut report = store::lock(tx, id)?;
    allowed(&ctx.actor, &report, action)?;
    let before = report.clone();
    let event = transition(tx, &mut report)?;
    precondition(if_match, before.version)?;
    store::save(tx, &report, before.version, &event)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &report))?;
    Ok(report)
}

pub fn contest(
    tx: &mut DbConnection,
    ctx: &Context,
    id: DeliveryReportId,
    if_match: Option<IfMatch>,
    lines: Vec<(usize, String)>,
) -> Result<DeliveryReport, ApiError> {
    change(tx, ctx, id, if_match, ReportAction::Review, |_, r| Ok(r.contest(lines, Some(ctx.actor.user), ctx.now)?))
}

/// What the provider sends again: the days of a voucher, or the mediations.
pub enum Correction {
    Days(Vec<Day>),
    Mediations(Vec<MediationRequestId>),
}

pub fn correct(
    tx: &mut DbConnection,
    ctx: &Context,
    id: DeliveryReportId,
    if_match: Option<IfMatch>,
    correction: Correction,
    over_reason: Option<String>,
) -> Result<DeliveryReport, ApiError> {
    change(tx, ctx, id, if_match, ReportAction::Submit, |tx, r| {
        let by = Some(ctx.actor.user);
        match (&r.subject, correction) {
            (ReportSubject::Voucher { request_id, voucher_id }, Correction::Days(days)) => {
                let (request, lines) = voucher_lines(tx, &ctx.actor, *request_id, *voucher_id, days)?;
                let basis = Basis::Voucher { request: &request, voucher: request.voucher(*voucher_id)? };
                Ok(r.correct(&basis, lines, over_reason, by, ctx.now)?)
            }
            (ReportSubject::Mediation, Correction::Mediations(ids)) => {
                let (theirs, lines) = mediation_lines(tx, &ctx.actor, r.authority_id, &ids)?;
                Ok(r.correct(&Basis::Mediation { requests: &theirs }, lines, over_reason, by, ctx.now)?)
            }
            (ReportSubject::Voucher { .. }, _) => Err(Invalid::one("days", "a voucher's report lists days").into()),
            (ReportSubject::Mediation, _) => {
                Err(Invalid::one("mediations", "a mediation report lists mediations").into())
            }
        }
    })
}

/// Each line's cost: the patto's rate that day; for a voucher, the family's share by the
/// co-payment in force that day (the call's tariff, the person's ISEE records).
fn costs(tx: &mut DbConnection, r: &DeliveryReport) -> Result<Vec<LineCost>, ApiError> {
    let lines = &r.current().lines;
    let rate_on = |tx: &mut DbConnection, patto: ambito_domain::PattoId, line: &Line| -> Result<Cents, ApiError> {
        let patto = patti::load(tx, patto)?;
        let terms = patto.terms_on(line.date, chrono::DateTime::<chrono::Utc>::MAX_UTC);
        terms
            .and_then(|t| t.rate(&line.intervention))
            .map(|rate| rate.rate)
            .ok_or_else(|| Invalid::one("lines", format!("no rate of the patto is in force on {}", line.date)).into())
    };
    match &r.subject {
        ReportSubject::Voucher { request_id, voucher_id } => {
            let request = requests::load(tx, *request_id)?;
            let v = request.voucher(*voucher_id)?;
            let isees = beneficiaries::isees(tx, request.beneficiary_id)?;
            let versions = rules::versions(tx, request.authority_id, &v.intervention)?;
            let schedule = copayment::schedule(&versions, &isees, v.rate, v.valid_from, v.valid_to);
            lines
                .iter()
                .map(|line| {
                    let choice = v.serving_on(line.date).ok_or(ApiError::NotFound)?;
                    let rate = rate_on(tx, choice.patto_id, line)?;
                    let family = copayment::on(&schedule, line.date)
                        .map_or(Cents::new(0).expect("zero"), |p| p.basis.split.family);
                    Ok(cost(line.quantity, 100, rate, family))
                })
                .collect()
        }
        ReportSubject::Mediation => lines
            .iter()
            .map(|line| {
                let id = line.mediation_request_id.ok_or(ApiError::NotFound)?;
                let m = mediations::load(tx, id)?;
                let billable = m.billable().ok_or(ApiError::NotFound)?;
                let rate = rate_on(tx, billable.patto_id, line)?;
                Ok(cost(line.quantity, 60, rate, Cents::new(0).expect("zero")))
            })
            .collect(),
    }
}

/// Staff validate: the costs are frozen, and the mediations billed are marked reported.
pub fn validate(
    tx: &mut DbConnection,
    ctx: &Context,
    id: DeliveryReportId,
    if_match: Option<IfMatch>,
) -> Result<DeliveryReport, ApiError> {
    let report = change(tx, ctx, id, if_match, ReportAction::Review, |tx, r| {
        let costs = costs(tx, r)?;
        Ok(r.validate(costs, Some(ctx.actor.user), ctx.now)?)
    })?;
    if report.subject == ReportSubject::Mediation {
        for line in &report.current().lines {
            let Some(mid) = line.mediation_request_id else { continue };
            let mut m = mediations::lock(tx, mid)?;
            let loaded = m.version;
            let event = m.report(report.id, ctx.now);
            mediations::save(tx, &m, loaded, &event)?;
            outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
        }
    }
    Ok(report)
}

/// How a summary groups the month's validated lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Provider,
    Municipality,
    Intervention,
}

/// One row of a monthly summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub key: String,
    /// The provider's or municipality's name, the intervention's code.
    pub label: String,
    pub lines: i64,
    pub amount: i64,
    pub family: i64,
    pub authority: i64,
}

/// The month's validated lines, grouped: what each provider invoices the authority, what each
/// municipality's residents cost, what each intervention cost. Staff see their authority's;
/// a provider its own rows; a municipality its own residents'.
pub fn summary(tx: &mut DbConnection, actor: &Actor, month: Month, by: GroupBy) -> Result<Vec<SummaryRow>, ApiError> {
    let scope = access::people_scope(actor)?;
    let authority = match scope {
        PeopleScope::Authority(a) => Some(a),
        _ => None,
    };
    let own_town = municipality_of(tx, actor)?;
    let reports = store::validated_in(tx, month, authority)?;
    let mut mediation_towns: HashMap<MediationRequestId, IstatCode> = HashMap::new();
    let mut rows: BTreeMap<String, SummaryRow> = BTreeMap::new();
    for report in &reports {
        if matches!(scope, PeopleScope::Provider(p) if p != report.provider_id) {
            continue;
        }
        let Some(validation) = &report.validation else { continue };
        for (line, c) in report.current().lines.iter().zip(&validation.costs) {
            let town = match (&report.municipality, line.mediation_request_id) {
                (Some(m), _) => m.clone(),
                (None, Some(id)) => match mediation_towns.get(&id) {
                    Some(m) => m.clone(),
                    None => {
                        let m = mediations::load(tx, id)?.ask.municipality;
                        mediation_towns.insert(id, m.clone());
                        m
                    }
                },
                (None, None) => continue,
            };
            if matches!(scope, PeopleScope::Municipality(_)) && own_town.as_ref() != Some(&town) {
                continue;
            }
            let key = match by {
                GroupBy::Provider => report.provider_id.to_string(),
                GroupBy::Municipality => town.as_str().to_owned(),
                GroupBy::Intervention => line.intervention.as_str().to_owned(),
            };
            let row = rows.entry(key.clone()).or_insert_with(|| SummaryRow {
                key,
                label: String::new(),
                lines: 0,
                amount: 0,
                family: 0,
                authority: 0,
            });
            row.lines += 1;
            row.amount += c.amount.get();
            row.family += c.family.get();
            row.authority += c.authority.get();
        }
    }
    let mut rows: Vec<SummaryRow> = rows.into_values().collect();
    match by {
        GroupBy::Provider => {
            let ids: Vec<OrganizationId> = rows.iter().filter_map(|r| r.key.parse().ok()).collect();
            let names: HashMap<OrganizationId, String> = tenders::organization_names(tx, &ids)?.into_iter().collect();
            for r in &mut rows {
                r.label = r.key.parse().ok().and_then(|id| names.get(&id).cloned()).unwrap_or_default();
            }
        }
        GroupBy::Municipality => {
            let codes: Vec<IstatCode> = rows.iter().filter_map(|r| IstatCode::parse(&r.key).ok()).collect();
            let names: HashMap<String, String> =
                ambito_persistence::municipality::names(tx, &codes)?.into_iter().collect();
            for r in &mut rows {
                r.label = names.get(&r.key).cloned().unwrap_or_default();
            }
        }
        GroupBy::Intervention => {
            for r in &mut rows {
                r.label = r.key.clone();
            }
        }
    }
    Ok(rows)
}
