//! Applications: a provider's offer, its submission (protocol number, frozen snapshot and its
//! SHA-256), and the authority's examination.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::document::{self, Document, Owner};
use crate::schema::{
    application_declarations, application_scope, applications, integration_requests, protocol_counters, submissions,
};
use crate::tender::Tender;
use crate::{Actor, DbConnection, Page, Paged, StoreError, audit, from_db, stored, stored_id, to_db};
use ambito_domain::application::{ApplicationStatus, ExclusionReason, ProtocolNumber};
use ambito_domain::{FieldError, Invalid, IstatCode};

/// One intervention in one municipality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScopeItem {
    pub intervention: String,
    pub municipality: IstatCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub requirement_code: String,
    pub accepted: bool,
    pub note: Option<String>,
}

/// What the provider offers and declares.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub scope: Vec<ScopeItem>,
    pub declarations: Vec<Declaration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub reason: Option<ExclusionReason>,
    pub text: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntegrationRequest {
    pub id: Uuid,
    pub missing: String,
    pub due_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
    pub requested_by: Option<Uuid>,
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: Uuid,
    pub tender_id: Uuid,
    pub provider_id: Uuid,
    pub status: ApplicationStatus,
    /// A material amendment of the call came after this submission: the provider must confirm.
    pub needs_confirmation: bool,
    pub offered: Vec<ScopeItem>,
    pub admitted: Vec<ScopeItem>,
    pub declarations: Vec<Declaration>,
    pub protocol_number: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub snapshot_sha256: Option<String>,
    pub decision: Option<Decision>,
    pub integration_requests: Vec<IntegrationRequest>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The receipt of a submission or of an integration answer.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub application_id: Uuid,
    pub kind: String,
    pub protocol_number: String,
    pub authority_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub sha256: String,
}

