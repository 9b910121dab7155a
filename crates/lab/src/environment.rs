//! Environment monitoring of laboratory rooms (环境监测, 人机料法环's 环): a room has its
//! temperature and relative-humidity limits (China GMP 2010 Art. 42: the temperature and humidity
//! of a room suit what is done in it, and are monitored); each reading is recorded with who took
//! it and when, and one outside a limit is an excursion (超限) that opens a deviation in the
//! quality module in the reading's own transaction (`deviations::from_signal_in`).
//!
//! Values are kept in tenths (25.3 ℃ as 253), read and written as decimals with at most one
//! place, so a limit compares exactly. `lab.manage` sets rooms up, `lab.use` records readings,
//! `lab.read` reads.

use crate::error::Result;
use crate::templates::{decimal, places_of};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_quality::{deviations, QualityConfig};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, StoreError, Tx};

/// The versioned-record entities.
pub const ROOM_ENTITY: &str = "lab_room";
pub const READING_ENTITY: &str = "lab_env_reading";

/// Tenths as a decimal with one place: 253 → `25.3`, -5 → `-0.5`.
pub fn tenths_text(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{}.{}", v.abs() / 10, v.abs() % 10)
}

/// A decimal with at most one place as tenths, or the field's refusal.
fn tenths(errors: &mut ValidationError, field: &str, text: &str, range: (i64, i64)) -> Option<i64> {
    let t = text.trim();
    let v = match decimal(t) {
        Some(v) if places_of(t) <= 1 => (v * 10.0).round() as i64,
        _ => {
            errors.push(field, "places:1", "a number with one decimal place at most, e.g. 22.5");
            return None;
        }
    };
    if v < range.0 || v > range.1 {
        errors.push(
            field,
            format!("range:{}..{}", tenths_text(range.0), tenths_text(range.1)),
            "outside what can be read",
        );
        return None;
    }
    Some(v)
}

const TEMPERATURE: (i64, i64) = (-1000, 1000);
const HUMIDITY: (i64, i64) = (0, 1000);

/// A room to set up, limits as decimals (℃, %RH).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewRoom {
    pub org_id: i64,
    /// 房间编号, unique in the organization, e.g. QC-101.
    pub code: String,
    pub name: String,
    pub temp_low: String,
    pub temp_high: String,
    pub rh_low: String,
    pub rh_high: String,
}

/// A room with its limits (tenths) and its latest reading.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Room {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub name: String,
    pub temp_low: i64,
    pub temp_high: i64,
    pub rh_low: i64,
    pub rh_high: i64,
    pub version: i64,
    pub last: Option<Reading>,
}

impl Room {
    /// e.g. `18.0–26.0 ℃`.
    pub fn temp_limits(&self) -> String {
        format!("{}–{} ℃", tenths_text(self.temp_low), tenths_text(self.temp_high))
    }
    /// e.g. `45.0–65.0 %RH`.
    pub fn rh_limits(&self) -> String {
        format!("{}–{} %RH", tenths_text(self.rh_low), tenths_text(self.rh_high))
    }
}

/// A reading to record; `at` is `YYYY-MM-DD HH:MM` China time, now when empty.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewReading {
    #[serde(default)]
    pub at: String,
    /// ℃, one decimal place at most.
    pub temperature: String,
    /// %RH, one decimal place at most.
    pub humidity: String,
}

/// A reading as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reading {
    pub id: i64,
    pub room_id: i64,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    /// Tenths of a degree Celsius.
    pub temperature: i64,
    /// Tenths of a percent relative humidity.
    pub humidity: i64,
    pub recorded_by: String,
    /// Outside a limit (超限).
    pub excursion: bool,
    pub deviation_id: Option<i64>,
}

impl Reading {
    pub fn temperature_text(&self) -> String {
        tenths_text(self.temperature)
    }
    pub fn humidity_text(&self) -> String {
        tenths_text(self.humidity)
    }
}

