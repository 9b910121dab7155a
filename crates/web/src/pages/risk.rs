//! 风险与信用 pages: the companies' risk levels and credit grades with their distribution,
//! filters, export and a recompute; a company's portrait (企业画像) — its score explained factor
//! by factor with links to the records, its products' scores, its score's trend and the 一企一档
//! timeline; and the bureau's risk model (风险模型), read by all and changed by its leaders.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::models::{self, ModelChange, Stored};
use yaolian_supervision::risk::{self, Factor, Model};
use yaolian_supervision::scores::{self, Distribution, Kept, Portrait, ScoreFilter};
use yaolian_supervision::SupervisionError;

use super::{failure_page, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/scores", get(list_page))
        .route("/supervision/scores.csv", get(export))
        .route("/supervision/scores.xlsx", get(export))
        .route("/supervision/scores/recompute", post(recompute))
        .route("/supervision/companies/{id}", get(portrait_page))
        .route("/supervision/model", get(model_page).post(change_model))
}

trait Shows {
    fn level_label(&self, code: &str) -> &'static str {
        risk::level_zh(code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "high" | "D" | "C" => "danger",
            "medium" | "B" => "warn",
            "low" | "A" => "ok",
            _ => "",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    level: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn query(&self) -> String {
        format!(
            "level={}&grade={}&q={}",
            urlencoding::encode(&self.level),
            urlencoding::encode(&self.grade),
            urlencoding::encode(&self.q)
        )
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn domain(&self) -> ScoreFilter {
        ScoreFilter { level: self.level.clone(), grade: self.grade.clone(), q: self.q.clone() }
    }
}

#[derive(Template)]
#[template(path = "supervision_scores.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    scores: Vec<Kept>,
    total: i64,
    pages: i64,
    dist: Distribution,
    level_chart: String,
    grade_chart: String,
    can_recompute: bool,
    levels: &'static [(&'static str, &'static str)],
    notice: String,
}

impl Shows for ListPage {}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (list, total) = match scores::list(store, p, &filter.domain(), PAGE_SIZE, offset, c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let dist = scores::distribution(store, p, c).await.unwrap_or_default();
    let level_chart = serde_json::json!({
        "x": dist.by_level.iter().map(|(code, _)| risk::level_zh(code)).collect::<Vec<_>>(),
        "series": [{"name": "企业数", "data": dist.by_level.iter().map(|(_, n)| *n).collect::<Vec<_>>()}],
        "colors": ["#b42318"],
    })
    .to_string();
    let grade_chart = serde_json::json!({
        "x": dist.by_grade.iter().map(|(g, _)| format!("{g} 级")).collect::<Vec<_>>(),
        "series": [{"name": "企业数", "data": dist.by_grade.iter().map(|(_, n)| *n).collect::<Vec<_>>()}],
        "colors": ["#2e90fa"],
    })
    .to_string();
    let notice = match filter.done.as_str() {
        "recomputed" => "已重新评分；只有变化的评分生成了新版本。".to_string(),
        _ => String::new(),
    };
    let page = ListPage {
        chrome: user.chrome("risk"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        scores: list,
        total,
        dist,
        level_chart,
        grade_chart,
        can_recompute: p.has(perm::SUPERVISION_MANAGE),
        levels: risk::LEVELS,
        notice,
    };
    super::render_form(&page, false)
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match scores::list(state.store(), &user.principal, &filter.domain(), 10_000, 0, &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "risk-scores", format, scores::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn recompute(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    match scores::recompute(state.store(), &user.principal, None, "人工重新评分", &user.client).await {
        Ok(_) => Redirect::to("/supervision/scores?done=recomputed").into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "supervision_company.html")]
struct PortraitPage {
    chrome: Chrome,
    p: Portrait,
    /// The explanation's parts: title and factors.
    parts: Vec<(&'static str, Vec<Factor>)>,
    trend: String,
    timeline: Vec<yaolian_registry::timeline::Event>,
    per_year: String,
    minimum_basis: String,
    classes: String,
    model: Stored,
}

impl Shows for PortraitPage {}

impl PortraitPage {
    fn grade_name(&self, grade: &str) -> String {
        self.model.model.credit.grades.iter().find(|g| g.grade == grade).map(|g| g.name.clone()).unwrap_or_default()
    }
}

async fn portrait_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    let store = state.store();
    let (pr, c) = (&user.principal, &user.client);
    let p = match scores::portrait(store, pr, id, c).await {
        Ok(p) => p,
        Err(e) => return failure_page(user.lang, e),
    };
    let model = match models::current(store, pr, c).await {
        Ok(m) => m,
        Err(e) => return failure_page(user.lang, e),
    };
    let timeline = yaolian_registry::companies::dossier(store, pr, id, c).await.map(|d| d.timeline).unwrap_or_default();
    let part = |name: &str| p.company.score.factors.iter().filter(|f| f.part == name).cloned().collect::<Vec<_>>();
    let trend = serde_json::json!({
        "line": true,
        "x": p.history.iter().map(|h| h.at.to_china_string().chars().skip(5).take(11).collect::<String>()).collect::<Vec<_>>(),
        "series": [
            {"name": "信用分", "data": p.history.iter().map(|h| h.credit).collect::<Vec<_>>()},
            {"name": "合规风险分", "axis": 1, "data": p.history.iter().map(|h| h.compliance).collect::<Vec<_>>()},
        ],
        "colors": ["#2e90fa", "#b42318"],
    })
    .to_string();
    let score = &p.company.score;
    let (n, minimum) = model.model.per_year(&score.level, &score.classes);
    let per_year =
        if n >= 1.0 { format!("每年 {} 次", n.round()) } else { format!("每 {} 个月 1 次", (12.0 / n).round()) };
    let minimum_basis = minimum.map(|m| m.basis.clone()).unwrap_or_default();
    let classes = score
        .classes
        .iter()
        .filter_map(|code| model.model.classes.iter().find(|c| c.code == *code).map(|c| c.name.clone()))
        .collect::<Vec<_>>()
        .join("、");
    let page = PortraitPage {
        chrome: user.chrome("risk"),
        parts: vec![("固有风险", part("intrinsic")), ("合规风险", part("compliance")), ("信用扣分", part("credit"))],
        trend,
        timeline,
        per_year,
        minimum_basis,
        classes,
        model,
        p,
    };
    super::render_form(&page, false)
}

/// The numbers of the model a form edits: its path in the model, its label, and its group.
const NUMBERS: &[(&str, &str, &str)] = &[
    ("site_weight", "每增加一个场所", "固有风险"),
    ("site_cap", "场所分上限", "固有风险"),
    ("intrinsic_levels.medium", "固有风险“中”起点", "分级阈值"),
    ("intrinsic_levels.high", "固有风险“高”起点", "分级阈值"),
    ("compliance_levels.medium", "合规风险“中”起点", "分级阈值"),
    ("compliance_levels.high", "合规风险“高”起点", "分级阈值"),
    ("window_days", "合规记录回溯天数", "合规风险"),
    ("recall_days", "召回超过多少天未完成为逾期", "合规风险"),
    ("compliance.anomaly", "每条追溯异常", "合规风险"),
    ("compliance.anomaly_high", "紧急追溯异常另加", "合规风险"),
    ("compliance.case_open", "每件办理中的风险处置", "合规风险"),
    ("compliance.case_measures", "每件采取措施的风险处置", "合规风险"),
    ("compliance.case_filed", "立案调查另加", "合规风险"),
    ("compliance.recall_overdue", "每项逾期召回", "合规风险"),
    ("compliance.finding_critical", "每项检查严重缺陷", "合规风险"),
    ("compliance.finding_major", "每项检查主要缺陷", "合规风险"),
    ("compliance.finding_minor", "每项检查一般缺陷", "合规风险"),
    ("compliance.sample_failed", "每批抽检不合格", "合规风险"),
    ("intervals.high", "高风险检查间隔（月）", "检查频次"),
    ("intervals.medium", "中风险检查间隔（月）", "检查频次"),
    ("intervals.low", "低风险检查间隔（月）", "检查频次"),
    ("credit.start", "信用起始分", "信用"),
    ("credit.case_measures", "风险处置采取措施扣分", "信用"),
    ("credit.case_filed", "立案调查另扣", "信用"),
    ("credit.anomaly_high", "紧急追溯异常扣分", "信用"),
    ("credit.recall_overdue", "逾期召回扣分", "信用"),
    ("credit.finding_critical", "检查严重缺陷扣分", "信用"),
    ("credit.finding_major", "检查主要缺陷扣分", "信用"),
    ("credit.sample_failed", "抽检不合格扣分", "信用"),
];

fn number_at(model: &serde_json::Value, path: &str) -> i64 {
    path.split('.').try_fold(model, |v, k| v.get(k)).and_then(|v| v.as_i64()).unwrap_or(0)
}

fn set_number(model: &mut serde_json::Value, path: &str, value: serde_json::Value) {
    let mut at = model;
    for key in path.split('.') {
        match at.get_mut(key) {
            Some(next) => at = next,
            None => return,
        }
    }
    *at = value;
}

#[derive(Template)]
#[template(path = "supervision_model.html")]
struct ModelPage {
    chrome: Chrome,
    stored: Stored,
    /// (path, label, group, value as typed)
    numbers: Vec<(String, String, String, String)>,
    /// Per class: code, name, weight as typed, names one per line.
    classes: Vec<(String, String, String, String)>,
    grades: Vec<(String, String, String)>,
    history: Vec<yaolian_store::RecordVersion>,
    names: super::Names,
    can_change: bool,
    reason: String,
    errors: Vec<FieldError>,
    done: bool,
}

impl Shows for ModelPage {}

impl ModelPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    fn license_label(&self, kind: &str) -> &'static str {
        risk::license_zh(kind)
    }
    fn matrix_cell(&self, row: &usize, col: &usize) -> &'static str {
        risk::level_zh(&self.stored.model.matrix[*row][*col])
    }
}

fn field_label(field: &str) -> Option<String> {
    if let Some((_, label, _)) = NUMBERS.iter().find(|(p, _, _)| *p == field) {
        return Some((*label).to_string());
    }
    Some(
        match field {
            "reason" => "修改原因",
            "model" => "风险模型",
            f if f.starts_with("classes[") => "产品类别",
            f if f.starts_with("credit.grades[") => "信用等级",
            f if f.starts_with("minimums[") => "法定最低检查频次",
            f if f.starts_with("matrix[") => "风险矩阵",
            _ => return None,
        }
        .to_string(),
    )
}

/// A form's rows: fields of four and of three texts.
type Rows4 = Vec<(String, String, String, String)>;
type Rows3 = Vec<(String, String, String)>;

fn model_view(stored: &Stored, typed: Option<&[(String, String)]>) -> (Rows4, Rows4, Rows3) {
    let json = serde_json::to_value(&stored.model).unwrap_or_default();
    let typed_value = |name: &str| typed.and_then(|t| t.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    let numbers = NUMBERS
        .iter()
        .map(|(path, label, group)| {
            let v = typed_value(path).unwrap_or_else(|| number_at(&json, path).to_string());
            (path.to_string(), label.to_string(), group.to_string(), v)
        })
        .collect();
    let classes = stored
        .model
        .classes
        .iter()
        .map(|c| {
            let w = typed_value(&format!("class.{}.weight", c.code)).unwrap_or_else(|| c.weight.to_string());
            let names = typed_value(&format!("class.{}.names", c.code)).unwrap_or_else(|| c.names.join("\n"));
            (c.code.clone(), c.name.clone(), w, names)
        })
        .collect();
    let grades = stored
        .model
        .credit
        .grades
        .iter()
        .map(|g| {
            let min = typed_value(&format!("grade.{}.min", g.grade)).unwrap_or_else(|| g.min.to_string());
            (g.grade.clone(), g.name.clone(), min)
        })
        .collect();
    (numbers, classes, grades)
}

async fn render_model(
    state: &AppState,
    user: &PageUser,
    typed: Option<&[(String, String)]>,
    errors: Vec<FieldError>,
    done: bool,
) -> Response {
    let store = state.store();
    let stored = match models::current(store, &user.principal, &user.client).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let history = match stored.org_id {
        Some(id) => {
            yaolian_store::versions::history(store.pool(), models::ENTITY, &id.to_string()).await.unwrap_or_default()
        }
        None => Vec::new(),
    };
    let logins: Vec<String> = history.iter().map(|v| v.actor.clone()).chain([stored.updated_by.clone()]).collect();
    let names = super::Names::of_logins(state, logins.iter().map(String::as_str)).await;
    let reason = typed.and_then(|t| t.iter().find(|(k, _)| k == "reason").map(|(_, v)| v.clone())).unwrap_or_default();
    let (numbers, classes, grades) = model_view(&stored, typed);
    let refused = !errors.is_empty();
    let page = ModelPage {
        chrome: user.chrome("risk"),
        stored,
        numbers,
        classes,
        grades,
        history,
        names,
        can_change: models::may_configure(&user.principal),
        reason,
        errors,
        done,
    };
    super::render_form(&page, refused)
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn model_page(State(state): State<AppState>, user: PageUser, Query(d): Query<Done>) -> Response {
    render_model(&state, &user, None, Vec::new(), d.done == "changed").await
}

/// The form's numbers over the model in force: a number that is not a whole number is refused
/// under its own label.
fn model_from_form(current: &Model, pairs: &[(String, String)]) -> Result<serde_json::Value, Vec<FieldError>> {
    let mut json = serde_json::to_value(current).unwrap_or_default();
    let mut errors = Vec::new();
    let typed = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let number = |name: &str, errors: &mut Vec<FieldError>| -> Option<i64> {
        let v = typed(name)?;
        match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let label = match NUMBERS.iter().find(|(p, _, _)| *p == name) {
                    Some((_, label, _)) => label.to_string(),
                    None if name.starts_with("grade.") => format!("{} 级起点分", name.split('.').nth(1).unwrap_or("")),
                    None => "产品类别分值".to_string(),
                };
                errors.push(FieldError::new(name, "integer", format!("{label}：请填写整数")));
                None
            }
        }
    };
    for (path, _, _) in NUMBERS {
        if let Some(n) = number(path, &mut errors) {
            set_number(&mut json, path, n.into());
        }
    }
    if let Some(list) = json.get_mut("classes").and_then(|c| c.as_array_mut()) {
        for class in list.iter_mut() {
            let code = class.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_string();
            if let Some(n) = number(&format!("class.{code}.weight"), &mut errors) {
                class["weight"] = n.into();
            }
            if let Some(names) = typed(&format!("class.{code}.names")) {
                let names: Vec<String> =
                    names.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).take(1_000).collect();
                class["names"] = serde_json::json!(names);
            }
        }
    }
    if let Some(list) = json.pointer_mut("/credit/grades").and_then(|c| c.as_array_mut()) {
        for grade in list.iter_mut() {
            let code = grade.get("grade").and_then(|c| c.as_str()).unwrap_or_default().to_string();
            if let Some(n) = number(&format!("grade.{code}.min"), &mut errors) {
                grade["min"] = n.into();
            }
        }
    }
    if errors.is_empty() {
        Ok(json)
    } else {
        Err(errors)
    }
}

async fn change_model(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let store = state.store();
    let current = match models::current(store, &user.principal, &user.client).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let model = match model_from_form(&current.model, &pairs) {
        Ok(m) => m,
        Err(errors) => return render_model(&state, &user, Some(&pairs), errors, false).await,
    };
    // The version the form was read at; the stored one when a bureau changes the default.
    let version = one("version").parse::<i64>().unwrap_or(-1);
    let version = if current.org_id == Some(user.principal.org_id()) { version } else { 0 };
    let change = ModelChange { model, reason: one("reason"), version };
    match models::change(store, &user.principal, &change, &user.client).await {
        Ok(_) => Redirect::to("/supervision/model?done=changed").into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_model(&state, &user, Some(&pairs), errors, false).await,
            Err(page) => page,
        },
    }
}

fn refusals(user: &PageUser, e: SupervisionError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}
