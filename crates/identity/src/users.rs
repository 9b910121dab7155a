//! User accounts (用户): master and sub-accounts, status, passwords, role assignment with the
//! separation of the three administrators (三员分立).

use crate::audit::{self, action};
use crate::error::Result;
use crate::model::{perm, scope_filter, AdminKind, AuthVia, Role, Scope, User};
use crate::state::{self, Base};
use crate::{orgs, password, roles, ClientInfo, IdentityConfig, IdentityError, Principal};
use serde::Deserialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::sql::Params;
use yaolian_store::Store;

/// Input for a new account. `Debug` leaves out the password.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewUser {
    pub org_id: i64,
    /// Login name: 3–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    pub username: String,
    /// Real name (姓名).
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// 主账号: may create sub-accounts in its organization subtree.
    #[serde(default)]
    pub is_master: bool,
    /// Role codes to grant.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("password", &yaolian_core::REDACTED)
            .field("email", &self.email)
            .field("phone", &self.phone)
            .field("is_master", &self.is_master)
            .field("roles", &self.roles)
            .finish()
    }
}

const USER_COLUMNS: &str = "u.id, u.org_id, o.name AS org_name, o.path AS org_path, u.username, u.display_name, \
     u.email, u.phone, u.status, u.is_master, \
     (SELECT COALESCE(MAX(t.locked_until), 0) FROM login_throttle t WHERE t.username = u.username) AS locked_until, \
     u.totp_enabled, u.created_at, u.version";

fn user_from_row(r: &sqlx::any::AnyRow, roles: Vec<String>) -> std::result::Result<User, sqlx::Error> {
    let locked_until: i64 = r.try_get("locked_until")?;
    Ok(User {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        status: r.try_get("status")?,
        is_master: r.try_get::<i64, _>("is_master")? != 0,
        locked_until: (locked_until > Timestamp::now().0).then_some(Timestamp(locked_until)),
        totp_enabled: r.try_get::<i64, _>("totp_enabled")? != 0,
        roles,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

fn validate_username(errors: &mut ValidationError, username: &str) {
    let ok_chars = username.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    let starts = username.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let len = username.chars().count();
    if !(3..=32).contains(&len) || !ok_chars || !starts {
        errors.push(
            "username",
            "pattern",
            "user name must be 3–32 characters of a–z, 0–9, '.', '_' or '-', starting with a letter",
        );
    }
}

/// Role codes per user id, for a set of users, in one query.
async fn roles_of(store: &Store, user_ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<String>>> {
    let mut map: std::collections::HashMap<i64, Vec<String>> = Default::default();
    if user_ids.is_empty() {
        return Ok(map);
    }
    let mut p = Params::new();
    let placeholders: Vec<String> = user_ids.iter().map(|id| p.push(*id)).collect();
    let sql = format!(
        "SELECT ur.user_id, r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
         WHERE ur.user_id IN ({}) ORDER BY r.id",
        placeholders.join(", ")
    );
    for row in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        map.entry(row.try_get("user_id")?).or_default().push(row.try_get("code")?);
    }
    Ok(map)
}

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub org_id: Option<i64>,
    /// Substring of user name or real name.
    pub q: Option<String>,
    pub status: Option<String>,
    /// Sort key: `username`, `display_name`, `org`, `status` or `created_at` (default: org).
    pub sort: Option<String>,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

impl UserQuery {
    fn order_by(&self) -> String {
        let col = match self.sort.as_deref() {
            Some("username") => "u.username",
            Some("display_name") => "u.display_name",
            Some("status") => "u.status",
            Some("created_at") => "u.created_at",
            _ => "o.path",
        };
        let dir = if self.desc { "DESC" } else { "ASC" };
        format!("{col} {dir}, u.id {dir}")
    }
}

/// The display names (姓名) of the people a page names by their login (a record's author, a
/// project's leader …), by login; one query, at most 500 logins, a login not found left out.
/// What a page shows of a person it may already show: no permission beyond the page's own.
pub async fn display_names<'a>(
    store: &Store,
    usernames: impl IntoIterator<Item = &'a str>,
) -> Result<std::collections::BTreeMap<String, String>> {
    let wanted: std::collections::BTreeSet<&str> = usernames.into_iter().filter(|u| !u.is_empty()).take(500).collect();
    if wanted.is_empty() {
        return Ok(Default::default());
    }
    let mut p = Params::new();
    let marks: Vec<String> = wanted.iter().map(|u| p.push(*u)).collect();
    let sql = format!("SELECT username, display_name FROM users WHERE username IN ({})", marks.join(", "));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = std::collections::BTreeMap::new();
    for r in &rows {
        out.insert(r.try_get("username")?, r.try_get("display_name")?);
    }
    Ok(out)
}

/// Users the principal may see (`user.read` in its data scope), and the total count.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &UserQuery,
    client: &ClientInfo,
) -> Result<(Vec<User>, i64)> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::USER_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::USER_READ, "users", client).await);
    };
    let mut wheres = vec![filter];
    if let Some(org) = q.org_id {
        wheres.push(format!("u.org_id = {}", p.push(org)));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        let a = p.push(like.clone());
        let b = p.push(like);
        wheres.push(format!("(u.username LIKE {a} OR u.display_name LIKE {b})"));
    }
    if let Some(status) = q.status.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("u.status = {}", p.push(status)));
    }
    let where_sql = wheres.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE {where_sql}");
    let total: i64 = p.bind(sqlx::query(&count_sql)).fetch_one(store.pool()).await?.try_get(0)?;
    let mut p2 = p.clone();
    let limit = p2.push(q.limit.clamp(1, 1000));
    let offset = p2.push(q.offset.max(0));
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE {where_sql} \
         ORDER BY {} LIMIT {limit} OFFSET {offset}",
        q.order_by()
    );
    let rows = p2.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
    let mut role_map = roles_of(store, &ids).await?;
    let users = rows
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            user_from_row(r, role_map.remove(&id).unwrap_or_default())
        })
        .collect::<std::result::Result<_, _>>()?;
    Ok((users, total))
}

