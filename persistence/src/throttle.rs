//! Failed-login counters, kept in the database so they hold across restarts and across several
//! API processes. Keys name what is throttled: an account's login, or a client address.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::schema::login_throttle;
use crate::{DbConnection, StoreError, from_db, to_db};

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed within `window` before the key is locked.
    pub max_failures: i32,
    pub window: Duration,
    pub lock_for: Duration,
}

/// When the key is locked now, until when.
pub fn locked_until(
    conn: &mut DbConnection,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let until: Option<Option<chrono::NaiveDateTime>> =
        login_throttle::table.find(key).select(login_throttle::locked_until).first(conn).optional()?;
    Ok(until.flatten().map(from_db).filter(|until| *until > now))
}

/// Counts one failure; returns the lock's end when this failure locks the key.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row: Option<(i32, chrono::NaiveDateTime)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::window_started_at))
        .first(conn)
        .optional()?;
    let (failures, window_start) = match row {
        Some((failures, start)) if from_db(start) + policy.window > now => (failures + 1, from_db(start)),
        _ => (1, now),
    };
    let locked_until = (failures >= policy.max_failures).then(|| now + policy.lock_for);
    // A lock starts a new window, so the count begins again once it ends.
    let (failures, window_start) = if locked_until.is_some() { (0, now) } else { (failures, window_start) };
    let values = (
        login_throttle::failures.eq(failures),
        login_throttle::window_started_at.eq(to_db(window_start)),
        login_throttle::locked_until.eq(locked_until.map(to_db)),
    );
    if row.is_some() {
        diesel::update(login_throttle::table.find(key)).set(values).execute(conn)?;
    } else {
        diesel::insert_into(login_throttle::table)
            .values((login_throttle::throttle_key.eq(key), values.0, values.1, values.2))
            .execute(conn)?;
    }
    Ok(locked_until)
}

pub fn reset(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}
