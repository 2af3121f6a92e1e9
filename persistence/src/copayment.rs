//! Co-payment rules, in versions; the formula is stored as JSON.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::copayment_rules;
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, stored_date, to_db};
use ambito_domain::copayment::Rule;
use ambito_domain::{InterventionCode, OrganizationId};

/// Stores a new version, closing the previous one the day before it starts.
pub fn enact(conn: &mut DbConnection, rule: &Rule, closed: Option<&Rule>) -> Result<(), StoreError> {
    if let Some(previous) = closed {
        diesel::update(copayment_rules::table.filter(copayment_rules::id.eq(previous.id.to_string())))
            .set(copayment_rules::valid_to.eq(previous.valid_to.map(|d| d.to_string())))
            .execute(conn)?;
    }
    diesel::insert_into(copayment_rules::table)
        .values((
            copayment_rules::id.eq(rule.id.to_string()),
            copayment_rules::authority_id.eq(rule.authority_id.to_string()),
            copayment_rules::intervention_code.eq(rule.intervention.as_str()),
            copayment_rules::version.eq(rule.version as i32),
            copayment_rules::valid_from.eq(rule.valid_from.to_string()),
            copayment_rules::valid_to.eq(rule.valid_to.map(|d| d.to_string())),
            copayment_rules::isee_kind.eq(rule.isee_kind.as_str()),
            copayment_rules::formula.eq(serde_json::to_string(&rule.formula).expect("formulas serialize")),
            copayment_rules::created_at.eq(to_db(rule.created_at)),
            copayment_rules::created_by.eq(rule.created_by.map(|u| u.to_string())),
        ))
        .execute(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict("another version of this rule was enacted meanwhile".into())
            }
            other => other,
        })?;
    Ok(())
}

type Row = (String, String, String, i32, String, Option<String>, String, String, NaiveDateTime, Option<String>);

fn to_rule(row: Row) -> Result<Rule, StoreError> {
    let (id, authority, intervention, version, from, to, kind, formula, at, by) = row;
    Ok(Rule {
        id: stored("rule id", id.parse())?,
        authority_id: stored("rule authority", authority.parse())?,
        intervention: stored("rule intervention", intervention.try_into())?,
        version: stored("rule version", u32::try_from(version))?,
        valid_from: stored_date("valid_from", &from)?,
        valid_to: to.as_deref().map(|d| stored_date("valid_to", d)).transpose()?,
        isee_kind: stored("isee kind", kind.parse())?,
        formula: stored("formula", serde_json::from_str(&formula))?,
        created_at: from_db(at),
        created_by: by.as_deref().map(|u| stored("created by", u.parse())).transpose()?,
    })
}

/// Every version of an authority's rule for an intervention, oldest first.
pub fn versions(
    conn: &mut DbConnection,
    authority: OrganizationId,
    intervention: &InterventionCode,
) -> Result<Vec<Rule>, StoreError> {
    let rows: Vec<Row> = copayment_rules::table
        .filter(copayment_rules::authority_id.eq(authority.to_string()))
        .filter(copayment_rules::intervention_code.eq(intervention.as_str()))
        .order(copayment_rules::version.asc())
        .load(conn)?;
    rows.into_iter().map(to_rule).collect()
}

/// Rules, newest version first within each, filtered by authority and intervention.
pub fn list(
    conn: &mut DbConnection,
    authority: Option<OrganizationId>,
    intervention: Option<&InterventionCode>,
    page: &Page,
) -> Result<Paged<Rule>, StoreError> {
    let mut query = copayment_rules::table.into_boxed();
    if let Some(a) = authority {
        query = query.filter(copayment_rules::authority_id.eq(a.to_string()));
    }
    if let Some(i) = intervention {
        query = query.filter(copayment_rules::intervention_code.eq(i.as_str().to_owned()));
    }
    if let Some(after) = &page.after {
        query = query.filter(copayment_rules::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(copayment_rules::id.asc()).limit(page.fetch()).load(conn)?;
    let list = rows.into_iter().map(to_rule).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |r| r.id.to_string()))
}
