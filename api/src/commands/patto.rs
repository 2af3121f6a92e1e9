//! Patti: drafting from a provider's active accreditations, signatures by both sides,
//! amendments, the issuing authorities' measures, signed copies.

use ambito_domain::access::{self, ListingAction, ListingFacts, ListingScope, TenderAction};
use ambito_domain::accreditation::AccreditationStatus;
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::measure::{Act, Decision, View};
use ambito_domain::patto::{Change, Draft, Patto, PattoEvent, PattoStatus, Side};
use ambito_domain::{Actor, DocumentId, OrganizationId, PattoId, Role, TenderId};
use ambito_persistence::accreditation::AccreditationFilter;
use ambito_persistence::patto::PattoFilter;
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, accreditation as accreditations, document as documents, outbox,
    patto as patti, tender as tenders,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::Context;
use super::accreditation::evaluate;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// A patto and where it stands now.
pub type Standing = (Patto, PattoStatus);

fn load(
    tx: &mut DbConnection,
    actor: &Actor,
    id: PattoId,
    action: impl FnOnce(&Patto) -> ListingAction,
) -> Result<(Patto, Vec<OrganizationId>), ApiError> {
    let patto = patti::load(tx, id)?;
    let issuers = tenders::issuers(tx, patto.tender_id)?;
    access::listing(actor, ListingFacts { provider: patto.provider_id, issuers: &issuers }, action(&patto))
        .require()?;
    Ok((patto, issuers))
}

pub fn get(tx: &mut DbConnection, actor: &Actor, id: PattoId, now: DateTime<Utc>) -> Result<Standing, ApiError> {
    let (patto, _) = load(tx, actor, id, |_| ListingAction::Read)?;
    let status = patto.status(View::at(now));
    Ok((patto, status))
}

pub fn list(
    tx: &mut DbConnection,
    actor: &Actor,
    mut filter: PattoFilter,
    page: &Page,
    now: DateTime<Utc>,
) -> Result<Paged<Standing>, ApiError> {
    match access::listing_scope(actor)? {
        ListingScope::Provider(p) => filter.provider_id = Some(p),
        ListingScope::Authority(a) => filter.issued_by = Some(a),
        ListingScope::Everything => {}
    }
    Ok(patti::list(tx, &filter, page)?.map(|p| {
        let status = p.status(View::at(now));
        (p, status)
    }))
}

/// Staff of an issuing authority draft a patto for a provider, over its active accreditations
/// under the call.
pub fn draft(
    tx: &mut DbConnection,
    ctx: &Context,
    tender_id: TenderId,
    provider: OrganizationId,
    draft: Draft,
) -> Result<Standing, ApiError> {
    let tender = tenders::load(tx, tender_id)?;
    access::tender(Some(&ctx.actor), tender.facts(), TenderAction::Manage).require()?;
    let filter = AccreditationFilter { tender_id: Some(tender_id), provider_id: Some(provider), ..Default::default() };
    let list = accreditations::all(tx, &filter)?;
    let accredited: Vec<(_, AccreditationStatus)> =
        evaluate(tx, list, View::at(ctx.now))?.into_iter().filter_map(|(a, status)| status.map(|s| (a, s))).collect();
    let (patto, event) = Patto::draft(
        PattoId::new(),
        &tender,
        provider,
        ctx.actor.organization,
        draft,
        &accredited,
        Some(ctx.actor.user),
        ctx.now,
    )?;
    patti::insert(tx, &patto)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&patto))?;
    let status = patto.status(View::at(ctx.now));
    Ok((patto, status))
}

