//! Instrument results delivered by the capture agent (仪器数据接收). The agent sends each result
//! with an idempotency key it chose when it captured the file; the server keeps each key's result
//! exactly once: the same key with the same content again is answered with the stored result
//! (the agent's retry after a lost answer), the same key with other content is refused
//! (`key_reused`). The raw file is kept with its SM3 checksum (ALCOA+: original, enduring) and
//! read by the parser its kind names — a CDS peak table, an ASTM E1394 message, an MT-SICS line —
//! or kept unread (`raw`) when the agent does not know the format. Each result is a versioned,
//! ledgered record (`lab_result`) with its acquisition metadata; the audit trail shows each
//! delivery and each repeat.
//!
//! Who may deliver: `lab.use` in the organization (the agent's scoped API token).

use crate::capture::{astm, balance, peaks};
use crate::error::{LabError, Result};
use crate::templates::FromResult;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_ledger::hash::HashAlg;
use yaolian_records::files::{self, Upload};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, StoreError};

/// The versioned-record entity of delivered results.
pub const ENTITY: &str = "lab_result";

/// Largest raw file, bytes.
pub const MAX_RAW_BYTES: usize = 10 * 1024 * 1024;

/// Kinds of result, code and Chinese name.
pub const KINDS: &[(&str, &str)] = &[
    ("peaks", "色谱峰表"),
    ("astm", "分析仪报文（ASTM）"),
    ("balance", "天平读数"),
    ("animl", "AnIML 数据文件"),
    ("raw", "未解析的原始文件"),
];

/// A result as the agent delivers it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Delivery {
    pub org_id: i64,
    /// Chosen by the agent when it captured the file; the same for every retry.
    pub idempotency_key: String,
    /// The instrument's number (仪器编号).
    pub instrument: String,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    /// When the instrument acquired it, RFC 3339 (`2026-12-01T09:30:00+08:00`).
    pub acquired_at: String,
    /// Who ran the instrument (the workstation's user).
    pub acquired_by: String,
    /// Where the file was on the workstation.
    #[serde(default)]
    pub source_path: String,
    /// The raw file.
    pub raw: Upload,
}

/// A result as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stored {
    pub id: i64,
    pub org_id: i64,
    pub idempotency_key: String,
    pub instrument: String,
    pub kind: String,
    #[schema(value_type = i64)]
    pub acquired_at: Timestamp,
    pub acquired_by: String,
    pub source_path: String,
    pub raw_name: String,
    pub raw_size: i64,
    /// SM3 of the raw file, hex.
    pub raw_sm3: String,
    /// What the parser read (peaks, results, weighing), JSON; `null` for `raw`.
    pub parsed: serde_json::Value,
    #[schema(value_type = i64)]
    pub received_at: Timestamp,
    pub received_by: String,
}

const COLUMNS: &str = "r.id, r.org_id, r.idempotency_key, r.instrument, r.kind, r.acquired_at, r.acquired_by, \
     r.source_path, r.raw_name, r.raw_size, r.raw_sm3, r.parsed, r.received_at, r.received_by, r.content_sm3";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Stored, sqlx::Error> {
    let parsed: String = r.try_get("parsed")?;
    Ok(Stored {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        idempotency_key: r.try_get("idempotency_key")?,
        instrument: r.try_get("instrument")?,
        kind: r.try_get("kind")?,
        acquired_at: Timestamp(r.try_get("acquired_at")?),
        acquired_by: r.try_get("acquired_by")?,
        source_path: r.try_get("source_path")?,
        raw_name: r.try_get("raw_name")?,
        raw_size: r.try_get("raw_size")?,
        raw_sm3: r.try_get("raw_sm3")?,
        parsed: serde_json::from_str(&parsed).unwrap_or(serde_json::Value::Null),
        received_at: Timestamp(r.try_get("received_at")?),
        received_by: r.try_get("received_by")?,
    })
}

