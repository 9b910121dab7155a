//! What people read of the history of users, organizations, roles and role requests (字段目录):
//! every field in Chinese, how its values read (a password or second factor only as 已设置, role
//! codes by their names), and the record by its name. Pure, no I/O: role names come in from the
//! caller.

use serde_json::Value;
use yaolian_access::kinds::{AdminKind, OrgKind, Scope};
use yaolian_access::perm;
use yaolian_core::diff::{Catalogue, Shown};

/// A user version (`state::user_images`).
const USER: &[(&str, &str)] = &[
    ("display_name", "姓名"),
    ("username", "账号"),
    ("id", "用户编号"),
    ("org_id", "所属机构编号"),
    ("email", "电子邮箱"),
    ("phone", "手机号码"),
    ("status", "账号状态"),
    ("is_master", "主账号"),
    ("roles", "角色"),
    ("password_sm3", "登录密码"),
    ("totp_sm3", "动态口令（第二因素）"),
];

/// An organization version (`model::Org`).
const ORG: &[(&str, &str)] = &[
    ("name", "机构名称"),
    ("kind", "机构类别"),
    ("code", "机构代码"),
    ("id", "机构编号"),
    ("parent_id", "上级机构编号"),
    ("path", "机构层级路径"),
    ("region", "行政区划"),
    ("status", "状态"),
    ("version", "版本号"),
];

/// A role version (`state::role_image`).
const ROLE: &[(&str, &str)] = &[
    ("name_zh", "角色名称"),
    ("name_en", "英文名称"),
    ("code", "角色代码"),
    ("id", "角色编号"),
    ("permissions", "权限"),
    ("scope", "数据范围"),
    ("requires_mfa", "须用动态口令登录"),
    ("admin_kind", "管理员类别"),
    ("builtin", "内置角色"),
];

/// A role request version (`role_requests::images`).
const ROLE_REQUEST: &[(&str, &str)] = &[
    ("id", "申请编号"),
    ("user_id", "用户编号"),
    ("roles", "申请的角色"),
    ("reason", "申请理由"),
    ("requested_by", "申请人编号"),
    ("user_version", "用户版本"),
    ("status", "状态"),
    ("decided_by", "处理人编号"),
    ("decision_reason", "处理意见"),
];

fn account_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "正常",
        "disabled" => "已停用",
        "locked" => "已锁定",
        _ => return None,
    })
}

fn request_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "pending" => "待处理",
        "approved" => "已批准",
        "refused" => "已拒绝",
        _ => return None,
    })
}

fn org_kind(code: &str) -> Option<&'static str> {
    OrgKind::parse(code).map(OrgKind::label_zh)
}

fn scope(code: &str) -> Option<&'static str> {
    Some(match Scope::parse(code)? {
        Scope::Own => "本单位",
        Scope::Subtree => "本单位及下级",
        Scope::All => "全部",
    })
}

fn admin_kind(code: &str) -> Option<&'static str> {
    AdminKind::parse(code).map(AdminKind::label_zh)
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data[key].as_str().unwrap_or_default()
}

/// Role codes under `pattern` by their names (`roles`: `(code, 名称)`).
fn role_names(mut c: Catalogue, pattern: &str, roles: &[(String, String)]) -> Catalogue {
    for (code, zh) in roles {
        c = c.value_name(pattern, code, zh);
    }
    c
}

/// The catalogue of a user; `data` is the newest version, `roles` every role's code and name.
pub fn user(data: &Value, roles: &[(String, String)]) -> Catalogue {
    let c = Catalogue::new(USER)
        .shown("status", Shown::Code(account_status))
        .shown("password_sm3", Shown::Secret)
        .shown("totp_sm3", Shown::Secret)
        .actions(&[
            ("assign_roles", "变更角色"),
            ("password_change", "修改密码"),
            ("password_reset", "重置密码"),
            ("totp_enroll", "启用动态口令"),
            ("seal_secret", "动态口令密钥加密存储"),
            ("baseline", "凭据指纹纳入台账"),
        ]);
    // A person by name; the account (an ASCII code) only when there is no name.
    let name = match [text(data, "display_name"), text(data, "username")] {
        ["", u] => u.to_string(),
        [d, _] => d.to_string(),
    };
    role_names(c, "roles", roles).named(name)
}

/// The catalogue of an organization; `data` is its newest version.
pub fn org(data: &Value) -> Catalogue {
    Catalogue::new(ORG)
        .shown("kind", Shown::Code(org_kind))
        .shown("status", Shown::Code(account_status))
        .named(text(data, "name"))
}

/// The catalogue of a role; `data` is its newest version.
pub fn role(data: &Value) -> Catalogue {
    Catalogue::new(ROLE)
        .shown("permissions", Shown::Code(perm::label_zh))
        .shown("scope", Shown::Code(scope))
        .shown("admin_kind", Shown::Code(admin_kind))
        .named(format!("角色 {}", text(data, "name_zh")))
}

/// The catalogue of a role request; `roles` every role's code and name.
pub fn role_request(data: &Value, roles: &[(String, String)]) -> Catalogue {
    let c = Catalogue::new(ROLE_REQUEST).shown("status", Shown::Code(request_status));
    role_names(c, "roles", roles).named(format!("角色申请 {}", data["id"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_an_identity_record_has_a_label() {
        let roles = vec![("quality_head".to_string(), "质量负责人".to_string())];
        let u = json!({"id": 1, "org_id": 2, "username": "kc.qa", "display_name": "王质", "email": "", "phone": "",
            "status": "active", "is_master": false, "roles": ["quality_head"], "password_sm3": "ab", "totp_sm3": null});
        let c = user(&u, &roles);
        assert!(c.unlabelled(&u).is_empty());
        assert_eq!(c.name, "王质");
        assert_eq!(c.value("roles", Some(&json!(["quality_head"]))), "质量负责人");
        assert_eq!(c.value("password_sm3", Some(&json!("ab"))), "已设置");
        assert_eq!(c.value("totp_sm3", Some(&json!(null))), "未设置");
        let r = json!({"id": 1, "code": "x", "name_zh": "审计员", "name_en": "x", "permissions": ["audit.read"],
            "scope": "all", "requires_mfa": true, "admin_kind": "audit", "builtin": true});
        assert!(role(&r).unlabelled(&r).is_empty());
        assert_eq!(role(&r).value("permissions", Some(&json!(["audit.read"]))), "安全审计");
        let o = json!({"id": 1, "kind": "company", "name": "康辰", "code": "x", "parent_id": 1, "path": "/1/",
            "region": "330100", "status": "active", "version": 1});
        assert!(org(&o).unlabelled(&o).is_empty());
        assert_eq!(org(&o).value("kind", Some(&json!("company"))), "企业");
    }
}
