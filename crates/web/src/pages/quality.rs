//! 质量管理 pages: deviations and CAPAs — the lists with the cause-category chart, reporting a
//! deviation, a deviation with its investigation, extension and signed approval, opening a
//! CAPA, and a CAPA with its actions, closure and effectiveness check.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_quality::capa::{self, Capa, NewAction, NewCapa};
use yaolian_quality::deviations::{self, Deviation, Investigation, NewDeviation};
use yaolian_quality::documents::{self, Document, NewDocument, Trainee};
use yaolian_quality::{QualityError, CAUSES};

use super::{failure_page, field_error, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality", get(list_page))
        .route("/quality/deviations/new", get(new_deviation).post(report))
        .route("/quality/deviations/{id}", get(deviation_page))
        .route("/quality/deviations/{id}/{step}", post(deviation_step))
        .route("/quality/capas/new", get(new_capa).post(open_capa))
        .route("/quality/capas/{id}", get(capa_page))
        .route("/quality/capas/{id}/{step}", post(capa_step))
        .route(
            "/quality/documents",
            get(documents_page).post(document_create).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)),
        )
        .route("/quality/documents/{id}", get(document_page))
        .route("/quality/documents/{id}/print", get(print_page))
        .route("/quality/documents/{id}/{step}", post(document_step).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)))
}

/// A page's form carrying a document file: the file's limit and the form around it.
pub const MAX_DOCUMENT_BODY: usize = documents::MAX_FILE_BYTES + 64 * 1024;

const PAGE_SIZE: i64 = 25;

/// Labels of the quality forms' fields, for refusals said in Chinese.
pub(super) fn field_label(field: &str) -> Option<String> {
    let base = field.split('[').next().unwrap_or(field);
    let base = if field.contains("].") { field.rsplit('.').next().unwrap_or(base) } else { base };
    Some(
        match base {
            "org_id" => "发生机构",
            "title" => "标题",
            "description" => "内容",
            "location" => "发生地点",
            "occurred_at" => "发生时间",
            "product" => "产品",
            "batch" => "批号",
            "record_ref" => "相关记录",
            "immediate_actions" => "紧急措施",
            "classification" => "偏差分级",
            "classification_reason" => "分级理由",
            "cause_category" => "原因类别",
            "five_whys" => "五问法",
            "root_cause" => "根本原因",
            "impact" => "影响评估",
            "due_on" => "期限",
            "reason" => "原因",
            "actions" => "措施",
            "owner" => "负责人",
            "evidence" => "完成证据",
            "note" => "结论",
            "index" => "措施",
            "deviation_id" => "偏差",
            "code" => "文件编号",
            "file" => "文件",
            "review_months" => "定期审核周期",
            "effective_on" => "生效日期",
            "user_id" => "培训人员",
            "revision_id" => "版本",
            "files" => "文件",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: QualityError) -> Result<Vec<FieldError>, Response> {
    refusals_by(user, e, field_label)
}

/// A quality refusal as the page shows it: the domain's own Chinese sentence, or each field's
/// refusal named by `label`.
pub(super) fn refusals_by(
    user: &PageUser,
    e: QualityError,
    label: fn(&str) -> Option<String>,
) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, label)
}

/// What the quality templates show of codes.
trait Shows {
    fn deviation_status(&self, code: &str) -> &'static str {
        label(deviations::STATUSES, code)
    }
    fn capa_status(&self, code: &str) -> &'static str {
        label(capa::STATUSES, code)
    }
    fn source_label(&self, code: &str) -> &'static str {
        label(deviations::SOURCES, code)
    }
    fn cause_label(&self, code: &str) -> &'static str {
        label(CAUSES, code)
    }
    fn class_label(&self, code: &str) -> &'static str {
        yaolian_quality::class_zh(code).unwrap_or("未分级")
    }
    fn tone(&self, status: &str) -> &'static str {
        match status {
            "closed" | "effective" => "ok",
            "reopened" | "superseded" | "obsolete" => "danger",
            _ => "warn",
        }
    }
    fn doc_state(&self, code: &str) -> &'static str {
        label(documents::STATES, code)
    }
}

