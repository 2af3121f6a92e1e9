//! Provider requirements with an expiry: the DURC, the chamber of commerce registration, the
//! register of social cooperatives, the third-sector register (RUNTS). When a certificate expires
//! and no valid one replaces it, the provider's accreditations lapse from that instant, and come
//! back only when a valid one is recorded and staff of the accrediting authority confirm.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{CertificateId, ConfirmationId, DocumentId, OrganizationId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::measure::{Act, View};
use crate::rome::{rome_date, start_of_day};

string_enum!(CertificateKind {
    /// Documento unico di regolarità contributiva.
    Durc => "durc",
    ChamberOfCommerce => "chamber_of_commerce",
    SocialCooperativesRegister => "social_cooperatives_register",
    /// Registro unico nazionale del terzo settore.
    Runts => "runts",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub id: CertificateId,
    pub provider_id: OrganizationId,
    pub kind: CertificateKind,
    /// The certificate's own number or protocol, as issued.
    pub reference: Option<String>,
    pub valid_from: NaiveDate,
    /// The last day it is valid.
    pub valid_until: NaiveDate,
    pub document_id: Option<DocumentId>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<UserId>,
}

impl Certificate {
    /// A provider records a certificate valid today or later.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        id: CertificateId,
        provider_id: OrganizationId,
        kind: CertificateKind,
        reference: Option<String>,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, RequirementEvent), Invalid> {
        let mut c = Collector::new();
        if valid_until < valid_from {
            c.push("valid_until", "must not be before valid_from");
        } else if valid_until < rome_date(now) {
            c.push("valid_until", "already expired: record a certificate still valid");
        }
        if reference.as_deref().is_some_and(|r| !(1..=100).contains(&crate::text::length(r))) {
            c.push("reference", "1 to 100 characters");
        }
        c.finish()?;
        let certificate = Self {
            id,
            provider_id,
            kind,
            reference,
            valid_from,
            valid_until,
            document_id: None,
            recorded_at: now,
            recorded_by: by,
        };
        let event = RequirementEvent::CertificateRecorded { provider_id, certificate_id: id, kind, valid_until };
        Ok((certificate, event))
    }

    /// Whether it covers instant `t`, as known at `t`.
    fn covers(&self, t: DateTime<Utc>) -> bool {
        self.recorded_at <= t
            && start_of_day(self.valid_from) <= t
            && t < start_of_day(self.valid_until + Duration::days(1))
    }

    fn expires_at(&self) -> DateTime<Utc> {
        start_of_day(self.valid_until + Duration::days(1))
    }
}

/// Staff of an authority confirm that a provider meets its requirements again, after a lapse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    pub id: ConfirmationId,
    pub provider_id: OrganizationId,
    pub authority_id: OrganizationId,
    pub act: Option<Act>,
    pub note: Option<String>,
    pub confirmed_at: DateTime<Utc>,
    pub confirmed_by: Option<UserId>,
}

/// What is recorded of a provider's requirements.
#[derive(Debug, Clone, Copy)]
pub struct Requirements<'a> {
    pub certificates: &'a [Certificate],
    pub confirmations: &'a [Confirmation],
}

/// A lapse: since when, and which requirement is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lapse {
    pub since: DateTime<Utc>,
    pub kind: CertificateKind,
}

