//! Adverse drug reaction reports (药品不良反应/事件报告, 《药品不良反应报告和监测管理办法》 卫生部令
//! 第81号 and its 报告表): who reported (医疗机构, 持有人, 经营企业, 个人), whether the reaction is new
//! (新的) or serious (严重), the patient without a name (sex, age), the day it began, its outcome,
//! the drugs — suspected (怀疑) or concomitant (并用), by 通用名 and, where known, 批准文号 — and
//! the events coded to the term list ([`crate::terms`]).
//!
//! Every report is a version (entity `adr_report`) written with its audit event. A report that
//! repeats one already counted — the same patient's sex and age, onset day, suspected drugs and
//! events, whoever sent it (a hospital and the holder report the same case) — is kept, marked a
//! duplicate of the first and not counted. A counted report adds to `adr_counts` (per region: its
//! pairs, drugs, events and one report) and its pairs to `adr_report_pairs`, in its transaction;
//! detection reads those counts ([`counts`]) and a signal's reports through the pairs.
//!
//! `signals.report` submits for one's own organization (form, API, spreadsheet import);
//! `signals.read` reads the reports in scope.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::{decode_json, encode_json, Params};
use yaolian_store::{Store, StoreError, Tx};

pub const ENTITY: &str = "adr_report";

/// Who reported, code and Chinese name (报告单位类别).
pub const REPORTER_KINDS: &[(&str, &str)] = &[
    ("medical", "医疗机构"),
    ("holder", "药品上市许可持有人"),
    ("distributor", "经营企业"),
    ("individual", "个人"),
    ("other", "其他"),
];

/// The patient's sex.
pub const SEXES: &[(&str, &str)] = &[("male", "男"), ("female", "女"), ("unknown", "不详")];

/// Outcomes (不良反应结果).
pub const OUTCOMES: &[(&str, &str)] = &[
    ("recovered", "痊愈"),
    ("improved", "好转"),
    ("not_recovered", "未好转"),
    ("sequelae", "有后遗症"),
    ("death", "死亡"),
    ("unknown", "不详"),
];

/// A drug's part in the report.
pub const ROLES: &[(&str, &str)] = &[("suspected", "怀疑药品"), ("concomitant", "并用药品")];

/// How a report came in.
pub const CHANNELS: &[(&str, &str)] = &[("form", "网页填报"), ("api", "接口上报"), ("import", "批量导入")];

/// Reports one call may submit together (an API batch; an import has its own limit, its rows).
pub const MAX_BATCH: usize = 1_000;

/// Drugs and events one report may name.
pub const MAX_DRUGS: usize = 10;
pub const MAX_EVENTS: usize = 10;

/// A drug as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewDrug {
    /// 通用名; taken from the product when the approval number names one.
    #[serde(default)]
    pub generic: String,
    /// 批准文号, when known: it must name a registered product.
    #[serde(default)]
    pub approval_number: String,
    /// 生产批号.
    #[serde(default)]
    pub batch: String,
    /// `suspected` (the default) or `concomitant`.
    #[serde(default)]
    pub role: String,
}

/// An event as submitted: a term's code (E0101) or Chinese name, and the reporter's own words.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewEvent {
    pub term: String,
    #[serde(default)]
    pub verbatim: String,
}

/// What submitting a report takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewReport {
    /// The reporter's own number (企业报告编号), unique per organization when given.
    #[serde(default)]
    pub external_ref: String,
    /// One of [`REPORTER_KINDS`]' codes.
    pub reporter_kind: String,
    /// 新的: not in the label.
    #[serde(default)]
    pub novel: bool,
    /// 严重 (death, life-threatening, hospitalization, disability …).
    #[serde(default)]
    pub serious: bool,
    /// One of [`SEXES`]' codes.
    pub sex: String,
    /// Age in years, 0 to 150.
    #[serde(default)]
    pub age: Option<i64>,
    /// The day the reaction began, YYYY-MM-DD, not after today.
    pub onset_on: String,
    /// One of [`OUTCOMES`]' codes.
    pub outcome: String,
    #[serde(default)]
    pub description: String,
    pub drugs: Vec<NewDrug>,
    pub events: Vec<NewEvent>,
}

/// A drug of a stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Drug {
    pub generic: String,
    pub approval_number: String,
    pub product_id: Option<i64>,
    /// The marketing authorization holder (上市许可持有人) of the product named.
    pub holder_id: Option<i64>,
    pub batch: String,
    pub role: String,
}

