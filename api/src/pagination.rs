//! Cursor pagination shared by every list: a bounded `limit` and an opaque `cursor`.

use ambito_persistence::{Page, Paged};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items to return, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

/// Refuses a query parameter longer than the spec declares.
pub fn bounded(field: &str, value: Option<&str>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{field} has at most {max} characters"),
            errors: vec![ambito_domain::FieldError::new(field, format!("at most {max} characters"))],
        }),
        _ => Ok(()),
    }
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, ApiError> {
        bounded("cursor", self.cursor.as_deref(), 200)?;
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: format!("limit must be between 1 and {MAX_LIMIT}"),
                errors: vec![ambito_domain::FieldError::new("limit", format!("between 1 and {MAX_LIMIT}"))],
            });
        }
        let after =
            self.cursor
                .as_deref()
                .map(|c| {
                    URL_SAFE_NO_PAD.decode(c).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(|| {
                        ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out")
                    })
                })
                .transpose()?;
        Ok(Page { after, limit: i64::from(limit) })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Listing<T> {
    pub fn from_paged<U>(paged: Paged<U>, view: impl FnMut(U) -> T) -> Self {
        let paged = paged.map(view);
        Self { items: paged.items, next_cursor: paged.next.map(|k| URL_SAFE_NO_PAD.encode(k)) }
    }
}
