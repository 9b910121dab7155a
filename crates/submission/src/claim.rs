//! Claims: one call at a time works on a row's files (a transfer's completion, a sequence's
//! build). A claim is a time in the row (`claimed_until`, UTC milliseconds) set only where the
//! row is still at the version the caller loaded and no live claim holds; a call that crashed
//! leaves a claim that lapses.

use crate::error::Result;
use yaolian_core::Timestamp;
use yaolian_store::Store;

/// Claims row `id` of `table` at `version` for `lease_ms`; false when another call holds it or
/// the row moved on.
pub(crate) async fn take(store: &Store, table: &'static str, (id, version): (i64, i64), lease_ms: i64) -> Result<bool> {
    let now = Timestamp::now().0;
    let sql = format!(
        "UPDATE {table} SET claimed_until = $1 \
         WHERE id = $2 AND version = $3 AND (claimed_until IS NULL OR claimed_until < $4)"
    );
    let claimed = sqlx::query(&sql).bind(now + lease_ms).bind(id).bind(version).bind(now).execute(store.pool()).await?;
    Ok(claimed.rows_affected() == 1)
}

/// Gives the claim up; a failure only logs, as the claim lapses anyway.
pub(crate) async fn release(store: &Store, table: &'static str, id: i64) {
    let sql = format!("UPDATE {table} SET claimed_until = NULL WHERE id = $1");
    if let Err(e) = sqlx::query(&sql).bind(id).execute(store.pool()).await {
        tracing::warn!(table, id, error = %e, "claim not released; it lapses");
    }
}