/// One change of a patto by the actor, allowed as `action` says.
fn change(
    tx: &mut DbConnection,
    ctx: &Context,
    id: PattoId,
    if_match: Option<IfMatch>,
    action: impl FnOnce(&Patto) -> ListingAction,
    transition: impl FnOnce(&mut Patto) -> Result<PattoEvent, ambito_domain::patto::PattoError>,
) -> Result<Standing, ApiError> {
    let mut patto = patti::lock(tx, id)?;
    let issuers = tenders::issuers(tx, patto.tender_id)?;
    access::listing(&ctx.actor, ListingFacts { provider: patto.provider_id, issuers: &issuers }, action(&patto))
        .require()?;
    let before = patto.clone();
    let event = transition(&mut patto)?;
    precondition(if_match, before.version)?;
    patti::save(tx, &patto, before.version, &event)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &patto))?;
    let status = patto.status(View::at(ctx.now));
    Ok((patto, status))
}

/// A provider member signs for the provider, staff of the signing authority for it.
pub fn sign(
    tx: &mut DbConnection,
    ctx: &Context,
    id: PattoId,
    if_match: Option<IfMatch>,
    document_id: Option<DocumentId>,
) -> Result<Standing, ApiError> {
    let side = if ctx.actor.role == Role::ProviderMember { Side::Provider } else { Side::Authority };
    if let Some(document) = document_id {
        may_attach(tx, &ctx.actor, id)?;
        documents::get(tx, DocumentOwner::Patto(id), document)
            .map_err(|_| ApiError::invalid_field("document_id", "no document of this patto has this id"))?;
    }
    change(
        tx,
        ctx,
        id,
        if_match,
        |p| ListingAction::Sign { authority: p.authority_id },
        |p| p.sign(side, Some(ctx.actor.user), document_id, ctx.now),
    )
}

pub fn amend(
    tx: &mut DbConnection,
    ctx: &Context,
    id: PattoId,
    if_match: Option<IfMatch>,
    amendment: Change,
    effective_from: NaiveDate,
    rationale: String,
) -> Result<Standing, ApiError> {
    change(
        tx,
        ctx,
        id,
        if_match,
        |_| ListingAction::Decide,
        |p| p.amend(amendment, effective_from, rationale, Some(ctx.actor.user), ctx.now),
    )
}

pub fn decide(
    tx: &mut DbConnection,
    ctx: &Context,
    id: PattoId,
    if_match: Option<IfMatch>,
    decision: Decision,
    reason: String,
    act: Option<Act>,
) -> Result<Standing, ApiError> {
    let stops_service = !matches!(decision, Decision::Reinstate);
    let standing = change(
        tx,
        ctx,
        id,
        if_match,
        |_| ListingAction::Decide,
        |p| p.decide(decision, reason, act, Some(ctx.actor.user), ctx.now),
    )?;
    if stops_service {
        super::service_request::flag_vouchers_of(tx, ctx, &standing.0)?;
    }
    Ok(standing)
}

/// Whether the actor may attach a signed copy: either signing side, before the upload is read.
pub fn may_attach(tx: &mut DbConnection, actor: &Actor, id: PattoId) -> Result<(), ApiError> {
    load(tx, actor, id, |p| ListingAction::Sign { authority: p.authority_id }).map(drop)
}

pub fn attach(tx: &mut DbConnection, ctx: &Context, document: &Document) -> Result<(), ApiError> {
    let DocumentOwner::Patto(id) = document.owner else { return Err(ApiError::NotFound) };
    may_attach(tx, &ctx.actor, id)?;
    Ok(documents::insert(tx, document)?)
}

pub fn documents(tx: &mut DbConnection, actor: &Actor, id: PattoId, page: &Page) -> Result<Paged<Document>, ApiError> {
    load(tx, actor, id, |_| ListingAction::Read)?;
    Ok(documents::of(tx, DocumentOwner::Patto(id), page)?)
}

pub fn document(tx: &mut DbConnection, actor: &Actor, id: PattoId, document: DocumentId) -> Result<Document, ApiError> {
    load(tx, actor, id, |_| ListingAction::Read)?;
    Ok(documents::get(tx, DocumentOwner::Patto(id), document)?)
}
