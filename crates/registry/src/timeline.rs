//! The dossier timeline (档案时间轴): the one interface through which every module adds to a
//! company's (and, where it concerns one, a product's) dossier — a registration, a license
//! issued, an application decided, an inspection, a sampling result, a penalty, a trace anomaly.
//! Events are written inside the caller's transaction, so they exist exactly when the change
//! they describe does.

use crate::error::Result;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_core::Timestamp;
use yaolian_store::{Store, Tx};

/// An event to add.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub org_id: i64,
    pub product_id: Option<i64>,
    /// The module adding it: `registry`, `license`, `services`, `oversight`, `trace` …
    pub module: &'a str,
    /// What happened, e.g. `product_registered`.
    pub kind: &'a str,
    /// One line for people (zh-CN).
    pub title: &'a str,
    /// Where the details are, e.g. `/registry/products/3`.
    pub link: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub org_id: i64,
    pub product_id: Option<i64>,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub module: String,
    pub kind: String,
    pub title: String,
    pub link: String,
}

/// Adds an event inside the caller's transaction.
pub async fn add(tx: &mut Tx<'_>, e: &NewEvent<'_>) -> Result<i64> {
    let id = sqlx::query(
        "INSERT INTO dossier_events (org_id, product_id, at, module, kind, title, link) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.org_id)
    .bind(e.product_id)
    .bind(Timestamp::now().0)
    .bind(e.module)
    .bind(e.kind)
    .bind(e.title)
    .bind(e.link)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(id)
}

/// The newest events of a company (the caller has checked access), newest first.
pub(crate) async fn of_company(store: &Store, org_id: i64, limit: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, org_id, product_id, at, module, kind, title, link FROM dossier_events \
         WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(org_id)
    .bind(limit.clamp(1, 1000))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                product_id: r.try_get(2)?,
                at: Timestamp(r.try_get(3)?),
                module: r.try_get(4)?,
                kind: r.try_get(5)?,
                title: r.try_get(6)?,
                link: r.try_get(7)?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
