//! The service catalogue: product lines and their interventions (reference data).

use diesel::prelude::*;
use serde::Serialize;

use crate::schema::{intervention_target_groups, interventions, product_lines};
use crate::{DbConnection, StoreError, stored};
use ambito_domain::{InterventionCode, ProductLineCode, TargetGroup, Unit};

#[derive(Debug, Clone, Serialize)]
pub struct Intervention {
    pub code: InterventionCode,
    pub product_line_code: ProductLineCode,
    pub name: String,
    pub unit: Unit,
    pub target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductLine {
    pub code: ProductLineCode,
    pub name: String,
    pub interventions: Vec<Intervention>,
}

/// Every product line with its interventions, in catalogue order.
pub fn product_lines(conn: &mut DbConnection) -> Result<Vec<ProductLine>, StoreError> {
    let lines: Vec<(String, String)> = product_lines::table
        .order(product_lines::position.asc())
        .select((product_lines::code, product_lines::name))
        .load(conn)?;
    let all = interventions(conn)?;
    lines
        .into_iter()
        .map(|(code, name)| {
            let code: ProductLineCode = stored("product line", code.try_into())?;
            Ok(ProductLine {
                interventions: all.iter().filter(|i| i.product_line_code == code).cloned().collect(),
                code,
                name,
            })
        })
        .collect()
}

/// Every intervention, ordered by product line and position.
pub fn interventions(conn: &mut DbConnection) -> Result<Vec<Intervention>, StoreError> {
    let rows: Vec<(String, String, String, String)> = interventions::table
        .inner_join(product_lines::table)
        .order((product_lines::position.asc(), interventions::position.asc()))
        .select((interventions::code, interventions::product_line_code, interventions::name, interventions::unit))
        .load(conn)?;
    let groups: Vec<(String, String)> = intervention_target_groups::table
        .select((intervention_target_groups::intervention_code, intervention_target_groups::target_group))
        .load(conn)?;
    rows.into_iter()
        .map(|(code, product_line_code, name, unit)| {
            let mut target_groups = groups
                .iter()
                .filter(|(c, _)| *c == code)
                .map(|(_, g)| stored("target group", g.parse::<TargetGroup>()))
                .collect::<Result<Vec<_>, _>>()?;
            target_groups.sort_by_key(|g| TargetGroup::ALL.iter().position(|x| x == g));
            Ok(Intervention {
                unit: stored("unit", unit.parse())?,
                code: stored("intervention", code.try_into())?,
                product_line_code: stored("product line", product_line_code.try_into())?,
                name,
                target_groups,
            })
        })
        .collect()
}
