//! Organizations: the platform operator, authorities (enti), providers (soggetti erogatori)
//! and municipalities (comuni). Which identifiers each kind must carry is decided here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::invalid::{Collector, Invalid};
use crate::{CodiceFiscale, EmailAddress, IstatCode, Name, PartitaIva};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// The operator of this Ambito installation; its members are platform admins.
    Platform,
    /// A public body that issues calls and signs patti (ASC, CONCASS).
    Authority,
    /// A cooperative or company that delivers services.
    Provider,
    /// A comune, whose social workers and systems file service requests.
    Municipality,
}

impl OrganizationKind {
    pub const ALL: [Self; 4] = [Self::Platform, Self::Authority, Self::Provider, Self::Municipality];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Authority => "authority",
            Self::Provider => "provider",
            Self::Municipality => "municipality",
        }
    }
}

impl FromStr for OrganizationKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue)
    }
}

impl fmt::Display for OrganizationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored value that names no known variant: the database and the code disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value")]
pub struct UnknownValue;

/// An organization as a user proposes it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub kind: OrganizationKind,
    pub name: Name,
    pub codice_fiscale: Option<CodiceFiscale>,
    pub partita_iva: Option<PartitaIva>,
    pub pec: Option<EmailAddress>,
    pub istat_code: Option<IstatCode>,
}

/// The raw fields of an organization, as they arrive.
#[derive(Debug, Clone, Default)]
pub struct OrganizationFields<'a> {
    pub name: &'a str,
    pub codice_fiscale: Option<&'a str>,
    pub partita_iva: Option<&'a str>,
    pub pec: Option<&'a str>,
    pub istat_code: Option<&'a str>,
}

impl NewOrganization {
    /// Parses every field and checks what the kind requires: authorities and providers have a
    /// numeric codice fiscale and a PEC address, providers a partita IVA, municipalities their
    /// ISTAT code.
    pub fn parse(kind: OrganizationKind, fields: OrganizationFields<'_>) -> Result<Self, Invalid> {
        let mut c = Collector::new();
        let name = c.field("name", Name::parse(fields.name));
        let codice_fiscale = fields.codice_fiscale.and_then(|v| c.field("codice_fiscale", CodiceFiscale::parse(v)));
        let partita_iva = fields.partita_iva.and_then(|v| c.field("partita_iva", PartitaIva::parse(v)));
        let pec = fields.pec.and_then(|v| c.field("pec", EmailAddress::parse(v)));
        let istat_code = fields.istat_code.and_then(|v| c.field("istat_code", IstatCode::parse(v)));

        let needs_legal_identity = matches!(kind, OrganizationKind::Authority | OrganizationKind::Provider);
        if needs_legal_identity {
            match (&codice_fiscale, fields.codice_fiscale) {
                (None, None) => c.push("codice_fiscale", format!("required for a {kind}")),
                (Some(cf), _) if !cf.is_numeric() => {
                    c.push("codice_fiscale", "an organization's codice fiscale has 11 digits")
                }
                _ => {}
            }
            if fields.pec.is_none() {
                c.push("pec", format!("a PEC address is required for a {kind}"));
            }
        }
        if kind == OrganizationKind::Provider && fields.partita_iva.is_none() {
            c.push("partita_iva", "required for a provider");
        }
        match kind {
            OrganizationKind::Municipality if fields.istat_code.is_none() => {
                c.push("istat_code", "required for a municipality")
            }
            OrganizationKind::Municipality => {}
            _ if fields.istat_code.is_some() => c.push("istat_code", "only a municipality has an ISTAT code"),
            _ => {}
        }
        c.finish()?;
        Ok(Self { kind, name: name.expect("checked by the collector"), codice_fiscale, partita_iva, pec, istat_code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider_fields() -> OrganizationFields<'static> {
        OrganizationFields {
            name: "Cooperativa Sociale Demo",
            codice_fiscale: Some("01234567897"),
            partita_iva: Some("01234567897"),
            pec: Some("coop@pec.it"),
            istat_code: None,
        }
    }

    #[test]
    fn a_complete_provider_parses() {
        let org = NewOrganization::parse(OrganizationKind::Provider, provider_fields()).unwrap();
        assert_eq!(org.partita_iva.unwrap().as_str(), "01234567897");
    }

    #[test]
    fn every_missing_or_bad_field_is_reported_at_once() {
        let fields = OrganizationFields {
            name: " ",
            codice_fiscale: Some("01234567890"),
            partita_iva: None,
            pec: None,
            istat_code: Some("019036"),
        };
        let Invalid(errors) = NewOrganization::parse(OrganizationKind::Provider, fields).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "codice_fiscale", "pec", "partita_iva", "istat_code"]);
    }

    #[test]
    fn a_personal_codice_fiscale_does_not_identify_an_authority() {
        let mut fields = provider_fields();
        fields.codice_fiscale = Some("RSSMRA85T10A562S");
        let Invalid(errors) = NewOrganization::parse(OrganizationKind::Authority, fields).unwrap_err();
        assert_eq!(errors[0].field, "codice_fiscale");
    }

    #[test]
    fn a_municipality_needs_its_istat_code() {
        let fields = OrganizationFields { name: "Comune di Cremona", ..Default::default() };
        assert!(NewOrganization::parse(OrganizationKind::Municipality, fields.clone()).is_err());
        let fields = OrganizationFields { istat_code: Some("019036"), ..fields };
        assert!(NewOrganization::parse(OrganizationKind::Municipality, fields).is_ok());
    }
}