/// One user with its organization path, no access check.
pub(crate) async fn load(store: &Store, id: i64) -> Result<(User, String)> {
    let row =
        sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?
            .ok_or(IdentityError::NotFound("user"))?;
    let roles = roles_of(store, &[id]).await?.remove(&id).unwrap_or_default();
    let path: String = row.try_get("org_path")?;
    Ok((user_from_row(&row, roles)?, path))
}

/// One user, if the principal may read it (its own account always).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<User> {
    let (user, path) = load(store, id).await?;
    if id != principal.user_id() && !principal.reaches(perm::USER_READ, &path) {
        return Err(audit::deny(store, principal, perm::USER_READ, &format!("user:{id}"), client).await);
    }
    Ok(user)
}

/// Looks a user id up by name (for the CLI).
/// Whether a user has a confirmed TOTP second factor (forms ask for the code when so).
pub async fn totp_enabled(store: &Store, user_id: i64) -> Result<bool> {
    let row =
        sqlx::query("SELECT totp_enabled FROM users WHERE id = $1").bind(user_id).fetch_optional(store.pool()).await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>(0)? != 0,
        None => false,
    })
}

pub async fn id_by_username(store: &Store, username: &str) -> Result<i64> {
    Ok(sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("user"))?
        .try_get(0)?)
}

/// Whether `principal` may manage (create, disable, reset) accounts at `org_path`. Holders of
/// `user.manage` below the `all` scope (master accounts) only manage sub-accounts.
fn may_manage(principal: &Principal, org_path: &str, target_is_master: bool) -> bool {
    match principal.scope_for(perm::USER_MANAGE) {
        Some(Scope::All) => true,
        Some(_) => principal.reaches(perm::USER_MANAGE, org_path) && !target_is_master,
        None => false,
    }
}

