//! `ambito`: the service and its administrative commands.

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{HttpServer, web};
use ambito_api::auth::{Tokens, hash_now, random_secret};
use ambito_api::clock::SystemClock;
use ambito_api::config::{DbArgs, LogFormat, ServeArgs};
use ambito_api::serve::ServeOptions;
use ambito_api::{AppState, demo};
use ambito_domain::{EmailAddress, Name, Password, Role};
use ambito_persistence::db::StartupLock;
use ambito_persistence::db::one_line;
use ambito_persistence::user::{self, NewUser, UserKind};
use ambito_persistence::{Backend, Db, Origin, organization};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ambito",
    version,
    about = "Ambito: accreditation of care providers and routing of home-care requests for a social-services district."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the HTTP API (Swagger UI at /docs). In demo mode
    /// (AMBITO_DEMO=1) the first start also loads demo data.
    Serve(ServeArgs),
    /// Apply pending migrations and load reference data (the ISTAT municipality catalogue).
    Migrate(DbArgs),
    /// Apply migrations and load the demo organizations, districts, accounts and the two seed
    /// calls, printing the accounts' passwords once.
    SeedDemo {
        #[command(flatten)]
        db: DbArgs,
        /// The password every demo account gets; random when unset.
        #[arg(long, env = "AMBITO_DEMO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Create a platform admin account. The password comes from AMBITO_ADMIN_PASSWORD, or is
    /// generated and printed once.
    CreateAdmin {
        #[command(flatten)]
        db: DbArgs,
        /// The admin's e-mail address, used to log in.
        #[arg(long)]
        email: String,
        /// The admin's name as shown to others.
        #[arg(long, default_value = "Platform administrator")]
        name: String,
        #[arg(long, env = "AMBITO_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Print the OpenAPI document (YAML), as served at /openapi.json.
    Openapi,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Connects and migrates, under the start-up lock that the caller holds while it also seeds
/// (see `Db::startup_lock`).
fn open_db(args: &DbArgs) -> Result<(Db, StartupLock), String> {
    args.check()?;
    let lock = Db::startup_lock(&args.database_url).map_err(|e| one_line(&e.to_string()))?;
    let db = Db::connect(&args.database_url, &args.pool_options()).map_err(|e| one_line(&e.to_string()))?;
    let applied = db.migrate().map_err(|e| one_line(&e.to_string()))?;
    let location = match db.backend() {
        Backend::Sqlite => {
            let path = args.database_url.strip_prefix("sqlite://").unwrap_or(&args.database_url);
            let absolute = std::fs::canonicalize(path).map_or_else(|_| path.to_owned(), |p| p.display().to_string());
            format!("SQLite file {absolute}")
        }
        Backend::Postgres => format!("PostgreSQL {}", args.redacted_url()),
    };
    tracing::info!(database = %location, migrations_applied = applied.len(), "database ready");
    Ok((db, lock))
}

fn print_accounts(accounts: &[demo::DemoAccount]) {
    if accounts.is_empty() {
        tracing::info!("demo data already present; its passwords were printed when it was created");
        return;
    }
    let mut lines = String::from("demo accounts (passwords shown this once):");
    for a in accounts {
        lines.push_str(&format!(
            "\n    {:<44} {:<16} {:<38} password: {}",
            a.login,
            a.role.as_str(),
            a.organization,
            a.password
        ));
    }
    tracing::warn!("{lines}");
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let secret = match (&args.jwt_secret, args.demo) {
        (Some(s), _) if s.len() >= 32 => s.clone().into_bytes(),
        (Some(_), _) => {
            return Err("AMBITO_JWT_SECRET is too short: use at least 32 random bytes".into());
        }
        (None, true) => {
            tracing::warn!(
                "DEVELOPMENT ONLY: AMBITO_JWT_SECRET is not set, so tokens are signed with a random \
                 development key that lasts as long as this process. Never run demo mode in production."
            );
            random_secret(48).into_bytes()
        }
        (None, false) => {
            return Err("AMBITO_JWT_SECRET is not set: give it at least 32 random bytes (or set AMBITO_DEMO=1 for a local demo)".into());
        }
    };
    // Everything that can be checked without writing is checked first: a busy port or an
    // unwritable directory is found before migrations or demo data touch the database.
    args.db.check()?;
    let cors_origins = args.cors_origins()?;
    let listener =
        std::net::TcpListener::bind(&args.bind).map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    ambito_api::storage::DocumentStore::check_writable(&args.documents_dir)?;
    let (db, startup) = open_db(&args.db)?;
    if !args.demo {
        let db = db.clone();
        let has_admin = web::block(move || db.read(ambito_persistence::user::admin_exists))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| one_line(&e.to_string()))?;
        if !has_admin {
            tracing::warn!(
                "no platform admin yet: the next step is `ambito create-admin --email you@example.org` \
                 (its password from AMBITO_ADMIN_PASSWORD, or printed once)"
            );
        }
    }
    if args.demo {
        tracing::warn!("DEMO MODE: demo data and accounts are loaded; not for production");
        let password = args.demo_password.clone();
        let accounts = {
            let db = db.clone();
            web::block(move || demo::load(&db, password.as_deref(), chrono::Utc::now()))
                .await
                .map_err(|e| e.to_string())?
        }
        .map_err(|e| format!("cannot load demo data: {e}"))?;
        print_accounts(&accounts);
    }
    drop(startup);
    let tokens = Tokens::new(
        &secret,
        chrono::Duration::seconds(args.access_token_ttl),
        chrono::Duration::seconds(args.refresh_token_ttl),
    );
    let documents = ambito_api::storage::DocumentStore::local(&args.documents_dir)?;
    let recorded = {
        let db = db.clone();
        web::block(move || db.read(ambito_persistence::document::storage_keys))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the documents' keys: {e}"))?
    };
    // Files no row names, older than an hour: left by a crash between a file and its row.
    match documents.sweep(|key| recorded.contains(key), std::time::Duration::from_secs(3600)) {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed document files that no record names"),
        Err(e) => tracing::warn!(error = %e, "could not sweep the document store"),
    }
    tracing::info!(documents = %args.documents_dir.display(), "document store ready");
    ambito_api::serve::return_freed_memory();
    if cors_origins.is_empty() {
        tracing::info!("CORS: no web origin may call the API from a browser (set AMBITO_CORS_ORIGINS)");
    } else {
        tracing::info!(origins = %cors_origins.join(", "), "CORS: these web origins may call the API");
    }
    let mut state = AppState::new(db, tokens, Arc::new(SystemClock), documents)
        .with_ocds_prefix(&args.ocds_prefix)
        .with_cors_origins(cors_origins);
    match &args.metrics_token {
        Some(token) if token.len() < 16 => {
            return Err("AMBITO_METRICS_TOKEN is too short: use at least 16 random characters".into());
        }
        Some(token) => state = state.with_metrics_token(token),
        None => {}
    }
    let state = web::Data::new(state);
    // The address bound, which names the port when AMBITO_BIND asked for any (`:0`).
    let address = listener.local_addr().map_or_else(|_| args.bind.clone(), |a| a.to_string());
    let options = ServeOptions { workers: args.workers, shutdown_timeout: args.shutdown_timeout, signals: true };
    let server = ambito_api::serve::server(listener, options, state.clone())
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    tracing::info!("listening on http://{address}; Swagger UI at http://{address}/docs");
    if args.metrics_token.is_some() {
        tracing::info!("metrics at http://{address}/metrics (bearer token AMBITO_METRICS_TOKEN)");
    }
    // The metrics listener stops with the API: the API's server handles the signals.
    let metrics_server = match &args.metrics_bind {
        Some(bind) => {
            let metrics_state = state.clone();
            let server = HttpServer::new(move || ambito_api::metrics_app(metrics_state.clone()))
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .bind(bind)
                .map_err(|e| format!("cannot listen on {bind} for metrics: {e}"))?
                .run();
            tracing::info!("metrics at http://{bind}/metrics");
            let handle = server.handle();
            actix_web::rt::spawn(server);
            Some(handle)
        }
        None => None,
    };
    let served = server.await.map_err(|e| e.to_string());
    tracing::info!("stopped accepting requests; requests in flight are answered");
    if let Some(handle) = metrics_server {
        handle.stop(true).await;
    }
    tracing::info!("server shut down");
    served
}

fn create_admin(db: &DbArgs, email: &str, name: &str, password: Option<String>) -> Result<(), String> {
    let email = EmailAddress::parse(email).map_err(|e| format!("--email: {e}"))?;
    let name = Name::parse(name).map_err(|e| format!("--name: {e}"))?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| random_secret(18));
    let password = Password::parse(&password).map_err(|e| format!("AMBITO_ADMIN_PASSWORD: {e}"))?;
    let hash = hash_now(password.expose()).map_err(|e| e.to_string())?;
    let (db, _startup) = open_db(db)?;
    let actor = Origin::system();
    let created = db
        .write(|conn| -> Result<_, ambito_persistence::StoreError> {
            let platform = organization::platform(conn, &actor)?;
            let new = NewUser {
                organization_id: platform.id,
                kind: UserKind::Person,
                login: email.as_str(),
                display_name: &name,
                role: Role::Admin,
                password_hash: &hash,
            };
            user::create(conn, &actor, &new)
        })
        .map_err(|e| e.to_string())?;
    println!("created admin {} ({})", created.login, created.id);
    if generated {
        println!("password (shown this once): {}", password.expose());
    }
    Ok(())
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    // An empty variable (`AMBITO_WORKERS=` in a .env file) means "not set", not "set to nothing".
    for (name, value) in std::env::vars_os() {
        let ours = name.to_str().is_some_and(|n| n.starts_with("AMBITO_") || n == "DATABASE_URL");
        if ours && value.is_empty() {
            // SAFETY: no other thread exists yet; the runtime starts below.
            unsafe { std::env::remove_var(&name) };
        }
    }
    fix_mmap_threshold();
    let cli = Cli::parse();
    actix_web::rt::System::new().block_on(run(cli))
}

/// Large allocations (argon2's 19 MiB, an upload's bytes) go straight to the kernel and back.
/// glibc otherwise raises its mmap threshold after the first such block is freed, and every later
/// one stays in the heap of whichever thread made it (demo seeding hashes passwords on the main
/// thread, for one), long after it is freed.
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called before any other thread exists; it only changes an allocator setting.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => {
            init_logging(args.log_format());
            serve(args).await
        }
        Command::Migrate(db) => {
            init_logging(LogFormat::Pretty);
            open_db(&db).map(drop)
        }
        Command::SeedDemo { db, password } => {
            init_logging(LogFormat::Pretty);
            open_db(&db).and_then(|(db, _startup)| {
                let accounts = demo::load(&db, password.as_deref(), chrono::Utc::now()).map_err(|e| e.to_string())?;
                print_accounts(&accounts);
                Ok(())
            })
        }
        Command::CreateAdmin { db, email, name, password } => {
            init_logging(LogFormat::Pretty);
            create_admin(&db, &email, &name, password)
        }
        Command::Openapi => ambito_api::openapi_yaml().map(|yaml| print!("{yaml}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ambito: {message}");
            ExitCode::FAILURE
        }
    }
}
