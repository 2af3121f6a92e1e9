//! E-mail addresses, used for logins and for PEC (certified e-mail) addresses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A lower-cased address with one `@`, a local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address: expected name@domain.tld, at most 254 characters, no spaces")]
pub struct EmailAddressError;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let address = input.trim().to_lowercase();
        let (local, domain) = address.split_once('@').ok_or(EmailAddressError)?;
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if address.len() <= 254 && local_ok && labels_ok { Ok(Self(address)) } else { Err(EmailAddressError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailAddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_pec_addresses_and_lowercases_them() {
        let pec = EmailAddress::parse(" AziendaSocialeCR@pec.it ").unwrap();
        assert_eq!(pec.as_str(), "aziendasocialecr@pec.it");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in ["", "no-at-sign", "@pec.it", "a@", "a@pec", "a b@pec.it", "a@pec..it", "a..b@pec.it"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