impl Requirements<'_> {
    /// The first kind of certificate recorded by `t` that nothing known at `t` covers.
    fn missing_at(&self, t: DateTime<Utc>, known_at: DateTime<Utc>) -> Option<CertificateKind> {
        let known = |c: &&Certificate| c.recorded_at <= known_at && c.recorded_at <= t;
        let mut kinds: Vec<CertificateKind> = self.certificates.iter().filter(known).map(|c| c.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds.into_iter().find(|k| !self.certificates.iter().filter(known).any(|c| c.kind == *k && c.covers(t)))
    }

    /// Whether the provider's accreditations with calls of `authorities` are lapsed in `view`:
    /// from the instant a requirement stops being covered, until one of those authorities
    /// confirms at an instant when every requirement is covered again.
    pub fn lapse(&self, authorities: &[OrganizationId], view: View) -> Option<Lapse> {
        let confirmations: Vec<DateTime<Utc>> = self
            .confirmations
            .iter()
            .filter(|c| authorities.contains(&c.authority_id) && c.confirmed_at <= view.known_at)
            .map(|c| c.confirmed_at)
            .collect();
        let mut instants: Vec<DateTime<Utc>> = self
            .certificates
            .iter()
            .filter(|c| c.recorded_at <= view.known_at)
            .flat_map(|c| [c.recorded_at, start_of_day(c.valid_from), c.expires_at()])
            .chain(confirmations.iter().copied())
            .filter(|t| *t <= view.at)
            .chain([view.at])
            .collect();
        instants.sort_unstable();
        instants.dedup();
        let mut lapse: Option<Lapse> = None;
        for t in instants {
            let missing = self.missing_at(t, view.known_at);
            lapse = match (lapse, missing) {
                (None, Some(kind)) => Some(Lapse { since: t, kind }),
                (Some(_), None) if confirmations.contains(&t) => None,
                (current, _) => current,
            };
        }
        lapse
    }
}

/// What happened to a provider's requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementEvent {
    CertificateRecorded {
        provider_id: OrganizationId,
        certificate_id: CertificateId,
        kind: CertificateKind,
        valid_until: NaiveDate,
    },
    Confirmed {
        provider_id: OrganizationId,
        authority_id: OrganizationId,
        confirmation_id: ConfirmationId,
    },
}

