//! `yaolian`: the command-line entry point. Serves the web application, seeds the demo,
//! migrates the database, administers accounts and runs benchmarks.

mod backup;
mod bench;
mod bench_ectd;
mod bench_inventory;
mod bench_lab;
mod bench_pages;
mod bench_signals;
mod bench_supervision;
mod bench_trace;
mod config;
mod crawl;
mod demo;
mod document;
mod ectd;
mod ledger;
mod license;
#[cfg(test)]
mod query_plans;
mod scale;
mod state;
mod trace;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio::net::TcpListener;
use yaolian_access::ClientInfo;
use yaolian_access::OrgKind;
use yaolian_identity::{orgs, orgs::NewOrg};
use yaolian_identity::{roles, IdentityConfig};
use yaolian_identity::{users, users::NewUser, users::UserQuery};
use yaolian_store::{Store, StoreOptions};
use yaolian_web::{AppState, WebConfig};

use config::FileConfig;

/// mimalloc: the ingest engine and the HTTP server allocate many small strings and maps on
/// several threads, where glibc's allocator spent a third of bulk-ingest time (perf, 2026-11-29).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "yaolian", version, about = "药链 yaolian — drug lifecycle regulation and quality platform")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// Optional TOML configuration file.
    #[arg(long, global = true, env = "YAOLIAN_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in --data-dir.
    #[arg(long, global = true, env = "YAOLIAN_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for the SQLite database and other local data.
    #[arg(long, global = true, env = "YAOLIAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Log format: human or json.
    #[arg(long, global = true, env = "YAOLIAN_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. info or yaolian=debug.
    #[arg(long, global = true, env = "YAOLIAN_LOG")]
    log_level: Option<String>,
    /// SM4 key (32 hex digits) that seals the site's SM2 signing key. Default: the 0600 file
    /// ledger-seal.key in --data-dir, created at first start.
    #[arg(long, global = true, env = "YAOLIAN_LEDGER_KEY", hide_env_values = true)]
    ledger_key: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Create a fresh demo database, seed it and run the server.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Administer organizations and accounts from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The trusted-records ledger: verify, checkpoint, export proof bundles.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Electronic licenses: verify an exported license offline.
    #[command(subcommand)]
    License(license::LicenseCommand),
    /// Enforcement documents: verify an exported sealed decision or notice offline.
    #[command(subcommand)]
    Document(document::DocumentCommand),
    /// Electronic submission (eCTD): validate a package on disk, write the sample application.
    #[command(subcommand)]
    Ectd(ectd::EctdCommand),
    /// Drug traceability: bulk import, a generated supply chain.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Write a consistent copy of the SQLite database and its SM3 checksum (FILE.sm3).
    Backup {
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// Restore the SQLite database from a backup: checks the signed manifest (this site's key,
    /// or --trust-key) and the file's SM3 against it, verifies the backup's whole ledger, then
    /// moves it into place (the old database is kept beside).
    Restore {
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
        /// Accept a manifest signed by this public key (PEM file): a backup of another site,
        /// whose sealing key this site does not hold.
        #[arg(long)]
        trust_key: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YAOLIAN_ADDR")]
    addr: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "YAOLIAN_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Password of every demo account.
    #[arg(long, env = "YAOLIAN_DEMO_PASSWORD", default_value = demo::DEFAULT_PASSWORD)]
    demo_password: String,
    /// Seed only; do not start the server.
    #[arg(long)]
    no_serve: bool,
    /// How much to seed: the hand-made demo world, a city's worth, or a province's (30,000
    /// companies and sites, 100,000 products, 200,000 persons, 20,000 licenses, 100,000
    /// applications, a ledger of over 1,000,000 entries).
    #[arg(long, value_enum, default_value = "demo")]
    scale: scale::Scale,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an organization.
    CreateOrg {
        /// national, provincial, municipal, company or site
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// 统一社会信用代码 (or a site code for sites)
        #[arg(long)]
        code: String,
        /// Id of the parent organization.
        #[arg(long)]
        parent: Option<i64>,
        #[arg(long, default_value = "")]
        region: String,
    },
    /// Create a user account.
    CreateUser {
        #[arg(long)]
        org: i64,
        #[arg(long)]
        username: String,
        /// Real name (姓名).
        #[arg(long)]
        name: String,
        /// Initial password (or set YAOLIAN_NEW_PASSWORD to keep it out of the shell history).
        #[arg(long, env = "YAOLIAN_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// Role codes, comma separated.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Make it a master account (主账号).
        #[arg(long)]
        master: bool,
    },
    /// Set a new password for an account and clear its lockout.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "YAOLIAN_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List user accounts.
    ListUsers {
        /// Only this organization.
        #[arg(long)]
        org: Option<i64>,
    },
    /// List organizations.
    ListOrgs,
}

/// Everything resolved from flags, environment and file.
pub(crate) struct Settings {
    file: FileConfig,
    database_url: Option<String>,
    data_dir: PathBuf,
    ledger_key: Option<String>,
    quality: yaolian_quality::QualityConfig,
    submission_receiver: Option<yaolian_submission::transfers::Remote>,
}

impl Settings {
    fn resolve(g: &Global) -> Result<Settings> {
        let file = FileConfig::load(g.config.as_deref())?;
        let database_url = g.database_url.clone().or_else(|| file.database_url.clone());
        let data_dir = g.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("data"));
        let ledger_key = g.ledger_key.clone().or_else(|| file.ledger_key.clone());
        let quality = file.quality()?;
        let submission_receiver = file.submission.receiver()?;
        Ok(Settings { file, database_url, data_dir, ledger_key, quality, submission_receiver })
    }

    /// The identity settings of the configuration, with the site sealing key (TOTP secrets are
    /// sealed under it).
    fn identity(&self) -> Result<IdentityConfig> {
        Ok(IdentityConfig { sealing: yaolian_ledger::sign::Sealing(self.sealing_key()?), ..self.file.identity()? })
    }

    /// The site's sealing key as it exists already (`--ledger-key`, the configuration or the
    /// key file); `None` when there is none yet. Restoring never makes one.
    fn existing_sealing_key(&self) -> Result<Option<[u8; 16]>> {
        let path = self.file.ledger_key_file.clone().unwrap_or_else(|| self.data_dir.join("ledger-seal.key"));
        if self.ledger_key.is_none() && !path.exists() {
            return Ok(None);
        }
        self.sealing_key().map(Some)
    }

    /// The SM4 key that seals the site signing key: from `--ledger-key` or the configuration,
    /// else from the key file, which is created (mode 0600) when missing.
    pub(crate) fn sealing_key(&self) -> Result<[u8; 16]> {
        let parse = |text: &str, source: &str| -> Result<[u8; 16]> {
            let bytes =
                hex_key(text.trim()).with_context(|| format!("{source}: must be 32 hex digits (a 128-bit SM4 key)"))?;
            Ok(bytes)
        };
        if let Some(k) = &self.ledger_key {
            return parse(k, "--ledger-key");
        }
        let path = self.file.ledger_key_file.clone().unwrap_or_else(|| self.data_dir.join("ledger-seal.key"));
        if path.exists() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            return parse(&text, &path.display().to_string());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut key = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        write_private(&path, &format!("{}\n", hex_encode(&key)))?;
        tracing::info!(path = %path.display(), "created the ledger sealing key file; back it up with the database");
        Ok(key)
    }

    /// The SQLite database file, unless the database is PostgreSQL.
    fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.database_url {
            None => Some(self.data_dir.join("yaolian.db")),
            Some(url) => {
                let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
                let path = rest.split('?').next().unwrap_or(rest);
                Some(PathBuf::from(path))
            }
        }
    }

    fn store_options(&self) -> StoreOptions {
        StoreOptions { max_connections: self.file.max_connections.unwrap_or(16), ..StoreOptions::default() }
    }

    pub(crate) async fn open(&self) -> Result<Store> {
        let store = match &self.database_url {
            Some(url) => Store::connect(url, &self.store_options()).await,
            None => Store::open_data_dir(&self.data_dir, &self.store_options()).await,
        }
        .context("opening the database")?;
        store.migrate().await.context("migrating the database")?;
        roles::ensure_builtin(&store).await.context("installing built-in roles")?;
        Ok(store)
    }

    fn web(&self, serve: &ServeArgs) -> WebConfig {
        let d = WebConfig::default();
        WebConfig {
            secure_cookies: serve.secure_cookies.or(self.file.secure_cookies).unwrap_or(d.secure_cookies),
            trust_proxy: self.file.trust_proxy.unwrap_or(d.trust_proxy),
            max_body_bytes: self.file.max_body_bytes.unwrap_or(d.max_body_bytes),
            demo: None,
            metrics_token: std::env::var("YAOLIAN_METRICS_TOKEN")
                .ok()
                .or_else(|| self.file.metrics_token.clone())
                .filter(|t| !t.trim().is_empty())
                .map(yaolian_web::MetricsToken),
            public_per_minute: self.file.public_per_minute.unwrap_or(d.public_per_minute).max(1),
            quality: self.quality.clone(),
            submission_dir: self.data_dir.join("submission"),
            submission_receiver: self.submission_receiver.clone(),
        }
    }

    fn addr(&self, serve: &ServeArgs) -> String {
        serve.addr.clone().or_else(|| self.file.addr.clone()).unwrap_or_else(|| "127.0.0.1:8080".into())
    }
}

