//! Corrective and preventive actions (CAPA, 纠正措施和预防措施): open (from a deviation or on
//! their own) → actions done with evidence → closed by QA under a signature, which schedules
//! the effectiveness check → effective, or reopened by a failed check for new actions (ICH Q10
//! §3.2.2; China GMP §253(4): 评估纠正和预防措施的合理性、有效性和充分性).
//!
//! Who may do what, in the organization's scope: `quality.read` reads; `quality.report` marks an
//! action done with its evidence; `quality.manage` (QA) opens, adds actions, closes and checks
//! effectiveness. Every change is a version of `qa_capa`.

use crate::deviations::{self, org_path};
use crate::error::{QualityError, Result};
use crate::{day_of, today, QualityConfig};
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
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

/// The versioned-record entity of CAPAs.
pub const ENTITY: &str = "qa_capa";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("open", "实施中"),
    ("closed", "已关闭，待有效性检查"),
    ("effective", "有效，已完成"),
    ("reopened", "有效性检查未通过，重新实施"),
];

/// An action as requested.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewAction {
    pub description: String,
    /// Who carries it out (负责人).
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: String,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Action {
    pub description: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// YYYY-MM-DD, when done.
    pub done_on: Option<String>,
    /// What shows it was done (完成证据).
    pub evidence: String,
}

/// A CAPA to open.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewCapa {
    pub org_id: i64,
    /// The deviation it answers, if any.
    #[serde(default)]
    pub deviation_id: Option<i64>,
    pub title: String,
    pub actions: Vec<NewAction>,
}

/// A CAPA as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Capa {
    pub id: i64,
    pub org_id: i64,
    pub deviation_id: Option<i64>,
    pub number: String,
    pub title: String,
    pub actions: Vec<Action>,
    pub status: String,
    pub owner: String,
    /// YYYY-MM-DD: when the effectiveness check is due (after closure).
    pub effectiveness_due_on: Option<String>,
    pub effectiveness_note: String,
    /// How often a failed effectiveness check reopened it.
    pub reopened: i64,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "c.id, c.org_id, c.deviation_id, c.number, c.title, c.actions, c.status, c.owner, \
     c.effectiveness_due_on, c.effectiveness_note, c.reopened, c.version, c.updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Capa, sqlx::Error> {
    let actions: String = r.try_get("actions")?;
    let due: Option<i64> = r.try_get("effectiveness_due_on")?;
    Ok(Capa {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        deviation_id: r.try_get("deviation_id")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        actions: serde_json::from_str(&actions).unwrap_or_default(),
        status: r.try_get("status")?,
        owner: r.try_get("owner")?,
        effectiveness_due_on: due.map(day_text),
        effectiveness_note: r.try_get("effectiveness_note")?,
        reopened: r.try_get("reopened")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

fn image(c: &Capa) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "org_id": c.org_id,
        "deviation_id": c.deviation_id,
        "number": c.number,
        "title": c.title,
        "actions": c.actions,
        "status": c.status,
        "owner": c.owner,
        "effectiveness_due_on": c.effectiveness_due_on,
        "effectiveness_note": c.effectiveness_note,
        "reopened": c.reopened,
    })
}

/// Every CAPA whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM qa_capas c ORDER BY c.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: c.id.to_string(), data: image(&c) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM qa_capas c WHERE c.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let c = from_row(&row)?;
    let step = crate::Step {
        entity: ENTITY,
        id,
        version: c.version,
        data: image(&c),
        action,
        reason,
        audit: audit::action::QUALITY_CAPA,
        target: format!("qa_capa:{id} {} {action}", c.number),
    };
    crate::record_step(tx, principal, step, client).await
}

/// The actions checked, named `{field}[i]` in refusals.
pub(crate) fn actions_of(news: &[NewAction], errors: &mut ValidationError, field: &str) -> Vec<Action> {
    if news.is_empty() || news.len() > 50 {
        errors.push(field, "range:1..50", "one to fifty actions");
    }
    let mut out = Vec::new();
    for (i, a) in news.iter().enumerate().take(50) {
        errors.length(&format!("{field}[{i}].description"), &a.description, 1, 1000);
        errors.length(&format!("{field}[{i}].owner"), &a.owner, 1, 100);
        let due = day_of(errors, &format!("{field}[{i}].due_on"), &a.due_on);
        out.push(Action {
            description: a.description.trim().to_string(),
            owner: a.owner.trim().to_string(),
            due_on: due.map(day_text).unwrap_or_default(),
            done_on: None,
            evidence: String::new(),
        });
    }
    out
}

