//! Risk scores (风险评分) and credit grades (信用等级) as kept: one row per company and per
//! product (`sup_scores`), each the [`Score`] its bureau's [`crate::risk::Model`] gives the facts
//! the platform holds, with the explanation. A recompute gathers the facts of every company in
//! scope with one grouped query per source (no query per company), scores them, and writes only
//! what changed — in batches, each change a version of entity `sup_score` (id `company:12`,
//! `product:34`) whose reason says what moved and why. A company whose overall level becomes
//! high raises a risk case (source `score`); a moved level or grade goes on its 一企一档
//! timeline.
//!
//! Who may do what: `supervision.read` reads the scores of companies in scope;
//! `supervision.manage` recomputes them (closing a case recomputes its company's).

use crate::error::Result;
use crate::models::{Models, Stored};
use crate::risk::{
    self, AnomalyFact, CaseFact, Facts, FindingFact, PenaltyFact, ProductFact, RecallFact, SampleFact, Score,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::DAY_MS;
use yaolian_core::Timestamp;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{versions, NewVersion, Store, StoreError};

pub const ENTITY: &str = "sup_score";

/// Changed scores written per transaction (a long recompute never holds the writer long).
const BATCH: usize = 2_000;
/// Above this many companies a recompute reads every row and keeps those in scope, rather than
/// naming the companies in the query.
const NAMED: usize = 200;

/// A kept score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Kept {
    /// `company` or `product`.
    pub subject: String,
    pub subject_id: i64,
    /// The company's name, or the product's 通用名（批准文号）.
    pub subject_name: String,
    pub company_id: i64,
    pub company_name: String,
    /// The bureau whose model scored it (`None`: the shipped default) and its version.
    pub model_org_id: Option<i64>,
    pub model_version: i64,
    pub score: Score,
    #[schema(value_type = i64)]
    pub computed_at: Timestamp,
    pub version: i64,
}

/// What a recompute did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Outcome {
    pub companies: i64,
    pub products: i64,
    /// Scores written (new or changed).
    pub changed: i64,
    /// Risk cases raised because a company became high risk.
    pub raised: Vec<String>,
}

/// A company being scored: the model that scores it (resolved once) and its facts.
struct Company<'m> {
    model: &'m Stored,
    facts: Facts,
}

/// The company column condition of a gathering query: the named companies, or every row.
fn narrow(p: &mut Params, columns: &[&str], named: Option<&[i64]>) -> String {
    let Some(ids) = named else { return String::new() };
    let list: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let list = list.join(", ");
    let any: Vec<String> = columns.iter().map(|c| format!("{c} IN ({list})")).collect();
    format!(" AND ({})", any.join(" OR "))
}

