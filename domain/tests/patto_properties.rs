//! Random sequences of signatures, amendments, measures, accreditation changes and clock moves
//! on one patto, checking after each step against a plain model: every command is refused
//! exactly when the model says so (with the same code), the status is the model's, and "who may
//! serve X in M on D" answers, for every day around the patto's validity, the model's provider
//! and rate or nobody.

use ambito_domain::accreditation::{Accreditation, AccreditationStatus, Admission, grant};
use ambito_domain::application::ScopeItem;
use ambito_domain::measure::Decision;
use ambito_domain::patto::{Change, Draft, Patto, PattoStatus, Side, may_serve};
use ambito_domain::rome::{end_of_day, parse_instant, rome_date, start_of_day};
use ambito_domain::tender::{
    Issuance, Requirement, RequirementCategory, Tender, TenderIntervention, TenderKind, TenderTerms,
};
use ambito_domain::{ApplicationId, Cents, IstatCode, OrganizationId, PattoId, TenderId, Unit};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

const INTERVENTIONS: [&str; 2] = ["home_care_generic", "meals_delivery"];

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 1).unwrap() + Duration::days(n)
}

fn at(s: &str) -> DateTime<Utc> {
    parse_instant(s).unwrap()
}

fn item(i: usize) -> ScopeItem {
    ScopeItem {
        intervention: INTERVENTIONS[i].to_owned().try_into().unwrap(),
        municipality: IstatCode::parse("019021").unwrap(),
    }
}

fn call(authority: OrganizationId) -> Tender {
    let terms = TenderTerms {
        kind: TenderKind::ProviderList,
        title: "Elenco domiciliarità".into(),
        description: String::new(),
        reference_code: None,
        responsible_official: "Direttore".into(),
        municipalities: vec![IstatCode::parse("019021").unwrap()],
        interventions: INTERVENTIONS
            .iter()
            .map(|i| TenderIntervention {
                code: (*i).to_owned().try_into().unwrap(),
                unit: Unit::Hour,
                rate: Cents::new(2000).unwrap(),
            })
            .collect(),
        requirements: vec![Requirement {
            code: "no_exclusion_grounds".to_owned().try_into().unwrap(),
            category: RequirementCategory::General,
            description: "Assenza dei motivi di esclusione".into(),
            document_type: None,
        }],
        submission_deadline: at("2024-02-15T12:00"),
        clarification_deadline: at("2024-02-08T12:00"),
        validity_from: day(0),
        validity_to: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
    };
    let issuance = Issuance { authorities: vec![authority], districts: vec![], terms };
    let (mut t, _) = Tender::draft(TenderId::new(), issuance, at("2024-01-10T09:00")).unwrap();
    t.publish(at("2024-01-15T09:00")).unwrap();
    t
}

/// The patto runs from day 9 to day 70.
const FROM: i64 = 9;
const TO: i64 = 70;

#[derive(Debug, Clone)]
enum Command {
    Advance(i64),
    Sign(Side),
    RaiseRate { intervention: usize, rate: i64, from_in_days: i64 },
    DropMeals { from_in_days: i64 },
    Suspend { until_in_days: Option<i64> },
    Reinstate,
    Revoke,
    ToggleAccreditation(usize),
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        4 => (1i64..120).prop_map(Command::Advance),
        4 => prop_oneof![Just(Side::Provider), Just(Side::Authority)].prop_map(Command::Sign),
        2 => (0usize..2, 1000i64..3000, -3i64..40)
            .prop_map(|(intervention, rate, from_in_days)| Command::RaiseRate { intervention, rate, from_in_days }),
        1 => (-3i64..40).prop_map(|from_in_days| Command::DropMeals { from_in_days }),
        2 => prop::option::of(1i64..10).prop_map(|until_in_days| Command::Suspend { until_in_days }),
        2 => Just(Command::Reinstate),
        1 => Just(Command::Revoke),
        1 => (0usize..2).prop_map(Command::ToggleAccreditation),
    ]
}

/// One version of the terms as the model keeps it.
#[derive(Debug, Clone)]
struct Version {
    effective_from: NaiveDate,
    rates: [i64; 2],
    meals: bool,
    provider: Option<DateTime<Utc>>,
    authority: Option<DateTime<Utc>>,
}

impl Version {
    fn signed(&self) -> bool {
        self.signed_at().is_some()
    }

