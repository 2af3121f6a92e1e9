//! Service requests: filed by a municipality for one of the people it registered, assessed by
//! the responsible authority's staff (vouchers at the call's rate with the family's co-payment),
//! placed with the provider the family chooses among those the registry allows, answered by the
//! provider, suspended, resumed and closed. Reads of the care plan and the co-payment are logged
//! as reads of the person's data.

use std::collections::HashMap;

use ambito_domain::access::{self, RequestAction, RequestFacts, RequestView};
use ambito_domain::application::ScopeItem;
use ambito_domain::beneficiary::{DataAccess, DataAction, field};
use ambito_domain::copayment::{self, Period};
use ambito_domain::patto::Patto;
use ambito_domain::rome::rome_date;
use ambito_domain::service_request::{
    Ask, CloseReason, DeclineReason, Grant, IneligibleReason, Person, RequestChange, RequestStatus, ServiceRequest,
    ServiceRequestEvent, Voucher, VoucherStatus,
};
use ambito_domain::{Actor, BeneficiaryId, InterventionCode, IstatCode, OrganizationId, ServiceRequestId, VoucherId};
use ambito_persistence::service_request::RequestFilter;
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, beneficiary as beneficiaries, catalogue, copayment as rules, outbox,
    service_request as requests, tender as tenders,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::Context;
use super::beneficiary::{may_read, municipality_of, seen};
use super::copayment::tariff;
use super::registry::{Servant, eligible};
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// A request as its reader sees it: how much of it, where it stands, and what goes with it.
pub struct Seen {
    pub request: ServiceRequest,
    pub view: RequestView,
    pub status: RequestStatus,
    /// The vouchers whose provider may no longer serve them.
    pub attention: Vec<VoucherId>,
    /// Where each voucher stands.
    pub vouchers: HashMap<VoucherId, VoucherStatus>,
    /// Each voucher's co-payment over its validity (full view only).
    pub schedules: HashMap<VoucherId, Vec<Period>>,
    /// The names of the providers it mentions.
    pub names: HashMap<OrganizationId, String>,
}

fn facts_of(r: &ServiceRequest) -> (Vec<OrganizationId>, Vec<OrganizationId>) {
    let offered = r.vouchers.iter().filter_map(Voucher::offered_to).collect();
    let mut serving: Vec<OrganizationId> = r
        .vouchers
        .iter()
        .flat_map(|v| v.choices.iter().filter(|c| c.start().is_some()).map(|c| c.provider_id))
        .collect();
    serving.sort_unstable();
    serving.dedup();
    (offered, serving)
}

fn view_of(actor: &Actor, r: &ServiceRequest) -> Result<RequestView, ApiError> {
    let (offered, serving) = facts_of(r);
    let facts =
        RequestFacts { authority: r.authority_id, requested_by: r.requested_by, offered: &offered, serving: &serving };
    Ok(access::request_view(actor, facts)?)
}

fn allowed(actor: &Actor, r: &ServiceRequest, action: RequestAction) -> Result<(), ApiError> {
    let (offered, serving) = facts_of(r);
    let facts =
        RequestFacts { authority: r.authority_id, requested_by: r.requested_by, offered: &offered, serving: &serving };
    Ok(access::service_request(actor, facts, action).require()?)
}

/// Who may serve an item on a day, looked up once per item and day.
#[derive(Default)]
pub struct Registry(HashMap<(InterventionCode, IstatCode, NaiveDate), Vec<Servant>>);

