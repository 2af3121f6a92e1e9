//! Service requests: a municipality asks the district for home care for one of its residents;
//! staff of the responsible authority assess it (possibly after asking for more), grant vouchers
//! (units per week or month at the call's rate, with the family's co-payment) or refuse it; the
//! family chooses, for each voucher, among the providers that may serve it; the provider accepts
//! or declines; the service runs, may be suspended (a hospital stay) and is closed.
//!
//! Where a request and each voucher stand is derived from what was recorded and the clock (an
//! accepted voucher becomes active on its start day, a suspension ends on its last day), and from
//! the registry: a voucher whose provider may no longer serve it (its patto or accreditation
//! suspended, revoked, lapsed) needs a new choice.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::application::ScopeItem;
use crate::copayment;
use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{BeneficiaryId, OrganizationId, PattoId, ServiceRequestId, TenderId, UserId, VoucherId};
use crate::invalid::{Collector, Invalid};
use crate::rome::rome_date;
use crate::tender::{Tender, TenderState};
use crate::text::{length, trim};
use crate::{Cents, InterventionCode, IstatCode, Unit};

string_enum!(Period { Week => "week", Month => "month" });
string_enum!(Urgency { Ordinary => "ordinary", Urgent => "urgent" });

string_enum!(IneligibleReason {
    /// The person does not meet the regulation's criteria of need.
    NeedsNotMet => "needs_not_met",
    /// Another service already answers the need.
    OtherServiceInPlace => "other_service_in_place",
    NotResident => "not_resident",
    /// The integration asked for did not come.
    IncompleteDocumentation => "incomplete_documentation",
    Other => "other",
});

string_enum!(DeclineReason {
    NoCapacity => "no_capacity",
    NoQualifiedStaff => "no_qualified_staff",
    ScheduleNotCompatible => "schedule_not_compatible",
    Other => "other",
});

string_enum!(CloseReason {
    /// The need is met, or the care plan ended.
    Completed => "completed",
    Deceased => "deceased",
    MovedAway => "moved_away",
    ResidentialCare => "residential_care",
    /// The family gave the service up.
    Renounced => "renounced",
    /// The municipality withdrew the request before it was assessed.
    Withdrawn => "withdrawn",
    Other => "other",
});

string_enum!(RequestStatus {
    Submitted => "submitted",
    /// Staff asked the municipality for more before assessing.
    IntegrationRequested => "integration_requested",
    Ineligible => "ineligible",
    /// Granted: a voucher waits for the family's choice of provider (or a new one).
    Eligible => "eligible",
    /// Every voucher has a provider chosen; some offer waits for the provider's answer.
    ProviderChosen => "provider_chosen",
    /// Every voucher is accepted; the service has not started yet.
    Accepted => "accepted",
    Active => "active",
    Suspended => "suspended",
    Closed => "closed",
});

string_enum!(VoucherStatus {
    AwaitingChoice => "awaiting_choice",
    Offered => "offered",
    Accepted => "accepted",
    Active => "active",
    Suspended => "suspended",
    /// Its provider may no longer serve it: the family chooses again.
    NeedsNewChoice => "needs_new_choice",
    Closed => "closed",
});

/// The product line whose interventions have a request of their own (mediation requests).
const MEDIATION: &str = "mediation";

/// An intervention as asked: so many units a week or a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asked {
    pub intervention: InterventionCode,
    pub units: u32,
    pub period: Period,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationRequest {
    pub message: String,
    pub due_on: NaiveDate,
    pub requested_at: DateTime<Utc>,
    pub requested_by: Option<UserId>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Eligible,
    Ineligible { reason: IneligibleReason, explanation: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Answer {
    Accepted { start: NaiveDate, at: DateTime<Utc>, by: Option<UserId> },
    Declined { reason: DeclineReason, note: String, at: DateTime<Utc>, by: Option<UserId> },
}

/// The family's choice of a provider for a voucher, and the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub provider_id: OrganizationId,
    /// The patto under which the provider may serve it.
    pub patto_id: PattoId,
    pub chosen_at: DateTime<Utc>,
    pub chosen_by: Option<UserId>,
    pub answer: Option<Answer>,
}

impl Choice {
    pub fn start(&self) -> Option<NaiveDate> {
        match self.answer {
            Some(Answer::Accepted { start, .. }) => Some(start),
            _ => None,
        }
    }
}

/// What staff grant of one intervention: the voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Voucher {
    pub id: VoucherId,
    pub intervention: InterventionCode,
    /// The call whose rate applies.
    pub tender_id: TenderId,
    pub unit: Unit,
    pub units: u32,
    pub period: Period,
    /// The call's rate per unit: the tariff the co-payment divides.
    pub rate: Cents,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The co-payment of its first day as granted, frozen with the rule version and ISEE it used.
    pub granted: copayment::Basis,
    pub choices: Vec<Choice>,
}

