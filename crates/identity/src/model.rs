//! The identity domain's value types: organizations, roles and user accounts as administrators
//! see them. Who is acting ([`Principal`]) and the permission strings live in `yaolian-access`.

use serde::Serialize;
use utoipa::ToSchema;
use yaolian_core::Timestamp;

pub(crate) use yaolian_access::{perm, scope_filter, AdminKind, AuthVia, OrgKind, Principal, RoleGrant, Scope};

/// An organization (机构).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    /// 统一社会信用代码 for regulators and companies; a site code for sites.
    pub code: String,
    pub parent_id: Option<i64>,
    /// Materialized path of ids, `/1/3/7/`.
    pub path: String,
    pub region: String,
    pub status: String,
    pub version: i64,
}

/// A role (角色): permissions plus a data scope.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Role {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub permissions: Vec<String>,
    pub scope: Scope,
    /// Holders must log in with a second factor (TOTP).
    pub requires_mfa: bool,
    pub admin_kind: Option<AdminKind>,
    pub builtin: bool,
    pub version: i64,
}

/// A user account as shown to administrators (never carries secrets).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub status: String,
    /// 主账号 (true) or 子账号 (false).
    pub is_master: bool,
    /// When the latest login lock in force on this name ends, from whichever source address
    /// it holds (a lock holds for one source only; see `auth::login`).
    #[schema(value_type = Option<i64>)]
    pub locked_until: Option<Timestamp>,
    pub totp_enabled: bool,
    pub roles: Vec<String>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}
