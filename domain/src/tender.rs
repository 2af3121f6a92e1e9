//! Tenders (bandi, avvisi): public calls that accredit a service or build a provider list.
//!
//! Stored states are draft, published, concluded and cancelled; "closed" is derived from the
//! clock (a published call whose submission deadline has passed), so no job has to run and
//! every read shows it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::invalid::{Collector, Invalid};
use crate::{Cents, IstatCode, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    /// Accreditation of a service (seed 000: linguistic-cultural mediation).
    Accreditation,
    /// A list of providers for several product lines (seed 004: home care).
    ProviderList,
}

/// What is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderState {
    Draft,
    Published,
    Concluded,
    Cancelled,
}

/// What a reader sees: the stored state, with `Closed` derived from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderStatus {
    Draft,
    Published,
    Closed,
    Concluded,
    Cancelled,
}

macro_rules! string_enum {
    ($t:ty { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::organization::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(Self::$variant),)+ _ => Err($crate::organization::UnknownValue) }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(TenderKind { Accreditation => "accreditation", ProviderList => "provider_list" });
string_enum!(TenderState { Draft => "draft", Published => "published", Concluded => "concluded", Cancelled => "cancelled" });
string_enum!(TenderStatus {
    Draft => "draft", Published => "published", Closed => "closed", Concluded => "concluded", Cancelled => "cancelled"
});

impl TenderState {
    pub fn status(self, submission_deadline: DateTime<Utc>, now: DateTime<Utc>) -> TenderStatus {
        match self {
            Self::Draft => TenderStatus::Draft,
            Self::Published if now >= submission_deadline => TenderStatus::Closed,
            Self::Published => TenderStatus::Published,
            Self::Concluded => TenderStatus::Concluded,
            Self::Cancelled => TenderStatus::Cancelled,
        }
    }
}

/// A transition the lifecycle forbids, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    #[error("the call is {0}: only a draft can be changed; after publication, record an amendment")]
    NotDraft(TenderStatus),
    #[error("the call is {0}: this needs a call open for submissions")]
    NotOpen(TenderStatus),
    #[error("the call is {0}: it can be concluded only once its submission deadline has passed")]
    NotClosed(TenderStatus),
    #[error("the call is {0}: only a draft or an open call can be cancelled")]
    NotCancellable(TenderStatus),
    #[error("questions closed at the clarification deadline, {0}")]
    ClarificationsClosed(String),
    #[error("an amendment may move the deadline later, not earlier")]
    DeadlineEarlier,
}

impl TenderError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotDraft(_) => "tender_not_draft",
            Self::NotOpen(_) => "tender_not_open",
            Self::NotClosed(_) => "tender_not_closed",
            Self::NotCancellable(_) => "tender_not_cancellable",
            Self::ClarificationsClosed(_) => "clarifications_closed",
            Self::DeadlineEarlier => "deadline_earlier",
        }
    }
}

pub fn check_editable(status: TenderStatus) -> Result<(), TenderError> {
    if status == TenderStatus::Draft { Ok(()) } else { Err(TenderError::NotDraft(status)) }
}

pub fn check_open(status: TenderStatus) -> Result<(), TenderError> {
    if status == TenderStatus::Published { Ok(()) } else { Err(TenderError::NotOpen(status)) }
}

pub fn check_concludable(status: TenderStatus) -> Result<(), TenderError> {
    if status == TenderStatus::Closed { Ok(()) } else { Err(TenderError::NotClosed(status)) }
}

pub fn check_cancellable(status: TenderStatus) -> Result<(), TenderError> {
    match status {
        TenderStatus::Draft | TenderStatus::Published => Ok(()),
        other => Err(TenderError::NotCancellable(other)),
    }
}

