//! Roles (角色): the built-in set, including the three separated administrators (三员分立),
//! reading roles, and changing whether a role needs a second factor.

use crate::audit::{self, action};
use crate::error::Result;
use crate::model::{perm, AdminKind, Role, Scope};
use crate::{ClientInfo, IdentityError, Principal};
use sqlx::Row;
use yaolian_store::{versions, NewVersion, Store};

/// A built-in role definition.
pub struct BuiltinRole {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub permissions: &'static [&'static str],
    pub scope: Scope,
    pub admin_kind: Option<AdminKind>,
}

use perm::*;

/// The roles every installation has.
pub const BUILTIN: &[BuiltinRole] = &[
    BuiltinRole {
        code: "sys_admin",
        name_zh: "系统管理员",
        name_en: "System administrator",
        permissions: &[
            ORG_READ,
            ORG_MANAGE,
            USER_READ,
            USER_MANAGE,
            ROLE_READ,
            PORTAL_USE,
            PORTAL_NOTIFY,
            LEDGER_CHECKPOINT,
            SERVICE_CONFIGURE,
        ],
        scope: Scope::All,
        admin_kind: Some(AdminKind::System),
    },
    BuiltinRole {
        code: "sec_admin",
        name_zh: "安全管理员",
        name_en: "Security administrator",
        permissions: &[ORG_READ, USER_READ, ROLE_READ, ROLE_ASSIGN, ROLE_MANAGE, SECURITY_MANAGE, PORTAL_USE],
        scope: Scope::All,
        admin_kind: Some(AdminKind::Security),
    },
    BuiltinRole {
        code: "audit_admin",
        name_zh: "审计管理员",
        name_en: "Audit administrator",
        permissions: &[AUDIT_READ, PORTAL_USE],
        scope: Scope::All,
        admin_kind: Some(AdminKind::Audit),
    },
    BuiltinRole {
        code: "regulator_leader",
        name_zh: "局领导",
        name_en: "Bureau leader",
        permissions: &[
            ORG_READ,
            USER_READ,
            PORTAL_USE,
            REGISTRY_READ,
            LICENSE_READ,
            LICENSE_MANAGE,
            SERVICE_DECIDE,
            TRACE_READ,
            TRACE_MANAGE,
            SUPERVISION_READ,
            SUPERVISION_MANAGE,
            SUPERVISION_CONFIGURE,
            SIGNALS_READ,
            SIGNALS_MANAGE,
            SUBMISSION_READ,
        ],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "reviewer",
        name_zh: "审评员",
        name_en: "Reviewer",
        permissions: &[
            ORG_READ,
            PORTAL_USE,
            REGISTRY_READ,
            REGISTRY_MANAGE,
            LICENSE_READ,
            SERVICE_HANDLE,
            TRACE_READ,
            SUPERVISION_READ,
            SIGNALS_READ,
            SUBMISSION_READ,
        ],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "window_clerk",
        name_zh: "窗口受理员",
        name_en: "Service-window clerk",
        permissions: &[ORG_READ, PORTAL_USE, REGISTRY_READ, LICENSE_READ, SERVICE_HANDLE],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "inspector",
        name_zh: "检查员",
        name_en: "Inspector",
        permissions: &[
            ORG_READ,
            PORTAL_USE,
            REGISTRY_READ,
            LICENSE_READ,
            TRACE_READ,
            TRACE_MANAGE,
            SUPERVISION_READ,
            SUPERVISION_MANAGE,
            SIGNALS_READ,
            SIGNALS_MANAGE,
        ],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "company_master",
        name_zh: "企业主账号",
        name_en: "Company master account",
        permissions: &[
            ORG_READ,
            USER_READ,
            USER_MANAGE,
            ROLE_ASSIGN,
            PORTAL_USE,
            REGISTRY_READ,
            REGISTRY_MANAGE,
            LICENSE_READ,
            SERVICE_APPLY,
            TRACE_READ,
            TRACE_CAPTURE,
            TRACE_MANAGE,
            INVENTORY_READ,
            INVENTORY_USE,
            INVENTORY_MANAGE,
            QUALITY_READ,
            QUALITY_REPORT,
            LAB_READ,
            LAB_USE,
            LAB_MANAGE,
            SIGNALS_READ,
            SIGNALS_REPORT,
            SUBMISSION_READ,
            SUBMISSION_SEND,
        ],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "quality_head",
        name_zh: "质量负责人",
        name_en: "Quality head",
        permissions: &[
            ORG_READ,
            PORTAL_USE,
            REGISTRY_READ,
            REGISTRY_MANAGE,
            LICENSE_READ,
            SERVICE_APPLY,
            TRACE_READ,
            TRACE_CAPTURE,
            INVENTORY_READ,
            INVENTORY_APPROVE,
            QUALITY_READ,
            QUALITY_REPORT,
            QUALITY_MANAGE,
            LAB_READ,
            LAB_MANAGE,
            SIGNALS_READ,
            SIGNALS_REPORT,
            SUBMISSION_READ,
            SUBMISSION_SEND,
        ],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "lab_analyst",
        name_zh: "实验员",
        name_en: "Lab analyst",
        permissions: &[
            ORG_READ,
            PORTAL_USE,
            REGISTRY_READ,
            INVENTORY_READ,
            INVENTORY_USE,
            QUALITY_READ,
            QUALITY_REPORT,
            LAB_READ,
            LAB_USE,
        ],
        scope: Scope::Own,
        admin_kind: None,
    },
    BuiltinRole {
        code: "storekeeper",
        name_zh: "库管员",
        name_en: "Storekeeper",
        permissions: &[ORG_READ, PORTAL_USE, INVENTORY_READ, INVENTORY_USE, INVENTORY_MANAGE],
        scope: Scope::Subtree,
        admin_kind: None,
    },
    BuiltinRole {
        code: "pharmacist",
        name_zh: "执业药师",
        name_en: "Licensed pharmacist",
        permissions: &[ORG_READ, PORTAL_USE, REGISTRY_READ, TRACE_READ, TRACE_CAPTURE, SIGNALS_READ, SIGNALS_REPORT],
        scope: Scope::Own,
        admin_kind: None,
    },
];