fn init_logging(g: &Global, file: &FileConfig) {
    use tracing_subscriber::EnvFilter;
    let level = g.log_level.clone().or_else(|| file.log_level.clone()).unwrap_or_else(|| "info,sqlx=warn".into());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = g.log_format.as_deref().or(file.log_format.as_deref()) == Some("json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let settings = Settings::resolve(&cli.global)?;
    init_logging(&cli.global, &settings.file);
    match cli.command {
        Command::Serve(args) => {
            let store = settings.open().await?;
            let state = signed_state(&settings, store, settings.web(&args)).await?;
            serve(state, &settings.addr(&args)).await
        }
        Command::Demo(args) => demo_command(&settings, args).await,
        Command::Migrate => {
            let store = settings.open().await?;
            println!("database is migrated ({})", store.backend().name());
            Ok(())
        }
        Command::Admin(cmd) => admin(&settings, cmd).await,
        Command::Bench(cmd) => bench::run(cmd, settings.database_url.clone()).await,
        Command::Ledger(cmd) => ledger::run(&settings, cmd).await,
        Command::License(cmd) => license::run(cmd),
        Command::Document(cmd) => document::run(cmd),
        Command::Ectd(cmd @ ectd::EctdCommand::Send { .. }) => ectd::send(&settings, cmd).await,
        Command::Ectd(cmd) => ectd::run(cmd),
        Command::Trace(cmd) => trace::run(settings.open().await?, cmd).await,
        Command::Backup { output } => backup::backup(&settings, &output).await,
        Command::Restore { file, force, trust_key } => {
            backup::restore(&settings, &file, force, trust_key.as_deref()).await
        }
    }
}

async fn serve(state: AppState, addr: &str) -> Result<()> {
    let listener = TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(%local, backend = state.store().backend().name(), "serving");
    yaolian_web::serve(listener, state, shutdown_signal()).await.context("server")?;
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM — what systemd and container runtimes send to stop a service —
/// both start the graceful shutdown: no new connections, open ones get the grace to finish.
async fn shutdown_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server gracefully");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// Removes an old demo SQLite database so that the demo always starts fresh.
fn remove_sqlite_files(dir: &Path) -> Result<()> {
    for name in ["yaolian.db", "yaolian.db-wal", "yaolian.db-shm"] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing old demo database {}", p.display()))?;
        }
    }
    Ok(())
}

