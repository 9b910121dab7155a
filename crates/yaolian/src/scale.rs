//! `yaolian demo --scale city|province`: grows the demo world to what a province's regulator
//! holds, so that pages and queries are measured against real volumes (`yaolian bench pages`).
//!
//! Everything is written through the domain functions — the same checks, record versions,
//! ledger entries, dossier events and audit events as a clerk's change — in batches of one
//! transaction each (`orgs::create_many`, `products::create_many`, `persons::create_many`,
//! `licenses::issue_in_tx`), and applications step by step (`submit_at`, `act_at`, `decide_at`),
//! dated over the last two years so that the 工作台's trends have history. The generator is
//! deterministic (a fixed random seed): two runs grow the same world. Names and codes are
//! fictional; codes carry valid GB 32100-2015 check characters.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use std::collections::BTreeMap;
use yaolian_access::{ClientInfo, OrgKind, Principal};
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_identity::users::{self, NewUser};
use yaolian_identity::IdentityConfig;
use yaolian_license::licenses::{self, NewLicense, Sealing};
use yaolian_registry::persons::{self, NewPerson};
use yaolian_registry::products::{self, NewProduct};
use yaolian_services::applications::{self, Act, Decide, NewApplication, Upload};
use yaolian_store::Store;

/// How much the demo holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// The hand-made demo world alone (about 20 organizations).
    Demo,
    /// One twentieth of a province (a city's regulator).
    City,
    /// What one province holds: 30,000 companies and sites, 100,000 products, 200,000
    /// persons, 20,000 licenses, 100,000 applications; a ledger of over 1,000,000 entries.
    Province,
}

/// The volumes grown on top of the demo world.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Companies; each gets one site, so organizations are twice this.
    pub companies: usize,
    pub products: usize,
    pub persons: usize,
    pub licenses: usize,
    pub applications: usize,
    /// Companies with a master account that submit the applications (accounts cost an
    /// argon2id hash each).
    pub applicants: usize,
}

impl Sizes {
    pub const PROVINCE: Sizes = Sizes {
        companies: 15_000,
        products: 100_000,
        persons: 200_000,
        licenses: 20_000,
        applications: 100_000,
        applicants: 1_000,
    };

    /// The province divided by `d`.
    pub fn divided(d: usize) -> Sizes {
        let p = Sizes::PROVINCE;
        let d = d.max(1);
        Sizes {
            companies: p.companies / d,
            products: p.products / d,
            persons: p.persons / d,
            licenses: p.licenses / d,
            applications: p.applications / d,
            applicants: (p.applicants / d).max(5),
        }
    }
}

impl Scale {
    pub fn sizes(self) -> Option<Sizes> {
        match self {
            Scale::Demo => None,
            Scale::City => Some(Sizes::divided(20)),
            Scale::Province => Some(Sizes::PROVINCE),
        }
    }
}

/// What was grown, for the command's summary.
#[derive(Debug, Default)]
pub struct Grown {
    pub orgs: usize,
    pub products: usize,
    pub persons: usize,
    pub licenses: usize,
    pub applications: usize,
    pub ledger_entries: u64,
}

/// Zhejiang's cities: (name, 行政区划代码). 杭州 is the demo's own bureau.
const CITIES: &[(&str, &str)] = &[
    ("杭州市", "330100"),
    ("宁波市", "330200"),
    ("温州市", "330300"),
    ("嘉兴市", "330400"),
    ("湖州市", "330500"),
    ("绍兴市", "330600"),
    ("金华市", "330700"),
    ("衢州市", "330800"),
    ("舟山市", "330900"),
    ("台州市", "331000"),
    ("丽水市", "331100"),
];

const WORDS: &[&str] = &[
    "康宁", "华东", "仁和", "天瑞", "同济", "济生", "德和", "安康", "恒瑞", "新华", "博爱", "益民", "泰康", "瑞祥",
    "九洲", "广济", "惠民", "长生", "金鹰", "万和", "中和", "春晖", "百草", "寿仁", "佳禾", "嘉禾", "永安", "宏达",
    "正源", "明德", "海川", "青松", "远东", "东方", "民康", "善德", "和信", "信诚", "润泽", "百合",
];

