//! Who is acting (操作人): a user with their organization and roles, or the system itself.
//!
//! A [`Principal`]'s fields are private. Two doors make one:
//! - [`Principal::authenticated`], which only the `identity` crate calls, after it has checked a
//!   session, a token or a password (a tidy test holds that);
//! - [`run_as_system`], for code that states it runs as the system: the command line, the demo,
//!   background tasks. The module path shows at the call site (`run_as_system::principal()`),
//!   and a tidy test keeps the web layer from calling it.

use crate::kinds::{AdminKind, OrgKind, Scope};
use serde::Serialize;
use utoipa::ToSchema;

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
#[derive(Clone, PartialEq)]
pub enum AuthVia {
    /// A browser session; state-changing form posts must carry this CSRF token.
    Session { csrf_token: String },
    /// An API token limited to these permission scopes.
    Token { token_id: i64, scopes: Vec<String> },
    /// The system itself: the operator at the command line (`yaolian admin …`), the demo, or a
    /// background task.
    System,
}

impl std::fmt::Debug for AuthVia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthVia::Session { .. } => f.debug_struct("Session").field("csrf_token", &yaolian_core::REDACTED).finish(),
            AuthVia::Token { token_id, scopes } => {
                f.debug_struct("Token").field("token_id", token_id).field("scopes", scopes).finish()
            }
            AuthVia::System => f.write_str("System"),
        }
    }
}

/// What an authenticated principal is made of (the `identity` crate fills it in).
#[derive(Debug, Clone)]
pub struct Authenticated {
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

/// Who is acting: a user with their organization and roles.
#[derive(Debug, Clone)]
pub struct Principal {
    user_id: i64,
    username: String,
    display_name: String,
    org_id: i64,
    org_name: String,
    org_kind: OrgKind,
    org_path: String,
    is_master: bool,
    roles: Vec<RoleGrant>,
    via: AuthVia,
}

/// The system as the acting principal. Whoever calls into here says, at the call site, that the
/// code runs as the system and not on behalf of a person.
pub mod run_as_system {
    use super::*;

    /// The system: every permission, everywhere.
    pub fn principal() -> Principal {
        robot("system", "系统")
    }

