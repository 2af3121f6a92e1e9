//! Metadata of stored documents (the bytes live in the document store): what was uploaded, by
//! whom, its size and SHA-256.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::documents;
use crate::{Actor, DbConnection, StoreError, audit, from_db, stored_id, to_db};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Tender,
    Application,
}

impl Owner {
    fn as_str(self) -> &'static str {
        match self {
            Self::Tender => "tender",
            Self::Application => "application",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: Uuid,
    pub owner: Owner,
    pub owner_id: Uuid,
    pub document_type: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[serde(skip)]
    pub storage_key: String,
    pub uploaded_at: DateTime<Utc>,
}

type Row = (String, String, String, String, String, String, i64, String, String, NaiveDateTime);

fn columns() -> (
    documents::id,
    documents::owner_type,
    documents::owner_id,
    documents::document_type,
    documents::filename,
    documents::content_type,
    documents::size_bytes,
    documents::sha256,
    documents::storage_key,
    documents::uploaded_at,
) {
    (
        documents::id,
        documents::owner_type,
        documents::owner_id,
        documents::document_type,
        documents::filename,
        documents::content_type,
        documents::size_bytes,
        documents::sha256,
        documents::storage_key,
        documents::uploaded_at,
    )
}

fn to_document(row: Row) -> Result<Document, StoreError> {
    let (id, owner, owner_id, document_type, filename, content_type, size_bytes, sha256, storage_key, at) = row;
    Ok(Document {
        id: stored_id("document id", &id)?,
        owner: if owner == "tender" { Owner::Tender } else { Owner::Application },
        owner_id: stored_id("document owner", &owner_id)?,
        document_type,
        filename,
        content_type,
        size_bytes,
        sha256,
        storage_key,
        uploaded_at: from_db(at),
    })
}

pub fn add(conn: &mut DbConnection, actor: &Actor, doc: &Document) -> Result<(), StoreError> {
    diesel::insert_into(documents::table)
        .values((
            documents::id.eq(doc.id.to_string()),
            documents::owner_type.eq(doc.owner.as_str()),
            documents::owner_id.eq(doc.owner_id.to_string()),
            documents::document_type.eq(&doc.document_type),
            documents::filename.eq(&doc.filename),
            documents::content_type.eq(&doc.content_type),
            documents::size_bytes.eq(doc.size_bytes),
            documents::sha256.eq(&doc.sha256),
            documents::storage_key.eq(&doc.storage_key),
            documents::uploaded_at.eq(to_db(doc.uploaded_at)),
            documents::uploaded_by.eq(actor.user_id.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "document.uploaded",
        doc.owner.as_str(),
        &doc.owner_id.to_string(),
        None::<&()>,
        Some(doc),
    )
}

pub fn of(conn: &mut DbConnection, owner: Owner, owner_id: Uuid) -> Result<Vec<Document>, StoreError> {
    let rows: Vec<Row> = documents::table
        .filter(documents::owner_type.eq(owner.as_str()))
        .filter(documents::owner_id.eq(owner_id.to_string()))
        .order(documents::id.asc())
        .select(columns())
        .load(conn)?;
    rows.into_iter().map(to_document).collect()
}

pub fn get(conn: &mut DbConnection, owner: Owner, owner_id: Uuid, id: Uuid) -> Result<Document, StoreError> {
    let row: Row = documents::table
        .filter(documents::id.eq(id.to_string()))
        .filter(documents::owner_type.eq(owner.as_str()))
        .filter(documents::owner_id.eq(owner_id.to_string()))
        .select(columns())
        .first(conn)?;
    to_document(row)
}
