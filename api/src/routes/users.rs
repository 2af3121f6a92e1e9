//! Users and service accounts. Admins manage them; other users see the members of their own
//! organization.

use actix_web::{HttpResponse, get, patch, post, web};
use ambito_domain::access::{self, RecordAction};
use ambito_domain::{EmailAddress, Invalid, Name, OrganizationId, Password, Role};
use ambito_persistence::DbConnection;
use ambito_persistence::organization;
use ambito_persistence::user::{self, NewUser, User, UserFilter, UserKind, UserPatch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Caller, random_secret};
use crate::conditional::{IfMatch, ok_with_etag, precondition};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{CreateErrors, IdempotencyHeader, IfMatchRequired, ReadErrors, UpdateErrors};
use crate::pagination::{Listing, PageQuery};
use crate::{AppState, parse_field};

/// What a user may do follows from their organization's kind.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    Admin,
    AuthorityStaff,
    ProviderMember,
    Municipality,
}

impl From<Role> for RoleView {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => Self::Admin,
            Role::AuthorityStaff => Self::AuthorityStaff,
            Role::ProviderMember => Self::ProviderMember,
            Role::Municipality => Self::Municipality,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKindView {
    /// Logs in with an e-mail address and a password.
    Person,
    /// A system that logs in with a client id and secret.
    Service,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: UserKindView,
    /// E-mail address of a person, client id of a service account.
    #[schema(example = "staff@concass.demo")]
    pub login: String,
    #[schema(example = "Maria Bianchi")]
    pub display_name: String,
    pub role: RoleView,
    pub active: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::time::rome")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::rome")]
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.into(),
            organization_id: u.organization_id.into(),
            kind: match u.kind {
                UserKind::Person => UserKindView::Person,
                UserKind::Service => UserKindView::Service,
            },
            login: u.login,
            display_name: u.display_name,
            role: u.role.into(),
            active: u.active,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A person who will log in with this e-mail and password. Their role is the one of their
/// organization's kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organization_id": "0193a8f0-0000-7000-8000-000000000000",
    "email": "operatrice@comune.cremona.it",
    "display_name": "Laura Verdi",
    "password": "a long passphrase"
}))]
pub struct CreateUser {
    pub organization_id: Uuid,
    #[schema(max_length = 254, format = Email)]
    pub email: String,
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub display_name: String,
    /// 12 to 128 characters.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct UpdateUser {
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub display_name: Option<String>,
    /// Deactivating ends the user's sessions at once.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only members of this organization (admins; others always see their own).
    pub organization_id: Option<Uuid>,
}

/// A service account for a municipal (or other) system.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"organization_id": "0193a8f0-0000-7000-8000-000000000000", "name": "Protocollo comunale"}))]
pub struct CreateServiceAccount {
    pub organization_id: Uuid,
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
}

/// The account, and its secret: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAccountCreated {
    pub user: UserView,
    pub client_id: String,
    /// Absent when the answer is a replay for a repeated `Idempotency-Key`: the secret is not
    /// kept anywhere, so it cannot be shown twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// List users
#[utoipa::path(
    tag = "users",
    params(PageQuery, UserQuery),
    responses((status = 200, description = "One page of users", body = Listing<UserView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    let organization_id = access::directory_scope(&caller.actor).or(query.organization_id.map(Into::into));
    let filter = UserFilter { organization_id };
    let paged = state.read(move |conn| Ok(user::list(conn, &filter, &page)?)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, UserView::from)))
}