async fn demo_command(settings: &Settings, args: DemoArgs) -> Result<()> {
    // SQLite: a fresh file in --data-dir. PostgreSQL (--database-url): an empty database only —
    // the demo's accounts and password must never land in one that holds real data.
    let started = std::time::Instant::now();
    let database = match &settings.database_url {
        Some(url) => yaolian_store::redact_url(url),
        None => {
            remove_sqlite_files(&settings.data_dir)?;
            settings.data_dir.join("yaolian.db").display().to_string()
        }
    };
    if let Some(url) = &settings.database_url {
        // Looked at before anything is written: not even migrations or roles touch a database
        // that holds tables.
        let probe = Store::connect(url, &settings.store_options()).await.context("opening the database")?;
        let tables: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()")
                .fetch_one(probe.pool())
                .await
                .context("reading the database's tables")?;
        probe.close().await;
        if tables > 0 {
            bail!("demo seeds an empty database; {database} already holds {tables} tables");
        }
    }
    let store = settings.open().await?;
    let sealing = yaolian_license::licenses::Sealing(settings.sealing_key()?);
    let accounts = demo::seed(&store, &args.demo_password, &sealing).await?;
    let broken = demo::seed_submission(&store, &settings.data_dir.join("submission"), &args.demo_password)
        .await
        .context("seeding the eCTD application")?;
    if let Some(sizes) = args.scale.sizes() {
        let grown = scale::grow(&store, &sealing, &args.demo_password, &sizes).await?;
        let graded = scale::grade(&store).await?;
        println!(
            "yaolian demo: grown by {} organizations, {} products, {} persons, {} licenses, {} applications, \
             {} companies graded; ledger {} entries",
            grown.orgs, grown.products, grown.persons, grown.licenses, grown.applications, graded, grown.ledger_entries
        );
    }
    let addr = settings.addr(&args.serve);
    println!("yaolian demo: database {database} seeded in {:.1} s", started.elapsed().as_secs_f64());
    println!();
    println!("  open   http://{addr}/");
    println!("  API    http://{addr}/api/docs");
    println!("  password of every account: {}", args.demo_password);
    println!("  eCTD   a broken package to validate: yaolian ectd validate {}", broken.display());
    println!();
    println!("  {} {} {} organization", pad("user", 16), pad("name", 8), pad("role", 24));
    for a in &accounts {
        println!("  {} {} {} {}", pad(&a.username, 16), pad(&a.display_name, 8), pad(&a.role, 24), a.org);
    }
    println!();
    if args.no_serve {
        return Ok(());
    }
    let receiver = demo::submission_receiver(&store, &settings.sealing_key()?, &addr).await?;
    let web = WebConfig {
        demo: Some((accounts, args.demo_password.clone())),
        submission_receiver: Some(receiver),
        ..settings.web(&args.serve)
    };
    let state = signed_state(settings, store, web).await?;
    serve(state, &addr).await
}

