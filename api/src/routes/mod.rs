//! HTTP handlers, one module per resource.

pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod districts;
pub mod health;
pub mod me;
pub mod organizations;
pub mod users;
