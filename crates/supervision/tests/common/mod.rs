//! What the supervision tests share: a user of a role, and a trace anomaly at a company's site.

#![allow(clippy::unwrap_used, dead_code)]

use yaolian_access::Principal;
use yaolian_identity::{auth, fixtures};
use yaolian_store::Store;
use yaolian_trace::sites::{self, Site};

/// A user of `role` in organization `org`, as a principal.
pub async fn user(store: &Store, org: i64, name: &str, role: &str) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, &[role]).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

/// A recalled pack sold at the company's pharmacy site, as the trace module records it.
pub async fn anomaly(store: &Store, company: i64) -> i64 {
    let site = Site {
        id: "urn:epc:id:sgln:6901234.00040.0".into(),
        name: "甲制药 门店".into(),
        kind: "pharmacy".into(),
        org_id: Some(company),
        province: "浙江".into(),
    };
    let keys = sites::upsert(store, &[site]).await.unwrap();
    let now = yaolian_core::Timestamp::now().0;
    sqlx::query(
        "INSERT INTO trace_anomalies (dedup, kind, epc, site, detail, event_time, detected_at, status) \
         VALUES ($1, 'sale_recalled', 'urn:nmpa:code:81000010000000011234', $2, 'recall R-2026-0001', $3, $3, 'open') \
         RETURNING id",
    )
    .bind(format!("sale_recalled:{now}"))
    .bind(&keys[0])
    .bind(now)
    .fetch_one(store.pool())
    .await
    .map(|r| sqlx::Row::try_get::<i64, _>(&r, 0).unwrap())
    .unwrap()
}
