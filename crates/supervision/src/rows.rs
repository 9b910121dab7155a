//! What the supervision modules' tables share: JSON columns read and written, and the versioned
//! update that refuses a row changed since it was read.

use crate::error::Result;
use serde::Serialize;
use yaolian_core::Timestamp;
use yaolian_identity::IdentityError;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{StoreError, Tx};

/// A JSON column's value; a row that does not parse is corrupt (`what` names the column).
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> std::result::Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A value as a JSON column's text.
pub(crate) fn encode_json<T: Serialize>(value: &T) -> std::result::Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Sets the columns `set` names (`$1` … for `values`) on row `id` of `table` and bumps its
/// version, in `tx`, expecting it still at `version`; `Conflict` naming `what` otherwise.
pub(crate) async fn bump(
    tx: &mut Tx<'_>,
    (table, id, version): (&str, i64, i64),
    set: &str,
    values: Vec<Value>,
    what: &str,
) -> Result<()> {
    let n = values.len();
    let sql = format!(
        "UPDATE {table} SET {set}, version = version + 1, updated_at = ${} WHERE id = ${} AND version = ${}",
        n + 1,
        n + 2,
        n + 3
    );
    let mut p = Params::new();
    for v in values {
        p.push(v);
    }
    let done = p.bind(sqlx::query(&sql)).bind(Timestamp::now().0).bind(id).bind(version).execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("{what} changed meanwhile; reload")).into());
    }
    Ok(())
}
