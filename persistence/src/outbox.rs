//! The event outbox. Every change appends its typed event here, in its own transaction, with
//! the audit entry beside it; the change feed, and later webhooks, notices and OCDS releases,
//! read from here, so nothing is announced that did not commit and nothing committed is missed.
//!
//! Sequence numbers are gap-free and follow commit order: appending takes a lock held until the
//! transaction ends (PostgreSQL: a transaction-scoped advisory lock; SQLite has one writer
//! anyway), so an event numbered n+1 never becomes visible before event n. A reader following
//! `seq` by cursor, across restarts and several API processes, sees every event exactly once.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::audit::{self, Origin, Snapshots};
use crate::schema::{event_readers, events};
use crate::{DbConnection, StoreError, from_db, stored, stored_id, to_db};
use ambito_domain::OrganizationId;
use ambito_domain::event::{DomainEvent, EventName, Subject};

/// The advisory lock key that orders event appends on PostgreSQL.
const EVENT_LOCK: i64 = crate::db::advisory::EVENTS;

/// Appends one event with its audit entry; answers its sequence number.
pub fn record(
    conn: &mut DbConnection,
    origin: &Origin,
    now: DateTime<Utc>,
    event: &dyn DomainEvent,
    snapshots: Snapshots,
) -> Result<i64, StoreError> {
    let seq = append(conn, origin, now, &[event])?;
    audit::record(conn, origin, event.name(), event.subject(), snapshots, seq)?;
    Ok(seq)
}

/// Appends several events of one change (a conclusion's accreditations, the applications a
/// submission replaces), each with an audit entry without snapshots.
pub fn record_all(
    conn: &mut DbConnection,
    origin: &Origin,
    now: DateTime<Utc>,
    events: &[&dyn DomainEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let first = append(conn, origin, now, events)?;
    for (seq, event) in (first..).zip(events) {
        audit::record(conn, origin, event.name(), event.subject(), Snapshots::none(), seq)?;
    }
    Ok(())
}

/// Writes the events with consecutive numbers after the last one; answers the first number.
fn append(
    conn: &mut DbConnection,
    origin: &Origin,
    now: DateTime<Utc>,
    list: &[&dyn DomainEvent],
) -> Result<i64, StoreError> {
    if let DbConnection::Postgresql(c) = &mut *conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({EVENT_LOCK})")).execute(c)?;
    }
    let last: Option<i64> = events::table.select(diesel::dsl::max(events::seq)).get_result(conn)?;
    let first = last.unwrap_or(0) + 1;
    let occurred_at = to_db(now);
    let rows: Vec<_> = (first..)
        .zip(list)
        .map(|(seq, e)| {
            let subject = e.subject();
            (
                events::seq.eq(seq),
                events::id.eq(Uuid::now_v7().to_string()),
                events::name.eq(e.name().as_str()),
                events::subject_type.eq(subject.kind.as_str()),
                events::subject_id.eq(subject.id.to_string()),
                events::payload.eq(e.payload().to_string()),
                events::public.eq(e.readers().public),
                events::occurred_at.eq(occurred_at),
                events::actor_user_id.eq(origin.user_id.map(|u| u.to_string())),
                events::actor_organization_id.eq(origin.organization_id.map(|o| o.to_string())),
                events::request_id.eq(origin.request_id.clone()),
            )
        })
        .collect();
    for chunk in rows.chunks(200) {
        crate::on_backend!(conn, |c| diesel::insert_into(events::table).values(chunk).execute(c))?;
    }
    let readers: Vec<_> = (first..)
        .zip(list)
        .flat_map(|(seq, e)| {
            let readers = e.readers();
            let organizations = if readers.public { Vec::new() } else { readers.organizations };
            organizations
                .into_iter()
                .map(move |o| (event_readers::organization_id.eq(o.to_string()), event_readers::seq.eq(seq)))
        })
        .collect();
    for chunk in readers.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(event_readers::table).values(chunk).execute(c))?;
    }
    Ok(first)
}

/// The newest event's number and instant: how far the outbox has come, for metrics.
pub fn head(conn: &mut DbConnection) -> Result<Option<(i64, DateTime<Utc>)>, StoreError> {
    let row: Option<(i64, NaiveDateTime)> =
        events::table.order(events::seq.desc()).select((events::seq, events::occurred_at)).first(conn).optional()?;
    Ok(row.map(|(seq, at)| (seq, from_db(at))))
}

/// An event as the feed shows it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: Uuid,
    pub name: EventName,
    pub subject: Subject,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

type Row = (i64, String, String, String, String, String, NaiveDateTime);

/// The events after `after` that `reader` may read (every event when `None`: admins), in order.
pub fn feed(
    conn: &mut DbConnection,
    reader: Option<OrganizationId>,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut query = events::table.filter(events::seq.gt(after)).into_boxed();
    if let Some(org) = reader {
        let readable =
            event_readers::table.filter(event_readers::organization_id.eq(org.to_string())).select(event_readers::seq);
        query = query.filter(events::public.eq(true).or(events::seq.eq_any(readable)));
    }
    let rows: Vec<Row> = query
        .order(events::seq.asc())
        .limit(limit)
        .select((
            events::seq,
            events::id,
            events::name,
            events::subject_type,
            events::subject_id,
            events::payload,
            events::occurred_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, id, name, kind, subject, payload, at)| {
            Ok(StoredEvent {
                seq,
                id: stored_id("event id", &id)?,
                name: stored("event name", name.parse())?,
                subject: Subject {
                    kind: stored("event subject", kind.parse())?,
                    id: stored_id("event subject id", &subject)?,
                },
                payload: stored("event payload", serde_json::from_str(&payload))?,
                occurred_at: from_db(at),
            })
        })
        .collect()
}
