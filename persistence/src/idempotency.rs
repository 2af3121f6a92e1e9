//! Idempotency keys of creating requests, stored with the response they produced, so that a
//! client that retries gets the same answer, across restarts and across API processes.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::schema::idempotency_keys;
use crate::{DbConnection, StoreError, from_db, to_db};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);
/// A first request still unanswered after this long died with its process: its key is free.
pub const ABANDONED_AFTER: Duration = Duration::minutes(2);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now reserved for this request: run it, then `complete`.
    Started,
    /// The same request was already answered: send this again.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InFlight,
}

/// request hash, status, body, location, creation time
type KeyRow = (String, Option<i32>, Option<String>, Option<String>, chrono::NaiveDateTime);

/// Reserves `key` for a request whose body hashes to `request_hash`. Run in a write transaction
/// of its own, committed before the request's work starts, so a concurrent retry sees it.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let existing: Option<KeyRow> = idempotency_keys::table
        .find((owner, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
            idempotency_keys::location,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .optional()?;
    match existing {
        Some((_, status, _, _, created))
            if from_db(created) + RETENTION <= now
                || (status.is_none() && from_db(created) + ABANDONED_AFTER <= now) =>
        {
            diesel::delete(idempotency_keys::table.find((owner, key))).execute(conn)?;
        }
        Some((hash, _, _, _, _)) if hash != request_hash => return Ok(Claim::Mismatch),
        Some((_, Some(status), body, location, _)) => {
            return Ok(Claim::Replay(StoredResponse {
                status: u16::try_from(status).map_err(|_| StoreError::Corrupt("status".into()))?,
                body: body.unwrap_or_default(),
                location,
            }));
        }
        Some(_) => return Ok(Claim::InFlight),
        None => {}
    }
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::owner_id.eq(owner),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::created_at.eq(to_db(now)),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            // Another process claimed it between our read and our insert.
            StoreError::Conflict(_) => StoreError::Conflict("in flight".into()),
            other => other,
        })?;
    Ok(Claim::Started)
}

pub fn complete(conn: &mut DbConnection, owner: &str, key: &str, response: &StoredResponse) -> Result<(), StoreError> {
    diesel::update(idempotency_keys::table.find((owner, key)))
        .set((
            idempotency_keys::status_code.eq(i32::from(response.status)),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::location.eq(&response.location),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a key whose request failed on our side, so the client may retry it.
pub fn release(conn: &mut DbConnection, owner: &str, key: &str) -> Result<(), StoreError> {
    diesel::delete(idempotency_keys::table.find((owner, key))).execute(conn)?;
    Ok(())
}
