//! Commands and the reads that go with them. A command owns one transaction: it loads the
//! aggregate (each row once, locked against concurrent commands), asks the access policy, checks
//! `If-Match`, calls the domain transition, saves, and appends the event with its audit entry.
//! Handlers parse, call one of these inside `AppState::write` or `AppState::read`, and render.

pub mod accreditation;
pub mod application;
pub mod beneficiary;
pub mod copayment;
pub mod delivery_report;
pub mod mediation;
pub mod ocds;
pub mod patto;
pub mod registry;
pub mod requirement;
pub mod service_request;
pub mod tender;

use ambito_domain::Actor;
use ambito_persistence::Origin;
use chrono::{DateTime, Utc};

/// Who acts, from which request, and when.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: Actor,
    pub origin: Origin,
    pub now: DateTime<Utc>,
}
