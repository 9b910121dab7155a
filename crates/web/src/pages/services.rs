//! Online-service pages: the applications list with countdowns, one application's progress
//! and the bureau's steps, and the statistics with charts.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::BTreeMap;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_license::licenses::{self, License, LicenseQuery};
use yaolian_services::applications::{
    self, Act, Actions, ApplicationQuery, ApplicationView, Decide, NewApplication, Statistics, Upload,
};
use yaolian_services::types::{self, ServiceType};

use crate::i18n::Lang;

use super::{failure_page, field_error, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_page))
        .route("/services/applications.csv", get(list_export))
        .route("/services/applications.xlsx", get(list_export))
        .route("/services/statistics", get(stats_page))
        .route("/services/calendar", get(calendar_page).post(calendar_set))
        .route(
            "/services/new/{code}",
            get(new_form)
                .post(new_submit)
                .layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_APPLICATION_BYTES)),
        )
        .route("/services/applications/{id}", get(detail))
        .route("/services/applications/{id}/act", post(act))
        .route("/services/applications/{id}/decide", post(decide))
        .route(
            "/services/applications/{id}/resubmit",
            post(resubmit).layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_APPLICATION_BYTES)),
        )
        .route("/services/applications/{id}/withdraw", post(withdraw))
}

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: Option<i64>,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
    fn sorting(&self) -> super::Sorting<'_> {
        super::Sorting { key: &self.sort, desc: &self.desc }
    }
    /// Whether the list is narrowed (an empty result then says so, not 暂无办件).
    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.type_code.is_empty() || !self.status.is_empty()
    }
    /// The list's link at `page`, in the current order.
    fn link(&self, page: i64) -> String {
        self.link_sorted(page, None)
    }
    /// The link of a column header (`sort`: clicking the sorted column flips it) or of a page.
    fn link_sorted(&self, page: i64, sort: Option<&str>) -> String {
        let (sort, desc) = self.sorting().toggle(sort);
        format!(
            "?q={}&type_code={}&status={}&sort={}&desc={desc}&page={page}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.type_code),
            urlencoding::encode(&self.status),
            urlencoding::encode(&sort)
        )
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    items: Vec<ApplicationView>,
    total: i64,
    pages: i64,
    types: Vec<ServiceType>,
    can_apply: bool,
}

impl Filter {
    /// The query of this filter: one page, or everything (up to 1,000) for an export.
    fn query(&self, all: bool) -> ApplicationQuery {
        ApplicationQuery {
            q: Some(self.q.clone()),
            type_code: Some(self.type_code.clone()),
            status: Some(self.status.clone()),
            sort: Some(self.sort.clone()).filter(|s| !s.is_empty()),
            desc: self.desc == "1",
            limit: if all { 1000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (self.page() - 1) * PAGE_SIZE },
        }
    }
}