impl Voucher {
    /// The choice under which a provider serves it on a day: the accepted one that started last.
    pub fn serving_on(&self, day: NaiveDate) -> Option<&Choice> {
        self.choices.iter().filter(|c| c.start().is_some_and(|s| s <= day)).max_by_key(|c| c.start())
    }

    /// The provider serving it now or about to: the last accepted choice.
    pub fn taken_by(&self) -> Option<&Choice> {
        self.choices.iter().rev().find(|c| c.start().is_some())
    }

    /// Whether `provider` ever accepted it (and so reads the request in full).
    pub fn accepted_by(&self, provider: OrganizationId) -> bool {
        self.choices.iter().any(|c| c.provider_id == provider && c.start().is_some())
    }

    /// The provider whose answer is awaited, if any.
    pub fn offered_to(&self) -> Option<OrganizationId> {
        self.choices.last().filter(|c| c.answer.is_none()).map(|c| c.provider_id)
    }

    /// The day a provider chosen now would start: the voucher's first day, or today if later.
    pub fn first_day(&self, today: NaiveDate) -> NaiveDate {
        self.valid_from.max(today)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suspension {
    pub from: NaiveDate,
    /// The last day suspended; none until resumed.
    pub until: Option<NaiveDate>,
    pub reason: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<UserId>,
    /// The day the service resumed, when it did so before `until`.
    pub resumed_on: Option<NaiveDate>,
}

impl Suspension {
    /// The last day it suspends; none while it lasts until resumed.
    fn last_day(&self) -> Option<NaiveDate> {
        let resumed = self.resumed_on.map(|r| r - Duration::days(1));
        match (self.until, resumed) {
            (Some(u), Some(r)) => Some(u.min(r)),
            (u, r) => u.or(r),
        }
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.last_day().is_none_or(|l| day <= l)
    }

    /// Whether it suspends some day from `from` to `until` (none: open-ended).
    fn overlaps(&self, from: NaiveDate, until: Option<NaiveDate>) -> bool {
        let last = self.last_day();
        last.is_none_or(|l| l >= self.from && l >= from) && until.is_none_or(|u| self.from <= u)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub reason: CloseReason,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRequest {
    pub id: ServiceRequestId,
    pub beneficiary_id: BeneficiaryId,
    /// The authority responsible for the person.
    pub authority_id: OrganizationId,
    /// The municipality that asked.
    pub requested_by: OrganizationId,
    /// Where the person lives: where the service is delivered.
    pub municipality: IstatCode,
    pub age_band: crate::beneficiary::AgeBand,
    pub asked: Vec<Asked>,
    pub desired_start: NaiveDate,
    /// The care plan's summary: health and family details, readable only with the person's record.
    pub care_plan: String,
    pub urgency: Urgency,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: Option<UserId>,
    pub integrations: Vec<IntegrationRequest>,
    pub assessment: Option<Assessment>,
    pub vouchers: Vec<Voucher>,
    pub suspensions: Vec<Suspension>,
    pub closure: Option<Closure>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum ServiceRequestError {
    Closed,
    AlreadyAssessed,
    IntegrationPending,
    NoIntegrationRequested,
    /// Not (yet) granted: nothing to choose, suspend or resume.
    NotEligible,
    UnknownVoucher,
    OfferPending,
    VoucherTaken,
    /// The provider has no active patto over an active accreditation for the voucher's
    /// intervention in the person's municipality on the day it would start.
    ProviderNotEligible,
    NoPendingOffer,
    AlreadySuspended,
    NotSuspended,
    Invalid(Invalid),
}

impl ServiceRequestError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Closed => "request_closed",
            Self::AlreadyAssessed => "already_assessed",
            Self::IntegrationPending => "integration_pending",
            Self::NoIntegrationRequested => "no_integration_requested",
            Self::NotEligible => "request_not_eligible",
            Self::UnknownVoucher => "not_found",
            Self::OfferPending => "offer_pending",
            Self::VoucherTaken => "voucher_taken",
            Self::ProviderNotEligible => "provider_not_eligible",
            Self::NoPendingOffer => "no_pending_offer",
            Self::AlreadySuspended => "already_suspended",
            Self::NotSuspended => "not_suspended",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &[
        "request_closed",
        "already_assessed",
        "integration_pending",
        "no_integration_requested",
        "request_not_eligible",
        "offer_pending",
        "voucher_taken",
        "provider_not_eligible",
        "no_pending_offer",
        "already_suspended",
        "not_suspended",
    ];
}

impl From<Invalid> for ServiceRequestError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// What a municipality asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub asked: Vec<Asked>,
    pub desired_start: NaiveDate,
    pub care_plan: String,
    pub urgency: Urgency,
}

/// The person a request is for, as the request needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub beneficiary_id: BeneficiaryId,
    pub authority_id: OrganizationId,
    pub residence: IstatCode,
    pub age_band: crate::beneficiary::AgeBand,
}

/// What staff grant of one intervention, with what the command looked up for it: the call's
/// rate and the co-payment on its first day (none without a rule in force).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub intervention: InterventionCode,
    pub units: u32,
    pub period: Period,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub tariff: Option<Tariff>,
    pub copayment: Option<copayment::Basis>,
}

/// An intervention's rate under the call that covers it, and how long that call's list lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    pub tender_id: TenderId,
    pub unit: Unit,
    pub rate: Cents,
    pub list_ends: NaiveDate,
}

