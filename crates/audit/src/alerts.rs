//! Alert rules over the unified audit log (统一审计告警). Each rule is evaluated when an event
//! that can trip it is recorded, inside the same transaction; a tripped rule raises one alert per
//! rule, key and time window, and a to-do for every security administrator (安全管理员).
//!
//! Rules: repeated failed logins from one address, administrative changes outside working hours
//! (Monday to Friday 08:00–19:00 China time), and bulk exports by one user.

use super::{action, Event};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::error::Result;
use yaolian_access::{perm, AccessError, ClientInfo, Principal};
use yaolian_core::{Timestamp, ValidationError};
use yaolian_portal::{self as portal, NewTodo};
use yaolian_store::versions::{self, NewVersion};
use yaolian_store::{Store, Tx};

pub const FAILED_LOGINS_IP: &str = "failed_logins_ip";
pub const ADMIN_OFF_HOURS: &str = "admin_off_hours";
pub const BULK_EXPORT: &str = "bulk_export";

/// A rule's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    pub code: String,
    pub enabled: bool,
    /// How many matching events within the window trip the rule.
    pub threshold: i64,
    pub window_minutes: i64,
}

/// A raised alert.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    pub rule: String,
    pub key: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub detail: String,
}

/// Whether `at` falls in working hours: 08:00 to 19:00 China time on a working day. A working
/// day is Monday to Friday unless the calendar lists the day (`day_kind`): `holiday` (法定节假日)
/// is off, `workday` (调休上班) is on.
pub fn in_working_hours(at: Timestamp, day_kind: Option<&str>) -> bool {
    let local_s = at.0.div_euclid(1000) + 8 * 3600;
    let day = local_s.div_euclid(86_400);
    let hour = local_s.rem_euclid(86_400) / 3600;
    // 1970-01-01 was a Thursday: (day + 4) % 7 gives 0 = Sunday … 6 = Saturday.
    let weekday = (day + 4).rem_euclid(7);
    let working_day = match day_kind {
        Some("holiday") => false,
        Some("workday") => true,
        _ => (1..=5).contains(&weekday),
    };
    working_day && (8..19).contains(&hour)
}