/// An event of a stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// The term's code.
    pub term: String,
    pub verbatim: String,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub id: i64,
    /// ADR-YYYY-NNNNNN.
    pub number: String,
    pub org_id: i64,
    pub org_name: String,
    pub region_org_id: i64,
    pub external_ref: String,
    pub reporter_kind: String,
    pub novel: bool,
    pub serious: bool,
    pub sex: String,
    pub age: Option<i64>,
    pub onset_on: String,
    pub outcome: String,
    pub description: String,
    pub drugs: Vec<Drug>,
    pub events: Vec<Event>,
    /// SM3 of what makes two reports the same case.
    pub fingerprint: String,
    /// The counted report this one repeats.
    pub duplicate_of: Option<i64>,
    pub channel: String,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

impl Report {
    /// The suspected drugs' generic names, each once.
    pub fn suspected(&self) -> BTreeSet<&str> {
        self.drugs.iter().filter(|d| d.role == "suspected").map(|d| d.generic.as_str()).collect()
    }

    /// The events' codes, each once.
    pub fn terms(&self) -> BTreeSet<&str> {
        self.events.iter().map(|e| e.term.as_str()).collect()
    }
}

const COLUMNS: &str = "r.id, r.number, r.org_id, o.name AS org_name, o.path AS org_path, r.region_org_id, \
     r.external_ref, r.reporter_kind, r.novel, r.serious, r.sex, r.age, r.onset_on, r.outcome, r.description, \
     r.drugs, r.events, r.fingerprint, r.duplicate_of, r.channel, r.created_by, r.created_at, r.version";
const FROM: &str = "adr_reports r JOIN orgs o ON o.id = r.org_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Report> {
    Ok(Report {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        region_org_id: r.try_get("region_org_id")?,
        external_ref: r.try_get("external_ref")?,
        reporter_kind: r.try_get("reporter_kind")?,
        novel: r.try_get::<i64, _>("novel")? != 0,
        serious: r.try_get::<i64, _>("serious")? != 0,
        sex: r.try_get("sex")?,
        age: r.try_get("age")?,
        onset_on: day_text(r.try_get("onset_on")?),
        outcome: r.try_get("outcome")?,
        description: r.try_get("description")?,
        drugs: decode_json(&r.try_get::<String, _>("drugs")?, "adr_reports.drugs")?,
        events: decode_json(&r.try_get::<String, _>("events")?, "adr_reports.events")?,
        fingerprint: r.try_get("fingerprint")?,
        duplicate_of: r.try_get("duplicate_of")?,
        channel: r.try_get("channel")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

/// The image its versions bind.
fn image(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "number": r.number, "org_id": r.org_id, "region_org_id": r.region_org_id,
        "external_ref": r.external_ref, "reporter_kind": r.reporter_kind, "novel": r.novel,
        "serious": r.serious, "sex": r.sex, "age": r.age, "onset_on": r.onset_on, "outcome": r.outcome,
        "description": r.description, "drugs": r.drugs, "events": r.events, "fingerprint": r.fingerprint,
        "duplicate_of": r.duplicate_of, "channel": r.channel,
    })
}

/// What makes two reports the same case: the patient's sex and age, the onset day, the suspected
/// drugs and the events (sorted), as SM3 hex.
pub fn fingerprint(
    sex: &str,
    age: Option<i64>,
    onset: i64,
    suspected: &BTreeSet<&str>,
    terms: &BTreeSet<&str>,
) -> String {
    let age = age.map(|a| a.to_string()).unwrap_or_default();
    let drugs: Vec<&str> = suspected.iter().copied().collect();
    let events: Vec<&str> = terms.iter().copied().collect();
    let text = format!("{sex}\u{1f}{age}\u{1f}{onset}\u{1f}{}\u{1f}{}", drugs.join("\u{1e}"), events.join("\u{1e}"));
    yaolian_ledger::HashAlg::Sm3.digest(&[text.as_bytes()]).to_hex()
}

/// A report checked and resolved, ready to write.
struct Valid {
    onset: i64,
    drugs: Vec<Drug>,
    events: Vec<Event>,
    fingerprint: String,
}

/// A registered product found by its approval number: (id, generic name, holder).
type Product = (i64, String, i64);

