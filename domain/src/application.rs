//! Applications (domande di partecipazione): a provider's bid to be accredited for some
//! interventions in some municipalities, its submission with a protocol number, and the
//! authority's examination. Every rule of the applicant's side and of the examination is here:
//! "may this application be admitted?" is answered by reading [`Application::admit`].

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::{self, ApplicationFacts};
use crate::document::Document;
use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind, payload_of};
use crate::ids::{ApplicationId, DocumentId, IntegrationRequestId, OrganizationId, ReceiptId, TenderId, UserId};
use crate::invalid::{FieldError, Invalid};
use crate::rome::{add_days, rome_date};
use crate::tender::{Tender, TenderState, TenderStatus};
use crate::{DocumentType, InterventionCode, IstatCode, RequirementCode};

string_enum!(ApplicationStatus {
    Draft => "draft",
    Submitted => "submitted",
    Withdrawn => "withdrawn",
    /// Superseded by a later submission of the same provider to the same call.
    Replaced => "replaced",
    IntegrationRequested => "integration_requested",
    Admitted => "admitted",
    Excluded => "excluded",
});

impl ApplicationStatus {
    /// Still awaiting a decision: a call cannot be concluded while any application is.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Submitted | Self::IntegrationRequested)
    }

    /// The statuses a material amendment asks to confirm: submissions still standing.
    pub const RECONFIRM: &'static [Self] = &[Self::Submitted];
    /// The statuses of a provider's earlier application that a new submission replaces.
    pub const REPLACEABLE: &'static [Self] = &[Self::Submitted];
    /// The statuses that count as awaiting a decision.
    pub const PENDING: &'static [Self] = &[Self::Submitted, Self::IntegrationRequested];
}

string_enum!(ExclusionReason {
    Late => "late",
    MissingGeneralRequirement => "missing_general_requirement",
    MissingSpecificRequirement => "missing_specific_requirement",
    MissingDocument => "missing_document",
    /// The provider did not confirm its application by the deadline a material amendment set.
    NotConfirmed => "not_confirmed",
    Other => "other",
});

string_enum!(
    /// How an application reached the authority. Seed 000 accepts applications by PEC, by hand,
    /// by post or by courier as well as on the platform.
    Channel { Platform => "platform", Pec => "pec", Hand => "hand", Post => "post", Courier => "courier" }
);

string_enum!(ReceiptKind {
    Submission => "submission",
    /// An answer to an integration request (soccorso istruttorio).
    Integration => "integration",
});

/// A protocol number, sequential per authority and year: `2022/000017`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolNumber {
    pub year: i32,
    pub sequence: i64,
}

impl std::fmt::Display for ProtocolNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{:06}", self.year, self.sequence)
    }
}

impl std::str::FromStr for ProtocolNumber {
    type Err = crate::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (year, sequence) = s.split_once('/').ok_or(crate::UnknownValue)?;
        Ok(Self {
            year: year.parse().map_err(|_| crate::UnknownValue)?,
            sequence: sequence.parse().map_err(|_| crate::UnknownValue)?,
        })
    }
}

impl Serialize for ProtocolNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One intervention in one municipality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ScopeItem {
    pub intervention: InterventionCode,
    pub municipality: IstatCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub requirement_code: RequirementCode,
    pub accepted: bool,
    pub note: Option<String>,
}

/// What the provider offers and declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offer {
    pub scope: Vec<ScopeItem>,
    pub declarations: Vec<Declaration>,
}

impl Offer {
    /// Checks the offer against the call's terms, field by field; answers it with its scope in
    /// order, each item once.
    pub fn checked(mut self, tender: &Tender) -> Result<Self, Invalid> {
        let mut errors = Vec::new();
        if self.scope.is_empty() {
            errors.push(FieldError::new("scope", "offer at least one intervention in one municipality"));
        }
        for (i, item) in self.scope.iter().enumerate() {
            if tender.terms.intervention(&item.intervention).is_none() {
                errors.push(FieldError::new(format!("scope.{i}.intervention"), "not an intervention of this call"));
            }
            if !tender.terms.municipalities.contains(&item.municipality) {
                errors.push(FieldError::new(format!("scope.{i}.municipality"), "not a municipality of this call"));
            }
        }
        for (i, d) in self.declarations.iter().enumerate() {
            match tender.terms.requirements.iter().find(|r| r.code == d.requirement_code) {
                None => errors.push(FieldError::new(
                    format!("declarations.{i}.requirement_code"),
                    "not a requirement of this call",
                )),
                Some(r) if r.document_type.is_some() => errors.push(FieldError::new(
                    format!("declarations.{i}.requirement_code"),
                    "this requirement is met with a document, not a declaration",
                )),
                Some(_) => {}
            }
            if d.note.as_deref().is_some_and(|n| n.chars().count() > 1000) {
                errors.push(FieldError::new(format!("declarations.{i}.note"), "at most 1,000 characters"));
            }
        }
        let mut codes: Vec<&RequirementCode> = self.declarations.iter().map(|d| &d.requirement_code).collect();
        codes.sort_unstable();
        if codes.windows(2).any(|w| w[0] == w[1]) {
            errors.push(FieldError::new("declarations", "each requirement once"));
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        self.scope.sort();
        self.scope.dedup();
        Ok(self)
    }
}

/// The authority's decision on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// For an exclusion.
    pub reason: Option<ExclusionReason>,
    pub text: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntegrationRequest {
    pub id: IntegrationRequestId,
    pub missing: String,
    pub due_at: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
    pub requested_by: Option<UserId>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// When an integration is due: an instant, or a number of days on the Rome calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationDue {
    At(DateTime<Utc>),
    InDays(i64),
}

impl IntegrationDue {
    pub const MAX_DAYS: i64 = 90;

