//! Application types (事项): configured in data (table `service_types`), each with its form, the
//! attachments it needs, its time limits in working days, the license it acts on and its
//! 智能秒办 rule. Changes are versioned records (entity `service_type`).

use crate::error::{Result, ServiceError};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::ValidationError;
use yaolian_store::{versions, NewVersion, Store};

/// The versioned-record entity of application types.
pub const ENTITY: &str = "service_type";

/// One form field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormField {
    pub key: String,
    pub zh: String,
    pub en: String,
    pub required: bool,
}

/// An application type.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceType {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// permit (行政许可) or filing (备案).
    pub category: String,
    /// issue, change, renew or file.
    pub action: String,
    /// The license type it issues or acts on.
    pub license_kind: String,
    /// Working days to accept, refuse or ask for 补正.
    pub accept_days: i64,
    /// Working days from acceptance to decision.
    pub decide_days: i64,
    pub form: Vec<FormField>,
    /// Attachments required (labels).
    pub attachments: Vec<String>,
    /// The 智能秒办 rule (empty for none).
    pub auto_rule: String,
    pub active: bool,
    pub version: i64,
}

/// A change of an application type's limits, form or rule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TypeChange {
    pub accept_days: i64,
    pub decide_days: i64,
    #[serde(default)]
    pub auto_rule: String,
    pub active: bool,
    pub reason: String,
    pub expected_version: i64,
}

const COLUMNS: &str =
    "code, name_zh, name_en, category, action, license_kind, accept_days, decide_days, form, attachments, auto_rule, active, version";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ServiceType> {
    let form: String = r.try_get("form")?;
    let attachments: String = r.try_get("attachments")?;
    let bad = |what: &str, e: serde_json::Error| ServiceError::unreadable(&format!("service type {what}"), e);
    Ok(ServiceType {
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        category: r.try_get("category")?,
        action: r.try_get("action")?,
        license_kind: r.try_get("license_kind")?,
        accept_days: r.try_get("accept_days")?,
        decide_days: r.try_get("decide_days")?,
        form: serde_json::from_str(&form).map_err(|e| bad("form", e))?,
        attachments: serde_json::from_str(&attachments).map_err(|e| bad("attachments", e))?,
        auto_rule: r.try_get("auto_rule")?,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
    })
}

/// Every application type (anyone logged in may read the catalogue).
pub async fn list(store: &Store) -> Result<Vec<ServiceType>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM service_types ORDER BY category DESC, code"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// One application type.
pub async fn get(store: &Store, code: &str) -> Result<ServiceType> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM service_types WHERE code = $1"))
        .bind(code)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| ValidationError::single("type_code", "exists", format!("no application type {code:?}")))?;
    from_row(&row)
}

/// Changes an application type's limits, rule or availability (`service.configure`).
pub async fn update(
    store: &Store,
    principal: &Principal,
    code: &str,
    change: &TypeChange,
    client: &ClientInfo,
) -> Result<ServiceType> {
    if !principal.has(perm::SERVICE_CONFIGURE) {
        return Err(
            audit::deny(store, principal, perm::SERVICE_CONFIGURE, &format!("service_type:{code}"), client).await
        );
    }
    let mut errors = ValidationError::new();
    if !(1..=60).contains(&change.accept_days) {
        errors.push("accept_days", "range:1..60", "accept_days must be 1 to 60 working days");
    }
    if !(1..=240).contains(&change.decide_days) {
        errors.push("decide_days", "range:1..240", "decide_days must be 1 to 240 working days");
    }
    if !change.auto_rule.is_empty() && !crate::rules::RULES.iter().any(|r| r.0 == change.auto_rule) {
        let codes: Vec<&str> = crate::rules::RULES.iter().map(|r| r.0).collect();
        errors.push("auto_rule", format!("one_of:{}", codes.join(",")), "unknown 秒办 rule");
    }
    if change.reason.trim().is_empty() {
        errors.push("reason", "required", "give the reason for the change");
    }
    errors.into_result()?;
    let current = get(store, code).await?;
    let mut tx = store.begin().await?;
    let version = current.version + 1;
    let done = sqlx::query(
        "UPDATE service_types SET accept_days = $1, decide_days = $2, auto_rule = $3, active = $4, version = $5 \
         WHERE code = $6 AND version = $7",
    )
    .bind(change.accept_days)
    .bind(change.decide_days)
    .bind(&change.auto_rule)
    .bind(i64::from(change.active))
    .bind(version)
    .bind(code)
    .bind(change.expected_version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::StaleVersion { what: code.to_string() });
    }
    let updated = ServiceType {
        accept_days: change.accept_days,
        decide_days: change.decide_days,
        auto_rule: change.auto_rule.clone(),
        active: change.active,
        version,
        ..current
    };
    // The first configured version is the migration's; the ledger starts with this change.
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: code,
            actor: principal.username(),
            action: "update",
            reason: change.reason.trim(),
            data: &serde_json::to_value(&updated).unwrap_or_default(),
            expected_version: None,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::by(principal, audit::action::SERVICE_TYPE_UPDATE, &format!("service_type:{code}"), client),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}
