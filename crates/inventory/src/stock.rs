//! Lots (批次) and their movements (库存变动): the stock is the ledger.
//!
//! A lot's quantity on hand is the sum of its posted movements. Every receipt, issue, return,
//! approved adjustment and disposal is one transaction writing the movement row, the lot's new
//! quantity (a conditional update that cannot take it below zero), a version of the movement and
//! a version of the lot (entities `inv_movement`, `inv_lot`, each with its ledger entry), the
//! signatures a controlled chemical needs and the audit event. `drifts` compares every lot and
//! movement with its latest version and every lot's quantity with the sum of its movements.
//!
//! Who may do what, in the stockroom organization's data scope: `inventory.read` reads lots;
//! `inventory.use` issues (领用) and gives back (退还); `inventory.manage` receives (入库),
//! counts (盘点) and disposes (报废); `inventory.approve` decides a count's adjustment, never
//! one's own.

use crate::error::{InventoryError, Result};
use crate::items::{self, Item};
use crate::qty;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, RecordVersion, Store, StoreError, Tx};

/// The versioned-record entities of lots and movements.
pub const LOT_ENTITY: &str = "inv_lot";
pub const MOVEMENT_ENTITY: &str = "inv_movement";

/// Kinds of movement (变动类型), code and Chinese name.
pub const KINDS: &[(&str, &str)] = &[
    ("receive", "入库"),
    ("issue", "领用出库"),
    ("return", "退还入库"),
    ("adjust", "盘点调整"),
    ("dispose", "报废"),
    ("transfer", "移库"),
];

/// States of a movement: posted ones make the stock; an adjustment waits for approval.
pub const STATUSES: &[(&str, &str)] = &[("posted", "已过账"), ("pending", "待审批"), ("rejected", "已驳回")];

/// The two signatures a controlled chemical moves under (双人收发、双人保管): the acting
/// person's password, and a second person's user name and password. `Debug` leaves out the
/// passwords and codes.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct TwoPerson {
    /// The acting person's password (签名).
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
    /// The second person's user name (复核人).
    #[serde(default)]
    pub witness: String,
    #[serde(default)]
    pub witness_password: String,
    #[serde(default)]
    pub witness_totp: Option<String>,
}

impl std::fmt::Debug for TwoPerson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoPerson")
            .field("password", &yaolian_core::REDACTED)
            .field("totp", &self.totp.as_ref().map(|_| yaolian_core::REDACTED))
            .field("witness", &self.witness)
            .field("witness_password", &yaolian_core::REDACTED)
            .field("witness_totp", &self.witness_totp.as_ref().map(|_| yaolian_core::REDACTED))
            .finish()
    }
}

/// A receipt (入库): a new lot of an item.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Receipt {
    pub item_id: i64,
    /// 批号, unique for the item.
    pub lot_no: String,
    #[serde(default)]
    pub supplier: String,
    /// 有效期至, YYYY-MM-DD.
    pub expires_on: String,
    /// 复验期, YYYY-MM-DD.
    #[serde(default)]
    pub retest_on: Option<String>,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub cabinet: String,
    #[serde(default)]
    pub shelf: String,
    /// 包装规格, e.g. 500 mL/瓶.
    #[serde(default)]
    pub container: String,
    /// Quantity received, in the item's unit.
    pub qty: String,
    /// Stock already on the shelf when the system starts (期初建账): may be past its expiry, to
    /// be disposed of; a receipt from a supplier may not.
    #[serde(default)]
    pub opening: bool,
    /// Required for a controlled chemical.
    #[serde(default)]
    pub signatures: Option<TwoPerson>,
}

/// An issue (领用): a quantity of an item, from the lot FEFO gives unless one is named.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Issue {
    pub item_id: i64,
    pub qty: String,
    /// A lot chosen by hand; a later-expiring one than FEFO's needs `fefo_reason`.
    #[serde(default)]
    pub lot_id: Option<i64>,
    /// 用途 (what it is for: the experiment, the batch record).
    pub purpose: String,
    /// Why a later-expiring lot is taken (不按近效期先出的原因).
    #[serde(default)]
    pub fefo_reason: String,
    /// Required for a controlled chemical.
    #[serde(default)]
    pub signatures: Option<TwoPerson>,
}

/// A lot as stored, with its item's names.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Lot {
    pub id: i64,
    pub item_id: i64,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub control: String,
    pub org_id: i64,
    pub lot_no: String,
    pub supplier: String,
    #[schema(value_type = i64)]
    pub received_at: Timestamp,
    /// YYYY-MM-DD.
    pub expires_on: String,
    pub retest_on: Option<String>,
    /// 开启日期: the day of the first issue.
    pub opened_on: Option<String>,
    pub room: String,
    pub cabinet: String,
    pub shelf: String,
    pub container: String,
    /// Thousandths of the unit.
    pub received_qty: i64,
    pub on_hand: i64,
    pub status: String,
    /// Days until expiry (negative: expired that many days ago), China time.
    pub days_left: i64,
    pub version: i64,
}

impl Lot {
    pub fn expired(&self) -> bool {
        self.days_left < 0
    }
}

/// A movement as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Movement {
    pub id: i64,
    pub lot_id: i64,
    pub lot_no: String,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub kind: String,
    /// Signed thousandths of the unit: receipts and returns add, issues and disposals take.
    pub qty: i64,
    pub status: String,
    pub actor: String,
    pub witness: Option<String>,
    pub purpose: String,
    pub fefo_reason: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub decided_by: Option<String>,
    pub decision_note: String,
}

fn day_of(errors: &mut ValidationError, field: &str, text: &str) -> Option<i64> {
    match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(yaolian_core::time::day_number(d)),
        Err(_) => {
            errors.push(field, "date", "a date as YYYY-MM-DD");
            None
        }
    }
}

fn today() -> i64 {
    Timestamp::now().china_day_number()
}

/// An item with its stockroom's path, for the checks of a change.
struct Reach {
    item: Item,
    path: String,
}

async fn reach(
    store: &Store,
    principal: &Principal,
    item_id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<Reach> {
    let item = items::get(store, principal, item_id, client).await?;
    let path = items::org_path(store, item.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("inv_item:{item_id}"), client).await);
    }
    Ok(Reach { item, path })
}

