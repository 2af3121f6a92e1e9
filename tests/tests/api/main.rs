//! The black-box suite: every test runs against SQLite and PostgreSQL.

mod audit;
mod auth;
mod authorization;
mod bad_input;
mod catalogue;
mod concurrency;
mod organizations;
mod spec;
