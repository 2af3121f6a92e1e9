//! OCDS 1.1.5 publication of a call (an open framework agreement) and of its call-offs (the
//! vouchers providers took). Public once the call is published; no personal data.

use actix_web::{HttpRequest, HttpResponse, get, web};
use ambito_domain::ocds::{self, Framework};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::commands::ocds as command;
use crate::error::ApiError;
use crate::openapi::PublicErrors;

/// An OCDS 1.1.5 release package: `uri`, `version`, `publishedDate`, `publisher` and the
/// `releases`, as the standard's release package schema says.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePackage {
    pub uri: String,
    #[schema(example = "1.1")]
    pub version: String,
    pub published_date: String,
    #[schema(value_type = Object)]
    pub publisher: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub releases: Vec<serde_json::Value>,
}

/// An OCDS 1.1.5 record package with the call's one record: every release and the compiled
/// release.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordPackage {
    pub uri: String,
    #[schema(example = "1.1")]
    pub version: String,
    pub published_date: String,
    #[schema(value_type = Object)]
    pub publisher: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
}

fn uri(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.path())
}

fn publisher(framework: &Framework<'_>) -> String {
    framework.authorities.first().map_or_else(|| "Ambito".to_owned(), |a| a.name.clone())
}

fn json(value: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(value.to_string())
}

/// A call's OCDS releases
///
/// The call as the first stage of an open framework agreement, one release per change worth
/// publishing, on one `ocid`: the publication, each amendment, each round opened and
/// concluded (the admitted providers as suppliers with an award), each suspension,
/// reinstatement or revocation of an accreditation, the cancellation. 404 before publication.
#[utoipa::path(
    tag = "ocds",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The release package", body = ReleasePackage), PublicErrors),
    security(())
)]
#[get("/tenders/{id}/ocds")]
pub async fn tender_releases(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let data = state.read(move |tx| command::framework(tx, id)).await?;
    let framework = data.framework(&state.ocds_prefix);
    let releases = framework.releases();
    Ok(json(ocds::release_package(&uri(&req), state.clock.now(), &publisher(&framework), releases)))
}

/// A call's OCDS record
///
/// Every release of the call and the compiled release (the process as it stands).
#[utoipa::path(
    tag = "ocds",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The record package", body = RecordPackage), PublicErrors),
    security(())
)]
#[get("/tenders/{id}/ocds/record")]
pub async fn tender_record(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let data = state.read(move |tx| command::framework(tx, id)).await?;
    let framework = data.framework(&state.ocds_prefix);
    let releases = framework.releases();
    let compiled = framework.compiled().ok_or(ApiError::NotFound)?;
    Ok(json(ocds::record_package(
        &uri(&req),
        state.clock.now(),
        &publisher(&framework),
        &framework.ocid(),
        releases,
        compiled,
    )))
}

/// The call-offs of a call
///
/// Each voucher a provider took under the call, as a call-off with its own `ocid`: the
/// framework in `relatedProcesses`, award and contract in one release, the validated delivery
/// reports as the contract's transactions. Nothing about the family.
#[utoipa::path(
    tag = "ocds",
    params(("id" = Uuid, Path, description = "The call's id")),
    responses((status = 200, description = "The release package", body = ReleasePackage), PublicErrors),
    security(())
)]
#[get("/tenders/{id}/ocds/call-offs")]
pub async fn call_off_releases(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let (data, call_offs) = state
        .read(move |tx| {
            let (_, call_offs) = command::call_offs(tx, id)?;
            Ok((command::framework(tx, id)?, call_offs))
        })
        .await?;
    let framework = data.framework(&state.ocds_prefix);
    let releases = call_offs.iter().map(|c| c.call_off(&state.ocds_prefix).release()).collect();
    Ok(json(ocds::release_package(&uri(&req), state.clock.now(), &publisher(&framework), releases)))
}
