//! Ambito's storage: one set of repositories over SQLite (embedded default) and PostgreSQL
//! (production). Repositories take and return domain types and hold no rules; every change is
//! written with its event and audit entry in the same transaction (`outbox`).

pub mod accreditation;
pub mod application;
pub mod audit;
pub mod beneficiary;
pub mod catalogue;
mod children;
pub mod copayment;
pub mod db;
pub mod delivery_report;
pub mod district;
pub mod document;
pub mod idempotency;
pub mod measure;
pub mod mediation;
pub mod municipality;
pub mod organization;
pub mod outbox;
pub mod page;
pub mod patto;
pub mod requirement;
pub mod schema;
pub mod service_request;
pub mod session;
pub mod tender;
pub mod throttle;
pub mod user;

pub use audit::{Origin, Snapshots};
pub use db::{Backend, Db, DbConnection, PoolOptions, PoolStats};
pub use page::{Page, Paged};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The row exists but its version is not the one the caller read.
    #[error("the record was changed by someone else")]
    Stale,
    /// A unique value is already taken; the text names it for the user.
    #[error("{0}")]
    Conflict(String),
    /// The pool could not hand out a connection in time, or the database is unreachable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored value that the domain refuses: the database was changed behind our back.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// Input that parsed but refers to something that does not exist, per field.
    #[error(transparent)]
    Invalid(#[from] ambito_domain::Invalid),
    #[error("database error: {0}")]
    Database(DieselError),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("a record with these values already exists".into())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::ReadOnlyTransaction,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            DieselError::DatabaseError(_, info) if unavailable(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => Self::Unavailable("the connection's transaction broke".into()),
            other => Self::Database(other),
        }
    }
}

/// Whether a database's error says it cannot serve now (busy, out of space, read-only, shutting
/// down, too slow), rather than that the statement is wrong: the difference between "try again
/// later" (503) and a fault of ours (500).
fn unavailable(message: &str) -> bool {
    const SIGNS: [&str; 12] = [
        // SQLite
        "database is locked",
        "database table is locked",
        "database or disk is full",
        "attempt to write a readonly database",
        "disk I/O error",
        "unable to open database file",
        // PostgreSQL
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "terminating connection",
        "the database system is",
        "could not extend file",
        "No space left on device",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// The current instant at the precision both backends store (microseconds), so that what a
/// change returns equals what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// Instants are stored as naive UTC: the one timestamp type both backends share.
pub(crate) fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(crate) fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses a stored value back into its domain type; failure means the row is corrupt.
pub(crate) fn stored<T, E: std::fmt::Display>(what: &str, parsed: Result<T, E>) -> Result<T, StoreError> {
    parsed.map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Locks a row against concurrent changes until the transaction ends, so that concurrent
/// changes of one aggregate take turns, across API processes (PostgreSQL; SQLite's write
/// transactions take turns anyway). `table` is one of ours, never input.
pub(crate) fn lock_row(conn: &mut DbConnection, table: &'static str, id: &str) -> Result<(), StoreError> {
    use diesel::RunQueryDsl;
    if let DbConnection::Postgresql(c) = conn {
        let locked = diesel::sql_query(format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
        if locked == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// A calendar day, stored as `YYYY-MM-DD` text on both databases.
pub(crate) fn stored_date(what: &str, day: &str) -> Result<chrono::NaiveDate, StoreError> {
    stored(what, chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d"))
}

#[allow(dead_code)]
pub(crate) fn stored_id(what: &str, id: &str) -> Result<uuid::Uuid, StoreError> {
    stored(what, uuid::Uuid::parse_str(id))
}

#[cfg(test)]
mod tests {
    /// diesel's `.first()` binds `LIMIT ?`, and SQLite re-prepares a statement whose `LIMIT` is
    /// bound on every new binding, so a read by key never hit the statement cache. Reads by a
    /// unique key use `.get_result()`; only "the newest/oldest of many" may take `.first()`.
    #[test]
    fn reads_by_key_bind_no_limit() {
        let allowed = ["municipality.rs", "outbox.rs", "organization.rs"];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            // Spelled in two halves, so that this file does not count itself.
            let (by_conn, typed) = ([".first", "(conn)"].concat(), [".first", "::<"].concat());
            let firsts = text.matches(&by_conn).count() + text.matches(&typed).count();
            let expected = usize::from(allowed.contains(&name.as_str()));
            assert!(firsts <= expected, "{name}: a read by key with .first() binds LIMIT; use .get_result()");
        }
    }
}