async fn products(store: &Store, numbers: &BTreeSet<String>) -> Result<HashMap<String, Product>> {
    let mut out = HashMap::new();
    let list: Vec<&String> = numbers.iter().collect();
    for chunk in list.chunks(500) {
        let mut p = Params::new();
        let marks: Vec<String> = chunk.iter().map(|n| p.push(n.as_str())).collect();
        let sql = format!(
            "SELECT id, approval_number, generic_name, mah_org_id FROM products WHERE approval_number IN ({})",
            marks.join(", ")
        );
        for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
            out.insert(r.try_get::<String, _>(1)?, (r.try_get(0)?, r.try_get(2)?, r.try_get(3)?));
        }
    }
    Ok(out)
}

fn one_of(errors: &mut ValidationError, field: &str, list: &[(&str, &str)], value: &str) {
    if value.trim().is_empty() {
        errors.push(field, "required", "a choice from the list");
    } else if !list.iter().any(|(c, _)| *c == value) {
        let codes: Vec<&str> = list.iter().map(|(c, _)| *c).collect();
        errors.push(field, format!("one_of:{}", codes.join(",")), format!("one of {}", codes.join(", ")));
    }
}

/// Checks a report, each refusal named by `prefix` + field (`drugs[0].generic`).
fn validate(n: &NewReport, prefix: &str, known: &HashMap<String, Product>, errors: &mut ValidationError) -> Valid {
    let f = |name: &str| format!("{prefix}{name}");
    errors.length(&f("external_ref"), &n.external_ref, 0, 64);
    one_of(errors, &f("reporter_kind"), REPORTER_KINDS, &n.reporter_kind);
    one_of(errors, &f("sex"), SEXES, &n.sex);
    one_of(errors, &f("outcome"), OUTCOMES, &n.outcome);
    if let Some(age) = n.age {
        if !(0..=150).contains(&age) {
            errors.push(f("age"), "range:0..150", "age in years, 0 to 150");
        }
    }
    errors.length(&f("description"), &n.description, 0, 4000);
    let onset = if n.onset_on.trim().is_empty() {
        errors.push(f("onset_on"), "required", "the day the reaction began");
        0
    } else {
        yaolian_supervision::enforcement::day_input(errors, &f("onset_on"), &n.onset_on, None)
    };
    if n.drugs.is_empty() || n.drugs.len() > MAX_DRUGS {
        errors.push(f("drugs"), format!("count:1..{MAX_DRUGS}"), format!("1 to {MAX_DRUGS} drugs"));
    }
    if n.events.is_empty() || n.events.len() > MAX_EVENTS {
        errors.push(f("events"), format!("count:1..{MAX_EVENTS}"), format!("1 to {MAX_EVENTS} events"));
    }
    let mut drugs = Vec::with_capacity(n.drugs.len());
    for (i, d) in n.drugs.iter().take(MAX_DRUGS).enumerate() {
        let field = |name: &str| format!("{prefix}drugs[{i}].{name}");
        let role = if d.role.trim().is_empty() { "suspected" } else { d.role.trim() };
        one_of(errors, &field("role"), ROLES, role);
        errors.length(&field("batch"), &d.batch, 0, 64);
        let number = d.approval_number.trim();
        let product = if number.is_empty() {
            None
        } else {
            let found = known.get(number);
            if found.is_none() {
                errors.push(field("approval_number"), "exists", "a registered product's 批准文号");
            }
            found
        };
        let generic = match product {
            Some((_, name, _)) => name.clone(),
            None => d.generic.trim().to_string(),
        };
        // An unknown approval number is refused above; else the name is required.
        if product.is_some() || number.is_empty() {
            errors.length(&field("generic"), &generic, 1, 100);
        }
        drugs.push(Drug {
            generic,
            approval_number: number.to_string(),
            product_id: product.map(|p| p.0),
            holder_id: product.map(|p| p.2),
            batch: d.batch.trim().to_string(),
            role: role.to_string(),
        });
    }
    if !n.drugs.is_empty() && !drugs.iter().any(|d| d.role == "suspected") {
        errors.push(f("drugs"), "suspected_required", "at least one suspected drug (怀疑药品)");
    }
    let mut events = Vec::with_capacity(n.events.len());
    for (i, e) in n.events.iter().take(MAX_EVENTS).enumerate() {
        let field = |name: &str| format!("{prefix}events[{i}].{name}");
        errors.length(&field("verbatim"), &e.verbatim, 0, 200);
        match crate::terms::resolve(&e.term) {
            Some(t) => events.push(Event { term: t.code.to_string(), verbatim: e.verbatim.trim().to_string() }),
            None => errors.push(field("term"), "term", "a term of the list (code such as E0101, or its name)"),
        }
    }
    let suspected: BTreeSet<&str> =
        drugs.iter().filter(|d| d.role == "suspected").map(|d| d.generic.as_str()).collect();
    let terms: BTreeSet<&str> = events.iter().map(|e| e.term.as_str()).collect();
    let fingerprint = fingerprint(&n.sex, n.age, onset, &suspected, &terms);
    Valid { onset, drugs, events, fingerprint }
}

