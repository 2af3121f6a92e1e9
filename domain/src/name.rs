//! Display names of organizations, districts and people.

use serde::{Deserialize, Serialize};

/// A display name: 2 to 200 characters as written, no control characters, not blank; stored
/// without surrounding spaces. (The rule is the one the API's schema states, so a client can
/// check it before sending.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a name has 2 to 200 characters, not all spaces, and no control characters")]
pub struct NameError;

impl Name {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = input.trim();
        let length = input.chars().count();
        if (2..=200).contains(&length) && !name.is_empty() && !input.chars().any(char::is_control) {
            Ok(Self(name.to_owned()))
        } else {
            Err(NameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}