/// The applications the filter selects as `applications.csv` or `applications.xlsx`; the export
/// is audited.
async fn list_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match applications::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((items, _)) => super::export::send(&state, &user, "applications", format, applications::table(&items)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let q = filter.query(false);
    let types = types::list(state.store()).await.unwrap_or_default();
    match applications::list(state.store(), &user.principal, &q, &user.client).await {
        Ok((items, total)) => {
            let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            let can_apply = user.principal.has(perm::SERVICE_APPLY);
            render(&ListPage { chrome: user.chrome("services"), filter, items, total, pages, types, can_apply })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "application.html")]
struct DetailPage {
    chrome: Chrome,
    a: ApplicationView,
    t: Option<ServiceType>,
    actions: Actions,
    /// Who may be assigned to review (offered while the application is accepted).
    reviewers: Vec<applications::ReviewerChoice>,
    /// The form whose submission was refused (`accept`, `refuse`, `correction`, `assign`,
    /// `inspection`, `review`, `decide`, `resubmit`, `withdraw`), its typed values and the
    /// refusals shown next to it.
    failed: String,
    typed: BTreeMap<String, String>,
    errors: Vec<FieldError>,
    /// The success message after a step (`?done=…`).
    notice: Option<&'static str>,
}

impl DetailPage {
    /// The form's answers in the order of the type's form, labelled in the page's language.
    fn form_rows(&self) -> Vec<(&str, &str)> {
        let form = &self.a.application.form;
        match &self.t {
            Some(t) => t
                .form
                .iter()
                .filter_map(|f| {
                    let label = if self.chrome.lang.code() == "en" { f.en.as_str() } else { f.zh.as_str() };
                    form.get(&f.key).map(|v| (label, v.as_str()))
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// The type's form fields with their current values, for the 补正 answer.
    fn form_fields(&self) -> Vec<(String, &str, String)> {
        let form = &self.a.application.form;
        let Some(t) = &self.t else {
            return Vec::new();
        };
        t.form
            .iter()
            .map(|f| {
                let key = f.key.clone();
                let label = if self.chrome.lang.code() == "en" { f.en.as_str() } else { f.zh.as_str() };
                let value = self
                    .typed
                    .get(&format!("form.{key}"))
                    .filter(|_| self.failed == "resubmit")
                    .or_else(|| form.get(&key))
                    .cloned()
                    .unwrap_or_default();
                (key, label, value)
            })
            .collect()
    }

    fn phase_label(&self) -> &'static str {
        let en = self.chrome.lang.code() == "en";
        use yaolian_services::applications::Phase;
        match (self.a.application.clock.phase, en) {
            (Phase::Accept, false) => "受理阶段",
            (Phase::Accept, true) => "acceptance",
            (Phase::Decide, false) => "审查决定阶段",
            (Phase::Decide, true) => "review and decision",
            (Phase::Paused, false) => "补正暂停",
            (Phase::Paused, true) => "paused for 补正",
            (Phase::Done, false) => "已办结",
            (Phase::Done, true) => "closed",
        }
    }
    fn time(&self, ms: &i64) -> String {
        yaolian_core::Timestamp(*ms).to_china_string()
    }
    /// What the typed field `key` of form `form` held when that form was refused.
    fn kept(&self, form: &str, key: &str) -> &str {
        if self.failed == form {
            self.typed.get(key).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    }
    fn is_failed(&self, form: &str) -> bool {
        self.failed == form && !self.errors.is_empty()
    }
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        if self.failed == form {
            field_error(&self.errors, field)
        } else {
            None
        }
    }
    fn picked(&self, user_id: &i64) -> bool {
        self.failed == "assign"
            && self.typed.get("reviewer_ids").is_some_and(|v| v.split(',').any(|i| i == user_id.to_string()))
    }
    /// What must happen before the decision, in words, when the rules would refuse it now.
    fn decision_missing(&self) -> Option<&'static str> {
        self.a.application.decision_missing()
    }
    fn is_filing(&self) -> bool {
        self.a.application.category == "filing"
    }
    /// A step's name; a filing's decision reads 予以备案 / 不予备案, not 准予许可.
    fn step_label<'s>(&self, s: &'s yaolian_services::applications::Step) -> &'s str {
        match (self.is_filing(), s.step.as_str()) {
            (true, "approve") => "予以备案",
            (true, "reject") => "不予备案",
            _ => s.step_zh.as_str(),
        }
    }
}

/// The success message of `?done=…` after a step.
fn notice(lang: Lang, done: &str) -> Option<&'static str> {
    let key = match done {
        "submitted" | "accepted" | "refused" | "correction" | "assigned" | "inspection" | "reviewed" | "decided"
        | "resubmitted" | "withdrawn" => done,
        _ => return None,
    };
    lang.lookup(&format!("app.done.{key}"))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn detail(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = notice(user.lang, &q.done);
    render_detail(&state, &user, id, String::new(), BTreeMap::new(), Vec::new(), notice).await
}

/// The progress page, with the refused form's input and refusals when a step was refused
/// (status 422), or the success message of the step done.
async fn render_detail(
    state: &AppState,
    user: &PageUser,
    id: i64,
    failed: String,
    typed: BTreeMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
) -> Response {
    let a = match applications::get(state.store(), &user.principal, id, &user.client).await {
        Ok(a) => a,
        Err(e) => return failure_page(user.lang, e),
    };
    let t = types::get(state.store(), &a.application.type_code).await.ok();
    let actions = a.actions.unwrap_or_default();
    let reviewers = if actions.handle && a.application.status == "accepted" {
        applications::reviewer_choices(state.store(), &user.principal, id, &user.client).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let refused = !errors.is_empty();
    let mut r = render(&DetailPage {
        chrome: user.chrome("services"),
        a,
        t,
        actions,
        reviewers,
        failed,
        typed,
        errors,
        notice,
    });
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The labels of this page's forms where they differ from the catalogue's (`field.*`).
fn act_label(field: &str) -> Option<String> {
    let label = match field {
        "reason" => "不予受理理由",
        "opinion" => "意见",
        f if f == "files" || f.starts_with("files[") => "补正材料",
        _ => return None,
    };
    Some(label.to_string())
}

/// A refusal of a step on this page, in the page's language: the domain's own refusals by
/// [`yaolian_services::ServiceError::zh`], the shared ones about each field's label.
fn step_refusals(
    lang: Lang,
    e: yaolian_services::ServiceError,
    label: impl Fn(&str) -> Option<String>,
) -> Result<Vec<FieldError>, Response> {
    if let Some(text) = e.zh().filter(|_| lang == Lang::Zh) {
        return Ok(vec![FieldError::new("", e.code(), text)]);
    }
    super::refusals_labelled(lang, e, label)
}

/// The handling forms: each posts its action and the fields that action needs (受理意见,
/// 不予受理理由, 补正事项, the reviewers picked, 审查意见 and 结论, 检查编号).
async fn act(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let pairs = super::admin::url_pairs(&body);
    let field = |key: &str| super::admin::field(&pairs, key);
    if let Err(page) = user.check_csrf(&field("_csrf")) {
        return page;
    }
    let picked: Vec<String> = pairs.iter().filter(|(k, _)| k == "reviewer_ids").map(|(_, v)| v.clone()).collect();
    let action = field("action");
    let (act, form, done) = match action.as_str() {
        "accept" => (Act::Accept { opinion: field("opinion") }, "accept", "accepted"),
        "refuse" => (Act::Refuse { reason: field("reason") }, "refuse", "refused"),
        "request_correction" => (
            Act::RequestCorrection { items: field("items").lines().map(str::to_string).collect(), note: field("note") },
            "correction",
            "correction",
        ),
        "assign" => {
            (Act::Assign { reviewer_ids: picked.iter().filter_map(|v| v.parse().ok()).collect() }, "assign", "assigned")
        }
        "review" => (Act::Review { opinion: field("opinion"), conclusion: field("conclusion") }, "review", "reviewed"),
        "inspection" => (Act::Inspection { reference: field("reference") }, "inspection", "inspection"),
        _ => return super::error_page(user.lang, axum::http::StatusCode::BAD_REQUEST, user.lang.t("err.bad_form")),
    };
    let expected_version = field("expected_version").parse().unwrap_or(0);
    match applications::act(state.store(), &user.principal, id, &act, expected_version, &user.client).await {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}?done={done}")).into_response(),
        Err(e) => match step_refusals(user.lang, e, act_label) {
            Ok(errors) => {
                let mut typed: BTreeMap<String, String> =
                    pairs.iter().filter(|(k, _)| k != "_csrf" && k != "reviewer_ids").cloned().collect();
                typed.insert("reviewer_ids".into(), picked.join(","));
                render_detail(&state, &user, id, form.to_string(), typed, errors, None).await
            }
            Err(page) => page,
        },
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    opinion: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    expected_version: i64,
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<DecideForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let d = Decide {
        outcome: form.outcome.clone(),
        opinion: form.opinion.clone(),
        password: form.password,
        totp: Some(form.totp).filter(|s| !s.is_empty()),
        expected_version: form.expected_version,
    };
    match applications::decide(state.store(), state.identity(), state.sealing(), &user.principal, id, &d, &user.client)
        .await
    {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}?done=decided")).into_response(),
        Err(e) => match step_refusals(user.lang, e, act_label) {
            Ok(errors) => {
                // The outcome and opinion are kept; the password and one-time code never are.
                let typed = [("outcome", form.outcome), ("opinion", form.opinion)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                render_detail(&state, &user, id, "decide".into(), typed, errors, None).await
            }
            Err(page) => page,
        },
    }
}

/// The applicant's answer to a 补正 notice (multipart): changed form fields (`form.<key>`) and
/// one file per notified item (`file_0` … labelled by the item).
async fn resubmit(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    multipart: axum::extract::Multipart,
) -> Response {
    let parts = match super::multipart_form(&user, multipart).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let current = match applications::get(state.store(), &user.principal, id, &user.client).await {
        Ok(a) => a.application,
        Err(e) => return failure_page(user.lang, e),
    };
    let items = current.correction.as_ref().map(|c| c.items.clone()).unwrap_or_default();
    let files: Vec<Upload> = parts
        .files
        .into_iter()
        .filter_map(|f| {
            let i = f.field.strip_prefix("file_")?.parse::<usize>().ok()?;
            let label = items.get(i).cloned().unwrap_or_else(|| "补正材料".to_string());
            Some(f.upload(&label))
        })
        .collect();
    // Only the fields the applicant changed are sent: an emptied field keeps its value.
    let form: BTreeMap<String, String> = parts
        .texts
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("form.")?.to_string(), v.trim().to_string())))
        .filter(|(k, v)| !v.is_empty() && current.form.get(k) != Some(v))
        .collect();
    let expected_version = parts.texts.get("expected_version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let answer = applications::Resubmission { form, files, expected_version };
    match applications::resubmit(state.store(), &user.principal, id, &answer, &user.client).await {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}?done=resubmitted")).into_response(),
        Err(e) => {
            let t = types::get(state.store(), &current.type_code).await.ok();
            let label = |field: &str| -> Option<String> {
                let key = field.strip_prefix("form.")?;
                t.as_ref()?.form.iter().find(|f| f.key == key).map(|f| f.zh.clone())
            };
            match step_refusals(user.lang, e, |f| label(f).or_else(|| act_label(f))) {
                Ok(errors) => {
                    let typed = parts.texts.into_iter().filter(|(k, _)| k != "_csrf").collect();
                    render_detail(&state, &user, id, "resubmit".into(), typed, errors, None).await
                }
                Err(page) => page,
            }
        }
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    expected_version: i64,
}

/// The applicant withdraws the application from its progress page.
async fn withdraw(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<WithdrawForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    match applications::withdraw(state.store(), &user.principal, id, form.expected_version, &user.client).await {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}?done=withdrawn")).into_response(),
        Err(e) => match step_refusals(user.lang, e, act_label) {
            Ok(errors) => render_detail(&state, &user, id, "withdraw".into(), BTreeMap::new(), errors, None).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "service_stats.html")]
struct StatsPage {
    chrome: Chrome,
    s: Statistics,
    max_count: i64,
    max_month: i64,
}

impl StatsPage {
    fn pct(&self, v: &f64) -> String {
        format!("{:.0}%", v * 100.0)
    }
    fn days(&self, v: &f64) -> String {
        format!("{v:.1}")
    }
    fn width(&self, v: &i64, max: &i64) -> i64 {
        if *max == 0 {
            0
        } else {
            v * 100 / max
        }
    }
}

async fn stats_page(State(state): State<AppState>, user: PageUser) -> Response {
    match applications::statistics(state.store(), &user.principal, &user.client).await {
        Ok(s) => {
            let max_count = s.types.iter().map(|t| t.count).max().unwrap_or(0);
            let max_month = s.per_month.iter().map(|m| m.1).max().unwrap_or(0);
            render(&StatsPage { chrome: user.chrome("services"), s, max_count, max_month })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "application_new.html")]
struct NewPage {
    chrome: Chrome,
    t: ServiceType,
    form: BTreeMap<String, String>,
    license_id: String,
    licenses: Vec<License>,
    errors: Vec<FieldError>,
}

impl NewPage {
    fn value(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or("")
    }
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
    /// The refusal of the `i`-th attachment (a duplicate, too large …).
    fn file_err(&self, i: &usize) -> Option<&str> {
        field_error(&self.errors, &format!("files[{i}].content_base64"))
    }
    fn file_field(&self, i: &usize) -> String {
        format!("file_{i}")
    }
    /// Whether the form shows values the applicant did not type (the first visit, pre-filled).
    fn prefilled(&self) -> bool {
        self.errors.is_empty() && !self.form.is_empty()
    }
    fn needs_license(&self) -> bool {
        matches!(self.t.action.as_str(), "change" | "renew")
    }
}

/// The label of a field of the application form: the type's own labels for `form.*`, an
/// attachment's label for `files[i]…`.
fn application_label(t: &ServiceType, files: &[Upload], field: &str) -> Option<String> {
    let upload = |f: &str| {
        let i: usize = f.strip_prefix("files[")?.split(']').next()?.parse().ok()?;
        files.get(i).map(|u| u.label.clone())
    };
    let fixed = match field {
        "license_id" => "证照",
        "applicant_org_id" => "申请单位",
        "files" | "attachments" => "附件",
        "type_code" => "事项",
        other => {
            return upload(other).or_else(|| {
                let key = other.strip_prefix("form.")?;
                t.form.iter().find(|f| f.key == key).map(|f| f.zh.clone())
            })
        }
    };
    Some(fixed.to_string())
}

async fn render_new(
    state: &AppState,
    user: &PageUser,
    t: ServiceType,
    form: BTreeMap<String, String>,
    license_id: String,
    errors: Vec<FieldError>,
) -> Response {
    let q = LicenseQuery { kind: Some(t.license_kind.clone()), limit: 200, ..Default::default() };
    let licenses = match t.action.as_str() {
        "change" | "renew" => {
            licenses::list(state.store(), &user.principal, &q, &user.client).await.map(|r| r.0).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut r =
        render(&NewPage { chrome: user.chrome("services"), t, form, license_id, licenses, errors: errors.clone() });
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    match types::get(state.store(), &code).await {
        Ok(t) => {
            // Pre-filled from the company's 一企一档 profile; every value can be changed.
            let form = applications::prefill(state.store(), &user.principal, &t).await.unwrap_or_default();
            render_new(&state, &user, t, form, String::new(), Vec::new()).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The application form posts multipart: the form fields, the license for a change or renewal,
/// and one file input per required attachment (`file_0`, `file_1` … in the type's order).
async fn new_submit(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    multipart: axum::extract::Multipart,
) -> Response {
    let t = match types::get(state.store(), &code).await {
        Ok(t) => t,
        Err(e) => return failure_page(user.lang, e),
    };
    let parts = match super::multipart_form(&user, multipart).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let license_id = parts.texts.get("license_id").cloned().unwrap_or_default();
    let form: BTreeMap<String, String> =
        parts.texts.iter().filter_map(|(k, v)| Some((k.strip_prefix("form.")?.to_string(), v.clone()))).collect();
    // One file input per required attachment: `file_0`, `file_1` … in the type's order.
    let files: Vec<Upload> = parts
        .files
        .into_iter()
        .filter_map(|f| {
            let i = f.field.strip_prefix("file_")?.parse::<usize>().ok()?;
            let label = t.attachments.get(i)?.clone();
            Some(f.upload(&label))
        })
        .collect();
    let new = NewApplication {
        type_code: t.code.clone(),
        applicant_org_id: None,
        license_id: license_id.parse().ok(),
        form: form.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect(),
        files,
    };
    match applications::submit(state.store(), state.sealing(), &user.principal, &new, &user.client).await {
        Ok(v) => Redirect::to(&format!("/services/applications/{}?done=submitted", v.application.id)).into_response(),
        Err(e) => match step_refusals(user.lang, e, |f| application_label(&t, &new.files, f)) {
            Ok(errors) => render_new(&state, &user, t, form, license_id, errors).await,
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

#[derive(Deserialize, Default, Clone)]
pub struct DayForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "service_calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    year: i32,
    days: Vec<yaolian_services::calendar::SpecialDay>,
    can_configure: bool,
    form: DayForm,
    errors: Vec<FieldError>,
}

impl CalendarPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

async fn render_calendar(
    state: &AppState,
    user: &PageUser,
    year: i32,
    form: DayForm,
    errors: Vec<FieldError>,
) -> Response {
    let days = yaolian_services::calendar::special_days(state.store(), year).await.unwrap_or_default();
    let can_configure = user.principal.has(perm::SERVICE_CONFIGURE);
    let mut r = render(&CalendarPage {
        chrome: user.chrome("services"),
        year,
        days,
        can_configure,
        form,
        errors: errors.clone(),
    });
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn calendar_page(State(state): State<AppState>, user: PageUser, Query(q): Query<YearQuery>) -> Response {
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&yaolian_core::Timestamp::now().china_date()));
    render_calendar(&state, &user, year, DayForm::default(), Vec::new()).await
}

async fn calendar_set(State(state): State<AppState>, user: PageUser, Form(form): Form<DayForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let year = form.day.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    let result = yaolian_services::calendar::set_day(
        state.store(),
        &user.principal,
        &form.day,
        &form.kind,
        &form.name,
        &form.reason,
        &user.client,
    )
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/services/calendar?year={year}")).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => render_calendar(&state, &user, year, form, errors).await,
            Err(page) => page,
        },
    }
}
