//! Money as integer euro cents: rates, costs and co-payments are exact.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Cents(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an amount is a whole number of cents from 0 to 100,000,000 (one million euros)")]
pub struct CentsError;

impl Cents {
    pub const MAX: i64 = 100_000_000;

    pub fn new(cents: i64) -> Result<Self, CentsError> {
        if (0..=Self::MAX).contains(&cents) { Ok(Self(cents)) } else { Err(CentsError) }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Cents {
    type Error = CentsError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Cents> for i64 {
    fn from(c: Cents) -> Self {
        c.0
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "€{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_display() {
        assert_eq!(Cents::new(2150).unwrap().to_string(), "€21.50");
        assert!(Cents::new(-1).is_err());
        assert!(Cents::new(Cents::MAX + 1).is_err());
    }
}
