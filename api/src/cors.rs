//! Cross-origin requests (CORS): which web origins may call the API from a browser. A staff or
//! provider portal served from another origin needs its origin listed in `AMBITO_CORS_ORIGINS`;
//! none is allowed by default, except the usual local development servers in demo mode.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// The origins allowed in demo mode when `AMBITO_CORS_ORIGINS` is not set: the development
/// servers of the common frontend tool chains (Create React App, Next.js, Vite, Angular), on
/// `localhost` and on `127.0.0.1`.
pub const DEV_ORIGINS: &[&str] = &[
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:4200",
    "http://127.0.0.1:4200",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
];

/// The headers a browser script may read from answers, beyond the always-readable ones.
pub const EXPOSED_HEADERS: &[&str] = &["etag", "x-request-id", "idempotent-replayed", "retry-after", "location"];

/// Reads `AMBITO_CORS_ORIGINS`: origins separated by commas, each `http(s)://host[:port]`
/// exactly as a browser sends it in `Origin` (no path, no trailing slash, no `*`).
pub fn parse_origins(value: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        if !is_origin(origin) {
            return Err(format!(
                "AMBITO_CORS_ORIGINS: `{origin}` is not an origin: write each as scheme://host[:port], \
                 such as https://portale.example.it or http://localhost:5173, separated by commas"
            ));
        }
        let origin = origin.to_ascii_lowercase();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return false;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c))
        && !host.starts_with('.')
        && !host.ends_with('.');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// The CORS middleware for `origins`: preflights answered, credentials allowed, the API's own
/// request and answer headers listed. A request from an origin not listed goes through without
/// CORS headers (the browser then keeps its answer from the page) rather than being refused.
pub fn middleware(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers(EXPOSED_HEADERS.iter().map(|h| header::HeaderName::from_static(h)))
        .supports_credentials()
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_as_a_browser_sends_them() {
        assert_eq!(
            parse_origins(" https://Portale.Example.it , http://localhost:5173,,http://[::1]:3000").unwrap(),
            ["https://portale.example.it", "http://localhost:5173", "http://[::1]:3000"]
        );
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        for bad in
            ["*", "portale.example.it", "https://portale.example.it/", "ftp://x.it", "http://x.it:port", "http://"]
        {
            let refused = parse_origins(bad).unwrap_err();
            assert!(refused.starts_with("AMBITO_CORS_ORIGINS:") && !refused.contains('\n'), "{refused}");
        }
    }
}
