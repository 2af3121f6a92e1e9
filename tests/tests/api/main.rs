//! The black-box suite: every test runs against SQLite and PostgreSQL.

mod audit;
mod auth;
mod authorization;
mod bad_input;
mod calls;
mod catalogue;
mod collections;
mod concurrency;
mod conventions;
mod cors;
mod crash;
mod delivery_reports;
mod events;
mod lifecycle;
mod matrix;
mod mediation;
mod metrics;
mod ocds;
mod organizations;
mod patti;
mod procedure;
mod received;
mod registry;
mod service_requests;
mod spec;
mod unavailable;