    /// The due instant: within 1 to 90 days counted on the Rome calendar (so it keeps its local
    /// hour across daylight-saving changes), and in the future.
    pub fn resolve(self, now: DateTime<Utc>) -> Result<DateTime<Utc>, Invalid> {
        let due = match self {
            Self::At(t) => t,
            Self::InDays(days) if (1..=Self::MAX_DAYS).contains(&days) => add_days(now, days),
            Self::InDays(_) => return Err(Invalid::one("due_in_days", "1 to 90 days")),
        };
        if due <= now {
            return Err(Invalid::one("due_at", "must be in the future"));
        }
        Ok(due)
    }
}

/// An application received outside the platform: how and when it arrived, and which
/// authority's staff recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recording {
    pub channel: Channel,
    /// The PEC delivery receipt, or the protocol stamp on paper.
    pub received_at: DateTime<Utc>,
    pub recorded_by: OrganizationId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: ApplicationId,
    pub tender_id: TenderId,
    pub provider_id: OrganizationId,
    /// Set for an application received outside the platform.
    pub recording: Option<Recording>,
    pub status: ApplicationStatus,
    /// A material amendment of the call came after this submission: the provider must confirm
    /// by the (new) submission deadline.
    pub needs_confirmation: bool,
    pub offered: Vec<ScopeItem>,
    pub admitted: Vec<ScopeItem>,
    pub declarations: Vec<Declaration>,
    pub protocol_number: Option<ProtocolNumber>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub snapshot_sha256: Option<String>,
    pub outcome: Option<Outcome>,
    pub integration_requests: Vec<IntegrationRequest>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A requirement a submission does not meet yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub requirement: RequirementCode,
    /// The type of document to attach; `None` when a declaration is due.
    pub document_type: Option<DocumentType>,
    pub description: String,
}

/// A transition the lifecycle forbids, with the values a message needs; the API words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum ApplicationError {
    WrongStatus {
        status: ApplicationStatus,
        allowed: &'static [ApplicationStatus],
    },
    /// Submissions are accepted strictly before the deadline.
    Late {
        deadline: DateTime<Utc>,
    },
    /// Examination comes after the submission deadline.
    NotYetClosed {
        status: TenderStatus,
        deadline: DateTime<Utc>,
    },
    TenderNotOpen(TenderStatus),
    IntegrationLate {
        due: DateTime<Utc>,
    },
    NothingToConfirm,
    /// A confirmation after a material amendment is due by the (new) submission deadline.
    ConfirmationLate {
        deadline: DateTime<Utc>,
    },
    /// Not confirmed after a material amendment: it cannot be admitted nor integrated, only
    /// excluded (reason `not_confirmed`).
    NotConfirmed {
        deadline: DateTime<Utc>,
    },
    /// What a submission lacks.
    Incomplete(Vec<Missing>),
    Invalid(Invalid),
}

impl ApplicationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongStatus { .. } => "application_wrong_status",
            Self::Late { .. } => "submission_deadline_passed",
            Self::NotYetClosed { .. } => "tender_not_closed",
            Self::TenderNotOpen(_) => "tender_not_open",
            Self::IntegrationLate { .. } => "integration_deadline_passed",
            Self::NothingToConfirm => "nothing_to_confirm",
            Self::ConfirmationLate { .. } => "confirmation_deadline_passed",
            Self::NotConfirmed { .. } => "confirmation_pending",
            Self::Incomplete(_) | Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &[
        "application_wrong_status",
        "submission_deadline_passed",
        "tender_not_closed",
        "tender_not_open",
        "integration_deadline_passed",
        "nothing_to_confirm",
        "confirmation_deadline_passed",
        "confirmation_pending",
    ];
}

impl From<Invalid> for ApplicationError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

use ApplicationStatus as S;

fn expect(status: ApplicationStatus, allowed: &'static [ApplicationStatus]) -> Result<(), ApplicationError> {
    if allowed.contains(&status) { Ok(()) } else { Err(ApplicationError::WrongStatus { status, allowed }) }
}

/// A receipt the receiving authority must number: every rule of a submission (or of an
/// integration answer) has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reception {
    pub kind: ReceiptKind,
    /// The authority whose protocol register numbers it: the first issuing authority.
    pub authority: OrganizationId,
    pub received_at: DateTime<Utc>,
}

impl Reception {
    /// Protocol registers restart each calendar year, in Rome.
    pub fn protocol_year(&self) -> i32 {
        rome_date(self.received_at).year()
    }
}

/// What was received, frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub application_id: ApplicationId,
    pub kind: ReceiptKind,
    pub protocol_number: ProtocolNumber,
    pub authority_id: OrganizationId,
    pub received_at: DateTime<Utc>,
    /// SHA-256 of `snapshot`, hex.
    pub sha256: String,
    /// The offer, the declarations and the documents' hashes, as JSON.
    #[serde(skip)]
    pub snapshot: String,
}

