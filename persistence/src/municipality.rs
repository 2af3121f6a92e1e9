//! The municipality catalogue: every Italian comune, loaded from ISTAT's list.

use diesel::prelude::*;
use serde::Serialize;

use crate::schema::municipalities;
use crate::{DbConnection, Page, Paged, StoreError};
use ambito_domain::IstatCode;

/// ISTAT's list (CC BY 3.0 IT, attribution: ISTAT), carried in the binary so that a fresh
/// database has the catalogue without any file beside the executable.
const ISTAT_CSV: &str = include_str!("../data/comuni_istat.csv");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Insertable)]
#[diesel(table_name = municipalities)]
pub struct Municipality {
    pub istat_code: String,
    pub name: String,
    pub province_code: String,
    pub province_name: String,
    pub province_abbr: String,
    pub region_code: String,
    pub region_name: String,
    pub cadastral_code: String,
    pub population: i64,
}

/// Loads the catalogue into an empty table, in one transaction; a loaded table is left alone.
pub(crate) fn load_catalogue(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let present: i64 = municipalities::table.count().get_result(conn)?;
    if present > 0 {
        return Ok(0);
    }
    let rows = parse_csv(ISTAT_CSV)?;
    crate::db::write_transaction(conn, |conn| -> Result<(), StoreError> {
        // Chunks keep each statement under SQLite's limit on bound parameters.
        for chunk in rows.chunks(500) {
            crate::on_backend!(&mut *conn, |c| diesel::insert_into(municipalities::table).values(chunk).execute(c))?;
        }
        Ok(())
    })?;
    Ok(rows.len())
}

fn parse_csv(csv: &str) -> Result<Vec<Municipality>, StoreError> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let [istat, name, pcode, pname, pabbr, rcode, rname, cadastral, population] = f[..] else {
                return Err(StoreError::Corrupt(format!("catalogue line: {line}")));
            };
            Ok(Municipality {
                istat_code: crate::stored("istat code", IstatCode::parse(istat))?.to_string(),
                name: name.to_owned(),
                province_code: pcode.to_owned(),
                province_name: pname.to_owned(),
                province_abbr: pabbr.to_owned(),
                region_code: rcode.to_owned(),
                region_name: rname.to_owned(),
                cadastral_code: cadastral.to_owned(),
                population: crate::stored("population", population.parse::<i64>())?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct MunicipalityFilter {
    /// Two-letter province abbreviation, such as `CR`.
    pub province: Option<String>,
    /// Case-insensitive part of the name.
    pub name_contains: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &MunicipalityFilter,
    page: &Page,
) -> Result<Paged<Municipality>, StoreError> {
    let mut query = municipalities::table.into_boxed();
    if let Some(p) = &filter.province {
        query = query.filter(municipalities::province_abbr.eq(p.to_uppercase()));
    }
    if let Some(q) = &filter.name_contains {
        // Lower-cased on both sides: LIKE is case-sensitive on PostgreSQL, not on SQLite.
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(after) = &page.after {
        query = query.filter(municipalities::istat_code.gt(after.clone()));
    }
    let rows = query.order(municipalities::istat_code.asc()).limit(page.fetch()).load(conn)?;
    Ok(page.finish(rows, |m: &Municipality| m.istat_code.clone()))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub fn get(conn: &mut DbConnection, code: &IstatCode) -> Result<Municipality, StoreError> {
    Ok(municipalities::table.find(code.as_str()).get_result(conn)?)
}

/// The codes among `codes` that are not in the catalogue.
pub fn unknown_codes(conn: &mut DbConnection, codes: &[IstatCode]) -> Result<Vec<IstatCode>, StoreError> {
    let wanted: Vec<&str> = codes.iter().map(IstatCode::as_str).collect();
    let found: Vec<String> = municipalities::table
        .filter(municipalities::istat_code.eq_any(&wanted))
        .select(municipalities::istat_code)
        .load(conn)?;
    Ok(codes.iter().filter(|c| !found.iter().any(|f| f == c.as_str())).cloned().collect())
}

/// Looks a municipality up by exact name within a province (for demo districts).
pub fn find_by_name(conn: &mut DbConnection, province: &str, name: &str) -> Result<Option<Municipality>, StoreError> {
    Ok(municipalities::table
        .filter(municipalities::province_abbr.eq(province))
        .filter(municipalities::name.eq(name))
        .first(conn)
        .optional()?)
}

/// The names of these municipalities, by code.
pub fn names(conn: &mut DbConnection, codes: &[IstatCode]) -> Result<Vec<(String, String)>, StoreError> {
    let wanted: Vec<&str> = codes.iter().map(IstatCode::as_str).collect();
    Ok(municipalities::table
        .filter(municipalities::istat_code.eq_any(&wanted))
        .select((municipalities::istat_code, municipalities::name))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_carried_catalogue_parses_whole() {
        let rows = parse_csv(ISTAT_CSV).unwrap();
        assert_eq!(rows.len(), 7904);
        assert_eq!(rows.iter().filter(|m| m.province_abbr == "CR").count(), 113);
        let cremona = rows.iter().find(|m| m.istat_code == "019036").unwrap();
        assert_eq!((cremona.name.as_str(), cremona.cadastral_code.as_str()), ("Cremona", "D150"));
    }
}
