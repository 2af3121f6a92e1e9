//! Authentication: argon2id password hashes (bounded in concurrency), HS256 access tokens with
//! pinned validation, opaque refresh tokens, and the `Caller` extractor that every protected
//! endpoint takes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::AppState;
use crate::error::ApiError;
use crate::request_id::RequestId;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use ambito_domain::access::{self, Actor};
use ambito_domain::{OrganizationId, Password, Role, SessionId};
use ambito_persistence::{Origin, session, user::User};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString, rand_core::OsRng};
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

const ISSUER: &str = "ambito";
const AUDIENCE: &str = "ambito-api";

/// Signs and checks access tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: chrono::Duration,
    pub refresh_ttl: chrono::Duration,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: ambito_domain::UserId,
    /// The session (token family) the token belongs to: logging out ends it.
    pub sid: SessionId,
    /// The user's token version when issued: a password change or deactivation moves it on.
    pub ver: i64,
    pub role: Role,
    pub org: OrganizationId,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl: chrono::Duration, refresh_ttl: chrono::Duration) -> Self {
        // Only HS256 is accepted, whatever the token's header says: no `none`, no key confusion.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    /// Signs an access token. Its validity is real time, whatever the service's (injectable)
    /// business clock says: jsonwebtoken checks `exp` and `nbf` against the system clock.
    pub fn issue(&self, user: &User, session_id: SessionId) -> Result<String, ApiError> {
        let now = Utc::now();
        let claims = Claims {
            sub: user.id,
            sid: session_id,
            ver: user.token_version,
            role: user.role,
            org: user.organization_id,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a token");
            ApiError::Internal
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let detail = match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired",
                ErrorKind::ImmatureSignature => "the access token is not valid yet",
                _ => "the access token is invalid",
            };
            ApiError::Unauthenticated { code: "invalid_token", detail }
        })
    }
}

/// A fresh random secret, URL-safe: refresh tokens, client secrets, generated passwords.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand_core::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Refresh tokens are stored by hash: a leaked table gives no usable token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Argon2id hashing at OWASP settings, about one at a time per core: each costs ~19 MiB and
/// ~15 ms, so an unbounded login storm would exhaust memory and starve other requests.
///
/// Hashes run on a few threads of their own, each reusing one set of memory blocks: run on the
/// blocking pool instead, every thread that happened to hash allocated 19 MiB, and glibc kept
/// those in per-thread arenas (RSS grew by gigabytes over repeated login storms).
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// How long a login waits for a free hashing slot before it is answered 429.
    wait: Duration,
    hashers: Hashers,
}

impl Passwords {
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        let concurrency = concurrency.max(1);
        Self { permits: Arc::new(Semaphore::new(concurrency)), wait, hashers: Hashers::start(concurrency) }
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::TooManyRequests {
                code: "server_busy",
                detail: "too many logins at once; retry shortly".into(),
                retry_after: 1,
            }),
        }
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        let permit = self.slot().await?;
        self.hashers
            .run(move |blocks| {
                let _permit = permit;
                hash_with(blocks, password.expose())
            })
            .await
    }

    /// Checks a password against a stored hash; with no hash (unknown user) it still spends the
    /// same work, so response times do not reveal which accounts exist.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let permit = self.slot().await?;
        self.hashers
            .run(move |blocks| {
                let _permit = permit;
                let known = hash.is_some();
                let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
                let parsed = PasswordHash::new(&hash).map_err(|e| {
                    tracing::error!(error = %e, "a stored password hash is unreadable");
                    ApiError::Internal
                })?;
                let matches = verify_with(blocks, password.as_bytes(), &parsed).unwrap_or(false);
                Ok(known && matches)
            })
            .await
    }
}

type HashJob = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// The hashing threads and their queue; the threads end when this is dropped.
struct Hashers {
    jobs: std::sync::mpsc::Sender<HashJob>,
}

