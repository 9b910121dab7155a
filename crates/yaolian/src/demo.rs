//! The demo seed: a realistic small world of regulators, companies, sites and users for every
//! role, with Chinese names. Later modules extend it from [`seed`].

use anyhow::{Context, Result};
use yaolian_access::ClientInfo;
use yaolian_access::OrgKind;
use yaolian_identity::{orgs, orgs::NewOrg};
use yaolian_identity::{roles, IdentityConfig};
use yaolian_identity::{users, users::NewUser};
use yaolian_portal as portal;
use yaolian_registry::companies::{self, Profile};
use yaolian_registry::persons::{self, NewPerson};
use yaolian_registry::products::{self, NewProduct};
use yaolian_store::Store;
use yaolian_web::DemoAccount;

/// The password of every demo account unless `--demo-password` says otherwise.
pub const DEFAULT_PASSWORD: &str = "Yaolian@2026";

struct OrgSeed {
    key: &'static str,
    parent: Option<&'static str>,
    kind: OrgKind,
    name: &'static str,
    code: &'static str,
    region: &'static str,
}

/// Codes carry valid GB 32100-2015 check characters; they are illustrative, not real registrations.
const ORGS: &[OrgSeed] = &[
    OrgSeed {
        key: "nmpa",
        parent: None,
        kind: OrgKind::National,
        name: "国家药品监督管理局",
        code: "11100000MB0341032Y",
        region: "北京市",
    },
    OrgSeed {
        key: "zj",
        parent: Some("nmpa"),
        kind: OrgKind::Provincial,
        name: "浙江省药品监督管理局",
        code: "113300000024870444",
        region: "浙江省",
    },
    OrgSeed {
        key: "js",
        parent: Some("nmpa"),
        kind: OrgKind::Provincial,
        name: "江苏省药品监督管理局",
        code: "11320000014000983P",
        region: "江苏省",
    },
    OrgSeed {
        key: "hz",
        parent: Some("zj"),
        kind: OrgKind::Municipal,
        name: "杭州市市场监督管理局",
        code: "11330100002489537C",
        region: "浙江省杭州市",
    },
    OrgSeed {
        key: "kc",
        parent: Some("zj"),
        kind: OrgKind::Company,
        name: "浙江康辰药业有限公司",
        code: "91330100MA27XL3K2N",
        region: "浙江省杭州市",
    },
    OrgSeed {
        key: "kc.plant",
        parent: Some("kc"),
        kind: OrgKind::Site,
        name: "康辰药业 钱塘生产基地",
        code: "91330100MA27XL3K2N-01",
        region: "浙江省杭州市钱塘区",
    },
    OrgSeed {
        key: "kc.lab",
        parent: Some("kc"),
        kind: OrgKind::Site,
        name: "康辰药业 研发中心实验室",
        code: "91330100MA27XL3K2N-02",
        region: "浙江省杭州市滨江区",
    },
    OrgSeed {
        key: "ht",
        parent: Some("js"),
        kind: OrgKind::Company,
        name: "江苏恒泰制药股份有限公司",
        code: "91320000134769564T",
        region: "江苏省连云港市",
    },
    OrgSeed {
        key: "ht.plant",
        parent: Some("ht"),
        kind: OrgKind::Site,
        name: "恒泰制药 开发区工厂",
        code: "91320000134769564T-01",
        region: "江苏省连云港市",
    },
    OrgSeed {
        key: "hk",
        parent: Some("js"),
        kind: OrgKind::Company,
        name: "苏州华康医药有限公司",
        code: "91320500MA1MQ8RA5L",
        region: "江苏省苏州市",
    },
    OrgSeed {
        key: "hk.dc",
        parent: Some("hk"),
        kind: OrgKind::Site,
        name: "华康医药 苏州物流中心",
        code: "91320500MA1MQ8RA5L-01",
        region: "江苏省苏州市",
    },
    OrgSeed {
        key: "ms",
        parent: Some("hz"),
        kind: OrgKind::Company,
        name: "杭州民生大药房连锁有限公司",
        code: "91330000704761231M",
        region: "浙江省杭州市",
    },
    OrgSeed {
        key: "ms.store1",
        parent: Some("ms"),
        kind: OrgKind::Site,
        name: "民生大药房 西湖文化广场店",
        code: "91330000704761231M-001",
        region: "浙江省杭州市下城区",
    },
    OrgSeed {
        key: "zjph",
        parent: Some("zj"),
        kind: OrgKind::Company,
        name: "浙江省人民医院",
        code: "12330000470051726F",
        region: "浙江省杭州市",
    },
];

struct UserSeed {
    username: &'static str,
    name: &'static str,
    org: &'static str,
    master: bool,
    roles: &'static [&'static str],
}

const USERS: &[UserSeed] = &[
    UserSeed { username: "admin", name: "王建国", org: "nmpa", master: true, roles: &["sys_admin"] },
    UserSeed { username: "secadmin", name: "李安全", org: "nmpa", master: false, roles: &["sec_admin"] },
    UserSeed { username: "auditor", name: "赵审计", org: "nmpa", master: false, roles: &["audit_admin"] },
    UserSeed { username: "nmpa.leader", name: "钱国平", org: "nmpa", master: false, roles: &["regulator_leader"] },
    UserSeed { username: "zj.leader", name: "周明", org: "zj", master: true, roles: &["regulator_leader"] },
    UserSeed { username: "zj.reviewer", name: "陈静", org: "zj", master: false, roles: &["reviewer"] },
    UserSeed { username: "zj.clerk", name: "黄晓", org: "zj", master: false, roles: &["window_clerk"] },
    UserSeed { username: "zj.inspector", name: "刘强", org: "zj", master: false, roles: &["inspector"] },
    UserSeed { username: "zj.inspector2", name: "王芳", org: "zj", master: false, roles: &["inspector"] },
    UserSeed { username: "zj.legal", name: "郑律", org: "zj", master: false, roles: &["inspector"] },
    UserSeed { username: "js.inspector", name: "孙磊", org: "js", master: false, roles: &["inspector"] },
    UserSeed { username: "hz.inspector", name: "林晓燕", org: "hz", master: false, roles: &["inspector"] },
    UserSeed {
        username: "kc.master",
        name: "黄志强",
        org: "kc",
        master: true,
        roles: &["company_master", "quality_head"],
    },
    UserSeed { username: "kc.qa", name: "吴丽", org: "kc", master: false, roles: &["quality_head"] },
    UserSeed { username: "kc.analyst", name: "郑涛", org: "kc.lab", master: false, roles: &["lab_analyst"] },
    UserSeed { username: "kc.keeper", name: "孙洁", org: "kc", master: false, roles: &["storekeeper"] },
    UserSeed { username: "kc.keeper2", name: "钱伟", org: "kc", master: false, roles: &["storekeeper"] },
    UserSeed { username: "ht.master", name: "马骏", org: "ht", master: true, roles: &["company_master"] },
    UserSeed { username: "hk.master", name: "冯军", org: "hk", master: true, roles: &["company_master"] },
    UserSeed { username: "hk.pharmacist", name: "何芳", org: "hk", master: false, roles: &["pharmacist"] },
    UserSeed { username: "ms.master", name: "许晨", org: "ms", master: true, roles: &["company_master"] },
    UserSeed { username: "ms.pharmacist", name: "高敏", org: "ms.store1", master: false, roles: &["pharmacist"] },
    UserSeed { username: "zjph.master", name: "蒋文博", org: "zjph", master: true, roles: &["company_master"] },
];

/// The demo accounts' user names (what [`seed`] creates), for measuring a seeded database.
pub fn usernames() -> Vec<String> {
    USERS.iter().map(|u| u.username.to_string()).collect()
}

