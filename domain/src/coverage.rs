//! Coverage: a provider list must offer every product line, and every intervention, in every
//! municipality of its district. The gaps are what staff fix: a municipality can have
//! tele-assistance but no meals, so both views are reported.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::application::ScopeItem;
use crate::{InterventionCode, IstatCode, ProductLineCode};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineGap {
    pub municipality: IstatCode,
    pub product_line: ProductLineCode,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InterventionGap {
    pub municipality: IstatCode,
    pub intervention: InterventionCode,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Municipality × product line pairs where no intervention of the line is admitted.
    pub product_lines: Vec<LineGap>,
    /// Municipality × intervention pairs where the intervention is not admitted.
    pub interventions: Vec<InterventionGap>,
}

/// The gaps of a call, given its municipalities, its interventions with their product line (in
/// the call's order), and the admitted scope of every application.
pub fn gaps(
    municipalities: &[IstatCode],
    interventions: &[(InterventionCode, ProductLineCode)],
    admitted: &[ScopeItem],
) -> Coverage {
    let line_of = |code: &InterventionCode| interventions.iter().find(|(i, _)| i == code).map(|(_, line)| line);
    let mut lines: Vec<&ProductLineCode> = Vec::new();
    for (_, line) in interventions {
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let covered_items: BTreeSet<(&InterventionCode, &IstatCode)> =
        admitted.iter().map(|s| (&s.intervention, &s.municipality)).collect();
    let covered_lines: BTreeSet<(&ProductLineCode, &IstatCode)> =
        admitted.iter().filter_map(|s| line_of(&s.intervention).map(|line| (line, &s.municipality))).collect();
    let mut coverage = Coverage::default();
    for m in municipalities {
        for line in &lines {
            if !covered_lines.contains(&(*line, m)) {
                coverage.product_lines.push(LineGap { municipality: m.clone(), product_line: (*line).clone() });
            }
        }
        for (intervention, _) in interventions {
            if !covered_items.contains(&(intervention, m)) {
                coverage
                    .interventions
                    .push(InterventionGap { municipality: m.clone(), intervention: intervention.clone() });
            }
        }
    }
    coverage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tender::tests::code;

    fn m(s: &str) -> IstatCode {
        IstatCode::parse(s).unwrap()
    }

    fn item(i: &str, place: &str) -> ScopeItem {
        ScopeItem { intervention: code(i), municipality: m(place) }
    }

    #[test]
    fn a_line_is_covered_by_any_of_its_interventions_and_each_intervention_is_reported() {
        let municipalities = [m("019021"), m("019052")];
        // Lines listed apart: educational, social care, educational again.
        let interventions: Vec<(InterventionCode, ProductLineCode)> = [
            ("educational_individual", "educational"),
            ("home_care_generic", "social_care"),
            ("educational_group", "educational"),
        ]
        .iter()
        .map(|(i, l)| (code(i), code(l)))
        .collect();
        let admitted = [item("educational_group", "019021"), item("home_care_generic", "019021")];
        let found = gaps(&municipalities, &interventions, &admitted);
        let lines: Vec<(&str, &str)> =
            found.product_lines.iter().map(|g| (g.municipality.as_str(), g.product_line.as_str())).collect();
        assert_eq!(lines, [("019052", "educational"), ("019052", "social_care")], "each line once");
        let items: Vec<(&str, &str)> =
            found.interventions.iter().map(|g| (g.municipality.as_str(), g.intervention.as_str())).collect();
        assert_eq!(
            items,
            [
                ("019021", "educational_individual"),
                ("019052", "educational_individual"),
                ("019052", "home_care_generic"),
                ("019052", "educational_group")
            ]
        );
        assert_eq!(gaps(&municipalities[..1], &interventions, &admitted).product_lines, []);
    }
}
