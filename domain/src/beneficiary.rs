//! Beneficiaries: the people families' requests are for. Their record is special-category
//! personal data (GDPR art. 9): it never leaves this aggregate's readers, never appears in an
//! event, and every read and change of it is recorded as a [`DataAccess`] naming the fields.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use crate::event::{DomainEvent, EventName, Readers, Subject, SubjectKind};
use crate::ids::{BeneficiaryId, IseeId, OrganizationId, ServiceRequestId, UserId};
use crate::invalid::{Collector, Invalid};
use crate::text::length;
use crate::{CodiceFiscale, IstatCode, Name};

/// Someone in the household who matters to the care: a caregiver, a relative to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdMember {
    pub name: Name,
    /// Spouse, daughter, neighbour who helps…
    pub relationship: String,
    pub caregiver: bool,
    pub phone: Option<String>,
}

/// The person's record as it is entered or corrected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub given_name: Name,
    pub family_name: Name,
    pub birth_date: NaiveDate,
    pub residence: IstatCode,
    pub address: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub household: Vec<HouseholdMember>,
    /// The social and health situation, as the social worker describes it: the most sensitive part.
    pub situation: String,
}

/// The names of a record's fields, as the access log lists them.
pub mod field {
    pub const CODICE_FISCALE: &str = "codice_fiscale";
    pub const NAME: &str = "name";
    pub const BIRTH_DATE: &str = "birth_date";
    pub const RESIDENCE: &str = "residence";
    pub const ADDRESS: &str = "address";
    pub const CONTACT: &str = "contact";
    pub const HOUSEHOLD: &str = "household";
    pub const SITUATION: &str = "situation";
    pub const ISEE: &str = "isee";
    pub const CARE_PLAN: &str = "care_plan";
    pub const COPAYMENT: &str = "copayment";
    /// Every field of the record itself.
    pub const RECORD: &[&str] = &[CODICE_FISCALE, NAME, BIRTH_DATE, RESIDENCE, ADDRESS, CONTACT, HOUSEHOLD, SITUATION];
}

impl Details {
    /// Checks the record's texts and dates (`today` bounds the birth date).
    pub fn check(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut c = Collector::new();
        if self.birth_date > today || self.birth_date.year() < 1890 {
            c.push("birth_date", "a real birth date, not in the future");
        }
        if length(&self.address) > 300 {
            c.push("address", "at most 300 characters");
        }
        if self.phone.as_deref().is_some_and(|p| !(3..=40).contains(&length(p))) {
            c.push("phone", "3 to 40 characters");
        }
        if self.email.as_deref().is_some_and(|e| crate::EmailAddress::parse(e).is_err()) {
            c.push("email", "not an e-mail address");
        }
        if self.household.len() > 20 {
            c.push("household", "at most 20 people");
        }
        for (i, m) in self.household.iter().enumerate() {
            if !(2..=60).contains(&length(&m.relationship)) {
                c.push(&format!("household.{i}.relationship"), "2 to 60 characters");
            }
            if m.phone.as_deref().is_some_and(|p| !(3..=40).contains(&length(p))) {
                c.push(&format!("household.{i}.phone"), "3 to 40 characters");
            }
        }
        if length(&self.situation) > 20_000 {
            c.push("situation", "at most 20,000 characters");
        }
        c.finish()
    }