/// Seeds a freshly migrated store. Returns the accounts for the login page.
pub async fn seed(
    store: &Store,
    password: &str,
    sealing: &yaolian_license::licenses::Sealing,
) -> Result<Vec<DemoAccount>> {
    let config = IdentityConfig::default();
    config.password.check("--demo-password", password).map_err(|e| anyhow::anyhow!("{e}"))?;
    roles::ensure_builtin(store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed".into() };
    let mut ids: Vec<(&str, i64, &str)> = Vec::new();
    for o in ORGS {
        let parent_id = match o.parent {
            Some(p) => Some(ids.iter().find(|(k, _, _)| *k == p).map(|(_, id, _)| *id).context("seed order")?),
            None => None,
        };
        let new = NewOrg { kind: o.kind, name: o.name.into(), code: o.code.into(), parent_id, region: o.region.into() };
        let org = orgs::create(store, &sys, &new, &client).await.with_context(|| format!("seeding {}", o.name))?;
        ids.push((o.key, org.id, o.name));
    }
    let all_roles = roles::all(store).await?;
    let mut accounts = Vec::new();
    for u in USERS {
        let (_, org_id, org_name) = ids.iter().find(|(k, _, _)| *k == u.org).copied().context("seed user org")?;
        let new = NewUser {
            org_id,
            username: u.username.into(),
            display_name: u.name.into(),
            password: password.into(),
            email: format!("{}@example.cn", u.username.replace('.', "_")),
            phone: String::new(),
            is_master: u.master,
            roles: u.roles.iter().map(|s| s.to_string()).collect(),
        };
        let user = users::create(store, &config, &sys, &new, &client)
            .await
            .with_context(|| format!("seeding {}", u.username))?;
        let role_names: Vec<&str> = u
            .roles
            .iter()
            .filter_map(|c| all_roles.iter().find(|r| &r.code == c).map(|r| r.name_zh.as_str()))
            .collect();
        accounts.push(DemoAccount {
            username: u.username.into(),
            display_name: u.name.into(),
            role: role_names.join("、"),
            org: org_name.into(),
        });
        portal::send_message(
            store.pool(),
            user.id,
            "欢迎使用药链 yaolian",
            "这是演示环境。所有数据均为虚构，可随意操作；每次启动演示都会重建数据库。",
            "/",
        )
        .await?;
        if u.roles.iter().any(|r| ["sec_admin", "audit_admin", "sys_admin"].contains(r)) {
            portal::add_todo(
                store.pool(),
                &portal::NewTodo {
                    user_id: Some(user.id),
                    org_id: None,
                    module: "identity".into(),
                    title: "为管理员账号启用双因素认证".into(),
                    link: "/account/totp".into(),
                    due_at: Some(yaolian_core::Timestamp::now().plus_seconds(7 * 86_400)),
                    statutory: false,
                },
            )
            .await?;
        }
    }
    for (key, title, link) in [
        ("kc", "完善一企一档：补充生产地址与负责人信息", "/admin/orgs"),
        ("kc", "为新入职实验员创建子账号", "/admin/users/new"),
        ("ms", "核对门店执业药师在岗信息", "/admin/users"),
        ("zj", "审核辖区企业账号开通情况", "/admin/users"),
    ] {
        let (_, org_id, _) = ids.iter().find(|(k, _, _)| *k == key).copied().context("seed todo org")?;
        portal::add_todo(
            store.pool(),
            &portal::NewTodo {
                user_id: None,
                org_id: Some(org_id),
                module: "identity".into(),
                title: title.into(),
                link: link.into(),
                due_at: Some(yaolian_core::Timestamp::now().plus_seconds(3 * 86_400)),
                statutory: false,
            },
        )
        .await?;
    }
    seed_products(store, &ids, &client).await?;
    seed_services(store, &ids, password, sealing, &client).await?;
    seed_trace(store, &ids).await?;
    seed_inventory(store, &ids, password, &client).await?;
    seed_quality(store, &ids, password, &client).await?;
    seed_instruments(store, &ids, &client).await?;
    seed_lab_records(store, &ids, password, &client).await?;
    seed_environment(store, &ids, &client).await?;
    seed_cases(store, &ids, &client).await?;
    seed_plan(store, password, &client).await?;
    seed_sampling(store, password, &client).await?;
    seed_enforcement(store, password, sealing, &client).await?;
    seed_signals(store, &client).await?;
    seed_blackbox(store, &client).await?;
    Ok(accounts)
}

/// 康辰's freeze-dried powder line in the production black box (生产黑匣子): yesterday's batch in
/// control on its three parameters; today's batch with the shelf temperature drifting up by 0.8σ
/// from its 31st minute (the reference drift), which fires Nelson rule 2 at its 39th point, sent
/// in three calls of which the last brings five late points.
async fn seed_blackbox(store: &Store, client: &ClientInfo) -> Result<()> {
    use yaolian_signals::blackbox::{self, Ingest, NewLine, NewParameter, PointIn, SeriesIn};
    let id = yaolian_identity::users::id_by_username(store, "kc.qa").await?;
    let qa = yaolian_identity::auth::principal_for_user(store, id).await?;
    let line = NewLine {
        code: "L01".into(), name: "冻干粉针剂生产线".into(), product: "注射用头孢曲松钠".into()
    };
    let line = blackbox::create_line(store, &qa, &line, client).await?;
    let parameters = [
        ("shelf_temp", "冻干板层温度", "℃", 1, -40.0, 0.6, Some(-45.0), Some(-35.0)),
        ("fill_weight", "装量", "g", 5, 1.0, 0.01, Some(0.97), Some(1.03)),
        ("f0", "灭菌 F0 值", "min", 1, 15.0, 0.5, Some(12.0), None),
    ];
    for (code, name, unit, subgroup, center, sigma, lsl, usl) in parameters {
        let p =
            NewParameter { code: code.into(), name: name.into(), unit: unit.into(), subgroup, center, sigma, lsl, usl };
        blackbox::add_parameter(store, &qa, line.id, &p, client).await?;
    }
    let now = yaolian_core::Timestamp::now().0;
    let minute = 60_000i64;
    let point = |t: i64, value: f64| PointIn { time: yaolian_core::Timestamp(t).to_rfc3339(), value };
    let calm = blackbox::drift_z(30);
    // Subgroup of five around a mean: the values' offsets in σ.
    let spread = [-0.5, 0.2, 0.0, 0.4, -0.1];
    let series = |code: &str, batch: &str, points: Vec<PointIn>| SeriesIn {
        line: "L01".into(),
        parameter: code.into(),
        batch: batch.into(),
        points,
    };
    // A batch in control (the shelf temperature left out when it drifts).
    let steady = |batch: &str, start: i64, n: usize, drifting: bool| {
        let mut out = Vec::new();
        for (code, _, _, subgroup, center, sigma, ..) in parameters {
            let mut pts = Vec::new();
            for i in 0..n {
                let t = start + i as i64 * minute;
                let z = calm[i % 10];
                if subgroup == 1 {
                    pts.push(point(t, center + sigma * z));
                } else {
                    let mean = center + sigma / (subgroup as f64).sqrt() * z;
                    pts.extend(spread.iter().map(|o| point(t, mean + sigma * o)));
                }
            }
            if code != "shelf_temp" || !drifting {
                out.push(series(code, batch, pts));
            }
        }
        out
    };
    // 批号: the day it was made, as 年月日 and a running number.
    let batch_of = |t: i64| format!("{}01", yaolian_core::Timestamp(t).china_date().format("%y%m%d"));
    let yesterday = now - 26 * 3600 * 1000;
    let today = now - 61 * minute;
    let (first, second) = (batch_of(yesterday), batch_of(today));
    blackbox::ingest(store, &qa, &Ingest { series: steady(&first, yesterday, 120, false) }, client).await?;
    blackbox::ingest(store, &qa, &Ingest { series: steady(&second, today, 60, true) }, client).await?;
    let drift = blackbox::drift_z(60);
    let temp = |r: std::ops::Range<usize>| {
        let pts = r.map(|i| point(today + i as i64 * minute, -40.0 + 0.6 * drift[i])).collect();
        series("shelf_temp", &second, pts)
    };
    for part in [vec![temp(0..20)], vec![temp(25..45)], vec![temp(45..60), temp(20..25)]] {
        blackbox::ingest(store, &qa, &Ingest { series: part }, client).await?;
    }
    Ok(())
}

/// Adverse reaction reports (不良反应报告) from 浙江省人民医院 over the last year: seven drugs, each
/// reported six times with each of eight common reactions (clean pairs: reported as often as the
/// others), and 康辰's 注射用头孢曲松钠 nine times with anaphylactic shock, which three other
/// reports name with other drugs — the planted signal. 康辰 reports three of the hospital's cases
/// again (kept as duplicates, not counted). 浙江省局's inspector runs the detection, which finds the
/// planted pair and leaves it for the bureau to assess.
async fn seed_signals(store: &Store, client: &ClientInfo) -> Result<()> {
    use yaolian_signals::adr::{self, NewDrug, NewEvent, NewReport};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (hospital, holder, inspector) = (user("zjph.master").await?, user("kc.qa").await?, user("zj.inspector").await?);
    let drugs: [(&str, &str); 7] = [
        ("盐酸二甲双胍片", "国药准字H20230001"),
        ("阿莫西林胶囊", "国药准字H20230002"),
        ("注射用头孢曲松钠", "国药准字H20240017"),
        ("连花清瘟胶囊", "国药准字Z20200005"),
        ("布洛芬缓释胶囊", "国药准字H32020543"),
        ("硝苯地平控释片", "国药准字H20213345"),
        ("阿托伐他汀钙片", "国药准字HJ20200012"),
    ];
    let common = ["E0101", "E0102", "E0201", "E0202", "E0203", "E0301", "E0302", "E0403"];
    let today = yaolian_core::Timestamp::now().china_date();
    let outcomes = ["recovered", "improved", "improved", "recovered", "not_recovered", "unknown"];
    let report = |i: usize, (generic, approval): (&str, &str), term: &str| {
        let onset = today - chrono::Duration::days(3 + (i as i64 * 7) % 360);
        NewReport {
            external_ref: format!("ZJPH-ADR-{:04}", i + 1),
            reporter_kind: "medical".into(),
            novel: i.is_multiple_of(11),
            serious: term == "E0501",
            sex: if i.is_multiple_of(3) { "male" } else { "female" }.into(),
            age: Some(6 + (i as i64 * 13) % 80),
            onset_on: onset.to_string(),
            outcome: if term == "E0501" { "recovered" } else { outcomes[i % outcomes.len()] }.into(),
            description: if term == "E0501" {
                "静脉滴注开始约 5 分钟后出现胸闷、呼吸困难、血压下降，立即停药并予肾上腺素等抢救后好转。".into()
            } else {
                "用药后出现不适，停药或对症处理后缓解。".into()
            },
            drugs: vec![NewDrug {
                generic: generic.into(),
                approval_number: approval.into(),
                batch: format!("2509{:02}", 1 + i % 28),
                ..NewDrug::default()
            }],
            events: vec![NewEvent { term: term.into(), verbatim: String::new() }],
        }
    };
    let mut reports = Vec::new();
    for drug in drugs {
        for term in common {
            for _ in 0..6 {
                reports.push(report(reports.len(), drug, term));
            }
        }
    }
    for _ in 0..9 {
        reports.push(report(reports.len(), drugs[2], "E0501"));
    }
    for k in [1, 4, 6] {
        reports.push(report(reports.len(), drugs[k], "E0501"));
    }
    adr::submit_many(store, &hospital, &reports, "api", client).await?;
    // The holder's own reports of three of the hospital's cases.
    let again: Vec<NewReport> = reports
        .iter()
        .rev()
        .take(6)
        .skip(3)
        .enumerate()
        .map(|(k, r)| NewReport {
            external_ref: format!("KC-PV-2026-{:03}", k + 1),
            reporter_kind: "holder".into(),
            ..r.clone()
        })
        .collect();
    adr::submit_many(store, &holder, &again, "form", client).await?;
    yaolian_signals::detection::run(store, &inspector, client).await?;
    Ok(())
}

/// 浙江省局's risk cases (风险处置): two trace anomalies at its companies' sites raised as cases —
/// one run through to its closure (disposed by the inspector, verified by the leader), one with
/// the inspector — and a report raised by hand, waiting to be assigned.
async fn seed_cases(store: &Store, ids: &[(&str, i64, &str)], client: &ClientInfo) -> Result<()> {
    use yaolian_supervision::cases::{self, Disposal, NewCase, Verification};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (inspector, leader) = (user("zj.inspector").await?, user("zj.leader").await?);
    // Every company scored before the cases, so that their closure moves the scores.
    let national = user("nmpa.leader").await?;
    yaolian_supervision::scores::recompute(store, &national, None, "", client).await?;
    let open: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM trace_anomalies a JOIN trace_sites s ON s.id = a.site \
         WHERE a.status = 'open' AND s.org_id IS NOT NULL \
         ORDER BY CASE WHEN a.kind = 'sale_recalled' THEN 0 ELSE 1 END, a.id LIMIT 50",
    )
    .fetch_all(store.pool())
    .await?;
    let mut raised = Vec::new();
    for id in open {
        if let Ok((c, true)) = cases::from_trace_anomaly(store, &inspector, id, client).await {
            raised.push(c);
        }
        if raised.len() == 2 {
            break;
        }
    }
    if let Some(c) = raised.first() {
        let c = cases::assign(store, &leader, c.id, "zj.inspector", c.version, client).await?;
        let d = Disposal {
            findings: "现场核查：门店在召回通知后仍售出 1 盒，同批次剩余 12 盒已就地封存，门店已提交整改报告".into(),
            measures: vec!["interview".into(), "rectify".into()],
            version: c.version,
        };
        let c = cases::dispose(store, &inspector, c.id, &d, client).await?;
        let v = Verification { passed: true, note: "整改报告与现场情况一致".into(), version: c.version };
        let c = cases::verify(store, &leader, c.id, &v, client).await?;
        cases::close(store, &leader, c.id, "", c.version, client).await?;
    }
    if let Some(c) = raised.get(1) {
        cases::assign(store, &leader, c.id, "zj.inspector", c.version, client).await?;
    }
    let company = ids.iter().find(|(k, _, _)| *k == "ms").or_else(|| ids.iter().find(|(k, _, _)| *k == "kc"));
    if let Some((_, company_id, _)) = company {
        let new = NewCase {
            company_id: *company_id,
            title: "群众举报：门店销售标签不清的药品".into(),
            description: "12315 平台转来举报，称门店货架上有标签磨损、批号无法辨认的药品在售".into(),
            level: "medium".into(),
        };
        cases::raise(store, &inspector, &new, client).await?;
    }
    // Closed cases with measures spread the companies over the credit grades: 民生 B
    // (one filed), 恒泰 C (two filed), 华康 D (three filed); 康辰 keeps its closed recall case.
    let js = user("js.inspector").await?;
    let spread: [(&str, &yaolian_access::Principal, &yaolian_access::Principal, usize, &str); 3] = [
        ("ms", &inspector, &leader, 1, "门店销售标签不清的药品，已立案调查"),
        ("ht", &js, &national, 2, "飞行检查发现批生产记录不完整，已责令整改并立案"),
        ("hk", &js, &national, 3, "冷链运输温度记录缺失，已立案调查"),
    ];
    for (key, officer, checker, n, findings) in spread {
        let Some((_, company_id, _)) = ids.iter().find(|(k, _, _)| *k == key) else { continue };
        for i in 1..=n {
            let new = NewCase {
                company_id: *company_id,
                title: format!("日常监督检查发现问题（第 {i} 起）"),
                description: String::new(),
                level: "medium".into(),
            };
            let c = cases::raise(store, officer, &new, client).await?;
            let c = cases::assign(store, officer, c.id, officer.username(), c.version, client).await?;
            let d = Disposal {
                findings: findings.into(),
                measures: vec!["rectify".into(), "file_case".into()],
                version: c.version,
            };
            let c = cases::dispose(store, officer, c.id, &d, client).await?;
            let v = Verification { passed: true, note: "整改材料与现场核实一致".into(), version: c.version };
            let c = cases::verify(store, checker, c.id, &v, client).await?;
            cases::close(store, checker, c.id, "", c.version, client).await?;
        }
    }
    yaolian_supervision::scores::recompute(store, &national, None, "", client).await?;
    Ok(())
}

/// 浙江省局's inspection plan for next year (年度检查计划): generated from the scores by the
/// inspector, one visit moved with its reason, published under the leader's signature.
async fn seed_plan(store: &Store, password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_supervision::plans::{self, Filter, VisitChange};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (inspector, leader) = (user("zj.inspector").await?, user("zj.leader").await?);
    use chrono::Datelike;
    let year = i64::from(yaolian_core::Timestamp::now().china_date().year()) + 1;
    let g = plans::generate(store, &inspector, year, client).await?;
    let (visits, _) = plans::visits_of(store, &inspector, g.plan.id, &Filter::default(), 1, 0, client).await?;
    if let Some(v) = visits.first() {
        let change = VisitChange {
            month: Some(v.month % 12 + 1),
            cancel: false,
            reason: "企业计划当月停产检修，顺延一个月".into(),
            version: v.version,
        };
        plans::change(store, &inspector, v.id, &change, client).await?;
    }
    let identity = IdentityConfig::default();
    plans::publish(store, &identity, &leader, g.plan.id, g.plan.version, (password, None), client).await?;
    seed_onsite(store, &inspector, g.plan.id, password, client).await
}

/// 康辰's visit carried out on site by the inspector and the leader: the checklist worked
/// through, a major finding with its evidence locked, signed by the inspector and by 康辰's
/// representative; and 民生's first visit started, with a minor finding being recorded.
async fn seed_onsite(
    store: &Store,
    inspector: &yaolian_access::Principal,
    plan_id: i64,
    password: &str,
    client: &ClientInfo,
) -> Result<()> {
    use base64::Engine;
    use yaolian_supervision::onsite::{self, NewFinding, Progress};
    use yaolian_supervision::plans::{self, Filter};
    let (visits, _) = plans::visits_of(store, inspector, plan_id, &Filter::default(), 1_000, 0, client).await?;
    let identity = IdentityConfig::default();
    // 康辰's first visit, then the first visit of another company.
    let kc = visits.iter().find(|v| v.status == "planned" && v.company_name.contains("康辰"));
    let other = visits.iter().find(|v| v.status == "planned" && !v.company_name.contains("康辰"));
    let members = vec!["zj.leader".to_string()];
    if let Some(v) = kc {
        let o = onsite::start(store, inspector, v.id, &members, v.version, client).await?;
        let mut checklist = o.checklist.clone();
        for (n, item) in checklist.iter_mut().enumerate() {
            item.result = if n == 7 { "nonconform" } else { "conform" }.into();
        }
        checklist[7].note = "灭菌工序批记录不完整".into();
        let p = Progress {
            checklist, conclusion: "发现主要缺陷 1 项，责令企业限期整改".into(), version: o.version
        };
        onsite::progress(store, inspector, v.id, &p, client).await?;
        let photo = "灭菌柜 2 号 2026-11-18 批记录：温度曲线页缺失（现场照片）";
        let finding = NewFinding {
            grade: "major".into(),
            clause: "《药品生产质量管理规范（2010年修订）》第一百七十五条".into(),
            description: "灭菌工序批生产记录缺少温度曲线，无法证明灭菌过程受控".into(),
            files: vec![yaolian_records::files::Upload {
                label: "现场证据".into(),
                name: "灭菌批记录照片.txt".into(),
                content_type: "text/plain".into(),
                content_base64: base64::engine::general_purpose::STANDARD.encode(photo),
            }],
        };
        onsite::add_finding(store, inspector, v.id, &finding, client).await?;
        let o = onsite::get(store, inspector, v.id, client).await?.context("on-site record")?;
        let o = onsite::sign_inspector(store, &identity, inspector, v.id, o.version, (password, None), client).await?;
        let o =
            onsite::sign_company(store, &identity, inspector, v.id, o.version, "kc.master", (password, None), client)
                .await?;
        // 康辰's quality head answers the finding with its rectification, waiting for verification.
        if let Some(f) = o.findings.first() {
            let qa_id = yaolian_identity::users::id_by_username(store, "kc.qa").await?;
            let qa = yaolian_identity::auth::principal_for_user(store, qa_id).await?;
            let answer = onsite::CapaResponse {
                capa:
                    "原因：灭菌柜温度记录仪数据导出程序未纳入批记录审核清单。措施：补打并归档 2026-11-18 批温度曲线，\
                       修订批记录审核清单，对灭菌岗位 6 人培训；完成情况：已完成，附培训签到表。"
                        .into(),
                version: f.version,
            };
            onsite::respond(store, &qa, f.id, &answer, client).await?;
        }
    }
    if let Some(v) = other {
        onsite::start(store, inspector, v.id, &members, v.version, client).await?;
        let finding = NewFinding {
            grade: "minor".into(),
            description: "阴凉区温湿度记录未按规定频次填写".into(),
            ..NewFinding::default()
        };
        onsite::add_finding(store, inspector, v.id, &finding, client).await?;
    }
    Ok(())
}

