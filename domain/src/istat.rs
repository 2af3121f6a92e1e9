//! ISTAT code: the six-digit statistical code of an Italian municipality (comune).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IstatCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an ISTAT municipality code has exactly 6 digits, such as 019036 for Cremona")]
pub struct IstatCodeError;

impl IstatCode {
    pub fn parse(input: &str) -> Result<Self, IstatCodeError> {
        let code = input.trim();
        if code.len() == 6 && code.bytes().all(|c| c.is_ascii_digit()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(IstatCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IstatCode {
    type Error = IstatCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IstatCode> for String {
    fn from(value: IstatCode) -> Self {
        value.0
    }
}

impl fmt::Display for IstatCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_only() {
        assert_eq!(IstatCode::parse("019036").unwrap().as_str(), "019036");
        assert!(IstatCode::parse("19036").is_err());
        assert!(IstatCode::parse("01903A").is_err());
    }
}