/// Re-authenticates the acting person and the second person of a controlled chemical's move;
/// `None` for an item that is not controlled. One signature is not enough, nor the same person
/// twice, nor a second person without the right to handle the stock.
async fn two_people(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    r: &Reach,
    sigs: Option<&TwoPerson>,
    target: &str,
    client: &ClientInfo,
) -> Result<Option<(Principal, TwoPerson)>> {
    if !r.item.controlled() {
        return Ok(None);
    }
    let Some(s) = sigs.filter(|s| !s.password.is_empty() && !s.witness.trim().is_empty()) else {
        return Err(ValidationError::single(
            "signatures",
            "two_person",
            "a controlled chemical moves under two signatures: yours and a second person's (双人收发)",
        )
        .into());
    };
    esign::reauthenticate(store, config, principal, &s.password, s.totp.as_deref(), target, client).await?;
    let second = esign::second_person(
        store,
        config,
        "signatures.witness",
        &s.witness,
        &s.witness_password,
        s.witness_totp.as_deref(),
        target,
        client,
    )
    .await?;
    if second.user_id() == principal.user_id() {
        return Err(
            ValidationError::single("signatures.witness", "other_person", "the second person is someone else").into()
        );
    }
    if !(second.reaches(perm::INVENTORY_MANAGE, &r.path) || second.reaches(perm::INVENTORY_USE, &r.path)) {
        return Err(ValidationError::single(
            "signatures.witness",
            "two_person",
            "the second person may not handle this stockroom's stock",
        )
        .into());
    }
    Ok(Some((second, s.clone())))
}

/// One movement about to be written.
struct Move<'a> {
    lot_id: i64,
    item: &'a Item,
    kind: &'static str,
    qty: i64,
    status: &'static str,
    purpose: &'a str,
    fefo_reason: &'a str,
    witness: Option<&'a str>,
    /// The lot's state after the move (`disposed`), if it changes.
    lot_status: Option<&'static str>,
}

const LOT_COLUMNS: &str = "l.id, l.item_id, i.code AS item_code, i.name_zh AS item_name, i.unit, i.control, l.org_id, \
     l.lot_no, l.supplier, l.received_at, l.expires_on, l.retest_on, l.opened_on, l.room, l.cabinet, l.shelf, l.container, \
     l.received_qty, l.on_hand, l.status, l.version";
const LOT_FROM: &str = "inv_lots l JOIN inv_items i ON i.id = l.item_id";

fn lot_from_row(r: &sqlx::any::AnyRow, today: i64) -> std::result::Result<Lot, sqlx::Error> {
    let expires: i64 = r.try_get("expires_on")?;
    let retest: Option<i64> = r.try_get("retest_on")?;
    Ok(Lot {
        id: r.try_get("id")?,
        item_id: r.try_get("item_id")?,
        item_code: r.try_get("item_code")?,
        item_name: r.try_get("item_name")?,
        unit: r.try_get("unit")?,
        control: r.try_get("control")?,
        org_id: r.try_get("org_id")?,
        lot_no: r.try_get("lot_no")?,
        supplier: r.try_get("supplier")?,
        received_at: Timestamp(r.try_get("received_at")?),
        expires_on: day_text(expires),
        retest_on: retest.map(day_text),
        opened_on: r.try_get::<Option<i64>, _>("opened_on")?.map(day_text),
        room: r.try_get("room")?,
        cabinet: r.try_get("cabinet")?,
        shelf: r.try_get("shelf")?,
        container: r.try_get("container")?,
        received_qty: r.try_get("received_qty")?,
        on_hand: r.try_get("on_hand")?,
        status: r.try_get("status")?,
        days_left: expires - today,
        version: r.try_get("version")?,
    })
}

/// A lot's after-image, from its row as stored (read back in the writing transaction, and by
/// `drifts`); dates as YYYY-MM-DD, as people read them in the history.
fn lot_image(r: &sqlx::any::AnyRow) -> std::result::Result<serde_json::Value, sqlx::Error> {
    Ok(serde_json::json!({
        "id": r.try_get::<i64, _>("id")?,
        "item_id": r.try_get::<i64, _>("item_id")?,
        "org_id": r.try_get::<i64, _>("org_id")?,
        "lot_no": r.try_get::<String, _>("lot_no")?,
        "supplier": r.try_get::<String, _>("supplier")?,
        "received_at": r.try_get::<i64, _>("received_at")?,
        "expires_on": day_text(r.try_get::<i64, _>("expires_on")?),
        "retest_on": r.try_get::<Option<i64>, _>("retest_on")?.map(day_text),
        "opened_on": r.try_get::<Option<i64>, _>("opened_on")?.map(day_text),
        "room": r.try_get::<String, _>("room")?,
        "cabinet": r.try_get::<String, _>("cabinet")?,
        "shelf": r.try_get::<String, _>("shelf")?,
        "container": r.try_get::<String, _>("container")?,
        "received_qty": r.try_get::<i64, _>("received_qty")?,
        "on_hand": r.try_get::<i64, _>("on_hand")?,
        "status": r.try_get::<String, _>("status")?,
    }))
}

const LOT_IMAGE_COLUMNS: &str =
    "id, item_id, org_id, lot_no, supplier, received_at, expires_on, retest_on, opened_on, room, \
     cabinet, shelf, container, received_qty, on_hand, status, version";

const MOVEMENT_COLUMNS: &str = "m.id, m.lot_id, l.lot_no, m.item_id, i.name_zh AS item_name, i.unit, m.kind, m.qty, \
     m.status, m.actor, m.witness, m.purpose, m.fefo_reason, m.at, m.decided_by, m.decided_at, m.decision_note, m.org_id";
const MOVEMENT_FROM: &str = "inv_movements m JOIN inv_lots l ON l.id = m.lot_id JOIN inv_items i ON i.id = m.item_id";

fn movement_from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Movement, sqlx::Error> {
    Ok(Movement {
        id: r.try_get("id")?,
        lot_id: r.try_get("lot_id")?,
        lot_no: r.try_get("lot_no")?,
        item_id: r.try_get("item_id")?,
        item_name: r.try_get("item_name")?,
        unit: r.try_get("unit")?,
        kind: r.try_get("kind")?,
        qty: r.try_get("qty")?,
        status: r.try_get("status")?,
        actor: r.try_get("actor")?,
        witness: r.try_get("witness")?,
        purpose: r.try_get("purpose")?,
        fefo_reason: r.try_get("fefo_reason")?,
        at: Timestamp(r.try_get("at")?),
        decided_by: r.try_get("decided_by")?,
        decision_note: r.try_get("decision_note")?,
    })
}