/// Creates an account. System administrators create any account; a master account (主账号)
/// creates sub-accounts (子账号) inside its own organization subtree.
pub async fn create(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    new: &NewUser,
    client: &ClientInfo,
) -> Result<User> {
    let mut errors = ValidationError::new();
    let username = new.username.trim().to_string();
    validate_username(&mut errors, &username);
    let display_name = new.display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 64 {
        errors.push("display_name", "length:1..64", "real name (姓名) must have 1 to 64 characters");
    }
    if let Err(e) = config.password.check("password", &new.password) {
        errors.errors.extend(e.errors);
    }
    let email_ok = new.email.is_empty() || (new.email.contains('@') && new.email.len() <= 254);
    if !email_ok {
        errors.push("email", "email", "not an e-mail address");
    }
    if new.phone.chars().count() > 32 {
        errors.push("phone", "max_length:32", "phone must have at most 32 characters");
    }
    let org = match orgs::get_unchecked(store, new.org_id).await {
        Ok(o) => Some(o),
        Err(IdentityError::NotFound(_)) => {
            errors.push("org_id", "exists", format!("no organization with id {}", new.org_id));
            None
        }
        Err(e) => return Err(e),
    };
    errors.into_result()?;
    let Some(org) = org else {
        return Err(IdentityError::NotFound("organization"));
    };
    if !may_manage(principal, &org.path, new.is_master) {
        return Err(audit::deny(store, principal, perm::USER_MANAGE, &format!("org:{}", org.id), client).await);
    }
    let granted = resolve_grantable(store, principal, &new.roles, client).await?;
    check_separation(&granted)?;
    if !principal.is_system() && granted.iter().any(|r| r.admin_kind.is_some()) {
        let why = "三员角色不能在创建账号时直接授予：请先创建账号，再提交角色变更申请，由第二名管理员批准 \
                   (an administrator role is granted only through a role request a second administrator approves)";
        return Err(refuse_separation(store, principal, &format!("user:new {username}"), why, client).await);
    }
    let hash = password::hash(&new.password)
        .await
        .map_err(|e| IdentityError::Store(yaolian_store::StoreError::Corrupt(format!("hashing failed: {e}"))))?;
    let mut tx = store.begin().await?;
    let now = Timestamp::now();
    let inserted = sqlx::query(
        "INSERT INTO users (org_id, username, display_name, email, phone, password_hash, status, is_master, \
         created_by, password_changed_at, created_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, 1) RETURNING id",
    )
    .bind(org.id)
    .bind(&username)
    .bind(display_name)
    .bind(new.email.trim())
    .bind(new.phone.trim())
    .bind(&hash)
    .bind(i64::from(new.is_master))
    .bind((!principal.is_system()).then_some(principal.user_id()))
    .bind(now.0)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await;
    let Some(id) = yaolian_store::returned_id(inserted)? else {
        return Err(ValidationError::single("username", "unique", format!("user name {username} is taken")).into());
    };
    for role in &granted {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(id)
            .bind(role.id)
            .execute(&mut *tx)
            .await?;
    }
    let codes: Vec<String> = granted.iter().map(|r| r.code.clone()).collect();
    state::record_user(&mut tx, principal.username(), id, ("create", ""), Base::New).await?;
    let detail = format!("roles={}", codes.join(","));
    audit::record(
        &mut tx,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, action::USER_CREATE, &format!("user:{id} {username}"), client)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(load(store, id).await?.0)
}

/// Turns role codes into roles the principal may grant. The security administrator (and the
/// system operator) grant any role; others only non-administrator roles they hold themselves.
pub(crate) async fn resolve_grantable(
    store: &Store,
    principal: &Principal,
    codes: &[String],
    client: &ClientInfo,
) -> Result<Vec<Role>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let all = roles::all(store).await?;
    let mut out = Vec::new();
    let mut errors = ValidationError::new();
    for code in codes {
        match all.iter().find(|r| &r.code == code) {
            Some(r) => {
                if !out.iter().any(|o: &Role| o.id == r.id) {
                    out.push(r.clone());
                }
            }
            None => errors.push("roles", "exists", format!("no role with code {code}")),
        }
    }
    errors.into_result()?;
    let full = principal.scope_for(perm::ROLE_ASSIGN) == Some(Scope::All);
    for r in &out {
        let own = principal.roles().iter().any(|g| g.code == r.code);
        let ok = full || (principal.has(perm::ROLE_ASSIGN) && r.admin_kind.is_none() && own);
        if !ok {
            return Err(audit::deny(store, principal, perm::ROLE_ASSIGN, &format!("role:{}", r.code), client).await);
        }
    }
    Ok(out)
}

