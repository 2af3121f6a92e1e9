//! Delivery reports (rendicontazione): each month a provider reports, per voucher, the units it
//! delivered on each day, and, for an authority, the mediation sessions it billed. Staff
//! validate a report or contest some of its lines; the provider corrects a contested one; a
//! validated report is frozen with its cost split: each line's amount at the patto's rate in
//! force that day, the family's share by the co-payment in force that day, the authority's share
//! the rest. All in integer cents, half up to the cent on each line.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{DeliveryReportId, MediationRequestId, OrganizationId, ServiceRequestId, UserId, VoucherId};
use crate::invalid::{Collector, Invalid};
use crate::mediation::{Billable, MediationRequest};
use crate::service_request::{Period, ServiceRequest, Voucher};
use crate::text::{length, trim};
use crate::{Cents, InterventionCode, IstatCode};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a month such as 2024-04")]
pub struct MonthError;

impl Month {
    pub fn parse(input: &str) -> Result<Self, MonthError> {
        let (y, m) = input.trim().split_once('-').ok_or(MonthError)?;
        let (year, month) = (y.parse::<i32>().map_err(|_| MonthError)?, m.parse::<u32>().map_err(|_| MonthError)?);
        if y.len() != 4 || m.len() != 2 || !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(MonthError);
        }
        Ok(Self { year, month })
    }

    pub fn of(day: NaiveDate) -> Self {
        Self { year: day.year(), month: day.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    pub fn last_day(self) -> NaiveDate {
        let next = if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { month: self.month + 1, ..self }
        };
        next.first_day() - Duration::days(1)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        Self::of(day) == self
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ReportSubject {
    /// A home-care voucher the provider serves.
    Voucher { request_id: ServiceRequestId, voucher_id: VoucherId },
    /// The provider's mediation sessions for the authority.
    Mediation,
}

/// One line: what was delivered on a day. For a voucher, `quantity` is in hundredths of the
/// voucher's unit (1.5 hours is 150); for a mediation session, in minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub date: NaiveDate,
    pub intervention: InterventionCode,
    pub quantity: u32,
    pub mediation_request_id: Option<MediationRequestId>,
}

/// Staff's objection to some lines, by index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contest {
    pub lines: Vec<(usize, String)>,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

/// One submission of the lines: the first, or a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub number: u32,
    pub lines: Vec<Line>,
    /// Why more units than granted were delivered, when they were.
    pub over_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Option<UserId>,
    pub contest: Option<Contest>,
}

/// A line's cost, frozen at validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineCost {
    /// The patto's rate per unit that day.
    pub rate: Cents,
    pub amount: Cents,
    pub family: Cents,
    pub authority: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
    /// Each line's cost, in the order of the last revision's lines.
    pub costs: Vec<LineCost>,
}

string_enum!(ReportStatus {
    Submitted => "submitted",
    Contested => "contested",
    Validated => "validated",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub id: DeliveryReportId,
    pub provider_id: OrganizationId,
    /// The authority that pays: the voucher's or the mediations'.
    pub authority_id: OrganizationId,
    pub month: Month,
    pub subject: ReportSubject,
    /// Where the service was delivered: the person's municipality for a voucher.
    pub municipality: Option<IstatCode>,
    pub revisions: Vec<Revision>,
    pub validation: Option<Validation>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum ReportError {
    /// More units than granted, and no reason given.
    OverGrant {
        granted: u32,
        reported: u32,
    },
    Validated,
    Contested,
    NotContested,
    Invalid(Invalid),
}

impl ReportError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::OverGrant { .. } => "units_over_grant",
            Self::Validated => "report_validated",
            Self::Contested => "report_contested",
            Self::NotContested => "report_not_contested",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] =
        &["units_over_grant", "report_validated", "report_contested", "report_not_contested"];
}