    /// The fields that differ from `other`, as the access log names them.
    fn changed_from(&self, other: &Details) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.given_name != other.given_name || self.family_name != other.family_name {
            changed.push(field::NAME);
        }
        if self.birth_date != other.birth_date {
            changed.push(field::BIRTH_DATE);
        }
        if self.residence != other.residence {
            changed.push(field::RESIDENCE);
        }
        if self.address != other.address {
            changed.push(field::ADDRESS);
        }
        if self.phone != other.phone || self.email != other.email {
            changed.push(field::CONTACT);
        }
        if self.household != other.household {
            changed.push(field::HOUSEHOLD);
        }
        if self.situation != other.situation {
            changed.push(field::SITUATION);
        }
        changed
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Beneficiary {
    pub id: BeneficiaryId,
    /// The authority responsible for the person's services: one record per person per authority.
    pub authority_id: OrganizationId,
    pub codice_fiscale: CodiceFiscale,
    #[serde(skip)]
    pub details: Details,
    /// The municipality that registered the person.
    pub registered_by: OrganizationId,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum BeneficiaryError {
    /// The authority already has a record for this codice fiscale.
    Exists,
    Invalid(Invalid),
}

impl BeneficiaryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Exists => "beneficiary_exists",
            Self::Invalid(_) => "validation_failed",
        }
    }

    /// Every `code` of a broken rule (a 409), as [`Self::code`] names them: the spec lists them
    /// on the conflicts of the operations of this lifecycle.
    pub const CODES: &'static [&'static str] = &["beneficiary_exists"];
}

impl From<Invalid> for BeneficiaryError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

