//! Typed events: every transition of every lifecycle produces one, with a stable name, the ids
//! it concerns and no personal data. They are written in the same transaction as the change and
//! feed the audit trail, the change feed, and later webhooks, notices and OCDS releases.

use serde::Serialize;
use uuid::Uuid;

use crate::ids::{DistrictId, OrganizationId, UserId};
use crate::{OrganizationKind, Role};

string_enum!(
    /// The stable name of an event, as integrators read it in the feed and the audit trail.
    EventName {
        OrganizationCreated => "organization.created",
        OrganizationUpdated => "organization.updated",
        UserCreated => "user.created",
        UserUpdated => "user.updated",
        UserPasswordChanged => "user.password_changed",
        DistrictCreated => "district.created",
        DistrictUpdated => "district.updated",
        TenderDrafted => "tender.drafted",
        TenderRevised => "tender.revised",
        TenderPublished => "tender.published",
        TenderCancelled => "tender.cancelled",
        TenderAmended => "tender.amended",
        TenderConcluded => "tender.concluded",
        TenderDocumentAttached => "tender.document_attached",
        QuestionAsked => "tender.question_asked",
        QuestionAnswered => "tender.question_answered",
        ApplicationOpened => "application.opened",
        ApplicationRecorded => "application.recorded",
        ApplicationRevised => "application.revised",
        ApplicationDocumentAttached => "application.document_attached",
        ApplicationSubmitted => "application.submitted",
        ApplicationReplaced => "application.replaced",
        ApplicationWithdrawn => "application.withdrawn",
        ApplicationConfirmed => "application.confirmed",
        ApplicationAdmitted => "application.admitted",
        ApplicationExcluded => "application.excluded",
        ApplicationIntegrationRequested => "application.integration_requested",
        ApplicationIntegrationAnswered => "application.integration_answered",
        TenderReopened => "tender.reopened",
        AccreditationGranted => "accreditation.granted",
        AccreditationSuspended => "accreditation.suspended",
        AccreditationReinstated => "accreditation.reinstated",
        AccreditationRevoked => "accreditation.revoked",
        CertificateRecorded => "provider.certificate_recorded",
        RequirementsConfirmed => "provider.requirements_confirmed",
        PattoDrafted => "patto.drafted",
        PattoSignatureAdded => "patto.signature_added",
        PattoSigned => "patto.signed",
        PattoAmendmentProposed => "patto.amendment_proposed",
        PattoSuspended => "patto.suspended",
        PattoReinstated => "patto.reinstated",
        PattoRevoked => "patto.revoked",
        BeneficiaryRegistered => "beneficiary.registered",
        BeneficiaryCorrected => "beneficiary.corrected",
        IseeRecorded => "beneficiary.isee_recorded",
        CopaymentRuleEnacted => "copayment_rule.enacted",
        ServiceRequestSubmitted => "service_request.submitted",
        ServiceRequestIntegrationRequested => "service_request.integration_requested",
        ServiceRequestIntegrationAnswered => "service_request.integration_answered",
        ServiceRequestAssessed => "service_request.assessed",
        ServiceRequestProviderChosen => "service_request.provider_chosen",
        ServiceRequestOfferAccepted => "service_request.offer_accepted",
        ServiceRequestOfferDeclined => "service_request.offer_declined",
        ServiceRequestSuspended => "service_request.suspended",
        ServiceRequestResumed => "service_request.resumed",
        ServiceRequestClosed => "service_request.closed",
        VoucherNeedsNewChoice => "service_request.voucher_needs_new_choice",
        MediatorRegistered => "provider.mediator_registered",
        MediatorDeactivated => "provider.mediator_deactivated",
        MediationRequested => "mediation.requested",
        MediationOffered => "mediation.offered",
        MediationDeclined => "mediation.declined",
        MediationConfirmed => "mediation.confirmed",
        MediationDelivered => "mediation.delivered",
        MediationNoShow => "mediation.no_show",
        MediationCancelled => "mediation.cancelled",
        MediationReported => "mediation.reported",
        DeliveryReportSubmitted => "delivery_report.submitted",
        DeliveryReportContested => "delivery_report.contested",
        DeliveryReportCorrected => "delivery_report.corrected",
        DeliveryReportValidated => "delivery_report.validated",
    }
);

string_enum!(
    /// The kind of thing an event is about.
    SubjectKind {
        Organization => "organization",
        User => "user",
        District => "district",
        Tender => "tender",
        Question => "question",
        Application => "application",
        Accreditation => "accreditation",
        Patto => "patto",
        Beneficiary => "beneficiary",
        CopaymentRule => "copayment_rule",
        ServiceRequest => "service_request",
        Mediator => "mediator",
        MediationRequest => "mediation_request",
        DeliveryReport => "delivery_report",
    }
);

/// What an event is about: the aggregate it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: Uuid,
}

