//! Calls: drafting, revision, publication, cancellation, amendments, conclusion into
//! accreditations, questions and answers, documents, coverage.

use ambito_domain::access::{self, TenderAction};
use ambito_domain::accreditation::{self, Accreditation};
use ambito_domain::application::ApplicationStatus;
use ambito_domain::coverage::{self, Coverage};
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::event::DomainEvent;
use ambito_domain::measure::Act;
use ambito_domain::tender::{AmendedTerms, Amendment, Issuance, Question, Tender, TenderKind};
use ambito_domain::{Actor, AmendmentId, DocumentId, OrganizationId, QuestionId, TenderId};
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, accreditation as accreditations, application as applications, catalogue,
    document as documents, outbox, tender as tenders,
};
use chrono::{DateTime, Utc};

use super::Context;
use crate::conditional::{IfMatch, precondition};
use crate::error::ApiError;

/// A call with the names of its issuing authorities, in order.
pub struct TenderRead {
    pub tender: Tender,
    pub authorities: Vec<(OrganizationId, String)>,
}

fn named(tx: &mut DbConnection, tender: Tender) -> Result<TenderRead, ApiError> {
    let mut names = tenders::organization_names(tx, &tender.authorities)?;
    names.sort_by_key(|(id, _)| tender.authorities.iter().position(|a| a == id));
    Ok(TenderRead { tender, authorities: names })
}

/// Loads a call the actor may `action`, or answers as the policy says.
fn load(tx: &mut DbConnection, actor: Option<&Actor>, id: TenderId, action: TenderAction) -> Result<Tender, ApiError> {
    let tender = tenders::load(tx, id)?;
    access::tender(actor, tender.facts(), action).require()?;
    Ok(tender)
}

/// Locks a call for a change by the actor. `If-Match` is checked once the change is known to
/// be allowed: a refused change answers its rule, not 412.
fn lock(tx: &mut DbConnection, ctx: &Context, id: TenderId) -> Result<Tender, ApiError> {
    let tender = tenders::lock(tx, id)?;
    access::tender(Some(&ctx.actor), tender.facts(), TenderAction::Manage).require()?;
    Ok(tender)
}

pub fn get(tx: &mut DbConnection, actor: Option<&Actor>, id: TenderId) -> Result<TenderRead, ApiError> {
    // The names come with the call's terms: two statements, both prepared once.
    let (tender, authorities) = tenders::load_named(tx, id)?;
    access::tender(actor, tender.facts(), TenderAction::Read).require()?;
    Ok(TenderRead { tender, authorities })
}

pub fn list(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    filter: &tenders::TenderFilter,
    page: &Page,
) -> Result<Paged<TenderRead>, ApiError> {
    let paged = tenders::list(tx, access::tender_scope(actor), filter, page)?;
    let ids: Vec<OrganizationId> = paged.items.iter().flat_map(|t| t.authorities.iter().copied()).collect();
    let names = tenders::organization_names(tx, &ids)?;
    Ok(paged.map(|tender| {
        let authorities = tender
            .authorities
            .iter()
            .map(|a| (*a, names.iter().find(|(id, _)| id == a).map(|(_, n)| n.clone()).unwrap_or_default()))
            .collect();
        TenderRead { tender, authorities }
    }))
}

/// Staff draft calls their own authority issues, alone or jointly.
fn issued_by_own(ctx: &Context, issuance: &Issuance) -> Result<(), ApiError> {
    if issuance.authorities.contains(&ctx.actor.organization) {
        Ok(())
    } else {
        Err(ApiError::invalid_field("authorities", "your own authority must be among the issuing authorities"))
    }
}

/// Authority staff draft a call their authority issues, alone or jointly.
pub fn draft(tx: &mut DbConnection, ctx: &Context, issuance: Issuance) -> Result<TenderRead, ApiError> {
    access::tender_drafting(&ctx.actor).require()?;
    issued_by_own(ctx, &issuance)?;
    let issuance = tenders::resolve(tx, issuance)?;
    let (tender, event) = Tender::draft(TenderId::new(), issuance, ctx.now)?;
    tenders::insert(tx, &tender)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&tender))?;
    named(tx, tender)
}

