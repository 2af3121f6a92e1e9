//! `Idempotency-Key` on creating POSTs: the first request with a key runs, and its response is
//! stored; a retry with the same key and body gets that response again, not a duplicate. The
//! key's claim, the work and the saved response commit in one transaction, so a crash at any
//! point leaves either the answer or nothing: the work is never done twice.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use ambito_persistence::idempotency::{self, Lookup, StoredResponse};
use ambito_persistence::{DbConnection, StoreError};
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::{AppState, FaultPoint, conditional};

pub const HEADER: &str = "Idempotency-Key";
/// The code of a 400 for a malformed key; listed in the spec with every operation's 400s.
pub const INVALID_KEY: &str = "invalid_idempotency_key";

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
            Err(ApiError::bad_request(INVALID_KEY, "an Idempotency-Key has 1 to 255 visible ASCII characters"))
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

/// The key of a request, with what identifies the request it was first used for.
struct Claim {
    owner: String,
    key: String,
    request_hash: String,
}

impl Claim {
    fn of<B: serde::Serialize>(caller: &Caller, key: String, scope: &str, request: &B) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(scope.as_bytes());
        hasher.update(serde_json::to_vec(request).expect("requests serialize"));
        let request_hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Self { owner: caller.user.id.to_string(), key, request_hash }
    }
}

enum Outcome {
    Created(Created),
    Replay(StoredResponse),
}

/// The stored answer to this key and request, if there is one; for a request that has work to
/// do before its transaction (storing an upload's bytes) and should not do it for a replay.
pub async fn earlier_answer<B: serde::Serialize>(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    scope: &str,
    request: &B,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(key) = key.0.clone() else { return Ok(None) };
    let claim = Claim::of(caller, key, scope, request);
    let now = state.clock.now();
    match state.read(move |tx| Ok(idempotency::lookup(tx, &claim.owner, &claim.key, &claim.request_hash, now)?)).await?
    {
        Lookup::New => Ok(None),
        Lookup::Replay(stored) => Ok(Some(replay(stored))),
        Lookup::Mismatch => Err(ApiError::IdempotencyKeyReused),
    }
}

/// Runs `create` in one write transaction, at most once per key and request body.
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
    F: Fn(&mut DbConnection) -> Result<Created, ApiError> + Send + Sync + 'static,
{
    let Some(key) = key.0 else {
        let created = state.write(move |tx| create(tx)).await?;
        state.fault(FaultPoint::AfterCommit);
        return Ok(created.into_response());
    };
    let claim = Arc::new(Claim::of(caller, key, scope, request));
    let create = Arc::new(create);
    let now = state.clock.now();
    // A second attempt only when a concurrent request with the same key committed first.
    for attempt in 0..2 {
        let (claim, create) = (claim.clone(), create.clone());
        let outcome = state
            .write(move |tx| {
                match idempotency::lookup(tx, &claim.owner, &claim.key, &claim.request_hash, now)? {
                    Lookup::New => {}
                    Lookup::Replay(stored) => return Ok(Outcome::Replay(stored)),
                    Lookup::Mismatch => return Err(ApiError::IdempotencyKeyReused),
                }
                match idempotency::claim(tx, &claim.owner, &claim.key, &claim.request_hash, now) {
                    Err(StoreError::Conflict(_)) => return Err(ApiError::IdempotencyKeyInFlight),
                    other => other?,
                }
                let created = create(tx)?;
                let stored = StoredResponse {
                    status: StatusCode::CREATED.as_u16(),
                    body: created.replay_body.as_ref().unwrap_or(&created.body).to_string(),
                    location: Some(created.location.clone()),
                };
                idempotency::complete(tx, &claim.owner, &claim.key, &stored)?;
                Ok(Outcome::Created(created))
            })
            .await;
        match outcome {
            Ok(Outcome::Created(created)) => {
                state.fault(FaultPoint::AfterCommit);
                return Ok(created.into_response());
            }
            Ok(Outcome::Replay(stored)) => return Ok(replay(stored)),
            Err(ApiError::IdempotencyKeyInFlight) if attempt == 0 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::IdempotencyKeyInFlight)
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
