//! Spreadsheet exports: CSV in UTF-8 with one header row, what staff open as it is.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION, HeaderValue};

use crate::error::ApiError;

/// Whether the client asks for CSV (`Accept: text/csv`).
pub fn wants_csv(req: &HttpRequest) -> bool {
    req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"))
}

/// A CSV download named `filename`.
pub fn csv(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let failed = |e: csv::Error| {
        tracing::error!(error = %e, "cannot write a CSV");
        ApiError::Internal
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer.write_record(&row).map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(e.into_error().into()))?;
    let disposition = format!("attachment; filename=\"{filename}\"");
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|_| ApiError::Internal)?))
        .body(bytes))
}

/// An amount of cents as euros with two decimals, as spreadsheets read them: `1234.50`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}