/// The application state with the site signing key loaded (created at first start), and the
/// background task that signs a checkpoint every `checkpoint_every` entries or
/// `checkpoint_seconds` seconds, whichever comes first.
async fn signed_state(settings: &Settings, store: Store, web: WebConfig) -> Result<AppState> {
    let sealing = settings.sealing_key()?;
    let (key_id, key) =
        yaolian_store::ledger::site_key(&store, &sealing).await.context("loading the site signing key")?;
    let every = settings.file.checkpoint_every.unwrap_or(1000).max(1);
    let seconds = settings.file.checkpoint_seconds.unwrap_or(60).max(1);
    let (bg_store, bg_key, bg_id) = (store.clone(), key.clone(), key_id.clone());
    tokio::spawn(async move {
        let mut last_attempt = std::time::Instant::now();
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            if last_sweep.is_none_or(|t| t.elapsed().as_secs() >= 60) {
                last_sweep = Some(std::time::Instant::now());
                match yaolian_trace::capture::fail_interrupted(&bg_store).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(jobs = n, "capture jobs interrupted by a stop marked failed"),
                    Err(e) => tracing::warn!(error = %e, "could not check for interrupted capture jobs"),
                }
                match yaolian_services::applications::sweep_overdue(&bg_store).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(raised = n, "overdue applications: alerts raised"),
                    Err(e) => tracing::warn!(error = %e, "overdue sweep failed"),
                }
            }
            let size = match yaolian_store::ledger::head(bg_store.pool()).await {
                Ok((_, size)) => size,
                Err(e) => {
                    tracing::warn!(error = %e, "checkpointer: cannot read the ledger head");
                    continue;
                }
            };
            let last = yaolian_store::ledger::latest_checkpoint(&bg_store)
                .await
                .ok()
                .flatten()
                .map(|c| c.head.tree_size)
                .unwrap_or(0);
            let due = size > last && (size - last >= every || last_attempt.elapsed().as_secs() >= seconds);
            if due {
                last_attempt = std::time::Instant::now();
                match yaolian_store::ledger::make_checkpoint(&bg_store, &bg_key, &bg_id).await {
                    Ok(cp) => {
                        tracing::info!(tree_size = cp.head.tree_size, root = %cp.head.root_hash, "checkpoint signed")
                    }
                    Err(e) => tracing::warn!(error = %e, "checkpointer: signing failed"),
                }
            }
        }
    });
    let sealing = yaolian_license::licenses::Sealing(sealing);
    let sealed = yaolian_identity::totp::seal_clear_secrets(&store, &sealing).await?;
    if sealed > 0 {
        tracing::info!(users = sealed, "TOTP secrets stored in clear are now sealed");
    }
    let baselined = yaolian_identity::state::baseline_fingerprints(&store).await?;
    if baselined > 0 {
        tracing::info!(users = baselined, "credential fingerprints of existing accounts are now ledgered");
    }
    Ok(AppState::with_signer(store, settings.identity()?, web, key_id, key, sealing))
}