/// Refuses a set of roles that would give one person two of the three administrator roles
/// (系统管理员, 安全管理员, 审计管理员).
pub fn check_separation(roles: &[Role]) -> Result<()> {
    let mut kinds: Vec<AdminKind> = roles.iter().filter_map(|r| r.admin_kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    if kinds.len() > 1 {
        let names: Vec<&str> = kinds.iter().map(|k| k.label_zh()).collect();
        return Err(IdentityError::SeparationOfDuties(format!(
            "one person may not hold {} at the same time",
            names.join(" + ")
        )));
    }
    Ok(())
}

/// Replaces a user's roles. Requires `role.assign` reaching the user's organization. Nobody
/// changes their own roles, and a change that grants or removes one of the three administrator
/// roles is never made by one person: it goes through [`crate::role_requests`] (the operator at
/// the command line excepted).
pub async fn assign_roles(
    store: &Store,
    principal: &Principal,
    user_id: i64,
    codes: &[String],
    reason: &str,
    client: &ClientInfo,
) -> Result<User> {
    let (user, path) = load(store, user_id).await?;
    let full = principal.scope_for(perm::ROLE_ASSIGN) == Some(Scope::All);
    // Below the `all` scope (master accounts) only sub-accounts' roles can be changed.
    if !principal.reaches(perm::ROLE_ASSIGN, &path) || (!full && user.is_master) {
        return Err(audit::deny(store, principal, perm::ROLE_ASSIGN, &format!("user:{user_id}"), client).await);
    }
    let target = format!("user:{user_id} {}", user.username);
    if !principal.is_system() && user_id == principal.user_id() {
        let why = "不能变更自己的角色 (nobody changes their own roles)";
        return Err(refuse_separation(store, principal, &target, why, client).await);
    }
    let granted = resolve_grantable(store, principal, codes, client).await?;
    check_separation(&granted)?;
    if !principal.is_system() && touches_admin_roles(store, &user.roles, &granted).await? {
        let why = "授予或撤销三员角色须提交角色变更申请，由第二名管理员批准 \
                   (a change of an administrator role needs a second administrator's approval)";
        return Err(refuse_separation(store, principal, &target, why, client).await);
    }
    let mut tx = store.begin().await?;
    write_roles(&mut tx, principal, &user, &granted, reason, client).await?;
    tx.commit().await?;
    crate::auth::principals_changed();
    Ok(load(store, user_id).await?.0)
}

/// Does replacing `current` role codes by `granted` give or take one of the three
/// administrator roles?
pub(crate) async fn touches_admin_roles(store: &Store, current: &[String], granted: &[Role]) -> Result<bool> {
    if granted.iter().any(|r| r.admin_kind.is_some()) {
        return Ok(true);
    }
    let all = roles::all(store).await?;
    Ok(holds_admin_role(&all, current))
}

/// Does one of these role codes name one of the three administrator roles?
pub(crate) fn holds_admin_role(all: &[Role], codes: &[String]) -> bool {
    codes.iter().any(|c| all.iter().any(|r| &r.code == c && r.admin_kind.is_some()))
}

/// Writes `user`'s new roles, their version and the audit event, inside the caller's
/// transaction (`assign_roles`, or the approval of a role request).
pub(crate) async fn write_roles(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &Principal,
    user: &User,
    granted: &[Role],
    reason: &str,
    client: &ClientInfo,
) -> Result<()> {
    let codes: Vec<String> = granted.iter().map(|r| r.code.clone()).collect();
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user.id).execute(&mut **tx).await?;
    for role in granted {
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(user.id)
            .bind(role.id)
            .execute(&mut **tx)
            .await?;
    }
    state::record_user(tx, principal.username(), user.id, ("assign_roles", reason), Base::Seen(user.version)).await?;
    let detail = format!("roles={}", codes.join(","));
    audit::record(
        tx,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, action::ROLES_ASSIGN, &format!("user:{} {}", user.id, user.username), client)
        },
    )
    .await?;
    Ok(())
}