#[derive(Queryable)]
struct Row {
    id: String,
    tender_id: String,
    provider_id: String,
    status: String,
    needs_confirmation: bool,
    protocol_number: Option<String>,
    submitted_at: Option<NaiveDateTime>,
    snapshot_sha256: Option<String>,
    decision_reason: Option<String>,
    decision_text: Option<String>,
    decided_at: Option<NaiveDateTime>,
    decided_by: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Checks an offer against the call's terms, field by field.
pub fn check_offer(tender: &Tender, offer: &Offer) -> Result<(), Invalid> {
    let mut errors = Vec::new();
    if offer.scope.is_empty() {
        errors.push(FieldError::new("scope", "offer at least one intervention in one municipality"));
    }
    for (i, item) in offer.scope.iter().enumerate() {
        if !tender.terms.interventions.iter().any(|t| t.code == item.intervention) {
            errors.push(FieldError::new(format!("scope.{i}.intervention"), "not an intervention of this call"));
        }
        if !tender.terms.municipalities.contains(&item.municipality) {
            errors.push(FieldError::new(format!("scope.{i}.municipality"), "not a municipality of this call"));
        }
    }
    for (i, d) in offer.declarations.iter().enumerate() {
        let declared = tender.terms.requirements.iter().find(|r| r.code == d.requirement_code);
        match declared {
            None => errors
                .push(FieldError::new(format!("declarations.{i}.requirement_code"), "not a requirement of this call")),
            Some(r) if r.document_type.is_some() => errors.push(FieldError::new(
                format!("declarations.{i}.requirement_code"),
                "this requirement is met with a document, not a declaration",
            )),
            Some(_) => {}
        }
        if d.note.as_deref().is_some_and(|n| n.chars().count() > 1000) {
            errors.push(FieldError::new(format!("declarations.{i}.note"), "at most 1,000 characters"));
        }
    }
    let mut codes: Vec<&str> = offer.declarations.iter().map(|d| d.requirement_code.as_str()).collect();
    codes.sort_unstable();
    if codes.windows(2).any(|w| w[0] == w[1]) {
        errors.push(FieldError::new("declarations", "each requirement once"));
    }
    if errors.is_empty() { Ok(()) } else { Err(Invalid(errors)) }
}

/// What a submission still lacks: declarations not made, documents not attached.
pub fn check_complete(tender: &Tender, app: &Application, docs: &[Document]) -> Result<(), Invalid> {
    let errors: Vec<FieldError> = tender
        .terms
        .requirements
        .iter()
        .filter_map(|r| match &r.document_type {
            Some(kind) if !docs.iter().any(|d| d.document_type == *kind) => Some(FieldError::new(
                format!("requirements.{}", r.code),
                format!("attach a document of type {kind}: {}", r.description),
            )),
            None if !app.declarations.iter().any(|d| d.requirement_code == r.code && d.accepted) => {
                Some(FieldError::new(format!("requirements.{}", r.code), format!("declare: {}", r.description)))
            }
            _ => None,
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(Invalid(errors)) }
}

fn write_offer(conn: &mut DbConnection, id: &str, offer: &Offer) -> Result<(), StoreError> {
    diesel::delete(application_scope::table.filter(application_scope::application_id.eq(id))).execute(conn)?;
    diesel::delete(application_declarations::table.filter(application_declarations::application_id.eq(id)))
        .execute(conn)?;
    let mut scope = offer.scope.clone();
    scope.sort();
    scope.dedup();
    let rows: Vec<_> = scope
        .iter()
        .map(|s| {
            (
                application_scope::application_id.eq(id),
                application_scope::intervention_code.eq(&s.intervention),
                application_scope::istat_code.eq(s.municipality.as_str()),
                application_scope::admitted.eq(false),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(application_scope::table).values(chunk).execute(c))?;
    }
    let declarations: Vec<_> = offer
        .declarations
        .iter()
        .map(|d| {
            (
                application_declarations::application_id.eq(id),
                application_declarations::requirement_code.eq(&d.requirement_code),
                application_declarations::accepted.eq(d.accepted),
                application_declarations::note.eq(&d.note),
            )
        })
        .collect();
    if !declarations.is_empty() {
        crate::on_backend!(conn, |c| diesel::insert_into(application_declarations::table)
            .values(&declarations)
            .execute(c))?;
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &Tender,
    provider_id: Uuid,
    offer: &Offer,
) -> Result<Application, StoreError> {
    check_offer(tender, offer)?;
    let id = Uuid::now_v7();
    let now = to_db(crate::now());
    diesel::insert_into(applications::table)
        .values((
            applications::id.eq(id.to_string()),
            applications::tender_id.eq(tender.id.to_string()),
            applications::provider_id.eq(provider_id.to_string()),
            applications::status.eq(ApplicationStatus::Draft.as_str()),
            applications::needs_confirmation.eq(false),
            applications::version.eq(1),
            applications::created_at.eq(now),
            applications::updated_at.eq(now),
        ))
        .execute(conn)?;
    write_offer(conn, &id.to_string(), offer)?;
    let app = get(conn, id)?;
    audit::record(conn, actor, "application.created", "application", &id.to_string(), None::<&()>, Some(&app))?;
    Ok(app)
}

pub fn update_offer(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    tender: &Tender,
    offer: &Offer,
) -> Result<Application, StoreError> {
    let before = get(conn, id)?;
    check_offer(tender, offer)?;
    bump(conn, id, expected_version)?;
    write_offer(conn, &id.to_string(), offer)?;
    let after = get(conn, id)?;
    audit::record(conn, actor, "application.updated", "application", &id.to_string(), Some(&before), Some(&after))?;
    Ok(after)
}

/// Moves the version on if it is still `expected`; a stale version is `Stale`.
fn bump(conn: &mut DbConnection, id: Uuid, expected: i64) -> Result<(), StoreError> {
    let changed = diesel::update(applications::table)
        .filter(applications::id.eq(id.to_string()))
        .filter(applications::version.eq(expected))
        .set((applications::version.eq(expected + 1), applications::updated_at.eq(to_db(crate::now()))))
        .execute(conn)?;
    if changed == 0 { Err(StoreError::Stale) } else { Ok(()) }
}

fn set_status(conn: &mut DbConnection, id: Uuid, status: ApplicationStatus) -> Result<(), StoreError> {
    diesel::update(applications::table.find(id.to_string()))
        .set(applications::status.eq(status.as_str()))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> Result<Application, StoreError> {
    let row: Row = applications::table.find(id.to_string()).first(conn)?;
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

/// application id, id, missing, due, requested at, requested by, answered at
type IntegrationRow = (String, String, String, NaiveDateTime, NaiveDateTime, Option<String>, Option<NaiveDateTime>);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Application>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut scope: Vec<(String, String, String, bool)> = Vec::new();
    let mut declarations: Vec<(String, String, bool, Option<String>)> = Vec::new();
    let mut integrations: Vec<IntegrationRow> = Vec::new();
    // Bounded IN lists: SQLite caps bound parameters per statement.
    for chunk in ids.chunks(500) {
        scope.extend(
            application_scope::table
                .filter(application_scope::application_id.eq_any(chunk))
                .order((application_scope::intervention_code, application_scope::istat_code))
                .load::<(String, String, String, bool)>(conn)?,
        );
        declarations.extend(
            application_declarations::table
                .filter(application_declarations::application_id.eq_any(chunk))
                .order(application_declarations::requirement_code)
                .load::<(String, String, bool, Option<String>)>(conn)?,
        );
        integrations.extend(
            integration_requests::table
                .filter(integration_requests::application_id.eq_any(chunk))
                .order(integration_requests::id)
                .select((
                    integration_requests::application_id,
                    integration_requests::id,
                    integration_requests::missing,
                    integration_requests::due_at,
                    integration_requests::requested_at,
                    integration_requests::requested_by,
                    integration_requests::answered_at,
                ))
                .load(conn)?,
        );
    }
    rows.into_iter()
        .map(|r| {
            let items = |admitted_only: bool| -> Result<Vec<ScopeItem>, StoreError> {
                scope
                    .iter()
                    .filter(|(a, _, _, admitted)| *a == r.id && (!admitted_only || *admitted))
                    .map(|(_, i, m, _)| {
                        Ok(ScopeItem {
                            intervention: i.clone(),
                            municipality: stored("istat code", IstatCode::parse(m))?,
                        })
                    })
                    .collect()
            };
            let decision = match r.decided_at {
                Some(at) => Some(Decision {
                    reason: r.decision_reason.as_deref().map(|s| stored("exclusion reason", s.parse())).transpose()?,
                    text: r.decision_text.clone(),
                    decided_at: from_db(at),
                    decided_by: r.decided_by.as_deref().map(|d| stored_id("decided by", d)).transpose()?,
                }),
                None => None,
            };
            Ok(Application {
                id: stored_id("application id", &r.id)?,
                tender_id: stored_id("tender id", &r.tender_id)?,
                provider_id: stored_id("provider id", &r.provider_id)?,
                status: stored("application status", r.status.parse())?,
                needs_confirmation: r.needs_confirmation,
                offered: items(false)?,
                admitted: items(true)?,
                declarations: declarations
                    .iter()
                    .filter(|(a, ..)| *a == r.id)
                    .map(|(_, code, accepted, note)| Declaration {
                        requirement_code: code.clone(),
                        accepted: *accepted,
                        note: note.clone(),
                    })
                    .collect(),
                protocol_number: r.protocol_number,
                submitted_at: r.submitted_at.map(from_db),
                snapshot_sha256: r.snapshot_sha256,
                decision,
                integration_requests: integrations
                    .iter()
                    .filter(|(a, ..)| *a == r.id)
                    .map(|(_, id, missing, due, at, by, answered)| {
                        Ok(IntegrationRequest {
                            id: stored_id("integration id", id)?,
                            missing: missing.clone(),
                            due_at: from_db(*due),
                            requested_at: from_db(*at),
                            requested_by: by.as_deref().map(|b| stored_id("requested by", b)).transpose()?,
                            answered_at: answered.map(from_db),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                version: r.version,
                created_at: from_db(r.created_at),
                updated_at: from_db(r.updated_at),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub tender_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub status: Option<ApplicationStatus>,
    /// Leaves drafts out.
    pub received_only: bool,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &ApplicationFilter,
    page: &Page,
) -> Result<Paged<Application>, StoreError> {
    let mut query = applications::table.into_boxed();
    if let Some(t) = filter.tender_id {
        query = query.filter(applications::tender_id.eq(t.to_string()));
    }
    if let Some(p) = filter.provider_id {
        query = query.filter(applications::provider_id.eq(p.to_string()));
    }
    if let Some(s) = filter.status {
        query = query.filter(applications::status.eq(s.as_str()));
    }
    if filter.received_only {
        query = query.filter(applications::status.ne(ApplicationStatus::Draft.as_str()));
    }
    if let Some(after) = &page.after {
        query = query.filter(applications::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(applications::id.asc()).limit(page.fetch()).load(conn)?;
    let list = assemble(conn, rows)?;
    Ok(page.finish(list, |a| a.id.to_string()))
}

/// The next protocol number of an authority for a year. Gap-free: it is taken in the caller's
/// transaction, so a rolled-back submission gives its number back; the row lock (PostgreSQL) or
/// the write lock (SQLite) makes concurrent submissions wait their turn.
fn next_protocol(conn: &mut DbConnection, authority: Uuid, year: i32) -> Result<ProtocolNumber, StoreError> {
    let key = authority.to_string();
    crate::on_backend!(conn, |c| diesel::insert_into(protocol_counters::table)
        .values((
            protocol_counters::authority_id.eq(&key),
            protocol_counters::year.eq(year),
            protocol_counters::last_number.eq(0i64),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    let target = protocol_counters::table
        .filter(protocol_counters::authority_id.eq(&key))
        .filter(protocol_counters::year.eq(year));
    diesel::update(target).set(protocol_counters::last_number.eq(protocol_counters::last_number + 1)).execute(conn)?;
    let sequence: i64 = target.select(protocol_counters::last_number).first(conn)?;
    Ok(ProtocolNumber { year, sequence })
}

/// Freezes what was received: the offer, the declarations and the documents' hashes.
fn snapshot(app: &Application, docs: &[Document], kind: &str, protocol: &str, now: DateTime<Utc>) -> (String, String) {
    let body = serde_json::json!({
        "application_id": app.id,
        "tender_id": app.tender_id,
        "provider_id": app.provider_id,
        "kind": kind,
        "protocol_number": protocol,
        "received_at": now,
        "offered": app.offered,
        "declarations": app.declarations,
        "documents": docs.iter().map(|d| serde_json::json!({
            "id": d.id, "document_type": d.document_type, "filename": d.filename,
            "size_bytes": d.size_bytes, "sha256": d.sha256,
        })).collect::<Vec<_>>(),
    });
    let text = body.to_string();
    let digest = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    (text, digest)
}

fn receive(
    conn: &mut DbConnection,
    app: &Application,
    tender: &Tender,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<Receipt, StoreError> {
    let docs = document::of(conn, Owner::Application, app.id)?;
    check_complete(tender, app, &docs)?;
    let authority = tender.lead_authority();
    let year = ambito_domain::rome::rome_date(now).year();
    let protocol = next_protocol(conn, authority, year)?;
    let number = protocol.to_string();
    let (text, sha256) = snapshot(app, &docs, kind, &number, now);
    diesel::insert_into(submissions::table)
        .values((
            submissions::id.eq(Uuid::now_v7().to_string()),
            submissions::application_id.eq(app.id.to_string()),
            submissions::kind.eq(kind),
            submissions::authority_id.eq(authority.to_string()),
            submissions::protocol_year.eq(protocol.year),
            submissions::protocol_sequence.eq(protocol.sequence),
            submissions::protocol_number.eq(&number),
            submissions::received_at.eq(to_db(now)),
            submissions::snapshot_json.eq(&text),
            submissions::sha256.eq(&sha256),
        ))
        .execute(conn)?;
    diesel::update(applications::table.find(app.id.to_string()))
        .set((
            applications::protocol_number.eq(&number),
            applications::submitted_at.eq(to_db(now)),
            applications::snapshot_sha256.eq(&sha256),
            applications::needs_confirmation.eq(false),
        ))
        .execute(conn)?;
    Ok(Receipt {
        application_id: app.id,
        kind: kind.to_owned(),
        protocol_number: number,
        authority_id: authority,
        received_at: now,
        sha256,
    })
}

/// Submits a draft: checks completeness, numbers it, freezes it. A provider's earlier live
/// submission to the same call is replaced, and stays on record.
pub fn submit(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    tender: &Tender,
    now: DateTime<Utc>,
) -> Result<(Application, Receipt), StoreError> {
    let before = get(conn, id)?;
    bump(conn, id, expected_version)?;
    let receipt = receive(conn, &before, tender, "submission", now)?;
    let earlier: Vec<String> = applications::table
        .filter(applications::tender_id.eq(tender.id.to_string()))
        .filter(applications::provider_id.eq(before.provider_id.to_string()))
        .filter(applications::status.eq(ApplicationStatus::Submitted.as_str()))
        .filter(applications::id.ne(id.to_string()))
        .select(applications::id)
        .load(conn)?;
    for other in earlier {
        let other = stored_id("application id", &other)?;
        set_status(conn, other, ApplicationStatus::Replaced)?;
        audit::record(conn, actor, "application.replaced", "application", &other.to_string(), None::<&()>, Some(&id))?;
    }
    set_status(conn, id, ApplicationStatus::Submitted)?;
    let after = get(conn, id)?;
    audit::record(conn, actor, "application.submitted", "application", &id.to_string(), Some(&before), Some(&after))?;
    Ok((after, receipt))
}

/// The provider answers an integration request: the application is received again, with a
/// protocol number of its own, and the examination continues.
pub fn answer_integration(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    tender: &Tender,
    now: DateTime<Utc>,
) -> Result<(Application, Receipt), StoreError> {
    let before = get(conn, id)?;
    bump(conn, id, expected_version)?;
    let receipt = receive(conn, &before, tender, "integration", now)?;
    diesel::update(integration_requests::table)
        .filter(integration_requests::application_id.eq(id.to_string()))
        .filter(integration_requests::answered_at.is_null())
        .set(integration_requests::answered_at.eq(to_db(now)))
        .execute(conn)?;
    set_status(conn, id, ApplicationStatus::Submitted)?;
    let after = get(conn, id)?;
    audit::record(
        conn,
        actor,
        "application.integration_answered",
        "application",
        &id.to_string(),
        Some(&before),
        Some(&after),
    )?;
    Ok((after, receipt))
}

/// A decision of the provider (withdraw, confirm) or of the authority (admit, exclude, ask for
/// integration).
pub enum Change {
    Withdraw,
    Confirm,
    Admit { scope: Option<Vec<ScopeItem>> },
    Exclude { reason: ExclusionReason, text: String },
    RequestIntegration { missing: String, due_at: DateTime<Utc> },
}

pub fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    change: Change,
    now: DateTime<Utc>,
) -> Result<Application, StoreError> {
    let before = get(conn, id)?;
    if let Change::Admit { scope: Some(scope) } = &change {
        check_admitted(&before, scope)?;
    }
    bump(conn, id, expected_version)?;
    let decided = |conn: &mut DbConnection, reason: Option<&str>, text: Option<&str>| -> Result<(), StoreError> {
        diesel::update(applications::table.find(id.to_string()))
            .set((
                applications::decision_reason.eq(reason),
                applications::decision_text.eq(text),
                applications::decided_at.eq(to_db(now)),
                applications::decided_by.eq(actor.user_id.map(|u| u.to_string())),
            ))
            .execute(conn)?;
        Ok(())
    };
    let action = match change {
        Change::Withdraw => {
            set_status(conn, id, ApplicationStatus::Withdrawn)?;
            "application.withdrawn"
        }
        Change::Confirm => {
            diesel::update(applications::table.find(id.to_string()))
                .set(applications::needs_confirmation.eq(false))
                .execute(conn)?;
            "application.confirmed"
        }
        Change::Admit { scope } => {
            let admitted = scope.unwrap_or_else(|| before.offered.clone());
            for s in &admitted {
                diesel::update(application_scope::table)
                    .filter(application_scope::application_id.eq(id.to_string()))
                    .filter(application_scope::intervention_code.eq(&s.intervention))
                    .filter(application_scope::istat_code.eq(s.municipality.as_str()))
                    .set(application_scope::admitted.eq(true))
                    .execute(conn)?;
            }
            set_status(conn, id, ApplicationStatus::Admitted)?;
            decided(conn, None, None)?;
            "application.admitted"
        }
        Change::Exclude { reason, text } => {
            set_status(conn, id, ApplicationStatus::Excluded)?;
            decided(conn, Some(reason.as_str()), Some(&text))?;
            "application.excluded"
        }
        Change::RequestIntegration { missing, due_at } => {
            diesel::insert_into(integration_requests::table)
                .values((
                    integration_requests::id.eq(Uuid::now_v7().to_string()),
                    integration_requests::application_id.eq(id.to_string()),
                    integration_requests::missing.eq(&missing),
                    integration_requests::due_at.eq(to_db(due_at)),
                    integration_requests::requested_at.eq(to_db(now)),
                    integration_requests::requested_by.eq(actor.user_id.map(|u| u.to_string())),
                ))
                .execute(conn)?;
            set_status(conn, id, ApplicationStatus::IntegrationRequested)?;
            "application.integration_requested"
        }
    };
    let after = get(conn, id)?;
    audit::record(conn, actor, action, "application", &id.to_string(), Some(&before), Some(&after))?;
    Ok(after)
}

/// An admitted scope must be part of what was offered, and not empty.
fn check_admitted(app: &Application, admitted: &[ScopeItem]) -> Result<(), Invalid> {
    if admitted.is_empty() {
        return Err(Invalid::one("scope", "admit at least one offered item, or exclude the application"));
    }
    let stray: Vec<FieldError> = admitted
        .iter()
        .enumerate()
        .filter(|(_, s)| !app.offered.contains(s))
        .map(|(i, _)| FieldError::new(format!("scope.{i}"), "not offered by this application"))
        .collect();
    if stray.is_empty() { Ok(()) } else { Err(Invalid(stray)) }
}

/// After a material amendment: every submitted application of the call awaits its provider's
/// confirmation.
pub fn require_confirmation(conn: &mut DbConnection, tender_id: Uuid) -> Result<usize, StoreError> {
    Ok(diesel::update(applications::table)
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::status.eq(ApplicationStatus::Submitted.as_str()))
        .set(applications::needs_confirmation.eq(true))
        .execute(conn)?)
}

/// Every receipt of an application, oldest first.
pub fn receipts(conn: &mut DbConnection, id: Uuid) -> Result<Vec<Receipt>, StoreError> {
    let rows: Vec<(String, String, String, NaiveDateTime, String)> = submissions::table
        .filter(submissions::application_id.eq(id.to_string()))
        .order(submissions::id.asc())
        .select((
            submissions::kind,
            submissions::protocol_number,
            submissions::authority_id,
            submissions::received_at,
            submissions::sha256,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(kind, protocol_number, authority, at, sha256)| {
            Ok(Receipt {
                application_id: id,
                kind,
                protocol_number,
                authority_id: stored_id("authority", &authority)?,
                received_at: from_db(at),
                sha256,
            })
        })
        .collect()
}

/// Statuses of every application of a call (to check that none is pending before concluding).
pub fn statuses(conn: &mut DbConnection, tender_id: Uuid) -> Result<Vec<ApplicationStatus>, StoreError> {
    let rows: Vec<String> = applications::table
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .select(applications::status)
        .load(conn)?;
    rows.iter().map(|s| stored("application status", s.parse())).collect()
}

/// The provider that owns an application (for access checks).
pub fn owner(conn: &mut DbConnection, id: Uuid) -> Result<(Uuid, Uuid), StoreError> {
    let (tender, provider): (String, String) = applications::table
        .find(id.to_string())
        .select((applications::tender_id, applications::provider_id))
        .first(conn)?;
    Ok((stored_id("tender id", &tender)?, stored_id("provider id", &provider)?))
}
