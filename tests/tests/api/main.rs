//! The black-box suite: every test runs against SQLite and PostgreSQL.

mod audit;
mod auth;
mod authorization;
mod bad_input;
mod calls;
mod catalogue;
mod concurrency;
mod lifecycle;
mod organizations;
mod procedure;
mod spec;
