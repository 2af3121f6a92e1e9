//! The registry's coverage matrix: for every municipality and product line, how many providers
//! hold an active accreditation there, and how many may serve there under an active patto. The
//! cells with none are what staff must fix.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::application::ScopeItem;
use crate::ids::OrganizationId;
use crate::{InterventionCode, IstatCode, ProductLineCode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub municipality: IstatCode,
    pub product_line: ProductLineCode,
    /// Providers with an active accreditation for an intervention of the line there.
    pub accredited: usize,
    /// Providers that may serve an intervention of the line there: an active patto over an
    /// active accreditation.
    pub with_patto: usize,
}

/// The matrix, municipality by municipality, lines in the order `interventions` first names
/// them; `accredited` and `serving` list (provider, item) pairs.
pub fn matrix(
    municipalities: &[IstatCode],
    interventions: &[(InterventionCode, ProductLineCode)],
    accredited: &[(OrganizationId, ScopeItem)],
    serving: &[(OrganizationId, ScopeItem)],
) -> Vec<Cell> {
    let mut lines: Vec<&ProductLineCode> = Vec::new();
    for (_, line) in interventions {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let count = |pairs: &[(OrganizationId, ScopeItem)], m: &IstatCode, line: &ProductLineCode| {
        pairs
            .iter()
            .filter(|(_, item)| {
                item.municipality == *m && interventions.iter().any(|(i, l)| *i == item.intervention && l == line)
            })
            .map(|(provider, _)| *provider)
            .collect::<BTreeSet<_>>()
            .len()
    };
    municipalities
        .iter()
        .flat_map(|m| {
            lines.iter().map(move |line| Cell {
                municipality: m.clone(),
                product_line: (*line).clone(),
                accredited: count(accredited, m, line),
                with_patto: count(serving, m, line),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tender::tests::code;

    #[test]
    fn cells_count_distinct_providers_per_line() {
        let (cr, cm) = (IstatCode::parse("019036").unwrap(), IstatCode::parse("019021").unwrap());
        let interventions: Vec<(InterventionCode, ProductLineCode)> =
            [("home_care_generic", "social_care"), ("meals_delivery", "additional"), ("telecare", "additional")]
                .iter()
                .map(|(i, l)| (code(i), code(l)))
                .collect();
        let (a, b) = (OrganizationId::new(), OrganizationId::new());
        let item = |i: &str, m: &IstatCode| ScopeItem { intervention: code(i), municipality: m.clone() };
        let accredited = [
            (a, item("meals_delivery", &cr)),
            (a, item("telecare", &cr)),
            (b, item("telecare", &cr)),
            (b, item("home_care_generic", &cm)),
        ];
        let serving = [(a, item("meals_delivery", &cr))];
        let cells = matrix(&[cr.clone(), cm.clone()], &interventions, &accredited, &serving);
        let seen: Vec<(&str, &str, usize, usize)> = cells
            .iter()
            .map(|c| (c.municipality.as_str(), c.product_line.as_str(), c.accredited, c.with_patto))
            .collect();
        assert_eq!(
            seen,
            [
                ("019036", "social_care", 0, 0),
                ("019036", "additional", 2, 1),
                ("019021", "social_care", 1, 0),
                ("019021", "additional", 0, 0)
            ]
        );
    }
}
