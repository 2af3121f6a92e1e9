//! Service requests: the request's row, what it asks, integrations, the assessment and the
//! vouchers it granted (written once), the family's choices, suspensions and the closure.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{
    service_request_assessments, service_request_closures, service_request_integrations, service_request_items,
    service_request_suspensions, service_requests, voucher_choices, vouchers,
};
use crate::{DbConnection, StoreError, from_db, stored, stored_date, to_db};
use ambito_domain::access::PeopleScope;
use ambito_domain::copayment::{Basis, Split};
use ambito_domain::service_request::{
    Answer, Asked, Assessment, Choice, Closure, IntegrationRequest, Outcome, RequestChange, ServiceRequest,
    ServiceRequestEvent, Suspension, Voucher,
};
use ambito_domain::{Cents, InterventionCode, IstatCode, OrganizationId, PattoId, ServiceRequestId, UserId};

fn user(u: Option<UserId>) -> Option<String> {
    u.map(|u| u.to_string())
}

fn stored_user(what: &str, u: Option<String>) -> Result<Option<UserId>, StoreError> {
    u.as_deref().map(|u| stored(what, u.parse())).transpose()
}

pub fn insert(conn: &mut DbConnection, r: &ServiceRequest) -> Result<(), StoreError> {
    diesel::insert_into(service_requests::table)
        .values((
            service_requests::id.eq(r.id.to_string()),
            service_requests::beneficiary_id.eq(r.beneficiary_id.to_string()),
            service_requests::authority_id.eq(r.authority_id.to_string()),
            service_requests::requested_by.eq(r.requested_by.to_string()),
            service_requests::istat_code.eq(r.municipality.as_str()),
            service_requests::age_band.eq(r.age_band.as_str()),
            service_requests::desired_start.eq(r.desired_start.to_string()),
            service_requests::care_plan.eq(&r.care_plan),
            service_requests::urgency.eq(r.urgency.as_str()),
            service_requests::submitted_at.eq(to_db(r.submitted_at)),
            service_requests::submitted_by.eq(user(r.submitted_by)),
            service_requests::closed_at.eq(r.closure.as_ref().map(|c| to_db(c.at))),
            service_requests::version.eq(r.version),
            service_requests::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)?;
    let items: Vec<_> = r
        .asked
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                service_request_items::request_id.eq(r.id.to_string()),
                service_request_items::position.eq(i as i32),
                service_request_items::intervention_code.eq(a.intervention.as_str()),
                service_request_items::units.eq(a.units as i32),
                service_request_items::period.eq(a.period.as_str()),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(service_request_items::table).values(&items).execute(c))?;
    Ok(())
}

