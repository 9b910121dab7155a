//! Claims: one call at a time works on a row's files (a transfer's completion, a sequence's
//! build or send). A claim is a time in the row (`claimed_until`, UTC milliseconds) set only
//! where the row is still at the version the caller loaded and no live claim holds; that time
//! is the holder's token, so only the holder renews or gives it up, and a call that crashed
//! leaves a claim that lapses.

use crate::error::Result;
use yaolian_core::Timestamp;
use yaolian_store::Store;

/// A claim held: its row and token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim {
    table: &'static str,
    id: i64,
    token: i64,
}

/// Claims row `id` of `table` at `version` for `lease_ms`; `None` when another call holds it
/// or the row moved on.
pub(crate) async fn take(
    store: &Store,
    table: &'static str,
    (id, version): (i64, i64),
    lease_ms: i64,
) -> Result<Option<Claim>> {
    let now = Timestamp::now().0;
    // A token of its own even when two calls start in the same millisecond.
    let token = now + lease_ms + i64::from(rand::random::<u16>());
    let sql = format!(
        "UPDATE {table} SET claimed_until = $1 \
         WHERE id = $2 AND version = $3 AND (claimed_until IS NULL OR claimed_until < $4)"
    );
    let claimed = sqlx::query(&sql).bind(token).bind(id).bind(version).bind(now).execute(store.pool()).await?;
    Ok((claimed.rows_affected() == 1).then_some(Claim { table, id, token }))
}

impl Claim {
    /// Holds the claim for another `lease_ms`; false when it lapsed and another call took it.
    pub(crate) async fn renew(&mut self, store: &Store, lease_ms: i64) -> Result<bool> {
        let token = Timestamp::now().0 + lease_ms + i64::from(rand::random::<u16>());
        let sql = format!("UPDATE {} SET claimed_until = $1 WHERE id = $2 AND claimed_until = $3", self.table);
        let renewed = sqlx::query(&sql).bind(token).bind(self.id).bind(self.token).execute(store.pool()).await?;
        if renewed.rows_affected() == 1 {
            self.token = token;
        }
        Ok(renewed.rows_affected() == 1)
    }

    /// Gives the claim up if it is still this one's; a failure only logs, as the claim lapses
    /// anyway.
    pub(crate) async fn release(self, store: &Store) {
        let sql = format!("UPDATE {} SET claimed_until = NULL WHERE id = $1 AND claimed_until = $2", self.table);
        if let Err(e) = sqlx::query(&sql).bind(self.id).bind(self.token).execute(store.pool()).await {
            tracing::warn!(table = self.table, id = self.id, error = %e, "claim not released; it lapses");
        }
    }
}
