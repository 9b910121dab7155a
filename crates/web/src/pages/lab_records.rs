//! 实验记录 pages: the records list (state filter, paging, export) with the form that makes a
//! record from an approved template; a record with its fields by section — inputs while its
//! author may fill or correct it, the calculated results read-only, the source and corrections
//! of each value — its step forms under a signature, and a printable copy with every signature
//! and the audit trail. 记录模板: the templates and, per version, the designer (add or remove a
//! field of a draft), the signed approval and the next version.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::BTreeMap;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_inventory::stock::{self, Lot};
use yaolian_lab::instruments::{self, Instrument};
use yaolian_lab::records::{self, Correction, Entries, Input, NewRecord, Record};
use yaolian_lab::results::{self, Stored};
use yaolian_lab::templates::{self, Compiled, Definition, Field, FromResult, NewTemplate, Section, TemplateVersion};
use yaolian_lab::LabError;
use yaolian_records::esign::SignatureView;

use super::{failure_page, render, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

const PAGE_SIZE: i64 = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/records", get(list_page).post(create_record))
        .route("/lab/records.csv", get(export))
        .route("/lab/records.xlsx", get(export))
        .route("/lab/records/{id}", get(record_page))
        .route("/lab/records/{id}/print", get(print_page))
        .route("/lab/records/{id}/files/{file}", get(record_file))
        .route(
            "/lab/records/{id}/entries",
            post(record_entries).layer(axum::extract::DefaultBodyLimit::max(MAX_ENTRIES_BODY)),
        )
        .route("/lab/records/{id}/{step}", post(record_step))
        .route("/lab/templates", get(templates_page).post(create_template))
        .route("/lab/templates/{id}", get(template_page))
        .route("/lab/templates/{id}/{step}", post(template_step))
}

/// What the templates show of codes.
trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        records::STATUSES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "approved" => "ok",
            "draft" => "",
            "superseded" => "",
            _ => "warn",
        }
    }
    fn version_label(&self, code: &str) -> &'static str {
        templates::STATUSES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn kind_label(&self, code: &str) -> &'static str {
        templates::KINDS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn source_label(&self, code: &str) -> &'static str {
        records::SOURCES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn at_text(&self, ms: &i64) -> String {
        yaolian_core::Timestamp(*ms).to_china_string()
    }
}

/// The kept fields of the small forms (create, template design, change note).
#[derive(Deserialize, Default, Clone)]
pub struct LabForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    template_version_id: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    rounding: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    section_title: String,
    #[serde(default)]
    rows: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    figures: String,
    #[serde(default)]
    places: String,
    #[serde(default)]
    choices: String,
    #[serde(default)]
    formula: String,
    #[serde(default)]
    required: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    #[serde(default)]
    spec_low: String,
    #[serde(default)]
    spec_high: String,
    /// Taken from a result: the result field's key, what, and the peak.
    #[serde(default)]
    result: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    peak: String,
    #[serde(default)]
    change_note: String,
    #[serde(default)]
    version: String,
}

type Failed = super::Failed<LabForm>;

fn form_label(field: &str) -> Option<String> {
    // A definition's path (sections[1].fields[0].formula) names its section and field.
    let mut place = String::new();
    let mut last = field;
    for part in field.split('.') {
        last = part;
        if let Some(i) =
            part.strip_prefix("sections[").and_then(|r| r.strip_suffix(']')).and_then(|n| n.parse::<usize>().ok())
        {
            place.push_str(&format!("第 {} 段", i + 1));
        }
        if let Some(i) =
            part.strip_prefix("fields[").and_then(|r| r.strip_suffix(']')).and_then(|n| n.parse::<usize>().ok())
        {
            place.push_str(&format!("第 {} 个字段的", i + 1));
        }
    }
    let last = last.split('[').next().unwrap_or(last);
    let name = match last {
        "org_id" => "所属机构",
        "template_version_id" => "记录模板",
        "title" if place.is_empty() => "名称",
        "title" => "标题",
        "code" => "模板编号",
        "rounding" => "修约规则",
        "sections" => "模板",
        "rows" => "表格行数",
        "fields" => "字段",
        "key" => "键名",
        "label" => "字段名称",
        "kind" => "字段类型",
        "unit" => "单位",
        "figures" => "有效数字位数",
        "places" => "小数位数",
        "choices" => "选项",
        "formula" => "公式",
        "min" => "录入下限",
        "max" => "录入上限",
        "spec_low" => "标准下限",
        "spec_high" => "标准上限",
        "result" => "取自的仪器数据字段",
        "value" => "取自的数值",
        "peak" => "峰名称",
        "change_note" => "修订说明",
        "method_document_id" => "检验方法文件",
        "password" => "密码",
        "reason" => "更正原因",
        _ => return None,
    };
    Some(format!("{place}{name}"))
}