    fn signed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.provider?.max(self.authority?))
    }
}

#[derive(Debug)]
struct Model {
    versions: Vec<Version>,
    /// Suspensions as [from, until).
    suspensions: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    revoked: Option<DateTime<Utc>>,
    accredited: [bool; 2],
}

impl Model {
    fn suspended_at(&self, t: DateTime<Utc>) -> bool {
        self.suspensions.iter().any(|(from, until)| *from <= t && until.is_none_or(|u| t < u))
    }

    fn revoked_at(&self, t: DateTime<Utc>) -> bool {
        self.revoked.is_some_and(|r| r <= t)
    }

    /// Ends the suspension in force at `now`, if any, at `now`.
    fn cut(&mut self, now: DateTime<Utc>) {
        for (from, until) in &mut self.suspensions {
            if *from <= now && until.is_none_or(|u| now < u) {
                *until = Some(now);
            }
        }
    }

    fn refusal(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.revoked_at(now) {
            Some("patto_revoked")
        } else if rome_date(now) > day(TO) {
            Some("patto_expired")
        } else {
            None
        }
    }

    fn status(&self, now: DateTime<Utc>) -> PattoStatus {
        let today = rome_date(now);
        if self.revoked_at(now) {
            PattoStatus::Revoked
        } else if !self.versions[0].signed() {
            PattoStatus::Draft
        } else if today > day(TO) {
            PattoStatus::Expired
        } else if self.suspended_at(now) {
            PattoStatus::Suspended
        } else if today < day(FROM) {
            PattoStatus::Signed
        } else {
            PattoStatus::Active
        }
    }

    /// The rate at which the provider may serve item `i` on `d`, or nobody.
    fn serves(&self, i: usize, d: NaiveDate) -> Option<i64> {
        let t = end_of_day(d);
        // Nobody serves before the patto was signed; an amendment, once signed, applies from
        // the day both sides agreed, even a past one.
        if self.versions[0].signed_at().is_none_or(|s| s > t)
            || self.revoked_at(t)
            || self.suspended_at(t)
            || d < day(FROM)
            || d > day(TO)
        {
            return None;
        }
        let terms = self.versions.iter().rev().find(|v| v.signed() && v.effective_from <= d)?;
        let covered = i == 0 || terms.meals;
        (covered && self.accredited[i]).then_some(terms.rates[i])
    }
}