/// 浙江省局's enforcement (执法办案): a real-name report that 民生大药房 sold expired medicines,
/// accepted and turned into a case, filed by the leader with two handlers, its evidence locked,
/// reviewed by the legal officer, noticed, the party's statement recorded, decided under the
/// bureau's seal (a fine and the confiscated gains) and served; a second report about 康辰药业
/// whose case waits on a hearing that pauses its decision clock; a complaint answered; and a clue
/// still being checked.
async fn seed_enforcement(
    store: &Store,
    password: &str,
    sealing: &yaolian_license::licenses::Sealing,
    client: &ClientInfo,
) -> Result<()> {
    use yaolian_supervision::complaints::{self, NewComplaint, Reply, Triage};
    use yaolian_supervision::documents::Penalty;
    use yaolian_supervision::enforcement::{self, Dated, Decision, Filing, Investigation, NewClue, Review};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (inspector, leader, legal) = (user("zj.inspector").await?, user("zj.leader").await?, user("zj.legal").await?);
    let identity = IdentityConfig::default();
    let sign = (password, None);
    let org_id = |code: &'static str| async move {
        anyhow::Ok(
            sqlx::query_scalar::<_, i64>("SELECT id FROM orgs WHERE name = $1")
                .bind(code)
                .fetch_one(store.pool())
                .await?,
        )
    };
    let days_ago = |n: i64| (yaolian_core::Timestamp::now().china_date() - chrono::Duration::days(n)).to_string();
    let dated = |version: i64, text: &str, on: String| Dated {
        on,
        text: text.into(),
        method: String::new(),
        paid_fen: 0,
        version,
    };
    let ms = org_id("杭州民生大药房连锁有限公司").await?;
    let kc = org_id("浙江康辰药业有限公司").await?;

    // The report about 民生大药房, through to the served decision.
    let report = NewComplaint {
        kind: "report".into(),
        channel: "hotline".into(),
        company_id: Some(ms),
        subject: "门店销售过期药品".into(),
        content: "举报人称在民生大药房西湖文化广场店购得已超过有效期的头孢克肟胶囊 2 盒，并提供购药小票照片。".into(),
        reporter: "王某".into(),
        contact: "138****0000".into(),
        real_name: true,
        received_on: days_ago(12),
    };
    let t = complaints::register(store, &inspector, &report, client).await?;
    let note = "线索具体，举报人提供了购药凭证，予以受理并转立案核查".to_string();
    let t =
        complaints::triage(store, &inspector, t.id, &Triage { accept: true, note, version: t.version }, client).await?;
    let (_, e) = complaints::to_enforcement(store, &inspector, t.id, t.version, client).await?;
    let handlers = vec!["zj.inspector".to_string(), "zj.inspector2".to_string()];
    let e = enforcement::file(store, &identity, &leader, e.id, &Filing { handlers, version: e.version }, sign, client)
        .await?;
    let record = yaolian_records::files::Upload {
        label: "现场检查笔录".into(),
        name: "现场检查笔录.txt".into(),
        content_type: "text/plain".into(),
        content_base64: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "现场检查笔录：货架上查见超过有效期的头孢克肟胶囊 20 盒，已先行登记保存。".as_bytes(),
        ),
    };
    let e = enforcement::add_evidence(store, &inspector, e.id, &[record], e.version, client).await?;
    let investigation = Investigation {
        facts: "经查，当事人于本年度购进头孢克肟胶囊（批号 K2401）50 盒，超过有效期后仍在西湖文化广场店陈列销售，\
                已售出 30 盒，违法所得 600 元，货值金额 1000 元。以上事实有现场检查笔录、购进票据、销售记录为证。"
            .into(),
        legal_basis: "《中华人民共和国药品管理法》第九十八条第三款第（五）项（超过有效期的药品按劣药论处）".into(),
        penalty_basis:
            "《中华人民共和国药品管理法》第一百一十七条第一款（违法零售的药品货值金额不足一万元的，按一万元计算）"
                .into(),
        penalties: vec![
            Penalty { kind: "confiscate_gains".into(), amount_fen: 60_000, note: "违法所得".into() },
            Penalty {
                kind: "fine".into(), amount_fen: 10_000_000, note: "货值金额按一万元计算的十倍".into()
            },
        ],
        hearing_right: true,
        version: e.version,
    };
    let e = enforcement::submit_report(store, &inspector, e.id, &investigation, client).await?;
    let opinion = "事实清楚，证据确凿，定性准确，适用依据正确，程序合法，处罚适当。".to_string();
    let review = Review { passed: true, opinion, version: e.version };
    let e = enforcement::review(store, &identity, &legal, e.id, &review, sign, client).await?;
    let e = enforcement::notify(
        store,
        &identity,
        sealing,
        &leader,
        e.id,
        &dated(e.version, "", String::new()),
        sign,
        client,
    )
    .await?;
    let statement = "当事人承认违法事实，称系门店养护人员疏忽所致，已全面清查近效期药品，请求从轻处罚。";
    let e = enforcement::record_statement(store, &inspector, e.id, &dated(e.version, statement, String::new()), client)
        .await?;
    let consideration = "当事人陈述的整改情况属实，但不符合从轻处罚的法定情形，不予采纳。".to_string();
    let decision = Decision { outcome: "penalty".into(), consideration, version: e.version };
    let e = enforcement::decide(store, &identity, sealing, &leader, e.id, &decision, sign, client).await?;
    let mut served = dated(e.version, "当事人委托代理人陈某签收", String::new());
    served.method = "direct".into();
    enforcement::serve(store, &inspector, e.id, &served, client).await?;

    // The report about 华康医药: the party asked for a hearing, which pauses the decision clock.
    let report = NewComplaint {
        kind: "report".into(),
        channel: "form".into(),
        company_id: Some(kc),
        subject: "药品储存温度不符合要求".into(),
        content: "举报人称康辰药业钱塘生产基地成品冷库温度长期超标，冷藏药品仍正常发货。".into(),
        received_on: days_ago(20),
        ..NewComplaint::default()
    };
    let t = complaints::register(store, &inspector, &report, client).await?;
    let note = "予以受理，转立案核查".to_string();
    let t =
        complaints::triage(store, &inspector, t.id, &Triage { accept: true, note, version: t.version }, client).await?;
    let (_, e) = complaints::to_enforcement(store, &inspector, t.id, t.version, client).await?;
    let handlers = vec!["zj.inspector".to_string(), "zj.inspector2".to_string()];
    let e = enforcement::file(store, &identity, &leader, e.id, &Filing { handlers, version: e.version }, sign, client)
        .await?;
    let investigation = Investigation {
        facts: "经查，当事人冷库温度记录显示 30 日内有 11 日超出 2～8℃，期间仍发出冷藏药品 126 件。".into(),
        legal_basis: "《中华人民共和国药品管理法》第五十三条第一款".into(),
        penalty_basis: "《中华人民共和国药品管理法》第一百二十六条".into(),
        penalties: vec![
            Penalty { kind: "warning".into(), amount_fen: 0, note: String::new() },
            Penalty { kind: "fine".into(), amount_fen: 50_000_000, note: String::new() },
        ],
        hearing_right: true,
        version: e.version,
    };
    let e = enforcement::submit_report(store, &inspector, e.id, &investigation, client).await?;
    let review =
        Review { passed: true, opinion: "同意调查终结报告的处理意见。".into(), version: e.version };
    let e = enforcement::review(store, &identity, &legal, e.id, &review, sign, client).await?;
    let e = enforcement::notify(
        store,
        &identity,
        sealing,
        &leader,
        e.id,
        &dated(e.version, "", String::new()),
        sign,
        client,
    )
    .await?;
    enforcement::request_hearing(
        store,
        &inspector,
        e.id,
        &dated(e.version, "当事人书面申请听证", String::new()),
        client,
    )
    .await?;

    // A consumer's complaint answered, and a clue opened by hand still being checked.
    let complaint = NewComplaint {
        kind: "complaint".into(),
        channel: "letter".into(),
        company_id: Some(ms),
        subject: "药店拒绝退换拆零药品".into(),
        content: "投诉人称购买的拆零药品未开封，药店拒绝退换。".into(),
        reporter: "李某".into(),
        received_on: days_ago(3),
        ..NewComplaint::default()
    };
    let t = complaints::register(store, &inspector, &complaint, client).await?;
    let note = "属于消费纠纷，予以受理并组织调解".to_string();
    let t =
        complaints::triage(store, &inspector, t.id, &Triage { accept: true, note, version: t.version }, client).await?;
    let text = "经调解，药店向投诉人说明药品一经售出不得退换的规定，投诉人表示理解。".to_string();
    complaints::reply(store, &inspector, t.id, &Reply { text, version: t.version }, client).await?;
    let clue = NewClue {
        company_id: ms,
        title: "网络销售处方药未凭处方".into(),
        facts: "网络巡查发现当事人网店销售处方药未审核处方。".into(),
        clue_on: days_ago(2),
    };
    enforcement::open(store, &inspector, &clue, client).await?;
    Ok(())
}

/// 浙江省局's sampling (抽检): last year's plan with 康辰's 头孢曲松钠 passing (the history a
/// later result is compared with), and this year's plan with a batch of it failing its assay —
/// its report signed, the disposal case raised and the batch's recall ordered to every holder
/// in the trace data — and other tasks left at each step: tested awaiting the report, received,
/// sampled in transit, assigned, planned.
async fn seed_sampling(store: &Store, password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_supervision::sampling::{self, Filter, Handover, NewPlan, Results, Sample, Taken, TestItem};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (inspector, leader) = (user("zj.inspector").await?, user("zj.leader").await?);
    let identity = IdentityConfig::default();
    let team = vec!["zj.inspector".to_string(), "zj.leader".to_string()];
    let item = |name: &str, unit: &str, (low, high): (&str, &str), value: &str| TestItem {
        item: name.into(),
        unit: unit.into(),
        low: low.into(),
        high: high.into(),
        value: value.into(),
        verdict: String::new(),
    };
    // A task taken by the inspector, handed to the leader, received and tested (up to `to`).
    let carry = |s: Sample, batch: String, to: &'static str, assay: &'static str| {
        let (inspector, leader, team, identity) = (&inspector, &leader, &team, &identity);
        async move {
            let s = sampling::assign(store, inspector, s.id, team, s.version, client).await?;
            if to == "assigned" {
                return anyhow::Ok(s);
            }
            let taken = Taken {
                batch,
                quantity: "20 瓶".into(),
                place: format!("{} 成品库", s.company_name),
                seal: format!("ZJCY-{:06}", s.id),
                version: s.version,
            };
            let s = sampling::take(store, inspector, s.id, &taken, client).await?;
            let h = Handover {
                to: "zj.leader".into(),
                place: "浙江省食品药品检验研究院 收样室".into(),
                note: "冷藏箱运送".into(),
                seal_intact: true,
                version: s.version,
            };
            let s = sampling::hand_over(store, inspector, s.id, &h, client).await?;
            if to == "sampled" {
                return Ok(s);
            }
            let s = sampling::receive(store, leader, s.id, &Handover { version: s.version, ..h }, client).await?;
            if to == "received" {
                return Ok(s);
            }
            let r = Results {
                items: vec![
                    item("性状", "", ("", ""), "符合规定"),
                    item("鉴别", "", ("", ""), "符合规定"),
                    item("含量测定", "%", ("90.0", "110.0"), assay),
                    item("有关物质（总杂质）", "%", ("", "2.0"), "0.6"),
                ],
                conclusion: if assay.parse::<f64>().is_ok_and(|a| a < 90.0) {
                    "含量测定不符合规定".into()
                } else {
                    String::new()
                },
                version: s.version,
            };
            let s = sampling::record_results(store, inspector, s.id, &r, client).await?;
            if to == "tested" {
                return Ok(s);
            }
            Ok(sampling::sign_report(store, identity, leader, s.id, s.version, (password, None), client).await?)
        }
    };
    // Batches of 康辰's 头孢曲松钠 in the trace data, most packs first, none recalled yet.
    let product: Option<i64> =
        sqlx::query_scalar("SELECT id FROM products WHERE approval_number = '国药准字H20240017'")
            .fetch_optional(store.pool())
            .await?;
    let Some(product) = product else { return Ok(()) };
    let batches: Vec<String> = sqlx::query_scalar(
        "SELECT batch FROM trace_codes WHERE product_id = $1 AND level = 'unit' AND recall_id IS NULL \
         AND batch IS NOT NULL GROUP BY batch ORDER BY COUNT(*) DESC",
    )
    .bind(product)
    .fetch_all(store.pool())
    .await?;
    let batch = |n: usize| batches.get(n).cloned().unwrap_or_else(|| format!("CX{:06}", 240_000 + n));
    use chrono::Datelike;
    let year = i64::from(yaolian_core::Timestamp::now().china_date().year());
    for (y, title) in [(year - 1, "药品质量抽检"), (year, "药品质量监督抽检")] {
        let new = NewPlan {
            year: y,
            title: format!("{y} 年{title}"),
            basis: "浙江省药品监督管理局药品抽检工作方案".into(),
            classes: Vec::new(),
            levels: Vec::new(),
            quota: 12,
        };
        let plan = sampling::create_plan(store, &inspector, &new, client).await?;
        let (tasks, _) = sampling::samples_of(store, &inspector, plan.id, &Filter::default(), (100, 0), client).await?;
        let ours = tasks.iter().find(|t| t.product_id == product).cloned();
        let others: Vec<Sample> = tasks.iter().filter(|t| t.product_id != product).cloned().collect();
        if y < year {
            if let Some(t) = ours {
                carry(t, batch(1), "passed", "99.2").await?;
            }
            continue;
        }
        if let Some(t) = ours {
            carry(t, batch(0), "failed", "86.4").await?;
        }
        for (t, to) in others.into_iter().zip(["tested", "received", "sampled", "assigned"]) {
            let b = format!("{}{:04}", if to == "tested" { "S" } else { "B" }, t.id);
            carry(t, b, to, "101.3").await?;
        }
    }
    Ok(())
}

