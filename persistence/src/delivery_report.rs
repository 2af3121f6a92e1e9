//! Delivery reports: the report's row, its revisions, and their lines with each line's cost once
//! validated.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{delivery_report_lines, delivery_report_revisions, delivery_reports};
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, stored_date, to_db};
use ambito_domain::access::PeopleScope;
use ambito_domain::delivery_report::{
    Contest, DeliveryReport, Line, LineCost, Month, ReportChange, ReportEvent, ReportSubject, Revision, Validation,
};
use ambito_domain::{Cents, DeliveryReportId, InterventionCode, IstatCode, OrganizationId, UserId};

fn user(u: Option<UserId>) -> Option<String> {
    u.map(|u| u.to_string())
}

/// The one report a provider has per voucher and month, or per authority and month for its
/// mediation sessions.
fn natural_key(r: &DeliveryReport) -> String {
    match &r.subject {
        ReportSubject::Voucher { voucher_id, .. } => format!("voucher:{}:{voucher_id}:{}", r.provider_id, r.month),
        ReportSubject::Mediation => format!("mediation:{}:{}:{}", r.provider_id, r.authority_id, r.month),
    }
}

pub fn insert(conn: &mut DbConnection, r: &DeliveryReport) -> Result<(), StoreError> {
    let (subject, request, voucher) = match &r.subject {
        ReportSubject::Voucher { request_id, voucher_id } => {
            ("voucher", Some(request_id.to_string()), Some(voucher_id.to_string()))
        }
        ReportSubject::Mediation => ("mediation", None, None),
    };
    diesel::insert_into(delivery_reports::table)
        .values((
            delivery_reports::id.eq(r.id.to_string()),
            delivery_reports::natural_key.eq(natural_key(r)),
            delivery_reports::provider_id.eq(r.provider_id.to_string()),
            delivery_reports::authority_id.eq(r.authority_id.to_string()),
            delivery_reports::month.eq(r.month.to_string()),
            delivery_reports::subject.eq(subject),
            delivery_reports::request_id.eq(request),
            delivery_reports::voucher_id.eq(voucher),
            delivery_reports::istat_code.eq(r.municipality.as_ref().map(|m| m.as_str().to_owned())),
            delivery_reports::version.eq(r.version),
            delivery_reports::created_at.eq(to_db(r.created_at)),
            delivery_reports::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "you already reported {} for {}: correct that report if it is contested",
                match r.subject {
                    ReportSubject::Voucher { .. } => "this voucher",
                    ReportSubject::Mediation => "your mediation sessions",
                },
                r.month
            )),
            other => other,
        })?;
    insert_revision(conn, r, r.current())
}

fn insert_revision(conn: &mut DbConnection, r: &DeliveryReport, v: &Revision) -> Result<(), StoreError> {
    let id = r.id.to_string();
    diesel::insert_into(delivery_report_revisions::table)
        .values((
            delivery_report_revisions::report_id.eq(&id),
            delivery_report_revisions::number.eq(v.number as i32),
            delivery_report_revisions::over_reason.eq(&v.over_reason),
            delivery_report_revisions::submitted_at.eq(to_db(v.submitted_at)),
            delivery_report_revisions::submitted_by.eq(user(v.submitted_by)),
        ))
        .execute(conn)?;
    let rows: Vec<_> = v
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            (
                delivery_report_lines::report_id.eq(id.clone()),
                delivery_report_lines::revision.eq(v.number as i32),
                delivery_report_lines::position.eq(n as i32),
                delivery_report_lines::date.eq(l.date.to_string()),
                delivery_report_lines::intervention_code.eq(l.intervention.as_str().to_owned()),
                delivery_report_lines::quantity.eq(l.quantity as i32),
                delivery_report_lines::mediation_request_id.eq(l.mediation_request_id.map(|m| m.to_string())),
            )
        })
        .collect();
    for chunk in rows.chunks(200) {
        crate::on_backend!(conn, |c| diesel::insert_into(delivery_report_lines::table).values(chunk).execute(c))?;
    }
    Ok(())
}