/// Records a refusal under the separation of the three administrators (三员分立) and returns
/// it as the caller's error.
pub(crate) async fn refuse_separation(
    store: &Store,
    principal: &Principal,
    target: &str,
    why: &str,
    client: &ClientInfo,
) -> IdentityError {
    let detail = format!("三员分立: {why}");
    let event = audit::Event {
        outcome: "denied",
        detail: &detail,
        ..audit::Event::by(principal, action::PERMISSION_DENIED, target, client)
    };
    if let Err(e) = audit::record_now(store, event).await {
        tracing::error!(error = %e, "could not record a separation-of-duties refusal");
    }
    IdentityError::SeparationOfDuties(why.to_string())
}

/// The three administrators' accounts are out of one administrator's reach (三员分立): nobody
/// but the operator at the command line resets, disables or enables another holder of
/// 系统管理员, 安全管理员 or 审计管理员.
async fn guard_administrator_account(
    store: &Store,
    principal: &Principal,
    user: &User,
    client: &ClientInfo,
) -> Result<()> {
    if principal.is_system() || user.id == principal.user_id() {
        return Ok(());
    }
    if holds_admin_role(&roles::all(store).await?, &user.roles) {
        let why = "三员账号只能由运维人员在命令行管理 \
                   (the three administrators' accounts are managed only by the operator at the command line)";
        return Err(
            refuse_separation(store, principal, &format!("user:{} {}", user.id, user.username), why, client).await
        );
    }
    Ok(())
}

/// Disables or re-enables an account. A disabled account's sessions and tokens stop working.
pub async fn set_status(
    store: &Store,
    principal: &Principal,
    user_id: i64,
    active: bool,
    reason: &str,
    client: &ClientInfo,
) -> Result<User> {
    let (user, path) = load(store, user_id).await?;
    if user_id == principal.user_id() || !may_manage(principal, &path, user.is_master) {
        return Err(audit::deny(store, principal, perm::USER_MANAGE, &format!("user:{user_id}"), client).await);
    }
    guard_administrator_account(store, principal, &user, client).await?;
    let status = if active { "active" } else { "disabled" };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET status = $1 WHERE id = $2").bind(status).bind(user_id).execute(&mut *tx).await?;
    let act = if active { "enable" } else { "disable" };
    state::record_user(&mut tx, principal.username(), user_id, (act, reason), Base::Seen(user.version)).await?;
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
    }
    let act = if active { action::USER_ENABLE } else { action::USER_DISABLE };
    audit::record(
        &mut tx,
        audit::Event {
            detail: reason,
            ..audit::Event::by(principal, act, &format!("user:{user_id} {}", user.username), client)
        },
    )
    .await?;
    tx.commit().await?;
    crate::auth::principals_changed();
    Ok(load(store, user_id).await?.0)
}

/// Sets a new password for another account (administrator reset); ends its sessions and
/// clears any lockout.
pub async fn reset_password(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    user_id: i64,
    new_password: &str,
    client: &ClientInfo,
) -> Result<()> {
    config.password.check("password", new_password)?;
    let (user, path) = load(store, user_id).await?;
    let allowed = may_manage(principal, &path, user.is_master) || principal.reaches(perm::SECURITY_MANAGE, &path);
    if !allowed {
        return Err(audit::deny(store, principal, perm::USER_MANAGE, &format!("user:{user_id}"), client).await);
    }
    guard_administrator_account(store, principal, &user, client).await?;
    write_password(store, principal, user_id, &user.username, new_password, action::PASSWORD_RESET, client).await
}