fn json(actions: &[Action]) -> String {
    serde_json::to_string(actions).unwrap_or_else(|_| "[]".into())
}

/// Opens a CAPA (QA), linked to its deviation when one is named (the deviation's new version
/// says so, in the same transaction).
pub async fn open(store: &Store, principal: &Principal, new: &NewCapa, client: &ClientInfo) -> Result<Capa> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    let actions = actions_of(&new.actions, &mut errors, "actions");
    errors.into_result()?;
    let path = org_path(store, new.org_id).await?;
    if !principal.reaches(perm::QUALITY_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::QUALITY_MANAGE, "qa_capas", client).await);
    }
    if let Some(dev) = new.deviation_id {
        let d = deviations::get(store, principal, dev, client).await?;
        if d.org_id != new.org_id {
            return Err(
                ValidationError::single("deviation_id", "exists", "the deviation is of another organization").into()
            );
        }
        if d.capa_id.is_some() || d.status == "closed" {
            return Err(QualityError::WrongState {
                what: format!("deviation {}", d.number),
                status: d.status,
                action: "link a CAPA",
            });
        }
    }
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO qa_capas (org_id, deviation_id, number, title, actions, status, owner, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, 1, $7) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.deviation_id)
    .bind(&provisional)
    .bind(new.title.trim())
    .bind(json(&actions))
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let number = format!("CAPA-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE qa_capas SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut *tx).await?;
    save(&mut tx, principal, id, "open", "", client).await?;
    if let Some(dev) = new.deviation_id {
        deviations::link_capa(&mut tx, principal, dev, id, &number, client).await?;
    }
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn reach(store: &Store, principal: &Principal, id: i64, permission: &str, client: &ClientInfo) -> Result<Capa> {
    let c = get(store, principal, id, client).await?;
    let path = org_path(store, c.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("qa_capa:{id}"), client).await);
    }
    Ok(c)
}

fn wrong_state(c: &Capa, action: &'static str) -> QualityError {
    QualityError::WrongState { what: format!("CAPA {}", c.number), status: c.status.clone(), action }
}

fn in_work(c: &Capa) -> bool {
    c.status == "open" || c.status == "reopened"
}

/// Writes the CAPA's new state inside `tx` (refused when someone changed it meanwhile) and
/// versions it.
#[allow(clippy::too_many_arguments)]
async fn write_actions(
    tx: &mut Tx<'_>,
    principal: &Principal,
    c: &Capa,
    actions: &[Action],
    status: &str,
    step: &str,
    reason: &str,
    extra: Option<(Option<i64>, &str, i64)>,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let (due, note, reopened) = extra.unwrap_or((None, c.effectiveness_note.as_str(), c.reopened));
    let due = due.or_else(|| {
        c.effectiveness_due_on
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(yaolian_core::time::day_number)
    });
    let done = sqlx::query(
        "UPDATE qa_capas SET actions = $1, status = $2, effectiveness_due_on = $3, effectiveness_note = $4, \
         reopened = $5, version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
    )
    .bind(json(actions))
    .bind(status)
    .bind(due)
    .bind(note)
    .bind(reopened)
    .bind(Timestamp::now().0)
    .bind(c.id)
    .bind(c.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("CAPA {} changed meanwhile; reload", c.number)).into());
    }
    save(tx, principal, c.id, step, reason, client).await
}

