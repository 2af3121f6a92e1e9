//! The append-only audit trail: who changed what, when, with the record before and after.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::audit_events;
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored_id, to_db};

/// Who is acting, carried into every change so the audit trail can name them.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub request_id: Option<String>,
}

impl Actor {
    /// A change made by the service itself (migrations, demo data, the command line).
    pub fn system() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_organization_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
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
}

/// Records one change; call it inside the transaction that makes the change.
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), StoreError> {
    let row = Row {
        id: Uuid::now_v7().to_string(),
        occurred_at: to_db(crate::now()),
        actor_user_id: actor.user_id.map(|u| u.to_string()),
        actor_organization_id: actor.organization_id.map(|u| u.to_string()),
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id: entity_id.to_owned(),
        before_json: before.map(|b| serde_json::to_string(b).expect("records serialize")),
        after_json: after.map(|a| serde_json::to_string(a).expect("records serialize")),
        request_id: actor.request_id.clone(),
    };
    diesel::insert_into(audit_events::table).values(&row).execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_user_id: Option<Uuid>,
}

/// The trail in the order it was written (event ids are time-ordered UUIDs).
pub fn list(conn: &mut DbConnection, filter: &AuditFilter, page: &Page) -> Result<Paged<AuditEvent>, StoreError> {
    let mut query = audit_events::table.into_boxed();
    if let Some(t) = &filter.entity_type {
        query = query.filter(audit_events::entity_type.eq(t.clone()));
    }
    if let Some(id) = &filter.entity_id {
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
        v.map(|s| crate::stored("audit json", serde_json::from_str(&s))).transpose()
    };
    Ok(AuditEvent {
        id: stored_id("audit id", &row.id)?,
        occurred_at: from_db(row.occurred_at),
        actor_user_id: row.actor_user_id.as_deref().map(|u| stored_id("actor", u)).transpose()?,
        actor_organization_id: row
            .actor_organization_id
            .as_deref()
            .map(|u| stored_id("actor organization", u))
            .transpose()?,
        action: row.action,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        before: parse(row.before_json)?,
        after: parse(row.after_json)?,
        request_id: row.request_id,
    })
}
