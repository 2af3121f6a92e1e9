//! Documents: multipart upload with a size limit and an allowed-type list (PDF, signed
//! `.p7m`), SHA-256 and size recorded, download verified against the hash. Shared by calls
//! and applications: access is checked before an upload is read, the bytes are stored, then
//! one command records the document with its event.

use actix_multipart::Multipart;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, post, web};
use ambito_domain::document::{Document, DocumentOwner};
use ambito_domain::{DocumentId, DocumentType};
use ambito_persistence::DbConnection;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Caller, MaybeCaller};
use crate::commands::tender as command;
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::openapi::{IdempotencyHeader, PublicDocumentDownload, PublicErrors, UploadErrors};
use crate::pagination::{Listing, PageQuery};
use crate::request_limits::{BodyDeadline, next_chunk};
use crate::storage::sha256_hex;

/// The largest document accepted.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The schema of a document upload: its type (as the call names it, such as `durc`) and the
/// file, nothing else. Written by hand: the derive cannot state `additionalProperties: false`.
pub struct DocumentUpload;

impl utoipa::PartialSchema for DocumentUpload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .property(
                "document_type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The document type, such as `durc` or `service_charter`"))
                    .min_length(Some(1))
                    .max_length(Some(64))
                    .pattern(Some("^\\S+$"))
                    .examples(["durc"]),
            )
            .required("document_type")
            .property(
                "file",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .description(Some("A PDF, or a signed `.p7m` envelope; at most 10 MiB")),
            )
            .required("file")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for DocumentUpload {}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    #[schema(example = "durc")]
    pub document_type: String,
    #[schema(example = "durc-2022.pdf")]
    pub filename: String,
    #[schema(example = "application/pdf")]
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    #[serde(serialize_with = "crate::time::rome")]
    pub uploaded_at: DateTime<Utc>,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> Self {
        Self {
            id: d.id.into(),
            document_type: d.document_type.into(),
            filename: d.filename,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            uploaded_at: d.uploaded_at,
        }
    }
}

struct Upload {
    document_type: DocumentType,
    filename: String,
    bytes: Bytes,
}

fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    use actix_multipart::MultipartError as E;
    match e {
        E::ContentTypeMissing | E::ContentTypeParse | E::ContentTypeIncompatible => ApiError::UnsupportedMediaType,
        other => ApiError::bad_request("invalid_multipart", format!("the upload could not be read: {other}")),
    }
}

/// An upload's form as it arrives, with the time it has to arrive in.
pub struct UploadForm {
    form: Multipart,
    deadline: BodyDeadline,
}

impl actix_web::FromRequest for UploadForm {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let deadline = BodyDeadline::of(req);
        std::future::ready(Multipart::from_request(req, payload).into_inner().map(|form| UploadForm { form, deadline }))
    }
}

async fn read_upload(UploadForm { mut form, deadline }: UploadForm) -> Result<Upload, ApiError> {
    let (mut document_type, mut file) = (None, None);
    while let Some(field) = next_chunk(&mut form, deadline).await? {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or("").to_owned();
        let limit = match name.as_str() {
            "document_type" => 64,
            "file" => MAX_DOCUMENT_BYTES,
            // Refused before its bytes are read.
            other => {
                return Err(ApiError::bad_request(
                    "invalid_multipart",
                    format!(
                        "unknown part `{}`: send a `document_type` part and a `file` part",
                        other.replace('\0', "")
                    ),
                ));
            }
        };
        let filename = field.content_disposition().and_then(|d| d.get_filename().map(str::to_owned));
        let mut buf = BytesMut::new();
        while let Some(chunk) = next_chunk(&mut field, deadline).await? {
            let chunk = chunk.map_err(multipart_error)?;
            if buf.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    ApiError::invalid_field("document_type", "at most 64 characters")
                });
            }
            buf.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some((filename.unwrap_or_else(|| "document".into()), buf.freeze()));
        } else {
            document_type = Some(
                String::from_utf8(buf.to_vec()).map_err(|_| ApiError::invalid_field("document_type", "not text"))?,
            );
        }
    }
    if document_type.as_ref().is_some_and(|t| t.contains('\0')) {
        return Err(ApiError::invalid_field("document_type", crate::error::NUL_MESSAGE));
    }
    let document_type = document_type.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let (Some(document_type), Some((filename, bytes))) = (document_type, file) else {
        return Err(ApiError::bad_request("invalid_multipart", "send a `document_type` part and a `file` part"));
    };
    let document_type = DocumentType::parse(&document_type)
        .map_err(|_| ApiError::invalid_field("document_type", "no spaces, such as durc or service_charter"))?;
    Ok(Upload { document_type, filename: sanitize(&filename), bytes })
}

/// Keeps the file name's last path segment, printable, at most 200 characters.
fn sanitize(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    if clean.trim().is_empty() { "document".into() } else { clean }
}