/// The organization a principal reports for and the region its reports count in: a company's
/// parent bureau, or a bureau itself (a report it registers for an individual).
async fn reporter(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<i64> {
    if !principal.reaches(perm::SIGNALS_REPORT, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SIGNALS_REPORT, "adr_reports", client).await);
    }
    if principal.org_kind().is_regulator() {
        return Ok(principal.org_id());
    }
    let parent: Option<i64> = sqlx::query_scalar("SELECT parent_id FROM orgs WHERE id = $1")
        .bind(principal.org_id())
        .fetch_optional(store.pool())
        .await?
        .flatten();
    parent.ok_or_else(|| {
        ValidationError::single("org", "region", "the reporting organization sits under no bureau").into()
    })
}

/// Submits one report for the principal's organization (`signals.report`).
pub async fn submit(
    store: &Store,
    principal: &Principal,
    new: &NewReport,
    channel: &str,
    client: &ClientInfo,
) -> Result<Report> {
    let ids = submit_many(store, principal, std::slice::from_ref(new), channel, client).await?;
    let id = ids.first().copied().ok_or(IdentityError::NotFound("report"))?;
    get(store, principal, id, client).await
}

/// Submits reports together (`signals.report`): every one checked first (a refusal names the
/// report's index, `reports[3].onset_on`, when there are several), then all written in one
/// transaction or none. Answers their ids in order.
pub async fn submit_many(
    store: &Store,
    principal: &Principal,
    news: &[NewReport],
    channel: &str,
    client: &ClientInfo,
) -> Result<Vec<i64>> {
    let region = reporter(store, principal, client).await?;
    let mut errors = ValidationError::new();
    one_of(&mut errors, "channel", CHANNELS, channel);
    let most = if channel == "import" { yaolian_registry::table::Limits::UPLOAD.max_rows } else { MAX_BATCH };
    if news.is_empty() || news.len() > most {
        return Err(
            ValidationError::single("reports", format!("count:1..{most}"), format!("1 to {most} reports")).into()
        );
    }
    let numbers: BTreeSet<String> = news
        .iter()
        .flat_map(|n| n.drugs.iter().map(|d| d.approval_number.trim().to_string()))
        .filter(|n| !n.is_empty())
        .collect();
    let known = products(store, &numbers).await?;
    let mut valid = Vec::with_capacity(news.len());
    let mut refs = BTreeSet::new();
    for (i, n) in news.iter().enumerate() {
        let prefix = if news.len() == 1 { String::new() } else { format!("reports[{i}].") };
        let external = n.external_ref.trim();
        if !external.is_empty() && !refs.insert(external) {
            errors.push(format!("{prefix}external_ref"), "unique", "each report's own number once");
        }
        valid.push(validate(n, &prefix, &known, &mut errors));
    }
    errors.into_result()?;
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(news.len());
    let mut tally: HashMap<(String, String), i64> = HashMap::new();
    let mut seen: HashMap<String, i64> = HashMap::new();
    for (i, (n, v)) in news.iter().zip(&valid).enumerate() {
        let duplicate = match seen.get(&v.fingerprint) {
            Some(id) => Some(*id),
            None => first_with(&mut tx, &v.fingerprint).await?,
        };
        let id = match insert(&mut tx, principal, region, n, v, channel, duplicate).await {
            Ok(id) => id,
            Err(crate::SignalError::Shared(IdentityError::Store(e))) if e.is_unique_violation() => {
                let message = format!("{}: a report of yours has this number already", n.external_ref.trim());
                let field =
                    if news.len() == 1 { "external_ref".to_string() } else { format!("reports[{i}].external_ref") };
                return Err(ValidationError::single(field, "unique", message).into());
            }
            Err(e) => return Err(e),
        };
        if duplicate.is_none() {
            seen.insert(v.fingerprint.clone(), id);
            count(&mut tx, id, region, v, &mut tally).await?;
        }
        let r = load(&mut tx, id).await?;
        let reason = match duplicate {
            Some(first) => format!("重复报告，与报告 {first} 为同一病例，不计入统计"),
            None => String::new(),
        };
        let step = yaolian_records::step::Step {
            entity: ENTITY,
            id,
            version: r.version,
            data: image(&r),
            action: "submit",
            reason: &reason,
            audit: audit::action::ADR_REPORT,
            target: format!("adr_report:{id} {} submit", r.number),
        };
        yaolian_records::step::record(&mut tx, principal, step, client).await?;
        ids.push(id);
    }
    add_counts(&mut tx, region, tally).await?;
    tx.commit().await?;
    Ok(ids)
}

