//! What people read of the history of audit events and alert rules (字段目录). Pure, no I/O;
//! action names are the caller's (the web layer's `act.*` catalogue).

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

use crate::alerts::{ADMIN_OFF_HOURS, BULK_EXPORT, FAILED_LOGINS_IP};

/// An event's outcome in Chinese.
pub fn outcome(code: &str) -> Option<&'static str> {
    Some(match code {
        "ok" => "成功",
        "denied" => "拒绝",
        "failed" => "失败",
        _ => return None,
    })
}

/// An alert rule in Chinese.
pub fn rule_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        FAILED_LOGINS_IP => "同一地址多次登录失败",
        ADMIN_OFF_HOURS => "管理员非工作时间操作",
        BULK_EXPORT => "批量导出",
        _ => return None,
    })
}

/// The catalogue of a security audit event (`ledger::audit_event_json`); `action_zh` names its
/// action.
pub fn event(data: &Value, action_zh: &str) -> Catalogue {
    let action = data["action"].as_str().unwrap_or_default();
    Catalogue::new(&[
        ("at", "时间"),
        ("actor_name", "操作人"),
        ("actor_id", "操作人编号"),
        ("action", "操作"),
        ("target", "对象"),
        ("outcome", "结果"),
        ("ip", "IP 地址"),
        ("user_agent", "浏览器"),
        ("detail", "详情"),
    ])
    .shown("outcome", Shown::Code(outcome))
    .value_name("action", action, action_zh)
    .named(format!("审计事件 {action_zh}"))
}

/// The catalogue of an alert rule.
pub fn alert_rule(data: &Value) -> Catalogue {
    let name = data["code"].as_str().and_then(rule_zh).unwrap_or("告警规则");
    Catalogue::new(&[
        ("code", "规则"),
        ("enabled", "启用"),
        ("threshold", "阈值"),
        ("window_minutes", "统计窗口（分钟）"),
        ("note", "说明"),
    ])
    .shown("code", Shown::Code(rule_zh))
    .value_name("note", "shipped defaults", "出厂默认设置")
    .named(format!("告警规则 {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_an_audit_record_has_a_label() {
        let e = json!({"at": 1, "actor_id": 1, "actor_name": "x", "action": "login", "target": "", "outcome": "ok",
            "ip": "x", "user_agent": "x", "detail": ""});
        assert!(event(&e, "登录").unlabelled(&e).is_empty());
        assert_eq!(event(&e, "登录").value("action", Some(&json!("login"))), "登录");
        let r = json!({"code": "bulk_export", "enabled": true, "threshold": 1, "window_minutes": 5});
        assert!(alert_rule(&r).unlabelled(&r).is_empty());
        assert_eq!(alert_rule(&r).value("note", Some(&json!("shipped defaults"))), "出厂默认设置");
    }
}
