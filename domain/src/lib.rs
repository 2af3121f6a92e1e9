//! Ambito's rules, with no I/O and no framework types.
//!
//! Value types parse instead of validate: a `CodiceFiscale` or a `PartitaIva` that exists has
//! passed its check character, so nothing past the HTTP edge re-checks it.

pub mod account;
pub mod application;
pub mod catalogue;
pub mod codice_fiscale;
pub mod coverage;
pub mod email;
pub mod invalid;
pub mod istat;
pub mod money;
pub mod name;
pub mod organization;
pub mod partita_iva;
pub mod rome;
pub mod tender;

pub use account::{Password, Role};
pub use catalogue::{TargetGroup, Unit};
pub use codice_fiscale::CodiceFiscale;
pub use email::EmailAddress;
pub use invalid::{FieldError, Invalid};
pub use istat::IstatCode;
pub use money::Cents;
pub use name::Name;
pub use organization::{NewOrganization, OrganizationFields, OrganizationKind, UnknownValue};
pub use partita_iva::PartitaIva;