impl Beneficiary {
    /// A municipality registers one of its residents with the authority that serves it (or
    /// staff of that authority register someone).
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        authority_id: OrganizationId,
        registered_by: OrganizationId,
        codice_fiscale: CodiceFiscale,
        details: Details,
        municipality: Option<&IstatCode>,
        exists: bool,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Self, BeneficiaryEvent), BeneficiaryError> {
        let mut c = Collector::new();
        if codice_fiscale.is_numeric() {
            c.push("codice_fiscale", "a person's codice fiscale has 16 characters");
        }
        if let Err(Invalid(errors)) = details.check(today) {
            for e in errors {
                c.push(&e.field, e.message);
            }
        }
        if municipality.is_some_and(|m| *m != details.residence) {
            c.push("residence", "a municipality registers its own residents");
        }
        c.finish()?;
        if exists {
            return Err(BeneficiaryError::Exists);
        }
        let b = Self {
            id: BeneficiaryId::new(),
            authority_id,
            codice_fiscale,
            details,
            registered_by,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let event = b.event(BeneficiaryChange::Registered);
        Ok((b, event))
    }

    /// Corrects the record; answers the event and the fields that changed (none: nothing to save).
    pub fn correct(
        &mut self,
        details: Details,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(BeneficiaryEvent, Vec<&'static str>), BeneficiaryError> {
        details.check(today)?;
        let changed = details.changed_from(&self.details);
        if !changed.is_empty() {
            self.details = details;
            self.version += 1;
            self.updated_at = now;
        }
        Ok((self.event(BeneficiaryChange::Corrected), changed))
    }

    pub fn event(&self, change: BeneficiaryChange) -> BeneficiaryEvent {
        BeneficiaryEvent {
            beneficiary_id: self.id,
            authority_id: self.authority_id,
            registered_by: self.registered_by,
            change,
        }
    }

    pub fn age_band(&self, on: NaiveDate) -> AgeBand {
        AgeBand::of(self.details.birth_date, on)
    }
}

string_enum!(
    /// What a provider deciding on an offer learns of the person's age.
    AgeBand {
        Minor => "0-17",
        Adult => "18-64",
        Older => "65-74",
        Elderly => "75-84",
        VeryElderly => "85+",
    }
);

impl AgeBand {
    pub fn of(birth: NaiveDate, on: NaiveDate) -> Self {
        let age = on.years_since(birth).unwrap_or(0);
        match age {
            0..=17 => Self::Minor,
            18..=64 => Self::Adult,
            65..=74 => Self::Older,
            75..=84 => Self::Elderly,
            _ => Self::VeryElderly,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BeneficiaryChange {
    Registered,
    Corrected,
    IseeRecorded { isee_id: IseeId },
}

/// A change to a beneficiary's record: ids only, never what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryEvent {
    pub beneficiary_id: BeneficiaryId,
    pub authority_id: OrganizationId,
    pub registered_by: OrganizationId,
    pub change: BeneficiaryChange,
}

impl DomainEvent for BeneficiaryEvent {
    fn name(&self) -> EventName {
        match self.change {
            BeneficiaryChange::Registered => EventName::BeneficiaryRegistered,
            BeneficiaryChange::Corrected => EventName::BeneficiaryCorrected,
            BeneficiaryChange::IseeRecorded { .. } => EventName::IseeRecorded,
        }
    }

    fn subject(&self) -> Subject {
        Subject { kind: SubjectKind::Beneficiary, id: self.beneficiary_id.uuid() }
    }

    fn readers(&self) -> Readers {
        Readers::only([self.authority_id, self.registered_by])
    }

    fn payload(&self) -> serde_json::Value {
        crate::event::payload_of(
            serde_json::json!({"beneficiary_id": self.beneficiary_id, "authority_id": self.authority_id}),
            &self.change,
        )
    }
}

string_enum!(DataAction { Read => "read", Create => "create", Update => "update" });

/// One read or change of a beneficiary's personal data: who, when, which fields, for which
/// request — what the person is owed when asking who has seen their data (GDPR art. 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataAccess {
    pub beneficiary_id: BeneficiaryId,
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub organization_id: Option<OrganizationId>,
    pub action: DataAction,
    pub fields: Vec<&'static str>,
    pub service_request_id: Option<ServiceRequestId>,
    /// The HTTP request's id, to find it in the logs.
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> Details {
        Details {
            given_name: Name::parse("Maria").unwrap(),
            family_name: Name::parse("Rossi").unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1942, 3, 5).unwrap(),
            residence: IstatCode::parse("019021").unwrap(),
            address: "Via Roma 1".into(),
            phone: None,
            email: None,
            household: vec![],
            situation: "Vive sola; deambulazione ridotta".into(),
        }
    }

    #[test]
    fn a_municipality_registers_its_residents_and_corrections_name_the_fields() {
        let today = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let now = chrono::Utc::now();
        let cf = CodiceFiscale::parse("RSSMRA80A01H501U").unwrap();
        let (org, town) = (OrganizationId::new(), OrganizationId::new());
        let elsewhere = IstatCode::parse("019036").unwrap();
        let refused = Beneficiary::register(org, town, cf.clone(), details(), Some(&elsewhere), false, today, now);
        assert_eq!(refused.unwrap_err().code(), "validation_failed");
        let exists = Beneficiary::register(org, town, cf.clone(), details(), None, true, today, now);
        assert_eq!(exists.unwrap_err(), BeneficiaryError::Exists);
        let (mut b, event) = Beneficiary::register(
            org,
            town,
            cf,
            details(),
            Some(&IstatCode::parse("019021").unwrap()),
            false,
            today,
            now,
        )
        .unwrap();
        assert_eq!(event.name(), EventName::BeneficiaryRegistered);
        assert!(!event.payload().to_string().contains("Rossi"), "no personal data in events");
        assert_eq!(b.age_band(today), AgeBand::Elderly);
        let mut moved = details();
        moved.address = "Via Cavour 3".into();
        moved.situation = "Dimessa dall'ospedale".into();
        let (_, changed) = b.correct(moved, today, now).unwrap();
        assert_eq!(changed, [field::ADDRESS, field::SITUATION]);
        assert_eq!(b.version, 2);
    }

    #[test]
    fn age_bands() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(AgeBand::of(d(2007, 3, 2), d(2025, 3, 1)), AgeBand::Minor);
        assert_eq!(AgeBand::of(d(2007, 3, 1), d(2025, 3, 1)), AgeBand::Adult);
        assert_eq!(AgeBand::of(d(1942, 1, 1), d(2024, 3, 1)), AgeBand::Elderly);
        assert_eq!(AgeBand::of(d(1930, 1, 1), d(2024, 3, 1)), AgeBand::VeryElderly);
    }
}