fn refusals_with(
    user: &PageUser,
    e: LabError,
    label: impl Fn(&str) -> Option<String>,
) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, label)
}

#[derive(Deserialize, Default)]
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
#[template(path = "lab_records.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    records: Vec<Record>,
    total: i64,
    pages: i64,
    statuses: &'static [(&'static str, &'static str)],
    usable: Vec<TemplateVersion>,
    projects: Vec<yaolian_lab::projects::Project>,
    names: Names,
    failed: Failed,
}

impl Shows for ListPage {}

async fn render_list(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (list, total) = match records::list(store, &user.principal, status, PAGE_SIZE, offset, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let usable = templates::usable_list(store, &user.principal, &user.client).await.unwrap_or_default();
    let projects = if usable.is_empty() {
        Vec::new()
    } else {
        yaolian_lab::projects::list(store, &user.principal, Some("active"), &user.client).await.unwrap_or_default()
    };
    let refused = failed.refused();
    let names = Names::of_logins(state, list.iter().map(|r| r.author.as_str())).await;
    let page = ListPage {
        chrome: user.chrome("lab"),
        names,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        records: list,
        total,
        statuses: records::STATUSES,
        usable,
        projects,
        failed,
    };
    super::render_form(&page, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_list(&state, &user, filter, Failed::default()).await
}

async fn create_record(State(state): State<AppState>, user: PageUser, Form(form): Form<LabForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let new = NewRecord {
        template_version_id: form.template_version_id.trim().parse().unwrap_or(0),
        title: form.title.clone(),
        project_id: form.project.trim().parse().ok(),
    };
    match records::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(r) => Redirect::to(&format!("/lab/records/{}", r.id)).into_response(),
        Err(e) => match refusals_with(&user, e, form_label) {
            Ok(errors) => {
                render_list(&state, &user, Filter::default(), Failed { form: "create", kept: form, errors }).await
            }
            Err(page) => page,
        },
    }
}

/// The records the filter selects as `lab-records.csv` or `lab-records.xlsx`; audited.
async fn export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    match records::list(state.store(), &user.principal, status, 10_000, 0, &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "lab-records", format, records::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

/// One field of a record as its page shows it.
struct Cell {
    key: String,
    label: String,
    kind: String,
    unit: String,
    spec: String,
    required: bool,
    choices: Vec<String>,
    /// What the record holds, for display.
    value: String,
    /// What the input shows (kept input after a refusal, else the stored value or id).
    input: String,
    amount: String,
    source: String,
    detail: String,
    oos: bool,
    /// Taken from an instrument result, not typed.
    taken: bool,
    /// An attachment's download address.
    file_link: String,
    corrections: Vec<Correction>,
    error: String,
}

struct SectionView {
    title: String,
    /// Column labels of a table; empty for a plain section.
    columns: Vec<(String, String)>,
    /// A plain section's fields, or a table's rows of cells.
    rows: Vec<Vec<Cell>>,
}

fn sections(
    c: &Compiled,
    def: &Definition,
    r: &Record,
    kept: Option<&BTreeMap<String, (String, String)>>,
    errors: &[FieldError],
) -> Vec<SectionView> {
    let mut out: Vec<SectionView> = def
        .sections
        .iter()
        .map(|s| SectionView {
            title: s.title.clone(),
            columns: if s.rows > 0 {
                s.fields.iter().map(|f| (f.label.clone(), f.unit.clone())).collect()
            } else {
                Vec::new()
            },
            rows: Vec::new(),
        })
        .collect();
    for slot in &c.slots {
        let e = r.entries.get(&slot.key);
        let stored_input = e
            .map(|e| match e.ref_id {
                Some(id) => id.to_string(),
                None => e.value.clone(),
            })
            .unwrap_or_default();
        let (input, amount) = match kept.and_then(|k| k.get(&slot.key)) {
            Some((v, a)) => (v.clone(), a.clone()),
            None => (stored_input, e.map(|e| e.amount.clone()).unwrap_or_default()),
        };
        let cell = Cell {
            key: slot.key.clone(),
            label: slot.label(),
            kind: slot.field.kind.clone(),
            unit: slot.field.unit.clone(),
            spec: slot.specification(),
            required: slot.field.required,
            choices: slot.field.choices.clone(),
            value: e.map(|e| e.value.clone()).unwrap_or_default(),
            input,
            amount,
            source: e.map(|e| e.source.clone()).unwrap_or_default(),
            detail: e.map(|e| e.detail.clone()).unwrap_or_default(),
            oos: e.is_some_and(|e| e.oos),
            taken: slot.from.is_some(),
            file_link: match e {
                Some(e) if e.source == "attachment" => {
                    e.ref_id.map(|f| format!("/lab/records/{}/files/{f}", r.id)).unwrap_or_default()
                }
                _ => String::new(),
            },
            corrections: e.map(|e| e.corrections.clone()).unwrap_or_default(),
            error: super::field_error(errors, &slot.key).unwrap_or_default().to_string(),
        };
        let Some(section) = out.get_mut(slot.section) else { continue };
        match slot.row {
            Some(row) => {
                let i = usize::try_from(row).unwrap_or(1).saturating_sub(1);
                while section.rows.len() <= i {
                    section.rows.push(Vec::new());
                }
                section.rows[i].push(cell);
            }
            None => section.rows.push(vec![cell]),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "lab_record.html")]
struct RecordPage {
    chrome: Chrome,
    r: Record,
    tv: TemplateVersion,
    sections: Vec<SectionView>,
    signatures: Vec<SignatureView>,
    instruments: Vec<Instrument>,
    lots: Vec<Lot>,
    results: Vec<Stored>,
    deviation: Option<(i64, String)>,
    names: Names,
    can_edit: bool,
    correcting: bool,
    can_submit: bool,
    can_review: bool,
    can_approve: bool,
    /// The step refused, its refusals (fields of the template under their labels), the kept
    /// reason.
    step: &'static str,
    errors: Vec<FieldError>,
    reason: String,
    done: &'static str,
}

impl Shows for RecordPage {}

impl RecordPage {
    fn messages(&self, step: &str) -> Vec<&str> {
        if self.step == step {
            self.errors.iter().map(|e| e.message.as_str()).collect()
        } else {
            Vec::new()
        }
    }
    fn instrument_note(&self, i: &Instrument) -> &'static str {
        instruments::STATES.iter().find(|(c, _)| *c == i.state).map(|(_, l)| *l).unwrap_or("")
    }
    fn usable_instrument(&self, i: &Instrument) -> bool {
        matches!(i.state.as_str(), "current" | "due_soon")
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn notice(done: &str) -> &'static str {
    match done {
        "entries" => "已保存",
        "correct" => "更正已保存，记录退回复核",
        "submit" => "记录已提交复核",
        "review" => "记录已复核",
        "approve" => "记录已批准",
        "send_back" => "记录已退回记录人更正",
        _ => "",
    }
}

struct Refused {
    step: &'static str,
    errors: Vec<FieldError>,
    kept: Option<BTreeMap<String, (String, String)>>,
    reason: String,
}

async fn render_record(state: &AppState, user: &PageUser, id: i64, refused: Option<Refused>, done: &str) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let (r, tv, compiled) = match records::with_template(store, p, id, c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let path = yaolian_identity::orgs::path_of(store, "org_id", r.org_id).await.unwrap_or_default();
    let me = p.username();
    let can_edit = r.author == me && r.status != "approved" && p.reaches(perm::LAB_USE, &path);
    let correcting = can_edit && r.status != "draft";
    let can_submit = r.author == me && r.status == "draft" && p.reaches(perm::LAB_USE, &path);
    let can_review = r.author != me
        && r.status == "submitted"
        && (p.reaches(perm::LAB_USE, &path) || p.reaches(perm::LAB_MANAGE, &path));
    let can_approve = r.author != me
        && r.reviewed_by.as_deref() != Some(me)
        && r.status == "reviewed"
        && p.reaches(perm::LAB_MANAGE, &path);
    let kinds: Vec<&str> = compiled.slots.iter().map(|s| s.field.kind.as_str()).collect();
    let instruments = if can_edit && kinds.contains(&"instrument") {
        instruments::list(store, p, c).await.unwrap_or_default().into_iter().filter(|i| i.org_id == r.org_id).collect()
    } else {
        Vec::new()
    };
    let lots = if can_edit && kinds.contains(&"reagent") {
        stock::usable_lots(store, p).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let results = if can_edit && kinds.contains(&"result") {
        results::list(store, p, None, 50, c)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|x| x.org_id == r.org_id)
            .collect()
    } else {
        Vec::new()
    };
    let history =
        yaolian_store::versions::history(store.pool(), records::ENTITY, &r.id.to_string()).await.unwrap_or_default();
    let signatures = yaolian_records::esign::signatures_for(store, &history).await.unwrap_or_default();
    let deviation = match r.deviation_id {
        Some(d) => yaolian_quality::deviations::get(store, p, d, c).await.ok().map(|d| (d.id, d.number)),
        None => None,
    };
    let refused = refused.unwrap_or(Refused { step: "", errors: Vec::new(), kept: None, reason: String::new() });
    let secs = sections(&compiled, &tv.definition, &r, refused.kept.as_ref(), &refused.errors);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} · {}", r.number, r.title);
    let is_refused = !refused.errors.is_empty();
    let names = Names::of_logins(state, people(&r)).await;
    let page = RecordPage {
        chrome,
        names,
        sections: secs,
        signatures,
        instruments,
        lots,
        results,
        deviation,
        can_edit,
        correcting,
        can_submit,
        can_review,
        can_approve,
        step: refused.step,
        errors: refused.errors,
        reason: refused.reason,
        done: notice(done),
        r,
        tv,
    };
    super::render_form(&page, is_refused)
}

async fn record_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_record(&state, &user, id, None, &d.done).await
}

/// The largest entries form: its attachments (each at most 10 MiB) with the form's text.
const MAX_ENTRIES_BODY: usize = 12 * 1024 * 1024;

/// The record's id in a path, or the page that says there is no such record.
fn record_id(user: &PageUser, id: &str) -> Result<i64, Response> {
    id.parse::<i64>().map_err(|_| {
        super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
    })
}

/// Filling or correcting (multipart, for attachment fields): `v.<key>` values, `a.<key>`
/// amounts, `f.<key>` files, the reason and the version.
async fn record_entries(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let id = match record_id(&user, &id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let mut values: BTreeMap<String, Input> = BTreeMap::new();
    for (k, v) in &form.texts {
        if let Some(key) = k.strip_prefix("v.") {
            values.entry(key.to_string()).or_default().value = v.replace('T', " ");
        } else if let Some(key) = k.strip_prefix("a.") {
            values.entry(key.to_string()).or_default().amount = v.clone();
        }
    }
    let kept: BTreeMap<String, (String, String)> =
        values.iter().map(|(k, i)| (k.clone(), (i.value.clone(), i.amount.clone()))).collect();
    for f in form.files {
        if let Some(key) = f.field.strip_prefix("f.").map(str::to_string) {
            values.entry(key).or_default().file = Some(f.upload("附件"));
        }
    }
    let text = |k: &str| form.texts.get(k).cloned().unwrap_or_default();
    let entries = Entries { values, reason: text("reason"), version: text("version").trim().parse().unwrap_or(0) };
    let result = records::enter(state.store(), &user.principal, id, &entries, &user.client).await;
    answer(&state, &user, id, "entries", result, Some(kept), text("reason")).await
}

/// A signed or reasoned step on a record: `submit`, `review`, `approve`, `send_back`.
async fn record_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let id = match record_id(&user, &id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let one = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (password, totp) = (one("password"), Some(one("totp")).filter(|t| !t.trim().is_empty()));
    let totp = totp.as_deref();
    let (name, result): (&'static str, Result<Record, LabError>) = match step.as_str() {
        "submit" => {
            let cfg = &state.config().quality;
            ("submit", records::submit(store, state.identity(), cfg, p, id, &password, totp, c).await)
        }
        "review" => ("review", records::review(store, state.identity(), p, id, &password, totp, c).await),
        "approve" => ("approve", records::approve(store, state.identity(), p, id, &password, totp, c).await),
        "send_back" => {
            let version = one("version").trim().parse().unwrap_or(0);
            ("send_back", records::send_back(store, p, id, &one("reason"), version, c).await)
        }
        _ => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
    };
    answer(&state, &user, id, name, result, None, one("reason")).await
}

/// After a step: back to the record with the notice, or the record with the refusal in place
/// and what was typed kept.
async fn answer(
    state: &AppState,
    user: &PageUser,
    id: i64,
    name: &'static str,
    result: Result<Record, LabError>,
    kept: Option<BTreeMap<String, (String, String)>>,
    reason: String,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    match result {
        Ok(r) => {
            let done = if name == "entries" && r.status != "draft" { "correct" } else { name };
            Redirect::to(&format!("/lab/records/{id}?done={done}")).into_response()
        }
        Err(e) => {
            // The template's labels name the record's fields.
            let labels: BTreeMap<String, String> = match records::with_template(store, p, id, c).await {
                Ok((_, _, compiled)) => compiled.slots.iter().map(|s| (s.key.clone(), s.label())).collect(),
                Err(_) => BTreeMap::new(),
            };
            match refusals_with(user, e, |f| labels.get(f).cloned().or_else(|| form_label(f))) {
                Ok(errors) => {
                    let refused = Refused { step: name, errors, kept, reason };
                    render_record(state, user, id, Some(refused), "").await
                }
                Err(page) => page,
            }
        }
    }
}

/// An attachment of a record, as it was uploaded.
async fn record_file(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(file)) = (id.parse::<i64>(), file.parse::<i64>()) else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    match records::file(state.store(), &user.principal, id, file, &user.client).await {
        Ok((name, content_type, sm3, bytes)) => crate::api::file_response(&name, content_type, sm3, bytes),
        Err(e) => failure_page(user.lang, e),
    }
}

/// The people a record names: its author, reviewer, approver and whoever corrected a value.
fn people(r: &Record) -> impl Iterator<Item = &str> {
    [Some(r.author.as_str()), r.reviewed_by.as_deref(), r.approved_by.as_deref()]
        .into_iter()
        .flatten()
        .chain(r.entries.values().flat_map(|e| e.corrections.iter().map(|c| c.by.as_str())))
}

/// One line of a record's audit trail, for the printed copy.
struct TrailLine {
    version: i64,
    at: String,
    actor: String,
    action: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "lab_record_print.html")]