/// Questions are taken while the call is open and the clarification deadline has not passed.
pub fn check_question_allowed(
    status: TenderStatus,
    clarification_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TenderError> {
    check_open(status)?;
    if now >= clarification_deadline {
        return Err(TenderError::ClarificationsClosed(crate::rome::in_rome(clarification_deadline).to_rfc3339()));
    }
    Ok(())
}

/// An amendment may keep or postpone the deadline; the clarification deadline follows the rules
/// of the terms.
pub fn check_amended_deadline(current: DateTime<Utc>, proposed: DateTime<Utc>) -> Result<(), TenderError> {
    if proposed < current { Err(TenderError::DeadlineEarlier) } else { Ok(()) }
}

/// An intervention the call accredits, at its rate per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderIntervention {
    pub code: String,
    pub unit: Unit,
    pub rate: Cents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequirementCategory {
    /// No exclusion grounds, DURC, chamber of commerce, registers.
    General,
    /// Per area or intervention: staff qualifications, service charter, local office.
    Specific,
}
string_enum!(RequirementCategory { General => "general", Specific => "specific" });

/// How an applicant meets a requirement: by declaring it, or with a document of a given type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub code: String,
    pub category: RequirementCategory,
    pub description: String,
    /// A document of this type must be attached; `None` means a declaration.
    pub document_type: Option<String>,
}

/// The terms of a call, as staff draft them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTerms {
    pub kind: TenderKind,
    pub title: String,
    pub description: String,
    pub reference_code: Option<String>,
    pub responsible_official: String,
    pub municipalities: Vec<IstatCode>,
    pub interventions: Vec<TenderIntervention>,
    pub requirements: Vec<Requirement>,
    pub submission_deadline: DateTime<Utc>,
    pub clarification_deadline: DateTime<Utc>,
    pub validity_from: NaiveDate,
    pub validity_to: NaiveDate,
}

