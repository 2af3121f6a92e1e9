//! What every request is checked against before a route reads it: a query string not longer
//! than a URL should be and without a NUL character in any parameter (the databases refuse or
//! keep it; neither is a text), and a declared body size within what its kind may carry. Bodies
//! are then read with an idle timeout, so a client that stops sending frees its connection.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, ResponseError};
use ambito_domain::FieldError;
use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, NUL_MESSAGE};

/// The longest query string read; the longest the spec's own parameters make is far shorter.
pub const QUERY_LIMIT: usize = 8 * 1024;

/// The longest a client may pause while sending a body.
pub const BODY_IDLE: Duration = Duration::from_secs(15);

/// A multipart upload's parts around the document itself: its headers and `document_type`.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn query_refusal(query: &str) -> Option<ApiError> {
    if query.len() > QUERY_LIMIT {
        return Some(ApiError::UriTooLong { limit: QUERY_LIMIT });
    }
    if !query.to_ascii_lowercase().contains("%00") {
        return None;
    }
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok()?;
    let fields: Vec<FieldError> = pairs
        .into_iter()
        .filter(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| FieldError::new(name.replace('\0', ""), NUL_MESSAGE))
        .collect();
    (!fields.is_empty()).then_some(ApiError::Validation(fields))
}

/// A body whose declared length is over what its kind may carry is refused before it is read.
fn length_refusal(req: &ServiceRequest) -> Option<ApiError> {
    let declared = req.headers().get(CONTENT_LENGTH)?.to_str().ok()?.parse::<usize>().ok()?;
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let limit =
        if multipart { crate::routes::documents::MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD } else { crate::JSON_LIMIT };
    (declared > limit).then_some(ApiError::PayloadTooLarge { limit })
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // A request line too long for the parser arrives under this path (see `serve`).
    let too_long = (req.path() == crate::serve::TOO_LONG_PATH).then_some(ApiError::UriTooLong { limit: QUERY_LIMIT });
    if let Some(problem) = too_long.or_else(|| query_refusal(req.query_string())).or_else(|| length_refusal(&req)) {
        let response = problem.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The time a JSON body may take in all: 2 MiB arrive in it even at 1 Mbit/s.
pub const JSON_BODY_TIME: Duration = Duration::from_secs(30);
/// The slowest an upload may arrive on average, past [`JSON_BODY_TIME`]: 10 MiB in under 3 minutes.
const UPLOAD_BYTES_PER_SECOND: u64 = 64 * 1024;

/// When a body must have arrived: a client that trickles bytes would otherwise hold a connection
/// and a worker's memory for as long as it liked.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(tokio::time::Instant);

impl BodyDeadline {
    /// From now, for the body `req` declares: an upload gets time for its declared length (the
    /// largest allowed when not declared), anything else [`JSON_BODY_TIME`].
    pub fn of(req: &HttpRequest) -> Self {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut time = JSON_BODY_TIME;
        if content_type.trim_start().to_ascii_lowercase().starts_with("multipart/") {
            let most = (crate::routes::documents::MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD) as u64;
            let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            time += Duration::from_secs(declared.unwrap_or(most).min(most) / UPLOAD_BYTES_PER_SECOND);
        }
        BodyDeadline(tokio::time::Instant::now() + time)
    }
}

impl actix_web::FromRequest for BodyDeadline {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(BodyDeadline::of(req)))
    }
}

/// The next piece of a body, or 408 when the client has sent nothing for [`BODY_IDLE`] or the
/// body's deadline has passed.
pub async fn next_chunk<S: Stream + Unpin>(body: &mut S, deadline: BodyDeadline) -> Result<Option<S::Item>, ApiError> {
    let until = deadline.0.min(tokio::time::Instant::now() + BODY_IDLE);
    tokio::time::timeout_at(until, body.next()).await.map_err(|_| ApiError::BodyTimeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_parameters_holding_a_nul_and_refuses_long_queries() {
        let Some(ApiError::Validation(errors)) = query_refusal("q=ab%00c&limit=5&x%00=1") else { panic!("refused") };
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["q", "x"]);
        assert!(query_refusal("q=%2500").is_none(), "an escaped percent sign is no NUL");
        assert!(matches!(query_refusal(&"q=a".repeat(3000)), Some(ApiError::UriTooLong { .. })));
        assert!(query_refusal("q=Cremona&limit=5").is_none());
    }
}
