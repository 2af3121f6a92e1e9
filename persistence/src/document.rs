//! Metadata of stored documents (the bytes live in the document store).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::documents;
use crate::{DbConnection, Page, Paged, StoreError, from_db, stored, to_db};
use ambito_domain::DocumentId;
use ambito_domain::document::{Document, DocumentOwner};

fn owner_key(owner: DocumentOwner) -> (&'static str, String) {
    match owner {
        DocumentOwner::Tender(t) => ("tender", t.to_string()),
        DocumentOwner::Application(a) => ("application", a.to_string()),
        DocumentOwner::Patto(p) => ("patto", p.to_string()),
        DocumentOwner::Certificate(c) => ("certificate", c.to_string()),
    }
}

type Row = (String, String, String, String, String, String, i64, String, NaiveDateTime, Option<String>);

fn columns() -> (
    documents::id,
    documents::owner_type,
    documents::owner_id,
    documents::document_type,
    documents::filename,
    documents::content_type,
    documents::size_bytes,
    documents::sha256,
    documents::uploaded_at,
    documents::uploaded_by,
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
        documents::uploaded_at,
        documents::uploaded_by,
    )
}

fn to_document(row: Row) -> Result<Document, StoreError> {
    let (id, owner, owner_id, document_type, filename, content_type, size_bytes, sha256, at, by) = row;
    Ok(Document {
        id: stored("document id", id.parse())?,
        owner: match owner.as_str() {
            "tender" => DocumentOwner::Tender(stored("document owner", owner_id.parse())?),
            "patto" => DocumentOwner::Patto(stored("document owner", owner_id.parse())?),
            "certificate" => DocumentOwner::Certificate(stored("document owner", owner_id.parse())?),
            _ => DocumentOwner::Application(stored("document owner", owner_id.parse())?),
        },
        document_type: stored("document type", document_type.try_into())?,
        filename,
        content_type,
        size_bytes,
        sha256,
        uploaded_at: from_db(at),
        uploaded_by: by.as_deref().map(|b| stored("uploaded by", b.parse())).transpose()?,
    })
}

pub fn insert(conn: &mut DbConnection, doc: &Document) -> Result<(), StoreError> {
    let (owner_type, owner_id) = owner_key(doc.owner);
    diesel::insert_into(documents::table)
        .values((
            documents::id.eq(doc.id.to_string()),
            documents::owner_type.eq(owner_type),
            documents::owner_id.eq(owner_id),
            documents::document_type.eq(doc.document_type.as_str()),
            documents::filename.eq(&doc.filename),
            documents::content_type.eq(&doc.content_type),
            documents::size_bytes.eq(doc.size_bytes),
            documents::sha256.eq(&doc.sha256),
            documents::storage_key.eq(doc.storage_key()),
            documents::uploaded_at.eq(to_db(doc.uploaded_at)),
            documents::uploaded_by.eq(doc.uploaded_by.map(|u| u.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every storage key a document row names: what the store's files must be.
pub fn storage_keys(conn: &mut DbConnection) -> Result<std::collections::HashSet<String>, StoreError> {
    Ok(documents::table.select(documents::storage_key).load::<String>(conn)?.into_iter().collect())
}

/// Every document of an owner, oldest first: what a submission freezes.
pub fn all_of(conn: &mut DbConnection, owner: DocumentOwner) -> Result<Vec<Document>, StoreError> {
    Ok(of(conn, owner, &Page { after: None, limit: i64::MAX - 1 })?.items)
}

/// One page of an owner's documents, oldest first.
pub fn of(conn: &mut DbConnection, owner: DocumentOwner, page: &Page) -> Result<Paged<Document>, StoreError> {
    let (owner_type, owner_id) = owner_key(owner);
    let mut query = documents::table
        .filter(documents::owner_type.eq(owner_type))
        .filter(documents::owner_id.eq(owner_id))
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(documents::id.gt(after.clone()));
    }
    let rows: Vec<Row> = query.order(documents::id.asc()).limit(page.fetch()).select(columns()).load(conn)?;
    let list = rows.into_iter().map(to_document).collect::<Result<Vec<_>, _>>()?;
    Ok(page.finish(list, |d| d.id.to_string()))
}

pub fn get(conn: &mut DbConnection, owner: DocumentOwner, id: DocumentId) -> Result<Document, StoreError> {
    let (owner_type, owner_id) = owner_key(owner);
    let row: Row = documents::table
        .filter(documents::id.eq(id.to_string()))
        .filter(documents::owner_type.eq(owner_type))
        .filter(documents::owner_id.eq(owner_id))
        .select(columns())
        .get_result(conn)?;
    to_document(row)
}