impl Stored {
    /// The value a template's number takes from this result ([`FromResult`]): a stable
    /// weighing's value and unit, or the named peak's column as the data system wrote it (unit
    /// empty). A refusal is `(rule, why)`.
    pub fn take(&self, from: &FromResult) -> std::result::Result<(String, String), (String, String)> {
        if from.value == "weight" {
            if self.kind != "balance" || self.parsed.get("kind").and_then(|k| k.as_str()) != Some("weight") {
                return Err(("weighing".into(), format!("{} is not a weighing", self.raw_name)));
            }
            if self.parsed.get("stable").and_then(|s| s.as_bool()) != Some(true) {
                return Err(("stable".into(), format!("{} is not a stable weighing", self.raw_name)));
            }
            let text = |k: &str| self.parsed.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            return Ok((text("value"), text("unit")));
        }
        let peak = from.peak.trim();
        let found = self.parsed.get("peaks").and_then(|p| p.as_array()).and_then(|peaks| {
            peaks.iter().find(|p| p.get("name").and_then(|n| n.as_str()).map(str::trim) == Some(peak))
        });
        let Some(found) = found else {
            return Err((format!("peak:{peak}"), format!("{} has no peak named {peak}", self.raw_name)));
        };
        match found.get(from.value.as_str()).and_then(|v| v.as_f64()) {
            Some(v) => Ok((format!("{v}"), String::new())),
            None => {
                Err((format!("peak_value:{peak}"), format!("{} gives no {} for {peak}", self.raw_name, from.value)))
            }
        }
    }
}

fn image(r: &Stored) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "org_id": r.org_id,
        "idempotency_key": r.idempotency_key,
        "instrument": r.instrument,
        "kind": r.kind,
        "acquired_at": r.acquired_at.0,
        "acquired_by": r.acquired_by,
        "source_path": r.source_path,
        "raw_name": r.raw_name,
        "raw_size": r.raw_size,
        "raw_sm3": r.raw_sm3,
        // As text: the ledger's canonical JSON writes 1523400.0 as 1523400, which would no longer
        // compare equal to the number the parser read.
        "parsed": r.parsed.to_string(),
    })
}

/// Every result whose row differs from its ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM lab_results r ORDER BY r.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let stored = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: stored.id.to_string(), data: image(&stored) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// What the raw file says, by its kind.
fn read(kind: &str, bytes: &[u8]) -> Result<serde_json::Value> {
    let refused = |e: crate::capture::ParseError| -> LabError {
        ValidationError::single("raw", e.rule, format!("the {kind} file cannot be read: {e}")).into()
    };
    let text = || String::from_utf8_lossy(bytes).into_owned();
    Ok(match kind {
        "peaks" => serde_json::to_value(peaks::parse(&text(), &peaks::Mapping::default()).map_err(refused)?),
        "astm" => {
            let message = if bytes.contains(&0x02) { astm::unframe(bytes).map_err(refused)? } else { bytes.to_vec() };
            serde_json::to_value(astm::records(&message).map_err(refused)?)
        }
        "balance" => {
            let line = text();
            let last = line.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().to_string();
            serde_json::to_value(balance::parse_line(&last).map_err(refused)?)
        }
        "animl" => serde_json::to_value(crate::capture::animl::parse(bytes).map_err(refused)?),
        _ => return Ok(serde_json::Value::Null),
    }
    .unwrap_or(serde_json::Value::Null))
}

