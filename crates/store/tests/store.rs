//! Store tests, run on SQLite and (when `YAOLIAN_TEST_PG` is set) PostgreSQL.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

use serde_json::json;
use yaolian_store::testing::each_backend;
use yaolian_store::{versions, NewVersion, Store, StoreError};

async fn write(
    store: &Store,
    id: &str,
    reason: &str,
    data: serde_json::Value,
    expected: Option<i64>,
) -> Result<i64, StoreError> {
    let mut tx = store.begin().await?;
    let v = versions::append(
        &mut tx,
        NewVersion {
            entity: "sample",
            entity_id: id,
            actor: "tester",
            action: "update",
            reason,
            data: &data,
            expected_version: expected,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(v.version)
}

#[tokio::test]
async fn versions_append_and_never_overwrite() {
    each_backend(|store| async move {
        store.ping().await.unwrap();
        assert_eq!(write(&store, "a", "", json!({"n": 1}), None).await.unwrap(), 1);
        assert_eq!(write(&store, "a", "fix typo", json!({"n": 2}), Some(1)).await.unwrap(), 2);
        assert_eq!(write(&store, "b", "", json!({"n": 9}), None).await.unwrap(), 1);
        let h = versions::history(store.pool(), "sample", "a").await.unwrap();
        assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(h[0].data, json!({"n": 1}), "first version is kept as written");
        assert_eq!(h[1].reason, "fix typo");
        assert_eq!(h[1].actor, "tester");
        assert!(h[1].at >= h[0].at);
    })
    .await;
}

#[tokio::test]
async fn change_without_reason_is_refused_and_writes_nothing() {
    each_backend(|store| async move {
        write(&store, "a", "", json!({"n": 1}), None).await.unwrap();
        let err = write(&store, "a", "   ", json!({"n": 2}), None).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { ref field, ref rule, .. } if field == "reason" && rule == "required"),
            "{err:?}"
        );
        assert_eq!(versions::history(store.pool(), "sample", "a").await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn stale_version_is_a_conflict() {
    each_backend(|store| async move {
        write(&store, "a", "", json!({"n": 1}), None).await.unwrap();
        write(&store, "a", "second", json!({"n": 2}), Some(1)).await.unwrap();
        let err = write(&store, "a", "third from stale form", json!({"n": 3}), Some(1)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn rolled_back_transaction_leaves_no_version() {
    each_backend(|store| async move {
        let data = json!({"n": 1});
        let mut tx = store.begin().await.unwrap();
        versions::append(
            &mut tx,
            NewVersion {
                entity: "sample",
                entity_id: "r",
                actor: "t",
                action: "create",
                reason: "",
                data: &data,
                expected_version: None,
            },
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        assert!(versions::history(store.pool(), "sample", "r").await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn migrate_twice_is_a_no_op() {
    each_backend(|store| async move {
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
    })
    .await;
}

#[test]
fn unsupported_url_is_refused_without_leaking_password() {
    let err = yaolian_store::Backend::from_url("mysql://u:secret@h/db").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("mysql://u:***@h/db"), "{msg}");
    assert!(!msg.contains("secret"));
}

#[tokio::test]
async fn a_list_counts_its_rows_up_to_the_cap() {
    use yaolian_store::sql::{page, Params, COUNT_CAP};
    each_backend(|store| async move {
        sqlx::query("CREATE TABLE counted (n BIGINT NOT NULL)").execute(store.pool()).await.unwrap();
        let rows = COUNT_CAP + 50;
        let fill = format!(
            "INSERT INTO counted (n) WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows}) \
             SELECT n FROM seq"
        );
        sqlx::query(&fill).execute(store.pool()).await.unwrap();
        // Past the cap: COUNT_CAP + 1, read as "more than"; the page itself is as asked.
        let mut p = Params::new();
        let (page_rows, total) =
            page(store.pool(), &mut p, "c.n", "counted c", "1 = 1", "c.n DESC", 3, 0).await.unwrap();
        assert_eq!(total, COUNT_CAP + 1);
        let first: Vec<i64> = page_rows.iter().map(|r| sqlx::Row::try_get(r, 0).unwrap()).collect();
        assert_eq!(first, vec![rows, rows - 1, rows - 2]);
        // Within it: exact.
        let mut p = Params::new();
        let limit = p.push(COUNT_CAP);
        let filter = format!("c.n <= {limit}");
        let (_, total) = page(store.pool(), &mut p, "c.n", "counted c", &filter, "c.n", 3, 0).await.unwrap();
        assert_eq!(total, COUNT_CAP);
    })
    .await;
}

/// On PostgreSQL the write path's lookup of the latest versions probes the primary key by entity
/// and id (a backward index scan per id) however many versions the entity kind holds. The
/// earlier `entity_id IN (SELECT jsonb_array_elements_text(…))` was planned, once the statistics
/// knew of a few thousand versions, as a hash join over every version of the kind — each write
/// read them all, and seeding a province slowed to a crawl as they grew.
#[tokio::test]
async fn latest_versions_probe_the_primary_key_on_postgres() {
    use sqlx::Row;
    let Some(admin) = yaolian_store::testing::postgres_url() else { return };
    let db = yaolian_store::testing::TestDb::postgres(&admin).await;
    let ids: Vec<String> = (0..3_000).map(|i| i.to_string()).collect();
    let data = json!({ "n": 1 });
    let changes: Vec<NewVersion> = ids
        .iter()
        .map(|id| NewVersion {
            entity: "thing",
            entity_id: id,
            actor: "t",
            action: "create",
            reason: "r",
            data: &data,
            expected_version: None,
        })
        .collect();
    let mut tx = db.store.begin().await.unwrap();
    versions::append_many(&mut tx, &changes).await.unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE record_versions").execute(db.store.pool()).await.unwrap();
    let mut tx = db.store.begin().await.unwrap();
    // The plan, then the answer, of the same statement with the same ids (one held twice).
    let latest = yaolian_store::exec::LATEST_POSTGRES;
    let mut answers = Vec::new();
    for sql in [format!("EXPLAIN {latest}"), latest.to_string()] {
        answers.push(
            sqlx::query(&sql).bind("thing").bind(r#"["1", "3", "3", "9999"]"#).fetch_all(&mut *tx).await.unwrap(),
        );
    }
    let plan = answers[0].iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>().join("\n");
    assert!(
        plan.lines().any(|l| l.contains("Index Cond") && l.contains("entity_id")),
        "the primary key is probed by id:\n{plan}"
    );
    let mut found: Vec<(String, i64)> = answers[1].iter().map(|r| (r.get(0), r.get(1))).collect();
    found.sort();
    assert_eq!(found, vec![("1".to_string(), 1), ("3".to_string(), 1)], "one row per id held, none for 9999");
    drop(tx);
    db.finish().await;
}
