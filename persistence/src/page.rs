//! Keyset pagination: every list is ordered by a unique key, and the cursor is the last key
//! seen, so pages stay stable while rows are added.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The cursor of a list ordered by an instant, then by id: both, so that the next page starts
/// after the last row seen even among rows of the same instant. Written at a fixed width, so
/// that lists sorted in memory may compare keys as text; to the nanosecond, as SQLite keeps
/// instants, so that the last row seen is not seen again.
pub fn instant_key(at: DateTime<Utc>, id: impl std::fmt::Display) -> String {
    format!("{}|{id}", crate::to_db(at).format("%Y-%m-%dT%H:%M:%S%.9f"))
}

/// The instant and id of an [`instant_key`]; `None` for any other text.
pub fn split_instant_key(cursor: &str) -> Option<(NaiveDateTime, &str)> {
    let (at, id) = cursor.split_once('|')?;
    Some((NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").ok()?, id))
}

/// The cursor of a list ordered by a day (stored as ISO text, which sorts as the days do),
/// then by id.
pub fn day_key(day: NaiveDate, id: impl std::fmt::Display) -> String {
    format!("{}|{id}", day.format("%Y-%m-%d"))
}

/// The day (as stored) and id of a [`day_key`]; `None` for any other text.
pub fn split_day_key(cursor: &str) -> Option<(String, &str)> {
    let (day, id) = cursor.split_once('|')?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((day.format("%Y-%m-%d").to_string(), id))
}

/// What a caller asks for: the rows after `after`, at most `limit` of them.
#[derive(Debug, Clone)]
pub struct Page {
    pub after: Option<String>,
    pub limit: i64,
}

/// One page of results, and the key to continue from when more rows follow.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl Page {
    /// How many rows to fetch: one more than asked, to learn whether another page follows.
    pub(crate) fn fetch(&self) -> i64 {
        self.limit + 1
    }

    pub(crate) fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Paged<T> {
        let limit = usize::try_from(self.limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Paged { items: rows, next }
    }
}

impl Page {
    /// One page of a list computed in memory, ordered by `key`.
    pub fn of<T>(&self, items: Vec<T>, key: impl Fn(&T) -> String) -> Paged<T> {
        let fetch = usize::try_from(self.fetch()).unwrap_or(usize::MAX);
        let rows: Vec<T> = items
            .into_iter()
            .filter(|item| self.after.as_ref().is_none_or(|after| key(item) > *after))
            .take(fetch)
            .collect();
        self.finish(rows, key)
    }
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}
