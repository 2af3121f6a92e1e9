//! Tenders (bandi, avvisi): public calls that accredit a service or build a provider list, and
//! their questions.
//!
//! Stored states are draft, published, concluded and cancelled; "closed" is derived from the
//! clock (a published call whose submission deadline has passed), so no job has to run and
//! every read shows it. After publication the terms are frozen: an amendment records what
//! changed, and a material one asks providers who already submitted to confirm.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::access::{self, TenderFacts};
use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind, payload_of};
use crate::ids::{AmendmentId, DistrictId, DocumentId, OrganizationId, QuestionId, TenderId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::measure::Act;
use crate::{Cents, DocumentType, InterventionCode, IstatCode, RequirementCode, Unit};

string_enum!(TenderKind {
    /// Accreditation of a service (seed 000: linguistic-cultural mediation).
    Accreditation => "accreditation",
    /// A list of providers for several product lines (seed 004: home care).
    ProviderList => "provider_list",
});

string_enum!(
    /// What is stored.
    TenderState { Draft => "draft", Published => "published", Concluded => "concluded", Cancelled => "cancelled" }
);

string_enum!(
    /// What a reader sees: the stored state, with `Closed` derived from the clock.
    TenderStatus {
        Draft => "draft", Published => "published", Closed => "closed", Concluded => "concluded",
        Cancelled => "cancelled",
    }
);

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

/// A transition the lifecycle forbids. Each carries the values a message needs; the API words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum TenderError {
    /// Only a draft can be changed or published.
    NotDraft(TenderStatus),
    /// This needs a call open for submissions.
    NotOpen(TenderStatus),
    /// The call can be concluded only once its submission deadline has passed.
    NotClosed(TenderStatus),
    /// Only a draft or an open call can be cancelled.
    NotCancellable(TenderStatus),
    /// Questions closed at the clarification deadline.
    ClarificationsClosed { deadline: DateTime<Utc> },
    /// An amendment may move the deadline later, never earlier.
    DeadlineEarlier { current: DateTime<Utc>, proposed: DateTime<Utc> },
    /// Some applications still await a decision.
    ApplicationsPending(usize),
    /// A question is answered once the call is public.
    NotPublished(TenderStatus),
    /// Only a concluded call can be reopened for a new round.
    NotConcluded(TenderStatus),
    /// Only a provider list is filled in successive rounds.
    NotAList,
    /// The list's validity has ended: it takes no new round.
    ListExpired { on: NaiveDate },
    /// Terms that break a rule, per field.
    Invalid(Invalid),
}

impl TenderError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotDraft(_) => "tender_not_draft",
            Self::NotOpen(_) => "tender_not_open",
            Self::NotClosed(_) => "tender_not_closed",
            Self::NotCancellable(_) => "tender_not_cancellable",
            Self::ClarificationsClosed { .. } => "clarifications_closed",
            Self::DeadlineEarlier { .. } => "deadline_earlier",
            Self::ApplicationsPending(_) => "applications_pending",
            Self::NotPublished(_) => "tender_not_published",
            Self::NotConcluded(_) => "tender_not_concluded",
            Self::NotAList => "tender_not_a_list",
            Self::ListExpired { .. } => "list_expired",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &[
        "tender_not_draft",
        "tender_not_open",
        "tender_not_closed",
        "tender_not_cancellable",
        "clarifications_closed",
        "deadline_earlier",
        "applications_pending",
        "tender_not_published",
        "tender_not_concluded",
        "tender_not_a_list",
        "list_expired",
    ];
}

impl From<Invalid> for TenderError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// An intervention the call accredits, at its rate per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenderIntervention {
    pub code: InterventionCode,
    pub unit: Unit,
    pub rate: Cents,
}

string_enum!(RequirementCategory {
    /// No exclusion grounds, DURC, chamber of commerce, registers.
    General => "general",
    /// Per area or intervention: staff qualifications, service charter, local office.
    Specific => "specific",
});

