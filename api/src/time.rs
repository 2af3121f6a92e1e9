//! One form of time in every answer: RFC 3339 with the Europe/Rome offset, at most
//! microseconds. Views that hold an instant as UTC serialize it through these.

use chrono::{DateTime, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "crate::time::rome")]` on a `DateTime<Utc>` field.
pub fn rome<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ambito_domain::rome::in_rome(*t).to_rfc3339())
}

/// `#[serde(serialize_with = "crate::time::rome_opt")]` on an `Option<DateTime<Utc>>` field.
pub fn rome_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rome(t, s),
        None => s.serialize_none(),
    }
}

/// A stored record (an audit snapshot, an event's payload) with its instants in the same form:
/// records keep what serde wrote (UTC, to the nanosecond), and are shown as every view shows
/// time. Dates without a time of day are not instants and stay as they are.
pub fn rome_in_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => match DateTime::parse_from_rfc3339(&text) {
            Ok(t) => Value::String(ambito_domain::rome::in_rome(t.to_utc()).to_rfc3339()),
            Err(_) => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(rome_in_json).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, rome_in_json(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::rome_in_json;

    #[test]
    fn instants_inside_records_are_shown_in_rome_time_to_the_microsecond() {
        let stored = json!({
            "submitted_at": "2022-05-30T09:59:59.123456789Z",
            "rounds": [{"opened_at": "2022-01-15T08:00:00Z", "concluded_at": null}],
            "validity_from": "2022-07-01",
            "note": "scade alle 12",
            "version": 3
        });
        assert_eq!(
            rome_in_json(stored),
            json!({
                "submitted_at": "2022-05-30T11:59:59.123456+02:00",
                "rounds": [{"opened_at": "2022-01-15T09:00:00+01:00", "concluded_at": null}],
                "validity_from": "2022-07-01",
                "note": "scade alle 12",
                "version": 3
            })
        );
    }
}
