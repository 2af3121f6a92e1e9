//! Documents attached to calls and applications: what was uploaded, its size and SHA-256. The
//! bytes live in the document store under a key that follows from the owner and the id.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::DocumentType;
use crate::ids::{ApplicationId, CertificateId, DocumentId, PattoId, TenderId, UserId};

/// What a document belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "owner_type", content = "owner_id", rename_all = "snake_case")]
pub enum DocumentOwner {
    Tender(TenderId),
    Application(ApplicationId),
    /// A signed copy of a patto.
    Patto(PattoId),
    /// A provider's certificate (DURC, registrations).
    Certificate(CertificateId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: DocumentId,
    pub owner: DocumentOwner,
    pub document_type: DocumentType,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: Option<UserId>,
}

impl Document {
    /// Where the bytes are kept in the document store.
    pub fn storage_key(&self) -> String {
        match self.owner {
            DocumentOwner::Tender(t) => format!("tenders/{t}/{}", self.id),
            DocumentOwner::Application(a) => format!("applications/{a}/{}", self.id),
            DocumentOwner::Patto(p) => format!("patti/{p}/{}", self.id),
            DocumentOwner::Certificate(c) => format!("certificates/{c}/{}", self.id),
        }
    }
}