impl Registry {
    fn servants(
        &mut self,
        tx: &mut DbConnection,
        item: &ScopeItem,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<&[Servant], ApiError> {
        let key = (item.intervention.clone(), item.municipality.clone(), day);
        if !self.0.contains_key(&key) {
            let found = eligible(tx, item.clone(), day, now)?;
            self.0.insert(key.clone(), found);
        }
        Ok(&self.0[&key])
    }

    /// The patto under which `provider` may serve `item` on `day`, if any.
    fn patto_of(
        &mut self,
        tx: &mut DbConnection,
        item: &ScopeItem,
        day: NaiveDate,
        provider: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<Option<ambito_domain::PattoId>, ApiError> {
        Ok(self.servants(tx, item, day, now)?.iter().find(|s| s.provider_id == provider).map(|s| s.patto_id))
    }
}

fn item_of(r: &ServiceRequest, v: &Voucher) -> ScopeItem {
    ScopeItem { intervention: v.intervention.clone(), municipality: r.municipality.clone() }
}

/// The vouchers whose provider may no longer serve them from today (or their start).
fn attention(
    tx: &mut DbConnection,
    registry: &mut Registry,
    r: &ServiceRequest,
    now: DateTime<Utc>,
) -> Result<Vec<VoucherId>, ApiError> {
    let today = rome_date(now);
    let mut found = Vec::new();
    for (v, choice) in r.taken() {
        let day = choice.start().map_or(today, |s| s.max(today)).min(v.valid_to);
        if registry.patto_of(tx, &item_of(r, v), day, choice.provider_id, now)?.is_none() {
            found.push(v.id);
        }
    }
    Ok(found)
}

fn statuses(r: &ServiceRequest, now: DateTime<Utc>, attention: &[VoucherId]) -> HashMap<VoucherId, VoucherStatus> {
    r.vouchers.iter().map(|v| (v.id, r.voucher_status(v, now, attention.contains(&v.id)))).collect()
}

fn names(tx: &mut DbConnection, r: &ServiceRequest) -> Result<HashMap<OrganizationId, String>, ApiError> {
    let mut ids: Vec<OrganizationId> =
        r.vouchers.iter().flat_map(|v| v.choices.iter().map(|c| c.provider_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(tenders::organization_names(tx, &ids)?.into_iter().collect())
}

/// Each voucher's co-payment over its validity, from the rules and the person's ISEE records.
fn schedules(tx: &mut DbConnection, r: &ServiceRequest) -> Result<HashMap<VoucherId, Vec<Period>>, ApiError> {
    let isees = beneficiaries::isees(tx, r.beneficiary_id)?;
    let mut out = HashMap::new();
    for v in &r.vouchers {
        let versions = rules::versions(tx, r.authority_id, &v.intervention)?;
        out.insert(v.id, copayment::schedule(&versions, &isees, v.rate, v.valid_from, v.valid_to));
    }
    Ok(out)
}

fn log(tx: &mut DbConnection, entries: Vec<DataAccess>) -> Result<(), ApiError> {
    Ok(beneficiaries::log_access(tx, &entries)?)
}

/// The request as the actor sees it now; a full read is logged as a read of the person's data.
/// `before`: how the actor saw it before a change that may have ended their view (a provider
/// declining sees the answer to its own decline).
fn present(
    tx: &mut DbConnection,
    ctx: &Context,
    request: ServiceRequest,
    before: Option<RequestView>,
) -> Result<Seen, ApiError> {
    let view = match (view_of(&ctx.actor, &request), before) {
        (Ok(view), _) => view,
        (Err(_), Some(RequestView::Offer)) => RequestView::Offer,
        (Err(e), _) => return Err(e),
    };
    let attention = attention(tx, &mut Registry::default(), &request, ctx.now)?;
    let status = request.status(ctx.now, &attention);
    let schedules = if view == RequestView::Full {
        let read = seen(
            ctx,
            request.beneficiary_id,
            DataAction::Read,
            &[field::CARE_PLAN, field::COPAYMENT],
            Some(request.id),
        );
        log(tx, vec![read])?;
        schedules(tx, &request)?
    } else {
        HashMap::new()
    };
    let names = names(tx, &request)?;
    let vouchers = statuses(&request, ctx.now, &attention);
    Ok(Seen { request, view, status, attention, vouchers, schedules, names })
}

pub fn get(tx: &mut DbConnection, ctx: &Context, id: ServiceRequestId) -> Result<Seen, ApiError> {
    let request = requests::load(tx, id)?;
    present(tx, ctx, request, None)
}

/// A municipality files a request for a person it registered or asked for before.
pub fn submit(tx: &mut DbConnection, ctx: &Context, beneficiary: BeneficiaryId, ask: Ask) -> Result<Seen, ApiError> {
    access::request_submission(&ctx.actor).require()?;
    let person = match may_read(tx, &ctx.actor, beneficiary) {
        Ok(b) => b,
        Err(ApiError::NotFound) => {
            return Err(ambito_domain::Invalid::one("beneficiary_id", "no person you registered has this id").into());
        }
        Err(e) => return Err(e),
    };
    let municipality = municipality_of(tx, &ctx.actor)?.ok_or(ApiError::Forbidden)?;
    let catalogue: Vec<(InterventionCode, String)> =
        catalogue::interventions(tx)?.into_iter().map(|i| (i.code, i.product_line_code.as_str().to_owned())).collect();
    let (request, event) = ServiceRequest::submit(
        ServiceRequestId::new(),
        Person {
            beneficiary_id: person.id,
            authority_id: person.authority_id,
            residence: person.details.residence.clone(),
            age_band: person.age_band(rome_date(ctx.now)),
        },
        ctx.actor.organization,
        &municipality,
        ask,
        &catalogue,
        Some(ctx.actor.user),
        ctx.now,
    )?;
    requests::insert(tx, &request)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    log(tx, vec![seen(ctx, person.id, DataAction::Create, &[field::CARE_PLAN], Some(request.id))])?;
    present(tx, ctx, request, None)
}

/// One change of a request by the actor, allowed as `action` says; `transition` may look
/// things up in the same transaction. The audit keeps no snapshot: the request holds the care
/// plan.
fn change(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    action: RequestAction,
    transition: impl FnOnce(&mut DbConnection, &mut ServiceRequest) -> Result<ServiceRequestEvent, ApiError>,
) -> Result<Seen, ApiError> {
    let mut request = requests::lock(tx, id)?;
    allowed(&ctx.actor, &request, action)?;
    let before = view_of(&ctx.actor, &request)?;
    let loaded = request.version;
    let event = transition(tx, &mut request)?;
    precondition(if_match, loaded)?;
    requests::save(tx, &request, loaded, &event)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    present(tx, ctx, request, Some(before))
}

pub fn request_integration(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    message: String,
    due_on: NaiveDate,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Assess, |_, r| {
        Ok(r.request_integration(message, due_on, Some(ctx.actor.user), ctx.now)?)
    })
}

pub fn answer_integration(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    answer: String,
    care_plan: Option<String>,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Integrate, |tx, r| {
        let revised = care_plan.is_some();
        let event = r.answer_integration(answer, care_plan, Some(ctx.actor.user), ctx.now)?;
        if revised {
            log(tx, vec![seen(ctx, r.beneficiary_id, DataAction::Update, &[field::CARE_PLAN], Some(r.id))])?;
        }
        Ok(event)
    })
}

/// What staff grant of one intervention.
#[derive(Debug, Clone)]
pub struct Granted {
    pub intervention: InterventionCode,
    pub units: u32,
    pub period: ambito_domain::service_request::Period,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

/// Staff grant vouchers: each at its call's rate, with the co-payment of its first day frozen
/// from the rule in force and the person's ISEE.
pub fn grant(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    granted: Vec<Granted>,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Assess, |tx, r| {
        let isees = beneficiaries::isees(tx, r.beneficiary_id)?;
        let mut grants = Vec::new();
        for g in granted {
            let item = ScopeItem { intervention: g.intervention.clone(), municipality: r.municipality.clone() };
            let tariff = tariff(tx, r.authority_id, &item, g.valid_from)?;
            let copayment = match &tariff {
                Some(t) => {
                    let versions = rules::versions(tx, r.authority_id, &g.intervention)?;
                    copayment::schedule(&versions, &isees, t.rate, g.valid_from, g.valid_from)
                        .into_iter()
                        .next()
                        .map(|p| p.basis)
                }
                None => None,
            };
            grants.push(Grant {
                intervention: g.intervention,
                units: g.units,
                period: g.period,
                valid_from: g.valid_from,
                valid_to: g.valid_to,
                tariff,
                copayment,
            });
        }
        let event = r.grant(grants, Some(ctx.actor.user), ctx.now)?;
        log(tx, vec![seen(ctx, r.beneficiary_id, DataAction::Read, &[field::ISEE], Some(r.id))])?;
        Ok(event)
    })
}

pub fn refuse(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    reason: IneligibleReason,
    explanation: String,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Assess, |_, r| {
        Ok(r.refuse(reason, explanation, Some(ctx.actor.user), ctx.now)?)
    })
}

/// A provider the family may choose for a voucher.
pub struct Choosable {
    pub servant: Servant,
    /// How many open requests it serves now.
    pub serving: i64,
    /// Whether it declined this voucher before.
    pub declined: bool,
}

/// The providers that may serve a voucher from the day it would start, by name.
pub fn choosable(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    voucher: VoucherId,
) -> Result<Vec<Choosable>, ApiError> {
    let r = requests::load(tx, id)?;
    allowed(&ctx.actor, &r, RequestAction::Choose)?;
    let v = r.voucher(voucher)?;
    let day = v.first_day(rome_date(ctx.now));
    let servants = eligible(tx, item_of(&r, v), day, ctx.now)?;
    let ids: Vec<OrganizationId> = servants.iter().map(|s| s.provider_id).collect();
    let counts = requests::serving_counts(tx, &ids)?;
    Ok(servants
        .into_iter()
        .map(|s| Choosable {
            serving: counts.get(&s.provider_id).copied().unwrap_or(0),
            declined: v
                .choices
                .iter()
                .any(|c| c.provider_id == s.provider_id && c.start().is_none() && c.answer.is_some()),
            servant: s,
        })
        .collect())
}

pub fn choose(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    voucher: VoucherId,
    provider: OrganizationId,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Choose, |tx, r| {
        let mut registry = Registry::default();
        let attention = attention(tx, &mut registry, r, ctx.now)?.contains(&voucher);
        // An unknown voucher is the transition's to refuse, after the request's own state.
        let patto = match r.voucher(voucher) {
            Ok(v) => {
                let (item, day) = (item_of(r, v), v.first_day(rome_date(ctx.now)));
                registry.patto_of(tx, &item, day, provider, ctx.now)?
            }
            Err(_) => None,
        };
        Ok(r.choose(voucher, provider, patto, attention, Some(ctx.actor.user), ctx.now)?)
    })
}