const ROOM_COLUMNS: &str = "r.id, r.org_id, r.code, r.name, r.temp_low, r.temp_high, r.rh_low, r.rh_high, r.version";
const READING_COLUMNS: &str =
    "e.id, e.room_id, e.at, e.temperature, e.humidity, e.recorded_by, e.excursion, e.deviation_id";

fn room_from(r: &sqlx::any::AnyRow) -> std::result::Result<Room, sqlx::Error> {
    Ok(Room {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        temp_low: r.try_get("temp_low")?,
        temp_high: r.try_get("temp_high")?,
        rh_low: r.try_get("rh_low")?,
        rh_high: r.try_get("rh_high")?,
        version: r.try_get("version")?,
        last: None,
    })
}

fn reading_from(r: &sqlx::any::AnyRow) -> std::result::Result<Reading, sqlx::Error> {
    Ok(Reading {
        id: r.try_get("id")?,
        room_id: r.try_get("room_id")?,
        at: Timestamp(r.try_get("at")?),
        temperature: r.try_get("temperature")?,
        humidity: r.try_get("humidity")?,
        recorded_by: r.try_get("recorded_by")?,
        excursion: r.try_get::<i64, _>("excursion")? != 0,
        deviation_id: r.try_get("deviation_id")?,
    })
}

fn room_image(r: &Room) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "org_id": r.org_id, "code": r.code, "name": r.name,
        "temp_low": r.temp_low, "temp_high": r.temp_high, "rh_low": r.rh_low, "rh_high": r.rh_high,
    })
}

fn reading_image(e: &Reading, org_id: i64) -> serde_json::Value {
    serde_json::json!({
        "id": e.id, "room_id": e.room_id, "org_id": org_id, "at": e.at.0, "temperature": e.temperature,
        "humidity": e.humidity, "recorded_by": e.recorded_by, "excursion": e.excursion, "deviation_id": e.deviation_id,
    })
}

/// Sets a room up with its limits (`lab.manage`).
pub async fn create_room(store: &Store, principal: &Principal, new: &NewRoom, client: &ClientInfo) -> Result<Room> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 40);
    errors.length("name", &new.name, 1, 100);
    let t_low = tenths(&mut errors, "temp_low", &new.temp_low, TEMPERATURE);
    let t_high = tenths(&mut errors, "temp_high", &new.temp_high, TEMPERATURE);
    let h_low = tenths(&mut errors, "rh_low", &new.rh_low, HUMIDITY);
    let h_high = tenths(&mut errors, "rh_high", &new.rh_high, HUMIDITY);
    if let (Some(l), Some(h)) = (t_low, t_high) {
        if l >= h {
            errors.push("temp_high", "order", "the upper limit is above the lower");
        }
    }
    if let (Some(l), Some(h)) = (h_low, h_high) {
        if l >= h {
            errors.push("rh_high", "order", "the upper limit is above the lower");
        }
    }
    errors.into_result()?;
    let (Some(t_low), Some(t_high), Some(h_low), Some(h_high)) = (t_low, t_high, h_low, h_high) else {
        return Err(ValidationError::single("temp_low", "required", "limits").into());
    };
    let path = yaolian_identity::orgs::path_of(store, "org_id", new.org_id).await?;
    if !principal.reaches(perm::LAB_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, "lab_rooms", client).await);
    }
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO lab_rooms (org_id, code, name, temp_low, temp_high, rh_low, rh_high, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(t_low)
    .bind(t_high)
    .bind(h_low)
    .bind(h_high)
    .bind(Timestamp::now().0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("code", "unique", "another room has this number").into())
        }
        Err(e) => return Err(e.into()),
    };
    let row = sqlx::query(&format!("SELECT {ROOM_COLUMNS} FROM lab_rooms r WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let room = room_from(&row)?;
    versions::append(
        &mut tx,
        NewVersion {
            entity: ROOM_ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "create",
            reason: "",
            data: &room_image(&room),
            expected_version: None,
        },
    )
    .await?;
    let target = format!("lab_room:{id} {} create", room.code);
    audit::record(&mut tx, audit::Event::by(principal, audit::action::LAB_ENVIRONMENT, &target, client)).await?;
    tx.commit().await?;
    get_room(store, principal, id, client).await
}

/// One room with its latest reading, if the principal may read it (not found otherwise).
pub async fn get_room(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Room> {
    let sql = format!(
        "SELECT {ROOM_COLUMNS}, o.path AS org_path FROM lab_rooms r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1"
    );
    let row =
        yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, (ROOM_ENTITY, "room"), client)
            .await?;
    let mut room = room_from(&row)?;
    room.last = readings_of_unchecked(store, id, 1).await?.pop();
    Ok(room)
}

/// The rooms the principal may read, by number, each with its latest reading.
pub async fn rooms(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Room>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LAB_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::LAB_READ, "lab_rooms", client).await);
    };
    let sql = format!(
        "SELECT {ROOM_COLUMNS}, e.id AS e_id, e.at AS e_at, e.temperature AS e_t, e.humidity AS e_h, \
         e.recorded_by AS e_by, e.excursion AS e_x, e.deviation_id AS e_dev FROM lab_rooms r JOIN orgs o ON o.id = r.org_id \
         LEFT JOIN lab_env_readings e ON e.id = (SELECT x.id FROM lab_env_readings x WHERE x.room_id = r.id \
         ORDER BY x.at DESC, x.id DESC LIMIT 1) WHERE {scope} ORDER BY r.code LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut room = room_from(r)?;
        let last: Option<i64> = r.try_get("e_id")?;
        if let Some(id) = last {
            room.last = Some(Reading {
                id,
                room_id: room.id,
                at: Timestamp(r.try_get("e_at")?),
                temperature: r.try_get("e_t")?,
                humidity: r.try_get("e_h")?,
                recorded_by: r.try_get("e_by")?,
                excursion: r.try_get::<i64, _>("e_x")? != 0,
                deviation_id: r.try_get("e_dev")?,
            });
        }
        out.push(room);
    }
    Ok(out)
}