struct PrintPage {
    chrome: Chrome,
    r: Record,
    tv: TemplateVersion,
    sections: Vec<SectionView>,
    signatures: Vec<SignatureView>,
    trail: Vec<TrailLine>,
    names: Names,
    printed_at: String,
    printed_by: String,
}

impl Shows for PrintPage {}

fn action_zh(action: &str) -> &'static str {
    match action {
        "create" => "创建",
        "enter" => "录入",
        "correct" => "更正",
        "submit" => "提交",
        "review" => "复核",
        "approve" => "批准",
        "send_back" => "退回",
        _ => "变更",
    }
}

/// The printable record (print CSS): every field with its source and corrections, the
/// signatures' manifestations (name, meaning, time), the audit trail; the print is an `export`
/// audit event.
async fn print_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    let store = state.store();
    let (r, tv, compiled, history) = match records::print_copy(store, &user.principal, id, &user.client).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let signatures = yaolian_records::esign::signatures_for(store, &history).await.unwrap_or_default();
    let names = Names::of_logins(&state, people(&r).chain(history.iter().map(|v| v.actor.as_str()))).await;
    let trail = history
        .iter()
        .map(|v| TrailLine {
            version: v.version,
            at: v.at.to_china_string(),
            actor: names.of(&v.actor),
            action: action_zh(&v.action),
            reason: v.reason.clone(),
        })
        .collect();
    let secs = sections(&compiled, &tv.definition, &r, None, &[]);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} · {}", r.number, r.title);
    render(&PrintPage {
        chrome,
        names,
        sections: secs,
        signatures,
        trail,
        printed_at: yaolian_core::Timestamp::now().to_china_string(),
        printed_by: user.principal.display_name().to_string(),
        r,
        tv,
    })
}