/// Recomputes the scores of the companies in the principal's `supervision.manage` scope (only
/// those of `only`, when given) and of their products; `trigger` says why (e.g. "风险处置
/// FX-2026-00003 结案"), empty for a routine recompute.
pub async fn recompute(
    store: &Store,
    principal: &Principal,
    only: Option<&[i64]>,
    trigger: &str,
    client: &ClientInfo,
) -> Result<Outcome> {
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_MANAGE, &mut p) else {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_scores", client).await);
    };
    let named = only.filter(|ids| ids.len() <= NAMED);
    let mut sql = format!("SELECT o.id, o.path FROM orgs o WHERE o.kind = 'company' AND {scope}");
    sql.push_str(&narrow(&mut p, &["o.id"], named));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let wanted: Option<HashSet<i64>> = only.map(|ids| ids.iter().copied().collect());
    let models = Models::load(store).await?;
    let mut companies: HashMap<i64, Company> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        if wanted.as_ref().is_none_or(|w| w.contains(&id)) {
            let path: String = r.try_get("path")?;
            let model = models.for_path(&path);
            companies.insert(id, Company { model, facts: Facts { sites: 1, ..Facts::default() } });
        }
    }
    if companies.is_empty() {
        return Ok(Outcome::default());
    }
    let now = Timestamp::now();
    let products = gather(store, &mut companies, named, now).await?;
    let kept = kept(store, named).await?;
    // Score, and keep what changed.
    let mut changes: Vec<Change> = Vec::new();
    let mut ids: Vec<&i64> = companies.keys().collect();
    ids.sort();
    let mut outcome = Outcome { companies: ids.len() as i64, ..Outcome::default() };
    for id in ids {
        let c = &companies[id];
        let stored = c.model;
        let score = risk::score_company(&stored.model, &c.facts);
        let model_ref = (stored.org_id, stored.version);
        push_change(&mut changes, &kept, ("company", *id, *id), model_ref, score, trigger);
    }
    for (pid, (owner, product, recalls)) in &products {
        let Some(c) = companies.get(owner) else { continue };
        let stored = c.model;
        let score = risk::score_product(&stored.model, product, recalls);
        outcome.products += 1;
        push_change(&mut changes, &kept, ("product", *pid, *owner), (stored.org_id, stored.version), score, trigger);
    }
    outcome.changed = changes.len() as i64;
    for batch in changes.chunks(BATCH) {
        write(store, principal, batch, trigger, client).await?;
    }
    // A company that became high risk raises its case.
    let crossed: Vec<&Change> = changes
        .iter()
        .filter(|c| c.subject == "company" && c.score.level == "high")
        .filter(|c| c.before.as_ref().is_some_and(|b| b.level != "high"))
        .filter(|c| companies.get(&c.subject_id).is_some_and(|co| co.model.model.alert_on_high))
        .collect();
    if !crossed.is_empty() {
        // The working-day calendar their due days are counted on, read once for them all.
        let cal = yaolian_services::Calendar::load(store).await?;
        for c in crossed {
            let source_ref = format!("company:{}:v{}", c.subject_id, c.version);
            // The level moved, so the change's reason is the `why` of the move.
            let raised =
                crate::cases::raise_for_score(store, principal, &cal, c.subject_id, &source_ref, &c.reason, client);
            if let Some(number) = raised.await? {
                outcome.raised.push(number);
            }
        }
    }
    Ok(outcome)
}

/// A score to write: the subject, the score before (if any) and after.
struct Change {
    subject: &'static str,
    subject_id: i64,
    company_id: i64,
    model: (Option<i64>, i64),
    before: Option<Score>,
    score: Score,
    /// The version this write makes.
    version: i64,
    reason: String,
}

type KeptMap = HashMap<(String, i64), (Option<i64>, i64, Score, i64)>;