fn hex_key(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Pads to a terminal width, counting CJK characters as two columns.
fn pad(s: &str, width: usize) -> String {
    let used: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(used)))
}

async fn admin(settings: &Settings, cmd: AdminCommand) -> Result<()> {
    let store = settings.open().await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo { ip: "cli".into(), user_agent: "yaolian admin".into() };
    let identity: IdentityConfig = settings.identity()?;
    match cmd {
        AdminCommand::CreateOrg { kind, name, code, parent, region } => {
            let Some(kind) = OrgKind::parse(&kind) else {
                bail!("--kind: must be national, provincial, municipal, company or site, not {kind:?}");
            };
            let org =
                orgs::create(&store, &sys, &NewOrg { kind, name, code, parent_id: parent, region }, &client).await?;
            println!("created organization {} ({}) path {}", org.id, org.name, org.path);
        }
        AdminCommand::CreateUser { org, username, name, password, roles, master } => {
            let new = NewUser {
                org_id: org,
                username,
                display_name: name,
                password,
                email: String::new(),
                phone: String::new(),
                is_master: master,
                roles,
            };
            let u = users::create(&store, &identity, &sys, &new, &client).await?;
            println!("created user {} ({}) in {} with roles [{}]", u.id, u.username, u.org_name, u.roles.join(", "));
        }
        AdminCommand::ResetPassword { username, password } => {
            let id =
                users::id_by_username(&store, &username).await.with_context(|| format!("--username {username}"))?;
            users::reset_password(&store, &identity, &sys, id, &password, &client).await?;
            println!("password of {username} reset; its sessions ended and any lockout cleared");
        }
        AdminCommand::ListUsers { org } => {
            let (list, total) =
                users::list(&store, &sys, &UserQuery { org_id: org, limit: 1000, ..Default::default() }, &client)
                    .await?;
            println!(
                "{:<6} {:<18} {} {:<8} {:<9} {:<30} organization",
                "id",
                "username",
                pad("name", 10),
                "status",
                "type",
                "roles"
            );
            for u in &list {
                println!(
                    "{:<6} {:<18} {} {:<8} {:<9} {:<30} {}",
                    u.id,
                    u.username,
                    pad(&u.display_name, 10),
                    u.status,
                    if u.is_master { "master" } else { "sub" },
                    u.roles.join(","),
                    u.org_name
                );
            }
            println!("{total} users");
        }
        AdminCommand::ListOrgs => {
            for o in orgs::list(&store, &sys, &client).await? {
                let depth = o.path.matches('/').count().saturating_sub(2);
                println!("{:<5} {}{} [{}] {}", o.id, "  ".repeat(depth), o.name, o.kind.as_str(), o.code);
            }
        }
    }
    Ok(())
}