impl Application {
    fn new(
        id: ApplicationId,
        tender: &Tender,
        provider: OrganizationId,
        offer: Offer,
        recording: Option<Recording>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApplicationError> {
        let offer = offer.checked(tender)?;
        Ok(Self {
            id,
            tender_id: tender.id,
            provider_id: provider,
            recording,
            status: S::Draft,
            needs_confirmation: false,
            offered: offer.scope,
            admitted: Vec::new(),
            declarations: offer.declarations,
            protocol_number: None,
            submitted_at: None,
            snapshot_sha256: None,
            outcome: None,
            integration_requests: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// A provider opens a draft while the call is open.
    pub fn open(
        id: ApplicationId,
        tender: &Tender,
        provider: OrganizationId,
        offer: Offer,
        now: DateTime<Utc>,
    ) -> Result<(Self, ApplicationEvent), ApplicationError> {
        match tender.status(now) {
            TenderStatus::Published => {}
            other => return Err(ApplicationError::TenderNotOpen(other)),
        }
        let app = Self::new(id, tender, provider, offer, None, now)?;
        let event = app.event(tender, ApplicationChange::Opened { channel: Channel::Platform });
        Ok((app, event))
    }

    /// Staff record an application that reached them outside the platform: by PEC, by hand, by
    /// post or by courier. It is judged on the instant it was received, like any other: it
    /// must have arrived before the deadline, and may be recorded later.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        id: ApplicationId,
        tender: &Tender,
        provider: OrganizationId,
        offer: Offer,
        channel: Channel,
        received_at: DateTime<Utc>,
        recorded_by: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<(Self, ApplicationEvent), ApplicationError> {
        if channel == Channel::Platform {
            return Err(
                Invalid::one("channel", "an application recorded by staff came by pec, hand, post or courier").into()
            );
        }
        if tender.state != TenderState::Published {
            return Err(ApplicationError::TenderNotOpen(tender.status(now)));
        }
        if received_at > now {
            return Err(Invalid::one("received_at", "must not be in the future").into());
        }
        if received_at >= tender.terms.submission_deadline {
            return Err(ApplicationError::Late { deadline: tender.terms.submission_deadline });
        }
        let recording = Recording { channel, received_at, recorded_by };
        let app = Self::new(id, tender, provider, offer, Some(recording), now)?;
        let event = app.event(tender, ApplicationChange::Recorded { channel, received_at });
        Ok((app, event))
    }

    /// How the application reached the authority.
    pub fn channel(&self) -> Channel {
        self.recording.map_or(Channel::Platform, |r| r.channel)
    }

    /// What the access policy needs, given the issuing authorities of the call.
    pub fn facts<'a>(&self, issuers: &'a [OrganizationId]) -> ApplicationFacts<'a> {
        ApplicationFacts {
            provider: self.provider_id,
            received: self.status != S::Draft,
            recorded: self.recording.is_some(),
            issuers,
        }
    }

    fn event(&self, tender: &Tender, change: ApplicationChange) -> ApplicationEvent {
        ApplicationEvent {
            application_id: self.id,
            tender_id: self.tender_id,
            provider_id: self.provider_id,
            readers: access::application_readers(self.facts(&tender.authorities)),
            change,
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    /// The instant a submission is judged on: when it was received outside the platform, or now.
    fn receipt_instant(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.recording.map_or(now, |r| r.received_at)
    }

    /// The applicant edits the offer and the declarations of a draft.
    pub fn revise(
        &mut self,
        tender: &Tender,
        offer: Offer,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        expect(self.status, &[S::Draft])?;
        let offer = offer.checked(tender)?;
        self.offered = offer.scope;
        self.declarations = offer.declarations;
        self.touch(now);
        Ok(self.event(tender, ApplicationChange::Revised))
    }

    /// Documents are added to a draft that can still be submitted, or to answer an open
    /// integration request before it is due.
    pub fn attach(
        &self,
        tender: &Tender,
        document_id: DocumentId,
        document_type: DocumentType,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        self.accepts_documents(tender, now)?;
        Ok(self.event(tender, ApplicationChange::DocumentAttached { document_id, document_type }))
    }

    /// Whether documents can be attached now (see [`Application::attach`]).
    pub fn accepts_documents(&self, tender: &Tender, now: DateTime<Utc>) -> Result<(), ApplicationError> {
        match self.status {
            S::IntegrationRequested => self.open_integration_due(now).map(drop),
            S::Draft => self.check_in_time(tender, now),
            _ => expect(self.status, &[S::Draft, S::IntegrationRequested]),
        }
    }

    fn check_in_time(&self, tender: &Tender, now: DateTime<Utc>) -> Result<(), ApplicationError> {
        let deadline = tender.terms.submission_deadline;
        if self.receipt_instant(now) >= deadline {
            return Err(ApplicationError::Late { deadline });
        }
        // A call cancelled or concluded takes nothing more, whatever the clock says.
        if tender.state != TenderState::Published {
            return Err(ApplicationError::TenderNotOpen(tender.status(now)));
        }
        Ok(())
    }

    fn open_integration_due(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApplicationError> {
        expect(self.status, &[S::IntegrationRequested])?;
        let due = self.integration_requests.iter().rev().find(|r| r.answered_at.is_none()).map_or(now, |r| r.due_at);
        if now > due {
            return Err(ApplicationError::IntegrationLate { due });
        }
        Ok(due)
    }

    /// What a submission still lacks: declarations not made, documents not attached.
    pub fn missing(&self, tender: &Tender, documents: &[Document]) -> Vec<Missing> {
        tender
            .terms
            .requirements
            .iter()
            .filter(|r| match &r.document_type {
                Some(kind) => !documents.iter().any(|d| d.document_type == *kind),
                None => !self.declarations.iter().any(|d| d.requirement_code == r.code && d.accepted),
            })
            .map(|r| Missing {
                requirement: r.code.clone(),
                document_type: r.document_type.clone(),
                description: r.description.clone(),
            })
            .collect()
    }

    fn check_complete(&self, tender: &Tender, documents: &[Document]) -> Result<(), ApplicationError> {
        let missing = self.missing(tender, documents);
        if missing.is_empty() { Ok(()) } else { Err(ApplicationError::Incomplete(missing)) }
    }

    /// Submission: a complete draft, received strictly before the deadline (by the server's
    /// clock, or the recorded instant of receipt). Answers what the receiving authority must
    /// number; [`Application::receive`] then records it.
    pub fn submit(
        &self,
        tender: &Tender,
        documents: &[Document],
        now: DateTime<Utc>,
    ) -> Result<Reception, ApplicationError> {
        expect(self.status, &[S::Draft])?;
        self.check_in_time(tender, now)?;
        self.check_complete(tender, documents)?;
        Ok(Reception {
            kind: ReceiptKind::Submission,
            authority: tender.lead_authority(),
            received_at: self.receipt_instant(now),
        })
    }

    /// The answer to an open integration request, by its due date, with what was missing.
    pub fn answer_integration(
        &self,
        tender: &Tender,
        documents: &[Document],
        now: DateTime<Utc>,
    ) -> Result<Reception, ApplicationError> {
        self.open_integration_due(now)?;
        self.check_complete(tender, documents)?;
        Ok(Reception { kind: ReceiptKind::Integration, authority: tender.lead_authority(), received_at: now })
    }

    /// Of a provider's other applications to the same call, those a submission replaces: the
    /// ones still standing. They stay on record.
    pub fn replaced_by_submission(&self, others: &[(ApplicationId, ApplicationStatus)]) -> Vec<ApplicationId> {
        others
            .iter()
            .filter(|(id, status)| *id != self.id && S::REPLACEABLE.contains(status))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Records a numbered reception: freezes what was received, and moves the application on.
    #[allow(clippy::too_many_arguments)]
    pub fn receive(
        &mut self,
        tender: &Tender,
        reception: Reception,
        receipt_id: ReceiptId,
        protocol_number: ProtocolNumber,
        documents: &[Document],
        replaced: &[ApplicationId],
        now: DateTime<Utc>,
    ) -> (Receipt, Vec<ApplicationEvent>) {
        let snapshot = self.snapshot(&reception, protocol_number, documents);
        let sha256 = Sha256::digest(snapshot.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
        let receipt = Receipt {
            id: receipt_id,
            application_id: self.id,
            kind: reception.kind,
            protocol_number,
            authority_id: reception.authority,
            received_at: reception.received_at,
            sha256: sha256.clone(),
            snapshot,
        };
        self.protocol_number = Some(protocol_number);
        self.submitted_at = Some(reception.received_at);
        self.snapshot_sha256 = Some(sha256);
        self.needs_confirmation = false;
        self.status = S::Submitted;
        self.touch(now);
        let mut events = Vec::with_capacity(1 + replaced.len());
        match reception.kind {
            ReceiptKind::Submission => {
                events.push(self.event(
                    tender,
                    ApplicationChange::Submitted { receipt_id, protocol_number, received_at: reception.received_at },
                ));
                let replaced_by = self.id;
                events.extend(replaced.iter().map(|&application_id| ApplicationEvent {
                    application_id,
                    change: ApplicationChange::Replaced { replaced_by },
                    ..self.event(tender, ApplicationChange::Revised)
                }));
            }
            ReceiptKind::Integration => {
                if let Some(open) = self.integration_requests.iter_mut().rev().find(|r| r.answered_at.is_none()) {
                    open.answered_at = Some(now);
                }
                events.push(self.event(tender, ApplicationChange::IntegrationAnswered { receipt_id, protocol_number }));
            }
        }
        (receipt, events)
    }

    /// Freezes what was received: the offer, the declarations and the documents' hashes.
    fn snapshot(&self, reception: &Reception, protocol: ProtocolNumber, documents: &[Document]) -> String {
        serde_json::json!({
            "application_id": self.id,
            "tender_id": self.tender_id,
            "provider_id": self.provider_id,
            "channel": self.channel(),
            "kind": reception.kind,
            "protocol_number": protocol,
            "received_at": reception.received_at,
            "offered": self.offered,
            "declarations": self.declarations,
            "documents": documents.iter().map(|d| serde_json::json!({
                "id": d.id, "document_type": d.document_type, "filename": d.filename,
                "size_bytes": d.size_bytes, "sha256": d.sha256,
            })).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// The applicant withdraws a draft or a submission, before the deadline.
    pub fn withdraw(&mut self, tender: &Tender, now: DateTime<Utc>) -> Result<ApplicationEvent, ApplicationError> {
        expect(self.status, &[S::Draft, S::Submitted])?;
        let deadline = tender.terms.submission_deadline;
        if now >= deadline {
            return Err(ApplicationError::Late { deadline });
        }
        self.status = S::Withdrawn;
        self.touch(now);
        Ok(self.event(tender, ApplicationChange::Withdrawn))
    }

    /// After a material amendment, the provider confirms its submission still stands, by the
    /// (new) submission deadline.
    pub fn confirm(&mut self, tender: &Tender, now: DateTime<Utc>) -> Result<ApplicationEvent, ApplicationError> {
        if self.status != S::Submitted || !self.needs_confirmation {
            return Err(ApplicationError::NothingToConfirm);
        }
        let deadline = tender.terms.submission_deadline;
        if now >= deadline {
            return Err(ApplicationError::ConfirmationLate { deadline });
        }
        self.needs_confirmation = false;
        self.touch(now);
        Ok(self.event(tender, ApplicationChange::Confirmed))
    }

    /// Examination comes after the deadline, on applications received.
    fn examinable(
        &self,
        tender: &Tender,
        allowed: &'static [ApplicationStatus],
        now: DateTime<Utc>,
    ) -> Result<(), ApplicationError> {
        let status = tender.status(now);
        if status != TenderStatus::Closed {
            return Err(ApplicationError::NotYetClosed { status, deadline: tender.terms.submission_deadline });
        }
        expect(self.status, allowed)
    }

    /// A standing submission can be admitted or integrated only if its provider confirmed it after
    /// any material amendment: unconfirmed, it can only be excluded.
    fn examinable_as_confirmed(&self, tender: &Tender, now: DateTime<Utc>) -> Result<(), ApplicationError> {
        self.examinable(tender, &[S::Submitted], now)?;
        if self.needs_confirmation {
            return Err(ApplicationError::NotConfirmed { deadline: tender.terms.submission_deadline });
        }
        Ok(())
    }

    fn decided(
        &mut self,
        reason: Option<ExclusionReason>,
        text: Option<String>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) {
        self.outcome = Some(Outcome { reason, text, decided_at: now, decided_by: by });
        self.touch(now);
    }

    /// Staff admit a submission, per intervention and municipality, possibly less than offered
    /// (everything offered when `scope` is `None`). An application its provider did not confirm
    /// after a material amendment cannot be admitted.
    pub fn admit(
        &mut self,
        tender: &Tender,
        scope: Option<Vec<ScopeItem>>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        self.examinable_as_confirmed(tender, now)?;
        let mut admitted = scope.unwrap_or_else(|| self.offered.clone());
        if admitted.is_empty() {
            return Err(Invalid::one("scope", "admit at least one offered item, or exclude the application").into());
        }
        let stray: Vec<FieldError> = admitted
            .iter()
            .enumerate()
            .filter(|(_, s)| !self.offered.contains(s))
            .map(|(i, _)| FieldError::new(format!("scope.{i}"), "not offered by this application"))
            .collect();
        if !stray.is_empty() {
            return Err(Invalid(stray).into());
        }
        admitted.sort();
        admitted.dedup();
        let items = admitted.len();
        self.admitted = admitted;
        self.status = S::Admitted;
        self.decided(None, None, by, now);
        Ok(self.event(tender, ApplicationChange::Admitted { items }))
    }

    /// Staff exclude a submission with a reason code and a text.
    pub fn exclude(
        &mut self,
        tender: &Tender,
        reason: ExclusionReason,
        text: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        self.examinable(tender, &[S::Submitted, S::IntegrationRequested], now)?;
        self.status = S::Excluded;
        self.decided(Some(reason), Some(text), by, now);
        Ok(self.event(tender, ApplicationChange::Excluded { reason }))
    }

    /// Staff ask the applicant to complete what is missing by a due date (soccorso istruttorio).
    pub fn request_integration(
        &mut self,
        tender: &Tender,
        id: IntegrationRequestId,
        missing: String,
        due: IntegrationDue,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ApplicationEvent, ApplicationError> {
        self.examinable_as_confirmed(tender, now)?;
        let due_at = due.resolve(now)?;
        self.integration_requests.push(IntegrationRequest {
            id,
            missing,
            due_at,
            requested_at: now,
            requested_by: by,
            answered_at: None,
        });
        self.status = S::IntegrationRequested;
        self.touch(now);
        Ok(self.event(tender, ApplicationChange::IntegrationRequested { integration_request_id: id, due_at }))
    }

    /// A material amendment asks a standing submission to be confirmed.
    pub fn must_reconfirm(status: ApplicationStatus) -> bool {
        S::RECONFIRM.contains(&status)
    }
}

/// What happened to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ApplicationChange {
    Opened { channel: Channel },
    Recorded { channel: Channel, received_at: DateTime<Utc> },
    Revised,
    DocumentAttached { document_id: DocumentId, document_type: DocumentType },
    Submitted { receipt_id: ReceiptId, protocol_number: ProtocolNumber, received_at: DateTime<Utc> },
    Replaced { replaced_by: ApplicationId },
    Withdrawn,
    Confirmed,
    Admitted { items: usize },
    Excluded { reason: ExclusionReason },
    IntegrationRequested { integration_request_id: IntegrationRequestId, due_at: DateTime<Utc> },
    IntegrationAnswered { receipt_id: ReceiptId, protocol_number: ProtocolNumber },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    pub application_id: ApplicationId,
    pub tender_id: TenderId,
    pub provider_id: OrganizationId,
    pub readers: Readers,
    pub change: ApplicationChange,
}

impl DomainEvent for ApplicationEvent {
    fn name(&self) -> EventName {
        use ApplicationChange as C;
        match self.change {
            C::Opened { .. } => EventName::ApplicationOpened,
            C::Recorded { .. } => EventName::ApplicationRecorded,
            C::Revised => EventName::ApplicationRevised,
            C::DocumentAttached { .. } => EventName::ApplicationDocumentAttached,
            C::Submitted { .. } => EventName::ApplicationSubmitted,
            C::Replaced { .. } => EventName::ApplicationReplaced,
            C::Withdrawn => EventName::ApplicationWithdrawn,
            C::Confirmed => EventName::ApplicationConfirmed,
            C::Admitted { .. } => EventName::ApplicationAdmitted,
            C::Excluded { .. } => EventName::ApplicationExcluded,
            C::IntegrationRequested { .. } => EventName::ApplicationIntegrationRequested,
            C::IntegrationAnswered { .. } => EventName::ApplicationIntegrationAnswered,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Application, id: self.application_id.uuid() }
    }

    fn readers(&self) -> Readers {
        self.readers.clone()
    }

    fn payload(&self) -> serde_json::Value {
        payload_of(
            serde_json::json!({
                "application_id": self.application_id,
                "tender_id": self.tender_id,
                "provider_id": self.provider_id,
            }),
            &self.change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentOwner;
    use crate::tender::AmendedTerms;
    use crate::tender::tests::{at, code, published};

    fn offer(items: &[(&str, &str)], declared: &[&str]) -> Offer {
        Offer {
            scope: items
                .iter()
                .map(|(i, m)| ScopeItem { intervention: code(i), municipality: IstatCode::parse(m).unwrap() })
                .collect(),
            declarations: declared
                .iter()
                .map(|c| Declaration { requirement_code: code(c), accepted: true, note: None })
                .collect(),
        }
    }

    fn durc(app: &Application) -> Document {
        Document {
            id: DocumentId::new(),
            owner: DocumentOwner::Application(app.id),
            document_type: code("durc"),
            filename: "durc.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            sha256: "0".repeat(64),
            uploaded_at: at("2022-05-03T09:00"),
            uploaded_by: None,
        }
    }

    fn draft(t: &Tender) -> Application {
        let offer = offer(&[("mediation_health", "019036"), ("mediation_school", "019036")], &["no_exclusion_grounds"]);
        Application::open(ApplicationId::new(), t, OrganizationId::new(), offer, at("2022-05-03T09:00")).unwrap().0
    }

    fn submitted(t: &Tender) -> Application {
        let mut app = draft(t);
        let docs = [durc(&app)];
        let reception = app.submit(t, &docs, at("2022-05-04T09:00")).unwrap();
        app.receive(
            t,
            reception,
            ReceiptId::new(),
            ProtocolNumber { year: 2022, sequence: 1 },
            &docs,
            &[],
            at("2022-05-04T09:00"),
        );
        app
    }

    #[test]
    fn an_offer_stays_within_the_call() {
        let t = published(OrganizationId::new());
        let stray = offer(&[("meals_delivery", "019036"), ("mediation_health", "001001")], &["durc", "durc"]);
        let Invalid(errors) = stray.checked(&t).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "scope.0.intervention",
                "scope.1.municipality",
                "declarations.0.requirement_code",
                "declarations.1.requirement_code",
                "declarations"
            ]
        );
        assert!(offer(&[], &[]).checked(&t).is_err());
        let twice = offer(
            &[("mediation_school", "019036"), ("mediation_health", "019036"), ("mediation_school", "019036")],
            &[],
        );
        assert_eq!(twice.checked(&t).unwrap().scope.len(), 2, "each item once, in order");
    }

    #[test]
    fn applications_open_only_while_the_call_is_open() {
        let t = published(OrganizationId::new());
        let late = Application::open(
            ApplicationId::new(),
            &t,
            OrganizationId::new(),
            offer(&[("mediation_health", "019036")], &[]),
            at("2022-05-30T12:00"),
        );
        assert_eq!(late.unwrap_err(), ApplicationError::TenderNotOpen(TenderStatus::Closed));
        let (app, event) = Application::open(
            ApplicationId::new(),
            &t,
            OrganizationId::new(),
            offer(&[("mediation_health", "019036")], &[]),
            at("2022-05-03T09:00"),
        )
        .unwrap();
        assert_eq!((app.status, app.version), (S::Draft, 1));
        assert_eq!(event.readers, Readers::only([app.provider_id]), "a draft is the provider's own");
    }

    #[test]
    fn a_submission_one_second_late_is_refused_with_the_deadline() {
        let t = published(OrganizationId::new());
        let app = draft(&t);
        let docs = [durc(&app)];
        assert!(app.submit(&t, &docs, at("2022-05-30T11:59:59+02:00")).is_ok());
        assert_eq!(
            app.submit(&t, &docs, at("2022-05-30T12:00:00+02:00")).unwrap_err(),
            ApplicationError::Late { deadline: t.terms.submission_deadline }
        );
        assert!(app.submit(&t, &docs, at("2022-05-30T12:00:01+02:00")).is_err());
    }

    #[test]
    fn a_submission_names_everything_missing() {
        let t = published(OrganizationId::new());
        let mut app = draft(&t);
        app.declarations.clear();
        let Err(ApplicationError::Incomplete(missing)) = app.submit(&t, &[], at("2022-05-04T09:00")) else { panic!() };
        let codes: Vec<&str> = missing.iter().map(|m| m.requirement.as_str()).collect();
        assert_eq!(codes, ["no_exclusion_grounds", "durc"]);
        assert_eq!(missing[1].document_type.as_ref().map(DocumentType::as_str), Some("durc"));
    }

    #[test]
    fn a_numbered_submission_freezes_what_was_received_and_replaces_the_earlier_one() {
        let authority = OrganizationId::new();
        let t = published(authority);
        let mut app = draft(&t);
        let docs = [durc(&app)];
        let now = at("2022-05-04T09:00");
        let reception = app.submit(&t, &docs, now).unwrap();
        assert_eq!((reception.authority, reception.protocol_year()), (authority, 2022));
        let earlier = ApplicationId::new();
        let others = [(earlier, S::Submitted), (ApplicationId::new(), S::Withdrawn), (app.id, S::Draft)];
        let replaced = app.replaced_by_submission(&others);
        assert_eq!(replaced, [earlier]);
        let number = ProtocolNumber { year: 2022, sequence: 17 };
        let (receipt, events) = app.receive(&t, reception, ReceiptId::new(), number, &docs, &replaced, now);
        assert_eq!(receipt.protocol_number.to_string(), "2022/000017");
        assert_eq!(receipt.sha256.len(), 64);
        assert_eq!(app.snapshot_sha256.as_deref(), Some(receipt.sha256.as_str()));
        assert!(receipt.snapshot.contains("mediation_health") && receipt.snapshot.contains(&docs[0].sha256));
        assert_eq!((app.status, app.version), (S::Submitted, 2));
        let names: Vec<EventName> = events.iter().map(DomainEvent::name).collect();
        assert_eq!(names, [EventName::ApplicationSubmitted, EventName::ApplicationReplaced]);
        assert_eq!(events[1].application_id, earlier);
        assert!(events[0].readers.may_read(authority), "a submission is the authority's to read");
        assert_eq!(app.submit(&t, &docs, now).unwrap_err().code(), "application_wrong_status");
    }

    #[test]
    fn withdrawal_until_the_deadline() {
        let t = published(OrganizationId::new());
        let mut app = submitted(&t);
        assert_eq!(app.clone().withdraw(&t, at("2022-05-30T12:00")).unwrap_err().code(), "submission_deadline_passed");
        app.withdraw(&t, at("2022-05-29T12:00")).unwrap();
        assert_eq!(app.status, S::Withdrawn);
        assert_eq!(app.withdraw(&t, at("2022-05-29T12:00")).unwrap_err().code(), "application_wrong_status");
    }

    #[test]
    fn examination_waits_for_the_deadline_and_follows_the_status() {
        let t = published(OrganizationId::new());
        let mut app = submitted(&t);
        assert_eq!(app.clone().admit(&t, None, None, at("2022-05-10T09:00")).unwrap_err().code(), "tender_not_closed");
        let after = at("2022-06-06T10:00");
        let stray = vec![ScopeItem {
            intervention: code("mediation_health"),
            municipality: IstatCode::parse("019021").unwrap(),
        }];
        assert_eq!(app.clone().admit(&t, Some(stray), None, after).unwrap_err().code(), "validation_failed");
        assert_eq!(app.clone().admit(&t, Some(vec![]), None, after).unwrap_err().code(), "validation_failed");
        let part = vec![app.offered[0].clone()];
        let event = app.admit(&t, Some(part.clone()), None, after).unwrap();
        assert_eq!((app.status, &app.admitted), (S::Admitted, &part));
        assert_eq!(event.payload()["items"], 1);
        assert_eq!(app.admit(&t, None, None, after).unwrap_err().code(), "application_wrong_status");
        assert_eq!(
            app.exclude(&t, ExclusionReason::Other, "x".into(), None, after).unwrap_err().code(),
            "application_wrong_status"
        );
    }

    #[test]
    fn integration_requests_are_answered_by_their_due_instant() {
        let t = published(OrganizationId::new());
        let mut app = submitted(&t);
        let now = at("2022-06-06T10:00");
        let past = IntegrationDue::At(at("2022-06-01T10:00"));
        assert_eq!(
            app.clone()
                .request_integration(&t, IntegrationRequestId::new(), "x".into(), past, None, now)
                .unwrap_err()
                .code(),
            "validation_failed"
        );
        assert!(IntegrationDue::InDays(91).resolve(now).is_err());
        app.request_integration(
            &t,
            IntegrationRequestId::new(),
            "Carta dei servizi".into(),
            IntegrationDue::InDays(10),
            None,
            now,
        )
        .unwrap();
        let due = app.integration_requests[0].due_at;
        assert_eq!(crate::rome::in_rome(due).to_rfc3339(), "2022-06-16T10:00:00+02:00");
        assert_eq!(app.clone().admit(&t, None, None, now).unwrap_err().code(), "application_wrong_status");
        let docs = [durc(&app)];
        assert!(app.attach(&t, DocumentId::new(), code("durc"), due).is_ok());
        let late = due + chrono::Duration::seconds(1);
        assert_eq!(app.answer_integration(&t, &docs, late).unwrap_err().code(), "integration_deadline_passed");
        assert_eq!(
            app.attach(&t, DocumentId::new(), code("durc"), late).unwrap_err().code(),
            "integration_deadline_passed"
        );
        let reception = app.answer_integration(&t, &docs, due).unwrap();
        assert_eq!(reception.kind, ReceiptKind::Integration);
        let (_, events) =
            app.receive(&t, reception, ReceiptId::new(), ProtocolNumber { year: 2022, sequence: 2 }, &docs, &[], due);
        assert_eq!(events[0].name(), EventName::ApplicationIntegrationAnswered);
        assert_eq!((app.status, app.integration_requests[0].answered_at), (S::Submitted, Some(due)));
        assert!(app.exclude(&t, ExclusionReason::MissingDocument, "x".into(), None, due).is_ok());
    }

    #[test]
    fn after_a_material_amendment_a_confirmation_is_due_by_the_new_deadline() {
        let mut t = published(OrganizationId::new());
        let mut app = submitted(&t);
        assert_eq!(app.clone().confirm(&t, at("2022-05-20T09:00")).unwrap_err(), ApplicationError::NothingToConfirm);
        let later = AmendedTerms { submission_deadline: Some(at("2022-06-06T12:00")), ..Default::default() };
        let (amendment, _) = t
            .amend(crate::ids::AmendmentId::new(), "Proroga".into(), false, later, None, at("2022-05-20T09:00"))
            .unwrap();
        assert!(amendment.material && Application::must_reconfirm(app.status));
        app.needs_confirmation = true;
        // Late: the confirmation is refused, and the unconfirmed application can only be excluded.
        let after = at("2022-06-07T09:00");
        assert_eq!(
            app.clone().confirm(&t, after).unwrap_err(),
            ApplicationError::ConfirmationLate { deadline: t.terms.submission_deadline }
        );
        assert_eq!(app.clone().admit(&t, None, None, after).unwrap_err().code(), "confirmation_pending");
        let due = IntegrationDue::InDays(5);
        assert_eq!(
            app.clone()
                .request_integration(&t, IntegrationRequestId::new(), "x".into(), due, None, after)
                .unwrap_err()
                .code(),
            "confirmation_pending"
        );
        let mut unconfirmed = app.clone();
        unconfirmed.exclude(&t, ExclusionReason::NotConfirmed, "Non confermata".into(), None, after).unwrap();
        assert_eq!(unconfirmed.status, S::Excluded);
        // In time: confirmed, then admitted.
        app.confirm(&t, at("2022-06-05T09:00")).unwrap();
        assert!(!app.needs_confirmation);
        assert!(app.admit(&t, None, None, after).is_ok());
    }

    #[test]
    fn staff_record_an_application_received_outside_the_platform_judged_on_its_arrival() {
        let authority = OrganizationId::new();
        let t = published(authority);
        let provider = OrganizationId::new();
        let pec = offer(&[("mediation_health", "019036")], &["no_exclusion_grounds"]);
        let arrived = at("2022-05-30T11:59:00+02:00");
        let recorded_at = at("2022-05-30T15:00:00+02:00");
        let late = Application::record(
            ApplicationId::new(),
            &t,
            provider,
            pec.clone(),
            Channel::Pec,
            at("2022-05-30T12:00:01+02:00"),
            authority,
            recorded_at,
        );
        assert_eq!(late.unwrap_err().code(), "submission_deadline_passed");
        let future = Application::record(
            ApplicationId::new(),
            &t,
            provider,
            pec.clone(),
            Channel::Post,
            at("2022-05-31T09:00"),
            authority,
            recorded_at,
        );
        assert_eq!(future.unwrap_err().code(), "validation_failed");
        let (mut app, event) =
            Application::record(ApplicationId::new(), &t, provider, pec, Channel::Pec, arrived, authority, recorded_at)
                .unwrap();
        assert_eq!(event.readers, Readers::only([authority]), "the provider sees it once registered");
        let docs = [durc(&app)];
        assert!(
            app.attach(&t, DocumentId::new(), code("durc"), recorded_at).is_ok(),
            "scans are attached after the deadline"
        );
        let reception = app.submit(&t, &docs, recorded_at).unwrap();
        assert_eq!(reception.received_at, arrived, "judged and stamped on its arrival");
        let (receipt, _) = app.receive(
            &t,
            reception,
            ReceiptId::new(),
            ProtocolNumber { year: 2022, sequence: 9 },
            &docs,
            &[],
            recorded_at,
        );
        assert_eq!(receipt.received_at, arrived);
        assert!(receipt.snapshot.contains("\"channel\":\"pec\""));
        let platform = Application::record(
            ApplicationId::new(),
            &t,
            provider,
            offer(&[("mediation_health", "019036")], &[]),
            Channel::Platform,
            arrived,
            authority,
            recorded_at,
        );
        assert!(platform.is_err());
    }
}
