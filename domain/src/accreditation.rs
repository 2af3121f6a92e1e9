//! Accreditations: the authority's measure that a provider may deliver an intervention in a
//! municipality for a period. Granted when a round of a call is concluded, from its admitted
//! applications; then active ⇄ suspended → revoked, lapsed while a requirement is lost, expired
//! at the end of the list's validity. Where one stands is derived at any instant from its
//! measures, its provider's requirements and the clock: no job has to run.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::application::ScopeItem;
use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{AccreditationId, ApplicationId, MeasureId, OrganizationId, TenderId, UserId};
use crate::measure::{self, Act, Decision, Measure, MeasureError, Standing, View};
use crate::requirement::Requirements;
use crate::rome::rome_date;
use crate::tender::Tender;
use crate::{InterventionCode, IstatCode};

string_enum!(AccreditationStatus {
    Active => "active",
    Suspended => "suspended",
    Revoked => "revoked",
    /// A requirement such as the DURC was lost.
    Lapsed => "lapsed",
    /// The list's validity period ended.
    Expired => "expired",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accreditation {
    pub id: AccreditationId,
    pub tender_id: TenderId,
    pub application_id: ApplicationId,
    pub provider_id: OrganizationId,
    pub intervention: InterventionCode,
    pub municipality: IstatCode,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The round of the call that granted it.
    pub round: u32,
    /// The act (determina) that added it to the list.
    pub act: Option<Act>,
    pub granted_at: DateTime<Utc>,
    pub measures: Vec<Measure>,
    pub version: i64,
}

/// An admitted item of an application: who, by which application, for what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub application_id: ApplicationId,
    pub provider_id: OrganizationId,
    pub item: ScopeItem,
}

/// One accreditation per admitted item not accredited yet, until the end of the list's
/// validity: providers admitted in a later round join the same list, from the day they are.
pub fn grant(
    tender: &Tender,
    admitted: &[Admission],
    existing: &[(OrganizationId, ScopeItem)],
    act: Option<Act>,
    now: DateTime<Utc>,
) -> Vec<Accreditation> {
    let round = tender.round();
    let valid_from =
        if round > 1 { tender.terms.validity_from.max(rome_date(now)) } else { tender.terms.validity_from };
    admitted
        .iter()
        .filter(|a| !existing.iter().any(|(p, item)| *p == a.provider_id && *item == a.item))
        .map(|a| Accreditation {
            id: AccreditationId::new(),
            tender_id: tender.id,
            application_id: a.application_id,
            provider_id: a.provider_id,
            intervention: a.item.intervention.clone(),
            municipality: a.item.municipality.clone(),
            valid_from,
            valid_to: tender.terms.validity_to,
            round,
            act: act.clone(),
            granted_at: now,
            measures: Vec::new(),
            version: 1,
        })
        .collect()
}

/// A measure the lifecycle refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum AccreditationError {
    /// The list's validity ended: nothing more is decided on it.
    Expired {
        on: NaiveDate,
    },
    Measure(MeasureError),
}

impl AccreditationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Expired { .. } => "accreditation_expired",
            Self::Measure(MeasureError::Revoked { .. }) => "accreditation_revoked",
            Self::Measure(MeasureError::NotSuspended) => "accreditation_not_suspended",
            Self::Measure(e) => e.code(),
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] =
        &["accreditation_expired", "accreditation_revoked", "accreditation_not_suspended"];
}

impl Accreditation {
    pub fn item(&self) -> ScopeItem {
        ScopeItem { intervention: self.intervention.clone(), municipality: self.municipality.clone() }
    }

    /// Where it stands in `view`, with its provider's requirements and the authorities that
    /// issued its call; `None` when it was not on the list yet.
    pub fn status(
        &self,
        requirements: Requirements<'_>,
        issuers: &[OrganizationId],
        view: View,
    ) -> Option<AccreditationStatus> {
        if self.granted_at > view.known_at || self.granted_at > view.at {
            return None;
        }
        Some(match measure::standing(&self.measures, view) {
            Standing::Revoked { .. } => AccreditationStatus::Revoked,
            _ if rome_date(view.at) > self.valid_to => AccreditationStatus::Expired,
            _ if requirements.lapse(issuers, view).is_some() => AccreditationStatus::Lapsed,
            Standing::Suspended { .. } => AccreditationStatus::Suspended,
            Standing::InForce => AccreditationStatus::Active,
        })
    }