pub(super) fn label(table: &[(&str, &'static str)], code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

impl Shows for ListPage {}
impl Shows for DeviationPage {}
impl Shows for CapaPage {}
impl Shows for DocumentsPage {}
impl Shows for DocumentPage {}
impl Shows for PrintPage {}

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = page.borrow();
        format!("?status={}&page={page}", urlencoding::encode(&self.status))
    }
}

#[derive(Template)]
#[template(path = "quality.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    deviations: Vec<Deviation>,
    total: i64,
    pages: i64,
    capas: Vec<Capa>,
    statuses: &'static [(&'static str, &'static str)],
    chart: String,
    /// CAPAs per department, those reopened by a failed effectiveness check apart.
    capa_chart: String,
    can_report: bool,
    can_manage: bool,
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let store = state.store();
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (deviations, total) =
        match deviations::list(store, &user.principal, status, PAGE_SIZE, offset, &user.client).await {
            Ok(r) => r,
            Err(e) => return failure_page(user.lang, e),
        };
    let capas = capa::list(store, &user.principal, None, 10, 0, &user.client).await.map(|r| r.0).unwrap_or_default();
    let causes = deviations::by_cause(store, &user.principal, &user.client).await.unwrap_or_default();
    let departments = capa::by_department(store, &user.principal, &user.client).await.unwrap_or_default();
    let capa_chart = serde_json::json!({
        "x": departments.iter().map(|(name, _, _)| name).collect::<Vec<_>>(),
        "series": [
            {"name": "未复发", "data": departments.iter().map(|(_, n, back)| n - back).collect::<Vec<_>>()},
            {"name": "有效性检查未通过（复发）", "data": departments.iter().map(|(_, _, back)| back).collect::<Vec<_>>()},
        ],
    })
    .to_string();
    // All six categories, those without a deviation at zero, so the bars read the same always.
    let count = |code: &str| causes.iter().find(|(c, _)| c == code).map(|(_, n)| *n).unwrap_or(0);
    let chart = serde_json::json!({
        "x": CAUSES.iter().map(|(_, name)| name).collect::<Vec<_>>(),
        "y": CAUSES.iter().map(|(code, _)| count(code)).collect::<Vec<_>>(),
        "name": "偏差数",
    })
    .to_string();
    render(&ListPage {
        chrome: user.chrome("quality"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        deviations,
        total,
        capas,
        statuses: deviations::STATUSES,
        chart: if causes.is_empty() { String::new() } else { chart },
        capa_chart: if departments.is_empty() { String::new() } else { capa_chart },
        can_report: user.principal.has(perm::QUALITY_REPORT),
        can_manage: user.principal.has(perm::QUALITY_MANAGE),
    })
}

/// The fields of every quality form (each sends its own), kept to fill a refused form again;
/// passwords are never kept.
#[derive(Deserialize, Default, Clone)]
pub struct QualityForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    record_ref: String,
    #[serde(default)]
    immediate_actions: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    classification_reason: String,
    #[serde(default)]
    cause_category: String,
    /// One why per line.
    #[serde(default)]
    five_whys: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    deviation_id: String,
    /// Actions, one per line: 内容 / 负责人 / 期限.
    #[serde(default)]
    actions: String,
    #[serde(default)]
    index: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    effective: String,
    #[serde(default)]
    password: String,
}

impl QualityForm {
    fn kept(self) -> QualityForm {
        QualityForm { csrf: String::new(), password: String::new(), ..self }
    }

    fn new_actions(&self) -> Vec<NewAction> {
        actions_from_lines(&self.actions)
    }
}

/// The parts of each non-blank line of `text`, split at `/` (or the full-width `／`), trimmed.
pub(super) fn slashed_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(['/', '／']).map(|p| p.trim().to_string()).collect())
        .collect()
}

