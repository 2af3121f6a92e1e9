//! Prometheus metrics: requests by route template and status with their durations, the
//! database pool, throttled logins and the event outbox. (Webhook and e-mail deliveries, once
//! they exist, add their failures here.)
//!
//! `GET /metrics` answers the Prometheus text format. It is served on the API's own address
//! when `AMBITO_METRICS_TOKEN` is set (and then asks for that bearer token), and on an address
//! of its own when `AMBITO_METRICS_BIND` is set (without a token unless one is configured too);
//! with neither, there is no `/metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The route label of a request that matched no route: unknown paths must not each become a
/// series of their own.
const UNMATCHED: &str = "unmatched";

/// Every metric the process keeps.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    logins_throttled: IntCounterVec,
    pool_max: IntGauge,
    pool_connections: IntGauge,
    pool_in_use: IntGauge,
    pool_checkouts: IntGauge,
    pool_wait_seconds: Gauge,
    pool_timeouts: IntGauge,
    statements: IntGauge,
    statements_prepared: IntGauge,
    outbox_head: IntGauge,
    outbox_head_age: Gauge,
    /// Token that `GET /metrics` asks for, stored hashed; none: no token asked.
    token: Option<[u8; 32]>,
    scrapes: IntCounter,
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Metrics {
    /// The metrics, with the bearer token `GET /metrics` asks for, if any.
    pub fn new(token: Option<&str>) -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("ambito_http_requests_total", "HTTP requests answered, by method, route template and status"),
            &["method", "route", "status"],
        )
        .expect("a valid metric");
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "ambito_http_request_duration_seconds",
                "Time to answer an HTTP request, by method, route template and status",
            )
            .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["method", "route", "status"],
        )
        .expect("a valid metric");
        let logins_throttled = IntCounterVec::new(
            Opts::new(
                "ambito_logins_throttled_total",
                "Logins refused with 429: login_locked (account), too_many_attempts (address), server_busy (hashing slots)",
            ),
            &["reason"],
        )
        .expect("a valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("a valid metric");
        let pool_max = gauge("ambito_db_pool_max_connections", "Connections the database pool may open");
        let pool_connections = gauge("ambito_db_pool_connections", "Database connections open");
        let pool_in_use = gauge("ambito_db_pool_connections_in_use", "Database connections lent out");
        let pool_checkouts = gauge("ambito_db_pool_checkouts_total", "Database connections handed out");
        let pool_wait_seconds =
            Gauge::new("ambito_db_pool_wait_seconds_total", "Seconds spent waiting for a database connection")
                .expect("a valid metric");
        let pool_timeouts = gauge(
            "ambito_db_pool_checkout_timeouts_total",
            "Waits for a database connection that timed out (answered 503)",
        );
        // Round trips: divided by the requests, the statements each request costs.
        let statements = gauge("ambito_db_statements_total", "SQL statements sent to the database");
        let statements_prepared =
            gauge("ambito_db_statements_prepared_total", "SQL statements prepared into a connection's cache");
        let outbox_head = gauge("ambito_outbox_last_seq", "Sequence number of the newest event in the outbox");
        let outbox_head_age =
            Gauge::new("ambito_outbox_last_event_age_seconds", "Age of the newest event").expect("a valid metric");
        let scrapes = IntCounter::new("ambito_metrics_scrapes_total", "Scrapes of /metrics").expect("a valid metric");
        for reason in ["login_locked", "too_many_attempts", "server_busy"] {
            logins_throttled.with_label_values(&[reason]);
        }
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(requests.clone()),
            Box::new(durations.clone()),
            Box::new(logins_throttled.clone()),
            Box::new(pool_max.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_in_use.clone()),
            Box::new(pool_checkouts.clone()),
            Box::new(pool_wait_seconds.clone()),
            Box::new(pool_timeouts.clone()),
            Box::new(statements.clone()),
            Box::new(statements_prepared.clone()),
            Box::new(outbox_head.clone()),
            Box::new(outbox_head_age.clone()),
            Box::new(scrapes.clone()),
        ];
        for c in collectors {
            registry.register(c).expect("metric names are unique");
        }
        Self {
            registry,
            requests,
            durations,
            logins_throttled,
            pool_max,
            pool_connections,
            pool_in_use,
            pool_checkouts,
            pool_wait_seconds,
            pool_timeouts,
            statements,
            statements_prepared,
            outbox_head,
            outbox_head_age,
            token: token.map(hash),
            scrapes,
        }
    }

    /// Counts a login answered 429, by its problem code.
    pub fn login_throttled(&self, code: &str) {
        self.logins_throttled.with_label_values(&[code]).inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.durations.with_label_values(&labels).observe(seconds);
    }

    /// Whether `req` may read the metrics: the configured bearer token, if any.
    fn allowed(&self, req: &HttpRequest) -> bool {
        let Some(expected) = &self.token else { return true };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(hash);
        // Both are SHA-256 digests: comparing them leaks nothing of the token.
        given.as_ref() == Some(expected)
    }
}

/// Times every request and counts it by route template (`/api/v1/tenders/{id}`), never by path.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().as_str().to_owned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let route = response.request().match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
        state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// Metrics
///
/// The Prometheus text format. Needs `Authorization: Bearer <AMBITO_METRICS_TOKEN>` when a
/// token is configured.
pub async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let metrics = &state.metrics;
    if !metrics.allowed(&req) {
        return Err(ApiError::Unauthenticated { code: "unauthenticated", detail: "metrics need their bearer token" });
    }
    metrics.scrapes.inc();
    let pool = state.db.pool_stats();
    metrics.pool_max.set(i64::from(pool.max_size));
    metrics.pool_connections.set(i64::from(pool.connections));
    metrics.pool_in_use.set(i64::from(pool.in_use));
    metrics.pool_checkouts.set(i64::try_from(pool.checkouts).unwrap_or(i64::MAX));
    metrics.pool_wait_seconds.set(pool.wait_seconds);
    metrics.pool_timeouts.set(i64::try_from(pool.timeouts).unwrap_or(i64::MAX));
    let sent = state.db.statements();
    metrics.statements.set(i64::try_from(sent.executed()).unwrap_or(i64::MAX));
    metrics.statements_prepared.set(i64::try_from(sent.prepared()).unwrap_or(i64::MAX));
    let now = state.clock.now();
    let outbox = state.read(|conn| Ok(ambito_persistence::outbox::head(conn)?)).await;
    match outbox {
        Ok(head) => {
            let (seq, at) = head.map_or((0, now), |(seq, at)| (seq, at));
            metrics.outbox_head.set(seq);
            metrics.outbox_head_age.set((now - at).num_milliseconds().max(0) as f64 / 1000.0);
        }
        // The metrics still answer when the database does not: the pool's are the ones to see then.
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
    }
    let mut body = Vec::new();
    TextEncoder::new().encode(&metrics.registry.gather(), &mut body).map_err(|e| {
        tracing::error!(error = %e, "metrics: cannot encode");
        ApiError::Internal
    })?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
