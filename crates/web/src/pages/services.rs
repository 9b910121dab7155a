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
    self, Act, ApplicationQuery, ApplicationView, Decide, NewApplication, Statistics, Upload,
};
use yaolian_services::types::{self, ServiceType};

use crate::i18n::Lang;

use super::{failure_page, field_error, form_errors, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_page))
        .route("/services/applications.csv", get(list_csv))
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
    page: Option<i64>,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
    fn link(&self, page: i64) -> String {
        format!(
            "?q={}&type_code={}&status={}&page={page}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.type_code),
            urlencoding::encode(&self.status)
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
            limit: if all { 1000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (self.page() - 1) * PAGE_SIZE },
        }
    }
}

/// The filtered list as CSV; the export is audited.
async fn list_csv(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let items = match applications::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((items, _)) => items,
        Err(e) => return failure_page(user.lang, e),
    };
    let done =
        yaolian_audit::record_export(state.store(), &user.principal, "applications.csv", items.len(), &user.client)
            .await;
    if let Err(e) = done {
        return failure_page(user.lang, e);
    }
    crate::api::csv_response("applications.csv", applications::to_csv(&items))
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
    can_handle: bool,
    can_decide: bool,
    is_reviewer: bool,
    /// Who may be assigned to review (offered while the application is accepted).
    reviewers: Vec<applications::ReviewerChoice>,
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
            None => form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        }
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
}

async fn detail(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match applications::get(state.store(), &user.principal, id, &user.client).await {
        Ok(a) => {
            let t = types::get(state.store(), &a.application.type_code).await.ok();
            let actions = a.actions.unwrap_or_default();
            let reviewers = if actions.handle && a.application.status == "accepted" {
                applications::reviewer_choices(state.store(), &user.principal, id, &user.client)
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            let page = DetailPage {
                chrome: user.chrome("services"),
                can_handle: actions.handle,
                can_decide: actions.decide,
                is_reviewer: actions.review,
                reviewers,
                a,
                t,
            };
            render(&page)
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The handling form: one action, its text, and the reviewers ticked (a repeated field).
async fn act(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let pairs = super::admin::url_pairs(&body);
    let field = |key: &str| super::admin::field(&pairs, key);
    if let Err(page) = user.check_csrf(&field("_csrf")) {
        return page;
    }
    let text = field("text");
    let act = match field("action").as_str() {
        "accept" => Act::Accept { opinion: text },
        "refuse" => Act::Refuse { reason: text },
        "request_correction" => {
            Act::RequestCorrection { items: text.lines().map(str::to_string).collect(), note: String::new() }
        }
        "assign" => Act::Assign {
            reviewer_ids: pairs
                .iter()
                .filter(|(k, _)| k == "reviewer_ids")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
        },
        "review" => Act::Review { opinion: text, conclusion: field("conclusion") },
        _ => Act::Inspection { reference: text },
    };
    let expected_version = field("expected_version").parse().unwrap_or(0);
    match applications::act(state.store(), &user.principal, id, &act, expected_version, &user.client).await {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}")).into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
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
        outcome: form.outcome,
        opinion: form.opinion,
        password: form.password,
        totp: Some(form.totp).filter(|s| !s.is_empty()),
        expected_version: form.expected_version,
    };
    match applications::decide(state.store(), state.identity(), state.sealing(), &user.principal, id, &d, &user.client)
        .await
    {
        Ok(_) => Redirect::to(&format!("/services/applications/{id}")).into_response(),
        Err(e) => failure_page(user.lang, e),
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
    fn file_field(&self, i: &usize) -> String {
        format!("file_{i}")
    }
    fn needs_license(&self) -> bool {
        matches!(self.t.action.as_str(), "change" | "renew")
    }
}

/// The refusals of an application form in Chinese, each about its field's label (the type's
/// own labels for `form.*`); a refusal of no field keeps the domain's text.
fn chinese_refusals(t: &ServiceType, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let label = match e.field.as_str() {
                "" => return e,
                "license_id" => "证照".to_string(),
                "applicant_org_id" => "申请单位".to_string(),
                "files" | "attachments" => "附件".to_string(),
                other => match other.strip_prefix("form.").and_then(|k| t.form.iter().find(|f| f.key == k)) {
                    Some(f) => f.zh.clone(),
                    None => "填写内容".to_string(),
                },
            };
            let message = yaolian_core::refusal::sentence(&label, &e.rule);
            FieldError { message, ..e }
        })
        .collect()
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
        Ok(t) => render_new(&state, &user, t, BTreeMap::new(), String::new(), Vec::new()).await,
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
        Ok(v) => Redirect::to(&format!("/services/applications/{}", v.application.id)).into_response(),
        Err(e) => match form_errors(user.lang, e) {
            Ok(errors) => {
                let errors = if user.lang == Lang::Zh { chinese_refusals(&t, errors) } else { errors };
                render_new(&state, &user, t, form, license_id, errors).await
            }
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
        Err(e) => match form_errors(user.lang, e) {
            Ok(errors) => render_calendar(&state, &user, year, form, errors).await,
            Err(page) => page,
        },
    }
}