async fn readings_of_unchecked(store: &Store, room_id: i64, limit: i64) -> Result<Vec<Reading>> {
    let rows = sqlx::query(&format!(
        "SELECT {READING_COLUMNS} FROM lab_env_readings e WHERE e.room_id = $1 ORDER BY e.at DESC, e.id DESC LIMIT $2"
    ))
    .bind(room_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(reading_from).collect::<std::result::Result<_, _>>()?)
}

/// A room's readings, newest first (`lab.read`).
pub async fn readings(
    store: &Store,
    principal: &Principal,
    room_id: i64,
    limit: i64,
    client: &ClientInfo,
) -> Result<Vec<Reading>> {
    get_room(store, principal, room_id, client).await?;
    readings_of_unchecked(store, room_id, limit).await
}

/// Records a reading (`lab.use`); one outside a limit is an excursion and opens a deviation
/// (`quality.report`) naming the room, the parameter, the reading and the limit — in the same
/// transaction.
pub async fn record(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    room_id: i64,
    new: &NewReading,
    client: &ClientInfo,
) -> Result<Reading> {
    let mut errors = ValidationError::new();
    let temperature = tenths(&mut errors, "temperature", &new.temperature, TEMPERATURE);
    let humidity = tenths(&mut errors, "humidity", &new.humidity, HUMIDITY);
    let now = Timestamp::now();
    let at = match new.at.trim() {
        "" => Some(now),
        t => match chrono::NaiveDateTime::parse_from_str(&t.replace('T', " "), "%Y-%m-%d %H:%M") {
            Ok(dt) => Some(Timestamp(dt.and_utc().timestamp_millis() - yaolian_core::time::CHINA_MS)),
            Err(_) => {
                errors.push("at", "datetime", "a time as YYYY-MM-DD HH:MM");
                None
            }
        },
    };
    if at.is_some_and(|t| t.0 > now.0 + 60_000) {
        errors.push("at", "not_future", "a reading taken, not planned");
    }
    errors.into_result()?;
    let (Some(temperature), Some(humidity), Some(at)) = (temperature, humidity, at) else {
        return Err(ValidationError::single("temperature", "required", "reading").into());
    };
    let room = get_room(store, principal, room_id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", room.org_id).await?;
    if !principal.reaches(perm::LAB_USE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_USE, &format!("lab_room:{room_id}"), client).await);
    }
    let mut broken: Vec<(&str, String, String)> = Vec::new();
    if temperature < room.temp_low || temperature > room.temp_high {
        broken.push(("温度", format!("{} ℃", tenths_text(temperature)), room.temp_limits()));
    }
    if humidity < room.rh_low || humidity > room.rh_high {
        broken.push(("相对湿度", format!("{} %RH", tenths_text(humidity)), room.rh_limits()));
    }
    let report = if broken.is_empty() {
        None
    } else {
        Some(deviations::report_reach(store, principal, room.org_id, client).await?)
    };
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO lab_env_readings (room_id, org_id, at, temperature, humidity, recorded_by, excursion) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(room_id)
    .bind(room.org_id)
    .bind(at.0)
    .bind(temperature)
    .bind(humidity)
    .bind(principal.username())
    .bind(i64::from(!broken.is_empty()))
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    if let Some(reach) = report {
        let signal = deviations::Signal {
            org_id: room.org_id,
            source: "environment".into(),
            at: format!("{} {}", room.code, room.name),
            parameter: broken.iter().map(|b| b.0).collect::<Vec<_>>().join("、"),
            reading: broken.iter().map(|b| b.1.clone()).collect::<Vec<_>>().join("，"),
            limit: broken.iter().map(|b| format!("限度 {}", b.2)).collect::<Vec<_>>().join("，"),
            occurred_at: at.to_china_string().chars().take(16).collect(),
            product: String::new(),
            batch: String::new(),
            record_ref: format!("{} 环境监测记录 {id}", room.code),
        };
        let (dev, _) = deviations::from_signal_in(&mut tx, cfg, principal, &reach, &signal, client).await?;
        sqlx::query("UPDATE lab_env_readings SET deviation_id = $1 WHERE id = $2")
            .bind(dev)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let reading = write_version(&mut tx, principal, id, room.org_id, &room.code, client).await?;
    tx.commit().await?;
    Ok(reading)
}

