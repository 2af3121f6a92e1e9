//! Connections and pools for both backends, migrations, and the write transaction.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::event::{CheckoutEvent, TimeoutEvent};
use diesel::r2d2::{self, HandleEvent, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// PostgreSQL advisory lock keys, all here so that no two uses share one.
pub(crate) mod advisory {
    /// Held while migrations run and the catalogue loads.
    pub const MIGRATIONS: i64 = 4_242_001;
    /// Held for a transaction while it appends events, which orders them.
    pub const EVENTS: i64 = 4_242_002;
    /// Held while a process starts (migrations, catalogue, demo data).
    pub const STARTUP: i64 = 4_242_003;
}

/// A PostgreSQL statement that waits or runs longer than this is cancelled and answered 503,
/// well within the API's own deadline for the database.
const STATEMENT_TIMEOUT: &str = "SET statement_timeout = '8s'";

/// One connection type over both backends, so repositories are written once.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs are PostgreSQL; anything else is a SQLite file
    /// (optionally written `sqlite://path`).
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") { Self::Postgres } else { Self::Sqlite }
    }
}

/// Runs a diesel expression on the backend's own connection, for what the multi-backend
/// connection cannot express (batch inserts).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Postgresql($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Opens connections for the configured backend only: a PostgreSQL server that is down must
/// be an error, not a reason to fall back to a SQLite file named like the URL.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
    statements: Arc<StatementLog>,
}

/// Every statement the pool's connections send, counted, and recorded while a test asks: a
/// request's round trips are a number that tests and metrics see, so they cannot grow unnoticed.
#[derive(Debug, Default)]
pub struct StatementLog {
    executed: AtomicU64,
    /// Statements prepared and put in a connection's cache: flat once the hot reads are warm.
    prepared: AtomicU64,
    recording: AtomicBool,
    recorded: Mutex<Vec<String>>,
}

impl StatementLog {
    /// Statements sent since the pool opened (transaction control and pragmas included).
    pub fn executed(&self) -> u64 {
        self.executed.load(Ordering::Relaxed)
    }

    /// Statements prepared into a connection's statement cache since the pool opened.
    pub fn prepared(&self) -> u64 {
        self.prepared.load(Ordering::Relaxed)
    }

    /// Starts recording the text of every statement, forgetting what was recorded before.
    pub fn start_recording(&self) {
        self.lock().clear();
        self.recording.store(true, Ordering::Relaxed);
    }

