//! Role requests (角色变更申请): the two-person rule for the three administrator roles
//! (三员分立; 等保 2.0 8.1.4.2 b, 21 CFR 11.10(g)). A change of roles that grants or removes
//! 系统管理员, 安全管理员 or 审计管理员 is proposed by one administrator holding `role.assign`
//! for everyone and takes effect only when a second administrator (系统管理员 or 安全管理员,
//! neither the proposer nor the person concerned) approves it. Requests are versioned (entity
//! `role_request`) and audited; the approval writes the new roles in the same transaction.

use crate::audit::{self, action};
use crate::error::Result;
use crate::model::{perm, AdminKind, Scope, User};
use crate::users::{self, check_separation, refuse_separation};
use crate::{roles, ClientInfo, IdentityError, Principal};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::state::Image;
use yaolian_store::{versions, NewVersion, Store};

/// A proposed change of one account's roles.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RoleRequest {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// The complete set of role codes the account would hold.
    pub roles: Vec<String>,
    pub reason: String,
    pub requested_by: i64,
    /// The proposer's real name (姓名).
    pub requested_by_name: String,
    #[schema(value_type = i64)]
    pub requested_at: Timestamp,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// The decider's real name (姓名).
    pub decided_by_name: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub decided_at: Option<Timestamp>,
    pub decision_reason: String,
    pub version: i64,
}

/// A proposal (API body).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoleRequest {
    pub user_id: i64,
    pub roles: Vec<String>,
    pub reason: String,
}

/// A decision on a request (API body).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDecision {
    pub approve: bool,
    pub reason: String,
}

/// What a change of roles came to: made at once, or waiting for a second administrator.
#[derive(Debug, Clone)]
pub enum RoleChange {
    Applied(User),
    Requested(RoleRequest),
}

const COLUMNS: &str = "q.id, q.user_id, u.username, u.display_name, q.roles, q.reason, q.requested_by, \
     r.display_name AS requested_by_name, q.requested_at, q.status, d.display_name AS decided_by_name, q.decided_at, \
     q.decision_reason, q.version, q.user_version";

const FROM: &str = "FROM role_requests q JOIN users u ON u.id = q.user_id JOIN users r ON r.id = q.requested_by \
     LEFT JOIN users d ON d.id = q.decided_by";

fn from_row(row: &sqlx::any::AnyRow) -> std::result::Result<(RoleRequest, i64), sqlx::Error> {
    let roles: String = row.try_get("roles")?;
    let decided_at: Option<i64> = row.try_get("decided_at")?;
    Ok((
        RoleRequest {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            roles: roles::split_list(&roles),
            reason: row.try_get("reason")?,
            requested_by: row.try_get("requested_by")?,
            requested_by_name: row.try_get("requested_by_name")?,
            requested_at: Timestamp(row.try_get("requested_at")?),
            status: row.try_get("status")?,
            decided_by_name: row.try_get("decided_by_name")?,
            decided_at: decided_at.map(Timestamp),
            decision_reason: row.try_get("decision_reason")?,
            version: row.try_get("version")?,
        },
        row.try_get("user_version")?,
    ))
}

async fn load(store: &Store, id: i64) -> Result<(RoleRequest, i64)> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE q.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("role request"))?;
    Ok(from_row(&row)?)
}

/// May `principal` propose role changes (the security administrator: `role.assign` for
/// everyone, as a person, not the operator)?
pub fn may_propose(principal: &Principal) -> bool {
    !principal.is_system() && principal.scope_for(perm::ROLE_ASSIGN) == Some(Scope::All)
}

/// Is `principal` an administrator who may approve or refuse requests (系统管理员 or
/// 安全管理员)? Whether it may decide a given one is [`may_decide`].
pub fn is_approver(principal: &Principal) -> bool {
    !principal.is_system()
        && principal.roles().iter().any(|g| matches!(g.admin_kind, Some(AdminKind::System | AdminKind::Security)))
}

/// May `principal` decide `request`: an approver, a second person (not the proposer), not the
/// person whose roles change, and the request still open.
pub fn may_decide(principal: &Principal, request: &RoleRequest) -> bool {
    decide_refusal(principal, request).is_none()
}

/// Why `principal` may not decide a request.
enum Refusal {
    NotApprover,
    Decided,
    Proposer,
    OwnRoles,
}

