//! Logging in and out: passwords for people, client credentials for systems, refresh-token
//! rotation with reuse detection, and failed-login throttling per account and per address.

use actix_web::{HttpRequest, HttpResponse, post, web};
use ambito_persistence::session;
use ambito_persistence::throttle::{self, Claim, Policy};
use ambito_persistence::user::{self, User, UserKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, random_secret, token_hash};
use crate::error::ApiError;
use crate::json::Json;
use crate::openapi::{LoginErrors, ReadErrors};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@ambito.demo", "password": "your demo password"}))]
pub struct LoginRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"client_id": "svc-0193a8f000007000800000000000000", "client_secret": "the secret shown at creation"}))]
pub struct ClientCredentials {
    #[schema(max_length = 254)]
    pub client_id: String,
    #[schema(max_length = 1024)]
    pub client_secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(max_length = 1024)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Exchange at `POST /api/v1/auth/refresh` for a new pair; usable once. Service accounts
    /// get none: they log in again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Failed logins per account: 5 in 15 minutes lock it for 15 minutes.
pub const ACCOUNT_POLICY: Policy =
    Policy { max_failures: 5, window: chrono::Duration::minutes(15), lock_for: chrono::Duration::minutes(15) };
/// Failed logins per client address: 50 in 15 minutes lock it for 15 minutes.
pub const ADDRESS_POLICY: Policy =
    Policy { max_failures: 50, window: chrono::Duration::minutes(15), lock_for: chrono::Duration::minutes(15) };

fn locked(until: DateTime<Utc>, now: DateTime<Utc>, account: bool) -> ApiError {
    let retry_after = u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1);
    if account {
        // The same answer whether or not the account exists: failures count per login name.
        ApiError::TooManyRequests {
            code: "login_locked",
            detail: "too many failed logins for this account: it is locked for a while".into(),
            retry_after,
        }
    } else {
        ApiError::TooManyRequests {
            code: "too_many_attempts",
            detail: "too many failed logins from this address: wait before trying again".into(),
            retry_after,
        }
    }
}

/// Checks a login and secret, with throttling; answers the user when they match. Refusals for
/// throttling are counted in the metrics.
async fn check_credentials(
    state: &AppState,
    req: &HttpRequest,
    login: String,
    secret: String,
    kind: UserKind,
) -> Result<User, ApiError> {
    let result = check_throttled_credentials(state, req, login, secret, kind).await;
    if let Err(ApiError::TooManyRequests { code, .. }) = &result {
        state.metrics.login_throttled(code);
    }
    result
}

async fn check_throttled_credentials(
    state: &AppState,
    req: &HttpRequest,
    login: String,
    secret: String,
    kind: UserKind,
) -> Result<User, ApiError> {
    let now = state.clock.now();
    let account_key = format!("login:{login}");
    let address_key = format!("addr:{}", req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default());
    // Both keys count the attempt before the password is checked (see `throttle`).
    let keys = (account_key.clone(), address_key.clone());
    let (account, address) = state
        .write(move |conn| {
            let account = throttle::claim(conn, &keys.0, &ACCOUNT_POLICY, now)?;
            let address = match account {
                Claim::Locked(_) => Claim::Allowed { last: false },
                Claim::Allowed { .. } => throttle::claim(conn, &keys.1, &ADDRESS_POLICY, now)?,
            };
            Ok((account, address))
        })
        .await?;
    if let Claim::Locked(until) = account {
        return Err(locked(until, now, true));
    }
    if let Claim::Locked(until) = address {
        return Err(locked(until, now, false));
    }
    let found = state.read(move |conn| Ok(user::find_login(conn, &login)?)).await?;
    let found = found.filter(|(u, _)| u.kind == kind);
    let hash = found.as_ref().map(|(_, h)| h.clone());
    let matches = match state.passwords.verify(secret, hash).await {
        Ok(matches) => matches,
        Err(busy) => {
            // Not checked: the attempt does not count.
            let keys = (account_key, address_key);
            state
                .write(move |conn| {
                    throttle::release(conn, &keys.0)?;
                    Ok(throttle::release(conn, &keys.1)?)
                })
                .await?;
            return Err(busy);
        }
    };
    match found {
        Some((user, _)) if matches && user.active => {
            state
                .write(move |conn| {
                    throttle::reset(conn, &account_key)?;
                    Ok(throttle::release(conn, &address_key)?)
                })
                .await?;
            Ok(user)
        }
        _ => {
            let (account_last, address_last) =
                (account == Claim::Allowed { last: true }, address == Claim::Allowed { last: true });
            if !account_last && !address_last {
                return Err(ApiError::InvalidCredentials);
            }
            let until = state
                .write(move |conn| {
                    let account =
                        account_last.then(|| throttle::lock(conn, &account_key, &ACCOUNT_POLICY, now)).transpose()?;
                    let address =
                        address_last.then(|| throttle::lock(conn, &address_key, &ADDRESS_POLICY, now)).transpose()?;
                    Ok(account.map(|u| (u, true)).or(address.map(|u| (u, false))))
                })
                .await?;
            match until {
                Some((until, account)) => Err(locked(until, now, account)),
                None => Err(ApiError::InvalidCredentials),
            }
        }
    }
}

