//! Providers' requirements: the certificates a provider records (DURC, registrations) and the
//! confirmations by which authority staff bring a lapsed provider's accreditations back.

use ambito_domain::access::{self, RecordAction};
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::measure::Act;
use ambito_domain::requirement::{Certificate, CertificateKind, Confirmation, Requirements};
use ambito_domain::{Actor, CertificateId, ConfirmationId, OrganizationId, OrganizationKind};
use ambito_persistence::{
    DbConnection, Page, Paged, Snapshots, document as documents, organization, outbox, requirement,
};
use chrono::NaiveDate;

use super::Context;
use crate::error::ApiError;

/// The provider a path names, as the actor may see it.
fn provider(tx: &mut DbConnection, actor: &Actor, id: OrganizationId, action: RecordAction) -> Result<(), ApiError> {
    access::certificates(actor, id, action).require()?;
    match organization::get(tx, id) {
        Ok(org) if org.kind == OrganizationKind::Provider => Ok(()),
        Ok(_) | Err(ambito_persistence::StoreError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// What a provider states of a certificate.
#[derive(Debug, Clone)]
pub struct CertificateInput {
    pub kind: CertificateKind,
    pub reference: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

pub fn record(
    tx: &mut DbConnection,
    ctx: &Context,
    id: OrganizationId,
    input: CertificateInput,
) -> Result<Certificate, ApiError> {
    provider(tx, &ctx.actor, id, RecordAction::Administer)?;
    let (certificate, event) = Certificate::record(
        CertificateId::new(),
        id,
        input.kind,
        input.reference,
        input.valid_from,
        input.valid_until,
        Some(ctx.actor.user),
        ctx.now,
    )?;
    requirement::insert_certificate(tx, &certificate)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&certificate))?;
    Ok(certificate)
}

pub fn list(
    tx: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    page: &Page,
) -> Result<Paged<Certificate>, ApiError> {
    provider(tx, actor, id, RecordAction::Read)?;
    Ok(requirement::certificates(tx, id, page)?)
}

pub fn get(
    tx: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    certificate: CertificateId,
) -> Result<Certificate, ApiError> {
    provider(tx, actor, id, RecordAction::Read)?;
    Ok(requirement::certificate(tx, id, certificate)?)
}

/// Whether the actor may attach the certificate's document: checked before the upload is read.
pub fn may_attach(
    tx: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    certificate: CertificateId,
) -> Result<(), ApiError> {
    provider(tx, actor, id, RecordAction::Administer)?;
    requirement::certificate(tx, id, certificate).map(drop).map_err(Into::into)
}

/// Records the certificate's document (its bytes are stored) and links it.
pub fn attach(tx: &mut DbConnection, ctx: &Context, id: OrganizationId, document: &Document) -> Result<(), ApiError> {
    let DocumentOwner::Certificate(certificate) = document.owner else { return Err(ApiError::NotFound) };
    may_attach(tx, &ctx.actor, id, certificate)?;
    documents::insert(tx, document)?;
    requirement::set_document(tx, certificate, document.id)?;
    Ok(())
}

pub fn document(
    tx: &mut DbConnection,
    actor: &Actor,
    id: OrganizationId,
    certificate: CertificateId,
) -> Result<Document, ApiError> {
    let found = get(tx, actor, id, certificate)?;
    let document = found.document_id.ok_or(ApiError::NotFound)?;
    Ok(documents::get(tx, DocumentOwner::Certificate(certificate), document)?)
}

/// Staff of an authority confirm that a provider meets its requirements again: its lapsed
/// accreditations on that authority's calls come back.
pub fn confirm(
    tx: &mut DbConnection,
    ctx: &Context,
    id: OrganizationId,
    act: Option<Act>,
    note: Option<String>,
) -> Result<Confirmation, ApiError> {
    access::requirement_confirmation(&ctx.actor, id).require()?;
    provider(tx, &ctx.actor, id, RecordAction::Read)?;
    let (certificates, confirmations) = requirement::of_providers(tx, &[id])?;
    let requirements = Requirements { certificates: &certificates, confirmations: &confirmations };
    let (confirmation, event) = Confirmation::confirm(
        ConfirmationId::new(),
        requirements,
        id,
        ctx.actor.organization,
        act,
        note,
        Some(ctx.actor.user),
        ctx.now,
    )?;
    requirement::insert_confirmation(tx, &confirmation)?;
    outbox::record(tx, &ctx.origin, ctx.now, &event, Snapshots::created(&confirmation))?;
    Ok(confirmation)
}
