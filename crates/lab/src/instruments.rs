//! Instruments (仪器设备): registered with their calibration interval, usable only while their
//! calibration is current (China GMP 2010 Art. 91–93: instruments used for testing are calibrated
//! at set intervals, and one out of calibration is not used). A calibration is a version of the
//! instrument with its certificate; a failed one puts the instrument out of service until a
//! passing one. Every use is a versioned record of its own (仪器使用记录) with who, what for and
//! which record, refused for an instrument not in calibration — the door a lab record's
//! instrument field goes through (`usable`).
//!
//! Who may do what, in the organization's scope: `lab.read` reads, `lab.use` uses,
//! `lab.manage` registers and records calibrations.

use crate::error::{LabError, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, StoreError, Tx};

/// The versioned-record entities.
pub const ENTITY: &str = "lab_instrument";
pub const USE_ENTITY: &str = "lab_instrument_use";

/// Days ahead a calibration shows as falling due.
pub const DUE_SOON_DAYS: i64 = 30;

/// Calibration states, code and Chinese name.
pub const STATES: &[(&str, &str)] = &[
    ("current", "校准有效"),
    ("due_soon", "即将到期"),
    ("overdue", "校准过期"),
    ("never", "未校准"),
    ("out_of_service", "校准不合格，停用"),
];

/// An instrument to register.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewInstrument {
    pub org_id: i64,
    /// 仪器编号, unique in the organization, e.g. HPLC-01.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial_no: String,
    #[serde(default)]
    pub location: String,
    /// Days from one calibration to the next (校准周期), e.g. 365.
    pub calibration_interval_days: i64,
}

/// A calibration as recorded.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Calibration {
    /// YYYY-MM-DD, not in the future.
    pub performed_on: String,
    /// The certificate or report number (校准证书编号).
    pub certificate: String,
    /// Whether the instrument passed.
    pub passed: bool,
}

/// An instrument as stored, with its calibration state as of today.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Instrument {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub name: String,
    pub model: String,
    pub serial_no: String,
    pub location: String,
    pub calibration_interval_days: i64,
    /// YYYY-MM-DD.
    pub calibrated_on: Option<String>,
    /// YYYY-MM-DD: the last day it may be used.
    pub calibration_due_on: Option<String>,
    pub certificate: String,
    /// `active` or `out_of_service`.
    pub status: String,
    /// One of [`STATES`]' codes.
    pub state: String,
    pub version: i64,
}

/// One use of an instrument.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Use {
    pub id: i64,
    pub instrument_id: i64,
    pub user_name: String,
    pub purpose: String,
    pub record_ref: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
}

fn today() -> i64 {
    Timestamp::now().china_day_number()
}

/// The calibration state of an instrument on `day`.
pub fn state_on(status: &str, due: Option<i64>, day: i64) -> &'static str {
    match (status, due) {
        ("out_of_service", _) => "out_of_service",
        (_, None) => "never",
        (_, Some(d)) if d < day => "overdue",
        (_, Some(d)) if d - day <= DUE_SOON_DAYS => "due_soon",
        _ => "current",
    }
}

const COLUMNS: &str = "i.id, i.org_id, i.code, i.name, i.model, i.serial_no, i.location, i.calibration_interval_days, \
     i.calibrated_on, i.calibration_due_on, i.certificate, i.status, i.version";

fn from_row(r: &sqlx::any::AnyRow, day: i64) -> std::result::Result<Instrument, sqlx::Error> {
    let due: Option<i64> = r.try_get("calibration_due_on")?;
    let status: String = r.try_get("status")?;
    Ok(Instrument {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        model: r.try_get("model")?,
        serial_no: r.try_get("serial_no")?,
        location: r.try_get("location")?,
        calibration_interval_days: r.try_get("calibration_interval_days")?,
        calibrated_on: r.try_get::<Option<i64>, _>("calibrated_on")?.map(day_text),
        calibration_due_on: due.map(day_text),
        certificate: r.try_get("certificate")?,
        state: state_on(&status, due, day).to_string(),
        status,
        version: r.try_get("version")?,
    })
}

fn image(i: &Instrument) -> serde_json::Value {
    serde_json::json!({
        "id": i.id,
        "org_id": i.org_id,
        "code": i.code,
        "name": i.name,
        "model": i.model,
        "serial_no": i.serial_no,
        "location": i.location,
        "calibration_interval_days": i.calibration_interval_days,
        "calibrated_on": i.calibrated_on,
        "calibration_due_on": i.calibration_due_on,
        "certificate": i.certificate,
        "status": i.status,
    })
}

