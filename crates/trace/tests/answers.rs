//! The company's side of trace data (issue 16 §4), on SQLite and PostgreSQL: an upload of the
//! operations sheet stores the good lines and names the bad one in Chinese; an anomaly that
//! concerns a company is visible to it (and only to it), it answers with an attachment while
//! the anomaly is open, the bureau sees the answer, and after the closure no answer is taken;
//! a `not_holder` anomaly raised on what was known at capture is withdrawn when the missing
//! receipt arrives late.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::sites::{self, Site};
use yaolian_trace::{anomalies, upload, TraceError};

const UNIT: &str = "urn:nmpa:code:81000010000000011234";
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";
const MAKER_GLN: &str = "6901234000016";
const PHARMACY: &str = "urn:epc:id:sgln:6901234.00040.0";

fn object(day: u32, action: &str, step: &str, disposition: &str, site: &str) -> Value {
    let mut e = json!({"type": "ObjectEvent", "eventTime": format!("2026-10-{day:02}T09:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": [UNIT], "action": action, "bizStep": step,
        "disposition": disposition, "readPoint": {"id": site}, "bizLocation": {"id": site}});
    if action == "ADD" {
        e["ilmd"] = json!({"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-09-30"});
    }
    e
}

async fn store_events(store: &Store, events: &[Value]) -> ingest::Outcome {
    let (good, bad) = prepare(events, 0, None, chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap());
    assert!(bad.is_empty(), "{bad:?}");
    ingest::store(store, good, Options::bulk()).await.unwrap()
}

async fn user(store: &Store, org: i64, name: &str, role: &str) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, &[role]).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

/// The maker (company A) and the pharmacy (company B) with a site each; a product of A.
async fn chain(s: &Store) -> fixtures::World {
    let w = fixtures::world(s).await.unwrap();
    common::product(s, w.company_a, 1, "8100001", &[]).await;
    let site = |id: &str, name: &str, org| Site {
        id: id.into(),
        name: name.into(),
        kind: "manufacturer".into(),
        org_id: Some(org),
        province: "浙江".into(),
    };
    sites::upsert(s, &[site(MAKER, "甲制药 生产基地", w.company_a), site(PHARMACY, "乙医药 门店", w.company_b)])
        .await
        .unwrap();
    w
}

async fn visible(store: &Store, who: &Principal) -> Vec<anomalies::Anomaly> {
    let filter = anomalies::Filter { per_page: Some(100), ..Default::default() };
    anomalies::list(store, who, &filter, &ClientInfo::default()).await.unwrap().0
}

fn file(name: &str) -> Upload {
    use base64::Engine;
    Upload {
        label: "说明材料".into(),
        name: name.into(),
        content_type: "text/plain".into(),
        content_base64: base64::engine::general_purpose::STANDARD.encode("随货同行单".as_bytes()),
    }
}