async fn first_with(tx: &mut Tx<'_>, fingerprint: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(id) FROM adr_reports WHERE fingerprint = $1 AND duplicate_of IS NULL")
        .bind(fingerprint)
        .fetch_one(&mut **tx)
        .await?)
}

async fn insert(
    tx: &mut Tx<'_>,
    principal: &Principal,
    region: i64,
    n: &NewReport,
    v: &Valid,
    channel: &str,
    duplicate: Option<i64>,
) -> Result<i64> {
    let now = Timestamp::now();
    let provisional = format!("new-{}-{}-{}", principal.user_id(), now.0, v.fingerprint);
    let id: i64 = sqlx::query(
        "INSERT INTO adr_reports (number, org_id, region_org_id, external_ref, reporter_kind, novel, serious, sex, \
           age, onset_on, outcome, description, drugs, events, fingerprint, duplicate_of, channel, created_by, \
           created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $19) \
         RETURNING id",
    )
    .bind(&provisional)
    .bind(principal.org_id())
    .bind(region)
    .bind(n.external_ref.trim())
    .bind(n.reporter_kind.as_str())
    .bind(i64::from(n.novel))
    .bind(i64::from(n.serious))
    .bind(n.sex.as_str())
    .bind(n.age)
    .bind(v.onset)
    .bind(n.outcome.as_str())
    .bind(n.description.trim())
    .bind(encode_json(&v.drugs)?)
    .bind(encode_json(&v.events)?)
    .bind(&v.fingerprint)
    .bind(duplicate)
    .bind(channel)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    // 不良反应报告编号: ADR + year + the report's number.
    let number = format!("ADR-{}-{id:06}", now.china_date().format("%Y"));
    sqlx::query("UPDATE adr_reports SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut **tx).await?;
    Ok(id)
}

/// A counted report's pairs, and its margins added to `tally` (drug, term; '' for a margin).
async fn count(
    tx: &mut Tx<'_>,
    id: i64,
    region: i64,
    v: &Valid,
    tally: &mut HashMap<(String, String), i64>,
) -> Result<()> {
    let suspected: BTreeSet<&str> =
        v.drugs.iter().filter(|d| d.role == "suspected").map(|d| d.generic.as_str()).collect();
    let terms: BTreeSet<&str> = v.events.iter().map(|e| e.term.as_str()).collect();
    let mut values = Vec::new();
    for drug in &suspected {
        for term in &terms {
            values.extend([id.into(), (*drug).into(), (*term).into(), region.into()]);
            *tally.entry((drug.to_string(), term.to_string())).or_default() += 1;
        }
        *tally.entry((drug.to_string(), String::new())).or_default() += 1;
    }
    for term in &terms {
        *tally.entry((String::new(), term.to_string())).or_default() += 1;
    }
    *tally.entry((String::new(), String::new())).or_default() += 1;
    yaolian_store::sql::insert_rows(
        tx,
        "INSERT INTO adr_report_pairs (report_id, drug, term, region_org_id)",
        "",
        4,
        values,
    )
    .await?;
    Ok(())
}

/// Adds a batch's counts to the region's rows of `adr_counts`.
async fn add_counts(tx: &mut Tx<'_>, region: i64, tally: HashMap<(String, String), i64>) -> Result<()> {
    let mut values = Vec::with_capacity(tally.len() * 4);
    let mut keys: Vec<((String, String), i64)> = tally.into_iter().collect();
    keys.sort();
    for ((drug, term), n) in keys {
        values.extend([region.into(), drug.into(), term.into(), n.into()]);
    }
    yaolian_store::sql::insert_rows(
        tx,
        "INSERT INTO adr_counts (region_org_id, drug, term, n)",
        "ON CONFLICT (region_org_id, drug, term) DO UPDATE SET n = adr_counts.n + excluded.n",
        4,
        values,
    )
    .await?;
    Ok(())
}

async fn load(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Report> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    from_row(&row.ok_or(IdentityError::NotFound("report"))?)
}

/// One report, if the principal may read it (`signals.read` over the reporting organization).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Report> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::SIGNALS_READ, &sql, id, (ENTITY, "report"), client)
            .await?;
    from_row(&row)
}

