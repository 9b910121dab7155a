//! 电子申报 pages: the applications in scope (filter, pages, export) with the form that opens
//! one, and the transfers sent and received with their acknowledgements; an application's page
//! with its sequences (drafted, built and validated), each sequence's documents, the lifecycle of
//! every CTD node across sequences, and the form that drafts the next sequence from controlled
//! documents.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use yaolian_access::perm;
use yaolian_core::{FieldError, Timestamp};
use yaolian_submission::applications::{
    self, Application, ApplicationView, NewApplication, NewLeaf, NewSequence, NodeLife,
};
use yaolian_submission::regional;
use yaolian_submission::transfers::{self, Transfer};
use yaolian_submission::{ctd, SubmissionError};

use super::{failure_page, PageUser};
use crate::api::IdPath;
use crate::AppState;

const PAGE_SIZE: i64 = 50;
/// Document rows the sequence form offers.
const LEAF_ROWS: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/submission", get(list_page).post(create_application))
        .route("/submission/applications.csv", get(export_applications))
        .route("/submission/applications.xlsx", get(export_applications))
        .route("/submission/applications/{id}", get(application_page))
        .route("/submission/applications/{id}/sequences", post(create_sequence))
        .route("/submission/applications/{id}/sequences/{number}/build", post(build_sequence))
        .route("/submission/applications/{id}/sequences/{number}/send", post(send_sequence))
}

fn field_label(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("leaves[") {
        let (i, name) = rest.split_once("].").unwrap_or((rest, ""));
        let n = i.parse::<usize>().map(|i| i + 1).unwrap_or(0);
        let what = match name {
            "element" => "CTD 章节",
            "title" => "标题",
            "operation" => "操作",
            "target" => "被修改的文件",
            "document_id" => "受控文件",
            _ => "内容",
        };
        return format!("第 {n} 个文件的{what}");
    }
    match field {
        "number" => "申请编号",
        "application_type" => "申请类型",
        "product_type" => "产品类型",
        "product_number" => "原始编号",
        "substance" => "活性成分",
        "manufacturer" => "生产商",
        "product_name" => "产品名称",
        "dosage_form" => "剂型",
        "indication" => "适应症",
        "contact_name" => "联系人",
        "contact_phone" => "联系电话",
        "contact_email" => "电子邮箱",
        "sequence_type" => "序列类型",
        "regulatory_activity" => "注册行为类型",
        "related_sequence" => "相关序列",
        "description" => "序列说明",
        "leaves" => "文件",
        "sequence" => "该序列",
        "package" => "申报资料",
        "transfer" => "传输",
        "to" => "接收方地址",
        "receiver_key" => "接收方签名密钥",
        _ => "填写内容",
    }
    .to_string()
}

/// A refusal's sentence, in Chinese, for the submission forms' own rules.
fn sentence(e: &FieldError) -> String {
    let label = field_label(&e.field);
    match e.rule.as_str() {
        "envelope" => format!("{label}：{}", e.message),
        "ctd_node" => format!("{label}不是可放置文件的 CTD 章节，请从列表中选择"),
        "chinese" => format!("{label}：模块一的文件标题应为中文"),
        "first_sequence_new" => format!("{label}：首个序列（0000）中的文件只能为“新增”"),
        "none_for_new" => format!("{label}：“新增”的文件不修改其他文件，请留空"),
        "current" => format!("{label}已被之前的序列替换或删除，请选择当前有效的文件"),
        "same_node" => format!("{label}与本文件不在同一 CTD 章节"),
        "once" => format!("{label}在本序列中被替换或删除了两次"),
        "append_or_replace" => format!("{label}在本序列中既被追加又被替换或删除，请只选一种操作"),
        "validation" => format!("{label}的校验有错误，有错误的序列不能发送"),
        "unchanged" => format!("{label}编制后其文件夹被改动过，不能发送"),
        "none_for_delete" => format!("{label}：“删除”操作不提交文件，请留空"),
        "same_org" => format!("{label}应为本申请人的受控文件"),
        "quality_state" => format!("{label}尚无现行有效版本（须经审核批准生效后才能申报）"),
        rule if rule.starts_with("count:") => format!("{label}：每个序列须有 1 至 {} 个文件", applications::MAX_LEAVES),
        rule => yaolian_core::refusal::sentence(&label, rule),
    }
}