pub fn revise(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    if_match: IfMatch,
    issuance: Issuance,
) -> Result<TenderRead, ApiError> {
    let mut tender = lock(tx, ctx, id)?;
    issued_by_own(ctx, &issuance)?;
    let before = tender.clone();
    let event = tender.revise(tenders::resolve(tx, issuance)?, ctx.now)?;
    precondition(Some(if_match), before.version)?;
    tenders::save(tx, &tender, before.version, true)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &tender))?;
    named(tx, tender)
}

/// A transition of the call alone: publish, cancel.
pub fn transition(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    if_match: Option<IfMatch>,
    change: impl FnOnce(&mut Tender) -> Result<ambito_domain::tender::TenderEvent, ambito_domain::tender::TenderError>,
) -> Result<TenderRead, ApiError> {
    let mut tender = lock(tx, ctx, id)?;
    let before = tender.clone();
    let event = change(&mut tender)?;
    precondition(if_match, before.version)?;
    tenders::save(tx, &tender, before.version, false)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &tender))?;
    named(tx, tender)
}

/// After publication: records what changed and why; a material amendment asks every provider
/// whose submission stands to confirm it.
pub fn amend(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    if_match: Option<IfMatch>,
    reason: String,
    material: bool,
    changes: AmendedTerms,
) -> Result<Amendment, ApiError> {
    let mut tender = lock(tx, ctx, id)?;
    let before = tender.clone();
    let (amendment, event) =
        tender.amend(AmendmentId::new(), reason, material, changes, Some(ctx.actor.user), ctx.now)?;
    precondition(if_match, before.version)?;
    tenders::save(tx, &tender, before.version, false)?;
    tenders::insert_amendment(tx, &amendment)?;
    if amendment.material {
        applications::require_confirmation(tx, id, ApplicationStatus::RECONFIRM)?;
    }
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &tender))?;
    Ok(amendment)
}

pub fn amendments(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    page: &Page,
) -> Result<Paged<Amendment>, ApiError> {
    load(tx, actor, id, TenderAction::Read)?;
    Ok(tenders::amendments(tx, id, page)?)
}

/// A concluded call, the accreditations it made, and what no provider covers.
pub struct Conclusion {
    pub tender: TenderRead,
    pub accreditations: Vec<Accreditation>,
    pub coverage: Coverage,
}

/// After the deadline, once every application is decided: the admitted scope not on the list
/// yet becomes accreditations until the end of the list's validity, by the act that concludes
/// the round.
pub fn conclude(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    if_match: Option<IfMatch>,
    act: Option<Act>,
) -> Result<Conclusion, ApiError> {
    let mut tender = lock(tx, ctx, id)?;
    let before = tender.clone();
    let pending = applications::count_in(tx, id, ApplicationStatus::PENDING)?;
    let admitted = applications::admitted(tx, id)?;
    let existing = accreditations::accredited_items(tx, id)?;
    let granted = accreditation::grant(&tender, &admitted, &existing, act.clone(), ctx.now);
    let event = tender.conclude(pending, granted.len(), act, ctx.now)?;
    precondition(if_match, before.version)?;
    tenders::save(tx, &tender, before.version, false)?;
    accreditations::insert_all(tx, &granted)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &tender))?;
    let events: Vec<_> = granted.iter().map(Accreditation::granted).collect();
    let events: Vec<&dyn DomainEvent> = events.iter().map(|e| e as &dyn DomainEvent).collect();
    outbox::record_all(tx, &ctx.origin, ctx.now, &events)?;
    let coverage = gaps(tx, &tender)?;
    Ok(Conclusion { tender: named(tx, tender)?, accreditations: granted, coverage })
}

fn gaps(tx: &mut DbConnection, tender: &Tender) -> Result<Coverage, ApiError> {
    if tender.terms.kind != TenderKind::ProviderList {
        return Ok(Coverage::default());
    }
    let catalogue = catalogue::interventions(tx)?;
    let lines: Vec<_> = tender
        .terms
        .interventions
        .iter()
        .filter_map(|i| {
            catalogue.iter().find(|c| c.code == i.code).map(|c| (i.code.clone(), c.product_line_code.clone()))
        })
        .collect();
    let admitted: Vec<_> = applications::admitted(tx, tender.id)?.into_iter().map(|a| a.item).collect();
    Ok(coverage::gaps(&tender.terms.municipalities, &lines, &admitted))
}

