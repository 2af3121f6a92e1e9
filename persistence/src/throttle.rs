//! Failed-login counters, kept in the database so they hold across restarts and across several
//! API processes. Keys name what is throttled: an account's login, or a client address.
//!
//! An attempt is counted before its password is checked, under the key's row lock: parallel
//! attempts take turns on the count, so no more than `max_failures` passwords are ever checked
//! per window, however many arrive at once.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::schema::login_throttle;
use crate::{DbConnection, StoreError, from_db, to_db};

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts allowed within `window` without a success; the last of them, failing, locks.
    pub max_failures: i32,
    pub window: Duration,
    pub lock_for: Duration,
}

/// What counting an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The attempt may be checked; `last` when its failure must lock the key.
    Allowed { last: bool },
    /// The key is locked until then: the attempt is refused unchecked.
    Locked(DateTime<Utc>),
}

struct Row {
    failures: i32,
    window_start: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// Reads the key's row locked for this transaction, creating it empty when missing.
fn locked_row(conn: &mut DbConnection, key: &str, now: DateTime<Utc>) -> Result<Row, StoreError> {
    crate::on_backend!(conn, |c| diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::throttle_key.eq(key),
            login_throttle::failures.eq(0),
            login_throttle::window_started_at.eq(to_db(now)),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    // An update takes the row lock on PostgreSQL; SQLite's write transactions take turns anyway.
    diesel::update(login_throttle::table.find(key))
        .set(login_throttle::failures.eq(login_throttle::failures))
        .execute(conn)?;
    let (failures, start, until): (i32, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>) = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::window_started_at, login_throttle::locked_until))
        .get_result(conn)?;
    Ok(Row { failures, window_start: from_db(start), locked_until: until.map(from_db) })
}

fn save(conn: &mut DbConnection, key: &str, row: &Row) -> Result<(), StoreError> {
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(row.failures),
            login_throttle::window_started_at.eq(to_db(row.window_start)),
            login_throttle::locked_until.eq(row.locked_until.map(to_db)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts an attempt on `key`. Call it in a write transaction, before checking the password.
pub fn claim(conn: &mut DbConnection, key: &str, policy: &Policy, now: DateTime<Utc>) -> Result<Claim, StoreError> {
    let mut row = locked_row(conn, key, now)?;
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Ok(Claim::Locked(until));
    }
    if row.window_start + policy.window <= now || row.locked_until.is_some() {
        // A new window: the old one passed, or a lock ended.
        row = Row { failures: 0, window_start: now, locked_until: None };
    }
    if row.failures >= policy.max_failures {
        let until = now + policy.lock_for;
        save(conn, key, &Row { failures: 0, window_start: now, locked_until: Some(until) })?;
        return Ok(Claim::Locked(until));
    }
    row.failures += 1;
    save(conn, key, &row)?;
    Ok(Claim::Allowed { last: row.failures >= policy.max_failures })
}

/// The claimed attempt failed and was the window's last: the key is locked from now.
pub fn lock(
    conn: &mut DbConnection,
    key: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, StoreError> {
    let until = now + policy.lock_for;
    locked_row(conn, key, now)?;
    save(conn, key, &Row { failures: 0, window_start: now, locked_until: Some(until) })?;
    Ok(until)
}

/// The claimed attempt succeeded: it does not count against the key.
pub fn release(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::update(login_throttle::table.find(key).filter(login_throttle::failures.gt(0)))
        .set(login_throttle::failures.eq(login_throttle::failures - 1))
        .execute(conn)?;
    Ok(())
}

/// Forgets the key: an account's failures end with a successful login.
pub fn reset(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}

/// A key's state, for tests and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    /// Attempts counted in the current window.
    pub failures: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

pub fn state(conn: &mut DbConnection, key: &str) -> Result<Option<KeyState>, StoreError> {
    let row: Option<(i32, Option<chrono::NaiveDateTime>)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::locked_until))
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(failures, until)| KeyState { failures, locked_until: until.map(from_db) }))
}
