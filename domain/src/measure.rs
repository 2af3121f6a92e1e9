//! An authority's measures on an accreditation or a patto: suspensions (from an instant,
//! optionally until one: back in force when it ends, by the clock), reinstatements and
//! revocations, each with its reason and act (determina). Where a thing stands is derived from
//! them at any instant, counting only what was recorded by then: the registry "as it stood".

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::ids::{MeasureId, UserId};
use crate::invalid::{Collector, Invalid};

/// The act that decides a measure: the determina's number and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Act {
    pub number: String,
    pub date: NaiveDate,
}

impl Act {
    pub fn check(number: &str, field: &str) -> Result<(), Invalid> {
        let mut c = Collector::new();
        if !(1..=64).contains(&crate::text::length(number)) {
            c.push(field, "1 to 64 characters: the act's number, such as 2024/123");
        }
        c.finish()
    }
}

string_enum!(MeasureKind { Suspension => "suspension", Reinstatement => "reinstatement", Revocation => "revocation" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub id: MeasureId,
    pub kind: MeasureKind,
    pub reason: String,
    pub effective_from: DateTime<Utc>,
    /// For a suspension: when it ends by itself.
    pub effective_until: Option<DateTime<Utc>>,
    pub act: Option<Act>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<UserId>,
}

/// Where a thing stands under its measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    InForce,
    Suspended { since: DateTime<Utc>, until: Option<DateTime<Utc>> },
    Revoked { since: DateTime<Utc> },
}

/// What is known when, and of which instant: the registry as it stood at `known_at`, asked
/// about `at` (the same instant for "as of"; a later date for "who may serve then").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub known_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl View {
    pub fn at(instant: DateTime<Utc>) -> Self {
        Self { known_at: instant, at: instant }
    }
}

/// The standing under the measures recorded by `view.known_at`, at `view.at`.
pub fn standing(measures: &[Measure], view: View) -> Standing {
    let mut known: Vec<&Measure> =
        measures.iter().filter(|m| m.recorded_at <= view.known_at && m.effective_from <= view.at).collect();
    known.sort_by_key(|m| (m.effective_from, m.recorded_at));
    let mut standing = Standing::InForce;
    for m in known {
        standing = match m.kind {
            MeasureKind::Revocation => return Standing::Revoked { since: m.effective_from },
            MeasureKind::Suspension => Standing::Suspended { since: m.effective_from, until: m.effective_until },
            MeasureKind::Reinstatement => Standing::InForce,
        };
    }
    match standing {
        Standing::Suspended { until: Some(until), .. } if until <= view.at => Standing::InForce,
        other => other,
    }
}

/// A measure a lifecycle refuses, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum MeasureError {
    /// A revocation is final.
    Revoked {
        since: DateTime<Utc>,
    },
    /// Only something suspended can be reinstated.
    NotSuspended,
    Invalid(Invalid),
}

impl MeasureError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Revoked { .. } => "revoked",
            Self::NotSuspended => "not_suspended",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &["revoked", "not_suspended"];
}

impl From<Invalid> for MeasureError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// What staff decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// From an instant (now when not given), optionally until one.
    Suspend { from: Option<DateTime<Utc>>, until: Option<DateTime<Utc>> },
    /// Ends a suspension now.
    Reinstate,
    /// Final, from now.
    Revoke,
}

/// Checks a decision against the measures so far and makes its measure.
pub fn decide(
    measures: &[Measure],
    decision: Decision,
    reason: String,
    act: Option<Act>,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Measure, MeasureError> {
    let current = standing(measures, View::at(now));
    if let Standing::Revoked { since } = current {
        return Err(MeasureError::Revoked { since });
    }
    if let Some(act) = &act {
        Act::check(&act.number, "act_number")?;
    }
    let (kind, effective_from, effective_until) = match decision {
        Decision::Suspend { from, until } => {
            let from = from.unwrap_or(now);
            if until.is_some_and(|u| u <= from) {
                return Err(Invalid::one("until", "must be after the suspension's start").into());
            }
            (MeasureKind::Suspension, from, until)
        }
        Decision::Reinstate if matches!(current, Standing::Suspended { .. }) => (MeasureKind::Reinstatement, now, None),
        Decision::Reinstate => return Err(MeasureError::NotSuspended),
        Decision::Revoke => (MeasureKind::Revocation, now, None),
    };
    Ok(Measure {
        id: MeasureId::new(),
        kind,
        reason,
        effective_from,
        effective_until,
        act,
        recorded_at: now,
        recorded_by: by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rome::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    fn take(measures: &mut Vec<Measure>, decision: Decision, now: &str) -> Result<(), MeasureError> {
        let m = decide(measures, decision, "motivo".into(), None, None, at(now))?;
        measures.push(m);
        Ok(())
    }

    #[test]
    fn a_suspension_with_an_end_ends_by_itself() {
        let mut m = Vec::new();
        let until = Some(at("2024-05-01T00:00"));
        take(&mut m, Decision::Suspend { from: None, until }, "2024-04-10T09:00").unwrap();
        assert!(matches!(standing(&m, View::at(at("2024-04-30T23:59"))), Standing::Suspended { .. }));
        assert_eq!(standing(&m, View::at(at("2024-05-01T00:00"))), Standing::InForce);
        assert_eq!(standing(&m, View::at(at("2024-04-10T08:59"))), Standing::InForce, "before it");
    }

    #[test]
    fn reinstatement_ends_a_suspension_and_revocation_is_final() {
        let mut m = Vec::new();
        assert_eq!(take(&mut m, Decision::Reinstate, "2024-04-01T09:00"), Err(MeasureError::NotSuspended));
        take(&mut m, Decision::Suspend { from: None, until: None }, "2024-04-01T09:00").unwrap();
        take(&mut m, Decision::Reinstate, "2024-04-15T09:00").unwrap();
        assert_eq!(standing(&m, View::at(at("2024-04-16T09:00"))), Standing::InForce);
        assert!(matches!(standing(&m, View::at(at("2024-04-10T09:00"))), Standing::Suspended { .. }));
        take(&mut m, Decision::Revoke, "2024-06-01T09:00").unwrap();
        assert!(matches!(standing(&m, View::at(at("2024-06-02T09:00"))), Standing::Revoked { .. }));
        assert_eq!(take(&mut m, Decision::Reinstate, "2024-06-02T09:00").unwrap_err().code(), "revoked");
        let suspend = Decision::Suspend { from: None, until: None };
        assert_eq!(take(&mut m, suspend, "2024-06-02T09:00").unwrap_err().code(), "revoked");
    }

    #[test]
    fn what_was_recorded_later_is_not_known_before() {
        let mut m = Vec::new();
        // Recorded on the 20th, effective from the 10th.
        let backdated = Decision::Suspend { from: Some(at("2024-04-10T00:00")), until: None };
        take(&mut m, backdated, "2024-04-20T09:00").unwrap();
        let then = View::at(at("2024-04-15T09:00"));
        assert_eq!(standing(&m, then), Standing::InForce, "as it stood on the 15th");
        let now_about_then = View { known_at: at("2024-04-21T09:00"), at: at("2024-04-15T09:00") };
        assert!(matches!(standing(&m, now_about_then), Standing::Suspended { .. }));
        let bad = Decision::Suspend { from: Some(at("2024-04-10T00:00")), until: Some(at("2024-04-09T00:00")) };
        assert_eq!(take(&mut m, bad, "2024-04-21T09:00").unwrap_err().code(), "validation_failed");
    }
}
