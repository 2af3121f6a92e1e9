//! The measures on accreditations and patti, appended and never changed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::measures;
use crate::stored_date;
use crate::{DbConnection, StoreError, from_db, stored, to_db};
use ambito_domain::event::SubjectKind;
use ambito_domain::measure::{Act, Measure};

/// A measure's row, and the id of its subject.
type SubjectRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    Option<String>,
    String,
);

type Row = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    Option<String>,
);

pub(crate) fn act(number: Option<String>, date: Option<String>) -> Result<Option<Act>, StoreError> {
    match (number, date) {
        (Some(number), Some(date)) => Ok(Some(Act { number, date: stored_date("act date", &date)? })),
        _ => Ok(None),
    }
}

pub fn insert(conn: &mut DbConnection, subject: SubjectKind, subject_id: &str, m: &Measure) -> Result<(), StoreError> {
    diesel::insert_into(measures::table)
        .values((
            measures::id.eq(m.id.to_string()),
            measures::subject_type.eq(subject.as_str()),
            measures::subject_id.eq(subject_id),
            measures::kind.eq(m.kind.as_str()),
            measures::reason.eq(&m.reason),
            measures::effective_from.eq(to_db(m.effective_from)),
            measures::effective_until.eq(m.effective_until.map(to_db)),
            measures::act_number.eq(m.act.as_ref().map(|a| a.number.as_str())),
            measures::act_date.eq(m.act.as_ref().map(|a| a.date.to_string())),
            measures::recorded_at.eq(to_db(m.recorded_at)),
            measures::recorded_by.eq(m.recorded_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The measures of the given subjects, each with its subject's id, oldest first.
pub fn of(conn: &mut DbConnection, subject: SubjectKind, ids: &[String]) -> Result<Vec<(String, Measure)>, StoreError> {
    let mut rows: Vec<(String, Row)> = Vec::new();
    for chunk in ids.chunks(500) {
        let found: Vec<SubjectRow> = measures::table
            .filter(measures::subject_type.eq(subject.as_str()))
            .filter(measures::subject_id.eq_any(chunk))
            .order(measures::id.asc())
            .select((
                measures::id,
                measures::kind,
                measures::reason,
                measures::subject_type,
                measures::effective_from,
                measures::effective_until,
                measures::act_number,
                measures::act_date,
                measures::recorded_at,
                measures::recorded_by,
                measures::subject_id,
            ))
            .load(conn)?;
        rows.extend(found.into_iter().map(|(id, kind, reason, t, from, until, n, d, at, by, subject)| {
            (subject, (id, kind, reason, t, from, until, n, d, at, by))
        }));
    }
    rows.into_iter()
        .map(|(subject, (id, kind, reason, _, from, until, number, date, at, by))| {
            Ok((
                subject,
                Measure {
                    id: stored("measure id", id.parse())?,
                    kind: stored("measure kind", kind.parse())?,
                    reason,
                    effective_from: from_db(from),
                    effective_until: until.map(from_db),
                    act: act(number, date)?,
                    recorded_at: from_db(at),
                    recorded_by: by.as_deref().map(|b| stored("recorded by", b.parse())).transpose()?,
                },
            ))
        })
        .collect()
}