pub fn accept(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    voucher: VoucherId,
    start: NaiveDate,
) -> Result<Seen, ApiError> {
    let provider = ctx.actor.organization;
    change(tx, ctx, id, if_match, RequestAction::Answer, |tx, r| {
        let eligible = match r.voucher(voucher) {
            Ok(v) => Registry::default().patto_of(tx, &item_of(r, v), start, provider, ctx.now)?.is_some(),
            Err(_) => false,
        };
        Ok(r.accept(voucher, provider, start, eligible, Some(ctx.actor.user), ctx.now)?)
    })
}

pub fn decline(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    voucher: VoucherId,
    reason: DeclineReason,
    note: String,
) -> Result<Seen, ApiError> {
    let provider = ctx.actor.organization;
    change(tx, ctx, id, if_match, RequestAction::Answer, |_, r| {
        Ok(r.decline(voucher, provider, reason, note, Some(ctx.actor.user), ctx.now)?)
    })
}

pub fn suspend(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    from: NaiveDate,
    until: Option<NaiveDate>,
    reason: String,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Suspend, |_, r| {
        Ok(r.suspend(from, until, reason, Some(ctx.actor.user), ctx.now)?)
    })
}

pub fn resume(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Suspend, |_, r| Ok(r.resume(ctx.now)?))
}

