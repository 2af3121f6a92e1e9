//! Every error the API answers with, and the one place that turns it into an RFC 9457
//! problem+json response with a stable machine `code`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use ambito_domain::access::Denied;
use ambito_domain::accreditation::AccreditationError;
use ambito_domain::application::ApplicationError;
use ambito_domain::beneficiary::BeneficiaryError;
use ambito_domain::delivery_report::ReportError;
use ambito_domain::measure::MeasureError;
use ambito_domain::mediation::MediationError;
use ambito_domain::patto::PattoError;
use ambito_domain::requirement::RequirementError;
use ambito_domain::rome::in_rome;
use ambito_domain::service_request::ServiceRequestError;
use ambito_domain::tender::TenderError;
use ambito_domain::{FieldError, Invalid};
use ambito_persistence::StoreError;
use chrono::{DateTime, Utc};
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
    #[error("the request body stopped arriving, or came too slowly to finish in time")]
    BodyTimeout,
    #[error("the query string is longer than {limit} bytes")]
    UriTooLong { limit: usize },
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
            Self::UriTooLong { .. } => "uri_too_long",
            Self::BodyTimeout => "body_timeout",
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
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
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

impl From<Denied> for ApiError {
    fn from(e: Denied) -> Self {
        match e {
            Denied::Forbidden => Self::Forbidden,
            Denied::NotFound => Self::NotFound,
        }
    }
}

/// An instant as the calls state them: Rome time with its offset.
fn rome(t: DateTime<Utc>) -> String {
    in_rome(t).to_rfc3339()
}

impl From<TenderError> for ApiError {
    fn from(e: TenderError) -> Self {
        let code = e.code();
        let detail = match e {
            TenderError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            TenderError::NotDraft(s) => {
                format!("the call is {s}: only a draft can be changed; after publication, record an amendment")
            }
            TenderError::NotOpen(s) => format!("the call is {s}: this needs a call open for submissions"),
            TenderError::NotClosed(s) => {
                format!("the call is {s}: it can be concluded only once its submission deadline has passed")
            }
            TenderError::NotCancellable(s) => format!("the call is {s}: only a draft or an open call can be cancelled"),
            TenderError::ClarificationsClosed { deadline } => {
                format!("questions closed at the clarification deadline, {} (Europe/Rome)", rome(deadline))
            }
            TenderError::DeadlineEarlier { current, .. } => {
                format!("an amendment may move the deadline later, not earlier: it is {} (Europe/Rome)", rome(current))
            }
            TenderError::ApplicationsPending(n) => format!("{n} applications still await a decision"),
            TenderError::NotPublished(s) => format!("the call is {s}: questions are answered once it is published"),
            TenderError::NotConcluded(s) => {
                format!("the call is {s}: a new round opens once the last one is concluded")
            }
            TenderError::NotAList => "only a provider list is filled in successive rounds".to_owned(),
            TenderError::ListExpired { on } => format!("the list's validity ended on {on}: it takes no new round"),
        };
        Self::Conflict { code, detail }
    }
}

impl From<ApplicationError> for ApiError {
    fn from(e: ApplicationError) -> Self {
        let code = e.code();
        let detail = match e {
            ApplicationError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            ApplicationError::Incomplete(missing) => {
                return Self::Validation(
                    missing
                        .into_iter()
                        .map(|m| {
                            let message = match &m.document_type {
                                Some(kind) => format!("attach a document of type {kind}: {}", m.description),
                                None => format!("declare: {}", m.description),
                            };
                            FieldError::new(format!("requirements.{}", m.requirement), message)
                        })
                        .collect(),
                );
            }
            ApplicationError::WrongStatus { status, allowed } => {
                let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                format!("the application is {status}: this needs an application that is {}", allowed.join(" or "))
            }
            ApplicationError::Late { deadline } => format!(
                "the submission deadline was {} (Europe/Rome): submissions are no longer accepted",
                rome(deadline)
            ),
            ApplicationError::NotYetClosed { status, deadline } => format!(
                "the call is {status}: applications are examined only after its submission deadline, {} (Europe/Rome)",
                rome(deadline)
            ),
            ApplicationError::TenderNotOpen(s) => format!("the call is {s}: it takes no applications"),
            ApplicationError::IntegrationLate { due } => {
                format!("the integration was due by {} (Europe/Rome)", rome(due))
            }
            ApplicationError::NothingToConfirm => {
                "only a submitted application awaiting confirmation after an amendment can be confirmed".to_owned()
            }
            ApplicationError::ConfirmationLate { deadline } => format!(
                "the confirmation was due by the submission deadline, {} (Europe/Rome): the application can now only \
                 be excluded, with reason not_confirmed",
                rome(deadline)
            ),
            ApplicationError::NotConfirmed { deadline } => format!(
                "the provider did not confirm this application after the call's material amendment, as due by {} \
                 (Europe/Rome): it can only be excluded, with reason not_confirmed",
                rome(deadline)
            ),
        };
        Self::Conflict { code, detail }
    }
}

impl From<AccreditationError> for ApiError {
    fn from(e: AccreditationError) -> Self {
        let code = e.code();
        let detail = match e {
            AccreditationError::Measure(MeasureError::Invalid(Invalid(errors))) => return Self::Validation(errors),
            AccreditationError::Expired { on } => {
                format!("the list's validity ended on {on}: nothing more is decided on this accreditation")
            }
            AccreditationError::Measure(MeasureError::Revoked { since }) => {
                format!("the accreditation was revoked on {} (Europe/Rome): a revocation is final", rome(since))
            }
            AccreditationError::Measure(MeasureError::NotSuspended) => {
                "only a suspended accreditation can be reinstated".to_owned()
            }
        };
        Self::Conflict { code, detail }
    }
}