fn decide_refusal(principal: &Principal, request: &RoleRequest) -> Option<Refusal> {
    if !is_approver(principal) {
        Some(Refusal::NotApprover)
    } else if request.status != "pending" {
        Some(Refusal::Decided)
    } else if request.requested_by == principal.user_id() {
        Some(Refusal::Proposer)
    } else if request.user_id == principal.user_id() {
        Some(Refusal::OwnRoles)
    } else {
        None
    }
}

/// Changes `user_id`'s roles to `codes`: at once when no administrator role is given or taken
/// (as [`users::assign_roles`]), otherwise as a request for a second administrator. The page's
/// one call.
pub async fn change_roles(
    store: &Store,
    principal: &Principal,
    user_id: i64,
    codes: &[String],
    reason: &str,
    client: &ClientInfo,
) -> Result<RoleChange> {
    if !principal.is_system() && may_propose(principal) && user_id != principal.user_id() {
        let (user, _) = users::load(store, user_id).await?;
        let granted = users::resolve_grantable(store, principal, codes, client).await?;
        if users::touches_admin_roles(store, &user.roles, &granted).await? {
            return Ok(RoleChange::Requested(propose(store, principal, user_id, codes, reason, client).await?));
        }
    }
    Ok(RoleChange::Applied(users::assign_roles(store, principal, user_id, codes, reason, client).await?))
}

/// Proposes that `user_id` hold exactly `codes`. Requires `role.assign` for everyone; not for
/// one's own account; one open request per account.
pub async fn propose(
    store: &Store,
    principal: &Principal,
    user_id: i64,
    codes: &[String],
    reason: &str,
    client: &ClientInfo,
) -> Result<RoleRequest> {
    if !may_propose(principal) {
        return Err(audit::deny(store, principal, perm::ROLE_ASSIGN, &format!("user:{user_id}"), client).await);
    }
    let (user, _) = users::load(store, user_id).await?;
    let target = format!("user:{user_id} {}", user.username);
    if user_id == principal.user_id() {
        let why = "不能为自己申请角色变更 (nobody requests a change of their own roles)";
        return Err(refuse_separation(store, principal, &target, why, client).await);
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ValidationError::single("reason", "length:1..500", "give a reason (1 to 500 characters)").into());
    }
    let granted = users::resolve_grantable(store, principal, codes, client).await?;
    check_separation(&granted)?;
    let codes: Vec<String> = granted.iter().map(|r| r.code.clone()).collect();
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO role_requests (user_id, roles, reason, requested_by, requested_at, user_version, version) \
         VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id",
    )
    .bind(user_id)
    .bind(codes.join(","))
    .bind(reason)
    .bind(principal.user_id())
    .bind(now.0)
    .bind(user.version)
    .fetch_one(&mut *tx)
    .await;
    let Some(id) = yaolian_store::returned_id(inserted)? else {
        return Err(IdentityError::Conflict(format!(
            "{} 已有一项待批准的角色变更申请 (a request for this account is already waiting)",
            user.username
        )));
    };
    let data = image(&mut tx, id).await?;
    versions::append(
        &mut tx,
        NewVersion {
            entity: "role_request",
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "create",
            reason,
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let detail = format!("roles={}", codes.join(","));
    audit::record(
        &mut tx,
        audit::Event { detail: &detail, ..audit::Event::by(principal, action::ROLE_REQUEST, &target, client) },
    )
    .await?;
    tx.commit().await?;
    Ok(load(store, id).await?.0)
}

/// Approves (the roles change now) or refuses a request. Requires a second administrator:
/// see [`may_decide`]. An approval is refused when the account changed after the request
/// (the proposer files a new one).
pub async fn decide(
    store: &Store,
    principal: &Principal,
    id: i64,
    approve: bool,
    reason: &str,
    client: &ClientInfo,
) -> Result<RoleRequest> {
    let (request, user_version) = load(store, id).await?;
    let target = format!("role_request:{id} user:{} {}", request.user_id, request.username);
    match decide_refusal(principal, &request) {
        None => {}
        Some(Refusal::NotApprover) => {
            return Err(audit::deny(store, principal, perm::ROLE_ASSIGN, &format!("role_request:{id}"), client).await)
        }
        Some(Refusal::Decided) => {
            return Err(IdentityError::Conflict(format!("申请 {id} 已处理 (request {id} was decided already)")))
        }
        Some(Refusal::Proposer) => {
            let why = "申请人不能批准自己的申请，须由第二名管理员处理 (the proposer cannot decide its own request)";
            return Err(refuse_separation(store, principal, &target, why, client).await);
        }
        Some(Refusal::OwnRoles) => {
            let why = "不能处理变更自己角色的申请 (nobody decides a change of their own roles)";
            return Err(refuse_separation(store, principal, &target, why, client).await);
        }
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ValidationError::single("reason", "length:1..500", "give a reason (1 to 500 characters)").into());
    }
    let (user, _) = users::load(store, request.user_id).await?;
    let granted = if approve {
        if user.version != user_version {
            return Err(IdentityError::Conflict(format!(
                "账号 {} 在申请后已变更，请驳回并重新申请 (the account changed after the request)",
                user.username
            )));
        }
        let all = roles::all(store).await?;
        let granted: Vec<crate::Role> =
            request.roles.iter().filter_map(|c| all.iter().find(|r| &r.code == c).cloned()).collect();
        check_separation(&granted)?;
        granted
    } else {
        Vec::new()
    };
    let status = if approve { "approved" } else { "refused" };
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let updated = sqlx::query(
        "UPDATE role_requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(principal.user_id())
    .bind(now.0)
    .bind(reason)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(IdentityError::Conflict(format!("申请 {id} 已处理 (request {id} was decided already)")));
    }
    let data = image(&mut tx, id).await?;
    let v = versions::append(
        &mut tx,
        NewVersion {
            entity: "role_request",
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: if approve { "approve" } else { "refuse" },
            reason,
            data: &data,
            expected_version: Some(request.version),
        },
    )
    .await?;
    sqlx::query("UPDATE role_requests SET version = $1 WHERE id = $2")
        .bind(v.version)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if approve {
        let why = format!("申请 {id}（{}）经 {} 批准：{reason}", request.requested_by_name, principal.username());
        users::write_roles(&mut tx, principal, &user, &granted, &why, client).await?;
    }
    let act = if approve { action::ROLE_REQUEST_APPROVE } else { action::ROLE_REQUEST_REFUSE };
    let detail = format!("roles={}; {reason}", request.roles.join(","));
    audit::record(&mut tx, audit::Event { detail: &detail, ..audit::Event::by(principal, act, &target, client) })
        .await?;
    tx.commit().await?;
    if approve {
        crate::auth::principals_changed();
    }
    Ok(load(store, id).await?.0)
}