fn run(commands: Vec<Command>) -> Result<(), TestCaseError> {
    let authority = OrganizationId::new();
    let provider = OrganizationId::new();
    let tender = call(authority);
    let admitted: Vec<Admission> = (0..2)
        .map(|i| Admission { application_id: ApplicationId::new(), provider_id: provider, item: item(i) })
        .collect();
    let accreditations: Vec<Accreditation> = grant(&tender, &admitted, &[], None, at("2024-02-20T10:00"));
    let mut now = at("2024-03-01T12:00");
    let draft = Draft {
        number: "P-1".into(),
        scope: vec![item(0), item(1)],
        valid_from: day(FROM),
        valid_to: day(TO),
        obligations: String::new(),
    };
    let active: Vec<_> = accreditations.iter().map(|a| (a.clone(), AccreditationStatus::Active)).collect();
    let (mut patto, _) = Patto::draft(PattoId::new(), &tender, provider, authority, draft, &active, None, now).unwrap();
    let mut model = Model {
        versions: vec![Version {
            effective_from: day(FROM),
            rates: [2000, 2000],
            meals: true,
            provider: None,
            authority: None,
        }],
        suspensions: Vec::new(),
        revoked: None,
        accredited: [true, true],
    };

    for command in commands {
        let before = patto.clone();
        let (result, expected): (Result<(), String>, Result<(), &str>) = match command.clone() {
            Command::Advance(hours) => {
                now += Duration::hours(hours);
                (Ok(()), Ok(()))
            }
            Command::ToggleAccreditation(i) => {
                model.accredited[i] = !model.accredited[i];
                (Ok(()), Ok(()))
            }
            Command::Sign(side) => {
                let last = model.versions.last().unwrap();
                let already = match side {
                    Side::Provider => last.provider.is_some(),
                    Side::Authority => last.authority.is_some(),
                };
                let expected = match model.refusal(now) {
                    Some(code) => Err(code),
                    None if last.signed() => Err("nothing_to_sign"),
                    None if already => Err("already_signed"),
                    None => Ok(()),
                };
                if expected.is_ok() {
                    let last = model.versions.last_mut().unwrap();
                    match side {
                        Side::Provider => last.provider = Some(now),
                        Side::Authority => last.authority = Some(now),
                    }
                }
                (patto.sign(side, None, None, now).map(drop).map_err(|e| e.code().to_owned()), expected)
            }
            Command::RaiseRate { from_in_days, .. } | Command::DropMeals { from_in_days } => {
                let today = rome_date(now);
                let effective_from = today + Duration::days(from_in_days);
                let last = model.versions.last().unwrap().clone();
                let mut next = Version { effective_from, provider: None, authority: None, ..last.clone() };
                let (change, sensible) = match command {
                    Command::RaiseRate { intervention, rate, .. } => {
                        next.rates[intervention] = rate;
                        let code = INTERVENTIONS[intervention].to_owned().try_into().unwrap();
                        (Change::Rates(vec![(code, Cents::new(rate).unwrap())]), intervention == 0 || last.meals)
                    }
                    _ => {
                        next.meals = false;
                        (Change::ReduceScope(vec![item(1)]), last.meals)
                    }
                };
                let in_range =
                    effective_from >= today.max(day(FROM)).max(last.effective_from) && effective_from <= day(TO);
                let expected = match model.refusal(now) {
                    Some(code) => Err(code),
                    None if !model.versions[0].signed() => Err("patto_not_signed"),
                    None if !last.signed() => Err("amendment_pending"),
                    None if !(in_range && sensible) => Err("validation_failed"),
                    None => Ok(()),
                };
                if expected.is_ok() {
                    model.versions.push(next);
                }
                let result = patto.amend(change, effective_from, "Adeguamento".into(), None, now);
                (result.map(drop).map_err(|e| e.code().to_owned()), expected)
            }
            Command::Suspend { until_in_days } => {
                let until = until_in_days.map(|d| start_of_day(rome_date(now) + Duration::days(d)));
                let expected = model.refusal(now).map_or(Ok(()), Err);
                if expected.is_ok() {
                    model.cut(now);
                    model.suspensions.push((now, until));
                }
                let decision = Decision::Suspend { from: None, until };
                (
                    patto
                        .decide(decision, "Verifica".into(), None, None, now)
                        .map(drop)
                        .map_err(|e| e.code().to_owned()),
                    expected,
                )
            }
            Command::Reinstate => {
                let expected = match model.refusal(now) {
                    Some(code) => Err(code),
                    None if !model.suspended_at(now) => Err("patto_not_suspended"),
                    None => Ok(()),
                };
                if expected.is_ok() {
                    model.cut(now);
                }
                let result = patto.decide(Decision::Reinstate, "Verifica conclusa".into(), None, None, now);
                (result.map(drop).map_err(|e| e.code().to_owned()), expected)
            }
            Command::Revoke => {
                let expected = model.refusal(now).map_or(Ok(()), Err);
                if expected.is_ok() {
                    model.revoked = Some(now);
                }
                let result = patto.decide(Decision::Revoke, "Inadempienze".into(), None, None, now);
                (result.map(drop).map_err(|e| e.code().to_owned()), expected)
            }
        };
        prop_assert_eq!(result.as_ref().map(|_| ()).map_err(String::as_str), expected, "{:?} at {}", command, now);
        if result.is_err() {
            prop_assert_eq!(&patto, &before, "a refused command changes nothing");
        }

        prop_assert_eq!(
            patto.status(ambito_domain::measure::View::at(now)),
            model.status(now),
            "{:?} at {}",
            command,
            now
        );
        let statuses: Vec<_> = accreditations
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let status =
                    if model.accredited[i] { AccreditationStatus::Active } else { AccreditationStatus::Suspended };
                (a.provider_id, a.tender_id, a.item(), status)
            })
            .collect();
        for i in 0..2 {
            for d in (FROM - 2)..=(TO + 2) {
                let served = may_serve(std::slice::from_ref(&patto), &statuses, &item(i), day(d), now);
                let got = served.first().map(|e| e.rate.rate.get());
                prop_assert_eq!(got, model.serves(i, day(d)), "item {} on {} at {}", i, day(d), now);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn who_may_serve_follows_the_patto_and_its_accreditations(commands in prop::collection::vec(command(), 1..40)) {
        run(commands)?;
    }
}
