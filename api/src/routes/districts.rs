//! Districts: the municipalities each authority serves. Public to read; admins edit them.

use actix_web::{HttpResponse, get, patch, post, web};
use ambito_domain::access::{self, RecordAction};
use ambito_domain::{Invalid, IstatCode, Name};
use ambito_persistence::district::{self, District, DistrictFilter, DistrictPatch, NewDistrict};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::conditional::{IfMatch, ok_with_etag, precondition};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{CreateErrors, IdempotencyHeader, IfMatchRequired, PublicErrors, UpdateErrors};
use crate::pagination::{Listing, PageQuery};
use crate::{AppState, parse_field};

#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictView {
    pub id: Uuid,
    #[schema(example = "Ambito distrettuale Casalasco")]
    pub name: String,
    /// The authority that serves the district.
    pub authority_id: Uuid,
    /// ISTAT codes of its municipalities, in code order.
    #[schema(example = json!(["019009", "019021"]))]
    pub municipalities: Vec<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::rome")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome")]
    pub updated_at: DateTime<Utc>,
}

impl From<District> for DistrictView {
    fn from(d: District) -> Self {
        Self {
            id: d.id.into(),
            name: d.name,
            authority_id: d.authority_id.into(),
            municipalities: d.municipalities.into_iter().map(String::from).collect(),
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Ambito distrettuale Casalasco",
    "authority_id": "0193a8f0-0000-7000-8000-000000000000",
    "municipalities": ["019009", "019021", "019023"]
}))]
pub struct CreateDistrict {
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    pub authority_id: Uuid,
    #[schema(min_items = 1, max_items = 8000, value_type = Vec<crate::routes::catalogue::IstatCodeText>)]
    pub municipalities: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"municipalities": ["019009", "019021"]}))]
pub struct UpdateDistrict {
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    /// Replaces the whole list.
    #[schema(min_items = 1, max_items = 8000, value_type = Option<Vec<crate::routes::catalogue::IstatCodeText>>)]
    pub municipalities: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistrictQuery {
    /// Only the districts of this authority.
    pub authority_id: Option<Uuid>,
}

fn parse_codes(c: &mut ambito_domain::invalid::Collector, codes: &[String]) -> Vec<IstatCode> {
    codes
        .iter()
        .enumerate()
        .filter_map(|(i, code)| c.field(&format!("municipalities.{i}"), IstatCode::parse(code)))
        .collect()
}

/// List districts
#[utoipa::path(
    tag = "districts",
    params(PageQuery, DistrictQuery),
    responses((status = 200, description = "One page of districts", body = Listing<DistrictView>), PublicErrors),
    security(())
)]
#[get("/districts")]
pub async fn list_districts(
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
    query: web::Query<DistrictQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let filter = DistrictFilter { authority_id: query.authority_id.map(Into::into) };
    let paged = state.read(move |conn| Ok(district::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, DistrictView::from)))
}

/// Get a district
#[utoipa::path(
    tag = "districts",
    params(("id" = Uuid, Path, description = "The district's id")),
    responses((status = 200, description = "The district", body = DistrictView, headers(("ETag" = String))), PublicErrors),
    security(())
)]
#[get("/districts/{id}")]
pub async fn get_district(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let found = state.read(move |conn| Ok(district::get(conn, id)?)).await?;
    let version = found.version;
    Ok(ok_with_etag(&DistrictView::from(found), version))
}

/// Create a district
///
/// Admins only.
#[utoipa::path(
    tag = "districts",
    request_body = CreateDistrict,
    params(IdempotencyHeader),
    responses((status = 201, description = "Created", body = DistrictView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/districts")]
pub async fn create_district(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<CreateDistrict>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let body = body.into_inner();
    let mut c = ambito_domain::invalid::Collector::new();
    let name = c.field("name", Name::parse(&body.name));
    let municipalities = parse_codes(&mut c, &body.municipalities);
    c.finish().map_err(|Invalid(e)| ApiError::Validation(e))?;
    let new = NewDistrict { name: name.expect("checked"), authority_id: body.authority_id.into(), municipalities };
    let origin = caller.origin.clone();
    idempotency::run(&state, &caller, key, "districts", &body, move |tx| {
        let created = district::create(tx, &origin, &new)?;
        let location = format!("/api/v1/districts/{}", created.id);
        let version = created.version;
        Ok(Created::new(&DistrictView::from(created), location, Some(version)))
    })
    .await
}

/// Update a district
///
/// Admins only; needs `If-Match`.
#[utoipa::path(
    tag = "districts",
    request_body = UpdateDistrict,
    params(
        ("id" = Uuid, Path, description = "The district's id"),
        IfMatchRequired,
    ),
    responses((status = 200, description = "The updated district", body = DistrictView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[patch("/districts/{id}")]
pub async fn update_district(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateDistrict>,
) -> Result<HttpResponse, ApiError> {
    access::district(Some(&caller.actor), RecordAction::Administer).require()?;
    let id = id.into_inner().into();
    let mut c = ambito_domain::invalid::Collector::new();
    let patch = DistrictPatch {
        name: parse_field(&mut c, "name", body.name.as_deref(), Name::parse),
        municipalities: body.municipalities.as_deref().map(|codes| parse_codes(&mut c, codes)),
    };
    c.finish().map_err(|Invalid(e)| ApiError::Validation(e))?;
    let origin = caller.origin.clone();
    let updated = state
        .write(move |conn| {
            let current = district::get(conn, id)?;
            district::check(conn, id, &patch)?;
            precondition(Some(if_match), current.version)?;
            Ok(district::update(conn, &origin, current, &patch)?)
        })
        .await?;
    let version = updated.version;
    Ok(ok_with_etag(&DistrictView::from(updated), version))
}
