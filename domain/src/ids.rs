//! Typed identifiers: a `TenderId` cannot be passed where an `ApplicationId` is due. All are
//! time-ordered UUIDs (v7), so indexes and cursors stay cheap.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
            #[serde(transparent)]
            pub struct $name(Uuid);

            impl $name {
                /// A new, time-ordered identifier.
                pub fn new() -> Self {
                    Self(Uuid::now_v7())
                }

                pub const fn from_uuid(id: Uuid) -> Self {
                    Self(id)
                }

                pub const fn uuid(self) -> Uuid {
                    self.0
                }
            }

            impl Default for $name {
                fn default() -> Self {
                    Self::new()
                }
            }

            impl From<Uuid> for $name {
                fn from(id: Uuid) -> Self {
                    Self(id)
                }
            }

            impl From<$name> for Uuid {
                fn from(id: $name) -> Self {
                    id.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    self.0.fmt(f)
                }
            }

            impl FromStr for $name {
                type Err = uuid::Error;
                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    Uuid::parse_str(s).map(Self)
                }
            }
        )+
    };
}

ids!(
    /// An authority, provider, municipality or the platform operator.
    OrganizationId,
    UserId,
    /// A login session (a family of refresh tokens).
    SessionId,
    DistrictId,
    TenderId,
    ApplicationId,
    DocumentId,
    QuestionId,
    AmendmentId,
    IntegrationRequestId,
    /// One receipt: a submission or an integration answer, with its protocol number.
    ReceiptId,
    AccreditationId,
    /// A suspension, reinstatement or revocation of an accreditation or a patto.
    MeasureId,
    /// A provider's certificate (DURC, registrations) with its validity.
    CertificateId,
    /// Staff's confirmation that a provider meets its requirements again.
    ConfirmationId,
    PattoId,
    /// A person families' requests are for (one record per person per authority).
    BeneficiaryId,
    IseeId,
    /// One version of an authority's co-payment rule for an intervention.
    CopaymentRuleId,
    ServiceRequestId,
    /// What staff grant of one intervention of a service request.
    VoucherId,
    MediationRequestId,
    /// A mediator on a provider's list.
    MediatorId,
    DeliveryReportId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_their_uuid() {
        let id = TenderId::new();
        assert_eq!(id.to_string().parse::<TenderId>().unwrap(), id);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
        assert!("not-a-uuid".parse::<TenderId>().is_err());
        assert!(TenderId::new() > id, "time-ordered");
    }
}
