//! Organizations: authorities, providers, municipalities. Admins manage them; every other user
//! sees their own organization only.

use actix_web::{HttpResponse, get, patch, post, web};
use ambito_domain::access::{self, RecordAction};
use ambito_domain::{EmailAddress, Invalid, Name, NewOrganization, OrganizationFields, OrganizationKind};
use ambito_persistence::organization::{self, Organization, OrganizationFilter, OrganizationPatch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::conditional::{IfMatch, ok_with_etag, precondition};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{CreateErrors, IdempotencyHeader, IfMatchRequired, ReadErrors, UpdateErrors};
use crate::pagination::{Listing, PageQuery};
use crate::{AppState, parse_field};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    pub kind: OrganizationKindView,
    #[schema(example = "Consorzio Casalasco Servizi Sociali")]
    pub name: String,
    /// 11 digits for organizations.
    #[schema(example = "90011610196")]
    pub codice_fiscale: Option<String>,
    #[schema(example = "01234567897")]
    pub partita_iva: Option<String>,
    /// Certified e-mail (PEC) address.
    #[schema(example = "concass@pec.it")]
    pub pec: Option<String>,
    /// The comune's ISTAT code, for a municipality.
    #[schema(example = "019021")]
    pub istat_code: Option<String>,
    pub active: bool,
    /// Increases with every change; sent as the `ETag`.
    pub version: i64,
    #[serde(serialize_with = "crate::time::rome")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome")]
    pub updated_at: DateTime<Utc>,
}

/// The kind of an organization, which fixes the role of its members.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKindView {
    Platform,
    Authority,
    Provider,
    Municipality,
}

impl From<OrganizationKind> for OrganizationKindView {
    fn from(k: OrganizationKind) -> Self {
        match k {
            OrganizationKind::Platform => Self::Platform,
            OrganizationKind::Authority => Self::Authority,
            OrganizationKind::Provider => Self::Provider,
            OrganizationKind::Municipality => Self::Municipality,
        }
    }
}

impl From<OrganizationKindView> for OrganizationKind {
    fn from(k: OrganizationKindView) -> Self {
        match k {
            OrganizationKindView::Platform => Self::Platform,
            OrganizationKindView::Authority => Self::Authority,
            OrganizationKindView::Provider => Self::Provider,
            OrganizationKindView::Municipality => Self::Municipality,
        }
    }
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.into(),
            kind: o.kind.into(),
            name: o.name,
            codice_fiscale: o.codice_fiscale.map(String::from),
            partita_iva: o.partita_iva.map(String::from),
            pec: o.pec.map(String::from),
            istat_code: o.istat_code.map(String::from),
            active: o.active,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A new organization. Authorities and providers need an 11-digit codice fiscale and a PEC
/// address; providers also a partita IVA; municipalities their ISTAT code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "provider",
    "name": "Cooperativa Sociale Il Girasole",
    "codice_fiscale": "01234567897",
    "partita_iva": "01234567897",
    "pec": "girasole@pec.it"
}))]
pub struct CreateOrganization {
    pub kind: OrganizationKindView,
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    #[schema(max_length = 16)]
    pub codice_fiscale: Option<String>,
    #[schema(max_length = 13)]
    pub partita_iva: Option<String>,
    #[schema(max_length = 254, format = Email)]
    pub pec: Option<String>,
    #[schema(pattern = "^[0-9]{6}$")]
    pub istat_code: Option<String>,
}

/// The fields that can change; those left out stay as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Consorzio Casalasco Servizi Sociali", "active": true}))]
pub struct UpdateOrganization {
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 254, format = Email)]
    pub pec: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only organizations of this kind.
    pub kind: Option<OrganizationKindView>,
}

/// List organizations
///
/// Admins see every organization; everyone else sees their own.
#[utoipa::path(
    tag = "organizations",
    params(PageQuery, OrganizationQuery),
    responses((status = 200, description = "One page of organizations", body = Listing<OrganizationView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<OrganizationQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let filter = OrganizationFilter { kind: query.kind.map(Into::into), only: access::directory_scope(&caller.actor) };
    let paged = state.read(move |conn| Ok(organization::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, OrganizationView::from)))
}

/// Create an organization
///
/// Admins only. Send an `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "organizations",
    request_body = CreateOrganization,
    params(IdempotencyHeader),
    responses((status = 201, description = "Created", body = OrganizationView,
        headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/organizations")]
pub async fn create_organization(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<CreateOrganization>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let body = body.into_inner();
    let new = NewOrganization::parse(
        body.kind.into(),
        OrganizationFields {
            name: &body.name,
            codice_fiscale: body.codice_fiscale.as_deref(),
            partita_iva: body.partita_iva.as_deref(),
            pec: body.pec.as_deref(),
            istat_code: body.istat_code.as_deref(),
        },
    )?;
    let origin = caller.origin.clone();
    idempotency::run(&state, &caller, key, "organizations", &body, move |tx| {
        let org = organization::create(tx, &origin, &new)?;
        let location = format!("/api/v1/organizations/{}", org.id);
        let version = org.version;
        Ok(Created::new(&OrganizationView::from(org), location, Some(version)))
    })
    .await
}

/// Get an organization
#[utoipa::path(
    tag = "organizations",
    params(("id" = Uuid, Path, description = "The organization's id")),
    responses((status = 200, description = "The organization", body = OrganizationView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    access::organization(&caller.actor, id, RecordAction::Read).require()?;
    let org = state.read(move |conn| Ok(organization::get(conn, id)?)).await?;
    let version = org.version;
    Ok(ok_with_etag(&OrganizationView::from(org), version))
}

/// Update an organization
///
/// Admins only. Send the `ETag` you read as `If-Match`: a stale one is answered 412.
#[utoipa::path(
    tag = "organizations",
    request_body = UpdateOrganization,
    params(
        ("id" = Uuid, Path, description = "The organization's id"),
        IfMatchRequired,
    ),
    responses((status = 200, description = "The updated organization", body = OrganizationView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[patch("/organizations/{id}")]
pub async fn update_organization(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateOrganization>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    access::organization(&caller.actor, id, RecordAction::Administer).require()?;
    let mut c = ambito_domain::invalid::Collector::new();
    let patch = OrganizationPatch {
        name: parse_field(&mut c, "name", body.name.as_deref(), Name::parse),
        pec: parse_field(&mut c, "pec", body.pec.as_deref(), EmailAddress::parse),
        active: body.active,
    };
    c.finish().map_err(|Invalid(e)| ApiError::Validation(e))?;
    let origin = caller.origin.clone();
    let org = state
        .write(move |conn| {
            let current = organization::get(conn, id)?;
            precondition(Some(if_match), current.version)?;
            Ok(organization::update(conn, &origin, current, &patch)?)
        })
        .await?;
    let version = org.version;
    Ok(ok_with_etag(&OrganizationView::from(org), version))
}
