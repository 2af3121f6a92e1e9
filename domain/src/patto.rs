//! Patti di accreditamento: the agreement an authority signs with an accredited provider, on top
//! of its accreditations. Drafted by staff (scope within the provider's active accreditations
//! under the call, the call's rates, a validity within the accreditations'), signed by both
//! sides in either order, active from its start date to its end date (by the clock), then
//! suspended, revoked or expired. An amendment (a rate change from a date, a scope reduction)
//! keeps the previous terms and needs both signatures again before it applies.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::accreditation::{Accreditation, AccreditationStatus};
use crate::application::ScopeItem;
use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{DocumentId, MeasureId, OrganizationId, PattoId, TenderId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::measure::{self, Act, Decision, Measure, MeasureError, MeasureKind, Standing, View};
use crate::rome::{end_of_day, rome_date};
use crate::tender::Tender;
use crate::{Cents, InterventionCode, Unit};

string_enum!(PattoStatus {
    /// Awaiting one or both signatures.
    Draft => "draft",
    /// Signed by both, before its start date.
    Signed => "signed",
    Active => "active",
    Suspended => "suspended",
    Revoked => "revoked",
    Expired => "expired",
});

string_enum!(Side { Provider => "provider", Authority => "authority" });

string_enum!(VersionKind {
    Original => "original",
    RateChange => "rate_change",
    ScopeReduction => "scope_reduction",
});

/// The rate the authority pays per unit of an intervention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub intervention: InterventionCode,
    pub unit: Unit,
    pub rate: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub side: Side,
    pub by: Option<UserId>,
    pub at: DateTime<Utc>,
    /// The signed document (`.p7m` or PDF), when one was attached.
    pub document_id: Option<DocumentId>,
}

/// One version of the terms: the original, or an amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub number: u32,
    pub kind: VersionKind,
    /// The day these terms apply from.
    pub effective_from: NaiveDate,
    pub scope: Vec<ScopeItem>,
    pub rates: Vec<Rate>,
    pub rationale: Option<String>,
    pub proposed_at: DateTime<Utc>,
    pub proposed_by: Option<UserId>,
    pub signatures: Vec<Signature>,
}

impl Terms {
    /// When both sides had signed, as known at `known_at`.
    pub fn signed_at(&self, known_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = |side: Side| self.signatures.iter().find(|s| s.side == side && s.at <= known_at).map(|s| s.at);
        Some(at(Side::Provider)?.max(at(Side::Authority)?))
    }