fn movement_image(r: &sqlx::any::AnyRow) -> std::result::Result<serde_json::Value, sqlx::Error> {
    Ok(serde_json::json!({
        "id": r.try_get::<i64, _>("id")?,
        "lot_id": r.try_get::<i64, _>("lot_id")?,
        "item_id": r.try_get::<i64, _>("item_id")?,
        "org_id": r.try_get::<i64, _>("org_id")?,
        "kind": r.try_get::<String, _>("kind")?,
        "qty": r.try_get::<i64, _>("qty")?,
        "status": r.try_get::<String, _>("status")?,
        "actor": r.try_get::<String, _>("actor")?,
        "witness": r.try_get::<Option<String>, _>("witness")?,
        "purpose": r.try_get::<String, _>("purpose")?,
        "fefo_reason": r.try_get::<String, _>("fefo_reason")?,
        "at": r.try_get::<i64, _>("at")?,
        "decided_by": r.try_get::<Option<String>, _>("decided_by")?,
        "decided_at": r.try_get::<Option<i64>, _>("decided_at")?,
        "decision_note": r.try_get::<String, _>("decision_note")?,
    }))
}

const MOVEMENT_IMAGE_COLUMNS: &str = "id, lot_id, item_id, org_id, kind, qty, status, actor, witness, purpose, \
     fefo_reason, at, decided_by, decided_at, decision_note";

/// Applies a posted quantity to a lot inside `tx` and versions the lot: the update refuses to
/// take the quantity below zero.
#[allow(clippy::too_many_arguments)]
async fn apply(
    tx: &mut Tx<'_>,
    principal: &Principal,
    item: &Item,
    lot_id: i64,
    qty: i64,
    lot_status: Option<&str>,
    action: &str,
    reason: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE inv_lots SET on_hand = on_hand + $1, status = COALESCE($2, status), version = version + 1, \
         updated_at = $3, opened_on = CASE WHEN $5 = 'issue' THEN COALESCE(opened_on, $6) ELSE opened_on END \
         WHERE id = $4 AND on_hand + $1 >= 0",
    )
    .bind(qty)
    .bind(lot_status)
    .bind(Timestamp::now().0)
    .bind(lot_id)
    .bind(action)
    .bind(today())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() == 0 {
        let available: i64 = sqlx::query_scalar("SELECT on_hand FROM inv_lots WHERE id = $1")
            .bind(lot_id)
            .fetch_optional(&mut **tx)
            .await?
            .unwrap_or(0);
        return Err(InventoryError::Insufficient {
            item: item.name_zh.clone(),
            wanted: qty::format(-qty),
            available: qty::format(available),
            unit: item.unit.clone(),
        });
    }
    let row = sqlx::query(&format!("SELECT {LOT_IMAGE_COLUMNS} FROM inv_lots WHERE id = $1"))
        .bind(lot_id)
        .fetch_one(&mut **tx)
        .await?;
    let version: i64 = row.try_get("version")?;
    let data = lot_image(&row)?;
    versions::append(
        tx,
        NewVersion {
            entity: LOT_ENTITY,
            entity_id: &lot_id.to_string(),
            actor: principal.username(),
            action,
            reason: if version > 1 { reason } else { "" },
            data: &data,
            expected_version: Some(version - 1),
        },
    )
    .await?;
    Ok(())
}

/// Versions a movement as its row now stands, inside `tx`.
async fn version_movement(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
) -> Result<RecordVersion> {
    let row = sqlx::query(&format!("SELECT {MOVEMENT_IMAGE_COLUMNS} FROM inv_movements WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let data = movement_image(&row)?;
    Ok(versions::append(
        tx,
        NewVersion {
            entity: MOVEMENT_ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action,
            reason,
            data: &data,
            expected_version: None,
        },
    )
    .await?)
}

/// Writes one movement inside `tx`: its row, the lot's quantity when posted, both versions,
/// the signatures of a controlled chemical and the audit event. Returns the movement's id.
async fn write(
    tx: &mut Tx<'_>,
    principal: &Principal,
    m: &Move<'_>,
    signers: Option<&(Principal, TwoPerson)>,
    client: &ClientInfo,
) -> Result<i64> {
    let now = Timestamp::now();
    let id: i64 = sqlx::query(
        "INSERT INTO inv_movements (lot_id, item_id, org_id, kind, qty, status, actor, witness, purpose, fefo_reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(m.lot_id)
    .bind(m.item.id)
    .bind(m.item.org_id)
    .bind(m.kind)
    .bind(m.qty)
    .bind(m.status)
    .bind(principal.username())
    .bind(m.witness)
    .bind(m.purpose.trim())
    .bind(m.fefo_reason.trim())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    if m.status == "posted" {
        apply(tx, principal, m.item, m.lot_id, m.qty, m.lot_status, m.kind, m.purpose.trim()).await?;
    }
    let written = version_movement(tx, principal, id, m.kind, "").await?;
    if let Some((second, s)) = signers {
        esign::sign_in_tx(tx, principal, &s.password, "confirm", &written, client).await?;
        esign::sign_in_tx(tx, second, &s.witness_password, "verify", &written, client).await?;
    }
    let action = match m.kind {
        "receive" => audit::action::INVENTORY_RECEIVE,
        "issue" => audit::action::INVENTORY_ISSUE,
        "return" => audit::action::INVENTORY_RETURN,
        "adjust" => audit::action::INVENTORY_COUNT,
        "transfer" => audit::action::INVENTORY_TRANSFER,
        _ => audit::action::INVENTORY_DISPOSE,
    };
    let target = format!("inv_movement:{id} {} {}", m.item.name_zh, qty::format(m.qty));
    let detail = m.purpose.trim();
    audit::record(tx, audit::Event { detail, ..audit::Event::by(principal, action, &target, client) }).await?;
    Ok(id)
}

/// Receives a new lot (入库) into the item's stockroom; a controlled chemical under two
/// signatures.
pub async fn receive(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    r: &Receipt,
    client: &ClientInfo,
) -> Result<Lot> {
    let mut errors = ValidationError::new();
    errors.length("lot_no", &r.lot_no, 1, 60);
    errors.length("supplier", &r.supplier, 0, 100);
    for (field, value) in [("room", &r.room), ("cabinet", &r.cabinet), ("shelf", &r.shelf), ("container", &r.container)]
    {
        errors.length(field, value, 0, 60);
    }
    let expires = day_of(&mut errors, "expires_on", &r.expires_on);
    let retest = match r.retest_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => day_of(&mut errors, "retest_on", t),
        None => None,
    };
    let amount = qty::parse_positive("qty", &r.qty).map_err(|e| errors.push(e.field, e.rule, e.message)).ok();
    // An expired lot is not received into stock (GMP Art. 108); only the books' opening records
    // what is already on the shelf, expired or not.
    if expires.is_some_and(|d| d < today()) && !r.opening {
        errors.push("expires_on", "expired_on_receipt", "a lot past its expiry is not received");
    }
    errors.into_result()?;
    let (Some(expires), Some(amount)) = (expires, amount) else {
        return Err(ValidationError::single("qty", "required", "quantity and expiry are required").into());
    };
    let reach = reach(store, principal, r.item_id, perm::INVENTORY_MANAGE, client).await?;
    let target = format!("inv_item:{} receive {}", r.item_id, r.lot_no.trim());
    let signers = two_people(store, config, principal, &reach, r.signatures.as_ref(), &target, client).await?;
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO inv_lots (item_id, org_id, lot_no, supplier, received_at, expires_on, retest_on, room, cabinet, \
         shelf, container, received_qty, on_hand, status, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 'active', 0, $5) RETURNING id",
    )
    .bind(reach.item.id)
    .bind(reach.item.org_id)
    .bind(r.lot_no.trim())
    .bind(r.supplier.trim())
    .bind(Timestamp::now().0)
    .bind(expires)
    .bind(retest)
    .bind(r.room.trim())
    .bind(r.cabinet.trim())
    .bind(r.shelf.trim())
    .bind(r.container.trim())
    .bind(amount)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let lot_id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(
                ValidationError::single("lot_no", "unique", "this item already has a lot with this number").into()
            )
        }
        Err(e) => return Err(e.into()),
    };
    let m = Move {
        lot_id,
        item: &reach.item,
        kind: "receive",
        qty: amount,
        status: "posted",
        purpose: if r.opening { "期初建账" } else { "" },
        fefo_reason: "",
        witness: signers.as_ref().map(|(w, _)| w.username()),
        lot_status: None,
    };
    write(&mut tx, principal, &m, signers.as_ref(), client).await?;
    tx.commit().await?;
    lot(store, principal, lot_id, client).await
}

