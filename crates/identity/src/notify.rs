//! Raising a to-do for someone else (modules and integrations over the API): the door checks
//! the addressed user's or organization's place in the tree, so it lives beside the
//! organizations rather than in the portal.

use crate::error::Result;
use crate::model::perm;
use crate::{audit, orgs, ClientInfo, IdentityError, Principal};
use sqlx::Row;
use yaolian_core::ValidationError;
use yaolian_portal::{add_todo, NewTodo};
use yaolian_store::Store;

/// Raises a to-do as `principal` (modules and integrations over the API): the addressed user's
/// or organization's place in the tree must be within the principal's `portal.notify` scope;
/// a user or organization that does not exist is refused naming the field.
pub async fn raise(store: &Store, principal: &Principal, todo: &NewTodo, client: &ClientInfo) -> Result<i64> {
    // Whoever is addressed must exist (else the insert would fail on its foreign key).
    let user_org = match todo.user_id {
        Some(user) => {
            let row =
                sqlx::query("SELECT org_id FROM users WHERE id = $1").bind(user).fetch_optional(store.pool()).await?;
            let Some(row) = row else {
                return Err(ValidationError::single("user_id", "exists", "no user has this id").into());
            };
            Some(row.try_get::<i64, _>(0)?)
        }
        None => None,
    };
    // Both the addressed organization and the addressed user's must be in reach.
    let mut targets: Vec<(i64, &str)> = todo.org_id.map(|o| (o, "org_id")).into_iter().collect();
    if let Some(o) = user_org.filter(|o| Some(*o) != todo.org_id) {
        targets.push((o, "user_id"));
    }
    for (org, field) in &targets {
        let path = match orgs::get_unchecked(store, *org).await {
            Ok(o) => o.path,
            Err(IdentityError::NotFound(_)) => {
                return Err(ValidationError::single(*field, "exists", "no organization has this id").into())
            }
            Err(e) => return Err(e),
        };
        if !principal.reaches(perm::PORTAL_NOTIFY, &path) {
            return Err(audit::deny(store, principal, perm::PORTAL_NOTIFY, "todos", client).await);
        }
    }
    if targets.is_empty() && !principal.has(perm::PORTAL_NOTIFY) {
        return Err(audit::deny(store, principal, perm::PORTAL_NOTIFY, "todos", client).await);
    }
    add_todo(store.pool(), todo).await
}
