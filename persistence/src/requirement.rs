//! Providers' certificates and staff's confirmations of their requirements.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{provider_certificates, requirement_confirmations};
use crate::stored_date;
use crate::{DbConnection, Page, Paged, StoreError, from_db, measure, stored, to_db};
use ambito_domain::requirement::{Certificate, Confirmation};
use ambito_domain::{CertificateId, DocumentId, OrganizationId};

pub fn insert_certificate(conn: &mut DbConnection, c: &Certificate) -> Result<(), StoreError> {
    diesel::insert_into(provider_certificates::table)
        .values((
            provider_certificates::id.eq(c.id.to_string()),
            provider_certificates::provider_id.eq(c.provider_id.to_string()),
            provider_certificates::kind.eq(c.kind.as_str()),
            provider_certificates::reference.eq(&c.reference),
            provider_certificates::valid_from.eq(c.valid_from.to_string()),
            provider_certificates::valid_until.eq(c.valid_until.to_string()),
            provider_certificates::document_id.eq(c.document_id.map(|d| d.to_string())),
            provider_certificates::recorded_at.eq(to_db(c.recorded_at)),
            provider_certificates::recorded_by.eq(c.recorded_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_document(conn: &mut DbConnection, id: CertificateId, document: DocumentId) -> Result<(), StoreError> {
    diesel::update(provider_certificates::table.filter(provider_certificates::id.eq(id.to_string())))
        .set(provider_certificates::document_id.eq(document.to_string()))
        .execute(conn)?;
    Ok(())
}

/// id, provider, authority, act number, act date, note, at, by
type ConfirmationRow =
    (String, String, String, Option<String>, Option<String>, Option<String>, NaiveDateTime, Option<String>);

type CertificateRow =
    (String, String, String, Option<String>, String, String, Option<String>, NaiveDateTime, Option<String>);

fn to_certificate(row: CertificateRow) -> Result<Certificate, StoreError> {
    let (id, provider, kind, reference, from, until, document, at, by) = row;
    Ok(Certificate {
        id: stored("certificate id", id.parse())?,
        provider_id: stored("certificate provider", provider.parse())?,
        kind: stored("certificate kind", kind.parse())?,
        reference,
        valid_from: stored_date("valid_from", &from)?,
        valid_until: stored_date("valid_until", &until)?,
        document_id: document.as_deref().map(|d| stored("certificate document", d.parse())).transpose()?,
        recorded_at: from_db(at),
        recorded_by: by.as_deref().map(|b| stored("recorded by", b.parse())).transpose()?,
    })
}

fn certificate_columns() -> (
    provider_certificates::id,
    provider_certificates::provider_id,
    provider_certificates::kind,
    provider_certificates::reference,
    provider_certificates::valid_from,
    provider_certificates::valid_until,
    provider_certificates::document_id,
    provider_certificates::recorded_at,
    provider_certificates::recorded_by,
) {
    (
        provider_certificates::id,
        provider_certificates::provider_id,
        provider_certificates::kind,
        provider_certificates::reference,
        provider_certificates::valid_from,
        provider_certificates::valid_until,
        provider_certificates::document_id,
        provider_certificates::recorded_at,
        provider_certificates::recorded_by,
    )
}

pub fn certificate(
    conn: &mut DbConnection,
    provider: OrganizationId,
    id: CertificateId,
) -> Result<Certificate, StoreError> {
    to_certificate(
        provider_certificates::table
            .filter(provider_certificates::id.eq(id.to_string()))
            .filter(provider_certificates::provider_id.eq(provider.to_string()))
            .select(certificate_columns())
            .get_result(conn)?,
    )
}

pub fn certificates(
    conn: &mut DbConnection,
    provider: OrganizationId,
    page: &Page,
) -> Result<Paged<Certificate>, StoreError> {
    let mut query =
        provider_certificates::table.filter(provider_certificates::provider_id.eq(provider.to_string())).into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(provider_certificates::id.gt(after.clone()));
    }
    let rows: Vec<CertificateRow> =
        query.order(provider_certificates::id.asc()).limit(page.fetch()).select(certificate_columns()).load(conn)?;
    let list = rows.into_iter().map(to_certificate).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |c| c.id.to_string()))
}

pub fn insert_confirmation(conn: &mut DbConnection, c: &Confirmation) -> Result<(), StoreError> {
    diesel::insert_into(requirement_confirmations::table)
        .values((
            requirement_confirmations::id.eq(c.id.to_string()),
            requirement_confirmations::provider_id.eq(c.provider_id.to_string()),
            requirement_confirmations::authority_id.eq(c.authority_id.to_string()),
            requirement_confirmations::act_number.eq(c.act.as_ref().map(|a| a.number.as_str())),
            requirement_confirmations::act_date.eq(c.act.as_ref().map(|a| a.date.to_string())),
            requirement_confirmations::note.eq(&c.note),
            requirement_confirmations::confirmed_at.eq(to_db(c.confirmed_at)),
            requirement_confirmations::confirmed_by.eq(c.confirmed_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every certificate and confirmation of these providers: what their accreditations' lapses
/// are derived from.
pub fn of_providers(
    conn: &mut DbConnection,
    providers: &[OrganizationId],
) -> Result<(Vec<Certificate>, Vec<Confirmation>), StoreError> {
    let ids: Vec<String> = providers.iter().map(ToString::to_string).collect();
    let mut certificates = Vec::new();
    let mut confirmations = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<CertificateRow> = provider_certificates::table
            .filter(provider_certificates::provider_id.eq_any(chunk))
            .select(certificate_columns())
            .load(conn)?;
        certificates.extend(rows.into_iter().map(to_certificate).collect::<Result<Vec<_>, _>>()?);
        let rows: Vec<ConfirmationRow> = requirement_confirmations::table
            .filter(requirement_confirmations::provider_id.eq_any(chunk))
            .select((
                requirement_confirmations::id,
                requirement_confirmations::provider_id,
                requirement_confirmations::authority_id,
                requirement_confirmations::act_number,
                requirement_confirmations::act_date,
                requirement_confirmations::note,
                requirement_confirmations::confirmed_at,
                requirement_confirmations::confirmed_by,
            ))
            .load(conn)?;
        for (id, provider, authority, number, date, note, at, by) in rows {
            confirmations.push(Confirmation {
                id: stored("confirmation id", id.parse())?,
                provider_id: stored("confirmation provider", provider.parse())?,
                authority_id: stored("confirmation authority", authority.parse())?,
                act: measure::act(number, date)?,
                note,
                confirmed_at: from_db(at),
                confirmed_by: by.as_deref().map(|b| stored("confirmed by", b.parse())).transpose()?,
            });
        }
    }
    Ok((certificates, confirmations))
}