/// What a list of reports is narrowed by.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    /// Number, reporter or description.
    #[serde(default)]
    pub q: String,
    /// `serious`, `novel`, `duplicate` or empty.
    #[serde(default)]
    pub only: String,
    /// A drug × event pair's reports (both given).
    #[serde(default)]
    pub drug: String,
    #[serde(default)]
    pub term: String,
}

/// A page of the reports in the principal's scope (`signals.read`), newest first.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Report>, i64)> {
    let narrow = |p: &mut Params| {
        let mut w = Vec::new();
        match filter.only.as_str() {
            "serious" => w.push("r.serious = 1".to_string()),
            "novel" => w.push("r.novel = 1".to_string()),
            "duplicate" => w.push("r.duplicate_of IS NOT NULL".to_string()),
            _ => {}
        }
        if !filter.drug.trim().is_empty() && !filter.term.trim().is_empty() {
            let (drug, term) = (p.push(filter.drug.trim()), p.push(filter.term.trim()));
            w.push(format!("r.id IN (SELECT report_id FROM adr_report_pairs WHERE drug = {drug} AND term = {term})"));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["r.number", "o.name", "r.external_ref"], q));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SIGNALS_READ,
        "adr_reports",
        (COLUMNS, FROM, "r.id DESC"),
        narrow,
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// The counts detection reads for the principal's scope of `signals.read`, summed over the regions
/// in it: per pair, per drug, per term and all reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub pairs: HashMap<(String, String), u64>,
    pub drugs: HashMap<String, u64>,
    pub terms: HashMap<String, u64>,
    pub total: u64,
}

impl Counts {
    /// Tallies reports held in memory, as the write path counts them (the benchmark and tests).
    pub fn tally<'a>(reports: impl Iterator<Item = (BTreeSet<&'a str>, BTreeSet<&'a str>)>) -> Counts {
        let mut c = Counts::default();
        for (drugs, terms) in reports {
            c.total += 1;
            for d in &drugs {
                *c.drugs.entry(d.to_string()).or_default() += 1;
                for t in &terms {
                    *c.pairs.entry((d.to_string(), t.to_string())).or_default() += 1;
                }
            }
            for t in &terms {
                *c.terms.entry(t.to_string()).or_default() += 1;
            }
        }
        c
    }
}

/// Reads the counts of the regions in the principal's scope of `signals.read`.
pub async fn counts(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Counts> {
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SIGNALS_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::SIGNALS_READ, "adr_counts", client).await);
    };
    let sql = format!(
        "SELECT c.drug, c.term, CAST(SUM(c.n) AS BIGINT) FROM adr_counts c JOIN orgs o ON o.id = c.region_org_id \
         WHERE {scope} GROUP BY c.drug, c.term"
    );
    let mut out = Counts::default();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (drug, term): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let n = u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0);
        match (drug.is_empty(), term.is_empty()) {
            (true, true) => out.total += n,
            (false, true) => *out.drugs.entry(drug).or_default() += n,
            (true, false) => *out.terms.entry(term).or_default() += n,
            (false, false) => *out.pairs.entry((drug, term)).or_default() += n,
        }
    }
    Ok(out)
}

/// The company a drug × event pair's reports in scope name most often as the suspected drug's
/// holder, with how many reports name it: whom a case about the signal concerns.
pub async fn top_holder(
    store: &Store,
    principal: &Principal,
    drug: &str,
    term: &str,
    client: &ClientInfo,
) -> Result<Option<i64>> {
    let (reports, _) = list(
        store,
        principal,
        &Filter { drug: drug.to_string(), term: term.to_string(), ..Filter::default() },
        (1_000, 0),
        client,
    )
    .await?;
    let mut by: HashMap<i64, usize> = HashMap::new();
    for r in &reports {
        let holders: BTreeSet<i64> =
            r.drugs.iter().filter(|d| d.role == "suspected" && d.generic == drug).filter_map(|d| d.holder_id).collect();
        for h in holders {
            *by.entry(h).or_default() += 1;
        }
    }
    Ok(by.into_iter().max_by_key(|(id, n)| (*n, std::cmp::Reverse(*id))).map(|(id, _)| id))
}

