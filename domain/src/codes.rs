//! Codes that name things of the catalogue and of a call: interventions, product lines,
//! requirements and document types. Each is a word of 1 to 64 characters without spaces; what
//! a code refers to is checked against the catalogue or the call where it is used.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("1 to 64 characters, no spaces")]
pub struct CodeError;

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
            #[serde(try_from = "String", into = "String")]
            pub struct $name(String);

            impl $name {
                pub fn parse(input: &str) -> Result<Self, CodeError> {
                    let length = input.chars().count();
                    if (1..=64).contains(&length) && !input.chars().any(crate::text::is_space) {
                        Ok(Self(input.to_owned()))
                    } else {
                        Err(CodeError)
                    }
                }

                pub fn as_str(&self) -> &str {
                    &self.0
                }
            }

            impl TryFrom<String> for $name {
                type Error = CodeError;
                fn try_from(s: String) -> Result<Self, CodeError> {
                    Self::parse(&s)
                }
            }

            impl From<$name> for String {
                fn from(c: $name) -> Self {
                    c.0
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(&self.0)
                }
            }
        )+
    };
}

codes!(
    /// An intervention of the service catalogue, such as `home_care_generic`.
    InterventionCode,
    /// A product line of the catalogue, such as `social_care`.
    ProductLineCode,
    /// A requirement of a call, such as `durc`.
    RequirementCode,
    /// A kind of document, such as `durc` or `service_charter`.
    DocumentType,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_one_word() {
        assert!(InterventionCode::parse("home_care_generic").is_ok());
        assert!(DocumentType::parse("").is_err());
        assert!(DocumentType::parse("carta servizi").is_err());
        assert!(RequirementCode::parse(&"x".repeat(65)).is_err());
        assert!(serde_json::from_str::<InterventionCode>("\"a b\"").is_err());
    }
}
