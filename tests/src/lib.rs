//! The black-box harness: each test starts the whole HTTP app on a random port with a database
//! of its own (a temporary SQLite file, or a fresh PostgreSQL schema), and talks to it over HTTP.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::web;
use ambito_api::AppState;
use ambito_api::auth::Tokens;
use ambito_api::clock::ManualClock;
use ambito_persistence::{Db, PoolOptions};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::Value;

pub use ambito_persistence::Backend;

pub mod faults;

/// The environment variable naming the PostgreSQL server tests use, such as
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const PG_URL_VAR: &str = "AMBITO_TEST_PG_URL";
/// The password of every demo account in tests.
pub const DEMO_PASSWORD: &str = "demo-password-for-tests";
pub const JWT_SECRET: &[u8] = b"a-test-signing-key-that-is-long-enough-0123456789";

pub struct TestApp {
    pub base: String,
    /// Where uploaded documents are stored, to tamper with them in tests.
    pub documents_dir: std::path::PathBuf,
    _documents: Option<TempDir>,
    pub backend: Backend,
    /// The database's URL, for another process to share it.
    pub url: String,
    pub db: Db,
    pub clock: ManualClock,
    client: awc::Client,
    _sqlite_dir: Option<TempDir>,
    pg_schema: Option<(String, String)>,
    server: actix_web::dev::ServerHandle,
}

/// A temporary directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything the servers of this test process logged, at debug level and in the production
/// JSON format: a test greps it for what must never be logged.
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .json()
            .flatten_event(true)
            .with_writer(|| Capture)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// What the servers of this test process have logged so far.
pub fn captured_log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
}

/// How a test configures the app, beyond what every test gets.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Serve `GET /metrics` with this bearer token.
    pub metrics_token: Option<String>,
    /// The web origins whose pages may call the app from a browser.
    pub cors_origins: Vec<String>,
    /// Where the SQLite file and the documents go, instead of the system's temporary folder.
    pub data_dir: Option<std::path::PathBuf>,
    /// The PostgreSQL server the app connects to, instead of [`PG_URL_VAR`]'s (a relay in front
    /// of it); the test's schema is still made and dropped through [`PG_URL_VAR`]'s.
    pub postgres_server: Option<String>,
}

/// Starts the app on `backend`; `None` (with a notice) when PostgreSQL is not configured.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Options::default()).await
}

/// Starts the app on `backend`, letting pages of `cors_origins` call it from a browser.
pub async fn spawn_with_cors(backend: Backend, cors_origins: Vec<String>) -> Option<TestApp> {
    spawn_with(backend, Options { cors_origins, ..Options::default() }).await
}