#[derive(Template)]
#[template(path = "lab_templates.html")]
struct TemplatesPage {
    chrome: Chrome,
    list: Vec<TemplateVersion>,
    can_manage: bool,
    orgs: Vec<yaolian_identity::Org>,
    failed: Failed,
    rules: &'static [(&'static str, &'static str)],
    kinds: &'static [(&'static str, &'static str)],
    /// The template's instrument-data fields a number may be taken from (none yet here).
    result_fields: Vec<(String, String)>,
    result_values: &'static [(&'static str, &'static str)],
}

impl Shows for TemplatesPage {}

async fn render_templates(state: &AppState, user: &PageUser, failed: Failed) -> Response {
    let list = match templates::list(state.store(), &user.principal, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = user.principal.has(perm::LAB_MANAGE);
    let orgs = if can_manage { super::org_picks(state, user, None).await } else { Vec::new() };
    let refused = failed.refused();
    let page = TemplatesPage {
        chrome: user.chrome("lab"),
        list,
        can_manage,
        orgs,
        failed,
        rules: templates::RULES,
        kinds: templates::KINDS,
        result_fields: Vec::new(),
        result_values: templates::RESULT_VALUES,
    };
    super::render_form(&page, refused)
}

async fn templates_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_templates(&state, &user, Failed::default()).await
}

