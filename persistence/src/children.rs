//! An aggregate's child tables read in one statement: a `UNION ALL` of one branch per table,
//! each shaped into the same row (owner id, kind, then typed slots). Reading a call with all its
//! terms is then two statements whatever the number of its child tables, not one per table.
//!
//! The statement is built once per aggregate with a static query id, so every connection
//! prepares it once and reuses it; the owners are one bound value (an array on PostgreSQL, a
//! JSON array on SQLite), so the text does not change with their number.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use crate::{DbConnection, StoreError, on_backend};

/// The shape of every branch: owner, kind, then the slots a branch fills (others are NULL).
pub(crate) type ChildSql = (
    Text,
    Text,
    Nullable<BigInt>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<BigInt>,
    Nullable<Bool>,
    Nullable<Timestamp>,
    Nullable<Timestamp>,
    Nullable<Timestamp>,
    Nullable<Timestamp>,
);

/// One child row: `n` orders rows of a kind (position, number), `s*` are texts, `i` an
/// integer, `b` a flag, `t*` instants.
#[derive(Debug, Clone, diesel::Queryable)]
pub(crate) struct Child {
    pub owner: String,
    pub kind: String,
    pub n: Option<i64>,
    pub s1: Option<String>,
    pub s2: Option<String>,
    pub s3: Option<String>,
    pub s4: Option<String>,
    pub i: Option<i64>,
    pub b: Option<bool>,
    pub t1: Option<NaiveDateTime>,
    pub t2: Option<NaiveDateTime>,
    pub t3: Option<NaiveDateTime>,
    pub t4: Option<NaiveDateTime>,
}

impl Child {
    pub fn text(&self, slot: &Option<String>, what: &str) -> Result<String, StoreError> {
        slot.clone().ok_or_else(|| StoreError::Corrupt(format!("{what} of {} is missing", self.owner)))
    }

    pub fn instant(&self, slot: Option<NaiveDateTime>, what: &str) -> Result<NaiveDateTime, StoreError> {
        slot.ok_or_else(|| StoreError::Corrupt(format!("{what} of {} is missing", self.owner)))
    }
}

/// The union of an aggregate's child tables, named by the marker `M` (its statement's identity
/// in the connections' statement caches). Each branch is a `SELECT … WHERE <owner column>`
/// that the owners' predicate completes.
pub(crate) struct Children<M> {
    branches: &'static [&'static str],
    ids: Vec<String>,
    json: String,
    marker: PhantomData<M>,
}

impl<M: 'static> Children<M> {
    pub fn new(branches: &'static [&'static str], ids: &[&str]) -> Self {
        let ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
        let json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
        Self { branches, ids, json, marker: PhantomData }
    }

    /// The child rows of the owners, ordered by owner, kind, `n`, `s1`, then `s2`.
    pub fn load(self, conn: &mut DbConnection) -> Result<Vec<Child>, StoreError> {
        if self.ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(on_backend!(conn, |c| RunQueryDsl::load::<Child>(self, c))?)
    }
}

impl<M: 'static> QueryId for Children<M> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M> Query for Children<M> {
    type SqlType = ChildSql;
}

impl<M, C> RunQueryDsl<C> for Children<M> {}

impl<M> QueryFragment<Pg> for Children<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for (n, branch) in self.branches.iter().enumerate() {
            out.push_sql(if n > 0 { " UNION ALL " } else { "" });
            out.push_sql(branch);
            out.push_sql(" = ANY(");
            out.push_bind_param::<Array<Text>, _>(&self.ids)?;
            out.push_sql(")");
        }
        out.push_sql(ORDER);
        Ok(())
    }
}

impl<M> QueryFragment<Sqlite> for Children<M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        for (n, branch) in self.branches.iter().enumerate() {
            out.push_sql(if n > 0 { " UNION ALL " } else { "" });
            out.push_sql(branch);
            // SQLite has no arrays: the owners come as one JSON array, expanded by json_each.
            out.push_sql(" IN (SELECT value FROM json_each(");
            out.push_bind_param::<Text, _>(&self.json)?;
            out.push_sql("))");
        }
        out.push_sql(ORDER);
        Ok(())
    }
}

const ORDER: &str = " ORDER BY 1, 2, 3, 4, 5";