/// Company kinds: (share of ten, name suffix, what it holds).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trade {
    Manufacturer,
    Wholesaler,
    Retailer,
}

const GENERICS: &[(&str, &str, &str)] = &[
    ("阿莫西林胶囊", "胶囊剂", "0.25g"),
    ("头孢克肟片", "片剂", "0.1g"),
    ("布洛芬缓释胶囊", "胶囊剂", "0.3g"),
    ("盐酸二甲双胍片", "片剂", "0.5g"),
    ("氨氯地平片", "片剂", "5mg"),
    ("阿托伐他汀钙片", "片剂", "20mg"),
    ("奥美拉唑肠溶胶囊", "胶囊剂", "20mg"),
    ("复方甘草口服溶液", "口服溶液剂", "100ml"),
    ("葡萄糖注射液", "注射剂", "250ml:12.5g"),
    ("氯化钠注射液", "注射剂", "500ml:4.5g"),
    ("板蓝根颗粒", "颗粒剂", "10g"),
    ("连花清瘟胶囊", "胶囊剂", "0.35g"),
    ("维生素C片", "片剂", "0.1g"),
    ("红霉素软膏", "软膏剂", "1%"),
    ("左氧氟沙星滴眼液", "滴眼剂", "5ml:15mg"),
    ("硝苯地平控释片", "片剂", "30mg"),
    ("蒙脱石散", "散剂", "3g"),
    ("双黄连口服液", "口服溶液剂", "10ml"),
    ("氯雷他定片", "片剂", "10mg"),
    ("甲硝唑片", "片剂", "0.2g"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强", "晓燕", "海燕",
];

fn bar(total: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {per_sec} 约剩 {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.set_message(what.to_string());
    pb
}

/// A generated 统一社会信用代码: the first 17 characters and their check character.
pub(crate) fn uscc(first17: String) -> Result<String> {
    let check = yaolian_core::uscc::check_character(&first17).context("generated code has a bad character")?;
    Ok(format!("{first17}{check}"))
}

async fn org_by_code(store: &Store, code: &str) -> Result<i64> {
    let row = sqlx::query("SELECT id FROM orgs WHERE code = $1").bind(code).fetch_one(store.pool()).await?;
    Ok(row.try_get(0)?)
}

async fn principal_of(store: &Store, username: &str) -> Result<Principal> {
    let id = users::id_by_username(store, username).await?;
    Ok(yaolian_identity::auth::principal_for_user(store, id).await?)
}

struct Company {
    id: i64,
    name: String,
    code: String,
    trade: Trade,
    city: usize,
}

/// Grows the seeded demo world by `sizes`. `password` is the demo password (the decisions are
/// signed with it by the demo's leader).
pub async fn grow(store: &Store, sealing: &Sealing, password: &str, sizes: &Sizes) -> Result<Grown> {
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed (province scale)".into() };
    let mut rng = StdRng::seed_from_u64(20_261_130);
    let mut grown = Grown::default();

    // Municipal bureaus under the province: 杭州 is the demo's; the others are new.
    let zj = org_by_code(store, "113300000024870444").await?;
    let mut bureaus = vec![org_by_code(store, "11330100002489537C").await?];
    let news: Vec<NewOrg> = CITIES[1..]
        .iter()
        .enumerate()
        .map(|(i, (city, region))| {
            Ok(NewOrg {
                kind: OrgKind::Municipal,
                name: format!("{city}市场监督管理局"),
                code: uscc(format!("11{region}MB{:07}", 1_000 + i))?,
                parent_id: Some(zj),
                region: format!("浙江省{city}"),
            })
        })
        .collect::<Result<_>>()?;
    bureaus.extend(orgs::create_many(store, &sys, &news, &client).await?.into_iter().map(|o| o.id));
    grown.orgs += news.len();

    // Companies, a tenth manufacturers, a tenth wholesalers, the rest pharmacies; one site each.
    let pb = bar(sizes.companies * 2, "企业与场所");
    let mut companies: Vec<Company> = Vec::with_capacity(sizes.companies);
    for chunk in (0..sizes.companies).collect::<Vec<_>>().chunks(1_000) {
        let mut batch = Vec::with_capacity(chunk.len());
        let mut meta = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let city = i % CITIES.len();
            let trade = match i % 10 {
                0 => Trade::Manufacturer,
                1 => Trade::Wholesaler,
                _ => Trade::Retailer,
            };
            let w1 = WORDS[rng.gen_range(0..WORDS.len())];
            let w2 = WORDS[rng.gen_range(0..WORDS.len())];
            let short = CITIES[city].0.trim_end_matches('市');
            let name = match trade {
                Trade::Manufacturer => format!("浙江{w1}{w2}制药有限公司"),
                Trade::Wholesaler => format!("{short}{w1}医药有限公司"),
                Trade::Retailer => format!("{short}{w1}{w2}大药房有限公司"),
            };
            let code = uscc(format!("91{}MA{:07}", CITIES[city].1, 2_000_000 + i))?;
            batch.push(NewOrg {
                kind: OrgKind::Company,
                name: name.clone(),
                code: code.clone(),
                parent_id: Some(bureaus[city]),
                region: format!("浙江省{}", CITIES[city].0),
            });
            meta.push((name, code, trade, city));
        }
        let created = orgs::create_many(store, &sys, &batch, &client).await.context("seeding companies")?;
        for (org, (name, code, trade, city)) in created.iter().zip(meta) {
            companies.push(Company { id: org.id, name, code, trade, city });
        }
        pb.inc(chunk.len() as u64);
    }
    for chunk in companies.chunks(1_000) {
        let batch: Vec<NewOrg> = chunk
            .iter()
            .map(|c| NewOrg {
                kind: OrgKind::Site,
                name: match c.trade {
                    Trade::Manufacturer => format!("{} 生产基地", c.name),
                    Trade::Wholesaler => format!("{} 仓库", c.name),
                    Trade::Retailer => format!("{} 门店", c.name),
                },
                code: format!("{}-01", c.code),
                parent_id: Some(c.id),
                region: format!("浙江省{}", CITIES[c.city].0),
            })
            .collect();
        orgs::create_many(store, &sys, &batch, &client).await.context("seeding sites")?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish();
    grown.orgs += companies.len() * 2;

    // Products of the manufacturers.
    let makers: Vec<&Company> = companies.iter().filter(|c| c.trade == Trade::Manufacturer).collect();
    if !makers.is_empty() {
        let pb = bar(sizes.products, "药品");
        for chunk in (0..sizes.products).collect::<Vec<_>>().chunks(1_000) {
            let batch: Vec<NewProduct> = chunk
                .iter()
                .map(|&i| {
                    let (generic, form, strength) = GENERICS[i % GENERICS.len()];
                    let letter = ["H", "Z", "S"][i % 3];
                    let rest = i / 3;
                    NewProduct {
                        approval_number: format!("国药准字{letter}{}{:04}", 2000 + rest / 10_000, rest % 10_000),
                        generic_name: generic.to_string(),
                        trade_name: String::new(),
                        dosage_form: form.to_string(),
                        strength: strength.to_string(),
                        pack: format!("{}盒", 6 + i % 4 * 6),
                        mah_org_id: makers[i % makers.len()].id,
                        manufacturer_org_id: None,
                        drug_code: None,
                        gtins: Vec::new(),
                    }
                })
                .collect();
            products::create_many(store, &sys, &batch, &client).await.context("seeding products")?;
            pb.inc(chunk.len() as u64);
        }
        pb.finish();
        grown.products = sizes.products;
    }

    // Licensed persons of every company.
    let pb = bar(sizes.persons, "人员");
    for chunk in (0..sizes.persons).collect::<Vec<_>>().chunks(2_000) {
        let batch: Vec<NewPerson> = chunk
            .iter()
            .map(|&i| {
                let c = &companies[i % companies.len()];
                let (qualification, prefix) = match (c.trade, i % 3) {
                    (Trade::Manufacturer, 0) => ("quality_head", "ZL"),
                    (Trade::Manufacturer, 1) => ("qualified_person", "SQ"),
                    (Trade::Manufacturer, _) => ("production_head", "SC"),
                    (_, 0) => ("enterprise_head", "QF"),
                    _ => ("licensed_pharmacist", "ZY"),
                };
                let year = 2016 + (i % 10) as i32;
                let from = format!("{year}-{:02}-01", 1 + i % 12);
                let until = format!("{}-{:02}-28", year + 5, 1 + i % 12);
                let name =
                    format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())]);
                NewPerson {
                    name,
                    qualification: qualification.into(),
                    cert_number: format!("{prefix}-33-{year}-{i:06}"),
                    employer_org_id: c.id,
                    valid_from: from,
                    valid_until: until,
                }
            })
            .collect();
        persons::create_many(store, &sys, &batch, &client).await.context("seeding persons")?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish();
    grown.persons = sizes.persons;

    // Licenses: one per company, the rest earlier licenses long expired; a few suspended and revoked.
    let leader = principal_of(store, "zj.leader").await?;
    let pb = bar(sizes.licenses, "许可证");
    let today = yaolian_core::Timestamp::now().china_date();
    let mut issued: Vec<(i64, usize)> = Vec::new();
    for chunk in (0..sizes.licenses).collect::<Vec<_>>().chunks(500) {
        let mut tx = store.begin().await?;
        for &i in chunk {
            let ci = i % companies.len();
            let c = &companies[ci];
            let rep = format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / 7) % GIVEN.len()]);
            let head = format!("{}{}", SURNAMES[(i / 3) % SURNAMES.len()], GIVEN[(i / 5) % GIVEN.len()]);
            let address = format!("浙江省{}{}路 {} 号", CITIES[c.city].0, WORDS[i % WORDS.len()], 1 + i % 300);
            let mut fields: BTreeMap<String, String> = [
                ("legal_representative", rep.clone()),
                ("principal", rep),
                ("quality_head", head.clone()),
                ("registered_address", address.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let kind = match c.trade {
                Trade::Manufacturer => {
                    fields.insert("production_head".into(), head.clone());
                    fields.insert("qualified_person".into(), head);
                    fields.insert("production_scope".into(), format!("{address}：片剂、硬胶囊剂、颗粒剂"));
                    fields.insert("category_code".into(), "Ah".into());
                    "drug_manufacturing"
                }
                Trade::Wholesaler => {
                    fields.insert("business_scope".into(), "化学药、中成药、生物制品".into());
                    "drug_wholesale"
                }
                Trade::Retailer => {
                    fields.insert("business_scope".into(), "处方药、非处方药（化学药、中成药）".into());
                    "drug_retail"
                }
            };
            // The first license of each company is current (some expiring within 90 days); the
            // rest are earlier ones, long expired.
            let from = if i < companies.len() {
                today - chrono::Days::new(30 + (i as u64 * 37) % (5 * 365 - 30))
            } else {
                today - chrono::Days::new(6 * 365 + (i as u64 * 11) % 900)
            };
            let new = NewLicense {
                kind: kind.into(),
                holder_org_id: c.id,
                number: None,
                valid_from: Some(from.to_string()),
                valid_until: None,
                fields,
            };
            let id = licenses::issue_in_tx(&mut tx, sealing, &leader, zj, &new, "演示数据：存量证照迁移")
                .await
                .context("seeding licenses")?;
            issued.push((id, ci));
        }
        tx.commit().await?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish();
    grown.licenses = sizes.licenses;
    for (n, (id, _)) in issued.iter().take(companies.len()).step_by(97).enumerate() {
        let (action, reason) = if n % 3 == 0 {
            (licenses::StatusAction::Revoke, "以欺骗手段取得许可，依法撤销")
        } else {
            (licenses::StatusAction::Suspend, "飞行检查发现质量管理体系严重缺陷，责令停业整改")
        };
        licenses::set_status(store, &leader, *id, action, reason, 1, &client).await?;
    }

    grow_applications(store, sealing, password, sizes, &companies, &mut rng, &client).await?;
    grown.applications = sizes.applications;
    grown.ledger_entries = yaolian_store::ledger::head(store.pool()).await?.1;
    // PostgreSQL plans by table statistics, which a bulk load leaves stale until autovacuum
    // comes round ("Populating a Database": run ANALYZE afterwards), and every step of an
    // application left a dead row version behind in its indexes. Pages measured right after the
    // seed would time plans made for empty tables (the statistics' rollup joined its 30,000
    // organizations by hash: 92 ms before ANALYZE, 7 ms after) and index scans wading through
    // dead entries (the open applications past due: 27,921 buffers before VACUUM, 1,319 after).
    if store.backend() == yaolian_store::Backend::Postgres {
        sqlx::raw_sql("VACUUM ANALYZE").execute(store.pool()).await.context("vacuuming the seeded tables")?;
    }
    Ok(grown)
}

