//! The identity domain's value types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_core::Timestamp;

/// Permissions, as stored in roles. Later modules add their own strings.
pub mod perm {
    pub const ORG_READ: &str = "org.read";
    pub const ORG_MANAGE: &str = "org.manage";
    pub const USER_READ: &str = "user.read";
    pub const USER_MANAGE: &str = "user.manage";
    pub const ROLE_READ: &str = "role.read";
    pub const ROLE_ASSIGN: &str = "role.assign";
    pub const ROLE_MANAGE: &str = "role.manage";
    pub const SECURITY_MANAGE: &str = "security.manage";
    pub const AUDIT_READ: &str = "audit.read";
    pub const PORTAL_USE: &str = "portal.use";
    pub const PORTAL_NOTIFY: &str = "portal.notify";
    pub const LEDGER_CHECKPOINT: &str = "ledger.checkpoint";
    pub const REGISTRY_READ: &str = "registry.read";
    pub const REGISTRY_MANAGE: &str = "registry.manage";
    /// Read electronic licenses in scope (a bureau its jurisdiction's, a company its own).
    pub const LICENSE_READ: &str = "license.read";
    /// Issue, change, renew, suspend and revoke licenses for holders in scope.
    pub const LICENSE_MANAGE: &str = "license.manage";
    /// Submit and follow applications for one's own company (申请人).
    pub const SERVICE_APPLY: &str = "service.apply";
    /// Handle applications: accept, refuse, ask for 补正, assign and review (窗口 / 审评).
    pub const SERVICE_HANDLE: &str = "service.handle";
    /// Decide applications (决定), signing the decision.
    pub const SERVICE_DECIDE: &str = "service.decide";
    /// Configure application types, 秒办 rules and the working-day calendar.
    pub const SERVICE_CONFIGURE: &str = "service.configure";
    /// Read trace data: a bureau all of it, a company its own sites' (追溯查询).
    pub const TRACE_READ: &str = "trace.read";
    /// Report trace events for one's own sites (追溯数据上报).
    pub const TRACE_CAPTURE: &str = "trace.capture";
    /// Open and close recalls and anomalies (召回 / 异常处置): a bureau, or a MAH for its products.
    pub const TRACE_MANAGE: &str = "trace.manage";

    pub const ALL: &[&str] = &[
        ORG_READ,
        ORG_MANAGE,
        USER_READ,
        USER_MANAGE,
        ROLE_READ,
        ROLE_ASSIGN,
        ROLE_MANAGE,
        SECURITY_MANAGE,
        AUDIT_READ,
        PORTAL_USE,
        PORTAL_NOTIFY,
        LEDGER_CHECKPOINT,
        REGISTRY_READ,
        REGISTRY_MANAGE,
        LICENSE_READ,
        LICENSE_MANAGE,
        SERVICE_APPLY,
        SERVICE_HANDLE,
        SERVICE_DECIDE,
        SERVICE_CONFIGURE,
        TRACE_READ,
        TRACE_CAPTURE,
        TRACE_MANAGE,
    ];
}

/// Kind of organization (机构类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 国家药品监督管理局
    National,
    /// 省级药品监督管理局
    Provincial,
    /// 市级市场监督管理局
    Municipal,
    /// 企业 (MAH, manufacturer, distributor, pharmacy, hospital …)
    Company,
    /// 企业场地 (生产地址 / 仓库 / 门店)
    Site,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::National => "national",
            OrgKind::Provincial => "provincial",
            OrgKind::Municipal => "municipal",
            OrgKind::Company => "company",
            OrgKind::Site => "site",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        Some(match s {
            "national" => OrgKind::National,
            "provincial" => OrgKind::Provincial,
            "municipal" => OrgKind::Municipal,
            "company" => OrgKind::Company,
            "site" => OrgKind::Site,
            _ => return None,
        })
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrgKind::National => "国家局",
            OrgKind::Provincial => "省局",
            OrgKind::Municipal => "市局",
            OrgKind::Company => "企业",
            OrgKind::Site => "场地",
        }
    }

    pub fn is_regulator(self) -> bool {
        matches!(self, OrgKind::National | OrgKind::Provincial | OrgKind::Municipal)
    }

    /// The kinds of organization this kind may sit under.
    pub fn allowed_parents(self) -> &'static [OrgKind] {
        match self {
            OrgKind::National => &[],
            OrgKind::Provincial => &[OrgKind::National],
            OrgKind::Municipal => &[OrgKind::Provincial],
            OrgKind::Company => &[OrgKind::National, OrgKind::Provincial, OrgKind::Municipal],
            OrgKind::Site => &[OrgKind::Company],
        }
    }
}

/// Data scope of a role (数据范围).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The user's own organization only (本单位).
    Own,
    /// The user's organization and everything below it (本单位及下级).
    Subtree,
    /// Everything (全部).
    All,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Subtree => "subtree",
            Scope::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "own" => Scope::Own,
            "subtree" => Scope::Subtree,
            "all" => Scope::All,
            _ => return None,
        })
    }
}

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

/// The separated administrators of 三员分立.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdminKind {
    /// 系统管理员
    System,
    /// 安全管理员
    Security,
    /// 审计管理员
    Audit,
}