/// 康辰's deviations and CAPAs: an OOS result investigated with its CAPA, whose effectiveness
/// check failed and reopened it; an environment deviation approved and closed with a CAPA found
/// effective; an excursion the monitoring system reported; one just reported by hand.
async fn seed_quality(store: &Store, ids: &[(&str, i64, &str)], password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_quality::capa::{self, NewAction, NewCapa};
    use yaolian_quality::deviations::{self, Investigation, NewDeviation, Oos};
    let org = |key: &str| ids.iter().find(|(k, _, _)| *k == key).map(|(_, id, _)| *id).context("seed org");
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, analyst, master) = (user("kc.qa").await?, user("kc.analyst").await?, user("kc.master").await?);
    let cfg = yaolian_quality::QualityConfig::default();
    let identity = IdentityConfig::default();
    let day = |days: i64| (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(days)).to_string();
    let oos = Oos {
        org_id: org("kc.lab")?,
        test: "含量测定".into(),
        result: "93.2%".into(),
        specification: "95.0%～105.0%".into(),
        product: "盐酸二甲双胍片".into(),
        batch: "B2026017".into(),
        record_ref: "ELN-2026-0112".into(),
    };
    let d = deviations::from_oos(store, &cfg, &analyst, &oos, client).await?;
    let inv = Investigation {
        classification: "major".into(),
        classification_reason: "含量结果低于标准下限，可能影响疗效，须调查是否涉及其他批次".into(),
        cause_category: "method".into(),
        five_whys: vec![
            "为什么含量偏低？供试品溶液浓度低于规定".into(),
            "为什么浓度偏低？定容体积大于规定".into(),
            "为什么定容体积错误？检验员使用了错误规格的容量瓶".into(),
            "为什么用错容量瓶？操作规程未写明容量瓶规格".into(),
        ],
        root_cause: "检验操作规程 SOP-QC-012 未写明容量瓶规格".into(),
        impact: "复测合格；仅影响本批检验记录，不涉及产品放行".into(),
    };
    deviations::investigate(store, &cfg, &qa, d.id, &inv, "", client).await?;
    let new = NewCapa {
        org_id: org("kc.lab")?,
        deviation_id: Some(d.id),
        title: "修订含量测定操作规程并培训".into(),
        actions: vec![
            NewAction {
                description: "修订 SOP-QC-012，写明容量瓶规格".into(), owner: "吴丽".into(), due_on: day(14)
            },
            NewAction {
                description: "对理化实验室检验员培训并考核".into(), owner: "郑涛".into(), due_on: day(21)
            },
        ],
    };
    let c = capa::open(store, &qa, &new, client).await?;
    capa::complete_action(store, &analyst, c.id, 0, "SOP-QC-012 第 3 版已生效", client).await?;
    capa::complete_action(store, &analyst, c.id, 1, "培训记录 TR-2026-031，考核合格", client).await?;
    capa::close(store, &cfg, &identity, &qa, c.id, "两项措施均已落实", password, client).await?;
    capa::check_effectiveness(store, &identity, &qa, c.id, false, "复查后续三批，仍有一次容量瓶用错", password, client)
        .await?;
    let more =
        [NewAction {
            description: "容量瓶按规格分区存放并贴色标".into(), owner: "孙洁".into(), due_on: day(30)
        }];
    capa::add_actions(store, &qa, c.id, &more, "有效性检查未通过，追加措施", client).await?;
    // An environment deviation in production, minor, approved and closed.
    let env = NewDeviation {
        org_id: org("kc")?,
        title: "D 级洁净区压差低于标准".into(),
        description: "固体制剂车间 D 级区与一般区压差 8 Pa，低于 10 Pa 的标准，持续约 20 分钟".into(),
        location: "固体制剂车间 D 级区".into(),
        immediate_actions: "暂停生产，检查送风机组，恢复后监测 2 小时正常".into(),
        ..NewDeviation::default()
    };
    // Reported by QA: the lab analyst's scope is the lab.
    let e = deviations::report(store, &cfg, &qa, &env, client).await?;
    let minor = Investigation {
        classification: "minor".into(),
        classification_reason: "时间短，产品暴露风险低，不影响产品质量".into(),
        cause_category: "machine".into(),
        five_whys: vec!["为什么压差下降？送风量下降".into(), "为什么送风量下降？初效过滤器堵塞".into()],
        root_cause: "初效过滤器未按周期更换".into(),
        impact: "评估同时段生产的两批产品，无影响".into(),
    };
    deviations::investigate(store, &cfg, &qa, e.id, &minor, "", client).await?;
    deviations::approve(store, &cfg, &identity, &qa, e.id, password, None, client).await?;
    // Production's preventive action on the filters: done and found effective.
    let filters = NewCapa {
        org_id: org("kc")?,
        deviation_id: None,
        title: "空调系统初效过滤器按压差更换".into(),
        actions: vec![NewAction {
            description: "初效过滤器加装压差计，超限即更换".into(),
            owner: "周强".into(),
            due_on: day(7),
        }],
    };
    let f = capa::open(store, &qa, &filters, client).await?;
    capa::complete_action(store, &master, f.id, 0, "压差计已安装，更换记录 HV-2026-044", client).await?;
    capa::close(store, &cfg, &identity, &qa, f.id, "措施已落实", password, client).await?;
    capa::check_effectiveness(store, &identity, &qa, f.id, true, "此后三个月压差均在标准内", password, client).await?;
    // An environment-monitoring excursion, opened by the monitoring system itself.
    let excursion = deviations::Signal {
        org_id: org("kc")?,
        source: "environment".into(),
        at: "固体制剂车间 D 级区 压片间".into(),
        parameter: "悬浮粒子（≥0.5 µm）".into(),
        reading: "3 810 000 个/m³".into(),
        limit: "行动限 3 520 000 个/m³".into(),
        record_ref: "EM-2026-1128-03".into(),
        ..deviations::Signal::default()
    };
    deviations::from_signal(store, &cfg, &qa, &excursion, client).await?;
    // One just reported in the lab.
    let hplc = NewDeviation {
        org_id: org("kc.lab")?,
        title: "2 号液相色谱仪柱温波动".into(),
        description: "有关物质测定中柱温在 28–33 ℃ 之间波动，超出 30±1 ℃ 的规定".into(),
        location: "理化实验室 2 号液相".into(),
        record_ref: "ELN-2026-0120".into(),
        ..NewDeviation::default()
    };
    deviations::report(store, &cfg, &analyst, &hplc, client).await?;
    seed_documents(store, ids, password, client).await
}

/// 康辰's controlled documents in every state: one in force with the analyst trained and its
/// next revision in review, one whose second revision superseded the first, one approved for
/// a later date, one obsolete, one still a draft. Written by QA, approved by the master account;
/// the QC laboratory's procedures belong to the lab, where its analysts work under them.
async fn seed_documents(store: &Store, ids: &[(&str, i64, &str)], password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_quality::documents::{self, NewDocument};
    let org = |key: &str| ids.iter().find(|(k, _, _)| *k == key).map(|(_, id, _)| *id).context("seed org");
    // The QC laboratory's procedures are the lab's; production's are the company's.
    let (lab, kc) = (org("kc.lab")?, org("kc")?);
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, master, analyst) = (user("kc.qa").await?, user("kc.master").await?, user("kc.analyst").await?);
    let identity = IdentityConfig::default();
    let today = yaolian_core::Timestamp::now().china_date();
    let file = |code: &str, revision: u32| demo_sop(code, revision);
    let create = |code: &'static str, title: &'static str, revision: u32| {
        let new = NewDocument {
            org_id: if code.starts_with("SOP-PR") { kc } else { lab },
            code: code.into(),
            title: title.into(),
            review_months: 24,
            file: file(code, revision),
        };
        let qa = qa.clone();
        async move { anyhow::Ok(documents::create(store, &qa, &new, client).await?) }
    };
    let publish = |id: i64, on: String| {
        let (qa, master, identity) = (qa.clone(), master.clone(), identity.clone());
        async move {
            documents::submit(store, &qa, id, client).await?;
            anyhow::Ok(documents::approve(store, &identity, &master, id, &on, password, client).await?)
        }
    };
    let d = create("SOP-QC-012", "含量测定操作规程", 1).await?;
    let d = publish(d.id, today.to_string()).await?;
    let rev = d.effective().map(|r| r.id).context("in force")?;
    documents::record_training(store, &qa, d.id, rev, analyst.user_id(), client).await?;
    documents::revise(store, &qa, d.id, &file("SOP-QC-012", 2), "写明容量瓶规格（纠正预防措施）", client).await?;
    documents::submit(store, &qa, d.id, client).await?;
    let d = create("SOP-QC-001", "检验记录填写规程", 1).await?;
    publish(d.id, today.to_string()).await?;
    documents::revise(store, &qa, d.id, &file("SOP-QC-001", 2), "增加电子记录的更正要求", client).await?;
    publish(d.id, today.to_string()).await?;
    let d = create("SOP-QC-030", "高效液相色谱系统适用性规程", 1).await?;
    publish(d.id, (today + chrono::Duration::days(30)).to_string()).await?;
    let d = create("SOP-PR-005", "压片工序操作规程", 1).await?;
    publish(d.id, today.to_string()).await?;
    documents::make_obsolete(store, &qa, d.id, "压片工序改为委托生产", client).await?;
    create("SOP-EQ-101", "分析天平使用与校准规程", 1).await?;
    let d = documents::create(
        store,
        &qa,
        &NewDocument {
            org_id: kc,
            code: "SMP-MM-003".into(),
            title: "物料供应商管理规程".into(),
            review_months: 36,
            file: file("SMP-MM-003", 1),
        },
        client,
    )
    .await?;
    publish(d.id, today.to_string()).await?;
    seed_changes(store, ids, d.id, password, client).await
}

/// Changes (变更控制): a supplier change being implemented (FMEA with a high RPN, approvals
/// signed, a task done, its procedure revised under it, one of three first batches evaluated), a
/// method change awaiting approval, and a request not yet assessed.
async fn seed_changes(
    store: &Store,
    ids: &[(&str, i64, &str)],
    procedure: i64,
    password: &str,
    client: &ClientInfo,
) -> Result<()> {
    use yaolian_quality::changes::{self, Assessment, NewAction, NewChange, NewRisk};
    let org = |key: &str| ids.iter().find(|(k, _, _)| *k == key).map(|(_, id, _)| *id).context("seed org");
    let (lab, kc) = (org("kc.lab")?, org("kc")?);
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, master, analyst) = (user("kc.qa").await?, user("kc.master").await?, user("kc.analyst").await?);
    let (cfg, identity) = (yaolian_quality::QualityConfig::default(), IdentityConfig::default());
    let due = (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(45)).to_string();
    let risk = |mode: &str, effect: &str, s: i64, o: i64, d: i64, controls: &str| NewRisk {
        mode: mode.into(),
        effect: effect.into(),
        severity: s,
        occurrence: o,
        detection: d,
        controls: controls.into(),
    };
    let task =
        |what: &str, owner: &str| NewAction { description: what.into(), owner: owner.into(), due_on: due.clone() };

    let new = NewChange {
        org_id: kc,
        title: "硬脂酸镁更换供应商".into(),
        description: "盐酸二甲双胍片所用硬脂酸镁的供应商由华东辅料厂变更为江南药用辅料公司".into(),
        reason: "原供应商停产，无法继续供货".into(),
        kind: "material".into(),
        documents: vec![procedure],
        products: vec!["盐酸二甲双胍片".into()],
        methods: vec![],
        equipment: vec![],
    };
    let c = changes::request(store, &cfg, &master, &new, client).await?;
    let a = Assessment {
        classification: "major".into(),
        classification_reason: "润滑剂来源改变可能影响片剂溶出，按主要变更管理".into(),
        risks: vec![
            risk("新供应商硬脂酸镁比表面积不同", "溶出度下降", 8, 4, 4, "前三批加测溶出曲线并与变更前比较"),
            risk("供应商质量体系不完善", "批间差异大", 6, 3, 3, "现场审计，签订质量协议"),
            risk("标签与物料编码混淆", "错用物料", 7, 2, 2, ""),
        ],
        functions: vec!["production".into()],
        tasks: vec![task("供应商现场审计与质量协议", "郑涛"), task("更新物料质量标准和供应商清单", "李敏")],
    };
    changes::assess(store, &cfg, &qa, c.id, &a, client).await?;
    changes::decide(store, &identity, &qa, c.id, "qa", true, "同意，按主要变更实施", password, client).await?;
    changes::decide(store, &identity, &master, c.id, "production", true, "", password, client).await?;
    changes::complete_task(store, &master, c.id, 0, "审计报告 AR-2026-07，质量协议 QA-2026-015", client).await?;
    let file = demo_sop("SMP-MM-003", 2);
    changes::revise_document(store, &qa, c.id, procedure, &file, "合格供应商清单增加江南药用辅料公司", client).await?;
    changes::review_batch(store, &master, c.id, "B2026101", true, "溶出曲线与变更前相似（f2 = 68）", client).await?;

    let new = NewChange {
        org_id: lab,
        title: "含量测定色谱柱更换品牌".into(),
        description: "含量测定用 C18 色谱柱由甲品牌更换为乙品牌，规格不变".into(),
        reason: "原品牌供货周期过长".into(),
        kind: "method".into(),
        methods: vec!["盐酸二甲双胍片含量测定（高效液相色谱法）".into()],
        ..NewChange::default()
    };
    let c = changes::request(store, &cfg, &analyst, &new, client).await?;
    let a = Assessment {
        classification: "minor".into(),
        classification_reason: "规格相同，系统适用性试验可以控制".into(),
        risks: vec![risk("分离度下降", "含量结果偏差", 5, 3, 2, "每次检验做系统适用性试验")],
        functions: vec!["qc".into()],
        tasks: vec![task("新色谱柱方法确认", "王芳")],
    };
    changes::assess(store, &cfg, &qa, c.id, &a, client).await?;

    let new = NewChange {
        org_id: lab,
        title: "分析天平更换".into(),
        description: "质量控制实验室 1 号分析天平报废，更换为同量程新天平".into(),
        reason: "原天平校准不合格且无法维修".into(),
        kind: "equipment".into(),
        equipment: vec!["分析天平（十万分之一）".into()],
        ..NewChange::default()
    };
    changes::request(store, &cfg, &analyst, &new, client).await?;
    Ok(())
}