/// Usable lots of an item in FEFO order (earliest expiry first, then earliest received): active,
/// in stock, not expired.
async fn fefo_lots(store: &Store, item_id: i64) -> Result<Vec<(i64, String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT id, lot_no, expires_on, on_hand FROM inv_lots WHERE item_id = $1 AND status = 'active' \
         AND on_hand > 0 AND expires_on >= $2 ORDER BY expires_on, received_at, id",
    )
    .bind(item_id)
    .bind(today())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Issues (领用) a quantity of an item: from the earliest-expiring usable lots (FEFO, over as
/// many lots as it takes), or from the lot named — refused when it has expired, and when an
/// earlier-expiring lot is in stock unless a reason is given (recorded with the movement). The
/// item's requisition limit caps one request. A controlled chemical needs two signatures.
pub async fn issue(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &Issue,
    client: &ClientInfo,
) -> Result<Vec<Movement>> {
    let mut errors = ValidationError::new();
    let amount = qty::parse_positive("qty", &req.qty).map_err(|e| errors.push(e.field, e.rule, e.message)).ok();
    errors.length("purpose", &req.purpose, 1, 200);
    errors.length("fefo_reason", &req.fefo_reason, 0, 200);
    errors.into_result()?;
    let Some(amount) = amount else { return Err(ValidationError::single("qty", "required", "quantity").into()) };
    let reach = reach(store, principal, req.item_id, perm::INVENTORY_USE, client).await?;
    let item = &reach.item;
    if let Some(limit) = item.requisition_limit.filter(|l| amount > *l) {
        return Err(ValidationError::single(
            "qty",
            format!("limit:{} {}", qty::format(limit), item.unit),
            "more than the item's requisition limit per request",
        )
        .into());
    }
    let usable = fefo_lots(store, item.id).await?;
    let mut picks: Vec<(i64, i64)> = Vec::new();
    let mut fefo_reason = "";
    if let Some(lot_id) = req.lot_id {
        let chosen = lot(store, principal, lot_id, client).await?;
        if chosen.item_id != item.id {
            return Err(ValidationError::single("lot_id", "exists", "the lot is not of this item").into());
        }
        active(&chosen)?;
        if chosen.expired() {
            return Err(InventoryError::Expired { lot_no: chosen.lot_no, expired_on: chosen.expires_on });
        }
        let chosen_day = usable.iter().find(|l| l.0 == lot_id).map(|l| l.2).unwrap_or(i64::MAX);
        if let Some(first) = usable.iter().find(|l| l.2 < chosen_day) {
            if req.fefo_reason.trim().is_empty() {
                return Err(ValidationError::single(
                    "fefo_reason",
                    format!("fefo:{} {}", first.1, day_text(first.2)),
                    "an earlier-expiring lot is in stock: take it (FEFO) or give a reason",
                )
                .into());
            }
            fefo_reason = req.fefo_reason.as_str();
        }
        if chosen.on_hand < amount {
            return Err(InventoryError::Insufficient {
                item: item.name_zh.clone(),
                wanted: qty::format(amount),
                available: qty::format(chosen.on_hand),
                unit: item.unit.clone(),
            });
        }
        picks.push((lot_id, amount));
    } else {
        let mut left = amount;
        for (id, _, _, on_hand) in &usable {
            if left == 0 {
                break;
            }
            let take = left.min(*on_hand);
            picks.push((*id, take));
            left -= take;
        }
        if left > 0 {
            return Err(InventoryError::Insufficient {
                item: item.name_zh.clone(),
                wanted: qty::format(amount),
                available: qty::format(amount - left),
                unit: item.unit.clone(),
            });
        }
    }
    let target = format!("inv_item:{} issue", item.id);
    let signers = two_people(store, config, principal, &reach, req.signatures.as_ref(), &target, client).await?;
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(picks.len());
    for (lot_id, take) in picks {
        let m = Move {
            lot_id,
            item,
            kind: "issue",
            qty: -take,
            status: "posted",
            purpose: &req.purpose,
            fefo_reason,
            witness: signers.as_ref().map(|(w, _)| w.username()),
            lot_status: None,
        };
        ids.push(write(&mut tx, principal, &m, signers.as_ref(), client).await?);
    }
    tx.commit().await?;
    movements_by_id(store, &ids).await
}

/// A reagent lot a lab record uses, checked for the person filling the record: readable and
/// usable by them (`inventory.use`), active, not expired, not a controlled chemical (those
/// leave the store only under two signatures, 双人双锁), and with `amount` on hand. Only this
/// check constructs it; [`consume`] takes it when the record is approved.
#[derive(Debug, Clone)]
pub struct ReagentUse {
    item: Item,
    lot: Lot,
    amount: i64,
}

impl ReagentUse {
    pub fn lot(&self) -> &Lot {
        &self.lot
    }
    /// In thousandths of the item's unit.
    pub fn amount(&self) -> i64 {
        self.amount
    }
}

/// Checks a lot for use in a lab record (see [`ReagentUse`]); `field` names the record's field
/// in a refusal. `permission` is `inventory.use` for the person who fills the record, and
/// `inventory.read` for the one who approves it: the approval takes out of stock what the
/// author declared using.
#[allow(clippy::too_many_arguments)]
pub async fn usable_for_record(
    store: &Store,
    principal: &Principal,
    lot_id: i64,
    amount: i64,
    field: &str,
    permission: &str,
    client: &ClientInfo,
) -> Result<ReagentUse> {
    let chosen = lot(store, principal, lot_id, client).await?;
    let reach = reach(store, principal, chosen.item_id, permission, client).await?;
    active(&chosen)?;
    if chosen.expired() {
        return Err(InventoryError::Expired { lot_no: chosen.lot_no, expired_on: chosen.expires_on });
    }
    if reach.item.controlled() {
        return Err(ValidationError::single(
            field,
            "controlled",
            "a controlled chemical is issued at the store under two signatures, not from a record",
        )
        .into());
    }
    if amount <= 0 {
        return Err(ValidationError::single(field, "positive", "the amount used").into());
    }
    if chosen.on_hand < amount {
        return Err(InventoryError::Insufficient {
            item: reach.item.name_zh.clone(),
            wanted: qty::format(amount),
            available: qty::format(chosen.on_hand),
            unit: reach.item.unit.clone(),
        });
    }
    Ok(ReagentUse { item: reach.item, lot: chosen, amount })
}

/// Takes a checked reagent use out of stock (an issue movement, 领用) inside the caller's
/// transaction — a lab record's approval — so that the record and the stock change commit
/// together; refused, and the whole transaction with it, when the lot no longer holds the
/// amount.
pub async fn consume(
    tx: &mut Tx<'_>,
    principal: &Principal,
    use_: &ReagentUse,
    purpose: &str,
    client: &ClientInfo,
) -> Result<i64> {
    let m = Move {
        lot_id: use_.lot.id,
        item: &use_.item,
        kind: "issue",
        qty: -use_.amount,
        status: "posted",
        purpose,
        fefo_reason: "",
        witness: None,
        lot_status: None,
    };
    write(tx, principal, &m, None, client).await
}

/// Gives back (退还) part of what was issued from a lot; never more than was taken out of it
/// net of earlier returns. A controlled chemical needs two signatures.
#[allow(clippy::too_many_arguments)]
pub async fn give_back(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    lot_id: i64,
    amount: &str,
    purpose: &str,
    signatures: Option<&TwoPerson>,
    client: &ClientInfo,
) -> Result<Movement> {
    let mut errors = ValidationError::new();
    let amount = qty::parse_positive("qty", amount).map_err(|e| errors.push(e.field, e.rule, e.message)).ok();
    errors.length("purpose", purpose, 1, 200);
    errors.into_result()?;
    let Some(amount) = amount else { return Err(ValidationError::single("qty", "required", "quantity").into()) };
    let the_lot = lot(store, principal, lot_id, client).await?;
    let reach = reach(store, principal, the_lot.item_id, perm::INVENTORY_USE, client).await?;
    active(&the_lot)?;
    let out: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(-SUM(qty), 0) AS BIGINT) FROM inv_movements WHERE lot_id = $1 AND status = 'posted' \
         AND kind IN ('issue', 'return')",
    )
    .bind(lot_id)
    .fetch_one(store.pool())
    .await?;
    if amount > out {
        return Err(ValidationError::single(
            "qty",
            format!("range:0..{}", qty::format(out)),
            "more than was issued from this lot and not yet given back",
        )
        .into());
    }
    let target = format!("inv_lot:{lot_id} return");
    let signers = two_people(store, config, principal, &reach, signatures, &target, client).await?;
    let mut tx = store.begin().await?;
    let m = Move {
        lot_id,
        item: &reach.item,
        kind: "return",
        qty: amount,
        status: "posted",
        purpose,
        fefo_reason: "",
        witness: signers.as_ref().map(|(w, _)| w.username()),
        lot_status: None,
    };
    let id = write(&mut tx, principal, &m, signers.as_ref(), client).await?;
    tx.commit().await?;
    one_movement(store, id).await
}