    /// Stops recording and returns the statements' SQL (without bound values), in order.
    pub fn stop_recording(&self) -> Vec<String> {
        self.recording.store(false, Ordering::Relaxed);
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The connections' diesel instrumentation, feeding the pool's [`StatementLog`].
struct Instrument(Arc<StatementLog>);

thread_local! {
    /// Whether a statement on this thread found its connection lost. Connections are used and
    /// given back on one thread, so the pool asks this when the connection comes back.
    static CONNECTION_LOST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Instrumentation for Instrument {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.0.executed.fetch_add(1, Ordering::Relaxed);
                if self.0.recording.load(Ordering::Relaxed) {
                    let text = query.to_string();
                    let sql = text.split(" -- binds: ").next().unwrap_or_default().to_owned();
                    self.0.lock().push(sql);
                }
            }
            InstrumentationEvent::CacheQuery { .. } => {
                self.0.prepared.fetch_add(1, Ordering::Relaxed);
            }
            InstrumentationEvent::FinishQuery { error: Some(e), .. } => {
                use diesel::result::{DatabaseErrorKind, Error};
                if matches!(
                    e,
                    Error::DatabaseError(
                        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                        _
                    )
                ) {
                    CONNECTION_LOST.set(true);
                }
            }
            _ => {}
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.target).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(STATEMENT_TIMEOUT).map_err(r2d2::Error::QueryError)?;
                conn.set_instrumentation(Instrument(self.statements.clone()));
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn =
                    diesel::SqliteConnection::establish(&self.target).map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first, so that switching to WAL itself waits for other writers.
                for pragma in [
                    "PRAGMA busy_timeout = 5000",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = FULL",
                    "PRAGMA foreign_keys = ON",
                ] {
                    conn.batch_execute(pragma).map_err(r2d2::Error::QueryError)?;
                }
                conn.set_instrumentation(Instrument(self.statements.clone()));
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection is not pinged when lent out (that was one more round trip per request):
    /// one whose statement found it lost is dropped when it comes back, so a restarted
    /// server costs each pooled connection one failed request.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        CONNECTION_LOST.replace(false) || std::thread::panicking() || r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type Conn = PooledConnection<Manager>;

/// See [`Db::startup_lock`].
pub struct StartupLock {
    _held: Box<dyn std::any::Any>,
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite has one writer at a time. Writers of this process queue here, in order, instead
    /// of polling in SQLite's busy handler, whose growing sleeps gave second-long tails under
    /// concurrent writes; writers of other processes still wait through `busy_timeout`.
    sqlite_writer: Arc<Mutex<()>>,
    counters: Arc<PoolCounters>,
    statements: Arc<StatementLog>,
}

/// What the pool has done since it opened, for metrics: checkouts, the time they waited for a
/// connection, and those that gave up waiting.
#[derive(Debug, Default)]
pub struct PoolCounters {
    checkouts: AtomicU64,
    wait_micros: AtomicU64,
    timeouts: AtomicU64,
}

impl HandleEvent for PoolCounters {
    fn handle_checkout(&self, event: CheckoutEvent) {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(event.duration().as_micros()).unwrap_or(u64::MAX);
        self.wait_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn handle_timeout(&self, event: TimeoutEvent) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(event.timeout().as_micros()).unwrap_or(u64::MAX);
        self.wait_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// The pool as it is now, and its counters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolStats {
    /// The most connections it may open.
    pub max_size: u32,
    /// Connections open.
    pub connections: u32,
    /// Connections open and lent out.
    pub in_use: u32,
    /// Connections handed out since the pool opened.
    pub checkouts: u64,
    /// Seconds spent waiting for a connection, over every checkout and timeout.
    pub wait_seconds: f64,
    /// Checkouts that gave up after the checkout timeout (answered 503).
    pub timeouts: u64,
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a free connection before it is told the service is busy.
    pub checkout_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self { max_size: 8, checkout_timeout: Duration::from_secs(3) }
    }
}

impl Db {
    /// Opens a pool; for SQLite, creates the file's folder first. One connection is opened at
    /// once, so that a database that cannot be reached (or a file that cannot be created) is one
    /// clear error naming it, rather than the pool's retries.
    pub fn connect(url: &str, options: &PoolOptions) -> Result<Self, StoreError> {
        let (backend, target) = target_of(url)?;
        let statements = Arc::new(StatementLog::default());
        let manager = Manager { backend, target, statements: statements.clone() };
        let first = manager.connect().map_err(|e| cannot_open(backend, &manager.target, url, &e))?;
        drop(first);
        let counters = Arc::new(PoolCounters::default());
        let pool = Pool::builder()
            .max_size(options.max_size)
            .event_handler(Box::new(Counting(counters.clone())))
            // Connections open as needed: eight opening at once on a new SQLite file would race
            // to switch it to WAL, and some would fail ("database is locked") before retrying.
            .min_idle(Some(1))
            .connection_timeout(options.checkout_timeout)
            // No `SELECT 1` before every checkout: see `Manager::has_broken`.
            .test_on_check_out(false)
            // Failures reach the caller as errors (a 503, or the start-up's one line), so the
            // pool's own log lines would only repeat them.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)
            .map_err(|e| StoreError::Unavailable(one_line(&e.to_string())))?;
        Ok(Self { pool, backend, sqlite_writer: Arc::new(Mutex::new(())), counters, statements })
    }

    /// The pool's connections and counters, for metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let state = self.pool.state();
        PoolStats {
            max_size: self.pool.max_size(),
            connections: state.connections,
            in_use: state.connections.saturating_sub(state.idle_connections),
            checkouts: self.counters.checkouts.load(Ordering::Relaxed),
            wait_seconds: self.counters.wait_micros.load(Ordering::Relaxed) as f64 / 1e6,
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
        }
    }

    /// The statements the pool's connections have sent.
    pub fn statements(&self) -> &StatementLog {
        &self.statements
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool. Blocking: call it from a blocking thread.
    pub fn conn(&self) -> Result<Conn, StoreError> {
        self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Applies pending migrations, then loads reference data that is still missing.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        tracing::info!("applying migrations");
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => run_migrations(c, SQLITE_MIGRATIONS)?,
            DbConnection::Postgresql(c) => {
                // Several API processes may start together: one migrates and loads the
                // catalogue, the others wait and then find both done.
                // Waiting for another process's migrations, and loading the catalogue on a busy
                // machine, may take longer than any request should.
                c.batch_execute(&format!(
                    "SET statement_timeout = 0; SELECT pg_advisory_lock({})",
                    advisory::MIGRATIONS
                ))?;
                let applied = run_migrations(c, POSTGRES_MIGRATIONS);
                let loaded = applied.as_ref().ok().map(|applied| load_catalogue_logged(&mut conn, applied.len()));
                let DbConnection::Postgresql(c) = &mut *conn else { unreachable!("the variant does not change") };
                c.batch_execute(&format!("SELECT pg_advisory_unlock({})", advisory::MIGRATIONS))?;
                c.batch_execute(STATEMENT_TIMEOUT)?;
                loaded.transpose()?;
                return applied;
            }
        };
        load_catalogue_logged(&mut conn, applied.len())?;
        Ok(applied)
    }

    /// Held while a process starts (migrations, catalogue, demo data), so that processes
    /// starting together on one database take turns: the later ones find everything done.
    /// A PostgreSQL advisory lock on a connection of its own, or a lock file beside the SQLite
    /// file; released when dropped, or when the process dies.
    ///
    /// Taken before the first connection: opening a new SQLite file from several processes at
    /// once races to switch it to WAL, and a loser fails with "database is locked".
    pub fn startup_lock(url: &str) -> Result<StartupLock, StoreError> {
        let (backend, target) = target_of(url)?;
        match backend {
            Backend::Postgres => {
                let mut conn =
                    diesel::PgConnection::establish(&target).map_err(|e| cannot_open(backend, &target, url, &e))?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({})", advisory::STARTUP))?;
                Ok(StartupLock { _held: Box::new(conn) })
            }
            Backend::Sqlite => {
                let path = format!("{target}.startup-lock");
                let failed = |e: std::io::Error| {
                    StoreError::Unavailable(format!("cannot lock {}: {e}", absolute(Path::new(&path))))
                };
                let file = std::fs::File::create(&path).map_err(failed)?;
                file.lock().map_err(failed)?;
                Ok(StartupLock { _held: Box::new(file) })
            }
        }
    }

    /// Runs `f` in one write transaction. On SQLite it begins IMMEDIATE, taking the write lock
    /// up front: a deferred transaction that reads and then writes fails at once with "database
    /// is locked" when another writer is active, whatever the busy timeout.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // The turn is taken before the connection, so queued writers hold no pooled connection.
        let _turn = (self.backend == Backend::Sqlite)
            .then(|| self.sqlite_writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let mut conn = self.conn()?;
        write_transaction(&mut conn, f)
    }

    /// Whether the database takes a write: one that answers reads but cannot write (a full or
    /// read-only disk, a read-only server) is not ready to serve.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.write(|conn| {
            conn.batch_execute("UPDATE health_probe SET checked_at = CURRENT_TIMESTAMP WHERE id = 1")
                .map_err(|e| StoreError::Unavailable(e.to_string()))
        })
    }

    /// Runs `f` with a connection, outside any explicit transaction.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.conn()?;
        f(&mut conn)
    }
}

