//! Providers' requirements with an expiry: the certificates a provider records (DURC, chamber
//! of commerce, register of social cooperatives, RUNTS) with their document, and the
//! confirmation by which an authority's staff bring a lapsed provider's accreditations back.

use actix_web::{HttpResponse, get, post, web};
use ambito_domain::document::DocumentOwner;
use ambito_domain::measure::Act;
use ambito_domain::requirement::{Certificate, CertificateKind, Confirmation};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::requirement::{self as command, CertificateInput};
use crate::error::ApiError;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::json::Json;
use crate::openapi::{CreateErrors, DocumentDownload, IdempotencyHeader, ReadErrors, UploadErrors};
use crate::pagination::{Listing, PageQuery};
use crate::routes::accreditations::ActView;
use crate::routes::documents;
use ambito_domain::rome::in_rome;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKindView {
    /// Documento unico di regolarità contributiva.
    Durc,
    ChamberOfCommerce,
    SocialCooperativesRegister,
    /// Registro unico nazionale del terzo settore.
    Runts,
}

impl From<CertificateKindView> for CertificateKind {
    fn from(k: CertificateKindView) -> Self {
        match k {
            CertificateKindView::Durc => Self::Durc,
            CertificateKindView::ChamberOfCommerce => Self::ChamberOfCommerce,
            CertificateKindView::SocialCooperativesRegister => Self::SocialCooperativesRegister,
            CertificateKindView::Runts => Self::Runts,
        }
    }
}

impl From<CertificateKind> for CertificateKindView {
    fn from(k: CertificateKind) -> Self {
        match k {
            CertificateKind::Durc => Self::Durc,
            CertificateKind::ChamberOfCommerce => Self::ChamberOfCommerce,
            CertificateKind::SocialCooperativesRegister => Self::SocialCooperativesRegister,
            CertificateKind::Runts => Self::Runts,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "durc", "reference": "INPS_41234567", "valid_from": "2024-03-01", "valid_until": "2024-06-29"}))]
pub struct CertificateInputView {
    pub kind: CertificateKindView,
    /// The certificate's own number or protocol.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub reference: Option<String>,
    pub valid_from: NaiveDate,
    /// The last day it is valid: the next day, with no valid one recorded, the provider's
    /// accreditations lapse.
    pub valid_until: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub kind: CertificateKindView,
    pub reference: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The document, once attached (`GET .../document`).
    pub document_id: Option<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: DateTime<FixedOffset>,
}

impl From<Certificate> for CertificateView {
    fn from(c: Certificate) -> Self {
        Self {
            id: c.id.into(),
            provider_id: c.provider_id.into(),
            kind: c.kind.into(),
            reference: c.reference,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            document_id: c.document_id.map(Into::into),
            recorded_at: in_rome(c.recorded_at),
        }
    }
}

/// Record a certificate
///
/// A provider's members record its DURC and registrations, valid today or later; attach the
/// document next. A valid certificate recorded after a lapse brings the accreditations back once
/// the accrediting authority's staff confirm.
#[utoipa::path(
    tag = "providers",
    request_body = CertificateInputView,
    params(
        ("id" = Uuid, Path, description = "The provider's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Recorded", body = CertificateView, headers(("Location" = String))), CreateErrors),
    security(("bearer" = []))
)]
#[post("/providers/{id}/certificates")]
pub async fn record_certificate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<CertificateInputView>,
) -> Result<HttpResponse, ApiError> {
    let provider = id.into_inner();
    let body = body.into_inner();
    let reference = match body.reference.as_deref() {
        Some(r) => Some(crate::text("reference", r, 1, 100)?),
        None => None,
    };
    let input = CertificateInput {
        kind: body.kind.into(),
        reference,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
    };
    let ctx = state.context(&caller);
    let scope = format!("providers/{provider}/certificates");
    idempotency::run(&state, &caller, key, &scope, &body, move |tx| {
        let certificate = command::record(tx, &ctx, provider.into(), input.clone())?;
        let location = format!("/api/v1/providers/{provider}/certificates/{}", certificate.id);
        Ok(Created::new(&CertificateView::from(certificate), location, None))
    })
    .await
}

/// List a provider's certificates
///
/// The provider's members, authority staff, admins.
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "The provider's id"), PageQuery),
    responses((status = 200, description = "Certificates, oldest first", body = Listing<CertificateView>), ReadErrors),
    security(("bearer" = []))
)]
#[get("/providers/{id}/certificates")]
pub async fn list_certificates(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id, page) = (caller.actor, id.into_inner().into(), page.page()?);
    let paged = state.read(move |tx| command::list(tx, &actor, id, &page)).await?;
    Ok(HttpResponse::Ok().json(Listing::from_paged(paged, CertificateView::from)))
}