/// The calendar's entry for the China day of `at` (`holiday`, `workday` or none).
async fn day_kind(tx: &mut Tx<'_>, at: Timestamp) -> Result<Option<String>> {
    let day = at.china_date().to_string();
    let row = sqlx::query("SELECT kind FROM calendar_days WHERE day = $1").bind(day).fetch_optional(&mut **tx).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

async fn rule(tx: &mut Tx<'_>, code: &str) -> Result<Option<Rule>> {
    let row = sqlx::query("SELECT enabled, threshold, window_minutes FROM audit_alert_rules WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let rule = Rule {
        code: code.to_string(),
        enabled: row.try_get::<i64, _>(0)? != 0,
        threshold: row.try_get(1)?,
        window_minutes: row.try_get(2)?,
    };
    Ok(rule.enabled.then_some(rule))
}

/// Evaluates the rules `event` can trip. Called by [`super::record`].
pub(super) async fn evaluate(
    tx: &mut Tx<'_>,
    event: &Event<'_>,
    actor_name: &str,
    ip: &str,
    at: Timestamp,
) -> Result<()> {
    let (code, key, count_sql) = if event.action == action::LOGIN_FAILED && !ip.is_empty() {
        (
            FAILED_LOGINS_IP,
            ip,
            "SELECT COUNT(*) FROM audit_events WHERE ip = $1 AND action = 'login_failed' AND at >= $2",
        )
    } else if event.action == action::EXPORT {
        (
            BULK_EXPORT,
            actor_name,
            "SELECT COUNT(*) FROM audit_events WHERE actor_name = $1 AND action = 'export' AND at >= $2",
        )
    } else if action::ADMINISTRATIVE.contains(&event.action)
        && event.outcome == "ok"
        // The system's own changes (a seed, a scheduled job) run at any hour; the rule is
        // about people.
        && event.actor_id.is_some()
        && !in_working_hours(at, day_kind(tx, at).await?.as_deref())
    {
        (ADMIN_OFF_HOURS, actor_name, "")
    } else {
        return Ok(());
    };
    let Some(rule) = rule(tx, code).await? else { return Ok(()) };
    let window_ms = rule.window_minutes.max(1) * 60_000;
    let count = if count_sql.is_empty() {
        1
    } else {
        sqlx::query(count_sql).bind(key).bind(at.0 - window_ms).fetch_one(&mut **tx).await?.try_get::<i64, _>(0)?
    };
    if count < rule.threshold {
        return Ok(());
    }
    let detail = match code {
        FAILED_LOGINS_IP => format!("地址 {key} 在 {} 分钟内登录失败 {count} 次", rule.window_minutes),
        BULK_EXPORT => format!("用户 {key} 在 {} 分钟内导出 {count} 次", rule.window_minutes),
        // The action by name is in the audit log the alert links to (filtered by user and day).
        _ => format!("用户 {key} 在非工作时间进行管理操作（{}）", event.target),
    };
    let window_start = at.0 - at.0.rem_euclid(window_ms);
    let raised = sqlx::query(
        "INSERT INTO audit_alerts (rule, alert_key, window_start, at, detail) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (rule, alert_key, window_start) DO NOTHING",
    )
    .bind(code)
    .bind(key)
    .bind(window_start)
    .bind(at.0)
    .bind(&detail)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if raised == 0 {
        return Ok(());
    }
    let admins = sqlx::query(
        "SELECT DISTINCT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
         WHERE r.admin_kind = 'security' AND u.status = 'active'",
    )
    .fetch_all(&mut **tx)
    .await?;
    for row in admins {
        let todo = NewTodo {
            user_id: Some(row.try_get(0)?),
            org_id: None,
            module: "audit".into(),
            title: format!("审计告警：{detail}"),
            link: "/admin/audit?tab=alerts".into(),
            due_at: None,
            statutory: false,
        };
        portal::add_todo(&mut **tx, &todo).await?;
    }
    tracing::warn!(rule = code, key, "audit alert raised");
    Ok(())
}

fn require_audit(principal: &Principal) -> Result<()> {
    if principal.has(perm::AUDIT_READ) {
        Ok(())
    } else {
        Err(AccessError::Forbidden { permission: perm::AUDIT_READ.into() })
    }
}

/// Every rule, enabled or not.
pub async fn rules(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Rule>> {
    if require_audit(principal).is_err() {
        return Err(super::deny(store, principal, perm::AUDIT_READ, "audit_alert_rules", client).await);
    }
    let rows = sqlx::query("SELECT code, enabled, threshold, window_minutes FROM audit_alert_rules ORDER BY code")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Rule {
                code: r.try_get(0)?,
                enabled: r.try_get::<i64, _>(1)? != 0,
                threshold: r.try_get(2)?,
                window_minutes: r.try_get(3)?,
            })
        })
        .collect()
}

