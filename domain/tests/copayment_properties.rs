//! The co-payment's rules as properties: for any formula, tariff and ISEE the family's share is
//! within 0..=tariff and the authority pays exactly the rest; the share never falls as the ISEE
//! rises (no ISEE counts as the highest); a linear rule charges nothing at or below its floor and
//! the tariff at or above its ceiling. A schedule's periods cover each day once, each with the
//! split of the rule and ISEE in force that day; a new ISEE changes nothing before its date.

use ambito_domain::copayment::{Band, Formula, Rule, on, schedule, split};
use ambito_domain::isee::{Isee, IseeKind};
use ambito_domain::{BeneficiaryId, Cents, CopaymentRuleId, IseeId, OrganizationId};
use chrono::{Duration, NaiveDate, Utc};
use proptest::prelude::*;

fn cents(c: i64) -> Cents {
    Cents::new(c).unwrap()
}

fn formula() -> impl Strategy<Value = Formula> {
    prop_oneof![
        Just(Formula::Free),
        (0i64..5_000).prop_map(|s| Formula::Fixed { share: cents(s) }),
        (0i64..3_000_000, 1i64..3_000_000)
            .prop_map(|(floor, width)| Formula::Linear { floor: cents(floor), ceiling: cents(floor + width) }),
        prop::collection::vec((1i64..500_000, 0i64..1_000), 0..5).prop_map(|steps| {
            let (mut up_to, mut share) = (0, 0);
            let mut bands: Vec<Band> = steps
                .into_iter()
                .map(|(up, more)| {
                    up_to += up;
                    share += more;
                    Band { up_to: Some(cents(up_to)), share: cents(share) }
                })
                .collect();
            bands.push(Band { up_to: None, share: cents(share + 100) });
            Formula::Bands { bands }
        }),
    ]
}

