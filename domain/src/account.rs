//! Accounts: the role a user holds, which follows from the kind of organization they belong
//! to, and the password policy.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::organization::{OrganizationKind, UnknownValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages organizations, users and reference data of the whole installation.
    Admin,
    /// Works for an authority: calls, examinations, patti, assessments.
    AuthorityStaff,
    /// Works for a provider: applications, accepting requests, delivery reports.
    ProviderMember,
    /// A municipal social worker, or a municipal system's service account.
    Municipality,
}

impl Role {
    pub const ALL: [Self; 4] = [Self::Admin, Self::AuthorityStaff, Self::ProviderMember, Self::Municipality];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::AuthorityStaff => "authority_staff",
            Self::ProviderMember => "provider_member",
            Self::Municipality => "municipality",
        }
    }

    /// The only kind of organization whose members may hold this role.
    pub fn organization_kind(self) -> OrganizationKind {
        match self {
            Self::Admin => OrganizationKind::Platform,
            Self::AuthorityStaff => OrganizationKind::Authority,
            Self::ProviderMember => OrganizationKind::Provider,
            Self::Municipality => OrganizationKind::Municipality,
        }
    }

    /// The role every member of an organization of this kind holds.
    pub fn for_organization(kind: OrganizationKind) -> Self {
        Self::ALL.into_iter().find(|r| r.organization_kind() == kind).expect("one role per kind")
    }
}

impl FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(UnknownValue)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A password that meets the policy: 12 to 128 characters (NIST SP 800-63B: length, not
/// composition rules). Not `Debug`-printable, so it cannot leak into logs.
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password has 12 to 128 characters")]
pub struct PasswordError;

impl Password {
    pub const MIN: usize = 12;
    pub const MAX: usize = 128;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let length = input.chars().count();
        if (Self::MIN..=Self::MAX).contains(&length) { Ok(Self(input.to_owned())) } else { Err(PasswordError) }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_belongs_to_one_kind_and_back() {
        for role in Role::ALL {
            assert_eq!(Role::for_organization(role.organization_kind()), role);
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn password_length_bounds() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("twelve chars").is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }
}