pub fn close(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ServiceRequestId,
    if_match: Option<IfMatch>,
    reason: CloseReason,
    note: String,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, RequestAction::Close, |_, r| {
        Ok(r.close(reason, note, Some(ctx.actor.user), ctx.now)?)
    })
}

/// What a list of requests asks.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<RequestStatus>,
    pub needs_attention: Option<bool>,
    pub intervention: Option<InterventionCode>,
    pub municipality: Option<IstatCode>,
    pub provider: Option<OrganizationId>,
    pub beneficiary: Option<BeneficiaryId>,
    pub sort: RequestSort,
}

/// The order of a list of requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RequestSort {
    /// What waits for someone first (see [`priority`]), oldest first within each.
    #[default]
    Priority,
    /// Oldest submission first.
    Submitted,
}

impl RequestSort {
    /// A request's key in this order, which is also the cursor after it.
    fn key(self, l: &Listed) -> String {
        match self {
            Self::Priority => format!("{}:{}", priority(l.status, !l.attention.is_empty()), l.request.id),
            Self::Submitted => ambito_persistence::page::instant_key(l.request.submitted_at, l.request.id),
        }
    }

    /// Whether `cursor` is one a list in this order gave out.
    pub fn valid_cursor(self, cursor: &str) -> bool {
        match self {
            Self::Priority => {
                cursor.split_once(':').is_some_and(|(p, _)| p.len() == 1 && p.as_bytes()[0].is_ascii_digit())
            }
            Self::Submitted => ambito_persistence::page::split_instant_key(cursor).is_some(),
        }
    }
}

