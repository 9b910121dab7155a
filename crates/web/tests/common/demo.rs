//! The demo world of `crates/yaolian/src/demo.rs` for the web tests: the same organizations and
//! the same 19 accounts (user name, organization, master flag, roles), with a few records of
//! each kind owned by 康辰 (`kc`) and 恒泰 (`ht`) so that a test can name a real record of one
//! tenant and try it as the other. The web crate cannot depend on the binary crate that holds
//! the demo seed, and the seed's 10,000 generated trace events would cost seconds per backend,
//! so this mirror is smaller; keep its organizations and accounts in step with `demo.rs`.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use yaolian_access::{ClientInfo, OrgKind};
use yaolian_identity::{fixtures, orgs, orgs::NewOrg, roles};
use yaolian_registry::{persons, products};
use yaolian_store::Store;

use super::{login, Server, Session};

/// (key, parent key, kind, name, 统一社会信用代码 or site code), as in `demo.rs`.
const ORGS: &[(&str, Option<&str>, OrgKind, &str, &str)] = &[
    ("nmpa", None, OrgKind::National, "国家药品监督管理局", "11100000MB0341032Y"),
    ("zj", Some("nmpa"), OrgKind::Provincial, "浙江省药品监督管理局", "113300000024870444"),
    ("js", Some("nmpa"), OrgKind::Provincial, "江苏省药品监督管理局", "11320000014000983P"),
    ("hz", Some("zj"), OrgKind::Municipal, "杭州市市场监督管理局", "11330100002489537C"),
    ("kc", Some("zj"), OrgKind::Company, "浙江康辰药业有限公司", "91330100MA27XL3K2N"),
    ("kc.lab", Some("kc"), OrgKind::Site, "康辰药业 研发中心实验室", "91330100MA27XL3K2N-02"),
    ("ht", Some("js"), OrgKind::Company, "江苏恒泰制药股份有限公司", "91320000134769564T"),
    ("hk", Some("js"), OrgKind::Company, "苏州华康医药有限公司", "91320500MA1MQ8RA5L"),
    ("ms", Some("hz"), OrgKind::Company, "杭州民生大药房连锁有限公司", "91330000704761231M"),
    ("ms.store1", Some("ms"), OrgKind::Site, "民生大药房 西湖文化广场店", "91330000704761231M-001"),
    ("zjph", Some("zj"), OrgKind::Company, "浙江省人民医院", "12330000470051726F"),
];

/// Every demo account: (user name, organization key, master, roles), as in `demo.rs`.
pub const USERS: &[(&str, &str, bool, &[&str])] = &[
    ("admin", "nmpa", true, &["sys_admin"]),
    ("secadmin", "nmpa", false, &["sec_admin"]),
    ("auditor", "nmpa", false, &["audit_admin"]),
    ("nmpa.leader", "nmpa", false, &["regulator_leader"]),
    ("zj.leader", "zj", true, &["regulator_leader"]),
    ("zj.reviewer", "zj", false, &["reviewer"]),
    ("zj.clerk", "zj", false, &["window_clerk"]),
    ("zj.inspector", "zj", false, &["inspector"]),
    ("js.inspector", "js", false, &["inspector"]),
    ("hz.inspector", "hz", false, &["inspector"]),
    ("kc.master", "kc", true, &["company_master", "quality_head"]),
    ("kc.qa", "kc", false, &["quality_head"]),
    ("kc.analyst", "kc.lab", false, &["lab_analyst"]),
    ("ht.master", "ht", true, &["company_master"]),
    ("hk.master", "hk", true, &["company_master"]),
    ("hk.pharmacist", "hk", false, &["pharmacist"]),
    ("ms.master", "ms", true, &["company_master"]),
    ("ms.pharmacist", "ms.store1", false, &["pharmacist"]),
    ("zjph.master", "zjph", true, &["company_master"]),
];