/// After-images of requests, all or the one `only` (what their versions hold; see
/// [`crate::state`]).
pub(crate) async fn images(conn: &mut sqlx::AnyConnection, only: Option<i64>) -> Result<Vec<Image>> {
    let filter = if only.is_some() { "WHERE id = $1" } else { "" };
    let sql = format!(
        "SELECT id, user_id, roles, reason, requested_by, user_version, status, decided_by, decision_reason \
         FROM role_requests {filter} ORDER BY id"
    );
    let mut q = sqlx::query(&sql);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("id")?;
        let roles: String = r.try_get("roles")?;
        let data = json!({
            "id": id,
            "user_id": r.try_get::<i64, _>("user_id")?,
            "roles": roles::split_list(&roles),
            "reason": r.try_get::<String, _>("reason")?,
            "requested_by": r.try_get::<i64, _>("requested_by")?,
            "user_version": r.try_get::<i64, _>("user_version")?,
            "status": r.try_get::<String, _>("status")?,
            "decided_by": r.try_get::<Option<i64>, _>("decided_by")?,
            "decision_reason": r.try_get::<String, _>("decision_reason")?,
        });
        out.push(Image { entity_id: id.to_string(), data });
    }
    Ok(out)
}

async fn image(tx: &mut yaolian_store::Tx<'_>, id: i64) -> Result<serde_json::Value> {
    let mut found = images(tx, Some(id)).await?;
    Ok(found.pop().ok_or(IdentityError::NotFound("role request"))?.data)
}

/// Requests, open ones first, newest first within. For the administrators who propose or
/// decide them.
pub async fn list(
    store: &Store,
    principal: &Principal,
    pending_only: bool,
    client: &ClientInfo,
) -> Result<Vec<RoleRequest>> {
    if !(may_propose(principal) || is_approver(principal)) {
        return Err(audit::deny(store, principal, perm::ROLE_ASSIGN, "role_requests", client).await);
    }
    let filter = if pending_only { "WHERE q.status = 'pending'" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} {filter} \
         ORDER BY CASE WHEN q.status = 'pending' THEN 0 ELSE 1 END, q.requested_at DESC, q.id DESC LIMIT 200"
    ))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(|r| from_row(r).map(|(q, _)| q)).collect::<std::result::Result<_, _>>()?)
}