impl AdminKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminKind::System => "system",
            AdminKind::Security => "security",
            AdminKind::Audit => "audit",
        }
    }
    pub fn parse(s: &str) -> Option<AdminKind> {
        Some(match s {
            "system" => AdminKind::System,
            "security" => AdminKind::Security,
            "audit" => AdminKind::Audit,
            _ => return None,
        })
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            AdminKind::System => "系统管理员",
            AdminKind::Security => "安全管理员",
            AdminKind::Audit => "审计管理员",
        }
    }
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
    #[schema(value_type = Option<i64>)]
    pub locked_until: Option<Timestamp>,
    pub totp_enabled: bool,
    pub roles: Vec<String>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

/// A role as carried by a logged-in principal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RoleGrant {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(skip)]
    pub permissions: Vec<String>,
    pub scope: Scope,
    #[serde(skip)]
    pub requires_mfa: bool,
    pub admin_kind: Option<AdminKind>,
}

/// How a principal authenticated.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthVia {
    /// A browser session; state-changing form posts must carry this CSRF token.
    Session { csrf_token: String },
    /// An API token limited to these permission scopes.
    Token { token_id: i64, scopes: Vec<String> },
    /// The operator at the command line (`yaolian admin …`), acting as the system.
    System,
}

/// Who is acting: a user with their organization and roles.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub org_path: String,
    pub is_master: bool,
    pub roles: Vec<RoleGrant>,
    pub via: AuthVia,
}

impl Principal {
    /// The operator at the command line: every permission, everywhere.
    pub fn system() -> Principal {
        Principal {
            user_id: 0,
            username: "system".into(),
            display_name: "系统".into(),
            org_id: 0,
            org_name: String::new(),
            org_kind: OrgKind::National,
            org_path: "/".into(),
            is_master: true,
            roles: Vec::new(),
            via: AuthVia::System,
        }
    }

    pub fn is_system(&self) -> bool {
        self.via == AuthVia::System
    }

    /// The broadest scope in which this principal holds `permission`, if any.
    pub fn scope_for(&self, permission: &str) -> Option<Scope> {
        if self.is_system() {
            return Some(Scope::All);
        }
        if let AuthVia::Token { scopes, .. } = &self.via {
            if !scopes.iter().any(|s| s == permission) {
                return None;
            }
        }
        self.roles.iter().filter(|r| r.permissions.iter().any(|p| p == permission)).map(|r| r.scope).max()
    }

    pub fn has(&self, permission: &str) -> bool {
        self.scope_for(permission).is_some()
    }

    /// Whether `permission` reaches the organization at `org_path`.
    pub fn reaches(&self, permission: &str, org_path: &str) -> bool {
        match self.scope_for(permission) {
            None => false,
            Some(Scope::All) => true,
            Some(Scope::Subtree) => org_path.starts_with(&self.org_path),
            Some(Scope::Own) => org_path == self.org_path,
        }
    }

    pub fn admin_kinds(&self) -> Vec<AdminKind> {
        self.roles.iter().filter_map(|r| r.admin_kind).collect()
    }

    pub fn role_codes(&self) -> Vec<&str> {
        self.roles.iter().map(|r| r.code.as_str()).collect()
    }
}

/// Filter on organizations that a principal's scope for a permission allows, as SQL over the
/// `orgs` table aliased `o`. `None` means no access at all.
pub fn scope_filter(
    principal: &Principal,
    permission: &str,
    params: &mut yaolian_store::sql::Params,
) -> Option<String> {
    match principal.scope_for(permission)? {
        Scope::All => Some("1 = 1".into()),
        Scope::Subtree => {
            let (lo, hi) = yaolian_store::sql::prefix_range(&principal.org_path);
            let lo = params.push(lo);
            let hi = params.push(hi);
            Some(format!("(o.path >= {lo} AND o.path < {hi})"))
        }
        Scope::Own => Some(format!("o.id = {}", params.push(principal.org_id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(perms: &[&str], scope: Scope) -> RoleGrant {
        RoleGrant {
            code: "r".into(),
            name_zh: String::new(),
            name_en: String::new(),
            permissions: perms.iter().map(|s| s.to_string()).collect(),
            scope,
            requires_mfa: false,
            admin_kind: None,
        }
    }

    fn principal(roles: Vec<RoleGrant>, via: AuthVia) -> Principal {
        Principal { org_path: "/1/2/".into(), roles, via, ..Principal::system() }
    }

    #[test]
    fn broadest_scope_wins_and_token_scopes_narrow() {
        let session = AuthVia::Session { csrf_token: String::new() };
        let p = principal(
            vec![grant(&[perm::USER_READ], Scope::Own), grant(&[perm::USER_READ, perm::ORG_READ], Scope::Subtree)],
            session,
        );
        assert_eq!(p.scope_for(perm::USER_READ), Some(Scope::Subtree));
        assert_eq!(p.scope_for(perm::AUDIT_READ), None);
        assert!(p.reaches(perm::USER_READ, "/1/2/9/"));
        assert!(!p.reaches(perm::USER_READ, "/1/3/"));
        let t = Principal { via: AuthVia::Token { token_id: 1, scopes: vec![perm::ORG_READ.into()] }, ..p };
        assert_eq!(t.scope_for(perm::USER_READ), None, "token without the scope");
        assert_eq!(t.scope_for(perm::ORG_READ), Some(Scope::Subtree));
    }
}
