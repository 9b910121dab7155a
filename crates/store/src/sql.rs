//! Building statements with a variable number of filters, portably: placeholders are numbered
//! `$1, $2, …` (sqlx's `QueryBuilder` emits `?` for the `Any` driver, which PostgreSQL refuses).

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I64(i64),
    Text(String),
    Bytes(Vec<u8>),
    /// SQL NULL in an integer column (PostgreSQL refuses a text-typed NULL there).
    NullI64,
    /// SQL NULL in a text column.
    NullText,
    /// A real (measurements kept for comparison; never in a ledgered image).
    F64(f64),
    /// SQL NULL in a real column.
    NullF64,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::NullI64, Value::I64)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::NullText, Value::Text)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::NullText, Into::into)
    }
}

fn bind_value<'q>(query: Query<'q, Any, AnyArguments<'q>>, v: Value) -> Query<'q, Any, AnyArguments<'q>> {
    match v {
        Value::I64(i) => query.bind(i),
        Value::Text(s) => query.bind(s),
        Value::Bytes(b) => query.bind(b),
        Value::NullI64 => query.bind(None::<i64>),
        Value::NullText => query.bind(None::<String>),
        Value::F64(f) => query.bind(f),
        Value::NullF64 => query.bind(None::<f64>),
    }
}

/// Values for a statement under construction, with their placeholder numbers.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: Vec<Value>,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value and returns its placeholder (`$n`) to splice into the SQL text.
    pub fn push(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// Adds a binary value and returns its placeholder.
    pub fn push_bytes(&mut self, v: Vec<u8>) -> String {
        self.values.push(Value::Bytes(v));
        format!("${}", self.values.len())
    }

    /// Binds every value, in order, to `query`.
    pub fn bind<'q>(&self, mut query: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        for v in &self.values {
            query = bind_value(query, v.clone());
        }
        query
    }
}

/// A JSON column's value; a row that does not parse is corrupt (`what` names the column).
pub fn decode_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, crate::StoreError> {
    serde_json::from_str(text).map_err(|e| crate::StoreError::Corrupt(format!("{what}: {e}")))
}

/// A value as a JSON column's text.
pub fn encode_json<T: serde::Serialize>(value: &T) -> Result<String, crate::StoreError> {
    serde_json::to_string(value).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}

/// The most placeholders one statement uses (SQLite allows 32,766; PostgreSQL 65,535).
const MAX_PLACEHOLDERS: usize = 30_000;

/// Inserts rows of `width` values each (`values` row after row) with multi-row
/// `{head} VALUES (…), (…) {tail}` statements: at most 1,000 rows or 30,000 placeholders per
/// statement, every full statement the same SQL text so that it is prepared once. `head` is
/// `INSERT INTO t (a, b)`; `tail` e.g. an `ON CONFLICT …` clause. Returns the rows affected.
pub async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    head: &str,
    tail: &str,
    width: usize,
    values: Vec<Value>,
) -> Result<u64, sqlx::Error> {
    if width == 0 || values.is_empty() {
        return Ok(0);
    }
    let per = (MAX_PLACEHOLDERS / width).clamp(1, 500);
    // SQLite looks each named parameter ($n) up among those before it, so a statement of
    // thousands of them costs quadratic time to prepare; anonymous `?` are positional there.
    let numbered = !conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut affected = 0;
    let mut full_sql: Option<String> = None;
    let mut rest = values.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<Value> = rest.by_ref().take(per * width).collect();
        let rows = chunk.len() / width;
        let sql = if rows == per {
            full_sql.get_or_insert_with(|| values_sql(head, tail, width, per, numbered)).clone()
        } else {
            values_sql(head, tail, width, rows, numbered)
        };
        let mut query = sqlx::query(&sql);
        for v in chunk {
            query = bind_value(query, v);
        }
        affected += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::I64(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
            Value::F64(f) => ValueRef::Real(*f),
            Value::NullI64 | Value::NullText | Value::NullF64 => ValueRef::Null,
        }))
    }
}