/// Changes the principal's own password after checking the current one.
pub async fn change_own_password(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    current: &str,
    new_password: &str,
    client: &ClientInfo,
) -> Result<()> {
    crate::auth::require_session(store, principal, "password", client).await?;
    let hash: String = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(principal.user_id())
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("user"))?
        .try_get(0)?;
    if !password::verify(current, &hash).await {
        return Err(ValidationError::single("current_password", "matches", "the current password is wrong").into());
    }
    config.password.check("new_password", new_password)?;
    if current == new_password {
        return Err(ValidationError::single(
            "new_password",
            "differs",
            "the new password must differ from the current one",
        )
        .into());
    }
    write_password(
        store,
        principal,
        principal.user_id(),
        principal.username(),
        new_password,
        action::PASSWORD_CHANGE,
        client,
    )
    .await
}

async fn write_password(
    store: &Store,
    principal: &Principal,
    user_id: i64,
    username: &str,
    new_password: &str,
    act: &str,
    client: &ClientInfo,
) -> Result<()> {
    let hash = password::hash(new_password)
        .await
        .map_err(|e| IdentityError::Store(yaolian_store::StoreError::Corrupt(format!("hashing failed: {e}"))))?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(Timestamp::now().0)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    crate::auth::clear_throttle(&mut tx, username).await?;
    // The credential's fingerprint is versioned, so a hash swapped in the table is found.
    let why = if act == action::PASSWORD_CHANGE { "本人修改密码" } else { "管理员重置密码" };
    state::record_user(&mut tx, principal.username(), user_id, (act, why), Base::Current).await?;
    // A new password ends every other way in: the other sessions (all of them after a reset;
    // all but the one making the change when it is one's own) and every API token.
    match (act == action::PASSWORD_CHANGE, principal.via()) {
        (true, AuthVia::Session { csrf_token }) => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND csrf_token <> $2")
                .bind(user_id)
                .bind(csrf_token)
                .execute(&mut *tx)
                .await?
        }
        _ => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?,
    };
    sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, audit::Event::by(principal, act, &format!("user:{user_id} {username}"), client)).await?;
    tx.commit().await?;
    crate::auth::principals_changed();
    Ok(())
}

/// Lifts a login lockout before it expires, from every source address, and forgets the
/// failure counts. Requires `security.manage` (安全管理员).
pub async fn unlock(store: &Store, principal: &Principal, user_id: i64, client: &ClientInfo) -> Result<()> {
    let (user, path) = load(store, user_id).await?;
    if !principal.reaches(perm::SECURITY_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::SECURITY_MANAGE, &format!("user:{user_id}"), client).await);
    }
    let mut tx = store.begin().await?;
    crate::auth::clear_throttle(&mut tx, &user.username).await?;
    audit::record(
        &mut tx,
        audit::Event::by(principal, action::USER_UNLOCK, &format!("user:{user_id} {}", user.username), client),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Users as an exported table (CSV or Excel), in Chinese like the list: account type, status
/// and roles by name (`roles`, every role; a code no role has stays as it is).
pub fn table(users: &[User], roles: &[Role]) -> audit::Table {
    let header = ["编号", "用户名", "姓名", "机构", "账号类型", "状态", "角色", "电子邮箱", "电话", "创建时间"];
    let role_name = |code: &String| roles.iter().find(|r| &r.code == code).map_or(code.clone(), |r| r.name_zh.clone());
    audit::Table::new(
        "用户",
        &header,
        users.iter().map(|u| {
            vec![
                u.id.to_string(),
                u.username.clone(),
                u.display_name.clone(),
                u.org_name.clone(),
                if u.is_master { "主账号" } else { "子账号" }.to_string(),
                match u.status.as_str() {
                    "active" => "正常".to_string(),
                    "disabled" => "已停用".to_string(),
                    other => other.to_string(),
                },
                u.roles.iter().map(role_name).collect::<Vec<_>>().join("、"),
                u.email.clone(),
                u.phone.clone(),
                u.created_at.to_china_string(),
            ]
        }),
    )
}
