//! `Idempotency-Key` on creating POSTs: the first request with a key runs, and its response is
//! stored; a retry with the same key and body gets that response again, not a duplicate.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use ambito_persistence::idempotency::{self, Claim, StoredResponse};
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::{AppState, conditional};

pub const HEADER: &str = "Idempotency-Key";

/// The key a client sent, if any.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(Self(None)));
        };
        let key = value.to_str().unwrap_or("");
        let ok = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        ready(if ok {
            Ok(Self(Some(key.to_owned())))
        } else {
            Err(ApiError::bad_request(
                "invalid_idempotency_key",
                "an Idempotency-Key has 1 to 255 visible ASCII characters",
            ))
        })
    }
}

/// What a creating handler produces: the new resource, where it lives, and its version.
pub struct Created {
    pub body: serde_json::Value,
    pub location: String,
    pub version: Option<i64>,
    /// What a replay answers, when it must differ from the first answer (a secret shown once).
    pub replay_body: Option<serde_json::Value>,
}

impl Created {
    pub fn new<T: serde::Serialize>(body: &T, location: String, version: Option<i64>) -> Self {
        Self { body: serde_json::to_value(body).expect("views serialize"), location, version, replay_body: None }
    }

    pub fn replayed_as<T: serde::Serialize>(mut self, body: &T) -> Self {
        self.replay_body = Some(serde_json::to_value(body).expect("views serialize"));
        self
    }

    fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::Created();
        builder.insert_header((LOCATION, self.location));
        if let Some(v) = self.version {
            builder = conditional::with_etag(builder, v);
        }
        builder.json(self.body)
    }
}

/// Runs `create` at most once per key and request body.
pub async fn run<B, F>(
    state: &AppState,
    caller: &Caller,
    key: IdempotencyKey,
    scope: &str,
    request: &B,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    B: serde::Serialize,
    F: Future<Output = Result<Created, ApiError>>,
{
    let Some(key) = key.0 else {
        return create.await.map(Created::into_response);
    };
    let owner = caller.user.id.to_string();
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update(serde_json::to_vec(request).expect("requests serialize"));
    let request_hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let now = state.clock.now();
    let claim = {
        let (owner, key) = (owner.clone(), key.clone());
        state.write(move |conn| Ok(idempotency::claim(conn, &owner, &key, &request_hash, now)?)).await
    };
    match claim {
        Ok(Claim::Started) => {}
        Ok(Claim::Replay(stored)) => return Ok(replay(stored)),
        Ok(Claim::Mismatch) => return Err(ApiError::IdempotencyKeyReused),
        Ok(Claim::InFlight) | Err(ApiError::Conflict { .. }) => {
            return Err(ApiError::IdempotencyKeyInFlight);
        }
        Err(e) => return Err(e),
    }
    match create.await {
        Ok(created) => {
            let stored = StoredResponse {
                status: StatusCode::CREATED.as_u16(),
                body: created.replay_body.as_ref().unwrap_or(&created.body).to_string(),
                location: Some(created.location.clone()),
            };
            state.write(move |conn| Ok(idempotency::complete(conn, &owner, &key, &stored)?)).await?;
            Ok(created.into_response())
        }
        Err(e) => {
            // Nothing was created: forget the key so the client may correct and retry.
            state.write(move |conn| Ok(idempotency::release(conn, &owner, &key)?)).await?;
            Err(e)
        }
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder.content_type("application/json").insert_header(("Idempotent-Replayed", "true"));
    if let Some(location) = stored.location {
        builder.insert_header((LOCATION, location));
    }
    builder.body(stored.body)
}