impl Confirmation {
    /// Staff of an authority confirm a provider's requirements: only when every certificate it
    /// recorded is covered now.
    #[allow(clippy::too_many_arguments)]
    pub fn confirm(
        id: ConfirmationId,
        requirements: Requirements<'_>,
        provider_id: OrganizationId,
        authority_id: OrganizationId,
        act: Option<Act>,
        note: Option<String>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(Self, RequirementEvent), RequirementError> {
        if let Some(kind) = requirements.missing_at(now, now) {
            return Err(RequirementError::NotCovered(kind));
        }
        if let Some(act) = &act {
            Act::check(&act.number, "act_number").map_err(RequirementError::Invalid)?;
        }
        let confirmation = Self { id, provider_id, authority_id, act, note, confirmed_at: now, confirmed_by: by };
        Ok((confirmation, RequirementEvent::Confirmed { provider_id, authority_id, confirmation_id: id }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum RequirementError {
    /// A requirement is not covered by a valid certificate: record one first.
    NotCovered(CertificateKind),
    Invalid(Invalid),
}

impl RequirementError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotCovered(_) => "requirement_not_covered",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &["requirement_not_covered"];
}

impl DomainEvent for RequirementEvent {
    fn name(&self) -> EventName {
        match self {
            Self::CertificateRecorded { .. } => EventName::CertificateRecorded,
            Self::Confirmed { .. } => EventName::RequirementsConfirmed,
        }
    }

    fn subject(&self) -> Subject {
        match self {
            Self::CertificateRecorded { provider_id, .. } | Self::Confirmed { provider_id, .. } => {
                Subject { kind: SubjectKind::Organization, id: provider_id.uuid() }
            }
        }
    }

    fn readers(&self) -> Readers {
        match self {
            Self::CertificateRecorded { provider_id, .. } => Readers::only([*provider_id]),
            Self::Confirmed { provider_id, authority_id, .. } => Readers::only([*provider_id, *authority_id]),
        }
    }

    fn payload(&self) -> serde_json::Value {
        match self {
            Self::CertificateRecorded { provider_id, certificate_id, kind, valid_until } => serde_json::json!({
                "provider_id": provider_id, "certificate_id": certificate_id, "kind": kind, "valid_until": valid_until,
            }),
            Self::Confirmed { provider_id, authority_id, confirmation_id } => serde_json::json!({
                "provider_id": provider_id, "authority_id": authority_id, "confirmation_id": confirmation_id,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rome::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn durc(from: &str, until: &str, recorded: &str) -> Certificate {
        Certificate {
            id: CertificateId::new(),
            provider_id: OrganizationId::new(),
            kind: CertificateKind::Durc,
            reference: None,
            valid_from: day(from),
            valid_until: day(until),
            document_id: None,
            recorded_at: at(recorded),
            recorded_by: None,
        }
    }

    #[test]
    fn a_durc_that_expires_unreplaced_lapses_at_that_instant_until_staff_confirm_a_new_one() {
        let authority = OrganizationId::new();
        let mut certificates = vec![durc("2024-01-01", "2024-04-30", "2024-01-10T09:00")];
        let mut confirmations = Vec::new();
        let lapse = |certificates: &[Certificate], confirmations: &[Confirmation], when: &str| {
            Requirements { certificates, confirmations }.lapse(&[authority], View::at(at(when)))
        };
        assert_eq!(lapse(&certificates, &confirmations, "2024-04-30T23:59"), None);
        let lapsed = lapse(&certificates, &confirmations, "2024-05-01T00:00").unwrap();
        assert_eq!((lapsed.since, lapsed.kind), (at("2024-05-01T00:00"), CertificateKind::Durc));
        // A new DURC, valid from before, recorded on the 10th: still lapsed until staff confirm.
        certificates.push(durc("2024-04-28", "2024-08-31", "2024-05-10T09:00"));
        assert!(lapse(&certificates, &confirmations, "2024-05-11T09:00").is_some());
        let requirements = Requirements { certificates: &certificates, confirmations: &confirmations };
        let (confirmation, event) = Confirmation::confirm(
            ConfirmationId::new(),
            requirements,
            certificates[0].provider_id,
            authority,
            None,
            None,
            None,
            at("2024-05-12T09:00"),
        )
        .unwrap();
        assert_eq!(event.name(), EventName::RequirementsConfirmed);
        confirmations.push(confirmation);
        assert_eq!(lapse(&certificates, &confirmations, "2024-05-12T09:00"), None);
        // As it stood on the 11th, it was lapsed; another authority's confirmation does not count.
        assert!(lapse(&certificates, &confirmations, "2024-05-11T09:00").is_some());
        let other = Requirements { certificates: &certificates, confirmations: &confirmations }
            .lapse(&[OrganizationId::new()], View::at(at("2024-05-12T09:00")));
        assert!(other.is_some());
    }

    #[test]
    fn a_replacement_recorded_in_time_leaves_no_gap() {
        let certificates = [
            durc("2024-01-01", "2024-04-30", "2024-01-10T09:00"),
            durc("2024-04-20", "2024-08-31", "2024-04-25T09:00"),
        ];
        let requirements = Requirements { certificates: &certificates, confirmations: &[] };
        for when in ["2024-04-30T12:00", "2024-05-01T00:00", "2024-08-31T23:00"] {
            assert_eq!(requirements.lapse(&[], View::at(at(when))), None, "{when}");
        }
        assert!(requirements.lapse(&[], View::at(at("2024-09-01T00:00"))).is_some());
        // Nothing recorded: nothing to lapse.
        assert_eq!(
            Requirements { certificates: &[], confirmations: &[] }.lapse(&[], View::at(at("2024-05-01T00:00"))),
            None
        );
    }

    #[test]
    fn confirming_needs_every_requirement_covered() {
        let certificates = [durc("2024-01-01", "2024-04-30", "2024-01-10T09:00")];
        let requirements = Requirements { certificates: &certificates, confirmations: &[] };
        let refused = Confirmation::confirm(
            ConfirmationId::new(),
            requirements,
            OrganizationId::new(),
            OrganizationId::new(),
            None,
            None,
            None,
            at("2024-05-02T09:00"),
        );
        assert_eq!(refused.unwrap_err(), RequirementError::NotCovered(CertificateKind::Durc));
        let expired = Certificate::record(
            CertificateId::new(),
            OrganizationId::new(),
            CertificateKind::Durc,
            None,
            day("2024-01-01"),
            day("2024-04-30"),
            None,
            at("2024-05-02T09:00"),
        );
        assert_eq!(expired.unwrap_err().0[0].field, "valid_until");
    }
}
