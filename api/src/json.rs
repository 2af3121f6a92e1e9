//! The JSON body extractor: a bounded body, `application/json` only, and errors that tell
//! malformed JSON (400 `malformed_json`) from JSON of the wrong shape (400 `invalid_body`,
//! naming the field). actix's own extractor cannot: serde_json reports some shape errors, such
//! as a number where an enum is due, as syntax errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use ambito_domain::FieldError;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::JSON_LIMIT;
use crate::error::ApiError;

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads a body of at most `JSON_LIMIT` bytes, refusing a longer one as soon as it is known.
fn read(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Result<Vec<u8>, ApiError>> + use<> {
    let declared =
        req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    let deadline = crate::request_limits::BodyDeadline::of(req);
    async move {
        if declared.is_some_and(|n| n > JSON_LIMIT) {
            return Err(ApiError::PayloadTooLarge { limit: JSON_LIMIT });
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(JSON_LIMIT));
        while let Some(chunk) = crate::request_limits::next_chunk(&mut payload, deadline).await? {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request("invalid_body", format!("the body could not be read: {e}")))?;
            if body.len() + chunk.len() > JSON_LIMIT {
                return Err(ApiError::PayloadTooLarge { limit: JSON_LIMIT });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = read(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            parse(&body.await?).map(Json)
        })
    }
}

/// A JSON body that may be left out: no body, or `null`, is `None`; any other body must be
/// what [`Json`] accepts.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = read(req, payload);
        Box::pin(async move {
            let body = body.await?;
            let text = body.trim_ascii();
            if text.is_empty() || text == b"null" {
                return Ok(Self(None));
            }
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            parse(&body).map(|v| Self(Some(v)))
        })
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(body) {
        return Err(ApiError::bad_request("malformed_json", format!("the request body is not valid JSON: {syntax}")));
    }
    // serde would read a struct from an array too; every body of this API is an object.
    if !body.trim_ascii_start().starts_with(b"{") {
        return Err(ApiError::bad_request("invalid_body", "the request body must be a JSON object"));
    }
    // A raw NUL is not JSON; an escaped one would reach the database, which refuses it
    // (PostgreSQL) or keeps it (SQLite). Every text of every body is refused here.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
    {
        let mut fields = Vec::new();
        nul_fields(&value, "", &mut fields);
        if !fields.is_empty() {
            return Err(ApiError::Validation(
                fields.into_iter().map(|f| FieldError::new(f, crate::error::NUL_MESSAGE)).collect(),
            ));
        }
    }
    let error = match serde_json::from_slice::<T>(body) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    let errors = field_of(&message).map(|f| vec![FieldError::new(f, message.clone())]).unwrap_or_default();
    Err(ApiError::BadRequest {
        code: "invalid_body",
        detail: format!("the request body does not have the expected shape: {message}"),
        errors,
    })
}

/// The paths (`scope.0.note`) of the texts, keys included, that hold a NUL character.
fn nul_fields(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            out.push(if path.is_empty() { "body".into() } else { path.into() })
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_fields(item, &join(&i.to_string()), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                if key.contains('\0') {
                    out.push(join(&key.replace('\0', "")));
                }
                nul_fields(item, &join(key), out);
            }
        }
        _ => {}
    }
}

/// serde names the offending field in backticks for missing and unknown fields.
fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    (message.starts_with("missing field") || message.starts_with("unknown field"))
        .then(|| message[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        kind: Kind,
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Provider,
    }

    fn code(body: &str) -> (String, Vec<String>) {
        let e = parse::<Body>(body.as_bytes()).unwrap_err();
        let problem = e.problem();
        (problem.code, problem.errors.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn tells_malformed_json_from_the_wrong_shape() {
        assert_eq!(code("{\"kind\": "), ("malformed_json".into(), vec![]));
        assert_eq!(code("{\"kind\": 12, \"name\": \"x\"}"), ("invalid_body".into(), vec![]));
        assert_eq!(code("[1, 2]"), ("invalid_body".into(), vec![]));
        assert_eq!(code("[\"provider\", \"x\"]"), ("invalid_body".into(), vec![]), "an array is not an object");
        assert_eq!(code("{\"kind\": \"provider\"}"), ("invalid_body".into(), vec!["name".into()]));
        assert_eq!(
            code("{\"kind\": \"provider\", \"name\": \"x\", \"x\": 1}"),
            ("invalid_body".into(), vec!["x".into()])
        );
        assert!(parse::<Body>(b"{\"kind\": \"provider\", \"name\": \"x\"}").is_ok());
    }

    #[test]
    fn a_nul_in_any_text_is_refused_naming_its_field() {
        let e = parse::<serde_json::Value>(br#"{"a": "x\u0000", "b": [{"c": "\u0000"}], "d": "ok"}"#).unwrap_err();
        let problem = e.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.into_iter().map(|f| f.field).collect::<Vec<_>>(), ["a", "b.0.c"]);
        assert!(parse::<serde_json::Value>(br#"{"a": "\\u0000 is how JSON writes it"}"#).is_ok());
    }
}
