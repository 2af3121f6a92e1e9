//! The audit trail, for admins.

use actix_web::{HttpResponse, get, web};
use ambito_domain::event::SubjectKind;
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
    #[serde(serialize_with = "crate::time::rome")]
    pub occurred_at: DateTime<Utc>,
    /// Absent for changes made by the service itself (demo data, the command line).
    pub actor_user_id: Option<Uuid>,
    pub actor_organization_id: Option<Uuid>,
    /// The event of the change, as named in the feed.
    #[schema(example = "organization.updated")]
    pub action: String,
    #[schema(example = "organization")]
    pub entity_type: String,
    pub entity_id: String,
    /// The record before the change; absent for creations. Its instants in Rome time, like
    /// every view's.
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
            actor_user_id: e.actor_user_id.map(Into::into),
            actor_organization_id: e.actor_organization_id.map(Into::into),
            action: e.action.as_str().to_owned(),
            entity_type: e.subject.kind.as_str().to_owned(),
            entity_id: e.subject.id.to_string(),
            before: e.before.map(crate::time::rome_in_json),
            after: e.after.map(crate::time::rome_in_json),
            request_id: e.request_id,
        }
    }
}

/// What an audit entry is about.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityTypeView {
    Organization,
    User,
    District,
    Tender,
    Question,
    Application,
    Accreditation,
}

impl From<EntityTypeView> for SubjectKind {
    fn from(e: EntityTypeView) -> Self {
        match e {
            EntityTypeView::Organization => Self::Organization,
            EntityTypeView::User => Self::User,
            EntityTypeView::District => Self::District,
            EntityTypeView::Tender => Self::Tender,
            EntityTypeView::Question => Self::Question,
            EntityTypeView::Application => Self::Application,
            EntityTypeView::Accreditation => Self::Accreditation,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[param(inline)]
    pub entity_type: Option<EntityTypeView>,
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
    crate::pagination::bounded("entity_id", query.entity_id.as_deref(), 64)?;
    let filter = AuditFilter {
        subject_kind: query.entity_type.map(Into::into),
        subject_id: query.entity_id,
        actor_user_id: query.actor_user_id.map(Into::into),
    };
    let paged = state.read(move |conn| Ok(audit::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, AuditEventView::from)))
}