/// Records a count (盘点) of a lot. A count that agrees changes nothing (`None`); one that
/// differs creates an adjustment of the difference that waits for approval and moves no stock
/// until then. One adjustment per lot waits at a time.
pub async fn count(
    store: &Store,
    principal: &Principal,
    lot_id: i64,
    counted: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<Option<Movement>> {
    let mut errors = ValidationError::new();
    let counted = qty::parse("counted", counted).map_err(|e| errors.push(e.field, e.rule, e.message)).ok();
    errors.length("reason", reason, 1, 200);
    errors.into_result()?;
    let Some(counted) = counted else { return Err(ValidationError::single("counted", "required", "count").into()) };
    let the_lot = lot(store, principal, lot_id, client).await?;
    let reach = reach(store, principal, the_lot.item_id, perm::INVENTORY_MANAGE, client).await?;
    active(&the_lot)?;
    if counted == the_lot.on_hand {
        let target = format!("inv_lot:{lot_id} count agrees");
        let event = audit::Event {
            detail: reason.trim(),
            ..audit::Event::by(principal, audit::action::INVENTORY_COUNT, &target, client)
        };
        audit::record_now(store, event).await?;
        return Ok(None);
    }
    let waiting: Option<i64> =
        sqlx::query_scalar("SELECT id FROM inv_movements WHERE lot_id = $1 AND status = 'pending'")
            .bind(lot_id)
            .fetch_optional(store.pool())
            .await?;
    if let Some(w) = waiting {
        return Err(InventoryError::AdjustmentWaiting { id: w });
    }
    let mut tx = store.begin().await?;
    let m = Move {
        lot_id,
        item: &reach.item,
        kind: "adjust",
        qty: counted - the_lot.on_hand,
        status: "pending",
        purpose: reason,
        fefo_reason: "",
        witness: None,
        lot_status: None,
    };
    let id = write(&mut tx, principal, &m, None, client).await?;
    tx.commit().await?;
    Ok(Some(one_movement(store, id).await?))
}

/// Whether the principal may decide adjustments in the stockroom at `org_path`.
pub fn may_approve(principal: &Principal, org_path: &str) -> bool {
    principal.reaches(perm::INVENTORY_APPROVE, org_path)
}

/// Approves or rejects a waiting adjustment (库存调整审批) with a note; the counter cannot
/// decide their own. An approved one moves the stock, unless it would go below zero (the
/// stock moved since the count: count again).
pub async fn decide(
    store: &Store,
    principal: &Principal,
    movement_id: i64,
    approve: bool,
    note: &str,
    client: &ClientInfo,
) -> Result<Movement> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 1, 200);
    errors.into_result()?;
    let m = movement(store, principal, movement_id, client).await?;
    let reach = reach(store, principal, m.item_id, perm::INVENTORY_READ, client).await?;
    if !may_approve(principal, &reach.path) {
        return Err(audit::deny(
            store,
            principal,
            perm::INVENTORY_APPROVE,
            &format!("inv_movement:{movement_id}"),
            client,
        )
        .await);
    }
    if m.status != "pending" {
        return Err(InventoryError::AdjustmentDecided { id: movement_id, status: m.status });
    }
    active(&lot(store, principal, m.lot_id, client).await?)?;
    if m.actor == principal.username() {
        return Err(ValidationError::single("note", "other_person", "someone other than the counter decides").into());
    }
    let status = if approve { "posted" } else { "rejected" };
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE inv_movements SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .bind(note.trim())
    .bind(movement_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(InventoryError::AdjustmentDecided { id: movement_id, status: "decided".into() });
    }
    let action = if approve { "approve" } else { "reject" };
    if approve {
        let reason = format!("盘点调整 {}：{}", qty::format(m.qty), note.trim());
        apply(&mut tx, principal, &reach.item, m.lot_id, m.qty, None, "adjust", &reason).await?;
    }
    version_movement(&mut tx, principal, movement_id, action, note.trim()).await?;
    let target = format!("inv_movement:{movement_id} {action}");
    let event = audit::Event {
        detail: note.trim(),
        ..audit::Event::by(principal, audit::action::INVENTORY_ADJUST, &target, client)
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    one_movement(store, movement_id).await
}

