//! Online-service pages: the applications list with countdowns, one application's progress
//! and the bureau's steps, and the statistics with charts.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_identity::model::perm;
use yaolian_services::applications::{self, Act, ApplicationQuery, ApplicationView, Decide, Statistics};
use yaolian_services::types::{self, ServiceType};

use super::{failure_page, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_page))
        .route("/services/statistics", get(stats_page))
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
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let q = ApplicationQuery {
        q: Some(filter.q.clone()),
        type_code: Some(filter.type_code.clone()),
        status: Some(filter.status.clone()),
        limit: PAGE_SIZE,
        offset: (filter.page() - 1) * PAGE_SIZE,
    };
    let types = types::list(state.store()).await.unwrap_or_default();
    match applications::list(state.store(), &user.principal, &q, &user.client).await {
        Ok((items, total)) => {
            let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            render(&ListPage { chrome: user.chrome("services"), filter, items, total, pages, types })
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
}

impl DetailPage {
    fn form_label<'a>(&'a self, key: &'a str) -> &'a str {
        self.t.as_ref().and_then(|t| t.form.iter().find(|f| f.key == key)).map(|f| f.zh.as_str()).unwrap_or(key)
    }
    fn time(&self, ms: &i64) -> String {
        yaolian_core::Timestamp(*ms).to_china_string()
    }
}

async fn detail(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match applications::get(state.store(), &user.principal, id, &user.client).await {
        Ok(a) => {
            let p = &user.principal;
            let regulator = p.org_kind.is_regulator();
            let t = types::get(state.store(), &a.application.type_code).await.ok();
            let is_reviewer = a.application.reviewers.iter().any(|r| r.user_id == p.user_id && r.opinion.is_none());
            let page = DetailPage {
                chrome: user.chrome("services"),
                can_handle: regulator && p.has(perm::SERVICE_HANDLE),
                can_decide: regulator && p.has(perm::SERVICE_DECIDE) && a.application.submitted_by != p.user_id,
                is_reviewer,
                a,
                t,
            };
            render(&page)
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    reviewer_ids: String,
    #[serde(default)]
    expected_version: i64,
}

async fn act(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, Form(form): Form<ActForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let act = match form.action.as_str() {
        "accept" => Act::Accept { opinion: form.text },
        "refuse" => Act::Refuse { reason: form.text },
        "request_correction" => {
            Act::RequestCorrection { items: form.text.lines().map(str::to_string).collect(), note: String::new() }
        }
        "assign" => Act::Assign {
            reviewer_ids: form.reviewer_ids.split([',', ' ', '，']).filter_map(|s| s.trim().parse().ok()).collect(),
        },
        "review" => Act::Review { opinion: form.text, conclusion: form.conclusion },
        _ => Act::Inspection { reference: form.text },
    };
    match applications::act(state.store(), &user.principal, id, &act, form.expected_version, &user.client).await {
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
