//! HTTP handlers, one module per resource.

pub mod applications;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod districts;
pub mod documents;
pub mod health;
pub mod me;
pub mod organizations;
pub mod tenders;
pub mod users;
