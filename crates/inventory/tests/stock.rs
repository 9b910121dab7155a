//! The inventory on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: stock as the sum of
//! movements (a property test over random sequences), FEFO, expired lots, two signatures for a
//! controlled chemical, counts awaiting approval, search by synonym, part of a name and CAS.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig, IdentityError};
use yaolian_inventory::items::{self, ItemQuery, NewItem};
use yaolian_inventory::stock::{self, Issue, Receipt, TwoPerson};
use yaolian_inventory::InventoryError;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn acetonitrile(org: i64, code: &str) -> NewItem {
    NewItem {
        org_id: org,
        code: code.into(),
        name_zh: "乙腈".into(),
        name_en: "Acetonitrile".into(),
        synonyms: vec!["甲基氰".into(), "MeCN".into(), "氰甲烷".into()],
        cas: Some("75-05-8".into()),
        formula: "C2H3N".into(),
        category: "reagent".into(),
        unit: "mL".into(),
        ghs: vec!["GHS02".into(), "GHS07".into()],
        hazards: vec!["H225".into(), "H302".into(), "P210".into()],
        storage: "阴凉通风，远离火源".into(),
        ..NewItem::default()
    }
}

fn receipt(item_id: i64, lot_no: &str, expires_on: &str, qty: &str) -> Receipt {
    Receipt {
        item_id,
        lot_no: lot_no.into(),
        supplier: "国药集团化学试剂有限公司".into(),
        expires_on: expires_on.into(),
        room: "试剂室 A".into(),
        cabinet: "2 号柜".into(),
        shelf: "第 3 层".into(),
        container: "4 L/瓶".into(),
        qty: qty.into(),
        ..Receipt::default()
    }
}

fn issue(item_id: i64, qty: &str) -> Issue {
    Issue { item_id, qty: qty.into(), purpose: "HPLC 流动相配制".into(), ..Issue::default() }
}