/// Actions (CAPA actions, change tasks) typed one per line as `内容 / 负责人 / 期限`.
pub(super) fn actions_from_lines(text: &str) -> Vec<NewAction> {
    slashed_lines(text)
        .into_iter()
        .map(|parts| {
            let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
            NewAction { description: part(0), owner: part(1), due_on: part(2) }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "quality_new.html")]
struct NewPage {
    chrome: Chrome,
    /// `deviation` or `capa`.
    kind: &'static str,
    form: QualityForm,
    errors: Vec<FieldError>,
    orgs: Vec<yaolian_identity::Org>,
}

impl NewPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field).or_else(|| {
            let prefix = format!("{field}[");
            self.errors.iter().find(|e| e.field.starts_with(&prefix)).map(|e| e.message.as_str())
        })
    }
}

async fn render_new(
    state: &AppState,
    user: &PageUser,
    kind: &'static str,
    mut form: QualityForm,
    errors: Vec<FieldError>,
) -> Response {
    let orgs = super::org_picks(state, user, None).await;
    form.org = super::picker_text(state, user, &form.org).await;
    let refused = !errors.is_empty();
    super::render_form(&NewPage { chrome: user.chrome("quality"), kind, form, errors, orgs }, refused)
}

async fn new_deviation(State(state): State<AppState>, user: PageUser) -> Response {
    let form = QualityForm { org: user.principal.org_id().to_string(), ..QualityForm::default() };
    render_new(&state, &user, "deviation", form, Vec::new()).await
}

