//! Districts (ambiti distrettuali): the municipalities an authority serves. Data, editable by
//! admins.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::{district_municipalities, districts};
use crate::{
    DbConnection, Origin, Page, Paged, Snapshots, StoreError, from_db, municipality, organization, outbox, stored,
    to_db,
};
use ambito_domain::event::DirectoryEvent;
use ambito_domain::{DistrictId, Invalid, IstatCode, Name, OrganizationId, OrganizationKind};

#[derive(Debug, Clone, Serialize)]
pub struct District {
    pub id: DistrictId,
    pub name: String,
    pub authority_id: OrganizationId,
    pub municipalities: Vec<IstatCode>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable)]
struct Row {
    id: String,
    name: String,
    authority_id: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct NewDistrict {
    pub name: Name,
    pub authority_id: OrganizationId,
    pub municipalities: Vec<IstatCode>,
}

fn check_members(conn: &mut DbConnection, codes: &[IstatCode]) -> Result<(), StoreError> {
    if codes.is_empty() {
        return Err(Invalid::one("municipalities", "a district has at least one municipality").into());
    }
    let unknown = municipality::unknown_codes(conn, codes)?;
    if !unknown.is_empty() {
        let list: Vec<&str> = unknown.iter().map(IstatCode::as_str).collect();
        return Err(Invalid::one("municipalities", format!("unknown ISTAT codes: {}", list.join(", "))).into());
    }
    Ok(())
}

fn set_members(conn: &mut DbConnection, id: &str, codes: &[IstatCode]) -> Result<(), StoreError> {
    diesel::delete(district_municipalities::table.filter(district_municipalities::district_id.eq(id))).execute(conn)?;
    let mut unique: Vec<&str> = codes.iter().map(IstatCode::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let rows: Vec<_> = unique
        .into_iter()
        .map(|c| (district_municipalities::district_id.eq(id), district_municipalities::istat_code.eq(c)))
        .collect();
    crate::on_backend!(conn, |c| diesel::insert_into(district_municipalities::table).values(&rows).execute(c))?;
    Ok(())
}

fn name_taken(conn: &mut DbConnection, name: &Name, except: Option<DistrictId>) -> Result<bool, StoreError> {
    let mut query = districts::table.filter(districts::name.eq(name.as_str())).into_boxed();
    if let Some(id) = except {
        query = query.filter(districts::id.ne(id.to_string()));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

pub fn create(conn: &mut DbConnection, origin: &Origin, new: &NewDistrict) -> Result<District, StoreError> {
    match organization::get(conn, new.authority_id) {
        Ok(org) if org.kind == OrganizationKind::Authority => {}
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(Invalid::one("authority_id", "no authority has this id").into());
        }
        Err(e) => return Err(e),
    }
    check_members(conn, &new.municipalities)?;
    if name_taken(conn, &new.name, None)? {
        return Err(StoreError::Conflict(format!("a district named {} already exists", new.name.as_str())));
    }
    let id = DistrictId::new();
    let at = crate::now();
    let now = to_db(at);
    diesel::insert_into(districts::table)
        .values((
            districts::id.eq(id.to_string()),
            districts::name.eq(new.name.as_str()),
            districts::authority_id.eq(new.authority_id.to_string()),
            districts::version.eq(1),
            districts::created_at.eq(now),
            districts::updated_at.eq(now),
        ))
        .execute(conn)?;
    set_members(conn, &id.to_string(), &new.municipalities)?;
    let district = get(conn, id)?;
    let event = DirectoryEvent::DistrictCreated { district_id: id, authority_id: district.authority_id };
    outbox::record(conn, origin, at, &event, Snapshots::created(&district))?;
    Ok(district)
}

pub fn get(conn: &mut DbConnection, id: DistrictId) -> Result<District, StoreError> {
    let row: Row = districts::table.filter(districts::id.eq(id.to_string())).get_result(conn)?;
    let mut all = with_members(conn, vec![row])?;
    Ok(all.remove(0))
}

fn with_members(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<District>, StoreError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let members: Vec<(String, String)> = district_municipalities::table
        .filter(district_municipalities::district_id.eq_any(&ids))
        .order(district_municipalities::istat_code.asc())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let municipalities = members
                .iter()
                .filter(|(d, _)| *d == r.id)
                .map(|(_, c)| stored("istat code", IstatCode::parse(c)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(District {
                id: stored("district id", r.id.parse())?,
                name: r.name,
                authority_id: stored("authority id", r.authority_id.parse())?,
                municipalities,
                version: r.version,
                created_at: from_db(r.created_at),
                updated_at: from_db(r.updated_at),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct DistrictFilter {
    pub authority_id: Option<OrganizationId>,
}

pub fn list(conn: &mut DbConnection, filter: &DistrictFilter, page: &Page) -> Result<Paged<District>, StoreError> {
    let mut query = districts::table.into_boxed();
    if let Some(a) = filter.authority_id {
        query = query.filter(districts::authority_id.eq(a.to_string()));
    }
    if let Some(after) = &page.after {
        query = query.filter(districts::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(districts::id.asc()).limit(page.fetch()).load(conn)?;
    let list = with_members(conn, rows)?;
    Ok(page.finish(list, |d| d.id.to_string()))
}

#[derive(Default)]
pub struct DistrictPatch {
    pub name: Option<Name>,
    pub municipalities: Option<Vec<IstatCode>>,
}

/// Whether `patch` may apply to the district `id`: its municipalities exist, its name is free.
pub fn check(conn: &mut DbConnection, id: DistrictId, patch: &DistrictPatch) -> Result<(), StoreError> {
    if let Some(codes) = &patch.municipalities {
        check_members(conn, codes)?;
    }
    if let Some(name) = &patch.name
        && name_taken(conn, name, Some(id))?
    {
        return Err(StoreError::Conflict(format!("a district named {} already exists", name.as_str())));
    }
    Ok(())
}

/// Applies a checked `patch` to a district as it was read (`before`), if its stored version is
/// still the one read.
pub fn update(
    conn: &mut DbConnection,
    origin: &Origin,
    before: District,
    patch: &DistrictPatch,
) -> Result<District, StoreError> {
    let id = before.id;
    let changed = diesel::update(districts::table)
        .filter(districts::id.eq(id.to_string()))
        .filter(districts::version.eq(before.version))
        .set((
            districts::name.eq(patch.name.as_ref().map_or(before.name.as_str(), Name::as_str)),
            districts::version.eq(before.version + 1),
            districts::updated_at.eq(to_db(crate::now())),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Stale);
    }
    if let Some(codes) = &patch.municipalities {
        set_members(conn, &id.to_string(), codes)?;
    }
    let after = get(conn, id)?;
    let event = DirectoryEvent::DistrictUpdated { district_id: id, authority_id: after.authority_id };
    outbox::record(conn, origin, after.updated_at, &event, Snapshots::changed(&before, &after))?;
    Ok(after)
}
