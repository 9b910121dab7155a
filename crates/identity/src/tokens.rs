//! API tokens (接口令牌) for machine clients: a random secret shown once, stored as a SHA-256
//! hash, limited to permission scopes the owner holds, with an expiry.

use crate::audit::{self, action};
use crate::auth::{random_token, secret_hash};
use crate::error::Result;
use crate::{ClientInfo, Principal};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::Store;

/// Prefix that makes leaked tokens easy to find by secret scanners.
pub const PREFIX: &str = "ylt_";

/// A token as listed (never the secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    #[schema(value_type = i64)]
    pub expires_at: Timestamp,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub revoked: bool,
}

/// Issues a token for the principal itself. `scopes` must be permissions it holds.
pub async fn create(
    store: &Store,
    principal: &Principal,
    name: &str,
    scopes: &[String],
    valid_days: i64,
    client: &ClientInfo,
) -> Result<(ApiToken, String)> {
    crate::auth::require_session(store, principal, "tokens", client).await?;
    let mut errors = ValidationError::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        errors.push("name", "length:1..64", "token name must have 1 to 64 characters");
    }
    if scopes.is_empty() {
        errors.push("scopes", "required", "a token needs at least one scope");
    }
    for s in scopes {
        if !principal.has(s) {
            errors.push("scopes", "held", format!("you do not hold permission {s}"));
        }
    }
    if !(1..=366).contains(&valid_days) {
        errors.push("valid_days", "range:1..366", "a token is valid for 1 to 366 days");
    }
    errors.into_result()?;
    let secret = format!("{PREFIX}{}", random_token());
    let now = Timestamp::now();
    let expires_at = now.plus_seconds(valid_days * 86_400);
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, scopes, expires_at, created_at, revoked) \
         VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
    )
    .bind(principal.user_id())
    .bind(name)
    .bind(secret_hash(&secret))
    .bind(scopes.join(","))
    .bind(expires_at.0)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let detail = format!("scopes={}", scopes.join(","));
    audit::record(
        &mut tx,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, action::TOKEN_CREATE, &format!("token:{id} {name}"), client)
        },
    )
    .await?;
    tx.commit().await?;
    let token =
        ApiToken { id, name: name.to_string(), scopes: scopes.to_vec(), expires_at, created_at: now, revoked: false };
    Ok((token, secret))
}

/// The principal's own tokens.
pub async fn list(store: &Store, principal: &Principal) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, name, scopes, expires_at, created_at, revoked FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(principal.user_id())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let scopes: String = r.try_get("scopes")?;
            Ok(ApiToken {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                scopes: crate::roles::split_list(&scopes),
                expires_at: Timestamp(r.try_get("expires_at")?),
                created_at: Timestamp(r.try_get("created_at")?),
                revoked: r.try_get::<i64, _>("revoked")? != 0,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        .map_err(Into::into)
}

/// Revokes one of the principal's own tokens.
pub async fn revoke(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<()> {
    crate::auth::require_session(store, principal, "tokens", client).await?;
    let done = sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(principal.user_id())
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(crate::IdentityError::NotFound("token"));
    }
    audit::record_now(store, audit::Event::by(principal, action::TOKEN_REVOKE, &format!("token:{id}"), client)).await?;
    Ok(())
}
