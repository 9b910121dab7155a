//! The demo seed: a realistic small world of regulators, companies, sites and users for every
//! role, with Chinese names. Later modules extend it from [`seed`].

use anyhow::{Context, Result};
use yaolian_identity::model::OrgKind;
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_identity::users::{self, NewUser};
use yaolian_identity::{portal, roles, ClientInfo, IdentityConfig, Principal};
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
    UserSeed { username: "zj.inspector", name: "刘强", org: "zj", master: false, roles: &["inspector"] },
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
    UserSeed { username: "ht.master", name: "马骏", org: "ht", master: true, roles: &["company_master"] },
    UserSeed { username: "hk.master", name: "冯军", org: "hk", master: true, roles: &["company_master"] },
    UserSeed { username: "hk.pharmacist", name: "何芳", org: "hk", master: false, roles: &["pharmacist"] },
    UserSeed { username: "ms.master", name: "许晨", org: "ms", master: true, roles: &["company_master"] },
    UserSeed { username: "ms.pharmacist", name: "高敏", org: "ms.store1", master: false, roles: &["pharmacist"] },
    UserSeed { username: "zjph.master", name: "蒋文博", org: "zjph", master: true, roles: &["company_master"] },
];

/// Seeds a freshly migrated store. Returns the accounts for the login page.
pub async fn seed(store: &Store, password: &str) -> Result<Vec<DemoAccount>> {
    let config = IdentityConfig::default();
    config.password.check("--demo-password", password).map_err(|e| anyhow::anyhow!("{e}"))?;
    roles::ensure_builtin(store).await?;
    let sys = Principal::system();
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
            "这是演示环境。所有数据均为虚构，可随意操作；每次运行 demo 都会重建数据库。",
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
            },
        )
        .await?;
    }
    seed_products(store, &ids, &client).await?;
    Ok(accounts)
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
    ("ht", "国药准字H32020543", "布洛芬缓释胶囊", "恒泰舒", "胶囊剂", "0.3g", "20粒/盒", "8200001", "690765400001"),
    ("ht", "国药准字H20213345", "硝苯地平控释片", "", "片剂", "30mg", "7片/盒", "8200002", "690765400002"),
    ("ht", "国药准字S20190021", "重组人胰岛素注射液", "", "注射剂", "3ml:300单位", "1支/盒", "8200003", "690765400003"),
    ("ht", "国药准字HJ20200012", "阿托伐他汀钙片", "", "片剂", "20mg", "7片/盒", "8200004", "690765400004"),
];

async fn seed_products(store: &Store, ids: &[(&str, i64, &str)], client: &ClientInfo) -> Result<()> {
    let sys = Principal::system();
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
];