impl From<Invalid> for ReportError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// What the lines of a report are checked against.
pub enum Basis<'a> {
    /// The voucher and its request, served by the reporting provider.
    Voucher { request: &'a ServiceRequest, voucher: &'a Voucher },
    /// The provider's mediation requests that ended billable for the authority.
    Mediation { requests: &'a [MediationRequest] },
}

/// How many hundredths of a unit a voucher grants over the days of `month` it is valid: a
/// monthly grant once, a weekly grant once for each week that has such a day.
pub fn granted_in(voucher: &Voucher, month: Month) -> u32 {
    let from = voucher.valid_from.max(month.first_day());
    let to = voucher.valid_to.min(month.last_day());
    if from > to {
        return 0;
    }
    let periods = match voucher.period {
        Period::Month => 1,
        Period::Week => {
            let mut weeks: Vec<(i32, u32)> =
                from.iter_days().take_while(|d| *d <= to).map(|d| (d.iso_week().year(), d.iso_week().week())).collect();
            weeks.dedup();
            weeks.len() as u32
        }
    };
    voucher.units * 100 * periods
}

fn check_lines(
    provider: OrganizationId,
    month: Month,
    basis: &Basis<'_>,
    lines: &[Line],
    over_reason: Option<&str>,
) -> Result<(), ReportError> {
    let mut c = Collector::new();
    if lines.is_empty() || lines.len() > 1000 {
        c.push("lines", "1 to 1,000 lines");
    }
    if over_reason.is_some_and(|r| !(3..=2000).contains(&length(r))) {
        c.push("over_reason", "3 to 2,000 characters");
    }
    for (i, line) in lines.iter().enumerate() {
        let field = |f: &str| format!("lines.{i}.{f}");
        if !month.contains(line.date) {
            c.push(&field("date"), format!("a day of {month}"));
        }
        match basis {
            Basis::Voucher { request, voucher } => {
                if line.intervention != voucher.intervention {
                    c.push(&field("intervention"), "not the voucher's intervention");
                }
                if !(1..=100_000).contains(&line.quantity) {
                    c.push(&field("units"), "more than 0 and at most 1,000");
                }
                if voucher.serving_on(line.date).is_none_or(|s| s.provider_id != provider) {
                    c.push(&field("date"), "you did not serve this voucher that day");
                } else if request.suspended_on(line.date) {
                    c.push(&field("date"), "the service was suspended that day");
                }
                if lines[..i].iter().any(|l| l.date == line.date) {
                    c.push(&field("date"), "one line a day");
                }
            }
            Basis::Mediation { requests } => {
                let found = line.mediation_request_id.and_then(|id| requests.iter().find(|r| r.id == id));
                match found.and_then(|r| r.billable().map(|b| (r, b))) {
                    Some((r, Billable { provider_id, minutes, on, .. }))
                        if provider_id == provider && crate::rome::rome_date(on) == line.date =>
                    {
                        if r.ask.context.intervention() != line.intervention {
                            c.push(&field("intervention"), "not the mediation's context");
                        }
                        if line.quantity != minutes {
                            c.push(&field("minutes"), format!("the mediation bills {minutes} minutes"));
                        }
                        if r.reported_in.is_some() {
                            c.push(&field("mediation_request_id"), "already billed in a validated report");
                        }
                    }
                    Some(_) => c.push(&field("date"), "not the day of this mediation"),
                    None => c.push(&field("mediation_request_id"), "not a billable mediation of yours"),
                }
                if lines[..i].iter().any(|l| l.mediation_request_id == line.mediation_request_id) {
                    c.push(&field("mediation_request_id"), "one line a mediation");
                }
            }
        }
    }
    c.finish()?;
    if let Basis::Voucher { voucher, .. } = basis {
        let granted = granted_in(voucher, month);
        let reported: u32 = lines.iter().map(|l| l.quantity).sum();
        if reported > granted && over_reason.is_none() {
            return Err(ReportError::OverGrant { granted, reported });
        }
    }
    Ok(())
}