#[tokio::test]
async fn a_company_answers_its_own_anomaly_and_the_bureau_sees_the_answer() {
    each_backend(|s| async move {
        let w = chain(&s).await;
        let c = ClientInfo::default();
        // Made at A, sold at B with no shipment or receipt reported: not_holder at B's store,
        // on a code A holds. It concerns both; a third company sees nothing.
        store_events(&s, &[object(1, "ADD", "commissioning", "active", MAKER)]).await;
        let o = store_events(&s, &[object(5, "OBSERVE", "retail_selling", "retail_sold", PHARMACY)]).await;
        assert!(o.anomalies >= 1);
        let a_qa = user(&s, w.company_a, "a.qa", "quality_head").await;
        let b_qa = user(&s, w.company_b, "b.qa", "quality_head").await;
        let inspector = user(&s, w.province, "zj.insp", "inspector").await;
        let outsider_org = {
            let sys = yaolian_access::run_as_system::principal();
            let new = yaolian_identity::orgs::NewOrg {
                kind: yaolian_access::OrgKind::Company,
                name: "丙药房".into(),
                code: "91330106MA2H2X1Q0T".into(),
                parent_id: Some(w.province),
                region: String::new(),
            };
            yaolian_identity::orgs::create(&s, &sys, &new, &c).await.unwrap().id
        };
        let outsider = user(&s, outsider_org, "c.qa", "quality_head").await;
        let b_list = visible(&s, &b_qa).await;
        let anomaly = b_list.iter().find(|a| a.kind == "not_holder").expect("the seller sees it").clone();
        assert!(anomaly.detail_zh.contains("甲制药 生产基地"), "{}", anomaly.detail_zh);
        assert!(visible(&s, &a_qa).await.iter().any(|a| a.id == anomaly.id), "the holder sees it too");
        assert!(visible(&s, &outsider).await.is_empty(), "another company sees none");
        let err = anomalies::answer(&s, &outsider, anomaly.id, "不是我们", &[], &c).await.unwrap_err();
        assert_eq!(err.code(), "not_found");
        // A bureau does not answer; an empty answer is refused naming the field.
        let err = anomalies::answer(&s, &inspector, anomaly.id, "x", &[], &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let err = anomalies::answer(&s, &b_qa, anomaly.id, "  ", &[], &c).await.unwrap_err();
        assert!(format!("{err:?}").contains("text"), "{err:?}");

        let id = anomalies::answer(
            &s,
            &b_qa,
            anomaly.id,
            "货已于10月3日收货，入库单漏报，现补报",
            &[file("入库单.txt")],
            &c,
        )
        .await
        .unwrap();
        anomalies::answer(&s, &a_qa, anomaly.id, "已于10月2日发往乙医药", &[], &c).await.unwrap();
        // Each company sees its own answer; the bureau sees both, with the file.
        let mine = |list: Vec<anomalies::Anomaly>| list.into_iter().find(|a| a.id == anomaly.id).unwrap().answers;
        let b_sees = mine(visible(&s, &b_qa).await);
        assert_eq!(b_sees.iter().map(|w| w.id).collect::<Vec<_>>(), vec![id]);
        let bureau_sees = mine(visible(&s, &inspector).await);
        assert_eq!(bureau_sees.len(), 2);
        assert_eq!(bureau_sees[0].files[0].name, "入库单.txt");
        let (meta, _, bytes) =
            anomalies::answer_file(&s, &inspector, anomaly.id, bureau_sees[0].files[0].id, &c).await.unwrap();
        assert_eq!((meta.sm3.len(), bytes), (64, "随货同行单".as_bytes().to_vec()));
        let err = anomalies::answer_file(&s, &outsider, anomaly.id, meta.id, &c).await.unwrap_err();
        assert_eq!(err.code(), "not_found");
        // The answer is a versioned record.
        let versions =
            yaolian_store::versions::history(s.pool(), anomalies::ANSWER_ENTITY, &id.to_string()).await.unwrap();
        assert_eq!(versions.len(), 1);

        // Closed by the bureau: no more answers.
        anomalies::close(&s, &inspector, anomaly.id, "已核实补报的入库记录", &c).await.unwrap();
        let err = anomalies::answer(&s, &b_qa, anomaly.id, "再补充", &[], &c).await.unwrap_err();
        assert!(matches!(err, TraceError::AnomalyClosed), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn a_not_holder_anomaly_is_withdrawn_when_the_missing_receipt_arrives() {
    each_backend(|s| async move {
        chain(&s).await;
        store_events(&s, &[object(1, "ADD", "commissioning", "active", MAKER)]).await;
        let mut shipped = object(2, "OBSERVE", "shipping", "in_transit", MAKER);
        shipped["destinationList"] = json!([{"type": "location", "destination": PHARMACY}]);
        store_events(&s, &[shipped]).await;
        // Sold before the pharmacy's receipt was reported: on what was known, not the holder.
        store_events(&s, &[object(5, "OBSERVE", "retail_selling", "retail_sold", PHARMACY)]).await;
        let sys = yaolian_access::run_as_system::principal();
        let open: Vec<_> = visible(&s, &sys).await.into_iter().filter(|a| a.kind == "not_holder").collect();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].status, "open");
        // The receipt arrives late: the anomaly is withdrawn by the system, with a note.
        let o = store_events(&s, &[object(3, "OBSERVE", "receiving", "in_progress", PHARMACY)]).await;
        assert_eq!(o.withdrawn, 1);
        let after = visible(&s, &sys).await.into_iter().find(|a| a.id == open[0].id).unwrap();
        assert_eq!(after.status, "closed");
        assert!(after.withdrawn);
        assert!(after.note.starts_with("已自动撤销：缺失的前序事件"), "{}", after.note);
        let versions =
            yaolian_store::versions::history(s.pool(), anomalies::ENTITY, &open[0].id.to_string()).await.unwrap();
        assert_eq!(versions.len(), 1, "the withdrawal is ledgered");
        use sqlx::Row;
        let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_events WHERE action = 'anomaly_withdraw'")
            .fetch_one(s.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(audited, 1, "and audited");
    })
    .await;
}

#[tokio::test]
async fn a_receipt_elsewhere_in_between_keeps_the_anomaly_open() {
    each_backend(|s| async move {
        let w = chain(&s).await;
        const OTHER: &str = "urn:epc:id:sgln:6901234.00050.0";
        let other = Site {
            id: OTHER.into(),
            name: "乙医药 仓库".into(),
            kind: "distributor".into(),
            org_id: Some(w.company_b),
            province: "浙江".into(),
        };
        sites::upsert(&s, &[other]).await.unwrap();
        store_events(&s, &[object(1, "ADD", "commissioning", "active", MAKER)]).await;
        store_events(&s, &[object(4, "OBSERVE", "receiving", "in_progress", OTHER)]).await;
        store_events(&s, &[object(5, "OBSERVE", "retail_selling", "retail_sold", PHARMACY)]).await;
        // A receipt at the pharmacy before the warehouse's: the warehouse held it at the sale.
        let o = store_events(&s, &[object(3, "OBSERVE", "receiving", "in_progress", PHARMACY)]).await;
        assert_eq!(o.withdrawn, 0);
        let sys = yaolian_access::run_as_system::principal();
        let list = visible(&s, &sys).await;
        assert!(list.iter().any(|a| a.kind == "not_holder" && a.status == "open"));
    })
    .await;
}

#[tokio::test]
async fn an_operations_sheet_upload_stores_good_lines_and_names_the_bad_one_in_chinese() {
    each_backend(|s| async move {
        let w = chain(&s).await;
        let c = ClientInfo::default();
        let a_qa = user(&s, w.company_a, "a.qa", "quality_head").await;
        let b_qa = user(&s, w.company_b, "b.qa", "quality_head").await;
        let csv = format!(
            "操作类型,追溯码,操作时间,操作场所,批号,有效期\n\
             生产赋码,81000010000000011234,2026-10-01 09:00,{MAKER_GLN},L1,2028-09-30\n\
             搬运,81000010000000011235,2026-10-01 09:00,{MAKER_GLN},,\n\
             生产赋码,81000010000000011236,2026-10-01 09:00,6901234000405,L1,2028-09-30\n"
        );
        let id = upload::submit(&s, &a_qa, "ops.csv", csv.into_bytes(), &c).await.unwrap();
        let job = upload::get(&s, &a_qa, id, &c).await.unwrap();
        assert_eq!((job.total, job.stored, job.refused_count), (3, 1, 2));
        assert_eq!(job.refused[0].at, "第 3 行");
        assert!(job.refused[0].reasons[0].starts_with("第 3 行：操作类型“搬运”不是可用的值"), "{:?}", job.refused);
        assert_eq!(job.refused[1].reasons[0], "第 4 行：操作场所不是本企业登记的追溯场所");
        assert_eq!(job.status_zh, "部分接收");
        // Listed for its company, not for another.
        assert_eq!(upload::list(&s, &a_qa, &c).await.unwrap().len(), 1);
        assert!(upload::list(&s, &b_qa, &c).await.unwrap().is_empty());
        assert_eq!(upload::get(&s, &b_qa, id, &c).await.unwrap_err().code(), "not_found");
        // A file that is no trace data starts no job.
        let err = upload::submit(&s, &a_qa, "notes.txt", b"x".to_vec(), &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(upload::list(&s, &a_qa, &c).await.unwrap().len(), 1);
    })
    .await;
}