/// Every municipality × product line, and × intervention, of a provider list that no admitted
/// application covers yet.
pub fn coverage(tx: &mut DbConnection, actor: Option<&Actor>, id: TenderId) -> Result<Coverage, ApiError> {
    let tender = load(tx, actor, id, TenderAction::Read)?;
    gaps(tx, &tender)
}

/// A concluded provider list opens a new round for submissions.
pub fn reopen(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    if_match: Option<IfMatch>,
    submission_deadline: DateTime<Utc>,
    clarification_deadline: DateTime<Utc>,
) -> Result<TenderRead, ApiError> {
    transition(tx, ctx, id, if_match, |t| t.reopen(submission_deadline, clarification_deadline, ctx.now))
}

/// A provider asks a question until the clarification deadline.
pub fn ask(tx: &mut DbConnection, ctx: &Context, id: TenderId, text: String) -> Result<Question, ApiError> {
    let tender = load(tx, Some(&ctx.actor), id, TenderAction::Ask)?;
    let (question, event) = Question::ask(QuestionId::new(), &tender, ctx.actor.organization, text, ctx.now)?;
    tenders::insert_question(tx, &question)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&question))?;
    Ok(question)
}

pub fn questions(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    page: &Page,
) -> Result<Paged<Question>, ApiError> {
    let tender = load(tx, actor, id, TenderAction::Read)?;
    Ok(tenders::questions(tx, id, access::question_scope(actor, tender.facts()), page)?)
}

pub fn question(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    question_id: QuestionId,
) -> Result<Question, ApiError> {
    let tender = tenders::load(tx, id)?;
    let question = tenders::load_question(tx, id, question_id)?;
    access::question(actor, tender.facts(), question.asked_by, question.answer.is_some()).require()?;
    Ok(question)
}

/// Staff of an issuing authority answer a question (or correct their answer); the answer is
/// published to everyone.
pub fn answer(
    tx: &mut DbConnection,
    ctx: &Context,
    id: TenderId,
    question_id: QuestionId,
    if_match: Option<IfMatch>,
    text: String,
) -> Result<Question, ApiError> {
    let tender = load(tx, Some(&ctx.actor), id, TenderAction::Manage)?;
    let mut question = tenders::lock_question(tx, id, question_id)?;
    let before = question.clone();
    let event = question.answer(&tender, text, Some(ctx.actor.user), ctx.now)?;
    precondition(if_match, before.version)?;
    tenders::save_question(tx, &question, before.version)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::changed(&before, &question))?;
    Ok(question)
}

/// Whether the actor may attach documents to a call now: checked before the upload is read.
pub fn may_attach(tx: &mut DbConnection, actor: &Actor, now: DateTime<Utc>, id: TenderId) -> Result<(), ApiError> {
    Ok(load(tx, Some(actor), id, TenderAction::Manage)?.accepts_documents(now)?)
}

/// Records a document whose bytes are stored.
pub fn attach(tx: &mut DbConnection, ctx: &Context, document: &Document) -> Result<(), ApiError> {
    let DocumentOwner::Tender(id) = document.owner else { return Err(ApiError::NotFound) };
    let tender = load(tx, Some(&ctx.actor), id, TenderAction::Manage)?;
    let event = tender.attach(document.id, document.document_type.clone(), ctx.now)?;
    documents::insert(tx, document)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(document))?;
    Ok(())
}

pub fn documents(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    page: &Page,
) -> Result<Paged<Document>, ApiError> {
    load(tx, actor, id, TenderAction::Read)?;
    Ok(documents::of(tx, DocumentOwner::Tender(id), page)?)
}

pub fn document(
    tx: &mut DbConnection,
    actor: Option<&Actor>,
    id: TenderId,
    document: DocumentId,
) -> Result<Document, ApiError> {
    load(tx, actor, id, TenderAction::Read)?;
    Ok(documents::get(tx, DocumentOwner::Tender(id), document)?)
}