    pub fn rate(&self, intervention: &InterventionCode) -> Option<&Rate> {
        self.rates.iter().find(|r| r.intervention == *intervention)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patto {
    pub id: PattoId,
    /// The authority's number for it.
    pub number: String,
    pub tender_id: TenderId,
    pub provider_id: OrganizationId,
    /// The authority that signs it.
    pub authority_id: OrganizationId,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The obligations the provider takes on.
    pub obligations: String,
    /// Every version of the terms, the original first.
    pub versions: Vec<Terms>,
    pub measures: Vec<Measure>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What staff propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub number: String,
    pub scope: Vec<ScopeItem>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub obligations: String,
}

/// What an amendment changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Rates(Vec<(InterventionCode, Cents)>),
    ReduceScope(Vec<ScopeItem>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum PattoError {
    Revoked {
        since: DateTime<Utc>,
    },
    Expired {
        on: NaiveDate,
    },
    /// Every version is signed: there is nothing to sign.
    NothingToSign,
    AlreadySigned(Side),
    /// An amendment waits for its signatures: one at a time.
    AmendmentPending {
        version: u32,
    },
    /// A patto is amended once it is signed.
    NotSigned,
    NotSuspended,
    Invalid(Invalid),
}

impl PattoError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Revoked { .. } => "patto_revoked",
            Self::Expired { .. } => "patto_expired",
            Self::NothingToSign => "nothing_to_sign",
            Self::AlreadySigned(_) => "already_signed",
            Self::AmendmentPending { .. } => "amendment_pending",
            Self::NotSigned => "patto_not_signed",
            Self::NotSuspended => "patto_not_suspended",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &[
        "patto_revoked",
        "patto_expired",
        "nothing_to_sign",
        "already_signed",
        "amendment_pending",
        "patto_not_signed",
        "patto_not_suspended",
    ];
}

impl From<Invalid> for PattoError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

impl From<MeasureError> for PattoError {
    fn from(e: MeasureError) -> Self {
        match e {
            MeasureError::Revoked { since } => Self::Revoked { since },
            MeasureError::NotSuspended => Self::NotSuspended,
            MeasureError::Invalid(e) => Self::Invalid(e),
        }
    }
}

use crate::text::length;

impl Patto {
    /// Staff of an issuing authority draft a patto for a provider from its accreditations under
    /// the call (`accredited`: each with its status now).
    #[allow(clippy::too_many_arguments)]
    pub fn draft(
        id: PattoId,
        tender: &Tender,
        provider_id: OrganizationId,
        authority_id: OrganizationId,
        draft: Draft,
        accredited: &[(Accreditation, AccreditationStatus)],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, PattoEvent), PattoError> {
        let mut c = Collector::new();
        if !(1..=64).contains(&length(&draft.number)) {
            c.push("number", "1 to 64 characters: the authority's number for the patto");
        }
        if length(&draft.obligations) > 20_000 {
            c.push("obligations", "at most 20,000 characters");
        }
        if draft.scope.is_empty() {
            c.push("scope", "a patto covers at least one intervention in one municipality");
        }
        let mut covering = Vec::new();
        for (i, item) in draft.scope.iter().enumerate() {
            match accredited.iter().find(|(a, _)| a.provider_id == provider_id && a.item() == *item) {
                Some((a, AccreditationStatus::Active)) => covering.push(a),
                _ => c.push(&format!("scope.{i}"), "not an active accreditation of this provider under this call"),
            }
        }
        if draft.valid_to < draft.valid_from {
            c.push("valid_to", "must not be before valid_from");
        }
        if covering.iter().any(|a| draft.valid_from < a.valid_from || draft.valid_to > a.valid_to) {
            c.push("valid_to", "the patto's validity must be within its accreditations'");
        }
        c.finish()?;
        let mut scope = draft.scope;
        scope.sort();
        scope.dedup();
        let mut rates: Vec<Rate> = Vec::new();
        for item in &scope {
            if rates.iter().all(|r| r.intervention != item.intervention)
                && let Some(terms) = tender.terms.intervention(&item.intervention)
            {
                rates.push(Rate { intervention: terms.code.clone(), unit: terms.unit, rate: terms.rate });
            }
        }
        let patto = Self {
            id,
            number: crate::text::trim(&draft.number).to_owned(),
            tender_id: tender.id,
            provider_id,
            authority_id,
            valid_from: draft.valid_from,
            valid_to: draft.valid_to,
            obligations: draft.obligations,
            versions: vec![Terms {
                number: 1,
                kind: VersionKind::Original,
                effective_from: draft.valid_from,
                scope,
                rates,
                rationale: None,
                proposed_at: now,
                proposed_by: by,
                signatures: Vec::new(),
            }],
            measures: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = patto.event(PattoChange::Drafted);
        Ok((patto, event))
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    fn event(&self, change: PattoChange) -> PattoEvent {
        PattoEvent {
            patto_id: self.id,
            tender_id: self.tender_id,
            provider_id: self.provider_id,
            authority_id: self.authority_id,
            change,
        }
    }

    /// Refuses changes to a revoked or expired patto.
    fn check_open(&self, now: DateTime<Utc>) -> Result<(), PattoError> {
        if let Standing::Revoked { since } = measure::standing(&self.measures, View::at(now)) {
            return Err(PattoError::Revoked { since });
        }
        if rome_date(now) > self.valid_to {
            return Err(PattoError::Expired { on: self.valid_to });
        }
        Ok(())
    }

    /// The version waiting for signatures, if any.
    pub fn pending(&self) -> Option<&Terms> {
        self.versions.last().filter(|v| v.signed_at(DateTime::<Utc>::MAX_UTC).is_none())
    }

    /// One side signs the version that waits for signatures (the original, or an amendment).
    pub fn sign(
        &mut self,
        side: Side,
        by: Option<UserId>,
        document_id: Option<DocumentId>,
        now: DateTime<Utc>,
    ) -> Result<PattoEvent, PattoError> {
        self.check_open(now)?;
        let pending = self.pending().ok_or(PattoError::NothingToSign)?;
        if pending.signatures.iter().any(|s| s.side == side) {
            return Err(PattoError::AlreadySigned(side));
        }
        let version = self.versions.last_mut().expect("a patto has its original terms");
        version.signatures.push(Signature { side, by, at: now, document_id });
        let (number, complete) = (version.number, version.signed_at(now).is_some());
        self.touch(now);
        Ok(self.event(if complete {
            PattoChange::Signed { version: number }
        } else {
            PattoChange::SignatureAdded { version: number, side }
        }))
    }

    /// Staff propose an amendment from a day on; it applies once both sides sign it.
    pub fn amend(
        &mut self,
        change: Change,
        effective_from: NaiveDate,
        rationale: String,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<PattoEvent, PattoError> {
        self.check_open(now)?;
        if let Some(pending) = self.pending() {
            return Err(if pending.number == 1 {
                PattoError::NotSigned
            } else {
                PattoError::AmendmentPending { version: pending.number }
            });
        }
        let current = self.versions.last().expect("a patto has its original terms");
        let mut c = Collector::new();
        if !(3..=2000).contains(&length(&rationale)) {
            c.push("rationale", "3 to 2,000 characters: why the patto changes");
        }
        // Amendments apply in the order they are made: none reaches before the last one's day.
        let earliest = rome_date(now).max(self.valid_from).max(current.effective_from);
        if effective_from < earliest || effective_from > self.valid_to {
            c.push("effective_from", "from today, the patto's start and the last amendment's day, to the patto's end");
        }
        let (kind, scope, rates) = match change {
            Change::Rates(changes) => {
                let mut rates = current.rates.clone();
                for (i, (intervention, rate)) in changes.iter().enumerate() {
                    match rates.iter_mut().find(|r| r.intervention == *intervention) {
                        Some(r) => r.rate = *rate,
                        None => c.push(&format!("rates.{i}.intervention"), "not an intervention of this patto"),
                    }
                }
                if changes.is_empty() {
                    c.push("rates", "change at least one rate");
                }
                (VersionKind::RateChange, current.scope.clone(), rates)
            }
            Change::ReduceScope(remove) => {
                for (i, item) in remove.iter().enumerate() {
                    if !current.scope.contains(item) {
                        c.push(&format!("remove.{i}"), "not in this patto's scope");
                    }
                }
                let scope: Vec<ScopeItem> = current.scope.iter().filter(|s| !remove.contains(s)).cloned().collect();
                if remove.is_empty() || scope.is_empty() {
                    c.push("remove", "remove some of the scope, not none nor all: revoke the patto instead");
                }
                let rates = current
                    .rates
                    .iter()
                    .filter(|r| scope.iter().any(|s| s.intervention == r.intervention))
                    .cloned()
                    .collect();
                (VersionKind::ScopeReduction, scope, rates)
            }
        };
        c.finish()?;
        let number = current.number + 1;
        self.versions.push(Terms {
            number,
            kind,
            effective_from,
            scope,
            rates,
            rationale: Some(rationale),
            proposed_at: now,
            proposed_by: by,
            signatures: Vec::new(),
        });
        self.touch(now);
        Ok(self.event(PattoChange::AmendmentProposed { version: number, kind, effective_from }))
    }

    /// Staff suspend, reinstate or revoke it, with a reason and the act.
    pub fn decide(
        &mut self,
        decision: Decision,
        reason: String,
        act: Option<Act>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<PattoEvent, PattoError> {
        self.check_open(now)?;
        let measure = measure::decide(&self.measures, decision, reason, act, by, now)?;
        let change = match measure.kind {
            MeasureKind::Suspension => PattoChange::Suspended { measure_id: measure.id },
            MeasureKind::Reinstatement => PattoChange::Reinstated { measure_id: measure.id },
            MeasureKind::Revocation => PattoChange::Revoked { measure_id: measure.id },
        };
        self.measures.push(measure);
        self.touch(now);
        Ok(self.event(change))
    }

    /// The terms in force on a day, as known at `known_at`: the last version both sides had
    /// signed by then whose effective day has come.
    pub fn terms_on(&self, day: NaiveDate, known_at: DateTime<Utc>) -> Option<&Terms> {
        self.versions.first()?.signed_at(known_at)?;
        self.versions.iter().rev().find(|v| v.signed_at(known_at).is_some() && v.effective_from <= day)
    }

    pub fn status(&self, view: View) -> PattoStatus {
        let day = rome_date(view.at);
        match measure::standing(&self.measures, view) {
            Standing::Revoked { .. } => PattoStatus::Revoked,
            _ if self.versions[0].signed_at(view.known_at.min(view.at)).is_none() => PattoStatus::Draft,
            _ if day > self.valid_to => PattoStatus::Expired,
            Standing::Suspended { .. } => PattoStatus::Suspended,
            Standing::InForce if day < self.valid_from => PattoStatus::Signed,
            Standing::InForce => PattoStatus::Active,
        }
    }

    /// Whether it lets its provider serve `item` on `day` (as known at `known_at`): active that
    /// day, with terms covering the item. The accreditation beneath must be active too: see
    /// [`may_serve`].
    pub fn covers(&self, item: &ScopeItem, day: NaiveDate, known_at: DateTime<Utc>) -> Option<&Rate> {
        let view = View { known_at, at: end_of_day(day) };
        if self.status(view) != PattoStatus::Active {
            return None;
        }
        let terms = self.terms_on(day, known_at)?;
        if terms.scope.contains(item) { terms.rate(&item.intervention) } else { None }
    }
}

/// A provider that may serve an intervention in a municipality on a day, under which patto and
/// at which rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible<'a> {
    pub patto: &'a Patto,
    pub rate: &'a Rate,
}

/// Which providers may serve `item` on `day`: an active patto covering it that day, over an
/// accreditation of it that is active then (`accreditations`: each provider's, under each call,
/// with its status that day).
pub fn may_serve<'a>(
    patti: &'a [Patto],
    accreditations: &[(OrganizationId, TenderId, ScopeItem, AccreditationStatus)],
    item: &ScopeItem,
    day: NaiveDate,
    known_at: DateTime<Utc>,
) -> Vec<Eligible<'a>> {
    patti
        .iter()
        .filter_map(|patto| {
            let rate = patto.covers(item, day, known_at)?;
            let accredited = accreditations.iter().any(|(provider, tender, accredited, status)| {
                *provider == patto.provider_id
                    && *tender == patto.tender_id
                    && accredited == item
                    && *status == AccreditationStatus::Active
            });
            accredited.then_some(Eligible { patto, rate })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PattoChange {
    Drafted,
    SignatureAdded { version: u32, side: Side },
    Signed { version: u32 },
    AmendmentProposed { version: u32, kind: VersionKind, effective_from: NaiveDate },
    Suspended { measure_id: MeasureId },
    Reinstated { measure_id: MeasureId },
    Revoked { measure_id: MeasureId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PattoEvent {
    pub patto_id: PattoId,
    pub tender_id: TenderId,
    pub provider_id: OrganizationId,
    pub authority_id: OrganizationId,
    pub change: PattoChange,
}

impl DomainEvent for PattoEvent {
    fn name(&self) -> EventName {
        match self.change {
            PattoChange::Drafted => EventName::PattoDrafted,
            PattoChange::SignatureAdded { .. } => EventName::PattoSignatureAdded,
            PattoChange::Signed { .. } => EventName::PattoSigned,
            PattoChange::AmendmentProposed { .. } => EventName::PattoAmendmentProposed,
            PattoChange::Suspended { .. } => EventName::PattoSuspended,
            PattoChange::Reinstated { .. } => EventName::PattoReinstated,
            PattoChange::Revoked { .. } => EventName::PattoRevoked,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Patto, id: self.patto_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.provider_id, self.authority_id])
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({
                "patto_id": self.patto_id,
                "tender_id": self.tender_id,
                "provider_id": self.provider_id,
                "authority_id": self.authority_id,
            }),
            &self.change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IstatCode;
    use crate::accreditation::{Admission, grant};
    use crate::ids::ApplicationId;
    use crate::tender::tests::{at, code, published};

    fn item(i: &str, m: &str) -> ScopeItem {
        ScopeItem { intervention: code(i), municipality: IstatCode::parse(m).unwrap() }
    }

    fn setup() -> (Tender, OrganizationId, Vec<(Accreditation, AccreditationStatus)>) {
        let authority = OrganizationId::new();
        let tender = published(authority);
        let provider = OrganizationId::new();
        let admitted: Vec<Admission> = [item("mediation_health", "019036"), item("mediation_school", "019036")]
            .into_iter()
            .map(|item| Admission { application_id: ApplicationId::new(), provider_id: provider, item })
            .collect();
        let accredited = grant(&tender, &admitted, &[], None, at("2022-06-10T12:00"))
            .into_iter()
            .map(|a| (a, AccreditationStatus::Active))
            .collect();
        (tender, provider, accredited)
    }

    fn draft_of(
        tender: &Tender,
        provider: OrganizationId,
        accredited: &[(Accreditation, AccreditationStatus)],
    ) -> Patto {
        let draft = Draft {
            number: "P-2022/7".into(),
            scope: vec![item("mediation_health", "019036"), item("mediation_school", "019036")],
            valid_from: "2022-07-01".parse().unwrap(),
            valid_to: "2024-06-30".parse().unwrap(),
            obligations: "Carta dei servizi, formazione".into(),
        };
        Patto::draft(
            PattoId::new(),
            tender,
            provider,
            tender.authorities[0],
            draft,
            accredited,
            None,
            at("2022-06-15T09:00"),
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_patto_is_drafted_within_active_accreditations_at_the_calls_rates() {
        let (tender, provider, accredited) = setup();
        let patto = draft_of(&tender, provider, &accredited);
        assert_eq!(patto.versions[0].rate(&code("mediation_health")).unwrap().rate.get(), 2700);
        assert_eq!(patto.status(View::at(at("2022-07-10T09:00"))), PattoStatus::Draft);
        let stray = Draft {
            number: "".into(),
            scope: vec![item("mediation_health", "019021")],
            valid_from: "2022-06-01".parse().unwrap(),
            valid_to: "2026-06-30".parse().unwrap(),
            obligations: String::new(),
        };
        let Err(PattoError::Invalid(Invalid(errors))) = Patto::draft(
            PattoId::new(),
            &tender,
            provider,
            tender.authorities[0],
            stray,
            &accredited,
            None,
            at("2022-06-15T09:00"),
        ) else {
            panic!()
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["number", "scope.0"]);
        let mut suspended = accredited.clone();
        suspended[0].1 = AccreditationStatus::Suspended;
        let draft = Draft {
            number: "P-1".into(),
            scope: vec![item("mediation_health", "019036")],
            valid_from: "2022-06-01".parse().unwrap(),
            valid_to: "2026-06-30".parse().unwrap(),
            obligations: String::new(),
        };
        let refused = Patto::draft(
            PattoId::new(),
            &tender,
            provider,
            tender.authorities[0],
            draft,
            &suspended,
            None,
            at("2022-06-15T09:00"),
        );
        assert_eq!(refused.unwrap_err().code(), "validation_failed");
    }

    #[test]
    fn signed_by_both_in_either_order_it_is_active_from_its_start_date() {
        let (tender, provider, accredited) = setup();
        for order in [[Side::Provider, Side::Authority], [Side::Authority, Side::Provider]] {
            let mut patto = draft_of(&tender, provider, &accredited);
            let first = patto.sign(order[0], None, None, at("2022-06-20T09:00")).unwrap();
            assert_eq!(first.name(), EventName::PattoSignatureAdded);
            assert_eq!(
                patto.sign(order[0], None, None, at("2022-06-20T10:00")).unwrap_err(),
                PattoError::AlreadySigned(order[0])
            );
            let second = patto.sign(order[1], None, None, at("2022-06-21T09:00")).unwrap();
            assert_eq!(second.name(), EventName::PattoSigned);
            assert_eq!(
                patto.sign(order[1], None, None, at("2022-06-22T09:00")).unwrap_err(),
                PattoError::NothingToSign
            );
            assert_eq!(patto.status(View::at(at("2022-06-30T23:00"))), PattoStatus::Signed);
            assert_eq!(patto.status(View::at(at("2022-07-01T00:00"))), PattoStatus::Active);
            assert_eq!(patto.status(View::at(at("2024-07-01T00:00"))), PattoStatus::Expired);
            assert_eq!(patto.status(View::at(at("2022-06-20T12:00"))), PattoStatus::Draft, "as it stood then");
        }
    }

    #[test]
    fn a_rate_amendment_applies_from_its_day_once_both_sign_and_who_may_serve_follows() {
        let (tender, provider, accredited) = setup();
        let mut patto = draft_of(&tender, provider, &accredited);
        let health = item("mediation_health", "019036");
        let now = at("2022-06-20T09:00");
        assert_eq!(
            patto.amend(Change::Rates(vec![]), "2022-09-01".parse().unwrap(), "r".into(), None, now).unwrap_err(),
            PattoError::NotSigned
        );
        patto.sign(Side::Provider, None, None, now).unwrap();
        patto.sign(Side::Authority, None, None, now).unwrap();
        let statuses: Vec<_> = accredited.iter().map(|(a, s)| (a.provider_id, a.tender_id, a.item(), *s)).collect();
        let day = |s: &str| -> NaiveDate { s.parse().unwrap() };
        let served = |patto: &Patto, d: &str, known: &str| {
            may_serve(std::slice::from_ref(patto), &statuses, &health, day(d), at(known))
                .first()
                .map(|e| e.rate.rate.get())
        };
        assert_eq!(served(&patto, "2022-06-30", "2022-06-21T09:00"), None, "not before its start");
        assert_eq!(served(&patto, "2022-07-01", "2022-06-21T09:00"), Some(2700));
        let rates = Change::Rates(vec![(code("mediation_health"), Cents::new(2900).unwrap())]);
        let event =
            patto.amend(rates, day("2022-09-01"), "Adeguamento ISTAT".into(), None, at("2022-08-01T09:00")).unwrap();
        assert_eq!(event.name(), EventName::PattoAmendmentProposed);
        let another = Change::ReduceScope(vec![health.clone()]);
        assert_eq!(
            patto.amend(another, day("2022-09-01"), "r".repeat(5), None, at("2022-08-01T09:00")).unwrap_err().code(),
            "amendment_pending"
        );
        assert_eq!(served(&patto, "2022-09-02", "2022-08-02T09:00"), Some(2700), "unsigned, it does not apply");
        patto.sign(Side::Authority, None, None, at("2022-08-03T09:00")).unwrap();
        patto.sign(Side::Provider, None, None, at("2022-08-04T09:00")).unwrap();
        assert_eq!(served(&patto, "2022-08-31", "2022-08-05T09:00"), Some(2700), "the old rate before its day");
        assert_eq!(served(&patto, "2022-09-01", "2022-08-05T09:00"), Some(2900));
        // Revoked: nobody serves under it; a suspended accreditation beneath is enough to stop it.
        let mut suspended = statuses.clone();
        suspended[0].3 = AccreditationStatus::Suspended;
        assert!(
            may_serve(std::slice::from_ref(&patto), &suspended, &health, day("2022-09-02"), at("2022-08-05T09:00"))
                .is_empty()
        );
        patto.decide(Decision::Revoke, "Inadempienze".into(), None, None, at("2022-10-01T09:00")).unwrap();
        assert_eq!(served(&patto, "2022-10-02", "2022-10-02T09:00"), None);
        assert_eq!(patto.status(View::at(at("2022-10-02T09:00"))), PattoStatus::Revoked);
        assert_eq!(patto.sign(Side::Provider, None, None, at("2022-10-02T09:00")).unwrap_err().code(), "patto_revoked");
    }

    #[test]
    fn a_scope_reduction_keeps_the_rest_and_a_suspension_stops_service() {
        let (tender, provider, accredited) = setup();
        let mut patto = draft_of(&tender, provider, &accredited);
        patto.sign(Side::Provider, None, None, at("2022-06-20T09:00")).unwrap();
        patto.sign(Side::Authority, None, None, at("2022-06-20T09:00")).unwrap();
        let school = item("mediation_school", "019036");
        let all = vec![item("mediation_health", "019036"), school.clone()];
        let Err(PattoError::Invalid(_)) = patto.amend(
            Change::ReduceScope(all),
            "2022-09-01".parse().unwrap(),
            "Riduzione".into(),
            None,
            at("2022-08-01T09:00"),
        ) else {
            panic!("removing everything is a revocation")
        };
        patto
            .amend(
                Change::ReduceScope(vec![school.clone()]),
                "2022-09-01".parse().unwrap(),
                "Riduzione".into(),
                None,
                at("2022-08-01T09:00"),
            )
            .unwrap();
        patto.sign(Side::Provider, None, None, at("2022-08-02T09:00")).unwrap();
        patto.sign(Side::Authority, None, None, at("2022-08-02T09:00")).unwrap();
        let known = at("2022-08-03T09:00");
        assert!(patto.covers(&school, "2022-08-31".parse().unwrap(), known).is_some());
        assert!(patto.covers(&school, "2022-09-01".parse().unwrap(), known).is_none());
        patto
            .decide(
                Decision::Suspend { from: None, until: None },
                "Verifica".into(),
                None,
                None,
                at("2022-08-10T09:00"),
            )
            .unwrap();
        assert_eq!(patto.status(View::at(at("2022-08-11T09:00"))), PattoStatus::Suspended);
        assert!(
            patto
                .covers(&item("mediation_health", "019036"), "2022-08-11".parse().unwrap(), at("2022-08-11T09:00"))
                .is_none()
        );
    }
}