fn rules(e: InventoryError) -> Vec<(String, String)> {
    match e {
        InventoryError::Shared(IdentityError::Validation(v)) => {
            v.errors.into_iter().map(|f| (f.field, f.rule)).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Every lot's quantity equals the sum of its posted movements and is never negative.
async fn assert_stock_is_the_sum(store: &Store) {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT l.id, l.on_hand, CAST(COALESCE((SELECT SUM(m.qty) FROM inv_movements m WHERE m.lot_id = l.id \
         AND m.status = 'posted'), 0) AS BIGINT) FROM inv_lots l",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for (id, on_hand, sum) in rows {
        assert_eq!(on_hand, sum, "lot {id}: stock is the sum of its movements");
        assert!(on_hand >= 0, "lot {id} is negative: {on_hand}");
    }
}

fn future(days: i64) -> String {
    (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(days)).to_string()
}

#[tokio::test]
async fn fefo_takes_the_earliest_expiry_and_expired_lots_are_blocked() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let item = items::create(&store, &keeper, &acetonitrile(w.company_a, "R-0001"), &c).await.unwrap();
        let later =
            stock::receive(&store, &cfg, &keeper, &receipt(item.id, "L-LATE", &future(400), "4000"), &c).await.unwrap();
        let earlier =
            stock::receive(&store, &cfg, &keeper, &receipt(item.id, "L-EARLY", &future(90), "4000"), &c).await.unwrap();
        // A lot past its expiry is not received from a supplier; the books' opening records one
        // already on the shelf.
        let old = receipt(item.id, "L-OLD", &future(-3), "4000");
        let f = rules(stock::receive(&store, &cfg, &keeper, &old, &c).await.unwrap_err());
        assert_eq!(f, vec![("expires_on".to_string(), "expired_on_receipt".to_string())]);
        let expired = stock::receive(&store, &cfg, &keeper, &Receipt { opening: true, ..old }, &c).await.unwrap();
        assert!(expired.expired() && !earlier.expired());

        // FEFO: the earlier-expiring lot goes first, the expired one never.
        let taken = stock::issue(&store, &cfg, &analyst, &issue(item.id, "500"), &c).await.unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!((taken[0].lot_id, taken[0].qty), (earlier.id, -500_000));
        // The first issue opens the lot (开启日期).
        let today = yaolian_core::Timestamp::now().china_date().to_string();
        assert_eq!(stock::lot(&store, &analyst, earlier.id, &c).await.unwrap().opened_on, Some(today));
        assert_eq!(stock::lot(&store, &analyst, later.id, &c).await.unwrap().opened_on, None);
        // More than the earliest lot holds runs on into the next one.
        let taken = stock::issue(&store, &cfg, &analyst, &issue(item.id, "4000"), &c).await.unwrap();
        let split: Vec<(i64, i64)> = taken.iter().map(|m| (m.lot_id, m.qty)).collect();
        assert_eq!(split, vec![(earlier.id, -3_500_000), (later.id, -500_000)]);

        // An expired lot cannot be issued, even by name.
        let err = stock::issue(&store, &cfg, &analyst, &Issue { lot_id: Some(expired.id), ..issue(item.id, "1") }, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "lot_expired", "{err:?}");
        // Stock left is only in the expired lot and the later one: asking for more is refused
        // whole, and nothing moved.
        let err = stock::issue(&store, &cfg, &analyst, &issue(item.id, "3500.001"), &c).await.unwrap_err();
        assert_eq!(err.code(), "insufficient_stock", "{err:?}");
        assert_eq!(stock::lot(&store, &analyst, later.id, &c).await.unwrap().on_hand, 3_500_000);

        // Taking a later lot while an earlier one is in stock needs a reason, which is kept.
        let fresh =
            stock::receive(&store, &cfg, &keeper, &receipt(item.id, "L-MID", &future(200), "1000"), &c).await.unwrap();
        let by_hand = Issue { lot_id: Some(later.id), ..issue(item.id, "10") };
        let f = rules(stock::issue(&store, &cfg, &analyst, &by_hand, &c).await.unwrap_err());
        assert_eq!(f[0].0, "fefo_reason");
        assert!(f[0].1.starts_with("fefo:L-MID "), "{f:?}");
        let with_reason = Issue { fefo_reason: "稳定性考察需同一批号".into(), ..by_hand };
        let taken = stock::issue(&store, &cfg, &analyst, &with_reason, &c).await.unwrap();
        assert_eq!(taken[0].fefo_reason, "稳定性考察需同一批号");
        assert_eq!(stock::lot(&store, &analyst, fresh.id, &c).await.unwrap().on_hand, 1_000_000);

        // The requisition limit caps one request.
        let limited = NewItem { requisition_limit: Some("100".into()), ..acetonitrile(w.company_a, "R-0002") };
        let limited = items::create(&store, &keeper, &limited, &c).await.unwrap();
        let limited_lot =
            stock::receive(&store, &cfg, &keeper, &receipt(limited.id, "L1", &future(100), "1000"), &c).await.unwrap();
        let f = rules(stock::issue(&store, &cfg, &analyst, &issue(limited.id, "100.5"), &c).await.unwrap_err());
        assert_eq!(f, vec![("qty".to_string(), "limit:100 mL".to_string())]);
        stock::issue(&store, &cfg, &analyst, &issue(limited.id, "100"), &c).await.unwrap();

        // The waste report lists the expired lot with all of it unused.
        let waste = stock::waste(&store, &keeper, &c).await.unwrap();
        assert_eq!(waste.iter().map(|w| (w.lot.id, w.unused)).collect::<Vec<_>>(), vec![(expired.id, 4_000_000)]);
        // Expiry warning: the expired lot and the one due within 120 days, earliest first.
        let soon = stock::expiring(&store, &keeper, 120, &c).await.unwrap();
        assert_eq!(soon.iter().map(|l| l.id).collect::<Vec<_>>(), vec![expired.id, limited_lot.id]);
        assert_eq!(stock::expiring(&store, &keeper, 30, &c).await.unwrap().len(), 1);

        // Another company's stockroom is out of reach: not found, and nothing issued.
        let other = principal(&store, w.company_b, "other", &["lab_analyst"]).await;
        let err = stock::issue(&store, &cfg, &other, &issue(item.id, "1"), &c).await.unwrap_err();
        assert_eq!(err.code(), "not_found", "{err:?}");
        assert_stock_is_the_sum(&store).await;
        assert!(items::drifts(&store).await.unwrap().is_empty());
        assert!(stock::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_controlled_chemical_moves_only_under_two_signatures() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        principal(&store, w.company_a, "keeper2", &["storekeeper"]).await;
        principal(&store, w.company_b, "outsider", &["storekeeper"]).await;
        // Sodium cyanide: 《危险化学品目录（2015版）》 entry 1688, 剧毒.
        let cyanide = NewItem {
            org_id: w.company_a,
            code: "T-0001".into(),
            name_zh: "氰化钠".into(),
            name_en: "Sodium cyanide".into(),
            synonyms: vec!["山奈".into()],
            cas: Some("143-33-9".into()),
            formula: "NaCN".into(),
            category: "reagent".into(),
            unit: "g".into(),
            control: "toxic".into(),
            ghs: vec!["GHS06".into(), "GHS09".into()],
            hazards: vec!["H300".into(), "H410".into()],
            ..NewItem::default()
        };
        let item = items::create(&store, &keeper, &cyanide, &c).await.unwrap();
        let two = |witness: &str| TwoPerson {
            password: fixtures::PASSWORD.into(),
            witness: witness.into(),
            witness_password: fixtures::PASSWORD.into(),
            ..TwoPerson::default()
        };
        // Receipt with one signature (none, or the keeper twice) is refused.
        let alone = receipt(item.id, "CN-1", &future(300), "500");
        let f = rules(stock::receive(&store, &cfg, &keeper, &alone, &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures".to_string(), "two_person".to_string())]);
        let twice = Receipt { signatures: Some(two("keeper")), ..alone.clone() };
        let f = rules(stock::receive(&store, &cfg, &keeper, &twice, &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures.witness".to_string(), "other_person".to_string())]);
        // A second person from outside the stockroom is no second person here.
        let outside = Receipt { signatures: Some(two("outsider")), ..alone.clone() };
        let f = rules(stock::receive(&store, &cfg, &keeper, &outside, &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures.witness".to_string(), "two_person".to_string())]);
        // A wrong password of the second person is a failed signature.
        let wrong = Receipt {
            signatures: Some(TwoPerson { witness_password: "not-it".into(), ..two("keeper2") }),
            ..alone.clone()
        };
        let err = stock::receive(&store, &cfg, &keeper, &wrong, &c).await.unwrap_err();
        assert_eq!(err.code(), "invalid_credentials", "{err:?}");
        let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inv_lots").fetch_one(store.pool()).await.unwrap();
        assert_eq!(none, 0, "nothing received without two signatures");

        let lot = stock::receive(&store, &cfg, &keeper, &Receipt { signatures: Some(two("keeper2")), ..alone }, &c)
            .await
            .unwrap();
        // Issue: one signature is refused; two pass, and both signatures sit on the movement.
        let f = rules(stock::issue(&store, &cfg, &keeper, &issue(item.id, "5"), &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures".to_string(), "two_person".to_string())]);
        let half = Issue {
            signatures: Some(TwoPerson { witness: String::new(), ..two("keeper2") }),
            ..issue(item.id, "5")
        };
        let f = rules(stock::issue(&store, &cfg, &keeper, &half, &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures".to_string(), "two_person".to_string())]);
        let done =
            stock::issue(&store, &cfg, &keeper, &Issue { signatures: Some(two("keeper2")), ..issue(item.id, "5") }, &c)
                .await
                .unwrap();
        assert_eq!(done[0].witness.as_deref(), Some("keeper2"));
        let signed: Vec<(String, String)> = sqlx::query_as(
            "SELECT signer_username, meaning FROM signatures WHERE entity = 'inv_movement' AND entity_id = $1 ORDER BY id",
        )
        .bind(done[0].id.to_string())
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(signed, vec![("keeper".into(), "confirm".into()), ("keeper2".into(), "verify".into())]);
        assert_eq!(stock::lot(&store, &keeper, lot.id, &c).await.unwrap().on_hand, 495_000);

        // Custody moves under two signatures too (双人保管); the move names from where to where
        // and changes no quantity.
        let to = stock::Transfer { room: "剧毒品库".into(), cabinet: "保险柜 2".into(), reason: "集中存放".into(), ..Default::default() };
        let f = rules(stock::transfer(&store, &cfg, &keeper, lot.id, &to, &c).await.unwrap_err());
        assert_eq!(f, vec![("signatures".to_string(), "two_person".to_string())]);
        let to = stock::Transfer { signatures: Some(two("keeper2")), ..to };
        let moved = stock::transfer(&store, &cfg, &keeper, lot.id, &to, &c).await.unwrap();
        assert_eq!((moved.kind.as_str(), moved.qty), ("transfer", 0));
        assert!(moved.purpose.contains("剧毒品库 / 保险柜 2"), "{}", moved.purpose);
        let moved_lot = stock::lot(&store, &keeper, lot.id, &c).await.unwrap();
        assert_eq!((moved_lot.room.as_str(), moved_lot.cabinet.as_str(), moved_lot.on_hand), ("剧毒品库", "保险柜 2", 495_000));
        let f = rules(stock::transfer(&store, &cfg, &keeper, lot.id, &to, &c).await.unwrap_err());
        assert_eq!(f[0].1, "same_place");

        // The usage log reconciles: 5 g issued, 1.5 g given back, 3.5 g used.
        stock::give_back(&store, &cfg, &keeper, lot.id, "1.5", "实验结束退库", Some(&two("keeper2")), &c).await.unwrap();
        let log = stock::usage_log(&store, &keeper, None, &c).await.unwrap();
        let line: Vec<(&str, &str, &str, &str)> =
            log.iter().map(|u| (u.person.as_str(), u.issued.as_str(), u.returned.as_str(), u.used.as_str())).collect();
        assert_eq!(line, vec![("keeper", "5", "1.5", "3.5")]);
        let tomorrow = yaolian_core::Timestamp::now().china_day_number() + 1;
        assert!(stock::usage_log(&store, &keeper, Some(tomorrow), &c).await.unwrap().is_empty());
        assert_stock_is_the_sum(&store).await;
        assert!(stock::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_count_that_differs_waits_for_someone_elses_approval() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head", "storekeeper"]).await;
        let item = items::create(&store, &keeper, &acetonitrile(w.company_a, "R-0001"), &c).await.unwrap();
        let lot =
            stock::receive(&store, &cfg, &keeper, &receipt(item.id, "L1", &future(100), "1000"), &c).await.unwrap();
        // A count that agrees changes nothing.
        assert!(stock::count(&store, &keeper, lot.id, "1000", "月度盘点", &c).await.unwrap().is_none());
        // One that differs is an adjustment awaiting approval; the stock has not moved.
        let adj = stock::count(&store, &keeper, lot.id, "998.5", "月度盘点：挥发损耗", &c).await.unwrap().unwrap();
        assert_eq!((adj.kind.as_str(), adj.status.as_str(), adj.qty), ("adjust", "pending", -1_500));
        assert_eq!(stock::lot(&store, &keeper, lot.id, &c).await.unwrap().on_hand, 1_000_000);
        let waiting = stock::pending(&store, &qa, &c).await.unwrap();
        assert_eq!(waiting.iter().map(|m| m.id).collect::<Vec<_>>(), vec![adj.id]);
        // A reason is required, one adjustment waits at a time, the counter cannot approve it
        // and a storekeeper holds no approval.
        assert_eq!(rules(stock::count(&store, &keeper, lot.id, "1", " ", &c).await.unwrap_err())[0].0, "reason");
        let err = stock::count(&store, &keeper, lot.id, "990", "复盘", &c).await.unwrap_err();
        assert_eq!(err.code(), "inventory_state");
        let err = stock::decide(&store, &keeper, adj.id, true, "同意", &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden", "{err:?}");
        let adj_by_qa = stock::count(&store, &qa, lot.id, "1", "x", &c).await.unwrap_err();
        assert_eq!(adj_by_qa.code(), "inventory_state");
        let approved = stock::decide(&store, &qa, adj.id, true, "核实为挥发损耗，同意调整", &c).await.unwrap();
        assert_eq!((approved.status.as_str(), approved.decided_by.as_deref()), ("posted", Some("qa.head")));
        assert_eq!(stock::lot(&store, &keeper, lot.id, &c).await.unwrap().on_hand, 998_500);
        let err = stock::decide(&store, &qa, adj.id, true, "again", &c).await.unwrap_err();
        assert_eq!(err.code(), "inventory_state");
        // The adjustment's story: counted, then approved, each a ledgered version.
        let history =
            yaolian_store::versions::history(store.pool(), "inv_movement", &adj.id.to_string()).await.unwrap();
        assert_eq!(history.iter().map(|v| v.action.as_str()).collect::<Vec<_>>(), vec!["adjust", "approve"]);
        assert_stock_is_the_sum(&store).await;
        assert!(stock::drifts(&store).await.unwrap().is_empty());

        // A row edited behind the write path is named by the state check.
        sqlx::query("UPDATE inv_lots SET on_hand = on_hand + 1 WHERE id = $1")
            .bind(lot.id)
            .execute(store.pool())
            .await
            .unwrap();
        let drifts = stock::drifts(&store).await.unwrap();
        assert!(drifts.iter().any(|d| d.entity == "inv_lot" && d.field == "on_hand"), "{drifts:?}");
        assert!(drifts.iter().any(|d| d.field.starts_with("on_hand (sum")), "{drifts:?}");
    })
    .await;
}

#[tokio::test]
async fn items_are_found_by_synonym_part_of_a_name_and_cas_number() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        let permanganate = NewItem {
            org_id: w.company_a,
            code: "R-0100".into(),
            name_zh: "高锰酸钾".into(),
            name_en: "Potassium permanganate".into(),
            synonyms: vec!["灰锰氧".into(), "PP粉".into()],
            cas: Some("7722-64-7".into()),
            formula: "KMnO4".into(),
            category: "reagent".into(),
            unit: "g".into(),
            control: "precursor".into(),
            ..NewItem::default()
        };
        let ids = items::create_many(&store, &keeper, &[acetonitrile(w.company_a, "R-0001"), permanganate], &c)
            .await
            .unwrap();
        let find = |q: &str| {
            let store = store.clone();
            let keeper = keeper.clone();
            let q = q.to_string();
            async move {
                let query = ItemQuery { q: Some(q), limit: 50, ..ItemQuery::default() };
                items::list(&store, &keeper, &query, &ClientInfo::default())
                    .await
                    .unwrap()
                    .0
                    .iter()
                    .map(|i| i.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(find("灰锰氧").await, vec![ids[1]], "a synonym");
        assert_eq!(find("锰酸").await, vec![ids[1]], "a part of the Chinese name");
        assert_eq!(find("腈").await, vec![ids[0]], "one character of it");
        assert_eq!(find("7722-64-7").await, vec![ids[1]], "the CAS number");
        assert_eq!(find("７５－０５－８").await, vec![ids[0]], "the CAS number in full-width forms");
        assert_eq!(find("mecn").await, vec![ids[0]], "an abbreviation, any case");
        assert_eq!(find("kmno4").await, vec![ids[1]], "the formula");
        assert_eq!(find("acetonitril").await, vec![ids[0]], "part of the English name");
        assert!(find("酸锰").await.is_empty(), "the characters in another order");
        assert!(find("氯仿").await.is_empty());
        let controlled = ItemQuery { control: Some("any".into()), limit: 50, ..ItemQuery::default() };
        let (found, total) = items::list(&store, &keeper, &controlled, &c).await.unwrap();
        assert_eq!((found.len(), total, found[0].id), (1, 1, ids[1]));

        // Bad input names each field and rule; nothing is written.
        let bad = NewItem {
            cas: Some("7732-18-4".into()),
            unit: "桶装".into(),
            ghs: vec!["GHS10".into()],
            hazards: vec!["H999".into()],
            requisition_limit: Some("-1".into()),
            category: "food".into(),
            ..acetonitrile(w.company_a, "R-0009")
        };
        let f = rules(items::create(&store, &keeper, &bad, &c).await.unwrap_err());
        for expected in [
            ("cas", "cas_check"),
            ("unit", "unit"),
            ("ghs[0]", "ghs"),
            ("hazards[0]", "hazard_code"),
            ("requisition_limit", "quantity"),
        ] {
            assert!(f.iter().any(|(a, b)| (a.as_str(), b.as_str()) == expected), "{expected:?} in {f:?}");
        }
        assert!(f.iter().any(|(a, b)| a == "category" && b.starts_with("one_of:")), "{f:?}");
        let f = rules(items::create(&store, &keeper, &acetonitrile(w.company_a, "R-0001"), &c).await.unwrap_err());
        assert_eq!(f, vec![("code".to_string(), "unique".to_string())]);
        // A stockroom out of reach: refused and audited.
        let outsider = principal(&store, w.company_b, "outsider", &["storekeeper"]).await;
        let err = items::create(&store, &outsider, &acetonitrile(w.company_a, "R-0010"), &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let mine = ItemQuery { limit: 50, ..ItemQuery::default() };
        assert!(items::list(&store, &outsider, &mine, &c).await.unwrap().0.is_empty());
        assert!(items::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}

/// One step of a random session at the stockroom.
#[derive(Debug, Clone)]
enum Op {
    Receive(i64),
    Issue(i64),
    Return(usize, i64),
    Count(usize, i64),
    Decide(bool),
    Dispose(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1i64..5_000_000).prop_map(Op::Receive),
        4 => (1i64..4_000_000).prop_map(Op::Issue),
        2 => (0usize..6, 1i64..1_000_000).prop_map(|(l, q)| Op::Return(l, q)),
        2 => (0usize..6, 0i64..6_000_000).prop_map(|(l, q)| Op::Count(l, q)),
        2 => any::<bool>().prop_map(Op::Decide),
        1 => (0usize..6).prop_map(Op::Dispose),
    ]
}

/// The inventory invariant: whatever sequence of receipts, issues, returns, counts, decisions
/// and disposals people make (each may be refused), every lot's quantity on hand equals the
/// sum of its posted movements and is never negative, the stock total follows exactly what was
/// accepted, a count that differs moves nothing until approved, and every row agrees with the
/// ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_movements_keep_stock_equal_to_the_sum_of_movements() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let keeper = principal(&store, w.company_a, "keeper", &["storekeeper"]).await;
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let handle = tokio::runtime::Handle::current();
        let cases = if store.backend() == yaolian_store::Backend::Sqlite { 24 } else { 8 };
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let result = tokio::task::block_in_place(|| {
            runner.run(&proptest::collection::vec(op(), 1..25), |ops| {
                let case = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                handle.block_on(run_case(&store, &keeper, &qa, w.company_a, case, &ops));
                Ok(())
            })
        });
        result.unwrap();
        assert!(items::drifts(&store).await.unwrap().is_empty());
        assert!(stock::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}

async fn run_case(store: &Store, keeper: &Principal, qa: &Principal, org: i64, case: usize, ops: &[Op]) {
    let c = ClientInfo::default();
    let cfg = IdentityConfig::default();
    let item = items::create(store, keeper, &acetonitrile(org, &format!("P-{case}")), &c).await.unwrap();
    let mut lots: Vec<i64> = Vec::new();
    let mut expected: i64 = 0;
    let total = |store: Store| async move {
        let sum: Option<i64> =
            sqlx::query_scalar("SELECT CAST(SUM(on_hand) AS BIGINT) FROM inv_lots WHERE item_id = $1")
                .bind(item.id)
                .fetch_one(store.pool())
                .await
                .unwrap();
        sum.unwrap_or(0)
    };
    for (n, op) in ops.iter().enumerate() {
        let before = total(store.clone()).await;
        match op {
            Op::Receive(q) => {
                let r = receipt(item.id, &format!("L{n}"), &future(30 + n as i64), &yaolian_inventory::qty::format(*q));
                lots.push(stock::receive(store, &cfg, keeper, &r, &c).await.unwrap().id);
                expected += q;
            }
            Op::Issue(q) => {
                match stock::issue(store, &cfg, keeper, &issue(item.id, &yaolian_inventory::qty::format(*q)), &c).await
                {
                    Ok(moved) => {
                        assert_eq!(moved.iter().map(|m| -m.qty).sum::<i64>(), *q);
                        expected -= q;
                    }
                    Err(e) => {
                        assert_eq!(e.code(), "insufficient_stock", "{e:?}");
                        assert!(*q > before, "refused only when short: {q} of {before}");
                    }
                }
            }
            Op::Return(l, q) => {
                let Some(lot) = lots.get(l % lots.len().max(1)).copied() else { continue };
                let text = yaolian_inventory::qty::format(*q);
                match stock::give_back(store, &cfg, keeper, lot, &text, "实验结束退还", None, &c).await {
                    Ok(m) => expected += m.qty,
                    Err(e) => assert!(["validation_failed", "inventory_state"].contains(&e.code()), "{e:?}"),
                }
            }
            Op::Count(l, q) => {
                let Some(lot) = lots.get(l % lots.len().max(1)).copied() else { continue };
                let text = yaolian_inventory::qty::format(*q);
                match stock::count(store, keeper, lot, &text, "随机盘点", &c).await {
                    Ok(Some(m)) => assert_eq!(m.status, "pending"),
                    Ok(None) => {}
                    Err(e) => assert_eq!(e.code(), "inventory_state", "{e:?}"),
                }
            }
            Op::Decide(approve) => {
                let waiting = stock::pending(store, qa, &c).await.unwrap();
                let Some(m) = waiting.iter().find(|m| m.item_id == item.id) else { continue };
                match stock::decide(store, qa, m.id, *approve, "复核", &c).await {
                    Ok(done) if *approve => {
                        assert_eq!(done.status, "posted");
                        expected += m.qty;
                    }
                    Ok(done) => assert_eq!(done.status, "rejected"),
                    Err(e) => {
                        assert!(["insufficient_stock", "inventory_state"].contains(&e.code()), "{e:?}");
                        assert!(*approve || e.code() == "inventory_state");
                    }
                }
            }
            Op::Dispose(l) => {
                let Some(lot) = lots.get(l % lots.len().max(1)).copied() else { continue };
                let left = stock::lot(store, keeper, lot, &c).await.unwrap().on_hand;
                match stock::dispose(store, &cfg, keeper, lot, "破损报废", None, &c).await {
                    Ok(m) => {
                        assert_eq!(m.qty, -left);
                        expected -= left;
                    }
                    Err(e) => assert_eq!(e.code(), "inventory_state", "{e:?}"),
                }
            }
        }
        assert_eq!(total(store.clone()).await, expected, "after {op:?}");
        assert_stock_is_the_sum(store).await;
    }
}