    /// Staff of an issuing authority suspend, reinstate or revoke it, with a reason and the act.
    pub fn decide(
        &mut self,
        decision: Decision,
        reason: String,
        act: Option<Act>,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<AccreditationEvent, AccreditationError> {
        if rome_date(now) > self.valid_to {
            return Err(AccreditationError::Expired { on: self.valid_to });
        }
        let measure =
            measure::decide(&self.measures, decision, reason, act, by, now).map_err(AccreditationError::Measure)?;
        let change = match measure.kind {
            measure::MeasureKind::Suspension => AccreditationChange::Suspended {
                measure_id: measure.id,
                from: measure.effective_from,
                until: measure.effective_until,
            },
            measure::MeasureKind::Reinstatement => AccreditationChange::Reinstated { measure_id: measure.id },
            measure::MeasureKind::Revocation => AccreditationChange::Revoked { measure_id: measure.id },
        };
        self.measures.push(measure);
        self.version += 1;
        Ok(self.event(change))
    }

    fn event(&self, change: AccreditationChange) -> AccreditationEvent {
        AccreditationEvent {
            accreditation_id: self.id,
            tender_id: self.tender_id,
            provider_id: self.provider_id,
            intervention: self.intervention.clone(),
            municipality: self.municipality.clone(),
            change,
        }
    }

    pub fn granted(&self) -> AccreditationEvent {
        self.event(AccreditationChange::Granted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AccreditationChange {
    Granted,
    Suspended { measure_id: MeasureId, from: DateTime<Utc>, until: Option<DateTime<Utc>> },
    Reinstated { measure_id: MeasureId },
    Revoked { measure_id: MeasureId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccreditationEvent {
    pub accreditation_id: AccreditationId,
    pub tender_id: TenderId,
    pub provider_id: OrganizationId,
    pub intervention: InterventionCode,
    pub municipality: IstatCode,
    pub change: AccreditationChange,
}

impl DomainEvent for AccreditationEvent {
    fn name(&self) -> EventName {
        match self.change {
            AccreditationChange::Granted => EventName::AccreditationGranted,
            AccreditationChange::Suspended { .. } => EventName::AccreditationSuspended,
            AccreditationChange::Reinstated { .. } => EventName::AccreditationReinstated,
            AccreditationChange::Revoked { .. } => EventName::AccreditationRevoked,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Accreditation, id: self.accreditation_id.uuid() }
    }

    /// The registry is public.
    fn readers(&self) -> Readers {
        Readers::public()
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({
                "accreditation_id": self.accreditation_id,
                "tender_id": self.tender_id,
                "provider_id": self.provider_id,
                "intervention": self.intervention,
                "municipality": self.municipality,
            }),
            &self.change,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CertificateId;
    use crate::requirement::{Certificate, CertificateKind};
    use crate::tender::tests::{at, code, published};

    fn granted(tender: &Tender) -> Accreditation {
        let admission = Admission {
            application_id: ApplicationId::new(),
            provider_id: OrganizationId::new(),
            item: ScopeItem {
                intervention: code("mediation_health"),
                municipality: IstatCode::parse("019036").unwrap(),
            },
        };
        let act = Some(Act { number: "2022/45".into(), date: "2022-06-10".parse().unwrap() });
        grant(tender, &[admission], &[], act, at("2022-06-10T12:00")).remove(0)
    }

    const NONE: Requirements<'static> = Requirements { certificates: &[], confirmations: &[] };

    #[test]
    fn an_accreditation_is_active_from_its_grant_to_the_end_of_the_list() {
        let t = published(OrganizationId::new());
        let a = granted(&t);
        let status = |when: &str| a.status(NONE, &t.authorities, View::at(at(when)));
        assert_eq!(status("2022-06-10T11:00"), None, "not on the list before its act");
        assert_eq!(status("2022-06-11T09:00"), Some(AccreditationStatus::Active));
        assert_eq!(status("2025-06-30T23:00"), Some(AccreditationStatus::Active));
        assert_eq!(status("2025-07-01T00:00"), Some(AccreditationStatus::Expired));
        assert_eq!(a.act.as_ref().unwrap().number, "2022/45");
    }

    #[test]
    fn suspended_revoked_and_lapsed_follow_measures_requirements_and_the_clock() {
        let t = published(OrganizationId::new());
        let mut a = granted(&t);
        let until = Some(at("2023-02-01T00:00"));
        let event = a
            .decide(Decision::Suspend { from: None, until }, "Verifica".into(), None, None, at("2023-01-10T09:00"))
            .unwrap();
        assert_eq!(event.name(), EventName::AccreditationSuspended);
        let status =
            |a: &Accreditation, requirements, when: &str| a.status(requirements, &t.authorities, View::at(at(when)));
        assert_eq!(status(&a, NONE, "2023-01-20T09:00"), Some(AccreditationStatus::Suspended));
        assert_eq!(status(&a, NONE, "2023-02-01T00:00"), Some(AccreditationStatus::Active), "ends by itself");
        let durc = [Certificate {
            id: CertificateId::new(),
            provider_id: a.provider_id,
            kind: CertificateKind::Durc,
            reference: None,
            valid_from: "2022-06-01".parse().unwrap(),
            valid_until: "2023-03-31".parse().unwrap(),
            document_id: None,
            recorded_at: at("2022-06-01T09:00"),
            recorded_by: None,
        }];
        let requirements = Requirements { certificates: &durc, confirmations: &[] };
        assert_eq!(status(&a, requirements, "2023-04-01T00:00"), Some(AccreditationStatus::Lapsed));
        a.decide(Decision::Revoke, "Gravi inadempienze".into(), None, None, at("2023-05-01T09:00")).unwrap();
        assert_eq!(status(&a, requirements, "2023-05-02T09:00"), Some(AccreditationStatus::Revoked));
        let again = a.decide(Decision::Reinstate, "r".into(), None, None, at("2023-05-03T09:00"));
        assert_eq!(again.unwrap_err().code(), "accreditation_revoked");
        let late = granted(&t).decide(Decision::Revoke, "r".into(), None, None, at("2025-07-02T09:00"));
        assert_eq!(late.unwrap_err().code(), "accreditation_expired");
        let not = granted(&t).decide(Decision::Reinstate, "r".into(), None, None, at("2023-05-03T09:00"));
        assert_eq!(not.unwrap_err().code(), "accreditation_not_suspended");
    }

    #[test]
    fn a_later_round_adds_only_what_is_not_on_the_list_from_its_own_day() {
        let mut t = published(OrganizationId::new());
        let first = granted(&t);
        t.state = crate::tender::TenderState::Concluded;
        t.terms.kind = crate::tender::TenderKind::ProviderList;
        t.reopen(at("2023-01-31T12:00"), at("2023-01-20T12:00"), at("2023-01-02T09:00")).unwrap();
        let again =
            Admission { application_id: ApplicationId::new(), provider_id: first.provider_id, item: first.item() };
        let new = Admission {
            application_id: ApplicationId::new(),
            provider_id: OrganizationId::new(),
            item: ScopeItem {
                intervention: code("mediation_school"),
                municipality: IstatCode::parse("019021").unwrap(),
            },
        };
        let existing = [(first.provider_id, first.item())];
        let granted = grant(&t, &[again, new], &existing, None, at("2023-02-10T09:00"));
        assert_eq!(granted.len(), 1);
        assert_eq!(
            (granted[0].round, granted[0].valid_from, granted[0].valid_to),
            (2, "2023-02-10".parse().unwrap(), first.valid_to)
        );
    }
}