/// Inserts any built-in role that is missing and gives built-in roles the permissions this
/// release defines for them (a versioned change, so an upgrade shows in the role's history).
/// Idempotent; run at every start.
pub async fn ensure_builtin(store: &Store) -> Result<()> {
    let existing = all(store).await?;
    let missing: Vec<&BuiltinRole> = BUILTIN.iter().filter(|b| !existing.iter().any(|r| r.code == b.code)).collect();
    let outdated: Vec<(&Role, &BuiltinRole)> = existing
        .iter()
        .filter(|r| r.builtin)
        .filter_map(|r| BUILTIN.iter().find(|b| b.code == r.code).map(|b| (r, b)))
        .filter(|(r, b)| r.permissions != b.permissions)
        .collect();
    if missing.is_empty() && outdated.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for (role, b) in outdated {
        let version = role.version + 1;
        sqlx::query("UPDATE roles SET permissions = $1, version = $2 WHERE id = $3")
            .bind(b.permissions.join(","))
            .bind(version)
            .bind(role.id)
            .execute(&mut *tx)
            .await?;
        let permissions = b.permissions.iter().map(|p| p.to_string()).collect();
        let data = crate::state::role_image(&Role { permissions, builtin: true, ..role.clone() });
        versions::append(
            &mut tx,
            NewVersion {
                entity: "role",
                entity_id: &role.id.to_string(),
                actor: "system",
                action: "update",
                reason: "built-in permissions of this release",
                data: &data,
                expected_version: None,
            },
        )
        .await?;
    }
    for b in missing {
        let id: i64 = sqlx::query(
            "INSERT INTO roles (code, name_zh, name_en, permissions, scope, requires_mfa, admin_kind, builtin, version) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, 1, 1) RETURNING id",
        )
        .bind(b.code)
        .bind(b.name_zh)
        .bind(b.name_en)
        .bind(b.permissions.join(","))
        .bind(b.scope.as_str())
        .bind(b.admin_kind.map(AdminKind::as_str))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let data = crate::state::role_image(&Role {
            id,
            code: b.code.into(),
            name_zh: b.name_zh.into(),
            name_en: b.name_en.into(),
            permissions: b.permissions.iter().map(|p| p.to_string()).collect(),
            scope: b.scope,
            requires_mfa: false,
            admin_kind: b.admin_kind,
            builtin: true,
            version: 1,
        });
        versions::append(
            &mut tx,
            NewVersion {
                entity: "role",
                entity_id: &id.to_string(),
                actor: "system",
                action: "create",
                reason: "built-in role",
                data: &data,
                expected_version: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    crate::auth::principals_changed();
    Ok(())
}

pub(crate) fn role_from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Role, sqlx::Error> {
    let perms: String = r.try_get("permissions")?;
    let scope: String = r.try_get("scope")?;
    let admin: Option<String> = r.try_get("admin_kind")?;
    Ok(Role {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        permissions: split_list(&perms),
        scope: Scope::parse(&scope).unwrap_or(Scope::Own),
        requires_mfa: r.try_get::<i64, _>("requires_mfa")? != 0,
        admin_kind: admin.as_deref().and_then(AdminKind::parse),
        builtin: r.try_get::<i64, _>("builtin")? != 0,
        version: r.try_get("version")?,
    })
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

const ROLE_COLUMNS: &str = "id, code, name_zh, name_en, permissions, scope, requires_mfa, admin_kind, builtin, version";

/// Every role. Requires `role.read`, `role.assign` or `user.manage` (to pick roles for a user).
pub async fn list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Role>> {
    if !(principal.has(perm::ROLE_READ) || principal.has(perm::ROLE_ASSIGN) || principal.has(perm::USER_MANAGE)) {
        return Err(audit::deny(store, principal, perm::ROLE_READ, "roles", client).await);
    }
    all(store).await
}

/// Every role, without an access check (seeding, the CLI, and checks inside this crate).
pub async fn all(store: &Store) -> Result<Vec<Role>> {
    let rows = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles ORDER BY id")).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(role_from_row).collect::<std::result::Result<_, _>>()?)
}

pub async fn by_code(store: &Store, code: &str) -> Result<Role> {
    let row = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE code = $1"))
        .bind(code)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("role"))?;
    Ok(role_from_row(&row)?)
}

/// Marks whether holders of a role must use a second factor. Requires `role.manage`.
pub async fn set_requires_mfa(
    store: &Store,
    principal: &Principal,
    code: &str,
    requires_mfa: bool,
    reason: &str,
    client: &ClientInfo,
) -> Result<Role> {
    if !principal.has(perm::ROLE_MANAGE) {
        return Err(audit::deny(store, principal, perm::ROLE_MANAGE, code, client).await);
    }
    let role = by_code(store, code).await?;
    let mut tx = store.begin().await?;
    let data = crate::state::role_image(&Role { requires_mfa, ..role.clone() });
    let v = versions::append(
        &mut tx,
        NewVersion {
            entity: "role",
            entity_id: &role.id.to_string(),
            actor: principal.username(),
            action: "update",
            reason,
            data: &data,
            expected_version: Some(role.version),
        },
    )
    .await?;
    sqlx::query("UPDATE roles SET requires_mfa = $1, version = $2 WHERE id = $3")
        .bind(i64::from(requires_mfa))
        .bind(v.version)
        .bind(role.id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("requires_mfa={requires_mfa}");
    audit::record(
        &mut tx,
        audit::Event { detail: &detail, ..audit::Event::by(principal, action::ROLE_UPDATE, code, client) },
    )
    .await?;
    tx.commit().await?;
    crate::auth::principals_changed();
    by_code(store, code).await
}