fn refusals(user: &PageUser, e: SubmissionError) -> Result<Vec<FieldError>, Response> {
    if let SubmissionError::Shared(yaolian_identity::IdentityError::Validation(v)) = &e {
        return Ok(v.errors.iter().map(|f| FieldError { message: sentence(f), ..f.clone() }).collect());
    }
    super::domain_refusals(user.lang, e.zh(), e.code(), e, |f| Some(field_label(f)))
}

/// Labels the pages share.
trait Shows {
    fn at(&self, ms: &i64) -> String {
        Timestamp(*ms).to_china_string()
    }
    fn at_opt(&self, ms: &Option<i64>) -> String {
        ms.map(|m| Timestamp(m).to_china_string()).unwrap_or_else(|| "—".into())
    }
    fn application_type(&self, code: &str) -> &'static str {
        regional::label(regional::APPLICATION_TYPES, code).unwrap_or("")
    }
    fn product_type(&self, code: &str) -> &'static str {
        regional::label(regional::PRODUCT_TYPES, code).unwrap_or("")
    }
    fn sequence_type(&self, code: &str) -> &'static str {
        regional::label(regional::SEQUENCE_TYPES, code).unwrap_or("")
    }
    fn activity(&self, code: &str) -> &'static str {
        regional::label(regional::ACTIVITY_TYPES, code).unwrap_or("")
    }
    fn transfer_state(&self, code: &str) -> &'static str {
        transfers::state_zh(code)
    }
    fn sequence_state(&self, code: &str) -> &'static str {
        applications::state_zh(code)
    }
    fn operation(&self, code: &str) -> &'static str {
        match code {
            "new" => "新增",
            "append" => "追加",
            "replace" => "替换",
            "delete" => "删除",
            _ => "",
        }
    }
    fn fate(&self, code: &str) -> &'static str {
        match code {
            "current" => "现行",
            "replaced" => "已替换",
            "deleted" => "已删除",
            "delete" => "删除操作",
            _ => "",
        }
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "current" | "validated" | "built" | "sent" => "ok",
            "replaced" | "deleted" | "delete" => "",
            "draft" | "receiving" | "sending" => "warn",
            _ => "info",
        }
    }
    fn side(&self, code: &str) -> &'static str {
        if code == "sent" {
            "发送"
        } else {
            "接收"
        }
    }
    fn size(&self, bytes: &i64) -> String {
        let b = *bytes as f64;
        if b >= 1e9 {
            format!("{:.2} GB", b / 1e9)
        } else if b >= 1e6 {
            format!("{:.1} MB", b / 1e6)
        } else {
            format!("{:.0} KB", (b / 1e3).ceil())
        }
    }
    fn short(&self, hash: &str) -> String {
        hash.chars().take(16).collect()
    }
    fn count(&self, n: &Option<i64>) -> String {
        n.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
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
        format!("q={}", urlencoding::encode(&self.q))
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        !self.q.is_empty()
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ApplicationForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    application_type: String,
    #[serde(default)]
    product_type: String,
    #[serde(default)]
    product_number: String,
    #[serde(default)]
    substance: String,
    #[serde(default)]
    manufacturer: String,
    #[serde(default)]
    product_name: String,
    #[serde(default)]
    dosage_form: String,
    #[serde(default)]
    indication: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
}

#[derive(Template)]
#[template(path = "submission.html")]
struct ListPage {
    chrome: super::Chrome,
    filter: Filter,
    list: Vec<Application>,
    total: i64,
    pages: i64,
    transfers: Vec<Transfer>,
    can_send: bool,
    /// A regulator sees the transfers it received, not the companies' applications.
    regulator: bool,
    done: &'static str,
    failed: super::Failed<ApplicationForm>,
    application_types: &'static [(&'static str, &'static str)],
    product_types: &'static [(&'static str, &'static str)],
}

impl Shows for ListPage {}