/// Disposes of (报废) what is left of a lot and closes it; a controlled chemical under two
/// signatures.
pub async fn dispose(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    lot_id: i64,
    reason: &str,
    signatures: Option<&TwoPerson>,
    client: &ClientInfo,
) -> Result<Movement> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason, 1, 200);
    errors.into_result()?;
    let the_lot = lot(store, principal, lot_id, client).await?;
    let reach = reach(store, principal, the_lot.item_id, perm::INVENTORY_MANAGE, client).await?;
    active(&the_lot)?;
    let target = format!("inv_lot:{lot_id} dispose");
    let signers = two_people(store, config, principal, &reach, signatures, &target, client).await?;
    let mut tx = store.begin().await?;
    let m = Move {
        lot_id,
        item: &reach.item,
        kind: "dispose",
        qty: -the_lot.on_hand,
        status: "posted",
        purpose: reason,
        fefo_reason: "",
        witness: signers.as_ref().map(|(w, _)| w.username()),
        lot_status: Some("disposed"),
    };
    let id = write(&mut tx, principal, &m, signers.as_ref(), client).await?;
    tx.commit().await?;
    one_movement(store, id).await
}

/// A lot's new place (移库).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Transfer {
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub cabinet: String,
    #[serde(default)]
    pub shelf: String,
    /// Why it moves.
    pub reason: String,
    /// Required for a controlled chemical (双人保管).
    #[serde(default)]
    pub signatures: Option<TwoPerson>,
}

/// Moves a lot to another room, cabinet or shelf (移库, `inventory.manage`): a movement of no
/// quantity that says from where to where, versioned with the lot's new place; a controlled
/// chemical under two signatures.
pub async fn transfer(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    lot_id: i64,
    to: &Transfer,
    client: &ClientInfo,
) -> Result<Movement> {
    let mut errors = ValidationError::new();
    errors.length("room", &to.room, 1, 100);
    errors.length("cabinet", &to.cabinet, 0, 100);
    errors.length("shelf", &to.shelf, 0, 100);
    errors.length("reason", &to.reason, 1, 200);
    errors.into_result()?;
    let the_lot = lot(store, principal, lot_id, client).await?;
    let reach = reach(store, principal, the_lot.item_id, perm::INVENTORY_MANAGE, client).await?;
    active(&the_lot)?;
    let place = |room: &str, cabinet: &str, shelf: &str| {
        [room, cabinet, shelf].iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" / ")
    };
    let from = place(&the_lot.room, &the_lot.cabinet, &the_lot.shelf);
    let next = place(&to.room, &to.cabinet, &to.shelf);
    if from == next {
        return Err(ValidationError::single("room", "same_place", "the lot is there already").into());
    }
    let target = format!("inv_lot:{lot_id} transfer");
    let signers = two_people(store, config, principal, &reach, to.signatures.as_ref(), &target, client).await?;
    let purpose =
        format!("由 {} 移至 {}：{}", if from.is_empty() { "未登记位置" } else { &from }, next, to.reason.trim());
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE inv_lots SET room = $1, cabinet = $2, shelf = $3 WHERE id = $4")
        .bind(to.room.trim())
        .bind(to.cabinet.trim())
        .bind(to.shelf.trim())
        .bind(lot_id)
        .execute(&mut *tx)
        .await?;
    let m = Move {
        lot_id,
        item: &reach.item,
        kind: "transfer",
        qty: 0,
        status: "posted",
        purpose: &purpose,
        fefo_reason: "",
        witness: signers.as_ref().map(|(w, _)| w.username()),
        lot_status: None,
    };
    let id = write(&mut tx, principal, &m, signers.as_ref(), client).await?;
    tx.commit().await?;
    one_movement(store, id).await
}

/// One line of the controlled-chemical usage log (管制化学品使用台账): what one person took
/// from one lot, what they gave back, and so what was used.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Usage {
    pub person: String,
    pub item_id: i64,
    pub item_name: String,
    /// 剧毒 / 易制毒 / 易制爆 code.
    pub control: String,
    pub lot_id: i64,
    pub lot_no: String,
    pub unit: String,
    /// Quantities in the item's unit, as text (e.g. `12.5`).
    pub issued: String,
    pub returned: String,
    pub used: String,
    #[schema(value_type = i64)]
    pub last_at: Timestamp,
}