/// Grades every company (风险分级), as the province's inspector recomputes them nightly: the
/// scores list, the plans and the 监管大屏's risk map read these. A batch over the whole
/// province (its reads scan by design), so `demo --scale` and `bench pages` call it after
/// [`grow`], and the query-plan test of the pages' statements does not. Companies graded.
pub async fn grade(store: &Store) -> Result<usize> {
    let client = ClientInfo { ip: "127.0.0.1".into(), user_agent: "yaolian demo seed (province scale)".into() };
    let inspector = principal_of(store, "zj.inspector").await?;
    let scored = yaolian_supervision::scores::recompute(store, &inspector, None, "", &client)
        .await
        .map_err(|e| anyhow::anyhow!("grading the companies: {e}"))?;
    Ok(usize::try_from(scored.companies).unwrap_or(0))
}

/// Applications over the last two years: most are 秒办 filings (decided by their rule), some
/// permits refused at the window, a few decided by the leader with a signed decision; those
/// of the last three weeks are at every step of the way.
async fn grow_applications(
    store: &Store,
    sealing: &Sealing,
    password: &str,
    sizes: &Sizes,
    companies: &[Company],
    rng: &mut StdRng,
    client: &ClientInfo,
) -> Result<()> {
    let sys = yaolian_access::run_as_system::principal();
    let config = IdentityConfig::default();
    // Master accounts of the pharmacies that apply.
    let retailers: Vec<&Company> = companies.iter().filter(|c| c.trade == Trade::Retailer).collect();
    let applicants = sizes.applicants.min(retailers.len());
    if applicants == 0 {
        return Ok(());
    }
    let pb = bar(applicants, "企业账号");
    let mut accounts = Vec::with_capacity(applicants);
    for (i, c) in retailers.iter().take(applicants).enumerate() {
        let new = NewUser {
            org_id: c.id,
            username: format!("qy{i:05}"),
            display_name: format!("{}{}", SURNAMES[i % SURNAMES.len()], GIVEN[(i / 3) % GIVEN.len()]),
            password: password.into(),
            email: String::new(),
            phone: String::new(),
            is_master: true,
            roles: vec!["company_master".into()],
        };
        let user = users::create(store, &config, &sys, &new, client).await.context("seeding company accounts")?;
        let principal = yaolian_identity::auth::principal_for_user(store, user.id).await?;
        accounts.push((principal, *c));
        pb.inc(1);
    }
    pb.finish();
    let leader = principal_of(store, "zj.leader").await?;
    let clerk = principal_of(store, "zj.clerk").await?;
    let reviewer = principal_of(store, "zj.reviewer").await?;
    let file = |label: &str| Upload {
        label: label.into(),
        name: format!("{label}.pdf"),
        content_type: "application/pdf".into(),
        content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("%PDF-1.4 {label}")),
    };
    let files: Vec<Upload> =
        ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"].map(file).to_vec();
    let now = yaolian_core::Timestamp::now();
    let pb = bar(sizes.applications, "办件");
    for i in 0..sizes.applications {
        let (applicant, c) = &accounts[i % accounts.len()];
        // Oldest first, two years back to today.
        let age_days = 730 - (i * 730 / sizes.applications.max(1)) as i64;
        let at = |extra_days: i64| {
            let day = now.china_date() - chrono::Days::new((age_days - extra_days).max(0) as u64);
            let t = yaolian_core::Timestamp::china_day_start(day).plus_seconds(office_hour(i) * 3600);
            if t.0 > now.0 {
                now
            } else {
                t
            }
        };
        let roll = i % 100;
        let recent = age_days <= 21;
        let filing = !recent && roll < 85;
        let form: BTreeMap<String, String> = if filing {
            [
                ("contact_person", format!("{}{}", SURNAMES[i % 30], GIVEN[i % 30])),
                ("contact_phone", format!("1390571{:04}", i % 10_000)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        } else {
            [
                ("enterprise_name", c.name.clone()),
                ("legal_representative", format!("{}{}", SURNAMES[(i / 2) % 30], GIVEN[(i / 3) % 30])),
                ("principal", format!("{}{}", SURNAMES[(i / 2) % 30], GIVEN[(i / 3) % 30])),
                ("quality_head", format!("{}{}（执业药师）", SURNAMES[(i / 5) % 30], GIVEN[(i / 7) % 30])),
                (
                    "registered_address",
                    format!("浙江省{}{}路 {} 号", CITIES[c.city].0, WORDS[i % WORDS.len()], 1 + i % 500),
                ),
                ("business_scope", "处方药、非处方药（化学药、中成药）".to_string()),
                ("contact_phone", format!("0571-8{:03} {:04}", i % 1000, (i * 7) % 10_000)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        };
        let new = NewApplication {
            type_code: if filing { "contact_change_filing" } else { "drug_retail_issue" }.into(),
            applicant_org_id: None,
            license_id: None,
            form,
            files: if filing { Vec::new() } else { files.clone() },
        };
        let view = applications::submit_at(store, sealing, applicant, &new, client, at(0)).await?;
        pb.inc(1);
        if filing {
            continue;
        }
        let id = view.application.id;
        // Where the permit stops: recent ones anywhere on the way; older ones refused at the
        // window, or decided.
        let stop = if recent {
            rng.gen_range(0..5)
        } else if roll < 95 {
            5
        } else {
            6
        };
        match stop {
            0 => {}
            1 => {
                let items = vec!["质量负责人执业药师注册证已过期".to_string()];
                applications::act_at(
                    store,
                    &clerk,
                    id,
                    &Act::RequestCorrection { items, note: String::new() },
                    1,
                    client,
                    at(1),
                )
                .await?;
            }
            5 => {
                let reason = "申请人不具备药品零售企业开办条件（经营场所面积不足）".to_string();
                applications::act_at(store, &clerk, id, &Act::Refuse { reason }, 1, client, at(1)).await?;
            }
            _ => {
                applications::act_at(store, &clerk, id, &Act::Accept { opinion: "材料齐全".into() }, 1, client, at(1))
                    .await?;
                if stop >= 3 {
                    let assign = Act::Assign { reviewer_ids: vec![reviewer.user_id()] };
                    applications::act_at(store, &clerk, id, &assign, 2, client, at(2)).await?;
                }
                if stop >= 4 {
                    let review =
                        Act::Review { opinion: "经营条件符合要求".into(), conclusion: "approve".into() };
                    applications::act_at(store, &reviewer, id, &review, 3, client, at(8)).await?;
                }
                if stop == 6 {
                    let decide = Decide {
                        outcome: "approve".into(),
                        opinion: "准予许可".into(),
                        password: password.into(),
                        totp: None,
                        expected_version: 4,
                    };
                    applications::decide_at(store, &config, sealing, &leader, id, &decide, client, at(15)).await?;
                }
            }
        }
    }
    pb.finish();
    applications::sweep_overdue(store).await?;
    Ok(())
}

/// An office hour (9–16) for the `i`th application, so that steps fall in the working day.
fn office_hour(i: usize) -> i64 {
    9 + (i % 8) as i64
}
