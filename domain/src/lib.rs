//! Ambito's rules, with no I/O and no framework types.
//!
//! Value types parse instead of validate: a `CodiceFiscale` or a `PartitaIva` that exists has
//! passed its check character, so nothing past the HTTP edge re-checks it. Each lifecycle is an
//! aggregate whose transitions take the aggregate, the input and `now`, and return a typed event
//! or a typed error; [`access`] is the one access policy.

/// An enum of stable lower-case names, as stored and as shown: `as_str`, `FromStr`, `Display`,
/// serde, and `ALL`.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::organization::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(Self::$variant),)+ _ => Err($crate::organization::UnknownValue) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod account;
pub mod accreditation;
pub mod application;
pub mod beneficiary;
pub mod catalogue;
pub mod codes;
pub mod codice_fiscale;
pub mod copayment;
pub mod coverage;
pub mod delivery_report;
pub mod document;
pub mod email;
pub mod event;
pub mod ids;
pub mod invalid;
pub mod isee;
pub mod istat;
pub mod measure;
pub mod mediation;
pub mod money;
pub mod name;
pub mod ocds;
pub mod organization;
pub mod partita_iva;
pub mod patto;
pub mod registry;
pub mod requirement;
pub mod rome;
pub mod service_request;
pub mod tender;
pub mod text;
pub mod webhook;

pub use access::Actor;
pub use account::{Password, Role};
pub use catalogue::{TargetGroup, Unit};
pub use codes::{DocumentType, InterventionCode, ProductLineCode, RequirementCode};
pub use codice_fiscale::CodiceFiscale;
pub use email::EmailAddress;
pub use event::{DomainEvent, EventName, Readers};
pub use ids::*;
pub use invalid::{FieldError, Invalid};
pub use istat::IstatCode;
pub use money::Cents;
pub use name::Name;
pub use organization::{NewOrganization, OrganizationFields, OrganizationKind, UnknownValue};
pub use partita_iva::PartitaIva;