async fn report(State(state): State<AppState>, user: PageUser, Form(form): Form<QualityForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_new(&state, &user, "deviation", form, errors).await,
        Err(Err(page)) => return page,
    };
    let new = NewDeviation {
        org_id,
        title: form.title.clone(),
        description: form.description.clone(),
        location: form.location.clone(),
        occurred_at: form.occurred_at.replace('T', " "),
        product: form.product.clone(),
        batch: form.batch.clone(),
        record_ref: form.record_ref.clone(),
        immediate_actions: form.immediate_actions.clone(),
    };
    match deviations::report(state.store(), &state.config().quality, &user.principal, &new, &user.client).await {
        Ok(d) => Redirect::to(&format!("/quality/deviations/{}?done=reported", d.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_new(&state, &user, "deviation", form, errors).await,
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct NewCapaQuery {
    #[serde(default)]
    deviation: String,
}

async fn new_capa(State(state): State<AppState>, user: PageUser, Query(q): Query<NewCapaQuery>) -> Response {
    let mut form = QualityForm { org: user.principal.org_id().to_string(), ..QualityForm::default() };
    if let Ok(id) = q.deviation.parse::<i64>() {
        if let Ok(d) = deviations::get(state.store(), &user.principal, id, &user.client).await {
            form.org = d.org_id.to_string();
            form.deviation_id = d.id.to_string();
            form.title = format!("{}（{}）", d.title, d.number);
        }
    }
    render_new(&state, &user, "capa", form, Vec::new()).await
}

async fn open_capa(State(state): State<AppState>, user: PageUser, Form(form): Form<QualityForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_new(&state, &user, "capa", form, errors).await,
        Err(Err(page)) => return page,
    };
    let new = NewCapa {
        org_id,
        deviation_id: form.deviation_id.parse().ok(),
        title: form.title.clone(),
        actions: form.new_actions(),
    };
    match capa::open(state.store(), &user.principal, &new, &user.client).await {
        Ok(c) => Redirect::to(&format!("/quality/capas/{}?done=opened", c.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_new(&state, &user, "capa", form, errors).await,
            Err(page) => page,
        },
    }
}

type Failed = super::Failed<QualityForm>;

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    pub(super) done: String,
}

fn notice(done: &str) -> &'static str {
    match done {
        "reported" => "偏差已报告",
        "investigate" => "调查与分级已保存",
        "extend" => "期限已延长",
        "approve" => "偏差已批准关闭",
        "opened" => "纠正预防措施已建立",
        "action" => "措施已标记完成",
        "add" => "措施已增加",
        "close" => "已关闭，待有效性检查",
        "effectiveness" => "有效性检查已记录",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "quality_deviation.html")]
struct DeviationPage {
    chrome: Chrome,
    d: Deviation,
    failed: Failed,
    done: &'static str,
    can_manage: bool,
    classes: Vec<(String, &'static str)>,
    causes: &'static [(&'static str, &'static str)],
}

impl DeviationPage {
    /// The investigation form: what was sent when it was refused, else the record's own.
    fn investigation(&self) -> QualityForm {
        if self.failed.form == "investigate" {
            return self.failed.kept.clone();
        }
        QualityForm {
            classification: self.d.classification.clone(),
            classification_reason: self.d.classification_reason.clone(),
            cause_category: self.d.cause_category.clone(),
            five_whys: self.d.five_whys.join("\n"),
            root_cause: self.d.root_cause.clone(),
            impact: self.d.impact.clone(),
            ..QualityForm::default()
        }
    }
}

async fn render_deviation(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let d = match deviations::get(state.store(), &user.principal, id, &user.client).await {
        Ok(d) => d,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = deviations::may_manage(state.store(), &user.principal, d.org_id).await;
    let mut chrome = user.chrome("quality");
    chrome.title = format!("{} · {}", d.number, d.title);
    let classes = state
        .config()
        .quality
        .classes
        .iter()
        .map(|c| (c.clone(), yaolian_quality::class_zh(c).unwrap_or("")))
        .collect();
    let refused = !failed.errors.is_empty();
    super::render_form(
        &DeviationPage { chrome, d, failed, done: notice(done), can_manage, classes, causes: CAUSES },
        refused,
    )
}

async fn deviation_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_deviation(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on a deviation: `investigate`, `extend` or `approve`.
async fn deviation_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<QualityForm>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let (store, cfg, p, c) = (state.store(), &state.config().quality, &user.principal, &user.client);
    let (name, result): (&'static str, Result<Deviation, QualityError>) = match step.as_str() {
        "investigate" => {
            let inv = Investigation {
                classification: form.classification.clone(),
                classification_reason: form.classification_reason.clone(),
                cause_category: form.cause_category.clone(),
                five_whys: form.five_whys.lines().map(str::to_string).collect(),
                root_cause: form.root_cause.clone(),
                impact: form.impact.clone(),
            };
            ("investigate", deviations::investigate(store, cfg, p, id, &inv, &form.reason, c).await)
        }
        "extend" => ("extend", deviations::extend(store, p, id, &form.due_on, &form.reason, c).await),
        "approve" => {
            ("approve", deviations::approve(store, cfg, state.identity(), p, id, &form.password, None, c).await)
        }
        _ => return not_found(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/quality/deviations/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_deviation(&state, &user, id, Failed { form: name, kept: form.kept(), errors }, "").await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "quality_capa.html")]
struct CapaPage {
    chrome: Chrome,
    c: Capa,
    failed: Failed,
    done: &'static str,
    can_manage: bool,
    can_report: bool,
}

impl CapaPage {
    fn in_work(&self) -> bool {
        self.c.status == "open" || self.c.status == "reopened"
    }
}

async fn render_capa(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let c = match capa::get(state.store(), &user.principal, id, &user.client).await {
        Ok(c) => c,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = deviations::may_manage(state.store(), &user.principal, c.org_id).await;
    let can_report = deviations::may_report(state.store(), &user.principal, c.org_id).await;
    let mut chrome = user.chrome("quality");
    chrome.title = format!("{} · {}", c.number, c.title);
    let refused = !failed.errors.is_empty();
    super::render_form(&CapaPage { chrome, c, failed, done: notice(done), can_manage, can_report }, refused)
}

async fn capa_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_capa(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on a CAPA: `action` (one done), `add`, `close` or `effectiveness`.
async fn capa_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<QualityForm>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let (store, cfg, p, c) = (state.store(), &state.config().quality, &user.principal, &user.client);
    let (name, result): (&'static str, Result<Capa, QualityError>) = match step.as_str() {
        "action" => {
            let index = form.index.parse::<usize>().unwrap_or(usize::MAX);
            ("action", capa::complete_action(store, p, id, index, &form.evidence, c).await)
        }
        "add" => ("add", capa::add_actions(store, p, id, &form.new_actions(), &form.reason, c).await),
        "close" => ("close", capa::close(store, cfg, state.identity(), p, id, &form.note, &form.password, c).await),
        "effectiveness" => {
            let effective = form.effective == "1";
            let r = capa::check_effectiveness(store, state.identity(), p, id, effective, &form.note, &form.password, c);
            ("effectiveness", r.await)
        }
        _ => return not_found(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/quality/capas/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_capa(&state, &user, id, Failed { form: name, kept: form.kept(), errors }, "").await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "quality_documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    docs: Vec<Document>,
    /// Only the documents whose periodic review falls due are listed.
    review_due: bool,
    failed: super::Failed<std::collections::BTreeMap<String, String>>,
    can_manage: bool,
    orgs: Vec<yaolian_identity::Org>,
}

impl DocumentsPage {
    fn kept_text(&self, key: &str) -> String {
        self.failed.kept.get(key).cloned().unwrap_or_default()
    }
}

async fn render_documents(
    state: &AppState,
    user: &PageUser,
    failed: super::Failed<std::collections::BTreeMap<String, String>>,
    review_due: bool,
) -> Response {
    let mut docs = match documents::list(state.store(), &user.principal, 200, &user.client).await {
        Ok(d) => d,
        Err(e) => return failure_page(user.lang, e),
    };
    if review_due {
        let due = documents::reviews_due(state.store(), &user.principal, REVIEW_AHEAD_DAYS).await;
        let due = due.ok().flatten().unwrap_or_default();
        docs.retain(|d| due.contains(&d.id));
    }
    let orgs = super::org_picks(state, user, None).await;
    let refused = failed.refused();
    let page = DocumentsPage {
        chrome: user.chrome("quality"),
        docs,
        review_due,
        failed,
        can_manage: user.principal.has(perm::QUALITY_MANAGE),
        orgs,
    };
    super::render_form(&page, refused)
}

#[derive(Deserialize, Default)]
pub(super) struct DocumentsQuery {
    /// `due`: only documents whose periodic review falls due within 60 days.
    #[serde(default)]
    review: String,
}

/// Days ahead a periodic review shows as due (the 工作台 card and the list filter).
pub const REVIEW_AHEAD_DAYS: i64 = 60;

async fn documents_page(State(state): State<AppState>, user: PageUser, Query(q): Query<DocumentsQuery>) -> Response {
    render_documents(&state, &user, super::Failed::default(), q.review == "due").await
}

#[derive(Template)]
#[template(path = "quality_print.html")]
struct PrintPage {
    chrome: Chrome,
    copy: documents::PrintCopy,
    /// The watermark's line: who printed, when.
    mark: String,
}

#[derive(Deserialize, Default)]
pub(super) struct PrintQuery {
    #[serde(default)]
    revision: String,
}

/// A revision's controlled copy for printing, watermarked with who printed it and when.
async fn print_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(q): Query<PrintQuery>,
) -> Response {
    let Ok(revision) = q.revision.parse::<i64>() else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    let copy = match documents::print_copy(state.store(), &user.principal, id, revision, &user.client).await {
        Ok(c) => c,
        Err(e) => return failure_page(user.lang, e),
    };
    let mut chrome = user.chrome("quality");
    chrome.title = format!("{} 第 {} 版", copy.document.code, copy.revision.revision);
    // Only the revision in force prints as a controlled copy; any other is for reference only.
    let kind = if copy.revision.state == "effective" { "受控副本" } else { "非受控副本，仅供参考" };
    let mark = format!("{kind} · {} 打印于 {}", copy.printed_by, copy.printed_at.to_china_string());
    render(&PrintPage { chrome, copy, mark })
}

async fn document_create(State(state): State<AppState>, user: PageUser, form: axum::extract::Multipart) -> Response {
    let mut form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let text = |k: &str| form.texts.get(k).cloned().unwrap_or_default();
    let refuse = |errors: Vec<FieldError>, texts: std::collections::BTreeMap<String, String>| super::Failed {
        form: "create",
        kept: texts,
        errors,
    };
    let org_id = match super::picked_org(&state, &user, "org_id", &text("org"), None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_documents(&state, &user, refuse(errors, form.texts), false).await,
        Err(Err(page)) => return page,
    };
    let Some(file) = form.files.pop() else {
        let errors = vec![FieldError::new("file", "required", "文件为必填项")];
        return render_documents(&state, &user, refuse(errors, form.texts), false).await;
    };
    let new = NewDocument {
        org_id,
        code: text("code"),
        title: text("title"),
        review_months: text("review_months").parse().unwrap_or(24),
        file: file.upload("文件"),
    };
    match documents::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(d) => Redirect::to(&format!("/quality/documents/{}?done=created", d.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_documents(&state, &user, refuse(errors, form.texts), false).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "quality_document.html")]
struct DocumentPage {
    chrome: Chrome,
    doc: Document,
    trainees: Vec<Trainee>,
    failed: super::Failed<std::collections::BTreeMap<String, String>>,
    done: &'static str,
    can_manage: bool,
}

impl DocumentPage {
    fn kept_text(&self, form: &str, key: &str) -> String {
        self.failed.kept(form).get(key).cloned().unwrap_or_default()
    }
    fn has(&self, state: &str) -> bool {
        self.doc.revisions.iter().any(|r| r.state == state)
    }
}

fn document_notice(done: &str) -> &'static str {
    match done {
        "created" => "受控文件已建立，第 1 版为起草状态",
        "revise" => "新版本已起草",
        "submit" => "已提交审核",
        "approve" => "已批准",
        "train" => "培训已记录",
        "obsolete" => "文件已废止",
        "review" => "定期审核已记录，现行版本继续有效",
        _ => "",
    }
}

async fn render_document(
    state: &AppState,
    user: &PageUser,
    id: i64,
    failed: super::Failed<std::collections::BTreeMap<String, String>>,
    done: &str,
) -> Response {
    let doc = match documents::get(state.store(), &user.principal, id, &user.client).await {
        Ok(d) => d,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = deviations::may_manage(state.store(), &user.principal, doc.org_id).await;
    let trainees = if can_manage {
        documents::trainees(state.store(), &user.principal, id, &user.client).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut chrome = user.chrome("quality");
    chrome.title = format!("{} · {}", doc.code, doc.title);
    let refused = failed.refused();
    super::render_form(
        &DocumentPage { chrome, doc, trainees, failed, done: document_notice(done), can_manage },
        refused,
    )
}

async fn document_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_document(&state, &user, id, super::Failed::default(), &d.done).await
}

/// A step on a document: `revise` (a new file), `submit`, `approve`, `train`, `obsolete`.
async fn document_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    form: axum::extract::Multipart,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let mut form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let text = |k: &str| form.texts.get(k).cloned().unwrap_or_default();
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (name, result): (&'static str, Result<(), QualityError>) = match step.as_str() {
        "revise" => {
            let r = match form.files.pop() {
                Some(file) => {
                    documents::revise(store, p, id, &file.upload("文件"), &text("reason"), c).await.map(|_| ())
                }
                None => Err(yaolian_core::ValidationError::single("file", "required", "文件为必填项").into()),
            };
            ("revise", r)
        }
        "submit" => ("submit", documents::submit(store, p, id, c).await.map(|_| ())),
        "approve" => {
            let (day, password) = (text("effective_on"), text("password"));
            ("approve", documents::approve(store, state.identity(), p, id, &day, &password, c).await.map(|_| ()))
        }
        "train" => {
            let (rev, person) = (text("revision_id").parse().unwrap_or(0), text("user_id").parse().unwrap_or(0));
            ("train", documents::record_training(store, p, id, rev, person, c).await)
        }
        "obsolete" => ("obsolete", documents::make_obsolete(store, p, id, &text("reason"), c).await.map(|_| ())),
        "review" => {
            let (note, password) = (text("note"), text("password"));
            ("review", documents::confirm_review(store, state.identity(), p, id, &note, &password, c).await.map(|_| ()))
        }
        _ => return not_found(),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/quality/documents/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let mut kept = form.texts;
                kept.remove("password");
                render_document(&state, &user, id, super::Failed { form: name, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}
