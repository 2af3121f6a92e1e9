//! Accreditations: granted when a round of a call is concluded; their measures are in
//! `measures`. Loaded with their measures; where each stands is the domain's to say.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::page::{day_key, split_day_key};
use crate::schema::accreditations;
use crate::stored_date;
use crate::{DbConnection, Page, Paged, StoreError, from_db, measure, stored, to_db};
use ambito_domain::accreditation::Accreditation;
use ambito_domain::application::ScopeItem;
use ambito_domain::event::SubjectKind;
use ambito_domain::measure::Measure;
use ambito_domain::{AccreditationId, IstatCode, OrganizationId, TenderId};

pub fn insert_all(conn: &mut DbConnection, list: &[Accreditation]) -> Result<(), StoreError> {
    let rows: Vec<_> = list
        .iter()
        .map(|a| {
            (
                (
                    accreditations::id.eq(a.id.to_string()),
                    accreditations::tender_id.eq(a.tender_id.to_string()),
                    accreditations::application_id.eq(a.application_id.to_string()),
                    accreditations::provider_id.eq(a.provider_id.to_string()),
                    accreditations::intervention_code.eq(a.intervention.as_str()),
                    accreditations::istat_code.eq(a.municipality.as_str()),
                    accreditations::valid_from.eq(a.valid_from.to_string()),
                    accreditations::valid_to.eq(a.valid_to.to_string()),
                ),
                (
                    accreditations::created_at.eq(to_db(a.granted_at)),
                    accreditations::round.eq(a.round as i32),
                    accreditations::act_number.eq(a.act.as_ref().map(|x| x.number.clone())),
                    accreditations::act_date.eq(a.act.as_ref().map(|x| x.date.to_string())),
                    accreditations::version.eq(a.version),
                ),
            )
        })
        .collect();
    for chunk in rows.chunks(300) {
        crate::on_backend!(conn, |c| diesel::insert_into(accreditations::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// Saves a changed accreditation with the measure just decided on it.
pub fn save(
    conn: &mut DbConnection,
    a: &Accreditation,
    loaded_version: i64,
    decided: &Measure,
) -> Result<(), StoreError> {
    let changed = diesel::update(accreditations::table)
        .filter(accreditations::id.eq(a.id.to_string()))
        .filter(accreditations::version.eq(loaded_version))
        .set(accreditations::version.eq(a.version))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    measure::insert(conn, SubjectKind::Accreditation, &a.id.to_string(), decided)
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    i32,
    Option<String>,
    Option<String>,
    i64,
);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Accreditation>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut measures = measure::of(conn, SubjectKind::Accreditation, &ids)?;
    rows.into_iter()
        .map(
            |(
                id,
                tender,
                application,
                provider,
                intervention,
                istat,
                from,
                to,
                at,
                round,
                number,
                act_date,
                version,
            )| {
                let mine: Vec<Measure> = {
                    let (of, rest): (Vec<_>, Vec<_>) =
                        std::mem::take(&mut measures).into_iter().partition(|(s, _)| *s == id);
                    measures = rest;
                    of.into_iter().map(|(_, m)| m).collect()
                };
                Ok(Accreditation {
                    id: stored("accreditation id", id.parse())?,
                    tender_id: stored("tender", tender.parse())?,
                    application_id: stored("application", application.parse())?,
                    provider_id: stored("provider", provider.parse())?,
                    intervention: stored("intervention", intervention.try_into())?,
                    municipality: stored("istat", IstatCode::parse(&istat))?,
                    valid_from: stored_date("valid_from", &from)?,
                    valid_to: stored_date("valid_to", &to)?,
                    round: u32::try_from(round).map_err(|_| StoreError::Corrupt("round".into()))?,
                    act: measure::act(number, act_date)?,
                    granted_at: from_db(at),
                    measures: mine,
                    version,
                })
            },
        )
        .collect()
}

pub fn load(conn: &mut DbConnection, id: AccreditationId) -> Result<Accreditation, StoreError> {
    let row: Row = accreditations::table.filter(accreditations::id.eq(id.to_string())).get_result(conn)?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: AccreditationId) -> Result<Accreditation, StoreError> {
    crate::lock_row(conn, "accreditations", &id.to_string())?;
    load(conn, id)
}

/// Which accreditations a query covers.
#[derive(Debug, Clone, Default)]
pub struct AccreditationFilter {
    pub tender_id: Option<TenderId>,
    pub provider_id: Option<OrganizationId>,
    /// Only those of calls these authorities issue.
    pub issued_by: Option<OrganizationId>,
    pub municipalities: Option<Vec<IstatCode>>,
    pub item: Option<ScopeItem>,
    pub sort: AccreditationSort,
}

/// The order of a list of accreditations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccreditationSort {
    /// Oldest first, by creation.
    #[default]
    Created,
    /// The soonest end of validity first: what must be renewed.
    ValidTo,
}

/// The cursor of a list by end of validity: the last day and the id of the last one seen.
fn valid_to_key(a: &Accreditation) -> String {
    day_key(a.valid_to, a.id)
}

/// Whether `cursor` is one a list in `sort` order gave out.
pub fn valid_cursor(sort: AccreditationSort, cursor: &str) -> bool {
    match sort {
        AccreditationSort::Created => true,
        AccreditationSort::ValidTo => split_day_key(cursor).is_some(),
    }
}

/// One page of accreditations, oldest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AccreditationFilter,
    page: &Page,
) -> Result<Paged<Accreditation>, StoreError> {
    use crate::schema::tender_authorities;
    let mut query = accreditations::table.into_boxed();
    if let Some(t) = filter.tender_id {
        query = query.filter(accreditations::tender_id.eq(t.to_string()));
    }
    if let Some(p) = filter.provider_id {
        query = query.filter(accreditations::provider_id.eq(p.to_string()));
    }
    if let Some(org) = filter.issued_by {
        let issued = tender_authorities::table
            .filter(tender_authorities::authority_id.eq(org.to_string()))
            .select(tender_authorities::tender_id);
        query = query.filter(accreditations::tender_id.eq_any(issued));
    }
    if let Some(codes) = &filter.municipalities {
        let codes: Vec<&str> = codes.iter().map(IstatCode::as_str).collect();
        query = query.filter(accreditations::istat_code.eq_any(codes));
    }
    if let Some(item) = &filter.item {
        query = query
            .filter(accreditations::intervention_code.eq(item.intervention.as_str().to_owned()))
            .filter(accreditations::istat_code.eq(item.municipality.as_str().to_owned()));
    }
    let rows: Vec<Row> = match filter.sort {
        AccreditationSort::Created => {
            if let Some(after) = &page.after {
                query = query.filter(accreditations::id.gt(after.clone()));
            }
            query.order(accreditations::id.asc()).limit(page.fetch()).load(conn)?
        }
        AccreditationSort::ValidTo => {
            if let Some((day, id)) = page.after.as_deref().and_then(split_day_key) {
                let valid_to = accreditations::valid_to;
                query = query
                    .filter(valid_to.gt(day.clone()).or(valid_to.eq(day).and(accreditations::id.gt(id.to_owned()))));
            }
            query.order((accreditations::valid_to.asc(), accreditations::id.asc())).limit(page.fetch()).load(conn)?
        }
    };
    let list = assemble(conn, rows)?;
    Ok(match filter.sort {
        AccreditationSort::Created => page.finish(list, |a| a.id.to_string()),
        AccreditationSort::ValidTo => page.finish(list, valid_to_key),
    })
}

/// Every accreditation a filter covers (the registry is computed from them all).
pub fn all(conn: &mut DbConnection, filter: &AccreditationFilter) -> Result<Vec<Accreditation>, StoreError> {
    Ok(list(conn, filter, &Page { after: None, limit: i64::MAX - 1 })?.items)
}

/// The (provider, item) pairs a call has accredited already.
pub fn accredited_items(
    conn: &mut DbConnection,
    tender_id: TenderId,
) -> Result<Vec<(OrganizationId, ScopeItem)>, StoreError> {
    let rows: Vec<(String, String, String)> = accreditations::table
        .filter(accreditations::tender_id.eq(tender_id.to_string()))
        .select((accreditations::provider_id, accreditations::intervention_code, accreditations::istat_code))
        .load(conn)?;
    rows.into_iter()
        .map(|(p, i, m)| {
            Ok((
                stored("provider", p.parse())?,
                ScopeItem {
                    intervention: stored("intervention", i.try_into())?,
                    municipality: stored("istat", IstatCode::parse(&m))?,
                },
            ))
        })
        .collect()
}
