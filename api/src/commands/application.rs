//! Applications: the applicant's side (open, record one received outside the platform, revise,
//! attach documents, submit, withdraw, confirm, answer an integration request) and the
//! examination (admit, exclude, request integration).

use ambito_domain::access::{self, ApplicationAction, TenderAction};
use ambito_domain::application::{
    Application, ApplicationError, ApplicationEvent, ApplicationStatus, Channel, ExclusionReason, IntegrationDue,
    Offer, Receipt, Reception, ScopeItem,
};
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::event::DomainEvent;
use ambito_domain::tender::Tender;
use ambito_domain::{Actor, ApplicationId, DocumentId, IntegrationRequestId, OrganizationId, ReceiptId, TenderId};
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, application as applications, document as documents, outbox, tender as tenders,
};
use chrono::{DateTime, Utc};

use super::Context;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// Loads an application the actor may `action`, with its call's issuing authorities.
fn load(
    tx: &mut DbConnection,
    actor: &Actor,
    id: ApplicationId,
    action: ApplicationAction,
) -> Result<(Application, Vec<OrganizationId>), ApiError> {
    let (app, issuers) = applications::load_with_issuers(tx, id)?;
    access::application(actor, app.facts(&issuers), action).require()?;
    Ok((app, issuers))
}

/// Locks an application and loads its call, for a change by the actor. `If-Match` is checked
/// once the change is known to be allowed: a refused change answers its rule, not 412.
fn lock(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    action: ApplicationAction,
) -> Result<(Application, Tender), ApiError> {
    let app = applications::lock(tx, id)?;
    let tender = tenders::load(tx, app.tender_id)?;
    access::application(&ctx.actor, app.facts(&tender.authorities), action).require()?;
    Ok((app, tender))
}

fn save(
    tx: &mut DbConnection,
    ctx: &Context,
    before: &Application,
    app: &Application,
    events: &[ApplicationEvent],
) -> Result<(), ApiError> {
    applications::save(tx, app, before.version, events)?;
    if let Some((first, rest)) = events.split_first() {
        outbox::record(tx, &ctx.origin, ctx.now, first, Snapshots::changed(before, app))?;
        let rest: Vec<&dyn DomainEvent> = rest.iter().map(|e| e as &dyn DomainEvent).collect();
        outbox::record_all(tx, &ctx.origin, ctx.now, &rest)?;
    }
    Ok(())
}

/// One transition of an application alone.
fn change(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    action: ApplicationAction,
    if_match: Option<IfMatch>,
    transition: impl FnOnce(&mut Application, &Tender) -> Result<ApplicationEvent, ApplicationError>,
) -> Result<Application, ApiError> {
    let (mut app, tender) = lock(tx, ctx, id, action)?;
    let before = app.clone();
    let event = transition(&mut app, &tender)?;
    precondition(if_match, before.version)?;
    save(tx, ctx, &before, &app, &[event])?;
    Ok(app)
}

pub fn get(tx: &mut DbConnection, actor: &Actor, id: ApplicationId) -> Result<Application, ApiError> {
    load(tx, actor, id, ApplicationAction::Read).map(|(app, _)| app)
}

pub fn list(
    tx: &mut DbConnection,
    actor: &Actor,
    tender_id: TenderId,
    status: Option<ApplicationStatus>,
    sort: applications::ApplicationSort,
    page: &Page,
) -> Result<Paged<Application>, ApiError> {
    let tender = tenders::load(tx, tender_id)?;
    let scope = access::application_scope(actor, tender.facts())?;
    let filter = applications::ApplicationFilter { tender_id: Some(tender_id), issuer: None, status, sort };
    Ok(applications::list(tx, scope, &filter, page)?)
}

/// The applications the caller may see across calls: a provider's own, the calls' of a staff
/// member's authority; the access policy scopes the query itself.
pub fn list_all(
    tx: &mut DbConnection,
    actor: &Actor,
    tender_id: Option<TenderId>,
    status: Option<ApplicationStatus>,
    sort: applications::ApplicationSort,
    page: &Page,
) -> Result<Paged<Application>, ApiError> {
    let scoped = access::applications_scope(actor)?;
    let filter = applications::ApplicationFilter { tender_id, issuer: scoped.issuer, status, sort };
    Ok(applications::list(tx, scoped.scope, &filter, page)?)
}

/// A provider opens a draft application to an open call.
pub fn open(tx: &mut DbConnection, ctx: &Context, tender_id: TenderId, offer: Offer) -> Result<Application, ApiError> {
    let tender = tenders::load(tx, tender_id)?;
    access::tender(Some(&ctx.actor), tender.facts(), TenderAction::Apply).require()?;
    let (app, event) = Application::open(ApplicationId::new(), &tender, ctx.actor.organization, offer, ctx.now)?;
    applications::insert(tx, &app)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&app))?;
    Ok(app)
}

/// What staff state of an application that reached them outside the platform.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub provider: OrganizationId,
    pub channel: Channel,
    pub received_at: DateTime<Utc>,
}

/// Staff of an issuing authority record an application received by PEC, by hand, by post or by
/// courier; they attach its scans and register it, which numbers it on its instant of arrival.
pub fn record(
    tx: &mut DbConnection,
    ctx: &Context,
    tender_id: TenderId,
    arrival: Arrival,
    offer: Offer,
) -> Result<Application, ApiError> {
    let tender = tenders::load(tx, tender_id)?;
    access::tender(Some(&ctx.actor), tender.facts(), TenderAction::RecordReceived).require()?;
    let provider = ambito_persistence::organization::get(tx, arrival.provider);
    if !provider.is_ok_and(|p| p.kind == ambito_domain::OrganizationKind::Provider) {
        return Err(ApiError::invalid_field("provider_id", "no provider has this id"));
    }
    let (app, event) = Application::record(
        ApplicationId::new(),
        &tender,
        arrival.provider,
        offer,
        arrival.channel,
        arrival.received_at,
        ctx.actor.organization,
        ctx.now,
    )?;
    applications::insert(tx, &app)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&app))?;
    Ok(app)
}