/// The small forms' fields from the pairs a form sent.
fn kept_form(pairs: &[(String, String)]) -> LabForm {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    LabForm {
        csrf: String::new(),
        org: get("org"),
        template_version_id: get("template_version_id"),
        project: get("project"),
        title: get("title"),
        code: get("code"),
        rounding: get("rounding"),
        section: get("section"),
        section_title: get("section_title"),
        rows: get("rows"),
        key: get("key"),
        label: get("label"),
        kind: get("kind"),
        unit: get("unit"),
        figures: get("figures"),
        places: get("places"),
        choices: get("choices"),
        formula: get("formula"),
        required: get("required"),
        min: get("min"),
        max: get("max"),
        spec_low: get("spec_low"),
        spec_high: get("spec_high"),
        result: get("result"),
        value: get("value"),
        peak: get("peak"),
        change_note: get("change_note"),
        version: get("version"),
    }
}

fn field_of(form: &LabForm) -> Field {
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let num = |s: &str| s.trim().parse::<u32>().ok();
    Field {
        key: form.key.trim().to_string(),
        label: form.label.trim().to_string(),
        kind: form.kind.trim().to_string(),
        unit: form.unit.trim().to_string(),
        figures: num(&form.figures),
        places: num(&form.places),
        choices: form.choices.lines().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect(),
        formula: form.formula.trim().to_string(),
        required: form.required == "1",
        min: opt(&form.min),
        max: opt(&form.max),
        spec_low: opt(&form.spec_low),
        spec_high: opt(&form.spec_high),
        from: opt(&form.result).map(|result| FromResult {
            result,
            value: form.value.trim().to_string(),
            peak: form.peak.trim().to_string(),
        }),
    }
}