/// The usage log of controlled chemicals in the principal's stockrooms (`inventory.read`),
/// per person and lot, from `from` (a China day number) on: issued against returned, the rest
/// used. Precursor records are kept for good (State Council Order 445 asks two years).
pub async fn usage_log(
    store: &Store,
    principal: &Principal,
    from: Option<i64>,
    client: &ClientInfo,
) -> Result<Vec<Usage>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::INVENTORY_READ, "inv_movements", client).await);
    };
    let since = from.map(|day| {
        let at = day * 86_400_000 - yaolian_core::time::CHINA_MS;
        format!(" AND m.at >= {}", p.push(at))
    });
    let sql = format!(
        "SELECT m.actor, i.id AS item_id, i.name_zh, i.control, l.id AS lot_id, l.lot_no, i.unit, \
         CAST(SUM(CASE WHEN m.kind = 'issue' THEN -m.qty ELSE 0 END) AS BIGINT) AS issued, \
         CAST(SUM(CASE WHEN m.kind = 'return' THEN m.qty ELSE 0 END) AS BIGINT) AS returned, \
         MAX(m.at) AS last_at \
         FROM inv_movements m JOIN inv_lots l ON l.id = m.lot_id JOIN inv_items i ON i.id = m.item_id \
         JOIN orgs o ON o.id = m.org_id \
         WHERE {scope} AND i.control <> '' AND m.status = 'posted' AND m.kind IN ('issue', 'return'){} \
         GROUP BY m.actor, i.id, i.name_zh, i.control, l.id, l.lot_no, i.unit \
         ORDER BY MAX(m.at) DESC LIMIT 2000",
        since.unwrap_or_default()
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (issued, returned): (i64, i64) = (r.try_get("issued")?, r.try_get("returned")?);
        out.push(Usage {
            person: r.try_get("actor")?,
            item_id: r.try_get("item_id")?,
            item_name: r.try_get("name_zh")?,
            control: r.try_get("control")?,
            lot_id: r.try_get("lot_id")?,
            lot_no: r.try_get("lot_no")?,
            unit: r.try_get("unit")?,
            issued: qty::format(issued),
            returned: qty::format(returned),
            used: qty::format(issued - returned),
            last_at: Timestamp(r.try_get("last_at")?),
        });
    }
    Ok(out)
}

/// The usage log as a table to export.
pub fn usage_table(lines: &[Usage]) -> audit::Table {
    let header = ["使用人", "物料", "管制类别", "批号", "领用", "退还", "使用", "单位", "最近一次"];
    audit::Table::new(
        "管制化学品使用台账",
        &header,
        lines.iter().map(|u| {
            vec![
                u.person.clone(),
                u.item_name.clone(),
                crate::items::CONTROLS.iter().find(|(c, _)| *c == u.control).map(|(_, l)| *l).unwrap_or("").to_string(),
                u.lot_no.clone(),
                u.issued.clone(),
                u.returned.clone(),
                u.used.clone(),
                u.unit.clone(),
                u.last_at.to_china_string(),
            ]
        }),
    )
}

/// What the principal may do in the stockroom of organization `org_id` — the same reach the
/// checks use — so that a page offers only those forms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offers {
    /// Issue and give back (`inventory.use`).
    pub issue: bool,
    /// Receive, count, dispose (`inventory.manage`).
    pub manage: bool,
    /// Decide adjustments (`inventory.approve`).
    pub approve: bool,
}

pub async fn offers(store: &Store, principal: &Principal, org_id: i64) -> Result<Offers> {
    let path = items::org_path(store, org_id).await?;
    Ok(Offers {
        issue: principal.reaches(perm::INVENTORY_USE, &path),
        manage: principal.reaches(perm::INVENTORY_MANAGE, &path),
        approve: may_approve(principal, &path),
    })
}

/// Refuses a lot that is closed (disposed of).
fn active(lot: &Lot) -> Result<()> {
    if lot.status != "active" {
        return Err(InventoryError::LotClosed { lot_no: lot.lot_no.clone() });
    }
    Ok(())
}

async fn one_movement(store: &Store, id: i64) -> Result<Movement> {
    movements_by_id(store, &[id]).await?.pop().ok_or(IdentityError::NotFound("movement").into())
}

async fn movements_by_id(store: &Store, ids: &[i64]) -> Result<Vec<Movement>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::new();
    let list: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let sql =
        format!("SELECT {MOVEMENT_COLUMNS} FROM {MOVEMENT_FROM} WHERE m.id IN ({}) ORDER BY m.id", list.join(", "));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(movement_from_row).collect::<std::result::Result<_, _>>()?)
}

/// One movement, if the principal may read its stockroom.
pub async fn movement(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Movement> {
    let m = one_movement(store, id).await?;
    items::get(store, principal, m.item_id, client).await?;
    Ok(m)
}

/// One lot, if the principal may read its stockroom (not found otherwise).
pub async fn lot(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Lot> {
    let row = sqlx::query(&format!("SELECT {LOT_COLUMNS} FROM {LOT_FROM} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("lot"))?;
    let the_lot = lot_from_row(&row, today())?;
    items::get(store, principal, the_lot.item_id, client).await.map_err(|e| match e {
        InventoryError::Shared(IdentityError::NotFound(_)) => IdentityError::NotFound("lot").into(),
        other => other,
    })?;
    Ok(the_lot)
}

/// A lot's movements, oldest first (its stock card, 库存卡).
pub async fn movements_of(
    store: &Store,
    principal: &Principal,
    lot_id: i64,
    client: &ClientInfo,
) -> Result<Vec<Movement>> {
    lot(store, principal, lot_id, client).await?;
    let rows =
        sqlx::query(&format!("SELECT {MOVEMENT_COLUMNS} FROM {MOVEMENT_FROM} WHERE m.lot_id = $1 ORDER BY m.id"))
            .bind(lot_id)
            .fetch_all(store.pool())
            .await?;
    Ok(rows.iter().map(movement_from_row).collect::<std::result::Result<_, _>>()?)
}

/// An item's lots, earliest expiry first (the order FEFO issues them in).
pub async fn lots_of(store: &Store, principal: &Principal, item_id: i64, client: &ClientInfo) -> Result<Vec<Lot>> {
    items::get(store, principal, item_id, client).await?;
    let rows = sqlx::query(&format!(
        "SELECT {LOT_COLUMNS} FROM {LOT_FROM} WHERE l.item_id = $1 ORDER BY l.expires_on, l.received_at, l.id"
    ))
    .bind(item_id)
    .fetch_all(store.pool())
    .await?;
    let today = today();
    Ok(rows.iter().map(|r| lot_from_row(r, today)).collect::<std::result::Result<_, _>>()?)
}

/// Lots a lab record may name (`inventory.use` in their stockroom): active, in stock, not
/// expired, not a controlled chemical — earliest expiry first, as FEFO would take them.
pub async fn usable_lots(store: &Store, principal: &Principal) -> Result<Vec<Lot>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_USE, &mut p) else {
        return Ok(Vec::new());
    };
    let today = today();
    let from = p.push(today);
    let sql = format!(
        "SELECT {LOT_COLUMNS} FROM {LOT_FROM} JOIN orgs o ON o.id = l.org_id WHERE {scope} AND l.expires_on >= {from} \
         AND l.on_hand > 0 AND l.status = 'active' AND i.control = '' ORDER BY l.expires_on, l.id LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(|r| lot_from_row(r, today)).collect::<std::result::Result<_, _>>()?)
}

/// Lots in stock that expire within `days` days (or have expired), earliest first, in the
/// principal's stockrooms: the expiry warning (近效期预警).
pub async fn expiring(store: &Store, principal: &Principal, days: i64, client: &ClientInfo) -> Result<Vec<Lot>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::INVENTORY_READ, "inv_lots", client).await);
    };
    let today = today();
    let until = p.push(today + days.clamp(0, 3650));
    let sql = format!(
        "SELECT {LOT_COLUMNS} FROM {LOT_FROM} JOIN orgs o ON o.id = l.org_id WHERE {scope} AND l.expires_on <= {until} \
         AND l.on_hand > 0 AND l.status = 'active' ORDER BY l.expires_on, l.id LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(|r| lot_from_row(r, today)).collect::<std::result::Result<_, _>>()?)
}