/// The backend a URL names and what its connections open; for SQLite, the file's folder is
/// created first.
fn target_of(url: &str) -> Result<(Backend, String), StoreError> {
    let backend = Backend::of_url(url);
    let target = match backend {
        Backend::Postgres => url.to_owned(),
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create the directory {}: {e}", absolute(dir)))
                })?;
            }
            path.to_owned()
        }
    };
    Ok((backend, target))
}

/// One clear line for a database that cannot be opened, without the URL's password.
fn cannot_open(backend: Backend, target: &str, url: &str, e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Unavailable(match backend {
        Backend::Sqlite => format!(
            "cannot open the SQLite database {} (is its directory writable?): {}",
            absolute(Path::new(target)),
            one_line(&e.to_string())
        ),
        Backend::Postgres => format!("cannot connect to PostgreSQL at {}: {}", redacted(url), one_line(&e.to_string())),
    })
}

/// A path as the operator would look for it: absolute when it can be made so.
fn absolute(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).display().to_string()
}

/// An error message on one line: drivers' messages (libpq's) span several.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A database URL without its password, fit for a log line.
pub fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) if rest.contains('@') => {
            let (credentials, host) = rest.rsplit_once('@').expect("checked");
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        _ => url.to_owned(),
    }
}

/// The pool's event handler: r2d2 takes it boxed, the pool keeps the counters shared.
#[derive(Debug)]
struct Counting(Arc<PoolCounters>);

impl HandleEvent for Counting {
    fn handle_checkout(&self, event: CheckoutEvent) {
        self.0.handle_checkout(event);
    }

    fn handle_timeout(&self, event: TimeoutEvent) {
        self.0.handle_timeout(event);
    }
}

fn load_catalogue_logged(conn: &mut DbConnection, applied: usize) -> Result<(), StoreError> {
    tracing::info!(applied, "migrations done");
    tracing::info!("loading the ISTAT municipality catalogue");
    let loaded = crate::municipality::load_catalogue(conn)?;
    tracing::info!(loaded, "catalogue ready");
    Ok(())
}

fn run_migrations<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<Vec<String>, StoreError>
where
    C: MigrationHarness<C::Backend> + diesel::Connection,
{
    conn.run_pending_migrations(migrations)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| StoreError::Migration(e.to_string()))
}

/// See [`Db::write`].
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<StoreError>,
{
    let failed = |e: diesel::result::Error| E::from(StoreError::from(e));
    let DbConnection::Sqlite(sqlite) = conn else {
        // diesel's transaction wants an error it can build from its own; carry ours through it.
        enum Either<E> {
            Ours(E),
            Diesel(diesel::result::Error),
        }
        impl<E> From<diesel::result::Error> for Either<E> {
            fn from(e: diesel::result::Error) -> Self {
                Self::Diesel(e)
            }
        }
        return conn.transaction(|c| f(c).map_err(Either::Ours)).map_err(|e| match e {
            Either::Ours(e) => e,
            Either::Diesel(e) => failed(e),
        });
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE").map_err(failed)?;
    let result = f(conn);
    let DbConnection::Sqlite(sqlite) = conn else { unreachable!("the variant does not change") };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite).map_err(failed)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(sqlite).map_err(failed)?;
            Err(e)
        }
    }
}