/// 康辰's laboratory stockroom (试剂室): reagents, a reference standard and controlled chemicals
/// with lots that expire soon, one expired, issues by FEFO and by hand with a reason, a count
/// awaiting approval and one approved; the controlled ones received and issued under two
/// signatures. CAS numbers as in docs/research/quality-inventory.md §1.
async fn seed_inventory(store: &Store, ids: &[(&str, i64, &str)], password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_inventory::items::{self, NewItem};
    use yaolian_inventory::stock::{self, Issue, Receipt, TwoPerson};
    let lab = ids.iter().find(|(k, _, _)| *k == "kc.lab").map(|(_, id, _)| *id).context("seed lab")?;
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let keeper = user("kc.keeper").await?;
    let analyst = user("kc.analyst").await?;
    let qa = user("kc.qa").await?;
    let config = IdentityConfig::default();
    let list = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    #[allow(clippy::type_complexity)]
    let seeds: &[(&str, &str, &str, &str, &str, &str, &str, &str, &str, &str, &str, Option<&str>)] = &[
        (
            "R-0001",
            "乙腈",
            "Acetonitrile",
            "甲基氰 MeCN 氰甲烷",
            "75-05-8",
            "C2H3N",
            "reagent",
            "mL",
            "",
            "GHS02 GHS07",
            "H225 H302 H312 H332 H319 P210 P280",
            Some("1000"),
        ),
        (
            "R-0002",
            "甲醇",
            "Methanol",
            "木醇 木精",
            "67-56-1",
            "CH4O",
            "reagent",
            "mL",
            "",
            "GHS02 GHS06 GHS08",
            "H225 H301 H311 H331 H370 P210",
            Some("1000"),
        ),
        (
            "R-0003",
            "丙酮",
            "Acetone",
            "二甲基酮",
            "67-64-1",
            "C3H6O",
            "reagent",
            "mL",
            "precursor",
            "GHS02 GHS07",
            "H225 H319 H336",
            None,
        ),
        (
            "R-0004",
            "高锰酸钾",
            "Potassium permanganate",
            "灰锰氧 PP粉",
            "7722-64-7",
            "KMnO4",
            "reagent",
            "g",
            "precursor",
            "GHS03 GHS07 GHS09",
            "H272 H302 H410",
            None,
        ),
        (
            "T-0001",
            "氰化钠",
            "Sodium cyanide",
            "山奈 山奈钠",
            "143-33-9",
            "NaCN",
            "reagent",
            "g",
            "toxic",
            "GHS06 GHS09",
            "H300 H310 H330 H410",
            Some("10"),
        ),
        (
            "R-0005",
            "过氧化氢溶液（30%）",
            "Hydrogen peroxide",
            "双氧水",
            "7722-84-1",
            "H2O2",
            "reagent",
            "mL",
            "explosive",
            "GHS05 GHS07",
            "H302 H318",
            None,
        ),
        ("R-0006", "氯化钠", "Sodium chloride", "食盐", "7647-14-5", "NaCl", "reagent", "g", "", "", "", None),
        (
            "R-0007",
            "硫酸",
            "Sulfuric acid",
            "硫镪水",
            "7664-93-9",
            "H2SO4",
            "reagent",
            "mL",
            "precursor",
            "GHS05",
            "H290 H314",
            None,
        ),
        (
            "R-0008",
            "三氯甲烷",
            "Chloroform",
            "氯仿",
            "67-66-3",
            "CHCl3",
            "reagent",
            "mL",
            "precursor",
            "GHS06 GHS08",
            "H302 H315 H319 H331 H336 H351 H361d",
            None,
        ),
        (
            "S-0001",
            "盐酸二甲双胍对照品",
            "Metformin hydrochloride RS",
            "二甲双胍",
            "1115-70-4",
            "C4H11N5·HCl",
            "standard",
            "mg",
            "",
            "GHS07",
            "H302",
            None,
        ),
    ];
    let news: Vec<NewItem> = seeds
        .iter()
        .map(|(code, zh, en, syn, cas, formula, category, unit, control, ghs, hazards, limit)| NewItem {
            org_id: lab,
            code: (*code).into(),
            name_zh: (*zh).into(),
            name_en: (*en).into(),
            synonyms: list(syn),
            cas: Some((*cas).into()),
            formula: (*formula).into(),
            category: (*category).into(),
            unit: (*unit).into(),
            control: (*control).into(),
            ghs: list(ghs),
            hazards: list(hazards),
            storage: if *category == "standard" {
                "2–8 ℃ 避光，干燥器内"
            } else {
                "阴凉通风处，远离火源"
            }
            .into(),
            requisition_limit: limit.map(str::to_string),
        })
        .collect();
    let item_ids = items::create_many(store, &keeper, &news, client).await.context("seeding inventory items")?;
    let item = |code: &str| seeds.iter().position(|s| s.0 == code).map(|i| item_ids[i]).context("seed item");
    let day = |days: i64| (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(days)).to_string();
    let two = TwoPerson {
        password: password.into(),
        witness: "kc.keeper2".into(),
        witness_password: password.into(),
        ..TwoPerson::default()
    };
    let mut lots = std::collections::BTreeMap::new();
    for (code, lot_no, expires, qty, supplier, signed) in [
        ("R-0001", "L2025-1107", 20, "4000", "国药集团化学试剂有限公司", false),
        ("R-0001", "L2026-0316", 400, "8000", "国药集团化学试剂有限公司", false),
        ("R-0002", "M2024-0822", -10, "2000", "上海阿拉丁生化科技股份有限公司", false),
        ("R-0002", "M2026-0105", 300, "4000", "上海阿拉丁生化科技股份有限公司", false),
        ("R-0003", "A2026-0211", 200, "2500", "国药集团化学试剂有限公司", false),
        ("R-0004", "K2026-0118", 700, "500", "国药集团化学试剂有限公司", true),
        ("T-0001", "CN2026-01", 900, "250", "国药集团化学试剂有限公司", true),
        ("R-0005", "H2026-0301", 60, "2500", "西陇科学股份有限公司", false),
        ("R-0006", "N2026-0101", 1000, "5000", "西陇科学股份有限公司", false),
        ("R-0007", "S2026-0120", 800, "2500", "西陇科学股份有限公司", false),
        ("R-0008", "C2024-0605", -40, "500", "西陇科学股份有限公司", false),
        ("S-0001", "100183-202401", 25, "100", "中国食品药品检定研究院", false),
    ] {
        // A controlled chemical's receipt is signed by two keepers; an expired lot recorded at
        // the opening of the books (期初建账) carries no signature of a receipt today.
        let controlled = ["R-0003", "R-0004", "T-0001", "R-0005", "R-0007", "R-0008"].contains(&code);
        let receipt = Receipt {
            item_id: item(code)?,
            lot_no: lot_no.into(),
            supplier: supplier.into(),
            expires_on: day(expires),
            room: "理化实验室 试剂室".into(),
            cabinet: if controlled { "管制试剂专柜（双锁）".into() } else { "2 号试剂柜".into() },
            shelf: "第 2 层".into(),
            container: "500 mL/瓶".into(),
            qty: qty.into(),
            signatures: (controlled || signed).then(|| two.clone()),
            opening: expires < 0,
            ..Receipt::default()
        };
        let lot =
            stock::receive(store, &config, &keeper, &receipt, client).await.with_context(|| format!("lot {lot_no}"))?;
        lots.insert(lot_no, lot.id);
    }
    // Issues: FEFO takes the lot that expires first; a later lot by hand, with its reason.
    let issue = |code: &str, qty: &str, purpose: &str| -> Result<Issue> {
        Ok(Issue { item_id: item(code)?, qty: qty.into(), purpose: purpose.into(), ..Issue::default() })
    };
    stock::issue(
        store,
        &config,
        &analyst,
        &issue("R-0001", "500", "有关物质测定流动相配制（记录 ELN-2026-0112）")?,
        client,
    )
    .await?;
    let by_hand = Issue {
        lot_id: Some(lots["L2026-0316"]),
        fefo_reason: "方法转移须与对方实验室使用同一批号".into(),
        ..issue("R-0001", "200", "方法转移验证（记录 ELN-2026-0118）")?
    };
    stock::issue(store, &config, &analyst, &by_hand, client).await?;
    stock::issue(store, &config, &analyst, &issue("S-0001", "25", "含量测定对照品溶液配制")?, client).await?;
    let cyanide =
        Issue { signatures: Some(two.clone()), ..issue("T-0001", "5", "氰化物限度检查对照液配制")? };
    let taken = stock::issue(store, &config, &keeper, &cyanide, client).await?;
    // What was not used goes back under two signatures; the lot moves into the safe.
    if let Some(m) = taken.first() {
        stock::give_back(store, &config, &keeper, m.lot_id, "1.2", "检查完毕，剩余退库", Some(&two), client).await?;
        let safe = stock::Transfer {
            room: "剧毒品库".into(),
            cabinet: "双锁保险柜 1".into(),
            shelf: "上层".into(),
            reason: "剧毒品集中存放于双锁保险柜".into(),
            signatures: Some(two.clone()),
        };
        stock::transfer(store, &config, &keeper, m.lot_id, &safe, client).await?;
    }
    // Counts: one approved by QA, one awaiting approval.
    stock::count(store, &keeper, lots["A2026-0211"], "2490", "月度盘点：挥发损耗", client).await?;
    let waiting = stock::pending(store, &qa, client).await?;
    if let Some(first) = waiting.first() {
        stock::decide(store, &qa, first.id, true, "复核属实，同意按实盘调整", client).await?;
    }
    stock::count(store, &keeper, lots["N2026-0101"], "4998.5", "月度盘点：称量损耗", client).await?;
    Ok(())
}

/// A generated supply chain of 10,000 packs of 康辰's products over the last 75 days, with one
/// planted anomaly per rule and an open recall. The manufacturer, one distributor, one
/// pharmacy and one hospital of the chain are demo companies.
async fn seed_trace(store: &Store, ids: &[(&str, i64, &str)]) -> Result<()> {
    use yaolian_trace::generate::{generate, Plan};
    use yaolian_trace::ingest::{self, Options};
    let products = crate::trace::products_with_codes(store).await?;
    let start = yaolian_core::Timestamp::now().china_date() - chrono::Days::new(75);
    let plan = Plan { packs: 10_000, batch_size: 2_000, products, start, anomalies: true, first_serial: 0 };
    let mut chain = generate(&plan);
    let org = |key: &str| ids.iter().find(|(k, _, _)| *k == key).map(|(_, id, name)| (*id, name.to_string()));
    for (site, key) in [
        ("urn:epc:id:sgln:6901234.00001.0", "kc"),
        ("urn:epc:id:sgln:6901234.00012.0", "hk.dc"),
        ("urn:epc:id:sgln:6901234.00020.0", "zjph"),
        ("urn:epc:id:sgln:6901234.00042.0", "ms.store1"),
    ] {
        if let (Some(s), Some((id, name))) = (chain.sites.iter_mut().find(|s| s.id == site), org(key)) {
            s.org_id = Some(id);
            s.name = name;
        }
    }
    yaolian_trace::sites::upsert(store, &chain.sites).await?;
    // Pack-level codes of the first product: its cases (中码, 20 boxes) and pallets (大码, 10 cases).
    if let Some((_, product_id)) = plan.products.first() {
        let client = ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed".into() };
        for (prefix, level, per_parent) in [("8110001", "case", 20), ("8120001", "pallet", 10)] {
            let code = yaolian_trace::packs::NewPackCode {
                prefix: prefix.into(),
                product_id: *product_id,
                level: level.into(),
                per_parent,
            };
            yaolian_trace::packs::register(store, &yaolian_access::run_as_system::principal(), &code, &client).await?;
        }
    }
    let store_events = |events: Vec<serde_json::Value>| async move {
        let today = yaolian_core::Timestamp::now().china_date();
        for chunk in events.chunks(5_000) {
            let (good, _) = yaolian_trace::capture::prepare(chunk, 0, None, today);
            let options = Options::bulk();
            ingest::store(store, good, options).await?;
        }
        anyhow::Ok(())
    };
    store_events(std::mem::take(&mut chain.events)).await?;
    if let Some((product_id, batch)) = chain.recall_batch.clone() {
        let new = yaolian_trace::recall::NewRecall {
            product_id,
            batches: vec![batch],
            level: 2,
            reason: "抽检含量测定不符合规定（演示数据）".into(),
        };
        let client = ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed".into() };
        yaolian_trace::recall::open(store, &yaolian_access::run_as_system::principal(), &new, &client).await?;
    }
    store_events(std::mem::take(&mut chain.after_recall)).await?;
    Ok(())
}