/// How an applicant meets a requirement: by declaring it, or with a document of a given type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub code: RequirementCode,
    pub category: RequirementCategory,
    pub description: String,
    /// A document of this type must be attached; `None` means a declaration.
    pub document_type: Option<DocumentType>,
}

/// The terms of a call, as staff draft them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

use crate::text::length;

fn has_duplicates<T: Ord>(mut items: Vec<T>) -> bool {
    items.sort_unstable();
    items.windows(2).any(|w| w[0] == w[1])
}

impl TenderTerms {
    /// What any draft must satisfy: consistent dates, unique codes, valid texts.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Collector::new();
        if !(3..=300).contains(&length(&self.title)) {
            c.push("title", "3 to 300 characters");
        }
        if length(&self.description) > 20_000 {
            c.push("description", "at most 20,000 characters");
        }
        if !(2..=200).contains(&length(&self.responsible_official)) {
            c.push("responsible_official", "2 to 200 characters: the official responsible for the procedure");
        }
        if self.reference_code.as_deref().is_some_and(|r| !(1..=64).contains(&length(r))) {
            c.push("reference_code", "1 to 64 characters");
        }
        if self.clarification_deadline > self.submission_deadline {
            c.push("clarification_deadline", "must not be after the submission deadline");
        }
        if self.validity_to < self.validity_from {
            c.push("validity_to", "must not be before validity_from");
        }
        if has_duplicates(self.interventions.iter().map(|i| &i.code).collect()) {
            c.push("interventions", "each intervention once");
        }
        if has_duplicates(self.requirements.iter().map(|r| &r.code).collect()) {
            c.push("requirements", "each requirement code once");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if !(3..=2000).contains(&length(&r.description)) {
                c.push(&format!("requirements.{i}.description"), "3 to 2,000 characters");
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

    pub fn intervention(&self, code: &InterventionCode) -> Option<&TenderIntervention> {
        self.interventions.iter().find(|i| i.code == *code)
    }
}

/// One submission window of a call. A provider list is filled in successive rounds: later
/// rounds add providers to the same list, with the same validity end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub number: u32,
    pub opened_at: DateTime<Utc>,
    pub submission_deadline: DateTime<Utc>,
    pub clarification_deadline: DateTime<Utc>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// The act (determina) that concluded it and approved its admissions.
    pub act: Option<Act>,
}

/// A call: its terms, who issues it, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tender {
    pub id: TenderId,
    pub state: TenderState,
    /// Issuing authorities; the first receives the submissions and numbers them.
    pub authorities: Vec<OrganizationId>,
    pub districts: Vec<DistrictId>,
    pub terms: TenderTerms,
    pub cancel_reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Its submission windows, from publication; the terms' deadlines are the last one's.
    pub rounds: Vec<Round>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who issues a call and where: what staff give when drafting or revising a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuance {
    pub authorities: Vec<OrganizationId>,
    pub districts: Vec<DistrictId>,
    pub terms: TenderTerms,
}

impl Issuance {
    fn check(&self) -> Result<(), Invalid> {
        let mut c = Collector::new();
        if let Err(Invalid(errors)) = self.terms.check() {
            errors.into_iter().for_each(|e| c.push(&e.field, e.message));
        }
        if self.authorities.is_empty() {
            c.push("authorities", "at least one issuing authority");
        } else if has_duplicates(self.authorities.clone()) {
            c.push("authorities", "each authority once");
        }
        c.finish()
    }
}

/// What an amendment may change after publication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmendedTerms {
    pub description: Option<String>,
    pub submission_deadline: Option<DateTime<Utc>>,
    pub clarification_deadline: Option<DateTime<Utc>>,
}

/// One change of a published call, kept with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amendment {
    pub id: AmendmentId,
    pub tender_id: TenderId,
    pub reason: String,
    /// Asks every provider who already submitted to confirm.
    pub material: bool,
    /// Each changed field with its value `before` and `after`.
    pub changes: serde_json::Value,
    pub amended_at: DateTime<Utc>,
    pub amended_by: Option<UserId>,
}

