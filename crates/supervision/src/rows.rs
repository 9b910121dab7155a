//! What the supervision modules' tables share: JSON columns read and written (the store's), and
//! the versioned update that refuses a row changed since it was read (the records step's).

use crate::error::Result;
use yaolian_store::sql::Value;
use yaolian_store::Tx;

pub(crate) use yaolian_store::sql::{decode_json, encode_json};

/// `yaolian_records::step::bump` with supervision's error.
pub(crate) async fn bump(
    tx: &mut Tx<'_>,
    row: (&str, i64, i64),
    set: &str,
    values: Vec<Value>,
    what: &str,
) -> Result<()> {
    Ok(yaolian_records::step::bump(tx, row, set, values, what).await?)
}
