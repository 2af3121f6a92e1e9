//! Linguistic-cultural mediation requests (seed 000): a service of an authority or a
//! municipality asks for a mediator in a language, in one of four contexts, for a slot; only
//! providers with an active patto for mediation in that context and municipality on that day
//! are offered it. A non-urgent request is offered by staff to one provider at a time; an urgent
//! one to every eligible provider at once, and the first to confirm gets it. Then it is
//! delivered, or cancelled by the requester (late, under 24 hours before the slot: still
//! billable), or the person does not come (billable at a minimum).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{BeneficiaryId, DeliveryReportId, MediationRequestId, MediatorId, OrganizationId, PattoId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::text::{length, trim};
use crate::{InterventionCode, IstatCode, Name};

string_enum!(MediationContext {
    Social => "social",
    SocioHealth => "socio_health",
    Health => "health",
    School => "school",
});

impl MediationContext {
    /// The catalogue's intervention for mediation in this context.
    pub fn intervention(self) -> InterventionCode {
        format!("mediation_{}", self.as_str()).try_into().expect("catalogue codes")
    }
}

string_enum!(MediationMode {
    InPerson => "in_person",
    Phone => "phone",
    Video => "video",
    WrittenTranslation => "written_translation",
});

string_enum!(MediationStatus {
    /// Waiting for a provider to confirm (offered, or not yet).
    Requested => "requested",
    Confirmed => "confirmed",
    Delivered => "delivered",
    /// Billed in a validated delivery report.
    Reported => "reported",
    Cancelled => "cancelled",
    /// The person did not come: billable at the minimum.
    NoShow => "no_show",
});

/// A cancellation under this long before the slot is still billable.
pub const LATE_CANCELLATION: Duration = Duration::hours(24);
/// What a no-show bills, at most the slot's length: the contracts' minimum intervention.
pub const NO_SHOW_MINUTES: u32 = 60;

/// An ISO 639 language code (`ar`, `fr`, `tir`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Language(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an ISO 639 language code: 2 or 3 lowercase letters, such as ar or tir")]
pub struct LanguageError;

impl Language {
    pub fn parse(input: &str) -> Result<Self, LanguageError> {
        let code = input.trim();
        if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(LanguageError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mediator on a provider's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mediator {
    pub id: MediatorId,
    pub provider_id: OrganizationId,
    pub name: Name,
    pub languages: Vec<Language>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Mediator {
    pub fn register(
        provider_id: OrganizationId,
        name: Name,
        mut languages: Vec<Language>,
        now: DateTime<Utc>,
    ) -> Result<Self, Invalid> {
        languages.sort();
        languages.dedup();
        if languages.is_empty() || languages.len() > 20 {
            return Err(Invalid::one("languages", "1 to 20 languages"));
        }
        Ok(Self { id: MediatorId::new(), provider_id, name, languages, active: true, created_at: now })
    }

    pub fn speaks(&self, language: &Language) -> bool {
        self.languages.contains(language)
    }

    /// Takes the mediator off the list: no new confirmation may name them.
    pub fn deactivate(&mut self) -> MediatorEvent {
        self.active = false;
        MediatorEvent { mediator_id: self.id, provider_id: self.provider_id, active: false }
    }

    pub fn registered(&self) -> MediatorEvent {
        MediatorEvent { mediator_id: self.id, provider_id: self.provider_id, active: true }
    }
}

/// A mediator added to or taken off a provider's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediatorEvent {
    pub mediator_id: MediatorId,
    pub provider_id: OrganizationId,
    pub active: bool,
}

impl DomainEvent for MediatorEvent {
    fn name(&self) -> EventName {
        if self.active { EventName::MediatorRegistered } else { EventName::MediatorDeactivated }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Mediator, id: self.mediator_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.provider_id])
    }

    fn payload(&self) -> serde_json::Value {
        serde_json::json!({"mediator_id": self.mediator_id, "provider_id": self.provider_id})
    }
}