impl Tender {
    /// A new draft.
    pub fn draft(id: TenderId, issuance: Issuance, now: DateTime<Utc>) -> Result<(Self, TenderEvent), TenderError> {
        issuance.check()?;
        let mut terms = issuance.terms;
        terms.title = crate::text::trim(&terms.title).to_owned();
        terms.responsible_official = crate::text::trim(&terms.responsible_official).to_owned();
        let tender = Self {
            id,
            state: TenderState::Draft,
            authorities: issuance.authorities,
            districts: issuance.districts,
            terms,
            cancel_reason: None,
            published_at: None,
            rounds: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = tender.event(TenderChange::Drafted);
        Ok((tender, event))
    }

    pub fn status(&self, now: DateTime<Utc>) -> TenderStatus {
        self.state.status(self.terms.submission_deadline, now)
    }

    pub fn lead_authority(&self) -> OrganizationId {
        self.authorities[0]
    }

    /// The current round: 1 until a provider list is reopened.
    pub fn round(&self) -> u32 {
        self.rounds.last().map_or(1, |r| r.number)
    }

    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }

    pub fn facts(&self) -> TenderFacts<'_> {
        TenderFacts { issuers: &self.authorities, published: self.is_published() }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    fn event(&self, change: TenderChange) -> TenderEvent {
        TenderEvent { tender_id: self.id, readers: access::tender_readers(self.facts()), change }
    }

    /// Replaces the terms of a draft.
    pub fn revise(&mut self, issuance: Issuance, now: DateTime<Utc>) -> Result<TenderEvent, TenderError> {
        self.require_draft(now)?;
        let (revised, _) = Self::draft(self.id, issuance, now)?;
        self.authorities = revised.authorities;
        self.districts = revised.districts;
        self.terms = revised.terms;
        self.touch(now);
        Ok(self.event(TenderChange::Revised))
    }

    fn require_draft(&self, now: DateTime<Utc>) -> Result<(), TenderError> {
        match self.status(now) {
            TenderStatus::Draft => Ok(()),
            other => Err(TenderError::NotDraft(other)),
        }
    }

    /// Publication: a complete draft with time left to apply becomes public.
    pub fn publish(&mut self, now: DateTime<Utc>) -> Result<TenderEvent, TenderError> {
        self.require_draft(now)?;
        self.terms.check_publishable(now)?;
        self.state = TenderState::Published;
        self.published_at = Some(now);
        self.rounds = vec![Round {
            number: 1,
            opened_at: now,
            submission_deadline: self.terms.submission_deadline,
            clarification_deadline: self.terms.clarification_deadline,
            concluded_at: None,
            act: None,
        }];
        self.touch(now);
        Ok(self.event(TenderChange::Published { submission_deadline: self.terms.submission_deadline }))
    }

    /// From draft or while open, with a reason.
    pub fn cancel(&mut self, reason: String, now: DateTime<Utc>) -> Result<TenderEvent, TenderError> {
        match self.status(now) {
            TenderStatus::Draft | TenderStatus::Published => {}
            other => return Err(TenderError::NotCancellable(other)),
        }
        self.state = TenderState::Cancelled;
        self.cancel_reason = Some(reason);
        self.touch(now);
        Ok(self.event(TenderChange::Cancelled))
    }