impl Hashers {
    fn start(threads: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<HashJob>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lower_priority();
                    // Allocated on the first hash, then reused for every one: never freed, so
                    // never left behind in an allocator arena.
                    let mut blocks = Vec::new();
                    loop {
                        let job = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(&mut blocks),
                            Err(_) => break,
                        }
                    }
                })
                .expect("a hashing thread starts");
        }
        Self { jobs }
    }

    /// Runs `f` on a hashing thread, inside the request's span.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<argon2::Block>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let job: HashJob = Box::new(move |blocks| {
            let _ = done.send(span.in_scope(|| f(blocks)));
        });
        self.jobs.send(job).map_err(|_| ApiError::Internal)?;
        answer.await.map_err(|_| {
            tracing::error!("a hashing thread failed");
            ApiError::Internal
        })?
    }
}

/// Puts the calling thread below the request threads (nice 10): a login storm then takes the
/// CPU that other requests leave, and their latency stays near what it is without one.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's own id; it only changes its scheduling weight.
    unsafe {
        let tid = libc::id_t::try_from(libc::gettid()).unwrap_or_default();
        if tid != 0 && libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
            tracing::debug!("could not lower the hashing thread's priority");
        }
    }
}

/// The first `params.block_count()` of the thread's blocks, grown when a stored hash asks for
/// more memory than any before.
fn memory<'a>(blocks: &'a mut Vec<argon2::Block>, params: &argon2::Params) -> &'a mut [argon2::Block] {
    let count = params.block_count();
    if blocks.len() < count {
        blocks.resize(count, argon2::Block::default());
    }
    &mut blocks[..count]
}

/// Hashes with the default (OWASP) parameters into the given memory: what
/// `Argon2::hash_password` does, without allocating its 19 MiB each time.
fn hash_with(blocks: &mut Vec<argon2::Block>, password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = argon2::Argon2::default();
    let params = argon.params().clone();
    let hashed = (|| {
        let salt = salt.as_salt();
        let mut buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut buf)?;
        let len = params.output_len().unwrap_or(argon2::Params::DEFAULT_OUTPUT_LEN);
        let output = argon2::password_hash::Output::init_with(len, |out| {
            Ok(argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, memory(blocks, &params))?)
        })?;
        Ok::<_, argon2::password_hash::Error>(
            PasswordHash {
                algorithm: argon2::Algorithm::Argon2id.ident(),
                version: Some(argon2::Version::V0x13.into()),
                params: argon2::password_hash::ParamsString::try_from(&params)?,
                salt: Some(salt),
                hash: Some(output),
            }
            .to_string(),
        )
    })();
    hashed.map_err(|e| {
        tracing::error!(error = %e, "cannot hash a password");
        ApiError::Internal
    })
}

/// Checks a password against a parsed hash, with that hash's own parameters, in the given
/// memory; the comparison is constant-time (`Output`'s equality).
fn verify_with(
    blocks: &mut Vec<argon2::Block>,
    password: &[u8],
    hash: &PasswordHash<'_>,
) -> Result<bool, argon2::password_hash::Error> {
    use argon2::password_hash::Error;
    let algorithm = argon2::Algorithm::try_from(hash.algorithm)?;
    let version = hash.version.map(argon2::Version::try_from).transpose()?.unwrap_or_default();
    let params = argon2::Params::try_from(hash)?;
    let (Some(salt), Some(expected)) = (hash.salt, &hash.hash) else { return Err(Error::Password) };
    let mut buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut buf)?;
    let argon = argon2::Argon2::new(algorithm, version, params.clone());
    let computed = argon2::password_hash::Output::init_with(expected.len(), |out| {
        Ok(argon.hash_password_into_with_memory(password, salt_bytes, out, memory(blocks, &params))?)
    })?;
    Ok(computed == *expected)
}

/// Hashes on the current thread: call from a blocking thread (the CLI and demo seeding).
pub fn hash_now(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "cannot hash a password");
        ApiError::Internal
    })
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(&random_secret(16)).expect("hashing a random password"))
}