    /// The system acting under a name of its own, e.g. a rule that decides automatically
    /// (`auto:…`, 智能秒办): every permission, and the name in the record's history.
    pub fn robot(username: &str, display_name: &str) -> Principal {
        Principal {
            user_id: 0,
            username: username.into(),
            display_name: display_name.into(),
            org_id: 0,
            org_name: String::new(),
            org_kind: OrgKind::National,
            org_path: "/".into(),
            is_master: true,
            roles: Vec::new(),
            via: AuthVia::System,
        }
    }
}

impl Principal {
    /// A principal that has proved who it is. Only the `identity` crate calls this, after the
    /// session, token or password check (a tidy test holds that).
    pub fn authenticated(a: Authenticated) -> Principal {
        Principal {
            user_id: a.user_id,
            username: a.username,
            display_name: a.display_name,
            org_id: a.org_id,
            org_name: a.org_name,
            org_kind: a.org_kind,
            org_path: a.org_path,
            is_master: a.is_master,
            roles: a.roles,
            via: a.via,
        }
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    pub fn org_id(&self) -> i64 {
        self.org_id
    }
    pub fn org_name(&self) -> &str {
        &self.org_name
    }
    pub fn org_kind(&self) -> OrgKind {
        self.org_kind
    }
    /// Materialized path of the organization, `/1/3/7/`.
    pub fn org_path(&self) -> &str {
        &self.org_path
    }
    /// 主账号 (true) or 子账号 (false).
    pub fn is_master(&self) -> bool {
        self.is_master
    }
    pub fn roles(&self) -> &[RoleGrant] {
        &self.roles
    }
    pub fn via(&self) -> &AuthVia {
        &self.via
    }

    pub fn is_system(&self) -> bool {
        self.via == AuthVia::System
    }

    /// Acting through an API token (whose scopes bound every call it makes).
    pub fn is_token(&self) -> bool {
        matches!(self.via, AuthVia::Token { .. })
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

/// Organizations in a scope above which a list reads its rows first ([`scoped_join`]).
pub const WIDE_SCOPE_ORGS: i64 = 1_000;

/// How a list joins its rows to their organization (`o`, which the scope filter of
/// `permission` reads): `(from, condition)` to put in its FROM and its WHERE. A scope of many
/// organizations (all of them, or a bureau's subtree of more than [`WIDE_SCOPE_ORGS`]) covers
/// most rows, so the rows come first — `{rows} CROSS JOIN orgs o`, an order SQLite keeps — and
/// a sorted page reads its sort index until the LIMIT is met (a province's products as its
/// clerk: 132 ms → 0.1 ms). A scope of few organizations (a company, or a province that holds
/// little) would have that read the whole index to fill a page, so the planner starts from
/// them. One indexed count of at most [`WIDE_SCOPE_ORGS`] + 1 paths tells which. PostgreSQL
/// plans either as the join it is.
pub async fn scoped_join(
    store: &yaolian_store::Store,
    principal: &Principal,
    permission: &str,
    rows: &str,
    org_column: &str,
) -> Result<(String, String), sqlx::Error> {
    let condition = format!("o.id = {org_column}");
    let wide = match principal.scope_for(permission) {
        Some(Scope::All) => true,
        Some(Scope::Subtree) if principal.org_kind().is_regulator() => {
            let (lo, hi) = yaolian_store::sql::prefix_range(&principal.org_path);
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM orgs WHERE path >= $1 AND path < $2 LIMIT {}) n",
                WIDE_SCOPE_ORGS + 1
            );
            let n: i64 = sqlx::query_scalar(&sql).bind(lo).bind(hi).fetch_one(store.pool()).await?;
            n > WIDE_SCOPE_ORGS
        }
        _ => false,
    };
    Ok(if wide {
        (format!("{rows} CROSS JOIN orgs o"), condition)
    } else {
        (format!("{rows} JOIN orgs o ON {condition}"), condition)
    })
}

/// The condition for rows any of `permissions` reaches: as every scope is relative to the
/// principal's own organization (本单位 ⊂ 本单位及下级 ⊂ 全部), the union is the widest scope —
/// one condition on the path that the planner can drive from its index, where ORed copies of it
/// make it read everything. `None` when none of the permissions is held.
pub fn scope_filter_any(
    principal: &Principal,
    permissions: &[&str],
    params: &mut yaolian_store::sql::Params,
) -> Option<String> {
    let (_, widest) = permissions.iter().filter_map(|&perm| principal.scope_for(perm).map(|s| (s, perm))).max()?;
    scope_filter(principal, widest, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm;

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
        Principal::authenticated(Authenticated {
            user_id: 1,
            username: "u".into(),
            display_name: String::new(),
            org_id: 2,
            org_name: String::new(),
            org_kind: OrgKind::Provincial,
            org_path: "/1/2/".into(),
            is_master: true,
            roles,
            via,
        })
    }

    #[test]
    fn broadest_scope_wins_and_token_scopes_narrow() {
        let session = AuthVia::Session { csrf_token: String::new() };
        let both =
            vec![grant(&[perm::USER_READ], Scope::Own), grant(&[perm::USER_READ, perm::ORG_READ], Scope::Subtree)];
        let p = principal(both.clone(), session);
        assert_eq!(p.scope_for(perm::USER_READ), Some(Scope::Subtree));
        assert_eq!(p.scope_for(perm::AUDIT_READ), None);
        assert!(p.reaches(perm::USER_READ, "/1/2/9/"));
        assert!(!p.reaches(perm::USER_READ, "/1/3/"));
        let t = principal(both, AuthVia::Token { token_id: 1, scopes: vec![perm::ORG_READ.into()] });
        assert_eq!(t.scope_for(perm::USER_READ), None, "token without the scope");
        assert_eq!(t.scope_for(perm::ORG_READ), Some(Scope::Subtree));
    }

    #[test]
    fn several_permissions_read_as_the_widest_scope_in_one_condition() {
        let session = AuthVia::Session { csrf_token: String::new() };
        let p = principal(
            vec![grant(&[perm::SERVICE_APPLY], Scope::Own), grant(&[perm::SERVICE_HANDLE], Scope::Subtree)],
            session,
        );
        let mut params = yaolian_store::sql::Params::new();
        let any = scope_filter_any(&p, &[perm::SERVICE_APPLY, perm::SERVICE_HANDLE, perm::AUDIT_READ], &mut params);
        assert_eq!(any.as_deref(), Some("(o.path >= $1 AND o.path < $2)"));
        let mut params = yaolian_store::sql::Params::new();
        assert_eq!(scope_filter_any(&p, &[perm::AUDIT_READ], &mut params), None);
    }

    #[test]
    fn the_system_reaches_everything_and_a_session_token_stays_out_of_debug() {
        let system = run_as_system::principal();
        assert!(system.is_system() && system.reaches(perm::TRACE_MANAGE, "/9/9/"));
        let robot = run_as_system::robot("auto:r1", "智能秒办");
        assert_eq!((robot.username(), robot.is_system()), ("auto:r1", true));
        let p = principal(vec![], AuthVia::Session { csrf_token: "Csrf-Never-Shown".into() });
        yaolian_core::assert_redacted("Principal", &format!("{p:?}"), "Csrf-Never-Shown");
        assert!(!p.is_system() && !p.has(perm::ORG_READ));
    }
}