    /// While the call is open: records what changed and why. Moving the submission deadline
    /// (later only) makes an amendment material, whatever staff say.
    pub fn amend(
        &mut self,
        id: AmendmentId,
        reason: String,
        material: bool,
        changes: AmendedTerms,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Amendment, TenderEvent), TenderError> {
        match self.status(now) {
            TenderStatus::Published => {}
            other => return Err(TenderError::NotOpen(other)),
        }
        let mut terms = self.terms.clone();
        let mut changed = serde_json::Map::new();
        let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
            if old != new {
                changed.insert(field.to_owned(), serde_json::json!({"before": old, "after": new}));
            }
        };
        if let Some(d) = changes.description {
            note("description", terms.description.clone().into(), d.clone().into());
            terms.description = d;
        }
        if let Some(proposed) = changes.submission_deadline {
            if proposed < terms.submission_deadline {
                return Err(TenderError::DeadlineEarlier { current: terms.submission_deadline, proposed });
            }
            note("submission_deadline", serde_json::json!(terms.submission_deadline), serde_json::json!(proposed));
            terms.submission_deadline = proposed;
        }
        if let Some(d) = changes.clarification_deadline {
            note("clarification_deadline", serde_json::json!(terms.clarification_deadline), serde_json::json!(d));
            terms.clarification_deadline = d;
        }
        if changed.is_empty() {
            return Err(Invalid::one("changes", "the amendment changes nothing").into());
        }
        terms.check()?;
        let material = material || changed.contains_key("submission_deadline");
        let amendment = Amendment {
            id,
            tender_id: self.id,
            reason,
            material,
            changes: serde_json::Value::Object(changed),
            amended_at: now,
            amended_by: by,
        };
        self.terms = terms;
        if let Some(round) = self.rounds.last_mut() {
            round.submission_deadline = self.terms.submission_deadline;
            round.clarification_deadline = self.terms.clarification_deadline;
        }
        self.touch(now);
        let event = self.event(TenderChange::Amended {
            amendment_id: id,
            material,
            submission_deadline: self.terms.submission_deadline,
        });
        Ok((amendment, event))
    }

    /// After the deadline, once no application awaits a decision; `act` is the determina that
    /// approves the admissions of the round.
    pub fn conclude(
        &mut self,
        pending: usize,
        granted: usize,
        act: Option<Act>,
        now: DateTime<Utc>,
    ) -> Result<TenderEvent, TenderError> {
        match self.status(now) {
            TenderStatus::Closed => {}
            other => return Err(TenderError::NotClosed(other)),
        }
        if pending > 0 {
            return Err(TenderError::ApplicationsPending(pending));
        }
        if let Some(act) = &act {
            Act::check(&act.number, "act_number")?;
        }
        self.state = TenderState::Concluded;
        if let Some(round) = self.rounds.last_mut() {
            round.concluded_at = Some(now);
            round.act = act;
        }
        self.touch(now);
        Ok(self.event(TenderChange::Concluded { round: self.round(), accreditations: granted }))
    }

    /// A concluded provider list opens a new round for submissions, within its validity.
    pub fn reopen(
        &mut self,
        submission_deadline: DateTime<Utc>,
        clarification_deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<TenderEvent, TenderError> {
        match self.status(now) {
            TenderStatus::Concluded => {}
            other => return Err(TenderError::NotConcluded(other)),
        }
        if self.terms.kind != TenderKind::ProviderList {
            return Err(TenderError::NotAList);
        }
        if crate::rome::rome_date(now) > self.terms.validity_to {
            return Err(TenderError::ListExpired { on: self.terms.validity_to });
        }
        let mut c = Collector::new();
        if submission_deadline <= now {
            c.push("submission_deadline", "must be in the future");
        }
        if clarification_deadline > submission_deadline {
            c.push("clarification_deadline", "must not be after the submission deadline");
        }
        c.finish()?;
        let number = self.round() + 1;
        self.rounds.push(Round {
            number,
            opened_at: now,
            submission_deadline,
            clarification_deadline,
            concluded_at: None,
            act: None,
        });
        self.terms.submission_deadline = submission_deadline;
        self.terms.clarification_deadline = clarification_deadline;
        self.state = TenderState::Published;
        self.touch(now);
        Ok(self.event(TenderChange::Reopened { round: number, submission_deadline }))
    }

    /// Staff attach documents (the notice, annexes) to a draft or an open call.
    pub fn accepts_documents(&self, now: DateTime<Utc>) -> Result<(), TenderError> {
        match self.status(now) {
            TenderStatus::Draft | TenderStatus::Published => Ok(()),
            other => Err(TenderError::NotOpen(other)),
        }
    }

    pub fn attach(
        &self,
        document_id: DocumentId,
        document_type: DocumentType,
        now: DateTime<Utc>,
    ) -> Result<TenderEvent, TenderError> {
        self.accepts_documents(now)?;
        Ok(self.event(TenderChange::DocumentAttached { document_id, document_type }))
    }
}

