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
