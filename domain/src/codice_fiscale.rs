//! Codice fiscale: the Italian tax code. A person's has 16 characters ending in a check letter;
//! a company's or public body's has 11 digits ending in a check digit (the partita IVA rule).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::partita_iva::luhn_check_digit;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscale(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodiceFiscaleError {
    #[error("a codice fiscale has 16 characters (a person) or 11 digits (an organization)")]
    Length,
    #[error("character {0} is not allowed at that position of a codice fiscale")]
    Shape(usize),
    #[error("the check character does not match: this codice fiscale has a typing error")]
    CheckCharacter,
}

impl CodiceFiscale {
    /// Parses either form, ignoring surrounding spaces and letter case.
    pub fn parse(input: &str) -> Result<Self, CodiceFiscaleError> {
        let code = input.trim().to_ascii_uppercase();
        match code.len() {
            16 => parse_personal(&code)?,
            11 => parse_numeric(&code)?,
            _ => return Err(CodiceFiscaleError::Length),
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the 11-digit form that companies and public bodies have.
    pub fn is_numeric(&self) -> bool {
        self.0.len() == 11
    }
}

/// Digits of a personal code may be replaced by these letters (omocodia), in this order.
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Value of a character at an odd (1st, 3rd, ...) position; digits map like the letter of
/// the same index (0 like A, 1 like B...).
const ODD_VALUES: [u32; 26] =
    [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

fn parse_personal(code: &str) -> Result<(), CodiceFiscaleError> {
    let bytes = code.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        let ok = match i {
            0..=5 | 8 | 11 | 15 => c.is_ascii_uppercase() && (i != 8 || MONTHS.contains(&c)),
            _ => c.is_ascii_digit() || OMOCODIA.contains(&c),
        };
        if !ok {
            return Err(CodiceFiscaleError::Shape(i + 1));
        }
    }
    if personal_check_letter(&bytes[..15]) != bytes[15] {
        return Err(CodiceFiscaleError::CheckCharacter);
    }
    Ok(())
}

/// The check letter of the first 15 characters of a personal codice fiscale.
pub fn personal_check_letter(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let index = if c.is_ascii_digit() { c - b'0' } else { c - b'A' } as usize;
            // Positions count from 1, so index 0 is an odd position.
            if i % 2 == 0 { ODD_VALUES[index] } else { index as u32 }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

fn parse_numeric(code: &str) -> Result<(), CodiceFiscaleError> {
    if let Some(i) = code.bytes().position(|c| !c.is_ascii_digit()) {
        return Err(CodiceFiscaleError::Shape(i + 1));
    }
    let digits: Vec<u8> = code.bytes().map(|c| c - b'0').collect();
    if luhn_check_digit(&digits[..10]) != digits[10] {
        return Err(CodiceFiscaleError::CheckCharacter);
    }
    Ok(())
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CodiceFiscaleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CodiceFiscale> for String {
    fn from(value: CodiceFiscale) -> Self {
        value.0
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_well_known_personal_code_in_any_case() {
        let cf = CodiceFiscale::parse(" rssmra85t10a562s ").unwrap();
        assert_eq!(cf.as_str(), "RSSMRA85T10A562S");
        assert!(!cf.is_numeric());
    }

    #[test]
    fn rejects_a_wrong_check_letter() {
        assert_eq!(CodiceFiscale::parse("RSSMRA85T10A562T"), Err(CodiceFiscaleError::CheckCharacter));
    }

    #[test]
    fn rejects_wrong_lengths_and_shapes() {
        assert_eq!(CodiceFiscale::parse("RSSMRA85"), Err(CodiceFiscaleError::Length));
        // 'Z' is not a month letter.
        assert_eq!(CodiceFiscale::parse("RSSMRA85Z10A562S"), Err(CodiceFiscaleError::Shape(9)));
        assert_eq!(CodiceFiscale::parse("0141686019A"), Err(CodiceFiscaleError::Shape(11)));
    }

    #[test]
    fn accepts_an_omocodia_variant_with_its_own_check_letter() {
        // The last digit of the cadastral code replaced by its letter ('2' -> 'N').
        let body = b"RSSMRA85T10A56N";
        let mut code = body.to_vec();
        code.push(personal_check_letter(body));
        assert!(CodiceFiscale::parse(std::str::from_utf8(&code).unwrap()).is_ok());
    }

    fn personal_body() -> impl Strategy<Value = String> {
        "[A-Z]{6}[0-9]{2}[ABCDEHLMPRST][0-7][0-9][A-Z][0-9]{3}"
    }

    proptest! {
        #[test]
        fn every_body_with_its_check_letter_parses(body in personal_body()) {
            let check = personal_check_letter(body.as_bytes()) as char;
            let code = format!("{body}{check}");
            let parsed = CodiceFiscale::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
        }

        #[test]
        fn any_other_check_letter_is_refused(body in personal_body(), other in "[A-Z]") {
            let check = personal_check_letter(body.as_bytes()) as char;
            prop_assume!(!other.starts_with(check));
            let candidate = format!("{body}{other}");
            prop_assert_eq!(CodiceFiscale::parse(&candidate), Err(CodiceFiscaleError::CheckCharacter));
        }

        #[test]
        fn numeric_codes_follow_the_partita_iva_rule(body in "[0-9]{10}") {
            let digits: Vec<u8> = body.bytes().map(|c| c - b'0').collect();
            let check = luhn_check_digit(&digits);
            let valid = format!("{body}{check}");
            prop_assert!(CodiceFiscale::parse(&valid).is_ok());
            let wrong = format!("{body}{}", (check + 1) % 10);
            prop_assert_eq!(CodiceFiscale::parse(&wrong), Err(CodiceFiscaleError::CheckCharacter));
        }
    }
}
