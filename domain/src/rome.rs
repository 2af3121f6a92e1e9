//! Time as the calls state it: Europe/Rome. Instants are stored in UTC; they are shown in Rome
//! time with the offset, and date arithmetic is done on the Rome calendar, so that "14 days
//! later" across a daylight-saving change keeps its local hour (a lesson of ProZorro's).

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Rome;

/// An instant as Rome's clocks show it, with its offset (+01:00 or +02:00).
/// An instant as every answer shows it: Rome's offset, at most microseconds.
pub fn in_rome(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6).with_timezone(&Rome).fixed_offset()
}

/// The instant Rome's clocks show as `local`. A time skipped by the spring change (02:00-03:00)
/// moves forward by the gap; a time repeated in autumn is the first of the two.
pub fn rome_local(local: NaiveDateTime) -> DateTime<Utc> {
    match Rome.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => rome_local(local + Duration::hours(1)),
    }
}

/// `days` calendar days after `t` in Rome, at the same local time.
pub fn add_days(t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    rome_local(t.with_timezone(&Rome).naive_local() + Duration::days(days))
}

/// The instant a Rome calendar day begins.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    rome_local(date.and_time(chrono::NaiveTime::MIN))
}

/// The last instant (to the microsecond) of a Rome calendar day: "on that date" as the day's
/// end, so that whatever happened during the day counts.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    start_of_day(date + Duration::days(1)) - Duration::microseconds(1)
}

/// The Rome calendar date of an instant.
pub fn rome_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Rome).date_naive()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    #[error("expected a date and time such as 2022-05-30T12:00:00+02:00 (without an offset, Rome time is meant)")]
    Unreadable,
    /// No procedure of this system happens outside these years, and an instant far outside
    /// them could not be written back as RFC 3339.
    #[error("expected a date and time between {FIRST_YEAR} and {LAST_YEAR} (Europe/Rome)")]
    OutOfRange,
}

pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2099;

/// Parses an instant: RFC 3339 with an offset, or a local date and time read as Rome time;
/// within the years [`FIRST_YEAR`] to [`LAST_YEAR`] in Rome.
pub fn parse_instant(input: &str) -> Result<DateTime<Utc>, InstantError> {
    let input = input.trim();
    let t = match DateTime::parse_from_rfc3339(input) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(input, f).ok())
            .map(rome_local)
            .ok_or(InstantError::Unreadable)?,
    };
    if !(FIRST_YEAR..=LAST_YEAR).contains(&chrono::Datelike::year(&rome_date(t))) {
        return Err(InstantError::OutOfRange);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn seed_000s_deadline_is_noon_in_rome_in_summer_time() {
        let deadline = parse_instant("2022-05-30T12:00:00+02:00").unwrap();
        assert_eq!(deadline, utc("2022-05-30T10:00:00Z"));
        assert_eq!(in_rome(deadline).to_rfc3339(), "2022-05-30T12:00:00+02:00");
        // Written without an offset, it means Rome time.
        assert_eq!(parse_instant("2022-05-30T12:00").unwrap(), deadline);
        assert_eq!(parse_instant("2022-01-31 12:00").unwrap(), utc("2022-01-31T11:00:00Z"));
        assert!(parse_instant("30/05/2022 12:00").is_err());
    }

    #[test]
    fn instants_outside_any_real_procedure_are_refused() {
        for input in ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "1900-05-30T12:00", "2100-01-01T00:00:00+01:00"] {
            assert_eq!(parse_instant(input), Err(InstantError::OutOfRange), "{input}");
        }
        // The bounds are Rome's years: 23:30 UTC on 31 December 1999 is already 2000 in Rome.
        assert!(parse_instant("1999-12-31T23:30:00Z").is_ok());
        assert!(parse_instant("2099-12-31T23:59:59+01:00").is_ok());
    }

    #[test]
    fn adding_days_across_daylight_saving_changes_keeps_the_local_hour() {
        // 27 March 2022 clocks went forward; 30 October 2022 back.
        let before_spring = parse_instant("2022-03-20T12:00").unwrap();
        assert_eq!(in_rome(add_days(before_spring, 14)).to_rfc3339(), "2022-04-03T12:00:00+02:00");
        let before_autumn = parse_instant("2022-10-25T12:00").unwrap();
        assert_eq!(in_rome(add_days(before_autumn, 7)).to_rfc3339(), "2022-11-01T12:00:00+01:00");
        // Naive UTC arithmetic would have landed an hour off.
        assert_ne!(add_days(before_spring, 14), before_spring + Duration::days(14));
    }

    #[test]
    fn skipped_and_repeated_local_times_resolve_predictably() {
        let skipped = NaiveDate::from_ymd_opt(2022, 3, 27).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(in_rome(rome_local(skipped)).to_rfc3339(), "2022-03-27T03:30:00+02:00");
        let repeated = NaiveDate::from_ymd_opt(2022, 10, 30).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(in_rome(rome_local(repeated)).to_rfc3339(), "2022-10-30T02:30:00+02:00");
    }

    proptest! {
        #[test]
        fn adding_days_keeps_the_local_time_of_day(secs in 1_600_000_000i64..1_900_000_000, days in 0i64..800) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let local = t.with_timezone(&Rome).naive_local();
            let later = add_days(t, days).with_timezone(&Rome).naive_local();
            prop_assert_eq!(later.date(), local.date() + Duration::days(days));
            // Equal, unless the time does not exist on the later day (moved past the gap).
            prop_assert!(later.time() == local.time() || later.time() == local.time() + Duration::hours(1));
        }
    }
}