/// What happened to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TenderChange {
    Drafted,
    Revised,
    Published { submission_deadline: DateTime<Utc> },
    Cancelled,
    Amended { amendment_id: AmendmentId, material: bool, submission_deadline: DateTime<Utc> },
    Concluded { round: u32, accreditations: usize },
    Reopened { round: u32, submission_deadline: DateTime<Utc> },
    DocumentAttached { document_id: DocumentId, document_type: DocumentType },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderEvent {
    pub tender_id: TenderId,
    pub readers: Readers,
    pub change: TenderChange,
}

impl DomainEvent for TenderEvent {
    fn name(&self) -> EventName {
        match self.change {
            TenderChange::Drafted => EventName::TenderDrafted,
            TenderChange::Revised => EventName::TenderRevised,
            TenderChange::Published { .. } => EventName::TenderPublished,
            TenderChange::Cancelled => EventName::TenderCancelled,
            TenderChange::Amended { .. } => EventName::TenderAmended,
            TenderChange::Concluded { .. } => EventName::TenderConcluded,
            TenderChange::Reopened { .. } => EventName::TenderReopened,
            TenderChange::DocumentAttached { .. } => EventName::TenderDocumentAttached,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Tender, id: self.tender_id.uuid() }
    }

    fn readers(&self) -> Readers {
        self.readers.clone()
    }

    fn payload(&self) -> serde_json::Value {
        payload_of(serde_json::json!({"tender_id": self.tender_id}), &self.change)
    }
}

/// A provider's question about a call and, once published, its answer. Who asked is never shown
/// to others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: QuestionId,
    pub tender_id: TenderId,
    pub asked_by: OrganizationId,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<UserId>,
    pub version: i64,
}

/// What happened to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionEvent {
    pub tender_id: TenderId,
    pub question_id: QuestionId,
    pub answered: bool,
    pub readers: Readers,
}

impl Question {
    /// Taken while the call is open and its clarification deadline has not passed.
    pub fn ask(
        id: QuestionId,
        tender: &Tender,
        asked_by: OrganizationId,
        text: String,
        now: DateTime<Utc>,
    ) -> Result<(Self, QuestionEvent), TenderError> {
        match tender.status(now) {
            TenderStatus::Published => {}
            other => return Err(TenderError::NotOpen(other)),
        }
        if now >= tender.terms.clarification_deadline {
            return Err(TenderError::ClarificationsClosed { deadline: tender.terms.clarification_deadline });
        }
        let question = Self {
            id,
            tender_id: tender.id,
            asked_by,
            question: text,
            asked_at: now,
            answer: None,
            answered_at: None,
            answered_by: None,
            version: 1,
        };
        let event = question.event(tender);
        Ok((question, event))
    }

    /// The answer is published to everyone; staff may correct it, and each version is kept
    /// in the audit trail.
    pub fn answer(
        &mut self,
        tender: &Tender,
        text: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<QuestionEvent, TenderError> {
        if !tender.is_published() {
            return Err(TenderError::NotPublished(tender.status(now)));
        }
        self.answer = Some(text);
        self.answered_at = Some(now);
        self.answered_by = by;
        self.version += 1;
        Ok(self.event(tender))
    }

    fn event(&self, tender: &Tender) -> QuestionEvent {
        QuestionEvent {
            tender_id: self.tender_id,
            question_id: self.id,
            answered: self.answer.is_some(),
            readers: access::question_readers(tender.facts(), self.asked_by, self.answer.is_some()),
        }
    }
}

impl DomainEvent for QuestionEvent {
    fn name(&self) -> EventName {
        if self.answered { EventName::QuestionAnswered } else { EventName::QuestionAsked }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Question, id: self.question_id.uuid() }
    }

    fn readers(&self) -> Readers {
        self.readers.clone()
    }