pub fn revise(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: IfMatch,
    offer: Offer,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Prepare, Some(if_match), |app, tender| app.revise(tender, offer, ctx.now))
}

pub fn withdraw(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Prepare, if_match, |app, tender| app.withdraw(tender, ctx.now))
}

pub fn confirm(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Prepare, if_match, |app, tender| app.confirm(tender, ctx.now))
}

pub fn admit(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
    scope: Option<Vec<ScopeItem>>,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Examine, if_match, |app, tender| {
        app.admit(tender, scope, Some(ctx.actor.user), ctx.now)
    })
}

pub fn exclude(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
    reason: ExclusionReason,
    text: String,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Examine, if_match, |app, tender| {
        app.exclude(tender, reason, text, Some(ctx.actor.user), ctx.now)
    })
}

pub fn request_integration(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
    missing: String,
    due: IntegrationDue,
) -> Result<Application, ApiError> {
    change(tx, ctx, id, ApplicationAction::Examine, if_match, |app, tender| {
        app.request_integration(tender, IntegrationRequestId::new(), missing, due, Some(ctx.actor.user), ctx.now)
    })
}

/// A reception (a submission or an integration answer): every rule checked by the domain, then
/// the next protocol number of the receiving authority, then the record of what arrived.
fn receive(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
    check: impl FnOnce(&Application, &Tender, &[Document]) -> Result<Reception, ApplicationError>,
) -> Result<(Application, Receipt), ApiError> {
    let (mut app, tender) = lock(tx, ctx, id, ApplicationAction::Prepare)?;
    let docs = documents::all_of(tx, DocumentOwner::Application(id))?;
    let reception = check(&app, &tender, &docs)?;
    precondition(if_match, app.version)?;
    // The protocol register's row lock also makes a provider's submissions to one call take
    // turns, so the earlier one is seen (and replaced) by the later.
    let number = applications::next_protocol(tx, reception.authority, reception.protocol_year())?;
    let replaced = match reception.kind {
        ambito_domain::application::ReceiptKind::Submission => {
            let others = applications::of_provider(tx, app.tender_id, app.provider_id, ApplicationStatus::REPLACEABLE)?;
            app.replaced_by_submission(&others)
        }
        ambito_domain::application::ReceiptKind::Integration => Vec::new(),
    };
    let before = app.clone();
    let (receipt, events) = app.receive(&tender, reception, ReceiptId::new(), number, &docs, &replaced, ctx.now);
    applications::insert_receipt(tx, &receipt)?;
    applications::mark_replaced(tx, &replaced)?;
    save(tx, ctx, &before, &app, &events)?;
    Ok((app, receipt))
}

/// Submission: complete and in time, numbered by the receiving authority, frozen. It replaces
/// the provider's earlier submission to the call, which stays on record.
pub fn submit(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
) -> Result<(Application, Receipt), ApiError> {
    receive(tx, ctx, id, if_match, |app, tender, docs| app.submit(tender, docs, ctx.now))
}

pub fn answer_integration(
    tx: &mut DbConnection,
    ctx: &Context,
    id: ApplicationId,
    if_match: Option<IfMatch>,
) -> Result<(Application, Receipt), ApiError> {
    receive(tx, ctx, id, if_match, |app, tender, docs| app.answer_integration(tender, docs, ctx.now))
}

pub fn receipts(
    tx: &mut DbConnection,
    actor: &Actor,
    id: ApplicationId,
    page: &Page,
) -> Result<Paged<Receipt>, ApiError> {
    load(tx, actor, id, ApplicationAction::Read)?;
    Ok(applications::receipts(tx, id, page)?)
}

/// Whether the actor may attach documents now: checked before the upload is read.
pub fn may_attach(tx: &mut DbConnection, actor: &Actor, now: DateTime<Utc>, id: ApplicationId) -> Result<(), ApiError> {
    let (app, _) = load(tx, actor, id, ApplicationAction::Prepare)?;
    let tender = tenders::load(tx, app.tender_id)?;
    Ok(app.accepts_documents(&tender, now)?)
}

/// Records a document whose bytes are stored.
pub fn attach(tx: &mut DbConnection, ctx: &Context, document: &Document) -> Result<(), ApiError> {
    let DocumentOwner::Application(id) = document.owner else { return Err(ApiError::NotFound) };
    let (app, tender) = lock(tx, ctx, id, ApplicationAction::Prepare)?;
    let event = app.attach(&tender, document.id, document.document_type.clone(), ctx.now)?;
    documents::insert(tx, document)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(document))?;
    Ok(())
}

pub fn documents(
    tx: &mut DbConnection,
    actor: &Actor,
    id: ApplicationId,
    page: &Page,
) -> Result<Paged<Document>, ApiError> {
    load(tx, actor, id, ApplicationAction::Read)?;
    Ok(documents::of(tx, DocumentOwner::Application(id), page)?)
}

pub fn document(
    tx: &mut DbConnection,
    actor: &Actor,
    id: ApplicationId,
    document: DocumentId,
) -> Result<Document, ApiError> {
    load(tx, actor, id, ApplicationAction::Read)?;
    Ok(documents::get(tx, DocumentOwner::Application(id), document)?)
}
