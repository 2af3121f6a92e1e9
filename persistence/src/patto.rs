//! Patti: the agreement, its versions (scope, rates, signatures) and its measures. Loads and
//! saves the domain's `Patto`; a change appends what its event added.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::page::{day_key, split_day_key};
use crate::schema::{patti, patto_rates, patto_scope, patto_signatures, patto_versions, tender_authorities};
use crate::stored_date;
use crate::{DbConnection, Page, Paged, StoreError, from_db, measure, stored, to_db};
use ambito_domain::application::ScopeItem;
use ambito_domain::event::SubjectKind;
use ambito_domain::patto::{Patto, PattoChange, PattoEvent, Rate, Signature, Terms};
use ambito_domain::{Cents, IstatCode, OrganizationId, PattoId, TenderId};

fn insert_terms(conn: &mut DbConnection, patto: &Patto, terms: &Terms) -> Result<(), StoreError> {
    let id = patto.id.to_string();
    let number = terms.number as i32;
    diesel::insert_into(patto_versions::table)
        .values((
            patto_versions::patto_id.eq(&id),
            patto_versions::number.eq(number),
            patto_versions::kind.eq(terms.kind.as_str()),
            patto_versions::effective_from.eq(terms.effective_from.to_string()),
            patto_versions::rationale.eq(&terms.rationale),
            patto_versions::proposed_at.eq(to_db(terms.proposed_at)),
            patto_versions::proposed_by.eq(terms.proposed_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    let scope: Vec<_> = terms
        .scope
        .iter()
        .map(|s| {
            (
                patto_scope::patto_id.eq(&id),
                patto_scope::version.eq(number),
                patto_scope::intervention_code.eq(s.intervention.as_str()),
                patto_scope::istat_code.eq(s.municipality.as_str()),
            )
        })
        .collect();
    for chunk in scope.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(patto_scope::table).values(chunk).execute(c))?;
    }
    let rates: Vec<_> = terms
        .rates
        .iter()
        .map(|r| {
            (
                patto_rates::patto_id.eq(&id),
                patto_rates::version.eq(number),
                patto_rates::intervention_code.eq(r.intervention.as_str()),
                patto_rates::unit.eq(r.unit.as_str()),
                patto_rates::rate_cents.eq(r.rate.get()),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(patto_rates::table).values(&rates).execute(c))?;
    Ok(())
}

pub fn insert(conn: &mut DbConnection, p: &Patto) -> Result<(), StoreError> {
    diesel::insert_into(patti::table)
        .values((
            patti::id.eq(p.id.to_string()),
            patti::number.eq(&p.number),
            patti::tender_id.eq(p.tender_id.to_string()),
            patti::provider_id.eq(p.provider_id.to_string()),
            patti::authority_id.eq(p.authority_id.to_string()),
            patti::valid_from.eq(p.valid_from.to_string()),
            patti::valid_to.eq(p.valid_to.to_string()),
            patti::obligations.eq(&p.obligations),
            patti::version.eq(p.version),
            patti::created_at.eq(to_db(p.created_at)),
            patti::updated_at.eq(to_db(p.updated_at)),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("the authority already has a patto numbered {}", p.number))
            }
            other => other,
        })?;
    for terms in &p.versions {
        insert_terms(conn, p, terms)?;
    }
    Ok(())
}

/// Saves a changed patto, with what its event added: a signature, an amendment's terms, a measure.
pub fn save(conn: &mut DbConnection, p: &Patto, loaded_version: i64, event: &PattoEvent) -> Result<(), StoreError> {
    let changed = diesel::update(patti::table)
        .filter(patti::id.eq(p.id.to_string()))
        .filter(patti::version.eq(loaded_version))
        .set((patti::version.eq(p.version), patti::updated_at.eq(to_db(p.updated_at))))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    let last = p.versions.last().expect("a patto has its original terms");
    match &event.change {
        PattoChange::Drafted => Ok(()),
        PattoChange::SignatureAdded { .. } | PattoChange::Signed { .. } => {
            let signature = last.signatures.last().expect("a signature was just added");
            diesel::insert_into(patto_signatures::table)
                .values((
                    patto_signatures::patto_id.eq(p.id.to_string()),
                    patto_signatures::version.eq(last.number as i32),
                    patto_signatures::side.eq(signature.side.as_str()),
                    patto_signatures::signed_by.eq(signature.by.map(|u| u.to_string())),
                    patto_signatures::signed_at.eq(to_db(signature.at)),
                    patto_signatures::document_id.eq(signature.document_id.map(|d| d.to_string())),
                ))
                .execute(conn)?;
            Ok(())
        }
        PattoChange::AmendmentProposed { .. } => insert_terms(conn, p, last),
        PattoChange::Suspended { .. } | PattoChange::Reinstated { .. } | PattoChange::Revoked { .. } => {
            let decided = p.measures.last().expect("a measure was just decided");
            measure::insert(conn, SubjectKind::Patto, &p.id.to_string(), decided)
        }
    }
}

type Row = (String, String, String, String, String, String, String, String, i64, NaiveDateTime, NaiveDateTime);
/// patto, version, side, signed by, signed at, document
type SignatureRow = (String, i32, String, Option<String>, NaiveDateTime, Option<String>);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Patto>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    type VersionRow = (String, i32, String, String, Option<String>, NaiveDateTime, Option<String>);
    let mut versions: Vec<VersionRow> = Vec::new();
    let mut scope: Vec<(String, i32, String, String)> = Vec::new();
    let mut rates: Vec<(String, i32, String, String, i64)> = Vec::new();
    let mut signatures: Vec<SignatureRow> = Vec::new();
    for chunk in ids.chunks(500) {
        versions.extend(
            patto_versions::table
                .filter(patto_versions::patto_id.eq_any(chunk))
                .order((patto_versions::patto_id, patto_versions::number))
                .load::<VersionRow>(conn)?,
        );
        scope.extend(
            patto_scope::table
                .filter(patto_scope::patto_id.eq_any(chunk))
                .order((patto_scope::intervention_code, patto_scope::istat_code))
                .load::<(String, i32, String, String)>(conn)?,
        );
        rates.extend(patto_rates::table.filter(patto_rates::patto_id.eq_any(chunk)).load::<(
            String,
            i32,
            String,
            String,
            i64,
        )>(conn)?);
        signatures.extend(
            patto_signatures::table
                .filter(patto_signatures::patto_id.eq_any(chunk))
                .order(patto_signatures::signed_at)
                .load::<SignatureRow>(conn)?,
        );
    }
    let mut measures: HashMap<String, Vec<_>> = HashMap::new();
    for (subject, m) in measure::of(conn, SubjectKind::Patto, &ids)? {
        measures.entry(subject).or_default().push(m);
    }
    rows.into_iter()
        .map(|(id, number, tender, provider, authority, from, to, obligations, version, created, updated)| {
            let terms = versions
                .iter()
                .filter(|v| v.0 == id)
                .map(|(_, n, kind, effective, rationale, at, by)| {
                    let of_version = |p: &String, v: &i32| *p == id && v == n;
                    Ok(Terms {
                        number: u32::try_from(*n).map_err(|_| StoreError::Corrupt("patto version".into()))?,
                        kind: stored("patto version kind", kind.parse())?,
                        effective_from: stored_date("effective_from", effective)?,
                        scope: scope
                            .iter()
                            .filter(|(p, v, ..)| of_version(p, v))
                            .map(|(_, _, i, m)| {
                                Ok(ScopeItem {
                                    intervention: stored("intervention", i.clone().try_into())?,
                                    municipality: stored("istat", IstatCode::parse(m))?,
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                        rates: rates
                            .iter()
                            .filter(|(p, v, ..)| of_version(p, v))
                            .map(|(_, _, i, unit, cents)| {
                                Ok(Rate {
                                    intervention: stored("intervention", i.clone().try_into())?,
                                    unit: stored("unit", unit.parse())?,
                                    rate: stored("rate", Cents::new(*cents))?,
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                        rationale: rationale.clone(),
                        proposed_at: from_db(*at),
                        proposed_by: by.as_deref().map(|b| stored("proposed by", b.parse())).transpose()?,
                        signatures: signatures
                            .iter()
                            .filter(|(p, v, ..)| of_version(p, v))
                            .map(|(_, _, side, by, at, document)| {
                                Ok(Signature {
                                    side: stored("side", side.parse())?,
                                    by: by.as_deref().map(|b| stored("signed by", b.parse())).transpose()?,
                                    at: from_db(*at),
                                    document_id: document
                                        .as_deref()
                                        .map(|d| stored("signed document", d.parse()))
                                        .transpose()?,
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Patto {
                measures: measures.remove(&id).unwrap_or_default(),
                id: stored("patto id", id.parse())?,
                number,
                tender_id: stored("tender", tender.parse())?,
                provider_id: stored("provider", provider.parse())?,
                authority_id: stored("authority", authority.parse())?,
                valid_from: stored_date("valid_from", &from)?,
                valid_to: stored_date("valid_to", &to)?,
                obligations,
                versions: terms,
                version,
                created_at: from_db(created),
                updated_at: from_db(updated),
            })
        })
        .collect()
}

pub fn load(conn: &mut DbConnection, id: PattoId) -> Result<Patto, StoreError> {
    let row: Row = patti::table.filter(patti::id.eq(id.to_string())).get_result(conn)?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: PattoId) -> Result<Patto, StoreError> {
    crate::lock_row(conn, "patti", &id.to_string())?;
    load(conn, id)
}

/// Which patti a list shows.
#[derive(Debug, Clone, Default)]
pub struct PattoFilter {
    pub provider_id: Option<OrganizationId>,
    /// Only those of calls this authority issues.
    pub issued_by: Option<OrganizationId>,
    pub tender_id: Option<TenderId>,
    /// Only those whose terms (any version) cover this item.
    pub item: Option<ScopeItem>,
    pub sort: PattoSort,
}

/// The order of a list of patti.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PattoSort {
    /// Oldest first, by creation.
    #[default]
    Created,
    /// The soonest end of validity first: what must be renewed.
    ValidTo,
}

/// Whether `cursor` is one a list in `sort` order gave out.
pub fn valid_cursor(sort: PattoSort, cursor: &str) -> bool {
    match sort {
        PattoSort::Created => true,
        PattoSort::ValidTo => split_day_key(cursor).is_some(),
    }
}

pub fn list(conn: &mut DbConnection, filter: &PattoFilter, page: &Page) -> Result<Paged<Patto>, StoreError> {
    let mut query = patti::table.into_boxed();
    if let Some(p) = filter.provider_id {
        query = query.filter(patti::provider_id.eq(p.to_string()));
    }
    if let Some(org) = filter.issued_by {
        let issued = tender_authorities::table
            .filter(tender_authorities::authority_id.eq(org.to_string()))
            .select(tender_authorities::tender_id);
        query = query.filter(patti::tender_id.eq_any(issued));
    }
    if let Some(t) = filter.tender_id {
        query = query.filter(patti::tender_id.eq(t.to_string()));
    }
    if let Some(item) = &filter.item {
        let covering = patto_scope::table
            .filter(patto_scope::intervention_code.eq(item.intervention.as_str().to_owned()))
            .filter(patto_scope::istat_code.eq(item.municipality.as_str().to_owned()))
            .select(patto_scope::patto_id);
        query = query.filter(patti::id.eq_any(covering));
    }
    let rows: Vec<Row> = match filter.sort {
        PattoSort::Created => {
            if let Some(after) = &page.after {
                query = query.filter(patti::id.gt(after.clone()));
            }
            query.order(patti::id.asc()).limit(page.fetch()).load(conn)?
        }
        PattoSort::ValidTo => {
            if let Some((day, id)) = page.after.as_deref().and_then(split_day_key) {
                query = query.filter(
                    patti::valid_to.gt(day.clone()).or(patti::valid_to.eq(day).and(patti::id.gt(id.to_owned()))),
                );
            }
            query.order((patti::valid_to.asc(), patti::id.asc())).limit(page.fetch()).load(conn)?
        }
    };
    let list = assemble(conn, rows)?;
    Ok(match filter.sort {
        PattoSort::Created => page.finish(list, |p| p.id.to_string()),
        PattoSort::ValidTo => page.finish(list, |p| day_key(p.valid_to, p.id)),
    })
}

pub fn all(conn: &mut DbConnection, filter: &PattoFilter) -> Result<Vec<Patto>, StoreError> {
    Ok(list(conn, filter, &Page { after: None, limit: i64::MAX - 1 })?.items)
}