/// Stores a delivered result once per key (`lab.use`): `(result, true)` when it is new,
/// `(result, false)` when the key was delivered before with the same content.
pub async fn deliver(
    store: &Store,
    principal: &Principal,
    d: &Delivery,
    client: &ClientInfo,
) -> Result<(Stored, bool)> {
    let mut errors = ValidationError::new();
    errors.length("idempotency_key", &d.idempotency_key, 8, 100);
    errors.length("instrument", &d.instrument, 1, 60);
    errors.length("acquired_by", &d.acquired_by, 1, 100);
    errors.length("source_path", &d.source_path, 0, 500);
    if !KINDS.iter().any(|(k, _)| *k == d.kind) {
        let codes: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        errors.push("kind", format!("one_of:{}", codes.join(",")), "a kind of result the server reads");
    }
    let acquired = match chrono::DateTime::parse_from_rfc3339(d.acquired_at.trim()) {
        Ok(t) => Some(Timestamp(t.timestamp_millis())),
        Err(_) => {
            errors.push("acquired_at", "datetime", "an RFC 3339 time, e.g. 2026-12-01T09:30:00+08:00");
            None
        }
    };
    // The raw file's size is bounded before it is decoded: base64 is 4 characters per 3 bytes.
    if d.raw.content_base64.len() > MAX_RAW_BYTES / 3 * 4 + 4 {
        errors.push("raw", format!("max_bytes:{MAX_RAW_BYTES}"), "a raw file of at most 10 MiB");
    }
    errors.into_result()?;
    let Some(acquired) = acquired else {
        return Err(ValidationError::single("acquired_at", "datetime", "time").into());
    };
    let raw = files::decode(std::slice::from_ref(&d.raw), 1, MAX_RAW_BYTES)?;
    let Some(raw) = raw.first() else { return Err(ValidationError::single("raw", "required", "the raw file").into()) };
    let path = yaolian_identity::orgs::path_of(store, "org_id", d.org_id).await?;
    if !principal.reaches(perm::LAB_USE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_USE, "lab_results", client).await);
    }
    // The content the key stands for: everything but the key, so a retry matches and a reuse does not.
    let content = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
        d.org_id,
        d.instrument.trim(),
        d.kind,
        acquired.0,
        d.acquired_by.trim(),
        d.source_path.trim(),
        raw.name,
        raw.sm3
    );
    let content_sm3 = HashAlg::Sm3.digest(&[content.as_bytes()]).to_hex();
    if let Some(existing) = by_key(store, d.org_id, d.idempotency_key.trim()).await? {
        return repeat(store, principal, existing, &content_sm3, client).await;
    }
    let parsed = read(&d.kind, &raw.bytes)?;
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO lab_results (org_id, idempotency_key, content_sm3, instrument, kind, acquired_at, acquired_by, \
         source_path, raw_name, raw_size, raw_sm3, raw, parsed, received_at, received_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(d.org_id)
    .bind(d.idempotency_key.trim())
    .bind(&content_sm3)
    .bind(d.instrument.trim())
    .bind(&d.kind)
    .bind(acquired.0)
    .bind(d.acquired_by.trim())
    .bind(d.source_path.trim())
    .bind(&raw.name)
    .bind(raw.size())
    .bind(&raw.sm3)
    .bind(raw.bytes.clone())
    .bind(parsed.to_string())
    .bind(now.0)
    .bind(principal.username())
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        // Delivered at the same moment by another connection: answer as a repeat.
        Err(e) if e.is_unique_violation() => {
            drop(tx);
            let existing =
                by_key(store, d.org_id, d.idempotency_key.trim()).await?.ok_or(IdentityError::NotFound("result"))?;
            return repeat(store, principal, existing, &content_sm3, client).await;
        }
        Err(e) => return Err(e.into()),
    };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM lab_results r WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let stored = from_row(&row)?;
    let data = image(&stored);
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "deliver",
            reason: "",
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let target = format!("lab_result:{id} {} {}", stored.instrument, stored.raw_name);
    audit::record(&mut tx, audit::Event::by(principal, audit::action::LAB_RESULT, &target, client)).await?;
    tx.commit().await?;
    Ok((stored, true))
}

async fn by_key(store: &Store, org_id: i64, key: &str) -> Result<Option<(Stored, String)>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM lab_results r WHERE r.org_id = $1 AND r.idempotency_key = $2"))
            .bind(org_id)
            .bind(key)
            .fetch_optional(store.pool())
            .await?;
    match row {
        Some(r) => Ok(Some((from_row(&r)?, r.try_get("content_sm3")?))),
        None => Ok(None),
    }
}

/// A key delivered before: the stored result when the content is the same, a refusal when not;
/// either way the audit trail shows the repeat.
async fn repeat(
    store: &Store,
    principal: &Principal,
    (stored, content_sm3): (Stored, String),
    sent: &str,
    client: &ClientInfo,
) -> Result<(Stored, bool)> {
    let same = content_sm3 == sent;
    let target = format!(
        "lab_result:{} {} {}",
        stored.id,
        stored.idempotency_key,
        if same { "delivered again" } else { "key reused" }
    );
    let mut tx = store.begin().await?;
    audit::record(&mut tx, audit::Event::by(principal, audit::action::LAB_RESULT, &target, client)).await?;
    tx.commit().await?;
    if same {
        Ok((stored, false))
    } else {
        Err(LabError::KeyReused { key: stored.idempotency_key })
    }
}

/// Results of the principal's laboratories, newest first; `instrument` narrows to one.
pub async fn list(
    store: &Store,
    principal: &Principal,
    instrument: Option<&str>,
    limit: i64,
    client: &ClientInfo,
) -> Result<Vec<Stored>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LAB_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::LAB_READ, "lab_results", client).await);
    };
    let narrow = match instrument.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) => format!(" AND r.instrument = {}", p.push(i.to_string())),
        None => String::new(),
    };
    let lim = p.push(limit.clamp(1, 1000));
    let sql = format!(
        "SELECT {COLUMNS} FROM lab_results r JOIN orgs o ON o.id = r.org_id WHERE {scope}{narrow} \
         ORDER BY r.id DESC LIMIT {lim}"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// One result, if the principal may read it (`lab.read`; not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Stored> {
    let sql = format!(
        "SELECT {COLUMNS}, o.path AS org_path FROM lab_results r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1"
    );
    let row =
        yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, (ENTITY, "result"), client).await?;
    Ok(from_row(&row)?)
}