/// [`spawn`], configured by `options`.
pub async fn spawn_with(backend: Backend, options: Options) -> Option<TestApp> {
    capture_logs();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let data_dir = options.data_dir.clone().unwrap_or_else(std::env::temp_dir);
    let (url, sqlite_dir, pg_schema) = match backend {
        Backend::Sqlite => {
            let dir = data_dir.join(format!("ambito-test-{id}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let url = format!("sqlite://{}", dir.join("ambito.db").display());
            (url, Some(TempDir(dir)), None)
        }
        Backend::Postgres => {
            let Ok(server) = std::env::var(PG_URL_VAR) else {
                eprintln!("notice: {PG_URL_VAR} is not set, so the PostgreSQL variant of this test was not run");
                return None;
            };
            let schema = format!("t_{id}");
            let mut admin = diesel::PgConnection::establish(&server).expect("connect to the test PostgreSQL server");
            admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create the test schema");
            let app_server = options.postgres_server.clone().unwrap_or_else(|| server.clone());
            let separator = if app_server.contains('?') { '&' } else { '?' };
            let url = format!("{app_server}{separator}options=-csearch_path%3D{schema}");
            (url, None, Some((server, schema)))
        }
    };
    let documents_dir = data_dir.join(format!("ambito-documents-{id}"));
    let mut app = start(backend, &url, &documents_dir, None, &options);
    app.db.migrate().expect("migrations");
    app._documents = Some(TempDir(documents_dir));
    app._sqlite_dir = sqlite_dir;
    app.pg_schema = pg_schema;
    Some(app)
}

/// Starts the HTTP app on a random port, on a database that exists; the `TestApp` answers for
/// nothing but the server.
fn start(
    backend: Backend,
    url: &str,
    documents_dir: &std::path::Path,
    faults: Option<ambito_api::FaultHook>,
    options: &Options,
) -> TestApp {
    let db = Db::connect(url, &PoolOptions { max_size: 8, checkout_timeout: Duration::from_secs(5) }).expect("pool");
    let clock = ManualClock::new(chrono::Utc::now());
    let (port, server) = serve_with(db.clone(), Arc::new(clock.clone()), documents_dir, faults, options);
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        documents_dir: documents_dir.to_owned(),
        _documents: None,
        backend,
        url: url.to_owned(),
        db,
        clock,
        client,
        _sqlite_dir: None,
        pg_schema: None,
        server,
    }
}

/// Serves the whole app on a random port of 127.0.0.1, in the current actix system.
pub fn serve(
    db: Db,
    clock: Arc<dyn ambito_api::clock::Clock>,
    documents_dir: &std::path::Path,
    faults: Option<ambito_api::FaultHook>,
) -> (u16, actix_web::dev::ServerHandle) {
    serve_with(db, clock, documents_dir, faults, &Options::default())
}

/// [`serve`], configured by `options`.
pub fn serve_with(
    db: Db,
    clock: Arc<dyn ambito_api::clock::Clock>,
    documents_dir: &std::path::Path,
    faults: Option<ambito_api::FaultHook>,
    options: &Options,
) -> (u16, actix_web::dev::ServerHandle) {
    let tokens = Tokens::new(JWT_SECRET, chrono::Duration::minutes(15), chrono::Duration::days(14));
    let documents = ambito_api::storage::DocumentStore::local(documents_dir).expect("document store");
    let mut state = AppState::new(db, tokens, clock, documents).with_cors_origins(options.cors_origins.clone());
    if let Some(hook) = faults {
        state = state.with_fault_hook(hook);
    }
    if let Some(token) = &options.metrics_token {
        state = state.with_metrics_token(token);
    }
    let state = web::Data::new(state);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("address").port();
    let options = ambito_api::serve::ServeOptions { workers: Some(2), shutdown_timeout: 30, signals: false };
    let server = ambito_api::serve::server(listener, options, state).expect("listen");
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (port, handle)
}

impl TestApp {
    /// Another API process on the same database, as several API processes on one PostgreSQL
    /// database run in production (with a clock of its own, set to the same instant).
    pub fn another_process(&self) -> TestApp {
        let other = start(self.backend, &self.url, &self.documents_dir, None, &Options::default());
        other.clock.set(ambito_api::clock::Clock::now(&self.clock));
        other
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.server.clone();
        drop(handle.stop(false));
        if let Some((server, schema)) = &self.pg_schema
            && let Ok(mut admin) = diesel::PgConnection::establish(server)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// What a user of the API sees of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The problem's `code`, after checking the response is a problem document.
    pub fn problem_code(&self) -> &str {
        assert_eq!(self.content_type(), "application/problem+json", "not a problem: {self:?}");
        assert_eq!(self.body["status"].as_u64(), Some(u64::from(self.status)), "{self:?}");
        self.body["code"].as_str().unwrap_or_else(|| panic!("a problem without code: {self:?}"))
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {self:?}")).to_owned()
    }
}

/// A request body: JSON, or raw bytes with a content type.
pub enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Body>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let sent = match body {
            None => req.send().await,
            Some(Body::Json(v)) => req.send_json(&v).await,
            Some(Body::Raw(content_type, bytes)) => {
                req.insert_header(("content-type", content_type)).send_body(bytes).await
            }
        };
        let mut response = sent.unwrap_or_else(|e| panic!("{path}: the request failed: {e}"));
        let bytes = response.body().limit(8 * 1024 * 1024).await.expect("a readable body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        let status = response.status().as_u16();
        if status == 200 && path.contains("/ocds") {
            ocds::saw(path, &body);
        }
        Reply { status, headers: response.headers().clone(), body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, &[], None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, &[], Some(Body::Json(body))).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, if_match: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, &[("If-Match", if_match)], Some(Body::Json(body))).await
    }

    /// Uploads a file as multipart/form-data with a `document_type` part and a `file` part.
    pub async fn upload(&self, path: &str, token: &str, document_type: &str, filename: &str, bytes: &[u8]) -> Reply {
        let boundary = "ambito-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\n{document_type}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type: &'static str = "multipart/form-data; boundary=ambito-test-boundary-7MA4YWxkTrZu0gW";
        self.request(Method::POST, path, Some(token), &[], Some(Body::Raw(content_type, body))).await
    }

    /// Sets the service's clock to an instant written as in the calls (`2022-05-30T11:59:59+02:00`).
    pub fn set_time(&self, at: &str) {
        self.clock.set(chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 instant").to_utc());
    }

    /// Loads the demo data, every account with [`DEMO_PASSWORD`].
    pub fn seed_demo(&self) {
        let created = ambito_api::demo::seed(&self.db, Some(DEMO_PASSWORD)).expect("demo data");
        assert!(!created.is_empty(), "demo data was already there");
    }

    /// Loads the demo as a fresh demo server does at its first start (the seed calls replayed up
    /// to the clock's instant); answers the accounts created, none when the demo was there.
    pub fn load_demo(&self) -> usize {
        use ambito_api::clock::Clock;
        ambito_api::demo::load(&self.db, Some(DEMO_PASSWORD), self.clock.now()).expect("demo data").len()
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login", None, serde_json::json!({"email": email, "password": password})).await
    }

    /// An access token for a demo account.
    pub async fn token(&self, email: &str) -> String {
        let reply = self.login(email, DEMO_PASSWORD).await;
        assert_eq!(reply.status, 200, "login of {email}: {reply:?}");
        reply.body["access_token"].as_str().expect("access token").to_owned()
    }

    /// The caller's organization id.
    pub async fn organization_of(&self, token: &str) -> String {
        let me = self.get("/api/v1/me", Some(token)).await;
        me.body["organization"]["id"].as_str().expect("organization id").to_owned()
    }

    /// How many audit events are recorded.
    pub async fn audit_count(&self, admin: &str) -> usize {
        let mut count = 0;
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/audit-events?limit=200&cursor={c}"),
                None => "/api/v1/audit-events?limit=200".to_owned(),
            };
            let page = self.get(&path, Some(admin)).await;
            assert_eq!(page.status, 200, "{page:?}");
            count += page.body["items"].as_array().expect("items").len();
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return count,
            }
        }
    }
}