/// The authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session_id: SessionId,
    /// Who acts, as the access policy knows them.
    pub actor: Actor,
    /// Who acts and in which request, as the audit trail records it.
    pub origin: Origin,
}

impl Caller {
    pub fn organization_id(&self) -> OrganizationId {
        self.user.organization_id
    }

    /// Refuses the request unless the caller is a platform admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        Ok(access::platform_administration(&self.actor).require()?)
    }
}

/// The caller on endpoints that are public but show more to some: no `Authorization` header
/// means anonymous; a header with a bad token is still refused.
pub struct MaybeCaller(pub Option<Caller>);

impl MaybeCaller {
    pub fn actor(&self) -> Option<Actor> {
        self.0.as_ref().map(|c| c.actor)
    }
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(actix_web::http::header::AUTHORIZATION) {
            let caller = Caller::from_request(req, payload);
            Box::pin(async move { caller.await.map(|c| Self(Some(c))) })
        } else {
            Box::pin(async { Ok(Self(None)) })
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req.headers().get(actix_web::http::header::AUTHORIZATION).cloned();
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            let missing = ApiError::Unauthenticated {
                code: "unauthenticated",
                detail: "send an access token: Authorization: Bearer <token>",
            };
            let header = header.ok_or(missing)?;
            let token = header
                .to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or(ApiError::Unauthenticated {
                    code: "invalid_token",
                    detail: "the Authorization header must be: Bearer <token>",
                })?;
            let claims = state.tokens.verify(token)?;
            let found =
                state.read(move |conn| Ok(session::authenticate(conn, claims.sid, claims.sub, claims.ver)?)).await?;
            let user = found.ok_or(ApiError::Unauthenticated {
                code: "invalid_token",
                detail: "the session of this access token has ended: log in again",
            })?;
            tracing::Span::current().record("user_id", tracing::field::display(user.id));
            let actor = Actor { user: user.id, organization: user.organization_id, role: user.role };
            let origin = Origin::of(&actor, request_id);
            Ok(Caller { user, session_id: claims.sid, actor, origin })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_login_past_the_hashing_bound_is_told_to_retry() {
        let passwords = Passwords::new(1, Duration::from_millis(20));
        let busy = passwords.permits.clone().acquire_owned().await.unwrap();
        let refused = passwords.verify("whatever".into(), None).await.unwrap_err();
        match refused {
            ApiError::TooManyRequests { code, retry_after, .. } => assert_eq!((code, retry_after), ("server_busy", 1)),
            other => panic!("expected 429, got {other:?}"),
        }
        drop(busy);
        let password = Password::parse("a long enough password").unwrap();
        let hash = passwords.hash(password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "OWASP parameters: {hash}");
        assert!(passwords.verify("a long enough password".into(), Some(hash.clone())).await.unwrap());
        assert!(!passwords.verify("another password".into(), Some(hash.clone())).await.unwrap());
        // The reused-memory hashing agrees with the crate's own both ways.
        use argon2::password_hash::PasswordVerifier;
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(argon2::Argon2::default().verify_password(b"a long enough password", &parsed).is_ok());
        let theirs = hash_now("another long password").unwrap();
        assert!(passwords.verify("another long password".into(), Some(theirs)).await.unwrap());
    }

    #[test]
    fn tokens_round_trip_and_pin_the_algorithm() {
        let tokens =
            Tokens::new(b"0123456789abcdef0123456789abcdef", chrono::Duration::minutes(5), chrono::Duration::days(1));
        let user = User {
            id: ambito_domain::UserId::new(),
            organization_id: OrganizationId::new(),
            kind: ambito_persistence::user::UserKind::Person,
            login: "a@b.it".into(),
            display_name: "A".into(),
            role: Role::Municipality,
            active: true,
            token_version: 3,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let session = SessionId::new();
        let token = tokens.issue(&user, session).unwrap();
        let claims = tokens.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid, claims.ver, claims.role), (user.id, session, 3, Role::Municipality));
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert!(tokens.verify(&hs512).is_err(), "only HS256 is accepted");
    }
}