pub fn save(
    conn: &mut DbConnection,
    r: &DeliveryReport,
    loaded_version: i64,
    event: &ReportEvent,
) -> Result<(), StoreError> {
    let id = r.id.to_string();
    let changed = diesel::update(delivery_reports::table)
        .filter(delivery_reports::id.eq(&id))
        .filter(delivery_reports::version.eq(loaded_version))
        .set((
            delivery_reports::validated_at.eq(r.validation.as_ref().map(|v| to_db(v.at))),
            delivery_reports::validated_by.eq(r.validation.as_ref().and_then(|v| user(v.by))),
            delivery_reports::version.eq(r.version),
            delivery_reports::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    let current = r.current();
    let revision = current.number as i32;
    match &event.change {
        ReportChange::Submitted => Ok(()),
        ReportChange::Corrected { .. } => insert_revision(conn, r, current),
        ReportChange::Contested => {
            let contest = current.contest.as_ref().ok_or(StoreError::NotFound)?;
            diesel::update(
                delivery_report_revisions::table
                    .filter(delivery_report_revisions::report_id.eq(&id))
                    .filter(delivery_report_revisions::number.eq(revision)),
            )
            .set((
                delivery_report_revisions::contested_at.eq(Some(to_db(contest.at))),
                delivery_report_revisions::contested_by.eq(user(contest.by)),
            ))
            .execute(conn)?;
            for (line, reason) in &contest.lines {
                diesel::update(
                    delivery_report_lines::table
                        .filter(delivery_report_lines::report_id.eq(&id))
                        .filter(delivery_report_lines::revision.eq(revision))
                        .filter(delivery_report_lines::position.eq(*line as i32)),
                )
                .set(delivery_report_lines::contest_reason.eq(Some(reason.clone())))
                .execute(conn)?;
            }
            Ok(())
        }
        ReportChange::Validated => {
            let validation = r.validation.as_ref().ok_or(StoreError::NotFound)?;
            for (line, c) in validation.costs.iter().enumerate() {
                diesel::update(
                    delivery_report_lines::table
                        .filter(delivery_report_lines::report_id.eq(&id))
                        .filter(delivery_report_lines::revision.eq(revision))
                        .filter(delivery_report_lines::position.eq(line as i32)),
                )
                .set((
                    delivery_report_lines::rate_cents.eq(Some(c.rate.get())),
                    delivery_report_lines::amount_cents.eq(Some(c.amount.get())),
                    delivery_report_lines::family_cents.eq(Some(c.family.get())),
                    delivery_report_lines::authority_cents.eq(Some(c.authority.get())),
                ))
                .execute(conn)?;
            }
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
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    i64,
    NaiveDateTime,
    NaiveDateTime,
);
type RevisionRow = (String, i32, Option<String>, NaiveDateTime, Option<String>, Option<NaiveDateTime>, Option<String>);
type LineRow = (
    String,
    i32,
    i32,
    String,
    String,
    i32,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<DeliveryReport>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut revisions: HashMap<String, Vec<RevisionRow>> = HashMap::new();
    let mut lines: HashMap<(String, i32), Vec<LineRow>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for v in delivery_report_revisions::table
            .filter(delivery_report_revisions::report_id.eq_any(chunk))
            .order((delivery_report_revisions::report_id, delivery_report_revisions::number))
            .load::<RevisionRow>(conn)?
        {
            revisions.entry(v.0.clone()).or_default().push(v);
        }
        for l in delivery_report_lines::table
            .filter(delivery_report_lines::report_id.eq_any(chunk))
            .order((delivery_report_lines::report_id, delivery_report_lines::revision, delivery_report_lines::position))
            .load::<LineRow>(conn)?
        {
            lines.entry((l.0.clone(), l.1)).or_default().push(l);
        }
    }
    let stored_user = |what: &str, u: Option<String>| -> Result<Option<UserId>, StoreError> {
        u.as_deref().map(|u| stored(what, u.parse())).transpose()
    };
    rows.into_iter()
        .map(|row| {
            let (
                id,
                _,
                provider,
                authority,
                month,
                subject,
                request,
                voucher,
                istat,
                validated_at,
                validated_by,
                version,
                created,
                updated,
            ) = row;
            let mut last_costs = Vec::new();
            let revisions = revisions
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, number, over, at, by, contested_at, contested_by)| {
                    let rows = lines.remove(&(id.clone(), number)).unwrap_or_default();
                    let mut contested = Vec::new();
                    let mut costs = Vec::new();
                    let lines = rows
                        .into_iter()
                        .map(
                            |(
                                _,
                                _,
                                position,
                                date,
                                intervention,
                                quantity,
                                mediation,
                                reason,
                                rate,
                                amount,
                                family,
                                authority,
                            )| {
                                if let Some(reason) = reason {
                                    contested.push((position as usize, reason));
                                }
                                if let (Some(rate), Some(amount), Some(family), Some(authority)) =
                                    (rate, amount, family, authority)
                                {
                                    costs.push(LineCost {
                                        rate: stored("rate", Cents::new(rate))?,
                                        amount: stored("amount", Cents::new(amount))?,
                                        family: stored("family share", Cents::new(family))?,
                                        authority: stored("authority share", Cents::new(authority))?,
                                    });
                                }
                                Ok(Line {
                                    date: stored_date("line date", &date)?,
                                    intervention: stored("intervention", InterventionCode::try_from(intervention))?,
                                    quantity: stored("quantity", u32::try_from(quantity))?,
                                    mediation_request_id: mediation
                                        .as_deref()
                                        .map(|m| stored("mediation", m.parse()))
                                        .transpose()?,
                                })
                            },
                        )
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    last_costs = costs;
                    let contest = contested_at
                        .map(|at| {
                            Ok::<_, StoreError>(Contest {
                                lines: contested,
                                at: from_db(at),
                                by: stored_user("contested by", contested_by)?,
                            })
                        })
                        .transpose()?;
                    Ok(Revision {
                        number: stored("revision", u32::try_from(number))?,
                        lines,
                        over_reason: over,
                        submitted_at: from_db(at),
                        submitted_by: stored_user("submitted by", by)?,
                        contest,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let subject = match (subject.as_str(), request, voucher) {
                ("voucher", Some(request), Some(voucher)) => ReportSubject::Voucher {
                    request_id: stored("report request", request.parse())?,
                    voucher_id: stored("report voucher", voucher.parse())?,
                },
                _ => ReportSubject::Mediation,
            };
            Ok(DeliveryReport {
                id: stored("report id", id.parse())?,
                provider_id: stored("report provider", provider.parse())?,
                authority_id: stored("report authority", authority.parse())?,
                month: stored("month", Month::parse(&month))?,
                subject,
                municipality: istat.as_deref().map(|m| stored("istat", IstatCode::parse(m))).transpose()?,
                revisions,
                validation: validated_at
                    .map(|at| {
                        Ok::<_, StoreError>(Validation {
                            at: from_db(at),
                            by: stored_user("validated by", validated_by)?,
                            costs: last_costs,
                        })
                    })
                    .transpose()?,
                version,
                created_at: from_db(created),
                updated_at: from_db(updated),
            })
        })
        .collect()
}

pub fn load(conn: &mut DbConnection, id: DeliveryReportId) -> Result<DeliveryReport, StoreError> {
    let row: Row = delivery_reports::table.filter(delivery_reports::id.eq(id.to_string())).get_result(conn)?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: DeliveryReportId) -> Result<DeliveryReport, StoreError> {
    crate::lock_row(conn, "delivery_reports", &id.to_string())?;
    load(conn, id)
}

#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub scope: PeopleScope,
    pub month: Option<Month>,
    pub provider: Option<OrganizationId>,
    /// Only validated reports.
    pub validated: bool,
    pub sort: ReportSort,
}

/// The order of a list of reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportSort {
    /// Oldest first, by creation.
    #[default]
    Created,
    /// By the month reported, the earliest first.
    Month,
}

/// The cursor of a list by month: the month (as stored, `2024-04`, which sorts as the months
/// do) and the id of the last report seen.
fn month_key(r: &DeliveryReport) -> String {
    format!("{}|{}", r.month, r.id)
}

fn split_month_key(cursor: &str) -> Option<(String, &str)> {
    let (month, id) = cursor.split_once('|')?;
    Some((Month::parse(month).ok()?.to_string(), id))
}

/// Whether `cursor` is one a list in `sort` order gave out.
pub fn valid_cursor(sort: ReportSort, cursor: &str) -> bool {
    match sort {
        ReportSort::Created => true,
        ReportSort::Month => split_month_key(cursor).is_some(),
    }
}

pub fn list(conn: &mut DbConnection, filter: &ReportFilter, page: &Page) -> Result<Paged<DeliveryReport>, StoreError> {
    let mut query = delivery_reports::table.into_boxed();
    match filter.scope {
        PeopleScope::Authority(a) => query = query.filter(delivery_reports::authority_id.eq(a.to_string())),
        PeopleScope::Provider(p) => query = query.filter(delivery_reports::provider_id.eq(p.to_string())),
        PeopleScope::Municipality(_) => return Ok(page.finish(Vec::new(), |r: &DeliveryReport| r.id.to_string())),
    }
    if let Some(m) = filter.month {
        query = query.filter(delivery_reports::month.eq(m.to_string()));
    }
    if let Some(p) = filter.provider {
        query = query.filter(delivery_reports::provider_id.eq(p.to_string()));
    }
    if filter.validated {
        query = query.filter(delivery_reports::validated_at.is_not_null());
    }
    let rows: Vec<Row> = match filter.sort {
        ReportSort::Created => {
            if let Some(after) = &page.after {
                query = query.filter(delivery_reports::id.gt(after.clone()));
            }
            query.order(delivery_reports::id.asc()).limit(page.fetch()).load(conn)?
        }
        ReportSort::Month => {
            if let Some((month, id)) = page.after.as_deref().and_then(split_month_key) {
                let m = delivery_reports::month;
                query = query.filter(m.gt(month.clone()).or(m.eq(month).and(delivery_reports::id.gt(id.to_owned()))));
            }
            query.order((delivery_reports::month.asc(), delivery_reports::id.asc())).limit(page.fetch()).load(conn)?
        }
    };
    let list = assemble(conn, rows)?;
    Ok(match filter.sort {
        ReportSort::Created => page.finish(list, |r| r.id.to_string()),
        ReportSort::Month => page.finish(list, month_key),
    })
}

/// The validated reports of a month that an authority pays.
pub fn validated_in(
    conn: &mut DbConnection,
    month: Month,
    authority: Option<OrganizationId>,
) -> Result<Vec<DeliveryReport>, StoreError> {
    let mut query = delivery_reports::table
        .filter(delivery_reports::month.eq(month.to_string()))
        .filter(delivery_reports::validated_at.is_not_null())
        .into_boxed();
    if let Some(a) = authority {
        query = query.filter(delivery_reports::authority_id.eq(a.to_string()));
    }
    let rows: Vec<Row> = query.order(delivery_reports::id.asc()).load(conn)?;
    assemble(conn, rows)
}

/// The validated reports of these vouchers, oldest first.
pub fn validated_of_vouchers(
    conn: &mut DbConnection,
    vouchers: &[ambito_domain::VoucherId],
) -> Result<Vec<DeliveryReport>, StoreError> {
    let ids: Vec<String> = vouchers.iter().map(ToString::to_string).collect();
    let mut all = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<Row> = delivery_reports::table
            .filter(delivery_reports::voucher_id.eq_any(chunk))
            .filter(delivery_reports::validated_at.is_not_null())
            .order(delivery_reports::id.asc())
            .load(conn)?;
        all.extend(assemble(conn, rows)?);
    }
    Ok(all)
}
