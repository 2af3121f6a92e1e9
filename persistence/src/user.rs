//! Users: people who log in with an e-mail and password, and service accounts of municipal
//! systems that log in with a client id and secret. Both hold a role fixed by their organization.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::users;
use crate::{
    DbConnection, Origin, Page, Paged, Snapshots, StoreError, from_db, organization, outbox, session, stored, to_db,
};
use ambito_domain::event::DirectoryEvent;
use ambito_domain::{Invalid, Name, OrganizationId, Role, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Person,
    Service,
}

impl UserKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Service => "service",
        }
    }
}

/// A user as shown and audited: never with the password hash.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub kind: UserKind,
    /// The e-mail address of a person, or the client id of a service account.
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    #[serde(skip)]
    pub token_version: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct Row {
    id: String,
    organization_id: String,
    kind: String,
    login: String,
    display_name: String,
    role: String,
    password_hash: String,
    active: bool,
    token_version: i64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl Row {
    fn into_parts(self) -> Result<(User, String), StoreError> {
        let user = User {
            id: stored("user id", self.id.parse())?,
            organization_id: stored("user organization", self.organization_id.parse())?,
            kind: match self.kind.as_str() {
                "service" => UserKind::Service,
                "person" => UserKind::Person,
                other => return Err(StoreError::Corrupt(format!("user kind {other}"))),
            },
            login: self.login,
            display_name: self.display_name,
            role: stored("role", self.role.parse())?,
            active: self.active,
            token_version: self.token_version,
            version: self.version,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        };
        Ok((user, self.password_hash))
    }

    pub(crate) fn into_user(self) -> Result<User, StoreError> {
        self.into_parts().map(|(user, _)| user)
    }
}

pub struct NewUser<'a> {
    pub organization_id: OrganizationId,
    pub kind: UserKind,
    pub login: &'a str,
    pub display_name: &'a Name,
    pub role: Role,
    pub password_hash: &'a str,
}

/// Creates a user; the role must be the one of the organization's kind.
pub fn create(conn: &mut DbConnection, origin: &Origin, new: &NewUser<'_>) -> Result<User, StoreError> {
    let org = match organization::get(conn, new.organization_id) {
        Err(StoreError::NotFound) => {
            return Err(Invalid::one("organization_id", "no such organization").into());
        }
        other => other?,
    };
    if new.role.organization_kind() != org.kind {
        return Err(Invalid::one(
            "role",
            format!("a member of a {} organization has the role {}", org.kind, Role::for_organization(org.kind)),
        )
        .into());
    }
    if find_login(conn, new.login)?.is_some() {
        return Err(StoreError::Conflict(format!("a user with login {} already exists", new.login)));
    }
    let at = crate::now();
    let now = to_db(at);
    let row = Row {
        id: UserId::new().to_string(),
        organization_id: org.id.to_string(),
        kind: new.kind.as_str().to_owned(),
        login: new.login.to_owned(),
        display_name: new.display_name.as_str().to_owned(),
        role: new.role.as_str().to_owned(),
        password_hash: new.password_hash.to_owned(),
        active: true,
        token_version: 1,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table).values(&row).execute(conn)?;
    let user = row.into_user()?;
    let event =
        DirectoryEvent::UserCreated { user_id: user.id, organization_id: user.organization_id, role: user.role };
    outbox::record(conn, origin, at, &event, Snapshots::created(&user))?;
    Ok(user)
}

pub fn get(conn: &mut DbConnection, id: UserId) -> Result<User, StoreError> {
    users::table.filter(users::id.eq(id.to_string())).get_result::<Row>(conn)?.into_user()
}

/// Whether any active platform admin exists: without one, nobody can create organizations.
pub fn admin_exists(conn: &mut DbConnection) -> Result<bool, StoreError> {
    let admins: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?;
    Ok(admins > 0)
}

/// The user with this login and their password hash, if any.
pub fn find_login(conn: &mut DbConnection, login: &str) -> Result<Option<(User, String)>, StoreError> {
    users::table.filter(users::login.eq(login)).get_result::<Row>(conn).optional()?.map(Row::into_parts).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub organization_id: Option<OrganizationId>,
}

pub fn list(conn: &mut DbConnection, filter: &UserFilter, page: &Page) -> Result<Paged<User>, StoreError> {
    let mut query = users::table.into_boxed();
    if let Some(org) = filter.organization_id {
        query = query.filter(users::organization_id.eq(org.to_string()));
    }
    if let Some(after) = &page.after {
        query = query.filter(users::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(users::id.asc()).limit(page.fetch()).load(conn)?;
    let list = rows.into_iter().map(Row::into_user).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |u| u.id.to_string()))
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<Name>,
    pub active: Option<bool>,
}

/// Applies `patch` to a user as they were read (`before`), if the stored version is still the one
/// read. Deactivating a user ends their sessions and invalidates the access tokens they hold.
pub fn update(conn: &mut DbConnection, origin: &Origin, before: User, patch: &UserPatch) -> Result<User, StoreError> {
    let id = before.id;
    let mut after = before.clone();
    if let Some(name) = &patch.display_name {
        after.display_name = name.as_str().to_owned();
    }
    if let Some(active) = patch.active {
        after.active = active;
    }
    let deactivated = before.active && !after.active;
    if deactivated {
        after.token_version += 1;
    }
    after.version += 1;
    after.updated_at = crate::now();
    let changed = diesel::update(users::table)
        .filter(users::id.eq(id.to_string()))
        .filter(users::version.eq(before.version))
        .set((
            users::display_name.eq(&after.display_name),
            users::active.eq(after.active),
            users::token_version.eq(after.token_version),
            users::version.eq(after.version),
            users::updated_at.eq(to_db(after.updated_at)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    if deactivated {
        session::revoke_all_for_user(conn, id, "user deactivated")?;
    }
    let event = DirectoryEvent::UserUpdated { user_id: id, organization_id: after.organization_id };
    outbox::record(conn, origin, after.updated_at, &event, Snapshots::changed(&before, &after))?;
    Ok(after)
}

/// Replaces the password hash, ends every session and invalidates every access token.
pub fn set_password(
    conn: &mut DbConnection,
    origin: &Origin,
    id: UserId,
    password_hash: &str,
) -> Result<(), StoreError> {
    let before = get(conn, id)?;
    let changed = diesel::update(users::table.filter(users::id.eq(id.to_string())))
        .set((
            users::password_hash.eq(password_hash),
            users::token_version.eq(users::token_version + 1),
            users::version.eq(users::version + 1),
            users::updated_at.eq(to_db(crate::now())),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    session::revoke_all_for_user(conn, id, "password changed")?;
    let after = get(conn, id)?;
    let event = DirectoryEvent::PasswordChanged { user_id: id, organization_id: after.organization_id };
    outbox::record(conn, origin, after.updated_at, &event, Snapshots::changed(&before, &after))?;
    Ok(())
}