/// A request on a list: where it stands, and how much of it the reader sees.
pub struct Listed {
    pub request: ServiceRequest,
    pub view: RequestView,
    pub status: RequestStatus,
    pub attention: Vec<VoucherId>,
    pub vouchers: HashMap<VoucherId, VoucherStatus>,
}

/// What waits for the municipality or the family comes first, then what waits for a provider,
/// then what waits for staff, then the services running, then the finished; oldest first.
fn priority(status: RequestStatus, attention: bool) -> u8 {
    match status {
        _ if attention => 0,
        RequestStatus::IntegrationRequested | RequestStatus::Eligible => 0,
        RequestStatus::ProviderChosen => 1,
        RequestStatus::Submitted => 2,
        RequestStatus::Accepted | RequestStatus::Active | RequestStatus::Suspended => 3,
        RequestStatus::Ineligible | RequestStatus::Closed => 4,
    }
}

pub fn list(tx: &mut DbConnection, ctx: &Context, query: ListQuery, page: &Page) -> Result<Paged<Listed>, ApiError> {
    let scope = access::people_scope(&ctx.actor)?;
    let filter = RequestFilter {
        scope,
        intervention: query.intervention,
        municipality: query.municipality,
        provider: query.provider,
        beneficiary: query.beneficiary,
        closed: query.status.is_none_or(|s| s == RequestStatus::Closed),
    };
    let mut registry = Registry::default();
    let mut listed = Vec::new();
    for request in requests::all(tx, &filter)? {
        let Ok(view) = view_of(&ctx.actor, &request) else { continue };
        let attention = attention(tx, &mut registry, &request, ctx.now)?;
        let status = request.status(ctx.now, &attention);
        if query.status.is_some_and(|s| s != status) || query.needs_attention.is_some_and(|a| a == attention.is_empty())
        {
            continue;
        }
        let vouchers = statuses(&request, ctx.now, &attention);
        listed.push(Listed { request, view, status, attention, vouchers });
    }
    let key = |l: &Listed| query.sort.key(l);
    listed.sort_by_key(key);
    Ok(page.of(listed, key))
}

/// When a patto is suspended or revoked, the vouchers taken under it need a new choice: one
/// event each, for the municipality and the provider.
pub fn flag_vouchers_of(tx: &mut DbConnection, ctx: &Context, patto: &Patto) -> Result<(), ApiError> {
    let mut events = Vec::new();
    for request in requests::taken_under(tx, patto.id)? {
        for (v, choice) in request.taken() {
            if choice.patto_id == patto.id {
                events.push(request.event(RequestChange::NeedsNewChoice {
                    voucher_id: v.id,
                    provider_id: choice.provider_id,
                    patto_id: patto.id,
                }));
            }
        }
    }
    let refs: Vec<&dyn ambito_domain::DomainEvent> =
        events.iter().map(|e| e as &dyn ambito_domain::DomainEvent).collect();
    Ok(outbox::record_all(tx, &ctx.origin, ctx.now, &refs)?)
}