/// A fictional product: (MAH, 批准文号, 通用名, 商品名, 剂型, 规格, 包装, 药品标识码, GTIN body).
type ProductSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const PRODUCTS: &[ProductSeed] = &[
    ("kc", "国药准字H20230001", "盐酸二甲双胍片", "康辰宁", "片剂", "0.5g", "20片/盒", "8100001", "690123400001"),
    ("kc", "国药准字H20230002", "阿莫西林胶囊", "", "胶囊剂", "0.25g", "24粒/盒", "8100002", "690123400002"),
    ("kc", "国药准字H20240017", "注射用头孢曲松钠", "", "注射剂", "1.0g", "10瓶/盒", "8100003", "690123400003"),
    ("kc", "国药准字Z20200005", "连花清瘟胶囊", "", "胶囊剂", "0.35g", "36粒/盒", "8100004", "690123400004"),
    // A narcotic (麻醉药品): its maker is inspected at least quarterly (年度检查计划).
    ("kc", "国药准字H20234521", "盐酸吗啡缓释片", "", "片剂", "30mg", "10片/盒", "8100005", "690123400005"),
    ("ht", "国药准字H32020543", "布洛芬缓释胶囊", "恒泰舒", "胶囊剂", "0.3g", "20粒/盒", "8200001", "690765400001"),
    ("ht", "国药准字H20213345", "硝苯地平控释片", "", "片剂", "30mg", "7片/盒", "8200002", "690765400002"),
    ("ht", "国药准字S20190021", "重组人胰岛素注射液", "", "注射剂", "3ml:300单位", "1支/盒", "8200003", "690765400003"),
    ("ht", "国药准字HJ20200012", "阿托伐他汀钙片", "", "片剂", "20mg", "7片/盒", "8200004", "690765400004"),
];

async fn seed_products(store: &Store, ids: &[(&str, i64, &str)], client: &ClientInfo) -> Result<()> {
    let sys = yaolian_access::run_as_system::principal();
    for (mah, approval, generic, trade, form, strength, pack, code, gtin_body) in PRODUCTS {
        let (_, mah_org_id, _) = ids.iter().find(|(k, _, _)| k == mah).copied().context("seed product MAH")?;
        let check = yaolian_core::gtin::check_digit(gtin_body).context("seed GTIN")?;
        let new = NewProduct {
            approval_number: approval.to_string(),
            generic_name: generic.to_string(),
            trade_name: trade.to_string(),
            dosage_form: form.to_string(),
            strength: strength.to_string(),
            pack: pack.to_string(),
            mah_org_id,
            manufacturer_org_id: None,
            drug_code: Some(code.to_string()),
            gtins: vec![format!("{gtin_body}{check}")],
        };
        products::create(store, &sys, &new, client).await.with_context(|| format!("seeding {approval}"))?;
    }
    for (employer, name, qualification, cert, from, until) in PERSONS {
        let (_, employer_org_id, _) = ids.iter().find(|(k, _, _)| k == employer).copied().context("seed employer")?;
        let new = NewPerson {
            name: name.to_string(),
            qualification: qualification.to_string(),
            cert_number: cert.to_string(),
            employer_org_id,
            valid_from: from.to_string(),
            valid_until: until.to_string(),
        };
        persons::create(store, &sys, &new, client).await.with_context(|| format!("seeding {name}"))?;
    }
    for (key, legal_rep, address, scope, phone) in PROFILES {
        let (_, org_id, _) = ids.iter().find(|(k, _, _)| k == key).copied().context("seed profile")?;
        let profile = Profile {
            legal_rep: legal_rep.to_string(),
            address: address.to_string(),
            business_scope: scope.to_string(),
            contact_phone: phone.to_string(),
        };
        companies::update_profile(store, &sys, org_id, &profile, "", 0, client).await?;
    }
    Ok(())
}

/// Fictional licensed persons: (employer, name, qualification, certificate, valid from, until).
const PERSONS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("kc", "周明", "quality_head", "ZL-33-2022-0107", "2022-03-01", "2027-02-28"),
    ("kc", "吴婷", "qualified_person", "SQ-33-2023-0045", "2023-01-15", "2028-01-14"),
    ("ht", "孙立", "quality_head", "ZL-32-2021-0311", "2021-09-01", "2026-12-31"),
    ("ms", "郑洁", "licensed_pharmacist", "ZY-33-2019-1206", "2019-07-01", "2024-06-30"),
    ("ms", "何静", "licensed_pharmacist", "ZY-33-2022-0588", "2022-05-01", "2027-04-30"),
    ("hk", "韩冰", "enterprise_head", "QF-32-2020-0093", "2020-10-01", "2030-09-30"),
];

/// Fictional company profiles: (company, 法定代表人, 注册地址, 经营范围, phone).
const PROFILES: &[(&str, &str, &str, &str, &str)] = &[
    ("kc", "陈康", "浙江省杭州市钱塘区药谷大道 88 号", "片剂、硬胶囊剂、小容量注射剂的生产", "0571-8690 1234"),
    ("ht", "刘恒", "江苏省南京市江宁经济开发区恒泰路 6 号", "片剂、胶囊剂、生物制品的生产", "025-5211 7788"),
    ("ms", "赵民", "浙江省杭州市西湖区文三路 199 号", "处方药、非处方药零售（连锁）", "0571-8777 3366"),
    ("zjph", "蒋文博", "浙江省杭州市上城区庆春路 158 号", "医疗机构药品使用与调剂", "0571-8589 3000"),
];

/// A holder's own details as a license or an application form carries them (法定代表人, 注册地址,
/// phone from its profile; its own quality head and scope), so that no document prints another
/// company's.
fn holder_fields(key: &str, name: &str, quality_head: &str, scope: &str) -> std::collections::BTreeMap<String, String> {
    let (legal_rep, address, phone) =
        PROFILES.iter().find(|p| p.0 == key).map(|p| (p.1, p.2, p.4)).unwrap_or(("", "", ""));
    [
        ("enterprise_name", name),
        ("legal_representative", legal_rep),
        ("principal", legal_rep),
        ("quality_head", quality_head),
        ("registered_address", address),
        ("business_scope", scope),
        ("contact_phone", phone),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Licenses in every state and applications at every step.
async fn seed_services(
    store: &Store,
    ids: &[(&str, i64, &str)],
    password: &str,
    sealing: &yaolian_license::licenses::Sealing,
    client: &ClientInfo,
) -> Result<()> {
    use std::collections::BTreeMap;
    use yaolian_license::licenses::{self, NewLicense, Reissue, ReissueKind, StatusAction};
    use yaolian_services::applications::{self, Act, Decide, NewApplication, Upload};
    let org = |key: &str| ids.iter().find(|(k, _, _)| *k == key).map(|(_, id, _)| *id).context("seed org");
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let leader = user("zj.leader").await?;
    let fields =
        |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
    // Each holder's own details (issue 17: no license or application prints another's).
    let zjph_details =
        holder_fields("zjph", "浙江省人民医院", "沈佳（执业药师）", "中药饮片、中成药、化学药、生物制品");
    let ms_details =
        holder_fields("ms", "杭州民生大药房连锁有限公司", "高敏（执业药师）", "处方药、非处方药（化学药、中成药）");
    let kc_details = holder_fields("kc", "浙江康辰药业有限公司", "吴丽（执业药师）", "化学药、中成药");
    let license_fields = |mut f: BTreeMap<String, String>| {
        f.remove("enterprise_name");
        f.remove("contact_phone");
        f
    };
    let issue =
        |kind: &str, holder: i64, f: BTreeMap<String, String>, from: Option<&str>, until: Option<&str>| NewLicense {
            kind: kind.into(),
            holder_org_id: holder,
            number: None,
            valid_from: from.map(str::to_string),
            valid_until: until.map(str::to_string),
            fields: f,
        };
    let mut tx = store.begin().await?;
    let zj = org("zj")?;
    let manufacturing = fields(&[
        ("legal_representative", "陈康"),
        ("principal", "陈康"),
        ("quality_head", "吴丽"),
        ("production_head", "杨帆"),
        ("qualified_person", "吴丽"),
        ("registered_address", "浙江省杭州市钱塘区药谷大道 88 号"),
        ("production_scope", "浙江省杭州市钱塘区药谷大道 88 号：片剂、硬胶囊剂、小容量注射剂"),
        ("category_code", "Ah"),
    ]);
    licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue("drug_manufacturing", org("kc")?, manufacturing, None, None),
        "演示数据：依申请核发",
    )
    .await?;
    let wholesale = licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue("drug_wholesale", org("zjph")?, license_fields(zjph_details.clone()), None, None),
        "演示数据：依申请核发",
    )
    .await?;
    let soon = (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(30)).to_string();
    let retail = licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue("drug_retail", org("ms")?, license_fields(ms_details.clone()), Some("2021-12-01"), Some(&soon)),
        "演示数据：依申请核发",
    )
    .await?;
    licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue(
            "drug_retail",
            org("zjph")?,
            license_fields(zjph_details.clone()),
            Some("2019-06-01"),
            Some("2024-05-31"),
        ),
        "演示数据：依申请核发",
    )
    .await?;
    let suspended = licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue("drug_retail", org("kc")?, license_fields(kc_details.clone()), None, None),
        "演示数据：依申请核发",
    )
    .await?;
    let revoked = licenses::issue_in_tx(
        &mut tx,
        sealing,
        &leader,
        zj,
        &issue("drug_retail", org("zjph")?, license_fields(zjph_details.clone()), None, None),
        "演示数据：依申请核发",
    )
    .await?;
    let change = Reissue {
        fields: fields(&[("quality_head", "沈佳、罗敏（执业药师）")]),
        valid_until: None,
        reason: "质量负责人变更".into(),
        expected_version: 1,
    };
    licenses::reissue_in_tx(&mut tx, sealing, &leader, wholesale, ReissueKind::Change, &change).await?;
    tx.commit().await?;
    licenses::set_status(
        store,
        &leader,
        suspended,
        StatusAction::Suspend,
        "飞行检查发现冷链记录缺失，责令停业整改",
        1,
        client,
    )
    .await?;
    licenses::set_status(store, &leader, revoked, StatusAction::Revoke, "销售假药，依法吊销", 1, client).await?;

    let file = |label: &str| Upload {
        label: label.into(),
        name: format!("{label}.pdf"),
        content_type: "application/pdf".into(),
        content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("%PDF-1.4 {label}")),
    };
    let retail_form = ms_details.clone();
    let retail_files =
        || ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"].map(file).to_vec();
    let new = |t: &str, f: BTreeMap<String, String>, files: Vec<Upload>, license_id: Option<i64>| NewApplication {
        type_code: t.into(),
        applicant_org_id: None,
        license_id,
        form: f,
        files,
    };
    let ms = user("ms.master").await?;
    let zjph = user("zjph.master").await?;
    let kc = user("kc.master").await?;
    let clerk = user("zj.clerk").await?;
    let reviewer = user("zj.reviewer").await?;
    // Waiting to be accepted.
    applications::submit(
        store,
        sealing,
        &ms,
        &new("drug_retail_issue", retail_form.clone(), retail_files(), None),
        client,
    )
    .await?;
    // Waiting for 补正.
    let a = applications::submit(
        store,
        sealing,
        &zjph,
        &new("drug_retail_issue", zjph_details.clone(), retail_files(), None),
        client,
    )
    .await?;
    let items = vec!["营业执照经营范围与申请不一致".to_string(), "缺少冷藏设备验证报告".to_string()];
    applications::act(
        store,
        &clerk,
        a.application.id,
        &Act::RequestCorrection { items, note: String::new() },
        1,
        client,
    )
    .await?;
    // In review, with a reviewer assigned.
    let b = applications::submit(
        store,
        sealing,
        &kc,
        &new(
            "drug_wholesale_issue",
            kc_details.clone(),
            ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "计算机系统说明", "质量管理文件目录"]
                .map(file)
                .to_vec(),
            None,
        ),
        client,
    )
    .await?;
    applications::act(store, &clerk, b.application.id, &Act::Accept { opinion: "材料齐全".into() }, 1, client).await?;
    applications::act(
        store,
        &clerk,
        b.application.id,
        &Act::Assign { reviewer_ids: vec![reviewer.user_id()] },
        2,
        client,
    )
    .await?;
    // Reviewed and decided: the retail license is renewed.
    let c = applications::submit(
        store,
        sealing,
        &ms,
        &new(
            "drug_retail_renew",
            fields(&[("reason", "许可证即将到期，经营条件未变")]),
            ["延续申请表", "许可期内经营情况说明"].map(file).to_vec(),
            Some(retail),
        ),
        client,
    )
    .await?;
    let id = c.application.id;
    applications::act(store, &clerk, id, &Act::Accept { opinion: String::new() }, 1, client).await?;
    applications::act(store, &clerk, id, &Act::Assign { reviewer_ids: vec![reviewer.user_id()] }, 2, client).await?;
    applications::act(
        store,
        &reviewer,
        id,
        &Act::Review { opinion: "经营条件符合要求".into(), conclusion: "approve".into() },
        3,
        client,
    )
    .await?;
    let decide = Decide {
        outcome: "approve".into(),
        opinion: "准予延续".into(),
        password: password.into(),
        totp: None,
        expected_version: 4,
    };
    applications::decide(store, &IdentityConfig::default(), sealing, &leader, id, &decide, client).await?;
    // 秒办: decided by its rule.
    let filing = fields(&[("contact_person", "许晨"), ("contact_phone", "13905710001"), ("email", "ms@example.cn")]);
    applications::submit(store, sealing, &ms, &new("contact_change_filing", filing, Vec::new(), None), client).await?;
    // Two migrated from the predecessor system with their real dates, now overdue: one never
    // accepted, one accepted but undecided; the sweep raises them to the deciders.
    let days_ago = |n: i64| {
        let day = yaolian_core::Timestamp::now().china_date() - chrono::Duration::days(n);
        yaolian_core::Timestamp::china_day_start(day).plus_seconds(10 * 3600)
    };
    let late = new("drug_retail_issue", zjph_details.clone(), retail_files(), None);
    applications::submit_at(store, sealing, &zjph, &late, client, days_ago(12)).await?;
    let later = applications::submit_at(
        store,
        sealing,
        &ms,
        &new("drug_retail_issue", retail_form, retail_files(), None),
        client,
        days_ago(45),
    )
    .await?;
    let id = later.application.id;
    applications::act_at(store, &clerk, id, &Act::Accept { opinion: "材料齐全".into() }, 1, client, days_ago(43))
        .await?;
    applications::act_at(
        store,
        &clerk,
        id,
        &Act::Assign { reviewer_ids: vec![reviewer.user_id()] },
        2,
        client,
        days_ago(43),
    )
    .await?;
    applications::sweep_overdue(store).await?;
    Ok(())
}