/// Changes a rule's settings (a versioned change with a reason). Audit administrators only.
pub async fn update_rule(
    store: &Store,
    principal: &Principal,
    rule: &Rule,
    reason: &str,
    client: &ClientInfo,
) -> Result<Rule> {
    if require_audit(principal).is_err() {
        return Err(super::deny(store, principal, perm::AUDIT_READ, "audit_alert_rules", client).await);
    }
    let mut errors = ValidationError::new();
    if !(1..=10_000).contains(&rule.threshold) {
        errors.push("threshold", "range:1..10000", "threshold must be between 1 and 10000");
    }
    if !(1..=10_080).contains(&rule.window_minutes) {
        errors.push("window_minutes", "range:1..10080", "window must be between 1 minute and 7 days");
    }
    if reason.trim().is_empty() {
        errors.push("reason", "required", "a change to an alert rule needs a reason (修改原因)");
    }
    errors.into_result()?;
    let mut tx = store.begin().await?;
    let updated =
        sqlx::query("UPDATE audit_alert_rules SET enabled = $1, threshold = $2, window_minutes = $3 WHERE code = $4")
            .bind(i64::from(rule.enabled))
            .bind(rule.threshold)
            .bind(rule.window_minutes)
            .bind(&rule.code)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if updated == 0 {
        return Err(AccessError::NotFound("alert rule"));
    }
    let data = serde_json::json!({
        "code": rule.code,
        "enabled": rule.enabled,
        "threshold": rule.threshold,
        "window_minutes": rule.window_minutes,
    });
    let first = versions::history(&mut *tx, "alert_rule", &rule.code).await?.is_empty();
    if first {
        // The rule's shipped settings become version 1, so that the change shows as a diff.
        let shipped = serde_json::json!({ "code": rule.code, "note": "shipped defaults" });
        versions::append(
            &mut tx,
            NewVersion {
                entity: "alert_rule",
                entity_id: &rule.code,
                actor: "system",
                action: "create",
                reason: "",
                data: &shipped,
                expected_version: None,
            },
        )
        .await?;
    }
    versions::append(
        &mut tx,
        NewVersion {
            entity: "alert_rule",
            entity_id: &rule.code,
            actor: principal.username(),
            action: "update",
            reason,
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let target = format!("alert_rule:{}", rule.code);
    super::record(&mut tx, Event::by(principal, action::ALERT_RULE_UPDATE, &target, client)).await?;
    tx.commit().await?;
    Ok(rule.clone())
}

/// The latest alerts, newest first.
pub async fn recent(store: &Store, principal: &Principal, limit: i64, client: &ClientInfo) -> Result<Vec<Alert>> {
    if require_audit(principal).is_err() {
        return Err(super::deny(store, principal, perm::AUDIT_READ, "audit_alerts", client).await);
    }
    let rows = sqlx::query("SELECT id, rule, alert_key, at, detail FROM audit_alerts ORDER BY id DESC LIMIT $1")
        .bind(limit.clamp(1, 1000))
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Alert {
                id: r.try_get(0)?,
                rule: r.try_get(1)?,
                key: r.try_get(2)?,
                at: Timestamp(r.try_get(3)?),
                detail: r.try_get(4)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::in_working_hours;
    use yaolian_core::Timestamp;

    #[test]
    fn working_hours_are_weekdays_8_to_19_china_time() {
        // 2026-11-23 is a Monday. 10:00 +08:00 = 02:00 UTC.
        let monday_10 = Timestamp(1_795_392_000_000 + 2 * 3_600_000);
        assert!(in_working_hours(monday_10, None));
        // 07:59 +08:00 on that Monday.
        assert!(!in_working_hours(Timestamp(monday_10.0 - 2 * 3_600_000 - 60_000), None));
        // 19:00 +08:00 on that Monday.
        assert!(!in_working_hours(Timestamp(monday_10.0 + 9 * 3_600_000), None));
        // Saturday 2026-11-28, 10:00 +08:00.
        assert!(!in_working_hours(Timestamp(monday_10.0 + 5 * 86_400_000), None));
    }

    #[test]
    fn the_calendar_overrides_the_weekday() {
        // 2026-10-01 (a Thursday, National Day) and 2026-10-10 (a Saturday worked), 10:00 +08:00;
        // 国务院办公厅关于2026年部分节假日安排的通知.
        let oct_1 = Timestamp(1_790_820_000_000);
        assert_eq!(oct_1.china_date().to_string(), "2026-10-01");
        assert!(in_working_hours(oct_1, None), "an ordinary Thursday");
        assert!(!in_working_hours(oct_1, Some("holiday")));
        let oct_10 = Timestamp(oct_1.0 + 9 * 86_400_000);
        assert!(!in_working_hours(oct_10, None), "an ordinary Saturday");
        assert!(in_working_hours(oct_10, Some("workday")));
    }
}
