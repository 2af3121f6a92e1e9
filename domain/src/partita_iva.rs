//! Partita IVA: the 11-digit VAT number, whose last digit checks the first ten.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartitaIva(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitaIvaError {
    #[error("a partita IVA has exactly 11 digits")]
    Shape,
    #[error("the check digit does not match: this partita IVA has a typing error")]
    CheckDigit,
}

impl PartitaIva {
    /// Parses 11 digits, accepting an optional `IT` prefix and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, PartitaIvaError> {
        let trimmed = input.trim();
        let code = trimmed.strip_prefix("IT").or_else(|| trimmed.strip_prefix("it")).unwrap_or(trimmed);
        if code.len() != 11 || !code.bytes().all(|c| c.is_ascii_digit()) {
            return Err(PartitaIvaError::Shape);
        }
        let digits: Vec<u8> = code.bytes().map(|c| c - b'0').collect();
        if luhn_check_digit(&digits[..10]) != digits[10] {
            return Err(PartitaIvaError::CheckDigit);
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check digit of ten digits: odd positions count as they are, even positions doubled
/// (less 9 when over 9); the check brings the sum to a multiple of ten.
pub fn luhn_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl TryFrom<String> for PartitaIva {
    type Error = PartitaIvaError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PartitaIva> for String {
    fn from(value: PartitaIva) -> Self {
        value.0
    }
}

impl fmt::Display for PartitaIva {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_valid_number_with_or_without_prefix() {
        // 0123456789 -> check digit 7.
        assert_eq!(PartitaIva::parse("01234567897").unwrap().as_str(), "01234567897");
        assert_eq!(PartitaIva::parse("IT01234567897").unwrap().as_str(), "01234567897");
    }

    #[test]
    fn refuses_a_wrong_check_digit_and_bad_shapes() {
        assert_eq!(PartitaIva::parse("01234567890"), Err(PartitaIvaError::CheckDigit));
        assert_eq!(PartitaIva::parse("0123456789"), Err(PartitaIvaError::Shape));
        assert_eq!(PartitaIva::parse("0123456789A"), Err(PartitaIvaError::Shape));
    }

    proptest! {
        #[test]
        fn a_single_changed_digit_is_always_caught(body in "[0-9]{10}", pos in 0usize..10, delta in 1u8..10) {
            let mut digits: Vec<u8> = body.bytes().map(|c| c - b'0').collect();
            let check = luhn_check_digit(&digits);
            digits[pos] = (digits[pos] + delta) % 10;
            let typo: String = digits.iter().map(|d| (b'0' + d) as char).collect();
            let candidate = format!("{typo}{check}");
            prop_assert!(PartitaIva::parse(&candidate).is_err());
        }
    }
}