async fn render_list(
    state: &AppState,
    user: &PageUser,
    filter: Filter,
    failed: super::Failed<ApplicationForm>,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let q = Some(filter.q.as_str());
    let (list, total) = match applications::list_applications(store, p, q, (PAGE_SIZE, offset), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let transfers = match transfers::list(store, p, (20, 0), c).await {
        Ok((t, _)) => t,
        Err(e) => return failure_page(user.lang, e),
    };
    let done = match filter.done.as_str() {
        "application" => "申请已登记",
        _ => "",
    };
    let refused = failed.refused();
    let page = ListPage {
        chrome: user.chrome("submission"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        list,
        total,
        transfers,
        can_send: !p.org_kind().is_regulator() && p.has(perm::SUBMISSION_SEND),
        regulator: p.org_kind().is_regulator(),
        done,
        failed,
        application_types: regional::APPLICATION_TYPES,
        product_types: regional::PRODUCT_TYPES,
        filter,
    };
    super::render_form(&page, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_list(&state, &user, filter, super::Failed::default()).await
}

async fn create_application(State(state): State<AppState>, user: PageUser, Form(f): Form<ApplicationForm>) -> Response {
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    let new = NewApplication {
        org_id: user.principal.org_id(),
        number: f.number.clone(),
        application_type: f.application_type.clone(),
        product_type: f.product_type.clone(),
        product_number: f.product_number.clone(),
        substance: f.substance.clone(),
        manufacturer: f.manufacturer.clone(),
        product_name: f.product_name.clone(),
        dosage_form: f.dosage_form.clone(),
        indication: f.indication.clone(),
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        contact_email: f.contact_email.clone(),
    };
    match applications::create_application(state.store(), &user.principal, &new, &user.client).await {
        Ok(a) => Redirect::to(&format!("/submission/applications/{}?done=application", a.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_list(&state, &user, Filter::default(), super::Failed { form: "application", kept: f, errors })
                    .await
            }
            Err(page) => page,
        },
    }
}

async fn export_applications(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let q = Some(filter.q.as_str());
    match applications::list_applications(state.store(), &user.principal, q, (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "submissions", format, applications::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

/// The sequence form's fields: the envelope's and, per document row `i`, `e{i}` (the CTD
/// section as shown), `t{i}`, `o{i}`, `g{i}` (target) and `d{i}` (document).
#[derive(Default, Clone)]
pub struct SequenceForm {
    fields: HashMap<String, String>,
}

impl SequenceForm {
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
    fn row(&self, name: &str, i: &usize) -> String {
        self.get(&format!("{name}{i}"))
    }
}

/// A CTD node as the form shows it: its section number and Chinese title.
fn node_label(n: &ctd::Node) -> String {
    format!("{} {}", n.section, n.title)
}

/// The node a label names (its section number first).
fn node_of(label: &str) -> Option<&'static ctd::Node> {
    let section = label.split_whitespace().next()?;
    ctd::nodes().iter().find(|n| n.leaves && n.section == section)
}

#[derive(Template)]
#[template(path = "submission_application.html")]
struct ApplicationPage {
    chrome: super::Chrome,
    view: ApplicationView,
    life: Vec<NodeLife>,
    nodes: Vec<String>,
    /// (leaf key, label) of every current document of earlier sequences.
    targets: Vec<(String, String)>,
    /// (document id, label) of the applicant's documents in force.
    documents: Vec<(i64, String)>,
    can_send: bool,
    /// This site is set up to send (`[submission]`).
    has_receiver: bool,
    done: &'static str,
    rows: Vec<usize>,
    failed: super::Failed<SequenceForm>,
    sequence_types: &'static [(&'static str, &'static str)],
    activities: &'static [(&'static str, &'static str)],
    operations: &'static [(&'static str, &'static str)],
}

impl Shows for ApplicationPage {}

impl ApplicationPage {
    fn section(&self, element: &str) -> String {
        ctd::node(element).map(node_label).unwrap_or_default()
    }
    /// The leaf a leaf modifies, as people name it: its sequence and title.
    fn target_label(&self, key: &str) -> String {
        self.view
            .sequences
            .iter()
            .flat_map(|s| &s.leaves)
            .find(|l| l.leaf_key == key)
            .map(|l| format!("序列 {} 的“{}”", l.sequence, l.title))
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_application(
    state: &AppState,
    user: &PageUser,
    id: i64,
    done: &str,
    failed: super::Failed<SequenceForm>,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let view = match applications::get_application(store, p, id, c).await {
        Ok(v) => v,
        Err(e) => return failure_page(user.lang, e),
    };
    let life = applications::lifecycle_of(&view.sequences);
    let can_send =
        !p.org_kind().is_regulator() && p.has(perm::SUBMISSION_SEND) && p.org_id() == view.application.org_id;
    let targets = life
        .iter()
        .flat_map(|n| {
            n.history.iter().filter(|h| h.state == "current").map(move |h| {
                (h.leaf_key.clone(), format!("序列 {} · {} {} · {}", h.sequence, n.section, n.title, h.title))
            })
        })
        .collect();
    let documents = if can_send && p.has(perm::QUALITY_READ) {
        match yaolian_quality::documents::list(store, p, 500, c).await {
            Ok(docs) => docs
                .into_iter()
                .filter(|d| d.org_id == view.application.org_id)
                .filter_map(|d| {
                    d.effective()
                        .map(|r| (d.id, format!("{} {}（第 {} 版，{}）", d.code, d.title, r.revision, r.file_name)))
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let refused = failed.refused();
    let done = match done {
        "application" => "申请已登记",
        "sequence" => "序列已起草，请编制",
        "built" => "序列已编制并完成校验",
        "sent" => "序列已发送，药监部门已完整接收、受理并完成技术审核，三级回执均已验签留存",
        _ => "",
    };
    let page = ApplicationPage {
        chrome: user.chrome("submission"),
        nodes: ctd::nodes().iter().filter(|n| n.leaves).map(node_label).collect(),
        view,
        life,
        targets,
        documents,
        can_send,
        has_receiver: state.config().submission_receiver.is_some(),
        done,
        rows: (0..LEAF_ROWS).collect(),
        failed,
        sequence_types: regional::SEQUENCE_TYPES,
        activities: regional::ACTIVITY_TYPES,
        operations: &[("new", "新增"), ("append", "追加"), ("replace", "替换"), ("delete", "删除")],
    };
    super::render_form(&page, refused)
}

async fn application_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_application(&state, &user, id, &d.done, super::Failed::default()).await
}

async fn create_sequence(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let form = SequenceForm { fields };
    if let Err(page) = user.check_csrf(&form.get("_csrf")) {
        return page;
    }
    let mut leaves = Vec::new();
    for i in 0..LEAF_ROWS {
        let (e, t, o, g, d) =
            (form.row("e", &i), form.row("t", &i), form.row("o", &i), form.row("g", &i), form.row("d", &i));
        if [&e, &t, &g, &d].iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        leaves.push(NewLeaf {
            // A label that names no node goes through as it is, to be refused in place.
            element: node_of(&e).map_or(e.clone(), |n| n.element.clone()),
            title: t,
            operation: if o.is_empty() { "new".into() } else { o },
            target: Some(g).filter(|g| !g.is_empty()),
            document_id: d.parse().ok(),
        });
    }
    let new = NewSequence {
        sequence_type: form.get("sequence_type"),
        regulatory_activity: form.get("regulatory_activity"),
        related_sequence: Some(form.get("related_sequence")).filter(|s| !s.trim().is_empty()),
        description: form.get("description"),
        leaves,
    };
    match applications::create_sequence(state.store(), &user.principal, id, &new, &user.client).await {
        Ok(_) => Redirect::to(&format!("/submission/applications/{id}?done=sequence#sequences")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_application(&state, &user, id, "", super::Failed { form: "sequence", kept: form, errors }).await
            }
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

async fn send_sequence(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, number)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (st, who, number) = (&state, &user, &number);
    let send =
        |id| async move { crate::api::send_sequence(st, &who.principal, (id, number), &who.client).await.map(|_| ()) };
    sequence_button(&state, &user, (&id, &f._csrf), ("send", "sent"), send).await
}

async fn build_sequence(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, number)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (st, who, number) = (&state, &user, &number);
    let build = |id| async move {
        let dir = &st.config().submission_dir;
        applications::build_sequence(st.store(), &who.principal, (id, number), dir, &who.client).await.map(|_| ())
    };
    sequence_button(&state, &user, (&id, &f._csrf), ("build", "built"), build).await
}

/// A sequence's button (build, send): the CSRF check, the step, then the page with its notice,
/// or with the refusal in place.
async fn sequence_button<F, Fut>(
    state: &AppState,
    user: &PageUser,
    (id, csrf): (&str, &str),
    (form, done): (&'static str, &str),
    step: F,
) -> Response
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = Result<(), SubmissionError>>,
{
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let Ok(id) = id.parse::<i64>() else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, "未找到该申请");
    };
    match step(id).await {
        Ok(()) => Redirect::to(&format!("/submission/applications/{id}?done={done}#sequences")).into_response(),
        Err(e) => match refusals(user, e) {
            Ok(errors) => {
                let kept = SequenceForm::default();
                render_application(state, user, id, "", super::Failed { form, kept, errors }).await
            }
            Err(page) => page,
        },
    }
}