/// 康辰's site for trace data (a GS1 location number).
pub const KC_SITE: &str = "urn:epc:id:sgln:6901234.00001.0";

/// The seeded world: ids by name (`org.kc`, `user.kc.qa`, `product.ht`, `license.kc`, …), for
/// `{name}` placeholders in paths and bodies.
pub struct Demo {
    pub ids: BTreeMap<String, String>,
}

impl Demo {
    pub fn id(&self, name: &str) -> i64 {
        self.ids[name].parse().unwrap_or_else(|_| panic!("{name} is not numeric"))
    }

    /// `text` with every `{name}` that names a seeded id replaced by the id; other braces stay.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, id) in &self.ids {
            out = out.replace(&format!("{{{name}}}"), id);
        }
        out
    }
}

/// Seeds the organizations, accounts and records; the records that only the API creates
/// conveniently (an application with files, a license, a token) are made once the server runs,
/// by [`Demo::records`].
pub async fn seed(store: &Store) -> Demo {
    roles::ensure_builtin(store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo::default();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (key, parent, kind, name, code) in ORGS {
        let parent_id = parent.map(|p| ids[&format!("org.{p}")].parse::<i64>().unwrap());
        let new = NewOrg { kind: *kind, name: (*name).into(), code: (*code).into(), parent_id, region: String::new() };
        let org = orgs::create(store, &sys, &new, &client).await.unwrap();
        ids.insert(format!("org.{key}"), org.id.to_string());
    }
    let org = |ids: &BTreeMap<String, String>, key: &str| ids[&format!("org.{key}")].parse::<i64>().unwrap();
    for (username, key, master, roles) in USERS {
        let id = fixtures::user(store, &sys, org(&ids, key), username, *master, roles).await.unwrap();
        ids.insert(format!("user.{username}"), id.to_string());
    }
    // Accounts that the matrix changes (roles, status, password), so no logged-in column does.
    for (username, key) in [("kc.target", "kc"), ("ht.target", "ht")] {
        let id = fixtures::user(store, &sys, org(&ids, key), username, false, &["quality_head"]).await.unwrap();
        ids.insert(format!("user.{username}"), id.to_string());
    }
    for (key, approval, gtin) in
        [("kc", "国药准字H20230001", "06901234000016"), ("ht", "国药准字H32020543", "06907654000018")]
    {
        let new = products::NewProduct {
            approval_number: approval.into(),
            generic_name: "盐酸二甲双胍片".into(),
            trade_name: String::new(),
            dosage_form: "片剂".into(),
            strength: "0.5g".into(),
            pack: "20片/盒".into(),
            mah_org_id: org(&ids, key),
            manufacturer_org_id: None,
            drug_code: None,
            gtins: vec![gtin.into()],
        };
        let p = products::create(store, &sys, &new, &client).await.unwrap();
        ids.insert(format!("product.{key}"), p.id.to_string());
    }
    // 康辰's stockroom: an item with a lot, and a count awaiting approval.
    let reagent = yaolian_inventory::items::NewItem {
        org_id: org(&ids, "kc"),
        code: "R-0001".into(),
        name_zh: "乙腈".into(),
        name_en: "Acetonitrile".into(),
        cas: Some("75-05-8".into()),
        category: "reagent".into(),
        unit: "mL".into(),
        ..Default::default()
    };
    let item = yaolian_inventory::items::create(store, &sys, &reagent, &client).await.unwrap();
    ids.insert("item.kc".into(), item.id.to_string());
    let receipt = yaolian_inventory::stock::Receipt {
        item_id: item.id,
        lot_no: "L2026001".into(),
        expires_on: "2030-12-31".into(),
        qty: "4000".into(),
        ..Default::default()
    };
    let cfg = yaolian_identity::IdentityConfig::default();
    let lot = yaolian_inventory::stock::receive(store, &cfg, &sys, &receipt, &client).await.unwrap();
    ids.insert("lot.kc".into(), lot.id.to_string());
    let adj = yaolian_inventory::stock::count(store, &sys, lot.id, "3990", "月度盘点", &client).await.unwrap().unwrap();
    ids.insert("adjustment.kc".into(), adj.id.to_string());
    // 康辰's quality records: a deviation from an OOS result, and a CAPA.
    let qcfg = yaolian_quality::QualityConfig::default();
    let oos = yaolian_quality::deviations::Oos {
        org_id: org(&ids, "kc"),
        test: "含量测定".into(),
        result: "93.2%".into(),
        specification: "95.0%～105.0%".into(),
        ..Default::default()
    };
    let dev = yaolian_quality::deviations::from_oos(store, &qcfg, &sys, &oos, &client).await.unwrap();
    ids.insert("deviation.kc".into(), dev.id.to_string());
    let capa = yaolian_quality::capa::NewCapa {
        org_id: org(&ids, "kc"),
        deviation_id: None,
        title: "修订检验操作规程".into(),
        actions: vec![yaolian_quality::capa::NewAction {
            description: "修订 SOP-QC-012".into(),
            owner: "吴丽".into(),
            due_on: "2030-12-31".into(),
        }],
    };
    let capa = yaolian_quality::capa::open(store, &sys, &capa, &client).await.unwrap();
    ids.insert("capa.kc".into(), capa.id.to_string());
    let doc = yaolian_quality::documents::NewDocument {
        org_id: org(&ids, "kc"),
        code: "SOP-QC-012".into(),
        title: "含量测定操作规程".into(),
        review_months: 24,
        file: yaolian_records::files::Upload {
            label: "文件".into(),
            name: "SOP-QC-012.pdf".into(),
            content_type: String::new(),
            content_base64: "YWJj".into(),
        },
    };
    let doc = yaolian_quality::documents::create(store, &sys, &doc, &client).await.unwrap();
    ids.insert("doc.kc".into(), doc.id.to_string());
    ids.insert("docrev.kc".into(), doc.revisions[0].id.to_string());
    let change = yaolian_quality::changes::NewChange {
        org_id: org(&ids, "kc"),
        title: "分析天平更换".into(),
        description: "1 号分析天平更换为同量程新天平".into(),
        reason: "原天平无法维修".into(),
        kind: "equipment".into(),
        ..Default::default()
    };
    let change = yaolian_quality::changes::request(store, &qcfg, &sys, &change, &client).await.unwrap();
    ids.insert("change.kc".into(), change.id.to_string());
    let instrument = yaolian_lab::instruments::NewInstrument {
        org_id: org(&ids, "kc"),
        code: "HPLC-01".into(),
        name: "高效液相色谱仪".into(),
        calibration_interval_days: 365,
        ..Default::default()
    };
    let instrument = yaolian_lab::instruments::register(store, &sys, &instrument, &client).await.unwrap();
    ids.insert("instrument.kc".into(), instrument.id.to_string());
    // A record template drafted by QA and approved by the master account, and a draft record
    // from it, all at 康辰 itself.
    let person = |name: &str| {
        let id: i64 = ids[&format!("user.{name}")].parse().unwrap();
        async move { yaolian_identity::auth::principal_for_user(store, id).await.unwrap() }
    };
    let (qa, master) = (person("kc.qa").await, person("kc.master").await);
    let definition: yaolian_lab::templates::Definition = serde_json::from_value(json!({
        "sections": [{"title": "称量", "fields": [{"key": "w", "label": "称样量", "kind": "number", "unit": "mg", "places": 2, "required": true}]}]
    }))
    .unwrap();
    let template = yaolian_lab::templates::NewTemplate {
        org_id: org(&ids, "kc"),
        code: "TPL-001".into(),
        title: "称量记录".into(),
        definition,
    };
    let template = yaolian_lab::templates::create(store, &qa, &template, &client).await.unwrap();
    let cfg = yaolian_identity::IdentityConfig::default();
    let template =
        yaolian_lab::templates::approve(store, &cfg, &master, template.id, fixtures::PASSWORD, None, &client)
            .await
            .unwrap();
    ids.insert("template.kc".into(), template.id.to_string());
    let record =
        yaolian_lab::records::NewRecord { template_version_id: template.id, title: "称量".into(), project_id: None };
    let record = yaolian_lab::records::create(store, &master, &record, &client).await.unwrap();
    ids.insert("record.kc".into(), record.id.to_string());
    let room = yaolian_lab::environment::NewRoom {
        org_id: org(&ids, "kc"),
        code: "QC-101".into(),
        name: "天平室".into(),
        temp_low: "18.0".into(),
        temp_high: "26.0".into(),
        rh_low: "45.0".into(),
        rh_high: "65.0".into(),
    };
    let room = yaolian_lab::environment::create_room(store, &qa, &room, &client).await.unwrap();
    ids.insert("room.kc".into(), room.id.to_string());
    let project = yaolian_lab::projects::NewProject {
        org_id: org(&ids, "kc"),
        code: "YF-2026-001".into(),
        title: "盐酸二甲双胍缓释片工艺开发".into(),
        objective: "完成小试处方筛选".into(),
        leader: String::new(),
        starts_on: "2026-01-01".into(),
        ends_on: "2026-12-31".into(),
        phases: vec![yaolian_lab::projects::NewPhase {
            name: "小试".into(),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-06-30".into(),
        }],
    };
    let project = yaolian_lab::projects::propose(store, &qa, &project, &client).await.unwrap();
    ids.insert("project.kc".into(), project.id.to_string());
    for (key, cert) in [("kc", "ZL-33-2022-0107"), ("ht", "ZL-32-2021-0311")] {
        let new = persons::NewPerson {
            name: "周明".into(),
            qualification: "quality_head".into(),
            cert_number: cert.into(),
            employer_org_id: org(&ids, key),
            valid_from: "2022-03-01".into(),
            valid_until: "2027-02-28".into(),
        };
        let person = persons::create(store, &sys, &new, &client).await.unwrap();
        ids.insert(format!("person.{key}"), person.id.to_string());
    }
    let todo = |user_id: Option<i64>, org_id: Option<i64>| yaolian_portal::NewTodo {
        user_id,
        org_id,
        module: "identity".into(),
        title: "完善一企一档".into(),
        link: "/".into(),
        due_at: None,
        statutory: false,
    };
    let kc_qa = ids["user.kc.qa"].parse::<i64>().unwrap();
    let id = yaolian_portal::add_todo(store.pool(), &todo(Some(kc_qa), None)).await.unwrap();
    ids.insert("todo.kc.qa".into(), id.to_string());
    let id = yaolian_portal::send_message(store.pool(), kc_qa, "欢迎", "演示", "/").await.unwrap();
    ids.insert("message.kc.qa".into(), id.to_string());
    let site = yaolian_trace::sites::Site {
        id: KC_SITE.into(),
        name: "康辰药业 钱塘生产基地".into(),
        kind: "manufacturer".into(),
        org_id: Some(org(&ids, "kc")),
        province: "浙江".into(),
    };
    yaolian_trace::sites::upsert(store, &[site]).await.unwrap();
    let recall = yaolian_trace::recall::NewRecall {
        product_id: ids["product.kc"].parse().unwrap(),
        batches: vec!["B2026001".into()],
        level: 2,
        reason: "抽检含量测定不符合规定".into(),
    };
    let recall = yaolian_trace::recall::open(store, &sys, &recall, &client).await.unwrap();
    ids.insert("recall.kc".into(), recall.id.to_string());
    ids.insert("kc.site".into(), KC_SITE.into());
    // A risk case of 浙江省局 about 康辰, raised by hand.
    let inspector_id = ids["user.zj.inspector"].parse::<i64>().unwrap();
    let inspector = yaolian_identity::auth::principal_for_user(store, inspector_id).await.unwrap();
    let new = yaolian_supervision::cases::NewCase {
        company_id: org(&ids, "kc"),
        title: "群众反映药品质量问题".into(),
        description: String::new(),
        level: "medium".into(),
    };
    let case = yaolian_supervision::cases::raise(store, &inspector, &new, &client).await.unwrap();
    ids.insert("case.zj".into(), case.id.to_string());
    // Every company scored (风险评分), as the bureau's inspector recomputes them.
    yaolian_supervision::scores::recompute(store, &inspector, None, "", &client).await.unwrap();
    // 浙江省局's annual inspection plan, generated from those scores.
    let plan = yaolian_supervision::plans::generate(store, &inspector, 2027, &client).await.unwrap();
    ids.insert("plan.zj".into(), plan.plan.id.to_string());
    let filter = yaolian_supervision::plans::Filter::default();
    let (visits, _) =
        yaolian_supervision::plans::visits_of(store, &inspector, plan.plan.id, &filter, 100, 0, &client).await.unwrap();
    let visit = visits.iter().find(|v| v.company_id == org(&ids, "kc")).unwrap();
    ids.insert("inspection.zj".into(), visit.id.to_string());
    // … 康辰's first visit started on site by the inspector and the leader, with a finding.
    let members = vec!["zj.leader".to_string()];
    yaolian_supervision::onsite::start(store, &inspector, visit.id, &members, visit.version, &client).await.unwrap();
    let finding = yaolian_supervision::onsite::NewFinding {
        grade: "minor".into(),
        description: "温湿度记录未按规定频次填写".into(),
        ..Default::default()
    };
    let finding =
        yaolian_supervision::onsite::add_finding(store, &inspector, visit.id, &finding, &client).await.unwrap();
    ids.insert("finding.zj".into(), finding.id.to_string());
    // 浙江省局's sampling plan; 康辰's first task taken by a team of two, held by the inspector.
    let new = yaolian_supervision::sampling::NewPlan {
        year: 2026,
        title: "2026 年药品质量抽检".into(),
        quota: 3,
        ..Default::default()
    };
    let plan = yaolian_supervision::sampling::create_plan(store, &inspector, &new, &client).await.unwrap();
    ids.insert("sampling.zj".into(), plan.id.to_string());
    let filter = yaolian_supervision::sampling::Filter::default();
    let (tasks, _) =
        yaolian_supervision::sampling::samples_of(store, &inspector, plan.id, &filter, (10, 0), &client).await.unwrap();
    let task = tasks.iter().find(|t| t.company_id == org(&ids, "kc")).unwrap();
    let team = vec!["zj.inspector".to_string(), "zj.leader".to_string()];
    let s =
        yaolian_supervision::sampling::assign(store, &inspector, task.id, &team, task.version, &client).await.unwrap();
    let taken = yaolian_supervision::sampling::Taken {
        batch: "B2026002".into(),
        quantity: "20 盒".into(),
        place: "康辰药业 成品库".into(),
        seal: "ZJCY-000001".into(),
        version: s.version,
    };
    let s = yaolian_supervision::sampling::take(store, &inspector, s.id, &taken, &client).await.unwrap();
    ids.insert("sample.zj".into(), s.id.to_string());
    // A report about 康辰 registered, and a clue against it opened by hand (执法办案).
    let report = yaolian_supervision::complaints::NewComplaint {
        kind: "report".into(),
        channel: "hotline".into(),
        company_id: Some(org(&ids, "kc")),
        subject: "举报销售过期药品".into(),
        content: "举报人称购得过期药品".into(),
        ..Default::default()
    };
    let t = yaolian_supervision::complaints::register(store, &inspector, &report, &client).await.unwrap();
    ids.insert("complaint.zj".into(), t.id.to_string());
    let clue = yaolian_supervision::enforcement::NewClue {
        company_id: org(&ids, "kc"),
        title: "涉嫌销售劣药".into(),
        ..Default::default()
    };
    let e = yaolian_supervision::enforcement::open(store, &inspector, &clue, &client).await.unwrap();
    ids.insert("enforcement.zj".into(), e.id.to_string());
    // The provincial hospital's adverse reaction reports: three of 药品甲 with anaphylactic shock
    // among 40, and the bureau's detection run that finds them (不良反应信号).
    let hospital_id = ids["user.zjph.master"].parse::<i64>().unwrap();
    let hospital = yaolian_identity::auth::principal_for_user(store, hospital_id).await.unwrap();
    let reports: Vec<yaolian_signals::adr::NewReport> = (0..40)
        .map(|i| {
            let (drug, term) = match i {
                0..=2 => ("药品甲", "E0501"),
                3 => ("药品乙", "E0501"),
                _ => ("药品乙", ["E0101", "E0201", "E0301", "E0403"][i % 4]),
            };
            yaolian_signals::adr::NewReport {
                reporter_kind: "medical".into(),
                sex: "female".into(),
                age: Some(20 + i as i64),
                onset_on: "2026-03-01".into(),
                outcome: "recovered".into(),
                drugs: vec![yaolian_signals::adr::NewDrug { generic: drug.into(), ..Default::default() }],
                events: vec![yaolian_signals::adr::NewEvent { term: term.into(), verbatim: String::new() }],
                ..Default::default()
            }
        })
        .collect();
    let adr = yaolian_signals::adr::submit_many(store, &hospital, &reports, "api", &client).await.unwrap();
    ids.insert("adr.zjph".into(), adr[0].to_string());
    yaolian_signals::detection::run(store, &inspector, &client).await.unwrap();
    let filter = yaolian_signals::detection::Filter::default();
    let (signals, _) =
        yaolian_signals::detection::list(store, &inspector, &filter, "recent", (10, 0), &client).await.unwrap();
    ids.insert("signal.zj".into(), signals[0].id.to_string());
    // 康辰's freeze-dryer line, its shelf temperature drifting (生产黑匣子): one warning.
    use yaolian_signals::blackbox;
    let qa_id = ids["user.kc.qa"].parse::<i64>().unwrap();
    let qa = yaolian_identity::auth::principal_for_user(store, qa_id).await.unwrap();
    let new = blackbox::NewLine { code: "L01".into(), name: "冻干粉针剂生产线".into(), product: String::new() };
    let line = blackbox::create_line(store, &qa, &new, &client).await.unwrap();
    let temp = blackbox::NewParameter {
        code: "shelf_temp".into(),
        name: "板层温度".into(),
        unit: "℃".into(),
        subgroup: 1,
        center: -40.0,
        sigma: 0.6,
        lsl: Some(-45.0),
        usl: Some(-35.0),
    };
    blackbox::add_parameter(store, &qa, line.id, &temp, &client).await.unwrap();
    let start = yaolian_core::Timestamp::now().0 - 3_600_000;
    let points = blackbox::drift_z(45)
        .into_iter()
        .enumerate()
        .map(|(i, z)| blackbox::PointIn {
            time: yaolian_core::Timestamp(start + i as i64 * 60_000).to_rfc3339(),
            value: -40.0 + 0.6 * z,
        })
        .collect();
    let series = blackbox::SeriesIn { line: "L01".into(), parameter: "shelf_temp".into(), batch: "B1".into(), points };
    blackbox::ingest(store, &qa, &blackbox::Ingest { series: vec![series] }, &client).await.unwrap();
    let (warnings, _) =
        blackbox::warnings(store, &inspector, &blackbox::Filter::default(), (10, 0), &client).await.unwrap();
    ids.insert("bbline.kc".into(), line.id.to_string());
    ids.insert("bbwarning.kc".into(), warnings[0].id.to_string());
    let application = yaolian_submission::applications::NewApplication {
        org_id: org(&ids, "kc"),
        number: "x202612345".into(),
        application_type: "cnapt3".into(),
        product_type: "cnprt1".into(),
        product_number: "2026000123".into(),
        substance: "阿莫西林".into(),
        manufacturer: "康辰药业".into(),
        product_name: "阿莫西林胶囊".into(),
        dosage_form: "胶囊剂".into(),
        indication: "敏感菌所致感染".into(),
        contact_name: "张工".into(),
        contact_phone: "0571-88886666".into(),
        contact_email: "reg@example.com".into(),
    };
    let application =
        yaolian_submission::applications::create_application(store, &sys, &application, &client).await.unwrap();
    ids.insert("ectd.kc".into(), application.id.to_string());
    Demo { ids }
}

fn file(label: &str) -> Value {
    use base64::Engine;
    json!({"label": label, "name": "f.txt", "content_type": "text/plain",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(label.as_bytes())})
}

/// A complete 药品经营许可证 (retail) application body.
pub fn retail_application() -> Value {
    let form = json!({
        "enterprise_name": "浙江康辰药业有限公司", "legal_representative": "陈康", "principal": "陈康",
        "quality_head": "周明（执业药师）", "registered_address": "杭州市钱塘区药谷大道 88 号",
        "business_scope": "处方药、非处方药：化学药", "contact_phone": "0571-86901234",
    });
    let files: Vec<Value> =
        ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"].map(file).to_vec();
    json!({"type_code": "drug_retail_issue", "form": form, "files": files})
}

/// License fields for a 药品批发 license.
pub fn license_body(holder: i64) -> Value {
    let fields = json!({"legal_representative": "陈康", "principal": "陈康", "quality_head": "周明",
        "registered_address": "杭州市钱塘区药谷大道 88 号", "business_scope": "化学药"});
    json!({"kind": "drug_wholesale", "holder_org_id": holder, "fields": fields})
}

impl Demo {
    /// Records made over the API: 康辰's application (with its first file), a license and an
    /// API token of 康辰's master.
    pub async fn records(&mut self, server: &Server) {
        let kc = login(server, "kc.master").await;
        let (st, app) = post(&kc, server, "/api/v1/applications", &retail_application()).await;
        assert_eq!(st, 201, "{app}");
        self.ids.insert("application.kc".into(), app["id"].to_string());
        self.ids.insert("file.kc".into(), app["files"][0]["id"].to_string());
        let (st, token) = post(
            &kc,
            server,
            "/api/v1/tokens",
            &json!({"name": "scanner", "scopes": ["registry.read"], "valid_days": 30}),
        )
        .await;
        assert_eq!(st, 201, "{token}");
        self.ids.insert("token.kc.master".into(), token["token"]["id"].to_string());
        let sec = login(server, "secadmin").await;
        let request =
            json!({"user_id": self.id("user.ht.target"), "roles": ["quality_head", "lab_analyst"], "reason": "调岗"});
        let (st, req) = post(&sec, server, "/api/v1/role-requests", &request).await;
        assert_eq!(st, 201, "{req}");
        self.ids.insert("role_request.ht".into(), req["id"].to_string());
        let leader = login(server, "zj.leader").await;
        let (st, lic) = post(&leader, server, "/api/v1/licenses", &license_body(self.id("org.kc"))).await;
        assert_eq!(st, 201, "{lic}");
        self.ids.insert("license.kc".into(), lic["id"].to_string());
        self.ids.insert("license.kc.identifier".into(), lic["document"]["identifier"].as_str().unwrap().into());
    }
}

async fn post(s: &Session, server: &Server, path: &str, body: &Value) -> (reqwest::StatusCode, Value) {
    s.send_json(reqwest::Method::POST, server.url(path), body).await
}