async fn org_path(store: &Store, id: i64) -> Result<String> {
    Ok(yaolian_identity::orgs::path_of(store, "org_id", id).await?)
}

/// Versions the instrument as its row now stands and records the audit event, in `tx`.
async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<()> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM lab_instruments i WHERE i.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let i = from_row(&row, today())?;
    versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action,
            reason,
            data: &image(&i),
            expected_version: Some(i.version - 1),
        },
    )
    .await?;
    let target = format!("lab_instrument:{id} {} {action}", i.code);
    let event =
        audit::Event { detail: reason, ..audit::Event::by(principal, audit::action::LAB_INSTRUMENT, &target, client) };
    audit::record(tx, event).await?;
    Ok(())
}

/// Registers an instrument (`lab.manage`); it is not usable until its first calibration.
pub async fn register(
    store: &Store,
    principal: &Principal,
    new: &NewInstrument,
    client: &ClientInfo,
) -> Result<Instrument> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 60);
    errors.length("name", &new.name, 1, 200);
    for (field, value) in [("model", &new.model), ("serial_no", &new.serial_no), ("location", &new.location)] {
        errors.length(field, value, 0, 200);
    }
    if !(1..=3650).contains(&new.calibration_interval_days) {
        errors.push("calibration_interval_days", "range:1..3650", "one day to ten years");
    }
    errors.into_result()?;
    let path = org_path(store, new.org_id).await?;
    if !principal.reaches(perm::LAB_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, "lab_instruments", client).await);
    }
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO lab_instruments (org_id, code, name, model, serial_no, location, calibration_interval_days, status, \
         version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 1, $8) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(new.model.trim())
    .bind(new.serial_no.trim())
    .bind(new.location.trim())
    .bind(new.calibration_interval_days)
    .bind(Timestamp::now().0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("code", "unique", "another instrument has this number").into())
        }
        Err(e) => return Err(e.into()),
    };
    save(&mut tx, principal, id, "register", "", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn reach(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<Instrument> {
    let i = get(store, principal, id, client).await?;
    let path = org_path(store, i.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("lab_instrument:{id}"), client).await);
    }
    Ok(i)
}