/// Saves a changed request, with what its event changed.
pub fn save(
    conn: &mut DbConnection,
    r: &ServiceRequest,
    loaded_version: i64,
    event: &ServiceRequestEvent,
) -> Result<(), StoreError> {
    let id = r.id.to_string();
    let changed = diesel::update(service_requests::table)
        .filter(service_requests::id.eq(&id))
        .filter(service_requests::version.eq(loaded_version))
        .set((
            service_requests::care_plan.eq(&r.care_plan),
            service_requests::closed_at.eq(r.closure.as_ref().map(|c| to_db(c.at))),
            service_requests::version.eq(r.version),
            service_requests::updated_at.eq(to_db(r.updated_at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    match &event.change {
        RequestChange::Submitted | RequestChange::NeedsNewChoice { .. } => Ok(()),
        RequestChange::IntegrationRequested | RequestChange::IntegrationAnswered => save_integrations(conn, r),
        RequestChange::Assessed { .. } => save_assessment(conn, r),
        RequestChange::ProviderChosen { voucher_id, .. }
        | RequestChange::OfferAccepted { voucher_id, .. }
        | RequestChange::OfferDeclined { voucher_id, .. } => {
            let voucher = r.vouchers.iter().find(|v| v.id == *voucher_id).ok_or(StoreError::NotFound)?;
            save_choices(conn, voucher)
        }
        RequestChange::Suspended | RequestChange::Resumed => save_suspensions(conn, r),
        RequestChange::Closed { .. } => {
            let c = r.closure.as_ref().ok_or(StoreError::NotFound)?;
            diesel::insert_into(service_request_closures::table)
                .values((
                    service_request_closures::request_id.eq(&id),
                    service_request_closures::reason.eq(c.reason.as_str()),
                    service_request_closures::note.eq(&c.note),
                    service_request_closures::closed_at.eq(to_db(c.at)),
                    service_request_closures::closed_by.eq(user(c.by)),
                ))
                .execute(conn)?;
            Ok(())
        }
    }
}

fn save_integrations(conn: &mut DbConnection, r: &ServiceRequest) -> Result<(), StoreError> {
    let id = r.id.to_string();
    diesel::delete(service_request_integrations::table.filter(service_request_integrations::request_id.eq(&id)))
        .execute(conn)?;
    let rows: Vec<_> = r
        .integrations
        .iter()
        .enumerate()
        .map(|(n, i)| {
            (
                service_request_integrations::request_id.eq(id.clone()),
                service_request_integrations::number.eq(n as i32 + 1),
                service_request_integrations::message.eq(i.message.clone()),
                service_request_integrations::due_on.eq(i.due_on.to_string()),
                service_request_integrations::requested_at.eq(to_db(i.requested_at)),
                service_request_integrations::requested_by.eq(user(i.requested_by)),
                service_request_integrations::answer.eq(i.answer.clone()),
                service_request_integrations::answered_at.eq(i.answered_at.map(to_db)),
                service_request_integrations::answered_by.eq(user(i.answered_by)),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(service_request_integrations::table).values(&rows).execute(c))?;
    Ok(())
}

fn save_assessment(conn: &mut DbConnection, r: &ServiceRequest) -> Result<(), StoreError> {
    let id = r.id.to_string();
    let a = r.assessment.as_ref().ok_or(StoreError::NotFound)?;
    let (outcome, reason, explanation) = match &a.outcome {
        Outcome::Eligible => ("eligible", None, None),
        Outcome::Ineligible { reason, explanation } => ("ineligible", Some(reason.as_str()), Some(explanation.clone())),
    };
    diesel::insert_into(service_request_assessments::table)
        .values((
            service_request_assessments::request_id.eq(&id),
            service_request_assessments::outcome.eq(outcome),
            service_request_assessments::ineligible_reason.eq(reason),
            service_request_assessments::explanation.eq(explanation),
            service_request_assessments::assessed_at.eq(to_db(a.at)),
            service_request_assessments::assessed_by.eq(user(a.by)),
        ))
        .execute(conn)?;
    let rows: Vec<_> = r
        .vouchers
        .iter()
        .enumerate()
        .map(|(n, v)| {
            (
                (
                    vouchers::id.eq(v.id.to_string()),
                    vouchers::request_id.eq(id.clone()),
                    vouchers::position.eq(n as i32),
                    vouchers::intervention_code.eq(v.intervention.as_str().to_owned()),
                    vouchers::tender_id.eq(v.tender_id.to_string()),
                    vouchers::unit.eq(v.unit.as_str()),
                    vouchers::units.eq(v.units as i32),
                    vouchers::period.eq(v.period.as_str()),
                ),
                (
                    vouchers::rate_cents.eq(v.rate.get()),
                    vouchers::valid_from.eq(v.valid_from.to_string()),
                    vouchers::valid_to.eq(v.valid_to.to_string()),
                    vouchers::granted_rule_id.eq(v.granted.rule_id.to_string()),
                    vouchers::granted_rule_version.eq(v.granted.rule_version as i32),
                    vouchers::granted_isee_id.eq(v.granted.isee_id.map(|i| i.to_string())),
                    vouchers::granted_family_cents.eq(v.granted.split.family.get()),
                    vouchers::granted_authority_cents.eq(v.granted.split.authority.get()),
                ),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(vouchers::table).values(&rows).execute(c))?;
    Ok(())
}

fn save_choices(conn: &mut DbConnection, v: &Voucher) -> Result<(), StoreError> {
    let id = v.id.to_string();
    diesel::delete(voucher_choices::table.filter(voucher_choices::voucher_id.eq(&id))).execute(conn)?;
    let rows: Vec<_> = v
        .choices
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (answer, start, reason, note, at, by) = match &c.answer {
                None => (None, None, None, None, None, None),
                Some(Answer::Accepted { start, at, by }) => {
                    (Some("accepted"), Some(start.to_string()), None, None, Some(to_db(*at)), user(*by))
                }
                Some(Answer::Declined { reason, note, at, by }) => {
                    (Some("declined"), None, Some(reason.as_str()), Some(note.clone()), Some(to_db(*at)), user(*by))
                }
            };
            (
                voucher_choices::voucher_id.eq(id.clone()),
                voucher_choices::number.eq(n as i32 + 1),
                voucher_choices::provider_id.eq(c.provider_id.to_string()),
                voucher_choices::patto_id.eq(c.patto_id.to_string()),
                voucher_choices::chosen_at.eq(to_db(c.chosen_at)),
                voucher_choices::chosen_by.eq(user(c.chosen_by)),
                voucher_choices::answer.eq(answer),
                voucher_choices::start_date.eq(start),
                voucher_choices::decline_reason.eq(reason),
                voucher_choices::decline_note.eq(note),
                voucher_choices::answered_at.eq(at),
                voucher_choices::answered_by.eq(by),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(voucher_choices::table).values(&rows).execute(c))?;
    Ok(())
}

fn save_suspensions(conn: &mut DbConnection, r: &ServiceRequest) -> Result<(), StoreError> {
    let id = r.id.to_string();
    diesel::delete(service_request_suspensions::table.filter(service_request_suspensions::request_id.eq(&id)))
        .execute(conn)?;
    let rows: Vec<_> = r
        .suspensions
        .iter()
        .enumerate()
        .map(|(n, s)| {
            (
                service_request_suspensions::request_id.eq(id.clone()),
                service_request_suspensions::number.eq(n as i32 + 1),
                service_request_suspensions::from_date.eq(s.from.to_string()),
                service_request_suspensions::until_date.eq(s.until.map(|d| d.to_string())),
                service_request_suspensions::reason.eq(s.reason.clone()),
                service_request_suspensions::recorded_at.eq(to_db(s.recorded_at)),
                service_request_suspensions::recorded_by.eq(user(s.recorded_by)),
                service_request_suspensions::resumed_on.eq(s.resumed_on.map(|d| d.to_string())),
            )
        })
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(service_request_suspensions::table).values(&rows).execute(c))?;
    Ok(())
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
    String,
    NaiveDateTime,
    Option<String>,
    Option<NaiveDateTime>,
    i64,
    NaiveDateTime,
);
type AssessmentRow = (String, String, Option<String>, Option<String>, NaiveDateTime, Option<String>);
type ClosureRow = (String, String, String, NaiveDateTime, Option<String>);
type ItemRow = (String, i32, String, i32, String);
type IntegrationRow =
    (String, i32, String, String, NaiveDateTime, Option<String>, Option<String>, Option<NaiveDateTime>, Option<String>);
type SuspensionRow = (String, i32, String, Option<String>, String, NaiveDateTime, Option<String>, Option<String>);
type VoucherRow = (
    String,
    String,
    i32,
    String,
    String,
    String,
    i32,
    String,
    i64,
    String,
    String,
    String,
    i32,
    Option<String>,
    i64,
    i64,
);
type ChoiceRow = (
    String,
    i32,
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

/// Groups child rows by their parent's id (the first column), keeping their order.
fn by_parent<R>(rows: Vec<R>, parent: impl Fn(&R) -> &String) -> HashMap<String, Vec<R>> {
    let mut map: HashMap<String, Vec<R>> = HashMap::new();
    for row in rows {
        map.entry(parent(&row).clone()).or_default().push(row);
    }
    map
}

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<ServiceRequest>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let (mut assessments, mut closures, mut items, mut integrations, mut suspensions, mut voucher_rows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut choices: Vec<ChoiceRow> = Vec::new();
    for chunk in ids.chunks(500) {
        assessments.extend(
            service_request_assessments::table
                .filter(service_request_assessments::request_id.eq_any(chunk))
                .load::<AssessmentRow>(conn)?,
        );
        closures.extend(
            service_request_closures::table
                .filter(service_request_closures::request_id.eq_any(chunk))
                .load::<ClosureRow>(conn)?,
        );
        items.extend(
            service_request_items::table
                .filter(service_request_items::request_id.eq_any(chunk))
                .order((service_request_items::request_id, service_request_items::position))
                .load::<ItemRow>(conn)?,
        );
        integrations.extend(
            service_request_integrations::table
                .filter(service_request_integrations::request_id.eq_any(chunk))
                .order((service_request_integrations::request_id, service_request_integrations::number))
                .load::<IntegrationRow>(conn)?,
        );
        suspensions.extend(
            service_request_suspensions::table
                .filter(service_request_suspensions::request_id.eq_any(chunk))
                .order((service_request_suspensions::request_id, service_request_suspensions::number))
                .load::<SuspensionRow>(conn)?,
        );
        let these: Vec<VoucherRow> = vouchers::table
            .filter(vouchers::request_id.eq_any(chunk))
            .order((vouchers::request_id, vouchers::position))
            .load(conn)?;
        let voucher_ids: Vec<String> = these.iter().map(|v| v.0.clone()).collect();
        for ids in voucher_ids.chunks(500) {
            choices.extend(
                voucher_choices::table
                    .filter(voucher_choices::voucher_id.eq_any(ids))
                    .order((voucher_choices::voucher_id, voucher_choices::number))
                    .load::<ChoiceRow>(conn)?,
            );
        }
        voucher_rows.extend(these);
    }
    let mut assessments = by_parent(assessments, |r| &r.0);
    let mut closures = by_parent(closures, |r| &r.0);
    let mut items = by_parent(items, |r| &r.0);
    let mut integrations = by_parent(integrations, |r| &r.0);
    let mut suspensions = by_parent(suspensions, |r| &r.0);
    let mut voucher_rows = by_parent(voucher_rows, |r| &r.1);
    let mut choices = by_parent(choices, |r| &r.0);
    rows.into_iter()
        .map(|row| {
            let (
                id,
                beneficiary,
                authority,
                requested_by,
                istat,
                age_band,
                start,
                care_plan,
                urgency,
                at,
                by,
                _,
                version,
                updated,
            ) = row;
            let assessment = assessments
                .remove(&id)
                .and_then(|mut a| a.pop())
                .map(|(_, outcome, reason, explanation, at, by)| {
                    let outcome = match outcome.as_str() {
                        "eligible" => Outcome::Eligible,
                        _ => Outcome::Ineligible {
                            reason: stored("ineligible reason", reason.unwrap_or_default().parse())?,
                            explanation: explanation.unwrap_or_default(),
                        },
                    };
                    Ok::<_, StoreError>(Assessment { outcome, at: from_db(at), by: stored_user("assessed by", by)? })
                })
                .transpose()?;
            let closure = closures
                .remove(&id)
                .and_then(|mut c| c.pop())
                .map(|(_, reason, note, at, by)| {
                    Ok::<_, StoreError>(Closure {
                        reason: stored("close reason", reason.parse())?,
                        note,
                        at: from_db(at),
                        by: stored_user("closed by", by)?,
                    })
                })
                .transpose()?;
            let asked = items
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, _, intervention, units, period)| {
                    Ok(Asked {
                        intervention: stored("intervention", InterventionCode::try_from(intervention))?,
                        units: stored("units", u32::try_from(units))?,
                        period: stored("period", period.parse())?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let integrations = integrations
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, _, message, due, at, by, answer, answered_at, answered_by)| {
                    Ok(IntegrationRequest {
                        message,
                        due_on: stored_date("due_on", &due)?,
                        requested_at: from_db(at),
                        requested_by: stored_user("requested by", by)?,
                        answer,
                        answered_at: answered_at.map(from_db),
                        answered_by: stored_user("answered by", answered_by)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let suspensions = suspensions
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, _, from, until, reason, at, by, resumed)| {
                    Ok(Suspension {
                        from: stored_date("suspended from", &from)?,
                        until: until.as_deref().map(|u| stored_date("suspended until", u)).transpose()?,
                        reason,
                        recorded_at: from_db(at),
                        recorded_by: stored_user("suspended by", by)?,
                        resumed_on: resumed.as_deref().map(|r| stored_date("resumed on", r)).transpose()?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let vouchers = voucher_rows
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|v| {
                    let (
                        vid,
                        _,
                        _,
                        intervention,
                        tender,
                        unit,
                        units,
                        period,
                        rate,
                        from,
                        to,
                        rule,
                        rule_version,
                        isee,
                        family,
                        authority,
                    ) = v;
                    let choices = choices
                        .remove(&vid)
                        .unwrap_or_default()
                        .into_iter()
                        .map(to_choice)
                        .collect::<Result<_, StoreError>>()?;
                    Ok(Voucher {
                        id: stored("voucher id", vid.parse())?,
                        intervention: stored("intervention", InterventionCode::try_from(intervention))?,
                        tender_id: stored("voucher call", tender.parse())?,
                        unit: stored("unit", unit.parse())?,
                        units: stored("units", u32::try_from(units))?,
                        period: stored("period", period.parse())?,
                        rate: stored("rate", Cents::new(rate))?,
                        valid_from: stored_date("valid_from", &from)?,
                        valid_to: stored_date("valid_to", &to)?,
                        granted: Basis {
                            rule_id: stored("rule", rule.parse())?,
                            rule_version: stored("rule version", u32::try_from(rule_version))?,
                            isee_id: isee.as_deref().map(|i| stored("isee", i.parse())).transpose()?,
                            split: Split {
                                family: stored("family share", Cents::new(family))?,
                                authority: stored("authority share", Cents::new(authority))?,
                            },
                        },
                        choices,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(ServiceRequest {
                id: stored("request id", id.parse())?,
                beneficiary_id: stored("beneficiary", beneficiary.parse())?,
                authority_id: stored("authority", authority.parse())?,
                requested_by: stored("requested by", requested_by.parse())?,
                municipality: stored("istat", IstatCode::parse(&istat))?,
                age_band: stored("age band", age_band.parse())?,
                asked,
                desired_start: stored_date("desired_start", &start)?,
                care_plan,
                urgency: stored("urgency", urgency.parse())?,
                submitted_at: from_db(at),
                submitted_by: stored_user("submitted by", by)?,
                integrations,
                assessment,
                vouchers,
                suspensions,
                closure,
                version,
                updated_at: from_db(updated),
            })
        })
        .collect()
}

fn to_choice(row: ChoiceRow) -> Result<Choice, StoreError> {
    let (_, _, provider, patto, at, by, answer, start, reason, note, answered_at, answered_by) = row;
    let answer = match (answer.as_deref(), answered_at) {
        (Some("accepted"), Some(at)) => Some(Answer::Accepted {
            start: stored_date("start", start.as_deref().unwrap_or_default())?,
            at: from_db(at),
            by: stored_user("accepted by", answered_by)?,
        }),
        (Some(_), Some(at)) => Some(Answer::Declined {
            reason: stored("decline reason", reason.unwrap_or_default().parse())?,
            note: note.unwrap_or_default(),
            at: from_db(at),
            by: stored_user("declined by", answered_by)?,
        }),
        _ => None,
    };
    Ok(Choice {
        provider_id: stored("provider", provider.parse())?,
        patto_id: stored("patto", patto.parse())?,
        chosen_at: from_db(at),
        chosen_by: stored_user("chosen by", by)?,
        answer,
    })
}

pub fn load(conn: &mut DbConnection, id: ServiceRequestId) -> Result<ServiceRequest, StoreError> {
    let row: Row = service_requests::table.filter(service_requests::id.eq(id.to_string())).get_result(conn)?;
    Ok(assemble(conn, vec![row])?.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: ServiceRequestId) -> Result<ServiceRequest, StoreError> {
    crate::lock_row(conn, "service_requests", &id.to_string())?;
    load(conn, id)
}

/// Which requests a list considers (what the database can filter; statuses are derived).
#[derive(Debug, Clone)]
pub struct RequestFilter {
    pub scope: PeopleScope,
    pub intervention: Option<InterventionCode>,
    pub municipality: Option<IstatCode>,
    /// Requests one of whose vouchers this provider was offered or took.
    pub provider: Option<OrganizationId>,
    pub beneficiary: Option<ambito_domain::BeneficiaryId>,
    /// Whether to include closed requests.
    pub closed: bool,
}

/// Every request of the filter, newest first.
pub fn all(conn: &mut DbConnection, filter: &RequestFilter) -> Result<Vec<ServiceRequest>, StoreError> {
    let mut query = service_requests::table.into_boxed();
    let chosen = |provider: OrganizationId| {
        let theirs = voucher_choices::table
            .filter(voucher_choices::provider_id.eq(provider.to_string()))
            .select(voucher_choices::voucher_id);
        vouchers::table.filter(vouchers::id.eq_any(theirs)).select(vouchers::request_id)
    };
    match filter.scope {
        PeopleScope::Authority(a) => query = query.filter(service_requests::authority_id.eq(a.to_string())),
        PeopleScope::Municipality(m) => query = query.filter(service_requests::requested_by.eq(m.to_string())),
        PeopleScope::Provider(p) => query = query.filter(service_requests::id.eq_any(chosen(p))),
    }
    if let Some(p) = filter.provider {
        query = query.filter(service_requests::id.eq_any(chosen(p)));
    }
    if let Some(i) = &filter.intervention {
        let asking = service_request_items::table
            .filter(service_request_items::intervention_code.eq(i.as_str().to_owned()))
            .select(service_request_items::request_id);
        query = query.filter(service_requests::id.eq_any(asking));
    }
    if let Some(m) = &filter.municipality {
        query = query.filter(service_requests::istat_code.eq(m.as_str().to_owned()));
    }
    if let Some(b) = filter.beneficiary {
        query = query.filter(service_requests::beneficiary_id.eq(b.to_string()));
    }
    if !filter.closed {
        query = query.filter(service_requests::closed_at.is_null());
    }
    let rows: Vec<Row> = query.order(service_requests::id.desc()).load(conn)?;
    assemble(conn, rows)
}

/// The open requests with a voucher taken under this patto.
pub fn taken_under(conn: &mut DbConnection, patto: PattoId) -> Result<Vec<ServiceRequest>, StoreError> {
    let chosen = voucher_choices::table
        .filter(voucher_choices::patto_id.eq(patto.to_string()))
        .filter(voucher_choices::answer.eq("accepted"))
        .select(voucher_choices::voucher_id);
    let requests = vouchers::table.filter(vouchers::id.eq_any(chosen)).select(vouchers::request_id);
    let rows: Vec<Row> = service_requests::table
        .filter(service_requests::id.eq_any(requests))
        .filter(service_requests::closed_at.is_null())
        .order(service_requests::id.asc())
        .load(conn)?;
    assemble(conn, rows)
}

/// How many open requests each of these providers serves (a voucher's last accepted choice).
pub fn serving_counts(
    conn: &mut DbConnection,
    providers: &[OrganizationId],
) -> Result<HashMap<OrganizationId, i64>, StoreError> {
    let ids: Vec<String> = providers.iter().map(ToString::to_string).collect();
    let open = service_requests::table.filter(service_requests::closed_at.is_null()).select(service_requests::id);
    let theirs =
        voucher_choices::table.filter(voucher_choices::provider_id.eq_any(&ids)).select(voucher_choices::voucher_id);
    let requests: HashMap<String, String> = vouchers::table
        .filter(vouchers::id.eq_any(theirs))
        .filter(vouchers::request_id.eq_any(open))
        .select((vouchers::id, vouchers::request_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut choices: Vec<(String, i32, String, Option<String>)> = Vec::new();
    let voucher_ids: Vec<&String> = requests.keys().collect();
    for chunk in voucher_ids.chunks(500) {
        choices.extend(
            voucher_choices::table
                .filter(voucher_choices::voucher_id.eq_any(chunk))
                .select((
                    voucher_choices::voucher_id,
                    voucher_choices::number,
                    voucher_choices::provider_id,
                    voucher_choices::answer,
                ))
                .order((voucher_choices::voucher_id, voucher_choices::number))
                .load(conn)?,
        );
    }
    let rows = choices.into_iter().map(|(voucher, number, provider, answer)| {
        (requests.get(&voucher).cloned().unwrap_or_default(), voucher, number, provider, answer)
    });
    let mut last_accepted: HashMap<String, (String, String)> = HashMap::new();
    for (request, voucher, _, provider, answer) in rows {
        if answer.as_deref() == Some("accepted") {
            last_accepted.insert(voucher, (request, provider));
        }
    }
    let mut per_provider: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
    for (request, provider) in last_accepted.into_values() {
        per_provider.entry(provider).or_default().insert(request);
    }
    providers.iter().map(|p| Ok((*p, per_provider.get(&p.to_string()).map_or(0, |s| s.len() as i64)))).collect()
}

/// Every request with a voucher under this call (the call-offs of its framework), oldest first.
pub fn with_vouchers_under(
    conn: &mut DbConnection,
    tender: ambito_domain::TenderId,
) -> Result<Vec<ServiceRequest>, StoreError> {
    let under = vouchers::table.filter(vouchers::tender_id.eq(tender.to_string())).select(vouchers::request_id);
    let rows: Vec<Row> = service_requests::table
        .filter(service_requests::id.eq_any(under))
        .order(service_requests::id.asc())
        .load(conn)?;
    assemble(conn, rows)
}
