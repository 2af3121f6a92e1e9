//! The service catalogue's vocabulary: units of measure and target groups. The catalogue itself
//! (product lines and interventions of the two seed calls) is reference data in the database.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::organization::UnknownValue;

/// The unit an intervention is measured, priced and reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Hour,
    Meal,
    Trip,
    Month,
    Load,
}

impl Unit {
    pub const ALL: [Self; 5] = [Self::Hour, Self::Meal, Self::Trip, Self::Month, Self::Load];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Meal => "meal",
            Self::Trip => "trip",
            Self::Month => "month",
            Self::Load => "load",
        }
    }
}

impl FromStr for Unit {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|u| u.as_str() == s).ok_or(UnknownValue)
    }
}

/// Who an intervention serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetGroup {
    Elderly,
    Disabled,
    NonSelfSufficient,
    Minors,
    Families,
    ForeignCitizens,
}

impl TargetGroup {
    pub const ALL: [Self; 6] =
        [Self::Elderly, Self::Disabled, Self::NonSelfSufficient, Self::Minors, Self::Families, Self::ForeignCitizens];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elderly => "elderly",
            Self::Disabled => "disabled",
            Self::NonSelfSufficient => "non_self_sufficient",
            Self::Minors => "minors",
            Self::Families => "families",
            Self::ForeignCitizens => "foreign_citizens",
        }
    }
}

impl FromStr for TargetGroup {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|g| g.as_str() == s).ok_or(UnknownValue)
    }
}
