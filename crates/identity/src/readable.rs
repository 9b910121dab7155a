//! The two read doors every domain's records go through: one row in the reader's reach, or one
//! page of the rows in their scope. A record outside reach is not found, as one that does not
//! exist, and the refusal is audited.

use crate::error::Result;
use crate::{audit, ClientInfo, IdentityError, Principal};
use sqlx::Row;
use yaolian_store::sql::Params;
use yaolian_store::Store;

/// The row `sql` selects for `id` (its one parameter; its columns include `o.path AS
/// org_path`), if the principal holds `permission` in the record's organization; otherwise not
/// found (`what`), the refusal audited as `{entity}:{id}`.
pub async fn row(
    store: &Store,
    principal: &Principal,
    permission: &str,
    sql: &str,
    id: i64,
    (entity, what): (&str, &'static str),
    client: &ClientInfo,
) -> Result<sqlx::any::AnyRow> {
    let row = sqlx::query(sql).bind(id).fetch_optional(store.pool()).await?.ok_or(IdentityError::NotFound(what))?;
    let path: String = row.try_get("org_path")?;
    if !principal.reaches(permission, &path) {
        let _: IdentityError = audit::deny(store, principal, permission, &format!("{entity}:{id}"), client).await;
        return Err(IdentityError::NotFound(what));
    }
    Ok(row)
}

/// One page of a list: the rows of `from` (joined to `orgs o`) in the principal's scope of
/// `permission`, narrowed by the condition `narrow` adds (a state filter), ordered by `order`,
/// with the total (`sql::page`'s capped count). A principal who holds the permission nowhere is
/// refused, the refusal audited against `table`.
#[allow(clippy::too_many_arguments)]
pub async fn page(
    store: &Store,
    principal: &Principal,
    permission: &str,
    table: &str,
    (columns, from, order): (&str, &str, &str),
    narrow: impl FnOnce(&mut Params) -> Option<String>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<sqlx::any::AnyRow>, i64)> {
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, permission, &mut p) else {
        return Err(audit::deny(store, principal, permission, table, client).await);
    };
    let mut wheres = vec![scope];
    wheres.extend(narrow(&mut p));
    let filter = wheres.join(" AND ");
    let page =
        yaolian_store::sql::page(store.pool(), &mut p, columns, from, &filter, order, limit.clamp(1, 10_000), offset);
    Ok(page.await?)
}