/// Field errors of the one field the designer's form sent, under the form's own names.
fn design_errors(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let short = e.field.rsplit('.').next().unwrap_or("").split('[').next().unwrap_or("").to_string();
            FieldError { field: short, ..e }
        })
        .collect()
}

async fn create_template(State(state): State<AppState>, user: PageUser, Form(form): Form<LabForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, form: LabForm| Failed { form: "create", kept: form, errors };
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_templates(&state, &user, refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let section = Section {
        title: form.section_title.trim().to_string(),
        rows: form.rows.trim().parse().unwrap_or(0),
        fields: vec![field_of(&form)],
    };
    let new = NewTemplate {
        org_id,
        code: form.code.clone(),
        title: form.title.clone(),
        definition: Definition { rounding: form.rounding.clone(), method_document_id: None, sections: vec![section] },
    };
    match templates::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(v) => Redirect::to(&format!("/lab/templates/{}?done=created", v.id)).into_response(),
        Err(e) => match refusals_with(&user, e, form_label) {
            Ok(errors) => render_templates(&state, &user, refuse(design_errors(errors), form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "lab_template.html")]
struct TemplatePage {
    chrome: Chrome,
    v: TemplateVersion,
    versions: Vec<TemplateVersion>,
    can_design: bool,
    can_approve: bool,
    can_revise: bool,
    can_use: bool,
    kinds: &'static [(&'static str, &'static str)],
    result_fields: Vec<(String, String)>,
    result_values: &'static [(&'static str, &'static str)],
    names: Names,
    failed: Failed,
    done: &'static str,
}

impl Shows for TemplatePage {}

impl TemplatePage {
    fn rule_label(&self) -> &'static str {
        templates::RULES.iter().find(|(c, _)| *c == self.v.definition.rounding).map(|(_, l)| *l).unwrap_or("")
    }
    fn figures_text(&self, f: &Field) -> String {
        match (f.figures, f.places) {
            (Some(n), _) => format!("{n} 位有效数字"),
            (_, Some(n)) => format!("{n} 位小数"),
            _ => String::new(),
        }
    }
    /// What a number is taken from, e.g. 取自“样品溶液色谱图”中 阿司匹林 的峰面积.
    fn taken_text(&self, f: &Field) -> String {
        let Some(from) = &f.from else { return String::new() };
        let source = self
            .v
            .definition
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .find(|x| x.key == from.result)
            .map(|x| x.label.as_str())
            .unwrap_or(from.result.as_str());
        let what = templates::RESULT_VALUES.iter().find(|(c, _)| *c == from.value).map(|(_, l)| *l).unwrap_or("");
        if from.peak.is_empty() {
            format!("取自“{source}”的{what}")
        } else {
            format!("取自“{source}”中 {} 的{what}", from.peak)
        }
    }
    fn limits_text(&self, f: &Field) -> String {
        let spec = |l: &Option<String>, h: &Option<String>| match (l, h) {
            (Some(l), Some(h)) => format!("{l}–{h}"),
            (Some(l), None) => format!("≥ {l}"),
            (None, Some(h)) => format!("≤ {h}"),
            _ => String::new(),
        };
        let mut parts = Vec::new();
        let entry = spec(&f.min, &f.max);
        if !entry.is_empty() {
            parts.push(format!("录入 {entry}"));
        }
        let s = spec(&f.spec_low, &f.spec_high);
        if !s.is_empty() {
            parts.push(format!("标准 {s}"));
        }
        parts.join("；")
    }
}

fn template_notice(done: &str) -> &'static str {
    match done {
        "created" => "模板已建立（草稿），可继续添加字段，由他人批准后使用",
        "field" => "字段已添加",
        "remove" => "字段已删除",
        "approve" => "模板已批准，可用于新记录",
        "version" => "新版本草稿已建立",
        _ => "",
    }
}

async fn render_template(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let v = match templates::get(store, p, id, c).await {
        Ok(v) => v,
        Err(e) => return failure_page(user.lang, e),
    };
    let versions = templates::versions_of(store, p, id, c).await.unwrap_or_default();
    let path = yaolian_identity::orgs::path_of(store, "org_id", v.org_id).await.unwrap_or_default();
    let manage = templates::may_manage(p, &path);
    let newest = versions.first().map(|n| n.id) == Some(v.id);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} 第 {} 版", v.code, v.number);
    let refused = failed.refused();
    let mut logins: Vec<&str> = vec![v.author.as_str()];
    for x in &versions {
        logins.push(x.author.as_str());
        logins.extend(x.approved_by.as_deref());
    }
    let names = Names::of_logins(state, logins).await;
    let page = TemplatePage {
        chrome,
        names,
        can_design: manage && v.status == "draft",
        can_approve: manage && v.status == "draft" && v.author != p.username(),
        can_revise: manage && v.status != "draft" && newest,
        can_use: v.status == "approved" && p.reaches(perm::LAB_USE, &path),
        kinds: templates::KINDS,
        result_fields: v
            .definition
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.kind == "result")
            .map(|f| (f.key.clone(), f.label.clone()))
            .collect(),
        result_values: templates::RESULT_VALUES,
        failed,
        done: template_notice(done),
        versions,
        v,
    };
    super::render_form(&page, refused)
}