/// Get a certificate
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "The provider's id"), ("certificate_id" = Uuid, Path, description = "The certificate's id")),
    responses((status = 200, description = "The certificate", body = CertificateView), ReadErrors),
    security(("bearer" = []))
)]
#[get("/providers/{id}/certificates/{certificate_id}")]
pub async fn get_certificate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, certificate) = path.into_inner();
    let actor = caller.actor;
    let found = state.read(move |tx| command::get(tx, &actor, id.into(), certificate.into())).await?;
    Ok(HttpResponse::Ok().json(CertificateView::from(found)))
}

/// Attach a certificate's document
///
/// The provider's members: a PDF or a signed `.p7m`.
#[utoipa::path(
    tag = "providers",
    request_body(content = documents::DocumentUpload, content_type = "multipart/form-data"),
    params(
        ("id" = Uuid, Path, description = "The provider's id"),
        ("certificate_id" = Uuid, Path, description = "The certificate's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Stored", body = documents::DocumentView, headers(("Location" = String))), UploadErrors),
    security(("bearer" = []))
)]
#[post("/providers/{id}/certificates/{certificate_id}/document")]
pub async fn upload_certificate_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    key: IdempotencyKey,
    form: documents::UploadForm,
) -> Result<HttpResponse, ApiError> {
    let (id, certificate) = path.into_inner();
    let actor = caller.actor;
    state.read(move |tx| command::may_attach(tx, &actor, id.into(), certificate.into())).await?;
    let ctx = state.context(&caller);
    let location = format!("/api/v1/providers/{id}/certificates/{certificate}/document");
    let owner = DocumentOwner::Certificate(certificate.into());
    documents::upload(&state, &caller, owner, location, key, form, move |tx, doc| {
        command::attach(tx, &ctx, id.into(), doc)
    })
    .await
}

/// Download a certificate's document
#[utoipa::path(
    tag = "providers",
    params(("id" = Uuid, Path, description = "The provider's id"), ("certificate_id" = Uuid, Path, description = "The certificate's id")),
    responses(DocumentDownload),
    security(("bearer" = []))
)]
#[get("/providers/{id}/certificates/{certificate_id}/document")]
pub async fn download_certificate_document(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, certificate) = path.into_inner();
    let actor = caller.actor;
    let doc = state.read(move |tx| command::document(tx, &actor, id.into(), certificate.into())).await?;
    documents::download(&state, doc).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"act_number": "2024/301", "act_date": "2024-05-12", "note": "DURC regolare dal 28/04"}))]
pub struct ConfirmationInput {
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub act_number: Option<String>,
    pub act_date: Option<NaiveDate>,
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationView {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub authority_id: Uuid,
    pub act: Option<ActView>,
    pub note: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub confirmed_at: DateTime<FixedOffset>,
}

impl From<Confirmation> for ConfirmationView {
    fn from(c: Confirmation) -> Self {
        Self {
            id: c.id.into(),
            provider_id: c.provider_id.into(),
            authority_id: c.authority_id.into(),
            act: c.act.map(Into::into),
            note: c.note,
            confirmed_at: in_rome(c.confirmed_at),
        }
    }
}

/// Confirm a provider's requirements
///
/// Authority staff, once every certificate the provider recorded is covered by a valid one
/// again: its lapsed accreditations on the calls of the staff's authority come back.
#[utoipa::path(
    tag = "providers",
    request_body = ConfirmationInput,
    params(
        ("id" = Uuid, Path, description = "The provider's id"),
        IdempotencyHeader,
    ),
    responses((status = 201, description = "Confirmed", body = ConfirmationView), CreateErrors),
    security(("bearer" = []))
)]
#[post("/providers/{id}/requirement-confirmations")]
pub async fn confirm_requirements(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: Json<ConfirmationInput>,
) -> Result<HttpResponse, ApiError> {
    let provider = id.into_inner();
    let body = body.into_inner();
    let act = match (&body.act_number, body.act_date) {
        (Some(number), Some(date)) => Some(Act { number: crate::text("act_number", number, 1, 64)?, date }),
        (None, None) => None,
        _ => return Err(ApiError::invalid_field("act_date", "give the act's number and date together")),
    };
    let note = match body.note.as_deref() {
        Some(n) => Some(crate::text("note", n, 1, 2000)?),
        None => None,
    };
    let ctx = state.context(&caller);
    let scope = format!("providers/{provider}/requirement-confirmations");
    idempotency::run(&state, &caller, key, &scope, &body, move |tx| {
        let confirmation = command::confirm(tx, &ctx, provider.into(), act.clone(), note.clone())?;
        let location = format!("/api/v1/providers/{provider}/certificates");
        Ok(Created::new(&ConfirmationView::from(confirmation), location, None))
    })
    .await
}
