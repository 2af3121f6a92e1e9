//! Compartecipazione: what a family pays of each unit's tariff, from its ISEE, under the
//! authority's rule for the intervention. Rules come in versions, each from a day on (the last
//! open-ended), and say which kind of ISEE they take. All amounts are integer cents; the one
//! rounding rule is half up to the cent.
//!
//! Free and fixed shares need no ISEE; a linear or banded rule without a valid ISEE of its kind
//! charges the full tariff. Whatever the rule, the family's share is within 0..=tariff and the
//! authority pays the rest, so family + authority = tariff exactly.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{CopaymentRuleId, IseeId, OrganizationId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::isee::{Isee, IseeKind};
use crate::{Cents, InterventionCode};

/// How the family's share of a unit follows from its ISEE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Formula {
    /// The family pays nothing.
    Free,
    /// The same share of every unit, whatever the ISEE (capped at the tariff).
    Fixed { share: Cents },
    /// Nothing at or below `floor`, the full tariff at or above `ceiling`, in proportion between.
    Linear { floor: Cents, ceiling: Cents },
    /// A share per unit for each ISEE band, the bands in ascending order.
    Bands { bands: Vec<Band> },
}

/// One ISEE band: up to `up_to` (inclusive; the last band has none), the family pays `share`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub up_to: Option<Cents>,
    pub share: Cents,
}

impl Formula {
    /// Checks that the formula is coherent: a floor below the ceiling, bands ascending with
    /// shares that never fall as the ISEE rises, the last band open.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Collector::new();
        match self {
            Self::Free | Self::Fixed { .. } => {}
            Self::Linear { floor, ceiling } => {
                if floor >= ceiling {
                    c.push("formula.ceiling", "must be above the floor");
                }
            }
            Self::Bands { bands } => {
                if bands.is_empty() || bands.len() > 50 {
                    c.push("formula.bands", "1 to 50 bands");
                }
                for (i, pair) in bands.windows(2).enumerate() {
                    match (pair[0].up_to, pair[1].up_to) {
                        (Some(a), Some(b)) if a >= b => {
                            c.push(&format!("formula.bands.{}.up_to", i + 1), "bands go up: each above the one before")
                        }
                        (None, _) => c.push(&format!("formula.bands.{i}.up_to"), "only the last band is open-ended"),
                        _ => {}
                    }
                    if pair[1].share < pair[0].share {
                        c.push(&format!("formula.bands.{}.share", i + 1), "a higher ISEE never pays less");
                    }
                }
                if bands.last().is_some_and(|b| b.up_to.is_some()) {
                    c.push(
                        &format!("formula.bands.{}.up_to", bands.len() - 1),
                        "the last band is open-ended: leave it out",
                    );
                }
            }
        }
        c.finish()
    }

    /// Whether the share depends on the ISEE (and so needs a valid one).
    pub fn takes_isee(&self) -> bool {
        matches!(self, Self::Linear { .. } | Self::Bands { .. })
    }
}

/// A unit's tariff divided between the family and the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Split {
    pub family: Cents,
    pub authority: Cents,
}

/// `a × b / c`, rounded half up, for non-negative values with `c > 0`.
fn mul_div_half_up(a: i64, b: i64, c: i64) -> i64 {
    let (a, b, c) = (i128::from(a), i128::from(b), i128::from(c));
    i64::try_from((2 * a * b + c) / (2 * c)).expect("within the tariff")
}

/// The split of one unit of `tariff` under `formula`, for a family with `isee` (a valid one of
/// the rule's kind, or none).
pub fn split(formula: &Formula, tariff: Cents, isee: Option<Cents>) -> Split {
    let t = tariff.get();
    let family = match (formula, isee) {
        (Formula::Free, _) => 0,
        (Formula::Fixed { share }, _) => share.get().min(t),
        (Formula::Linear { .. } | Formula::Bands { .. }, None) => t,
        (Formula::Linear { floor, ceiling }, Some(isee)) => {
            if isee <= *floor {
                0
            } else if isee >= *ceiling {
                t
            } else {
                mul_div_half_up(t, isee.get() - floor.get(), ceiling.get() - floor.get()).clamp(0, t)
            }
        }
        (Formula::Bands { bands }, Some(isee)) => {
            bands.iter().find(|b| b.up_to.is_none_or(|up_to| isee <= up_to)).map_or(t, |b| b.share.get().min(t))
        }
    };
    Split {
        family: Cents::new(family).expect("within the tariff"),
        authority: Cents::new(t - family).expect("within the tariff"),
    }
}