async fn template_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_template(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on a template version: `field` (add a field), `remove` (a field by key), `approve`,
/// `version` (draft the next one).
async fn template_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let one = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    // The small forms' fields, kept to fill a refused form again (never the password).
    let pairs: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "password").cloned().collect();
    let kept = kept_form(&pairs);
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let current = match templates::get(store, p, id, c).await {
        Ok(v) => v,
        Err(e) => return failure_page(user.lang, e),
    };
    let version = kept.version.trim().parse().unwrap_or(current.version);
    let (name, result): (&'static str, Result<TemplateVersion, LabError>) = match step.as_str() {
        "field" => {
            let mut def = current.definition.clone();
            let field = field_of(&kept);
            match kept.section.trim().parse::<usize>().ok().filter(|i| *i < def.sections.len()) {
                Some(i) => def.sections[i].fields.push(field),
                None => def.sections.push(Section {
                    title: kept.section_title.trim().to_string(),
                    rows: kept.rows.trim().parse().unwrap_or(0),
                    fields: vec![field],
                }),
            }
            ("field", templates::edit(store, p, id, &def, version, c).await)
        }
        "remove" => {
            let mut def = current.definition.clone();
            let key = kept.key.trim();
            for s in &mut def.sections {
                s.fields.retain(|f| f.key != key);
            }
            def.sections.retain(|s| !s.fields.is_empty());
            ("remove", templates::edit(store, p, id, &def, version, c).await)
        }
        "approve" => {
            let totp = Some(one("totp")).filter(|t| !t.trim().is_empty());
            ("approve", templates::approve(store, state.identity(), p, id, &one("password"), totp.as_deref(), c).await)
        }
        "version" => ("version", templates::new_version(store, p, id, &kept.change_note, c).await),
        _ => return not_found(),
    };
    match result {
        Ok(v) => Redirect::to(&format!("/lab/templates/{}?done={name}", v.id)).into_response(),
        Err(e) => match refusals_with(&user, e, form_label) {
            Ok(errors) => {
                let errors = if name == "field" { design_errors(errors) } else { errors };
                render_template(&state, &user, id, Failed { form: name, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}
