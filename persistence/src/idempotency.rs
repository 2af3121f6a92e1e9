//! Idempotency keys of creating requests, stored with the response they produced. The key's
//! claim, the work and the saved response commit in one transaction: a retry after a crash at
//! any point either finds the answer or finds nothing and does the work, never twice.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::schema::idempotency_keys;
use crate::{DbConnection, StoreError, from_db, to_db};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Not used yet (or forgotten): do the work.
    New,
    /// The same request was already answered: send this again.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
}

/// request hash, status, body, location, creation time
type KeyRow = (String, Option<i32>, Option<String>, Option<String>, chrono::NaiveDateTime);

/// What a key has answered so far, within the caller's transaction. A key older than the
/// retention period is forgotten.
pub fn lookup(
    conn: &mut DbConnection,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Lookup, StoreError> {
    let target = idempotency_keys::table
        .filter(idempotency_keys::owner_id.eq(owner))
        .filter(idempotency_keys::idempotency_key.eq(key));
    let existing: Option<KeyRow> = target
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
            idempotency_keys::location,
            idempotency_keys::created_at,
        ))
        .get_result(conn)
        .optional()?;
    match existing {
        None => Ok(Lookup::New),
        Some((_, _, _, _, created)) if from_db(created) + RETENTION <= now => {
            diesel::delete(target).execute(conn)?;
            Ok(Lookup::New)
        }
        Some((hash, _, _, _, _)) if hash != request_hash => Ok(Lookup::Mismatch),
        Some((_, status, body, location, _)) => Ok(Lookup::Replay(StoredResponse {
            status: status.and_then(|s| u16::try_from(s).ok()).ok_or_else(|| StoreError::Corrupt("status".into()))?,
            body: body.unwrap_or_default(),
            location,
        })),
    }
}

/// Claims a key in the transaction that does the work. A concurrent request with the same key
/// waits for that transaction (PostgreSQL's unique index, SQLite's single writer) and then gets
/// `Conflict`: it should look the key up again in a new transaction.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::owner_id.eq(owner),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Saves the response, in the transaction that claimed the key and did the work.
pub fn complete(conn: &mut DbConnection, owner: &str, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
    diesel::update(idempotency_keys::table)
        .filter(idempotency_keys::owner_id.eq(owner))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .set((
            idempotency_keys::status_code.eq(i32::from(response.status)),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::location.eq(&response.location),
        ))
        .execute(conn)?;
    Ok(())
}
