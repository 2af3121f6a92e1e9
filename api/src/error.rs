//! Every error the API answers with, and the one place that turns it into an RFC 9457
//! problem+json response with a stable machine `code`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use ambito_domain::{FieldError, Invalid};
use ambito_persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is not well-formed: bad JSON, wrong types, unknown fields, bad parameters.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String, errors: Vec<FieldError> },
    /// Well-formed, but some fields break a rule.
    #[error("invalid fields: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    #[error("authentication is required")]
    Unauthenticated { code: &'static str, detail: &'static str },
    #[error("the login or password is wrong")]
    InvalidCredentials,
    #[error("your role may not do this")]
    Forbidden,
    #[error("no such resource")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource was changed since you read it")]
    Stale,
    #[error("this change needs an If-Match header with the resource's ETag")]
    IfMatchRequired,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be application/json (multipart/form-data for uploads)")]
    UnsupportedMediaType,

    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyKeyInFlight,
    #[error("{detail}")]
    TooManyRequests { code: &'static str, detail: String, retry_after: u64 },
    #[error("the service is busy; retry shortly")]
    Unavailable,
    #[error("the stored document no longer matches the hash recorded at upload; it is not served")]
    DocumentCorrupted,
    #[error("internal error")]
    Internal,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:ambito:problem:validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "code": "validation_failed",
    "detail": "invalid fields: codice_fiscale (the check character does not match: this codice fiscale has a typing error)",
    "errors": [{"field": "codice_fiscale", "message": "the check character does not match: this codice fiscale has a typing error"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:ambito:problem:` followed by `code`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// Stable, machine-readable code of the problem.
    pub code: String,
    pub detail: String,
    /// One entry per invalid field, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ProblemField {
    /// The field's name, with dots for nested fields.
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest { code, detail: detail.into(), errors: Vec::new() }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated { code, .. } => code,
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Conflict { code, .. } => code,
            Self::Stale => "stale_version",
            Self::IfMatchRequired => "if_match_required",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInFlight => "idempotency_key_in_flight",
            Self::TooManyRequests { code, .. } => code,
            Self::Unavailable => "service_unavailable",
            Self::DocumentCorrupted => "document_corrupted",
            Self::Internal => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Unauthenticated { detail, .. } => (*detail).to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(errors) | Self::BadRequest { errors, .. } => {
                errors.iter().map(|e| ProblemField { field: e.field.clone(), message: e.message.clone() }).collect()
            }
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:ambito:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: self.code().to_owned(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated { .. } | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::IdempotencyKeyInFlight => StatusCode::CONFLICT,
            Self::Stale => StatusCode::PRECONDITION_FAILED,
            Self::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal | Self::DocumentCorrupted => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            Self::Unauthenticated { .. } | Self::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"ambito\""));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.clone()));
            }
            Self::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).expect("problems serialize"))
    }
}

impl From<Invalid> for ApiError {
    fn from(Invalid(errors): Invalid) -> Self {
        Self::Validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Stale => Self::Stale,
            StoreError::Conflict(detail) => Self::Conflict { code: "already_exists", detail },
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::Unavailable(reason) => {
                tracing::warn!(%reason, "database unavailable");
                Self::Unavailable
            }
            other => {
                tracing::error!(error = %other, "storage error");
                Self::Internal
            }
        }
    }
}

impl From<ambito_domain::tender::TenderError> for ApiError {
    fn from(e: ambito_domain::tender::TenderError) -> Self {
        Self::Conflict { code: e.code(), detail: e.to_string() }
    }
}

impl From<ambito_domain::application::ApplicationError> for ApiError {
    fn from(e: ambito_domain::application::ApplicationError) -> Self {
        Self::Conflict { code: e.code(), detail: e.to_string() }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("the query string is invalid: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("a path parameter is invalid: {err}")).into()
}