/// One version of an authority's rule for an intervention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: CopaymentRuleId,
    pub authority_id: OrganizationId,
    pub intervention: InterventionCode,
    pub version: u32,
    pub valid_from: NaiveDate,
    /// The day before the next version starts; none for the version in force from now on.
    pub valid_to: Option<NaiveDate>,
    /// The kind of ISEE the rule takes.
    pub isee_kind: IseeKind,
    pub formula: Formula,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
}

impl Rule {
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    /// A new version of the rule from `valid_from` on (today or later: what was charged stays
    /// charged). Answers it, and the previous version closed the day before, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn enact(
        id: CopaymentRuleId,
        authority_id: OrganizationId,
        intervention: InterventionCode,
        isee_kind: IseeKind,
        formula: Formula,
        valid_from: NaiveDate,
        previous: Option<&Rule>,
        today: NaiveDate,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Rule, Option<Rule>, RuleEvent), Invalid> {
        let mut c = Collector::new();
        if let Err(Invalid(errors)) = formula.check() {
            for e in errors {
                c.push(&e.field, e.message);
            }
        }
        if valid_from < today {
            c.push("valid_from", "today or later: a rule does not change what was already charged");
        }
        if let Some(p) = previous
            && valid_from <= p.valid_from
        {
            c.push("valid_from", format!("after the current version's start ({})", p.valid_from));
        }
        c.finish()?;
        let closed = previous.map(|p| Rule { valid_to: Some(valid_from - Duration::days(1)), ..p.clone() });
        let rule = Rule {
            id,
            authority_id,
            intervention,
            version: previous.map_or(1, |p| p.version + 1),
            valid_from,
            valid_to: None,
            isee_kind,
            formula,
            created_at: now,
            created_by: by,
        };
        let event = RuleEvent { rule_id: rule.id, authority_id, version: rule.version };
        Ok((rule, closed, event))
    }
}

/// The rule in force on a day among an intervention's versions.
pub fn rule_on(rules: &[Rule], day: NaiveDate) -> Option<&Rule> {
    rules.iter().find(|r| r.in_force_on(day))
}

/// The ISEE a rule would use on a day: the latest issued valid one of its kind.
pub fn isee_on(isees: &[Isee], kind: IseeKind, day: NaiveDate) -> Option<&Isee> {
    isees.iter().filter(|i| i.kind == kind && i.valid_on(day)).max_by_key(|i| (i.issued_on, i.recorded_at))
}

/// What a day's co-payment rests on: the rule version, the ISEE used (none: none valid, or the
/// rule takes none), and the split they give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Basis {
    pub rule_id: CopaymentRuleId,
    pub rule_version: u32,
    pub isee_id: Option<IseeId>,
    pub split: Split,
}

/// The co-payment over a stretch of days, on one basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub basis: Basis,
}

/// The co-payment of a unit of `tariff` for each day from `from` to `to`, as periods: it changes
/// where a rule version or an ISEE starts or ends. Days without a rule in force have no period.
pub fn schedule(rules: &[Rule], isees: &[Isee], tariff: Cents, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut cuts: Vec<NaiveDate> = vec![from];
    for r in rules {
        cuts.push(r.valid_from);
        if let Some(to) = r.valid_to {
            cuts.push(to + Duration::days(1));
        }
    }
    for i in isees {
        cuts.push(i.issued_on);
        cuts.push(i.expires_on + Duration::days(1));
    }
    cuts.retain(|d| (from..=to).contains(d));
    cuts.sort_unstable();
    cuts.dedup();
    let mut periods: Vec<Period> = Vec::new();
    for (n, start) in cuts.iter().enumerate() {
        let end = cuts.get(n + 1).map_or(to, |next| *next - Duration::days(1));
        let Some(rule) = rule_on(rules, *start) else { continue };
        let isee = isee_on(isees, rule.isee_kind, *start).filter(|_| rule.formula.takes_isee());
        let basis = Basis {
            rule_id: rule.id,
            rule_version: rule.version,
            isee_id: isee.map(|i| i.id),
            split: split(&rule.formula, tariff, isee.map(|i| i.value)),
        };
        match periods.last_mut() {
            Some(last) if last.basis == basis && last.to + Duration::days(1) == *start => last.to = end,
            _ => periods.push(Period { from: *start, to: end, basis }),
        }
    }
    periods
}

