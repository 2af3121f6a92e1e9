//! The caller's own account.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::Password;
use ambito_persistence::{organization, user};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::Json;
use crate::openapi::{ReadErrors, UpdateErrors};
use crate::routes::organizations::OrganizationView;
use crate::routes::users::UserView;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub organization: OrganizationView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "the old one", "new_password": "a new long passphrase"}))]
pub struct ChangePassword {
    #[schema(max_length = 1024)]
    pub current_password: String,
    /// 12 to 128 characters.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Who am I
///
/// The caller's account and organization.
#[utoipa::path(
    tag = "me",
    responses((status = 200, description = "The caller", body = MeView), ReadErrors),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let org_id = caller.organization_id();
    let org = state.read(move |conn| Ok(organization::get(conn, org_id)?)).await?;
    Ok(HttpResponse::Ok().json(MeView { user: caller.user.into(), organization: org.into() }))
}

/// Change my password
///
/// Ends every session of the account, this one included: log in again with the new password.
#[utoipa::path(
    tag = "me",
    request_body = ChangePassword,
    responses((status = 204, description = "Changed; all sessions ended"), UpdateErrors),
    security(("bearer" = []))
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new =
        Password::parse(&body.new_password).map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
    let login = caller.user.login.clone();
    let (_, hash) = state.read(move |conn| user::find_login(conn, &login)?.ok_or(ApiError::NotFound)).await?;
    if !state.passwords.verify(body.current_password, Some(hash)).await? {
        return Err(ApiError::invalid_field("current_password", "the current password is wrong"));
    }
    let hash = state.passwords.hash(new).await?;
    let (origin, id) = (caller.origin.clone(), caller.user.id);
    state.write(move |conn| Ok(user::set_password(conn, &origin, id, &hash)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
