//! Mediation: providers' mediators; requests from an authority's or a municipality's services,
//! routed to the providers with an active patto for mediation in that context and municipality
//! on that day; confirmations (one winner, whatever the concurrency: the row is locked), the
//! delivery, cancellations and no-shows.

use ambito_domain::access::{self, MediationAction, MediationFacts, RecordAction, RequestView};
use ambito_domain::application::ScopeItem;
use ambito_domain::mediation::{Ask, Language, MediationEvent, MediationRequest, MediationStatus, Mediator};
use ambito_domain::rome::rome_date;
use ambito_domain::{
    Actor, Invalid, MediationRequestId, MediatorId, Name, OrganizationId, OrganizationKind, PattoId, Role,
};
use ambito_persistence::mediation::{self as store, MediationFilter};
use ambito_persistence::{DbConnection, Page, Paged, Snapshots, organization, outbox};
use chrono::{DateTime, Utc};

use super::Context;
use super::beneficiary::{authorities_serving, may_read, municipality_of, responsible_authority};
use super::registry::eligible;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// The provider a path names, as the actor may see it.
fn provider(tx: &mut DbConnection, actor: &Actor, id: OrganizationId, action: RecordAction) -> Result<(), ApiError> {
    access::mediators(actor, id, action).require()?;
    match organization::get(tx, id) {
        Ok(org) if org.kind == OrganizationKind::Provider => Ok(()),
        Ok(_) | Err(ambito_persistence::StoreError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub fn register_mediator(
    tx: &mut DbConnection,
    ctx: &Context,
    provider_id: OrganizationId,
    name: Name,
    languages: Vec<Language>,
) -> Result<Mediator, ApiError> {
    provider(tx, &ctx.actor, provider_id, RecordAction::Administer)?;
    let mediator = Mediator::register(provider_id, name, languages, ctx.now)?;
    store::insert_mediator(tx, &mediator)?;
    outbox::record(tx, &ctx.origin, ctx.now, &mediator.registered(), Snapshots::created(&mediator))?;
    Ok(mediator)
}

pub fn mediators(
    tx: &mut DbConnection,
    actor: &Actor,
    provider_id: OrganizationId,
    page: &Page,
) -> Result<Paged<Mediator>, ApiError> {
    provider(tx, actor, provider_id, RecordAction::Read)?;
    Ok(store::mediators_of(tx, provider_id, page)?)
}

pub fn deactivate_mediator(
    tx: &mut DbConnection,
    ctx: &Context,
    provider_id: OrganizationId,
    id: MediatorId,
) -> Result<Mediator, ApiError> {
    provider(tx, &ctx.actor, provider_id, RecordAction::Administer)?;
    let mut mediator = store::mediator(tx, id)?;
    if mediator.provider_id != provider_id {
        return Err(ApiError::NotFound);
    }
    let before = mediator.clone();
    let event = mediator.deactivate();
    store::set_active(tx, &mediator)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &mediator))?;
    Ok(mediator)
}

/// A request as its reader sees it.
pub struct Seen {
    pub request: MediationRequest,
    pub view: RequestView,
}

fn facts_of(r: &MediationRequest) -> (Vec<OrganizationId>, Option<OrganizationId>) {
    (r.offered_to(), r.confirmation.as_ref().map(|c| c.provider_id))
}

fn view_of(actor: &Actor, r: &MediationRequest) -> Result<RequestView, ApiError> {
    let (offered, confirmed) = facts_of(r);
    let facts =
        MediationFacts { authority: r.authority_id, requested_by: r.requested_by, offered: &offered, confirmed };
    Ok(access::mediation_view(actor, facts)?)
}

/// The providers that may serve a mediation in its context and municipality on its day.
fn eligible_for(
    tx: &mut DbConnection,
    ask: &Ask,
    now: DateTime<Utc>,
) -> Result<Vec<(OrganizationId, PattoId)>, ApiError> {
    let item = ScopeItem { intervention: ask.context.intervention(), municipality: ask.municipality.clone() };
    Ok(eligible(tx, item, rome_date(ask.starts_at), now)?.into_iter().map(|s| (s.provider_id, s.patto_id)).collect())
}

/// A service asks for a mediator: a municipality for its own territory, an authority's staff
/// for a municipality of its districts.
pub fn request(tx: &mut DbConnection, ctx: &Context, ask: Ask) -> Result<Seen, ApiError> {
    access::mediation_submission(&ctx.actor).require()?;
    let authority = match ctx.actor.role {
        Role::Municipality => {
            if municipality_of(tx, &ctx.actor)?.as_ref() != Some(&ask.municipality) {
                return Err(Invalid::one("municipality", "your own municipality").into());
            }
            responsible_authority(tx, &ask.municipality, None)
                .map_err(|_| ApiError::from(Invalid::one("municipality", "no district of the platform includes it")))?
        }
        _ => {
            if !authorities_serving(tx, &ask.municipality)?.contains(&ctx.actor.organization) {
                return Err(Invalid::one("municipality", "not a municipality of your authority's districts").into());
            }
            ctx.actor.organization
        }
    };
    if let Some(person) = ask.beneficiary_id
        && may_read(tx, &ctx.actor, person).is_err()
    {
        return Err(Invalid::one("beneficiary_id", "no person you may read has this id").into());
    }
    let offered = eligible_for(tx, &ask, ctx.now)?;
    let (request, event) =
        MediationRequest::request(authority, ctx.actor.organization, ask, &offered, Some(ctx.actor.user), ctx.now)?;
    store::insert(tx, &request)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    Ok(Seen { request, view: RequestView::Full })
}

pub fn get(tx: &mut DbConnection, actor: &Actor, id: MediationRequestId) -> Result<Seen, ApiError> {
    let request = store::load(tx, id)?;
    let view = view_of(actor, &request)?;
    Ok(Seen { request, view })
}

/// One change of a request, allowed as `action` says; a provider that loses its view by the
/// change (declining) sees the answer to its own change.
fn change(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    action: MediationAction,
    transition: impl FnOnce(&mut DbConnection, &mut MediationRequest) -> Result<MediationEvent, ApiError>,
) -> Result<Seen, ApiError> {
    let mut request = store::lock(tx, id)?;
    let (offered, confirmed) = facts_of(&request);
    let facts = MediationFacts {
        authority: request.authority_id,
        requested_by: request.requested_by,
        offered: &offered,
        confirmed,
    };
    access::mediation(&ctx.actor, facts, action).require()?;
    let before = view_of(&ctx.actor, &request)?;
    let loaded = request.version;
    let event = transition(tx, &mut request)?;
    precondition(if_match, loaded)?;
    store::save(tx, &request, loaded, &event)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::none())?;
    let view = view_of(&ctx.actor, &request).unwrap_or(before);
    Ok(Seen { request, view })
}

