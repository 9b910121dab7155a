//! The local outbox: one SQLite file on the workstation. A captured file is one row keyed by its
//! idempotency key (the SM3 of instrument, file name and content), inserted with its content in
//! one statement; delivering sets `delivered_at`; a failure counts the attempt and sets the next
//! one; a refusal sets `rejected`. Nothing is deleted: the outbox is also the workstation's record
//! of what it sent.

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use yaolian_ledger::hash::HashAlg;

/// Largest file captured, bytes (the server's limit).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS outbox (
    key           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    path          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sm3           TEXT NOT NULL,
    content       BLOB NOT NULL,
    acquired_at   TEXT NOT NULL,
    captured_at   INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,
    delivered_at  INTEGER,
    rejected      TEXT,
    last_error    TEXT NOT NULL DEFAULT ''
)";

/// A row waiting to be delivered.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub key: String,
    pub name: String,
    pub path: String,
    pub kind: String,
    pub content: Vec<u8>,
    pub acquired_at: String,
    pub attempts: u32,
}

/// The queue at a glance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    pub waiting: i64,
    pub delivered: i64,
    pub rejected: i64,
    /// Milliseconds since the epoch of the next attempt, if any waits.
    pub next_attempt_at: Option<i64>,
    pub last_error: String,
}

/// Where captured content came from: its name (a file's, or one made for a serial line), the
/// path or port, its kind and when it was acquired.
pub struct Source<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub kind: &'a str,
    pub acquired_ms: i64,
}

#[derive(Clone)]
pub struct Outbox {
    pool: SqlitePool,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Outbox {
    /// Opens (creating) the outbox file; WAL and full sync, so a capture survives a power cut.
    pub async fn open(path: &Path) -> anyhow::Result<Outbox> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        Ok(Outbox { pool })
    }

    /// Captures a file: `true` when it is new, `false` when it was captured before.
    pub async fn capture(&self, instrument: &str, path: &Path, kind: &str) -> anyhow::Result<bool> {
        let meta = std::fs::metadata(path)?;
        anyhow::ensure!(meta.len() <= MAX_FILE_BYTES, "{} is larger than 10 MiB", path.display());
        let content = std::fs::read(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        let acquired = modified.map(|d| d.as_millis() as i64).unwrap_or_else(now_ms);
        let at = Source { name: &name, path: &path.display().to_string(), kind, acquired_ms: acquired };
        self.capture_bytes(instrument, &at, &content).await
    }

    /// Captures content that arrived otherwise (a line from a serial port), named by `at`:
    /// `true` when it is new.
    pub async fn capture_bytes(&self, instrument: &str, at: &Source<'_>, content: &[u8]) -> anyhow::Result<bool> {
        let sm3 = HashAlg::Sm3.digest(&[content]).to_hex();
        let key =
            HashAlg::Sm3.digest(&[instrument.as_bytes(), b"\n", at.name.as_bytes(), b"\n", sm3.as_bytes()]).to_hex();
        let now = now_ms();
        let done = sqlx::query(
            "INSERT OR IGNORE INTO outbox (key, name, path, kind, sm3, content, acquired_at, captured_at, next_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key)
        .bind(at.name)
        .bind(at.path)
        .bind(at.kind)
        .bind(&sm3)
        .bind(content)
        .bind(rfc3339(at.acquired_ms))
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Rows whose next attempt has come, oldest capture first.
    pub async fn due(&self, limit: i64) -> anyhow::Result<Vec<Waiting>> {
        let rows = sqlx::query(
            "SELECT key, name, path, kind, content, acquired_at, attempts FROM outbox \
             WHERE delivered_at IS NULL AND rejected IS NULL AND next_at <= ? ORDER BY captured_at, key LIMIT ?",
        )
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Waiting {
                    key: r.try_get("key")?,
                    name: r.try_get("name")?,
                    path: r.try_get("path")?,
                    kind: r.try_get("kind")?,
                    content: r.try_get("content")?,
                    acquired_at: r.try_get("acquired_at")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    pub async fn delivered(&self, key: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET delivered_at = ?, last_error = '' WHERE key = ?")
            .bind(now_ms())
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A failure that a later attempt may overcome: count it and wait `delay_ms`.
    pub async fn failed(&self, key: &str, error: &str, delay_ms: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE key = ?")
            .bind(now_ms() + delay_ms)
            .bind(error)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A refusal no retry changes: set aside with its reason.
    pub async fn rejected(&self, key: &str, reason: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET rejected = ?, last_error = ? WHERE key = ?")
            .bind(reason)
            .bind(reason)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Brings every waiting row's next attempt to now (an operator's `retry` once the server is
    /// back, rather than waiting out the backoff).
    pub async fn retry_now(&self) -> anyhow::Result<u64> {
        let done = sqlx::query("UPDATE outbox SET next_at = ? WHERE delivered_at IS NULL AND rejected IS NULL")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn status(&self) -> anyhow::Result<Status> {
        let r = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN delivered_at IS NULL AND rejected IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
               COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered, \
               COALESCE(SUM(CASE WHEN rejected IS NOT NULL THEN 1 ELSE 0 END), 0) AS rejected, \
               MIN(CASE WHEN delivered_at IS NULL AND rejected IS NULL THEN next_at END) AS next_at \
             FROM outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        let last_error: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM outbox WHERE last_error <> '' AND delivered_at IS NULL ORDER BY next_at DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(Status {
            waiting: r.try_get("waiting")?,
            delivered: r.try_get("delivered")?,
            rejected: r.try_get("rejected")?,
            next_attempt_at: r.try_get("next_at")?,
            last_error: last_error.unwrap_or_default(),
        })
    }
}

/// Milliseconds since the epoch as RFC 3339 in China time (`2026-12-01T09:30:00.000+08:00`).
pub fn rfc3339(ms: i64) -> String {
    let Some(china) = chrono::FixedOffset::east_opt(8 * 3600) else { return String::new() };
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&china)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_in_china_time() {
        assert_eq!(super::rfc3339(0), "1970-01-01T08:00:00.000+08:00");
        assert_eq!(super::rfc3339(1_500), "1970-01-01T08:00:01.500+08:00");
    }
}