/// A demo procedure's file: a short text in the shape of an SOP (目的、范围、职责、程序), so that
/// a printed controlled copy shows it.
fn demo_sop(code: &str, revision: u32) -> yaolian_records::files::Upload {
    let text = format!(
        "文件编号：{code}　第 {revision} 版\n\n1 目的\n规定本规程所述工作的操作要求，保证结果准确、记录完整、可以追溯。\n\n\
         2 范围\n适用于质量控制实验室及相关部门。\n\n3 职责\n操作人员按本规程执行；复核人复核；质量保证部门监督。\n\n\
         4 程序\n4.1 操作前确认所用仪器在校准有效期内。\n4.2 按批准的方法操作并及时记录。\n4.3 出现异常立即报告并按偏差处理。\n"
    );
    yaolian_records::files::Upload {
        label: "文件".into(),
        name: format!("{code}.txt"),
        content_type: "text/plain".into(),
        content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text),
    }
}

/// The QC laboratory's instruments: a liquid chromatograph in calibration and used, one whose
/// calibration has run out, and a balance falling due within the month.
async fn seed_instruments(store: &Store, ids: &[(&str, i64, &str)], client: &ClientInfo) -> Result<()> {
    use yaolian_lab::instruments::{self, Calibration, NewInstrument};
    let lab = ids.iter().find(|(k, _, _)| *k == "kc.lab").map(|(_, id, _)| *id).context("seed org")?;
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, analyst) = (user("kc.qa").await?, user("kc.analyst").await?);
    let ago = |days: i64| (yaolian_core::Timestamp::now().china_date() - chrono::Duration::days(days)).to_string();
    for (code, name, model, location, calibrated, certificate) in [
        ("HPLC-01", "高效液相色谱仪", "Agilent 1260 Infinity II", "理化实验室 1 室", 200, "JZ-2026-0412"),
        ("HPLC-02", "高效液相色谱仪", "Waters e2695", "理化实验室 1 室", 380, "JZ-2025-1107"),
        ("BAL-01", "电子分析天平（十万分之一）", "XPR205", "天平室", 340, "JZ-2026-0105"),
    ] {
        let new = NewInstrument {
            org_id: lab,
            code: code.into(),
            name: name.into(),
            model: model.into(),
            location: location.into(),
            calibration_interval_days: 365,
            ..NewInstrument::default()
        };
        let i = instruments::register(store, &qa, &new, client).await?;
        let c = Calibration { performed_on: ago(calibrated), certificate: certificate.into(), passed: true };
        instruments::calibrate(store, &qa, i.id, &c, client).await?;
        if code == "HPLC-01" {
            instruments::use_instrument(store, &analyst, i.id, "盐酸二甲双胍片含量测定", "ELN-2026-0112", client)
                .await?;
        }
    }
    Ok(())
}

/// The HPLC assay template of the QC laboratory — five standard injections as a table, %RSD and
/// content calculated, a conclusion — drafted by QA and approved by the master account; a draft
/// of a second template; three records: one approved (with the chromatography data the capture
/// agent delivered, the reagent it used taken out of stock), one whose content is out of
/// specification (its deviation opened on submission), one being filled.
async fn seed_lab_records(store: &Store, ids: &[(&str, i64, &str)], password: &str, client: &ClientInfo) -> Result<()> {
    use yaolian_lab::records::{self, Entries, Input, NewRecord};
    use yaolian_lab::templates::{self, Definition, NewTemplate};
    let lab = ids.iter().find(|(k, _, _)| *k == "kc.lab").map(|(_, id, _)| *id).context("seed org")?;
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, master, analyst) = (user("kc.qa").await?, user("kc.master").await?, user("kc.analyst").await?);
    let identity = IdentityConfig::default();
    let quality = yaolian_quality::QualityConfig::default();
    let definition: Definition = serde_json::from_value(serde_json::json!({
        "rounding": "chp",
        "sections": [
            {"title": "仪器与试剂", "fields": [
                {"key": "hplc", "label": "高效液相色谱仪", "kind": "instrument", "required": true},
                {"key": "balance", "label": "电子分析天平", "kind": "instrument", "required": true},
                {"key": "mobile", "label": "流动相用乙腈", "kind": "reagent"},
                {"key": "chrom", "label": "色谱数据文件", "kind": "result"}
            ]},
            {"title": "称量与测定", "fields": [
                {"key": "w_std", "label": "对照品称样量", "kind": "number", "unit": "mg", "places": 2, "min": "0", "max": "1000", "required": true},
                {"key": "w_smp", "label": "供试品称样量", "kind": "number", "unit": "mg", "places": 2, "min": "0", "max": "1000", "required": true},
                {"key": "p_std", "label": "对照品含量", "kind": "number", "unit": "%", "places": 1, "min": "90", "max": "100", "required": true},
                {"key": "a_smp", "label": "供试品峰面积", "kind": "number", "places": 0, "min": "0", "required": true}
            ]},
            {"title": "系统适用性：对照品溶液重复进样", "rows": 5, "fields": [
                {"key": "a_std", "label": "对照品峰面积", "kind": "number", "places": 0, "min": "0", "required": true},
                {"key": "tailing", "label": "拖尾因子", "kind": "number", "places": 2, "min": "0", "max": "10"}
            ]},
            {"title": "结果", "fields": [
                {"key": "rsd", "label": "对照品峰面积相对标准偏差", "kind": "calculated", "unit": "%", "places": 2, "formula": "rsd(a_std[])", "spec_high": "2.0", "required": true},
                {"key": "content", "label": "含量（按标示量计）", "kind": "calculated", "unit": "%", "places": 1, "formula": "a_smp / mean(a_std[]) * w_std / w_smp * p_std", "spec_low": "95.0", "spec_high": "105.0", "required": true},
                {"key": "conclusion", "label": "结论", "kind": "choice", "choices": ["符合规定", "不符合规定"], "required": true}
            ]}
        ]
    }))?;
    let new =
        NewTemplate {
            org_id: lab, code: "TPL-HPLC-001".into(), title: "高效液相色谱法含量测定".into(), definition
        };
    let tv = templates::create(store, &qa, &new, client).await?;
    let tv = templates::approve(store, &identity, &master, tv.id, password, None, client).await?;
    let lod: Definition = serde_json::from_value(serde_json::json!({
        "sections": [{"title": "干燥失重", "fields": [
            {"key": "m0", "label": "称量瓶恒重", "kind": "number", "unit": "g", "places": 4, "required": true},
            {"key": "m1", "label": "干燥前称量瓶与供试品", "kind": "number", "unit": "g", "places": 4, "required": true},
            {"key": "m2", "label": "干燥后称量瓶与供试品", "kind": "number", "unit": "g", "places": 4, "required": true},
            {"key": "loss", "label": "干燥失重", "kind": "calculated", "unit": "%", "places": 1, "formula": "(m1 - m2) / (m1 - m0) * 100", "spec_high": "0.5"}
        ]}]
    }))?;
    let new =
        NewTemplate { org_id: lab, code: "TPL-LOD-001".into(), title: "干燥失重测定".into(), definition: lod };
    templates::create(store, &qa, &new, client).await?;

    // What the capture agent delivered from HPLC-01.
    let peaks = "Peak Name,RT [min],Area,Height\n盐酸二甲双胍,4.812,1523400,80211\n杂质 B,6.104,1822,95\n";
    let delivery = yaolian_lab::results::Delivery {
        org_id: lab,
        idempotency_key: "hplc01-demo-0001".into(),
        instrument: "HPLC-01".into(),
        kind: "peaks".into(),
        acquired_at: format!("{}T09:30:00+08:00", yaolian_core::Timestamp::now().china_date()),
        acquired_by: "kc.analyst".into(),
        source_path: "D:\\Export\\MET-260301-inj01.csv".into(),
        raw: yaolian_records::files::Upload {
            label: "原始文件".into(),
            name: "MET-260301-inj01.csv".into(),
            content_type: "text/csv".into(),
            content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, peaks),
        },
    };
    let (result, _) = yaolian_lab::results::deliver(store, &analyst, &delivery, client).await?;
    let id_of = |sql: &'static str, code: &'static str| async move {
        let id: i64 = sqlx::query_scalar(sql).bind(code).fetch_one(store.pool()).await?;
        anyhow::Ok(id.to_string())
    };
    let hplc = id_of("SELECT id FROM lab_instruments WHERE code = $1", "HPLC-01").await?;
    let balance = id_of("SELECT id FROM lab_instruments WHERE code = $1", "BAL-01").await?;
    let lot = id_of("SELECT id FROM inv_lots WHERE lot_no = $1", "L2026-0316").await?;
    let areas = ["1530100", "1528400", "1531900", "1529500", "1530600"];
    let tailing = ["1.08", "1.07", "1.09", "1.08", "1.08"];
    let fill = |a_smp: &str, conclusion: &str, with_sources: bool| {
        let mut values: std::collections::BTreeMap<String, Input> = std::collections::BTreeMap::new();
        let mut put = |k: &str, v: &str, amount: &str| {
            values.insert(k.to_string(), Input { value: v.to_string(), amount: amount.to_string(), file: None });
        };
        put("hplc", &hplc, "");
        put("balance", &balance, "");
        if with_sources {
            put("mobile", &lot, "50");
            put("chrom", &result.id.to_string(), "");
        }
        put("w_std", "25.12", "");
        put("w_smp", "25.30", "");
        put("p_std", "99.8", "");
        put("a_smp", a_smp, "");
        for (i, (a, t)) in areas.iter().zip(tailing).enumerate() {
            put(&format!("a_std_{}", i + 1), a, "");
            put(&format!("tailing_{}", i + 1), t, "");
        }
        put("conclusion", conclusion, "");
        values
    };
    let project = seed_projects(store, lab, password, client).await?;
    let make = |title: &str| NewRecord { template_version_id: tv.id, title: title.into(), project_id: Some(project) };
    // Approved: filled, submitted, reviewed by the master account, approved by QA.
    let r = records::create(store, &analyst, &make("盐酸二甲双胍片含量测定（批号 260301）"), client).await?;
    let e = Entries { values: fill("1523400", "符合规定", true), reason: String::new(), version: r.version };
    let r = records::enter(store, &analyst, r.id, &e, client).await?;
    let r = records::submit(store, &identity, &quality, &analyst, r.id, password, None, client).await?;
    let r = records::review(store, &identity, &master, r.id, password, None, client).await?;
    records::approve(store, &identity, &qa, r.id, password, None, client).await?;
    // Out of specification: submitted, its deviation opened.
    let r = records::create(store, &analyst, &make("盐酸二甲双胍片含量测定（批号 260302）"), client).await?;
    let e = Entries { values: fill("1391200", "不符合规定", false), reason: String::new(), version: r.version };
    let r = records::enter(store, &analyst, r.id, &e, client).await?;
    records::submit(store, &identity, &quality, &analyst, r.id, password, None, client).await?;
    // Being filled.
    let r = records::create(store, &analyst, &make("盐酸二甲双胍片含量测定（批号 260303）"), client).await?;
    let mut partial = fill("1519800", "符合规定", false);
    partial.retain(|k, _| k.starts_with("w_") || k == "hplc");
    let e = Entries { values: partial, reason: String::new(), version: r.version };
    records::enter(store, &analyst, r.id, &e, client).await?;
    seed_weighing(store, lab, (&qa, &master, &analyst), password, client).await
}

/// A weighing template whose weight is taken from the balance's result (the agent reads the
/// balance on its serial port), with a photo of the printout as an attachment; one record,
/// submitted and sent back by the lab head for the missing photo.
async fn seed_weighing(
    store: &Store,
    lab: i64,
    (qa, master, analyst): (&yaolian_access::Principal, &yaolian_access::Principal, &yaolian_access::Principal),
    password: &str,
    client: &ClientInfo,
) -> Result<()> {
    use yaolian_lab::records::{self, Entries, Input, NewRecord};
    use yaolian_lab::templates::{self, Definition, NewTemplate};
    let identity = IdentityConfig::default();
    let definition: Definition = serde_json::from_value(serde_json::json!({
        "sections": [{"title": "对照品称量", "fields": [
            {"key": "bal", "label": "天平读数", "kind": "result", "required": true},
            {"key": "w", "label": "对照品称样量", "kind": "number", "unit": "g", "places": 5, "required": true,
             "from": {"result": "bal", "value": "weight"}},
            {"key": "printout", "label": "天平打印条照片", "kind": "attachment"}
        ]}]
    }))?;
    let new =
        NewTemplate {
            org_id: lab, code: "TPL-BAL-001".into(), title: "对照品称量（天平自动取数）".into(), definition
        };
    let tv = templates::create(store, qa, &new, client).await?;
    let tv = templates::approve(store, &identity, master, tv.id, password, None, client).await?;
    let today = yaolian_core::Timestamp::now().china_date();
    let line = "S S      0.25312 g\r\n";
    let delivery = yaolian_lab::results::Delivery {
        org_id: lab,
        idempotency_key: "bal01-demo-0001".into(),
        instrument: "BAL-01".into(),
        kind: "balance".into(),
        acquired_at: format!("{today}T09:12:05+08:00"),
        acquired_by: "kc.analyst".into(),
        source_path: "/dev/ttyUSB0".into(),
        raw: yaolian_records::files::Upload {
            label: "原始文件".into(),
            name: format!("ttyUSB0-{}-091205.000.sics", today.format("%Y%m%d")),
            content_type: String::new(),
            content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, line),
        },
    };
    let (weighing, _) = yaolian_lab::results::deliver(store, analyst, &delivery, client).await?;
    let make = NewRecord {
        template_version_id: tv.id,
        title: "盐酸二甲双胍对照品称量（批号 260303）".into(),
        project_id: None,
    };
    let r = records::create(store, analyst, &make, client).await?;
    let mut values = std::collections::BTreeMap::new();
    values.insert("bal".to_string(), Input { value: weighing.id.to_string(), ..Input::default() });
    let r =
        records::enter(store, analyst, r.id, &Entries { values, reason: String::new(), version: r.version }, client)
            .await?;
    let quality = yaolian_quality::QualityConfig::default();
    let r = records::submit(store, &identity, &quality, analyst, r.id, password, None, client).await?;
    records::send_back(store, master, r.id, "请上传天平打印条照片后再提交复核", r.version, client).await?;
    Ok(())
}