/// The period covering a day, if any.
pub fn on(periods: &[Period], day: NaiveDate) -> Option<&Period> {
    periods.iter().find(|p| p.from <= day && day <= p.to)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEvent {
    pub rule_id: CopaymentRuleId,
    pub authority_id: OrganizationId,
    pub version: u32,
}

impl DomainEvent for RuleEvent {
    fn name(&self) -> EventName {
        EventName::CopaymentRuleEnacted
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::CopaymentRule, id: self.rule_id.uuid() }
    }

    fn readers(&self) -> Readers {
        // The authority's regulation is public.
        Readers::public()
    }

    fn payload(&self) -> serde_json::Value {
        serde_json::json!({"rule_id": self.rule_id, "authority_id": self.authority_id, "version": self.version})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(c: i64) -> Cents {
        Cents::new(c).unwrap()
    }

    /// The linear rule of a real district: €10 per visit, free up to €5,831, full from €17,493.
    fn linear() -> Formula {
        Formula::Linear { floor: cents(583_100), ceiling: cents(1_749_300) }
    }

    #[test]
    fn linear_halfway_pays_half_and_rounds_half_up() {
        let half = split(&linear(), cents(1000), Some(cents(1_166_200)));
        assert_eq!((half.family.get(), half.authority.get()), (500, 500));
        assert_eq!(split(&linear(), cents(2180), Some(cents(1_166_200))).family.get(), 1090);
        assert_eq!(split(&linear(), cents(750), Some(cents(1_166_200))).family.get(), 375);
        // A third of the way: 333.33… cents is 333; two thirds: 666.66… is 667.
        assert_eq!(split(&linear(), cents(1000), Some(cents(583_100 + 388_733))).family.get(), 333);
        assert_eq!(split(&linear(), cents(1000), Some(cents(583_100 + 777_467))).family.get(), 667);
        // 0.5 of a cent rounds up: tariff 1, halfway.
        assert_eq!(split(&linear(), cents(1), Some(cents(1_166_200))).family.get(), 1);
        assert_eq!(split(&linear(), cents(1000), Some(cents(583_100))).family.get(), 0);
        assert_eq!(split(&linear(), cents(1000), Some(cents(1_749_300))).family.get(), 1000);
        assert_eq!(split(&linear(), cents(1000), None).family.get(), 1000, "no valid ISEE: full tariff");
    }

    #[test]
    fn free_fixed_and_bands() {
        assert_eq!(split(&Formula::Free, cents(750), None).family.get(), 0);
        assert_eq!(split(&Formula::Fixed { share: cents(300) }, cents(750), None).family.get(), 300);
        assert_eq!(split(&Formula::Fixed { share: cents(900) }, cents(750), None).family.get(), 750, "capped");
        let bands = Formula::Bands {
            bands: vec![
                Band { up_to: Some(cents(600_000)), share: cents(0) },
                Band { up_to: Some(cents(1_200_000)), share: cents(250) },
                Band { up_to: None, share: cents(500) },
            ],
        };
        assert!(bands.check().is_ok());
        assert_eq!(split(&bands, cents(750), Some(cents(600_000))).family.get(), 0);
        assert_eq!(split(&bands, cents(750), Some(cents(600_001))).family.get(), 250);
        assert_eq!(split(&bands, cents(750), Some(cents(5_000_000))).family.get(), 500);
        assert_eq!(split(&bands, cents(750), None).family.get(), 750);
        let falling = Formula::Bands {
            bands: vec![Band { up_to: Some(cents(100)), share: cents(300) }, Band { up_to: None, share: cents(200) }],
        };
        assert_eq!(falling.check().unwrap_err().0[0].field, "formula.bands.1.share");
        assert!(Formula::Linear { floor: cents(5), ceiling: cents(5) }.check().is_err());
    }
}
