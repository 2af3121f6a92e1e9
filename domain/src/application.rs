//! Applications (domande di partecipazione): a provider's bid to be accredited for some
//! interventions in some municipalities, and its examination.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::rome::in_rome;
use crate::tender::{TenderStatus, string_enum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Draft,
    Submitted,
    Withdrawn,
    /// Superseded by a later submission of the same provider to the same call.
    Replaced,
    IntegrationRequested,
    Admitted,
    Excluded,
}
string_enum!(ApplicationStatus {
    Draft => "draft", Submitted => "submitted", Withdrawn => "withdrawn", Replaced => "replaced",
    IntegrationRequested => "integration_requested", Admitted => "admitted", Excluded => "excluded"
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    Late,
    MissingGeneralRequirement,
    MissingSpecificRequirement,
    MissingDocument,
    Other,
}
string_enum!(ExclusionReason {
    Late => "late", MissingGeneralRequirement => "missing_general_requirement",
    MissingSpecificRequirement => "missing_specific_requirement", MissingDocument => "missing_document", Other => "other"
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationError {
    #[error("the application is {0}: this needs {1}")]
    WrongStatus(ApplicationStatus, &'static str),
    #[error("the submission deadline was {0} (Europe/Rome): submissions are no longer accepted")]
    Late(String),
    #[error("the call is {0}: applications are examined only after its submission deadline, {1} (Europe/Rome)")]
    NotYetClosed(TenderStatus, String),
    #[error("the call is {0}: it takes no applications")]
    TenderNotOpen(TenderStatus),
    #[error("the integration was due by {0} (Europe/Rome)")]
    IntegrationLate(String),
}

impl ApplicationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus(..) => "application_wrong_status",
            Self::Late(_) => "submission_deadline_passed",
            Self::NotYetClosed(..) => "tender_not_closed",
            Self::TenderNotOpen(_) => "tender_not_open",
            Self::IntegrationLate(_) => "integration_deadline_passed",
        }
    }
}

fn rome(t: DateTime<Utc>) -> String {
    in_rome(t).to_rfc3339()
}

fn expect(
    status: ApplicationStatus,
    allowed: &[ApplicationStatus],
    needs: &'static str,
) -> Result<(), ApplicationError> {
    if allowed.contains(&status) { Ok(()) } else { Err(ApplicationError::WrongStatus(status, needs)) }
}

/// A provider may open an application only while the call is open.
pub fn check_can_apply(tender: TenderStatus) -> Result<(), ApplicationError> {
    if tender == TenderStatus::Published { Ok(()) } else { Err(ApplicationError::TenderNotOpen(tender)) }
}

/// The provider edits its offer and declarations while the application is a draft.
pub fn check_editable(status: ApplicationStatus) -> Result<(), ApplicationError> {
    expect(status, &[ApplicationStatus::Draft], "a draft")
}

/// Documents can be added to a draft, or to answer an integration request.
pub fn check_documents_open(status: ApplicationStatus) -> Result<(), ApplicationError> {
    expect(
        status,
        &[ApplicationStatus::Draft, ApplicationStatus::IntegrationRequested],
        "a draft or an integration request",
    )
}

/// Submission: a draft, strictly before the deadline by the server's clock.
pub fn check_submit(
    status: ApplicationStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApplicationError> {
    expect(status, &[ApplicationStatus::Draft], "a draft")?;
    if now >= deadline {
        return Err(ApplicationError::Late(rome(deadline)));
    }
    Ok(())
}

/// Withdrawal: a submitted application, before the deadline.
pub fn check_withdraw(
    status: ApplicationStatus,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApplicationError> {
    expect(status, &[ApplicationStatus::Submitted, ApplicationStatus::Draft], "a draft or a submitted application")?;
    if now >= deadline {
        return Err(ApplicationError::Late(rome(deadline)));
    }
    Ok(())
}

/// Examination decisions (admit, exclude, ask for integration) come after the deadline.
pub fn check_examinable(
    status: ApplicationStatus,
    tender: TenderStatus,
    deadline: DateTime<Utc>,
    allowed: &[ApplicationStatus],
) -> Result<(), ApplicationError> {
    if tender != TenderStatus::Closed {
        return Err(ApplicationError::NotYetClosed(tender, rome(deadline)));
    }
    expect(status, allowed, "an application under examination")
}

pub const ADMISSIBLE: &[ApplicationStatus] = &[ApplicationStatus::Submitted];
pub const EXCLUDABLE: &[ApplicationStatus] = &[ApplicationStatus::Submitted, ApplicationStatus::IntegrationRequested];
pub const INTEGRABLE: &[ApplicationStatus] = &[ApplicationStatus::Submitted];

/// The provider answers an integration request by its due date.
pub fn check_integration_answer(
    status: ApplicationStatus,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApplicationError> {
    expect(status, &[ApplicationStatus::IntegrationRequested], "an open integration request")?;
    if now > due {
        return Err(ApplicationError::IntegrationLate(rome(due)));
    }
    Ok(())
}

/// Still awaiting a decision: a call cannot be concluded while any application is.
pub fn is_pending(status: ApplicationStatus) -> bool {
    matches!(status, ApplicationStatus::Submitted | ApplicationStatus::IntegrationRequested)
}

/// A protocol number, sequential per authority and year: `2022/000017`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProtocolNumber {
    pub year: i32,
    pub sequence: i64,
}

impl std::fmt::Display for ProtocolNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:06}", self.year, self.sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rome::parse_instant;

    #[test]
    fn a_submission_one_second_late_is_refused_with_the_deadline_in_rome_time() {
        let deadline = parse_instant("2022-05-30T12:00:00+02:00").unwrap();
        let on_time = parse_instant("2022-05-30T11:59:59+02:00").unwrap();
        let late = parse_instant("2022-05-30T12:00:01+02:00").unwrap();
        assert!(check_submit(ApplicationStatus::Draft, deadline, on_time).is_ok());
        let refused = check_submit(ApplicationStatus::Draft, deadline, late).unwrap_err();
        assert_eq!(refused.code(), "submission_deadline_passed");
        assert!(refused.to_string().contains("2022-05-30T12:00:00+02:00"));
        assert!(check_submit(ApplicationStatus::Draft, deadline, deadline).is_err());
    }

    #[test]
    fn examination_waits_for_the_deadline_and_follows_the_status() {
        let deadline = parse_instant("2022-05-30T12:00").unwrap();
        let early = check_examinable(ApplicationStatus::Submitted, TenderStatus::Published, deadline, ADMISSIBLE);
        assert_eq!(early.unwrap_err().code(), "tender_not_closed");
        assert!(check_examinable(ApplicationStatus::Submitted, TenderStatus::Closed, deadline, ADMISSIBLE).is_ok());
        let twice = check_examinable(ApplicationStatus::Admitted, TenderStatus::Closed, deadline, ADMISSIBLE);
        assert_eq!(twice.unwrap_err().code(), "application_wrong_status");
        assert!(
            check_examinable(ApplicationStatus::IntegrationRequested, TenderStatus::Closed, deadline, EXCLUDABLE)
                .is_ok()
        );
    }

    #[test]
    fn integration_answers_are_accepted_until_the_due_instant() {
        let due = parse_instant("2022-06-10T12:00").unwrap();
        assert!(check_integration_answer(ApplicationStatus::IntegrationRequested, due, due).is_ok());
        let late =
            check_integration_answer(ApplicationStatus::IntegrationRequested, due, due + chrono::Duration::seconds(1));
        assert_eq!(late.unwrap_err().code(), "integration_deadline_passed");
        assert!(check_integration_answer(ApplicationStatus::Submitted, due, due).is_err());
    }

    #[test]
    fn protocol_numbers_print_as_year_and_six_digits() {
        assert_eq!(ProtocolNumber { year: 2022, sequence: 17 }.to_string(), "2022/000017");
    }
}