/// Reports as an exported table.
pub fn table(list: &[Report]) -> audit::Table {
    let zh = |l: &[(&str, &'static str)], c: &str| l.iter().find(|(k, _)| *k == c).map(|(_, z)| *z).unwrap_or("");
    let rows = list.iter().map(|r| {
        let drugs: Vec<String> = r.drugs.iter().map(|d| format!("{}（{}）", d.generic, zh(ROLES, &d.role))).collect();
        let events: Vec<&str> = r.events.iter().map(|e| crate::terms::zh(&e.term)).collect();
        vec![
            r.number.clone(),
            r.org_name.clone(),
            zh(REPORTER_KINDS, &r.reporter_kind).to_string(),
            if r.novel { "是" } else { "否" }.to_string(),
            if r.serious { "是" } else { "否" }.to_string(),
            zh(SEXES, &r.sex).to_string(),
            r.age.map(|a| a.to_string()).unwrap_or_default(),
            r.onset_on.clone(),
            drugs.join("；"),
            events.join("；"),
            zh(OUTCOMES, &r.outcome).to_string(),
            if r.duplicate_of.is_some() { "重复" } else { "" }.to_string(),
            r.created_at.to_china_string(),
        ]
    });
    audit::Table::new(
        "不良反应报告",
        &[
            "报告编号",
            "报告单位",
            "报告单位类别",
            "新的",
            "严重",
            "性别",
            "年龄",
            "发生日期",
            "药品",
            "不良反应",
            "结果",
            "重复",
            "上报时间",
        ],
        rows,
    )
}

/// Reports whose row differs from their latest version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY r.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let report = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: report.id.to_string(), data: image(&report) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// The columns an import reads: (Chinese header, field). The first seven are required.
pub const IMPORT_COLUMNS: &[(&str, &str)] = &[
    ("报告单位类别", "reporter_kind"),
    ("性别", "sex"),
    ("不良反应发生日期", "onset_on"),
    ("不良反应结果", "outcome"),
    ("怀疑药品通用名", "generic"),
    ("不良反应名称", "events"),
    ("严重", "serious"),
    ("报告编号", "external_ref"),
    ("新的", "novel"),
    ("年龄", "age"),
    ("批准文号", "approval_number"),
    ("生产批号", "batch"),
    ("并用药品", "concomitant"),
    ("不良反应过程描述", "description"),
];
const REQUIRED_COLUMNS: usize = 7;

/// What an import did: rows read and the reports written, or every refusal (row, field, rule).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Imported {
    pub rows: usize,
    pub created: Vec<i64>,
    pub duplicates: usize,
}

/// Imports a spreadsheet of reports (xlsx, xls or CSV, within the upload limits; one report a
/// row, several drugs or events separated by ；or ;). Every row is checked first; a refusal names
/// its row as the sheet numbers it (`rows[3].onset_on` is row 3) and nothing is written; else all
/// rows are written together.
pub async fn import(store: &Store, principal: &Principal, file: Vec<u8>, client: &ClientInfo) -> Result<Imported> {
    reporter(store, principal, client).await?;
    let read = tokio_blocking_read(file).await?;
    let header = read.first().cloned().unwrap_or_default();
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some((_, field)) =
            IMPORT_COLUMNS.iter().find(|(zh, en)| h.trim() == *zh || h.trim().eq_ignore_ascii_case(en))
        {
            columns.insert(field, i);
        }
    }
    let mut errors = ValidationError::new();
    for (zh, en) in &IMPORT_COLUMNS[..REQUIRED_COLUMNS] {
        if !columns.contains_key(en) {
            errors.push("file", "column_required", format!("the first row must have a column {zh} ({en})"));
        }
    }
    errors.into_result()?;
    let code = |list: &[(&'static str, &str)], text: &str| -> String {
        let t = text.trim();
        list.iter()
            .find(|(c, z)| *z == t || c.eq_ignore_ascii_case(t))
            .map(|(c, _)| c.to_string())
            .unwrap_or_else(|| t.to_string())
    };
    let split = |text: &str| -> Vec<String> {
        text.split(['；', ';']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    };
    let yes = |text: &str| matches!(text.trim(), "是" | "Y" | "y" | "yes" | "true" | "1");
    let mut news = Vec::new();
    let mut bad = ValidationError::new();
    for (i, row) in read.iter().enumerate().skip(1) {
        let cell = |field: &str| columns.get(field).and_then(|&c| row.get(c)).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let age = match cell("age") {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(a) => Some(a),
                Err(_) => {
                    bad.push(format!("rows[{}].age", i + 1), "integer", "age in whole years");
                    None
                }
            },
        };
        let generics = split(cell("generic"));
        let numbers = split(cell("approval_number"));
        let mut drugs: Vec<NewDrug> = generics
            .iter()
            .enumerate()
            .map(|(k, g)| NewDrug {
                generic: g.clone(),
                approval_number: numbers.get(k).cloned().unwrap_or_default(),
                batch: if k == 0 { cell("batch").to_string() } else { String::new() },
                role: "suspected".into(),
            })
            .collect();
        drugs.extend(split(cell("concomitant")).into_iter().map(|g| NewDrug {
            generic: g,
            role: "concomitant".into(),
            ..NewDrug::default()
        }));
        news.push((
            i + 1,
            NewReport {
                external_ref: cell("external_ref").to_string(),
                reporter_kind: code(REPORTER_KINDS, cell("reporter_kind")),
                novel: yes(cell("novel")),
                serious: yes(cell("serious")),
                sex: code(SEXES, cell("sex")),
                age,
                onset_on: cell("onset_on").to_string(),
                outcome: code(OUTCOMES, cell("outcome")),
                description: cell("description").to_string(),
                drugs,
                events: split(cell("events"))
                    .into_iter()
                    .map(|t| NewEvent { term: t, verbatim: String::new() })
                    .collect(),
            },
        ));
    }
    bad.into_result()?;
    if news.is_empty() {
        return Err(ValidationError::single("file", "rows_required", "at least one report below the header").into());
    }
    let rows: Vec<usize> = news.iter().map(|(r, _)| *r).collect();
    let reports: Vec<NewReport> = news.into_iter().map(|(_, n)| n).collect();
    let ids = match submit_many(store, principal, &reports, "import", client).await {
        Ok(ids) => ids,
        Err(crate::SignalError::Shared(IdentityError::Validation(v))) => {
            // reports[k].field → rows[sheet row].field.
            let mut renamed = ValidationError::new();
            for e in &v.errors {
                let field = match e.field.strip_prefix("reports[").and_then(|s| s.split_once("].")) {
                    Some((k, rest)) => {
                        let row = k.parse::<usize>().ok().and_then(|k| rows.get(k)).copied().unwrap_or(0);
                        format!("rows[{row}].{rest}")
                    }
                    None if rows.len() == 1 => format!("rows[{}].{}", rows[0], e.field),
                    None => e.field.clone(),
                };
                renamed.push(field, e.rule.clone(), e.message.clone());
            }
            return Err(renamed.into());
        }
        Err(e) => return Err(e),
    };
    let duplicates: i64 = {
        let mut p = Params::new();
        let marks: Vec<String> = ids.iter().take(30_000).map(|id| p.push(*id)).collect();
        let sql =
            format!("SELECT COUNT(*) FROM adr_reports WHERE duplicate_of IS NOT NULL AND id IN ({})", marks.join(", "));
        p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?.try_get(0)?
    };
    Ok(Imported { rows: rows.len(), created: ids, duplicates: usize::try_from(duplicates).unwrap_or(0) })
}

/// Reads an upload off the async workers, within the upload limits.
async fn tokio_blocking_read(file: Vec<u8>) -> Result<yaolian_registry::table::Rows> {
    let read = tokio::task::spawn_blocking(move || yaolian_registry::table::read(&file)).await;
    match read {
        Ok(Ok(rows)) => Ok(rows),
        Ok(Err(e)) => Err(ValidationError::single("file", e.rule(), e.to_string()).into()),
        Err(e) => Err(ValidationError::single(
            "file",
            "format",
            format!("not a spreadsheet this system reads (xlsx, xls, csv): {e}"),
        )
        .into()),
    }
}
