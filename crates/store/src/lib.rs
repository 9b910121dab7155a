//! The store: one handle over SQLite (embedded default) or PostgreSQL (production), chosen once
//! at start-up from the URL scheme, with embedded per-backend migrations and the versioning
//! helper through which every regulated record changes.
//!
//! Statements are written once with PostgreSQL-style `$1` placeholders, which both drivers
//! accept. Values crossing the boundary are `i64`, `f64`, `String` and `Vec<u8>`; time is UTC
//! milliseconds (`yaolian_core::Timestamp`) and flags are `0`/`1` integers, so one statement
//! reads the same on both backends.
//!
//! Architecture Invariant: nothing outside [`versions`] issues `UPDATE` or `DELETE` against
//! `record_versions`; the table is append-only.

pub mod exec;
pub mod ledger;
mod native;
mod pgcopy;
mod pgread;
pub mod sql;
pub mod state;
pub mod testing;
mod verify;
pub mod versions;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

pub use sqlx::query as sqlx_query;
pub use sqlx::{Any, AnyConnection, Row, Transaction};
pub use versions::{NewVersion, RecordVersion};

/// A transaction on either backend.
pub type Tx<'c> = Transaction<'c, Any>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {field}: {message}")]
    Invalid { field: String, rule: String, message: String },
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Native(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the database cannot be reached (an outage, a restart): no connection within
    /// the acquire timeout, a broken connection, or the server refusing new sessions.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => true,
            // Class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now).
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
            }
            _ => false,
        }
    }

    /// True when the database refused a row for a uniqueness constraint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.is_unique_violation() || e.message().contains("UNIQUE constraint failed")
            }
            StoreError::Native(rusqlite::Error::SqliteFailure(e, _)) => {
                // SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
                matches!(e.extended_code, 1555 | 2067)
            }
            StoreError::Conflict(_) => true,
            _ => false,
        }
    }
}

/// The id an `INSERT … RETURNING id` gave, or `None` when a uniqueness constraint refused the
/// row (the caller names the field); any other failure is an error.
pub fn returned_id(inserted: Result<AnyRow, sqlx::Error>) -> Result<Option<i64>, StoreError> {
    match inserted {
        Ok(row) => Ok(Some(row.try_get(0)?)),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Which engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Hides a password in a database URL so it can be logged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    // The last `@` ends the user part: a password may hold an unencoded `@`.
    let rest = match rest.rsplit_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{auth}@{host}"),
        },
        None => rest.to_string(),
    };
    // `?password=…` is a password too.
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) => format!("{scheme}://{rest}?{q}"),
        None => format!("{scheme}://{rest}"),
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub busy_timeout: Duration,
    /// How long a request waits for a PostgreSQL connection before the database counts as
    /// unavailable (the API then answers 503 at once instead of hanging).
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(2),
        }
    }
}

/// The database handle shared by every module. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// A SQLite file's native connection for bulk writers (see [`Store::with_native_sqlite`]).
    native: Option<std::sync::Arc<native::Native>>,
    /// A PostgreSQL store's server, for the ledger verifier's own connection (binary COPY).
    pg: Option<pgread::PgTarget>,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`). SQLite files are created when
    /// missing and opened in WAL mode with foreign keys on and a busy timeout.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut url = url.to_string();
        let pool_options = AnyPoolOptions::new().max_connections(options.max_connections);
        let native = match backend {
            Backend::Sqlite => native::Native::for_url(&url, options.busy_timeout).map(std::sync::Arc::new),
            Backend::Postgres => None,
        };
        let pool = match backend {
            Backend::Sqlite => {
                if !url.contains('?') {
                    url.push_str("?mode=rwc");
                }
                let busy_ms = options.busy_timeout.as_millis();
                pool_options
                    .min_connections(1)
                    .after_connect(move |conn, _meta| {
                        Box::pin(async move {
                            let pragmas = format!(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout={busy_ms}; \
                                 PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;"
                            );
                            conn.execute(sqlx::raw_sql(&pragmas)).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => pool_options.acquire_timeout(options.acquire_timeout).connect(&url).await?,
        };
        let pg = (backend == Backend::Postgres).then(|| pgread::PgTarget(url.as_str().into()));
        Ok(Store { pool, backend, native, pg })
    }

    /// Opens (creating if needed) the SQLite database `yaolian.db` in `dir`.
    pub async fn open_data_dir(dir: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt(format!("data dir {}: {e}", dir.display())))?;
        Store::connect(&sqlite_url(&dir.join("yaolian.db")), options).await
    }

    /// Applies every embedded migration not yet applied. Refuses a database migrated by a newer
    /// yaolian (a migration it does not know).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let row: AnyRow = sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        let one: i64 = row.try_get(0).or_else(|_| row.try_get::<i32, _>(0).map(i64::from))?;
        if one == 1 {
            Ok(())
        } else {
            Err(StoreError::Corrupt("SELECT 1 returned something else".into()))
        }
    }

    /// (connections open, idle connections)
    /// Writes a consistent copy of a SQLite database to `path` while it stays in use
    /// (`VACUUM INTO`: one read transaction, the copy compacted). SQLite only.
    pub async fn backup_into(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid {
                field: "database".into(),
                rule: "sqlite_only".into(),
                message: "backup copies a SQLite database; for PostgreSQL use pg_dump".into(),
            });
        }
        let target = path.to_str().ok_or_else(|| StoreError::Invalid {
            field: "output".into(),
            rule: "utf8_path".into(),
            message: "the backup path must be valid UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `sqlite://` URL for a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Parses a URL scheme string; used by configuration.
impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::from_url(s)
    }
}

/// Maps "no rows" to [`StoreError::NotFound`].
pub fn not_found_if_none<T>(v: Option<T>) -> Result<T, StoreError> {
    v.ok_or(StoreError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_logged_url_shows_no_password() {
        let cases = [
            ("postgres://app:s3cret@db:5432/prod", "postgres://app:***@db:5432/prod"),
            ("postgres://app:p@ss@db/prod", "postgres://app:***@db/prod"),
            (
                "postgres://app@db/prod?password=s3cret&sslmode=require",
                "postgres://app@db/prod?password=***&sslmode=require",
            ),
            ("postgres://postgres@127.0.0.1:5432/test", "postgres://postgres@127.0.0.1:5432/test"),
            ("sqlite:///tmp/prov/yaolian.db", "sqlite:///tmp/prov/yaolian.db"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown);
            assert!(!redact_url(url).contains("s3cret") && !redact_url(url).contains("ss@"), "{url}");
        }
    }
}
