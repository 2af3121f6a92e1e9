//! HTTP handlers, one module per resource.

/// An enum of the API's schema mirroring a domain enum of the same variants (snake_case on the
/// wire, as the domain's names are), with the conversions both ways.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $view:ident <=> $domain:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $view {
            $($(#[$vdoc])* $variant),+
        }

        impl From<$view> for $domain {
            fn from(v: $view) -> Self {
                match v { $($view::$variant => $domain::$variant),+ }
            }
        }

        impl From<$domain> for $view {
            fn from(v: $domain) -> Self {
                match v { $($domain::$variant => $view::$variant),+ }
            }
        }
    };
}

pub mod accreditations;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod beneficiaries;
pub mod catalogue;
pub mod copayment;
pub mod delivery_reports;
pub mod districts;
pub mod documents;
pub mod events;
pub mod health;
pub mod me;
pub mod mediation;
pub mod ocds;
pub mod organizations;
pub mod patti;
pub mod providers;
pub mod registry;
pub mod service_requests;
pub mod tenders;
pub mod users;