/// Create a user
///
/// Admins only.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    params(IdempotencyHeader),
    responses((status = 201, description = "Created", body = UserView, headers(("ETag" = String), ("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let body = body.into_inner();
    let mut c = ambito_domain::invalid::Collector::new();
    let email = c.field("email", EmailAddress::parse(&body.email));
    let name = c.field("display_name", Name::parse(&body.display_name));
    let password = c.field("password", Password::parse(&body.password));
    c.finish().map_err(|Invalid(e)| ApiError::Validation(e))?;
    let (email, name, password) = (email.expect("checked"), name.expect("checked"), password.expect("checked"));
    let organization_id = body.organization_id.into();
    // The request is hashed for idempotency without the password in clear.
    let fingerprint = (&body.organization_id, &body.email, &body.display_name, crate::auth::token_hash(&body.password));
    if let Some(replayed) = idempotency::earlier_answer(&state, &caller, &key, "users", &fingerprint).await? {
        return Ok(replayed);
    }
    // Hashing is slow: done before the transaction, not inside it.
    let hash = state.passwords.hash(password).await?;
    let origin = caller.origin.clone();
    idempotency::run(&state, &caller, key, "users", &fingerprint, move |tx| {
        let new = NewUser {
            organization_id,
            kind: UserKind::Person,
            login: email.as_str(),
            display_name: &name,
            role: role_of(tx, organization_id)?,
            password_hash: &hash,
        };
        let created = user::create(tx, &origin, &new)?;
        let location = format!("/api/v1/users/{}", created.id);
        let version = created.version;
        Ok(Created::new(&UserView::from(created), location, Some(version)))
    })
    .await
}

/// The role of members of an organization; an unknown organization is a field error.
fn role_of(tx: &mut DbConnection, organization_id: OrganizationId) -> Result<Role, ApiError> {
    match organization::get(tx, organization_id) {
        Err(ambito_persistence::StoreError::NotFound) => {
            Err(ApiError::invalid_field("organization_id", "no such organization"))
        }
        other => Ok(Role::for_organization(other?.kind)),
    }
}

/// Get a user
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String))), ReadErrors),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let found = state.read(move |conn| Ok(user::get(conn, id)?)).await?;
    access::organization(&caller.actor, found.organization_id, RecordAction::Read).require()?;
    let version = found.version;
    Ok(ok_with_etag(&UserView::from(found), version))
}

/// Update a user
///
/// Admins only; needs `If-Match`.
#[utoipa::path(
    tag = "users",
    request_body = UpdateUser,
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        IfMatchRequired,
    ),
    responses((status = 200, description = "The updated user", body = UserView, headers(("ETag" = String))), UpdateErrors),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let found = state.read(move |conn| Ok(user::get(conn, id)?)).await?;
    access::organization(&caller.actor, found.organization_id, RecordAction::Administer).require()?;
    let mut c = ambito_domain::invalid::Collector::new();
    let patch = UserPatch {
        display_name: parse_field(&mut c, "display_name", body.display_name.as_deref(), Name::parse),
        active: body.active,
    };
    c.finish().map_err(|Invalid(e)| ApiError::Validation(e))?;
    let origin = caller.origin.clone();
    let updated = state
        .write(move |conn| {
            let current = user::get(conn, id)?;
            precondition(Some(if_match), current.version)?;
            Ok(user::update(conn, &origin, current, &patch)?)
        })
        .await?;
    let version = updated.version;
    Ok(ok_with_etag(&UserView::from(updated), version))
}

/// Create a service account
///
/// Admins only. The answer holds the client secret, shown once: store it in the calling
/// system, then get tokens from `POST /api/v1/auth/token`.
#[utoipa::path(
    tag = "users",
    request_body = CreateServiceAccount,
    params(IdempotencyHeader),
    responses((status = 201, description = "Created; the secret is in this answer only", body = ServiceAccountCreated, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/service-accounts")]
pub async fn create_service_account(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<CreateServiceAccount>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let body = body.into_inner();
    let name = Name::parse(&body.name).map_err(|e| ApiError::invalid_field("name", e.to_string()))?;
    let organization_id = body.organization_id.into();
    if let Some(replayed) = idempotency::earlier_answer(&state, &caller, &key, "service-accounts", &body).await? {
        return Ok(replayed);
    }
    let client_id = format!("svc-{}", Uuid::now_v7().simple());
    let secret = random_secret(32);
    let hash = state.passwords.hash(Password::parse(&secret).expect("a generated secret meets the policy")).await?;
    let origin = caller.origin.clone();
    idempotency::run(&state, &caller, key, "service-accounts", &body, move |tx| {
        let role = role_of(tx, organization_id)?;
        if role == Role::Admin {
            return Err(ApiError::invalid_field("organization_id", "the platform has no service accounts"));
        }
        let new = NewUser {
            organization_id,
            kind: UserKind::Service,
            login: &client_id,
            display_name: &name,
            role,
            password_hash: &hash,
        };
        let created = user::create(tx, &origin, &new)?;
        let location = format!("/api/v1/users/{}", created.id);
        let mut view = ServiceAccountCreated {
            user: created.into(),
            client_id: client_id.clone(),
            client_secret: Some(secret.clone()),
        };
        let shown = Created::new(&view, location, None);
        view.client_secret = None;
        Ok(shown.replayed_as(&view))
    })
    .await
}