/// A line's cost: `quantity` hundredths of a unit at `rate`, with the family's share of each
/// unit (capped at the amount), half up to the cent.
pub fn cost(quantity: u32, per: u32, rate: Cents, family_per_unit: Cents) -> LineCost {
    let half_up = |cents: i64| -> i64 {
        let (n, d) = (i128::from(cents) * i128::from(quantity), i128::from(per));
        i64::try_from((2 * n + d) / (2 * d)).expect("within range")
    };
    let amount = half_up(rate.get());
    let family = half_up(family_per_unit.get()).min(amount);
    LineCost {
        rate,
        amount: Cents::new(amount).expect("within range"),
        family: Cents::new(family).expect("within range"),
        authority: Cents::new(amount - family).expect("within range"),
    }
}

impl DeliveryReport {
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        provider_id: OrganizationId,
        authority_id: OrganizationId,
        month: Month,
        subject: ReportSubject,
        municipality: Option<IstatCode>,
        basis: &Basis<'_>,
        lines: Vec<Line>,
        over_reason: Option<String>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, ReportEvent), ReportError> {
        check_lines(provider_id, month, basis, &lines, over_reason.as_deref())?;
        let report = Self {
            id: DeliveryReportId::new(),
            provider_id,
            authority_id,
            month,
            subject,
            municipality,
            revisions: vec![Revision {
                number: 1,
                lines,
                over_reason: over_reason.map(|r| trim(&r).to_owned()),
                submitted_at: now,
                submitted_by: by,
                contest: None,
            }],
            validation: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = report.event(ReportChange::Submitted);
        Ok((report, event))
    }

    pub fn current(&self) -> &Revision {
        self.revisions.last().expect("a report has its first revision")
    }

    pub fn status(&self) -> ReportStatus {
        if self.validation.is_some() {
            ReportStatus::Validated
        } else if self.current().contest.is_some() {
            ReportStatus::Contested
        } else {
            ReportStatus::Submitted
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    /// Staff contest some lines, each with a reason.
    pub fn contest(
        &mut self,
        lines: Vec<(usize, String)>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ReportEvent, ReportError> {
        match self.status() {
            ReportStatus::Validated => return Err(ReportError::Validated),
            ReportStatus::Contested => return Err(ReportError::Contested),
            ReportStatus::Submitted => {}
        }
        let mut c = Collector::new();
        if lines.is_empty() {
            c.push("lines", "contest at least one line");
        }
        let count = self.current().lines.len();
        for (i, (index, reason)) in lines.iter().enumerate() {
            if *index >= count {
                c.push(&format!("lines.{i}.line"), format!("the report has lines 0 to {}", count - 1));
            }
            if !(3..=2000).contains(&length(reason)) {
                c.push(&format!("lines.{i}.reason"), "3 to 2,000 characters: why");
            }
        }
        c.finish()?;
        let revision = self.revisions.last_mut().expect("a report has its first revision");
        revision.contest = Some(Contest { lines, at: now, by });
        self.touch(now);
        Ok(self.event(ReportChange::Contested))
    }

    /// The provider corrects a contested report with new lines.
    pub fn correct(
        &mut self,
        basis: &Basis<'_>,
        lines: Vec<Line>,
        over_reason: Option<String>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ReportEvent, ReportError> {
        match self.status() {
            ReportStatus::Validated => return Err(ReportError::Validated),
            ReportStatus::Submitted => return Err(ReportError::NotContested),
            ReportStatus::Contested => {}
        }
        check_lines(self.provider_id, self.month, basis, &lines, over_reason.as_deref())?;
        let number = self.current().number + 1;
        self.revisions.push(Revision {
            number,
            lines,
            over_reason: over_reason.map(|r| trim(&r).to_owned()),
            submitted_at: now,
            submitted_by: by,
            contest: None,
        });
        self.touch(now);
        Ok(self.event(ReportChange::Corrected { revision: number }))
    }

    /// Staff validate the report as it stands, freezing each line's cost.
    pub fn validate(
        &mut self,
        costs: Vec<LineCost>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ReportEvent, ReportError> {
        match self.status() {
            ReportStatus::Validated => return Err(ReportError::Validated),
            ReportStatus::Contested => return Err(ReportError::Contested),
            ReportStatus::Submitted => {}
        }
        assert_eq!(costs.len(), self.current().lines.len(), "one cost a line");
        self.validation = Some(Validation { at: now, by, costs });
        self.touch(now);
        Ok(self.event(ReportChange::Validated))
    }

    /// The totals of the validated report: amount, family, authority.
    pub fn totals(&self) -> Option<(Cents, Cents, Cents)> {
        let v = self.validation.as_ref()?;
        let sum =
            |f: fn(&LineCost) -> Cents| Cents::new(v.costs.iter().map(|c| f(c).get()).sum()).expect("within range");
        Some((sum(|c| c.amount), sum(|c| c.family), sum(|c| c.authority)))
    }

    fn event(&self, change: ReportChange) -> ReportEvent {
        ReportEvent { report_id: self.id, provider_id: self.provider_id, authority_id: self.authority_id, change }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ReportChange {
    Submitted,
    Contested,
    Corrected { revision: u32 },
    Validated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEvent {
    pub report_id: DeliveryReportId,
    pub provider_id: OrganizationId,
    pub authority_id: OrganizationId,
    pub change: ReportChange,
}

impl DomainEvent for ReportEvent {
    fn name(&self) -> EventName {
        match self.change {
            ReportChange::Submitted => EventName::DeliveryReportSubmitted,
            ReportChange::Contested => EventName::DeliveryReportContested,
            ReportChange::Corrected { .. } => EventName::DeliveryReportCorrected,
            ReportChange::Validated => EventName::DeliveryReportValidated,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::DeliveryReport, id: self.report_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.provider_id, self.authority_id])
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({"report_id": self.report_id, "provider_id": self.provider_id, "authority_id": self.authority_id}),
            &self.change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(c: i64) -> Cents {
        Cents::new(c).unwrap()
    }

    #[test]
    fn months_parse_and_bound_their_days() {
        let april = Month::parse("2024-04").unwrap();
        assert_eq!(
            (april.first_day().to_string(), april.last_day().to_string()),
            ("2024-04-01".into(), "2024-04-30".into())
        );
        assert_eq!(Month::parse("2024-02").unwrap().last_day().to_string(), "2024-02-29");
        assert_eq!(Month::parse("2024-12").unwrap().last_day().to_string(), "2024-12-31");
        assert!(Month::parse("2024-4").is_err() && Month::parse("2024-13").is_err() && Month::parse("x").is_err());
    }

    #[test]
    fn a_line_costs_its_units_at_the_rate_with_the_family_share_capped() {
        // 1.5 hours at €21.80 with the family paying €10.90 an hour.
        let line = cost(150, 100, cents(2180), cents(1090));
        assert_eq!((line.amount.get(), line.family.get(), line.authority.get()), (3270, 1635, 1635));
        // 7 meals at €7.50, the family paying €1.88 each: 13.16.
        let meals = cost(700, 100, cents(750), cents(188));
        assert_eq!((meals.amount.get(), meals.family.get()), (5250, 1316));
        // 85 minutes of mediation at €27.00 an hour: 38.25.
        let session = cost(85, 60, cents(2700), cents(0));
        assert_eq!((session.amount.get(), session.authority.get()), (3825, 3825));
        // Half a cent rounds up: 1 minute at €0.30 an hour is 0.5 cents.
        assert_eq!(cost(1, 60, cents(30), cents(0)).amount.get(), 1);
        assert_eq!(cost(100, 100, cents(500), cents(900)).family.get(), 500, "never more than the amount");
    }
}
