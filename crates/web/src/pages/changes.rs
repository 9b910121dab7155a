//! 变更控制 pages: the list of changes with the request form, and a change with its assessment
//! (class and FMEA), each function's signed decision, tasks, the affected documents revised under
//! it, the first-batch evaluations and the signed closure.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::BTreeMap;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_quality::changes::{self, Assessment, Change, NewChange, NewRisk};
use yaolian_quality::documents::{self, Document};
use yaolian_quality::QualityError;

use super::quality::{actions_from_lines, label, slashed_lines, Done, MAX_DOCUMENT_BODY};
use super::{failure_page, Chrome, PageUser};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/changes", get(list_page).post(request).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)))
        .route("/quality/changes/{id}", get(change_page))
        .route("/quality/changes/{id}/{step}", post(change_step).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)))
}

const PAGE_SIZE: i64 = 25;

type Failed = super::Failed<BTreeMap<String, String>>;

/// Labels of the change forms' fields, for refusals said in Chinese; a failure-mode or task line
/// is named by its number.
fn field_label(field: &str) -> Option<String> {
    let row = |prefix: &str| -> Option<usize> {
        field.strip_prefix(prefix)?.split(']').next()?.parse::<usize>().ok().map(|i| i + 1)
    };
    let leaf = field.rsplit('.').next().unwrap_or(field);
    if let Some(n) = row("risks[") {
        let what = match leaf {
            "mode" => "失效模式",
            "effect" => "失效后果",
            "severity" => "严重度",
            "occurrence" => "发生度",
            "detection" => "可检测度",
            _ => "控制措施",
        };
        return Some(format!("风险评估第 {n} 行的{what}"));
    }
    if let Some(n) = row("tasks[") {
        let what = match leaf {
            "owner" => "负责人",
            "due_on" => "期限",
            _ => "内容",
        };
        return Some(format!("实施任务第 {n} 行的{what}"));
    }
    Some(
        match field.split('[').next().unwrap_or(field) {
            "kind" => "变更类型",
            "reason" => "变更理由",
            "description" => "变更内容",
            "classification" => "变更分类",
            "classification_reason" => "分类理由",
            "risks" => "风险评估",
            "functions" => "批准部门",
            "function" => "部门",
            "tasks" => "实施任务",
            "documents" => "受影响文件",
            "products" => "受影响产品",
            "methods" => "受影响方法",
            "equipment" => "受影响设备",
            "batch" => "批号",
            "conclusion" => "评估结论",
            "document_id" => "文件",
            "index" => "任务",
            "note" => "意见",
            _ => return super::quality::field_label(field),
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: QualityError) -> Result<Vec<FieldError>, Response> {
    super::quality::refusals_by(user, e, field_label)
}

/// What the change templates show of codes.
trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        label(changes::STATUSES, code)
    }
    fn kind_label(&self, code: &str) -> &'static str {
        label(changes::KINDS, code)
    }
    fn class_label(&self, code: &str) -> &'static str {
        label(changes::CLASSES, code)
    }
    fn function_label(&self, code: &str) -> &'static str {
        label(changes::FUNCTIONS, code)
    }
    fn risk_label(&self, code: &str) -> &'static str {
        label(changes::RISKS, code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "closed" | "low" => "ok",
            "rejected" | "high" => "danger",
            _ => "warn",
        }
    }
}

impl Shows for ListPage {}
impl Shows for ChangePage {}

#[derive(serde::Deserialize, Default, Clone)]
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
        format!("?status={}&page={}", urlencoding::encode(&self.status), page.borrow())
    }
}

#[derive(Template)]
#[template(path = "quality_changes.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    changes: Vec<Change>,
    total: i64,
    pages: i64,
    statuses: &'static [(&'static str, &'static str)],
    kinds: &'static [(&'static str, &'static str)],
    docs: Vec<Document>,
    orgs: Vec<yaolian_identity::Org>,
    failed: Failed,
    can_request: bool,
}

impl ListPage {
    fn kept_text(&self, key: &str) -> String {
        self.failed.kept("request").get(key).cloned().unwrap_or_default()
    }
    fn doc_ticked(&self, id: &i64) -> bool {
        self.failed.form == "request" && self.failed.kept.contains_key(&format!("doc_{id}"))
    }
}

