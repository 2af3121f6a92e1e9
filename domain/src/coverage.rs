//! Coverage: which municipality × product line pairs no provider covers. A provider list must
//! offer every product line in every municipality of the district; the gaps are what staff fix.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::IstatCode;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Gap {
    pub municipality: IstatCode,
    pub product_line: String,
}

/// The gaps, given the municipalities and product lines a call covers, the product line of
/// each intervention, and the admitted (intervention, municipality) pairs.
pub fn gaps<'a>(
    municipalities: &[IstatCode],
    product_lines: &[String],
    line_of: impl Fn(&str) -> Option<&'a str>,
    admitted: &[(String, IstatCode)],
) -> Vec<Gap> {
    let covered: BTreeSet<(&str, &IstatCode)> =
        admitted.iter().filter_map(|(intervention, m)| line_of(intervention).map(|line| (line, m))).collect();
    municipalities
        .iter()
        .flat_map(|m| {
            product_lines
                .iter()
                .filter(|line| !covered.contains(&(line.as_str(), m)))
                .map(|line| Gap { municipality: m.clone(), product_line: line.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> IstatCode {
        IstatCode::parse(s).unwrap()
    }

    #[test]
    fn a_line_is_covered_in_a_municipality_by_any_of_its_interventions() {
        let municipalities = [code("019021"), code("019052")];
        let lines = ["educational".to_owned(), "social_care".to_owned()];
        let line_of = |i: &str| match i {
            "educational_individual" | "educational_group" => Some("educational"),
            "home_care_generic" => Some("social_care"),
            _ => None,
        };
        let admitted =
            [("educational_group".to_owned(), code("019021")), ("home_care_generic".to_owned(), code("019021"))];
        let found = gaps(&municipalities, &lines, line_of, &admitted);
        assert_eq!(
            found,
            [
                Gap { municipality: code("019052"), product_line: "educational".into() },
                Gap { municipality: code("019052"), product_line: "social_care".into() }
            ]
        );
        assert!(gaps(&municipalities[..1], &lines, line_of, &admitted).is_empty());
    }
}
