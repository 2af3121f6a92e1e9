//! ISEE (Indicatore della situazione economica equivalente): a household's economic indicator,
//! certified from its DSU. A beneficiary may have several over time; a co-payment rule takes the
//! latest valid one of the kind it names, from its issue date on.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::Cents;
use crate::ids::{BeneficiaryId, IseeId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::text::length;

string_enum!(IseeKind {
    Ordinary => "ordinary",
    /// For disabled or dependent adults (socio-sanitario).
    SocioSanitario => "socio_sanitario",
    /// For services to minors.
    Minors => "minors",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Isee {
    pub id: IseeId,
    pub beneficiary_id: BeneficiaryId,
    pub kind: IseeKind,
    pub value: Cents,
    /// The DSU's protocol number (INPS-ISEE-…).
    pub dsu_protocol: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<UserId>,
}

/// An ISEE as staff or the municipality record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIsee {
    pub kind: IseeKind,
    pub value: Cents,
    pub dsu_protocol: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

impl Isee {
    pub fn record(
        beneficiary_id: BeneficiaryId,
        input: NewIsee,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self, Invalid> {
        let mut c = Collector::new();
        if !(3..=64).contains(&length(&input.dsu_protocol)) {
            c.push("dsu_protocol", "3 to 64 characters: the DSU's protocol number");
        }
        if input.expires_on < input.issued_on {
            c.push("expires_on", "must not be before issued_on");
        }
        c.finish()?;
        Ok(Self {
            id: IseeId::new(),
            beneficiary_id,
            kind: input.kind,
            value: input.value,
            dsu_protocol: crate::text::trim(&input.dsu_protocol).to_owned(),
            issued_on: input.issued_on,
            expires_on: input.expires_on,
            recorded_at: now,
            recorded_by: by,
        })
    }

    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.issued_on <= day && day <= self.expires_on
    }
}