async fn render_list(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (changes, total) = match changes::list(store, &user.principal, status, PAGE_SIZE, offset, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_request = user.principal.has(perm::QUALITY_REPORT);
    let docs = if can_request {
        documents::list(store, &user.principal, 200, &user.client).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let docs = docs.into_iter().filter(|d| d.status != "obsolete").collect();
    let orgs = if can_request { super::org_picks(state, user, None).await } else { Vec::new() };
    let refused = failed.refused();
    let page = ListPage {
        chrome: user.chrome("quality"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        changes,
        total,
        statuses: changes::STATUSES,
        kinds: changes::KINDS,
        docs,
        orgs,
        failed,
        can_request,
    };
    super::render_form(&page, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_list(&state, &user, filter, Failed::default()).await
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// The ids of the checkboxes named `{prefix}{id}` that were ticked.
fn ticked(texts: &BTreeMap<String, String>, prefix: &str) -> Vec<i64> {
    texts.keys().filter_map(|k| k.strip_prefix(prefix)?.parse().ok()).collect()
}

async fn request(State(state): State<AppState>, user: PageUser, form: axum::extract::Multipart) -> Response {
    let form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let mut kept = form.texts;
    kept.remove("_csrf");
    let text = |k: &str| kept.get(k).cloned().unwrap_or_default();
    let refuse = |errors: Vec<FieldError>, kept: BTreeMap<String, String>| Failed { form: "request", kept, errors };
    let org_id = match super::picked_org(&state, &user, "org_id", &text("org"), None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_list(&state, &user, Filter::default(), refuse(errors, kept)).await,
        Err(Err(page)) => return page,
    };
    let new = NewChange {
        org_id,
        title: text("title"),
        description: text("description"),
        reason: text("reason"),
        kind: text("kind"),
        documents: ticked(&kept, "doc_"),
        products: lines(&text("products")),
        methods: lines(&text("methods")),
        equipment: lines(&text("equipment")),
    };
    match changes::request(state.store(), &state.config().quality, &user.principal, &new, &user.client).await {
        Ok(c) => Redirect::to(&format!("/quality/changes/{}?done=requested", c.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_list(&state, &user, Filter::default(), refuse(errors, kept)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "quality_change.html")]
struct ChangePage {
    chrome: Chrome,
    c: Change,
    failed: Failed,
    done: &'static str,
    can_manage: bool,
    can_report: bool,
    classes: &'static [(&'static str, &'static str)],
    functions: &'static [(&'static str, &'static str)],
    outstanding: Vec<String>,
    rpn_high: i64,
    rpn_medium: i64,
}

impl ChangePage {
    fn kept_text(&self, form: &str, key: &str) -> String {
        self.failed.kept(form).get(key).cloned().unwrap_or_default()
    }
    /// The assessment form's value: what was sent when it was refused, else the record's own.
    fn assess_text(&self, key: &str) -> String {
        if self.failed.form == "assess" {
            return self.kept_text("assess", key);
        }
        match key {
            "classification" => self.c.classification.clone(),
            "classification_reason" => self.c.classification_reason.clone(),
            "risks" => self
                .c
                .risks
                .iter()
                .map(|r| {
                    format!(
                        "{} / {} / {} / {} / {} / {}",
                        r.mode, r.effect, r.severity, r.occurrence, r.detection, r.controls
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            "tasks" => self
                .c
                .tasks
                .iter()
                .map(|t| format!("{} / {} / {}", t.description, t.owner, t.due_on))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }
    fn function_ticked(&self, code: &str) -> bool {
        if self.failed.form == "assess" {
            return self.failed.kept.contains_key(&format!("fn_{code}"));
        }
        self.c.functions.iter().any(|f| f == code)
    }
    fn rpn_tone(&self, rpn: &i64) -> &'static str {
        if *rpn >= self.rpn_high {
            "danger"
        } else if *rpn >= self.rpn_medium {
            "warn"
        } else {
            "ok"
        }
    }
    fn unrevised(&self) -> bool {
        self.c.documents.iter().any(|d| d.revision_id.is_none())
    }
    fn approval_of(&self, code: &str) -> Option<&changes::Approval> {
        self.c.approvals.iter().find(|a| a.function == code)
    }
}

fn notice(done: &str) -> &'static str {
    match done {
        "requested" => "变更申请已提交，待质量保证部门评估",
        "assess" => "分类与风险评估已保存，待各部门批准",
        "decide" => "签名已记录",
        "task" => "任务已标记完成",
        "batch" => "批次评估已记录",
        "revise" => "受影响文件的修订版已起草，请在文件页提交审核并批准",
        "close" => "变更已关闭",
        _ => "",
    }
}

async fn render_change(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let c = match changes::get(state.store(), &user.principal, id, &user.client).await {
        Ok(c) => c,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = yaolian_quality::deviations::may_manage(state.store(), &user.principal, c.org_id).await;
    let can_report = yaolian_quality::deviations::may_report(state.store(), &user.principal, c.org_id).await;
    let mut chrome = user.chrome("quality");
    chrome.title = format!("{} · {}", c.number, c.title);
    let refused = failed.refused();
    let cfg = &state.config().quality;
    let page = ChangePage {
        chrome,
        outstanding: c.outstanding(),
        c,
        failed,
        done: notice(done),
        can_manage,
        can_report,
        classes: changes::CLASSES,
        functions: changes::FUNCTIONS,
        rpn_high: cfg.rpn_high,
        rpn_medium: cfg.rpn_medium,
    };
    super::render_form(&page, refused)
}

async fn change_page(
    State(state): State<AppState>,
    user: PageUser,
    crate::api::IdPath(id): crate::api::IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_change(&state, &user, id, Failed::default(), &d.done).await
}

/// The failure modes typed one per line as `失效模式 / 后果 / 严重度 / 发生度 / 可检测度 / 控制措施`;
/// a score that is not a number is 0, which the domain refuses by its row and column.
fn risks_from_lines(text: &str) -> Vec<NewRisk> {
    slashed_lines(text)
        .into_iter()
        .map(|parts| {
            let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
            let score = |i: usize| part(i).parse::<i64>().unwrap_or(0);
            NewRisk {
                mode: part(0),
                effect: part(1),
                severity: score(2),
                occurrence: score(3),
                detection: score(4),
                controls: parts.get(5..).map(|rest| rest.join(" / ")).unwrap_or_default(),
            }
        })
        .collect()
}

/// A step on a change: `assess`, `decide`, `task`, `batch`, `revise` (a file) or `close`.
async fn change_step(
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
    let (store, cfg, p, c) = (state.store(), &state.config().quality, &user.principal, &user.client);
    let (name, result): (&'static str, Result<(), QualityError>) = match step.as_str() {
        "assess" => {
            let a = Assessment {
                classification: text("classification"),
                classification_reason: text("classification_reason"),
                risks: risks_from_lines(&text("risks")),
                functions: changes::FUNCTIONS
                    .iter()
                    .filter(|(f, _)| form.texts.contains_key(&format!("fn_{f}")))
                    .map(|(f, _)| f.to_string())
                    .collect(),
                tasks: actions_from_lines(&text("tasks")),
            };
            ("assess", changes::assess(store, cfg, p, id, &a, c).await.map(|_| ()))
        }
        "decide" => {
            let approved = text("approved") != "0";
            let (function, note, password) = (text("function"), text("note"), text("password"));
            let r = changes::decide(store, state.identity(), p, id, &function, approved, &note, &password, c);
            ("decide", r.await.map(|_| ()))
        }
        "task" => {
            let index = text("index").parse::<usize>().unwrap_or(usize::MAX);
            ("task", changes::complete_task(store, p, id, index, &text("evidence"), c).await.map(|_| ()))
        }
        "batch" => {
            let ok = text("acceptable") == "1";
            ("batch", changes::review_batch(store, p, id, &text("batch"), ok, &text("conclusion"), c).await.map(|_| ()))
        }
        "revise" => {
            let doc = text("document_id").parse::<i64>().unwrap_or(0);
            let r = match form.files.pop() {
                Some(file) => changes::revise_document(store, p, id, doc, &file.upload("文件"), &text("reason"), c)
                    .await
                    .map(|_| ()),
                None => Err(yaolian_core::ValidationError::single("file", "required", "文件为必填项").into()),
            };
            ("revise", r)
        }
        "close" => (
            "close",
            changes::close(store, state.identity(), p, id, &text("note"), &text("password"), c).await.map(|_| ()),
        ),
        _ => return not_found(),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/quality/changes/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let mut kept = form.texts;
                kept.remove("password");
                kept.remove("_csrf");
                render_change(&state, &user, id, Failed { form: name, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_modes_and_their_refusals_are_read_by_line() {
        let risks =
            risks_from_lines("粒度不同 / 溶出不合格 / 8 / 4 / 4 / 加测粒度 / 溶出曲线\n\n标签混淆／错用／3／x／2");
        assert_eq!(risks.len(), 2);
        assert_eq!((risks[0].severity, risks[0].occurrence, risks[0].detection), (8, 4, 4));
        assert_eq!(risks[0].controls, "加测粒度 / 溶出曲线");
        assert_eq!((risks[1].mode.as_str(), risks[1].occurrence, risks[1].controls.as_str()), ("标签混淆", 0, ""));
        assert_eq!(field_label("risks[1].occurrence").unwrap(), "风险评估第 2 行的发生度");
        assert_eq!(field_label("tasks[0].due_on").unwrap(), "实施任务第 1 行的期限");
        assert_eq!(field_label("classification").unwrap(), "变更分类");
    }
}