/// The QC laboratory's rooms with their limits and two weeks of twice-daily readings; one
/// reading in the balance room above its limit, its deviation opened with it.
async fn seed_environment(store: &Store, ids: &[(&str, i64, &str)], client: &ClientInfo) -> Result<()> {
    use yaolian_lab::environment::{self, NewReading, NewRoom};
    let lab = ids.iter().find(|(k, _, _)| *k == "kc.lab").map(|(_, id, _)| *id).context("seed org")?;
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, analyst) = (user("kc.qa").await?, user("kc.analyst").await?);
    let quality = yaolian_quality::QualityConfig::default();
    let today = yaolian_core::Timestamp::now().china_date();
    for (code, name, limits, base) in [
        ("QC-101", "天平室", ("18.0", "26.0", "45.0", "65.0"), (215, 520)),
        ("QC-102", "理化实验室", ("18.0", "26.0", "35.0", "75.0"), (228, 560)),
    ] {
        let new = NewRoom {
            org_id: lab,
            code: code.into(),
            name: name.into(),
            temp_low: limits.0.into(),
            temp_high: limits.1.into(),
            rh_low: limits.2.into(),
            rh_high: limits.3.into(),
        };
        let room = environment::create_room(store, &qa, &new, client).await?;
        for day in (1..=14).rev() {
            for (hour, shift) in [("09:00", 0i64), ("15:00", 9)] {
                let wobble = (day * 7 + shift) % 13 - 6;
                let mut t = base.0 + wobble;
                // A warm afternoon in the balance room three days ago: above 26.0 ℃.
                if code == "QC-101" && day == 3 && hour == "15:00" {
                    t = 263;
                }
                let h = base.1 + (day * 5 + shift) % 40 - 20;
                let at = format!("{} {hour}", today - chrono::Duration::days(day));
                let reading = NewReading {
                    at,
                    temperature: yaolian_lab::environment::tenths_text(t),
                    humidity: yaolian_lab::environment::tenths_text(h),
                };
                environment::record(store, &quality, &analyst, room.id, &reading, client).await?;
            }
        }
    }
    Ok(())
}

/// Two R&D projects of the QC laboratory: one under way (approved, phases, tasks with hours, the
/// first phase reached), whose records the lab record seed makes; one proposed, awaiting its
/// decision. Returns the active one's id.
async fn seed_projects(store: &Store, lab: i64, password: &str, client: &ClientInfo) -> Result<i64> {
    use yaolian_lab::projects::{self, NewPhase, NewProject, NewTask, Progress};
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, analyst) = (user("kc.qa").await?, user("kc.analyst").await?);
    let identity = IdentityConfig::default();
    let today = yaolian_core::Timestamp::now().china_date();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let phase = |name: &str, s: i64, e: i64| NewPhase { name: name.into(), starts_on: day(s), ends_on: day(e) };
    let new = NewProject {
        org_id: lab,
        code: "YF-2026-001".into(),
        title: "盐酸二甲双胍缓释片处方开发".into(),
        objective: "筛选缓释骨架处方，建立含量与释放度检验方法，完成中试放大与稳定性考察。".into(),
        leader: "kc.analyst".into(),
        starts_on: day(-120),
        ends_on: day(240),
        phases: vec![phase("小试", -120, -20), phase("中试", -19, 120), phase("稳定性考察", 0, 240)],
    };
    let p = projects::propose(store, &analyst, &new, client).await?;
    projects::decide(store, &identity, &qa, p.id, true, "", password, None, client).await?;
    for (ph, title, who, s, e, hours) in [
        (0, "缓释骨架处方筛选", "kc.analyst", -118, -40, 160),
        (0, "含量测定方法验证", "kc.analyst", -60, -25, 48),
        (1, "中试放大（三批）", "kc.master", -15, 90, 240),
        (1, "中试批含量与有关物质检验", "kc.analyst", -10, 100, 120),
        (2, "加速稳定性考察（6 个月）", "kc.analyst", 0, 180, 60),
    ] {
        let t = NewTask {
            phase: ph,
            title: title.into(),
            assignee: who.into(),
            starts_on: day(s),
            ends_on: day(e),
            planned_hours: hours,
        };
        projects::add_task(store, &analyst, p.id, &t, client).await?;
    }
    for (no, hours, done) in [(1, 172, true), (2, 44, true), (4, 36, false)] {
        projects::progress(store, &analyst, p.id, &Progress { no, actual_hours: hours, done }, client).await?;
    }
    projects::phase_done(store, &analyst, p.id, 0, &day(-21), client).await?;
    let waiting = NewProject {
        org_id: lab,
        code: "YF-2026-002".into(),
        title: "阿莫西林克拉维酸钾干混悬剂有关物质方法开发".into(),
        objective: "建立并验证有关物质的高效液相色谱检查法。".into(),
        leader: String::new(),
        starts_on: day(10),
        ends_on: day(190),
        phases: vec![phase("方法开发", 10, 100), phase("方法验证", 101, 190)],
    };
    projects::propose(store, &analyst, &waiting, client).await?;
    Ok(p.id)
}

/// A controlled document's file as a PDF (an eCTD leaf's file is a PDF).
fn demo_pdf(code: &str, title: &str, pages: &[&str]) -> yaolian_records::files::Upload {
    let pdf = yaolian_submission::samples::pdf(title, pages, pages.len() > 5);
    yaolian_records::files::Upload {
        label: "文件".into(),
        name: format!("{}.pdf", code.to_ascii_lowercase()),
        content_type: "application/pdf".into(),
        content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pdf),
    }
}

/// 电子申报 for the demo: 康辰's generic application x202612345 (阿莫西林胶囊) with three
/// sequences built into `dir` from its controlled documents — 0000 the first submission (new),
/// 0001 a response replacing the drug substance specification with its revised, approved
/// revision, 0002 appending 24-month stability data — and, beside it, a copy of the sample
/// application broken on purpose (a file changed after its MD5 was written) for
/// `yaolian ectd validate` to catch.
pub async fn seed_submission(store: &Store, dir: &std::path::Path, password: &str) -> Result<std::path::PathBuf> {
    use yaolian_quality::documents::{self, NewDocument};
    use yaolian_submission::applications::{self, NewApplication, NewLeaf, NewSequence};
    let client = &ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed".into() };
    let user = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await?;
        anyhow::Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
    };
    let (qa, master) = (user("kc.qa").await?, user("kc.master").await?);
    let kc = master.org_id();
    let identity = IdentityConfig::default();
    let today = yaolian_core::Timestamp::now().china_date().to_string();
    let publish = |id: i64| {
        let (qa, master, identity, today) = (qa.clone(), master.clone(), identity.clone(), today.clone());
        async move {
            documents::submit(store, &qa, id, client).await?;
            anyhow::Ok(documents::approve(store, &identity, &master, id, &today, password, client).await?)
        }
    };
    let mut docs = Vec::new();
    for (code, title, pages) in [
        ("REG-CL-0001", "说明函", &["说明函"][..]),
        ("REG-AF-0001", "药品注册申请表", &["申请表"][..]),
        ("REG-QOS-001", "质量综述", &["2.3 质量综述", "2.3.S 原料药", "2.3.P 制剂"][..]),
        ("QC-SPEC-AMX", "原料药质量标准", &["3.2.S.4.1 质量标准", "性状", "鉴别", "含量"][..]),
        ("STAB-AMX-12", "稳定性数据（12 个月）", &["3.2.P.8.3 稳定性数据", "长期试验 12 个月"][..]),
        ("STAB-AMX-24", "稳定性数据（24 个月）", &["3.2.P.8.3 稳定性数据", "长期试验 24 个月"][..]),
        ("REG-CL-0002", "说明函（发补回复）", &["说明函：回复审评意见"][..]),
    ] {
        let new = NewDocument {
            org_id: kc,
            code: code.into(),
            title: title.into(),
            review_months: 24,
            file: demo_pdf(code, title, pages),
        };
        let d = documents::create(store, &qa, &new, client).await?;
        publish(d.id).await?;
        docs.push((code, d.id));
    }
    let doc = |code: &str| docs.iter().find(|(c, _)| *c == code).map(|(_, id)| *id).context("demo document");
    let new = NewApplication {
        org_id: kc,
        number: "x202612345".into(),
        application_type: "cnapt3".into(),
        product_type: "cnprt1".into(),
        product_number: "2026000123".into(),
        substance: "阿莫西林".into(),
        manufacturer: "康辰药业有限公司".into(),
        product_name: "阿莫西林胶囊".into(),
        dosage_form: "胶囊剂".into(),
        indication: "敏感菌所致感染".into(),
        contact_name: "陈注册".into(),
        contact_phone: "0571-88886666".into(),
        contact_email: "reg@kangchen.example.cn".into(),
    };
    let app = applications::create_application(store, &master, &new, client).await?;
    let leaf = |element: &str, title: &str, operation: &str, target: Option<&str>, document: Option<i64>| NewLeaf {
        element: element.into(),
        title: title.into(),
        operation: operation.into(),
        target: target.map(str::to_string),
        document_id: document,
    };
    let first = NewSequence {
        sequence_type: "cnsqt1".into(),
        regulatory_activity: "cnrat1".into(),
        related_sequence: None,
        description: "仿制药上市申请首次申报".into(),
        leaves: vec![
            leaf("cn-1-0", "说明函", "new", None, Some(doc("REG-CL-0001")?)),
            leaf("cn-1-2", "药品注册申请表", "new", None, Some(doc("REG-AF-0001")?)),
            leaf("m2-3-quality-overall-summary", "质量综述", "new", None, Some(doc("REG-QOS-001")?)),
            leaf("m3-2-s-4-1-specification", "原料药质量标准", "new", None, Some(doc("QC-SPEC-AMX")?)),
            leaf("m3-2-p-8-3-stability-data", "稳定性数据（12 个月）", "new", None, Some(doc("STAB-AMX-12")?)),
        ],
    };
    applications::create_sequence(store, &master, app.id, &first, client).await?;
    applications::build_sequence(store, &master, (app.id, "0000"), dir, client).await?;
    // The specification revised and approved: the response replaces it with the new revision.
    let spec = doc("QC-SPEC-AMX")?;
    let revised =
        demo_pdf("QC-SPEC-AMX", "原料药质量标准（修订）", &["3.2.S.4.1 质量标准（修订）", "有关物质限度收紧"]);
    documents::revise(store, &qa, spec, &revised, "按审评意见收紧有关物质限度", client).await?;
    publish(spec).await?;
    let response = NewSequence {
        sequence_type: "cnsqt2".into(),
        regulatory_activity: "cnrat1".into(),
        related_sequence: Some("0000".into()),
        description: "发补回复：修订原料药质量标准".into(),
        leaves: vec![
            leaf("cn-1-0", "说明函（发补回复）", "new", None, Some(doc("REG-CL-0002")?)),
            leaf("m3-2-s-4-1-specification", "原料药质量标准（修订）", "replace", Some("l0000-0004"), Some(spec)),
        ],
    };
    applications::create_sequence(store, &master, app.id, &response, client).await?;
    applications::build_sequence(store, &master, (app.id, "0001"), dir, client).await?;
    let append = NewSequence {
        description: "补充 24 个月长期稳定性数据".into(),
        leaves: vec![leaf(
            "m3-2-p-8-3-stability-data",
            "稳定性数据（24 个月）",
            "append",
            Some("l0000-0005"),
            Some(doc("STAB-AMX-24")?),
        )],
        ..response.clone()
    };
    applications::create_sequence(store, &master, app.id, &append, client).await?;
    applications::build_sequence(store, &master, (app.id, "0002"), dir, client).await?;
    // The broken package: the sample application with one file changed after its MD5.
    let broken = dir.join("samples").join("broken").join("x202612345");
    let _ = std::fs::remove_dir_all(&broken);
    for s in yaolian_submission::samples::application() {
        yaolian_submission::package::write(&broken, &s).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let qos = broken.join("0000/m2/2-3/qos.pdf");
    let mut bytes = std::fs::read(&qos)?;
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&qos, bytes)?;
    Ok(broken)
}

/// The demo site is both the company's and the regulator's: its built sequences are sent to
/// itself. An API token of 康辰's master account (the company's account at the receiver) and
/// the site's own signing key, pinned.
pub async fn submission_receiver(
    store: &Store,
    sealing: &[u8; 16],
    addr: &str,
) -> Result<yaolian_submission::transfers::Remote> {
    let client = &ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed".into() };
    let id = yaolian_identity::users::id_by_username(store, "kc.master").await?;
    let master = yaolian_identity::auth::principal_for_user(store, id).await?;
    let scopes = [yaolian_access::perm::SUBMISSION_SEND.to_string(), yaolian_access::perm::SUBMISSION_READ.to_string()];
    let (_, token) =
        yaolian_identity::tokens::create(store, &master, "电子申报发送（演示）", &scopes, 366, client).await?;
    let (key_id, _) = yaolian_store::ledger::site_key(store, sealing).await?;
    // The site as it reaches itself: a wildcard address through loopback.
    let base_url = match addr.parse::<std::net::SocketAddr>() {
        Ok(at) if at.ip().is_unspecified() => {
            format!("http://{}", std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), at.port()))
        }
        _ => format!("http://{addr}"),
    };
    Ok(yaolian_submission::transfers::Remote { base_url, token, pinned_key: Some(key_id) })
}