/// Opens a session and answers its tokens.
async fn open_session(state: &AppState, user: User, with_refresh: bool) -> Result<TokenResponse, ApiError> {
    let now = state.clock.now();
    let refresh = with_refresh.then(|| random_secret(32));
    let refresh_hash = refresh.as_deref().map(token_hash);
    let expires = now + state.tokens.refresh_ttl;
    let user_id = user.id;
    let session_id = state
        .write(move |conn| {
            let session_id = session::open(conn, user_id, now)?;
            if let Some(hash) = &refresh_hash {
                session::issue_refresh(conn, session_id, hash, now, expires)?;
            }
            Ok(session_id)
        })
        .await?;
    Ok(TokenResponse {
        access_token: state.tokens.issue(&user, session_id)?,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl.num_seconds(),
        refresh_token: refresh,
    })
}

/// Log in
///
/// With an e-mail and password. Five failures in 15 minutes lock the account for 15 minutes
/// (429 `login_locked`); the answer is the same for accounts that do not exist.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, description = "Logged in", body = TokenResponse), LoginErrors),
    security(())
)]
#[post("/auth/login")]
pub async fn log_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user =
        check_credentials(&state, &req, body.email.trim().to_lowercase(), body.password, UserKind::Person).await?;
    Ok(HttpResponse::Ok().json(open_session(&state, user, true).await?))
}

/// Get a token for a service account
///
/// Municipal systems authenticate with the client id and secret an admin created for them.
#[utoipa::path(
    tag = "auth",
    request_body = ClientCredentials,
    responses((status = 200, description = "An access token", body = TokenResponse), LoginErrors),
    security(())
)]
#[post("/auth/token")]
pub async fn get_service_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ClientCredentials>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = check_credentials(&state, &req, body.client_id.trim().to_owned(), body.client_secret, UserKind::Service)
        .await?;
    Ok(HttpResponse::Ok().json(open_session(&state, user, false).await?))
}

/// Refresh tokens
///
/// Uses up a refresh token and answers a new pair. A refresh token used twice means it was
/// copied: the whole session is ended, for the thief and the owner alike.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 200, description = "A new token pair", body = TokenResponse), LoginErrors),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh_tokens(state: web::Data<AppState>, body: Json<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let presented = token_hash(&body.refresh_token);
    let next = random_secret(32);
    let next_hash = token_hash(&next);
    let expires = now + state.tokens.refresh_ttl;
    let outcome = state
        .write(move |conn| {
            let outcome = session::use_refresh(conn, &presented, now)?;
            if let session::Refresh::Rotated { session_id, .. } = &outcome {
                session::issue_refresh(conn, *session_id, &next_hash, now, expires)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        session::Refresh::Rotated { session_id, user } => Ok(HttpResponse::Ok().json(TokenResponse {
            access_token: state.tokens.issue(&user, session_id)?,
            token_type: "Bearer".into(),
            expires_in: state.tokens.access_ttl.num_seconds(),
            refresh_token: Some(next),
        })),
        session::Refresh::Reused => Err(ApiError::Unauthenticated {
            code: "refresh_token_reused",
            detail: "this refresh token was already used: the session has been ended, log in again",
        }),
        session::Refresh::Refused => Err(ApiError::Unauthenticated {
            code: "invalid_refresh_token",
            detail: "the refresh token is unknown, expired or revoked: log in again",
        }),
    }
}

/// Log out
///
/// Ends the session: its access and refresh tokens stop working.
#[utoipa::path(
    tag = "auth",
    responses((status = 204, description = "Logged out"), ReadErrors),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub async fn log_out(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    state.write(move |conn| Ok(session::revoke(conn, caller.session_id, "logout", now)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}