impl Tariff {
    /// The rate of `item` on `day` under the calls of `authority` that list it: a call concluded
    /// at least once (its list exists), not cancelled, valid that day; the latest such call.
    pub fn from_calls(calls: &[Tender], authority: OrganizationId, item: &ScopeItem, day: NaiveDate) -> Option<Self> {
        calls
            .iter()
            .filter(|t| t.authorities.contains(&authority) && t.state != TenderState::Cancelled)
            .filter(|t| t.rounds.iter().any(|r| r.concluded_at.is_some()))
            .filter(|t| t.terms.validity_from <= day && day <= t.terms.validity_to)
            .filter(|t| t.terms.municipalities.contains(&item.municipality))
            .filter_map(|t| t.terms.intervention(&item.intervention).map(|i| (t, i)))
            .max_by_key(|(t, _)| (t.terms.validity_from, t.published_at))
            .map(|(t, i)| Self { tender_id: t.id, unit: i.unit, rate: i.rate, list_ends: t.terms.validity_to })
    }
}

fn check_units(c: &mut Collector, field: &str, units: u32) {
    if !(1..=1000).contains(&units) {
        c.push(field, "1 to 1,000 units");
    }
}

impl ServiceRequest {
    /// A municipality asks for one of its residents (`municipality`: its ISTAT code);
    /// `catalogue` names each known intervention's product line.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        id: ServiceRequestId,
        person: Person,
        requested_by: OrganizationId,
        municipality: &IstatCode,
        ask: Ask,
        catalogue: &[(InterventionCode, String)],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, ServiceRequestEvent), ServiceRequestError> {
        let mut c = Collector::new();
        if person.residence != *municipality {
            c.push("beneficiary_id", "the person does not live in your municipality");
        }
        if ask.asked.is_empty() || ask.asked.len() > 20 {
            c.push("interventions", "1 to 20 interventions");
        }
        for (i, a) in ask.asked.iter().enumerate() {
            match catalogue.iter().find(|(code, _)| *code == a.intervention) {
                None => c.push(&format!("interventions.{i}.intervention"), "not an intervention of the catalogue"),
                Some((_, line)) if line == MEDIATION => {
                    c.push(&format!("interventions.{i}.intervention"), "mediation is asked with a mediation request")
                }
                Some(_) => {}
            }
            if ask.asked[..i].iter().any(|b| b.intervention == a.intervention) {
                c.push(&format!("interventions.{i}.intervention"), "asked twice");
            }
            check_units(&mut c, &format!("interventions.{i}.units"), a.units);
        }
        if ask.desired_start < rome_date(now) {
            c.push("desired_start", "today or later");
        }
        if !(3..=20_000).contains(&length(&ask.care_plan)) {
            c.push("care_plan", "3 to 20,000 characters: the care plan's summary");
        }
        c.finish()?;
        let request = Self {
            id,
            beneficiary_id: person.beneficiary_id,
            authority_id: person.authority_id,
            requested_by,
            municipality: person.residence,
            age_band: person.age_band,
            asked: ask.asked,
            desired_start: ask.desired_start,
            care_plan: ask.care_plan,
            urgency: ask.urgency,
            submitted_at: now,
            submitted_by: by,
            integrations: Vec::new(),
            assessment: None,
            vouchers: Vec::new(),
            suspensions: Vec::new(),
            closure: None,
            version: 1,
            updated_at: now,
        };
        let event = request.event(RequestChange::Submitted);
        Ok((request, event))
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    pub fn event(&self, change: RequestChange) -> ServiceRequestEvent {
        let providers = match &change {
            RequestChange::ProviderChosen { provider_id, .. }
            | RequestChange::OfferAccepted { provider_id, .. }
            | RequestChange::OfferDeclined { provider_id, .. }
            | RequestChange::NeedsNewChoice { provider_id, .. } => vec![*provider_id],
            _ => self.vouchers.iter().filter_map(|v| v.taken_by().map(|c| c.provider_id)).collect(),
        };
        ServiceRequestEvent {
            request_id: self.id,
            authority_id: self.authority_id,
            requested_by: self.requested_by,
            providers,
            change,
        }
    }

    fn open(&self) -> Result<(), ServiceRequestError> {
        if self.closure.is_some() { Err(ServiceRequestError::Closed) } else { Ok(()) }
    }

    fn open_integration(&self) -> Option<&IntegrationRequest> {
        self.integrations.last().filter(|i| i.answered_at.is_none())
    }

    /// Staff ask the municipality for more before assessing.
    pub fn request_integration(
        &mut self,
        message: String,
        due_on: NaiveDate,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.open()?;
        if self.assessment.is_some() {
            return Err(ServiceRequestError::AlreadyAssessed);
        }
        if self.open_integration().is_some() {
            return Err(ServiceRequestError::IntegrationPending);
        }
        let mut c = Collector::new();
        if !(3..=2000).contains(&length(&message)) {
            c.push("message", "3 to 2,000 characters: what is missing");
        }
        if due_on < rome_date(now) {
            c.push("due_on", "today or later");
        }
        c.finish()?;
        self.integrations.push(IntegrationRequest {
            message,
            due_on,
            requested_at: now,
            requested_by: by,
            answer: None,
            answered_at: None,
            answered_by: None,
        });
        self.touch(now);
        Ok(self.event(RequestChange::IntegrationRequested))
    }

    /// The municipality answers, possibly with a revised care plan.
    pub fn answer_integration(
        &mut self,
        answer: String,
        care_plan: Option<String>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.open()?;
        if self.open_integration().is_none() {
            return Err(ServiceRequestError::NoIntegrationRequested);
        }
        let mut c = Collector::new();
        if !(3..=20_000).contains(&length(&answer)) {
            c.push("answer", "3 to 20,000 characters");
        }
        if care_plan.as_deref().is_some_and(|p| !(3..=20_000).contains(&length(p))) {
            c.push("care_plan", "3 to 20,000 characters: the care plan's summary");
        }
        c.finish()?;
        let open = self.integrations.last_mut().expect("an integration is open");
        open.answer = Some(answer);
        open.answered_at = Some(now);
        open.answered_by = by;
        if let Some(plan) = care_plan {
            self.care_plan = plan;
        }
        self.touch(now);
        Ok(self.event(RequestChange::IntegrationAnswered))
    }

    fn assessable(&self) -> Result<(), ServiceRequestError> {
        self.open()?;
        if self.assessment.is_some() {
            return Err(ServiceRequestError::AlreadyAssessed);
        }
        Ok(())
    }

    /// Staff grant vouchers: each for an intervention asked, within the call's list, with a
    /// co-payment rule in force on its first day.
    pub fn grant(
        &mut self,
        grants: Vec<Grant>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.assessable()?;
        let mut c = Collector::new();
        if grants.is_empty() {
            c.push("grants", "grant at least one intervention, or assess the request as ineligible");
        }
        let today = rome_date(now);
        let mut vouchers = Vec::new();
        for (i, g) in grants.iter().enumerate() {
            let field = |f: &str| format!("grants.{i}.{f}");
            if !self.asked.iter().any(|a| a.intervention == g.intervention) {
                c.push(&field("intervention"), "not asked in this request");
            }
            if grants[..i].iter().any(|h| h.intervention == g.intervention) {
                c.push(&field("intervention"), "granted twice");
            }
            check_units(&mut c, &field("units"), g.units);
            if g.valid_from < today {
                c.push(&field("valid_from"), "today or later");
            }
            if g.valid_to < g.valid_from {
                c.push(&field("valid_to"), "must not be before valid_from");
            }
            let Some(tariff) = &g.tariff else {
                c.push(&field("intervention"), "no call of the authority lists it for this municipality on that day");
                continue;
            };
            if g.valid_to > tariff.list_ends {
                c.push(&field("valid_to"), format!("within the call's list, which ends on {}", tariff.list_ends));
            }
            let Some(copayment) = &g.copayment else {
                c.push(&field("intervention"), "the authority has no co-payment rule for it in force on that day");
                continue;
            };
            vouchers.push(Voucher {
                id: VoucherId::new(),
                intervention: g.intervention.clone(),
                tender_id: tariff.tender_id,
                unit: tariff.unit,
                units: g.units,
                period: g.period,
                rate: tariff.rate,
                valid_from: g.valid_from,
                valid_to: g.valid_to,
                granted: copayment.clone(),
                choices: Vec::new(),
            });
        }
        c.finish()?;
        self.vouchers = vouchers;
        self.assessment = Some(Assessment { outcome: Outcome::Eligible, at: now, by });
        self.touch(now);
        Ok(self.event(RequestChange::Assessed { eligible: true }))
    }

    pub fn refuse(
        &mut self,
        reason: IneligibleReason,
        explanation: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.assessable()?;
        if !(3..=2000).contains(&length(&explanation)) {
            return Err(Invalid::one("explanation", "3 to 2,000 characters: why").into());
        }
        self.assessment = Some(Assessment { outcome: Outcome::Ineligible { reason, explanation }, at: now, by });
        self.touch(now);
        Ok(self.event(RequestChange::Assessed { eligible: false }))
    }

    fn granted(&self) -> Result<(), ServiceRequestError> {
        self.open()?;
        match &self.assessment {
            Some(Assessment { outcome: Outcome::Eligible, .. }) => Ok(()),
            _ => Err(ServiceRequestError::NotEligible),
        }
    }

    fn voucher_index(&self, id: VoucherId) -> Result<usize, ServiceRequestError> {
        self.vouchers.iter().position(|v| v.id == id).ok_or(ServiceRequestError::UnknownVoucher)
    }

    pub fn voucher(&self, id: VoucherId) -> Result<&Voucher, ServiceRequestError> {
        Ok(&self.vouchers[self.voucher_index(id)?])
    }

    /// The family chooses a provider for a voucher (through the municipality or staff):
    /// `eligible` is the patto under which that provider may serve it from its first day, if any;
    /// `attention` says whether the voucher's current provider may no longer serve it.
    #[allow(clippy::too_many_arguments)]
    pub fn choose(
        &mut self,
        voucher: VoucherId,
        provider: OrganizationId,
        eligible: Option<PattoId>,
        attention: bool,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.granted()?;
        let index = self.voucher_index(voucher)?;
        match self.voucher_status(&self.vouchers[index], now, attention) {
            VoucherStatus::AwaitingChoice | VoucherStatus::NeedsNewChoice => {}
            VoucherStatus::Offered => return Err(ServiceRequestError::OfferPending),
            _ => return Err(ServiceRequestError::VoucherTaken),
        }
        let patto_id = eligible.ok_or(ServiceRequestError::ProviderNotEligible)?;
        self.vouchers[index].choices.push(Choice {
            provider_id: provider,
            patto_id,
            chosen_at: now,
            chosen_by: by,
            answer: None,
        });
        self.touch(now);
        Ok(self.event(RequestChange::ProviderChosen { voucher_id: voucher, provider_id: provider }))
    }

    fn pending_offer(
        &mut self,
        voucher: VoucherId,
        provider: OrganizationId,
    ) -> Result<&mut Choice, ServiceRequestError> {
        self.granted()?;
        let index = self.voucher_index(voucher)?;
        match self.vouchers[index].choices.last_mut() {
            Some(choice) if choice.answer.is_none() && choice.provider_id == provider => Ok(choice),
            _ => Err(ServiceRequestError::NoPendingOffer),
        }
    }

    /// The offered provider accepts, with the day it starts (`still_eligible`: it may serve the
    /// voucher from that day).
    pub fn accept(
        &mut self,
        voucher: VoucherId,
        provider: OrganizationId,
        start: NaiveDate,
        still_eligible: bool,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.pending_offer(voucher, provider)?;
        let v = self.voucher(voucher)?;
        let first = v.first_day(rome_date(now));
        if start < first || start > v.valid_to {
            return Err(Invalid::one("start", format!("from {first} to the voucher's last day, {}", v.valid_to)).into());
        }
        if !still_eligible {
            return Err(ServiceRequestError::ProviderNotEligible);
        }
        let choice = self.pending_offer(voucher, provider)?;
        choice.answer = Some(Answer::Accepted { start, at: now, by });
        self.touch(now);
        Ok(self.event(RequestChange::OfferAccepted { voucher_id: voucher, provider_id: provider, start }))
    }

    pub fn decline(
        &mut self,
        voucher: VoucherId,
        provider: OrganizationId,
        reason: DeclineReason,
        note: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        if length(&note) > 2000 {
            return Err(Invalid::one("note", "at most 2,000 characters").into());
        }
        let choice = self.pending_offer(voucher, provider)?;
        choice.answer = Some(Answer::Declined { reason, note: trim(&note).to_owned(), at: now, by });
        self.touch(now);
        Ok(self.event(RequestChange::OfferDeclined { voucher_id: voucher, provider_id: provider, reason }))
    }

    /// The service stops for a while (a hospital stay): from a day, until a day or until resumed.
    pub fn suspend(
        &mut self,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.granted()?;
        let today = rome_date(now);
        let mut c = Collector::new();
        if from < today - Duration::days(31) {
            c.push("from", "at most a month ago");
        }
        if until.is_some_and(|u| u < from) {
            c.push("until", "must not be before from");
        }
        if !(3..=500).contains(&length(&reason)) {
            c.push("reason", "3 to 500 characters");
        }
        c.finish()?;
        if self.suspensions.iter().any(|s| s.overlaps(from, until)) {
            return Err(ServiceRequestError::AlreadySuspended);
        }
        self.suspensions.push(Suspension { from, until, reason, recorded_at: now, recorded_by: by, resumed_on: None });
        self.touch(now);
        Ok(self.event(RequestChange::Suspended))
    }

    /// The service resumes today.
    pub fn resume(&mut self, now: DateTime<Utc>) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.granted()?;
        let today = rome_date(now);
        let suspension =
            self.suspensions.iter_mut().find(|s| s.covers(today)).ok_or(ServiceRequestError::NotSuspended)?;
        suspension.resumed_on = Some(today);
        self.touch(now);
        Ok(self.event(RequestChange::Resumed))
    }

    pub fn close(
        &mut self,
        reason: CloseReason,
        note: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ServiceRequestEvent, ServiceRequestError> {
        self.open()?;
        if length(&note) > 2000 {
            return Err(Invalid::one("note", "at most 2,000 characters").into());
        }
        self.closure = Some(Closure { reason, note: trim(&note).to_owned(), at: now, by });
        self.touch(now);
        Ok(self.event(RequestChange::Closed { reason }))
    }

    pub fn suspended_on(&self, day: NaiveDate) -> bool {
        self.suspensions.iter().any(|s| s.covers(day))
    }

    /// Where a voucher stands at `now` (`attention`: its provider may no longer serve it).
    pub fn voucher_status(&self, v: &Voucher, now: DateTime<Utc>, attention: bool) -> VoucherStatus {
        let day = rome_date(now);
        if self.closure.is_some() {
            return VoucherStatus::Closed;
        }
        match v.choices.last() {
            None => VoucherStatus::AwaitingChoice,
            Some(Choice { answer: None, .. }) => VoucherStatus::Offered,
            Some(Choice { answer: Some(Answer::Declined { .. }), .. }) => VoucherStatus::AwaitingChoice,
            Some(Choice { answer: Some(Answer::Accepted { start, .. }), .. }) => {
                if attention {
                    VoucherStatus::NeedsNewChoice
                } else if self.suspended_on(day) {
                    VoucherStatus::Suspended
                } else if day < *start {
                    VoucherStatus::Accepted
                } else {
                    VoucherStatus::Active
                }
            }
        }
    }

    /// Where the request stands at `now` (`attention`: the vouchers that need a new choice).
    pub fn status(&self, now: DateTime<Utc>, attention: &[VoucherId]) -> RequestStatus {
        if self.closure.is_some() {
            return RequestStatus::Closed;
        }
        match &self.assessment {
            None if self.open_integration().is_some() => return RequestStatus::IntegrationRequested,
            None => return RequestStatus::Submitted,
            Some(Assessment { outcome: Outcome::Ineligible { .. }, .. }) => return RequestStatus::Ineligible,
            Some(_) => {}
        }
        if self.suspended_on(rome_date(now)) {
            return RequestStatus::Suspended;
        }
        let statuses: Vec<VoucherStatus> =
            self.vouchers.iter().map(|v| self.voucher_status(v, now, attention.contains(&v.id))).collect();
        let any = |s: &[VoucherStatus]| statuses.iter().any(|v| s.contains(v));
        if any(&[VoucherStatus::AwaitingChoice, VoucherStatus::NeedsNewChoice]) {
            RequestStatus::Eligible
        } else if any(&[VoucherStatus::Offered]) {
            RequestStatus::ProviderChosen
        } else if statuses.iter().all(|s| *s == VoucherStatus::Accepted) {
            RequestStatus::Accepted
        } else {
            RequestStatus::Active
        }
    }

    /// Whether the request waits for the municipality or the family: an integration, a choice.
    pub fn waits_for_municipality(&self, now: DateTime<Utc>, attention: &[VoucherId]) -> bool {
        matches!(self.status(now, attention), RequestStatus::IntegrationRequested | RequestStatus::Eligible)
    }

    /// The vouchers accepted and not closed, with their current provider: those whose provider
    /// must still be able to serve them.
    pub fn taken(&self) -> Vec<(&Voucher, &Choice)> {
        if self.closure.is_some() {
            return Vec::new();
        }
        self.vouchers
            .iter()
            .filter_map(|v| match v.choices.last() {
                Some(c) if c.start().is_some() => Some((v, c)),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RequestChange {
    Submitted,
    IntegrationRequested,
    IntegrationAnswered,
    Assessed {
        eligible: bool,
    },
    ProviderChosen {
        voucher_id: VoucherId,
        provider_id: OrganizationId,
    },
    OfferAccepted {
        voucher_id: VoucherId,
        provider_id: OrganizationId,
        start: NaiveDate,
    },
    OfferDeclined {
        voucher_id: VoucherId,
        provider_id: OrganizationId,
        reason: DeclineReason,
    },
    Suspended,
    Resumed,
    Closed {
        reason: CloseReason,
    },
    /// The voucher's provider may no longer serve it (its patto was suspended or revoked).
    NeedsNewChoice {
        voucher_id: VoucherId,
        provider_id: OrganizationId,
        patto_id: PattoId,
    },
}

/// A change to a request: ids and codes only, never the person's data or the care plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequestEvent {
    pub request_id: ServiceRequestId,
    pub authority_id: OrganizationId,
    pub requested_by: OrganizationId,
    /// The providers concerned: the one offered or answering, or those serving.
    pub providers: Vec<OrganizationId>,
    pub change: RequestChange,
}

impl DomainEvent for ServiceRequestEvent {
    fn name(&self) -> EventName {
        match self.change {
            RequestChange::Submitted => EventName::ServiceRequestSubmitted,
            RequestChange::IntegrationRequested => EventName::ServiceRequestIntegrationRequested,
            RequestChange::IntegrationAnswered => EventName::ServiceRequestIntegrationAnswered,
            RequestChange::Assessed { .. } => EventName::ServiceRequestAssessed,
            RequestChange::ProviderChosen { .. } => EventName::ServiceRequestProviderChosen,
            RequestChange::OfferAccepted { .. } => EventName::ServiceRequestOfferAccepted,
            RequestChange::OfferDeclined { .. } => EventName::ServiceRequestOfferDeclined,
            RequestChange::Suspended => EventName::ServiceRequestSuspended,
            RequestChange::Resumed => EventName::ServiceRequestResumed,
            RequestChange::Closed { .. } => EventName::ServiceRequestClosed,
            RequestChange::NeedsNewChoice { .. } => EventName::VoucherNeedsNewChoice,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::ServiceRequest, id: self.request_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.authority_id, self.requested_by].into_iter().chain(self.providers.iter().copied()))
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({
                "service_request_id": self.request_id,
                "authority_id": self.authority_id,
                "requested_by": self.requested_by,
            }),
            &self.change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beneficiary::AgeBand;
    use crate::ids::{CopaymentRuleId, IseeId};
    use crate::rome::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn code(s: &str) -> InterventionCode {
        s.to_owned().try_into().unwrap()
    }

    fn catalogue() -> Vec<(InterventionCode, String)> {
        vec![
            (code("home_care_professional"), "social_care".into()),
            (code("meals_delivery"), "additional".into()),
            (code("mediation_health"), "mediation".into()),
        ]
    }

    fn submitted() -> ServiceRequest {
        let town = IstatCode::parse("019021").unwrap();
        let person = Person {
            beneficiary_id: BeneficiaryId::new(),
            authority_id: OrganizationId::new(),
            residence: town.clone(),
            age_band: AgeBand::Elderly,
        };
        let ask = Ask {
            asked: vec![
                Asked { intervention: code("home_care_professional"), units: 6, period: Period::Week },
                Asked { intervention: code("meals_delivery"), units: 20, period: Period::Month },
            ],
            desired_start: day("2024-03-04"),
            care_plan: "Assistenza alla persona, igiene, pasti".into(),
            urgency: Urgency::Ordinary,
        };
        ServiceRequest::submit(
            ServiceRequestId::new(),
            person,
            OrganizationId::new(),
            &town,
            ask,
            &catalogue(),
            None,
            at("2024-03-01T10:00"),
        )
        .unwrap()
        .0
    }

    fn grant(intervention: &str, units: u32, period: Period, rate: i64) -> Grant {
        let tariff = Cents::new(rate).unwrap();
        Grant {
            intervention: code(intervention),
            units,
            period,
            valid_from: day("2024-03-04"),
            valid_to: day("2025-03-03"),
            tariff: Some(Tariff {
                tender_id: TenderId::new(),
                unit: Unit::Hour,
                rate: tariff,
                list_ends: day("2027-02-28"),
            }),
            copayment: Some(copayment::Basis {
                rule_id: CopaymentRuleId::new(),
                rule_version: 1,
                isee_id: Some(IseeId::new()),
                split: copayment::split(
                    &copayment::Formula::Linear {
                        floor: Cents::new(583_100).unwrap(),
                        ceiling: Cents::new(1_749_300).unwrap(),
                    },
                    tariff,
                    Some(Cents::new(1_166_200).unwrap()),
                ),
            }),
        }
    }

    #[test]
    fn a_request_is_for_a_resident_and_asks_home_care_not_mediation() {
        let town = IstatCode::parse("019021").unwrap();
        let person = Person {
            beneficiary_id: BeneficiaryId::new(),
            authority_id: OrganizationId::new(),
            residence: IstatCode::parse("019036").unwrap(),
            age_band: AgeBand::Adult,
        };
        let ask = Ask {
            asked: vec![Asked { intervention: code("mediation_health"), units: 0, period: Period::Week }],
            desired_start: day("2024-02-01"),
            care_plan: "x".into(),
            urgency: Urgency::Urgent,
        };
        let Err(ServiceRequestError::Invalid(Invalid(errors))) = ServiceRequest::submit(
            ServiceRequestId::new(),
            person,
            OrganizationId::new(),
            &town,
            ask,
            &catalogue(),
            None,
            at("2024-03-01T10:00"),
        ) else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["beneficiary_id", "interventions.0.intervention", "interventions.0.units", "desired_start", "care_plan"]
        );
    }

    #[test]
    fn granted_chosen_declined_chosen_accepted_active_suspended_closed() {
        let mut r = submitted();
        let now = at("2024-03-01T11:00");
        assert_eq!(r.status(now, &[]), RequestStatus::Submitted);
        r.request_integration("Manca la relazione del medico".into(), day("2024-03-10"), None, now).unwrap();
        assert_eq!(r.status(now, &[]), RequestStatus::IntegrationRequested);
        assert_eq!(
            r.request_integration("Ancora".into(), day("2024-03-10"), None, now).unwrap_err().code(),
            "integration_pending"
        );
        r.answer_integration("Allegata".into(), None, None, now).unwrap();
        let unasked = vec![grant("telecare", 1, Period::Month, 1800)];
        assert_eq!(r.grant(unasked, None, now).unwrap_err().code(), "validation_failed");
        let grants = vec![
            grant("home_care_professional", 6, Period::Week, 2180),
            grant("meals_delivery", 20, Period::Month, 750),
        ];
        r.grant(grants.clone(), None, now).unwrap();
        assert_eq!(r.grant(grants, None, now).unwrap_err(), ServiceRequestError::AlreadyAssessed);
        assert_eq!(r.vouchers[0].granted.split.family.get(), 1090);
        assert_eq!(r.status(now, &[]), RequestStatus::Eligible);
        let (v, meals) = (r.vouchers[0].id, r.vouchers[1].id);
        let (uno, due) = (OrganizationId::new(), OrganizationId::new());
        let patto = Some(PattoId::new());
        assert_eq!(r.choose(v, uno, None, false, None, now).unwrap_err(), ServiceRequestError::ProviderNotEligible);
        r.choose(v, uno, patto, false, None, now).unwrap();
        assert_eq!(r.choose(v, due, patto, false, None, now).unwrap_err(), ServiceRequestError::OfferPending);
        assert_eq!(
            r.accept(v, due, day("2024-03-04"), true, None, now).unwrap_err(),
            ServiceRequestError::NoPendingOffer
        );
        r.decline(v, uno, DeclineReason::NoCapacity, String::new(), None, now).unwrap();
        assert_eq!(r.voucher_status(&r.vouchers[0], now, false), VoucherStatus::AwaitingChoice);
        r.choose(v, due, patto, false, None, now).unwrap();
        r.choose(meals, due, patto, false, None, now).unwrap();
        assert_eq!(r.status(now, &[]), RequestStatus::ProviderChosen);
        let early = r.accept(v, due, day("2024-03-01"), true, None, now).unwrap_err();
        assert_eq!(early.code(), "validation_failed", "not before the voucher's first day");
        r.accept(v, due, day("2024-03-04"), true, None, now).unwrap();
        r.accept(meals, due, day("2024-03-05"), true, None, now).unwrap();
        assert_eq!(r.status(now, &[]), RequestStatus::Accepted);
        assert_eq!(r.status(at("2024-03-04T08:00"), &[]), RequestStatus::Active);
        assert_eq!(r.voucher_status(&r.vouchers[1], at("2024-03-04T08:00"), false), VoucherStatus::Accepted);
        assert_eq!(r.choose(v, uno, patto, false, None, now).unwrap_err(), ServiceRequestError::VoucherTaken);
        assert_eq!(r.status(at("2024-03-06T08:00"), &[v]), RequestStatus::Eligible, "its provider may no longer serve");
        // A hospital stay from 10 to 20 March; a second overlapping one is refused; resumed early.
        let later = at("2024-03-09T09:00");
        r.suspend(day("2024-03-10"), Some(day("2024-03-20")), "Ricovero ospedaliero".into(), None, later).unwrap();
        let overlapping = r.suspend(day("2024-03-15"), None, "Ricovero".into(), None, later);
        assert_eq!(overlapping.unwrap_err(), ServiceRequestError::AlreadySuspended);
        assert_eq!(r.status(at("2024-03-12T09:00"), &[]), RequestStatus::Suspended);
        assert_eq!(r.status(at("2024-03-21T00:00"), &[]), RequestStatus::Active, "it ends by itself");
        assert_eq!(r.resume(at("2024-03-09T10:00")).unwrap_err(), ServiceRequestError::NotSuspended);
        r.resume(at("2024-03-14T09:00")).unwrap();
        assert_eq!(r.status(at("2024-03-14T10:00"), &[]), RequestStatus::Active);
        assert!(r.suspended_on(day("2024-03-13")), "what was suspended stays so");
        r.suspend(
            day("2024-03-18"),
            Some(day("2024-03-19")),
            "Ricovero di controllo".into(),
            None,
            at("2024-03-14T10:00"),
        )
        .unwrap();
        r.close(CloseReason::ResidentialCare, "RSA".into(), None, at("2024-04-01T09:00")).unwrap();
        assert_eq!(r.status(at("2024-04-01T10:00"), &[]), RequestStatus::Closed);
        assert_eq!(
            r.close(CloseReason::Other, String::new(), None, at("2024-04-02T09:00")).unwrap_err().code(),
            "request_closed"
        );
        let event = r.event(RequestChange::Closed { reason: CloseReason::ResidentialCare });
        assert!(!event.payload().to_string().contains("Assistenza"), "no care plan in events");
        assert!(event.readers().may_read(due), "the serving provider hears of it");
    }
}