/// Demo accounts by role.
pub mod demo {
    pub const ADMIN: &str = "admin@ambito.demo";
    pub const ASC: &str = "staff@asc.demo";
    pub const CONCASS: &str = "staff@concass.demo";
    pub const COOP_UNO: &str = "operatore@coop-uno.demo";
    pub const COOP_DUE: &str = "operatore@coop-due.demo";
    pub const CREMONA: &str = "servizi.sociali@comune-cremona.demo";
    pub const CASALMAGGIORE: &str = "servizi.sociali@comune-casalmaggiore.demo";
}

/// A valid 11-digit codice fiscale / partita IVA made from a number, for tests that create many.
pub fn numeric_code(n: u64) -> String {
    let body = format!("{:010}", n % 10_000_000_000);
    let digits: Vec<u8> = body.bytes().map(|c| c - b'0').collect();
    let check = ambito_domain::partita_iva::luhn_check_digit(&digits);
    format!("{body}{check}")
}

/// OCDS 1.1.5: every package the suite reads is checked against the standard's schemas.
pub mod ocds {
    use std::sync::OnceLock;

    use serde_json::Value;

    const RELEASE_SCHEMA: &str = include_str!("../data/ocds/release-schema.json");
    const PACKAGE_SCHEMA: &str = include_str!("../data/ocds/release-package-schema.json");
    /// Where to save each package read (for `.ci/run`'s libcoveocds check).
    pub const SAVE_DIR_VAR: &str = "AMBITO_TEST_OCDS_DIR";

