//! Trace sites (追溯场所): the places where codes are handled — a plant, a warehouse, a
//! hospital pharmacy, a retail store — keyed as EPCIS locations are, each belonging to a
//! company of the registry.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::sql::{insert_rows, Value};
use yaolian_store::Store;

use crate::codes::epc;
use crate::TraceError;

pub const KINDS: &[(&str, &str)] = &[
    ("manufacturer", "生产企业"),
    ("distributor", "经营企业"),
    ("hospital", "医疗机构"),
    ("pharmacy", "零售药店"),
    ("other", "其他"),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Site {
    /// The location as sent in events (SGLN URN, Digital Link or another URI); stored by key.
    pub id: String,
    pub name: String,
    pub kind: String,
    pub org_id: Option<i64>,
    #[serde(default)]
    pub province: String,
}

/// Registers sites (or renames them), all or none. A site registered again keeps what the new
/// registration leaves out: its company (`org_id` absent) and its province (empty).
pub async fn upsert(store: &Store, sites: &[Site]) -> Result<Vec<String>, TraceError> {
    write(store, sites, OnConflict::Update).await
}

/// Registers the sites not registered yet and leaves the others as they are (generated data
/// never rewrites a real site).
pub async fn insert_missing(store: &Store, sites: &[Site]) -> Result<Vec<String>, TraceError> {
    write(store, sites, OnConflict::Keep).await
}

enum OnConflict {
    Update,
    Keep,
}

async fn write(store: &Store, sites: &[Site], on_conflict: OnConflict) -> Result<Vec<String>, TraceError> {
    let mut errors = ValidationError::new();
    let mut values = Vec::with_capacity(sites.len() * 5);
    let mut keys = Vec::with_capacity(sites.len());
    let today = Timestamp::now().china_date();
    for (i, s) in sites.iter().enumerate() {
        let key = match epc::key(&s.id, today) {
            Ok(k) => k,
            Err(e) => {
                errors.push(format!("sites[{i}].id"), e.rule, e.to_string());
                continue;
            }
        };
        if s.name.trim().is_empty() {
            errors.push(format!("sites[{i}].name"), "required", "a site has a name");
        }
        if !KINDS.iter().any(|(k, _)| *k == s.kind) {
            errors.push(
                format!("sites[{i}].kind"),
                "one_of:manufacturer,distributor,hospital,pharmacy,other",
                "unknown site kind",
            );
        }
        values.extend([
            Value::Text(key.clone()),
            Value::Text(s.name.trim().into()),
            Value::Text(s.kind.clone()),
            s.org_id.into(),
            Value::Text(s.province.trim().into()),
        ]);
        keys.push(key);
    }
    errors.into_result()?;
    let mut tx = store.begin().await?;
    insert_rows(
        &mut tx,
        "INSERT INTO trace_sites (id, name, kind, org_id, province)",
        match on_conflict {
            OnConflict::Update => {
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 org_id = COALESCE(excluded.org_id, trace_sites.org_id), \
                 province = CASE WHEN excluded.province = '' THEN trace_sites.province ELSE excluded.province END"
            }
            OnConflict::Keep => "ON CONFLICT (id) DO NOTHING",
        },
        5,
        values,
    )
    .await?;
    tx.commit().await?;
    Ok(keys)
}

/// The sites of organizations whose path starts with `org_path` (a company and its sites).
pub async fn keys_under(store: &Store, org_path: &str) -> Result<Vec<String>, TraceError> {
    // A range over the unique index of `path` (`LIKE` reads every organization).
    let (lo, hi) = yaolian_store::sql::prefix_range(org_path);
    let rows =
        sqlx::query("SELECT s.id FROM trace_sites s JOIN orgs o ON o.id = s.org_id WHERE o.path >= $1 AND o.path < $2")
            .bind(lo)
            .bind(hi)
            .fetch_all(store.pool())
            .await?;
    Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
}

/// The names of the sites `keys` (`/414/…`) that are registered.
pub async fn names(store: &Store, keys: &[String]) -> Result<std::collections::HashMap<String, String>, TraceError> {
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let mut p = yaolian_store::sql::Params::new();
    let list: Vec<String> = keys.iter().map(|k| p.push(k.as_str())).collect();
    let sql = format!("SELECT id, name FROM trace_sites WHERE id IN ({})", list.join(","));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?)
}

/// All sites, by name.
pub async fn list(store: &Store) -> Result<Vec<Site>, TraceError> {
    let rows = sqlx::query("SELECT id, name, kind, org_id, province FROM trace_sites ORDER BY kind, name")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Site {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                kind: r.try_get(2)?,
                org_id: r.try_get(3)?,
                province: r.try_get(4)?,
            })
        })
        .collect()
}

/// Registers sites as `principal`, audited: a bureau that [`may_manage`](crate::access::may_manage)
/// its own area and every company the registration touches — the company it names for a site and
/// the company a site registered already belongs to (so no bureau moves another area's site into
/// its own). A site of no company is any bureau's with `trace.manage` to register.
pub async fn register(
    store: &Store,
    principal: &yaolian_access::Principal,
    list: &[Site],
    client: &yaolian_access::ClientInfo,
) -> Result<Vec<String>, TraceError> {
    use yaolian_access::perm;
    use yaolian_audit as audit;
    let allowed = |path: &str| crate::access::may_manage(principal, path);
    // A bureau in its own area first, so that no one else learns which companies exist.
    if !allowed(principal.org_path()) || !owner_paths(store, list).await?.iter().all(|path| allowed(path)) {
        return Err(audit::deny(store, principal, perm::TRACE_MANAGE, "trace_sites", client).await);
    }
    let keys = upsert(store, list).await?;
    let detail = format!("{} sites", keys.len());
    audit::record_now(
        store,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, audit::action::TRACE_SITE, "trace_sites", client)
        },
    )
    .await?;
    Ok(keys)
}

/// The organization paths of the companies `list` touches: those it names, and those the
/// already registered sites among it belong to; naming an organization that does not exist is a
/// validation error.
async fn owner_paths(store: &Store, list: &[Site]) -> Result<Vec<String>, TraceError> {
    let today = Timestamp::now().china_date();
    let mut paths = std::collections::BTreeSet::new();
    let mut orgs = std::collections::BTreeSet::new();
    for s in list {
        orgs.extend(s.org_id);
        // An invalid id is refused by the write; nothing of the list is stored then.
        if let Ok(key) = epc::key(&s.id, today) {
            let row = sqlx::query("SELECT o.path FROM trace_sites s JOIN orgs o ON o.id = s.org_id WHERE s.id = $1")
                .bind(&key)
                .fetch_optional(store.pool())
                .await?;
            if let Some(r) = row {
                paths.insert(r.try_get::<String, _>(0)?);
            }
        }
    }
    for org in orgs {
        let row = sqlx::query("SELECT path FROM orgs WHERE id = $1").bind(org).fetch_optional(store.pool()).await?;
        let Some(row) = row else {
            let message = format!("no organization has id {org}");
            return Err(ValidationError::single("org_id", "exists", message).into());
        };
        paths.insert(row.try_get(0)?);
    }
    Ok(paths.into_iter().collect())
}