/// The 工作台's figures of the principal's stockrooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Lots in stock that expire within 30 days or have expired: what `/inventory/expiry?days=30`
    /// lists.
    pub expiring: i64,
    /// Adjustments awaiting a decision, for a principal who approves them.
    pub waiting: Option<i64>,
}

/// The [`Summary`], or `None` for a principal who reads no stockroom (nothing is audited: the
/// home page asks what to show).
pub async fn summary(store: &Store, principal: &Principal) -> Result<Option<Summary>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_READ, &mut p) else { return Ok(None) };
    let until = p.push(today() + 30);
    let sql = format!(
        "SELECT COUNT(*) FROM inv_lots l JOIN orgs o ON o.id = l.org_id WHERE {scope} AND l.expires_on <= {until} \
         AND l.on_hand > 0 AND l.status = 'active'"
    );
    let expiring: i64 = p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?.try_get(0)?;
    let mut p = Params::new();
    let waiting = match scope_filter(principal, perm::INVENTORY_APPROVE, &mut p) {
        None => None,
        Some(scope) => {
            let sql = format!(
                "SELECT COUNT(*) FROM inv_movements m JOIN orgs o ON o.id = m.org_id WHERE {scope} AND m.status = 'pending'"
            );
            Some(p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?.try_get(0)?)
        }
    };
    Ok(Some(Summary { expiring, waiting }))
}

/// Adjustments waiting for a decision in the stockrooms the principal approves for.
pub async fn pending(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Movement>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_APPROVE, &mut p) else {
        return Err(audit::deny(store, principal, perm::INVENTORY_APPROVE, "inv_movements", client).await);
    };
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM {MOVEMENT_FROM} JOIN orgs o ON o.id = m.org_id \
         WHERE {scope} AND m.status = 'pending' ORDER BY m.id LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(movement_from_row).collect::<std::result::Result<_, _>>()?)
}

/// A line of the waste report (过期报废统计): an expired lot and how much of it went unused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Waste {
    pub lot: Lot,
    /// What was left at expiry: still on hand plus what was disposed of after it expired.
    pub unused: i64,
}

/// Lots that expired in the principal's stockrooms with something left, latest expiry first:
/// what over-requisitioning and poor rotation cost.
pub async fn waste(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Waste>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::INVENTORY_READ, "inv_lots", client).await);
    };
    let today = today();
    let t = p.push(today);
    let start = p.push(yaolian_core::time::DAY_MS);
    let offset = p.push(yaolian_core::time::CHINA_MS);
    let sql = format!(
        "SELECT {LOT_COLUMNS}, CAST(l.on_hand + COALESCE((SELECT -SUM(d.qty) FROM inv_movements d \
         WHERE d.lot_id = l.id AND d.kind = 'dispose' AND d.status = 'posted' \
         AND d.at >= l.expires_on * {start} - {offset}), 0) AS BIGINT) AS unused \
         FROM {LOT_FROM} JOIN orgs o ON o.id = l.org_id WHERE {scope} AND l.expires_on < {t} \
         ORDER BY l.expires_on DESC, l.id LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in &rows {
        let unused: i64 = r.try_get("unused")?;
        if unused > 0 {
            out.push(Waste { lot: lot_from_row(r, today)?, unused });
        }
    }
    Ok(out)
}

/// Every lot and movement whose row differs from its latest ledgered version, and every lot
/// whose quantity on hand is not the sum of its posted movements.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let mut out = Vec::new();
    let lots =
        sqlx::query(&format!("SELECT {LOT_IMAGE_COLUMNS} FROM inv_lots ORDER BY id")).fetch_all(store.pool()).await?;
    let images = lots
        .iter()
        .map(|r| {
            Ok(yaolian_store::state::Image { entity_id: r.try_get::<i64, _>("id")?.to_string(), data: lot_image(r)? })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
    out.extend(yaolian_store::state::check(store, LOT_ENTITY, images).await?);
    let moves = sqlx::query(&format!("SELECT {MOVEMENT_IMAGE_COLUMNS} FROM inv_movements ORDER BY id"))
        .fetch_all(store.pool())
        .await?;
    let images = moves
        .iter()
        .map(|r| {
            Ok(yaolian_store::state::Image {
                entity_id: r.try_get::<i64, _>("id")?.to_string(),
                data: movement_image(r)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
    out.extend(yaolian_store::state::check(store, MOVEMENT_ENTITY, images).await?);
    let unequal = sqlx::query(
        "SELECT l.id, l.on_hand, CAST(COALESCE((SELECT SUM(m.qty) FROM inv_movements m WHERE m.lot_id = l.id \
         AND m.status = 'posted'), 0) AS BIGINT) AS summed FROM inv_lots l",
    )
    .fetch_all(store.pool())
    .await?;
    for r in &unequal {
        let (on_hand, summed): (i64, i64) = (r.try_get(1)?, r.try_get(2)?);
        if on_hand != summed {
            out.push(yaolian_store::state::Drift {
                entity: LOT_ENTITY.into(),
                entity_id: r.try_get::<i64, _>(0)?.to_string(),
                field: "on_hand (sum of movements)".into(),
                ledgered: summed.into(),
                current: on_hand.into(),
            });
        }
    }
    Ok(out)
}