    fn draft4(schema: &Value) -> jsonschema::Validator {
        jsonschema::options().with_draft(jsonschema::Draft::Draft4).build(schema).expect("a valid schema")
    }

    fn release_validator() -> &'static jsonschema::Validator {
        static V: OnceLock<jsonschema::Validator> = OnceLock::new();
        V.get_or_init(|| draft4(&serde_json::from_str(RELEASE_SCHEMA).expect("the release schema")))
    }

    /// The package schema with its releases left to the release schema, checked apart (it
    /// names the release schema by its URL, which tests do not fetch).
    fn envelope_validator() -> &'static jsonschema::Validator {
        static V: OnceLock<jsonschema::Validator> = OnceLock::new();
        V.get_or_init(|| {
            let mut schema: Value = serde_json::from_str(PACKAGE_SCHEMA).expect("the package schema");
            schema["properties"]["releases"]["items"] = serde_json::json!({"type": "object"});
            draft4(&schema)
        })
    }

    fn errors(validator: &jsonschema::Validator, value: &Value, what: &str) -> Vec<String> {
        validator.iter_errors(value).map(|e| format!("{what}: {} at {}", e, e.instance_path())).collect()
    }

    fn check_release(release: &Value, what: &str, problems: &mut Vec<String>) {
        problems.extend(errors(release_validator(), release, what));
    }

    /// Panics with every schema error of a release package or record package.
    pub fn validate(package: &Value) {
        let mut problems = Vec::new();
        if let Some(records) = package.get("records") {
            for key in ["uri", "version", "publishedDate", "publisher"] {
                if package.get(key).is_none() {
                    problems.push(format!("record package: no {key}"));
                }
            }
            for (i, record) in records.as_array().expect("records is an array").iter().enumerate() {
                let ocid = record["ocid"].as_str().expect("a record's ocid");
                for (j, release) in record["releases"].as_array().expect("a record's releases").iter().enumerate() {
                    assert_eq!(release["ocid"].as_str(), Some(ocid), "a record's releases share its ocid");
                    check_release(release, &format!("records[{i}].releases[{j}]"), &mut problems);
                }
                check_release(&record["compiledRelease"], &format!("records[{i}].compiledRelease"), &mut problems);
            }
        } else {
            problems.extend(errors(envelope_validator(), package, "package"));
            for (i, release) in package["releases"].as_array().into_iter().flatten().enumerate() {
                check_release(release, &format!("releases[{i}]"), &mut problems);
            }
        }
        assert!(problems.is_empty(), "not OCDS 1.1.5:\n{}\n{package:#}", problems.join("\n"));
    }

    /// Validates a package the suite read, and saves it when asked.
    pub fn saw(path: &str, package: &Value) {
        validate(package);
        if let Ok(dir) = std::env::var(SAVE_DIR_VAR) {
            let _ = std::fs::create_dir_all(&dir);
            let name = path.trim_start_matches('/').replace(['/', '?', '&', '='], "_");
            let file = std::path::Path::new(&dir).join(format!("{name}-{}.json", uuid::Uuid::now_v7().simple()));
            std::fs::write(file, serde_json::to_vec_pretty(package).expect("JSON")).expect("save the package");
        }
    }
}

/// Runs each named async test function on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[actix_web::test]
                async fn sqlite() {
                    let app = $crate::spawn($crate::Backend::Sqlite).await.expect("SQLite is always available");
                    super::$name(app).await;
                }

                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = $crate::spawn($crate::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}