    fn payload(&self) -> serde_json::Value {
        serde_json::json!({"tender_id": self.tender_id, "question_id": self.question_id})
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rome::parse_instant;

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    pub(crate) fn code<T: TryFrom<String>>(s: &str) -> T
    where
        T::Error: std::fmt::Debug,
    {
        T::try_from(s.to_owned()).unwrap()
    }

    /// Seed 000's terms: deadline Monday 30 May 2022 at 12:00 Rome time.
    pub(crate) fn terms() -> TenderTerms {
        TenderTerms {
            kind: TenderKind::Accreditation,
            title: "Accreditamento servizio di mediazione linguistico-culturale".into(),
            description: String::new(),
            reference_code: Some("PROG-2463".into()),
            responsible_official: "dr. Graziano Pirotta".into(),
            municipalities: vec![IstatCode::parse("019036").unwrap(), IstatCode::parse("019021").unwrap()],
            interventions: vec![
                TenderIntervention {
                    code: code("mediation_health"),
                    unit: Unit::Hour,
                    rate: Cents::new(2700).unwrap(),
                },
                TenderIntervention {
                    code: code("mediation_school"),
                    unit: Unit::Hour,
                    rate: Cents::new(2500).unwrap(),
                },
            ],
            requirements: vec![
                Requirement {
                    code: code("no_exclusion_grounds"),
                    category: RequirementCategory::General,
                    description: "No exclusion grounds".into(),
                    document_type: None,
                },
                Requirement {
                    code: code("durc"),
                    category: RequirementCategory::General,
                    description: "Valid DURC".into(),
                    document_type: Some(code("durc")),
                },
            ],
            submission_deadline: at("2022-05-30T12:00:00+02:00"),
            clarification_deadline: at("2022-05-23T12:00:00+02:00"),
            validity_from: NaiveDate::from_ymd_opt(2022, 7, 1).unwrap(),
            validity_to: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        }
    }

    pub(crate) fn published(authority: OrganizationId) -> Tender {
        let issuance = Issuance { authorities: vec![authority], districts: vec![], terms: terms() };
        let (mut t, _) = Tender::draft(TenderId::new(), issuance, at("2022-05-01T09:00")).unwrap();
        t.publish(at("2022-05-02T09:00")).unwrap();
        t
    }

    #[test]
    fn closed_is_derived_from_the_clock_at_the_deadline_instant() {
        let t = published(OrganizationId::new());
        assert_eq!(t.status(at("2022-05-30T11:59:59+02:00")), TenderStatus::Published);
        assert_eq!(t.status(t.terms.submission_deadline), TenderStatus::Closed);
    }

    #[test]
    fn a_draft_is_checked_and_trimmed() {
        let mut terms = terms();
        terms.title = "  Avviso  ".into();
        let issuance = Issuance { authorities: vec![], districts: vec![], terms };
        let TenderError::Invalid(Invalid(errors)) =
            Tender::draft(TenderId::new(), issuance.clone(), at("2022-05-01T09:00")).unwrap_err()
        else {
            panic!("expected field errors")
        };
        assert_eq!(errors[0].field, "authorities");
        let a = OrganizationId::new();
        let twice = Issuance { authorities: vec![a, a], ..issuance.clone() };
        assert!(Tender::draft(TenderId::new(), twice, at("2022-05-01T09:00")).is_err());
        let once = Issuance { authorities: vec![a], ..issuance };
        let (t, event) = Tender::draft(TenderId::new(), once, at("2022-05-01T09:00")).unwrap();
        assert_eq!((t.terms.title.as_str(), t.state, t.version), ("Avviso", TenderState::Draft, 1));
        assert_eq!(event.name(), EventName::TenderDrafted);
        assert_eq!(event.readers, Readers::only([a]), "a draft is its issuers' alone");
    }

    #[test]
    fn publishing_needs_complete_terms_and_time_left() {
        let a = OrganizationId::new();
        let mut empty = terms();
        empty.interventions.clear();
        empty.municipalities.clear();
        empty.requirements.clear();
        let (mut t, _) = Tender::draft(
            TenderId::new(),
            Issuance { authorities: vec![a], districts: vec![], terms: empty },
            at("2022-05-01T09:00"),
        )
        .unwrap();
        let TenderError::Invalid(Invalid(errors)) = t.publish(at("2022-05-02T09:00")).unwrap_err() else { panic!() };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["interventions", "municipalities", "requirements"]);
        let (mut late, _) = Tender::draft(
            TenderId::new(),
            Issuance { authorities: vec![a], districts: vec![], terms: terms() },
            at("2022-05-01T09:00"),
        )
        .unwrap();
        let TenderError::Invalid(Invalid(errors)) = late.publish(at("2022-06-01T09:00")).unwrap_err() else { panic!() };
        assert_eq!(errors[0].field, "submission_deadline");
        assert_eq!(late.version, 1, "a refused transition changes nothing");
        let event = late.publish(at("2022-05-02T09:00")).unwrap();
        assert_eq!((late.state, late.version), (TenderState::Published, 2));
        assert!(event.readers.public);
        assert_eq!(late.publish(at("2022-05-02T09:00")).unwrap_err(), TenderError::NotDraft(TenderStatus::Published));
    }