async fn write_version(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    org_id: i64,
    code: &str,
    client: &ClientInfo,
) -> Result<Reading> {
    let row = sqlx::query(&format!("SELECT {READING_COLUMNS} FROM lab_env_readings e WHERE e.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let reading = reading_from(&row)?;
    versions::append(
        tx,
        NewVersion {
            entity: READING_ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "record",
            reason: "",
            data: &reading_image(&reading, org_id),
            expected_version: None,
        },
    )
    .await?;
    let target = format!(
        "lab_env_reading:{id} {code} {} ℃ {} %RH{}",
        reading.temperature_text(),
        reading.humidity_text(),
        if reading.excursion { " 超限" } else { "" }
    );
    audit::record(tx, audit::Event::by(principal, audit::action::LAB_ENVIRONMENT, &target, client)).await?;
    Ok(reading)
}

/// Every room and reading whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {ROOM_COLUMNS} FROM lab_rooms r ORDER BY r.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let room = room_from(r)?;
        images.push(yaolian_store::state::Image { entity_id: room.id.to_string(), data: room_image(&room) });
    }
    let mut out = yaolian_store::state::check(store, ROOM_ENTITY, images).await?;
    let rows = sqlx::query(&format!("SELECT {READING_COLUMNS}, e.org_id FROM lab_env_readings e ORDER BY e.id"))
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let e = reading_from(r)?;
        let org_id: i64 = r.try_get("org_id")?;
        images.push(yaolian_store::state::Image { entity_id: e.id.to_string(), data: reading_image(&e, org_id) });
    }
    out.extend(yaolian_store::state::check(store, READING_ENTITY, images).await?);
    Ok(out)
}
