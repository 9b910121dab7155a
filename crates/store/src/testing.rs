//! Test harness: runs the same test against a fresh SQLite file and, when `YAOLIAN_TEST_PG`
//! names a PostgreSQL server, against a fresh PostgreSQL database created for this run.
//!
//! When `YAOLIAN_TEST_PG` is unset the PostgreSQL half is skipped with a visible message,
//! unless `YAOLIAN_REQUIRE_PG=1` (set by `.ci/run`), in which case the test fails.

use crate::{Store, StoreError, StoreOptions};
use rand::Rng;
use std::future::Future;
use std::path::PathBuf;

/// A database made for one test; dropped (PostgreSQL) or deleted (SQLite) by [`TestDb::finish`].
pub struct TestDb {
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    Postgres { admin_url: String, db_name: String },
}

fn unique_name(prefix: &str) -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{prefix}_{}_{n:016x}", std::process::id())
}

impl TestDb {
    /// A fresh, migrated SQLite database in a temporary directory.
    pub async fn try_sqlite() -> Result<TestDb, StoreError> {
        let dir = std::env::temp_dir().join(unique_name("yaolian_test"));
        let store = Store::open_data_dir(&dir, &StoreOptions::default()).await?;
        store.migrate().await?;
        Ok(TestDb { store, cleanup: Cleanup::SqliteDir(dir) })
    }

    /// A fresh, migrated PostgreSQL database, created on the server named by `admin_url`.
    pub async fn try_postgres(admin_url: &str) -> Result<TestDb, StoreError> {
        let db_name = unique_name("yaolian_t");
        let admin = Store::connect(admin_url, &StoreOptions { max_connections: 1, ..Default::default() }).await?;
        let created = sqlx::query(&format!("CREATE DATABASE \"{db_name}\"")).execute(admin.pool()).await;
        admin.close().await;
        created?;
        let url = with_database(admin_url, &db_name);
        let store = Store::connect(&url, &StoreOptions { max_connections: 8, ..Default::default() }).await?;
        store.migrate().await?;
        Ok(TestDb { store, cleanup: Cleanup::Postgres { admin_url: admin_url.to_string(), db_name } })
    }

    /// The PostgreSQL URL of this database (`None` for SQLite).
    pub fn postgres_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, db_name } => Some(with_database(admin_url, db_name)),
            Cleanup::SqliteDir(_) => None,
        }
    }

    /// [`TestDb::try_sqlite`] for tests: panics when the database cannot be made.
    pub async fn sqlite() -> TestDb {
        Self::try_sqlite().await.expect("fresh SQLite test database")
    }

    /// [`TestDb::try_postgres`] for tests: panics when the database cannot be made.
    pub async fn postgres(admin_url: &str) -> TestDb {
        Self::try_postgres(admin_url).await.expect("fresh PostgreSQL test database (YAOLIAN_TEST_PG)")
    }

    /// Closes the store and removes the database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, db_name } => {
                if let Ok(admin) =
                    Store::connect(&admin_url, &StoreOptions { max_connections: 1, ..Default::default() }).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"))
                        .execute(admin.pool())
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host_part = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{db}?{q}"),
        None => format!("{host_part}/{db}"),
    }
}

/// The PostgreSQL URL for tests, or `None` (after printing why) when the half is skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var("YAOLIAN_TEST_PG") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("YAOLIAN_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("YAOLIAN_REQUIRE_PG=1 but YAOLIAN_TEST_PG is not set");
            }
            eprintln!("note: YAOLIAN_TEST_PG is unset: skipping the PostgreSQL half of this test");
            None
        }
    }
}

/// Runs `test` once per backend, each on its own fresh database.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let db = TestDb::sqlite().await;
    test(db.store.clone()).await;
    db.finish().await;
    if let Some(url) = postgres_url() {
        let db = TestDb::postgres(&url).await;
        test(db.store.clone()).await;
        db.finish().await;
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_database_name() {
        assert_eq!(with_database("postgres://root@127.0.0.1:5432/test", "x"), "postgres://root@127.0.0.1:5432/x");
        assert_eq!(with_database("postgres://h/test?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