/// Who may read an event: everyone, or the members of some organizations (admins read all).
/// Decided by the access policy when the event is made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readers {
    pub public: bool,
    pub organizations: Vec<OrganizationId>,
}

impl Readers {
    pub fn public() -> Self {
        Self { public: true, organizations: Vec::new() }
    }

    pub fn only(organizations: impl IntoIterator<Item = OrganizationId>) -> Self {
        let mut organizations: Vec<OrganizationId> = organizations.into_iter().collect();
        organizations.sort_unstable();
        organizations.dedup();
        Self { public: false, organizations }
    }

    pub fn may_read(&self, organization: OrganizationId) -> bool {
        self.public || self.organizations.contains(&organization)
    }
}

/// An event of any lifecycle.
pub trait DomainEvent {
    fn name(&self) -> EventName;
    fn subject(&self) -> Subject;
    fn readers(&self) -> Readers;
    /// The ids and values of the event: never personal data.
    fn payload(&self) -> serde_json::Value;
}

/// Joins an event's common ids with its own fields into one JSON object.
pub(crate) fn payload_of(ids: impl Serialize, fields: impl Serialize) -> serde_json::Value {
    let mut value = serde_json::to_value(ids).expect("event ids serialize");
    if let (Some(map), serde_json::Value::Object(extra)) =
        (value.as_object_mut(), serde_json::to_value(fields).expect("event fields serialize"))
    {
        map.extend(extra);
    }
    value
}

/// Changes to the directory: organizations, their users, districts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryEvent {
    OrganizationCreated { organization_id: OrganizationId, kind: OrganizationKind },
    OrganizationUpdated { organization_id: OrganizationId },
    UserCreated { user_id: UserId, organization_id: OrganizationId, role: Role },
    UserUpdated { user_id: UserId, organization_id: OrganizationId },
    PasswordChanged { user_id: UserId, organization_id: OrganizationId },
    DistrictCreated { district_id: DistrictId, authority_id: OrganizationId },
    DistrictUpdated { district_id: DistrictId, authority_id: OrganizationId },
}

impl DomainEvent for DirectoryEvent {
    fn name(&self) -> EventName {
        match self {
            Self::OrganizationCreated { .. } => EventName::OrganizationCreated,
            Self::OrganizationUpdated { .. } => EventName::OrganizationUpdated,
            Self::UserCreated { .. } => EventName::UserCreated,
            Self::UserUpdated { .. } => EventName::UserUpdated,
            Self::PasswordChanged { .. } => EventName::UserPasswordChanged,
            Self::DistrictCreated { .. } => EventName::DistrictCreated,
            Self::DistrictUpdated { .. } => EventName::DistrictUpdated,
        }
    }

    fn subject(&self) -> Subject {
        match self {
            Self::OrganizationCreated { organization_id, .. } | Self::OrganizationUpdated { organization_id } => {
                Subject { kind: SubjectKind::Organization, id: organization_id.uuid() }
            }
            Self::UserCreated { user_id, .. }
            | Self::UserUpdated { user_id, .. }
            | Self::PasswordChanged { user_id, .. } => Subject { kind: SubjectKind::User, id: user_id.uuid() },
            Self::DistrictCreated { district_id, .. } | Self::DistrictUpdated { district_id, .. } => {
                Subject { kind: SubjectKind::District, id: district_id.uuid() }
            }
        }
    }

    fn readers(&self) -> Readers {
        crate::access::directory_readers(self)
    }

    fn payload(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::OrganizationCreated { organization_id, kind } => {
                json!({"organization_id": organization_id, "kind": kind})
            }
            Self::OrganizationUpdated { organization_id } => json!({"organization_id": organization_id}),
            Self::UserCreated { user_id, organization_id, role } => {
                json!({"user_id": user_id, "organization_id": organization_id, "role": role})
            }
            Self::UserUpdated { user_id, organization_id } | Self::PasswordChanged { user_id, organization_id } => {
                json!({"user_id": user_id, "organization_id": organization_id})
            }
            Self::DistrictCreated { district_id, authority_id }
            | Self::DistrictUpdated { district_id, authority_id } => {
                json!({"district_id": district_id, "authority_id": authority_id})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_unique() {
        let mut names: Vec<&str> = EventName::ALL.iter().map(|n| n.as_str()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(EventName::ApplicationSubmitted.as_str(), "application.submitted");
        assert_eq!("tender.published".parse::<EventName>(), Ok(EventName::TenderPublished));
    }

    #[test]
    fn directory_events_carry_ids_only() {
        let event = DirectoryEvent::UserCreated {
            user_id: UserId::new(),
            organization_id: OrganizationId::new(),
            role: Role::Municipality,
        };
        let payload = event.payload();
        assert_eq!(payload.as_object().unwrap().len(), 3);
        assert_eq!(payload["role"], "municipality");
        assert!(!event.readers().public);
    }
}