pub fn offer(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    provider: OrganizationId,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, MediationAction::Offer, |tx, r| {
        let patto =
            eligible_for(tx, &r.ask, ctx.now)?.into_iter().find(|(p, _)| *p == provider).map(|(_, patto)| patto);
        Ok(r.offer(provider, patto, ctx.now)?)
    })
}

pub fn decline(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    note: String,
) -> Result<Seen, ApiError> {
    let provider = ctx.actor.organization;
    change(tx, ctx, id, if_match, MediationAction::Answer, |_, r| Ok(r.decline(provider, note, ctx.now)?))
}

pub fn confirm(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    mediator: MediatorId,
) -> Result<Seen, ApiError> {
    let provider = ctx.actor.organization;
    change(tx, ctx, id, if_match, MediationAction::Answer, |tx, r| {
        let mediator = match store::mediator(tx, mediator) {
            Ok(m) => m,
            Err(ambito_persistence::StoreError::NotFound) => {
                return Err(Invalid::one("mediator_id", "not an active mediator of your list").into());
            }
            Err(e) => return Err(e.into()),
        };
        Ok(r.confirm(provider, &mediator, Some(ctx.actor.user), ctx.now)?)
    })
}

/// What a provider records of a mediation it confirmed.
pub enum Ending {
    Delivered { started_at: DateTime<Utc>, minutes: u32, pages: Option<u32>, note: String },
    NoShow { note: String },
}

pub fn end(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    ending: Ending,
) -> Result<Seen, ApiError> {
    let (provider, by) = (ctx.actor.organization, Some(ctx.actor.user));
    change(tx, ctx, id, if_match, MediationAction::Deliver, |_, r| {
        Ok(match ending {
            Ending::Delivered { started_at, minutes, pages, note } => {
                r.deliver(provider, started_at, minutes, pages, note, by, ctx.now)?
            }
            Ending::NoShow { note } => r.no_show(provider, note, by, ctx.now)?,
        })
    })
}

pub fn cancel(
    tx: &mut DbConnection,
    ctx: &Context,
    id: MediationRequestId,
    if_match: Option<IfMatch>,
    reason: String,
) -> Result<Seen, ApiError> {
    change(tx, ctx, id, if_match, MediationAction::Cancel, |_, r| {
        Ok(r.cancel(reason, Some(ctx.actor.user), ctx.now)?)
    })
}

/// What a list asks.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<MediationStatus>,
    pub context: Option<String>,
    pub language: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only the confirmed slots: a provider's calendar.
    pub calendar: bool,
}

/// The actor's requests: unanswered urgent ones first, then by slot.
pub fn list(tx: &mut DbConnection, actor: &Actor, query: ListQuery, page: &Page) -> Result<Paged<Seen>, ApiError> {
    let scope = access::people_scope(actor)?;
    let filter = MediationFilter {
        scope,
        context: query.context,
        language: query.language,
        from: query.from,
        to: query.to,
        confirmed_by: (query.calendar && actor.role == Role::ProviderMember).then_some(actor.organization),
    };
    let status = if query.calendar { Some(MediationStatus::Confirmed) } else { query.status };
    let mut listed: Vec<Seen> = store::all(tx, &filter)?
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.status() == s))
        .filter_map(|request| view_of(actor, &request).ok().map(|view| Seen { request, view }))
        .collect();
    let key = |s: &Seen| {
        let first = if s.request.unanswered_urgent() { 0 } else { 1 };
        format!("{first}:{:020}:{}", s.request.ask.starts_at.timestamp_micros().max(0), s.request.id)
    };
    listed.sort_by_key(key);
    Ok(page.of(listed, key))
}