impl From<PattoError> for ApiError {
    fn from(e: PattoError) -> Self {
        let code = e.code();
        let detail = match e {
            PattoError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            PattoError::Revoked { since } => {
                format!("the patto was revoked on {} (Europe/Rome): a revocation is final", rome(since))
            }
            PattoError::Expired { on } => format!("the patto ended on {on}"),
            PattoError::NothingToSign => {
                "every version of the patto is signed: nothing waits for a signature".to_owned()
            }
            PattoError::AlreadySigned(side) => format!("the {side} side already signed this version"),
            PattoError::AmendmentPending { version } => {
                format!("amendment {version} waits for its signatures: propose another once it is signed")
            }
            PattoError::NotSigned => "a patto is amended once both sides have signed it".to_owned(),
            PattoError::NotSuspended => "only a suspended patto can be reinstated".to_owned(),
        };
        Self::Conflict { code, detail }
    }
}

impl From<RequirementError> for ApiError {
    fn from(e: RequirementError) -> Self {
        match e {
            RequirementError::Invalid(Invalid(errors)) => Self::Validation(errors),
            RequirementError::NotCovered(kind) => Self::Conflict {
                code: e.code(),
                detail: format!("no valid {kind} certificate is recorded now: the provider records one first"),
            },
        }
    }
}

impl From<BeneficiaryError> for ApiError {
    fn from(e: BeneficiaryError) -> Self {
        match e {
            BeneficiaryError::Invalid(Invalid(errors)) => Self::Validation(errors),
            BeneficiaryError::Exists => Self::Conflict {
                code: e.code(),
                detail: "the authority already has a record for this codice fiscale: look it up, or ask its staff"
                    .to_owned(),
            },
        }
    }
}

impl From<ServiceRequestError> for ApiError {
    fn from(e: ServiceRequestError) -> Self {
        let code = e.code();
        let detail = match e {
            ServiceRequestError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            ServiceRequestError::UnknownVoucher => return Self::NotFound,
            ServiceRequestError::Closed => "the request is closed".to_owned(),
            ServiceRequestError::AlreadyAssessed => "the request was already assessed".to_owned(),
            ServiceRequestError::IntegrationPending => {
                "an integration was already asked for: wait for the municipality's answer".to_owned()
            }
            ServiceRequestError::NoIntegrationRequested => "no integration is awaited for this request".to_owned(),
            ServiceRequestError::NotEligible => {
                "the request is not granted: nothing to choose, suspend or resume".to_owned()
            }
            ServiceRequestError::OfferPending => {
                "a provider was chosen for this voucher and its answer is awaited".to_owned()
            }
            ServiceRequestError::VoucherTaken => "a provider already serves this voucher".to_owned(),
            ServiceRequestError::ProviderNotEligible => "this provider has no active patto, over an active \
                accreditation, for this intervention in the person's municipality on that day: see the \
                choosable providers"
                .to_owned(),
            ServiceRequestError::NoPendingOffer => "no offer of this voucher awaits your answer".to_owned(),
            ServiceRequestError::AlreadySuspended => {
                "the service is already suspended on some of those days".to_owned()
            }
            ServiceRequestError::NotSuspended => "the service is not suspended today".to_owned(),
        };
        Self::Conflict { code, detail }
    }
}

impl From<MediationError> for ApiError {
    fn from(e: MediationError) -> Self {
        let code = e.code();
        let detail = match e {
            MediationError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            MediationError::Ended => "the mediation was delivered, cancelled, or the person did not come".to_owned(),
            MediationError::AlreadyConfirmed => "another provider confirmed this mediation first".to_owned(),
            MediationError::NotConfirmed => "the mediation is not confirmed to you".to_owned(),
            MediationError::OfferPending => {
                "the request is offered to a provider whose answer is awaited: one at a time".to_owned()
            }
            MediationError::AlreadyOffered => "the request is already offered to this provider".to_owned(),
            MediationError::NoPendingOffer => "no offer of this request awaits your answer".to_owned(),
            MediationError::ProviderNotEligible => "this provider has no active patto, over an active \
                accreditation, for mediation in this context and municipality on that day"
                .to_owned(),
            MediationError::SlotNotStarted => "the slot has not begun yet".to_owned(),
        };
        Self::Conflict { code, detail }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        let code = e.code();
        let detail = match e {
            ReportError::Invalid(Invalid(errors)) => return Self::Validation(errors),
            ReportError::OverGrant { granted, reported } => format!(
                "{:.2} units reported, {:.2} granted this month: give the reason in over_reason",
                f64::from(reported) / 100.0,
                f64::from(granted) / 100.0
            ),
            ReportError::Validated => "the report is validated: it no longer changes".to_owned(),
            ReportError::Contested => "the report is contested: the provider corrects it first".to_owned(),
            ReportError::NotContested => "only a contested report is corrected".to_owned(),
        };
        Self::Conflict { code, detail }
    }
}

/// What a text holding a NUL character is told, wherever it comes from.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("the query string is invalid: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("a path parameter is invalid: {err}")).into()
}
