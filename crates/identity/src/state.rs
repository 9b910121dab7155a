//! Identity's current state as after-images (现状映像) of its rows: users (with their roles and
//! the SM3 fingerprints of their credentials), roles, organizations and role requests. The write
//! paths version exactly these images, read back from the rows inside their transaction, and
//! `ledger verify` compares the same images with the latest ledgered versions
//! ([`yaolian_store::state`]), so a row edited behind the system's back is named.

use serde_json::json;
use sqlx::{AnyConnection, Row};
use yaolian_ledger::hash::HashAlg;
use yaolian_store::state::{self, Drift, Image};
use yaolian_store::{versions, NewVersion, Store, Tx};

use crate::error::Result;
use crate::IdentityError;

/// The SM3 fingerprint of a stored credential (a password hash, a sealed TOTP secret): the
/// version log carries this, never the credential.
pub fn fingerprint(stored: &str) -> String {
    HashAlg::Sm3.digest(&[stored.as_bytes()]).to_hex()
}

/// Images of users: all of them, or the one `only`.
pub(crate) async fn user_images(conn: &mut AnyConnection, only: Option<i64>) -> Result<Vec<Image>> {
    let filter = if only.is_some() { "WHERE u.id = $1" } else { "" };
    let sql = format!(
        "SELECT u.id, u.org_id, u.username, u.display_name, u.email, u.phone, u.status, u.is_master, \
         u.password_hash, u.totp_secret, u.totp_enabled FROM users u {filter} ORDER BY u.id"
    );
    let mut q = sqlx::query(&sql);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let role_filter = if only.is_some() { "WHERE ur.user_id = $1" } else { "" };
    let role_sql = format!(
        "SELECT ur.user_id, r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id {role_filter} \
         ORDER BY ur.user_id, r.id"
    );
    let mut rq = sqlx::query(&role_sql);
    if let Some(id) = only {
        rq = rq.bind(id);
    }
    let mut roles: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for r in rq.fetch_all(&mut *conn).await? {
        roles.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let password_hash: String = r.try_get("password_hash")?;
        let totp_secret: Option<String> = r.try_get("totp_secret")?;
        let totp_on = r.try_get::<i64, _>("totp_enabled")? != 0;
        let data = json!({
            "id": id,
            "org_id": r.try_get::<i64, _>("org_id")?,
            "username": r.try_get::<String, _>("username")?,
            "display_name": r.try_get::<String, _>("display_name")?,
            "email": r.try_get::<String, _>("email")?,
            "phone": r.try_get::<String, _>("phone")?,
            "status": r.try_get::<String, _>("status")?,
            "is_master": r.try_get::<i64, _>("is_master")? != 0,
            "roles": roles.remove(&id).unwrap_or_default(),
            "password_sm3": fingerprint(&password_hash),
            // The second factor in force: a pending enrollment is not yet a credential.
            "totp_sm3": totp_secret.filter(|_| totp_on).map(|s| fingerprint(&s)),
        });
        out.push(Image { entity_id: id.to_string(), data });
    }
    Ok(out)
}

/// Which version a change builds on.
pub(crate) enum Base {
    /// A new record.
    New,
    /// The version the caller read (optimistic concurrency).
    Seen(i64),
    /// Whatever the row holds now (changes that do not race a reader's edit: a password, a
    /// second factor).
    Current,
}

/// Versions user `id` as its row now stands, inside `tx` (after the caller's update): the
/// after-image, the version number on the row.
pub(crate) async fn record_user(
    tx: &mut Tx<'_>,
    actor: &str,
    id: i64,
    (action, reason): (&str, &str),
    base: Base,
) -> Result<()> {
    let image = user_images(tx, Some(id)).await?.pop().ok_or(IdentityError::NotFound("user"))?;
    let current: i64 =
        sqlx::query("SELECT version FROM users WHERE id = $1").bind(id).fetch_one(&mut **tx).await?.try_get(0)?;
    let v = versions::append(
        tx,
        NewVersion {
            entity: "user",
            entity_id: &image.entity_id,
            actor,
            action,
            reason,
            data: &image.data,
            expected_version: match base {
                Base::New => None,
                Base::Seen(v) => Some(v),
                Base::Current => Some(current),
            },
        },
    )
    .await?;
    sqlx::query("UPDATE users SET version = $1 WHERE id = $2").bind(v.version).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Versions, as the system, every user whose latest version predates credential fingerprints
/// (a database from before they were versioned), so that its current credentials become the
/// ledgered baseline; returns how many. Run at start, before the server takes requests.
pub async fn baseline_fingerprints(store: &Store) -> Result<u64> {
    let latest = state::latest(store, "user").await?;
    let mut stale: Vec<i64> = latest
        .iter()
        .filter(|(_, data)| data.get("password_sm3").is_none())
        .filter_map(|(id, _)| id.parse().ok())
        .collect();
    if stale.is_empty() {
        return Ok(0);
    }
    stale.sort_unstable();
    let mut tx = store.begin().await?;
    for id in &stale {
        let why = ("baseline", "凭据指纹纳入台账（升级）");
        record_user(&mut tx, "system", *id, why, Base::Current).await?;
    }
    tx.commit().await?;
    Ok(stale.len() as u64)
}

/// The after-image of a role.
pub(crate) fn role_image(role: &crate::Role) -> serde_json::Value {
    json!({
        "id": role.id, "code": role.code, "name_zh": role.name_zh, "name_en": role.name_en,
        "permissions": role.permissions, "scope": role.scope, "requires_mfa": role.requires_mfa,
        "admin_kind": role.admin_kind, "builtin": role.builtin,
    })
}

/// Every difference between identity's tables and the ledger.
pub async fn drifts(store: &Store) -> Result<Vec<Drift>> {
    let mut out = Vec::new();
    let mut conn = store.pool().acquire().await.map_err(yaolian_store::StoreError::from)?;
    let users = user_images(&mut conn, None).await?;
    drop(conn);
    out.extend(state::check(store, "user", users).await?);
    let roles = crate::roles::all(store).await?;
    let images = roles.iter().map(|r| Image { entity_id: r.id.to_string(), data: role_image(r) }).collect();
    out.extend(state::check(store, "role", images).await?);
    let orgs = sqlx::query(&format!("SELECT {} FROM orgs o ORDER BY o.id", crate::orgs::ORG_COLUMNS))
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(orgs.len());
    for r in &orgs {
        let org = crate::orgs::org_from_row(r)?;
        images.push(Image { entity_id: org.id.to_string(), data: json!(org) });
    }
    out.extend(state::check(store, "org", images).await?);
    let mut conn = store.pool().acquire().await.map_err(yaolian_store::StoreError::from)?;
    let requests = crate::role_requests::images(&mut conn, None).await?;
    drop(conn);
    out.extend(state::check(store, "role_request", requests).await?);
    Ok(out)
}
