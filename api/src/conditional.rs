//! Optimistic concurrency: every single resource carries its version as an `ETag`, and every
//! change must send it back in `If-Match`, so two people never overwrite each other silently.

use actix_web::http::header::{ETAG, IF_MATCH};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, dev::Payload};
use std::future::{Ready, ready};

use crate::error::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A 200 response with the resource and its ETag.
pub fn ok_with_etag<T: serde::Serialize>(body: &T, version: i64) -> HttpResponse {
    with_etag(HttpResponse::Ok(), version).json(body)
}

pub fn with_etag(mut builder: HttpResponseBuilder, version: i64) -> HttpResponseBuilder {
    builder.insert_header((ETAG, etag(version)));
    builder
}

/// A 200 answer whose `ETag` one of `if_none_match`'s tags names (or `*`) becomes 304 Not
/// Modified, without a body, with its `ETag`: the client's copy is current (RFC 9110 13.1.2,
/// compared weakly).
pub fn not_modified_if_matching(
    response: actix_web::dev::ServiceResponse,
    if_none_match: &str,
) -> actix_web::dev::ServiceResponse {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let Some(current) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(bare) else {
        return response;
    };
    let matches = if_none_match.trim() == "*" || if_none_match.split(',').any(|tag| bare(tag) == current);
    if !matches {
        return response;
    }
    let (req, res) = response.into_parts();
    let mut not_modified = HttpResponse::NotModified();
    for name in [ETAG, actix_web::http::header::CACHE_CONTROL, actix_web::http::header::VARY] {
        if let Some(value) = res.headers().get(&name) {
            not_modified.insert_header((name, value.clone()));
        }
    }
    actix_web::dev::ServiceResponse::new(req, not_modified.finish())
}

/// The version a change is conditional on, from `If-Match`.
#[derive(Debug, Clone, Copy)]
pub enum IfMatch {
    /// `If-Match: *`: any current version.
    Any,
    Version(i64),
    /// A tag that names no version of ours: it can never match.
    Never,
}

impl IfMatch {
    /// The version to compare against, given the stored one.
    fn expected(self, current: i64) -> i64 {
        match self {
            Self::Any => current,
            Self::Version(v) => v,
            Self::Never => -1,
        }
    }
}

/// The one check of `If-Match` against the version a change was loaded at: a stale tag is 412.
/// Without `If-Match` (where it is optional) the change applies to the current version.
pub fn precondition(if_match: Option<IfMatch>, current: i64) -> Result<(), ApiError> {
    match if_match.map(|m| m.expected(current)) {
        Some(expected) if expected != current => Err(ApiError::Stale),
        _ => Ok(()),
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(IF_MATCH) else {
            return ready(Err(ApiError::IfMatchRequired));
        };
        let value = value.to_str().unwrap_or("").trim();
        if value == "*" {
            return ready(Ok(Self::Any));
        }
        // A list of tags matches when any of them does; we compare the first we can read.
        let parsed = value
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
            .find_map(|tag| tag.parse::<i64>().ok());
        ready(Ok(parsed.map_or(Self::Never, Self::Version)))
    }
}