fn push_change(
    changes: &mut Vec<Change>,
    kept: &KeptMap,
    (subject, subject_id, company_id): (&'static str, i64, i64),
    model: (Option<i64>, i64),
    score: Score,
    trigger: &str,
) {
    let before = kept.get(&(subject.to_string(), subject_id));
    if let Some((m_org, m_version, s, _)) = before {
        if *s == score && (*m_org, *m_version) == model {
            return;
        }
    }
    let reason = match before {
        Some((_, _, s, _)) if *s == score => {
            let t = if trigger.is_empty() { String::new() } else { format!("{trigger}；") };
            format!("{t}风险模型更新（第 {} 版），评分未变", model.1)
        }
        _ => risk::why(before.map(|b| &b.2), &score, trigger),
    };
    changes.push(Change {
        subject,
        subject_id,
        company_id,
        model,
        before: before.map(|b| b.2.clone()),
        score,
        version: before.map(|b| b.3).unwrap_or(0) + 1,
        reason,
    });
}

/// The ledgered image of a score.
fn image(
    subject: &str,
    subject_id: i64,
    company_id: i64,
    model: (Option<i64>, i64),
    score: &Score,
) -> serde_json::Value {
    serde_json::json!({
        "subject": subject,
        "subject_id": subject_id,
        "company_id": company_id,
        "model_org_id": model.0,
        "model_version": model.1,
        "score": score,
    })
}

const HEAD: &str = "INSERT INTO sup_scores (subject, subject_id, company_id, model_org_id, model_version, intrinsic, \
     compliance, level, credit, grade, detail, computed_at, version)";
const UPSERT: &str = "ON CONFLICT (subject, subject_id) DO UPDATE SET company_id = excluded.company_id, \
     model_org_id = excluded.model_org_id, model_version = excluded.model_version, intrinsic = excluded.intrinsic, \
     compliance = excluded.compliance, level = excluded.level, credit = excluded.credit, grade = excluded.grade, \
     detail = excluded.detail, computed_at = excluded.computed_at, version = excluded.version";

async fn write(
    store: &Store,
    principal: &Principal,
    batch: &[Change],
    trigger: &str,
    client: &ClientInfo,
) -> Result<()> {
    let now = Timestamp::now();
    let mut values = Vec::with_capacity(batch.len() * 13);
    let mut images = Vec::with_capacity(batch.len());
    for c in batch {
        let detail = serde_json::to_string(&c.score).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        values.extend([
            Value::from(c.subject),
            Value::I64(c.subject_id),
            Value::I64(c.company_id),
            c.model.0.map(Value::I64).unwrap_or(Value::NullI64),
            Value::I64(c.model.1),
            Value::I64(c.score.intrinsic),
            Value::I64(c.score.compliance),
            Value::from(c.score.level.as_str()),
            Value::I64(c.score.credit),
            Value::from(c.score.grade.as_str()),
            Value::Text(detail),
            Value::I64(now.0),
            Value::I64(c.version),
        ]);
        images.push((
            format!("{}:{}", c.subject, c.subject_id),
            image(c.subject, c.subject_id, c.company_id, c.model, &c.score),
        ));
    }
    let mut tx = store.begin().await?;
    yaolian_store::sql::insert_rows(&mut tx, HEAD, UPSERT, 13, values).await.map_err(StoreError::from)?;
    let new: Vec<NewVersion<'_>> = batch
        .iter()
        .zip(&images)
        .map(|(c, (id, data))| NewVersion {
            entity: ENTITY,
            entity_id: id,
            actor: principal.username(),
            action: if c.version == 1 { "create" } else { "rescore" },
            reason: &c.reason,
            data,
            expected_version: Some(c.version - 1),
        })
        .collect();
    versions::append_many(&mut tx, &new).await?;
    // A moved level or grade goes on the company's 一企一档 timeline.
    for c in batch.iter().filter(|c| c.subject == "company") {
        let Some(b) = &c.before else { continue };
        if b.level == c.score.level && b.grade == c.score.grade {
            continue;
        }
        let title = format!(
            "风险评分：{}，信用等级 {}（{}）",
            risk::level_zh(&c.score.level),
            c.score.grade,
            if trigger.is_empty() { "重新评分" } else { trigger }
        );
        let link = format!("/supervision/companies/{}", c.subject_id);
        let event = yaolian_registry::timeline::NewEvent {
            org_id: c.subject_id,
            product_id: None,
            module: "supervision",
            kind: "score_changed",
            title: &title,
            link: &link,
        };
        yaolian_registry::timeline::add(&mut tx, &event).await?;
    }
    let detail = format!(
        "{} 项评分更新{}",
        batch.len(),
        if trigger.is_empty() { String::new() } else { format!("：{trigger}") }
    );
    let event =
        audit::Event { detail: &detail, ..audit::Event::by(principal, audit::action::SUP_SCORE, "sup_scores", client) };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// The scores kept, by subject.
async fn kept(store: &Store, named: Option<&[i64]>) -> Result<KeptMap> {
    let mut p = Params::new();
    let sql = format!(
        "SELECT subject, subject_id, model_org_id, model_version, detail, version FROM sup_scores WHERE 1 = 1{}",
        narrow(&mut p, &["company_id"], named)
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut kept = HashMap::with_capacity(rows.len());
    for r in &rows {
        let detail: String = r.try_get("detail")?;
        let score: Score = serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(format!("score: {e}")))?;
        kept.insert(
            (r.try_get::<String, _>("subject")?, r.try_get::<i64, _>("subject_id")?),
            (r.try_get("model_org_id")?, r.try_get("model_version")?, score, r.try_get("version")?),
        );
    }
    Ok(kept)
}

/// Products by id: the company that answers for it (its MAH), the product, its overdue recalls.
type Products = std::collections::BTreeMap<i64, (i64, ProductFact, Vec<RecallFact>)>;

/// Reads the facts of the companies, one grouped query per source.
async fn gather(
    store: &Store,
    companies: &mut HashMap<i64, Company<'_>>,
    named: Option<&[i64]>,
    now: Timestamp,
) -> Result<Products> {
    let window = |c: &Company| c.model.model.window_days * DAY_MS;
    let recall_age = |c: &Company| c.model.model.recall_days * DAY_MS;
    let longest = companies.values().map(window).max().unwrap_or(0);
    let since = now.0 - longest;
    let pool = store.pool();

    // Products: the maker (manufacturer, or the MAH without one) makes it; the MAH answers for it.
    let mut p = Params::new();
    let sql = format!(
        "SELECT id, approval_number, generic_name, dosage_form, mah_org_id, manufacturer_org_id FROM products \
         WHERE status = 'active'{}",
        narrow(&mut p, &["mah_org_id", "manufacturer_org_id"], named)
    );
    let mut products = Products::new();
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let mah: i64 = r.try_get("mah_org_id")?;
        let maker: i64 = r.try_get::<Option<i64>, _>("manufacturer_org_id")?.unwrap_or(mah);
        let fact = ProductFact {
            id: r.try_get("id")?,
            approval_number: r.try_get("approval_number")?,
            generic_name: r.try_get("generic_name")?,
            dosage_form: r.try_get("dosage_form")?,
            makes: true,
        };
        if let Some(c) = companies.get_mut(&maker) {
            c.facts.products.push(fact.clone());
        }
        if maker != mah {
            if let Some(c) = companies.get_mut(&mah) {
                c.facts.products.push(ProductFact { makes: false, ..fact.clone() });
            }
        }
        products.insert(fact.id, (mah, fact, Vec::new()));
    }

    let mut p = Params::new();
    let today = p.push(now.china_date().format("%Y-%m-%d").to_string());
    let sql = format!(
        "SELECT holder_org_id, kind FROM licenses WHERE status = 'valid' AND valid_until >= {today}{}",
        narrow(&mut p, &["holder_org_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        if let Some(c) = companies.get_mut(&r.try_get::<i64, _>("holder_org_id")?) {
            let kind: String = r.try_get("kind")?;
            if !c.facts.licenses.contains(&kind) {
                c.facts.licenses.push(kind);
            }
        }
    }

    let mut p = Params::new();
    let sql = format!(
        "SELECT parent_id, COUNT(*) AS n FROM orgs WHERE kind = 'site' AND parent_id IS NOT NULL{} GROUP BY parent_id",
        narrow(&mut p, &["parent_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        if let Some(c) = companies.get_mut(&r.try_get::<i64, _>("parent_id")?) {
            c.facts.sites += r.try_get::<i64, _>("n")?;
        }
    }

    // Trace anomalies at the company's sites (its own, or a site organization's under it).
    let mut p = Params::new();
    let since_p = p.push(since);
    let sql = format!(
        "SELECT a.id, a.kind, a.detected_at, o.id AS oid, o.kind AS okind, o.parent_id FROM trace_anomalies a \
         JOIN trace_sites s ON s.id = a.site JOIN orgs o ON o.id = s.org_id WHERE a.detected_at >= {since_p}{} \
         ORDER BY a.id DESC",
        narrow(&mut p, &["o.id", "o.parent_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let okind: String = r.try_get("okind")?;
        let company = if okind == "company" { Some(r.try_get::<i64, _>("oid")?) } else { r.try_get("parent_id")? };
        let Some(c) = company.and_then(|id| companies.get_mut(&id)) else { continue };
        if r.try_get::<i64, _>("detected_at")? < now.0 - window(c) {
            continue;
        }
        let kind: String = r.try_get("kind")?;
        c.facts.anomalies.push(AnomalyFact {
            id: r.try_get("id")?,
            kind_zh: yaolian_trace::anomalies::kind_zh(&kind).to_string(),
            high: crate::cases::HIGH_ANOMALIES.contains(&kind.as_str()),
        });
    }

    // Risk cases: not closed, or closed within the window.
    let mut p = Params::new();
    let since_p = p.push(since);
    let sql = format!(
        "SELECT id, number, company_id, status, measures, closed_at FROM sup_cases \
         WHERE (status <> 'closed' OR closed_at >= {since_p}){} ORDER BY id DESC",
        narrow(&mut p, &["company_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let Some(c) = companies.get_mut(&r.try_get::<i64, _>("company_id")?) else { continue };
        let closed_at: Option<i64> = r.try_get("closed_at")?;
        if closed_at.is_some_and(|t| t < now.0 - window(c)) {
            continue;
        }
        let measures: String = r.try_get("measures")?;
        c.facts.cases.push(CaseFact {
            id: r.try_get("id")?,
            number: r.try_get("number")?,
            closed: r.try_get::<String, _>("status")? == "closed",
            measures: serde_json::from_str(&measures).unwrap_or_default(),
        });
    }

    // Findings of signed inspections, per inspection and grade.
    let mut p = Params::new();
    let since_p = p.push(since);
    let sql = format!(
        "SELECT i.id, i.number, i.company_id, f.grade, COUNT(*) AS n, MIN(f.created_at) AS at FROM sup_findings f \
         JOIN sup_inspections i ON i.id = f.inspection_id WHERE i.status IN ('signed') AND f.created_at >= {since_p}{} \
         GROUP BY i.id, i.number, i.company_id, f.grade ORDER BY i.id DESC",
        narrow(&mut p, &["i.company_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let Some(c) = companies.get_mut(&r.try_get::<i64, _>("company_id")?) else { continue };
        if r.try_get::<i64, _>("at")? < now.0 - window(c) {
            continue;
        }
        c.facts.findings.push(FindingFact {
            inspection_id: r.try_get("id")?,
            number: r.try_get("number")?,
            grade: r.try_get("grade")?,
            count: r.try_get("n")?,
        });
    }

    // Failing sampled batches of the companies' products (抽检不合格), by their signed report.
    let mut p = Params::new();
    let since_p = p.push(since);
    let sql = format!(
        "SELECT s.id, s.number, s.batch, s.updated_at, d.generic_name, d.mah_org_id FROM sup_samples s \
         JOIN products d ON d.id = s.product_id WHERE s.status = 'failed' AND s.updated_at >= {since_p}{} \
         ORDER BY s.id DESC",
        narrow(&mut p, &["d.mah_org_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let Some(c) = companies.get_mut(&r.try_get::<i64, _>("mah_org_id")?) else { continue };
        if r.try_get::<i64, _>("updated_at")? < now.0 - window(c) {
            continue;
        }
        c.facts.failed_samples.push(SampleFact {
            id: r.try_get("id")?,
            number: r.try_get("number")?,
            product: r.try_get("generic_name")?,
            batch: r.try_get("batch")?,
        });
    }

    // Administrative penalties decided against the companies (行政处罚), by their decision.
    let mut p = Params::new();
    let since_p = p.push(since);
    let sql = format!(
        "SELECT e.id, e.company_id, e.decision_number, e.penalties, e.decided_at FROM sup_enforcements e \
         WHERE e.outcome = 'penalty' AND e.decided_at >= {since_p}{} ORDER BY e.id DESC",
        narrow(&mut p, &["e.company_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let Some(c) = companies.get_mut(&r.try_get::<i64, _>("company_id")?) else { continue };
        if r.try_get::<i64, _>("decided_at")? < now.0 - window(c) {
            continue;
        }
        let list: Vec<crate::documents::Penalty> =
            serde_json::from_str(&r.try_get::<String, _>("penalties")?).unwrap_or_default();
        c.facts.penalties.push(PenaltyFact {
            enforcement_id: r.try_get("id")?,
            number: r.try_get::<Option<String>, _>("decision_number")?.unwrap_or_default(),
            what: crate::documents::penalties_text(&list),
            severe: list.iter().any(|p| crate::documents::SEVERE_KINDS.contains(&p.kind.as_str())),
        });
    }

    // Open recalls, overdue by the MAH's model.
    let mut p = Params::new();
    let sql = format!(
        "SELECT r.id, r.created_at, r.product_id, p.generic_name, p.mah_org_id FROM trace_recalls r \
         JOIN products p ON p.id = r.product_id WHERE r.status = 'open'{} ORDER BY r.id DESC",
        narrow(&mut p, &["p.mah_org_id"], named)
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(pool).await? {
        let Some(c) = companies.get_mut(&r.try_get::<i64, _>("mah_org_id")?) else { continue };
        if r.try_get::<i64, _>("created_at")? > now.0 - recall_age(c) {
            continue;
        }
        let recall = RecallFact { id: r.try_get("id")?, product: r.try_get("generic_name")? };
        c.facts.overdue_recalls.push(recall.clone());
        if let Some(entry) = products.get_mut(&r.try_get::<i64, _>("product_id")?) {
            entry.2.push(recall);
        }
    }
    Ok(products)
}

const COLUMNS: &str = "s.subject, s.subject_id, s.company_id, o.name AS company_name, s.model_org_id, s.model_version, \
     s.detail, s.computed_at, s.version, COALESCE(p.generic_name || '（' || p.approval_number || '）', o.name) AS subject_name";
const FROM: &str = "sup_scores s JOIN orgs o ON o.id = s.company_id \
     LEFT JOIN products p ON s.subject = 'product' AND p.id = s.subject_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Kept, sqlx::Error> {
    let detail: String = r.try_get("detail")?;
    Ok(Kept {
        subject: r.try_get("subject")?,
        subject_id: r.try_get("subject_id")?,
        subject_name: r.try_get("subject_name")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        model_org_id: r.try_get("model_org_id")?,
        model_version: r.try_get("model_version")?,
        score: serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(format!("score: {e}").into()))?,
        computed_at: Timestamp(r.try_get("computed_at")?),
        version: r.try_get("version")?,
    })
}

/// What a list of company scores shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ScoreFilter {
    /// A risk level code (`high` …).
    #[serde(default)]
    pub level: String,
    /// A credit grade (`A` …).
    #[serde(default)]
    pub grade: String,
    /// Part of the company's name.
    #[serde(default)]
    pub q: String,
}

/// A page of the company scores in the principal's `supervision.read` scope, highest risk first.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &ScoreFilter,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Kept>, i64)> {
    let narrow = |p: &mut Params| {
        let mut w = vec!["s.subject = 'company'".to_string()];
        if risk::LEVELS.iter().any(|(c, _)| *c == filter.level) {
            w.push(format!("s.level = {}", p.push(filter.level.as_str())));
        }
        if !filter.grade.is_empty() && filter.grade.len() <= 4 {
            w.push(format!("s.grade = {}", p.push(filter.grade.as_str())));
        }
        let q = filter.q.trim();
        if !q.is_empty() && q.chars().count() <= 100 {
            w.push(format!("o.name LIKE {}", p.push(format!("%{}%", q.replace(['%', '_'], "")))));
        }
        Some(w.join(" AND "))
    };
    let order =
        "CASE s.level WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, s.compliance DESC, s.credit, s.subject_id";
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_scores",
        (COLUMNS, FROM, order),
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}

/// Companies per risk level and per credit grade in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Distribution {
    pub by_level: Vec<(String, i64)>,
    pub by_grade: Vec<(String, i64)>,
}

pub async fn distribution(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Distribution> {
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::SUPERVISION_READ, "sup_scores", client).await);
    };
    let sql = format!(
        "SELECT s.level, s.grade, COUNT(*) AS n FROM sup_scores s JOIN orgs o ON o.id = s.company_id \
         WHERE s.subject = 'company' AND {scope} GROUP BY s.level, s.grade"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let models = Models::load(store).await?;
    let grades: Vec<String> =
        models.for_path(principal.org_path()).model.credit.grades.iter().map(|g| g.grade.clone()).collect();
    let mut d = Distribution {
        by_level: risk::LEVELS.iter().rev().map(|(c, _)| (c.to_string(), 0)).collect(),
        by_grade: grades.into_iter().map(|g| (g, 0)).collect(),
    };
    for r in &rows {
        let (level, grade, n): (String, String, i64) = (r.try_get("level")?, r.try_get("grade")?, r.try_get("n")?);
        if let Some(x) = d.by_level.iter_mut().find(|(c, _)| *c == level) {
            x.1 += n;
        }
        match d.by_grade.iter_mut().find(|(c, _)| *c == grade) {
            Some(x) => x.1 += n,
            None => d.by_grade.push((grade, n)),
        }
    }
    Ok(d)
}

/// One version of a company's score: when, what, and why it moved.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Point {
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub version: i64,
    pub level: String,
    pub intrinsic: i64,
    pub compliance: i64,
    pub credit: i64,
    pub grade: String,
    pub reason: String,
}

/// A company's portrait (企业画像): its score with the explanation, its products' scores, and
/// the history of its score (`supervision.read` over the company).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Portrait {
    pub company: Kept,
    pub products: Vec<Kept>,
    pub history: Vec<Point>,
}

/// The portrait of a company (not found when it has no score or is out of scope).
pub async fn portrait(store: &Store, principal: &Principal, company_id: i64, client: &ClientInfo) -> Result<Portrait> {
    let sql =
        format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} WHERE s.subject = 'company' AND s.subject_id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        company_id,
        (ENTITY, "score"),
        client,
    )
    .await?;
    let company = from_row(&row)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.subject = 'product' AND s.company_id = $1 ORDER BY s.subject_id"
    ))
    .bind(company_id)
    .fetch_all(store.pool())
    .await?;
    let products = rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?;
    let versions = versions::history(store.pool(), ENTITY, &format!("company:{company_id}")).await?;
    let history = versions
        .into_iter()
        .map(|v| {
            let s: Score =
                serde_json::from_value(v.data["score"].clone()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Point {
                at: v.at,
                version: v.version,
                level: s.level,
                intrinsic: s.intrinsic,
                compliance: s.compliance,
                credit: s.credit,
                grade: s.grade,
                reason: v.reason,
            })
        })
        .collect::<std::result::Result<Vec<_>, StoreError>>()?;
    Ok(Portrait { company, products, history })
}

/// The company scores as a table for export.
pub fn table(list: &[Kept]) -> audit::Table {
    let rows = list.iter().map(|k| {
        vec![
            k.company_name.clone(),
            risk::level_zh(&k.score.level).to_string(),
            k.score.intrinsic.to_string(),
            k.score.compliance.to_string(),
            k.score.credit.to_string(),
            k.score.grade.clone(),
            k.computed_at.to_china_string(),
        ]
    });
    audit::Table::new(
        "风险与信用",
        &["企业", "风险等级", "固有风险分", "合规风险分", "信用分", "信用等级", "评分时间"],
        rows,
    )
}

/// Every score whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY s.subject, s.subject_id"))
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let k = from_row(r)?;
        images.push(yaolian_store::state::Image {
            entity_id: format!("{}:{}", k.subject, k.subject_id),
            data: image(&k.subject, k.subject_id, k.company_id, (k.model_org_id, k.model_version), &k.score),
        });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