impl TenderTerms {
    /// What any draft must satisfy: consistent dates, unique codes, valid texts.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Collector::new();
        // Lengths count what was written; a text of spaces only is no text.
        let len = |s: &str| if s.trim().is_empty() { 0 } else { s.chars().count() };
        if !(3..=300).contains(&len(&self.title)) {
            c.push("title", "3 to 300 characters");
        }
        if len(&self.description) > 20_000 {
            c.push("description", "at most 20,000 characters");
        }
        if !(2..=200).contains(&len(&self.responsible_official)) {
            c.push("responsible_official", "2 to 200 characters: the official responsible for the procedure");
        }
        if self.reference_code.as_deref().is_some_and(|r| !(1..=64).contains(&len(r))) {
            c.push("reference_code", "1 to 64 characters");
        }
        if self.clarification_deadline > self.submission_deadline {
            c.push("clarification_deadline", "must not be after the submission deadline");
        }
        if self.validity_to < self.validity_from {
            c.push("validity_to", "must not be before validity_from");
        }
        let mut codes: Vec<&str> = self.interventions.iter().map(|i| i.code.as_str()).collect();
        codes.sort_unstable();
        if codes.windows(2).any(|w| w[0] == w[1]) {
            c.push("interventions", "each intervention once");
        }
        let mut requirement_codes: Vec<&str> = self.requirements.iter().map(|r| r.code.as_str()).collect();
        requirement_codes.sort_unstable();
        if requirement_codes.windows(2).any(|w| w[0] == w[1]) {
            c.push("requirements", "each requirement code once");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if !(1..=64).contains(&len(&r.code)) || r.code.contains(char::is_whitespace) {
                c.push(&format!("requirements.{i}.code"), "1 to 64 characters, no spaces");
            }
            if !(3..=2000).contains(&len(&r.description)) {
                c.push(&format!("requirements.{i}.description"), "3 to 2,000 characters");
            }
            if r.document_type
                .as_deref()
                .is_some_and(|d| !(1..=64).contains(&len(d)) || d.contains(char::is_whitespace))
            {
                c.push(&format!("requirements.{i}.document_type"), "1 to 64 characters, no spaces");
            }
        }
        c.finish()
    }

    /// What publishing needs on top: something to apply for, somewhere, on some terms, with
    /// time left to apply.
    pub fn check_publishable(&self, now: DateTime<Utc>) -> Result<(), Invalid> {
        let mut c = Collector::new();
        if let Err(Invalid(errors)) = self.check() {
            errors.into_iter().for_each(|e| c.push(&e.field, e.message));
        }
        if self.interventions.is_empty() {
            c.push("interventions", "a call accredits at least one intervention");
        }
        if self.municipalities.is_empty() {
            c.push("municipalities", "a call covers at least one municipality");
        }
        if self.requirements.is_empty() {
            c.push("requirements", "a call states at least one requirement");
        }
        if self.submission_deadline <= now {
            c.push("submission_deadline", "must be in the future when the call is published");
        }
        c.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rome::parse_instant;

    fn terms() -> TenderTerms {
        TenderTerms {
            kind: TenderKind::Accreditation,
            title: "Accreditamento servizio di mediazione linguistico-culturale".into(),
            description: String::new(),
            reference_code: Some("PROG-2463".into()),
            responsible_official: "dr. Graziano Pirotta".into(),
            municipalities: vec![IstatCode::parse("019036").unwrap()],
            interventions: vec![TenderIntervention {
                code: "mediation_health".into(),
                unit: Unit::Hour,
                rate: Cents::new(2500).unwrap(),
            }],
            requirements: vec![Requirement {
                code: "durc".into(),
                category: RequirementCategory::General,
                description: "Valid DURC".into(),
                document_type: Some("durc".into()),
            }],
            submission_deadline: parse_instant("2022-05-30T12:00:00+02:00").unwrap(),
            clarification_deadline: parse_instant("2022-05-23T12:00:00+02:00").unwrap(),
            validity_from: NaiveDate::from_ymd_opt(2022, 7, 1).unwrap(),
            validity_to: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        }
    }

    #[test]
    fn closed_is_derived_from_the_clock_at_the_deadline_instant() {
        let t = terms();
        let just_before = parse_instant("2022-05-30T11:59:59+02:00").unwrap();
        let at = t.submission_deadline;
        assert_eq!(TenderState::Published.status(t.submission_deadline, just_before), TenderStatus::Published);
        assert_eq!(TenderState::Published.status(t.submission_deadline, at), TenderStatus::Closed);
        assert_eq!(TenderState::Draft.status(t.submission_deadline, at), TenderStatus::Draft);
    }

    #[test]
    fn publishing_needs_complete_terms_and_time_left() {
        let now = parse_instant("2022-05-01T09:00").unwrap();
        assert!(terms().check_publishable(now).is_ok());
        let mut empty = terms();
        empty.interventions.clear();
        empty.municipalities.clear();
        empty.requirements.clear();
        let Invalid(errors) = empty.check_publishable(now).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["interventions", "municipalities", "requirements"]);
        let late = parse_instant("2022-06-01T09:00").unwrap();
        assert_eq!(terms().check_publishable(late).unwrap_err().0[0].field, "submission_deadline");
    }

    #[test]
    fn lifecycle_guards_name_their_code() {
        assert_eq!(check_editable(TenderStatus::Published).unwrap_err().code(), "tender_not_draft");
        assert_eq!(check_concludable(TenderStatus::Published).unwrap_err().code(), "tender_not_closed");
        assert!(check_concludable(TenderStatus::Closed).is_ok());
        assert_eq!(check_cancellable(TenderStatus::Closed).unwrap_err().code(), "tender_not_cancellable");
        assert!(check_cancellable(TenderStatus::Draft).is_ok());
        let t = terms();
        let after = parse_instant("2022-05-24T09:00").unwrap();
        assert_eq!(
            check_question_allowed(TenderStatus::Published, t.clarification_deadline, after).unwrap_err().code(),
            "clarifications_closed"
        );
        assert_eq!(check_amended_deadline(t.submission_deadline, after).unwrap_err(), TenderError::DeadlineEarlier);
    }
}
