//! Authentication (认证): password login with lockout, the TOTP step, sessions with idle and
//! absolute timeouts, and turning a session or API token into a [`Principal`].

use crate::audit::{self, action};
use crate::error::Result;
use crate::model::{AdminKind, AuthVia, OrgKind, Principal, RoleGrant, Scope};
use crate::{password, roles, totp, ClientInfo, IdentityConfig, IdentityError};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use yaolian_access::Authenticated;
use yaolian_core::Timestamp;
use yaolian_store::{Store, Tx};

/// Where a session stands in the login sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Fully logged in.
    Full,
    /// Password accepted; waiting for the TOTP code.
    Mfa,
    /// Password accepted; the user's role needs a second factor that is not enrolled yet.
    Enroll,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::Mfa => "mfa",
            Stage::Enroll => "enroll",
        }
    }
    fn parse(s: &str) -> Stage {
        match s {
            "full" => Stage::Full,
            "mfa" => Stage::Mfa,
            _ => Stage::Enroll,
        }
    }
}

/// A session just created; `token` goes into the cookie and is stored only as a hash.
/// `Debug` leaves out both secrets.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub stage: Stage,
    pub expires_at: Timestamp,
    pub user_id: i64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &yaolian_core::REDACTED)
            .field("csrf_token", &yaolian_core::REDACTED)
            .field("stage", &self.stage)
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// 32 random bytes, base64url without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a bearer secret, hex: what the database keeps instead of the secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Checks a user name and password and opens a session.
///
/// Failed attempts are counted per user name and source address (登录失败处理, 等保 8.1.4.1):
/// after `lockout_threshold` of them in a row from one source, that name is locked *for that
/// source* for `lockout_duration`, and while locked even the right password is refused from
/// there; from any other source the account logs in as usual, so nobody can lock a known user
/// out. A name that matches no account is counted and locked the same way and gets the same
/// answers at every step, so the answers never tell which names exist (the audit trail records
/// what really happened). A lock ends no session.
pub async fn login(
    store: &Store,
    config: &IdentityConfig,
    username: &str,
    password_input: &str,
    client: &ClientInfo,
) -> Result<NewSession> {
    let username = username.trim();
    let row = sqlx::query("SELECT id, password_hash, status, totp_enabled FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(store.pool())
        .await?;
    let user_id = row.as_ref().map(|r| r.try_get::<i64, _>("id")).transpose()?;
    let failed = |detail: &'static str| audit::Event {
        actor_id: user_id,
        actor_name: username,
        action: action::LOGIN_FAILED,
        target: "",
        outcome: "failed",
        client,
        detail,
    };
    if let Some(until) = lock_in_force(store, username, client).await? {
        let detail =
            if user_id.is_some() { "locked from this source" } else { "unknown user; locked from this source" };
        audit::record_now(store, failed(detail)).await?;
        return Err(IdentityError::AccountLocked { until });
    }
    let Some(row) = row else {
        // Same work as for a real account, so that timing does not reveal which names exist.
        password::verify_unknown_user(password_input).await;
        if let Some(until) = record_failure(store, config, failed("unknown user")).await? {
            return Err(IdentityError::AccountLocked { until });
        }
        return Err(IdentityError::InvalidCredentials);
    };
    let user_id: i64 = row.try_get("id")?;
    let hash: String = row.try_get("password_hash")?;
    let status: String = row.try_get("status")?;
    let totp_enabled = row.try_get::<i64, _>("totp_enabled")? != 0;
    if !password::verify(password_input, &hash).await {
        if let Some(until) = record_failure(store, config, failed("wrong password")).await? {
            return Err(IdentityError::AccountLocked { until });
        }
        return Err(IdentityError::InvalidCredentials);
    }
    if status != "active" {
        audit::record_now(store, failed("account disabled")).await?;
        return Err(IdentityError::AccountDisabled);
    }
    let needs_mfa = grants_of(store, user_id).await?.iter().any(|g| g.requires_mfa);
    let stage = if totp_enabled {
        Stage::Mfa
    } else if needs_mfa {
        Stage::Enroll
    } else {
        Stage::Full
    };
    let detail = match stage {
        Stage::Full => "password",
        Stage::Mfa => "password ok; waiting for TOTP",
        Stage::Enroll => "password ok; TOTP enrollment required",
    };
    // The counter reset (for this source), the session and the login event: one transaction.
    // A login waiting for its second factor keeps the count, so that logging in again with
    // the password does not buy more guesses at the code.
    let mut tx = store.begin().await?;
    if stage == Stage::Full {
        clear_throttle_from(&mut tx, username, client).await?;
    }
    let session = open_session(&mut tx, config, user_id, stage, client).await?;
    audit::record(
        &mut tx,
        audit::Event {
            actor_id: Some(user_id),
            actor_name: username,
            action: action::LOGIN,
            target: "",
            outcome: "ok",
            client,
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// The throttle key's name part: the name as typed, trimmed, at most 128 characters.
fn throttle_name(username: &str) -> String {
    username.trim().chars().take(128).collect()
}

/// The throttle key's source part: the client's address (as the audit trail has it).
fn throttle_source(client: &ClientInfo) -> String {
    client.ip.chars().take(64).collect()
}

/// Failure counts older than this are forgotten (their rows pruned) unless a lock is in force.
const THROTTLE_MEMORY_MS: i64 = 24 * 3600 * 1000;

/// When the login lock on `username` from `client`'s source ends, if one is in force.
pub async fn lock_in_force(store: &Store, username: &str, client: &ClientInfo) -> Result<Option<Timestamp>> {
    let until: Option<i64> = sqlx::query_scalar(
        "SELECT locked_until FROM login_throttle WHERE username = $1 AND source = $2 AND locked_until > $3",
    )
    .bind(throttle_name(username))
    .bind(throttle_source(client))
    .bind(Timestamp::now().0)
    .fetch_optional(store.pool())
    .await?;
    Ok(until.map(Timestamp))
}

/// Records a refused authentication (`failed`: a wrong password or one-time code, or a name
/// that matches no account) and counts it toward the lockout of `failed.actor_name` from
/// `failed.client`'s source; at the threshold locks that name for that source, records the
/// lockout and returns when the lock ends. The event, the count, the lock and the lockout
/// event commit together, in one transaction. Sessions are left alone.
pub async fn record_failure(
    store: &Store,
    config: &IdentityConfig,
    failed: audit::Event<'_>,
) -> Result<Option<Timestamp>> {
    let (username, client, user_id) = (failed.actor_name, failed.client, failed.actor_id);
    let (name, source) = (throttle_name(username), throttle_source(client));
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    // The throttle row before the audit trail's (the ledger head), in the order a login takes them.
    sqlx::query("DELETE FROM login_throttle WHERE last_failure < $1 AND locked_until < $2")
        .bind(now.0 - THROTTLE_MEMORY_MS)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    let failures: i64 = sqlx::query(
        "INSERT INTO login_throttle (username, source, failures, locked_until, last_failure) VALUES ($1, $2, 1, 0, $3) \
         ON CONFLICT (username, source) DO UPDATE SET failures = login_throttle.failures + 1, last_failure = $3 \
         RETURNING failures",
    )
    .bind(&name)
    .bind(&source)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    audit::record(&mut tx, failed).await?;
    let mut locked = None;
    if failures >= config.lockout_threshold {
        let until = now.plus_seconds(config.lockout_duration.as_secs() as i64);
        sqlx::query("UPDATE login_throttle SET failures = 0, locked_until = $1 WHERE username = $2 AND source = $3")
            .bind(until.0)
            .bind(&name)
            .bind(&source)
            .execute(&mut *tx)
            .await?;
        let who = if user_id.is_some() { "" } else { " (no such user)" };
        let detail = format!(
            "{failures} failed attempts from {}{who}; locked from that source until {}",
            client.ip,
            until.to_china_string()
        );
        audit::record(
            &mut tx,
            audit::Event {
                actor_id: user_id,
                actor_name: username,
                action: action::LOCKOUT,
                target: "",
                outcome: "denied",
                client,
                detail: &detail,
            },
        )
        .await?;
        locked = Some(until);
    }
    tx.commit().await?;
    Ok(locked)
}

/// Forgets the failures of `username` from `client`'s source: a completed login from there.
async fn clear_throttle_from(tx: &mut Tx<'_>, username: &str, client: &ClientInfo) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE username = $1 AND source = $2")
        .bind(throttle_name(username))
        .bind(throttle_source(client))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Lifts every login lock and failure count of `username` (all sources), inside the caller's
/// transaction: a security administrator's unlock, a new password.
pub(crate) async fn clear_throttle(tx: &mut Tx<'_>, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE username = $1")
        .bind(throttle_name(username))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn open_session(
    tx: &mut Tx<'_>,
    config: &IdentityConfig,
    user_id: i64,
    stage: Stage,
    client: &ClientInfo,
) -> Result<NewSession> {
    let token = random_token();
    let csrf_token = random_token();
    let now = Timestamp::now();
    let expires_at = now.plus_seconds(config.session_absolute.as_secs() as i64);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, stage, created_at, last_seen, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(secret_hash(&token))
    .bind(user_id)
    .bind(&csrf_token)
    .bind(stage.as_str())
    .bind(now.0)
    .bind(now.0)
    .bind(expires_at.0)
    .bind(client.ip.chars().take(64).collect::<String>())
    .bind(client.user_agent.chars().take(256).collect::<String>())
    .execute(&mut **tx)
    .await?;
    Ok(NewSession { token, csrf_token, stage, expires_at, user_id })
}

/// Role columns, aliased so they can ride along a principal query (`LEFT JOIN roles r`).
const ROLE_COLUMNS: &str = "r.code AS role_code, r.name_zh AS role_name_zh, r.name_en AS role_name_en, \
     r.permissions AS role_permissions, r.scope AS role_scope, r.requires_mfa AS role_requires_mfa, \
     r.admin_kind AS role_admin_kind";

/// The grant in a row with [`ROLE_COLUMNS`], or `None` where the left join found no role.
fn grant_from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Option<RoleGrant>, sqlx::Error> {
    let Some(code) = r.try_get::<Option<String>, _>("role_code")? else { return Ok(None) };
    let perms: String = r.try_get("role_permissions")?;
    let scope: String = r.try_get("role_scope")?;
    let admin: Option<String> = r.try_get("role_admin_kind")?;
    Ok(Some(RoleGrant {
        code,
        name_zh: r.try_get("role_name_zh")?,
        name_en: r.try_get("role_name_en")?,
        permissions: roles::split_list(&perms),
        scope: Scope::parse(&scope).unwrap_or(Scope::Own),
        requires_mfa: r.try_get::<i64, _>("role_requires_mfa")? != 0,
        admin_kind: admin.as_deref().and_then(AdminKind::parse),
    }))
}

fn grants_from_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<RoleGrant>> {
    let mut grants = Vec::new();
    for r in rows {
        if let Some(g) = grant_from_row(r)? {
            grants.push(g);
        }
    }
    Ok(grants)
}

/// Role grants of a user, in one query.
pub(crate) async fn grants_of(store: &Store, user_id: i64) -> Result<Vec<RoleGrant>> {
    let rows = sqlx::query(&format!(
        "SELECT {ROLE_COLUMNS} FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.id"
    ))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    grants_from_rows(&rows)
}

/// Joins that bring a user's roles into a principal query: one row per role (one row with
/// null role columns when the user has none), so a request resolves its caller in one round trip.
const ROLE_JOIN: &str = "LEFT JOIN user_roles ur ON ur.user_id = u.id LEFT JOIN roles r ON r.id = ur.role_id";

const PRINCIPAL_COLUMNS: &str = "u.id AS user_id, u.username, u.display_name, u.status, u.is_master, \
     o.id AS org_id, o.name AS org_name, o.kind AS org_kind, o.path AS org_path";

fn principal_from_row(
    r: &sqlx::any::AnyRow,
    roles: Vec<RoleGrant>,
    via: AuthVia,
) -> std::result::Result<Principal, sqlx::Error> {
    let kind: String = r.try_get("org_kind")?;
    Ok(Principal::authenticated(Authenticated {
        user_id: r.try_get("user_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        org_kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Company),
        org_path: r.try_get("org_path")?,
        is_master: r.try_get::<i64, _>("is_master")? != 0,
        roles,
        via,
    }))
}

/// The principal behind a session cookie, and the session's stage. Ends sessions that have
/// been idle too long or passed their absolute lifetime.
pub async fn session_principal(store: &Store, config: &IdentityConfig, token: &str) -> Result<(Principal, Stage)> {
    let (principal, stage, _) = read_session(store, config, &secret_hash(token)).await?;
    Ok((principal, stage))
}

/// The session with this token hash: principal, stage and when it ends at the latest.
async fn read_session(store: &Store, config: &IdentityConfig, hash: &str) -> Result<(Principal, Stage, i64)> {
    let rows = sqlx::query(&format!(
        "SELECT {PRINCIPAL_COLUMNS}, {ROLE_COLUMNS}, s.csrf_token, s.stage, s.last_seen, s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id {ROLE_JOIN} \
         WHERE s.token_hash = $1 ORDER BY r.id"
    ))
    .bind(hash)
    .fetch_all(store.pool())
    .await?;
    let row = rows.first().ok_or(IdentityError::Unauthenticated)?;
    let now = Timestamp::now();
    let last_seen: i64 = row.try_get("last_seen")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let status: String = row.try_get("status")?;
    let idle_ms = config.session_idle.as_millis() as i64;
    if now.0 > expires_at || now.0 - last_seen > idle_ms || status != "active" {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(store.pool()).await?;
        return Err(IdentityError::Unauthenticated);
    }
    // Touch at most once a minute: the idle clock needs no finer grain, and reads stay reads.
    if now.0 - last_seen > 60_000 {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(now.0)
            .bind(hash)
            .execute(store.pool())
            .await?;
    }
    let roles = grants_from_rows(&rows)?;
    let csrf_token: String = row.try_get("csrf_token")?;
    let stage: String = row.try_get("stage")?;
    let principal = principal_from_row(row, roles, AuthVia::Session { csrf_token })?;
    Ok((principal, Stage::parse(&stage), expires_at))
}

/// How long a session's principal is served from [`SessionCache`] before it is read again.
/// Within this process every change that could alter a principal empties the cache at once
/// ([`principals_changed`]); another process sharing the database sees it within this time.
pub const SESSION_CACHE_TTL_MS: i64 = 5_000;

static PRINCIPAL_EPOCH: AtomicU64 = AtomicU64::new(0);

/// Marks every cached principal stale: a session ended or promoted, a user's status, roles or
/// password changed, a role's permissions changed, an organization moved.
pub fn principals_changed() {
    PRINCIPAL_EPOCH.fetch_add(1, Ordering::AcqRel);
}

struct Cached {
    principal: Principal,
    until: i64,
    epoch: u64,
}

/// Recently resolved full sessions by token hash, so that a burst of requests on one session
/// (a pharmacy's scanner, a dashboard) costs one session query per [`SESSION_CACHE_TTL_MS`]
/// rather than one per request. Only fully logged-in sessions are kept.
#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache").finish_non_exhaustive()
    }
}

/// Entries kept at most; past it the cache starts over.
const SESSION_CACHE_MAX: usize = 10_000;

impl SessionCache {
    fn get(&self, hash: &str, now: i64) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let c = entries.get(hash)?;
        (c.until > now && c.epoch == PRINCIPAL_EPOCH.load(Ordering::Acquire)).then(|| c.principal.clone())
    }

    fn put(&self, hash: String, principal: Principal, until: i64, epoch: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= SESSION_CACHE_MAX {
                entries.clear();
            }
            entries.insert(hash, Cached { principal, until, epoch });
        }
    }
}

/// [`session_principal`] through `cache`.
pub async fn cached_session_principal(
    cache: &SessionCache,
    store: &Store,
    config: &IdentityConfig,
    token: &str,
) -> Result<(Principal, Stage)> {
    let hash = secret_hash(token);
    let now = Timestamp::now().0;
    if let Some(p) = cache.get(&hash, now) {
        return Ok((p, Stage::Full));
    }
    // The epoch before the read: a change landing meanwhile leaves the entry stale, not wrong.
    let epoch = PRINCIPAL_EPOCH.load(Ordering::Acquire);
    let (principal, stage, expires_at) = read_session(store, config, &hash).await?;
    if stage == Stage::Full {
        cache.put(hash, principal.clone(), expires_at.min(now + SESSION_CACHE_TTL_MS), epoch);
    }
    Ok((principal, stage))
}

/// The principal behind an API token (`Authorization: Bearer ylt_…`).
pub async fn token_principal(store: &Store, token: &str) -> Result<Principal> {
    let rows = sqlx::query(&format!(
        "SELECT {PRINCIPAL_COLUMNS}, {ROLE_COLUMNS}, t.id AS token_id, t.scopes, t.expires_at, t.revoked \
         FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id {ROLE_JOIN} \
         WHERE t.token_hash = $1 ORDER BY r.id"
    ))
    .bind(secret_hash(token))
    .fetch_all(store.pool())
    .await?;
    let row = rows.first().ok_or(IdentityError::Unauthenticated)?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let revoked: i64 = row.try_get("revoked")?;
    let status: String = row.try_get("status")?;
    if revoked != 0 || Timestamp::now().0 > expires_at || status != "active" {
        return Err(IdentityError::Unauthenticated);
    }
    let roles = grants_from_rows(&rows)?;
    let scopes: String = row.try_get("scopes")?;
    let via = AuthVia::Token { token_id: row.try_get("token_id")?, scopes: roles::split_list(&scopes) };
    Ok(principal_from_row(row, roles, via)?)
}

/// The active users among `user_ids` as principals (what they may do, not acting now), in one
/// query: for rules about other people, such as who may be assigned a review.
pub async fn principals_of(store: &Store, user_ids: &[i64]) -> Result<Vec<Principal>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = yaolian_store::sql::Params::new();
    let list: Vec<String> = user_ids.iter().map(|id| p.push(*id)).collect();
    let sql = format!(
        "SELECT {PRINCIPAL_COLUMNS}, {ROLE_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id {ROLE_JOIN} \
         WHERE u.id IN ({}) AND u.status = 'active' ORDER BY u.id, r.id",
        list.join(", ")
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for group in rows.chunk_by(|a, b| a.try_get::<i64, _>("user_id").ok() == b.try_get::<i64, _>("user_id").ok()) {
        let roles = grants_from_rows(group)?;
        out.push(principal_from_row(&group[0], roles, AuthVia::Session { csrf_token: String::new() })?);
    }
    Ok(out)
}

/// A principal for a user id (the CLI acting as an existing user, and tests).
pub async fn principal_for_user(store: &Store, user_id: i64) -> Result<Principal> {
    let rows = sqlx::query(&format!(
        "SELECT {PRINCIPAL_COLUMNS}, {ROLE_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id {ROLE_JOIN} \
         WHERE u.id = $1 ORDER BY r.id"
    ))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    let row = rows.first().ok_or(IdentityError::NotFound("user"))?;
    let roles = grants_from_rows(&rows)?;
    Ok(principal_from_row(row, roles, AuthVia::Session { csrf_token: String::new() })?)
}

/// Account management (one's password, one's API tokens) needs a login session: an API token,
/// whatever its scopes, cannot change the credentials of the account it acts for.
pub async fn require_session(store: &Store, principal: &Principal, target: &str, client: &ClientInfo) -> Result<()> {
    if principal.is_token() {
        return Err(audit::deny(store, principal, "login_session", target, client).await);
    }
    Ok(())
}

/// Completes a login waiting at the TOTP step. Wrong codes count toward the lockout like
/// wrong passwords.
pub async fn complete_mfa(
    store: &Store,
    config: &IdentityConfig,
    token: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<()> {
    let (principal, stage) = session_principal(store, config, token).await?;
    if stage != Stage::Mfa {
        return Err(IdentityError::Unauthenticated);
    }
    match totp::verify_for_user(store, config, principal.user_id(), code).await {
        Ok(()) => {
            let mut tx = store.begin().await?;
            sqlx::query("UPDATE sessions SET stage = 'full' WHERE token_hash = $1")
                .bind(secret_hash(token))
                .execute(&mut *tx)
                .await?;
            clear_throttle_from(&mut tx, principal.username(), client).await?;
            audit::record(
                &mut tx,
                audit::Event { detail: "TOTP", ..audit::Event::by(&principal, action::LOGIN, "", client) },
            )
            .await?;
            tx.commit().await?;
            principals_changed();
            Ok(())
        }
        Err(IdentityError::InvalidTotp) => {
            let failed =
                audit::Event { outcome: "failed", ..audit::Event::by(&principal, action::MFA_FAILED, "", client) };
            if let Some(until) = record_failure(store, config, failed).await? {
                // This half-done login ends; the account's other sessions go on (a lock from
                // one source ends nobody's work elsewhere).
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(secret_hash(token))
                    .execute(store.pool())
                    .await?;
                principals_changed();
                return Err(IdentityError::AccountLocked { until });
            }
            Err(IdentityError::InvalidTotp)
        }
        Err(e) => Err(e),
    }
}

/// Marks a session fully logged in after the user enrolled TOTP during login.
pub(crate) async fn promote_session(store: &Store, token: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET stage = 'full' WHERE token_hash = $1")
        .bind(secret_hash(token))
        .execute(store.pool())
        .await?;
    principals_changed();
    Ok(())
}

/// Ends a session.
pub async fn logout(store: &Store, principal: &Principal, token: &str, client: &ClientInfo) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(secret_hash(token)).execute(&mut *tx).await?;
    audit::record(&mut tx, audit::Event::by(principal, action::LOGOUT, "", client)).await?;
    tx.commit().await?;
    principals_changed();
    Ok(())
}