    #[test]
    fn a_draft_is_revised_and_a_published_call_is_not() {
        let a = OrganizationId::new();
        let issuance = Issuance { authorities: vec![a], districts: vec![], terms: terms() };
        let (mut t, _) = Tender::draft(TenderId::new(), issuance.clone(), at("2022-05-01T09:00")).unwrap();
        let mut changed = issuance.clone();
        changed.terms.title = "Avviso rettificato".into();
        assert_eq!(t.revise(changed.clone(), at("2022-05-01T10:00")).unwrap().name(), EventName::TenderRevised);
        assert_eq!((t.terms.title.as_str(), t.version), ("Avviso rettificato", 2));
        t.publish(at("2022-05-02T09:00")).unwrap();
        assert_eq!(t.revise(changed, at("2022-05-03T09:00")).unwrap_err().code(), "tender_not_draft");
    }

    #[test]
    fn cancellation_from_draft_or_while_open_only() {
        let mut open = published(OrganizationId::new());
        assert_eq!(
            open.clone().cancel("r".into(), at("2022-05-31T09:00")).unwrap_err(),
            TenderError::NotCancellable(TenderStatus::Closed)
        );
        open.cancel("Errore materiale".into(), at("2022-05-10T09:00")).unwrap();
        assert_eq!((open.state, open.cancel_reason.as_deref()), (TenderState::Cancelled, Some("Errore materiale")));
        assert!(open.cancel("again".into(), at("2022-05-10T09:00")).is_err());
    }

    #[test]
    fn amendments_move_the_deadline_later_and_say_what_changed() {
        let mut t = published(OrganizationId::new());
        let now = at("2022-05-10T09:00");
        let earlier = AmendedTerms { submission_deadline: Some(at("2022-05-29T12:00")), ..Default::default() };
        assert!(matches!(
            t.amend(AmendmentId::new(), "r".into(), false, earlier, None, now),
            Err(TenderError::DeadlineEarlier { .. })
        ));
        let nothing = AmendedTerms { description: Some(String::new()), ..Default::default() };
        assert_eq!(
            t.amend(AmendmentId::new(), "r".into(), true, nothing, None, now).unwrap_err().code(),
            "validation_failed"
        );
        let later = AmendedTerms { submission_deadline: Some(at("2022-06-06T12:00")), ..Default::default() };
        let (amendment, event) = t.amend(AmendmentId::new(), "Proroga".into(), false, later, None, now).unwrap();
        assert!(amendment.material, "moving the deadline is material");
        assert_eq!(amendment.changes["submission_deadline"]["after"], "2022-06-06T10:00:00Z");
        assert_eq!(t.terms.submission_deadline, at("2022-06-06T12:00"));
        assert_eq!(event.name(), EventName::TenderAmended);
        let note = AmendedTerms { description: Some("Testo corretto.".into()), ..Default::default() };
        let (note, _) = t.amend(AmendmentId::new(), "Refuso".into(), false, note, None, now).unwrap();
        assert!(!note.material);
        let closed = at("2022-06-07T09:00");
        let any = AmendedTerms { description: Some("x".into()), ..Default::default() };
        assert_eq!(
            t.amend(AmendmentId::new(), "r".into(), false, any, None, closed).unwrap_err().code(),
            "tender_not_open"
        );
    }