/// [`insert_rows`] on a native SQLite connection: one single-row statement, prepared once and
/// stepped per row (binding is cheap there; a multi-row statement only adds parse time).
pub fn insert_rows_native(
    conn: &rusqlite::Connection,
    head: &str,
    tail: &str,
    width: usize,
    values: &[Value],
) -> Result<u64, rusqlite::Error> {
    if width == 0 || values.is_empty() {
        return Ok(0);
    }
    let mut stmt = conn.prepare_cached(&values_sql(head, tail, width, 1, false))?;
    let mut affected = 0;
    for row in values.chunks(width) {
        affected += stmt.execute(rusqlite::params_from_iter(row))? as u64;
    }
    Ok(affected)
}

fn values_sql(head: &str, tail: &str, width: usize, rows: usize, numbered: bool) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * width * 7);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

impl Params {
    /// `(c1 LIKE $n OR c2 LIKE $m …)`: `text` as a substring of any of `columns` (LIKE wildcards
    /// in `text` are dropped, so a user's `%` matches itself rather than everything).
    pub fn like_any(&mut self, columns: &[&str], text: &str) -> String {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        let ors: Vec<String> = columns.iter().map(|c| format!("{c} LIKE {}", self.push(like.as_str()))).collect();
        format!("({})", ors.join(" OR "))
    }
}

/// Lists count the rows their filter selects up to this many; a total of `COUNT_CAP + 1` means
/// "more than `COUNT_CAP`". Counting every row the filter selects costs as much as reading them
/// (a province's 100,000 products: 190 ms on SQLite on every page of the list; capped: 6 ms), and
/// past ten thousand a person narrows the filter rather than reading page 400.
pub const COUNT_CAP: i64 = 10_000;

/// One page of a filtered list and the number of rows the filter selects, up to
/// [`COUNT_CAP`] + 1: `SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order} LIMIT …
/// OFFSET …` and the capped `COUNT(*)`, both with the values in `params`.
#[allow(clippy::too_many_arguments)]
pub async fn page<'e, E>(
    executor: E,
    params: &mut Params,
    columns: &str,
    from: &str,
    filter: &str,
    order: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<sqlx::any::AnyRow>, i64), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any> + Copy,
{
    use sqlx::Row;
    let total: i64 = params
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {filter} LIMIT {}) counted",
            COUNT_CAP + 1
        )))
        .fetch_one(executor)
        .await?
        .try_get(0)?;
    let limit = params.push(limit);
    let offset = params.push(offset.max(0));
    let sql = format!("SELECT {columns} FROM {from} WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let rows = params.bind(sqlx::query(&sql)).fetch_all(executor).await?;
    Ok((rows, total))
}

/// `[lo, hi)` bounds that select every materialized path starting with `prefix` using an
/// ordinary index range scan (`path >= lo AND path < hi`). Paths are `/1/5/12/`: digits and
/// slashes, so the successor of the trailing `/` is `0`.
pub fn prefix_range(prefix: &str) -> (String, String) {
    let mut hi = prefix.trim_end_matches('/').to_string();
    hi.push('0');
    (prefix.to_string(), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut p = Params::new();
        assert_eq!(p.push(1_i64), "$1");
        assert_eq!(p.push("x"), "$2");
    }

    #[test]
    fn values_statements_number_every_row() {
        assert_eq!(values_sql("INSERT INTO t (a, b)", "", 2, 2, true), "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) ");
        assert_eq!(values_sql("INSERT INTO t (a)", "", 1, 2, false), "INSERT INTO t (a) VALUES (?),(?) ");
    }

    #[test]
    fn prefix_range_covers_exactly_the_subtree() {
        let (lo, hi) = prefix_range("/1/5/");
        for inside in ["/1/5/", "/1/5/7/", "/1/5/99/3/"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/1/50/", "/1/4/", "/1/6/", "/1/"] {
            assert!(!(outside >= lo.as_str() && outside < hi.as_str()), "{outside}");
        }
    }
}
