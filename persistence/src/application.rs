//! Applications: loads and saves the domain's `Application`, its receipts and the protocol
//! registers. The rules live in `ambito_domain::application`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::children::{Child, Children};
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
    // A unique key: no `.first()`, whose bound `LIMIT` SQLite re-prepares on every binding.
    let row: Row = applications::table.filter(applications::id.eq(id.to_string())).get_result(conn)?;
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

/// Loads it with its call's issuing authorities, in order (what the access policy needs), in
/// two statements.
pub fn load_with_issuers(
    conn: &mut DbConnection,
    id: ApplicationId,
) -> Result<(Application, Vec<OrganizationId>), StoreError> {
    let row: Row = applications::table.filter(applications::id.eq(id.to_string())).get_result(conn)?;
    let ids = [row.id.as_str()];
    let children = Children::<ApplicationChildrenAndIssuers>::new(CHILDREN_AND_ISSUERS, &ids).load(conn)?;
    let issuers = children
        .iter()
        .filter(|c| c.kind == "x")
        .map(|c| stored("authority", c.text(&c.s1, "authority")?.parse()))
        .collect::<Result<_, StoreError>>()?;
    let mut all = assemble_from(vec![row], &children)?;
    Ok((all.remove(0), issuers))
}

/// Loads it for a change, its row locked until the transaction ends (see [`crate::lock_row`]):
/// on PostgreSQL the read itself takes the lock.
pub fn lock(conn: &mut DbConnection, id: ApplicationId) -> Result<Application, StoreError> {
    let query = applications::table.filter(applications::id.eq(id.to_string()));
    let row: Row = match conn {
        DbConnection::Postgresql(c) => query.for_update().get_result(c)?,
        DbConnection::Sqlite(c) => query.get_result(c)?,
    };
    let mut all = assemble(conn, vec![row])?;
    Ok(all.remove(0))
}

/// Identify the statements of an application's child tables in the statement caches.
struct ApplicationChildren;
struct ApplicationChildrenAndIssuers;

/// An application's child tables in one statement (see [`crate::children`]): its recording
/// (`c`), declarations (`d`), integration requests (`g`) and scope (`s`).
const CHILDREN: &[&str] = &[
    "SELECT application_id, 'c', CAST(NULL AS BIGINT), channel, recorded_by, CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), received_at, CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM application_recordings WHERE application_id",
    "SELECT application_id, 'd', CAST(NULL AS BIGINT), requirement_code, note, CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), accepted, CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM application_declarations WHERE application_id",
    "SELECT application_id, 'g', CAST(NULL AS BIGINT), id, missing, requested_by, CAST(NULL AS TEXT), \
     CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), due_at, requested_at, answered_at, CAST(NULL AS TIMESTAMP) \
     FROM integration_requests WHERE application_id",
    "SELECT application_id, 's', CAST(NULL AS BIGINT), intervention_code, istat_code, CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), admitted, CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) FROM application_scope WHERE application_id",
];

/// [`CHILDREN`] and the issuing authorities of the application's call (`x`).
const CHILDREN_AND_ISSUERS: &[&str] = &[
    CHILDREN[0],
    CHILDREN[1],
    CHILDREN[2],
    CHILDREN[3],
    "SELECT a.id, 'x', CAST(t.position AS BIGINT), t.authority_id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
     CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP), \
     CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP) \
     FROM applications a JOIN tender_authorities t ON t.tender_id = a.tender_id WHERE a.id",
];

fn assemble(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Application>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let children = Children::<ApplicationChildren>::new(CHILDREN, &ids).load(conn)?;
    assemble_from(rows, &children)
}

fn assemble_from(rows: Vec<Row>, children: &[Child]) -> Result<Vec<Application>, StoreError> {
    let of_kind = |owner: &str, kind: &'static str| {
        let owner = owner.to_owned();
        children.iter().filter(move |c| c.owner == owner && c.kind == kind)
    };
    rows.into_iter()
        .map(|r| {
            let items = |admitted_only: bool| -> Result<Vec<ScopeItem>, StoreError> {
                of_kind(&r.id, "s")
                    .filter(|c| !admitted_only || c.b == Some(true))
                    .map(|c| {
                        Ok(ScopeItem {
                            intervention: stored("intervention", c.text(&c.s1, "intervention")?.try_into())?,
                            municipality: stored("istat code", IstatCode::parse(&c.text(&c.s2, "municipality")?))?,
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
            let recording = of_kind(&r.id, "c")
                .next()
                .map(|c| {
                    Ok::<_, StoreError>(Recording {
                        channel: stored("channel", c.text(&c.s1, "channel")?.parse())?,
                        received_at: from_db(c.instant(c.t1, "receipt")?),
                        recorded_by: stored("recorded by", c.text(&c.s2, "recorded by")?.parse())?,
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
                declarations: of_kind(&r.id, "d")
                    .map(|c| {
                        Ok(Declaration {
                            requirement_code: stored("requirement", c.text(&c.s1, "requirement")?.try_into())?,
                            accepted: c.b.unwrap_or(false),
                            note: c.s2.clone(),
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
                integration_requests: of_kind(&r.id, "g")
                    .map(|c| {
                        Ok(IntegrationRequest {
                            id: stored("integration id", c.text(&c.s1, "integration id")?.parse())?,
                            missing: c.text(&c.s2, "missing")?,
                            due_at: from_db(c.instant(c.t1, "due")?),
                            requested_at: from_db(c.instant(c.t2, "requested at")?),
                            requested_by: c.s3.as_deref().map(|b| stored("requested by", b.parse())).transpose()?,
                            answered_at: c.t3.map(from_db),
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
    // One statement: the first number of a year inserts the counter, later ones move it on;
    // on PostgreSQL the conflicting row stays locked until the transaction ends.
    let sequence: i64 = crate::on_backend!(conn, |c| diesel::insert_into(protocol_counters::table)
        .values((
            protocol_counters::authority_id.eq(&key),
            protocol_counters::year.eq(year),
            protocol_counters::last_number.eq(1i64),
        ))
        .on_conflict((protocol_counters::authority_id, protocol_counters::year))
        .do_update()
        .set(protocol_counters::last_number.eq(protocol_counters::last_number + 1))
        .returning(protocol_counters::last_number)
        .get_result(c))?;
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
