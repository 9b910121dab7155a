//! Ledger storage on SQLite and PostgreSQL: every record version is a ledger entry; roots and
//! proofs from the stored tree agree with an in-memory model; tampering behind the
//! application's back is caught by `verify` and named.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

use serde_json::json;
use yaolian_ledger::merkle::{self, MemoryTree};
use yaolian_ledger::HashAlg;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, versions, NewVersion, Store};

/// Writes versions of records a, b, c …: `n` versions in all.
async fn fill(store: &Store, n: usize) {
    for i in 0..n {
        let id = ["a", "b", "c", "d"][i % 4];
        let data = json!({"n": i, "name": format!("记录{i}"), "price": 1.5});
        let mut tx = store.begin().await.unwrap();
        versions::append(
            &mut tx,
            NewVersion {
                entity: "sample",
                entity_id: id,
                actor: "tester",
                action: "update",
                reason: "测试",
                data: &data,
                expected_version: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn model(store: &Store) -> MemoryTree {
    let (alg, size) = ledger::head(store.pool()).await.unwrap();
    let mut t = MemoryTree::new(alg);
    for i in 0..size {
        t.push_hash(ledger::entry(store, i).await.unwrap().leaf_hash(alg));
    }
    t
}

async fn failure(store: &Store) -> ledger::VerifyFailure {
    ledger::verify(store).await.unwrap().unwrap_err()
}

#[tokio::test]
async fn stored_tree_answers_like_the_model() {
    each_backend(|store| async move {
        fill(&store, 37).await;
        let summary = ledger::verify(&store).await.unwrap().unwrap();
        assert_eq!(summary.entries, 37);
        assert_eq!(summary.hash_alg, "sm3");
        let t = model(&store).await;
        assert_eq!(summary.root, t.root());
        for size in [1, 2, 7, 8, 16, 37] {
            assert_eq!(ledger::root(&store, size).await.unwrap(), t.root_at(size).unwrap(), "root {size}");
        }
        for (index, size) in [(0, 37), (36, 37), (5, 8), (17, 20)] {
            let proof = ledger::inclusion_proof(&store, index, size).await.unwrap();
            let leaf = ledger::entry(&store, index).await.unwrap().leaf_hash(HashAlg::Sm3);
            assert!(merkle::verify_inclusion(HashAlg::Sm3, index, size, &leaf, &proof, &t.root_at(size).unwrap()));
        }
        for (first, second) in [(1, 37), (8, 37), (20, 21), (37, 37)] {
            let proof = ledger::consistency_proof(&store, first, second).await.unwrap();
            assert!(merkle::verify_consistency(
                HashAlg::Sm3,
                first,
                second,
                &t.root_at(first).unwrap(),
                &t.root_at(second).unwrap(),
                &proof
            ));
        }
        // Questions beyond the log are refused with the field named.
        let err = ledger::inclusion_proof(&store, 3, 38).await.unwrap_err();
        assert!(err.to_string().contains("tree_size"), "{err}");
        // Every version of a record is an entry of the ledger.
        let history = versions::history(store.pool(), "sample", "b").await.unwrap();
        let entries = ledger::entries_of(&store, "sample", "b").await.unwrap();
        assert_eq!(history.len(), entries.len());
        assert_eq!(
            entries.iter().map(|e| e.version).collect::<Vec<_>>(),
            (1..=history.len() as i64).collect::<Vec<_>>()
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_transaction_leaves_neither_version_nor_entry() {
    each_backend(|store| async move {
        fill(&store, 3).await;
        let data = json!({"x": 1});
        let mut tx = store.begin().await.unwrap();
        versions::append(
            &mut tx,
            NewVersion {
                entity: "sample",
                entity_id: "z",
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
        // A change without a reason fails and leaves nothing either.
        let mut tx = store.begin().await.unwrap();
        assert!(versions::append(
            &mut tx,
            NewVersion {
                entity: "sample",
                entity_id: "a",
                actor: "t",
                action: "update",
                reason: "",
                data: &data,
                expected_version: None
            },
        )
        .await
        .is_err());
        drop(tx);
        assert_eq!(ledger::head(store.pool()).await.unwrap().1, 3);
        assert!(versions::history(store.pool(), "sample", "z").await.unwrap().is_empty());
        assert_eq!(ledger::verify(&store).await.unwrap().unwrap().entries, 3);
    })
    .await;
}

#[tokio::test]
async fn changed_record_data_is_named() {
    each_backend(|store| async move {
        fill(&store, 10).await;
        // Entry 5 is the second version of record b.
        sqlx::query("UPDATE record_versions SET data = $1 WHERE entity = 'sample' AND entity_id = 'b' AND version = 2")
            .bind(r#"{"n":999}"#)
            .execute(store.pool())
            .await
            .unwrap();
        let f = failure(&store).await;
        assert_eq!((f.index, f.entity.as_str(), f.id.as_str()), (5, "sample", "b"), "{f}");
        assert!(f.problem.contains("content"), "{f}");
    })
    .await;
}

#[tokio::test]
async fn deleted_middle_entry_is_named() {
    each_backend(|store| async move {
        fill(&store, 10).await;
        sqlx::query("DELETE FROM ledger_entries WHERE idx = 4").execute(store.pool()).await.unwrap();
        let f = failure(&store).await;
        assert_eq!(f.index, 4, "{f}");
        assert!(f.problem.contains("missing"), "{f}");
    })
    .await;
}

#[tokio::test]
async fn reordered_entries_are_named() {
    each_backend(|store| async move {
        fill(&store, 10).await;
        for (from, to) in [(2, -1), (3, 2), (-1, 3)] {
            sqlx::query("UPDATE ledger_entries SET idx = $1 WHERE idx = $2")
                .bind(to)
                .bind(from)
                .execute(store.pool())
                .await
                .unwrap();
        }
        let f = failure(&store).await;
        assert_eq!(f.index, 2, "{f}");
        assert_eq!((f.entity.as_str(), f.id.as_str()), ("sample", "d"), "the entry now at 2 came from 3: {f}");
    })
    .await;
}

#[tokio::test]
async fn truncation_is_caught_against_the_last_checkpoint() {
    each_backend(|store| async move {
        fill(&store, 10).await;
        let (key_id, key) = ledger::site_key(&store, &[1u8; 16]).await.unwrap();
        let cp = ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        assert_eq!(cp.head.tree_size, 10);
        assert_eq!(ledger::verify(&store).await.unwrap().unwrap().checkpoints, 1);
        // Cut the log back to 6 entries, consistently, as an insider would.
        sqlx::query("DELETE FROM ledger_entries WHERE idx >= 6").execute(store.pool()).await.unwrap();
        sqlx::query("DELETE FROM ledger_nodes WHERE (idx + 1) * (CAST(1 AS BIGINT) << CAST(level AS INTEGER)) > 6")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE ledger_head SET size = 6").execute(store.pool()).await.unwrap();
        let f = failure(&store).await;
        assert!(f.problem.contains("truncated"), "{f}");
        assert_eq!(f.index, 6, "{f}");
    })
    .await;
}

#[tokio::test]
async fn hash_function_is_fixed_once_entries_exist() {
    each_backend(|store| async move {
        ledger::set_hash_alg(&store, HashAlg::Sha256).await.unwrap();
        fill(&store, 3).await;
        let t = model(&store).await;
        assert_eq!(ledger::verify(&store).await.unwrap().unwrap().root, t.root());
        assert!(ledger::set_hash_alg(&store, HashAlg::Sm3).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn checkpoints_are_signed_by_the_site_key_and_forgeries_are_named() {
    each_backend(|store| async move {
        fill(&store, 5).await;
        let sealing = [9u8; 16];
        let (key_id, key) = ledger::site_key(&store, &sealing).await.unwrap();
        // The same key comes back sealed from the store; a wrong sealing key cannot open it.
        assert_eq!(ledger::site_key(&store, &sealing).await.unwrap().0, key_id);
        assert!(ledger::site_key(&store, &[0u8; 16]).await.is_err());
        let cp = ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        let pem = ledger::public_key(&store, &key_id).await.unwrap();
        assert_eq!(yaolian_ledger::sign::verify(&pem, &cp.head.message(), &cp.signature), Ok(true));
        assert_eq!(cp.head.root_hash, ledger::root(&store, 5).await.unwrap());
        // No new entries: the same checkpoint.
        assert_eq!(ledger::make_checkpoint(&store, &key, &key_id).await.unwrap(), cp);
        fill(&store, 3).await;
        let cp2 = ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        assert_eq!(cp2.head.tree_size, 8);
        assert_eq!(ledger::latest_checkpoint(&store).await.unwrap(), Some(cp2.clone()));
        assert_eq!(ledger::checkpoint_at(&store, 5).await.unwrap(), cp);
        assert_eq!(ledger::verify(&store).await.unwrap().unwrap().checkpoints, 2);
        // A checkpoint whose root was rewritten together with a new signature by another key.
        let forger = yaolian_ledger::sign::KeyPair::generate();
        let forged = forger.sign(&cp.head.message());
        sqlx::query("UPDATE ledger_checkpoints SET signature = $1 WHERE tree_size = 5")
            .bind(forged)
            .execute(store.pool())
            .await
            .unwrap();
        let f = failure(&store).await;
        assert!(f.problem.contains("signature"), "{f}");
    })
    .await;
}

#[tokio::test]
async fn exported_bundle_verifies_offline_and_one_changed_byte_fails() {
    each_backend(|store| async move {
        fill(&store, 11).await;
        let (key_id, key) = ledger::site_key(&store, &[3u8; 16]).await.unwrap();
        let bundle = ledger::export_bundle(&store, "sample", "c", &key, &key_id).await.unwrap();
        assert_eq!(bundle.versions.len(), 3);
        let text = serde_json::to_string_pretty(&bundle).unwrap();
        let parsed: yaolian_ledger::bundle::Bundle = serde_json::from_str(&text).unwrap();
        let summary = yaolian_ledger::bundle::verify(&parsed, None).unwrap();
        assert_eq!((summary.versions, summary.tree_size), (3, 11));
        // Change one byte anywhere that matters: every such change is caught.
        let needles = [
            "记录2",
            &bundle.versions[1].inclusion_proof[0].to_hex()[..8],
            &bundle.signature[10..18],
            "\"version\": 3",
        ];
        for needle in needles {
            let at = text.find(needle).unwrap();
            let mut bytes = text.clone().into_bytes();
            // Flip a character inside the needle to another that keeps the JSON valid.
            let pos = at + needle.len() - 1;
            bytes[pos] = if bytes[pos] == b'3' {
                b'4'
            } else if bytes[pos] == b'0' {
                b'1'
            } else {
                b'0'
            };
            let edited = String::from_utf8_lossy(&bytes).into_owned();
            let result = serde_json::from_str::<yaolian_ledger::bundle::Bundle>(&edited)
                .map_err(|e| e.to_string())
                .and_then(|b| yaolian_ledger::bundle::verify(&b, None));
            assert!(result.is_err(), "edit at {needle:?} went unnoticed");
        }
        // A pinned key that is not the site's is refused.
        let other = yaolian_ledger::sign::KeyPair::generate().public_pem();
        assert!(yaolian_ledger::bundle::verify(&parsed, Some(&other)).is_err());
        assert!(ledger::export_bundle(&store, "sample", "nope", &key, &key_id).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn batched_appends_build_the_same_tree_as_the_model() {
    each_backend(|store| async move {
        // Batches that start and end at odd places, so that new subtrees build on stored ones,
        // and more rows than one multi-row statement holds.
        fill(&store, 3).await;
        let data: Vec<_> = (0..1_203).map(|i| json!({"n": i, "name": format!("批{i}")})).collect();
        for (from, to) in [(0usize, 5usize), (5, 1_203)] {
            let changes: Vec<NewVersion> = data[from..to]
                .iter()
                .enumerate()
                .map(|(k, d)| NewVersion {
                    entity: "lot",
                    // Records repeat inside a batch: each occurrence is the next version.
                    entity_id: ["x", "y", "z"][(from + k) % 3],
                    actor: "importer",
                    action: "import",
                    reason: "批量导入",
                    data: d,
                    expected_version: None,
                })
                .collect();
            let mut tx = store.begin().await.unwrap();
            let written = versions::append_many(&mut tx, &changes).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(written.len(), to - from);
        }
        let summary = ledger::verify(&store).await.unwrap().unwrap();
        assert_eq!(summary.entries, 1_206);
        let t = model(&store).await;
        assert_eq!(summary.root, t.root());
        for size in [4, 8, 9, 512, 1_024, 1_206] {
            assert_eq!(ledger::root(&store, size).await.unwrap(), t.root_at(size).unwrap(), "root {size}");
        }
        let history = versions::history(store.pool(), "lot", "y").await.unwrap();
        assert_eq!(history.len(), 401);
        assert_eq!(history.last().unwrap().version, 401);

        // A refused change refuses the whole batch: a second version without a reason.
        let d = json!({"n": 0});
        let change = |id, reason| NewVersion {
            entity: "lot",
            entity_id: id,
            actor: "importer",
            action: "import",
            reason,
            data: &d,
            expected_version: None,
        };
        let mut tx = store.begin().await.unwrap();
        let err = versions::append_many(&mut tx, &[change("new-1", ""), change("x", " ")]).await.unwrap_err();
        assert!(err.to_string().contains("reason"), "{err}");
        tx.rollback().await.unwrap();
        assert!(versions::history(store.pool(), "lot", "new-1").await.unwrap().is_empty());
        assert_eq!(ledger::head(store.pool()).await.unwrap().1, 1_206);
    })
    .await;
}

#[tokio::test]
async fn changed_missing_or_extra_subtree_hashes_are_named() {
    each_backend(|store| async move {
        fill(&store, 12).await;
        // Flip the hash of the subtree over leaves 4..8 (level 2, index 1).
        let node =
            "UPDATE ledger_nodes SET hash = leaf_hash FROM ledger_entries WHERE level = 2 AND ledger_nodes.idx = 1 \
                    AND ledger_entries.idx = 0";
        sqlx::query(node).execute(store.pool()).await.unwrap();
        let f = failure(&store).await;
        assert_eq!(f.index, 4);
        assert!(f.problem.contains("level 2 index 1"), "{}", f.problem);
    })
    .await;
    each_backend(|store| async move {
        fill(&store, 12).await;
        sqlx::query("DELETE FROM ledger_nodes WHERE level = 1 AND idx = 3").execute(store.pool()).await.unwrap();
        let f = failure(&store).await;
        assert_eq!(f.index, 6);
        assert!(f.problem.contains("level 1 index 3"), "{}", f.problem);
    })
    .await;
    each_backend(|store| async move {
        fill(&store, 12).await;
        sqlx::query("INSERT INTO ledger_nodes (level, idx, hash) SELECT 5, 0, hash FROM ledger_nodes WHERE level = 0 AND idx = 0")
            .execute(store.pool())
            .await
            .unwrap();
        let f = failure(&store).await;
        assert!(f.problem.contains("1 stored subtree hashes beyond"), "{}", f.problem);
    })
    .await;
}

/// Appends `n` versions of records `lot-0 … lot-99` in transactions of 1,000.
async fn fill_many(store: &Store, n: usize) {
    let data: Vec<_> = (0..n).map(|i| json!({"n": i, "name": format!("批{i}")})).collect();
    let ids: Vec<String> = (0..100).map(|i| format!("lot-{i}")).collect();
    for (start, chunk) in data.chunks(1_000).enumerate() {
        let changes: Vec<NewVersion> = chunk
            .iter()
            .enumerate()
            .map(|(k, d)| NewVersion {
                entity: "lot",
                entity_id: &ids[(start * 1_000 + k) % 100],
                actor: "importer",
                action: "import",
                reason: "批量导入",
                data: d,
                expected_version: None,
            })
            .collect();
        let mut tx = store.begin().await.unwrap();
        versions::append_many(&mut tx, &changes).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// The verifier reads in chunks of 4,096 rows hashed on several threads: a log of several
/// chunks (the last one partial) verifies to the stored root, a change far into it is named by
/// its entry as before, and a stored hash that is not 32 bytes is an error, not a panic.
#[tokio::test]
async fn a_long_log_is_verified_in_chunks_and_a_late_change_is_named() {
    each_backend(|store| async move {
        fill_many(&store, 9_000).await;
        let summary = ledger::verify(&store).await.unwrap().unwrap();
        assert_eq!(summary.entries, 9_000);
        assert_eq!(summary.root, ledger::root(&store, 9_000).await.unwrap());
        assert_eq!(ledger::bare_read(&store).await.unwrap(), (9_000, 17_995));

        // Entry 5,000 is version 51 of lot-0.
        let original: String = sqlx::query_scalar(
            "SELECT data FROM record_versions WHERE entity = 'lot' AND entity_id = 'lot-0' AND version = 51",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        let set_data = |data: String| {
            let store = store.clone();
            async move {
                sqlx::query(
                    "UPDATE record_versions SET data = $1 WHERE entity = 'lot' AND entity_id = 'lot-0' AND version = 51",
                )
                .bind(data)
                .execute(store.pool())
                .await
                .unwrap();
            }
        };
        set_data(original.replace("批5000", "批5001")).await;
        let f = failure(&store).await;
        assert_eq!((f.index, f.entity.as_str(), f.id.as_str()), (5_000, "lot", "lot-0"), "{f}");
        assert!(f.problem.contains("content"), "{f}");
        set_data(original).await;
        assert!(ledger::verify(&store).await.unwrap().is_ok());

        // Who changed: the version's actor no longer matches its entry.
        sqlx::query("UPDATE record_versions SET actor = 'x' WHERE entity = 'lot' AND entity_id = 'lot-7' AND version = 80")
            .execute(store.pool())
            .await
            .unwrap();
        let f = failure(&store).await;
        assert_eq!((f.index, f.id.as_str()), (7_907, "lot-7"), "{f}");
        assert!(f.problem.contains("who, when"), "{f}");
        sqlx::query("UPDATE record_versions SET actor = 'importer' WHERE entity = 'lot' AND actor = 'x'")
            .execute(store.pool())
            .await
            .unwrap();

        // A short stored leaf hash, then a short subtree hash: errors naming where.
        let set_leaf = |hash: Vec<u8>| {
            let store = store.clone();
            async move {
                sqlx::query("UPDATE ledger_entries SET leaf_hash = $1 WHERE idx = 8500")
                    .bind(hash)
                    .execute(store.pool())
                    .await
                    .unwrap();
            }
        };
        let leaf = ledger::entry(&store, 8_500).await.unwrap().leaf_hash(HashAlg::Sm3);
        set_leaf(vec![1, 2, 3]).await;
        let err = ledger::verify(&store).await.unwrap_err();
        assert!(matches!(err, yaolian_store::StoreError::Corrupt(_)) && err.to_string().contains("entry 8500"), "{err}");
        assert!(ledger::bare_read(&store).await.is_err());
        set_leaf(leaf.0.to_vec()).await;
        sqlx::query("UPDATE ledger_nodes SET hash = $1 WHERE level = 3 AND idx = 7")
            .bind(vec![0u8; 31])
            .execute(store.pool())
            .await
            .unwrap();
        let err = ledger::verify(&store).await.unwrap_err();
        assert!(err.to_string().contains("level 3 index 7"), "{err}");
    })
    .await;
}

/// A watcher gets every checked record of its entity, in ledger order, during the pass.
#[tokio::test]
async fn a_watcher_gets_the_records_of_its_entity_in_ledger_order() {
    each_backend(|store| async move {
        fill(&store, 6).await;
        fill_many(&store, 5_000).await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let watch = ledger::Watch { entity: "sample".into(), records: tx };
        let summary = ledger::verify_watching(&store, watch).await.unwrap().unwrap();
        assert_eq!(summary.entries, 5_006);
        let mut got = Vec::new();
        while let Some(r) = rx.recv().await {
            got.push(r);
        }
        assert_eq!(got.iter().map(|r| r.index).collect::<Vec<_>>(), (0..6).collect::<Vec<u64>>());
        assert_eq!((got[5].id.as_str(), got[5].version), ("b", 2));
        let history = versions::history(store.pool(), "sample", "b").await.unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&got[5].data).unwrap(), history[1].data);
    })
    .await;
}

/// An in-memory SQLite has no second connection: the pool reads for the verifier, which finds
/// the same things.
#[tokio::test]
async fn an_in_memory_store_is_verified_through_the_pool() {
    let options = yaolian_store::StoreOptions { max_connections: 1, ..Default::default() };
    let store = Store::connect("sqlite::memory:", &options).await.unwrap();
    store.migrate().await.unwrap();
    assert!(!store.has_native_sqlite());
    fill(&store, 10).await;
    assert_eq!(ledger::verify(&store).await.unwrap().unwrap().entries, 10);
    assert_eq!(ledger::bare_read(&store).await.unwrap().0, 10);
    sqlx::query("DELETE FROM ledger_entries WHERE idx = 4").execute(store.pool()).await.unwrap();
    let f = failure(&store).await;
    assert_eq!(f.index, 4, "{f}");
    assert!(f.problem.contains("missing"), "{f}");
}

/// On PostgreSQL the versions are read beside the entries in the order the table holds them
/// and matched to their entries here: after `CLUSTER` has put them in key order (far from log
/// order, past what is read ahead), the log still verifies, and a changed version is named.
#[tokio::test]
async fn versions_stored_far_from_log_order_are_matched_on_postgres() {
    each_backend(|store| async move {
        if store.backend() != yaolian_store::Backend::Postgres {
            return;
        }
        fill_many(&store, 70_000).await;
        sqlx::query("CLUSTER record_versions USING record_versions_pkey").execute(store.pool()).await.unwrap();
        let summary = ledger::verify(&store).await.unwrap().unwrap();
        assert_eq!(summary.entries, 70_000);
        sqlx::query(
            "UPDATE record_versions SET reason = '改' WHERE entity = 'lot' AND entity_id = 'lot-99' AND version = 650",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let f = failure(&store).await;
        assert_eq!((f.index, f.id.as_str()), (64_999, "lot-99"), "{f}");
        assert!(f.problem.contains("who, when"), "{f}");
    })
    .await;
}
