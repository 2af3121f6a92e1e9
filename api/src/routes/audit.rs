//! The audit trail, for admins.

use actix_web::{HttpResponse, get, web};
use ambito_persistence::audit::{self, AuditEvent, AuditFilter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ReadErrors;
use crate::pagination::{Listing, PageQuery};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// Absent for changes made by the service itself (demo data, the command line).
    pub actor_user_id: Option<Uuid>,
    pub actor_organization_id: Option<Uuid>,
    #[schema(example = "organization.updated")]
    pub action: String,
    #[schema(example = "organization")]
    pub entity_type: String,
    pub entity_id: String,
    /// The record before the change; absent for creations.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor_user_id: e.actor_user_id,
            actor_organization_id: e.actor_organization_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Such as `organization`, `user`, `district`.
    #[param(max_length = 64)]
    pub entity_type: Option<String>,
    #[param(max_length = 64)]
    pub entity_id: Option<String>,
    pub actor_user_id: Option<Uuid>,
}

/// List audit events
///
/// Admins only. Every change, oldest first, with who made it and the record before and after.
#[utoipa::path(
    tag = "audit",
    params(PageQuery, AuditQuery),
    responses((status = 200, description = "One page of events", body = Listing<AuditEventView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let page = page.page()?;
    let query = query.into_inner();
    crate::pagination::bounded("entity_type", query.entity_type.as_deref(), 64)?;
    crate::pagination::bounded("entity_id", query.entity_id.as_deref(), 64)?;
    let filter =
        AuditFilter { entity_type: query.entity_type, entity_id: query.entity_id, actor_user_id: query.actor_user_id };
    let paged = state.read(move |conn| Ok(audit::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AuditEventView::from)))
}
