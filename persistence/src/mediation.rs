//! Mediators and mediation requests: the request's row and details, its offers, the
//! confirmation, and how it ended.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{
    mediation_confirmations, mediation_endings, mediation_offers, mediation_request_details, mediation_requests,
    mediators,
};
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, to_db};
use ambito_domain::access::PeopleScope;
use ambito_domain::mediation::{
    Ask, Confirmation, Ending, Language, MediationChange, MediationEvent, MediationRequest, Mediator, Offer, Outcome,
};
use ambito_domain::{IstatCode, MediationRequestId, MediatorId, Name, OrganizationId, UserId};

fn user(u: Option<UserId>) -> Option<String> {
    u.map(|u| u.to_string())
}

fn stored_user(what: &str, u: Option<String>) -> Result<Option<UserId>, StoreError> {
    u.as_deref().map(|u| stored(what, u.parse())).transpose()
}

// --- mediators --------------------------------------------------------------------------------

pub fn insert_mediator(conn: &mut DbConnection, m: &Mediator) -> Result<(), StoreError> {
    let languages: Vec<&str> = m.languages.iter().map(Language::as_str).collect();
    diesel::insert_into(mediators::table)
        .values((
            mediators::id.eq(m.id.to_string()),
            mediators::provider_id.eq(m.provider_id.to_string()),
            mediators::name.eq(m.name.as_str()),
            mediators::languages.eq(languages.join(",")),
            mediators::active.eq(m.active),
            mediators::created_at.eq(to_db(m.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_active(conn: &mut DbConnection, m: &Mediator) -> Result<(), StoreError> {
    diesel::update(mediators::table.filter(mediators::id.eq(m.id.to_string())))
        .set(mediators::active.eq(m.active))
        .execute(conn)?;
    Ok(())
}

type MediatorRow = (String, String, String, String, bool, NaiveDateTime);

fn to_mediator(row: MediatorRow) -> Result<Mediator, StoreError> {
    let (id, provider, name, languages, active, at) = row;
    Ok(Mediator {
        id: stored("mediator id", id.parse())?,
        provider_id: stored("mediator provider", provider.parse())?,
        name: stored("mediator name", Name::parse(&name))?,
        languages: languages.split(',').map(|l| stored("language", Language::parse(l))).collect::<Result<_, _>>()?,
        active,
        created_at: from_db(at),
    })
}

pub fn mediator(conn: &mut DbConnection, id: MediatorId) -> Result<Mediator, StoreError> {
    to_mediator(mediators::table.filter(mediators::id.eq(id.to_string())).get_result(conn)?)
}

pub fn mediators_of(
    conn: &mut DbConnection,
    provider: OrganizationId,
    page: &Page,
) -> Result<Paged<Mediator>, StoreError> {
    let mut query = mediators::table.filter(mediators::provider_id.eq(provider.to_string())).into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(mediators::id.gt(after.clone()));
    }
    let rows: Vec<MediatorRow> = query.order(mediators::id.asc()).limit(page.fetch()).load(conn)?;
    let list = rows.into_iter().map(to_mediator).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |m| m.id.to_string()))
}

// --- requests ---------------------------------------------------------------------------------

pub fn insert(conn: &mut DbConnection, r: &MediationRequest) -> Result<(), StoreError> {
    let id = r.id.to_string();
    let a = &r.ask;
    diesel::insert_into(mediation_requests::table)
        .values((
            mediation_requests::id.eq(&id),
            mediation_requests::authority_id.eq(r.authority_id.to_string()),
            mediation_requests::requested_by.eq(r.requested_by.to_string()),
            mediation_requests::istat_code.eq(a.municipality.as_str()),
            mediation_requests::context.eq(a.context.as_str()),
            mediation_requests::mode.eq(a.mode.as_str()),
            mediation_requests::language.eq(a.language.as_str()),
            mediation_requests::urgent.eq(a.urgent),
            mediation_requests::starts_at.eq(to_db(a.starts_at)),
            mediation_requests::minutes.eq(a.minutes as i32),
            mediation_requests::reported_in.eq(r.reported_in.map(|d| d.to_string())),
            mediation_requests::created_at.eq(to_db(r.created_at)),
            mediation_requests::created_by.eq(user(r.created_by)),
            mediation_requests::version.eq(r.version),
            mediation_requests::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)?;
    diesel::insert_into(mediation_request_details::table)
        .values((
            mediation_request_details::request_id.eq(&id),
            mediation_request_details::service.eq(&a.service),
            mediation_request_details::contact.eq(&a.contact),
            mediation_request_details::operator.eq(&a.operator),
            mediation_request_details::reason.eq(&a.reason),
            mediation_request_details::nationality.eq(&a.nationality),
            mediation_request_details::place.eq(&a.place),
            mediation_request_details::initials.eq(&a.initials),
            mediation_request_details::beneficiary_id.eq(a.beneficiary_id.map(|b| b.to_string())),
        ))
        .execute(conn)?;
    save_offers(conn, r)
}

fn save_offers(conn: &mut DbConnection, r: &MediationRequest) -> Result<(), StoreError> {
    let id = r.id.to_string();
    diesel::delete(mediation_offers::table.filter(mediation_offers::request_id.eq(&id))).execute(conn)?;
    let rows: Vec<_> = r
        .offers
        .iter()
        .enumerate()
        .map(|(n, o)| {
            (
                mediation_offers::request_id.eq(id.clone()),
                mediation_offers::number.eq(n as i32 + 1),
                mediation_offers::provider_id.eq(o.provider_id.to_string()),
                mediation_offers::patto_id.eq(o.patto_id.to_string()),
                mediation_offers::offered_at.eq(to_db(o.offered_at)),
                mediation_offers::declined_at.eq(o.declined_at.map(to_db)),
                mediation_offers::decline_note.eq(o.decline_note.clone()),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(mediation_offers::table).values(&rows).execute(c))?;
    Ok(())
}

/// Saves a changed request, with what its event changed.
pub fn save(
    conn: &mut DbConnection,
    r: &MediationRequest,
    loaded_version: i64,
    event: &MediationEvent,
) -> Result<(), StoreError> {
    let id = r.id.to_string();
    let changed = diesel::update(mediation_requests::table)
        .filter(mediation_requests::id.eq(&id))
        .filter(mediation_requests::version.eq(loaded_version))
        .set((
            mediation_requests::reported_in.eq(r.reported_in.map(|d| d.to_string())),
            mediation_requests::version.eq(r.version),
            mediation_requests::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    match &event.change {
        MediationChange::Requested | MediationChange::Reported { .. } => Ok(()),
        MediationChange::Offered { .. } | MediationChange::Declined { .. } => save_offers(conn, r),
        MediationChange::Confirmed { .. } => {
            let c = r.confirmation.as_ref().ok_or(StoreError::NotFound)?;
            diesel::insert_into(mediation_confirmations::table)
                .values((
                    mediation_confirmations::request_id.eq(&id),
                    mediation_confirmations::provider_id.eq(c.provider_id.to_string()),
                    mediation_confirmations::patto_id.eq(c.patto_id.to_string()),
                    mediation_confirmations::mediator_id.eq(c.mediator_id.to_string()),
                    mediation_confirmations::mediator_name.eq(&c.mediator_name),
                    mediation_confirmations::starts_at.eq(to_db(c.starts_at)),
                    mediation_confirmations::minutes.eq(c.minutes as i32),
                    mediation_confirmations::confirmed_at.eq(to_db(c.at)),
                    mediation_confirmations::confirmed_by.eq(user(c.by)),
                ))
                .execute(conn)?;
            Ok(())
        }
        MediationChange::Delivered | MediationChange::NoShow | MediationChange::Cancelled { .. } => {
            let e = r.ending.as_ref().ok_or(StoreError::NotFound)?;
            let (outcome, started, minutes, pages, late, note) = match &e.outcome {
                Outcome::Delivered { started_at, minutes, pages, note } => (
                    "delivered",
                    Some(to_db(*started_at)),
                    Some(*minutes as i32),
                    pages.map(|p| p as i32),
                    false,
                    note.clone(),
                ),
                Outcome::Cancelled { reason, late } => ("cancelled", None, None, None, *late, reason.clone()),
                Outcome::NoShow { note } => ("no_show", None, None, None, false, note.clone()),
            };
            diesel::insert_into(mediation_endings::table)
                .values((
                    mediation_endings::request_id.eq(&id),
                    mediation_endings::outcome.eq(outcome),
                    mediation_endings::started_at.eq(started),
                    mediation_endings::minutes.eq(minutes),
                    mediation_endings::pages.eq(pages),
                    mediation_endings::late.eq(late),
                    mediation_endings::note.eq(note),
                    mediation_endings::ended_at.eq(to_db(e.at)),
                    mediation_endings::ended_by.eq(user(e.by)),
                ))
                .execute(conn)?;
            Ok(())
        }
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    NaiveDateTime,
    i32,
    Option<String>,
    NaiveDateTime,
    Option<String>,
    i64,
    NaiveDateTime,
);
type DetailRow =
    (String, String, String, String, String, Option<String>, Option<String>, Option<String>, Option<String>);
type OfferRow = (String, i32, String, String, NaiveDateTime, Option<NaiveDateTime>, Option<String>);
type ConfirmationRow = (String, String, String, String, String, NaiveDateTime, i32, NaiveDateTime, Option<String>);
type EndingRow =
    (String, String, Option<NaiveDateTime>, Option<i32>, Option<i32>, bool, String, NaiveDateTime, Option<String>);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<MediationRequest>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let (mut details, mut offers, mut confirmations, mut endings) =
        (HashMap::new(), HashMap::new(), HashMap::new(), HashMap::new());
    for chunk in ids.chunks(500) {
        for d in mediation_request_details::table
            .filter(mediation_request_details::request_id.eq_any(chunk))
            .load::<DetailRow>(conn)?
        {
            details.insert(d.0.clone(), d);
        }
        for o in mediation_offers::table
            .filter(mediation_offers::request_id.eq_any(chunk))
            .order((mediation_offers::request_id, mediation_offers::number))
            .load::<OfferRow>(conn)?
        {
            offers.entry(o.0.clone()).or_insert_with(Vec::new).push(o);
        }
        for c in mediation_confirmations::table
            .filter(mediation_confirmations::request_id.eq_any(chunk))
            .load::<ConfirmationRow>(conn)?
        {
            confirmations.insert(c.0.clone(), c);
        }
        for e in mediation_endings::table.filter(mediation_endings::request_id.eq_any(chunk)).load::<EndingRow>(conn)? {
            endings.insert(e.0.clone(), e);
        }
    }
    rows.into_iter()
        .map(|row| {
            let (
                id,
                authority,
                by_org,
                istat,
                context,
                mode,
                language,
                urgent,
                starts,
                minutes,
                reported,
                created,
                created_by,
                version,
                updated,
            ) = row;
            let (_, service, contact, operator, reason, nationality, place, initials, beneficiary) = details
                .remove(&id)
                .ok_or_else(|| StoreError::Corrupt(format!("mediation request {id} has no details")))?;
            let confirmation = confirmations
                .remove(&id)
                .map(|(_, provider, patto, mediator, name, starts_at, minutes, at, by)| {
                    Ok::<_, StoreError>(Confirmation {
                        provider_id: stored("confirming provider", provider.parse())?,
                        patto_id: stored("patto", patto.parse())?,
                        mediator_id: stored("mediator", mediator.parse())?,
                        mediator_name: name,
                        starts_at: from_db(starts_at),
                        minutes: stored("minutes", u32::try_from(minutes))?,
                        at: from_db(at),
                        by: stored_user("confirmed by", by)?,
                    })
                })
                .transpose()?;
            let ending = endings
                .remove(&id)
                .map(|(_, outcome, started, minutes, pages, late, note, at, by)| {
                    let outcome = match outcome.as_str() {
                        "delivered" => Outcome::Delivered {
                            started_at: from_db(started.ok_or_else(|| StoreError::Corrupt("delivery start".into()))?),
                            minutes: stored("delivered minutes", u32::try_from(minutes.unwrap_or(0)))?,
                            pages: pages.map(|p| stored("pages", u32::try_from(p))).transpose()?,
                            note,
                        },
                        "cancelled" => Outcome::Cancelled { reason: note, late },
                        _ => Outcome::NoShow { note },
                    };
                    Ok::<_, StoreError>(Ending { outcome, at: from_db(at), by: stored_user("ended by", by)? })
                })
                .transpose()?;
            let offers = offers
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, _, provider, patto, at, declined, note)| {
                    Ok(Offer {
                        provider_id: stored("offered provider", provider.parse())?,
                        patto_id: stored("patto", patto.parse())?,
                        offered_at: from_db(at),
                        declined_at: declined.map(from_db),
                        decline_note: note,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(MediationRequest {
                id: stored("mediation id", id.parse())?,
                authority_id: stored("authority", authority.parse())?,
                requested_by: stored("requested by", by_org.parse())?,
                ask: Ask {
                    service,
                    contact,
                    operator,
                    reason,
                    language: stored("language", Language::parse(&language))?,
                    nationality,
                    context: stored("context", context.parse())?,
                    mode: stored("mode", mode.parse())?,
                    starts_at: from_db(starts),
                    minutes: stored("minutes", u32::try_from(minutes))?,
                    place,
                    urgent,
                    municipality: stored("istat", IstatCode::parse(&istat))?,
                    initials,
                    beneficiary_id: beneficiary.as_deref().map(|b| stored("beneficiary", b.parse())).transpose()?,
                },
                offers,
                confirmation,
                ending,
                reported_in: reported.as_deref().map(|r| stored("report", r.parse())).transpose()?,
                created_at: from_db(created),
                created_by: stored_user("created by", created_by)?,
                version,
                updated_at: from_db(updated),
            })
        })
        .collect()
}

pub fn load(conn: &mut DbConnection, id: MediationRequestId) -> Result<MediationRequest, StoreError> {
    let row: Row = mediation_requests::table.filter(mediation_requests::id.eq(id.to_string())).get_result(conn)?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: MediationRequestId) -> Result<MediationRequest, StoreError> {
    crate::lock_row(conn, "mediation_requests", &id.to_string())?;
    load(conn, id)
}

/// What a list of mediation requests can filter in the database.
#[derive(Debug, Clone)]
pub struct MediationFilter {
    pub scope: PeopleScope,
    pub context: Option<String>,
    pub language: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Only those this provider confirmed.
    pub confirmed_by: Option<OrganizationId>,
}

/// Every request of the filter, by slot.
pub fn all(conn: &mut DbConnection, filter: &MediationFilter) -> Result<Vec<MediationRequest>, StoreError> {
    let mut query = mediation_requests::table.into_boxed();
    match filter.scope {
        PeopleScope::Authority(a) => {
            query = query.filter(
                mediation_requests::authority_id
                    .eq(a.to_string())
                    .or(mediation_requests::requested_by.eq(a.to_string())),
            );
        }
        PeopleScope::Municipality(m) => query = query.filter(mediation_requests::requested_by.eq(m.to_string())),
        PeopleScope::Provider(p) => {
            let offered = mediation_offers::table
                .filter(mediation_offers::provider_id.eq(p.to_string()))
                .select(mediation_offers::request_id);
            query = query.filter(mediation_requests::id.eq_any(offered));
        }
    }
    if let Some(c) = &filter.context {
        query = query.filter(mediation_requests::context.eq(c.clone()));
    }
    if let Some(l) = &filter.language {
        query = query.filter(mediation_requests::language.eq(l.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(mediation_requests::starts_at.ge(to_db(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(mediation_requests::starts_at.lt(to_db(to)));
    }
    if let Some(p) = filter.confirmed_by {
        let theirs = mediation_confirmations::table
            .filter(mediation_confirmations::provider_id.eq(p.to_string()))
            .select(mediation_confirmations::request_id);
        query = query.filter(mediation_requests::id.eq_any(theirs));
    }
    let rows: Vec<Row> = query.order((mediation_requests::starts_at.asc(), mediation_requests::id.asc())).load(conn)?;
    assemble(conn, rows)
}

/// A provider's mediation requests of an authority that were confirmed to it, for its reports.
pub fn confirmed_to(
    conn: &mut DbConnection,
    provider: OrganizationId,
    authority: OrganizationId,
) -> Result<Vec<MediationRequest>, StoreError> {
    let theirs = mediation_confirmations::table
        .filter(mediation_confirmations::provider_id.eq(provider.to_string()))
        .select(mediation_confirmations::request_id);
    let rows: Vec<Row> = mediation_requests::table
        .filter(mediation_requests::id.eq_any(theirs))
        .filter(mediation_requests::authority_id.eq(authority.to_string()))
        .order(mediation_requests::starts_at.asc())
        .load(conn)?;
    assemble(conn, rows)
}