/// Marks action `index` (from 0) done with its evidence (`quality.report`).
pub async fn complete_action(
    store: &Store,
    principal: &Principal,
    id: i64,
    index: usize,
    evidence: &str,
    client: &ClientInfo,
) -> Result<Capa> {
    let mut errors = ValidationError::new();
    errors.length("evidence", evidence, 1, 2000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_REPORT, client).await?;
    if !in_work(&c) {
        return Err(wrong_state(&c, "complete an action"));
    }
    let mut actions = c.actions.clone();
    let Some(a) = actions.get_mut(index) else {
        return Err(ValidationError::single("index", "exists", "no such action").into());
    };
    if a.done_on.is_some() {
        return Err(ValidationError::single("index", "done", "the action is done already").into());
    }
    a.done_on = Some(day_text(today()));
    a.evidence = evidence.trim().to_string();
    let reason = format!("措施 {} 完成", index + 1);
    let mut tx = store.begin().await?;
    write_actions(&mut tx, principal, &c, &actions, &c.status, "action_done", &reason, None, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Adds actions to a CAPA in work (QA), e.g. after a failed effectiveness check.
pub async fn add_actions(
    store: &Store,
    principal: &Principal,
    id: i64,
    news: &[NewAction],
    reason: &str,
    client: &ClientInfo,
) -> Result<Capa> {
    let mut errors = ValidationError::new();
    let added = actions_of(news, &mut errors, "actions");
    errors.length("reason", reason, 1, 500);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if !in_work(&c) {
        return Err(wrong_state(&c, "add actions"));
    }
    let mut actions = c.actions.clone();
    actions.extend(added);
    let mut tx = store.begin().await?;
    write_actions(&mut tx, principal, &c, &actions, &c.status, "add_actions", reason.trim(), None, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// QA closes a CAPA whose actions are all done, under an electronic signature (`approve`); the
/// effectiveness check falls due `effectiveness_days` later.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    store: &Store,
    cfg: &QualityConfig,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    note: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Capa> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 1, 1000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if !in_work(&c) {
        return Err(wrong_state(&c, "close"));
    }
    let open = c.actions.iter().filter(|a| a.done_on.is_none()).count();
    if open > 0 {
        return Err(QualityError::ActionsOpen { open });
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_capa:{id} close"), client).await?;
    let due = Some(today() + cfg.effectiveness_days);
    let extra = Some((due, c.effectiveness_note.as_str(), c.reopened));
    let mut tx = store.begin().await?;
    let written =
        write_actions(&mut tx, principal, &c, &c.actions, "closed", "close", note.trim(), extra, client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// QA records the effectiveness check of a closed CAPA under a signature: effective ends it;
/// not effective reopens it (重新打开) for new actions, and counts the reopening.
#[allow(clippy::too_many_arguments)]
pub async fn check_effectiveness(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    effective: bool,
    note: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Capa> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 1, 1000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if c.status != "closed" {
        return Err(wrong_state(&c, "check effectiveness"));
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_capa:{id} effectiveness"), client)
        .await?;
    let (status, step, reopened) =
        if effective { ("effective", "effective", c.reopened) } else { ("reopened", "reopen", c.reopened + 1) };
    let extra = Some((None, note.trim(), reopened));
    let mut tx = store.begin().await?;
    let written = write_actions(&mut tx, principal, &c, &c.actions, status, step, note.trim(), extra, client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One CAPA, if the principal may read it (not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Capa> {
    let sql =
        format!("SELECT {COLUMNS}, o.path AS org_path FROM qa_capas c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1");
    Ok(from_row(&crate::readable_row(store, principal, &sql, id, (ENTITY, "capa"), client).await?)?)
}

/// CAPAs the principal may read, newest first; `status` one of [`STATUSES`]' codes.
pub async fn list(
    store: &Store,
    principal: &Principal,
    status: Option<&str>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Capa>, i64)> {
    let narrow = |p: &mut Params| {
        status.filter(|s| STATUSES.iter().any(|(c, _)| c == s)).map(|s| format!("c.status = {}", p.push(s)))
    };
    let shape = (COLUMNS, "qa_capas c JOIN orgs o ON o.id = c.org_id", "c.updated_at DESC, c.id DESC");
    let (rows, total) =
        crate::readable_page(store, principal, "qa_capas", shape, narrow, limit, offset, client).await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}

/// CAPAs per organization unit (部门) the principal may read, name first, with how many of them
/// a failed effectiveness check reopened (the problem came back: recurrence), most first.
pub async fn by_department(
    store: &Store,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Vec<(String, i64, i64)>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::QUALITY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::QUALITY_READ, "qa_capas", client).await);
    };
    let sql = format!(
        "SELECT o.name, COUNT(*) AS n, CAST(SUM(CASE WHEN c.reopened > 0 THEN 1 ELSE 0 END) AS BIGINT) AS back \
         FROM qa_capas c JOIN orgs o ON o.id = c.org_id WHERE {scope} GROUP BY o.name ORDER BY n DESC, o.name LIMIT 20"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(2)?));
    }
    Ok(out)
}
