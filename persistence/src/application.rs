//! Applications: loads and saves the domain's `Application`, its receipts and the protocol
//! registers. The rules live in `ambito_domain::application`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::page::{instant_key, split_instant_key};
use crate::schema::{
    application_declarations, application_recordings, application_scope, applications, integration_requests,
    protocol_counters, submissions,
};
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, to_db};
use ambito_domain::access::ApplicationScope;
use ambito_domain::accreditation::Admission;
use ambito_domain::application::{
    Application, ApplicationEvent, ApplicationStatus, Declaration, IntegrationRequest, Outcome, ProtocolNumber,
    Receipt, Recording, ScopeItem,
};
use ambito_domain::{ApplicationId, IstatCode, OrganizationId, TenderId};

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

fn write_offer(conn: &mut DbConnection, app: &Application) -> Result<(), StoreError> {
    let id = app.id.to_string();
    let id = id.as_str();
    diesel::delete(application_scope::table.filter(application_scope::application_id.eq(id))).execute(conn)?;
    diesel::delete(application_declarations::table.filter(application_declarations::application_id.eq(id)))
        .execute(conn)?;
    let rows: Vec<_> = app
        .offered
        .iter()
        .map(|s| {
            (
                application_scope::application_id.eq(id),
                application_scope::intervention_code.eq(s.intervention.as_str()),
                application_scope::istat_code.eq(s.municipality.as_str()),
                application_scope::admitted.eq(app.admitted.contains(s)),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::on_backend!(conn, |c| diesel::insert_into(application_scope::table).values(chunk).execute(c))?;
    }
    let declarations: Vec<_> = app
        .declarations
        .iter()
        .map(|d| {
            (
                application_declarations::application_id.eq(id),
                application_declarations::requirement_code.eq(d.requirement_code.as_str()),
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

pub fn insert(conn: &mut DbConnection, app: &Application) -> Result<(), StoreError> {
    diesel::insert_into(applications::table)
        .values((
            applications::id.eq(app.id.to_string()),
            applications::tender_id.eq(app.tender_id.to_string()),
            applications::provider_id.eq(app.provider_id.to_string()),
            applications::status.eq(app.status.as_str()),
            applications::needs_confirmation.eq(app.needs_confirmation),
            applications::version.eq(app.version),
            applications::created_at.eq(to_db(app.created_at)),
            applications::updated_at.eq(to_db(app.updated_at)),
        ))
        .execute(conn)?;
    if let Some(r) = app.recording {
        diesel::insert_into(application_recordings::table)
            .values((
                application_recordings::application_id.eq(app.id.to_string()),
                application_recordings::channel.eq(r.channel.as_str()),
                application_recordings::received_at.eq(to_db(r.received_at)),
                application_recordings::recorded_by.eq(r.recorded_by.to_string()),
            ))
            .execute(conn)?;
    }
    write_offer(conn, app)
}

/// Saves a changed application if the stored version is still `loaded_version`, with what its
/// events changed besides the row: the offer, the admitted scope, integration requests.
pub fn save(
    conn: &mut DbConnection,
    app: &Application,
    loaded_version: i64,
    events: &[ApplicationEvent],
) -> Result<(), StoreError> {
    use ambito_domain::application::ApplicationChange as C;
    let outcome = app.outcome.as_ref();
    let changed = diesel::update(applications::table)
        .filter(applications::id.eq(app.id.to_string()))
        .filter(applications::version.eq(loaded_version))
        .set((
            applications::status.eq(app.status.as_str()),
            applications::needs_confirmation.eq(app.needs_confirmation),
            applications::protocol_number.eq(app.protocol_number.map(|p| p.to_string())),
            applications::submitted_at.eq(app.submitted_at.map(to_db)),
            applications::snapshot_sha256.eq(&app.snapshot_sha256),
            applications::decision_reason.eq(outcome.and_then(|o| o.reason).map(|r| r.as_str())),
            applications::decision_text.eq(outcome.and_then(|o| o.text.as_deref())),
            applications::decided_at.eq(outcome.map(|o| to_db(o.decided_at))),
            applications::decided_by.eq(outcome.and_then(|o| o.decided_by).map(|u| u.to_string())),
            applications::version.eq(app.version),
            applications::updated_at.eq(to_db(app.updated_at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    for event in events.iter().filter(|e| e.application_id == app.id) {
        match &event.change {
            C::Revised | C::Admitted { .. } => write_offer(conn, app)?,
            C::IntegrationRequested { integration_request_id, .. } => {
                let request = app
                    .integration_requests
                    .iter()
                    .find(|r| r.id == *integration_request_id)
                    .ok_or_else(|| StoreError::Corrupt("integration request".into()))?;
                diesel::insert_into(integration_requests::table)
                    .values((
                        integration_requests::id.eq(request.id.to_string()),
                        integration_requests::application_id.eq(app.id.to_string()),
                        integration_requests::missing.eq(&request.missing),
                        integration_requests::due_at.eq(to_db(request.due_at)),
                        integration_requests::requested_at.eq(to_db(request.requested_at)),
                        integration_requests::requested_by.eq(request.requested_by.map(|u| u.to_string())),
                    ))
                    .execute(conn)?;
            }
            C::IntegrationAnswered { .. } => {
                for request in &app.integration_requests {
                    diesel::update(
                        integration_requests::table.filter(integration_requests::id.eq(request.id.to_string())),
                    )
                    .set(integration_requests::answered_at.eq(request.answered_at.map(to_db)))
                    .execute(conn)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Marks the applications a submission replaced.
pub fn mark_replaced(conn: &mut DbConnection, ids: &[ApplicationId]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    diesel::update(applications::table.filter(applications::id.eq_any(&ids)))
        .set((
            applications::status.eq(ApplicationStatus::Replaced.as_str()),
            applications::version.eq(applications::version + 1),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn load(conn: &mut DbConnection, id: ApplicationId) -> Result<Application, StoreError> {
    let row: Row = applications::table.filter(applications::id.eq(id.to_string())).first(conn)?;
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]).
pub fn lock(conn: &mut DbConnection, id: ApplicationId) -> Result<Application, StoreError> {
    crate::lock_row(conn, "applications", &id.to_string())?;
    load(conn, id)
}

/// application id, id, missing, due, requested at, requested by, answered at
type IntegrationRow = (String, String, String, NaiveDateTime, NaiveDateTime, Option<String>, Option<NaiveDateTime>);

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Application>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut scope: Vec<(String, String, String, bool)> = Vec::new();
    let mut declarations: Vec<(String, String, bool, Option<String>)> = Vec::new();
    let mut integrations: Vec<IntegrationRow> = Vec::new();
    let mut recordings: Vec<(String, String, NaiveDateTime, String)> = Vec::new();
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
        recordings.extend(
            application_recordings::table.filter(application_recordings::application_id.eq_any(chunk)).load::<(
                String,
                String,
                NaiveDateTime,
                String,
            )>(
                conn
            )?,
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
                            intervention: stored("intervention", i.clone().try_into())?,
                            municipality: stored("istat code", IstatCode::parse(m))?,
                        })
                    })
                    .collect()
            };
            let outcome = match r.decided_at {
                Some(at) => Some(Outcome {
                    reason: r.decision_reason.as_deref().map(|s| stored("exclusion reason", s.parse())).transpose()?,
                    text: r.decision_text.clone(),
                    decided_at: from_db(at),
                    decided_by: r.decided_by.as_deref().map(|d| stored("decided by", d.parse())).transpose()?,
                }),
                None => None,
            };
            let recording = recordings
                .iter()
                .find(|(a, ..)| *a == r.id)
                .map(|(_, channel, at, by)| {
                    Ok::<_, StoreError>(Recording {
                        channel: stored("channel", channel.parse())?,
                        received_at: from_db(*at),
                        recorded_by: stored("recorded by", by.parse())?,
                    })
                })
                .transpose()?;
            Ok(Application {
                id: stored("application id", r.id.parse())?,
                tender_id: stored("tender id", r.tender_id.parse())?,
                provider_id: stored("provider id", r.provider_id.parse())?,
                recording,
                status: stored("application status", r.status.parse())?,
                needs_confirmation: r.needs_confirmation,
                offered: items(false)?,
                admitted: items(true)?,
                declarations: declarations
                    .iter()
                    .filter(|(a, ..)| *a == r.id)
                    .map(|(_, code, accepted, note)| {
                        Ok(Declaration {
                            requirement_code: stored("requirement", code.clone().try_into())?,
                            accepted: *accepted,
                            note: note.clone(),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                protocol_number: r
                    .protocol_number
                    .as_deref()
                    .map(|p| stored("protocol number", p.parse()))
                    .transpose()?,
                submitted_at: r.submitted_at.map(from_db),
                snapshot_sha256: r.snapshot_sha256,
                outcome,
                integration_requests: integrations
                    .iter()
                    .filter(|(a, ..)| *a == r.id)
                    .map(|(_, id, missing, due, at, by, answered)| {
                        Ok(IntegrationRequest {
                            id: stored("integration id", id.parse())?,
                            missing: missing.clone(),
                            due_at: from_db(*due),
                            requested_at: from_db(*at),
                            requested_by: by.as_deref().map(|b| stored("requested by", b.parse())).transpose()?,
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

/// The applications of a call that `scope` shows, in creation order.
/// Which applications a list holds, within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// One call's only.
    pub tender_id: Option<TenderId>,
    /// Only calls this authority issues.
    pub issuer: Option<OrganizationId>,
    pub status: Option<ApplicationStatus>,
    pub sort: ApplicationSort,
}

/// The order of a list of applications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplicationSort {
    /// Oldest first, by creation.
    #[default]
    Created,
    /// First received first; those never submitted (drafts) last, oldest first.
    Submitted,
}

/// The cursor of a list by submission: the instant and id of the last application seen, or
/// `-|id` once among the never submitted.
fn submitted_key(a: &Application) -> String {
    match a.submitted_at {
        Some(at) => instant_key(at, a.id),
        None => format!("{NEVER}|{}", a.id),
    }
}

const NEVER: &str = "-";

/// Whether `cursor` is one a list in `sort` order gave out.
pub fn valid_cursor(sort: ApplicationSort, cursor: &str) -> bool {
    match sort {
        ApplicationSort::Created => true,
        ApplicationSort::Submitted => {
            split_instant_key(cursor).is_some() || cursor.split_once('|').is_some_and(|(at, _)| at == NEVER)
        }
    }
}

pub fn list(
    conn: &mut DbConnection,
    scope: ApplicationScope,
    filter: &ApplicationFilter,
    page: &Page,
) -> Result<Paged<Application>, StoreError> {
    let draft = ApplicationStatus::Draft.as_str();
    let mut query = applications::table.into_boxed();
    if let Some(tender_id) = filter.tender_id {
        query = query.filter(applications::tender_id.eq(tender_id.to_string()));
    }
    if let Some(issuer) = filter.issuer {
        let issued = crate::schema::tender_authorities::table
            .filter(crate::schema::tender_authorities::authority_id.eq(issuer.to_string()))
            .select(crate::schema::tender_authorities::tender_id);
        query = query.filter(applications::tender_id.eq_any(issued));
    }
    match scope {
        ApplicationScope::Provider(p) => {
            let recorded = application_recordings::table.select(application_recordings::application_id);
            query = query
                .filter(applications::provider_id.eq(p.to_string()))
                .filter(applications::status.ne(draft).or(applications::id.ne_all(recorded)));
        }
        ApplicationScope::Received { recorded_drafts: true } => {
            let recorded = application_recordings::table.select(application_recordings::application_id);
            query = query.filter(applications::status.ne(draft).or(applications::id.eq_any(recorded)));
        }
        ApplicationScope::Received { recorded_drafts: false } => query = query.filter(applications::status.ne(draft)),
    }
    if let Some(s) = filter.status {
        query = query.filter(applications::status.eq(s.as_str()));
    }
    let rows: Vec<Row> = match filter.sort {
        ApplicationSort::Created => {
            if let Some(after) = &page.after {
                query = query.filter(applications::id.gt(after.clone()));
            }
            query.order(applications::id.asc()).limit(page.fetch()).load(conn)?
        }
        ApplicationSort::Submitted => {
            let submitted = applications::submitted_at;
            match page.after.as_deref().map(|a| (a, split_instant_key(a))) {
                None => {}
                Some((_, Some((at, id)))) => {
                    query = query.filter(
                        submitted
                            .gt(at)
                            .or(submitted.eq(at).and(applications::id.gt(id.to_owned())))
                            .or(submitted.is_null()),
                    );
                }
                Some((after, None)) => {
                    let id = after
                        .strip_prefix(NEVER)
                        .and_then(|rest| rest.strip_prefix('|'))
                        .ok_or_else(|| StoreError::Corrupt("a submission cursor".into()))?;
                    query = query.filter(submitted.is_null()).filter(applications::id.gt(id.to_owned()));
                }
            }
            // Both databases place NULL differently; ordering by "is it missing" first puts
            // the never submitted last on both.
            query
                .order((submitted.is_null().asc(), submitted.asc(), applications::id.asc()))
                .limit(page.fetch())
                .load(conn)?
        }
    };
    let list = assemble(conn, rows)?;
    Ok(match filter.sort {
        ApplicationSort::Created => page.finish(list, |a| a.id.to_string()),
        ApplicationSort::Submitted => page.finish(list, submitted_key),
    })
}

/// A provider's applications to a call in one of `statuses`: what a submission may replace.
pub fn of_provider(
    conn: &mut DbConnection,
    tender_id: TenderId,
    provider: OrganizationId,
    statuses: &[ApplicationStatus],
) -> Result<Vec<(ApplicationId, ApplicationStatus)>, StoreError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let rows: Vec<(String, String)> = applications::table
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::provider_id.eq(provider.to_string()))
        .filter(applications::status.eq_any(statuses))
        .select((applications::id, applications::status))
        .load(conn)?;
    rows.into_iter().map(|(id, s)| Ok((stored("application id", id.parse())?, stored("status", s.parse())?))).collect()
}

/// How many applications of a call are in one of `statuses`.
pub fn count_in(
    conn: &mut DbConnection,
    tender_id: TenderId,
    statuses: &[ApplicationStatus],
) -> Result<usize, StoreError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let n: i64 = applications::table
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::status.eq_any(statuses))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Asks every application of a call in one of `statuses` to be confirmed.
pub fn require_confirmation(
    conn: &mut DbConnection,
    tender_id: TenderId,
    statuses: &[ApplicationStatus],
) -> Result<usize, StoreError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    Ok(diesel::update(applications::table)
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::status.eq_any(statuses))
        .set((applications::needs_confirmation.eq(true), applications::version.eq(applications::version + 1)))
        .execute(conn)?)
}

/// The admitted items of a call's admitted applications.
pub fn admitted(conn: &mut DbConnection, tender_id: TenderId) -> Result<Vec<Admission>, StoreError> {
    let rows: Vec<(String, String, String, String)> = application_scope::table
        .inner_join(applications::table.on(applications::id.eq(application_scope::application_id)))
        .filter(applications::tender_id.eq(tender_id.to_string()))
        .filter(applications::status.eq(ApplicationStatus::Admitted.as_str()))
        .filter(application_scope::admitted.eq(true))
        .order((applications::provider_id, application_scope::intervention_code, application_scope::istat_code))
        .select((
            applications::provider_id,
            applications::id,
            application_scope::intervention_code,
            application_scope::istat_code,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(p, a, i, m)| {
            Ok(Admission {
                application_id: stored("application", a.parse())?,
                provider_id: stored("provider", p.parse())?,
                item: ScopeItem {
                    intervention: stored("intervention", i.try_into())?,
                    municipality: stored("istat", IstatCode::parse(&m))?,
                },
            })
        })
        .collect()
}

/// The next protocol number of an authority for a year. Gap-free: it is taken in the caller's
/// transaction, so a rolled-back submission gives its number back; the row lock (PostgreSQL) or
/// the write lock (SQLite) makes concurrent submissions wait their turn.
pub fn next_protocol(
    conn: &mut DbConnection,
    authority: OrganizationId,
    year: i32,
) -> Result<ProtocolNumber, StoreError> {
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

pub fn insert_receipt(conn: &mut DbConnection, r: &Receipt) -> Result<(), StoreError> {
    diesel::insert_into(submissions::table)
        .values((
            submissions::id.eq(r.id.to_string()),
            submissions::application_id.eq(r.application_id.to_string()),
            submissions::kind.eq(r.kind.as_str()),
            submissions::authority_id.eq(r.authority_id.to_string()),
            submissions::protocol_year.eq(r.protocol_number.year),
            submissions::protocol_sequence.eq(r.protocol_number.sequence),
            submissions::protocol_number.eq(r.protocol_number.to_string()),
            submissions::received_at.eq(to_db(r.received_at)),
            submissions::snapshot_json.eq(&r.snapshot),
            submissions::sha256.eq(&r.sha256),
        ))
        .execute(conn)?;
    Ok(())
}

/// The receipts of an application, oldest first.
pub fn receipts(conn: &mut DbConnection, id: ApplicationId, page: &Page) -> Result<Paged<Receipt>, StoreError> {
    let mut query = submissions::table.filter(submissions::application_id.eq(id.to_string())).into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(submissions::id.gt(after.clone()));
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime, String)> = query
        .order(submissions::id.asc())
        .limit(page.fetch())
        .select((
            submissions::id,
            submissions::kind,
            submissions::protocol_number,
            submissions::authority_id,
            submissions::received_at,
            submissions::sha256,
        ))
        .load(conn)?;
    let list = rows
        .into_iter()
        .map(|(receipt, kind, protocol_number, authority, at, sha256)| {
            Ok(Receipt {
                id: stored("receipt id", receipt.parse())?,
                application_id: id,
                kind: stored("receipt kind", kind.parse())?,
                protocol_number: stored("protocol number", protocol_number.parse())?,
                authority_id: stored("authority", authority.parse())?,
                received_at: from_db(at),
                sha256,
                snapshot: String::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(page.finish(list, |r| r.id.to_string()))
}
