//! The change feed: every committed event the caller's organization may read, in commit order,
//! by cursor. An integrator polls `GET /api/v1/events?after=<next_after>` and sees each change
//! once, with no gaps, across restarts and several API processes.

use actix_web::{HttpResponse, get, web};
use ambito_domain::access;
use ambito_persistence::outbox::{self, StoredEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ReadErrors;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_after` of the previous page: the sequence number of the last event seen
    /// (0, or left out, to start from the beginning).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// How many events to return, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// What an event is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    #[serde(rename = "type")]
    #[schema(example = "application")]
    pub kind: String,
    pub id: Uuid,
}

/// One change. Events carry ids and codes, never personal data: fetch the rest with your token.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Position in the feed: gap-free and in commit order.
    #[schema(example = 42)]
    pub seq: i64,
    pub id: Uuid,
    #[schema(example = "application.submitted")]
    pub name: String,
    pub subject: SubjectView,
    /// Its instants in Rome time, like every view's.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[serde(serialize_with = "crate::time::rome")]
    pub occurred_at: DateTime<Utc>,
}

impl From<StoredEvent> for EventView {
    fn from(e: StoredEvent) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            name: e.name.as_str().to_owned(),
            subject: SubjectView { kind: e.subject.kind.as_str().to_owned(), id: e.subject.id },
            payload: crate::time::rome_in_json(e.payload),
            occurred_at: e.occurred_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// Pass as `after` for the next page; equal to `after` when nothing new has happened.
    pub next_after: i64,
}

/// Follow the change feed
///
/// Every event the caller's organization may read (admins: every event), oldest first, after
/// the cursor `after`. Poll with the last `next_after` to see each change exactly once.
#[utoipa::path(
    tag = "events",
    params(FeedQuery),
    responses((status = 200, description = "One page of events", body = EventPage), ReadErrors),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("invalid_query", "after is a sequence number, 0 or more"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let reader = access::event_scope(&caller.actor);
    let events = state.read(move |tx| Ok(outbox::feed(tx, reader, after, i64::from(limit))?)).await?;
    let next_after = events.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(EventPage { items: events.into_iter().map(Into::into).collect(), next_after }))
}