/// What the requesting service states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ask {
    /// The requesting service (a ward, a school, a social service) and how to reach it.
    pub service: String,
    pub contact: String,
    /// The operator who will be present with the mediator.
    pub operator: String,
    pub reason: String,
    pub language: Language,
    /// ISO 3166-1 alpha-2, when known.
    pub nationality: Option<String>,
    pub context: MediationContext,
    pub mode: MediationMode,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    /// Where, for a mediation in person.
    pub place: Option<String>,
    pub urgent: bool,
    /// Where the service is (ISTAT code): who may serve it follows from it.
    pub municipality: IstatCode,
    /// The person, by the minimum needed: initials, or their record if one exists.
    pub initials: Option<String>,
    pub beneficiary_id: Option<BeneficiaryId>,
}

impl Ask {
    fn check(&self, now: DateTime<Utc>) -> Result<(), Invalid> {
        let mut c = Collector::new();
        for (field, text, max) in [
            ("service", &self.service, 200),
            ("contact", &self.contact, 200),
            ("operator", &self.operator, 200),
            ("reason", &self.reason, 2000),
        ] {
            if !(2..=max).contains(&length(text)) {
                c.push(field, format!("2 to {max} characters"));
            }
        }
        if self.nationality.as_deref().is_some_and(|n| n.len() != 2 || !n.bytes().all(|b| b.is_ascii_uppercase())) {
            c.push("nationality", "an ISO 3166-1 alpha-2 code such as MA");
        }
        if self.starts_at <= now {
            c.push("starts_at", "in the future");
        }
        if !(15..=720).contains(&self.minutes) {
            c.push("minutes", "15 to 720 minutes");
        }
        match (&self.mode, &self.place) {
            (MediationMode::InPerson, None) => c.push("place", "where the mediator goes, for a mediation in person"),
            (_, Some(p)) if !(2..=300).contains(&length(p)) => c.push("place", "2 to 300 characters"),
            _ => {}
        }
        if self
            .initials
            .as_deref()
            .is_some_and(|i| !(1..=4).contains(&i.len()) || !i.bytes().all(|b| b.is_ascii_uppercase()))
        {
            c.push("initials", "1 to 4 capital letters");
        }
        c.finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub provider_id: OrganizationId,
    pub patto_id: PattoId,
    pub offered_at: DateTime<Utc>,
    pub declined_at: Option<DateTime<Utc>>,
    pub decline_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub provider_id: OrganizationId,
    pub patto_id: PattoId,
    pub mediator_id: MediatorId,
    pub mediator_name: String,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

/// How it ended: delivered, cancelled, or the person did not come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Delivered { started_at: DateTime<Utc>, minutes: u32, pages: Option<u32>, note: String },
    Cancelled { reason: String, late: bool },
    NoShow { note: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ending {
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediationRequest {
    pub id: MediationRequestId,
    /// The authority responsible (the requester's, or the one serving its municipality).
    pub authority_id: OrganizationId,
    pub requested_by: OrganizationId,
    pub ask: Ask,
    pub offers: Vec<Offer>,
    pub confirmation: Option<Confirmation>,
    pub ending: Option<Ending>,
    /// The validated delivery report that billed it.
    pub reported_in: Option<DeliveryReportId>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum MediationError {
    /// Delivered, cancelled, or the person did not come: nothing more happens to it.
    Ended,
    /// Another provider confirmed first.
    AlreadyConfirmed,
    NotConfirmed,
    /// A non-urgent request is offered to one provider at a time.
    OfferPending,
    AlreadyOffered,
    NoPendingOffer,
    ProviderNotEligible,
    SlotNotStarted,
    Invalid(Invalid),
}

impl MediationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Ended => "mediation_ended",
            Self::AlreadyConfirmed => "already_confirmed",
            Self::NotConfirmed => "mediation_not_confirmed",
            Self::OfferPending => "offer_pending",
            Self::AlreadyOffered => "already_offered",
            Self::NoPendingOffer => "no_pending_offer",
            Self::ProviderNotEligible => "provider_not_eligible",
            Self::SlotNotStarted => "slot_not_started",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &[
        "mediation_ended",
        "already_confirmed",
        "mediation_not_confirmed",
        "offer_pending",
        "already_offered",
        "no_pending_offer",
        "provider_not_eligible",
        "slot_not_started",
    ];
}

impl From<Invalid> for MediationError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// What a mediation bills once it ended: by whom, under which patto, how many minutes, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billable {
    pub provider_id: OrganizationId,
    pub patto_id: PattoId,
    pub minutes: u32,
    pub on: DateTime<Utc>,
}

impl MediationRequest {
    /// A service asks; an urgent request is offered at once to every provider that may serve
    /// it (`eligible`: each with its patto).
    pub fn request(
        authority_id: OrganizationId,
        requested_by: OrganizationId,
        mut ask: Ask,
        eligible: &[(OrganizationId, PattoId)],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, MediationEvent), MediationError> {
        ask.check(now)?;
        for text in [&mut ask.service, &mut ask.contact, &mut ask.operator, &mut ask.reason] {
            *text = trim(text).to_owned();
        }
        let offers = if ask.urgent {
            eligible
                .iter()
                .map(|(provider_id, patto_id)| Offer {
                    provider_id: *provider_id,
                    patto_id: *patto_id,
                    offered_at: now,
                    declined_at: None,
                    decline_note: None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let request = Self {
            id: MediationRequestId::new(),
            authority_id,
            requested_by,
            ask,
            offers,
            confirmation: None,
            ending: None,
            reported_in: None,
            created_at: now,
            created_by: by,
            version: 1,
            updated_at: now,
        };
        let event = request.event(MediationChange::Requested);
        Ok((request, event))
    }

    pub fn status(&self) -> MediationStatus {
        match (&self.ending, &self.confirmation) {
            (Some(_), _) if self.reported_in.is_some() => MediationStatus::Reported,
            (Some(ending), _) => match ending.outcome {
                Outcome::Delivered { .. } => MediationStatus::Delivered,
                Outcome::Cancelled { .. } => MediationStatus::Cancelled,
                Outcome::NoShow { .. } => MediationStatus::NoShow,
            },
            (None, Some(_)) => MediationStatus::Confirmed,
            (None, None) => MediationStatus::Requested,
        }
    }

    /// The providers whose answer is awaited.
    pub fn offered(&self) -> Vec<OrganizationId> {
        if self.confirmation.is_some() || self.ending.is_some() {
            return Vec::new();
        }
        self.offers.iter().filter(|o| o.declined_at.is_none()).map(|o| o.provider_id).collect()
    }

    /// The providers it was offered to that did not decline: they read it (what an offer shows),
    /// and one that answers late learns that another confirmed first.
    pub fn offered_to(&self) -> Vec<OrganizationId> {
        let mut providers: Vec<OrganizationId> =
            self.offers.iter().filter(|o| o.declined_at.is_none()).map(|o| o.provider_id).collect();
        providers.sort_unstable();
        providers.dedup();
        providers
    }

    /// Whether an urgent request waits with nobody confirmed yet: staff see these first.
    pub fn unanswered_urgent(&self) -> bool {
        self.ask.urgent && self.status() == MediationStatus::Requested
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    fn open(&self) -> Result<(), MediationError> {
        if self.ending.is_some() { Err(MediationError::Ended) } else { Ok(()) }
    }

    /// Staff offer a request to one provider (`eligible`: the patto under which it may serve).
    pub fn offer(
        &mut self,
        provider: OrganizationId,
        eligible: Option<PattoId>,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        self.open()?;
        if self.confirmation.is_some() {
            return Err(MediationError::AlreadyConfirmed);
        }
        let pending = self.offered();
        if pending.contains(&provider) {
            return Err(MediationError::AlreadyOffered);
        }
        if !self.ask.urgent && !pending.is_empty() {
            return Err(MediationError::OfferPending);
        }
        let patto_id = eligible.ok_or(MediationError::ProviderNotEligible)?;
        self.offers.push(Offer {
            provider_id: provider,
            patto_id,
            offered_at: now,
            declined_at: None,
            decline_note: None,
        });
        self.touch(now);
        Ok(self.event(MediationChange::Offered { provider_id: provider }))
    }

    fn pending_offer(&mut self, provider: OrganizationId) -> Result<&mut Offer, MediationError> {
        self.open()?;
        if self.confirmation.is_some() {
            return Err(MediationError::AlreadyConfirmed);
        }
        self.offers
            .iter_mut()
            .rev()
            .find(|o| o.provider_id == provider && o.declined_at.is_none())
            .ok_or(MediationError::NoPendingOffer)
    }

    pub fn decline(
        &mut self,
        provider: OrganizationId,
        note: String,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        if length(&note) > 2000 {
            return Err(Invalid::one("note", "at most 2,000 characters").into());
        }
        let offer = self.pending_offer(provider)?;
        offer.declined_at = Some(now);
        offer.decline_note = Some(trim(&note).to_owned());
        self.touch(now);
        Ok(self.event(MediationChange::Declined { provider_id: provider }))
    }

    /// An offered provider confirms, naming a mediator of its list who speaks the language;
    /// the first to confirm gets it.
    pub fn confirm(
        &mut self,
        provider: OrganizationId,
        mediator: &Mediator,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        let patto_id = self.pending_offer(provider)?.patto_id;
        if mediator.provider_id != provider || !mediator.active {
            return Err(Invalid::one("mediator_id", "not an active mediator of your list").into());
        }
        if !mediator.speaks(&self.ask.language) {
            return Err(Invalid::one(
                "mediator_id",
                format!("this mediator does not speak {}", self.ask.language.as_str()),
            )
            .into());
        }
        self.confirmation = Some(Confirmation {
            provider_id: provider,
            patto_id,
            mediator_id: mediator.id,
            mediator_name: mediator.name.as_str().to_owned(),
            starts_at: self.ask.starts_at,
            minutes: self.ask.minutes,
            at: now,
            by,
        });
        self.touch(now);
        Ok(self.event(MediationChange::Confirmed { provider_id: provider }))
    }

    fn confirmed_to(&self, provider: OrganizationId) -> Result<&Confirmation, MediationError> {
        self.open()?;
        match &self.confirmation {
            Some(c) if c.provider_id == provider => Ok(c),
            _ => Err(MediationError::NotConfirmed),
        }
    }

    /// The provider records the delivery: when it started, how long, the pages of a translation.
    #[allow(clippy::too_many_arguments)]
    pub fn deliver(
        &mut self,
        provider: OrganizationId,
        started_at: DateTime<Utc>,
        minutes: u32,
        pages: Option<u32>,
        note: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        self.confirmed_to(provider)?;
        let mut c = Collector::new();
        if started_at > now {
            c.push("started_at", "not in the future");
        }
        if !(1..=720).contains(&minutes) {
            c.push("minutes", "1 to 720 minutes");
        }
        match (self.ask.mode, pages) {
            (MediationMode::WrittenTranslation, None) => c.push("pages", "the pages translated"),
            (MediationMode::WrittenTranslation, Some(p)) if !(1..=1000).contains(&p) => {
                c.push("pages", "1 to 1,000 pages")
            }
            (MediationMode::WrittenTranslation, Some(_)) | (_, None) => {}
            (_, Some(_)) => c.push("pages", "only for a written translation"),
        }
        if length(&note) > 2000 {
            c.push("note", "at most 2,000 characters");
        }
        c.finish()?;
        let outcome = Outcome::Delivered { started_at, minutes, pages, note: trim(&note).to_owned() };
        self.ending = Some(Ending { outcome, at: now, by });
        self.touch(now);
        Ok(self.event(MediationChange::Delivered))
    }

    /// The person did not come: recorded by the provider once the slot has begun.
    pub fn no_show(
        &mut self,
        provider: OrganizationId,
        note: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        let starts_at = self.confirmed_to(provider)?.starts_at;
        if now < starts_at {
            return Err(MediationError::SlotNotStarted);
        }
        if length(&note) > 2000 {
            return Err(Invalid::one("note", "at most 2,000 characters").into());
        }
        self.ending = Some(Ending { outcome: Outcome::NoShow { note: trim(&note).to_owned() }, at: now, by });
        self.touch(now);
        Ok(self.event(MediationChange::NoShow))
    }

    /// The requester cancels; under 24 hours before a confirmed slot it is still billable.
    pub fn cancel(
        &mut self,
        reason: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<MediationEvent, MediationError> {
        self.open()?;
        if !(3..=2000).contains(&length(&reason)) {
            return Err(Invalid::one("reason", "3 to 2,000 characters").into());
        }
        let late = self.confirmation.as_ref().is_some_and(|c| c.starts_at - now < LATE_CANCELLATION);
        self.ending =
            Some(Ending { outcome: Outcome::Cancelled { reason: trim(&reason).to_owned(), late }, at: now, by });
        self.touch(now);
        Ok(self.event(MediationChange::Cancelled { late }))
    }

    /// What it bills: the minutes delivered, the slot of a late cancellation, the minimum of a
    /// no-show; nothing otherwise.
    pub fn billable(&self) -> Option<Billable> {
        let c = self.confirmation.as_ref()?;
        let ending = self.ending.as_ref()?;
        let (minutes, on) = match &ending.outcome {
            Outcome::Delivered { started_at, minutes, .. } => (*minutes, *started_at),
            Outcome::Cancelled { late: true, .. } => (c.minutes, c.starts_at),
            Outcome::Cancelled { late: false, .. } => return None,
            Outcome::NoShow { .. } => (c.minutes.min(NO_SHOW_MINUTES), c.starts_at),
        };
        Some(Billable { provider_id: c.provider_id, patto_id: c.patto_id, minutes, on })
    }

    /// Marks it billed by a validated report.
    pub fn report(&mut self, report: DeliveryReportId, now: DateTime<Utc>) -> MediationEvent {
        self.reported_in = Some(report);
        self.touch(now);
        self.event(MediationChange::Reported { report_id: report })
    }

    pub fn event(&self, change: MediationChange) -> MediationEvent {
        let mut providers: Vec<OrganizationId> = self.offers.iter().map(|o| o.provider_id).collect();
        providers.sort_unstable();
        providers.dedup();
        MediationEvent {
            request_id: self.id,
            authority_id: self.authority_id,
            requested_by: self.requested_by,
            providers,
            change,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MediationChange {
    Requested,
    Offered { provider_id: OrganizationId },
    Declined { provider_id: OrganizationId },
    Confirmed { provider_id: OrganizationId },
    Delivered,
    NoShow,
    Cancelled { late: bool },
    Reported { report_id: DeliveryReportId },
}

/// A change to a mediation request: ids and codes, never the person or the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediationEvent {
    pub request_id: MediationRequestId,
    pub authority_id: OrganizationId,
    pub requested_by: OrganizationId,
    pub providers: Vec<OrganizationId>,
    pub change: MediationChange,
}

impl DomainEvent for MediationEvent {
    fn name(&self) -> EventName {
        match self.change {
            MediationChange::Requested => EventName::MediationRequested,
            MediationChange::Offered { .. } => EventName::MediationOffered,
            MediationChange::Declined { .. } => EventName::MediationDeclined,
            MediationChange::Confirmed { .. } => EventName::MediationConfirmed,
            MediationChange::Delivered => EventName::MediationDelivered,
            MediationChange::NoShow => EventName::MediationNoShow,
            MediationChange::Cancelled { .. } => EventName::MediationCancelled,
            MediationChange::Reported { .. } => EventName::MediationReported,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::MediationRequest, id: self.request_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.authority_id, self.requested_by].into_iter().chain(self.providers.iter().copied()))
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({
                "mediation_request_id": self.request_id,
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
    use crate::rome::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    fn ask(urgent: bool) -> Ask {
        Ask {
            service: "Scuola primaria Trento e Trieste".into(),
            contact: "segreteria@scuola.example.it".into(),
            operator: "Maestra Rossi".into(),
            reason: "Colloquio con i genitori".into(),
            language: Language::parse("ar").unwrap(),
            nationality: Some("MA".into()),
            context: MediationContext::School,
            mode: MediationMode::InPerson,
            starts_at: at("2024-05-20T16:00"),
            minutes: 90,
            place: Some("Via Trento 1, Cremona".into()),
            urgent,
            municipality: IstatCode::parse("019036").unwrap(),
            initials: Some("AB".into()),
            beneficiary_id: None,
        }
    }

    fn mediator(provider: OrganizationId, languages: &[&str]) -> Mediator {
        let languages = languages.iter().map(|l| Language::parse(l).unwrap()).collect();
        Mediator::register(provider, Name::parse("Samira El Amrani").unwrap(), languages, at("2024-01-01T09:00"))
            .unwrap()
    }

    #[test]
    fn an_urgent_request_goes_to_every_eligible_provider_and_the_first_to_confirm_gets_it() {
        let (one, two) = (OrganizationId::new(), OrganizationId::new());
        let eligible = [(one, PattoId::new()), (two, PattoId::new())];
        let now = at("2024-05-20T09:00");
        let (mut r, _) =
            MediationRequest::request(OrganizationId::new(), OrganizationId::new(), ask(true), &eligible, None, now)
                .unwrap();
        assert_eq!(r.offered(), [one, two]);
        assert!(r.unanswered_urgent());
        let french = mediator(two, &["fr"]);
        assert_eq!(r.confirm(two, &french, None, now).unwrap_err().code(), "validation_failed");
        r.confirm(one, &mediator(one, &["ar", "fr"]), None, now).unwrap();
        assert_eq!(r.confirm(two, &mediator(two, &["ar"]), None, now).unwrap_err(), MediationError::AlreadyConfirmed);
        assert_eq!(r.status(), MediationStatus::Confirmed);
        assert_eq!(r.no_show(one, String::new(), None, now).unwrap_err(), MediationError::SlotNotStarted);
        assert_eq!(r.deliver(two, now, 60, None, String::new(), None, now).unwrap_err(), MediationError::NotConfirmed);
        r.deliver(one, at("2024-05-20T16:05"), 85, None, String::new(), None, at("2024-05-20T18:00")).unwrap();
        assert_eq!(r.billable().unwrap().minutes, 85);
        assert_eq!(r.cancel("Troppo tardi".into(), None, at("2024-05-21T09:00")).unwrap_err(), MediationError::Ended);
    }

    #[test]
    fn a_late_cancellation_bills_the_slot_a_no_show_the_minimum_an_early_one_nothing() {
        let one = OrganizationId::new();
        let now = at("2024-05-10T09:00");
        let make = || {
            let (mut r, _) =
                MediationRequest::request(OrganizationId::new(), OrganizationId::new(), ask(false), &[], None, now)
                    .unwrap();
            assert_eq!(r.offer(one, None, now).unwrap_err(), MediationError::ProviderNotEligible);
            r.offer(one, Some(PattoId::new()), now).unwrap();
            assert_eq!(
                r.offer(OrganizationId::new(), Some(PattoId::new()), now).unwrap_err(),
                MediationError::OfferPending
            );
            r.confirm(one, &mediator(one, &["ar"]), None, now).unwrap();
            r
        };
        let mut early = make();
        early.cancel("Riunione rinviata".into(), None, at("2024-05-19T15:59")).unwrap();
        assert_eq!(early.billable(), None, "more than 24 hours before");
        let mut late = make();
        late.cancel("Riunione annullata".into(), None, at("2024-05-19T16:01")).unwrap();
        assert_eq!(late.billable().unwrap().minutes, 90);
        let mut absent = make();
        absent.no_show(one, "Nessuno si è presentato".into(), None, at("2024-05-20T16:30")).unwrap();
        assert_eq!((absent.status(), absent.billable().unwrap().minutes), (MediationStatus::NoShow, NO_SHOW_MINUTES));
    }
}
