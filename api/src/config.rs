//! Configuration, from environment variables (each also a command-line option).

use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Where the data lives: a SQLite file (`sqlite://path`, the embedded default) or a
    /// PostgreSQL server (`postgres://user@host/db`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/ambito.db")]
    pub database_url: String,
    /// Connections in the pool.
    #[arg(long, env = "AMBITO_DB_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// Seconds a request waits for a free connection before it is answered 503.
    #[arg(long, env = "AMBITO_DB_CHECKOUT_TIMEOUT", default_value_t = 3)]
    pub checkout_timeout: u64,
}

impl DbArgs {
    pub fn pool_options(&self) -> ambito_persistence::PoolOptions {
        ambito_persistence::PoolOptions {
            max_size: self.pool_size,
            checkout_timeout: Duration::from_secs(self.checkout_timeout),
        }
    }

    /// The URL without its password, fit for a log line.
    pub fn redacted_url(&self) -> String {
        ambito_persistence::db::redacted(&self.database_url)
    }

    /// Refuses a `DATABASE_URL` of any other form than the two accepted, before anything is
    /// opened: a typo (`postgre://`) must not quietly become a new, empty SQLite file.
    pub fn check(&self) -> Result<(), String> {
        let url = self.database_url.as_str();
        let sqlite = url.strip_prefix("sqlite://");
        let accepted = match sqlite {
            Some(path) => !path.trim().is_empty(),
            None => ["postgres://", "postgresql://"].iter().any(|p| url.len() > p.len() && url.starts_with(p)),
        };
        if accepted {
            Ok(())
        } else {
            Err(format!(
                "DATABASE_URL `{}` is not accepted: use sqlite://PATH (a SQLite file) or \
                 postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// also works)",
                self.redacted_url()
            ))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address and port to listen on.
    #[arg(long, env = "AMBITO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Demo mode: seeds demo organizations and accounts on first start, and allows a random
    /// development signing key. Never for production.
    #[arg(long, env = "AMBITO_DEMO", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    /// The password every demo account gets; random (and printed once) when unset.
    #[arg(long, env = "AMBITO_DEMO_PASSWORD", hide_env_values = true)]
    pub demo_password: Option<String>,
    /// Key that signs access tokens (HS256), at least 32 bytes. Required outside demo mode.
    #[arg(long, env = "AMBITO_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "AMBITO_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: i64,
    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "AMBITO_REFRESH_TOKEN_TTL", default_value_t = 1_209_600)]
    pub refresh_token_ttl: i64,
    /// Directory where uploaded documents are stored.
    #[arg(long, env = "AMBITO_DOCUMENTS_DIR", default_value = "data/documents")]
    pub documents_dir: std::path::PathBuf,
    /// HTTP worker threads; defaults to the number of cores.
    #[arg(long, env = "AMBITO_WORKERS")]
    pub workers: Option<usize>,
    /// Web origins whose pages may call the API from a browser (CORS), separated by commas, such
    /// as `https://portale.example.it`. None by default; in demo mode, the usual local
    /// development servers (http://localhost:3000, :4200 and :5173, and on 127.0.0.1).
    #[arg(long, env = "AMBITO_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// `pretty` for people, `json` for log collectors; pretty in demo mode, JSON otherwise.
    #[arg(long, env = "AMBITO_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Bearer token that `GET /metrics` asks for; when set, the API's own address serves
    /// `/metrics` (and so does `AMBITO_METRICS_BIND`, with the same token).
    #[arg(long, env = "AMBITO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A separate address that serves only `GET /metrics` (for a scraper on an internal
    /// network); without a token unless `AMBITO_METRICS_TOKEN` is set.
    #[arg(long, env = "AMBITO_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// The prefix of every OCDS `ocid` (`ocds-` and six characters, as registered with the
    /// Open Contracting Partnership); the default is for development only.
    #[arg(long, env = "AMBITO_OCDS_PREFIX", default_value = ambito_domain::ocds::DEVELOPMENT_PREFIX)]
    pub ocds_prefix: String,
    /// Seconds that a graceful stop (SIGTERM, SIGINT) waits for requests in flight before it
    /// exits anyway.
    #[arg(long, env = "AMBITO_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
}

impl ServeArgs {
    /// The origins CORS allows: those configured, else the development ones in demo mode.
    pub fn cors_origins(&self) -> Result<Vec<String>, String> {
        match &self.cors_origins {
            Some(list) => crate::cors::parse_origins(list),
            None if self.demo => Ok(crate::cors::DEV_ORIGINS.iter().map(|o| (*o).to_owned()).collect()),
            None => Ok(Vec::new()),
        }
    }

    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(if self.demo { LogFormat::Pretty } else { LogFormat::Json })
    }
}