/// The content type, from the bytes: what a client declares is not trusted.
fn sniff(upload: &Upload) -> Result<&'static str, ApiError> {
    let b = &upload.bytes;
    if b.starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    let p7m = upload.filename.to_ascii_lowercase().ends_with(".p7m");
    // A CMS envelope: DER starts with a SEQUENCE tag; PEM with its armour.
    if p7m && (b.first() == Some(&0x30) || b.starts_with(b"-----BEGIN")) {
        return Ok("application/pkcs7-mime");
    }
    Err(ApiError::invalid_field("file", "only PDF documents and signed .p7m envelopes are accepted"))
}

/// What identifies an upload for `Idempotency-Key`: its type, name and bytes.
#[derive(Serialize)]
struct Fingerprint<'a> {
    document_type: &'a DocumentType,
    filename: &'a str,
    sha256: &'a str,
}

/// Reads an upload, stores its bytes and records it with `record` (one command, with its
/// event), at most once per `Idempotency-Key`. Access must have been checked already.
pub async fn upload<R>(
    state: &AppState,
    caller: &Caller,
    owner: DocumentOwner,
    location: String,
    key: IdempotencyKey,
    form: UploadForm,
    record: R,
) -> Result<HttpResponse, ApiError>
where
    R: Fn(&mut DbConnection, &Document) -> Result<(), ApiError> + Send + Sync + 'static,
{
    let upload = read_upload(form).await?;
    let content_type = sniff(&upload)?;
    let document = Document {
        id: DocumentId::new(),
        owner,
        document_type: upload.document_type,
        filename: upload.filename,
        content_type: content_type.to_owned(),
        size_bytes: upload.bytes.len() as i64,
        sha256: sha256_hex(&upload.bytes),
        uploaded_at: state.clock.now(),
        uploaded_by: Some(caller.actor.user),
    };
    let fingerprint = serde_json::to_value(Fingerprint {
        document_type: &document.document_type,
        filename: &document.filename,
        sha256: &document.sha256,
    })
    .expect("fingerprints serialize");
    if let Some(replayed) = idempotency::earlier_answer(state, caller, &key, &location, &fingerprint).await? {
        return Ok(replayed);
    }
    let storage_key = document.storage_key();
    state.documents.put(&storage_key, upload.bytes).await?;
    let scope = location.clone();
    let answer = idempotency::run(state, caller, key, &scope, &fingerprint, move |tx| {
        record(tx, &document)?;
        let location = format!("{location}/{}", document.id);
        Ok(Created::new(&DocumentView::from(document.clone()), location, None))
    })
    .await;
    if answer.is_err() {
        // No row names the file: it goes now (or, if this fails, at the next start-up's sweep).
        state.documents.discard(&storage_key).await;
    }
    answer
}

/// Answers a stored document's bytes, after checking them against their hash.
pub async fn download(state: &AppState, doc: Document) -> Result<HttpResponse, ApiError> {
    let bytes = state.documents.get_verified(&doc.storage_key(), &doc.sha256).await?;
    Ok(HttpResponse::Ok()
        .content_type(doc.content_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(doc.filename)],
        })
        .insert_header(("X-Content-SHA256", doc.sha256))
        .body(bytes))
}

/// Attach a document to a call
///
/// Staff of an issuing authority, while the call is a draft or open.
#[utoipa::path(
    tag = "tenders",
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    params(
        ("id" = Uuid, Path, description = "The call's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Stored", body = DocumentView, headers(("Location" = String))), UploadErrors),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/documents")]
pub async fn upload_tender_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    form: UploadForm,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().into();
    let (actor, now) = (caller.actor, state.clock.now());
    state.read(move |tx| command::may_attach(tx, &actor, now, id)).await?;
    let ctx = state.context(&caller);
    let location = format!("/api/v1/tenders/{id}/documents");
    upload(&state, &caller, DocumentOwner::Tender(id), location, key, form, move |tx, doc| {
        command::attach(tx, &ctx, doc)
    })
    .await
}

/// List a call's documents
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), PageQuery),
    responses((status = 200, description = "Documents, oldest first", body = Listing<DocumentView>), PublicErrors),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/documents")]
pub async fn list_tender_documents(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor(), id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::documents(tx, actor.as_ref(), id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, DocumentView::from)))
}

/// Download a call's document
///
/// The bytes as uploaded, checked against their SHA-256 (also sent as `X-Content-SHA256`).
#[utoipa::path(
    tag = "tenders",
    params(("id" = Uuid, Path, description = "The call's id"), ("document_id" = Uuid, Path, description = "The document's id")),
    responses(PublicDocumentDownload),
    security((), ("bearer" = []))
)]
#[get("/tenders/{id}/documents/{document_id}")]
pub async fn download_tender_document(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, document_id) = path.into_inner();
    let actor = caller.actor();
    let doc = state.read(move |tx| command::document(tx, actor.as_ref(), id.into(), document_id.into())).await?;
    download(&state, doc).await
}
