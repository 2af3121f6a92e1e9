//! Sessions and their refresh tokens. A login opens a session (a token family); each refresh
//! uses up one token and issues the next. Presenting a used token again means it was stolen:
//! the whole family is revoked. Access tokens name their session, so they stop working with it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::{refresh_tokens, sessions, users};
use crate::{DbConnection, StoreError, from_db, stored, to_db, user};
use ambito_domain::{SessionId, UserId};

pub fn open(conn: &mut DbConnection, user_id: UserId, now: DateTime<Utc>) -> Result<SessionId, StoreError> {
    let id = SessionId::new();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id.to_string()),
            sessions::user_id.eq(user_id.to_string()),
            sessions::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Stores a refresh token by its hash: the token itself is never kept.
pub fn issue_refresh(
    conn: &mut DbConnection,
    session_id: SessionId,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::session_id.eq(session_id.to_string()),
            refresh_tokens::issued_at.eq(to_db(now)),
            refresh_tokens::expires_at.eq(to_db(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// The token was good and is now used up; issue the next one in this session.
    Rotated { session_id: SessionId, user: Box<user::User> },
    /// The token was already used: its whole family has just been revoked.
    Reused,
    /// Unknown, expired, or of a revoked session or inactive user.
    Refused,
}

impl PartialEq for user::User {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.version == other.version
    }
}
impl Eq for user::User {}

/// Uses up a refresh token. Run inside a write transaction.
pub fn use_refresh(conn: &mut DbConnection, token_hash: &str, now: DateTime<Utc>) -> Result<Refresh, StoreError> {
    let found = refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((
            refresh_tokens::session_id,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            sessions::revoked_at,
            sessions::user_id,
        ))
        .get_result::<(String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>, String)>(
            conn,
        )
        .optional()?;
    let Some((session_id, expires_at, used_at, revoked_at, user_id)) = found else {
        return Ok(Refresh::Refused);
    };
    let session_id: SessionId = stored("session id", session_id.parse())?;
    if used_at.is_some() {
        revoke(conn, session_id, "refresh token reused", now)?;
        return Ok(Refresh::Reused);
    }
    if revoked_at.is_some() || from_db(expires_at) <= now {
        return Ok(Refresh::Refused);
    }
    let user = user::get(conn, stored("user id", user_id.parse())?)?;
    if !user.active {
        return Ok(Refresh::Refused);
    }
    diesel::update(refresh_tokens::table.find(token_hash)).set(refresh_tokens::used_at.eq(to_db(now))).execute(conn)?;
    Ok(Refresh::Rotated { session_id, user: Box::new(user) })
}

pub fn revoke(
    conn: &mut DbConnection,
    session_id: SessionId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(sessions::table.filter(sessions::id.eq(session_id.to_string())))
        .filter(sessions::revoked_at.is_null())
        .set((sessions::revoked_at.eq(to_db(now)), sessions::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_all_for_user(conn: &mut DbConnection, user_id: UserId, reason: &str) -> Result<(), StoreError> {
    diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id.to_string()))
        .filter(sessions::revoked_at.is_null())
        .set((sessions::revoked_at.eq(to_db(crate::now())), sessions::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(())
}

/// The user behind an access token, if its session is open, the user active, and the token
/// issued since their last password change or deactivation.
pub fn authenticate(
    conn: &mut DbConnection,
    session_id: SessionId,
    user_id: UserId,
    token_version: i64,
) -> Result<Option<user::User>, StoreError> {
    // One statement: the session's check and the user's row come back together.
    let row = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id.to_string()))
        .filter(sessions::user_id.eq(user_id.to_string()))
        .filter(sessions::revoked_at.is_null())
        .filter(users::active.eq(true))
        .filter(users::token_version.eq(token_version))
        .select(users::all_columns)
        .get_result::<user::Row>(conn)
        .optional()?;
    row.map(user::Row::into_user).transpose()
}