    #[test]
    fn conclusion_after_the_deadline_once_everything_is_decided() {
        let mut t = published(OrganizationId::new());
        assert_eq!(t.conclude(0, 0, None, at("2022-05-10T09:00")).unwrap_err().code(), "tender_not_closed");
        assert_eq!(t.conclude(2, 0, None, at("2022-06-10T09:00")).unwrap_err(), TenderError::ApplicationsPending(2));
        let act = Act { number: "2022/45".into(), date: "2022-06-10".parse().unwrap() };
        let event = t.conclude(0, 3, Some(act.clone()), at("2022-06-10T09:00")).unwrap();
        assert_eq!((event.payload()["accreditations"].as_u64(), event.payload()["round"].as_u64()), (Some(3), Some(1)));
        assert_eq!(t.status(at("2022-06-10T09:00")), TenderStatus::Concluded);
        assert_eq!(t.rounds[0].act.as_ref(), Some(&act));
        assert_eq!(t.conclude(0, 0, None, at("2022-06-10T09:00")).unwrap_err().code(), "tender_not_closed");
        assert_eq!(
            t.reopen(at("2022-07-10T12:00"), at("2022-07-01T12:00"), at("2022-06-20T09:00")).unwrap_err().code(),
            "tender_not_a_list",
            "an accreditation of a service has one round"
        );
    }

    #[test]
    fn a_provider_list_reopens_in_rounds_within_its_validity() {
        let mut t = published(OrganizationId::new());
        t.terms.kind = TenderKind::ProviderList;
        let round2 = (at("2023-02-28T12:00"), at("2023-02-20T12:00"));
        assert_eq!(t.reopen(round2.0, round2.1, at("2022-05-10T09:00")).unwrap_err().code(), "tender_not_concluded");
        t.conclude(0, 5, None, at("2022-06-10T09:00")).unwrap();
        assert_eq!(
            t.reopen(at("2023-01-01T12:00"), round2.1, at("2023-01-10T09:00")).unwrap_err().code(),
            "validation_failed"
        );
        let event = t.reopen(round2.0, round2.1, at("2023-01-10T09:00")).unwrap();
        assert_eq!(
            (event.name(), t.round(), t.status(at("2023-01-10T09:00"))),
            (EventName::TenderReopened, 2, TenderStatus::Published)
        );
        assert_eq!(t.terms.submission_deadline, round2.0);
        assert_eq!(t.rounds[0].submission_deadline, at("2022-05-30T12:00:00+02:00"), "the first round is kept");
        t.conclude(0, 1, None, at("2023-03-01T09:00")).unwrap();
        assert_eq!(
            t.reopen(at("2025-08-01T12:00"), at("2025-07-20T12:00"), at("2025-07-10T09:00")).unwrap_err().code(),
            "list_expired"
        );
    }

    #[test]
    fn questions_until_the_clarification_deadline_and_answers_for_all() {
        let t = published(OrganizationId::new());
        let provider = OrganizationId::new();
        let late = Question::ask(QuestionId::new(), &t, provider, "q".into(), at("2022-05-23T12:00"));
        assert_eq!(late.unwrap_err().code(), "clarifications_closed");
        let (mut q, asked) =
            Question::ask(QuestionId::new(), &t, provider, "Si può?".into(), at("2022-05-20T12:00")).unwrap();
        assert!(!asked.readers.public && asked.readers.may_read(provider));
        let answered = q.answer(&t, "Sì.".into(), None, at("2022-05-21T12:00")).unwrap();
        assert!(answered.readers.public);
        assert_eq!((answered.name(), q.version), (EventName::QuestionAnswered, 2));
        assert!(!answered.payload().to_string().contains(&provider.to_string()), "who asked is not told");
        let mut draft = t.clone();
        draft.published_at = None;
        draft.state = TenderState::Draft;
        assert_eq!(
            q.answer(&draft, "x".into(), None, at("2022-05-21T12:00")).unwrap_err().code(),
            "tender_not_published"
        );
    }
}