/// Records a calibration (`lab.manage`): a pass makes the instrument usable until the interval
/// after `performed_on`; a failure takes it out of service.
pub async fn calibrate(
    store: &Store,
    principal: &Principal,
    id: i64,
    c: &Calibration,
    client: &ClientInfo,
) -> Result<Instrument> {
    let mut errors = ValidationError::new();
    errors.length("certificate", &c.certificate, 1, 100);
    let day = match chrono::NaiveDate::parse_from_str(c.performed_on.trim(), "%Y-%m-%d") {
        Ok(d) => Some(yaolian_core::time::day_number(d)),
        Err(_) => {
            errors.push("performed_on", "date", "a date as YYYY-MM-DD");
            None
        }
    };
    if day.is_some_and(|d| d > today()) {
        errors.push("performed_on", "not_future", "a calibration done, not planned");
    }
    errors.into_result()?;
    let Some(day) = day else { return Err(ValidationError::single("performed_on", "date", "date").into()) };
    let i = reach(store, principal, id, perm::LAB_MANAGE, client).await?;
    let (status, due, reason) = if c.passed {
        ("active", Some(day + i.calibration_interval_days), format!("校准合格，证书 {}", c.certificate.trim()))
    } else {
        ("out_of_service", None, format!("校准不合格，证书 {}", c.certificate.trim()))
    };
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_instruments SET calibrated_on = $1, calibration_due_on = COALESCE($2, calibration_due_on), \
         certificate = $3, status = $4, version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(day)
    .bind(due)
    .bind(c.certificate.trim())
    .bind(status)
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(i.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("instrument {} changed meanwhile; reload", i.code)).into());
    }
    save(&mut tx, principal, id, "calibrate", &reason, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The instrument, if it may be used today: in calibration, not out of service (`lab.use`).
pub async fn usable(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Instrument> {
    let i = reach(store, principal, id, perm::LAB_USE, client).await?;
    match i.state.as_str() {
        "current" | "due_soon" => Ok(i),
        other => Err(LabError::OutOfCalibration {
            code: i.code.clone(),
            state: STATES.iter().find(|(c, _)| *c == other).map(|(c, _)| *c).unwrap_or("overdue"),
            due: i.calibration_due_on.clone(),
        }),
    }
}

/// Records a use of an instrument in calibration (`lab.use`): who, what for, which record.
pub async fn use_instrument(
    store: &Store,
    principal: &Principal,
    id: i64,
    purpose: &str,
    record_ref: &str,
    client: &ClientInfo,
) -> Result<Use> {
    let mut errors = ValidationError::new();
    errors.length("purpose", purpose, 1, 200);
    errors.length("record_ref", record_ref, 0, 100);
    errors.into_result()?;
    let i = usable(store, principal, id, client).await?;
    let mut tx = store.begin().await?;
    let used = record_use(&mut tx, principal, &i, purpose, record_ref, client).await?;
    tx.commit().await?;
    Ok(used)
}

/// Writes a use of an instrument found `usable` in `tx`: the row, its version, the audit event.
pub(crate) async fn record_use(
    tx: &mut Tx<'_>,
    principal: &Principal,
    i: &Instrument,
    purpose: &str,
    record_ref: &str,
    client: &ClientInfo,
) -> Result<Use> {
    let now = Timestamp::now();
    let id = i.id;
    let use_id: i64 = sqlx::query(
        "INSERT INTO lab_instrument_uses (instrument_id, org_id, user_name, purpose, record_ref, at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(i.org_id)
    .bind(principal.username())
    .bind(purpose.trim())
    .bind(record_ref.trim())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let data = serde_json::json!({
        "id": use_id,
        "instrument_id": id,
        "org_id": i.org_id,
        "user_name": principal.username(),
        "purpose": purpose.trim(),
        "record_ref": record_ref.trim(),
        "at": now.0,
    });
    versions::append(
        tx,
        NewVersion {
            entity: USE_ENTITY,
            entity_id: &use_id.to_string(),
            actor: principal.username(),
            action: "use",
            reason: "",
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let target = format!("lab_instrument:{id} {} use", i.code);
    let event = audit::Event {
        detail: purpose,
        ..audit::Event::by(principal, audit::action::LAB_INSTRUMENT_USE, &target, client)
    };
    audit::record(tx, event).await?;
    Ok(Use {
        id: use_id,
        instrument_id: id,
        user_name: principal.username().to_string(),
        purpose: purpose.trim().to_string(),
        record_ref: record_ref.trim().to_string(),
        at: now,
    })
}

/// One instrument, if the principal may read it (not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Instrument> {
    let sql = format!(
        "SELECT {COLUMNS}, o.path AS org_path FROM lab_instruments i JOIN orgs o ON o.id = i.org_id WHERE i.id = $1"
    );
    let what = (ENTITY, "instrument");
    let row = yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, what, client).await?;
    Ok(from_row(&row, today())?)
}

/// Instruments the principal may read, those whose calibration falls due first at the top.
pub async fn list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Instrument>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LAB_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::LAB_READ, "lab_instruments", client).await);
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_instruments i JOIN orgs o ON o.id = i.org_id WHERE {scope} \
         ORDER BY CASE WHEN i.calibration_due_on IS NULL THEN 0 ELSE 1 END, i.calibration_due_on, i.code LIMIT 1000"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let day = today();
    Ok(rows.iter().map(|r| from_row(r, day)).collect::<std::result::Result<_, _>>()?)
}

/// The uses of an instrument, newest first (`lab.read`).
pub async fn uses_of(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Vec<Use>> {
    get(store, principal, id, client).await?;
    let rows = sqlx::query(
        "SELECT id, instrument_id, user_name, purpose, record_ref, at FROM lab_instrument_uses \
         WHERE instrument_id = $1 ORDER BY id DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Use {
            id: r.try_get("id")?,
            instrument_id: r.try_get("instrument_id")?,
            user_name: r.try_get("user_name")?,
            purpose: r.try_get("purpose")?,
            record_ref: r.try_get("record_ref")?,
            at: Timestamp(r.try_get("at")?),
        });
    }
    Ok(out)
}

/// Every instrument whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM lab_instruments i ORDER BY i.id")).fetch_all(store.pool()).await?;
    let day = today();
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let i = from_row(r, day)?;
        images.push(yaolian_store::state::Image { entity_id: i.id.to_string(), data: image(&i) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