fn isee() -> impl Strategy<Value = Option<Cents>> {
    prop::option::weighted(0.9, (0i64..6_000_000).prop_map(cents))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn the_family_share_is_bounded_monotone_and_adds_up(
        formula in formula(),
        tariff in (0i64..100_000).prop_map(cents),
        a in isee(),
        b in isee(),
    ) {
        prop_assert!(formula.check().is_ok());
        let (low, high) = match (a, b) {
            (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y))),
            (None, other) | (other, None) => (other, None),
        };
        let (sl, sh) = (split(&formula, tariff, low), split(&formula, tariff, high));
        for s in [sl, sh] {
            prop_assert!(s.family <= tariff);
            prop_assert_eq!(s.family.get() + s.authority.get(), tariff.get());
        }
        prop_assert!(sl.family <= sh.family, "monotone: {:?} at {:?} pays {:?}, at {:?} {:?}", formula, low, sl, high, sh);
        if let Formula::Linear { floor, ceiling } = formula {
            prop_assert_eq!(split(&formula, tariff, Some(floor)).family.get(), 0);
            prop_assert_eq!(split(&formula, tariff, Some(ceiling)).family, tariff);
            if let Some(i) = low {
                let exact = tariff.get() as f64 * (i.get() - floor.get()) as f64 / (ceiling.get() - floor.get()) as f64;
                let expected = exact.clamp(0.0, tariff.get() as f64);
                prop_assert!((sl.family.get() as f64 - expected).abs() <= 0.5 + 1e-9, "rounded to the nearest cent");
            }
        }
    }

    #[test]
    fn a_schedule_covers_each_day_with_what_is_in_force_and_a_new_isee_changes_nothing_before_it(
        versions in prop::collection::vec((1i64..60, formula()), 1..4),
        isees in prop::collection::vec((0i64..200, 0i64..400, 0i64..3_000_000, any::<bool>()), 0..4),
        later in (0i64..200, 0i64..400, 0i64..3_000_000),
        tariff in (1i64..5_000).prop_map(cents),
    ) {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let day = |n: i64| start + Duration::days(n);
        let authority = OrganizationId::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut from = day(10);
        for (gap, formula) in versions {
            let previous = rules.last().cloned();
            let (rule, closed, _) = Rule::enact(
                CopaymentRuleId::new(),
                authority,
                "home_care_generic".to_owned().try_into().unwrap(),
                IseeKind::Ordinary,
                formula,
                from,
                previous.as_ref(),
                start,
                None,
                Utc::now(),
            )
            .unwrap();
            if let Some(closed) = closed {
                *rules.last_mut().unwrap() = closed;
            }
            rules.push(rule);
            from += Duration::days(gap);
        }
        let beneficiary = BeneficiaryId::new();
        let isee_of = |issued: i64, length: i64, value: i64, kind: IseeKind| Isee {
            id: IseeId::new(),
            beneficiary_id: beneficiary,
            kind,
            value: cents(value),
            dsu_protocol: "INPS-ISEE-2024".into(),
            issued_on: day(issued),
            expires_on: day(issued + length),
            recorded_at: Utc::now(),
            recorded_by: None,
        };
        let mut records: Vec<Isee> = isees
            .into_iter()
            .map(|(issued, length, value, ordinary)| {
                isee_of(issued, length, value, if ordinary { IseeKind::Ordinary } else { IseeKind::SocioSanitario })
            })
            .collect();
        let (first, last) = (day(0), day(300));
        let periods = schedule(&rules, &records, tariff, first, last);
        for window in periods.windows(2) {
            prop_assert!(window[0].to < window[1].from);
        }
        for n in 0..=300 {
            let d = day(n);
            let rule = rules.iter().find(|r| r.in_force_on(d));
            match (rule, on(&periods, d)) {
                (None, None) => {}
                (Some(rule), Some(p)) => {
                    let isee = records
                        .iter()
                        .filter(|i| i.kind == rule.isee_kind && i.valid_on(d))
                        .max_by_key(|i| (i.issued_on, i.recorded_at))
                        .filter(|_| rule.formula.takes_isee());
                    prop_assert_eq!(p.basis.rule_id, rule.id);
                    prop_assert_eq!(p.basis.isee_id, isee.map(|i| i.id));
                    prop_assert_eq!(p.basis.split, split(&rule.formula, tariff, isee.map(|i| i.value)));
                }
                (rule, period) => prop_assert!(false, "day {}: rule {:?}, period {:?}", d, rule.map(|r| r.version), period),
            }
        }
        let (issued, length, value) = later;
        let added = isee_of(issued, length, value, IseeKind::Ordinary);
        let cut = added.issued_on;
        records.push(added);
        let after = schedule(&rules, &records, tariff, first, last);
        for n in 0..=300 {
            let d = day(n);
            if d < cut {
                prop_assert_eq!(on(&periods, d).map(|p| p.basis.split), on(&after, d).map(|p| p.basis.split), "{} is before the new ISEE", d);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// A delivered line's cost: the amount is the units at the rate to the nearest cent (half
    /// up), the family's share never more than the amount, and the two shares add up to it.
    #[test]
    fn a_lines_cost_adds_up_to_the_cent(
        quantity in 1u32..100_000,
        per in prop_oneof![Just(60u32), Just(100u32)],
        rate in (0i64..10_000).prop_map(cents),
        family in (0i64..10_000).prop_map(cents),
    ) {
        let c = ambito_domain::delivery_report::cost(quantity, per, rate, family);
        let exact = rate.get() as f64 * f64::from(quantity) / f64::from(per);
        prop_assert!((c.amount.get() as f64 - exact).abs() <= 0.5 + 1e-6, "{:?} for {}", c, exact);
        prop_assert!(c.family <= c.amount);
        prop_assert_eq!(c.family.get() + c.authority.get(), c.amount.get());
        let share = family.get() as f64 * f64::from(quantity) / f64::from(per);
        prop_assert!(c.family.get() as f64 <= share + 0.5 + 1e-6);
    }
}
