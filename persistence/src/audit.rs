//! The append-only audit trail: who changed what, when, with the record before and after. Each
//! entry is written beside the event of the change, with the same typed action.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::audit_events;
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, stored_id, to_db};
use ambito_domain::event::{EventName, Subject, SubjectKind};
use ambito_domain::{Actor, OrganizationId, UserId};

/// Where a change comes from, carried into every change so the trail can name who and which
/// request.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_id: Option<UserId>,
    pub organization_id: Option<OrganizationId>,
    pub request_id: Option<String>,
}

impl Origin {
    /// A change made by the service itself (migrations, demo data, the command line).
    pub fn system() -> Self {
        Self::default()
    }

    pub fn of(actor: &Actor, request_id: Option<String>) -> Self {
        Self { user_id: Some(actor.user), organization_id: Some(actor.organization), request_id }
    }
}

/// The record before and after a change, as JSON.
#[derive(Debug, Clone, Default)]
pub struct Snapshots {
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Snapshots {
    fn json(value: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(value).expect("records serialize")
    }

    pub fn created(after: &impl serde::Serialize) -> Self {
        Self { before: None, after: Some(Self::json(after)) }
    }

    pub fn changed(before: &impl serde::Serialize, after: &impl serde::Serialize) -> Self {
        Self { before: Some(Self::json(before)), after: Some(Self::json(after)) }
    }

    pub fn none() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<UserId>,
    pub actor_organization_id: Option<OrganizationId>,
    pub action: EventName,
    pub subject: Subject,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    /// The event of the change in the feed.
    pub event_seq: Option<i64>,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = audit_events)]
struct Row {
    id: String,
    occurred_at: chrono::NaiveDateTime,
    actor_user_id: Option<String>,
    actor_organization_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
    event_seq: Option<i64>,
}

/// Records one change; called by [`crate::outbox::record`] inside the transaction of the change.
pub(crate) fn record(
    conn: &mut DbConnection,
    origin: &Origin,
    action: EventName,
    subject: Subject,
    snapshots: Snapshots,
    event_seq: i64,
) -> Result<(), StoreError> {
    let row = Row {
        id: Uuid::now_v7().to_string(),
        occurred_at: to_db(crate::now()),
        actor_user_id: origin.user_id.map(|u| u.to_string()),
        actor_organization_id: origin.organization_id.map(|u| u.to_string()),
        action: action.as_str().to_owned(),
        entity_type: subject.kind.as_str().to_owned(),
        entity_id: subject.id.to_string(),
        before_json: snapshots.before.map(|b| b.to_string()),
        after_json: snapshots.after.map(|a| a.to_string()),
        request_id: origin.request_id.clone(),
        event_seq: Some(event_seq),
    };
    diesel::insert_into(audit_events::table).values(&row).execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<String>,
    pub actor_user_id: Option<UserId>,
}

/// The trail in the order it was written (entry ids are time-ordered UUIDs).
pub fn list(conn: &mut DbConnection, filter: &AuditFilter, page: &Page) -> Result<Paged<AuditEvent>, StoreError> {
    let mut query = audit_events::table.into_boxed();
    if let Some(t) = filter.subject_kind {
        query = query.filter(audit_events::entity_type.eq(t.as_str()));
    }
    if let Some(id) = &filter.subject_id {
        query = query.filter(audit_events::entity_id.eq(id.clone()));
    }
    if let Some(user) = filter.actor_user_id {
        query = query.filter(audit_events::actor_user_id.eq(user.to_string()));
    }
    if let Some(after) = &page.after {
        query = query.filter(audit_events::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(audit_events::id.asc()).limit(page.fetch()).load(conn)?;
    let events = rows.into_iter().map(to_event).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(events, |e| e.id.to_string()))
}

fn to_event(row: Row) -> Result<AuditEvent, StoreError> {
    let parse = |v: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
        v.map(|s| stored("audit json", serde_json::from_str(&s))).transpose()
    };
    Ok(AuditEvent {
        id: stored_id("audit id", &row.id)?,
        occurred_at: from_db(row.occurred_at),
        actor_user_id: row.actor_user_id.as_deref().map(|u| stored("actor", u.parse())).transpose()?,
        actor_organization_id: row
            .actor_organization_id
            .as_deref()
            .map(|u| stored("actor organization", u.parse()))
            .transpose()?,
        action: stored("audit action", row.action.parse())?,
        subject: Subject {
            kind: stored("audit entity type", row.entity_type.parse())?,
            id: stored_id("audit entity id", &row.entity_id)?,
        },
        before: parse(row.before_json)?,
        after: parse(row.after_json)?,
        request_id: row.request_id,
        event_seq: row.event_seq,
    })
}
